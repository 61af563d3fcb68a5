"""Inputs are never modified, file mistakes never end in a traceback, ``--encoding`` everywhere.

* Every command is run on real files and the SHA-256 of every input is compared before and
  after; an output pointed at an input (same path, relative path, symbolic or hard link, a
  Shapefile part, another layer of an input GeoPackage) is refused with exit 2 before any
  work starts.
* The Python writers (``write_layer``, ``write_layers``, results' ``to_excel``/``to_gpkg``,
  ``report.write_excel``, the boundary writers) refuse the files their data was read from.
* Operating-system and library errors (a folder where a file is expected, a path inside a
  file, no permission, an empty or corrupt table, a missing layer) give a Chinese message
  with the path and exit 2.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import mzgeo
from mzgeo import FileAccessError, InputError
from mzgeo.cli import build_parser, main

pytestmark = pytest.mark.filterwarnings("ignore::mzgeo.DataWarning")

ROOT = Path(__file__).resolve().parents[1]
DEQING = "330521"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _lonlat(gdf) -> pd.DataFrame:
    ll = gdf.to_crs(4326)
    out = pd.DataFrame(gdf.drop(columns="geometry"))
    out["经度"], out["纬度"] = ll.geometry.x.round(7).to_numpy(), ll.geometry.y.round(7).to_numpy()
    return out


def _cost(demand, supply) -> pd.DataFrame:
    """Walking minutes at 1 m/s straight-line (row numbers as origin/destination), up to 40 min."""
    d = np.hypot(demand.geometry.x.to_numpy()[:, None] - supply.geometry.x.to_numpy()[None, :],
                 demand.geometry.y.to_numpy()[:, None] - supply.geometry.y.to_numpy()[None, :]) / 60.0
    o, s = np.nonzero(d <= 40)
    return pd.DataFrame({"起点": o, "终点": s, "分钟": d[o, s].round(3)})


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Planner-style input files around 德清县, all in one folder ``inputs``."""
    d = mzgeo.load_demo()
    root = tmp_path_factory.mktemp("inputs")
    area = d.units_county[d.units_county["code"] == DEQING].geometry.iloc[0]
    villages = d.villages[d.villages.within(area)].head(80)
    shelters = d.shelters[d.shelters.within(area)].head(40)
    inst = d.institutions[d.institutions.within(area)]
    _lonlat(villages).to_csv(root / "村社区.csv", index=False, encoding="gbk")
    _lonlat(inst).to_excel(root / "养老机构.xlsx", index=False)
    shelters.to_file(root / "shelters.gpkg", layer="shelters")
    towns = d.units_township[d.units_township["parent_code"] == DEQING]
    county = d.units_county[d.units_county["code"] == DEQING]
    pd.concat([towns, county], ignore_index=True).to_file(root / "units.gpkg", layer="units")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        d.roads[d.roads.intersects(area)].head(400)[["name", "road_class", "geometry"]].to_file(
            root / "roads.shp", encoding="UTF-8")
    _lonlat(d.graves[d.graves.within(area)].head(200)).to_csv(root / "坟墓.csv", index=False, encoding="gbk")
    d.zones.to_file(root / "zones.gpkg", layer="zones")
    d.units_county[d.units_county["in_huzhou"].astype(bool)].to_file(root / "counties.gpkg", layer="units")
    mk = d.markers[d.markers["line_name"].isin(["南德线", "吴南线", "吴德线"])]
    mdf = _lonlat(mk[["marker_id", "line_name", "marker_type", "geometry"]])
    mdf.columns = ["界桩编号", "界线名称", "界桩类型", "经度", "纬度"]
    mdf.to_excel(root / "界桩登记表.xlsx", index=False)
    _cost(villages, shelters).to_csv(root / "到场所.csv", index=False, encoding="gbk")
    _cost(villages, inst).to_csv(root / "到机构.csv", index=False, encoding="gbk")
    return root


