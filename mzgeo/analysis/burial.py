"""Burial (殡葬): cemetery coverage of townships, and the 三沿五区 no-burial-zone check.

:func:`cemetery_coverage` checks the practice rule "at least one public-welfare cemetery or
ashes hall (公益性公墓/骨灰堂) per township, within reach", with the capacity remaining.

:func:`burial_zone_check` finds graves (or cemetery sites) in the no-burial zones of
殡葬管理条例 Art. 10 and the 三沿五区 clean-up campaign: within a buffer of railways, highways /
main roads and main rivers (三沿; the buffer per line class is a parameter, official texts say
"visible from the line"), or inside zone polygons (五区: industrial parks, development zones,
scenic areas, heritage areas, water-source protection areas; other no-burial zones too), and
lays them out per village as the clean-up ledger (台账).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
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
)
from ..layers import VALUE_ALIASES
from ..network.cost import cost_matrix, describe_source, nearest, pairs, quiet_repeat
from .admin import UNASSIGNED, UnitTree, norm_codes
from .result import AnalysisResult, attach_geometry, source_notes, warn_problems

__all__ = [
    "PUBLIC_CEMETERY_TYPES",
    "BurialCheckResult",
    "CemeteryResult",
    "burial_zone_check",
    "cemetery_coverage",
]

logger = logging.getLogger("mzgeo")

#: Cemetery types that count for township coverage (公益性公墓 and 骨灰堂).
PUBLIC_CEMETERY_TYPES: tuple[str, ...] = ("公益性公墓", "骨灰堂")

#: Keywords of zone types that belong to the 五区 (others are reported as 禁葬区).
FIVE_ZONE_KEYWORDS: tuple[str, ...] = ("工业园", "工业区", "开发区", "风景", "景区", "名胜", "文物", "文保", "遗址", "水源")

#: Line class assumed for a layer whose class column is missing or holds classes absent from the
#: buffers (e.g. 普速铁路/高速铁路), by layer kind, dict key / file stem, or class column.
_KIND_CLASS = {"railways": "铁路", "rivers": "主要河道"}
_KEY_CLASS = {"railways": "铁路", "railway": "铁路", "rail": "铁路", "rails": "铁路", "铁路": "铁路",
              "rivers": "主要河道", "river": "主要河道", "河流": "主要河道", "河道": "主要河道", "主要河道": "主要河道"}
_COL_CLASS = {"rail_class": "铁路", "river_class": "主要河道"}
_CLASS_COLS = ("road_class", "rail_class", "river_class", "line_class", "class")


# ============================================================================================
# cemetery coverage
# ============================================================================================
class CemeteryResult(AnalysisResult):
    """Coverage of townships by public-welfare cemeteries and ashes halls.

    Attributes
    ----------
    townships : pandas.DataFrame
        Per unit of the chosen level: ``code``, ``name``, ``level``, ``parent_code``,
        ``n_public`` (public cemeteries/ashes halls in the unit), ``capacity``, ``used``,
        ``remaining`` (graves/niches, of those in the unit), ``n_points``, ``demand_total``,
        ``demand_covered``, ``share_covered``, ``mean_minutes``, ``n_reachable`` (public
        cemeteries within the limit of any demand point of the unit), ``remaining_reachable``
        (their remaining capacity), ``status``.
    cemeteries : geopandas.GeoDataFrame
        Per cemetery: identity columns, ``cemetery_type``, ``is_public``, ``capacity``,
        ``used``, ``remaining``, ``unit``.
    points : geopandas.GeoDataFrame
        Demand points (township representative points, or the villages given) with their
        township (``unit``), nearest public cemetery and minutes, ``covered``.
    unserved : pandas.DataFrame
        Townships without a public cemetery of their own and not fully within reach of one.
    params, problems
        See :class:`~mzgeo.analysis.result.AnalysisResult`.
    """

    title = "公益性公墓/骨灰堂覆盖"

    @property
    def headline(self) -> str:
        """Townships without a public cemetery and not within reach of one, in one Chinese sentence."""
        return (f"{len(self.townships)} 个乡镇街道中 {len(self.unserved)} 个既无公益性公墓（骨灰堂）"
                f"也未全部在 {self.params['minutes']:g} 分钟内可达")

    def summary(self) -> pd.DataFrame:
        """One row: ``n_townships``, ``n_unserved``, ``n_cemeteries``, ``demand_total``, ``demand_covered``."""
        t = self.townships
        return pd.DataFrame([{"n_townships": len(t), "n_unserved": len(self.unserved),
                              "n_cemeteries": len(self.cemeteries), "demand_total": float(t["demand_total"].sum()),
                              "demand_covered": float(t["demand_covered"].sum())}])

    @property
    def unserved(self) -> pd.DataFrame:
        """Townships with no public cemetery of their own and not fully covered."""
        t = self.townships
        return t[(t["n_public"] == 0) & ~(t["share_covered"] >= 1.0 - 1e-12)]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Sheets: 乡镇覆盖, 未覆盖乡镇, 公墓骨灰堂, 需求点."""
        return {
            "乡镇覆盖": self.townships,
            "未覆盖乡镇": self.unserved,
            "公墓骨灰堂": pd.DataFrame(self.cemeteries).drop(columns="geometry", errors="ignore"),
            "需求点": pd.DataFrame(self.points).drop(columns="geometry", errors="ignore"),
        }

    def layers(self) -> dict[str, Any]:
        """Layers: ``cemetery_units`` (polygons), ``cemeteries``, ``cemetery_points``."""
        tab = self.townships[self.townships["code"] != UNASSIGNED].set_index("code", drop=False)
        return {
            "cemetery_units": self._tree.with_geometry(tab),
            "cemeteries": self.cemeteries,
            "cemetery_points": self.points,
        }


