"""Run the speed benchmarks of mzgeo in one go and print every target line at the end.

Each benchmark runs in its own process (so peak-memory figures are its own), its output is
streamed as it comes, and the lines that state a target (``target``) are repeated in a summary
at the end, with the script they came from.

Usage::

    python benchmarks/run_all.py            # the full figures (about an hour on 2 cores)
    python benchmarks/run_all.py --quick    # smaller sizes, a few minutes
    python benchmarks/run_all.py --only snap excel
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name -> (script, full-run arguments, quick-run arguments)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "network": ("bench_network.py", [], ["--nodes", "50000"]),
    "snap": ("bench_snap.py", [], ["--demand", "2000"]),
    "build": ("bench_build.py", [], ["--quick"]),
    "excel": ("bench_excel.py", [], ["--quick"]),
    "allocate": ("bench_allocate.py", [], ["--quick"]),
    "province": ("bench_province.py", [], ["--scale", "4", "--scales", ""]),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes and limits")
    ap.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    args = ap.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]))
    summary: list[tuple[str, str]] = []
    failed: list[str] = []
    for name in names:
        script, full, quick = BENCHMARKS[name]
        path = HERE / script
        if not path.exists():
            summary.append((name, f"(no {script})"))
            continue
        cmd = [sys.executable, str(path), *(quick if args.quick else full)]
        print(f"\n===== {name}: {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            print(line, end="", flush=True)
            if "target" in line.lower():
                summary.append((name, line.strip()))
        rc = proc.wait()
        print(f"===== {name}: exit {rc} after {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(name)
    print("\n===== targets")
    for name, line in summary:
        print(f"[{name}] {line}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
