"""The planning data model: layer kinds, their schemas and the column alias table.

A *layer* is a GeoDataFrame of a known kind whose columns carry the canonical English
names below (extra columns are kept as they are). Files from planners use Chinese or
English headers; :data:`ALIASES` maps every accepted header to its canonical name.
``gdf.attrs["mzgeo_kind"]`` records the kind and ``gdf.attrs["mzgeo_source"]`` where the
data came from (``"示例数据（合成）"`` for synthetic demo layers).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import pandas as pd

from .errors import InputError

__all__ = [
    "ALIASES",
    "BOOLEAN_COLUMNS",
    "FALSE_VALUES",
    "KINDS",
    "KIND_ALIASES",
    "TEXT_COLUMNS",
    "TRUE_VALUES",
    "VALUE_ALIASES",
    "LayerSpec",
    "alias_table",
    "aliases_for",
    "canonical_column",
    "canonical_value",
    "get_spec",
    "kind_of",
    "normalise_categories",
    "parse_booleans",
    "resolve_columns",
    "set_kind",
]


@dataclass(frozen=True)
class LayerSpec:
    """Schema of one layer kind.

    Attributes
    ----------
    key : str
        English key (``"shelters"``).
    name_zh : str
        Chinese name (``"避灾安置场所"``).
    geometry : str
        ``"point"``, ``"polygon"`` or ``"line"``.
    required : tuple of str
        Canonical columns that must be present.
    optional : tuple of str
        Canonical columns used when present.
    numeric : tuple of str
        Columns that must be numbers ≥ 0.
    unique : tuple of str
        Columns whose values must not repeat.
    categories : dict
        Allowed values per column (after alias mapping of the values).
    table_ok : bool
        A table of this kind may come without coordinates (e.g. a projects ledger that names
        county and township only): it is read with empty geometries instead of an error.
    """

    key: str
    name_zh: str
    geometry: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    table_ok: bool = False


#: The layer kinds (English key → spec).
KINDS: dict[str, LayerSpec] = {
    s.key: s
    for s in [
        LayerSpec(
            "units", "行政区", "polygon",
            required=("code", "name"),
            optional=("level", "parent_code", "population", "elderly", "urban"),
            numeric=("population", "elderly"),
            unique=("code",),
            categories={"level": ("市", "区县", "乡镇街道", "村社区")},
        ),
        LayerSpec(
            "villages", "村社区点", "point",
            required=("name",),
            optional=("code", "unit_code", "village_type", "population", "elderly", "urban"),
            numeric=("population", "elderly"),
            unique=("code",),
            categories={"village_type": ("村", "社区")},
        ),
        LayerSpec(
            "shelters", "避灾安置场所", "point",
            required=("name",),
            optional=("code", "tier", "capacity", "area_m2", "address", "unit_code"),
            numeric=("capacity", "area_m2"),
            unique=("code",),
            categories={"tier": ("县级", "乡镇级", "村级")},
        ),
        LayerSpec(
            "daycare", "居家养老服务照料中心", "point",
            required=("name",),
            optional=("code", "village", "unit_code", "has_meal", "has_medical", "address"),
            unique=("code",),
        ),
        LayerSpec(
            "institutions", "养老机构", "point",
            required=("name", "beds"),
            optional=("code", "nursing_beds", "ownership", "address", "unit_code"),
            numeric=("beds", "nursing_beds"),
            unique=("code",),
            categories={"ownership": ("公办", "民办", "公建民营")},
        ),
        LayerSpec(
            "cemeteries", "公墓/骨灰堂", "point",
            required=("name",),
            optional=("code", "cemetery_type", "capacity", "used", "address", "unit_code"),
            numeric=("capacity", "used"),
            unique=("code",),
            categories={"cemetery_type": ("经营性公墓", "公益性公墓", "骨灰堂")},
        ),
        LayerSpec(
            "markers", "界桩", "point",
            required=("marker_id",),
            optional=("line_name", "marker_type", "year_set", "remarks"),
            numeric=("year_set",),
            unique=("marker_id",),
            categories={"marker_type": ("单立", "双立", "三立")},
        ),
        LayerSpec(
            "graves", "坟墓/散埋点", "point",
            required=("grave_id",),
            optional=("village", "unit_code", "remarks"),
            unique=("grave_id",),
        ),
        LayerSpec(
            "roads", "道路", "line",
            required=(),
            optional=("name", "road_class", "speed_kph", "oneway", "bridge"),
            numeric=("speed_kph",),
        ),
        LayerSpec(
            "rivers", "河流", "line",
            required=(),
            optional=("name", "river_class"),
        ),
        LayerSpec(
            "railways", "铁路", "line",
            required=(),
            optional=("name", "rail_class"),
        ),
        LayerSpec(
            "zones", "禁葬区/管控区", "polygon",
            required=(),
            optional=("name", "zone_type"),
        ),
        LayerSpec(
            "projects", "项目", "point",
            required=("name", "project_type", "planned", "year", "status"),
            optional=("code", "county", "township", "unit_code", "village", "facility_code", "tier",
                      "start_date", "finish_date", "delivered", "nursing_delivered", "remarks"),
            numeric=("planned", "year", "delivered", "nursing_delivered"),
            unique=("code",),
            categories={"project_type": ("避灾安置场所", "居家养老服务照料中心", "养老机构床位", "骨灰堂", "公墓", "坟墓治理")},
            table_ok=True,
        ),
    ]
}

#: Accepted column headers (lower-cased, spaces stripped) → canonical column name.
#: ``lon``/``lat`` are the point coordinate columns of tables without geometry.
ALIASES: dict[str, str] = {}

_ALIAS_GROUPS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "name", "名字", "机构名称", "场所名称", "单位名称", "中心名称", "村社区名称", "村名", "行政区名称", "区划名称",
             "道路名称", "路名", "河流名称", "河名", "铁路名称", "线路名称", "区域名称", "公墓名称"),
    "code": ("代码", "code", "编码", "编号", "id", "区划代码", "统一区划代码", "行政区划代码", "adcode"),
    "level": ("级别", "层级", "level", "行政级别"),
    "parent_code": ("上级代码", "上级区划代码", "parent_code", "parent", "父级代码"),
    "population": ("人口", "总人口", "户籍人口", "常住人口", "population", "pop"),
    "elderly": ("老年人口", "60岁以上人口", "60岁及以上人口", "老人数", "elderly", "pop60", "elderly_60"),
    "urban": ("城乡", "是否城镇", "urban", "城镇"),
    "unit_code": ("所属区划代码", "所属行政区代码", "乡镇代码", "unit_code", "township_code"),
    "village_type": ("村社区类型", "类型_村社区", "村社区", "village_type"),
    "tier": ("等级", "层级_场所", "场所等级", "tier", "级别_场所"),
    "capacity": ("容纳人数", "可容纳人数", "容量", "capacity", "设计容量", "穴位数", "格位数"),
    "area_m2": ("可用面积", "使用面积", "面积", "有效面积", "area", "area_m2", "可用面积(m2)", "可用面积（㎡）"),
    "address": ("地址", "详细地址", "address", "addr"),
    "village": ("所在村社区", "所属村社区", "村社区名称_所在", "village", "所属村"),
    "has_meal": ("老年食堂", "是否有老年食堂", "助餐服务", "has_meal", "meal"),
    "has_medical": ("医养结合", "医疗合作", "是否医养结合", "has_medical", "medical"),
    "beds": ("床位数", "床位", "总床位", "总床位数", "beds", "bed"),
    "nursing_beds": ("护理型床位", "护理型床位数", "nursing_beds", "nursing"),
    "ownership": ("性质", "运营方式", "所有制", "ownership", "operation", "举办性质"),
    "cemetery_type": ("公墓类型", "类型", "cemetery_type", "type"),
    "used": ("已使用", "已用", "已安葬", "used"),
    "marker_id": ("界桩编号", "界桩号", "marker_id", "桩号"),
    "line_name": ("界线名称", "所属界线", "界线", "line_name", "line"),
    "marker_type": ("界桩类型", "桩型", "marker_type"),
    "year_set": ("埋设年份", "设立年份", "year_set", "year"),
    "remarks": ("备注", "remarks", "remark", "说明"),
    "grave_id": ("坟墓编号", "编号_坟墓", "grave_id", "墓号"),
    "road_class": ("道路等级", "等级_道路", "道路类型", "road_class", "class", "highway", "fclass"),
    "speed_kph": ("速度", "设计速度", "限速", "speed", "speed_kph", "maxspeed"),
    "oneway": ("单行", "是否单行", "oneway"),
    "bridge": ("桥梁", "是否桥梁", "bridge"),
    "river_class": ("河道等级", "river_class"),
    "rail_class": ("铁路等级", "rail_class"),
    "zone_type": ("区域类型", "管控类型", "zone_type"),
    # projects (年度任务台账)
    "project_type": ("项目类型", "任务类型", "project_type"),
    "county": ("区县", "所属区县", "县区", "county"),
    "township": ("乡镇街道", "所属乡镇", "乡镇", "township"),
    "facility_code": ("设施编号", "机构编号", "对应设施编号", "facility_code"),
    "planned": ("计划数量", "任务数量", "计划数", "计划床位数", "planned"),
    "year": ("年份", "年度", "计划年度"),
    "status": ("状态", "项目状态", "建设状态", "进度", "status"),
    "start_date": ("开工日期", "动工日期", "开工时间", "start_date"),
    "finish_date": ("完工日期", "竣工日期", "完工时间", "finish_date"),
    "delivered": ("完成数量", "已完成数量", "实际完成", "delivered"),
    "nursing_delivered": ("其中护理型床位", "新增护理型床位", "nursing_delivered"),
    "lon": ("经度", "lon", "lng", "long", "longitude", "x", "东经"),
    "lat": ("纬度", "lat", "latitude", "y", "北纬"),
}


def _key(text: object) -> str:
    """Normalised lookup key: NFKC (full-width → half-width), lower case, no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


