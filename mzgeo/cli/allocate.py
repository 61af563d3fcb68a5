"""``mzgeo allocate``: where new facilities close the coverage gap (location models)."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import (
    _common_network,
    _echo,
    _encoding,
    _gpkg,
    _network,
    _out_xlsx,
    _print_table,
    _read,
    _read_cost,
    _step,
    _write,
)
from ._parser import UsageError, _integer, _number, command


def _cmd_allocate(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..locate import allocate as _allocate
    from ..locate import candidate_sites

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
                        weight_col=None if args.weight_col.lower() == "none" else args.weight_col,
                        time_limit_s=args.time_limit_s, **extra)
    _echo(res.headline)
    _print_table(res.selected)
    _write(res, args.out, args.gpkg)
    return 0


def _check_options(args: argparse.Namespace) -> None:
    """Options that only make sense together (checked with the other usage errors)."""
    if args.model == "beds" and args.beds_to_add is None:
        msg = "mzgeo allocate：beds 模型需要 --beds-to-add（新增床位总数，如 mzgeo beds 算出的床位缺口）"
        raise UsageError(msg)


def add_commands(cmds: Any) -> None:
    """Add ``allocate``."""
    p = command(cmds, "allocate", _cmd_allocate, "选址：新增设施放在哪里能最大程度弥补覆盖缺口（HiGHS 求解）。")
    p.set_defaults(_check=_check_options)
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
    p.add_argument("--weight-col", default="elderly", help="需求权重字段：elderly（默认）、population 或 none")
    p.add_argument("--capacity-col", help="容量字段（带容量模型）")
    p.add_argument("--time-limit-s", type=_number, help="求解时间上限（秒）；到时返回当前最好解及其最优性差距")
    p.add_argument("--beds-to-add", type=_number, help="beds 模型：新增床位总数（张），如床位缺口")
    _common_network(p, "walk")
    _gpkg(p)
    _encoding(p)
