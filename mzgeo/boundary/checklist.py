"""Private part of :mod:`mzgeo.boundary`: the printable checklist (Excel, HTML) and its read-back.

The column tables below are the one place where checklist columns get their Chinese
headers; the workbook also carries a hidden sheet ``_mzgeo`` with the English keys of
every column and the recorded marker positions, so reading a filled-in workbook back
never depends on the header text (headers are only matched as a fallback).
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._files import atomic_path
from ..errors import InputError, Problem
from ..report import cell_value, sheet_title
from ..report import label as column_label

#: Marker conditions offered in the drop-down of the checklist (界桩状况).
STATUSES: tuple[str, ...] = ("完好", "损坏", "丢失", "移位", "字迹不清")

#: What to do for each condition other than 完好.
STATUS_ACTIONS: dict[str, str] = {
    "损坏": "修复或更换界桩",
    "丢失": "补设界桩并测定坐标",
    "移位": "恢复原位并重新测定坐标",
    "字迹不清": "重新描字或刻字",
}

META_SHEET = "_mzgeo"
META_FORMAT = "mzgeo.boundary.checklist/1"


@dataclass(frozen=True)
class Col:
    """One checklist column: English key, Chinese header, width, filled in the field or not."""

    key: str
    label: str
    width: float
    field: bool = False
    number_format: str | None = None


#: Columns of 界桩检查表 (one row per marker). ``field=True`` columns are left empty.
MARKER_SHEET_COLUMNS: tuple[Col, ...] = (
    Col("row_no", "序号", 5),
    Col("marker_id", "界桩编号", 11),
    Col("marker_type", "界桩类型", 7),
    Col("chainage_km", "里程（千米）", 8, number_format="0.000"),
    Col("lon", "经度（CGCS2000）", 12, number_format="0.0000000"),
    Col("lat", "纬度（CGCS2000）", 11, number_format="0.0000000"),
    Col("x_m", "X坐标（米）", 11, number_format="0.00"),
    Col("y_m", "Y坐标（米）", 12, number_format="0.00"),
    Col("offset_m", "偏离界线（米）", 8, number_format="0.0"),
    Col("register_remarks", "登记备注", 12),
    Col("finding", "自动检查结果", 26),
    Col("status", "界桩状况", 9, field=True),
    Col("measured_lon", "实测经度", 12, field=True, number_format="0.0000000"),
    Col("measured_lat", "实测纬度", 11, field=True, number_format="0.0000000"),
    Col("measured_x", "实测X（米）", 11, field=True, number_format="0.00"),
    Col("measured_y", "实测Y（米）", 12, field=True, number_format="0.00"),
    Col("photo_no", "照片编号", 8, field=True),
    Col("reference_objects", "方位物情况", 12, field=True),
    Col("changes", "沿线地形地物变化", 12, field=True),
    Col("construction", "跨界建设", 11, field=True),
    Col("dispute", "争议情况", 10, field=True),
    Col("action_note", "处理意见", 12, field=True),
    Col("remarks", "备注", 12, field=True),
)

#: Columns of 穿越点.
CROSSING_SHEET_COLUMNS: tuple[Col, ...] = (
    Col("crossing_no", "序号", 5),
    Col("chainage_km", "里程（千米）", 8, number_format="0.000"),
    Col("layer", "图层", 7),
    Col("feature_name", "名称", 16),
    Col("feature_class", "等级", 9),
    Col("crossing_type", "类型", 6),
    Col("overlap_m", "重合长度（米）", 9, number_format="0.0"),
    Col("lon", "经度（CGCS2000）", 12, number_format="0.0000000"),
    Col("lat", "纬度（CGCS2000）", 11, number_format="0.0000000"),
    Col("x_m", "X坐标（米）", 11, number_format="0.00"),
    Col("y_m", "Y坐标（米）", 12, number_format="0.00"),
    Col("site_check", "现场情况", 16, field=True),
    Col("construction", "跨界建设", 14, field=True),
    Col("remarks", "备注", 14, field=True),
)

#: Columns of 问题清单.
FINDING_SHEET_COLUMNS: tuple[Col, ...] = (
    Col("row_no", "序号", 5),
    Col("category", "类别", 9),
    Col("subject", "对象", 14),
    Col("chainage_km", "里程（千米）", 8, number_format="0.000"),
    Col("finding", "问题", 48),
    Col("verified", "核实情况", 18, field=True),
    Col("action_note", "处理意见", 18, field=True),
)

_TEXT_PREFIXES = ("=", "+", "-", "@")


# --- small helpers -------------------------------------------------------------------------------


def _safe(value: Any) -> Any:
    """A cell value for openpyxl (NA → None, numpy → Python)."""
    return cell_value(value)


def _put(ws: Any, row: int, col: int, value: Any, number_format: str | None = None) -> Any:
    """Write one cell; text that a spreadsheet would run as a formula is stored as text."""
    cell = ws.cell(row=row, column=col)
    value = _safe(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(_TEXT_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif number_format and isinstance(value, (int, float)):
        cell.number_format = number_format
    return cell


def _lonlat(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Lon/lat (degrees) in :data:`mzgeo.settings.geographic_crs` of points in a metric CRS."""
    if len(geoms) == 0:
        return np.array([]), np.array([])
    valid = ~(geoms.isna() | geoms.is_empty).to_numpy()
    lon = np.full(len(geoms), np.nan)
    lat = np.full(len(geoms), np.nan)
    if valid.any():
        geo = geoms[valid].to_crs(settings.geographic_crs)
        lon[valid] = np.round(geo.x.to_numpy(), 7)
        lat[valid] = np.round(geo.y.to_numpy(), 7)
    return lon, lat


