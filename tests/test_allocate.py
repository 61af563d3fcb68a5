"""Tests of mzgeo.allocate: known optima, equality with PySAL spopt, capacities, infeasibility."""

from __future__ import annotations

import math
import sys
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

import mzgeo
from mzgeo import CRSError, InfeasibleError, InputError, NotSolvedError
from mzgeo.locate import (
    LSCP,
    MCLP,
    SITE_EXISTING,
    SITE_NEW,
    BedPlacement,
    CapacitatedMCLP,
    PCenter,
    PMedian,
    allocate,
    candidate_sites,
)


def table(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["origin", "destination", "minutes"])


# --------------------------------------------------------------------------------------------
# hand-made instances with a known optimum
# --------------------------------------------------------------------------------------------
#   demand A B C D (E unreachable); s1 covers A,B; s2 covers B,C; s3 covers C,D; s4 covers D
COVER = table([
    ("A", "s1", 5), ("B", "s1", 8), ("B", "s2", 4), ("C", "s2", 9), ("C", "s3", 2), ("D", "s3", 6),
    ("D", "s4", 1), ("A", "s3", 25), ("E", "s4", 40),
])
W = pd.Series({"A": 10.0, "B": 5.0, "C": 1.0, "D": 8.0, "E": 3.0})
CANDS = ["s1", "s2", "s3", "s4"]


def test_lscp_known_optimum_and_infeasible_demand_reported():
    m = LSCP.from_cost_matrix(COVER, W, minutes=10, candidate_labels=CANDS).solve()
    assert m.objective == 2
    assert sorted(m.new_sites) == ["s1", "s3"]
    assert m.status == "Optimal" and m.gap == 0
    # E cannot be reached within 10 minutes: named, not a silent failure
    assert list(m.infeasible["demand_id"]) == ["E"]
    assert m.infeasible["nearest_minutes"].iloc[0] == 40
    asg = m.assignments.set_index("demand_id")
    assert asg.loc[["A", "B", "C", "D"], "covered"].all() and not asg.loc["E", "covered"]


def test_mclp_known_optimum_p1_p2_and_greedy_order():
    m1 = MCLP.from_cost_matrix(COVER, W, minutes=10, p=1, candidate_labels=CANDS).solve()
    assert m1.objective == 15 and m1.new_sites == ["s1"]
    m2 = MCLP.from_cost_matrix(COVER, W, minutes=10, p=2, candidate_labels=CANDS).solve()
    assert m2.objective == 24
    sel = m2.selected
    assert list(sel["site"]) == ["s1", "s3"]  # s1 adds 15, then s3 adds 9
    assert list(sel["added_demand"]) == [15, 9]
    assert list(sel["rank"]) == [1, 2]
    curve = m2.coverage_curve
    assert list(curve["n_new_sites"]) == [0, 1, 2]
    assert list(curve["demand_covered"]) == [0, 15, 24]
    assert curve["share_covered"].iloc[-1] == pytest.approx(24 / 27)


def test_mclp_existing_facility_is_required_and_not_counted_in_p():
    existing = table([("A", "e1", 3), ("B", "e1", 30)])
    m = MCLP.from_cost_matrix(COVER, W, minutes=10, p=1, existing_cost=existing, candidate_labels=CANDS).solve()
    # A is covered by e1; the best single new site is then s3 (C + D = 9) rather than s1 (B = 5)
    assert m.new_sites == ["s3"]
    assert m.objective == 10 + 9
    fac = m.facility_summary.set_index("site")
    assert fac.loc["e1", "site_kind"] == SITE_EXISTING and fac.loc["s3", "site_kind"] == SITE_NEW
    assert m.coverage_curve["demand_covered"].iloc[0] == 10