for _canon, _names in _ALIAS_GROUPS.items():
    for _n in _names:
        ALIASES.setdefault(_key(_n), _canon)

#: Headers whose meaning depends on the kind (checked before :data:`ALIASES`): a shelters
#: file's "级别" is the shelter tier, a markers file's "编号" is the marker ID.
KIND_ALIASES: dict[str, dict[str, str]] = {
    "shelters": {"级别": "tier", "场所级别": "tier", "避灾场所级别": "tier", "容纳人数": "capacity"},
    "markers": {"编号": "marker_id", "id": "marker_id", "类型": "marker_type", "年份": "year_set"},
    "graves": {"编号": "grave_id", "id": "grave_id", "所在村": "village", "村": "village"},
    "villages": {"类型": "village_type", "村社区": "village_type"},
    "daycare": {"所在村": "village", "村社区": "village"},
    "institutions": {"床位": "beds", "类型": "ownership"},
    "roads": {"等级": "road_class", "类型": "road_class"},
    "rivers": {"等级": "river_class"},
    "railways": {"等级": "rail_class"},
    "zones": {"类型": "zone_type"},
    "projects": {"类型": "project_type", "名称": "name", "项目名称": "name", "年份": "year", "年度": "year",
                 "year": "year", "状态": "status", "护理型床位": "nursing_delivered", "编号": "code",
                 "项目编号": "code"},
}

