"""Elderly-care beds: the administrative ratio (每千名老人床位数) and accessibility (2SFCA family).

:func:`bed_ratio` answers the planning question as it is asked on paper: beds of the
institutions inside a unit per 1,000 elderly of the unit, against the target (Huzhou 37.5,
``settings.bed_target_per_1000``), with the bed gap and the nursing-type bed share.

:func:`accessibility` answers the question behind it: how many beds can the elderly of a place
actually reach within a travel time, sharing them with everyone else who can reach them
(two-step floating catchment area, Luo & Wang 2003; enhanced with distance steps, Luo & Qi
2009; Gaussian decay, Dai 2010). Values equal PySAL ``access``'s ``two_stage_fca`` and
``enhanced_two_stage_fca`` on the same inputs. :func:`compare_with_ratio` puts the two side by
side and names the units where they disagree.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from .. import settings
from ..errors import InputError
from ..io.checks import (
    as_points,
    check_crs,
    check_frame,
    concat_problems,
    finite_or_raise,
    located,
    make_problems,
    numeric_column,
)
from ..network.cost import cost_matrix, describe_source, pairs
from .admin import UnitTree, normalise_level
from .result import AnalysisResult, attach_geometry, source_notes, warn_problems

__all__ = [
    "METHODS",
    "AccessibilityResult",
    "BedRatioResult",
    "accessibility",
    "bed_ratio",
    "compare_with_ratio",
    "gaussian_weights",
    "step_weights",
]

logger = logging.getLogger("mzgeo")

#: Accessibility methods: two-step floating catchment area, enhanced (steps), Gaussian.
METHODS: dict[str, str] = {
    "2sfca": "两步移动搜索法（2SFCA）",
    "e2sfca": "增强两步移动搜索法（E2SFCA，分段权重）",
    "g2sfca": "高斯两步移动搜索法（G2SFCA，高斯衰减）",
}

#: E2SFCA step weights of Luo & Qi (2009), for three equal time zones of the catchment
#: (PySAL ``access``'s default ``{10: 1, 20: 0.68, 30: 0.22}`` for a 30-minute catchment).
E2SFCA_STEP_WEIGHTS: tuple[float, float, float] = (1.0, 0.68, 0.22)

_STATUS_OK = "达标"
_STATUS_SHORT = "未达标"
_STATUS_NO_ELDERLY = "缺少老年人口数"
_STATUS_ZERO_ELDERLY = "老年人口为0"


# ============================================================================================
# bed ratio
# ============================================================================================
class BedRatioResult(AnalysisResult):
    """Beds per 1,000 elderly per administrative unit, with roll-ups.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per unit (tree order: each unit followed by its sub-units), or per unit of
        ``level``: ``code``, ``name``, ``level``, ``parent_code``, ``n_institutions``, ``beds``,
        ``nursing_beds``, ``elderly`` (persons), ``elderly_source`` (本级 / 下级合计 /
        下级合计（不全）), ``beds_per_1000``, ``target_per_1000``, ``bed_gap`` (beds, exact:
        max(0, target × elderly ÷ 1000 − beds)), ``beds_to_add`` (bed_gap rounded up),
        ``nursing_share``, ``nursing_share_target``, ``status`` (达标 / 未达标 / 缺少老年人口数 /
        老年人口为0), ``nursing_status``.
    total : pandas.DataFrame
        One row ``合计``: the same figures computed over all assigned institutions and the
        top units' elderly; equals the top unit of ``table`` when the layer has one.
    institutions : geopandas.GeoDataFrame
        The institutions with ``unit`` (code of the unit counted in) and ``unit_source``.
    unassigned : geopandas.GeoDataFrame
        Institutions outside every unit and without a usable unit code (not counted).
    below_target : pandas.DataFrame
        Rows of ``table`` with status 未达标, largest gap first.
    params, problems
        See :class:`~mzgeo.analysis.result.AnalysisResult`.
    """

    title = "每千名老人床位数"

    @property
    def headline(self) -> str:
        """Beds per 1,000 elderly over the whole area against the target, in one Chinese sentence."""
        t = self.total.iloc[0]
        ratio = "—" if pd.isna(t["beds_per_1000"]) else f"{t['beds_per_1000']:.1f}"
        return (f"每千名老人床位 {ratio} 张（目标 {self.params['target_per_1000']:g}），"
                f"{len(self.below_target)} 个单位未达标")

    def summary(self) -> pd.DataFrame:
        """Return the 合计 row: beds, nursing beds, elderly, beds per 1,000, gap."""
        return self.total

    @property
    def unassigned(self) -> pd.DataFrame:
        """Institutions not counted in any unit."""
        return self.institutions[self.institutions["unit"].isna()]

    @property
    def below_target(self) -> pd.DataFrame:
        """Units under the target, largest bed gap first."""
        out = self.table[self.table["status"] == _STATUS_SHORT]
        return out.sort_values("bed_gap", ascending=False, kind="mergesort")

    def tables(self) -> dict[str, pd.DataFrame]:
        """Sheets: 每千名老人床位数 (with the 合计 row), 未达标单位, 养老机构."""
        return {
            "每千名老人床位数": pd.concat([self.table, self.total], ignore_index=True),
            "未达标单位": self.below_target,
            "养老机构": pd.DataFrame(self.institutions).drop(columns="geometry", errors="ignore"),
        }

    def layers(self) -> dict[str, Any]:
        """Layers: ``bed_ratio`` (units with polygons), ``institutions``."""
        return {
            "bed_ratio": self._tree.with_geometry(self.table.set_index("code", drop=False)),
            "institutions": self.institutions,
        }


def _ratio_columns(df: pd.DataFrame, target: float, nursing_target: float) -> pd.DataFrame:
    """Add ratio, gap, shares and statuses to a frame with beds, nursing_beds, elderly, complete."""
    out = df
    eld = out["elderly"].astype("float64")
    beds = out["beds"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(eld > 0, beds / (eld / 1000.0), np.nan)
        share = np.where(beds > 0, out["nursing_beds"].astype("float64") / beds, np.nan)
    out["beds_per_1000"] = ratio
    out["target_per_1000"] = float(target)
    gap = np.maximum(0.0, target * eld / 1000.0 - beds)
    out["bed_gap"] = np.where(out["complete"], gap, np.nan)
    # rounding up, with a tolerance so that 12.0000000001 stays 12
    out["beds_to_add"] = np.ceil(np.maximum(out["bed_gap"] - 1e-9, 0.0))
    out["nursing_share"] = share
    out["nursing_share_target"] = float(nursing_target)
    status = np.where(ratio >= target, _STATUS_OK, _STATUS_SHORT)
    status = np.where(eld == 0, _STATUS_ZERO_ELDERLY, status)
    status = np.where(out["complete"], status, _STATUS_NO_ELDERLY)
    out["status"] = status
    out["nursing_status"] = np.where(
        np.isnan(share), "无床位", np.where(share >= nursing_target, _STATUS_OK, _STATUS_SHORT)
    )
    return out


def _elderly_bottom_up(tree: UnitTree, own: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.DataFrame]:
    """Elderly per unit: children's total when every child has a figure, else the unit's own.

    Returns ``(elderly, complete, source, mismatches)`` indexed by code.
    """
    nodes = tree.nodes
    parent = nodes["parent_code"]
    final = own.astype("float64").copy()
    complete = own.notna()
    source = pd.Series(np.where(own.notna(), "本级", None), index=nodes.index, dtype="object")
    has_children = nodes.index.isin(parent.dropna().unique())
    mismatch = []
    for d in sorted(nodes["depth"].unique(), reverse=True):
        par = nodes.index[(nodes["depth"] == d).to_numpy() & has_children]
        if not len(par):
            continue
        kids = nodes.index[parent.isin(par).to_numpy()]
        by = parent[kids]
        csum = final[kids].groupby(by).sum(min_count=1).reindex(par)
        call = complete[kids].groupby(by).all().reindex(par).fillna(False).astype(bool)
        own_p = own[par]
        use_own = ~call & own_p.notna()
        final[par] = np.where(call, csum, np.where(use_own, own_p, csum.fillna(0.0)))
        complete[par] = (call | use_own).to_numpy()
        source[par] = np.where(call, "下级合计", np.where(use_own, "本级", "下级合计（不全）"))
        bad = call & own_p.notna() & ((own_p - csum).abs() > 0.5)
        if bad.any():
            mismatch.append(pd.DataFrame({"own": own_p[bad], "children": csum[bad]}))
    mm = pd.concat(mismatch) if mismatch else pd.DataFrame({"own": [], "children": []})
    return final, complete, source, mm


def bed_ratio(
    institutions: Any,
    units: Any,
    *,
    target_per_1000: float | None = None,
    nursing_share_target: float | None = None,
    level: str | None = None,
    beds_col: str = "beds",
    nursing_col: str = "nursing_beds",
    elderly_col: str = "elderly",
    assign_by: str = "spatial",
) -> BedRatioResult:
    """Beds per 1,000 elderly per unit, bed gap, nursing-type share, with roll-ups.

    Each institution is counted in the deepest unit containing it (point-in-polygon; its
    ``unit_code`` is the fallback when it lies outside every polygon or the units have no
    geometry). Beds roll up from townships to counties to the city; so does the elderly
    count whenever every sub-unit has one (a unit's own figure is used otherwise), so the top
    gives the same totals as computing over everything at once.

    Parameters
    ----------
    institutions : geopandas.GeoDataFrame
        Canonical institutions layer (``beds``; ``nursing_beds`` optional; ``unit_code``
        optional), any declared CRS.
    units : geopandas.GeoDataFrame or pandas.DataFrame
        Units with ``code``, ``elderly`` (persons aged 60+), and ``parent_code``/``level``
        when several levels are given (or one level whose parents should be rolled up to).
    target_per_1000 : float, optional
        Target beds per 1,000 elderly; default ``settings.bed_target_per_1000`` (37.5).
    nursing_share_target : float, optional
        Target nursing-type share of beds (0-1); default ``settings.nursing_share_target``.
    level : str, optional
        Report only this level (市/区县/乡镇街道/村社区); all levels when None.
    beds_col, nursing_col, elderly_col : str
        Column names.
    assign_by : {"spatial", "code"}
        Which assignment wins when an institution has both a location and a unit code.

    Returns
    -------
    BedRatioResult

    Raises
    ------
    InputError
        Missing columns, negative numbers, repeated unit codes, bad targets.
    CRSError
        A layer without CRS (geographic or mixed-CRS layers are projected, :func:`mzgeo.crs.analysis_layers`).

    Warns
    -----
    DataWarning
        Institutions outside every unit, units without elderly counts, sub-unit totals
        different from a unit's own figure (all listed in ``.problems``).

    Examples
    --------
    >>> import mzgeo
    >>> demo = mzgeo.load_demo()
    >>> res = bed_ratio(demo.institutions, demo.units_township)
    >>> res.headline
    '每千名老人床位 37.8 张（目标 37.5），52 个单位未达标'
    >>> res.below_target[["name", "beds_per_1000"]].round(1).head(2).to_numpy().tolist()
    [['南浔区', 30.0], ['枫头镇', 3.5]]
    """
    target = float(settings.bed_target_per_1000 if target_per_1000 is None else target_per_1000)
    ntarget = float(settings.nursing_share_target if nursing_share_target is None else nursing_share_target)
    if not target > 0:
        msg = f"target_per_1000 应为正数（张/千名老人），实际为 {target_per_1000!r}"
        raise InputError(msg)
    if not 0 <= ntarget <= 1:
        msg = f"nursing_share_target 应在 0 到 1 之间（如 0.55），实际为 {nursing_share_target!r}"
        raise InputError(msg)
    check_frame(institutions, "养老机构图层", required=[beds_col], geometry=False)
    check_frame(units, "行政区图层", required=["code", elderly_col], geometry=False)
    _, (institutions, units) = check_crs(("养老机构图层", institutions), ("行政区图层", units))
    lv = normalise_level(level)
    tree = UnitTree(units)
    inst = as_points(institutions, "养老机构图层")
    assigned, p_assign = tree.assign(inst, prefer=assign_by, layer="养老机构")
    beds, p_beds = numeric_column(inst, beds_col, "养老机构")
    if nursing_col in inst.columns:
        nursing, p_nurs = numeric_column(inst, nursing_col, "养老机构")
    else:
        nursing, p_nurs = pd.Series(0.0, index=inst.index), None
        logger.info("养老机构图层没有护理型床位列 %s，护理型床位按 0 计", nursing_col)
    over = nursing > beds
    p_over = make_problems(
        "nursing_over_beds", "养老机构", inst.index[over], "护理型床位数大于总床位数",
        names=inst["name"][over] if "name" in inst.columns else None,
    )
    sums = tree.rollup_sum(
        assigned["unit"],
        pd.DataFrame({"n_institutions": 1, "beds": beds.to_numpy(), "nursing_beds": nursing.to_numpy()}),
    )
    # elderly of each real unit, by its position in the layer
    eld_vals = finite_or_raise(pd.to_numeric(units[elderly_col], errors="coerce").astype("float64"),
                               elderly_col, "行政区图层").to_numpy()
    if (eld_vals < 0).any():
        msg = f"行政区图层的 {elderly_col} 有负值，请更正"
        raise InputError(msg)
    rows = tree.nodes["row"].to_numpy()
    own = pd.Series(np.where(rows >= 0, eld_vals[np.clip(rows, 0, None)], np.nan), index=tree.nodes.index)
    elderly, complete, source, mismatch = _elderly_bottom_up(tree, own)
    leaves = tree.leaves
    no_eld = leaves[own[leaves].isna().to_numpy()]
    p_eld = make_problems(
        "missing_elderly", "行政区", no_eld, "缺少60岁及以上老年人口数，无法计算每千名老人床位数",
        names=tree.nodes.loc[no_eld, "name"],
    )
    p_mm = make_problems(
        "elderly_mismatch", "行政区", mismatch.index,
        ("本级老年人口 " + mismatch["own"].round().astype("int64").astype("str") + " 与下级合计 "
         + mismatch["children"].round().astype("int64").astype("str") + " 不一致；按下级合计").to_numpy(),
        names=tree.nodes.loc[mismatch.index, "name"] if len(mismatch) else None,
    )
    table = tree.frame()
    table = table.join(sums)
    table["elderly"] = elderly
    table["elderly_source"] = source
    table["complete"] = complete
    table = _ratio_columns(table, target, ntarget)
    if lv is not None:
        table = table.loc[tree.select(lv)]
    roots = tree.roots
    total = pd.DataFrame(
        {
            "code": [None], "name": ["合计"], "level": [None], "parent_code": [None],
            "n_institutions": [int(sums.loc[roots, "n_institutions"].sum())],
            "beds": [float(sums.loc[roots, "beds"].sum())],
            "nursing_beds": [float(sums.loc[roots, "nursing_beds"].sum())],
            "elderly": [float(elderly[roots].sum())],
            "elderly_source": ["各顶级单位合计"],
            "complete": [bool(complete[roots].all())],
        }
    )
    total = _ratio_columns(total, target, ntarget)
    table = table.drop(columns="complete").reset_index(drop=True)
    total = total.drop(columns="complete")
    for col in ("n_institutions",):
        table[col] = table[col].astype("int64")
    inst_out = inst.copy()
    inst_out["unit"] = assigned["unit"]
    inst_out["unit_source"] = assigned["unit_source"]
    problems = concat_problems([p_assign, p_beds, p_nurs, p_over, p_eld, p_mm])
    warn_problems(problems)
    params = {
        "rule": "每千名老人床位数 = 辖区内机构床位数 ÷ (60岁及以上老年人口 ÷ 1000)；床位缺口 = max(0, 目标 × 老年人口 ÷ 1000 − 床位数)",
        "target_per_1000": target,
        "nursing_share_target": ntarget,
        "level": lv or "全部级别",
        "assign_by": "位置（点在面内），代码兜底" if assign_by == "spatial" else "所属区划代码，位置兜底",
        "n_institutions": len(inst),
        "n_units": int((~tree.nodes["synthetic"]).sum()),
    }
    return BedRatioResult(params, problems, source_notes(institutions, units), table=table, total=total,
                          institutions=inst_out, _tree=tree)


# ============================================================================================
# accessibility (2SFCA family)
# ============================================================================================
def step_weights(steps: Mapping[float, float]) -> Any:
    """Vectorised step weight function, same convention as ``access.weights.step_fn``.

    A time ``t`` gets the weight of the smallest step bound ``k`` with ``t <= k``; times
    beyond the largest bound get 0.

    Parameters
    ----------
    steps : mapping
        Upper bound (minutes) → weight (≥ 0).

    Returns
    -------
    callable
        ``f(minutes: ndarray) -> ndarray``.

    Examples
    --------
    >>> f = step_weights({10: 1.0, 20: 0.68, 30: 0.22})
    >>> f(np.array([0.0, 10.0, 10.5, 30.0, 31.0])).tolist()
    [1.0, 1.0, 0.68, 0.22, 0.0]
    """
    if not isinstance(steps, Mapping) or not steps:
        msg = f"weights 应为 {{分钟上限: 权重}} 字典，如 {{10: 1, 20: 0.68, 30: 0.22}}，实际为 {steps!r}"
        raise InputError(msg)
    keys = np.array(sorted(float(k) for k in steps), dtype="float64")
    vals = np.array([float(steps[k]) for k in sorted(steps, key=float)], dtype="float64")
    if (vals < 0).any():
        msg = "weights 的权重不能为负"
        raise InputError(msg)
    vals_ext = np.r_[vals, 0.0]

    def weight(minutes: np.ndarray) -> np.ndarray:
        return vals_ext[np.searchsorted(keys, np.asarray(minutes, dtype="float64"), side="left")]

    return weight


def gaussian_weights(sigma_minutes: float) -> Any:
    """Vectorised Gaussian decay ``exp(-t² / (2σ²))``, same as ``access.weights.gaussian``.

    Parameters
    ----------
    sigma_minutes : float
        Width σ (minutes), > 0.

    Returns
    -------
    callable
        ``f(minutes: ndarray) -> ndarray`` with ``f(0) = 1``.
    """
    if not sigma_minutes > 0:
        msg = f"sigma_minutes 应为正数（分钟），实际为 {sigma_minutes!r}"
        raise InputError(msg)
    s2 = 2.0 * float(sigma_minutes) ** 2

    def weight(minutes: np.ndarray) -> np.ndarray:
        t = np.asarray(minutes, dtype="float64")
        return np.exp(-t * t / s2)

    return weight


class AccessibilityResult(AnalysisResult):
    """Accessible supply per demand point (2SFCA family) and per unit.

    Attributes
    ----------
    points : geopandas.GeoDataFrame
        Per demand point (input index): identity columns (``name``, ``code``, ``unit_code``
        when present), ``demand``, ``accessible_per_1000`` (supply reachable per 1,000
        demand; ``accessible_per_person`` when ``per_1000=False``), ``n_reachable``
        (facilities within the catchment), ``supply_within`` (their total supply,
        unweighted), geometry.
    supply : geopandas.GeoDataFrame
        Per facility: ``name``, ``supply``, ``catchment_demand`` (weighted demand within the
        catchment), ``supply_ratio_per_1000`` (supply per 1,000 of that demand; 0 when no
        demand reaches it), geometry.
    comparison : pandas.DataFrame or None
        With ``units``: the administrative ratio beside the accessible one
        (:func:`compare_with_ratio`).
    params, problems
        See :class:`~mzgeo.analysis.result.AnalysisResult`.
    """

    title = "床位可达性（两步移动搜索法）"

    #: Per-unit comparison with the bed ratio (:func:`compare_with_ratio`), when units had elderly.
    comparison: pd.DataFrame | None = None
    #: The bed ratio of the same supply and units, when units had elderly.
    ratio: BedRatioResult | None = None

    @property
    def headline(self) -> str:
        """Demand-weighted mean accessibility, in one Chinese sentence."""
        s = self.summary().iloc[0]
        mean = "—" if pd.isna(s["mean"]) else f"{s['mean']:.3g}"
        return f"{self.title}：需求点 {int(s['n_points'])} 个，平均 {self.value_col} = {mean}，无可达供给 {int(s['n_zero'])} 个"

    def summary(self) -> pd.DataFrame:
        """One row: ``n_points``, ``mean``, ``min``, ``median``, ``max`` of :attr:`value_col`, ``n_zero``."""
        v = pd.to_numeric(self.points[self.value_col], errors="coerce")
        return pd.DataFrame([{"value_col": self.value_col, "n_points": len(v), "mean": v.mean(), "min": v.min(),
                              "median": v.median(), "max": v.max(), "n_zero": int((v.fillna(0) == 0).sum())}])

    @property
    def value_col(self) -> str:
        """Name of the accessibility column of :attr:`points`."""
        if "value_col" in self.params:  # methods of mzgeo.access (weighted_supply, raam_cost)
            return str(self.params["value_col"])
        return "accessible_per_1000" if self.params.get("per_1000", True) else "accessible_per_person"

    def by_unit(self, units: Any = None, level: str | None = None) -> pd.DataFrame:
        """Demand-weighted accessibility per unit (with roll-ups).

        Parameters
        ----------
        units : geopandas.GeoDataFrame or pandas.DataFrame, optional
            Units layer; default the one given to :func:`accessibility`.
        level : str, optional
            Only this level.

        Returns
        -------
        pandas.DataFrame
            ``code``, ``name``, ``level``, ``parent_code``, ``n_points``, ``demand_total``,
            the accessibility column (Σ demand × value ÷ Σ demand) and ``demand_no_access``
            (demand with no facility within the catchment).
        """
        units = self._units if units is None else units
        if units is None:
            msg = "请提供行政区图层 units（by_unit(units)）"
            raise InputError(msg)
        level = self._level if level is None else level
        cache = self._cache.get(self, units, self.points, None, "需求点", level)
        tree = cache.tree
        d = self.points["demand"].to_numpy(dtype="float64")
        v = self.points[self.value_col].to_numpy(dtype="float64")
        known = np.isfinite(v)  # RAAM has no cost where nothing is in reach: averaged over the rest
        sums = tree.rollup_sum(
            cache.points,
            pd.DataFrame({"n_points": 1, "demand_total": d, "_dv": np.where(known, d * v, 0.0),
                          "_dk": np.where(known, d, 0.0),
                          "demand_no_access": np.where(self.points["n_reachable"] > 0, 0.0, d)}),
        )
        out = tree.frame().join(sums)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[self.value_col] = np.where(out["_dk"] > 0, out["_dv"] / out["_dk"], np.nan)
        out = out.drop(columns=["_dv", "_dk"])
        out = out[["code", "name", "level", "parent_code", "n_points", "demand_total", self.value_col,
                   "demand_no_access"]]
        if level is not None:
            out = out.loc[tree.select(level)]
        return out.reset_index(drop=True)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Sheets: 需求点可达性, 设施供需比, and with units 分区可达性, 行政口径与可达性对比."""
        out = {
            "需求点可达性": pd.DataFrame(self.points).drop(columns="geometry", errors="ignore"),
            "设施供需比": pd.DataFrame(self.supply).drop(columns="geometry", errors="ignore"),
        }
        if self._units is not None:
            out["分区可达性"] = self.by_unit()
        if self.comparison is not None:
            out["行政口径与可达性对比"] = self.comparison
        return out

    def layers(self) -> dict[str, Any]:
        """Layers: ``access_points``, ``access_supply`` and, with units, ``access_units``."""
        out = {"access_points": self.points, "access_supply": self.supply}
        if self._units is not None and hasattr(self._units, "geometry"):
            tab = self.comparison if self.comparison is not None else self.by_unit()
            tree = self._cache.tree
            out["access_units"] = tree.with_geometry(tab.set_index("code", drop=False))
        return out


def _identity_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in ("name", "code", "unit_code", "village", "village_type", "urban") if c in df.columns]


