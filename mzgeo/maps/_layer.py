"""Map state, the display transform, and the folium elements behind :mod:`mzgeo.maps` (private).

The coordinates of every overlay pass through :func:`display_geometries` exactly once:
reproject to WGS84, shift to GCJ-02 when the map's basemap is Amap, round. Nothing else in
the package moves a coordinate that is drawn.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from folium.template import Template

from ..crs import to_metric, wgs84_to_gcj02
from ..errors import CRSError, InputError
from ..layers import get_spec
from .style import FONT_STACK, GENERIC_POPUP_COLS, KIND_POPUP_COLS, esc, fmt_value, label_for

__all__ = [
    "COORD_DECIMALS",
    "Chrome",
    "GeoLayer",
    "LegendSection",
    "MapState",
    "Raw",
    "display_geometries",
    "feature_collection",
    "finalise",
    "js_json",
    "state_of",
]

logger = logging.getLogger("mzgeo")

#: Decimals kept in drawn lon/lat: 5 decimals ≈ 1.1 m north-south, ≈ 0.95 m east-west at 31°N.
COORD_DECIMALS = 5


# --- raw elements ------------------------------------------------------------------------------
class Raw(Element):
    """An element that renders its text as it is.

    branca's ``Element(text)`` compiles ``text`` as a Jinja template, so user strings
    containing ``{{ }}`` would run as template code; this element never does.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Raw"
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


def js_json(obj: Any) -> str:
    """JSON for a ``<script>`` block: ``<``, ``>`` and JS line separators escaped, UTF-8 kept."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _js_safe(text)


def _js_safe(text: str) -> str:
    return (
        text.replace("<", "\\u003c").replace(">", "\\u003e")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


# --- state -------------------------------------------------------------------------------------
@dataclass
class LegendSection:
    """One block of the legend: a title, entries (swatch HTML we built, plain label), a note."""

    title: str
    entries: list[tuple[str, str]]
    note: str | None = None


@dataclass
class MapState:
    """What mzgeo knows about a folium map it draws on (kept as ``m._mzgeo_state``).

    Attributes
    ----------
    basemap : str or None
        Basemap key (``None``, ``"osm"``, ``"tianditu"``, ``"tianditu_img"``, ``"amap"``).
    gcj02 : bool
        Whether overlays are drawn in GCJ-02 (Amap tiles) instead of WGS84.
    tile_hosts : tuple of str
        Hosts the tile layers load from (the only requests an offline map may make).
    title, caption : str or None
        Map title and the user's caption (plain text).
    basemap_credit : str or None
        Name of the basemap's provider for the caption.
    sources : dict
        Data source → names of the layers drawn from it, in drawing order.
    legends : list of LegendSection
    fitted : bool
        Whether the view has been fitted to data.
    """

    basemap: str | None = None
    gcj02: bool = False
    tile_hosts: tuple[str, ...] = ()
    title: str | None = None
    caption: str | None = None
    basemap_credit: str | None = None
    sources: dict[str, list[str]] = field(default_factory=dict)
    legends: list[LegendSection] = field(default_factory=list)
    fitted: bool = False
    control_key: str = ""
    chrome_key: str = ""

    def add_source(self, source: str | None, layer_name: str) -> None:
        key = source if source else ""
        names = self.sources.setdefault(key, [])
        if layer_name not in names:
            names.append(layer_name)


def state_of(m: folium.Map) -> MapState:
    """Return the state of a map, created (WGS84, no basemap known) for maps not made by ``base_map``."""
    st = getattr(m, "_mzgeo_state", None)
    if st is None:
        st = MapState()
        attach(m, st)
    return st


def attach(m: folium.Map, st: MapState) -> None:
    """Attach a state, the layer control and the title/legend/caption element to a map."""
    m._mzgeo_state = st
    control = folium.LayerControl(position="topright", collapsed=False)
    m.add_child(control)
    st.control_key = control.get_name()
    m.add_child(Panes())
    chrome = Chrome(st)
    m.add_child(chrome)
    st.chrome_key = chrome.get_name()


def finalise(m: folium.Map) -> None:
    """Move the layer control and the chrome after all layers (their scripts refer to the layers)."""
    st = state_of(m)
    for key in (st.control_key, st.chrome_key):
        if key in m._children:
            m._children.move_to_end(key)


# --- the display transform (the ONE place coordinates are changed for drawing) --------------
def _to_gcj02(coords: np.ndarray) -> np.ndarray:
    lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def _round(coords: np.ndarray) -> np.ndarray:
    return np.round(coords, COORD_DECIMALS)


def display_geometries(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    st: MapState,
    *,
    simplify_m: float = 0.0,
    as_points: bool = False,
) -> np.ndarray:
    """Geometries as drawn on the map: WGS84 (or GCJ-02 for Amap), simplified, rounded.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or GeoSeries
        Data in any CRS (true coordinates, i.e. not already GCJ-02).
    st : MapState
        The map's state; ``st.gcj02`` decides the shift.
    simplify_m : float
        Douglas-Peucker tolerance in metres, applied in the metric CRS before reprojection
        (topology-preserving; points are never simplified). 0 = none.
    as_points : bool
        Replace lines and polygons by a point on their surface.

    Returns
    -------
    numpy.ndarray of shapely geometries, one per row, coordinates rounded to
    :data:`COORD_DECIMALS` decimals of a degree.

    Raises
    ------
    CRSError
        The data has no CRS.
    """
    geo = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    if geo.crs is None:
        msg = "图层没有坐标系 (missing CRS)，无法绘制：请在读取时声明 crs=，如 crs='wgs84'"
        raise CRSError(msg)
    if len(geo) == 0:
        return np.array([], dtype=object)
    kinds = shapely.get_type_id(geo.to_numpy())
    non_point = bool(np.any((kinds != 0) & (kinds != 4)))
    if simplify_m and simplify_m > 0 and non_point:
        frame = gpd.GeoDataFrame(geometry=geo)
        try:
            metric = to_metric(frame)
        except CRSError:  # outside the Chinese Gauss-Krüger zones
            metric = frame.to_crs(frame.estimate_utm_crs())
        simplified = metric.geometry.simplify(simplify_m, preserve_topology=True)
        geo = simplified.to_crs(4326)
    else:
        geo = geo.to_crs(4326)
    arr = geo.to_numpy()
    if as_points:
        multi_or_area = shapely.get_type_id(arr) != 0
        arr = np.where(multi_or_area, shapely.point_on_surface(arr), arr)
    if st.gcj02:
        arr = shapely.transform(arr, _to_gcj02)
    return shapely.transform(arr, _round)


def display_bounds(gdf: gpd.GeoDataFrame | gpd.GeoSeries, st: MapState) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of data as drawn (through :func:`display_geometries`)."""
    geo = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    geo = geo[~(geo.isna() | geo.is_empty)]
    if len(geo) == 0:
        return None
    minx, miny, maxx, maxy = geo.total_bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, 9), np.linspace(miny, maxy, 9))
    grid = gpd.GeoSeries([shapely.multipoints(np.column_stack([xs.ravel(), ys.ravel()]))], crs=geo.crs)
    w, s, e, n = shapely.total_bounds(display_geometries(grid, st))
    return [[float(s), float(w)], [float(n), float(e)]]