def test_pmedian_and_pcenter_known_optima_on_a_line():
    pos_d = np.array([0.0, 1.0, 10.0, 11.0])
    pos_s = np.array([0.5, 10.5, 5.0])
    cost = np.abs(pos_d[:, None] - pos_s[None, :])
    med = PMedian.from_cost_matrix(cost, np.ones(4), p=2).solve()
    assert med.objective == pytest.approx(2.0)
    assert sorted(med.new_sites) == [0, 1]
    c1 = PCenter.from_cost_matrix(cost, np.ones(4), p=1).solve()
    assert c1.objective == pytest.approx(6.0) and c1.new_sites == [2]
    c2 = PCenter.from_cost_matrix(cost, np.ones(4), p=2).solve()
    assert c2.objective == pytest.approx(0.5)
    assert c2.status == "Optimal" and c2.gap == 0


def test_capacitated_mclp_known_optimum_and_capacity_respected():
    cost = table([("A", "s1", 1), ("B", "s1", 1), ("A", "s2", 2), ("B", "s2", 2)])
    w = pd.Series({"A": 10.0, "B": 10.0})
    cap = pd.Series({"s1": 12.0, "s2": 5.0})
    one = CapacitatedMCLP.from_cost_matrix(cost, w, minutes=5, p=1, capacity=cap).solve()
    assert one.objective == pytest.approx(12) and one.new_sites == ["s1"]
    two = CapacitatedMCLP.from_cost_matrix(cost, w, minutes=5, p=2, capacity=cap).solve()
    assert two.objective == pytest.approx(17)
    fac = two.facility_summary.set_index("site")
    assert (fac["load"] <= fac["capacity"] + 1e-6).all()
    # split assignments appear as several rows per demand point
    asg = two.assignments
    assert asg.loc[asg["covered"], "demand_assigned"].sum() == pytest.approx(17)


def test_single_source_capacitated_mclp():
    cost = table([("A", "s1", 1), ("B", "s1", 1), ("A", "s2", 2), ("B", "s2", 2)])
    w = pd.Series({"A": 10.0, "B": 10.0})
    cap = pd.Series({"s1": 12.0, "s2": 5.0})
    m = CapacitatedMCLP.from_cost_matrix(cost, w, minutes=5, p=2, capacity=cap, single_source=True).solve()
    assert m.objective == pytest.approx(10)  # one point fits s1; nothing whole fits s2
    assert set(m.assignments["assigned_share"].round(6)) <= {0.0, 1.0}


def test_bed_placement_known_optimum():
    # target 40 beds / 1000 elderly → 25 elderly per bed; A reaches only I1, B only the new site c1
    cost = table([("B", "c1", 10)])
    ex = table([("A", "I1", 5)])
    w = pd.Series({"A": 300.0, "B": 500.0})
    m = BedPlacement.from_cost_matrix(cost, w, minutes=30, beds_to_add=30, existing_cost=ex,
                                      existing_beds=pd.Series({"I1": 10}), target_per_1000=40).solve()
    # I1's 10 beds serve 250 of A: 2 more beds finish A, 20 beds at c1 serve B; 8 beds stay unused
    assert m.objective == pytest.approx(800)
    sel = m.selected.set_index("site")
    assert sel.loc["I1", "beds_added"] == 2 and sel.loc["c1", "beds_added"] == 20
    assert sel.loc["I1", "site_kind"] == SITE_EXISTING and sel.loc["c1", "site_kind"] == SITE_NEW
    assert m.params["covered_before"] == pytest.approx(250)
    assert m.params["beds_added_total"] == 22
    fac = m.facility_summary
    assert (fac["load"] <= fac["beds_total"] * 25 + 1e-6).all()
    assert list(m.coverage_curve["demand_covered"]) == pytest.approx([250, 750, 800])
    assert "22 张" in m.headline


def test_bed_placement_per_unit_budget():
    cost = table([("B", "c1", 10)])
    ex = table([("A", "I1", 5)])
    w = pd.Series({"A": 300.0, "B": 500.0})
    gap = pd.Series({"u1": 2.0, "u2": 3.0})
    m = BedPlacement.from_cost_matrix(cost, w, minutes=30, existing_cost=ex, existing_beds=[10],
                                      target_per_1000=40, unit_gap=gap, per_unit=True,
                                      site_units=["u1", "u2"]).solve()
    sel = m.selected.set_index("site")
    assert sel.loc["I1", "beds_added"] <= 2 and sel.loc["c1", "beds_added"] <= 3
    assert m.objective == pytest.approx(250 + 50 + 75)


