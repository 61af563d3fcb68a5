"""Benchmark of mzgeo.allocate's MCLP against PySAL spopt + CBC and spopt + HiGHS (through PuLP).

Run::

    python benchmarks/bench_allocate.py            # full run (tens of minutes: spopt gets 300 s per run)
    python benchmarks/bench_allocate.py --quick    # a few minutes, smaller instances and limits
    python benchmarks/bench_allocate.py --only hard-uniform --spopt-limit 600

Instances: demand points and candidates in a 10 km square; the coverage radius is set so that a
demand point has about 20 candidates within it (``--per-point``); weights are integers 1–100
(elderly per village). ``uniform`` scatters demand uniformly (the hardest case for exact
solvers: the LP relaxation is very fractional); ``clustered`` puts demand around n/100 towns
(σ = 600 m), as villages cluster around towns. Travel time = distance scaled so the radius is
10 minutes.

What is timed (wall clock, model building included):

* mzgeo: ``MCLP.from_cost_matrix(long table).solve(time_limit_s=...)`` — sparse pairs only;
* spopt: ``MCLP.from_cost_matrix(dense matrix)`` (its model building in Python/PuLP) and
  ``.solve(solver)`` with ``PULP_CBC_CMD(timeLimit=...)`` or ``pulp.HiGHS(timeLimit=...)``.

PuLP's ``problem.status`` says "Optimal" whenever a solution exists, even after a time limit;
the benchmark prints ``sol_status`` as well, and measures every solution's coverage itself and
its gap against the best bound proven by any solver (mzgeo's HiGHS dual bound or LP bound).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

RADIUS_MIN = 10.0


def make_instance(n: int, m: int, seed: int, layout: str, per_point: float = 20.0):
    """Demand weights, long-form table within the radius, dense minutes (for spopt)."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    side = 10_000.0
    if layout == "clustered":
        k = max(10, n // 100)
        centres = rng.uniform(0, side, (k, 2))
        d = centres[rng.integers(0, k, n)] + rng.normal(0, 600, (n, 2))
    else:
        d = rng.uniform(0, side, (n, 2))
    c = rng.uniform(0, side, (m, 2))
    r = side * math.sqrt(per_point / (math.pi * m))
    w = rng.integers(1, 101, n).astype(float)
    coo = cKDTree(d).sparse_distance_matrix(cKDTree(c), r, output_type="coo_matrix")
    long = pd.DataFrame({"origin": coo.row, "destination": coo.col, "minutes": coo.data / r * RADIUS_MIN})
    return w, long, d, c, r


def choose_p(w: np.ndarray, long: pd.DataFrame, n: int, m: int, target: float) -> int:
    """Smallest p at which the greedy covers ``target`` of the weight (1.0 = all that is coverable)."""
    import scipy.sparse as sp

    from mzgeo.locate._highs import greedy_max_cover

    a = sp.csr_matrix((np.ones(len(long)), (long["origin"], long["destination"])), shape=(n, m))
    _, gains = greedy_max_cover(a, w, m)
    share = np.cumsum(gains) / (w.sum() if target < 1 else gains.sum())
    return int(np.searchsorted(share, min(target, 1.0) - 1e-12) + 1)


def dense_minutes(d: np.ndarray, c: np.ndarray, r: float) -> np.ndarray:
    from scipy.spatial.distance import cdist

    return cdist(d, c) / r * RADIUS_MIN


def covered_weight(long: pd.DataFrame, w: np.ndarray, sites: np.ndarray) -> float:
    sel = long[long["destination"].isin(sites) & (long["minutes"] <= RADIUS_MIN)]
    return float(w[np.unique(sel["origin"].to_numpy())].sum())


def run_mzgeo(w, long, m, p, limit):
    from mzgeo.locate import MCLP

    t0 = time.perf_counter()
    mod = MCLP.from_cost_matrix(long, pd.Series(w), minutes=RADIUS_MIN, p=p, candidate_labels=range(m))
    build = time.perf_counter() - t0
    mod.solve(time_limit_s=limit)
    total = time.perf_counter() - t0
    sites = np.asarray(mod.new_sites, dtype=np.int64)
    return {
        "solver": "mzgeo (HiGHS via highspy)", "build_s": build, "total_s": total, "status": mod.status,
        "sol_status": "-", "objective": covered_weight(long, w, sites), "bound": mod.bound,
        "reported_gap": mod.gap, "warm_start": mod.params.get("warm_start_objective"), "params": mod.params,
    }


CHECKPOINTS_S = (10, 30, 60, 120, 200, 300, 600)


def report_mzgeo(mz: dict, limit: float) -> None:
    """Print mzgeo's reductions, its bound and gap over time, and its time to proof."""
    par = mz["params"]
    bb = ""
    if "n_rows_branch_and_bound" in par:
        bb = (f"; branch and bound on {par['n_rows_branch_and_bound']} rows x "
              f"{par['n_candidates_branch_and_bound']} columns after Lagrangian fixing "
              f"({par.get('n_fixed_closed', 0)} closed, {par.get('n_fixed_open', 0)} open)")
    print(f"    mzgeo reductions: {par.get('reductions', '-')}{bb}; LP bound {par.get('lp_bound', float('nan')):,.1f}")
    trace = par.get("bound_trace") or []
    if trace:
        cells, shown = [], set()
        for cp in CHECKPOINTS_S:
            past = [e for e in trace if e[0] <= cp]
            if past and past[-1] not in shown:
                t, b, v = past[-1]
                shown.add(past[-1])
                cells.append(f"{t:.0f} s: bound {b:,.0f} best {v:,.0f} gap {(b - v) / v:.2%}")
        t, b, v = trace[-1]
        if trace[-1] not in shown:
            cells.append(f"end {t:.0f} s: bound {b:,.0f} best {v:,.0f} gap {(b - v) / v:.2%}")
        print("    mzgeo bound over time: " + "; ".join(cells))
    if par.get("proven_optimal"):
        print(f"    mzgeo time to proof: {mz['total_s']:.1f} s (status {mz['status']}, true gap 0)")
    else:
        print(f"    mzgeo: NOT proven within its {limit:g} s limit (status {mz['status']}, "
              f"true gap {mz['reported_gap']:.3%})")


def run_spopt(w, dense, p, limit, which):
    import pulp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from spopt.locate import MCLP as SMCLP

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = SMCLP.from_cost_matrix(dense, w, RADIUS_MIN, p_facilities=p)
    build = time.perf_counter() - t0
    if which == "cbc":
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit, gapRel=0)
        name = "spopt + CBC (PuLP)"
    else:
        solver = pulp.HiGHS(msg=False, timeLimit=limit, gapRel=0)
        name = "spopt + HiGHS (PuLP)"
    error = ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mod.problem.solve(solver)
    except Exception as exc:  # report and go on: the benchmark must finish
        error = f"{type(exc).__name__}: {exc}"[:80]
    total = time.perf_counter() - t0
    sites = np.flatnonzero([(v.value() or 0) > 0.5 for v in mod.fac_vars])
    status = pulp.LpStatus.get(mod.problem.status, str(mod.problem.status))
    sol_status = pulp.constants.LpSolution.get(mod.problem.sol_status, str(mod.problem.sol_status))
    return {
        "solver": name, "build_s": build, "total_s": total, "status": status + (f" [{error}]" if error else ""),
        "sol_status": sol_status, "objective": np.nan, "sites": sites, "bound": np.nan, "reported_gap": np.nan,
        "warm_start": None,
    }


