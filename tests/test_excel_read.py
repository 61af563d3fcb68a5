"""The compiled .xlsx reader (calamine) gives the frames openpyxl gives, on tricky workbooks.

Each workbook is read twice through the real reader, once with calamine (the default) and
once with openpyxl (``tables._EXCEL_ENGINE = "openpyxl"``), and the frames, row numbers and
problems compared; the values are also checked against what was written.
"""

from __future__ import annotations

import datetime as dt
import io as _stdio
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from geopandas.testing import assert_geodataframe_equal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mzgeo.io import read_layer, read_table, validate
from mzgeo.io import tables as _tables
from mzgeo.layers import get_spec


def _raw(path: Path, kind: str, engine: str, sheet=None):
    problems: list[tuple] = []

    def add(severity, code, message, row=None, column=None):
        problems.append((severity, code, message, row, column))

    old = _tables._EXCEL_ENGINE
    _tables._EXCEL_ENGINE = engine
    try:
        raw = _tables._read_table(path, get_spec(kind), sheet=sheet, encoding=None, add=add)
    finally:
        _tables._EXCEL_ENGINE = old
    return raw, problems


def _same_both_ways(path: Path, kind: str = "institutions", sheet=None):
    """Read with calamine and openpyxl; assert identical frames, rows and problems; return calamine's."""
    cal, cal_problems = _raw(path, kind, "calamine", sheet)
    opx, opx_problems = _raw(path, kind, "openpyxl", sheet)
    assert cal_problems == opx_problems
    if opx is None:
        assert cal is None
        return None, cal_problems
    pd.testing.assert_frame_equal(cal.data, opx.data)
    for c in cal.data.columns:  # same Python types cell by cell (int stays int, text stays text)
        assert [type(v) for v in cal.data[c]] == [type(v) for v in opx.data[c]], c
    np.testing.assert_array_equal(cal.rows, opx.rows)
    assert cal.meta == opx.meta
    return cal, cal_problems


def _tricky(path: Path) -> None:
    """Merged title and header cells, an empty row, dates, codes as text and numbers, formulas."""
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("说明").write_string(0, 0, "本表为示例")
    ws = wb.add_worksheet("养老机构")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    dt_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    time_fmt = wb.add_format({"num_format": "hh:mm"})
    text_fmt = wb.add_format({"num_format": "@"})
    ws.merge_range(0, 0, 0, 10, "湖州市养老机构一览表（2024 年）")
    ws.merge_range(1, 5, 1, 6, "坐标")  # a merged header cell above the real header row
    headers = ["编号", "机构名称", "床位数", "护理型床位", "所属区划代码", "经度", "纬度",
               "开业日期", "核查时间", "是否连锁", "备注"]
    ws.write_row(2, 0, headers)
    r = 3
    ws.write_string(r, 0, "007", text_fmt)  # leading zero: text stays text
    ws.write_string(r, 1, "湖州市社会福利中心")
    ws.write_formula(r, 2, "=200+100", None, 300)  # formula with its cached value
    ws.write_string(r, 3, "200")  # a number stored as text
    ws.write_string(r, 4, "330502001", text_fmt)
    ws.write_number(r, 5, 120.0865)
    ws.write_number(r, 6, 30.8944)
    ws.write_datetime(r, 7, dt.datetime(2015, 6, 1), date_fmt)
    ws.write_datetime(r, 8, dt.datetime(2024, 3, 5, 9, 30), dt_fmt)
    ws.write_boolean(r, 9, True)
    ws.write_formula(r, 10, '="备"&"注"', None, "备注")
    r = 5  # row 5 (0-based 4) left empty
    ws.write_string(r, 0, "YL002")
    ws.write_string(r, 1, "  德清县颐养院 ")
    ws.write_number(r, 2, 120)
    ws.write_number(r, 3, 80.0)
    ws.write_number(r, 4, 330521101)  # a code written as a number
    ws.write_number(r, 5, 119.968)
    ws.write_number(r, 6, 30.539)
    ws.write_datetime(r, 7, dt.datetime(2019, 12, 31, 0, 0), date_fmt)
    ws.write_datetime(r, 8, dt.datetime(1899, 12, 31, 8, 15), time_fmt)  # a time of day
    ws.write_boolean(r, 9, False)
    ws.write_string(r, 10, "   ")  # whitespace only: blank
    r = 6
    ws.write_row(r, 0, ["YL003", "长兴县养老院", 80.5, 40, "330522102", 119.91, 31.01])
    ws.write_number(r, 7, 45000.25)  # a plain number in the date column
    ws.write_string(r, 9, "是")
    ws.write_string(r, 10, "=不是公式")  # text beginning with '='
    ws.write_row(7, 0, ["合计", None, 500.5, 320])
    wb.close()


