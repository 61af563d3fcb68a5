"""The printable joint-inspection checklist: one workbook (Excel) and one offline HTML page per line."""

from __future__ import annotations

import datetime as _dt
import html
import logging
import math
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
from ..errors import InputError
from . import _geometry, _sheets
from ._result import problem_rows, problems_frame, repr_html, write_gpkg
from ._sheets import (
    CROSSING_SHEET_COLUMNS,
    FINDING_SHEET_COLUMNS,
    MARKER_SHEET_COLUMNS,
    STATUSES,
    Col,
    _safe,
    crossing_rows,
    finding_rows,
    marker_rows,
    side_names,
    summary_items,
)
from .crossings import crossings as _crossing_points
from .crossings import line_crossings
from .lines import BoundaryLines, _as_lines
from .markers import MarkerCheck, markers_on_lines
from .results import _last_inspection_series, _schedule

logger = logging.getLogger("mzgeo")

__all__ = [
    "InspectionChecklist",
    "inspection_checklist",
]

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

    def to_gpkg(self, path: str | os.PathLike) -> Path:
        """Write the checklist's layers to one GeoPackage (atomic).

        Layers: ``lines``, ``markers`` and, when present, ``stretches``, ``crossings``, ``junctions``.

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.gpkg``.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        layers = {"lines": self.lines, "markers": self.markers}
        for key in ("stretches", "crossings", "junctions"):
            frame = getattr(self, key)
            if frame is not None and len(frame):
                layers[key] = frame
        return write_gpkg(path, layers, self)

    def to_excel(
        self,
        path: str | os.PathLike,
        per_line_workbooks: bool = False,
        *,
        lines: str | Iterable[str] | None = None,
    ) -> Path:
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
        pathlib.Path
            The workbook written, or the folder with ``per_line_workbooks=True`` (the files:
            :meth:`to_excel_per_line`).
        """
        if per_line_workbooks:
            self.to_excel_per_line(path, lines=lines)
            return Path(path)
        names = self._names_to_write(lines)
        refuse_inputs(path, source_paths(self))
        written = _sheets.write_workbook(path, self, names, per_line_prefix=len(names) > 1)
        logger.info("inspection checklist: %s, %d line(s)", written, len(names))
        return Path(written)

    def to_excel_per_line(self, folder: str | os.PathLike, *, lines: str | Iterable[str] | None = None) -> list[Path]:
        """Write one checklist workbook per line, ``界线联检检查表_<line>.xlsx`` in ``folder``.

        Parameters
        ----------
        folder : str or os.PathLike
            Destination folder (created when missing).
        lines : str or list of str, optional
            Only these lines.

        Returns
        -------
        list of pathlib.Path
            The files written, one per line.
        """
        names = self._names_to_write(lines)
        srcs = source_paths(self)
        folder = Path(folder)
        if folder.suffix.lower() == ".xlsx":
            msg = f"per_line_workbooks=True 时 path 应为文件夹，收到 {folder}"
            raise InputError(msg)
        targets = {n: folder / f"界线联检检查表_{_safe_file_name(n)}.xlsx" for n in names}
        for t in targets.values():
            refuse_inputs(t, srcs)
        written = [Path(_sheets.write_workbook(t, self, [n], False)) for n, t in targets.items()]
        logger.info("inspection checklist: %d workbook(s), %d line(s)", len(written), len(names))
        return written

    def _names_to_write(self, lines: str | Iterable[str] | None) -> list[str]:
        names = self._select(lines)
        if not names:
            msg = "检查表中没有界线，无法写出 (no lines)"
            raise InputError(msg)
        return names

    def summary(self) -> pd.DataFrame:
        """Per line (no geometry): the table of :attr:`lines`, as on the 界线概况 sheets."""
        return pd.DataFrame(self.lines.drop(columns=self.lines.geometry.name)).reset_index(drop=True)

    @property
    def problems(self) -> pd.DataFrame:
        """The 问题清单 as problems (columns of :data:`mzgeo.analysis.PROBLEM_COLUMNS`), one row per finding."""
        f = self.findings
        if f.empty:
            return problems_frame([])
        msg = f["line_name"].astype(str) + "：" + f["finding"].astype(str)
        return problems_frame([problem_rows("inspection_finding", "界线联检", f.index, f["subject"], msg)]).assign(
            problem=f["category"].astype(str).to_numpy())

    @property
    def headline(self) -> str:
        """Return one Chinese sentence: lines, markers, findings, lines due this year or overdue."""
        due = self.lines["due"].astype(str) if "due" in self.lines.columns else pd.Series(dtype=str)
        n_due = int(due.isin(["逾期", "本年到期"]).sum())
        return (f"{self.year} 年界线联检检查表：界线 {len(self.lines)} 条，界桩 {len(self.markers)} 个，"
                f"问题清单 {len(self.findings)} 条；逾期或本年到期的界线 {n_due} 条")

    def _repr_html_(self) -> str:
        return repr_html("界线联检检查表", self.headline, self.summary(), self.problems)

    def to_html(self, path: str | os.PathLike, *, lines: str | Iterable[str] | None = None) -> Path:
        """Write one self-contained printable HTML file, a page per line (atomic).

        Each page: the summary, an inline SVG map of the line with its markers (red when
        flagged), crossings and tri-junctions, the marker checklist with empty field
        columns, crossings, findings and the signature block. No external requests (no
        scripts, fonts or tiles), all user text HTML-escaped; CSS ``@media print`` starts
        each line on a new landscape A4 page.

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.html``.
        lines : str or list of str, optional
            Only these lines.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        names = self._select(lines)
        refuse_inputs(path, source_paths(self))
        out = write_html(path, self, names)
        logger.info("inspection checklist HTML: %s (%d line(s))", path, len(names))
        return Path(out)




def _safe_file_name(name: str) -> str:
    return "".join("_" if ch in '\\/:*?"<>|' else ch for ch in str(name)).strip() or "界线"



# --- the checklist ------------------------------------------------------------------------------------


def _findings(
    lines: gpd.GeoDataFrame,
    markers: gpd.GeoDataFrame,
    stretches: gpd.GeoDataFrame,
    gaps: gpd.GeoDataFrame,
    schedule: pd.DataFrame,
    max_gap_km: float,
) -> pd.DataFrame:
    """Return the 问题清单 of all lines: line, category, item, chainage (km), finding."""
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
        cross = _crossing_points(frame.reset_index(drop=True), {}, "name", None)
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
        junctions = gpd.GeoDataFrame({c: [] for c in _geometry.JUNCTION_COLUMNS}, geometry="geometry", crs=frame.crs)
        gaps = gpd.GeoDataFrame({c: [] for c in _geometry.GAP_COLUMNS}, geometry="geometry", crs=frame.crs)

    summary = check.line_summary.set_index("line_name")
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



# --- HTML ----------------------------------------------------------------------------------------


def _e(value: Any, digits: int | None = None) -> str:
    """HTML-escaped text of a value (empty for missing values; floats with ``digits`` decimals)."""
    value = _safe(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}" if digits is not None else f"{value:.12g}"
    return html.escape(str(value), quote=True)


def _nice_length(target: float) -> float:
    if target <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(target))
    for m in (5, 2, 1):
        if m * exp <= target:
            return m * exp
    return exp


def svg_map(checklist: Any, line: str, width: int = 1000, height: int = 520) -> str:
    """Return a self-contained inline SVG map of one line, its markers, crossings and tri-junctions."""
    lrow = checklist.lines[checklist.lines["line_name"] == line]
    geom = lrow.geometry.iloc[0] if len(lrow) else None
    markers = checklist.markers[checklist.markers["line_name"] == line]
    crossings = checklist.crossings[checklist.crossings["line_name"] == line]
    junctions = checklist.junctions
    if len(junctions) and "line_names" in junctions.columns:
        junctions = junctions[junctions["line_names"].astype(str).str.split("、").map(lambda names: line in names)]
    pieces = [g for g in (geom, *markers.geometry, *crossings.geometry) if g is not None and not g.is_empty]
    if not pieces:
        return '<p class="nomap">（无可绘制的几何）</p>'
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(pieces, dtype=object))
    pad = 40.0
    dx = max(maxx - minx, 1.0)
    dy = max(maxy - miny, 1.0)
    scale = min((width - 2 * pad) / dx, (height - 2 * pad) / dy)
    ox = pad + ((width - 2 * pad) - dx * scale) / 2
    oy = pad + ((height - 2 * pad) - dy * scale) / 2

    def tx(x: np.ndarray) -> np.ndarray:
        return ox + (np.asarray(x) - minx) * scale

    def ty(y: np.ndarray) -> np.ndarray:
        return height - (oy + (np.asarray(y) - miny) * scale)

    out = [
        f'<svg class="map" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{_e(line)} 示意图">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fbfbf7" stroke="#999"/>',
    ]
    if geom is not None and not geom.is_empty:
        simple = shapely.simplify(geom, 0.5 / scale)
        for part in shapely.get_parts(simple):
            c = shapely.get_coordinates(part)
            d = "M" + " L".join(f"{a:.1f} {b:.1f}" for a, b in zip(tx(c[:, 0]), ty(c[:, 1]), strict=True))
            out.append(f'<path d="{d}" fill="none" stroke="#d62728" stroke-width="2.5" stroke-dasharray="10 4 2 4"/>')
        start = shapely.get_coordinates(shapely.get_parts(geom)[0])[0]
        end = shapely.get_coordinates(shapely.get_parts(geom)[-1])[-1]
        for (x, y), label in ((start, "起点 0 km"), (end, "终点")):
            out.append(
                f'<text x="{tx(x):.1f}" y="{ty(y) - 8:.1f}" font-size="13" text-anchor="middle" '
                f'fill="#000">{_e(label)}</text>'
            )
    for g, name in zip(crossings.geometry, crossings["feature_name"], strict=True):
        x, y = float(tx(g.x)), float(ty(g.y))
        out.append(
            f'<path d="M{x - 5:.1f} {y - 5:.1f} L{x + 5:.1f} {y + 5:.1f} M{x - 5:.1f} {y + 5:.1f} L{x + 5:.1f} {y - 5:.1f}"'
            f' stroke="#1f77b4" stroke-width="2"><title>{_e(name)}</title></path>'
        )
    for g, name in zip(junctions.geometry, junctions.get("junction_name", []), strict=False):
        x, y = float(tx(g.x)), float(ty(g.y))
        out.append(
            f'<path d="M{x:.1f} {y - 8:.1f} L{x + 7:.1f} {y + 5:.1f} L{x - 7:.1f} {y + 5:.1f} Z" fill="#9467bd">'
            f"<title>{_e(name)}</title></path>"
        )
    label_every = max(1, math.ceil(len(markers) / 60))
    ordered = markers.sort_values("chainage_km")
    for k, (g, mid, flagged, finding) in enumerate(
        zip(ordered.geometry, ordered["marker_id"], ordered["flagged"], ordered["finding"], strict=True)
    ):
        if g is None or g.is_empty:
            continue
        x, y = float(tx(g.x)), float(ty(g.y))
        colour = "#c00000" if flagged else "#2ca02c"
        tip = f"{mid}：{finding}" if finding else f"{mid}"
        out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{colour}" stroke="#000" stroke-width="0.6">'
                   f"<title>{_e(tip)}</title></circle>")
        if k % label_every == 0:
            out.append(f'<text x="{x + 6:.1f}" y="{y - 4:.1f}" font-size="10" fill="#333">{_e(mid)}</text>')
    # scale bar and north arrow
    bar_m = _nice_length((width / 5) / scale)
    bar_px = bar_m * scale
    label = f"{bar_m / 1000:g} 千米" if bar_m >= 1000 else f"{bar_m:g} 米"
    out.append(
        f'<g><path d="M20 {height - 20} L{20 + bar_px:.1f} {height - 20}" stroke="#000" stroke-width="3"/>'
        f'<text x="20" y="{height - 28}" font-size="12">{_e(label)}</text></g>'
        f'<g><path d="M{width - 30} 50 L{width - 22} 30 L{width - 14} 50 Z" fill="#000"/>'
        f'<text x="{width - 22}" y="66" font-size="13" text-anchor="middle">北</text></g>'
    )
    out.append("</svg>")
    return "\n".join(out)


def _decimals(number_format: str | None) -> int | None:
    """Decimals of an Excel number format such as ``0.000`` (None when not given)."""
    if not number_format:
        return None
    return len(number_format.split(".", 1)[1]) if "." in number_format else 0


def _html_table(cols: tuple[Col, ...], rows: pd.DataFrame, min_rows: int = 0) -> str:
    head = "".join(f'<th class="{"field" if c.field else ""}">{_e(c.label)}</th>' for c in cols)
    body = []
    records = rows.to_dict("records") if len(rows) else []
    for i in range(max(len(records), min_rows)):
        rec = records[i] if i < len(records) else {}
        cls = ' class="flag"' if rec.get("flagged") else ""
        cells = "".join(
            f'<td class="c-{c.key}">{"" if c.field else _e(rec.get(c.key), _decimals(c.number_format))}</td>'
            for c in cols
        )
        body.append(f"<tr{cls}>{cells}</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(cols)}">（无）</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


_CSS = """
@page { size: A4 landscape; margin: 10mm; }
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 10.5pt;
       color: #000; margin: 0 auto; max-width: 1400px; }
