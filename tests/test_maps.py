"""Tests of mzgeo.maps without a browser: offline HTML, escaping, GCJ-02 shift, legends, captions."""

from __future__ import annotations

import json
import re

import folium
import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Point, box

from mzgeo import maps
from mzgeo.crs import wgs84_to_gcj02
from mzgeo.errors import CRSError, InputError

SYNTHETIC = "示例数据（合成）"
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"
LON, LAT = 120.0865, 30.8944  # Huzhou


# --- synthetic layers --------------------------------------------------------------------------
def _units(crs: int = 4549) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(
        {
            "code": ["330502001", "330502002", "330502003"],
            "name": ["甲街道", "乙镇", "丙乡"],
            "elderly": [12000, 8000, 3000],
            "beds_per_1000": [30.0, 41.5, np.nan],
            "share_covered": [0.62, 0.91, 0.4],
        },
        geometry=[box(120.00, 30.80, 120.10, 30.90), box(120.10, 30.80, 120.20, 30.90),
                  box(120.00, 30.90, 120.10, 31.00)],
        crs=4326,
    ).to_crs(crs)
    gdf.attrs.update(mzgeo_kind="units", mzgeo_source=SYNTHETIC)
    return gdf


def _shelters(crs: int = 4326, names: list[str] | None = None) -> gpd.GeoDataFrame:
    names = names or ["城南小学", XSS_SCRIPT, XSS_IMG]
    n = len(names)
    gdf = gpd.GeoDataFrame(
        {
            "name": names,
            "tier": (["县级", "乡镇级", "村级"] * n)[:n],
            "capacity": [300 + 10 * i for i in range(n)],
            "address": [f"湖州市吴兴区{i}号" for i in range(n)],
        },
        geometry=[Point(120.03 + 0.02 * i, 30.85 + 0.01 * (i % 3)) for i in range(n)],
        crs=4326,
    ).to_crs(crs)
    gdf.attrs.update(mzgeo_kind="shelters", mzgeo_source=SYNTHETIC)
    return gdf


def _layers(html: str) -> list[tuple[dict, dict]]:
    """(FeatureCollection, options) of every mzgeo layer in a page."""
    dec = json.JSONDecoder()
    out = []
    for mt in re.finditer(r"mzgeo\.layer\(", html):
        data, end = dec.raw_decode(html, mt.end())
        rest = html[end:].lstrip()
        assert rest.startswith(",")
        options, _ = dec.raw_decode(rest[1:].lstrip())
        out.append((data, options))
    return out


def _point_coords(html: str) -> list[list[float]]:
    return [f["geometry"]["coordinates"] for fc, _ in _layers(html) for f in fc["features"]
            if f["geometry"]["type"] == "Point"]


def _full_map(cluster: bool = False) -> folium.Map:
    units = _units()
    m = maps.base_map(units, title="测试地图", units=units)
    maps.add_facilities(m, _shelters(), cluster=cluster)
    maps.add_choropleth(m, units, "beds_per_1000")
    areas = gpd.GeoDataFrame({"name": ["城南小学"] * 2, "minutes": [5, 10]},
                             geometry=[Point(LON, LAT).buffer(0.01), Point(LON, LAT).buffer(0.02)], crs=4326)
    maps.add_service_areas(m, areas, mode="步行")
    maps.add_uncovered(m, _shelters(), weight_col="capacity")
    maps.add_proposed_sites(m, _shelters().assign(rank=[1, 2, 3]))
    lines = gpd.GeoDataFrame({"line_name": ["吴南线"]}, geometry=[LineString([(120.1, 30.8), (120.1, 30.9)])],
                             crs=4326)
    markers = gpd.GeoDataFrame({"marker_id": ["33050001", "33050002"], "finding": ["", "移位"]},
                               geometry=[Point(120.1, 30.82), Point(120.1, 30.88)], crs=4326)
    maps.add_boundary(m, lines, markers, junctions=_shelters().iloc[:1], crossings=_shelters().iloc[1:2])
    return m


