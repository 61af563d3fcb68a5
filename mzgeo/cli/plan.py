"""The yearly plan as a file: ``mzgeo run PLAN.toml``, ``mzgeo plan init`` and ``mzgeo compare RUN_A RUN_B``.

Thin wrappers over :func:`mzgeo.plan.run_plan`, :func:`mzgeo.plan.init_plan` and
:func:`mzgeo.plan.compare_runs` (see ``data/demo_plan.toml`` for a commented plan file).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._files import path_key, refuse_inputs
from ..errors import FileAccessError
from ._common import _echo, _err, _print_table
from ._parser import _number, _Parser, command


def _cmd_run(args: argparse.Namespace) -> int:
    from ..plan import run_plan

    summary = run_plan(args.plan, args.out, progress=_err, only=args.only)
    _echo(summary.text())
    return 0


def _check_plan(args: argparse.Namespace) -> None:
    """Check that the plan file exists and is a file, and that ``-o`` is not the plan file."""
    if not args.plan.is_file():
        what = "是文件夹而不是文件" if args.plan.is_dir() else "不存在"
        msg = f"计划文件{what}：{args.plan}（请检查路径和文件名；mzgeo plan init 可写出模板）(file not found)"
        raise FileAccessError(msg)
    if args.out is not None:
        refuse_inputs(args.out, {path_key(args.plan): str(args.plan)}, what="输出（-o/--out）")


def _cmd_plan_init(args: argparse.Namespace) -> int:
    from ..plan import init_plan

    written = init_plan(args.path, overwrite=args.force)
    _echo(f"已写出：{written}（计划文件模板，路径指向内置示例数据；修改后用 mzgeo run {written} 运行）")
    return 0


def _check_runs(args: argparse.Namespace) -> None:
    """Both run folders exist and are folders (named at once, before any work)."""
    bad = [f"{label} {p}" for label, p in (("RUN_A", args.run_a), ("RUN_B", args.run_b)) if not Path(p).is_dir()]
    if bad:
        msg = f"运行输出文件夹不存在或不是文件夹：{'；'.join(bad)}（请给出 mzgeo run 的输出文件夹）(folder not found)"
        raise FileAccessError(msg)


def _cmd_compare(args: argparse.Namespace) -> int:
    from ..plan import compare_runs

    res = compare_runs(args.run_a, args.run_b, args.out, tolerance_m=args.tolerance_m, progress=_err,
                       map_html=args.map)
    units = res["units"]
    crossed = units[units["crossed"] != ""] if "crossed" in units else units.iloc[:0]
    _echo(f"变化的分区指标：{len(units)} 项，其中达标状态改变 {len(crossed)} 项；"
          f"设施增减或变化：{len(res['facilities'])} 处")
    if len(crossed):
        _print_table(crossed[["name", "level", "metric_zh", "value_a", "value_b", "crossed"]])
    for f in res.get("files", []):
        _echo(f"已写出：{f}")
    return 0


def _no_command(args: argparse.Namespace) -> int:  # pragma: no cover - argparse requires a subcommand
    from ._parser import UsageError

    raise UsageError("缺少命令")


def add_commands(cmds: Any) -> None:
    """Add ``run``, ``plan init`` and ``compare``."""
    p = command(cmds, "run", _cmd_run, "运行计划文件（TOML）：读取输入、执行全部分析，写出全部结果与 manifest.json。")
    # not a file_in: the plan's inputs carry their own encodings (no --encoding), checked by _check_plan
    p.add_argument("plan", type=Path, metavar="计划文件", help="计划文件（.toml），如 mzgeo plan init 写出的模板")
    p.set_defaults(_check=_check_plan)
    p.file_out("-o", "--out", type=Path, help="输出文件夹（默认为计划文件 [plan] out 的值，或 runs/<计划文件名>）")
    p.add_argument("--only", action="append", metavar="分析",
                   help="只运行这项分析（[analyses] 中的名称，如 beds），可重复")

    p = command(cmds, "plan", _no_command, "计划文件：写出模板（plan init）。")
    psub = p.add_subparsers(dest="plan_command", metavar="命令", required=True, parser_class=_Parser)
    q = command(psub, "init", _cmd_plan_init, "写出带注释的计划文件模板（湖州示例数据）。")
    q.file_out("path", nargs="?", type=Path, default=Path("plan.toml"), metavar="路径",
               help="模板文件路径（默认 plan.toml）")
    q.add_argument("--force", action="store_true", help="覆盖已有文件（默认不覆盖）")

    p = command(cmds, "compare", _cmd_compare,
                "比较两次运行（如 2017 与 2018 年）：各行政区指标的变化、是否达标，设施增减。")
    p.add_argument("run_a", metavar="RUN_A", help="运行 A 的输出文件夹（之前）")
    p.add_argument("run_b", metavar="RUN_B", help="运行 B 的输出文件夹（之后）")
    p.file_out("-o", "--out", type=Path, required=True, help="输出文件夹（比较.xlsx、比较地图.html）或 .xlsx 文件")
    p.add_argument("--tolerance-m", type=_number, default=50.0,
                   help="无共同编码的设施按名称匹配时的距离容差（米），默认 50")
    p.add_argument("--map", action=argparse.BooleanOptionalAction, default=True,
                   help="同时写出变化分区的 HTML 地图（默认是）")
    p.set_defaults(_check=_check_runs)
