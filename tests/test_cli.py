"""The ``mzgeo`` command line on real files: every subcommand, exit codes, Chinese output."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest

import mzgeo
from mzgeo.cli import main
from mzgeo.crs import wgs84_to_gcj02

pytestmark = pytest.mark.filterwarnings("ignore::mzgeo.DataWarning")

DEQING = "330521"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Small planner-style files cut from the demo around 德清县."""
    d = mzgeo.load_demo()
    root = tmp_path_factory.mktemp("cli")
    county = d.units_county[d.units_county["code"] == DEQING]
    towns = d.units_township[d.units_township["parent_code"] == DEQING]
    area = county.geometry.iloc[0]
    villages = d.villages[d.villages.within(area)].head(120)
    shelters = d.shelters[d.shelters.within(area)].head(60)
    inst = d.institutions[d.institutions.within(area)]
    roads = d.roads[d.roads.intersects(area.buffer(2000))]
    out = {}

    # villages: a GBK CSV with Chinese headers and Amap (GCJ-02) coordinates
    ll = villages.to_crs(4326)
    glon, glat = wgs84_to_gcj02(ll.geometry.x.to_numpy(), ll.geometry.y.to_numpy())
    vdf = pd.DataFrame({"村社区名称": villages["name"].to_numpy(), "代码": villages["code"].to_numpy(),
                        "人口": villages["population"].to_numpy(), "老年人口": villages["elderly"].to_numpy(),
                        "经度": np.round(glon, 6), "纬度": np.round(glat, 6)})
    out["villages"] = root / "村社区.csv"
    vdf.to_csv(out["villages"], index=False, encoding="gbk")
    out["shelters"] = root / "shelters.gpkg"
    shelters.to_file(out["shelters"], layer="shelters")
    out["institutions"] = root / "institutions.gpkg"
    inst.to_file(out["institutions"], layer="institutions")
    out["units"] = root / "units.gpkg"
    pd.concat([towns, county], ignore_index=True).to_file(out["units"], layer="units")
    out["roads"] = root / "roads.gpkg"
    roads.to_file(out["roads"], layer="roads")
    out["graves"] = root / "graves.gpkg"
    d.graves[d.graves.within(area)].to_file(out["graves"], layer="graves")
    out["railways"] = root / "railways.gpkg"
    d.railways.to_file(out["railways"], layer="railways")
    out["zones"] = root / "zones.gpkg"
    d.zones.to_file(out["zones"], layer="zones")
    # counties of Huzhou for boundary lines, markers as a CSV register
    hz = d.units_county[d.units_county["in_huzhou"].astype(bool)]
    out["counties"] = root / "counties.gpkg"
    hz.to_file(out["counties"], layer="units")
    mk = d.markers[d.markers["line_name"].isin(["南德线", "吴南线", "吴德线"])].to_crs(4326)
    mdf = pd.DataFrame({"界桩编号": mk["marker_id"].to_numpy(), "界线名称": mk["line_name"].to_numpy(),
                        "界桩类型": mk["marker_type"].to_numpy(), "经度": mk.geometry.x.round(7).to_numpy(),
                        "纬度": mk.geometry.y.round(7).to_numpy()})
    out["markers"] = root / "界桩登记表.csv"
    mdf.to_csv(out["markers"], index=False, encoding="utf-8-sig")
    # a long-form travel-time table (origin = demand row, destination = supply row)
    rng = np.random.default_rng(0)
    n_v, n_i = len(villages), len(inst)
    o, dd = np.meshgrid(np.arange(n_v), np.arange(n_i), indexing="ij")
    mins = rng.uniform(1, 60, size=o.shape)
    keep = mins <= 40
    out["cost"] = root / "出行时间.csv"
    pd.DataFrame({"起点": o[keep], "终点": dd[keep], "分钟": mins[keep].round(3)}).to_csv(
        out["cost"], index=False, encoding="gbk")
    out["root"] = root
    return out


def _run(args, capsys):
    code = main([str(a) for a in args])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def test_help_and_version(capsys):
    code, text = _run(["--version"], capsys)
    assert code == 0 and mzgeo.__version__ in text
    res = subprocess.run([sys.executable, "-m", "mzgeo", "--help"], capture_output=True, text=True, check=False)
    assert res.returncode == 0
    for cmd in ("validate", "coverage", "beds", "access", "shelters", "burial", "allocate", "boundary", "map",
                "demo"):
        assert cmd in res.stdout


def test_validate_ok_and_errors(files, tmp_path, capsys):
    code, text = _run(["validate", f"{files['villages']}", "--kind", "villages", "--crs", "gcj02"], capsys)
    assert code == 0, text
    bad = tmp_path / "坏数据.csv"
    bad.write_text("名称,床位数,护理型床位,经度,纬度\n甲,-3,1,120.1,30.8\n乙,10,20,120.2,30.9\n",
                   encoding="gbk")
    code, text = _run(["validate", bad, "--kind", "institutions"], capsys)
    assert code == 1
    assert "第 2 行" in text or "2" in text
    assert "床位数" in text and "护理型床位" in text and "负数" in text


