"""Tests of mzgeo.boundary: lines, names, junctions, gaps, markers, crossings, checklists."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook
from shapely.geometry import LineString, MultiLineString, Point, Polygon, box

import mzgeo
from mzgeo import CRSError, InputError, ValidationError
from mzgeo import boundary as bd
from mzgeo.boundary import _naming

CRS = 4549  # CGCS2000 / 3-degree Gauss-Kruger CM 120E
X0, Y0 = 500_000.0, 3_420_000.0  # near Huzhou, so lon/lat conversions are realistic


def shift(geom, dx=X0, dy=Y0):
    return shapely.affinity.translate(geom, dx, dy)


def frame(codes, names, geoms, **extra):
    return gpd.GeoDataFrame({"code": codes, "name": names, **extra}, geometry=[shift(g) for g in geoms], crs=CRS)


@pytest.fixture
def three():
    """吴兴区 | 南浔区 side by side above 德清县: clean topology, shared vertices."""
    return frame(
        ["330502", "330503", "330521"],
        ["吴兴区", "南浔区", "德清县"],
        [box(0, 0, 1000, 1500), box(1000, 0, 2500, 1500), box(0, -800, 2500, 0)],
    )


def perturbed(codes=("1", "2")):
    """Two squares whose shared edge is perturbed on one side: an overlap and a sliver."""
    a = box(0, 0, 1000, 1000)
    b = Polygon(
        [(1000, 0), (2000, 0), (2000, 1000), (1000, 1000), (1000, 800), (1030, 800), (1030, 600), (1000, 600),
         (1000, 400), (980, 400), (980, 150), (1000, 150)]
    )
    return frame(list(codes), ["甲镇", "乙镇"], [a, b])


def by_name(lines):
    return lines.set_index("line_name")


# --- boundary lines -----------------------------------------------------------------------------------


def test_clean_lines_exact_lengths_and_junction(three):
    res = mzgeo.boundary_lines(three)
    lines = by_name(res.lines)
    assert set(lines.index) == {"吴南线", "吴德线", "南德线"}
    assert lines.loc["吴南线", "length_m"] == pytest.approx(1500.0, abs=1e-6)
    assert lines.loc["吴德线", "length_m"] == pytest.approx(1000.0, abs=1e-6)
    assert lines.loc["南德线", "length_m"] == pytest.approx(1500.0, abs=1e-6)
    assert (lines["n_parts"] == 1).all()
    assert all(g.geom_type == "LineString" for g in lines.geometry)
    assert lines.loc["吴南线", ["side_a_name", "side_a_code", "side_b_name", "side_b_code"]].tolist() == [
        "吴兴区", "330502", "南浔区", "330503"]
    # tri-junction: exactly the shared corner
    assert len(res.junctions) == 1
    j = res.junctions.iloc[0]
    assert j["junction_name"] == "吴南德三交点"
    assert j.geometry.equals_exact(Point(X0 + 1000, Y0), 1e-9)
    assert j["spread_m"] == 0.0
    assert set(j["line_names"].split("、")) == {"吴南线", "吴德线", "南德线"}
    assert (lines["junctions"] == "吴南德三交点").all()
    assert res.gaps.empty
    assert list(res.lines.columns) == [
        "line_name", "side_a_name", "side_a_code", "side_b_name", "side_b_code", "length_m", "n_parts",
        "junctions", "name_rule", "name_note", "geometry"]


def test_orientation_rule(three):
    lines = by_name(mzgeo.boundary_lines(three).lines)
    # north-south line runs north -> south
    ns = shapely.get_coordinates(lines.loc["吴南线"].geometry)
    assert ns[0].tolist() == [X0 + 1000, Y0 + 1500] and ns[-1].tolist() == [X0 + 1000, Y0]
    # east-west line runs west -> east
    ew = shapely.get_coordinates(lines.loc["南德线"].geometry)
    assert ew[0].tolist() == [X0 + 1000, Y0] and ew[-1].tolist() == [X0 + 2500, Y0]


def test_diagonal_shared_edge_exact():
    a = Polygon([(0, 0), (1000, 0), (1600, 800), (0, 800)])
    b = Polygon([(1000, 0), (2000, 0), (2000, 800), (1600, 800)])
    res = mzgeo.boundary_lines(frame(["2", "1"], ["甲乡", "乙乡"], [a, b]), tolerance_m=0)
    assert len(res.lines) == 1
    assert res.lines["length_m"].iloc[0] == pytest.approx(1000.0, abs=1e-6)
    assert res.lines["line_name"].iloc[0] == "乙甲线"  # code 1 (乙乡) first


def test_perturbed_edge_found_once_with_gap_and_overlap():
    res = mzgeo.boundary_lines(perturbed(), tolerance_m=50)
    assert len(res.lines) == 1
    line = res.lines.iloc[0]
    assert line["line_name"] == "甲乙线"
    assert line["n_parts"] == 1 and line.geometry.geom_type == "LineString"
    assert line["length_m"] == pytest.approx(1000.0, abs=1e-6)  # side A's straight edge
    gaps = res.gaps.set_index("kind")
    assert gaps.loc["缝隙", "sliver_area_m2"] == pytest.approx(30 * 200, rel=1e-9)
    assert gaps.loc["重叠", "sliver_area_m2"] == pytest.approx(20 * 250, rel=1e-9)
    assert gaps.loc["缝隙", "line_name"] == "甲乙线"


def test_perturbed_edge_from_the_perturbed_side():
    res = mzgeo.boundary_lines(perturbed(("2", "1")), tolerance_m=50)
    assert len(res.lines) == 1
    line = res.lines.iloc[0]
    # side A is now the perturbed polygon: its boundary, steps included, is the line
    assert line["n_parts"] == 1
    assert line["length_m"] == pytest.approx(1000 + 2 * 30 + 2 * 20, abs=1e-6)


def test_sliver_wider_than_tolerance_breaks_the_line():
    res = mzgeo.boundary_lines(perturbed(), tolerance_m=10)
    line = res.lines.iloc[0]
    assert line["n_parts"] == 2
    assert isinstance(line.geometry, MultiLineString)
    assert line["length_m"] == pytest.approx(800.0, abs=1e-6)


def test_levels_outer_and_dissolve():
    counties = frame(
        ["330502", "330503", "330411", "330483"],
        ["吴兴区", "南浔区", "秀洲区", "桐乡市"],
        [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(0, -700, 1200, 0), box(1200, -700, 2000, 0)],
        parent_code=["330500", "330500", "330400", "330400"],
        level=["区县"] * 4,
    )
    huzhou = counties[counties["parent_code"] == "330500"]
    jiaxing = counties[counties["parent_code"] == "330400"]
    res = mzgeo.boundary_lines(huzhou, outer=jiaxing)
    names = set(res.lines["line_name"])
    assert names == {"吴南线", "秀吴线", "秀南线", "桐南线"}  # 秀洲-桐乡 (both outer) not returned
    assert by_name(res.lines).loc["秀南线", "length_m"] == pytest.approx(200.0, abs=1e-6)
    # level filter (alias 县 → 区县)
    assert len(mzgeo.boundary_lines(counties, level="县").lines) == 5
    with pytest.raises(InputError, match="乡镇"):
        mzgeo.boundary_lines(counties, level="乡镇街道")
    # dissolve counties into cities: 嘉湖线
    cities = bd.dissolve_units(counties, "parent_code", {"330500": "湖州市", "330400": "嘉兴市"})
    city_lines = mzgeo.boundary_lines(cities).lines
    assert city_lines["line_name"].tolist() == ["嘉湖线"]
    assert city_lines["length_m"].iloc[0] == pytest.approx(2000.0, abs=1e-6)
    assert city_lines["side_a_code"].iloc[0] == "330400"


def test_lines_writers(three, tmp_path):
    res = mzgeo.boundary_lines(three)
    xlsx = res.to_excel(tmp_path / "lines.xlsx")
    wb = load_workbook(xlsx)
    assert wb.sheetnames[:3] == ["界线", "三交点", "缝隙与重叠"]
    assert [c.value for c in wb["界线"][1]][:3] == ["界线名称", "甲方", "甲方代码"]
    gpkg = res.to_gpkg(tmp_path / "lines.gpkg")
    assert gpkg == tmp_path / "lines.gpkg" and xlsx == tmp_path / "lines.xlsx"
    back = gpd.read_file(gpkg, layer="lines")
    assert sorted(back["line_name"]) == sorted(res.lines["line_name"])
    assert len(gpd.read_file(gpkg, layer="junctions")) == 1


def test_empty_and_errors(three):
    one = mzgeo.boundary_lines(three.iloc[:1])
    assert one.lines.empty and "line_name" in one.lines.columns and one.junctions.empty
    with pytest.raises(CRSError):
        mzgeo.boundary_lines(three.to_crs(4490))
    with pytest.raises(InputError, match="缺少列"):
        mzgeo.boundary_lines(three.drop(columns="name"))
    with pytest.raises(InputError, match="重复"):
        mzgeo.boundary_lines(pd.concat([three, three.iloc[:1]]))
    with pytest.raises(InputError):
        mzgeo.boundary_lines(three, tolerance_m=-1)


# --- naming -------------------------------------------------------------------------------------------


def test_convention_names():
    assert bd.short_name("吴兴区") == "吴"
    assert bd.short_name("景宁畲族自治县", 2) == "景宁"
    assert bd.short_name("南太湖新区", 3) == "南太湖"
    assert bd.short_name("龙泉街道", 2) == "龙泉"
    assert bd.line_name("吴兴区", "南浔区", "330502", "330503") == "吴南线"
    assert bd.line_name("德清县", "南浔区", "330521", "330503") == "南德线"
    assert bd.line_name("湖州市", "嘉兴市", 330500, 330400) == "嘉湖线"


def test_city_line_named_jiahu():
    cities = frame(["330500", "330400"], ["湖州市", "嘉兴市"], [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)])
    assert mzgeo.boundary_lines(cities).lines["line_name"].tolist() == ["嘉湖线"]


def test_given_short_name_column():
    cities = frame(["330500", "320200"], ["湖州市", "无锡市"], [box(0, 0, 1000, 1000), box(0, 1000, 1000, 2000)],
                   short_name=[None, "锡"])
    assert mzgeo.boundary_lines(cities).lines["line_name"].tolist() == ["锡湖线"]
    assert mzgeo.boundary_lines(cities, short_col=None).lines["line_name"].tolist() == ["无湖线"]


def test_collision_uses_second_character():
    units = frame(
        ["330502", "330521", "330599"],
        ["吴兴区", "德清县", "德兴市"],
        [box(0, 0, 1000, 1000), box(1000, 0, 2000, 500), box(1000, 500, 2000, 1000)],
    )
    lines = by_name(mzgeo.boundary_lines(units).lines)
    assert {"吴德清线", "吴德兴线"} <= set(lines.index)
    assert lines.loc["吴德清线", "name_rule"] == "重名加字"
    assert lines.loc["吴德清线", "side_b_name"] == "德清县"


def test_collision_with_outer_line_renames_the_outer_one():
    inner = frame(["330502", "330503"], ["吴兴区", "南浔区"], [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)])
    outer = frame(["320509"], ["吴江区"], [box(500, 1000, 2000, 1600)])
    lines = mzgeo.boundary_lines(inner, outer=outer).lines
    assert set(lines["line_name"]) == {"吴南线", "吴江南线", "吴江吴兴线"}
    assert by_name(lines).loc["吴南线", "side_a_name"] == "吴兴区"


def test_overrides_dict_and_table(three):
    res = mzgeo.boundary_lines(three, overrides={("德清县", "330503"): "南德线（新）"})
    lines = by_name(res.lines)
    assert "南德线（新）" in lines.index and lines.loc["南德线（新）", "name_rule"] == "指定名称"
    table = pd.DataFrame({"line_name": ["浔兴线"], "side_a": ["330503"], "side_b": ["吴兴区"], "line_code": ["0012"]})
    res = mzgeo.boundary_lines(three, overrides=table)
    lines = by_name(res.lines)
    assert lines.loc["浔兴线", "line_code"] == "0012"
    assert pd.isna(lines.loc["吴德线", "line_code"])
    assert "浔兴线" in res.junctions["line_names"].iloc[0]


# --- markers ------------------------------------------------------------------------------------------


@pytest.fixture
def test_line():
    """A hand-made line: 3 km east then 4 km north (7 km)."""
    return gpd.GeoDataFrame(
        {"line_name": ["测试线"], "line_code": ["0012"]},
        geometry=[shift(LineString([(0, 0), (3000, 0), (3000, 4000)]))],
        crs=CRS,
    )


def markers(ids, xy, **extra):
    return gpd.GeoDataFrame({"marker_id": ids, **extra}, geometry=[shift(Point(x, y)) for x, y in xy], crs=CRS)


def test_chainage_and_offset_exact(test_line):
    mk = markers(["00120011", "00120021", "00120031"], [(1000, 10), (1500, -80), (3030, 2000)])
    res = mzgeo.markers_on_lines(test_line, mk, offset_tolerance_m=50, max_gap_km=10)
    m = res.markers
    assert m["chainage_km"].tolist() == pytest.approx([1.0, 1.5, 5.0], abs=1e-12)
    assert m["offset_m"].tolist() == pytest.approx([10.0, 80.0, 30.0], abs=1e-9)
    assert m["off_line"].tolist() == [False, True, False]
    assert m["assigned_by"].tolist() == ["最近界线"] * 3
    assert "偏离界线 80.0 米" in m["finding"].iloc[1]
    assert m["flagged"].tolist() == [False, True, False]
    assert m.index.equals(mk.index)


def test_parse_marker_id():
    p = bd.parse_marker_id(["00120031", "00120032", "00120033", "0012003", "00120034", "00120001", "ABCD0011",
                            None, 120031])
    assert p["valid"].tolist() == [True, True, True, False, False, False, False, False, True]
    assert p["line_code"].iloc[0] == "0012" and p["sequence"].iloc[0] == 3
    assert p["type_name"].iloc[:3].tolist() == ["单立", "双立", "三立"]
    assert p["marker_id"].iloc[-1] == "00120031"  # Excel-style integer zero-padded
    assert "前导 0" in p["problem"].iloc[3]
    assert "类型码" in p["problem"].iloc[4]
    assert "000" in p["problem"].iloc[5]
    assert "缺少" in p["problem"].iloc[7]
    scalar = bd.parse_marker_id("00120011")
    assert len(scalar) == 1 and bool(scalar["valid"].iloc[0])


def test_sequence_checks(test_line):
    ids = ["00120011", "00120021", "00120041", "00120031", "00120051", "00120051", "00120081"]
    xy = [(100, 0), (600, 0), (1100, 0), (1600, 0), (2100, 0), (2600, 0), (3000, 500)]
    res = mzgeo.markers_on_lines(test_line, markers(ids, xy), max_gap_km=100)
    m = res.markers
    assert m["out_of_order"].tolist() == [False, False, True, True, False, False, False]
    assert m["duplicate"].tolist() == [False] * 4 + [True, True, False]
    assert m["missing_before"].iloc[6] == "006、007"
    assert "编号跳号：缺少序号 006、007" in m["finding"].iloc[6]
    assert "颠倒" in m["finding"].iloc[2] and "00120031" in m["finding"].iloc[2]
    assert "编号重复（共 2 处）" in m["finding"].iloc[4]
    s = res.summary().set_index("line_name").loc["测试线"]
    assert s["numbering"] == "沿里程递增" and s["missing_sequences"] == "006、007" and s["line_code"] == "0012"


def test_descending_numbering_is_not_out_of_order(test_line):
    ids = ["00120031", "00120021", "00120011"]
    res = mzgeo.markers_on_lines(test_line, markers(ids, [(100, 0), (600, 0), (1100, 0)]), max_gap_km=100)
    assert not res.markers["out_of_order"].any()
    assert res.summary()["numbering"].iloc[0] == "沿里程递减"


def test_type_and_line_code_checks(test_line):
    mk = markers(["00120011", "00130021", "00120032"], [(100, 0), (600, 0), (1100, 0)],
                 marker_type=["单立", "单立", "三立"], line_name=["测试线", "测试线", "不存在线"])
    m = mzgeo.markers_on_lines(test_line, mk, max_gap_km=100).markers
    assert m["line_code_mismatch"].tolist() == [False, True, False]
    assert m["type_mismatch"].tolist() == [False, False, True]
    assert "与登记类型「三立」不符" in m["finding"].iloc[2]
    assert "不在界线表中" in m["finding"].iloc[2]
    assert m["assigned_by"].tolist() == ["界线字段", "界线字段", "最近界线"]
    # recorded on a line not in the frame and far from every line: left unassigned
    far = markers(["00990011"], [(1000, 900)], line_name=["嘉湖线"])
    m = mzgeo.markers_on_lines(test_line, far, max_gap_km=100).markers
    assert pd.isna(m["line_name"].iloc[0]) and "未归属" in m["finding"].iloc[0]


def test_stretches_without_markers(test_line):
    mk = markers(["00120011", "00120021", "00120031"], [(500, 0), (1000, 0), (3000, 3800)])
    res = mzgeo.markers_on_lines(test_line, mk, max_gap_km=5)
    st = res.stretches
    assert len(st) == 1
    row = st.iloc[0]
    assert (row["from_km"], row["to_km"], row["length_km"]) == pytest.approx((1.0, 6.8, 5.8))
    assert (row["from_marker"], row["to_marker"]) == ("00120021", "00120031")
    assert row.geometry.length == pytest.approx(5800.0)
    # line ends count: no markers at all → the whole line
    empty = mzgeo.markers_on_lines(test_line, mk.iloc[:0], max_gap_km=5)
    assert empty.stretches[["from_marker", "to_marker"]].values.tolist() == [["起点", "终点"]]
    assert empty.markers.empty and "chainage_km" in empty.markers.columns


def test_displacement(test_line):
    mk = markers(["00120011", "00120021", "00120031"], [(500, 0), (1000, 0), (1500, 0)])
    measured = pd.DataFrame({"marker_id": ["00120011", "00120021"],
                             "measured_x": [X0 + 503.0, X0 + 1000.0], "measured_y": [Y0 + 4.0, Y0 + 12.0]})
    m = mzgeo.markers_on_lines(test_line, mk, measured=measured, max_gap_km=100).markers
    assert m["displacement_m"].iloc[:2].tolist() == pytest.approx([5.0, 12.0])
    assert np.isnan(m["displacement_m"].iloc[2])
    assert m["displaced"].tolist() == [False, True, False]  # 5.0 is not beyond 5
    assert "实测位置偏离登记位置 12.00 米" in m["finding"].iloc[1]
    # measured lon/lat (CGCS2000) are projected
    lonlat = mk.to_crs(4490)
    measured_ll = pd.DataFrame({"marker_id": mk["marker_id"], "measured_lon": lonlat.geometry.x,
                                "measured_lat": lonlat.geometry.y})
    m2 = mzgeo.markers_on_lines(test_line, mk, measured=measured_ll, max_gap_km=100).markers
    assert m2["displacement_m"].max() < 0.01


def test_marker_crs_mismatch(test_line):
    mk = markers(["00120011"], [(0, 0)]).to_crs(4490)
    with pytest.raises(CRSError):
        mzgeo.markers_on_lines(test_line, mk)


# --- crossings ----------------------------------------------------------------------------------------


def test_crossings_with_chainage(test_line):
    roads = gpd.GeoDataFrame(
        {"name": ["G318", "S12", "S12"], "road_class": ["国道", "省道", "省道"]},
        geometry=[shift(LineString([(1000, -500), (1000, 500)])), shift(LineString([(2500, 2000), (3000, 2000)])),
                  shift(LineString([(3000, 2000), (3500, 2000)]))],
        crs=CRS,
    )
    rivers = gpd.GeoDataFrame({"name": ["頔塘"], "river_class": ["省级"]},
                              geometry=[shift(LineString([(3000, 1000), (3000, 1500)]))], crs=CRS)
    cr = mzgeo.line_crossings(test_line, {"道路": roads, "河流": rivers})
    assert cr["chainage_km"].tolist() == pytest.approx([1.0, 4.25, 5.0])
    assert cr["feature_name"].tolist() == ["G318", "頔塘", "S12"]  # S12 meeting on the line is listed once
    assert cr["crossing_type"].tolist() == ["穿越", "重合", "穿越"]
    assert cr["overlap_m"].tolist() == pytest.approx([0.0, 500.0, 0.0])
    assert cr["layer"].tolist() == ["道路", "河流", "道路"]
    assert cr["feature_class"].tolist() == ["国道", "省级", "省道"]
    assert cr["crossing_no"].tolist() == [1, 2, 3]


# --- the five-year cycle ------------------------------------------------------------------------------


def test_lines_due():
    due = mzgeo.lines_due({"吴南线": 2020, "南德线": 2021, "嘉湖线": 2023, "长吴线": 2018, "安长线": None},
                          year=2025)
    assert due["line_name"].tolist() == ["安长线", "长吴线", "吴南线", "南德线"]
    assert due["due"].tolist() == ["无联检记录", "逾期", "本年到期", "明年到期"]
    assert due.set_index("line_name").loc["长吴线", "overdue_years"] == 2
    table = pd.DataFrame({"line_name": ["吴南线"], "year": [2021]})
    assert mzgeo.lines_due(table, year=2025, cycle_years=4)["due"].tolist() == ["本年到期"]


# --- the checklist ------------------------------------------------------------------------------------


@pytest.fixture
def checklist(three):
    res = mzgeo.boundary_lines(three)
    ns = by_name(res.lines).loc["吴南线"].geometry  # north → south, x = X0+1000
    mk = gpd.GeoDataFrame(
        {
            "marker_id": ["00010011", "00010021", "=1+2", "00010041"],
            "line_name": ["吴南线"] * 4,
            "marker_type": ["单立", "单立", "单立", "单立"],
            "remarks": ["=HYPERLINK(\"http://x\")", "<script>alert(1)</script>", "", "东侧 2 米"],
        },
        geometry=[Point(X0 + 1000, Y0 + 1400), Point(X0 + 1000, Y0 + 1000), Point(X0 + 1003, Y0 + 600),
                  Point(X0 + 1000, Y0 + 200)],
        crs=CRS,
    )
    assert ns.length == 1500
    roads = gpd.GeoDataFrame({"name": ["<b>新路</b>"], "road_class": ["县道"]},
                             geometry=[shift(LineString([(500, 700), (1500, 700)]))], crs=CRS)
    return mzgeo.inspection_checklist(res, mk, {"道路": roads}, {"吴南线": 2020, "南德线": 2022}, year=2025,
                                      max_gap_km=1.0)


def test_checklist_object(checklist):
    lines = by_name(checklist.lines)
    assert lines.loc["吴南线", "n_markers"] == 4
    assert lines.loc["吴南线", "next_inspection"] == 2025 and lines.loc["吴南线", "due"] == "本年到期"
    assert lines.loc["吴德线", "due"] == "无联检记录"
    assert lines.loc["吴南线", "n_crossings"] == 1
    f = checklist.findings
    assert set(f["category"]) >= {"界桩", "界桩间距", "联检周期"}
    assert "=1+2" in set(f["subject"])


def test_excel_workbook(checklist, tmp_path):
    path = tmp_path / "吴南线.xlsx"
    written = checklist.to_excel(path, lines="吴南线")
    assert written == path
    wb = load_workbook(path)
    assert wb.sheetnames == ["界线概况", "界桩检查表", "穿越点", "问题清单", "_mzgeo"]
    assert wb["_mzgeo"].sheet_state == "hidden"
    ws = wb["界桩检查表"]
    headers = [c.value for c in ws[3]]
    assert headers[:4] == ["序号", "界桩编号", "界桩类型", "里程（千米）"]
    for h in ("经度（CGCS2000）", "纬度（CGCS2000）", "X坐标（米）", "Y坐标（米）", "自动检查结果", "界桩状况", "实测经度",
              "实测纬度", "照片编号", "方位物情况", "沿线地形地物变化", "跨界建设", "争议情况", "处理意见", "备注"):
        assert h in headers
    ids = [ws.cell(row=r, column=2).value for r in range(4, 8)]
    assert ids == ["00010011", "00010021", "=1+2", "00010041"]  # chainage order
    # drop-down with the five statuses on the status column
    status_col = headers.index("界桩状况") + 1
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1
    assert lists[0].formula1 == '"完好,损坏,丢失,移位,字迹不清"'
    letter = ws.cell(row=4, column=status_col).column_letter
    assert str(lists[0].sqref) == f"{letter}4:{letter}7"
    # printable
    assert ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # no formula injection: text starting with '=' stays text
    id_cell = ws.cell(row=6, column=2)
    remark_cell = ws.cell(row=4, column=headers.index("登记备注") + 1)
    assert id_cell.value == "=1+2" and id_cell.data_type == "s"
    assert remark_cell.value.startswith("=HYPERLINK") and remark_cell.data_type == "s"
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml
    # signature block and field columns empty
    texts = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert any("甲方（吴兴区）检查人员" in t for t in texts) and any("乙方（南浔区）检查人员" in t for t in texts)
    assert all(ws.cell(row=r, column=status_col).value is None for r in range(4, 8))
    summary = {r[0]: r[1] for r in wb["界线概况"].iter_rows(min_row=4, values_only=True) if r[0]}
    assert summary["界线名称"] == "吴南线" and summary["界桩数量（个）"] == 4
    assert summary["上次联检年份"] == 2020 and summary["下次联检年份"] == 2025
    assert wb["穿越点"].cell(row=4, column=4).value == "<b>新路</b>"


def test_excel_all_lines_and_per_line(checklist, tmp_path):
    path = tmp_path / "all.xlsx"
    checklist.to_excel(path)
    names = load_workbook(path).sheetnames
    assert "吴南线 界桩检查表" in names and "南德线 问题清单" in names
    assert checklist.to_excel(tmp_path / "per_line", per_line_workbooks=True) == tmp_path / "per_line"
    files = checklist.to_excel_per_line(tmp_path / "per_line")
    assert len(files) == 3 and all(f.suffix == ".xlsx" for f in files)
    res = mzgeo.read_inspection_results(files)  # several workbooks at once
    assert len(res.markers) == 4 and {p.code for p in res.file_problems} == {"missing_status"}
    with pytest.raises(InputError):
        checklist.to_excel(path, lines="不存在线")


def test_checklist_from_plain_line_frame(test_line, tmp_path):
    mk = markers(["00120011", "00120021"], [(500, 0), (3000, 2000)])
    cl = mzgeo.inspection_checklist(test_line, mk, last_inspection=2018, year=2025)
    row = cl.lines.iloc[0]
    assert row["due"] == "逾期" and row["next_inspection"] == 2023 and row["n_markers"] == 2
    assert row["line_code"] == "0012" and row["length_km"] == 7.0
    assert "已逾期 2 年未联检" in set(cl.findings["finding"])
    assert cl.junctions.empty and cl.gaps.empty and cl.crossings.empty
    xlsx = cl.to_excel(tmp_path / "plain.xlsx")
    text = [c.value for c in load_workbook(xlsx)["界桩检查表"]["A"] if isinstance(c.value, str)]
    assert any(t.startswith("甲方（甲方）") for t in text) is False
    assert any("检查人员（签字）" in t for t in text)
    assert "测试线" in Path(cl.to_html(tmp_path / "plain.html")).read_text(encoding="utf-8")


def test_html(checklist, tmp_path):
    path = checklist.to_html(tmp_path / "c.html")
    text = Path(path).read_text(encoding="utf-8")
    assert text.count('<section class="line">') == 3
    assert "<svg" in text and "@media print" in text and "page-break-after: always" in text
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;b&gt;新路&lt;/b&gt;" in text
    assert not re.search(r"https?://", text.replace("http://x", "")), "no external URL except escaped user text"
    assert "http://x" not in text or "&quot;http://x&quot;" in text
    assert not re.search(r"<(link|script|img|iframe)\b", text)
    assert "src=" not in text and "@import" not in text and "url(" not in text


def _fill(path, fills):
    """Fill the 界桩检查表 of a single-line workbook: {row: {header: value}}."""
    wb = load_workbook(path)
    ws = wb["界桩检查表"]
    headers = [c.value for c in ws[3]]
    for row, values in fills.items():
        for header, value in values.items():
            ws.cell(row=row, column=headers.index(header) + 1).value = value
    wb.save(path)
    return headers


def test_read_back_filled_workbook(checklist, tmp_path):
    path = tmp_path / "filled.xlsx"
    checklist.to_excel(path, lines="吴南线")
    wb = load_workbook(path)
    ws = wb["界桩检查表"]
    headers = [c.value for c in ws[3]]
    lon1 = ws.cell(row=4, column=headers.index("经度（CGCS2000）") + 1).value
    lat1 = ws.cell(row=4, column=headers.index("纬度（CGCS2000）") + 1).value
    _fill(path, {
        4: {"界桩状况": "完好", "实测经度": lon1, "实测纬度": lat1, "照片编号": "P001"},
        5: {"界桩状况": "损坏", "备注": "=SUM(A1)"},
        6: {"界桩状况": "完好", "实测X（米）": X0 + 1003 + 8.0, "实测Y（米）": Y0 + 600},  # moved 8 m
        7: {"界桩编号": "99990011"},  # unknown ID and no status
    })
    res = mzgeo.read_inspection_results(path)
    m = res.markers.set_index("marker_id")
    assert m.loc["00010011", "status"] == "完好"
    assert m.loc["00010011", "displacement_m"] < 0.05
    assert m.loc["00010011", "photo_no"] == "P001"
    assert m.loc["=1+2", "displacement_m"] == pytest.approx(8.0, abs=1e-6)
    assert m.loc["00010021", "remarks"] == "=SUM(A1)"
    assert res.markers.crs.to_epsg() == CRS
    assert m.loc["=1+2"].geometry.equals_exact(Point(X0 + 1011, Y0 + 600), 1e-6)
    repairs = res.repairs.set_index("marker_id")
    assert set(repairs.index) == {"00010021", "=1+2"}
    assert "修复" in repairs.loc["00010021", "action"] and "重新测定坐标" in repairs.loc["=1+2", "action"]
    codes = {(p.code, p.row, p.column) for p in res.file_problems}
    assert ("unknown_id", 7, "界桩编号") in codes
    assert ("missing_status", 7, "界桩状况") in codes
    assert ("missing_row", None, "界桩编号") in codes  # 00010041 was overwritten
    assert all("界桩检查表" in p.file for p in res.file_problems)
    with pytest.raises(ValidationError) as err:
        mzgeo.read_inspection_results(path, strict=True)
    assert "99990011" in str(err.value)
    # the results workbook
    out = res.to_excel(tmp_path / "results.xlsx")
    assert "需维修或重测界桩" in load_workbook(out).sheetnames


def test_read_back_bad_coordinates(checklist, tmp_path):
    path = tmp_path / "bad.xlsx"
    checklist.to_excel(path, lines="吴南线")
    _fill(path, {
        4: {"界桩状况": "丢失"},
        5: {"界桩状况": "完好", "实测经度": 120.1, "实测纬度": 95.0},
        6: {"界桩状况": "坏了"},
        7: {"界桩状况": "移位", "实测X（米）": 40_500_000.0, "实测Y（米）": Y0},
    })
    res = mzgeo.read_inspection_results(path)
    codes = {(p.code, p.row) for p in res.file_problems}
    assert ("out_of_range", 5) in codes and ("bad_status", 6) in codes and ("out_of_range", 7) in codes
    assert set(res.repairs["marker_id"]) == {"00010011", "00010041"}
    assert res.repairs.set_index("marker_id").loc["00010011", "action"].startswith("补设")


# --- names stay unambiguous and stable (issue 11) -------------------------------------------------


@pytest.fixture(scope="module")
def demo_counties():
    return mzgeo.load_demo().units_county


def _huzhou_names(res, huzhou_codes):
    lines = res.lines[res.lines["side_a_code"].isin(huzhou_codes) & res.lines["side_b_code"].isin(huzhou_codes)]
    inside = res.junctions["unit_codes"].str.split("、").map(lambda c: set(c) <= set(huzhou_codes))
    return (
        dict(zip(lines["side_a_code"] + "-" + lines["side_b_code"], lines["line_name"], strict=True)),
        dict(zip(res.junctions.loc[inside, "unit_codes"], res.junctions.loc[inside, "junction_name"], strict=True)),
    )


def test_huzhou_names_do_not_depend_on_the_neighbours_passed(demo_counties):
    """Real county polygons: Huzhou alone, with ``outer`` neighbours, or all counties as units."""
    u = demo_counties
    hz = u.loc[u["in_huzhou"], "code"].tolist()
    alone = mzgeo.boundary_lines(u[u["in_huzhou"]])
    with_outer = mzgeo.boundary_lines(u[u["in_huzhou"]], outer=u[~u["in_huzhou"]])
    together = mzgeo.boundary_lines(u)
    ref_lines, ref_junctions = _huzhou_names(alone, hz)
    assert set(ref_lines.values()) == {"吴南线", "吴德线", "吴长线", "吴安线", "南德线", "德安线", "长安线"}
    assert set(ref_junctions.values()) == {"吴南德三交点", "吴德安三交点", "吴长安三交点"}
    for res in (with_outer, together):
        lines, junctions = _huzhou_names(res, hz)
        assert lines == ref_lines
        assert junctions == ref_junctions
        assert res.lines["line_name"].is_unique and res.junctions["junction_name"].is_unique
        inside = res.lines["side_a_code"].isin(hz) & res.lines["side_b_code"].isin(hz)
        assert (res.lines.loc[inside, "name_note"] == "").all()
    # the cross-city line that would also be 吴南线 gives way, and says why
    by = together.lines.set_index("line_name")
    assert by.loc["吴江南线", ["side_a_name", "side_b_name"]].tolist() == ["吴江区", "南浔区"]
    assert "吴南线" in by.loc["吴江南线", "name_note"] and "同一上级区划内部" in by.loc["吴江南线", "name_note"]
    assert "本区域内" in with_outer.lines.set_index("line_name").loc["吴江南线", "name_note"]


def _splits(stem, bases):
    """Every way of reading ``stem`` as one prefix of each base name in turn."""
    if not bases:
        return [[]] if stem == "" else []
    out = []
    for k in range(1, len(bases[0]) + 1):
        if stem.startswith(bases[0][:k]):
            out += [[bases[0][:k], *rest] for rest in _splits(stem[k:], bases[1:])]
    return out


def test_junction_names_use_the_disambiguated_abbreviations(demo_counties):
    u = demo_counties
    for res in (mzgeo.boundary_lines(u[u["in_huzhou"]], outer=u[~u["in_huzhou"]]), mzgeo.boundary_lines(u)):
        names = res.junctions.set_index("unit_codes")["junction_name"]
        assert names["320506、320509、330502"] == "吴中吴江吴兴三交点"
        assert names["320506、330502、330522"] == "吴中吴兴长三交点"
        assert names["320509、330502、330503"] == "吴江吴兴南三交点"
        assert not names.str.contains("吴吴").any()
        # no junction repeats an abbreviation: split each name back into its units' abbreviations
        for codes, jname in names.items():
            row = res.junctions.set_index("unit_codes").loc[codes]
            units = row["unit_names"].split("、")
            stem = jname.removesuffix("三交点")
            assert any(len(set(p)) == len(p) for p in _splits(stem, [_naming.base_name(n) for n in units])), jname
        note = res.junctions.set_index("junction_name").loc["吴中吴江吴兴三交点", "name_note"]
        assert "吴中" in note and "吴江" in note and "吴兴" in note


def test_parent_code_rule():
    assert _naming.parent_code("330502") == "3305"
    assert _naming.parent_code("330500") == "33"
    assert _naming.parent_code("330000") is None
    assert _naming.parent_code("330502001") == "330502"
    assert _naming.parent_code("330502001001") == "330502001"
    assert _naming.parent_code("X1") is None


def test_same_units_meeting_twice_get_numbered_junctions():
    """A 3-unit ring: A | B side by side, both inside C's frame — A, B, C meet at two points."""
    c = Polygon([(-100, -100), (2100, -100), (2100, 1100), (-100, 1100)], [[(0, 0), (2000, 0), (2000, 1000), (0, 1000)]])
    units = frame(["330502", "330503", "330521"], ["吴兴区", "南浔区", "德清县"],
                  [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), c])
    j = mzgeo.boundary_lines(units).junctions
    assert sorted(j["junction_name"]) == ["吴南德三交点（1）", "吴南德三交点（2）"]
    assert j["name_note"].str.contains("多处").all()


