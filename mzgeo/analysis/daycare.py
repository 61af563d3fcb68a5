"""Day-care coverage (日间照料中心): one centre per village or community within a walk.

:func:`daycare_coverage` applies the day-care rules of ``docs/planning_rules.md``: an urban
community is covered when a centre is within ``settings.daycare_minutes_urban`` (15) minutes'
walk, a rural village within ``settings.daycare_minutes_rural`` (20); a village with its own
centre counts as covered. :class:`DaycareResult` holds the per-village table, the centres (meal
and medical services) and the villages without a centre and out of reach.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from .. import settings
from ..errors import InputError
from ..io.checks import (
    as_points,
    check_crs,
    check_frame,
    concat_problems,
    located,
    make_problems,
    parse_minutes,
)
from ..layers import parse_booleans
from ..network.cost import describe_source, nearest, quiet_repeat
from .admin import (
    UNASSIGNED,
    norm_codes,
    normalise_level,
)
from .coverage import _identity, _select, _weights
from .result import AnalysisResult, attach_geometry, source_notes, warn_problems

__all__ = ["DaycareResult", "daycare_coverage"]

logger = logging.getLogger("mzgeo")

# ============================================================================================
# day-care centres
# ============================================================================================
def _yes(df: pd.DataFrame, col: str) -> pd.Series:
    """Read a yes/no column as booleans (:func:`mzgeo.layers.parse_booleans`); missing or blank → False."""
    if col not in df.columns:
        return pd.Series(False, index=df.index)
    values = df[col]
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return pd.to_numeric(values, errors="coerce").fillna(0).astype(bool)
    return parse_booleans(values)[0].fillna(False).astype(bool)


def _urban_flags(villages: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Urban (True) / rural (False) per village, the column used, and problems."""
    flag = pd.Series(np.nan, index=villages.index, dtype="object")
    src = pd.Series(None, index=villages.index, dtype="object")
    if "urban" in villages.columns:
        col = villages["urban"]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            num = pd.to_numeric(col, errors="coerce")
            flag = flag.where(num.isna(), num != 0)
        else:
            parsed, _ = parse_booleans(col, "urban")
            flag = flag.mask(parsed.fillna(False).astype(bool), True).mask((~parsed).fillna(False).astype(bool), False)
        src = src.mask(flag.notna(), "urban")
    if "village_type" in villages.columns:
        vt = villages["village_type"].astype("str").str.strip()
        guess = pd.Series(np.nan, index=villages.index, dtype="object")
        guess = guess.mask(vt.isin(["社区", "community"]), True).mask(vt.isin(["村", "行政村", "village"]), False)
        use = flag.isna() & guess.notna()
        flag = flag.where(~use, guess)
        src = src.mask(use, "village_type")
    unknown = flag.isna()
    probs = make_problems(
        "unknown_urban", "村社区", villages.index[unknown],
        "无法判断城镇社区/农村（urban、village_type 缺失），按农村阈值计",
        names=villages["name"][unknown] if "name" in villages.columns else None,
    )
    return flag.fillna(False).astype(bool), src, probs


