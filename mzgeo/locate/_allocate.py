"""Where to build next: location-allocation models that close coverage gaps.

A coverage map shows where the gap is; these models say which sites close it, how much
each one adds, and what stopping short costs. Six models, solved exactly with HiGHS
(``highspy``), all built from sparse demand → site travel times (never a dense matrix when
a cutoff makes it sparse):

========  ==========================================================================
key       model
========  ==========================================================================
lscp      :class:`LSCP` — fewest new sites so that all demand is within ``minutes``
mclp      :class:`MCLP` — ``p`` new sites covering the most weighted demand
pmedian   :class:`PMedian` — ``p`` new sites minimising total weighted travel time
pcenter   :class:`PCenter` — ``p`` new sites minimising the worst travel time
cmclp     :class:`CapacitatedMCLP` — MCLP where sites serve at most their capacity
beds      :class:`BedPlacement` — where to add beds so most elderly have enough beds
========  ==========================================================================

Existing facilities are *required* sites (ArcGIS "Required" facility type): always open,
never counted in ``p``; candidates are the sites the model may open. Every model follows
the same cycle (spopt style): build with ``from_cost_matrix`` or ``from_gdfs``, call
``solve()`` (returns the model), read the results as attributes — reading them before
``solve()`` raises :class:`~mzgeo.NotSolvedError`.

Travel times come from ``network.od(...)`` (an ``ODMatrix``), from a long-form table with
columns ``origin`` (a demand row's index value), ``destination`` (a site's index value) and
``minutes`` (absent pairs are unreachable), from a scipy sparse matrix (stored entries are
the reachable pairs, explicit zeros included) or from a dense array (``inf``/``nan`` =
unreachable).

Speed: every model is assembled from numpy arrays and handed to HiGHS in one call. Before
solving, the coverage models drop demand already covered by existing facilities, merge
demand points with identical candidate sets (summing weights), drop dominated candidates
(uncapacitated models only: a candidate whose covered set is a subset of another's), and
start HiGHS from a heuristic solution (MCLP: greedy, best 1-swaps, rounding of the LP
relaxation for large models, iterated local search; LSCP: greedy cover; p-median: greedy).
A time limit returns the best solution found and its true gap against the best proven bound
(HiGHS's dual bound, or the LP relaxation / a simple bound when HiGHS has none yet);
``status`` is HiGHS's own model status text, so a run stopped by the clock never reads
``"Optimal"``. HiGHS looks at the clock between LP solves, so one very large LP can overrun
the limit by a few seconds; ``solve_time_s`` reports the real time.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import settings
from .._files import source_paths
from ..errors import CRSError, InfeasibleError, InputError, NotSolvedError
from ._highs import (
    INF,
    HighsOutcome,
    Pairs,
    cover_value,
    coverage_matrix,
    dominated_columns,
    greedy_max_cover,
    greedy_pmedian,
    greedy_set_cover,
    group_identical_rows,
    ils_max_cover,
    lagrangian_fixing,
    nearest_open,
    run_highs,
    swap_max_cover,
)

__all__ = [
    "MODELS",
    "SITE_EXISTING",
    "SITE_NEW",
    "LSCP",
    "MCLP",
    "AllocationResult",
    "BedPlacement",
    "CapacitatedMCLP",
    "LocationModel",
    "PCenter",
    "PMedian",
    "allocate",
    "candidate_sites",
]

log = logging.getLogger("mzgeo")

#: ``site_kind`` value of an existing (required) facility.
SITE_EXISTING = "现有"
#: ``site_kind`` value of a newly selected site.
SITE_NEW = "新增"

#: Default relative MIP gap at which HiGHS stops: 0 = prove the optimum exactly.
DEFAULT_MIP_GAP = 0.0
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
    """An ``ODMatrix``-like object → its long-form table; anything else unchanged."""
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


# ============================================================================================
# base model
# ============================================================================================
class LocationModel:
    """Common machinery of the location-allocation models (construct → solve → read).

    Attributes
    ----------
    selected : pandas.DataFrame or geopandas.GeoDataFrame
        New sites in order of marginal gain (``rank`` 1 = adds the most). Columns: ``rank``,
        ``site`` (candidate index value), ``site_kind``, ``name`` (when known), ``added_demand``
        (weight this site adds after the sites ranked before it and the existing ones),
        ``added_share``, ``demand_covered_cum``, ``share_covered_cum``, ``load`` (demand it
        serves in the solution), ``n_points``; plus ``capacity``, ``minutes_saved``
        (p-median: weighted person-minutes it saves), ``beds_existing`` / ``beds_added``
        (beds) where they apply; ``geometry`` when the candidates had one.
    assignments : pandas.DataFrame
        One row per demand point and serving site (split assignments give several rows):
        ``demand_id`` (demand index value), ``demand_name`` (when known), ``site``
        (``<NA>`` when none reachable / unserved remainder), ``site_name``,
        ``site_kind``, ``new_site``, ``minutes``, ``demand_assigned``, ``assigned_share``,
        ``covered``.
    facility_summary : pandas.DataFrame
        One row per open site (existing and new): ``site``, ``site_kind``, ``new_site``,
        ``load``, ``n_points``, ``mean_minutes``, ``max_minutes``, and ``capacity`` /
        ``load_ratio`` or bed columns where they apply.
    coverage_curve : pandas.DataFrame
        Row ``n_new_sites`` = 0 (existing only) .. k: ``site`` added at that step,
        ``demand_covered``, ``share_covered`` following the greedy order of the chosen set
        (``curve="optimal"`` adds ``share_covered_optimal`` from one solve per k).
    objective : float
        Model objective (covered weight, number of new sites, weighted minutes, worst
        minutes or covered elderly, per model).
    bound : float
        Best proven bound on the objective (HiGHS dual bound).
    gap : float
        True relative optimality gap ``|objective − bound| / |objective|`` (0 = proven optimum).
    status : str
        HiGHS model status text: ``"Optimal"`` (within ``mip_gap``), ``"Time limit reached"``...
    solve_time_s : float
        Wall time of ``solve()`` in seconds (reductions, warm start, HiGHS, results).
    params : dict
        Parameters and figures applied (for the parameters sheet).
    infeasible : pandas.DataFrame
        Demand points (weight > 0) that no site can reach within the time limit of the model:
        ``demand_id``, ``demand_name`` (when known), ``weight``, ``nearest_minutes``
        (``inf`` when unreachable), ``reason``.
    """

    key: ClassVar[str] = ""
    name_zh: ClassVar[str] = ""

    def __init__(self, problem: _Problem, **params: Any) -> None:
        self._problem = problem
        self._model_params = params
        self._solution: _Solution | None = None
        self._frames: dict[str, Any] = {}
        self._solve_time_s = float("nan")
        self._applied: dict[str, Any] = {}
        #: Files the input layers were read from; the writers never overwrite them.
        self.sources: frozenset[str] = frozenset()

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def _from_costs(cls, cost: Any, weights: Any, *, existing_cost: Any = None, demand_labels: Any = None,
                    candidate_labels: Any = None, existing_labels: Any = None, required: Sequence | None = None,
                    capacity: Any = None, existing_capacity: Any = None, need_capacity: bool = False,
                    **params: Any) -> Any:
        prob = _build_problem(
            cost, weights, existing_cost=existing_cost, demand_labels=demand_labels,
            candidate_labels=candidate_labels, existing_labels=existing_labels, required=required,
            capacity=capacity, existing_capacity=existing_capacity, need_capacity=need_capacity,
        )
        return cls(prob, **params)

    @classmethod
    def from_gdfs(cls, demand: pd.DataFrame, candidates: pd.DataFrame | None, **kwargs: Any) -> Any:
        """Build the model from demand and site layers (see :func:`allocate` for parameters)."""
        model = _from_layers(cls, demand, candidates, **kwargs)
        model.sources = source_paths(demand, candidates, kwargs.get("existing"))
        return model

    from_geodataframe = from_gdfs

    # ------------------------------------------------------------------ solving
    def solve(
        self,
        time_limit_s: float | None = None,
        mip_gap: float | None = None,
        *,
        curve: str = "greedy",
        highs_options: Mapping[str, Any] | None = None,
    ) -> Any:
        """Solve the model with HiGHS; results become readable attributes.

        Parameters
        ----------
        time_limit_s : float, optional
            Wall-clock limit (seconds) of the whole solve. When reached, the best solution
            found is kept and ``status`` / ``gap`` say how far from proven it is.
        mip_gap : float, optional
            Relative gap at which HiGHS may stop and report ``"Optimal"``; default
            ``0`` (prove the exact optimum).
        curve : {"greedy", "optimal"}
            How :attr:`coverage_curve` is computed: ``"greedy"`` orders the chosen sites by
            marginal gain (no extra solve); ``"optimal"`` (MCLP and capacitated MCLP only)
            also solves the model for every k = 1..p.
        highs_options : mapping, optional
            Extra HiGHS options (e.g. ``{"output_flag": True}`` to see its log).

        Returns
        -------
        LocationModel
            ``self``, solved.

        Raises
        ------
        InfeasibleError
            When no solution satisfies the hard constraints (e.g. capacities too small),
            with the demand points concerned in ``problems``.
        """
        if curve not in ("greedy", "optimal"):
            msg = f"curve 只能是 'greedy' 或 'optimal'，不是 {curve!r}"
            raise InputError(msg)
        if time_limit_s is not None and not time_limit_s > 0:
            msg = f"time_limit_s 须为正数（秒），不是 {time_limit_s!r}"
            raise InputError(msg)
        gap = DEFAULT_MIP_GAP if mip_gap is None else float(mip_gap)
        if not 0 <= gap < 1:
            msg = f"mip_gap 须在 [0, 1) 之间，不是 {mip_gap!r}"
            raise InputError(msg)
        ctx = _Ctx(time.perf_counter(), time_limit_s, gap, dict(highs_options or {}))
        self._frames = {}
        sol = self._solve(ctx, curve)
        self._solution = sol
        self._build_frames(sol)
        self._solve_time_s = time.perf_counter() - ctx.start
        self._applied = self._collect_params(ctx, curve)
        log.info(
            "%s：%s，目标值 %.6g，间隙 %.3g%%，用时 %.2f 秒",
            self.name_zh, sol.status, sol.objective, 100 * sol.gap, self._solve_time_s,
        )
        return self

    def _solve(self, ctx: _Ctx, curve: str) -> _Solution:  # pragma: no cover - abstract
        raise NotImplementedError

    # ------------------------------------------------------------------ results
    def _need(self) -> _Solution:
        if self._solution is None:
            msg = f"{self.name_zh}（{type(self).__name__}）还没有求解：请先调用 solve()"
            raise NotSolvedError(msg)
        return self._solution

    @property
    def objective(self) -> float:
        """Objective value of the best solution (units depend on the model)."""
        return self._need().objective

    @property
    def bound(self) -> float:
        """Best proven bound on the objective (HiGHS dual bound)."""
        return self._need().bound

    @property
    def gap(self) -> float:
        """True relative optimality gap of the returned solution (0 = proven optimum)."""
        return self._need().gap

    @property
    def status(self) -> str:
        """HiGHS model status text (``"Optimal"``, ``"Time limit reached"``...)."""
        return self._need().status

    @property
    def solve_time_s(self) -> float:
        """Wall time of ``solve()`` (seconds)."""
        self._need()
        return self._solve_time_s

    @property
    def params(self) -> dict:
        """Parameters and figures applied by the last solve."""
        self._need()
        return dict(self._applied)

    @property
    def selected(self) -> pd.DataFrame:
        """New sites in order of marginal gain (see class docstring for columns)."""
        self._need()
        return self._frames["selected"].copy()

    @property
    def assignments(self) -> pd.DataFrame:
        """Tidy demand → site assignments (see class docstring for columns)."""
        self._need()
        return self._frames["assignments"].copy()

    @property
    def facility_summary(self) -> pd.DataFrame:
        """One row per open site (see class docstring for columns)."""
        self._need()
        return self._frames["facility_summary"].copy()

    @property
    def coverage_curve(self) -> pd.DataFrame:
        """Covered demand against the number of new sites (0..k)."""
        self._need()
        return self._frames["coverage_curve"].copy()

    @property
    def infeasible(self) -> pd.DataFrame:
        """Demand points no site can reach within the model's time limit."""
        self._need()
        return self._frames["infeasible"].copy()

    @property
    def new_sites(self) -> list:
        """Index values of the new sites, in order of marginal gain."""
        return list(self.selected["site"])

    @property
    def share_covered(self) -> float:
        """Share of the total demand weight covered (0..1) by the solution."""
        self._need()
        return float(self._frames["share_covered"])

    @property
    def status_zh(self) -> str:
        """The solve status in words for planners (proven optimum, or how far it may be)."""
        sol = self._need()
        if sol.status == "Optimal":
            return "已证明最优" if sol.gap <= 1e-9 else f"最优（允许间隙 {sol.gap:.2%}）"
        if sol.status == "Time limit reached":
            return f"达到时间限制，与最优最多相差 {sol.gap:.2%}" if math.isfinite(sol.gap) else "达到时间限制"
        return f"求解状态：{sol.status}"

    def headline(self, kind: str = "设施") -> str:
        """One Chinese line summarising the recommendation (for reports and the CLI).

        Parameters
        ----------
        kind : str
            What is being sited, e.g. ``"照料中心"``.

        Returns
        -------
        str
        """
        self._need()
        curve = self._frames["coverage_curve"]
        k = len(self._frames["selected"])
        before = float(curve["share_covered"].iloc[0]) if len(curve) else float("nan")
        after = self.share_covered
        return f"{kind}：建议新增 {k} 处，覆盖率 {before:.1%} → {after:.1%}（{self.status_zh}）"

    def __repr__(self) -> str:
        if self._solution is None:
            return f"<{type(self).__name__} 未求解 n_demand={self._problem.n} n_sites={self._problem.m}>"
        s = self._solution
        return (
            f"<{type(self).__name__} {s.status} objective={s.objective:.6g} gap={s.gap:.3g} "
            f"new_sites={len(self._frames['selected'])}>"
        )

    # ------------------------------------------------------------------ output files
    def to_excel(self, path: str | os.PathLike, *, title: str | None = None) -> str:
        """Write the results to an Excel workbook with Chinese headers.

        Sheets: 新增设施 (:attr:`selected`), 覆盖曲线 (:attr:`coverage_curve`), 设施汇总
        (:attr:`facility_summary`), 需求分配 (:attr:`assignments`), 无法覆盖的需求点
        (:attr:`infeasible`, when any) and 参数 (:attr:`params`).

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.xlsx`` (written atomically).
        title : str, optional
            Page header; default the model's Chinese name.

        Returns
        -------
        str
            The path written.
        """
        from ..report.excel import write_excel

        self._need()
        sheets = {
            "新增设施": self._frames["selected"],
            "覆盖曲线": self._frames["coverage_curve"],
            "设施汇总": self._frames["facility_summary"],
            "需求分配": self._frames["assignments"],
        }
        if len(self._frames["infeasible"]):
            sheets["无法覆盖的需求点"] = self._frames["infeasible"]
        return write_excel(path, sheets, self.params, title=title or f"选址优化：{self.name_zh}",
                           sources=self.sources)

    def to_gpkg(self, path: str | os.PathLike) -> str:
        """Write the selected sites and the new assignments (lines demand → site) to a GeoPackage.

        Layers: ``selected_sites`` (points, columns of :attr:`selected`), ``open_sites``
        (all open sites, columns of :attr:`facility_summary`) and ``new_assignments``
        (one line from each demand point to the new site serving it).

        Raises
        ------
        InputError
            When the model was built without geometries (``from_cost_matrix``).
        """
        import geopandas as gpd
        import shapely

        self._need()
        prob = self._problem
        if prob.site_geom is None or prob.demand_geom is None:
            msg = "模型由出行时间表构建，没有几何信息；请用 from_gdfs / allocate(需求图层, 候选图层) 构建后再导出 GeoPackage"
            raise InputError(msg)
        from ..io.read import write_layers

        sel = self._frames["_selected"]
        fac = self._frames["_facility_summary"]
        asg = self._frames["_assignments"]
        site_pts = _points(prob.site_geom)
        dem_pts = _points(prob.demand_geom)
        fac_gdf = gpd.GeoDataFrame(fac, geometry=site_pts[fac["_pos"].to_numpy()], crs=prob.crs)
        sel_gdf = gpd.GeoDataFrame(sel.drop(columns="geometry", errors="ignore"),
                                   geometry=site_pts[sel["_pos"].to_numpy()], crs=prob.crs)
        new = asg[asg["new_site"].to_numpy(dtype=bool) & asg["covered"].to_numpy(dtype=bool)]
        ends = np.stack([shapely.get_coordinates(dem_pts[new["_row"].to_numpy()]),
                         shapely.get_coordinates(site_pts[new["_pos"].to_numpy()])], axis=1)
        lines = shapely.linestrings(ends) if len(new) else np.zeros(0, dtype=object)
        line_gdf = gpd.GeoDataFrame(new.reset_index(drop=True), geometry=lines, crs=prob.crs)
        hidden = ["_pos", "_row"]
        layers = {
            name: _gpkg_safe(gdf.drop(columns=[c for c in hidden if c in gdf.columns]))
            for name, gdf in (("selected_sites", sel_gdf), ("open_sites", fac_gdf), ("new_assignments", line_gdf))
        }
        return str(write_layers(path, layers, sources=self.sources))

    # ------------------------------------------------------------------ shared result frames
    def _collect_params(self, ctx: _Ctx, curve: str) -> dict:
        prob, sol = self._problem, self._need()
        out: dict[str, Any] = {"model": self.key, "model_name": self.name_zh}
        for k, v in self._model_params.items():
            if k != "weight_name" and v is not None and not isinstance(v, (pd.DataFrame, pd.Series, np.ndarray)):
                out[k] = v
        out.update(
            {
                "weight": self._model_params.get("weight_name", "weight"),
                "n_demand": prob.n,
                "n_existing": int(prob.existing.sum()),
                "n_candidates": int(prob.candidate.sum()),
                "n_pairs": prob.pairs.nnz,
                "cost_source": prob.cost_source,
                **prob.source_info,
                "time_limit_s": ctx.time_limit_s,
                "mip_gap": ctx.mip_gap,
                "curve": curve,
                "solver": f"HiGHS {_highs_version()} (highspy)",
                "status": sol.status,
                "objective": sol.objective,
                "bound": sol.bound,
                "gap": sol.gap,
                "solve_time_s": round(self._solve_time_s, 3),
                "highs_time_s": round(sol.highs_time_s, 3),
                "build_time_s": round(prob.build_time_s, 3),
            }
        )
        out.update(sol.info)
        return out

    def _build_frames(self, sol: _Solution) -> None:
        prob = self._problem
        w = prob.w
        total = float(w.sum())
        # ---- assignments
        if sol.flows is None:
            col, t = nearest_open(prob.pairs, sol.open)
            rows = np.arange(prob.n)
            share = np.where(col >= 0, 1.0, 0.0)
            amount = w * share
            covered = (col >= 0) & (t <= sol.radius + 1e-9)
        else:
            fr, fc, fs = sol.flows
            keep = fs > 1e-7
            fr, fc, fs = fr[keep], fc[keep], fs[keep]
            tmap = _pair_minutes(prob.pairs, fr, fc)
            served = np.bincount(fr, weights=fs, minlength=prob.n)
            rest = np.clip(1.0 - served, 0.0, 1.0)
            rem_rows = np.flatnonzero((rest > 1e-7) & (w > 0))
            zero_rows = np.flatnonzero(w <= 0)
            zcol, zt = nearest_open(prob.pairs, sol.open)
            rows = np.r_[fr, rem_rows, zero_rows]
            col = np.r_[fc, np.full(len(rem_rows), -1), zcol[zero_rows]]
            t = np.r_[tmap, np.full(len(rem_rows), INF), zt[zero_rows]]
            share = np.r_[fs, rest[rem_rows], np.zeros(len(zero_rows))]
            amount = w[rows] * share
            covered = (col >= 0) & (t <= sol.radius + 1e-9)
            order = np.lexsort((-share, rows))
            rows, col, t, share, amount, covered = (a[order] for a in (rows, col, t, share, amount, covered))
        has = col >= 0
        site_label = pd.array(np.where(has, prob.site_labels[np.maximum(col, 0)], None), dtype=object)
        kind = np.where(~has, None, np.where(prob.site_kind[np.maximum(col, 0)] == 0, SITE_EXISTING, SITE_NEW))
        new_site = has & (prob.site_kind[np.maximum(col, 0)] == 1)
        asg = pd.DataFrame(
            {
                "demand_id": prob.demand_labels[rows],
                "site": site_label,
                "site_kind": kind,
                "new_site": new_site,
                "minutes": np.where(has, t, np.nan),
                "demand_assigned": amount,
                "assigned_share": share,
                "covered": covered,
            }
        )
        if prob.demand_name is not None:
            asg.insert(1, "demand_name", prob.demand_name[rows])
        if prob.site_name is not None:
            asg.insert(asg.columns.get_loc("site") + 1, "site_name",
                       np.where(has, prob.site_name[np.maximum(col, 0)], None))
        asg["_row"] = rows
        asg["_pos"] = np.where(has, col, -1)
        covered_w = float(amount[covered].sum())
        self._frames["share_covered"] = covered_w / total if total > 0 else 1.0
        # ---- facility summary (open sites)
        open_pos = np.flatnonzero(sol.open)
        cov_mask = covered & has
        c_pos = col[cov_mask]
        load = np.bincount(c_pos, weights=amount[cov_mask], minlength=prob.m)
        npts = np.bincount(c_pos, weights=(share[cov_mask] > 0).astype(float), minlength=prob.m)
        tw = np.bincount(c_pos, weights=amount[cov_mask] * t[cov_mask], minlength=prob.m)
        tmax = np.full(prob.m, np.nan)
        if cov_mask.any():
            tt = pd.Series(t[cov_mask]).groupby(c_pos).max()
            tmax[tt.index.to_numpy()] = tt.to_numpy()
        fac = pd.DataFrame(
            {
                "site": pd.array(prob.site_labels[open_pos], dtype=object),
                "site_kind": np.where(prob.site_kind[open_pos] == 0, SITE_EXISTING, SITE_NEW),
                "new_site": prob.site_kind[open_pos] == 1,
                "load": load[open_pos],
                "n_points": npts[open_pos].astype(np.int64),
                "mean_minutes": np.divide(tw[open_pos], load[open_pos], out=np.full(len(open_pos), np.nan),
                                          where=load[open_pos] > 0),
                "max_minutes": tmax[open_pos],
            }
        )
        if prob.site_name is not None:
            fac.insert(1, "name", prob.site_name[open_pos])
        if prob.capacity is not None:
            cap = prob.capacity[open_pos]
            fac["capacity"] = np.where(np.isfinite(cap), cap, np.nan)
            fac["load_ratio"] = np.divide(fac["load"].to_numpy(), cap, out=np.full(len(open_pos), np.nan),
                                          where=np.isfinite(cap) & (cap > 0))
        self._extra_facility_columns(fac, open_pos, sol)
        fac["_pos"] = open_pos
        # ---- selected (new sites in order of marginal gain)
        order = sol.order if sol.order is not None else np.flatnonzero(sol.open & (prob.site_kind == 1))
        gains = sol.gains if sol.gains is not None else np.zeros(len(order))
        sel = pd.DataFrame(
            {
                "rank": np.arange(1, len(order) + 1),
                "site": pd.array(prob.site_labels[order], dtype=object),
                "site_kind": np.where(prob.site_kind[order] == 0, SITE_EXISTING, SITE_NEW),
            }
        )
        if prob.site_name is not None:
            sel["name"] = prob.site_name[order]
        curve = sol.curve
        base = float(curve["demand_covered"].iloc[0]) if curve is not None and len(curve) else 0.0
        added = self._added_demand(sol, order, gains)
        sel["added_demand"] = added
        sel["added_share"] = added / total if total > 0 else 0.0
        sel["demand_covered_cum"] = base + np.cumsum(added)
        sel["share_covered_cum"] = sel["demand_covered_cum"] / total if total > 0 else 1.0
        sel["load"] = load[order]
        sel["n_points"] = npts[order].astype(np.int64)
        if prob.capacity is not None:
            sel["capacity"] = prob.capacity[order]
        self._extra_selected_columns(sel, order, gains, sol)
        sel["_pos"] = order
        if prob.site_geom is not None:
            import geopandas as gpd

            sel = gpd.GeoDataFrame(sel, geometry=_points(prob.site_geom)[order], crs=prob.crs)
        # ---- infeasible demand
        inf_rows = sol.infeasible_rows if sol.infeasible_rows is not None else np.zeros(0, dtype=np.int64)
        _, near_t = nearest_open(prob.pairs, None)
        infe = pd.DataFrame(
            {
                "demand_id": prob.demand_labels[inf_rows],
                "weight": w[inf_rows],
                "nearest_minutes": near_t[inf_rows],
                "reason": self._infeasible_reason(),
            }
        )
        if prob.demand_name is not None:
            infe.insert(1, "demand_name", prob.demand_name[inf_rows])
        # helper columns (_row, _pos: positions) stay in the private copies for GeoPackage export
        self._frames.update(
            {
                "assignments": asg.drop(columns=["_row", "_pos"]),
                "_assignments": asg,
                "facility_summary": fac.drop(columns="_pos"),
                "_facility_summary": fac,
                "selected": sel.drop(columns="_pos"),
                "_selected": sel,
                "coverage_curve": curve if curve is not None else pd.DataFrame(),
                "infeasible": infe,
            }
        )

    # hooks ---------------------------------------------------------------------------------
    def _added_demand(self, sol: _Solution, order: np.ndarray, gains: np.ndarray) -> np.ndarray:
        return np.asarray(gains, dtype=float)

    def _extra_selected_columns(self, sel: pd.DataFrame, order: np.ndarray, gains: np.ndarray, sol: _Solution) -> None:
        return None

    def _extra_facility_columns(self, fac: pd.DataFrame, open_pos: np.ndarray, sol: _Solution) -> None:
        return None

    def _infeasible_reason(self) -> str:
        return "在时间阈值内没有任何现有设施或候选点可达"


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