#: Columns holding identifiers or codes: kept as text (``330502001000`` must not become a
#: float, leading zeros must survive).
TEXT_COLUMNS: tuple[str, ...] = ("code", "unit_code", "parent_code", "marker_id", "grave_id")

#: Yes/no columns; parsed by :func:`parse_booleans` into the nullable ``boolean`` dtype.
BOOLEAN_COLUMNS: tuple[str, ...] = ("has_meal", "has_medical", "urban", "oneway", "bridge")

#: Values read as ``True`` in yes/no columns (compared after :func:`_key` normalisation).
TRUE_VALUES: frozenset[str] = frozenset(
    {"是", "有", "1", "1.0", "y", "yes", "true", "t", "√", "✓", "✔", "对", "已开展", "开展", "具备"}
)
#: Values read as ``False`` in yes/no columns.
FALSE_VALUES: frozenset[str] = frozenset(
    {"否", "无", "0", "0.0", "n", "no", "false", "f", "×", "✗", "✘", "没有", "未开展", "不具备", "-", "/"}
)
_EXTRA_BOOL: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "urban": (
        frozenset({"城镇", "城市", "城区", "城", "社区", "urban"}),
        frozenset({"农村", "乡村", "村", "rural"}),
    ),
}

#: Value aliases for category columns (value as written → canonical value).
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "tier": {
        "县级": "县级", "区县级": "县级", "county": "县级", "县": "县级",
        "乡镇级": "乡镇级", "乡镇": "乡镇级", "街道级": "乡镇级", "乡镇（街道）级": "乡镇级",
        "乡镇/街道级": "乡镇级", "乡镇街道级": "乡镇级", "township": "乡镇级",
        "村级": "村级", "村": "村级", "社区级": "村级", "村（社区）级": "村级", "村/社区级": "村级",
        "村社区级": "村级", "village": "村级",
    },
    "ownership": {"公办": "公办", "public": "公办", "公立": "公办", "民办": "民办", "private": "民办",
                  "社会办": "民办", "民营": "民办", "公建民营": "公建民营", "ppp": "公建民营"},
    "village_type": {"村": "村", "行政村": "村", "village": "村", "社区": "社区", "community": "社区",
                     "城市社区": "社区"},
    "marker_type": {"单立": "单立", "单": "单立", "single": "单立", "双立": "双立", "双": "双立",
                    "double": "双立", "三立": "三立", "三": "三立", "triple": "三立"},
    "cemetery_type": {"经营性公墓": "经营性公墓", "经营性": "经营性公墓", "commercial": "经营性公墓",
                      "公益性公墓": "公益性公墓", "公益性": "公益性公墓", "public": "公益性公墓",
                      "骨灰堂": "骨灰堂", "ashes_hall": "骨灰堂", "ashes hall": "骨灰堂"},
    "project_type": {"避灾安置场所": "避灾安置场所", "避灾场所": "避灾安置场所", "shelter": "避灾安置场所",
                     "居家养老服务照料中心": "居家养老服务照料中心", "照料中心": "居家养老服务照料中心",
                     "daycare": "居家养老服务照料中心", "养老机构床位": "养老机构床位", "养老床位": "养老机构床位",
                     "床位": "养老机构床位", "beds": "养老机构床位", "骨灰堂": "骨灰堂", "公墓": "公墓",
                     "公益性公墓": "公墓", "坟墓治理": "坟墓治理", "三沿五区坟墓治理": "坟墓治理", "graves": "坟墓治理"},
    "status": {"未动工": "未动工", "未开工": "未动工", "not_started": "未动工", "已动工": "已动工", "已开工": "已动工",
               "在建": "已动工", "started": "已动工", "已完工": "已完工", "已竣工": "已完工", "完工": "已完工",
               "completed": "已完工"},
    "level": {"市": "市", "地级市": "市", "city": "市", "区县": "区县", "县": "区县", "区": "区县",
              "县级": "区县", "county": "区县", "乡镇街道": "乡镇街道", "乡镇": "乡镇街道",
              "街道": "乡镇街道", "镇": "乡镇街道", "乡": "乡镇街道", "township": "乡镇街道",
              "村社区": "村社区", "村": "村社区", "社区": "村社区", "village": "村社区"},
}
_VALUE_LOOKUP: dict[str, dict[str, str]] = {
    col: {_key(k): v for k, v in table.items()} for col, table in VALUE_ALIASES.items()
}