# --------------------------------------------------------------------------------------------
# equality with PySAL spopt on random instances
# --------------------------------------------------------------------------------------------
def _instance(seed: int, n: int = 30, m: int = 15):
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 10, (n, 2))
    c = rng.uniform(0, 10, (m, 2))
    cost = np.sqrt(((d[:, None] - c[None]) ** 2).sum(-1))
    w = rng.integers(1, 20, n).astype(float)
    return cost, w


@pytest.fixture(scope="module")
def spopt_solver():
    pulp = pytest.importorskip("pulp")
    pytest.importorskip("spopt")
    available = pulp.listSolvers(onlyAvailable=True)
    if "HiGHS" in available:
        return lambda: pulp.HiGHS(msg=False)
    if "PULP_CBC_CMD" in available:
        return lambda: pulp.PULP_CBC_CMD(msg=False)
    pytest.skip("PuLP has no MIP solver")


def _spopt():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from spopt import locate
    return locate


@pytest.mark.parametrize("seed", range(5))
def test_equals_spopt_lscp_mclp_pmedian_pcenter(seed, spopt_solver):
    import pulp

    locate = _spopt()
    cost, w = _instance(seed)
    radius = 3.0
    coverable = (cost <= radius).any(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_l = locate.LSCP.from_cost_matrix(cost[coverable], radius).solve(spopt_solver())
        s_m = locate.MCLP.from_cost_matrix(cost, w, radius, p_facilities=4).solve(spopt_solver())
        s_p = locate.PMedian.from_cost_matrix(cost, w, p_facilities=3).solve(spopt_solver())
        s_c = locate.PCenter.from_cost_matrix(cost, p_facilities=3).solve(spopt_solver())
    lscp = LSCP.from_cost_matrix(cost, w, minutes=radius).solve()
    assert lscp.objective == pytest.approx(pulp.value(s_l.problem.objective))
    assert len(lscp.infeasible) == int((~coverable).sum())
    mclp = MCLP.from_cost_matrix(cost, w, minutes=radius, p=4).solve()
    assert mclp.objective == pytest.approx(pulp.value(s_m.problem.objective))
    med = PMedian.from_cost_matrix(cost, w, p=3).solve()
    assert med.objective == pytest.approx(pulp.value(s_p.problem.objective), rel=1e-9)
    cen = PCenter.from_cost_matrix(cost, w, p=3).solve()
    assert cen.objective == pytest.approx(pulp.value(s_c.problem.objective), rel=1e-9)
    for model in (lscp, mclp, med, cen):
        assert model.status == "Optimal" and model.gap == 0


@pytest.mark.parametrize("seed", [11, 12])
def test_equals_spopt_with_existing_facilities(seed, spopt_solver):
    import pulp

    locate = _spopt()
    cost, w = _instance(seed)
    pre = np.zeros(cost.shape[1], dtype=int)
    pre[[0, 5]] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s_m = locate.MCLP.from_cost_matrix(cost, w, 2.5, p_facilities=5, predefined_facilities_arr=pre)
        s_m = s_m.solve(spopt_solver())
        s_p = locate.PMedian.from_cost_matrix(cost, w, p_facilities=4, predefined_facilities_arr=pre)
        s_p = s_p.solve(spopt_solver())
    mclp = MCLP.from_cost_matrix(cost, w, minutes=2.5, p=3, required=[0, 5]).solve()
    assert mclp.objective == pytest.approx(pulp.value(s_m.problem.objective))
    med = PMedian.from_cost_matrix(cost, w, p=2, required=[0, 5]).solve()
    assert med.objective == pytest.approx(pulp.value(s_p.problem.objective), rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_sparse_input_equals_dense_input(seed):
    cost, w = _instance(seed, 60, 25)
    r, c = np.nonzero(cost <= 3.0)
    long = pd.DataFrame({"origin": r, "destination": c, "minutes": cost[r, c]})
    dense = MCLP.from_cost_matrix(cost, w, minutes=3.0, p=5).solve()
    sparse = MCLP.from_cost_matrix(long, pd.Series(w), minutes=3.0, p=5, candidate_labels=range(25)).solve()
    assert sparse.objective == dense.objective


def test_reductions_merge_duplicates_and_drop_dominated_without_changing_the_optimum():
    cost, w = _instance(3, 40, 12)
    # duplicate every demand point and every candidate: merged / dominated away, same optimum
    cost2 = np.repeat(np.hstack([cost, cost]), 2, axis=0)
    w2 = np.repeat(w, 2) / 2
    a = MCLP.from_cost_matrix(cost, w, minutes=3.0, p=3).solve()
    b = MCLP.from_cost_matrix(cost2, w2, minutes=3.0, p=3).solve()
    assert b.objective == pytest.approx(a.objective)
    assert b.params["n_rows_merged"] >= 40 and b.params["n_candidates_dominated"] >= 12


def test_mclp_optimal_curve_is_at_least_greedy_curve():
    cost, w = _instance(5, 60, 20)
    m = MCLP.from_cost_matrix(cost, w, minutes=2.5, p=4).solve(curve="optimal")
    curve = m.coverage_curve
    assert list(curve["n_new_sites"]) == [0, 1, 2, 3, 4]
    assert (curve["demand_covered_optimal"] >= curve["demand_covered"] - 1e-9).all()
    assert curve["demand_covered_optimal"].is_monotonic_increasing


# --------------------------------------------------------------------------------------------
# capacities never exceeded (random instances)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_capacitated_models_never_exceed_capacity(seed):
    cost, w = _instance(seed, 40, 12)
    rng = np.random.default_rng(seed)
    cap = rng.uniform(20, 80, 12)
    m = CapacitatedMCLP.from_cost_matrix(cost, w, minutes=3.5, p=4, capacity=cap).solve()
    fac = m.facility_summary
    assert (fac["load"] <= fac["capacity"] + 1e-6).all()
    asg = m.assignments
    per_demand = asg.groupby("demand_id")["assigned_share"].sum()
    assert (per_demand <= 1 + 1e-6).all()
    assert (asg.loc[asg["covered"], "minutes"] <= 3.5 + 1e-9).all()
    unc = MCLP.from_cost_matrix(cost, w, minutes=3.5, p=4).solve()
    assert m.objective <= unc.objective + 1e-6
    med = PMedian.from_cost_matrix(cost, w, p=4, capacity=np.full(12, w.sum() / 3)).solve()
    fac = med.facility_summary
    assert (fac["load"] <= fac["capacity"] + 1e-6).all()


# --------------------------------------------------------------------------------------------
# infeasibility and time limits
# --------------------------------------------------------------------------------------------
def test_capacitated_lscp_infeasible_names_the_demand():
    cost = table([("A", "s1", 1), ("B", "s1", 1), ("C", "s2", 1)])
    w = pd.Series({"A": 10.0, "B": 10.0, "C": 5.0})
    m = LSCP.from_cost_matrix(cost, w, minutes=5, capacity=pd.Series({"s1": 12.0, "s2": 10.0}))
    with pytest.raises(InfeasibleError) as err:
        m.solve()
    assert set(err.value.problems) <= {"A", "B"} and err.value.problems
    assert "容量" in str(err.value)


def test_pmedian_too_few_sites_says_how_many_are_needed():
    cost = table([("A", "s1", 1), ("B", "s2", 1), ("C", "s3", 1)])
    w = pd.Series({"A": 1.0, "B": 1.0, "C": 1.0})
    with pytest.raises(InfeasibleError, match="至少需要 3 个"):
        PMedian.from_cost_matrix(cost, w, p=2).solve()


def test_pcenter_and_pmedian_list_unreachable_demand():
    cost = table([("A", "s1", 1), ("B", "s2", 3)])
    w = pd.Series({"A": 1.0, "B": 1.0, "Z": 4.0})
    cen = PCenter.from_cost_matrix(cost, w, p=2).solve()
    assert cen.objective == 3 and list(cen.infeasible["demand_id"]) == ["Z"]
    med = PMedian.from_cost_matrix(cost, w, p=2).solve()
    assert med.objective == 4 and list(med.infeasible["demand_id"]) == ["Z"]


def _hard_mclp(n: int, m: int, seed: int = 0):
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 10_000, (n, 2))
    c = rng.uniform(0, 10_000, (m, 2))
    r = 10_000 * math.sqrt(20 / (math.pi * m))
    coo = cKDTree(d).sparse_distance_matrix(cKDTree(c), r, output_type="coo_matrix")
    long = pd.DataFrame({"origin": coo.row, "destination": coo.col, "minutes": coo.data / r * 10})
    return long, pd.Series(rng.integers(1, 101, n).astype(float)), r


def test_time_limit_reports_best_solution_and_honest_gap():
    long, w, _ = _hard_mclp(3000, 300)
    m = MCLP.from_cost_matrix(long, w, minutes=10, p=15, candidate_labels=range(300)).solve(time_limit_s=1.0)
    assert m.status != "Optimal"
    assert m.status == "Time limit reached"
    assert m.gap > 0 and math.isfinite(m.gap)
    assert m.bound > m.objective
    assert len(m.selected) == 15
    assert m.solve_time_s < 6
    assert m.params["status"] == "Time limit reached"
    assert "时间限制" in m.headline


# --------------------------------------------------------------------------------------------
# API behaviour
# --------------------------------------------------------------------------------------------
def test_results_before_solve_raise_not_solved():
    m = MCLP.from_cost_matrix(COVER, W, minutes=10, p=1, candidate_labels=CANDS)
    for attr in ("selected", "assignments", "facility_summary", "coverage_curve", "objective", "gap",
                 "status", "solve_time_s", "params", "infeasible"):
        with pytest.raises(NotSolvedError):
            getattr(m, attr)
    assert m.solve() is m


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "nope"}, "未知模型"),
        ({"model": "mclp", "minutes": 10}, "p"),
        ({"model": "mclp", "minutes": 10, "p": -1}, "非负整数"),
        ({"model": "lscp"}, "minutes"),
        ({"model": "cmclp", "minutes": 10, "p": 1}, "capacity"),
        ({"model": "mclp", "minutes": 10, "p": 1, "weight_col": "nope"}, "权重列"),
    ],
)
def test_bad_parameters_raise_input_error(kwargs, match):
    demand = pd.DataFrame({"elderly": [1.0, 2.0]}, index=["A", "B"])
    cand = pd.DataFrame(index=["s1"])
    cost = table([("A", "s1", 1)])
    with pytest.raises(InputError, match=match):
        allocate(demand, cand, cost=cost, **kwargs)


