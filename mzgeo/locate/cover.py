"""Coverage models: :class:`LSCP`, :class:`MCLP` and :class:`CapacitatedMCLP`.

The MCLP warm start (greedy, swaps, LP rounding for large models, iterated local search) and
its branch and bound after Lagrangian fixing live here with their tuning constants
(``_LP_ROUNDING_MIN_ROWS``...).
"""


from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InputError
from ._capacity import (
    _attach_optimal,
    _capacitated_cover_solve,
)
from ._highs import (
    INF,
    HighsOutcome,
    cover_value,
    dominated_columns,
    greedy_max_cover,
    greedy_set_cover,
    group_identical_rows,
    ils_max_cover,
    lagrangian_fixing,
    run_highs,
    swap_max_cover,
)
from .base import LocationModel
from .problem import (
    _WARM_START_SHARE,
    _check_minutes,
    _check_p,
    _coverage_order,
    _coverage_setup,
    _Ctx,
    _first_of_groups,
    _outcome_or_fallback,
    _Problem,
    _reduced_cover,
    _rel_gap,
    _Solution,
)

log = logging.getLogger("mzgeo")


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

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[2.0, 9.0], [4.0, 3.0], [np.inf, 6.0]])  # minutes, demand × candidates
    >>> m = LSCP.from_cost_matrix(cost, [100, 50, 80], minutes=8).solve()
    >>> m.new_sites, m.objective, m.status
    ([0, 1], 2.0, 'Optimal')
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

    def headline_for(self, kind: str | None = None) -> str:
        """One Chinese line: how many new sites cover all reachable demand."""
        kind = kind or self.kind_zh
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

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[2.0, 9.0], [4.0, 3.0], [np.inf, 6.0]])  # minutes, demand × candidates
    >>> m = MCLP.from_cost_matrix(cost, [100, 50, 80], minutes=5, p=1).solve()
    >>> m.new_sites, m.objective
    ([0], 150.0)
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
                info["bound_trace"] = [(round(time.perf_counter() - ctx.start, 2), ub, fixed + heur_val)]
                sel, out, sub_bound = _mclp_exact(ag, wg, p, picked, lam, integral, ctx, info)
                open_mask[cols[sel]] = True
                bound = min(ub, fixed + sub_bound)
                if integral:
                    bound = math.floor(bound + 1e-6)
                t_bb = info.pop("_bb_start", ctx.start) - ctx.start
                if out is not None and "trace" in out.extra:
                    # bounds of the model after fixing hold for the solutions better than the warm start
                    inc = fixed + heur_val
                    info["bound_trace"] += [(round(t_bb + t, 2), min(ub, max(fixed + b, inc)),
                                             max(fixed + v, inc) if math.isfinite(v) else inc)
                                            for t, b, v in out.extra["trace"]]
                # the last entry: the final bound and the returned solution (after its swaps)
                info["bound_trace"][-1] = (info["bound_trace"][-1][0], bound, fixed + cover_value(ag, wg, sel))
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
#: LP of this degenerate model is much faster by interior point; with the warm start as
#: incumbent, heuristic effort 0 leaves the time to the root sub-MIP and the tree: on the
#: 10,000 × 1,000 uniform benchmark, p = 43, 300 s, gap 1.37 % against 1.80 % at the default
#: 0.05; the same time to proof on the 5,000 × 500 clustered one). ``highs_options`` override.
_MCLP_HIGHS_OPTIONS = {"presolve": "off", "mip_lp_solver": "ipm", "mip_heuristic_effort": 0.0}
#: Seconds between two entries of ``params["bound_trace"]`` during the branch and bound.
_TRACE_EVERY_S = 5.0


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
    info["_bb_start"] = time.perf_counter()
    out = run_highs(mdl["cost"], mdl["a"], mdl["row_lo"], mdl["row_hi"], mdl["col_lo"], mdl["col_hi"],
                    mdl["integer"], maximize=True, offset=base, start=start,
                    time_limit_s=ctx.remaining(), mip_gap=ctx.mip_gap, options=opts, trace_every_s=_TRACE_EVERY_S)
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

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[2.0, 9.0], [4.0, 3.0], [np.inf, 6.0]])  # minutes, demand × candidates
    >>> m = CapacitatedMCLP.from_cost_matrix(cost, [100, 50, 80], minutes=8, p=1, capacity=[120, 120]).solve()
    >>> m.new_sites, m.objective
    ([0], 120.0)
    """

    key = "cmclp"
    name_zh = "容量约束最大覆盖（CMCLP）"

    @classmethod
    def _layer_params(cls, prob: _Problem, params: dict[str, Any], capacity_col: str | None) -> None:
        if capacity_col is None:
            msg = "cmclp 需要 capacity_col（候选点与现有设施的容量列）"
            raise InputError(msg)

    def __init__(self, problem: _Problem, **params: Any) -> None:
        if problem.capacity is None:
            msg = "CapacitatedMCLP 需要设施容量（capacity / capacity_col）"
            raise InputError(msg)
        super().__init__(problem, **params)