# --- independent resource scan (not the one in mzgeo) ------------------------------------------
def _requested_urls(html: str) -> list[str]:
    """URLs a browser would fetch: script src, link href, img/iframe src, CSS url()/@import, tile templates."""
    urls = []
    urls += re.findall(r"<script\b[^>]*\bsrc\s*=\s*[\"']?([^\"'\s>]+)", html, re.I)
    urls += re.findall(r"<link\b[^>]*\bhref\s*=\s*[\"']?([^\"'\s>]+)", html, re.I)
    urls += re.findall(r"<(?:img|iframe|embed|source|audio|video)\b[^>]*\bsrc\s*=\s*[\"']?([^\"'\s>]+)", html, re.I)
    urls += re.findall(r"(?<![\w$.])url\(\s*[\"']?([^\"')\s]+)", html)
    urls += re.findall(r"@import\s+[\"']([^\"']+)", html, re.I)
    # JS strings that look like tile URL templates
    urls += re.findall(r"[\"']((?:https?:)?//[^\"']*\{z\}[^\"']*)[\"']", html)
    return urls


def _is_remote(url: str) -> bool:
    return url.lower().startswith(("http:", "https:", "//", "ftp:"))


# --- offline -----------------------------------------------------------------------------------
@pytest.mark.parametrize("cluster", [False, True])
def test_offline_html_requests_nothing_from_other_hosts(cluster: bool) -> None:
    html = maps.to_html(_full_map(cluster=cluster), offline=True)
    remote = [u for u in _requested_urls(html) if _is_remote(u)]
    assert remote == []
    # the only remaining non-data URLs: none at all (the leaflet.css VML behaviour is a fragment)
    local = [u for u in _requested_urls(html) if not u.startswith(("data:", "#"))]
    assert local == []
    for cdn in ("jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "fontawesome", "unpkg"):
        assert cdn not in html
    assert "L.map(" in html and 't.version="1.9.3"' in html  # Leaflet 1.9.3 inlined, map created
    assert ("L.MarkerClusterGroup" in html) is cluster
    assert "sourceMappingURL" not in html


def test_offline_file_is_small_and_utf8(tmp_path) -> None:
    units = _units()
    m = maps.base_map(units, units=units)
    maps.add_facilities(m, _shelters())
    path = maps.save(m, tmp_path / "sub" / "地图.html")
    assert path.exists()
    data = path.read_bytes()
    text = data.decode("utf-8")
    assert 'charset=UTF-8' in text and '<html lang="zh-CN">' in text
    assert len(data) < 250_000
    assert not list((tmp_path / "sub").glob(".*"))  # no temporary file left


def test_online_mode_keeps_cdn_links() -> None:
    html = maps.to_html(_full_map(cluster=True), offline=False)
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in html
    assert "leaflet.markercluster" in html


def test_offline_then_online_render_of_same_map() -> None:
    m = _full_map()
    first = maps.to_html(m, offline=True)
    online = maps.to_html(m, offline=False)
    again = maps.to_html(m, offline=True)
    assert "cdn.jsdelivr.net" in online
    assert not [u for u in _requested_urls(again) if _is_remote(u)]
    assert len(_layers(first)) == len(_layers(again))


def test_offline_refuses_folium_icon() -> None:
    m = maps.base_map(_units())
    folium.Marker([LAT, LON], icon=folium.Icon(icon="home")).add_to(m)
    with pytest.raises(InputError, match="folium.Icon"):
        maps.to_html(m, offline=True)


def test_offline_refuses_plugins_needing_a_cdn() -> None:
    from folium.plugins import Fullscreen

    m = maps.base_map(_units())
    Fullscreen().add_to(m)
    with pytest.raises(InputError, match="Fullscreen"):
        maps.to_html(m, offline=True)
    assert "Control.FullScreen" in maps.to_html(m, offline=False) or "fullscreen" in maps.to_html(m, offline=False)


def test_offline_refuses_links_added_by_hand() -> None:
    from branca.element import JavascriptLink

    m = maps.base_map(_units())
    m.get_root().header.add_child(JavascriptLink("https://example.com/x.js"), name="x")
    with pytest.raises(InputError, match="example.com"):
        maps.to_html(m, offline=True)


def test_default_leaflet_marker_icon_is_inlined() -> None:
    m = maps.base_map(_units())
    folium.Marker([LAT, LON]).add_to(m)
    html = maps.to_html(m, offline=True)
    assert "iconUrl: 'data:image/png;base64," in html
    assert not [u for u in _requested_urls(html) if _is_remote(u)]


def test_tiled_basemap_offline_only_requests_tiles(monkeypatch) -> None:
    monkeypatch.setenv("TIANDITU_KEY", "abc123")
    html = maps.to_html(maps.base_map(_units(), "tianditu"), offline=True)
    remote = [u for u in _requested_urls(html) if _is_remote(u)]
    assert remote and all(".tianditu.gov.cn/" in u for u in remote)


# --- escaping ----------------------------------------------------------------------------------
def test_user_text_is_escaped_everywhere() -> None:
    shelters = _shelters()
    shelters["address"] = [XSS_IMG, XSS_SCRIPT, "a & b"]
    shelters["remarks"] = [XSS_SCRIPT, None, ""]
    m = maps.base_map(shelters, title=XSS_SCRIPT, caption=XSS_IMG)
    maps.add_facilities(m, shelters, popup_cols=["remarks"], name=XSS_IMG)
    units = _units()
    units["name"] = [XSS_SCRIPT, XSS_IMG, "丙"]
    maps.add_choropleth(m, units, "share_covered", legend=XSS_IMG)
    html = maps.to_html(m)
    for raw in (XSS_SCRIPT, XSS_IMG, "<img src=x", "\\u003cscript", "\\u003cimg"):
        assert raw not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<title>&lt;script&gt;" in html
    # popup values and titles in the data are escaped text
    facilities = _layers(html)[0][0]["features"]
    assert facilities[1]["properties"]["n"] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "a &amp; b" in html


def test_template_syntax_in_names_is_not_evaluated() -> None:
    m = maps.base_map(_units(), title="{{ 5*5 }}", caption="{{ 4*4 }}")
    shelters = _shelters(names=["{{ 7*7 }}", "{% raw %}x", "{# c #}"])
    maps.add_facilities(m, shelters, name="{{ 6*7 }}")
    html = maps.to_html(m)
    assert "{{" not in html and "{%" not in html and "{#" not in html
    assert "&#123;&#123; 7*7 &#125;&#125;" in html
    assert "&#123;&#123; 6*7 &#125;&#125;" in html
    assert "&#123;&#123; 5*5 &#125;&#125;" in html and "&#123;&#123; 4*4 &#125;&#125;" in html


# --- coordinates -------------------------------------------------------------------------------
def _one_point(crs: int) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame({"name": ["测试点"]}, geometry=[Point(LON, LAT)], crs=4326).to_crs(crs)
    gdf.attrs["mzgeo_kind"] = "shelters"
    return gdf


@pytest.mark.parametrize("crs", [4326, 4549])
def test_amap_shifts_overlays_to_gcj02_exactly_once(crs: int, monkeypatch) -> None:
    import mzgeo.maps._layer as layer_mod

    calls = []
    real = layer_mod.wgs84_to_gcj02

    def spy(lon, lat):
        calls.append((np.array(lon).copy(), np.array(lat).copy()))
        return real(lon, lat)

    monkeypatch.setattr(layer_mod, "wgs84_to_gcj02", spy)
    pt = _one_point(crs)
    m = maps.base_map(pt, "amap")
    calls.clear()  # base_map shifted its bounds box
    maps.add_facilities(m, pt)
    assert len(calls) == 1
    np.testing.assert_allclose(calls[0][0], [LON], atol=1e-7)  # input was WGS84, not already shifted
    html = maps.to_html(m)
    (lon, lat), = _point_coords(html)
    g_lon, g_lat = wgs84_to_gcj02(LON, LAT)
    assert (lon, lat) == (round(g_lon, 5), round(g_lat, 5))
    gg_lon, gg_lat = wgs84_to_gcj02(g_lon, g_lat)
    assert abs(lon - gg_lon) > 1e-4  # not shifted twice (≈ 500 m apart)
    assert abs(lon - LON) > 1e-3  # shifted at all


@pytest.mark.parametrize("basemap", [None, "osm"])
def test_wgs84_basemaps_do_not_shift(basemap: str | None) -> None:
    pt = _one_point(4549)
    m = maps.base_map(pt, basemap)
    maps.add_facilities(m, pt)
    (lon, lat), = _point_coords(maps.to_html(m))
    assert (lon, lat) == (round(LON, 5), round(LAT, 5))


def test_amap_shifts_polygons_and_fit_bounds() -> None:
    units = _units(4549)
    m = maps.base_map(units, "amap")
    maps.add_choropleth(m, units, "beds_per_1000")
    html = maps.to_html(m, offline=False)
    fc = _layers(html)[0][0]
    ring = np.array(fc["features"][0]["geometry"]["coordinates"][0])
    expected = np.column_stack(wgs84_to_gcj02(120.0, 30.8))
    assert np.min(np.abs(ring - expected).sum(axis=1)) < 2e-5
    amap_tiles = re.findall(r"autonavi\.com", html)
    assert amap_tiles


def test_coordinates_rounded_to_5_decimals() -> None:
    gdf = gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(120.123456789, 30.987654321)], crs=4326)
    m = maps.base_map(gdf)
    maps.add_facilities(m, gdf)
    (lon, lat), = _point_coords(maps.to_html(m))
    assert (lon, lat) == (120.12346, 30.98765)


