"""Location problem data: cost pairs, demand weights, site labels, and the shared coverage pieces.

A location model works on positions only: demand rows ``0..n-1`` and sites ``0..m-1``
(existing facilities first, then candidates), with the reachable (row, site, minutes) pairs in a
:class:`~mzgeo.locate._highs.Pairs`. This module turns cost inputs (``ODMatrix``, long table,
sparse or dense matrix) and layers (:func:`_layers_problem`: the one CRS policy
:func:`mzgeo.crs.analysis_layers`, the shared :func:`mzgeo.analysis.result.check_frame`) into
that :class:`_Problem`, and holds the pieces every model shares (solve context, solution
container, coverage setup and greedy order, parameter checks).
"""


from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import settings
from ..crs import analysis_layers
from ..errors import InputError, NotSolvedError
from ..io.checks import check_frame
from ._highs import (
    INF,
    HighsOutcome,
    Pairs,
    coverage_matrix,
    dominated_columns,
    greedy_max_cover,
    group_identical_rows,
)

log = logging.getLogger("mzgeo")


#: ``site_kind`` value of an existing (required) facility.
SITE_EXISTING = "现有"
#: ``site_kind`` value of a newly selected site.
SITE_NEW = "新增"

#: Default relative MIP gap at which HiGHS stops: 0 = prove the optimum exactly.
DEFAULT_MIP_GAP = 0.0
#: Largest true relative gap still reported as a proven optimum (status ``"Optimal"``).
PROVEN_GAP = 1e-9
#: Status of a solve that HiGHS ended within a positive ``mip_gap`` (not a proven optimum).
STATUS_WITHIN_GAP = "Optimal within mip_gap"
#: Share of the time limit spent at most on the greedy + swap warm start.
_WARM_START_SHARE = 0.1

_EPS = 1e-9


# ============================================================================================
# problem data
# ============================================================================================
@dataclass
class _Problem:
    """Positions-only data of a location problem (sites = existing first, then candidates)."""

    demand_labels: pd.Index
    w: np.ndarray
    site_labels: np.ndarray
    site_kind: np.ndarray  # 0 = existing (required), 1 = candidate
    pairs: Pairs
    capacity: np.ndarray | None = None  # per site, inf = unlimited
    demand_geom: Any = None
    site_geom: Any = None
    demand_name: np.ndarray | None = None
    site_name: np.ndarray | None = None
    site_attrs: dict[str, np.ndarray] = field(default_factory=dict)
    crs: Any = None
    cost_source: str = "cost_matrix"
    source_info: dict[str, Any] = field(default_factory=dict)
    build_time_s: float = 0.0

    @property
    def n(self) -> int:
        return len(self.demand_labels)

    @property
    def m(self) -> int:
        return len(self.site_labels)

    @property
    def existing(self) -> np.ndarray:
        return self.site_kind == 0

    @property
    def candidate(self) -> np.ndarray:
        return self.site_kind == 1


def _as_table(cost: Any) -> Any:
    """Return the long-form table of an ``ODMatrix``-like object; anything else unchanged."""
    if isinstance(cost, (pd.DataFrame, np.ndarray)) or sp.issparse(cost):
        return cost
    table = getattr(cost, "table", None)
    if isinstance(table, pd.DataFrame):
        return table
    return cost


