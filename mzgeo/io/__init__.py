"""Reading, checking and writing planners' files.

- :mod:`mzgeo.io.read` — :func:`read_layer`, :func:`read_reference`, :func:`read_table`, :func:`validate`;
- :mod:`mzgeo.io.write` — :func:`write_layer`, :func:`write_layers` (GeoPackage, Shapefile, GeoJSON;
  atomic) and :func:`write_gpkg`, the one GeoPackage-safe writer of every result's ``to_gpkg``;
- :mod:`mzgeo.io.tables` — CSV and Excel grids: header row, 合计 rows, coordinate columns;
- :mod:`mzgeo.io.encoding` — decoding CSV bytes (GBK/GB18030 versus Big5), ``.dbf`` code pages;
- :mod:`mzgeo.io.checks` — every input check (rule codes in ``CODE_LABELS``), the validation report,
  and the analyses' input checks (``check_frame``, ``check_crs``, ``as_points``, ``numeric_column``...).
"""

from __future__ import annotations

from .checks import CODE_LABELS, ValidationReport, format_report
from .read import (
    SUPPORTED_SUFFIXES,
    read_layer,
    read_reference,
    read_table,
    validate,
)
from .write import write_gpkg, write_layer, write_layers

__all__ = [
    "CODE_LABELS",
    "SUPPORTED_SUFFIXES",
    "ValidationReport",
    "format_report",
    "read_layer",
    "read_reference",
    "read_table",
    "validate",
    "write_gpkg",
    "write_layer",
    "write_layers",
]
