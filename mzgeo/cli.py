"""The ``mzgeo`` command line: a thin layer over the public API.

Every command reads files with :func:`mzgeo.read_layer`, calls one public function and
writes the result (Excel workbook with Chinese headers, GeoPackage, HTML map). Messages are
in Chinese. A file argument may carry its coordinate system after ``@``:
``养老机构.csv@gcj02``, ``points.xlsx@bd09``, ``roads.shp@4549``.

Exit codes: 0 success; 1 input file has errors (validation); 2 bad usage or parameters;
3 network problem; 4 infeasible model; 5 other mzgeo error.

The parser is the standard library's :mod:`argparse` (full control over messages and exit
codes): every usage error — a missing or unknown option, an unknown command, a value that is
not a number — exits with code 2 and a short Chinese message naming the option. Before any
work starts, every output (``-o``, ``--gpkg``, ``--html``, ``--excel``) is checked: it must not
be one of the inputs (inputs are never modified) and its folder must be writable.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import math
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from . import __version__
from ._files import file_error, path_key, refuse_inputs
from .crs import GEOGRAPHIC_NAMES
from .errors import (
    CRSError,
    DataWarning,
    FileAccessError,
    InfeasibleError,
    InputError,
    MzgeoError,
    NetworkError,
    ValidationError,
)

__all__ = ["UsageError", "build_parser", "main"]

_EXIT = {ValidationError: 1, InputError: 2, CRSError: 2, NetworkError: 3, InfeasibleError: 4}
#: Suffixes of files whose text encoding ``--encoding`` applies to.
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".shp", ".dbf")


class UsageError(InputError):
    """The command line itself is wrong (missing/unknown option, bad value): exit code 2."""


def _echo(msg: str = "") -> None:
    print(msg, flush=True)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _exit_code(exc: MzgeoError) -> int:
    for cls, code in _EXIT.items():
        if isinstance(exc, cls):
            return code
    return 5


@contextmanager
def _step(label: str):
    """Print a step with its duration (the CLI's progress lines)."""
    t0 = time.perf_counter()
    _err(f"… {label}")
    yield
    _err(f"✓ {label}（{time.perf_counter() - t0:.1f} 秒）")


# --------------------------------------------------------------------------------------------
# the parser: Chinese messages, exit code 2
# --------------------------------------------------------------------------------------------
class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # noqa: ANN001 - argparse API
        super().add_usage(usage, actions, groups, prefix if prefix is not None else "用法：")


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors raise :class:`UsageError` in Chinese."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)  # a typo is an error, not a guess
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")
        #: dest of the options naming input files / output files (checked before any work).
        self.inputs: list[str] = []
        self.outputs: list[str] = []

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(_usage_message(self, message))

    def file_in(self, *flags: str, **kwargs: Any) -> argparse.Action:
        action = self.add_argument(*flags, **kwargs)
        self.inputs.append(action.dest)
        return action

    def file_out(self, *flags: str, **kwargs: Any) -> argparse.Action:
        action = self.add_argument(*flags, **kwargs)
        self.outputs.append(action.dest)
        return action


def _number(text: str) -> float:
    """A finite number given on the command line (``--target 37.5``)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        msg = f"「{text}」不是有效的数字"
        raise argparse.ArgumentTypeError(msg)
    return value


def _codec(text: str) -> str:
    """A text encoding Python knows (``--encoding gbk``)."""
    import codecs

    try:
        codecs.lookup(text)
    except LookupError:
        msg = f"「{text}」不是已知的文字编码（如 utf-8、gbk、gb18030、big5）"
        raise argparse.ArgumentTypeError(msg) from None
    return text


def _integer(text: str) -> int:
    """A whole number given on the command line (``--p 10``, ``--year 2026``)."""
    try:
        return int(text)
    except ValueError:
        msg = f"「{text}」不是整数"
        raise argparse.ArgumentTypeError(msg) from None


def _action_named(parser: argparse.ArgumentParser, name: str) -> argparse.Action | None:
    for action in parser._actions:
        names = [*action.option_strings, action.dest, str(action.metavar or "")]
        if name in names or name == "/".join(action.option_strings):
            return action
    return None


def _describe(parser: argparse.ArgumentParser, name: str) -> str:
    """``--kind（图层类型…）``: an option with its help text."""
    action = _action_named(parser, name)
    label = "/".join(action.option_strings) if action is not None and action.option_strings else name
    if isinstance(action, argparse._SubParsersAction):
        return f"命令（可用：{'、'.join(action.choices)}）"
    hint = action.help if action is not None and action.help not in (None, argparse.SUPPRESS) else ""
    return f"{label}（{hint}）" if hint else label


def _usage_message(parser: argparse.ArgumentParser, message: str) -> str:
    """Translate an argparse error message into a short Chinese one naming the option."""
    prog = parser.prog
    tail = f"\n运行 {prog} --help 查看用法"
    m = re.match(r"the following arguments are required: (.*)", message)
    if m:
        names = [n.strip() for n in m.group(1).split(", ")]
        if any(isinstance(_action_named(parser, n), argparse._SubParsersAction) for n in names):
            return f"{prog}：缺少{_describe(parser, names[0])}{tail}"
        parts = []
        for n in names:
            action = _action_named(parser, n)
            kind = "参数" if action is not None and not action.option_strings else "选项"
            parts.append(f"缺少必需的{kind} {_describe(parser, n)}")
        return f"{prog}：" + "；".join(parts) + tail
    m = re.match(r"argument (\S+): (.*)", message, re.S)
    if m:
        name, what = m.group(1), m.group(2)
        action = _action_named(parser, name)
        if isinstance(action, argparse._SubParsersAction):
            c = re.match(r"invalid choice: '?([^' ]*)'?", what)
            bad = c.group(1) if c else what
            return f"{prog}：未知命令「{bad}」{_did_you_mean(bad, list(action.choices))}；" \
                   f"可用命令：{'、'.join(action.choices)}{tail}"
        if what.startswith("expected one argument"):
            return f"{prog}：选项 {_describe(parser, name)} 后面缺少取值{tail}"
        if what.startswith("expected at least one argument"):
            return f"{prog}：{_describe(parser, name)} 至少需要一个值{tail}"
        c = re.match(r"invalid choice: '?([^' ]*)'? \(choose from (.*)\)", what)
        if c:
            return f"{prog}：选项 {name} 的取值「{c.group(1)}」无效，可选：{c.group(2)}{tail}"
        c = re.match(r"ignored explicit argument '?([^']*)'?", what)
        if c:
            return f"{prog}：选项 {name} 是开关，不接受取值「{c.group(1)}」{tail}"
        c = re.match(r"invalid \S+ value: '?([^']*)'?", what)
        if c:
            return f"{prog}：选项 {name} 的取值「{c.group(1)}」无效{tail}"
        if what.startswith("「"):  # our own number/integer checks
            return f"{prog}：选项 {name} 的取值{what}{tail}"
        return f"{prog}：选项 {name} 的取值有误：{what}{tail}"
    m = re.match(r"unrecognized arguments: (.*)", message)
    if m:
        return _unknown_message(parser, m.group(1).split())
    return f"{prog}：命令行有误：{message}{tail}"


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"（您是不是要输入 {close[0]}？）" if close else ""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _unknown_message(parser: argparse.ArgumentParser, extra: list[str]) -> str:
    options = [o for a in parser._actions for o in a.option_strings]
    parts = []
    after_option = False
    for tok in extra:
        if tok.startswith("-") and not _is_number(tok):
            name = tok.split("=", 1)[0]
            parts.append(f"未知选项 {name}{_did_you_mean(name, options)}")
            after_option = True
        elif not after_option:  # a value right after an unknown option is that option's value
            parts.append(f"多余的参数「{tok}」")
        else:
            after_option = False
    return f"{parser.prog}：" + "；".join(parts) + f"\n运行 {parser.prog} --help 查看用法"


# --------------------------------------------------------------------------------------------
# reading inputs, checking outputs
# --------------------------------------------------------------------------------------------
def _split_spec(spec: str) -> tuple[str, str | None]:
    """Split ``path@crs`` into path and CRS (only when the suffix is a known CRS)."""
    if "@" in spec:
        path, _, crs = spec.rpartition("@")
        key = crs.strip().lower()
        if key in GEOGRAPHIC_NAMES or key.isdigit() or key.startswith("epsg:"):
            return path, crs
    return spec, None


def _text_encoding(path: str, encoding: str | None) -> str | None:
    """``--encoding`` for text files (CSV, Shapefile .dbf); GeoPackage and Excel carry their own."""
    return encoding if encoding and path.lower().endswith(_TEXT_SUFFIXES) else None


def _read(spec: str, kind: str, encoding: str | None = None, **kwargs: Any):
    from .io.read import read_layer

    path, crs = _split_spec(spec)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        try:
            gdf = read_layer(path, kind, crs=crs, encoding=_text_encoding(path, encoding), **kwargs)
        except LookupError as exc:  # unknown codec name
            raise UsageError(f"--encoding：不认识的文字编码「{encoding}」（如 utf-8、gbk、gb18030、big5）") from exc
        except OSError as exc:
            raise file_error(exc, path, action="读取") from exc
    for w in caught:
        if issubclass(w.category, DataWarning):
            _err(f"警告：{w.message}")
    return gdf


def _read_table(path: str, encoding: str | None = None, what: str = "表格"):
    """A plain side table (CSV/Excel); empty or unreadable files give an :class:`InputError`."""
    import pandas as pd

    from .io.read import read_table

    try:
        return read_table(path, encoding=_text_encoding(path, encoding))
    except MzgeoError:
        raise
    except LookupError as exc:
        raise UsageError(f"--encoding：不认识的文字编码「{encoding}」（如 utf-8、gbk、gb18030、big5）") from exc
    except pd.errors.EmptyDataError as exc:
        msg = f"{what} {path} 是空文件（没有表头和数据行）：请检查文件 (empty file)"
        raise InputError(msg) from exc
    except pd.errors.ParserError as exc:
        msg = f"{what} {path} 无法解析为表格：{exc} (cannot parse)"
        raise InputError(msg) from exc
    except OSError as exc:
        raise file_error(exc, path, action="读取") from exc
    except Exception as exc:  # openpyxl/zipfile: not a workbook, sheet missing, corrupt file
        msg = f"{what} {path} 无法读取（{type(exc).__name__}：{exc}）：请确认是 CSV 或 .xlsx 表格 (cannot read)"
        raise InputError(msg) from exc


def _network(roads: str | None, osm: str | None, mode: str, class_col: str, encoding: str | None = None):
    from .network.core import Network

    if osm:
        with _step(f"从 OSM 构建{_mode_zh(mode)}路网：{osm}"):
            return Network.from_osm(osm, mode=mode)
    if roads:
        gdf = _read(roads, "roads", encoding)
        with _step(f"从道路图层构建{_mode_zh(mode)}路网：{roads}"):
            return Network.from_lines(gdf, mode=mode, class_col=class_col if class_col in gdf.columns else None)
    msg = "需要路网：请给出 --roads（道路线图层）或 --osm（OSM 文件），或用 --cost 给出出行时间表"
    raise InputError(msg)


def _mode_zh(mode: str) -> str:
    return {"walk": "步行", "drive": "驾车"}.get(mode, mode)


def _read_cost(path: str | None, encoding: str | None = None):
    """A long-form travel-time table: origin, destination, minutes (Chinese headers accepted)."""
    if path is None:
        return None
    import pandas as pd

    df = _read_table(path, encoding, what="出行时间表（--cost）")
    names = {"origin": {"origin", "起点", "需求点"}, "destination": {"destination", "终点", "设施"},
             "minutes": {"minutes", "时间", "出行时间", "分钟", "出行时间（分钟）"}}
    rename = {c: k for c in df.columns for k, v in names.items() if str(c).strip().lower() in v}
    df = df.rename(columns=rename)
    missing = [k for k in names if k not in df.columns]
    if missing:
        msg = f"出行时间表 {path} 缺少列 {missing}：需要 origin（起点）、destination（终点）、minutes（分钟）"
        raise InputError(msg)
    if not len(df):
        msg = f"出行时间表 {path} 没有数据行 (no rows)"
        raise InputError(msg)
    minutes = pd.to_numeric(df["minutes"], errors="coerce")
    bad = minutes.isna() | ~minutes.between(0, math.inf)
    if bad.any():
        rows = ", ".join(str(i + 2) for i in df.index[bad.to_numpy()][:10])
        msg = f"出行时间表 {path} 的分钟数不是有效的非负数：第 {rows} 行 (bad minutes)"
        raise InputError(msg)
    df["minutes"] = minutes
    for col in ("origin", "destination"):
        as_num = pd.to_numeric(df[col], errors="coerce")
        if as_num.notna().all():
            df[col] = as_num.astype("int64")
    return df


def _demand_and_costs(args: argparse.Namespace):
    """Read the demand points, the optional units, and travel costs (a cost table or a network)."""
    enc = args.encoding
    dem = _read(args.demand, "villages", enc)
    unit_gdf = _read(args.units, "units", enc) if args.units else None
    cost_df = _read_cost(args.cost, enc)
    net = None if cost_df is not None else _network(args.roads, args.osm, args.mode, args.class_col, enc)
    return dem, unit_gdf, net, cost_df


def _write(result: Any, out: Path, gpkg: Path | None) -> None:
    written = [result.to_excel(out)]
    if gpkg is not None:
        written.append(result.to_gpkg(gpkg))
    for w in written:
        _echo(f"已写出：{w}")


def _print_table(df, max_rows: int = 30) -> None:
    from .report.excel import to_chinese

    if df is None or len(df) == 0:
        _echo("（无）")
        return
    table = to_chinese(df).head(max_rows)
    _echo(table.to_string(index=False))
    if len(df) > max_rows:
        _echo(f"……共 {len(df)} 行，完整表格见输出文件")


def _flag(parser: argparse.ArgumentParser, dest: str) -> str:
    for action in parser._actions:
        if action.dest == dest:
            return "/".join(action.option_strings) or dest
    return dest


def _input_paths(parser: _Parser, args: argparse.Namespace) -> dict[str, str]:
    """Key (:func:`path_key`) → path as given, of every input file of the command."""
    found: dict[str, str] = {}
    for dest in parser.inputs:
        value = getattr(args, dest, None)
        for v in value if isinstance(value, list) else [value]:
            if v is None:
                continue
            path = _split_spec(str(v))[0]
            found.setdefault(path_key(path), path)
    return found


def _check_paths(parser: _Parser, args: argparse.Namespace, folders: Sequence[str] = ()) -> None:
    """Before any work: every input exists and is a file; no output is an input, a folder, or in
    an unwritable place."""
    _check_inputs(parser, args)
    inputs = _input_paths(parser, args)
    seen: dict[str, str] = {}
    for dest in parser.outputs:
        value = getattr(args, dest, None)
        if value is None:
            continue
        flag = _flag(parser, dest)
        refuse_inputs(value, inputs, what=f"输出（{flag}）")
        key = path_key(value)
        if key in seen:
            msg = f"{seen[key]} 与 {flag} 是同一个文件 {value}：请给出不同的输出文件名"
            raise UsageError(msg)
        seen[key] = flag
        _check_writable(Path(value), folder=dest in folders)


def _check_options(args: argparse.Namespace) -> None:
    """Options that only make sense together (checked with the other usage errors)."""
    if args.command == "allocate" and args.model == "beds" and args.beds_to_add is None:
        msg = "mzgeo allocate：beds 模型需要 --beds-to-add（新增床位总数，如 mzgeo beds 算出的床位缺口）"
        raise UsageError(msg)


def _check_inputs(parser: _Parser, args: argparse.Namespace) -> None:
    """Every input file exists and is a file (all missing ones named at once)."""
    missing, folders = [], []
    for dest in parser.inputs:
        value = getattr(args, dest, None)
        for v in value if isinstance(value, list) else [value]:
            if v is None:
                continue
            path = Path(_split_spec(str(v))[0])
            flag = _flag(parser, dest)
            if path.is_dir():
                folders.append(f"{flag} {path}")
            elif not path.exists():
                missing.append(f"{flag} {path}")
    if missing or folders:
        parts = []
        if missing:
            parts.append(f"文件不存在：{'；'.join(missing)}（请检查路径和文件名）")
        if folders:
            parts.append(f"这些是文件夹而不是文件：{'；'.join(folders)}（请给出文件的路径）")
        msg = "；".join(parts) + " (file not found)"
        raise FileAccessError(msg)


def _check_writable(path: Path, *, folder: bool = False) -> None:
    """The output can be written: not a folder, no file in the way, the folder accepts files."""
    if path.is_dir() and not folder:
        raise file_error(IsADirectoryError(21, "Is a directory", str(path)), path, action="写入")
    anc = path if folder else path.parent
    while not anc.exists() and anc != anc.parent:
        anc = anc.parent
    if not anc.is_dir():
        raise file_error(NotADirectoryError(20, "Not a directory", str(path)), path, action="写入")
    try:  # a probe file that disappears when closed: no trace left
        with tempfile.TemporaryFile(dir=anc):
            pass
    except OSError as exc:
        raise file_error(exc, path, action="写入") from exc


# --------------------------------------------------------------------------------------------
# commands
# --------------------------------------------------------------------------------------------
def _cmd_validate(args: argparse.Namespace) -> int:
    from .io.read import read_reference
    from .io.read import validate as _validate

    ref = None
    if args.reference:
        rpath, rcrs = _split_spec(args.reference)
        ref = read_reference(rpath, crs=rcrs, encoding=_text_encoding(rpath, args.encoding))
    try:
        report = _validate(args.path, args.kind, crs=args.crs, sheet=args.sheet, layer=args.layer, reference=ref,
                           encoding=_text_encoding(args.path, args.encoding))
    except LookupError as exc:
        raise UsageError(f"--encoding：不认识的文字编码「{args.encoding}」（如 utf-8、gbk、gb18030、big5）") from exc
    _echo(str(report))
    return 0 if report.ok else 1


def _cmd_coverage(args: argparse.Namespace) -> int:
    from .analysis.coverage import coverage as _coverage

    fac = _read(args.facilities, args.kind, args.encoding)
    dem, unit_gdf, net, cost_df = _demand_and_costs(args)
    minutes = args.minutes
    with _step("计算覆盖"):
        res = _coverage(net, fac, dem, minutes if len(minutes) > 1 else minutes[0],
                        weight=None if args.weight.lower() == "none" else args.weight, cost=cost_df,
                        units=unit_gdf)
    _print_table(res.summary)
    _write(res, args.out, args.gpkg)
    return 0


def _cmd_beds(args: argparse.Namespace) -> int:
    from .analysis.beds import bed_ratio

    inst = _read(args.institutions, "institutions", args.encoding)
    unit_gdf = _read(args.units, "units", args.encoding)
    with _step("计算每千名老人床位数"):
        res = bed_ratio(inst, unit_gdf, target_per_1000=args.target, nursing_share_target=args.nursing_share)
    _print_table(res.below_target)
    _write(res, args.out, args.gpkg)
    return 0


def _cmd_access(args: argparse.Namespace) -> int:
    from .analysis.beds import accessibility

    sup = _read(args.supply, "institutions", args.encoding)
    dem, unit_gdf, net, cost_df = _demand_and_costs(args)
    with _step(f"计算可达性（{args.method}）"):
        res = accessibility(sup, dem, network=net, cost=cost_df, method=args.method, minutes=args.minutes,
                            supply_col=args.supply_col, demand_col=args.demand_col, units=unit_gdf)
    _write(res, args.out, args.gpkg)
    return 0


def _cmd_shelters(args: argparse.Namespace) -> int:
    from .analysis.shelters import shelter_adequacy

    sh = _read(args.shelters, "shelters", args.encoding)
    dem, unit_gdf, net, cost_df = _demand_and_costs(args)
    with _step("求解安置分配"):
        res = shelter_adequacy(net, sh, dem, minutes=args.minutes, area_per_person=args.area_per_person,
                               cost=cost_df, units=unit_gdf)
    _write(res, args.out, args.gpkg)
    return 0


def _cmd_burial(args: argparse.Namespace) -> int:
    from .analysis.burial import burial_zone_check

    enc = args.encoding
    pts = _read(args.points, args.kind, enc)
    line_layers = {Path(_split_spec(s)[0]).stem: _read(s, "roads", enc) for s in (args.lines or [])}
    zone_gdf = _read(args.zones, "zones", enc) if args.zones else None
    unit_gdf = _read(args.units, "units", enc) if args.units else None
    with _step("检查禁葬区"):
        res = burial_zone_check(pts, lines=line_layers or None, zones=zone_gdf, units=unit_gdf)
    _write(res, args.out, args.gpkg)
    return 0


def _cmd_allocate(args: argparse.Namespace) -> int:
    import pandas as pd

    from .locate._allocate import allocate as _allocate
    from .locate._allocate import candidate_sites

    enc = args.encoding
    dem = _read(args.demand, "villages", enc)
    ex = _read(args.existing, args.existing_kind, enc) if args.existing else None
    if args.candidates:
        cand = _read(args.candidates, args.existing_kind, enc)
        if ex is not None and len(cand.index.intersection(ex.index)):
            # rows of two files both count from 0: give candidates labels of their own (C00001…)
            cand.index = pd.Index([f"C{i:05d}" for i in range(1, len(cand) + 1)], name="candidate")
    else:
        zone = _read(args.exclude, "zones", enc) if args.exclude else None
        cand = candidate_sites(dem, how=args.generate, existing=ex, spacing_m=args.spacing_m, exclude=zone)
    extra = {"beds_to_add": args.beds_to_add} if args.model == "beds" else {}
    cost_df = _read_cost(args.cost, enc)
    net = None if cost_df is not None else _network(args.roads, args.osm, args.mode, args.class_col, enc)
    with _step(f"求解选址模型（{args.model}）"):
        res = _allocate(dem, cand, model=args.model, network=net, cost=cost_df, minutes=args.minutes, p=args.p,
                        existing=ex, capacity_col=args.capacity_col,
                        weight=None if args.weight.lower() == "none" else args.weight,
                        time_limit_s=args.time_limit, **extra)
    _echo(res.headline())
    _print_table(res.selected)
    _write(res, args.out, args.gpkg)
    return 0


def _boundary_lines(args: argparse.Namespace):
    from .boundary import boundary_lines

    unit_gdf = _read(args.units, "units", args.encoding)
    outer_gdf = _read(args.outer, "units", args.encoding) if args.outer else None
    table = _read_table(args.overrides, args.encoding, what="界线名称覆盖表") if args.overrides else None
    with _step("提取界线"):
        return boundary_lines(unit_gdf, tolerance_m=args.tolerance, outer=outer_gdf, overrides=table)


def _cmd_boundary_lines(args: argparse.Namespace) -> int:
    res = _boundary_lines(args)
    _print_table(res.lines.drop(columns="geometry"))
    _echo(f"已写出：{res.to_gpkg(args.out)}")
    if args.excel is not None:
        _echo(f"已写出：{res.to_excel(args.excel)}")
    return 0


def _cmd_boundary_checklist(args: argparse.Namespace) -> int:
    from .boundary import inspection_checklist, line_crossings, lines_due

    res = _boundary_lines(args)
    mk = _read(args.markers, "markers", args.encoding)
    feats = {k: _read(v, kind, args.encoding)
             for k, v, kind in (("道路", args.roads, "roads"), ("河流", args.rivers, "rivers"),
                                ("铁路", args.railways, "railways")) if v}
    crossings = line_crossings(res, feats) if feats else None
    last = dict.fromkeys(res.lines["line_name"], args.last_year) if args.last_year else None
    with _step("生成检查表"):
        checklist = inspection_checklist(res, mk, crossings, last_inspection=last, year=args.year)
    if last is not None:
        _print_table(lines_due(last, year=args.year))
    written = checklist.to_excel(args.out, per_line_workbooks=args.per_line)
    for w in written if isinstance(written, (list, tuple)) else [written]:
        _echo(f"已写出：{w}")
    if args.html is not None:
        _echo(f"已写出：{checklist.to_html(args.html)}")
    _print_table(checklist.findings)
    return 0


def _cmd_boundary_results(args: argparse.Namespace) -> int:
    from .boundary import read_inspection_results

    res = read_inspection_results([str(p) for p in args.paths])
    errors = [p for p in res.problems if getattr(p, "severity", "error") == "error"]
    for prob in res.problems:
        _echo(str(prob))
    _echo(f"需维修或重测的界桩：{len(res.repairs)} 个")
    _print_table(res.repairs.drop(columns="geometry", errors="ignore"))
    if args.out is not None:
        _echo(f"已写出：{res.to_excel(args.out)}")
    return 1 if errors else 0


def _cmd_map(args: argparse.Namespace) -> int:
    from . import maps
    from .layers import set_kind

    bm = None if args.basemap.lower() in {"none", "无", ""} else args.basemap
    fpath, _ = _split_spec(args.path)
    kind = args.kind
    if kind:
        extra = {"layer": args.layer} if fpath.lower().endswith(".gpkg") else {}
        gdf = _read(args.path, kind, args.encoding, **extra)
    else:
        gdf = _read_any(fpath, args.layer, args.encoding)
    unit_gdf = _read(args.units, "units", args.encoding) if args.units else None
    geom = set(gdf.geom_type.dropna().unique())
    name = args.title or Path(fpath).stem
    if args.column and geom <= {"Polygon", "MultiPolygon"}:
        if args.column not in gdf.columns:
            cols = "、".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
            msg = f"--column：图层 {fpath} 没有字段「{args.column}」；字段有 {cols}"
            raise InputError(msg)
        m = maps.choropleth(gdf, args.column, target=args.target, title=name, basemap=bm)
    else:
        m = maps.base_map(gdf, basemap=bm, title=name, units=unit_gdf)
        if geom <= {"Point", "MultiPoint"}:
            if kind:
                set_kind(gdf, kind)
            maps.add_facilities(m, gdf, kind=kind, name=name)
        elif geom <= {"LineString", "MultiLineString"}:
            maps.add_boundary(m, gdf) if "line_name" in gdf.columns else maps.add_units(m, gdf, name=name)
        else:
            maps.add_units(m, gdf, name=name)
    _echo(f"已写出：{maps.save(m, args.out, offline=not args.online)}")
    return 0


def _read_any(path: str, layer: str | None, encoding: str | None):
    """A spatial file of no particular kind (an analysis result): GeoPackage layer, GeoJSON, Shapefile."""
    import geopandas as gpd
    import pyogrio

    from ._files import SOURCE_PATHS

    p = Path(path)
    if not p.exists():
        msg = f"文件不存在：{p} (file not found)"
        raise FileAccessError(msg)
    if p.is_dir():
        raise file_error(IsADirectoryError(21, "Is a directory", path), path, action="读取")
    try:
        names = [str(n) for n in pyogrio.list_layers(p)[:, 0]]
    except Exception as exc:  # GDAL cannot open it at all
        msg = f"无法读取 {p}：不是可识别的空间数据文件（{exc}）(cannot open)"
        raise InputError(msg) from exc
    if layer is not None and layer not in names:
        msg = f"--layer：{p.name} 中没有图层「{layer}」；图层有 {'、'.join(names)} (layer not found)"
        raise InputError(msg)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(p, layer=layer, encoding=_text_encoding(path, encoding))
    except LookupError as exc:
        raise UsageError(f"--encoding：不认识的文字编码「{encoding}」（如 utf-8、gbk、gb18030、big5）") from exc
    except Exception as exc:
        msg = f"无法读取 {p}{f' 的图层「{layer}」' if layer else ''}：{exc} (cannot read)"
        raise InputError(msg) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.crs is None or len(gdf) == 0:
        msg = f"{p.name}{f' 的图层「{layer}」' if layer else ''} 没有要素、几何或坐标系，无法绘图 (nothing to draw)"
        raise InputError(msg)
    gdf.attrs["mzgeo_source"] = p.name
    gdf.attrs[SOURCE_PATHS] = (path_key(p),)
    return gdf


def _cmd_demo(args: argparse.Namespace) -> int:
    from .workflow import run_demo

    summary = run_demo(maps_dir=args.out, tables_dir=args.tables, progress=_err)
    _echo(summary.text())
    return 0


# --------------------------------------------------------------------------------------------
# the parser
# --------------------------------------------------------------------------------------------
_ENC_HELP = "CSV 与 Shapefile（.dbf）的文字编码，如 gbk、utf-8、big5；默认自动识别（对本命令的全部 CSV/Shapefile 输入有效）"


def _common_network(p: _Parser, mode: str) -> None:
    p.add_argument("--mode", default=mode, help=f"出行方式：walk 步行 / drive 驾车（默认 {mode}）")
    p.file_in("--roads", help="道路线图层（Shapefile/GeoPackage，含道路等级字段）")
    p.file_in("--osm", help="OSM 文件（.osm、.osm.bz2、.osm.pbf）")
    p.file_in("--cost", help="出行时间表（CSV/Excel，列 origin、destination、minutes）")
    p.add_argument("--class-col", default="road_class", help="道路等级字段名（默认 road_class）")


def _out_xlsx(p: _Parser, required: bool = True) -> None:
    p.file_out("-o", "--out", type=Path, required=required, help="输出 Excel 工作簿（.xlsx）")


def _gpkg(p: _Parser) -> None:
    p.file_out("--gpkg", type=Path, help="同时输出 GeoPackage（.gpkg，可在 QGIS/ArcGIS 打开）")


def _encoding(p: _Parser) -> None:
    p.add_argument("--encoding", type=_codec, help=_ENC_HELP)


def build_parser() -> _Parser:
    """The ``mzgeo`` argument parser (every command and option)."""
    root = _Parser(prog="mzgeo",
                   description="mzgeo（民政 geo）：民政设施规划分析 — 避灾安置场所、养老床位、照料中心、殡葬设施、界线联检。")
    root.add_argument("--version", action="version", version=f"mzgeo {__version__}", help="显示版本号")
    root.add_argument("-v", "--verbose", action="store_true", help="显示详细日志")
    cmds = root.add_subparsers(dest="command", metavar="命令", required=True, parser_class=_Parser)

    def command(sub: Any, name: str, func: Callable[[argparse.Namespace], int], summary: str) -> _Parser:
        p = sub.add_parser(name, help=summary, description=summary)
        p.set_defaults(_run=func, _parser=p)
        return p

    p = command(cmds, "validate", _cmd_validate, "检查输入文件，一次列出全部问题（有错误时退出码为 1）。")
    p.file_in("path", help="要检查的文件（CSV/Excel/GeoPackage/Shapefile/GeoJSON）")
    p.add_argument("-k", "--kind", required=True, help="图层类型，如 shelters / 避灾安置场所")
    p.add_argument("--crs", help="坐标系：wgs84、cgcs2000、gcj02（高德）、bd09（百度）或 EPSG 代码")
    p.add_argument("--sheet", help="Excel 工作表名称")
    p.add_argument("--layer", help="GeoPackage 图层名")
    p.file_in("--reference", help="参照图层（用于判断研究区范围和高德坐标）")
    _encoding(p)

    p = command(cmds, "coverage", _cmd_coverage, "设施服务覆盖：每个需求点的最近设施与出行时间、分区覆盖率、覆盖缺口。")
    p.file_in("--facilities", required=True, help="设施文件，可加 @坐标系，如 设施.csv@gcj02")
    p.file_in("--demand", required=True, help="需求点文件（村社区点）")
    p.add_argument("--minutes", type=_number, action="append", required=True,
                   help="时间阈值（分钟），可重复：--minutes 5 --minutes 10")
    _out_xlsx(p)
    p.add_argument("--kind", default="shelters", help="设施类型：shelters、daycare、institutions、cemeteries")
    p.add_argument("--weight", default="population", help="需求权重：elderly、population 或 none")
    _common_network(p, "walk")
    p.file_in("--units", help="行政区面图层（用于分区汇总）")
    _gpkg(p)
    _encoding(p)

    p = command(cmds, "beds", _cmd_beds, "每千名老人床位数、床位缺口与护理型床位占比（按行政区，逐级汇总）。")
    p.file_in("--institutions", required=True, help="养老机构文件，可加 @坐标系")
    p.file_in("--units", required=True, help="行政区面图层（含老年人口）")
    _out_xlsx(p)
    p.add_argument("--target", type=_number, help="每千名老人床位数目标，默认 37.5")
    p.add_argument("--nursing-share", type=_number, help="护理型床位占比目标，默认 0.55")
    _gpkg(p)
    _encoding(p)

    p = command(cmds, "access", _cmd_access, "可达床位（两步移动搜索法 2SFCA 家族）：每千名老人在时间范围内可达的床位数。")
    p.file_in("--supply", required=True, help="供给设施（养老机构）文件")
    p.file_in("--demand", required=True, help="需求点文件（村社区点，含老年人口）")
    _out_xlsx(p)
    p.add_argument("--method", default="2sfca", help="方法：2sfca、e2sfca、g2sfca")
    p.add_argument("--minutes", type=_number, help="服务范围（分钟），默认 30")
    p.add_argument("--supply-col", default="beds", help="供给量字段（默认 beds）")
    p.add_argument("--demand-col", default="elderly", help="需求量字段（默认 elderly）")
    _common_network(p, "drive")
    p.file_in("--units", help="行政区面图层（用于分区汇总）")
    _gpkg(p)
    _encoding(p)

    p = command(cmds, "shelters", _cmd_shelters, "避灾安置场所容量与可达性：在时间上限内按容量安置居民（HiGHS 线性规划）。")
    p.file_in("--shelters", required=True, help="避灾安置场所文件")
    p.file_in("--demand", required=True, help="需求点文件（村社区点，含人口）")
    _out_xlsx(p)
    p.add_argument("--minutes", type=_number, help="步行时间上限（分钟），默认 10")
    p.add_argument("--area-per-person", type=_number, help="人均安置面积（平方米），默认 1.5")
    _common_network(p, "walk")
    p.file_in("--units", help="行政区面图层（用于分区汇总）")
    _gpkg(p)
    _encoding(p)

    p = command(cmds, "burial", _cmd_burial, "三沿五区禁葬区检查：列出位于道路、铁路、河道两侧缓冲区或管控区内的坟墓（整治台账）。")
    p.file_in("--points", required=True, help="坟墓/散埋点或公墓选址文件")
    _out_xlsx(p)
    p.file_in("--lines", action="append", help="线状要素图层（道路、铁路、河流），可重复")
    p.file_in("--zones", help="管控区面图层（风景区、水源保护区等）")
    p.add_argument("--kind", default="graves", help="点图层类型：graves 或 cemeteries")
    p.file_in("--units", help="行政区面图层（用于分区汇总）")
    _gpkg(p)
    _encoding(p)

    p = command(cmds, "allocate", _cmd_allocate, "选址：新增设施放在哪里能最大程度弥补覆盖缺口（HiGHS 求解）。")
    p.file_in("--demand", required=True, help="需求点文件（村社区点，含人口/老年人口）")
    _out_xlsx(p)
    p.add_argument("--model", default="mclp",
                   help="模型：lscp、mclp、pmedian、pcenter、cmclp（带容量）、beds（加床布局）")
    p.file_in("--candidates", help="候选点文件；不给则自动生成（见 --generate）")
    p.add_argument("--generate", default="villages", help="自动生成候选点：villages（无设施的村社区）或 grid（规则网格）")
    p.add_argument("--spacing-m", type=_number, help="网格候选点间距（米）")
    p.file_in("--exclude", help="排除区面图层（水域、禁葬区等）")
    p.file_in("--existing", help="现有设施文件（作为必选设施保留）")
    p.add_argument("--existing-kind", default="daycare", help="现有设施与候选点的图层类型（默认 daycare）")
    p.add_argument("--minutes", type=_number, help="服务时间阈值（分钟）")
    p.add_argument("--p", "-p", type=_integer, help="新增设施数量")
    p.add_argument("--weight", default="elderly", help="需求权重：elderly、population 或 none")
    p.add_argument("--capacity-col", help="容量字段（带容量模型）")
    p.add_argument("--time-limit", type=_number, help="求解时间上限（秒）；到时返回当前最好解及其最优性差距")
    p.add_argument("--beds-to-add", type=_number, help="beds 模型：新增床位总数（张），如床位缺口")
    _common_network(p, "walk")
    _gpkg(p)
    _encoding(p)

    p = command(cmds, "boundary", _no_command, "界线联检：界线提取、联检检查表、回读检查结果。")
    bsub = p.add_subparsers(dest="boundary_command", metavar="命令", required=True, parser_class=_Parser)

    def boundary_common(q: _Parser) -> None:
        q.file_in("--units", required=True, help="行政区面图层（Shapefile/GeoPackage，含名称、代码字段）")
        q.file_in("--outer", help="相邻的外部行政区面图层（提取本区与外部的界线，如嘉湖线）")
        q.add_argument("--tolerance", type=_number, help="界线匹配容差（米），默认 50")
        q.file_in("--overrides", help="界线名称覆盖表（CSV/Excel：side_a_code、side_b_code、line_name）")

    q = command(bsub, "lines", _cmd_boundary_lines, "从行政区面提取界线（两侧名称与代码、长度、三交点、缝隙与重叠）。")
    boundary_common(q)
    q.file_out("-o", "--out", type=Path, required=True, help="输出界线 GeoPackage（.gpkg）")
    q.file_out("--excel", type=Path, help="同时输出 Excel 表（界线、三交点、缝隙/重叠）")
    _encoding(q)

    q = command(bsub, "checklist", _cmd_boundary_checklist,
                "生成界线联检检查表：界线概况、界桩检查表（含现场填写栏）、穿越点、问题清单、签字栏。")
    boundary_common(q)
    q.file_in("--markers", required=True, help="界桩登记表（CSV/Excel，可加 @坐标系）")
    q.file_out("-o", "--out", type=Path, required=True,
               help="输出检查表 Excel（.xlsx）；每条界线一个工作簿时为文件夹")
    q.file_in("--roads", help="道路线图层（列出穿越点）")
    q.file_in("--rivers", help="河流线图层（列出穿越点）")
    q.file_in("--railways", help="铁路线图层（列出穿越点）")
    q.add_argument("--last-year", type=_integer, help="上次联检年份（所有界线相同时）")
    q.add_argument("--year", type=_integer, help="本次联检年份，默认今年")
    q.add_argument("--per-line", action=argparse.BooleanOptionalAction, default=False,
                   help="每条界线单独一个工作簿（-o 为文件夹）")
    q.file_out("--html", type=Path, help="同时输出可打印的 HTML 检查表")
    _encoding(q)

    q = command(bsub, "results", _cmd_boundary_results,
                "回读现场填写的检查表：校验、更新界桩登记表、列出需维修或重测的界桩（有错误时退出码为 1）。")
    q.file_in("paths", nargs="+", metavar="检查表", help="现场填写后的检查表工作簿（可多个）")
    q.file_out("-o", "--out", type=Path, help="输出更新后的界桩登记表与维修清单（.xlsx）")

    p = command(cmds, "map", _cmd_map, "绘制图层或分析结果的 HTML 地图（默认离线可用，可用浏览器直接打开）。")
    p.file_in("path", help="图层文件或分析结果 GeoPackage（可加 @坐标系）")
    p.file_out("-o", "--out", type=Path, required=True, help="输出 HTML 地图")
    p.add_argument("--kind", help="图层类型（设施点图层时决定图标），如 shelters")
    p.add_argument("--layer", help="GeoPackage 图层名（如 mzgeo beds --gpkg 写出的 bed_ratio、institutions）")
    p.add_argument("--column", help="面图层按此字段分级设色，如 beds_per_1000、share_covered")
    p.add_argument("--target", type=_number, help="分级设色的目标值（如 37.5），颜色以此为中心")
    p.file_in("--units", help="行政区面图层（作为底图）")
    p.add_argument("--title", help="地图标题")
    p.add_argument("--basemap", default="none", help="底图：none（离线，默认）、osm、tianditu、tianditu_img、amap")
    p.add_argument("--online", action=argparse.BooleanOptionalAction, default=False,
                   help="允许从 CDN 加载脚本（默认完全离线的单个 HTML 文件）")
    _encoding(p)

    p = command(cmds, "demo", _cmd_demo, "在内置的湖州示例数据上运行全部分析，写出地图和表格。")
    p.file_out("--out", type=Path, default=Path("maps"), help="HTML 地图输出文件夹（默认 maps）")
    p.file_out("--tables", type=Path, default=Path("out"), help="Excel 工作簿与 GeoPackage 输出文件夹（默认 out）")
    return root


def _no_command(args: argparse.Namespace) -> int:  # pragma: no cover - argparse requires a subcommand
    raise UsageError("缺少命令")


#: Outputs that are folders (checked as folders, not files).
_FOLDER_OUTPUTS = {"demo": ("out", "tables")}


def _parse(argv: list[str]) -> tuple[argparse.Namespace, _Parser]:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    sub: _Parser = getattr(args, "_parser", parser)
    if extra:
        raise UsageError(_unknown_message(sub, extra))
    return args, sub


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; map mzgeo errors to exit codes with a Chinese message.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code (0 ok, 1 input errors, 2 bad usage, 3 network, 4 infeasible, 5 other).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if not argv or argv == ["boundary"]:
            build_parser().parse_args([*argv, "--help"])
        args, sub = _parse(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
        folders = _FOLDER_OUTPUTS.get(args.command, ()) + (("out",) if getattr(args, "per_line", False) else ())
        _check_options(args)
        _check_paths(sub, args, folders)
        return args._run(args)
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except MzgeoError as exc:
        _err(f"错误：{exc}")
        return _exit_code(exc)
    except KeyboardInterrupt:
        _err("已中断 (interrupted)")
        return 130
    except OSError as exc:  # last resort: a file problem not caught where the file was opened
        _err(f"错误：{file_error(exc)}")
        return 2
    except Exception as exc:  # last resort: a library error on a user's file — no traceback
        _err(f"错误：{_library_error(exc)}")
        if os.environ.get("MZGEO_DEBUG"):
            raise
        return 5


def _library_error(exc: Exception) -> str:
    """A one-paragraph Chinese message for an unexpected library error (the last-resort guard)."""
    name = type(exc).__name__
    if name == "EmptyDataError":
        return f"输入表格是空文件（{exc}）：请检查文件内容 (empty file)"
    if name in {"DataLayerError", "DataSourceError"}:
        return f"无法读取空间数据：{exc}；请检查文件路径和图层名（--layer）(cannot read)"
    return (f"意外的错误 {name}：{exc}。请检查输入文件是否完整、格式是否正确；"
            "若问题持续，请带上这条信息和输入文件报告问题（设置环境变量 MZGEO_DEBUG=1 可显示详细信息）")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
