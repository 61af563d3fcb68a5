"""The one CRS policy in the network builders, and od in the order of nearest."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

import mzgeo
from mzgeo.network import Network


@pytest.fixture(scope="module")
def near():
    """A 10 km square of the demo county around its first nursing institution (EPSG:4549)."""
    demo = mzgeo.load_demo()
    p = demo.institutions.geometry.iloc[0]
    return {k: demo[k].cx[p.x - 5000:p.x + 5000, p.y - 5000:p.y + 5000] for k in ("roads", "institutions", "villages")}


def test_from_lines_wgs84_gives_the_figures_of_epsg4549(near):
    metric = Network.from_lines(near["roads"], mode="drive", cache=False)
    lonlat = Network.from_lines(near["roads"].to_crs(4326), mode="drive", cache=False)
    assert lonlat.crs.to_epsg() == 4549 == metric.crs.to_epsg()
    assert (lonlat.n_nodes, lonlat.n_segments) == (metric.n_nodes, metric.n_segments)
    a = metric.nearest(near["institutions"], near["villages"])
    # facilities and villages in lon/lat too: they are projected to the network's CRS
    b = lonlat.nearest(near["institutions"].to_crs(4326), near["villages"].to_crs(4326))
    assert (a["facility"] == b["facility"]).all()
    np.testing.assert_allclose(b["minutes"], a["minutes"], atol=1e-6)  # round trip to lon/lat: < 1 mm


def test_from_networkx_wgs84_gives_the_figures_of_epsg4549(near):
    edges = near["roads"].geometry.values[:200]
    xy = shapely.get_coordinates(edges)
    graphs = {}
    for crs in (4549, 4326):
        pts = gpd.GeoSeries(shapely.points(xy), crs=4549).to_crs(crs)
        G = nx.Graph(crs=crs)
        for i, p in enumerate(pts):
            G.add_node(i, x=p.x, y=p.y)
        G.add_edges_from((i, i + 1) for i in range(len(xy) - 1))
        graphs[crs] = Network.from_networkx(G, weight=None, mode="walk")
    assert graphs[4326].crs.to_epsg() == 4549
    np.testing.assert_allclose(graphs[4326].edges["length_m"], graphs[4549].edges["length_m"], atol=1e-6)


def test_od_takes_facilities_then_demand_like_nearest(near):
    net = Network.from_lines(near["roads"], mode="drive", cache=False)
    fac, dem = near["institutions"], near["villages"]
    od = net.od(fac, dem, cutoff_minutes=np.inf)
    assert od.matrix.shape == (len(dem), len(fac))
    assert list(od.origins) == list(dem.index) and list(od.destinations) == list(fac.index)
    best = od.table.sort_values("minutes").groupby("origin").first()
    ref = net.nearest(fac, dem)
    np.testing.assert_allclose(best["minutes"], ref.loc[best.index, "minutes"], atol=1e-9)
    assert (best["destination"].to_numpy() == ref.loc[best.index, "facility"].to_numpy()).all()
    with pytest.raises(TypeError):
        net.od(fac, dem, 10)  # the cutoff is keyword-only
