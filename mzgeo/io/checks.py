"""Input checks: planners' files and layers, the report of their problems, and the analyses' inputs.

Why ``checks`` (it was ``_validate.py``): a module :mod:`mzgeo.io.validate` would hide the
function :func:`mzgeo.io.validate` (``from mzgeo.io import validate`` would give the module or the
function depending on import order, and ``mzgeo.io.validate(...)`` would break once the module
was imported). The issue's rule "no name hides a module" therefore names the module after what it
holds — the checks — and keeps ``validate`` the function a planner calls.

Why one module of about 1,600 lines (above the ~800 aimed at): it is the one place of every
input rule, of files (the rule codes below) and of layers passed to an analysis (the last section:
:func:`check_frame`, :func:`check_crs` — the one CRS policy, :func:`mzgeo.crs.analysis_layers` —,
:func:`as_points`, :func:`located`, :func:`numeric_column`, :func:`parse_minutes` and the
problem records :func:`make_problems`, :func:`concat_problems`, :data:`PROBLEM_COLUMNS`). A rule
and its message are looked up in one file; splitting by input kind would separate the number
parser from the checks that use it.

The checks here never stop at the first problem: each one looks at a whole column or a
whole geometry array at once (pandas, numpy, shapely) and adds one :class:`~mzgeo.Problem`
per bad cell or feature to a :class:`ValidationReport`. Row numbers are the ones the user
sees: in Excel/CSV the header is row 1 and the first data row is row 2; in spatial files
the 1-based feature number. Columns are named by their header as written in the file.

:mod:`mzgeo.io` drives these checks; :func:`format_report` renders the Chinese table that
the CLI prints.

Problem codes
-------------
===================== ======== ==========================================================
code                  severity meaning
===================== ======== ==========================================================
``unreadable``        error    the file cannot be opened or decoded
``empty_file``        error    no data rows / no features
``sheet_not_found``   error    ``sheet=`` names no sheet of the workbook
``layer_not_found``   error    ``layer=`` names no layer of the GeoPackage
``several_layers``    warning  a GeoPackage has several layers and none was named
``encoding_guess``    warning  the text encoding had to be guessed (charset-normalizer)
``mojibake``          warning  text still looks garbled after trying UTF-8 and GBK
``duplicate_header``  warning  two columns have the same header
``total_row``         warning  a 合计/总计 row was ignored
``missing_column``    error    a required column is missing (the aliases looked for are named)
``no_coordinates``    error    a table has no lon/lat, coordinate or WKT column
``missing_value``     error    a required cell is empty
``not_numeric``       error    a number column holds text
``negative``          error    a number column holds a negative number
``nursing_gt_beds``   error    nursing-type beds exceed total beds
``used_gt_capacity``  warning  cemetery places used exceed capacity
``duplicate_id``      error    a code/ID repeats (warning for boundary markers: an inspection finding)
``duplicate_name``    warning  a name repeats
``unknown_category``  warning  a category value is not one of the allowed values
``bad_boolean``       warning  a yes/no cell cannot be read (treated as missing)
``missing_crs``       error    a spatial file has no CRS and none was declared
``mixed_crs``         error    the declared CRS conflicts with the file's own CRS
``assumed_wgs84``     warning  lon/lat table without a declared CRS: WGS84 assumed
``lonlat_swapped``    error    longitude and latitude look swapped
``missing_geometry``  error    empty or missing geometry / coordinates
``bad_geometry``      error    a WKT cell cannot be parsed
``nonfinite_coordinates`` error a coordinate is NaN or infinite
``coordinate_pairs``  error    two pairs of coordinate columns (经度/纬度 and lng/lat) and no choice
``elderly_gt_population`` error elderly (60+) exceed the population
``elderly_without_population`` error/warning elderly given, population 0 (error) or blank (warning)
``implausible_density`` error  population density above ``settings.max_population_density_per_km2``
``encrypted``         error    the workbook is password-protected (or is a legacy .xls)
``geometry_type``     error    geometry type does not match the layer kind
``invalid_geometry``  warning  invalid polygon, repaired with ``shapely.make_valid``
``outside_china``     error    coordinates outside China
``outside_study_area`` warning coordinates far outside the study area
``gcj02_suspected``   warning  data declared WGS84 lines up with the reference only after GCJ-02 → WGS84
``bd09_suspected``    warning  same, for Baidu BD-09
===================== ======== ==========================================================
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import crs as _crs
from ..errors import CRSError, DataWarning, InputError, Problem, ValidationError
from ..layers import (
    BOOLEAN_COLUMNS,
    TEXT_COLUMNS,
    VALUE_ALIASES,
    LayerSpec,
    aliases_for,
    normalise_categories,
    parse_booleans,
)

__all__ = [
    "CODE_LABELS",
    "PROBLEM_COLUMNS",
    "TEXT_DTYPE",
    "ValidationReport",
    "as_points",
    "check_crs",
    "check_frame",
    "concat_problems",
    "format_report",
    "located",
    "make_problems",
    "numeric_column",
    "parse_minutes",
]

logger = logging.getLogger("mzgeo")

#: Short Chinese label of each problem code (used when warnings are summarised).
CODE_LABELS: dict[str, str] = {
    "unreadable": "无法读取",
    "empty_file": "空文件",
    "sheet_not_found": "工作表不存在",
    "layer_not_found": "图层不存在",
    "several_layers": "多个图层",
    "encoding_guess": "编码为猜测",
    "mojibake": "疑似乱码",
    "duplicate_header": "列名重复",
    "total_row": "合计行",
    "missing_column": "缺少列",
    "no_coordinates": "没有坐标列",
    "missing_value": "必填项为空",
    "not_numeric": "不是数字",
    "negative": "负数",
    "nursing_gt_beds": "护理型床位多于总床位",
    "used_gt_capacity": "已使用多于容量",
    "duplicate_id": "编号重复",
    "duplicate_name": "名称重复",
    "unknown_category": "未知类别",
    "bad_boolean": "是/否无法识别",
    "missing_crs": "缺少坐标系",
    "mixed_crs": "坐标系冲突",
    "assumed_wgs84": "按 WGS84 处理",
    "lonlat_swapped": "经纬度可能互换",
    "missing_geometry": "缺少坐标/几何",
    "bad_geometry": "几何无法解析",
    "nonfinite_coordinates": "坐标为 NaN/无穷大",
    "coordinate_pairs": "两组坐标列",
    "elderly_gt_population": "老年人口多于总人口",
    "elderly_without_population": "有老年人口无总人口",
    "implausible_density": "人口密度不合理",
    "encrypted": "文件加密或格式不符",
    "geometry_type": "几何类型不符",
    "invalid_geometry": "无效多边形已修复",
    "outside_china": "坐标不在中国境内",
    "outside_study_area": "坐标远离研究区",
    "gcj02_suspected": "疑似高德坐标",
    "bd09_suspected": "疑似百度坐标",
}

_GEOM_ZH = {"point": "点", "polygon": "面（多边形）", "line": "线", "any": "点、线或面"}
_TYPE_NAMES = {
    -1: "空",
    0: "点 Point",
    1: "线 LineString",
    2: "线环 LinearRing",
    3: "面 Polygon",
    4: "多点 MultiPoint",
    5: "多线 MultiLineString",
    6: "多面 MultiPolygon",
    7: "几何集合 GeometryCollection",
}
_ALLOWED_TYPES = {"point": (0,), "polygon": (3, 6), "line": (1, 5), "any": (0, 1, 3, 4, 5, 6)}
_KM_PER_DEG = 111.32


# --------------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------------
class ValidationReport:
    """Every problem found in one input file.

    Parameters
    ----------
    problems : iterable of Problem
        The problems, in the order found (they are shown sorted by row).
    file : str, optional
        The file name as the user gave it.
    kind : str, optional
        The layer kind checked.

    Attributes
    ----------
    problems : list of Problem
        File-level problems first, then by row number.
    file : str or None
    kind : str or None

    Examples
    --------
    >>> from mzgeo import Problem
    >>> rep = ValidationReport([Problem("error", "「床位数」应为数字", "a.csv", 3, "床位数", "not_numeric")], "a.csv")
    >>> rep.ok, len(rep.errors), len(rep.warnings)
    (False, 1, 0)
    """

    def __init__(self, problems: Iterable[Problem] = (), file: str | None = None, kind: str | None = None) -> None:
        probs = list(problems)
        order = sorted(range(len(probs)), key=lambda i: (probs[i].row is not None, probs[i].row or 0, i))
        self.problems: list[Problem] = [probs[i] for i in order]
        self.file = file
        self.kind = kind

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``"error"`` (the file cannot be used as it is)."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems of severity ``"warning"``."""
        return [p for p in self.problems if p.severity != "error"]

    @property
    def ok(self) -> bool:
        """``True`` when there is no error (warnings allowed)."""
        return not self.errors

    def codes(self) -> set[str]:
        """Return the set of problem codes present (handy in tests and scripts)."""
        return {p.code for p in self.problems}

    def to_frame(self) -> pd.DataFrame:
        """Return the problems as a table with Chinese headers.

        Returns
        -------
        pandas.DataFrame
            Columns 级别 (错误/警告), 文件, 行号 (nullable integer), 列, 问题, 代码 (the
            machine-readable problem code); one row per problem.
        """
        return pd.DataFrame(
            {
                "级别": pd.Series(["错误" if p.severity == "error" else "警告" for p in self.problems], dtype=object),
                "文件": pd.Series([p.file for p in self.problems], dtype=object),
                "行号": pd.array([p.row for p in self.problems], dtype="Int64"),
                "列": pd.Series([p.column for p in self.problems], dtype=object),
                "问题": pd.Series([p.message for p in self.problems], dtype=object),
                "代码": pd.Series([p.code for p in self.problems], dtype=object),
            }
        )

    def raise_if_errors(self) -> None:
        """Raise :class:`~mzgeo.ValidationError` (carrying every problem) when there is an error.

        Raises
        ------
        ValidationError
            With ``problems`` (all of them, warnings included), ``file`` and ``report``.
        """
        if self.ok:
            return
        err = ValidationError(problems=list(self.problems), file=self.file)
        err.report = self  # type: ignore[attr-defined]
        raise err

    def __str__(self) -> str:
        """Render the Chinese report table (:func:`format_report`)."""
        return format_report(self)

    def __repr__(self) -> str:
        """File and the counts of errors and warnings."""
        return f"<ValidationReport {self.file!r}: {len(self.errors)} errors, {len(self.warnings)} warnings>"