def get_spec(kind: str) -> LayerSpec:
    """Return the :class:`LayerSpec` of a kind given by English key or Chinese name.

    Parameters
    ----------
    kind : str
        English key (``"shelters"``) or Chinese name (``"避灾安置场所"``).

    Returns
    -------
    LayerSpec

    Raises
    ------
    InputError
        Unknown kind; the message lists the valid ones.
    """
    if kind in KINDS:
        return KINDS[kind]
    for spec in KINDS.values():
        if kind == spec.name_zh:
            return spec
    valid = "、".join(f"{s.key}（{s.name_zh}）" for s in KINDS.values())
    msg = f"未知的图层类型 {kind!r}，可用：{valid}"
    raise InputError(msg)


def canonical_column(header: object, kind: str | None = None) -> str | None:
    """Canonical name of a column header, or ``None`` when it is not in the alias tables.

    Parameters
    ----------
    header : object
        The header as written in the file. Full-width characters, case, spaces and a unit
        in brackets (``"容纳人数（人）"``, ``"可用面积(m²)"``) are ignored.
    kind : str, optional
        Layer kind; its :data:`KIND_ALIASES` are tried first.

    Returns
    -------
    str or None

    Examples
    --------
    >>> canonical_column("床位数（张）")
    'beds'
    >>> canonical_column("级别", "shelters")
    'tier'
    """
    key = _key(header)
    candidates = [key]
    for sep in ("(", "[", "{"):
        if sep in key:
            candidates.append(key.split(sep, 1)[0])
    table = KIND_ALIASES.get(get_spec(kind).key, {}) if kind is not None else {}
    for cand in candidates:
        if cand in table:
            return table[cand]
        if cand in ALIASES:
            return ALIASES[cand]
    return None


