"""Shelter adequacy: the HiGHS LP on cases with a known optimum, capacities, tiers, roll-ups."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from mzgeo import DataWarning, InputError
from mzgeo.analysis.shelters import max_shelter_lp, shelter_adequacy

pytestmark = pytest.mark.filterwarnings("error")

CRS = 4549


@pytest.fixture
def small():
    """3 demand points, 2 shelters: the optimum is known (worked out below)."""
    dem = gpd.GeoDataFrame({"name": ["a", "b", "c"], "population": [100, 80, 50], "unit_code": ["T1", "T1", "T2"]},
                           geometry=[Point(0, 0), Point(1000, 0), Point(2000, 0)], crs=CRS)
    sh = gpd.GeoDataFrame({"name": ["S1", "S2"], "tier": ["村级", "乡镇级"], "capacity": [120, np.nan],
                           "area_m2": [np.nan, 91.0]},
                          geometry=[Point(0, 100), Point(2000, 100)], crs=CRS)
    cost = pd.DataFrame({"origin": [0, 0, 1, 1, 2, 2], "destination": [0, 1, 0, 1, 1, 0],
                         "minutes": [2.0, 9.0, 3.0, 4.0, 1.0, 12.0]})
    return dem, sh, cost


def test_known_optimum(small):
    dem, sh, cost = small
    # capacity: S1 120 (column), S2 floor(91 / 1.5) = 60 -> 180 places for 230 people.
    # Every place can be filled (c -> S2 50, a/b -> S1 120, 10 more to S2 from a or b), so
    # 180 are sheltered. Cheapest way: S2 takes c (50 x 1) and 10 of b (x 4); S1 takes a
    # (100 x 2) and 20 of b (x 3): 50 + 40 + 200 + 60 = 350 person-minutes (a instead of b
    # to S2 would cost 410). c -> S1 takes 12 min, beyond the 10-minute limit.
    res = shelter_adequacy(sh, dem, minutes=10, cost=cost)
    s = res.summary().iloc[0]
    assert s["persons"] == 230 and s["sheltered"] == 180 and s["shortfall"] == 50
    assert s["person_minutes"] == pytest.approx(350)
    a = res.assignments.set_index(["origin", "shelter"])["persons"].to_dict()
    assert a == {(0, 0): 100, (1, 0): 20, (1, 1): 10, (2, 1): 50}
    assert res.points["sheltered"].tolist() == [100, 30, 50]
    assert res.points["shortfall"].tolist() == [0, 50, 0]
    sht = res.shelters
    assert sht["capacity"].tolist() == [120, 60]
    assert sht["capacity_source"].tolist() == ["容量", "面积折算"]
    assert sht["assigned"].tolist() == [120, 60]
    assert (sht["assigned"] <= sht["capacity"]).all()
    # nearest-shelter view: a, b -> S1 (180 > 120: over-subscribed); c -> S2 (50 <= 60)
    assert sht["nearest_load"].tolist() == [180, 50]
    assert sht["oversubscribed"].tolist() == [True, False]
    assert res.oversubscribed["name"].tolist() == ["S1"]
    # tier rule: 乡镇级 needs 100, S2 has 60
    assert sht["min_capacity"].tolist() == [50, 100]
    assert res.below_minimum["name"].tolist() == ["S2"]
    assert res.params["minutes"] == 10 and res.params["area_per_person_m2"] == 1.5


def test_area_per_person_and_limits(small):
    dem, sh, cost = small
    res = shelter_adequacy(sh, dem, minutes=10, area_per_person_m2=2.0, cost=cost)
    assert res.shelters["capacity"].tolist() == [120, 45]  # floor(91 / 2)
    assert res.summary().loc[0, "sheltered"] == 165
    # 2-minute limit: only a -> S1 (2 min) and c -> S2 (1 min)
    res2 = shelter_adequacy(sh, dem, minutes=2, cost=cost)
    assert res2.points["sheltered"].tolist() == [100, 0, 50]
    assert res2.points["reachable_in_limit"].tolist() == [True, False, True]
    assert res2.summary().loc[0, "persons_no_reach"] == 80
    # a fifth of the residents to shelter: 20 + 16 + 10 = 46 persons, all fit
    res3 = shelter_adequacy(sh, dem, minutes=10, cost=cost, share_to_shelter=0.2)
    assert res3.points["persons"].tolist() == pytest.approx([20, 16, 10])
    assert res3.summary().loc[0, "sheltered"] == pytest.approx(46)
    assert res3.params["share_to_shelter"] == 0.2
    with pytest.raises(InputError, match="share_to_shelter"):
        shelter_adequacy(sh, dem, cost=cost, share_to_shelter=0)


def _reference(P, C, pairs):
    """Max sheltered and min person-minutes with networkx's max_flow_min_cost (independent)."""
    G = nx.DiGraph()
    for i, p in enumerate(P):
        G.add_edge("s", ("d", i), capacity=int(p), weight=0)
    for j, c in enumerate(C):
        G.add_edge(("f", j), "t", capacity=int(c), weight=0)
    for i, j, m in pairs:
        G.add_edge(("d", i), ("f", j), weight=int(m))
    flow = nx.max_flow_min_cost(G, "s", "t")
    total = sum(flow["s"].values())
    return total, nx.cost_of_flow(G, flow)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    nd=st.integers(1, 12),
    ns=st.integers(1, 6),
    seed=st.integers(0, 10_000),
)
def test_lp_equals_min_cost_max_flow(nd, ns, seed):
    rng = np.random.default_rng(seed)
    P = rng.integers(0, 300, nd).astype(float)
    C = rng.integers(0, 400, ns).astype(float)
    rows, cols = np.nonzero(rng.uniform(size=(nd, ns)) < 0.5)
    minutes = rng.integers(0, 30, len(rows)).astype(float)
    x, sheltered, pmin = max_shelter_lp(rows, cols, minutes, P, C)
    total, cost = _reference(P, C, zip(rows, cols, minutes, strict=True))
    assert sheltered == pytest.approx(total)
    assert pmin == pytest.approx(cost)
    # feasibility: nobody counted twice, no shelter over capacity, integral persons
    assert np.all(np.bincount(rows, weights=x, minlength=nd) <= P + 1e-9)
    assert np.all(np.bincount(cols, weights=x, minlength=ns) <= C + 1e-9)
    assert np.allclose(x, np.round(x))


