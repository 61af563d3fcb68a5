"""The yearly plan as a file: replayable runs, year-on-year comparison and the task ledger.

* :func:`run_plan` runs a whole analysis described in one TOML plan file and writes every
  output plus ``manifest.json`` (checksums, versions, parameters, timings, problems);
  :func:`init_plan` writes a commented template; :func:`load_plan` validates a plan.
* :func:`compare_runs` compares two run folders per administrative unit.
* :func:`ledger` reads the year's projects (年度任务台账) into completion figures.

Command-line form: ``mzgeo plan init``, ``mzgeo run plan.toml``, ``mzgeo compare RUN_A RUN_B``.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "compare_runs": "compare", "LedgerResult": "ledger", "ledger": "ledger", "RunSummary": "run",
    "run_plan": "run", "Plan": "spec", "init_plan": "spec", "load_plan": "spec",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mzgeo.plan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