def resolve_columns(columns: list[str], kind: str) -> dict[str, str]:
    """Map a file's headers to canonical names for a layer kind.

    Headers already canonical are kept; the first header matching an alias wins; headers
    matching nothing are kept unchanged (extra columns). Only the canonical names that the
    kind uses (plus ``lon``/``lat``) are renamed, so an extra column named "类型" in a
    shelters file is left alone. A column named ``geometry`` is never renamed.

    Parameters
    ----------
    columns : list of str
        Headers as in the file.
    kind : str
        Layer kind.

    Returns
    -------
    dict
        ``{header: canonical}`` for the headers to rename.

    Examples
    --------
    >>> resolve_columns(["名称", "床位数", "护理型床位", "备注"], "institutions")
    {'名称': 'name', '床位数': 'beds', '护理型床位': 'nursing_beds'}
    """
    spec = get_spec(kind)
    wanted = set(spec.required) | set(spec.optional) | {"lon", "lat"}
    mapping: dict[str, str] = {}
    taken = {c for c in columns if c in wanted}
    for col in columns:
        if col in wanted or col == "geometry":
            continue
        canon = canonical_column(col, spec.key)
        if canon in wanted and canon not in taken:
            mapping[col] = canon
            taken.add(canon)
    return mapping


def aliases_for(column: str, kind: str | None = None) -> list[str]:
    """All accepted headers for a canonical column (for error messages and docs).

    Parameters
    ----------
    column : str
        Canonical column name (``"beds"``).
    kind : str, optional
        Layer kind; adds its kind-specific aliases (:data:`KIND_ALIASES`).

    Returns
    -------
    list of str
    """
    names = list(_ALIAS_GROUPS.get(column, (column,)))
    if kind is not None:
        names += [h for h, c in KIND_ALIASES.get(get_spec(kind).key, {}).items() if c == column and h not in names]
    return names


def canonical_value(column: str, value: object) -> str | None:
    """Canonical category value (``"乡镇（街道）级"`` → ``"乡镇级"``), or ``None`` when unknown.

    Parameters
    ----------
    column : str
        Canonical column name with a :data:`VALUE_ALIASES` table (``"tier"``...).
    value : object
        Value as written.

    Returns
    -------
    str or None
    """
    return _VALUE_LOOKUP.get(column, {}).get(_key(value))


def _keys_of(series: pd.Series) -> dict[object, str]:
    """:func:`_key` of each distinct non-missing value (few distinct values: computed once each)."""
    return {v: _key(v) for v in pd.unique(series.dropna().to_numpy(dtype=object))}


