"""Exact reductions of the coverage models: hand-checked domination rules, reduced = unreduced = spopt.

The unreduced reference is the textbook MCLP (one ``y_i`` per demand point, every candidate)
solved by ``scipy.optimize.milp``, which shares no code with mzgeo's reductions.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from mzgeo.locate import LSCP, MCLP
from mzgeo.locate._highs import dominated_columns, group_identical_rows


def _csr(cols_of_rows: list[list[int]], m: int) -> sp.csr_matrix:
    r = [i for i, cols in enumerate(cols_of_rows) for _ in cols]
    c = [j for cols in cols_of_rows for j in cols]
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(cols_of_rows), m))


def _by_column(rows_of_cols: list[list[int]], n: int) -> sp.csr_matrix:
    return _csr([[j for j, rows in enumerate(rows_of_cols) if i in rows] for i in range(n)], len(rows_of_cols))


# --------------------------------------------------------------------------------------------
# the domination rule, hand-checked
# --------------------------------------------------------------------------------------------
def test_strict_subset_is_dominated_superset_kept():
    # column 0 covers {0, 1}, column 1 covers {0, 1, 2}, column 2 covers {3}
    a = _by_column([[0, 1], [0, 1, 2], [3]], 4)
    assert dominated_columns(a).tolist() == [True, False, False]


def test_identical_columns_keep_exactly_the_first():
    # columns 0, 2, 3 cover the same {1, 2}; column 1 covers {0}: one of the three stays (the first)
    a = _by_column([[1, 2], [0], [1, 2], [1, 2]], 3)
    assert dominated_columns(a).tolist() == [False, False, True, True]


def test_identical_columns_under_a_strict_superset_all_go():
    # columns 0 and 1 both cover {0}; column 2 covers {0, 1}: only column 2 is needed
    a = _by_column([[0], [0], [0, 1]], 2)
    assert dominated_columns(a).tolist() == [True, True, False]


def test_chain_and_empty_column():
    # {0} ⊂ {0, 1} ⊂ {0, 1, 2}; column 3 covers nothing
    a = _by_column([[0], [0, 1], [0, 1, 2], []], 3)
    assert dominated_columns(a).tolist() == [True, True, False, True]


def test_overlapping_but_not_nested_columns_both_stay():
    a = _by_column([[0, 1], [1, 2]], 3)
    assert dominated_columns(a).tolist() == [False, False]


def test_identical_rows_share_a_group_order_of_columns_irrelevant():
    a = _csr([[0, 2], [1], [2, 0], [0, 2, 1], [1], []], 3)
    g = group_identical_rows(a)
    assert g.tolist() == [0, 1, 0, 2, 1, 3]


def test_dropping_a_dominated_tie_keeps_the_optimum_by_hand():
    # demand A (w 10) reached by s1 and s2 (identical sets {A, B}), B (w 5) by s1, s2; C (w 7) by s3.
    # p = 1: cover A+B = 15 with s1 (s2 is its identical twin and goes); p = 2: 22 with s1 + s3.
    cost = pd.DataFrame(
        [("A", "s1", 1), ("A", "s2", 2), ("B", "s1", 3), ("B", "s2", 1), ("C", "s3", 1), ("C", "s4", 4)],
        columns=["origin", "destination", "minutes"],
    )
    w = pd.Series({"A": 10.0, "B": 5.0, "C": 7.0})
    one = MCLP.from_cost_matrix(cost, w, minutes=5, p=1, candidate_labels=["s1", "s2", "s3", "s4"]).solve()
    assert one.objective == 15 and one.new_sites == ["s1"]
    assert one.params["n_candidates_dominated"] == 2  # s2 (twin of s1) and s4 (twin of s3)
    assert one.params["reductions"] == "rows 3 -> 2, columns 4 -> 2"  # A and B both reach {s1, s2}
    two = MCLP.from_cost_matrix(cost, w, minutes=5, p=2, candidate_labels=["s1", "s2", "s3", "s4"]).solve()
    assert two.objective == 22 and sorted(two.new_sites) == ["s1", "s3"]
    assert two.status == "Optimal" and two.params["proven_optimal"]


# --------------------------------------------------------------------------------------------
# reduced model = unreduced model (scipy.optimize.milp) = spopt
# --------------------------------------------------------------------------------------------
def _grid_instance(seed: int, n: int, m: int):
    """Demand and candidates on a coarse grid: many identical coverage sets and dominated candidates."""
    rng = np.random.default_rng(seed)
    d = rng.integers(0, 8, (n, 2)).astype(float)
    c = rng.integers(0, 8, (m, 2)).astype(float) + rng.choice([0.0, 0.5], (m, 2))
    cost = np.sqrt(((d[:, None] - c[None]) ** 2).sum(-1))
    w = rng.integers(1, 30, n).astype(float)
    return cost, w


def _unreduced_mclp(cost: np.ndarray, w: np.ndarray, radius: float, p: int) -> float:
    """Textbook MCLP on every demand point and candidate, solved by scipy's milp."""
    n, m = cost.shape
    a = (cost <= radius).astype(float)
    # variables [x_0..x_m-1, y_0..y_n-1]; y_i - sum_j a_ij x_j <= 0; sum x <= p
    rows = np.vstack([np.hstack([-a, np.eye(n)]), np.r_[np.ones(m), np.zeros(n)][None]])
    cons = LinearConstraint(rows, -np.inf, np.r_[np.zeros(n), p])
    res = milp(np.r_[np.zeros(m), -w], constraints=cons, integrality=np.r_[np.ones(m), np.zeros(n)],
               bounds=Bounds(0, 1), options={"mip_rel_gap": 0})
    assert res.success
    return -res.fun


