"""The one label table: English column key → Chinese label (with units), and number formats.

Every table a planner reads gets its headers here: Excel workbooks (:mod:`mzgeo.report.excel`),
map popups, tooltips and legends (:mod:`mzgeo.maps`) and the inspection register of
:mod:`mzgeo.boundary`. A key has one label everywhere (``minutes`` is 出行时间（分钟） in a
sheet and on a map); the few columns whose meaning depends on the table they sit in
(``status`` of a boundary marker is its 界桩状况) get it from :data:`KIND_LABELS`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "ACCESS_METHOD_SHORT",
    "FORMATS",
    "KIND_LABELS",
    "LABELS",
    "PARAM_LABELS",
    "label",
    "number_format",
]

#: English column name → Chinese header (with units). Add new columns here, grouped by module.
LABELS: dict[str, str] = {
    # --- layers ---------------------------------------------------------------------------
    "code": "代码",
    "code12": "统一区划代码",
    "name": "名称",
    "level": "级别",
    "parent_code": "上级代码",
    "population": "人口（人）",
    "elderly": "60岁及以上老年人口（人）",
    "urban": "城镇",
    "unit_code": "所属区划代码",
    "unit_name": "所属区划",
    "village_type": "村社区类型",
    "tier": "等级",
    "capacity": "容量",
    "area_m2": "可用面积（平方米）",
    "address": "地址",
    "village": "所在村社区",
    "has_meal": "老年食堂",
    "has_medical": "医养结合",
    "beds": "床位数（张）",
    "nursing_beds": "护理型床位数（张）",
    "ownership": "性质",
    "cemetery_type": "类型",
    "used": "已使用",
    "marker_id": "界桩编号",
    "line_name": "界线名称",
    "marker_type": "界桩类型",
    "year_set": "埋设年份",
    "remarks": "备注",
    "grave_id": "坟墓编号",
    "road_class": "道路等级",
    "lon": "经度",
    "lat": "纬度",
    "x_m": "X坐标（米）",
    "y_m": "Y坐标（米）",
    # --- network / coverage ---------------------------------------------------------------
    "facility": "最近设施",
    "facility_name": "最近设施名称",
    "minutes": "出行时间（分钟）",
    "covered": "是否覆盖",
    "access_m": "到路网距离（米）",
    "status": "状态",
    "demand": "需求量",
    "demand_total": "需求总量",
    "demand_covered": "已覆盖需求量",
    "share_covered": "覆盖率",
    "mean_minutes": "平均出行时间（分钟）",
    "p90_minutes": "90%分位出行时间（分钟）",
    "n_facilities": "设施数（个）",
    "n_points": "需求点数（个）",
    "load": "服务需求量",
    "load_ratio": "负荷率（需求/容量）",
    "cluster": "缺口片区编号",
    # --- beds -----------------------------------------------------------------------------
    "beds_per_1000": "每千名老人床位数（张）",
    "target_per_1000": "目标（张/千名老人）",
    "bed_gap": "床位缺口（张）",
    "nursing_share": "护理型床位占比",
    "nursing_share_target": "护理型床位占比目标",
    "accessible_per_1000": "可达床位（张/千名老人）",
    # --- coverage / beds / shelters / burial (issue 4: coverage.py, beds.py, shelters.py,
    # --- burial.py, _results.py) -------------------------------------------------------------
    "load_covered": "时限内服务需求量",
    "route_status": "路网匹配状态",
    "demand_unreachable": "无法到达设施的需求量",
    "threshold_minutes": "时间阈值（分钟）",
    "members": "包含需求点",
    "unit": "计入区划代码",
    "unit_source": "区划匹配方式（code 代码 / spatial 位置）",
    "severity": "严重程度",
    "problem": "问题类型",
    "layer": "图层",
    "item": "对象编号",
    "message": "问题说明",
    "n_institutions": "养老机构数（家）",
    "elderly_source": "老年人口来源",
    "beds_to_add": "需新增床位（张，向上取整）",
    "nursing_status": "护理型床位占比是否达标",
    "accessible_per_person": "可达资源（每人）",
    "n_reachable": "时限内可达设施数（个）",
    "supply_within": "时限内可达床位数（张，不加权）",
    "supply": "供给量（床位，张）",
    "catchment_demand": "服务范围内需求量（人，加权）",
    "supply_ratio_per_1000": "供需比（张/千名老人）",
    "demand_no_access": "时限内无床位可达的需求量（人）",
    "difference_per_1000": "可达口径 − 行政口径（张/千名老人）",
    "admin_ok": "行政口径达标",
    "access_ok": "可达口径达标",
    "verdict": "判断",
    "persons": "需安置人数（人）",
    "sheltered": "时限内可安置人数（人）",
    "shortfall": "安置缺口（人）",
    "share_sheltered": "可安置比例",
    "persons_no_reach": "时限内无场所可达人数（人）",
    "within_limit": "最近场所在时限内",
    "reachable_in_limit": "时限内有场所可达",
    "capacity_source": "容量来源",
    "capacity_total": "总容量（人）",
    "min_capacity": "该级最低容量（人）",
    "below_min": "低于最低容量",
    "assigned": "分配安置人数（人）",
    "utilisation": "容量使用率",
    "nearest_load": "就近安置需求（人）",
    "oversubscribed": "就近需求超容",
    "n_shelters": "场所数（个）",
    "n_below_min": "低于最低容量的场所数（个）",
    "area_capacity": "按面积折算容量（人）",
    "area_short": "容量超过面积折算",
    "n_area_short": "容量超过面积折算的场所数（个）",
    "n_oversubscribed": "就近超容场所数（个）",
    "persons_within": "时限内可达该级场所人数（人）",
    "share_within": "时限内可达该级场所比例",
    "person_minutes": "总出行时间（人·分钟）",
    "origin": "需求点编号",
    "shelter": "场所编号",
    "shelter_name": "场所名称",
    "own_centres": "本村社区照料中心数（个）",
    "has_own": "本村社区有照料中心",
    "gap": "无中心且时限内不可达",
    "minutes_meal": "到最近老年食堂（分钟）",
    "covered_meal": "老年食堂时限内可达",
    "minutes_medical": "到最近医养结合中心（分钟）",
    "covered_medical": "医养结合中心时限内可达",
    "matched_village": "所属村社区（匹配）",
    "match_method": "匹配方式",
    "n_villages": "村社区数（个）",
    "n_covered": "覆盖村社区数（个）",
    "share_villages_covered": "村社区覆盖率",
    "n_without_own": "无照料中心村社区数（个）",
    "n_gaps": "无中心且不可达村社区数（个）",
    "n_centres": "照料中心数（个）",
    "n_meal": "有老年食堂的中心数（个）",
    "n_medical": "医养结合中心数（个）",
    "n_covered_meal": "老年食堂可达村社区数（个）",
    "n_covered_medical": "医养结合可达村社区数（个）",
    "is_public": "公益性（计入覆盖）",
    "remaining": "剩余容量（穴/格位）",
    "n_public": "公益性公墓/骨灰堂数（个）",
    "remaining_reachable": "时限内可达剩余容量（穴/格位）",
    "point": "点位编号",
    "rule_group": "类别（三沿/五区/禁葬区）",
    "feature_class": "地物类别",
    "feature_name": "地物名称",
    "distance_m": "距离（米）",
    "buffer_m": "缓冲距离（米）",
    "n_features": "要素数（个）",
    "rules": "违反规则",
    "min_distance_m": "最近距离（米）",
    "n_violating": "位于禁葬区域数（个）",
    "share_violating": "位于禁葬区域比例",
    "grave_ids": "位于禁葬区域的坟墓编号",
    "seq": "序号",
    "action": "整治措施",
    "deadline": "完成时限",
    "progress": "完成情况",
    # --- end of issue 4 block ----------------------------------------------------------------
    # --- boundary inspection (issue 6: boundary.py, _boundary_*.py) --------------------------
    "side_a_name": "甲方",
    "side_a_code": "甲方代码",
    "side_b_name": "乙方",
    "side_b_code": "乙方代码",
    "length_m": "长度（米）",
    "length_km": "长度（千米）",
    "n_parts": "段数",
    "junctions": "三交点",
    "name_rule": "命名方式",
    "name_note": "命名说明",
    "line_code": "界线代码",
    "junction_name": "三交点名称",
    "n_units": "交汇单元数（个）",
    "unit_codes": "交汇单元代码",
    "unit_names": "交汇单元",
    "line_names": "相关界线",
    "spread_m": "线端离散距离（米）",
    "kind": "类型",
    "sliver_area_m2": "面积（平方米）",
    "sliver_width_m": "平均宽度（米）",
    "assigned_by": "界线归属依据",
    "chainage_km": "里程（千米）",
    "offset_m": "偏离界线（米）",
    "off_line": "偏离超限",
    "id_line_code": "编号中的界线代码",
    "sequence": "序号",
    "type_code": "类型码",
    "type_name": "编号中的界桩类型",
    "id_valid": "编号符合 GB/T 17796",
    "valid": "有效",
    "type_mismatch": "类型不符",
    "line_code_mismatch": "界线代码不符",
    "duplicate": "编号重复",
    "out_of_order": "顺序颠倒",
    "missing_before": "之前缺少的序号",
    "measured_x": "实测X（米）",
    "measured_y": "实测Y（米）",
    "measured_lon": "实测经度",
    "measured_lat": "实测纬度",
    "displacement_m": "位移（米）",
    "displaced": "位移超限",
    "finding": "检查结果",
    "flagged": "需核查",
    "from_km": "起点里程（千米）",
    "to_km": "终点里程（千米）",
    "from_marker": "起点界桩",
    "to_marker": "终点界桩",
    "line_code_source": "界线代码来源",
    "n_markers": "界桩数（个）",
    "n_flagged": "需核查的界桩数（个）",
    "numbering": "编号顺序",
    "missing_sequences": "缺少的序号",
    "n_stretches": "无界桩段数（段）",
    "crossing_no": "穿越点序号",
    "crossing_type": "穿越方式",
    "overlap_m": "重合长度（米）",
    "feature_index": "要素序号",
    "n_crossings": "穿越点数（处）",
    "n_data_gaps": "数据缝隙数（处）",
    "data_gap_area_m2": "数据缝隙面积（平方米）",
    "n_data_overlaps": "数据重叠数（处）",
    "data_overlap_area_m2": "数据重叠面积（平方米）",
    "last_inspection": "上次联检年份",
    "next_inspection": "下次联检年份",
    "due": "联检周期状态",
    "overdue_years": "逾期年数",
    "category": "类别",
    "subject": "对象",
    # --- end of issue 6 block ----------------------------------------------------------------
    # --- allocate (issue 5: allocate.py) -----------------------------------------------------
    "rank": "建设次序",
    "site": "设施点编号",
    "site_name": "设施点名称",
    "site_kind": "设施类型（现有/新增）",
    "new_site": "是否新增设施",
    "demand_id": "需求点编号",
    "demand_name": "需求点名称",
    "added_demand": "新增覆盖需求量",
    "added_share": "新增覆盖率",
    "demand_covered_cum": "累计覆盖需求量",
    "share_covered_cum": "累计覆盖率",
    "minutes_saved": "节省出行时间（人·分钟）",
    "demand_assigned": "分配需求量",
    "assigned_share": "分配比例",
    "max_minutes": "最长出行时间（分钟）",
    "n_new_sites": "新增设施数（个）",
    "demand_covered_optimal": "逐个最优：覆盖需求量",
    "share_covered_optimal": "逐个最优：覆盖率",
    "status_optimal": "逐个最优：求解状态",
    "beds_existing": "现有床位（张）",
    "beds_added": "新增床位（张）",
    "beds_total": "调整后床位（张）",
    "beds_added_cum": "累计新增床位（张）",
    "weight": "需求权重",
    "nearest_minutes": "到最近设施（分钟）",
    "reason": "原因",
    # --- end of issue 5 block ----------------------------------------------------------------
    # --- accessibility family (issue 16: access.py) ---------------------------------------
    "weighted_supply": "时限内加权可达床位（张，不计竞争）",
    "raam_cost": "RAAM 综合成本（出行 ÷ τ + 拥挤度，越低越好）",
    "raam_minutes": "RAAM 综合成本折合出行时间（分钟，越低越好）",
    "raam_travel_minutes": "RAAM 分配后平均出行时间（分钟）",
    "assigned_demand": "RAAM 分配需求量（人）",
    "congestion": "拥挤度（分配需求 ÷ ρ·供给）",
    "demand_within": "时限内需求总量（人，需求点之间）",
    "access_rank": "排名（1 为可达性最好）",
    "access_norm": "标准化值（÷ 同级需求加权平均，>1 优于平均）",
    "meets_target": "达到目标",
    "rank_min": "各方法最好排名",
    "rank_max": "各方法最差排名",
    "rank_range": "排名极差（最差 − 最好）",
    "norm_cv": "标准化值变异系数（方法间）",
    "n_methods_meeting": "达标的方法数（个）",
    "n_ratio_methods": "参与达标判断的方法数（个）",
    "status_changes": "达标判断随方法变化",
    # --- map layers and aliases (formerly maps/style.py COLUMN_LABELS) -------------------
    "river_class": "河道等级",
    "rail_class": "铁路等级",
    "zone_type": "区域类型",
    "travel_min": "出行时间（分钟）",
    "time_min": "出行时间（分钟）",
    "minutes_from": "起（分钟）",
    "minutes_to": "止（分钟）",
    "nearest": "最近设施",
    "nearest_facility": "最近设施",
    "covered_demand": "已覆盖需求量",
    "covered_share": "覆盖率",
    "coverage_share": "覆盖率",
    "mean_min": "平均出行时间（分钟）",
    "p90_min": "90%分位出行时间（分钟）",
    "load_share": "负荷率（需求/容量）",
    "access_per_1000": "可达床位（张/千名老人）",
    "accessible_beds_per_1000": "可达床位（张/千名老人）",
    "accessibility": "可达性",
    "gain": "新增覆盖需求量",
    "order": "建设次序",
    "findings": "检查结果",
    "side_a": "甲方",
    "side_b": "乙方",
    "width_m": "平均宽度（米）",
    # --- inspection results register (formerly boundary/checklist.py RESULT_LABELS) -------
    "recorded_x": "登记X坐标（米）",
    "recorded_y": "登记Y坐标（米）",
    "photo_no": "照片编号",
    "reference_objects": "方位物情况",
    "changes": "沿线地形地物变化",
    "construction": "跨界建设",
    "dispute": "争议情况",
    "action_note": "处理意见（现场）",
    "needs_action": "需维修或重测",
    "sheet": "工作表",
    "row": "行号",
    # --- general --------------------------------------------------------------------------
    "rule": "规则",
    "parameter": "参数",
    "value": "取值",
    "description": "说明",
    "source": "依据/来源",
}

#: Short Chinese names of the accessibility methods (sheets, columns, map layers; issue 16).
ACCESS_METHOD_SHORT: dict[str, str] = {
    "2sfca": "2SFCA", "e2sfca": "E2SFCA", "g2sfca": "G2SFCA", "3sfca": "3SFCA", "gravity": "引力模型",
    "fca": "FCA比值", "weighted_catchment": "加权服务量", "raam": "RAAM",
}
# per-method columns of mzgeo.analysis.access.compare_methods: value_<m>, norm_<m>, rank_<m>, meets_<m>
for _m, _short in ACCESS_METHOD_SHORT.items():
    LABELS.update({
        f"value_{_m}": f"{_short} 可达性",
        f"norm_{_m}": f"{_short} 标准化值",
        f"rank_{_m}": f"{_short} 排名",
        f"meets_{_m}": f"{_short} 达标",
    })
LABELS["value_raam"] = "RAAM 综合成本（越低越好）"
LABELS["value_weighted_catchment"] = "加权服务量（张，不计竞争）"
del _m, _short



#: Labels that depend on the table a column sits in: layer kind of a map (``shelters``...) or
#: ``inspection`` for the register read back from filled-in checklists. Falls back to :data:`LABELS`.
KIND_LABELS: dict[str, dict[str, str]] = {
    "shelters": {"capacity": "容纳人数（人）", "tier": "场所等级"},
    "cemeteries": {"capacity": "容量（穴/格位）", "used": "已使用（穴/格位）"},
    "inspection": {"status": "界桩状况", "action": "建议措施"},
}


def label(column: str, kind: str | None = None) -> str:
    """Chinese label of a column (the column itself when no label is known).

    Parameters
    ----------
    column : str
        English column key.
    kind : str, optional
        Table the column sits in (a map layer kind, or ``"inspection"``), see :data:`KIND_LABELS`.

    Returns
    -------
    str

    Examples
    --------
    >>> label("minutes"), label("status"), label("status", "inspection"), label("my_col")
    ('出行时间（分钟）', '状态', '界桩状况', 'my_col')
    """
    if kind is not None:
        special = KIND_LABELS.get(kind)
        if special and column in special:
            return special[column]
    return LABELS.get(column, column)


#: Parameter key → (Chinese description, source/status) for the applied-parameters sheet.
PARAM_LABELS: dict[str, tuple[str, str]] = {
    "minutes": ("出行时间阈值（分钟）", "参数"),
    "weight": ("需求权重字段", "参数"),
    "mode": ("出行方式（walk 步行 / drive 驾车）", "参数"),
    "walk_speed_mps": ("老年人步行速度（米/秒）", "实践值 0.9–1.0 m/s，可调整"),
    "access_speed_mps": ("到路网的步行速度（米/秒）", "参数"),
    "max_snap_m": ("到路网最大距离（米）", "参数"),
    "target_per_1000": ("每千名老人床位数目标（张）", "湖州 2018 年目标 37.5；GB 50437-2018 要求 ≥ 40"),
    "nursing_share_target": ("护理型床位占比目标", "全国 2025 年目标 55%"),
    "cap_by_area": ("容量超过面积折算时按面积核减", "参数"),
    "area_per_person_m2": ("人均安置面积（平方米）", "GB 21734-2008 ≥ 1.5；固定避难场所 GB 50413-2007 ≥ 2"),
    "shelter_min_capacity": ("各级避灾安置场所最低容量（人）", "浙政办发〔2013〕108号"),
    "inspection_cycle_years": ("界线联检周期（年）", "民政部联检规定：每 5 年一次"),
    # --- coverage / beds / shelters / burial (issue 4) --------------------------------------
    "rule": ("适用规则", "见 docs/planning_rules.md"),
    "travel_costs": ("出行时间来源", "路网最短路径或用户提供的成本表"),
    "network_source": ("路网来源", "参数"),
    "drive_speed_kph": ("各级道路车速（千米/小时）", "settings.drive_speed_kph，可调整"),
    "default_drive_speed_kph": ("未列出道路等级的车速（千米/小时）", "参数"),
    "cluster_radius_m": ("缺口片区聚类距离（米）", "实践值，可调整"),
    "capacity_col": ("设施容量字段", "参数"),
    "level": ("汇总级别", "参数"),
    "assign_by": ("机构归属区划的判定方式", "参数"),
    "method": ("可达性计算方法", "Luo & Wang 2003；Luo & Qi 2009；Dai 2010；与 PySAL access 一致"),
    "weights": ("E2SFCA 分段权重", "Luo & Qi 2009（1 / 0.68 / 0.22）"),
    "sigma_minutes": ("G2SFCA 高斯衰减宽度 σ（分钟）", "默认取时间阈值的一半，可调整"),
    "supply_col": ("供给字段", "参数"),
    "demand_col": ("需求字段", "参数"),
    "per_1000": ("按每千人计", "参数"),
    "persons_col": ("需安置人数字段", "参数"),
    "share_to_shelter": ("需安置人口比例", "参数；1 = 全部居民"),
    "tier_minutes": ("各级场所时间阈值（分钟）", "参数"),
    "solver": ("求解器", "HiGHS 线性规划"),
    "minutes_urban": ("城镇社区步行阈值（分钟）", "15 分钟养老服务圈（全国）"),
    "minutes_rural": ("农村步行阈值（分钟）", "实践值 20 分钟，可调整"),
    "cemetery_types": ("计入覆盖的公墓类型", "实践规则：每个乡镇至少一处公益性公墓或骨灰堂"),
    "demand": ("需求点/权重", "参数"),
    "burial_buffer_m": ("三沿缓冲距离（米，按线类别）", "实践值（官方表述为“一重山视线内”），可调整"),
    "zone_types": ("检查的禁葬区域类型", "殡葬管理条例第十条；三沿五区"),
    "n_facilities": ("设施数（个）", "输入数据"),
    "n_demand": ("需求点数（个）", "输入数据"),
    "n_institutions": ("养老机构数（家）", "输入数据"),
    "n_units": ("行政区单元数（个）", "输入数据"),
    "n_supply": ("供给设施数（个）", "输入数据"),
    "n_pairs_within": ("时限内可达的需求点-设施配对数", "计算结果"),
    "n_shelters": ("避灾安置场所数（个）", "输入数据"),
    "n_centres": ("照料中心数（个）", "输入数据"),
    "n_villages": ("村社区数（个）", "输入数据"),
    "n_cemeteries": ("公墓/骨灰堂数（个）", "输入数据"),
    "n_public": ("公益性公墓/骨灰堂数（个）", "输入数据"),
    "n_points": ("点位数（个）", "输入数据"),
    "n_violating": ("位于禁葬区域的点位数（个）", "计算结果"),
    "n_lines": ("检查的线状要素数（条）", "输入数据"),
    "n_zones": ("检查的区域面数（个）", "输入数据"),
    # --- end of issue 4 block ----------------------------------------------------------------
    # --- boundary inspection (issue 6) -------------------------------------------------------
    "tolerance_m": ("界线匹配容差（米）", "settings.boundary_tolerance_m，实践值，可调整"),
    "min_length_m": ("最短界线段（米，更短的视为噪声）", "默认等于匹配容差"),
    "min_area_m2": ("报告的最小缝隙/重叠面积（平方米）", "参数"),
    "unit_level": ("行政区级别", "参数"),
    "n_outer_units": ("外侧相邻单元数（个）", "输入数据"),
    "naming_rule": ("界线命名规则", "惯例：两侧简称连接，如吴南线、南德线、嘉湖线"),
    "chainage_rule": ("里程方向", "mzgeo 约定"),
    "offset_tolerance_m": ("界桩偏离界线容差（米）", "settings.marker_offset_tolerance_m，可调整"),
    "max_gap_km": ("无界桩段长度上限（千米）", "settings.marker_max_gap_km，可调整"),
    "displacement_tolerance_m": ("界桩位移容差（米）", "settings.marker_displacement_tolerance_m，可调整"),
    "marker_id_rule": ("界桩编号规则", "GB/T 17796-2009"),
    "year": ("联检年份", "参数"),
    "implausible_m": ("实测坐标可信范围（米）", "超过即提示可能录入错误"),
    "files": ("读取的检查表文件", "输入数据"),
    # --- end of issue 6 block ----------------------------------------------------------------
    # --- allocate (issue 5: allocate.py) -----------------------------------------------------
    "model": ("选址模型", "lscp 最少设施全覆盖 / mclp 最大覆盖 / pmedian 总时间最小 / pcenter 最远时间最小 / cmclp 容量约束最大覆盖 / beds 床位布局"),
    "model_name": ("模型名称", "参数"),
    "p": ("新增设施数（个）", "参数"),
    "n_existing": ("现有设施数（必选，不计入 p）", "输入数据"),
    "n_candidates": ("候选点数（个）", "输入数据"),
    "n_pairs": ("需求点-设施可达配对数", "计算结果"),
    "cost_source": ("出行时间计算方式（network 路网 / cost 成本表 / straight_line 直线）", "参数"),
    "time_limit_s": ("求解时间上限（秒）", "参数；达到上限时返回当前最好解及其间隙"),
    "mip_gap": ("允许的相对最优间隙", "参数；0 表示证明最优"),
    "curve": ("覆盖曲线算法（greedy 最优解内贪心排序 / optimal 每个 k 单独求最优）", "参数"),
    "status": ("求解状态（HiGHS）", "Optimal = 已证明最优；Time limit reached = 达到时间上限"),
    "objective": ("目标函数值", "计算结果"),
    "bound": ("最优值界（对偶界）", "计算结果"),
    "gap": ("相对最优间隙", "计算结果；0 表示已证明最优"),
    "solve_time_s": ("求解用时（秒）", "计算结果"),
    "highs_time_s": ("其中 HiGHS 用时（秒）", "计算结果"),
    "build_time_s": ("建模用时（秒）", "计算结果"),
    "demand_fixed_by_existing": ("已被现有设施覆盖的需求量", "计算结果"),
    "n_infeasible": ("任何设施都无法到达的需求点数（个）", "计算结果"),
    "n_rows_model": ("模型中的需求组数（合并候选集相同的需求点后）", "模型约简"),
    "n_rows_merged": ("合并掉的需求点数（个）", "模型约简"),
    "n_candidates_model": ("模型中的候选点数（去掉被支配候选点后）", "模型约简"),
    "n_candidates_dominated": ("被支配而去掉的候选点数（个）", "模型约简：覆盖集合是另一候选点子集"),
    "n_rows_before_reduction": ("约简前的需求点数（个）", "模型约简"),
    "n_candidates_before_reduction": ("约简前的候选点数（个）", "模型约简"),
    "reductions": ("模型约简（行：需求点 → 需求组；列：候选点 → 保留的候选点）", "模型约简"),
    "proven_optimal": ("是否已证明最优（真实间隙 ≤ 1e-9）", "计算结果；达到时间上限或允许间隙时为否"),
    "lp_bound": ("线性规划松弛的上界", "计算结果（内点法）"),
    "lp_rounding_objective": ("线性规划解取整加交换后的目标值", "热启动"),
    "lagrangian_bound_reduced": ("拉格朗日上界（约简后模型）", "计算结果"),
    "n_fixed_closed": ("拉格朗日定界固定不选的候选点数（个）", "模型约简：选它不可能得到更好的解"),
    "n_fixed_open": ("拉格朗日定界固定选中的候选点数（个）", "模型约简：不选它不可能得到更好的解"),
    "n_rows_branch_and_bound": ("分支定界模型的需求组数", "模型约简"),
    "n_candidates_branch_and_bound": ("分支定界模型的候选点数", "模型约简"),
    "bound_trace": ("求解过程中的界（秒, 对偶界, 当前最好解）", "计算结果；HiGHS 回调每 5 秒记录一次"),
    "greedy_objective": ("贪心解目标值", "热启动"),
    "warm_start_objective": ("贪心加交换改进后的目标值", "热启动"),
    "warm_start_time_s": ("热启动用时（秒）", "计算结果"),
    "greedy_sites": ("贪心解设施数（个）", "热启动"),
    "n_pairs_model": ("模型中的分配变量数", "计算结果"),
    "mean_minutes": ("加权平均出行时间（分钟）", "计算结果"),
    "bisection_probes": ("二分搜索次数", "p-中心求解"),
    "radius_candidates": ("候选半径（不同出行时间）个数", "p-中心求解"),
    "lower_bound_minutes": ("最远出行时间的下界（分钟）", "p-中心求解"),
    "covered_before": ("现有床位下床位充足的老人数（人）", "计算结果"),
    "beds_added_total": ("新增床位合计（张）", "计算结果"),
    "beds_to_add": ("可新增床位总数（张）", "参数；默认为各区划床位缺口之和"),
    "elderly_per_bed": ("每张床位服务老人数（人，= 1000 ÷ 目标）", "由每千名老人床位目标换算"),
    "min_new_beds": ("新建机构最少床位（张）", "参数"),
    "per_unit": ("各区划新增床位不超过本区划缺口", "参数"),
    "n_unit_rows": ("分区划床位约束数（个）", "计算结果"),
    "n_new_institutions": ("新建养老机构数（处）", "计算结果"),
    "single_source": ("每个需求点只分配给一个设施", "参数"),
    # --- end of issue 5 block ----------------------------------------------------------------
    # --- accessibility family (issue 16: access.py) ---------------------------------------
    "value_col": ("可达性数值字段", "计算结果"),
    "methods": ("比较的可达性方法", "参数"),
    "selection_minutes": ("3SFCA 选择权重的时间范围（分钟）", "Wan et al. 2012 取服务范围；PySAL access 取成本表全部配对"),
    "gravity_alpha": ("引力模型距离衰减指数 α", "参数；-1 为出行时间的倒数"),
    "gravity_scale_minutes": ("引力模型尺度（分钟）", "参数；在比值中约去"),
    "gravity_min_minutes": ("引力模型最短计算时间（分钟）", "参数；更短的出行按此计，避免 0 分钟时权重无穷大"),
    "neighbor_costs": ("需求点之间的出行时间来源", "FCA 比值法"),
    "tau": ("RAAM τ：与平均拥挤度等价的出行时间（分钟）", "Saxon & Snow 2020；PySAL access 默认 60"),
    "rho": ("RAAM ρ：拥挤度尺度（总需求 ÷ 总供给）", "默认取全域平均供需比"),
    "max_cycles": ("RAAM 最多迭代轮数", "PySAL access 默认 150"),
    "initial_step": ("RAAM 初始调整步长（需求点需求的比例；整数为人数）", "PySAL access 默认 0.2"),
    "half_life": ("RAAM 步长半衰期（轮）", "PySAL access 默认 50"),
    "min_step": ("RAAM 最小步长", "PySAL access 默认 0.005"),
    "raam_cycles": ("RAAM 实际迭代轮数", "计算结果"),
    "raam_final_step": ("RAAM 最后一轮步长", "计算结果"),
    "raam_moved_last_cycle": ("RAAM 最后一轮调整人数（人）", "计算结果；0 为已收敛"),
    "raam_converged": ("RAAM 是否收敛（一轮内无人调整）", "计算结果"),
}



#: Number formats of Excel cells, by kind of column (see :func:`number_format`).
FORMATS: dict[str, str] = {
    "percent": "0.0%",
    "ratio": "0.00",
    "minutes": "0.0",
    "count": "#,##0",
    "count_fraction": "#,##0.0",
    "distance": "#,##0.0",
    "km": "0.00",
    "degrees": "0.000000",
    "coordinate": "0.00",
    "small": "0.0000",
    "float": "0.00",
}

_PERCENT = {"utilisation", "load_ratio", "gap_share"}
_COUNTS = {
    "population", "elderly", "beds", "nursing_beds", "capacity", "persons", "sheltered", "shortfall",
    "demand", "demand_total", "demand_covered", "demand_unreachable", "demand_no_access", "demand_assigned",
    "demand_covered_cum", "demand_covered_optimal", "added_demand", "load", "load_covered", "supply",
    "supply_within", "catchment_demand", "remaining", "remaining_reachable", "bed_gap", "beds_to_add",
    "beds_existing", "beds_added", "beds_total", "beds_added_cum", "assigned", "nearest_load",
    "persons_no_reach", "persons_within", "capacity_total", "min_capacity", "area_capacity", "used",
    "own_centres", "minutes_saved", "person_minutes", "weight",
}
_DEGREES = {"lon", "lat", "measured_lon", "measured_lat"}
_COORDS = {"x_m", "y_m", "measured_x", "measured_y"}
_SMALL = {"accessible_per_person"}
_PLAIN = {"code", "parent_code", "unit_code", "year_set", "year", "last_inspection", "next_inspection",
          "overdue_years", "seq", "sequence", "rank", "cluster", "crossing_no", "feature_index", "type_code",
          "item", "origin", "point", "site", "shelter", "facility", "n_parts", "n_units"}
_KEY_OF_LABEL: dict[str, str] = {}


def number_format(column: str, values: pd.Series | None = None) -> str | None:
    """Excel number format of a column, chosen by its English key (``None`` = General).

    Shares (``share_*``, ``*_share``, ``*_pct``, ``utilisation``, ``load_ratio``) as ``0.0%``;
    per-1,000 ratios (``*per_1000*``) as ``0.00``; minutes (``*minutes*``) as ``0.0``; counts
    (``n_*``, population, beds, capacity, demand...) as ``#,##0`` (``#,##0.0`` when some value
    has a fraction); distances in metres (``*_m``) and areas (``*_m2``) as ``#,##0.0``;
    kilometres as ``0.00``; degrees as ``0.000000``; codes, years and sequence numbers as
    General; any other decimal column as ``0.00``. Columns that are not numbers get ``None``.

    Parameters
    ----------
    column : str
        English column key (a Chinese header of :data:`LABELS` is mapped back to its key).
    values : pandas.Series, optional
        The column, to check its type (numbers only) and whether counts have fractions.

    Returns
    -------
    str or None

    Examples
    --------
    >>> number_format("share_covered"), number_format("beds_per_1000"), number_format("mean_minutes")
    ('0.0%', '0.00', '0.0')
    """
    if not _KEY_OF_LABEL:
        for key, text in LABELS.items():
            _KEY_OF_LABEL.setdefault(text, key)
    key = _KEY_OF_LABEL.get(str(column), str(column))
    is_float = True
    if values is not None:
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            return None
        is_float = pd.api.types.is_float_dtype(values)
    if key in _PLAIN or key.endswith("_code") or key.endswith("_id"):
        return None
    if key in _PERCENT or key.startswith("share_") or key.endswith("_share") or "pct" in key \
            or key.endswith("_share_target") or key.startswith("share"):
        return FORMATS["percent"]
    if "per_1000" in key:
        return FORMATS["ratio"]
    if key in _SMALL:
        return FORMATS["small"]
    if key in _COUNTS or key.startswith("n_"):
        if values is not None and is_float:
            v = values.to_numpy(dtype="float64", na_value=np.nan)
            v = v[np.isfinite(v)]
            if len(v) and not np.allclose(v, np.round(v)):
                return FORMATS["count_fraction"]
        return FORMATS["count"]
    if "minutes" in key:
        return FORMATS["minutes"]
    if key in _DEGREES:
        return FORMATS["degrees"]
    if key in _COORDS:
        return FORMATS["coordinate"]
    if key.endswith("_km"):
        return FORMATS["km"]
    if key.endswith("_m") or key.endswith("_m2"):
        return FORMATS["distance"]
    return FORMATS["float"] if is_float else None