def test_negative_weights_and_times_rejected():
    with pytest.raises(InputError, match="非负"):
        MCLP.from_cost_matrix(COVER, W * -1, minutes=10, p=1)
    bad = table([("A", "s1", -1)])
    with pytest.raises(InputError, match="负"):
        MCLP.from_cost_matrix(bad, W, minutes=10, p=1)


def _layers():
    demand = gpd.GeoDataFrame(
        {"name": ["甲村", "乙村", "丙村", "丁村"], "elderly": [100.0, 80.0, 60.0, 30.0]},
        geometry=[Point(0, 0), Point(1000, 0), Point(3000, 0), Point(6000, 0)], crs=4549,
        index=pd.Index(["v1", "v2", "v3", "v4"]),
    )
    existing = gpd.GeoDataFrame({"name": ["老中心"], "capacity": [100.0]}, geometry=[Point(0, 100)], crs=4549,
                                index=pd.Index(["E1"]))
    return demand, existing


def test_allocate_layers_straight_line_excel_and_gpkg(tmp_path):
    demand, existing = _layers()
    cand = candidate_sites(demand, how="villages", existing=existing, min_distance_m=300)
    assert list(cand["village"]) == ["v2", "v3", "v4"] and cand.index[0] == "C00001"
    res = allocate(demand, cand, model="mclp", minutes=10, p=1, existing=existing, speed_mps=1.0)
    # 10 min at 1 m/s = 600 m: v1 by the existing centre; the best new site is v2 itself (80)
    assert res.objective == pytest.approx(180)
    assert res.selected["name"].iloc[0] == "乙村"
    assert isinstance(res.selected, gpd.GeoDataFrame) and res.selected.crs == demand.crs
    assert res.params["cost_source"] == "straight_line"
    xlsx = res.to_excel(tmp_path / "选址.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(xlsx)
    assert {"新增设施", "覆盖曲线", "设施汇总", "需求分配", "参数"} <= set(wb.sheetnames)
    headers = [c.value for c in wb["新增设施"][1]]
    assert "建设次序" in headers and "新增覆盖需求量" in headers
    gpkg = res.to_gpkg(tmp_path / "选址.gpkg")
    import pyogrio

    layers = {row[0] for row in pyogrio.list_layers(gpkg)}
    assert layers == {"selected_sites", "open_sites", "new_assignments"}
    lines = gpd.read_file(gpkg, layer="new_assignments")
    assert len(lines) == 1 and lines.geometry.iloc[0].geom_type == "LineString"


def test_allocate_with_cost_table_mixing_existing_and_candidates():
    demand, existing = _layers()
    cand = pd.DataFrame({"capacity": [50.0, 200.0]}, index=["c1", "c2"])
    cost = table([("v1", "E1", 1), ("v2", "E1", 5), ("v2", "c1", 2), ("v3", "c1", 4), ("v3", "c2", 3),
                  ("v4", "c2", 8)])
    res = allocate(demand, cand, model="cmclp", cost=cost, minutes=6, p=1, existing=existing, capacity_col="capacity")
    fac = res.facility_summary.set_index("site")
    assert (fac["load"] <= fac["capacity"] + 1e-6).all()
    assert res.objective == pytest.approx(100 + 60)  # E1 full with v1 (cap 100); c2 takes v3
    assert res.params["cost_source"] == "cost"


def test_candidate_sites_grid_excludes_zone_and_existing():
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=4549)
    lake = gpd.GeoDataFrame(geometry=[box(0, 0, 500, 500)], crs=4549)
    ex = gpd.GeoDataFrame(geometry=[Point(875, 875)], crs=4549)
    grid = candidate_sites(area, how="grid", spacing_m=250, exclude=lake, existing=ex, min_distance_m=10)
    assert len(grid) == 16 - 4 - 1
    assert (grid["source"] == "规则网格").all()
    with pytest.raises(CRSError, match="坐标系"):
        candidate_sites(area.set_crs(None, allow_override=True), how="grid", spacing_m=250)


