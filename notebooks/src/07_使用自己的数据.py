"""Cells of ``07_使用自己的数据.ipynb`` (07 own data); built by ``notebooks/_make_notebooks.py``."""

from __future__ import annotations

from _cells import code, md, setup_code


CELLS = [
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