def _cemetery_types(cem: pd.DataFrame) -> pd.Series:
    raw = cem["cemetery_type"].astype("str").str.strip()
    amap = VALUE_ALIASES["cemetery_type"]
    return raw.map(amap).fillna(raw.str.lower().map(amap)).fillna(raw).astype("object")


def cemetery_coverage(
    cemeteries: Any,
    units: Any,
    *,
    network: Any = None,
    cost: pd.DataFrame | None = None,
    minutes: float | None = None,
    demand: Any = None,
    weight_col: str | None = "population",
    types: Sequence[str] | None = None,
    level: str | None = None,
    partition: Any = None,
    executor: Any = None,
) -> CemeteryResult:
    """Township coverage by public-welfare cemeteries and ashes halls, with capacity remaining.

    Each township is represented by its polygon's representative point (or, with
    ``demand``, by its villages, weighted by ``weight_col``). A township is served when it has a
    public cemetery or ashes hall of its own, or when all its demand is within ``minutes``
    of one.

    Parameters
    ----------
    network : mzgeo.Network or None
        Road network (usually ``mode="drive"``); ``None`` when ``cost`` is given.
    cemeteries : geopandas.GeoDataFrame
        Canonical cemeteries layer (``cemetery_type``, ``capacity``, ``used``).
    units : geopandas.GeoDataFrame
        Units (townships, or several levels with ``level``/``parent_code``), any declared CRS.
    minutes : float, optional
        Travel-time limit (minutes); default ``settings.cemetery_minutes`` (30).
    cost : pandas.DataFrame, optional
        Long-form cost table (``origin`` = demand index, or the township ``code`` when
        ``demand`` is None; ``destination`` = cemetery index; ``minutes``).
    demand : geopandas.GeoDataFrame, optional
        Demand points (villages) instead of township representative points.
    weight_col : str or None
        Demand column of ``demand`` (``"population"``); None or absent counts points.
    types : sequence of str, optional
        Cemetery types that count; default 公益性公墓 and 骨灰堂.
    level : str, optional
        Level of the units reported (default 乡镇街道 when the layer has it, else the units
        without sub-units).
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
    CemeteryResult

    Raises
    ------
    InputError
        Bad limit, missing columns, units without geometry when ``demand`` is None.
    CRSError
        A layer without CRS (geographic or mixed-CRS layers are projected, :func:`mzgeo.crs.analysis_layers`).
    """
    limit = float(settings.cemetery_minutes if minutes is None else minutes)
    if not limit > 0:
        msg = f"minutes 应为正数（分钟），实际为 {minutes!r}"
        raise InputError(msg)
    kinds = tuple(types) if types is not None else PUBLIC_CEMETERY_TYPES
    check_frame(cemeteries, "公墓图层", geometry=False)
    check_frame(units, "行政区图层", required=["code"], geometry=False)
    _, (cemeteries, units, demand) = check_crs(("公墓图层", cemeteries), ("行政区图层", units), ("需求点图层", demand))
    tree = UnitTree(units)
    if level is not None:
        sel = tree.select(level)
    elif (tree.nodes["level"] == "乡镇街道").any():
        sel = tree.select("乡镇街道")
    else:
        sel = tree.leaves
    cem = as_points(cemeteries, "公墓图层")
    probs = []
    if network is not None:  # travel times on the network need a location; a cost table does not
        cem, p_loc = located(cem, "公墓")
        probs.append(p_loc)
    if "cemetery_type" in cem.columns:
        ctype = _cemetery_types(cem)
    else:
        ctype = pd.Series(PUBLIC_CEMETERY_TYPES[0], index=cem.index, dtype="object")
        probs.append(make_problems("no_cemetery_type", "公墓", cem.index, "公墓图层没有类型列 cemetery_type，全部按公益性公墓计",
                                   names=cem["name"] if "name" in cem.columns else None))
    public = ctype.isin(kinds).to_numpy()
    cap = pd.to_numeric(cem["capacity"], errors="coerce").astype("float64") if "capacity" in cem.columns \
        else pd.Series(np.nan, index=cem.index)
    used = pd.to_numeric(cem["used"], errors="coerce").astype("float64").fillna(0.0) if "used" in cem.columns \
        else pd.Series(0.0, index=cem.index)
    if (cap < 0).any() or (used < 0).any():
        msg = "公墓图层的 capacity/used 有负值，请更正"
        raise InputError(msg)
    remaining = (cap - used).clip(lower=0)
    over = (used > cap).fillna(False)
    names_c = cem["name"] if "name" in cem.columns else None
    probs.append(make_problems("used_over_capacity", "公墓", cem.index[over], "已使用数大于容量，剩余容量按 0 计",
                               names=names_c[over] if names_c is not None else None))
    no_cap = cap.isna().to_numpy() & public
    probs.append(make_problems("missing_capacity", "公墓", cem.index[no_cap], "容量缺失，剩余容量未计入",
                               names=names_c[no_cap] if names_c is not None else None))
    ca, p_ca = tree.assign(cem, prefer="code", layer="公墓")
    probs.append(p_ca)
    # demand points and their township
    anc = tree.ancestors[tree.ancestors["ancestor"].isin(sel)].set_index("code")["ancestor"]
    if demand is None:
        if not tree.has_geometry:
            msg = "行政区图层没有几何，无法取各乡镇的代表点；请提供 demand（村社区点）"
            raise InputError(msg)
        import geopandas as gpd

        rows = tree.nodes.loc[sel, "row"].to_numpy()
        if (rows < 0).any():
            msg = "所选级别中有单元只有代码、没有面，请提供 demand（村社区点）"
            raise InputError(msg)
        geom = units.geometry.iloc[rows].representative_point().to_numpy()
        dem = gpd.GeoDataFrame({"name": tree.nodes.loc[sel, "name"].to_numpy(), "unit_code": np.asarray(sel)},
                               geometry=geom, index=pd.Index(np.asarray(sel), name="code"), crs=units.crs)
        d_unit = pd.Series(np.asarray(sel), index=dem.index, dtype="object")
        d_w = np.ones(len(dem))
        weight_used = "每个乡镇一个代表点"
    else:
        check_frame(demand, "需求点图层", geometry=False)
        dem = as_points(demand, "需求点图层")
        if network is not None:
            dem, p_loc = located(dem, "需求点")
            probs.append(p_loc)
        da, p_da = tree.assign(dem, prefer="code", layer="需求点")
        probs.append(p_da)
        d_unit = da["unit"].map(anc).astype("object")
        if weight_col is not None and weight_col in dem.columns:
            d_w = pd.to_numeric(dem[weight_col], errors="coerce").fillna(0.0).to_numpy(dtype="float64")
            weight_used = weight_col
        else:
            d_w = np.ones(len(dem))
            weight_used = "按点计数"
    near = nearest(dem, cem, network=network, cost=cost, supply_mask=public, partition=partition, executor=executor,
                   within_minutes=limit)
    with quiet_repeat():
        matrix, _, _ = cost_matrix(dem, cem, network=network, cost=cost, cutoff_minutes=limit, partition=partition, executor=executor)
    r, c, m = pairs(matrix)
    ok = public[c]
    r, c = r[ok], c[ok]
    mins = near["minutes"].to_numpy(dtype="float64")
    covered = np.nan_to_num(mins, nan=np.inf) <= limit
    pts = pd.DataFrame(dem[[x for x in ("name", "code", "unit_code") if x in dem.columns]]).copy()
    pts["unit"] = d_unit.to_numpy()
    pts["demand"] = d_w
    pts["facility"] = near["facility"]
    pts["facility_name"] = (cem["name"].reindex(pd.Index(near["facility"])).to_numpy()
                            if names_c is not None else near["facility"])
    pts["minutes"] = mins
    pts["covered"] = covered
    pts["route_status"] = near["route_status"].to_numpy()
    pts = attach_geometry(pts, dem)
    # per township
    cem_unit = ca["unit"].map(anc)
    cem_tab = pd.DataFrame(
        {"unit": cem_unit.to_numpy(), "n_public": public.astype("int64"),
         "capacity": np.where(public, cap.fillna(0.0), 0.0), "used": np.where(public, used, 0.0),
         "remaining": np.where(public, remaining.fillna(0.0), 0.0)}
    )
    own = cem_tab.dropna(subset=["unit"]).groupby("unit")[["n_public", "capacity", "used", "remaining"]].sum()
    du = d_unit.to_numpy()
    dtab = pd.DataFrame({"unit": du, "n_points": 1, "demand_total": d_w, "demand_covered": np.where(covered, d_w, 0.0),
                         "_wm": np.where(np.isnan(mins), 0.0, mins) * d_w, "_wr": np.where(np.isnan(mins), 0.0, d_w)})
    dsum = dtab.dropna(subset=["unit"]).groupby("unit")[["n_points", "demand_total", "demand_covered", "_wm", "_wr"]].sum()
    reach = pd.DataFrame({"unit": du[r], "cem": c}).dropna().drop_duplicates()
    reach["rem"] = remaining.fillna(0.0).to_numpy()[reach["cem"].to_numpy()]
    rsum = reach.groupby("unit").agg(n_reachable=("cem", "size"), remaining_reachable=("rem", "sum"))
    out = tree.frame(sel)
    out = out.join(own).join(dsum).join(rsum)
    fill = ["n_public", "capacity", "used", "remaining", "n_points", "demand_total", "demand_covered", "_wm", "_wr",
            "n_reachable", "remaining_reachable"]
    out[fill] = out[fill].fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share_covered"] = np.where(out["demand_total"] > 0, out["demand_covered"] / out["demand_total"], np.nan)
        out["mean_minutes"] = np.where(out["_wr"] > 0, out["_wm"] / out["_wr"], np.nan)
    for col in ("n_public", "n_points", "n_reachable"):
        out[col] = out[col].astype("int64")
    full = out["share_covered"] >= 1.0 - 1e-12
    out["status"] = np.select(
        [out["n_public"] > 0, full, out["share_covered"] > 0],
        ["本乡镇有公益性公墓/骨灰堂", f"本乡镇无，{limit:g}分钟内可达", f"本乡镇无，{limit:g}分钟内部分可达"],
        default=f"本乡镇无，{limit:g}分钟内不可达",
    )
    cols = ["code", "name", "level", "parent_code", "n_public", "capacity", "used", "remaining", "n_points",
            "demand_total", "demand_covered", "share_covered", "mean_minutes", "n_reachable", "remaining_reachable",
            "status"]
    townships = out[cols].reset_index(drop=True)
    cem_out = pd.DataFrame(cem[[x for x in ("name", "code", "unit_code", "address") if x in cem.columns]]).copy()
    cem_out["cemetery_type"] = ctype.to_numpy()
    cem_out["is_public"] = public
    cem_out["capacity"] = cap.to_numpy()
    cem_out["used"] = used.to_numpy()
    cem_out["remaining"] = remaining.to_numpy()
    cem_out["unit"] = ca["unit"].to_numpy()
    cem_out = attach_geometry(cem_out, cem)
    problems = concat_problems(probs)
    warn_problems(problems)
    params = {
        "rule": "每个乡镇（街道）至少一处公益性公墓或骨灰堂；无则看时限内是否可达（实践规则）",
        "minutes": limit,
        "cemetery_types": list(kinds),
        "level": str(tree.nodes.loc[sel, "level"].dropna().iloc[0]) if tree.nodes.loc[sel, "level"].notna().any() else "末级单位",
        "demand": weight_used,
        **describe_source(network, cost),
        "n_cemeteries": len(cem),
        "n_public": int(public.sum()),
    }
    return CemeteryResult(params, problems, source_notes(cemeteries, units), townships=townships, cemeteries=cem_out,
                          points=pts, _tree=tree)


