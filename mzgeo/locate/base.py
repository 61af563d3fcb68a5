"""The location-model base :class:`LocationModel`: construct → solve → read, and its writers.

Every model (:mod:`~mzgeo.locate.cover`, :mod:`~mzgeo.locate.median`, :mod:`~mzgeo.locate.center`,
:mod:`~mzgeo.locate.beds`) subclasses it and implements ``_solve``; the base turns the solution
into the result frames, ``params``, ``problems``, the Chinese ``headline`` and the Excel and
GeoPackage files.
"""


from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._files import source_paths
from ..errors import InputError, NotSolvedError
from ._highs import (
    INF,
    nearest_open,
)
from .problem import (
    DEFAULT_MIP_GAP,
    PROVEN_GAP,
    SITE_EXISTING,
    SITE_NEW,
    STATUS_WITHIN_GAP,
    _build_problem,
    _Ctx,
    _highs_version,
    _layers_problem,
    _pair_minutes,
    _points,
    _Problem,
    _Solution,
)

log = logging.getLogger("mzgeo")


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
        HiGHS model status text: ``"Optimal"`` only for a proven optimum (true gap ≤ 1e-9),
        ``"Optimal within mip_gap"`` when HiGHS stopped at a positive ``mip_gap``,
        ``"Time limit reached"`` (best solution so far, with its true ``gap``)...
    solve_time_s : float
        Wall time of ``solve()`` in seconds (reductions, warm start, HiGHS, results).
    params : dict
        Parameters and figures applied (for the parameters sheet).
    infeasible : pandas.DataFrame
        Demand points (weight > 0) that no site can reach within the time limit of the model:
        ``demand_id``, ``demand_name`` (when known), ``weight``, ``nearest_minutes``
        (``inf`` when unreachable), ``reason``.
    problems : pandas.DataFrame
        The infeasible demand as data problems (columns ``mzgeo.analysis.PROBLEM_COLUMNS``).
    headline : str
        One Chinese line (:meth:`summary` names what is sited).

    Examples
    --------
    >>> import numpy as np
    >>> from mzgeo.locate import MCLP
    >>> cost = np.array([[2.0, 9.0], [4.0, 3.0], [np.inf, np.inf]])  # demand 2 reaches no site
    >>> m = MCLP.from_cost_matrix(cost, [100, 50, 80], minutes=5, p=1).solve()
    >>> m.headline
    '设施：建议新增 1 处，覆盖率 0.0% → 65.2%（已证明最优）'
    >>> m.headline_for("照料中心")
    '照料中心：建议新增 1 处，覆盖率 0.0% → 65.2%（已证明最优）'
    >>> m.problems[["problem", "item"]].to_numpy().tolist()
    [['infeasible_demand', 2]]
    """

    key: ClassVar[str] = ""
    name_zh: ClassVar[str] = ""
    #: What is sited, in the headline (e.g. ``"照料中心"`` via ``summary("照料中心")``).
    kind_zh: ClassVar[str] = "设施"

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
            Relative gap at which HiGHS may stop; default ``0`` (prove the exact optimum).
            A stop with a true gap above 1e-9 has status ``"Optimal within mip_gap"``,
            never ``"Optimal"``.
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
        if sol.status == "Optimal" and not sol.gap <= PROVEN_GAP:
            # HiGHS stopped within the requested mip_gap: a good solution, not a proven optimum
            sol.status = STATUS_WITHIN_GAP
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
            return "已证明最优"
        if sol.status == STATUS_WITHIN_GAP:
            return f"在允许间隙内停止，与最优最多相差 {sol.gap:.2%}"
        if sol.status == "Time limit reached":
            return f"达到时间限制，与最优最多相差 {sol.gap:.2%}" if math.isfinite(sol.gap) else "达到时间限制"
        return f"求解状态：{sol.status}"

    def headline_for(self, kind: str | None = None) -> str:
        """One Chinese line summarising the recommendation, naming what is sited.

        Parameters
        ----------
        kind : str, optional
            What is being sited, e.g. ``"照料中心"``; default the model's :attr:`kind_zh`.

        Returns
        -------
        str
            E.g. ``"照料中心：建议新增 3 处，覆盖率 60.0% → 85.0%（已证明最优）"``.
        """
        kind = kind or self.kind_zh
        self._need()
        curve = self._frames["coverage_curve"]
        k = len(self._frames["selected"])
        before = float(curve["share_covered"].iloc[0]) if len(curve) else float("nan")
        after = self.share_covered
        return f"{kind}：建议新增 {k} 处，覆盖率 {before:.1%} → {after:.1%}（{self.status_zh}）"

    @property
    def headline(self) -> str:
        """The Chinese headline of the solution: :meth:`headline_for` the model's :attr:`kind_zh`."""
        return self.headline_for()

    def _key_figures(self) -> list[tuple[str, str]]:
        return [
            ("模型", self.name_zh),
            ("结论", self.headline),
            ("目标值", f"{self.objective:.6g}"),
            ("求解状态", self.status_zh),
            ("新增设施数", str(len(self._frames["selected"]))),
            ("覆盖率", f"{self.share_covered:.1%}"),
            ("无法覆盖的需求点", str(len(self._frames["infeasible"]))),
            ("用时（秒）", f"{self._solve_time_s:.2f}"),
        ]

    def summary(self) -> pd.DataFrame:
        """Key figures of the solution as a two-column table (项目, 数值), as every result gives.

        Returns
        -------
        pandas.DataFrame
            Model, headline, objective, solver status, new sites, share covered, infeasible
            demand points and solve time.
        """
        self._need()
        return pd.DataFrame(self._key_figures(), columns=["项目", "数值"])

    @property
    def problems(self) -> pd.DataFrame:
        """Data problems of the solution (columns ``mzgeo.analysis.PROBLEM_COLUMNS``).

        One ``"infeasible_demand"`` row per demand point that no site can reach (the rows of
        :attr:`infeasible`); empty when there are none.
        """
        from ..io.checks import concat_problems, make_problems

        infe = self.infeasible
        names = infe["demand_name"].to_numpy() if "demand_name" in infe.columns else None
        rows = make_problems("infeasible_demand", "需求点图层", infe["demand_id"], infe["reason"].astype(object),
                             names=names, severity="warning")
        return concat_problems([rows])

    def _repr_html_(self) -> str:
        """Return a small HTML table for notebooks: headline, objective, status and counts."""
        import html

        if self._solution is None:
            return f"<p>{html.escape(self.name_zh)}：未求解</p>"
        rows = self._key_figures()
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                       for k, v in rows)
        return f"<table>{body}</table>"

    def __repr__(self) -> str:
        """Return ``<Model status objective gap new_sites>`` (or 未求解 before ``solve()``)."""
        if self._solution is None:
            return f"<{type(self).__name__} 未求解 n_demand={self._problem.n} n_sites={self._problem.m}>"
        s = self._solution
        return (
            f"<{type(self).__name__} {s.status} objective={s.objective:.6g} gap={s.gap:.3g} "
            f"new_sites={len(self._frames['selected'])}>"
        )

    # ------------------------------------------------------------------ output files
    def to_excel(self, path: str | os.PathLike, *, title: str | None = None) -> Path:
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
        pathlib.Path
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
        return Path(write_excel(path, sheets, self.params, title=title or f"选址优化：{self.name_zh}",
                                sources=self.sources))

    def to_gpkg(self, path: str | os.PathLike) -> Path:
        """Write the selected sites and the new assignments (lines demand → site) to a GeoPackage.

        Layers: ``selected_sites`` (points, columns of :attr:`selected`), ``open_sites``
        (all open sites, columns of :attr:`facility_summary`) and ``new_assignments``
        (one line from each demand point to the new site serving it), each written even when
        empty. Written with the shared writer :func:`mzgeo.io.write_layers` (atomic; inputs
        never overwritten; mixed-type label columns become text).

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.gpkg``.

        Returns
        -------
        pathlib.Path
            The path written.

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
        from ..io import write_layers

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
            name: gdf.drop(columns=[c for c in hidden if c in gdf.columns])
            for name, gdf in (("selected_sites", sel_gdf), ("open_sites", fac_gdf), ("new_assignments", line_gdf))
        }
        return Path(write_layers(path, layers, sources=self.sources))

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
                "proven_optimal": sol.status == "Optimal",
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

    # layer hooks (from_gdfs) -----------------------------------------------------------------
    @classmethod
    def _layer_columns(cls, params: dict[str, Any], existing: Any) -> list[str]:
        """Site columns the model reads from the layers (may pop its column-name parameters)."""
        return []

    @classmethod
    def _layer_params(cls, prob: _Problem, params: dict[str, Any], capacity_col: str | None) -> None:
        """Fill model parameters from the site columns read by :meth:`_layer_columns`."""
        return None


def _from_layers(cls: type[LocationModel], demand: Any, candidates: Any, *, network: Any = None, cost: Any = None,
                 existing: Any = None, existing_cost: Any = None, weight_col: str | None = "elderly",
                 capacity_col: str | None = None, name_col: str | None = "name", speed_mps: float | None = None,
                 **params: Any) -> Any:
    """Build a model of class ``cls`` from layers (the body of :meth:`LocationModel.from_gdfs`)."""
    cutoff = params.get("minutes")
    site_cols = cls._layer_columns(params, existing)
    prob = _layers_problem(demand, candidates, existing=existing, network=network, cost=cost,
                           existing_cost=existing_cost, cutoff=cutoff, weight_col=weight_col,
                           capacity_col=capacity_col, name_col=name_col, speed_mps=speed_mps, site_cols=site_cols)
    cls._layer_params(prob, params, capacity_col)
    return cls(prob, weight_name=weight_col or "（每点 1）", **params)
