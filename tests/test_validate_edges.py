"""Bad values that used to pass validation silently: each reproducer is written in tmp_path.

Issue 11, "No bad value passes silently": non-finite numbers and coordinates, two coordinate
pairs, implausible demographics, over-lenient number parsing, encodings, encrypted
workbooks, reference layers of any geometry type.
"""

from __future__ import annotations

import io as _stdio
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyproj
import pytest
import shapely

from mzgeo import DataWarning, InputError, Problem, ValidationError, settings
from mzgeo.crs import wgs84_to_gcj02
from mzgeo.io import ValidationReport, read_layer, read_table, validate
from mzgeo.io.checks import numeric_column

RNG = np.random.default_rng(11)
LON = 119.9 + RNG.random(30) * 0.4
LAT = 30.6 + RNG.random(30) * 0.4


def _write(tmp_path: Path, text: str, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _found(report: ValidationReport, code: str) -> list[Problem]:
    return [p for p in report.problems if p.code == code]


def _rows(report: ValidationReport, code: str) -> list[int | None]:
    return [p.row for p in _found(report, code)]


def _raises_with_the_same_errors(path: Path, kind: str, **kw) -> None:
    """read_layer raises ValidationError carrying exactly validate's errors."""
    rep = validate(path, kind, **kw)
    assert not rep.ok, rep
    with pytest.raises(ValidationError) as info:
        read_layer(path, kind, **kw)
    assert [(p.code, p.row, p.column) for p in info.value.errors] == [(p.code, p.row, p.column) for p in rep.errors]


# --------------------------------------------------------------------------------------------
# NaN, infinite and empty values
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["inf", "Infinity", "-inf", "nan", "NaN", "1e400", "-1e999", "∞"])
def test_non_finite_bed_count_in_csv_is_an_error(tmp_path, value):
    path = _write(tmp_path, f"名称,床位数,经度,纬度\n甲,100,120.1,30.9\n乙,{value},120.2,30.8\n")
    rep = validate(path, "institutions", crs="wgs84")
    (p,) = _found(rep, "not_numeric")
    assert (p.row, p.column, p.file) == (3, "床位数", "data.csv")
    assert "无穷大或 NaN" in p.message and value in p.message
    _raises_with_the_same_errors(path, "institutions", crs="wgs84")


def test_non_finite_counts_in_every_count_column(tmp_path):
    path = _write(
        tmp_path,
        "名称,容纳人数,可用面积,经度,纬度\n甲,inf,100,120.1,30.9\n乙,200,Infinity,120.2,30.8\n丙,50,60,120.3,30.7\n",
    )
    rep = validate(path, "shelters", crs="wgs84")
    assert [(p.row, p.column) for p in _found(rep, "not_numeric")] == [(2, "容纳人数"), (3, "可用面积")]
    villages = _write(tmp_path, "名称,人口,老年人口,经度,纬度\n甲,1e400,100,120.1,30.9\n乙,900,-inf,120.2,30.8\n", "v.csv")
    rep = validate(villages, "villages", crs="wgs84")
    assert [(p.row, p.column) for p in _found(rep, "not_numeric")] == [(2, "人口"), (3, "老年人口")]


def test_non_finite_counts_in_float_columns_of_spatial_files(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"名称": ["甲", "乙", "丙"], "床位数": [100.0, np.inf, np.nan], "护理型床位": [10.0, 5.0, -np.inf]},
        geometry=shapely.points([[120.1, 30.9], [120.2, 30.8], [120.3, 30.7]]),
        crs=4326,
    )
    gpkg = tmp_path / "inst.gpkg"
    gdf.to_file(gpkg)
    rep = validate(gpkg, "institutions")
    assert [(p.row, p.column) for p in _found(rep, "not_numeric")] == [(2, "床位数"), (3, "护理型床位")]
    assert _rows(rep, "missing_value") == [3]  # NaN in a spatial file is a missing value
    _raises_with_the_same_errors(gpkg, "institutions")
    # GeoJSON with NaN/Infinity literals (GDAL accepts them)
    gj = tmp_path / "inst.geojson"
    feats = [
        '{"type":"Feature","properties":{"名称":"甲","床位数":Infinity},"geometry":{"type":"Point","coordinates":[120.1,30.9]}}',
        '{"type":"Feature","properties":{"名称":"乙","床位数":30},"geometry":{"type":"Point","coordinates":[120.2,30.8]}}',
    ]
    gj.write_text('{"type":"FeatureCollection","features":[' + ",".join(feats) + "]}", encoding="utf-8")
    assert [(p.row, p.column) for p in _found(validate(gj, "institutions"), "not_numeric")] == [(1, "床位数")]


