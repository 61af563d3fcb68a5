r"""The accessibility family beyond 2SFCA: 3SFCA, gravity, FCA ratio, weighted catchment, RAAM.

:func:`mzgeo.accessibility` computes every method; the 2SFCA / E2SFCA / G2SFCA core lives in
:mod:`mzgeo.analysis.beds`, the rest here, each equal to PySAL ``access`` on the same inputs
(with :math:`W_{ij} = f(t_{ij})` for pairs within the catchment :math:`T`, 0 otherwise):

- ``"3sfca"`` (Wan et al. 2012; ``access.three_stage_fca``): demand is split among competing
  facilities by selection weights :math:`G_{ij} = W_{ij} / \sum_l W_{il}` before the supply
  ratio, :math:`R_j = S_j / \sum_k G_{kj} W_{kj} D_k`, :math:`A_i = \sum_j G_{ij} W_{ij} R_j`;
- ``"gravity"`` (Hansen-type potential with a competition term, Joseph & Bantock 1982,
  Shen 1998; ``access.two_stage_fca`` with ``weights.gravity``): 2SFCA with
  :math:`W_{ij} = (\max(t_{ij}, t_0) / s)^{\alpha}`;
- ``"fca"`` (``access.fca_ratio``): supply within :math:`T` of a demand point divided by the
  demand within :math:`T` of it, :math:`\sum_{j} [t_{ij} \le T] S_j / \sum_k [t_{ik} \le T] D_k`;
- ``"weighted_catchment"`` (``access.weighted_catchment``): :math:`\sum_j W_{ij} S_j`, supply in
  reach without competition (supply units, e.g. beds);
- ``"raam"`` (rational agent access model, Saxon & Snow 2020; ``access.raam``): demand is
  assigned iteratively to the facilities with the lowest travel + congestion cost; the value
  is that cost (lower is better).

All work on the sparse matrix of pairs within the catchment (``minutes``): no dense
demand × supply matrix, no per-pair Python loop; RAAM is vectorised per cycle.
:func:`compare_methods` runs several methods on one set of travel costs and puts them side
by side: one table and one map layer per method, each unit's rank under every method, the
spread between methods and the units whose target status changes.

At about 900 lines this module is over the house's ~800-line aim: the five methods share one
sparse-pair core, the RAAM loop and :func:`compare_methods`, and reading them side by side is the point.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from .. import settings
from ..errors import InputError
from ..io.checks import (
    as_points,
    check_crs,
    check_frame,
    concat_problems,
    make_problems,
    numeric_column,
)
from ..network.cost import cost_matrix, describe_source, pairs
from ..report.excel import ACCESS_METHOD_SHORT
from .admin import UnitTree, normalise_level
from .beds import (
    METHODS,
    AccessibilityResult,
    _identity_columns,
    accessibility,
    gaussian_weights,
    step_weights,
)
from .result import AnalysisResult, attach_geometry, source_notes, warn_problems

__all__ = [
    "ALL_METHODS",
    "FAMILY_METHODS",
    "MethodComparison",
    "METHOD_OPTIONS",
    "THREE_STAGE_STEP_WEIGHTS",
    "check_options",
    "compare_methods",
    "family_accessibility",
    "gravity_weights",
    "raam_assignment",
]

logger = logging.getLogger("mzgeo")

#: Methods computed in this module (the 2SFCA family core is :data:`mzgeo.analysis.beds.METHODS`).
FAMILY_METHODS: dict[str, str] = {
    "3sfca": "三步移动搜索法（3SFCA，选择权重分配需求）",
    "gravity": "引力模型（Hansen 型，含竞争项）",
    "fca": "移动搜索比值法（FCA，服务范围内供给 ÷ 需求）",
    "weighted_catchment": "加权服务范围供给量（不计竞争）",
    "raam": "理性主体可达性模型（RAAM，出行 + 拥挤成本）",
}

#: Every accessibility method, in the order :func:`compare_methods` shows them.
ALL_METHODS: dict[str, str] = {**METHODS, **FAMILY_METHODS}

#: Short names for sheets, columns and map layers.
SHORT_NAMES: dict[str, str] = ACCESS_METHOD_SHORT

#: 3SFCA step weights of Wan et al. (2012) on a 60-minute catchment (PySAL ``access``'s default
#: ``{10: 0.962, 20: 0.704, 30: 0.377, 60: 0.042}``), as shares of the catchment.
THREE_STAGE_STEP_WEIGHTS: tuple[tuple[float, float], ...] = (
    (1 / 6, 0.962), (1 / 3, 0.704), (1 / 2, 0.377), (1.0, 0.042),
)

#: Methods whose value is supply per demand (per 1,000 with ``per_1000``): comparable to the target.
RATIO_METHODS = ("2sfca", "e2sfca", "g2sfca", "3sfca", "gravity", "fca")

#: Method-specific options of :func:`mzgeo.accessibility` (keyword arguments beyond the common ones).
METHOD_OPTIONS: dict[str, tuple[str, ...]] = {
    "fca": ("neighbor_cost",),
    "3sfca": ("selection_minutes",),
    "raam": ("tau", "rho", "max_cycles", "initial_step", "half_life", "min_step"),
    "gravity": ("gravity_alpha", "gravity_scale_minutes", "gravity_min_minutes"),
}

#: RAAM's cycles with the crowding check of ``access.raam.iterate_raam`` (``limit_initial``).
_RAAM_LIMIT_INITIAL = 20


def check_options(method: str, options: Mapping[str, Any]) -> None:
    """Refuse options that ``method`` does not use, naming the ones it does.

    Raises
    ------
    InputError
        An option unknown to the method.
    """
    allowed = METHOD_OPTIONS.get(method, ())
    bad = [k for k in options if k not in allowed]
    if bad:
        known = "、".join(allowed) if allowed else "无（只用通用参数）"
        msg = f"方法 {method} 不使用参数 {bad}；该方法的专用参数：{known}"
        raise InputError(msg)


# ============================================================================================
# weight functions
# ============================================================================================
def gravity_weights(scale_minutes: float, alpha: float, min_minutes: float = 0.0) -> Callable[[np.ndarray], np.ndarray]:
    """Vectorised gravity decay ``(max(t, t0) / s) ** alpha``, as ``access.weights.gravity``.

    Parameters
    ----------
    scale_minutes : float
        Scale ``s`` (minutes), > 0; cancels out of the gravity ratio, kept for ``access``.
    alpha : float
        Exponent; negative for a decay (``-1``: inverse travel time).
    min_minutes : float
        ``t0``: shorter trips count as ``t0`` minutes (avoids the infinite weight at 0).

    Returns
    -------
    callable
        ``f(minutes: ndarray) -> ndarray``.

    Examples
    --------
    >>> f = gravity_weights(20, -2, 1)
    >>> np.round(f(np.array([0.0, 2.0, 20.0, 40.0])), 2).tolist()
    [400.0, 100.0, 1.0, 0.25]
    """
    s = float(scale_minutes)
    a = float(alpha)
    t0 = float(min_minutes)
    if not s > 0:
        msg = f"gravity_scale_minutes 应为正数（分钟），实际为 {scale_minutes!r}"
        raise InputError(msg)
    if not np.isfinite(a):
        msg = f"gravity_alpha 应为有限数（如 -1），实际为 {alpha!r}"
        raise InputError(msg)
    if not t0 >= 0:
        msg = f"gravity_min_minutes 不能为负（分钟），实际为 {min_minutes!r}"
        raise InputError(msg)

    def weight(minutes: np.ndarray) -> np.ndarray:
        t = np.maximum(np.asarray(minutes, dtype="float64"), t0)
        with np.errstate(divide="ignore"):
            return np.power(t / s, a)

    return weight


def _weight_fn(weights: Any, default: Mapping[float, float] | None) -> tuple[Any, Any]:
    """Return ``(function or None, description for params)`` from ``weights=`` (mapping or callable)."""
    if weights is None and default is None:
        return None, None
    steps = default if weights is None else weights
    if callable(steps):
        return steps, getattr(steps, "__name__", "自定义函数")
    fn = step_weights(steps)
    desc = {f"≤{float(k):g}分钟": float(v) for k, v in sorted(steps.items(), key=lambda kv: float(kv[0]))}
    return fn, desc


def _apply(fn: Any, mins: np.ndarray) -> np.ndarray:
    if fn is None:
        return np.ones(len(mins))
    w = np.asarray(fn(mins), dtype="float64")
    if w.shape != mins.shape:
        msg = "weights 函数应对分钟数组逐元素返回同样长度的权重数组"
        raise InputError(msg)
    if not np.isfinite(w).all() or (w < 0).any():
        bad = mins[~np.isfinite(w) | (w < 0)][:5].tolist()
        msg = f"距离衰减权重出现无穷、缺失或负值（出行时间 {bad} 分钟处）；请检查权重或 gravity_min_minutes"
        raise InputError(msg)
    return w


# ============================================================================================
# cores (sparse, vectorised)
# ============================================================================================
def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _two_step(W: sparse.csr_matrix, D: np.ndarray, S: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    catch = W.T @ D
    R = _ratio(S, catch)
    return W @ R, catch, R


def _three_step(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, shape: tuple[int, int], D: np.ndarray,
                S: np.ndarray, selection: tuple[np.ndarray, np.ndarray] | None = None,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """3SFCA: selection weights G = W / row sum of W, then 2SFCA with G·W.

    ``selection`` = ``(rows, weights)`` of the pairs the row sums run over (default the
    catchment's own pairs).
    """
    sel_rows, sel_w = (rows, w) if selection is None else selection
    row_sum = np.bincount(sel_rows, weights=sel_w, minlength=shape[0])
    g = _ratio(w, row_sum[rows])
    WG = sparse.csr_matrix((w * g, (rows, cols)), shape=shape)
    return _two_step(WG, D, S)


def _first_per_row(rows: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """Position (in pair order) of the first pair with ``hit`` in each row (rows ascending)."""
    cand = np.flatnonzero(hit)
    _, first = np.unique(rows[cand], return_index=True)
    return cand[first]


def raam_assignment(
    rows: np.ndarray,
    cols: np.ndarray,
    travel: np.ndarray,
    demand: np.ndarray,
    supply: np.ndarray,
    *,
    max_cycles: int = 150,
    initial_step: float | int = 0.2,
    half_life: float = 50,
    min_step: float = 0.005,
) -> dict[str, Any]:
    """RAAM iterations of Saxon & Snow (2020) on sparse pairs, as ``access.raam.iterate_raam``.

    Each cycle every demand point moves demand from its most to its least costly facility
    (travel ÷ τ + demand ÷ (ρ·supply)), by the amount that equalises the two costs, capped by
    the step (a share ``initial_step`` of the point's demand halving every ``half_life``
    cycles, not below ``min_step``; an ``int`` step is a number of persons) and rounded down to
    whole persons; in the first 20 cycles moves into one facility are scaled down so that no
    facility receives more than its capacity at once. The iteration stops when a cycle after
    the 20th moves nobody (later cycles would not move anybody either, so the result is the
    one ``access`` gives after all ``max_cycles``) or after ``max_cycles``.

    Parameters
    ----------
    rows, cols : numpy.ndarray
        Pair positions (demand row, supply column), sorted by row then column; every row in
        ``0..n-1`` has at least one pair. Ties go to the lowest column, as in ``access``.
    travel : numpy.ndarray
        Travel cost of each pair already divided by τ.
    demand : numpy.ndarray
        Demand per row (> 0; whole persons for results identical to ``access``).
    supply : numpy.ndarray
        Supply per column already multiplied by ρ (> 0).
    max_cycles, initial_step, half_life, min_step
        As ``access.Access.raam``.

    Returns
    -------
    dict
        ``cost`` (per row: Σ assigned × total cost ÷ demand), ``travel`` (per row, assigned
        travel part), ``assignment`` (per pair), ``demand_at_supply`` (per column),
        ``cycles`` (cycles run), ``step`` (last step size), ``moved`` (persons moved in the
        last cycle), ``converged`` (a cycle moved nobody).
    """
    n = int(demand.shape[0])
    m = int(supply.shape[0])
    starts = np.searchsorted(rows, np.arange(n))
    int_step = isinstance(initial_step, (int, np.integer)) and not isinstance(initial_step, bool)

    def row_min(values: np.ndarray) -> np.ndarray:
        return np.minimum.reduceat(values, starts)

    x = np.zeros(len(rows))
    x[_first_per_row(rows, travel == row_min(travel)[rows])] = demand
    cycles = 0
    moved = 0
    step_size: float = float(initial_step)
    converged = False
    for i in range(int(max_cycles)):
        das = np.bincount(cols, weights=x, minlength=m)
        total = das[cols] / supply[cols] + travel
        lo = _first_per_row(rows, total == row_min(total)[rows])
        masked = np.where(x != 0, total, -np.inf)
        hi = _first_per_row(rows, masked == np.maximum.reduceat(masked, starts)[rows])
        cmin, cmax = cols[lo], cols[hi]
        slmin, slmax = supply[cmin], supply[cmax]
        drlmin, drlmax = x[lo], x[hi]
        dr = drlmin + drlmax
        other_min = das[cmin] - drlmin
        other_max = das[cmax] - drlmax
        new_min = ((slmin * slmax) / (slmin + slmax)) * (
            (travel[hi] - travel[lo]) + (dr + other_max) / slmax - other_min / slmin
        )
        delta = np.minimum(new_min - drlmin, drlmax)
        delta = np.where(cmax == cmin, 0.0, delta)
        if int_step:
            step_size = int(np.round(initial_step * 0.5 ** (i / half_life)))
            if step_size < min_step:
                step_size = min_step
            delta = np.minimum(delta, step_size).astype(np.int64)
        else:
            step_size = float(initial_step) * 0.5 ** (i / half_life)
            step_size = max(step_size, min_step)
            delta = np.minimum(delta, step_size * demand).astype(np.int64)
        if i < _RAAM_LIMIT_INITIAL:
            naive = np.bincount(cmin, weights=delta, minlength=m) / supply
            scale = np.maximum(naive, 1.0)
            delta = np.round(delta / scale[cmin]).astype(np.int64)
        x[lo] += delta
        x[hi] -= delta
        cycles = i + 1
        moved = int(np.abs(delta).sum())
        if moved == 0 and i >= _RAAM_LIMIT_INITIAL:
            converged = True
            break
    cost = np.bincount(rows, weights=total * x, minlength=n) / np.bincount(rows, weights=x, minlength=n)
    trav = np.bincount(rows, weights=travel * x, minlength=n) / np.bincount(rows, weights=x, minlength=n)
    return {
        "cost": cost, "travel": trav, "assignment": x, "demand_at_supply": np.bincount(cols, weights=x, minlength=m),
        "cycles": cycles, "step": float(step_size), "moved": moved, "converged": converged,
    }


# ============================================================================================
# one method
# ============================================================================================
def _neighbor_matrix(dem: Any, network: Any, neighbor_cost: Any, t_max: float, partition: Any = None,
                     executor: Any = None) -> sparse.csr_matrix:
    """Demand × demand reach within ``t_max`` (bool, diagonal always in)."""
    if neighbor_cost is not None:
        nb, _, _ = cost_matrix(dem, dem, cost=neighbor_cost, cutoff_minutes=t_max)
    elif network is not None:
        nb, _, _ = cost_matrix(dem, dem, network=network, cutoff_minutes=t_max, partition=partition, executor=executor)
    else:
        msg = ("fca（移动搜索比值法）需要需求点之间的出行时间：请提供 network，或 neighbor_cost 成本表"
               "（origin、destination 均为需求点索引，minutes）")
        raise InputError(msg)
    r, c, _ = pairs(nb)
    n = nb.shape[0]
    r = np.r_[r, np.arange(n)]
    c = np.r_[c, np.arange(n)]
    reach = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, n))
    reach.data[:] = 1.0  # duplicates (the diagonal given twice) count once
    return reach


def family_accessibility(
    supply: Any,
    demand: Any,
    *,
    network: Any = None,
    cost: pd.DataFrame | None = None,
    method: str = "3sfca",
    minutes: float | None = None,
    supply_col: str = "beds",
    weight_col: str = "elderly",
    per_1000: bool = True,
    weights: Mapping[float, float] | Callable[[np.ndarray], np.ndarray] | None = None,
    sigma_minutes: float | None = None,
    units: Any = None,
    level: str | None = None,
    target_per_1000: float | None = None,
    neighbor_cost: pd.DataFrame | None = None,
    selection_minutes: float | None = None,
    tau: float = 60.0,
    rho: float | None = None,
    max_cycles: int = 150,
    initial_step: float | int = 0.2,
    half_life: float = 50,
    min_step: float = 0.005,
    gravity_alpha: float = -1.0,
    gravity_scale_minutes: float | None = None,
    gravity_min_minutes: float = 1.0,
    partition: Any = None,
    executor: Any = None,
) -> AccessibilityResult:
    r"""3SFCA, gravity, FCA ratio, weighted catchment or RAAM; called by :func:`mzgeo.accessibility`.

    Same inputs and result as :func:`mzgeo.accessibility` (see there); the method-specific
    options:

    Parameters
    ----------
    supply, demand, network, cost, minutes, supply_col, weight_col, per_1000, units, level, target_per_1000
        As :func:`mzgeo.accessibility`. Only pairs within ``minutes`` (inclusive) are used
        by every method, RAAM included (its choice set).
    method : {"3sfca", "gravity", "fca", "weighted_catchment", "raam"}
        See the module docstring.
    weights : mapping or callable, optional
        Step weights ``{upper bound (min): weight}`` (or any vectorised ``f(minutes)``).
        3SFCA: default Wan et al.'s 0.962 / 0.704 / 0.377 / 0.042 at 1/6, 1/3, 1/2 and all
        of the catchment (``access``'s default for 60 minutes); the selection weights are
        normalised over the facilities within the catchment (Wan et al. 2012; ``access``
        normalises over every pair of its cost table, the same whenever the weights are 0
        beyond the catchment, as its defaults are; ``selection_minutes=math.inf`` gives
        ``access``'s convention for any weights). Weighted catchment: default 1 (plain
        supply within the catchment). Not used by the other methods.
    selection_minutes : float, optional
        3SFCA: travel time up to which facilities share a demand point's selection weights
        (default the catchment, Wan et al. 2012; ``math.inf``: every pair of the cost table
        or network, as ``access``).
    sigma_minutes : float, optional
        Weighted catchment: Gaussian decay of this width instead of steps.
    neighbor_cost : pandas.DataFrame, optional
        FCA: demand-to-demand cost table (``origin``, ``destination`` = demand index,
        ``minutes``); default from ``network``. A demand point is always in its own catchment.
    tau : float
        RAAM: minutes of travel equivalent to congestion at the average demand-to-supply
        ratio (``access`` default 60).
    rho : float, optional
        RAAM: congestion scale; default total demand ÷ total supply.
    max_cycles, initial_step, half_life, min_step
        RAAM iteration (``access`` defaults 150, 0.2, 50, 0.005); see :func:`raam_assignment`.
        As in ``access``, facilities without supply are not in the choice set and points
        without demand get no cost.
    gravity_alpha, gravity_scale_minutes, gravity_min_minutes : float
        Gravity decay ``(max(t, t0) / s) ** alpha``: default ``alpha = -1``, ``s`` = the
        catchment, ``t0`` = 1 minute.
    partition : {"county"} or geopandas.GeoDataFrame, optional
        With a network: route per unit (county) on buffered partition networks, each with
        every road and facility within the travel-time limit at the network's top speed
        (plus the snapping distance), so the result equals the single-network run (see
        :mod:`mzgeo.network.partition`). ``None`` (default): one network.
    executor : None, "local", str or distributed.Client, optional
        Where the partition tasks run: ``None`` (default ``settings.executor``) this process,
        ``"local"`` a local Dask cluster, ``"tcp://host:8786"`` a running one.

    Returns
    -------
    AccessibilityResult
        ``points`` value column: ``accessible_per_1000`` (``accessible_per_person``) for
        3SFCA, gravity and FCA; ``weighted_supply`` (supply units, weighted) for the weighted
        catchment; ``raam_cost`` (``access``'s value: travel ÷ τ + demand ÷ (ρ·supply),
        lower is better; NaN without a facility in reach or without demand) with
        ``raam_minutes`` (= cost × τ) and ``raam_travel_minutes`` for RAAM. RAAM's
        ``params`` report ``raam_cycles``, ``raam_final_step``, ``raam_moved_last_cycle``
        and ``raam_converged``.

    Raises
    ------
    InputError
        Bad options (named), no demand-to-demand costs for FCA, infinite gravity weights.
    """
    key = str(method).lower()
    if key not in FAMILY_METHODS:
        msg = f"未知的可达性方法 {method!r}，可用：{'、'.join(ALL_METHODS)}"
        raise InputError(msg)
    t_max = float(settings.beds_access_minutes if minutes is None else minutes)
    if not t_max > 0:
        msg = f"minutes 应为正数（分钟），实际为 {minutes!r}"
        raise InputError(msg)
    if weights is not None and key not in ("3sfca", "weighted_catchment"):
        msg = f"weights（分段权重）只用于 e2sfca、3sfca、weighted_catchment，{key} 不使用"
        raise InputError(msg)
    check_frame(supply, "供给设施图层", required=[supply_col], geometry=False)
    check_frame(demand, "需求点图层", required=[weight_col], geometry=False)
    _, (supply, demand, units) = check_crs(("供给设施图层", supply), ("需求点图层", demand), ("行政区图层", units))
    sup = as_points(supply, "供给设施图层")
    dem = as_points(demand, "需求点图层")
    s_vals, p_s = numeric_column(sup, supply_col, "供给设施")
    d_vals, p_d = numeric_column(dem, weight_col, "需求点")
    params: dict[str, Any] = {
        "method": FAMILY_METHODS[key],
        "minutes": t_max,
        "supply_col": supply_col,
        "demand_col": weight_col,
        "per_1000": bool(per_1000),
    }
    params.update(describe_source(network, cost))
    sel_t = t_max
    if key == "3sfca" and selection_minutes is not None:
        sel_t = float(selection_minutes)
        if not sel_t >= t_max:
            msg = f"selection_minutes 应不小于 minutes（{t_max:g} 分钟），实际为 {selection_minutes!r}"
            raise InputError(msg)
        params["selection_minutes"] = sel_t
    matrix, _, _ = cost_matrix(dem, sup, network=network, cost=cost,
                               cutoff_minutes=None if np.isinf(sel_t) else sel_t, partition=partition, executor=executor)
    rows_all, cols_all, mins_all = pairs(matrix)
    within = mins_all <= t_max
    rows, cols, mins = rows_all[within], cols_all[within], mins_all[within]
    shape = matrix.shape
    D = d_vals.to_numpy(dtype="float64")
    S = s_vals.to_numpy(dtype="float64")
    scale = 1000.0 if per_1000 else 1.0
    ratio_col = "accessible_per_1000" if per_1000 else "accessible_per_person"
    reach = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
    pts = pd.DataFrame(dem[_identity_columns(dem)]).copy()
    pts["demand"] = D
    sp = pd.DataFrame(sup[[c for c in ("name", "code", "unit_code") if c in sup.columns]]).copy()
    sp["supply"] = S
    extra_problems: list[pd.DataFrame | None] = []
    if key in ("3sfca", "gravity"):
        if key == "3sfca":
            default = {t_max * f: w for f, w in THREE_STAGE_STEP_WEIGHTS}
            fn, desc = _weight_fn(weights, default)
            params["weights"] = desc
            w_all = _apply(fn, mins_all)
            A, catch, R = _three_step(rows, cols, w_all[within], shape, D, S, (rows_all, w_all))
        else:
            s_g = t_max if gravity_scale_minutes is None else float(gravity_scale_minutes)
            fn = gravity_weights(s_g, gravity_alpha, gravity_min_minutes)
            params.update(gravity_alpha=float(gravity_alpha), gravity_scale_minutes=s_g,
                          gravity_min_minutes=float(gravity_min_minutes))
            W = sparse.csr_matrix((_apply(fn, mins), (rows, cols)), shape=shape)
            A, catch, R = _two_step(W, D, S)
        value_col = ratio_col
        pts[value_col] = A * scale
        sp["catchment_demand"] = catch
        sp["supply_ratio_per_1000"] = R * 1000.0
        no_demand = (catch <= 0) & (S > 0)
        extra_problems.append(make_problems(
            "no_demand_in_reach", "供给设施", sup.index[no_demand],
            f"{t_max:g} 分钟内没有需求点可达，其供给未计入任何需求点",
            names=sup["name"][no_demand] if "name" in sup.columns else None,
        ))
    elif key == "fca":
        nb = _neighbor_matrix(dem, network, neighbor_cost, t_max, partition, executor)
        dem_within = nb @ D
        value_col = ratio_col
        pts[value_col] = _ratio(reach @ S, dem_within) * scale
        pts["demand_within"] = dem_within
        params["neighbor_costs"] = "成本表（需求点之间）" if neighbor_cost is not None else "路网（需求点之间）"
    elif key == "weighted_catchment":
        if sigma_minutes is not None and weights is not None:
            msg = "weighted_catchment 的 weights 与 sigma_minutes 只能给一个"
            raise InputError(msg)
        if sigma_minutes is not None:
            fn, desc = gaussian_weights(float(sigma_minutes)), None
            params["sigma_minutes"] = float(sigma_minutes)
        else:
            fn, desc = _weight_fn(weights, None)
            params["weights"] = desc if desc is not None else "不加权（时限内供给合计）"
        W = sparse.csr_matrix((_apply(fn, mins), (rows, cols)), shape=shape)
        value_col = "weighted_supply"
        pts[value_col] = W @ S
    else:
        value_col = "raam_cost"
        res_r = _raam(rows, cols, mins, D, S, tau=tau, rho=rho, max_cycles=max_cycles, initial_step=initial_step,
                      half_life=half_life, min_step=min_step)
        pts[value_col] = res_r["cost"]
        pts["raam_minutes"] = res_r["cost"] * float(tau)
        pts["raam_travel_minutes"] = res_r["travel"] * float(tau)
        sp["assigned_demand"] = res_r["demand_at_supply"]
        sp["congestion"] = _ratio(res_r["demand_at_supply"], S * res_r["rho"])
        params.update(
            tau=float(tau), rho=res_r["rho"], max_cycles=int(max_cycles), initial_step=initial_step,
            half_life=half_life, min_step=min_step, raam_cycles=res_r["cycles"],
            raam_final_step=res_r["step"], raam_moved_last_cycle=res_r["moved"],
            raam_converged=res_r["converged"],
        )
        if not res_r["converged"]:
            logger.info("RAAM 在 %d 轮后仍有 %d 人调整，未收敛；可增大 max_cycles", res_r["cycles"], res_r["moved"])
    params["value_col"] = value_col
    pts["n_reachable"] = np.bincount(rows, minlength=shape[0]).astype("int64")
    pts["supply_within"] = reach @ S
    pts = attach_geometry(pts, dem)
    sp = attach_geometry(sp, sup)
    problems = concat_problems([p_s, p_d, *extra_problems])
    warn_problems(problems)
    params["n_demand"] = len(dem)
    params["n_supply"] = len(sup)
    params["n_pairs_within"] = len(rows)
    lv = normalise_level(level)
    result = AccessibilityResult(params, problems, source_notes(supply, demand), units=units, level=lv,
                                 points=pts, supply=sp)
    result.title = f"可达性（{FAMILY_METHODS[key]}）"
    if units is not None and "elderly" in units.columns and key in RATIO_METHODS and per_1000:
        from .beds import bed_ratio, compare_with_ratio

        ratio = bed_ratio(sup, units, target_per_1000=target_per_1000, beds_col=supply_col)
        result.ratio = ratio
        result.comparison = compare_with_ratio(result, ratio, level=lv)
        result.params["target_per_1000"] = ratio.params["target_per_1000"]
    return result


def _raam(rows: np.ndarray, cols: np.ndarray, mins: np.ndarray, D: np.ndarray, S: np.ndarray, *, tau: float,
          rho: float | None, max_cycles: int, initial_step: float, half_life: float,
          min_step: float) -> dict[str, Any]:
    """RAAM on the pairs within the catchment: validation, ρ, restriction to positive rows/columns."""
    tau = float(tau)
    if not tau > 0:
        msg = f"tau 应为正数（分钟），实际为 {tau!r}"
        raise InputError(msg)
    if int(max_cycles) < 1:
        msg = f"max_cycles 应为正整数，实际为 {max_cycles!r}"
        raise InputError(msg)
    if not float(initial_step) > 0 or not float(half_life) > 0 or not float(min_step) >= 0:
        msg = (f"initial_step、half_life 应为正数，min_step 不能为负；实际为 {initial_step!r}、"
               f"{half_life!r}、{min_step!r}")
        raise InputError(msg)
    s_pos = S > 0
    d_pos = D > 0
    if rho is None:
        if not s_pos.any():
            msg = "RAAM 需要至少一个供给量为正的设施"
            raise InputError(msg)
        rho_v = float(D[d_pos].sum() / S[s_pos].sum())
    else:
        rho_v = float(rho)
        if not rho_v > 0:
            msg = f"rho 应为正数，实际为 {rho!r}"
            raise InputError(msg)
    keep = d_pos[rows] & s_pos[cols]
    r, c, t = rows[keep], cols[keep], mins[keep]
    n, m = len(D), len(S)
    cost = np.full(n, np.nan)
    trav = np.full(n, np.nan)
    das = np.zeros(m)
    out: dict[str, Any] = {"cycles": 0, "step": float(initial_step), "moved": 0, "converged": True}
    if len(r):
        live_rows = np.unique(r)
        r_new = np.searchsorted(live_rows, r)
        res = raam_assignment(r_new, c, t / tau, D[live_rows], S * rho_v, max_cycles=max_cycles,
                              initial_step=initial_step, half_life=half_life, min_step=min_step)
        cost[live_rows] = res["cost"]
        trav[live_rows] = res["travel"]
        das = res["demand_at_supply"]
        out = {k: res[k] for k in ("cycles", "step", "moved", "converged")}
    out.update(cost=cost, travel=trav, demand_at_supply=das, rho=rho_v)
    return out


# ============================================================================================
# comparison
# ============================================================================================
class MethodComparison(AnalysisResult):
    """Several accessibility methods side by side: values, ranks, spread, target status.

    Attributes
    ----------
    results : dict
        Method key → :class:`~mzgeo.analysis.beds.AccessibilityResult` (with the units attached for
        ``by_unit``; without the per-method administrative comparison).
    table : pandas.DataFrame
        One row per unit (per demand point without units): ``code``, ``name``, ``level``,
        ``demand_total``, with units that have ``elderly`` the administrative ``beds_per_1000``
        and ``admin_ok`` (:func:`~mzgeo.analysis.beds.bed_ratio`); per method ``value_<m>``,
        ``norm_<m>`` (value ÷ demand-weighted mean over the rows of the same level; RAAM, a
        cost, as mean ÷ value, so that above 1 is better for every method), ``rank_<m>`` (1 = best access, within the level) and,
        for the ratio methods with ``per_1000``, ``meets_<m>`` (value ≥ target); then
        ``rank_min``, ``rank_max``, ``rank_range`` (max − min), ``norm_cv`` (coefficient of
        variation of the normalised values across methods), ``n_methods_meeting``,
        ``n_ratio_methods`` and ``status_changes`` (the ratio methods disagree on the target).
    status_changes : pandas.DataFrame
        Rows of :attr:`table` whose target status changes between methods.
    params, problems
        See :class:`~mzgeo.analysis.result.AnalysisResult`.
    """

    title = "可达性方法比较"

    @property
    def headline(self) -> str:
        """Methods compared and units whose target status changes with the method, in Chinese."""
        names = "、".join(SHORT_NAMES[m] for m in self.methods)
        return f"比较 {len(self.methods)} 种方法（{names}）：{len(self.status_changes)} 个单位的达标结论随方法改变"

    def summary(self) -> pd.DataFrame:
        """One row per method: ``method``, ``name``, ``value_col``, ``mean``, ``min``, ``max``."""
        rows = []
        for m in self.methods:
            r = self.results[m]
            v = pd.to_numeric(r.points[r.value_col], errors="coerce")
            rows.append({"method": m, "name": SHORT_NAMES[m], "value_col": r.value_col, "mean": v.mean(),
                         "min": v.min(), "max": v.max()})
        return pd.DataFrame(rows, columns=["method", "name", "value_col", "mean", "min", "max"])

    @property
    def methods(self) -> list[str]:
        """Method keys, in order."""
        return list(self.results)

    @property
    def status_changes(self) -> pd.DataFrame:
        """Units (or points) whose target status differs between the ratio methods."""
        return self.table[self.table["status_changes"]]

    def method_table(self, method: str) -> pd.DataFrame:
        """Per-unit (per-point) table of one method, with its rank."""
        return self._per_method[method]

    def layer(self, method: str) -> Any:
        """GeoDataFrame of one method (unit polygons or points) for :func:`mzgeo.maps.choropleth`.

        Columns: those of :meth:`method_table` (the method's value column under its own name,
        plus ``access_rank``, ``access_norm`` and, for ratio methods, ``meets_target``), geometry.
        """
        return self._to_layer(self._per_method[method])

    def tables(self) -> dict[str, pd.DataFrame]:
        """Sheets: one per method (its short name) and 比较."""
        out = {SHORT_NAMES[m]: self._per_method[m].reset_index(drop=True) for m in self.methods}
        out["比较"] = self.table.reset_index(drop=True)
        return out

    def layers(self) -> dict[str, Any]:
        """Layers: ``access_<method>`` per method and ``access_comparison``."""
        out = {f"access_{m}": self.layer(m) for m in self.methods}
        out["access_comparison"] = self._to_layer(self.table)
        return out


def _rank_within(values: pd.Series, groups: pd.Series, ascending: bool) -> pd.Series:
    return values.groupby(groups, sort=False).rank(method="min", ascending=ascending).astype("Int64")


def compare_methods(
    supply: Any,
    demand: Any,
    *,
    network: Any = None,
    cost: pd.DataFrame | None = None,
    methods: Sequence[str] | None = None,
    minutes: float | None = None,
    supply_col: str = "beds",
    weight_col: str = "elderly",
    per_1000: bool = True,
    units: Any = None,
    level: str | None = None,
    target_per_1000: float | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    neighbor_cost: pd.DataFrame | None = None,
    partition: Any = None,
    executor: Any = None,
) -> MethodComparison:
    """Run several accessibility methods on the same travel costs and compare them.

    The robustness view of a report: does a unit's standing depend on the method? Travel
    costs are computed once (``network``) and shared by every method.

    Parameters
    ----------
    supply, demand, network, cost, minutes, supply_col, weight_col, per_1000
        As :func:`mzgeo.accessibility`.
    methods : sequence of str, optional
        Method keys; default every method of :data:`ALL_METHODS` (``fca`` only when
        demand-to-demand costs are available: a ``network`` or ``neighbor_cost``).
    units : geopandas.GeoDataFrame, optional
        Units: compare per unit (demand-weighted, with roll-ups); per demand point otherwise.
    level : str, optional
        Only this level of the units (ranks are always within a level).
    target_per_1000 : float, optional
        Target for ``meets_<m>``; default ``settings.bed_target_per_1000`` (37.5).
    options : mapping, optional
        Method key → keyword options for that method (e.g. ``{"raam": {"tau": 30},
        "e2sfca": {"weights": {...}}}``).
    neighbor_cost : pandas.DataFrame, optional
        Demand-to-demand cost table for ``fca``.
    partition : {"county"} or geopandas.GeoDataFrame, optional
        With a network: route per unit (county) on buffered partition networks, each with
        every road and facility within the travel-time limit at the network's top speed
        (plus the snapping distance), so the result equals the single-network run (see
        :mod:`mzgeo.network.partition`). ``None`` (default): one network.
    executor : None, "local", str or distributed.Client, optional
        Where the partition tasks run: ``None`` (default ``settings.executor``) this process,
        ``"local"`` a local Dask cluster, ``"tcp://host:8786"`` a running one.

    Returns
    -------
    MethodComparison

    Raises
    ------
    InputError
        Unknown method or option, no method left.

    Examples
    --------
    >>> import mzgeo
    >>> demo = mzgeo.load_demo()
    >>> drive = mzgeo.Network.from_lines(demo.roads, mode="drive")
    >>> cmp = compare_methods(demo.institutions, demo.villages, network=drive, methods=["2sfca", "e2sfca"],
    ...                       units=demo.units_township, level="乡镇街道")
    >>> cmp.methods
    ['2sfca', 'e2sfca']
    >>> len(cmp.status_changes) <= len(cmp.table)
    True
    """
    options = dict(options or {})
    if methods is None:
        keys = [m for m in ALL_METHODS if m != "fca" or network is not None or neighbor_cost is not None]
        if "fca" not in keys:
            logger.info("没有需求点之间的出行时间（network 或 neighbor_cost），比较中不含 fca")
    else:
        keys = [str(m).lower() for m in methods]
    bad = [m for m in [*keys, *options] if m not in ALL_METHODS]
    if bad:
        msg = f"未知的可达性方法 {bad}，可用：{'、'.join(ALL_METHODS)}"
        raise InputError(msg)
    if not keys:
        msg = "methods 为空：至少给一个方法"
        raise InputError(msg)
    keys = list(dict.fromkeys(keys))
    target = float(settings.bed_target_per_1000 if target_per_1000 is None else target_per_1000)
    t_max = float(settings.beds_access_minutes if minutes is None else minutes)
    check_frame(supply, "供给设施图层", required=[supply_col], geometry=False)
    check_frame(demand, "需求点图层", required=[weight_col], geometry=False)
    _, (supply, demand, units) = check_crs(("供给设施图层", supply), ("需求点图层", demand), ("行政区图层", units))
    source = describe_source(network, cost)
    shared_cost = cost
    shared_nb = neighbor_cost
    if network is not None:
        # route once; every method reads the same table
        from ..network.cost import _table_from_network

        sup = as_points(supply, "供给设施图层")
        dem = as_points(demand, "需求点图层")
        shared_cost = _table_from_network(network, dem, sup, t_max, partition, executor)
        if "fca" in keys and neighbor_cost is None:
            shared_nb = _table_from_network(network, dem, dem, t_max, partition, executor)
    results: dict[str, AccessibilityResult] = {}
    for m in keys:
        kw = dict(options.get(m, {}))
        if m == "fca":
            kw.setdefault("neighbor_cost", shared_nb)
        # units are attached below, with one shared assignment of the points (no per-method bed ratio)
        results[m] = accessibility(supply, demand, cost=shared_cost, method=m, minutes=t_max, supply_col=supply_col,
                                   weight_col=weight_col, per_1000=per_1000, **kw)
        results[m].params.update(source)
    lv = normalise_level(level)
    per_method: dict[str, pd.DataFrame] = {}
    admin: pd.DataFrame | None = None
    if units is not None:
        tree = UnitTree(units)
        tree.select(lv)
        to_layer: Callable[[pd.DataFrame], Any] = tree.with_geometry
        shared = results[keys[0]]._cache
        base = None
        for m, r in results.items():
            r._units, r._level, r._cache = units, lv, shared
            tab = r.by_unit(units, level=lv).set_index("code", drop=False)
            per_method[m] = tab
            base = tab if base is None else base
        assert base is not None
        frame = base[["code", "name", "level", "demand_total"]].copy()
        groups = frame["level"]
        if "elderly" in units.columns and per_1000:
            from .beds import bed_ratio

            admin = bed_ratio(as_points(supply, "供给设施图层"), units, target_per_1000=target, beds_col=supply_col).table
            admin = admin.set_index("code").reindex(frame.index)
            frame["beds_per_1000"] = admin["beds_per_1000"]
            frame["admin_ok"] = (admin["beds_per_1000"] >= target).where(admin["beds_per_1000"].notna())
    else:
        pts0 = results[keys[0]].points

        def to_layer(tab: pd.DataFrame) -> Any:
            return attach_geometry(tab.copy(), pts0)

        for m, r in results.items():
            per_method[m] = pd.DataFrame(r.points).drop(columns="geometry", errors="ignore")
        first = per_method[keys[0]]
        frame = pd.DataFrame({"code": first.index.astype("str"), "name": first.get("name", first.index.astype(str)),
                              "level": "需求点", "demand_total": first["demand"]}, index=first.index)
        groups = frame["level"]
    weights_d = frame["demand_total"].astype("float64")
    norm_cols, rank_cols, meet_cols = [], [], []
    for m, r in results.items():
        vcol = r.value_col
        tab = per_method[m]
        v = tab[vcol].astype("float64")
        ok = np.isfinite(v) & (weights_d > 0)
        dv = (v.where(ok, 0.0) * weights_d.where(ok, 0.0)).groupby(groups).transform("sum")
        dd = weights_d.where(ok, 0.0).groupby(groups).transform("sum")
        mean = dv / dd
        is_cost = vcol == "raam_cost"
        with np.errstate(divide="ignore", invalid="ignore"):
            norm = (mean / v) if is_cost else (v / mean)
        rank = _rank_within(v, groups, ascending=is_cost)
        tab = tab.copy()
        tab["access_rank"] = rank
        tab["access_norm"] = norm
        frame[f"value_{m}"] = v
        frame[f"norm_{m}"] = norm
        frame[f"rank_{m}"] = rank
        norm_cols.append(f"norm_{m}")
        rank_cols.append(f"rank_{m}")
        if m in RATIO_METHODS and r.value_col == "accessible_per_1000":
            meets = (v >= target).where(v.notna())
            tab["meets_target"] = meets
            frame[f"meets_{m}"] = meets
            meet_cols.append(f"meets_{m}")
        per_method[m] = tab
    ranks = frame[rank_cols].astype("float64")
    frame["rank_min"] = ranks.min(axis=1)
    frame["rank_max"] = ranks.max(axis=1)
    frame["rank_range"] = frame["rank_max"] - frame["rank_min"]
    norms = frame[norm_cols].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["norm_cv"] = norms.std(axis=1, ddof=0) / norms.mean(axis=1)
    if meet_cols:
        meets = frame[meet_cols].astype("float64")
        frame["n_methods_meeting"] = meets.sum(axis=1, min_count=1)
        frame["n_ratio_methods"] = meets.notna().sum(axis=1)
        frame["status_changes"] = (meets.min(axis=1) != meets.max(axis=1)) & meets.notna().all(axis=1)
    else:
        frame["n_methods_meeting"] = np.nan
        frame["n_ratio_methods"] = 0
        frame["status_changes"] = False
    params: dict[str, Any] = {
        "rule": ("同一出行时间、同一供需数据下比较各方法；排名 1 为可达性最好（RAAM 为成本，越低越好）；"
                 "标准化值 = 数值 ÷ 同级需求加权平均（RAAM 取倒数方向）；离散程度 = 排名极差、标准化值变异系数"),
        "methods": [ALL_METHODS[m] for m in keys],
        "minutes": t_max,
        "target_per_1000": target,
        "level": lv or ("全部级别" if units is not None else "需求点"),
        **source,
    }
    if "raam" in results:
        rp = results["raam"].params
        params.update({k: rp[k] for k in ("tau", "raam_cycles", "raam_final_step", "raam_converged")})
    problems = concat_problems([r.problems for r in results.values()]).drop_duplicates(
        subset=["problem", "layer", "item"], ignore_index=True)
    return MethodComparison(params, problems, source_notes(supply, demand), results=results, table=frame,
                            _per_method=per_method, _to_layer=to_layer)
