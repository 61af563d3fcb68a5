"""Location-allocation models (spopt's name for the family): where new sites close the gaps.

Models are built ``from_cost_matrix`` or ``from_layers``, solved on HiGHS, and read as attributes.
The one-call entry point is :func:`mzgeo.allocate`.
"""

from __future__ import annotations

from ._allocate import (
    LSCP,
    MCLP,
    MODELS,
    SITE_EXISTING,
    SITE_NEW,
    AllocationResult,
    BedPlacement,
    CapacitatedMCLP,
    LocationModel,
    PCenter,
    PMedian,
    allocate,
    candidate_sites,
)

__all__ = [
    "LSCP",
    "MCLP",
    "MODELS",
    "SITE_EXISTING",
    "SITE_NEW",
    "AllocationResult",
    "BedPlacement",
    "CapacitatedMCLP",
    "LocationModel",
    "PCenter",
    "PMedian",
    "allocate",
    "candidate_sites",
]