def accessibility(
    supply: Any,
    demand: Any,
    *,
    network: Any = None,
    cost: pd.DataFrame | None = None,
    method: str = "2sfca",
    minutes: float | None = None,
    supply_col: str = "beds",
    weight_col: str = "elderly",
    per_1000: bool = True,
    weights: Mapping[float, float] | None = None,
    sigma_minutes: float | None = None,
    units: Any = None,
    level: str | None = None,
    target_per_1000: float | None = None,
    partition: Any = None,
    executor: Any = None,
    **options: Any,
) -> AccessibilityResult:
    r"""Supply reachable per 1,000 demand (2SFCA family, 3SFCA, gravity, FCA, RAAM), per point and unit.

    With :math:`W_{ij} = f(t_{ij})` for pairs with travel time :math:`t_{ij} \le T`
    (``minutes``) and 0 otherwise (:math:`f = 1` for 2SFCA, the step weights for E2SFCA, the
    Gaussian for G2SFCA):

    .. math::

        R_j = \frac{S_j}{\sum_i W_{ij} D_i}, \qquad A_i = \sum_j W_{ij} R_j

    (:math:`\times 1000` with ``per_1000``). This is exactly PySAL ``access``'s
    ``two_stage_fca(max_cost=T, weight_fn=f)`` / ``enhanced_two_stage_fca``: the cut-off is
    inclusive, step bounds are inclusive, the Gaussian is unnormalised. Two conventions differ
    where ``access`` gives no number: a demand point reaching no facility gets 0 (``access``:
    NaN), and a facility with no demand in reach contributes 0 (``access``: inf/NaN).
    Computed on sparse matrices; nothing dense beyond vectors.

    Parameters
    ----------
    supply : geopandas.GeoDataFrame
        Facilities (e.g. institutions) with ``supply_col``.
    demand : geopandas.GeoDataFrame
        Demand points (e.g. villages) with ``weight_col``.
    network : mzgeo.Network, optional
        Road network (usually ``mode="drive"``).
    cost : pandas.DataFrame, optional
        Long-form cost table (``origin`` = demand index, ``destination`` = supply index,
        ``minutes``) instead of a network; absent pairs are unreachable.
    method : {"2sfca", "e2sfca", "g2sfca", "3sfca", "gravity", "fca", "weighted_catchment", "raam"}
        Distance weighting; the last five are computed by :func:`mzgeo.analysis.access.family_accessibility`
        (3SFCA, gravity, FCA ratio, weighted catchment, RAAM, equal to PySAL ``access``).
    minutes : float, optional
        Catchment (minutes); default ``settings.beds_access_minutes`` (30).
    supply_col, weight_col : str
        Columns of supply (beds) and demand (elderly persons).
    per_1000 : bool
        Report per 1,000 demand (accessible beds per 1,000 elderly) instead of per person.
    weights : mapping, optional
        E2SFCA step weights ``{upper bound (min): weight}``; default Luo & Qi's
        1 / 0.68 / 0.22 on thirds of the catchment (``{10: 1, 20: 0.68, 30: 0.22}`` for 30
        minutes, as ``access``).
    sigma_minutes : float, optional
        G2SFCA width σ (minutes); default half the catchment, so weights at the middle of
        the second and third thirds (0.61, 0.25 at 15 and 25 of 30 minutes) are close to the
        E2SFCA steps.
    units : geopandas.GeoDataFrame, optional
        Units: adds the per-unit table and, when they have ``elderly``, the comparison with
        the administrative ratio (``.comparison`` and ``.ratio``, from :func:`bed_ratio` on
        the supply layer).
    level : str, optional
        Level for the per-unit tables.
    target_per_1000 : float, optional
        Target for the comparison; default ``settings.bed_target_per_1000``.
    **options
        Options of the :mod:`mzgeo.analysis.access` methods (``neighbor_cost``; RAAM ``tau``, ``rho``,
        ``max_cycles``, ``initial_step``, ``half_life``, ``min_step``; ``gravity_alpha``,
        ``gravity_scale_minutes``, ``gravity_min_minutes``): see
        :func:`mzgeo.analysis.access.family_accessibility`.
    partition : {"county"} or geopandas.GeoDataFrame, optional
        With a network: route per unit (county) on buffered partition networks, each with
        every road and facility within the travel-time limit at the network's top speed
        (plus the snapping distance), so the result equals the single-network run (see
        :mod:`mzgeo.network.partition`). ``None`` (default): one network.
    executor : None, "local", str or distributed.Client, optional
        Where the partition tasks run: ``None`` (default ``settings.executor``) this process,
        ``"local"`` a local Dask cluster, ``"tcp://host:8786"`` a running one.

    Returns
    -------
    AccessibilityResult

    Raises
    ------
    InputError
        Unknown method (the message lists them), missing columns, bad weights.
    CRSError
        A layer without CRS (geographic or mixed-CRS layers are projected, :func:`mzgeo.crs.analysis_layers`).

    Examples
    --------
    >>> import mzgeo
    >>> demo = mzgeo.load_demo()
    >>> drive = mzgeo.Network.from_lines(demo.roads, mode="drive")
    >>> res = accessibility(demo.institutions, demo.villages, network=drive, method="e2sfca")
    >>> round(float(res.points["accessible_per_1000"].median()), 1)
    30.2
    """
    from . import access as _family

    key = str(method).lower()
    if key not in _family.ALL_METHODS:
        msg = f"未知的可达性方法 {method!r}，可用：{'、'.join(_family.ALL_METHODS)}"
        raise InputError(msg)
    _family.check_options(key, options)
    if key in _family.FAMILY_METHODS:
        return _family.family_accessibility(
            supply, demand, network=network, cost=cost, method=key, minutes=minutes, supply_col=supply_col,
            weight_col=weight_col, per_1000=per_1000, weights=weights, sigma_minutes=sigma_minutes, units=units,
            level=level, target_per_1000=target_per_1000, partition=partition, executor=executor, **options,
        )
    t_max = float(settings.beds_access_minutes if minutes is None else minutes)
    if not t_max > 0:
        msg = f"minutes 应为正数（分钟），实际为 {minutes!r}"
        raise InputError(msg)
    check_frame(supply, "供给设施图层", required=[supply_col], geometry=False)
    check_frame(demand, "需求点图层", required=[weight_col], geometry=False)
    _, (supply, demand, units) = check_crs(("供给设施图层", supply), ("需求点图层", demand), ("行政区图层", units))
    sup = as_points(supply, "供给设施图层")
    dem = as_points(demand, "需求点图层")
    p_loc: list[pd.DataFrame] = []
    if network is not None:  # travel times on the network need a location; a cost table does not
        (sup, p_a), (dem, p_b) = located(sup, "供给设施"), located(dem, "需求点")
        p_loc = [p_a, p_b]
    s_vals, p_s = numeric_column(sup, supply_col, "供给设施")
    d_vals, p_d = numeric_column(dem, weight_col, "需求点")
    params: dict[str, Any] = {
        "method": METHODS[key],
        "minutes": t_max,
        "supply_col": supply_col,
        "demand_col": weight_col,
        "per_1000": bool(per_1000),
    }
    if key == "2sfca":
        fn = None
    elif key == "e2sfca":
        steps = weights if weights is not None else {
            t_max / 3.0: E2SFCA_STEP_WEIGHTS[0],
            2.0 * t_max / 3.0: E2SFCA_STEP_WEIGHTS[1],
            t_max: E2SFCA_STEP_WEIGHTS[2],
        }
        fn = step_weights(steps)
        params["weights"] = {f"≤{float(k):g}分钟": float(v) for k, v in sorted(steps.items(), key=lambda kv: float(kv[0]))}
    else:
        sigma = t_max / 2.0 if sigma_minutes is None else float(sigma_minutes)
        fn = gaussian_weights(sigma)
        params["sigma_minutes"] = sigma
    params.update(describe_source(network, cost))
    matrix, _, _ = cost_matrix(dem, sup, network=network, cost=cost, cutoff_minutes=t_max, partition=partition, executor=executor)
    rows, cols, mins = pairs(matrix)
    w = np.ones(len(mins)) if fn is None else fn(mins)
    W = sparse.csr_matrix((w, (rows, cols)), shape=matrix.shape)
    D = d_vals.to_numpy(dtype="float64")
    S = s_vals.to_numpy(dtype="float64")
    catch = W.T @ D
    with np.errstate(divide="ignore", invalid="ignore"):
        R = np.where(catch > 0, S / catch, 0.0)
    A = W @ R
    scale = 1000.0 if per_1000 else 1.0
    value_col = "accessible_per_1000" if per_1000 else "accessible_per_person"
    reach = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=matrix.shape)
    pts = pd.DataFrame(dem[_identity_columns(dem)]).copy()
    pts["demand"] = D
    pts[value_col] = A * scale
    pts["n_reachable"] = np.diff(matrix.indptr).astype("int64")
    pts["supply_within"] = reach @ S
    pts = attach_geometry(pts, dem)
    sp = pd.DataFrame(sup[[c for c in ("name", "code", "unit_code") if c in sup.columns]]).copy()
    sp["supply"] = S
    sp["catchment_demand"] = catch
    sp["supply_ratio_per_1000"] = R * 1000.0
    sp = attach_geometry(sp, sup)
    no_demand = (catch <= 0) & (S > 0)
    p_nd = make_problems(
        "no_demand_in_reach", "供给设施", sup.index[no_demand],
        f"{t_max:g} 分钟内没有需求点可达，其供给未计入任何需求点",
        names=sup["name"][no_demand] if "name" in sup.columns else None,
    )
    problems = concat_problems([*p_loc, p_s, p_d, p_nd])
    warn_problems(problems)
    params["n_demand"] = len(dem)
    params["n_supply"] = len(sup)
    params["n_pairs_within"] = int(matrix.nnz)
    lv = normalise_level(level)
    result = AccessibilityResult(params, problems, source_notes(supply, demand), units=units, level=lv,
                                 points=pts, supply=sp)
    if units is not None and "elderly" in units.columns:
        ratio = bed_ratio(sup, units, target_per_1000=target_per_1000, beds_col=supply_col)
        result.ratio = ratio
        result.comparison = compare_with_ratio(result, ratio, level=lv)
        result.params["target_per_1000"] = ratio.params["target_per_1000"]
    elif units is not None:
        logger.info("行政区图层没有 elderly 列，不做行政口径对比（仅分区可达性）")
    return result


