"""Section 3 of ``build_demo.py``: the synthetic road network of the Huzhou demo (示例数据（合成）).

Expressways with interchanges, national and provincial trunk routes between the county seats,
county and township roads over a Gabriel graph of the towns and villages, town street grids,
one-way streets, and the connected core kept. Imported by :func:`build_demo.build` (not at
the top of ``build_demo.py``, so that this module can import the shared helpers from it);
the output is deterministic, the same as when this code lived in ``build_demo.py``.
"""

from __future__ import annotations

import math
import time
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from build_demo import (
    COUNTIES,
    METRIC_EPSG,
    NAME_FIRST,
    NAME_SECOND,
    ROAD_SUFFIX_MAIN,
    ROAD_SUFFIX_MINOR,
    STREET_FIRST,
    catmull_rom,
    hill_weight,
    rng_for,
    round_geoms,
    sample_in,
    star_polygon,
    to_metric_xy,
)
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra, minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

#: Expressways: name → anchors (lon, lat, role); role "ic" = interchange (with a link road to
#: the nearest town), "jct" = junction with another expressway, "" = shape point.
EXPRESSWAYS: dict[str, list[tuple[float, float, str]]] = {
    "长深高速": [(119.860, 31.165, ""), (119.950, 31.040, "ic"), (120.035, 30.930, "jct"), (120.050, 30.880, "ic"),
                (120.045, 30.780, "jct"), (120.030, 30.660, ""), (120.010, 30.570, "ic"), (120.040, 30.455, "")],
    "申苏浙皖高速": [(120.470, 30.925, ""), (120.395, 30.905, "ic"), (120.250, 30.915, ""), (120.035, 30.930, "jct"),
                   (119.880, 30.985, "ic"), (119.750, 31.000, ""), (119.585, 31.020, "")],
    "申嘉湖高速": [(120.465, 30.745, ""), (120.330, 30.730, "ic"), (120.180, 30.755, ""), (120.045, 30.780, "jct"),
                 (119.870, 30.700, ""), (119.720, 30.660, "ic"), (119.520, 30.615, ""), (119.330, 30.600, "")],
}
#: Trunk routes over the town graph: (class, name, [county seats], exits (lon, lat) beyond the ends).
TRUNK_ROUTES: list[tuple[str, str, list[str], list[tuple[float, float]]]] = [
    ("国道", "G104国道", ["330522", "330502", "330521"], [(119.95, 31.40), (120.05, 30.20)]),
    ("国道", "G318国道", ["330503", "330502", "330522"], [(120.70, 30.90), (119.40, 30.90)]),
    ("省道", "S306省道", ["330502", "330523"], [(119.20, 30.55)]),
    ("省道", "S201省道", ["330521", "330523"], []),
    ("省道", "S205省道", ["330522", "330523"], []),
    ("省道", "S304省道", ["330503", "330521"], []),
]


def town_blobs(townships: gpd.GeoDataFrame, core: Any) -> list[dict[str, Any]]:
    """Built-up areas: one per county seat and one per other township centre."""
    rng = rng_for("blobs")
    blobs = []
    for code, spec in COUNTIES.items():
        seat = townships[(townships["parent_code"] == code) & townships["is_seat"]].iloc[0]
        c = (seat["centre_x"], seat["centre_y"])
        poly = star_polygon(*c, spec["r_town"] * 1000.0, rng, rough=0.18).intersection(core)
        blobs.append({"kind": "seat", "code": seat["code"], "county": code, "centre": c,
                      "radius": spec["r_town"] * 1000.0, "poly": poly})
    seat_union = shapely.union_all([b["poly"] for b in blobs])
    for tw in townships.itertuples():
        if tw.is_seat or shapely.contains_xy(seat_union.buffer(400.0), tw.centre_x, tw.centre_y):
            continue
        r = rng.uniform(900.0, 1300.0) if tw.township_type == "街道" else rng.uniform(550.0, 900.0)
        poly = star_polygon(tw.centre_x, tw.centre_y, r, rng).intersection(tw.geometry).intersection(core)
        poly = poly.difference(seat_union)
        if not shapely.contains_xy(poly, tw.centre_x, tw.centre_y):
            continue
        if poly.geom_type != "Polygon":
            poly = max(poly.geoms, key=lambda g: g.area)
        blobs.append({"kind": "town", "code": tw.code, "county": tw.parent_code, "centre": (tw.centre_x, tw.centre_y),
                      "radius": r, "poly": poly})
    return blobs


