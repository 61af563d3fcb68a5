"""Property tests: travel times equal networkx's Dijkstra on random directed graphs.

Nodes sit on a circle, so every edge is a chord that passes through no other node. A
Hamiltonian cycle keeps the graph strongly connected (every point snaps to the main
component). Points lie exactly on edges at random positions, including several on one
edge; the expected times come from networkx on the graph with those edges split at the
points, which checks the partial edges and the same-edge shortcut.
"""

from __future__ import annotations

import math
from collections import defaultdict

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import Point

from mzgeo import settings as mz_settings
from mzgeo.network import Network

CRS = 4549
R = 1000.0
CX, CY = 500000.0, 3400000.0
TOL_S = 1e-6


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(mz_settings, "cache_folder", tmp_path / "cache")


def _xy(i, n):
    # irregular angles: no three chords meet at one point (a regular polygon's diameters all
    # cross at the centre, where a point would lie on several roads at once)
    a = 2 * math.pi * i / n + 0.3 * math.sqrt(i + 2) / n
    return CX + R * math.cos(a), CY + R * math.sin(a)


@st.composite
def graphs(draw, integer=False):
    n = draw(st.integers(3, 9))
    weight = st.integers(0, 40).map(float) if integer else st.floats(0.0, 100.0, allow_nan=False)
    edges = [(i, (i + 1) % n, draw(weight)) for i in range(n)]  # keeps it strongly connected
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), weight), max_size=2 * n))
    edges += [(a, b, w) for a, b, w in extra if a != b]
    multi = draw(st.booleans())
    G = nx.MultiDiGraph(crs=f"EPSG:{CRS}") if multi else nx.DiGraph(crs=f"EPSG:{CRS}")
    for i in range(n):
        x, y = _xy(i, n)
        G.add_node(i, x=x, y=y)
    for a, b, w in edges:
        G.add_edge(a, b, travel_time=w)
    # points: (edge number, fraction along it); fraction 0/1 puts the point on a node
    frac = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.01, 0.99))
    k_edges = len(list(G.edges))
    n_fac = draw(st.integers(1, 4))
    n_dem = draw(st.integers(1, 8))
    fac = draw(st.lists(st.tuples(st.integers(0, k_edges - 1), frac), min_size=n_fac, max_size=n_fac))
    dem = draw(st.lists(st.tuples(st.integers(0, k_edges - 1), frac), min_size=n_dem, max_size=n_dem))
    return G, fac, dem


def _point_layers(G, fac, dem):
    e = list(G.edges(keys=True)) if G.is_multigraph() else list(G.edges())
    coords = {}

    def place(spec):
        out = []
        for k, f in spec:
            a, b = e[k][0], e[k][1]
            xa, ya = G.nodes[a]["x"], G.nodes[a]["y"]
            xb, yb = G.nodes[b]["x"], G.nodes[b]["y"]
            out.append((xa + f * (xb - xa), ya + f * (yb - ya)))
        return out

    coords["fac"] = place(fac)
    coords["dem"] = place(dem)
    fgdf = gpd.GeoDataFrame(geometry=[Point(p) for p in coords["fac"]], crs=CRS)
    dgdf = gpd.GeoDataFrame(geometry=[Point(p) for p in coords["dem"]], crs=CRS)
    return fgdf, dgdf


def _split_graph(G, fac, dem):
    """networkx DiGraph with every edge split at the points lying on it (any parallel copy)."""
    # group directed edges by their unordered node pair: points on a chord are on every edge
    # along that chord (both directions and parallel copies)
    pair_w = defaultdict(list)  # (a, b) ordered -> weights
    for a, b, d in G.edges(data=True):
        pair_w[(a, b)].append(d["travel_time"])
    e = list(G.edges(keys=True)) if G.is_multigraph() else list(G.edges())
    on_chord = defaultdict(list)  # frozenset(a, b) -> [(t from min node, point node)]
    names = {}
    for role, spec in (("f", fac), ("d", dem)):
        for i, (k, f) in enumerate(spec):
            a, b = e[k][0], e[k][1]
            lo, hi = min(a, b), max(a, b)
            t = f if a == lo else 1.0 - f
            node = (role, i)
            names[node] = (lo, hi, t)
            on_chord[(lo, hi)].append((t, node))
    H = nx.DiGraph()
    H.add_nodes_from(G.nodes)
    for (a, b), ws in pair_w.items():
        w = min(ws)
        lo, hi = min(a, b), max(a, b)
        stops = sorted(on_chord.get((lo, hi), []), key=lambda s: s[0])
        chain = [(0.0, lo), *stops, (1.0, hi)]
        if a != lo:
            chain = [(1.0 - t, n) for t, n in reversed(chain)]
        for (t0, n0), (t1, n1) in zip(chain[:-1], chain[1:], strict=True):
            piece = (t1 - t0) * w
            if not H.has_edge(n0, n1) or H[n0][n1]["w"] > piece:
                H.add_edge(n0, n1, w=piece)
    for stops in on_chord.values():  # points at the same place are one place
        for t0, n0 in stops:
            for t1, n1 in stops:
                # fractions 1e-16 apart give the same coordinates (0.99 and 0.9899999999999999):
                # mzgeo sees only coordinates, so the reference treats them as one place too
                if n0 != n1 and abs(t0 - t1) <= 1e-12:
                    H.add_edge(n0, n1, w=0.0)
    for node, (lo, hi, t) in names.items():
        # a point at a fraction 0 or 1 is the node itself
        if t in (0.0, 1.0):
            end = lo if t == 0.0 else hi
            H.add_edge(node, end, w=0.0)
            H.add_edge(end, node, w=0.0)
    return H


