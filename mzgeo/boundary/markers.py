"""Boundary markers (界桩) on their lines: GB/T 17796-2009 IDs, chainage, offsets, numbering, stretches."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import ops

from .. import settings
from .._files import source_paths
from ..errors import InputError
from ..layers import VALUE_ALIASES
from . import _geometry
from ._geometry import require_columns
from ._result import problem_rows, problems_frame, repr_html, write_gpkg
from .lines import CHAINAGE_RULE, BoundaryLines, _as_lines

logger = logging.getLogger("mzgeo")

__all__ = [
    "MarkerCheck",
    "markers_on_lines",
    "parse_marker_id",
]

#: GB/T 17796-2009 marker type code → type name.
TYPE_NAMES: dict[int, str] = {1: "单立", 2: "双立", 3: "三立"}

MARKER_COLUMNS = [
    "line_name",
    "assigned_by",
    "chainage_km",
    "offset_m",
    "off_line",
    "id_line_code",
    "sequence",
    "type_code",
    "type_name",
    "id_valid",
    "type_mismatch",
    "line_code_mismatch",
    "duplicate",
    "out_of_order",
    "missing_before",
    "measured_x",
    "measured_y",
    "displacement_m",
    "displaced",
    "finding",
    "flagged",
]
STRETCH_COLUMNS = ["line_name", "from_km", "to_km", "length_km", "from_marker", "to_marker", "geometry"]
SUMMARY_COLUMNS = [
    "line_name",
    "line_code",
    "line_code_source",
    "length_km",
    "n_markers",
    "n_flagged",
    "numbering",
    "missing_sequences",
    "n_stretches",
]
ASSIGNED_BY_FIELD = "界线字段"
ASSIGNED_BY_NEAREST = "最近界线"



# --- marker IDs --------------------------------------------------------------------------------


def parse_ids(ids: Any) -> pd.DataFrame:
    """Vectorised GB/T 17796-2009 parsing; see :func:`mzgeo.boundary.parse_marker_id`."""
    if isinstance(ids, pd.Series):
        s = ids
    elif np.ndim(ids) == 0:
        s = pd.Series([ids])
    else:
        s = pd.Series(list(ids))
    if pd.api.types.is_integer_dtype(s.dtype):
        text = s.astype("Int64").astype("string").str.zfill(8)
    else:
        is_int = s.map(lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool))
        text = s.astype("string").str.strip()
        text = text.where(~is_int.astype(bool), text.str.zfill(8))
        is_float = s.map(lambda v: isinstance(v, (float, np.floating)) and not pd.isna(v) and float(v).is_integer())
        if is_float.any():
            as_int = pd.to_numeric(s.where(is_float.astype(bool)), errors="coerce").astype("Int64")
            text = text.where(~is_float.astype(bool), as_int.astype("string").str.zfill(8))
    text = text.where(s.notna().to_numpy(), pd.NA)
    fmt = text.str.fullmatch(r"\d{8}").fillna(False).astype(bool)
    line_code = text.str.slice(0, 4).where(fmt, pd.NA)
    sequence = pd.to_numeric(text.str.slice(4, 7).where(fmt, pd.NA), errors="coerce").astype("Int64")
    type_code = pd.to_numeric(text.str.slice(7, 8).where(fmt, pd.NA), errors="coerce").astype("Int64")
    type_ok = type_code.isin(list(TYPE_NAMES)).fillna(False).astype(bool)
    seq_ok = (sequence > 0).fillna(False).astype(bool)
    valid = fmt & type_ok & seq_ok
    problem = pd.Series(pd.NA, index=s.index, dtype="string")
    digits = text.str.fullmatch(r"\d+").fillna(False).astype(bool)
    short = digits & (text.str.len() < 8)
    problem = problem.mask(fmt & ~seq_ok, "序号不能为 000")
    problem = problem.mask(fmt & ~type_ok, "末位类型码应为 1（单立）、2（双立）或 3（三立）")
    problem = problem.mask(~fmt, "应为 8 位数字：4 位界线代码 + 3 位序号 + 1 位类型码")
    problem = problem.mask(short, "应为 8 位数字，位数不足（可能在 Excel 中丢失了前导 0）")
    problem = problem.mask(text.isna(), "缺少界桩编号")
    type_name = type_code.map(TYPE_NAMES).astype("string").where(valid, pd.NA)
    return pd.DataFrame(
        {
            "marker_id": text,
            "line_code": line_code,
            "sequence": sequence.where(valid, pd.NA),
            "type_code": type_code.where(fmt, pd.NA),
            "type_name": type_name,
            "valid": valid,
            "problem": problem,
        },
        index=s.index,
    )


def canonical_marker_type(values: pd.Series) -> pd.Series:
    """单立/双立/三立 from the aliases of :data:`mzgeo.layers.VALUE_ALIASES` (NA when unknown)."""
    aliases = {k.lower(): v for k, v in VALUE_ALIASES["marker_type"].items()}
    text = values.astype("string").str.strip().str.lower()
    return text.map(aliases, na_action="ignore").astype("string")


# --- helpers -------------------------------------------------------------------------------------


def join_messages(index: pd.Index, messages: list[pd.Series]) -> pd.Series:
    """Join per-row message Series (NA = no message) with "；", vectorised over rows."""
    out = pd.Series("", index=index, dtype=object)
    for msg in messages:
        msg = msg.reindex(index)
        has = msg.notna() & (msg.astype("string") != "").fillna(False)
        has = has.astype(bool)
        sep = np.where(out == "", "", "；")
        out = out.where(~has, out + sep + msg.astype(object).where(has, ""))
    return out


def fmt_num(values: pd.Series, digits: int) -> pd.Series:
    """Numbers as text with ``digits`` decimals (NA stays NA)."""
    return values.map(lambda v: f"{v:.{digits}f}" if pd.notna(v) else pd.NA).astype(object)


def substring(geom: Any, start_m: float, end_m: float) -> Any:
    """Return the part of a (multi)line between two distances (m) measured along it.

    Distances run along the parts in order, gaps between parts not counted (as
    :func:`shapely.line_locate_point` measures them).
    """
    pieces = []
    offset = 0.0
    for part in shapely.get_parts(geom):
        length = part.length
        lo, hi = max(start_m - offset, 0.0), min(end_m - offset, length)
        if hi > lo or (hi == lo and 0 <= lo <= length and start_m == end_m):
            pieces.append(ops.substring(part, lo, hi))
        offset += length
    pieces = [p for p in pieces if p.geom_type == "LineString" and not p.is_empty]
    if not pieces:
        return shapely.LineString()
    return pieces[0] if len(pieces) == 1 else shapely.MultiLineString(pieces)


def line_code_table(line_codes: Any) -> dict[str, str]:
    """``{line_name: line_code}`` from a mapping or a table with line_name and line_code."""
    if line_codes is None:
        return {}
    if isinstance(line_codes, Mapping):
        return {str(k): str(v).strip().zfill(4) for k, v in line_codes.items() if pd.notna(v)}
    df = pd.DataFrame(line_codes)
    require_columns(df, ["line_name", "line_code"], "界线代码表 line_codes")
    df = df.dropna(subset=["line_code"])
    return dict(zip(df["line_name"].astype(str), df["line_code"].astype(str).str.strip().str.zfill(4), strict=True))


def measured_xy(measured: Any, crs: Any, id_col: str) -> pd.DataFrame:
    """Field-measured positions → ``marker_id, measured_x, measured_y`` in ``crs`` (m).

    Accepts a GeoDataFrame of points (any CRS, reprojected), or a table with
    ``measured_x``/``measured_y`` (already in ``crs``) or ``measured_lon``/``measured_lat``
    (CGCS2000 degrees, :data:`mzgeo.settings.geographic_crs`).
    """
    if isinstance(measured, gpd.GeoDataFrame) and measured.geometry.name in measured.columns:
        require_columns(measured, [id_col], "实测坐标 measured")
        if measured.crs is None:
            msg = "实测坐标 measured 没有坐标系：请声明 crs（如 EPSG:4490 或 EPSG:4549）"
            raise InputError(msg)
        pts = measured.geometry if measured.crs == crs else measured.geometry.to_crs(crs)
        out = pd.DataFrame({"marker_id": measured[id_col], "measured_x": pts.x, "measured_y": pts.y})
    else:
        df = pd.DataFrame(measured)
        require_columns(df, [id_col], "实测坐标 measured")
        if {"measured_x", "measured_y"} <= set(df.columns):
            out = pd.DataFrame(
                {
                    "marker_id": df[id_col],
                    "measured_x": pd.to_numeric(df["measured_x"], errors="coerce"),
                    "measured_y": pd.to_numeric(df["measured_y"], errors="coerce"),
                }
            )
        elif {"measured_lon", "measured_lat"} <= set(df.columns):
            pts = gpd.GeoSeries(
                gpd.points_from_xy(
                    pd.to_numeric(df["measured_lon"], errors="coerce"),
                    pd.to_numeric(df["measured_lat"], errors="coerce"),
                ),
                crs=settings.geographic_crs,
            ).to_crs(crs)
            out = pd.DataFrame({"marker_id": df[id_col].to_numpy(), "measured_x": pts.x.to_numpy(),
                                "measured_y": pts.y.to_numpy()})
        else:
            msg = "实测坐标 measured 应有 measured_x/measured_y（投影坐标，米）或 measured_lon/measured_lat（CGCS2000 经纬度）列"
            raise InputError(msg)
    out["marker_id"] = parse_ids(out["marker_id"].reset_index(drop=True))["marker_id"].to_numpy()
    return out.dropna(subset=["marker_id"]).drop_duplicates("marker_id", keep="last").reset_index(drop=True)


# --- markers along lines --------------------------------------------------------------------------


def check_markers(
    lines: gpd.GeoDataFrame,
    markers: gpd.GeoDataFrame,
    *,
    line_col: str,
    id_col: str,
    type_col: str,
    offset_tol: float,
    max_gap_km: float,
    measured: Any,
    displacement_tol: float,
    line_codes: dict[str, str],
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Markers frame, no-marker stretches, per-line summary (see ``markers_on_lines``)."""
    line_names = lines["line_name"].astype(str).to_numpy()
    line_geoms = lines.geometry.values
    line_len = shapely.length(line_geoms)
    name_to_pos = {n: i for i, n in enumerate(line_names)}
    out = markers.copy()
    idx = out.index
    pts = out.geometry.values
    has_geom = ~(shapely.is_missing(pts) | shapely.is_empty(pts))
    n = len(out)

    # assignment: line field first, nearest line otherwise
    if line_col in out.columns:
        recorded = out[line_col].astype("string").str.strip()
        pos_field = recorded.map(name_to_pos).astype("Float64")
    else:
        recorded = pd.Series(pd.NA, index=idx, dtype="string")
        pos_field = pd.Series(np.nan, index=idx, dtype="Float64")
    pos_near = np.full(n, -1, dtype=np.int64)
    dist_near = np.full(n, np.inf)
    if has_geom.any() and len(line_geoms):
        tree = shapely.STRtree(line_geoms)
        (src, tgt), dist = tree.query_nearest(pts[has_geom], all_matches=False, return_distance=True)
        pos_near[np.flatnonzero(has_geom)[src]] = tgt
        dist_near[np.flatnonzero(has_geom)[src]] = dist
    # a marker recorded on a line that is not in ``lines`` (another level, another city) is
    # only taken by the nearest line when it lies within the offset tolerance of it
    unknown_line = (recorded.notna() & (recorded != "")).fillna(False).to_numpy(dtype=bool) & pos_field.isna().to_numpy()
    foreign = unknown_line & (dist_near > offset_tol)
    pos_near[foreign] = -1
    pos = pos_field.fillna(pd.Series(pos_near, index=idx).where(pos_near >= 0).astype("Float64"))
    pos_arr = pos.fillna(-1).astype("int64").to_numpy()
    assigned = pos_arr >= 0
    out["line_name"] = pd.Series(np.where(assigned, line_names[np.clip(pos_arr, 0, None)], None), index=idx,
                                 dtype=object)
    out["assigned_by"] = np.where(pos_field.notna().to_numpy(), ASSIGNED_BY_FIELD,
                                  np.where(assigned, ASSIGNED_BY_NEAREST, ""))
    ok = assigned & has_geom
    chain = np.full(n, np.nan)
    offset = np.full(n, np.nan)
    if ok.any():
        g = line_geoms[pos_arr[ok]]
        chain[ok] = shapely.line_locate_point(g, pts[ok]) / 1000.0
        offset[ok] = shapely.distance(g, pts[ok])
    out["chainage_km"] = chain
    out["offset_m"] = offset
    out["off_line"] = np.nan_to_num(offset, nan=0.0) > offset_tol

    # IDs
    parsed = parse_ids(out[id_col])
    out["id_line_code"] = parsed["line_code"]
    out["sequence"] = parsed["sequence"]
    out["type_code"] = parsed["type_code"]
    out["type_name"] = parsed["type_name"]
    out["id_valid"] = parsed["valid"]
    ids = parsed["marker_id"]
    if type_col in out.columns:
        recorded_type = canonical_marker_type(out[type_col])
        out["type_mismatch"] = (parsed["valid"] & recorded_type.notna() & (recorded_type != parsed["type_name"])).fillna(
            False
        ).astype(bool)
    else:
        recorded_type = pd.Series(pd.NA, index=idx, dtype="string")
        out["type_mismatch"] = False

    # line codes: table > lines column > inferred from the IDs
    code_of_line: dict[str, str] = {}
    code_source: dict[str, str] = {}
    if "line_code" in lines.columns:
        for nm, code in zip(line_names, lines["line_code"], strict=True):
            if pd.notna(code) and str(code).strip():
                code_of_line[nm] = str(code).strip().zfill(4)
                code_source[nm] = "界线表"
    for nm, code in line_codes.items():
        code_of_line[nm] = code
        code_source[nm] = "界线代码表"
    valid = parsed["valid"].to_numpy()
    inferred = (
        pd.DataFrame({"line": out["line_name"], "code": out["id_line_code"]})[valid & assigned]
        .groupby("line")["code"]
        .agg(lambda s: s.value_counts().index[0])
    )
    for nm, code in inferred.items():
        if nm not in code_of_line:
            code_of_line[str(nm)] = str(code)
            code_source[str(nm)] = "由界桩编号推断"
    expected_code = out["line_name"].map(code_of_line).astype("string")
    out["line_code_mismatch"] = (parsed["valid"] & expected_code.notna() & (expected_code != parsed["line_code"])).fillna(
        False
    ).astype(bool)

    # duplicates
    counts = ids.map(ids.value_counts())
    out["duplicate"] = (counts > 1).fillna(False).astype(bool)

    # sequence checks along each line
    out_of_order = pd.Series(False, index=idx)
    order_msg = pd.Series(pd.NA, index=idx, dtype=object)
    missing_before = pd.Series(pd.NA, index=idx, dtype=object)
    seq_dup_msg = pd.Series(pd.NA, index=idx, dtype=object)
    numbering: dict[str, str] = {}
    missing_of_line: dict[str, str] = {}
    usable = valid & ok & ~out["line_code_mismatch"].to_numpy()
    frame = pd.DataFrame(
        {"line": out["line_name"], "chain": chain, "seq": parsed["sequence"], "id": ids, "pos": np.arange(n)}
    )[usable]
    for line, grp in frame.groupby("line", sort=False):  # a handful of lines
        grp = grp.sort_values(["chain", "seq"], kind="stable")
        seq = grp["seq"].to_numpy(dtype=np.int64)
        rows = grp["pos"].to_numpy()
        gid = grp["id"].to_numpy()
        if len(seq) >= 2:
            diff = np.diff(seq)
            direction = 1 if np.sign(diff).sum() >= 0 else -1
            numbering[str(line)] = "沿里程递增" if direction > 0 else "沿里程递减"
            bad = direction * diff < 0
            for k in np.flatnonzero(bad):
                for here, other in ((k, k + 1), (k + 1, k)):
                    r = idx[rows[here]]
                    text = f"编号顺序与相邻界桩 {gid[other]} 颠倒"
                    prev = order_msg.at[r]
                    order_msg.at[r] = text if pd.isna(prev) else f"{prev}、{gid[other]}"
                    out_of_order.at[r] = True
            same = (diff == 0) & (gid[:-1] != gid[1:])
            for k in np.flatnonzero(same):
                for here in (k, k + 1):
                    seq_dup_msg.at[idx[rows[here]]] = f"序号 {seq[here]:03d} 与相邻界桩重复"
        elif len(seq) == 1:
            numbering[str(line)] = "沿里程递增"
        uniq = np.unique(seq)
        if len(uniq):
            missing = np.setdiff1d(np.arange(1, uniq.max() + 1), uniq)
            missing_of_line[str(line)] = "、".join(f"{m:03d}" for m in missing)
            if len(missing):
                nxt = uniq[np.searchsorted(uniq, missing)]
                for target in np.unique(nxt):
                    which = missing[nxt == target]
                    first = grp.index[grp["seq"].to_numpy() == target][0]
                    missing_before.at[first] = "、".join(f"{m:03d}" for m in which)
    out["out_of_order"] = out_of_order.astype(bool)
    out["missing_before"] = missing_before.astype("string")

    # displacement from the recorded position
    out["measured_x"] = np.nan
    out["measured_y"] = np.nan
    out["displacement_m"] = np.nan
    if measured is not None:
        meas = measured_xy(measured, out.crs, "marker_id" if "marker_id" in getattr(measured, "columns", []) else id_col)
        mx = ids.map(dict(zip(meas["marker_id"], meas["measured_x"], strict=True)))
        my = ids.map(dict(zip(meas["marker_id"], meas["measured_y"], strict=True)))
        out["measured_x"] = pd.to_numeric(mx, errors="coerce").astype("float64")
        out["measured_y"] = pd.to_numeric(my, errors="coerce").astype("float64")
        rx = np.where(has_geom, shapely.get_x(pts), np.nan)
        ry = np.where(has_geom, shapely.get_y(pts), np.nan)
        out["displacement_m"] = np.hypot(out["measured_x"].to_numpy() - rx, out["measured_y"].to_numpy() - ry)
    out["displaced"] = (out["displacement_m"] > displacement_tol).fillna(False).astype(bool)

    # findings
    msgs = [
        pd.Series(np.where(~has_geom, "无坐标", None), index=idx),
        ("登记界线「" + recorded.astype(object) + "」不在界线表中，按最近界线 " + out["line_name"].astype(object)
         + " 处理").where(unknown_line & ~foreign, None),
        ("登记界线「" + recorded.astype(object) + f"」不在界线表中，{offset_tol:g} 米内也没有界线，未归属").where(
            foreign & has_geom, None),
        ("偏离界线 " + fmt_num(out["offset_m"], 1) + f" 米（超过 {offset_tol:g} 米）").where(out["off_line"], None),
        ("编号不符合 GB/T 17796：" + parsed["problem"].astype(object)).where(~parsed["valid"], None),
        ("编号类型码为" + parsed["type_name"].astype(object) + "，与登记类型「" + recorded_type.astype(object)
         + "」不符").where(out["type_mismatch"], None),
        ("编号中的界线代码 " + parsed["line_code"].astype(object) + " 与本界线代码 " + expected_code.astype(object)
         + " 不符").where(out["line_code_mismatch"], None),
        ("编号重复（共 " + counts.astype("Int64").astype("string").astype(object) + " 处）").where(out["duplicate"], None),
        seq_dup_msg,
        order_msg,
        ("编号跳号：缺少序号 " + out["missing_before"].astype(object)).where(out["missing_before"].notna(), None),
        ("实测位置偏离登记位置 " + fmt_num(out["displacement_m"], 2) + f" 米（超过 {displacement_tol:g} 米）").where(
            out["displaced"], None
        ),
    ]
    out["finding"] = join_messages(idx, msgs)
    out["flagged"] = out["finding"] != ""

    # stretches without markers
    stretch_rows = []
    chain_frame = pd.DataFrame({"line": out["line_name"], "chain": chain, "id": ids})[ok]
    grouped = {str(k): g.sort_values("chain") for k, g in chain_frame.groupby("line", sort=False)}
    for i, name in enumerate(line_names):
        length_km = line_len[i] / 1000.0
        grp = grouped.get(name)
        ch = grp["chain"].to_numpy() if grp is not None else np.array([])
        labels = list(grp["id"].astype(object)) if grp is not None else []
        stops = np.concatenate([[0.0], np.clip(ch, 0.0, length_km), [length_km]])
        names = ["起点", *labels, "终点"]
        gaps = np.diff(stops)
        for k in np.flatnonzero(gaps > max_gap_km):
            stretch_rows.append(
                {
                    "line_name": name,
                    "from_km": round(float(stops[k]), 3),
                    "to_km": round(float(stops[k + 1]), 3),
                    "length_km": round(float(gaps[k]), 3),
                    "from_marker": names[k],
                    "to_marker": names[k + 1],
                    "geometry": substring(line_geoms[i], stops[k] * 1000.0, stops[k + 1] * 1000.0),
                }
            )
    stretches = gpd.GeoDataFrame(
        stretch_rows or {c: [] for c in STRETCH_COLUMNS}, geometry="geometry", crs=lines.crs
    )[STRETCH_COLUMNS]
    for c in ("from_km", "to_km", "length_km"):
        stretches[c] = stretches[c].astype("float64")

    # per-line summary
    per_line_n = out.loc[assigned, "line_name"].value_counts()
    per_line_flag = out.loc[assigned & out["flagged"].to_numpy(), "line_name"].value_counts()
    per_line_stretch = stretches["line_name"].value_counts()
    summary = pd.DataFrame(
        {
            "line_name": line_names,
            "line_code": [code_of_line.get(nm, pd.NA) for nm in line_names],
            "line_code_source": [code_source.get(nm, "") for nm in line_names],
            "length_km": np.round(line_len / 1000.0, 3),
            "n_markers": [int(per_line_n.get(nm, 0)) for nm in line_names],
            "n_flagged": [int(per_line_flag.get(nm, 0)) for nm in line_names],
            "numbering": [numbering.get(nm, "") for nm in line_names],
            "missing_sequences": [missing_of_line.get(nm, "") for nm in line_names],
            "n_stretches": [int(per_line_stretch.get(nm, 0)) for nm in line_names],
        }
    )[SUMMARY_COLUMNS]
    column_order = [c for c in markers.columns if c not in MARKER_COLUMNS and c != markers.geometry.name]
    out = out[[*column_order, *MARKER_COLUMNS, markers.geometry.name]]
    return out, stretches, summary




