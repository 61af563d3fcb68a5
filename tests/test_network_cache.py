"""The on-disk network cache: keyed by content and parameters, fast to load, safe to lose."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, Point

from mzgeo import settings
from mzgeo.network import Network


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setattr(settings, "cache_folder", folder)
    monkeypatch.setattr(settings, "use_cache", True)
    return folder


def grid_roads(n=30, step=100.0):
    lines = [LineString([(0, i * step), ((n - 1) * step, i * step)]) for i in range(n)]
    lines += [LineString([(i * step, 0), (i * step, (n - 1) * step)]) for i in range(n)]
    classes = ["村道" if i % 2 else "县道" for i in range(2 * n)]
    names = [f"路{i}" if i % 3 else None for i in range(2 * n)]
    return gpd.GeoDataFrame({"road_class": classes, "name": names}, geometry=lines, crs=4549)


def npz_files(folder):
    return sorted((folder / "networks").glob("*.npz")) if folder.exists() else []


def test_second_load_comes_from_cache(cache_dir):
    gdf = grid_roads()
    a = Network.from_lines(gdf, mode="drive")
    assert len(npz_files(cache_dir)) == 1
    assert "cache" not in a.params
    t0 = time.perf_counter()
    b = Network.from_lines(gdf, mode="drive")
    assert time.perf_counter() - t0 < 1.0
    assert b.params["cache"].endswith(".npz")
    assert (a.n_nodes, a.n_edges, a.mode) == (b.n_nodes, b.n_edges, b.mode)
    assert a.crs == b.crs
    for col in ("u", "v", "length_m", "seconds", "road_class", "name"):
        assert a.edges[col].tolist() == b.edges[col].tolist()
    assert a.edges.geometry.geom_equals_exact(b.edges.geometry, 0).all()
    fac = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=4549)
    dem = gpd.GeoDataFrame(geometry=[Point(1234, 567), Point(2000, 2500)], crs=4549)
    np.testing.assert_array_equal(a.nearest(fac, dem)["minutes"], b.nearest(fac, dem)["minutes"])


def test_key_depends_on_data_and_parameters(cache_dir):
    gdf = grid_roads()
    Network.from_lines(gdf, mode="drive")
    Network.from_lines(gdf, mode="walk")
    Network.from_lines(gdf, mode="drive", speeds_kph={"村道": 20})
    changed = gdf.copy()
    changed.loc[0, "road_class"] = "国道"
    Network.from_lines(changed, mode="drive")
    moved = gdf.copy()
    moved.geometry = moved.geometry.translate(1, 0)
    Network.from_lines(moved, mode="drive")
    assert len(npz_files(cache_dir)) == 5
    # walking speed is a parameter of walk networks
    settings_speed = settings.walk_speed_mps
    try:
        settings.walk_speed_mps = 0.9
        net = Network.from_lines(gdf, mode="walk")
        assert "cache" not in net.params and net.params["walk_speed_mps"] == 0.9
    finally:
        settings.walk_speed_mps = settings_speed


def test_cache_off(cache_dir, monkeypatch):
    Network.from_lines(grid_roads(), cache=False)
    assert npz_files(cache_dir) == []
    monkeypatch.setattr(settings, "use_cache", False)
    Network.from_lines(grid_roads())
    assert npz_files(cache_dir) == []
    Network.from_lines(grid_roads(), cache=True)
    assert len(npz_files(cache_dir)) == 1


def test_corrupt_cache_is_rebuilt(cache_dir, caplog):
    gdf = grid_roads(5)
    Network.from_lines(gdf)
    (path,) = npz_files(cache_dir)
    path.write_bytes(b"not a zip file")
    with caplog.at_level("WARNING", logger="mzgeo"):
        net = Network.from_lines(gdf)
    assert "cache" not in net.params
    assert any("缓存" in r.message for r in caplog.records)
    assert net.n_nodes == 25


def test_osm_cache_keyed_by_file_content(cache_dir, tmp_path):
    import osmium
    from osmium.osm.mutable import Node, Way

    def write(path, lon2):
        w = osmium.SimpleWriter(str(path), overwrite=True)
        w.add_node(Node(id=1, location=(120.08, 30.89), tags={}))
        w.add_node(Node(id=2, location=(lon2, 30.89), tags={}))
        w.add_way(Way(id=1, nodes=[1, 2], tags={"highway": "residential"}))
        w.close()

    path = tmp_path / "a.osm.pbf"
    write(path, 120.09)
    a = Network.from_osm(path)
    b = Network.from_osm(path)
    assert "cache" in b.params and b.edges["length_m"].iloc[0] == a.edges["length_m"].iloc[0]
    write(path, 120.10)
    c = Network.from_osm(path)
    assert "cache" not in c.params
    assert c.edges["length_m"].iloc[0] > a.edges["length_m"].iloc[0]
