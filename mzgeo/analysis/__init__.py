"""The planning analyses: coverage, day care, beds and accessibility, shelters, burial.

Each analysis is a function returning a result object (see :class:`AnalysisResult`). The function
``coverage`` is reached as :func:`mzgeo.coverage`; ``mzgeo.analysis.coverage`` is its module.
"""

from __future__ import annotations

from .access import MethodComparison, compare_methods, gravity_weights
from .beds import (
    AccessibilityResult,
    BedRatioResult,
    accessibility,
    bed_ratio,
    compare_with_ratio,
    gaussian_weights,
    step_weights,
)
from .burial import BurialCheckResult, CemeteryResult, burial_zone_check, cemetery_coverage
from .coverage import CoverageResult
from .daycare import DaycareResult, daycare_coverage
from .result import PROBLEM_COLUMNS, AnalysisResult
from .shelters import ShelterResult, max_shelter_lp, shelter_adequacy

__all__ = [
    "PROBLEM_COLUMNS",
    "AccessibilityResult",
    "AnalysisResult",
    "BedRatioResult",
    "BurialCheckResult",
    "CemeteryResult",
    "CoverageResult",
    "DaycareResult",
    "MethodComparison",
    "ShelterResult",
    "accessibility",
    "bed_ratio",
    "burial_zone_check",
    "cemetery_coverage",
    "compare_methods",
    "compare_with_ratio",
    "daycare_coverage",
    "gaussian_weights",
    "gravity_weights",
    "max_shelter_lp",
    "shelter_adequacy",
    "step_weights",
]
