"""Excel writer: Chinese headers, parameters sheet, print setup, no formula injection, atomic."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest

from mzgeo import InputError
from mzgeo._files import atomic_path, neutralise_formula
from mzgeo.report import label, params_frame, to_chinese, write_excel


def test_labels_and_booleans():
    df = pd.DataFrame({"name": ["甲"], "beds_per_1000": [37.5], "covered": [True], "custom": [1]})
    out = to_chinese(df)
    assert list(out.columns) == ["名称", "每千名老人床位数（张）", "是否覆盖", "custom"]
    assert out.iloc[0, 2] == "是"
    assert label("unknown_col") == "unknown_col"


def test_params_frame_states_sources():
    pf = params_frame({"target_per_1000": 37.5, "minutes": [5, 10]})
    assert pf.loc[0, "取值"] == 37.5
    assert "37.5" in pf.loc[0, "依据/来源"]
    assert pf.loc[1, "取值"] == "5、10"


def test_write_excel_roundtrip_print_and_injection(tmp_path):
    path = tmp_path / "表.xlsx"
    df = pd.DataFrame(
        {
            "name": ["=HYPERLINK(\"http://x\",\"点我\")", "+1", "@SUM(A1)", "正常"],
            "beds": [10, 20, 30, 40],
        }
    )
    write_excel(path, {"床位": df}, {"target_per_1000": 37.5}, title="测试", notes=["示例数据（合成）"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["床位", "参数"]
    ws = wb["床位"]
    assert [c.value for c in ws[1]] == ["名称", "床位数（张）"]
    assert ws.print_title_rows == "$1:$1"
    assert ws.freeze_panes == "A2"
    assert ws.page_setup.orientation == "landscape"
    for row in ws.iter_rows(min_row=2):
        assert row[0].data_type == "s"
    assert ws["A2"].value.startswith("=HYPERLINK")
    # no formula element anywhere in the sheet XML
    with zipfile.ZipFile(path) as zf:
        xml = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    ps = wb["参数"]
    assert ps["A1"].value == "参数"
    assert any(c.value == "示例数据（合成）" for c in ps["A"])


def test_write_excel_empty_raises(tmp_path):
    with pytest.raises(InputError):
        write_excel(tmp_path / "x.xlsx", {})


def test_atomic_path_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("new", encoding="utf-8")
        raise RuntimeError("boom")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    with atomic_path(target) as tmp:
        tmp.write_text("new", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new"


def test_neutralise_formula():
    assert neutralise_formula("=1+1") == "'=1+1"
    assert neutralise_formula("-cmd") == "'-cmd"
    assert neutralise_formula(-5) == -5
    assert neutralise_formula("湖州") == "湖州"
