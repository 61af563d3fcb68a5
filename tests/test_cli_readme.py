"""Every example of the README's command-line table runs as printed on the demo data.

The demo layers are written to a temporary folder under the README's own file names
(GBK CSV, GCJ-02 spreadsheets, Shapefiles); each example line is taken from README.md
verbatim, split like a shell would and run through the CLI entry point. Inputs are
checksummed before and after: no example modifies a file it reads.
"""

from __future__ import annotations

import hashlib
import re
import shlex
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest

import mzgeo
from mzgeo import settings
from mzgeo.cli import main
from mzgeo.crs import wgs84_to_gcj02
from mzgeo.demo import demo_path
from mzgeo.plan import run_plan

README = Path(__file__).resolve().parents[1] / "README.md"
DEQING = "330521"


def readme_examples() -> list[str]:
    """The example column of the README table 命令行 Command line, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## 命令行 Command line", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `mzgeo [^`]*` \| `(mzgeo [^`]*)` \|$", section, re.M)


def _lonlat_table(gdf: gpd.GeoDataFrame, gcj: bool) -> pd.DataFrame:
    ll = gdf.to_crs(4326)
    lon, lat = ll.geometry.x.to_numpy(), ll.geometry.y.to_numpy()
    if gcj:
        lon, lat = wgs84_to_gcj02(lon, lat)
    out = pd.DataFrame(gdf.drop(columns="geometry"))
    out["经度"], out["纬度"] = np.round(lon, 7), np.round(lat, 7)
    return out


def _shp(gdf: gpd.GeoDataFrame, path: Path) -> None:
    frame = gdf.copy()
    for col in frame.columns:
        if col != "geometry" and (frame[col].dtype == bool or str(frame[col].dtype) == "boolean"):
            frame[col] = frame[col].astype("int64")
    with warnings.catch_warnings():  # field names cut to 10 bytes: the format's limit, as planners get it
        warnings.simplefilter("ignore")
        frame.to_file(path, encoding="UTF-8")


@pytest.fixture(scope="module")
def readme_files(tmp_path_factory):
    """The README's files, made from the demo around 德清县 (small enough to run in seconds)."""
    d = mzgeo.load_demo()
    root = tmp_path_factory.mktemp("readme")
    area = d.units_county[d.units_county["code"] == DEQING].geometry.iloc[0]
    villages = d.villages[d.villages.within(area)].head(150)
    _lonlat_table(villages, gcj=False).to_csv(root / "村社区.csv", index=False, encoding="gbk")
    _lonlat_table(d.shelters[d.shelters.within(area)].head(80), gcj=True).to_excel(
        root / "避灾安置场所.xlsx", index=False)
    shutil.copy(demo_path("养老机构.csv"), root / "养老机构.csv")  # GBK, GCJ-02: the planners' format
    _lonlat_table(d.daycare[d.daycare.within(area)].head(60), gcj=False).to_csv(
        root / "照料中心.csv", index=False, encoding="gbk")
    _lonlat_table(d.graves[d.graves.within(area)], gcj=False).to_csv(root / "坟墓.csv", index=False,
                                                                       encoding="utf-8-sig")
    _shp(d.units_township, root / "乡镇.shp")
    _shp(d.roads[d.roads.intersects(area.buffer(3000))], root / "roads.shp")
    _shp(d.railways, root / "railways.shp")
    _shp(d.rivers, root / "rivers.shp")
    _shp(d.zones, root / "管控区.shp")
    hz = d.units_county["in_huzhou"].astype(bool)
    _shp(d.units_county[hz], root / "区县.shp")
    _shp(d.units_county[~hz], root / "相邻区县.shp")
    mk = d.markers.to_crs(4326)
    pd.DataFrame({"界桩编号": mk["marker_id"], "界线名称": mk["line_name"], "界桩类型": mk["marker_type"],
                  "经度": mk.geometry.x.round(7), "纬度": mk.geometry.y.round(7)}).to_excel(
        root / "界桩登记表.xlsx", index=False)
    return root


def _checksums(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


def _fill_checklist(src: Path, dst: Path) -> int:
    """A field team's copy: every marker's 界桩状况 filled in as 完好."""
    wb = openpyxl.load_workbook(src)
    filled = 0
    for ws in wb.worksheets:
        if "界桩检查表" not in ws.title:
            continue
        header_row = next(r for r in range(1, 10) if "界桩状况" in [c.value for c in ws[r]])
        headers = [c.value for c in ws[header_row]]
        col, id_col = headers.index("界桩状况") + 1, headers.index("界桩编号") + 1
        for r in range(header_row + 1, ws.max_row + 1):
            if ws.cell(row=r, column=id_col).value not in (None, ""):
                ws.cell(row=r, column=col).value = "完好"
                filled += 1
    wb.save(dst)
    return filled


def test_readme_lists_every_command():
    cmds = {" ".join(shlex.split(e)[1:3]) if e.startswith(("mzgeo boundary", "mzgeo plan")) else shlex.split(e)[1]
            for e in readme_examples()}
    assert cmds == {"validate", "coverage", "beds", "access", "shelters", "burial", "allocate", "boundary lines",
                    "boundary checklist", "boundary results", "map", "demo", "plan init", "run", "compare"}


@pytest.mark.slow
def test_readme_cli_examples_run_as_printed(readme_files, monkeypatch, capsys):
    root = readme_files
    monkeypatch.chdir(root)
    monkeypatch.setattr(settings, "cache_folder", root / "_cache")
    before = _checksums(root)
    written: set[str] = set()
    for example in readme_examples():
        args = shlex.split(example)[1:]
        if args[0] == "demo":
            continue  # the demo has its own end-to-end test (test_cli.py, test_cli_outputs.py)
        if args[:2] == ["boundary", "results"]:
            assert _fill_checklist(root / "检查表.xlsx", root / "检查表_已填写.xlsx") > 0
        if args[0] == "compare":  # run B: the demo's 2018 plan (the 2017 ledger's planned projects applied)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run_plan(demo_path("demo_plan_2018.toml"), root / args[2])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = main(args)
        out = capsys.readouterr()
        assert code == 0, f"{example}\n{out.out[-2000:]}\n{out.err[-2000:]}"
        assert "Traceback" not in out.err
        for flag in ("-o", "--gpkg", "--html"):
            if flag in args:
                target = root / args[args.index(flag) + 1]
                assert target.exists(), (example, target)
                written.add(target.name)
    # the plan commands: the template ran (manifest), run B differs from run A where the projects land
    assert (root / "计划.toml").exists() and (root / "runs" / "2017" / "manifest.json").exists()
    changes = pd.read_excel(root / "比较" / "比较.xlsx", sheet_name="分区变化")
    assert len(changes) > 0 and "每千名老人床位数" in set(changes["指标"])
    # the README's map example reads the layer the README's beds example writes
    assert "床位.gpkg" in written and "床位.html" in written
    html = (root / "床位.html").read_text(encoding="utf-8")
    assert "beds_per_1000" in html or "每千名老人床位数" in html
    # no example modified a file it read
    after = _checksums(root)
    assert {k: after[k] for k in before} == before
