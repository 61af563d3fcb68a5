"""Run a plan file: read the inputs, apply the rules and the ledger, run the analyses, write a manifest.

:func:`run_plan` writes into the output folder every workbook/GeoPackage the plan names, plus

* ``分区指标.csv`` — the per-unit figures that :func:`mzgeo.plan.compare_runs` compares
  (long format: code, name, level, metric, value, target, met);
* ``设施清单.csv`` — every facility used (kind, code, name, x, y, size), for the
  facility-level comparison;
* ``分区.gpkg`` — the unit polygons (for the comparison map);
* ``manifest.json`` — input checksums (SHA-256), mzgeo and dependency versions, every rule and
  parameter applied (defaults included, from each result's ``params``), timings, problems
  found, and the inputs that changed since the previous run in the same folder.

Tables depend only on the inputs and the plan, so a second run writes the same tables.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import mzgeo
from mzgeo.errors import InputError

from .spec import RULES, Plan, load_plan

__all__ = ["ANALYSIS_NAMES", "METRICS", "RunSummary", "run_plan"]

logger = logging.getLogger("mzgeo")

_DEPENDENCIES = ("numpy", "pandas", "geopandas", "shapely", "pyproj", "pyogrio", "scipy", "highspy", "openpyxl",
                 "python-calamine", "xlsxwriter",
                 "folium", "networkx")
#: Analysis key → Chinese name (progress lines and the manifest).
ANALYSIS_NAMES: dict[str, str] = {
    "shelter_coverage": "避灾安置场所覆盖", "shelters": "避灾安置场所容量", "daycare": "居家养老服务照料中心覆盖",
    "beds": "每千名老人床位数", "cemeteries": "公益性公墓/骨灰堂覆盖", "graves": "三沿五区坟墓排查",
    "markers": "界桩检查",
}
#: Metric key → (Chinese label, direction: +1 higher is better, -1 lower is better).
METRICS: dict[str, tuple[str, int]] = {
    "shelter_share_covered": ("避灾安置场所步行覆盖人口比例", 1),
    "shelter_mean_minutes": ("到最近避灾安置场所平均步行时间（分钟）", -1),
    "shelter_share_sheltered": ("可就近安置人口比例", 1),
    "shelter_places_in_reach": ("步行范围内可安置人数（人）", 1),
    "shelter_shortfall": ("安置缺口（人）", -1),
    "daycare_share_covered": ("照料中心步行覆盖老年人口比例", 1),
    "daycare_gaps": ("无中心且步行不可达的村社区（个）", -1),
    "beds": ("养老机构床位（张）", 1),
    "beds_per_1000": ("每千名老人床位数", 1),
    "bed_gap": ("床位缺口（张）", -1),
    "nursing_share": ("护理型床位占比", 1),
    "cemetery_share_covered": ("公益性公墓/骨灰堂驾车可达人口比例", 1),
    "cemetery_minutes": ("到最近公益性公墓/骨灰堂平均驾车时间（分钟）", -1),
    "graves_in_zones": ("三沿五区内坟墓（座）", -1),
    "markers_flagged": ("发现问题的界桩（个）", -1),
}


@dataclass
class RunSummary:
    """What :func:`run_plan` produced.

    Attributes
    ----------
    out_dir : pathlib.Path
    files : list of pathlib.Path
        Files written (manifest last).
    manifest : dict
        The manifest written.
    results : dict
        Analysis key → result object (and ``"ledger"``).
    changed_inputs : list of str
        Inputs whose checksum differs from the previous manifest in ``out_dir``.
    """

    out_dir: Path
    files: list[Path] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    changed_inputs: list[str] = field(default_factory=list)

    def text(self) -> str:
        """Return a short Chinese summary for the CLI: ledger sentences, changed inputs, files, step times."""
        m = self.manifest
        lines = ["", f"== mzgeo 计划运行：{m.get('plan', {}).get('name', '')} =="]
        lines += [f"  {s}" for s in m.get("ledger", {}).get("sentences", [])]
        if self.changed_inputs:
            lines.append("与上次运行相比发生变化的输入：" + "、".join(self.changed_inputs))
        n_warn = sum(1 for p in m.get("problems", []) if p.get("severity") == "warning")
        lines.append(f"数据问题：{len(m.get('problems', []))} 类（其中警告 {n_warn} 类），详见 manifest.json")
        lines += ["", f"输出文件（{self.out_dir}）："] + [f"  {f.name}" for f in self.files]
        lines += ["", "各步骤耗时（秒）："] + [f"  {k}: {v:.1f}" for k, v in m.get("timings_s", {}).items()]
        return "\n".join(lines)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding=encoding, newline="")
    os.replace(tmp, path)
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (np.ndarray, tuple, set)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


@contextlib.contextmanager
def _rules(values: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Apply the plan's rules to mzgeo.settings for the duration of the run (then restore)."""
    s = mzgeo.settings
    old = {k: getattr(s, k) for k in RULES}
    try:
        for k, v in values.items():
            cur = old[k]
            setattr(s, k, {**cur, **v} if isinstance(cur, dict) and isinstance(v, dict) else v)
        yield {k: getattr(s, k) for k in RULES}
    finally:
        for k, v in old.items():
            setattr(s, k, v)


