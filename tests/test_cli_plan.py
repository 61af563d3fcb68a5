"""The plan commands (``mzgeo run``, ``mzgeo plan init``, ``mzgeo compare``), ``mzgeo access``'s
methods and options, and the one progress reporter (:mod:`mzgeo.progress`)."""

from __future__ import annotations

import warnings

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

import mzgeo
from mzgeo import settings
from mzgeo.analysis.access import ALL_METHODS
from mzgeo.cli import main
from mzgeo.cli.analyses import ACCESS_METHODS
from mzgeo.demo import demo_path
from mzgeo.progress import Progress

DEQING = "330521"


def test_access_method_choices_are_every_method():
    assert list(ACCESS_METHODS) == list(ALL_METHODS)


def test_access_help_lists_every_method(capsys):
    assert main(["access", "--help"]) == 0
    text = capsys.readouterr().out
    for method in ALL_METHODS:
        assert method in text
    for option in ("--weights", "--sigma-minutes", "--selection-minutes", "--tau", "--gravity-alpha"):
        assert option in text


@pytest.fixture(scope="module")
def deqing(tmp_path_factory):
    d = mzgeo.load_demo()
    root = tmp_path_factory.mktemp("access")
    area = d.units_county[d.units_county["code"] == DEQING].geometry.iloc[0]
    layers = {"inst": d.institutions[d.institutions.within(area)],
              "villages": d.villages[d.villages.within(area)].head(120),
              "roads": d.roads[d.roads.intersects(area.buffer(2000))]}
    for name, gdf in layers.items():
        mzgeo.write_layer(gdf, root / f"{name}.gpkg")
    return root, layers


@pytest.mark.parametrize(("method", "extra", "kwargs"), [
    ("e2sfca", ["--weights", "10:1,20:0.5,30:0.1"], {"weights": {10.0: 1.0, 20.0: 0.5, 30.0: 0.1}}),
    ("raam", ["--tau", "20"], {"tau": 20.0}),
    ("gravity", ["--gravity-alpha", "-2"], {"gravity_alpha": -2.0}),
])
def test_access_passes_method_options(deqing, tmp_path, capsys, method, extra, kwargs):
    """The CLI's figures equal mzgeo.accessibility with the same method options (and differ
    from the method's defaults, so the option really arrived)."""
    root, layers = deqing
    out = tmp_path / "a.xlsx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["access", "--supply", str(root / "inst.gpkg"), "--demand", str(root / "villages.gpkg"),
                     "--roads", str(root / "roads.gpkg"), "--method", method, "--minutes", "30", *extra,
                     "-o", str(out), "--gpkg", str(tmp_path / "a.gpkg")])
        assert code == 0, capsys.readouterr().err
        net = mzgeo.Network.from_lines(layers["roads"], mode="drive", cache=False)
        want = mzgeo.accessibility(layers["inst"], layers["villages"], network=net, method=method, minutes=30,
                                   **kwargs)
        plain = mzgeo.accessibility(layers["inst"], layers["villages"], network=net, method=method, minutes=30)
    col = next(c for c in ("accessible_per_1000", "raam_cost") if c in want.points.columns)
    wb = openpyxl.load_workbook(out, read_only=True)
    assert "参数" in wb.sheetnames
    names = [str(n) for n in pyogrio.list_layers(tmp_path / "a.gpkg")[:, 0]]
    got = next(g for g in (pyogrio.read_dataframe(tmp_path / "a.gpkg", layer=n) for n in names) if col in g)
    assert len(got) == len(want.points)  # the CLI's per-point figures are the API's with the options
    assert np.allclose(np.sort(got[col].to_numpy()), np.sort(want.points[col].to_numpy()), equal_nan=True)
    assert not np.allclose(want.points[col].to_numpy(), plain.points[col].to_numpy(), equal_nan=True)
    params = " ".join(str(c.value) for row in wb["参数"].iter_rows() for c in row if c.value is not None)
    key = next(iter(kwargs))
    assert (f"{kwargs[key]:g}" if not isinstance(kwargs[key], dict) else "0.5") in params, params


def test_plan_init_refuses_to_overwrite(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["plan", "init"]) == 0
    text = (tmp_path / "plan.toml").read_text(encoding="utf-8")
    assert "[analyses.beds]" in text and str(demo_path().resolve().as_posix()) in text
    assert main(["plan", "init"]) == 2
    assert "已存在" in capsys.readouterr().err
    (tmp_path / "plan.toml").write_text("# mine\n", encoding="utf-8")
    assert main(["plan", "init", "plan.toml", "--force"]) == 0
    assert (tmp_path / "plan.toml").read_text(encoding="utf-8") == text


def test_run_missing_plan_and_bad_run_folders(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "无此计划.toml"]) == 2
    err = capsys.readouterr().err
    assert "无此计划.toml" in err and "不存在" in err
    assert main(["compare", "a", "b", "-o", "c"]) == 2
    err = capsys.readouterr().err
    assert "RUN_A a" in err and "RUN_B b" in err
    assert list(tmp_path.iterdir()) == []


def test_run_and_compare_end_to_end(tmp_path, monkeypatch, capsys):
    """``mzgeo run`` twice (the 2017 plan and the 2018 plan with the ledger's planned projects)
    and ``mzgeo compare``: the beds per 1,000 rise where the planned beds land."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "_cache")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for plan, out in (("demo_plan.toml", "runs/2017"), ("demo_plan_2018.toml", "runs/2018")):
            code = main(["run", str(demo_path(plan)), "-o", out, "--only", "beds"])
            cap = capsys.readouterr()
            assert code == 0, cap.err[-2000:]
            assert "manifest.json" in cap.out and "… 每千名老人床位数" in cap.err
        code = main(["compare", "runs/2017", "runs/2018", "-o", "比较", "--no-map"])
    cap = capsys.readouterr()
    assert code == 0, cap.err[-2000:]
    assert (tmp_path / "比较" / "比较.xlsx").exists() and not (tmp_path / "比较" / "比较地图.html").exists()
    a = pd.read_csv(tmp_path / "runs/2017/分区指标.csv", dtype={"code": str}, encoding="utf-8-sig")
    b = pd.read_csv(tmp_path / "runs/2018/分区指标.csv", dtype={"code": str}, encoding="utf-8-sig")
    beds_a = a[(a["metric"] == "beds") & (a["level"] == "市")]["value"].sum()
    beds_b = b[(b["metric"] == "beds") & (b["level"] == "市")]["value"].sum()
    assert beds_b - beds_a == pytest.approx(2740)  # the ledger's planned beds
    assert "变化的分区指标" in cap.out


def test_progress_lines_and_failed_step():
    lines: list[str] = []
    rep = Progress(lines.append)
    with rep.step("第一步", key="one"):
        pass
    with pytest.raises(ValueError), rep.step("第二步"):
        raise ValueError
    assert lines[0] == "… 第一步" and lines[1].startswith("✓ 第一步（") and lines[1].endswith("秒）")
    assert lines[2:] == ["… 第二步"]  # no ✓ for a failed step
    assert set(rep.timings_s) == {"one", "第二步"}
    assert list(rep.track([1, 2, 3], "三项")) == [1, 2, 3]
