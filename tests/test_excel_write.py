"""The streamed (xlsxwriter, constant_memory) workbook writer, read back with openpyxl."""

from __future__ import annotations

import datetime as dt
import math
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from mzgeo.report import excel as _excel
from mzgeo.report import label, write_excel


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    remarks = np.array(["正常"] * n, dtype=object)
    remarks[::7] = "=SUM(A1:A2)"
    remarks[1::7] = "+86 572"
    remarks[2::7] = "-不足"
    remarks[3::7] = "@负责人"
    remarks[4::7] = None
    return pd.DataFrame({
        "code": [f"33050{i:07d}" for i in range(n)],
        "name": [f"湖州机构{i}" for i in range(n)],
        "beds": rng.integers(10, 500, n),
        "beds_per_1000": np.where(np.arange(n) % 5 == 0, np.nan, rng.random(n) * 60),
        "share_covered": rng.random(n),
        "covered": np.arange(n) % 2 == 0,
        "remarks": remarks,
    })


def test_rows_formats_and_neutralised_text_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(_excel, "_ROW_CHUNK", 4)  # several chunks in a small table
    df = _frame(23)
    path = write_excel(tmp_path / "r.xlsx", {"结果": df}, {"minutes": 15}, title="A&B 测试")
    ws = openpyxl.load_workbook(path)["结果"]
    headers = [c.value for c in ws[1]]
    assert headers == [label(c) for c in df.columns]
    assert ws.max_row == 24
    for i in range(23):
        r = i + 2
        assert ws.cell(r, 1).value == df["code"][i] and ws.cell(r, 1).data_type == "s"
        assert ws.cell(r, 3).value == df["beds"][i] and ws.cell(r, 3).number_format == "#,##0"
        v = df["beds_per_1000"][i]
        if math.isnan(v):
            assert ws.cell(r, 4).value is None  # missing → empty cell, not 'nan' or #NUM!
        else:
            assert ws.cell(r, 4).value == pytest.approx(v) and ws.cell(r, 4).number_format == "0.00"
        assert ws.cell(r, 5).number_format == "0.0%"
        assert ws.cell(r, 6).value == ("是" if df["covered"][i] else "否")
        text = df["remarks"][i]
        cell = ws.cell(r, 7)
        if pd.isna(text):
            assert cell.value is None
        else:
            assert cell.value == text
            assert cell.data_type == "s"
            assert cell.quotePrefix == text.startswith(("=", "+", "-", "@"))
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere
    assert 't="inlineStr"' in xml  # rows streamed (constant_memory writes inline strings)


def test_layout_widths_freeze_filter_print(tmp_path):
    df = pd.DataFrame({"name": ["湖州市吴兴区社会福利中心", "甲"], "beds": [300, 20], "x": ["a" * 80, "b"]})
    path = write_excel(tmp_path / "l.xlsx", {"表": df}, {"minutes": 15}, title="湖州 & 德清",
                       notes=["示例数据（合成）", "=不是公式"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["表", "参数"]
    ws = wb["表"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:C3"
    assert ws.print_title_rows == "$1:$1"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize in (9, "9")
    assert ws.page_setup.fitToWidth in (None, 1, "1")  # 1 is the default xlsxwriter leaves out
    assert ws.page_setup.fitToHeight in (0, "0")
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddHeader.center.text == "湖州 && 德清"
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    head = ws["A1"]
    assert head.font.b and head.fill.fgColor.rgb.endswith("DDEBF7") and head.alignment.wrap_text
    # widths: CJK characters count double, +2, between 6 and 50
    assert ws.column_dimensions["A"].width == pytest.approx(2 * len("湖州市吴兴区社会福利中心") + 2, abs=1)
    assert ws.column_dimensions["B"].width == pytest.approx(len(label("beds")) * 2 + 2, abs=3)
    assert ws.column_dimensions["C"].width == pytest.approx(50, abs=1)
    ps = wb["参数"]
    notes = [c.value for c in ps["A"]]
    assert notes[-2:] == ["示例数据（合成）", "=不是公式"] and notes[-3] is None
    assert ps.cell(len(notes), 1).quotePrefix and ps.cell(len(notes), 1).data_type == "s"


def test_special_values(tmp_path):
    df = pd.DataFrame({
        "when": pd.to_datetime(["2024-03-05 08:30", None]),
        "when_tz": pd.to_datetime(["2024-03-05 08:30", "2024-03-06 00:00"]).tz_localize("Asia/Shanghai"),
        "ratio": [np.inf, -np.inf],
        "count": pd.array([1, None], dtype="Int64"),
        "mixed": [np.int64(3), [1, 2]],
        "flag": pd.array([True, None], dtype="boolean"),
    })
    path = write_excel(tmp_path / "s.xlsx", {"表": df}, chinese=False)
    ws = openpyxl.load_workbook(path)["表"]
    assert ws["A2"].value == dt.datetime(2024, 3, 5, 8, 30) and ws["A3"].value is None
    assert ws["A2"].number_format == "yyyy-mm-dd h:mm:ss"
    assert ws["B2"].value == dt.datetime(2024, 3, 5, 8, 30)  # local time kept, zone dropped
    assert [ws["C2"].value, ws["C3"].value] == ["inf", "-inf"]  # visible, not a broken number
    assert [ws["D2"].value, ws["D3"].value] == [1, None]
    assert [ws["E2"].value, ws["E3"].value] == [3, "[1, 2]"]
    assert [ws["F2"].value, ws["F3"].value] == [True, None]


def test_empty_table_and_formula_like_header(tmp_path):
    df = pd.DataFrame({"=x": pd.Series([], dtype=float), "name": pd.Series([], dtype=object)})
    path = write_excel(tmp_path / "e.xlsx", {"空": df}, chinese=False)
    ws = openpyxl.load_workbook(path)["空"]
    assert [c.value for c in ws[1]] == ["=x", "name"] and ws["A1"].data_type == "s" and ws["A1"].quotePrefix
    assert ws.max_row == 1 and ws.freeze_panes == "A2"
