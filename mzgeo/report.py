"""Tables for people: Chinese headers, Excel workbooks, the applied-parameters sheet.

Analysis modules return frames with English ``snake_case`` columns. This module is the one
place that maps them to Chinese labels (with units), through :data:`LABELS`, and writes
Excel workbooks that planners can print: Chinese headers, frozen header row repeated on
every printed page, landscape A4 fitted to width, a sheet of the parameters applied.
User text is stored as typed text, so a name beginning with ``=`` is never run as a formula.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._errors import InputError
from ._files import atomic_path

__all__ = [
    "LABELS",
    "PARAM_LABELS",
    "label",
    "params_frame",
    "to_chinese",
    "write_excel",
]

#: English column name → Chinese header (with units). Add new columns here, grouped by module.
LABELS: dict[str, str] = {
    # --- layers ---------------------------------------------------------------------------
    "code": "代码",
    "code12": "统一区划代码",
    "name": "名称",
    "level": "级别",
    "parent_code": "上级代码",
    "population": "人口（人）",
    "elderly": "60岁及以上老年人口（人）",
    "urban": "城镇",
    "unit_code": "所属区划代码",
    "unit_name": "所属区划",
    "village_type": "村社区类型",
    "tier": "等级",
    "capacity": "容量",
    "area_m2": "可用面积（平方米）",
    "address": "地址",
    "village": "所在村社区",
    "has_meal": "老年食堂",
    "has_medical": "医养结合",
    "beds": "床位数（张）",
    "nursing_beds": "护理型床位数（张）",
    "ownership": "性质",
    "cemetery_type": "类型",
    "used": "已使用",
    "marker_id": "界桩编号",
    "line_name": "界线名称",
    "marker_type": "界桩类型",
    "year_set": "埋设年份",
    "remarks": "备注",
    "grave_id": "坟墓编号",
    "road_class": "道路等级",
    "lon": "经度",
    "lat": "纬度",
    "x_m": "X坐标（米）",
    "y_m": "Y坐标（米）",
    # --- network / coverage ---------------------------------------------------------------
    "facility": "最近设施",
    "facility_name": "最近设施名称",
    "minutes": "出行时间（分钟）",
    "covered": "是否覆盖",
    "access_m": "到路网距离（米）",
    "status": "状态",
    "demand": "需求量",
    "demand_total": "需求总量",
    "demand_covered": "覆盖需求量",
    "share_covered": "覆盖率",
    "mean_minutes": "平均出行时间（分钟）",
    "p90_minutes": "90%分位出行时间（分钟）",
    "n_facilities": "设施数（个）",
    "n_points": "需求点数（个）",
    "load": "服务需求量",
    "load_ratio": "负荷率",
    "cluster": "缺口片区编号",
    # --- beds -----------------------------------------------------------------------------
    "beds_per_1000": "每千名老人床位数（张）",
    "target_per_1000": "目标（张/千名老人）",
    "bed_gap": "床位缺口（张）",
    "nursing_share": "护理型床位占比",
    "nursing_share_target": "护理型床位占比目标",
    "accessible_per_1000": "可达床位（张/千名老人）",
    # --- general --------------------------------------------------------------------------
    "rule": "规则",
    "parameter": "参数",
    "value": "取值",
    "description": "说明",
    "source": "依据/来源",
}

#: Parameter key → (Chinese description, source/status) for the applied-parameters sheet.
PARAM_LABELS: dict[str, tuple[str, str]] = {
    "minutes": ("出行时间阈值（分钟）", "参数"),
    "weight": ("需求权重字段", "参数"),
    "mode": ("出行方式（walk 步行 / drive 驾车）", "参数"),
    "walk_speed_mps": ("老年人步行速度（米/秒）", "实践值 0.9–1.0 m/s，可调整"),
    "access_speed_mps": ("到路网的步行速度（米/秒）", "参数"),
    "max_snap_m": ("到路网最大距离（米）", "参数"),
    "target_per_1000": ("每千名老人床位数目标（张）", "湖州 2018 年目标 37.5；GB 50437-2018 要求 ≥ 40"),
    "nursing_share_target": ("护理型床位占比目标", "全国 2025 年目标 55%"),
    "area_per_person_m2": ("人均安置面积（平方米）", "GB 21734-2008 ≥ 1.5；固定避难场所 GB 50413-2007 ≥ 2"),
    "shelter_min_capacity": ("各级避灾安置场所最低容量（人）", "浙政办发〔2013〕108号"),
    "inspection_cycle_years": ("界线联检周期（年）", "民政部联检规定：每 5 年一次"),
}


def label(column: str) -> str:
    """Chinese header of a column (the column itself when no label is known)."""
    return LABELS.get(column, column)


def to_chinese(df: pd.DataFrame, *, keep_geometry: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with Chinese headers, booleans as 是/否, geometry dropped.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame with English column names.
    keep_geometry : bool
        Keep a ``geometry`` column (default: drop it; Excel cannot hold geometries).

    Returns
    -------
    pandas.DataFrame
    """
    out = pd.DataFrame(df).copy()
    if not keep_geometry and "geometry" in out.columns:
        out = out.drop(columns="geometry")
    for col in out.columns:
        if pd.api.types.is_bool_dtype(out[col]):
            out[col] = out[col].map({True: "是", False: "否"})
    out.columns = [label(str(c)) for c in out.columns]
    return out


