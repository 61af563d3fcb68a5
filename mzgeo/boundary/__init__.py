"""Boundary joint inspection (界线联检): named lines, markers along them, printable checklists.

Each administrative line is jointly inspected by its two sides every five years
(《行政区域界线管理条例》, 民政部联检规定). This package builds what the field teams carry:

* :func:`boundary_lines` — the lines between adjacent units, named by convention
  (吴兴区 + 南浔区 → 吴南线), with the tri-junctions (三交点) and the gaps and overlaps
  between the two sides' polygons (an inspection finding in itself);
* :func:`markers_on_lines` — each boundary marker (界桩) on its line: chainage, offset,
  GB/T 17796-2009 ID checks, numbering order, duplicates, gaps in numbering, long stretches
  without markers, displacement from a field measurement;
* :func:`line_crossings` — where a line meets roads, rivers and railways;
* :func:`inspection_checklist` — the printable workbook (界线概况, 界桩检查表 with a status
  drop-down, 穿越点, 问题清单, signature block) and an offline HTML page per line;
* :func:`read_inspection_results` — the filled-in workbook read back and validated, with the
  markers needing repair or re-survey; :func:`lines_due` — the five-year cycle.

Modules: :mod:`.lines` (lines, naming, junctions, gaps, dissolving), :mod:`.markers`,
:mod:`.crossings`, :mod:`.checklist` (Excel and HTML), :mod:`.results` (read-back, the
five-year cycle); private: ``_geometry`` (how a shared boundary is found), ``_naming``,
``_sheets`` (checklist column tables and workbook writer).

Rules stated once
-----------------
Naming
    Short name = the unit name without its suffix (longest first: 特别行政区, 街道办事处,
    自治县, 自治旗, 自治州, 街道, 新区, 林区, 特区, 地区, 市, 区, 县, 镇, 乡, 旗, 盟), first
    character (or a given 简称 from a ``short_name`` column, e.g. 锡 for 无锡市). Line
    name = short name of side A + short name of side B + 线, side A being the unit with
    the smaller code (numeric order when codes are digits). When both sides share the
    short name, both take two characters (吴江吴兴线). When two lines would get the same
    name, the side(s) that differ between them take two characters, then their whole
    short name, and as a last resort the names are numbered （1）（2）. In a collision a
    line inside one parent unit (both codes under the same city, read from the GB/T 2260
    code) keeps its name before a line across parents, and a line of the area before a line
    with an ``outer`` unit: the lines inside a city keep their names whether or not the
    neighbours are passed in the same call. ``name_note`` says why a name is longer. An
    override table fixes any name (and may carry the GB/T 17796 line code). Tri-junctions
    abbreviate each unit as its lines do (the longest form among the junction's lines), and
    units still sharing an abbreviation take one character more (吴中吴江吴兴三交点).
Chainage direction
    Lines from :func:`boundary_lines` run west → east when their east–west extent is at
    least their north–south extent, otherwise north → south; a closed line (an enclave)
    starts at its westernmost (northernmost) vertex and runs clockwise. Chainage is the
    distance (km) along the line from its first vertex; the parts of a discontinuous line
    are ordered the same way and the gaps between them are not counted.
Geometry
    All analysis is in a projected CRS in metres (EPSG:4549 for Huzhou). A geographic
    CRS raises :class:`~mzgeo.CRSError`: convert with :func:`mzgeo.crs.to_metric` first.
"""


from __future__ import annotations

from ._sheets import STATUSES
from .checklist import InspectionChecklist, inspection_checklist
from .crossings import line_crossings
from .lines import (
    CHAINAGE_RULE,
    NAMING_RULE,
    BoundaryLines,
    boundary_gaps,
    boundary_lines,
    dissolve_units,
    line_name,
    short_name,
    tri_junctions,
)
from .markers import MarkerCheck, markers_on_lines, parse_marker_id
from .results import InspectionResults, lines_due, read_inspection_results

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