@pytest.mark.parametrize("seed", range(4))
def test_reduced_mclp_equals_unreduced_model(seed):
    cost, w = _grid_instance(seed, 120, 40)
    for p in (2, 5):
        m = MCLP.from_cost_matrix(cost, w, minutes=1.6, p=p).solve()
        assert m.objective == pytest.approx(_unreduced_mclp(cost, w, 1.6, p))
        assert m.status == "Optimal" and m.gap == 0 and m.params["proven_optimal"]
        par = m.params
        reachable = int((cost <= 1.6).any(axis=1).sum())
        assert par["n_rows_before_reduction"] == reachable and par["n_candidates_before_reduction"] == 40
        # the grid makes both reductions bite
        assert par["n_rows_model"] < reachable and par["n_candidates_model"] < 40


@pytest.mark.parametrize("seed", range(3))
def test_reduced_mclp_and_lscp_equal_spopt_on_tied_instances(seed):
    pulp = pytest.importorskip("pulp")
    pytest.importorskip("spopt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from spopt.locate import LSCP as SLSCP
        from spopt.locate import MCLP as SMCLP
    solver = pulp.HiGHS(msg=False) if "HiGHS" in pulp.listSolvers(onlyAvailable=True) else pulp.PULP_CBC_CMD(msg=False)
    cost, w = _grid_instance(10 + seed, 90, 30)
    radius = 1.6
    coverable = (cost <= radius).any(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_m = SMCLP.from_cost_matrix(cost, w, radius, p_facilities=4).solve(solver)
        s_l = SLSCP.from_cost_matrix(cost[coverable], radius).solve(solver)
    m = MCLP.from_cost_matrix(cost, w, minutes=radius, p=4).solve()
    assert m.objective == pytest.approx(pulp.value(s_m.problem.objective))
    assert m.params["n_candidates_dominated"] > 0
    lscp = LSCP.from_cost_matrix(cost, w, minutes=radius).solve()
    assert lscp.objective == pytest.approx(pulp.value(s_l.problem.objective))


# --------------------------------------------------------------------------------------------
# honest status: "Optimal" only for a proven optimum
# --------------------------------------------------------------------------------------------
def _uniform(n: int, m: int, seed: int = 0):
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 10_000, (n, 2))
    c = rng.uniform(0, 10_000, (m, 2))
    r = 10_000 * math.sqrt(20 / (math.pi * m))
    coo = cKDTree(d).sparse_distance_matrix(cKDTree(c), r, output_type="coo_matrix")
    long = pd.DataFrame({"origin": coo.row, "destination": coo.col, "minutes": coo.data / r * 10})
    return long, pd.Series(rng.integers(1, 101, n).astype(float))


def test_a_positive_mip_gap_is_never_reported_as_a_proven_optimum():
    long, w = _uniform(1200, 120)
    m = MCLP.from_cost_matrix(long, w, minutes=10, p=6, candidate_labels=range(120)).solve(mip_gap=0.05)
    exact = MCLP.from_cost_matrix(long, w, minutes=10, p=6, candidate_labels=range(120)).solve()
    assert exact.status == "Optimal" and exact.params["proven_optimal"] and exact.gap == 0
    assert m.objective <= exact.objective <= m.bound
    # HiGHS stops within 5 % here without proving: the status must not say "Optimal"
    assert 0 < m.gap <= 0.05
    assert m.status == "Optimal within mip_gap" and not m.params["proven_optimal"]
    assert "已证明最优" not in m.headline and "允许间隙" in m.headline


def test_bound_trace_is_ordered_and_brackets_the_optimum():
    long, w = _uniform(1200, 120)
    m = MCLP.from_cost_matrix(long, w, minutes=10, p=6, candidate_labels=range(120)).solve()
    trace = m.params["bound_trace"]
    assert len(trace) >= 2  # the start of the branch and bound and its end
    times = [t for t, _, _ in trace]
    assert times == sorted(times)
    assert all(b >= m.objective - 1e-6 and v <= m.objective + 1e-6 for _, b, v in trace)
    assert trace[-1][1] == pytest.approx(m.bound)