# ============================================================================================
# 三沿五区 check
# ============================================================================================
class BurialCheckResult(AnalysisResult):
    """Graves (or sites) in no-burial zones: per grave the rules broken, per village the ledger.

    Attributes
    ----------
    violations : pandas.DataFrame
        One row per grave and rule broken: ``point`` (input index label), ``grave_id``,
        ``village``, ``unit_code``, ``rule`` (e.g. 铁路两侧200米内（三沿）, 水源保护区内（五区）),
        ``rule_group`` (三沿 / 五区 / 禁葬区), ``feature_class`` (line class or zone type),
        ``feature_name`` (nearest line or zone), ``distance_m`` (0 inside a zone),
        ``buffer_m``.
    points : geopandas.GeoDataFrame
        All input points with ``n_rules``, ``rules`` (joined with ；), ``violates``,
        ``min_distance_m``.
    by_village : pandas.DataFrame
        Per village: ``unit_code``, ``village``, ``n_points``, ``n_violating``,
        ``share_violating``, ``grave_ids`` (those in violation), ``rules`` (count per rule).
    ledger : pandas.DataFrame
        The clean-up ledger (台账), one row per grave in violation, by village: ``seq``,
        ``unit_code``, ``village``, ``grave_id``, ``rules``, ``min_distance_m``, ``lon``,
        ``lat`` (CGCS2000/WGS84 degrees), and blank ``action``, ``deadline``, ``progress``,
        ``remarks`` for the field teams.
    rules_applied : pandas.DataFrame
        The rules checked: ``rule``, ``rule_group``, ``feature_class``, ``buffer_m``,
        ``n_features``.
    params, problems
        See :class:`~mzgeo.analysis.result.AnalysisResult`.
    """

    title = "三沿五区坟墓整治台账"

    @property
    def headline(self) -> str:
        """Points in no-burial zones, in one Chinese sentence."""
        s = self.summary().iloc[0]
        return f"{int(s['n_points'])} 个点位中 {int(s['n_violating'])} 个位于禁葬区域（三沿五区），涉及 {int(s['n_villages'])} 个村"

    def summary(self) -> pd.DataFrame:
        """One row: ``n_points``, ``n_violating``, ``n_villages`` (villages with a violating point)."""
        n_vill = int((self.by_village["n_violating"] > 0).sum()) if "n_violating" in self.by_village else 0
        return pd.DataFrame([{"n_points": len(self.points), "n_violating": int(self.points["violates"].sum()),
                              "n_villages": n_vill}])

    def tables(self) -> dict[str, pd.DataFrame]:
        """Sheets: 整治台账, 分村统计, 违规明细, 检查规则."""
        return {
            "整治台账": self.ledger,
            "分村统计": self.by_village,
            "违规明细": self.violations,
            "检查规则": self.rules_applied,
        }

    def layers(self) -> dict[str, Any]:
        """Layers: ``burial_violations`` (points in violation), ``no_burial_zones``.

        ``no_burial_zones`` holds the line buffers and the zones checked.
        """
        pts = self.points[self.points["violates"]]
        return {"burial_violations": pts, "no_burial_zones": self._zones_layer}