# --- public API --------------------------------------------------------------------------------


@dataclass
class MarkerCheck:
    """Boundary markers checked against their lines.

    Attributes
    ----------
    markers : geopandas.GeoDataFrame
        The input markers (same index, columns kept; ``marker_id`` normalised to text,
        integers zero-padded to 8 digits) plus: ``line_name`` (assigned line; NA when the
        recorded line is not among the lines and no line lies within the offset tolerance),
        ``assigned_by`` (界线字段 / 最近界线), ``chainage_km`` (km from the line start),
        ``offset_m`` (m from the line), ``off_line`` (offset beyond the tolerance),
        ``id_line_code``, ``sequence``, ``type_code``, ``type_name`` (GB/T 17796 parts),
        ``id_valid``, ``type_mismatch`` (type digit ≠ ``marker_type``),
        ``line_code_mismatch`` (ID line code ≠ the line's code), ``duplicate``,
        ``out_of_order`` (numbering against the line's numbering direction),
        ``missing_before`` (sequence numbers missing just before this marker),
        ``measured_x``, ``measured_y`` (m), ``displacement_m`` (m), ``displaced``,
        ``finding`` (Chinese summary, "；"-joined) and ``flagged``.
    stretches : geopandas.GeoDataFrame
        Stretches longer than ``max_gap_km`` without a marker: ``line_name``, ``from_km``,
        ``to_km``, ``length_km``, ``from_marker``, ``to_marker`` (起点/终点 at line ends),
        geometry (the stretch of line).
    line_summary : pandas.DataFrame
        Per line: ``line_name``, ``line_code``, ``line_code_source``, ``length_km``,
        ``n_markers``, ``n_flagged``, ``numbering`` (沿里程递增/递减),
        ``missing_sequences``, ``n_stretches``.
    params : dict
        Parameters applied.
    """

    markers: gpd.GeoDataFrame
    stretches: gpd.GeoDataFrame
    line_summary: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def problems(self) -> pd.DataFrame:
        """Flagged markers and stretches without markers (columns of :data:`mzgeo.analysis.PROBLEM_COLUMNS`).

        One row per flagged marker (``problem`` ``marker_finding``, message = its ``finding``) and
        one per stretch longer than ``max_gap_km`` (``marker_gap``).
        """
        m = self.markers
        rows = []
        if len(m) and "flagged" in m.columns:
            bad = m["flagged"].fillna(False).astype(bool).to_numpy()
            ids = m["marker_id"] if "marker_id" in m.columns else pd.Series([None] * len(m), index=m.index)
            rows.append(problem_rows("marker_finding", "界桩 markers", m.index[bad], ids[bad],
                                     m.loc[bad, "finding"].astype(str)))
        st = self.stretches
        if len(st):
            msg = (st["line_name"].astype(str) + " 里程 " + st["from_km"].round(2).astype(str) + "–"
                   + st["to_km"].round(2).astype(str) + " 千米无界桩（" + st["length_km"].round(2).astype(str)
                   + " 千米）")
            rows.append(problem_rows("marker_gap", "界线 lines", st.index, st["line_name"], msg))
        return problems_frame(rows)

    def summary(self) -> pd.DataFrame:
        """Return the per-line table (:attr:`line_summary`), as every result's ``summary()`` does."""
        return self.line_summary

    @property
    def headline(self) -> str:
        """Return one Chinese sentence: markers checked, flagged, stretches without markers."""
        n_flag = int(self.markers["flagged"].sum()) if "flagged" in self.markers.columns else 0
        n_lines = int(self.line_summary["line_name"].nunique()) if "line_name" in self.line_summary.columns else 0
        return (f"界桩 {len(self.markers)} 个（{n_lines} 条界线），自动检查发现问题 {n_flag} 个；"
                f"无界桩段 {len(self.stretches)} 段")

    def _repr_html_(self) -> str:
        return repr_html("界桩检查", self.headline, self.line_summary, self.problems)

    def to_excel(self, path: str | os.PathLike) -> Path:
        """Write 界线汇总, 界桩, 无界桩段 (and 数据问题 when there are) with the parameters to one workbook.

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.xlsx`` (written atomically).

        Returns
        -------
        pathlib.Path
            The path written.
        """
        from ..report import write_excel

        sheets = {"界线汇总": self.line_summary, "界桩": self.markers, "无界桩段": self.stretches}
        problems = self.problems
        if len(problems):
            sheets["数据问题"] = problems
        return Path(write_excel(path, sheets, params=self.params, title="界桩检查", sources=source_paths(self)))

    def to_gpkg(self, path: str | os.PathLike) -> Path:
        """Write the layers ``markers`` and ``stretches`` to one GeoPackage (atomic).

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.gpkg``.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        layers = {"markers": self.markers}
        if len(self.stretches):
            layers["stretches"] = self.stretches
        return write_gpkg(path, layers, self)



# --- markers ----------------------------------------------------------------------------------------


def parse_marker_id(ids: Any) -> pd.DataFrame:
    """Parse boundary marker IDs by GB/T 17796-2009 (vectorised).

    An ID has 8 digits: a 4-digit line code, a 3-digit sequence number (001–999) and a
    type digit (1 单立 single, 2 双立 double, 3 三立 triple). Integers are zero-padded to 8
    digits (Excel drops leading zeros); text is only stripped.

    Parameters
    ----------
    ids : scalar, array-like or pandas.Series
        Marker IDs.

    Returns
    -------
    pandas.DataFrame
        Same index as a Series input: ``marker_id`` (normalised text), ``line_code``,
        ``sequence`` (Int64), ``type_code`` (Int64), ``type_name`` (单立/双立/三立),
        ``valid`` (bool) and ``problem`` (Chinese, NA when valid).

    Examples
    --------
    >>> parsed = parse_marker_id(["00120031", "0012003", "00120034"])
    >>> parsed["valid"].tolist(), parsed["line_code"].iloc[0], int(parsed["sequence"].iloc[0])
    ([True, False, False], '0012', 3)
    >>> parsed["type_name"].iloc[0], parsed["problem"].iloc[2]
    ('单立', '末位类型码应为 1（单立）、2（双立）或 3（三立）')
    """
    return parse_ids(ids)


def markers_on_lines(
    lines: gpd.GeoDataFrame | BoundaryLines,
    markers: gpd.GeoDataFrame,
    *,
    line_col: str = "line_name",
    id_col: str = "marker_id",
    type_col: str = "marker_type",
    offset_tolerance_m: float | None = None,
    max_gap_km: float | None = None,
    measured: pd.DataFrame | None = None,
    displacement_tolerance_m: float | None = None,
    line_codes: Mapping[str, Any] | pd.DataFrame | None = None,
) -> MarkerCheck:
    """Check boundary markers (界桩) against their lines.

    Each marker is assigned to the line named in ``line_col`` when that name is a line,
    else to the nearest line. Then: chainage (km from the line's first vertex — see
    :data:`CHAINAGE_RULE`), offset (m) from the line, GB/T 17796 ID parsing, type digit
    against ``type_col``, line code of the ID against the line's code, duplicate IDs,
    numbering order along the line (the numbering direction is the majority one; both
    markers of a pair against it are flagged), missing sequence numbers (from 001 to the
    largest), stretches longer than ``max_gap_km`` without a marker (line ends count),
    and — with ``measured`` — the displacement from the recorded position.

    Parameters
    ----------
    lines : GeoDataFrame or BoundaryLines
        Lines with ``line_name`` (and optionally ``line_code``) in a metric CRS.
    markers : geopandas.GeoDataFrame
        Points with ``id_col`` (``markers`` layer), same CRS.
    line_col, id_col, type_col : str
        Marker columns: recorded line name, ID, type (单立/双立/三立 or an alias).
    offset_tolerance_m : float, optional
        Offset (m) beyond which a marker is flagged; default
        :data:`mzgeo.settings.marker_offset_tolerance_m`.
    max_gap_km : float, optional
        Stretch (km) without a marker beyond which it is listed; default
        :data:`mzgeo.settings.marker_max_gap_km`.
    measured : DataFrame, optional
        Field positions: a GeoDataFrame of points with ``marker_id`` (any CRS), or a table
        with ``marker_id`` and ``measured_x``/``measured_y`` (m, the lines' CRS) or
        ``measured_lon``/``measured_lat`` (CGCS2000 degrees).
    displacement_tolerance_m : float, optional
        Displacement (m) beyond which a marker is flagged; default
        :data:`mzgeo.settings.marker_displacement_tolerance_m`.
    line_codes : mapping or DataFrame, optional
        4-digit line code per line name (a table with ``line_name`` and ``line_code``, as
        the demo's ``line_codes``). Default: the ``line_code`` column of ``lines``, else
        the most common code among the line's marker IDs.

    Returns
    -------
    MarkerCheck
        ``.markers``, ``.stretches``, ``.line_summary`` (also ``summary()``), ``.params`` (see :class:`MarkerCheck`).

    Raises
    ------
    CRSError
        Missing, geographic or mismatched CRS.
    InputError
        Missing columns, wrong geometry types, duplicate line names, negative tolerances.
    """
    frame, _ = _as_lines(lines)
    _geometry.check_metric(markers, "界桩 markers")
    _geometry.check_same_crs(frame, markers, "界线", "界桩 markers")
    _geometry.require_columns(markers, [id_col], "界桩 markers")
    _geometry.check_geom_types(markers, ("Point",), "界桩 markers")
    off_tol = _geometry.positive(settings.marker_offset_tolerance_m if offset_tolerance_m is None else offset_tolerance_m,
                        "offset_tolerance_m")
    gap_km = _geometry.positive(settings.marker_max_gap_km if max_gap_km is None else max_gap_km, "max_gap_km",
                       allow_zero=False)
    disp_tol = _geometry.positive(
        settings.marker_displacement_tolerance_m if displacement_tolerance_m is None else displacement_tolerance_m,
        "displacement_tolerance_m",
    )
    codes = line_code_table(line_codes)
    out, stretches, summary = check_markers(
        frame.reset_index(drop=True),
        markers,
        line_col=line_col,
        id_col=id_col,
        type_col=type_col,
        offset_tol=off_tol,
        max_gap_km=gap_km,
        measured=measured,
        displacement_tol=disp_tol,
        line_codes=codes,
    )
    if id_col != "marker_id":
        out["marker_id"] = parse_ids(out[id_col])["marker_id"]
    else:
        out["marker_id"] = parse_ids(out["marker_id"])["marker_id"].astype(object)
    params = {
        "offset_tolerance_m": off_tol,
        "max_gap_km": gap_km,
        "displacement_tolerance_m": disp_tol,
        "chainage_rule": CHAINAGE_RULE,
        "marker_id_rule": "GB/T 17796-2009：4 位界线代码 + 3 位序号 + 1 位类型码（1 单立、2 双立、3 三立）",
    }
    logger.info(
        "markers_on_lines: %d markers on %d lines, %d flagged, %d stretches > %.1f km",
        len(out), len(frame), int(out["flagged"].sum()), len(stretches), gap_km,
    )
    return MarkerCheck(markers=out, stretches=stretches, line_summary=summary, params=params)