def test_polygons_simplified_at_stated_tolerance() -> None:
    circle = gpd.GeoSeries([Point(0, 0).buffer(2000, quad_segs=64)], crs=4549)
    circle = circle.translate(500000, 3420000)  # inside the CM 120°E zone, near Huzhou
    areas = gpd.GeoDataFrame({"minutes": [10]}, geometry=circle, crs=4549)

    def n_coords(simplify_m: float) -> int:
        m = maps.base_map(areas)
        maps.add_service_areas(m, areas, simplify_m=simplify_m)
        fc = _layers(maps.to_html(m))[0][0]
        return len(fc["features"][0]["geometry"]["coordinates"][0])

    assert n_coords(0) == 257
    assert n_coords(10) < 100
    assert n_coords(maps.DISPLAY_SIMPLIFY_M) == n_coords(10)


def test_projected_and_geographic_input_draw_the_same() -> None:
    a, b = _shelters(4326), _shelters(4549)
    ma, mb = maps.base_map(a), maps.base_map(b)
    maps.add_facilities(ma, a)
    maps.add_facilities(mb, b)
    np.testing.assert_allclose(_point_coords(maps.to_html(ma)), _point_coords(maps.to_html(mb)), atol=1.1e-5)


def test_missing_crs_raises() -> None:
    gdf = gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(LON, LAT)])
    m = maps.base_map()
    with pytest.raises(CRSError):
        maps.add_facilities(m, gdf)


