"""Private building blocks of :mod:`mzgeo.allocate`: sparse cost pairs, HiGHS runs, reductions.

Everything here works on integer positions and numpy / scipy arrays; labels, frames and
Chinese messages live in :mod:`mzgeo.allocate`. No function loops over demand points or
pairs in Python: loops run at most over selected sites (``p``) or over solver calls.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "HighsOutcome",
    "Pairs",
    "cover_value",
    "coverage_matrix",
    "dominated_columns",
    "greedy_max_cover",
    "greedy_pmedian",
    "greedy_set_cover",
    "group_identical_rows",
    "highs_version",
    "ils_max_cover",
    "lagrangian_fixing",
    "new_highs",
    "nearest_open",
    "run_highs",
    "swap_max_cover",
]

log = logging.getLogger("mzgeo")


INF = float("inf")


# --------------------------------------------------------------------------------------------
# cost pairs
# --------------------------------------------------------------------------------------------
@dataclass
class Pairs:
    """Reachable demand → site pairs with their travel time (minutes), sorted by (row, col).

    Attributes
    ----------
    n_rows, n_cols : int
        Number of demand points and of sites.
    row, col : numpy.ndarray of int64
        Demand and site positions of each pair (no duplicates).
    minutes : numpy.ndarray of float64
        Travel time of each pair in minutes (0 allowed; absent pairs are unreachable).
    """

    n_rows: int
    n_cols: int
    row: np.ndarray
    col: np.ndarray
    minutes: np.ndarray

    @classmethod
    def from_arrays(cls, n_rows: int, n_cols: int, row, col, minutes) -> Pairs:
        """Pairs from raw arrays: drops non-finite times, keeps the minimum of duplicates."""
        row = np.asarray(row, dtype=np.int64)
        col = np.asarray(col, dtype=np.int64)
        minutes = np.asarray(minutes, dtype=np.float64)
        ok = np.isfinite(minutes)
        row, col, minutes = row[ok], col[ok], minutes[ok]
        order = np.lexsort((minutes, col, row))
        row, col, minutes = row[order], col[order], minutes[order]
        if len(row):
            first = np.ones(len(row), dtype=bool)
            first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
            row, col, minutes = row[first], col[first], minutes[first]
        return cls(int(n_rows), int(n_cols), row, col, minutes)

    @property
    def nnz(self) -> int:
        """Number of pairs."""
        return len(self.row)

    def subset(self, mask: np.ndarray) -> Pairs:
        """Return the pairs where ``mask`` is true (same row/column numbering)."""
        return Pairs(self.n_rows, self.n_cols, self.row[mask], self.col[mask], self.minutes[mask])

    def within(self, minutes: float | None) -> Pairs:
        """Return the pairs with travel time ≤ ``minutes`` (all pairs when ``None``)."""
        if minutes is None:
            return self
        return self.subset(self.minutes <= minutes + 1e-9)

    def nearest(self, cols_mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Nearest site of each row among ``cols_mask`` sites: (col or -1, minutes or inf)."""
        return nearest_open(self, cols_mask)


