"""Administrative units: outlines (:func:`add_units`) and choropleths of a figure per unit (:func:`choropleth`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from .. import settings
from ..errors import InputError
from ._layer import (
    LegendSection,
    _add_layer,
    _fit,
    _frame,
    _popup_fields,
    _texts,
    _values,
    display_geometries,
    finalise,
    state_of,
)
from .base import base_map
from .style import (
    COLUMN_UNITS,
    DISPLAY_SIMPLIFY_M,
    NO_DATA_COLOUR,
    PALETTES,
    class_edges,
    diverging_colours,
    esc,
    fmt_number,
    is_share_column,
    label_for,
    ramp,
    swatch_html,
)

logger = logging.getLogger("mzgeo")

__all__ = [
    "add_choropleth",
    "add_units",
    "choropleth",
]

def add_units(
    m: folium.Map,
    units: gpd.GeoDataFrame,
    *,
    name: str = "行政区划",
    name_col: str = "name",
    labels: bool | None = None,
    popup_cols: Sequence[str] | Mapping[str, str] | None = None,
    simplify_m: float = DISPLAY_SIMPLIFY_M,
    show: bool = True,
) -> folium.Map:
    """Draw administrative units as outlines (the base of a map without tiles).

    Parameters
    ----------
    m : folium.Map
    units : GeoDataFrame
        Polygons in any CRS; columns ``name`` (label), optionally ``code``, ``level``,
        ``population``, ``elderly``.
    name : str
        Layer name.
    name_col : str
        Column with the unit names.
    labels : bool, optional
        Permanent name labels; default when there are at most 40 units.
    popup_cols : list or dict, optional
        Extra columns for the popup (dict: column → Chinese label).
    simplify_m : float
        Display simplification tolerance (m).
    show : bool
        Whether the layer is visible when the map opens.

    Returns
    -------
    folium.Map
        ``m``, with the layer added.
    """
    st = state_of(m)
    gdf = _frame(units, "行政区划")
    if len(gdf) == 0:
        return m
    geoms = display_geometries(gdf, st, simplify_m=simplify_m)
    tiled = st.basemap is not None
    style = {"color": "#4d4d4d", "weight": 1.3, "opacity": 0.9, "fillColor": "#ffffff" if tiled else "#fbfaf5",
             "fillOpacity": 0.0 if tiled else 0.85}
    names = _texts(gdf[name_col]) if name_col in gdf.columns else None
    show_labels = labels if labels is not None else len(gdf) <= 40
    fields = _popup_fields(gdf, "units", popup_cols)
    _add_layer(m, geoms, ["u"] * len(gdf), {"u": style}, fields=fields, names=names, tooltips=names,
               values=_values(gdf, fields), labels=names if (show_labels and names) else None,
               layer_name=name, show=show)
    st.add_source(gdf.attrs.get("mzgeo_source"), name)
    st.legends.append(LegendSection(name, [(swatch_html("line", "#4d4d4d"), "行政区界线")]))
    _fit(m, st, gdf)
    finalise(m)
    return m



# --- choropleth --------------------------------------------------------------------------------
def add_choropleth(
    m: folium.Map,
    units: gpd.GeoDataFrame,
    column: str,
    *,
    target: float | None = None,
    diverging: float | None = None,
    bins: Sequence[float] | None = None,
    n_classes: int = 5,
    palette: str = "YlGnBu",
    reverse: bool = False,
    title: str | None = None,
    legend: str | None = None,
    target_unit: str | None = None,
    name: str | None = None,
    name_col: str = "name",
    labels: bool | None = None,
    popup_cols: Sequence[str] | Mapping[str, str] | None = None,
    simplify_m: float = DISPLAY_SIMPLIFY_M,
    show: bool = True,
) -> folium.Map:
    """Colour units by a figure: beds per 1,000 elderly against the target, coverage share, accessibility.

    Parameters
    ----------
    m : folium.Map
    units : GeoDataFrame
        Unit polygons in any CRS with ``column`` (numbers; missing values drawn grey as
        "无数据") and ``name``.
    column : str
        Column to map.
    target : float, optional
        Target value stated in the legend ("目标 37.5 张/千名老人"); colours then diverge
        around it (red below, blue at or above; classes at 50, 80, 100, 120 and 150 % of
        the target). For ``beds_per_1000`` the default is
        ``settings.bed_target_per_1000`` (37.5).
    diverging : float, optional
        Centre of diverging colours when it differs from ``target`` (e.g. 0 for a
        difference); classes then split the largest deviation into thirds.
    bins : sequence of float, optional
        Inner class edges; overrides the automatic classes (quantiles, or 50/70/80/90/95 %
        for share columns).
    n_classes : int
        Number of sequential classes.
    palette : str
        Sequential palette name (see :data:`mzgeo.maps.style.PALETTES`).
    reverse : bool
        Dark for low values (for travel times, where low is good).
    title : str, optional
        Map title (replaces the one given to :func:`base_map`).
    legend : str, optional
        Legend title; default the column's Chinese label.
    target_unit : str, optional
        Unit in the target statement; default from the column ("张/千名老人" for beds).
    name : str, optional
        Layer name; default the legend title.
    name_col : str
        Column with the unit names.
    labels : bool, optional
        Permanent labels with the unit's name and value; default when there are at most
        40 units (otherwise the name and value show on hover).
    popup_cols : list or dict, optional
        Extra popup columns.
    simplify_m : float
        Display simplification tolerance (m).
    show : bool
        Whether the layer is visible when the map opens.

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        ``column`` missing or not numeric.
    """
    st = state_of(m)
    gdf = _frame(units, "行政区划")
    if column not in gdf.columns:
        cols = "、".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
        msg = f"专题图的列 {column!r} 不存在；可用的列：{cols}"
        raise InputError(msg)
    try:
        values = pd.to_numeric(gdf[column], errors="raise").astype(float).to_numpy()
    except (ValueError, TypeError) as exc:
        msg = f"专题图的列 {column!r} 不是数值"
        raise InputError(msg) from exc
    if palette not in PALETTES:
        msg = f"未知的色带 {palette!r}，可用：{'、'.join(PALETTES)}"
        raise InputError(msg)
    if target is None and column in ("beds_per_1000",):
        target = float(settings.bed_target_per_1000)
    centre = diverging if diverging is not None else target
    share = is_share_column(column) and np.nanmax(np.abs(values), initial=0) <= 1.0
    edges = class_edges(values, centre=centre, target=target, bins=bins, n_classes=n_classes, share=share)
    n = len(edges) + 1
    if centre is not None:
        below = int(np.sum(edges <= centre))
        colours = diverging_colours(below, n - below)
    else:
        colours = ramp(palette, n)
    if reverse:
        colours = colours[::-1]
    cls = np.digitize(values, edges, right=False)
    nan = ~np.isfinite(values)
    keys = np.where(nan, "na", np.char.add("c", cls.astype(str)))
    styles: dict[str, dict[str, Any]] = {
        f"c{i}": {"color": "#555555", "weight": 1, "opacity": 0.9, "fillColor": c, "fillOpacity": 0.8}
        for i, c in enumerate(colours)
    }
    styles["na"] = {"color": "#555555", "weight": 1, "fillColor": NO_DATA_COLOUR, "fillOpacity": 0.6}

    def fmt(v: float) -> str:  # class edges and the target
        return f"{v * 100:.0f}%" if share else fmt_number(float(v))

    def figure(v: float) -> str:  # one unit's value
        if not np.isfinite(v):
            return "无数据"
        return f"{v * 100:.1f}%" if share else fmt_number(float(v))

    entries = []
    for i, c in enumerate(colours):
        if i == 0:
            text = f"< {fmt(edges[0])}" if len(edges) else "全部"
        elif i == n - 1:
            text = f"≥ {fmt(edges[-1])}"
        else:
            text = f"{fmt(edges[i - 1])} – {fmt(edges[i])}"
        count = int(np.sum((cls == i) & ~nan))
        entries.append((swatch_html("fill", c, border="#555555"), f"{text}（{count}）"))
    if nan.any():
        entries.append((swatch_html("fill", NO_DATA_COLOUR, border="#555555"), f"无数据（{int(nan.sum())}）"))
    legend_title = legend or label_for(column)
    unit = target_unit if target_unit is not None else COLUMN_UNITS.get(column, "")
    note = None
    if target is not None:
        note = f"目标 {fmt(target)} {unit}".rstrip() + "；红色低于目标，蓝色达到或高于目标"
    elif centre is not None:
        note = f"以 {fmt(centre)} 为中心：红色较低，蓝色较高"

    names = _texts(gdf[name_col]) if name_col in gdf.columns else None
    short = [figure(v) for v in values]
    value_texts = [t + (f" {unit}" if unit and np.isfinite(v) else "") for t, v in zip(short, values, strict=True)]
    tips = [f"{nm}：{esc(t)}" if nm else esc(t) for nm, t in zip(names or [None] * len(gdf), value_texts, strict=True)]
    fields = [(column, legend_title)]
    vals = [[esc(t)] for t in value_texts]
    if target is not None:
        fields.append(("__target", "目标"))
        vals = [[*row, esc(f"{fmt(target)} {unit}".strip())] for row in vals]
    more = _popup_fields(gdf, "units", popup_cols, defaults=("elderly", "beds", "bed_gap", "population"),
                         exclude=(column,))
    more_vals = _values(gdf, more)
    vals = [[*a, *b] for a, b in zip(vals, more_vals, strict=True)]
    fields = [*fields, *more]
    geoms = display_geometries(gdf, st, simplify_m=simplify_m)
    layer_name = name or legend_title
    show_labels = labels if labels is not None else len(gdf) <= 40
    # permanent label: the name over the value (a hover tooltip cannot coexist with it in Leaflet)
    unit_labels = [f"{nm}<br>{esc(t)}" if nm else esc(t) for nm, t in
                   zip(names or [None] * len(gdf), short, strict=True)] if show_labels else None
    _add_layer(m, geoms, keys, styles, fields=fields, names=names, tooltips=tips, values=vals,
               labels=unit_labels, layer_name=layer_name, show=show)
    st.add_source(gdf.attrs.get("mzgeo_source"), layer_name)
    st.legends.append(LegendSection(legend_title, entries, note))
    if title is not None:
        st.title = title
    _fit(m, st, gdf)
    finalise(m)
    return m


def choropleth(
    units: gpd.GeoDataFrame,
    column: str,
    *,
    target: float | None = None,
    diverging: float | None = None,
    title: str | None = None,
    legend: str | None = None,
    basemap: str | None = None,
    caption: str | None = None,
    tianditu_key: str | None = None,
    **kwargs: Any,
) -> folium.Map:
    """Return a new map of one unit figure: :func:`base_map` then :func:`add_choropleth`.

    Parameters
    ----------
    units : GeoDataFrame
        Unit polygons with ``column`` and ``name``.
    column : str
        Figure to map (e.g. ``beds_per_1000``, ``share_covered``, ``access_per_1000``).
    target, diverging, legend
        See :func:`add_choropleth`.
    title : str, optional
        Map title; default the legend title.
    basemap, caption, tianditu_key
        See :func:`base_map`.
    **kwargs
        Further options of :func:`add_choropleth` (``bins``, ``palette``, ``popup_cols``...).

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"name": ["甲镇", "乙镇"], "beds_per_1000": [30.0, 41.0]},
    ...                          geometry=[box(120.0, 30.8, 120.1, 30.9), box(120.1, 30.8, 120.2, 30.9)],
    ...                          crs=4326)
    >>> from mzgeo.maps import to_html
    >>> m = choropleth(units, "beds_per_1000")
    >>> "目标 37.5 张/千名老人" in to_html(m)
    True
    """
    m = base_map(units, basemap, title=None, caption=caption, tianditu_key=tianditu_key)
    add_choropleth(m, units, column, target=target, diverging=diverging, legend=legend, **kwargs)
    st = state_of(m)
    st.title = title if title is not None else (legend or label_for(column))
    return m