def _layers_of(obj: Any, what: str) -> list[tuple[str | None, Any]]:
    if obj is None:
        return []
    if isinstance(obj, pd.DataFrame):
        return [(None, obj)]
    if isinstance(obj, Mapping):
        return [(str(k), v) for k, v in obj.items()]
    if isinstance(obj, (list, tuple)):
        return [(None, v) for v in obj]
    msg = f"{what} 应为 GeoDataFrame、GeoDataFrame 列表或 {{类别: GeoDataFrame}} 字典，实际为 {type(obj).__name__}"
    raise InputError(msg)


def _default_class(key: str | None, kind: str | None, col: str | None, buffers: Mapping[str, float]) -> str | None:
    """Class of a line layer's features whose own class is missing or not in ``buffers``."""
    if key is not None and key in buffers:
        return key
    for guess in (_KEY_CLASS.get(str(key).strip().lower()) if key else None,
                  _KIND_CLASS.get(kind) if kind else None,
                  _COL_CLASS.get(col) if col else None):
        if guess is not None:
            return guess
    return None


def _collect_lines(lines: Any, class_col: str | None, buffers: Mapping[str, float]) -> tuple[Any, pd.DataFrame]:
    import geopandas as gpd

    parts = []
    probs = []
    for key, g in _layers_of(lines, "lines"):  # a few layers
        check_frame(g, f"线状图层 {key or ''}".strip(), geometry=True)
        kind = g.attrs.get("mzgeo_kind")
        g, p_geom = located(g, f"线状图层 {key or ''}".strip())  # a line without geometry cannot be buffered
        probs.append(p_geom)
        col = class_col if class_col and class_col in g.columns else next((c for c in _CLASS_COLS if c in g.columns), None)
        default = _default_class(key, kind, col, buffers)
        if col is not None:
            cls = g[col].astype("str").str.strip()
            if default is not None:
                # empty classes take the layer's default; a subclass that names it (高速铁路 → 铁路)
                # too; any other class keeps its own value (一般河道 is not a main river)
                empty = cls.isin(["", "nan", "None", "<NA>"]) | g[col].isna().to_numpy()
                names_default = cls.str.contains(default, regex=False)
                cls = cls.where(cls.isin(list(buffers)) | ~(empty | names_default), default)
        elif default is not None:
            cls = pd.Series(default, index=g.index, dtype="object")
        else:
            msg = (f"线状图层 {key or ''} 没有类别列（{'、'.join(_CLASS_COLS)}），无法确定缓冲距离；"
                   "请用字典传入，如 lines={'铁路': railways}")
            raise InputError(msg)
        names = g["name"].astype("str") if "name" in g.columns else pd.Series(None, index=g.index, dtype="object")
        parts.append(gpd.GeoDataFrame({"feature_class": cls.to_numpy(), "feature_name": names.to_numpy()},
                                      geometry=g.geometry.to_numpy(), crs=g.crs))
    if not parts:
        return None, concat_problems([])
    allg = pd.concat(parts, ignore_index=True)
    allg = gpd.GeoDataFrame(allg, geometry="geometry", crs=parts[0].crs)
    allg["buffer_m"] = allg["feature_class"].map({str(k): float(v) for k, v in buffers.items()})
    ignored = allg["buffer_m"].isna()
    if ignored.any():
        logger.info("线状要素中 %d 条的类别不在缓冲距离表中，不检查：%s", int(ignored.sum()),
                    sorted(allg.loc[ignored, "feature_class"].astype("str").unique())[:10])
    allg = allg[~ignored & allg.geometry.notna() & ~allg.geometry.is_empty].reset_index(drop=True)
    return allg, concat_problems(probs)


