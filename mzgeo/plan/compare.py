"""Compare two run folders of :func:`mzgeo.plan.run_plan` (e.g. 2017 and 2018), per administrative unit.

For every unit and figure (coverage shares and mean minutes, beds per 1,000 elderly and gaps,
nursing share, shelter places within reach, graves remaining in zones, markers found
defective) the comparison lists run A, run B, the change, and whether the target is met in
each run; units that crossed the target either way come first. Facilities are matched by
code, else by name within ``tolerance_m``, and listed as added, removed or changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import mzgeo
from mzgeo.errors import InputError

from .run import METRICS

__all__ = ["compare_runs"]

_CHANGE_ZH = {"now_met": "新达标", "now_missed": "新未达标", "": ""}


def _read_run(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    need = ["分区指标.csv", "设施清单.csv", "manifest.json"]
    missing = [n for n in need if not (folder / n).exists()]
    if missing:
        msg = f"{folder} 不是 mzgeo run 的输出文件夹：缺少 {'、'.join(missing)}（请先运行 mzgeo run 计划.toml）"
        raise InputError(msg)
    metrics = pd.read_csv(folder / "分区指标.csv", dtype={"code": str}, encoding="utf-8-sig")
    fac = pd.read_csv(folder / "设施清单.csv", dtype={"code": str}, encoding="utf-8-sig")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return metrics, fac, manifest


def _met(series: pd.Series) -> pd.Series:
    return series.map({True: True, False: False, "True": True, "False": False})


def compare_runs(
    run_a: str | os.PathLike,
    run_b: str | os.PathLike,
    out: str | os.PathLike,
    *,
    tolerance_m: float = 50.0,
    progress: Callable[[str], None] | None = None,
    map_html: bool = True,
) -> dict[str, Any]:
    """Write what changed between two plan runs: a workbook and a map of the changed units.

    Parameters
    ----------
    run_a, run_b : str or os.PathLike
        Output folders of :func:`~mzgeo.plan.run_plan` (A = before, B = after).
    out : str or os.PathLike
        Output folder (``比较.xlsx``, ``比较地图.html``), or a ``.xlsx`` path.
    tolerance_m : float
        Facilities without a common code match by name within this distance (metres).
    progress : callable, optional
        Receives Chinese progress lines.
    map_html : bool
        Also write the folium map of the units whose beds per 1,000 changed.

    Returns
    -------
    dict
        ``units`` (one row per unit and figure: ``value_a``, ``value_b``, ``change``,
        ``met_a``, ``met_b``, ``crossed``), ``facilities`` (added/removed/changed),
        ``inputs`` (inputs whose checksum differs), ``files`` (paths written).

    Raises
    ------
    InputError
        A folder is not a run folder.
    """
    say = progress or (lambda msg: None)
    a_dir, b_dir = Path(run_a), Path(run_b)
    ma, fa, mfa = _read_run(a_dir)
    mb, fb, mfb = _read_run(b_dir)
    say(f"… 比较 {a_dir} → {b_dir}")
    keys = ["code", "metric"]
    both = ma.merge(mb, on=keys, how="outer", suffixes=("_a", "_b"))
    both["name"] = both["name_a"].fillna(both["name_b"])
    both["level"] = both["level_a"].fillna(both["level_b"])
    both["target"] = both["target_b"].fillna(both["target_a"])
    both["change"] = both["value_b"] - both["value_a"]
    met_a, met_b = _met(both["met_a"]), _met(both["met_b"])
    both["met_a"], both["met_b"] = met_a, met_b
    crossed = np.where((met_a == False) & (met_b == True), "now_met",  # noqa: E712
                       np.where((met_a == True) & (met_b == False), "now_missed", ""))  # noqa: E712
    both["crossed"] = crossed
    both["metric_zh"] = both["metric"].map(lambda m: METRICS.get(m, (m,))[0])
    changed = both[(both["change"].abs() > 1e-9) | (both["crossed"] != "")].copy()
    changed["_first"] = (changed["crossed"] == "").astype(int)
    order = {m: i for i, m in enumerate(METRICS)}
    changed["_m"] = changed["metric"].map(order).fillna(len(order))
    changed = changed.sort_values(["_first", "_m", "level", "code"], kind="stable")
    cols = ["code", "name", "level", "metric", "metric_zh", "value_a", "value_b", "change", "target", "met_a",
            "met_b", "crossed"]
    units = changed[cols].reset_index(drop=True)

    facilities = _compare_facilities(fa, fb, tolerance_m)
    ia, ib = mfa.get("inputs", {}), mfb.get("inputs", {})
    inputs = pd.DataFrame([
        {"input": n, "path_a": ia.get(n, {}).get("path"), "path_b": ib.get(n, {}).get("path"),
         "sha256_a": ia.get(n, {}).get("sha256"), "sha256_b": ib.get(n, {}).get("sha256")}
        for n in sorted(set(ia) | set(ib)) if ia.get(n, {}).get("sha256") != ib.get(n, {}).get("sha256")
    ], columns=["input", "path_a", "path_b", "sha256_a", "sha256_b"])
    rules_a, rules_b = mfa.get("rules", {}), mfb.get("rules", {})
    rules = pd.DataFrame([{"rule": k, "value_a": json.dumps(rules_a.get(k), ensure_ascii=False),
                           "value_b": json.dumps(rules_b.get(k), ensure_ascii=False)}
                          for k in sorted(set(rules_a) | set(rules_b)) if rules_a.get(k) != rules_b.get(k)],
                         columns=["rule", "value_a", "value_b"])
    apply_a, apply_b = mfa.get("ledger", {}).get("apply"), mfb.get("ledger", {}).get("apply")
    if apply_a != apply_b:  # the what-if switch of the ledger
        rules.loc[len(rules)] = ["ledger.apply（年度任务台账叠加）", json.dumps(apply_a), json.dumps(apply_b)]

    out_p = Path(out)
    folder = out_p.parent if out_p.suffix.lower() == ".xlsx" else out_p
    xlsx = out_p if out_p.suffix.lower() == ".xlsx" else out_p / "比较.xlsx"
    folder.mkdir(parents=True, exist_ok=True)
    zh_units = units.assign(met_a=units["met_a"].map({True: "达标", False: "未达标"}),
                            met_b=units["met_b"].map({True: "达标", False: "未达标"}),
                            crossed=units["crossed"].map(_CHANGE_ZH))
    zh_units = zh_units.drop(columns="metric").rename(columns={
        "code": "代码", "name": "名称", "level": "级别", "metric_zh": "指标", "value_a": "A", "value_b": "B",
        "change": "变化（B − A）", "target": "目标", "met_a": "A 是否达标", "met_b": "B 是否达标",
        "crossed": "跨越目标"})
    zh_fac = facilities.rename(columns={"kind": "设施类型", "code": "编号", "name": "名称", "change": "变化",
                                        "size_a": "规模 A", "size_b": "规模 B", "nursing_a": "护理型床位 A",
                                        "nursing_b": "护理型床位 B", "moved_m": "位移（米）"})
    params = {"run_a": str(a_dir), "run_b": str(b_dir), "plan_a": mfa.get("plan", {}).get("name"),
              "plan_b": mfb.get("plan", {}).get("name"), "tolerance_m": tolerance_m,
              "rule": "先列跨越目标的分区（新达标、新未达标），再列其余有变化的分区；设施按编号匹配，无共同编号时按名称及距离匹配"}
    written = [Path(mzgeo.report.write_excel(
        xlsx, {"分区变化": zh_units, "设施变化": zh_fac, "输入变化": inputs, "规则变化": rules}, params,
        title="两次运行比较", chinese=False))]
    say(f"✓ 写入 {written[0]}")
    if map_html and (b_dir / "分区.gpkg").exists():
        written += _map(b_dir, units, folder / "比较地图.html", str(params["plan_a"]), str(params["plan_b"]))
    return {"units": units, "facilities": facilities, "inputs": inputs, "rules": rules, "files": written}


def _compare_facilities(fa: pd.DataFrame, fb: pd.DataFrame, tol: float) -> pd.DataFrame:
    cols = ["kind", "code", "name", "change", "size_a", "size_b", "nursing_a", "nursing_b", "moved_m"]
    a = fa.assign(_k=fa["kind"] + "|" + fa["code"].fillna(""))
    b = fb.assign(_k=fb["kind"] + "|" + fb["code"].fillna(""))
    m = a.merge(b, on="_k", how="outer", suffixes=("_a", "_b"), indicator=True)
    only_a, only_b = m[m["_merge"] == "left_only"], m[m["_merge"] == "right_only"]
    # second chance: same kind and name within the tolerance
    pairs = only_a[["kind_a", "name_a", "x_a", "y_a", "_k"]].merge(
        only_b[["kind_b", "name_b", "x_b", "y_b", "_k"]], left_on=["kind_a", "name_a"], right_on=["kind_b", "name_b"])
    if len(pairs):
        pairs = pairs[np.hypot(pairs["x_a"] - pairs["x_b"], pairs["y_a"] - pairs["y_b"]) <= tol]
    renamed = set(pairs["_k_x"]) | set(pairs["_k_y"]) if len(pairs) else set()
    m = m[~m["_k"].isin(renamed)]
    both = m["_merge"] == "both"
    moved = np.hypot(m["x_a"] - m["x_b"], m["y_a"] - m["y_b"])
    size_changed = ~np.isclose(m["size_a"].fillna(-1), m["size_b"].fillna(-1))
    nurse_changed = ~np.isclose(m["nursing_beds_a"].fillna(-1), m["nursing_beds_b"].fillna(-1))
    change = np.select(
        [m["_merge"] == "left_only", m["_merge"] == "right_only",
         both & (size_changed | nurse_changed | (moved > tol) | (m["name_a"] != m["name_b"]))],
        ["撤销", "新增", "变更"], "")
    out = pd.DataFrame({
        "kind": m["kind_a"].fillna(m["kind_b"]), "code": m["code_a"].fillna(m["code_b"]),
        "name": m["name_b"].fillna(m["name_a"]), "change": change, "size_a": m["size_a"], "size_b": m["size_b"],
        "nursing_a": m["nursing_beds_a"], "nursing_b": m["nursing_beds_b"], "moved_m": moved.round(1),
    })
    if len(pairs):
        extra = pd.DataFrame({"kind": pairs["kind_a"], "code": pairs["_k_y"].str.split("|").str[1],
                              "name": pairs["name_b"], "change": "编号变更（按名称和位置匹配）"})
        out = pd.concat([out, extra], ignore_index=True)
    out = out[out["change"] != ""]
    rank = {"新增": 0, "撤销": 1, "变更": 2}
    out = out.assign(_r=out["change"].map(rank).fillna(3)).sort_values(["_r", "kind", "code"], kind="stable")
    return out.drop(columns="_r").reset_index(drop=True)[cols]


_MAP_METRICS = ("beds_per_1000", "daycare_share_covered", "shelter_share_covered", "graves_in_zones")


def _map(b_dir: Path, units: pd.DataFrame, path: Path, a_name: str, b_name: str) -> list[Path]:
    """Townships whose figures changed: one layer per figure (the change B − A), A/B in the popup."""
    import geopandas as gpd

    polys = gpd.read_file(b_dir / "分区.gpkg")
    polys["code"] = polys["code"].astype(str)
    towns = polys[polys["level"] == "乡镇街道"]
    shown = [k for k in _MAP_METRICS if (units["metric"] == k).any()]
    sel = towns[towns["code"].isin(set(units.loc[units["metric"].isin(shown), "code"]))].copy()
    if sel.empty:
        return []
    m = None
    for metric in shown:
        rows = units[units["metric"] == metric].set_index("code")
        label = METRICS[metric][0]
        layer = sel.assign(A=sel["code"].map(rows["value_a"]), B=sel["code"].map(rows["value_b"]),
                           变化=sel["code"].map(rows["change"]).fillna(0.0),
                           跨越目标=sel["code"].map(rows["crossed"].map(_CHANGE_ZH)).fillna(""))
        name = f"{label}：变化（B − A）"
        layer.attrs["mzgeo_source"] = f"mzgeo 两次运行比较：A = {a_name}，B = {b_name}"
        if m is None:
            m = mzgeo.maps.choropleth(layer, "变化", diverging=0.0, title="两次运行比较：有变化的乡镇街道",
                                      popup_cols=["A", "B", "跨越目标"], name=name, legend=name)
        else:
            mzgeo.maps.add_choropleth(m, layer, "变化", diverging=0.0, popup_cols=["A", "B", "跨越目标"], name=name,
                                      legend=name, show=False)
    return [Path(mzgeo.maps.save(m, path))]