def _read_inputs(plan: Plan, say: Callable[[str], None], problems: list[dict]) -> tuple[dict, dict]:
    layers: dict[str, Any] = {}
    info: dict[str, Any] = {}
    for name, spec in plan.inputs.items():
        path: Path = spec["path"]
        kw = {k: spec[k] for k in ("sheet", "layer", "encoding", "lon_col", "lat_col") if k in spec}
        say(f"… 读取 {name}（{spec['given']}）")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if spec["kind"] == "table":
                if path.suffix.lower() == ".gpkg":
                    import pyogrio

                    gdf = pyogrio.read_dataframe(path, layer=spec.get("layer"), read_geometry=False)
                else:
                    gdf = mzgeo.read_table(path, **{k: v for k, v in kw.items() if k in ("sheet", "encoding")})
            else:
                gdf = mzgeo.read_layer(path, spec["kind"], spec.get("crs"), **kw)
        for w in caught:
            if issubclass(w.category, mzgeo.DataWarning):
                problems.append({"step": f"读取 {name}", "severity": "warning", "message": str(w.message)})
        for col, want in (spec.get("filter") or {}).items():
            if col not in gdf.columns:
                msg = f"输入「{name}」没有列「{col}」，不能按 filter 筛选（列：{'、'.join(map(str, gdf.columns))}）"
                raise InputError(msg)
            values = gdf[col]
            if isinstance(want, bool):
                keep = values.map(lambda v: bool(v) if pd.notna(v) else False) == want
            elif isinstance(want, (int, float)):
                keep = pd.to_numeric(values, errors="coerce") == want
            elif isinstance(want, list):  # any of several values
                keep = values.astype(str).isin([str(w) for w in want])
            else:
                keep = values.astype(str).eq(str(want))
            gdf = gdf[keep.fillna(False).to_numpy(dtype=bool)]
        layers[name] = gdf
        info[name] = {"path": spec["given"], "file": str(path), "kind": spec["kind"], "layer": spec.get("layer"),
                      "crs": spec.get("crs"), "bytes": path.stat().st_size, "sha256": _sha256(path), "rows": len(gdf)}
    return layers, info