def test_missing_file_exit_code(capsys):
    code, text = _run(["validate", "/nonexistent/x.csv", "--kind", "shelters"], capsys)
    assert code == 2 and "不存在" in text


def test_coverage_on_roads(files, tmp_path, capsys):
    out = tmp_path / "覆盖.xlsx"
    gpkg = tmp_path / "覆盖.gpkg"
    code, text = _run(["coverage", "--facilities", files["shelters"], "--demand", f"{files['villages']}@gcj02",
                       "--minutes", 10, "--minutes", 20, "--roads", files["roads"], "--units", files["units"],
                       "--out", out, "--gpkg", gpkg], capsys)
    assert code == 0, text
    wb = openpyxl.load_workbook(out)
    assert "参数" in wb.sheetnames and len(wb.sheetnames) >= 3
    assert gpd.list_layers(gpkg).shape[0] >= 1


def test_beds_and_access(files, tmp_path, capsys):
    out = tmp_path / "床位.xlsx"
    code, text = _run(["beds", "--institutions", files["institutions"], "--units", files["units"], "--out", out],
                      capsys)
    assert code == 0, text
    header = [c.value for c in openpyxl.load_workbook(out).worksheets[0][1]]
    assert "每千名老人床位数（张）" in header
    out2 = tmp_path / "可达.xlsx"
    code, text = _run(["access", "--supply", files["institutions"], "--demand", f"{files['villages']}@gcj02",
                       "--cost", files["cost"], "--minutes", 30, "--out", out2], capsys)
    assert code == 0, text
    assert out2.exists()


def test_shelters_and_allocate_with_cost_table(files, tmp_path, capsys):
    out = tmp_path / "安置.xlsx"
    code, text = _run(["shelters", "--shelters", files["shelters"], "--demand", f"{files['villages']}@gcj02",
                       "--roads", files["roads"], "--minutes", 15, "--out", out], capsys)
    assert code == 0, text
    out2 = tmp_path / "选址.xlsx"
    code, text = _run(["allocate", "--demand", f"{files['villages']}@gcj02", "--candidates",
                       files["institutions"], "--existing-kind", "institutions", "--cost", files["cost"],
                       "--model", "mclp", "--p", 3, "--minutes", 20, "--out", out2], capsys)
    assert code == 0, text
    assert "新增设施" in openpyxl.load_workbook(out2).sheetnames
    out3 = tmp_path / "加床.xlsx"
    code, text = _run(["allocate", "--demand", f"{files['villages']}@gcj02", "--candidates",
                       files["institutions"], "--existing", files["institutions"], "--existing-kind",
                       "institutions", "--roads", files["roads"], "--mode", "drive", "--model", "beds",
                       "--beds-to-add", 200, "--minutes", 15, "--out", out3], capsys)
    assert code == 0, text
    assert "新增" in text and "张" in text
    code, text = _run(["allocate", "--demand", f"{files['villages']}@gcj02", "--cost", files["cost"],
                       "--candidates", files["institutions"], "--existing-kind", "institutions",
                       "--model", "beds", "--out", out3], capsys)
    assert code == 2 and "--beds-to-add" in text


def test_burial(files, tmp_path, capsys):
    out = tmp_path / "台账.xlsx"
    code, text = _run(["burial", "--points", files["graves"], "--lines", files["railways"], "--lines",
                       files["roads"], "--zones", files["zones"], "--out", out], capsys)
    assert code == 0, text
    assert out.exists()


def test_boundary_commands(files, tmp_path, capsys):
    lines = tmp_path / "界线.gpkg"
    code, text = _run(["boundary", "lines", "--units", files["counties"], "--out", lines], capsys)
    assert code == 0, text
    assert "吴南线" in text and "南德线" in text
    out = tmp_path / "检查表.xlsx"
    code, text = _run(["boundary", "checklist", "--units", files["counties"], "--markers", files["markers"],
                       "--roads", files["roads"], "--last-year", 2021, "--year", 2026, "--out", out,
                       "--html", tmp_path / "检查表.html"], capsys)
    assert code == 0, text
    wb = openpyxl.load_workbook(out)
    assert any("界桩检查表" in s for s in wb.sheetnames)
    # an unfilled checklist read back: every marker is missing its status -> exit 1
    code, text = _run(["boundary", "results", out], capsys)
    assert code == 1 and "未填写界桩状况" in text


