"""HTML maps that open anywhere, also from a USB stick on an offline intranet.

Every builder returns the :class:`folium.Map` it draws on, so a notebook shows it inline,
and :func:`save` writes one self-contained HTML file.

Coordinates
    Layers come in any CRS. Each overlay is reprojected to WGS84 (EPSG:4326) when drawn,
    and shifted to GCJ-02 only when the basemap is Amap (高德), whose tiles are GCJ-02;
    the shift happens in one function, once per layer. Lines and polygons are simplified
    for display at ``simplify_m`` metres (10 m by default, 2 m for boundary lines) in the
    metric CRS before reprojection, and drawn coordinates are rounded to 5 decimals of a
    degree (≈ 1.1 m).

Offline
    ``save(m, path)`` (``offline=True``) inlines Leaflet 1.9.3 and Leaflet.markercluster
    1.4.1 from the ``xstatic-leaflet`` packages (no CDN), draws symbols as inline SVG (no
    icon font, no image file) and refuses anything that would load from another host. With
    ``basemap=None`` (the default) the file makes no request at all; with a tiled basemap
    the tiles are the only requests (and stay blank on an intranet without access).
    The same holds inline in a notebook: maps made here are ``OfflineMap`` (a
    ``folium.Map``) whose ``_repr_html_`` shows that offline page in the cell's iframe.

Safety
    Every user string (names, addresses, remarks, titles, legend entries, layer names) is
    HTML-escaped, so a facility named ``<script>alert(1)</script>`` shows as text; curly
    braces are escaped too, because folium evaluates ``{{ }}`` in element output as Jinja.

Public API
    :func:`base_map` (basemap, title, caption, admin units), :func:`add_units`,
    :func:`add_facilities`, :func:`add_proposed_sites`, :func:`add_service_areas`,
    :func:`add_uncovered`, :func:`add_choropleth` / :func:`choropleth`,
    :func:`add_boundary`, :func:`save` / :func:`to_html`, :func:`save_index`.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> from mzgeo import maps
>>> shelters = gpd.GeoDataFrame({"name": ["城南小学"], "tier": ["乡镇级"], "capacity": [300]},
...                             geometry=[Point(120.09, 30.87)], crs=4326)
>>> m = maps.base_map(shelters, title="避灾安置场所")
>>> m = maps.add_facilities(m, shelters, kind="shelters")
>>> type(m).__name__
'Map'
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.plugins import MarkerCluster

from .. import settings
from .._files import atomic_path
from ..errors import InputError
from ..layers import get_spec
from ._layer import (
    COORD_DECIMALS,
    GeoLayer,
    LegendSection,
    MapState,
    attach,
    display_bounds,
    display_geometries,
    feature_collection,
    finalise,
    state_of,
)
from .render import OfflineMap, external_resources, render_html
from .style import (
    COLUMN_UNITS,
    FINDING_FLAGGED,
    FINDING_OK,
    FONT_STACK,
    GENERIC_POPUP_COLS,
    KIND_POPUP_COLS,
    KIND_SYMBOLS,
    NO_DATA_COLOUR,
    PALETTES,
    PROPOSED_FILL,
    PROPOSED_STROKE,
    QUALITATIVE,
    UNCOVERED_COLOUR,
    class_edges,
    diverging_colours,
    esc,
    finding_flags,
    fmt_number,
    fmt_value,
    is_share_column,
    label_for,
    ramp,
    svg_icon,
    swatch_html,
)

__all__ = [
    "BASEMAPS",
    "BOUNDARY_SIMPLIFY_M",
    "CLUSTER_THRESHOLD",
    "COORD_DECIMALS",
    "DISPLAY_SIMPLIFY_M",
    "add_boundary",
    "add_choropleth",
    "add_facilities",
    "add_proposed_sites",
    "add_service_areas",
    "add_uncovered",
    "add_units",
    "base_map",
    "choropleth",
    "external_resources",
    "save",
    "save_index",
    "to_html",
]

logger = logging.getLogger("mzgeo")

#: Basemap keys: ``None`` (no tiles, offline), OpenStreetMap, 天地图 vector / image, 高德 (GCJ-02).
BASEMAPS: tuple[str | None, ...] = (None, "osm", "tianditu", "tianditu_img", "amap")
#: Display simplification tolerance (m) for polygons and lines.
DISPLAY_SIMPLIFY_M = 10.0
#: Display simplification tolerance (m) for boundary lines (the subject of an inspection map).
BOUNDARY_SIMPLIFY_M = 2.0
#: More points than this in one layer are clustered (``cluster=None``).
CLUSTER_THRESHOLD = 200
#: Huzhou city (WGS84 lon/lat) for a map without data.
HUZHOU_BOUNDS = (119.23, 30.37, 120.49, 31.18)

_BASEMAP_ALIASES: dict[str, str | None] = {
    "none": None, "": None, "无": None, "offline": None,
    "osm": "osm", "openstreetmap": "osm",
    "tianditu": "tianditu", "tianditu_vec": "tianditu", "天地图": "tianditu", "天地图矢量": "tianditu",
    "tianditu_img": "tianditu_img", "天地图影像": "tianditu_img",
    "amap": "amap", "gaode": "amap", "高德": "amap", "高德地图": "amap",
}
_TIANDITU_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
    "&TILECOL={{x}}&tk={key}"
)
_AMAP_URL = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
_OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


# --- input checks ------------------------------------------------------------------------------
def _check_basemap(basemap: str | None) -> str | None:
    if basemap is None:
        return None
    key = str(basemap).strip().lower()
    if key in _BASEMAP_ALIASES:
        return _BASEMAP_ALIASES[key]
    valid = "、".join(repr(b) for b in BASEMAPS)
    msg = f"未知的底图 {basemap!r}，可用：{valid}（None 为无底图，离线可用）"
    raise InputError(msg)


def _frame(gdf: Any, what: str) -> gpd.GeoDataFrame:
    """A GeoDataFrame without empty geometries (input not modified)."""
    if isinstance(gdf, gpd.GeoSeries):
        gdf = gpd.GeoDataFrame(geometry=gdf)
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"{what} 需要 GeoDataFrame（带几何和坐标系），收到 {type(gdf).__name__}"
        raise InputError(msg)
    geo = gdf.geometry
    empty = geo.isna() | geo.is_empty
    if empty.any():
        logger.warning("%s：%d 个要素没有几何，未绘制", what, int(empty.sum()))
        out = gdf.loc[~empty]
        out.attrs = dict(gdf.attrs)
        return out
    return gdf


def _kind(gdf: gpd.GeoDataFrame, kind: str | None) -> str | None:
    kind = kind if kind is not None else gdf.attrs.get("mzgeo_kind")
    return get_spec(kind).key if kind is not None else None


def _kind_name(kind: str | None, default: str) -> str:
    return get_spec(kind).name_zh if kind else default


def _popup_fields(
    gdf: gpd.GeoDataFrame,
    kind: str | None,
    popup_cols: Sequence[str] | Mapping[str, str] | None,
    defaults: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
) -> list[tuple[str, str]]:
    """``(column, Chinese label)`` pairs for popups: kind defaults present, then the user's columns."""
    if defaults is None:
        defaults = KIND_POPUP_COLS.get(kind or "", GENERIC_POPUP_COLS)
    fields = [(c, label_for(c, kind)) for c in defaults if c in gdf.columns and c not in exclude]
    if popup_cols is not None:
        extra = popup_cols.items() if isinstance(popup_cols, Mapping) else ((c, None) for c in popup_cols)
        missing = []
        for col, lab in extra:
            if col not in gdf.columns:
                missing.append(str(col))
                continue
            fields = [f for f in fields if f[0] != col]
            fields.append((col, lab if lab is not None else label_for(col, kind)))
        if missing:
            cols = "、".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
            msg = f"popup_cols 中的列不存在：{'、'.join(missing)}；可用的列：{cols}"
            raise InputError(msg)
    return fields


