"""Service coverage on a toy network with known travel times, and day-care coverage."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point, box

from mzgeo import DataWarning, InputError
from mzgeo.analysis.coverage import coverage
from mzgeo.analysis.daycare import daycare_coverage

pytestmark = pytest.mark.filterwarnings("error")

CRS = 4549

# Toy network: nodes (x, y in metres) and edges (minutes). Demand sits on every node.
NODES = {0: (0, 0), 1: (1000, 0), 2: (2000, 0), 3: (3000, 0), 4: (4000, 0), 5: (5000, 0),
         6: (2000, 2000), 7: (2000, 3000), 8: (9000, 0)}
EDGES = [(0, 1, 5), (1, 2, 5), (2, 3, 5), (3, 4, 4), (4, 5, 5), (2, 6, 15), (6, 7, 10), (5, 8, 60)]
ELDERLY = [100, 200, 300, 400, 500, 600, 700, 800, 900]
FAC_NODES = [0, 4]  # F_a, F_b


def _times() -> np.ndarray:
    """Shortest minutes node × node, computed independently with networkx."""
    G = nx.Graph()
    for a, b, m in EDGES:
        G.add_edge(a, b, minutes=m)
    d = dict(nx.all_pairs_dijkstra_path_length(G, weight="minutes"))
    return np.array([[d[i][j] for j in range(len(NODES))] for i in range(len(NODES))], float)


@pytest.fixture(scope="module")
def net():
    from mzgeo.network import Network

    G = nx.Graph(crs=CRS)
    for n, (x, y) in NODES.items():
        G.add_node(n, x=float(x), y=float(y))
    for a, b, m in EDGES:
        G.add_edge(a, b, travel_time=60.0 * m)
    return Network.from_networkx(G, weight="travel_time")


@pytest.fixture
def demand() -> gpd.GeoDataFrame:
    xy = np.array([NODES[i] for i in range(len(NODES))], float)
    return gpd.GeoDataFrame(
        {"name": [f"村{i}" for i in range(len(NODES))], "elderly": ELDERLY,
         "population": [e * 4 for e in ELDERLY]},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS,
    )


@pytest.fixture
def facilities() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["F_a", "F_b"], "capacity": [500, 100]},
        geometry=[Point(*NODES[n]) for n in FAC_NODES], crs=CRS, index=pd.Index(["fa", "fb"]),
    )


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["C", "T1", "T2", "T3"], "name": ["县", "一镇", "二镇", "三镇"],
         "level": ["区县", "乡镇街道", "乡镇街道", "乡镇街道"], "parent_code": [None, "C", "C", "C"]},
        geometry=[box(-500, -500, 10000, 3500), box(-500, -500, 1500, 3500), box(1500, -500, 3500, 3500),
                  box(3500, -500, 10000, 3500)],
        crs=CRS,
    )


@pytest.fixture
def cost() -> pd.DataFrame:
    t = _times()
    rows = [(i, lab, t[i, n]) for i in range(len(NODES)) for lab, n in zip(["fa", "fb"], FAC_NODES, strict=True)]
    return pd.DataFrame(rows, columns=["origin", "destination", "minutes"])


UNIT_OF_NODE = {0: "T1", 1: "T1", 2: "T2", 3: "T2", 6: "T2", 7: "T2", 4: "T3", 5: "T3", 8: "T3"}


def _expected_by_unit(threshold: float) -> pd.DataFrame:
    """Independent computation of the per-unit figures from the networkx times."""
    t = _times()[:, FAC_NODES].min(axis=1)
    w = np.array(ELDERLY, float)
    rows = []
    for code, members in [("C", list(range(9))), ("T1", [0, 1]), ("T2", [2, 3, 6, 7]), ("T3", [4, 5, 8])]:
        m, ww = t[members], w[members]
        rows.append({
            "code": code,
            "demand_total": ww.sum(),
            "demand_covered": ww[m <= threshold].sum(),
            "share_covered": ww[m <= threshold].sum() / ww.sum(),
            "mean_minutes": (ww * m).sum() / ww.sum(),
            "p90_minutes": np.quantile(m, 0.9, method="inverted_cdf", weights=ww),
        })
    return pd.DataFrame(rows).set_index("code")


# --------------------------------------------------------------------------------------------
def test_points_nearest_minutes_covered(net, facilities, demand):
    res = coverage(facilities, demand, network=net, minutes=20, weight_col="elderly")
    t = _times()[:, FAC_NODES]
    p = res.points
    np.testing.assert_allclose(p["minutes"], t.min(axis=1), atol=1e-9)
    assert p["facility"].tolist() == [["fa", "fb"][k] for k in t.argmin(axis=1)]
    assert p["facility_name"].tolist() == [["F_a", "F_b"][k] for k in t.argmin(axis=1)]
    assert p["covered"].tolist() == (t.min(axis=1) <= 20).tolist()
    assert p["demand"].tolist() == ELDERLY
    assert p.crs.to_epsg() == CRS and p.index.equals(demand.index)
    # literal values (hand check of the toy): village 2 -> F_b in 9 minutes
    assert p.loc[2, "minutes"] == pytest.approx(9) and p.loc[2, "facility"] == "fb"
    assert p.loc[8, "minutes"] == pytest.approx(65)


def test_cost_table_gives_same_result(net, facilities, demand, cost, units):
    a = coverage(facilities, demand, network=net, minutes=[5, 10, 15, 20], units=units)
    b = coverage(facilities, demand, minutes=[5, 10, 15, 20], cost=cost, units=units)
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.points).drop(columns="geometry"), pd.DataFrame(b.points).drop(columns="geometry"),
        check_exact=False, atol=1e-9,
    )
    pd.testing.assert_frame_equal(a.by_unit(), b.by_unit(), check_exact=False, atol=1e-9)
    assert b.params["travel_costs"].startswith("成本表")


@pytest.mark.parametrize("threshold", [5, 10, 15, 20])
def test_by_unit_matches_independent_computation(net, facilities, demand, units, threshold):
    res = coverage(facilities, demand, network=net, minutes=[5, 10, 15, 20], units=units)
    got = res.by_unit(minutes=threshold).set_index("code")
    exp = _expected_by_unit(threshold)
    for col in exp.columns:
        np.testing.assert_allclose(got.loc[exp.index, col].to_numpy(float), exp[col].to_numpy(float),
                                   atol=1e-9, err_msg=col)
    assert got.loc["T1", "n_facilities"] == 1 and got.loc["T2", "n_facilities"] == 0
    assert got.loc["T3", "n_facilities"] == 1 and got.loc["C", "n_facilities"] == 2
    assert got.loc[["T1", "T2", "T3"], "n_points"].tolist() == [2, 4, 3]
    # roll-up: the county equals the sum of its townships (additive columns)
    for col in ("n_points", "demand_total", "demand_covered", "demand_unreachable", "n_facilities"):
        assert got.loc["C", col] == pytest.approx(got.loc[["T1", "T2", "T3"], col].sum())
    # literal hand values at 20 minutes
    if threshold == 20:
        assert got.loc["T2", "share_covered"] == pytest.approx(700 / 2200)
        assert got.loc["T2", "mean_minutes"] == pytest.approx(48300 / 2200)
        assert got.loc["T2", "p90_minutes"] == pytest.approx(34)
        assert got.loc["C", "share_covered"] == pytest.approx(2100 / 4500)


def test_levels_and_unit_code_priority(facilities, demand, cost, units):
    dem = demand.copy()
    dem["unit_code"] = [None] * 8 + ["T2"]  # village 8 lies in T3 but its register says T2
    res = coverage(facilities, dem, minutes=20, cost=cost)
    with pytest.warns(DataWarning, match="不一致"):
        tab = res.by_unit(units, level="乡镇街道").set_index("code")
    assert list(tab.index) == ["T1", "T2", "T3"]
    assert tab.loc["T2", "demand_total"] == 2200 + 900
    assert tab.loc["T3", "demand_total"] == 1100
    assert "unit_mismatch" in set(res.problems["problem"])


def test_points_outside_every_unit_are_kept(facilities, demand, cost, units):
    small = units[units["code"] != "T3"].copy()
    small.loc[small["code"] == "C", "geometry"] = box(-500, -500, 3500, 3500)
    res = coverage(facilities, demand, minutes=20, cost=cost)
    with pytest.warns(DataWarning, match="不在任何行政区内"):
        tab = res.by_unit(small).set_index("code")
    assert tab.loc["未匹配", "n_points"] == 3
    assert tab.loc["未匹配", "demand_total"] == 500 + 600 + 900
    assert tab.loc["C", "demand_total"] + tab.loc["未匹配", "demand_total"] == sum(ELDERLY)


def test_curve(net, facilities, demand, units):
    res = coverage(facilities, demand, network=net, minutes=[20, 5, 10, 15])  # unsorted on purpose
    assert res.thresholds == (5.0, 10.0, 15.0, 20.0) and res.threshold == 20
    c = res.curve()
    assert c["threshold_minutes"].tolist() == [5, 10, 15, 20]
    assert c["demand_covered"].tolist() == [1800, 2100, 2100, 2100]
    assert c["share_covered"].tolist() == pytest.approx([1800 / 4500, 2100 / 4500, 2100 / 4500, 2100 / 4500])
    cu = res.curve(units).set_index(["code", "threshold_minutes"])
    for t in (5, 10, 15, 20):
        exp = _expected_by_unit(t)
        for code in exp.index:
            assert cu.loc[(code, t), "share_covered"] == pytest.approx(exp.loc[code, "share_covered"])
    pd.testing.assert_frame_equal(res.summary(), c)


def test_uncovered_clusters(net, facilities, demand):
    res = coverage(facilities, demand, network=net, minutes=20, cluster_radius_m=1500)
    unc = res.uncovered
    assert unc.index.tolist() == [6, 7, 8]
    # villages 6 and 7 are 1 km apart -> one gap of 1,500 elderly; village 8 alone (900)
    assert unc["cluster"].tolist() == [1, 1, 2]
    g = res.gap_clusters.set_index("cluster")
    assert g.loc[1, "n_points"] == 2 and g.loc[1, "demand"] == 1500
    assert g.loc[1, "x_m"] == pytest.approx(2000)
    assert g.loc[1, "y_m"] == pytest.approx((700 * 2000 + 800 * 3000) / 1500)
    assert g.loc[1, "members"] == "村6、村7"
    assert g.loc[2, "demand"] == 900
    assert g.geometry.geom_type.eq("Polygon").all()
    assert g.loc[1, "geometry"].contains(Point(2000, 2500))
    fine = coverage(facilities, demand, network=net, minutes=20, cluster_radius_m=500)
    assert fine.uncovered["cluster"].tolist() == [3, 2, 1]  # ranked by demand: 900, 800, 700
    assert res.params["cluster_radius_m"] == 1500


def test_per_facility_load_and_capacity(net, facilities, demand):
    res = coverage(facilities, demand, network=net, minutes=20)
    pf = res.per_facility
    assert pf.loc["fa", "n_points"] == 2 and pf.loc["fa", "load"] == 300 and pf.loc["fa", "load_covered"] == 300
    assert pf.loc["fb", "load"] == 4200 and pf.loc["fb", "load_covered"] == 1800
    assert pf.loc["fa", "load_ratio"] == pytest.approx(300 / 500)
    assert pf.loc["fb", "load_ratio"] == pytest.approx(42)
    assert pf["load"].sum() == sum(ELDERLY)


def test_weight_none_counts_points(facilities, demand, cost):
    res = coverage(facilities, demand, minutes=10, weight_col=None, cost=cost)
    assert res.points["demand"].tolist() == [1.0] * 9
    assert res.summary()["demand_covered"].tolist() == [6]  # villages 0-5
    res2 = coverage(facilities, demand, minutes=10, weight_col="population", cost=cost)
    assert res2.summary()["demand_total"].iloc[0] == 4 * sum(ELDERLY)


def test_absent_pairs_are_unreachable(facilities, demand, cost, units):
    partial = cost[~cost["origin"].isin([7, 8])]
    with pytest.warns(DataWarning, match="无法到达任何设施"):
        res = coverage(facilities, demand, minutes=20, cost=partial, units=units)
    unreach = res.problems[res.problems["problem"] == "unreachable"]
    assert unreach["item"].tolist() == [7, 8] and unreach["name"].tolist() == ["村7", "村8"]
    assert res.points.loc[[7, 8], "minutes"].isna().all()
    assert res.points.loc[[7, 8], "facility"].isna().all()
    tab = res.by_unit().set_index("code")
    assert tab.loc["T2", "demand_unreachable"] == 800
    assert tab.loc["T3", "demand_unreachable"] == 900
    # mean over the points that reach a facility
    assert tab.loc["T2", "mean_minutes"] == pytest.approx((300 * 9 + 400 * 4 + 700 * 24) / 1400)


def test_inputs_checked(facilities, demand, cost, net):
    with pytest.raises(InputError, match="minutes"):
        coverage(facilities, demand, minutes=-5, cost=cost)
    with pytest.raises(InputError, match="weight"):
        coverage(facilities, demand, minutes=5, weight_col="elders", cost=cost)
    with pytest.raises(InputError, match="之一"):
        coverage(facilities, demand, network=net, minutes=5, cost=cost)
    # geographic input is projected (the one CRS policy, mzgeo.crs.analysis_layers), not refused
    ll = coverage(facilities.to_crs(4326), demand.to_crs(4326), minutes=5, cost=cost)
    assert ll.points["covered"].tolist() == coverage(facilities, demand, minutes=5, cost=cost).points["covered"].tolist()
    with pytest.raises(InputError, match="索引有重复"):
        coverage(facilities, pd.concat([demand, demand]), minutes=5, cost=cost)
    with pytest.raises(InputError, match="units"):
        coverage(facilities, demand, minutes=5, cost=cost).by_unit()
    with pytest.raises(InputError, match="级别"):
        coverage(facilities, demand, minutes=5, cost=cost).by_unit(
            gpd.GeoDataFrame({"code": ["A"], "level": ["区县"]}, geometry=[box(0, 0, 1, 1)], crs=CRS), level="村社区"
        )


def test_empty_facilities(demand, units):
    empty = gpd.GeoDataFrame({"name": []}, geometry=[], crs=CRS)
    res = coverage(empty, demand, minutes=15, cost=pd.DataFrame({"origin": [], "destination": [], "minutes": []}))
    assert not res.points["covered"].any()
    assert res.points["minutes"].isna().all()
    assert len(res.per_facility) == 0


def test_excel_and_gpkg(tmp_path, net, facilities, demand, units):
    res = coverage(facilities, demand, network=net, minutes=[10, 20], units=units)
    path = res.to_excel(tmp_path / "cov.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["分区覆盖", "覆盖率曲线", "需求点覆盖", "未覆盖需求点", "缺口片区", "设施服务量", "参数"]
    header = [c.value for c in wb["分区覆盖"][1]]
    assert "覆盖率" in header and "90%分位出行时间（分钟）" in header
    params = {r[0].value: r[2].value for r in wb["参数"].iter_rows(min_row=2)}
    assert params["minutes"] == "10.0、20.0"
    import pyogrio

    gpkg = res.to_gpkg(tmp_path / "cov.gpkg")
    assert {n for n, _ in pyogrio.list_layers(gpkg)} == {
        "coverage_points", "uncovered", "gap_clusters", "facilities", "coverage_units"}
    back = gpd.read_file(gpkg, layer="coverage_units")
    assert len(back) == 4 and back.crs.to_epsg() == CRS


# --------------------------------------------------------------------------------------------
# day-care centres
# --------------------------------------------------------------------------------------------
@pytest.fixture
def villages() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["东社区", "西村", "南村", "北村", "新村", "新村"],
            "code": ["V1", "V2", "V3", "V4", "V5", "V6"],
            "unit_code": ["T1", "T1", "T1", "T2", "T1", "T2"],
            "urban": ["是", "否", None, None, "农村", None],
            "village_type": ["社区", "村", "社区", "村", "村", "村"],
            "elderly": [500, 300, 200, 100, 50, 60],
        },
        geometry=gpd.points_from_xy([0, 1000, 2000, 3000, 4000, 5000], [0] * 6),
        crs=CRS,
    )


@pytest.fixture
def centres() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["东社区中心", "北村中心", "新村中心"],
            "village": ["东社区", "V4", "新村"],  # by name, by code, by name within the township
            "unit_code": ["T1", "T2", "T2"],
            "has_meal": ["是", "否", "有"],
            "has_medical": [True, True, False],
        },
        geometry=gpd.points_from_xy([0, 3000, 5000], [0, 0, 0]),
        crs=CRS,
    )


def test_daycare_coverage_by_hand(villages, centres):
    # minutes from each village (rows) to each centre (columns)
    t = {0: [0, 30, 40], 1: [16, 25, 50], 2: [18, 12, 30], 3: [30, 0, 21], 4: [40, 19, 22], 5: [50, 21, 0]}
    cost = pd.DataFrame([(i, j, m) for i, ms in t.items() for j, m in enumerate(ms)],
                        columns=["origin", "destination", "minutes"])
    res = daycare_coverage(centres, villages, cost=cost)
    v = res.villages
    # urban: 是 -> True; 否/农村 -> False; missing -> village_type (社区 -> urban)
    assert v["urban"].tolist() == [True, False, True, False, False, False]
    assert v["threshold_minutes"].tolist() == [15, 20, 15, 20, 20, 20]
    assert v["minutes"].tolist() == [0, 16, 12, 0, 19, 0]
    assert v["covered"].tolist() == [True, True, True, True, True, True]
    assert v["own_centres"].tolist() == [1, 0, 0, 1, 0, 1]  # 新村 of T2 (V6), not V5 of T1
    assert v["has_own"].tolist() == [True, False, False, True, False, True]
    assert not v["gap"].any()
    # meal: centres 0 and 2; medical: centres 0 and 1
    assert v["minutes_meal"].tolist() == [0, 16, 18, 21, 22, 0]
    assert v["covered_meal"].tolist() == [True, True, False, False, False, True]
    assert v["minutes_medical"].tolist() == [0, 16, 12, 0, 19, 21]
    assert v["covered_medical"].tolist() == [True, True, True, True, True, False]
    c = res.centres
    assert c["matched_village"].tolist() == [0, 3, 5]
    assert c["match_method"].tolist() == ["村社区名称", "村社区代码", "村社区名称"]
    s = res.summary().iloc[0]
    assert s["n_villages"] == 6 and s["n_centres"] == 3 and s["n_meal"] == 2 and s["n_medical"] == 2
    assert s["n_without_own"] == 3 and s["n_gaps"] == 0
    assert s["n_covered_meal"] == 3 and s["n_covered_medical"] == 5
    # tighter thresholds: 南村 (urban, 12 min) and 新村 V5 (rural, 19 min) drop out
    tight = daycare_coverage(centres, villages, minutes_urban=10, minutes_rural=15, cost=cost)
    assert tight.villages["covered"].tolist() == [True, False, False, True, False, True]
    assert tight.gaps.index.tolist() == [1, 2, 4]
    assert tight.params["minutes_urban"] == 10 and tight.params["minutes_rural"] == 15


def test_daycare_by_unit_and_outputs(tmp_path, villages, centres):
    units = gpd.GeoDataFrame({"code": ["T1", "T2"], "name": ["一镇", "二镇"]},
                             geometry=[box(-500, -500, 2500, 500), box(2500, -500, 5500, 500)], crs=CRS)
    t = {0: [0, 30, 40], 1: [16, 25, 50], 2: [18, 12, 30], 3: [30, 0, 21], 4: [40, 19, 22], 5: [50, 21, 0]}
    cost = pd.DataFrame([(i, j, m) for i, ms in t.items() for j, m in enumerate(ms)],
                        columns=["origin", "destination", "minutes"])
    # V5 has unit_code T1 but lies in T2's polygon: the code wins, with a warning at once
    with pytest.warns(DataWarning, match="不一致"):
        res = daycare_coverage(centres, villages, minutes_urban=10, minutes_rural=15, cost=cost, units=units)
    assert res.problems["problem"].tolist() == ["unit_mismatch"]
    tab = res.by_unit().set_index("code")
    assert tab.loc["T1", "n_villages"] == 4 and tab.loc["T2", "n_villages"] == 2
    assert tab.loc["T1", "n_gaps"] == 3 and tab.loc["T2", "n_gaps"] == 0
    assert tab.loc["T1", "n_centres"] == 1 and tab.loc["T2", "n_centres"] == 2
    assert tab.loc["T1", "share_covered"] == pytest.approx(500 / 1050)
    assert tab.loc["T2", "n_meal"] == 1 and tab.loc["T2", "n_medical"] == 1
    path = res.to_excel(tmp_path / "daycare.xlsx")
    assert openpyxl.load_workbook(path).sheetnames[:3] == ["汇总", "分区统计", "村社区覆盖"]
    res.to_gpkg(tmp_path / "daycare.gpkg")


def test_daycare_on_network(net):
    # villages on nodes 1, 5, 7; centres on nodes 0 and 4 (walk network of the toy)
    vill = gpd.GeoDataFrame({"name": ["a", "b", "c"], "village_type": ["社区", "村", "村"], "elderly": [1, 1, 1]},
                            geometry=[Point(*NODES[1]), Point(*NODES[5]), Point(*NODES[7])], crs=CRS)
    dc = gpd.GeoDataFrame({"name": ["x", "y"], "village": ["a", "zz"]},
                          geometry=[Point(*NODES[0]), Point(*NODES[4])], crs=CRS)
    with pytest.warns(DataWarning, match="不匹配"):
        res = daycare_coverage(dc, vill, network=net)
    assert res.villages["minutes"].tolist() == pytest.approx([5, 5, 34])
    assert res.villages["covered"].tolist() == [True, True, False]
    assert res.villages["gap"].tolist() == [False, False, True]
    assert res.villages["minutes_meal"].isna().all()  # no has_meal column: none counted


def test_route_status_explains_missing_minutes(net, facilities, demand):
    far = pd.concat([demand, gpd.GeoDataFrame({"name": ["远村"], "elderly": [10]}, geometry=[Point(2000, -5000)],
                                              crs=CRS, index=[99])])
    with pytest.warns(DataWarning, match="远村"):
        res = coverage(facilities, far, network=net, minutes=20)
    assert res.points.loc[99, "route_status"] == "距道路过远"
    assert np.isnan(res.points.loc[99, "minutes"]) and not res.points.loc[99, "covered"]
    assert (res.points.loc[0:8, "route_status"] == "正常").all()
