"""The p-center model :class:`PCenter`: ``p`` new sites minimising the worst travel time.

Solved as a sequence of set-cover feasibility probes over the distinct travel times
(bisection), capacitated when the sites have capacities.
"""


from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import InfeasibleError, InputError, NotSolvedError
from ._capacity import (
    _assign_data,
    _capacitated_model,
)
from ._highs import (
    INF,
    Pairs,
    greedy_set_cover,
    nearest_open,
    run_highs,
)
from .base import LocationModel
from .problem import (
    _check_minutes,
    _check_p,
    _coverage_order,
    _Ctx,
    _curve_frame,
    _Problem,
    _reduced_cover,
    _rel_gap,
    _Solution,
)

log = logging.getLogger("mzgeo")


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

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[2.0, 9.0], [4.0, 3.0], [np.inf, 6.0]])  # minutes, demand × candidates
    >>> m = PCenter.from_cost_matrix(cost, [100, 50, 80], p=1).solve()
    >>> m.new_sites, m.objective  # worst minutes
    ([1], 9.0)
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

    def headline_for(self, kind: str | None = None) -> str:
        """One Chinese line: worst travel time before and after the new sites."""
        kind = kind or self.kind_zh
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