def test_capacity_never_exceeded_random_layers():
    rng = np.random.default_rng(42)
    nd, ns = 60, 12
    dem = gpd.GeoDataFrame({"population": rng.integers(0, 500, nd)},
                           geometry=gpd.points_from_xy(rng.uniform(0, 5000, nd), rng.uniform(0, 5000, nd)), crs=CRS)
    sh = gpd.GeoDataFrame({"name": [f"S{j}" for j in range(ns)], "capacity": rng.integers(0, 800, ns)},
                          geometry=gpd.points_from_xy(rng.uniform(0, 5000, ns), rng.uniform(0, 5000, ns)), crs=CRS)
    # straight-line walking at 1 m/s
    d = np.hypot(dem.geometry.x.to_numpy()[:, None] - sh.geometry.x.to_numpy()[None, :],
                 dem.geometry.y.to_numpy()[:, None] - sh.geometry.y.to_numpy()[None, :]) / 60.0
    i, j = np.nonzero(d <= 40)
    cost = pd.DataFrame({"origin": i, "destination": j, "minutes": d[i, j]})
    res = shelter_adequacy(sh, dem, minutes=15, cost=cost)
    assert (res.shelters["assigned"] <= res.shelters["capacity"] + 1e-9).all()
    assert (res.points["sheltered"] <= res.points["persons"] + 1e-9).all()
    assert (res.assignments["minutes"] <= 15).all()
    assert res.summary().loc[0, "sheltered"] == pytest.approx(res.assignments["persons"].sum())
    total, _ = _reference(dem["population"].to_numpy(), sh["capacity"].to_numpy(),
                          [(a, b, 0) for a, b in zip(i[d[i, j] <= 15], j[d[i, j] <= 15], strict=True)])
    assert res.summary().loc[0, "sheltered"] == pytest.approx(total)