def _collect_zones(zones: Any, type_col: str) -> tuple[Any, pd.DataFrame]:
    import geopandas as gpd

    parts = []
    probs = []
    for key, g in _layers_of(zones, "zones"):
        check_frame(g, f"区域图层 {key or ''}".strip(), geometry=True)
        g, p_geom = located(g, f"区域图层 {key or ''}".strip())  # a zone without geometry cannot be checked
        probs.append(p_geom)
        if type_col in g.columns:
            zt = g[type_col].astype("str").str.strip()
            zt = zt.mask(zt.isin(["", "nan", "None", "<NA>"]), key or "禁葬区")
        elif key:
            zt = pd.Series(key, index=g.index, dtype="object")
        else:
            zt = pd.Series("禁葬区", index=g.index, dtype="object")
        names = g["name"].astype("str") if "name" in g.columns else pd.Series(None, index=g.index, dtype="object")
        parts.append(gpd.GeoDataFrame({"feature_class": zt.to_numpy(), "feature_name": names.to_numpy()},
                                      geometry=g.geometry.to_numpy(), crs=g.crs))
    if not parts:
        return None, concat_problems(probs)
    allg = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=parts[0].crs)
    return allg[allg.geometry.notna() & ~allg.geometry.is_empty].reset_index(drop=True), concat_problems(probs)


