"""Plan files: schema validation with line numbers, replayable runs, changed inputs, comparison."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import mzgeo
from mzgeo.demo import demo_path
from mzgeo.plan import compare_runs, init_plan, load_plan, run_plan

DATA = demo_path()
LEDGER_CSV = DATA / "年度任务台账2017.csv"


def _plan_text(apply: str = "none", institutions: Path | None = None, rules: str = "", daycare: bool = True) -> str:
    """A small plan on the demo data: the ledger, beds and (optionally) day-care coverage."""
    gpkg = (DATA / "huzhou_demo.gpkg").as_posix()
    inst = (institutions or DATA / "养老机构.csv").as_posix()
    text = f"""
[plan]
name = "测试计划"
year = 2017

[inputs.townships]
path = "{gpkg}"
layer = "units_township"
kind = "units"

[inputs.counties]
path = "{gpkg}"
layer = "units_county"
kind = "units"
filter = {{ in_huzhou = true }}

[inputs.villages]
path = "{gpkg}"
layer = "villages"

[inputs.daycare]
path = "{gpkg}"
layer = "daycare"

[inputs.institutions]
path = "{inst}@gcj02"

[inputs.roads]
path = "{gpkg}"
layer = "roads"

[inputs.projects]
path = "{LEDGER_CSV.as_posix()}@gcj02"

[network]
roads = "roads"

[rules]
{rules}

[ledger]
projects = "projects"
year = 2017
apply = "{apply}"
excel = "台账.xlsx"

[analyses.beds]
institutions = "institutions"
units = ["townships", "counties"]
excel = "养老床位.xlsx"

