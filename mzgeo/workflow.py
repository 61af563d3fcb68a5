"""End-to-end workflows built from the public API: the Huzhou demo (its plan file plus the rest).

:func:`run_demo` runs every analysis of mzgeo on the embedded demo data (see ``data/README.md``:
real county boundaries, synthetic everything else) and writes the maps planners open and the
workbooks they keep. It only calls public functions, so it doubles as a worked example.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import settings
from .progress import Progress

__all__ = ["DemoSummary", "run_demo"]

logger = logging.getLogger("mzgeo")

SYNTHETIC_NOTE = "示例数据（合成）：除区县边界外均为合成数据，仅供演示 (synthetic demo data)"


@dataclass
class DemoSummary:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    headlines : list of str
        Key figures, in Chinese.
    files : list of pathlib.Path
        Files written (maps, workbooks, GeoPackages).
    timings_s : dict
        Seconds per step.
    results : dict
        The analysis result objects, by step key (for notebooks and tests).
    """

    headlines: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """Return a short Chinese summary: headline figures, files, step times."""
        lines = ["", "== mzgeo 示例（湖州，示例数据（合成））==", *self.headlines, "", "输出文件："]
        lines += [f"  {p}" for p in self.files]
        lines += ["", "各步骤耗时（秒）："]
        lines += [f"  {k}: {v:.1f}" for k, v in self.timings_s.items()]
        return "\n".join(lines)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def run_demo(
    maps_dir: str | Path = "maps",
    tables_dir: str | Path = "out",
    *,
    progress: Callable[[str], None] | None = None,
    lines: list[str] | None = None,
    share_to_shelter: float = 0.1,
) -> DemoSummary:
    """Run the whole Huzhou demo: coverage, beds, shelters, burial, allocation, boundary, maps.

    The analyses the demo's plan file describes (``data/demo_plan.toml``: shelter coverage and
    capacity, day-care, beds per 1,000 elderly, cemeteries, graves in the 三沿五区 zones, the
    marker check and the 2017 ledger) run through :func:`mzgeo.plan.run_plan`, the code path of
    ``mzgeo run``, so ``tables_dir`` is also a run folder (``manifest.json``, ``分区指标.csv``…)
    that ``mzgeo compare`` reads. The rest — accessible beds, the allocation proposals, the
    boundary lines, crossings and inspection checklist, and the maps with their index — follows
    here on the plan's results.

    Parameters
    ----------
    maps_dir : str or pathlib.Path
        Folder of the HTML maps (避灾安置场所覆盖.html, 养老床位缺口.html, 照料中心覆盖.html,
        界线联检_<line>.html, index.html).
    tables_dir : str or pathlib.Path
        Folder of the Excel workbooks and GeoPackages.
    progress : callable, optional
        Receives one Chinese line per step start and end (the CLI prints them).
    lines : list of str, optional
        Boundary lines for which inspection maps are drawn; default 嘉湖线, 南德线, 吴南线
        and every other county line inside Huzhou.
    share_to_shelter : float
        Share of residents to shelter at once (the demo assumes 10 % are evacuated; the
        library default of :func:`mzgeo.shelter_adequacy` is everyone).

    Returns
    -------
    DemoSummary

    Notes
    -----
    Nothing is written outside ``maps_dir`` and ``tables_dir``: no network cache, no
    temporary file left behind (each output is written atomically beside its destination).
    """
    from . import boundary, maps
    from .analysis.beds import accessibility, compare_with_ratio
    from .demo import demo_path, load_demo
    from .io.read import validate
    from .locate import allocate, candidate_sites
    from .network import Network
    from .plan import load_plan, run_plan

    maps_dir, tables_dir = Path(maps_dir), Path(tables_dir)
    summary = DemoSummary()
    reporter = Progress(progress)
    summary.timings_s = reporter.timings_s

    def step(key: str, label: str, total: int | None = None) -> Any:
        return reporter.step(label, key, total=total)

    files = summary.files
    res = summary.results
    H = summary.headlines

    with step("load", "读取示例数据（含 GBK 编码、高德坐标的养老机构表）"):
        demo = load_demo()
        report = validate(demo_path("养老机构.csv"), "institutions", crs="gcj02", reference=demo.villages)
        H.append(f"养老机构.csv 检查：{len(report.errors)} 个错误，{len(report.warnings)} 个警告")
        townships, counties = demo.units_township, demo.units_county
        huzhou_counties = counties[counties["in_huzhou"].astype(bool)] if "in_huzhou" in counties else counties
        units_all = pd.concat([townships, huzhou_counties], ignore_index=True)
        H.append(
            f"示例数据：{len(demo.villages)} 个村社区，人口 {demo.villages['population'].sum() / 1e4:.0f} 万，"
            f"60岁以上 {demo.villages['elderly'].sum() / 1e4:.1f} 万；{len(demo.shelters)} 处避灾安置场所，"
            f"{len(demo.daycare)} 个照料中心，{len(demo.institutions)} 家养老机构"
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with step("network", "构建步行与驾车路网（道路图层 → 路网）"):
            # no disk cache: the demo writes nothing outside maps_dir and tables_dir (≈ 3 s to build)
            walk = Network.from_lines(demo.roads, mode="walk", cache=False)
            drive = Network.from_lines(demo.roads, mode="drive", cache=False)
            H.append(f"路网：{walk.n_nodes:,} 个节点，{walk.n_edges:,} 条有向边（步行）")

        # --- the demo's plan file (data/demo_plan.toml), run by mzgeo.plan.run_plan ---------------
        # coverage, shelter capacity, day-care, beds, cemeteries, graves (and the plan's marker check
        # and ledger); the demo draws its own maps below (with the proposed sites), on the networks
        # built above without disk cache.
        plan = load_plan(demo_path("demo_plan.toml"))
        analyses = plan.data["analyses"]
        for a in analyses.values():
            a.pop("map", None)
        analyses["shelters"]["share_to_shelter"] = share_to_shelter
        for key, name in (("shelter_coverage", "避灾安置场所覆盖.gpkg"), ("daycare", "照料中心覆盖.gpkg"),
                          ("graves", "三沿五区坟墓整治台账.gpkg")):
            analyses[key].setdefault("gpkg", name)
        with step("plan", f"运行示例计划文件 {plan.source}（避灾安置场所、照料中心、床位、殡葬、三沿五区）"):
            run = run_plan(plan, tables_dir, progress=reporter, networks={"walk": walk, "drive": drive})
        files.extend(run.files)
        shel_cov, shel, day = run.results["shelter_coverage"], run.results["shelters"], run.results["daycare"]
        ratio, cem, graves = run.results["beds"], run.results["cemeteries"], run.results["graves"]
        res.update({"run": run, "shelter_coverage": shel_cov, "shelters": shel, "daycare": day, "beds": ratio,
                    "cemeteries": cem, "graves": graves})

        by_county = shel_cov.by_unit(units_all, level="区县", minutes=settings.shelter_minutes)
        H.append(f"避灾安置场所（步行 {settings.shelter_minutes:g} 分钟）覆盖人口比例："
                 + "，".join(f"{r['name']} {_pct(r['share_covered'])}" for _, r in by_county.iterrows()))
        s = shel.summary().iloc[0]
        H.append(f"按 {share_to_shelter:.0%} 居民需转移安置测算：{s['persons']:,.0f} 人中，步行 "
                 f"{settings.shelter_minutes:g} 分钟内、不超容量可安置 {s['sheltered']:,.0f} 人"
                 f"（{_pct(s['share_sheltered'])}），缺口 {s['shortfall']:,.0f} 人；"
                 f"低于本级最低容量的场所 {int(s['n_below_min'])} 处")
        s = day.summary().iloc[0]
        H.append(f"照料中心：步行可达覆盖老年人口 {_pct(s['share_covered'])}；"
                 f"既无本村中心、步行范围内也无中心的村社区 {int(s['n_gaps'])} 个")

        # --- beds: the plan's ratio beside the accessible beds (2SFCA) ---------------------------
        with step("beds", "可达床位（2SFCA）与每千名老人床位数比较"):
            acc = accessibility(demo.institutions, demo.villages, network=drive, method="2sfca",
                                units=units_all)
            cmp_table = compare_with_ratio(acc, ratio)
            res["access"], res["beds_vs_access"] = acc, cmp_table
            _add(files, acc.to_excel(tables_dir / "可达床位.xlsx"))
            below = ratio.below_target
            below_c = below[below["level"] == "区县"] if "level" in below else below
            H.append(
                f"每千名老人床位数（目标 {settings.bed_target_per_1000:g}）：未达标区县 "
                + ("，".join(f"{r['name']} {r['beds_per_1000']:.1f}（缺 {r['bed_gap']:.0f} 张）"
                            for _, r in below_c.iterrows()) or "无")
                + f"；未达标乡镇街道 {int((below['level'] == '乡镇街道').sum()) if 'level' in below else 0} 个"
            )
        H.append(f"公益性公墓/骨灰堂：{len(cem.unserved)} 个乡镇街道 {settings.cemetery_minutes:g} 分钟内无设施；"
                 f"三沿五区禁葬区内坟墓 {int(graves.points['violates'].sum())} 座")

        # --- allocation ----------------------------------------------------------------------
        with step("allocate", "选址：新增照料中心与避灾安置场所"):
            cand_day = candidate_sites(demo.villages, existing=demo.daycare, how="villages")
            alloc_day = allocate(demo.villages, cand_day, model="mclp", network=walk,
                                 minutes=settings.daycare_minutes_rural, p=20, existing=demo.daycare,
                                 weight_col="elderly")
            cand_sh = candidate_sites(demo.villages, existing=demo.shelters, how="villages")
            alloc_sh = allocate(demo.villages, cand_sh, model="mclp", network=walk,
                                minutes=settings.shelter_minutes, p=30, existing=demo.shelters,
                                weight_col="population")
            # beds: the bed gap of the counties under 37.5, placed where the elderly can reach it
            county_gap = ratio.table[ratio.table["level"] == "区县"].set_index("code")["bed_gap"]
            cand_beds = candidate_sites(townships, how="villages", existing=demo.institutions, min_distance_m=2000)
            cand_beds = cand_beds.sjoin(townships[["parent_code", "geometry"]], how="left", predicate="within")
            cand_beds = cand_beds.drop(columns="index_right").rename(columns={"parent_code": "county_code"})
            inst = demo.institutions.assign(county_code=demo.institutions["unit_code"].str[:6])
            alloc_beds = allocate(demo.villages, cand_beds, model="beds", network=drive, minutes=15, existing=inst,
                                  weight_col="elderly", unit_gap=county_gap, per_unit=True, unit_col="county_code",
                                  max_add_existing=50, min_new_beds=60, p=5, time_limit_s=60)
            res["alloc_daycare"], res["alloc_shelters"], res["alloc_beds"] = alloc_day, alloc_sh, alloc_beds
            for result, stem in ((alloc_day, "新增照料中心选址"), (alloc_sh, "新增避灾安置场所选址"),
                                 (alloc_beds, "养老床位布局")):
                _add(files, result.to_excel(tables_dir / f"{stem}.xlsx"))
                _add(files, result.to_gpkg(tables_dir / f"{stem}.gpkg"))
            H.append(alloc_day.headline_for("照料中心"))
            H.append(alloc_sh.headline_for("避灾安置场所"))
            H.append(alloc_beds.headline_for("养老床位"))

        # --- boundary ------------------------------------------------------------------------
        with step("boundary", "界线联检：界线、界桩、穿越点、检查表"):
            city = demo.units_city
            is_hz = city["name"] == "湖州市"
            city_lines = boundary.boundary_lines(city[is_hz], outer=city[~is_hz], overrides=demo.line_codes)
            county_lines = boundary.boundary_lines(huzhou_counties, overrides=demo.line_codes)
            all_lines = pd.concat([city_lines.lines, county_lines.lines], ignore_index=True)
            check = boundary.markers_on_lines(all_lines, demo.markers, line_codes=demo.line_codes)
            crossings = boundary.line_crossings(
                all_lines, {"道路": demo.roads, "河流": demo.rivers, "铁路": demo.railways}
            )
            last = dict.fromkeys(all_lines["line_name"], 2021)
            checklist = boundary.inspection_checklist(all_lines, check, crossings, last_inspection=last,
                                                      line_codes=demo.line_codes)
            res["boundary_lines"], res["markers"], res["crossings"] = all_lines, check, crossings
            _add(files, checklist.to_excel(tables_dir / "界线联检检查表.xlsx"))
            _add(files, checklist.to_html(tables_dir / "界线联检检查表.html"))
            n_flag = int(check.markers["flagged"].sum())
            H.append(f"界线：{len(all_lines)} 条（{'、'.join(all_lines['line_name'])}）；"
                     f"界桩 {len(check.markers)} 个，自动发现问题 {n_flag} 个")

    # --- maps --------------------------------------------------------------------------------
    wanted = lines or list(all_lines["line_name"])
    with step("maps", "绘制 HTML 地图（离线可用）", total=3 + len(wanted)) as bar:
        links: dict[str, str] = {}

        m = maps.base_map(townships, units=huzhou_counties,
                          title=f"避灾安置场所覆盖（步行 {settings.shelter_minutes:g} 分钟）")
        areas = walk.service_areas(demo.shelters, minutes=[5, settings.shelter_minutes], how="dissolve")
        maps.add_service_areas(m, _derived(areas), mode="步行", dissolve=True, simplify_m=25)
        maps.add_facilities(m, demo.shelters)
        pts = shel_cov.points
        unc = pts[~(pts["minutes"] <= settings.shelter_minutes)]
        maps.add_uncovered(m, _derived(unc), weight_col="demand",
                           name=f"步行 {settings.shelter_minutes:g} 分钟内无场所的村社区")
        maps.add_proposed_sites(m, _derived(alloc_sh.selected), kind="shelters", name="建议新增避灾安置场所")
        links["避灾安置场所覆盖"] = _save(maps, m, maps_dir / "避灾安置场所覆盖.html", files)
        bar.advance()

        units_ratio = _with_figures(townships, ratio.table, ["beds", "nursing_beds", "elderly", "beds_per_1000",
                                                            "bed_gap", "status"])
        units_acc = _with_figures(townships, res["beds_vs_access"], ["accessible_per_1000", "verdict"])
        m = maps.choropleth(_derived(units_ratio), "beds_per_1000",
                            title="养老床位缺口：每千名老人床位数（乡镇街道）",
                            popup_cols=["beds", "elderly", "bed_gap", "status"], name="每千名老人床位数（行政口径）")
        maps.add_choropleth(m, _derived(units_acc), "accessible_per_1000", target=settings.bed_target_per_1000,
                            name="每千名老人可达床位数（驾车 30 分钟，2SFCA）", popup_cols=["verdict"], show=False)
        maps.add_facilities(m, demo.institutions)
        maps.add_proposed_sites(m, _derived(alloc_beds.selected), kind="institutions",
                                popup_cols={"beds_added": "新增床位（张）"}, name="加床方案（扩建与新建）")
        links["养老床位缺口"] = _save(maps, m, maps_dir / "养老床位缺口.html", files)
        bar.advance()

        m = maps.base_map(townships, units=huzhou_counties, title="居家养老服务照料中心覆盖")
        maps.add_facilities(m, demo.daycare)
        maps.add_uncovered(m, _derived(day.gaps), weight_col="demand", name="步行范围内无照料中心的村社区")
        maps.add_proposed_sites(m, _derived(alloc_day.selected), kind="daycare", name="建议新增照料中心")
        links["照料中心覆盖"] = _save(maps, m, maps_dir / "照料中心覆盖.html", files)
        bar.advance()

        for name in wanted:
            bar.advance()
            one = all_lines[all_lines["line_name"] == name]
            if one.empty:
                continue
            mk = check.markers[check.markers["line_name"] == name]
            cr = crossings[crossings["line_name"] == name] if "line_name" in crossings else None
            m = maps.base_map(one, units=counties, title=f"界线联检：{name}")
            maps.add_boundary(m, _derived(one), _derived(mk), crossings=None if cr is None else _derived(cr))
            links[f"界线联检 {name}"] = _save(maps, m, maps_dir / f"界线联检_{name}.html", files)

        index = maps_dir / "index.html"
        maps.save_index({k: Path(v).name for k, v in links.items()}, index, title="mzgeo 湖州示例地图",
                        note=SYNTHETIC_NOTE)
        files.append(index)
    return summary


def _add(files: list[Path], written: Any) -> None:
    """Record one written path or a list of them."""
    if isinstance(written, (list, tuple)):
        files.extend(Path(w) for w in written)
    else:
        files.append(Path(written))


def _save(maps: Any, m: Any, path: Path, files: list[Path]) -> str:
    maps.save(m, path)
    files.append(path)
    return str(path)


def _derived(gdf: Any) -> Any:
    """Label an analysis layer of the demo as derived from synthetic data (for map captions)."""
    out = gdf.copy()
    out.attrs["mzgeo_source"] = "mzgeo 分析结果（示例数据（合成））"
    return out


def _with_figures(units: Any, table: pd.DataFrame, cols: list[str]) -> Any:
    """Return unit polygons joined with per-unit figures by code."""
    keep = ["code", *[c for c in cols if c in table.columns and c not in units.columns]]
    return units.merge(table[keep].drop_duplicates("code"), on="code", how="left")