def compare_with_ratio(
    access_result: AccessibilityResult,
    ratio_result: BedRatioResult,
    *,
    target_per_1000: float | None = None,
    level: str | None = None,
) -> pd.DataFrame:
    """Administrative ratio beside accessible beds per unit; where they disagree.

    Parameters
    ----------
    access_result : AccessibilityResult
        From :func:`accessibility` (``per_1000=True``).
    ratio_result : BedRatioResult
        From :func:`bed_ratio` on the same institutions and units (all levels).
    target_per_1000 : float, optional
        Target; default the one of ``ratio_result``.
    level : str, optional
        Only this level.

    Returns
    -------
    pandas.DataFrame
        ``code``, ``name``, ``level``, ``parent_code``, ``elderly``, ``beds``,
        ``beds_per_1000``, ``accessible_per_1000``, ``difference_per_1000`` (accessible −
        administrative), ``target_per_1000``, ``admin_ok``, ``access_ok`` and ``verdict``:
        账面达标但可达不足 (fine on paper, the elderly cannot reach the beds), 账面未达标但可达充足
        (short on paper, beds across the boundary are within reach), 均达标, 均未达标, 数据不全.
    """
    if access_result.value_col != "accessible_per_1000":
        msg = "对比需要每千人口径的可达性结果（per_1000=True）"
        raise InputError(msg)
    target = float(ratio_result.params["target_per_1000"] if target_per_1000 is None else target_per_1000)
    units = ratio_result._tree.units
    acc = access_result.by_unit(units)
    tab = ratio_result.table.set_index("code")
    out = tab[["name", "level", "parent_code", "elderly", "beds", "beds_per_1000"]].copy()
    out["accessible_per_1000"] = acc.set_index("code")["accessible_per_1000"].reindex(out.index)
    out["difference_per_1000"] = out["accessible_per_1000"] - out["beds_per_1000"]
    out["target_per_1000"] = target
    admin_ok = out["beds_per_1000"] >= target
    access_ok = out["accessible_per_1000"] >= target
    known = out["beds_per_1000"].notna() & out["accessible_per_1000"].notna()
    out["admin_ok"] = admin_ok
    out["access_ok"] = access_ok
    verdict = np.select(
        [admin_ok & ~access_ok, ~admin_ok & access_ok, admin_ok & access_ok],
        ["账面达标但可达不足", "账面未达标但可达充足", "均达标"],
        default="均未达标",
    )
    out["verdict"] = np.where(known, verdict, "数据不全")
    out.insert(0, "code", out.index.astype("str"))
    if level is not None:
        lv = normalise_level(level)
        out = out[out["level"] == lv]
    return out.reset_index(drop=True)