def _texts(series: pd.Series) -> list[str | None]:
    """Formatted, escaped cell texts of a column (``None`` for missing)."""
    col = str(series.name)
    out: list[str | None] = []
    for v in series.tolist():
        t = fmt_value(v, col)
        out.append(None if t is None else esc(t))
    return out


def _values(gdf: pd.DataFrame, fields: list[tuple[str, str]]) -> list[list[str | None]]:
    cols = [_texts(gdf[c]) for c, _ in fields]
    return [list(row) for row in zip(*cols, strict=True)] if cols else [[] for _ in range(len(gdf))]


def _title_col(gdf: pd.DataFrame, preferred: Sequence[str]) -> str | None:
    return next((c for c in preferred if c in gdf.columns), None)


def _fit(m: folium.Map, st: MapState, data: Any, *, force: bool = False) -> None:
    if st.fitted and not force:
        return
    bounds = data if isinstance(data, list) else display_bounds(data, st)
    if bounds is None:
        return
    (s, w), (n, e) = bounds
    pad = 0.004
    if n - s < pad:
        s, n = s - pad, n + pad
    if e - w < pad:
        w, e = w - pad, e + pad
    m.add_child(folium.FitBounds([[s, w], [n, e]], padding=(24, 24), max_zoom=16), name="mzgeo_fit")
    m.location = [(s + n) / 2, (w + e) / 2]
    st.fitted = True


