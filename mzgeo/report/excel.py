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
    """Return a value a workbook can store: missing values (NaN, NA, NaT) become empty cells.

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
    import xlsxwriter

    if not sheets and not params:
        msg = "没有要写入 Excel 的表格 (no tables to write)"
        raise InputError(msg)
    refuse_inputs(path, source_paths(sheets) | set(sources))
    frames = dict(sheets)
    if params:
        frames["参数"] = params_frame(params)
    used: set[str] = set()
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS)
        try:
            styles = _Styles(wb)
            for name, df in frames.items():
                table = to_chinese(df) if chinese and name != "参数" else pd.DataFrame(df).drop(
                    columns=[c for c in ("geometry",) if c in getattr(df, "columns", [])]
                )
                ws = wb.add_worksheet(sheet_title(name, used))
                formats: list[str | None] = [None] * table.shape[1]
                if name != "参数":
                    src = pd.DataFrame(df)
                    keys = [c for c in src.columns if c != "geometry"] if chinese else list(table.columns)
                    for i, key in enumerate(keys[: table.shape[1]]):
                        formats[i] = number_format(str(key), src[key] if key in src.columns else table.iloc[:, i])
                headers = [str(c) for c in table.columns]
                for i, col in enumerate(headers):
                    values = [col, *(str(v) for v in table.iloc[:200, i].tolist())]
                    width = min(max(max(_display_width(v) for v in values) + 2, 6), 50)
                    ws.set_column(i, i, width, styles.number(formats[i]))
                write_header(ws, 0, headers, styles.header, styles.header_text)
                last = write_rows(ws, 1, table, styles.text)
                if len(headers):
                    ws.freeze_panes(1, 0)
                    ws.autofilter(0, 0, max(last, 0), len(headers) - 1)
                ws.repeat_rows(0)
                ws.set_landscape()
                ws.set_paper(9)  # A4
                ws.fit_to_pages(1, 0)
                if title:
                    ws.set_header("&C" + title.replace("&", "&&"))
                ws.set_footer("&C第 &P 页，共 &N 页")
                if name == "参数" and notes:
                    for k, line in enumerate(notes):
                        write_cell(ws, last + 2 + k, 0, line, styles.text)
        finally:
            wb.close()
    return str(path)


#: Options of every workbook written: rows streamed to disk (bounded memory), text never
#: turned into formulas, links or numbers, NaN never raising, time zones dropped.
WORKBOOK_OPTIONS: dict[str, Any] = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,
    "remove_timezone": True,
    "default_date_format": "yyyy-mm-dd h:mm:ss",  # openpyxl's format of datetimes
}

_FORMULA_START = ("=", "+", "-", "@")
_ROW_CHUNK = 20_000


class _Styles:
    """The formats of :func:`write_excel`, created once per workbook."""

    def __init__(self, wb: Any) -> None:
        head = {"bold": True, "bg_color": "#DDEBF7", "pattern": 1, "text_wrap": True, "valign": "vcenter"}
        self._wb = wb
        self.header = wb.add_format(head)
        self.header_text = wb.add_format({**head, "quote_prefix": True})
        self.text = wb.add_format({"quote_prefix": True})
        self._numbers: dict[str, Any] = {}

    def number(self, fmt: str | None) -> Any:
        if fmt is None:
            return None
        if fmt not in self._numbers:
            self._numbers[fmt] = self._wb.add_format({"num_format": fmt})
        return self._numbers[fmt]


def _is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def write_cell(ws: Any, row: int, col: int, value: Any, text_format: Any, cell_format: Any = None) -> None:
    """Write one cell with xlsxwriter: text a spreadsheet would run as a formula gets ``text_format``.

    Parameters
    ----------
    ws : xlsxwriter.worksheet.Worksheet
        Sheet of a workbook opened with :data:`WORKBOOK_OPTIONS`.
    row, col : int
        0-based cell position.
    value : object
        Cell value (see :func:`cell_value`).
    text_format : xlsxwriter.format.Format
        A format with ``quote_prefix`` for text starting with ``=``, ``+``, ``-`` or ``@``.
    cell_format : xlsxwriter.format.Format, optional
        Format of any other cell.
    """
    value = cell_value(value)
    if isinstance(value, str):
        ws.write_string(row, col, value, text_format if value.startswith(_FORMULA_START) else cell_format)
    elif isinstance(value, float) and not math.isfinite(value):
        ws.write_string(row, col, str(value), cell_format)  # inf stays visible (Excel has no infinity)
    else:
        ws.write(row, col, value, cell_format)


def write_header(ws: Any, row: int, headers: list[str], header_format: Any, header_text_format: Any) -> None:
    """Write a header row (text) with ``header_format``; formula-like labels as quoted text."""
    for j, h in enumerate(headers):
        ws.write_string(row, j, h, header_text_format if h.startswith(_FORMULA_START) else header_format)


def _column_cells(s: pd.Series) -> tuple[list[Any], np.ndarray | None]:
    """Cells of one column as Python values for xlsxwriter, and the mask of formula-like text.

    Vectorised by dtype: missing values (NaN, NA, NaT) → ``None``; numpy numbers → Python
    numbers; ±inf → the text ``inf``/``-inf``; datetimes → ``datetime``; other objects
    through :func:`cell_value`.
    """
    dt = s.dtype
    if pd.api.types.is_bool_dtype(dt) and not isinstance(dt, pd.api.extensions.ExtensionDtype):
        return s.to_numpy().tolist(), None
    if pd.api.types.is_float_dtype(dt) and not isinstance(dt, pd.api.extensions.ExtensionDtype):
        arr = s.to_numpy()
        finite = np.isfinite(arr)
        if finite.all():
            return arr.tolist(), None
        out = arr.astype(object)
        out[np.isnan(arr)] = None
        inf = np.isinf(arr)
        out[inf] = np.where(arr[inf] > 0, "inf", "-inf").tolist() if inf.any() else []
        return out.tolist(), None
    if pd.api.types.is_integer_dtype(dt) and not isinstance(dt, pd.api.extensions.ExtensionDtype):
        return s.to_numpy().tolist(), None
    if pd.api.types.is_datetime64_any_dtype(dt):
        if getattr(dt, "tz", None) is not None:
            s = s.dt.tz_localize(None)
        values = s.dt.to_pydatetime() if hasattr(s.dt, "to_pydatetime") else s.tolist()
        out = np.array(values, dtype=object)
        out[s.isna().to_numpy()] = None
        return out.tolist(), None
    values = [cell_value(v) for v in s.tolist()]
    values = [("inf" if v > 0 else "-inf") if type(v) is float and math.isinf(v) else v for v in values]
    quoted = np.fromiter((isinstance(v, str) and v.startswith(_FORMULA_START) for v in values), dtype=bool,
                         count=len(values))
    return values, (quoted if quoted.any() else None)


def write_rows(ws: Any, first_row: int, table: pd.DataFrame, text_format: Any) -> int:
    """Stream the rows of ``table`` in order from ``first_row`` (0-based); return the last row written.

    Columns are converted chunk by chunk (:func:`_column_cells`), so memory beyond the frame
    stays bounded; the cells of the column formats (``set_column``) get those formats.
    Formula-like text gets ``text_format`` (``quote_prefix``).

    Parameters
    ----------
    ws : xlsxwriter.worksheet.Worksheet
        Sheet of a workbook opened with :data:`WORKBOOK_OPTIONS`.
    first_row : int
        Row of the first data row.
    table : pandas.DataFrame
        The cells (headers are not written).
    text_format : xlsxwriter.format.Format
        Format for formula-like text.

    Returns
    -------
    int
        The last row written (``first_row - 1`` when ``table`` is empty).
    """
    n = len(table)
    write_row = ws.write_row
    write_string = ws.write_string
    for start in range(0, n, _ROW_CHUNK):
        part = table.iloc[start : start + _ROW_CHUNK]
        cols = [_column_cells(part.iloc[:, j]) for j in range(part.shape[1])]
        quoted = [(j, q) for j, (_, q) in enumerate(cols) if q is not None]
        row = first_row + start
        if not quoted:
            for cells in zip(*(c for c, _ in cols), strict=True):
                write_row(row, 0, cells)
                row += 1
            continue
        marks = np.zeros(len(part), dtype=bool)
        for _, q in quoted:
            marks |= q
        for i, cells in enumerate(zip(*(c for c, _ in cols), strict=True)):
            write_row(row, 0, cells)
            if marks[i]:  # rewrite the formula-like text of this row before it is flushed
                for j, q in quoted:
                    if q[i]:
                        write_string(row, j, cells[j], text_format)
            row += 1
    return first_row + n - 1


def _display_width(text: str) -> int:
    """Approximate column width: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text[:60])
