"""Cells of ``02_避灾安置场所.ipynb`` (02 shelters); built by ``notebooks/_make_notebooks.py``."""

from __future__ import annotations

from _cells import code, dedent, md, setup_code, SYNTHETIC_NOTE, UNITS_CODE


CELLS = [
    md(
        """
        # 02 避灾安置场所：分级覆盖、容量是否够、在哪里新增

        避灾安置场所（简称避灾点）要回答三个问题：

        1. **够不够近**：各村社区步行多久能到最近的避灾点？按县级、乡镇级、村级三级分别看；
           每级场所是否达到最低容量（县级 ≥ 200 人、乡镇级 ≥ 100 人、村级 ≥ 50 人，浙政办发〔2013〕108号）。
        2. **装不装得下**：如果需要转移的居民都去时限内能走到的避灾点，在**不超过容量**的前提下
           最多能安置多少人？这是一个线性规划问题，mzgeo 用 HiGHS 求最优解（不是“就近分配”的粗算）。
        3. **在哪里新增**：在候选村社区中选出新增的避灾点，使时限内覆盖的人口最多（最大覆盖模型）。

        结果：一张覆盖地图（HTML）和几个工作簿（Excel），保存在 `out/notebooks/02_避灾安置场所/`。
        """
    ),
    md(SYNTHETIC_NOTE),
    code(setup_code("02_避灾安置场所", stdlib=("import warnings",),
                    first_party=("from mzgeo.locate import allocate, candidate_sites",))),
    md(
        """
        ## 1. 数据与路网

        需求点是村社区（按人口计），用老年人步行速度（1.0 米/秒）的步行路网。
        """
    ),
    code(
        UNITS_CODE
        + "\n"
        + dedent(
            """
            shelters = demo.shelters
            villages = demo.villages
            walk = Network.from_lines(demo.roads, mode="walk")
            walk
            """
        ).strip()
    ),
    md(
        """
        ## 2. 分级情况与最低容量

        各级避灾点的数量、总容量和最小容量，对照浙江省的分级最低容量要求
        （`settings.shelter_min_capacity`，可以按本地规定修改）：
        """
    ),
    code(
        """
        tiers = (shelters.groupby("tier")
                 .agg(处数=("name", "size"), 总容量=("capacity", "sum"), 最小容量=("capacity", "min"))
                 .reindex(["县级", "乡镇级", "村级"]))
        tiers["最低容量要求"] = pd.Series(settings.shelter_min_capacity)
        below = shelters["capacity"] < shelters["tier"].map(settings.shelter_min_capacity)
        tiers["低于要求（处）"] = shelters[below].groupby("tier").size()
        tiers.fillna(0)
        """
    ),
    md(
        """
        容纳人数还要和**可用面积**对得上：GB 21734-2008 要求人均居住面积不少于 1.5 平方米
        （固定避难场所 GB 50413-2007 要求 2 平方米）。`shelter_adequacy` 把容纳人数超过
        “可用面积 ÷ 人均面积”的场所标为 `area_short`（下文结果工作簿中的“面积不足”表），
        `cap_by_area=True` 时按面积核减容量。这里先直接算一遍人均面积，看哪些场所登记的容量偏大：
        """
    ),
    code(
        """
        per_person = shelters["area_m2"] / shelters["capacity"]
        crowded = shelters.assign(area_per_person=per_person.round(2))[per_person < settings.shelter_area_per_person_m2]
        crowded[["name", "tier", "capacity", "area_m2", "area_per_person"]].rename(
            columns={"name": "名称", "tier": "等级", "capacity": "容纳人数", "area_m2": "可用面积（平方米）",
                     "area_per_person": "人均面积（平方米）"})
        """
    ),
    md(
        """
        ## 3. 就近覆盖：步行几分钟能到最近的避灾点

        不分等级，每个村社区到最近避灾点的步行时间，按 5、10、15、20 分钟统计覆盖的人口。
        应急避难场所的服务半径约 500 米（GB 50413-2007），老年人步行约 10 分钟。

        运行时会提示 3 个避灾点离最近的道路超过 500 米，无法计算通行时间——这是示例数据里的
        真实问题（场所坐标可能标错了位置），结果中它们被排除，并在 `.problems` 中列出。
        """
    ),
    code(
        """
        cov = mzgeo.coverage(shelters, villages, network=walk, minutes=[5, 10, 15, 20], weight_col="population", units=units)
        to_chinese(cov.summary())
        """
    ),
    md(
        """
        这 3 处场所的坐标需要核实。下面的计算中它们同样不参与，提示不再重复显示：
        """
    ),
    code(
        """
        display(cov.problems[["layer", "name", "message"]])
        warnings.filterwarnings("ignore", message=".*无法计算通行时间.*", category=mzgeo.DataWarning)
        to_chinese(cov.by_unit(level="区县", minutes=10))
        """
    ),
    md(
        """
        ## 4. 分级覆盖与容量：线性规划

        `mzgeo.shelter_adequacy` 同时给出：

        - **分级覆盖**（`.tiers`）：每个村社区到**本级**最近避灾点是否在本级时限内。村级按 10 分钟
          （紧急避险）；乡镇级、县级是固定避难场所，服务半径 2–3 千米，本例分别取 30、60 分钟
          （`tier_minutes` 参数，可按本地规定调整）。
        - **容量约束下的安置**（线性规划，HiGHS）：每个村社区的待安置人口只能去时限内（10 分钟）
          能走到的避灾点，任何避灾点都不超过其容量；先使安置人数最多，再使总步行时间最短。

        `share_to_shelter`（需要转移安置的人口比例）很关键：默认 1.0 表示全体居民都要安置，
        这是最严格的情形；实际预案中通常只有一部分居民需要转移（例如受淹区域、危旧房住户）。
        本例取 0.1（10%）。
        """
    ),
    code(
        """
        res = mzgeo.shelter_adequacy(shelters, villages, network=walk, minutes=10, weight_col="population", units=units,
            share_to_shelter=0.1, tier_minutes={"县级": 60, "乡镇级": 30},
        )
        to_chinese(res.tiers)
        """
    ),
    md(
        """
        全市汇总：待安置人数、10 分钟内不超容量可以安置的人数、缺口、完全没有避灾点可达的人数、
        “就近超容”的场所数（如果大家都去最近的避灾点，会有多少场所装不下）。
        """
    ),
    code(
        """
        to_chinese(res.summary()).T
        """
    ),
    md(
        """
        ### 情景比较：需要安置的人口比例

        同一套场所，待安置比例不同，结论完全不同。下面比较 100%、20%、10% 三种情景：
        """
    ),
    code(
        """
        rows = []
        for share in (1.0, 0.2, 0.1):
            r = mzgeo.shelter_adequacy(shelters, villages, network=walk, minutes=10, share_to_shelter=share)
            s = r.summary().iloc[0]
            rows.append({"待安置比例": share, "待安置人数": s["persons"], "可安置人数": s["sheltered"],
                         "安置率": round(s["share_sheltered"], 3), "缺口（人）": s["shortfall"],
                         "就近超容场所（处）": s["n_oversubscribed"]})
        pd.DataFrame(rows)
        """
    ),
    md(
        """
        ### 人均面积：只有面积、没有容纳人数时

        如果场所登记表只有可用面积，没有容纳人数，容量按 **可用面积 ÷ 人均面积** 折算
        （`area_per_person_m2`，默认 1.5 平方米/人；有容纳人数时以容纳人数为准）。
        下面假设表中没有“容纳人数”一列，分别按 1.5 和 2.0 平方米/人折算：
        """
    ),
    code(
        """
        area_only = shelters.drop(columns="capacity")
        rows = []
        for app in (1.5, 2.0):
            r = mzgeo.shelter_adequacy(area_only, villages, network=walk, minutes=10, share_to_shelter=0.1, area_per_person_m2=app)
            s = r.summary().iloc[0]
            rows.append({"人均面积（平方米）": app, "折算总容量（人）": s["capacity_total"],
                         "可安置人数": s["sheltered"], "安置率": round(s["share_sheltered"], 3)})
        print("按登记的容纳人数：总容量", int(shelters["capacity"].sum()), "人")
        pd.DataFrame(rows)
        """
    ),
    md(
        """
        ### 哪些乡镇缺口最大

        按乡镇街道汇总（10% 待安置情景）。鹤湾镇、白林镇、南湖镇、桂荡镇、银沟乡在示例数据中
        故意只有很小的村级避灾点，或没有乡镇级避灾点：
        """
    ),
    code(
        """
        by_town = res.by_unit(level="乡镇街道")
        to_chinese(by_town.sort_values("share_sheltered").head(10)[
            ["name", "parent_code", "persons", "sheltered", "shortfall", "share_sheltered", "persons_no_reach",
             "n_shelters", "capacity_total", "n_oversubscribed"]])
        """
    ),
    md(
        """
        低于本级最低容量的场所，和“就近超容”最严重的场所（就近人数 ÷ 容量）：
        """
    ),
    code(
        """
        print("低于本级最低容量：", len(res.below_minimum), "处")
        display(to_chinese(res.below_minimum[["name", "tier", "capacity", "min_capacity", "capacity_source"]].head(8)))
        over = res.oversubscribed.assign(ratio=lambda d: d["nearest_load"] / d["capacity"])
        print("就近超容：", len(over), "处；最严重的 8 处：")
        worst = over.sort_values("ratio", ascending=False).head(8)
        to_chinese(worst[["name", "tier", "capacity", "nearest_load", "assigned"]])
        """
    ),
    md(
        """
        ## 5. 在哪里新增避灾点：最大覆盖模型（MCLP）

        候选点：300 米内还没有避灾点的村社区中心（`candidate_sites`）。在 10 分钟步行时限下，
        从候选点中选 30 处新建，使被覆盖的人口最多；现有避灾点全部保留（作为“必选”设施）。
        求解器 HiGHS 会证明所选方案是最优的（或说明离最优还差多少）。
        """
    ),
    code(
        """
        candidates = candidate_sites(villages, existing=shelters, how="villages")
        print("候选点：", len(candidates), "个")
        plan = allocate(villages, candidates, model="mclp", network=walk, minutes=10, p=30,
                        existing=shelters, weight_col="population")
        print(plan.headline_for("避灾安置场所"))
        print(f"求解 {plan.solve_time_s:.1f} 秒，状态：{plan.status_zh}")
        to_chinese(plan.selected.drop(columns="geometry").head(10))
        """
    ),
    md(
        """
        覆盖曲线：新增第 1、2、3……处各自增加多少覆盖。排在前面的是收益最大的地点；
        后面每处增加的越来越少，规划时可据此决定“建到第几处为止”。
        """
    ),
    code(
        """
        curve = plan.coverage_curve
        to_chinese(curve.iloc[[0, 5, 10, 15, 20, 25, 30]])
        """
    ),
    md(
        """
        > 需要同时考虑容量时，可用容量约束的最大覆盖模型：
        > `allocate(..., model="cmclp", capacity_col="capacity")`，候选点需要给出拟建容量。

        ## 6. 地图

        底图为区县、乡镇边界；绿色阴影为乡镇级、县级避灾点 30 分钟步行范围；绿色圆点为避灾点
        （越大等级越高）；红点为 10 分钟内走不到任何避灾点的村社区；金色五角星为建议新增的地点（带序号）。
        """
    ),
    code(
        """
        fixed = shelters[shelters["tier"] != "村级"]
        areas = walk.service_areas(fixed, minutes=[15, 30], how="dissolve")

        m = maps.base_map(townships, units=counties, title="避灾安置场所步行覆盖与建议新增点（示例数据）")
        maps.add_service_areas(m, areas, mode="步行", dissolve=True, palette="Greens",
                               name="乡镇级、县级避灾点步行范围")
        maps.add_facilities(m, shelters)
        uncovered_10 = cov.points[~(cov.points["minutes"] <= 10)]
        maps.add_uncovered(m, uncovered_10, weight_col="demand",
                           name=f"10分钟内无避灾点的村社区（{len(uncovered_10)}）")
        maps.add_proposed_sites(m, plan.selected, kind="shelters")
        map_path = maps.save(m, OUT / "避灾安置场所覆盖.html")
        print("地图：", map_path)
        show_map(map_path)
        """
    ),
    md(
        """
        ## 7. 工作簿

        三个工作簿，每个都带“参数”工作表（时限、待安置比例、人均面积、分级最低容量、求解器）：
        """
    ),
    code(
        """
        files = [
            cov.to_excel(OUT / "避灾安置场所_就近覆盖.xlsx"),
            res.to_excel(OUT / "避灾安置场所_容量与分级.xlsx"),
            plan.to_excel(OUT / "避灾安置场所_新增选址.xlsx"),
            res.to_gpkg(OUT / "避灾安置场所.gpkg"),
        ]
        for f in files:
            print(f)
        """
    ),
]
