"""Readers on real files written in each format and encoding; CRS rules; writers."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely

import mzgeo
from mzgeo import DataWarning, InputError, ValidationError
from mzgeo.crs import bd09_to_wgs84, gcj02_to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
from mzgeo.io import read_layer, validate, write_layer, write_layers

GEOD = pyproj.Geod(ellps="WGS84")

HEADER = "名称,床位数,护理型床位,性质,经度,纬度\n"
ROWS = [
    ("湖州市社会福利中心", 300, 200, "公办", 120.0865, 30.8944),
    ("德清县颐养院", 120, 80, "民办", 119.9680, 30.5390),
    ("长兴县𠀀养老院", 80, 40, "公建民营", 119.9100, 31.0100),  # 𠀀 (U+20000) is not in GBK
]


def _csv_text(rows=ROWS, header=HEADER) -> str:
    return header + "".join(",".join(str(v) for v in r) + "\n" for r in rows)


def _snapshot(path: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of a file and its sidecars (a Shapefile is several files)."""
    parts = [p for p in path.parent.iterdir() if p.stem == path.stem] if path.suffix == ".shp" else [path]
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in parts}


def _read_quiet(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return read_layer(*args, **kwargs)


def _points_gdf(crs=4326) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"名称": [r[0] for r in ROWS[:2]], "床位数": [r[1] for r in ROWS[:2]], "护理型床位": [r[2] for r in ROWS[:2]]},
        geometry=shapely.points([[r[4], r[5]] for r in ROWS[:2]]),
        crs=crs,
    )


# --------------------------------------------------------------------------------------------
# CSV encodings
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("encoding", "expected", "rows"),
    [
        ("utf-8", "utf-8", ROWS),
        ("utf-8-sig", "utf-8-sig", ROWS),
        ("gbk", "gbk", ROWS[:2]),
        ("gb18030", "gb18030", ROWS),
    ],
)
def test_csv_encodings(tmp_path, encoding, expected, rows):
    path = tmp_path / f"inst_{encoding}.csv"
    path.write_bytes(_csv_text(rows).encode(encoding))
    before = _snapshot(path)
    gdf = read_layer(path, "institutions", crs="wgs84")
    assert gdf.attrs["mzgeo_encoding"] == expected
    assert gdf["name"].tolist() == [r[0] for r in rows]
    assert gdf["beds"].tolist() == [float(r[1]) for r in rows]
    assert gdf["ownership"].tolist() == [r[3] for r in rows]
    assert gdf.attrs["mzgeo_kind"] == "institutions"
    assert gdf.attrs["mzgeo_source"] == path.name
    assert gdf.attrs["mzgeo_input_crs"] == "wgs84"
    assert gdf.crs.to_epsg() == 4549
    assert "lon" not in gdf.columns and "经度" not in gdf.columns
    assert _snapshot(path) == before


def test_gbk_cannot_hold_the_gb18030_character():
    with pytest.raises(UnicodeEncodeError):
        "𠀀".encode("gbk")


def test_csv_explicit_encoding_and_tab_delimiter(tmp_path):
    path = tmp_path / "inst.tsv"
    path.write_bytes(_csv_text(ROWS[:2]).replace(",", "\t").encode("gb18030"))
    gdf = read_layer(path, "institutions", crs="wgs84", encoding="gb18030")
    assert gdf.attrs["mzgeo_encoding"] == "gb18030"
    assert gdf["name"].tolist() == [ROWS[0][0], ROWS[1][0]]


def test_csv_utf16_excel_unicode_text(tmp_path):
    path = tmp_path / "inst.txt"
    path.write_bytes(_csv_text(ROWS[:2]).replace(",", "\t").encode("utf-16"))
    gdf = read_layer(path, "institutions", crs="wgs84")
    assert gdf.attrs["mzgeo_encoding"] == "utf-16"
    assert len(gdf) == 2