def connected_pieces(lines: list[Any], start: tuple[float, float]) -> list[int]:
    """Indices of the lines reachable from the line through ``start`` via intersections."""
    if not lines:
        return []
    tree = shapely.STRtree(lines)
    pt = shapely.Point(start)
    frontier = [int(i) for i in tree.query(pt, predicate="dwithin", distance=0.01)]
    seen = set(frontier)
    while frontier:
        i = frontier.pop()
        for j in tree.query(lines[i], predicate="intersects"):
            j = int(j)
            if j not in seen:
                seen.add(j)
                frontier.append(j)
    return sorted(seen)


def street_grid(blob: dict[str, Any], rng: np.random.Generator, street_names: list[str]) -> list[dict[str, Any]]:
    """A rotated street grid clipped to the blob, connected to its centre (an exact vertex)."""
    cx, cy = blob["centre"]
    seat = blob["kind"] == "seat"
    spacing = 230.0 if seat else 210.0
    reach = blob["radius"] * 1.4
    k_max = int(reach // spacing)
    angle = rng.uniform(0.0, np.pi / 2)
    ca, sa = math.cos(angle), math.sin(angle)
    feats = []
    for axis in (0, 1):
        offsets = np.arange(-k_max, k_max + 1) * spacing
        offsets[offsets != 0] += rng.normal(0.0, spacing * 0.08, int((offsets != 0).sum()))
        for k, off in zip(range(-k_max, k_max + 1), offsets, strict=True):
            t = np.array([-reach, 0.0, reach]) if k == 0 else np.array([-reach, reach])
            u, v = (t, np.full_like(t, off)) if axis == 0 else (np.full_like(t, off), t)
            x = cx + u * ca - v * sa
            y = cy + u * sa + v * ca
            if k == 0:
                x[1], y[1] = cx, cy
            if seat:
                cls = "主干路" if k % 4 == 0 else ("次干路" if k % 2 == 0 else "支路")
            else:
                cls = "次干路" if k == 0 else "支路"
            feats.append({"geometry": shapely.LineString(np.column_stack([x, y])), "road_class": cls})
    clipped = []
    for f in feats:
        for part in shapely.get_parts(shapely.intersection(f["geometry"], blob["poly"])):
            if part.geom_type == "LineString" and part.length > 30.0:
                clipped.append({**f, "geometry": part})
    keep = connected_pieces([f["geometry"] for f in clipped], blob["centre"])
    out = [clipped[i] for i in keep]
    for f in out:
        if f["road_class"] in ("主干路", "次干路") or (seat and f["geometry"].length > 600.0):
            suffix = ROAD_SUFFIX_MAIN if f["road_class"] == "主干路" else ROAD_SUFFIX_MINOR
            f["name"] = street_names.pop() + suffix[int(rng.integers(len(suffix)))]
    return out


def bezier(a: np.ndarray, b: np.ndarray, bend: float, step: float = 250.0) -> np.ndarray:
    """A quadratic Bézier from ``a`` to ``b`` bulging sideways by ``bend`` × length."""
    length = float(np.hypot(*(b - a)))
    n = max(3, int(length // step) + 1)
    t = np.linspace(0.0, 1.0, n)[:, None]
    mid = (a + b) / 2 + bend * length * np.array([-(b - a)[1], (b - a)[0]]) / max(length, 1e-9)
    xy = (1 - t) ** 2 * a + 2 * (1 - t) * t * mid + t**2 * b
    xy[0], xy[-1] = a, b
    return xy


def gabriel_mask(xy: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Whether each edge (i, j) of points ``xy`` belongs to the Gabriel graph."""
    tree = cKDTree(xy)
    mid = (xy[edges[:, 0]] + xy[edges[:, 1]]) / 2
    r = np.hypot(*(xy[edges[:, 0]] - xy[edges[:, 1]]).T) / 2
    d, _ = tree.query(mid, k=1)
    return d >= r * (1 - 1e-9)


def delaunay_edges(xy: np.ndarray) -> np.ndarray:
    """Unique undirected edges (i < j) of the Delaunay triangulation of ``xy``."""
    tri = Delaunay(xy)
    s = tri.simplices
    e = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    e.sort(axis=1)
    return np.unique(e, axis=0)


def strokes(xy: np.ndarray, edges: np.ndarray) -> list[list[int]]:
    """Merge edges into long polylines ("strokes") that go straight on through junctions.

    At each node the incident edges are paired greedily by straightness (deflection under
    60°); chains of paired edges become one polyline (node index lists).
    """
    m = len(edges)
    incident: dict[int, list[int]] = {}
    for k, (a, b) in enumerate(edges):
        incident.setdefault(int(a), []).append(k)
        incident.setdefault(int(b), []).append(k)
    link: dict[tuple[int, int], int] = {}  # (edge, node) → partner edge through that node
    for node, ks in incident.items():
        if len(ks) < 2:
            continue
        dirs = []
        for k in ks:
            other = edges[k][1] if edges[k][0] == node else edges[k][0]
            d = xy[other] - xy[node]
            dirs.append(d / max(np.hypot(*d), 1e-9))
        pairs = []
        for i in range(len(ks)):
            for j in range(i + 1, len(ks)):
                straight = -float(np.dot(dirs[i], dirs[j]))
                if straight > 0.2:
                    pairs.append((straight, i, j))
        pairs.sort(reverse=True)
        used: set[int] = set()
        for _, i, j in pairs:
            if i in used or j in used:
                continue
            used.update((i, j))
            link[(ks[i], node)] = ks[j]
            link[(ks[j], node)] = ks[i]
    seen = np.zeros(m, dtype=bool)
    out = []

    def walk(k: int, node: int) -> list[int]:
        """Nodes from ``node`` along edge k and onwards through links."""
        path = [node]
        while True:
            seen[k] = True
            a, b = int(edges[k][0]), int(edges[k][1])
            nxt = b if a == node else a
            path.append(nxt)
            k2 = link.get((k, nxt))
            if k2 is None or seen[k2]:
                return path
            k, node = k2, nxt

    for k in range(m):
        if seen[k]:
            continue
        # go back to the start of the chain first
        start_edge, start_node = k, int(edges[k][0])
        visited = {k}
        while (start_edge, start_node) in link:
            prev = link[(start_edge, start_node)]
            if prev in visited or seen[prev]:
                break
            visited.add(prev)
            pa, pb = int(edges[prev][0]), int(edges[prev][1])
            start_node = pa if pb == start_node else pb
            start_edge = prev
        out.append(walk(start_edge, start_node))
    return out


def build_roads(townships: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, core: Any,
                taken: set[str]) -> tuple[gpd.GeoDataFrame, list[dict[str, Any]]]:
    """The hierarchical, connected synthetic road network.

    * street grids (主干路/次干路/支路) in the county towns and township centres, each
      connected to its centre, plus a ring road (城市快速路) round the Huzhou urban area;
    * 乡道/村道: a thinned Gabriel graph plus minimum spanning tree over hamlets and an access
      point 100–230 m from every village outside a town; 乡道 are the shortest paths from
      the villages to their township centre; edges are merged into long polylines;
    * 国道/省道/县道: curved links between township centres (their Gabriel graph), trunk
      routes between the county seats and exits towards the neighbouring cities;
    * 高速公路: three expressways split at interchanges (``bridge = 1``), each interchange
      with a link road to the nearest town;
    * 24 one-way town streets, and a final check that everything is one component.
    """
    t0 = time.time()
    rng = rng_for("roads")
    blobs = town_blobs(townships, core)
    blob_union = shapely.union_all([b["poly"] for b in blobs])
    street_pool = [a + b for a in STREET_FIRST[::2] for b in STREET_FIRST[1::2]] + [
        n for n in (a + b for a in NAME_FIRST for b in NAME_SECOND) if n not in taken
    ]
    street_pool = [street_pool[i] for i in rng.permutation(len(street_pool))]
    feats: list[dict[str, Any]] = []
    # --- town street grids
    for blob in blobs:
        feats.extend(street_grid(blob, rng, street_pool))
    # ring road of the Huzhou urban area
    wx = blobs[0]["centre"]
    ang = np.linspace(0, 2 * np.pi, 49)
    ring = np.column_stack([wx[0] + 3300 * np.cos(ang) * 1.1, wx[1] + 3300 * np.sin(ang) * 0.9])
    for half, name in ((ring[:25], "环城快速路（北段）"), (ring[24:], "环城快速路（南段）")):
        for part in shapely.get_parts(shapely.intersection(shapely.LineString(half), core)):
            feats.append({"geometry": part, "road_class": "城市快速路", "name": name})
    print(f"    grids: {len(feats)} street lines in {len(blobs)} towns ({time.time() - t0:.1f} s)")

    # --- rural base network: hamlets + village access points, Gabriel/MST over Delaunay
    vill_xy = shapely.get_coordinates(villages.geometry.values)
    in_blob = shapely.contains_xy(blob_union, vill_xy[:, 0], vill_xy[:, 1])
    anchors = np.full((len(villages), 2), np.nan)
    free = core.difference(blob_union.buffer(60.0))
    shapely.prepare(free)
    for i in np.flatnonzero(~in_blob):
        for _ in range(40):
            r = rng.uniform(100.0, 230.0)
            a = rng.uniform(0, 2 * np.pi)
            p = vill_xy[i] + r * np.array([math.cos(a), math.sin(a)])
            if shapely.contains_xy(free, *p):
                anchors[i] = p
                break
    is_cun = (villages["village_type"] == "村").to_numpy()
    hw = hill_weight(vill_xy)
    lam = 19.0 * (1.0 - 0.6 * hw) * np.where(is_cun, 1.0, 0.4)
    counts = rng.poisson(lam)
    ham = np.repeat(vill_xy, counts, axis=0) + rng.normal(0.0, 650.0, (int(counts.sum()), 2))
    bg = sample_in(core, int(core.area / 1e6 * 1.4), rng)
    bg = bg[rng.random(len(bg)) < 1.0 - 0.75 * hill_weight(bg)]
    ham = np.vstack([ham, bg])
    ham = ham[shapely.contains_xy(free, ham[:, 0], ham[:, 1])]
    # thin to at least 120 m apart
    tree = cKDTree(ham)
    drop = np.zeros(len(ham), dtype=bool)
    for i, j in sorted(tree.query_pairs(120.0)):
        if not drop[i] and not drop[j]:
            drop[j] = True
    ham = ham[~drop]
    ok_anchor = ~np.isnan(anchors[:, 0])
    anchor_xy = anchors[ok_anchor]
    if len(anchor_xy):
        d, _ = cKDTree(anchor_xy).query(ham)
        ham = ham[d > 90.0]
    nodes = np.vstack([anchor_xy, ham])
    n_anchor = len(anchor_xy)
    edges = delaunay_edges(nodes)
    seg = shapely.linestrings(np.stack([nodes[edges[:, 0]], nodes[edges[:, 1]]], axis=1))
    allowed = core.difference(blob_union.buffer(-120.0))
    shapely.prepare(allowed)
    ok = shapely.covered_by(seg, allowed)
    edges, seg = edges[ok], seg[ok]
    length = shapely.length(seg)
    n = len(nodes)
    graph = coo_matrix((length, (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    mst = minimum_spanning_tree(graph).tocoo()
    in_mst = set(zip(np.minimum(mst.row, mst.col).tolist(), np.maximum(mst.row, mst.col).tolist(), strict=True))
    mst_mask = np.array([(int(a), int(b)) in in_mst for a, b in edges])
    gab = gabriel_mask(nodes, edges)
    keep = mst_mask | (gab & (rng.random(len(edges)) < 0.62) & (length < 1500.0))
    edges, length = edges[keep], length[keep]
    graph = coo_matrix((length, (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    graph = graph + graph.T
    n_comp, labels = connected_components(graph, directed=False)
    print(f"    base: {n} nodes ({n_anchor} village access points), {len(edges)} edges, "
          f"{n_comp} components ({time.time() - t0:.1f} s)")

    # --- 乡道: shortest paths from every village access point to its township centre's portal
    anchor_unit = villages["unit_code"].to_numpy()[ok_anchor]
    edge_class = np.array(["村道"] * len(edges), dtype=object)
    edge_index = {(int(a), int(b)): k for k, (a, b) in enumerate(edges)}
    node_tree = cKDTree(nodes)
    portals: dict[str, int] = {}
    for tw in townships.itertuples():
        members = np.flatnonzero(anchor_unit == tw.code)
        _, portal = node_tree.query([tw.centre_x, tw.centre_y])
        portal = int(portal)
        portals[tw.code] = portal
        if not len(members):
            continue
        _, pred = dijkstra(graph, directed=False, indices=portal, return_predecessors=True)
        for m in members:
            cur = int(m)
            while cur != portal and pred[cur] >= 0:
                p = int(pred[cur])
                edge_class[edge_index[(min(p, cur), max(p, cur))]] = "乡道"
                cur = p
    # portal → township centre links
    for tw in townships.itertuples():
        p = nodes[portals[tw.code]]
        c = np.array([tw.centre_x, tw.centre_y])
        link = shapely.LineString([p, c])
        if link.length > 20.0 and shapely.covered_by(link, core):
            feats.append({"geometry": link, "road_class": "乡道"})
    for cls in ("乡道", "村道"):
        sel = edges[edge_class == cls]
        for chain in strokes(nodes, sel):
            feats.append({"geometry": shapely.LineString(nodes[chain]), "road_class": cls})
    print(f"    village/township roads: {int((edge_class == '乡道').sum())} 乡道 and "
          f"{int((edge_class == '村道').sum())} 村道 edges ({time.time() - t0:.1f} s)")

    # --- 国道/省道/县道 between township centres (Gabriel graph of the centres)
    centres = townships[["centre_x", "centre_y"]].to_numpy()
    cedges = delaunay_edges(centres)
    cseg = shapely.linestrings(np.stack([centres[cedges[:, 0]], centres[cedges[:, 1]]], axis=1))
    cok = gabriel_mask(centres, cedges) & shapely.covered_by(cseg, core)
    cedges, clen = cedges[cok], shapely.length(cseg[cok])
    nc = len(centres)
    cgraph = coo_matrix((clen, (cedges[:, 0], cedges[:, 1])), shape=(nc, nc)).tocsr()
    cgraph = cgraph + cgraph.T
    rank = {"国道": 0, "省道": 1, "县道": 2}
    hop_class = {(int(a), int(b)): ("县道", None) for a, b in cedges}
    seat_idx = {r.parent_code: i for i, r in enumerate(townships.itertuples()) if r.is_seat}
    exits = []
    for cls, name, seats, outs in TRUNK_ROUTES:
        idx = [seat_idx[s] for s in seats]
        for a, b in zip(idx[:-1], idx[1:], strict=True):
            _, pred = dijkstra(cgraph, directed=False, indices=a, return_predecessors=True)
            cur = b
            while cur != a:
                p = int(pred[cur])
                key = (min(p, cur), max(p, cur))
                if rank[cls] < rank[hop_class[key][0]]:
                    hop_class[key] = (cls, name)
                cur = p
        for (lon, lat), end in zip(outs, (idx[0], idx[-1]), strict=False):
            exits.append((cls, name, end, to_metric_xy(lon, lat)[0]))
    county_no: dict[str, int] = {}
    for (a, b), (cls, name) in sorted(hop_class.items()):
        pa, pb = centres[a], centres[b]
        line = None
        for bend in (rng.uniform(-0.07, 0.07), 0.0):
            cand = shapely.LineString(bezier(pa, pb, bend))
            if shapely.covered_by(cand, core):
                line = cand
                break
        if line is None:
            continue
        if name is None:
            cc = townships.iloc[a]["parent_code"]
            county_no[cc] = county_no.get(cc, 0) + 1
            name = f"X{list(COUNTIES).index(cc) + 1}{county_no[cc]:02d}县道"
        feats.append({"geometry": line, "road_class": cls, "name": name})
    for cls, name, end, target in exits:
        start = centres[end]
        ray = shapely.LineString([start, target])
        cut = shapely.get_parts(shapely.intersection(ray, core))
        first = min(cut, key=lambda g: g.distance(shapely.Point(start)))
        if first.distance(shapely.Point(start)) > 1.0 or first.length < 1000.0:
            continue
        stop = shapely.line_interpolate_point(first, first.length - 300.0)
        path = bezier(start, np.asarray(stop.coords[0]), rng.uniform(-0.04, 0.04))
        line = shapely.LineString(path)
        if shapely.covered_by(line, core):
            feats.append({"geometry": line, "road_class": cls, "name": name})

    # --- expressways, split at interchanges/junctions, with link roads
    for name, anchors_ll in EXPRESSWAYS.items():
        xy = to_metric_xy([a[0] for a in anchors_ll], [a[1] for a in anchors_ll])
        roles = [a[2] for a in anchors_ll]
        curve = catmull_rom(xy, 250.0)
        cuts = [int(np.argmin(np.hypot(*(curve - p).T))) for p, r in zip(xy, roles, strict=True) if r]
        bounds = [0, *cuts, len(curve) - 1]
        for s, e in zip(bounds[:-1], bounds[1:], strict=True):
            if e - s < 1:
                continue
            part = shapely.LineString(curve[s: e + 1])
            knots = shapely.multipoints(curve[[k for k in (s, e) if k in cuts]]) if (s in cuts or e in cuts) else None
            for piece in shapely.get_parts(shapely.intersection(part, core)):
                # grade-separated: keep only pieces attached to an interchange or junction
                if (piece.geom_type == "LineString" and piece.length > 200.0 and knots is not None
                        and piece.distance(knots) < 0.01):
                    feats.append({"geometry": piece, "road_class": "高速公路", "name": name, "bridge": 1})
        for p, r in zip(xy, roles, strict=True):
            if r != "ic":
                continue
            for j in np.argsort(np.hypot(*(centres - p).T), kind="stable")[:6]:
                links = [shapely.LineString(bezier(p, centres[j], bend)) for bend in (0.05, 0.0)]
                link = next((ln for ln in links if shapely.covered_by(ln, core)), None)
                if link is not None:
                    place = townships.iloc[int(j)]["name"]
                    feats.append({"geometry": link, "road_class": "省道", "name": f"{name}{place}互通连接线"})
                    break
    roads = gpd.GeoDataFrame(feats, crs=METRIC_EPSG)
    roads["name"] = roads.get("name", pd.Series(index=roads.index, dtype=object))
    roads["bridge"] = roads.get("bridge", pd.Series(0, index=roads.index)).fillna(0).astype("int64")
    roads["oneway"] = 0
    roads = roads[["name", "road_class", "oneway", "bridge", "geometry"]].reset_index(drop=True)
    roads = one_way_streets(roads, rng, 24)
    roads["geometry"] = round_geoms(roads.geometry.values, 1)
    roads = keep_connected(roads)
    print(f"    roads: {len(roads)} features ({time.time() - t0:.1f} s)")
    return roads.reset_index(drop=True), blobs


def insert_vertex(line: Any, pt: Any) -> Any:
    """``line`` with ``pt`` (a point on it) inserted as a vertex."""
    coords = np.asarray(line.coords)
    s = line.project(pt)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
    i = int(np.searchsorted(cum, s, side="right"))
    xy = np.asarray(pt.coords[0])
    if np.min(np.hypot(*(coords - xy).T)) < 1e-6:
        return line
    return shapely.LineString(np.vstack([coords[:i], xy, coords[i:]]))


def one_way_streets(roads: gpd.GeoDataFrame, rng: np.random.Generator, n: int) -> gpd.GeoDataFrame:
    """Make ``n`` long town streets one-way between their first and last crossing.

    The stretch between the outermost crossings becomes ``oneway = 1``; the stubs beyond
    stay two-way as separate features, and the split points are inserted as vertices into
    the crossing streets too, so that every node stays reachable both ways.
    """
    geoms = list(roads.geometry.values)
    minor = np.flatnonzero((roads["road_class"] == "支路").to_numpy() & (shapely.length(roads.geometry.values) > 700.0))
    chosen = np.sort(rng.choice(minor, size=min(n, len(minor)), replace=False))
    tree = shapely.STRtree(roads.geometry.values)
    bridge = roads["bridge"].to_numpy()
    extra = []
    oneway = roads["oneway"].to_numpy().copy()
    for i in chosen:
        g = geoms[i]
        others = [int(j) for j in tree.query(g, predicate="crosses")
                  if j != i and not bridge[j] and j not in chosen and geoms[j].length > 400.0
                  and len(tree.query(geoms[j], predicate="crosses")) >= 3]
        if len(others) < 3:
            continue
        pts = []
        for j in others:
            for p in shapely.get_parts(shapely.intersection(g, geoms[j])):
                if p.geom_type == "Point":
                    pts.append((g.project(p), p, j))
        pts.sort(key=lambda t: t[0])
        (lo, p_lo, j_lo), (hi, p_hi, j_hi) = pts[0], pts[-1]
        geoms[j_lo] = insert_vertex(geoms[j_lo], p_lo)
        geoms[j_hi] = insert_vertex(geoms[j_hi], p_hi)
        coords = np.asarray(g.coords)
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
        inner = coords[(cum > lo) & (cum < hi)]
        a, b = np.asarray(p_lo.coords[0]), np.asarray(p_hi.coords[0])
        geoms[i] = shapely.LineString(np.vstack([a, inner, b]))
        oneway[i] = 1
        for stub in (np.vstack([coords[cum < lo], a]), np.vstack([b, coords[cum > hi]])):
            if len(stub) >= 2 and shapely.LineString(stub).length > 1.0:
                extra.append({**roads.iloc[i].drop("geometry").to_dict(), "oneway": 0,
                              "geometry": shapely.LineString(stub)})
    out = roads.copy()
    out["geometry"] = geoms
    out["oneway"] = oneway
    if extra:
        out = pd.concat([out, gpd.GeoDataFrame(extra, crs=roads.crs)], ignore_index=True)
    return out


def noded_graph(lines: np.ndarray, bridge: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node a set of lines at every intersection (bridges only at their end points).

    Returns
    -------
    tuple
        ``(segments, component, node_xy)``: the noded line pieces, the connected component
        of each piece, and the distinct node coordinates.
    """
    lines = np.asarray(lines, dtype=object)
    flag = np.zeros(len(lines), dtype=bool) if bridge is None else np.asarray(bridge, dtype=bool)
    pieces = shapely.get_parts(shapely.union_all(lines[~flag]))
    pieces = np.concatenate([pieces, lines[flag]])
    first = shapely.get_coordinates(shapely.get_point(pieces, 0))
    last = shapely.get_coordinates(shapely.get_point(pieces, -1))
    ends = np.round(np.vstack([first, last]), 2)
    node_xy, inv = np.unique(ends, axis=0, return_inverse=True)
    inv = inv.ravel()
    m = len(pieces)
    g = coo_matrix((np.ones(m), (inv[:m], inv[m:])), shape=(len(node_xy), len(node_xy)))
    _, lab = connected_components(g, directed=False)
    return pieces, lab[inv[:m]], node_xy


def keep_connected(roads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Drop road features that are not connected to the main network (after noding)."""
    pieces, comp, _ = noded_graph(roads.geometry.values, roads["bridge"].to_numpy() == 1)
    main = np.bincount(comp).argmax()
    tree = shapely.STRtree(pieces)
    mid = shapely.line_interpolate_point(roads.geometry.values, 0.5, normalized=True)
    pairs = tree.query(mid, predicate="dwithin", distance=0.05)
    in_main = np.zeros(len(roads), dtype=bool)
    in_main[pairs[0][comp[pairs[1]] == main]] = True
    dropped = int((~in_main).sum())
    if dropped:
        print(f"    dropped {dropped} road features not connected to the network")
    return roads[in_main]