def _pairs_arrays(
    cost: Any, demand_labels: pd.Index, site_labels: pd.Index, what: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, col, minutes) of a cost input against known demand and site labels."""
    cost = _as_table(cost)
    n, m = len(demand_labels), len(site_labels)
    if isinstance(cost, pd.DataFrame):
        missing = [c for c in ("origin", "destination", "minutes") if c not in cost.columns]
        if missing:
            msg = (
                f"{what} 缺少列 {missing}：长表需要 origin（需求点索引）、destination（设施索引）、"
                f"minutes（分钟）三列；现有列 {list(cost.columns)}"
            )
            raise InputError(msg)
        minutes = pd.to_numeric(cost["minutes"], errors="coerce").to_numpy(dtype=np.float64)
        row = demand_labels.get_indexer(pd.Index(cost["origin"]))
        col = site_labels.get_indexer(pd.Index(cost["destination"]))
        bad = (row < 0) | (col < 0)
        if bad.any():
            n_bad = int(bad.sum())
            examples = cost.loc[bad, ["origin", "destination"]].head(3).to_dict("records")
            if n_bad == len(cost) and len(cost):
                msg = (
                    f"{what} 的 origin/destination 与需求点、设施的索引都对不上（例如 {examples}）："
                    "origin 应为需求点的索引值，destination 应为设施的索引值"
                )
                raise InputError(msg)
            log.warning("%s：%d 行的 origin/destination 不在需求点或设施中，已忽略（例如 %s）", what, n_bad, examples)
        row, col, minutes = row[~bad], col[~bad], minutes[~bad]
    elif sp.issparse(cost):
        coo = sp.coo_matrix(cost)
        if coo.shape != (n, m):
            msg = f"{what} 的形状 {coo.shape} 与需求点 × 设施 ({n}, {m}) 不一致"
            raise InputError(msg)
        row, col, minutes = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64)
    else:
        arr = np.asarray(cost, dtype=np.float64)
        if arr.ndim != 2 or arr.shape != (n, m):
            msg = f"{what} 的形状 {arr.shape} 与需求点 × 设施 ({n}, {m}) 不一致"
            raise InputError(msg)
        row, col = np.nonzero(np.isfinite(arr))
        minutes = arr[row, col]
    finite = np.isfinite(minutes)
    if (minutes[finite] < 0).any():
        msg = f"{what} 含负的出行时间（分钟）；请检查数据"
        raise InputError(msg)
    return row.astype(np.int64), col.astype(np.int64), minutes


def _weights(weights: Any, n: int | None, demand_labels: pd.Index | None) -> tuple[np.ndarray, pd.Index]:
    if weights is None:
        if demand_labels is None:
            if n is None:
                msg = "需要 weights（需求权重）或 demand_labels 来确定需求点"
                raise InputError(msg)
            demand_labels = pd.RangeIndex(n)
        return np.ones(len(demand_labels)), demand_labels
    if isinstance(weights, pd.Series):
        labels = weights.index if demand_labels is None else pd.Index(demand_labels)
        values = pd.to_numeric(weights, errors="coerce").to_numpy(dtype=np.float64)
    else:
        values = np.asarray(weights, dtype=np.float64).ravel()
        labels = pd.RangeIndex(len(values)) if demand_labels is None else pd.Index(demand_labels)
    if len(values) != len(labels):
        msg = f"需求权重有 {len(values)} 个值，但有 {len(labels)} 个需求点"
        raise InputError(msg)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        examples = list(labels[bad][:5])
        msg = f"需求权重须为非负数字；{int(bad.sum())} 个需求点不是（例如索引 {examples}），请补全或删除"
        raise InputError(msg)
    if not labels.is_unique:
        dup = list(labels[labels.duplicated()][:5])
        msg = f"需求点索引有重复值 {dup}；请先 reset_index() 或设置唯一索引"
        raise InputError(msg)
    return values, labels


def _labels_from(cost: Any, given: Any, what: str, n_expected: int | None = None) -> pd.Index:
    if given is not None:
        labels = pd.Index(given.index if isinstance(given, (pd.DataFrame, pd.Series)) else given)
    else:
        cost = _as_table(cost)
        if isinstance(cost, pd.DataFrame):
            if "destination" not in cost.columns:
                labels = pd.Index([])
            else:
                uniq = pd.unique(cost["destination"])
                with contextlib.suppress(TypeError):
                    uniq = np.sort(uniq)
                labels = pd.Index(uniq)
        elif cost is None:
            labels = pd.Index([])
        else:
            shape = cost.shape if sp.issparse(cost) else np.shape(cost)
            labels = pd.RangeIndex(shape[1])
    if not labels.is_unique:
        dup = list(labels[labels.duplicated()][:5])
        msg = f"{what}索引有重复值 {dup}；请设置唯一索引"
        raise InputError(msg)
    return labels


def _site_values(values: Any, labels: pd.Index, what: str, default: float = INF) -> np.ndarray:
    """Per-site numbers from a scalar, mapping, Series (by label) or array (by order)."""
    m = len(labels)
    if values is None:
        return np.full(m, default)
    if np.isscalar(values):
        out = np.full(m, float(values))
    elif isinstance(values, pd.Series):
        out = pd.to_numeric(values.reindex(labels), errors="coerce").to_numpy(dtype=np.float64)
    elif isinstance(values, Mapping):
        out = pd.to_numeric(pd.Series(values).reindex(labels), errors="coerce").to_numpy(dtype=np.float64)
    else:
        out = np.asarray(values, dtype=np.float64).ravel()
        if len(out) != m:
            msg = f"{what} 有 {len(out)} 个值，但有 {m} 个设施"
            raise InputError(msg)
    bad = np.isnan(out) | (out < 0)
    if bad.any():
        msg = f"{what} 须为非负数字；{int(bad.sum())} 个设施缺失或为负（例如 {list(labels[bad][:5])}）"
        raise InputError(msg)
    return out


def _build_problem(
    cost: Any,
    weights: Any,
    *,
    existing_cost: Any = None,
    demand_labels: Any = None,
    candidate_labels: Any = None,
    existing_labels: Any = None,
    required: Sequence | None = None,
    capacity: Any = None,
    existing_capacity: Any = None,
    need_capacity: bool = False,
) -> _Problem:
    t0 = time.perf_counter()
    cost_t = _as_table(cost)
    n_hint = None
    if cost_t is not None and not isinstance(cost_t, pd.DataFrame):
        n_hint = (cost_t.shape if sp.issparse(cost_t) else np.shape(cost_t))[0]
    if weights is None and demand_labels is None and isinstance(cost_t, pd.DataFrame):
        uniq = pd.unique(cost_t["origin"]) if "origin" in cost_t.columns else []
        demand_labels = pd.Index(np.sort(uniq) if len(uniq) else uniq)
    w, dlabels = _weights(weights, n_hint, None if demand_labels is None else pd.Index(demand_labels))
    cand = _labels_from(cost, candidate_labels, "候选点")
    exist = (
        _labels_from(existing_cost, existing_labels, "现有设施")
        if (existing_cost is not None or existing_labels is not None)
        else pd.Index([])
    )
    rows, cols, mins = [], [], []
    if len(exist):
        if existing_cost is None:
            msg = "给了现有设施却没有它们的出行时间（existing_cost）"
            raise InputError(msg)
        r, c, t = _pairs_arrays(existing_cost, dlabels, exist, "现有设施出行时间表")
        rows.append(r), cols.append(c), mins.append(t)
    if cost is not None and len(cand):
        r, c, t = _pairs_arrays(cost, dlabels, cand, "出行时间表")
        rows.append(r), cols.append(c + len(exist)), mins.append(t)
    n, m = len(dlabels), len(exist) + len(cand)
    def cat(parts: list, dt: Any) -> np.ndarray:
        return np.concatenate(parts).astype(dt) if parts else np.zeros(0, dtype=dt)

    pairs = Pairs.from_arrays(n, m, cat(rows, np.int64), cat(cols, np.int64), cat(mins, np.float64))
    labels = np.empty(m, dtype=object)
    labels[: len(exist)] = list(exist)
    labels[len(exist) :] = list(cand)
    kind = np.r_[np.zeros(len(exist), dtype=np.int8), np.ones(len(cand), dtype=np.int8)]
    if required is not None and len(required):
        pos = cand.get_indexer(pd.Index(list(required)))
        if (pos < 0).any():
            msg = f"required 中的 {list(pd.Index(list(required))[pos < 0][:5])} 不是候选点"
            raise InputError(msg)
        kind[len(exist) + pos] = 0
    cap = None
    if capacity is not None or existing_capacity is not None or need_capacity:
        if need_capacity and capacity is None:
            msg = "该模型需要候选点容量（capacity / capacity_col）"
            raise InputError(msg)
        cap = np.r_[
            _site_values(existing_capacity, exist, "现有设施容量") if len(exist) else np.zeros(0),
            _site_values(capacity, cand, "候选点容量"),
        ]
    prob = _Problem(dlabels, w, labels, kind, pairs, cap)
    prob.build_time_s = time.perf_counter() - t0
    return prob


# ============================================================================================
# the solve context and result container
# ============================================================================================
@dataclass
class _Ctx:
    start: float
    time_limit_s: float | None
    mip_gap: float
    options: dict

    def remaining(self) -> float | None:
        if self.time_limit_s is None:
            return None
        return max(self.time_limit_s - (time.perf_counter() - self.start), 0.01)

    def deadline(self, share: float = 1.0) -> float | None:
        if self.time_limit_s is None:
            return None
        return time.perf_counter() + share * (self.remaining() or 0.0)

    def highs(self, **kw: Any) -> dict:
        return {"time_limit_s": self.remaining(), "mip_gap": self.mip_gap, "options": self.options, **kw}


@dataclass
class _Solution:
    """Internal result of a model's core solve (positions only)."""

    open: np.ndarray  # bool per site
    objective: float
    bound: float
    gap: float
    status: str
    highs_time_s: float = 0.0
    nodes: int = 0
    radius: float = INF  # demand within this time counts as covered
    flows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # (row, col, share)
    order: np.ndarray | None = None  # new sites in order of marginal gain
    gains: np.ndarray | None = None  # objective-unit gain of each ordered site
    curve: pd.DataFrame | None = None
    infeasible_rows: np.ndarray | None = None
    info: dict = field(default_factory=dict)