def _add_layer(
    m: folium.Map,
    geoms: np.ndarray,
    keys: Sequence[str],
    styles: dict[str, dict[str, Any]],
    *,
    fields: list[tuple[str, str]],
    names: list[str | None] | None,
    tooltips: list[str | None] | None,
    values: list[list[str | None]] | None,
    labels: list[str | None] | None = None,
    label_class: str | None = None,
    layer_name: str,
    show: bool = True,
    parent: Any = None,
) -> GeoLayer:
    data = feature_collection(geoms, list(keys), names=names, tooltips=tooltips, values=values, labels=labels)
    options: dict[str, Any] = {"styles": styles, "fields": [esc(lab) for _, lab in fields]}
    if label_class:
        options["labelClass"] = label_class
    in_cluster = parent is not None
    layer = GeoLayer(data, options, name=esc(layer_name), control=not in_cluster, show=show or in_cluster)
    (parent if in_cluster else m).add_child(layer)
    return layer


# --- base map ----------------------------------------------------------------------------------
def _hosts(url_template: str) -> tuple[str, ...]:
    """Host of a tile URL template as written (``t{s}.tianditu.gov.cn``)."""
    return (str(urlsplit(url_template).hostname),)


def _tile_layers(key: str | None, tianditu_key: str | None) -> tuple[list[folium.TileLayer], tuple[str, ...], str | None]:
    if key is None:
        return [], (), None
    if key == "osm":
        attr = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> 贡献者'
        layer = folium.TileLayer(_OSM_URL, attr=attr, name="OpenStreetMap", max_zoom=19)
        return [layer], _hosts(_OSM_URL), "OpenStreetMap（WGS84）"
    if key == "amap":
        layer = folium.TileLayer(_AMAP_URL, attr="&copy; 高德地图", name="高德地图", subdomains="1234", max_zoom=18)
        return [layer], _hosts(_AMAP_URL), "高德地图（GCJ-02）"
    tk = tianditu_key or os.environ.get("TIANDITU_KEY", "").strip()
    if not tk:
        msg = (
            "使用天地图底图需要密钥 (tk)：请传入 tianditu_key=...，或设置环境变量 TIANDITU_KEY"
            "（在天地图官网 console.tianditu.gov.cn 申请“浏览器端”密钥）；离线内网请用 basemap=None"
            " (TianDiTu key missing)"
        )
        raise InputError(msg)
    tk = quote(tk, safe="")
    base, note, title = ("img", "cia", "天地图影像") if key == "tianditu_img" else ("vec", "cva", "天地图矢量")
    attr = "&copy; 天地图（国家地理信息公共服务平台）"
    layers = [
        folium.TileLayer(_TIANDITU_URL.format(layer=base, key=tk), attr=attr, name=title,
                         subdomains="01234567", max_zoom=18),
        folium.TileLayer(_TIANDITU_URL.format(layer=note, key=tk), attr=attr, name="天地图注记",
                         subdomains="01234567", max_zoom=18, overlay=True, control=True),
    ]
    return layers, _hosts(_TIANDITU_URL.format(layer=base, key=tk)), "天地图（CGCS2000，与 WGS84 相差不足 1 米）"