# --- basemaps ----------------------------------------------------------------------------------
def test_tianditu_without_key_raises_clear_error(monkeypatch) -> None:
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(InputError, match="TIANDITU_KEY") as info:
        maps.base_map(_units(), "tianditu")
    assert "天地图" in str(info.value) and "tianditu_key" in str(info.value)


@pytest.mark.parametrize(("basemap", "layers"), [("tianditu", ("vec_w", "cva_w")), ("tianditu_img", ("img_w", "cia_w"))])
def test_tianditu_layers_and_key(basemap: str, layers: tuple[str, str], monkeypatch) -> None:
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    html = maps.to_html(maps.base_map(_units(), basemap, tianditu_key="k<ey>"), offline=False)
    for name in layers:
        assert f".tianditu.gov.cn/{name}/wmts" in html
    assert "tk=k%3Cey%3E" in html  # key URL-quoted


def test_tianditu_key_from_environment(monkeypatch) -> None:
    monkeypatch.setenv("TIANDITU_KEY", "envkey")
    html = maps.to_html(maps.base_map(_units(), "天地图"), offline=False)
    assert "tk=envkey" in html


def test_unknown_basemap_lists_choices() -> None:
    with pytest.raises(InputError, match="amap"):
        maps.base_map(_units(), "google")