def test_tricky_workbook_same_frame_as_openpyxl(tmp_path):
    path = tmp_path / "inst.xlsx"
    _tricky(path)
    raw, problems = _same_both_ways(path, sheet="养老机构")
    d = raw.data
    assert list(d.columns[:3]) == ["编号", "机构名称", "床位数"]  # header row 3 found below the merged cells
    assert raw.rows.tolist() == [4, 6, 7]  # Excel row numbers: the empty row 5 and the 合计 row 8 skipped
    assert d["编号"].tolist() == ["007", "YL002", "YL003"]
    assert d["床位数"].tolist() == [300, 120, 80.5]  # cached formula value; whole numbers as int
    assert [type(v) for v in d["床位数"]] == [int, int, float]
    assert d["护理型床位"].tolist() == ["200", 80, 40]  # text stays text
    assert d["所属区划代码"].tolist() == ["330502001", 330521101, "330522102"]
    assert d["开业日期"].tolist() == [dt.datetime(2015, 6, 1), dt.datetime(2019, 12, 31), 45000.25]
    assert d["核查时间"].iloc[0] == dt.datetime(2024, 3, 5, 9, 30)
    assert d["核查时间"].iloc[1] == dt.time(8, 15)
    assert d["是否连锁"].tolist() == [True, False, "是"]
    assert d["备注"].iloc[0] == "备注"
    assert d["备注"].iloc[1] is None
    assert d["备注"].iloc[2] == "=不是公式"
    assert [p[1] for p in problems] == ["total_row"]


def test_tricky_workbook_read_layer_and_validate_agree(tmp_path):
    path = tmp_path / "inst.xlsx"
    _tricky(path)
    got = {}
    for engine in ("calamine", "openpyxl"):
        old, _tables._EXCEL_ENGINE = _tables._EXCEL_ENGINE, engine
        try:
            rep = validate(path, "institutions", crs="gcj02", sheet=1)
            with pytest.warns(Warning):
                gdf = read_layer(path, "institutions", crs="gcj02", sheet="养老机构", metric=False)
        finally:
            _tables._EXCEL_ENGINE = old
        got[engine] = (rep, gdf)
    (rep_c, gdf_c), (rep_o, gdf_o) = got["calamine"], got["openpyxl"]
    assert [str(p) for p in rep_c.problems] == [str(p) for p in rep_o.problems]
    assert_geodataframe_equal(gdf_c, gdf_o)
    assert gdf_c["name"].tolist() == ["湖州市社会福利中心", "德清县颐养院", "长兴县养老院"]
    assert gdf_c["beds"].tolist() == [300.0, 120.0, 80.5]
    assert gdf_c["nursing_beds"].tolist() == [200.0, 80.0, 40.0]


