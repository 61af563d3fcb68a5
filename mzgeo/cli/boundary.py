"""``mzgeo boundary lines|checklist|results``: the joint inspection of administrative boundaries."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import (
    _echo,
    _encoding,
    _print_table,
    _read,
    _read_table,
    _step,
)
from ._parser import UsageError, _integer, _number, _Parser, command


def _boundary_lines(args: argparse.Namespace):
    from ..boundary import boundary_lines

    unit_gdf = _read(args.units, "units", args.encoding)
    outer_gdf = _read(args.outer, "units", args.encoding) if args.outer else None
    table = _read_table(args.overrides, args.encoding, what="界线名称覆盖表") if args.overrides else None
    with _step("提取界线"):
        return boundary_lines(unit_gdf, tolerance_m=args.tolerance_m, outer=outer_gdf, overrides=table)


def _cmd_boundary_lines(args: argparse.Namespace) -> int:
    res = _boundary_lines(args)
    _print_table(res.lines.drop(columns="geometry"))
    _echo(f"已写出：{res.to_gpkg(args.out)}")
    if args.excel is not None:
        _echo(f"已写出：{res.to_excel(args.excel)}")
    return 0


def _cmd_boundary_checklist(args: argparse.Namespace) -> int:
    from ..boundary import inspection_checklist, line_crossings, lines_due

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
    from ..boundary import read_inspection_results

    res = read_inspection_results([str(p) for p in args.paths])
    errors = [p for p in res.file_problems if getattr(p, "severity", "error") == "error"]
    for prob in res.file_problems:
        _echo(str(prob))
    _echo(f"需维修或重测的界桩：{len(res.repairs)} 个")
    _print_table(res.repairs.drop(columns="geometry", errors="ignore"))
    if args.out is not None:
        _echo(f"已写出：{res.to_excel(args.out)}")
    return 1 if errors else 0


def _no_command(args: argparse.Namespace) -> int:  # pragma: no cover - argparse requires a subcommand
    raise UsageError("缺少命令")


def add_commands(cmds: Any) -> None:
    """Add ``boundary`` and its sub-commands ``lines``, ``checklist``, ``results``."""
    p = command(cmds, "boundary", _no_command, "界线联检：界线提取、联检检查表、回读检查结果。")
    bsub = p.add_subparsers(dest="boundary_command", metavar="命令", required=True, parser_class=_Parser)

    def boundary_common(q: _Parser) -> None:
        q.file_in("--units", required=True, help="行政区面图层（Shapefile/GeoPackage，含名称、代码字段）")
        q.file_in("--outer", help="相邻的外部行政区面图层（提取本区与外部的界线，如嘉湖线）")
        q.add_argument("--tolerance-m", type=_number, help="界线匹配容差（米），默认 50")
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