@pytest.mark.parametrize("value", ["inf", "nan", "-Infinity", "1e400"])
def test_non_finite_lon_lat_cells_are_errors(tmp_path, value):
    path = _write(tmp_path, f"名称,经度,纬度\n甲,120.1,30.9\n乙,{value},30.8\n丙,120.3,{value}\n")
    rep = validate(path, "villages", crs="wgs84")
    assert [(p.row, p.column) for p in _found(rep, "not_numeric")] == [(3, "经度"), (4, "纬度")]
    assert all("无穷大或 NaN" in p.message for p in _found(rep, "not_numeric"))
    _raises_with_the_same_errors(path, "villages", crs="wgs84")


def test_wkt_empty_and_nan_points_are_errors(tmp_path):
    path = _write(
        tmp_path,
        "名称,wkt\n甲,POINT (120.1 30.9)\n乙,POINT EMPTY\n丙,POINT (NaN NaN)\n丁,POINT (120.2 inf)\n戊,\n",
    )
    rep = validate(path, "villages", crs="wgs84")
    missing = {p.row for p in _found(rep, "missing_geometry")}
    nonfinite = set(_rows(rep, "nonfinite_coordinates"))
    assert 3 in missing and 6 in missing
    assert 5 in nonfinite
    assert 4 in missing | nonfinite  # GEOS reads POINT (NaN NaN) as empty or as NaN: both are errors
    assert all(p.column == "wkt" for p in rep.errors)
    _raises_with_the_same_errors(path, "villages", crs="wgs84")


def test_geojson_nan_coordinates_are_errors(tmp_path):
    path = tmp_path / "pts.geojson"
    feats = [
        '{"type":"Feature","properties":{"名称":"甲"},"geometry":{"type":"Point","coordinates":[120.1,30.9]}}',
        '{"type":"Feature","properties":{"名称":"乙"},"geometry":{"type":"Point","coordinates":[NaN,NaN]}}',
        '{"type":"Feature","properties":{"名称":"丙"},"geometry":{"type":"Point","coordinates":[120.2,Infinity]}}',
        '{"type":"Feature","properties":{"名称":"丁"},"geometry":{"type":"Polygon","coordinates":'
        "[[[120,30],[120.1,30],[NaN,30.1],[120,30]]]}}",
    ]
    path.write_text('{"type":"FeatureCollection","features":[' + ",".join(feats) + "]}", encoding="utf-8")
    rep = validate(path, "villages")
    assert _rows(rep, "missing_geometry") == [2]
    assert 3 in _rows(rep, "nonfinite_coordinates") and 4 in _rows(rep, "nonfinite_coordinates")
    units = validate(path, "zones")
    assert set(_rows(units, "nonfinite_coordinates")) >= {3, 4}
    _raises_with_the_same_errors(path, "villages")


def test_numeric_column_rejects_infinite_values():
    df = pd.DataFrame({"name": ["甲", "乙", "丙"], "persons": [10.0, np.inf, 5.0]})
    with pytest.raises(InputError, match="非有限"):
        numeric_column(df, "persons", "需求点")
    with pytest.raises(InputError, match="非有限"):
        numeric_column(pd.DataFrame({"persons": ["10", "1e400"]}), "persons", "需求点")
    vals, probs = numeric_column(pd.DataFrame({"persons": ["1,200", None]}), "persons", "需求点")
    assert vals.tolist() == [1200.0, 0.0] and len(probs) == 1