def _crs_label(crs: Any) -> str:
    if crs is None:
        return "未知坐标系"
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.name


def marker_rows(check: Any, line: str) -> pd.DataFrame:
    """The 界桩检查表 rows of one line, in chainage order, with English keys."""
    m = check.markers
    sel = m[m["line_name"] == line].sort_values(["chainage_km", "marker_id"], kind="stable")
    geoms = sel.geometry
    lon, lat = _lonlat(geoms)
    valid = ~(geoms.isna() | geoms.is_empty).to_numpy()
    x = np.where(valid, shapely.get_x(geoms.values), np.nan) if len(sel) else np.array([])
    y = np.where(valid, shapely.get_y(geoms.values), np.nan) if len(sel) else np.array([])
    if "marker_type" in sel.columns:
        mtype = sel["marker_type"].astype(object).where(sel["marker_type"].notna(), sel["type_name"].astype(object))
    else:
        mtype = sel["type_name"].astype(object)
    out = pd.DataFrame(
        {
            "row_no": np.arange(1, len(sel) + 1),
            "marker_id": sel["marker_id"].astype(object).to_numpy(),
            "marker_type": mtype.to_numpy(),
            "chainage_km": np.round(sel["chainage_km"].to_numpy(dtype=float), 3),
            "lon": lon,
            "lat": lat,
            "x_m": np.round(x, 2),
            "y_m": np.round(y, 2),
            "offset_m": np.round(sel["offset_m"].to_numpy(dtype=float), 1),
            "register_remarks": sel["remarks"].to_numpy(dtype=object) if "remarks" in sel.columns else None,
            "finding": sel["finding"].to_numpy(dtype=object),
            "flagged": sel["flagged"].to_numpy(dtype=bool),
        }
    )
    return out


def crossing_rows(checklist: Any, line: str) -> pd.DataFrame:
    """The 穿越点 rows of one line, with English keys."""
    c = checklist.crossings
    sel = c[c["line_name"] == line].sort_values("chainage_km", kind="stable")
    lon, lat = _lonlat(sel.geometry)
    return pd.DataFrame(
        {
            "crossing_no": sel["crossing_no"].to_numpy(),
            "chainage_km": np.round(sel["chainage_km"].to_numpy(dtype=float), 3),
            "layer": sel["layer"].to_numpy(dtype=object),
            "feature_name": sel["feature_name"].to_numpy(dtype=object),
            "feature_class": sel["feature_class"].to_numpy(dtype=object),
            "crossing_type": sel["crossing_type"].to_numpy(dtype=object),
            "overlap_m": sel["overlap_m"].to_numpy(dtype=float),
            "lon": lon,
            "lat": lat,
            "x_m": np.round(sel.geometry.x.to_numpy(), 2) if len(sel) else [],
            "y_m": np.round(sel.geometry.y.to_numpy(), 2) if len(sel) else [],
        }
    )


