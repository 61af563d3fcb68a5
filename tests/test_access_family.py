"""3SFCA, gravity, FCA ratio, weighted catchment and RAAM (mzgeo.analysis.access) = PySAL access; compare_methods."""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point, box

import mzgeo
from mzgeo import DataWarning, InputError
from mzgeo.analysis.access import (
    ALL_METHODS,
    MethodComparison,
    compare_methods,
    gravity_weights,
    raam_assignment,
)
from mzgeo.analysis.beds import accessibility
from mzgeo.report import LABELS

CRS = "EPSG:4549"

# PySAL access's own deprecation and coverage warnings (not mzgeo's)
pytestmark = [
    pytest.mark.filterwarnings("ignore:The inplace keyword:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The inplace keyword"),
    pytest.mark.filterwarnings("ignore:some tracts may be unaccounted for:UserWarning"),
]


# --------------------------------------------------------------------------------------------
# access's own fixtures (access/tests/util.py, test_*.py), rebuilt
# --------------------------------------------------------------------------------------------
def _grid(n: int = 5) -> gpd.GeoDataFrame:
    """``util.create_nxn_grid(n)``: ids 1..n², x-major, value 1."""
    x, y = np.divmod(np.arange(n * n), n)
    return gpd.GeoDataFrame({"value": np.ones(n * n)}, geometry=gpd.points_from_xy(x, y), crs=CRS,
                            index=pd.Index(np.arange(1, n * n + 1), name="id"))