def nearest_open(pairs: Pairs, cols_mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nearest site per demand row among the sites where ``cols_mask`` is true.

    Returns
    -------
    col : numpy.ndarray of int64
        Site position, ``-1`` when no such site is reachable.
    minutes : numpy.ndarray of float64
        Its travel time, ``inf`` when unreachable.
    """
    sel = np.ones(pairs.nnz, dtype=bool) if cols_mask is None else cols_mask[pairs.col]
    r, c, t = pairs.row[sel], pairs.col[sel], pairs.minutes[sel]
    order = np.lexsort((c, t, r))
    r, c, t = r[order], c[order], t[order]
    best_col = np.full(pairs.n_rows, -1, dtype=np.int64)
    best_t = np.full(pairs.n_rows, INF)
    if len(r):
        first = np.ones(len(r), dtype=bool)
        first[1:] = r[1:] != r[:-1]
        best_col[r[first]] = c[first]
        best_t[r[first]] = t[first]
    return best_col, best_t


def coverage_matrix(pairs: Pairs, rows: np.ndarray | None = None, cols: np.ndarray | None = None) -> sp.csr_matrix:
    """Binary CSR matrix ``a[i, j] = 1`` for each pair, restricted to ``rows`` × ``cols``.

    ``rows`` and ``cols`` are position arrays (new numbering follows their order).
    """
    r, c = pairs.row, pairs.col
    n_r, n_c = pairs.n_rows, pairs.n_cols
    keep = np.ones(len(r), dtype=bool)
    if rows is not None:
        rmap = np.full(n_r, -1, dtype=np.int64)
        rmap[rows] = np.arange(len(rows))
        r = rmap[r]
        keep &= r >= 0
        n_r = len(rows)
    if cols is not None:
        cmap = np.full(n_c, -1, dtype=np.int64)
        cmap[cols] = np.arange(len(cols))
        c = cmap[c]
        keep &= c >= 0
        n_c = len(cols)
    a = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.float64), (r[keep], c[keep])), shape=(n_r, n_c)
    )
    a.sum_duplicates()
    a.data[:] = 1.0
    a.sort_indices()
    return a


# --------------------------------------------------------------------------------------------
# reductions
# --------------------------------------------------------------------------------------------
def group_identical_rows(a: sp.csr_matrix, extra: np.ndarray | None = None, seed: int = 12345) -> np.ndarray:
    """Group id of each row; rows with the same column set (and same ``extra`` key) share it.

    Two independent random 64-bit hashes of the column set plus the row length make an
    accidental collision practically impossible (probability about ``n² / 2¹²⁸``).

    Parameters
    ----------
    a : scipy.sparse.csr_matrix
        Row → columns incidence (values ignored).
    extra : numpy.ndarray, optional
        A per-row integer key that must also match (e.g. a hash of travel times).

    Returns
    -------
    numpy.ndarray of int64
        Group id of each row, ``0 .. n_groups - 1`` in order of first appearance.
    """
    n, m = a.shape
    rng = np.random.default_rng(seed)
    lens = np.diff(a.indptr)
    keys = [lens.astype(np.uint64)]
    nz = lens > 0
    for _ in range(2):
        r = rng.integers(1, 2**63 - 1, size=m, dtype=np.int64).astype(np.uint64)
        h = np.zeros(n, dtype=np.uint64)
        if a.nnz:
            h[nz] = np.add.reduceat(r[a.indices], a.indptr[:-1][nz])
        keys.append(h)
    if extra is not None:
        keys.append(np.asarray(extra).astype(np.uint64))
    key = np.stack(keys, axis=1)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    # renumber groups in order of first appearance (deterministic, stable)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inverse].astype(np.int64)


def dominated_columns(a: sp.csr_matrix) -> np.ndarray:
    """Columns whose row set is a subset of another column's (ties: the later one goes).

    Only valid for uncapacitated coverage models with equal site costs (LSCP, MCLP): a
    dominated candidate can always be swapped for its dominator without losing coverage.

    Returns
    -------
    numpy.ndarray of bool
        ``True`` for each dominated column.
    """
    n, m = a.shape
    deg = np.asarray(a.sum(axis=0)).ravel()
    dominated = deg == 0
    if a.nnz == 0 or m < 2:
        return dominated
    # the column-pair intersection sizes; kept sparse (only pairs sharing a row)
    at = a.T.tocsr()
    inter = (at @ a).tocoo()
    j, k, size = inter.row, inter.col, inter.data
    sub = (j != k) & (np.abs(size - deg[j]) < 0.5)  # rows(j) ⊆ rows(k)
    strictly = deg[k] > deg[j] + 0.5
    tie = (np.abs(deg[k] - deg[j]) < 0.5) & (k < j)
    dominated[j[sub & (strictly | tie)]] = True
    return dominated


# --------------------------------------------------------------------------------------------
# heuristics (warm starts and ordering)
# --------------------------------------------------------------------------------------------
def greedy_max_cover(
    a: sp.csr_matrix, w: np.ndarray, p: int, covered0: np.ndarray | None = None, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Greedy maximal covering: pick ``p`` columns, each adding the most uncovered weight.

    Parameters
    ----------
    a : scipy.sparse.csr_matrix
        Rows = demand, columns = sites (1 = within reach).
    w : numpy.ndarray
        Row weights (≥ 0).
    p : int
        Number of columns to pick (stops early when nothing more can be covered).
    covered0 : numpy.ndarray of bool, optional
        Rows already covered.
    allowed : numpy.ndarray of bool, optional
        Columns that may be picked.

    Returns
    -------
    picked : numpy.ndarray of int64
        Picked columns in order.
    gains : numpy.ndarray of float64
        Weight added by each pick.
    """
    at = a.T.tocsr()
    uncovered = np.ones(a.shape[0], dtype=bool) if covered0 is None else ~np.asarray(covered0, dtype=bool)
    gains = at @ (w * uncovered)
    if allowed is not None:
        gains = np.where(allowed, gains, -INF)
    picked: list[int] = []
    added: list[float] = []
    for _ in range(int(p)):
        j = int(np.argmax(gains))
        if not gains[j] > 0:
            break
        rows = at.indices[at.indptr[j] : at.indptr[j + 1]]
        rows = rows[uncovered[rows]]
        picked.append(j)
        added.append(float(gains[j]))
        uncovered[rows] = False
        if len(rows):
            gains = gains - a[rows].T @ w[rows]
        gains[j] = -INF
    return np.asarray(picked, dtype=np.int64), np.asarray(added, dtype=np.float64)


def swap_max_cover(
    a: sp.csr_matrix, w: np.ndarray, picked: np.ndarray, deadline: float | None = None, max_rounds: int = 200
) -> np.ndarray:
    """Improve a maximal-covering solution by best 1-swaps (vectorised over candidates).

    For each picked column ``s`` the weight it covers alone is lost on removal; every other
    column ``c`` gains the uncovered weight it reaches plus the rows of ``s`` it also covers.
    The best swap over all ``(s, c)`` is applied until none improves or ``deadline`` passes.
    Cost per round: ``p`` sparse matrix-vector products.
    """
    at = a.T.tocsr()
    s_set = [int(j) for j in picked]
    if not s_set:
        return np.asarray(s_set, dtype=np.int64)
    for _ in range(max_rounds):
        if deadline is not None and time.perf_counter() > deadline:
            break
        sel = np.zeros(a.shape[1], dtype=bool)
        sel[s_set] = True
        count = a @ sel.astype(np.float64)
        gain_add = at @ (w * (count < 0.5))
        best = (1e-9, -1, -1)
        for s in s_set:
            rows = at.indices[at.indptr[s] : at.indptr[s + 1]]
            alone = rows[count[rows] < 1.5]
            loss = float(w[alone].sum())
            delta = gain_add - loss
            if len(alone):
                delta = delta + a[alone].T @ w[alone]
            delta[sel] = -INF
            c = int(np.argmax(delta))
            if delta[c] > best[0]:
                best = (float(delta[c]), s, c)
        if best[1] < 0:
            break
        s_set.remove(best[1])
        s_set.append(best[2])
    return np.asarray(s_set, dtype=np.int64)


def cover_value(a: sp.csr_matrix, w: np.ndarray, picked: np.ndarray) -> float:
    """Weight of the rows of ``a`` covered by the columns ``picked``."""
    if not len(picked):
        return 0.0
    sel = np.zeros(a.shape[1])
    sel[np.asarray(picked, dtype=np.int64)] = 1.0
    return float(w[(a @ sel) > 0.5].sum())


def ils_max_cover(
    a: sp.csr_matrix,
    w: np.ndarray,
    start: np.ndarray,
    *,
    iterations: int = 30,
    deadline: float | None = None,
    seed: int = 0,
    patience: int | None = None,
) -> np.ndarray:
    """Improve a maximal-covering solution by iterated local search: perturb, swap, keep the best.

    Each iteration replaces 2–5 random sites of the current solution by random useful
    candidates and runs :func:`swap_max_cover`; the new solution becomes current when it is
    not worse. The number of iterations (not the clock) fixes the work, so results repeat
    from run to run; ``deadline`` cuts it short, and so does ``patience`` consecutive
    iterations without a better solution.
    """
    rng = np.random.default_rng(seed)
    cur = np.asarray(start, dtype=np.int64)
    p = len(cur)
    useful = np.flatnonzero(np.diff(a.tocsc().indptr) > 0)
    if p < 2 or len(useful) <= p:
        return cur
    best, best_v = cur.copy(), cover_value(a, w, cur)
    cur_v = best_v
    stale = 0
    for _ in range(int(iterations)):
        if deadline is not None and time.perf_counter() > deadline:
            break
        if patience is not None and stale >= patience:
            break
        stale += 1
        k = int(rng.integers(2, min(5, p) + 1))
        cand = cur.copy()
        pool = np.setdiff1d(useful, cand, assume_unique=False)
        if len(pool) < k:
            break
        cand[rng.choice(p, k, replace=False)] = rng.choice(pool, k, replace=False)
        cand = swap_max_cover(a, w, cand, deadline=deadline)
        v = cover_value(a, w, cand)
        if v >= cur_v:
            cur, cur_v = cand, v
        if v > best_v + 1e-9:
            best, best_v = cand.copy(), v
            stale = 0
    return best


def lagrangian_fixing(
    a: sp.csr_matrix, w: np.ndarray, p: int, lam: np.ndarray, incumbent: float, integral: bool
) -> tuple[float, np.ndarray, np.ndarray]:
    r"""Lagrangian bound of the maximal covering problem and the sites it fixes.

    Relaxing :math:`y_g \le \sum_{j \in N_g} x_j` with multipliers
    :math:`0 \le \lambda_g \le w_g` gives, for every such :math:`\lambda`, the valid bound

    .. math::

        L(\lambda) = \sum_g (w_g - \lambda_g) + \text{sum of the } p \text{ largest }
        c_j^+, \qquad c_j = \sum_{g \in N_j} \lambda_g .

    Forcing a site outside the top ``p`` in (or one inside out) changes the bound by a
    closed-form amount; when that bound cannot beat ``incumbent`` (by at least 1 when all
    weights are integers) the site is fixed: every strictly better solution agrees with it.

    Returns
    -------
    bound : float
        :math:`L(\lambda)` (computed exactly, valid whatever ``lam``).
    fix0, fix1 : numpy.ndarray of bool
        Sites that can be fixed closed / open.
    """
    k = a.shape[1]
    lam = np.clip(np.asarray(lam, dtype=np.float64), 0.0, w)
    c = np.maximum(a.T @ lam, 0.0)
    order = np.argsort(-c, kind="stable")
    cs = c[order]
    bound = float((w - lam).sum() + cs[:p].sum())
    fix0 = np.zeros(k, dtype=bool)
    fix1 = np.zeros(k, dtype=bool)
    if k <= p or p <= 0:
        return bound, fix0, fix1
    in_top = np.zeros(k, dtype=bool)
    in_top[order[:p]] = True
    c_p, c_p1 = cs[p - 1], cs[p]
    thr = incumbent + 1.0 - 1e-6 if integral else incumbent - 1e-9 * max(abs(incumbent), 1.0)
    fix0 = ~in_top & (bound - c_p + c < thr)
    fix1 = in_top & (bound - c + c_p1 < thr)
    return bound, fix0, fix1


def greedy_set_cover(a: sp.csr_matrix, must: np.ndarray | None = None) -> np.ndarray:
    """Greedy set cover of every row of ``a`` (rows without columns are skipped), then prune.

    Returns the picked columns; redundant picks (all their rows covered twice) are removed
    afterwards, largest-index first.
    """
    n, m = a.shape
    at = a.T.tocsr()
    coverable = np.diff(a.indptr) > 0
    uncovered = coverable.copy()
    if must is not None and len(must):
        uncovered[a[:, must].sum(axis=1).A1 > 0] = False
    counts = at @ uncovered.astype(np.float64)
    picked: list[int] = []
    while uncovered.any():
        j = int(np.argmax(counts))
        if counts[j] <= 0:
            break
        rows = at.indices[at.indptr[j] : at.indptr[j + 1]]
        rows = rows[uncovered[rows]]
        picked.append(j)
        uncovered[rows] = False
        counts = counts - np.asarray(a[rows].sum(axis=0)).ravel()
        counts[j] = -1
    # prune redundant columns
    sel = np.zeros(m, dtype=bool)
    sel[picked] = True
    cover_count = a @ sel.astype(np.float64)
    if must is not None and len(must):
        cover_count = cover_count + a[:, must].sum(axis=1).A1
    for j in sorted(picked, reverse=True):
        rows = at.indices[at.indptr[j] : at.indptr[j + 1]]
        if np.all(cover_count[rows] >= 2):
            sel[j] = False
            cover_count[rows] -= 1
    return np.flatnonzero(sel)


def greedy_pmedian(
    pairs: Pairs, w: np.ndarray, base_t: np.ndarray, cand: np.ndarray, p: int, unserved_t: float
) -> np.ndarray:
    """Greedy p-median: add the candidate with the largest saving of weighted minutes.

    ``base_t`` is each row's current travel time (``inf`` = unserved, counted as
    ``unserved_t``); ``cand`` marks the columns that may be opened.
    """
    cur = np.where(np.isfinite(base_t), base_t, unserved_t)
    sel = cand[pairs.col]
    r, c, t = pairs.row[sel], pairs.col[sel], pairs.minutes[sel]
    picked: list[int] = []
    alive = np.ones(pairs.n_cols, dtype=bool)
    for _ in range(int(p)):
        saving = w[r] * np.maximum(cur[r] - t, 0.0)
        total = np.bincount(c, weights=saving, minlength=pairs.n_cols)
        total[~alive | ~cand] = -1.0
        j = int(np.argmax(total))
        if total[j] <= 0:
            break
        picked.append(j)
        alive[j] = False
        mine = c == j
        cur[r[mine]] = np.minimum(cur[r[mine]], t[mine])
    return np.asarray(picked, dtype=np.int64)


# --------------------------------------------------------------------------------------------
# HiGHS
# --------------------------------------------------------------------------------------------
_BANNER_SHOWN = False


def new_highs() -> Any:
    """Return a silent ``highspy.Highs`` object.

    HiGHS prints its banner to standard output when the first object of a process is
    created, before any option can be set; that first construction runs with file
    descriptor 1 pointed at ``os.devnull`` so the library never writes to the console.
    """
    global _BANNER_SHOWN
    import highspy

    saved = None
    if not _BANNER_SHOWN:
        try:
            sys.stdout.flush()
            saved = os.dup(1)
        except (OSError, ValueError):  # no real stdout (some notebook front-ends): nothing to silence
            saved = None
    if saved is None:
        h = highspy.Highs()
    else:
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


def highs_version() -> str:
    """Version of the HiGHS library behind ``highspy`` (e.g. ``"1.16.0"``)."""
    return str(new_highs().version())


@dataclass
class HighsOutcome:
    """What one HiGHS run returned.

    Attributes
    ----------
    status : str
        HiGHS model status text (``"Optimal"``, ``"Time limit reached"``, ``"Infeasible"``...).
    objective : float
        Best objective found (``nan`` when no feasible solution), model offset included.
    bound : float
        Best proven bound (dual bound) on the objective.
    gap : float
        Relative gap ``|objective − bound| / max(|objective|, 1e-9)``; 0 when proven optimal.
    time_s : float
        Wall time of the run (seconds).
    x : numpy.ndarray or None
        Column values of the best solution.
    nodes : int
        Branch-and-bound nodes.
    has_solution : bool
        Whether a feasible solution exists.
    """

    status: str
    objective: float
    bound: float
    gap: float
    time_s: float
    x: np.ndarray | None
    nodes: int = 0
    has_solution: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def optimal(self) -> bool:
        """Whether HiGHS proved optimality (within the requested gap)."""
        return self.status == "Optimal"


def run_highs(
    cost: np.ndarray,
    a: sp.spmatrix,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    col_lo: np.ndarray,
    col_hi: np.ndarray,
    integer: np.ndarray,
    *,
    maximize: bool,
    offset: float = 0.0,
    time_limit_s: float | None = None,
    mip_gap: float = 0.0,
    start: np.ndarray | None = None,
    options: dict | None = None,
    objective_bound: float | None = None,
    duals: bool = False,
    trace_every_s: float | None = None,
) -> HighsOutcome:
    """Build a model from arrays (column-wise sparse matrix), solve it with HiGHS.

    Parameters
    ----------
    cost : numpy.ndarray
        Objective coefficient of each column.
    a : scipy.sparse matrix
        Constraint matrix (rows × columns); converted to CSC once.
    row_lo, row_hi, col_lo, col_hi : numpy.ndarray
        Bounds (``±inf`` allowed).
    integer : numpy.ndarray of bool
        Integer columns.
    maximize : bool
        Sense of the objective.
    offset : float
        Constant added to the objective (so the reported gap is relative to the full
        objective a planner reads).
    time_limit_s : float, optional
        Wall-clock limit of the run.
    mip_gap : float
        Relative gap at which HiGHS may stop and call the solution optimal.
    start : numpy.ndarray, optional
        A feasible (or partial, ``nan`` = unknown) column vector given to HiGHS as the
        starting incumbent.
    options : dict, optional
        Extra HiGHS options (e.g. ``{"output_flag": True}``).
    objective_bound : float, optional
        Stop as soon as the dual bound proves no solution better than this exists.
    duals : bool
        Keep the row duals of an LP in ``extra["row_dual"]``.
    trace_every_s : float, optional
        MIP only: record ``(seconds, dual bound, primal bound)`` about every this many seconds
        of the branch and bound (HiGHS interrupt callback) in ``extra["trace"]``; the last
        entry is the final state.

    Returns
    -------
    HighsOutcome
    """
    import highspy

    t0 = time.perf_counter()
    h = new_highs()
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("mip_abs_gap", 1e-6)
    if time_limit_s is not None:
        h.setOptionValue("time_limit", max(float(time_limit_s), 0.01))
    if objective_bound is not None:
        h.setOptionValue("objective_bound", float(objective_bound))
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    csc = sp.csc_matrix(a)
    csc.sort_indices()
    n_col = len(cost)
    is_mip = bool(np.any(integer))
    status = h.passModel(
        int(n_col),
        int(csc.shape[0]),
        int(csc.nnz),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize),
        float(offset),
        np.ascontiguousarray(cost, dtype=np.float64),
        np.ascontiguousarray(col_lo, dtype=np.float64),
        np.ascontiguousarray(col_hi, dtype=np.float64),
        np.ascontiguousarray(row_lo, dtype=np.float64),
        np.ascontiguousarray(row_hi, dtype=np.float64),
        np.ascontiguousarray(csc.indptr, dtype=np.int32),
        np.ascontiguousarray(csc.indices, dtype=np.int32),
        np.ascontiguousarray(csc.data, dtype=np.float64),
        np.ascontiguousarray(np.asarray(integer, dtype=bool).astype(np.int32)),
    )
    if status == highspy.HighsStatus.kError:  # pragma: no cover - a programming error
        msg = "HiGHS refused the model"
        raise RuntimeError(msg)
    if start is not None and is_mip:
        known = np.flatnonzero(np.isfinite(start))
        if len(known) == n_col:
            sol = highspy.HighsSolution()
            sol.col_value = np.asarray(start, dtype=np.float64)
            h.setSolution(sol)
        elif len(known):
            h.setSolution(int(len(known)), known.astype(np.int32), start[known].astype(np.float64))
    trace: list[tuple[float, float, float]] = []
    if trace_every_s is not None and is_mip:
        _start_trace(h, trace, t0, float(trace_every_s))
    h.run()
    elapsed = time.perf_counter() - t0
    model_status = h.getModelStatus()
    text = h.modelStatusToString(model_status)
    info = h.getInfo()
    sol = h.getSolution()
    has = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
    x = np.asarray(sol.col_value, dtype=np.float64) if has and len(sol.col_value) == n_col else None
    if x is None:
        has = False
    obj = float(info.objective_function_value) if has else float("nan")
    if is_mip:
        bound = float(info.mip_dual_bound)
        nodes = int(info.mip_node_count)
    else:
        bound = obj if text == "Optimal" else float("nan")
        nodes = 0
    if text == "Optimal" and has and not np.isfinite(bound):
        bound = obj
    if has and np.isfinite(bound):
        gap = abs(bound - obj) / max(abs(obj), 1e-9)
        if gap < 1e-12:
            gap = 0.0
    else:
        gap = float("inf")
    extra = {}
    if duals and not is_mip and has and len(sol.row_dual) == csc.shape[0]:
        extra["row_dual"] = np.asarray(sol.row_dual, dtype=np.float64)
    if trace_every_s is not None and is_mip:
        trace.append((round(elapsed, 3), bound, obj))
        extra["trace"] = trace
    return HighsOutcome(text, obj, bound, gap, elapsed, x, nodes, has, extra)


def _start_trace(h: Any, trace: list, t0: float, every_s: float) -> None:
    """Record the MIP dual / primal bounds about every ``every_s`` seconds (HiGHS callbacks)."""
    import highspy

    kinds = highspy.cb.HighsCallbackType
    next_t = [every_s]

    def callback(kind: Any, message: str, data_out: Any, data_in: Any, user_data: Any) -> None:
        t = time.perf_counter() - t0
        if t >= next_t[0]:
            next_t[0] = t + every_s
            trace.append((round(t, 3), float(data_out.mip_dual_bound), float(data_out.mip_primal_bound)))

    h.setCallback(callback, None)
    for kind in (kinds.kCallbackMipInterrupt, kinds.kCallbackMipImprovingSolution, kinds.kCallbackMipLogging):
        h.startCallback(kind)
