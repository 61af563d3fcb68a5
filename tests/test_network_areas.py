"""Service-area polygons on hand-checked toy networks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, Point, box

from mzgeo import DataWarning, InputError, settings
from mzgeo.network import Network

CRS = 4549


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")


def pts(*xy, index=None, names=None):
    data = {"name": names} if names is not None else {}
    return gpd.GeoDataFrame(data, geometry=[Point(p) for p in xy], crs=CRS, index=index)


@pytest.fixture
def long_road():
    """A straight 4 km road from x=-1000 to x=3000 (walk, 1 m/s): no node is reached."""
    gdf = gpd.GeoDataFrame(geometry=[LineString([(-1000, 0), (3000, 0)])], crs=CRS)
    return Network.from_lines(gdf, cache=False)


def test_straight_road_reaches_exactly_the_partial_edge(long_road):
    sa = long_road.service_areas(pts((500, 0), index=["站"]), minutes=[5], buffer_m=50)
    assert list(sa.columns) == ["facility", "minutes_from", "minutes_to", "geometry"]
    assert sa.crs.to_epsg() == CRS
    g = sa.geometry.iloc[0]
    # 5 min at 1 m/s = 300 m both ways, flat ends, 50 m either side
    assert g.bounds == pytest.approx((200, -50, 800, 50))
    assert g.area == pytest.approx(600 * 100)
    assert g.symmetric_difference(box(200, -50, 800, 50)).area < 1e-6
    assert sa["facility"].iloc[0] == "站"
    assert (sa["minutes_from"].iloc[0], sa["minutes_to"].iloc[0]) == (0.0, 5.0)


def test_facility_access_leg_counts(long_road):
    sa = long_road.service_areas(pts((500, 30)), minutes=5)
    assert sa.geometry.iloc[0].bounds == pytest.approx((230, -50, 770, 50))


def test_walk_speed_changes_reach():
    gdf = gpd.GeoDataFrame(geometry=[LineString([(-1000, 0), (3000, 0)])], crs=CRS)
    net = Network.from_lines(gdf, walk_speed_mps=0.9, cache=False)
    g = net.service_areas(pts((500, 0)), minutes=10).geometry.iloc[0]
    assert g.bounds[0] == pytest.approx(500 - 540) and g.bounds[2] == pytest.approx(500 + 540)


def test_breaks_and_rings(long_road):
    fac = pts((500, 0))
    disks = long_road.service_areas(fac, minutes=[10, 5])
    assert list(disks["minutes_to"]) == [5.0, 10.0]
    assert list(disks["minutes_from"]) == [0.0, 0.0]
    assert disks.geometry.iloc[1].area == pytest.approx(1200 * 100)
    rings = long_road.service_areas(fac, minutes=[5, 10], rings=True)
    assert list(rings["minutes_from"]) == [0.0, 5.0]
    assert rings.geometry.iloc[1].area == pytest.approx(1200 * 100 - 600 * 100)
    assert rings.geometry.iloc[0].intersection(rings.geometry.iloc[1]).area == pytest.approx(0, abs=1e-6)


def test_overlap_dissolve_split(long_road):
    fac = pts((300, 0), (700, 0), index=["A", "B"])
    ov = long_road.service_areas(fac, minutes=5, how="overlap")
    assert list(ov["facility"]) == ["A", "B"]
    assert ov.geometry.iloc[0].bounds == pytest.approx((0, -50, 600, 50))
    assert ov.geometry.iloc[1].bounds == pytest.approx((400, -50, 1000, 50))
    dis = long_road.service_areas(fac, minutes=5, how="dissolve")
    assert len(dis) == 1 and dis["facility"].isna().all()
    assert dis.geometry.iloc[0].area == pytest.approx(1000 * 100)
    sp = long_road.service_areas(fac, minutes=5, how="split")
    assert list(sp["facility"]) == ["A", "B"]
    a, b = sp.geometry.iloc[0], sp.geometry.iloc[1]
    assert a.intersection(b).area == pytest.approx(0, abs=1e-6)
    assert (a.union(b)).area == pytest.approx(1000 * 100)
    # the facilities meet at x = 500
    assert a.bounds[2] == pytest.approx(500, abs=0.02)
    assert b.bounds[0] == pytest.approx(500, abs=0.02)
    assert a.area == pytest.approx(50000, abs=5)


def test_cross_network_nodes_round_and_partial_edges():
    # a cross: centre node (0,0), arms of 1000 m; facility at the centre, 5 min = 300 m
    gdf = gpd.GeoDataFrame(
        geometry=[LineString([(-1000, 0), (1000, 0)]), LineString([(0, -1000), (0, 1000)])], crs=CRS
    )
    net = Network.from_lines(gdf, cache=False)
    g = net.service_areas(pts((0, 0)), minutes=5, buffer_m=20).geometry.iloc[0]
    assert g.bounds == pytest.approx((-300, -300, 300, 300))
    # two bars of 600 m x 40 m crossing in a 40 x 40 square (the node's round cap lies inside it)
    assert g.area == pytest.approx(2 * 600 * 40 - 40 * 40)
    assert g.contains(Point(0, 290)) and not g.contains(Point(0, 310))
    assert not g.contains(Point(150, 150))  # not a convex hull of reached nodes


def test_oneway_direction_matters():
    back = LineString([(3000, 0), (3000, 5000), (-1000, 5000), (-1000, 0)])  # the way back, far away
    gdf = gpd.GeoDataFrame({"oneway": ["是", "否"]}, geometry=[LineString([(-1000, 0), (3000, 0)]), back], crs=CRS)
    net = Network.from_lines(gdf, mode="drive", speeds_kph={"x": 36}, cache=False)  # default 30 km/h
    speed = 30 / 3.6
    to = net.service_areas(pts((500, 0)), minutes=1).geometry.iloc[0]
    # travelling to the facility on a one-way road: only from upstream (smaller x)
    assert to.bounds[0] == pytest.approx(500 - 60 * speed) and to.bounds[2] == pytest.approx(500)
    away = net.service_areas(pts((500, 0)), minutes=1, direction="from_facility").geometry.iloc[0]
    assert away.bounds[0] == pytest.approx(500) and away.bounds[2] == pytest.approx(500 + 60 * speed)


def test_fill_holes_on_a_block():
    # a 400 x 400 block; 15 min (900 m) reaches the whole 1,600 m ring from a corner
    ring = LineString([(0, 0), (400, 0), (400, 400), (0, 400), (0, 0)])
    gdf = gpd.GeoDataFrame(geometry=[ring, LineString([(0, 0), (-500, 0)])], crs=CRS)
    net = Network.from_lines(gdf, cache=False)
    filled = net.service_areas(pts((0, 0)), minutes=15, buffer_m=20).geometry.iloc[0]
    holed = net.service_areas(pts((0, 0)), minutes=15, buffer_m=20, fill_holes=False).geometry.iloc[0]
    assert filled.contains(Point(200, 200))
    assert not holed.contains(Point(200, 200))
    assert filled.area == pytest.approx(holed.area + 360 * 360, rel=1e-6)


def test_problem_facilities_and_errors(long_road):
    with pytest.warns(DataWarning, match="远处"):
        sa = long_road.service_areas(pts((500, 0), (0, 5000), names=["近处", "远处"]), minutes=5)
    assert len(sa) == 1
    with pytest.raises(InputError):
        long_road.service_areas(pts((0, 0)), how="merge")
    with pytest.raises(InputError):
        long_road.service_areas(pts((0, 0)), minutes=[-5])
    empty = long_road.service_areas(pts(), minutes=5)
    assert len(empty) == 0 and list(empty.columns) == ["facility", "minutes_from", "minutes_to", "geometry"]


def test_dissolve_equals_union_of_overlap():
    rng = np.random.default_rng(1)
    xs, ys = np.meshgrid(np.arange(6) * 200.0, np.arange(6) * 200.0)
    lines = [LineString([(0, y), (1000, y)]) for y in ys[:, 0]] + [LineString([(x, 0), (x, 1000)]) for x in xs[0]]
    net = Network.from_lines(gpd.GeoDataFrame(geometry=lines, crs=CRS), cache=False)
    fac = pts(*[tuple(p) for p in rng.uniform(0, 1000, (3, 2))])
    ov = net.service_areas(fac, minutes=4, how="overlap", fill_holes=False)
    dis = net.service_areas(fac, minutes=4, how="dissolve", fill_holes=False)
    assert dis.geometry.iloc[0].symmetric_difference(ov.union_all()).area < 1.0
    sp = net.service_areas(fac, minutes=4, how="split", fill_holes=False)
    assert sp.union_all().symmetric_difference(dis.geometry.iloc[0]).area < 1.0
    inter = sum(a.intersection(b).area for i, a in enumerate(sp.geometry) for b in sp.geometry[i + 1:])
    assert inter < 1e-3


def test_split_meets_where_times_are_equal(long_road):
    # A at 300 with a 100 m walk to the road, B at 800 on the road: 100 + |x - 300| = |x - 800| at x = 500
    fac = pts((300, 100), (800, 0), index=["A", "B"])
    sp = long_road.service_areas(fac, minutes=10, how="split")
    a, b = sp.geometry.iloc[0], sp.geometry.iloc[1]
    assert a.bounds[2] == pytest.approx(500, abs=0.02)
    assert b.bounds[0] == pytest.approx(500, abs=0.02)
    assert a.bounds[0] == pytest.approx(300 - 500)  # 600 s left after the walk