# --------------------------------------------------------------------------------------------
# two coordinate pairs
# --------------------------------------------------------------------------------------------
def test_two_coordinate_pairs_is_an_error_naming_both_and_the_fix(tmp_path):
    gx, gy = wgs84_to_gcj02(LON[:3], LAT[:3])
    text = "名称,经度,纬度,lng,lat\n" + "".join(
        f"村{i},{a:.6f},{b:.6f},{c:.6f},{d:.6f}\n" for i, (a, b, c, d) in enumerate(zip(LON, LAT, gx, gy, strict=False))
    )
    path = _write(tmp_path, text)
    rep = validate(path, "villages", crs="wgs84")
    (p,) = _found(rep, "coordinate_pairs")
    assert p.severity == "error" and p.row is None
    for head in ("经度", "纬度", "lng", "lat", "lon_col=", "lat_col="):
        assert head in p.message
    _raises_with_the_same_errors(path, "villages", crs="wgs84")
    # an explicit choice reads the chosen pair, never one column of each
    chosen = read_layer(path, "villages", crs="gcj02", lon_col="lng", lat_col="lat", metric=False)
    back = read_layer(path, "villages", crs="wgs84", lon_col="经度", lat_col="纬度", metric=False)
    np.testing.assert_allclose(back.geometry.x, LON[:3], atol=1e-6)
    np.testing.assert_allclose(back.geometry.y, LAT[:3], atol=1e-6)
    np.testing.assert_allclose(chosen.geometry.x, LON[:3], atol=1e-5)  # GCJ-02 pair converted back
    # the pair not chosen stays as extra columns, untouched
    assert "lng" in back.columns and "经度" in chosen.columns


def test_one_axis_given_with_two_candidates_for_the_other(tmp_path):
    path = _write(tmp_path, "名称,经度,纬度,lat\n甲,120.1,30.9,30.95\n")
    assert "coordinate_pairs" in validate(path, "villages", crs="wgs84", lon_col="经度").codes()
    assert validate(path, "villages", crs="wgs84", lon_col="经度", lat_col="lat").ok


# --------------------------------------------------------------------------------------------
# demographics
# --------------------------------------------------------------------------------------------
def _units_file(tmp_path: Path, population, elderly, sizes_deg) -> Path:
    boxes = [shapely.box(120.0 + i * 0.1, 30.8, 120.0 + i * 0.1 + s, 30.8 + s) for i, s in enumerate(sizes_deg)]
    gdf = gpd.GeoDataFrame(
        {"代码": [f"33050{i}" for i in range(len(boxes))], "名称": [f"乡镇{i}" for i in range(len(boxes))],
         "人口": population, "老年人口": elderly},
        geometry=boxes,
        crs=4326,
    )
    path = tmp_path / "units.gpkg"
    gdf.to_file(path)
    return path


def test_elderly_more_than_population_and_elderly_without_population(tmp_path):
    path = _units_file(tmp_path, [50000.0, 20000.0, 0.0, np.nan], [9000.0, 25000.0, 300.0, 400.0], [0.05] * 4)
    rep = validate(path, "units")
    (over,) = _found(rep, "elderly_gt_population")
    assert (over.row, over.column, over.severity) == (2, "老年人口", "error")
    assert "25000" in over.message and "20000" in over.message
    without = _found(rep, "elderly_without_population")
    assert [(p.row, p.severity) for p in without] == [(3, "error"), (4, "warning")]
    assert all(p.column == "人口" for p in without)
    _raises_with_the_same_errors(path, "units")
    # villages (points) are checked too
    csv = _write(tmp_path, "名称,人口,老年人口,经度,纬度\n甲,100,300,120.1,30.9\n乙,1000,300,120.2,30.8\n", "v.csv")
    assert _rows(validate(csv, "villages", crs="wgs84"), "elderly_gt_population") == [2]