def test_candidate_sites_project_geographic_input():
    # the one CRS policy: lon/lat input is projected to the CGCS2000 zone (EPSG:4549 at 120°E)
    area = gpd.GeoDataFrame(geometry=[box(500_000, 3_400_000, 501_000, 3_401_000)], crs=4549)
    ref = candidate_sites(area, how="grid", spacing_m=250)
    geo = candidate_sites(area.to_crs(4490), how="grid", spacing_m=250)
    assert geo.crs.to_epsg() == 4549
    assert len(geo) == len(ref) == 16
    assert np.allclose(np.sort(geo.geometry.x), np.sort(ref.geometry.x), atol=0.01)


def test_allocate_wgs84_layers_give_the_epsg4549_objective():
    # the same villages placed near Huzhou (120.1°E): the lon/lat copy is projected back to EPSG:4549
    demand, existing = _layers()
    shift = {"xoff": 510_000, "yoff": 3_400_000}
    demand = demand.set_geometry(demand.geometry.translate(**shift))
    existing = existing.set_geometry(existing.geometry.translate(**shift))
    cand = candidate_sites(demand, how="villages", existing=existing, min_distance_m=300)
    kw = {"model": "mclp", "minutes": 10, "p": 1, "speed_mps": 1.0}
    ref = allocate(demand, cand, existing=existing, **kw)
    geo = allocate(demand.to_crs(4326), cand.to_crs(4326), existing=existing.to_crs(4326), **kw)
    mixed = allocate(demand.to_crs(4326), cand, existing=existing, **kw)
    assert ref.objective == pytest.approx(180)
    assert geo.objective == pytest.approx(ref.objective) and mixed.objective == pytest.approx(ref.objective)
    assert geo.new_sites == ref.new_sites
    assert geo.selected.crs.to_epsg() == 4549