def _width(text: str) -> int:
    """Display width of ``text`` in a terminal (CJK characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def format_report(report: ValidationReport, *, max_rows: int | None = 200) -> str:
    """Render a report as a Chinese plain-text table (what ``mzgeo validate`` prints).

    Parameters
    ----------
    report : ValidationReport
        The report.
    max_rows : int or None
        Largest number of problems shown; the rest are counted in a last line. ``None``
        shows all.

    Returns
    -------
    str
        A heading (file, number of errors and warnings) and one line per problem with
        级别, 行号, 列 and 问题, columns aligned for CJK text.
    """
    from ..layers import KINDS

    name = report.file or "输入数据"
    if report.kind in KINDS:
        name = f"{name}（{KINDS[report.kind].name_zh}）"
    n_err, n_warn = len(report.errors), len(report.warnings)
    if not report.problems:
        return f"{name}：未发现问题 (no problems found)"
    verdict = "不能直接使用，请先修正错误" if n_err else "可以使用，请留意警告"
    head = f"{name}：{n_err} 个错误，{n_warn} 个警告 —— {verdict}"
    shown = report.problems if max_rows is None else report.problems[:max_rows]
    files = {p.file for p in report.problems}
    with_file = len(files) > 1
    headers = ["级别", *(["文件"] if with_file else []), "行号", "列", "问题"]
    rows = []
    for p in shown:
        cells = ["错误" if p.severity == "error" else "警告"]
        if with_file:
            cells.append(p.file or "")
        cells += ["" if p.row is None else str(p.row), p.column or "", p.message]
        rows.append(cells)
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers) - 1)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join([*(_pad(c, w) for c, w in zip(cells[:-1], widths, strict=True)), cells[-1]])

    out = [head, line(headers), "  ".join(["-" * w for w in widths] + ["-" * 8])]
    out += [line(r) for r in rows]
    if len(shown) < len(report.problems):
        out.append(f"……另有 {len(report.problems) - len(shown)} 个问题未显示（用 report.to_frame() 查看全部）")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# the context that the checks share
# --------------------------------------------------------------------------------------------
@dataclass
class CheckContext:
    """A table under validation: canonical columns, user row numbers and original headers.

    Attributes
    ----------
    data : pandas.DataFrame
        Columns renamed to canonical names; cleaned in place by the checks (numbers parsed,
        categories normalised...).
    rows : numpy.ndarray
        Row number of each data row as the user sees it.
    headers : dict
        Canonical column → header as written in the file.
    spec : LayerSpec
        Schema of the kind.
    file : str
        File name.
    problems : list of Problem
        Problems found so far.
    """

    data: pd.DataFrame
    rows: np.ndarray
    headers: dict[str, str]
    spec: LayerSpec
    file: str
    problems: list[Problem] = field(default_factory=list)

    def header(self, column: str) -> str:
        """Return the header as written for a canonical column."""
        return self.headers.get(column, column)

    def add(self, severity: str, code: str, message: str, *, row: int | None = None, column: str | None = None) -> None:
        """Add one problem (``column`` is the header as written)."""
        self.problems.append(Problem(severity, message, self.file, row, column, code))

    def add_rows(
        self,
        severity: str,
        code: str,
        mask: Any,
        messages: Any,
        column: str | None = None,
    ) -> int:
        """Add one problem per row selected by ``mask``.

        Parameters
        ----------
        severity, code : str
            As in :class:`~mzgeo.Problem`.
        mask : array-like of bool
            Rows concerned (aligned with ``data``).
        messages : str, array-like of str or callable
            One message for all rows, one per row (aligned with ``data``), or a function
            of the mask returning the messages of the selected rows only (so that messages
            are built only for the bad rows).
        column : str, optional
            Header as written.

        Returns
        -------
        int
            Number of problems added.
        """
        m = np.asarray(mask, dtype=bool)
        if not m.any():
            return 0
        rows = self.rows[m]
        if isinstance(messages, str):
            msgs = [messages] * int(m.sum())
        elif callable(messages):
            msgs = list(messages(m))
        else:
            msgs = list(np.asarray(messages, dtype=object)[m])
        self.problems.extend(
            Problem(severity, str(msg), self.file, int(r), column, code) for r, msg in zip(rows, msgs, strict=True)
        )
        return int(m.sum())


# --------------------------------------------------------------------------------------------
# attribute checks
# --------------------------------------------------------------------------------------------
_NA = pd.NA


def _is_blank(v: Any) -> bool:
    if isinstance(v, str):
        return not v.strip()
    return v is None or v is _NA or (isinstance(v, float) and v != v)


def blank_mask(series: pd.Series) -> pd.Series:
    """Mask of missing or whitespace-only cells (boolean Series aligned with ``series``)."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series.isna().astype(bool)
    # a plain comprehension over the object array: much faster than pandas' python-storage
    # string methods when pyarrow is absent
    arr = series.to_numpy(dtype=object)
    return pd.Series(np.fromiter((_is_blank(v) for v in arr), dtype=bool, count=len(arr)), index=series.index)


def _zh(column: str) -> str:
    """Return a column's Chinese name (the first alias) for messages."""
    names = aliases_for(column)
    return names[0] if names else column


def check_required_columns(ctx: CheckContext) -> None:
    """Error ``missing_column`` for each required column absent, naming the aliases looked for."""
    present = list(ctx.headers.values())
    shown = "、".join(str(c) for c in ctx.data.columns if c not in ctx.headers) or "（无）"
    for col in ctx.spec.required:
        if col in ctx.data.columns:
            continue
        looked = "、".join(aliases_for(col, ctx.spec.key))
        ctx.add(
            "error",
            "missing_column",
            f"缺少必需的列「{_zh(col)}」（{col}）：查找过的列名有 {looked}；"
            f"文件中未识别的列为 {shown}" + (f"，已识别 {'、'.join(present)}" if present else "")
            + " (missing required column)",
            column=_zh(col),
        )


_UNIT_SUFFIX = re.compile(r"(人|张|床|个|穴|格|位|座|处|㎡|m2|m²|平方米|平米|米|m|年|km|公里)$", re.IGNORECASE)


#: A number written with thousands separators: commas only between groups of three digits.
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_NON_FINITE_TEXT = re.compile(r"^[+-]?(?:nan|inf|infinity|∞)$", re.IGNORECASE)
_INLINE_SPACE = re.compile(r"[ \t\u00a0\u2009\u202f]")