# --- features ----------------------------------------------------------------------------------
def feature_collection(
    geoms: np.ndarray,
    style_keys: np.ndarray | list[str],
    *,
    names: list[str | None] | None = None,
    tooltips: list[str | None] | None = None,
    values: list[list[str | None]] | None = None,
    labels: list[str | None] | None = None,
) -> str:
    """GeoJSON text of the features, ready to embed in a ``<script>``.

    Properties are short keys read by the ``mzgeo.layer`` JS helper: ``s`` style key,
    ``n`` popup title, ``t`` tooltip, ``v`` popup values (aligned with the layer's fields),
    ``l`` permanent label. All text must already be HTML-escaped (:func:`esc`).
    """
    geo_json = shapely.to_geojson(geoms) if len(geoms) else []
    parts = []
    for i, g in enumerate(geo_json):
        props: dict[str, Any] = {"s": str(style_keys[i])}
        if names is not None and names[i]:
            props["n"] = names[i]
        if tooltips is not None and tooltips[i] is not None and (names is None or tooltips[i] != names[i]):
            props["t"] = tooltips[i]
        if values is not None and any(v is not None for v in values[i]):
            props["v"] = values[i]
        if labels is not None and labels[i]:
            props["l"] = labels[i]
        prop_text = json.dumps(props, ensure_ascii=False, separators=(",", ":"))
        parts.append(f'{{"type":"Feature","geometry":{g},"properties":{prop_text}}}')
    return _js_safe('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}")


class GeoLayer(Layer):
    """A GeoJSON overlay drawn by the ``mzgeo.layer`` JS helper (popups built from escaped text).

    Parameters
    ----------
    data_js : str
        Output of :func:`feature_collection`.
    options : dict
        ``styles`` (style key → Leaflet path options, or ``{"html": svg, "size": px}`` for
        symbols), ``fields`` (escaped popup labels), ``labelClass`` (CSS class of permanent labels).
    name : str
        Layer name for the layer control, already escaped.
    """

    _template = Template("")

    def __init__(
        self,
        data_js: str,
        options: dict[str, Any],
        *,
        name: str | None = None,
        overlay: bool = True,
        control: bool = True,
        show: bool = True,
    ) -> None:
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        self._name = "MzgeoLayer"
        self.data_js = data_js
        self.options_js = js_json(options)

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        add_assets(figure)
        js = f"var {self.get_name()} = mzgeo.layer({self.data_js}, {self.options_js});"
        figure.script.add_child(Raw(js), name=self.get_name())
        super().render(**kwargs)


# --- chrome: title, legend, caption, scale bar, CSS and JS helpers ---------------------------
_CSS = """
<style>
.leaflet-container { font-family: $FONT; background: #f4f3ef; }
.mzgeo-icon { background: none; border: none; }
.mzgeo-icon svg { display: block; filter: drop-shadow(0 0 1px rgba(0,0,0,.55)); }
.mzgeo-title { position: absolute; top: 10px; left: 50%; transform: translateX(-50%); z-index: 1000;
  max-width: 56%; padding: 6px 14px; background: rgba(255,255,255,.92); border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font: bold 18px/1.35 $FONT; text-align: center; color: #222; }
.mzgeo-box { background: rgba(255,255,255,.92); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); font: 12px/1.45 $FONT; color: #222; max-width: 320px; }
.mzgeo-legend { max-height: 60vh; overflow-y: auto; }
.mzgeo-legend-title { font-weight: bold; margin: 2px 0; }
.mzgeo-legend-note { color: #444; margin-bottom: 2px; }
.mzgeo-legend ul { list-style: none; margin: 0 0 4px 0; padding: 0; }
.mzgeo-legend li { display: flex; align-items: center; gap: 6px; margin: 1px 0; }
.mzgeo-legend li svg { flex: none; }
.mzgeo-sw-fill { display: inline-block; flex: none; width: 16px; height: 11px; border: 1px solid; opacity: .85; }
.mzgeo-sw-dot { display: inline-block; flex: none; width: 10px; height: 10px; border-radius: 50%; border: 1px solid; }
.mzgeo-sw-line { display: inline-block; flex: none; width: 22px; height: 0; }
.mzgeo-caption { max-width: 460px; font-size: 11px; color: #333; }
.mzgeo-caption .mzgeo-synthetic { color: #b30000; font-weight: bold; }
.mzgeo-popup { font: 13px/1.45 $FONT; }
.mzgeo-popup-title { font-weight: bold; font-size: 14px; margin-bottom: 3px; }
.mzgeo-popup table { border-collapse: collapse; }
.mzgeo-popup th { text-align: left; font-weight: normal; color: #555; padding: 1px 8px 1px 0; vertical-align: top; white-space: nowrap; }
.mzgeo-popup td { padding: 1px 0; }
.mzgeo-label { background: rgba(255,255,255,.6); border: none; box-shadow: none; padding: 0 2px;
  font: 12px $FONT; color: #222; text-shadow: 0 0 2px #fff; text-align: center; }
.mzgeo-label::before { display: none; }
.mzgeo-label-line { font-weight: bold; color: #3f007d; background: rgba(255,255,255,.85); }
.leaflet-control-layers { font: 13px/1.5 $FONT; }
</style>
""".replace("$FONT", FONT_STACK)

_JS = """
<script>
var mzgeo = window.mzgeo || (function () {
  "use strict";
  function divIcon(st) {
    var s = st.size || 16;
    return L.divIcon({html: st.html, className: "mzgeo-icon", iconSize: [s, s], iconAnchor: [s / 2, s / 2],
                      popupAnchor: [0, -s / 2], tooltipAnchor: [s / 2, 0]});
  }
  function popupHtml(p, fields) {
    var rows = "";
    if (p.v) {
      for (var i = 0; i < fields.length; i++) {
        var v = p.v[i];
        if (v !== null && v !== undefined && v !== "") {
          rows += "<tr><th>" + fields[i] + "</th><td>" + v + "</td></tr>";
        }
      }
    }
    return '<div class="mzgeo-popup">' + (p.n ? '<div class="mzgeo-popup-title">' + p.n + "</div>" : "") +
           (rows ? "<table>" + rows + "</table>" : "") + "</div>";
  }
  function layer(data, o) {
    var styles = o.styles || {}, fields = o.fields || [], icons = {};
    return L.geoJSON(data, {
      style: function (f) { return styles[f.properties.s] || {}; },
      pointToLayer: function (f, ll) {
        var k = f.properties.s, st = styles[k] || {};
        if (st.html) {
          if (!icons[k]) { icons[k] = divIcon(st); }
          return L.marker(ll, {icon: icons[k], keyboard: false, riseOnHover: true});
        }
        return L.circleMarker(ll, st);
      },
      onEachFeature: function (f, l) {
        var p = f.properties || {};
        if (p.n || p.v) { l.bindPopup(function () { return popupHtml(p, fields); }, {maxWidth: 380}); }
        var t = (p.t !== undefined) ? p.t : p.n;
        if (p.l) {
          l.bindTooltip(p.l, {permanent: true, direction: "center", className: o.labelClass || "mzgeo-label", pane: "mzgeoLabels"});
        } else if (t) {
          l.bindTooltip(t, {sticky: !(l instanceof L.Marker), direction: "top"});
        }
      }
    });
  }
  function control(map, position, html, cls) {
    var c = L.control({position: position});
    c.onAdd = function () {
      var d = L.DomUtil.create("div", cls);
      d.innerHTML = html;
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      return d;
    };
    c.addTo(map);
    return c;
  }
  function panes(map) {
    // permanent labels sit above polygons and lines but below symbols, and never catch clicks
    var p = map.getPane("mzgeoLabels") || map.createPane("mzgeoLabels");
    p.style.zIndex = 450;
    p.style.pointerEvents = "none";
  }
  return {layer: layer, control: control, panes: panes};
})();
</script>
"""


def add_assets(figure: Any) -> None:
    """Add the mzgeo CSS and JS helpers to a figure's header (idempotent)."""
    figure.header.add_child(Raw(_CSS), name="mzgeo_css")
    figure.header.add_child(Raw(_JS), name="mzgeo_js")


SYNTHETIC_SOURCE = "示例数据（合成）"


class Panes(MacroElement):
    """Creates the map pane of permanent labels (rendered right after the map, before any layer)."""

    _template = Template("")

    def __init__(self) -> None:
        super().__init__()
        self._name = "MzgeoPanes"

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        add_assets(figure)
        figure.script.add_child(Raw(f"mzgeo.panes({self._parent.get_name()});"), name=self.get_name())
        super().render(**kwargs)


class Chrome(MacroElement):
    """Title, legend, caption (data sources) and a metric scale bar, rendered from the map state."""

    _template = Template("")

    def __init__(self, st: MapState) -> None:
        super().__init__()
        self._name = "MzgeoChrome"
        self.state = st

    def legend_html(self) -> str:
        parts = []
        for sec in self.state.legends:
            items = "".join(f"<li>{sw}<span>{esc(label)}</span></li>" for sw, label in sec.entries)
            note = f'<div class="mzgeo-legend-note">{esc(sec.note)}</div>' if sec.note else ""
            parts.append(
                f'<div class="mzgeo-legend-section"><div class="mzgeo-legend-title">{esc(sec.title)}</div>'
                f"{note}<ul>{items}</ul></div>"
            )
        return "".join(parts)

    def caption_html(self) -> str:
        st = self.state
        pieces = []
        srcs = []
        synthetic = False
        for source, layers in st.sources.items():
            if SYNTHETIC_SOURCE in source:
                synthetic = True
            label = source or "未注明"
            srcs.append(f"{esc(label)}：{esc('、'.join(layers))}")
        if srcs:
            pieces.append("数据来源 — " + "；".join(srcs))
        pieces.append("底图：" + esc(st.basemap_credit or "无（离线，仅绘制行政区划）"))
        if st.gcj02:
            pieces.append("坐标已转换为 GCJ-02 以对齐高德底图")
        if st.caption:
            pieces.append(esc(st.caption))
        text = "。".join(pieces) + "。"
        if synthetic:
            text = f'<span class="mzgeo-synthetic">注意：含{esc(SYNTHETIC_SOURCE)}，仅供演示，不代表实际情况。</span><br>' + text
        return text

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        add_assets(figure)
        st = self.state
        if st.title:
            figure.html.add_child(Raw(f'<div class="mzgeo-title">{esc(st.title)}</div>'), name="mzgeo_title")
            figure.title = esc(st.title)
        map_name = self._parent.get_name()
        script = [
            f'mzgeo.control({map_name}, "bottomleft", {js_json(self.caption_html())}, "mzgeo-box mzgeo-caption");',
            f"L.control.scale({{imperial: false, maxWidth: 160}}).addTo({map_name});",
        ]
        legend = self.legend_html()
        if legend:
            script.append(
                f'mzgeo.control({map_name}, "bottomright", {js_json(legend)}, "mzgeo-box mzgeo-legend");'
            )
        figure.script.add_child(Raw("\n".join(script)), name=self.get_name())
        super().render(**kwargs)


# --- helpers shared by the layer modules -----------------------------------------------------
def _frame(gdf: Any, what: str) -> gpd.GeoDataFrame:
    """Return a GeoDataFrame without empty geometries (input not modified)."""
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
    """Return formatted, escaped cell texts of a column (``None`` for missing)."""
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
