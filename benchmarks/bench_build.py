"""Benchmark of building mzgeo networks, printed with ratios against peers in one run.

1. ``Network.from_networkx`` on an OSMnx-like ``MultiDiGraph`` (lon/lat nodes with ``x``,
   ``y``; edges with ``highway``, ``name``, ``length``, ``travel_time``, a ``geometry`` on
   about a third of them, two-way roads as edge pairs, some one-way, parallel edges and
   self-loops) against networkx building the same graph from its edge lists
   (``add_nodes_from`` + ``add_edges_from`` of ``(u, v, key, attrs)``). Target: mzgeo
   <= 0.5 x networkx.
2. ``Network.from_lines`` on the demo roads (``data/huzhou_demo.gpkg``, layer ``roads``)
   and on a synthetic line layer (a perturbed grid drawn as long polylines, about
   1,000,000 nodes by default), per 100,000 segments, beside OSMnx's ``graph_from_gdfs``
   of the same network (its nodes and edges frames, OSMnx layout), per 100,000 segments.

Usage::

    python benchmarks/bench_build.py            # 90,000-node graph, demo roads, 1,000,000-node line layer
    python benchmarks/bench_build.py --quick    # 20,000-node graph, demo roads, 100,000-node line layer
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import time
import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_network import CRS, synthetic  # noqa: E402

from mzgeo import DataWarning, settings  # noqa: E402
from mzgeo.demo import load_demo  # noqa: E402
from mzgeo.network import Network  # noqa: E402


def out(line: str = "") -> None:
    """The benchmark's report goes to standard output (this is a script, not library code)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    """Best wall time (s) of ``repeat`` calls and the last result."""
    best, res = math.inf, None
    for _ in range(max(repeat, 1)):
        res = None
        gc.collect()
        t0 = time.perf_counter()
        res = fn()
        best = min(best, time.perf_counter() - t0)
    return best, res