# --- the one result contract (issue 12) -------------------------------------------------------
def _contract(result, tmp_path, stem):
    from mzgeo.analysis import PROBLEM_COLUMNS

    assert isinstance(result.params, dict) and result.params
    assert list(result.problems.columns) == PROBLEM_COLUMNS
    head = result.headline
    assert isinstance(head, str) and re.search(r"[\u4e00-\u9fff]", head)
    page = result._repr_html_()
    assert head.split("，")[0] in page and "<table" in page
    xlsx = result.to_excel(tmp_path / f"{stem}.xlsx")
    assert isinstance(xlsx, Path) and xlsx.exists() and load_workbook(xlsx).sheetnames
    return head


def test_boundary_lines_contract(three, tmp_path):
    res = mzgeo.boundary_lines(three)
    head = _contract(res, tmp_path, "lines")
    assert head.startswith(f"界线 {len(res.lines)} 条")
    assert res.summary()["length_km"].tolist() == pytest.approx((res.lines["length_m"] / 1000).tolist())
    gpkg = res.to_gpkg(tmp_path / "lines.gpkg")
    assert isinstance(gpkg, Path) and len(gpd.read_file(gpkg, layer="lines")) == len(res.lines)
    assert not hasattr(res, "to_file")
    # gaps and overlaps between the two sides' polygons are the data problems of the lines
    res2 = mzgeo.boundary_lines(perturbed(), tolerance_m=50)  # one gap of 30 × 200 m, one overlap
    probs = res2.problems.set_index("problem")
    assert sorted(probs.index) == ["data_gap", "data_overlap"]
    assert probs.loc["data_gap", "name"] == "甲乙线" and "6000.0 平方米" in probs.loc["data_gap", "message"]


def test_marker_check_contract(checklist, tmp_path):
    mk = checklist.markers[["marker_id", "line_name", "marker_type", "geometry"]]
    check = mzgeo.markers_on_lines(checklist.lines[["line_name", "geometry"]], mk, max_gap_km=1.0)
    _contract(check, tmp_path, "markers")
    flagged = check.markers["flagged"].astype(bool)
    probs = check.problems
    assert (probs["problem"] == "marker_finding").sum() == int(flagged.sum()) > 0
    assert (probs["problem"] == "marker_gap").sum() == len(check.stretches)
    gpkg = check.to_gpkg(tmp_path / "markers.gpkg")
    back = gpd.read_file(gpkg, layer="markers")
    assert sorted(back["marker_id"]) == sorted(check.markers["marker_id"])


def test_checklist_contract(checklist, tmp_path):
    _contract(checklist, tmp_path, "checklist")
    assert len(checklist.problems) == len(checklist.findings)
    assert checklist.problems["problem"].tolist() == checklist.findings["category"].astype(str).tolist()
    assert isinstance(checklist.to_html(tmp_path / "c.html"), Path)
    assert list(checklist.summary()["line_name"]) == checklist.line_names
