"""Cells of ``04_居家养老照料中心.ipynb`` (04 day care); built by ``notebooks/_make_notebooks.py``."""

from __future__ import annotations

from _cells import code, dedent, md, setup_code, SYNTHETIC_NOTE, UNITS_CODE


CELLS = [
    md(
        """
        # 04 居家养老服务照料中心：覆盖、空白村与新增选址

        规划要求每个村（社区）有一处居家养老服务照料中心，并让老人在“15 分钟养老服务圈”内走到：
        本例采用城镇社区 **15 分钟**、农村 **20 分钟** 步行（`settings.daycare_minutes_urban/rural`，
        这是常见的地方做法，可以修改）。本笔记本：

        1. 统计各区县、乡镇的覆盖情况，含有老年食堂、医养结合的中心分别统计；
        2. 列出“既没有本村中心、步行范围内也没有中心”的村社区；
        3. 用最大覆盖模型选出新增地点，画出**覆盖曲线**（新增几处、覆盖率到多少），再算出全覆盖最少需要几处。

        结果：覆盖地图（HTML）、覆盖曲线图（PNG）和工作簿（Excel）。
        """
    ),
    md(SYNTHETIC_NOTE),
    code(setup_code("04_居家养老照料中心", first_party=("from mzgeo.locate import allocate, candidate_sites",))),
    code(
        UNITS_CODE
        + "\n"
        + dedent(
            """
            daycare = demo.daycare
            villages = demo.villages
            walk = Network.from_lines(demo.roads, mode="walk")
            print(f"照料中心 {len(daycare)} 个（有老年食堂 {int(daycare['has_meal'].sum())} 个，"
                  f"医养结合 {int(daycare['has_medical'].sum())} 个）")
            """
        ).strip()
    ),
    md(
        """
        ## 1. 覆盖情况

        `mzgeo.daycare_coverage` 按村社区类型区分城镇（社区，15 分钟）和农村（村，20 分钟），
        并按照料中心的“所在村社区”字段判断每个村是否有本村的中心。
        """
    ),
    code(
        """
        dc = mzgeo.daycare_coverage(daycare, villages, network=walk, units=units)
        print(f"时限：城镇社区 {dc.params['minutes_urban']:g} 分钟，农村 {dc.params['minutes_rural']:g} 分钟（步行）")
        to_chinese(dc.summary()).T
        """
    ),
    code(
        """
        to_chinese(dc.by_unit(level="区县")[["name", "n_villages", "n_covered", "share_villages_covered",
                                             "share_covered", "n_without_own", "n_gaps", "n_centres",
                                             "n_meal", "n_covered_meal", "n_medical", "n_covered_medical"]])
        """
    ),
    md(
        """
        ## 2. 空白村：没有本村中心，步行范围内也没有

        这些村社区是新建照料中心的重点。按区县统计，并列出老人最多的 10 个：
        """
    ),
    code(
        """
        gaps = dc.gaps
        county_name = counties.set_index("code")["name"]
        print("空白村社区：", len(gaps), "个；按区县：",
              gaps["unit_code"].str[:6].map(county_name).value_counts().to_dict())
        to_chinese(gaps.sort_values("demand", ascending=False)[
            ["name", "village_type", "threshold_minutes", "demand", "facility_name", "minutes"]].head(10))
        """
    ),
    md(
        """
        还有一类要注意：**有本村中心，但村民点到中心的步行时间超过时限**（中心建在村域边缘，
        或隔河绕行）。它们不算空白村，但老人实际上走不到：
        """
    ),
    code(
        """
        far_own = dc.villages[dc.villages["has_own"] & ~dc.villages["covered"]]
        print("有本村中心但步行超时：", len(far_own), "个")
        to_chinese(far_own.sort_values("minutes", ascending=False)[
            ["name", "village_type", "threshold_minutes", "minutes", "facility_name"]].head(8))
        """
    ),
    md(
        """
        ## 3. 新增选址：最大覆盖模型与覆盖曲线

        城镇、农村的时限不同，而最大覆盖模型只有一个时限。做法是先算出村社区到各中心（现有 + 候选）
        20 分钟内的步行时间表，再**删掉超过本村时限的配对**（城镇社区只保留 15 分钟以内的），
        剩下的配对都算“覆盖”。表中没有的配对视为不可达。

        候选点：300 米内还没有照料中心的村社区中心。
        """
    ),
    code(
        """
        candidates = candidate_sites(villages, existing=daycare, how="villages")
        sites = pd.concat([daycare[["name", "geometry"]], candidates[["name", "geometry"]]])
        od = walk.od(sites, villages, cutoff_minutes=settings.daycare_minutes_rural)
        limit = dc.villages["threshold_minutes"].reindex(od.table["origin"]).to_numpy()
        cost = od.table[od.table["minutes"] <= limit]
        print(f"候选点 {len(candidates)} 个；20 分钟内的村社区-中心配对 {len(od.table)} 个，"
              f"按城乡时限保留 {len(cost)} 个")
        """
    ),
    md(
        """
        先问：要让所有“能被覆盖”的老人都在时限内，**最少**要新建几处？用集合覆盖模型（LSCP）：
        """
    ),
    code(
        """
        full = allocate(villages, candidates, model="lscp", cost=cost, minutes=settings.daycare_minutes_rural,
                        existing=daycare, weight_col="elderly")
        n_full = int(full.objective)
        print(full.headline_for("照料中心"))
        print("任何候选点都无法在时限内覆盖的村社区（需要现场研究：修步行道、设服务点或上门服务）：")
        to_chinese(full.infeasible.head(8))
        """
    ),
    md(
        """
        这 23 个村社区就是上面“有本村中心但步行超时”的村：它们 300 米内已有中心，所以不在候选点中，
        而已有的中心又走不到。

        再问：如果分期建设，先建多少处最划算？用最大覆盖模型（MCLP）对 1、2、……、全覆盖所需处数
        分别求最优解（`curve="optimal"`），得到**覆盖曲线**：
        """
    ),
    code(
        """
        curve_model = allocate(villages, candidates, model="mclp", cost=cost, minutes=settings.daycare_minutes_rural,
                               p=n_full, existing=daycare, weight_col="elderly", curve="optimal")
        curve = curve_model.coverage_curve
        print(f"{n_full} 次求解共 {curve_model.solve_time_s:.1f} 秒")
        to_chinese(curve.iloc[[0, 10, 20, 40, 60, 80, 100, 120, n_full]][
            ["n_new_sites", "site", "demand_covered_optimal", "share_covered_optimal"]])
        """
    ),
    md(
        """
        一期建设取 40 处：使覆盖的老年人口最多的 40 处（按边际收益排序，第 1 处增加最多）：
        """
    ),
    code(
        """
        plan = allocate(villages, candidates, model="mclp", cost=cost, minutes=settings.daycare_minutes_rural, p=40,
                        existing=daycare, weight_col="elderly")
        print(plan.headline_for("照料中心"))
        print(f"求解 {plan.solve_time_s:.1f} 秒，{plan.status_zh}")
        to_chinese(plan.selected.drop(columns="geometry").head(10))
        """
    ),
    md(
        """
        ### 覆盖曲线

        横轴是新增中心数，纵轴是时限内覆盖的老年人口比例。曲线先陡后平：前几处收益最大，
        越往后每处增加得越少。竖虚线为一期 40 处。
        （如果没有安装 matplotlib，则以表格代替。）
        """
    ),
    code(
        """
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            from IPython.display import Image
            from matplotlib import font_manager
        except ImportError:
            plt = None

        if plt is None:
            display(to_chinese(curve))
        else:
            cjk = [f.name for f in font_manager.fontManager.ttflist
                   if any(k in f.name for k in ("Noto Sans CJK", "Noto Serif CJK", "WenQuanYi", "SimHei",
                                                "Microsoft YaHei", "PingFang", "Source Han"))]
            if cjk:
                plt.rcParams["font.family"] = [cjk[0], "DejaVu Sans"]
            zh = bool(cjk)
            fig, ax = plt.subplots(figsize=(8, 4.5))
            share = 100 * curve["share_covered_optimal"]
            ax.plot(curve["n_new_sites"], share, lw=2)
            ax.axvline(40, ls="--", color="grey")
            ax.annotate((f"一期 40 处：{share.iloc[40]:.1f}%" if zh else f"phase 1, 40 sites: {share.iloc[40]:.1f}%"),
                        (40, share.iloc[40]), xytext=(15, -40), textcoords="offset points",
                        arrowprops={"arrowstyle": "->"})
            ax.set_xlabel("新增照料中心（处）" if zh else "new day-care centres")
            ax.set_ylabel("时限内覆盖的老年人口（%）" if zh else "elderly covered (%)")
            ax.set_title("照料中心覆盖曲线（示例数据）" if zh else "Coverage curve (synthetic demo data)")
            ax.grid(alpha=0.3)
            ax.set_xlim(0, n_full)
            fig.tight_layout()
            png = OUT / "照料中心覆盖曲线.png"
            fig.savefig(png, dpi=120)
            plt.close(fig)
            print("图：", png)
            display(Image(filename=str(png)))
        """
    ),
    md(
        """
        ## 4. 地图

        橙色房子为现有照料中心；红点为空白村社区（点越大老人越多）；金色五角星为建议新增的 40 处（带序号）。
        """
    ),
    code(
        """
        m = maps.base_map(townships, units=counties, title="居家养老服务照料中心覆盖与建议新增点（示例数据）")
        maps.add_facilities(m, daycare)
        maps.add_uncovered(m, gaps, weight_col="demand", name=f"空白村社区（{len(gaps)}）")
        maps.add_uncovered(m, far_own, weight_col="demand", name=f"有本村中心但步行超时（{len(far_own)}）", show=False)
        maps.add_proposed_sites(m, plan.selected, kind="daycare")
        map_path = maps.save(m, OUT / "照料中心覆盖.html")
        print("地图：", map_path)
        show_map(map_path)
        """
    ),
    md(
        """
        ## 5. 工作簿
        """
    ),
    code(
        """
        files = [
            dc.to_excel(OUT / "照料中心覆盖.xlsx"),
            plan.to_excel(OUT / "照料中心新增选址.xlsx"),
            plan.to_gpkg(OUT / "照料中心新增选址.gpkg"),
        ]
        for f in files:
            print(f)
        """
    ),
]
