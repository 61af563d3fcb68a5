"""三沿五区 check on hand-placed graves, and cemetery coverage of townships."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from mzgeo import CRSError, DataWarning, InputError
from mzgeo.analysis.burial import burial_zone_check, cemetery_coverage

pytestmark = pytest.mark.filterwarnings("error")

CRS = 4549


@pytest.fixture
def graves() -> gpd.GeoDataFrame:
    pts = {
        "g1": (500, 200),    # 200 m from the railway: on the buffer edge -> in
        "g2": (500, 201),    # 201 m: out
        "g3": (1050, 300),   # 50 m from national road G318
        "g4": (3000, 500),   # on a village road: not a 三沿 line
        "g5": (2300, 700),   # in the water-source protection area
        "g6": (400, 1200),   # in the scenic area
        "g7": (4050, 1900),  # 50 m from the main river, 100 m from the expressway
        "g8": (4600, 1600),  # in basic farmland (no-burial zone, not one of the 五区)
    }
    return gpd.GeoDataFrame(
        {"grave_id": list(pts), "village": ["甲村"] * 3 + ["乙村"] * 2 + ["丙村"] * 3,
         "unit_code": ["T1"] * 5 + ["T2"] * 3},
        geometry=[Point(*xy) for xy in pts.values()], crs=CRS,
    )


@pytest.fixture
def lines():
    rail = gpd.GeoDataFrame({"name": ["宣杭铁路"]}, geometry=[LineString([(-1000, 0), (5000, 0)])], crs=CRS)
    roads = gpd.GeoDataFrame(
        {"name": ["G318", "村道", "申苏浙皖高速"], "road_class": ["国道", "村道", "高速公路"]},
        geometry=[LineString([(1000, -1000), (1000, 3000)]), LineString([(3000, -1000), (3000, 3000)]),
                  LineString([(-1000, 2000), (6000, 2000)])],
        crs=CRS,
    )
    river = gpd.GeoDataFrame({"name": ["东苕溪"]}, geometry=[LineString([(4000, -1000), (4000, 3000)])], crs=CRS)
    river.attrs["mzgeo_kind"] = "rivers"
    return rail, roads, river


@pytest.fixture
def zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["老虎潭水源保护区", "莫干山风景名胜区", "永久基本农田"],
         "zone_type": ["水源保护区", "风景名胜区", "基本农田"]},
        geometry=[box(2000, 500, 2600, 900), box(200, 1000, 600, 1400), box(4500, 1500, 4800, 1800)],
        crs=CRS,
    )


def test_rules_per_grave(graves, lines, zones):
    rail, roads, river = lines
    res = burial_zone_check(graves, lines={"铁路": rail, "道路": roads, "河道": river}, zones=zones)
    p = res.points.set_index("grave_id")
    assert p["violates"].to_dict() == {"g1": True, "g2": False, "g3": True, "g4": False, "g5": True,
                                       "g6": True, "g7": True, "g8": True}
    assert p.loc["g1", "rules"] == "铁路两侧200米内（三沿）"
    assert p.loc["g1", "min_distance_m"] == pytest.approx(200)
    assert p.loc["g3", "rules"] == "国道两侧100米内（三沿）"
    assert p.loc["g3", "min_distance_m"] == pytest.approx(50)
    assert p.loc["g5", "rules"] == "水源保护区内（五区）"
    assert p.loc["g6", "rules"] == "风景名胜区内（五区）"
    assert p.loc["g7", "rules"] == "主要河道两侧100米内（三沿）；高速公路两侧200米内（三沿）"
    assert p.loc["g7", "n_rules"] == 2
    assert p.loc["g8", "rules"] == "基本农田内（禁葬区）"
    assert pd.isna(p.loc["g2", "rules"]) and p.loc["g2", "n_rules"] == 0
    v = res.violations
    assert len(v) == 7
    g7 = v[v["grave_id"] == "g7"].set_index("feature_class")
    assert g7.loc["主要河道", "distance_m"] == pytest.approx(50) and g7.loc["主要河道", "feature_name"] == "东苕溪"
    assert g7.loc["高速公路", "distance_m"] == pytest.approx(100) and g7.loc["高速公路", "buffer_m"] == 200
    assert set(v["rule_group"]) == {"三沿", "五区", "禁葬区"}
    assert v.loc[v["grave_id"] == "g5", "feature_name"].item() == "老虎潭水源保护区"
    rules = res.rules_applied.set_index("feature_class")
    assert "村道" not in rules.index  # village roads are not checked
    assert rules.loc["铁路", "buffer_m"] == 200 and rules.loc["国道", "buffer_m"] == 100


def test_per_village_and_ledger(graves, lines, zones):
    rail, roads, river = lines
    res = burial_zone_check(graves, lines=[rail.assign(rail_class="铁路"), roads, river], zones=zones)
    bv = res.by_village.set_index("village")
    assert bv["n_points"].to_dict() == {"丙村": 3, "甲村": 3, "乙村": 2}
    assert bv["n_violating"].to_dict() == {"丙村": 3, "甲村": 2, "乙村": 1}
    assert list(bv.index) == ["丙村", "甲村", "乙村"]  # most violations first
    assert bv.loc["甲村", "grave_ids"] == "g1、g3"
    assert bv.loc["甲村", "share_violating"] == pytest.approx(2 / 3)
    assert bv.loc["甲村", "rules"] == "国道两侧100米内（三沿） 1 处；铁路两侧200米内（三沿） 1 处"
    assert bv.loc["丙村", "unit_code"] == "T2"
    led = res.ledger
    assert led["seq"].tolist() == list(range(1, 7))
    assert led["grave_id"].tolist() == ["g5", "g1", "g3", "g6", "g7", "g8"]  # by township, village, id
    assert (led[["action", "deadline", "progress", "remarks"]] == "").all().all()
    ll = graves.set_index("grave_id").loc[["g5"]].to_crs(4490)
    assert led.loc[0, "lon"] == pytest.approx(ll.geometry.x.iloc[0], abs=1e-6)
    assert led.loc[0, "lat"] == pytest.approx(ll.geometry.y.iloc[0], abs=1e-6)


def test_custom_buffers_and_polygon_sites(graves, lines, zones):
    rail, roads, river = lines
    res = burial_zone_check(
        graves,
        lines={"铁路": rail, "道路": roads, "河道": river},
        zones=zones,
        buffers_m={"铁路": 100.0, "国道": 60},
    )
    assert res.points.set_index("grave_id")["n_rules"].to_dict() == {
        "g1": 0, "g2": 0, "g3": 1, "g4": 0, "g5": 1, "g6": 1, "g7": 0, "g8": 1}
    assert res.params["burial_buffer_m"] == {"铁路": 100.0, "国道": 60}
    sites = gpd.GeoDataFrame({"name": ["某公墓"]}, geometry=[box(900, 150, 950, 250)], crs=CRS)
    r2 = burial_zone_check(sites, lines={"铁路": rail, "道路": roads})
    assert r2.points.loc[0, "rules"] == "国道两侧100米内（三沿）；铁路两侧200米内（三沿）"
    assert r2.points.loc[0, "min_distance_m"] == pytest.approx(50)


def test_railway_and_river_layers_recognised(graves, lines):
    rail, _, river = lines
    hsr = rail.assign(rail_class="高速铁路")  # a class absent from the buffers
    plain_river = river.copy()
    plain_river.attrs = {}
    for spec in ({"railways": hsr, "rivers": plain_river}, [hsr, plain_river.assign(river_class="主要河道")]):
        res = burial_zone_check(graves, lines=spec)
        got = res.points.set_index("grave_id")["rules"].dropna().to_dict()
        assert got == {"g1": "铁路两侧200米内（三沿）", "g7": "主要河道两侧100米内（三沿）"}


def test_village_from_units(lines):
    rail, _, _ = lines
    pts = gpd.GeoDataFrame({"grave_id": ["a", "b"]}, geometry=[Point(100, 50), Point(1500, 50)], crs=CRS)
    villages = gpd.GeoDataFrame({"code": ["V1", "V2"], "name": ["东村", "西村"], "parent_code": ["T1", "T1"]},
                                geometry=[box(0, -500, 1000, 500), box(1000, -500, 2000, 500)], crs=CRS)
    res = burial_zone_check(pts, lines={"铁路": rail}, units=villages)
    assert res.by_village["village"].tolist() == ["东村", "西村"]
    assert res.by_village["unit_code"].tolist() == ["T1", "T1"]


def test_bad_inputs(graves, lines):
    rail, roads, _ = lines
    with pytest.raises(InputError, match="至少"):
        burial_zone_check(graves)
    with pytest.raises(InputError, match="类别列"):
        burial_zone_check(graves, lines=[rail])
    # mixed or geographic CRSs are projected (mzgeo.crs.analysis_layers): the same violations
    base = burial_zone_check(graves, lines={"铁路": rail}).violations
    for g, r in ((graves, rail.to_crs(4528)), (graves.to_crs(4326), rail.to_crs(4326))):
        other = burial_zone_check(g, lines={"铁路": r}).violations
        assert len(other) == len(base) and len(base)
    with pytest.raises(CRSError, match="没有坐标系"):
        burial_zone_check(graves.set_crs(None, allow_override=True), lines={"铁路": rail})
    with pytest.raises(InputError, match="非负"):
        burial_zone_check(graves, lines={"铁路": rail}, buffers_m={"铁路": -1})


def test_outputs(tmp_path, graves, lines, zones):
    rail, roads, river = lines
    res = burial_zone_check(graves, lines={"铁路": rail, "道路": roads, "河道": river}, zones=zones)
    path = res.to_excel(tmp_path / "台账.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["整治台账", "分村统计", "违规明细", "检查规则", "参数"]
    assert [c.value for c in wb["整治台账"][1]][:4] == ["序号", "所属区划代码", "所在村社区", "坟墓编号"]
    import pyogrio

    gpkg = res.to_gpkg(tmp_path / "burial.gpkg")
    assert {n for n, _ in pyogrio.list_layers(gpkg)} == {"burial_violations", "no_burial_zones"}
    z = gpd.read_file(gpkg, layer="no_burial_zones")
    assert set(z["rule_group"]) == {"三沿", "五区", "禁葬区"}


# --------------------------------------------------------------------------------------------
# cemetery coverage
# --------------------------------------------------------------------------------------------
@pytest.fixture
def towns() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": ["C", "T1", "T2", "T3"], "name": ["县", "一镇", "二镇", "三镇"],
         "level": ["区县", "乡镇街道", "乡镇街道", "乡镇街道"], "parent_code": [None, "C", "C", "C"]},
        geometry=[box(0, 0, 3000, 1000), box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(2000, 0, 3000, 1000)],
        crs=CRS,
    )


@pytest.fixture
def cemeteries() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["公墓A", "骨灰堂B", "经营C"], "cemetery_type": ["公益性", "骨灰堂", "经营性公墓"],
         "capacity": [1000, 500, 3000], "used": [400, 100, 10]},
        geometry=[Point(500, 500), Point(800, 500), Point(2500, 500)], crs=CRS,
    )


def test_cemetery_coverage_townships(towns, cemeteries):
    # origins are the township codes (representative points); destinations the cemetery index
    cost = pd.DataFrame({"origin": ["T1", "T1", "T2", "T2", "T3", "T3"], "destination": [0, 1, 0, 2, 1, 2],
                         "minutes": [1.0, 2.0, 20.0, 5.0, 40.0, 1.0]})
    res = cemetery_coverage(cemeteries, towns, cost=cost)
    t = res.townships.set_index("code")
    assert list(t.index) == ["T1", "T2", "T3"]
    assert t["n_public"].tolist() == [2, 0, 0]
    assert t.loc["T1", "capacity"] == 1500 and t.loc["T1", "used"] == 500 and t.loc["T1", "remaining"] == 1000
    assert t["n_reachable"].tolist() == [2, 1, 0]
    assert t["remaining_reachable"].tolist() == [1000, 600, 0]
    assert t["status"].tolist() == ["本乡镇有公益性公墓/骨灰堂", "本乡镇无，30分钟内可达", "本乡镇无，30分钟内不可达"]
    assert res.unserved["code"].tolist() == ["T3"]
    pts = res.points
    assert pts.loc["T3", "facility_name"] == "骨灰堂B" and pts.loc["T3", "minutes"] == 40  # commercial C ignored
    c = res.cemeteries
    assert c["is_public"].tolist() == [True, True, False]
    assert c["remaining"].tolist() == [600, 400, 2990]
    assert res.params["minutes"] == 30
    # a longer limit serves T3
    res60 = cemetery_coverage(cemeteries, towns, minutes=60, cost=cost)
    assert res60.unserved.empty


def test_cemetery_coverage_with_villages(tmp_path, towns, cemeteries):
    villages = gpd.GeoDataFrame({"name": ["a", "b", "c", "d"], "population": [100, 300, 200, 400]},
                                geometry=gpd.points_from_xy([100, 1200, 1800, 2500], [100] * 4), crs=CRS)
    cost = pd.DataFrame({"origin": [0, 1, 2, 3], "destination": [0, 0, 1, 1], "minutes": [3.0, 25.0, 35.0, 50.0]})
    cem = cemeteries.assign(used=[400, 600, 10])  # 骨灰堂B over-used
    with pytest.warns(DataWarning, match="已使用数大于容量"):
        res = cemetery_coverage(cem, towns, cost=cost, demand=villages)
    t = res.townships.set_index("code")
    assert t.loc["T2", "demand_total"] == 500 and t.loc["T2", "demand_covered"] == 300
    assert t.loc["T2", "share_covered"] == pytest.approx(0.6)
    assert t.loc["T2", "status"] == "本乡镇无，30分钟内部分可达"
    assert t.loc["T2", "mean_minutes"] == pytest.approx((300 * 25 + 200 * 35) / 500)
    assert t.loc["T1", "remaining"] == 600  # 骨灰堂B has none left
    assert t.loc["T2", "remaining_reachable"] == 600
    res.to_excel(tmp_path / "cem.xlsx")
    res.to_gpkg(tmp_path / "cem.gpkg")
    assert np.isclose(res.points["demand"].sum(), 1000)


def test_only_listed_river_classes_are_buffered(graves):
    """一般河道 is not a main river: only 主要河道 (and classes naming a listed one) get a buffer."""
    rivers = gpd.GeoDataFrame(
        {"name": ["东苕溪", "小河浜", "无名河"], "river_class": ["主要河道", "一般河道", None]},
        geometry=[LineString([(4000, -1000), (4000, 3000)]), LineString([(500, -1000), (500, 3000)]),
                  LineString([(2300, -1000), (2300, 3000)])],
        crs=CRS,
    )
    rails = gpd.GeoDataFrame({"name": ["宣杭铁路"], "rail_class": ["高速铁路"]},
                             geometry=[LineString([(-1000, 0), (5000, 0)])], crs=CRS)
    res = burial_zone_check(graves, lines={"河流": rivers, "铁路": rails})
    applied = res.rules_applied.set_index("feature_class")["n_features"]
    assert applied["主要河道"] == 2  # 东苕溪 and the unclassified river (layer default)
    assert applied["铁路"] == 1  # 高速铁路 names 铁路
    assert "一般河道" not in applied.index
    hit = set(res.violations["grave_id"])
    assert "g7" in hit  # 50 m from 东苕溪
    assert "g5" in hit  # on the unclassified river (x = 2300)
    assert "g6" not in hit  # 100 m from 小河浜, an ordinary river
