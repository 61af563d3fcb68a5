"""Reading, checking and writing planners' files.

- :mod:`mzgeo.io.read` — :func:`read_layer`, :func:`validate`, :func:`read_table`;
- :mod:`mzgeo.io.checks` — every input check (rule codes in ``CODE_LABELS``) and the validation report;
- writing: :func:`write_layer`, :func:`write_layers` (GeoPackage, Shapefile, GeoJSON, CSV; atomic).
"""

from __future__ import annotations

from .checks import CODE_LABELS, ValidationReport, format_report
from .read import (
    SUPPORTED_SUFFIXES,
    read_layer,
    read_reference,
    read_table,
    validate,
    write_layer,
    write_layers,
)

__all__ = [
    "CODE_LABELS",
    "SUPPORTED_SUFFIXES",
    "ValidationReport",
    "format_report",
    "read_layer",
    "read_reference",
    "read_table",
    "validate",
    "write_layer",
    "write_layers",
]