def test_tiers_table():
    dem = gpd.GeoDataFrame({"population": [100, 200, 300]}, geometry=gpd.points_from_xy([0, 1, 2], [0, 0, 0]), crs=CRS)
    sh = gpd.GeoDataFrame({"name": ["县A", "镇B", "村C", "村D"], "tier": ["县", "乡镇（街道）级", "村级", "社区级"],
                           "capacity": [150, 300, 60, 40]},
                          geometry=gpd.points_from_xy([0, 1, 2, 3], [1, 1, 1, 1]), crs=CRS)
    cost = pd.DataFrame({"origin": [0, 1, 2, 2, 0], "destination": [2, 3, 1, 0, 0],
                         "minutes": [5.0, 8.0, 9.0, 50.0, 30.0]})
    res = shelter_adequacy(sh, dem, minutes=10, cost=cost, tier_minutes={"县级": 60})
    t = res.tiers.set_index("tier")
    assert list(t.index) == ["县级", "乡镇级", "村级"]  # tier names normalised
    assert t.loc["县级", "threshold_minutes"] == 60 and t.loc["村级", "threshold_minutes"] == 10
    # 县级 within 60: points 0 (30) and 2 (50) -> 400 of 600
    assert t.loc["县级", "persons_within"] == 400
    assert t.loc["乡镇级", "persons_within"] == 300
    assert t.loc["村级", "persons_within"] == 300  # points 0 (C, 5) and 1 (D, 8)
    assert t.loc["村级", "n_shelters"] == 2 and t.loc["村级", "capacity_total"] == 100
    # 县级 150 < 200 and 村D 40 < 50
    assert t.loc["县级", "n_below_min"] == 1 and t.loc["村级", "n_below_min"] == 1
    assert set(res.below_minimum["name"]) == {"县A", "村D"}


def test_missing_capacity_reported(small):
    dem, sh, cost = small
    sh = sh.assign(capacity=[np.nan, np.nan], area_m2=[np.nan, 90.0])
    with pytest.warns(DataWarning, match="容量与可用面积都缺失"):
        res = shelter_adequacy(sh, dem, minutes=10, cost=cost)
    assert res.shelters["capacity"].tolist() == [0, 60]
    assert res.shelters["capacity_source"].tolist() == ["缺失", "面积折算"]
    assert res.problems["problem"].tolist() == ["missing_capacity"]