def base_map(
    bounds_or_gdf: gpd.GeoDataFrame | gpd.GeoSeries | Sequence[float] | None = None,
    basemap: str | None = None,
    *,
    title: str | None = None,
    caption: str | None = None,
    tianditu_key: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    unit_labels: bool | None = None,
    simplify_m: float = DISPLAY_SIMPLIFY_M,
) -> folium.Map:
    """A map with a basemap (or none), layer control, scale bar, title and data-source caption.

    Parameters
    ----------
    bounds_or_gdf : GeoDataFrame, GeoSeries, (west, south, east, north) or None
        Extent to show: data in any CRS, or a WGS84 lon/lat box. ``None``: the extent of
        ``units``, else Huzhou city.
    basemap : {None, "osm", "tianditu", "tianditu_img", "amap"}
        ``None`` (default): no tiles, the admin boundaries of ``units`` are the base; the
        file then works offline. ``"osm"``: OpenStreetMap. ``"tianditu"``: 天地图 vector
        (vec_w) with its annotation layer (cva_w); ``"tianditu_img"``: image (img_w + cia_w).
        ``"amap"``: 高德 tiles, in GCJ-02: every overlay drawn on this map is shifted from
        WGS84 to GCJ-02 (once) so that it sits on the right street.
    title : str, optional
        Title shown at the top of the map (and as the page title).
    caption : str, optional
        Extra text appended to the caption, which lists the data sources of the layers
        drawn (``attrs["mzgeo_source"]``) and the basemap.
    tianditu_key : str, optional
        天地图 key (tk); default the ``TIANDITU_KEY`` environment variable. The key ends up
        in the HTML file.
    units : GeoDataFrame, optional
        Administrative units drawn as the base layer (see :func:`add_units`).
    unit_labels : bool, optional
        Label the units with their names; default when there are at most 40.
    simplify_m : float
        Display simplification of the unit polygons (m).

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        Unknown basemap, or 天地图 without a key.
    CRSError
        A layer without a CRS.
    """
    key = _check_basemap(basemap)
    tiles, hosts, credit = _tile_layers(key, tianditu_key)
    st = MapState(basemap=key, gcj02=key == "amap", tile_hosts=hosts, title=title, caption=caption,
                  basemap_credit=credit)
    m = OfflineMap(location=[30.87, 120.09], zoom_start=10, tiles=None, control_scale=False)
    m.options["max_zoom"] = 18
    attach(m, st)
    for t in tiles:
        m.add_child(t)
    if units is not None:
        add_units(m, units, labels=unit_labels, simplify_m=simplify_m)
    if bounds_or_gdf is None:
        bounds_or_gdf = units
    if bounds_or_gdf is None:
        bounds_or_gdf = HUZHOU_BOUNDS
    if isinstance(bounds_or_gdf, (gpd.GeoDataFrame, gpd.GeoSeries)):
        _fit(m, st, bounds_or_gdf, force=True)
    else:
        w, s, e, n = (float(v) for v in bounds_or_gdf)
        box = gpd.GeoSeries([shapely.box(w, s, e, n)], crs=4326)
        _fit(m, st, box, force=True)
    logger.info("底图：%s；叠加坐标：%s", key or "无", "GCJ-02" if st.gcj02 else "WGS84")
    finalise(m)
    return m


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


