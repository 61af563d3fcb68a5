"""Service areas (isochrone bands) and uncovered demand (gap points and clusters)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ._layer import (
    LegendSection,
    _add_layer,
    _fit,
    _frame,
    _kind,
    _popup_fields,
    _texts,
    _title_col,
    _values,
    display_geometries,
    finalise,
    state_of,
)
from .style import (
    DISPLAY_SIMPLIFY_M,
    PALETTES,
    UNCOVERED_COLOUR,
    esc,
    fmt_number,
    label_for,
    ramp,
    swatch_html,
)

logger = logging.getLogger("mzgeo")

__all__ = [
    "add_service_areas",
    "add_uncovered",
]

# --- service areas and uncovered demand --------------------------------------------------------
def _minutes_cols(gdf: gpd.GeoDataFrame, minutes_col: str | None) -> tuple[str, str | None]:
    if minutes_col is not None:
        if minutes_col not in gdf.columns:
            msg = f"服务范围没有列 {minutes_col!r}"
            raise InputError(msg)
        upper = minutes_col
    elif "minutes_to" in gdf.columns:
        upper = "minutes_to"
    elif "minutes" in gdf.columns:
        upper = "minutes"
    else:
        msg = "服务范围需要列 minutes（或 minutes_from/minutes_to）：每个多边形的通行时间上限（分钟）"
        raise InputError(msg)
    lower = "minutes_from" if upper == "minutes_to" and "minutes_from" in gdf.columns else None
    return upper, lower


def add_service_areas(
    m: folium.Map,
    areas: gpd.GeoDataFrame,
    *,
    minutes_col: str | None = None,
    dissolve: bool = False,
    facility_col: str = "name",
    mode: str | None = None,
    name: str | None = None,
    palette: str = "YlGnBu",
    popup_cols: Sequence[str] | Mapping[str, str] | None = None,
    simplify_m: float = DISPLAY_SIMPLIFY_M,
    show: bool = True,
) -> folium.Map:
    """Draw service areas (isochrones) with a sequential colour per time break.

    Parameters
    ----------
    m : folium.Map
    areas : GeoDataFrame
        Polygons in any CRS, one per facility and break, with ``minutes`` (upper limit of
        the break, minutes) or ``minutes_from`` / ``minutes_to``; optionally ``name``
        (the facility).
    minutes_col : str, optional
        Column with the upper limit; default ``minutes_to``, else ``minutes``.
    dissolve : bool
        Merge the polygons of each break into one (a cleaner picture for many facilities).
    facility_col : str
        Column naming the facility of each polygon.
    mode : str, optional
        Travel mode for the legend ("步行", "驾车").
    name : str, optional
        Layer name; default "服务范围（mode）".
    palette : str
        Sequential palette (YlGnBu, Blues, Greens, YlOrRd, Purples); the shortest break is darkest.
    popup_cols : list or dict, optional
        Extra popup columns.
    simplify_m : float
        Display simplification tolerance (m).
    show : bool
        Whether the layer is visible when the map opens.

    Returns
    -------
    folium.Map
    """
    st = state_of(m)
    gdf = _frame(areas, "服务范围")
    if palette not in PALETTES:
        msg = f"未知的色带 {palette!r}，可用：{'、'.join(PALETTES)}"
        raise InputError(msg)
    upper, lower = _minutes_cols(gdf, minutes_col)
    gdf = gdf[gdf[upper].notna()]
    if len(gdf) == 0:
        return m
    source = areas.attrs.get("mzgeo_source") if hasattr(areas, "attrs") else None
    if dissolve:
        by = [upper] if lower is None else [lower, upper]
        gdf = gdf[[*by, gdf.geometry.name]].dissolve(by=by, as_index=False)
    breaks = np.sort(gdf[upper].astype(float).unique())
    colours = ramp(palette, len(breaks), skip_lightest=2, skip_darkest=1)[::-1]  # shortest time darkest
    idx = np.searchsorted(breaks, gdf[upper].astype(float).to_numpy())
    order = np.argsort(-gdf[upper].astype(float).to_numpy(), kind="stable")  # widest first, at the bottom
    gdf = gdf.iloc[order]
    idx = idx[order]
    keys = [f"b{i}" for i in idx]
    styles = {f"b{i}": {"color": c, "weight": 1, "opacity": 0.8, "fillColor": c, "fillOpacity": 0.32}
              for i, c in enumerate(colours)}

    def label(i: int) -> str:
        hi = fmt_number(breaks[i])
        if lower is not None:
            lo_vals = gdf.loc[np.asarray(idx) == i, lower]
            lo = fmt_number(float(lo_vals.iloc[0])) if len(lo_vals) and pd.notna(lo_vals.iloc[0]) else "0"
            return f"{lo}–{hi} 分钟"
        return f"≤ {hi} 分钟"

    break_labels = [label(i) for i in range(len(breaks))]
    layer_name = name or (f"服务范围（{mode}）" if mode else "服务范围")
    fac = _texts(gdf[facility_col]) if (facility_col in gdf.columns and not dissolve) else None
    time_text = [esc(break_labels[i]) for i in idx]
    names = [f"{f} · {t}" if f else t for f, t in zip(fac, time_text, strict=True)] if fac else time_text
    fields = _popup_fields(gdf, None, popup_cols, defaults=())
    geoms = display_geometries(gdf, st, simplify_m=simplify_m)
    _add_layer(m, geoms, keys, styles, fields=fields, names=names, tooltips=names, values=_values(gdf, fields),
               layer_name=layer_name, show=show)
    st.add_source(source, layer_name)
    entries = [(swatch_html("fill", colours[i]), break_labels[i]) for i in range(len(breaks))]
    st.legends.append(LegendSection(layer_name, entries))
    _fit(m, st, gdf)
    finalise(m)
    return m


def add_uncovered(
    m: folium.Map,
    demand_points: gpd.GeoDataFrame,
    *,
    weight_col: str | None = None,
    covered_col: str | None = None,
    kind: str | None = None,
    name: str | None = None,
    popup_cols: Sequence[str] | Mapping[str, str] | None = None,
    show: bool = True,
) -> folium.Map:
    """Draw demand that no facility reaches: red dots (sized by weight) or red polygons.

    Parameters
    ----------
    m : folium.Map
    demand_points : GeoDataFrame
        Uncovered demand (points, or polygons such as clusters) in any CRS; columns
        ``name`` and the weight column when present.
    weight_col : str, optional
        Column sizing the dots (e.g. ``elderly``); dots have five sizes by the square root.
    covered_col : str, optional
        A boolean column; when given, only rows where it is false are drawn (pass the full
        per-demand-point coverage table).
    kind : str, optional
        Layer kind of the demand (``villages``...), for popup columns.
    name : str, optional
        Layer name; default "未覆盖（n）".
    popup_cols : list or dict, optional
        Extra popup columns.
    show : bool
        Whether the layer is visible when the map opens.

    Returns
    -------
    folium.Map
    """
    st = state_of(m)
    gdf = _frame(demand_points, "未覆盖需求")
    kind = _kind(gdf, kind)
    if covered_col is not None:
        if covered_col not in gdf.columns:
            msg = f"covered_col 列 {covered_col!r} 不存在"
            raise InputError(msg)
        gdf = gdf[~gdf[covered_col].fillna(False).astype(bool)]
    if weight_col is not None and weight_col not in gdf.columns:
        msg = f"weight_col 列 {weight_col!r} 不存在"
        raise InputError(msg)
    if len(gdf) == 0:
        logger.info("没有未覆盖的需求，未绘制")
        return m
    layer_name = name or f"未覆盖（{len(gdf)}）"
    is_point = shapely.get_type_id(gdf.geometry.to_numpy()) == 0
    radii = (4.0, 5.5, 7.0, 9.0, 11.0)
    if weight_col is not None:
        w = np.sqrt(np.clip(gdf[weight_col].astype(float).fillna(0).to_numpy(), 0, None))
        top = w.max() if len(w) and w.max() > 0 else 1.0
        cls = np.minimum((w / top * len(radii)).astype(int), len(radii) - 1)
    else:
        cls = np.full(len(gdf), 1)
    keys = np.where(is_point, np.char.add("r", cls.astype(str)), "poly")
    styles: dict[str, dict[str, Any]] = {
        f"r{i}": {"radius": r, "color": "#ffffff", "weight": 1, "fillColor": UNCOVERED_COLOUR, "fillOpacity": 0.9}
        for i, r in enumerate(radii)
    }
    styles["poly"] = {"color": UNCOVERED_COLOUR, "weight": 1.2, "fillColor": UNCOVERED_COLOUR, "fillOpacity": 0.3}
    title_col = _title_col(gdf, ("name", "code"))
    names = _texts(gdf[title_col]) if title_col else None
    defaults = [c for c in (weight_col, "minutes", "nearest", "population", "elderly") if c]
    fields = _popup_fields(gdf, kind, popup_cols, defaults=list(dict.fromkeys(defaults)))
    geoms = display_geometries(gdf, st, simplify_m=DISPLAY_SIMPLIFY_M)
    _add_layer(m, geoms, keys, styles, fields=fields, names=names, tooltips=names, values=_values(gdf, fields),
               layer_name=layer_name, show=show)
    st.add_source(gdf.attrs.get("mzgeo_source"), layer_name)
    note = f"圆点大小按{label_for(weight_col, kind)}" if weight_col else None
    st.legends.append(LegendSection("未覆盖", [(swatch_html("dot", UNCOVERED_COLOUR), layer_name)], note))
    _fit(m, st, gdf)
    finalise(m)
    return m