section.line { padding: 8px 12px; }
h1 { font-size: 17pt; text-align: center; margin: 4px 0; }
h2 { font-size: 12.5pt; margin: 12px 0 4px; }
table { border-collapse: collapse; width: 100%; margin-bottom: 8px; }
th, td { border: 1px solid #333; padding: 2px 4px; vertical-align: top; }
th { background: #ddebf7; } th.field { background: #fff2cc; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; break-inside: avoid; }
tr.flag td { color: #c00000; }
td { min-width: 1.5em; height: 1.4em; }
td.c-finding, td.c-subject { min-width: 12em; } td.c-register_remarks { min-width: 6em; }
td.c-marker_type, td.c-marker_id, td.c-row_no { white-space: nowrap; }
table.kv td:first-child { width: 28%; font-weight: bold; }
.legend span { margin-right: 18px; } .note { font-size: 9pt; color: #333; }
.sign p { margin: 14px 0; }
svg.map { border: 1px solid #999; max-height: 120mm; }
@media print {
  section.line { page-break-after: always; break-after: page; }
  section.line:last-child { page-break-after: auto; break-after: auto; }
  h2 { page-break-after: avoid; break-after: avoid; }
  svg.map { max-height: 110mm; }
}
"""


def write_html(path: str | os.PathLike, checklist: Any, lines: list[str]) -> str:
    """One self-contained printable HTML file, a page (section) per line."""
    sections = []
    for line in lines:
        side_a, side_b = side_names(checklist, line)
        items = summary_items(checklist, line)
        kv = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in items)
        sections.append(
            "\n".join(
                [
                    '<section class="line">',
                    f"<h1>{_e(line)} 界线联检检查表（{_e(checklist.year)} 年）</h1>",
                    "<h2>界线概况</h2>",
                    f'<table class="kv"><tbody>{kv}</tbody></table>',
                    "<h2>界线示意图</h2>",
                    svg_map(checklist, line),
                    '<p class="legend note"><span style="color:#d62728">— · — 界线</span>'
                    '<span style="color:#2ca02c">● 界桩（无问题）</span><span style="color:#c00000">● 界桩（有问题）'
                    '</span><span style="color:#1f77b4">× 穿越点</span><span style="color:#9467bd">▲ 三交点</span></p>',
                    "<h2>界桩检查表</h2>",
                    f'<p class="note">黄色列现场填写；界桩状况：{_e("、".join(STATUSES))}。</p>',
                    _html_table(MARKER_SHEET_COLUMNS, marker_rows(checklist, line), min_rows=1),
                    "<h2>穿越点</h2>",
                    _html_table(CROSSING_SHEET_COLUMNS, crossing_rows(checklist, line)),
                    "<h2>问题清单</h2>",
                    _html_table(FINDING_SHEET_COLUMNS, finding_rows(checklist, line)),
                    '<div class="sign"><h2>双方检查人员签字</h2>',
                    f"<p>{_e(side_a)}检查人员（签字）：____________________　日期：______年____月____日</p>",
                    f"<p>{_e(side_b)}检查人员（签字）：____________________　日期：______年____月____日</p>",
                    "</div>",
                    "</section>",
                ]
            )
        )
    title = "界线联检检查表" if len(lines) != 1 else f"{lines[0]} 界线联检检查表"
    doc = (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )
    with atomic_path(path) as tmp:
        tmp.write_text(doc, encoding="utf-8")
    return str(path)


