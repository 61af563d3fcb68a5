"""Service-area polygons on hand-checked toy networks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely import LineString, Point, box

from mzgeo import DataWarning, InputError, settings
from mzgeo.network import Network, isochrone

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
    sa = long_road.service_areas(pts((500, 0), index=["站"]), minutes=[5], buffer_m=50, polygon="detailed")
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
    sa = long_road.service_areas(pts((500, 30)), minutes=5, polygon="detailed")
    assert sa.geometry.iloc[0].bounds == pytest.approx((230, -50, 770, 50))


def test_walk_speed_changes_reach():
    gdf = gpd.GeoDataFrame(geometry=[LineString([(-1000, 0), (3000, 0)])], crs=CRS)
    net = Network.from_lines(gdf, walk_speed_mps=0.9, cache=False)
    g = net.service_areas(pts((500, 0)), minutes=10, polygon="detailed").geometry.iloc[0]
    assert g.bounds[0] == pytest.approx(500 - 540) and g.bounds[2] == pytest.approx(500 + 540)


def test_breaks_and_rings(long_road):
    fac = pts((500, 0))
    disks = long_road.service_areas(fac, minutes=[10, 5], polygon="detailed")
    assert list(disks["minutes_to"]) == [5.0, 10.0]
    assert list(disks["minutes_from"]) == [0.0, 0.0]
    assert disks.geometry.iloc[1].area == pytest.approx(1200 * 100)
    rings = long_road.service_areas(fac, minutes=[5, 10], rings=True, polygon="detailed")
    assert list(rings["minutes_from"]) == [0.0, 5.0]
    assert rings.geometry.iloc[1].area == pytest.approx(1200 * 100 - 600 * 100)
    assert rings.geometry.iloc[0].intersection(rings.geometry.iloc[1]).area == pytest.approx(0, abs=1e-6)


def test_overlap_dissolve_split(long_road):
    fac = pts((300, 0), (700, 0), index=["A", "B"])
    ov = long_road.service_areas(fac, minutes=5, how="overlap", polygon="detailed")
    assert list(ov["facility"]) == ["A", "B"]
    assert ov.geometry.iloc[0].bounds == pytest.approx((0, -50, 600, 50))
    assert ov.geometry.iloc[1].bounds == pytest.approx((400, -50, 1000, 50))
    dis = long_road.service_areas(fac, minutes=5, how="dissolve", polygon="detailed")
    assert len(dis) == 1 and dis["facility"].isna().all()
    assert dis.geometry.iloc[0].area == pytest.approx(1000 * 100)
    sp = long_road.service_areas(fac, minutes=5, how="split", polygon="detailed")
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
    g = net.service_areas(pts((0, 0)), minutes=5, buffer_m=20, polygon="detailed").geometry.iloc[0]
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
    to = net.service_areas(pts((500, 0)), minutes=1, polygon="detailed").geometry.iloc[0]
    # travelling to the facility on a one-way road: only from upstream (smaller x)
    assert to.bounds[0] == pytest.approx(500 - 60 * speed) and to.bounds[2] == pytest.approx(500)
    away = net.service_areas(pts((500, 0)), minutes=1, direction="from_facility", polygon="detailed").geometry.iloc[0]
    assert away.bounds[0] == pytest.approx(500) and away.bounds[2] == pytest.approx(500 + 60 * speed)


def test_fill_holes_on_a_block():
    # a 400 x 400 block; 15 min (900 m) reaches the whole 1,600 m ring from a corner
    ring = LineString([(0, 0), (400, 0), (400, 400), (0, 400), (0, 0)])
    gdf = gpd.GeoDataFrame(geometry=[ring, LineString([(0, 0), (-500, 0)])], crs=CRS)
    net = Network.from_lines(gdf, cache=False)
    filled = net.service_areas(pts((0, 0)), minutes=15, buffer_m=20, polygon="detailed").geometry.iloc[0]
    holed = net.service_areas(pts((0, 0)), minutes=15, buffer_m=20, fill_holes=False, polygon="detailed").geometry.iloc[0]
    assert filled.contains(Point(200, 200))
    assert not holed.contains(Point(200, 200))
    assert filled.area == pytest.approx(holed.area + 360 * 360, rel=1e-6)


def test_problem_facilities_and_errors(long_road):
    with pytest.warns(DataWarning, match="远处"):
        sa = long_road.service_areas(pts((500, 0), (0, 5000), names=["近处", "远处"]), minutes=5, polygon="detailed")
    assert len(sa) == 1
    with pytest.raises(InputError):
        long_road.service_areas(pts((0, 0)), how="merge")
    with pytest.raises(InputError):
        long_road.service_areas(pts((0, 0)), minutes=[-5])
    empty = long_road.service_areas(pts(), minutes=5, polygon="detailed")
    assert len(empty) == 0 and list(empty.columns) == ["facility", "minutes_from", "minutes_to", "geometry"]


def test_dissolve_equals_union_of_overlap():
    rng = np.random.default_rng(1)
    xs, ys = np.meshgrid(np.arange(6) * 200.0, np.arange(6) * 200.0)
    lines = [LineString([(0, y), (1000, y)]) for y in ys[:, 0]] + [LineString([(x, 0), (x, 1000)]) for x in xs[0]]
    net = Network.from_lines(gpd.GeoDataFrame(geometry=lines, crs=CRS), cache=False)
    fac = pts(*[tuple(p) for p in rng.uniform(0, 1000, (3, 2))])
    ov = net.service_areas(fac, minutes=4, how="overlap", fill_holes=False, polygon="detailed")
    dis = net.service_areas(fac, minutes=4, how="dissolve", fill_holes=False, polygon="detailed")
    assert dis.geometry.iloc[0].symmetric_difference(ov.union_all()).area < 1.0
    sp = net.service_areas(fac, minutes=4, how="split", fill_holes=False, polygon="detailed")
    assert sp.union_all().symmetric_difference(dis.geometry.iloc[0]).area < 1.0
    inter = sum(a.intersection(b).area for i, a in enumerate(sp.geometry) for b in sp.geometry[i + 1:])
    assert inter < 1e-3


def test_split_meets_where_times_are_equal(long_road):
    # A at 300 with a 100 m walk to the road, B at 800 on the road: 100 + |x - 300| = |x - 800| at x = 500
    fac = pts((300, 100), (800, 0), index=["A", "B"])
    sp = long_road.service_areas(fac, minutes=10, how="split", polygon="detailed")
    a, b = sp.geometry.iloc[0], sp.geometry.iloc[1]
    assert a.bounds[2] == pytest.approx(500, abs=0.02)
    assert b.bounds[0] == pytest.approx(500, abs=0.02)
    assert a.bounds[0] == pytest.approx(300 - 500)  # 600 s left after the walk


# --- generalised (raster) polygons: the default ------------------------------------------------

CELL = 10.0
DIAG = CELL * np.sqrt(2)


def reached_roads(net, fac, minutes, **kw):
    """The reached roads (and partial ends) as a thin detailed polygon: the exact reach."""
    return net.service_areas(fac, minutes=minutes, polygon="detailed", buffer_m=0.01, fill_holes=False,
                             **kw).geometry.iloc[0]


def shells(geom):
    """The polygon with its holes filled."""
    return shapely.union_all(shapely.polygons(shapely.get_exterior_ring(shapely.get_parts(geom))))


def check_generalized(net, fac, minutes, buffer_m, **kw):
    """Generalised vs detailed on one facility: reach contained, extent bounded, area close."""
    gen = net.service_areas(fac, minutes=minutes, buffer_m=buffer_m, cell_m=CELL, **kw).geometry.iloc[0]
    det = net.service_areas(fac, minutes=minutes, buffer_m=buffer_m, polygon="detailed", **kw).geometry.iloc[0]
    roads = reached_roads(net, fac, minutes, **{k: v for k, v in kw.items() if k == "direction"})
    fill = shells if kw.get("fill_holes", True) else (lambda g: g)
    assert gen.is_valid and det.is_valid
    # every reached road point (nodes and partial-edge ends included) within one cell
    assert gen.buffer(CELL).contains(roads)
    assert roads.difference(gen).area <= 0.05 * roads.area
    # nothing beyond the reached roads + buffer + one cell diagonal
    assert fill(roads.buffer(buffer_m + DIAG + 1e-6)).contains(gen)
    # area: close to the exact buffer of the reached roads (round ends, like the grid's disks;
    # the detailed polygon has flat ends): the boundary moves by less than one cell, so the
    # stated tolerance is the perimeter times one cell
    exact = fill(roads.buffer(buffer_m))
    assert abs(gen.area - exact.area) <= exact.length * CELL
    assert det.area <= exact.area + 1e-6
    return gen, det


def test_generalized_is_the_default_and_valid(long_road):
    sa = long_road.service_areas(pts((500, 0), index=["站"]), minutes=[5])
    assert list(sa.columns) == ["facility", "minutes_from", "minutes_to", "geometry"]
    assert sa.crs.to_epsg() == CRS and sa.is_valid.all()
    assert sa["facility"].iloc[0] == "站"
    g = sa.geometry.iloc[0]
    # default walking cell 25 m: 300 m of road both ways, widened by 50 m (two cells), in cells
    x0, y0, x1, y1 = g.bounds
    assert 200 - 50 - 25 <= x0 <= 200 - 50 + 1e-6 and 800 + 50 - 1e-6 <= x1 <= 800 + 50 + 25
    assert g.contains(Point(210, 0)) and g.contains(Point(790, 0)) and not g.contains(Point(500, 120))


def test_generalized_straight_road_and_access_leg(long_road):
    gen, det = check_generalized(long_road, pts((500, 0)), 5, 50)
    assert gen.bounds[0] == pytest.approx(150, abs=CELL) and gen.bounds[2] == pytest.approx(850, abs=CELL)
    gen, _ = check_generalized(long_road, pts((500, 30)), 5, 50)  # 30 m walk to the road first
    assert gen.bounds[0] == pytest.approx(180, abs=CELL) and gen.bounds[2] == pytest.approx(820, abs=CELL)


def test_generalized_cross_is_not_a_hull():
    gdf = gpd.GeoDataFrame(
        geometry=[LineString([(-1000, 0), (1000, 0)]), LineString([(0, -1000), (0, 1000)])], crs=CRS
    )
    net = Network.from_lines(gdf, cache=False)
    gen, _ = check_generalized(net, pts((0, 0)), 5, 20)
    assert gen.contains(Point(0, 290)) and not gen.contains(Point(0, 360))
    assert not gen.contains(Point(150, 150))


def test_generalized_holes_filled_or_not():
    ring = LineString([(0, 0), (400, 0), (400, 400), (0, 400), (0, 0)])
    net = Network.from_lines(gpd.GeoDataFrame(geometry=[ring, LineString([(0, 0), (-500, 0)])], crs=CRS),
                             cache=False)
    filled, det = check_generalized(net, pts((0, 0)), 15, 20)
    holed, _ = check_generalized(net, pts((0, 0)), 15, 20, fill_holes=False)
    assert filled.contains(Point(200, 200)) and not holed.contains(Point(200, 200))
    assert len(holed.interiors) == 1 and len(filled.interiors) == 0
    assert filled.area == pytest.approx(holed.area + shapely.Polygon(holed.interiors[0]).area)
    assert filled.area == pytest.approx(det.area, rel=0.25)


def test_generalized_oneway_direction():
    back = LineString([(3000, 0), (3000, 5000), (-1000, 5000), (-1000, 0)])
    gdf = gpd.GeoDataFrame({"oneway": ["是", "否"]}, geometry=[LineString([(-1000, 0), (3000, 0)]), back], crs=CRS)
    net = Network.from_lines(gdf, mode="drive", speeds_kph={"x": 36}, cache=False)
    reach = 60 * 30 / 3.6
    to, _ = check_generalized(net, pts((500, 0)), 1, 50)
    assert to.bounds[0] == pytest.approx(500 - reach - 50, abs=DIAG) and to.bounds[2] <= 500 + 50 + DIAG
    away, _ = check_generalized(net, pts((500, 0)), 1, 50, direction="from_facility")
    assert away.bounds[0] >= 500 - 50 - DIAG and away.bounds[2] == pytest.approx(500 + reach + 50, abs=DIAG)


def test_generalized_rings_overlap_dissolve_split(long_road):
    fac = pts((300, 0), (700, 0), index=["A", "B"])
    kw = {"cell_m": CELL, "minutes": [3, 5]}
    disks = long_road.service_areas(fac, how="overlap", **kw)
    rings = long_road.service_areas(fac, how="overlap", rings=True, **kw)
    assert list(rings["minutes_from"]) == [0.0, 3.0, 0.0, 3.0] and list(rings["facility"]) == ["A", "A", "B", "B"]
    for f in ("A", "B"):
        d = disks[disks["facility"] == f].geometry
        r = rings[rings["facility"] == f].geometry
        assert r.iloc[0].intersection(r.iloc[1]).area == pytest.approx(0, abs=1e-6)
        assert r.iloc[0].union(r.iloc[1]).symmetric_difference(d.iloc[1]).area < CELL * CELL * 4
        assert d.iloc[1].contains(d.iloc[0].buffer(-CELL))
    dis = long_road.service_areas(fac, how="dissolve", **kw)
    assert len(dis) == 2 and dis["facility"].isna().all() and dis.is_valid.all()
    assert dis.geometry.iloc[1].symmetric_difference(disks[disks["minutes_to"] == 5].union_all()).area < 1e3
    sp = long_road.service_areas(fac, how="split", **kw)
    assert list(sp["facility"]) == ["A", "A", "B", "B"] and sp.is_valid.all()
    a, b = sp.geometry.iloc[1], sp.geometry.iloc[3]
    assert a.intersection(b).area == pytest.approx(0, abs=1e-6)
    assert a.union(b).symmetric_difference(dis.geometry.iloc[1]).area < 1e3
    assert a.bounds[2] == pytest.approx(500, abs=CELL) and b.bounds[0] == pytest.approx(500, abs=CELL)
    assert a.contains(Point(300, 0)) and b.contains(Point(700, 0))
    sp_rings = long_road.service_areas(fac, how="split", rings=True, **kw)
    geoms = list(sp_rings.geometry)
    assert sp_rings.is_valid.all()
    assert sum(p.intersection(q).area for i, p in enumerate(geoms) for q in geoms[i + 1:]) < 1e-6


def test_generalized_grid_network_consistency():
    rng = np.random.default_rng(1)
    xs, ys = np.meshgrid(np.arange(6) * 200.0, np.arange(6) * 200.0)
    lines = [LineString([(0, y), (1000, y)]) for y in ys[:, 0]] + [LineString([(x, 0), (x, 1000)]) for x in xs[0]]
    net = Network.from_lines(gpd.GeoDataFrame(geometry=lines, crs=CRS), cache=False)
    fac = pts(*[tuple(p) for p in rng.uniform(0, 1000, (3, 2))])
    kw = {"minutes": 4, "fill_holes": False, "cell_m": CELL, "simplify": False}
    ov = net.service_areas(fac, how="overlap", **kw)
    dis = net.service_areas(fac, how="dissolve", **kw)
    sp = net.service_areas(fac, how="split", **kw)
    # on the grid, the union of the facilities' cells is the cells of the union
    assert dis.geometry.iloc[0].symmetric_difference(ov.union_all()).area < 1e-6
    assert sp.union_all().symmetric_difference(dis.geometry.iloc[0]).area < 1e-6
    geoms = list(sp.geometry)
    assert sum(p.intersection(q).area for i, p in enumerate(geoms) for q in geoms[i + 1:]) < 1e-6
    for k in range(len(fac)):
        check_generalized(net, fac.iloc[[k]], 4, 50)
    # simplified (the default): still a non-overlapping partition
    sp = net.service_areas(fac, how="split", minutes=4, cell_m=CELL)
    geoms = list(sp.geometry)
    assert sp.is_valid.all()
    assert sum(p.intersection(q).area for i, p in enumerate(geoms) for q in geoms[i + 1:]) < 1e-6


def test_generalized_options_and_errors(long_road, monkeypatch, caplog):
    with pytest.raises(InputError, match="polygon"):
        long_road.service_areas(pts((0, 0)), polygon="exact")
    with pytest.raises(InputError, match="cell_m"):
        long_road.service_areas(pts((0, 0)), cell_m=0)
    empty = long_road.service_areas(pts(), minutes=5)
    assert len(empty) == 0 and list(empty.columns) == ["facility", "minutes_from", "minutes_to", "geometry"]
    # a grid too large is coarsened (and logged), the polygon stays valid
    monkeypatch.setattr(isochrone, "_MAX_GRID_CELLS", 500)
    with caplog.at_level("WARNING", logger="mzgeo"):
        g = long_road.service_areas(pts((500, 0)), minutes=5, cell_m=CELL).geometry.iloc[0]
    assert "coarsened" in caplog.text and g.is_valid
    assert g.contains(Point(250, 0)) and g.contains(Point(750, 0))


def test_grid_polygons_random_grids():
    """The raster tracer: valid polygons equal to the union of the filled cells, one part per
    edge-connected group; partitions stay non-overlapping, also simplified."""
    from scipy import ndimage

    from mzgeo.network import _raster

    rng = np.random.default_rng(7)
    for it in range(300):
        h, w = rng.integers(3, 12, 2)
        g = np.zeros((h + 2, w + 2), bool)
        g[1:-1, 1:-1] = rng.random((h, w)) < rng.uniform(0.2, 0.8)
        if it % 3 == 0:
            g = _raster.fill_holes(g)
        if not g.any():
            continue
        poly = _raster.grid_polygons(g, 100.0, 200.0, 10.0)
        r, c = np.nonzero(g)
        cells = shapely.union_all(shapely.box(100 + c * 10, 200 + r * 10, 110 + c * 10, 210 + r * 10))
        assert poly.is_valid
        assert poly.symmetric_difference(cells).area < 1e-3 * cells.area
        assert shapely.get_num_geometries(poly) == ndimage.label(g)[1]
    for _ in range(100):
        h, w = rng.integers(3, 12, 2)
        n_lab = int(rng.integers(2, 5))
        lab = np.zeros((h + 2, w + 2), np.int32)
        lab[1:-1, 1:-1] = rng.integers(0, n_lab + 1, (h, w))
        for tol in (0.0, 5.0):
            polys = [p for p in _raster.label_polygons(lab, n_lab, 0.0, 0.0, 10.0, tol) if p is not None]
            assert shapely.is_valid(polys).all()
            assert sum(p.intersection(q).area for i, p in enumerate(polys) for q in polys[i + 1:]) < 1e-6


def test_reached_cells_equal_every_reached_sample():
    """The node-star fast path marks exactly the cells of the samples reached (brute force)."""
    from scipy.sparse.csgraph import dijkstra

    from mzgeo.network import _raster

    rng = np.random.default_rng(3)
    side = 14
    iy, ix = np.divmod(np.arange(side * side), side)
    x = ix * 100.0 + rng.uniform(-30, 30, side * side)
    y = iy * 100.0 + rng.uniform(-30, 30, side * side)
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.1
    u, v = u[keep], v[keep]
    sec = np.hypot(x[u] - x[v], y[u] - y[v]) / rng.choice([5.0, 10.0, 15.0], len(u))
    fwd, bwd = sec.copy(), sec * rng.uniform(0.8, 1.2, len(u))
    oneway = rng.random(len(u)) < 0.2
    flip = rng.random(len(u)) < 0.5
    bwd[oneway & ~flip] = np.inf
    fwd[oneway & flip] = np.inf
    net = Network.from_arrays(x, y, u, v, fwd, seconds_back=bwd, crs=CRS)
    for toward in (True, False):
        graph = net._graph(transpose=toward)
        cost_u, cost_v = isochrone._costs(net, toward)
        for cell in (30.0, 100.0):
            es = isochrone._edge_samples(net, cell)
            stars = isochrone._stars(net, es, toward)
            seg, f = _raster.sample_fraction(es, np.arange(len(es.gid)))
            for source in rng.integers(0, net.n_nodes, 4):
                dist = dijkstra(graph, indices=int(source), limit=200.0)
                for limit in (60.0, 200.0):
                    nodes = np.flatnonzero(dist <= limit)
                    fast = np.unique(np.concatenate(_raster.reached_cells(
                        es, stars, dist, limit, nodes, net._u, net._v, cost_u, cost_v)))
                    with np.errstate(invalid="ignore"):
                        tu = dist[net._u[seg]] + np.where(f > 0, f * cost_u[seg], 0.0)
                        tv = dist[net._v[seg]] + np.where(f < 1, (1 - f) * cost_v[seg], 0.0)
                    hit = (np.nan_to_num(tu, nan=np.inf) <= limit) | (np.nan_to_num(tv, nan=np.inf) <= limit)
                    brute = np.unique(np.concatenate([es.gid[hit], es.node_gid[nodes]]))
                    np.testing.assert_array_equal(fast, brute)
                    samples, _ = _raster.reached_samples(es, dist, limit, net._u, net._v, cost_u, cost_v)
                    assert len(samples) == len(np.unique(samples)) == hit.sum()


def test_generalized_clusters_equal_one_window(monkeypatch):
    """Scattered reach is drawn cluster by cluster; the result is that of one big window,
    also when a cluster lies inside a hole of another (they share a window)."""
    from mzgeo.network import _raster

    # a ring road, a road in its middle and one far away, joined by roads too slow to matter
    x = [0, 1200, 1200, 0, 500, 700, 5000, 6000]
    y = [0, 0, 1200, 1200, 600, 600, 0, 0]
    u = [0, 1, 2, 3, 4, 6, 5, 6]
    v = [1, 2, 3, 0, 5, 7, 2, 1]
    sec = [1200, 1200, 1200, 1200, 200, 1000, 1e7, 1e7]
    net = Network.from_arrays(x, y, u, v, sec, seconds_back=sec, crs=CRS, mode="walk")
    fac = pts((0, 0), (600, 600), (5500, 0), index=["ring", "island", "far"])
    for kw in ({"how": "dissolve"}, {"how": "dissolve", "fill_holes": False}, {"how": "split"},
               {"how": "split", "rings": True}, {"how": "dissolve", "rings": True}):
        for simplify in (False, True):
            args = {"minutes": [20, 40], "buffer_m": 20, "cell_m": CELL, "simplify": simplify, **kw}
            whole = net.service_areas(fac, **args)
            monkeypatch.setattr(_raster, "_DENSE_CELLS", 0)
            monkeypatch.setattr(_raster, "_DENSE_PER_MARK", 0)
            tiled = net.service_areas(fac, **args)
            monkeypatch.undo()
            assert tiled.is_valid.all() and len(tiled) == len(whole)
            for a, b in zip(whole.geometry, tiled.geometry, strict=True):
                # exact cells; simplified rings may start elsewhere: within half a cell
                assert a.symmetric_difference(b).area <= (1e-6 if not simplify else a.length * CELL / 2)
    monkeypatch.setattr(_raster, "_DENSE_CELLS", 0)
    monkeypatch.setattr(_raster, "_DENSE_PER_MARK", 0)
    made = []
    tiles = _raster.tiles
    monkeypatch.setattr(_raster, "tiles", lambda *a: made.append(tiles(*a)[0]) or tiles(*a))
    filled = net.service_areas(fac, minutes=40, buffer_m=20, cell_m=CELL, how="dissolve").geometry.iloc[0]
    assert len(made[0]) == 2  # the ring and the road in it share a window; the far road has its own
    assert filled.contains(Point(600, 700)) and shapely.get_num_geometries(filled) == 2