def osmnx_like_edges(n_nodes: int, seed: int) -> tuple[list, list]:
    """Node and edge lists of an OSMnx-like MultiDiGraph in lon/lat (EPSG:4326).

    Returns ``(nodes, edges)``: ``[(id, {"x", "y"})]`` and ``[(u, v, key, attrs)]``.
    """
    import pyproj

    g = synthetic(n_nodes, seed)
    rng = np.random.default_rng(seed + 1)
    tr = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True)
    lon, lat = (np.asarray(a) for a in tr.transform(g["x"], g["y"]))
    ids = 1_000_000 + np.arange(len(lon)) * 7  # OSM-like node ids, not positions
    u, v, fwd, bwd, klass = g["u"], g["v"], g["fwd"], g["bwd"], g["class"]
    n = len(u)
    # a third of the roads have a drawn geometry (1-3 jittered interior vertices)
    has_geom = rng.random(n) < 0.35
    k_in = rng.integers(1, 4, n)
    geoms = np.full(n, None, dtype=object)
    sel = np.flatnonzero(has_geom)
    counts = k_in[sel] + 2
    seg = np.repeat(sel, counts)
    within = np.arange(len(seg)) - np.repeat(np.cumsum(counts) - counts, counts)
    frac = within / np.repeat(counts - 1, counts)
    jitter = rng.uniform(-5e-5, 5e-5, (len(seg), 2))
    inner = (frac > 0) & (frac < 1)
    xs = lon[u[seg]] + frac * (lon[v[seg]] - lon[u[seg]]) + np.where(inner, jitter[:, 0], 0)
    ys = lat[u[seg]] + frac * (lat[v[seg]] - lat[u[seg]]) + np.where(inner, jitter[:, 1], 0)
    geoms[sel] = shapely.linestrings(np.column_stack([xs, ys]), indices=np.repeat(np.arange(len(sel)), counts))
    rev = np.full(n, None, dtype=object)
    rev[sel] = shapely.reverse(geoms[sel])
    length = np.hypot(g["x"][u] - g["x"][v], g["y"][u] - g["y"][v])
    names = np.where(rng.random(n) < 0.5, np.char.add("路", (np.arange(n) % 997).astype(str)), None)
    nodes = [(int(i), {"x": float(a), "y": float(b), "street_count": 4}) for i, a, b in zip(ids, lon, lat, strict=True)]
    edges = []
    for k in range(n):
        a, b = int(ids[u[k]]), int(ids[v[k]])
        base = {"osmid": 10_000 + k, "highway": str(klass[k]), "length": float(length[k])}
        if names[k] is not None:
            base["name"] = names[k]
        if math.isfinite(fwd[k]):
            d = dict(base, travel_time=float(fwd[k]), oneway=not math.isfinite(bwd[k]), reversed=False)
            if geoms[k] is not None:
                d["geometry"] = geoms[k]
            edges.append((a, b, 0, d))
        if math.isfinite(bwd[k]):
            d = dict(base, travel_time=float(bwd[k]), oneway=not math.isfinite(fwd[k]), reversed=True)
            if geoms[k] is not None:
                d["geometry"] = rev[k]
            edges.append((b, a, 0, d))
    # parallel roads (a second, curved road between the same nodes) and small loops
    for k in rng.choice(n, n // 200, replace=False):
        a, b = int(ids[u[k]]), int(ids[v[k]])
        mid = ((lon[u[k]] + lon[v[k]]) / 2 + 2e-4, (lat[u[k]] + lat[v[k]]) / 2 + 2e-4)
        line = shapely.LineString([(lon[u[k]], lat[u[k]]), mid, (lon[v[k]], lat[v[k]])])
        d = {"osmid": 20_000_000 + int(k), "highway": "service", "length": float(length[k]) * 1.5,
             "travel_time": float(length[k]) * 1.5 / 5.0, "oneway": False, "geometry": line}
        edges.append((a, b, 1, d))
        edges.append((b, a, 1, dict(d, geometry=line.reverse())))
    for k in rng.choice(len(ids), len(ids) // 500, replace=False):
        x0, y0 = lon[k], lat[k]
        ring = shapely.LineString([(x0, y0), (x0, y0 + 3e-4), (x0 + 3e-4, y0 + 3e-4), (x0 + 3e-4, y0), (x0, y0)])
        d = {"osmid": 30_000_000 + int(k), "highway": "service", "length": 130.0, "travel_time": 26.0,
             "oneway": False, "geometry": ring}
        edges.append((int(ids[k]), int(ids[k]), 0, d))
        edges.append((int(ids[k]), int(ids[k]), 1, dict(d, geometry=ring.reverse())))
    return nodes, edges


def networkx_build(nodes: list, edges: list) -> nx.MultiDiGraph:
    """What networkx needs to build the graph from its edge lists."""
    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_nodes_from(nodes)
    G.add_edges_from(edges)
    return G


def grid_lines(n_nodes: int, seed: int) -> gpd.GeoDataFrame:
    """Perturbed grid of :func:`bench_network.synthetic` drawn as long polylines.

    Each grid row and column is one line, broken where the generator dropped a road; the
    lines share their vertices at the crossings (as road layers do). Columns: ``road_class``,
    ``oneway`` (on the short pieces that the generator made one-way), ``name``.
    """
    g = synthetic(n_nodes, seed)
    x, y, u, v = g["x"], g["y"], g["u"], g["v"]
    side = round(math.sqrt(n_nodes))
    horiz = (v - u) == 1
    # a line runs along consecutive kept grid segments of one row or column; ordered by (row, u)
    line_of = np.empty(len(u), np.int64)
    along = np.where(horiz, u // side, u % side)  # the row of a horizontal road, the column of a vertical one
    order = np.lexsort((u, along, ~horiz))
    uu, vv, hh, aa = u[order], v[order], horiz[order], along[order]
    brk = np.ones(len(uu), bool)
    brk[1:] = (uu[1:] != vv[:-1]) | (hh[1:] != hh[:-1]) | (aa[1:] != aa[:-1])
    # one-way pieces become lines of their own so the flag stays per line
    ow = (~np.isfinite(g["bwd"]) | ~np.isfinite(g["fwd"]))[order]
    brk[1:] |= ow[1:] | ow[:-1]
    line_of[order] = np.cumsum(brk) - 1
    n_lines = int(line_of.max()) + 1
    # vertices: every line's first u, then every v
    first = brk
    pts_node = np.concatenate([uu[first], vv])
    pts_line = np.concatenate([np.cumsum(brk)[first] - 1, np.cumsum(brk) - 1])
    pts_rank = np.concatenate([np.flatnonzero(first) - 0.5, np.arange(len(uu), dtype=float)])
    o = np.lexsort((pts_rank, pts_line))
    lines = shapely.linestrings(np.column_stack([x[pts_node[o]], y[pts_node[o]]]), indices=pts_line[o])
    seg_class = g["class"][order]
    cls = seg_class[first]
    oneway = np.where(~np.isfinite(g["bwd"][order][first]), "1",
                      np.where(~np.isfinite(g["fwd"][order][first]), "-1", "0"))
    return gpd.GeoDataFrame(
        {"road_class": cls, "oneway": oneway, "name": [f"路{i % 997}" for i in range(n_lines)]},
        geometry=lines, crs=CRS,
    )


def osmnx_frames(net: Network) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The network as OSMnx's ``gdf_nodes``, ``gdf_edges`` (index ``osmid`` / ``(u, v, key)``)."""
    nodes = net.nodes[["x", "y", "geometry"]].copy()
    nodes.index = nodes.index.rename("osmid")
    e = net.edges
    key = e.groupby(["u", "v"]).cumcount().to_numpy()
    edges = gpd.GeoDataFrame(
        {"osmid": e["segment"].to_numpy(), "highway": e["road_class"].to_numpy(), "name": e["name"].to_numpy(),
         "length": e["length_m"].to_numpy(), "travel_time": e["seconds"].to_numpy()},
        geometry=e.geometry.values, crs=net.crs,
        index=pd.MultiIndex.from_arrays([e["u"].to_numpy(), e["v"].to_numpy(), key], names=["u", "v", "key"]),
    )
    return nodes, edges


def bench_networkx(args: argparse.Namespace) -> None:
    """Part 1: from_networkx beside networkx building the same graph from its edge lists.

    The two are timed in turns (networkx, mzgeo, networkx, ...), best of ``--repeat`` each,
    so that both see the same load on a shared machine.
    """
    nodes, edges = osmnx_like_edges(args.graph_nodes, args.seed)
    t_nx = t_mz = t_nx_cpu = t_mz_cpu = math.inf
    for _ in range(max(args.repeat, 1)):
        G = None
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        G = networkx_build(nodes, edges)
        t_nx, t_nx_cpu = min(t_nx, time.perf_counter() - t0), min(t_nx_cpu, time.process_time() - c0)
        net = None
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        net = Network.from_networkx(G)
        t_mz, t_mz_cpu = min(t_mz, time.perf_counter() - t0), min(t_mz_cpu, time.process_time() - c0)
    out(f"# networkx graph: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges "
        f"({sum('geometry' in d for _, _, _, d in edges):,} with a geometry), EPSG:4326; best of {args.repeat}, in turns")
    out(f"networkx MultiDiGraph from edge lists   {t_nx:7.3f} s   (CPU {t_nx_cpu:.3f} s)")
    out(f"mzgeo Network.from_networkx             {t_mz:7.3f} s   (CPU {t_mz_cpu:.3f} s; {net.n_segments:,} segments, "
        f"{net.n_edges:,} directed edges)")
    ratio = t_mz / t_nx
    out(f"  ratio mzgeo / networkx                {ratio:7.2f} x   (target <= 0.5: {'met' if ratio <= 0.5 else 'not met'}; "
        f"CPU time ratio {t_mz_cpu / t_nx_cpu:.2f} x)")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--graph-nodes", type=int, default=90_000, help="nodes of the networkx graph")
    ap.add_argument("--line-nodes", type=int, default=1_000_000, help="nodes of the synthetic line layer")
    ap.add_argument("--quick", action="store_true", help="20,000-node graph and 100,000-node line layer")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs of each (from_networkx part; from_lines: 3, one above 100,000 lines)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.quick:
        args.graph_nodes, args.line_nodes = 20_000, 100_000
    settings.use_cache = False
    warnings.simplefilter("ignore", DataWarning)
    import osmnx as ox

    bench_networkx(args)

    # -- 2. from_lines ----------------------------------------------------------------------
    roads = load_demo().roads
    layers = [("demo roads", roads), (f"synthetic grid {args.line_nodes:,} nodes", None)]
    for label, gdf in layers:
        if gdf is None:
            gdf = grid_lines(args.line_nodes, args.seed)
        rep = min(args.repeat, 3) if len(gdf) < 100_000 else 1
        t_lines, net = best_of(lambda g=gdf: Network.from_lines(g, mode="drive", cache=False), rep)
        n_seg = net.n_segments
        gn, ge = osmnx_frames(net)
        t_ox, _ = best_of(lambda gn=gn, ge=ge: ox.graph_from_gdfs(gn, ge), rep)
        per_mz = t_lines / n_seg * 1e5
        per_ox = t_ox / n_seg * 1e5
        out()
        out(f"## from_lines, {label}: {len(gdf):,} lines -> {net.n_nodes:,} nodes, {n_seg:,} segments, "
            f"{net.n_edges:,} directed edges")
        out(f"mzgeo Network.from_lines                {t_lines:7.3f} s = {per_mz:6.3f} s per 100k segments")
        out(f"OSMnx graph_from_gdfs (same network)    {t_ox:7.3f} s = {per_ox:6.3f} s per 100k segments")
        out(f"  ratio mzgeo / OSMnx (per 100k)        {per_mz / per_ox:7.2f} x")
        del net, gn, ge, gdf
        gc.collect()


if __name__ == "__main__":
    main()