def _expected_nearest(H, n_fac, n_dem):
    Hr = H.reverse(copy=True)
    dist = nx.multi_source_dijkstra_path_length(Hr, {("f", i) for i in range(n_fac)}, weight="w")
    return np.array([dist.get(("d", j), np.inf) for j in range(n_dem)])


@pytest.mark.slow
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_nearest_equals_networkx(case):
    G, fac, dem = case
    net = Network.from_networkx(G)
    fgdf, dgdf = _point_layers(G, fac, dem)
    got = net.nearest(fgdf, dgdf, max_snap_m=1.0)
    assert (got["status"] == "ok").all()
    H = _split_graph(G, fac, dem)
    want = _expected_nearest(H, len(fac), len(dem))
    np.testing.assert_allclose(got["minutes"].to_numpy() * 60.0, want, rtol=0, atol=TOL_S)
    # the facility named is one at that time
    Hr = H.reverse(copy=True)
    for j, lab in enumerate(got["facility"]):
        d = nx.single_source_dijkstra_path_length(Hr, ("f", int(lab)), weight="w")
        assert d[("d", j)] == pytest.approx(want[j], abs=TOL_S)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(integer=True), st.integers(1, 60))
def test_od_equals_networkx(case, cutoff_s):
    G, fac, dem = case
    # integer weights and fractions 0/1 keep sums exact, so the cutoff boundary is exact too
    fac = [(k, float(round(f))) for k, f in fac]
    dem = [(k, float(round(f))) for k, f in dem]
    net = Network.from_networkx(G)
    fgdf, dgdf = _point_layers(G, fac, dem)
    od = net.od(fgdf, dgdf, cutoff_minutes=cutoff_s / 60.0, max_snap_m=1.0)
    H = _split_graph(G, fac, dem)
    Hr = H.reverse(copy=True)
    want = {}
    for i in range(len(fac)):
        d = nx.single_source_dijkstra_path_length(Hr, ("f", i), cutoff=cutoff_s, weight="w")
        for j in range(len(dem)):
            if ("d", j) in d:
                want[(j, i)] = d[("d", j)]
    got = {(int(o), int(d)): m * 60.0 for o, d, m in od.table.itertuples(index=False)}
    assert set(got) == set(want)
    for key, val in want.items():
        assert got[key] == pytest.approx(val, abs=TOL_S)
    coo = od.matrix.tocoo()
    assert {(int(r), int(c)) for r, c in zip(coo.row, coo.col, strict=True)} == set(want)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_node_nearest_equals_networkx_on_nodes(case):
    G, _, _ = case
    net = Network.from_networkx(G)
    n = G.number_of_nodes()
    fac_nodes = sorted({0, n // 2})
    fgdf = gpd.GeoDataFrame(geometry=[Point(_xy(i, n)) for i in fac_nodes], crs=CRS, index=fac_nodes)
    got = net.node_nearest(fgdf, max_snap_m=1.0)
    want = nx.multi_source_dijkstra_path_length(G.reverse(copy=True), set(fac_nodes), weight="travel_time")
    # map mzgeo nodes back to graph nodes by their coordinates
    xy = net.nodes[["x", "y"]].to_numpy()
    for node, secs in want.items():
        x, y = _xy(node, n)
        k = int(np.argmin(np.hypot(xy[:, 0] - x, xy[:, 1] - y)))
        assert got["minutes"].iloc[k] * 60 == pytest.approx(secs, abs=TOL_S)