def test_no_basemap_has_no_tiles() -> None:
    html = maps.to_html(maps.base_map(_units(), units=_units()))
    assert "L.tileLayer" not in html
    assert "底图：无" in html


# --- legends, captions, layers -----------------------------------------------------------------
def test_choropleth_legend_states_target() -> None:
    m = maps.choropleth(_units(), "beds_per_1000")
    html = maps.to_html(m)
    assert "目标 37.5 张/千名老人" in html
    assert "每千名老人床位数（张）" in html
    assert "无数据（1）" in html  # the NaN unit
    fc, options = _layers(html)[0]
    keys = [f["properties"]["s"] for f in fc["features"]]
    # 30.0 is below the target (red side), 41.5 above (blue side), NaN grey
    assert options["styles"][keys[0]]["fillColor"] in ("#b2182b", "#ef8a62", "#fddbc7")
    assert options["styles"][keys[1]]["fillColor"] in ("#d1e5f0", "#67a9cf", "#2166ac")
    assert keys[2] == "na"


def test_choropleth_custom_target_and_share() -> None:
    html = maps.to_html(maps.choropleth(_units(), "beds_per_1000", target=40, title="床位"))
    assert "目标 40 张/千名老人" in html
    html = maps.to_html(maps.choropleth(_units(), "share_covered"))
    assert "覆盖率" in html and "目标" not in html
    assert "62.0%" in html


def test_choropleth_rejects_missing_or_text_column() -> None:
    units = _units()
    with pytest.raises(InputError, match="nope"):
        maps.choropleth(units, "nope")
    with pytest.raises(InputError, match="不是数值"):
        maps.choropleth(units, "name")


def test_caption_states_sources_and_synthetic() -> None:
    html = maps.to_html(_full_map())
    assert SYNTHETIC in html
    assert "注意：含示例数据（合成）" in html
    real = _shelters()
    real.attrs["mzgeo_source"] = "湖州市应急管理局 2024"
    m = maps.base_map(real)
    maps.add_facilities(m, real)
    html = maps.to_html(m)
    assert "湖州市应急管理局 2024" in html
    assert SYNTHETIC not in html


def test_layer_control_scale_and_title() -> None:
    html = maps.to_html(_full_map())
    assert "L.control.layers(" in html and "L.control.scale(" in html
    assert '<div class="mzgeo-title">测试地图</div>' in html
    # the layer control comes after all layers in the script
    assert html.rindex("mzgeo.layer(") < html.index("L.control.layers(")


def test_clustering_is_automatic_above_threshold() -> None:
    n = maps.CLUSTER_THRESHOLD + 1
    pts = _shelters(names=[f"场所{i}" for i in range(n)])
    m = maps.base_map(pts)
    maps.add_facilities(m, pts)
    assert "L.markerClusterGroup(" in maps.to_html(m)
    m = maps.base_map(pts)
    maps.add_facilities(m, pts, cluster=False)
    assert "L.markerClusterGroup(" not in maps.to_html(m)