def test_implausible_population_density(tmp_path, monkeypatch):
    # unit 1: 0.01° box (~1.07 km²) with 3 million people; unit 2: ordinary town
    path = _units_file(tmp_path, [3_000_000.0, 40_000.0], [500_000.0, 8000.0], [0.01, 0.1])
    rep = validate(path, "units")
    (p,) = _found(rep, "implausible_density")
    assert (p.row, p.column, p.severity) == (1, "人口", "error")
    geod = pyproj.Geod(ellps="WGS84")
    area_km2 = abs(geod.geometry_area_perimeter(shapely.box(120.0, 30.8, 120.01, 30.81))[0]) / 1e6
    shown = float(p.message.split("人口密度 ")[1].split(" 人")[0].replace(",", ""))
    assert shown == pytest.approx(3_000_000 / area_km2, rel=2e-3)  # independent geodesic area
    assert "max_population_density_per_km2" in p.message
    _raises_with_the_same_errors(path, "units")
    monkeypatch.setattr(settings, "max_population_density_per_km2", 5_000_000.0)
    assert validate(path, "units").ok


# --------------------------------------------------------------------------------------------
# over-lenient parsing
# --------------------------------------------------------------------------------------------
def test_commas_are_thousands_separators_only_in_groups_of_three(tmp_path):
    path = _write(
        tmp_path,
        '名称,床位数,经度,纬度\n甲,"1,200",120.1,30.9\n乙,"6,0",120.2,30.8\n丙,"1,2,0,0",120.3,30.7\n'
        '丁,"1,200.5",120.1,30.8\n戊,"12,34",120.2,30.7\n己,"１，２００",120.3,30.6\n',
    )
    rep = validate(path, "institutions", crs="wgs84")
    bad = _found(rep, "not_numeric")
    assert [(p.row, p.column) for p in bad] == [(3, "床位数"), (4, "床位数"), (6, "床位数")]
    assert all("千分位" in p.message for p in bad)
    ok = _write(tmp_path, '名称,床位数,经度,纬度\n甲,"1,200",120.1,30.9\n丁,"1,200.5",120.1,30.8\n己,"１，２００",120.3,30.6\n', "ok.csv")
    assert read_layer(ok, "institutions", crs="wgs84")["beds"].tolist() == [1200.0, 1200.5, 1200.0]


def test_newline_inside_a_number_is_an_error(tmp_path):
    path = _write(tmp_path, '名称,床位数,经度,纬度\n甲,"12\n5",120.1,30.9\n乙,30,120.2,30.8\n')
    (p,) = _found(validate(path, "institutions", crs="wgs84"), "not_numeric")
    assert (p.row, p.column) == (2, "床位数") and "换行" in p.message
    lon = _write(tmp_path, '名称,经度,纬度\n甲,"120.\n1",30.9\n', "lon.csv")
    (q,) = _found(validate(lon, "villages", crs="wgs84"), "not_numeric")
    assert (q.row, q.column) == (2, "经度") and "换行" in q.message


def test_dms_minutes_or_seconds_of_60_or_more_are_errors(tmp_path):
    path = _write(
        tmp_path,
        "名称,经度,纬度\n甲,120°05′30″E,30°52′10″N\n乙,120°65′00″E,30°52′10″N\n丙,120°05′75″E,30°52′10″N\n",
    )
    rep = validate(path, "villages", crs="wgs84")
    bad = _found(rep, "not_numeric")
    assert [(p.row, p.column) for p in bad] == [(3, "经度"), (4, "经度")]
    assert all("60" in p.message for p in bad)
    good = read_layer(_write(tmp_path, "名称,经度,纬度\n甲,120°05′30″E,30°52′10″N\n", "ok.csv"), "villages",
                      crs="wgs84", metric=False)
    assert good.geometry.x.iloc[0] == pytest.approx(120 + 5 / 60 + 30 / 3600)


