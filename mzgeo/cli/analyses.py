"""The analysis commands: ``coverage``, ``beds``, ``access``, ``shelters``, ``burial``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import (
    _common_network,
    _demand_and_costs,
    _encoding,
    _gpkg,
    _out_xlsx,
    _partitioned,
    _print_table,
    _read,
    _scaled,
    _split_spec,
    _step,
    _write,
)
from ._parser import UsageError, _integer, _number, command


def _cmd_coverage(args: argparse.Namespace) -> int:
    from ..analysis.coverage import coverage as _coverage

    fac = _read(args.facilities, args.kind, args.encoding)
    dem, unit_gdf, net, cost_df = _demand_and_costs(args)
    minutes = args.minutes
    kw = _partitioned(args, net)
    with _step("计算覆盖"), _scaled(kw):
        res = _coverage(fac, dem, network=net, cost=cost_df, minutes=minutes if len(minutes) > 1 else minutes[0],
                        weight_col=None if args.weight_col.lower() == "none" else args.weight_col,
                        units=unit_gdf, **kw)
    _print_table(res.summary())
    _write(res, args.out, args.gpkg)
    return 0


def _cmd_beds(args: argparse.Namespace) -> int:
    from ..analysis.beds import bed_ratio

    inst = _read(args.institutions, "institutions", args.encoding)
    unit_gdf = _read(args.units, "units", args.encoding)
    with _step("计算每千名老人床位数"):
        res = bed_ratio(inst, unit_gdf, target_per_1000=args.target_per_1000, nursing_share_target=args.nursing_share)
    _print_table(res.below_target)
    _write(res, args.out, args.gpkg)
    return 0


#: ``mzgeo access --method`` choices: the keys of :data:`mzgeo.analysis.access.ALL_METHODS`
#: (kept here so that building the parser imports no analysis code; a test checks they agree).
ACCESS_METHODS = ("2sfca", "e2sfca", "g2sfca", "3sfca", "gravity", "fca", "weighted_catchment", "raam")
#: Method-specific options of ``mzgeo access``: dest → (methods using it, keyword of mzgeo.accessibility).
_ACCESS_OPTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "weights": (("e2sfca", "3sfca", "weighted_catchment"), "weights"),
    "sigma_minutes": (("g2sfca", "weighted_catchment"), "sigma_minutes"),
    "selection_minutes": (("3sfca",), "selection_minutes"),
    "tau": (("raam",), "tau"),
    "rho": (("raam",), "rho"),
    "max_cycles": (("raam",), "max_cycles"),
    "gravity_alpha": (("gravity",), "gravity_alpha"),
    "gravity_scale_minutes": (("gravity",), "gravity_scale_minutes"),
}


def _step_weights(text: str) -> dict[float, float]:
    """``--weights 10:1,20:0.68,30:0.22``: step weights ``{upper bound (minutes): weight}``."""
    out: dict[float, float] = {}
    for part in text.replace("，", ",").split(","):
        bound, sep, weight = part.partition(":")
        try:
            if not sep:
                raise ValueError(part)
            out[_number(bound.strip())] = _number(weight.strip())
        except (ValueError, argparse.ArgumentTypeError):
            msg = f"「{text}」不是分段权重：应写成 上限分钟:权重，用逗号分隔，如 10:1,20:0.68,30:0.22"
            raise argparse.ArgumentTypeError(msg) from None
    return out


def _check_access(args: argparse.Namespace) -> None:
    """Refuse a method-specific option given with a method that does not use it (usage error)."""
    for dest, (methods, _) in _ACCESS_OPTIONS.items():
        if getattr(args, dest) is not None and args.method not in methods:
            flag = "--" + dest.replace("_", "-")
            msg = (f"mzgeo access：选项 {flag} 只用于方法 {'、'.join(methods)}，"
                   f"不用于 --method {args.method}")
            raise UsageError(msg)


def _cmd_access(args: argparse.Namespace) -> int:
    from ..analysis.beds import accessibility

    sup = _read(args.supply, "institutions", args.encoding)
    dem, unit_gdf, net, cost_df = _demand_and_costs(args)
    options = {kw: getattr(args, dest) for dest, (_, kw) in _ACCESS_OPTIONS.items() if getattr(args, dest) is not None}
    kw = _partitioned(args, net)
    with _step(f"计算可达性（{args.method}）"), _scaled(kw):
        res = accessibility(sup, dem, network=net, cost=cost_df, method=args.method, minutes=args.minutes,
                            supply_col=args.supply_col, weight_col=args.weight_col, units=unit_gdf,
                            target_per_1000=args.target_per_1000, **options, **kw)
    _write(res, args.out, args.gpkg)
    return 0


def _cmd_shelters(args: argparse.Namespace) -> int:
    from ..analysis.shelters import shelter_adequacy

    sh = _read(args.shelters, "shelters", args.encoding)
    dem, unit_gdf, net, cost_df = _demand_and_costs(args)
    kw = _partitioned(args, net)
    with _step("求解安置分配"), _scaled(kw):
        res = shelter_adequacy(sh, dem, network=net, cost=cost_df, minutes=args.minutes,
                               area_per_person_m2=args.area_per_person_m2, units=unit_gdf, **kw)
    _write(res, args.out, args.gpkg)
    return 0


def _cmd_burial(args: argparse.Namespace) -> int:
    from ..analysis.burial import burial_zone_check

    enc = args.encoding
    pts = _read(args.points, args.kind, enc)
    line_layers = {Path(_split_spec(s)[0]).stem: _read(s, "roads", enc) for s in (args.lines or [])}
    zone_gdf = _read(args.zones, "zones", enc) if args.zones else None
    unit_gdf = _read(args.units, "units", enc) if args.units else None
    with _step("检查禁葬区"):
        res = burial_zone_check(pts, lines=line_layers or None, zones=zone_gdf, units=unit_gdf)
    _write(res, args.out, args.gpkg)
    return 0


def add_commands(cmds: Any) -> None:
    """Add ``coverage``, ``beds``, ``access``, ``shelters`` and ``burial``."""
    p = command(cmds, "coverage", _cmd_coverage, "设施服务覆盖：每个需求点的最近设施与出行时间、分区覆盖率、覆盖缺口。")
    p.file_in("--facilities", required=True, help="设施文件，可加 @坐标系，如 设施.csv@gcj02")
    p.file_in("--demand", required=True, help="需求点文件（村社区点）")
    p.add_argument("--minutes", type=_number, action="append", required=True,
                   help="时间阈值（分钟），可重复：--minutes 5 --minutes 10")
    _out_xlsx(p)
    p.add_argument("--kind", default="shelters", help="设施类型：shelters、daycare、institutions、cemeteries")
    p.add_argument("--weight-col", default="elderly", help="需求权重字段：elderly（默认）、population 或 none")
    _common_network(p, "walk", scale=True)
    p.file_in("--units", help="行政区面图层（用于分区汇总）")
    _gpkg(p)
    _encoding(p)

    p = command(cmds, "beds", _cmd_beds, "每千名老人床位数、床位缺口与护理型床位占比（按行政区，逐级汇总）。")
    p.file_in("--institutions", required=True, help="养老机构文件，可加 @坐标系")
    p.file_in("--units", required=True, help="行政区面图层（含老年人口）")
    _out_xlsx(p)
    p.add_argument("--target-per-1000", type=_number, help="每千名老人床位数目标，默认 37.5")
    p.add_argument("--nursing-share", type=_number, help="护理型床位占比目标，默认 0.55")
    _gpkg(p)
    _encoding(p)

    p = command(cmds, "access", _cmd_access, "可达床位（两步移动搜索法 2SFCA 家族）：每千名老人在时间范围内可达的床位数。")
    p.file_in("--supply", required=True, help="供给设施（养老机构）文件")
    p.file_in("--demand", required=True, help="需求点文件（村社区点，含老年人口）")
    _out_xlsx(p)
    p.set_defaults(_check=_check_access)
    p.add_argument("--method", default="2sfca", choices=ACCESS_METHODS, metavar="方法",
                   help="可达性方法：2sfca（两步移动搜索法，默认）、e2sfca（分段权重）、g2sfca（高斯权重）、"
                        "3sfca（三步移动搜索法）、gravity（引力模型）、fca（服务范围供需比）、"
                        "weighted_catchment（加权服务范围供给量）、raam（理性主体可达性模型）")
    p.add_argument("--minutes", type=_number, help="服务范围（分钟），默认 30")
    p.add_argument("--supply-col", default="beds", help="供给量字段（默认 beds）")
    p.add_argument("--weight-col", default="elderly", help="需求量字段（默认 elderly）")
    p.add_argument("--target-per-1000", type=_number, help="每千名老人床位数目标（与行政口径比较），默认 37.5")
    p.add_argument("--weights", type=_step_weights,
                   help="分段权重（e2sfca、3sfca、weighted_catchment）：上限分钟:权重，如 10:1,20:0.68,30:0.22")
    p.add_argument("--sigma-minutes", type=_number,
                   help="高斯衰减宽度（分钟；g2sfca、weighted_catchment），默认服务范围的一半")
    p.add_argument("--selection-minutes", type=_number, help="3sfca：分配选择权重的时间范围（分钟），默认服务范围")
    p.add_argument("--tau", type=_number, help="raam：与平均拥挤程度等价的出行时间（分钟），默认 60")
    p.add_argument("--rho", type=_number, help="raam：拥挤尺度，默认总需求 ÷ 总供给")
    p.add_argument("--max-cycles", type=_integer, help="raam：最多迭代轮数，默认 150")
    p.add_argument("--gravity-alpha", type=_number, help="gravity：距离衰减指数，默认 -1")
    p.add_argument("--gravity-scale-minutes", type=_number, help="gravity：衰减尺度（分钟），默认服务范围")
    _common_network(p, "drive", scale=True)
    p.file_in("--units", help="行政区面图层（用于分区汇总）")
    _gpkg(p)
    _encoding(p)

    p = command(cmds, "shelters", _cmd_shelters, "避灾安置场所容量与可达性：在时间上限内按容量安置居民（HiGHS 线性规划）。")
    p.file_in("--shelters", required=True, help="避灾安置场所文件")
    p.file_in("--demand", required=True, help="需求点文件（村社区点，含人口）")
    _out_xlsx(p)
    p.add_argument("--minutes", type=_number, help="步行时间上限（分钟），默认 10")
    p.add_argument("--area-per-person-m2", type=_number, help="人均安置面积（平方米），默认 1.5")
    _common_network(p, "walk", scale=True)
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
