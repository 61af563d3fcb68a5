"""Boundary lines between adjacent units: naming, tri-junctions, gaps and overlaps, dissolving units.

The geometry is in ``_geometry`` (how a shared boundary is found), the naming rule in ``_naming``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._files import SOURCE_PATHS, source_paths
from ..errors import InputError
from . import _geometry, _naming
from ._result import problem_rows, problems_frame, repr_html, write_gpkg

logger = logging.getLogger("mzgeo")

__all__ = [
    "CHAINAGE_RULE",
    "NAMING_RULE",
    "BoundaryLines",
    "boundary_gaps",
    "boundary_lines",
    "dissolve_units",
    "line_name",
    "short_name",
    "tri_junctions",
]

#: The naming rule, as printed in outputs.
NAMING_RULE = (
    "两侧简称（去掉市/区/县/镇/乡/街道等后缀取首字）按区划代码从小到大连接加“线”；重名时不同的一侧取两字，"
    "同一上级区划内部的界线、本区域内的界线优先保留原名；三交点用与界线相同的简称，简称相同的取两字"
)

#: The chainage direction rule, as printed in outputs.
CHAINAGE_RULE = "东西走向的界线自西向东、南北走向的界线自北向南"



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
        """Return the number of lines."""
        return len(self.lines)

    def summary(self) -> pd.DataFrame:
        """Per line: name, sides, length (km), parts, tri-junctions, naming rule (no geometry)."""
        cols = [c for c in ("line_name", "line_code", "side_a_name", "side_b_name", "n_parts", "junctions",
                            "name_rule") if c in self.lines.columns]
        out = pd.DataFrame(self.lines[cols]).reset_index(drop=True)
        out.insert(min(len(out.columns), 4), "length_km", (self.lines["length_m"].to_numpy(dtype=float) / 1000.0)
                   if "length_m" in self.lines.columns else np.nan)
        return out

    @property
    def problems(self) -> pd.DataFrame:
        """Data problems (columns of :data:`mzgeo.analysis.PROBLEM_COLUMNS`): gaps and overlaps between the sides' polygons."""
        g = self.gaps
        if g.empty:
            return problems_frame([])
        kind = g["kind"].astype(str)
        msg = (kind + "：" + g["line_name"].astype(str) + " 两侧区划面之间，面积 "
               + g["sliver_area_m2"].round(1).astype(str) + " 平方米，平均宽度 "
               + g["sliver_width_m"].round(2).astype(str) + " 米")
        key = np.where(kind == "重叠", "data_overlap", "data_gap")
        rows = [problem_rows(k, "行政区 units", g.index[key == k], g.loc[key == k, "line_name"], msg[key == k])
                for k in ("data_gap", "data_overlap") if (key == k).any()]
        return problems_frame(rows)

    @property
    def headline(self) -> str:
        """Return one Chinese sentence: lines, total length, tri-junctions, gaps and overlaps."""
        km = float(self.lines["length_m"].sum()) / 1000.0 if len(self.lines) else 0.0
        n_gap = int((self.gaps["kind"] == "缝隙").sum()) if len(self.gaps) else 0
        n_ovl = int((self.gaps["kind"] == "重叠").sum()) if len(self.gaps) else 0
        return (f"界线 {len(self.lines)} 条，共 {km:.1f} 千米；三交点 {len(self.junctions)} 个；"
                f"区划面缝隙 {n_gap} 处、重叠 {n_ovl} 处")

    def _repr_html_(self) -> str:
        return repr_html("行政区域界线", self.headline, self.summary(), self.problems)

    def to_excel(self, path: str | os.PathLike) -> Path:
        """Write 界线, 三交点, 缝隙与重叠 and the parameters to one workbook (atomic).

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.xlsx``.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        from ..report import write_excel

        return Path(write_excel(
            path,
            {"界线": self.lines, "三交点": self.junctions, "缝隙与重叠": self.gaps},
            params=self.params,
            title="行政区域界线",
            sources=source_paths(self),
        ))

    def to_gpkg(self, path: str | os.PathLike) -> Path:
        """Write the three layers (``lines``, ``junctions``, ``gaps``) to one GeoPackage (atomic).

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.gpkg`` (other layers of an existing file are kept).

        Returns
        -------
        pathlib.Path
            The path written.
        """
        return write_gpkg(path, {"lines": self.lines, "junctions": self.junctions, "gaps": self.gaps}, self)


# --- helpers ---------------------------------------------------------------------------------


def _as_lines(lines: Any, what: str = "界线 lines") -> tuple[gpd.GeoDataFrame, BoundaryLines | None]:
    """Return the lines frame (checked) and the BoundaryLines it came from, if any."""
    source = lines if isinstance(lines, BoundaryLines) else None
    frame = lines.lines if source is not None else lines
    _geometry.check_metric(frame, what)
    _geometry.require_columns(frame, ["line_name"], what)
    _geometry.check_geom_types(frame, ("LineString", "MultiLineString"), what)
    dup = frame["line_name"].astype(str).duplicated()
    if dup.any():
        msg = f"{what} 中界线名称重复：{'、'.join(frame.loc[dup, 'line_name'].astype(str).unique())}"
        raise InputError(msg)
    return frame, source



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
    return _naming.short_name(name, n_chars)


def line_name(name_a: str, name_b: str, code_a: Any = None, code_b: Any = None) -> str:
    """Return the conventional name of the line between two units (no collision handling).

    Side A is the unit with the smaller code when both codes are given, else ``name_a``.

    Examples
    --------
    >>> line_name("南浔区", "吴兴区", "330503", "330502")
    '吴南线'
    >>> line_name("湖州市", "嘉兴市", 330500, 330400)
    '嘉湖线'
    """
    if code_a is not None and code_b is not None:
        keys = _naming.code_sort_key(pd.Series([str(code_a), str(code_b)]))
        if keys.iloc[1] < keys.iloc[0]:
            name_a, name_b = name_b, name_a
    return _naming.short_name(name_a) + _naming.short_name(name_b) + "线"


# --- lines ------------------------------------------------------------------------------------------


def _prepare_units(
    units: gpd.GeoDataFrame, name_col: str, code_col: str, short_col: str | None, what: str
) -> gpd.GeoDataFrame:
    _geometry.check_metric(units, what)
    _geometry.require_columns(units, [name_col, code_col], what)
    ok = _geometry.check_geom_types(units, ("Polygon", "MultiPolygon"), what)
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
    tol = _geometry.positive(settings.boundary_tolerance_m if tolerance_m is None else tolerance_m, "tolerance_m")
    min_len = _geometry.positive(tol if min_length_m is None else min_length_m, "min_length_m")
    min_area = _geometry.positive(min_area_m2, "min_area_m2")
    selected = units
    if level is not None:
        _geometry.require_columns(units, [level_col], "行政区 units")
        want = _geometry.canonical_level(level)
        selected = units[units[level_col].map(_geometry.canonical_level) == want]
        if selected.empty:
            have = "、".join(sorted(units[level_col].astype(str).unique()))
            msg = f"行政区 units 中没有级别为「{level}」的单元；现有级别：{have}"
            raise InputError(msg)
    inner = _prepare_units(selected, name_col, code_col, short_col, "行政区 units")
    inner["is_outer"] = False
    parts = [inner]
    if outer is not None:
        _geometry.check_same_crs(units, outer, "行政区 units", "外侧行政区 outer")
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
    geoms = _geometry.polygonal(allu.geometry.to_numpy())
    codes, names = allu["code"], allu["name"]
    a, b, g = _geometry.extract(geoms, codes, allu["is_outer"].to_numpy(), tol, min_len)

    ov = _naming._parse_overrides(overrides, codes, names)
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
    lname, rule, lcode, naming = _naming.name_lines(
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
    given = dict(zip(codes, _naming._given(shorts, len(allu)), strict=True))
    full = dict(zip(codes, names, strict=True))
    junctions, per_line = _geometry.junctions(lines, tol, given, full, naming)
    lines["junctions"] = per_line
    columns = list(_geometry.LINE_COLUMNS)
    if lcode.notna().any():
        lines["line_code"] = lcode.astype("string")
        columns.insert(5, "line_code")
    order = np.lexsort((
        _naming.code_sort_key(lines["side_b_code"]).to_numpy(), _naming.code_sort_key(lines["side_a_code"]).to_numpy()
    )) if len(lines) else np.array([], dtype=int)
    pos_a, pos_b = a[order], b[order]
    lines = lines.iloc[order].reset_index(drop=True)[columns]
    gaps = _geometry.gaps_and_overlaps(geoms, lines, pos_a, pos_b, tol, min_area)
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
    _geometry.require_columns(units, [by], "行政区 units")
    frame = units[[by, units.geometry.name]].copy()
    frame[by] = frame[by].astype(str).str.strip()
    merged = frame.dissolve(by=by, as_index=False)
    if isinstance(parents, Mapping):
        lookup = {str(k): str(v) for k, v in parents.items()}
    elif parents is not None:
        _geometry.require_columns(parents, [code_col, name_col], "上级行政区 parents")
        lookup = dict(zip(parents[code_col].astype(str), parents[name_col].astype(str), strict=True))
    else:
        lookup = {}
    out = gpd.GeoDataFrame(
        {"code": merged[by].to_numpy(), "name": [lookup.get(c, c) for c in merged[by]]},
        geometry=merged.geometry.values,
        crs=units.crs,
    )
    return out