def normalise_categories(series: pd.Series, column: str) -> tuple[pd.Series, pd.Series]:
    """Map the values of a category column to their canonical spelling.

    Parameters
    ----------
    series : pandas.Series
        Values as read.
    column : str
        Canonical column name (``"tier"``, ``"ownership"``...).

    Returns
    -------
    tuple of pandas.Series
        The normalised values (unknown values are kept as written, stripped; blanks become
        missing) and a boolean mask of the non-blank values that no alias matched.
    """
    table = _keys_of(series)
    keys = series.map(table)
    blank = keys.fillna("").eq("")
    lookup = _VALUE_LOOKUP.get(column, {})
    canon = {v: lookup.get(k, str(v).strip()) for v, k in table.items()}
    out = series.map(canon).where(~blank, pd.NA).astype("string")
    unknown = ~blank & ~keys.isin(lookup.keys())
    return out, unknown.astype(bool)


def parse_booleans(series: pd.Series, column: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse a yes/no column (是/否, 有/无, 1/0, Y/N, True/False...).

    Parameters
    ----------
    series : pandas.Series
        Values as read.
    column : str, optional
        Canonical column name; ``"urban"`` also accepts 城镇/农村.

    Returns
    -------
    tuple of pandas.Series
        Values in the nullable ``boolean`` dtype (blanks and unreadable values are
        missing) and a mask of the non-blank values that could not be read.
    """
    true_set, false_set = set(TRUE_VALUES), set(FALSE_VALUES)
    if column in _EXTRA_BOOL:
        true_set |= _EXTRA_BOOL[column][0]
        false_set |= _EXTRA_BOOL[column][1]
    keys = series.map(_keys_of(series))
    blank = keys.fillna("").eq("")
    is_true = keys.isin(true_set).fillna(False).astype(bool)
    is_false = keys.isin(false_set).fillna(False).astype(bool)
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[is_true] = True
    out[is_false] = False
    bad = ~blank & ~is_true & ~is_false
    return out, bad.astype(bool)


def alias_table(kind: str | None = None) -> pd.DataFrame:
    """Return the accepted column headers per kind, for documentation and the CLI.

    Parameters
    ----------
    kind : str, optional
        One kind; default all kinds.

    Returns
    -------
    pandas.DataFrame
        Columns ``kind``, ``column`` (canonical), ``required`` (bool), ``numeric`` (bool),
        ``aliases`` (accepted headers joined by " / "), one row per column of each kind,
        then the coordinate columns ``lon``/``lat``.
    """
    specs = [get_spec(kind)] if kind is not None else list(KINDS.values())
    rows = []
    for spec in specs:
        for col in (*spec.required, *spec.optional, "lon", "lat"):
            if col in ("lon", "lat") and spec.geometry != "point":
                continue
            rows.append(
                {
                    "kind": spec.key,
                    "column": col,
                    "required": col in spec.required,
                    "numeric": col in spec.numeric,
                    "aliases": " / ".join(aliases_for(col, spec.key)),
                }
            )
    return pd.DataFrame(rows, columns=["kind", "column", "required", "numeric", "aliases"])


def set_kind(gdf: pd.DataFrame, kind: str, source: str | None = None) -> pd.DataFrame:
    """Label a frame with its layer kind (and source) in ``attrs``; returns the same frame.

    Parameters
    ----------
    gdf : pandas.DataFrame or geopandas.GeoDataFrame
        The layer.
    kind : str
        Layer kind (English key or Chinese name).
    source : str, optional
        Where the data came from (file name, ``"示例数据（合成）"``...).

    Returns
    -------
    pandas.DataFrame
        ``gdf`` itself.
    """
    gdf.attrs["mzgeo_kind"] = get_spec(kind).key
    if source is not None:
        gdf.attrs["mzgeo_source"] = source
    return gdf


def kind_of(gdf: pd.DataFrame) -> str | None:
    """Return the layer kind recorded in ``attrs`` (or ``None``)."""
    return gdf.attrs.get("mzgeo_kind")
