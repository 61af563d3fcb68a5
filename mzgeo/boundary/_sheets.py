"""Private part of :mod:`mzgeo.boundary.checklist`: the column tables and the printable workbook.

The column tables below are the one place where checklist columns get their Chinese
headers; the workbook also carries a hidden sheet ``_mzgeo`` with the English keys of
every column and the recorded marker positions, so reading a filled-in workbook back
never depends on the header text (headers are only matched as a fallback).
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._files import atomic_path
from ..report import cell_value, sheet_title

logger = logging.getLogger("mzgeo")


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
    """Return a cell value for openpyxl (NA → None, numpy → Python)."""
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
    """Return the 界桩检查表 rows of one line, in chainage order, with English keys."""
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
    """Return the 穿越点 rows of one line, with English keys."""
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
    """Return the 问题清单 rows of one line, with English keys."""
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
    """Write the signature block of both sides; return the last row used."""
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


