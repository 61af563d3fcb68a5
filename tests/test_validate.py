"""Each validation rule on a crafted bad file: the problem names the row (as in Excel) and column."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

from mzgeo import DataWarning, Problem, ValidationError, settings
from mzgeo.crs import wgs84_to_bd09, wgs84_to_gcj02
from mzgeo.io import ValidationReport, format_report, read_layer, validate

# points around Huzhou (WGS84)
RNG = np.random.default_rng(7)
LON = 119.9 + RNG.random(40) * 0.4
LAT = 30.6 + RNG.random(40) * 0.4


def _points_csv(xs, ys, fmt: str = "{:.6f}") -> str:
    return "名称,经度,纬度\n" + "".join(
        f"村{i}," + fmt.format(x) + "," + fmt.format(y) + "\n" for i, (x, y) in enumerate(zip(xs, ys, strict=True))
    )


def _csv(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _one(report: ValidationReport, code: str) -> Problem:
    found = [p for p in report.problems if p.code == code]
    assert len(found) == 1, (code, report)
    return found[0]


def _located(p: Problem, row: int | None, column: str | None) -> None:
    """The problem names the row and column, in its fields and in its text."""
    assert p.row == row, p
    assert p.column == column, p
    text = str(p)
    if row is not None:
        assert f"第 {row} 行" in text
    if column is not None:
        assert column in text


# --------------------------------------------------------------------------------------------
# columns and cells
# --------------------------------------------------------------------------------------------
def test_missing_required_column_names_aliases(tmp_path):
    path = _csv(tmp_path, "机构名称,经度,纬度\n甲,120.1,30.9\n")
    rep = validate(path, "institutions", crs="wgs84")
    p = _one(rep, "missing_column")
    assert p.severity == "error" and p.row is None
    for alias in ("床位数", "beds", "总床位"):
        assert alias in p.message
    with pytest.raises(ValidationError):
        read_layer(path, "institutions", crs="wgs84")


def test_no_coordinate_columns(tmp_path):
    rep = validate(_csv(tmp_path, "名称,地址\n甲村,某路1号\n"), "villages")
    p = _one(rep, "no_coordinates")
    assert "经度" in p.message and "lng" in p.message and "纬度" in p.message


def test_non_numeric_and_negative_cells(tmp_path):
    path = _csv(tmp_path, "名称,床位数,护理型床位,经度,纬度\n甲,100,50,120.1,30.9\n乙,一百,10,120.2,30.8\n丙,30,-2,120.3,30.7\n")
    rep = validate(path, "institutions", crs="wgs84")
    p = _one(rep, "not_numeric")
    _located(p, 3, "床位数")
    assert "一百" in p.message
    q = _one(rep, "negative")
    _located(q, 4, "护理型床位")
    assert "-2" in q.message


def test_lenient_numbers_are_accepted(tmp_path):
    path = _csv(tmp_path, "名称,床位数,经度,纬度\n甲,\"1,200\",120.1,30.9\n乙,35张,120.2,30.8\n丙,１２０,120.3,30.7\n")
    gdf = read_layer(path, "institutions", crs="wgs84")
    assert gdf["beds"].tolist() == [1200.0, 35.0, 120.0]


def test_nursing_beds_more_than_beds(tmp_path):
    path = _csv(tmp_path, "名称,床位数,护理型床位,经度,纬度\n甲,100,50,120.1,30.9\n乙,40,60,120.2,30.8\n")
    p = _one(validate(path, "institutions", crs="wgs84"), "nursing_gt_beds")
    assert p.severity == "error"
    _located(p, 3, "护理型床位")
    assert "60" in p.message and "40" in p.message


def test_duplicate_names_warn_and_duplicate_codes_error(tmp_path):
    path = _csv(
        tmp_path,
        "编号,名称,经度,纬度\nS1,甲避灾点,120.1,30.9\nS2,乙避灾点,120.2,30.8\nS1,丙避灾点,120.3,30.7\nS4,乙避灾点,120.1,30.8\n",
    )
    rep = validate(path, "shelters", crs="wgs84")
    dup_id = _one(rep, "duplicate_id")
    assert dup_id.severity == "error"
    _located(dup_id, 4, "编号")
    assert "第 2 行" in dup_id.message
    dup_name = _one(rep, "duplicate_name")
    assert dup_name.severity == "warning"
    _located(dup_name, 5, "名称")
    assert "第 3 行" in dup_name.message


def test_missing_required_value(tmp_path):
    path = _csv(tmp_path, "界桩编号,经度,纬度\n33050101,120.1,30.9\n,120.2,30.8\n")
    _located(_one(validate(path, "markers", crs="wgs84"), "missing_value"), 3, "界桩编号")


def test_unknown_category_and_bad_boolean_warn(tmp_path):
    path = _csv(
        tmp_path,
        "场所名称,等级,经度,纬度\n甲,县级,120.1,30.9\n乙,省级,120.2,30.8\n",
        name="shelters.csv",
    )
    rep = validate(path, "shelters", crs="wgs84")
    p = _one(rep, "unknown_category")
    assert p.severity == "warning" and "省级" in p.message and "乡镇级" in p.message
    _located(p, 3, "等级")
    day = _csv(tmp_path, "名称,老年食堂,经度,纬度\n甲,是,120.1,30.9\n乙,偶尔,120.2,30.8\n", name="day.csv")
    b = _one(validate(day, "daycare", crs="wgs84"), "bad_boolean")
    _located(b, 3, "老年食堂")
    with pytest.warns(DataWarning, match="偶尔"):
        gdf = read_layer(day, "daycare", crs="wgs84")
    assert gdf["has_meal"].iloc[0] and pd.isna(gdf["has_meal"].iloc[1])


# --------------------------------------------------------------------------------------------
# empty files
# --------------------------------------------------------------------------------------------
def test_empty_files(tmp_path):
    assert _one(validate(_csv(tmp_path, "", "zero.csv"), "villages"), "empty_file").severity == "error"
    header_only = validate(_csv(tmp_path, "名称,经度,纬度\n", "head.csv"), "villages", crs="wgs84")
    assert header_only.codes() == {"empty_file"}
    blank_lines = validate(_csv(tmp_path, "\n\n  \n", "blank.csv"), "villages")
    assert blank_lines.codes() == {"empty_file"}
    gpkg = tmp_path / "none.gpkg"
    gpd.GeoDataFrame({"name": pd.Series([], dtype=str)}, geometry=[], crs=4326).to_file(gpkg)
    assert "empty_file" in validate(gpkg, "villages").codes()
    wb = openpyxl.Workbook()
    wb.save(tmp_path / "empty.xlsx")
    assert validate(tmp_path / "empty.xlsx", "villages").codes() == {"empty_file"}


# --------------------------------------------------------------------------------------------
# coordinates
# --------------------------------------------------------------------------------------------
def test_lonlat_swapped_whole_file(tmp_path):
    text = _points_csv(LAT[:5], LON[:5], "{:.5f}")
    rep = validate(_csv(tmp_path, text), "villages", crs="wgs84")
    p = _one(rep, "lonlat_swapped")
    assert p.severity == "error" and "经纬度可能互换" in p.message
    assert "经度" in p.column and "纬度" in p.column
    assert "outside_china" not in rep.codes()  # the swap explains it; not reported twice
    fixed = read_layer(_csv(tmp_path, text), "villages", crs="wgs84", lon_col="纬度", lat_col="经度", metric=False)
    np.testing.assert_allclose(fixed.geometry.x, LON[:5], atol=1e-5)


def test_lonlat_swapped_single_row(tmp_path):
    path = _csv(tmp_path, "名称,lng,lat\n甲,120.1,30.9\n乙,30.8,120.2\n丙,120.3,30.7\n")
    p = _one(validate(path, "villages", crs="wgs84"), "lonlat_swapped")
    _located(p, 3, "lng/lat")


def test_projected_xy_swapped(tmp_path):
    pts = gpd.GeoSeries(shapely.points(LON[:5], LAT[:5]), crs=4326).to_crs(4549)
    text = "名称,X,Y\n" + "".join(f"村{i},{p.y:.2f},{p.x:.2f}\n" for i, p in enumerate(pts))  # X = northing
    rep = validate(_csv(tmp_path, text), "villages", crs="EPSG:4549")
    p = _one(rep, "lonlat_swapped")
    assert "北坐标" in p.message
    assert "outside_china" not in rep.codes()


def test_outside_china(tmp_path):
    path = _csv(tmp_path, "名称,经度,纬度\n甲,120.1,30.9\n乙,2.35,48.85\n丙,508605.2,3418782.3\n")
    rep = validate(path, "villages", crs="wgs84")
    bad = [p for p in rep.problems if p.code == "outside_china"]
    assert [p.row for p in bad] == [3, 4]
    assert all(p.column == "经度/纬度" for p in bad)
    assert "EPSG:4549" in bad[1].message  # looks like metres: hint to declare the CRS


def test_far_outside_study_area(tmp_path, monkeypatch):
    path = _csv(tmp_path, "名称,经度,纬度\n甲,120.1,30.9\n乙,113.26,23.13\n")  # Guangzhou
    bounds = (119.2, 30.3, 120.5, 31.2)  # Huzhou
    rep = validate(path, "villages", crs="wgs84", study_area=bounds)
    p = _one(rep, "outside_study_area")
    assert p.severity == "warning"
    _located(p, 3, "经度/纬度")
    assert validate(path, "villages", crs="wgs84").codes() == set()
    monkeypatch.setattr(settings, "study_area_bounds", bounds)
    assert "outside_study_area" in validate(path, "villages", crs="wgs84").codes()
    # 20 km outside, within the 50 km margin: fine
    near = _csv(tmp_path, "名称,经度,纬度\n甲,120.1,30.9\n乙,120.7,30.9\n", name="near.csv")
    assert "outside_study_area" not in validate(near, "villages", crs="wgs84").codes()
    # a reference layer defines the study area too
    monkeypatch.setattr(settings, "study_area_bounds", None)
    ref = gpd.GeoDataFrame(geometry=[shapely.box(*bounds)], crs=4326).to_crs(4549)
    assert "outside_study_area" in validate(path, "villages", crs="wgs84", reference=ref).codes()


def _roads_reference() -> gpd.GeoDataFrame:
    """Short WGS84 road segments through each village point (a trusted road layer)."""
    lines = shapely.linestrings(
        np.stack([np.column_stack([LON - 0.002, LAT]), np.column_stack([LON + 0.002, LAT + 0.001])], axis=1)
    )
    return gpd.GeoDataFrame({"road_class": ["村道"] * len(LON)}, geometry=lines, crs=4326).to_crs(4549)


def test_gcj02_declared_as_wgs84_is_suspected(tmp_path):
    gx, gy = wgs84_to_gcj02(LON, LAT)
    text = _points_csv(gx, gy)
    path = _csv(tmp_path, text)
    ref = _roads_reference()
    rep = validate(path, "villages", crs="wgs84", reference=ref)
    p = _one(rep, "gcj02_suspected")
    assert p.severity == "warning" and "坐标疑似为高德（GCJ-02）坐标" in p.message and "crs='gcj02'" in p.message
    assert rep.ok
    # declared correctly: no suspicion
    assert "gcj02_suspected" not in validate(path, "villages", crs="gcj02", reference=ref).codes()
    # undeclared (assumed WGS84) is checked as well
    assert "gcj02_suspected" in validate(path, "villages", reference=ref).codes()
    # true WGS84 data: no suspicion
    wgs = _points_csv(LON, LAT)
    assert validate(_csv(tmp_path, wgs, "wgs.csv"), "villages", crs="wgs84", reference=ref).codes() == set()


def test_bd09_declared_as_wgs84_is_suspected(tmp_path):
    bx, by = wgs84_to_bd09(LON, LAT)
    text = _points_csv(bx, by)
    rep = validate(_csv(tmp_path, text), "villages", crs="wgs84", reference=_roads_reference())
    assert "百度" in _one(rep, "bd09_suspected").message


def test_missing_coordinates(tmp_path):
    path = _csv(tmp_path, "名称,经度,纬度\n甲,120.1,30.9\n乙,,30.8\n丙,120.3,abc\n")
    rep = validate(path, "villages", crs="wgs84")
    _located(_one(rep, "missing_geometry"), 3, "经度/纬度")
    _located(_one(rep, "not_numeric"), 4, "纬度")


def test_empty_geometry_in_spatial_file(tmp_path):
    path = tmp_path / "pts.gpkg"
    geoms = [shapely.Point(120.1, 30.9), None, shapely.Point()]
    gpd.GeoDataFrame({"名称": ["甲", "乙", "丙"]}, geometry=geoms, crs=4326).to_file(path)
    rep = validate(path, "villages")
    assert [p.row for p in rep.problems if p.code == "missing_geometry"] == [2, 3]


def test_geometry_type_mismatch(tmp_path):
    path = tmp_path / "shelters.gpkg"
    geoms = [shapely.Point(120.1, 30.9), shapely.box(120.0, 30.8, 120.01, 30.81), shapely.Point(120.2, 30.8)]
    gpd.GeoDataFrame({"名称": ["甲", "乙", "丙"]}, geometry=geoms, crs=4326).to_file(path)
    p = _one(validate(path, "shelters"), "geometry_type")
    assert p.severity == "error" and p.row == 2 and "Polygon" in p.message and "点" in p.message
    allpoly = tmp_path / "allpoly.geojson"
    gpd.GeoDataFrame({"名称": ["甲", "乙"]}, geometry=[geoms[1], geoms[1].buffer(0.1)], crs=4326).to_file(allpoly)
    q = _one(validate(allpoly, "shelters"), "geometry_type")
    assert q.row is None and "全部 2 个要素" in q.message


def test_invalid_polygon_repaired_with_warning(tmp_path):
    bowtie = shapely.Polygon([(120.0, 30.8), (120.1, 30.9), (120.1, 30.8), (120.0, 30.9), (120.0, 30.8)])
    ok = shapely.box(120.2, 30.8, 120.3, 30.9)
    path = tmp_path / "units.gpkg"
    gpd.GeoDataFrame({"代码": ["1", "2"], "名称": ["甲", "乙"]}, geometry=[ok, bowtie], crs=4326).to_file(path)
    rep = validate(path, "units")
    p = _one(rep, "invalid_geometry")
    assert p.severity == "warning" and p.row == 2 and "make_valid" in p.message and "Self-intersection" in p.message
    assert rep.ok
    with pytest.warns(DataWarning, match="make_valid"):
        gdf = read_layer(path, "units")
    assert gdf.is_valid.all()
    assert gdf.geom_type.isin(["Polygon", "MultiPolygon"]).all()


def test_missing_crs(tmp_path):
    path = tmp_path / "noprj.shp"
    pyogrio.write_dataframe(
        gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[shapely.Point(120.1, 30.9)], crs=4326), path, encoding="GBK"
    )
    path.with_suffix(".prj").unlink()
    p = _one(validate(path, "villages"), "missing_crs")
    assert p.severity == "error" and "crs=" in p.message
    with pytest.raises(ValidationError, match="missing CRS"):
        read_layer(path, "villages")
    assert validate(path, "villages", crs="wgs84").ok


def test_mixed_crs(tmp_path):
    path = tmp_path / "metric.gpkg"
    gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[shapely.Point(120.1, 30.9)], crs=4326).to_crs(4549).to_file(path)
    for declared in ("wgs84", "gcj02", "EPSG:4528"):
        p = _one(validate(path, "villages", crs=declared), "mixed_crs")
        assert p.severity == "error" and "EPSG:4549" in p.message
    assert validate(path, "villages", crs=4549).ok
    # EPSG:4326 file declared GCJ-02: the normal Amap export, relabelled then converted
    gj = tmp_path / "amap.geojson"
    gpd.GeoDataFrame({"名称": ["甲"]}, geometry=[shapely.Point(120.1, 30.9)], crs=4326).to_file(gj)
    assert validate(gj, "villages", crs="gcj02").ok


# --------------------------------------------------------------------------------------------
# row numbering and the report
# --------------------------------------------------------------------------------------------
def test_excel_row_numbers_with_title_row_and_blank_rows(tmp_path):
    path = tmp_path / "inst.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["湖州市养老机构统计表（2018 年）"])  # row 1: title
    ws.append(["机构名称", "床位数", "经度", "纬度"])  # row 2: header
    ws.append(["甲", 100, 120.1, 30.9])  # row 3
    ws.append([])  # row 4: blank
    ws.append(["乙", "很多", 120.2, 30.8])  # row 5
    ws.append(["合计", 100, None, None])  # row 6: total row, ignored
    wb.save(path)
    rep = validate(path, "institutions", crs="wgs84")
    _located(_one(rep, "not_numeric"), 5, "床位数")
    assert _one(rep, "total_row").row == 6
    assert rep.codes() == {"not_numeric", "total_row"}


def test_csv_row_numbers_with_blank_lines_and_quoted_newlines(tmp_path):
    path = _csv(tmp_path, '名称,备注,床位数,经度,纬度\n甲,"两行\n备注",10,120.1,30.9\n\n乙,,x,120.2,30.8\n')
    _located(_one(validate(path, "institutions", crs="wgs84"), "not_numeric"), 4, "床位数")


def test_several_problems_reported_at_once(tmp_path):
    text = (
        "编号,名称,床位数,护理型床位,性质,经度,纬度\n"
        "A1,甲,100,50,公办,120.1,30.9\n"  # 2: fine
        "A1,乙,abc,10,民办,120.2,30.8\n"  # 3: duplicate id, not numeric
        "A3,甲,-5,1,私营,120.3,30.7\n"  # 4: duplicate name, negative, unknown category
        "A4,丁,40,60,公办,,30.6\n"  # 5: nursing > beds, missing coordinate
        "A5,戊,20,10,公办,2.35,48.85\n"  # 6: outside China
    )
    path = _csv(tmp_path, text, encoding="gbk")
    rep = validate(path, "institutions")
    found = {(p.code, p.row) for p in rep.problems}
    assert found == {
        ("assumed_wgs84", None),
        ("duplicate_id", 3),
        ("not_numeric", 3),
        ("duplicate_name", 4),
        ("negative", 4),
        ("unknown_category", 4),
        ("nursing_gt_beds", 5),
        ("missing_geometry", 5),
        ("outside_china", 6),
    }
    rows = [p.row for p in rep.problems]
    assert rows[0] is None and rows[1:] == sorted(rows[1:])  # file-level first, then by row
    with pytest.raises(ValidationError) as info:
        read_layer(path, "institutions")
    assert len(info.value.problems) == len(rep.problems)
    assert len(info.value.errors) == len(rep.errors) == 6


def test_report_frame_and_text(tmp_path):
    path = _csv(tmp_path, "名称,床位数,经度,纬度\n甲,abc,120.1,30.9\n甲,5,120.2,30.8\n", name="养老.csv")
    rep = validate(path, "institutions", crs="wgs84")
    frame = rep.to_frame()
    assert list(frame.columns)[:5] == ["级别", "文件", "行号", "列", "问题"]
    assert frame["行号"].tolist() == [2, 3]
    assert frame["级别"].tolist() == ["错误", "警告"]
    assert frame["文件"].unique().tolist() == ["养老.csv"]
    text = str(rep)
    assert text == format_report(rep)
    assert "养老.csv（养老机构）：1 个错误，1 个警告" in text
    lines = text.splitlines()
    assert lines[1].split() == ["级别", "行号", "列", "问题"]
    assert "abc" in lines[3] and "床位数" in lines[3] and lines[3].split()[:2] == ["错误", "2"]
    assert not rep.ok and len(rep.errors) == 1 and len(rep.warnings) == 1
    assert "1 errors" in repr(rep)
    short = format_report(rep, max_rows=1)
    assert "另有 1 个问题未显示" in short
    clean = validate(_csv(tmp_path, "名称,经度,纬度\n甲,120.1,30.9\n", "ok.csv"), "villages", crs="wgs84")
    assert clean.ok and "未发现问题" in str(clean)
    assert clean.to_frame().empty


def test_warnings_only_file_reads_with_one_warning_per_kind(tmp_path):
    path = _csv(tmp_path, "名称,经度,纬度\n甲,120.1,30.9\n甲,120.2,30.8\n甲,120.3,30.7\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gdf = read_layer(path, "villages", crs="wgs84")
    data_warnings = [w for w in caught if issubclass(w.category, DataWarning)]
    assert len(data_warnings) == 1 and "2 处「名称重复」" in str(data_warnings[0].message)
    assert len(gdf) == 3


def test_duplicate_and_blank_headers(tmp_path):
    path = _csv(tmp_path, "名称,备注,备注,,经度,纬度\n甲,a,b,x,120.1,30.9\n")
    rep = validate(path, "villages", crs="wgs84")
    p = _one(rep, "duplicate_header")
    assert p.row == 1 and p.column == "备注" and p.severity == "warning"
    with pytest.warns(DataWarning, match="备注_2"):
        gdf = read_layer(path, "villages", crs="wgs84")
    assert list(gdf.columns) == ["name", "备注", "备注_2", "未命名列D", "geometry"]


def test_reference_and_study_area_inputs(tmp_path):
    path = _csv(tmp_path, "名称,经度,纬度\n甲,120.1,30.9\n乙,113.26,23.13\n")
    ref = gpd.GeoDataFrame(geometry=[shapely.box(119.2, 30.3, 120.5, 31.2)], crs=4326)
    ref_file = tmp_path / "ref.gpkg"
    ref.to_file(ref_file)
    assert "outside_study_area" in validate(path, "villages", crs="wgs84", reference=ref_file).codes()
    area = shapely.box(119.2, 30.3, 120.5, 31.2)
    assert "outside_study_area" in validate(path, "villages", crs="wgs84", study_area=area).codes()
    from mzgeo import CRSError

    with pytest.raises(CRSError):
        validate(path, "villages", crs="wgs84", reference=ref.set_crs(None, allow_override=True))


def test_validate_rejects_unknown_keywords(tmp_path):
    from mzgeo import InputError

    with pytest.raises(InputError):
        validate(_csv(tmp_path, "名称,经度,纬度\n甲,120.1,30.9\n"), "villages", sheeet="x")