def _gpkg_safe(gdf: Any) -> Any:
    out = gdf.copy()
    for col in out.columns:
        if col != out.geometry.name and out[col].dtype == object:
            out[col] = out[col].astype("string")
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
        "n_rows_model": int(ag.shape[0]),
        "n_rows_merged": int(len(rows) - ag.shape[0]),
        "n_candidates_model": int(len(keep)),
        "n_candidates_dominated": int(ag.shape[1] - len(keep)),
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
    """The HiGHS solution vector, or the heuristic one when HiGHS has none."""
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
    return 0.0 if g < 1e-9 else g  # below HiGHS's own tolerances


# ============================================================================================
# capacitated assignment machinery (capacitated MCLP / LSCP / p-median / p-center, beds)
# ============================================================================================
@dataclass
class _Assign:
    """Demand groups × sites assignment data for the capacitated models."""

    rows: np.ndarray  # original demand rows in the model
    groups: np.ndarray  # group of each of ``rows``
    wg: np.ndarray  # weight per group
    pr: np.ndarray  # pair → group
    pc: np.ndarray  # pair → site position
    pt: np.ndarray  # pair → minutes

    @property
    def ng(self) -> int:
        return len(self.wg)

    def expand(self, share: np.ndarray, tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Group shares per pair → (original row, site, share) for every member row."""
        keep = share > tol
        pg, pc, ps = self.pr[keep], self.pc[keep], share[keep]
        order = np.argsort(self.groups, kind="stable")
        counts = np.bincount(self.groups, minlength=self.ng)
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        rep = counts[pg]
        total = int(rep.sum())
        offs = np.arange(total) - np.repeat(np.cumsum(rep) - rep, rep)
        idx = np.repeat(starts[pg], rep) + offs
        return self.rows[order[idx]], np.repeat(pc, rep), np.repeat(ps, rep)


def _assign_data(prob: _Problem, pw: Pairs, rows: np.ndarray, merge: bool, by_time: bool = False) -> _Assign:
    """Pairs of ``rows`` (all sites); rows with identical site sets merged when ``merge``."""
    a = coverage_matrix(pw, rows=rows)
    if merge:
        extra = None
        if by_time:
            sub = np.isin(pw.row, rows)
            h = np.zeros(prob.n, dtype=np.uint64)
            mix = (np.round(pw.minutes[sub] * 1e6).astype(np.int64).astype(np.uint64) * np.uint64(2654435761)
                   + pw.col[sub].astype(np.uint64))
            np.add.at(h, pw.row[sub], mix)
            extra = h[rows]
        groups = group_identical_rows(a, extra=extra)
    else:
        groups = np.arange(len(rows), dtype=np.int64)
    first = _first_of_groups(groups)
    wg = np.bincount(groups, weights=prob.w[rows], minlength=len(first))
    sub = pw.subset(np.isin(pw.row, rows[first]))
    gmap = np.full(prob.n, -1, dtype=np.int64)
    gmap[rows[first]] = np.arange(len(first))
    return _Assign(rows, groups, wg, gmap[sub.row], sub.col, sub.minutes)


def _flow_lp(prob: _Problem, asg: _Assign, cap: np.ndarray, open_mask: np.ndarray,
             ctx: _Ctx | None = None) -> tuple[float, np.ndarray]:
    """Largest demand weight assignable to the open sites without exceeding ``cap`` (an LP).

    Variables ``f`` (share of a demand group sent to a site, pairs of open sites only);
    maximise ``Σ w_g f_gj`` s.t. ``Σ_j f_gj ≤ 1`` and ``Σ_g w_g f_gj ≤ cap_j``.
    Returns the covered weight and the share of every pair of ``asg`` (0 for closed sites).
    """
    use = open_mask[asg.pc]
    k = int(use.sum())
    share = np.zeros(len(asg.pc))
    if k == 0:
        return 0.0, share
    pg, pc = asg.pr[use], asg.pc[use]
    sites, sidx = np.unique(pc, return_inverse=True)
    capped = np.isfinite(cap[sites])
    srow = np.full(len(sites), -1, dtype=np.int64)
    srow[capped] = np.arange(int(capped.sum()))
    in_cap = srow[sidx] >= 0
    ng = asg.ng
    r = np.r_[pg, ng + srow[sidx][in_cap]]
    c = np.r_[np.arange(k), np.arange(k)[in_cap]]
    v = np.r_[np.ones(k), asg.wg[pg][in_cap]]
    a = sp.csc_matrix((v, (r, c)), shape=(ng + int(capped.sum()), k))
    out = run_highs(
        asg.wg[pg], a, np.full(a.shape[0], -INF), np.r_[np.ones(ng), cap[sites][capped]],
        np.zeros(k), np.ones(k), np.zeros(k, dtype=bool), maximize=True,
        time_limit_s=None if ctx is None else ctx.remaining(),
    )
    if out.x is None:  # pragma: no cover - an LP of this form is always feasible
        return float("nan"), share
    share[use] = np.clip(out.x, 0.0, 1.0)
    return float(out.objective), share


def _capacitated_curve(prob: _Problem, asg: _Assign, cap: np.ndarray, order: np.ndarray,
                       base_open: np.ndarray, ctx: _Ctx) -> np.ndarray:
    """Covered weight with the existing sites plus the first k ordered sites (k = 0..len)."""
    vals = np.full(len(order) + 1, np.nan)
    open_mask = base_open.copy()
    for k in range(len(order) + 1):
        if k:
            open_mask[order[k - 1]] = True
        if ctx.time_limit_s is not None and (ctx.remaining() or 0) <= 0.02:
            break
        vals[k] = _flow_lp(prob, asg, cap, open_mask, ctx)[0]
    return vals


def _capacitated_model(
    prob: _Problem,
    asg: _Assign,
    cap: np.ndarray,
    *,
    objective: str,
    p: int | None,
    single_source: bool = False,
    demand_equal: bool = False,
) -> dict:
    """Arrays of the capacitated assignment MIP (HiGHS column-wise input).

    Columns: ``f`` (one per pair: share of demand group ``g`` served by site ``j``), then
    ``x`` (one per candidate site in play). Rows:

    * demand: ``Σ_j f_gj ≤ 1`` (``= 1`` when ``demand_equal``);
    * capacity: ``Σ_g w_g f_gj ≤ cap_j x_j`` (``≤ cap_j`` for existing sites; rows of sites
      with unlimited capacity are omitted);
    * linking: ``f_gj ≤ x_j`` for candidate sites (tightens the LP relaxation);
    * cardinality: ``Σ_j x_j ≤ p`` when ``p`` is given.

    ``objective``: ``"cover"`` maximise ``Σ w_g f_gj``; ``"count"`` minimise ``Σ x_j``;
    ``"time"`` minimise ``Σ w_g t_gj f_gj``; ``"none"`` (feasibility).
    """
    npair = len(asg.pc)
    sites = np.unique(asg.pc)
    is_cand = prob.site_kind[sites] == 1
    cand_sites = sites[is_cand]
    k = len(cand_sites)
    xcol = np.full(prob.m, -1, dtype=np.int64)
    xcol[cand_sites] = npair + np.arange(k)
    ncol = npair + k
    ng = asg.ng
    capped_sites = sites[np.isfinite(cap[sites])]
    crow = np.full(prob.m, -1, dtype=np.int64)
    crow[capped_sites] = ng + np.arange(len(capped_sites))
    r_parts, c_parts, v_parts = [asg.pr], [np.arange(npair)], [np.ones(npair)]
    in_cap = crow[asg.pc] >= 0
    r_parts.append(crow[asg.pc][in_cap])
    c_parts.append(np.arange(npair)[in_cap])
    v_parts.append(asg.wg[asg.pr][in_cap])
    cap_cand = capped_sites[prob.site_kind[capped_sites] == 1]
    r_parts.append(crow[cap_cand])
    c_parts.append(xcol[cap_cand])
    v_parts.append(-cap[cap_cand])
    nrow = ng + len(capped_sites)
    cap_hi = np.where(prob.site_kind[capped_sites] == 1, 0.0, cap[capped_sites])
    link = np.flatnonzero(xcol[asg.pc] >= 0)
    r_parts += [nrow + np.arange(len(link)), nrow + np.arange(len(link))]
    c_parts += [link, xcol[asg.pc[link]]]
    v_parts += [np.ones(len(link)), -np.ones(len(link))]
    nrow += len(link)
    row_lo = np.r_[np.ones(ng) if demand_equal else np.full(ng, -INF), np.full(len(capped_sites) + len(link), -INF)]
    row_hi = np.r_[np.ones(ng), cap_hi, np.zeros(len(link))]
    if p is not None:
        r_parts.append(np.full(k, nrow))
        c_parts.append(npair + np.arange(k))
        v_parts.append(np.ones(k))
        nrow += 1
        row_lo = np.r_[row_lo, -INF]
        row_hi = np.r_[row_hi, float(p)]
    a = sp.csc_matrix((np.concatenate(v_parts), (np.concatenate(r_parts), np.concatenate(c_parts))),
                      shape=(nrow, ncol))
    cost = np.zeros(ncol)
    if objective == "cover":
        cost[:npair] = asg.wg[asg.pr]
    elif objective == "count":
        cost[npair:] = 1.0
    elif objective == "time":
        cost[:npair] = asg.wg[asg.pr] * asg.pt
    integer = np.zeros(ncol, dtype=bool)
    integer[npair:] = True
    if single_source:
        integer[:npair] = True
    return {
        "cost": cost, "a": a, "row_lo": row_lo, "row_hi": row_hi,
        "col_lo": np.zeros(ncol), "col_hi": np.ones(ncol), "integer": integer,
        "maximize": objective == "cover", "cand_sites": cand_sites, "npair": npair,
    }


def _greedy_capacitated(prob: _Problem, asg: _Assign, cap: np.ndarray, p: int) -> np.ndarray:
    """Greedy warm start for capacitated coverage: open the site serving the most, p times.

    A site's gain is ``min(capacity, uncovered weight it reaches)``; its service is taken
    proportionally from the demand groups it reaches. Existing sites are applied first.
    """
    rem = asg.wg.copy()
    a = sp.csr_matrix((np.ones(len(asg.pc)), (asg.pr, asg.pc)), shape=(asg.ng, prob.m))
    at = a.T.tocsr()

    def serve(j: int) -> None:
        g = at.indices[at.indptr[j] : at.indptr[j + 1]]
        reach = rem[g].sum()
        if reach > 0:
            rem[g] *= 1.0 - min(cap[j], reach) / reach

    # existing sites all at once: each takes min(capacity, reach) / reach of what it reaches
    reach = at @ rem
    frac = np.where(prob.existing & (reach > 0), np.minimum(cap, reach) / np.maximum(reach, 1e-300), 0.0)
    rem *= np.exp(a @ np.log(np.clip(1.0 - frac, 1e-12, 1.0)))
    picked: list[int] = []
    cand = prob.candidate & (np.diff(at.indptr) > 0)
    for _ in range(int(p)):
        gain = np.minimum(at @ rem, cap)
        gain[~cand] = -1.0
        j = int(np.argmax(gain))
        if gain[j] <= 1e-9:
            break
        picked.append(j)
        cand[j] = False
        serve(j)
    return np.asarray(picked, dtype=np.int64)


def _capacitated_cover_solve(model: LocationModel, ctx: _Ctx, *, minutes: float, p: int | None,
                             mode: str, single_source: bool, curve: str) -> _Solution:
    """Capacitated MCLP (``mode="mclp"``) or capacitated LSCP (``mode="lscp"``)."""
    prob = model._problem
    cap = prob.capacity if prob.capacity is not None else np.full(prob.m, INF)
    pw, active, _, _ = _coverage_setup(prob, minutes)
    reach = np.zeros(prob.n, dtype=bool)
    reach[pw.row] = True
    rows = np.flatnonzero(active & reach)
    infeasible_rows = np.flatnonzero(active & ~reach)
    asg = _assign_data(prob, pw, rows, merge=not single_source)
    info: dict[str, Any] = {"n_rows_model": asg.ng, "n_rows_merged": int(len(rows) - asg.ng),
                            "n_pairs_model": int(len(asg.pc))}
    existing = prob.existing.copy()
    if mode == "lscp":
        all_open = np.ones(prob.m, dtype=bool)
        best, share = _flow_lp(prob, asg, cap, all_open, ctx)
        served = np.bincount(asg.pr, weights=share, minlength=asg.ng)
        short = served < 1 - 1e-6
        if short.any():
            bad_rows = asg.rows[short[asg.groups]]
            labels = list(prob.demand_labels[bad_rows])
            msg = (
                f"即使启用全部候选点，容量也不足以在 {minutes:g} 分钟内服务所有需求："
                f"{len(labels)} 个需求点无法全部分配（例如 {labels[:10]}）。"
                "请增加候选点或容量，或改用 cmclp（容量约束下最大覆盖）"
            )
            raise InfeasibleError(msg, labels)
    mdl = _capacitated_model(prob, asg, cap, objective="cover" if mode == "mclp" else "count",
                             p=p if mode == "mclp" else None, single_source=single_source,
                             demand_equal=mode == "lscp")
    npair = mdl["npair"]
    start = np.full(len(mdl["cost"]), np.nan)
    if mode == "mclp" and p:
        picked = _greedy_capacitated(prob, asg, cap, p)
        xs = np.zeros(prob.m)
        xs[picked] = 1.0
        start[npair:] = xs[mdl["cand_sites"]]
    out = run_highs(mdl["cost"], mdl["a"], mdl["row_lo"], mdl["row_hi"], mdl["col_lo"], mdl["col_hi"],
                    mdl["integer"], maximize=mdl["maximize"], start=start if mode == "mclp" else None,
                    **ctx.highs())
    if out.status == "Infeasible":  # pragma: no cover - pre-checked above
        msg = f"{model.name_zh}：模型不可行（容量不足）"
        raise InfeasibleError(msg, [])
    x = _outcome_or_fallback(out, None, model.name_zh)
    open_mask = existing.copy()
    open_mask[mdl["cand_sites"][x[npair:] > 0.5]] = True
    share = np.clip(x[:npair], 0.0, 1.0)
    flows = asg.expand(share)
    covered_w = float((asg.wg[asg.pr] * share).sum())
    objective = covered_w if mode == "mclp" else float((x[npair:] > 0.5).sum())
    # order new sites by the demand they serve; curve from LPs with the first k sites open
    new = mdl["cand_sites"][x[npair:] > 0.5]
    load = np.bincount(asg.pc, weights=asg.wg[asg.pr] * share, minlength=prob.m)
    order = new[np.argsort(-load[new], kind="stable")]
    vals = _capacitated_curve(prob, asg, cap, order, existing, ctx)
    gains = np.diff(vals)
    curve_df = _curve_frame(prob, order, vals)
    if curve == "optimal" and mode == "mclp":
        curve_df = _optimal_curve_capacitated(curve_df, mdl, npair, p or 0, out, ctx)
    return _Solution(
        open=open_mask, objective=objective, bound=out.bound, gap=_rel_gap(objective, out.bound),
        status=out.status, highs_time_s=out.time_s, nodes=out.nodes, radius=minutes, flows=flows,
        order=order, gains=gains, curve=curve_df, infeasible_rows=infeasible_rows, info=info,
    )


def _optimal_curve_capacitated(curve_df: pd.DataFrame, mdl: dict, npair: int, p: int,
                               final: HighsOutcome, ctx: _Ctx) -> pd.DataFrame:
    vals, stats = [float(curve_df["demand_covered"].iloc[0])], ["Optimal"]
    for k in range(1, p + 1):
        if k == p:
            vals.append(final.objective)
            stats.append(final.status)
            continue
        row_hi = mdl["row_hi"].copy()
        row_hi[-1] = k
        out = run_highs(mdl["cost"], mdl["a"], mdl["row_lo"], row_hi, mdl["col_lo"], mdl["col_hi"],
                        mdl["integer"], maximize=True, **ctx.highs())
        vals.append(out.objective)
        stats.append(out.status)
    return _attach_optimal(curve_df, vals, stats)


def _attach_optimal(curve_df: pd.DataFrame, vals: list, stats: list) -> pd.DataFrame:
    total = curve_df["demand_covered"].iloc[0] / curve_df["share_covered"].iloc[0] if (
        curve_df["share_covered"].iloc[0] > 0) else np.nan
    opt = pd.DataFrame({"n_new_sites": np.arange(len(vals)), "demand_covered_optimal": vals,
                        "status_optimal": stats})
    out = pd.merge(curve_df, opt, on="n_new_sites", how="outer")
    if not np.isfinite(total) or total == 0:
        total = max(float(np.nanmax(out["demand_covered_optimal"].to_numpy(dtype=float))), 1e-9)
    out["share_covered_optimal"] = out["demand_covered_optimal"] / total
    return out


# ============================================================================================
# the models
# ============================================================================================
class LSCP(LocationModel):
    r"""Location set covering: the fewest new sites so that all demand is within ``minutes``.

    With demand points :math:`i \in I` (weight :math:`w_i > 0`), candidate sites
    :math:`j \in J`, existing (required) sites :math:`E`, and :math:`N_i = \{j : t_{ij} \le T\}`
    the sites within :math:`T` = ``minutes`` of :math:`i`:

    .. math::

        \min \sum_{j \in J} x_j \quad \text{s.t.} \quad
        \sum_{j \in N_i \cap J} x_j \ge 1 \;\; \forall i \in I' , \qquad x_j \in \{0, 1\}

    where :math:`I'` is the demand not already within :math:`T` of an existing site and
    reachable by at least one candidate. Demand that no site can reach is *not* a reason
    to fail: it is listed in :attr:`infeasible` and the rest is covered (Toregas et al.
    1971; ArcGIS "Minimize facilities"). With a capacity (``capacity`` / ``capacity_col``),
    demand is assigned to open sites within :math:`T` without exceeding capacities (see
    :class:`CapacitatedMCLP` for the assignment rows) and an impossible case raises
    :class:`~mzgeo.InfeasibleError` listing the demand that cannot be served.

    The objective is the number of new sites.
    """

    key = "lscp"
    name_zh = "最少设施全覆盖（LSCP）"

    def __init__(self, problem: _Problem, *, minutes: float, single_source: bool = False, **params: Any) -> None:
        self.minutes = _check_minutes(minutes)
        self.single_source = bool(single_source)
        super().__init__(problem, minutes=self.minutes, **params)

    @classmethod
    def from_cost_matrix(cls, cost: Any, weights: Any = None, minutes: float | None = None, *,
                         existing_cost: Any = None, required: Sequence | None = None,
                         capacity: Any = None, existing_capacity: Any = None,
                         demand_labels: Any = None, candidate_labels: Any = None,
                         existing_labels: Any = None, single_source: bool = False) -> LSCP:
        """Build from travel times (see the module docstring for accepted ``cost`` forms).

        Parameters
        ----------
        cost : DataFrame, ODMatrix, sparse matrix or array
            Demand → candidate travel times (minutes).
        weights : Series or array, optional
            Demand weights (index = demand labels); zero-weight points need no cover.
        minutes : float
            Coverage threshold (minutes).
        existing_cost : same forms as ``cost``, optional
            Demand → existing facility travel times; those facilities are always open.
        required : sequence, optional
            Candidate labels that must be open (counted as existing).
        capacity, existing_capacity : scalar, mapping, Series or array, optional
            Capacities (in weight units) of candidates / existing sites.
        demand_labels, candidate_labels, existing_labels : sequence, optional
            Labels when ``cost`` does not carry them.
        single_source : bool
            Capacitated variant only: each demand point served by one site.
        """
        return cls._from_costs(cost, weights, existing_cost=existing_cost, required=required, capacity=capacity,
                               existing_capacity=existing_capacity, demand_labels=demand_labels,
                               candidate_labels=candidate_labels, existing_labels=existing_labels,
                               minutes=minutes, single_source=single_source)

    def headline(self, kind: str = "设施") -> str:
        """One Chinese line: how many new sites cover all reachable demand."""
        self._need()
        n_inf = len(self._frames["infeasible"])
        extra = f"；另有 {n_inf} 个需求点任何候选点都无法在时限内到达" if n_inf else ""
        return (f"{kind}：最少需新增 {len(self._frames['selected'])} 处，{self.minutes:g} 分钟内覆盖全部可达需求"
                f"{extra}（{self.status_zh}）")

    def _solve(self, ctx: _Ctx, curve: str) -> _Solution:
        if curve == "optimal":
            msg = "curve='optimal' 仅适用于 MCLP / CapacitatedMCLP"
            raise InputError(msg)
        prob = self._problem
        if prob.capacity is not None:
            return _capacitated_cover_solve(self, ctx, minutes=self.minutes, p=None, mode="lscp",
                                            single_source=self.single_source, curve=curve)
        pw, active, exist_cov, cand_reach = _coverage_setup(prob, self.minutes)
        infeasible_rows = np.flatnonzero(active & ~exist_cov & ~cand_reach)
        need = np.flatnonzero(active & ~exist_cov & cand_reach)
        if len(infeasible_rows):
            log.warning("LSCP：%d 个需求点在 %g 分钟内没有任何设施可达，已列入 infeasible，其余照常求解",
                        len(infeasible_rows), self.minutes)
        open_mask = prob.existing.copy()
        info: dict[str, Any] = {"n_infeasible": int(len(infeasible_rows))}
        status, bound, highs_t, nodes = "Optimal", 0.0, 0.0, 0
        if len(need):
            ag, _, cols, red = _reduced_cover(pw, need, np.flatnonzero(prob.candidate), prob.w)
            info.update(red)
            start_cols = greedy_set_cover(ag)
            x0 = np.zeros(ag.shape[1])
            x0[start_cols] = 1.0
            k = ag.shape[1]
            out = run_highs(np.ones(k), ag, np.ones(ag.shape[0]), np.full(ag.shape[0], INF), np.zeros(k),
                            np.ones(k), np.ones(k, dtype=bool), maximize=False, start=x0, **ctx.highs())
            x = _outcome_or_fallback(out, x0, self.name_zh)
            open_mask[cols[x > 0.5]] = True
            # a bound that needs no LP: every site covers at most the largest column's rows
            simple = float(math.ceil(ag.shape[0] / max(float(np.diff(ag.tocsc().indptr).max()), 1.0)))
            bound = max(out.bound, simple) if math.isfinite(out.bound) else simple
            status, highs_t, nodes = out.status, out.time_s, out.nodes
            info["greedy_sites"] = int(len(start_cols))
        objective = float((open_mask & prob.candidate).sum())
        if not len(need):
            bound = objective
        order, gains, curve_df = _coverage_order(prob, pw, np.flatnonzero(open_mask & prob.candidate))
        return _Solution(open=open_mask, objective=objective, bound=bound, gap=_rel_gap(objective, bound),
                         status=status, highs_time_s=highs_t, nodes=nodes, radius=self.minutes, order=order,
                         gains=gains, curve=curve_df, infeasible_rows=infeasible_rows, info=info)


class MCLP(LocationModel):
    r"""Maximal covering: ``p`` new sites covering the most weighted demand within ``minutes``.

    .. math::

        \max \sum_{i} w_i y_i \quad \text{s.t.} \quad
        y_i \le \sum_{j \in N_i} x_j \;\; \forall i, \qquad
        \sum_{j \in J} x_j \le p, \qquad x_j \in \{0,1\},\; 0 \le y_i \le 1

    (Church & ReVelle 1974). Existing sites :math:`E` are fixed open and not counted in
    :math:`p`; demand they cover is a constant. :math:`y_i` need not be declared integer:
    for binary :math:`x` the optimum has :math:`y_i \in \{0,1\}`. ``≤ p`` rather than
    ``= p``: coverage never decreases with more sites, so the optimum is the same, and
    when fewer than ``p`` sites already cover every reachable point the extra sites are
    not reported (they would add nothing).

    Reductions (exact): demand covered by existing sites is fixed; demand points with the
    same candidate set are merged (weights summed); a candidate whose covered set is a
    subset of another's is dropped. Warm start: greedy, best 1-swaps, and for large models
    (≥ 1,500 demand groups) rounding of the LP relaxation (interior point) and an iterated
    local search. The LP duals are Lagrange multipliers: with the warm start as incumbent,
    candidates that provably cannot be in (or out of) any better solution are fixed before
    branch and bound (:func:`~mzgeo.locate._highs.lagrangian_fixing`), which shrinks the model
    HiGHS sees. With a capacity the model becomes :class:`CapacitatedMCLP`'s.

    The objective is the covered weight (existing coverage included), as in PySAL spopt.
    """

    key = "mclp"
    name_zh = "最大覆盖选址（MCLP）"

    def __init__(self, problem: _Problem, *, minutes: float, p: int, single_source: bool = False,
                 **params: Any) -> None:
        self.minutes = _check_minutes(minutes)
        self.p = _check_p(p)
        self.single_source = bool(single_source)
        super().__init__(problem, minutes=self.minutes, p=self.p, **params)

    @classmethod
    def from_cost_matrix(cls, cost: Any, weights: Any = None, minutes: float | None = None, p: int | None = None,
                         *, existing_cost: Any = None, required: Sequence | None = None,
                         capacity: Any = None, existing_capacity: Any = None,
                         demand_labels: Any = None, candidate_labels: Any = None,
                         existing_labels: Any = None, single_source: bool = False) -> Any:
        """Build from travel times; parameters as :meth:`LSCP.from_cost_matrix` plus ``p`` (new sites)."""
        return cls._from_costs(cost, weights, existing_cost=existing_cost, required=required, capacity=capacity,
                               existing_capacity=existing_capacity, demand_labels=demand_labels,
                               candidate_labels=candidate_labels, existing_labels=existing_labels,
                               need_capacity=cls is CapacitatedMCLP,
                               minutes=minutes, p=p, single_source=single_source)

    def _solve(self, ctx: _Ctx, curve: str) -> _Solution:
        prob = self._problem
        if prob.capacity is not None:
            return _capacitated_cover_solve(self, ctx, minutes=self.minutes, p=self.p, mode="mclp",
                                            single_source=self.single_source, curve=curve)
        p = self.p
        pw, active, exist_cov, cand_reach = _coverage_setup(prob, self.minutes)
        w = prob.w
        fixed = float(w[active & exist_cov].sum())
        need = np.flatnonzero(active & ~exist_cov & cand_reach)
        infeasible_rows = np.flatnonzero(active & ~exist_cov & ~cand_reach)
        open_mask = prob.existing.copy()
        info: dict[str, Any] = {"demand_fixed_by_existing": fixed, "n_infeasible": int(len(infeasible_rows))}
        status, bound, highs_t, nodes = "Optimal", fixed, 0.0, 0
        greedy_curve: list[float] = []
        mdl = None
        if len(need) and p > 0 and prob.candidate.any():
            ag, wg, cols, red = _reduced_cover(pw, need, np.flatnonzero(prob.candidate), w)
            info.update(red)
            mdl = _mclp_arrays(ag, wg, p)
            mdl.update({"fixed": fixed})
            picked, greedy_curve, ub, lam = _mclp_warm_start(ag, wg, p, fixed, mdl, ctx, info)
            coverable = float(wg.sum())
            heur_val = cover_value(ag, wg, picked)
            integral = bool(np.all(np.abs(wg - np.round(wg)) < 1e-9))
            # bounds that need no MIP: the LP relaxation (when solved) and, per site, its own reach
            ub = min(ub, fixed + min(coverable, float(np.sort(ag.T @ wg)[::-1][:p].sum())))
            if integral:
                ub = math.floor(ub + 1e-6)
            if fixed + heur_val >= ub - 1e-9 * max(ub, 1.0):
                # the heuristic reaches a proven upper bound (e.g. everything coverable is covered)
                open_mask[cols[picked]] = True
                bound = fixed + heur_val
                log.info("MCLP：启发式解已达到上界，无需分支定界")
            else:
                sel, out, sub_bound = _mclp_exact(ag, wg, p, picked, lam, integral, ctx, info)
                open_mask[cols[sel]] = True
                bound = min(ub, fixed + sub_bound)
                if integral:
                    bound = math.floor(bound + 1e-6)
                if out is None:
                    status = "Optimal" if fixed + cover_value(ag, wg, sel) >= bound - 1e-9 else "Time limit reached"
                else:
                    status, highs_t, nodes = out.status, out.time_s, out.nodes
        objective = float(w[np.bincount(pw.row[open_mask[pw.col]], minlength=prob.n) > 0].sum())
        bound = max(bound, objective) if status == "Optimal" else bound
        order, gains, curve_df = _coverage_order(prob, pw, np.flatnonzero(open_mask & prob.candidate))
        if curve == "optimal":
            curve_df = self._optimal_curve(curve_df, mdl, fixed, greedy_curve, objective, status, ctx)
        return _Solution(open=open_mask, objective=objective, bound=bound, gap=_rel_gap(objective, bound),
                         status=status, highs_time_s=highs_t, nodes=nodes, radius=self.minutes, order=order,
                         gains=gains, curve=curve_df, infeasible_rows=infeasible_rows, info=info)

    def _optimal_curve(self, curve_df: pd.DataFrame, mdl: dict | None, fixed: float, greedy_curve: list,
                       objective: float, status: str, ctx: _Ctx) -> pd.DataFrame:
        """Optimal covered weight for every k = 1..p (one warm-started solve per k)."""
        vals, stats = [fixed], ["Optimal"]
        for kk in range(1, self.p + 1):
            if mdl is None:
                # nothing left to choose: every k gives the coverage of the existing sites
                vals.append(objective)
                stats.append(status)
                continue
            if kk == self.p:
                vals.append(objective)
                stats.append(status)
                continue
            row_hi = mdl["row_hi"].copy()
            row_hi[-1] = kk
            out = run_highs(mdl["cost"], mdl["a"], mdl["row_lo"], row_hi, mdl["col_lo"], mdl["col_hi"],
                            mdl["integer"], maximize=True, offset=mdl["fixed"], **ctx.highs())
            vals.append(out.objective)
            stats.append(out.status)
        return _attach_optimal(curve_df, vals, stats)


#: Smallest reduced MCLP (demand groups) for which the LP relaxation is solved for rounding.
_LP_ROUNDING_MIN_ROWS = 1500
#: Iterations of the iterated local search of the MCLP warm start (no time limit).
_ILS_ITERATIONS = 30
#: Share of the remaining time limit the iterated local search may use (with a time limit)...
_ILS_SHARE = 0.25
#: ...stopping earlier after this many iterations without a better solution.
_ILS_PATIENCE = 60


def _cover_mask(a: sp.csr_matrix, picked: np.ndarray) -> np.ndarray:
    """Rows of ``a`` covered by the columns ``picked``."""
    sel = np.zeros(a.shape[1])
    sel[np.asarray(picked, dtype=np.int64)] = 1.0
    return (a @ sel) > 0.5


def _mclp_warm_start(ag: sp.csr_matrix, wg: np.ndarray, p: int, fixed: float, mdl: dict, ctx: _Ctx,
                     info: dict) -> tuple[np.ndarray, list, float, np.ndarray | None]:
    """Greedy, LP rounding and iterated local search.

    Returns the sites, the greedy curve, an upper bound from the LP relaxation (``inf`` when
    not solved) and the LP row duals of the coverage rows (Lagrange multipliers) or ``None``.

    1. greedy + best 1-swaps;
    2. for large models, the LP relaxation (HiGHS interior point, no crossover): its value
       is an upper bound (kept with a 1e-6 relative safety margin) and the ``p`` largest
       LP values, improved by swaps, are a second start;
    3. iterated local search (:func:`~mzgeo.locate._highs.ils_max_cover`, a fixed number of
       iterations so results repeat) from the better start.
    """
    t0 = time.perf_counter()
    budget = _WARM_START_SHARE if ctx.time_limit_s is not None else 1.0
    deadline = ctx.deadline(budget)
    picked, gains = greedy_max_cover(ag, wg, p)
    greedy_curve = list(fixed + np.cumsum(gains))
    info["greedy_objective"] = fixed + float(gains.sum())
    picked = swap_max_cover(ag, wg, picked, deadline=deadline)
    best_v = cover_value(ag, wg, picked)
    ub = INF
    lam = None
    if ag.shape[0] >= _LP_ROUNDING_MIN_ROWS and len(picked) == p and best_v < wg.sum() - 1e-9:
        lp = run_highs(mdl["cost"], mdl["a"], mdl["row_lo"], mdl["row_hi"], mdl["col_lo"], mdl["col_hi"],
                       np.zeros(len(mdl["cost"]), dtype=bool), maximize=True, offset=fixed,
                       time_limit_s=None if ctx.time_limit_s is None else ctx.remaining() * budget,
                       options={"solver": "ipm", "run_crossover": "off"}, duals=True)
        if lp.status == "Optimal" and lp.x is not None:
            ub = lp.objective * (1 + 1e-6) + 1e-6
            info["lp_bound"] = lp.objective
            if "row_dual" in lp.extra:
                lam = np.abs(lp.extra["row_dual"][: ag.shape[0]])
            k = ag.shape[1]
            lp_pick = np.argsort(-lp.x[:k], kind="stable")[:p]
            lp_pick = swap_max_cover(ag, wg, lp_pick, deadline=deadline)
            v = cover_value(ag, wg, lp_pick)
            info["lp_rounding_objective"] = fixed + v
            if v > best_v:
                picked, best_v = lp_pick, v
    if best_v < wg.sum() - 1e-9 and fixed + best_v < ub - 1e-9 * max(abs(ub), 1.0):
        # without a time limit a fixed number of iterations (repeatable results); with one, the
        # search may use a quarter of it: on hard instances branch and bound rarely beats it
        if ctx.time_limit_s is None:
            picked = ils_max_cover(ag, wg, picked, iterations=_ILS_ITERATIONS)
        else:
            picked = ils_max_cover(ag, wg, picked, iterations=10**9, deadline=ctx.deadline(_ILS_SHARE),
                                   patience=_ILS_PATIENCE)
    info["warm_start_objective"] = fixed + cover_value(ag, wg, picked)
    info["warm_start_time_s"] = round(time.perf_counter() - t0, 3)
    return picked, greedy_curve, ub, lam


#: HiGHS options of the MCLP branch and bound (our reductions replace its presolve; the root
#: LP of this degenerate model is much faster by interior point). ``highs_options`` override.
_MCLP_HIGHS_OPTIONS = {"presolve": "off", "mip_lp_solver": "ipm"}


def _mclp_exact(ag: sp.csr_matrix, wg: np.ndarray, p: int, picked: np.ndarray, lam: np.ndarray | None,
                integral: bool, ctx: _Ctx, info: dict) -> tuple[np.ndarray, HighsOutcome | None, float]:
    """Branch and bound (HiGHS) on the reduced MCLP, after Lagrangian fixing.

    Returns the chosen columns of ``ag``, the HiGHS outcome (``None`` when the fixing left
    nothing to decide) and a valid upper bound on the covered weight of ``ag``'s rows.
    """
    k = ag.shape[1]
    inc = cover_value(ag, wg, picked)
    fix0 = np.zeros(k, dtype=bool)
    fix1 = np.zeros(k, dtype=bool)
    lag = INF
    if lam is not None:
        lag, fix0, fix1 = lagrangian_fixing(ag, wg, p, lam, inc, integral)
        info.update({"lagrangian_bound_reduced": lag, "n_fixed_closed": int(fix0.sum()),
                     "n_fixed_open": int(fix1.sum())})
        log.info("拉格朗日定界：固定关闭 %d 个、固定选中 %d 个候选点", int(fix0.sum()), int(fix1.sum()))
    free = np.flatnonzero(~fix0 & ~fix1)
    ones = np.flatnonzero(fix1)
    covered1 = _cover_mask(ag, ones) if len(ones) else np.zeros(ag.shape[0], dtype=bool)
    base = float(wg[covered1].sum())
    p_left = p - len(ones)
    sub = ag[~covered1][:, free].tocsr()
    w_sub = wg[~covered1]
    keep_rows = np.diff(sub.indptr) > 0
    sub, w_sub = sub[keep_rows], w_sub[keep_rows]
    if p_left <= 0 or sub.shape[0] == 0 or len(free) == 0:
        # nothing left to decide beyond the fixed sites (plus the best free ones by greedy)
        extra, _ = greedy_max_cover(sub, w_sub, max(p_left, 0)) if sub.shape[0] else (np.zeros(0, np.int64), None)
        sel = np.r_[ones, free[extra]].astype(np.int64)
        val = cover_value(ag, wg, sel)
        if val >= inc:
            return sel, None, min(lag, max(val, inc))
        return picked, None, min(lag, inc)
    groups = group_identical_rows(sub)
    first = _first_of_groups(groups)
    w_g = np.bincount(groups, weights=w_sub, minlength=len(first))
    sub = sub[first]
    keep_cols = np.flatnonzero(~dominated_columns(sub))
    sub = sub[:, keep_cols].tocsr()
    cols = free[keep_cols]
    info["n_rows_branch_and_bound"] = int(sub.shape[0])
    info["n_candidates_branch_and_bound"] = int(sub.shape[1])
    mdl = _mclp_arrays(sub, w_g, p_left)
    # the incumbent is a warm start when it agrees with the fixings and uses only kept columns
    start = None
    rest = picked[~np.isin(picked, ones)]
    pos = np.searchsorted(cols, rest)
    if (np.isin(ones, picked).all() and not fix0[picked].any() and len(cols) and np.all(pos < len(cols))
            and np.array_equal(cols[np.minimum(pos, len(cols) - 1)], rest)):
        start = np.r_[np.zeros(sub.shape[1]), _cover_mask(sub, pos).astype(float)]
        start[pos] = 1.0
    opts = {**_MCLP_HIGHS_OPTIONS, **ctx.options}
    out = run_highs(mdl["cost"], mdl["a"], mdl["row_lo"], mdl["row_hi"], mdl["col_lo"], mdl["col_hi"],
                    mdl["integer"], maximize=True, offset=base, start=start,
                    time_limit_s=ctx.remaining(), mip_gap=ctx.mip_gap, options=opts)
    sel = picked
    if out.x is not None:
        cand = np.r_[ones, cols[np.flatnonzero(out.x[: sub.shape[1]] > 0.5)]].astype(np.int64)
        if out.status != "Optimal" and len(cand):
            cand = swap_max_cover(ag, wg, cand, deadline=ctx.deadline(0.5))
        if cover_value(ag, wg, cand) >= inc:
            sel = cand
    # solutions that break a fixing are no better than the incumbent
    bound = max(out.bound, inc) if math.isfinite(out.bound) else INF
    return sel, out, min(lag, bound)


def _mclp_arrays(ag: sp.csr_matrix, wg: np.ndarray, p: int) -> dict:
    """Columns ``[x (k sites), y (g demand groups)]``; rows ``y_g − Σ x_j ≤ 0`` and ``Σ x ≤ p``."""
    g, k = ag.shape
    a = sp.vstack(
        [
            sp.hstack([-ag, sp.identity(g, format="csr")], format="csr"),
            sp.hstack([sp.csr_matrix(np.ones((1, k))), sp.csr_matrix((1, g))], format="csr"),
        ],
        format="csc",
    )
    return {
        "cost": np.r_[np.zeros(k), wg], "a": a,
        "row_lo": np.full(g + 1, -INF), "row_hi": np.r_[np.zeros(g), float(p)],
        "col_lo": np.zeros(k + g), "col_hi": np.ones(k + g),
        "integer": np.r_[np.ones(k, dtype=bool), np.zeros(g, dtype=bool)],
    }


class CapacitatedMCLP(MCLP):
    r"""Capacitated maximal covering: demand assigned to sites without exceeding capacity.

    Sites :math:`j` have a capacity :math:`c_j` in weight units (e.g. persons); existing
    sites are open with their own capacity. :math:`f_{ij}` is the share of demand point
    :math:`i` served by site :math:`j` (only pairs within ``minutes``):

    .. math::

        \max \sum_{i,j} w_i f_{ij} \quad \text{s.t.}\quad
        \sum_j f_{ij} \le 1 \;\forall i,\quad
        \sum_i w_i f_{ij} \le c_j x_j \;\forall j,\quad
        f_{ij} \le x_j,\quad \sum_{j \in J} x_j \le p,\quad
        x_j \in \{0,1\},\; 0 \le f_{ij} \le 1

    (``x_j = 1`` fixed for existing sites). A demand point may be split between sites
    unless ``single_source=True`` (then :math:`f_{ij} \in \{0,1\}`). Demand points with the
    same reachable set are merged (valid for split assignment). Covered demand never
    exceeds any site's capacity: ``facility_summary.load ≤ capacity``. PySAL spopt has no
    capacitated MCLP.
    """

    key = "cmclp"
    name_zh = "容量约束最大覆盖（CMCLP）"

    def __init__(self, problem: _Problem, **params: Any) -> None:
        if problem.capacity is None:
            msg = "CapacitatedMCLP 需要设施容量（capacity / capacity_col）"
            raise InputError(msg)
        super().__init__(problem, **params)


class PMedian(LocationModel):
    r"""p-median: ``p`` new sites minimising the total weighted travel time.

    With :math:`z_{ij}` the share of demand :math:`i` assigned to site :math:`j`:

    .. math::

        \min \sum_{i,j} w_i t_{ij} z_{ij} \quad \text{s.t.}\quad
        \sum_j z_{ij} = 1 \;\forall i,\quad z_{ij} \le x_j,\quad
        \sum_{j \in J} x_j \le p,\quad x_j \in \{0,1\},\; z_{ij} \ge 0

    (Hakimi 1964; ReVelle & Swain 1970), with :math:`x_j = 1` for existing sites. Only the
    pairs given (within ``minutes`` when set) exist, so the model stays sparse. Exact
    reductions: each demand point keeps only its nearest existing site and the candidates
    strictly nearer than it (an existing site is always open, so farther candidates are
    never used); demand no candidate can improve is a constant. Demand with no reachable
    site at all is listed in :attr:`infeasible` and left out; when ``p`` new sites cannot
    give every other point a reachable site, :class:`~mzgeo.InfeasibleError` says how many
    are needed. Optional capacities add ``Σ_i w_i z_ij ≤ c_j x_j``.

    The objective is the total weighted travel time (weight × minutes), as in spopt;
    ``params["mean_minutes"]`` is the weighted mean.
    """

    key = "pmedian"
    name_zh = "总出行时间最小（p-中位）"

    def __init__(self, problem: _Problem, *, p: int, minutes: float | None = None, single_source: bool = False,
                 **params: Any) -> None:
        self.p = _check_p(p)
        self.minutes = _check_minutes(minutes, required=False)
        self.single_source = bool(single_source)
        super().__init__(problem, p=self.p, minutes=self.minutes, **params)

    @classmethod
    def from_cost_matrix(cls, cost: Any, weights: Any = None, p: int | None = None, *, minutes: float | None = None,
                         existing_cost: Any = None, required: Sequence | None = None, capacity: Any = None,
                         existing_capacity: Any = None, demand_labels: Any = None, candidate_labels: Any = None,
                         existing_labels: Any = None, single_source: bool = False) -> PMedian:
        """Build from travel times; ``minutes`` (optional) drops pairs beyond it."""
        return cls._from_costs(cost, weights, existing_cost=existing_cost, required=required, capacity=capacity,
                               existing_capacity=existing_capacity, demand_labels=demand_labels,
                               candidate_labels=candidate_labels, existing_labels=existing_labels,
                               p=p, minutes=minutes, single_source=single_source)

    def headline(self, kind: str = "设施") -> str:
        """One Chinese line: weighted mean travel time before and after the new sites."""
        self._need()
        curve = self._frames["coverage_curve"]
        before = curve["mean_minutes"].iloc[0] if "mean_minutes" in curve else float("nan")
        after = self.params.get("mean_minutes", float("nan"))
        return (f"{kind}：建议新增 {len(self._frames['selected'])} 处，平均出行时间 {before:.1f} → {after:.1f} 分钟"
                f"（{self.status_zh}）")

    def _added_demand(self, sol: _Solution, order: np.ndarray, gains: np.ndarray) -> np.ndarray:
        # demand that gets its first reachable site from each new site (gains are minutes saved)
        if sol.curve is None or len(sol.curve) != len(order) + 1:
            return np.zeros(len(order))
        return np.diff(sol.curve["demand_covered"].to_numpy(dtype=float))

    def _extra_selected_columns(self, sel: pd.DataFrame, order: np.ndarray, gains: np.ndarray,
                                sol: _Solution) -> None:
        if sol.flows is None:
            sel["minutes_saved"] = gains
    def _infeasible_reason(self) -> str:
        return "没有任何现有设施或候选点可达" + (f"（{self.minutes:g} 分钟内）" if self.minutes is not None else "")

    def _solve(self, ctx: _Ctx, curve: str) -> _Solution:
        if curve == "optimal":
            msg = "curve='optimal' 仅适用于 MCLP / CapacitatedMCLP"
            raise InputError(msg)
        prob = self._problem
        pw = prob.pairs.within(self.minutes)
        w = prob.w
        active = w > 0
        reach = np.zeros(prob.n, dtype=bool)
        reach[pw.row] = True
        infeasible_rows = np.flatnonzero(active & ~reach)
        rows = np.flatnonzero(active & reach)
        if len(infeasible_rows):
            log.warning("p-中位：%d 个需求点没有任何设施可达，已列入 infeasible", len(infeasible_rows))
        if prob.capacity is not None:
            sol = self._solve_capacitated(ctx, pw, rows)
        else:
            sol = self._solve_plain(ctx, pw, rows)
        sol.infeasible_rows = infeasible_rows
        served = float(w[rows].sum())
        sol.info["mean_minutes"] = sol.objective / served if served > 0 else 0.0
        return sol

    def _solve_plain(self, ctx: _Ctx, pw: Pairs, rows: np.ndarray) -> _Solution:
        prob = self._problem
        w = prob.w
        _, t_e = nearest_open(pw, prob.existing)
        in_rows = np.zeros(prob.n, dtype=bool)
        in_rows[rows] = True
        useful = prob.candidate[pw.col] & in_rows[pw.row] & (pw.minutes < t_e[pw.row] - 1e-12)
        up = pw.subset(useful)
        has_useful = np.zeros(prob.n, dtype=bool)
        has_useful[up.row] = True
        const_rows = rows[~has_useful[rows]]
        const = float((w[const_rows] * t_e[const_rows]).sum())
        mrows = rows[has_useful[rows]]
        open_mask = prob.existing.copy()
        status, bound, highs_t, nodes = "Optimal", const, 0.0, 0
        info: dict[str, Any] = {"n_rows_model": int(len(mrows)), "n_pairs_model": int(up.nnz)}
        if len(mrows):
            rmap = np.full(prob.n, -1, dtype=np.int64)
            rmap[mrows] = np.arange(len(mrows))
            cand_cols, cidx = np.unique(up.col, return_inverse=True)
            k, npair, nr = len(cand_cols), up.nnz, len(mrows)
            has_e = np.isfinite(t_e[mrows])
            e_rows = np.flatnonzero(has_e)
            ne = len(e_rows)
            # columns: z (pairs), z0 (existing option of rows with one), x (candidates)
            zr = rmap[up.row]
            r = np.r_[zr, e_rows, nr + np.arange(npair), nr + np.arange(npair), np.full(k, nr + npair)]
            c = np.r_[np.arange(npair), npair + np.arange(ne), np.arange(npair), npair + ne + cidx,
                      npair + ne + np.arange(k)]
            v = np.r_[np.ones(npair + ne), np.ones(npair), -np.ones(npair), np.ones(k)]
            ncol = npair + ne + k
            a = sp.csc_matrix((v, (r, c)), shape=(nr + npair + 1, ncol))
            cost = np.r_[w[up.row] * up.minutes, w[mrows[e_rows]] * t_e[mrows[e_rows]], np.zeros(k)]
            row_lo = np.r_[np.ones(nr), np.full(npair + 1, -INF)]
            row_hi = np.r_[np.ones(nr), np.zeros(npair), float(self.p)]
            integer = np.r_[np.full(npair + ne, self.single_source), np.ones(k, dtype=bool)]
            cand_mask = np.zeros(prob.m, dtype=bool)
            cand_mask[cand_cols] = True
            big = float(pw.minutes.max()) * 10 + 1 if pw.nnz else 1.0
            picked = greedy_pmedian(pw, np.where(in_rows, w, 0.0), t_e, cand_mask, self.p, big)
            start = np.full(ncol, np.nan)
            xs = np.zeros(prob.m)
            xs[picked] = 1.0
            start[npair + ne:] = xs[cand_cols]
            out = run_highs(cost, a, row_lo, row_hi, np.zeros(ncol), np.ones(ncol), integer, maximize=False,
                            offset=const, start=start, **ctx.highs())
            if out.status == "Infeasible":
                self._raise_too_few(pw, rows, ctx)
            x = _outcome_or_fallback(out, None, self.name_zh)
            open_mask[cand_cols[x[npair + ne:] > 0.5]] = True
            # a bound that needs no LP: every point at its nearest site, all candidates open
            _, t_all = nearest_open(pw)
            simple = float((w[rows] * t_all[rows]).sum())
            bound = max(out.bound, simple) if math.isfinite(out.bound) else simple
            status, highs_t, nodes = out.status, out.time_s, out.nodes
        _, t_best = nearest_open(pw, open_mask)
        objective = float((w[rows] * t_best[rows]).sum())
        order, gains, curve_df = _median_order(prob, pw, rows, open_mask)
        return _Solution(open=open_mask, objective=objective, bound=bound, gap=_rel_gap(objective, bound),
                         status=status, highs_time_s=highs_t, nodes=nodes, radius=INF, order=order, gains=gains,
                         curve=curve_df, info=info)

    def _solve_capacitated(self, ctx: _Ctx, pw: Pairs, rows: np.ndarray) -> _Solution:
        prob = self._problem
        asg = _assign_data(prob, pw, rows, merge=not self.single_source, by_time=True)
        mdl = _capacitated_model(prob, asg, prob.capacity, objective="time", p=self.p,
                                 single_source=self.single_source, demand_equal=True)
        out = run_highs(mdl["cost"], mdl["a"], mdl["row_lo"], mdl["row_hi"], mdl["col_lo"], mdl["col_hi"],
                        mdl["integer"], maximize=False, **ctx.highs())
        if out.status == "Infeasible":
            msg = (f"p-中位（容量约束）不可行：{self.p} 个新设施加现有设施的容量或可达范围不足以服务全部需求；"
                   "请增加 p、容量或 minutes")
            raise InfeasibleError(msg, list(prob.demand_labels[rows]))
        x = _outcome_or_fallback(out, None, self.name_zh)
        npair = mdl["npair"]
        open_mask = prob.existing.copy()
        open_mask[mdl["cand_sites"][x[npair:] > 0.5]] = True
        share = np.clip(x[:npair], 0, 1)
        objective = float((asg.wg[asg.pr] * asg.pt * share).sum())
        new = mdl["cand_sites"][x[npair:] > 0.5]
        load = np.bincount(asg.pc, weights=asg.wg[asg.pr] * share, minlength=prob.m)
        order = new[np.argsort(-load[new], kind="stable")]
        cum = np.r_[0.0, np.cumsum(load[order])]
        base = float(load[prob.existing].sum())
        curve_df = _curve_frame(prob, order, base + cum)
        return _Solution(open=open_mask, objective=objective, bound=out.bound,
                         gap=_rel_gap(objective, out.bound), status=out.status, highs_time_s=out.time_s,
                         nodes=out.nodes, radius=INF, flows=asg.expand(share), order=order, gains=load[order],
                         curve=curve_df, info={"n_rows_model": asg.ng, "n_pairs_model": npair})

    def _raise_too_few(self, pw: Pairs, rows: np.ndarray, ctx: _Ctx) -> None:
        prob = self._problem
        ex_reach = np.zeros(prob.n, dtype=bool)
        ex_reach[pw.row[prob.existing[pw.col]]] = True
        need = rows[~ex_reach[rows]]
        k_needed = None
        if len(need):
            ag, _, _, _ = _reduced_cover(pw, need, np.flatnonzero(prob.candidate), prob.w)
            out = run_highs(np.ones(ag.shape[1]), ag, np.ones(ag.shape[0]), np.full(ag.shape[0], INF),
                            np.zeros(ag.shape[1]), np.ones(ag.shape[1]), np.ones(ag.shape[1], dtype=bool),
                            maximize=False, time_limit_s=ctx.remaining())
            k_needed = math.ceil(out.bound - 1e-6) if math.isfinite(out.bound) else None
        within = f"在 {self.minutes:g} 分钟内" if self.minutes is not None else ""
        msg = (f"p-中位不可行：{self.p} 个新设施无法让每个需求点{within}都有设施可达"
               + (f"，至少需要 {k_needed} 个新设施" if k_needed else "") + "；请增大 p 或 minutes")
        raise InfeasibleError(msg, list(prob.demand_labels[need]))


def _median_order(prob: _Problem, pw: Pairs, rows: np.ndarray, open_mask: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Greedy order of the new sites by weighted minutes saved (unserved demand first)."""
    w = np.zeros(prob.n)
    w[rows] = prob.w[rows]
    chosen = np.flatnonzero(open_mask & prob.candidate)
    _, cur = nearest_open(pw, prob.existing)
    big = float(pw.minutes.max()) * 10 + 1 if pw.nnz else 1.0
    mask = np.zeros(prob.m, dtype=bool)
    mask[chosen] = True
    picked = greedy_pmedian(pw, w, cur, mask, len(chosen), big)
    rest = np.setdiff1d(chosen, picked)
    order = np.r_[picked, rest].astype(np.int64)
    served, saved, mean_t = [], [], []
    sub = pw.subset(mask[pw.col])
    cur_c = cur.copy()

    def state(c: np.ndarray) -> tuple[float, float]:
        ok = np.isfinite(c[rows])
        sw = float(w[rows][ok].sum())
        return sw, float((w[rows][ok] * c[rows][ok]).sum()) / sw if sw > 0 else np.nan

    s0, m0 = state(cur_c)
    served.append(s0)
    mean_t.append(m0)
    for j in order:
        mine = sub.col == j
        r, t = sub.row[mine], sub.minutes[mine]
        before = np.where(np.isfinite(cur_c[r]), cur_c[r], t)
        saved.append(float((w[r] * np.maximum(before - t, 0)).sum()))
        cur_c[r] = np.minimum(cur_c[r], t)
        s, mt = state(cur_c)
        served.append(s)
        mean_t.append(mt)
    curve_df = _curve_frame(prob, order, np.asarray(served))
    curve_df["mean_minutes"] = mean_t
    gains = np.asarray(saved)
    return order, gains, curve_df




class PCenter(LocationModel):
    r"""p-center: ``p`` new sites minimising the worst travel time to the nearest open site.

    .. math::

        \min W \quad\text{s.t.}\quad \min_{j\ \text{open}} t_{ij} \le W \;\forall i,
        \qquad \sum_{j \in J} x_j \le p

    (Hakimi 1965). Solved exactly by bisection over the distinct travel times :math:`r`:
    :math:`r` is feasible when a set-covering problem (existing sites required) covers
    every demand point within :math:`r` with at most :math:`p` new sites; the optimum is
    the smallest feasible :math:`r`. Each probe first tries cheap proofs (a point with no
    site within :math:`r` ⇒ infeasible; greedy cover with ≤ p sites ⇒ feasible) and calls
    HiGHS only when needed. This avoids the weak big-M formulation and is exact. The lower
    bound of the gap is the smallest radius not proven infeasible.

    Only demand with weight > 0 counts (weights otherwise do not enter the objective).
    Demand no site reaches is listed in :attr:`infeasible`. With capacities, a probe is
    feasible when the demand can be assigned within :math:`r` without exceeding capacity.
    The objective is the worst travel time (minutes).
    """

    key = "pcenter"
    name_zh = "最远出行时间最小（p-中心）"

    def __init__(self, problem: _Problem, *, p: int, minutes: float | None = None, **params: Any) -> None:
        self.p = _check_p(p)
        self.minutes = _check_minutes(minutes, required=False)
        super().__init__(problem, p=self.p, minutes=self.minutes, **params)

    @classmethod
    def from_cost_matrix(cls, cost: Any, weights: Any = None, p: int | None = None, *, minutes: float | None = None,
                         existing_cost: Any = None, required: Sequence | None = None, capacity: Any = None,
                         existing_capacity: Any = None, demand_labels: Any = None, candidate_labels: Any = None,
                         existing_labels: Any = None) -> PCenter:
        """Build from travel times; ``minutes`` (optional) drops pairs beyond it."""
        return cls._from_costs(cost, weights, existing_cost=existing_cost, required=required, capacity=capacity,
                               existing_capacity=existing_capacity, demand_labels=demand_labels,
                               candidate_labels=candidate_labels, existing_labels=existing_labels,
                               p=p, minutes=minutes)

    def _infeasible_reason(self) -> str:
        return "没有任何现有设施或候选点可达" + (f"（{self.minutes:g} 分钟内）" if self.minutes is not None else "")

    def headline(self, kind: str = "设施") -> str:
        """One Chinese line: worst travel time before and after the new sites."""
        self._need()
        curve = self._frames["coverage_curve"]
        before = float(curve["max_minutes"].iloc[0]) if "max_minutes" in curve and len(curve) else float("nan")
        return (f"{kind}：建议新增 {len(self._frames['selected'])} 处，最远出行时间 {before:.1f} → "
                f"{self.objective:.1f} 分钟（{self.status_zh}）")

    def _probe(self, r: float, rows: np.ndarray, pw: Pairs, ctx: _Ctx) -> tuple[bool | None, np.ndarray, float]:
        """Is radius ``r`` achievable with ≤ p new sites? (True / False / None = unknown), sites, HiGHS time."""
        prob = self._problem
        pr = pw.within(r)
        if prob.capacity is not None:
            in_rows = np.zeros(prob.n, dtype=bool)
            in_rows[rows] = True
            reach = np.zeros(prob.n, dtype=bool)
            reach[pr.row] = True
            if (in_rows & ~reach).any():
                return False, np.zeros(0, dtype=np.int64), 0.0
            asg = _assign_data(prob, pr, rows, merge=True)
            mdl = _capacitated_model(prob, asg, prob.capacity, objective="count", p=self.p, demand_equal=True)
            out = run_highs(mdl["cost"], mdl["a"], mdl["row_lo"], mdl["row_hi"], mdl["col_lo"], mdl["col_hi"],
                            mdl["integer"], maximize=False, **ctx.highs(mip_gap=1.0))
            if out.status == "Infeasible":
                return False, np.zeros(0, dtype=np.int64), out.time_s
            if out.x is None:
                return None, np.zeros(0, dtype=np.int64), out.time_s
            return True, mdl["cand_sites"][out.x[mdl["npair"]:] > 0.5], out.time_s
        ex_cov = np.zeros(prob.n, dtype=bool)
        ex_cov[pr.row[prob.existing[pr.col]]] = True
        cand_reach = np.zeros(prob.n, dtype=bool)
        cand_reach[pr.row[prob.candidate[pr.col]]] = True
        need = rows[~ex_cov[rows]]
        if not len(need):
            return True, np.zeros(0, dtype=np.int64), 0.0
        if (~cand_reach[need]).any():
            return False, np.zeros(0, dtype=np.int64), 0.0
        ag, _, cols, _ = _reduced_cover(pr, need, np.flatnonzero(prob.candidate), prob.w)
        greedy = greedy_set_cover(ag)
        if len(greedy) <= self.p:
            return True, cols[greedy], 0.0
        k = ag.shape[1]
        a = sp.vstack([ag, sp.csr_matrix(np.ones((1, k)))], format="csc")
        # feasibility: any cover with ≤ p sites will do (gap 1 stops at the first one)
        out = run_highs(np.ones(k), a, np.r_[np.ones(ag.shape[0]), -INF], np.r_[np.full(ag.shape[0], INF), self.p],
                        np.zeros(k), np.ones(k), np.ones(k, dtype=bool), maximize=False,
                        **ctx.highs(mip_gap=1.0))
        if out.status == "Infeasible":
            return False, np.zeros(0, dtype=np.int64), out.time_s
        if out.x is None:
            return None, np.zeros(0, dtype=np.int64), out.time_s
        return True, cols[out.x > 0.5], out.time_s

    def _solve(self, ctx: _Ctx, curve: str) -> _Solution:
        if curve == "optimal":
            msg = "curve='optimal' 仅适用于 MCLP / CapacitatedMCLP"
            raise InputError(msg)
        prob = self._problem
        pw = prob.pairs.within(self.minutes)
        active = prob.w > 0
        reach = np.zeros(prob.n, dtype=bool)
        reach[pw.row] = True
        infeasible_rows = np.flatnonzero(active & ~reach)
        rows = np.flatnonzero(active & reach)
        if len(infeasible_rows):
            log.warning("p-中心：%d 个需求点没有任何设施可达，已列入 infeasible", len(infeasible_rows))
        open_mask = prob.existing.copy()
        if not len(rows):
            return _Solution(open=open_mask, objective=0.0, bound=0.0, gap=0.0, status="Optimal", radius=INF,
                             order=np.zeros(0, dtype=np.int64), gains=np.zeros(0),
                             curve=_curve_frame(prob, np.zeros(0, dtype=np.int64), np.zeros(1)),
                             infeasible_rows=infeasible_rows)
        in_rows = np.zeros(prob.n, dtype=bool)
        in_rows[rows] = True
        _, t_any = nearest_open(pw)
        lb0 = float(t_any[rows].max())
        values = np.unique(pw.minutes[in_rows[pw.row] & (pw.minutes >= lb0 - 1e-12)])
        lo, hi = 0, len(values) - 1
        proven_infeasible = -1
        highs_t, probes = 0.0, 0
        ok, sites, ht = self._probe(float(values[hi]), rows, pw, ctx)
        highs_t += ht
        probes += 1
        if ok is False:
            msg = (f"p-中心不可行：{self.p} 个新设施无法让每个需求点都有设施可达"
                   + (f"（{self.minutes:g} 分钟内）" if self.minutes is not None else "") + "；请增大 p 或 minutes")
            raise InfeasibleError(msg, list(prob.demand_labels[rows]))
        if ok is None:
            msg = f"{self.name_zh}：在时限内未找到可行解；请放宽 time_limit_s"
            raise NotSolvedError(msg)
        best = (hi, sites)
        timed_out = False
        while lo < best[0]:
            mid = (lo + best[0]) // 2
            if ctx.time_limit_s is not None and (ctx.remaining() or 0) <= 0.02:
                timed_out = True
                break
            ok, sites, ht = self._probe(float(values[mid]), rows, pw, ctx)
            highs_t += ht
            probes += 1
            if ok:
                best = (mid, sites)
            else:
                if ok is False:
                    proven_infeasible = max(proven_infeasible, mid)
                else:
                    timed_out = True
                lo = mid + 1
        open_mask[best[1]] = True
        if prob.capacity is not None:
            asg = _assign_data(prob, pw.within(float(values[best[0]])), rows, merge=True)
            mdl = _capacitated_model(prob, asg, prob.capacity, objective="time", p=None, demand_equal=True)
            col_hi = mdl["col_hi"].copy()
            col_hi[mdl["npair"]:] = open_mask[mdl["cand_sites"]].astype(float)
            col_lo = mdl["col_lo"].copy()
            col_lo[mdl["npair"]:] = col_hi[mdl["npair"]:]
            out = run_highs(mdl["cost"], mdl["a"], mdl["row_lo"], mdl["row_hi"], col_lo, col_hi,
                            np.zeros(len(mdl["cost"]), dtype=bool), maximize=False)
            share = np.clip(out.x[: mdl["npair"]], 0, 1) if out.x is not None else np.zeros(mdl["npair"])
            flows = asg.expand(share)
            objective = float(asg.pt[share > 1e-7].max()) if (share > 1e-7).any() else 0.0
        else:
            flows = None
            _, t_best = nearest_open(pw, open_mask)
            objective = float(t_best[rows].max())
        lower = float(values[proven_infeasible + 1]) if proven_infeasible + 1 < len(values) else objective
        lower = min(lower, objective)
        status = "Time limit reached" if timed_out else "Optimal"
        gap = _rel_gap(objective, lower) if objective > 0 else 0.0
        radius = objective
        order, gains, curve_df = _coverage_order(prob, pw.within(radius), np.flatnonzero(open_mask & prob.candidate))
        max_t = []
        cur_open = prob.existing.copy()
        _, t0 = nearest_open(pw, cur_open)
        max_t.append(float(t0[rows].max()))
        for j in order:
            cur_open[j] = True
            _, tt = nearest_open(pw, cur_open)
            max_t.append(float(tt[rows].max()))
        curve_df["max_minutes"] = max_t
        return _Solution(open=open_mask, objective=objective, bound=lower, gap=gap, status=status,
                         highs_time_s=highs_t, radius=radius, flows=flows, order=order, gains=gains, curve=curve_df,
                         infeasible_rows=infeasible_rows,
                         info={"bisection_probes": probes, "radius_candidates": int(len(values)),
                               "lower_bound_minutes": lower})


class BedPlacement(LocationModel):
    r"""Where to add elderly-care beds so that the most elderly have enough beds within reach.

    *Enough beds* is the bed-ratio rule made spatial: one bed serves
    :math:`s = 1000 / \tau` elderly, where :math:`\tau` = ``target_per_1000`` beds per 1,000
    elderly (Huzhou 37.5 → one bed per 26.7 elderly). An elder counts as *covered* when
    they can be assigned to an institution within ``minutes`` whose beds, at the target
    ratio, suffice for everybody assigned to it. With elderly :math:`e_i` at demand point
    :math:`i`, existing beds :math:`B_j` at institution :math:`j`, beds added :math:`b_j`,
    new-site switch :math:`x_j` and assigned share :math:`f_{ij}` (pairs within
    ``minutes`` only):

    .. math::

        \max \sum_{i,j} e_i f_{ij} - \varepsilon \sum_j b_j \quad\text{s.t.}\quad
        \sum_j f_{ij} \le 1, \quad
        \sum_i e_i f_{ij} \le s\,(B_j + b_j), \quad
        \sum_j b_j \le \text{budget},

    .. math::

        b_j \le U_j \;(\text{existing}), \quad
        m\,x_j \le b_j \le U_j x_j,\; f_{ij} \le x_j \;(\text{new sites}), \quad
        \sum_{j\ \text{new}} x_j \le p, \quad
        \sum_{j \in u} b_j \le \text{gap}_u \;(\text{per unit, optional})

    with :math:`b_j` integer, :math:`x_j` binary, :math:`0 \le f_{ij} \le 1`,
    :math:`U_j` the per-site maximum addition, :math:`m` = ``min_new_beds``, and
    :math:`\varepsilon = 10^{-4}` elderly per bed, which only breaks ties towards fewer
    beds. The budget is ``beds_to_add`` or the sum of the per-unit bed gaps (``unit_gap``,
    e.g. ``bed_ratio(...)["bed_gap"]``); with ``per_unit=True`` each unit's additions stay
    within its own gap (sites need a unit code). This is the accessibility-based gap of
    the coverage issue closed: if every elder is covered, every catchment has at least
    :math:`\tau` beds per 1,000 elderly assigned to it.

    Results: :attr:`selected` lists the sites that receive beds (existing institutions
    expanded and new sites) with ``beds_added``; the objective is the number of elderly
    covered; ``params["covered_before"]`` is the coverage with existing beds only.
    """

    key = "beds"
    name_zh = "养老床位布局"

    def __init__(self, problem: _Problem, *, minutes: float, beds_to_add: float | None = None,
                 existing_beds: Any = None, target_per_1000: float | None = None,
                 max_add_existing: Any = None, max_add_new: Any = None, min_new_beds: float = 0.0,
                 p: int | None = None, unit_gap: Any = None, site_units: Any = None, per_unit: bool = False,
                 **params: Any) -> None:
        self.minutes = _check_minutes(minutes)
        self.target_per_1000 = float(settings.bed_target_per_1000 if target_per_1000 is None else target_per_1000)
        if not self.target_per_1000 > 0:
            msg = f"target_per_1000 须为正数（张/千名老人），不是 {target_per_1000!r}"
            raise InputError(msg)
        self.p = None if p is None else _check_p(p)
        ex_labels = pd.Index(problem.site_labels[problem.existing])
        cand_labels = pd.Index(problem.site_labels[problem.candidate])
        beds = np.zeros(problem.m)
        if problem.existing.any():
            if existing_beds is None:
                if "beds" in problem.site_attrs:
                    existing_beds = problem.site_attrs["beds"][problem.existing]
                else:
                    msg = "BedPlacement 需要现有养老机构的床位数（existing_beds / beds_col）"
                    raise InputError(msg)
            beds[problem.existing] = _site_values(existing_beds, ex_labels, "现有床位数", default=0.0)
        self.unit_gap = None
        gap_series = None
        if unit_gap is not None:
            gap_series = unit_gap["bed_gap"] if isinstance(unit_gap, pd.DataFrame) else pd.Series(unit_gap)
            gap_series = pd.to_numeric(gap_series, errors="coerce").fillna(0.0).clip(lower=0.0)
            self.unit_gap = gap_series
        if beds_to_add is None:
            if gap_series is None:
                msg = "请给出要新增的床位总数 beds_to_add，或各区划的床位缺口 unit_gap"
                raise InputError(msg)
            beds_to_add = float(np.floor(gap_series.sum() + 1e-9))
        if not float(beds_to_add) >= 0:
            msg = f"beds_to_add 须为非负数（张），不是 {beds_to_add!r}"
            raise InputError(msg)
        self.beds_to_add = float(beds_to_add)
        umax = np.full(problem.m, self.beds_to_add)
        if problem.existing.any():
            umax[problem.existing] = np.minimum(
                _site_values(max_add_existing, ex_labels, "现有机构最多可增床位", default=self.beds_to_add),
                self.beds_to_add)
        if problem.candidate.any():
            umax[problem.candidate] = np.minimum(
                _site_values(max_add_new, cand_labels, "新址最多床位", default=self.beds_to_add), self.beds_to_add)
        self.min_new_beds = float(min_new_beds)
        self.per_unit = bool(per_unit)
        units = None
        if self.per_unit:
            if gap_series is None:
                msg = "per_unit=True 需要各区划床位缺口 unit_gap"
                raise InputError(msg)
            if site_units is None:
                site_units = problem.site_attrs.get("unit_code")
            if site_units is None:
                msg = "per_unit=True 需要每个设施所属区划代码（site_units / unit_col）"
                raise InputError(msg)
            units = np.asarray(site_units, dtype=object)
            if len(units) != problem.m:
                msg = f"site_units 有 {len(units)} 个值，但有 {problem.m} 个设施（现有在前、候选在后）"
                raise InputError(msg)
        self._beds = beds
        self._umax = umax
        self._units = units
        super().__init__(problem, minutes=self.minutes, beds_to_add=self.beds_to_add,
                         target_per_1000=self.target_per_1000, min_new_beds=self.min_new_beds, p=self.p,
                         per_unit=self.per_unit, **params)

    @classmethod
    def from_cost_matrix(cls, cost: Any, weights: Any = None, minutes: float | None = None,
                         beds_to_add: float | None = None, *, existing_cost: Any = None, existing_beds: Any = None,
                         target_per_1000: float | None = None, max_add_existing: Any = None,
                         max_add_new: Any = None, min_new_beds: float = 0.0, p: int | None = None,
                         unit_gap: Any = None, site_units: Any = None, per_unit: bool = False,
                         demand_labels: Any = None, candidate_labels: Any = None,
                         existing_labels: Any = None) -> BedPlacement:
        """Build from travel times.

        Parameters
        ----------
        cost : DataFrame, ODMatrix, sparse matrix or array
            Demand → candidate (new site) travel times in minutes; may be ``None`` when
            only existing institutions can grow.
        weights : Series or array
            Elderly (60+) per demand point.
        minutes : float
            Catchment (minutes), e.g. ``settings.beds_access_minutes``.
        beds_to_add : float, optional
            Total beds to add; default the sum of ``unit_gap``.
        existing_cost : optional
            Demand → existing institution travel times.
        existing_beds : Series, mapping or array
            Beds of each existing institution.
        target_per_1000 : float, optional
            Beds per 1,000 elderly; default ``settings.bed_target_per_1000``.
        max_add_existing, max_add_new : scalar, mapping, Series or array, optional
            Most beds that may be added per existing institution / per new site.
        min_new_beds : float
            Smallest new institution (beds) when a new site is opened.
        p : int, optional
            Most new sites.
        unit_gap : Series or DataFrame, optional
            Bed gap per administrative unit (index = unit code; a frame uses ``bed_gap``).
        site_units : array, optional
            Unit code of every site (existing first, then candidates) for ``per_unit``.
        per_unit : bool
            Keep each unit's additions within its own gap.
        """
        return cls._from_costs(cost, weights, existing_cost=existing_cost, demand_labels=demand_labels,
                               candidate_labels=candidate_labels, existing_labels=existing_labels,
                               minutes=minutes, beds_to_add=beds_to_add, existing_beds=existing_beds,
                               target_per_1000=target_per_1000, max_add_existing=max_add_existing,
                               max_add_new=max_add_new, min_new_beds=min_new_beds, p=p, unit_gap=unit_gap,
                               site_units=site_units, per_unit=per_unit)

    def _solve(self, ctx: _Ctx, curve: str) -> _Solution:
        if curve == "optimal":
            msg = "curve='optimal' 仅适用于 MCLP / CapacitatedMCLP"
            raise InputError(msg)
        prob = self._problem
        s = 1000.0 / self.target_per_1000
        pw = prob.pairs.within(self.minutes)
        active = prob.w > 0
        reach = np.zeros(prob.n, dtype=bool)
        reach[pw.row] = True
        rows = np.flatnonzero(active & reach)
        infeasible_rows = np.flatnonzero(active & ~reach)
        asg = _assign_data(prob, pw, rows, merge=True)
        cap0 = s * self._beds
        base_open = prob.existing.copy()
        covered_before, share_before = _flow_lp(prob, asg, cap0, base_open, ctx)
        # ---- model arrays: f (pairs), b (sites in play), x (candidate sites in play)
        sites = np.unique(asg.pc)
        npair = len(asg.pc)
        nb = len(sites)
        cand_sites = sites[prob.site_kind[sites] == 1]
        k = len(cand_sites)
        bcol = np.full(prob.m, -1, dtype=np.int64)
        bcol[sites] = npair + np.arange(nb)
        xcol = np.full(prob.m, -1, dtype=np.int64)
        xcol[cand_sites] = npair + nb + np.arange(k)
        ng = asg.ng
        r, c, v = [asg.pr], [np.arange(npair)], [np.ones(npair)]
        lo, hi = [np.full(ng, -INF)], [np.ones(ng)]
        row = ng
        srow = np.full(prob.m, -1, dtype=np.int64)
        srow[sites] = row + np.arange(nb)
        r += [srow[asg.pc], srow[sites]]
        c += [np.arange(npair), bcol[sites]]
        v += [asg.wg[asg.pr], np.full(nb, -s)]
        lo.append(np.full(nb, -INF))
        hi.append(cap0[sites])
        row += nb
        link = np.flatnonzero(xcol[asg.pc] >= 0)
        r += [row + np.arange(len(link))] * 2
        c += [link, xcol[asg.pc[link]]]
        v += [np.ones(len(link)), -np.ones(len(link))]
        lo.append(np.full(len(link), -INF))
        hi.append(np.zeros(len(link)))
        row += len(link)
        # b_j − U_j x_j ≤ 0 and m x_j − b_j ≤ 0 for new sites
        r += [row + np.arange(k)] * 2 + [row + k + np.arange(k)] * 2
        c += [bcol[cand_sites], xcol[cand_sites], bcol[cand_sites], xcol[cand_sites]]
        v += [np.ones(k), -self._umax[cand_sites], -np.ones(k), np.full(k, self.min_new_beds)]
        lo.append(np.full(2 * k, -INF))
        hi.append(np.zeros(2 * k))
        row += 2 * k
        r.append(np.full(nb, row))
        c.append(bcol[sites])
        v.append(np.ones(nb))
        lo.append([-INF])
        hi.append([self.beds_to_add])
        row += 1
        if self.p is not None:
            r.append(np.full(k, row))
            c.append(xcol[cand_sites])
            v.append(np.ones(k))
            lo.append([-INF])
            hi.append([float(self.p)])
            row += 1
        n_unit_rows = 0
        if self.per_unit and self._units is not None and self.unit_gap is not None:
            codes = pd.Index(self.unit_gap.index.astype(str))
            upos = codes.get_indexer(pd.Index(self._units[sites].astype(str)))
            has = upos >= 0
            r.append(row + upos[has])
            c.append(bcol[sites[has]])
            v.append(np.ones(int(has.sum())))
            lo.append(np.full(len(codes), -INF))
            hi.append(np.floor(self.unit_gap.to_numpy(dtype=float) + 1e-9))
            n_unit_rows = len(codes)
            row += n_unit_rows
            # sites outside any listed unit get no beds
            self._umax_eff = self._umax.copy()
            self._umax_eff[sites[~has]] = 0.0
        else:
            self._umax_eff = self._umax
        ncol = npair + nb + k
        a = sp.csc_matrix((np.concatenate([np.asarray(x, dtype=float) for x in v]),
                           (np.concatenate(r), np.concatenate(c))), shape=(row, ncol))
        eps = 1e-4
        cost = np.r_[asg.wg[asg.pr], np.full(nb, -eps), np.full(k, -eps)]
        col_lo = np.zeros(ncol)
        col_hi = np.r_[np.ones(npair), self._umax_eff[sites], np.ones(k)]
        integer = np.r_[np.zeros(npair, dtype=bool), np.ones(nb + k, dtype=bool)]
        # always-feasible start: no beds added, the elderly assigned to the existing beds; a run
        # stopped by the clock before HiGHS finds better returns it (with its true gap)
        start = np.r_[np.nan_to_num(share_before), np.zeros(nb + k)]
        out = run_highs(cost, a, np.concatenate([np.asarray(x, dtype=float) for x in lo]),
                        np.concatenate([np.asarray(x, dtype=float) for x in hi]), col_lo, col_hi, integer,
                        maximize=True, start=start, **ctx.highs())
        if out.status == "Infeasible":  # pragma: no cover - b = 0, f = 0 is always feasible
            msg = "床位布局模型不可行：请检查 min_new_beds 与各址最多床位"
            raise InfeasibleError(msg, [])
        x = _outcome_or_fallback(out, start, self.name_zh)
        added = np.zeros(prob.m)
        added[sites] = np.round(x[npair:npair + nb]) + 0.0  # + 0.0 turns -0.0 into 0.0
        open_mask = prob.existing.copy()
        open_mask[cand_sites[x[npair + nb:] > 0.5]] = True
        share = np.clip(x[:npair], 0.0, 1.0)
        objective = float((asg.wg[asg.pr] * share).sum())
        self._added = added
        cap_after = s * (self._beds + added)
        prob.capacity = cap_after  # capacities in elderly served, for the result frames
        load = np.bincount(asg.pc, weights=asg.wg[asg.pr] * share, minlength=prob.m)
        got = np.flatnonzero(added > 0)
        extra = np.maximum(load[got] - np.minimum(load[got], cap0[got]), 0.0)
        order = got[np.argsort(-extra, kind="stable")]
        vals = np.full(len(order) + 1, np.nan)
        cap_k = cap0.copy()
        open_k = prob.existing.copy()
        vals[0] = covered_before
        for i, j in enumerate(order, start=1):
            cap_k[j] = cap_after[j]
            open_k[j] = True
            if ctx.time_limit_s is not None and (ctx.remaining() or 0) <= 0.02:
                break
            vals[i] = _flow_lp(prob, asg, cap_k, open_k, ctx)[0]
        curve_df = _curve_frame(prob, order, vals)
        curve_df["beds_added_cum"] = np.r_[0.0, np.cumsum(added[order])]
        # the reported objective leaves out the tie-break penalty ε·Σb (≤ ε·budget), so any solution's
        # covered elderly ≤ HiGHS bound + ε·budget
        bound = out.bound + eps * self.beds_to_add if math.isfinite(out.bound) else out.bound
        # nobody beyond the elderly in reach can be covered: a valid bound when HiGHS has none yet
        bound = min(bound, float(asg.wg.sum())) if not math.isnan(bound) else float(asg.wg.sum())
        return _Solution(open=open_mask, objective=objective, bound=bound, gap=_rel_gap(objective, bound),
                         status=out.status, highs_time_s=out.time_s, nodes=out.nodes, radius=self.minutes,
                         flows=asg.expand(share), order=order, gains=np.diff(vals), curve=curve_df,
                         infeasible_rows=infeasible_rows,
                         info={"covered_before": covered_before, "beds_added_total": float(added.sum()),
                               "elderly_per_bed": s, "n_unit_rows": n_unit_rows,
                               "n_new_institutions": int((open_mask & prob.candidate).sum())})

    def headline(self, kind: str = "养老床位") -> str:
        """One Chinese line: beds added, where, and the share of elderly with enough beds."""
        self._need()
        sel = self._frames["selected"]
        total = float(self._total_weight())
        before = self.params.get("covered_before", float("nan")) / total if total > 0 else float("nan")
        n_ex = int((sel["site_kind"] == SITE_EXISTING).sum())
        n_new = int((sel["site_kind"] == SITE_NEW).sum())
        return (f"{kind}：新增 {int(sel['beds_added'].sum())} 张（扩建现有机构 {n_ex} 家、新建 {n_new} 处），"
                f"{self.minutes:g} 分钟内床位充足的老人比例 {before:.1%} → {self.share_covered:.1%}（{self.status_zh}）")

    def _total_weight(self) -> float:
        """Total elderly of the demand points."""
        return float(self._problem.w.sum())

    def _extra_selected_columns(self, sel: pd.DataFrame, order: np.ndarray, gains: np.ndarray, sol: _Solution) -> None:
        sel["beds_existing"] = self._beds[order]
        sel["beds_added"] = self._added[order]
        sel["beds_total"] = self._beds[order] + self._added[order]

    def _extra_facility_columns(self, fac: pd.DataFrame, open_pos: np.ndarray, sol: _Solution) -> None:
        fac["beds_existing"] = self._beds[open_pos]
        fac["beds_added"] = self._added[open_pos]
        fac["beds_total"] = self._beds[open_pos] + self._added[open_pos]

    def _infeasible_reason(self) -> str:
        return f"{self.minutes:g} 分钟内没有任何养老机构或候选点可达"


#: Model key → class.
MODELS: dict[str, type[LocationModel]] = {
    "lscp": LSCP,
    "mclp": MCLP,
    "pmedian": PMedian,
    "pcenter": PCenter,
    "cmclp": CapacitatedMCLP,
    "beds": BedPlacement,
}

#: The solved model object is the result (all models share :class:`LocationModel`'s attributes).
AllocationResult = LocationModel


# ============================================================================================
# layers → problem
# ============================================================================================
def _check_layer(df: Any, what: str, allow_none: bool = False) -> None:
    if df is None and allow_none:
        return
    if not isinstance(df, pd.DataFrame):
        msg = f"{what} 须为 GeoDataFrame / DataFrame，不是 {type(df).__name__}"
        raise InputError(msg)
    if not df.index.is_unique:
        dup = list(df.index[df.index.duplicated()][:5])
        msg = f"{what} 的索引有重复值 {dup}；请先 reset_index() 或设置唯一索引"
        raise InputError(msg)


def _geo(df: Any) -> Any:
    import geopandas as gpd

    return df if isinstance(df, gpd.GeoDataFrame) and df.geometry.name in df.columns else None


def _check_crs(layers: dict[str, Any], metric: bool) -> Any:
    crs = None
    first = None
    for name, df in layers.items():
        g = _geo(df)
        if g is None:
            continue
        if g.crs is None:
            msg = f"{name} 没有坐标参考系（CRS）；请先用 set_crs 标注"
            raise CRSError(msg)
        if crs is None:
            crs, first = g.crs, name
        elif g.crs != crs:
            msg = f"{name} 的坐标参考系与 {first} 不一致（{g.crs} ≠ {crs}）；请先用 to_crs 统一"
            raise CRSError(msg)
    if metric and crs is not None and not crs.is_projected:
        msg = f"直线距离需要米制投影坐标系，当前是地理坐标系 {crs}；请先 to_crs（湖州用 EPSG:4549）"
        raise CRSError(msg)
    return crs


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
    existing_cost: Any = None, cutoff: float | None = None, weight: str | None = "elderly",
    capacity_col: str | None = None, name_col: str | None = "name", speed_mps: float | None = None,
    site_cols: Sequence[str] = (),
) -> _Problem:
    t0 = time.perf_counter()
    _check_layer(demand, "需求点图层")
    if candidates is None:
        candidates = demand.iloc[:0][[]]
    _check_layer(candidates, "候选点图层")
    _check_layer(existing, "现有设施图层", allow_none=True)
    if weight is not None and weight not in demand.columns:
        msg = f"需求点图层没有权重列 {weight!r}；现有列 {list(demand.columns)}（weight=None 表示每点权重 1）"
        raise InputError(msg)
    weights = (pd.to_numeric(demand[weight], errors="coerce") if weight is not None
               else pd.Series(1.0, index=demand.index))
    layers = {"需求点图层": demand, "候选点图层": candidates}
    if existing is not None:
        layers["现有设施图层"] = existing
    straight = cost is None and network is None
    crs = _check_crs(layers, metric=straight)
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