[analyses.daycare]
daycare = "daycare"
demand = "villages"
units = ["townships", "counties"]
"""
    if not daycare:
        drop = ("[inputs.villages]", "[inputs.daycare]", "[inputs.roads]", "[network]", "[analyses.daycare]")
        text = "\n\n".join(b for b in text.split("\n\n") if not b.strip().startswith(drop))
    return text


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    out = {}
    for key, apply in (("a1", "none"), ("a2", "none"), ("b", "planned")):
        plan = root / f"{key}.toml"
        plan.write_text(_plan_text(apply), encoding="utf-8")
        run_plan(plan, root / key)
        out[key] = root / key
    return out


def _cells(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    return {name: list(wb[name].iter_rows(values_only=True)) for name in wb.sheetnames}


def test_replaying_a_plan_writes_the_same_tables(runs: dict[str, Path]) -> None:
    a, b = runs["a1"], runs["a2"]
    books = sorted(p.name for p in a.glob("*.xlsx"))
    assert set(books) == {"台账.xlsx", "养老床位.xlsx"}
    for name in books:
        ca, cb = _cells(a / name), _cells(b / name)
        assert ca == cb, name
        assert sum(len(rows) for rows in ca.values()) > 10
    for name in ("分区指标.csv", "设施清单.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_manifest_records_checksums_versions_and_parameters(runs: dict[str, Path]) -> None:
    m = json.loads((runs["a1"] / "manifest.json").read_text(encoding="utf-8"))
    gpkg = DATA / "huzhou_demo.gpkg"
    assert m["inputs"]["villages"]["sha256"] == hashlib.sha256(gpkg.read_bytes()).hexdigest()
    assert m["inputs"]["projects"]["sha256"] == hashlib.sha256(LEDGER_CSV.read_bytes()).hexdigest()
    assert m["inputs"]["institutions"]["rows"] == 140
    assert m["versions"]["mzgeo"] == mzgeo.__version__ and m["versions"]["pandas"] == pd.__version__
    assert m["rules"]["bed_target_per_1000"] == 37.5  # default, recorded although the plan does not set it
    assert m["analyses"]["beds"]["params"]["target_per_1000"] == 37.5
    assert m["analyses"]["daycare"]["params"]["minutes_rural"] == 20.0
    assert set(m["timings_s"]) >= {"读取输入", "beds", "daycare", "总计"}
    assert m["changed_inputs"] == []
    assert m["ledger"]["sentences"][0] == "120个避灾安置场所新建改建任务，已动工120个，动工率100%，完工118个，完工率98.3%"


def test_rules_override_settings_for_the_run_only(tmp_path: Path) -> None:
    plan = tmp_path / "p.toml"
    text = _plan_text(rules="bed_target_per_1000 = 40\nnursing_share_target = 0.6", daycare=False)
    text += "\n[analyses.daycare]\nenabled = false\n"  # a disabled analysis needs no network
    text = text.replace('excel = "养老床位.xlsx"', 'excel = "养老床位.xlsx"\nmap = "养老床位.html"')
    plan.write_text(text, encoding="utf-8")
    s = run_plan(plan, tmp_path / "out")
    assert s.results["beds"].params["target_per_1000"] == 40.0
    assert "daycare" not in s.results
    assert mzgeo.settings.bed_target_per_1000 == 37.5 and mzgeo.settings.nursing_share_target == 0.55
    met = pd.read_csv(tmp_path / "out" / "分区指标.csv", dtype={"code": str})
    city = met[(met["code"] == "330500") & (met["metric"] == "beds_per_1000")].iloc[0]
    assert city["target"] == 40.0 and city["value"] == pytest.approx(24120 / 638.669)
    assert str(city["met"]) == "False"  # 37.8 < 40
    page = (tmp_path / "out" / "养老床位.html").read_text(encoding="utf-8")
    assert "每千名老人床位数" in page and '<script src="http' not in page  # offline: Leaflet inlined


def test_a_changed_input_is_named(tmp_path: Path) -> None:
    inst = tmp_path / "养老机构.csv"
    shutil.copyfile(DATA / "养老机构.csv", inst)
    plan = tmp_path / "p.toml"
    plan.write_text(_plan_text(institutions=inst, daycare=False), encoding="utf-8")
    first = run_plan(plan, tmp_path / "out")
    assert first.changed_inputs == []
    text = inst.read_bytes().decode("gbk").replace(",330.0,", ",331.0,", 1).replace(",330,", ",331,", 1)
    inst.write_bytes(text.encode("gbk"))
    lines: list[str] = []
    second = run_plan(plan, tmp_path / "out", progress=lines.append)
    assert second.changed_inputs == ["institutions"]
    assert "与上次运行相比发生变化的输入：institutions" in second.text() and "manifest.json" in second.text()
    assert any("institutions" in line and "不同" in line for line in lines)
    m = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert m["changed_inputs"] == ["institutions"] and m["plan"]["changed"] is False
    assert second.results["beds"].table["beds"].max() >= first.results["beds"].table["beds"].max()
    assert second.results["beds"].total["beds"].iloc[0] == first.results["beds"].total["beds"].iloc[0] + 1


def test_compare_shows_beds_added_by_the_planned_projects(runs: dict[str, Path], tmp_path: Path) -> None:
    got = compare_runs(runs["a1"], runs["b"], tmp_path)
    units = got["units"]
    # independent expectation: planned bed projects, by township code, at max(planned, delivered)
    raw = pd.read_csv(LEDGER_CSV, encoding="gbk", dtype={"所属区划代码": str, "设施编号": str})
    beds = raw[raw["项目类型"] == "养老机构床位"]
    added = beds.assign(q=beds[["计划数量", "完成数量"]].max(axis=1)).groupby("所属区划代码")["q"].sum()
    change = units[(units["metric"] == "beds") & (units["level"] == "乡镇街道")].set_index("code")["change"]
    assert change.to_dict() == pytest.approx(added.to_dict())
    city = units[(units["metric"] == "beds") & (units["code"] == "330500")].iloc[0]
    assert city["value_a"] == 24120 and city["change"] == 2740
    per1000 = units[(units["metric"] == "beds_per_1000") & (units["level"] == "乡镇街道")]
    assert set(per1000["code"]) == set(added.index) and (per1000["change"] > 0).all()
    # units that crossed the target come first
    crossed = units["crossed"] != ""
    assert crossed.any() and not crossed.iloc[crossed.to_numpy().argmin():].any()
    fac = got["facilities"]
    counts = fac.groupby(["kind", "change"]).size().to_dict()
    assert counts[("institutions", "新增")] == beds["设施编号"].isna().sum() == 8
    assert counts[("institutions", "变更")] == beds["设施编号"].nunique() == 4
    assert counts[("daycare", "新增")] == 80
    assert got["inputs"].empty  # same input files in both runs
    assert got["rules"]["value_b"].tolist() == ['"planned"'] and got["rules"]["value_a"].tolist() == ['"none"']
    names = {p.name for p in got["files"]}
    assert names == {"比较.xlsx", "比较地图.html"}
    sheets = openpyxl.load_workbook(tmp_path / "比较.xlsx", read_only=True).sheetnames
    assert sheets[:2] == ["分区变化", "设施变化"]


def test_compare_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    with pytest.raises(mzgeo.InputError, match="不是 mzgeo run 的输出文件夹"):
        compare_runs(tmp_path, tmp_path, tmp_path / "x")


def test_schema_errors_come_all_at_once_with_line_numbers(tmp_path: Path) -> None:
    text = """[plan]
name = "x"

[inputs.villages]
path = "没有这个文件.gpkg"

[inputs.institutions]
path = "{}@gcj02"
knid = "institutions"

