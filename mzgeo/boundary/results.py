"""Filled-in checklists read back (界桩登记表 updated, markers needing repair) and the five-year cycle."""

from __future__ import annotations

import datetime as _dt
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

from .. import settings
from .._files import SOURCE_PATHS, source_paths
from .._files import path_key as _path_key
from ..errors import InputError, Problem, ValidationError
from ..report import label as column_label
from . import _geometry
from ._result import write_gpkg
from ._sheets import (
    MARKER_SHEET_COLUMNS,
    META_SHEET,
    STATUS_ACTIONS,
    STATUSES,
)

logger = logging.getLogger("mzgeo")

__all__ = [
    "InspectionResults",
    "lines_due",
    "read_inspection_results",
]

_DUE_STATUSES = ("无联检记录", "逾期", "本年到期", "明年到期")



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
    file_problems : list of Problem
        What is wrong in the file (unknown IDs, missing status, bad coordinates...), with
        file and sheet, row and column as the user sees them. :attr:`problems` gives the same
        as a frame with the columns every result uses (``PROBLEM_COLUMNS``).
    params : dict
        Parameters applied.
    """

    markers: gpd.GeoDataFrame
    repairs: gpd.GeoDataFrame
    file_problems: list[Problem] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def problems(self) -> pd.DataFrame:
        """Return the file problems as a frame (columns ``PROBLEM_COLUMNS``, as every result).

        ``item`` is the place (file, sheet, row, column as the user sees them), ``problem`` the code.
        """
        from ._result import problems_frame

        rows = [pd.DataFrame({
            "severity": [p.severity for p in self.file_problems],
            "problem": [p.code or "inspection" for p in self.file_problems],
            "layer": "联检检查表",
            "item": [" ".join(str(x) for x in (p.file, f"第 {p.row} 行" if p.row else None,
                                               f"「{p.column}」" if p.column else None) if x)
                     for p in self.file_problems],
            "name": None,
            "message": [p.message for p in self.file_problems],
        })] if self.file_problems else []
        return problems_frame(rows)

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``"error"``."""
        return [p for p in self.file_problems if p.severity == "error"]

    def summary(self) -> pd.DataFrame:
        """Per line: markers read back, markers needing repair or re-survey, displaced markers."""
        m = self.markers
        if m.empty:
            return pd.DataFrame(columns=["line_name", "n_markers", "needs_action", "displaced"])
        g = pd.DataFrame(m.drop(columns=m.geometry.name)).groupby("line_name", sort=False)
        return pd.DataFrame({
            "n_markers": g.size(),
            "needs_action": g["needs_action"].sum().astype("int64"),
            "displaced": g["displaced"].sum().astype("int64"),
        }).rename_axis("line_name").reset_index()

    @property
    def headline(self) -> str:
        """Return one Chinese sentence: markers read back, repairs, errors in the files."""
        return (f"读回界桩 {len(self.markers)} 个，需维修或重测 {len(self.repairs)} 个；"
                f"文件问题 {len(self.file_problems)} 条（其中错误 {len(self.errors)} 条）")

    def _repr_html_(self) -> str:
        import html

        rows = "".join(f"<li>{html.escape(str(p))}</li>" for p in self.file_problems[:20])
        table = self.summary()
        summary = table.rename(columns={c: column_label(c, "inspection") for c in table.columns})
        return (f"<div><strong>界线联检结果</strong><p>{html.escape(self.headline)}</p>"
                f"{summary.to_html(index=False, escape=True, border=0)}<ul>{rows}</ul></div>")

    def to_excel(self, path: str | os.PathLike) -> Path:
        """Write 界桩登记表（更新）, 需维修或重测界桩 and 检查问题 to one workbook (atomic).

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

        sheets = results_sheets(self.markers, self.repairs, self.file_problems)
        return Path(write_excel(path, sheets, params=self.params, chinese=False, title="界线联检结果",
                                sources=source_paths(self)))

    def to_gpkg(self, path: str | os.PathLike) -> Path:
        """Write the updated register (``markers``) and ``repairs`` to one GeoPackage (atomic).

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.gpkg``.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        layers = {"markers": self.markers}
        if len(self.repairs):
            layers["repairs"] = self.repairs
        return write_gpkg(path, layers, self)