# --- facilities --------------------------------------------------------------------------------
def add_facilities(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    kind: str | None = None,
    popup_cols: Sequence[str] | Mapping[str, str] | None = None,
    tooltip_col: str | None = "name",
    cluster: bool | None = None,
    name: str | None = None,
    *,
    show: bool = True,
) -> folium.Map:
    """Draw facilities with a symbol per kind and tier, Chinese popups and tooltips.

    Parameters
    ----------
    m : folium.Map
    gdf : GeoDataFrame
        Points in any CRS (lines/polygons are drawn at a point on their surface). Columns
        used when present: ``name``, ``address``; per kind ``tier`` and ``capacity``
        (shelters), ``beds``, ``nursing_beds``, ``ownership`` (institutions), ``village``,
        ``has_meal``, ``has_medical`` (daycare), ``cemetery_type``, ``capacity``, ``used``
        (cemeteries).
    kind : str, optional
        Layer kind (``"shelters"``, ``"institutions"``, ``"daycare"``, ``"cemeteries"``...
        or the Chinese name); default ``gdf.attrs["mzgeo_kind"]``. Decides the symbol: a
        green circle per shelter tier (县级 largest), a blue square per institution
        (shade by ownership), an orange house per day-care centre, a purple diamond per
        cemetery type.
    popup_cols : list or dict, optional
        Analysis figures to add to the popup (e.g. ``["load", "share_covered"]``, or
        ``{"load": "服务老人数"}``); labels come from the mzgeo label table.
    tooltip_col : str or None
        Column shown on hover (``None``: the popup title).
    cluster : bool, optional
        Cluster markers; default when there are more than :data:`CLUSTER_THRESHOLD`.
    name : str, optional
        Layer name; default the kind's Chinese name and the count.
    show : bool
        Whether the layer is visible when the map opens.

    Returns
    -------
    folium.Map
        ``m``, with the layer added.

    Raises
    ------
    InputError
        Unknown kind, or a popup or tooltip column missing.
    """
    st = state_of(m)
    gdf = _frame(gdf, "设施图层")
    kind = _kind(gdf, kind)
    if len(gdf) == 0:
        logger.info("设施图层为空，未绘制")
        return m
    if tooltip_col is not None and tooltip_col != "name" and tooltip_col not in gdf.columns:
        msg = f"tooltip_col 列 {tooltip_col!r} 不存在"
        raise InputError(msg)
    sym = KIND_SYMBOLS.get(kind, KIND_SYMBOLS[None])
    kind_zh = _kind_name(kind, "设施")
    layer_name = name or f"{kind_zh}（{len(gdf)}）"

    if sym.category_col and sym.category_col in gdf.columns:
        cats = gdf[sym.category_col].astype("string").fillna("").str.strip()
        keys = np.where(cats.isin(list(sym.categories)), cats.to_numpy(dtype=object), "_")
    else:
        keys = np.full(len(gdf), "_", dtype=object)
    styles: dict[str, dict[str, Any]] = {}
    entries = []
    counts = pd.Series(keys).value_counts()
    for cat, (colour, size) in sym.categories.items():
        if cat in counts.index:
            styles[cat] = {"html": svg_icon(sym.shape, colour, size), "size": size}
            entries.append((svg_icon(sym.shape, colour, 14), f"{cat}（{counts[cat]}）"))
    if "_" in counts.index:
        styles["_"] = {"html": svg_icon(sym.shape, sym.colour, sym.size_px), "size": sym.size_px}
        other = "其他" if sym.categories else kind_zh
        entries.append((svg_icon(sym.shape, sym.colour, 14), f"{other}（{counts['_']}）"))

    title_col = _title_col(gdf, ("name", "marker_id", "grave_id", "code"))
    names = _texts(gdf[title_col]) if title_col else None
    tips = _texts(gdf[tooltip_col]) if tooltip_col in gdf.columns else names
    fields = _popup_fields(gdf, kind, popup_cols, exclude=(title_col,) if title_col else ())
    geoms = display_geometries(gdf, st, as_points=True)

    use_cluster = cluster if cluster is not None else len(gdf) > CLUSTER_THRESHOLD
    parent = None
    if use_cluster:
        parent = MarkerCluster(
            name=esc(layer_name), show=show,
            options={"showCoverageOnHover": False, "disableClusteringAtZoom": 16, "chunkedLoading": True},
        )
        m.add_child(parent)
    _add_layer(m, geoms, keys, styles, fields=fields, names=names, tooltips=tips, values=_values(gdf, fields),
               layer_name=layer_name, show=show, parent=parent)
    st.add_source(gdf.attrs.get("mzgeo_source"), layer_name)
    st.legends.append(LegendSection(kind_zh if name is None else name, entries))
    _fit(m, st, gdf)
    finalise(m)
    return m


