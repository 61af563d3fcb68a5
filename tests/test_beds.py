"""Beds per 1,000 elderly (hand-computed tables, roll-ups) and 2SFCA accessibility (= PySAL access)."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point, box

from mzgeo import CRSError, DataWarning, InputError
from mzgeo.analysis.beds import accessibility, bed_ratio, compare_with_ratio, gaussian_weights, step_weights

pytestmark = pytest.mark.filterwarnings("error")

CRS = 4549


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------
@pytest.fixture
def townships() -> gpd.GeoDataFrame:
    """Three townships side by side (0-3 km), one county known only as their parent code."""
    return gpd.GeoDataFrame(
        {
            "code": ["T1", "T2", "T3"],
            "name": ["一镇", "二镇", "三镇"],
            "level": ["乡镇街道"] * 3,
            "parent_code": ["C", "C", "C"],
            "elderly": [2000, 4000, 1234],
        },
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(2000, 0, 3000, 1000)],
        crs=CRS,
    )


@pytest.fixture
def institutions() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": ["甲院", "乙院", "丙院", "丁院", "戊院", "境外院"],
            "beds": [60, 15, 100, 40, 0, 30],
            "nursing_beds": [40, 10, 50, 30, 0, 20],
            # 戊院 lies outside every polygon but names its township by code
            "unit_code": [None, None, None, None, "T3", None],
        },
        geometry=[Point(100, 100), Point(900, 900), Point(1500, 500), Point(2500, 500),
                  Point(9000, 9000), Point(-5000, 0)],
        crs=CRS,
    )


# --------------------------------------------------------------------------------------------
# bed_ratio: a three-unit table computed by hand
# --------------------------------------------------------------------------------------------
def test_three_unit_table_by_hand(townships, institutions):
    with pytest.warns(DataWarning, match="不在任何行政区内"):
        res = bed_ratio(institutions, townships)
    t = res.table.set_index("code")
    # hand computation
    # T1: beds 60+15 = 75, elderly 2000 -> 37.5 per 1000 (exactly the target) -> 达标, gap 0
    # T2: beds 100, elderly 4000 -> 25.0 -> gap 37.5*4 - 100 = 50
    # T3: beds 40 (+0 of 戊院 by code), elderly 1234 -> 32.4149... -> gap 46.275 - 40 = 6.275 -> add 7
    # C : beds 215, elderly 7234 -> 29.7207... -> gap 271.275 - 215 = 56.275 -> add 57
    assert list(t.index) == ["C", "T1", "T2", "T3"]
    assert t.loc["T1", "beds"] == 75 and t.loc["T2", "beds"] == 100 and t.loc["T3", "beds"] == 40
    assert t.loc["C", "beds"] == 215
    assert t.loc["T3", "n_institutions"] == 2  # 丁院 by location, 戊院 by code
    assert t.loc["C", "n_institutions"] == 5
    assert t.loc["C", "elderly"] == 7234
    assert t.loc["T1", "beds_per_1000"] == pytest.approx(37.5)
    assert t.loc["T2", "beds_per_1000"] == pytest.approx(25.0)
    assert t.loc["T3", "beds_per_1000"] == pytest.approx(40 / 1.234)
    assert t.loc["C", "beds_per_1000"] == pytest.approx(215 / 7.234)
    assert t.loc["T1", "bed_gap"] == 0 and t.loc["T1", "status"] == "达标"
    assert t.loc["T2", "bed_gap"] == pytest.approx(50.0) and t.loc["T2", "status"] == "未达标"
    assert t.loc["T3", "bed_gap"] == pytest.approx(6.275)
    assert t.loc["T3", "beds_to_add"] == 7
    assert t.loc["T2", "beds_to_add"] == 50
    assert t.loc["C", "bed_gap"] == pytest.approx(56.275)
    assert t.loc["C", "beds_to_add"] == 57
    # nursing share: T1 50/75, T2 50/100, T3 30/40; target 0.55
    assert t.loc["T1", "nursing_share"] == pytest.approx(50 / 75)
    assert t.loc["T2", "nursing_share"] == pytest.approx(0.5)
    assert t.loc["T2", "nursing_status"] == "未达标"
    assert t.loc["T3", "nursing_status"] == "达标"
    assert (t["target_per_1000"] == 37.5).all()
    assert (t["nursing_share_target"] == 0.55).all()
    # the county is synthetic (only a parent code) but gets its level
    assert t.loc["C", "level"] == "区县"
    # the institution outside every unit is reported, not counted
    assert list(res.unassigned["name"]) == ["境外院"]
    assert (res.problems["problem"] == "unassigned").sum() == 1
    # total = computing at the top
    tot = res.total.iloc[0]
    assert tot["beds"] == 215 and tot["elderly"] == 7234
    assert tot["beds_per_1000"] == pytest.approx(t.loc["C", "beds_per_1000"])
    # below target, largest gap first
    assert list(res.below_target["code"]) == ["C", "T2", "T3"]
    assert res.params["target_per_1000"] == 37.5


def test_targets_and_level_override(townships, institutions):
    with pytest.warns(DataWarning):
        res = bed_ratio(institutions, townships, target_per_1000=40, nursing_share_target=0.7, level="乡镇街道")
    t = res.table.set_index("code")
    assert list(t.index) == ["T1", "T2", "T3"]
    assert t.loc["T1", "status"] == "未达标"
    assert t.loc["T1", "bed_gap"] == pytest.approx(40 * 2 - 75)
    assert t.loc["T3", "nursing_status"] == "达标"  # 0.75 >= 0.7
    assert res.params["target_per_1000"] == 40 and res.params["nursing_share_target"] == 0.7


def _tree_units(elderly_t, elderly_c=(np.nan, np.nan), elderly_city=np.nan):
    """City 0 (0-4 km) > counties A (0-2 km), B (2-4 km) > townships a1, a2, b1, b2 (1 km each)."""
    geoms = [box(0, 0, 4000, 1000), box(0, 0, 2000, 1000), box(2000, 0, 4000, 1000)]
    geoms += [box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(4)]
    return gpd.GeoDataFrame(
        {
            "code": ["0", "A", "B", "a1", "a2", "b1", "b2"],
            "name": ["市", "甲县", "乙县", "a1镇", "a2镇", "b1镇", "b2镇"],
            "level": ["市", "区县", "区县", "乡镇街道", "乡镇街道", "乡镇街道", "乡镇街道"],
            "parent_code": [None, "0", "0", "A", "A", "B", "B"],
            "elderly": [elderly_city, *elderly_c, *elderly_t],
        },
        geometry=geoms,
        crs=CRS,
    )


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_rollup_totals_equal_top(seed):
    rng = np.random.default_rng(seed)
    units = _tree_units(rng.integers(500, 5000, 4).astype(float))
    n = 40
    beds = rng.integers(0, 200, n)
    inst = gpd.GeoDataFrame(
        {"name": [f"院{i}" for i in range(n)], "beds": beds,
         "nursing_beds": np.floor(beds * rng.uniform(0, 1, n))},
        geometry=gpd.points_from_xy(rng.uniform(1, 3999, n), rng.uniform(1, 999, n)),
        crs=CRS,
    )
    res = bed_ratio(inst, units)
    t = res.table.set_index("code")
    for col in ("beds", "nursing_beds", "elderly", "n_institutions"):
        assert t.loc["A", col] == pytest.approx(t.loc[["a1", "a2"], col].sum())
        assert t.loc["B", col] == pytest.approx(t.loc[["b1", "b2"], col].sum())
        assert t.loc["0", col] == pytest.approx(t.loc[["A", "B"], col].sum())
        assert res.total.iloc[0][col] == pytest.approx(t.loc["0", col])
    # computing at the top directly
    assert t.loc["0", "beds"] == inst["beds"].sum()
    assert t.loc["0", "elderly"] == units["elderly"].iloc[3:].sum()
    top = inst["beds"].sum() / (units["elderly"].iloc[3:].sum() / 1000)
    assert t.loc["0", "beds_per_1000"] == pytest.approx(top)
    assert res.table["code"].tolist() == ["0", "A", "a1", "a2", "B", "b1", "b2"]
    # one level at a time gives the same rows
    counties = bed_ratio(inst, units, level="区县").table.set_index("code")
    assert list(counties.index) == ["A", "B"]
    pd.testing.assert_series_equal(counties["beds_per_1000"], t.loc[["A", "B"], "beds_per_1000"])


def test_elderly_mismatch_and_missing_reported():
    units = _tree_units([1000, np.nan, 3000, 4000], elderly_c=(5000, 7000.4))
    inst = gpd.GeoDataFrame({"name": ["x"], "beds": [100]}, geometry=[Point(500, 500)], crs=CRS)
    with pytest.warns(DataWarning) as rec:
        res = bed_ratio(inst, units)
    kinds = set(res.problems["problem"])
    assert {"missing_elderly"} <= kinds
    assert "elderly_mismatch" not in kinds  # B's 7000.4 vs 7000: within rounding
    t = res.table.set_index("code")
    # a2 has no elderly: its row says so; county A falls back on its own figure (5000)
    assert t.loc["a2", "status"] == "缺少老年人口数"
    assert math.isnan(t.loc["a2", "bed_gap"])
    assert t.loc["A", "elderly"] == 5000 and t.loc["A", "elderly_source"] == "本级"
    assert t.loc["B", "elderly"] == 7000 and t.loc["B", "elderly_source"] == "下级合计"
    assert t.loc["0", "elderly"] == 12000
    assert any("缺少60岁及以上老年人口数" in str(w.message) for w in rec)
    # county figure contradicting its townships: reported, townships' total used
    units2 = _tree_units([1000, 2000, 3000, 4000], elderly_c=(5000, 7000))
    with pytest.warns(DataWarning, match="不一致"):
        res2 = bed_ratio(inst, units2)
    assert list(res2.problems.loc[res2.problems["problem"] == "elderly_mismatch", "item"]) == ["A"]
    assert res2.table.set_index("code").loc["A", "elderly"] == 3000


def test_units_without_geometry_use_codes():
    units = pd.DataFrame({"code": [330501, 330502], "name": ["甲", "乙"], "elderly": [1000, 2000]})
    inst = pd.DataFrame({"name": ["a", "b"], "beds": [10, 20], "unit_code": ["330501", 330502.0]})
    t = bed_ratio(inst, units).table.set_index("code")
    assert t.loc["330501", "beds"] == 10 and t.loc["330502", "beds"] == 20


def test_bad_inputs(townships, institutions):
    with pytest.raises(InputError, match="target_per_1000"):
        bed_ratio(institutions, townships, target_per_1000=0)
    with pytest.raises(InputError, match="elderly"):
        bed_ratio(institutions, townships.drop(columns="elderly"))
    # geographic or mixed-CRS input is projected (mzgeo.crs.analysis_layers), same figures
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # the fixture's institution outside every unit
        base = bed_ratio(institutions, townships).table["beds_per_1000"]
        for inst, town in ((institutions.to_crs(4490), townships.to_crs(4490)), (institutions.to_crs(4528), townships)):
            pd.testing.assert_series_equal(bed_ratio(inst, town).table["beds_per_1000"], base)
    with pytest.raises(CRSError, match="没有坐标系"):
        bed_ratio(institutions.set_crs(None, allow_override=True), townships)
    neg = institutions.assign(beds=-1)
    with pytest.raises(InputError, match="负值"):
        bed_ratio(neg, townships)
    dup = pd.concat([townships, townships.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="重复"):
        bed_ratio(institutions, dup)


def test_excel_and_gpkg(tmp_path, townships, institutions):
    with pytest.warns(DataWarning):
        res = bed_ratio(institutions, townships)
    path = res.to_excel(tmp_path / "beds.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["每千名老人床位数", "未达标单位", "养老机构", "数据问题", "参数"]
    header = [c.value for c in wb["每千名老人床位数"][1]]
    assert "每千名老人床位数（张）" in header and "床位缺口（张）" in header
    assert wb["每千名老人床位数"].cell(row=6, column=2).value == "合计"
    params = {r[0].value: r[2].value for r in wb["参数"].iter_rows(min_row=2)}
    assert params["target_per_1000"] == 37.5
    gpkg = res.to_gpkg(tmp_path / "beds.gpkg")
    import pyogrio

    layers = dict(pyogrio.list_layers(gpkg))
    assert set(layers) == {"bed_ratio", "institutions"}
    back = gpd.read_file(gpkg, layer="bed_ratio")
    assert len(back) == 3  # the synthetic county has no polygon
    assert back.crs.to_epsg() == CRS


# --------------------------------------------------------------------------------------------
# accessibility: equal to PySAL access
# --------------------------------------------------------------------------------------------
def _random_case(seed: int, nd: int = 30, ns: int = 7):
    rng = np.random.default_rng(seed)
    dem = gpd.GeoDataFrame(
        {"name": [f"村{i}" for i in range(nd)], "elderly": rng.integers(1, 800, nd).astype(float)},
        geometry=gpd.points_from_xy(rng.uniform(0, 1e4, nd), rng.uniform(0, 1e4, nd)),
        crs=CRS,
        index=pd.Index(rng.permutation(np.arange(100, 100 + nd)), name="vid"),
    )
    sup = gpd.GeoDataFrame(
        {"name": [f"院{j}" for j in range(ns)], "beds": rng.integers(0, 300, ns).astype(float)},
        geometry=gpd.points_from_xy(rng.uniform(0, 1e4, ns), rng.uniform(0, 1e4, ns)),
        crs=CRS,
        index=pd.Index([f"S{j}" for j in range(ns)], name="sid"),
    )
    cost = pd.DataFrame(
        {
            "origin": np.repeat(dem.index.to_numpy(), ns),
            "destination": np.tile(sup.index.to_numpy(), nd),
            # integer minutes: many pairs fall exactly on the step bounds and on the cutoff
            "minutes": rng.integers(0, 70, nd * ns).astype(float),
        }
    ).sample(frac=0.7, random_state=seed)
    return dem, sup, cost


def _access_reference(dem, sup, cost, max_cost, weight_fn=None, enhanced=False):
    from access import Access

    dd = pd.DataFrame({"elderly": dem["elderly"].to_numpy()}, index=pd.Index(dem.index.to_numpy(), name="geoid"))
    ss = pd.DataFrame({"beds": sup["beds"].to_numpy()}, index=pd.Index(sup.index.to_numpy(), name="geoid"))
    a = Access(demand_df=dd, demand_index=True, demand_value="elderly", supply_df=ss, supply_index=True,
               supply_value="beds", cost_df=cost.rename(columns={"minutes": "cost"}), cost_origin="origin",
               cost_dest="destination", cost_name="cost")
    if enhanced:
        out = a.enhanced_two_stage_fca(name="x", max_cost=max_cost, weight_fn=weight_fn)
    else:
        out = a.two_stage_fca(name="x", max_cost=max_cost, weight_fn=weight_fn)
    return out["x_beds"]


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_2sfca_equals_access(seed):
    dem, sup, cost = _random_case(seed)
    res = accessibility(sup, dem, cost=cost, method="2sfca", minutes=30)
    ref = _access_reference(dem, sup, cost, 30) * 1000
    mine = res.points["accessible_per_1000"]
    reached = ref.reindex(mine.index)
    np.testing.assert_allclose(mine[reached.notna()], reached.dropna(), rtol=1e-12)
    # access has no value where nothing is reachable; mzgeo reports 0 there
    assert (mine[reached.isna()] == 0).all()
    assert (res.points.loc[reached.isna(), "n_reachable"] == 0).all()


@pytest.mark.parametrize("seed", [0, 5, 6])
def test_e2sfca_default_steps_equal_access_default(seed):
    from access import weights

    dem, sup, cost = _random_case(seed)
    res = accessibility(sup, dem, cost=cost, method="e2sfca")  # minutes -> settings (30)
    assert res.params["minutes"] == 30
    # access's enhanced_two_stage_fca default weights: step_fn({10: 1, 20: 0.68, 30: 0.22})
    ref = _access_reference(dem, sup, cost, 30, enhanced=True) * 1000
    mine = res.points["accessible_per_1000"]
    reached = ref.reindex(mine.index)
    np.testing.assert_allclose(mine[reached.notna()], reached.dropna(), rtol=1e-12)
    ref2 = _access_reference(dem, sup, cost, 30, weights.step_fn({10: 1, 20: 0.68, 30: 0.22}))
    np.testing.assert_allclose(ref.dropna(), ref2.dropna() * 1000)


@pytest.mark.parametrize("seed", [1, 7])
def test_e2sfca_custom_steps_60_minutes(seed):
    from access import weights

    dem, sup, cost = _random_case(seed)
    steps = {20: 1.0, 40: 0.68, 60: 0.22}
    res = accessibility(sup, dem, cost=cost, method="e2sfca", minutes=60, weights=steps, per_1000=False)
    ref = _access_reference(dem, sup, cost, 60, weights.step_fn(steps))
    mine = res.points["accessible_per_person"]
    reached = ref.reindex(mine.index)
    np.testing.assert_allclose(mine[reached.notna()], reached.dropna(), rtol=1e-12)
    # default steps for 60 minutes are the same thirds
    res2 = accessibility(sup, dem, cost=cost, method="e2sfca", minutes=60, per_1000=False)
    np.testing.assert_allclose(res2.points["accessible_per_person"], mine, rtol=1e-12)


@pytest.mark.parametrize(("seed", "sigma"), [(2, None), (3, 10.0), (4, 40.0)])
def test_g2sfca_equals_access_gaussian(seed, sigma):
    from access import weights

    dem, sup, cost = _random_case(seed)
    res = accessibility(sup, dem, cost=cost, method="g2sfca", minutes=45, sigma_minutes=sigma)
    s = 22.5 if sigma is None else sigma
    assert res.params["sigma_minutes"] == s
    ref = _access_reference(dem, sup, cost, 45, weights.gaussian(s)) * 1000
    mine = res.points["accessible_per_1000"]
    reached = ref.reindex(mine.index)
    np.testing.assert_allclose(mine[reached.notna()], reached.dropna(), rtol=1e-12)


def test_weight_functions_match_access():
    from access import weights

    t = np.array([0.0, 5, 10, 10.0001, 20, 25, 30, 30.5, 100])
    f = step_weights({10: 1, 20: 0.68, 30: 0.22})
    g = weights.step_fn({10: 1, 20: 0.68, 30: 0.22})
    assert f(t).tolist() == [g(v) for v in t]
    np.testing.assert_allclose(gaussian_weights(12.0)(t), [weights.gaussian(12.0)(v) for v in t])
    with pytest.raises(InputError):
        step_weights({10: -1})
    with pytest.raises(InputError):
        gaussian_weights(0)


def test_supply_conserved_and_hand_case():
    # two villages share one institution; a third village reaches nothing
    dem = gpd.GeoDataFrame({"name": ["a", "b", "c"], "elderly": [1000.0, 3000.0, 500.0]},
                           geometry=gpd.points_from_xy([0, 1, 2], [0, 0, 0]), crs=CRS)
    sup = gpd.GeoDataFrame({"name": ["院"], "beds": [200.0]}, geometry=[Point(0, 1)], crs=CRS)
    cost = pd.DataFrame({"origin": [0, 1, 2], "destination": [0, 0, 0], "minutes": [0.0, 30.0, 30.5]})
    res = accessibility(sup, dem, cost=cost, minutes=30)
    # R = 200 / 4000 = 0.05 bed per elderly -> 50 per 1000 for a and b; c beyond 30 min -> 0
    assert res.points["accessible_per_1000"].tolist() == pytest.approx([50.0, 50.0, 0.0])
    assert res.points["n_reachable"].tolist() == [1, 1, 0]
    assert res.supply["catchment_demand"].tolist() == [4000.0]
    # Σ demand × access = Σ supply reached
    assert (res.points["demand"] * res.points["accessible_per_1000"] / 1000).sum() == pytest.approx(200)


def test_unknown_method_and_cost_labels():
    dem, sup, cost = _random_case(0)
    with pytest.raises(InputError, match="2sfca"):
        accessibility(sup, dem, cost=cost, method="4sfca")
    with pytest.raises(InputError, match="network"):
        accessibility(sup, dem)
    bad = pd.concat([cost, pd.DataFrame({"origin": [-1], "destination": ["S0"], "minutes": [1.0]})])
    with pytest.warns(DataWarning, match="origin"):
        accessibility(sup, dem, cost=bad)
    with pytest.raises(InputError, match="不匹配"):
        accessibility(sup, dem, cost=cost.assign(origin=cost["origin"].astype(str)))


def test_compare_with_ratio_flags_disagreement(tmp_path):
    units = gpd.GeoDataFrame(
        {"code": ["T1", "T2"], "name": ["河西镇", "河东镇"], "level": ["乡镇街道"] * 2,
         "parent_code": ["C", "C"], "elderly": [1000, 1000]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs=CRS,
    )
    villages = gpd.GeoDataFrame({"name": ["西村", "东村"], "unit_code": ["T1", "T2"], "elderly": [1000.0, 1000.0]},
                                geometry=[Point(100, 500), Point(1100, 500)], crs=CRS)
    inst = gpd.GeoDataFrame({"name": ["敬老院"], "beds": [100.0]}, geometry=[Point(950, 500)], crs=CRS)
    # 西村 cannot reach the home in its own township (river, no bridge); 东村 can
    cost = pd.DataFrame({"origin": [1], "destination": [0], "minutes": [10.0]})
    res = accessibility(inst, villages, cost=cost, units=units)
    cmp = res.comparison.set_index("code")
    assert cmp.loc["T1", "beds_per_1000"] == 100 and cmp.loc["T1", "accessible_per_1000"] == 0
    assert cmp.loc["T1", "verdict"] == "账面达标但可达不足"
    assert cmp.loc["T2", "beds_per_1000"] == 0 and cmp.loc["T2", "accessible_per_1000"] == 100
    assert cmp.loc["T2", "verdict"] == "账面未达标但可达充足"
    assert cmp.loc["C", "beds_per_1000"] == 50 and cmp.loc["C", "accessible_per_1000"] == 50
    assert cmp.loc["C", "verdict"] == "均达标"
    by = res.by_unit(level="乡镇街道").set_index("code")
    assert by.loc["T1", "demand_no_access"] == 1000
    again = compare_with_ratio(res, res.ratio, target_per_1000=60, level="区县")
    assert again["verdict"].tolist() == ["均未达标"]
    path = res.to_excel(tmp_path / "access.xlsx")
    assert "行政口径与可达性对比" in openpyxl.load_workbook(path).sheetnames
    res.to_gpkg(tmp_path / "access.gpkg")


def _toy_drive_network():
    """Line of nodes 1 km apart, 5 minutes per edge, and a branch 2-5 of 20 minutes."""
    from mzgeo.network import Network

    G = nx.Graph(crs=CRS)
    xy = {0: (0, 0), 1: (1000, 0), 2: (2000, 0), 3: (3000, 0), 4: (4000, 0), 5: (2000, 3000)}
    for n, (x, y) in xy.items():
        G.add_node(n, x=float(x), y=float(y))
    for a, b, s in [(0, 1, 300), (1, 2, 300), (2, 3, 300), (3, 4, 300), (2, 5, 1200)]:
        G.add_edge(a, b, travel_time=float(s))
    return Network.from_networkx(G, weight="travel_time")


def test_network_gives_same_values_as_known_cost_table():
    net = _toy_drive_network()
    dem = gpd.GeoDataFrame({"name": list("abcdef"), "elderly": [100.0, 200, 300, 400, 500, 600]},
                           geometry=gpd.points_from_xy([0, 1000, 2000, 3000, 4000, 2000],
                                                       [0, 0, 0, 0, 0, 3000]), crs=CRS)
    sup = gpd.GeoDataFrame({"name": ["x", "y"], "beds": [50.0, 80.0]},
                           geometry=gpd.points_from_xy([0, 3000], [0, 0]), crs=CRS)
    node_min = {0: 0, 1: 5, 2: 10, 3: 15, 4: 20, 5: 30}  # minutes from node 0 along the graph
    rows = []
    for i in range(6):
        for j, fnode in enumerate([0, 3]):
            t = abs(node_min[i] - node_min[fnode]) if i != 5 else 20 + abs(10 - node_min[fnode])
            rows.append((i, j, float(t)))
    cost = pd.DataFrame(rows, columns=["origin", "destination", "minutes"])
    for method in ("2sfca", "e2sfca", "g2sfca"):
        a = accessibility(sup, dem, network=net, method=method, minutes=30)
        b = accessibility(sup, dem, cost=cost, method=method, minutes=30)
        np.testing.assert_allclose(a.points["accessible_per_1000"], b.points["accessible_per_1000"], rtol=1e-9)
    assert a.params["travel_costs"] == "路网"
