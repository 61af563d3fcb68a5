"""Benchmark: the synthetic Zhejiang province (``mzgeo.demo.build_province``), single process vs Dask.

Usage::

    python benchmarks/bench_province.py [--scale all|N|F] [--scales 1,4,16,all] [--out DIR]
                                        [--workers 2] [--density 1] [--fresh]

1. **Scaling table** — for each entry of ``--scales`` (counties, in the build order of
   :func:`mzgeo.demo.build_province`), in a fresh subprocess: build time, file size,
   villages, road lines, nodes/edges of the walk and drive networks, time of
   ``Network.from_lines``, of ``coverage`` (every village to the shelters within 10 minutes'
   walk) and of ``od`` (villages to institutions within 30 minutes' drive), and the peak
   RSS of the process. Written to ``DIR/scaling.csv`` and plotted to ``DIR/scaling.png``.
2. **Single process vs LocalCluster** — at ``--scale`` (default the whole province): the
   same ``coverage`` and ``od`` on one network in this process, then partitioned per county
   (``partition="county"``) in this process (``executor=None``) and on a
   ``LocalCluster`` of ``--workers`` processes (``executor="local"``), with the speed-up
   (target ≥ 1.7× with 2 workers), the peak RSS of every worker (sampled every 0.25 s through
   ``client.run``; target ≤ 2 GB) and of this process, and a check that the partitioned
   results equal the single-network ones. Without the partition API this part prints
   ``partitioned run: needs the partition API``.

The builds go to ``DIR/cache`` (``--fresh`` deletes it first, to time the build again);
nothing is written into the repository. Times are wall-clock seconds on a machine that may be
shared: compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import mzgeo  # noqa: E402
from mzgeo import settings  # noqa: E402
from mzgeo.demo import build_province  # noqa: E402

N_COUNTIES = 90


def parse_scale(text: str) -> Any:
    """``all`` → 1.0, ``16`` → 16 counties, ``0.5`` → half of them."""
    if text == "all":
        return 1.0
    return float(text) if "." in text else int(text)


def n_of(scale: Any) -> int:
    if isinstance(scale, float):
        return max(1, round(scale * N_COUNTIES))
    return int(scale)


class PeakRSS:
    """Peak resident memory (bytes) of this process while the block runs (sampled)."""

    def __init__(self, every_s: float = 0.1) -> None:
        self.every_s = every_s
        self.peak = 0
        self._stop = threading.Event()

    def _loop(self) -> None:
        proc = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, proc.memory_info().rss)
            self._stop.wait(self.every_s)

    def __enter__(self) -> PeakRSS:
        self.peak = psutil.Process().memory_info().rss
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, psutil.Process().memory_info().rss)


class WorkerRSS:
    """Peak RSS (bytes) of every Dask worker while the block runs (``client.run`` sampling)."""

    def __init__(self, client: Any, every_s: float = 0.25) -> None:
        self.client = client
        self.every_s = every_s
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()

    def _sample(self) -> None:
        with contextlib.suppress(Exception):
            for w, rss in self.client.run(lambda: __import__("psutil").Process().memory_info().rss).items():
                self.peak[w] = max(self.peak.get(w, 0), int(rss))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.every_s)

    def __enter__(self) -> WorkerRSS:
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


def timed(func: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - t0


def load(scale: Any, cache: Path, density: float) -> tuple[Any, float]:
    t0 = time.perf_counter()
    prov = build_province(scale, folder=cache, density=density)
    return prov, time.perf_counter() - t0


# --- one row of the scaling table (run in a subprocess) ------------------------------------------

def one(scale: Any, cache: Path, density: float) -> dict[str, Any]:
    row: dict[str, Any] = {"counties": n_of(scale)}
    with PeakRSS() as mem:
        prov, t_load = load(scale, cache, density)
        row["build_s"] = prov.meta.get("build_s")
        row["call_s"] = round(t_load, 2)  # build_province: generate + write + read back
        row["gpkg_mb"] = round(prov.meta["bytes"]["province.gpkg"] / 1e6, 1)
        row["villages"] = len(prov.villages)
        row["road_lines"] = len(prov.roads)
        walk, t_walk = timed(mzgeo.Network.from_lines, prov.roads, mode="walk", cache=False)
        drive, t_drive = timed(mzgeo.Network.from_lines, prov.roads, mode="drive", cache=False)
        row.update(walk_nodes=walk.n_nodes, walk_edges=walk.n_edges, drive_nodes=drive.n_nodes,
                   drive_edges=drive.n_edges, components=walk.n_components,
                   from_lines_s=round(t_walk + t_drive, 2))
        cov, t_cov = timed(mzgeo.coverage, prov.shelters, prov.villages, network=walk, minutes=10)
        od, t_od = timed(drive.od, prov.institutions, prov.villages, cutoff_minutes=30)
        row.update(coverage_s=round(t_cov, 2), od_s=round(t_od, 2), od_pairs=len(od.table),
                   covered_share=round(float(cov.points["covered"].mean()) if "covered" in cov.points else np.nan, 4))
    row["peak_rss_mb"] = round(mem.peak / 1e6)
    return row


def scaling(scales: list[Any], out: Path, cache: Path, density: float) -> pd.DataFrame:
    rows = []
    for s in scales:
        cmd = [sys.executable, __file__, "--one", json.dumps(s), "--out", str(out), "--density", str(density)]
        res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if res.returncode:
            print(res.stderr[-3000:])
            raise SystemExit(f"scaling run {s} failed")
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(f"  {r['counties']:>3} counties: build {r['build_s']} s, {r['gpkg_mb']} MB, {r['villages']:,} villages, "
              f"{r['road_lines']:,} road lines, walk {r['walk_nodes']:,} nodes / {r['walk_edges']:,} edges, "
              f"from_lines {r['from_lines_s']} s, coverage {r['coverage_s']} s, od {r['od_s']} s, "
              f"peak {r['peak_rss_mb']:,} MB", flush=True)
    table = pd.DataFrame(rows)
    table.to_csv(out / "scaling.csv", index=False)
    return table


def plot(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    n = table["counties"]
    for col, label in (("build_s", "build (generate + write)"), ("from_lines_s", "Network.from_lines (walk + drive)"),
                       ("coverage_s", "coverage, 10 min walk"), ("od_s", "od, 30 min drive")):
        ax1.plot(n, table[col], "o-", label=label)
    ax1.set(xscale="log", yscale="log", xlabel="counties", ylabel="wall time (s)", title="time vs counties")
    ax1.legend(fontsize=8)
    ax2.plot(n, table["peak_rss_mb"], "o-", color="C4", label="peak RSS, one process")
    ax2b = ax2.twinx()
    ax2b.plot(n, table["walk_nodes"], "s--", color="C5", label="walk network nodes")
    ax2.set(xscale="log", yscale="log", xlabel="counties", ylabel="peak RSS (MB)", title="memory and size")
    ax2b.set(yscale="log", ylabel="nodes")
    ax2.legend(loc="upper left", fontsize=8)
    ax2b.legend(loc="lower right", fontsize=8)
    fig.suptitle("mzgeo on the synthetic Zhejiang province (build_province)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- single process vs partitioned ------------------------------------------------------------------

def has_partition_api() -> tuple[bool, bool]:
    """(coverage takes partition=, Network.od takes partition=)."""
    cov = "partition" in inspect.signature(mzgeo.coverage).parameters
    od = "partition" in inspect.signature(mzgeo.Network.od).parameters
    return cov, od


def compare(scale: Any, cache: Path, density: float, workers: int) -> None:
    prov, t_load = load(scale, cache, density)
    m = prov.meta
    print(f"province: {len(prov.codes)} counties, {m['rows']['villages']:,} villages, "
          f"{m['rows']['shelters']:,} shelters, {m['rows']['institutions']:,} institutions, "
          f"{m['rows']['roads']:,} road lines ({m['road_vertices']:,} vertices); "
          f"GeoPackage {m['bytes']['province.gpkg'] / 1e6:.1f} MB; built in {m['build_s']} s, loaded in {t_load:.1f} s")
    with PeakRSS() as mem_net:
        walk, t_walk = timed(mzgeo.Network.from_lines, prov.roads, mode="walk", cache=False)
        drive, t_drive = timed(mzgeo.Network.from_lines, prov.roads, mode="drive", cache=False)
    print(f"networks: walk {walk.n_nodes:,} nodes / {walk.n_edges:,} edges ({t_walk:.1f} s), "
          f"drive {drive.n_nodes:,} nodes / {drive.n_edges:,} edges ({t_drive:.1f} s), "
          f"{walk.n_components} component(s); peak RSS {mem_net.peak / 1e6:,.0f} MB")
    with PeakRSS() as mem1:
        cov1, t_cov1 = timed(mzgeo.coverage, prov.shelters, prov.villages, network=walk, minutes=10)
        od1, t_od1 = timed(drive.od, prov.institutions, prov.villages, cutoff_minutes=30)
    print(f"single process: coverage (10 min walk, {len(prov.villages):,} villages → {len(prov.shelters):,} shelters) "
          f"{t_cov1:.1f} s; od (30 min drive → {len(prov.institutions):,} institutions, {len(od1.table):,} pairs) "
          f"{t_od1:.1f} s; total {t_cov1 + t_od1:.1f} s; peak RSS {mem1.peak / 1e6:,.0f} MB")
    print(f"  {cov1.headline}")
    cov_ok, od_ok = has_partition_api()
    if not (cov_ok or od_ok):
        print("partitioned run: needs the partition API")
        return
    from mzgeo.network import partition as part

    def run(executor: Any) -> tuple[dict[str, float], Any, Any]:
        t: dict[str, float] = {}
        cov = od = None
        if cov_ok:
            cov, t["coverage"] = timed(mzgeo.coverage, prov.shelters, prov.villages, network=walk, minutes=10,
                                       partition="county", executor=executor)
        if od_ok:
            od, t["od"] = timed(drive.od, prov.institutions, prov.villages, cutoff_minutes=30,
                                partition="county", executor=executor)
        return t, cov, od

    def same(cov: Any, od: Any) -> str:
        ok = []
        if cov is not None:
            ok.append(cov.points.drop(columns="geometry").equals(cov1.points.drop(columns="geometry")))
        if od is not None:
            a = od.table.sort_values(["origin", "destination"]).reset_index(drop=True)
            b = od1.table.sort_values(["origin", "destination"]).reset_index(drop=True)
            ok.append(a[["origin", "destination"]].equals(b[["origin", "destination"]])
                      and bool(np.allclose(a["minutes"], b["minutes"], rtol=0, atol=1e-9)))
        return "equal" if all(ok) else "DIFFERENT"

    if not cov_ok:
        print("partitioned coverage: needs the partition API (coverage(partition=...)); od only")
    with PeakRSS() as mem_s:
        t_s, cov_s, od_s = run(None)
    print("partitioned, this process (executor=None): "
          + ", ".join(f"{k} {v:.1f} s" for k, v in t_s.items())
          + f"; peak RSS {mem_s.peak / 1e6:,.0f} MB; results {same(cov_s, od_s)} to the single network")
    settings.workers = workers
    client, t_start = timed(part.get_client, "local")
    print(f"LocalCluster: {workers} workers started in {t_start:.1f} s "
          f"(memory limit {settings.worker_memory_limit} each)")
    with PeakRSS() as mem_c, WorkerRSS(client) as mem_w:
        t_l, cov_l, od_l = run("local")
    total_1 = sum(v for k, v in (("coverage", t_cov1), ("od", t_od1)) if k in t_l)
    total_s = sum(t_s.values())
    total_l = sum(t_l.values())
    peaks = sorted(mem_w.peak.values())
    print(f"partitioned, LocalCluster ({workers} workers): "
          + ", ".join(f"{k} {v:.1f} s" for k, v in t_l.items())
          + f"; results {same(cov_l, od_l)} to the single network")
    print(f"  speed-up: {total_1 / total_l:.2f}x over the single network, {total_s / total_l:.2f}x over "
          f"partitioned in this process (target >= 1.7x)")
    print(f"  peak RSS per worker: {', '.join(f'{p / 1e6:,.0f} MB' for p in peaks)} (target <= 2,000 MB); "
          f"client process {mem_c.peak / 1e6:,.0f} MB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", default="all", help="counties of the comparison: all, a number or a fraction")
    ap.add_argument("--scales", default="1,4,16,all", help="rows of the scaling table ('' skips it)")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "mzgeo_bench_province")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--density", type=float, default=1.0)
    ap.add_argument("--fresh", action="store_true", help="delete DIR/cache first (time the builds again)")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    out: Path = args.out
    cache = out / "cache"
    if args.one is not None:
        print(json.dumps(one(json.loads(args.one), cache, args.density)))
        return 0
    if args.fresh and cache.exists():
        shutil.rmtree(cache)
    out.mkdir(parents=True, exist_ok=True)
    settings.cache_folder = out / "net_cache"  # partition networks of a local cluster go here
    print(f"bench_province: output in {out}; {psutil.cpu_count()} CPUs, "
          f"{psutil.virtual_memory().total / 1e9:.0f} GB RAM; density {args.density}")
    if args.scales:
        scales = [parse_scale(s) for s in args.scales.split(",")]
        print("scaling (each row in a fresh process):")
        table = scaling(scales, out, cache, args.density)
        plot(table, out / "scaling.png")
        print(table.to_string(index=False))
        lo, hi = table.iloc[0], table.iloc[-1]
        dn = max(hi["counties"] - lo["counties"], 1)

        def slope(col: str) -> float:
            return float(hi[col] - lo[col]) / dn if len(table) > 1 else float(hi[col]) / hi["counties"]

        print(f"per county (slope from {lo['counties']} to {hi['counties']} counties): build {slope('build_s'):.2f} s, "
              f"{slope('walk_nodes'):,.0f} walk nodes, {slope('walk_edges'):,.0f} walk edges, "
              f"from_lines {slope('from_lines_s'):.3f} s, coverage {slope('coverage_s'):.3f} s, "
              f"od {slope('od_s'):.3f} s, peak RSS {slope('peak_rss_mb'):.1f} MB")
        print(f"wrote {out / 'scaling.csv'} and {out / 'scaling.png'}")
    compare(parse_scale(args.scale), cache, args.density, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
