"""Administrative boundary lines and their five-yearly joint inspection (界线联检)."""

from __future__ import annotations

from .api import (
    CHAINAGE_RULE,
    NAMING_RULE,
    STATUSES,
    BoundaryLines,
    InspectionChecklist,
    InspectionResults,
    MarkerCheck,
    boundary_gaps,
    boundary_lines,
    dissolve_units,
    inspection_checklist,
    line_crossings,
    line_name,
    lines_due,
    markers_on_lines,
    parse_marker_id,
    read_inspection_results,
    short_name,
    tri_junctions,
)

__all__ = [
    "BoundaryLines",
    "CHAINAGE_RULE",
    "InspectionChecklist",
    "InspectionResults",
    "MarkerCheck",
    "NAMING_RULE",
    "STATUSES",
    "boundary_gaps",
    "boundary_lines",
    "dissolve_units",
    "inspection_checklist",
    "line_crossings",
    "line_name",
    "lines_due",
    "markers_on_lines",
    "parse_marker_id",
    "read_inspection_results",
    "short_name",
    "tri_junctions",
]