def _pair_minutes(pairs: Pairs, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Travel time of given (row, col) pairs (inf when the pair is absent)."""
    key = pairs.row * pairs.n_cols + pairs.col
    q = rows.astype(np.int64) * pairs.n_cols + cols.astype(np.int64)
    pos = np.searchsorted(key, q)
    pos = np.clip(pos, 0, max(len(key) - 1, 0))
    ok = (len(key) > 0) & (key[pos] == q) if len(key) else np.zeros(len(q), dtype=bool)
    return np.where(ok, pairs.minutes[pos] if len(key) else INF, INF)


def _points(geom: Any) -> np.ndarray:
    """Geometry array → point array (representative points for lines and polygons)."""
    import shapely

    arr = np.asarray(getattr(geom, "values", geom), dtype=object)
    arr = np.asarray(shapely.from_wkb(shapely.to_wkb(arr)) if arr.dtype != object else arr)
    is_point = shapely.get_type_id(arr) == 0
    out = arr.copy()
    if (~is_point).any():
        out[~is_point] = shapely.point_on_surface(arr[~is_point])
    return out


def _highs_version() -> str:
    from ._highs import highs_version

    return highs_version()


# ============================================================================================
# shared pieces of the coverage models
# ============================================================================================
def _coverage_setup(prob: _Problem, minutes: float | None) -> tuple[Pairs, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs within ``minutes``; active demand; demand covered by existing; reachable by a candidate."""
    pw = prob.pairs.within(minutes)
    active = prob.w > 0
    ex_pair = prob.existing[pw.col]
    exist_cov = np.zeros(prob.n, dtype=bool)
    exist_cov[pw.row[ex_pair]] = True
    cand_reach = np.zeros(prob.n, dtype=bool)
    cand_reach[pw.row[~ex_pair]] = True
    return pw, active, exist_cov, cand_reach


def _first_of_groups(groups: np.ndarray) -> np.ndarray:
    """Position of the first member of each group (groups numbered 0..g-1)."""
    ng = int(groups.max()) + 1 if len(groups) else 0
    first = np.full(ng, len(groups), dtype=np.int64)
    np.minimum.at(first, groups, np.arange(len(groups)))
    return first


def _reduced_cover(
    pw: Pairs, rows: np.ndarray, cols: np.ndarray, w: np.ndarray, *, drop_dominated: bool = True
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, dict]:
    """Coverage matrix of ``rows`` × ``cols`` with identical rows merged and dominated columns dropped.

    Returns the reduced matrix, the merged row weights, the site positions of its columns and
    counts of the reductions (for the parameters sheet).
    """
    a = coverage_matrix(pw, rows=rows, cols=cols)
    groups = group_identical_rows(a)
    first = _first_of_groups(groups)
    wg = np.bincount(groups, weights=w[rows], minlength=len(first))
    ag = a[first]
    keep = np.flatnonzero(~dominated_columns(ag)) if drop_dominated else np.arange(ag.shape[1])
    info = {
        "n_rows_before_reduction": int(len(rows)),
        "n_rows_model": int(ag.shape[0]),
        "n_rows_merged": int(len(rows) - ag.shape[0]),
        "n_candidates_before_reduction": int(len(cols)),
        "n_candidates_model": int(len(keep)),
        "n_candidates_dominated": int(ag.shape[1] - len(keep)),
        "reductions": f"rows {len(rows)} -> {ag.shape[0]}, columns {len(cols)} -> {len(keep)}",
    }
    ag = ag[:, keep].tocsr()
    log.info(
        "模型约简：需求点 %d → %d 组（合并候选集相同者），候选点 %d → %d（去掉被支配者）",
        len(rows), ag.shape[0], len(cols), len(keep),
    )
    return ag, wg, cols[keep], info


def _coverage_order(
    prob: _Problem, pw: Pairs, chosen: np.ndarray
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Greedy order of ``chosen`` sites by weight newly covered within the pairs ``pw``."""
    w = np.where(prob.w > 0, prob.w, 0.0)
    ex_pair = prob.existing[pw.col]
    covered0 = np.zeros(prob.n, dtype=bool)
    covered0[pw.row[ex_pair]] = True
    chosen = np.asarray(chosen, dtype=np.int64)
    if len(chosen):
        a = coverage_matrix(pw, cols=chosen)
        picked, gains = greedy_max_cover(a, w, len(chosen), covered0)
        rest = np.setdiff1d(np.arange(len(chosen)), picked, assume_unique=True)
        idx = np.r_[picked, rest].astype(np.int64)
        gains = np.r_[gains, np.zeros(len(rest))]
        order = chosen[idx]
    else:
        order, gains = chosen, np.zeros(0)
    base = float(w[covered0].sum())
    curve = _curve_frame(prob, order, base + np.r_[0.0, np.cumsum(gains)])
    return order, gains, curve


def _curve_frame(prob: _Problem, order: np.ndarray, covered: np.ndarray) -> pd.DataFrame:
    total = float(prob.w.sum())
    return pd.DataFrame(
        {
            "n_new_sites": np.arange(len(order) + 1),
            "site": pd.array([None, *prob.site_labels[order]], dtype=object),
            "demand_covered": covered,
            "share_covered": covered / total if total > 0 else np.ones(len(covered)),
        }
    )


def _check_p(p: Any, what: str = "p") -> int:
    if p is None:
        msg = f"该模型需要 {what}（新增设施数）"
        raise InputError(msg)
    if isinstance(p, bool) or not float(p).is_integer() or int(p) < 0:
        msg = f"{what} 须为非负整数（新增设施数），不是 {p!r}"
        raise InputError(msg)
    return int(p)


def _check_minutes(minutes: Any, required: bool = True) -> float | None:
    if minutes is None:
        if required:
            msg = "该模型需要 minutes（出行时间阈值，分钟）"
            raise InputError(msg)
        return None
    value = float(minutes)
    if not value >= 0 or not math.isfinite(value):
        msg = f"minutes 须为非负有限数（分钟），不是 {minutes!r}"
        raise InputError(msg)
    return value


def _outcome_or_fallback(out: HighsOutcome, fallback: np.ndarray | None, what: str) -> np.ndarray:
    """Return the HiGHS solution vector, or the heuristic one when HiGHS has none."""
    if out.x is not None:
        return out.x
    if fallback is not None:
        return fallback
    msg = f"{what}：在时限内没有找到可行解（HiGHS 状态：{out.status}）；请放宽时间限制 time_limit_s"
    raise NotSolvedError(msg)


def _rel_gap(objective: float, bound: float) -> float:
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return INF
    g = abs(bound - objective) / max(abs(objective), 1e-9)
    return 0.0 if g < PROVEN_GAP else g  # below HiGHS's own tolerances


# ============================================================================================
# layers → problem
# ============================================================================================
def _geo(df: Any) -> Any:
    import geopandas as gpd

    return df if isinstance(df, gpd.GeoDataFrame) and df.geometry.name in df.columns else None


def _straight_line_table(demand: Any, sites: Any, cutoff: float | None, speed_mps: float) -> pd.DataFrame:
    """Long-form straight-line travel times (minutes) at ``speed_mps``, sparse under a cutoff."""
    import geopandas as gpd
    import shapely

    dp = _points(demand.geometry)
    spts = _points(sites.geometry)
    if cutoff is not None:
        tree = gpd.GeoSeries(spts, crs=sites.crs).sindex
        i, j = tree.query(dp, predicate="dwithin", distance=cutoff * 60.0 * speed_mps)
    else:
        n, m = len(dp), len(spts)
        if n * m > 20_000_000:
            msg = f"没有 minutes 时直线距离要算 {n} × {m} 个点对，太多；请给出 minutes 或使用路网"
            raise InputError(msg)
        i, j = np.repeat(np.arange(n), m), np.tile(np.arange(m), n)
    d = shapely.distance(dp[i], spts[j])
    return pd.DataFrame({"origin": demand.index[i], "destination": sites.index[j],
                         "minutes": d / speed_mps / 60.0})


def _layers_problem(
    demand: Any, candidates: Any, *, existing: Any = None, network: Any = None, cost: Any = None,
    existing_cost: Any = None, cutoff: float | None = None, weight_col: str | None = "elderly",
    capacity_col: str | None = None, name_col: str | None = "name", speed_mps: float | None = None,
    site_cols: Sequence[str] = (),
) -> _Problem:
    t0 = time.perf_counter()
    check_frame(demand, "需求点图层", geometry=False)
    if candidates is None:
        candidates = demand.iloc[:0][[]]
    check_frame(candidates, "候选点图层", geometry=False)
    if existing is not None:
        check_frame(existing, "现有设施图层", geometry=False)
    if weight_col is not None and weight_col not in demand.columns:
        msg = (f"需求点图层没有权重列 {weight_col!r}；现有列 {list(demand.columns)}"
               "（weight_col=None 表示每点权重 1）")
        raise InputError(msg)
    weights = (pd.to_numeric(demand[weight_col], errors="coerce") if weight_col is not None
               else pd.Series(1.0, index=demand.index))
    layers = {"需求点图层": demand, "候选点图层": candidates}
    if existing is not None:
        layers["现有设施图层"] = existing
    # the one CRS policy: geographic or mixed input is projected to one metric CRS
    crs, layers = analysis_layers(layers)
    demand, candidates = layers["需求点图层"], layers["候选点图层"]
    existing = layers.get("现有设施图层")
    if existing is not None and len(existing) and len(candidates):
        overlap = candidates.index.intersection(existing.index)
        if len(overlap):
            msg = (f"候选点与现有设施的索引有重复值 {list(overlap[:5])}；请让两者索引互不相同"
                   "（例如 candidate_sites() 生成的候选点索引为 C00001…）")
            raise InputError(msg)
    from ..network.cost import cost_matrix, describe_source

    ex_df = existing if existing is not None else candidates.iloc[:0]
    source_info: dict[str, Any]
    if cost is not None or network is not None:
        table = None
        if cost is not None:
            table = _as_table(cost)
            if not isinstance(table, pd.DataFrame):
                msg = "from_gdfs / allocate 的 cost 须为长表（origin、destination、minutes）或 ODMatrix"
                raise InputError(msg)
        if table is not None and existing_cost is None and len(ex_df):
            is_ex = pd.Index(table["destination"]).isin(ex_df.index)
            existing_cost, table = table[is_ex], table[~is_ex]
        ex_table = _as_table(existing_cost) if existing_cost is not None else None
        src = {"network": network} if table is None else {"cost": table}
        cost = cost_matrix(demand, candidates, cutoff_minutes=cutoff, **src)[0] if len(candidates) else None
        if len(ex_df):
            src_e = {"network": network} if ex_table is None else {"cost": ex_table}
            existing_cost = cost_matrix(demand, ex_df, cutoff_minutes=cutoff, **src_e)[0]
        source = "network" if table is None else "cost"
        source_info = describe_source(network if table is None else None, table)
    else:
        source = "straight_line"
        missing = [name for name, df in layers.items() if _geo(df) is None]
        if missing:
            msg = f"没有 network 也没有 cost 时需要几何：{missing} 不是 GeoDataFrame"
            raise InputError(msg)
        speed = float(settings.walk_speed_mps if speed_mps is None else speed_mps)
        log.info("没有路网或出行时间表：按直线距离、速度 %.2f 米/秒估算出行时间", speed)
        cost = _straight_line_table(demand, candidates, cutoff, speed) if len(candidates) else None
        if len(ex_df):
            existing_cost = _straight_line_table(demand, ex_df, cutoff, speed)
        source_info = {"travel_costs": f"直线距离（速度 {speed:g} 米/秒）"}
    cap = ex_cap = None
    if capacity_col is not None:
        for name, df in (("候选点图层", candidates), ("现有设施图层", existing)):
            if df is not None and len(df) and capacity_col not in df.columns:
                msg = f"{name} 没有容量列 {capacity_col!r}；现有列 {list(df.columns)}"
                raise InputError(msg)
        cap = pd.to_numeric(candidates[capacity_col], errors="coerce") if capacity_col in candidates else 0.0
        if existing is not None and len(existing):
            ex_cap = pd.to_numeric(existing[capacity_col], errors="coerce")
    prob = _build_problem(
        cost, weights, existing_cost=existing_cost, demand_labels=demand.index,
        candidate_labels=candidates.index, existing_labels=None if existing is None else existing.index,
        capacity=cap, existing_capacity=ex_cap,
    )
    prob.cost_source = source
    prob.source_info = source_info
    prob.crs = crs
    if _geo(demand) is not None and _geo(candidates) is not None and (existing is None or _geo(existing) is not None):
        import geopandas as gpd

        prob.demand_geom = gpd.GeoSeries(demand.geometry.values, crs=crs)
        prob.site_geom = gpd.GeoSeries(np.r_[np.asarray(ex_df.geometry.values, dtype=object),
                                             np.asarray(candidates.geometry.values, dtype=object)], crs=crs)
    if name_col and name_col in demand.columns:
        prob.demand_name = demand[name_col].astype(object).to_numpy()
    if name_col and (name_col in candidates.columns or name_col in ex_df.columns):
        prob.site_name = np.r_[
            ex_df[name_col].astype(object).to_numpy() if name_col in ex_df.columns else np.full(len(ex_df), None),
            candidates[name_col].astype(object).to_numpy() if name_col in candidates.columns
            else np.full(len(candidates), None),
        ]
    for col in site_cols:
        if col in ex_df.columns or col in candidates.columns:
            prob.site_attrs[col] = np.r_[
                ex_df[col].to_numpy(dtype=object) if col in ex_df.columns else np.full(len(ex_df), None),
                candidates[col].to_numpy(dtype=object) if col in candidates.columns else np.full(len(candidates), None),
            ]
    prob.build_time_s = time.perf_counter() - t0
    return prob
