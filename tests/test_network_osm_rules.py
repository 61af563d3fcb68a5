"""OSM rules on real OSM files: closed two-way ways, missing nodes, one-way and access tags.

Every file is written as OSM XML by hand and converted to PBF with pyosmium; minutes are
checked against an independent reference: networkx on the graph of every consecutive
node pair of every way (all vertices are nodes there), built by this file's own reading of
the XML with ElementTree and its own statement of the tag rules.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from itertools import pairwise
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pyproj
import pytest
from shapely import LineString, Point

from mzgeo import settings
from mzgeo.network import Network

GK = pyproj.Transformer.from_crs(4326, 4549, always_xy=True)
LON0, LAT0 = 120.08, 30.89
STEP = 0.001  # degrees (about 96 m east, 111 m north)


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")


# --- writing files -----------------------------------------------------------------------


def grid(nodes: dict[int, tuple[float, float]]) -> dict[int, tuple[float, float]]:
    """Node id -> lon/lat from grid positions (i east, j north)."""
    return {n: (round(LON0 + i * STEP, 7), round(LAT0 + j * STEP, 7)) for n, (i, j) in nodes.items()}


def write_xml(path, nodes, ways):
    """Hand-written OSM XML: nodes {id: (lon, lat)}, ways [(id, [node ids], {tags})]."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f'  <node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def to_pbf(xml_path, pbf_path):
    """The same data as PBF, written by pyosmium from the parsed XML."""
    w = osmium.SimpleWriter(str(pbf_path))
    try:
        for obj in osmium.FileProcessor(str(xml_path)):
            w.add(obj)
    finally:
        w.close()
    return pbf_path


def both_files(tmp_path, nodes, ways, name="t"):
    xml = write_xml(tmp_path / f"{name}.osm", nodes, ways)
    return {"xml": xml, "pbf": to_pbf(xml, tmp_path / f"{name}.osm.pbf")}


# --- the independent reference -----------------------------------------------------------

REF_DRIVE = {"residential", "service", "primary", "tertiary", "motorway", "motorway_link", "trunk"}


def ref_direction(tags: dict, mode: str) -> str:
    """This test's own statement of the one-way rules (drive), 'both' in walk."""
    if mode == "walk":
        return "both"
    ow = tags.get("oneway", "")
    if ow in ("yes", "true", "1"):
        return "forward"
    if ow in ("-1", "reverse"):
        return "backward"
    if ow == "reversible":
        return "none"
    if ow in ("no", "false", "0"):
        return "both"
    if tags.get("junction") in ("roundabout", "circular") or tags.get("highway") in ("motorway", "motorway_link"):
        return "forward"
    return "both"