# --- the five-year cycle ------------------------------------------------------------------------------


def _last_inspection_series(last_inspection: Any, names: list[str] | None = None) -> pd.Series:
    """Last inspection year per line name (Int64, NA = no record)."""
    if last_inspection is None:
        return pd.Series(pd.NA, index=pd.Index(names or [], name="line_name"), dtype="Int64")
    if isinstance(last_inspection, (int, np.integer)) and not isinstance(last_inspection, bool):
        return pd.Series(int(last_inspection), index=pd.Index(names or [], name="line_name"), dtype="Int64")
    if isinstance(last_inspection, pd.DataFrame):
        df = last_inspection
        _geometry.require_columns(df, ["line_name"], "联检记录 last_inspection")
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




# --- read-back -----------------------------------------------------------------------------------


def _number(value: Any) -> tuple[float | None, bool]:
    """Return (number, ok): empty → (None, True); text that is not a number → (None, False)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, (int, float)):
        return (float(value), True) if math.isfinite(float(value)) else (None, False)
    try:
        return float(str(value).strip().replace("，", ".").replace(",", ".")), True
    except ValueError:
        return None, False


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _marker_id_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value).zfill(8)
    if isinstance(value, float) and value.is_integer():
        return str(int(value)).zfill(8)
    return _text(value)


def _sheet_layouts(wb: Any, file_label: str, problems: list[Problem]) -> tuple[dict, dict, list]:
    """Return (settings, {sheet: (line, header_row, keys)}, register rows) from the meta sheet or headers."""
    meta: dict[str, Any] = {}
    layouts: dict[str, tuple[str, int, list[str]]] = {}
    register: list[dict[str, Any]] = []
    if META_SHEET in wb.sheetnames:
        for row in wb[META_SHEET].iter_rows(values_only=True):
            if not row or row[0] is None:
                continue
            kind = row[0]
            if kind == "sheet":
                layouts[str(row[1])] = (str(row[2]), int(row[3]), str(row[4]).split(","))
            elif kind == "marker":
                register.append(
                    {"sheet": str(row[1]), "marker_id": _marker_id_text(row[2]), "recorded_x": row[3],
                     "recorded_y": row[4], "line_name": row[5], "marker_type": row[6] if len(row) > 6 else None}
                )
            else:
                meta[str(kind)] = row[1]
    if not layouts:  # fallback: find 界桩检查表 sheets by their header row
        label_to_key = {c.label: c.key for c in MARKER_SHEET_COLUMNS}
        for ws in wb.worksheets:
            if not ws.title.endswith("界桩检查表"):
                continue
            for r, row in enumerate(ws.iter_rows(min_row=1, max_row=10, values_only=True), start=1):
                keys = [label_to_key.get(str(v).strip()) if v is not None else None for v in row]
                if "marker_id" in keys and "status" in keys:
                    line = ws.title[: -len("界桩检查表")].strip() or "未知界线"
                    layouts[ws.title] = (line, r, [k or "" for k in keys])
                    break
        if layouts:
            problems.append(
                Problem("warning", "工作簿缺少 mzgeo 隐藏信息表，按表头识别各列；无法核对编号是否在原登记表中",
                        file=file_label, code="no_meta")
            )
    if not layouts:
        msg = f"{file_label} 中没有找到界桩检查表（应由 mzgeo.inspection_checklist 生成）"
        raise InputError(msg)
    return meta, layouts, register


def read_results(
    paths: Iterable[str | os.PathLike],
    displacement_tol: float | None,
    implausible_m: float,
) -> tuple[gpd.GeoDataFrame, list[Problem], float]:
    """Read filled-in checklists (register, problems, tolerance applied); see :func:`mzgeo.boundary.read_inspection_results`."""
    from openpyxl import load_workbook

    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    crs_seen: set[str] = set()
    tol_seen: list[float] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            msg = f"找不到文件 {path}"
            raise InputError(msg)
        wb = load_workbook(path, data_only=False)  # formulas come back as their text, never evaluated
        meta, layouts, register = _sheet_layouts(wb, path.name, problems)
        if meta.get("metric_crs"):
            crs_seen.add(str(meta["metric_crs"]))
        if meta.get("displacement_tolerance_m") is not None:
            tol_seen.append(float(meta["displacement_tolerance_m"]))
        reg_by_sheet: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for rec in register:  # IDs repeated in the register are matched in order of appearance
            reg_by_sheet.setdefault(rec["sheet"], {}).setdefault(rec["marker_id"], []).append(rec)
        all_ids = {rec["marker_id"] for rec in register}
        for title, (line, header_row, keys) in layouts.items():
            if title not in wb.sheetnames:
                problems.append(Problem("error", f"缺少工作表「{title}」", file=path.name, code="missing_sheet"))
                continue
            ws = wb[title]
            where = f"{path.name}「{title}」"
            col_of = {k: i for i, k in enumerate(keys) if k}
            labels = {c.key: c.label for c in MARKER_SHEET_COLUMNS}
            seen: dict[str, int] = {}
            reg = reg_by_sheet.get(title, {})
            for r, values in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1):

                def cell(key: str, values: tuple = values, col_of: dict = col_of) -> Any:
                    i = col_of.get(key)
                    return values[i] if i is not None and i < len(values) else None

                row_no, _ = _number(cell("row_no"))
                mid = _marker_id_text(cell("marker_id"))
                if mid is None and row_no is None:
                    break  # the blank row before the signature block
                field_values = {c.key: cell(c.key) for c in MARKER_SHEET_COLUMNS if c.field}
                if mid is None:
                    if any(_text(v) for v in field_values.values()):
                        problems.append(Problem("error", "已填写检查内容但缺少界桩编号", file=where, row=r,
                                                column=labels["marker_id"], code="missing_id"))
                    continue
                k = seen.get(mid, 0)
                seen[mid] = k + 1
                entries = reg.get(mid, [])
                rec = entries[k] if k < len(entries) else None
                known = bool(entries) or (not register) or mid in all_ids
                if not known:
                    problems.append(Problem("error", f"界桩编号 {mid} 不在原登记表中，请核对编号（新发现的界桩请另行登记）",
                                            file=where, row=r, column=labels["marker_id"], code="unknown_id"))
                elif entries and rec is None:
                    problems.append(Problem("warning", f"界桩编号 {mid} 在本表中重复填写，以第一次为准", file=where,
                                            row=r, column=labels["marker_id"], code="duplicate_row"))
                    continue
                status = _text(field_values["status"])
                if status is None:
                    problems.append(Problem("error", f"界桩 {mid} 未填写界桩状况（{'、'.join(STATUSES)}）", file=where,
                                            row=r, column=labels["status"], code="missing_status"))
                elif status not in STATUSES:
                    problems.append(Problem("error", f"界桩状况「{status}」无效，应为 {'、'.join(STATUSES)} 之一",
                                            file=where, row=r, column=labels["status"], code="bad_status"))
                    status = None
                nums: dict[str, float | None] = {}
                for key in ("measured_lon", "measured_lat", "measured_x", "measured_y"):
                    value, ok = _number(field_values[key])
                    if not ok:
                        problems.append(Problem("error", f"{labels[key]}「{field_values[key]}」不是数字", file=where,
                                                row=r, column=labels[key], code="not_a_number"))
                    nums[key] = value
                lon, lat = nums["measured_lon"], nums["measured_lat"]
                if (lon is None) != (lat is None):
                    problems.append(Problem("error", "实测经度和纬度应同时填写", file=where, row=r,
                                            column=labels["measured_lon" if lon is None else "measured_lat"],
                                            code="incomplete_coordinates"))
                    lon = lat = None
                if lon is not None and not 73.0 <= lon <= 136.0:
                    problems.append(Problem("error", f"实测经度 {lon} 超出中国范围（73–136 度），请检查是否填反或漏写",
                                            file=where, row=r, column=labels["measured_lon"], code="out_of_range"))
                    lon = lat = None
                if lat is not None and not 3.0 <= lat <= 54.0:
                    problems.append(Problem("error", f"实测纬度 {lat} 超出中国范围（3–54 度），请检查是否填反或漏写",
                                            file=where, row=r, column=labels["measured_lat"], code="out_of_range"))
                    lon = lat = None
                x, y = nums["measured_x"], nums["measured_y"]
                if (x is None) != (y is None):
                    problems.append(Problem("error", "实测 X 和 Y 应同时填写", file=where, row=r,
                                            column=labels["measured_x" if x is None else "measured_y"],
                                            code="incomplete_coordinates"))
                    x = y = None
                if x is not None and y is not None and not (0.0 < x < 1_000_000.0 and 0.0 < y < 10_000_000.0):
                    problems.append(Problem("error", f"实测平面坐标 ({x}, {y}) 超出高斯-克吕格 3 度带范围（X 应为 6 位数，"
                                                     "不带带号），请检查", file=where, row=r,
                                            column=labels["measured_x"], code="out_of_range"))
                    x = y = None
                rx = rec.get("recorded_x") if rec else _number(cell("x_m"))[0]
                ry = rec.get("recorded_y") if rec else _number(cell("y_m"))[0]
                rows.append(
                    {
                        "line_name": rec.get("line_name") if rec else line,
                        "marker_id": mid,
                        "marker_type": (rec.get("marker_type") if rec else None) or _text(cell("marker_type")),
                        "status": status,
                        "recorded_x": float(rx) if rx is not None else np.nan,
                        "recorded_y": float(ry) if ry is not None else np.nan,
                        "measured_lon": lon,
                        "measured_lat": lat,
                        "measured_x": x,
                        "measured_y": y,
                        "photo_no": _text(field_values["photo_no"]),
                        "reference_objects": _text(field_values["reference_objects"]),
                        "changes": _text(field_values["changes"]),
                        "construction": _text(field_values["construction"]),
                        "dispute": _text(field_values["dispute"]),
                        "action_note": _text(field_values["action_note"]),
                        "remarks": _text(field_values["remarks"]),
                        "sheet": where,
                        "row": r,
                        "known": known,
                    }
                )
            for mid, entries in reg.items():
                if seen.get(mid, 0) < len(entries):
                    problems.append(Problem("warning", f"登记的界桩 {mid} 不在填写后的检查表中（行被删除？）",
                                            file=where, column=labels["marker_id"], code="missing_row"))
    if len(crs_seen) > 1:
        msg = f"这些工作簿的平面坐标系不同（{'、'.join(sorted(crs_seen))}），请分别读取"
        raise InputError(msg)
    crs = next(iter(crs_seen), None)
    tol = displacement_tol if displacement_tol is not None else (tol_seen[0] if tol_seen else
                                                                  settings.marker_displacement_tolerance_m)
    df = pd.DataFrame(rows)
    register_frame = _finish_results(df, crs, tol, implausible_m, problems)
    return register_frame, problems, float(tol)


def _finish_results(
    df: pd.DataFrame, crs: str | None, tol: float, implausible_m: float, problems: list[Problem]
) -> gpd.GeoDataFrame:
    """Convert measured lon/lat, compute displacements, decide the action per marker."""
    order = [
        "line_name", "marker_id", "marker_type", "status", "recorded_x", "recorded_y", "measured_lon",
        "measured_lat", "measured_x", "measured_y", "displacement_m", "displaced", "photo_no",
        "reference_objects", "changes", "construction", "dispute", "action_note", "remarks", "needs_action",
        "action", "sheet", "row",
    ]
    if df.empty:
        empty = gpd.GeoDataFrame({c: [] for c in order}, geometry=gpd.GeoSeries([], crs=crs), crs=crs)
        return empty
    for c in ("measured_lon", "measured_lat", "measured_x", "measured_y", "recorded_x", "recorded_y"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    has_ll = df["measured_lon"].notna() & df["measured_lat"].notna()
    has_xy = df["measured_x"].notna() & df["measured_y"].notna()
    if crs is not None and has_ll.any():
        pts = gpd.GeoSeries(gpd.points_from_xy(df.loc[has_ll, "measured_lon"], df.loc[has_ll, "measured_lat"]),
                            index=df.index[has_ll], crs=settings.geographic_crs).to_crs(crs)
        conv_x = pd.Series(pts.x, index=pts.index)
        conv_y = pd.Series(pts.y, index=pts.index)
        both = has_ll & has_xy
        if both.any():
            diff = np.hypot(df.loc[both, "measured_x"] - conv_x[both], df.loc[both, "measured_y"] - conv_y[both])
            for i in diff.index[diff > 1.0]:
                problems.append(Problem("warning", f"界桩 {df.at[i, 'marker_id']} 的实测经纬度与实测平面坐标相差 "
                                        f"{diff[i]:.1f} 米，按平面坐标计算", file=df.at[i, "sheet"],
                                        row=int(df.at[i, "row"]), column="实测经度", code="inconsistent_coordinates"))
        only_ll = has_ll & ~has_xy
        df.loc[only_ll, "measured_x"] = conv_x[only_ll]
        df.loc[only_ll, "measured_y"] = conv_y[only_ll]
    if crs is not None and has_xy.any():
        pts = gpd.GeoSeries(gpd.points_from_xy(df.loc[has_xy, "measured_x"], df.loc[has_xy, "measured_y"]),
                            index=df.index[has_xy], crs=crs).to_crs(settings.geographic_crs)
        fill = has_xy & ~has_ll
        df.loc[fill, "measured_lon"] = np.round(pts.x[fill[has_xy].to_numpy()].to_numpy(), 7)
        df.loc[fill, "measured_lat"] = np.round(pts.y[fill[has_xy].to_numpy()].to_numpy(), 7)
    df["displacement_m"] = np.round(
        np.hypot(df["measured_x"] - df["recorded_x"], df["measured_y"] - df["recorded_y"]), 3
    )
    implausible = df["displacement_m"] > implausible_m
    for i in df.index[implausible]:
        problems.append(Problem("warning", f"界桩 {df.at[i, 'marker_id']} 的实测坐标与登记坐标相差 "
                                f"{df.at[i, 'displacement_m']:.0f} 米，超过 {implausible_m:g} 米，可能录入有误，请核实",
                                file=df.at[i, "sheet"], row=int(df.at[i, "row"]), column="实测坐标",
                                code="implausible"))
    df["displaced"] = (df["displacement_m"] > tol).fillna(False).astype(bool)
    status = df["status"].astype(object)
    action = status.map(STATUS_ACTIONS).astype(object)
    resurvey = df["displaced"] & ~status.isin(["移位", "丢失"])
    survey_text = "位移 " + df["displacement_m"].map(lambda v: f"{v:.2f}" if pd.notna(v) else "") + \
        f" 米（超过 {tol:g} 米），重新测定坐标"
    action = action.where(~resurvey, np.where(action.notna(), action.astype(str) + "；" + survey_text, survey_text))
    df["action"] = action.where(action.notna(), "")
    df["needs_action"] = df["action"] != ""
    geom_x = df["measured_x"].where(df["measured_x"].notna() & (status != "丢失"), df["recorded_x"])
    geom_y = df["measured_y"].where(df["measured_y"].notna() & (status != "丢失"), df["recorded_y"])
    geometry = gpd.points_from_xy(geom_x, geom_y)
    out = gpd.GeoDataFrame(df[order], geometry=geometry, crs=crs)
    return out


def results_sheets(markers: pd.DataFrame, repairs: pd.DataFrame, problems: list[Problem]) -> dict[str, pd.DataFrame]:
    """Tables with Chinese headers for writing the inspection results."""

    def chinese(df: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(df).drop(columns=[c for c in ("geometry",) if c in df.columns])
        for c in out.columns:
            if pd.api.types.is_bool_dtype(out[c]):
                out[c] = out[c].map({True: "是", False: "否"})
        return out.rename(columns={c: column_label(str(c), "inspection") for c in out.columns})

    probs = pd.DataFrame(
        [{"级别": "错误" if p.severity == "error" else "警告", "位置": p.file, "行号": p.row, "列": p.column,
          "问题": p.message} for p in problems],
        columns=["级别", "位置", "行号", "列", "问题"],
    )
    return {"界桩登记表（更新）": chinese(markers), "需维修或重测界桩": chinese(repairs), "检查问题": probs}


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
        them in ``.file_problems`` (and, as a frame, ``.problems``).

    Returns
    -------
    InspectionResults
        ``.markers`` (updated register), ``.repairs``, ``.file_problems``, ``.problems`` (frame), ``.params``.

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
    tol = None if displacement_tolerance_m is None else _geometry.positive(displacement_tolerance_m, "displacement_tolerance_m")
    implausible = _geometry.positive(implausible_m, "implausible_m", allow_zero=False)
    markers, problems, applied = read_results(paths, tol, implausible)
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
    return InspectionResults(markers=markers, repairs=repairs, file_problems=problems, params=params)
