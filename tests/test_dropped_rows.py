"""Every analysis that leaves a row out lists it in ``.problems`` and on the Excel 数据问题 sheet (issue 11).

Each case is a layer with a point without a location (``None`` geometry or ``POINT EMPTY``) or a
unit without an elderly count; before, the network analyses ended in a GEOS traceback and the
burial check counted a grave it could not place as compliant.
"""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from mzgeo import DataWarning
from mzgeo.analysis.beds import accessibility, bed_ratio
from mzgeo.analysis.burial import burial_zone_check, cemetery_coverage
from mzgeo.analysis.coverage import coverage
from mzgeo.analysis.daycare import daycare_coverage
from mzgeo.analysis.shelters import shelter_adequacy
from mzgeo.network import Network
from mzgeo.report import label

pytestmark = pytest.mark.filterwarnings("error")

CRS = 4549


@pytest.fixture(scope="module")
def net():
    G = nx.Graph(crs=CRS)
    for n, x in enumerate((0, 1000, 2000, 3000)):
        G.add_node(n, x=float(x), y=0.0)
    for a in range(3):
        G.add_edge(a, a + 1, travel_time=300.0)  # 5 minutes per km
    return Network.from_networkx(G, weight="travel_time")


@pytest.fixture
def demand():
    return gpd.GeoDataFrame(
        {"name": ["甲村", "无位置村", "空点村", "丁村"], "elderly": [10, 20, 30, 40], "population": [40, 80, 120, 160],
         "code": ["V1", "V2", "V3", "V4"], "urban": ["是", "否", "否", "否"]},
        geometry=[Point(0, 0), None, Point(), Point(2000, 0)], crs=CRS,
    )


@pytest.fixture
def facilities():
    return gpd.GeoDataFrame(
        {"name": ["设施一", "无位置设施", "设施二"], "capacity": [100, 100, 100], "beds": [10, 20, 30],
         "nursing_beds": [5, 5, 5], "cemetery_type": ["公益性"] * 3, "used": [0, 0, 0]},
        geometry=[Point(0, 0), None, Point(3000, 0)], crs=CRS,
    )


@pytest.fixture
def units():
    return gpd.GeoDataFrame(
        {"code": ["C", "T1", "T2"], "name": ["县", "一镇", "二镇"], "level": ["区县", "乡镇街道", "乡镇街道"],
         "parent_code": [None, "C", "C"], "elderly": [np.nan, 100, np.nan]},
        geometry=[box(-500, -500, 3500, 500), box(-500, -500, 1500, 500), box(1500, -500, 3500, 500)], crs=CRS,
    )