def finding_rows(checklist: Any, line: str) -> pd.DataFrame:
    """The 问题清单 rows of one line, with English keys."""
    f = checklist.findings
    sel = f[f["line_name"] == line].reset_index(drop=True)
    out = sel[["category", "subject", "chainage_km", "finding"]].copy()
    out.insert(0, "row_no", np.arange(1, len(out) + 1))
    return out


def summary_items(checklist: Any, line: str) -> list[tuple[str, Any]]:
    """(label, value) pairs of 界线概况 for one line."""
    row = checklist.lines.set_index("line_name").loc[line]

    def get(key: str, default: Any = "") -> Any:
        value = row.get(key, default)
        return default if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA else value

    def side(prefix: str) -> str:
        name, code = get(f"{prefix}_name"), get(f"{prefix}_code")
        return f"{name}（{code}）" if name and code else str(name or code or "")

    params = checklist.params
    last = get("last_inspection", None)
    nxt = get("next_inspection", None)
    return [
        ("界线名称", line),
        ("界线代码", get("line_code")),
        ("甲方", side("side_a")),
        ("乙方", side("side_b")),
        ("界线长度（千米）", get("length_km")),
        ("里程方向", params.get("chainage_rule", "")),
        ("三交点", get("junctions") or "无"),
        ("界桩数量（个）", get("n_markers", 0)),
        ("自动检查发现问题的界桩（个）", get("n_flagged", 0)),
        ("界桩编号顺序", get("numbering")),
        ("缺少的序号", get("missing_sequences") or "无"),
        (f"无界桩段（超过 {params.get('max_gap_km', '')} 千米，段）", get("n_stretches", 0)),
        ("穿越点（处）", get("n_crossings", 0)),
        ("两侧数据缝隙（处 / 平方米）", f"{get('n_data_gaps', 0)} / {get('data_gap_area_m2', 0):g}"),
        ("两侧数据重叠（处 / 平方米）", f"{get('n_data_overlaps', 0)} / {get('data_overlap_area_m2', 0):g}"),
        ("上次联检年份", int(last) if last is not None else "无记录"),
        ("下次联检年份", int(nxt) if nxt is not None else "应尽快安排"),
        ("联检周期状态", get("due")),
        ("本次联检年份", checklist.year),
        ("坐标系", f"登记坐标：CGCS2000 经纬度（EPSG:{settings.geographic_crs}）及 "
                  f"{_crs_label(checklist.markers.crs)} 平面坐标（米）"),
        ("检查依据", "《行政区域界线管理条例》（国务院令第 353 号）；界桩编号 GB/T 17796-2009；每 "
                  f"{params.get('inspection_cycle_years', '')} 年联检一次"),
    ]


def side_names(checklist: Any, line: str) -> tuple[str, str]:
    """Labels of the two sides: 甲方（吴兴区）, 乙方（南浔区） — or just 甲方, 乙方 when unknown."""
    row = checklist.lines.set_index("line_name").loc[line]
    a = row.get("side_a_name")
    b = row.get("side_b_name")
    a = f"甲方（{a}）" if isinstance(a, str) and a else "甲方"
    b = f"乙方（{b}）" if isinstance(b, str) and b else "乙方"
    return a, b


# --- Excel ---------------------------------------------------------------------------------------


def _page_setup(ws: Any, header_row: int, title: str) -> None:
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.print_options.horizontalCentered = True
    ws.oddHeader.center.text = title.replace("&", "&&")
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _title(ws: Any, text: str, subtitle: str | None, n_cols: int) -> int:
    """Title (row 1) and subtitle (row 2); returns the header row number."""
    from openpyxl.styles import Alignment, Font

    _put(ws, 1, 1, text).font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(n_cols, 1))
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    if subtitle:
        _put(ws, 2, 1, subtitle).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(n_cols, 1))
        ws.row_dimensions[2].height = 30
    return 3