def sha(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run(args, capsys, cwd: Path | None = None):
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = main([str(a) for a in args])
    finally:
        os.chdir(old)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


# --------------------------------------------------------------------------------------------
# every command leaves its inputs byte for byte as they were
# --------------------------------------------------------------------------------------------
def _commands(i: Path, o: Path) -> list[tuple[str, list, int]]:
    return [
        ("validate", ["validate", i / "村社区.csv", "--kind", "villages"], 0),
        ("coverage", ["coverage", "--facilities", i / "shelters.gpkg", "--demand", i / "村社区.csv", "--cost",
                      i / "到场所.csv", "--minutes", 10, "--units", i / "units.gpkg", "-o", o / "覆盖.xlsx",
                      "--gpkg", o / "覆盖.gpkg"], 0),
        ("beds", ["beds", "--institutions", i / "养老机构.xlsx", "--units", i / "units.gpkg", "-o", o / "床位.xlsx",
                  "--gpkg", o / "床位.gpkg"], 0),
        ("access", ["access", "--supply", i / "养老机构.xlsx", "--demand", i / "村社区.csv", "--cost", i / "到机构.csv",
                    "-o", o / "可达.xlsx"], 0),
        ("shelters", ["shelters", "--shelters", i / "shelters.gpkg", "--demand", i / "村社区.csv", "--cost",
                      i / "到场所.csv", "--minutes", 15, "-o", o / "安置.xlsx"], 0),
        ("burial", ["burial", "--points", i / "坟墓.csv", "--lines", i / "roads.shp", "--zones", i / "zones.gpkg",
                    "-o", o / "台账.xlsx", "--gpkg", o / "台账.gpkg"], 0),
        ("allocate", ["allocate", "--demand", i / "村社区.csv", "--candidates", i / "养老机构.xlsx", "--existing-kind",
                      "institutions", "--cost", i / "到机构.csv", "--p", 2, "--minutes", 20, "-o", o / "选址.xlsx"], 0),
        ("boundary lines", ["boundary", "lines", "--units", i / "counties.gpkg", "-o", o / "界线.gpkg", "--excel",
                            o / "界线.xlsx"], 0),
        ("boundary checklist", ["boundary", "checklist", "--units", i / "counties.gpkg", "--markers",
                                i / "界桩登记表.xlsx", "--roads", i / "roads.shp", "-o", o / "检查表.xlsx",
                                "--html", o / "检查表.html"], 0),
        ("map", ["map", i / "units.gpkg", "--layer", "units", "--units", i / "counties.gpkg", "-o", o / "图.html"], 0),
    ]


def test_every_command_leaves_inputs_unchanged(inputs, tmp_path, capsys):
    out = tmp_path / "结果"
    before = sha(inputs)
    for name, args, expected in _commands(inputs, out):
        code, text, err = run(args, capsys)
        assert code == expected, (name, err[-2000:])
        assert sha(inputs) == before, name
    # reading back a checklist: the checklist is then the input, and stays as it was
    check = sha(out)["检查表.xlsx"]
    code, _, err = run(["boundary", "results", out / "检查表.xlsx", "-o", out / "回读.xlsx"], capsys)
    assert code == 1 and "未填写界桩状况" in _  # unfilled: errors listed, exit 1
    assert sha(out)["检查表.xlsx"] == check and (out / "回读.xlsx").exists()
    assert sha(inputs) == before


def _same_path_cases(i: Path):
    """(id, args, the output flag named in the message) — each output is an input in disguise."""
    beds = ["beds", "--institutions", i / "养老机构.xlsx", "--units", i / "units.gpkg"]
    return [
        ("beds -o = input", [*beds, "-o", i / "养老机构.xlsx"], "-o/--out"),
        ("beds --gpkg = input GeoPackage (another layer)", [*beds, "-o", i / "x.xlsx", "--gpkg", i / "units.gpkg"],
         "--gpkg"),
        ("beds -o through a symbolic link", [*beds, "-o", i / "link.xlsx"], "-o/--out"),
        ("beds -o through a hard link", [*beds, "-o", i / "hard.xlsx"], "-o/--out"),
        ("beds -o relative with ..", [*beds, "-o", "sub/../养老机构.xlsx"], "-o/--out"),
        ("coverage --gpkg = facilities", ["coverage", "--facilities", i / "shelters.gpkg", "--demand",
                                          i / "村社区.csv", "--cost", i / "到场所.csv", "--minutes", 10, "-o",
                                          i / "x.xlsx", "--gpkg", i / "shelters.gpkg"], "--gpkg"),
        ("access -o = cost table", ["access", "--supply", i / "养老机构.xlsx", "--demand", i / "村社区.csv", "--cost",
                                    i / "到机构.csv", "-o", i / "到机构.csv"], "-o/--out"),
        ("shelters -o = demand", ["shelters", "--shelters", i / "shelters.gpkg", "--demand", i / "村社区.csv",
                                  "--cost", i / "到场所.csv", "-o", i / "村社区.csv"], "-o/--out"),
        ("burial -o = a Shapefile part", ["burial", "--points", i / "坟墓.csv", "--lines", i / "roads.shp", "-o",
                                          i / "roads.dbf"], "-o/--out"),
        ("allocate --gpkg = candidates", ["allocate", "--demand", i / "村社区.csv", "--candidates",
                                          i / "养老机构.xlsx", "--cost", i / "到机构.csv", "-o", i / "x.xlsx",
                                          "--gpkg", i / "养老机构.xlsx"], "--gpkg"),
        ("boundary lines -o = units", ["boundary", "lines", "--units", i / "counties.gpkg", "-o",
                                       i / "counties.gpkg"], "-o/--out"),
        ("boundary checklist --html = markers", ["boundary", "checklist", "--units", i / "counties.gpkg",
                                                 "--markers", i / "界桩登记表.xlsx", "-o", i / "x.xlsx", "--html",
                                                 i / "界桩登记表.xlsx"], "--html"),
        ("boundary results -o = the checklist read", ["boundary", "results", i / "界桩登记表.xlsx", "-o",
                                                      i / "界桩登记表.xlsx"], "-o/--out"),
        ("map -o = the layer drawn", ["map", i / "units.gpkg", "-o", i / "units.gpkg"], "-o/--out"),
        ("map -o = --units", ["map", i / "shelters.gpkg", "--units", i / "counties.gpkg", "-o",
                              i / "counties.gpkg"], "-o/--out"),
    ]


@pytest.mark.parametrize("case", range(15))
def test_output_equal_to_an_input_is_refused_before_work(inputs, case, capsys):
    i = inputs
    (i / "sub").mkdir(exist_ok=True)
    if not (i / "link.xlsx").exists():
        (i / "link.xlsx").symlink_to(i / "养老机构.xlsx")
        os.link(i / "养老机构.xlsx", i / "hard.xlsx")
    name, args, flag = _same_path_cases(i)[case]
    before = sha(i)
    code, out, err = run(args, capsys, cwd=i)
    assert code == 2, (name, err)
    assert "输入文件" in err and flag in err and "从不修改输入文件" in err, (name, err)
    assert "…" not in err, (name, err)  # refused before any step started
    assert "Traceback" not in err
    assert sha(i) == before, name
    assert not (i / "x.xlsx").exists()


def test_same_case_count():
    assert len(_same_path_cases(Path("/x"))) == 15


def test_two_outputs_on_one_file_are_refused(inputs, tmp_path, capsys):
    code, _, err = run(["beds", "--institutions", inputs / "养老机构.xlsx", "--units", inputs / "units.gpkg",
                        "-o", tmp_path / "a.xlsx", "--gpkg", tmp_path / "a.xlsx"], capsys)
    assert code == 2 and "同一个文件" in err and "--gpkg" in err


# --------------------------------------------------------------------------------------------
# the Python writers refuse the files their data was read from
# --------------------------------------------------------------------------------------------
def test_python_writers_refuse_their_inputs(inputs, tmp_path):
    from mzgeo.report import write_excel

    before = sha(inputs)
    units_path = inputs / "units.gpkg"
    units = mzgeo.read_layer(units_path, "units")
    assert units.attrs["mzgeo_source_paths"] == (str(units_path.resolve()),)
    for target in (units_path, str(units_path), inputs / "sub" / ".." / "units.gpkg"):
        with pytest.raises(InputError, match="输入文件"):
            mzgeo.write_layer(units, target)
    with pytest.raises(InputError, match="输入文件"):  # another layer of the input GeoPackage
        mzgeo.write_layer(units, units_path, layer="units_copy")
    with pytest.raises(InputError, match="输入文件"):  # a derived frame keeps its source
        mzgeo.write_layers(units_path, {"wgs84": units.to_crs(4326)})
    link = tmp_path / "link.gpkg"
    link.symlink_to(units_path)
    with pytest.raises(InputError, match="输入文件"):
        mzgeo.write_layer(units, link)
    assert mzgeo.write_layer(units, tmp_path / "copy.gpkg").exists()  # elsewhere: fine

    inst_path = inputs / "养老机构.xlsx"
    inst = mzgeo.read_layer(inst_path, "institutions")
    ratio = mzgeo.bed_ratio(inst, units)
    with pytest.raises(InputError, match="输入文件"):
        ratio.to_excel(inst_path)
    with pytest.raises(InputError, match="输入文件"):
        ratio.to_gpkg(units_path)
    with pytest.raises(InputError, match="输入文件"):
        write_excel(inst_path, {"养老机构": inst.drop(columns="geometry")})
    assert Path(ratio.to_excel(tmp_path / "床位.xlsx")).exists()

    vil_path = inputs / "村社区.csv"
    villages = mzgeo.read_layer(vil_path, "villages")
    cost = pd.read_csv(inputs / "到机构.csv", encoding="gbk").rename(
        columns={"起点": "origin", "终点": "destination", "分钟": "minutes"})
    res = mzgeo.allocate(villages, inst, model="mclp", cost=cost, minutes=20, p=2)
    with pytest.raises(InputError, match="输入文件"):
        res.to_excel(vil_path)
    with pytest.raises(InputError, match="输入文件"):
        res.to_gpkg(inst_path)

    counties_path = inputs / "counties.gpkg"
    lines = mzgeo.boundary_lines(mzgeo.read_layer(counties_path, "units"))
    with pytest.raises(InputError, match="输入文件"):
        lines.to_gpkg(counties_path)
    with pytest.raises(InputError, match="输入文件"):
        lines.to_excel(counties_path)
    mk_path = inputs / "界桩登记表.xlsx"
    check = mzgeo.inspection_checklist(lines, mzgeo.read_layer(mk_path, "markers"))
    with pytest.raises(InputError, match="输入文件"):
        check.to_excel(mk_path)
    with pytest.raises(InputError, match="输入文件"):
        check.to_html(mk_path)
    with pytest.raises(InputError, match="输入文件"):
        check.to_excel(counties_path)
    sheet = check.to_excel(tmp_path / "检查表.xlsx")
    back = mzgeo.read_inspection_results(sheet)
    digest = hashlib.sha256(sheet.read_bytes()).hexdigest()
    with pytest.raises(InputError, match="输入文件"):
        back.to_excel(sheet)
    assert hashlib.sha256(sheet.read_bytes()).hexdigest() == digest
    assert sha(inputs) == before


# --------------------------------------------------------------------------------------------
# file mistakes: a clear message with the path, exit 2, never a traceback
# --------------------------------------------------------------------------------------------
@pytest.fixture
def mistakes(tmp_path):
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "文件夹.csv").mkdir()  # a folder named like a file
    (tmp_path / "结果").mkdir()
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text("origin,destination,minutes\n", encoding="utf-8")
    rng = np.random.default_rng(1)
    (tmp_path / "corrupt.xlsx").write_bytes(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    (tmp_path / "corrupt.gpkg").write_bytes(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    return tmp_path


def _file_cases(i: Path, t: Path):
    beds = ["beds", "--institutions", i / "养老机构.xlsx", "--units", i / "units.gpkg"]
    access = ["access", "--supply", i / "养老机构.xlsx", "--demand", i / "村社区.csv", "-o", t / "a.xlsx", "--cost"]
    return {
        "output is a folder": ([*beds, "-o", t / "结果"], ["文件夹", "结果"]),
        "output inside a file": ([*beds, "-o", t / "afile" / "x.xlsx"], ["是文件而不是文件夹", "afile"]),
        "--gpkg inside a file": ([*beds, "-o", t / "x.xlsx", "--gpkg", t / "afile" / "x.gpkg"], ["是文件而不是文件夹"]),
        "output not writable (/sys)": ([*beds, "-o", "/sys/床位.xlsx"], ["没有权限", "/sys/床位.xlsx"]),
        "output in a folder that cannot hold files (/proc)": ([*beds, "-o", "/proc/床位.xlsx"], ["/proc/床位.xlsx"]),
        "demo --tables is a file": (["demo", "--out", t / "maps", "--tables", t / "afile"], ["afile"]),
        "input is a folder (validate)": (["validate", t / "文件夹.csv", "--kind", "villages"], ["文件夹", "文件夹.csv"]),
        "input is a folder (beds)": (["beds", "--institutions", t / "文件夹.csv", "--units", i / "units.gpkg", "-o",
                                      t / "x.xlsx"], ["文件夹.csv", "文件夹"]),
        "input missing": (["beds", "--institutions", i / "养老机构.xlsx", "--units", t / "无.gpkg", "-o",
                           t / "x.xlsx"], ["不存在", "无.gpkg"]),
        "--cost missing": ([*access, t / "无.csv"], ["不存在", "无.csv"]),
        "--cost empty": ([*access, t / "empty.csv"], ["空文件", "empty.csv", "--cost"]),
        "--cost header only": ([*access, t / "header.csv"], ["没有数据行", "header.csv"]),
        "--cost corrupt xlsx": ([*access, t / "corrupt.xlsx"], ["无法读取", "corrupt.xlsx"]),
        "map: layer not in the GeoPackage": (["map", i / "units.gpkg", "--layer", "nope", "-o", t / "m.html"],
                                             ["--layer", "nope", "units"]),
        "map: corrupt GeoPackage": (["map", t / "corrupt.gpkg", "-o", t / "m.html"], ["无法读取", "corrupt.gpkg"]),
        "map: column not in the layer": (["map", i / "units.gpkg", "--column", "nope", "-o", t / "m.html"],
                                         ["--column", "nope"]),
    }


CASES = list(_file_cases(Path("i"), Path("t")))


@pytest.mark.parametrize("case", CASES)
def test_file_mistakes_give_a_clear_error(inputs, mistakes, case, capsys):
    args, needles = _file_cases(inputs, mistakes)[case]
    before = sha(inputs)
    code, out, err = run(args, capsys)
    assert code == 2, (case, err)
    assert "错误：" in err and CJK.search(err)
    for n in needles:
        assert n in err, (case, n, err)
    assert "Traceback" not in err + out
    assert sha(inputs) == before
    assert not (mistakes / "x.xlsx").exists() and not (mistakes / "a.xlsx").exists()


def test_missing_layer_in_validate(inputs, capsys):
    code, out, err = run(["validate", inputs / "units.gpkg", "--kind", "units", "--layer", "乡镇"], capsys)
    assert code == 1 and "找不到图层「乡镇」" in out and "units" in out


def test_file_errors_in_python(inputs, mistakes):
    """The same mistakes through the Python API: FileAccessError (an InputError and an OSError)."""
    units = mzgeo.read_layer(inputs / "units.gpkg", "units")
    with pytest.raises(FileAccessError, match="是文件而不是文件夹") as info:
        mzgeo.write_layer(units, mistakes / "afile" / "u.gpkg")
    assert isinstance(info.value, OSError) and isinstance(info.value, InputError)
    with pytest.raises(FileAccessError, match="文件夹"):
        mzgeo.write_layer(units, mistakes / "结果")
    with pytest.raises(FileAccessError, match="没有权限"):
        mzgeo.write_layer(units, "/sys/u.gpkg")
    with pytest.raises(FileAccessError, match="文件夹"):
        mzgeo.read_layer(mistakes / "文件夹.csv", "villages")
    with pytest.raises(FileAccessError, match="文件夹"):
        mzgeo.validate(mistakes / "文件夹.csv", "villages")


def test_last_resort_guard_in_a_fresh_process(mistakes):
    """``python -m mzgeo`` on a corrupt cost table: one Chinese line, exit 2, no traceback."""
    res = subprocess.run([sys.executable, "-m", "mzgeo", "access", "--supply", "a.csv", "--demand", "b.csv",
                          "--cost", str(mistakes / "corrupt.xlsx"), "-o", str(mistakes / "y.xlsx")],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False,
                         timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr and CJK.search(res.stderr)


# --------------------------------------------------------------------------------------------
# --encoding
# --------------------------------------------------------------------------------------------
def test_every_command_that_reads_text_files_has_encoding():
    parser = build_parser()
    subs = next(a for a in parser._actions if hasattr(a, "choices") and isinstance(a.choices, dict)).choices
    with_files = {}
    for name, p in subs.items():
        inner = [a for a in p._actions if hasattr(a, "choices") and isinstance(a.choices, dict)]
        for n, q in (inner[0].choices.items() if inner else [(name, p)]):
            if q.inputs:
                with_files[n] = any("--encoding" in a.option_strings for a in q._actions)
    # boundary results reads only the .xlsx workbooks it wrote (no text encoding to choose)
    assert with_files.pop("results") is False
    assert with_files and all(with_files.values()), with_files


@pytest.fixture(scope="module")
def gbk_files(inputs, tmp_path_factory):
    """Institutions as a GBK CSV whose names the detector could read either way, and a GBK cost table."""
    root = tmp_path_factory.mktemp("gbk")
    df = _lonlat(mzgeo.load_demo().institutions.head(30))
    df = df[["name", "beds", "nursing_beds", "经度", "纬度"]]
    df.columns = ["机构名称", "床位数", "护理型床位", "经度", "纬度"]
    df.to_csv(root / "养老机构.csv", index=False, encoding="gbk")
    return root, df


def test_encoding_gbk_explicit(gbk_files, inputs, tmp_path, capsys):
    root, df = gbk_files
    path = root / "养老机构.csv"
    code, out, err = run(["validate", path, "--kind", "institutions", "--encoding", "gbk"], capsys)
    assert code == 0, out + err
    code, out, err = run(["validate", path, "--kind", "institutions", "--encoding", "utf-8"], capsys)
    assert code == 1 and "utf-8" in out.lower()  # the option reaches the reader: GBK bytes are not UTF-8
    xlsx = tmp_path / "床位.xlsx"
    code, out, err = run(["beds", "--institutions", path, "--units", inputs / "units.gpkg", "--encoding", "gbk",
                          "-o", xlsx, "--gpkg", tmp_path / "床位.gpkg"], capsys)
    assert code == 0, err
    gdf = mzgeo.read_layer(tmp_path / "床位.gpkg", "institutions", layer="institutions")
    assert set(gdf["name"]) == set(df["机构名称"])  # names decoded right, none mojibake
    cells = {c.value for ws in openpyxl.load_workbook(xlsx).worksheets for row in ws.iter_rows() for c in row}
    assert set(df["机构名称"]) <= cells
    code, out, err = run(["access", "--supply", path, "--demand", inputs / "村社区.csv", "--cost",
                          inputs / "到机构.csv", "--encoding", "gbk", "-o", tmp_path / "可达.xlsx"], capsys)
    assert code == 0, err  # one --encoding for every CSV of the command (supply, demand and cost, all GBK)
    code, out, err = run(["validate", path, "--kind", "institutions", "--encoding", "klingon"], capsys)
    assert code == 2 and "--encoding" in err and "klingon" in err
