"""Disaster shelters (避灾安置场所): room for everyone, within reach.

:func:`shelter_adequacy` checks two things. First, a capacity-respecting assignment of the
residents to the shelters they can reach within the time limit, solved exactly as a linear
programme with HiGHS (not a greedy rule): how many people can be sheltered in time, the
shortfall per unit, the load of each shelter. Second, the simple view planners use on paper:
every resident goes to the nearest shelter, which shows the over-subscribed shelters, and the
coverage by tier (county / township / village) against the tier rules (minimum capacity per
tier, 浙政办发〔2013〕108号).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .. import settings
from ..errors import InputError, MzgeoError
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
from ..layers import VALUE_ALIASES
from ..locate._highs import new_highs
from ..network.cost import cost_matrix, describe_source, nearest, nearest_from_pairs, pairs, quiet_repeat
from .admin import UNASSIGNED, normalise_level
from .result import AnalysisResult, attach_geometry, source_notes, warn_problems

__all__ = ["ShelterResult", "max_shelter_lp", "shelter_adequacy"]

logger = logging.getLogger("mzgeo")

_NO_TIER = "未分级"


# --- the linear programme -------------------------------------------------------------------
def max_shelter_lp(
    rows: np.ndarray,
    cols: np.ndarray,
    minutes: np.ndarray,
    persons: np.ndarray,
    capacity: np.ndarray,
) -> tuple[np.ndarray, float, float]:
    r"""Assign persons to shelters: most people sheltered, then fewest person-minutes.

    Variables :math:`x_k \ge 0` exist only for the candidate pairs :math:`k = (i, j)` (demand
    point :math:`i` can reach shelter :math:`j` within the limit). Lexicographic objective,
    solved in two HiGHS LP solves (dual simplex):

    1. maximise :math:`\sum_k x_k` subject to :math:`\sum_{k \ni i} x_k \le P_i` (persons) and
       :math:`\sum_{k \ni j} x_k \le C_j` (capacity);
    2. with :math:`\sum_k x_k \ge z^*_1` added, minimise :math:`\sum_k t_k x_k` (person-minutes).

    The constraint matrix is built as CSC arrays and passed whole (``passModel``); with
    integer persons and capacities the optimum found by simplex is integral (transportation
    problem).

    Parameters
    ----------
    rows, cols : numpy.ndarray of int
        Demand and shelter positions of the candidate pairs.
    minutes : numpy.ndarray
        Travel time (minutes) of each pair.
    persons : numpy.ndarray
        Persons per demand point (≥ 0).
    capacity : numpy.ndarray
        Capacity (persons) per shelter (≥ 0).

    Returns
    -------
    tuple
        ``(x, sheltered, person_minutes)``: persons per pair, total sheltered, total
        person-minutes.

    Raises
    ------
    MzgeoError
        HiGHS does not report an optimal solution.
    """
    import highspy

    k = len(rows)
    nd, ns = len(persons), len(capacity)
    if k == 0:
        return np.zeros(0), 0.0, 0.0
    lp = highspy.HighsLp()
    lp.num_col_ = k
    lp.num_row_ = nd + ns
    lp.col_cost_ = np.ones(k)
    lp.col_lower_ = np.zeros(k)
    lp.col_upper_ = np.minimum(persons[rows], capacity[cols]).astype("float64")
    lp.row_lower_ = np.zeros(nd + ns)
    lp.row_upper_ = np.r_[persons, capacity].astype("float64")
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = k
    lp.a_matrix_.num_row_ = nd + ns
    lp.a_matrix_.start_ = np.arange(0, 2 * k + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = np.column_stack([rows, nd + cols]).ravel().astype(np.int32)
    lp.a_matrix_.value_ = np.ones(2 * k)
    h = new_highs()
    h.setOptionValue("solver", "simplex")
    h.passModel(lp)
    h.run()
    _check_optimal(h, highspy, "第一阶段（最大化可安置人数）")
    best = float(h.getInfo().objective_function_value)
    integral = bool(np.all(persons == np.round(persons)) and np.all(capacity == np.round(capacity)))
    if integral:  # transportation problem: the optimum is a whole number of persons
        best = float(np.round(best))
    idx = np.arange(k, dtype=np.int32)
    h.addRow(best, highspy.kHighsInf, k, idx, np.ones(k))
    h.changeColsCost(k, idx, np.asarray(minutes, dtype="float64"))
    h.changeObjectiveSense(highspy.ObjSense.kMinimize)
    h.run()
    _check_optimal(h, highspy, "第二阶段（最小化人·分钟）")
    x = np.asarray(h.getSolution().col_value, dtype="float64")
    x = np.clip(x, 0.0, None)
    near_int = np.abs(x - np.round(x)) < 1e-6
    x[near_int] = np.round(x[near_int])
    return x, float(x.sum()), float((x * minutes).sum())


def _check_optimal(h: Any, highspy: Any, stage: str) -> None:
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        msg = f"HiGHS 求解避灾安置分配{stage}未得到最优解：{h.modelStatusToString(status)}"
        raise MzgeoError(msg)


# --- result -----------------------------------------------------------------------------------
class ShelterResult(AnalysisResult):
    """Shelter adequacy: LP assignment within the time limit, nearest-shelter view, tier rules.

    Attributes
    ----------
    points : geopandas.GeoDataFrame
        Per demand point (input index): identity columns, ``persons``, ``sheltered`` (persons
        assigned within the limit by the LP), ``shortfall`` (persons − sheltered),
        ``facility``/``facility_name``/``minutes`` (nearest shelter, any distance),
        ``within_limit`` (nearest shelter within the limit), ``reachable_in_limit`` (some
        shelter within the limit), ``route_status``, geometry.
    shelters : geopandas.GeoDataFrame
        Per shelter (input index): identity columns, ``tier``, ``capacity`` (persons),
        ``capacity_source`` (容量 / 面积折算 / 缺失), ``min_capacity`` (tier rule),
        ``below_min``, ``assigned`` (persons, LP), ``utilisation`` (assigned ÷ capacity),
        ``nearest_load`` (persons whose nearest shelter it is), ``oversubscribed``
        (nearest_load > capacity), geometry.
    assignments : pandas.DataFrame
        LP assignment, one row per pair used: ``origin`` (demand label), ``shelter`` (shelter
        label), ``persons``, ``minutes``.
    tiers : pandas.DataFrame
        Per tier: ``tier``, ``n_shelters``, ``capacity_total``, ``min_capacity``,
        ``n_below_min``, ``threshold_minutes``, ``persons_within`` (persons whose nearest
        shelter of the tier is within the tier's limit), ``share_within``.
    summary : pandas.DataFrame
        One row: ``persons``, ``sheltered``, ``shortfall``, ``share_sheltered``,
        ``persons_no_reach``, ``capacity_total``, ``person_minutes``, ``n_oversubscribed``,
        ``n_below_min``.
    params, problems
        See :class:`~mzgeo.analysis.result.AnalysisResult`.
    """

    title = "避灾安置场所容量与可达性"

    @property
    def headline(self) -> str:
        """Persons sheltered within the walking limit, in one Chinese sentence."""
        s = self._summary.iloc[0]
        share = "—" if pd.isna(s["share_sheltered"]) else f"{s['share_sheltered']:.1%}"
        return (f"可安置 {s['sheltered']:,.0f} / {s['persons']:,.0f} 人（{share}），缺口 {s['shortfall']:,.0f} 人；"
                f"{int(s['n_below_min'])} 个场所低于本级最小容量")

    def summary(self) -> pd.DataFrame:
        """Totals (one row): ``persons``, ``sheltered``, ``shortfall``, ``share_sheltered``..."""
        return self._summary

    @property
    def below_minimum(self) -> Any:
        """Shelters with less capacity than their tier's minimum."""
        return self.shelters[self.shelters["below_min"]]

    @property
    def oversubscribed(self) -> Any:
        """Shelters whose nearest-shelter demand exceeds their capacity."""
        return self.shelters[self.shelters["oversubscribed"]]

    def by_unit(self, units: Any = None, level: str | None = None) -> pd.DataFrame:
        """People sheltered within the limit per unit (with roll-ups).

        Returns
        -------
        pandas.DataFrame
            ``code``, ``name``, ``level``, ``parent_code``, ``n_points``, ``persons``,
            ``sheltered``, ``shortfall``, ``share_sheltered``, ``persons_no_reach`` (no
            shelter within the limit at all), ``n_shelters``, ``capacity_total``,
            ``n_oversubscribed``, ``n_below_min``.
        """
        units = self._units if units is None else units
        if units is None:
            msg = "请提供行政区图层 units（如 result.by_unit(townships)）"
            raise InputError(msg)
        lv = self._level if level is None else level
        cache = self._cache.get(self, units, self.points, self.shelters, "需求点", lv, "避灾安置场所")
        tree, pu, su = cache.tree, cache.points, cache.facilities
        p = self.points
        vals = pd.DataFrame(
            {
                "n_points": np.ones(len(p), dtype="int64"),
                "persons": p["persons"].to_numpy(dtype="float64"),
                "sheltered": p["sheltered"].to_numpy(dtype="float64"),
                "shortfall": p["shortfall"].to_numpy(dtype="float64"),
                "persons_no_reach": np.where(p["reachable_in_limit"], 0.0, p["persons"]).astype("float64"),
            }
        )
        s = self.shelters
        svals = pd.DataFrame(
            {
                "n_shelters": np.ones(len(s), dtype="int64"),
                "capacity_total": s["capacity"].to_numpy(dtype="float64"),
                "n_oversubscribed": s["oversubscribed"].to_numpy(dtype="int64"),
                "n_below_min": s["below_min"].to_numpy(dtype="int64"),
            }
        )
        a = tree.rollup_sum(pu, vals, keep_unassigned=True)
        b = tree.rollup_sum(su, svals, keep_unassigned=True)
        out = tree.frame(a.index.union(b.index, sort=False)).join(a).join(b)
        out = out.fillna(dict.fromkeys([*a.columns, *b.columns], 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            out["share_sheltered"] = np.where(out["persons"] > 0, out["sheltered"] / out["persons"], np.nan)
        ints = ["n_points", "n_shelters", "n_oversubscribed", "n_below_min"]
        out[ints] = out[ints].astype("int64")
        if lv is not None:
            out = out[out.index.isin(tree.select(lv).append(pd.Index([UNASSIGNED])))]
        cols = ["code", "name", "level", "parent_code", "n_points", "persons", "sheltered", "shortfall",
                "share_sheltered", "persons_no_reach", "n_shelters", "capacity_total", "n_oversubscribed",
                "n_below_min"]
        return out[cols].reset_index(drop=True)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Sheets: 汇总, (分区安置), 分级覆盖, 避灾安置场所, 超容场所, 低于最低容量, 需求点, 分配方案."""
        out: dict[str, pd.DataFrame] = {"汇总": self.summary()}
        if self._units is not None:
            out["分区安置"] = self.by_unit()
        plain = pd.DataFrame(self.shelters).drop(columns="geometry", errors="ignore")
        out["分级覆盖"] = self.tiers
        out["避灾安置场所"] = plain
        out["就近超容场所"] = plain[plain["oversubscribed"]]
        out["低于最低容量"] = plain[plain["below_min"]]
        out["面积不足"] = plain[plain["area_short"]]
        out["需求点"] = pd.DataFrame(self.points).drop(columns="geometry", errors="ignore")
        out["分配方案"] = self.assignments
        return out

    def layers(self) -> dict[str, Any]:
        """Layers: ``shelter_points``, ``shelters`` (+ ``shelter_units`` with polygon units)."""
        out = {"shelter_points": self.points, "shelters": self.shelters}
        if self._units is not None and hasattr(self._units, "geometry"):
            tab = self.by_unit()
            tree = self._cache.tree
            out["shelter_units"] = tree.with_geometry(tab[tab["code"] != UNASSIGNED].set_index("code", drop=False))
        return out


def _tier_values(shelters: pd.DataFrame, tier_col: str) -> pd.Series:
    if tier_col not in shelters.columns:
        return pd.Series(_NO_TIER, index=shelters.index, dtype="object")
    raw = shelters[tier_col].astype("str").str.strip()
    amap = VALUE_ALIASES["tier"]
    tier = raw.map(amap).fillna(raw.str.lower().map(amap)).fillna(raw)
    return tier.mask(raw.isin(["", "nan", "None", "<NA>"]), _NO_TIER).astype("object")


def shelter_adequacy(
    shelters: Any,
    demand: Any,
    *,
    network: Any = None,
    cost: pd.DataFrame | None = None,
    minutes: float | None = None,
    weight_col: str = "population",
    area_per_person_m2: float | None = None,
    units: Any = None,
    level: str | None = None,
    capacity_col: str = "capacity",
    area_col: str = "area_m2",
    tier_col: str = "tier",
    min_capacity: Mapping[str, float] | None = None,
    tier_minutes: Mapping[str, float] | None = None,
    share_to_shelter: float = 1.0,
    cap_by_area: bool = False,
    partition: Any = None,
    executor: Any = None,
) -> ShelterResult:
    """Check whether every resident can reach a shelter with room in time (LP with HiGHS, tier rules).

    Capacity is the ``capacity`` column where given, else ``floor(area_m2 ÷
    area_per_person_m2)``. Residents (``weight_col`` × ``share_to_shelter`` of each demand
    point) are assigned to shelters within ``minutes`` so that as many as possible are
    sheltered without exceeding any capacity, then with the fewest person-minutes
    (:func:`max_shelter_lp`). Separately, each demand point's nearest shelter (any distance)
    gives the nearest-shelter load, and the shelters whose load exceeds capacity are
    over-subscribed.

    Parameters
    ----------
    network : mzgeo.Network or None
        Walking network; ``None`` when ``cost`` is given.
    shelters : geopandas.GeoDataFrame
        Canonical shelters layer (``name``, ``tier``, ``capacity`` and/or ``area_m2``).
    demand : geopandas.GeoDataFrame
        Demand points with ``weight_col`` (persons).
    minutes : float, optional
        Time limit (minutes); default ``settings.shelter_minutes`` (10, ≈ 500 m at elderly
        walking speed, GB 50413-2007 emergency shelters).
    weight_col : str
        Column of persons to shelter.
    area_per_person_m2 : float, optional
        Usable area per person (m²); default ``settings.shelter_area_per_person_m2`` (1.5,
        GB 21734-2008).
    cost : pandas.DataFrame, optional
        Long-form cost table (``origin`` = demand index, ``destination`` = shelter index,
        ``minutes``) instead of a network.
    units : geopandas.GeoDataFrame or pandas.DataFrame, optional
        Units for :meth:`~ShelterResult.by_unit` and the Excel output.
    level : str, optional
        Default level of the per-unit table.
    capacity_col, area_col, tier_col : str
        Column names.
    min_capacity : mapping, optional
        Minimum capacity (persons) per tier; default ``settings.shelter_min_capacity``
        (县级 200, 乡镇级 100, 村级 50).
    tier_minutes : mapping, optional
        Time limit per tier for the tier coverage table (e.g. ``{"县级": 60}`` for fixed
        shelters, 2-3 km); tiers not given use ``minutes``.
    share_to_shelter : float
        Fraction (0-1] of each point's persons who need a shelter place; 1 (everyone) by
        default, lower for a planning scenario (e.g. 0.2 when a fifth are to be evacuated).
    cap_by_area : bool
        When a shelter has both a capacity and a usable area, and the capacity exceeds
        ``area_m2 ÷ area_per_person_m2``, use the area-based figure (default: keep the declared
        capacity). Either way such shelters are flagged (``area_short``, sheet 面积不足, a
        problem row).
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
    ShelterResult

    Raises
    ------
    InputError
        Missing persons column, negative numbers, bad limits.
    CRSError
        A layer without CRS (geographic or mixed-CRS layers are projected, :func:`mzgeo.crs.analysis_layers`).
    MzgeoError
        HiGHS fails to solve (should not happen: the LP is always feasible).
    """
    limit = float(settings.shelter_minutes if minutes is None else minutes)
    app = float(settings.shelter_area_per_person_m2 if area_per_person_m2 is None else area_per_person_m2)
    if not limit > 0:
        msg = f"minutes 应为正数（分钟），实际为 {minutes!r}"
        raise InputError(msg)
    if not app > 0:
        msg = f"area_per_person_m2 应为正数（平方米/人），实际为 {area_per_person_m2!r}"
        raise InputError(msg)
    if not 0 < share_to_shelter <= 1:
        msg = f"share_to_shelter 应在 (0, 1] 之间，实际为 {share_to_shelter!r}"
        raise InputError(msg)
    rules = dict(settings.shelter_min_capacity if min_capacity is None else min_capacity)
    tmins = {str(k): float(v) for k, v in (tier_minutes or {}).items()}
    check_frame(shelters, "避灾安置场所图层", geometry=False)
    check_frame(demand, "需求点图层", required=[weight_col], geometry=False)
    _, (shelters, demand, units) = check_crs(("避灾安置场所图层", shelters), ("需求点图层", demand), ("行政区图层", units))
    sh = as_points(shelters, "避灾安置场所图层")
    dem = as_points(demand, "需求点图层")
    p_loc: list[pd.DataFrame] = []
    if network is not None:  # travel times on the network need a location; a cost table does not
        (sh, p_a), (dem, p_b) = located(sh, "避灾安置场所"), located(dem, "需求点")
        p_loc = [p_a, p_b]
    persons, p_p = numeric_column(dem, weight_col, "需求点")
    # capacity
    cap = pd.Series(np.nan, index=sh.index)
    src = pd.Series("缺失", index=sh.index, dtype="object")
    probs = [*p_loc, p_p]
    if capacity_col in sh.columns:
        c = finite_or_raise(pd.to_numeric(sh[capacity_col], errors="coerce").astype("float64"), capacity_col,
                            "避灾安置场所图层")
        if (c < 0).any():
            msg = f"避灾安置场所的 {capacity_col} 有负值，请更正"
            raise InputError(msg)
        cap = c
        src = src.mask(c.notna(), "容量")
    if area_col in sh.columns:
        a = finite_or_raise(pd.to_numeric(sh[area_col], errors="coerce").astype("float64"), area_col,
                            "避灾安置场所图层")
        if (a < 0).any():
            msg = f"避灾安置场所的 {area_col} 有负值，请更正"
            raise InputError(msg)
        area_cap = np.floor(a / app + 1e-9)
        # declared capacity larger than the usable area allows at the per-person area
        area_short = (cap > area_cap).fillna(False).astype(bool)
        use = cap.isna() & a.notna()
        cap = cap.where(~use, area_cap)
        src = src.mask(use, "面积折算")
        if cap_by_area:
            cap = cap.where(~area_short, area_cap)
            src = src.mask(area_short, "按面积核减")
        probs.append(make_problems(
            "area_short", "避灾安置场所", sh.index[area_short.to_numpy()],
            (f"容纳人数超过可用面积按人均 {app:g} 平方米折算的人数（" + sh.loc[area_short, capacity_col].astype(
                "float64").map("{:g}".format).astype(str) + " > " + area_cap[area_short].map("{:g}".format).astype(str)
             + "）") if capacity_col in sh.columns else "容纳人数超过可用面积折算人数",
            names=sh["name"][area_short] if "name" in sh.columns else None,
        ))
    else:
        area_cap = pd.Series(np.nan, index=sh.index)
        area_short = pd.Series(False, index=sh.index)
    missing = cap.isna()
    probs.append(make_problems(
        "missing_capacity", "避灾安置场所", sh.index[missing], "容量与可用面积都缺失，容量按 0 计",
        names=sh["name"][missing] if "name" in sh.columns else None,
    ))
    cap = cap.fillna(0.0)
    tier = _tier_values(sh, tier_col)
    min_cap = tier.map({str(k): float(v) for k, v in rules.items()}).astype("float64")
    below = (cap < min_cap).fillna(False).astype(bool)
    # travel times: pairs within the largest limit needed
    cutoff = max([limit, *tmins.values()])
    matrix, _, _ = cost_matrix(dem, sh, network=network, cost=cost, cutoff_minutes=cutoff, partition=partition, executor=executor)
    rows, cols, mins = pairs(matrix)
    P = persons.to_numpy(dtype="float64") * float(share_to_shelter)
    C = cap.to_numpy(dtype="float64")
    use = (mins <= limit) & (P[rows] > 0) & (C[cols] > 0)
    x, sheltered_total, pmin = max_shelter_lp(rows[use], cols[use], mins[use], P, C)
    sheltered = np.bincount(rows[use], weights=x, minlength=len(dem)) if len(x) else np.zeros(len(dem))
    assigned = np.bincount(cols[use], weights=x, minlength=len(sh)) if len(x) else np.zeros(len(sh))
    reach_limit = np.zeros(len(dem), bool)
    reach_limit[rows[mins <= limit]] = True
    with quiet_repeat():
        near = nearest(dem, sh, network=network, cost=cost, partition=partition, executor=executor, within_minutes=cutoff)
    # points
    pts = pd.DataFrame(dem[[c for c in ("name", "code", "unit_code", "village") if c in dem.columns]]).copy()
    pts["persons"] = P
    pts["sheltered"] = sheltered
    pts["shortfall"] = np.maximum(P - sheltered, 0.0)
    pts["facility"] = near["facility"]
    pts["facility_name"] = (sh["name"].reindex(pd.Index(near["facility"])).to_numpy()
                            if "name" in sh.columns else near["facility"])
    pts["minutes"] = near["minutes"].to_numpy(dtype="float64")
    pts["within_limit"] = np.nan_to_num(pts["minutes"].to_numpy(dtype="float64"), nan=np.inf) <= limit
    pts["route_status"] = near["route_status"].to_numpy()
    pts["reachable_in_limit"] = reach_limit
    pts = attach_geometry(pts, dem)
    # shelters
    load = pd.DataFrame({"f": near["facility"].to_numpy(), "p": P})
    load = load[load["f"].notna()].groupby("f")["p"].sum().reindex(sh.index, fill_value=0.0)
    out = pd.DataFrame(sh[[c for c in ("name", "code", "unit_code", "address") if c in sh.columns]]).copy()
    out["tier"] = tier.to_numpy()
    out["capacity"] = C
    out["capacity_source"] = src.to_numpy()
    out["area_capacity"] = area_cap.to_numpy(dtype="float64")
    out["area_short"] = area_short.to_numpy()
    out["min_capacity"] = min_cap.to_numpy()
    out["below_min"] = below.to_numpy()
    out["assigned"] = assigned
    with np.errstate(divide="ignore", invalid="ignore"):
        out["utilisation"] = np.where(C > 0, assigned / C, np.nan)
    out["nearest_load"] = load.to_numpy(dtype="float64")
    out["oversubscribed"] = out["nearest_load"] > out["capacity"]
    out = attach_geometry(out, sh)
    assignments = pd.DataFrame(
        {
            "origin": dem.index.to_numpy()[rows[use]],
            "shelter": sh.index.to_numpy()[cols[use]],
            "shelter_name": sh["name"].to_numpy()[cols[use]] if "name" in sh.columns else sh.index.to_numpy()[cols[use]],
            "persons": x,
            "minutes": mins[use],
        }
    )
    assignments = assignments[assignments["persons"] > 0].reset_index(drop=True)
    # tiers
    tier_rows = []
    order = [t for t in rules if t in set(tier)] + sorted(set(tier) - set(rules))
    for t in order:  # a handful of tiers
        mask = (tier == t).to_numpy()
        t_lim = tmins.get(t, limit)
        ok = mask[cols] & (mins <= t_lim)
        _, tmin = nearest_from_pairs(rows[ok], cols[ok], mins[ok], len(dem))
        within = float(P[~np.isnan(tmin)].sum())
        tier_rows.append(
            {
                "tier": t,
                "n_shelters": int(mask.sum()),
                "capacity_total": float(C[mask].sum()),
                "min_capacity": rules.get(t, np.nan),
                "n_below_min": int(below.to_numpy()[mask].sum()),
                "threshold_minutes": t_lim,
                "persons_within": within,
                "share_within": within / P.sum() if P.sum() > 0 else np.nan,
            }
        )
    tiers = pd.DataFrame(tier_rows, columns=["tier", "n_shelters", "capacity_total", "min_capacity", "n_below_min",
                                             "threshold_minutes", "persons_within", "share_within"])
    total_p = float(P.sum())
    summary = pd.DataFrame(
        [
            {
                "persons": total_p,
                "sheltered": sheltered_total,
                "shortfall": total_p - sheltered_total,
                "share_sheltered": sheltered_total / total_p if total_p > 0 else np.nan,
                "persons_no_reach": float(P[~reach_limit].sum()),
                "capacity_total": float(C.sum()),
                "person_minutes": pmin,
                "n_oversubscribed": int(out["oversubscribed"].sum()),
                "n_below_min": int(below.sum()),
                "n_area_short": int(area_short.sum()),
            }
        ]
    )
    problems = concat_problems(probs)
    warn_problems(problems)
    params = {
        "rule": "安置人数 ≤ 场所容量；在时间阈值内可达；先最大化可安置人数，再最小化人·分钟（线性规划，HiGHS）",
        "minutes": limit,
        "persons_col": weight_col,
        "share_to_shelter": float(share_to_shelter),
        "area_per_person_m2": app,
        "cap_by_area": bool(cap_by_area),
        "shelter_min_capacity": rules,
        "tier_minutes": tmins or "与 minutes 相同",
        **describe_source(network, cost),
        "solver": "HiGHS（highspy，对偶单纯形）",
        "n_shelters": len(sh),
        "n_demand": len(dem),
        "n_pairs_within": int(use.sum()),
    }
    logger.info("避灾安置 LP：%d 个候选配对，可安置 %.0f / %.0f 人", int(use.sum()), sheltered_total, total_p)
    result = ShelterResult(params, problems, source_notes(shelters, demand), units=units, level=normalise_level(level),
                           points=pts, shelters=out, assignments=assignments, tiers=tiers, _summary=summary)
    if units is not None:  # assign now, so .problems is complete from the start
        result._cache.get(result, units, result.points, result.shelters, "需求点", result._level, "避灾安置场所")
    return result