def reference_graph(xml_path, mode: str) -> nx.DiGraph:
    """DiGraph over all OSM nodes (seconds), every consecutive node pair of every way an edge."""
    root = ET.parse(xml_path).getroot()
    loc = {int(n.get("id")): GK.transform(float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    G = nx.DiGraph()
    for w in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in w.iter("tag")}
        hw = tags.get("highway")
        if hw is None or (mode == "drive" and hw not in REF_DRIVE):
            continue
        if mode == "walk" and hw in ("motorway", "motorway_link") and "sidewalk" not in tags:
            continue
        direction = ref_direction(tags, mode)
        speed = settings.walk_speed_mps if mode == "walk" else settings.drive_speed_kph[hw] / 3.6
        refs = [int(nd.get("ref")) for nd in w.iter("nd")]
        for a, b in pairwise(refs):
            if a not in loc or b not in loc:  # missing node: the way is cut there
                continue
            sec = math.dist(loc[a], loc[b]) / speed
            pairs = {"forward": [(a, b)], "backward": [(b, a)], "both": [(a, b), (b, a)], "none": []}[direction]
            for p, q in pairs:
                if not G.has_edge(p, q) or G[p][q]["s"] > sec:
                    G.add_edge(p, q, s=sec)
    return G


def ref_minutes(G, frm: int, to: int) -> float:
    return nx.shortest_path_length(G, frm, to, weight="s") / 60.0


def at_nodes(nodes, ids):
    """Points exactly at OSM nodes (lon/lat)."""
    return gpd.GeoDataFrame(geometry=[Point(nodes[i]) for i in ids], crs=4326, index=list(ids))


def mz_minutes(net, nodes, frm: list[int], to: int) -> np.ndarray:
    with np.errstate(all="ignore"):
        return net.nearest(at_nodes(nodes, [to]), at_nodes(nodes, frm))["minutes"].to_numpy()


# --- 1. closed two-way ways --------------------------------------------------------------

# a residential road 1-2-3 (west-east) and, hanging from node 3:
#   ring: closed service way 3-10-11-12-13-3 (two-way loop)
#   lollipop: one way 3-20-21-22-23-21 (a stick 3-20-21, then a loop back to 21)
#   figure-eight: one closed way 30-31-32-30-33-34-30 attached at 31 by a road 3-31
RING_NODES = grid({
    1: (0, 0), 2: (2, 0), 3: (4, 0),
    10: (4.3, 0.5), 11: (6, 1), 12: (6, 3), 13: (4, 3),
    20: (4, -1), 21: (4, -2), 22: (6, -3), 23: (3, -4),
})
RING_WAYS = [
    (1, [1, 2, 3], {"highway": "residential"}),
    (2, [3, 10, 11, 12, 13, 3], {"highway": "service"}),
    (3, [3, 20, 21, 22, 23, 21], {"highway": "residential"}),
]
EIGHT_NODES = grid({
    1: (0, 0), 3: (4, 0), 30: (8, 0), 31: (6, 1), 32: (8, 2), 33: (10, -1), 34: (11, 1),
})
EIGHT_WAYS = [
    (1, [1, 3], {"highway": "residential"}),
    (2, [3, 31], {"highway": "residential"}),
    (3, [30, 31, 32, 30, 33, 34, 30], {"highway": "residential"}),
]


@pytest.mark.parametrize("kind", ["xml", "pbf"])
@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_two_way_rings_lollipops_leave_both_ways(tmp_path, kind, mode):
    f = both_files(tmp_path, RING_NODES, RING_WAYS)
    net = Network.from_osm(f[kind], mode=mode, cache=False)
    G = reference_graph(f["xml"], mode)
    frm = [10, 11, 12, 13, 20, 22, 23]
    got = mz_minutes(net, RING_NODES, frm, 1)
    want = [ref_minutes(G, n, 1) for n in frm]
    np.testing.assert_allclose(got, want, rtol=1e-9)
    # node 10 sits just after the junction: it leaves the ring backwards, not all the way round
    ring = [math.dist(GK.transform(*RING_NODES[a]), GK.transform(*RING_NODES[b]))
            for a, b in pairwise([3, 10, 11, 12, 13, 3])]
    assert ring[0] < 0.2 * sum(ring)
    # and the facility on the ring is reached from either side the short way
    got_back = mz_minutes(net, RING_NODES, [1, 20], 13)
    np.testing.assert_allclose(got_back, [ref_minutes(G, 1, 13), ref_minutes(G, 20, 13)], rtol=1e-9)
    # the loop is one two-way segment (two directed edges), not two one-way copies
    e = net.edges
    loops = e[e["u"] == e["v"]]
    assert len(loops) == 4 and loops["segment"].nunique() == 2


@pytest.mark.parametrize("kind", ["xml", "pbf"])
@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_figure_eight(tmp_path, kind, mode):
    f = both_files(tmp_path, EIGHT_NODES, EIGHT_WAYS)
    net = Network.from_osm(f[kind], mode=mode, cache=False)
    G = reference_graph(f["xml"], mode)
    frm = [32, 33, 34, 30]
    np.testing.assert_allclose(mz_minutes(net, EIGHT_NODES, frm, 1), [ref_minutes(G, n, 1) for n in frm], rtol=1e-9)
    np.testing.assert_allclose(mz_minutes(net, EIGHT_NODES, [1], 34), [ref_minutes(G, 1, 34)], rtol=1e-9)


@pytest.mark.parametrize("kind", ["xml", "pbf"])
def test_roundabout_ring_stays_one_way(tmp_path, kind):
    ways = [RING_WAYS[0], (2, [3, 10, 11, 12, 13, 3], {"highway": "tertiary", "junction": "roundabout"})]
    f = both_files(tmp_path, RING_NODES, ways)
    net = Network.from_osm(f[kind], mode="drive", cache=False)
    G = reference_graph(f["xml"], "drive")
    assert not G.has_edge(10, 3)
    frm = [10, 11, 12, 13]
    np.testing.assert_allclose(mz_minutes(net, RING_NODES, frm, 1), [ref_minutes(G, n, 1) for n in frm], rtol=1e-9)
    # from 10 (just past the entry) the car must go all the way round
    assert mz_minutes(net, RING_NODES, [10], 1)[0] > mz_minutes(net, RING_NODES, [13], 1)[0]
    e = net.edges
    assert len(e[e["u"] == e["v"]]) == 1


def _ring_graph(two_way: bool) -> nx.MultiDiGraph:
    """OSMnx-style graph: a road 0-1 and a ring at node 1 drawn as a self-loop with a geometry."""
    G = nx.MultiDiGraph(crs="EPSG:4549")
    G.add_node(0, x=0.0, y=0.0)
    G.add_node(1, x=1000.0, y=0.0)
    ring = LineString([(1000, 0), (1000, 100), (1400, 100), (1400, -100), (1000, -100), (1000, 0)])
    for a, b in ((0, 1), (1, 0)):
        G.add_edge(a, b, highway="residential", length=1000.0,
                   geometry=LineString([(G.nodes[a]["x"], 0), (G.nodes[b]["x"], 0)]))
    G.add_edge(1, 1, highway="service", length=ring.length, geometry=ring)
    if two_way:
        G.add_edge(1, 1, highway="service", length=ring.length, geometry=ring.reverse())
    return G


def test_from_networkx_two_way_self_loop():
    # ring 1200 m: 100 up, 400 east, 200 down, 400 west, 100 up; a point at (1000, 50) is 50 m
    # from node 1 forwards and 1150 m backwards
    dem = gpd.GeoDataFrame(geometry=[Point(1000, 50), Point(1000, -50)], crs=4549)
    fac = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=4549)
    road_s = 1000 / (30 / 3.6)
    svc = 20 / 3.6
    two = Network.from_networkx(_ring_graph(True), weight=None, mode="drive")
    np.testing.assert_allclose(two.nearest(fac, dem)["minutes"] * 60, [50 / svc + road_s, 50 / svc + road_s])
    one = Network.from_networkx(_ring_graph(False), weight=None, mode="drive")
    # one-way ring drawn up first: (1000, 50) must go round (1150 m), (1000, -50) leaves after 50 m
    np.testing.assert_allclose(one.nearest(fac, dem)["minutes"] * 60, [1150 / svc + road_s, 50 / svc + road_s])
    # the seconds-weighted path (weight=) pairs the loop the same way
    G = _ring_graph(True)
    for _, _, d in G.edges(data=True):
        d["travel_time"] = d["length"] / 10.0
    w = Network.from_networkx(G)
    np.testing.assert_allclose(w.nearest(fac, dem)["minutes"] * 60, [5 + 100, 5 + 100])