def test_excel_boolean_in_a_count_column_is_an_error(tmp_path):
    path = tmp_path / "inst.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["机构名称", "床位数", "护理型床位", "经度", "纬度"])
    ws.append(["甲", 100, 50, 120.1, 30.9])
    ws.append(["乙", True, 10, 120.2, 30.8])
    ws.append(["丙", 60, False, 120.3, 30.7])
    wb.save(path)
    assert openpyxl.load_workbook(path).active["B3"].data_type == "b"  # a real Excel boolean cell
    rep = validate(path, "institutions", crs="wgs84")
    bad = _found(rep, "not_numeric")
    assert [(p.row, p.column) for p in bad] == [(3, "床位数"), (4, "护理型床位")]
    assert all("TRUE/FALSE" in p.message for p in bad)
    _raises_with_the_same_errors(path, "institutions", crs="wgs84")


# --------------------------------------------------------------------------------------------
# encodings
# --------------------------------------------------------------------------------------------
TRADITIONAL = "name,beds,lon,lat\n臺北市立浩然敬老院,300,121.5,25.1\n新北市私立養護中心,80,121.4,25.0\n"


def test_big5_csv_is_detected_not_read_as_gbk(tmp_path):
    path = _write(tmp_path, TRADITIONAL, "tw.csv", "big5")
    assert path.read_bytes().decode("gb18030")  # GB18030 would accept these bytes: mojibake
    rep = validate(path, "institutions", crs="wgs84")
    assert rep.ok and rep.codes() == {"encoding_guess"}
    assert "Big5" in rep.problems[0].message
    with pytest.warns(DataWarning, match="Big5"):
        gdf = read_layer(path, "institutions", crs="wgs84", metric=False)
    assert gdf["name"].tolist() == ["臺北市立浩然敬老院", "新北市私立養護中心"]
    assert gdf.attrs["mzgeo_encoding"] == "big5"
    assert read_table(path)["name"].tolist() == ["臺北市立浩然敬老院", "新北市私立養護中心"]


def test_big5_hkscs_csv_is_detected(tmp_path):
    text = "name,beds,lon,lat\n啲嘅咗安老院,30,114.1,22.3\n九龍護理安老院,20,114.2,22.3\n"
    path = _write(tmp_path, text, "hk.csv", "big5hkscs")
    with pytest.raises(UnicodeEncodeError):
        text.encode("big5")
    with pytest.warns(DataWarning, match="Big5"):
        gdf = read_layer(path, "institutions", crs="wgs84", metric=False)
    assert gdf["name"].tolist() == ["啲嘅咗安老院", "九龍護理安老院"]
    assert gdf.attrs["mzgeo_encoding"] == "big5hkscs"


def test_ambiguous_big5_bytes_are_reported(tmp_path):
    # rare traditional characters: neither reading is convincing, so it is reported, not guessed
    rare = _write(tmp_path, "name,lon,lat\n鈄鸇鞎慖養老院,121.5,25.1\n", "rare.csv", "big5")
    (p,) = validate(rare, "villages", crs="wgs84").errors
    assert p.code == "unreadable"
    assert "看起来是繁体中文 Big5 编码" in p.message and "looks like Traditional Chinese Big5" in p.message
    assert "encoding='big5'" in p.message
    assert read_layer(rare, "villages", crs="wgs84", encoding="big5")["name"].tolist() == ["鈄鸇鞎慖養老院"]
    # bytes that read as well in both: read as GBK, with a warning naming Big5
    both = _write(tmp_path, "name,lon,lat\n高雄,120.3,22.6\n", "both.csv", "big5")
    (w,) = validate(both, "villages", crs="wgs84").problems
    assert w.severity == "warning" and "Big5" in w.message and "encoding='big5'" in w.message
    # a plain GBK file gets no such warning
    gbk = _write(tmp_path, "名称,床位数,经度,纬度\n湖州市社会福利中心,300,120.1,30.9\n德清县颐养院,80,119.9,30.5\n", "g.csv", "gbk")
    assert validate(gbk, "institutions", crs="wgs84").codes() == set()