def test_facility_popup_fields_and_symbols() -> None:
    shelters = _shelters()
    shelters["load"] = [120, 80, 40]
    m = maps.base_map(shelters)
    maps.add_facilities(m, shelters, popup_cols={"load": "服务人数（人）"})
    fc, options = _layers(maps.to_html(m))[0]
    assert options["fields"] == ["场所等级", "容纳人数（人）", "地址", "服务人数（人）"]
    assert fc["features"][0]["properties"]["v"] == ["县级", "300", "湖州市吴兴区0号", "120"]
    assert set(options["styles"]) == {"县级", "乡镇级", "村级"}
    assert all("<svg" in s["html"] for s in options["styles"].values())
    with pytest.raises(InputError, match="不存在"):
        maps.add_facilities(m, shelters, popup_cols=["missing"])


def test_proposed_sites_distinct_from_existing() -> None:
    m = maps.base_map(_shelters())
    maps.add_facilities(m, _shelters())
    maps.add_proposed_sites(m, _shelters().assign(rank=[3, 1, 2]), kind="shelters")
    html = maps.to_html(m)
    (existing, eo), (proposed, po) = _layers(html)
    assert set(po["styles"]) == {"new"} and "polygon" in po["styles"]["new"]["html"]
    assert "新增避灾安置场所（3）" in html
    assert proposed["features"][0]["properties"]["n"].startswith("新增：&lt;script")  # rank 1 first


def test_service_areas_breaks_and_dissolve() -> None:
    areas = gpd.GeoDataFrame(
        {"name": ["甲", "甲", "乙", "乙"], "minutes": [5, 10, 5, 10]},
        geometry=[Point(LON, LAT).buffer(0.01), Point(LON, LAT).buffer(0.02),
                  Point(LON + 0.01, LAT).buffer(0.01), Point(LON + 0.01, LAT).buffer(0.02)],
        crs=4326,
    )
    m = maps.base_map(areas)
    maps.add_service_areas(m, areas, dissolve=True)
    html = maps.to_html(m)
    fc, options = _layers(html)[0]
    assert len(fc["features"]) == 2  # one per break
    assert [f["properties"]["s"] for f in fc["features"]] == ["b1", "b0"]  # 10 min drawn first
    assert "≤ 5 分钟" in html and "≤ 10 分钟" in html
    bands = areas.assign(minutes_from=[0, 5, 0, 5], minutes_to=[5, 10, 5, 10]).drop(columns="minutes")
    m = maps.base_map(bands)
    maps.add_service_areas(m, bands)
    assert "5–10 分钟" in maps.to_html(m)
    with pytest.raises(InputError, match="minutes"):
        maps.add_service_areas(m, areas.drop(columns="minutes"))


def test_uncovered_filters_covered_rows() -> None:
    pts = _shelters().assign(covered=[True, False, False], elderly=[10, 200, 50])
    m = maps.base_map(pts)
    maps.add_uncovered(m, pts, covered_col="covered", weight_col="elderly")
    fc, options = _layers(maps.to_html(m))[0]
    assert len(fc["features"]) == 2
    assert [f["properties"]["s"] for f in fc["features"]] == ["r4", "r2"]
    clusters = gpd.GeoDataFrame({"name": ["缺口片区"]}, geometry=[Point(LON, LAT).buffer(0.01)], crs=4326)
    m = maps.base_map(clusters)
    maps.add_uncovered(m, clusters)
    fc, options = _layers(maps.to_html(m))[0]
    assert fc["features"][0]["properties"]["s"] == "poly" and "fillColor" in options["styles"]["poly"]