#: Why a cell is not a usable number (the text of :func:`parse_numbers_why`'s reasons).
NUMBER_REASONS: dict[str, str] = {
    "not_number": "不是数字",
    "non_finite": "是无穷大或 NaN（inf、Infinity、nan、1e400 之类的值会让比率和合计失真），请填写实际数值",
    "boolean": "是逻辑值 TRUE/FALSE（Excel 的是/否），不是数字",
    "thousands": "逗号位置不对：千分位逗号只能每三位一个（如 1,200），小数请用小数点",
    "newline": "单元格内有换行，请删去换行",
}


def parse_numbers(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a number column leniently, but never let a non-finite value through.

    Thousands separators (commas between groups of three digits only: ``"1,200"``,
    ``"1,200.5"``), full-width digits, spaces and a trailing unit (人, 张, ㎡, 平方米, 年...)
    are accepted: ``"1,200人"`` → 1200.0. Not numbers: ``"6,0"`` and ``"1,2,0,0"`` (commas
    not in groups of three), a newline inside the number, Excel booleans (TRUE/FALSE), and
    any non-finite value (``inf``, ``Infinity``, ``-inf``, ``nan``, ``1e400`` which overflows),
    also in columns already read as numbers (GeoPackage, GeoJSON, Shapefile).

    Parameters
    ----------
    series : pandas.Series
        Values as read.

    Returns
    -------
    tuple of pandas.Series
        ``float64`` values (missing where blank or unusable; always finite) and a mask of
        the non-blank cells that are not usable numbers.
    """
    values, bad, _ = parse_numbers_why(series)
    return values, bad


def parse_numbers_why(series: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """:func:`parse_numbers`, also saying why each bad cell is not a number.

    Returns
    -------
    tuple of pandas.Series
        Values, the bad-cell mask, and a reason key of :data:`NUMBER_REASONS` per cell
        (``None`` for good and blank cells).
    """
    index = series.index
    reason = np.full(len(series), None, dtype=object)
    if pd.api.types.is_bool_dtype(series):
        blank = series.isna().to_numpy(dtype=bool)
        reason[~blank] = "boolean"
        return pd.Series(np.nan, index=index), pd.Series(~blank, index=index), pd.Series(reason, index=index)
    if pd.api.types.is_numeric_dtype(series):
        values = pd.to_numeric(series, errors="coerce").astype("float64")
        inf = np.isinf(values.to_numpy())
        reason[inf] = "non_finite"
        return values.where(~inf), pd.Series(inf, index=index), pd.Series(reason, index=index)
    blank = blank_mask(series).to_numpy()
    cells = series.to_numpy(dtype=object).copy()
    is_bool = np.fromiter((isinstance(v, bool | np.bool_) for v in cells), dtype=bool, count=len(cells))
    cells[blank | is_bool] = np.nan
    try:  # fast path: every cell is a plain number or numeric text
        arr = np.asarray(cells, dtype="float64")
    except (ValueError, TypeError):
        arr = pd.to_numeric(pd.Series(cells, index=index), errors="coerce").to_numpy(dtype="float64")
    arr = arr.copy()
    reason[is_bool] = "boolean"
    slow = ~blank & ~is_bool & np.isnan(arr)
    if slow.any():  # only the cells plain parsing missed: "1,200", "35张", full-width digits, "nan"
        text = series[slow].astype("string").str.normalize("NFKC").str.strip()
        newline = text.str.contains(r"[\r\n]", regex=True).fillna(False).to_numpy(dtype=bool)
        text = text.str.replace(_INLINE_SPACE, "", regex=True).str.replace(_UNIT_SUFFIX, "", regex=True)
        comma = text.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
        grouped = text.str.match(_THOUSANDS).fillna(False).to_numpy(dtype=bool)
        text = text.str.replace(",", "", regex=False)
        nonfinite_text = text.str.match(_NON_FINITE_TEXT).fillna(False).to_numpy(dtype=bool)
        parsed = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", copy=True)
        why = np.full(len(text), None, dtype=object)
        why[np.isnan(parsed)] = "not_number"
        why[nonfinite_text] = "non_finite"
        why[comma & ~grouped] = "thousands"
        why[newline] = "newline"
        parsed[pd.notna(why)] = np.nan
        arr[slow] = parsed
        reason[slow] = why
    inf = np.isinf(arr)
    reason[inf] = "non_finite"
    arr[inf] = np.nan
    bad = ~blank & (is_bool | np.isnan(arr))
    reason[bad & pd.isna(reason)] = "not_number"
    return pd.Series(arr, index=index), pd.Series(bad, index=index), pd.Series(reason, index=index)


def number_message(head: str, value: Any, why: Any, expected: str = "数字") -> str:
    """Write the message of one bad number cell: header, the value as written and why it is not usable."""
    shown = str(value).replace("\r", "\\r").replace("\n", "\\n")
    if why is None or (not isinstance(why, str) and pd.isna(why)) or why == "not_number":
        return f"「{head}」应为{expected}，实际为「{shown}」(not a number)"
    english = {"non_finite": "not a finite number", "boolean": "boolean, not a number",
               "thousands": "misplaced thousands separator", "newline": "newline inside a number"}
    return f"「{head}」的值「{shown}」{NUMBER_REASONS.get(str(why), str(why))} ({english.get(str(why), why)})"


#: dtype of text columns in layers: pandas' default string dtype ("str", NaN for missing) on
#: pandas ≥ 3, ``object`` before.
TEXT_DTYPE = pd.Series(["x"]).dtype


def to_text_dtype(series: pd.Series) -> pd.Series:
    """Convert a ``string``-dtype series to :data:`TEXT_DTYPE` (missing stays missing)."""
    if pd.api.types.is_object_dtype(TEXT_DTYPE):
        return series.astype(object).where(series.notna(), None)
    return series.astype(TEXT_DTYPE)


_INTEGRAL_TEXT = re.compile(r"^-?\d+\.0+$")


def _text_value(v: Any) -> Any:
    if _is_blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    text = str(v).strip()
    if text.endswith("0") and _INTEGRAL_TEXT.match(text):  # "330502.0" from a spreadsheet
        return text.split(".", 1)[0]
    return text


def as_text(series: pd.Series) -> pd.Series:
    """Codes and IDs as text: integral numbers without ``.0``, stripped, blanks missing."""
    arr = series.to_numpy(dtype=object)
    values = [_text_value(v) for v in arr]
    if pd.api.types.is_object_dtype(TEXT_DTYPE):
        return pd.Series(values, index=series.index, dtype=object)
    return pd.Series(values, index=series.index, dtype=TEXT_DTYPE)


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def clean_text_columns(ctx: CheckContext) -> None:
    """Codes and IDs to text; canonical text columns stripped (no problems raised)."""
    spec_cols = set(ctx.spec.required) | set(ctx.spec.optional)
    numeric = set(ctx.spec.numeric) | set(BOOLEAN_COLUMNS) | {"lon", "lat"}
    for col in ctx.data.columns:
        if col in TEXT_COLUMNS or (col in spec_cols and col not in numeric and col not in ctx.spec.categories):
            s = ctx.data[col]
            if pd.api.types.is_datetime64_any_dtype(s):
                continue
            ctx.data[col] = as_text(s)


def check_numbers(ctx: CheckContext) -> None:
    """Parse the kind's number columns; ``not_numeric`` and ``negative`` errors per bad cell."""
    for col in ctx.spec.numeric:
        if col not in ctx.data.columns:
            continue
        raw = ctx.data[col]
        values, bad, why = parse_numbers_why(raw)
        head = ctx.header(col)
        ctx.add_rows(
            "error", "not_numeric", bad,
            lambda m, raw=raw, head=head, why=why: [
                number_message(head, v, w) for v, w in zip(raw[m], why[m], strict=True)
            ],
            head,
        )
        neg = (values < 0).fillna(False).astype(bool)
        ctx.add_rows(
            "error", "negative", neg,
            lambda m, v=values, head=head: [f"「{head}」不能为负数：{_fmt(x)} (negative number)" for x in v[m]],
            head,
        )
        ctx.data[col] = values


def check_required_values(ctx: CheckContext) -> None:
    """``missing_value`` error per empty cell of a required column."""
    for col in ctx.spec.required:
        if col not in ctx.data.columns:
            continue
        head = ctx.header(col)
        ctx.add_rows("error", "missing_value", blank_mask(ctx.data[col]), f"必填项「{head}」为空 (empty required value)", head)


def check_categories(ctx: CheckContext) -> None:
    """Normalise category values (:data:`~mzgeo.layers.VALUE_ALIASES`); warn for unknown ones."""
    for col, allowed in ctx.spec.categories.items():
        if col not in ctx.data.columns:
            continue
        raw = ctx.data[col]
        values, unknown = normalise_categories(raw, col)
        head = ctx.header(col)
        choices = "、".join(allowed)
        ctx.add_rows(
            "warning", "unknown_category", unknown,
            lambda m, raw=raw, head=head, choices=choices: [
                f"「{head}」的值「{v}」不在可选值中（{choices}），已按原样保留 (unknown category)" for v in raw[m]
            ],
            head,
        )
        ctx.data[col] = to_text_dtype(values)
    # category-like columns of other kinds still get their spelling normalised
    for col in set(VALUE_ALIASES) - set(ctx.spec.categories):
        if col in ctx.data.columns and col in set(ctx.spec.optional) | set(ctx.spec.required):
            ctx.data[col] = to_text_dtype(normalise_categories(ctx.data[col], col)[0])


def check_booleans(ctx: CheckContext) -> None:
    """Parse yes/no columns (是/否, 有/无, 1/0, Y/N...); warn for unreadable cells."""
    for col in BOOLEAN_COLUMNS:
        if col not in ctx.data.columns:
            continue
        raw = ctx.data[col]
        values, bad = parse_booleans(raw, col)
        head = ctx.header(col)
        ctx.add_rows(
            "warning", "bad_boolean", bad,
            lambda m, raw=raw, head=head: [f"「{head}」的值「{v}」无法识别为是/否，按空值处理 (not a yes/no value)" for v in raw[m]],
            head,
        )
        ctx.data[col] = values


def check_duplicates(ctx: CheckContext) -> None:
    """Duplicate codes/IDs (error ``duplicate_id``) and names (warning ``duplicate_name``)."""
    # a repeated boundary-marker ID is an inspection finding (and 同号双立 markers share a
    # number), so the marker register is read and the boundary module reports it
    severity = "warning" if ctx.spec.key == "markers" else "error"
    checks = [(c, severity, "duplicate_id", "编号") for c in ctx.spec.unique]
    # line and zone layers: one road or river is often split into several features
    if "name" not in ctx.spec.unique and ctx.spec.key not in ("roads", "rivers", "railways", "zones"):
        checks.append(("name", "warning", "duplicate_name", "名称"))
    rows = pd.Series(ctx.rows, index=ctx.data.index)
    for col, severity, code, what in checks:
        if col not in ctx.data.columns:
            continue
        s = ctx.data[col]
        key = pd.Series([_text_value(v) for v in s.to_numpy(dtype=object)], index=s.index, dtype=object)
        valid = ~blank_mask(s)
        dup = key.duplicated(keep="first") & valid
        if not dup.any():
            continue
        first = rows[valid].groupby(key[valid]).transform("min").reindex(s.index)
        head = ctx.header(col)
        english = "duplicate ID" if code == "duplicate_id" else "duplicate name"
        ctx.add_rows(
            severity, code, dup,
            lambda m, key=key, first=first, what=what, english=english: [
                f"{what}「{k}」与第 {int(f)} 行重复 ({english})" for k, f in zip(key[m], first[m], strict=True)
            ],
            head,
        )


def check_consistency(ctx: CheckContext) -> None:
    """Cross-column rules: nursing beds ≤ beds (error), cemetery places used ≤ capacity (warning)."""
    d = ctx.data
    if {"beds", "nursing_beds"} <= set(d.columns) and "nursing_beds" in ctx.spec.numeric:
        over = ((d["nursing_beds"] > d["beds"]) & (d["beds"] >= 0)).fillna(False).astype(bool)
        hn, hb = ctx.header("nursing_beds"), ctx.header("beds")
        ctx.add_rows(
            "error", "nursing_gt_beds", over,
            lambda m: [
                f"「{hn}」{_fmt(n)} 大于「{hb}」{_fmt(b)}：护理型床位不能多于总床位 (nursing beds exceed total beds)"
                for n, b in zip(d["nursing_beds"][m], d["beds"][m], strict=True)
            ],
            hn,
        )
    if ctx.spec.key == "cemeteries" and {"used", "capacity"} <= set(d.columns):
        over = (d["used"] > d["capacity"]).fillna(False).astype(bool)
        hu, hc = ctx.header("used"), ctx.header("capacity")
        ctx.add_rows(
            "warning", "used_gt_capacity", over,
            lambda m: [
                f"「{hu}」{_fmt(u)} 大于「{hc}」{_fmt(c)} (more places used than capacity)"
                for u, c in zip(d["used"][m], d["capacity"][m], strict=True)
            ],
            hu,
        )


def check_demographics(ctx: CheckContext) -> None:
    """Elderly (60+) against population: more elderly than people, or elderly and no people.

    ``elderly_gt_population`` error when elderly > population; ``elderly_without_population``
    error when the population is 0 and elderly > 0, warning when the population cell is
    blank (the elderly count alone is usable for bed ratios, so the file is not blocked).
    """
    d = ctx.data
    if not {"elderly", "population"} <= set(d.columns) or "elderly" not in ctx.spec.numeric:
        return
    if not (pd.api.types.is_float_dtype(d["elderly"]) and pd.api.types.is_float_dtype(d["population"])):
        return
    eld, pop = d["elderly"].to_numpy(), d["population"].to_numpy()
    he, hp = ctx.header("elderly"), ctx.header("population")
    with np.errstate(invalid="ignore"):
        over = (eld > pop) & (pop > 0)
        zero = (eld > 0) & (pop == 0)
        blank = (eld > 0) & np.isnan(pop)
    ctx.add_rows(
        "error", "elderly_gt_population", over,
        lambda m: [
            f"「{he}」{_fmt(e)} 大于「{hp}」{_fmt(p)}：老年人口不能多于总人口 (elderly exceed population)"
            for e, p in zip(eld[m], pop[m], strict=True)
        ],
        he,
    )
    ctx.add_rows(
        "error", "elderly_without_population", zero,
        lambda m: [f"「{he}」为 {_fmt(e)}，但「{hp}」为 0 (elderly but zero population)" for e in eld[m]],
        hp,
    )
    ctx.add_rows(
        "warning", "elderly_without_population", blank,
        lambda m: [f"「{he}」为 {_fmt(e)}，但「{hp}」为空，无法核对 (elderly but no population)" for e in eld[m]],
        hp,
    )


def check_density(ctx: CheckContext, ll_geoms: np.ndarray, skip: np.ndarray, column: str | None, max_per_km2: float) -> None:
    """``implausible_density`` error per unit polygon denser than ``max_per_km2`` people/km².

    Parameters
    ----------
    ctx : CheckContext
        The table (with a parsed ``population`` column).
    ll_geoms : numpy.ndarray
        Geometries in WGS84 lon/lat.
    skip : numpy.ndarray of bool
        Rows already reported (missing or bad geometry).
    column : str or None
        Unused (the problem names the population column).
    max_per_km2 : float
        Largest plausible density (people per km², ``settings.max_population_density_per_km2``).
    """
    if ctx.spec.geometry != "polygon" or "population" not in ctx.data.columns:
        return
    pop = ctx.data["population"]
    if not pd.api.types.is_float_dtype(pop):
        return
    cx, cy = _centres(ll_geoms)
    inside = np.isfinite(cx) & np.isfinite(cy)
    inside[inside] = ~_crs.out_of_china(cx[inside], cy[inside])  # outside China: reported elsewhere
    poly = np.isin(shapely.get_type_id(ll_geoms), (3, 6)) & ~skip & inside
    if not poly.any():
        return
    x = cx[poly]
    try:
        metric = pyproj.CRS.from_epsg(_crs.gk_epsg_for_lon(float(np.nanmedian(x))))
    except Exception:  # outside China: reported elsewhere
        return
    tr = pyproj.Transformer.from_crs(4326, metric, always_xy=True)
    area = np.full(len(ll_geoms), np.nan)
    with np.errstate(all="ignore"):
        projected = shapely.transform(ll_geoms[poly], lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
        area[poly] = shapely.area(projected) / 1e6
    p = pop.to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        density = p / area
    bad = poly & (p > 0) & ~(density <= max_per_km2)
    hp = ctx.header("population")
    ctx.add_rows(
        "error", "implausible_density", bad,
        lambda m: [
            f"人口密度 {d:,.0f} 人/平方公里（「{hp}」{_fmt(v)}，面积 {a:.4g} 平方公里）远超中国最密的街道"
            f"（约 5–8 万人/平方公里），请核对人口单位（人/万人）或边界；"
            f"上限为 settings.max_population_density_per_km2 = {max_per_km2:,.0f} (implausible population density)"
            for d, v, a in zip(density[m], p[m], area[m], strict=True)
        ],
        hp,
    )


def check_attributes(ctx: CheckContext) -> None:
    """Run every attribute check in order (columns, text, numbers, categories, yes/no, rules)."""
    check_required_columns(ctx)
    clean_text_columns(ctx)
    check_required_values(ctx)
    check_numbers(ctx)
    check_categories(ctx)
    check_booleans(ctx)
    check_duplicates(ctx)
    check_consistency(ctx)
    check_demographics(ctx)
    if ctx.spec.key == "projects":
        check_projects(ctx)


_PROJECT_STATUS = ("未动工", "已动工", "已完工")
CODE_LABELS.update({
    "bad_status": "项目状态无法识别",
    "bad_year": "年份不是整数",
    "bad_date": "日期无法识别",
    "finish_before_start": "完工早于开工",
    "delivered_gt_planned": "完成数量多于计划",
    "nursing_gt_delivered": "护理型床位多于完成床位",
})


def check_projects(ctx: CheckContext) -> None:
    """Rules of the projects ledger (年度任务台账): status, year, dates, delivered quantities.

    Errors: status not 未动工/已动工/已完工 (``bad_status``), year not an integer between
    1949 and 2100 (``bad_year``), a date that cannot be read (``bad_date``), finish before
    start (``finish_before_start``), nursing beds delivered above the quantity delivered
    (``nursing_gt_delivered``). Warning: delivered above planned (``delivered_gt_planned``:
    projects over-deliver, and a planned quantity of 0 marks a project outside the plan).
    Dates are parsed into ``datetime64`` columns.
    """
    d = ctx.data
    if "status" in d.columns:
        status = d["status"]
        bad = ~blank_mask(status) & ~status.isin(_PROJECT_STATUS).fillna(False).astype(bool)
        head = ctx.header("status")
        ctx.add_rows("error", "bad_status", bad,
                     lambda m: [f"「{head}」的值「{v}」应为 未动工、已动工 或 已完工 (unknown status)" for v in status[m]],
                     head)
    if "year" in d.columns:
        year = d["year"]
        bad = year.notna() & ((year % 1 != 0) | (year < 1949) | (year > 2100))
        head = ctx.header("year")
        ctx.add_rows("error", "bad_year", bad.fillna(False).astype(bool),
                     lambda m: [f"「{head}」应为整数年份（如 2017），实际为 {_fmt(v)} (not a year)" for v in year[m]], head)
    parsed = {}
    for col in ("start_date", "finish_date"):
        if col not in d.columns:
            continue
        raw = d[col]
        if pd.api.types.is_datetime64_any_dtype(raw):  # Excel date cells
            values = raw
        else:
            text = raw.astype("string").str.strip().str.replace(r"[年月/.]", "-", regex=True).str.replace("日", "")
            values = pd.to_datetime(text, errors="coerce", format="mixed")
        blank = blank_mask(raw)
        bad = (~blank & values.isna()).to_numpy(dtype=bool)
        head = ctx.header(col)
        ctx.add_rows("error", "bad_date", bad,
                     lambda m, raw=raw, head=head: [f"「{head}」的值「{v}」不是日期（如 2017-03-15）(not a date)" for v in raw[m]],
                     head)
        d[col] = values
        parsed[col] = values
    if len(parsed) == 2:
        late = (parsed["finish_date"] < parsed["start_date"]).fillna(False).astype(bool)
        hs, hf = ctx.header("start_date"), ctx.header("finish_date")
        ctx.add_rows("error", "finish_before_start", late, f"「{hf}」早于「{hs}」(finish before start)", hf)
    if {"delivered", "planned"} <= set(d.columns):
        over = ((d["delivered"] > d["planned"]) & (d["planned"] > 0)).fillna(False).astype(bool)
        hd, hp = ctx.header("delivered"), ctx.header("planned")
        ctx.add_rows(
            "warning", "delivered_gt_planned", over,
            lambda m: [f"「{hd}」{_fmt(a)} 多于「{hp}」{_fmt(b)}（超额完成）(delivered exceeds planned)"
                       for a, b in zip(d["delivered"][m], d["planned"][m], strict=True)],
            hd,
        )
    if {"delivered", "nursing_delivered"} <= set(d.columns):
        over = (d["nursing_delivered"] > d["delivered"].fillna(0)).fillna(False).astype(bool)
        hn, hd = ctx.header("nursing_delivered"), ctx.header("delivered")
        ctx.add_rows(
            "error", "nursing_gt_delivered", over,
            lambda m: [f"「{hn}」{_fmt(a)} 多于「{hd}」{_fmt(b)}：护理型床位不能多于完成床位 (nursing beds exceed beds delivered)"
                       for a, b in zip(d["nursing_delivered"][m], d["delivered"][m].fillna(0), strict=True)],
            hn,
        )


# --------------------------------------------------------------------------------------------
# coordinate and geometry checks
# --------------------------------------------------------------------------------------------
def check_swapped(
    ctx: CheckContext,
    x: np.ndarray,
    y: np.ndarray,
    column: str,
    *,
    x_header: str = "经度",
    y_header: str = "纬度",
    table: bool = True,
) -> np.ndarray:
    """Detect longitude and latitude given the wrong way round (geographic coordinates).

    Most rows with the longitude column in 18–54 and the latitude column in 73–135 give one
    file-level ``lonlat_swapped`` error; a few such rows give one error each.

    Parameters
    ----------
    ctx : CheckContext
        The table.
    x, y : numpy.ndarray
        Longitude and latitude columns as read, in degrees (NaN where missing).
    column : str
        Column label used in the problems (``"经度/纬度"``).
    x_header, y_header : str
        Headers of the two columns as written.
    table : bool
        The coordinates come from table columns (the fix suggested is ``lon_col``/``lat_col``)
        rather than from a spatial file's geometry (fixed in a GIS).

    Returns
    -------
    numpy.ndarray of bool
        Rows that look swapped (excluded from the outside-China check).
    """
    valid = np.isfinite(x) & np.isfinite(y)
    swapped = valid & (x >= 18) & (x <= 54) & (y >= 73) & (y <= 135)
    n_valid = int(valid.sum())
    if n_valid == 0 or not swapped.any():
        return swapped
    if swapped.sum() > 0.5 * n_valid:
        ctx.add(
            "error",
            "lonlat_swapped",
            f"经纬度可能互换：「{x_header}」列的值大多在 18–54 之间（像纬度），「{y_header}」列的值大多在 "
            f"73–135 之间（像经度）（{int(swapped.sum())}/{n_valid} 行）。"
            + (
                f"请交换这两列，或读取时指定 lon_col='{y_header}', lat_col='{x_header}'"
                if table
                else "请在 GIS 中交换 X/Y（如 QGIS「交换 X 和 Y 坐标」）"
            )
            + " (longitude and latitude swapped)",
            column=column,
        )
    else:
        msg = (
            f"经纬度可能互换：「{x_header}」像纬度、「{y_header}」像经度，请核对本行 (longitude and latitude swapped)"
        )
        ctx.add_rows("error", "lonlat_swapped", swapped, msg, column)
    return swapped


def check_swapped_projected(ctx: CheckContext, x: np.ndarray, y: np.ndarray, crs: pyproj.CRS, column: str) -> bool:
    """Detect X/Y swapped in a projected table (Chinese survey X is northing, Y is easting).

    Returns
    -------
    bool
        Whether most points fall in China only after swapping (one ``lonlat_swapped`` error).
    """
    valid = np.isfinite(x) & np.isfinite(y)
    if not valid.any():
        return False
    tr = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    lon1, lat1 = tr.transform(x[valid], y[valid])
    lon2, lat2 = tr.transform(y[valid], x[valid])
    in1 = ~_crs.out_of_china(lon1, lat1) & np.isfinite(lon1)
    in2 = ~_crs.out_of_china(lon2, lat2) & np.isfinite(lon2)
    if in1.mean() < 0.5 <= in2.mean():
        ctx.add(
            "error",
            "lonlat_swapped",
            f"坐标列可能互换：按 {crs.to_string()} 读取时大多数点不在中国境内，交换两列后在境内。"
            "测量坐标中 X 为北坐标、Y 为东坐标；请用 lon_col=（东坐标）和 lat_col=（北坐标）指定 (X/Y swapped)",
            column=column,
        )
        return True
    return False


def check_missing_geometry(ctx: CheckContext, geoms: np.ndarray, column: str | None, message: str) -> np.ndarray:
    """``missing_geometry`` error per row whose geometry is missing or empty.

    Returns
    -------
    numpy.ndarray of bool
        The rows concerned.
    """
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    ctx.add_rows("error", "missing_geometry", missing, message, column)
    return missing


def check_finite_coordinates(ctx: CheckContext, geoms: np.ndarray, column: str | None) -> np.ndarray:
    """``nonfinite_coordinates`` error per geometry with a NaN or infinite coordinate.

    A GeoJSON ``[NaN, NaN]`` point reads as an empty point (reported as missing); a
    ``POINT (120.1 Infinity)`` or a polygon with one NaN vertex is reported here.

    Returns
    -------
    numpy.ndarray of bool
        The rows concerned.
    """
    bad = np.zeros(len(geoms), dtype=bool)
    if len(geoms) == 0:
        return bad
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    nonfinite = ~np.isfinite(coords).all(axis=1)
    if nonfinite.any():
        bad[np.unique(idx[nonfinite])] = True
    ctx.add_rows(
        "error", "nonfinite_coordinates", bad,
        "坐标含 NaN 或无穷大（Infinity），不是有效位置 (NaN or infinite coordinate)", column,
    )
    return bad


def check_geometry_types(ctx: CheckContext, geoms: np.ndarray, column: str | None) -> np.ndarray:
    """Check geometry types against the kind; single-part multi-points become points.

    Returns
    -------
    numpy.ndarray
        Geometries (single-point MultiPoints replaced by their point, Z dropped).
    """
    geoms = shapely.force_2d(geoms)
    types = shapely.get_type_id(geoms)
    want = ctx.spec.geometry
    if want == "point":
        single = (types == 4) & (shapely.get_num_geometries(geoms) == 1)
        if single.any():
            geoms = geoms.copy()
            geoms[single] = shapely.get_geometry(geoms[single], 0)
            types = shapely.get_type_id(geoms)
    if want == "line":
        ring = types == 2
        if ring.any():
            geoms = geoms.copy()
            coords, idx = shapely.get_coordinates(geoms[ring], return_index=True)
            geoms[ring] = shapely.linestrings(coords, indices=idx)
            types = shapely.get_type_id(geoms)
    present = types >= 0
    empty = shapely.is_empty(geoms)
    wrong = present & ~empty & ~np.isin(types, _ALLOWED_TYPES[want])
    if not wrong.any():
        return geoms
    need = _GEOM_ZH[want]
    zh = ctx.spec.name_zh
    if wrong.sum() == (present & ~empty).sum() and wrong.sum() > 1:
        found = "、".join(sorted({_TYPE_NAMES.get(int(t), str(t)) for t in np.unique(types[wrong])}))
        hint = "；如需用点，可先在 GIS 中取质心" if want == "point" else ""
        ctx.add(
            "error",
            "geometry_type",
            f"全部 {int(wrong.sum())} 个要素的几何类型为 {found}，{zh} 需要{need}{hint} (geometry type mismatch)",
            column=column,
        )
    else:
        ctx.add_rows(
            "error", "geometry_type", wrong,
            lambda m: [f"几何类型为 {_TYPE_NAMES.get(int(t), t)}，{zh} 需要{need} (geometry type mismatch)" for t in types[m]],
            column,
        )
    return geoms


def repair_invalid(
    ctx: CheckContext, geoms: np.ndarray, column: str | None, skip: np.ndarray | None = None
) -> np.ndarray:
    """Repair invalid polygons with ``shapely.make_valid``; one ``invalid_geometry`` warning each.

    Rows in ``skip`` (already reported: missing, NaN or infinite coordinates) are left alone.
    A polygon that GEOS cannot repair, or that collapses to nothing (all vertices on one point
    or one line), gets a ``bad_geometry`` error instead: its area would be lost silently.

    Returns
    -------
    numpy.ndarray
        Geometries, the invalid ones replaced by their repaired version (polygonal parts only).
    """
    poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    if skip is not None:
        poly &= ~skip
    with np.errstate(all="ignore"):
        invalid = poly & ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    reasons = np.asarray(shapely.is_valid_reason(geoms[invalid]), dtype=object)
    with np.errstate(all="ignore"):  # coordinates near 1e308 overflow inside GEOS (reported as outside China)
        try:
            fixed = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
        except shapely.errors.GEOSException:  # rare: repair one by one to find the culprits
            fixed = np.empty(int(invalid.sum()), dtype=object)
            for i, g in enumerate(geoms[invalid]):
                try:
                    fixed[i] = shapely.make_valid(g, method="structure", keep_collapsed=False)
                except shapely.errors.GEOSException:
                    fixed[i] = None
    geoms = geoms.copy()
    geoms[invalid] = fixed
    failed = np.zeros(len(geoms), dtype=bool)
    failed[np.flatnonzero(invalid)[shapely.is_missing(fixed) | shapely.is_empty(fixed)]] = True
    msgs = np.empty(len(geoms), dtype=object)
    msgs[invalid] = ["多边形无效（" + str(r) + "），已用 make_valid 修复，请核对形状 (invalid polygon repaired)" for r in reasons]
    ctx.add_rows("warning", "invalid_geometry", invalid & ~failed, msgs, column)
    ctx.add_rows("error", "bad_geometry", failed, "多边形无效且无法修复（或修复后没有面积：所有顶点重合或共线），请在 GIS 中检查 (invalid polygon, cannot be repaired)", column)
    return geoms


def _centres(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the bounding boxes (the point itself for points); NaN when missing."""
    b = shapely.bounds(geoms)
    with np.errstate(all="ignore"):  # infinite bounds give NaN centres (reported elsewhere)
        return b[:, 0] / 2.0 + b[:, 2] / 2.0, b[:, 1] / 2.0 + b[:, 3] / 2.0


def check_in_china(ctx: CheckContext, ll_geoms: np.ndarray, skip: np.ndarray, column: str | None, raw: Any = None) -> None:
    """``outside_china`` error per feature whose lon/lat (WGS84) lies outside China.

    Parameters
    ----------
    ctx : CheckContext
        The table.
    ll_geoms : numpy.ndarray
        Geometries in WGS84 lon/lat.
    skip : numpy.ndarray of bool
        Rows already reported (swapped, missing).
    column : str or None
        Column label.
    raw : tuple of numpy.ndarray, optional
        Coordinates as written (shown in the message; default the lon/lat).
    """
    x, y = _centres(ll_geoms)
    valid = np.isfinite(x) & np.isfinite(y) & ~skip
    bad = valid & _crs.out_of_china(np.where(valid, x, 0.0), np.where(valid, y, 0.0))
    if not bad.any():
        return
    rx, ry = (x, y) if raw is None else raw
    hint = "；数值像投影坐标（米），请用 crs= 声明，如 crs='EPSG:4549'"

    def messages(m: np.ndarray) -> list[str]:
        return [
            f"坐标 ({a:.6f}, {b:.6f}) 不在中国境内{hint if abs(a) > 360 or abs(b) > 90 else ''} (outside China)"
            for a, b in zip(rx[m], ry[m], strict=True)
        ]

    ctx.add_rows("error", "outside_china", bad, messages, column)


def study_bounds(study_area: Any) -> tuple[float, float, float, float] | None:
    """Lon/lat bounds (WGS84) of a study area given as a frame, geometry or bounds tuple."""
    if study_area is None:
        return None
    if isinstance(study_area, tuple | list | np.ndarray) and len(study_area) == 4:
        return tuple(float(v) for v in study_area)  # type: ignore[return-value]
    if isinstance(study_area, shapely.Geometry):
        return tuple(float(v) for v in study_area.bounds)  # type: ignore[return-value]
    crs = getattr(study_area, "crs", None)
    if crs is None:
        msg = "研究区（study_area/reference）没有坐标系 (missing CRS)"
        raise CRSError(msg)
    return tuple(float(v) for v in study_area.to_crs(4326).total_bounds)  # type: ignore[return-value]


def check_study_area(
    ctx: CheckContext,
    ll_geoms: np.ndarray,
    bounds: tuple[float, float, float, float],
    margin_km: float,
    skip: np.ndarray,
    column: str | None,
    source: str,
) -> None:
    """``outside_study_area`` warning per feature more than ``margin_km`` outside ``bounds``."""
    minx, miny, maxx, maxy = bounds
    mid_lat = np.deg2rad((miny + maxy) / 2.0)
    dy = margin_km / _KM_PER_DEG
    dx = margin_km / (_KM_PER_DEG * max(np.cos(mid_lat), 0.1))
    b = shapely.bounds(ll_geoms)
    valid = np.isfinite(b[:, 0]) & ~skip
    far = valid & ((b[:, 2] < minx - dx) | (b[:, 0] > maxx + dx) | (b[:, 3] < miny - dy) | (b[:, 1] > maxy + dy))
    if not far.any():
        return
    x, y = _centres(ll_geoms)
    ctx.add_rows(
        "warning", "outside_study_area", far,
        lambda m: [
            f"坐标 ({a:.5f}, {b:.5f}) 距研究区（{source}）超过 {margin_km:g} 公里，请核对 (far outside the study area)"
            for a, b in zip(x[m], y[m], strict=True)
        ],
        column,
    )


def _sample_coords(ll_geoms: np.ndarray, n_max: int = 2000) -> np.ndarray:
    coords = shapely.get_coordinates(ll_geoms[~(shapely.is_missing(ll_geoms) | shapely.is_empty(ll_geoms))])
    coords = coords[np.isfinite(coords).all(axis=1)]
    if len(coords) > n_max:
        coords = coords[np.linspace(0, len(coords) - 1, n_max).astype(int)]
    return coords


def offset_distances(ll_geoms: np.ndarray, reference: Any) -> dict[str, float]:
    """Median distance (m) from the data to a reference layer under three readings.

    Parameters
    ----------
    ll_geoms : numpy.ndarray
        The data's geometries in WGS84 lon/lat, as declared.
    reference : geopandas.GeoDataFrame or GeoSeries
        A trusted WGS84-correct layer of the same area (roads, villages, boundaries).

    Returns
    -------
    dict
        ``{"as_is": m, "gcj02": m, "bd09": m}``: median nearest distance in metres when the
        data is taken as declared, as GCJ-02 converted to WGS84, and as BD-09 converted;
        empty when there are too few points.
    """
    coords = _sample_coords(ll_geoms)
    if len(coords) < 3 or reference is None or len(reference) == 0:
        return {}
    ref = reference.to_crs(4326).geometry.to_numpy()
    ref = ref[~(shapely.is_missing(ref) | shapely.is_empty(ref))]
    if len(ref) == 0:
        return {}
    polys = np.isin(shapely.get_type_id(ref), (3, 6))
    ref = ref.copy()
    ref[polys] = shapely.boundary(ref[polys])
    lon0 = float(np.median(coords[:, 0]))
    try:
        metric = pyproj.CRS.from_epsg(_crs.gk_epsg_for_lon(lon0))
    except Exception:  # outside China: nothing to detect
        return {}
    tr = pyproj.Transformer.from_crs(4326, metric, always_xy=True)

    def to_m(g: np.ndarray) -> np.ndarray:
        return shapely.transform(g, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))

    tree = shapely.STRtree(to_m(ref))
    readings = {
        "as_is": (coords[:, 0], coords[:, 1]),
        "gcj02": _crs.gcj02_to_wgs84(coords[:, 0], coords[:, 1]),
        "bd09": _crs.bd09_to_wgs84(coords[:, 0], coords[:, 1]),
    }
    out = {}
    for name, (lon, lat) in readings.items():
        x, y = tr.transform(lon, lat)
        _, dist = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
        out[name] = float(np.median(dist))
    return out


def check_offset(
    ctx: CheckContext,
    ll_geoms: np.ndarray,
    reference: Any,
    declared: str,
    *,
    ratio: float = 0.5,
    min_gain_m: float = 50.0,
) -> dict[str, float]:
    """Warn when data declared WGS84 visibly is GCJ-02 (or BD-09) against a reference layer.

    The median nearest-neighbour distance from the data to the reference is compared with the
    same distance after applying ``gcj02_to_wgs84`` (and ``bd09_to_wgs84``). When a reading
    brings the data at least ``min_gain_m`` closer and below ``ratio`` times the distance as
    declared, one ``gcj02_suspected`` (``bd09_suspected``) warning is added.

    Returns
    -------
    dict
        The median distances in metres (see :func:`offset_distances`).
    """
    if declared not in ("wgs84", "cgcs2000") or reference is None:
        return {}
    dists = offset_distances(ll_geoms, reference)
    if not dists:
        return dists
    d0 = dists["as_is"]
    best = min(("gcj02", "bd09"), key=lambda k: dists[k])
    d1 = dists[best]
    logger.info("%s 到参考图层的中位距离：按声明 %.0f m，GCJ-02 %.0f m，BD-09 %.0f m", ctx.file, d0, dists["gcj02"], dists["bd09"])
    if d1 < ratio * d0 and d0 - d1 > min_gain_m:
        name = "高德（GCJ-02）" if best == "gcj02" else "百度（BD-09）"
        crs = "gcj02" if best == "gcj02" else "bd09"
        ctx.add(
            "warning",
            f"{best}_suspected",
            f"坐标疑似为{name}坐标：按 {declared.upper()} 读取时到参考图层的中位距离为 {d0:.0f} 米，"
            f"按 {crs} 转换后为 {d1:.0f} 米。如确认，请用 crs='{crs}' 读取 (looks like {best.upper()} data declared as WGS84)",
        )
    return dists


# ============================================================================================
# the analyses' input checks (layers passed to mzgeo.coverage, bed_ratio, shelter_adequacy...)
# ============================================================================================
#: Columns of every ``problems`` frame.
PROBLEM_COLUMNS: list[str] = ["severity", "problem", "layer", "item", "name", "message"]

# --- problems ---------------------------------------------------------------------------------
def make_problems(
    problem: str,
    layer: str,
    items: Iterable[Any],
    message: str | Sequence[str] | pd.Series,
    *,
    names: Any = None,
    severity: str = "warning",
) -> pd.DataFrame:
    """Build a problems frame, one row per item (vectorised; no per-row Python).

    Parameters
    ----------
    problem : str
        Machine key (``"unassigned"``, ``"missing_elderly"``...).
    layer : str
        Layer the items belong to.
    items : iterable
        Index labels of the items concerned.
    message : str or sequence of str
        Chinese message, one for all or one per item.
    names : array-like, optional
        Item names aligned with ``items``.
    severity : {"warning", "error"}
        Severity.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PROBLEM_COLUMNS`.
    """
    items = list(items)
    n = len(items)
    msg = np.asarray(message, dtype=object) if not isinstance(message, str) else np.full(n, message, dtype=object)
    nm = np.full(n, None, dtype=object) if names is None else np.asarray(names, dtype=object)
    return pd.DataFrame(
        {
            "severity": [severity] * n,
            "problem": [problem] * n,
            "layer": [layer] * n,
            "item": pd.Series(items, dtype=object),
            "name": nm,
            "message": msg,
        },
        columns=PROBLEM_COLUMNS,
    )


def concat_problems(frames: Iterable[pd.DataFrame | None]) -> pd.DataFrame:
    """Concatenate problem frames (an empty frame with :data:`PROBLEM_COLUMNS` when none)."""
    parts = [f for f in frames if f is not None and len(f)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
    return pd.concat(parts, ignore_index=True)[PROBLEM_COLUMNS]


# --- input checks -------------------------------------------------------------------------------
def check_frame(
    df: Any,
    layer: str,
    *,
    required: Sequence[str] = (),
    geometry: bool = True,
) -> None:
    """Check an input layer: a (Geo)DataFrame, required columns, unique index.

    Raises
    ------
    InputError
        Wrong type, missing column (named, with the fix) or repeated index labels.
    """
    if not isinstance(df, pd.DataFrame):
        msg = f"{layer} 应为 GeoDataFrame/DataFrame，实际为 {type(df).__name__}"
        raise InputError(msg)
    if geometry and not (hasattr(df, "geometry") and "geometry" in df.columns):
        msg = f"{layer} 没有几何列 geometry；请用 mzgeo.read_layer 读取或先转为 GeoDataFrame"
        raise InputError(msg)
    missing = [c for c in required if c not in df.columns]
    if missing:
        msg = f"{layer} 缺少列 {missing}（现有列：{list(df.columns)[:20]}）"
        raise InputError(msg)
    if not df.index.is_unique:
        dup = df.index[df.index.duplicated()].unique().tolist()[:10]
        msg = f"{layer} 的索引有重复值 {dup}；请先 reset_index() 或设置唯一编号为索引"
        raise InputError(msg)


def check_crs(*layers: tuple[str, Any]) -> tuple[pyproj.CRS | None, list[Any]]:
    """Bring an analysis' layers into one metric CRS with the one CRS policy.

    Applies :func:`mzgeo.crs.analysis_layers`: a layer without CRS is an error; layers already
    in one projected CRS are kept; geographic input (WGS84, CGCS2000 lon/lat) or layers in
    different CRSs are all projected to :func:`mzgeo.crs.metric_crs` (EPSG:4549 for Huzhou).

    Parameters
    ----------
    *layers : tuple of (str, GeoDataFrame or None)
        Layer names (Chinese, as the user knows them) and layers; ``None`` and frames without
        geometry are passed through unchanged.

    Returns
    -------
    crs : pyproj.CRS or None
        The analysis CRS (``None`` when no layer has geometry).
    layers : list
        The layers in the order given, projected where needed (inputs are not modified).

    Raises
    ------
    CRSError
        A layer with geometry but without CRS.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> ll = gpd.GeoDataFrame(geometry=[shapely.Point(120.09, 30.87)], crs=4326)
    >>> crs, (pts, none) = check_crs(("需求点图层", ll), ("行政区图层", None))
    >>> crs.to_epsg(), none is None, round(pts.geometry.x.iloc[0] / 1000)
    (4549, True, 509)
    """
    keys: list[str] = []
    for name, _ in layers:  # names are the keys of analysis_layers (and its messages): keep unique
        keys.append(name if name not in keys else f"{name}（第 {len(keys) + 1} 个）")
    crs, out = _crs.analysis_layers({k: gdf for k, (_, gdf) in zip(keys, layers, strict=True)})
    if crs is None:
        return None, [gdf for _, gdf in layers]
    return crs, [out[k] for k in keys]


def as_points(gdf: Any, layer: str) -> Any:
    """Points of a layer: non-point geometries replaced by representative points (with a warning)."""
    if gdf is None or not (hasattr(gdf, "geometry") and "geometry" in gdf.columns) or gdf.empty:
        return gdf
    types = gdf.geometry.geom_type
    not_point = types.notna() & (types != "Point")
    if not not_point.any():
        return gdf
    out = gdf.copy()
    out.loc[not_point, out.geometry.name] = gdf.geometry[not_point].representative_point()
    text = f"{layer}：{int(not_point.sum())} 个要素不是点，已用其内部代表点代替"
    logger.warning(text)
    warnings.warn(text, DataWarning, stacklevel=3)
    return out


def located(gdf: Any, layer: str) -> tuple[Any, pd.DataFrame]:
    """Keep the rows of a layer that have a location; list each one left out as a problem.

    A row has no location when its geometry is missing (``None``), empty (``POINT EMPTY``) or
    has a NaN/infinite coordinate. Such rows cannot take part in a distance or travel-time
    computation: they are left out of the analysis and listed (problem ``no_location``, with
    the row's label, name and the column ``geometry``), so the 数据问题 sheet shows them.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or None
        The layer (not modified).
    layer : str
        Layer name for the problems (Chinese).

    Returns
    -------
    tuple
        ``(rows with a location, problems)``; the layer itself when every row has one.
    """
    if gdf is None or not (hasattr(gdf, "geometry") and "geometry" in gdf.columns) or len(gdf) == 0:
        return gdf, concat_problems([])
    import shapely

    geoms = gdf.geometry.to_numpy()
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    nonfinite = np.zeros(len(geoms), dtype=bool)
    usable = np.flatnonzero(~missing & ~empty)
    if len(usable):
        coords, pos = shapely.get_coordinates(geoms[usable], include_z=True, return_index=True)
        bad_xy = ~np.isfinite(coords[:, :2]).all(axis=1) | (np.isinf(coords[:, 2]))
        nonfinite[usable[np.unique(pos[bad_xy])]] = True
    bad = missing | empty | nonfinite
    if not bad.any():
        return gdf, concat_problems([])
    why = np.where(missing, "没有坐标（几何缺失）", np.where(empty, "几何为空（如 POINT EMPTY）", "坐标含 NaN 或无穷大"))
    names = None
    for col in ("name", "grave_id", "code"):
        if col in gdf.columns:
            names = gdf[col].to_numpy()[bad]
            break
    messages = pd.Series(why[bad]).astype(object) + "（列 geometry），未参与计算，也未计入合计"
    probs = make_problems("no_location", layer, gdf.index[bad], messages.to_numpy(), names=names)
    logger.info("%s：%d 个要素没有可用的位置，未参与计算", layer, int(bad.sum()))
    return gdf[~bad], probs


def finite_or_raise(values: pd.Series, col: str, layer: str) -> pd.Series:
    """Raise when a numeric column holds an infinite value (it would change a figure silently).

    Parameters
    ----------
    values : pandas.Series
        Numbers already parsed (NaN = missing, kept).
    col : str
        Column name as the user knows it.
    layer : str
        Layer name for the message (Chinese).

    Returns
    -------
    pandas.Series
        ``values`` unchanged.

    Raises
    ------
    InputError
        ``inf`` or ``-inf`` in the column; the message lists up to 10 row labels.
    """
    arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad = np.isinf(arr)
    if bad.any():
        rows = ", ".join(str(i) for i in values.index[bad][:10])
        msg = f"{layer}的「{col}」含无穷大（inf）的值（行：{rows}）：会改变统计结果，请更正为实际数值 (infinite value)"
        raise InputError(msg)
    return values


def numeric_column(
    df: pd.DataFrame, col: str | None, layer: str, *, default: float | None = None, fill: float = 0.0
) -> tuple[pd.Series, pd.DataFrame]:
    """Read a non-negative numeric column as float, missing values filled, problems recorded.

    Parameters
    ----------
    df : pandas.DataFrame
        The layer.
    col : str or None
        Column; ``None`` gives ``default`` for every row.
    layer : str
        Layer name for messages.
    default : float, optional
        Value of every row when ``col`` is None.
    fill : float
        Value used for missing or non-numeric cells (recorded as problems).

    Returns
    -------
    tuple
        ``(values, problems)``.

    Raises
    ------
    InputError
        Column absent, negative values, or non-finite values (``inf``, ``-inf``; text such as
        ``"Infinity"`` or ``"1e400"``), which would otherwise blank a ratio.
    """
    if col is None:
        return pd.Series(float(default if default is not None else 1.0), index=df.index), concat_problems([])
    if col not in df.columns:
        msg = f"{layer} 缺少列 {col!r}（现有列：{list(df.columns)[:20]}）"
        raise InputError(msg)
    vals, _, why = parse_numbers_why(df[col])
    vals = vals.astype("float64")
    nonfinite = (why == "non_finite").to_numpy(dtype=bool)
    if nonfinite.any():
        labs = df.index[nonfinite].tolist()[:10]
        msg = (
            f"{layer} 的 {col} 有无穷大或 NaN 之类的非有限值（索引 {labs}），会让比率和合计失真；"
            "请填写实际数值 (non-finite values)"
        )
        raise InputError(msg)
    neg = vals < 0
    if neg.any():
        labs = df.index[neg].tolist()[:10]
        msg = f"{layer} 的 {col} 有负值（索引 {labs}），请更正"
        raise InputError(msg)
    bad = vals.isna()
    probs = concat_problems([])
    if bad.any():
        names = df["name"][bad] if "name" in df.columns else None
        probs = make_problems(
            f"missing_{col}", layer, df.index[bad], f"{col} 缺失或不是数字，按 {fill:g} 计", names=names
        )
        vals = vals.fillna(fill)
    return vals, probs


def parse_minutes(minutes: Any, name: str = "minutes") -> tuple[float, ...]:
    """Sorted unique positive thresholds (minutes) from a number or a sequence.

    Raises
    ------
    InputError
        Empty, non-numeric, or not positive.
    """
    seq = list(minutes) if isinstance(minutes, (list, tuple, set, np.ndarray, pd.Index, pd.Series)) else [minutes]
    try:
        vals = sorted({float(m) for m in seq})
    except (TypeError, ValueError) as exc:
        msg = f"{name} 应为正数（分钟）或正数列表，实际为 {minutes!r}"
        raise InputError(msg) from exc
    if not vals or vals[0] <= 0 or not np.isfinite(vals[-1]):
        msg = f"{name} 应为正数（分钟）或正数列表，实际为 {minutes!r}"
        raise InputError(msg)
    return tuple(vals)
