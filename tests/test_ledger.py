"""The projects layer and the task ledger (年度任务台账)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import mzgeo
from mzgeo.demo import demo_path

LEDGER_CSV = demo_path("年度任务台账2017.csv")


@pytest.fixture(scope="module")
def projects() -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the shipped ledger reads without any warning
        return mzgeo.read_layer(LEDGER_CSV, "projects", crs="gcj02")


@pytest.fixture(scope="module")
def result(projects: object) -> mzgeo.plan.LedgerResult:
    return mzgeo.ledger(projects, year=2017)


def test_projects_layer_reads_the_gbk_ledger(projects: object) -> None:
    assert projects.attrs["mzgeo_kind"] == "projects"
    assert projects.attrs["mzgeo_encoding"].lower() in ("gbk", "gb18030", "cp936")
    assert projects.attrs["mzgeo_input_crs"] == "gcj02" and projects.crs.to_epsg() == 4549
    assert {"name", "project_type", "county", "township", "planned", "year", "status", "delivered",
            "nursing_delivered", "start_date", "finish_date", "facility_code"} <= set(projects.columns)
    assert pd.api.types.is_datetime64_any_dtype(projects["finish_date"])
    assert set(projects["status"]) <= {"未动工", "已动工", "已完工"}
    # every project lies in the township it names (GCJ-02 converted back onto the demo)
    towns = mzgeo.load_demo().units_township
    joined = projects.sjoin(towns[["geometry"]].assign(town=towns["code"]), predicate="within")
    assert (joined["town"] == joined["unit_code"]).all() and len(joined) == len(projects)


def test_city_totals_reproduce_the_2017_report(result: mzgeo.plan.LedgerResult) -> None:
    city = result.city.set_index("project_type")
    s = city.loc["避灾安置场所"]
    assert (s["n_tasks"], s["n_started"], s["n_completed"]) == (120, 120, 118)
    assert round(100 * s["completion_rate"], 1) == 98.3 and s["start_rate"] == 1.0
    d = city.loc["居家养老服务照料中心"]
    assert (d["n_tasks"], d["n_completed"], d["n_unplanned"]) == (76, 80, 4)
    assert d["completion_rate"] == pytest.approx(80 / 76)
    b = city.loc["养老机构床位"]
    assert (b["planned"], b["delivered"], b["nursing_delivered"]) == (2740, 1772, 1362)
    assert round(100 * b["delivery_rate"], 1) == 64.7 and round(100 * b["nursing_share"], 1) == 76.9
    sentences = result.sentences()
    assert sentences[0] == "120个避灾安置场所新建改建任务，已动工120个，动工率100%，完工118个，完工率98.3%"
    assert sentences[1].startswith("76个居家养老服务照料中心建设任务") and "完工80个" in sentences[1]
    assert sentences[2] == "新增养老机构床位1772张，完成任务数（2740张）的64.7%，其中护理型床位1362张，占76.9%"


def test_per_county_figures_match_an_independent_count(result: mzgeo.plan.LedgerResult) -> None:
    raw = pd.read_csv(LEDGER_CSV, encoding="gbk")
    t = result.table[result.table["county"] != "全市"].set_index(["county", "project_type"])
    for (county, kind), grp in raw.groupby(["区县", "项目类型"]):
        row = t.loc[(county, kind)]
        assert row["n_tasks"] == (grp["计划数量"] > 0).sum()
        assert row["n_started"] == grp["状态"].isin(["已动工", "已完工"]).sum()
        assert row["n_completed"] == (grp["状态"] == "已完工").sum()
        assert row["planned"] == grp["计划数量"].sum() and row["delivered"] == grp["完成数量"].sum()
    # county rows add up to the city rows
    sums = t.groupby(level="project_type")[["n_tasks", "n_completed", "planned", "delivered"]].sum()
    assert (sums == result.city.set_index("project_type")[sums.columns].loc[sums.index]).all().all()
    assert result.sentences("南浔区")[0].startswith("南浔区：22个避灾安置场所新建改建任务")


def test_ledger_workbook_and_year_filter(result: mzgeo.plan.LedgerResult, projects: object, tmp_path: Path) -> None:
    import openpyxl

    path = result.to_excel(tmp_path / "台账.xlsx")
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames[:2] == ["完成情况", "项目清单"] and "参数" in wb.sheetnames
    header = next(wb["完成情况"].iter_rows(values_only=True))
    assert {"区县", "项目类型", "动工率", "完工率", "完成率", "表述"} <= set(header)
    assert result.params["year"] == 2017 and "计划外" in result.params["rule"]
    with pytest.raises(mzgeo.InputError, match="没有 2018 年的项目"):
        mzgeo.ledger(projects, year=2018)


def test_apply_adds_completed_or_planned_projects(result: mzgeo.plan.LedgerResult) -> None:
    demo = mzgeo.load_demo()
    layers = {"institutions": demo.institutions, "shelters": demo.shelters, "daycare": demo.daycare}
    done = result.apply(layers, include="completed")
    plan = result.apply(layers, include="planned")
    assert len(demo.institutions) == 140 and demo.institutions["beds"].sum() == 24120  # inputs untouched
    assert done["institutions"]["beds"].sum() == 24120 + 1772
    assert done["institutions"]["nursing_beds"].sum() == demo.institutions["nursing_beds"].sum() + 1362
    assert plan["institutions"]["beds"].sum() == 24120 + 2740
    assert len(done["shelters"]) == 1166 + 118 and len(plan["shelters"]) == 1166 + 120
    assert len(done["daycare"]) == 1066 + 80
    # an extension adds to its institution, a new one is a new row at its point
    ext = result.projects[result.projects["facility_code"].notna() & (result.projects["delivered"] > 0)].iloc[0]
    before = demo.institutions.set_index("code").loc[ext["facility_code"], "beds"]
    after = done["institutions"].set_index("code").loc[ext["facility_code"], "beds"]
    assert after == before + ext["delivered"]
    new = done["institutions"][done["institutions"]["project_code"].notna()]
    assert len(new) == 5  # new institutions with beds delivered (3 finished, 2 under way)
    # the result is a valid institutions layer for the analyses
    hz = demo.units_county[demo.units_county["in_huzhou"].astype(bool)]
    ratio = mzgeo.bed_ratio(done["institutions"], pd.concat([demo.units_township, hz], ignore_index=True))
    assert ratio.total["beds"].iloc[0] == 24120 + 1772
    with pytest.raises(mzgeo.InputError, match="include"):
        result.apply(layers, include="all")


def _write(path: Path, rows: list[str]) -> Path:
    header = "项目编号,项目名称,项目类型,区县,计划数量,年份,状态,开工日期,完工日期,完成数量,其中护理型床位,经度,纬度"
    path.write_bytes("\r\n".join([header, *rows]).encode("gbk"))
    return path


def test_projects_validation_names_rows_and_columns(tmp_path: Path) -> None:
    path = _write(tmp_path / "台账.csv", [
        "X1,甲敬老院扩建,养老机构床位,吴兴区,100,2017,已完工,2017-03-01,2017-10-01,100,80,120.10,30.87",
        "X2,乙避灾安置场所,避灾安置场所,吴兴区,120,2017,在做,2017-03-01,,0,,120.11,30.87",
        "X3,丙照料中心,照料中心,南浔区,1,2017.5,已完工,2017年3月1日,2017-13-45,1,,120.12,30.87",
        "X4,丁颐养院,养老机构床位,德清县,100,2017,已完工,2017-09-01,2017-03-01,120,130,120.13,30.87",
    ])
    report = mzgeo.validate(path, "projects", crs="gcj02")
    got = {(p.code, p.row, p.column): p for p in report.problems}
    assert ("bad_status", 3, "状态") in got and "在做" in got[("bad_status", 3, "状态")].message
    assert ("bad_year", 4, "年份") in got
    assert ("bad_date", 4, "完工日期") in got  # 2017-13-45; "2017年3月1日" parses
    assert ("bad_date", 4, "开工日期") not in got
    assert ("finish_before_start", 5, "完工日期") in got
    assert ("nursing_gt_delivered", 5, "其中护理型床位") in got
    assert got[("delivered_gt_planned", 5, "完成数量")].severity == "warning"
    assert len(report.errors) == 5
    with pytest.raises(mzgeo.ValidationError) as err:
        mzgeo.read_layer(path, "projects", crs="gcj02")
    assert len(err.value.errors) == 5
    # 照料中心 is an accepted spelling of the type
    fine = _write(tmp_path / "ok.csv", ["X3,丙照料中心,照料中心,南浔区,1,2017,已完工,2017/3/1,2017/9/1,1,,120.12,30.87"])
    assert mzgeo.read_layer(fine, "projects", crs="gcj02")["project_type"].iloc[0] == "居家养老服务照料中心"


def test_projects_missing_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("项目名称,区县,经度,纬度\r\n甲,吴兴区,120.1,30.8\r\n".encode("gbk"))
    report = mzgeo.validate(path, "projects", crs="gcj02")
    missing = {p.column for p in report.errors if p.code == "missing_column"}
    assert missing == {"项目类型", "计划数量", "年份", "状态"}


def test_build_ledger_is_deterministic_and_registered(tmp_path: Path) -> None:
    import hashlib
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("build_ledger", demo_path() / "build_ledger.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.build(tmp_path)
    assert rebuilt.read_bytes() == LEDGER_CSV.read_bytes()
    manifest = json.loads((demo_path() / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["files"][LEDGER_CSV.name]
    assert entry["sha256"] == hashlib.sha256(LEDGER_CSV.read_bytes()).hexdigest()
    assert entry["bytes"] == LEDGER_CSV.stat().st_size
    assert b"\r\n" in rebuilt.read_bytes() and "项目类型".encode("gbk") in rebuilt.read_bytes()


def test_projects_from_excel_with_date_cells(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["项目名称", "项目类型", "计划数量", "年份", "状态", "开工日期", "完工日期", "完成数量", "经度", "纬度"])
    ws.append(["甲敬老院扩建", "养老床位", 100, 2017, "已竣工", dt.datetime(2017, 3, 1), dt.datetime(2017, 10, 1),
               100, 120.1, 30.87])
    ws.append(["乙避灾安置场所", "避灾场所", 120, 2017, "在建", dt.datetime(2017, 5, 2), None, 0, 120.11, 30.87])
    wb.save(tmp_path / "台账.xlsx")
    g = mzgeo.read_layer(tmp_path / "台账.xlsx", "projects", crs="gcj02")
    assert g["project_type"].tolist() == ["养老机构床位", "避灾安置场所"]
    assert g["status"].tolist() == ["已完工", "已动工"]
    assert g["finish_date"].iloc[0] == pd.Timestamp("2017-10-01") and pd.isna(g["finish_date"].iloc[1])
    r = mzgeo.ledger(g)
    once = r.apply({"institutions": mzgeo.load_demo().institutions})
    twice = r.apply(once)  # applied twice, on purpose: the new institution is added again
    assert once["institutions"]["beds"].sum() == 24120 + 100 and len(once["institutions"]) == 141
    assert twice["institutions"]["beds"].sum() == 24120 + 200 and list(twice["institutions"].columns).count(
        "project_code") == 1


def test_projects_table_without_coordinates_is_read(tmp_path):
    """A ledger naming county and township only (no lon/lat): read, and the same sentences."""
    import mzgeo
    from mzgeo.demo import demo_path

    src = demo_path("年度任务台账2017.csv")
    with_xy = mzgeo.read_layer(src, "projects", crs="gcj02")
    raw = pd.read_csv(src, encoding="gbk")
    drop = [c for c in raw.columns if c in ("经度", "纬度", "lon", "lat", "lng")]
    assert drop
    path = tmp_path / "台账无坐标.csv"
    raw.drop(columns=drop).to_csv(path, index=False, encoding="gbk")
    report = mzgeo.validate(path, "projects")
    assert not [p for p in report.problems if p.severity == "error"]
    table = mzgeo.read_layer(path, "projects")
    assert len(table) == len(with_xy) and table.geometry.isna().all()
    assert mzgeo.ledger(table, year=2017).sentences() == mzgeo.ledger(with_xy, year=2017).sentences()
