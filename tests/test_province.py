"""Tests of the synthetic test province :func:`mzgeo.demo.build_province` (issue 14)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import mzgeo
from mzgeo import InputError
from mzgeo import _province as gen
from mzgeo.demo import Province, build_province, load_demo

TWO = ["330502", "330521"]  # 吴兴区, 德清县 (the first two in the build order; neighbours)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("province_cache")


@pytest.fixture(scope="module")
def prov(cache_dir: Path) -> Province:
    return build_province(2, folder=cache_dir)


@pytest.fixture(scope="module")
def walk(prov: Province) -> mzgeo.Network:
    return mzgeo.Network.from_lines(prov.roads, mode="walk", cache=False)


def _same_layers(a: Province, b: Province) -> None:
    assert list(a) == list(b)
    for name in a:
        fa, fb = a[name], b[name]
        assert len(fa) == len(fb), name
        pd.testing.assert_frame_equal(
            pd.DataFrame(fa.drop(columns="geometry")).astype(object).where(fa.drop(columns="geometry").notna(), None),
            pd.DataFrame(fb.drop(columns="geometry")).astype(object).where(fb.drop(columns="geometry").notna(), None),
            check_dtype=False, obj=name,
        )
        assert (shapely.to_wkb(fa.geometry.values) == shapely.to_wkb(fb.geometry.values)).all(), name


# --- selection -----------------------------------------------------------------------------

def test_scale_selects_counties_in_a_fixed_order() -> None:
    codes = gen.select_counties(1.0)
    assert len(codes) == 90 and len(set(codes)) == 90
    assert codes[:2] == TWO
    assert gen.select_counties(1) == ["330502"]
    assert gen.select_counties(4) == codes[:4]
    assert gen.select_counties(0.5) == codes[:45]
    assert gen.select_counties(["德清县", "330502"]) == TWO  # names or codes, build order
    for bad in (0, 91, 0.0, 1.5, True, ["不存在县"], []):
        with pytest.raises(InputError):
            gen.select_counties(bad)
    with pytest.raises(InputError):
        build_province(1, density=0, cache=False)


# --- real boundaries -----------------------------------------------------------------------

def test_all_zhejiang_counties_are_real_and_tile_the_province() -> None:
    counties, cities, province = gen.real_units()
    assert len(counties) == 90  # Zhejiang's county-level units (区县, 2021 onwards)
    assert counties["code"].str.startswith("33").all()
    assert {"吴兴区", "嵊泗县", "龙港市", "景宁畲族自治县", "钱塘区"} <= set(counties["name"])
    assert len(cities) == 11
    area = province.area
    assert 100_000e6 < area < 110_000e6  # Zhejiang: about 105,500 km² of land
    geoms = counties.geometry.values
    assert abs(shapely.area(geoms).sum() / area - 1) < 0.003
    union = shapely.union_all(geoms)
    assert shapely.symmetric_difference(union, province).area / area < 0.003
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = i < j
    overlap = shapely.area(shapely.intersection(geoms[i[keep]], geoms[j[keep]])).sum()
    assert overlap / area < 0.001


def test_county_polygons_match_the_huzhou_demo() -> None:
    """Same source, same GCJ-02 conversion as data/build_demo.py: the committed demo counties."""
    counties = gen.real_units()[0].set_index("code")
    demo = load_demo().units_county.set_index("code")
    for code in ["330502", "330503", "330521", "330522", "330523"]:
        a, b = counties.geometry[code], demo.geometry[code]
        assert shapely.symmetric_difference(a, b).area / b.area < 1e-6, code


# --- the build -----------------------------------------------------------------------------

def test_layers_columns_and_kinds(prov: Province) -> None:
    demo = load_demo()
    assert prov.codes == TWO
    assert prov.units_county["name"].tolist() == ["吴兴区", "德清县"]
    for name in prov:
        frame = prov[name]
        assert frame.crs.to_epsg() == 4549
        assert frame.attrs["mzgeo_kind"] == demo[name].attrs["mzgeo_kind"]
        missing = set(demo[name].columns) - set(frame.columns) - {"in_huzhou", "adjacent", "备注"}
        assert not missing, (name, missing)
    v = prov.villages
    assert v["code"].is_unique and (v["elderly"] <= v["population"]).all() and (v["population"] > 0).all()
    assert set(v["village_type"]) == {"村", "社区"}
    assert (prov.shelters["capacity"] > 0).all() and (prov.institutions["beds"] > 0).all()
    assert set(prov.roads["road_class"]) <= set(mzgeo.settings.drive_speed_kph)
    # totals add up from the villages
    by_county = v.groupby("county_code")["population"].sum()
    assert prov.units_county.set_index("code")["population"].astype(int).to_dict() == by_county.to_dict()
    beds_per_1000 = prov.institutions["beds"].sum() / v["elderly"].sum() * 1000
    assert 30 < beds_per_1000 < 45
    assert prov.meta["rows"]["villages"] == len(v)
    assert prov.meta["bytes"]["province.gpkg"] == (prov.folder / "province.gpkg").stat().st_size


def test_townships_tile_their_county_and_villages_lie_inside(prov: Province) -> None:
    county = prov.units_county.set_index("code").geometry
    tw = prov.units_township
    for code, group in tw.groupby("parent_code"):
        assert abs(shapely.area(group.geometry.values).sum() / county[code].area - 1) < 1e-6
    v = prov.villages
    assert shapely.covered_by(v.geometry.values, county[v["county_code"]].values).all()
    tgeom = tw.set_index("code").geometry
    d = shapely.distance(v.geometry.values, tgeom[v["unit_code"]].values)
    assert (d < 1e-6).all()
    assert (v["unit_code"].str[:6] == v["county_code"]).all()


def test_deterministic_and_cached(prov: Province, cache_dir: Path, tmp_path: Path) -> None:
    again = build_province(2, folder=tmp_path)  # a fresh build into another folder
    _same_layers(prov, again)
    assert (tmp_path / prov.folder.name / "province.gpkg").read_bytes() == (prov.folder / "province.gpkg").read_bytes()
    cached = build_province(["吴兴区", "德清县"], folder=cache_dir)  # same key: read back
    assert cached.folder == prov.folder
    _same_layers(prov, cached)
    assert not [p for p in cache_dir.iterdir() if p.name.startswith(".")]  # no temporary folders left
    other = build_province(2, seed=1, cache=False)
    assert not np.array_equal(shapely.get_coordinates(other.villages.geometry.values),
                              shapely.get_coordinates(prov.villages.geometry.values))


def test_a_county_does_not_depend_on_the_selection(prov: Province) -> None:
    one = build_province(1, cache=False)
    mine = prov.villages[prov.villages["county_code"] == "330502"].reset_index(drop=True)
    assert len(one.villages) == len(mine)
    assert one.villages["code"].tolist() == mine["code"].tolist()
    assert shapely.equals_exact(one.villages.geometry.values, mine.geometry.values, 0).all()
    assert one.units_township["name"].tolist() == prov.units_township.iloc[: len(one.units_township)]["name"].tolist()


def test_huzhou_block_has_the_demo_density() -> None:
    hz = build_province(["吴兴区", "南浔区", "德清县", "长兴县", "安吉县"], cache=False)
    demo = load_demo()
    assert abs(len(hz.villages) / len(demo.villages) - 1) < 0.1
    assert abs(len(hz.units_township) / len(demo.units_township) - 1) < 0.15
    # (the demo's Huzhou is sparser than Zhejiang's mean of ~620 people/km², which the build targets)
    assert abs(hz.villages["population"].sum() / demo.villages["population"].sum() - 1) < 0.3
    net = mzgeo.Network.from_lines(hz.roads, mode="walk", cache=False)
    ref = mzgeo.Network.from_lines(demo.roads, mode="walk", cache=False)
    assert 0.75 < net.n_nodes / ref.n_nodes < 1.3
    assert net.n_components == 1


# --- roads ---------------------------------------------------------------------------------

def test_roads_connected_within_and_across_counties(prov: Province, walk: mzgeo.Network) -> None:
    assert walk.n_components == 1
    drive = mzgeo.Network.from_lines(prov.roads, mode="drive", cache=False)
    assert drive.n_components == 1
    roads = prov.roads
    county = prov.units_county.set_index("code").geometry
    a, b = county["330502"].buffer(-50), county["330521"].buffer(-50)
    crossing = shapely.intersects(roads.geometry.values, a) & shapely.intersects(roads.geometry.values, b)
    classes = set(roads.loc[crossing, "road_class"])
    assert {"国道", "高速公路"} & classes and "乡道" in classes  # highways and local border roads
    # every village of one county reaches every village of the other
    v = prov.villages
    va = v[v["county_code"] == "330502"].iloc[::20]
    vb = v[v["county_code"] == "330521"].iloc[::20]
    od = drive.od(vb, va, cutoff_minutes=float("inf"))
    assert len(od.table) == len(va) * len(vb)
    assert od.table["minutes"].between(1, 300).all()


def test_cross_border_routing_needs_the_border_roads(prov: Province) -> None:
    """Without the roads that cross the border, the two counties fall apart."""
    county = prov.units_county.set_index("code").geometry
    border = shapely.intersects(prov.roads.geometry.values, county["330502"].buffer(-1)) & shapely.intersects(
        prov.roads.geometry.values, county["330521"].buffer(-1))
    cut = mzgeo.Network.from_lines(prov.roads[~border], mode="walk", cache=False)
    assert cut.n_components >= 2


def test_analyses_run_on_a_two_county_build(prov: Province, walk: mzgeo.Network) -> None:
    res = mzgeo.coverage(prov.shelters, prov.villages, network=walk, minutes=10)
    near = walk.nearest(prov.shelters, prov.villages)
    covered = prov.villages.loc[near.index[near["minutes"] <= 10], "elderly"].sum()
    assert res.headline.startswith("10 分钟内可达设施的需求 " + f"{covered:,}")
    assert 0.3 < covered / prov.villages["elderly"].sum() < 1.0
    by_county = res.by_unit(prov.units_county)
    rows = by_county[by_county["level"] == "区县"]
    assert rows["code"].tolist() == TWO
    assert rows["demand_covered"].sum() == covered
    drive = mzgeo.Network.from_lines(prov.roads, mode="drive", cache=False)
    od = drive.od(prov.institutions, prov.villages, cutoff_minutes=30)
    assert od.table["minutes"].le(30).all() and od.table["origin"].nunique() > 0.9 * len(prov.villages)
    acc = mzgeo.accessibility(prov.institutions, prov.villages, network=drive, cost=None, minutes=30)
    # 2SFCA hands out every bed of a facility with demand in reach: sum_i A_i D_i / 1000 = sum_j S_j
    pts, sup = acc.points, acc.supply
    handed = (pts["accessible_per_1000"] * pts["demand"]).sum() / 1000
    assert handed == pytest.approx(sup.loc[sup["catchment_demand"] > 0, "supply"].sum(), rel=1e-9)


def test_units_are_geodataframes(prov: Province) -> None:
    assert all(isinstance(prov[n], gpd.GeoDataFrame) for n in prov)
    assert "浙江示例省份" in repr(prov)
