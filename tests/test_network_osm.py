"""Network.from_osm on real OSM XML, XML.bz2 and PBF files written with pyosmium."""

from __future__ import annotations

import bz2

import geopandas as gpd
import numpy as np
import osmium
import pytest
from osmium.osm.mutable import Node, Way
from shapely import Point, box

from mzgeo import CRSError, InputError, NetworkError, settings
from mzgeo.network import Network

# node id -> (lon, lat), near Huzhou (GK zone EPSG:4549)
NODES = {
    1: (120.080, 30.890), 2: (120.085, 30.890), 3: (120.090, 30.890), 4: (120.095, 30.890),
    5: (120.100, 30.890), 6: (120.085, 30.895), 7: (120.110, 30.890), 8: (120.100, 30.880),
    9: (120.080, 30.880), 10: (120.081, 30.881), 11: (120.082, 30.881), 12: (120.082, 30.882),
}
WAYS = [
    (1, [1, 2, 3], {"highway": "residential", "name": "凤凰路"}),
    (2, [3, 4, 5], {"highway": "primary", "oneway": "yes", "maxspeed": "60", "name": "人民路"}),
    (3, [2, 6], {"highway": "footway"}),
    (4, [5, 7], {"highway": "motorway", "oneway": "yes"}),
    (5, [5, 8, 9, 1], {"highway": "residential", "name": "环路"}),
    (6, [10, 11, 12, 10], {"building": "yes"}),
    (7, [3, 8], {"highway": "service", "access": "private"}),
]


def write_osm(path):
    w = osmium.SimpleWriter(str(path))
    try:
        for nid, loc in NODES.items():
            w.add_node(Node(id=nid, location=loc, tags={}))
        for wid, nodes, tags in WAYS:
            w.add_way(Way(id=wid, nodes=nodes, tags=tags))
    finally:
        w.close()
    return path


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("osm")
    xml = write_osm(d / "huzhou.osm")
    pbf = write_osm(d / "huzhou.osm.pbf")
    bz = d / "huzhou.osm.bz2"
    bz.write_bytes(bz2.compress(xml.read_bytes()))
    return {"xml": xml, "pbf": pbf, "bz2": bz}


def lonlat(*xy, names=None):
    return gpd.GeoDataFrame({"name": names} if names else {}, geometry=[Point(p) for p in xy], crs=4326)


def summary(net):
    e = net.edges
    return (net.n_nodes, net.n_edges, sorted(e["road_class"]), round(float(e["length_m"].sum()), 3),
            round(float(e["seconds"].sum()), 3))


@pytest.mark.parametrize("kind", ["xml", "pbf", "bz2"])
def test_walk_network(files, kind):
    net = Network.from_osm(files[kind], mode="walk", cache=False)
    assert net.crs.to_epsg() == 4549
    classes = set(net.edges["road_class"])
    assert classes == {"residential", "primary", "footway"}  # no motorway, no private service, no building
    assert net.n_nodes == 5  # 1, 2, 3, 5, 6 (4, 8 and 9 are pseudo-nodes inside ways)
    # every way both ways at 1 m/s
    e = net.edges
    assert np.allclose(e["seconds"], e["length_m"] / settings.walk_speed_mps)
    assert net.params["reader"] == ("pbf" if kind == "pbf" else "xml")


@pytest.mark.parametrize("kind", ["xml", "pbf"])
def test_drive_network(files, kind):
    net = Network.from_osm(files[kind], mode="drive", cache=False)
    e = net.edges
    assert set(e["road_class"]) == {"residential", "primary", "motorway"}
    prim = e[e["road_class"] == "primary"]
    assert len(prim) == 1  # one-way
    assert prim["seconds"].iloc[0] == pytest.approx(prim["length_m"].iloc[0] / (60 / 3.6))  # maxspeed tag
    res = e[e["road_class"] == "residential"]
    assert np.allclose(res["seconds"], res["length_m"] / (30 / 3.6))  # table, not imputed from maxspeed
    # oneway: from node 3 to 5 on 人民路 only eastwards
    west, east = lonlat((120.086, 30.890)), lonlat((120.0995, 30.890))
    t_east = net.nearest(east, west)["minutes"].iloc[0]
    t_west = net.nearest(west, east)["minutes"].iloc[0]
    assert t_east < t_west


def test_xml_and_pbf_give_the_same_network(files):
    for mode in ("walk", "drive"):
        a = Network.from_osm(files["xml"], mode=mode, cache=False)
        b = Network.from_osm(files["pbf"], mode=mode, cache=False)
        assert summary(a) == summary(b)
        d = lonlat((120.0812, 30.8903), (120.0999, 30.8841))
        f = lonlat((120.0931, 30.8897))
        np.testing.assert_allclose(a.nearest(f, d)["minutes"], b.nearest(f, d)["minutes"], atol=1e-9)


@pytest.mark.parametrize("kind", ["xml", "pbf"])
def test_clip_polygon(files, kind):
    # keep the western part only (lon < 120.092): 凤凰路 and the footway
    poly = box(120.07, 30.885, 120.092, 30.9)
    net = Network.from_osm(files[kind], mode="walk", polygon=poly, cache=False)
    assert set(net.edges["road_class"]) == {"residential", "footway"}
    assert net.n_nodes == 4
    gk = gpd.GeoDataFrame(geometry=[poly], crs=4326).to_crs(4549)
    net2 = Network.from_osm(files[kind], mode="walk", polygon=gk, cache=False)
    assert summary(net2) == summary(net)
    with pytest.raises(CRSError):
        Network.from_osm(files[kind], polygon=box(0, 0, 1000, 1000), cache=False)
    with pytest.raises(NetworkError, match="裁剪"):
        Network.from_osm(files[kind], polygon=box(10, 10, 11, 11), cache=False)


def test_speed_override_and_errors(files, tmp_path):
    net = Network.from_osm(files["pbf"], mode="drive", speeds_kph={"residential": 15}, cache=False)
    res = net.edges[net.edges["road_class"] == "residential"]
    assert np.allclose(res["seconds"], res["length_m"] / (15 / 3.6))
    with pytest.raises(InputError):
        Network.from_osm(tmp_path / "missing.osm.pbf", cache=False)
    (tmp_path / "roads.geojson").write_text("{}")
    with pytest.raises(InputError):
        Network.from_osm(tmp_path / "roads.geojson", cache=False)
    with pytest.raises(NetworkError, match="mode"):
        Network.from_osm(files["pbf"], mode="fly", cache=False)


def test_snap_names_from_osm(files):
    net = Network.from_osm(files["pbf"], mode="walk", cache=False)
    s = net.snap(lonlat((120.0871, 30.8902)))
    assert s["status"].iloc[0] == "ok"
    assert net.edges.loc[s["edge"].iloc[0], "name"] == "凤凰路"