# --- 2. ways referencing nodes missing from the file -------------------------------------

CLIP_NODES = grid({1: (0, 0), 2: (2, 0), 4: (6, 0), 5: (8, 0), 6: (2, 2), 7: (6, 2), 8: (4, 4)})
CLIP_WAYS = [
    # 3 and 9 are outside the extract (clipped away)
    (1, [1, 2, 3, 4, 5], {"highway": "residential", "name": "切断路"}),
    (2, [2, 6, 8, 7, 4], {"highway": "residential", "name": "绕行路"}),
    (3, [9, 5], {"highway": "residential", "name": "残段"}),
]


@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_missing_nodes_cut_ways_in_both_readers(tmp_path, mode):
    f = both_files(tmp_path, CLIP_NODES, CLIP_WAYS)
    G = reference_graph(f["xml"], mode)
    nets = {k: Network.from_osm(f[k], mode=mode, cache=False) for k in ("xml", "pbf")}
    for net in nets.values():
        # 1 -> 5 cannot use the missing node 3: it goes round by 6-8-7
        np.testing.assert_allclose(mz_minutes(net, CLIP_NODES, [1, 6], 5),
                                   [ref_minutes(G, 1, 5), ref_minutes(G, 6, 5)], rtol=1e-9)
        rep = net.build_report
        # beside node 3 (nodes 2 and 4) and beside node 9 (node 5: 残段 keeps one node, no road)
        assert (rep["kind"] == "cut_at_missing_node").sum() == 3
        assert net.params["build_fixes"]["cut_at_missing_node"] == 3
        xy = np.column_stack(GK.transform(*np.array([CLIP_NODES[2], CLIP_NODES[4], CLIP_NODES[5]]).T))
        np.testing.assert_allclose(np.sort(rep[["x", "y"]].to_numpy(), axis=0), np.sort(xy, axis=0), atol=1e-6)
        assert "残段" not in set(net.edges["name"])
    assert edge_table(nets["xml"]) == edge_table(nets["pbf"])


