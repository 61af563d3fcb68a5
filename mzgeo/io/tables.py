"""Reading planners' tables: CSV (any Chinese encoding) and Excel workbooks, as a grid of cells.

The header row is found among the first rows (titles above it are skipped), 合计/总计 rows are
left out, blank and duplicate headers named, and the coordinates found: a lon/lat pair of
columns, one ``"lon,lat"`` column (Amap's ``location``, degrees-minutes-seconds accepted) or a
WKT column. Private to :mod:`mzgeo.io`: :func:`mzgeo.io.read.read_layer` calls
:func:`_read_table` and :func:`_table_geometry`; decoding is in :mod:`mzgeo.io.encoding`.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io as _stdio
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyproj
import shapely

from ..layers import LayerSpec, canonical_column
from .checks import CheckContext, blank_mask, number_message, parse_numbers_why, to_text_dtype
from .encoding import _column_letter, _decode, _DecodeError, _sniff_delimiter

logger = logging.getLogger("mzgeo")

_EXCEL_SUFFIXES = (".xlsx", ".xlsm")
#: Reader of ``.xlsx`` cells: ``"calamine"`` (compiled, default) or ``"openpyxl"`` (used for
#: workbooks with error cells; selectable to compare the two).
_EXCEL_ENGINE = "calamine"
_HEADER_SCAN_ROWS = 10
_TOTAL_WORDS = {
    w + end
    for word in ("合计", "总计", "小计", "合 计", "总 计", "小 计", "合  计", "总  计", "Total", "TOTAL", "total")
    for w in (word, f" {word}", f"{word} ")
    for end in ("", ":", "：")
}
#: Headers of a single "lon,lat" column (Amap's ``location``).
_LONLAT_HEADERS = {"经纬度", "坐标", "经纬度坐标", "gps坐标", "location", "lnglat", "lonlat", "lng_lat", "lon_lat"}
#: Headers of a WKT geometry column in a table.
_WKT_HEADERS = {"wkt", "geometry", "geom", "几何", "shape", "the_geom"}


@dataclass
class _Raw:
    """A file's attribute table as written, before any renaming."""

    data: pd.DataFrame
    rows: np.ndarray
    geometry: np.ndarray | None = None  # spatial files
    file_crs: pyproj.CRS | None = None
    spatial: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


def _read_csv_grid(path: Path, encoding: str | None, add: Any) -> tuple[list[list[Any]], dict[str, Any]] | None:
    data = path.read_bytes()
    if not data.strip():
        add("error", "empty_file", "文件为空 (empty file)")
        return None
    try:
        text, used, note = _decode(data, encoding)
    except _DecodeError as exc:
        hint = "请用 encoding= 指定正确的编码，或另存为 UTF-8 CSV (cannot decode)"
        if len(exc.located) > 3:  # the whole file is in another encoding: one error, the first place
            row, col, message = exc.located[0]
            add("error", "unreadable", f"{exc.summary}（{len(exc.located)} 处以上，第一处第 {row} 行「{col}」{message}）；{hint}")
        elif not exc.located:
            add("error", "unreadable", f"{exc.summary}；{hint}")
        else:
            for row, col, message in exc.located:
                add("error", "unreadable", f"{exc.summary}：{message}；{hint}", row=row, column=col)
        return None
    if note == "guessed":
        add(
            "warning",
            "encoding_guess",
            f"文本编码不是 UTF-8 或 GBK，猜测为 {used}；如有乱码请另存为 UTF-8 CSV，或用 encoding= 指定 (encoding guessed)",
        )
    elif note == "maybe_big5":
        add(
            "warning",
            "encoding_guess",
            f"按 {used.upper()} 读取；这些字节按繁体中文 Big5 读取也通顺 (could also be Traditional Chinese Big5)："
            "如名称显示不对，请用 encoding='big5' 读取",
        )
    elif note == "big5":
        add(
            "warning",
            "encoding_guess",
            f"按繁体中文 Big5 编码（{used}）读取 (read as Traditional Chinese Big5)；如有乱码请用 encoding= 指定",
        )
    delim = _sniff_delimiter(text, path.suffix.lower())
    try:
        grid = list(csv.reader(_stdio.StringIO(text, newline=""), delimiter=delim))
    except csv.Error as exc:
        add("error", "unreadable", f"CSV 格式错误：{exc} (malformed CSV)")
        return None
    logger.debug("%s：编码 %s，分隔符 %r", path.name, used, delim)
    return grid, {"encoding": used}