def test_network_like_object_is_used_through_od():
    demand, existing = _layers()
    cand = candidate_sites(demand, how="villages", existing=existing)

    class FakeOD:
        def __init__(self, table):
            self.table = table

    class FakeNet:
        def od(self, f, d, *, cutoff_minutes):  # facilities first, as Network.od
            rows = [(o, k, 3.0) for o in d.index for k in f.index if str(o)[-1] == str(k)[-1]]
            return FakeOD(table(rows))

    res = allocate(demand, cand, model="lscp", network=FakeNet(), minutes=5, existing=existing)
    assert res.params["cost_source"] == "network"
    assert res.objective >= 1


@pytest.mark.parametrize("seed", [0, 1])
def test_lp_rounding_and_lagrangian_fixing_keep_the_optimum(seed, monkeypatch, spopt_solver):
    import pulp

    alloc = sys.modules["mzgeo.locate.cover"]  # the module holding the MCLP warm-start constants

    cost, w = _instance(seed, 300, 60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _spopt().MCLP.from_cost_matrix(cost, w, 1.5, p_facilities=8).solve(spopt_solver())
    monkeypatch.setattr(alloc, "_LP_ROUNDING_MIN_ROWS", 0)  # use the large-model path on a small model
    m = MCLP.from_cost_matrix(cost, w, minutes=1.5, p=8).solve()
    assert m.objective == pytest.approx(pulp.value(ref.problem.objective))
    assert m.status == "Optimal" and m.gap == 0
    assert m.params["n_fixed_closed"] > 0  # the Lagrangian fixing did remove candidates
    assert m.params["lp_bound"] >= m.objective * (1 - 1e-6)


def test_capacitated_pcenter_and_lscp():
    cost = table([("A", "s1", 1), ("B", "s1", 1), ("A", "s2", 5), ("B", "s2", 5)])
    w = pd.Series({"A": 10.0, "B": 10.0})
    cap = pd.Series({"s1": 10.0, "s2": 10.0})
    cen = PCenter.from_cost_matrix(cost, w, p=2, capacity=cap).solve()
    assert cen.objective == pytest.approx(5)  # one point must go to s2
    fac = cen.facility_summary
    assert (fac["load"] <= fac["capacity"] + 1e-6).all()
    with pytest.raises(InfeasibleError):
        PCenter.from_cost_matrix(cost, w, p=1, capacity=cap).solve()
    lscp = LSCP.from_cost_matrix(cost, w, minutes=6, capacity=cap).solve()
    assert lscp.objective == 2


def test_excel_of_every_model_has_chinese_headers(tmp_path):
    from openpyxl import load_workbook

    cost, w = _instance(1, 30, 10)
    models = [
        LSCP.from_cost_matrix(cost, w, minutes=3.0),
        MCLP.from_cost_matrix(cost, w, minutes=3.0, p=3),
        PMedian.from_cost_matrix(cost, w, p=3),
        PCenter.from_cost_matrix(cost, w, p=3),
        CapacitatedMCLP.from_cost_matrix(cost, w, minutes=3.0, p=3, capacity=np.full(10, 60.0)),
        BedPlacement.from_cost_matrix(cost, w * 20, minutes=3.0, beds_to_add=20),
    ]
    for i, mdl in enumerate(models):
        mdl.solve()
        path = mdl.to_excel(tmp_path / f"m{i}.xlsx")
        wb = load_workbook(path)
        for sheet in ("新增设施", "覆盖曲线", "设施汇总", "需求分配"):
            headers = [str(c.value) for c in wb[sheet][1]]
            untranslated = [h for h in headers if not any("\u4e00" <= ch <= "\u9fff" for ch in h)]
            assert not untranslated, (type(mdl).__name__, sheet, untranslated)
        assert isinstance(mdl.headline, str) and mdl.headline


# --------------------------------------------------------------------------------------------
# property test against brute-force enumeration (existing sites, sparse pairs, zero times)
# --------------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 12), m=st.integers(1, 7), n_ex=st.integers(0, 2),
       p=st.integers(0, 3))
