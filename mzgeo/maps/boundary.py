"""Boundary inspection maps: lines with permanent names, markers coloured by finding, tri-junctions, crossings, data gaps and stretches without markers."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ._layer import (
    LegendSection,
    MapState,
    _add_layer,
    _fit,
    _frame,
    _popup_fields,
    _texts,
    _title_col,
    _values,
    display_geometries,
    finalise,
    state_of,
)
from .style import (
    BOUNDARY_SIMPLIFY_M,
    FINDING_FLAGGED,
    FINDING_OK,
    QUALITATIVE,
    esc,
    finding_flags,
    label_for,
    svg_icon,
    swatch_html,
)

logger = logging.getLogger("mzgeo")

__all__ = [
    "add_boundary",
]

# --- boundary inspection -----------------------------------------------------------------------
#: Popup columns of the boundary layers (as produced by :mod:`mzgeo.boundary`), when present.
_LINE_COLS = ("line_code", "side_a_name", "side_b_name", "side_a", "side_b", "length_m", "length_km", "junctions")
_MARKER_COLS = ("line_name", "marker_type", "type_name", "finding", "findings", "status", "chainage_km",
                "offset_m", "displacement_m", "year_set", "remarks")
_JUNCTION_COLS = ("unit_names", "line_names", "n_units", "spread_m")
_CROSSING_COLS = ("line_name", "crossing_no", "chainage_km", "layer", "feature_class", "crossing_type", "overlap_m")
_GAP_COLS = ("line_name", "kind", "area_m2", "width_m")
_STRETCH_COLS = ("line_name", "from_km", "to_km", "length_km", "from_marker", "to_marker")


def _all_fields(gdf: gpd.GeoDataFrame, exclude: Sequence[str] = (), limit: int = 10) -> list[str]:
    """Columns of a layer of unknown schema worth showing: scalar, not private, not the geometry."""
    out = []
    for c in gdf.columns:
        if c == gdf.geometry.name or c in exclude or str(c).startswith("_") or str(c).endswith("_index"):
            continue
        col = gdf[c]
        if col.dtype == object and not col.map(lambda v: v is None or isinstance(v, (str, int, float))).all():
            continue
        out.append(c)
    return out[:limit]


def _point_layer(
    m: folium.Map,
    st: MapState,
    frame: gpd.GeoDataFrame,
    *,
    what: str,
    shape: str,
    colour: str,
    size: int,
    label_cols: Sequence[str],
    popup_cols: Sequence[str],
    show: bool,
) -> None:
    pts = _frame(frame, what)
    if len(pts) == 0:
        return
    styles = {"p": {"html": svg_icon(shape, colour, size), "size": size}}
    label_col = _title_col(pts, label_cols)
    texts = _texts(pts[label_col]) if label_col else [None] * len(pts)
    names = [f"{esc(what)}：{t}" if t else esc(what) for t in texts]
    cols = [c for c in popup_cols if c in pts.columns] or _all_fields(pts, exclude=(label_col,) if label_col else ())
    fields = [(c, label_for(c)) for c in cols if c != label_col]
    geoms = display_geometries(pts, st, as_points=True)
    layer_name = f"{what}（{len(pts)}）"
    _add_layer(m, geoms, ["p"] * len(pts), styles, fields=fields, names=names, tooltips=names,
               values=_values(pts, fields), layer_name=layer_name, show=show)
    st.add_source(pts.attrs.get("mzgeo_source"), what)
    st.legends.append(LegendSection(what, [(svg_icon(shape, colour, 14), f"{what}（{len(pts)}）")]))


def add_boundary(
    m: folium.Map,
    lines: Any,
    markers: Any = None,
    junctions: gpd.GeoDataFrame | None = None,
    crossings: gpd.GeoDataFrame | None = None,
    *,
    gaps: gpd.GeoDataFrame | None = None,
    stretches: gpd.GeoDataFrame | None = None,
    name_col: str | None = None,
    finding_col: str | None = None,
    popup_cols: Sequence[str] | Mapping[str, str] | None = None,
    marker_popup_cols: Sequence[str] | Mapping[str, str] | None = None,
    labels: bool = True,
    simplify_m: float = BOUNDARY_SIMPLIFY_M,
    show: bool = True,
) -> folium.Map:
    """Draw boundary lines with their names, markers coloured by finding, tri-junctions and crossings.

    Takes the results of :mod:`mzgeo.boundary` directly: ``lines`` may be the
    ``BoundaryLines`` of :func:`mzgeo.boundary_lines` (its ``.junctions`` and ``.gaps``
    are then drawn too) and ``markers`` the ``MarkerCheck`` of
    :func:`mzgeo.markers_on_lines` (its ``.stretches`` too); plain GeoDataFrames work.

    Parameters
    ----------
    m : folium.Map
    lines : GeoDataFrame or BoundaryLines
        Lines in any CRS with the line name (``line_name`` or ``name``); ``side_a_name``,
        ``side_b_name``, ``length_m``, ``junctions`` shown when present. Names are drawn
        as permanent labels, each line in its own colour.
    markers : GeoDataFrame or MarkerCheck, optional
        界桩 points with ``marker_id`` and a finding: a boolean ``flagged`` (preferred) or
        a ``finding`` / ``findings`` / ``status`` text (empty, "ok", 正常, 完好, 无问题 =
        fine; anything else = flagged). Flagged markers are red, the others green.
    junctions : GeoDataFrame, optional
        Tri-junction points (三交点), e.g. ``junction_name``, ``unit_names``.
    crossings : GeoDataFrame, optional
        Points where the lines cross roads, rivers, railways (:func:`mzgeo.line_crossings`:
        ``feature_name``, ``feature_class``, ``chainage_km``...).
    gaps : GeoDataFrame, optional
        Gaps (缝隙) and overlaps (重叠) between the two sides' polygons (``kind``,
        ``area_m2``), drawn as orange / red areas.
    stretches : GeoDataFrame, optional
        Stretches of line without a marker (``from_km``, ``to_km``), drawn as wide
        translucent bands.
    name_col : str, optional
        Line name column; default ``line_name``, else ``name``.
    finding_col : str, optional
        Finding column of ``markers``; default the first of ``flagged``, ``finding``,
        ``findings``, ``status``.
    popup_cols, marker_popup_cols : list or dict, optional
        Extra popup columns for lines and markers.
    labels : bool
        Permanent name labels on the lines.
    simplify_m : float
        Display simplification of the lines (m); 2 m by default, as the line is the subject.
    show : bool
        Whether the layers are visible when the map opens.

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        No line name column, or a finding column that does not exist.
    """
    st = state_of(m)
    if hasattr(lines, "lines") and not isinstance(lines, pd.DataFrame):  # BoundaryLines
        junctions = junctions if junctions is not None else getattr(lines, "junctions", None)
        gaps = gaps if gaps is not None else getattr(lines, "gaps", None)
        lines = lines.lines
    if hasattr(markers, "markers") and not isinstance(markers, pd.DataFrame):  # MarkerCheck
        stretches = stretches if stretches is not None else getattr(markers, "stretches", None)
        markers = markers.markers

    if gaps is not None:
        _gap_layer(m, st, gaps, show=show)
    if stretches is not None:
        _stretch_layer(m, st, stretches, simplify_m=simplify_m, show=show)
    gdf = _frame(lines, "界线")
    if len(gdf):
        name_col = name_col or _title_col(gdf, ("line_name", "name"))
        if name_col is None or name_col not in gdf.columns:
            msg = "界线图层需要名称列 line_name（或 name），或用 name_col= 指定"
            raise InputError(msg)
        line_names = gdf[name_col].astype("string").fillna("未命名")
        uniq = list(dict.fromkeys(line_names.tolist()))
        colour_of = {n: QUALITATIVE[i % len(QUALITATIVE)] for i, n in enumerate(uniq)}
        key_of = {n: f"L{i}" for i, n in enumerate(uniq)}
        keys = [key_of[n] for n in line_names]
        styles = {key_of[n]: {"color": colour_of[n], "weight": 3.5, "opacity": 0.95, "dashArray": "12 5 3 5"}
                  for n in uniq}
        names = [esc(n) for n in line_names]
        fields = _popup_fields(gdf, None, popup_cols, defaults=_LINE_COLS, exclude=(name_col,))
        geoms = display_geometries(gdf, st, simplify_m=simplify_m)
        layer_name = f"界线（{len(uniq)} 条）"
        _add_layer(m, geoms, keys, styles, fields=fields, names=names, tooltips=names,
                   values=_values(gdf, fields), labels=names if labels else None,
                   label_class="mzgeo-label mzgeo-label-line", layer_name=layer_name, show=show)
        st.add_source(gdf.attrs.get("mzgeo_source"), "界线")
        if len(uniq) <= 12:
            entries = [(swatch_html("line", colour_of[n], dash="y"), n) for n in uniq]
        else:
            entries = [(swatch_html("line", QUALITATIVE[0], dash="y"), f"界线（{len(uniq)} 条）")]
        st.legends.append(LegendSection("界线", entries))
        _fit(m, st, gdf)

    if markers is not None:
        _marker_layer(m, st, markers, finding_col=finding_col, popup_cols=marker_popup_cols, show=show)
    if junctions is not None:
        _point_layer(m, st, junctions, what="三交点", shape="triangle", colour="#111111", size=16,
                     label_cols=("junction_name", "name", "unit_names"), popup_cols=_JUNCTION_COLS, show=show)
    if crossings is not None:
        _point_layer(m, st, crossings, what="穿越点", shape="cross", colour="#e66101", size=14,
                     label_cols=("feature_name", "name"), popup_cols=_CROSSING_COLS, show=show)
    finalise(m)
    return m


def _marker_layer(
    m: folium.Map,
    st: MapState,
    markers: gpd.GeoDataFrame,
    *,
    finding_col: str | None,
    popup_cols: Sequence[str] | Mapping[str, str] | None,
    show: bool,
) -> None:
    mk = _frame(markers, "界桩")
    if len(mk) == 0:
        return
    if finding_col is not None and finding_col not in mk.columns:
        msg = f"finding_col 列 {finding_col!r} 不存在"
        raise InputError(msg)
    fcol = finding_col or _title_col(mk, ("flagged", "finding", "findings", "status"))
    flags = finding_flags(mk[fcol], fcol) if fcol else np.zeros(len(mk), dtype=bool)
    keys = np.where(flags, "bad", "ok")
    styles = {"ok": {"html": svg_icon("square", FINDING_OK, 13), "size": 13},
              "bad": {"html": svg_icon("square", FINDING_FLAGGED, 15), "size": 15}}
    title_col = _title_col(mk, ("marker_id", "name"))
    ids = _texts(mk[title_col]) if title_col else [None] * len(mk)
    names = [f"界桩 {n}" if n else "界桩" for n in ids]
    defaults = [c for c in _MARKER_COLS if c != fcol] + ([fcol] if fcol else [])
    fields = _popup_fields(mk, "markers", popup_cols, defaults=defaults, exclude=(title_col,) if title_col else ())
    geoms = display_geometries(mk, st, as_points=True)
    n_bad = int(flags.sum())
    _add_layer(m, geoms, keys, styles, fields=fields, names=names, tooltips=names,
               values=_values(mk, fields), layer_name=f"界桩（{len(mk)}）", show=show)
    st.add_source(mk.attrs.get("mzgeo_source"), "界桩")
    st.legends.append(LegendSection("界桩", [
        (svg_icon("square", FINDING_OK, 13), f"正常（{len(mk) - n_bad}）"),
        (svg_icon("square", FINDING_FLAGGED, 13), f"需核查（{n_bad}）"),
    ]))
    _fit(m, st, mk)


def _gap_layer(m: folium.Map, st: MapState, gaps: gpd.GeoDataFrame, *, show: bool) -> None:
    gdf = _frame(gaps, "缝隙与重叠")
    if len(gdf) == 0:
        return
    kinds = gdf["kind"].astype("string").fillna("缝隙") if "kind" in gdf.columns else pd.Series(["缝隙"] * len(gdf))
    keys = np.where(kinds.str.contains("重叠").to_numpy(dtype=bool), "overlap", "gap")
    styles = {"gap": {"color": "#e66101", "weight": 1.5, "fillColor": "#fdb863", "fillOpacity": 0.7},
              "overlap": {"color": "#b2182b", "weight": 1.5, "fillColor": "#ef8a62", "fillOpacity": 0.7}}
    names = [esc(k) for k in kinds]
    fields = [(c, label_for(c)) for c in _GAP_COLS if c in gdf.columns and c != "kind"]
    geoms = display_geometries(gdf, st, simplify_m=0.0)  # small slivers: never simplified away
    _add_layer(m, geoms, keys, styles, fields=fields, names=names, tooltips=names, values=_values(gdf, fields),
               layer_name=f"缝隙与重叠（{len(gdf)}）", show=show)
    st.add_source(gdf.attrs.get("mzgeo_source"), "缝隙与重叠")
    st.legends.append(LegendSection("缝隙与重叠", [
        (swatch_html("fill", "#fdb863", border="#e66101"), f"缝隙（{int((keys == 'gap').sum())}）"),
        (swatch_html("fill", "#ef8a62", border="#b2182b"), f"重叠（{int((keys == 'overlap').sum())}）"),
    ]))


def _stretch_layer(m: folium.Map, st: MapState, stretches: gpd.GeoDataFrame, *, simplify_m: float,
                   show: bool) -> None:
    gdf = _frame(stretches, "无界桩长段")
    if len(gdf) == 0:
        return
    style = {"s": {"color": "#fdae61", "weight": 12, "opacity": 0.55, "lineCap": "butt"}}
    names = [esc("无界桩长段")] * len(gdf)
    fields = [(c, label_for(c)) for c in _STRETCH_COLS if c in gdf.columns]
    geoms = display_geometries(gdf, st, simplify_m=simplify_m)
    _add_layer(m, geoms, ["s"] * len(gdf), style, fields=fields, names=names, tooltips=names,
               values=_values(gdf, fields), layer_name=f"无界桩长段（{len(gdf)}）", show=show)
    st.add_source(gdf.attrs.get("mzgeo_source"), "无界桩长段")
    st.legends.append(LegendSection("无界桩长段", [(swatch_html("line", "#fdae61"), f"无界桩长段（{len(gdf)}）")]))