def add_proposed_sites(
    m: folium.Map,
    sites: gpd.GeoDataFrame,
    *,
    kind: str | None = None,
    popup_cols: Sequence[str] | Mapping[str, str] | None = None,
    tooltip_col: str | None = "name",
    rank_col: str | None = None,
    name: str | None = None,
    show: bool = True,
) -> folium.Map:
    """Draw proposed new sites (from :func:`mzgeo.allocate`) as gold stars, distinct from existing ones.

    Parameters
    ----------
    m : folium.Map
    sites : GeoDataFrame
        Points in any CRS. Columns used when present: ``name``, the rank (``rank`` or
        ``order``: order of marginal gain), ``added_demand`` / ``gain`` and any
        ``popup_cols``.
    kind : str, optional
        Kind of facility proposed (for the legend: "新增居家养老服务照料中心").
    popup_cols : list or dict, optional
        Extra popup columns (dict: column → Chinese label).
    tooltip_col : str or None
        Column shown on hover.
    rank_col : str, optional
        Column with the order of the sites; default ``rank`` or ``order`` when present.
    name : str, optional
        Layer name; default "新增…（n）".
    show : bool
        Whether the layer is visible when the map opens.

    Returns
    -------
    folium.Map
    """
    st = state_of(m)
    gdf = _frame(sites, "新增选址")
    kind = _kind(gdf, kind)
    if len(gdf) == 0:
        return m
    kind_zh = _kind_name(kind, "选址")
    layer_name = name or f"新增{kind_zh}（{len(gdf)}）"
    rank_col = rank_col or _title_col(gdf, ("rank", "order"))
    if rank_col is not None:
        if rank_col not in gdf.columns:
            msg = f"rank_col 列 {rank_col!r} 不存在"
            raise InputError(msg)
        gdf = gdf.sort_values(rank_col, kind="stable")
    size = 24
    styles = {"new": {"html": svg_icon("star", PROPOSED_FILL, size, stroke=PROPOSED_STROKE, stroke_width=1.8),
                      "size": size}}
    if "name" in gdf.columns:
        base_names = gdf["name"].astype("string")
    else:
        base_names = pd.Series([None] * len(gdf), index=gdf.index, dtype="string")
    ranks = gdf[rank_col].astype("string") if rank_col else pd.Series(range(1, len(gdf) + 1), index=gdf.index).astype("string")
    titles = ("新增：" + base_names.fillna("选址 " + ranks)).tolist()
    names = [esc(t) for t in titles]
    tips = _texts(gdf[tooltip_col]) if tooltip_col in gdf.columns else None
    tips = [f"新增：{t}" if t else n for t, n in zip(tips, names, strict=True)] if tips is not None else names
    defaults = [c for c in (rank_col, "added_demand", "gain", "capacity", "beds", "address") if c]
    fields = _popup_fields(gdf, kind, popup_cols, defaults=defaults)
    geoms = display_geometries(gdf, st, as_points=True)
    _add_layer(m, geoms, ["new"] * len(gdf), styles, fields=fields, names=names, tooltips=tips,
               values=_values(gdf, fields), layer_name=layer_name, show=show)
    st.add_source(gdf.attrs.get("mzgeo_source"), layer_name)
    icon = svg_icon("star", PROPOSED_FILL, 16, stroke=PROPOSED_STROKE, stroke_width=1.8)
    st.legends.append(LegendSection("规划新增", [(icon, f"新增{kind_zh}（{len(gdf)}）")]))
    _fit(m, st, gdf)
    finalise(m)
    return m


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
    """A new map of one unit figure: :func:`base_map` then :func:`add_choropleth`.

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
    >>> m = choropleth(units, "beds_per_1000")
    >>> "目标 37.5 张/千名老人" in to_html(m)
    True
    """
    m = base_map(units, basemap, title=None, caption=caption, tianditu_key=tianditu_key)
    add_choropleth(m, units, column, target=target, diverging=diverging, legend=legend, **kwargs)
    st = state_of(m)
    st.title = title if title is not None else (legend or label_for(column))
    return m


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


