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
    """A long-form travel-time table: origin, destination, minutes (Chinese headers accepted)."""
    if path is None:
        return None
    import pandas as pd

    from .io import read_table

    df = read_table(path)
    names = {"origin": {"origin", "起点", "需求点"}, "destination": {"destination", "终点", "设施"},
             "minutes": {"minutes", "时间", "出行时间", "分钟", "出行时间（分钟）"}}
    rename = {c: k for c in df.columns for k, v in names.items() if str(c).strip().lower() in v}
    df = df.rename(columns=rename)
    missing = [k for k in names if k not in df.columns]
    if missing:
        msg = f"出行时间表 {path} 缺少列 {missing}：需要 origin（起点）、destination（终点）、minutes（分钟）"
        raise InputError(msg)
    df["minutes"] = pd.to_numeric(df["minutes"], errors="raise")
    for col in ("origin", "destination"):
        as_num = pd.to_numeric(df[col], errors="coerce")
        if as_num.notna().all():
            df[col] = as_num.astype("int64")
    return df


def _demand_and_costs(demand: str, units: str | None, cost: str | None, roads: str | None, osm: str | None,
                      mode: str, class_col: str):
    """Read the demand points, the optional units, and travel costs (a cost table or a network)."""
    dem = _read(demand, "villages")
    unit_gdf = _read(units, "units") if units else None
    cost_df = _read_cost(cost)
    net = None if cost_df is not None else _network(roads, osm, mode, class_col)
    return dem, unit_gdf, net, cost_df


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
    from .io import read_reference
    from .io import validate as _validate

    ref = None
    if reference:
        rpath, rcrs = _split_spec(reference)
        ref = read_reference(rpath, crs=rcrs)
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
    dem, unit_gdf, net, cost_df = _demand_and_costs(demand, units, cost, roads, osm, mode, class_col)
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
    dem, unit_gdf, net, cost_df = _demand_and_costs(demand, units, cost, roads, osm, mode, class_col)
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
    dem, unit_gdf, net, cost_df = _demand_and_costs(demand, units, cost, roads, osm, mode, class_col)
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
# location-allocation
# --------------------------------------------------------------------------------------------
@app.command()
def allocate(
    demand: Annotated[str, typer.Option(help="需求点文件（村社区点，含人口/老年人口）")],
    out: OutOpt,
    model: Annotated[str, typer.Option(help="模型：lscp、mclp、pmedian、pcenter、cmclp（带容量）、beds（加床布局）")] = "mclp",
    candidates: Annotated[str | None, typer.Option(help="候选点文件；不给则自动生成（见 --generate）")] = None,
    generate: Annotated[str, typer.Option(help="自动生成候选点：villages（无设施的村社区）或 grid（规则网格）")] = "villages",
    spacing_m: Annotated[float | None, typer.Option(help="网格候选点间距（米）")] = None,
    exclude: Annotated[str | None, typer.Option(help="排除区面图层（水域、禁葬区等）")] = None,
    existing: Annotated[str | None, typer.Option(help="现有设施文件（作为必选设施保留）")] = None,
    existing_kind: Annotated[str, typer.Option(help="现有设施的图层类型")] = "daycare",
    minutes: Annotated[float | None, typer.Option(help="服务时间阈值（分钟）")] = None,
    p: Annotated[int | None, typer.Option(help="新增设施数量")] = None,
    weight: Annotated[str, typer.Option(help="需求权重：elderly、population 或 none")] = "elderly",
    capacity_col: Annotated[str | None, typer.Option(help="容量字段（带容量模型）")] = None,
    time_limit: Annotated[float | None, typer.Option(help="求解时间上限（秒）；到时返回当前最好解及其最优性差距")] = None,
    beds_to_add: Annotated[float | None, typer.Option(help="beds 模型：新增床位总数（张），如床位缺口")] = None,
    mode: Annotated[str, typer.Option(help="出行方式：walk / drive")] = "walk",
    roads: RoadsOpt = None,
    osm: OsmOpt = None,
    cost: CostOpt = None,
    class_col: ClassOpt = "road_class",
    gpkg: GpkgOpt = None,
) -> None:
    """选址：新增设施放在哪里能最大程度弥补覆盖缺口（HiGHS 求解）。"""
    import pandas as pd

    from .allocate import allocate as _allocate
    from .allocate import candidate_sites

    dem = _read(demand, "villages")
    ex = _read(existing, existing_kind) if existing else None
    if candidates:
        cand = _read(candidates, existing_kind)
        if ex is not None and len(cand.index.intersection(ex.index)):
            # rows of two files both count from 0: give candidates labels of their own (C00001…)
            cand.index = pd.Index([f"C{i:05d}" for i in range(1, len(cand) + 1)], name="candidate")
    else:
        zone = _read(exclude, "zones") if exclude else None
        cand = candidate_sites(dem, how=generate, existing=ex, spacing_m=spacing_m, exclude=zone)
    extra = {}
    if model == "beds":
        if beds_to_add is None:
            msg = "beds 模型需要 --beds-to-add（新增床位总数，如 mzgeo beds 算出的床位缺口）"
            raise InputError(msg)
        extra["beds_to_add"] = beds_to_add
    cost_df = _read_cost(cost)
    net = None if cost_df is not None else _network(roads, osm, mode, class_col)
    with _step(f"求解选址模型（{model}）"):
        res = _allocate(dem, cand, model=model, network=net, cost=cost_df, minutes=minutes, p=p, existing=ex,
                        capacity_col=capacity_col, weight=None if weight.lower() == "none" else weight,
                        time_limit_s=time_limit, **extra)
    _echo(res.headline())
    _print_table(res.selected)
    _write(res, out, gpkg)


