"""Tables for people: Chinese headers, Excel workbooks, the applied-parameters sheet.

Analysis modules return frames with English ``snake_case`` columns. This module maps them
to Chinese labels (with units) through the one label table, :mod:`mzgeo.report.labels`, and writes
Excel workbooks that planners can print: Chinese headers, frozen header row repeated on
every printed page, landscape A4 fitted to width, a sheet of the parameters applied.
User text is stored as typed text, so a name beginning with ``=`` is never run as a formula.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._files import atomic_path, refuse_inputs, source_paths
from ..errors import InputError
from .labels import ACCESS_METHOD_SHORT, LABELS, PARAM_LABELS, label, number_format

__all__ = [
    "ACCESS_METHOD_SHORT",
    "LABELS",
    "PARAM_LABELS",
    "cell_value",
    "label",
    "number_format",
    "params_frame",
    "sheet_title",
    "to_chinese",
    "write_excel",
]

def to_chinese(df: pd.DataFrame, *, keep_geometry: bool = False) -> pd.DataFrame:
    """Return a copy of ``df`` with Chinese headers, booleans as 是/否, geometry dropped.

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
    """Return the applied parameters as a table: 参数, 说明, 取值, 依据/来源.

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


def sheet_title(name: str, used: set[str]) -> str:
    r"""Return a valid, unique Excel sheet title for ``name`` (at most 31 characters, no ``[]:*?/\``).

    Parameters
    ----------
    name : str
        Wanted title.
    used : set of str
        Titles already taken in the workbook; the returned title is added to it.

    Returns
    -------
    str

    Examples
    --------
    >>> used = set()
    >>> sheet_title("界桩/检查", used), sheet_title("界桩/检查", used)
    ('界桩_检查', '界桩_检查_2')
    """
    title = _BAD_SHEET_CHARS.sub("_", str(name)).strip("'")[:31] or "Sheet"
    base, i = title, 2
    while title in used:
        suffix = f"_{i}"
        title = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(title)
    return title


def cell_value(value: Any) -> Any:
    """Return a value openpyxl can store: missing values (NaN, NA, NaT) become empty cells.

    Parameters
    ----------
    value : object
        One cell of a frame (numpy scalars are converted to Python numbers; other objects to text).

    Returns
    -------
    object

    Examples
    --------
    >>> cell_value(float("nan")) is None, cell_value(np.int64(3)), cell_value([1, 2])
    (True, 3, '[1, 2]')
    """
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
    sources: Iterable[str] = (),
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
    sources : iterable of str, optional
        Input files (:func:`mzgeo._files.path_key`) that must not be overwritten, besides
        those the frames were read from (``attrs["mzgeo_source_paths"]``).

    Returns
    -------
    str
        The path written.

    Raises
    ------
    InputError
        Nothing to write, or ``path`` is one of the input files.
    FileAccessError
        ``path`` is a folder, lies inside a file or is not writable.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    if not sheets and not params:
        msg = "没有要写入 Excel 的表格 (no tables to write)"
        raise InputError(msg)
    refuse_inputs(path, source_paths(sheets) | set(sources))
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
        ws = wb.create_sheet(sheet_title(name, used))
        headers = [str(c) for c in table.columns]
        ws.append(headers)
        for row in table.itertuples(index=False, name=None):
            ws.append([cell_value(v) for v in row])
        if name != "参数":
            src = pd.DataFrame(df)
            keys = [c for c in src.columns if c != "geometry"] if chinese else list(table.columns)
            for i, key in enumerate(keys[: len(headers)], start=1):
                fmt = number_format(str(key), src[key] if key in src.columns else table.iloc[:, i - 1])
                if fmt is None:
                    continue
                for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                        cell.number_format = fmt
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
