"""Cells of ``05_殡葬设施与三沿五区.ipynb`` (05 burial); built by ``notebooks/_make_notebooks.py``."""

from __future__ import annotations

from _cells import code, dedent, md, setup_code, SYNTHETIC_NOTE, UNITS_CODE


CELLS = [
    md(
        """
        # 05 殡葬设施与“三沿五区”

        两项工作：

        1. **公益性公墓、骨灰堂的覆盖**：每个乡镇（街道）至少一处公益性公墓或骨灰堂（实践规则）；
           没有的乡镇，看 30 分钟车程内能否到达别处的设施，以及这些设施还剩多少穴位/格位。
        2. **“三沿五区”坟墓整治台账**：沿铁路、公路（高速、国道、省道）、主要河道两侧一定范围内
           （三沿），以及工业园区、开发区、风景名胜区、文物保护区、水源保护区内（五区）的坟墓，
           按村列出清单，供整治使用（殡葬管理条例第十条）。

        结果：两个工作簿（覆盖表、整治台账）和一张地图。
        """
    ),
    md(SYNTHETIC_NOTE),
    code(setup_code("05_殡葬设施与三沿五区")),
    code(
        UNITS_CODE
        + "\n"
        + dedent(
            """
            cemeteries = demo.cemeteries
            drive = Network.from_lines(demo.roads, mode="drive")
            cemeteries.groupby("cemetery_type").agg(处数=("name", "size"), 容量=("capacity", "sum"),
                                                    已使用=("used", "sum"))
            """
        ).strip()
    ),
    md(
        """
        ## 1. 公益性公墓、骨灰堂的覆盖

        只计公益性公墓和骨灰堂（经营性公墓不计）。先以每个乡镇的代表点计算车程：
        """
    ),
    code(
        """
        cem = mzgeo.cemetery_coverage(cemeteries, townships, network=drive, minutes=30)
        print(cem.townships["status"].value_counts().to_dict())
        to_chinese(cem.unserved[["name", "parent_code", "n_public", "mean_minutes", "n_reachable",
                                 "remaining_reachable", "status"]])
        """
    ),
    md(
        """
        上面的提示还指出：新里陵园、凤溪街道骨灰堂离最近的道路超过 500 米（坐标需要核实），
        桂洲乡、翠河镇的代表点落在山里，也离道路超过 500 米，无法计算车程。
        乡镇面积大、山区路远时，一个代表点本来就不够：改用村社区（按人口加权），可以看出乡镇内有多少人口
        在 30 分钟内：
        """
    ),
    code(
        """
        cem_v = mzgeo.cemetery_coverage(cemeteries, townships, network=drive, minutes=30, demand=demo.villages,
                                        weight_col="population")
        to_chinese(cem_v.unserved[["name", "parent_code", "demand_total", "share_covered", "mean_minutes",
                                   "remaining_reachable", "status"]])
        """
    ),
    md(
        """
        剩余容量（容量 − 已使用）：兴湖镇公益性公墓已超容，永渡镇公益性公墓已满。
        已使用数大于容量的记录在 `.problems` 中提示核实：
        """
    ),
    code(
        """
        public = cem.cemeteries[cem.cemeteries["is_public"]]
        display(to_chinese(public.sort_values("remaining")[["name", "cemetery_type", "capacity", "used",
                                                          "remaining"]].head(6)))
        to_chinese(cem.problems)
        """
    ),
    md(
        """
        ## 2. “三沿五区”排查

        官方文件对“三沿”的表述是“视线范围内”（一重山视线内），没有米数；实际操作中按线路等级设缓冲距离，
        默认值见 `settings.burial_buffer_m`（铁路、高速公路 200 米，国道、省道、主要河道 100 米），可以修改。

        注意“三沿”只针对**主要河道**：示例数据的河流图层有 5 条主要河道和 48 条一般河道，
        一般河道不在缓冲表中，整个河流图层传入时只检查主要河道（下面为清楚起见只传主要河道）。
        道路图层中乡道、村道等不在缓冲表中的等级也不检查。
        """
    ),
    code(
        """
        print("缓冲距离（米）：", {k: v for k, v in settings.burial_buffer_m.items() if not k.isascii()})
        main_rivers = demo.rivers[demo.rivers["river_class"] == "主要河道"]
        check = mzgeo.burial_zone_check(
            demo.graves,
            lines={"道路": demo.roads, "铁路": demo.railways, "主要河道": main_rivers},
            zones=demo.zones,
            units=townships,
        )
        print("排查坟墓", len(check.points), "座，其中违反规定", int(check.points["violates"].sum()), "座")
        to_chinese(check.rules_applied)
        """
    ),
    md(
        """
        每条规则涉及的坟墓数（一座坟墓可能同时违反几条）：
        """
    ),
    code(
        """
        check.violations["rule"].value_counts().rename("坟墓（座）").to_frame()
        """
    ),
    md(
        """
        按村统计（违反座数最多的 10 个村）：
        """
    ),
    code(
        """
        to_chinese(check.by_village.sort_values("n_violating", ascending=False).head(10))
        """
    ),
    md(
        """
        ### 整治台账

        台账每座坟墓一行，按村排列：违反的规则、到最近线路的距离、经纬度（CGCS2000，可直接导入
        手机地图或奥维地图找点），以及留给乡镇填写的“整治措施、完成时限、进展、备注”空列。
        """
    ),
    code(
        """
        ledger = check.ledger.head(10)
        to_chinese(ledger.assign(lon=ledger["lon"].map("{:.6f}".format), lat=ledger["lat"].map("{:.6f}".format)))
        """
    ),
    md(
        """
        ### 情景：缓冲距离放宽

        如果本地把高速公路、铁路两侧的范围定为 300 米，需要整治的坟墓增加多少？
        """
    ),
    code(
        """
        wider = {**settings.burial_buffer_m, "高速公路": 300.0, "铁路": 300.0}
        check_300 = mzgeo.burial_zone_check(
            demo.graves, lines={"道路": demo.roads, "铁路": demo.railways, "主要河道": main_rivers},
            zones=demo.zones, buffers_m=wider, units=townships,
        )
        print("默认距离：", int(check.points["violates"].sum()), "座；高速、铁路放宽到 300 米：",
              int(check_300.points["violates"].sum()), "座")
        """
    ),
    md(
        """
        ## 3. 地图

        紫色菱形为公墓、骨灰堂；红色区域为本乡镇没有公益性公墓/骨灰堂、且 30 分钟车程内未能覆盖全部人口的乡镇；
        管控区（五区）和需整治的坟墓（红点）可在图层控制中打开。
        """
    ),
    code(
        """
        unserved = townships[townships["code"].isin(cem_v.unserved["code"])]
        violating = check.points[check.points["violates"]]

        m = maps.base_map(townships, units=counties, title="公益性公墓覆盖与三沿五区坟墓（示例数据）")
        maps.add_uncovered(m, unserved, name=f"本乡镇无公益性公墓/骨灰堂、30分钟内未全覆盖（{len(unserved)}）")
        maps.add_units(m, demo.zones, name="管控区（五区）", labels=False)
        maps.add_facilities(m, cemeteries)
        maps.add_uncovered(m, violating, name=f"需整治的坟墓（{len(violating)}）",
                           popup_cols={"grave_id": "坟墓编号", "village": "所在村", "rules": "违反规则"}, show=False)
        map_path = maps.save(m, OUT / "殡葬设施与三沿五区.html")
        print("地图：", map_path)
        show_map(map_path)
        """
    ),
    md(
        """
        ## 4. 工作簿
        """
    ),
    code(
        """
        files = [
            cem_v.to_excel(OUT / "公益性公墓覆盖.xlsx"),
            check.to_excel(OUT / "三沿五区坟墓整治台账.xlsx"),
            check.to_gpkg(OUT / "三沿五区坟墓.gpkg"),
        ]
        for f in files:
            print(f)
        """
    ),
]
