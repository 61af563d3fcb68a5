"""The ``mzgeo`` command line: a thin layer over the public API.

Every command reads files with :func:`mzgeo.read_layer`, calls one public function and
writes the result (Excel workbook with Chinese headers, GeoPackage, HTML map). Messages are
in Chinese. A file argument may carry its coordinate system after ``@``:
``养老机构.csv@gcj02``, ``points.xlsx@bd09``, ``roads.shp@4549``.

Exit codes: 0 success; 1 input file has errors (validation); 2 bad usage or parameters;
3 network problem; 4 infeasible model; 5 other mzgeo error.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from . import __version__
from ._errors import (
    CRSError,
    DataWarning,
    InfeasibleError,
    InputError,
    MzgeoError,
    NetworkError,
    ValidationError,
)
from .crs import GEOGRAPHIC_NAMES

__all__ = ["app", "main"]

app = typer.Typer(
    name="mzgeo",
    help="mzgeo（民政 geo）：民政设施规划分析 — 避灾安置场所、养老床位、照料中心、殡葬设施、界线联检。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
boundary_app = typer.Typer(help="界线联检：界线提取、联检检查表、回读检查结果。", no_args_is_help=True)
app.add_typer(boundary_app, name="boundary")

_EXIT = {ValidationError: 1, InputError: 2, CRSError: 2, NetworkError: 3, InfeasibleError: 4}


def _echo(msg: str = "") -> None:
    typer.echo(msg)


def _err(msg: str) -> None:
    typer.echo(msg, err=True)


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


def _split_spec(spec: str) -> tuple[str, str | None]:
    """Split ``path@crs`` into path and CRS (only when the suffix is a known CRS)."""
    if "@" in spec:
        path, _, crs = spec.rpartition("@")
        key = crs.strip().lower()
        if key in GEOGRAPHIC_NAMES or key.isdigit() or key.startswith("epsg:"):
            return path, crs
    return spec, None


def _read(spec: str, kind: str, **kwargs: Any):
    from .io import read_layer

    path, crs = _split_spec(spec)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        gdf = read_layer(path, kind, crs=crs, **kwargs)
    for w in caught:
        if issubclass(w.category, DataWarning):
            _err(f"警告：{w.message}")
    return gdf


def _network(roads: str | None, osm: str | None, mode: str, class_col: str):
    from .network import Network

    if osm:
        with _step(f"从 OSM 构建{_mode_zh(mode)}路网：{osm}"):
            return Network.from_osm(osm, mode=mode)
    if roads:
        gdf = _read(roads, "roads")
        with _step(f"从道路图层构建{_mode_zh(mode)}路网：{roads}"):
            return Network.from_lines(gdf, mode=mode, class_col=class_col if class_col in gdf.columns else None)
    msg = "需要路网：请给出 --roads（道路线图层）或 --osm（OSM 文件），或用 --cost 给出出行时间表"
    raise InputError(msg)


def _mode_zh(mode: str) -> str:
    return {"walk": "步行", "drive": "驾车"}.get(mode, mode)


def _read_cost(path: str | None):
    if path is None:
        return None
    import pandas as pd

    from .layers import canonical_column

    p = Path(path)
    df = pd.read_excel(p) if p.suffix.lower() in {".xlsx", ".xls"} else pd.read_csv(p, encoding="utf-8-sig")
    rename = {}
    for col in df.columns:
        key = str(col).strip().lower()
        if key in {"origin", "起点"}:
            rename[col] = "origin"
        elif key in {"destination", "终点"}:
            rename[col] = "destination"
        elif key in {"minutes", "时间", "出行时间", "分钟"} or canonical_column(col) == "minutes":
            rename[col] = "minutes"
    return df.rename(columns=rename)


def _write(result: Any, out: Path, gpkg: Path | None) -> None:
    written = [result.to_excel(out)]
    if gpkg is not None:
        written.append(result.to_gpkg(gpkg))
    for w in written:
        _echo(f"已写出：{w}")


def _print_table(df, max_rows: int = 30) -> None:
    from .report import to_chinese

    if df is None or len(df) == 0:
        _echo("（无）")
        return
    table = to_chinese(df).head(max_rows)
    _echo(table.to_string(index=False))
    if len(df) > max_rows:
        _echo(f"……共 {len(df)} 行，完整表格见输出文件")


# --------------------------------------------------------------------------------------------
# validate
# --------------------------------------------------------------------------------------------
@app.command()
def validate(
    path: Annotated[str, typer.Argument(help="要检查的文件（CSV/Excel/GeoPackage/Shapefile/GeoJSON）")],
    kind: Annotated[str, typer.Option("--kind", "-k", help="图层类型，如 shelters / 避灾安置场所")],
    crs: Annotated[str | None, typer.Option(help="坐标系：wgs84、cgcs2000、gcj02（高德）、bd09（百度）或 EPSG 代码")] = None,
    sheet: Annotated[str | None, typer.Option(help="Excel 工作表名称")] = None,
    layer: Annotated[str | None, typer.Option(help="GeoPackage 图层名")] = None,
    reference: Annotated[str | None, typer.Option(help="参照图层（用于判断研究区范围和高德坐标）")] = None,
) -> None:
    """检查输入文件，一次列出全部问题（有错误时退出码为 1）。"""
    from .io import read_layer
    from .io import validate as _validate

    ref = None
    if reference:
        rpath, rcrs = _split_spec(reference)
        ref = read_layer(rpath, "roads" if rpath.lower().endswith((".shp", ".gpkg")) else kind, crs=rcrs)
    report = _validate(path, kind, crs=crs, sheet=sheet, layer=layer, reference=ref)
    _echo(str(report))
    raise typer.Exit(0 if report.ok else 1)


# --------------------------------------------------------------------------------------------
# analyses (issue: coverage and gaps)
# --------------------------------------------------------------------------------------------
RoadsOpt = Annotated[str | None, typer.Option(help="道路线图层（Shapefile/GeoPackage，含道路等级字段）")]
OsmOpt = Annotated[str | None, typer.Option(help="OSM 文件（.osm、.osm.bz2、.osm.pbf）")]
CostOpt = Annotated[str | None, typer.Option(help="出行时间表（CSV/Excel，列 origin、destination、minutes）")]
ClassOpt = Annotated[str, typer.Option(help="道路等级字段名")]
OutOpt = Annotated[Path, typer.Option("--out", "-o", help="输出 Excel 工作簿（.xlsx）")]
GpkgOpt = Annotated[Path | None, typer.Option(help="同时输出 GeoPackage（.gpkg，可在 QGIS/ArcGIS 打开）")]
UnitsOpt = Annotated[str | None, typer.Option(help="行政区面图层（用于分区汇总）")]


@app.command()
def coverage(
    facilities: Annotated[str, typer.Option(help="设施文件，可加 @坐标系，如 设施.csv@gcj02")],
    demand: Annotated[str, typer.Option(help="需求点文件（村社区点）")],
    minutes: Annotated[list[float], typer.Option(help="时间阈值（分钟），可重复：--minutes 5 --minutes 10")],
    out: OutOpt,
    kind: Annotated[str, typer.Option(help="设施类型：shelters、daycare、institutions、cemeteries")] = "shelters",
    weight: Annotated[str, typer.Option(help="需求权重：elderly、population 或 none")] = "population",
    mode: Annotated[str, typer.Option(help="出行方式：walk 步行 / drive 驾车")] = "walk",
    roads: RoadsOpt = None,
    osm: OsmOpt = None,
    cost: CostOpt = None,
    class_col: ClassOpt = "road_class",
    units: UnitsOpt = None,
    gpkg: GpkgOpt = None,
) -> None:
    """设施服务覆盖：每个需求点的最近设施与出行时间、分区覆盖率、覆盖缺口。"""
    from .coverage import coverage as _coverage

    fac = _read(facilities, kind)
    dem = _read(demand, "villages")
    unit_gdf = _read(units, "units") if units else None
    cost_df = _read_cost(cost)
    net = None if cost_df is not None else _network(roads, osm, mode, class_col)
    with _step("计算覆盖"):
        res = _coverage(net, fac, dem, minutes if len(minutes) > 1 else minutes[0],
                        weight=None if weight.lower() == "none" else weight, cost=cost_df, units=unit_gdf)
    _print_table(res.summary)
    _write(res, out, gpkg)


@app.command()
def beds(
    institutions: Annotated[str, typer.Option(help="养老机构文件，可加 @坐标系")],
    units: Annotated[str, typer.Option(help="行政区面图层（含老年人口）")],
    out: OutOpt,
    target: Annotated[float | None, typer.Option(help="每千名老人床位数目标，默认 37.5")] = None,
    nursing_share: Annotated[float | None, typer.Option(help="护理型床位占比目标，默认 0.55")] = None,
    gpkg: GpkgOpt = None,
) -> None:
    """每千名老人床位数、床位缺口与护理型床位占比（按行政区，逐级汇总）。"""
    from .beds import bed_ratio

    inst = _read(institutions, "institutions")
    unit_gdf = _read(units, "units")
    with _step("计算每千名老人床位数"):
        res = bed_ratio(inst, unit_gdf, target_per_1000=target, nursing_share_target=nursing_share)
    _print_table(res.below_target)
    _write(res, out, gpkg)


@app.command()
def access(
    supply: Annotated[str, typer.Option(help="供给设施（养老机构）文件")],
    demand: Annotated[str, typer.Option(help="需求点文件（村社区点，含老年人口）")],
    out: OutOpt,
    method: Annotated[str, typer.Option(help="方法：2sfca、e2sfca、g2sfca")] = "2sfca",
    minutes: Annotated[float | None, typer.Option(help="服务范围（分钟），默认 30")] = None,
    supply_col: Annotated[str, typer.Option(help="供给量字段")] = "beds",
    demand_col: Annotated[str, typer.Option(help="需求量字段")] = "elderly",
    mode: Annotated[str, typer.Option(help="出行方式：walk / drive")] = "drive",
    roads: RoadsOpt = None,
    osm: OsmOpt = None,
    cost: CostOpt = None,
    class_col: ClassOpt = "road_class",
    units: UnitsOpt = None,
    gpkg: GpkgOpt = None,
) -> None:
    """可达床位（两步移动搜索法 2SFCA 家族）：每千名老人在时间范围内可达的床位数。"""
    from .beds import accessibility

    sup = _read(supply, "institutions")
    dem = _read(demand, "villages")
    unit_gdf = _read(units, "units") if units else None
    cost_df = _read_cost(cost)
    net = None if cost_df is not None else _network(roads, osm, mode, class_col)
    with _step(f"计算可达性（{method}）"):
        res = accessibility(sup, dem, network=net, cost=cost_df, method=method, minutes=minutes,
                            supply_col=supply_col, demand_col=demand_col, units=unit_gdf)
    _write(res, out, gpkg)


@app.command()
def shelters(
    shelters: Annotated[str, typer.Option(help="避灾安置场所文件")],
    demand: Annotated[str, typer.Option(help="需求点文件（村社区点，含人口）")],
    out: OutOpt,
    minutes: Annotated[float | None, typer.Option(help="步行时间上限（分钟），默认 10")] = None,
    area_per_person: Annotated[float | None, typer.Option(help="人均安置面积（平方米），默认 1.5")] = None,
    mode: Annotated[str, typer.Option(help="出行方式：walk / drive")] = "walk",
    roads: RoadsOpt = None,
    osm: OsmOpt = None,
    cost: CostOpt = None,
    class_col: ClassOpt = "road_class",
    units: UnitsOpt = None,
    gpkg: GpkgOpt = None,
) -> None:
    """避灾安置场所容量与可达性：在时间上限内按容量安置居民（HiGHS 线性规划）。"""
    from .shelters import shelter_adequacy

    sh = _read(shelters, "shelters")
    dem = _read(demand, "villages")
    unit_gdf = _read(units, "units") if units else None
    cost_df = _read_cost(cost)
    net = None if cost_df is not None else _network(roads, osm, mode, class_col)
    with _step("求解安置分配"):
        res = shelter_adequacy(net, sh, dem, minutes=minutes, area_per_person=area_per_person, cost=cost_df,
                               units=unit_gdf)
    _write(res, out, gpkg)


@app.command()
def burial(
    points: Annotated[str, typer.Option(help="坟墓/散埋点或公墓选址文件")],
    out: OutOpt,
    lines: Annotated[list[str] | None, typer.Option(help="线状要素图层（道路、铁路、河流），可重复")] = None,
    zones: Annotated[str | None, typer.Option(help="管控区面图层（风景区、水源保护区等）")] = None,
    kind: Annotated[str, typer.Option(help="点图层类型：graves 或 cemeteries")] = "graves",
    units: UnitsOpt = None,
    gpkg: GpkgOpt = None,
) -> None:
    """三沿五区禁葬区检查：列出位于道路、铁路、河道两侧缓冲区或管控区内的坟墓（整治台账）。"""
    from .burial import burial_zone_check

    pts = _read(points, kind)
    line_layers = {Path(_split_spec(s)[0]).stem: _read(s, "roads") for s in (lines or [])}
    zone_gdf = _read(zones, "zones") if zones else None
    unit_gdf = _read(units, "units") if units else None
    with _step("检查禁葬区"):
        res = burial_zone_check(pts, lines=line_layers or None, zones=zone_gdf, units=unit_gdf)
    _write(res, out, gpkg)


# --------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------
@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="HTML 地图输出文件夹")] = Path("maps"),
    tables: Annotated[Path, typer.Option(help="Excel 工作簿与 GeoPackage 输出文件夹")] = Path("out"),
) -> None:
    """在内置的湖州示例数据上运行全部分析，写出地图和表格。"""
    from .workflow import run_demo

    summary = run_demo(maps_dir=out, tables_dir=tables, progress=_err)
    _echo(summary.text())


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="显示版本号")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="显示详细日志")] = False,
) -> None:
    if version:
        _echo(f"mzgeo {__version__}")
        raise typer.Exit(0)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; map mzgeo errors to exit codes with a Chinese message."""
    try:
        rv = app(args=argv, standalone_mode=False)
    except MzgeoError as exc:
        _err(f"错误：{exc}")
        return _exit_code(exc)
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except SystemExit as exc:  # click's own usage errors
        return int(exc.code or 0)
    except Exception as exc:  # click exceptions (bad usage)
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            return 2
        if isinstance(exc, click.exceptions.Abort):
            return 1
        raise
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