# --- output ------------------------------------------------------------------------------------
def to_html(m: folium.Map, *, offline: bool = True) -> str:
    """The map as one complete HTML page, as :func:`save` writes it.

    Parameters
    ----------
    m : folium.Map
    offline : bool
        Inline Leaflet and its plugins (see :func:`save`).

    Returns
    -------
    str

    Raises
    ------
    InputError
        Offline, and the map contains something that needs a CDN.
    """
    return render_html(m, offline=offline)


def save(m: folium.Map, path: str | os.PathLike, *, offline: bool = True) -> Path:
    """Write the map to one HTML file, atomically.

    Parameters
    ----------
    m : folium.Map
    path : str or os.PathLike
        Destination (``.html``); its folder is created when missing.
    offline : bool
        ``True`` (default): Leaflet 1.9.3 and Leaflet.markercluster 1.4.1 are inlined from
        the ``xstatic-leaflet`` packages, folium's unused CDN links (jQuery, Bootstrap,
        Font Awesome, awesome-markers) are dropped, and the file makes no request to any
        other host — except tile requests when a tiled basemap was chosen. A map with one
        point is about 180 kB (Leaflet 144 kB + its CSS and images), 36 kB more with
        clustering; data add about 160 bytes per point with a popup and a few kB per
        polygon. ``False``: the usual CDN links (about 9 kB + data).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        Offline, and the map contains something that needs a CDN (e.g. ``folium.Icon``).
    """
    page = render_html(m, offline=offline)
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    logger.info("地图已保存：%s（%.0f kB，%s）", target, len(page.encode("utf-8")) / 1024,
                "离线" if offline else "在线资源")
    return target


def save_index(
    links: Mapping[str, str | os.PathLike] | Sequence[tuple[str, str | os.PathLike]],
    path: str | os.PathLike,
    *,
    title: str = "地图目录",
    note: str | None = None,
) -> Path:
    """Write an ``index.html`` linking saved maps (self-contained, no request to any host).

    Parameters
    ----------
    links : dict or sequence of (str, path)
        Link text → map file. Files are linked relative to the index's folder.
    path : str or os.PathLike
        Destination of the index page.
    title : str
        Page title and heading.
    note : str, optional
        A paragraph under the heading (e.g. "示例数据（合成），仅供演示").

    Returns
    -------
    pathlib.Path
    """
    target = Path(path)
    items = links.items() if isinstance(links, Mapping) else links
    rows = []
    for text, file in items:
        rel = os.path.relpath(Path(file).resolve(), target.resolve().parent)
        href = quote(Path(rel).as_posix(), safe="/._-")
        rows.append(f'<li><a href="{esc(href)}">{esc(text)}</a></li>')
    note_html = f"<p>{esc(note)}</p>" if note else ""
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n<link rel="icon" href="data:,">\n'
        f"<title>{esc(title)}</title>\n<style>body {{ font: 16px/1.6 {FONT_STACK}; margin: 2em auto; "
        "max-width: 46em; padding: 0 1em; color: #222; } a { color: #08519c; } li { margin: .4em 0; }</style>\n"
        f"</head>\n<body>\n<h1>{esc(title)}</h1>\n{note_html}\n<ul>\n" + "\n".join(rows) + "\n</ul>\n</body>\n</html>\n"
    )
    with atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    logger.info("地图目录已保存：%s（%d 个链接）", target, len(rows))
    return target