def _match_centres(dc: pd.DataFrame, vill: pd.DataFrame, village_col: str) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Find the village (index label) each centre belongs to.

    By village code, else by name (same township when both give ``unit_code``); the spatially
    nearest village when the centres have no village column.
    """
    matched = pd.Series(None, index=dc.index, dtype="object")
    method = pd.Series(None, index=dc.index, dtype="object")
    names_dc = dc["name"] if "name" in dc.columns else None
    if not len(dc) or not len(vill):
        return matched, method, concat_problems([])
    if village_col not in dc.columns:
        if "geometry" in dc.columns and "geometry" in vill.columns:
            import geopandas as gpd

            left = gpd.GeoDataFrame(geometry=dc.geometry.to_numpy(), index=dc.index, crs=dc.crs)
            right = gpd.GeoDataFrame(geometry=vill.geometry.to_numpy(), index=vill.index, crs=vill.crs)
            j = gpd.sjoin_nearest(left, right, how="left")
            j = j[~j.index.duplicated(keep="first")]
            matched = j["index_right"].reindex(dc.index).astype("object")
            method = pd.Series("最近村社区点", index=dc.index, dtype="object").where(matched.notna())
            logger.info("照料中心图层没有所在村社区列 %s，按最近村社区点匹配", village_col)
            return matched, method, concat_problems([])
        msg = f"照料中心图层没有所在村社区列 {village_col!r}，也没有几何，无法判断各村社区是否有自己的照料中心"
        raise InputError(msg)
    key = dc[village_col].astype("str").str.strip()
    key = key.mask(key.isin(["", "nan", "None", "<NA>"]))
    if "code" in vill.columns:
        vcodes = pd.Index(norm_codes(vill["code"]))
        pos = vcodes.get_indexer(norm_codes(key)) if vcodes.is_unique else np.full(len(key), -1)
        hit = pos >= 0
        matched.iloc[np.flatnonzero(hit)] = vill.index.to_numpy()[pos[hit]]
        method.iloc[np.flatnonzero(hit)] = "村社区代码"
    todo = matched.isna() & key.notna()
    probs = []
    if todo.any() and "name" in vill.columns:
        left = pd.DataFrame({"centre": dc.index[todo], "vname": key[todo].to_numpy()})
        if "unit_code" in dc.columns:
            left["u_dc"] = norm_codes(dc.loc[todo, "unit_code"]).to_numpy()
        right = pd.DataFrame({"village": vill.index, "vname": vill["name"].astype("str").str.strip().to_numpy()})
        if "unit_code" in vill.columns:
            right["u_v"] = norm_codes(vill["unit_code"]).to_numpy()
        cand = left.merge(right, on="vname", how="inner")
        if "u_dc" in cand.columns and "u_v" in cand.columns:
            same = cand["u_dc"].isna() | cand["u_v"].isna() | (cand["u_dc"] == cand["u_v"])
            cand = cand[same]
        n_c = cand.groupby("centre")["village"].transform("size")
        one = cand[n_c == 1]
        matched.loc[one["centre"].to_numpy()] = one["village"].to_numpy()
        method.loc[one["centre"].to_numpy()] = "村社区名称"
        amb = pd.Index(cand.loc[n_c > 1, "centre"].unique())
        probs.append(make_problems(
            "ambiguous_village", "照料中心", amb, "所在村社区名称对应多个村社区，请补充所属区划代码 unit_code",
            names=names_dc.reindex(amb) if names_dc is not None else None,
        ))
    still = dc.index[(matched.isna() & key.notna()).to_numpy()]
    still = still.difference(pd.Index(probs[0]["item"]) if probs else pd.Index([]), sort=False)
    probs.append(make_problems(
        "unmatched_village", "照料中心", still, "所在村社区与村社区图层的名称/代码都不匹配",
        names=names_dc.reindex(still) if names_dc is not None else None,
    ))
    return matched, method, concat_problems(probs)


class DaycareResult(AnalysisResult):
    """Day-care coverage of villages and communities.

    Attributes
    ----------
    villages : geopandas.GeoDataFrame
        Per village/community (input index): identity columns, ``urban``,
        ``threshold_minutes`` (urban or rural walking threshold), ``demand``, ``facility``/
        ``facility_name``/``minutes`` (nearest centre), ``covered``, ``route_status``, ``own_centres``,
        ``has_own``, ``gap`` (no centre of its own and none within reach),
        ``minutes_meal``/``covered_meal`` (nearest centre with a canteen, 老年食堂),
        ``minutes_medical``/``covered_medical`` (nearest with medical cooperation, 医养结合).
    gaps : geopandas.GeoDataFrame
        Villages with no centre of their own and none within reach.
    centres : geopandas.GeoDataFrame
        Per centre: identity columns, ``has_meal``, ``has_medical``, ``matched_village``
        (village index label), ``match_method``, ``n_points`` and ``load`` (villages and demand
        whose nearest centre it is).
    summary : pandas.DataFrame
        One row of totals (same columns as :meth:`by_unit`).
    params, problems
        See :class:`~mzgeo.analysis.result.AnalysisResult`.
    """

    title = "居家养老服务照料中心覆盖"

    @property
    def gaps(self) -> Any:
        """Villages with no centre of their own and none within the threshold."""
        return self.villages[self.villages["gap"]]

    def _values(self) -> pd.DataFrame:
        v = self.villages
        d = v["demand"].to_numpy(dtype="float64")
        return pd.DataFrame(
            {
                "n_villages": 1,
                "n_covered": v["covered"].to_numpy(dtype="int64"),
                "demand_total": d,
                "demand_covered": np.where(v["covered"], d, 0.0),
                "n_without_own": (~v["has_own"]).to_numpy(dtype="int64"),
                "n_gaps": v["gap"].to_numpy(dtype="int64"),
                "n_covered_meal": v["covered_meal"].to_numpy(dtype="int64"),
                "n_covered_medical": v["covered_medical"].to_numpy(dtype="int64"),
            }
        )

    def _centre_values(self) -> pd.DataFrame:
        c = self.centres
        return pd.DataFrame(
            {
                "n_centres": 1,
                "n_meal": c["has_meal"].to_numpy(dtype="int64"),
                "n_medical": c["has_medical"].to_numpy(dtype="int64"),
            }
        )

    @staticmethod
    def _shares(out: pd.DataFrame) -> pd.DataFrame:
        with np.errstate(divide="ignore", invalid="ignore"):
            out["share_villages_covered"] = np.where(out["n_villages"] > 0, out["n_covered"] / out["n_villages"], np.nan)
            out["share_covered"] = np.where(out["demand_total"] > 0, out["demand_covered"] / out["demand_total"], np.nan)
        return out

    _COLS = ("n_villages", "n_covered", "share_villages_covered", "demand_total", "demand_covered", "share_covered",
             "n_without_own", "n_gaps", "n_centres", "n_meal", "n_medical", "n_covered_meal", "n_covered_medical")

    def by_unit(self, units: Any = None, level: str | None = None) -> pd.DataFrame:
        """Day-care figures per unit, rolled up through the levels.

        Returns
        -------
        pandas.DataFrame
            ``code``, ``name``, ``level``, ``parent_code``, ``n_villages``, ``n_covered``,
            ``share_villages_covered``, ``demand_total``, ``demand_covered``, ``share_covered``,
            ``n_without_own``, ``n_gaps``, ``n_centres``, ``n_meal``, ``n_medical``,
            ``n_covered_meal``, ``n_covered_medical``.
        """
        units = self._units if units is None else units
        if units is None:
            msg = "请提供行政区图层 units（如 result.by_unit(townships)）"
            raise InputError(msg)
        level = self._level if level is None else level
        cache = self._cache.get(self, units, self.villages, self.centres, "村社区", level)
        tree = cache.tree
        vs = tree.rollup_sum(cache.points, self._values(), keep_unassigned=True)
        cs = tree.rollup_sum(cache.facilities, self._centre_values(), keep_unassigned=True)
        out = tree.frame(vs.index.union(cs.index, sort=False)).join(vs).join(cs).fillna(
            dict.fromkeys(list(vs.columns) + list(cs.columns), 0)
        )
        out = self._shares(out)
        out = _select(out, tree, level)
        ints = [c for c in self._COLS if c.startswith("n_")]
        out[ints] = out[ints].astype("int64")
        return out[["code", "name", "level", "parent_code", *self._COLS]].reset_index(drop=True)

    @property
    def headline(self) -> str:
        """Villages and communities covered by a day-care centre, in one Chinese sentence."""
        s = self.summary().iloc[0]
        return (f"{int(s['n_covered'])} / {int(s['n_villages'])} 个村社区有照料中心或在步行阈值内可达，"
                f"无中心且不可达 {int(s['n_gaps'])} 个；照料中心 {int(s['n_centres'])} 个")

    def summary(self) -> pd.DataFrame:
        """Totals over all villages and centres."""
        out = pd.DataFrame([self._values().sum().to_dict() | self._centre_values().sum().to_dict()])
        if not len(self.centres):
            out[["n_centres", "n_meal", "n_medical"]] = 0
        out = self._shares(out)[list(self._COLS)]
        ints = [c for c in self._COLS if c.startswith("n_")]
        out[ints] = out[ints].astype("int64")
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """Sheets: 汇总, (分区统计), 村社区覆盖, 无中心且不可达, 照料中心."""
        out: dict[str, pd.DataFrame] = {"汇总": self.summary()}
        if self._units is not None:
            out["分区统计"] = self.by_unit()
        out["村社区覆盖"] = pd.DataFrame(self.villages).drop(columns="geometry", errors="ignore")
        out["无中心且不可达"] = pd.DataFrame(self.gaps).drop(columns="geometry", errors="ignore")
        out["照料中心"] = pd.DataFrame(self.centres).drop(columns="geometry", errors="ignore")
        return out

    def layers(self) -> dict[str, Any]:
        """Layers: ``daycare_villages``, ``daycare_gaps``, ``daycare_centres`` (+ ``daycare_units``)."""
        out = {"daycare_villages": self.villages, "daycare_gaps": self.gaps, "daycare_centres": self.centres}
        if self._units is not None and hasattr(self._units, "geometry"):
            tree = self._cache.get(self, self._units, self.villages, self.centres, "村社区").tree
            tab = self.by_unit()
            out["daycare_units"] = tree.with_geometry(tab[tab["code"] != UNASSIGNED].set_index("code", drop=False))
        return out


def daycare_coverage(
    daycare: Any,
    villages: Any,
    *,
    network: Any = None,
    cost: pd.DataFrame | None = None,
    minutes_urban: float | None = None,
    minutes_rural: float | None = None,
    weight_col: str | None = "elderly",
    units: Any = None,
    level: str | None = None,
    village_col: str = "village",
    partition: Any = None,
    executor: Any = None,
) -> DaycareResult:
    """Coverage of villages and communities by day-care centres (居家养老服务照料中心).

    A village is covered when its nearest centre is within the walking threshold: urban
    communities ``minutes_urban`` (15-minute elderly-care circle), rural villages
    ``minutes_rural`` (20), told apart by ``urban`` (是/否, 1/0, 城镇/农村) or else by
    ``village_type`` (社区 = urban, 村 = rural). A centre belongs to the village named in its
    ``village`` column (matched by village code, else by name within the same township).

    Parameters
    ----------
    network : mzgeo.Network or None
        Walking network (elderly speed); ``None`` when ``cost`` is given.
    daycare : geopandas.GeoDataFrame
        Canonical day-care layer (``name``; ``village``, ``unit_code``, ``has_meal``,
        ``has_medical`` optional).
    villages : geopandas.GeoDataFrame
        Canonical villages layer (``name``, ``code``, ``unit_code``, ``urban`` or
        ``village_type``, ``elderly``).
    minutes_urban, minutes_rural : float, optional
        Walking thresholds (minutes); defaults ``settings.daycare_minutes_urban`` (15) and
        ``settings.daycare_minutes_rural`` (20).
    cost : pandas.DataFrame, optional
        Long-form cost table instead of a network (``origin`` = village index,
        ``destination`` = centre index, ``minutes``).
    weight_col : str or None
        Demand column for the demand-weighted shares (``"elderly"``); None counts villages.
    units : geopandas.GeoDataFrame or pandas.DataFrame, optional
        Units for :meth:`~DaycareResult.by_unit` and the Excel output.
    level : str, optional
        Default level of the per-unit table.
    village_col : str
        Column of ``daycare`` naming the village/community of each centre.
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
    DaycareResult

    Raises
    ------
    InputError
        Bad thresholds, missing columns.
    CRSError
        A layer without CRS (geographic or mixed-CRS layers are projected, :func:`mzgeo.crs.analysis_layers`).
    """
    mu = float(settings.daycare_minutes_urban if minutes_urban is None else minutes_urban)
    mr = float(settings.daycare_minutes_rural if minutes_rural is None else minutes_rural)
    parse_minutes([mu, mr], "minutes_urban/minutes_rural")
    check_frame(daycare, "照料中心图层", geometry=False)
    check_frame(villages, "村社区图层", geometry=False)
    _, (daycare, villages, units) = check_crs(("照料中心图层", daycare), ("村社区图层", villages), ("行政区图层", units))
    dc = as_points(daycare, "照料中心图层")
    vill = as_points(villages, "村社区图层")
    p_loc: list[pd.DataFrame] = []
    if network is not None:  # travel times on the network need a location; a cost table does not
        (dc, p_a), (vill, p_b) = located(dc, "照料中心"), located(vill, "村社区")
        p_loc = [p_a, p_b]
    if weight_col is not None and weight_col not in vill.columns:
        logger.info("村社区图层没有 %s 列，按村社区个数计", weight_col)
        weight_col = None
    dvals, p_w = _weights(vill, weight_col, "村社区")
    urban, _src, p_u = _urban_flags(vill)
    meal = _yes(dc, "has_meal")
    medical = _yes(dc, "has_medical")
    near = nearest(vill, dc, network=network, cost=cost, partition=partition, executor=executor, within_minutes=max(mu, mr))
    with quiet_repeat():
        near_meal = nearest(vill, dc, network=network, cost=cost, supply_mask=meal.to_numpy(), partition=partition, executor=executor,
                            within_minutes=max(mu, mr))
        near_med = nearest(vill, dc, network=network, cost=cost, supply_mask=medical.to_numpy(), partition=partition, executor=executor,
                           within_minutes=max(mu, mr))
    thr = np.where(urban, mu, mr)
    out = _identity(vill)
    out["urban"] = urban.to_numpy()
    out["threshold_minutes"] = thr
    out["demand"] = dvals.to_numpy(dtype="float64")
    out["facility"] = near["facility"]
    out["facility_name"] = (dc["name"].reindex(pd.Index(near["facility"])).to_numpy()
                            if "name" in dc.columns else near["facility"])
    out["minutes"] = near["minutes"].to_numpy(dtype="float64")
    out["covered"] = np.nan_to_num(out["minutes"].to_numpy(dtype="float64"), nan=np.inf) <= thr
    out["route_status"] = near["route_status"].to_numpy()
    matched, method, p_m = _match_centres(dc, vill, village_col)
    own = matched.dropna().value_counts().reindex(vill.index, fill_value=0)
    out["own_centres"] = own.to_numpy(dtype="int64")
    out["has_own"] = out["own_centres"] > 0
    out["gap"] = ~out["has_own"] & ~out["covered"]
    out["minutes_meal"] = near_meal["minutes"].to_numpy(dtype="float64")
    out["covered_meal"] = np.nan_to_num(out["minutes_meal"].to_numpy(dtype="float64"), nan=np.inf) <= thr
    out["minutes_medical"] = near_med["minutes"].to_numpy(dtype="float64")
    out["covered_medical"] = np.nan_to_num(out["minutes_medical"].to_numpy(dtype="float64"), nan=np.inf) <= thr
    out = attach_geometry(out, vill)
    centres = _identity(dc)
    centres["has_meal"] = meal.to_numpy()
    centres["has_medical"] = medical.to_numpy()
    centres["matched_village"] = matched.to_numpy()
    centres["match_method"] = method.to_numpy()
    load = pd.DataFrame({"f": near["facility"].to_numpy(), "n_points": 1, "load": out["demand"].to_numpy()})
    load = load[load["f"].notna()].groupby("f")[["n_points", "load"]].sum().reindex(dc.index, fill_value=0)
    centres["n_points"] = load["n_points"].to_numpy(dtype="int64")
    centres["load"] = load["load"].to_numpy(dtype="float64")
    centres = attach_geometry(centres, dc)
    problems = concat_problems([*p_loc, p_w, p_u, p_m])
    warn_problems(problems)
    params = {
        "rule": f"每个村（社区）一处照料中心；老年人步行可达：城镇社区 ≤ {mu:g} 分钟，农村 ≤ {mr:g} 分钟",
        "minutes_urban": mu,
        "minutes_rural": mr,
        "weight": weight_col or "按村社区计数",
        **describe_source(network, cost),
        "n_centres": len(dc),
        "n_villages": len(vill),
    }
    result = DaycareResult(params, problems, source_notes(daycare, villages), units=units,
                           level=normalise_level(level), villages=out, centres=centres)
    if units is not None:
        result._cache.get(result, units, result.villages, result.centres, "村社区", result._level)
    return result