def test_one_undecodable_byte_gives_its_row_and_column(tmp_path):
    data = "名称,床位数,经度,纬度\n湖州市社会福利中心,300,120.1,30.9\n德清县颐养院,80,119.9,30.5\n长兴县敬老院,50,119.9,31.0\n"
    raw = data.encode("utf-8").replace("颐".encode(), b"\xff", 1)
    path = tmp_path / "broken.csv"
    path.write_bytes(raw)
    (p,) = validate(path, "institutions", crs="wgs84").errors
    assert (p.code, p.row, p.column) == ("unreadable", 3, "名称")
    assert "position" not in p.message and "UTF-8" in p.message
    # a wrong explicit encoding: the first bad cell is named, one error for the file
    gbk = _write(tmp_path, data, "gbk.csv", "gbk")
    (q,) = validate(gbk, "institutions", crs="wgs84", encoding="utf-8").errors
    assert "第 1 行" in q.message and "position" not in q.message
    one = _write(tmp_path, "name,lon,lat\nCafé,120.1,30.9\n", "one.csv", "cp1252")
    (r,) = validate(one, "villages", crs="wgs84", encoding="utf-8").errors
    assert (r.row, r.column) == (2, "name")
    with pytest.raises(InputError, match="第 3 行「名称」"):
        read_table(path, encoding="utf-8")


def _xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["名称", "经度", "纬度"])
    ws.append(["甲", 120.1, 30.9])
    buf = _stdio.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_password_protected_xlsx_says_so(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    out = _stdio.BytesIO()
    OOXMLFile(_stdio.BytesIO(_xlsx_bytes())).encrypt("secret", out)
    data = out.getvalue()
    assert data[:4] == bytes.fromhex("D0CF11E0")
    path = tmp_path / "locked.xlsx"
    path.write_bytes(data)
    (p,) = validate(path, "villages", crs="wgs84").errors
    assert p.code == "encrypted" and "密码" in p.message and "password-protected" in p.message
    with pytest.raises(ValidationError, match="密码"):
        read_layer(path, "villages", crs="wgs84")
    with pytest.raises(InputError, match="密码"):
        read_table(path)
    # the same compound file without the encryption streams: a legacy .xls renamed .xlsx
    legacy = tmp_path / "old.xlsx"
    legacy.write_bytes(
        data.replace("EncryptionInfo".encode("utf-16-le"), "SummaryInfoXYZ".encode("utf-16-le")).replace(
            "EncryptedPackage".encode("utf-16-le"), "WorkbookStreamAB".encode("utf-16-le")
        )
    )
    (q,) = validate(legacy, "villages", crs="wgs84").errors
    assert q.code == "encrypted" and ".xls" in q.message and "密码" not in q.message


def test_invalid_encoding_name_is_a_chinese_input_error(tmp_path):
    path = _write(tmp_path, "名称,经度,纬度\n甲,120.1,30.9\n")
    for call in (
        lambda: read_layer(path, "villages", crs="wgs84", encoding="utf9"),
        lambda: validate(path, "villages", crs="wgs84", encoding="gbk2"),
        lambda: read_table(path, encoding="rot13"),
    ):
        with pytest.raises(InputError, match="不认识的文字编码"):
            call()


def test_encoding_reaches_the_dbf_of_a_shapefile(tmp_path):
    import pyogrio

    path = tmp_path / "tw.shp"
    gdf = gpd.GeoDataFrame({"name": ["臺北養老院"]}, geometry=[shapely.Point(121.5, 25.1)], crs=4326)
    pyogrio.write_dataframe(gdf, path, encoding="big5")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert read_layer(path, "villages", encoding="big5")["name"].tolist() == ["臺北養老院"]


# --------------------------------------------------------------------------------------------
# reference layers of any geometry type
# --------------------------------------------------------------------------------------------
def _gcj_villages(tmp_path: Path) -> Path:
    gx, gy = wgs84_to_gcj02(LON, LAT)
    return _write(tmp_path, "名称,经度,纬度\n" + "".join(f"村{i},{x:.6f},{y:.6f}\n" for i, (x, y) in enumerate(zip(gx, gy, strict=True))))


@pytest.mark.parametrize("geometry", ["points", "lines", "polygons"])
def test_reference_of_any_geometry_type(tmp_path, geometry):
    path = _gcj_villages(tmp_path)
    if geometry == "points":
        geoms = shapely.points(LON, LAT)
    elif geometry == "lines":
        geoms = shapely.linestrings(np.stack([np.column_stack([LON - 0.002, LAT]), np.column_stack([LON + 0.002, LAT])], 1))
    else:
        geoms = shapely.buffer(shapely.points(LON, LAT), 0.001)
    ref = gpd.GeoDataFrame({"名称": [f"r{i}" for i in range(len(LON))]}, geometry=geoms, crs=4326)
    ref_file = tmp_path / "ref.gpkg"
    ref.to_crs(4549).to_file(ref_file)
    for given in (ref, ref_file):
        rep = validate(path, "villages", crs="wgs84", reference=given)
        assert "gcj02_suspected" in rep.codes(), (geometry, given)


def test_reference_csv_of_points_and_cli(tmp_path):
    path = _gcj_villages(tmp_path)
    ref_csv = _write(tmp_path, "名称,经度,纬度\n" + "".join(f"r{i},{x:.6f},{y:.6f}\n" for i, (x, y) in enumerate(zip(LON, LAT, strict=True))), "ref.csv")
    assert "gcj02_suspected" in validate(path, "villages", crs="wgs84", reference=ref_csv).codes()
    polys = tmp_path / "area.gpkg"
    gpd.GeoDataFrame({"名称": ["湖州"]}, geometry=[shapely.box(119.2, 30.3, 120.5, 31.2)], crs=4326).to_file(polys)
    run = subprocess.run(
        [sys.executable, "-m", "mzgeo", "validate", str(path), "--kind", "villages", "--crs", "wgs84", "--reference", str(polys)],
        capture_output=True, text=True, timeout=120, env={**__import__("os").environ, "PYTHONPATH": str(Path(__file__).parents[1])},
    )
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr and "未发现问题" in run.stdout


def test_found_by_fuzzing_header_only_location_column_and_blank_wkt(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["location"])
    wb.save(tmp_path / "loc.xlsx")
    assert validate(tmp_path / "loc.xlsx", "institutions").codes() >= {"empty_file", "missing_column"}
    blank = _write(tmp_path, "名称,wkt\n甲,\n", "wkt.csv")
    assert _rows(validate(blank, "villages", crs="wgs84"), "missing_geometry") == [2]


def test_geojson_number_too_large_is_unreadable_not_a_crash(tmp_path):
    path = tmp_path / "big.geojson"
    path.write_text(
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"名称":"甲","床位数":1e400},'
        '"geometry":{"type":"Point","coordinates":[120.1,30.9]}}]}',
        encoding="utf-8",
    )
    (p,) = validate(path, "institutions").errors
    assert p.code == "unreadable" and "1e400" in p.message


