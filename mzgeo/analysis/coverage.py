"""Service coverage: who reaches a facility within a travel time, and where the gaps are.

:func:`coverage` works for any facility kind (shelters, day-care centres, institutions,
cemeteries): the nearest facility of every demand point on the road network (or from a cost
table), covered or not, rolled up by administrative unit, with the uncovered points grouped into
gap clusters and the demand load of each facility. The day-care rules are in
:mod:`mzgeo.analysis.daycare`.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from .. import settings
from ..errors import InputError
from ..io.checks import (
    as_points,
    check_crs,
    check_frame,
    concat_problems,
    located,
    make_problems,
    numeric_column,
    parse_minutes,
)
from ..network.cost import describe_source, nearest
from .admin import (
    UNASSIGNED,
    AssignmentCache,
    UnitTree,
    normalise_level,
    weighted_quantile_by_group,
)
from .result import AnalysisResult, attach_geometry, source_notes, warn_problems

__all__ = ["CoverageResult", "coverage"]

logger = logging.getLogger("mzgeo")


_ID_COLS = ("name", "code", "unit_code", "village", "village_type", "urban", "tier")


def _identity(df: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(df[[c for c in _ID_COLS if c in df.columns]]).copy()


def _weights(dem: pd.DataFrame, weight: str | None, layer: str) -> tuple[pd.Series, pd.DataFrame]:
    if weight is None:
        return pd.Series(1.0, index=dem.index), concat_problems([])
    if weight not in dem.columns:
        msg = f"{layer} 缺少需求权重列 {weight!r}；可用 weight_col='elderly'、'population' 或 None（按点计数）"
        raise InputError(msg)
    return numeric_column(dem, weight, layer)


def _select(table: pd.DataFrame, tree: UnitTree, level: Any) -> pd.DataFrame:
    """Rows of one level (plus the unassigned row, so totals still add up)."""
    if level is None:
        return table
    keep = tree.select(level).append(pd.Index([UNASSIGNED]))
    return table[table.index.isin(keep)]


def _point_stats(
    tree: UnitTree,
    unit: pd.Series,
    demand: np.ndarray,
    minutes: np.ndarray,
    threshold: float,
) -> pd.DataFrame:
    """Coverage figures per unit over its subtree (and the unassigned pseudo-unit)."""
    reach = ~np.isnan(minutes)
    cov = reach & (np.nan_to_num(minutes, nan=np.inf) <= threshold)
    m0 = np.where(reach, minutes, 0.0)
    vals = pd.DataFrame(
        {
            "n_points": np.ones(len(demand), dtype="int64"),
            "demand_total": demand,
            "demand_covered": np.where(cov, demand, 0.0),
            "demand_unreachable": np.where(reach, 0.0, demand),
            "_wm": demand * m0,
            "_wr": np.where(reach, demand, 0.0),
        }
    )
    sums = tree.rollup_sum(unit, vals, keep_unassigned=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        sums["share_covered"] = np.where(sums["demand_total"] > 0, sums["demand_covered"] / sums["demand_total"], np.nan)
        sums["mean_minutes"] = np.where(sums["_wr"] > 0, sums["_wm"] / sums["_wr"], np.nan)
    pairs = tree.expand(unit, keep_unassigned=True)
    pos = pairs["pos"].to_numpy()
    p90 = weighted_quantile_by_group(pairs["ancestor"].to_numpy(), minutes[pos], demand[pos], 0.9)
    sums["p90_minutes"] = p90.reindex(sums.index).astype("float64")
    return sums.drop(columns=["_wm", "_wr"])


class CoverageResult(AnalysisResult):
    """Coverage of demand points by facilities within travel-time thresholds.

    The coverage threshold is the largest of ``minutes``; :meth:`curve` gives every threshold.

    Attributes
    ----------
    points : geopandas.GeoDataFrame
        Per demand point (input index and identity columns): ``demand`` (weight: persons, or
        1 per point), ``facility`` (index label of the nearest facility, NA when none can be
        reached), ``facility_name``, ``minutes`` (travel time to it, NaN when unreachable),
        ``covered`` (minutes ≤ threshold), ``route_status`` (正常, 不可达, 距道路过远...),
        geometry.
    uncovered : geopandas.GeoDataFrame
        The uncovered points with ``cluster`` (gap cluster id, 1 = most demand).
    gap_clusters : geopandas.GeoDataFrame
        One row per gap cluster: ``cluster``, ``n_points``, ``demand``, ``x_m``/``y_m``
        (demand-weighted centre, CRS units), ``members`` (names of the first 20 points),
        polygon = convex hull of the points buffered by half the cluster radius.
    per_facility : geopandas.GeoDataFrame
        Per facility (input index): identity columns, ``n_points`` and ``load`` (demand whose
        nearest facility it is), ``load_covered`` (of which within the threshold) and, when
        a capacity column exists, ``capacity`` and ``load_ratio`` (load ÷ capacity).
    thresholds : tuple of float
        All thresholds (minutes), ascending.
    threshold : float
        The coverage threshold (largest of ``thresholds``).
    params, problems
        See :class:`~mzgeo.analysis.result.AnalysisResult`.
    """

    title = "设施覆盖分析"

    # ------------------------------------------------------------------------------------
    def _assigned(self, units: Any, level: Any = None) -> AssignmentCache:
        units = self._units if units is None else units
        if units is None:
            msg = "请提供行政区图层 units（如 result.by_unit(townships)）"
            raise InputError(msg)
        return self._cache.get(self, units, self.points, self._facilities, "需求点", level)

    def by_unit(self, units: Any = None, level: str | None = None, minutes: float | None = None) -> pd.DataFrame:
        """Coverage per administrative unit, rolled up through the levels.

        A demand point belongs to the unit named by its ``unit_code`` when known, else to the
        deepest unit polygon containing it. Every unit's figures cover its whole subtree, so
        a county equals the sum of its townships (plus points assigned to it directly).
        Points in no unit are summed in a last row 未匹配.

        Parameters
        ----------
        units : geopandas.GeoDataFrame or pandas.DataFrame, optional
            Units layer (``code``; ``parent_code``/``level`` for several levels); default the
            one given to :func:`coverage`.
        level : str, optional
            Only units of this level (市/区县/乡镇街道/村社区).
        minutes : float, optional
            Threshold (minutes); default the coverage threshold.

        Returns
        -------
        pandas.DataFrame
            ``code``, ``name``, ``level``, ``parent_code``, ``n_points``, ``demand_total``,
            ``demand_covered``, ``share_covered`` (0-1), ``demand_unreachable``,
            ``mean_minutes`` and ``p90_minutes`` (demand-weighted, over the points that can
            reach a facility), ``n_facilities`` (facilities located in the unit).
        """
        t = self.threshold if minutes is None else float(minutes)
        level = self._level if level is None else level
        cache = self._assigned(units, level)
        tree = cache.tree
        stats = _point_stats(
            tree, cache.points, self.points["demand"].to_numpy(dtype="float64"),
            self.points["minutes"].to_numpy(dtype="float64"), t,
        )
        fac = tree.rollup_sum(
            cache.facilities, pd.DataFrame({"n_facilities": np.ones(len(cache.facilities), dtype="int64")}),
            keep_unassigned=True,
        )
        out = tree.frame(stats.index).join(stats).join(fac)
        out["n_facilities"] = out["n_facilities"].fillna(0).astype("int64")
        out = _select(out, tree, level)
        cols = ["code", "name", "level", "parent_code", "n_points", "demand_total", "demand_covered",
                "share_covered", "demand_unreachable", "mean_minutes", "p90_minutes", "n_facilities"]
        return out[cols].reset_index(drop=True)

    def curve(self, units: Any = None, level: str | None = None) -> pd.DataFrame:
        """Coverage curve: share of demand covered at every threshold.

        Parameters
        ----------
        units : geopandas.GeoDataFrame or pandas.DataFrame, optional
            Units layer; without units (and none given to :func:`coverage`) one curve for all.
        level : str, optional
            Only units of this level.

        Returns
        -------
        pandas.DataFrame
            Long form: (``code``, ``name``, ``level``, ``parent_code`` with units),
            ``threshold_minutes``, ``demand_total``, ``demand_covered``, ``share_covered``.
        """
        if units is None and self._units is None:
            return self.summary()
        parts = []
        for t in self.thresholds:
            tab = self.by_unit(units, level, minutes=t)[
                ["code", "name", "level", "parent_code", "demand_total", "demand_covered", "share_covered"]
            ]
            tab.insert(4, "threshold_minutes", t)
            parts.append(tab)
        out = pd.concat(parts, ignore_index=True)
        order = pd.Index(out["code"].drop_duplicates())
        out["_o"] = order.get_indexer(out["code"])
        return out.sort_values(["_o", "threshold_minutes"], kind="mergesort").drop(columns="_o").reset_index(drop=True)

    @property
    def headline(self) -> str:
        """Share of the demand within the coverage threshold, in one Chinese sentence."""
        s = self.summary().iloc[-1]
        share = "—" if pd.isna(s["share_covered"]) else f"{s['share_covered']:.1%}"
        return (f"{self.threshold:g} 分钟内可达设施的需求 {s['demand_covered']:,.0f} / {s['demand_total']:,.0f}"
                f"（{share}），缺口片区 {len(self.gap_clusters)} 个")

    def summary(self) -> pd.DataFrame:
        """Overall coverage at each threshold (same as ``curve()`` without units)."""
        d = self.points["demand"].to_numpy(dtype="float64")
        m = self.points["minutes"].to_numpy(dtype="float64")
        out = []
        total = float(d.sum())
        for t in self.thresholds:
            cov = float(d[np.nan_to_num(m, nan=np.inf) <= t].sum())
            out.append((t, total, cov, cov / total if total > 0 else np.nan))
        return pd.DataFrame(out, columns=["threshold_minutes", "demand_total", "demand_covered", "share_covered"])

    # ------------------------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """Sheets: 需求点覆盖, 未覆盖需求点, 缺口片区, 设施服务量, 覆盖率曲线, and with units 分区覆盖."""
        out: dict[str, pd.DataFrame] = {}
        if self._units is not None:
            out["分区覆盖"] = self.by_unit()
        out["覆盖率曲线"] = self.curve() if self._units is not None else self.summary()
        out["需求点覆盖"] = pd.DataFrame(self.points).drop(columns="geometry", errors="ignore")
        out["未覆盖需求点"] = pd.DataFrame(self.uncovered).drop(columns="geometry", errors="ignore")
        out["缺口片区"] = pd.DataFrame(self.gap_clusters).drop(columns="geometry", errors="ignore")
        out["设施服务量"] = pd.DataFrame(self.per_facility).drop(columns="geometry", errors="ignore")
        return out

    def layers(self) -> dict[str, Any]:
        """Layers: ``coverage_points``, ``uncovered``, ``gap_clusters``, ``facilities``.

        With polygon units also ``coverage_units``.
        """
        out = {
            "coverage_points": self.points,
            "uncovered": self.uncovered,
            "gap_clusters": self.gap_clusters,
            "facilities": self.per_facility,
        }
        if self._units is not None and hasattr(self._units, "geometry"):
            tree = self._assigned(None).tree
            tab = self.by_unit()
            tab = tab[tab["code"] != UNASSIGNED].set_index("code", drop=False)
            out["coverage_units"] = tree.with_geometry(tab)
        return out


def _gap_clusters(points: Any, radius: float) -> tuple[Any, Any]:
    """Uncovered points with cluster ids, and one polygon per cluster."""
    import geopandas as gpd
    import shapely

    unc = points[~points["covered"].to_numpy(dtype=bool)].copy()
    cols = ["cluster", "n_points", "demand", "x_m", "y_m", "members"]
    has_geom = hasattr(points, "geometry") and "geometry" in points.columns
    if not has_geom:
        unc["cluster"] = pd.array([pd.NA] * len(unc), dtype="Int64")
        return unc, pd.DataFrame({c: [] for c in cols})
    empty = gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=points.crs)
    ok = unc.geometry.notna() & ~unc.geometry.is_empty
    if not ok.any():
        unc["cluster"] = pd.array([pd.NA] * len(unc), dtype="Int64")
        return unc, empty
    sub = unc[ok]
    xy = shapely.get_coordinates(sub.geometry.to_numpy())
    n = len(xy)
    pairs = cKDTree(xy).query_pairs(radius, output_type="ndarray")
    adj = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)) if len(pairs) else sparse.coo_matrix((n, n))
    _, comp = connected_components(adj, directed=False)
    d = sub["demand"].to_numpy(dtype="float64")
    dem_c = np.bincount(comp, weights=d)
    cnt_c = np.bincount(comp)
    # cluster 1 = most demand (ties: more points, then first seen)
    rank = np.lexsort((np.arange(len(dem_c)), -cnt_c, -dem_c))
    new_id = np.empty_like(rank)
    new_id[rank] = np.arange(1, len(rank) + 1)
    cid = new_id[comp]
    cluster = pd.Series(pd.NA, index=unc.index, dtype="Int64")
    cluster[sub.index] = cid
    unc["cluster"] = cluster
    k = len(dem_c)
    wsum = np.bincount(cid - 1, weights=d, minlength=k)
    cnt = np.bincount(cid - 1, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        cx = np.where(wsum > 0, np.bincount(cid - 1, weights=d * xy[:, 0], minlength=k) / wsum,
                      np.bincount(cid - 1, weights=xy[:, 0], minlength=k) / cnt)
        cy = np.where(wsum > 0, np.bincount(cid - 1, weights=d * xy[:, 1], minlength=k) / wsum,
                      np.bincount(cid - 1, weights=xy[:, 1], minlength=k) / cnt)
    order = np.argsort(cid, kind="stable")
    multi = shapely.multipoints(xy[order], indices=cid[order] - 1)
    hulls = shapely.buffer(shapely.convex_hull(multi), radius / 2.0)
    names = (sub["name"] if "name" in sub.columns else pd.Series(sub.index, index=sub.index)).astype("str")
    members = names.groupby(cid).agg(lambda s: "、".join(s.head(20)) + ("等" if len(s) > 20 else ""))
    clusters = gpd.GeoDataFrame(
        {
            "cluster": np.arange(1, k + 1),
            "n_points": cnt,
            "demand": wsum,
            "x_m": cx,
            "y_m": cy,
            "members": members.reindex(np.arange(1, k + 1)).to_numpy(),
        },
        geometry=hulls,
        crs=points.crs,
    )
    return unc, clusters


def _per_facility(points: pd.DataFrame, facilities: pd.DataFrame, capacity: pd.Series | None) -> Any:
    """Demand load of each facility (as nearest facility), against capacity."""
    out = _identity(facilities)
    has = points["facility"].notna()
    grp = pd.DataFrame(
        {
            "facility": points.loc[has, "facility"].to_numpy(),
            "n_points": 1,
            "load": points.loc[has, "demand"].to_numpy(dtype="float64"),
            "load_covered": np.where(points.loc[has, "covered"], points.loc[has, "demand"], 0.0).astype("float64"),
        }
    ).groupby("facility").sum()
    grp = grp.reindex(facilities.index, fill_value=0)
    out["n_points"] = grp["n_points"].astype("int64").to_numpy()
    out["load"] = grp["load"].to_numpy(dtype="float64")
    out["load_covered"] = grp["load_covered"].to_numpy(dtype="float64")
    if capacity is not None:
        cap = capacity.reindex(facilities.index).astype("float64")
        out["capacity"] = cap.to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            out["load_ratio"] = np.where(cap > 0, out["load"] / cap, np.nan)
    return attach_geometry(out, facilities)


def coverage(
    facilities: Any,
    demand: Any,
    *,
    network: Any = None,
    cost: pd.DataFrame | None = None,
    minutes: float | list[float],
    weight_col: str | None = "elderly",
    units: Any = None,
    level: str | None = None,
    capacity_col: str | None = None,
    cluster_radius_m: float | None = None,
    partition: Any = None,
    executor: Any = None,
) -> CoverageResult:
    """Coverage of demand points by facilities within a travel time (one or several thresholds).

    Parameters
    ----------
    network : mzgeo.Network or None
        Road network (walk or drive); ``None`` when ``cost`` is given.
    facilities : geopandas.GeoDataFrame
        Facilities (any kind), any CRS (see :func:`mzgeo.crs.analysis_layers`); non-point geometries use a representative point.
    demand : geopandas.GeoDataFrame
        Demand points (e.g. villages), any declared CRS, unique index.
    minutes : float or list of float
        Threshold(s) in minutes; with several (``[5, 10, 15, 20]``) the largest is the
        coverage threshold and :meth:`CoverageResult.curve` gives every one.
    weight_col : str or None
        Demand column (``"elderly"``, ``"population"``...) or None to count points.
    cost : pandas.DataFrame, optional
        Long-form cost table (``origin`` = demand index, ``destination`` = facility index,
        ``minutes``) instead of a network; absent pairs are unreachable.
    units : geopandas.GeoDataFrame or pandas.DataFrame, optional
        Units for :meth:`~CoverageResult.by_unit` and the Excel output.
    level : str, optional
        Default level of the per-unit tables.
    capacity_col : str, optional
        Facility capacity column for ``per_facility.load_ratio``; default ``capacity`` when
        the layer has it.
    cluster_radius_m : float, optional
        Uncovered points closer than this (metres) join one gap cluster; default
        ``settings.gap_cluster_radius_m`` (1,500 m).
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
    CoverageResult

    Raises
    ------
    InputError
        Bad thresholds, missing weight_col column, negative weights, neither/both of network and
        cost.
    CRSError
        A layer without CRS (geographic or mixed-CRS layers are projected, :func:`mzgeo.crs.analysis_layers`).

    Examples
    --------
    >>> import mzgeo
    >>> demo = mzgeo.load_demo()
    >>> walk = mzgeo.Network.from_lines(demo.roads, mode="walk")
    >>> res = coverage(demo.daycare, demo.villages, network=walk, minutes=[5, 10, 15, 20], weight_col="elderly")
    >>> res.headline
    '20 分钟内可达设施的需求 570,501 / 638,669（89.3%），缺口片区 144 个'
    >>> res.by_unit(demo.units_township, level="区县")["share_covered"].round(3).tolist()
    [0.924, 0.928, 0.844, 0.909, 0.847]
    """
    thresholds = parse_minutes(minutes)
    check_frame(facilities, "设施图层", geometry=False)
    check_frame(demand, "需求点图层", geometry=False)
    _, (facilities, demand, units) = check_crs(("设施图层", facilities), ("需求点图层", demand), ("行政区图层", units))
    radius = float(
        cluster_radius_m if cluster_radius_m is not None
        else settings.gap_cluster_radius_m
    )
    if not radius > 0:
        msg = f"cluster_radius_m 应为正数（米），实际为 {cluster_radius_m!r}"
        raise InputError(msg)
    lv = normalise_level(level)
    fac = as_points(facilities, "设施图层")
    dem = as_points(demand, "需求点图层")
    p_loc: list[pd.DataFrame] = []
    if network is not None:  # travel times on the network need a location; a cost table does not
        (fac, p_a), (dem, p_b) = located(fac, "设施"), located(dem, "需求点")
        p_loc = [p_a, p_b]
    dvals, p_w = _weights(dem, weight_col, "需求点")
    capacity = None
    cap_col = capacity_col if capacity_col is not None else ("capacity" if "capacity" in fac.columns else None)
    p_cap = None
    if cap_col is not None:
        capacity, p_cap = numeric_column(fac, cap_col, "设施", fill=np.nan)
    near = nearest(dem, fac, network=network, cost=cost, partition=partition, executor=executor,
                   within_minutes=max(thresholds))
    pts = _identity(dem)
    pts["demand"] = dvals.to_numpy()
    pts["facility"] = near["facility"]
    if "name" in fac.columns:
        pts["facility_name"] = fac["name"].reindex(pd.Index(near["facility"])).to_numpy()
    else:
        pts["facility_name"] = near["facility"].astype("str").where(near["facility"].notna())
    pts["minutes"] = near["minutes"].to_numpy(dtype="float64")
    pts["covered"] = (pts["minutes"] <= thresholds[-1]).fillna(False).astype(bool)
    pts["route_status"] = near["route_status"].to_numpy()
    pts = attach_geometry(pts, dem)
    n_unreach = int(pts["minutes"].isna().sum())
    p_unreach = None
    if n_unreach and len(fac):
        logger.info("%d 个需求点无法到达任何设施（不在路网上、路网不连通或成本表无记录）", n_unreach)
        no = pts["minutes"].isna().to_numpy()
        p_unreach = make_problems(
            "unreachable", "需求点", pts.index[no],
            ("无法到达任何设施（" + pts["route_status"][no].astype("str") + "），出行时间为空，计为未覆盖").to_numpy(),
            names=pts["name"][no] if "name" in pts.columns else None,
        )
    problems = concat_problems([*p_loc, p_w, p_cap, p_unreach])
    warn_problems(problems)
    params: dict[str, Any] = {
        "rule": f"出行时间 ≤ {thresholds[-1]:g} 分钟视为覆盖（最近设施）",
        "minutes": list(thresholds),
        "weight": weight_col or "按点计数",
        **describe_source(network, cost),
        "cluster_radius_m": radius,
        "capacity_col": cap_col or "无",
        "n_facilities": len(fac),
        "n_demand": len(dem),
    }
    uncovered, gap_clusters = _gap_clusters(pts, radius)
    result = CoverageResult(
        params, problems, source_notes(facilities, demand), units=units, level=lv,
        points=pts, thresholds=thresholds, threshold=thresholds[-1], _facilities=fac, cluster_radius_m=radius,
        uncovered=uncovered, gap_clusters=gap_clusters, per_facility=_per_facility(pts, fac, capacity),
    )
    if units is not None:  # assign now, so .problems is complete from the start
        result._assigned(units, lv)
    return result
