"""mzgeo (民政 geo): civil-affairs facility planning on real road networks.

Public API (everything is imported lazily, on first use, so ``import mzgeo`` stays fast)::

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

from .errors import (
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
    "ODMatrix": "network",
    "coverage": "analysis.coverage",
    "CoverageResult": "analysis",
    "daycare_coverage": "analysis",
    "DaycareResult": "analysis",
    "accessibility": "analysis",
    "AccessibilityResult": "analysis",
    "compare_with_ratio": "analysis",
    "compare_methods": "analysis",
    "MethodComparison": "analysis",
    "bed_ratio": "analysis",
    "BedRatioResult": "analysis",
    "shelter_adequacy": "analysis",
    "ShelterResult": "analysis",
    "cemetery_coverage": "analysis",
    "CemeteryResult": "analysis",
    "burial_zone_check": "analysis",
    "BurialCheckResult": "analysis",
    "AnalysisResult": "analysis",
    "allocate": "locate",
    "candidate_sites": "locate",
    "AllocationResult": "locate",
    "LocationModel": "locate",
    "run_demo": "workflow",
    "boundary_lines": "boundary",
    "markers_on_lines": "boundary",
    "line_crossings": "boundary",
    "inspection_checklist": "boundary",
    "read_inspection_results": "boundary",
    "lines_due": "boundary",
    "BoundaryLines": "boundary",
    "MarkerCheck": "boundary",
    "InspectionChecklist": "boundary",
    "InspectionResults": "boundary",
    "ledger": "plan.ledger",
}

_SUBMODULES = {
    "analysis", "boundary", "cli", "crs", "demo", "errors", "io", "layers", "locate",
    "maps", "network", "plan", "progress", "report", "settings", "workflow",
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