# --------------------------------------------------------------------------------------------
# boundary joint inspection
# --------------------------------------------------------------------------------------------
def _boundary_lines(units: str, outer: str | None, tolerance: float | None, overrides: str | None):
    from .boundary import boundary_lines

    unit_gdf = _read(units, "units")
    outer_gdf = _read(outer, "units") if outer else None
    table = _read_table(overrides) if overrides else None
    with _step("提取界线"):
        return boundary_lines(unit_gdf, tolerance_m=tolerance, outer=outer_gdf, overrides=table)


def _read_table(path: str):
    from .io import read_table

    return read_table(path)


UnitsReq = Annotated[str, typer.Option(help="行政区面图层（Shapefile/GeoPackage，含名称、代码字段）")]
OuterOpt = Annotated[str | None, typer.Option(help="相邻的外部行政区面图层（提取本区与外部的界线，如嘉湖线）")]
TolOpt = Annotated[float | None, typer.Option(help="界线匹配容差（米），默认 50")]
OverOpt = Annotated[str | None, typer.Option(help="界线名称覆盖表（CSV/Excel：side_a_code、side_b_code、line_name）")]


@boundary_app.command("lines")
def boundary_lines_cmd(
    units: UnitsReq,
    out: Annotated[Path, typer.Option("--out", "-o", help="输出界线 GeoPackage（.gpkg）")],
    outer: OuterOpt = None,
    tolerance: TolOpt = None,
    overrides: OverOpt = None,
    excel: Annotated[Path | None, typer.Option(help="同时输出 Excel 表（界线、三交点、缝隙/重叠）")] = None,
) -> None:
    """从行政区面提取界线（两侧名称与代码、长度、三交点、缝隙与重叠）。"""
    res = _boundary_lines(units, outer, tolerance, overrides)
    _print_table(res.lines.drop(columns="geometry"))
    _echo(f"已写出：{res.to_file(out)}")
    if excel is not None:
        _echo(f"已写出：{res.to_excel(excel)}")