def test_models_match_brute_force(seed, n, m, n_ex, p):
    import itertools

    rng = np.random.default_rng(seed)
    t = rng.integers(0, 12, (n, m + n_ex)).astype(float)  # zero minutes allowed
    t[rng.random(t.shape) < 0.3] = np.inf  # absent pairs
    w = rng.integers(0, 9, n).astype(float)
    cand, ex = t[:, :m], t[:, m:]
    radius = 6.0

    def best_times(sites):
        cols = np.r_[np.arange(m, m + n_ex), np.asarray(sites, dtype=int)].astype(int)
        return t[:, cols].min(axis=1) if len(cols) else np.full(n, np.inf)

    subsets = [s for k in range(min(p, m) + 1) for s in itertools.combinations(range(m), k)]
    cover = max(w[best_times(s) <= radius].sum() for s in subsets)
    kw = {"existing_cost": ex if n_ex else None, "existing_labels": [f"e{i}" for i in range(n_ex)] if n_ex else None}
    mclp = MCLP.from_cost_matrix(cand, w, minutes=radius, p=p, **kw).solve()
    assert mclp.objective == pytest.approx(cover)
    assert len(mclp.selected) <= p
    # p-median and p-center over the points with weight > 0 that some site can reach
    act = (w > 0) & np.isfinite(t.min(axis=1))
    feasible = [s for s in subsets if np.isfinite(best_times(s)[act]).all()]
    if feasible:
        med = min((w[act] * best_times(s)[act]).sum() for s in feasible)
        cen = min(best_times(s)[act].max(initial=0.0) for s in feasible)
        assert PMedian.from_cost_matrix(cand, w, p=p, **kw).solve().objective == pytest.approx(med)
        assert PCenter.from_cost_matrix(cand, w, p=p, **kw).solve().objective == pytest.approx(cen)
    else:
        with pytest.raises(InfeasibleError):
            PMedian.from_cost_matrix(cand, w, p=p, **kw).solve()
    # LSCP: fewest candidates covering every coverable point with weight > 0
    need = (w > 0) & (t.min(axis=1) <= radius)
    all_sets = [s for k in range(m + 1) for s in itertools.combinations(range(m), k)]
    k_min = min(len(s) for s in all_sets if (best_times(s)[need] <= radius).all())
    lscp = LSCP.from_cost_matrix(cand, w, minutes=radius, **kw).solve()
    assert lscp.objective == k_min
    assert len(lscp.infeasible) == int(((w > 0) & ~(t.min(axis=1) <= radius)).sum())