def _zone_group(zone_type: pd.Series) -> np.ndarray:
    pattern = "|".join(FIVE_ZONE_KEYWORDS)
    return np.where(zone_type.astype("str").str.contains(pattern, regex=True), "五区", "禁葬区")


def burial_zone_check(
    points: Any,
    lines: Any = None,
    zones: Any = None,
    *,
    buffers_m: Mapping[str, float] | None = None,
    line_class_col: str | None = None,
    zone_type_col: str = "zone_type",
    units: Any = None,
    village_col: str = "village",
    id_col: str = "grave_id",
) -> BurialCheckResult:
    """Graves or cemetery sites in no-burial zones (三沿五区), per grave and per village.

    A point breaks a 三沿 rule when it lies within ``buffers_m[class]`` metres (inclusive) of a
    line of that class, and a zone rule when it lies in (or on the edge of) a zone polygon.
    Lines of classes absent from ``buffers_m`` are not checked (e.g. 村道).

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Graves (canonical ``graves`` layer: ``grave_id``, ``village``, ``unit_code``) or
        cemetery sites (points or polygons), any declared CRS.
    lines : GeoDataFrame, list or dict of GeoDataFrame, optional
        Line layers: roads (``road_class``), railways (``rail_class`` optional), rivers
        (``river_class`` optional). In a dict the key names the class of lines whose class
        column is missing or not in ``buffers_m`` (``{"铁路": railways, "主要河道": rivers}``).
        Railway and river layers are recognised (layer kind from :func:`mzgeo.read_layer`,
        a ``rail_class``/``river_class`` column, or a key such as ``"railways"``/``"rivers"``)
        and their features default to 铁路 and 主要河道 (so 普速铁路/高速铁路 count as 铁路).
    zones : GeoDataFrame, list or dict of GeoDataFrame, optional
        Zone polygons with ``zone_type`` (水源保护区, 风景名胜区, 工业园区, 开发区, 文物保护区...);
        in a dict the key is the type of zones without one.
    buffers_m : mapping, optional
        Buffer (m) per line class; default ``settings.burial_buffer_m`` (铁路/高速公路 200,
        国道/省道/主要河道 100).
    line_class_col : str, optional
        Class column of the line layers (default: the first of road_class, rail_class,
        river_class, line_class, class).
    zone_type_col : str
        Zone type column.
    units : geopandas.GeoDataFrame, optional
        Village polygons (or units of any level) used for points without a ``village``.
    village_col, id_col : str
        Village and grave id columns of ``points``.

    Returns
    -------
    BurialCheckResult

    Raises
    ------
    InputError
        No lines and no zones, a line layer without class, bad buffers_m.
    CRSError
        A layer without CRS (geographic or mixed-CRS layers are projected, :func:`mzgeo.crs.analysis_layers`).

    Examples
    --------
    >>> import mzgeo, tempfile, pathlib
    >>> demo = mzgeo.load_demo()
    >>> res = burial_zone_check(demo.graves, lines={"铁路": demo.railways, "主要河道": demo.rivers}, zones=demo.zones)
    >>> res.headline
    '3150 个点位中 739 个位于禁葬区域（三沿五区），涉及 203 个村'
    >>> res.to_excel(pathlib.Path(tempfile.mkdtemp()) / "三沿五区台账.xlsx").name
    '三沿五区台账.xlsx'
    """
    import geopandas as gpd
    import shapely

    if lines is None and zones is None:
        msg = "请至少提供 lines（铁路、道路、河道）或 zones（禁葬区域面）之一"
        raise InputError(msg)
    buf = dict(settings.burial_buffer_m if buffers_m is None else buffers_m)
    if any(not float(v) >= 0 for v in buf.values()):
        msg = f"buffers 的缓冲距离应为非负数（米），实际为 {buf!r}"
        raise InputError(msg)
    check_frame(points, "坟墓/点位图层", geometry=True)
    line_gdf, p_l = _collect_lines(lines, line_class_col, buf)
    zone_gdf, p_z = _collect_zones(zones, zone_type_col)
    _, (points, line_gdf, zone_gdf, units) = check_crs(("坟墓/点位图层", points), ("线状图层", line_gdf), ("区域图层", zone_gdf), ("行政区图层", units))
    points, p_loc = located(points, "坟墓/点位")  # a point without a location cannot be checked
    pts_geom = points.geometry.to_numpy()
    n = len(points)
    rows = []
    rules_applied = []
    if line_gdf is not None and len(line_gdf):
        for cls, sub in line_gdf.groupby("feature_class", sort=False):  # one query per line class
            b = float(sub["buffer_m"].iloc[0])
            rule = f"{cls}两侧{b:g}米内（三沿）"
            rules_applied.append({"rule": rule, "rule_group": "三沿", "feature_class": cls, "buffer_m": b,
                                  "n_features": len(sub)})
            sub = sub.reset_index(drop=True)
            pi, li = sub.sindex.query(points.geometry, predicate="dwithin", distance=b)
            if not len(pi):
                continue
            dist = shapely.distance(pts_geom[pi], sub.geometry.to_numpy()[li])
            order = np.lexsort((dist, pi))
            pi, li, dist = pi[order], li[order], dist[order]
            first = np.r_[True, pi[1:] != pi[:-1]]
            rows.append(pd.DataFrame({
                "pos": pi[first], "rule": rule, "rule_group": "三沿", "feature_class": cls,
                "feature_name": sub["feature_name"].to_numpy()[li[first]], "distance_m": dist[first], "buffer_m": b,
            }))
    if zone_gdf is not None and len(zone_gdf):
        groups = _zone_group(zone_gdf["feature_class"])
        for zt in pd.unique(zone_gdf["feature_class"]):
            mask = (zone_gdf["feature_class"] == zt).to_numpy()
            grp = groups[mask][0]
            rules_applied.append({"rule": f"{zt}内（{grp}）", "rule_group": grp, "feature_class": zt,
                                  "buffer_m": 0.0, "n_features": int(mask.sum())})
        pi, zi = zone_gdf.sindex.query(points.geometry, predicate="intersects")
        if len(pi):
            zt = zone_gdf["feature_class"].to_numpy()[zi]
            z = pd.DataFrame({"pos": pi, "feature_class": zt, "feature_name": zone_gdf["feature_name"].to_numpy()[zi],
                              "rule_group": groups[zi]})
            z = z.drop_duplicates(subset=["pos", "feature_class"], keep="first")
            z["rule"] = z["feature_class"].astype("str") + "内（" + z["rule_group"] + "）"
            z["distance_m"] = 0.0
            z["buffer_m"] = 0.0
            rows.append(z)
    cols = ["pos", "rule", "rule_group", "feature_class", "feature_name", "distance_m", "buffer_m"]
    viol = pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame({c: [] for c in cols})
    viol["pos"] = viol["pos"].astype("int64")
    viol = viol.sort_values(["pos", "rule_group", "rule"], kind="mergesort").reset_index(drop=True)
    # identity of each point: id, village, unit
    ids = points[id_col].astype("str") if id_col in points.columns else (
        points["name"].astype("str") if "name" in points.columns else pd.Series(points.index.astype("str"), index=points.index))
    village = points[village_col].astype("object") if village_col in points.columns else pd.Series(None, index=points.index, dtype="object")
    unit_code = norm_codes(points["unit_code"]).astype("object") if "unit_code" in points.columns else pd.Series(None, index=points.index, dtype="object")
    probs = [p_loc, p_l, p_z]
    if units is not None:
        tree = UnitTree(units)
        pa, p_u = tree.assign(as_points(points, "坟墓/点位图层"), prefer="spatial", layer="坟墓/点位")
        probs.append(p_u)
        unit_name = pa["unit"].map(tree.nodes["name"])
        parent = pa["unit"].map(tree.nodes["parent_code"])
        no_village = village.isna()
        village = village.where(~no_village, unit_name)
        unit_code = unit_code.where(unit_code.notna() | ~no_village, parent)
    village = village.fillna("（未知村社区）")
    unit_code = unit_code.astype("object")
    pos = viol["pos"].to_numpy()
    viol.insert(1, "point", points.index.to_numpy()[pos])
    viol.insert(2, "grave_id", ids.to_numpy()[pos])
    viol.insert(3, "village", village.to_numpy()[pos])
    viol.insert(4, "unit_code", unit_code.to_numpy()[pos])
    # per point
    per = viol.groupby("pos").agg(
        n_rules=("rule", "size"), rules=("rule", "；".join), min_distance_m=("distance_m", "min")
    ).reindex(np.arange(n))
    pts = points.copy()
    pts["n_rules"] = per["n_rules"].fillna(0).astype("int64").to_numpy()
    pts["rules"] = per["rules"].to_numpy()
    pts["violates"] = pts["n_rules"] > 0
    pts["min_distance_m"] = per["min_distance_m"].to_numpy()
    # per village
    key = pd.DataFrame({"unit_code": unit_code.to_numpy(), "village": village.to_numpy(),
                        "viol": pts["violates"].to_numpy(), "gid": ids.to_numpy()})
    key["unit_code"] = key["unit_code"].fillna("")
    bv = key.groupby(["unit_code", "village"], sort=True).agg(n_points=("viol", "size"), n_violating=("viol", "sum"))
    bad = key[key["viol"]]
    gl = bad.groupby(["unit_code", "village"])["gid"].agg("、".join)
    if len(viol):
        rc = viol.assign(unit_code=viol["unit_code"].fillna("")).groupby(["unit_code", "village", "rule"]).size()
        rc_text = pd.Series(rc.index.get_level_values("rule").astype("str") + " " + rc.astype("str").to_numpy() + " 处",
                            index=rc.index)
        rc_join = rc_text.groupby(level=["unit_code", "village"]).agg("；".join)
    else:
        rc_join = pd.Series(dtype="object")
    bv["share_violating"] = bv["n_violating"] / bv["n_points"]
    bv["grave_ids"] = gl.reindex(bv.index)
    bv["rules"] = rc_join.reindex(bv.index)
    by_village = bv.reset_index()
    by_village["n_violating"] = by_village["n_violating"].astype("int64")
    by_village = by_village.sort_values(["n_violating", "unit_code", "village"], ascending=[False, True, True],
                                        kind="mergesort").reset_index(drop=True)
    # ledger
    vp = pts[pts["violates"]]
    if len(vp):
        ll = vp.geometry.representative_point().to_crs(settings.geographic_crs)
        lon, lat = ll.x.to_numpy(), ll.y.to_numpy()
    else:
        lon = lat = np.zeros(0)
    ledger = pd.DataFrame({
        "unit_code": unit_code[vp.index].to_numpy(),
        "village": village[vp.index].to_numpy(),
        "grave_id": ids[vp.index].to_numpy(),
        "rules": vp["rules"].to_numpy(),
        "min_distance_m": vp["min_distance_m"].round(1).to_numpy(),
        "lon": np.round(lon, 6),
        "lat": np.round(lat, 6),
    })
    ledger = ledger.sort_values(["unit_code", "village", "grave_id"], kind="mergesort", na_position="last").reset_index(drop=True)
    ledger.insert(0, "seq", np.arange(1, len(ledger) + 1))
    for col in ("action", "deadline", "progress", "remarks"):
        ledger[col] = ""
    viol = viol.drop(columns="pos")
    rules_df = pd.DataFrame(rules_applied, columns=["rule", "rule_group", "feature_class", "buffer_m", "n_features"])
    # a layer of the zones checked: line buffers_m dissolved per class, and the zone polygons
    zl = []
    if line_gdf is not None and len(line_gdf):
        bufs = line_gdf.geometry.buffer(line_gdf["buffer_m"].to_numpy())
        dis = gpd.GeoDataFrame({"feature_class": line_gdf["feature_class"].to_numpy()}, geometry=bufs.to_numpy(),
                               crs=line_gdf.crs).dissolve(by="feature_class").reset_index()
        dis["rule_group"] = "三沿"
        zl.append(dis)
    if zone_gdf is not None and len(zone_gdf):
        zz = zone_gdf[["feature_class", "feature_name", "geometry"]].copy()
        zz["rule_group"] = _zone_group(zz["feature_class"])
        zl.append(zz)
    zones_layer = gpd.GeoDataFrame(pd.concat(zl, ignore_index=True), geometry="geometry", crs=points.crs) if zl else None
    problems = concat_problems(probs)
    warn_problems(problems)
    params = {
        "rule": "殡葬管理条例第十条禁葬区域；三沿五区整治：铁路、公路主干线、主要河道两侧（缓冲距离为实践取值），"
                "工业园区、开发区、风景名胜区、文物保护区、水源保护区内",
        "burial_buffer_m": buf,
        "zone_types": sorted(zone_gdf["feature_class"].astype("str").unique().tolist()) if zone_gdf is not None else [],
        "n_points": n,
        "n_violating": int(pts["violates"].sum()),
        "n_lines": 0 if line_gdf is None else len(line_gdf),
        "n_zones": 0 if zone_gdf is None else len(zone_gdf),
    }
    logger.info("三沿五区检查：%d 个点中 %d 个位于禁葬区域", n, int(pts["violates"].sum()))
    return BurialCheckResult(params, problems, source_notes(points), violations=viol, points=pts,
                             by_village=by_village, ledger=ledger, rules_applied=rules_df, _zones_layer=zones_layer)

