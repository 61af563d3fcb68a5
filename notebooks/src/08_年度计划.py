"""Cells of ``08_年度计划.ipynb`` (08 年度计划：计划文件、年度任务台账、年度比较); built by ``notebooks/_make_notebooks.py``."""

from __future__ import annotations

from _cells import code, md, setup_code, SYNTHETIC_NOTE


CELLS = [
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
