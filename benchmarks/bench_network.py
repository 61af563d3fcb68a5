"""Benchmark of mzgeo.Network against its peers, printed as figures with ratios in one run.

A synthetic road-like network (a perturbed grid, about 4 directed edges per node, roads of
three classes at 30/40/60 km/h, a tenth of the minor roads one-way, a few percent of the
roads missing) is routed by mzgeo, by the bare scipy call mzgeo wraps, by networkx, by
the OSMnx isochrone recipe and, when installed, by pandana.

Usage::

    python benchmarks/bench_network.py                              # 250,000 nodes, 500 facilities
    python benchmarks/bench_network.py --nodes 1000000 --no-peers   # the large run, memory

Service areas: mzgeo's default generalised polygons are timed on all facilities (one-time
edge sampling included); the exact (detailed) polygons and the OSMnx recipe are timed on a
sample of the same facilities and extrapolated (labelled as such).

Peak memory is the process's maximum resident set size (``ru_maxrss``), read right after
the mzgeo part, before any peer builds its own graph.
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import resource
import sys
import time
import tracemalloc
import warnings

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from mzgeo import DataWarning, settings
from mzgeo import network as mzgeo_network
from mzgeo.network import Network, _graph, isochrone

log = logging.getLogger("mzgeo.bench")
CRS = 4549
X0, Y0 = 500000.0, 3300000.0
SPACING_M = 100.0


def out(line: str = "") -> None:
    """The benchmark's report goes to standard output (this is a script, not library code)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def best_of(fn, repeat: int = 3) -> tuple[float, object]:
    best, res = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = fn()
        best = min(best, time.perf_counter() - t0)
    return best, res


def synthetic(n_nodes: int, seed: int) -> dict[str, np.ndarray]:
    """Perturbed grid: node coordinates and segments (u, v, seconds forward/backward, class)."""
    rng = np.random.default_rng(seed)
    side = round(math.sqrt(n_nodes))
    iy, ix = np.divmod(np.arange(side * side), side)
    x = X0 + ix * SPACING_M + rng.uniform(-25, 25, side * side)
    y = Y0 + iy * SPACING_M + rng.uniform(-25, 25, side * side)
    idx = np.arange(side * side).reshape(side, side)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    row = np.concatenate([np.repeat(np.arange(side), side - 1), np.tile(np.arange(side), side - 1)])
    klass = np.where(row % 10 == 0, "primary", np.where(row % 5 == 0, "secondary", "residential"))
    keep = rng.random(len(u)) > 0.03
    u, v, klass = u[keep], v[keep], klass[keep]
    kph = np.select([klass == "primary", klass == "secondary"], [60.0, 40.0], 30.0)
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    sec = length / (kph / 3.6)
    fwd, bwd = sec.copy(), sec.copy()
    oneway = (klass == "residential") & (rng.random(len(u)) < 0.1)
    flip = rng.random(len(u)) < 0.5
    bwd[oneway & ~flip] = np.inf
    fwd[oneway & flip] = np.inf
    return {"x": x, "y": y, "u": u, "v": v, "fwd": fwd, "bwd": bwd, "class": klass}