def regime(label, n, m, target, layout, seed, mz_limit, sp_limit, solvers, per_point):
    w, long, d, c, r = make_instance(n, m, seed, layout, per_point)
    total_w = w.sum()
    p = choose_p(w, long, n, m, target)
    print(f"\n=== {label}: MCLP {layout}, {n} demand × {m} candidates, "
          f"{len(long) / n:.1f} candidates per demand point within {RADIUS_MIN:g} min, p = {p} "
          f"(greedy covers {target:.0%} with p sites), seed {seed}")
    print(f"    time limits: mzgeo {mz_limit:g} s, spopt {sp_limit:g} s; cores: {os.cpu_count()}")
    rows = [run_mzgeo(w, long, m, p, mz_limit)]
    dense = dense_minutes(d, c, r) if any(s != "mzgeo" for s in solvers) else None
    for which in ("cbc", "highs"):
        if which in solvers:
            res = run_spopt(w, dense, p, sp_limit, which)
            res["objective"] = covered_weight(long, w, res.pop("sites"))
            rows.append(res)
    best_bound = min(x["bound"] for x in rows if np.isfinite(x["bound"]))
    best_obj = max(x["objective"] for x in rows)
    for x in rows:
        x["share"] = x["objective"] / total_w
        x["gap_vs_bound"] = (best_bound - x["objective"]) / x["objective"] if x["objective"] > 0 else np.nan
    table = pd.DataFrame(rows)[["solver", "build_s", "total_s", "status", "sol_status", "objective", "share",
                                 "gap_vs_bound", "reported_gap"]]
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.float_format",
                           lambda v: f"{v:,.4g}"):
        print(table.to_string(index=False))
    mz = rows[0]
    report_mzgeo(mz, mz_limit)
    proven = mz["status"] == "Optimal"
    print(f"    best proven bound {best_bound:,.1f}; best solution {best_obj:,.0f}; mzgeo warm start "
          f"{mz['warm_start']:,.0f}" if mz["warm_start"] else f"    best proven bound {best_bound:,.1f}")
    for x in rows[1:]:
        ratio = x["total_s"] / mz["total_s"]
        other_proven = x["sol_status"] == "Optimal Solution Found" and x["status"] == "Optimal" and (
            x["total_s"] < sp_limit)
        if proven:
            what = "proven optimum" if other_proven else f"its stop ({x['status']}, sol_status {x['sol_status']})"
            bound_txt = "" if other_proven else " (a lower bound on the speed-up: it did not prove optimality)"
            print(f"    ratio {x['solver']} / mzgeo to {what}: {ratio:.1f}×{bound_txt}")
        else:
            print(f"    ratio of wall time {x['solver']} / mzgeo: {ratio:.1f}×; objective mzgeo / {x['solver']}: "
                  f"{mz['objective'] / x['objective']:.4f} (gap to best bound: mzgeo {mz['gap_vs_bound']:.3%}, "
                  f"{x['solver']} {x['gap_vs_bound']:.3%})")
    return rows