def test_negative_ids_of_editor_files(tmp_path):
    # JOSM saves new objects with negative ids
    nodes = {-1: (120.080, 30.890), -2: (120.090, 30.890), 3: (120.090, 30.900)}
    xml = write_xml(tmp_path / "josm.osm", nodes, [(-5, [-1, -2, 3], {"highway": "residential"})])
    net = Network.from_osm(xml, mode="walk", cache=False)
    assert net.n_segments == 1
    G = reference_graph(xml, "walk")
    np.testing.assert_allclose(mz_minutes(net, nodes, [-1], 3), [ref_minutes(G, -1, 3)], rtol=1e-9)


def test_unreadable_osm_file_is_an_input_error(tmp_path):
    from mzgeo import InputError

    bad = tmp_path / "broken.osm"
    bad.write_text('<?xml version="1.0"?><osm version="0.6"><node id="1" lat="30" lon="120">', encoding="utf-8")
    with pytest.raises(InputError, match="broken.osm"):
        Network.from_osm(bad, cache=False)


# --- 3. one table of one-way rules -------------------------------------------------------

ONEWAY_CASES = [  # (tags, expected directions in drive)
    ({"highway": "residential", "oneway": "yes"}, "forward"),
    ({"highway": "residential", "oneway": "true"}, "forward"),
    ({"highway": "residential", "oneway": "1"}, "forward"),
    ({"highway": "residential", "oneway": "-1"}, "backward"),
    ({"highway": "residential", "oneway": "reverse"}, "backward"),
    ({"highway": "residential", "oneway": "reversible"}, "none"),
    ({"highway": "residential", "oneway": "no"}, "both"),
    ({"highway": "residential"}, "both"),
    ({"highway": "primary", "junction": "roundabout"}, "forward"),
    ({"highway": "primary", "junction": "circular"}, "forward"),
    ({"highway": "primary", "junction": "roundabout", "oneway": "no"}, "both"),
    ({"highway": "motorway"}, "forward"),
    ({"highway": "motorway", "oneway": "no"}, "both"),
    ({"highway": "motorway", "oneway": "-1"}, "backward"),
    ({"highway": "motorway_link"}, "forward"),
    ({"highway": "trunk"}, "both"),
]


def oneway_files(tmp_path):
    """One separate straight west-east way per case (way i on row i)."""
    nodes, ways = {}, []
    for i, (tags, _) in enumerate(ONEWAY_CASES):
        nodes[2 * i + 1] = (LON0, LAT0 + 3 * i * STEP)
        nodes[2 * i + 2] = (LON0 + 2 * STEP, LAT0 + 3 * i * STEP)
        ways.append((i + 1, [2 * i + 1, 2 * i + 2], {**tags, "name": f"w{i}"}))
    return nodes, both_files(tmp_path, nodes, ways, "oneway")


def directions(net, nodes) -> dict[str, str]:
    """Per way name: 'forward', 'backward' or 'both' (from where its edges start)."""
    e = net.edges
    start_x = e.geometry.get_coordinates().groupby(level=0)["x"].first()
    out = {}
    for name, grp in e.groupby("name"):
        if len(grp) == 2:
            out[name] = "both"
            continue
        x0 = GK.transform(*nodes[2 * int(name[1:]) + 1])[0]
        out[name] = "forward" if abs(start_x[grp.index[0]] - x0) < 1e-6 else "backward"
    return out


@pytest.mark.parametrize("kind", ["xml", "pbf"])
def test_oneway_table(tmp_path, kind):
    nodes, f = oneway_files(tmp_path)
    net = Network.from_osm(f[kind], mode="drive", cache=False)
    want = {f"w{i}": d for i, (_, d) in enumerate(ONEWAY_CASES) if d != "none"}
    assert directions(net, nodes) == want
    # the reference agrees case by case
    assert {f"w{i}": ref_direction(t, "drive") for i, (t, d) in enumerate(ONEWAY_CASES) if d != "none"} == want
    walk = Network.from_osm(f[kind], mode="walk", cache=False)
    assert walk.n_edges == 2 * (len(ONEWAY_CASES) - 4)  # both ways; motorway (3 cases) and motorway_link dropped