_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _workbook_container_problem(path: Path) -> str | None:
    """Why a ``.xlsx`` is not an Office Open XML (zip) workbook, or ``None`` when it is one.

    A password-protected ``.xlsx`` is an OLE2 compound file (magic ``D0 CF 11 E0``) holding
    an ``EncryptionInfo`` stream; a legacy ``.xls`` is an OLE2 file too, without it.
    """
    with path.open("rb") as fh:
        head = fh.read(8)
        if head[:2] == b"PK" or not head:
            return None
        if head != _CFB_MAGIC:
            return None  # not OLE2 either: openpyxl gives its own message
        data = head + fh.read()
    if "EncryptionInfo".encode("utf-16-le") in data or "EncryptedPackage".encode("utf-16-le") in data:
        return (
            "工作簿有密码保护（已加密），无法读取 (password-protected workbook)：请在 Excel 中打开，"
            "「文件 → 信息 → 保护工作簿 → 用密码进行加密」清空密码后保存，再读取"
        )
    return (
        "这是旧版 Excel 97-2003 工作簿（.xls 格式，扩展名却是 .xlsx）(legacy .xls workbook)："
        "请在 Excel 中「另存为 → Excel 工作簿 (*.xlsx)」后再读取"
    )


def _read_excel_grid(path: Path, sheet: str | int | None, add: Any) -> tuple[Any, dict[str, Any]] | None:
    """Read the cells of one worksheet with calamine (compiled); openpyxl for sheets with error cells.

    Cell values are those openpyxl gives (``read_only=True, data_only=True``): formulas'
    cached values, whole numbers as ``int``, dates as ``datetime``, empty cells as ``None``
    (see :func:`_calamine_grid`). calamine reads error cells (``#DIV/0!``, ``#N/A``) as
    empty; a workbook holding any is read with openpyxl, which keeps their text.
    """
    container = _workbook_container_problem(path)
    if container is not None:
        add("error", "encrypted", container)
        return None
    if _EXCEL_ENGINE == "openpyxl":
        return _read_excel_grid_openpyxl(path, sheet, add)
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        add("error", "unreadable", f"无法打开 Excel 文件：{exc} (cannot open workbook)")
        return None
    try:
        names = list(wb.sheet_names)
        sheets = [m.name for m in wb.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
        title = _pick_sheet(names, sheets, sheet, add)
        if title is None:
            return None
        try:
            has_errors = _has_error_cells(path, title)
        except Exception as exc:  # not a zip file, corrupt member
            add("error", "unreadable", f"无法打开 Excel 文件：{exc} (cannot open workbook)")
            return None
        if has_errors:
            return _read_excel_grid_openpyxl(path, sheet, add)
        try:
            rows = wb.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except Exception as exc:
            add("error", "unreadable", f"无法读取工作表「{title}」：{exc} (cannot read sheet)")
            return None
    finally:
        wb.close()
    cells, blank = _calamine_grid(rows)
    return cells, {"sheet": title, "blank": blank}


def _pick_sheet(names: list[str], sheets: list[str], sheet: str | int | None, add: Any) -> str | None:
    """Title of the worksheet asked for (``None``: the first; int: 0-based among worksheets)."""
    if sheet is None:
        if not sheets:
            add("error", "empty_file", "工作簿中没有工作表 (no worksheet)")
            return None
        return sheets[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(sheets):
            add("error", "sheet_not_found", f"没有第 {sheet} 个工作表（从 0 起算）；工作表有 {'、'.join(names)}")
            return None
        return sheets[sheet]
    if str(sheet) in sheets:
        return str(sheet)
    add("error", "sheet_not_found", f"找不到工作表「{sheet}」；工作表有 {'、'.join(names)} (sheet not found)")
    return None


def _sheet_members(zf: Any) -> dict[str, str]:
    """Worksheet title → its XML member in an ``.xlsx`` (from ``xl/workbook.xml`` and its relations)."""
    import posixpath
    import xml.etree.ElementTree as ET

    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    target = {}
    for r in rels:
        t = r.get("Target", "")
        t = t.lstrip("/") if t.startswith("/") else posixpath.normpath(posixpath.join("xl", t))
        target[r.get("Id")] = t
    book = ET.fromstring(zf.read("xl/workbook.xml"))
    return {
        el.get("name", ""): target.get(el.get(f"{ns_rel}id", ""), "")
        for el in book.iter(f"{ns_main}sheet")
    }


def _has_error_cells(path: Path, title: str) -> bool:
    """Whether worksheet ``title`` holds an error cell (``t="e"``), by streaming its XML.

    Unknown layouts (no relations found) are scanned in every worksheet member.
    """
    import zipfile

    with zipfile.ZipFile(path) as zf:
        try:
            member = _sheet_members(zf).get(title)
        except (KeyError, SyntaxError):
            member = None
        names = set(zf.namelist())
        if member in names:
            members = [member]
        else:
            members = [n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        for name in members:
            with zf.open(name) as fh:
                tail = b""
                while chunk := fh.read(1 << 22):
                    block = tail + chunk
                    if block.find(b' t="e"') >= 0 or block.find(b" t='e'") >= 0:
                        return True
                    tail = block[-8:]
    return False


_MAX_EXACT_INT = 2.0**53


def _calamine_grid(rows: list[list[Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Return calamine rows as the cells openpyxl reads, and the mask of blank cells.

    Empty and whitespace-only text → ``None`` (both are blank cells to the reader), whole
    floats below 2**53 → ``int`` (openpyxl reads ``<v>349</v>`` as an int), ``date`` →
    ``datetime`` at midnight (openpyxl's type for date-formatted cells). Column by column,
    vectorised on the cells' types.
    """
    n = len(rows)
    width = max((len(r) for r in rows), default=0)
    arr = np.empty((n, width), dtype=object)
    if all(len(r) == width for r in rows):
        if n and width:
            arr[:] = rows
    else:
        for i, r in enumerate(rows):
            arr[i, : len(r)] = r
    for j in range(width):
        col = arr[:, j]
        types = list(map(type, col))
        kinds = set(types)
        if kinds == {str}:
            col[np.fromiter((not v.strip() for v in col), dtype=bool, count=n)] = None
            continue
        tarr = np.array(types, dtype=object)
        if str in kinds:
            at = np.flatnonzero(np.equal(tarr, str))
            col[at[np.fromiter((not v.strip() for v in col[at]), dtype=bool, count=len(at))]] = None
        if float in kinds:
            at = np.flatnonzero(np.equal(tarr, float))
            f = col[at].astype(np.float64)
            whole = (f == np.trunc(f)) & (np.abs(f) < _MAX_EXACT_INT)
            idx = at[whole]
            put = np.empty(len(idx), dtype=object)
            put[:] = f[whole].astype(np.int64).tolist()
            col[idx] = put
        if _dt.date in kinds:
            at = np.flatnonzero(np.equal(tarr, _dt.date))
            col[at] = [_dt.datetime(d.year, d.month, d.day) for d in col[at]]
    return arr, np.equal(arr, None)


def _read_excel_grid_openpyxl(path: Path, sheet: str | int | None, add: Any) -> tuple[list[list[Any]], dict[str, Any]] | None:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        add("error", "unreadable", f"无法打开 Excel 文件：{exc} (cannot open workbook)")
        return None
    try:
        title = _pick_sheet(wb.sheetnames, [ws.title for ws in wb.worksheets], sheet, add)
        if title is None:
            return None
        ws = wb[title]
        ws.reset_dimensions()  # some writers store wrong dimensions; read every row
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    return grid, {"sheet": title}


def _is_blank_cell(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and np.isnan(v))


def _blank_frame(frame: pd.DataFrame) -> np.ndarray:
    """Mask of empty cells (None, NaN, white space only), column by column."""
    if frame.shape[1] == 0:
        return np.zeros(frame.shape, dtype=bool)
    return np.column_stack([blank_mask(frame[c]).to_numpy(dtype=bool) for c in frame.columns])


def _read_table(path: Path, spec: LayerSpec, *, sheet: Any, encoding: str | None, add: Any) -> _Raw | None:
    excel = path.suffix.lower() in _EXCEL_SUFFIXES
    got = _read_excel_grid(path, sheet, add) if excel else _read_csv_grid(path, encoding, add)
    if got is None:
        return None
    grid, meta = got
    blank = meta.pop("blank", None)
    if isinstance(grid, np.ndarray):  # calamine cells, with their blank mask
        frame = pd.DataFrame(grid, dtype=object, copy=False)
        width = grid.shape[1]
    else:
        width = max((len(r) for r in grid), default=0)
        frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in grid], dtype=object)
    if blank is None:
        blank = _blank_frame(frame)
    if width == 0 or blank.all():
        add("error", "empty_file", "文件为空 (empty file)")
        return None

    # header row: the row (among the first ones) naming most of the kind's columns
    wanted = set(spec.required) | set(spec.optional) | {"lon", "lat"}
    scan = min(_HEADER_SCAN_ROWS, len(frame))
    scores = [
        sum(canonical_column(v, spec.key) in wanted for v in frame.iloc[i] if not _is_blank_cell(v))
        for i in range(scan)
    ]
    non_blank_rows = np.flatnonzero(~blank.all(axis=1))
    header_idx = int(np.argmax(scores)) if max(scores, default=0) > 0 else int(non_blank_rows[0])

    body_blank = blank[header_idx + 1 :]
    headers: list[str] = []
    keep: list[int] = []
    seen: dict[str, int] = {}
    for j, v in enumerate(frame.iloc[header_idx]):
        if _is_blank_cell(v):
            if body_blank[:, j].all():
                continue
            h = f"未命名列{_column_letter(j)}"
        else:
            h = str(v).strip()
        if h in seen:
            seen[h] += 1
            new = f"{h}_{seen[h]}"
            add("warning", "duplicate_header", f"列名「{h}」重复，第 {_column_letter(j)} 列改称「{new}」 (duplicate header)",
                row=header_idx + 1, column=h)
            h = new
        else:
            seen[h] = 1
        headers.append(h)
        keep.append(j)
    body = frame.iloc[header_idx + 1 :, keep]
    body.columns = headers
    rows = np.arange(header_idx + 2, header_idx + 2 + len(body))
    nonblank = ~body_blank[:, keep].all(axis=1) if len(body) else np.zeros(0, dtype=bool)
    body, rows = body[nonblank], rows[nonblank]
    cell_blank = body_blank[:, keep][nonblank]
    # 合计/总计 rows at the bottom of printed tables (looked for in the first columns)
    first_cols = body.iloc[:, : min(4, body.shape[1])]
    total = np.zeros(len(body), dtype=bool)
    for c in range(first_cols.shape[1]):
        total |= first_cols.iloc[:, c].isin(_TOTAL_WORDS).to_numpy(dtype=bool)
    if total.any():
        for r in rows[total]:
            add("warning", "total_row", "合计/总计行已忽略，不作为数据读取 (total row ignored)", row=int(r))
        body, rows, cell_blank = body[~total], rows[~total], cell_blank[~total]
    if len(body) == 0:
        add("error", "empty_file", f"只有表头（第 {header_idx + 1} 行），没有数据行 (no data rows)")
    body = body.reset_index(drop=True)
    body = _infer_extra(body, cell_blank, spec, csv_text=not excel)
    return _Raw(body, rows.astype(int), meta=meta)


def _infer_extra(body: pd.DataFrame, blank: np.ndarray, spec: LayerSpec, *, csv_text: bool) -> pd.DataFrame:
    """Type the columns the kind does not use: numbers when every value is one (no leading 0)."""
    out = {}
    for j, col in enumerate(body.columns):
        s = body[col].where(~blank[:, j], None)
        if canonical_column(col, spec.key) is not None:
            out[col] = s
            continue
        if csv_text:
            text = pd.Series([v.strip() if isinstance(v, str) else None for v in s.to_numpy(dtype=object)], dtype=object)
            num = pd.to_numeric(text, errors="coerce")
            filled = text.dropna()
            lead0 = filled.str.match(r"^[+-]?0\d").any() if len(filled) else False
            if len(filled) and num.notna().sum() == len(filled) and not lead0:
                out[col] = num
            else:
                out[col] = to_text_dtype(text.astype("string"))
        else:
            out[col] = s.infer_objects()
    return pd.DataFrame(out, index=body.index)


_DMS_MARKS = re.compile(r"[°度′'’分″\"”秒]")


def _parse_coordinates(series: pd.Series) -> tuple[np.ndarray, pd.Series, pd.Series]:
    """Numbers of a lon/lat column, accepting degrees-minutes-seconds (120°05′30″E).

    Returns the values (NaN where blank or bad), the mask of bad cells and the reason of
    each bad cell (:data:`mzgeo.io.checks.NUMBER_REASONS` keys, or ``"dms_60"`` for minutes
    or seconds of 60 or more).
    """
    values, bad, why = parse_numbers_why(series)
    why = why.astype(object)
    candidates = bad & why.isin(["not_number", "thousands"])
    if candidates.any():
        text = series[candidates].astype("string")
        dms = text.str.contains(_DMS_MARKS, na=False)
        if dms.any():
            parts = text[dms].str.extractall(r"(\d+(?:\.\d+)?)")[0].astype(float).unstack()
            parts = parts.reindex(columns=[0, 1, 2, 3])
            over = (parts[1] >= 60) | (parts[2] >= 60)
            deg = parts[0] + parts[1].fillna(0) / 60.0 + parts[2].fillna(0) / 3600.0
            deg = deg.where(parts[3].isna() & ~over)  # more than three numbers: not a coordinate
            neg = text[dms].str.contains(r"[SW南西]|^\s*-", regex=True, na=False)
            deg = deg.where(~neg.reindex(deg.index, fill_value=False), -deg)
            values.loc[deg.index] = deg
            why.loc[over[over].index] = "dms_60"
            bad = bad & values.isna()
            why = why.where(bad, None)
    return values.to_numpy(dtype="float64"), bad, why


def _coordinate_message(head: str, value: Any, why: Any) -> str:
    if why == "dms_60":
        return f"「{head}」的度分秒「{value}」中分或秒不小于 60，请核对 (minutes or seconds ≥ 60)"
    return number_message(head, value, why, expected="数字（度）或度分秒")


def _table_geometry(ctx: CheckContext) -> tuple[np.ndarray | None, tuple[np.ndarray, np.ndarray] | None, str | None, list[str]]:
    """Geometry of a table from lon/lat columns, a "lon,lat" column or a WKT column."""
    d = ctx.data
    n = len(d)
    if "lon" in d.columns and "lat" in d.columns:
        hx, hy = ctx.header("lon"), ctx.header("lat")
        col = f"{hx}/{hy}"
        x, bad_x, why_x = _parse_coordinates(d["lon"])
        y, bad_y, why_y = _parse_coordinates(d["lat"])
        for head, bad, raw, why in ((hx, bad_x, d["lon"], why_x), (hy, bad_y, d["lat"], why_y)):
            ctx.add_rows(
                "error", "not_numeric", bad,
                lambda m, head=head, raw=raw, why=why: [
                    _coordinate_message(head, v, w) for v, w in zip(raw[m], why[m], strict=True)
                ],
                head,
            )
        missing = (blank_mask(d["lon"]) | blank_mask(d["lat"])).to_numpy()
        ctx.add_rows("error", "missing_geometry", missing, f"坐标为空：「{hx}」或「{hy}」没有值 (missing coordinates)", col)
        ok = np.isfinite(x) & np.isfinite(y)
        geoms = np.full(n, None, dtype=object)
        geoms[ok] = shapely.points(x[ok], y[ok])
        return geoms, (x, y), col, ["lon", "lat"]
    from ..layers import _key

    by_key = {_key(c).split("(")[0]: c for c in d.columns if isinstance(c, str)}
    lonlat = next((by_key[k] for k in by_key if k in _LONLAT_HEADERS), None)
    if lonlat is not None:
        parts = d[lonlat].astype("string").str.strip().str.split(r"[,，;；\s]+", n=1, expand=True, regex=True)
        for k in (0, 1):  # a cell without separator, or no rows at all
            if k not in parts.columns:
                parts[k] = pd.Series(pd.NA, index=parts.index, dtype="string")
        x, bad_x, _ = _parse_coordinates(parts[0])
        y, bad_y, _ = _parse_coordinates(parts[1])
        blank = blank_mask(d[lonlat]).to_numpy()
        bad = (bad_x.to_numpy() | bad_y.to_numpy() | ~np.isfinite(x) | ~np.isfinite(y)) & ~blank
        ctx.add_rows(
            "error", "not_numeric", bad,
            lambda m: [f"「{lonlat}」应为「经度,纬度」，实际为「{v}」(not lon,lat)" for v in d[lonlat][m]],
            lonlat,
        )
        ctx.add_rows("error", "missing_geometry", blank, f"坐标为空：「{lonlat}」没有值 (missing coordinates)", lonlat)
        ok = np.isfinite(x) & np.isfinite(y)
        geoms = np.full(n, None, dtype=object)
        geoms[ok] = shapely.points(x[ok], y[ok])
        ctx.headers.setdefault("lon", lonlat + "（经度）")
        ctx.headers.setdefault("lat", lonlat + "（纬度）")
        return geoms, (x, y), lonlat, [lonlat]
    wkt = next((by_key[k] for k in by_key if k in _WKT_HEADERS), None)
    if wkt is not None:
        text = d[wkt].astype("string").str.strip()
        blank = blank_mask(d[wkt]).to_numpy()
        cells = text.to_numpy(dtype=object, na_value=None)
        cells[blank] = None
        geoms = shapely.from_wkt(cells, on_invalid="ignore")
        bad = ~blank & shapely.is_missing(geoms)
        ctx.add_rows("error", "bad_geometry", bad, f"「{wkt}」不是有效的 WKT 几何 (invalid WKT)", wkt)
        ctx.add_rows("error", "missing_geometry", blank, f"几何为空：「{wkt}」没有值 (missing geometry)", wkt)
        empty = ~blank & ~bad & shapely.is_empty(geoms)
        ctx.add_rows("error", "missing_geometry", empty, f"几何为空：「{wkt}」为 EMPTY 几何 (empty geometry)", wkt)
        return geoms, None, wkt, [wkt]
    from ..layers import aliases_for

    if ctx.spec.table_ok:  # e.g. a projects ledger naming county and township only
        return None, None, None, []
    ctx.add(
        "error",
        "no_coordinates",
        f"找不到坐标列：经度（可用列名 {'、'.join(aliases_for('lon'))}）和纬度（可用列名 "
        f"{'、'.join(aliases_for('lat'))}），或「经纬度」「location」合并列，或 WKT 几何列；"
        "也可用 lon_col=、lat_col= 指定 (no coordinate columns)",
        column="经度/纬度",
    )
    return None, None, None, []
