"""The p-median model :class:`PMedian`: ``p`` new sites minimising total weighted travel time.

Uncapacitated and capacitated variants, the greedy warm start and the marginal-gain order of
the chosen sites.
"""


from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InfeasibleError, InputError
from ._capacity import (
    _assign_data,
    _capacitated_model,
)
from ._highs import (
    INF,
    Pairs,
    greedy_pmedian,
    nearest_open,
    run_highs,
)
from .base import LocationModel
from .problem import (
    _check_minutes,
    _check_p,
    _Ctx,
    _curve_frame,
    _outcome_or_fallback,
    _Problem,
    _reduced_cover,
    _rel_gap,
    _Solution,
)

log = logging.getLogger("mzgeo")


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

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[2.0, 9.0], [4.0, 3.0], [np.inf, 6.0]])  # minutes, demand × candidates
    >>> m = PMedian.from_cost_matrix(cost, [100, 50, 80], p=1).solve()
    >>> m.new_sites, m.objective  # weighted minutes
    ([1], 1530.0)
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

    def headline_for(self, kind: str | None = None) -> str:
        """One Chinese line: weighted mean travel time before and after the new sites."""
        kind = kind or self.kind_zh
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
