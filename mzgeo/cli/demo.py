"""``mzgeo demo``: every analysis on the embedded Huzhou demo data."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import (
    _echo,
    _err,
)
from ._parser import command


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..workflow import run_demo

    summary = run_demo(maps_dir=args.out, tables_dir=args.tables, progress=_err)
    _echo(summary.text())
    return 0


def add_commands(cmds: Any) -> None:
    """Add ``demo``."""
    p = command(cmds, "demo", _cmd_demo, "在内置的湖州示例数据上运行全部分析，写出地图和表格。")
    p.file_out("--out", type=Path, default=Path("maps"), help="HTML 地图输出文件夹（默认 maps）")
    p.file_out("--tables", type=Path, default=Path("out"), help="Excel 工作簿与 GeoPackage 输出文件夹（默认 out）")