def _units(layers: dict, names: list[str] | None) -> Any:
    if not names:
        return None
    parts = [layers[n] for n in names]
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _metric_rows(table: pd.DataFrame, mapping: dict[str, str], target: dict[str, float] | None = None,
                 met: dict[str, Any] | None = None) -> pd.DataFrame:
    rows = []
    base = table.reset_index(drop=True)
    for col, metric in mapping.items():
        if col not in base.columns:
            continue
        names = base["name"] if "name" in base else pd.Series(pd.NA, index=base.index)
        if "level" in base:
            names = names.where(names.notna() | (base["level"] != "市"), "全市")
        part = pd.DataFrame({"code": base["code"].astype(str), "name": names, "level": base.get("level"),
                             "metric": metric, "value": pd.to_numeric(base[col], errors="coerce")})
        t = (target or {}).get(metric)
        part["target"] = np.nan if t is None else float(t)
        rule = (met or {}).get(metric)
        part["met"] = rule(part["value"]) if rule is not None else pd.NA
        rows.append(part)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def run_plan(
    plan: str | os.PathLike | Plan,
    out_dir: str | os.PathLike | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    only: list[str] | None = None,
    base_dir: str | os.PathLike | None = None,
    networks: dict[str, Any] | None = None,
) -> RunSummary:
    """Run every analysis of a plan file and write the outputs and ``manifest.json``.

    Parameters
    ----------
    plan : str, os.PathLike or Plan
        A plan file, TOML text, or a :class:`~mzgeo.plan.Plan` from :func:`load_plan`.
    out_dir : str or os.PathLike, optional
        Output folder; default ``[plan] out``, else ``runs/<plan file name>``; relative paths
        are relative to the working directory (as the CLI's ``-o``), so that outputs never
        land in the folder of the input data.
    progress : callable, optional
        Receives one Chinese line per step (the CLI prints them); default the ``mzgeo`` logger.
    only : list of str, optional
        Run only these analyses (keys of ``[analyses]``).
    base_dir : str or os.PathLike, optional
        Folder for relative paths of a plan given as text (default the working directory;
        a plan file's own folder otherwise).
    networks : dict, optional
        Prebuilt networks by mode (``{"walk": Network, "drive": Network}``), used instead of
        building them from ``[network]`` (:func:`mzgeo.run_demo` passes networks built without
        the disk cache, so that it writes nothing outside its folders).

    Returns
    -------
    RunSummary

    Raises
    ------
    ValidationError
        The plan breaks the schema (every problem, with line numbers), or an input file has
        errors (every problem of that file).
    InputError
        A file is missing, a filter names a missing column, an unknown analysis in ``only``.
    """
    say = progress or (lambda msg: logger.info(msg))
    p = plan if isinstance(plan, Plan) else load_plan(plan, base_dir=base_dir)
    if out_dir is None:  # like the CLI's -o: relative to the working directory, never beside the inputs
        given = p.data.get("plan", {}).get("out")
        out = Path(given) if given else Path("runs") / Path(p.source).stem
    else:
        out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    analyses = p.analyses()
    if only is not None:
        unknown = sorted(set(only) - set(analyses))
        if unknown:
            msg = f"计划中没有（或未启用）分析 {unknown}，可用：{sorted(analyses)}"
            raise InputError(msg)
        analyses = {k: v for k, v in analyses.items() if k in only}
    summary = RunSummary(out)
    problems: list[dict] = []
    timings: dict[str, float] = {}
    t_start = time.perf_counter()

    previous: dict[str, Any] = {}
    previous_plan = None
    if (out / "manifest.json").exists():
        with contextlib.suppress(ValueError, OSError, AttributeError):
            old_manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
            previous, previous_plan = old_manifest.get("inputs", {}), old_manifest.get("plan", {}).get("sha256")
    plan_sha = hashlib.sha256(p.text.encode("utf-8")).hexdigest()
    if previous_plan is not None and previous_plan != plan_sha:
        say(f"! 计划文件 {p.source} 与上次运行不同")

    t0 = time.perf_counter()
    layers, inputs = _read_inputs(p, say, problems)
    timings["读取输入"] = time.perf_counter() - t0
    for name, meta in inputs.items():
        old = previous.get(name)
        if old is not None and old.get("sha256") != meta["sha256"]:
            summary.changed_inputs.append(name)
            say(f"! 输入「{name}」（{meta['path']}）与上次运行不同（SHA-256 已变化）")
    for name in sorted(set(previous) - set(inputs)):
        say(f"! 上次运行的输入「{name}」本次未使用")

    ledger_info: dict[str, Any] = {}
    led = p.data.get("ledger")
    if led:
        t0 = time.perf_counter()
        res = mzgeo.ledger(layers[led["projects"]], year=led.get("year"))
        summary.results["ledger"] = res
        if led.get("excel"):
            summary.files.append(Path(res.to_excel(out / led["excel"])))
        mode = led.get("apply", "none")
        if mode != "none":
            kinds = {n: spec["kind"] for n, spec in p.inputs.items()}
            by_kind = {kinds[n]: n for n in layers if kinds[n] in ("institutions", "shelters", "daycare", "cemeteries")}
            applied = res.apply({k: layers[n] for k, n in by_kind.items()}, include=mode)
            for k, n in by_kind.items():
                layers[n] = applied[k]
        for s in res.sentences():
            say(f"  台账：{s}")
        ledger_info = {"apply": mode, "params": res.params, "sentences": res.sentences()}
        timings["年度任务台账"] = time.perf_counter() - t0

    rules = p.data.get("rules", {})
    metrics: list[pd.DataFrame] = []
    analysis_info: dict[str, Any] = {}
    with _rules(rules) as applied_rules, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nets: dict[str, Any] = dict(networks or {})

        def network(mode: str) -> Any:
            if mode not in nets:
                t0 = time.perf_counter()
                say(f"… 构建路网（{'步行' if mode == 'walk' else '驾车'}）")
                net_spec = p.data.get("network", {})
                if "osm" in net_spec:
                    osm = Path(net_spec["osm"])
                    nets[mode] = mzgeo.Network.from_osm(osm if osm.is_absolute() else p.base_dir / osm, mode=mode)
                else:
                    nets[mode] = mzgeo.Network.from_lines(layers[net_spec["roads"]], mode=mode)
                timings[f"路网 {mode}"] = time.perf_counter() - t0
            return nets[mode]

        for key, a in analyses.items():
            t0 = time.perf_counter()
            say(f"… {ANALYSIS_NAMES[key]}（{key}）")
            n_warn = len(caught)
            try:
                result, extra = _run_one(key, a, layers, network)
            except (InputError, mzgeo.CRSError, mzgeo.NetworkError) as exc:  # name the step of the plan
                raise type(exc)(f"计划 {p.source} 的分析「{ANALYSIS_NAMES[key]}」（[analyses.{key}]）：{exc}") from exc
            dt = time.perf_counter() - t0
            timings[key] = dt
            summary.results[key] = result
            files = []
            t1 = time.perf_counter()
            if a.get("excel") and hasattr(result, "to_excel"):
                files.append(Path(result.to_excel(out / a["excel"])))
            if a.get("gpkg") and hasattr(result, "to_gpkg"):
                files.append(Path(result.to_gpkg(out / a["gpkg"])))
            if a.get("map"):
                files.extend(_write_map(key, a, result, layers, out / a["map"]))
            timings[f"写出 {key}"] = time.perf_counter() - t1
            summary.files.extend(files)
            if extra is not None and len(extra):
                metrics.append(extra)
            probs = getattr(result, "problems", None)
            n_prob = 0 if probs is None else len(probs)
            if probs is not None and n_prob:
                for (layer, kind), grp in probs.groupby(["layer", "problem"], sort=False):
                    problems.append({"step": key, "severity": str(grp["severity"].iloc[0]), "layer": layer,
                                     "problem": kind, "count": len(grp), "message": str(grp["message"].iloc[0])})
            for w in caught[n_warn:]:
                if issubclass(w.category, mzgeo.DataWarning):
                    problems.append({"step": key, "severity": "warning", "message": str(w.message)})
            analysis_info[key] = {"name": ANALYSIS_NAMES[key], "params": getattr(result, "params", {}), "outputs": [f.name for f in files],
                                  "n_problems": n_prob, "seconds": round(dt, 3)}
            say(f"✓ {ANALYSIS_NAMES[key]}（{dt:.1f} 秒）")

    # per-unit figures, facilities and units for compare
    table = pd.concat(metrics, ignore_index=True) if metrics else pd.DataFrame(
        columns=["code", "name", "level", "metric", "value", "target", "met"])
    table = table.sort_values(["metric", "level", "code"], kind="stable").reset_index(drop=True)
    summary.files.append(_atomic_text(out / "分区指标.csv", table.to_csv(index=False, float_format="%.10g"),
                                      encoding="utf-8-sig"))
    fac = _facilities(p, layers)
    summary.files.append(_atomic_text(out / "设施清单.csv", fac.to_csv(index=False, float_format="%.1f"),
                                      encoding="utf-8-sig"))
    unit_names = sorted({u for a in analyses.values() for u in (a.get("units") or [])})
    if unit_names:
        units = _units(layers, unit_names)
        keep = [c for c in ("code", "name", "level", "parent_code") if c in units.columns]
        summary.files.append(Path(mzgeo.write_layer(units[[*keep, units.geometry.name]], out / "分区.gpkg")))

    manifest = {
        "plan": {"name": p.name, "source": p.source, "year": p.data.get("plan", {}).get("year"),
                 "sha256": plan_sha, "changed": previous_plan is not None and previous_plan != plan_sha},
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "versions": {"mzgeo": mzgeo.__version__, "python": platform.python_version(),
                     **{d: _version(d) for d in _DEPENDENCIES}},
        "inputs": inputs,
        "changed_inputs": summary.changed_inputs,
        "rules": applied_rules,
        "rules_from_plan": sorted(rules),
        "ledger": ledger_info,
        "analyses": analysis_info,
        "timings_s": {k: round(v, 3) for k, v in {**timings, "总计": time.perf_counter() - t_start}.items()},
        "problems": problems,
        "outputs": [f.name for f in summary.files],
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=1, default=_json_default)
    summary.files.append(_atomic_text(out / "manifest.json", text + "\n"))
    summary.manifest = json.loads(text)
    say(f"✓ 完成：{len(summary.files)} 个文件写入 {out}")
    return summary


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _write_map(key: str, a: dict, result: Any, layers: dict, path: Path) -> list[Path]:
    """Return the analysis's HTML map (offline), drawn with mzgeo.maps as in the demo."""
    maps, s = mzgeo.maps, mzgeo.settings
    units = _units(layers, a.get("units"))
    if units is None:
        msg = f"分析 {key} 的 map 输出需要 units（行政区输入）"
        raise InputError(msg)
    level = units["level"] if "level" in units else pd.Series("乡镇街道", index=units.index)
    towns = units[level == "乡镇街道"] if (level == "乡镇街道").any() else units
    outline = units[level == "区县"] if (level == "区县").any() else None
    if key == "beds":
        keep = ["code", "beds", "nursing_beds", "elderly", "beds_per_1000", "bed_gap", "status"]
        shown = towns[["code", "name", towns.geometry.name]].merge(
            result.table[[c for c in keep if c in result.table.columns]].drop_duplicates("code"), on="code", how="left")
        src = layers[a.get("institutions", "institutions")].attrs.get("mzgeo_source")
        shown.attrs["mzgeo_source"] = f"mzgeo 分析结果（{src}）" if src else "mzgeo 分析结果"
        m = maps.choropleth(shown, "beds_per_1000", target=float(result.params["target_per_1000"]),
                            title="每千名老人床位数（乡镇街道）", popup_cols=["beds", "elderly", "bed_gap", "status"],
                            name="每千名老人床位数")
        maps.add_facilities(m, layers[a.get("institutions", "institutions")])
    elif key in ("shelter_coverage", "daycare"):
        facilities = layers[a.get("facilities", "shelters")] if key == "shelter_coverage" else layers[
            a.get("daycare", "daycare")]
        title = f"避灾安置场所覆盖（步行 {s.shelter_minutes:g} 分钟）" if key == "shelter_coverage" else "居家养老服务照料中心覆盖"
        m = maps.base_map(towns, units=outline, title=title)
        maps.add_facilities(m, facilities)
        if key == "shelter_coverage":
            pts = result.points
            gaps = pts[~(pts["minutes"] <= s.shelter_minutes)]
            maps.add_uncovered(m, gaps, weight_col="demand", name=f"步行 {s.shelter_minutes:g} 分钟内无场所的村社区")
        else:
            maps.add_uncovered(m, result.gaps, weight_col="demand", name="步行范围内无照料中心的村社区")
    else:
        msg = f"分析 {key} 暂无地图输出（可用于 shelter_coverage、daycare、beds）"
        raise InputError(msg)
    return [Path(maps.save(m, path))]