def _euclidean(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> pd.DataFrame:
    """``util.create_cost_matrix(grid, "euclidean")`` between two point sets (all pairs)."""
    ax, ay = a.geometry.x.to_numpy(), a.geometry.y.to_numpy()
    bx, by = b.geometry.x.to_numpy(), b.geometry.y.to_numpy()
    d = np.hypot(ax[:, None] - bx[None, :], ay[:, None] - by[None, :])
    return pd.DataFrame({"origin": np.repeat(a.index.to_numpy(), len(b)),
                         "destination": np.tile(b.index.to_numpy(), len(a)), "minutes": d.ravel()})


def _access(dem, sup, cost, neighbor_cost=None, demand_col="value", supply_col="value"):
    from access import Access

    dd = pd.DataFrame({"d": dem[demand_col].to_numpy()}, index=pd.Index(dem.index.to_numpy(), name="geoid"))
    ss = pd.DataFrame({"s": sup[supply_col].to_numpy()}, index=pd.Index(sup.index.to_numpy(), name="geoid"))
    kw = {}
    if neighbor_cost is not None:
        kw = dict(neighbor_cost_df=neighbor_cost.rename(columns={"minutes": "cost"}), neighbor_cost_origin="origin",
                  neighbor_cost_dest="destination", neighbor_cost_name="cost")
    return Access(demand_df=dd, demand_index=True, demand_value="d", supply_df=ss, supply_index=True,
                  supply_value="s", cost_df=cost.rename(columns={"minutes": "cost"}), cost_origin="origin",
                  cost_dest="destination", cost_name="cost", **kw)


def _close(mine: pd.Series, ref: pd.Series, rtol: float = 1e-9) -> None:
    """Equal where ``access`` has a value (mine aligned on ref's labels)."""
    ref = ref.dropna()
    assert len(ref)
    np.testing.assert_allclose(mine.reindex(ref.index).to_numpy(), ref.to_numpy(), rtol=rtol, atol=1e-12)


@pytest.fixture
def grid_case():
    """test_floating_catchment_area.py: supply = 5×5 grid, demand = 5 grid points."""
    sup = _grid()
    dem = sup.sample(5, random_state=7)
    return dem, sup, _euclidean(dem, sup), _euclidean(dem, dem)


def test_fixture_fca_ratio(grid_case):
    from access import weights  # noqa: F401  (access importable: test-only dependency)

    dem, sup, cost, nb = grid_case
    for max_cost, expected in [(10.0, 25 / 5), (0.9, 1.0)]:
        res = accessibility(
            sup,
            dem,
            cost=cost,
            method="fca",
            minutes=max_cost,
            supply_col="value",
            weight_col="value",
            per_1000=False,
            neighbor_cost=nb,
        )
        mine = res.points["accessible_per_person"]
        a = _access(dem, sup, cost, neighbor_cost=nb)
        ref = a.fca_ratio(name="f", max_cost=max_cost)["f_s"]
        _close(mine, ref)
        assert (mine == expected).all()
    # per 1,000: the same ratio × 1000
    res = accessibility(
        sup,
        dem,
        cost=cost,
        method="fca",
        minutes=0.9,
        supply_col="value",
        weight_col="value",
        neighbor_cost=nb,
    )
    assert (res.points["accessible_per_1000"] == 1000).all()


def test_fixture_3sfca_and_2sfca_family(grid_case):
    from access import weights

    dem, sup, cost, _ = grid_case
    a = _access(dem, sup, cost)
    for max_cost, expected in [(10.0, 5.0), (0.9, 1.0)]:
        ref = a.three_stage_fca(name="t", max_cost=max_cost, weight_fn=weights.step_fn({10: 25}))["t_s"]
        with warnings.catch_warnings():
            # at 0.9 the 20 grid cells without demand point have no demand in reach (reported)
            warnings.simplefilter("ignore", DataWarning)
            res = accessibility(
                sup,
                dem,
                cost=cost,
                method="3sfca",
                minutes=max_cost,
                weights={10: 25},
                supply_col="value",
                weight_col="value",
                per_1000=False,
                selection_minutes=math.inf,
            )
        assert (res.problems["problem"] == "no_demand_in_reach").sum() == (20 if max_cost < 1 else 0)
        _close(res.points["accessible_per_person"], ref)
        assert res.points["accessible_per_person"].to_numpy() == pytest.approx(expected, rel=1e-12)


def test_fixture_weighted_catchment():
    from access import weights

    sup = _grid()
    dem = sup.sample(1, random_state=3)
    cost = _euclidean(dem, sup)
    for catchment, weight, expected in [(0.5, 1.0, 1.0), (0.5, 0.5, 0.5), (10.0, 1.0, 25.0)]:
        res = accessibility(
            sup,
            dem,
            cost=cost,
            method="weighted_catchment",
            minutes=10,
            weights={catchment: weight},
            supply_col="value",
            weight_col="value",
        )
        ref = _access(dem, sup, cost).weighted_catchment(name="w", weight_fn=weights.step_fn({catchment: weight}))
        _close(res.points["weighted_supply"], ref["w_s"])
        assert res.points["weighted_supply"].iloc[0] == expected
    # test_weighted_catchment_with_gravity_weights: every grid point, gravity(scale=60, alpha=1)
    cost = _euclidean(sup, sup)
    res = accessibility(
        sup,
        sup,
        cost=cost,
        method="weighted_catchment",
        minutes=10,
        weights=gravity_weights(60, 1),
        supply_col="value",
        weight_col="value",
    )
    expected = {1: 1.322340210, 5: 1.322340210, 13: 0.780985109, 19: 0.925540119, 24: 1.133733026}
    got = res.points["weighted_supply"]
    for i, v in expected.items():
        assert got[i] == pytest.approx(v, rel=1e-8)
    ref = _access(sup, sup, cost).weighted_catchment(name="g", weight_fn=weights.gravity(scale=60, alpha=1))
    _close(got, ref["g_s"])


@pytest.mark.parametrize("kw", [{}, {"initial_step": 1}, {"min_step": 1}])
def test_fixture_raam_single_demand_location(kw):
    sup = _grid()
    dem = sup.sample(1, random_state=11)
    cost = _euclidean(dem, sup)
    res = accessibility(sup, dem, cost=cost, method="raam", minutes=10, supply_col="value", weight_col="value", **kw)
    ref = _access(dem, sup, cost).raam(name="r", **kw)["r_s"]
    _close(res.points["raam_cost"], ref)
    assert res.points["raam_cost"].iloc[0] == 25  # access: equals the sum of supply
    assert res.params["raam_converged"] and res.params["raam_cycles"] == 21


def _hospital():
    """test_hospital_example.py: three tracts, four travel scenarios."""
    tracts = gpd.GeoDataFrame({"pop": [100.0, 50.0, 10.0], "doc": [15.0, 20.0, 100.0]},
                              geometry=[Point(0, 0), Point(1, 0), Point(2, 0)], crs=CRS,
                              index=pd.Index([1, 2, 3], name="geoid"))
    base = [(1, 1), (2, 2), (3, 3), (1, 3), (2, 3), (3, 1), (3, 2), (1, 2), (2, 1)]
    times = [[1, 1, 1, 40, 40, 40, 40, 80, 80], [1, 1, 1, 20, 20, 40, 40, 80, 80],
             [1, 1, 1, 40, 40, 20, 20, 80, 80], [1, 1, 1, 20, 20, 20, 20, 40, 40]]
    costs = [pd.DataFrame({"origin": [o for o, _ in base], "destination": [d for _, d in base],
                           "minutes": np.array(t, dtype=float)}) for t in times]
    return tracts, costs


def _simple_2sfca(cost: pd.DataFrame, supply: dict, demand: dict, three_stage: bool = False, max_travel: float = 61):
    """access's test_hospital_example.simple_2sfca (gravity 1/t), by hand."""
    od = cost.pivot_table(index="origin", columns="destination", values="minutes")
    locs = list(od.index)
    w = 1 / od
    god = od.copy()
    if three_stage:
        g = w.div(w.sum(axis=1), axis=0)
        god = od / g
    d = {h: sum(demand[r] / god.loc[r, h] for r in locs if od.loc[r, h] < max_travel) for h in locs}
    r = {h: supply[h] / d[h] for h in locs}
    return {i: sum(r[h] / god.loc[i, h] for h in locs if od.loc[i, h] < max_travel) for i in locs}


@pytest.mark.parametrize("scenario", [0, 1, 2, 3])
def test_fixture_hospital_gravity_and_3sfca(scenario):
    from access import weights

    tracts, costs = _hospital()
    cost = costs[scenario]
    a = _access(tracts, tracts, cost, demand_col="pop", supply_col="doc")
    ref2 = a.two_stage_fca(name="g", weight_fn=weights.gravity(1, -1), max_cost=61)["g_s"]
    ref3 = a.three_stage_fca(name="t", weight_fn=weights.gravity(1, -1), max_cost=61)["t_s"]
    common = dict(cost=cost, minutes=61, supply_col="doc", weight_col="pop", per_1000=False)
    grav = accessibility(
        tracts,
        tracts,
        method="gravity",
        gravity_scale_minutes=1,
        gravity_alpha=-1,
        gravity_min_minutes=0,
        **common,
    )
    three = accessibility(
        tracts,
        tracts,
        method="3sfca",
        weights=gravity_weights(1, -1),
        selection_minutes=math.inf,
        **common,
    )
    _close(grav.points["accessible_per_person"], ref2)
    _close(three.points["accessible_per_person"], ref3)
    hand2 = _simple_2sfca(cost, tracts["doc"].to_dict(), tracts["pop"].to_dict())
    hand3 = _simple_2sfca(cost, tracts["doc"].to_dict(), tracts["pop"].to_dict(), three_stage=True)
    assert grav.points["accessible_per_person"].to_dict() == pytest.approx(hand2, rel=1e-12)
    assert three.points["accessible_per_person"].to_dict() == pytest.approx(hand3, rel=1e-12)
    # Wan et al.'s selection weights within the catchment differ from access's (all pairs)
    # exactly when a pair beyond the catchment (80 min) has a weight
    wan = accessibility(tracts, tracts, method="3sfca", weights=gravity_weights(1, -1), **common)
    differs = not np.allclose(wan.points["accessible_per_person"], three.points["accessible_per_person"])
    assert differs == (cost["minutes"] > 61).any()


# --------------------------------------------------------------------------------------------
# random instances, integer minutes: pairs exactly on the cutoff and on the step bounds
# --------------------------------------------------------------------------------------------
def _random_case(seed: int, nd: int = 40, ns: int = 8, zero_supply: bool = True):
    rng = np.random.default_rng(seed)
    dem = gpd.GeoDataFrame(
        {"name": [f"村{i}" for i in range(nd)], "elderly": rng.integers(1, 800, nd).astype(float)},
        geometry=gpd.points_from_xy(rng.uniform(0, 1e4, nd), rng.uniform(0, 1e4, nd)), crs=CRS,
        index=pd.Index(rng.permutation(np.arange(100, 100 + nd)), name="vid"),
    )
    low = 0 if zero_supply else 1
    # supply indexed 0..ns-1: access breaks RAAM ties in its (set) order of the labels, ascending here
    sup = gpd.GeoDataFrame(
        {"name": [f"院{j}" for j in range(ns)], "beds": rng.integers(low, 300, ns).astype(float)},
        geometry=gpd.points_from_xy(rng.uniform(0, 1e4, ns), rng.uniform(0, 1e4, ns)), crs=CRS,
        index=pd.RangeIndex(ns, name="sid"),
    )
    cost = pd.DataFrame({"origin": np.repeat(dem.index.to_numpy(), ns), "destination": np.tile(sup.index, nd),
                         "minutes": rng.integers(0, 70, nd * ns).astype(float)}).sample(frac=0.7, random_state=seed)
    nb = pd.DataFrame({"origin": np.repeat(dem.index.to_numpy(), nd), "destination": np.tile(dem.index, nd),
                       "minutes": rng.integers(0, 70, nd * nd).astype(float)})
    nb = nb[nb["origin"] != nb["destination"]].sample(frac=0.6, random_state=seed)
    nb_self = pd.DataFrame({"origin": dem.index, "destination": dem.index, "minutes": 0.0})
    return dem, sup, cost, pd.concat([nb, nb_self], ignore_index=True)


def _within(cost: pd.DataFrame, t: float) -> pd.DataFrame:
    return cost[cost["minutes"] <= t]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_3sfca_equals_access_random(seed):
    from access import weights

    dem, sup, cost, _ = _random_case(seed)
    a = _access(dem, sup, cost, demand_col="elderly", supply_col="beds")
    # access's default steps {10: .962, 20: .704, 30: .377, 60: .042} = mzgeo's default at 60 minutes
    ref = a.three_stage_fca(name="d", max_cost=60)["d_s"] * 1000
    res = accessibility(sup, dem, cost=cost, method="3sfca", minutes=60)
    _close(res.points["accessible_per_1000"], ref)
    assert res.params["weights"] == {"≤10分钟": 0.962, "≤20分钟": 0.704, "≤30分钟": 0.377, "≤60分钟": 0.042}
    # custom steps on a 30-minute catchment (bounds 10, 20, 30 hit exactly by integer minutes)
    steps = {10: 1.0, 20: 0.6, 30: 0.25}
    ref = _access(dem, sup, _within(cost, 30), demand_col="elderly", supply_col="beds").three_stage_fca(
        name="c", max_cost=30, weight_fn=weights.step_fn(steps))["c_s"] * 1000
    res = accessibility(sup, dem, cost=cost, method="3sfca", minutes=30, weights=steps)
    mine = res.points["accessible_per_1000"]
    _close(mine, ref)
    assert (mine[~mine.index.isin(ref.dropna().index)] == 0).all()
    # 3SFCA keeps the supply: Σ demand × access = Σ supply of facilities with demand in reach
    reached = res.supply["catchment_demand"] > 0
    assert (res.points["demand"] * mine / 1000).sum() == pytest.approx(res.supply.loc[reached, "supply"].sum())


@pytest.mark.parametrize(("seed", "alpha", "t0"), [(0, -1.0, 1.0), (1, -2.0, 5.0), (2, -0.5, 0.5)])
def test_gravity_equals_access_random(seed, alpha, t0):
    from access import weights

    dem, sup, cost, _ = _random_case(seed)
    res = accessibility(sup, dem, cost=cost, method="gravity", minutes=45, gravity_alpha=alpha, gravity_min_minutes=t0)
    ref = _access(dem, sup, cost, demand_col="elderly", supply_col="beds").two_stage_fca(
        name="g", max_cost=45, weight_fn=weights.gravity(45, alpha, t0))["g_s"] * 1000
    _close(res.points["accessible_per_1000"], ref)
    assert res.params["gravity_scale_minutes"] == 45
    # the scale cancels out of the ratio
    other = accessibility(
        sup,
        dem,
        cost=cost,
        method="gravity",
        minutes=45,
        gravity_alpha=alpha,
        gravity_min_minutes=t0,
        gravity_scale_minutes=7,
    )
    np.testing.assert_allclose(other.points["accessible_per_1000"], res.points["accessible_per_1000"], rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fca_equals_access_random(seed):
    dem, sup, cost, nb = _random_case(seed)
    res = accessibility(sup, dem, cost=cost, method="fca", minutes=30, neighbor_cost=nb)
    ref = _access(dem, sup, cost, neighbor_cost=nb, demand_col="elderly", supply_col="beds").fca_ratio(
        name="f", max_cost=30)["f_s"] * 1000
    _close(res.points["accessible_per_1000"], ref)
    # by hand for one point
    i = dem.index[0]
    near = nb[(nb["origin"] == i) & (nb["minutes"] <= 30)]["destination"]
    reach = cost[(cost["origin"] == i) & (cost["minutes"] <= 30)]["destination"]
    hand = sup.loc[reach, "beds"].sum() / dem.loc[near.unique(), "elderly"].sum() * 1000
    assert res.points.loc[i, "accessible_per_1000"] == pytest.approx(hand, rel=1e-12)
    assert res.points.loc[i, "demand_within"] == dem.loc[near.unique(), "elderly"].sum()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_catchment_equals_access_random(seed):
    from access import weights

    dem, sup, cost, _ = _random_case(seed)
    steps = {10: 1.0, 20: 0.68, 30: 0.22}
    res = accessibility(sup, dem, cost=cost, method="weighted_catchment", minutes=30, weights=steps)
    a = _access(dem, sup, cost, demand_col="elderly", supply_col="beds")
    _close(res.points["weighted_supply"], a.weighted_catchment(name="w", max_cost=30,
                                                               weight_fn=weights.step_fn(steps))["w_s"])
    plain = accessibility(sup, dem, cost=cost, method="weighted_catchment", minutes=30)
    _close(plain.points["weighted_supply"], a.weighted_catchment(name="p", max_cost=30)["p_s"])
    # unweighted = the supply within the catchment
    np.testing.assert_array_equal(plain.points["weighted_supply"], plain.points["supply_within"])
    gauss = accessibility(sup, dem, cost=cost, method="weighted_catchment", minutes=30, sigma_minutes=12)
    _close(gauss.points["weighted_supply"], a.weighted_catchment(name="q", max_cost=30,
                                                                 weight_fn=weights.gaussian(12))["q_s"])


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("kw", [{}, {"tau": 30}, {"initial_step": 5, "tau": 20}, {"max_cycles": 10, "half_life": 5}])
def test_raam_equals_access_random(seed, kw):
    dem, sup, cost, _ = _random_case(seed, zero_supply=False)
    res = accessibility(sup, dem, cost=cost, method="raam", minutes=40, **kw)
    ref = _access(dem, sup, _within(cost, 40), demand_col="elderly", supply_col="beds").raam(name="r", **kw)["r_s"]
    mine = res.points["raam_cost"]
    _close(mine, ref)
    # no value where access has none (no facility within the catchment)
    assert mine.isna().equals(ref.reindex(mine.index).isna())
    np.testing.assert_allclose(res.points["raam_minutes"], mine * kw.get("tau", 60))
    # the assignment keeps every person: assigned demand sums to the demand that reaches a facility
    assert res.supply["assigned_demand"].sum() == res.points.loc[mine.notna(), "demand"].sum()


def test_raam_convergence_reported():
    dem, sup, cost, _ = _random_case(3, zero_supply=False)
    res = accessibility(sup, dem, cost=cost, method="raam", minutes=40)
    p = res.params
    assert p["raam_converged"] is True and p["raam_moved_last_cycle"] == 0
    assert 20 < p["raam_cycles"] < p["max_cycles"] == 150
    assert p["raam_final_step"] == pytest.approx(max(0.2 * 0.5 ** ((p["raam_cycles"] - 1) / 50), 0.005))
    short = accessibility(sup, dem, cost=cost, method="raam", minutes=40, max_cycles=5)
    assert short.params["raam_converged"] is False and short.params["raam_cycles"] == 5
    assert short.params["raam_moved_last_cycle"] > 0
    # the parameters sheet names them in Chinese
    from mzgeo.report import params_frame

    pf = params_frame(short.params).set_index("参数")
    assert pf.loc["raam_converged", "说明"] == "RAAM 是否收敛（一轮内无人调整）"


def test_raam_core_hand_case():
    # two points, one facility each in reach of both: 100 persons, capacities 60/40 (ρ = 1)
    rows = np.array([0, 0, 1, 1])
    cols = np.array([0, 1, 0, 1])
    travel = np.array([0.0, 0.0, 0.0, 0.0])
    out = raam_assignment(rows, cols, travel, np.array([50.0, 50.0]), np.array([60.0, 40.0]))
    # equal travel: congestion equalised, 60 : 40 split, cost = 100/100 = 1 everywhere
    assert out["demand_at_supply"].tolist() == [60.0, 40.0]
    assert out["cost"] == pytest.approx([1.0, 1.0])
    assert out["converged"]


# --------------------------------------------------------------------------------------------
# result contract, errors
# --------------------------------------------------------------------------------------------
def _toy_units():
    units = gpd.GeoDataFrame(
        {"code": ["T1", "T2"], "name": ["河西镇", "河东镇"], "level": ["乡镇街道"] * 2,
         "parent_code": ["C", "C"], "elderly": [1000, 1000]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs=CRS,
    )
    villages = gpd.GeoDataFrame({"name": ["西村", "东村", "北村"], "elderly": [600.0, 1000.0, 400.0]},
                                geometry=[Point(100, 500), Point(1100, 500), Point(200, 900)], crs=CRS)
    inst = gpd.GeoDataFrame({"name": ["敬老院", "福利院"], "beds": [100.0, 30.0]},
                            geometry=[Point(950, 500), Point(1500, 500)], crs=CRS)
    cost = pd.DataFrame({"origin": [0, 1, 1, 0], "destination": [0, 0, 1, 1], "minutes": [25.0, 10.0, 5.0, 30.0]})
    return units, villages, inst, cost


@pytest.mark.parametrize("method", ["3sfca", "gravity", "weighted_catchment", "raam"])
def test_result_contract_excel_gpkg_by_unit(tmp_path, method):
    units, villages, inst, cost = _toy_units()
    res = accessibility(inst, villages, cost=cost, method=method, minutes=30, units=units)
    assert res.params["method"] == ALL_METHODS[method]
    by = res.by_unit(level="乡镇街道").set_index("code")
    v = res.points[res.value_col]
    # the township of 西村 and 北村: demand-weighted over the points with a value (北村 reaches nothing)
    known = v.iloc[[0, 2]].notna() & np.isfinite(v.iloc[[0, 2]])
    d = villages["elderly"].iloc[[0, 2]]
    expect = (d * v.iloc[[0, 2]].fillna(0))[known].sum() / d[known].sum()
    assert by.loc["T1", res.value_col] == pytest.approx(expect)
    assert by.loc["T1", "demand_no_access"] == 400
    if method == "raam":
        assert np.isnan(v.iloc[2])  # no facility in reach: no cost
    elif method == "weighted_catchment":
        assert res.comparison is None
    else:
        assert res.comparison is not None and "verdict" in res.comparison
    path = res.to_excel(tmp_path / f"{method}.xlsx")
    wb = openpyxl.load_workbook(path)
    assert "需求点可达性" in wb.sheetnames and "分区可达性" in wb.sheetnames
    headers = [c.value for c in wb["需求点可达性"][1]]
    assert LABELS[res.value_col] in headers
    res.to_gpkg(tmp_path / f"{method}.gpkg")
    assert gpd.read_file(tmp_path / f"{method}.gpkg", layer="access_points")[res.value_col].notna().sum() >= 2


def test_bad_options_are_clear_errors():
    dem, sup, cost, nb = _random_case(0)
    with pytest.raises(InputError, match="tau"):
        accessibility(sup, dem, cost=cost, method="2sfca", tau=30)
    with pytest.raises(InputError, match="gravity_alpha"):
        accessibility(sup, dem, cost=cost, method="raam", gravity_alpha=-2)
    with pytest.raises(InputError, match="neighbor_cost"):
        accessibility(sup, dem, cost=cost, method="fca")
    with pytest.raises(InputError, match="weights"):
        accessibility(sup, dem, cost=cost, method="raam", weights={10: 1})
    with pytest.raises(InputError, match="gravity_min_minutes"):  # 0-minute pairs with t0 = 0: infinite weight
        accessibility(sup, dem, cost=cost, method="gravity", gravity_min_minutes=0)
    with pytest.raises(InputError, match="tau"):
        accessibility(sup, dem, cost=cost, method="raam", tau=0)
    with pytest.raises(InputError, match="selection_minutes"):
        accessibility(sup, dem, cost=cost, method="3sfca", minutes=30, selection_minutes=10)
    with pytest.raises(InputError, match="raam"):
        accessibility(sup, dem, cost=cost, method="raam2")
    with pytest.raises(InputError, match="未知"):
        compare_methods(sup, dem, cost=cost, methods=["2sfca", "xyz"])
    before = cost.copy()
    accessibility(sup, dem, cost=cost, method="3sfca", minutes=30, selection_minutes=math.inf)
    pd.testing.assert_frame_equal(cost, before)  # inputs never modified (access's 3SFCA mutates its cost_df)


# --------------------------------------------------------------------------------------------
# compare_methods on the demo
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_cmp():
    """One county of the demo (德清县): villages, institutions, township units, drive network."""
    from mzgeo.network import Network

    demo = mzgeo.load_demo()
    county = "330521"
    towns = demo.units_township[demo.units_township["parent_code"] == county]
    units = pd.concat([towns, demo.units_county[demo.units_county["code"] == county]], ignore_index=True)
    villages = demo.villages[demo.villages["county_code"] == county]
    inst = demo.institutions[demo.institutions["unit_code"].str[:6] == county]
    drive = Network.from_lines(demo.roads, mode="drive")
    cmp = compare_methods(inst, villages, network=drive, minutes=30, units=units)
    return cmp, inst, villages, units, drive


def test_compare_methods_demo(demo_cmp, tmp_path):
    cmp, inst, villages, units, drive = demo_cmp
    assert isinstance(cmp, MethodComparison)
    assert cmp.methods == list(ALL_METHODS)  # with a network: fca included
    tab = cmp.table
    towns = tab[tab["level"] == "乡镇街道"]
    n = len(towns)
    assert n == (units["level"] == "乡镇街道").sum()
    # values are those of accessibility() on the same inputs
    one = accessibility(inst, villages, network=drive, method="e2sfca", minutes=30, units=units)
    np.testing.assert_allclose(tab["value_e2sfca"], one.by_unit().set_index("code")["accessible_per_1000"]
                               .reindex(tab.index), rtol=1e-12)
    # ranks within the level: 1 = best, RAAM (a cost) ascending
    for m in cmp.methods:
        r = towns[f"rank_{m}"].astype(float)
        assert r.min() == 1 and r.max() <= n
        best = towns[f"value_{m}"].idxmin() if m == "raam" else towns[f"value_{m}"].idxmax()
        assert r[best] == 1
    ranks = towns[[f"rank_{m}" for m in cmp.methods]].astype(float)
    np.testing.assert_array_equal(towns["rank_range"], ranks.max(axis=1) - ranks.min(axis=1))
    # coefficient of variation of the normalised values, recomputed
    norm = towns[[f"norm_{m}" for m in cmp.methods]].astype(float)
    np.testing.assert_allclose(towns["norm_cv"], norm.std(axis=1, ddof=0) / norm.mean(axis=1), rtol=1e-12)
    d = towns["demand_total"]
    v = towns["value_2sfca"]
    np.testing.assert_allclose(towns["norm_2sfca"], v / ((v * d).sum() / d.sum()), rtol=1e-12)
    # target status: meets_<m> for the six ratio methods; status_changes where they disagree
    meets = towns[[f"meets_{m}" for m in ("2sfca", "e2sfca", "g2sfca", "3sfca", "gravity", "fca")]].astype(bool)
    np.testing.assert_array_equal(towns["status_changes"], meets.any(axis=1) & ~meets.all(axis=1))
    assert (towns["n_methods_meeting"] == meets.sum(axis=1)).all()
    assert len(cmp.status_changes) == int(tab["status_changes"].sum())
    assert "raam_converged" in cmp.params and cmp.params["raam_cycles"] >= 1
    # one map layer per method, usable by maps.choropleth
    lay = cmp.layer("3sfca")
    assert isinstance(lay, gpd.GeoDataFrame) and lay.crs == units.crs and len(lay) == len(units)
    assert {"accessible_per_1000", "access_rank", "access_norm", "meets_target"} <= set(lay.columns)
    m = mzgeo.maps.choropleth(lay[lay["level"] == "乡镇街道"], "accessible_per_1000", target=37.5, title="3SFCA")
    assert "3SFCA" in m.get_root().render()
    assert set(cmp.layers()) == {f"access_{k}" for k in cmp.methods} | {"access_comparison"}
    # workbook: one sheet per method + 比较, Chinese headers
    wb = openpyxl.load_workbook(cmp.to_excel(tmp_path / "比较.xlsx"))
    for sheet in ("2SFCA", "E2SFCA", "G2SFCA", "3SFCA", "引力模型", "FCA比值", "加权服务量", "RAAM", "比较"):
        assert sheet in wb.sheetnames
    headers = [c.value for c in wb["比较"][1]]
    for col in ("rank_3sfca", "norm_raam", "rank_range", "norm_cv", "status_changes", "meets_fca"):
        assert LABELS[col] in headers
    assert LABELS["raam_cost"] in [c.value for c in wb["RAAM"][1]]


def test_compare_methods_points_and_subset():
    dem, sup, cost, nb = _random_case(1, zero_supply=False)
    before = (dem.copy(), sup.copy(), cost.copy())
    assert mzgeo.compare_methods is compare_methods  # public, lazily imported
    cmp = compare_methods(sup, dem, cost=cost, minutes=30, methods=["2sfca", "raam"], options={"raam": {"tau": 30}})
    for a, b in zip(before, (dem, sup, cost), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert cmp.methods == ["2sfca", "raam"]
    tab = cmp.table
    assert len(tab) == len(dem) and (tab["level"] == "需求点").all()
    assert cmp.results["raam"].params["tau"] == 30
    assert "meets_2sfca" in tab and "meets_raam" not in tab
    # without demand-to-demand costs the default set leaves fca out
    assert "fca" not in compare_methods(sup, dem, cost=cost, minutes=30).methods
    assert "fca" in compare_methods(sup, dem, cost=cost, minutes=30, neighbor_cost=nb).methods
