"""The layer kinds, the column alias table, category values and yes/no parsing."""

from __future__ import annotations

import pandas as pd
import pytest

from mzgeo import InputError
from mzgeo.layers import (
    ALIASES,
    KIND_ALIASES,
    KINDS,
    VALUE_ALIASES,
    alias_table,
    aliases_for,
    canonical_column,
    canonical_value,
    get_spec,
    kind_of,
    normalise_categories,
    parse_booleans,
    resolve_columns,
    set_kind,
)


def test_every_schema_column_has_aliases():
    for spec in KINDS.values():
        for col in (*spec.required, *spec.optional):
            names = aliases_for(col)
            assert col in [ALIASES.get(n.lower()) for n in names] or col in names, (spec.key, col)
            assert canonical_column(names[0], spec.key) == col, (spec.key, col, names[0])
        for col in spec.categories:
            assert col in VALUE_ALIASES, col
        assert set(spec.numeric) <= set(spec.required) | set(spec.optional)
        assert set(spec.unique) <= set(spec.required) | set(spec.optional)


def test_get_spec_by_key_and_chinese_name():
    assert get_spec("shelters").name_zh == "避灾安置场所"
    assert get_spec("养老机构").key == "institutions"
    with pytest.raises(InputError, match="未知的图层类型"):
        get_spec("hospitals")


def test_resolve_columns_chinese_and_english_headers():
    headers = ["序号", "机构名称", "床位数（张）", "护理型床位数", "经度", "纬度", "举办性质", "备注"]
    mapping = resolve_columns(headers, "institutions")
    assert mapping == {
        "机构名称": "name",
        "床位数（张）": "beds",
        "护理型床位数": "nursing_beds",
        "经度": "lon",
        "纬度": "lat",
        "举办性质": "ownership",
    }
    assert resolve_columns(["Name", "BEDS", "lng", "Lat"], "institutions") == {
        "Name": "name", "BEDS": "beds", "lng": "lon", "Lat": "lat",
    }


def test_resolve_columns_first_alias_wins_and_extras_kept():
    mapping = resolve_columns(["名称", "名字", "类型", "x", "y"], "shelters")
    assert mapping == {"名称": "name", "x": "lon", "y": "lat"}  # 类型 is not a shelters column
    # already canonical columns are kept, aliases of them are not renamed onto them
    assert resolve_columns(["name", "名称"], "villages") == {}
    assert resolve_columns(["geometry", "名称"], "units") == {"名称": "name"}


def test_kind_specific_aliases():
    assert resolve_columns(["场所名称", "级别", "容纳人数（人）"], "shelters") == {
        "场所名称": "name", "级别": "tier", "容纳人数（人）": "capacity",
    }
    assert resolve_columns(["编号", "类型"], "markers") == {"编号": "marker_id", "类型": "marker_type"}
    assert resolve_columns(["编号"], "graves") == {"编号": "grave_id"}
    assert resolve_columns(["编号"], "shelters") == {"编号": "code"}
    assert "级别" in aliases_for("tier", "shelters")
    for kind, table in KIND_ALIASES.items():
        spec = get_spec(kind)
        assert set(table.values()) <= set(spec.required) | set(spec.optional), kind


def test_canonical_column_normalises_width_case_and_units():
    assert canonical_column("ＮＡＭＥ") == "name"
    assert canonical_column(" 床位数 ") == "beds"
    assert canonical_column("床位数\n（张）") == "beds"
    assert canonical_column("可用面积(m²)") == "area_m2"
    assert canonical_column("可用面积（㎡）") == "area_m2"
    assert canonical_column("no such column") is None


def test_category_values():
    assert canonical_value("tier", "乡镇（街道）级") == "乡镇级"
    assert canonical_value("tier", "乡镇(街道)级") == "乡镇级"
    assert canonical_value("tier", "村（社区）级") == "村级"
    assert canonical_value("ownership", "公建民营") == "公建民营"
    assert canonical_value("cemetery_type", "公益性") == "公益性公墓"
    assert canonical_value("tier", "省级") is None
    values, unknown = normalise_categories(pd.Series(["县级", "乡镇（街道）级", None, "", "省级"]), "tier")
    assert values.tolist()[:2] == ["县级", "乡镇级"]
    assert values.isna().tolist() == [False, False, True, True, False]
    assert values.iloc[4] == "省级"  # unknown values are kept as written
    assert unknown.tolist() == [False, False, False, False, True]


def test_parse_booleans():
    raw = pd.Series(["是", "否", "有", "无", 1, 0, "Y", "n", "TRUE", None, "", "也许"])
    values, bad = parse_booleans(raw, "has_meal")
    assert values.dtype == "boolean"
    assert values.tolist()[:9] == [True, False, True, False, True, False, True, False, True]
    assert values.isna().tolist()[9:] == [True, True, True]
    assert bad.tolist() == [False] * 11 + [True]
    urban, bad_u = parse_booleans(pd.Series(["城镇", "农村", "是"]), "urban")
    assert urban.tolist() == [True, False, True] and not bad_u.any()


def test_set_kind_and_kind_of():
    df = pd.DataFrame({"name": ["a"]})
    assert set_kind(df, "公墓/骨灰堂", "x.csv") is df
    assert kind_of(df) == "cemeteries"
    assert df.attrs["mzgeo_source"] == "x.csv"
    assert kind_of(pd.DataFrame()) is None


def test_alias_table():
    table = alias_table()
    assert set(table["kind"]) == set(KINDS)
    beds = table[(table["kind"] == "institutions") & (table["column"] == "beds")].iloc[0]
    assert beds["required"] and beds["numeric"] and "床位数" in beds["aliases"]
    assert "lon" in set(alias_table("shelters")["column"])
    assert "lon" not in set(alias_table("units")["column"])
