"""The result contract of mzgeo.locate: params, problems, writers returning paths, headline, HTML."""

from __future__ import annotations

import inspect

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

import mzgeo
from mzgeo.analysis import PROBLEM_COLUMNS
from mzgeo.locate import LSCP, MCLP, AllocationResult, BedPlacement, LocationModel, PCenter, PMedian, allocate

COST = np.array([[2.0, 9.0], [4.0, 3.0], [np.inf, np.inf]])  # demand 2 reaches no site
W = [100.0, 50.0, 80.0]


def _layers():
    demand = gpd.GeoDataFrame({"name": ["甲村", "乙村", "丙村"], "elderly": W},
                              geometry=[Point(0, 0), Point(1000, 0), Point(90_000, 0)], crs=4549,
                              index=pd.Index(["v1", "v2", "v3"]))
    cand = gpd.GeoDataFrame({"name": ["一号", "二号"]}, geometry=[Point(0, 50), Point(1000, 50)], crs=4549,
                            index=pd.Index(["c1", "c2"]))
    return demand, cand


@pytest.mark.parametrize(
    "model",
    [
        LSCP.from_cost_matrix(COST, W, minutes=5),
        MCLP.from_cost_matrix(COST, W, minutes=5, p=1),
        PMedian.from_cost_matrix(COST, W, p=1),
        PCenter.from_cost_matrix(COST[:2], W[:2], p=1),
        BedPlacement.from_cost_matrix(COST, [1000, 500, 800], minutes=5, beds_to_add=40),
    ],
    ids=lambda m: type(m).__name__,
)
def test_every_model_honours_the_result_contract(model):
    m = model.solve()
    assert AllocationResult is LocationModel and isinstance(m, AllocationResult)
    assert list(m.problems.columns) == PROBLEM_COLUMNS
    # problems list exactly the infeasible demand
    assert list(m.problems["item"]) == list(m.infeasible["demand_id"])
    assert (m.problems["problem"] == "infeasible_demand").all()
    assert isinstance(m.params, dict) and m.params["model"] == m.key
    assert isinstance(m.headline, str) and m.headline == m.headline_for()
    assert m.headline_for("照料中心").startswith("照料中心：")
    table = m.summary()
    assert isinstance(table, pd.DataFrame) and table.set_index("项目").loc["结论", "数值"] == m.headline
    html = m._repr_html_()
    assert html.startswith("<table>") and m.name_zh in html and m.headline in html


def test_infeasible_demand_is_a_problem_row():
    m = MCLP.from_cost_matrix(COST, W, minutes=5, p=1).solve()
    assert m.problems[["problem", "item", "severity"]].to_numpy().tolist() == [["infeasible_demand", 2, "warning"]]


def test_writers_return_paths(tmp_path):
    demand, cand = _layers()
    res = allocate(demand, cand, model="mclp", minutes=10, p=1, speed_mps=1.0)
    assert res.objective == pytest.approx(100.0)  # 600 m at 1 m/s: c1 reaches v1 only, c2 v2 only
    assert res.problems["name"].tolist() == ["丙村"]
    xlsx = res.to_excel(tmp_path / "选址.xlsx")
    gpkg = res.to_gpkg(tmp_path / "选址.gpkg")
    assert xlsx == tmp_path / "选址.xlsx" and xlsx.exists()
    assert gpkg == tmp_path / "选址.gpkg" and gpkg.exists()


def test_allocate_is_data_first_and_keyword_only():
    sig = inspect.signature(allocate)
    names = list(sig.parameters)
    assert names[:2] == ["demand", "candidates"]
    kinds = [sig.parameters[n].kind for n in names[2:]]
    assert all(k in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD) for k in kinds)
    assert sig.parameters["weight_col"].default == "elderly"
    demand, cand = _layers()
    with pytest.raises(TypeError):
        allocate(demand, cand, "mclp")  # model is keyword-only


def test_weight_col_none_weighs_every_point_one():
    demand, cand = _layers()
    res = allocate(demand, cand, model="mclp", minutes=10, p=2, speed_mps=1.0, weight_col=None)
    assert res.objective == pytest.approx(2.0)
    assert res.params["weight"] == "（每点 1）"


def test_modules_are_importable_and_names_do_not_hide_them():
    import importlib

    for name in ("problem", "base", "cover", "median", "center", "beds", "candidates", "run", "_highs", "_capacity"):
        importlib.import_module(f"mzgeo.locate.{name}")
    assert inspect.isfunction(mzgeo.locate.allocate)
    assert importlib.import_module("mzgeo.locate.run").allocate is mzgeo.locate.allocate
    assert hasattr(importlib.import_module("mzgeo.locate.cover"), "_LP_ROUNDING_MIN_ROWS")
