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

Layout: this module holds :func:`main` (the error → exit-code mapping) and
:func:`build_parser`; ``_parser.py`` the Chinese argparse plumbing; ``_common.py`` the helpers
every command uses (``path@crs`` specs, ``--encoding``, input and output checks, network,
progress lines); one module per command group: ``layers.py`` (validate, map), ``analyses.py``
(coverage, beds, access, shelters, burial), ``allocate.py``, ``boundary.py``, ``plan.py``
(run, plan init, compare) and ``demo.py``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .. import __version__
from .._files import file_error
from ..errors import CRSError, InfeasibleError, InputError, MzgeoError, NetworkError, ValidationError
from . import allocate as _allocate_cmds
from . import analyses as _analyses_cmds
from . import boundary as _boundary_cmds
from . import demo as _demo_cmds
from . import layers as _layers_cmds
from . import plan as _plan_cmds
from ._common import _check_paths, _err
from ._parser import UsageError, _Parser, _unknown_message

__all__ = ["UsageError", "build_parser", "main"]

_EXIT = {ValidationError: 1, InputError: 2, CRSError: 2, NetworkError: 3, InfeasibleError: 4}


def _exit_code(exc: MzgeoError) -> int:
    for cls, code in _EXIT.items():
        if isinstance(exc, cls):
            return code
    return 5


def build_parser() -> _Parser:
    """Build the ``mzgeo`` argument parser (every command and option)."""
    root = _Parser(prog="mzgeo",
                   description="mzgeo（民政 geo）：民政设施规划分析 — 避灾安置场所、养老床位、照料中心、殡葬设施、界线联检。")
    root.add_argument("--version", action="version", version=f"mzgeo {__version__}", help="显示版本号")
    root.add_argument("-v", "--verbose", action="store_true", help="显示详细日志")
    cmds = root.add_subparsers(dest="command", metavar="命令", required=True, parser_class=_Parser)
    _layers_cmds.add_validate(cmds)
    _analyses_cmds.add_commands(cmds)
    _allocate_cmds.add_commands(cmds)
    _boundary_cmds.add_commands(cmds)
    _layers_cmds.add_map(cmds)
    _demo_cmds.add_commands(cmds)
    _plan_cmds.add_commands(cmds)
    return root


#: Outputs that are folders (checked as folders, not files).
_FOLDER_OUTPUTS = {"demo": ("out", "tables"), "run": ("out",), "compare": ("out",)}


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
        if not argv or argv in (["boundary"], ["plan"]):
            build_parser().parse_args([*argv, "--help"])
        args, sub = _parse(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
        folders = _FOLDER_OUTPUTS.get(args.command, ()) + (("out",) if getattr(args, "per_line", False) else ())
        check = getattr(args, "_check", None)
        if check is not None:
            check(args)
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
    """Word an unexpected library error as one Chinese paragraph (the last-resort guard)."""
    name = type(exc).__name__
    if name == "EmptyDataError":
        return f"输入表格是空文件（{exc}）：请检查文件内容 (empty file)"
    if name in {"DataLayerError", "DataSourceError"}:
        return f"无法读取空间数据：{exc}；请检查文件路径和图层名（--layer）(cannot read)"
    return (f"意外的错误 {name}：{exc}。请检查输入文件是否完整、格式是否正确；"
            "若问题持续，请带上这条信息和输入文件报告问题（设置环境变量 MZGEO_DEBUG=1 可显示详细信息）")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
