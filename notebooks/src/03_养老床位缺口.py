"""Cells of ``03_养老床位缺口.ipynb`` (03 beds); built by ``notebooks/_make_notebooks.py``."""

from __future__ import annotations

from _cells import code, dedent, md, setup_code, SYNTHETIC_NOTE, UNITS_CODE


CELLS = [
    md(
        """
        # 03 养老床位缺口：每千名老人床位数、可达床位与加床方案

        湖州的规划目标是**每千名老人 37.5 张养老床位**（`settings.bed_target_per_1000`；
        GB 50437-2018 要求不少于 40 张，可以改）。本笔记本：

        1. 按区县、乡镇计算每千名老人床位数、床位缺口和护理型床位占比（行政口径）；
        2. 计算**可达床位**：老人在 30 分钟车程内实际能用上的床位（两步移动搜索法，2SFCA），
           与行政口径对照——找出“账面达标但老人够不着”和“账面不达标但附近有床位”的地方；
        3. 给出加床方案：在哪些机构扩建、是否新建，使床位充足的老人最多。

        结果：每千名老人床位数分级设色图（HTML）和工作簿（Excel）。
        """
    ),
    md(SYNTHETIC_NOTE),
    code(setup_code("03_养老床位缺口", first_party=("from mzgeo.locate import allocate, candidate_sites",))),
    code(
        UNITS_CODE
        + "\n"
        + dedent(
            """
            institutions = demo.institutions  # read from data/养老机构.csv (GBK, GCJ-02)
            villages = demo.villages
            drive = Network.from_lines(demo.roads, mode="drive")
            print(drive)
            print(f"养老机构 {len(institutions)} 家，床位 {institutions['beds'].sum():,.0f} 张，"
                  f"老年人口 {villages['elderly'].sum():,.0f} 人")
            """
        ).strip()
    ),
    md(
        """
        ## 1. 每千名老人床位数（行政口径）

        计算规则（`mzgeo.bed_ratio`）：

        - 每千名老人床位数 = 辖区内养老机构床位数 ÷（辖区 60 岁及以上老年人口 ÷ 1000）；
        - 床位缺口 = max(0, 目标 × 老年人口 ÷ 1000 − 现有床位)；
        - 护理型床位占比对照 55%（国家 2025 年目标）。

        机构按坐标落在哪个乡镇来归属（坐标落在边界外时用表中的所属区划代码），乡镇汇总到区县、全市，
        逐级合计与直接计算一致。
        """
    ),
    code(
        """
        ratio = mzgeo.bed_ratio(institutions, units)
        county_cols = ["name", "n_institutions", "beds", "nursing_beds", "elderly", "beds_per_1000",
                       "target_per_1000", "bed_gap", "beds_to_add", "nursing_share", "status"]
        table = ratio.table[ratio.table["level"].isin(["市", "区县"])][county_cols]
        to_chinese(table)
        """
    ),
    md(
        """
        全市合计 37.8 张，刚好达标；但南浔区（30.0）、长兴县（34.0）不达标，两区县合计缺约 1,500 张。
        再看乡镇一级——大多数乡镇只有一个小敬老院，甚至没有养老机构：
        """
    ),
    code(
        """
        towns = ratio.table[ratio.table["level"] == "乡镇街道"]
        print("乡镇街道达标情况：", towns["status"].value_counts().to_dict())
        print("没有养老机构的乡镇街道：", int((towns["n_institutions"] == 0).sum()), "个")
        to_chinese(ratio.below_target.query("level == '乡镇街道'")[
            ["name", "parent_code", "n_institutions", "beds", "elderly", "beds_per_1000", "bed_gap"]].head(10))
        """
    ),
    md(
        """
        ## 2. 可达床位：老人实际够得着的床位（两步移动搜索法）

        行政口径只数“辖区内”的床位。住在乡镇边上的老人，可能离隔壁乡镇的养老院更近；而一个乡镇
        账面上床位很多，也可能被周边大量老人分享。两步移动搜索法（2SFCA，Luo & Wang 2003）这样算：

        1. 对每家机构：30 分钟车程内能到达它的老人总数为 D，机构床位为 S，供需比 R = S ÷ D；
        2. 对每个村社区：把 30 分钟车程内所有机构的 R 相加，乘以 1000，就是“每千名老人可达床位数”。

        全市床位总量不变，只是按“够得着”重新分配。结果与 PySAL `access` 库一致（测试中已核对）。
        """
    ),
    code(
        """
        acc = mzgeo.accessibility(institutions, villages, network=drive, method="2sfca", minutes=30, units=units)
        print(acc.params["method"], "| 时限", acc.params["minutes"], "分钟 | 时限内的机构-村社区配对",
              acc.params["n_pairs_within"])
        to_chinese(acc.by_unit(level="区县"))
        """
    ),
    md(
        """
        ### 行政口径与可达口径对照

        `acc.comparison` 把两个口径并列（目标 37.5）：

        - **账面达标但可达不足**：辖区床位够，但老人在 30 分钟内能分享到的床位不足（床位集中在城区，
          或被周边老人大量分享）；
        - **账面未达标但可达充足**：辖区床位少，但附近（常常是跨乡镇）的床位够用。
        """
    ),
    code(
        """
        cmp = acc.comparison
        print(cmp["verdict"].value_counts().to_dict())
        to_chinese(cmp[cmp["level"] == "区县"][["name", "elderly", "beds", "beds_per_1000", "accessible_per_1000",
                                                "difference_per_1000", "verdict"]])
        """
    ),
    md(
        """
        德清县、安吉县账面达标，但老人在 30 分钟内能分享到的床位低于 37.5——床位集中在县城，
        山区、乡镇的老人够不着。下面是两类“口径不一致”的乡镇：
        """
    ),
    code(
        """
        cols = ["name", "parent_code", "elderly", "beds", "beds_per_1000", "accessible_per_1000", "verdict"]
        towns_cmp = cmp[cmp["level"] == "乡镇街道"]
        print("账面达标但可达不足：")
        display(to_chinese(towns_cmp[towns_cmp["verdict"] == "账面达标但可达不足"][cols]))
        print("账面未达标但可达充足（前 8 个）：")
        to_chinese(towns_cmp[towns_cmp["verdict"] == "账面未达标但可达充足"][cols].head(8))
        """
    ),
    md(
        """
        ### 敏感性：时限与距离衰减

        30 分钟是默认的车程（`settings.beds_access_minutes`）。换成 20 分钟，或用距离衰减的
        增强两步移动搜索法（E2SFCA：0–10 分钟权重 1，10–20 分钟 0.68，20–30 分钟 0.22），结论是否稳定？
        """
    ),
    code(
        """
        variants = {
            "2SFCA 30分钟": acc,
            "2SFCA 20分钟": mzgeo.accessibility(institutions, villages, network=drive, minutes=20, units=units),
            "E2SFCA 30分钟": mzgeo.accessibility(institutions, villages, network=drive, method="e2sfca", minutes=30,
                                                 units=units),
        }
        sens = pd.DataFrame({name: r.by_unit(level="区县").set_index("name")["accessible_per_1000"]
                             for name, r in variants.items()})
        sens.insert(0, "行政口径", table.set_index("name")["beds_per_1000"])
        sens.round(1)
        """
    ),
    md(
        """
        ### 方法比较：结论是否取决于计算方法？

        可达性研究常把几种方法并列，说明结论不依赖于某一种算法。`mzgeo.compare_methods` 在同一份
        30 分钟车程、同一份床位和老人数据上计算 8 种方法（均与 PySAL `access` 一致，测试中已核对）：

        - **2SFCA / E2SFCA / G2SFCA**：上面用过的两步移动搜索法，及其分段、高斯距离衰减版本；
        - **3SFCA**（三步移动搜索法，Wan 等 2012）：老人按“选择权重”分摊到附近几家机构，
          不再被每家机构重复计入；
        - **引力模型**（Hansen 型，含竞争项）：权重随车程的倒数衰减；
        - **FCA 比值**：村社区 30 分钟内的床位 ÷ 30 分钟内的老人（不考虑远处老人的竞争）；
        - **加权服务量**：30 分钟内的床位数（不计竞争，单位是张，不是每千人）；
        - **RAAM**（理性主体可达性模型，Saxon & Snow 2020）：老人逐轮改去“车程 + 拥挤”成本更低的
          机构，结果是成本（越低越好），并报告迭代轮数和是否收敛。

        比较表给出每个单元在每种方法下的排名（1 为最好，在同一级别内排）、排名极差（最差 − 最好）
        和标准化值（÷ 需求加权平均）在方法间的变异系数；对六种“张/千名老人”口径的方法，逐一判断
        是否达到 37.5，并标出**达标判断随方法变化**的单元。
        """
    ),
    code(
        """
        methods_cmp = mzgeo.compare_methods(institutions, villages, network=drive, minutes=30, units=units)
        p = methods_cmp.params
        print(f"RAAM：{p['raam_cycles']} 轮，最后步长 {p['raam_final_step']:.3f}，"
              + ("已收敛" if p["raam_converged"] else "未收敛（已达最多轮数 max_cycles，结果与 access 相同）"))
        cmp_tab = methods_cmp.table
        county_cols = ["name", "beds_per_1000", "value_2sfca", "value_e2sfca", "value_g2sfca", "value_3sfca",
                       "value_gravity", "value_fca", "value_raam", "rank_range", "norm_cv", "n_methods_meeting"]
        to_chinese(cmp_tab[cmp_tab["level"] == "区县"][county_cols]).round(2)
        """
    ),
    md(
        """
        吴兴区在每种方法下都排第一、都达标；其余四个区县在 2SFCA、E2SFCA、G2SFCA 和引力模型下都不达标，
        只在 FCA 比值（只与附近的老人竞争）下达标，德清县、安吉县在 3SFCA（老人分摊到多家机构）下也达标——
        “是否达标”对这四个区县取决于方法，报告中应写明所用方法。乡镇一级差异更大：
        """
    ),
    code(
        """
        towns_m = cmp_tab[cmp_tab["level"] == "乡镇街道"]
        changed = towns_m[towns_m["status_changes"]]
        print(f"{len(towns_m)} 个乡镇街道中，{len(changed)} 个的达标判断随方法变化；"
              f"排名极差 ≥ 20 的 {int((towns_m['rank_range'] >= 20).sum())} 个")
        meet_cols = [c for c in cmp_tab.columns if c.startswith("meets_")]
        to_chinese(changed[["name", "beds_per_1000", *meet_cols, "n_methods_meeting", "rank_range"]]
                   .sort_values("n_methods_meeting", ascending=False))
        """
    ),
    md(
        """
        每种方法一个地图图层（`methods_cmp.layer(方法)`，可直接用于 `maps.choropleth`）。下图默认显示
        3SFCA，图层控制中可切换 2SFCA、引力模型和“排名极差”（方法间越不一致颜色越深）：
        """
    ),
    code(
        """
        def town_layer(method):
            lay = methods_cmp.layer(method)
            return lay[lay["level"] == "乡镇街道"]

        m_cmp = maps.choropleth(town_layer("3sfca"), "accessible_per_1000", target=settings.bed_target_per_1000,
                                title="每千名老人可达床位：方法比较（乡镇街道，示例数据）",
                                name="3SFCA（30分钟）", popup_cols=["access_rank", "meets_target"])
        for method, label in [("2sfca", "2SFCA（30分钟）"), ("gravity", "引力模型（30分钟）")]:
            maps.add_choropleth(m_cmp, town_layer(method), "accessible_per_1000", target=settings.bed_target_per_1000,
                                name=label, popup_cols=["access_rank", "meets_target"], show=False)
        spread = methods_cmp.layers()["access_comparison"]
        maps.add_choropleth(m_cmp, spread[spread["level"] == "乡镇街道"], "rank_range", name="排名极差（方法间）",
                            popup_cols=["n_methods_meeting", "norm_cv"], show=False)
        maps.add_units(m_cmp, counties, name="区县")
        maps.add_facilities(m_cmp, institutions)
        cmp_map = maps.save(m_cmp, OUT / "可达床位_方法比较.html")
        print("地图：", cmp_map)
        show_map(cmp_map)
        """
    ),
    md(
        """
        ## 3. 在哪里加床：床位布局模型

        `allocate(..., model="beds")` 把“每千名老人 37.5 张”变成空间规则：一张床位服务
        1000 ÷ 37.5 ≈ 26.7 位老人；一位老人如果能被分配到时限内、床位足够的机构，就算“床位充足”。
        模型在总床位预算内决定每家现有机构扩建多少、是否在候选点新建，使床位充足的老人最多。

        本例设定：

        - 预算 = 南浔区、长兴县两个不达标区县的床位缺口（`unit_gap`），并要求每个区县新增的床位
          不超过本区县的缺口（`per_unit=True`，按区县代码 `county_code` 对应）；
        - 为了让床位离老人更近，时限取 15 分钟车程（可改为 30 分钟与上面的可达床位一致）；
        - 每家现有机构最多扩建 50 张（`max_add_existing`）；
        - 候选新址：2 千米内没有养老机构的乡镇中心，新建至少 60 张（`min_new_beds`），最多新建 5 处（`p`）。
        """
    ),
    code(
        """
        county_gap = ratio.table[ratio.table["level"] == "区县"].set_index("code")["bed_gap"]
        print("各区县床位缺口：", county_gap.round(0).to_dict())

        # candidate sites: township centres without an institution within 2 km, with their county code
        candidates = candidate_sites(townships, how="villages", existing=institutions, min_distance_m=2000)
        candidates = candidates.sjoin(townships[["parent_code", "geometry"]], how="left", predicate="within")
        candidates = candidates.drop(columns="index_right").rename(columns={"parent_code": "county_code"})
        existing = institutions.assign(county_code=institutions["unit_code"].str[:6])
        print("候选新址：", len(candidates), "个")

        beds_plan = allocate(
            villages, candidates, model="beds", network=drive, minutes=15, existing=existing, weight_col="elderly",
            unit_gap=county_gap, per_unit=True, unit_col="county_code",
            max_add_existing=50, min_new_beds=60, p=5, time_limit_s=60,
        )
        print(beds_plan.headline)
        print(f"求解 {beds_plan.solve_time_s:.1f} 秒，状态：{beds_plan.status_zh}")
        """
    ),
    code(
        """
        plan_table = beds_plan.selected.drop(columns="geometry")
        site_county = pd.concat([existing["county_code"], candidates["county_code"]])
        plan_table["所属区县"] = plan_table["site"].map(site_county).map(counties.set_index("code")["name"])
        to_chinese(plan_table[["rank", "name", "所属区县", "site_kind", "beds_existing", "beds_added", "beds_total",
                               "added_demand"]])
        """
    ),
    md(
        """
        各区县新增床位合计（不超过各自缺口）：
        """
    ),
    code(
        """
        plan_table.groupby(["所属区县", "site_kind"])["beds_added"].sum().unstack(fill_value=0)
        """
    ),
    md(
        """
        ## 4. 地图：每千名老人床位数

        以乡镇为单元分级设色，以 37.5 为中心：红色低于目标，蓝色达到或超过目标；蓝色方块为养老机构，
        金色五角星为加床方案中的机构。图层控制中还可以打开“可达床位”图层对照。
        """
    ),
    code(
        """
        def with_figures(polygons, figures, cols):
            # unit polygons joined with per-unit figures by code (columns already there are kept)
            cols = [c for c in cols if c not in polygons.columns]
            return polygons.merge(figures[["code", *cols]], on="code", how="left")

        towns_ratio = with_figures(townships, ratio.table, ["beds", "elderly", "beds_per_1000", "bed_gap", "status"])
        towns_access = with_figures(townships, cmp, ["accessible_per_1000", "verdict"])

        m = maps.choropleth(towns_ratio, "beds_per_1000", title="每千名老人床位数（乡镇街道，示例数据）",
                            popup_cols=["beds", "elderly", "bed_gap", "status"], name="每千名老人床位数（行政口径）")
        maps.add_choropleth(m, towns_access, "accessible_per_1000", target=settings.bed_target_per_1000,
                            name="每千名老人可达床位数（30分钟）", popup_cols=["verdict"], show=False)
        maps.add_units(m, counties, name="区县")
        maps.add_facilities(m, institutions)
        n_expand = int((beds_plan.selected["site_kind"] == "现有").sum())
        n_new = int((beds_plan.selected["site_kind"] == "新增").sum())
        maps.add_proposed_sites(m, beds_plan.selected, kind="institutions", popup_cols={"beds_added": "新增床位（张）"},
                                name=f"加床方案：扩建 {n_expand} 家、新建 {n_new} 处")
        map_path = maps.save(m, OUT / "养老床位缺口.html")
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
            ratio.to_excel(OUT / "每千名老人床位数.xlsx"),
            acc.to_excel(OUT / "可达床位_2SFCA.xlsx"),
            methods_cmp.to_excel(OUT / "可达床位_方法比较.xlsx"),
            beds_plan.to_excel(OUT / "加床方案.xlsx"),
        ]
        for f in files:
            print(f)
        """
    ),
]