def test_candidate_sites_when_nothing_is_dropped():
    """Every village kept (no existing facility, no exclusion): names kept, no read-only error."""
    villages = gpd.GeoDataFrame({"name": ["甲村", None, "丙村"]},
                                geometry=[Point(0, 0), Point(1000, 0), Point(2000, 0)], crs=4549)
    cand = candidate_sites(villages, how="villages")
    assert list(cand.index) == ["C00001", "C00002", "C00003"]
    assert cand["name"].tolist() == ["甲村", "候选点 C00002", "丙村"]


def test_beds_stopped_by_the_clock_returns_a_feasible_plan_and_true_gap():
    """A bed plan cut short never reports less than the existing beds already cover, nor 'Optimal'."""
    cost, w = _instance(3, 400, 120)
    mdl = BedPlacement.from_cost_matrix(cost, w * 30, minutes=2.5, beds_to_add=400, max_add_new=80,
                                        min_new_beds=30, p=6)
    mdl.solve(time_limit_s=1e-4)
    assert mdl.status != "Optimal"
    assert mdl.objective >= mdl.params["covered_before"] - 1e-6
    assert mdl.bound <= (w * 30).sum() + 1e-6
    assert 0 <= mdl.gap < np.inf
    assert "%" in mdl.headline


def test_candidate_sites_when_every_place_is_excluded_is_empty():
    """Every village already has a centre nearby: an empty candidate layer, not a crash."""
    demo = mzgeo.load_demo()
    v = demo.villages.iloc[:20]
    out = mzgeo.candidate_sites(v, existing=v, min_distance_m=10)
    assert len(out) == 0 and out.crs == v.crs and "name" in out.columns