def test_map_command(files, tmp_path, capsys):
    out = tmp_path / "图.html"
    code, text = _run(["map", files["shelters"], "--kind", "shelters", "--out", out], capsys)
    assert code == 0, text
    html = out.read_text(encoding="utf-8")
    assert "leaflet" in html.lower() and "https://cdn" not in html


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """``mzgeo demo`` run as a user runs it, from an empty working folder, with a fresh home
    and temporary folder (so that any file written outside --out and --tables is seen)."""
    root = tmp_path_factory.mktemp("demo")
    for name in ("cwd", "home", "tmp"):
        (root / name).mkdir()
    env = {**os.environ, "HOME": str(root / "home"), "TMPDIR": str(root / "tmp"),
           "XDG_CACHE_HOME": str(root / "home" / ".cache"), "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
           "PYTHONDONTWRITEBYTECODE": "1"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = subprocess.run(
            [sys.executable, "-m", "mzgeo", "demo", "--out", str(root / "maps"), "--tables", str(root / "out")],
            capture_output=True, text=True, cwd=root / "cwd", check=False, timeout=900, env=env,
        )
    return root, res


@pytest.mark.slow
def test_demo_writes_only_into_its_folders(demo_run):
    """Every file ``mzgeo demo --out DIR --tables DIR2`` leaves is in DIR or DIR2: no cache in the home
    folder, nothing in the working folder, no temporary file left (also not hidden ones in DIR, DIR2)."""
    root, res = demo_run
    assert res.returncode == 0, res.stderr[-3000:]
    files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    outside = [p for p in files if p.parts[0] not in ("maps", "out")]
    assert outside == []
    hidden = [p for p in files if p.name.startswith(".")]
    assert hidden == []
    assert len(files) >= 20
    # and every file written is one the summary lists (the tables folder is also a plan run folder:
    # manifest.json and the per-unit figures that mzgeo compare reads)
    listed = {Path(line.strip()).resolve() for line in res.stdout.splitlines() if line.strip().endswith(
        (".html", ".xlsx", ".gpkg", ".json", ".csv"))}
    assert (root / "out" / "manifest.json").exists() and (root / "out" / "分区指标.csv").exists()
    assert {(root / p).resolve() for p in files} <= listed


@pytest.mark.slow
def test_demo_end_to_end(demo_run):
    """``mzgeo demo`` from a clean folder writes every map and workbook."""
    root, res = demo_run
    assert res.returncode == 0, res.stderr[-3000:]
    names = {p.name for p in (root / "maps").iterdir()}
    for expected in ("避灾安置场所覆盖.html", "养老床位缺口.html", "照料中心覆盖.html", "界线联检_嘉湖线.html",
                     "界线联检_南德线.html", "界线联检_吴南线.html", "index.html"):
        assert expected in names
    tables = {p.name for p in (root / "out").iterdir()}
    for expected in ("养老床位.xlsx", "可达床位.xlsx", "避灾安置场所容量.xlsx", "照料中心覆盖.xlsx",
                     "三沿五区坟墓整治台账.xlsx", "新增照料中心选址.xlsx", "养老床位布局.xlsx", "界线联检检查表.xlsx"):
        assert expected in tables
    assert "每千名老人床位数" in res.stdout and "嘉湖线" in res.stdout
    # the workbooks state the rules applied
    wb = openpyxl.load_workbook(root / "out" / "养老床位.xlsx")
    params = [str(c.value) for c in wb["参数"]["C"]]
    assert "37.5" in params


@pytest.mark.slow
@pytest.mark.browser
def test_demo_maps_open_offline(demo_run):
    """The demo's maps load in Chromium with the network blocked: no request leaves, no error."""
    try:
        from . import _browser
    except ImportError:  # tests/ is not a package
        import _browser

    reason = _browser.skip_reason()
    if reason is not None:
        pytest.skip(f"browser tests skipped: {reason}")
    root, res = demo_run
    assert res.returncode == 0, res.stderr[-3000:]
    artifacts = Path(__file__).resolve().parents[1] / "test-artifacts" / "demo"
    artifacts.mkdir(parents=True, exist_ok=True)
    with _browser.browser_context() as ctx:
        for name in ("index.html", "避灾安置场所覆盖.html", "养老床位缺口.html", "照料中心覆盖.html",
                     "界线联检_嘉湖线.html"):
            with _browser.offline_page(ctx) as (page, log):
                page.goto((root / "maps" / name).as_uri())
                page.wait_for_load_state("load")
                if name != "index.html":
                    page.wait_for_selector(".leaflet-interactive", timeout=30_000)
                    assert page.locator(".leaflet-control-layers").count() == 1
                shot = artifacts / (Path(name).stem + ".png")
                page.screenshot(path=str(shot))
                assert not log.outgoing(), (name, log.outgoing()[:5])
                assert not log.console_errors and not log.page_errors, (name, log.console_errors, log.page_errors)
                std, colours = _browser.pixel_stats(shot)
                assert std > 5 and colours > 20, (name, std, colours)