def _from_layers(cls: type[LocationModel], demand: Any, candidates: Any, *, network: Any = None, cost: Any = None,
                 existing: Any = None, existing_cost: Any = None, weight: str | None = "elderly",
                 capacity_col: str | None = None, name_col: str | None = "name", speed_mps: float | None = None,
                 **params: Any) -> Any:
    cutoff = params.get("minutes")
    site_cols: list[str] = []
    if cls is BedPlacement:
        beds_col = params.pop("beds_col", "beds")
        unit_col = params.pop("unit_col", "unit_code")
        max_add_col = params.pop("max_add_col", None)
        site_cols = [beds_col, unit_col] + ([max_add_col] if max_add_col else [])
        if existing is not None and len(existing) and beds_col not in existing.columns:
            msg = f"现有养老机构图层没有床位列 {beds_col!r}；现有列 {list(existing.columns)}"
            raise InputError(msg)
    prob = _layers_problem(demand, candidates, existing=existing, network=network, cost=cost,
                           existing_cost=existing_cost, cutoff=cutoff, weight=weight, capacity_col=capacity_col,
                           name_col=name_col, speed_mps=speed_mps, site_cols=site_cols)
    if cls is BedPlacement:
        ex = prob.existing
        if ex.any() and params.get("existing_beds") is None:
            params["existing_beds"] = pd.to_numeric(pd.Series(prob.site_attrs[beds_col][ex]), errors="coerce").to_numpy()
        if unit_col in prob.site_attrs and params.get("site_units") is None:
            params["site_units"] = prob.site_attrs[unit_col]
        if max_add_col and max_add_col in prob.site_attrs:
            vals = pd.to_numeric(pd.Series(prob.site_attrs[max_add_col]), errors="coerce").to_numpy()
            if params.get("max_add_existing") is None and ex.any():
                params["max_add_existing"] = np.where(np.isnan(vals[ex]), params["beds_to_add"] if
                                                      params.get("beds_to_add") else INF, vals[ex])
            if params.get("max_add_new") is None and (~ex).any():
                params["max_add_new"] = np.where(np.isnan(vals[~ex]), INF, vals[~ex])
    elif capacity_col is None and cls is CapacitatedMCLP:
        msg = "cmclp 需要 capacity_col（候选点与现有设施的容量列）"
        raise InputError(msg)
    return cls(prob, weight_name=weight or "（每点 1）", **params)


