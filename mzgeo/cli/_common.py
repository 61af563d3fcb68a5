"""Helpers shared by the commands.

Reading inputs (``path@crs``, ``--encoding``), checking outputs, building the network,
printing tables and progress.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._files import file_error, path_key, refuse_inputs
from ..crs import GEOGRAPHIC_NAMES
from ..errors import DataWarning, FileAccessError, InputError, MzgeoError
from ..progress import Progress, stderr_lines
from ._parser import UsageError, _codec, _flag, _integer, _Parser

#: Suffixes of files whose text encoding ``--encoding`` applies to.
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".shp", ".dbf")
#: The CLI's progress reporter: step lines on standard error.
PROGRESS = Progress(stderr_lines)


def _echo(msg: str = "") -> None:
    print(msg, flush=True)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _step(label: str):
    """Print a step with its duration (the CLI's progress lines, see :mod:`mzgeo.progress`)."""
    return PROGRESS.step(label)


def _split_spec(spec: str) -> tuple[str, str | None]:
    """Split ``path@crs`` into path and CRS (only when the suffix is a known CRS)."""
    if "@" in spec:
        path, _, crs = spec.rpartition("@")
        key = crs.strip().lower()
        if key in GEOGRAPHIC_NAMES or key.isdigit() or key.startswith("epsg:"):
            return path, crs
    return spec, None


def _text_encoding(path: str, encoding: str | None) -> str | None:
    """Return ``--encoding`` for text files (CSV, Shapefile .dbf); GeoPackage and Excel carry their own."""
    return encoding if encoding and path.lower().endswith(_TEXT_SUFFIXES) else None


def _read(spec: str, kind: str, encoding: str | None = None, **kwargs: Any):
    from ..io.read import read_layer

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
    """Read a plain side table (CSV/Excel); empty or unreadable files give an :class:`InputError`."""
    import pandas as pd

    from ..io.read import read_table

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
    from ..network.core import Network

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
    """Read a long-form travel-time table: origin, destination, minutes (Chinese headers accepted)."""
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
    from ..report.excel import to_chinese

    if df is None or len(df) == 0:
        _echo("（无）")
        return
    table = to_chinese(df).head(max_rows)
    _echo(table.to_string(index=False))
    if len(df) > max_rows:
        _echo(f"……共 {len(df)} 行，完整表格见输出文件")


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
    """Check inputs and outputs before any work.

    Every input exists and is a file; no output is an input, a folder, or in an unwritable place.
    """
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
    """Check that the output can be written: not a folder, no file in the way, the folder accepts files."""
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


def _read_any(path: str, layer: str | None, encoding: str | None):
    """Read a spatial file of no particular kind (an analysis result): GeoPackage layer, GeoJSON, Shapefile."""
    import geopandas as gpd
    import pyogrio

    from .._files import SOURCE_PATHS

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


_ENC_HELP = "CSV 与 Shapefile（.dbf）的文字编码，如 gbk、utf-8、big5；默认自动识别（对本命令的全部 CSV/Shapefile 输入有效）"


def _common_network(p: _Parser, mode: str, *, scale: bool = False) -> None:
    p.add_argument("--mode", default=mode, help=f"出行方式：walk 步行 / drive 驾车（默认 {mode}）")
    p.file_in("--roads", help="道路线图层（Shapefile/GeoPackage，含道路等级字段）")
    p.file_in("--osm", help="OSM 文件（.osm、.osm.bz2、.osm.pbf）")
    p.file_in("--cost", help="出行时间表（CSV/Excel，列 origin、destination、minutes）")
    p.add_argument("--class-col", default="road_class", help="道路等级字段名（默认 road_class）")
    if scale:
        p.add_argument("--workers", type=_integer,
                       help="按区县分区并行计算：本机 Dask 集群的工作进程数（如 4）；默认不分区、单进程")
        p.add_argument("--scheduler", metavar="ADDRESS",
                       help="按区县分区并行计算：已运行的 Dask 集群调度器地址，如 tcp://主机:8786")
        p.add_argument("--partition", default="county",
                       help="分区方式（与 --workers/--scheduler 同用）：county 按需求点的区县代码（默认），"
                            "或区县面图层文件")


def _partitioned(args: argparse.Namespace, net: Any) -> dict[str, Any]:
    """``partition=``/``executor=`` keywords from ``--workers``/``--scheduler`` (none without them)."""
    from .. import settings

    workers, scheduler = getattr(args, "workers", None), getattr(args, "scheduler", None)
    if workers is None and scheduler is None:
        return {}
    if workers is not None and scheduler is not None:
        msg = "--workers（本机集群）与 --scheduler（已有集群）只能选一个"
        raise UsageError(msg)
    if workers is not None and workers < 1:
        msg = f"--workers 应为正整数，收到 {workers}"
        raise UsageError(msg)
    if net is None:
        _err("提示：使用出行时间表（--cost）时不需要分区计算，已忽略 --workers/--scheduler")
        return {}
    spec = args.partition
    if spec.strip().lower() in ("county", "区县"):
        partition: Any = "county"
    else:
        if not Path(_split_spec(spec)[0]).is_file():
            msg = f"--partition：应为 county 或区县面图层文件，文件不存在：{spec}"
            raise FileAccessError(msg)
        partition = _read(spec, "units", args.encoding)
    if workers is not None:
        settings.workers = workers
        return {"partition": partition, "executor": "local"}
    return {"partition": partition, "executor": scheduler}


def _scaled(kw: dict[str, Any]):
    """Report partition tasks on the progress stream (and the Dask dashboard) inside the block."""
    import contextlib

    if not kw:
        return contextlib.nullcontext()
    from ..network.partition import reporting

    return reporting(PROGRESS)


def _out_xlsx(p: _Parser, required: bool = True) -> None:
    p.file_out("-o", "--out", type=Path, required=required, help="输出 Excel 工作簿（.xlsx）")


def _gpkg(p: _Parser) -> None:
    p.file_out("--gpkg", type=Path, help="同时输出 GeoPackage（.gpkg，可在 QGIS/ArcGIS 打开）")


def _encoding(p: _Parser) -> None:
    p.add_argument("--encoding", type=_codec, help=_ENC_HELP)