def demo_timing():
    """Time the whole Huzhou demo recommendation (network, candidates, MCLP), when available."""
    try:
        from mzgeo import settings
        from mzgeo.demo import load_demo
        from mzgeo.locate import allocate, candidate_sites
        from mzgeo.network import Network
    except Exception as exc:  # pragma: no cover - depends on the other modules
        print(f"\n=== Huzhou demo: skipped ({type(exc).__name__}: {exc})")
        return
    print("\n=== Huzhou demo recommendation (synthetic demo data, walking network)")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        demo = load_demo()
        t_load = time.perf_counter() - t0
        t1 = time.perf_counter()
        walk = Network.from_lines(demo.roads, mode="walk", class_col="road_class", cache=False)
        t_net = time.perf_counter() - t1
        t2 = time.perf_counter()
        cand_day = candidate_sites(demo.villages, how="villages", existing=demo.daycare)
        res_day = allocate(demo.villages, cand_day, model="mclp", network=walk, minutes=settings.daycare_minutes_rural,
                           p=20, existing=demo.daycare, weight_col="elderly")
        t_day = time.perf_counter() - t2
        t3 = time.perf_counter()
        cand_sh = candidate_sites(demo.villages, how="villages", existing=demo.shelters)
        res_sh = allocate(demo.villages, cand_sh, model="mclp", network=walk, minutes=settings.shelter_minutes, p=30,
                          existing=demo.shelters, weight_col="population")
        t_sh = time.perf_counter() - t3
    total = time.perf_counter() - t0
    print(f"    load demo {t_load:.2f} s; walking network {t_net:.2f} s; day-care MCLP (p=20, "
          f"{len(cand_day)} candidates) {t_day:.2f} s; shelters MCLP (p=30, {len(cand_sh)} candidates) {t_sh:.2f} s")
    print(f"    {res_day.summary('照料中心')}")
    print(f"    {res_sh.summary('避灾安置场所')}")
    print(f"    whole recommendation: {total:.2f} s (target < 10 s): {'met' if total < 10 else 'NOT met'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller instances and time limits (a few minutes)")
    ap.add_argument("--only", default=None, help="run one regime: hard-uniform, hard-clustered, proof, easy, demo")
    ap.add_argument("--mz-limit", type=float, default=None, help="mzgeo time limit in the hard regimes (s)")
    ap.add_argument("--spopt-limit", type=float, default=None, help="spopt time limit (s)")
    ap.add_argument("--per-point", type=float, default=20.0, help="candidates per demand point within the radius")
    ap.add_argument("--no-spopt", action="store_true", help="mzgeo only")
    ap.add_argument("--no-highs-pulp", action="store_true", help="skip spopt + HiGHS through PuLP")
    args = ap.parse_args(argv)
    import highspy
    import pulp

    print(f"python {sys.version.split()[0]}, highspy {highspy.Highs().version()}, pulp {pulp.__version__}, "
          f"PuLP solvers {pulp.listSolvers(onlyAvailable=True)}")
    solvers = ["mzgeo"] + ([] if args.no_spopt else ["cbc"] + ([] if args.no_highs_pulp else ["highs"]))
    if args.quick:
        sizes = {"hard": (3000, 300, 0.8), "proof": (2000, 200, 0.8), "easy": (3000, 300, 1.0)}
        mz_limit, sp_limit = args.mz_limit or 20.0, args.spopt_limit or 60.0
    else:
        sizes = {"hard": (10_000, 1_000, 0.8), "proof": (5_000, 500, 0.8), "easy": (10_000, 1_000, 1.0)}
        mz_limit, sp_limit = args.mz_limit or 300.0, args.spopt_limit or 300.0
    plan = [
        ("hard-uniform", "hard regime, uniform demand", *sizes["hard"], "uniform", mz_limit),
        ("hard-clustered", "hard regime, clustered demand", *sizes["hard"], "clustered", mz_limit),
        ("proof", "proven optimum, clustered demand", *sizes["proof"], "clustered", sp_limit),
        ("easy", "easy regime (p covers everything reachable)", *sizes["easy"], "uniform", sp_limit),
    ]
    for key, label, n, m, p, layout, lim in plan:
        if args.only and args.only != key:
            continue
        regime(label, n, m, p, layout, 0, lim, sp_limit, solvers, args.per_point)
    if not args.only or args.only == "demo":
        demo_timing()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