def _table(ws: Any, header_row: int, cols: tuple[Col, ...], rows: pd.DataFrame, min_rows: int = 0) -> int:
    """Header + rows with borders; returns the last row written."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    field_fill = PatternFill("solid", fgColor="FFF2CC")
    for j, col in enumerate(cols, start=1):
        cell = _put(ws, header_row, j, col.label)
        cell.font = Font(bold=True)
        cell.fill = field_fill if col.field else head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = border
        ws.column_dimensions[get_column_letter(j)].width = col.width
    ws.row_dimensions[header_row].height = 32
    n = max(len(rows), min_rows)
    records = rows.to_dict("records") if len(rows) else []
    for i in range(n):
        r = header_row + 1 + i
        rec = records[i] if i < len(records) else {}
        for j, col in enumerate(cols, start=1):
            value = None if col.field else rec.get(col.key)
            cell = _put(ws, r, j, value, col.number_format)
            cell.border = border
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        if rec.get("flagged"):
            ws.cell(row=r, column=next(j for j, c in enumerate(cols, 1) if c.key == "finding")).font = Font(
                color="C00000"
            )
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    return header_row + n


def _signature(ws: Any, row: int, side_a: str, side_b: str, n_cols: int) -> int:
    """The signature block of both sides; returns the last row used."""
    from openpyxl.styles import Alignment, Font

    span = max(n_cols, 4)
    lines = [
        "双方检查人员签字",
        f"{side_a}检查人员（签字）：____________________    日期：______年____月____日",
        f"{side_b}检查人员（签字）：____________________    日期：______年____月____日",
    ]
    for k, text in enumerate(lines):
        r = row + k * 2
        cell = _put(ws, r, 1, text)
        cell.alignment = Alignment(vertical="center")
        if k == 0:
            cell.font = Font(bold=True)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=span)
        ws.row_dimensions[r].height = 24
    return row + (len(lines) - 1) * 2


def _status_validation(ws: Any, col_letter: str, first: int, last: int) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUSES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="界桩状况",
        error="请从下拉列表中选择：" + "、".join(STATUSES),
        showInputMessage=True,
        promptTitle="界桩状况",
        prompt="请选择：" + "、".join(STATUSES),
    )
    dv.add(f"{col_letter}{first}:{col_letter}{last}")
    ws.add_data_validation(dv)


def _range_validation(ws: Any, col_letter: str, first: int, last: int, low: float, high: float, what: str) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(
        type="decimal",
        operator="between",
        formula1=str(low),
        formula2=str(high),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=what,
        error=f"{what}应在 {low} 到 {high} 之间（度）",
    )
    dv.add(f"{col_letter}{first}:{col_letter}{last}")
    ws.add_data_validation(dv)


def write_line_sheets(wb: Any, checklist: Any, line: str, prefix: str, used: set[str], meta: Any) -> None:
    """Add the four sheets of one line to a workbook and record them in the meta sheet."""
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    side_a, side_b = side_names(checklist, line)
    year = checklist.year
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)

    # 界线概况
    ws = wb.create_sheet(sheet_title(f"{prefix}界线概况", used))
    items = summary_items(checklist, line)
    header_row = _title(ws, f"{line} 界线联检概况（{year} 年）", None, 2)
    for j, text in enumerate(("项目", "内容"), start=1):
        cell = _put(ws, header_row, j, text)
        cell.font = Font(bold=True)
        cell.border = border
    for i, (label, value) in enumerate(items, start=header_row + 1):
        _put(ws, i, 1, label).border = border
        cell = _put(ws, i, 2, value)
        cell.border = border
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 90
    _signature(ws, header_row + len(items) + 2, side_a, side_b, 2)
    _page_setup(ws, header_row, f"{line} 界线概况")

    # 界桩检查表
    rows = marker_rows(checklist, line)
    cols = MARKER_SHEET_COLUMNS
    ws = wb.create_sheet(sheet_title(f"{prefix}界桩检查表", used))
    subtitle = (
        f"界线：{line}（{side_a}，{side_b}）。里程自界线起点起算（{checklist.params.get('chainage_rule', '')}）。"
        f"登记坐标为 CGCS2000 经纬度及 {_crs_label(checklist.markers.crs)} 平面坐标；实测坐标填经纬度或平面坐标之一。"
        f"黄色列现场填写，界桩状况从下拉列表选择：{'、'.join(STATUSES)}。"
    )
    header_row = _title(ws, f"{line} 界桩检查表（联检记录表，{year} 年）", subtitle, len(cols))
    last = _table(ws, header_row, cols, rows, min_rows=1)
    first = header_row + 1
    key_col = {c.key: get_column_letter(j) for j, c in enumerate(cols, start=1)}
    _status_validation(ws, key_col["status"], first, last)
    _range_validation(ws, key_col["measured_lon"], first, last, 73, 136, "实测经度")
    _range_validation(ws, key_col["measured_lat"], first, last, 3, 54, "实测纬度")
    _signature(ws, last + 2, side_a, side_b, len(cols))
    _page_setup(ws, header_row, f"{line} 界桩检查表")
    meta.append(["sheet", ws.title, line, header_row, ",".join(c.key for c in cols)])
    for rec in rows.to_dict("records"):
        meta.append(["marker", ws.title, _safe(rec["marker_id"]), _safe(rec["x_m"]), _safe(rec["y_m"]), line,
                     _safe(rec["marker_type"])])

    # 穿越点
    rows = crossing_rows(checklist, line)
    cols = CROSSING_SHEET_COLUMNS
    ws = wb.create_sheet(sheet_title(f"{prefix}穿越点", used))
    header_row = _title(
        ws,
        f"{line} 与道路、河流、铁路的穿越点（{year} 年）",
        "请现场核查穿越点附近的跨界建设和线状地物变化（界线不随河流、道路的改变而移动）。",
        len(cols),
    )
    last = _table(ws, header_row, cols, rows)
    _page_setup(ws, header_row, f"{line} 穿越点")

    # 问题清单
    rows = finding_rows(checklist, line)
    cols = FINDING_SHEET_COLUMNS
    ws = wb.create_sheet(sheet_title(f"{prefix}问题清单", used))
    header_row = _title(ws, f"{line} 自动检查问题清单（{year} 年）", "由登记数据自动检查得出，请现场核实。", len(cols))
    last = _table(ws, header_row, cols, rows)
    _signature(ws, last + 2, side_a, side_b, len(cols))
    _page_setup(ws, header_row, f"{line} 问题清单")


def write_workbook(path: str | os.PathLike, checklist: Any, lines: list[str], per_line_prefix: bool) -> str:
    """Write one workbook holding the sheet sets of ``lines``, atomically."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    meta_rows: list[list[Any]] = [
        ["format", META_FORMAT],
        ["metric_crs", _crs_label(checklist.markers.crs)],
        ["geographic_crs", f"EPSG:{settings.geographic_crs}"],
        ["displacement_tolerance_m", float(checklist.params.get("displacement_tolerance_m", 5.0))],
        ["year", int(checklist.year)],
    ]
    for line in lines:
        write_line_sheets(wb, checklist, line, f"{line} " if per_line_prefix else "", used, meta_rows)
    meta = wb.create_sheet(META_SHEET)
    for row in meta_rows:
        meta.append([_safe(v) for v in row])
    for row in meta.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(_TEXT_PREFIXES):
                cell.data_type = "s"
    meta.sheet_state = "hidden"
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return str(path)


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
    """A self-contained inline SVG map of one line, its markers, crossings and tri-junctions."""
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


# --- read-back -----------------------------------------------------------------------------------


def _number(value: Any) -> tuple[float | None, bool]:
    """(number, ok): empty → (None, True); text that is not a number → (None, False)."""
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
    """(settings, {sheet: (line, header_row, keys)}, register rows) from the meta sheet or headers."""
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
