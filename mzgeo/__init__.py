"""mzgeo (民政 geo): civil-affairs facility planning on real road networks.

Public API (``coverage`` and ``allocate`` are imported at once, the rest lazily)::

    read_layer, validate, write_layer          # io
    load_demo                                  # demo
    Network                                    # network
    coverage, accessibility, shelter_adequacy,
    daycare_coverage, cemetery_coverage,
    burial_zone_check, bed_ratio               # coverage / beds / burial
    allocate                                   # allocate
    boundary_lines, markers_on_lines,
    line_crossings, inspection_checklist,
    read_inspection_results                    # boundary
"""

from __future__ import annotations

import importlib
from typing import Any

from ._errors import (
    CRSError,
    DataWarning,
    FileAccessError,
    InfeasibleError,
    InputError,
    MzgeoError,
    NetworkError,
    NotSolvedError,
    Problem,
    ValidationError,
)

__version__ = "0.1.0"

# ``coverage`` and ``allocate`` name both a module and its main function. Import the functions
# now, so that ``mzgeo.coverage(...)`` stays the function even after ``import mzgeo.coverage``
# or ``from mzgeo.allocate import candidate_sites`` (importing a submodule would otherwise set
# the package attribute to the module).
from .allocate import allocate  # noqa: E402
from .coverage import coverage  # noqa: E402

_LAZY: dict[str, str] = {
    "read_layer": "io",
    "validate": "io",
    "write_layer": "io",
    "write_layers": "io",
    "read_table": "io",
    "format_report": "io",
    "ValidationReport": "io",
    "load_demo": "demo",
    "Network": "network",
    "CoverageResult": "coverage",
    "daycare_coverage": "coverage",
    "accessibility": "beds",
    "compare_with_ratio": "beds",
    "compare_methods": "access",
    "candidate_sites": "allocate",
    "run_demo": "workflow",
    "bed_ratio": "beds",
    "shelter_adequacy": "shelters",
    "cemetery_coverage": "burial",
    "burial_zone_check": "burial",
    "boundary_lines": "boundary",
    "markers_on_lines": "boundary",
    "line_crossings": "boundary",
    "inspection_checklist": "boundary",
    "read_inspection_results": "boundary",
    "lines_due": "boundary",
    "ledger": "plan.ledger",
}

_SUBMODULES = {
    "beds", "boundary", "burial", "cli", "coverage", "crs", "demo", "io", "layers",
    "maps", "network", "plan", "report", "settings", "shelters", "workflow",
}

__all__ = [
    "CRSError",
    "DataWarning",
    "InfeasibleError",
    "FileAccessError",
    "InputError",
    "MzgeoError",
    "NetworkError",
    "NotSolvedError",
    "Problem",
    "ValidationError",
    "__version__",
    "allocate",
    "coverage",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'mzgeo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)
