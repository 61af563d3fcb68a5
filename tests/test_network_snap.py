"""The fast snap (grid of segment pieces + exact check) equals the exact STRtree nearest-segment snap.

Random road-like grids (jittered or exact, some roads bent through an extra vertex, a few
missing, a detached island) with points placed exactly on nodes, on segment midpoints, at
the centre of grid cells (equidistant from four roads: ties), at random, far from every road
and exactly at ``max_snap_m`` from the road. Segment, status, position, distance and the
snapped point must equal the old path (``_exact=True``, shapely's ``STRtree.query_nearest``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mzgeo import settings as mz_settings
from mzgeo.network import Network
from mzgeo.network.core import _point_xy

CRS = 4549
X0, Y0 = 500000.0, 3300000.0


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(mz_settings, "cache_folder", tmp_path / "cache")


def _grid(seed: int, side: int, jitter: float, bend: float) -> Network:
    rng = np.random.default_rng(seed)
    iy, ix = np.divmod(np.arange(side * side), side)
    x = X0 + ix * 100.0 + rng.uniform(-jitter, jitter, side * side)
    y = Y0 + iy * 100.0 + rng.uniform(-jitter, jitter, side * side)
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(u)) > 0.05
    u, v = u[keep], v[keep]
    # a detached island far to the east: points near it are "island"
    n = len(x)
    x = np.concatenate([x, [X0 + side * 100.0 + 500.0, X0 + side * 100.0 + 600.0]])
    y = np.concatenate([y, [Y0, Y0]])
    u = np.concatenate([u, [n]])
    v = np.concatenate([v, [n + 1]])
    geoms = shapely.linestrings(np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], 1))
    bent = rng.random(len(u)) < 0.2
    mid = np.column_stack([(x[u] + x[v]) / 2, (y[u] + y[v]) / 2]) + rng.uniform(-bend, bend, (len(u), 2))
    geoms[bent] = shapely.linestrings(np.stack([np.column_stack([x[u], y[u]])[bent], mid[bent],
                                                np.column_stack([x[v], y[v]])[bent]], 1))
    sec = shapely.length(geoms) / 10.0
    return Network.from_arrays(x, y, u, v, sec, seconds_back=sec, geometry=geoms, crs=CRS, mode="drive")


def _points(net: Network, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed + 1)
    xy = net._node_xy
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    seg_mid = shapely.get_coordinates(shapely.line_interpolate_point(net._geoms, 0.5, normalized=True))
    vert = net._coords
    cell = np.floor((xy[:-2] - [X0, Y0]) / 100.0)[:30] * 100.0 + [X0 + 50.0, Y0 + 50.0]
    # exactly max_snap_m (40 m) north of a straight horizontal road of an exact grid
    parts = [
        xy[rng.choice(len(xy), 30)],
        vert[rng.choice(len(vert), 30)],
        seg_mid[rng.choice(len(seg_mid), 30)],
        cell,
        rng.uniform(lo - 200, hi + 200, (150, 2)),
        seg_mid[rng.choice(len(seg_mid), 20)] + [0.0, 40.0],
        [[hi[0] + 550.0, Y0 + 10.0], [hi[0] + 5000.0, Y0]],
    ]
    pts = np.concatenate(parts)
    geom = shapely.points(pts)
    geom[:2] = [shapely.Point(), None]
    return gpd.GeoDataFrame(geometry=geom, crs=CRS)


def _assert_same(net: Network, pts: gpd.GeoDataFrame, max_snap: float | None) -> None:
    old = net._snap(pts, max_snap, _exact=True)
    new = net._snap(pts, max_snap)
    np.testing.assert_array_equal(new.status, old.status)
    np.testing.assert_array_equal(new.seg, old.seg)
    for a, b in [(new.t, old.t), (new.access_m, old.access_m), (new.x, old.x), (new.y, old.y)]:
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9, equal_nan=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), side=st.integers(2, 14), jitter=st.sampled_from([0.0, 0.0, 20.0, 45.0]),
       bend=st.sampled_from([0.0, 30.0]), max_snap=st.sampled_from([None, 40.0, 1e9]))
def test_fast_snap_equals_strtree_snap(seed, side, jitter, bend, max_snap):
    net = _grid(seed, side, jitter, bend)
    pts = _points(net, seed)
    _assert_same(net, pts, max_snap)


def test_ties_and_statuses_are_present():
    # the property test really exercises ties, islands, too-far and empty points
    net = _grid(3, 10, 0.0, 0.0)
    pts = _points(net, 3)
    s = net._snap(pts, 40.0)
    assert set(s.status) == {"ok", "too_far", "island", "empty"}
    xy = np.column_stack(_point_xy(pts.geometry.values))
    ok = np.flatnonzero(s.status == "ok")
    unsure = net._nearest_grid(xy[ok], 40.0)[2]
    assert unsure.sum() >= 30  # nodes and cell centres: several roads at the same distance
    _assert_same(net, pts, 40.0)


def test_long_curved_segment_far_points():
    # one long winding road and a far straight one: blocks grow far beyond the first cells
    t = np.linspace(0, 4 * np.pi, 400)
    line = shapely.linestrings(X0 + t * 500.0, Y0 + np.sin(t) * 800.0)
    roads = gpd.GeoDataFrame(geometry=[line, shapely.linestrings([[X0, Y0 - 3000], [X0 + 9000, Y0 - 3000]])],
                             crs=CRS)
    net = Network.from_lines(roads, cache=False)
    rng = np.random.default_rng(0)
    pts = gpd.GeoDataFrame(geometry=shapely.points(rng.uniform([X0 - 3000, Y0 - 5000], [X0 + 9000, Y0 + 3000],
                                                               (300, 2))), crs=CRS)
    _assert_same(net, pts, 1e9)
    _assert_same(net, pts, 500.0)


def test_snap_cache_hit_same_result():
    net = _grid(7, 8, 20.0, 30.0)
    pts = _points(net, 7)
    first = net._snap(pts, 40.0)
    hits = net._lazy.get("snap_cache_hits", 0)
    first.seg[:] = -5  # a caller changing its arrays does not change the cache
    again = net._snap(pts.set_index(pts.index + 100), 40.0)
    assert net._lazy["snap_cache_hits"] == hits + 1
    ref = net._snap(pts, 40.0, _exact=True)
    np.testing.assert_array_equal(again.seg, ref.seg)
    np.testing.assert_allclose(again.t, ref.t, atol=1e-9, equal_nan=True)
    assert list(again.labels) == list(pts.index + 100)
    # another max_snap_m or moved points miss the cache
    net._snap(pts, 41.0)
    moved = pts.copy()
    moved.geometry = moved.geometry.translate(0.5, 0.0)
    net._snap(moved, 40.0)
    assert net._lazy["snap_cache_hits"] == hits + 1
    # bounded: old layers drop out
    for dx in range(10):
        net._snap(pts.set_geometry(pts.geometry.translate(dx + 1.0, 0.0)), 40.0)
    assert len(net._lazy["snap_cache"]) == 8
    net._snap(pts, 40.0)
    assert net._lazy["snap_cache_hits"] == hits + 1