def _listed(res, tmp_path, expected):
    """``expected``: (layer, name, problem) triples that must be in .problems and on the 数据问题 sheet."""
    probs = res.problems
    got = set(zip(probs["layer"], probs["name"], probs["problem"], strict=True))
    assert set(expected) <= got, probs
    assert probs.loc[probs["problem"] == "no_location", "message"].str.contains("geometry").all()
    path = res.to_excel(tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(path)["数据问题"]
    hdr = [c.value for c in ws[1]]
    rows = {tuple(ws.cell(r, hdr.index(label(k)) + 1).value for k in ("layer", "name", "problem"))
            for r in range(2, ws.max_row + 1)}
    assert set(expected) <= rows


def test_coverage_lists_points_without_location(net, facilities, demand, units, tmp_path):
    with pytest.warns(DataWarning, match="没有坐标"):
        res = coverage(facilities, demand, network=net, minutes=15, weight_col="elderly", units=units)
    _listed(res, tmp_path, [("需求点", "无位置村", "no_location"), ("需求点", "空点村", "no_location"),
                            ("设施", "无位置设施", "no_location")])
    # the figures are over the located points only, and say so: 10 + 40 elderly, both within 15 min
    assert res.points["demand"].sum() == 50 and res.points["covered"].all()


def test_accessibility_lists_points_without_location(net, facilities, demand, tmp_path):
    with pytest.warns(DataWarning, match="没有坐标"):
        res = accessibility(facilities, demand, network=net, minutes=15, supply_col="beds", weight_col="elderly")
    _listed(res, tmp_path, [("需求点", "无位置村", "no_location"), ("供给设施", "无位置设施", "no_location")])
    assert len(res.points) == 2


def test_bed_ratio_lists_unit_without_elderly_and_institution_without_location(facilities, units, tmp_path):
    with pytest.warns(DataWarning):
        res = bed_ratio(facilities, units)
    _listed(res, tmp_path, [("行政区", "二镇", "missing_elderly"), ("养老机构", "无位置设施", "unassigned")])
    msg = res.problems.set_index("name").loc["无位置设施", "message"]
    assert "没有坐标" in msg and "unit_code" in msg


def test_shelter_adequacy_lists_points_without_location(net, facilities, demand, tmp_path):
    with pytest.warns(DataWarning, match="没有坐标"):
        res = shelter_adequacy(facilities, demand, network=net, minutes=15)
    _listed(res, tmp_path, [("需求点", "空点村", "no_location"), ("避灾安置场所", "无位置设施", "no_location")])
    assert res.summary().iloc[0]["persons"] == 40 + 160


def test_daycare_coverage_lists_points_without_location(net, facilities, demand, units, tmp_path):
    with pytest.warns(DataWarning, match="没有坐标"):
        res = daycare_coverage(facilities, demand, network=net, units=units)
    _listed(res, tmp_path, [("村社区", "无位置村", "no_location"), ("照料中心", "无位置设施", "no_location")])


def test_cemetery_coverage_lists_cemetery_without_location(net, facilities, units, tmp_path):
    cem = facilities.copy()
    cem.loc[1, "geometry"] = Point()  # POINT EMPTY: a GEOS traceback before
    with pytest.warns(DataWarning, match="几何为空"):
        res = cemetery_coverage(cem, units, network=net)
    _listed(res, tmp_path, [("公墓", "无位置设施", "no_location")])


def test_burial_check_lists_graves_without_location(tmp_path):
    rail = gpd.GeoDataFrame({"name": ["铁路"]}, geometry=[LineString([(-1000, 0), (5000, 0)])], crs=CRS)
    graves = gpd.GeoDataFrame({"grave_id": ["g1", "g2", "g3", "g4"]},
                              geometry=[Point(0, 10), None, Point(), Point(0, 5000)], crs=CRS)
    with pytest.warns(DataWarning, match="没有坐标"):
        res = burial_zone_check(graves, lines={"铁路": rail})
    _listed(res, tmp_path, [("坟墓/点位", "g2", "no_location"), ("坟墓/点位", "g3", "no_location")])
    # the share is over the graves that could be checked: 1 of 2, not 1 of 4
    assert res.points["grave_id"].tolist() == ["g1", "g4"]
    assert res.points["violates"].tolist() == [True, False]


def test_nan_coordinate_is_no_location(net, facilities, demand, tmp_path):
    dem = demand.copy()
    dem.loc[1, "geometry"] = Point(np.nan, 0)
    dem.loc[2, "geometry"] = Point(1000, 0)
    with pytest.warns(DataWarning, match="NaN|没有坐标"):
        res = coverage(facilities, dem, network=net, minutes=15)
    nl = res.problems[res.problems["problem"] == "no_location"].set_index("name")["message"]
    assert sorted(nl.index) == ["无位置村", "无位置设施"]
    assert nl["无位置村"].startswith("坐标含 NaN")


def test_cost_table_needs_no_location(facilities, demand):
    """With a cost table no location is needed: the rows stay and nothing is dropped."""
    cost = pd.DataFrame({"origin": [0, 1, 2, 3], "destination": [0, 0, 0, 2], "minutes": [1.0, 2.0, 3.0, 4.0]})
    res = coverage(facilities, demand, minutes=15, cost=cost)
    assert len(res.points) == 4 and res.points["covered"].all()
    assert not (res.problems["problem"] == "no_location").any()


def test_burial_check_lists_lines_and_zones_without_geometry(tmp_path):
    rail = gpd.GeoDataFrame({"name": ["宣杭铁路", "无几何铁路"]}, geometry=[LineString([(-1000, 0), (5000, 0)]), None],
                            crs=CRS)
    zones = gpd.GeoDataFrame({"name": ["水源保护区", "空区域"], "zone_type": ["水源保护区"] * 2},
                             geometry=[box(0, 900, 100, 1100), None], crs=CRS)
    graves = gpd.GeoDataFrame({"grave_id": ["g1", "g2"]}, geometry=[Point(0, 10), Point(50, 1000)], crs=CRS)
    with pytest.warns(DataWarning, match="没有坐标"):
        res = burial_zone_check(graves, lines={"铁路": rail}, zones=zones)
    _listed(res, tmp_path, [("线状图层 铁路", "无几何铁路", "no_location"), ("区域图层", "空区域", "no_location")])
    assert res.points["violates"].tolist() == [True, True]
