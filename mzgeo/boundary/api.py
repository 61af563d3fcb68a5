"""Boundary joint inspection (界线联检): named lines, markers along them, printable checklists.

Each administrative line is jointly inspected by its two sides every five years
(《行政区域界线管理条例》, 民政部联检规定). This module builds what the field teams carry:

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

import datetime as _dt
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._files import SOURCE_PATHS, atomic_path, refuse_inputs, source_paths
from .._files import path_key as _path_key
from ..errors import InputError, Problem, ValidationError
from ..layers import KINDS, VALUE_ALIASES
from . import checklist as _bs
from . import lines as _bl
from . import markers as _bm

__all__ = [
    "CHAINAGE_RULE",
    "NAMING_RULE",
    "STATUSES",
    "BoundaryLines",
    "InspectionChecklist",
    "InspectionResults",
    "MarkerCheck",
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

logger = logging.getLogger("mzgeo")

#: The marker conditions of the checklist drop-down.
STATUSES: tuple[str, ...] = _bs.STATUSES

#: The naming rule, as printed in outputs.
NAMING_RULE = (
    "两侧简称（去掉市/区/县/镇/乡/街道等后缀取首字）按区划代码从小到大连接加“线”；重名时不同的一侧取两字，"
    "同一上级区划内部的界线、本区域内的界线优先保留原名；三交点用与界线相同的简称，简称相同的取两字"
)

#: The chainage direction rule, as printed in outputs.
CHAINAGE_RULE = "东西走向的界线自西向东、南北走向的界线自北向南"

_DUE_STATUSES = ("无联检记录", "逾期", "本年到期", "明年到期")


# --- result objects ---------------------------------------------------------------------------------


@dataclass
class BoundaryLines:
    """Boundary lines between adjacent units, with tri-junctions and gaps/overlaps.

    Attributes
    ----------
    lines : geopandas.GeoDataFrame
        One row per pair of adjacent units: ``line_name``, ``side_a_name``,
        ``side_a_code``, ``side_b_name``, ``side_b_code`` (side A = smaller code),
        ``length_m`` (m), ``n_parts`` (1 unless the shared boundary is discontinuous
        beyond the tolerance, then a MultiLineString), ``junctions`` (names of the
        tri-junctions at its ends, "、"-joined), ``name_rule`` (简称规则 / 重名加字 /
        指定名称), ``name_note`` (why the name is longer than the plain rule, empty when it
        is not), ``line_code`` (only when the override table gives codes), geometry
        (LineString oriented by :data:`CHAINAGE_RULE`).
    junctions : geopandas.GeoDataFrame
        Tri-junctions (三交点, points where ≥ 3 units meet): ``junction_name``
        (e.g. 吴南德三交点), ``n_units``, ``unit_codes``, ``unit_names``, ``line_names``,
        ``spread_m`` (m, how far apart the line ends were: 0 on clean topology), ``name_note``
        (which units take a longer abbreviation, as in the line names), geometry.
    gaps : geopandas.GeoDataFrame
        Gaps (缝隙) and overlaps (重叠) between the two sides' polygons, one row per piece:
        ``kind``, ``line_name``, the sides, ``sliver_area_m2`` (m²), ``sliver_width_m`` (m, mean width
        ≈ 2 × area / perimeter), geometry (Polygon).
    params : dict
        Parameters applied (tolerance, minimum length, rules).
    """

    lines: gpd.GeoDataFrame
    junctions: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    params: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.lines)

    def to_excel(self, path: str | os.PathLike) -> str:
        """Write 界线, 三交点, 缝隙与重叠 and the parameters to one workbook (atomic).

        Returns
        -------
        str
            The path written.
        """
        from ..report.excel import write_excel

        return write_excel(
            path,
            {"界线": self.lines, "三交点": self.junctions, "缝隙与重叠": self.gaps},
            params=self.params,
            title="行政区域界线",
        )

    def to_file(self, path: str | os.PathLike) -> str:
        """Write the three layers (lines, junctions, gaps) to one GeoPackage (atomic).

        Returns
        -------
        str
            The path written.
        """
        refuse_inputs(path, source_paths(self))
        with atomic_path(path) as tmp:
            for layer, frame in (("lines", self.lines), ("junctions", self.junctions), ("gaps", self.gaps)):
                frame.to_file(tmp, layer=layer, driver="GPKG")
        return str(path)


@dataclass
class MarkerCheck:
    """Boundary markers checked against their lines.

    Attributes
    ----------
    markers : geopandas.GeoDataFrame
        The input markers (same index, columns kept; ``marker_id`` normalised to text,
        integers zero-padded to 8 digits) plus: ``line_name`` (assigned line; NA when the
        recorded line is not among the lines and no line lies within the offset tolerance),
        ``assigned_by`` (界线字段 / 最近界线), ``chainage_km`` (km from the line start),
        ``offset_m`` (m from the line), ``off_line`` (offset beyond the tolerance),
        ``id_line_code``, ``sequence``, ``type_code``, ``type_name`` (GB/T 17796 parts),
        ``id_valid``, ``type_mismatch`` (type digit ≠ ``marker_type``),
        ``line_code_mismatch`` (ID line code ≠ the line's code), ``duplicate``,
        ``out_of_order`` (numbering against the line's numbering direction),
        ``missing_before`` (sequence numbers missing just before this marker),
        ``measured_x``, ``measured_y`` (m), ``displacement_m`` (m), ``displaced``,
        ``finding`` (Chinese summary, "；"-joined) and ``flagged``.
    stretches : geopandas.GeoDataFrame
        Stretches longer than ``max_gap_km`` without a marker: ``line_name``, ``from_km``,
        ``to_km``, ``length_km``, ``from_marker``, ``to_marker`` (起点/终点 at line ends),
        geometry (the stretch of line).
    summary : pandas.DataFrame
        Per line: ``line_name``, ``line_code``, ``line_code_source``, ``length_km``,
        ``n_markers``, ``n_flagged``, ``numbering`` (沿里程递增/递减),
        ``missing_sequences``, ``n_stretches``.
    params : dict
        Parameters applied.
    """

    markers: gpd.GeoDataFrame
    stretches: gpd.GeoDataFrame
    summary: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class InspectionChecklist:
    """Everything the field teams of a joint inspection carry, per line.

    Build with :func:`inspection_checklist`; write with :meth:`to_excel` and :meth:`to_html`.

    Attributes
    ----------
    lines : geopandas.GeoDataFrame
        One row per line: ``line_name``, ``line_code``, the sides, ``length_km``,
        ``n_markers``, ``n_flagged``, ``numbering``, ``missing_sequences``,
        ``n_stretches``, ``junctions``, ``n_crossings``, ``n_data_gaps``, ``data_gap_area_m2``,
        ``n_data_overlaps``, ``data_overlap_area_m2``, ``last_inspection``, ``next_inspection``,
        ``due`` (逾期/本年到期/明年到期/未到期/无联检记录), geometry.
    markers, stretches : geopandas.GeoDataFrame
        As in :class:`MarkerCheck`.
    crossings : geopandas.GeoDataFrame
        As returned by :func:`line_crossings` (may be empty).
    junctions, gaps : geopandas.GeoDataFrame
        As in :class:`BoundaryLines` (empty when plain line frames were given).
    findings : pandas.DataFrame
        问题清单: ``line_name``, ``category``, ``subject``, ``chainage_km``, ``finding``.
    year : int
        The inspection year.
    params : dict
        Parameters applied.
    """

    lines: gpd.GeoDataFrame
    markers: gpd.GeoDataFrame
    stretches: gpd.GeoDataFrame
    crossings: gpd.GeoDataFrame
    junctions: gpd.GeoDataFrame
    gaps: gpd.GeoDataFrame
    findings: pd.DataFrame
    year: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def line_names(self) -> list[str]:
        """Names of the lines in the checklist, in order."""
        return [str(n) for n in self.lines["line_name"]]

    def _select(self, lines: str | Iterable[str] | None) -> list[str]:
        if lines is None:
            return self.line_names
        wanted = [lines] if isinstance(lines, str) else list(lines)
        unknown = [n for n in wanted if n not in self.line_names]
        if unknown:
            msg = f"检查表中没有界线 {'、'.join(unknown)}；可选：{'、'.join(self.line_names)}"
            raise InputError(msg)
        return wanted

    def to_excel(
        self,
        path: str | os.PathLike,
        per_line_workbooks: bool = False,
        *,
        lines: str | Iterable[str] | None = None,
    ) -> list[str]:
        """Write the printable checklist workbook(s), atomically.

        Per line four sheets: 界线概况 (summary and signature block), 界桩检查表 (one row
        per marker in chainage order, recorded coordinates in CGCS2000 lon/lat and the
        metric CRS, automatic findings, and empty yellow columns for the field: 界桩状况
        as a drop-down of :data:`STATUSES`, measured coordinates, photo number, reference
        objects, changes along the line, construction across the line, dispute, action,
        remarks; signature block), 穿越点 and 问题清单. Landscape A4 fitted to width,
        header row repeated on each printed page; text beginning with ``=`` is stored as
        text. A hidden sheet ``_mzgeo`` records the column keys and the recorded marker
        positions for :func:`read_inspection_results`.

        Parameters
        ----------
        path : str or os.PathLike
            With ``per_line_workbooks=False`` the ``.xlsx`` file (sheets prefixed with the
            line name when there are several lines). With ``True`` a folder: one workbook
            ``界线联检检查表_<line>.xlsx`` per line.
        per_line_workbooks : bool
            One workbook per line instead of one workbook for all lines.
        lines : str or list of str, optional
            Only these lines.

        Returns
        -------
        list of str
            The files written.
        """
        names = self._select(lines)
        if not names:
            msg = "检查表中没有界线，无法写出 (no lines)"
            raise InputError(msg)
        srcs = source_paths(self)
        if not per_line_workbooks:
            refuse_inputs(path, srcs)
            written = [_bs.write_workbook(path, self, names, per_line_prefix=len(names) > 1)]
        else:
            folder = Path(path)
            if folder.suffix.lower() == ".xlsx":
                msg = f"per_line_workbooks=True 时 path 应为文件夹，收到 {folder}"
                raise InputError(msg)
            targets = {n: folder / f"界线联检检查表_{_safe_file_name(n)}.xlsx" for n in names}
            for t in targets.values():
                refuse_inputs(t, srcs)
            written = [_bs.write_workbook(t, self, [n], False) for n, t in targets.items()]
        logger.info("inspection checklist: %d workbook(s), %d line(s)", len(written), len(names))
        return written

    def to_html(self, path: str | os.PathLike, *, lines: str | Iterable[str] | None = None) -> str:
        """Write one self-contained printable HTML file, a page per line (atomic).

        Each page: the summary, an inline SVG map of the line with its markers (red when
        flagged), crossings and tri-junctions, the marker checklist with empty field
        columns, crossings, findings and the signature block. No external requests (no
        scripts, fonts or tiles), all user text HTML-escaped; CSS ``@media print`` starts
        each line on a new landscape A4 page.

        Returns
        -------
        str
            The path written.
        """
        names = self._select(lines)
        refuse_inputs(path, source_paths(self))
        out = _bs.write_html(path, self, names)
        logger.info("inspection checklist HTML: %s (%d line(s))", path, len(names))
        return out


@dataclass
class InspectionResults:
    """A filled-in checklist read back.

    Attributes
    ----------
    markers : geopandas.GeoDataFrame
        The updated marker register, one row per marker row filled in: ``line_name``,
        ``marker_id``, ``marker_type``, ``status``, ``recorded_x``, ``recorded_y`` (m),
        ``measured_lon``, ``measured_lat`` (CGCS2000 degrees), ``measured_x``,
        ``measured_y`` (m), ``displacement_m`` (m), ``displaced``, the field notes
        (``photo_no``, ``reference_objects``, ``changes``, ``construction``, ``dispute``,
        ``action_note``, ``remarks``), ``needs_action``, ``action`` (suggested measure),
        ``sheet`` and ``row`` (where it was read). Geometry: the measured position when
        given (and the marker not 丢失), else the recorded one, in the metric CRS.
    repairs : geopandas.GeoDataFrame
        The markers needing repair or re-survey (status 损坏/丢失/移位/字迹不清, or
        displacement beyond the tolerance).
    problems : list of Problem
        What is wrong in the file (unknown IDs, missing status, bad coordinates...), with
        file and sheet, row and column as the user sees them.
    params : dict
        Parameters applied.
    """

    markers: gpd.GeoDataFrame
    repairs: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``"error"``."""
        return [p for p in self.problems if p.severity == "error"]

    def to_excel(self, path: str | os.PathLike) -> str:
        """Write 界桩登记表（更新）, 需维修或重测界桩 and 检查问题 to one workbook (atomic)."""
        from ..report.excel import write_excel

        sheets = _bs.results_sheets(self.markers, self.repairs, self.problems)
        return write_excel(path, sheets, params=self.params, chinese=False, title="界线联检结果",
                           sources=source_paths(self))


# --- helpers ----------------------------------------------------------------------------------------


def _safe_file_name(name: str) -> str:
    return "".join("_" if ch in '\\/:*?"<>|' else ch for ch in str(name)).strip() or "界线"


def _positive(value: float, what: str, *, allow_zero: bool = True) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        msg = f"{what} 应为{'非负' if allow_zero else '正'}数，收到 {value}"
        raise InputError(msg)
    return value


def _as_lines(lines: Any, what: str = "界线 lines") -> tuple[gpd.GeoDataFrame, BoundaryLines | None]:
    """The lines frame (checked) and the BoundaryLines it came from, if any."""
    source = lines if isinstance(lines, BoundaryLines) else None
    frame = lines.lines if source is not None else lines
    _bl.check_metric(frame, what)
    _bl.require_columns(frame, ["line_name"], what)
    _bl.check_geom_types(frame, ("LineString", "MultiLineString"), what)
    dup = frame["line_name"].astype(str).duplicated()
    if dup.any():
        msg = f"{what} 中界线名称重复：{'、'.join(frame.loc[dup, 'line_name'].astype(str).unique())}"
        raise InputError(msg)
    return frame, source


def _canonical_level(value: Any) -> str:
    text = str(value).strip()
    return VALUE_ALIASES["level"].get(text.lower(), VALUE_ALIASES["level"].get(text, text))


# --- naming -----------------------------------------------------------------------------------------


def short_name(name: str, n_chars: int = 1) -> str:
    """Short name of a unit for line names: suffix stripped (longest first), first character(s).

    Parameters
    ----------
    name : str
        Full unit name (吴兴区, 德清县, 湖州市, 景宁畲族自治县, 龙泉街道...).
    n_chars : int
        Characters to keep (2 is the collision fallback).

    Returns
    -------
    str

    Examples
    --------
    >>> short_name("吴兴区"), short_name("湖州市"), short_name("景宁畲族自治县", 2)
    ('吴', '湖', '景宁')
    """
    return _bl.short_name(name, n_chars)


def line_name(name_a: str, name_b: str, code_a: Any = None, code_b: Any = None) -> str:
    """The conventional name of the line between two units (no collision handling).

    Side A is the unit with the smaller code when both codes are given, else ``name_a``.

    Examples
    --------
    >>> line_name("南浔区", "吴兴区", "330503", "330502")
    '吴南线'
    >>> line_name("湖州市", "嘉兴市", 330500, 330400)
    '嘉湖线'
    """
    if code_a is not None and code_b is not None:
        keys = _bl.code_sort_key(pd.Series([str(code_a), str(code_b)]))
        if keys.iloc[1] < keys.iloc[0]:
            name_a, name_b = name_b, name_a
    return _bl.short_name(name_a) + _bl.short_name(name_b) + "线"


# --- lines ------------------------------------------------------------------------------------------


def _prepare_units(
    units: gpd.GeoDataFrame, name_col: str, code_col: str, short_col: str | None, what: str
) -> gpd.GeoDataFrame:
    _bl.check_metric(units, what)
    _bl.require_columns(units, [name_col, code_col], what)
    ok = _bl.check_geom_types(units, ("Polygon", "MultiPolygon"), what)
    out = gpd.GeoDataFrame(
        {
            "code": units.loc[ok, code_col].astype(str).str.strip().to_numpy(),
            "name": units.loc[ok, name_col].astype(str).str.strip().to_numpy(),
            "short": (units.loc[ok, short_col].astype(object).to_numpy() if short_col and short_col in units.columns
                      else None),
        },
        geometry=units.geometry[ok].to_numpy(),
        crs=units.crs,
    )
    return out


def boundary_lines(
    units: gpd.GeoDataFrame,
    name_col: str = "name",
    code_col: str = "code",
    level: str | None = None,
    tolerance_m: float | None = None,
    *,
    overrides: Mapping | pd.DataFrame | None = None,
    outer: gpd.GeoDataFrame | None = None,
    level_col: str = "level",
    short_col: str | None = "short_name",
    min_length_m: float | None = None,
    min_area_m2: float = 1.0,
) -> BoundaryLines:
    """Boundary lines between adjacent units, named, with tri-junctions and gaps/overlaps.

    A boundary segment of one unit belongs to the line with the first other unit found
    within ``tolerance_m`` across it (a ray cast outwards from the segment; a segment
    lying inside another unit, i.e. an overlap, belongs to that unit). Clean topology
    (shared vertices) gives exact lines; separately digitised neighbours that leave
    slivers or overlap by up to ``tolerance_m`` still give one line per pair. The line
    follows side A's polygon boundary (side B's when side A has none). Works at any level:
    townships in a county, counties in a city, cities against their neighbours.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Polygons of one level (``units`` layer) in a metric CRS.
    name_col, code_col : str
        Columns with the full name and the administrative code (codes are returned as text).
    level : str, optional
        Keep only units of this level (市, 区县, 乡镇街道, or an alias such as 县) from
        ``level_col``.
    tolerance_m : float, optional
        Distance (m) across which two boundaries still count as shared; default
        :data:`mzgeo.settings.boundary_tolerance_m` (50 m). ``0`` = exact topology only.
    overrides : dict or DataFrame, optional
        Names to use instead of the rule: ``{("330503", "330521"): "南德线"}`` (sides by code
        or full name, either order; the value may be a dict with ``line_name`` and
        ``line_code``), or a table with ``line_name`` and ``side_a_code``/``side_b_code``
        (or ``side_a``/``side_b``, codes or names) and optionally ``line_code`` (GB/T 17796
        4-digit line code, added as a ``line_code`` column).
    outer : geopandas.GeoDataFrame, optional
        Neighbouring units outside the area (same columns and CRS), e.g. the counties of
        the neighbouring city: lines between ``units`` and ``outer`` are returned, lines
        between two ``outer`` units are not.
    level_col : str
        Column holding the level, used with ``level``.
    short_col : str, optional
        Column with a given 简称 (e.g. 锡 for 无锡市) used instead of the first character
        when present and not empty.
    min_length_m : float, optional
        Pieces of line shorter than this (m) are dropped as noise; default the tolerance.
    min_area_m2 : float
        Gaps and overlaps smaller than this (m²) are not reported.

    Returns
    -------
    BoundaryLines
        ``.lines``, ``.junctions``, ``.gaps`` and ``.params`` (see :class:`BoundaryLines`).

    Raises
    ------
    CRSError
        Missing or geographic CRS, or ``outer`` in another CRS.
    InputError
        Missing columns, non-polygon geometries, duplicate codes, bad parameters.

    Notes
    -----
    A gap is the part of a hole in the union of all units within the tolerance of both
    sides; a sliver open to the outside of the whole set is not reported, nor are pieces
    thinner than 1 cm on average (floating-point noise). When a line of the area and a
    line with an ``outer`` unit get the same name, the outer one takes the longer name. Near a
    tri-junction a sliver may lie within the tolerance of three units and appear under
    two lines. At a sharp (< 90°) concave notch of the outer boundary up to
    ``tolerance_m / tan(angle)`` of outer boundary can join the line's end.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> units = gpd.GeoDataFrame({"code": ["330502", "330503"], "name": ["吴兴区", "南浔区"]},
    ...                          geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs=4549)
    >>> res = boundary_lines(units)
    >>> res.lines[["line_name", "length_m"]].to_dict("records")
    [{'line_name': '吴南线', 'length_m': 1000.0}]
    """
    tol = _positive(settings.boundary_tolerance_m if tolerance_m is None else tolerance_m, "tolerance_m")
    min_len = _positive(tol if min_length_m is None else min_length_m, "min_length_m")
    min_area = _positive(min_area_m2, "min_area_m2")
    selected = units
    if level is not None:
        _bl.require_columns(units, [level_col], "行政区 units")
        want = _canonical_level(level)
        selected = units[units[level_col].map(_canonical_level) == want]
        if selected.empty:
            have = "、".join(sorted(units[level_col].astype(str).unique()))
            msg = f"行政区 units 中没有级别为「{level}」的单元；现有级别：{have}"
            raise InputError(msg)
    inner = _prepare_units(selected, name_col, code_col, short_col, "行政区 units")
    inner["is_outer"] = False
    parts = [inner]
    if outer is not None:
        _bl.check_same_crs(units, outer, "行政区 units", "外侧行政区 outer")
        out_units = _prepare_units(outer, name_col, code_col, short_col, "外侧行政区 outer")
        out_units = out_units[~out_units["code"].isin(inner["code"])]
        out_units["is_outer"] = True
        parts.append(out_units)
    allu = pd.concat(parts, ignore_index=True) if len(parts) > 1 else inner.reset_index(drop=True)
    allu = gpd.GeoDataFrame(allu, geometry="geometry", crs=units.crs)
    dup = allu["code"].duplicated()
    if dup.any():
        msg = f"行政区代码重复：{'、'.join(allu.loc[dup, 'code'].unique())}；每个单元应有唯一代码"
        raise InputError(msg)
    geoms = _bl.polygonal(allu.geometry.to_numpy())
    codes, names = allu["code"], allu["name"]
    a, b, g = _bl.extract(geoms, codes, allu["is_outer"].to_numpy(), tol, min_len)

    ov = _bl._parse_overrides(overrides, codes, names)
    shorts = allu["short"]
    lines = gpd.GeoDataFrame(
        {
            "side_a_name": names.to_numpy()[a],
            "side_a_code": codes.to_numpy()[a],
            "side_b_name": names.to_numpy()[b],
            "side_b_code": codes.to_numpy()[b],
        },
        geometry=gpd.GeoSeries(g, crs=units.crs),
        crs=units.crs,
    )
    lname, rule, lcode, naming = _bl.name_lines(
        lines["side_a_name"], lines["side_b_name"], lines["side_a_code"], lines["side_b_code"], ov,
        pd.Series(shorts.to_numpy()[a]), pd.Series(shorts.to_numpy()[b]),
        allu["is_outer"].to_numpy()[a] | allu["is_outer"].to_numpy()[b],
    )
    lines["line_name"] = lname
    lines["name_rule"] = rule
    lines["name_note"] = naming["name_note"]
    lines["length_m"] = np.round(shapely.length(lines.geometry.values), 6) if len(lines) else np.array([], float)
    lines["n_parts"] = shapely.get_num_geometries(lines.geometry.values).astype("int64")
    if lines.empty:
        lines["length_m"] = lines["length_m"].astype("float64")
    given = dict(zip(codes, _bl._given(shorts, len(allu)), strict=True))
    full = dict(zip(codes, names, strict=True))
    junctions, per_line = _bl.junctions(lines, tol, given, full, naming)
    lines["junctions"] = per_line
    columns = list(_bl.LINE_COLUMNS)
    if lcode.notna().any():
        lines["line_code"] = lcode.astype("string")
        columns.insert(5, "line_code")
    order = np.lexsort((
        _bl.code_sort_key(lines["side_b_code"]).to_numpy(), _bl.code_sort_key(lines["side_a_code"]).to_numpy()
    )) if len(lines) else np.array([], dtype=int)
    pos_a, pos_b = a[order], b[order]
    lines = lines.iloc[order].reset_index(drop=True)[columns]
    gaps = _bl.gaps_and_overlaps(geoms, lines, pos_a, pos_b, tol, min_area)
    params = {
        "tolerance_m": tol,
        "min_length_m": min_len,
        "min_area_m2": min_area,
        "unit_level": level or "",
        "n_units": int((~allu["is_outer"]).sum()),
        "n_outer_units": int(allu["is_outer"].sum()),
        "naming_rule": NAMING_RULE,
        "chainage_rule": CHAINAGE_RULE,
    }
    multi = lines.loc[lines["n_parts"] > 1, "line_name"].tolist()
    if multi:
        logger.info("boundary_lines: discontinuous beyond %.1f m: %s", tol, "、".join(multi))
    logger.info(
        "boundary_lines: %d units → %d lines, %d junctions, %d gaps/overlaps (tolerance %.1f m)",
        len(allu), len(lines), len(junctions), len(gaps), tol,
    )
    srcs = tuple(source_paths(units, outer, overrides))  # the writers never overwrite these inputs
    for frame in (lines, junctions, gaps):
        frame.attrs[SOURCE_PATHS] = srcs
    return BoundaryLines(lines=lines, junctions=junctions, gaps=gaps, params=params)


def tri_junctions(units: gpd.GeoDataFrame, **kwargs: Any) -> gpd.GeoDataFrame:
    """Tri-junctions (三交点) of ``units``: ``boundary_lines(units, **kwargs).junctions``."""
    return boundary_lines(units, **kwargs).junctions


def boundary_gaps(units: gpd.GeoDataFrame, **kwargs: Any) -> gpd.GeoDataFrame:
    """Gaps and overlaps between neighbours: ``boundary_lines(units, **kwargs).gaps``."""
    return boundary_lines(units, **kwargs).gaps


def dissolve_units(
    units: gpd.GeoDataFrame,
    by: str = "parent_code",
    parents: pd.DataFrame | Mapping[str, str] | None = None,
    *,
    name_col: str = "name",
    code_col: str = "code",
) -> gpd.GeoDataFrame:
    """Merge units into their parents (counties → city) to draw the parents' lines.

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Units with a parent code column.
    by : str
        Column with the parent code.
    parents : DataFrame or mapping, optional
        Parent names: a table with ``code_col`` and ``name_col`` (e.g. the city layer) or a
        mapping code → name. Without it the parent code is used as the name.

    Returns
    -------
    geopandas.GeoDataFrame
        ``code``, ``name``, geometry (union of the children, same CRS). Slivers between
        children stay as holes; they do not affect the parents' outer lines.
    """
    _bl.require_columns(units, [by], "行政区 units")
    frame = units[[by, units.geometry.name]].copy()
    frame[by] = frame[by].astype(str).str.strip()
    merged = frame.dissolve(by=by, as_index=False)
    if isinstance(parents, Mapping):
        lookup = {str(k): str(v) for k, v in parents.items()}
    elif parents is not None:
        _bl.require_columns(parents, [code_col, name_col], "上级行政区 parents")
        lookup = dict(zip(parents[code_col].astype(str), parents[name_col].astype(str), strict=True))
    else:
        lookup = {}
    out = gpd.GeoDataFrame(
        {"code": merged[by].to_numpy(), "name": [lookup.get(c, c) for c in merged[by]]},
        geometry=merged.geometry.values,
        crs=units.crs,
    )
    return out


# --- markers ----------------------------------------------------------------------------------------


def parse_marker_id(ids: Any) -> pd.DataFrame:
    """Parse boundary marker IDs by GB/T 17796-2009 (vectorised).

    An ID has 8 digits: a 4-digit line code, a 3-digit sequence number (001–999) and a
    type digit (1 单立 single, 2 双立 double, 3 三立 triple). Integers are zero-padded to 8
    digits (Excel drops leading zeros); text is only stripped.

    Parameters
    ----------
    ids : scalar, array-like or pandas.Series
        Marker IDs.

    Returns
    -------
    pandas.DataFrame
        Same index as a Series input: ``marker_id`` (normalised text), ``line_code``,
        ``sequence`` (Int64), ``type_code`` (Int64), ``type_name`` (单立/双立/三立),
        ``valid`` (bool) and ``problem`` (Chinese, NA when valid).

    Examples
    --------
    >>> parsed = parse_marker_id(["00120031", "0012003", "00120034"])
    >>> parsed["valid"].tolist(), parsed["line_code"].iloc[0], int(parsed["sequence"].iloc[0])
    ([True, False, False], '0012', 3)
    >>> parsed["type_name"].iloc[0], parsed["problem"].iloc[2]
    ('单立', '末位类型码应为 1（单立）、2（双立）或 3（三立）')
    """
    return _bm.parse_ids(ids)


def markers_on_lines(
    lines: gpd.GeoDataFrame | BoundaryLines,
    markers: gpd.GeoDataFrame,
    *,
    line_col: str = "line_name",
    id_col: str = "marker_id",
    type_col: str = "marker_type",
    offset_tolerance_m: float | None = None,
    max_gap_km: float | None = None,
    measured: pd.DataFrame | None = None,
    displacement_tolerance_m: float | None = None,
    line_codes: Mapping[str, Any] | pd.DataFrame | None = None,
) -> MarkerCheck:
    """Check boundary markers (界桩) against their lines.

    Each marker is assigned to the line named in ``line_col`` when that name is a line,
    else to the nearest line. Then: chainage (km from the line's first vertex — see
    :data:`CHAINAGE_RULE`), offset (m) from the line, GB/T 17796 ID parsing, type digit
    against ``type_col``, line code of the ID against the line's code, duplicate IDs,
    numbering order along the line (the numbering direction is the majority one; both
    markers of a pair against it are flagged), missing sequence numbers (from 001 to the
    largest), stretches longer than ``max_gap_km`` without a marker (line ends count),
    and — with ``measured`` — the displacement from the recorded position.

    Parameters
    ----------
    lines : GeoDataFrame or BoundaryLines
        Lines with ``line_name`` (and optionally ``line_code``) in a metric CRS.
    markers : geopandas.GeoDataFrame
        Points with ``id_col`` (``markers`` layer), same CRS.
    line_col, id_col, type_col : str
        Marker columns: recorded line name, ID, type (单立/双立/三立 or an alias).
    offset_tolerance_m : float, optional
        Offset (m) beyond which a marker is flagged; default
        :data:`mzgeo.settings.marker_offset_tolerance_m`.
    max_gap_km : float, optional
        Stretch (km) without a marker beyond which it is listed; default
        :data:`mzgeo.settings.marker_max_gap_km`.
    measured : DataFrame, optional
        Field positions: a GeoDataFrame of points with ``marker_id`` (any CRS), or a table
        with ``marker_id`` and ``measured_x``/``measured_y`` (m, the lines' CRS) or
        ``measured_lon``/``measured_lat`` (CGCS2000 degrees).
    displacement_tolerance_m : float, optional
        Displacement (m) beyond which a marker is flagged; default
        :data:`mzgeo.settings.marker_displacement_tolerance_m`.
    line_codes : mapping or DataFrame, optional
        4-digit line code per line name (a table with ``line_name`` and ``line_code``, as
        the demo's ``line_codes``). Default: the ``line_code`` column of ``lines``, else
        the most common code among the line's marker IDs.

    Returns
    -------
    MarkerCheck
        ``.markers``, ``.stretches``, ``.summary``, ``.params`` (see :class:`MarkerCheck`).

    Raises
    ------
    CRSError
        Missing, geographic or mismatched CRS.
    InputError
        Missing columns, wrong geometry types, duplicate line names, negative tolerances.
    """
    frame, _ = _as_lines(lines)
    _bl.check_metric(markers, "界桩 markers")
    _bl.check_same_crs(frame, markers, "界线", "界桩 markers")
    _bl.require_columns(markers, [id_col], "界桩 markers")
    _bl.check_geom_types(markers, ("Point",), "界桩 markers")
    off_tol = _positive(settings.marker_offset_tolerance_m if offset_tolerance_m is None else offset_tolerance_m,
                        "offset_tolerance_m")
    gap_km = _positive(settings.marker_max_gap_km if max_gap_km is None else max_gap_km, "max_gap_km",
                       allow_zero=False)
    disp_tol = _positive(
        settings.marker_displacement_tolerance_m if displacement_tolerance_m is None else displacement_tolerance_m,
        "displacement_tolerance_m",
    )
    codes = _bm.line_code_table(line_codes)
    out, stretches, summary = _bm.check_markers(
        frame.reset_index(drop=True),
        markers,
        line_col=line_col,
        id_col=id_col,
        type_col=type_col,
        offset_tol=off_tol,
        max_gap_km=gap_km,
        measured=measured,
        displacement_tol=disp_tol,
        line_codes=codes,
    )
    if id_col != "marker_id":
        out["marker_id"] = _bm.parse_ids(out[id_col])["marker_id"]
    else:
        out["marker_id"] = _bm.parse_ids(out["marker_id"])["marker_id"].astype(object)
    params = {
        "offset_tolerance_m": off_tol,
        "max_gap_km": gap_km,
        "displacement_tolerance_m": disp_tol,
        "chainage_rule": CHAINAGE_RULE,
        "marker_id_rule": "GB/T 17796-2009：4 位界线代码 + 3 位序号 + 1 位类型码（1 单立、2 双立、3 三立）",
    }
    logger.info(
        "markers_on_lines: %d markers on %d lines, %d flagged, %d stretches > %.1f km",
        len(out), len(frame), int(out["flagged"].sum()), len(stretches), gap_km,
    )
    return MarkerCheck(markers=out, stretches=stretches, summary=summary, params=params)


def line_crossings(
    lines: gpd.GeoDataFrame | BoundaryLines,
    features: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame],
    *,
    name_col: str = "name",
    class_col: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Where boundary lines meet roads, rivers, railways: places to check for construction.

    Parameters
    ----------
    lines : GeoDataFrame or BoundaryLines
        Boundary lines with ``line_name``, metric CRS.
    features : GeoDataFrame or mapping
        A line layer, or several as ``{"道路": roads, "河流": rivers, "铁路": railways}``
        (same CRS as the lines).
    name_col : str
        Feature name column (missing → empty names).
    class_col : str, optional
        Feature class column; default the first of ``road_class``, ``river_class``,
        ``rail_class``, ``class``, ``fclass``, ``highway`` present.
    layer : str, optional
        Label of a single layer; default the layer kind's Chinese name (道路...) or 线状地物.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per crossing point, sorted by line and chainage: ``line_name``,
        ``crossing_no`` (1.. per line), ``chainage_km`` (km, as :data:`CHAINAGE_RULE`),
        ``layer``, ``feature_name``, ``feature_class``, ``crossing_type`` (穿越, or 重合 where
        the feature runs along the line: the point is the middle of the shared stretch),
        ``overlap_m`` (m, length of a 重合 stretch), ``feature_index`` (index in the layer),
        geometry (Point). The same point reached by two touching features of the same name
        is listed once.
    """
    frame, _ = _as_lines(lines)
    if isinstance(features, gpd.GeoDataFrame):
        label = layer or (KINDS[features.attrs["mzgeo_kind"]].name_zh
                          if features.attrs.get("mzgeo_kind") in KINDS else "线状地物")
        layers = {label: features}
    elif isinstance(features, Mapping):
        layers = dict(features)
    else:
        msg = f"features 应为 GeoDataFrame 或 {{图层名: GeoDataFrame}}，收到 {type(features).__name__}"
        raise InputError(msg)
    for name, feats in layers.items():
        _bl.check_metric(feats, f"图层「{name}」")
        _bl.check_geom_types(feats, ("LineString", "MultiLineString"), f"图层「{name}」")
    out = _bm.crossings(frame.reset_index(drop=True), layers, name_col, class_col)
    logger.info("line_crossings: %d crossings on %d lines", len(out), len(frame))
    return out


# --- the five-year cycle ------------------------------------------------------------------------------


def _last_inspection_series(last_inspection: Any, names: list[str] | None = None) -> pd.Series:
    """Last inspection year per line name (Int64, NA = no record)."""
    if last_inspection is None:
        return pd.Series(pd.NA, index=pd.Index(names or [], name="line_name"), dtype="Int64")
    if isinstance(last_inspection, (int, np.integer)) and not isinstance(last_inspection, bool):
        return pd.Series(int(last_inspection), index=pd.Index(names or [], name="line_name"), dtype="Int64")
    if isinstance(last_inspection, pd.DataFrame):
        df = last_inspection
        _bl.require_columns(df, ["line_name"], "联检记录 last_inspection")
        col = next((c for c in ("last_inspection", "year", "last_year") if c in df.columns), None)
        if col is None:
            msg = "联检记录 last_inspection 应有 last_inspection（或 year）列"
            raise InputError(msg)
        series = pd.Series(df[col].to_numpy(), index=df["line_name"].astype(str))
    elif isinstance(last_inspection, pd.Series):
        series = last_inspection.copy()
        series.index = series.index.astype(str)
    elif isinstance(last_inspection, Mapping):
        series = pd.Series(dict(last_inspection), dtype=object)
        series.index = series.index.astype(str)
    else:
        msg = f"last_inspection 应为 {{界线名称: 年份}}、Series、DataFrame 或年份，收到 {type(last_inspection).__name__}"
        raise InputError(msg)
    years = pd.to_numeric(series, errors="coerce")
    bad = years.notna() & ((years < 1949) | (years > 2200) | (years % 1 != 0))
    if bad.any():
        msg = f"联检年份无效：{'、'.join(f'{k}={v}' for k, v in series[bad].items())}"
        raise InputError(msg)
    years = years.astype("Int64")
    years.index.name = "line_name"
    if names is not None:
        years = years.groupby(level=0).max().reindex(pd.Index(names, name="line_name"))
    return years


def _schedule(last: pd.Series, year: int, cycle: int) -> pd.DataFrame:
    nxt = last + cycle
    status = pd.Series("未到期", index=last.index, dtype=object)
    status = status.mask((nxt == year + 1).fillna(False).astype(bool), "明年到期")
    status = status.mask((nxt == year).fillna(False).astype(bool), "本年到期")
    status = status.mask((nxt < year).fillna(False).astype(bool), "逾期")
    status = status.mask(last.isna().to_numpy(), "无联检记录")
    overdue = (year - nxt).clip(lower=0)
    return pd.DataFrame(
        {
            "line_name": last.index.astype(str),
            "last_inspection": last.to_numpy(),
            "next_inspection": nxt.to_numpy(),
            "due": status.to_numpy(),
            "overdue_years": overdue.to_numpy(),
        }
    )


def lines_due(
    last_inspection: Mapping[str, int] | pd.Series | pd.DataFrame,
    year: int | None = None,
    cycle_years: int | None = None,
) -> pd.DataFrame:
    """Lines due for joint inspection this year (or overdue) and next year.

    Parameters
    ----------
    last_inspection : mapping, Series or DataFrame
        Last inspection year per line: ``{"吴南线": 2020}``, a Series indexed by line name,
        or a table with ``line_name`` and ``last_inspection`` (or ``year``). A missing year
        means no record (listed as due).
    year : int, optional
        The current year; default today's.
    cycle_years : int, optional
        Inspection cycle (years); default :data:`mzgeo.settings.inspection_cycle_years` (5).

    Returns
    -------
    pandas.DataFrame
        ``line_name``, ``last_inspection``, ``next_inspection`` (Int64 years), ``due``
        (无联检记录 / 逾期 / 本年到期 / 明年到期) and ``overdue_years``, only the lines due
        by next year, most urgent first.

    Examples
    --------
    >>> due = lines_due({"吴南线": 2020, "南德线": 2021, "嘉湖线": 2023}, year=2025)
    >>> due[["line_name", "due"]].values.tolist()
    [['吴南线', '本年到期'], ['南德线', '明年到期']]
    """
    year = _dt.date.today().year if year is None else int(year)
    cycle = int(settings.inspection_cycle_years if cycle_years is None else cycle_years)
    if cycle <= 0:
        msg = f"cycle_years 应为正整数，收到 {cycle}"
        raise InputError(msg)
    last = _last_inspection_series(last_inspection)
    last = last.groupby(level=0).max()
    table = _schedule(last, year, cycle)
    table = table[table["due"].isin(_DUE_STATUSES)]
    rank = table["due"].map({s: i for i, s in enumerate(_DUE_STATUSES)})
    table = table.assign(_rank=rank).sort_values(["_rank", "next_inspection", "line_name"], kind="stable")
    return table.drop(columns="_rank").reset_index(drop=True)


# --- the checklist ------------------------------------------------------------------------------------


def _findings(
    lines: gpd.GeoDataFrame,
    markers: gpd.GeoDataFrame,
    stretches: gpd.GeoDataFrame,
    gaps: gpd.GeoDataFrame,
    schedule: pd.DataFrame,
    max_gap_km: float,
) -> pd.DataFrame:
    """The 问题清单 of all lines: line, category, item, chainage (km), finding."""
    frames = []
    flagged = markers[markers["flagged"] & markers["line_name"].notna()]
    frames.append(pd.DataFrame({
        "line_name": flagged["line_name"].astype(str).to_numpy(),
        "category": "界桩",
        "subject": flagged["marker_id"].astype(str).to_numpy(),
        "chainage_km": np.round(flagged["chainage_km"].to_numpy(dtype=float), 3),
        "finding": flagged["finding"].to_numpy(dtype=object),
    }))
    if len(stretches):
        text = (
            stretches["from_marker"].astype(str) + " 至 " + stretches["to_marker"].astype(str) + " 之间 "
            + stretches["length_km"].map("{:.2f}".format) + f" 千米无界桩（超过 {max_gap_km:g} 千米）"
        )
        frames.append(pd.DataFrame({
            "line_name": stretches["line_name"].to_numpy(),
            "category": "界桩间距",
            "subject": stretches["from_km"].map("{:.2f}".format) + "–" + stretches["to_km"].map("{:.2f}".format) + " 千米",
            "chainage_km": stretches["from_km"].to_numpy(),
            "finding": text.to_numpy(),
        }))
    if len(gaps):
        pos = lines.reset_index(drop=True).set_index("line_name")
        known = gaps["line_name"].isin(pos.index).to_numpy()
        g = gaps[known]
        line_geoms = pos.geometry.reindex(g["line_name"]).values
        chain = shapely.line_locate_point(line_geoms, shapely.point_on_surface(g.geometry.values)) / 1000.0
        text = (
            "两侧行政区数据之间有" + g["kind"].astype(str) + " " + g["sliver_area_m2"].map("{:.0f}".format) + " 平方米（平均宽约 "
            + g["sliver_width_m"].map("{:.1f}".format) + " 米），请核对界线数据"
        )
        frames.append(pd.DataFrame({
            "line_name": g["line_name"].to_numpy(),
            "category": "数据" + g["kind"].astype(str).to_numpy(),
            "subject": "界线数据",
            "chainage_km": np.round(chain, 3),
            "finding": text.to_numpy(),
        }))
    due = schedule[schedule["due"].isin(["逾期", "本年到期", "无联检记录"])]
    if len(due):
        text = due["due"].map({"逾期": "已逾期", "本年到期": "本年应联检", "无联检记录": "无联检记录，应尽快安排联检"})
        over = due["overdue_years"].astype("Int64")
        text = text.where(due["due"] != "逾期", "已逾期 " + over.astype("string").astype(object) + " 年未联检")
        frames.append(pd.DataFrame({
            "line_name": due["line_name"].to_numpy(),
            "category": "联检周期",
            "subject": "整条界线",
            "chainage_km": np.nan,
            "finding": text.to_numpy(dtype=object),
        }))
    frames = [f for f in frames if len(f)]
    columns = ["line_name", "category", "subject", "chainage_km", "finding"]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns}).astype({"chainage_km": "float64"})
    out = pd.concat(frames, ignore_index=True)[columns]
    cat_rank = out["category"].map({"联检周期": 0}).fillna(1)
    out = out.assign(_r=cat_rank).sort_values(["line_name", "_r", "chainage_km"], kind="stable", na_position="first")
    return out.drop(columns="_r").reset_index(drop=True)


def inspection_checklist(
    lines: gpd.GeoDataFrame | BoundaryLines,
    markers: gpd.GeoDataFrame | MarkerCheck,
    crossings: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame] | None = None,
    last_inspection: Any = None,
    *,
    year: int | None = None,
    cycle_years: int | None = None,
    lines_subset: str | Iterable[str] | None = None,
    offset_tolerance_m: float | None = None,
    max_gap_km: float | None = None,
    displacement_tolerance_m: float | None = None,
    line_codes: Mapping[str, Any] | pd.DataFrame | None = None,
) -> InspectionChecklist:
    """Assemble the joint-inspection checklist of each line.

    Parameters
    ----------
    lines : GeoDataFrame or BoundaryLines
        The lines; from :func:`boundary_lines` the tri-junctions and gaps/overlaps are
        included too.
    markers : GeoDataFrame or MarkerCheck
        The marker register (checked here with :func:`markers_on_lines`) or an existing
        :class:`MarkerCheck`.
    crossings : GeoDataFrame or mapping, optional
        The result of :func:`line_crossings`, or line layers to cross (a GeoDataFrame of
        lines, or ``{"道路": roads, "河流": rivers}``).
    last_inspection : mapping, Series, DataFrame or int, optional
        Last joint inspection year per line (see :func:`lines_due`); one int for all lines.
    year : int, optional
        Inspection year; default this year.
    cycle_years : int, optional
        Cycle (years); default :data:`mzgeo.settings.inspection_cycle_years`.
    lines_subset : str or list of str, optional
        Only these lines.
    offset_tolerance_m, max_gap_km, displacement_tolerance_m, line_codes
        Passed to :func:`markers_on_lines` when ``markers`` is a register.

    Returns
    -------
    InspectionChecklist
        Write it with :meth:`InspectionChecklist.to_excel` and
        :meth:`InspectionChecklist.to_html`.
    """
    frame, source = _as_lines(lines)
    if lines_subset is not None:
        wanted = [lines_subset] if isinstance(lines_subset, str) else list(lines_subset)
        unknown = sorted(set(wanted) - set(frame["line_name"].astype(str)))
        if unknown:
            msg = f"没有这些界线：{'、'.join(unknown)}；可选：{'、'.join(frame['line_name'].astype(str))}"
            raise InputError(msg)
        frame = frame[frame["line_name"].astype(str).isin(wanted)]
    if isinstance(markers, MarkerCheck):
        check = markers
    else:
        check = markers_on_lines(
            frame, markers, offset_tolerance_m=offset_tolerance_m, max_gap_km=max_gap_km,
            displacement_tolerance_m=displacement_tolerance_m, line_codes=line_codes,
        )
    names = frame["line_name"].astype(str).tolist()
    if crossings is None:
        cross = _bm.crossings(frame.reset_index(drop=True), {}, "name", None)
    elif isinstance(crossings, gpd.GeoDataFrame) and "chainage_km" in crossings.columns and (
        "crossing_no" in crossings.columns
    ):
        cross = crossings
    else:
        cross = line_crossings(frame, crossings)
    cross = cross[cross["line_name"].astype(str).isin(names)]
    year = _dt.date.today().year if year is None else int(year)
    cycle = int(settings.inspection_cycle_years if cycle_years is None else cycle_years)
    schedule = _schedule(_last_inspection_series(last_inspection, names), year, cycle)

    if source is not None:
        junctions = source.junctions
        jn = junctions["line_names"].astype(str).str.split("、")
        junctions = junctions[jn.map(lambda ls: bool(set(ls) & set(names))).astype(bool)]
        gaps = source.gaps[source.gaps["line_name"].astype(str).isin(names)]
    else:
        junctions = gpd.GeoDataFrame({c: [] for c in _bl.JUNCTION_COLUMNS}, geometry="geometry", crs=frame.crs)
        gaps = gpd.GeoDataFrame({c: [] for c in _bl.GAP_COLUMNS}, geometry="geometry", crs=frame.crs)

    summary = check.summary.set_index("line_name")
    out = frame.reset_index(drop=True).copy()
    for col in ("side_a_name", "side_a_code", "side_b_name", "side_b_code", "junctions"):
        if col not in out.columns:
            out[col] = ""
    out["line_code"] = out["line_name"].map(summary["line_code"]) if "line_code" not in out.columns else \
        out["line_code"].fillna(out["line_name"].map(summary["line_code"]))
    out["length_km"] = np.round(shapely.length(out.geometry.values) / 1000.0, 3)
    for col in ("n_markers", "n_flagged", "n_stretches"):
        out[col] = out["line_name"].map(summary[col]).fillna(0).astype("int64")
    for col in ("numbering", "missing_sequences"):
        out[col] = out["line_name"].map(summary[col]).fillna("")
    out["n_crossings"] = out["line_name"].map(cross["line_name"].value_counts()).fillna(0).astype("int64")
    kinds = {"缝隙": ("n_data_gaps", "data_gap_area_m2"), "重叠": ("n_data_overlaps", "data_overlap_area_m2")}
    for kind, (n_col, a_col) in kinds.items():
        sel = gaps[gaps["kind"] == kind]
        out[n_col] = out["line_name"].map(sel["line_name"].value_counts()).fillna(0).astype("int64")
        out[a_col] = out["line_name"].map(sel.groupby("line_name")["sliver_area_m2"].sum()).fillna(0.0).round(1)
    sched = schedule.set_index("line_name")
    for col in ("last_inspection", "next_inspection", "due"):
        out[col] = out["line_name"].map(sched[col])
    out["last_inspection"] = out["last_inspection"].astype("Int64")
    out["next_inspection"] = out["next_inspection"].astype("Int64")
    cols = [
        "line_name", "line_code", "side_a_name", "side_a_code", "side_b_name", "side_b_code", "length_km",
        "n_markers", "n_flagged", "numbering", "missing_sequences", "n_stretches", "junctions", "n_crossings",
        "n_data_gaps", "data_gap_area_m2", "n_data_overlaps", "data_overlap_area_m2", "last_inspection", "next_inspection", "due",
        "geometry",
    ]
    out = gpd.GeoDataFrame(out[cols], geometry="geometry", crs=frame.crs)
    mk = check.markers[check.markers["line_name"].astype(str).isin(names)]
    st = check.stretches[check.stretches["line_name"].astype(str).isin(names)]
    findings = _findings(out, mk, st, gaps, schedule, float(check.params.get("max_gap_km", settings.marker_max_gap_km)))
    params = {
        **(source.params if source is not None else {}),
        **check.params,
        "inspection_cycle_years": cycle,
        "year": year,
    }
    logger.info("inspection_checklist: %d lines, %d markers, %d findings", len(out), len(mk), len(findings))
    out.attrs[SOURCE_PATHS] = tuple(source_paths(lines, markers, crossings))  # never overwritten
    return InspectionChecklist(
        lines=out, markers=mk, stretches=st, crossings=cross, junctions=junctions, gaps=gaps,
        findings=findings, year=year, params=params,
    )


# --- reading results back -------------------------------------------------------------------------------


def read_inspection_results(
    path: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    displacement_tolerance_m: float | None = None,
    implausible_m: float = 1000.0,
    strict: bool = False,
) -> InspectionResults:
    """Read filled-in checklist workbook(s) back, validate them, list the markers to act on.

    Every 界桩检查表 sheet is read (found through the hidden ``_mzgeo`` sheet written by
    :meth:`InspectionChecklist.to_excel`, or by its headers). Checked: marker IDs not in the
    original register, missing or invalid 界桩状况, measured coordinates that are not
    numbers, incomplete, outside China (lon 73–136, lat 3–54) or outside a Gauss-Krüger
    3-degree zone (X with the zone number), and measured positions more than
    ``implausible_m`` from the recorded one (a warning: probably a typing error).
    Measured lon/lat (CGCS2000) are converted to the metric CRS; when both are given the
    plane coordinates are used.

    Parameters
    ----------
    path : path or list of paths
        One workbook, or several (e.g. one per line).
    displacement_tolerance_m : float, optional
        Displacement (m) beyond which a marker is re-surveyed; default the value recorded
        in the workbook, else :data:`mzgeo.settings.marker_displacement_tolerance_m`.
    implausible_m : float
        Displacement (m) beyond which the measured coordinates are reported as implausible.
    strict : bool
        Raise :class:`~mzgeo.ValidationError` when there are errors, instead of returning
        them in ``.problems``.

    Returns
    -------
    InspectionResults
        ``.markers`` (updated register), ``.repairs``, ``.problems``, ``.params``.

    Raises
    ------
    InputError
        A file is missing or holds no checklist sheet.
    ValidationError
        ``strict=True`` and errors were found.
    """
    paths = [path] if isinstance(path, (str, os.PathLike)) else list(path)
    if not paths:
        msg = "没有要读取的检查表文件"
        raise InputError(msg)
    tol = None if displacement_tolerance_m is None else _positive(displacement_tolerance_m, "displacement_tolerance_m")
    implausible = _positive(implausible_m, "implausible_m", allow_zero=False)
    markers, problems, applied = _bs.read_results(paths, tol, implausible)
    repairs = markers[markers["needs_action"].astype(bool)] if len(markers) else markers
    params = {"displacement_tolerance_m": applied, "implausible_m": implausible,
              "files": "、".join(Path(p).name for p in paths)}
    label = "、".join(Path(p).name for p in paths)
    n_err = sum(p.severity == "error" for p in problems)
    logger.info("read_inspection_results: %d markers, %d to repair or re-survey, %d problems (%d errors)",
                len(markers), len(repairs), len(problems), n_err)
    if strict and n_err:
        raise ValidationError(problems=problems, file=label)
    markers.attrs[SOURCE_PATHS] = tuple(str(_path_key(p)) for p in paths)  # never overwritten
    return InspectionResults(markers=markers, repairs=repairs, problems=problems, params=params)