def edge_table(net):
    e = net.edges
    c = e.geometry.get_coordinates()
    first = c.groupby(level=0).first().round(4)
    last = c.groupby(level=0).last().round(4)
    return sorted(zip(first["x"], first["y"], last["x"], last["y"], e["length_m"].round(6), e["seconds"].round(6),
                      e["road_class"], e["name"].astype(str), strict=True))


def test_xml_and_pbf_same_edges_and_minutes(tmp_path):
    nodes = {**RING_NODES, **{k + 100: v for k, v in grid({1: (0, 5), 2: (5, 5), 3: (5, 7)}).items()}}
    ways = [
        *RING_WAYS,
        (10, [101, 102], {"highway": "primary", "oneway": "-1"}),
        (11, [102, 103, 3], {"highway": "motorway_link"}),
        (12, [101, 1], {"highway": "residential", "junction": "circular", "oneway": "no"}),
        (13, [2, 102], {"highway": "tertiary", "oneway": "reversible"}),
        (14, [2, 999, 101], {"highway": "residential"}),  # 999 missing
    ]
    f = both_files(tmp_path, nodes, ways)
    for mode in ("walk", "drive"):
        a = Network.from_osm(f["xml"], mode=mode, cache=False)
        b = Network.from_osm(f["pbf"], mode=mode, cache=False)
        assert edge_table(a) == edge_table(b)
        G = reference_graph(f["xml"], mode)
        main = max(nx.strongly_connected_components(G), key=len)  # mzgeo snaps to the main network
        assert 2 in main
        ids = [n for n in (1, 10, 12, 22, 101, 102, 103) if n in main]
        assert len(ids) >= 5
        want = [ref_minutes(G, n, 2) for n in ids]
        np.testing.assert_allclose(mz_minutes(a, nodes, ids, 2), want, rtol=1e-9)
        np.testing.assert_allclose(mz_minutes(b, nodes, ids, 2), want, rtol=1e-9)


# --- 4. access tags ----------------------------------------------------------------------

ACCESS_CASES = [  # (tags, in drive, in walk)
    ({"highway": "residential"}, True, True),
    ({"highway": "residential", "motorcar": "no"}, False, True),
    ({"highway": "residential", "vehicle": "private"}, False, True),
    ({"highway": "residential", "motor_vehicle": "no"}, False, True),
    ({"highway": "residential", "access": "no", "motor_vehicle": "destination"}, True, False),
    ({"highway": "residential", "access": "private", "motorcar": "yes"}, True, False),
    ({"highway": "residential", "vehicle": "no", "motorcar": "yes"}, True, True),
    ({"highway": "trunk"}, True, True),
    ({"highway": "trunk_link"}, True, True),
    ({"highway": "trunk", "motorroad": "yes"}, True, False),
    ({"highway": "motorway", "oneway": "no"}, True, False),
    ({"highway": "motorway", "oneway": "no", "sidewalk": "both"}, True, True),
    ({"highway": "motorway_link", "oneway": "no", "sidewalk:right": "yes"}, True, True),
    ({"highway": "trunk", "motorroad": "yes", "sidewalk": "left"}, True, True),
    ({"highway": "motorway", "oneway": "no", "foot": "yes"}, True, True),
    ({"highway": "residential", "foot": "no"}, True, False),
    ({"highway": "residential", "foot": "no", "sidewalk": "both"}, True, False),
    ({"highway": "residential", "access": "private", "foot": "designated"}, False, True),
    ({"highway": "footway"}, False, True),
    ({"highway": "footway", "sidewalk": "no"}, False, True),
]


@pytest.mark.parametrize("kind", ["xml", "pbf"])
def test_access_tags(tmp_path, kind):
    nodes, ways = {}, []
    for i, (tags, _, _) in enumerate(ACCESS_CASES):
        nodes[2 * i + 1] = (LON0, LAT0 + 3 * i * STEP)
        nodes[2 * i + 2] = (LON0 + 2 * STEP, LAT0 + 3 * i * STEP)
        ways.append((i + 1, [2 * i + 1, 2 * i + 2], {**tags, "name": f"a{i}"}))
    f = both_files(tmp_path, nodes, ways, "access")
    drive = Network.from_osm(f[kind], mode="drive", cache=False)
    walk = Network.from_osm(f[kind], mode="walk", cache=False)
    assert set(drive.edges["name"]) == {f"a{i}" for i, (_, d, _) in enumerate(ACCESS_CASES) if d}
    assert set(walk.edges["name"]) == {f"a{i}" for i, (_, _, w) in enumerate(ACCESS_CASES) if w}