def test_boundary_markers_coloured_by_finding() -> None:
    lines = gpd.GeoDataFrame({"line_name": ["吴南线", "南德线"]},
                             geometry=[LineString([(120.1, 30.8), (120.1, 30.9)]),
                                       LineString([(120.1, 30.9), (120.2, 30.95)])], crs=4326).to_crs(4549)
    markers = gpd.GeoDataFrame(
        {"marker_id": ["1", "2", "3", "4"], "finding": ["", "正常", "移位", None], "offset_m": [1.0, 2.5, 80.0, 0.0]},
        geometry=[Point(120.1, 30.82 + 0.02 * i) for i in range(4)], crs=4326,
    )
    junctions = gpd.GeoDataFrame({"name": ["吴兴/南浔/德清"]}, geometry=[Point(120.1, 30.9)], crs=4326)
    crossings = gpd.GeoDataFrame({"feature_name": ["G50 高速"], "feature_class": ["高速公路"]},
                                 geometry=[Point(120.1, 30.85)], crs=4326)
    m = maps.base_map(lines)
    maps.add_boundary(m, lines, markers, junctions, crossings)
    html = maps.to_html(m)
    (lf, lo), (mf, mo), (jf, _), (cf, co) = _layers(html)
    assert [f["properties"]["l"] for f in lf["features"]] == ["吴南线", "南德线"]  # permanent labels
    assert [f["properties"]["s"] for f in mf["features"]] == ["ok", "ok", "bad", "ok"]
    assert "需核查（1）" in html and "三交点：吴兴/南浔/德清" in html
    assert cf["features"][0]["properties"]["n"] == "穿越点：G50 高速"
    assert co["fields"] == ["地物类别"]
    flagged = gpd.GeoDataFrame({"marker_id": ["1", "2"], "flagged": [True, False]},
                               geometry=[Point(120.1, 30.82), Point(120.1, 30.84)], crs=4326)
    m = maps.base_map(lines)
    maps.add_boundary(m, lines, flagged)
    assert [f["properties"]["s"] for f in _layers(maps.to_html(m))[1][0]["features"]] == ["bad", "ok"]


def test_inputs_not_modified() -> None:
    shelters, units = _shelters(4549), _units()
    before_s, before_u = shelters.copy(), units.copy()
    attrs = dict(shelters.attrs)
    m = maps.base_map(units, units=units)
    maps.add_facilities(m, shelters)
    maps.add_choropleth(m, units, "beds_per_1000")
    maps.to_html(m)
    assert shelters.equals(before_s) and units.equals(before_u)
    assert shelters.crs == before_s.crs and shelters.attrs == attrs


def test_plain_folium_map_is_accepted() -> None:
    m = folium.Map(tiles=None)
    maps.add_facilities(m, _shelters())
    html = maps.to_html(m)
    assert len(_point_coords(html)) == 3
    assert not [u for u in _requested_urls(html) if _is_remote(u)]


def test_empty_layer_is_skipped() -> None:
    m = maps.base_map(_units())
    maps.add_facilities(m, _shelters().iloc[:0])
    assert _layers(maps.to_html(m)) == []


def test_save_index_links_maps_relatively_and_escapes(tmp_path) -> None:
    m = maps.base_map(_units())
    a = maps.save(m, tmp_path / "maps" / "养老床位缺口.html")
    b = maps.save(m, tmp_path / "maps" / "界线联检_吴南线.html")
    index = maps.save_index({"养老床位缺口": a, XSS_SCRIPT: b}, tmp_path / "maps" / "index.html",
                            note=SYNTHETIC)
    html = index.read_text(encoding="utf-8")
    assert 'href="%E5%85%BB' in html  # relative, percent-encoded
    assert str(tmp_path) not in html
    assert XSS_SCRIPT not in html and "&lt;script&gt;" in html
    assert SYNTHETIC in html
    assert not [u for u in _requested_urls(html) if _is_remote(u)]


