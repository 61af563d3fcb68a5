"""Commands on layers: ``mzgeo validate`` (check an input file) and ``mzgeo map`` (draw one)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import InputError
from ._common import (
    _echo,
    _encoding,
    _read,
    _read_any,
    _split_spec,
    _text_encoding,
)
from ._parser import UsageError, _number, command


def _cmd_validate(args: argparse.Namespace) -> int:
    from ..io.read import read_reference
    from ..io.read import validate as _validate

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


def _cmd_map(args: argparse.Namespace) -> int:
    from .. import maps
    from ..layers import set_kind

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


def add_validate(cmds: Any) -> None:
    """Add ``validate``."""
    p = command(cmds, "validate", _cmd_validate, "检查输入文件，一次列出全部问题（有错误时退出码为 1）。")
    p.file_in("path", help="要检查的文件（CSV/Excel/GeoPackage/Shapefile/GeoJSON）")
    p.add_argument("-k", "--kind", required=True, help="图层类型，如 shelters / 避灾安置场所")
    p.add_argument("--crs", help="坐标系：wgs84、cgcs2000、gcj02（高德）、bd09（百度）或 EPSG 代码")
    p.add_argument("--sheet", help="Excel 工作表名称")
    p.add_argument("--layer", help="GeoPackage 图层名")
    p.file_in("--reference", help="参照图层（用于判断研究区范围和高德坐标）")
    _encoding(p)


def add_map(cmds: Any) -> None:
    """Add ``map``."""
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
