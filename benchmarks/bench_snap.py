"""Benchmark of snapping points to the nearest road segment, and ``nearest`` end to end vs networkx.

On the synthetic road-like grid of ``bench_network.py`` (90,000 nodes, about 330,000
directed edges), demand points are snapped by the exact STRtree path (shapely
``STRtree.query_nearest`` against every segment, ``_exact=True``) and by the grid path
(the default: a uniform grid of the segments' straight pieces with a precomputed list of
candidate pieces per cell, exact distances to them, near ties handed to the STRtree). Both
give identical results (checked here, and by ``tests/test_network_snap.py``). ``nearest``
is timed warm (graph and spatial indexes built) with the per-layer snap cache cleared
before each call, so snapping is included; the cached figure is given beside it, and the
bare scipy Dijkstra call inside it (the floor of any ``nearest`` built on it).

networkx: ``multi_source_dijkstra_path_length`` from the facilities' nearest nodes on the
reversed graph, plus nearest-node snapping of facilities and demand with a scipy cKDTree
(built once beforehand, as mzgeo's snap index is; the queries are timed). For information,
also ``multi_source_dijkstra`` with paths, the networkx way to name each point's nearest
facility as ``nearest`` does. Every figure is the best of ``--repeat`` runs (networkx: at
most 3), as the machine may be shared.

Usage::

    python benchmarks/bench_snap.py                  # 90,000 nodes, 500 facilities, 2,000 and 10,000 demand
    python benchmarks/bench_snap.py --nodes 250000
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from bench_network import CRS, best_of, out, points_near_nodes, synthetic
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from mzgeo import DataWarning, settings
from mzgeo.network import Network, _graph


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=90_000)
    ap.add_argument("--facilities", type=int, default=500)
    ap.add_argument("--demand", type=int, nargs="+", default=[2_000, 10_000])
    ap.add_argument("--no-peers", action="store_true", help="skip networkx")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=7, help="best of this many runs (networkx: at most 3)")
    args = ap.parse_args(argv)
    settings.use_cache = False
    warnings.simplefilter("ignore", DataWarning)
    rng = np.random.default_rng(args.seed)

    g = synthetic(args.nodes, args.seed)
    net = Network.from_arrays(g["x"], g["y"], g["u"], g["v"], g["fwd"], seconds_back=g["bwd"], crs=CRS,
                              road_class=g["class"], mode="drive")
    del g
    out(f"# mzgeo snap benchmark: {net.n_nodes:,} nodes, {net.n_edges:,} directed edges, "
        f"{net.n_segments:,} segments")
    fac = points_near_nodes(net, args.facilities, rng, 20.0)
    t0 = time.perf_counter()
    net._tree(main_only=True)
    t_str = time.perf_counter() - t0
    t0 = time.perf_counter()
    ix = net._snap_index()
    t_kd = time.perf_counter() - t0
    out(f"index set-up (once per network): STRtree {t_str:.2f} s, grid {t_kd:.2f} s "
        f"({ix['nx']} x {ix['ny']} cells of {ix['cell']:.0f} m, {len(ix['piece']):,} piece entries)")
    net.nearest(fac, fac)  # graph, components

    def snap(pts, exact: bool):
        net._lazy.pop("snap_cache", None)
        return net._snap(pts, None, "demand", _exact=exact)

    demands = {n: points_near_nodes(net, n, rng, 150.0) for n in args.demand}
    rep = args.repeat
    t_mz = {}
    snap_us = {}
    for n, dem in demands.items():
        t_old, s_old = best_of(lambda dem=dem: snap(dem, True), rep)
        t_new, s_new = best_of(lambda dem=dem: snap(dem, False), rep)
        same = (np.array_equal(s_old.seg, s_new.seg) and np.array_equal(s_old.status, s_new.status)
                and np.allclose(s_old.t, s_new.t, rtol=0, atol=1e-9, equal_nan=True)
                and np.allclose(s_old.access_m, s_new.access_m, rtol=0, atol=1e-9, equal_nan=True)
                and np.allclose(s_old.x, s_new.x, rtol=0, atol=1e-9, equal_nan=True)
                and np.allclose(s_old.y, s_new.y, rtol=0, atol=1e-9, equal_nan=True))
        net._snap(dem, None)
        t_hit, _ = best_of(lambda dem=dem: net._snap(dem, None, "demand"), rep)
        snap_us[n] = t_new / n * 1e6
        out()
        out(f"## snapping {n:,} demand points")
        out(f"exact STRtree snap (old)        {t_old / n * 1e6:8.2f} us/point")
        out(f"grid snap (new)                 {snap_us[n]:8.2f} us/point")
        out(f"  ratio STRtree / grid          {t_old / t_new:8.2f} x   identical results: {same}")
        out(f"cached layer (second analysis)  {t_hit / n * 1e6:8.2f} us/point")

        def nearest(dem=dem):
            net._lazy.pop("snap_cache", None)
            return net.nearest(fac, dem)

        t_mz[n], _ = best_of(nearest, rep)
        t_cached, _ = best_of(lambda dem=dem: net.nearest(fac, dem), rep)
        out(f"mzgeo nearest, warm, snapping included {t_mz[n]:8.3f} s   (layers cached: {t_cached:.3f} s)")

    # the routing floor: the one multi-source Dijkstra call nearest makes, alone
    f_s = net._snap(fac, None, "facilities")
    fpos = np.flatnonzero(f_s.ok)
    owner, node, cost = net._sources(f_s, fpos, toward=True)
    aug = _graph.augment(net._graph(transpose=True), owner, node, cost, len(fpos))
    src = net.n_nodes + np.arange(len(fpos))
    t_dij, _ = best_of(lambda: dijkstra(aug, directed=True, indices=src, min_only=True, return_predecessors=True),
                       rep)
    out()
    out(f"bare scipy multi-source dijkstra (inside nearest)  {t_dij:8.3f} s")

    if args.no_peers:
        for n in demands:
            out(f"{n:,} demand: target <= 3 us/pt: {'met' if snap_us[n] <= 3.0 else 'not met'} "
                f"({snap_us[n]:.2f} us/pt)")
        return
    import networkx as nx

    GT = net._graph(transpose=True).tocoo()
    G = nx.DiGraph()
    G.add_nodes_from(range(net.n_nodes))
    G.add_weighted_edges_from(zip(GT.row.tolist(), GT.col.tolist(), GT.data.tolist(), strict=True), weight="w")
    kd = cKDTree(net._node_xy)  # built once, like mzgeo's snap index (not timed)
    out()
    out("## networkx (reversed graph, multi_source_dijkstra_path_length from the facilities' nearest nodes, "
        f"nearest-node snapping with a scipy cKDTree; best of {rep})")

    def nx_nearest(dem, paths: bool):
        _, fnode = kd.query(np.column_stack([fac.geometry.x, fac.geometry.y]))
        _, dnode = kd.query(np.column_stack([dem.geometry.x, dem.geometry.y]))
        if paths:  # also which facility is nearest (what mzgeo's nearest returns)
            dist, path = nx.multi_source_dijkstra(G, set(fnode.tolist()), weight="w")
            return [(dist.get(int(i), np.inf), path[int(i)][0] if int(i) in path else -1) for i in dnode]
        dist = nx.multi_source_dijkstra_path_length(G, set(fnode.tolist()), weight="w")
        return [dist.get(int(i), np.inf) for i in dnode]

    t_nx = {}
    for n, dem in demands.items():
        t_nx[n], _ = best_of(lambda dem=dem: nx_nearest(dem, False), min(rep, 3))
        out(f"{n:,} demand: networkx incl. nearest-node snapping {t_nx[n]:8.3f} s   "
            f"ratio networkx / mzgeo nearest {t_nx[n] / t_mz[n]:6.1f} x   "
            f"(bare scipy dijkstra: {t_nx[n] / t_dij:.1f} x)")
    n0 = next(iter(demands))
    t_np, _ = best_of(lambda: nx_nearest(demands[n0], True), 1)
    out(f"{n0:,} demand, networkx also naming the nearest facility (multi_source_dijkstra, paths): "
        f"{t_np:.3f} s, ratio {t_np / t_mz[n0]:.1f} x (for information)")
    out()
    out("## targets")
    for n in demands:
        out(f"{n:,} demand: target <= 3 us/pt: {'met' if snap_us[n] <= 3.0 else 'not met'} "
            f"({snap_us[n]:.2f} us/pt)")
        r = t_nx[n] / t_mz[n]
        out(f"{n:,} demand: target nearest >= 40x networkx: {'met' if r >= 40 else 'not met'} "
            f"({r:.1f} x; bare scipy dijkstra alone {t_nx[n] / t_dij:.1f} x)")


if __name__ == "__main__":
    main()