def test_boundary_accepts_result_objects_with_gaps_and_stretches() -> None:
    from types import SimpleNamespace

    line = LineString([(120.1, 30.8), (120.1, 30.9)])
    lines = gpd.GeoDataFrame({"line_name": ["吴南线"], "side_a_name": ["吴兴区"], "side_b_name": ["南浔区"],
                              "length_m": [11119.5]}, geometry=[line], crs=4326)
    junctions = gpd.GeoDataFrame({"junction_name": ["吴南德三交点"], "unit_names": ["吴兴区、南浔区、德清县"],
                                  "spread_m": [0.0]}, geometry=[Point(120.1, 30.8)], crs=4326)
    gaps = gpd.GeoDataFrame({"kind": ["缝隙", "重叠"], "line_name": ["吴南线"] * 2, "area_m2": [120.0, 80.0]},
                            geometry=[box(120.099, 30.85, 120.1, 30.851), box(120.1, 30.86, 120.101, 30.861)],
                            crs=4326)
    markers = gpd.GeoDataFrame({"marker_id": ["1", "2"], "finding": ["", "偏离界线 80 米"], "flagged": [False, True]},
                               geometry=[Point(120.1, 30.82), Point(120.1008, 30.84)], crs=4326)
    stretches = gpd.GeoDataFrame({"line_name": ["吴南线"], "from_km": [3.3], "to_km": [11.1]},
                                 geometry=[LineString([(120.1, 30.83), (120.1, 30.9)])], crs=4326)
    res = SimpleNamespace(lines=lines, junctions=junctions, gaps=gaps)
    check = SimpleNamespace(markers=markers, stretches=stretches)
    m = maps.base_map(lines)
    maps.add_boundary(m, res, check)
    html = maps.to_html(m)
    layers = _layers(html)
    kinds = {tuple(sorted(opt["styles"])) for _, opt in layers}
    assert ("gap", "overlap") in kinds and ("bad", "ok") in kinds
    assert "三交点：吴南德三交点" in html and "无界桩长段（1）" in html and "重叠（1）" in html
    marker_fc = next(fc for fc, opt in layers if "bad" in opt["styles"])
    assert [f["properties"]["s"] for f in marker_fc["features"]] == ["ok", "bad"]
    line_fc, line_opt = next((fc, opt) for fc, opt in layers if "L0" in opt["styles"])
    assert line_opt["fields"] == ["甲方", "乙方", "长度（米）"]


# --- inline notebook display (issue 11) ------------------------------------------------------------
def _srcdoc(cell: str) -> str:
    import html as _h

    mt = re.search(r'<iframe srcdoc="([^"]*)"', cell)
    assert mt, cell[:200]
    return _h.unescape(mt.group(1))


@pytest.mark.parametrize("cluster", [False, True])
def test_notebook_display_is_offline(cluster: bool) -> None:
    m = _full_map(cluster=cluster)
    assert isinstance(m, folium.Map)  # still a folium map for every folium call
    cell = m._repr_html_()
    # the cell itself loads nothing, and neither does the page inside its iframe
    assert [u for u in _requested_urls(cell) if _is_remote(u)] == []
    page = _srcdoc(cell)
    assert [u for u in _requested_urls(page) if _is_remote(u)] == []
    for cdn in ("jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "fontawesome", "unpkg"):
        assert cdn not in page
    assert 't.version="1.9.3"' in page and "L.map(" in page
    assert ("L.MarkerClusterGroup" in page) is cluster
    # the same layers as the offline file
    assert len(_layers(page)) == len(_layers(maps.to_html(m, offline=True))) > 5
    # folium's own display of the same kind of map loads Leaflet from a CDN (what this replaces)
    plain = folium.Map()._repr_html_()
    assert any(_is_remote(u) for u in _requested_urls(_srcdoc(plain)))


def test_notebook_display_falls_back_when_offline_is_impossible(caplog) -> None:
    m = maps.base_map(_units())
    folium.Marker([LAT, LON], icon=folium.Icon()).add_to(m)  # needs Font Awesome from a CDN
    with caplog.at_level("WARNING", logger="mzgeo"):
        cell = m._repr_html_()
    assert "<iframe" in cell and "无法离线显示" in caplog.text
