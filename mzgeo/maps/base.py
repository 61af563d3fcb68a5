"""The base map: basemap tiles (none, OSM, 天地图, 高德), title, caption, start view and scale."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from urllib.parse import quote, urlsplit

import folium
import geopandas as gpd
import shapely

from ..errors import InputError
from ._layer import (
    MapState,
    _fit,
    attach,
    finalise,
)
from .render import OfflineMap
from .style import (
    DISPLAY_SIMPLIFY_M,
)

logger = logging.getLogger("mzgeo")

__all__ = [
    "BASEMAPS",
    "base_map",
]

#: Basemap keys: ``None`` (no tiles, offline), OpenStreetMap, 天地图 vector / image, 高德 (GCJ-02).
BASEMAPS: tuple[str | None, ...] = (None, "osm", "tianditu", "tianditu_img", "amap")

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
    """Return a map with a basemap (or none), layer control, scale bar, title and data-source caption.

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
        from .units import add_units  # units.py draws on a base map: imported here, not at the top

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