def params_frame(params: Mapping[str, Any]) -> pd.DataFrame:
    """The applied parameters as a table: 参数, 说明, 取值, 依据/来源.

    Parameters
    ----------
    params : mapping
        Parameter key → value as applied (dicts and lists are written as text).

    Returns
    -------
    pandas.DataFrame
    """
    rows = []
    for key, value in params.items():
        desc, src = PARAM_LABELS.get(key, (key, ""))
        rows.append({"参数": key, "说明": desc, "取值": _plain(value), "依据/来源": src})
    return pd.DataFrame(rows, columns=["参数", "说明", "取值", "依据/来源"])


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return "；".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple, set, np.ndarray, pd.Index)):
        return "、".join(str(_plain(v)) for v in value)
    if isinstance(value, (np.generic,)):
        return value.item()
    if value is None:
        return ""
    if isinstance(value, (int, float, str, bool, _dt.date)):
        return value
    return str(value)


_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(name: str, used: set[str]) -> str:
    title = _BAD_SHEET_CHARS.sub("_", str(name)).strip("'")[:31] or "Sheet"
    base, i = title, 2
    while title in used:
        suffix = f"_{i}"
        title = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(title)
    return title


def _cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, (bool, int, float, str, _dt.datetime, _dt.date)):
        return value
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return str(value)


def write_excel(
    path: str | os.PathLike,
    sheets: Mapping[str, pd.DataFrame],
    params: Mapping[str, Any] | None = None,
    *,
    title: str | None = None,
    chinese: bool = True,
    notes: list[str] | None = None,
) -> str:
    """Write tables to one Excel workbook, atomically, ready to print.

    Each frame becomes a sheet (headers in Chinese through :data:`LABELS` when
    ``chinese=True``); a sheet 参数 lists ``params`` with their description and source.
    Header row frozen, bold, repeated on every printed page; landscape A4 fitted to one page
    wide; auto filter; column widths from content. Text starting with ``=``, ``+``, ``-``
    or ``@`` is stored as text (no formula injection).

    Parameters
    ----------
    path : str or os.PathLike
        Destination ``.xlsx`` file; written to a temporary file then renamed.
    sheets : mapping
        Sheet name (Chinese) → frame with English (or already Chinese) columns.
    params : mapping, optional
        Parameters applied by the analysis (see :func:`params_frame`).
    title : str, optional
        Printed in the page header of every sheet.
    chinese : bool
        Translate headers with :func:`to_chinese`.
    notes : list of str, optional
        Lines written under the parameters (e.g. "示例数据（合成）").

    Returns
    -------
    str
        The path written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    if not sheets and not params:
        msg = "没有要写入 Excel 的表格 (no tables to write)"
        raise InputError(msg)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    frames = dict(sheets)
    if params:
        pf = params_frame(params)
        frames["参数"] = pf
    for name, df in frames.items():
        table = to_chinese(df) if chinese and name != "参数" else pd.DataFrame(df).drop(
            columns=[c for c in ("geometry",) if c in getattr(df, "columns", [])]
        )
        ws = wb.create_sheet(_sheet_title(name, used))
        headers = [str(c) for c in table.columns]
        ws.append(headers)
        for row in table.itertuples(index=False, name=None):
            ws.append([_cell_value(v) for v in row])
        # neutralise formulas: any string cell starting with '=' must stay text
        for row in ws.iter_rows(min_row=1):
            for cell in row:
                if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
                    cell.data_type = "s"
                    cell.quotePrefix = True
        for cell in ws[1]:
            cell.font = header_font
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        for i, col in enumerate(headers, start=1):
            values = [col, *(str(v) for v in table.iloc[:200, i - 1].tolist())]
            width = max(_display_width(v) for v in values) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(max(width, 6), 50)
        if len(headers):
            ws.freeze_panes = "A2"
            ws.auto_filter.ref = ws.dimensions
        ws.print_title_rows = "1:1"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        if title:
            ws.oddHeader.center.text = title.replace("&", "&&")
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
        if name == "参数" and notes:
            ws.append([])
            for line in notes:
                ws.append([line])
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return str(path)


def _display_width(text: str) -> int:
    """Approximate column width: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text[:60])