def points_near_nodes(net: Network, k: int, rng: np.random.Generator, jitter_m: float) -> gpd.GeoDataFrame:
    # node arrays rather than the ``nodes`` GeoDataFrame (a point object per node: the
    # benchmark's own memory, not the routing's)
    main = np.flatnonzero(net._node_main)
    pick = rng.choice(main, k, replace=k > len(main))
    xy = net._node_xy[pick] + rng.uniform(-jitter_m, jitter_m, (k, 2))
    return gpd.GeoDataFrame({"name": [f"p{i}" for i in range(k)]}, geometry=shapely.points(xy), crs=CRS)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=250_000, help="nodes of the synthetic grid (250000 or 1000000)")
    ap.add_argument("--facilities", type=int, default=500)
    ap.add_argument("--minutes", type=float, default=15.0, help="service-area break and OD cutoff (min)")
    ap.add_argument("--od-demand", type=int, default=10_000)
    ap.add_argument("--od-facilities", type=int, default=1_000)
    ap.add_argument("--sa-sample", type=int, default=0,
                    help="compute mzgeo generalized polygons for this many facilities and extrapolate (0 = all)")
    ap.add_argument("--detailed-sample", type=int, default=5,
                    help="facilities timed for mzgeo's exact (detailed) polygons, extrapolated (0 = skip)")
    ap.add_argument("--recipe-sample", type=int, default=10, help="facilities timed for the OSMnx recipe")
    ap.add_argument("--no-peers", action="store_true", help="skip networkx/OSMnx/pandana (memory runs)")
    ap.add_argument("--no-areas", action="store_true", help="skip service areas (routing-only memory runs)")
    ap.add_argument("--pandana-max-nodes", type=int, default=250_000, help="run pandana only up to this size")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    settings.use_cache = False
    warnings.simplefilter("ignore", DataWarning)
    rng = np.random.default_rng(args.seed)

    out(f"# mzgeo network benchmark: {args.nodes:,} nodes requested, {args.facilities} facilities, "
        f"{args.minutes:g} min")
    t0 = time.perf_counter()
    g = synthetic(args.nodes, args.seed)
    net = Network.from_arrays(g["x"], g["y"], g["u"], g["v"], g["fwd"], seconds_back=g["bwd"], crs=CRS,
                              road_class=g["class"], mode="drive")
    t_build = time.perf_counter() - t0
    del g  # the generator's arrays are not part of mzgeo's memory
    gc.collect()
    out(f"network: {net.n_nodes:,} nodes, {net.n_edges:,} directed edges, {net.n_components} strong components; "
        f"built from arrays in {t_build:.2f} s")
    fac = points_near_nodes(net, args.facilities, rng, 20.0)

    # -- 1. nearest facility for all nodes -------------------------------------------------
    t0 = time.perf_counter()
    net.node_nearest(fac)  # first call builds the sparse graph, components and spatial index
    t_first = time.perf_counter() - t0
    t_mz, res_mz = best_of(lambda: net.node_nearest(fac))
    snapped = net.snap(fac)
    GT = net._graph(transpose=True)
    fac_nodes = np.unique(net._u[snapped["segment"].to_numpy(dtype=np.int64)])
    t_sp, _ = best_of(lambda: dijkstra(GT, directed=True, indices=fac_nodes, min_only=True,
                                       return_predecessors=True))
    t_sp_nopred, _ = best_of(lambda: dijkstra(GT, directed=True, indices=fac_nodes, min_only=True))
    out()
    out("## nearest facility for every node (one multi-source pass)")
    out(f"mzgeo Network.node_nearest      {t_mz:8.3f} s   (first call incl. graph/index set-up {t_first:.2f} s)")
    out(f"bare scipy dijkstra min_only    {t_sp:8.3f} s   (with sources; without: {t_sp_nopred:.3f} s)")
    out(f"  ratio mzgeo / bare scipy      {t_mz / t_sp:8.2f} x   (target <= 1.5)")
    reach_ok = np.isfinite(res_mz["minutes"].to_numpy()).mean()
    out(f"  nodes reached: {reach_ok:.1%}")
    dem10k = points_near_nodes(net, args.od_demand, rng, 150.0)
    t_near, _ = best_of(lambda: net.nearest(fac, dem10k), repeat=2)
    out(f"mzgeo Network.nearest, {len(dem10k):,} demand points snapped to edges: {t_near:.3f} s")

    # -- 2. OD within cutoff ----------------------------------------------------------------
    out()
    out(f"## OD within {args.minutes:g} min: {args.od_demand:,} demand x {args.od_facilities:,} facilities")
    fac_od = points_near_nodes(net, args.od_facilities, rng, 20.0)
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    od = net.od(fac_od, dem10k, cutoff_minutes=args.minutes)
    t_od = time.perf_counter() - t0
    _, peak_od = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    res_bytes = od.matrix.data.nbytes + od.matrix.indices.nbytes + od.matrix.indptr.nbytes
    table_bytes = int(od.table.memory_usage(deep=False).sum())
    dense_bytes = args.od_demand * args.od_facilities * 8
    out(f"mzgeo Network.od                {t_od:8.2f} s   {od.n_pairs:,} pairs "
        f"({od.n_pairs / (args.od_demand * args.od_facilities):.2%} of all)")
    out(f"  result: sparse matrix {res_bytes / 2**20:.1f} MiB + table {table_bytes / 2**20:.1f} MiB; "
        f"a dense matrix would be {dense_bytes / 2**20:.1f} MiB; peak traced during od "
        f"{peak_od / 2**20:.1f} MiB (per-facility distance array of {net.n_nodes:,} nodes reused)")

    # -- 3. service areas ---------------------------------------------------------------------
    peak_routing = rss_mb()
    out()
    out(f"## peak memory after snapping and routing (ru_maxrss): {peak_routing:,.0f} MiB")
    n = net.n_nodes
    lim = args.minutes * 60
    t_sa = t_det = t_reach = math.nan
    if args.no_areas:
        out("service areas skipped (--no-areas)")
    else:
        out()
        out(f"## service areas, {args.facilities} facilities at {args.minutes:g} min (overlap: one polygon each)")
        n_sa = args.sa_sample or args.facilities
        note = "" if n_sa == args.facilities else f" (timed on {n_sa}, extrapolated to {args.facilities})"
        cell = mzgeo_network.SERVICE_AREA_CELL_M.get(net.mode, 50.0)
        gc.collect()
        t0 = time.perf_counter()
        sa = net.service_areas(fac.iloc[:n_sa], minutes=[args.minutes], how="overlap")
        t_sa = (time.perf_counter() - t0) * args.facilities / n_sa
        for key in ("edge_samples", "stars_to", "stars_from"):  # time the one-time part on its own
            net._lazy.pop(key, None)
        t0 = time.perf_counter()
        es = isochrone._edge_samples(net, cell)
        isochrone._stars(net, es, True)
        t_once = time.perf_counter() - t0
        out(f"mzgeo service_areas generalized {t_sa:8.2f} s for {args.facilities} facilities{note}, cell {cell:g} m, "
            f"incl. one-time edge samples + node stars {t_once:.2f} s ({es.nbytes / 2**20:.0f} MiB)")
        out(f"  {len(sa)} polygons, all valid: {bool(sa.is_valid.all())}; mean {sa.area.mean() / 1e6:.1f} km2, "
            f"{np.mean(shapely.get_num_coordinates(sa.geometry.values)):.0f} vertices")
        owner, node, cost = net._sources(net._snap(fac, None), np.arange(len(fac)), True)
        aug = _graph.augment(GT, owner, node, cost, len(fac))
        t0 = time.perf_counter()
        reached = [int(np.isfinite(dijkstra(aug, indices=n + k, limit=lim)[:n]).sum()) for k in range(len(fac))]
        t_reach = time.perf_counter() - t0
        out(f"  of which reach only (per-facility scipy with limit): {t_reach:.2f} s; "
            f"mean {np.mean(reached):,.0f} nodes reached per facility")
        peak_gen = rss_mb()
        out(f"  peak memory so far (ru_maxrss): {peak_gen:,.0f} MiB")
        k_det = min(args.detailed_sample, len(fac))
        if k_det:
            t0 = time.perf_counter()
            isochrone._faces(net)  # one-time planar faces of the network (for fill_holes), timed apart
            t_faces = time.perf_counter() - t0
            t0 = time.perf_counter()
            net.service_areas(fac.iloc[:k_det], minutes=[args.minutes], how="overlap", polygon="detailed")
            t_det = t_faces + (time.perf_counter() - t0) * args.facilities / k_det
            out(f"mzgeo service_areas detailed    {t_det:8.1f} s   (exact vector polygons: timed on {k_det} "
                f"facilities, extrapolated to {args.facilities}, incl. one-time planar faces {t_faces:.1f} s)")
            out(f"  ratio detailed / generalized  {t_det / t_sa:8.1f} x")
    peak_mz = rss_mb()
    out()
    out(f"## peak memory of the whole mzgeo part incl. service areas (ru_maxrss): {peak_mz:,.0f} MiB "
        f"(target < 2,048 MiB at 1,000,000 nodes)")

    if args.no_peers:
        out()
        out("peers skipped (--no-peers)")
        return

    # -- peers ----------------------------------------------------------------------------------
    import networkx as nx

    out()
    out("## peers")
    t0 = time.perf_counter()
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    m = GT.tocoo()
    # GT holds the reversed edges: (row=v, col=u) for road u->v; nearest facility from each node
    # = multi-source Dijkstra from the facilities on the reversed graph
    G.add_weighted_edges_from(zip(m.row.tolist(), m.col.tolist(), m.data.tolist(), strict=True), weight="w")
    out(f"networkx graph built in {time.perf_counter() - t0:.1f} s (not timed below)")
    t0 = time.perf_counter()
    nx.multi_source_dijkstra(G, set(fac_nodes.tolist()), weight="w")
    t_nx = time.perf_counter() - t0
    out(f"networkx multi_source_dijkstra  {t_nx:8.3f} s")
    out(f"  ratio networkx / mzgeo        {t_nx / t_mz:8.1f} x   (target >= 25)")
    out(f"  ratio networkx / bare scipy   {t_nx / t_sp:8.1f} x")

    xy = net._node_xy
    # OSMnx isochrone recipe: ego_graph by travel time + convex hull of the reached nodes, on
    # the first facilities of the same (randomly placed) list mzgeo timed
    if not args.no_areas:
        k = min(args.recipe_sample, len(fac))
        centres = net._u[snapped["segment"].to_numpy(dtype=np.int64)[:k]]
        sizes = []
        t0 = time.perf_counter()
        for c in centres:
            sub = nx.ego_graph(G, int(c), radius=lim, distance="w")
            sizes.append(len(sub))
            shapely.multipoints(xy[list(sub.nodes)]).convex_hull  # noqa: B018 - the recipe's polygon
        t_recipe = (time.perf_counter() - t0) * args.facilities / k
        out(f"OSMnx recipe ego_graph + hull   {t_recipe:8.1f} s   (timed on the first {k} of the same facilities, "
            f"extrapolated to {args.facilities}; mean {np.mean(sizes):,.0f} nodes reached)")
        out(f"  ratio recipe / mzgeo generalized {t_recipe / t_sa:6.1f} x   (target >= 50)")
        if not math.isnan(t_det):
            out(f"  ratio recipe / mzgeo detailed    {t_recipe / t_det:6.1f} x")
        out(f"  ratio recipe / mzgeo reach       {t_recipe / t_reach:6.1f} x   (routing part only)")
    del G
    gc.collect()

    if net.n_nodes > args.pandana_max_nodes:
        out(f"pandana skipped: {net.n_nodes:,} nodes > --pandana-max-nodes {args.pandana_max_nodes:,}")
        return
    try:
        import pandana
        import pandas as pd
    except ImportError:
        out("pandana not installed (pip install pandana): comparison skipped")
        return
    c = GT.tocoo()
    t0 = time.perf_counter()
    pnet = pandana.Network(
        pd.Series(xy[:, 0]), pd.Series(xy[:, 1]), pd.Series(c.col), pd.Series(c.row),
        pd.DataFrame({"s": c.data}), twoway=False,
    )
    t_ch = time.perf_counter() - t0
    t0 = time.perf_counter()
    pnet.set_pois("fac", lim, 1, pd.Series(xy[fac_nodes, 0]), pd.Series(xy[fac_nodes, 1]))
    pnet.nearest_pois(lim, "fac", num_pois=1)
    t_poi = time.perf_counter() - t0
    out(f"pandana 0.8: contraction hierarchy {t_ch:.1f} s + nearest_pois {t_poi:.2f} s = {t_ch + t_poi:.1f} s")
    out(f"  ratio pandana (build incl.) / mzgeo node_nearest {(t_ch + t_poi) / t_mz:8.1f} x; "
        f"query only {t_poi / t_mz:.1f} x")


if __name__ == "__main__":
    main()