@boundary_app.command("checklist")
def boundary_checklist_cmd(
    units: UnitsReq,
    markers: Annotated[str, typer.Option(help="界桩登记表（CSV/Excel，可加 @坐标系）")],
    out: Annotated[Path, typer.Option("--out", "-o", help="输出检查表 Excel（.xlsx）；每条界线一个工作簿时为文件夹")],
    outer: OuterOpt = None,
    tolerance: TolOpt = None,
    overrides: OverOpt = None,
    roads: Annotated[str | None, typer.Option(help="道路线图层（列出穿越点）")] = None,
    rivers: Annotated[str | None, typer.Option(help="河流线图层（列出穿越点）")] = None,
    railways: Annotated[str | None, typer.Option(help="铁路线图层（列出穿越点）")] = None,
    last_year: Annotated[int | None, typer.Option(help="上次联检年份（所有界线相同时）")] = None,
    year: Annotated[int | None, typer.Option(help="本次联检年份，默认今年")] = None,
    per_line: Annotated[bool, typer.Option(help="每条界线单独一个工作簿")] = False,
    html: Annotated[Path | None, typer.Option(help="同时输出可打印的 HTML 检查表")] = None,
) -> None:
    """生成界线联检检查表：界线概况、界桩检查表（含现场填写栏）、穿越点、问题清单、签字栏。"""
    from .boundary import inspection_checklist, lines_due

    res = _boundary_lines(units, outer, tolerance, overrides)
    mk = _read(markers, "markers")
    feats = {k: _read(v, kind) for k, v, kind in (("道路", roads, "roads"), ("河流", rivers, "rivers"),
                                                 ("铁路", railways, "railways")) if v}
    from .boundary import line_crossings

    crossings = line_crossings(res, feats) if feats else None
    last = dict.fromkeys(res.lines["line_name"], last_year) if last_year else None
    with _step("生成检查表"):
        checklist = inspection_checklist(res, mk, crossings, last_inspection=last, year=year)
    if last is not None:
        _print_table(lines_due(last, year=year))
    written = checklist.to_excel(out, per_line_workbooks=per_line)
    for w in written if isinstance(written, (list, tuple)) else [written]:
        _echo(f"已写出：{w}")
    if html is not None:
        _echo(f"已写出：{checklist.to_html(html)}")
    _print_table(checklist.findings)


@boundary_app.command("results")
def boundary_results_cmd(
    paths: Annotated[list[Path], typer.Argument(help="现场填写后的检查表工作簿（可多个）")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="输出更新后的界桩登记表与维修清单（.xlsx）")] = None,
) -> None:
    """回读现场填写的检查表：校验、更新界桩登记表、列出需维修或重测的界桩（有错误时退出码为 1）。"""
    from .boundary import read_inspection_results

    res = read_inspection_results([str(p) for p in paths])
    errors = [p for p in res.problems if getattr(p, "severity", "error") == "error"]
    for prob in res.problems:
        _echo(str(prob))
    _echo(f"需维修或重测的界桩：{len(res.repairs)} 个")
    _print_table(res.repairs.drop(columns="geometry", errors="ignore"))
    if out is not None:
        _echo(f"已写出：{res.to_excel(out)}")
    raise typer.Exit(1 if errors else 0)


# --------------------------------------------------------------------------------------------
# maps
# --------------------------------------------------------------------------------------------
@app.command("map")
def map_cmd(
    path: Annotated[str, typer.Argument(help="图层文件或分析结果 GeoPackage（可加 @坐标系）")],
    out: Annotated[Path, typer.Option("--out", "-o", help="输出 HTML 地图")],
    kind: Annotated[str | None, typer.Option(help="图层类型（设施点图层时决定图标），如 shelters")] = None,
    layer: Annotated[str | None, typer.Option(help="GeoPackage 图层名（分析结果的 points、units 等）")] = None,
    column: Annotated[str | None, typer.Option(help="面图层按此字段分级设色，如 beds_per_1000、share_covered")] = None,
    target: Annotated[float | None, typer.Option(help="分级设色的目标值（如 37.5），颜色以此为中心")] = None,
    units: UnitsOpt = None,
    title: Annotated[str | None, typer.Option(help="地图标题")] = None,
    basemap: Annotated[str, typer.Option(help="底图：none（离线，默认）、osm、tianditu、tianditu_img、amap")] = "none",
    online: Annotated[bool, typer.Option(help="允许从 CDN 加载脚本（默认完全离线的单个 HTML 文件）")] = False,
) -> None:
    """绘制图层或分析结果的 HTML 地图（默认离线可用，可用浏览器直接打开）。"""
    import geopandas as gpd

    from . import maps
    from .layers import set_kind

    bm = None if basemap.lower() in {"none", "无", ""} else basemap
    fpath, _ = _split_spec(path)
    if kind:
        gdf = _read(path, kind, layer=layer) if fpath.lower().endswith(".gpkg") else _read(path, kind)
    else:
        gdf = gpd.read_file(fpath, layer=layer)
        gdf.attrs["mzgeo_source"] = Path(fpath).name
    unit_gdf = _read(units, "units") if units else None
    geom = set(gdf.geom_type.dropna().unique())
    name = title or Path(fpath).stem
    if column and geom <= {"Polygon", "MultiPolygon"}:
        m = maps.choropleth(gdf, column, target=target, title=name, basemap=bm)
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
    _echo(f"已写出：{maps.save(m, out, offline=not online)}")


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