def _facilities(p: Plan, layers: dict) -> pd.DataFrame:
    size = {"shelters": "capacity", "institutions": "beds", "cemeteries": "capacity"}
    parts = []
    for name, spec in p.inputs.items():
        kind = spec["kind"]
        if kind not in ("shelters", "daycare", "institutions", "cemeteries"):
            continue
        g = layers[name]
        pts = g.geometry.representative_point()
        parts.append(pd.DataFrame({
            "kind": kind, "code": g["code"].astype(str) if "code" in g else None, "name": g["name"].to_numpy(),
            "x": pts.x.round(1).to_numpy(), "y": pts.y.round(1).to_numpy(),
            "size": pd.to_numeric(g[size[kind]], errors="coerce").to_numpy() if size.get(kind) in g else np.nan,
            "nursing_beds": pd.to_numeric(g["nursing_beds"], errors="coerce").to_numpy() if "nursing_beds" in g else np.nan,
        }))
    cols = ["kind", "code", "name", "x", "y", "size", "nursing_beds"]
    return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)


def _run_one(key: str, a: dict, layers: dict, network: Callable[[str], Any]) -> tuple[Any, pd.DataFrame | None]:
    s = mzgeo.settings
    units = _units(layers, a.get("units"))
    if key == "shelter_coverage":
        minutes = a.get("minutes", [s.shelter_minutes])
        res = mzgeo.coverage(
            layers[a.get("facilities", "shelters")],
            layers[a.get("demand", "villages")],
            network=network(a.get("mode", "walk")),
            minutes=minutes if len(minutes) > 1 else minutes[0],
            weight_col=a.get("weight", "population"),
            units=units,
        )
        by = res.by_unit(units, minutes=s.shelter_minutes) if units is not None else None
        mets = None if by is None else _metric_rows(by, {"share_covered": "shelter_share_covered",
                                                         "mean_minutes": "shelter_mean_minutes"})
        return res, mets
    if key == "shelters":
        res = mzgeo.shelter_adequacy(
            layers[a.get("shelters", "shelters")],
            layers[a.get("demand", "villages")],
            network=network(a.get("mode", "walk")),
            units=units,
            share_to_shelter=float(a.get("share_to_shelter", 1.0)),
        )
        by = res.by_unit(units) if units is not None else None
        mets = None if by is None else _metric_rows(
            by, {"share_sheltered": "shelter_share_sheltered", "sheltered": "shelter_places_in_reach",
                 "shortfall": "shelter_shortfall"},
            {"shelter_shortfall": 0.0}, {"shelter_shortfall": lambda v: (v <= 0.5).where(v.notna(), pd.NA)})
        return res, mets
    if key == "daycare":
        res = mzgeo.daycare_coverage(
            layers[a.get("daycare", "daycare")],
            layers[a.get("demand", "villages")],
            network=network(a.get("mode", "walk")),
            units=units,
        )
        by = res.by_unit(units) if units is not None else None
        mets = None if by is None else _metric_rows(
            by, {"share_covered": "daycare_share_covered", "n_gaps": "daycare_gaps"},
            {"daycare_gaps": 0.0}, {"daycare_gaps": lambda v: (v <= 0).where(v.notna(), pd.NA)})
        return res, mets
    if key == "beds":
        res = mzgeo.bed_ratio(layers[a.get("institutions", "institutions")], units)
        t, nt = float(res.params["target_per_1000"]), float(s.nursing_share_target)
        mets = _metric_rows(
            res.table, {"beds": "beds", "beds_per_1000": "beds_per_1000", "bed_gap": "bed_gap",
                        "nursing_share": "nursing_share"},
            {"beds_per_1000": t, "bed_gap": 0.0, "nursing_share": nt},
            {"beds_per_1000": lambda v: (v >= t).where(v.notna(), pd.NA),
             "bed_gap": lambda v: (v <= 0).where(v.notna(), pd.NA),
             "nursing_share": lambda v: (v >= nt).where(v.notna(), pd.NA)})
        return res, mets
    if key == "cemeteries":
        res = mzgeo.cemetery_coverage(
            layers[a.get("cemeteries", "cemeteries")],
            units,
            network=network(a.get("mode", "drive")),
        )
        m = float(s.cemetery_minutes)
        mets = _metric_rows(res.townships, {"share_covered": "cemetery_share_covered",
                                            "mean_minutes": "cemetery_minutes"},
                            {"cemetery_share_covered": 1.0, "cemetery_minutes": m},
                            {"cemetery_share_covered": lambda v: (v >= 1.0 - 1e-9).where(v.notna(), pd.NA)})
        return res, mets
    if key == "graves":
        lines = {label: layers[n] for label, n in (a.get("lines") or {}).items()}
        zones = layers[a["zones"]] if a.get("zones") else None
        res = mzgeo.burial_zone_check(
            layers[a.get("graves", "graves")],
            lines=lines or None,
            zones=zones,
            units=units,
        )
        pts = res.points
        mets = None
        if units is not None and "unit_code" in pts.columns:
            n = pts.assign(v=pts["violates"].astype(bool)).groupby(pts["unit_code"].astype(str))["v"].sum()
            tab = units[["code", "name", "level"]].assign(graves=units["code"].astype(str).map(n).fillna(0.0))
            mets = _metric_rows(tab, {"graves": "graves_in_zones"}, {"graves_in_zones": 0.0},
                                {"graves_in_zones": lambda v: (v <= 0).where(v.notna(), pd.NA)})
        return res, mets
    if key == "markers":
        codes = layers[a["line_codes"]] if a.get("line_codes") else None
        parts = [mzgeo.boundary_lines(layers[u], overrides=codes).lines for u in a.get("units") or []]
        lines = pd.concat(parts, ignore_index=True)
        markers = layers[a.get("markers", "markers")]
        markers = markers[markers["line_name"].isin(set(lines["line_name"]))] if "line_name" in markers else markers
        res = mzgeo.markers_on_lines(lines, markers, line_codes=codes)
        mk = res.markers
        n = mk.groupby("line_name")["flagged"].sum()
        tab = pd.DataFrame({"code": n.index.astype(str), "name": n.index, "level": "界线", "flagged": n.to_numpy()})
        mets = _metric_rows(tab, {"flagged": "markers_flagged"}, {"markers_flagged": 0.0},
                            {"markers_flagged": lambda v: (v <= 0).where(v.notna(), pd.NA)})
        return res, mets
    msg = f"未知的分析 {key!r}"
    raise InputError(msg)