def test_csv_neither_utf8_nor_gb18030_is_guessed_with_warning(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("name,lon,lat\nCafé Maïs,120.1,30.9\nRésidence,120.2,30.8\n".encode("cp1252"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("gb18030")
    rep = validate(path, "villages", crs="wgs84")
    assert rep.ok and rep.codes() == {"encoding_guess"}
    with pytest.warns(DataWarning, match="猜测"):
        gdf = read_layer(path, "villages", crs="wgs84")
    assert gdf.attrs["mzgeo_encoding"] not in {"utf-8", "gbk", "gb18030"}
    assert len(gdf) == 2


def test_csv_wrong_explicit_encoding_is_reported(tmp_path):
    path = tmp_path / "inst.csv"
    path.write_bytes(_csv_text(ROWS[:2]).encode("gbk"))
    rep = validate(path, "institutions", crs="wgs84", encoding="utf-8")
    assert rep.codes() == {"unreadable"}


def test_lonlat_table_without_crs_assumes_wgs84_with_warning(tmp_path):
    path = tmp_path / "inst.csv"
    path.write_text(_csv_text(ROWS[:2]), encoding="utf-8")
    with pytest.warns(DataWarning, match="WGS84"):
        gdf = read_layer(path, "institutions")
    assert gdf.attrs["mzgeo_input_crs"] == "wgs84"


def test_metric_false_gives_wgs84(tmp_path):
    path = tmp_path / "inst.csv"
    path.write_text(_csv_text(ROWS[:2]), encoding="utf-8")
    gdf = read_layer(path, "institutions", crs="wgs84", metric=False)
    assert gdf.crs.to_epsg() == 4326
    assert gdf.geometry.x.tolist() == pytest.approx([ROWS[0][4], ROWS[1][4]])


def test_columns_values_and_types(tmp_path):
    path = tmp_path / "daycare.csv"
    path.write_text(
        "中心名称,所在村社区,老年食堂,医养结合,编号,经度,纬度,建筑面积,邮编,备注\n"
        "东林镇照料中心,东林村,是,否,0012,120.01,30.77,350,0572,\n"
        "南浔镇照料中心,南浔社区,有,无,0013,120.42,30.87,420,0573,新建\n"
        "和孚镇照料中心,和孚村,,Y,0014,120.17,30.78,200,0574,\n",
        encoding="utf-8",
    )
    gdf = read_layer(path, "daycare", crs="wgs84")
    assert list(gdf.columns) == ["name", "village", "has_meal", "has_medical", "code", "建筑面积", "邮编", "备注", "geometry"]
    assert gdf["has_meal"].dtype == "boolean"
    assert gdf["has_meal"].tolist()[:2] == [True, True] and pd.isna(gdf["has_meal"].iloc[2])
    assert gdf["has_medical"].tolist() == [False, False, True]
    assert gdf["code"].tolist() == ["0012", "0013", "0014"]  # leading zeros kept
    assert gdf["建筑面积"].tolist() == [350, 420, 200]  # extra numeric column typed
    assert gdf["邮编"].tolist() == ["0572", "0573", "0574"]  # leading zeros: stays text


def test_category_aliases_normalised_on_read(tmp_path):
    path = tmp_path / "shelters.csv"
    path.write_text(
        "场所名称,级别,容纳人数（人）,经度,纬度\n"
        "吴兴区避灾中心,区县级,800,120.09,30.89\n"
        "织里镇避灾安置点,乡镇（街道）级,300,120.26,30.84\n"
        "某村避灾点,村（社区）级,60,120.20,30.80\n",
        encoding="utf-8",
    )
    gdf = read_layer(path, "shelters", crs="wgs84")
    assert gdf["tier"].tolist() == ["县级", "乡镇级", "村级"]
    assert gdf["capacity"].tolist() == [800.0, 300.0, 60.0]


def test_combined_location_column_and_dms(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text(
        "名称,location\n甲村,\"120.0865,30.8944\"\n乙村,\"120.1,30.9\"\n", encoding="utf-8"
    )
    gdf = read_layer(path, "villages", crs="wgs84", metric=False)
    assert gdf.geometry.x.tolist() == pytest.approx([120.0865, 120.1])
    dms = tmp_path / "dms.csv"
    dms.write_text("界桩编号,经度,纬度\n33050101,120°05′30″E,30°53′39.8″N\n", encoding="utf-8")
    m = read_layer(dms, "markers", crs="cgcs2000", metric=False)
    assert m.geometry.x.iloc[0] == pytest.approx(120 + 5 / 60 + 30 / 3600, abs=1e-9)
    assert m.geometry.y.iloc[0] == pytest.approx(30 + 53 / 60 + 39.8 / 3600, abs=1e-9)
    assert m["marker_id"].iloc[0] == "33050101"


def test_wkt_column_for_polygons(tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(
        "代码,名称,wkt\n330502,吴兴区,\"POLYGON ((120 30.8, 120.2 30.8, 120.2 31, 120 31, 120 30.8))\"\n",
        encoding="utf-8",
    )
    gdf = read_layer(path, "units", crs="wgs84", metric=False)
    assert gdf.geom_type.tolist() == ["Polygon"]
    assert gdf["code"].tolist() == ["330502"]


def test_explicit_lon_lat_columns(tmp_path):
    path = tmp_path / "v.csv"
    path.write_text("名称,东,北\n甲村,120.0865,30.8944\n", encoding="utf-8")
    gdf = read_layer(path, "villages", crs="wgs84", lon_col="东", lat_col="北", metric=False)
    assert (gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0]) == pytest.approx((120.0865, 30.8944))


# --------------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------------
def _workbook(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "说明"
    ws.append(["本表为示例"])
    data = wb.create_sheet("养老机构")
    data.append(["湖州市养老机构一览表"])  # title row above the header
    data.append(["序号", "机构名称", "床位数（张）", "护理型床位数", "经度", "纬度", "统一代码"])
    data.append([1, "湖州市社会福利中心", 300, 200, 120.0865, 30.8944, 330502001000])
    data.append([2, "德清县颐养院", 120, 80, 119.968, 30.539, 330521001000])
    wb.save(path)


def test_xlsx_first_sheet(tmp_path):
    path = tmp_path / "inst.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["名称", "床位数", "经度", "纬度"])
    ws.append(["甲", 10, 120.1, 30.9])
    ws.append(["乙", 20, 120.2, 30.8])
    wb.save(path)
    wb.close()
    before = _snapshot(path)
    gdf = read_layer(path, "institutions", crs="wgs84")
    assert gdf["name"].tolist() == ["甲", "乙"]
    assert gdf["beds"].tolist() == [10.0, 20.0]
    assert _snapshot(path) == before


def test_xlsx_named_sheet_with_title_row(tmp_path):
    path = tmp_path / "inst.xlsx"
    _workbook(path)
    gdf = read_layer(path, "institutions", crs="gcj02", sheet="养老机构")
    assert gdf["name"].tolist() == ["湖州市社会福利中心", "德清县颐养院"]
    assert gdf["nursing_beds"].tolist() == [200.0, 80.0]
    assert gdf["序号"].tolist() == [1, 2]
    assert gdf["统一代码"].tolist() == [330502001000, 330521001000]
    assert gdf.attrs["mzgeo_input_crs"] == "gcj02"
    by_index = read_layer(path, "institutions", crs="gcj02", sheet=1)
    assert by_index["name"].tolist() == gdf["name"].tolist()


def test_xlsx_codes_written_as_numbers_stay_text(tmp_path):
    path = tmp_path / "units.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["区划代码", "名称", "上级代码", "经度", "纬度"])
    ws.append([330502001000, "甲", 330502.0, 120.1, 30.9])
    wb.save(path)
    rep = validate(path, "villages", crs="wgs84")
    assert rep.ok
    gdf = read_layer(path, "villages", crs="wgs84")
    assert gdf["code"].tolist() == ["330502001000"]


def test_xlsx_missing_sheet_is_reported(tmp_path):
    path = tmp_path / "inst.xlsx"
    _workbook(path)
    rep = validate(path, "institutions", crs="wgs84", sheet="床位")
    assert rep.codes() == {"sheet_not_found"}
    assert "养老机构" in rep.errors[0].message  # lists the sheets that exist


# --------------------------------------------------------------------------------------------
# GeoPackage, GeoJSON, Shapefile
# --------------------------------------------------------------------------------------------
def test_geopackage_layers(tmp_path):
    path = tmp_path / "data.gpkg"
    pts = _points_gdf().to_crs(4549)
    pts.to_file(path, layer="institutions")
    pts.rename(columns={"名称": "name"}).to_file(path, layer="other")
    before = _snapshot(path)
    gdf = read_layer(path, "institutions")  # layer named like the kind is chosen
    assert gdf.attrs["mzgeo_input_crs"] == "EPSG:4549"
    assert gdf["name"].tolist() == [ROWS[0][0], ROWS[1][0]]
    other = read_layer(path, "institutions", layer="other", metric=False)
    assert other.crs.to_epsg() == 4326
    np.testing.assert_allclose(other.geometry.x, [ROWS[0][4], ROWS[1][4]], atol=1e-9)
    rep = validate(path, "institutions", layer="nope")
    assert rep.codes() == {"layer_not_found"}
    assert _snapshot(path) == before


def test_geopackage_attribute_tables_are_skipped(tmp_path):
    path = tmp_path / "qgis.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"styleName": ["x"]}), path, layer="layer_styles")
    _points_gdf().to_file(path, layer="facilities")
    rep = validate(path, "institutions")
    assert rep.ok and not rep.problems
    assert validate(path, "institutions", layer="layer_styles").codes() == {"no_coordinates"}


def test_geopackage_several_layers_warns(tmp_path):
    path = tmp_path / "data.gpkg"
    _points_gdf().to_file(path, layer="a")
    _points_gdf().to_file(path, layer="b")
    rep = validate(path, "institutions")
    assert rep.ok and "several_layers" in rep.codes()


def test_geojson(tmp_path):
    path = tmp_path / "inst.geojson"
    _points_gdf().to_file(path, driver="GeoJSON")
    before = _snapshot(path)
    gdf = read_layer(path, "institutions")
    assert gdf.attrs["mzgeo_input_crs"] == "wgs84"
    assert gdf["beds"].tolist() == [300.0, 120.0]
    assert _snapshot(path) == before


def _shapefile(tmp_path: Path, encoding: str, keep_cpg: bool) -> Path:
    path = tmp_path / f"inst_{encoding}_{keep_cpg}.shp"
    # .dbf field names hold 10 bytes: 护理型床位 is 15 bytes in UTF-8, so use the English alias
    gdf = _points_gdf().rename(columns={"护理型床位": "nursing"})
    pyogrio.write_dataframe(gdf, path, encoding=encoding)
    cpg = path.with_suffix(".cpg")
    assert cpg.exists()
    if not keep_cpg:
        cpg.unlink()
    return path


@pytest.mark.parametrize(
    ("encoding", "keep_cpg", "expected"),
    [("GBK", True, "GBK"), ("GBK", False, "GBK"), ("UTF-8", True, "UTF-8"), ("UTF-8", False, "UTF-8")],
)
def test_shapefile_encodings(tmp_path, encoding, keep_cpg, expected):
    path = _shapefile(tmp_path, encoding, keep_cpg)
    before = _snapshot(path)
    gdf = read_layer(path, "institutions")
    assert gdf["name"].tolist() == [ROWS[0][0], ROWS[1][0]]  # Chinese text and headers decoded
    assert gdf["nursing_beds"].tolist() == [200.0, 80.0]
    assert gdf.attrs["mzgeo_encoding"].upper() == expected
    assert _snapshot(path) == before
    rep = validate(path, "institutions")
    assert rep.ok and not rep.problems
    assert _snapshot(path) == before


def test_shapefile_gbk_without_cpg_is_mojibake_for_gdal(tmp_path):
    """The case the detection exists for: GDAL alone reads GBK bytes as ISO-8859-1."""
    path = _shapefile(tmp_path, "GBK", keep_cpg=False)
    raw = pyogrio.read_dataframe(path)
    assert "名称" not in raw.columns
    assert read_layer(path, "institutions")["name"].iloc[0] == ROWS[0][0]


def test_shapefile_field_name_cut_inside_a_utf8_character(tmp_path):
    path = tmp_path / "cut.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL: field name laundered to 10 bytes
        pyogrio.write_dataframe(_points_gdf(), path, encoding="UTF-8")
    with pytest.raises(UnicodeDecodeError):
        pyogrio.read_dataframe(path)  # what a plain reader does with such a file
    rep = validate(path, "institutions")
    assert rep.ok and "mojibake" in rep.codes()
    gdf = _read_quiet(path, "institutions")
    assert gdf["name"].tolist() == [ROWS[0][0], ROWS[1][0]]
    assert gdf["beds"].tolist() == [300.0, 120.0]


def test_shapefile_explicit_encoding(tmp_path):
    path = _shapefile(tmp_path, "GBK", keep_cpg=False)
    gdf = read_layer(path, "institutions", encoding="GBK")
    assert gdf["name"].iloc[1] == ROWS[1][0]


# --------------------------------------------------------------------------------------------
# GCJ-02 / BD-09 conversion and CRS rules
# --------------------------------------------------------------------------------------------
def test_gcj02_point_moves_about_500_m_and_matches_conversion(tmp_path):
    glon, glat = 120.0865, 30.8944
    path = tmp_path / "pt.csv"
    path.write_text(f"名称,经度,纬度\n甲村,{glon},{glat}\n", encoding="utf-8")
    gdf = read_layer(path, "villages", crs="gcj02", metric=False)
    x, y = gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0]
    ex, ey = gcj02_to_wgs84(glon, glat)
    assert (x, y) == pytest.approx((ex, ey), abs=1e-12)
    moved = GEOD.inv(glon, glat, x, y)[2]
    assert 400 < moved < 700
    assert gdf.attrs["mzgeo_input_crs"] == "gcj02"
    # and the metric result is the same point
    m = read_layer(path, "villages", crs="高德")
    back = m.to_crs(4326)
    assert (back.geometry.x.iloc[0], back.geometry.y.iloc[0]) == pytest.approx((ex, ey), abs=1e-8)


def test_bd09_point_conversion(tmp_path):
    wlon, wlat = 120.0865, 30.8944
    blon, blat = wgs84_to_bd09(wlon, wlat)
    path = tmp_path / "pt.csv"
    path.write_text(f"名称,经度,纬度\n甲村,{blon!r},{blat!r}\n", encoding="utf-8")
    gdf = read_layer(path, "villages", crs="bd09", metric=False)
    assert (gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0]) == pytest.approx(bd09_to_wgs84(blon, blat), abs=1e-12)
    assert GEOD.inv(wlon, wlat, gdf.geometry.x.iloc[0], gdf.geometry.y.iloc[0])[2] < 0.5


def test_gcj02_polygon_vertices_converted(tmp_path):
    ring = np.array([[120.0, 30.8], [120.2, 30.8], [120.2, 31.0], [120.0, 31.0], [120.0, 30.8]])
    gx, gy = wgs84_to_gcj02(ring[:, 0], ring[:, 1])
    poly = shapely.Polygon(np.column_stack([gx, gy]))
    path = tmp_path / "county.geojson"  # GeoJSON is labelled EPSG:4326: the normal Amap export
    gpd.GeoDataFrame({"代码": ["330502"], "名称": ["吴兴区"]}, geometry=[poly], crs=4326).to_file(path)
    gdf = read_layer(path, "units", crs="gcj02", metric=False)
    got = shapely.get_coordinates(gdf.geometry.iloc[0])
    np.testing.assert_allclose(got, ring, atol=1e-8)  # every vertex back on WGS84
    line_path = tmp_path / "road.gpkg"
    line = shapely.LineString(np.column_stack([gx, gy]))
    gpd.GeoDataFrame({"name": ["G318"]}, geometry=[line], crs=4326).to_file(line_path)
    roads = read_layer(line_path, "roads", crs="gcj02", metric=False)
    np.testing.assert_allclose(shapely.get_coordinates(roads.geometry.iloc[0]), ring, atol=1e-8)


def test_declared_crs_used_for_shapefile_without_prj(tmp_path):
    path = tmp_path / "pts.shp"
    pyogrio.write_dataframe(_points_gdf().to_crs(4549), path, encoding="GBK")
    path.with_suffix(".prj").unlink()
    rep = validate(path, "institutions")
    assert rep.codes() == {"missing_crs"}
    gdf = read_layer(path, "institutions", crs="EPSG:4549", metric=False)
    np.testing.assert_allclose(gdf.geometry.x, [ROWS[0][4], ROWS[1][4]], atol=1e-8)


def test_cgcs2000_and_wgs84_are_compatible(tmp_path):
    path = tmp_path / "pts.gpkg"
    _points_gdf().set_crs(4490, allow_override=True).to_file(path)
    gdf = read_layer(path, "institutions", crs="wgs84", metric=False)
    assert len(gdf) == 2


def test_projected_csv_with_declared_epsg(tmp_path):
    pts = _points_gdf().to_crs(4549)
    path = tmp_path / "xy.csv"
    path.write_text(
        "名称,X,Y\n" + "".join(f"{n},{p.x},{p.y}\n" for n, p in zip(pts["名称"], pts.geometry, strict=True)),
        encoding="utf-8",
    )
    gdf = read_layer(path, "villages", crs=4549, metric=False)
    assert gdf.attrs["mzgeo_input_crs"] == "EPSG:4549"
    np.testing.assert_allclose(gdf.geometry.x, [ROWS[0][4], ROWS[1][4]], atol=1e-8)


# --------------------------------------------------------------------------------------------
# errors of the caller
# --------------------------------------------------------------------------------------------
def test_missing_file_and_unsupported_format(tmp_path):
    with pytest.raises(InputError, match="文件不存在"):
        read_layer(tmp_path / "nope.csv", "villages")
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match="xlsx"):
        validate(xls, "villages")
    with pytest.raises(InputError, match="未知的图层类型"):
        validate(xls, "hospitals")


def test_read_layer_raises_validation_error_with_report(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("名称,床位数,经度,纬度\n甲,十,120.1,30.9\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        read_layer(path, "institutions", crs="wgs84")
    err = info.value
    assert isinstance(err, ValueError)
    assert err.file == "bad.csv"
    assert [p.code for p in err.errors] == ["not_numeric"]
    assert err.report.errors[0].row == 2
    assert "第 2 行" in str(err) and "床位数" in str(err)


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------
def test_write_layer_geopackage_add_and_replace_layers(tmp_path):
    path = tmp_path / "out" / "layers.gpkg"
    pts = _points_gdf().to_crs(4549)
    assert write_layer(pts, path, layer="one") == path
    write_layer(pts.iloc[:1], path, layer="two")
    assert sorted(pyogrio.list_layers(path)[:, 0]) == ["one", "two"]
    write_layer(pts.iloc[:1], path, layer="one")  # replaces that layer only
    assert len(pyogrio.read_dataframe(path, layer="one")) == 1
    assert len(pyogrio.read_dataframe(path, layer="two")) == 1
    assert [p.name for p in path.parent.iterdir()] == ["layers.gpkg"]  # no temp files left


def test_write_layers_in_one_step_and_default_layer_name(tmp_path):
    path = tmp_path / "demo.gpkg"
    pts = _points_gdf()
    pts.attrs["mzgeo_kind"] = "institutions"
    write_layer(pts, path)
    write_layers(path, {"a": pts, "b": pts.to_crs(4549)})
    assert sorted(pyogrio.list_layers(path)[:, 0]) == ["a", "b", "institutions"]
    back = read_layer(path, "institutions", layer="b", metric=False)
    np.testing.assert_allclose(back.geometry.x, pts.geometry.x, atol=1e-8)


def test_write_is_atomic_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "keep.gpkg"
    write_layer(_points_gdf(), path, layer="one")
    before = _snapshot(path)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pyogrio, "write_dataframe", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_layer(_points_gdf(), path, layer="two")
    assert _snapshot(path) == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.gpkg"]


def test_write_geojson_and_shapefile_round_trip(tmp_path):
    gdf = _read_quiet(_shapefile(tmp_path, "GBK", keep_cpg=True), "institutions")  # metric
    gj = write_layer(gdf, tmp_path / "out.geojson")
    assert pyogrio.read_info(gj)["crs"] == "EPSG:4326"  # RFC 7946
    assert read_layer(gj, "institutions")["name"].tolist() == gdf["name"].tolist()
    shp = write_layer(gdf, tmp_path / "out" / "inst.shp")
    assert shp.with_suffix(".cpg").read_text().strip().upper() in {"UTF-8", "UTF8"}
    back = read_layer(shp, "institutions")
    assert back["name"].tolist() == gdf["name"].tolist()
    np.testing.assert_allclose(shapely.get_coordinates(back.geometry), shapely.get_coordinates(gdf.geometry), atol=1e-6)
    assert sorted(p.suffix for p in shp.parent.iterdir()) == [".cpg", ".dbf", ".prj", ".shp", ".shx"]


def test_write_errors(tmp_path):
    pts = _points_gdf()
    with pytest.raises(InputError):
        write_layer(pts, tmp_path / "x.csv")
    with pytest.raises(InputError):
        write_layers(tmp_path / "x.geojson", {"a": pts, "b": pts})
    with pytest.raises(mzgeo.CRSError):
        write_layer(pts.set_crs(None, allow_override=True), tmp_path / "x.gpkg")
    with pytest.raises(InputError):
        write_layer(pd.DataFrame({"a": [1]}), tmp_path / "x.gpkg")  # type: ignore[arg-type]
    assert not any(tmp_path.iterdir())


def test_inputs_never_modified_by_any_reader(tmp_path):
    files = []
    csv_path = tmp_path / "a.csv"
    csv_path.write_bytes(_csv_text().encode("gb18030"))
    files.append(csv_path)
    xlsx = tmp_path / "b.xlsx"
    _workbook(xlsx)
    files.append(xlsx)
    gpkg = tmp_path / "c.gpkg"
    _points_gdf().to_file(gpkg)
    files.append(gpkg)
    files.append(_shapefile(tmp_path, "GBK", keep_cpg=False))
    before = {f: _snapshot(f) for f in files}
    mtimes = {f: os.stat(f).st_mtime_ns for f in files}
    for f in files:
        kwargs = {"sheet": "养老机构"} if f.suffix == ".xlsx" else {}
        _read_quiet(f, "institutions", crs="wgs84", **kwargs)
        validate(f, "institutions", crs="wgs84", **kwargs)
    assert {f: _snapshot(f) for f in files} == before
    assert {f: os.stat(f).st_mtime_ns for f in files} == mtimes
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [p.name for f in files for p in ([f] if f.suffix != ".shp" else f.parent.glob(f.stem + ".*"))]
    )