# ============================================================================================
# public entry points
# ============================================================================================
def allocate(
    demand: pd.DataFrame,
    candidates: pd.DataFrame | None,
    model: str = "mclp",
    network: Any = None,
    cost: Any = None,
    minutes: float | None = None,
    p: int | None = None,
    existing: pd.DataFrame | None = None,
    capacity_col: str | None = None,
    weight: str | None = "elderly",
    *,
    existing_cost: Any = None,
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    curve: str = "greedy",
    name_col: str | None = "name",
    speed_mps: float | None = None,
    highs_options: Mapping[str, Any] | None = None,
    **model_params: Any,
) -> LocationModel:
    """Choose new facility sites that close a coverage gap, and solve.

    Parameters
    ----------
    demand : GeoDataFrame or DataFrame
        Demand points (villages, communities or units); the index labels demand in the
        cost table and the results.
    candidates : GeoDataFrame or DataFrame or None
        Candidate sites (see :func:`candidate_sites`); index labels must differ from the
        existing facilities' labels.
    model : {"lscp", "mclp", "pmedian", "pcenter", "cmclp", "beds"}
        Which model (see the module docstring).
    network : mzgeo.Network, optional
        Road network; travel times come from ``network.od(sites, demand, cutoff_minutes=...)``.
    cost : DataFrame or ODMatrix, optional
        Long-form travel times (``origin``, ``destination``, ``minutes``); destinations may
        mix candidates and existing facilities (split by index).
    minutes : float, optional
        Coverage threshold (minutes) for lscp, mclp, cmclp and beds; an optional cutoff for
        pmedian and pcenter.
    p : int, optional
        Number of new sites (mclp, cmclp, pmedian, pcenter; most new sites for beds).
    existing : GeoDataFrame or DataFrame, optional
        Existing facilities, always open (required sites), never counted in ``p``.
    capacity_col : str, optional
        Capacity column (weight units, e.g. persons) on candidates and existing facilities;
        makes lscp / mclp / pmedian / pcenter capacitated; required by ``cmclp``.
    weight : str or None
        Demand weight column (default ``"elderly"``); ``None`` = every point weighs 1.
    existing_cost : DataFrame or ODMatrix, optional
        Travel times to the existing facilities when given apart from ``cost``.
    time_limit_s : float, optional
        Wall-clock limit (seconds); the best solution and its true gap are returned.
    mip_gap : float, optional
        Relative gap at which to stop (default 0: prove the optimum).
    curve : {"greedy", "optimal"}
        How the coverage curve is computed (see :meth:`LocationModel.solve`).
    name_col : str or None
        Name column copied to the results when present.
    speed_mps : float, optional
        Speed (m/s) for straight-line times when neither ``network`` nor ``cost`` is given;
        default ``settings.walk_speed_mps``.
    highs_options : mapping, optional
        Extra HiGHS options.
    **model_params
        Model-specific parameters, e.g. ``single_source=True`` (capacitated models); for
        ``beds``: ``beds_to_add``, ``unit_gap``, ``target_per_1000``, ``beds_col``
        (default ``"beds"``), ``max_add_existing``, ``max_add_new``, ``max_add_col``,
        ``min_new_beds``, ``per_unit``, ``unit_col``.

    Returns
    -------
    LocationModel
        The solved model: ``selected``, ``assignments``, ``facility_summary``,
        ``coverage_curve``, ``objective``, ``gap``, ``status``, ``solve_time_s``,
        ``params``, ``infeasible``; ``to_excel(path)`` and ``to_gpkg(path)``.

    Raises
    ------
    InputError
        Unknown model, missing column, bad parameter.
    CRSError
        Layers in different CRSs, or geographic CRS with straight-line times.
    InfeasibleError
        Hard constraints cannot be met (capacities, p too small for p-median/p-center).

    Examples
    --------
    >>> import pandas as pd
    >>> demand = pd.DataFrame({"elderly": [100, 50, 80]}, index=["A", "B", "C"])
    >>> cand = pd.DataFrame(index=["s1", "s2"])
    >>> cost = pd.DataFrame({"origin": ["A", "B", "C", "C"], "destination": ["s1", "s1", "s2", "s1"],
    ...                      "minutes": [5.0, 8.0, 3.0, 30.0]})
    >>> r = allocate(demand, cand, "mclp", cost=cost, minutes=15, p=1)
    >>> r.new_sites, r.objective, r.status
    (['s1'], 150.0, 'Optimal')
    """
    key = str(model).lower()
    if key not in MODELS:
        msg = f"未知模型 {model!r}；可选：{sorted(MODELS)}"
        raise InputError(msg)
    cls = MODELS[key]
    params = dict(model_params)
    if key in ("lscp", "mclp", "cmclp", "beds") or minutes is not None:
        params["minutes"] = minutes
    if key in ("mclp", "cmclp", "pmedian", "pcenter") or (key == "beds" and p is not None):
        params["p"] = p
    mdl = cls.from_gdfs(demand, candidates, network=network, cost=cost, existing=existing,
                        existing_cost=existing_cost, weight=weight, capacity_col=capacity_col,
                        name_col=name_col, speed_mps=speed_mps, **params)
    return mdl.solve(time_limit_s=time_limit_s, mip_gap=mip_gap, curve=curve, highs_options=highs_options)


