"""Network.from_networkx on a graph mixing edges with and without geometry.

Parallel edges, one-way and two-way pairs (the reverse edge carrying the reversed geometry),
a self loop: travel times between all nodes equal networkx's Dijkstra on the same graph, and
two-way pairs become one segment each.
"""

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely import LineString, Point

from mzgeo.network import Network

CRS = 4549
XY = {0: (500_000.0, 3_400_000.0), 1: (500_400.0, 3_400_000.0), 2: (500_400.0, 3_400_300.0),
      3: (500_000.0, 3_400_300.0)}


def _graph():
    G = nx.MultiDiGraph(crs=f"EPSG:{CRS}")
    for n, (x, y) in XY.items():
        G.add_node(n, x=x, y=y)
    bend = LineString([XY[0], (500_200.0, 3_399_900.0), XY[1]])
    G.add_edge(0, 1, travel_time=50.0, geometry=bend)
    G.add_edge(1, 0, travel_time=55.0, geometry=bend.reverse())  # two-way pair, reversed geometry
    G.add_edge(1, 2, travel_time=30.0)  # one-way, no geometry
    G.add_edge(2, 3, travel_time=40.0)  # two-way, straight
    G.add_edge(3, 2, travel_time=45.0)
    G.add_edge(2, 3, travel_time=25.0,  # a parallel, faster road with its own geometry (one-way)
               geometry=LineString([XY[2], (500_200.0, 3_400_500.0), XY[3]]))
    G.add_edge(3, 0, travel_time=35.0, geometry=LineString([XY[3], (499_900.0, 3_400_150.0), XY[0]]))
    G.add_edge(3, 3, travel_time=10.0,  # a self loop
               geometry=LineString([XY[3], (499_950.0, 3_400_350.0), (500_050.0, 3_400_350.0), XY[3]]))
    return G


def test_from_networkx_mixed_geometry_equals_networkx():
    G = _graph()
    net = Network.from_networkx(G)
    # one segment per two-way pair: bend 0-1, straight 2-3; one each for 1->2, the parallel 2->3,
    # 3->0 and the loop
    assert net.n_segments == 6
    assert net.n_edges == 8
    nodes = gpd.GeoDataFrame(geometry=[Point(XY[n]) for n in sorted(XY)], index=sorted(XY), crs=CRS)
    for src in sorted(XY):
        od = net.od(nodes.loc[[src]], nodes, cutoff_minutes=60, max_snap_m=1.0)
        got = {int(o): m * 60.0 for o, m in zip(od.table["origin"], od.table["minutes"], strict=True)}
        # od: from each demand node (origin) to the facility: networkx on the reversed graph
        want = nx.single_source_dijkstra_path_length(G.reverse(copy=True), src, weight="travel_time")
        assert set(got) == set(want)
        for k, v in want.items():
            assert got[k] == pytest.approx(v, abs=1e-9)


def test_from_networkx_keeps_geometries():
    net = Network.from_networkx(_graph())
    edges = net.edges
    lengths = np.sort(edges.geometry.length.round(3).unique())
    # the bend (2 x 223.607 m), the straight roads (300, 400), the parallel bend (2 x 282.843),
    # the 3->0 bend (2 x 180.278) and the loop (3 pieces)
    assert 447.214 in lengths and 565.685 in lengths and 360.555 in lengths
    assert 300.0 in lengths and 400.0 in lengths
