"""Capacitated assignment machinery shared by the capacitated cover, median, center and bed models.

Demand groups × sites flow variables (:class:`_Assign`), the flow LP, the capacitated
MIP (:func:`_capacitated_model`), its greedy warm start and the capacitated LSCP / MCLP solve.
"""


from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import InfeasibleError
from ._highs import (
    INF,
    HighsOutcome,
    Pairs,
    coverage_matrix,
    group_identical_rows,
    run_highs,
)
from .problem import (
    _coverage_setup,
    _Ctx,
    _curve_frame,
    _first_of_groups,
    _outcome_or_fallback,
    _Problem,
    _rel_gap,
    _Solution,
)

if TYPE_CHECKING:
    from .base import LocationModel

log = logging.getLogger("mzgeo")


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