def candidate_sites(
    layer: Any,
    *,
    how: str = "villages",
    existing: Any = None,
    spacing_m: float | None = None,
    exclude: Any = None,
    exclude_buffer_m: float = 0.0,
    min_distance_m: float = 300.0,
    name_col: str = "name",
    max_points: int = 200_000,
) -> Any:
    """Generate candidate sites: village centres without a facility, or a regular grid.

    Parameters
    ----------
    layer : GeoDataFrame, GeoSeries or shapely geometry
        ``how="villages"``: village / community centre points (polygons use a point on
        their surface). ``how="grid"``: the study area (polygons) the grid is laid in.
    how : {"villages", "grid"}
        ``"villages"`` keeps the villages with no existing facility within
        ``min_distance_m``; ``"grid"`` lays square-grid points (cell centres, spacing
        ``spacing_m``) inside the area.
    existing : GeoDataFrame, optional
        Existing facilities; no candidate within ``min_distance_m`` of one.
    spacing_m : float, optional
        Grid spacing (metres); required with ``how="grid"``.
    exclude : GeoDataFrame, GeoSeries or geometry, optional
        Zones where no candidate may lie (water bodies, no-burial zones, 五区...).
    exclude_buffer_m : float
        Extra distance (m) kept from the exclusion zones.
    min_distance_m : float
        Smallest distance (m) from an existing facility (0 disables the check).
    name_col : str
        Village name column (copied to ``name``).
    max_points : int
        Refuse a grid with more points than this (spacing too small).

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``C00001``, ``C00002``… (never colliding with facility indexes, name
        ``candidate``); columns ``name``, ``source`` (``"村社区中心"`` / ``"规则网格"``),
        ``village`` (index value of the village, villages only), ``geometry`` (points);
        the CRS of the inputs, which must be metric.

    Raises
    ------
    CRSError
        Inputs in a geographic CRS, or in different CRSs.
    InputError
        Unknown ``how``, missing ``spacing_m``, too many grid points.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> area = gpd.GeoSeries([box(0, 0, 1000, 1000)], crs=4549)
    >>> len(candidate_sites(area, how="grid", spacing_m=250))
    16
    """
    import geopandas as gpd
    import shapely

    if how not in ("villages", "grid"):
        msg = f"how 只能是 'villages'（村社区中心）或 'grid'（规则网格），不是 {how!r}"
        raise InputError(msg)

    def as_geoms(obj: Any) -> tuple[np.ndarray, Any]:
        if obj is None:
            return np.zeros(0, dtype=object), None
        if isinstance(obj, gpd.GeoDataFrame):
            return np.asarray(obj.geometry.values, dtype=object), obj.crs
        if isinstance(obj, gpd.GeoSeries):
            return np.asarray(obj.values, dtype=object), obj.crs
        return np.asarray([obj], dtype=object), None

    crs = None
    for what, obj in (("layer", layer), ("existing", existing), ("exclude", exclude)):
        _, c = as_geoms(obj)
        if c is None:
            if isinstance(obj, (gpd.GeoDataFrame, gpd.GeoSeries)):
                msg = f"{what} 没有坐标参考系（CRS）；请先用 set_crs 标注"
                raise CRSError(msg)
            continue
        if not c.is_projected:
            msg = f"{what} 是地理坐标系 {c}；生成候选点需要米制投影坐标系（湖州用 EPSG:4549），请先 to_crs"
            raise CRSError(msg)
        if crs is None:
            crs = c
        elif c != crs:
            msg = f"{what} 的坐标参考系与其它图层不一致（{c} ≠ {crs}）；请先用 to_crs 统一"
            raise CRSError(msg)
    geoms_in, _ = as_geoms(layer)
    if how == "villages":
        pts = _points(geoms_in) if len(geoms_in) else np.zeros(0, dtype=object)
        names = (layer[name_col].astype(object).to_numpy() if isinstance(layer, pd.DataFrame)
                 and name_col in layer.columns else np.full(len(pts), None, dtype=object))
        villages = (np.asarray(layer.index, dtype=object) if isinstance(layer, (pd.DataFrame, pd.Series))
                    else np.full(len(pts), None, dtype=object))
        out = pd.DataFrame({"name": names, "source": "村社区中心", "village": villages, "geometry": pts})
    else:
        if spacing_m is None or not spacing_m > 0:
            msg = f"how='grid' 需要正的网格间距 spacing_m（米），收到 {spacing_m!r}"
            raise InputError(msg)
        region = shapely.union_all(geoms_in)
        minx, miny, maxx, maxy = region.bounds
        xs = np.arange(minx + spacing_m / 2, maxx, spacing_m)
        ys = np.arange(miny + spacing_m / 2, maxy, spacing_m)
        if len(xs) * len(ys) > 4 * max_points:
            msg = f"网格太密：{len(xs)} × {len(ys)} 个点；请加大 spacing_m 或缩小研究区"
            raise InputError(msg)
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        shapely.prepare(region)
        inside = shapely.contains_xy(region, gx, gy)
        gx, gy = gx[inside], gy[inside]
        if len(gx) > max_points:
            msg = f"网格候选点 {len(gx)} 个，超过上限 {max_points}；请加大 spacing_m"
            raise InputError(msg)
        out = pd.DataFrame({"name": None, "source": "规则网格", "village": None, "geometry": shapely.points(gx, gy)})
    geoms = np.asarray(out["geometry"].to_numpy(), dtype=object)
    keep = np.ones(len(out), dtype=bool)
    eg, _ = as_geoms(exclude)
    if len(eg) and len(out):
        zone = shapely.union_all(eg)
        if exclude_buffer_m > 0:
            zone = shapely.buffer(zone, exclude_buffer_m)
        shapely.prepare(zone)
        keep &= ~shapely.intersects(zone, geoms)
    fg, _ = as_geoms(existing)
    if len(fg) and len(out) and min_distance_m > 0:
        tree = shapely.STRtree(_points(fg))
        hit, _ = tree.query(geoms, predicate="dwithin", distance=min_distance_m)
        keep[np.unique(hit)] = False
    out = out[keep].reset_index(drop=True).copy()  # a fresh frame: pandas 3 may share read-only buffers
    out.index = pd.Index(np.char.add("C", np.char.zfill(np.arange(1, len(out) + 1).astype(str), 5)),
                         name="candidate", dtype=object)
    names = out["name"].astype(object)
    unnamed = names.isna().to_numpy()
    if unnamed.any():
        names = names.where(~unnamed, "候选点 " + pd.Series(out.index.astype(str), index=out.index))
    out["name"] = names
    log.info("生成候选点 %d 个（%s）", len(out), "村社区中心" if how == "villages" else f"网格 {spacing_m:g} 米")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)