def test_by_unit_rollup_and_outputs(tmp_path, small):
    dem, sh, cost = small
    units = gpd.GeoDataFrame({"code": ["C", "T1", "T2"], "name": ["县", "一镇", "二镇"], "parent_code": [None, "C", "C"],
                              "level": ["区县", "乡镇街道", "乡镇街道"]},
                             geometry=[box(-500, -500, 2500, 500), box(-500, -500, 1500, 500), box(1500, -500, 2500, 500)],
                             crs=CRS)
    res = shelter_adequacy(sh, dem, minutes=10, cost=cost, units=units)
    t = res.by_unit().set_index("code")
    assert t.loc["T1", "persons"] == 180 and t.loc["T1", "sheltered"] == 130 and t.loc["T1", "shortfall"] == 50
    assert t.loc["T2", "sheltered"] == 50 and t.loc["T2", "share_sheltered"] == 1
    assert t.loc["T1", "n_shelters"] == 1 and t.loc["T1", "n_oversubscribed"] == 1
    assert t.loc["T2", "n_below_min"] == 1
    for col in ("persons", "sheltered", "shortfall", "n_shelters", "capacity_total"):
        assert t.loc["C", col] == pytest.approx(t.loc[["T1", "T2"], col].sum())
    assert t.loc["C", "sheltered"] == res.summary().loc[0, "sheltered"]
    only = res.by_unit(level="乡镇街道")
    assert only["code"].tolist() == ["T1", "T2"]
    path = res.to_excel(tmp_path / "shelters.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["汇总", "分区安置", "分级覆盖"]
    header = [c.value for c in wb["避灾安置场所"][1]]
    assert "就近需求超容" in header and "该级最低容量（人）" in header
    res.to_gpkg(tmp_path / "shelters.gpkg")


def test_on_toy_network():
    from mzgeo.network import Network

    G = nx.Graph(crs=CRS)
    for n in range(4):
        G.add_node(n, x=1000.0 * n, y=0.0)
    for a in range(3):
        G.add_edge(a, a + 1, travel_time=240.0)  # 4 minutes per edge
    net = Network.from_networkx(G, weight="travel_time")
    dem = gpd.GeoDataFrame({"population": [30, 30, 30, 30]}, geometry=gpd.points_from_xy([0, 1000, 2000, 3000], [0] * 4),
                           crs=CRS)
    sh = gpd.GeoDataFrame({"name": ["A", "B"], "capacity": [50, 40]},
                          geometry=gpd.points_from_xy([0, 3000], [0, 0]), crs=CRS)
    res = shelter_adequacy(sh, dem, network=net, minutes=8)
    # A reaches points 0-2 (0, 4, 8 min), B points 1-3 (8, 4, 0): 90 places for 120 people
    assert res.summary().loc[0, "sheltered"] == 90
    assert res.points["minutes"].tolist() == pytest.approx([0, 4, 4, 0])
    # fewest person-minutes: points 0 -> A and 3 -> B at 0 min, then 20 of point 1 -> A and
    # 10 of point 2 -> B at 4 min: 120 person-minutes
    assert res.summary().loc[0, "person_minutes"] == pytest.approx(120)
    total, cost = _reference([30] * 4, [50, 40], [(0, 0, 0), (1, 0, 4), (2, 0, 8), (1, 1, 8), (2, 1, 4), (3, 1, 0)])
    assert (total, cost) == (90, 120)


def test_bad_inputs(small):
    dem, sh, cost = small
    with pytest.raises(InputError, match="minutes"):
        shelter_adequacy(sh, dem, minutes=0, cost=cost)
    with pytest.raises(InputError, match="area_per_person"):
        shelter_adequacy(sh, dem, area_per_person_m2=-1, cost=cost)
    with pytest.raises(InputError, match="population"):
        shelter_adequacy(sh, dem.drop(columns="population"), cost=cost)
    with pytest.raises(InputError, match="负值"):
        shelter_adequacy(sh.assign(capacity=-5), dem, cost=cost)


def test_capacity_above_area_flagged_and_optionally_capped(small):
    dem, sh, cost = small
    sh = sh.assign(area_m2=[150.0, 91.0])  # S1: 120 declared > floor(150 / 1.5) = 100
    with pytest.warns(DataWarning, match="面积"):
        res = shelter_adequacy(sh, dem, minutes=10, cost=cost)
    assert res.shelters["area_short"].tolist() == [True, False]
    assert res.shelters["area_capacity"].tolist() == [100, 60]
    assert res.shelters["capacity"].tolist() == [120, 60]  # declared capacity kept by default
    assert res.summary().loc[0, "n_area_short"] == 1
    assert "面积不足" in res.tables()
    assert (res.problems["problem"] == "area_short").sum() == 1
    with pytest.warns(DataWarning):
        capped = shelter_adequacy(sh, dem, minutes=10, cost=cost, cap_by_area=True)
    assert capped.shelters["capacity"].tolist() == [100, 60]
    assert capped.shelters["capacity_source"].tolist() == ["按面积核减", "面积折算"]
    assert capped.summary().loc[0, "sheltered"] == 160  # 100 + 60 places