def test_encoding_for_geojson_and_ignored_for_geopackage(tmp_path):
    doc = ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"名称":"埭溪镇敬老院"},'
           '"geometry":{"type":"Point","coordinates":[120.1,30.9]}}]}')
    gj = tmp_path / "gbk.geojson"
    gj.write_bytes(doc.encode("gbk"))  # non-standard, but some Chinese tools export it
    assert read_layer(gj, "villages", encoding="gbk")["name"].tolist() == ["埭溪镇敬老院"]
    gpkg = tmp_path / "v.gpkg"
    gpd.GeoDataFrame({"名称": ["埭溪镇敬老院"]}, geometry=[shapely.Point(120.1, 30.9)], crs=4326).to_file(gpkg)
    assert read_layer(gpkg, "villages", encoding="gbk")["name"].tolist() == ["埭溪镇敬老院"]


def test_found_by_fuzzing_polygon_with_infinite_vertex_and_absurd_coordinates(tmp_path):
    # a polygon with an Infinity vertex crashed make_valid (GEOSException); 1e308 overflowed
    rings = [
        [[[119.0, float("inf")], [120, 30], [120, 31], [119.0, float("inf")]]],
        [[[1e308, 1e308], [-1e308, 30], [120, 1e308], [1e308, 1e308]]],
        [[[120, 30], [120.1, 30.1], [120.1, 30], [120, 30.1], [120, 30]]],  # bow-tie
        [[[float("inf"), 30.0], [-float("inf"), 30.0], [120, 30.5], [float("inf"), 30.0]]],
    ]
    import json

    feats = [
        {"type": "Feature", "properties": {"名称": n}, "geometry": {"type": "Polygon", "coordinates": c}}
        for n, c in zip("甲乙丙丁", rings, strict=True)
    ]
    text = json.dumps(feats, ensure_ascii=False)[1:-1]  # json writes Infinity literally
    path = tmp_path / "odd.geojson"
    path.write_text('{"type":"FeatureCollection","features":[' + text + "]}", encoding="utf-8")
    import warnings

    wkt = _write(tmp_path, "名称,wkt\n甲,POINT (NaN NaN)\n乙,POINT (120.1 inf)\n", "wkt.csv")
    for crs in (None, "gcj02", "bd09"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            rep = validate(path, "zones", crs=crs)
            assert not validate(wkt, "villages", crs=crs).ok
        assert _rows(rep, "nonfinite_coordinates") == [1, 4]
        assert _rows(rep, "outside_china") == [2]
        assert _rows(rep, "invalid_geometry") == [3]


def test_found_by_fuzzing_impossible_latitudes_with_population_and_bd09(tmp_path):
    import json
    import warnings

    feats = [
        {"type": "Feature", "properties": {"代码": "1", "名称": "甲", "人口": 1000, "老年人口": 10},
         "geometry": {"type": "Polygon", "coordinates": [[[119.0, 120.5], [120.5, 120.5], [120.5, 119.0], [119.0, 120.5]]]}},
        {"type": "Feature", "properties": {"代码": "2", "名称": "乙", "人口": 1000, "老年人口": 10},
         "geometry": {"type": "Polygon", "coordinates": [[[1e308, 30.0], [120.0, 30.0], [120.0, 30.5], [1e308, 30.0]]]}},
    ]
    path = tmp_path / "odd_units.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    for crs in (None, "gcj02", "bd09"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            rep = validate(path, "units", crs=crs)
        assert set(_rows(rep, "outside_china")) | set(_rows(rep, "lonlat_swapped")) == {1, 2}
        assert "implausible_density" not in rep.codes()


def test_found_by_fuzzing_polygon_collapsing_to_nothing_is_an_error(tmp_path):
    import json

    ring = [[120.1, 30.9]] * 4  # every vertex on one point: make_valid leaves nothing
    line = [[120.0, 30.0], [120.1, 30.0], [120.2, 30.0], [120.0, 30.0]]  # collinear
    feats = [
        {"type": "Feature", "properties": {"名称": n}, "geometry": {"type": "Polygon", "coordinates": [r]}}
        for n, r in (("甲", ring), ("乙", line))
    ]
    path = tmp_path / "flat.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    rep = validate(path, "zones")
    assert _rows(rep, "bad_geometry") == [1, 2]
    assert "invalid_geometry" not in rep.codes()
    _raises_with_the_same_errors(path, "zones")


def test_python_api_frames_with_infinite_counts_are_refused():
    """A frame built in Python (not through read_layer) with inf elderly or capacity: an error, not a blank ratio."""
    import mzgeo
    from mzgeo import InputError as _InputError

    demo = mzgeo.load_demo()
    units = demo.units_township.iloc[:3].copy()
    units["elderly"] = units["elderly"].astype(float)
    units.loc[units.index[0], "elderly"] = float("inf")
    with pytest.raises(_InputError, match="无穷大"):
        mzgeo.bed_ratio(demo.institutions, units)
    sh = demo.shelters.iloc[:5].copy()
    sh["capacity"] = sh["capacity"].astype(float)
    sh.loc[sh.index[0], "capacity"] = float("inf")
    v = demo.villages.iloc[:5]
    cost = pd.DataFrame({"origin": v.index, "destination": sh.index[0], "minutes": 1.0})
    with pytest.raises(_InputError, match="无穷大"):
        mzgeo.shelter_adequacy(sh, v, cost=cost, minutes=10)