def test_error_cells_keep_their_text(tmp_path):
    """calamine reads #DIV/0! as empty: such a sheet is read with openpyxl, which names the error."""
    path = tmp_path / "inst.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ok = wb.add_worksheet("汇总")
    ok.write_row(0, 0, ["名称", "床位数", "经度", "纬度"])
    ok.write_row(1, 0, ["甲", 10, 120.1, 30.9])
    ws = wb.add_worksheet("明细")
    ws.write_row(0, 0, ["名称", "床位数", "经度", "纬度"])
    ws.write_string(1, 0, "甲")
    ws.write_formula(1, 1, "=1/0", None, "#DIV/0!")
    ws.write_row(1, 2, [120.1, 30.9])
    wb.close()
    assert _tables._has_error_cells(path, "明细")
    assert not _tables._has_error_cells(path, "汇总")  # only the chosen sheet is scanned
    raw, _ = _same_both_ways(path, sheet="明细")
    assert raw.data["床位数"].tolist() == ["#DIV/0!"]
    rep = validate(path, "institutions", crs="wgs84", sheet="明细")
    assert any(p.code == "not_numeric" and "#DIV/0!" in p.message for p in rep.problems)


def test_sheet_selection_and_hidden_sheets(tmp_path):
    path = tmp_path / "inst.xlsx"
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "隐藏"
    hidden.append(["名称", "床位数", "经度", "纬度"])
    hidden.append(["隐", 1, 120.0, 30.0])
    hidden.sheet_state = "hidden"
    ws = wb.create_sheet("数据")
    ws.append(["名称", "床位数", "经度", "纬度"])
    ws.append(["甲", 10, 120.1, 30.9])
    wb.save(path)
    first, _ = _same_both_ways(path)
    assert first.data["名称"].tolist() == ["隐"]  # the first sheet, hidden or not, as openpyxl
    second, _ = _same_both_ways(path, sheet=1)
    assert second.data["名称"].tolist() == ["甲"] and second.meta == {"sheet": "数据"}
    for bad in (5, "床位"):
        raw, problems = _same_both_ways(path, sheet=bad)
        assert raw is None and [p[1] for p in problems] == ["sheet_not_found"]


def test_data_not_starting_at_a1(tmp_path):
    path = tmp_path / "inst.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C3"] = "名称"
    ws["D3"] = "床位数"
    ws["E3"] = "经度"
    ws["F3"] = "纬度"
    ws.append([None, None, "甲", 10, 120.1, 30.9])
    ws["H9"] = None  # an empty styled cell far away
    ws["H9"].number_format = "0.00"
    wb.save(path)
    raw, _ = _same_both_ways(path)
    assert raw.rows.tolist() == [4]
    assert raw.data["名称"].tolist() == ["甲"]


def test_encrypted_workbook_is_reported_by_both(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    buf = _stdio.BytesIO()
    wb = openpyxl.Workbook()
    wb.active.append(["名称", "床位数", "经度", "纬度"])
    wb.save(buf)
    out = _stdio.BytesIO()
    OOXMLFile(_stdio.BytesIO(buf.getvalue())).encrypt("secret", out)
    path = tmp_path / "locked.xlsx"
    path.write_bytes(out.getvalue())
    raw, problems = _same_both_ways(path)
    assert raw is None and [p[1] for p in problems] == ["encrypted"]


def test_read_table_excel_as_text(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["code", "n"])
    wb.active.append(["007", 12])
    wb.active.append([330502, 1.5])
    wb.active.append(["  ", None])
    wb.save(path)
    t = read_table(path)
    assert t["code"].tolist()[:2] == ["007", "330502"]
    assert t["n"].tolist()[:2] == ["12", "1.5"]
    assert t.iloc[2].isna().all()  # blank cells are missing values


_CELLS = st.one_of(
    st.none(),
    st.text(alphabet="0123456789 -.=合计甲乙abc", max_size=8),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda v: round(v, 4)),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1901, 1, 1), max_value=dt.datetime(2099, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_CELLS, min_size=0, max_size=6), min_size=1, max_size=8))
def test_fuzzed_cells_same_as_openpyxl(tmp_path, rows):
    path = tmp_path / "fuzz.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["名称", "床位数", "经度", "纬度"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    _same_both_ways(path)
