"""Bed placement :class:`BedPlacement`: where to add elderly-care beds so most elderly have enough.

The bed-ratio rule (beds per 1,000 elderly) made spatial: expand existing institutions or open
new sites so that the elderly within ``minutes`` are covered at the target ratio.
"""


from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .. import settings
from ..errors import InfeasibleError, InputError
from ._capacity import (
    _assign_data,
    _flow_lp,
)
from ._highs import (
    INF,
    run_highs,
)
from .base import LocationModel
from .problem import (
    SITE_EXISTING,
    SITE_NEW,
    _check_minutes,
    _check_p,
    _Ctx,
    _curve_frame,
    _outcome_or_fallback,
    _Problem,
    _rel_gap,
    _site_values,
    _Solution,
)

log = logging.getLogger("mzgeo")


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

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[2.0, 9.0], [4.0, 3.0], [np.inf, 6.0]])  # minutes, demand × candidates
    >>> m = BedPlacement.from_cost_matrix(cost, [1000, 500, 800], minutes=8, beds_to_add=40).solve()
    >>> m.selected[["site", "beds_added"]].to_numpy().tolist()
    [[1, 40.0]]
    """

    key = "beds"
    kind_zh = "养老床位"
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

    def headline_for(self, kind: str | None = None) -> str:
        """One Chinese line: beds added, where, and the share of elderly with enough beds."""
        kind = kind or self.kind_zh
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

    @classmethod
    def _layer_columns(cls, params: dict[str, Any], existing: Any) -> list[str]:
        beds_col = params.pop("beds_col", "beds")
        unit_col = params.pop("unit_col", "unit_code")
        max_add_col = params.pop("max_add_col", None)
        if existing is not None and len(existing) and beds_col not in existing.columns:
            msg = f"现有养老机构图层没有床位列 {beds_col!r}；现有列 {list(existing.columns)}"
            raise InputError(msg)
        params["_columns"] = (beds_col, unit_col, max_add_col)
        return [beds_col, unit_col] + ([max_add_col] if max_add_col else [])

    @classmethod
    def _layer_params(cls, prob: _Problem, params: dict[str, Any], capacity_col: str | None) -> None:
        beds_col, unit_col, max_add_col = params.pop("_columns")
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