[analyses.beds]
institution = "institutions"
units = ["townships"]

[analyses.shelter_coverage]
facilities = "shelters"
minutes = "10"
mode = "bike"
map = "x.html"

[rulse]
x = 1
""".format((DATA / "养老机构.csv").as_posix())
    plan = tmp_path / "bad.toml"
    plan.write_text(text, encoding="utf-8")
    with pytest.raises(mzgeo.ValidationError) as err:
        load_plan(plan)
    probs = {(p.code, p.row): p for p in err.value.problems}
    assert ("missing_file", 5) in probs and "没有这个文件.gpkg" in probs[("missing_file", 5)].message
    assert "是否应为「kind」" in probs[("unknown_key", 9)].message
    assert "是否应为「institutions」" in probs[("unknown_key", 12)].message
    assert ("unknown_input", 13) in probs  # townships not declared
    assert ("wrong_type", 17) in probs and "列表" in probs[("wrong_type", 17)].message
    assert ("bad_value", 18) in probs
    assert ("missing_key", 19) in probs  # a map needs units
    assert "是否应为「rules」" in probs[("unknown_key", 21)].message
    assert any(p.code == "missing_key" and p.column == "network" for p in err.value.problems)  # needs roads
    assert len(err.value.problems) == 10
    assert all(p.file == "bad.toml" for p in err.value.problems)
    assert "第 12 行" in str(err.value)


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    plan = tmp_path / "bad.toml"
    plan.write_text('[plan]\nname = "x"\nyear = = 2017\n', encoding="utf-8")
    with pytest.raises(mzgeo.ValidationError) as err:
        load_plan(plan)
    assert err.value.problems[0].row == 3 and "TOML" in err.value.problems[0].message


def test_missing_plan_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(mzgeo.InputError, match="计划文件不存在"):
        run_plan(tmp_path / "nope.toml", tmp_path)


def test_init_plan_writes_a_valid_demo_template(tmp_path: Path) -> None:
    path = init_plan(tmp_path / "plan.toml")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# mzgeo 计划文件") and "[analyses.beds]" in text
    plan = load_plan(path)  # every demo path resolves (absolute paths to the demo folder)
    assert plan.inputs["institutions"]["crs"] == "gcj02"
    assert set(plan.analyses()) == {"shelter_coverage", "shelters", "daycare", "beds", "cemeteries", "graves",
                                    "markers"}
    with pytest.raises(mzgeo.InputError, match="文件已存在"):
        init_plan(path)


@pytest.mark.parametrize("name", ["demo_plan.toml", "demo_plan_2018.toml"])
def test_shipped_demo_plans_validate(name: str) -> None:
    plan = load_plan(DATA / name)
    assert plan.inputs["villages"]["path"] == DATA.resolve() / "huzhou_demo.gpkg"
    assert plan.data["ledger"]["apply"] == ("none" if name == "demo_plan.toml" else "planned")


def test_demo_plan_burial_and_boundary_figures(tmp_path: Path) -> None:
    lines: list[str] = []
    s = run_plan(DATA / "demo_plan.toml", tmp_path / "run", only=["graves", "markers"], progress=lines.append)
    assert any(line.startswith("✓ 三沿五区坟墓排查") for line in lines)
    met = pd.read_csv(tmp_path / "run" / "分区指标.csv", dtype={"code": str})
    graves = met[met["metric"] == "graves_in_zones"]
    pts = s.results["graves"].points
    assert graves["value"].sum() == int(pts["violates"].sum()) > 0
    by_town = pts[pts["violates"].astype(bool)].groupby("unit_code").size()
    assert graves.set_index("code")["value"][by_town.index].tolist() == by_town.tolist()
    assert (graves["met"].astype(str) == (graves["value"] == 0).astype(str)).all()
    markers = met[met["metric"] == "markers_flagged"]
    mk = s.results["markers"].markers
    assert markers["value"].sum() == int(mk["flagged"].sum())
    assert set(markers["code"]) == set(mk["line_name"])  # county lines only (南德线, 吴南线...)
    m = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert set(m["analyses"]) == {"graves", "markers"}
    assert m["analyses"]["graves"]["params"]["burial_buffer_m"]["铁路"] == 200.0  # applied, from the plan's rules
    assert m["analyses"]["graves"]["params"]["n_violating"] == graves["value"].sum()
    assert m["rules"]["burial_buffer_m"]["railway"] == 200.0  # defaults kept beside the plan's own classes


def test_default_output_folder_is_relative_to_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    plan = tmp_path / "plans" / "p.toml"
    plan.parent.mkdir()
    plan.write_text(_plan_text(daycare=False).replace('year = 2017\n', 'year = 2017\nout = "结果/2017"\n', 1),
                    encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    s = run_plan(plan)
    assert s.out_dir.resolve() == work / "结果" / "2017"
    assert (work / "结果" / "2017" / "manifest.json").exists() and not (plan.parent / "结果").exists()


def test_references_to_inputs_of_the_wrong_kind_are_errors(tmp_path: Path) -> None:
    text = (DATA / "demo_plan.toml").read_text(encoding="utf-8")
    lines = text.splitlines()
    bad = (text.replace('institutions = "institutions"', 'institutions = "villages"')
           .replace("minutes = [5, 10, 15, 20]", "minutes = []")
           .replace('roads = "roads"', 'roads = "rivers"'))
    with pytest.raises(mzgeo.ValidationError) as err:
        load_plan(bad, base_dir=DATA)
    got = {(p.code, p.column): p.row for p in err.value.problems}
    assert got == {
        ("wrong_kind", "analyses.beds.institutions"): lines.index('institutions = "institutions"') + 1,
        ("bad_value", "analyses.shelter_coverage.minutes"): lines.index("minutes = [5, 10, 15, 20]") + 1,
        ("wrong_kind", "network.roads"): lines.index('roads = "roads"') + 1,
    }


def _fake_run(folder: Path, metrics: list[tuple], facilities: list[tuple], apply: str = "none") -> Path:
    folder.mkdir()
    pd.DataFrame(metrics, columns=["code", "name", "level", "metric", "value", "target", "met"]).to_csv(
        folder / "分区指标.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame(facilities, columns=["kind", "code", "name", "x", "y", "size", "nursing_beds"]).to_csv(
        folder / "设施清单.csv", index=False, encoding="utf-8-sig")
    manifest = {"plan": {"name": folder.name}, "inputs": {}, "rules": {}, "ledger": {"apply": apply}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_compare_by_hand(tmp_path: Path) -> None:
    a = _fake_run(tmp_path / "A", [
        ("1", "甲镇", "乡镇街道", "beds_per_1000", 30.0, 37.5, False),
        ("2", "乙镇", "乡镇街道", "beds_per_1000", 40.0, 37.5, True),
        ("3", "丙镇", "乡镇街道", "beds_per_1000", 20.0, 37.5, False),
        ("4", "丁镇", "乡镇街道", "beds_per_1000", 50.0, 37.5, True),
    ], [
        ("institutions", "A1", "甲院", 0.0, 0.0, 100, 60),
        ("institutions", "A2", "乙院", 1000.0, 0.0, 50, 20),
        ("institutions", "A3", "丙院", 2000.0, 0.0, 80, 40),
        ("institutions", "A4", "丁院", 3000.0, 0.0, 80, 40),
        ("shelters", "S1", "一号场所", 0.0, 500.0, 200, None),
    ])
    b = _fake_run(tmp_path / "B", [
        ("1", "甲镇", "乡镇街道", "beds_per_1000", 38.0, 37.5, True),    # crossed up
        ("2", "乙镇", "乡镇街道", "beds_per_1000", 36.0, 37.5, False),   # crossed down
        ("3", "丙镇", "乡镇街道", "beds_per_1000", 25.0, 37.5, False),   # changed, still short
        ("4", "丁镇", "乡镇街道", "beds_per_1000", 50.0, 37.5, True),    # unchanged: not listed
    ], [
        ("institutions", "A1", "甲院", 0.0, 0.0, 150, 100),       # more beds
        ("institutions", "B9", "乙院", 1020.0, 0.0, 50, 20),       # new code, same name 20 m away
        ("institutions", "A4", "丁院", 3000.0, 0.0, 80, 40),       # unchanged
        ("institutions", "N1", "新院", 5000.0, 0.0, 60, 40),       # added
        ("shelters", "S1", "一号场所", 0.0, 500.0, 200, None),     # unchanged
    ], apply="planned")
    got = compare_runs(a, b, tmp_path / "cmp", map_html=False)
    u = got["units"]
    assert u["code"].tolist() == ["1", "2", "3"]
    assert u["crossed"].tolist() == ["now_met", "now_missed", ""]
    assert u["change"].tolist() == pytest.approx([8.0, -4.0, 5.0])
    f = got["facilities"].set_index("code")
    assert f.loc["N1", "change"] == "新增" and f.loc["A3", "change"] == "撤销"
    assert f.loc["A1", "change"] == "变更" and (f.loc["A1", "size_a"], f.loc["A1", "size_b"]) == (100, 150)
    assert f.loc["B9", "change"].startswith("编号变更")
    assert "A4" not in f.index and "S1" not in f.index and "A2" not in f.index
    assert got["files"] == [tmp_path / "cmp" / "比较.xlsx"]
