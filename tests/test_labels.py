"""The one label table: a key has the same Chinese label in an Excel sheet and on a map."""

from __future__ import annotations

import html as _html
import json
import re

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
from shapely.geometry import Point, box

from mzgeo import maps, report
from mzgeo.boundary import _sheets
from mzgeo.maps import style
from mzgeo.report import LABELS, label, write_excel


def _layers(html: str) -> list[dict]:
    """Options (fields, legend...) of every mzgeo layer in a page."""
    dec = json.JSONDecoder()
    out = []
    for mt in re.finditer(r"mzgeo\.layer\(", html):
        _, end = dec.raw_decode(html, mt.end())
        options, _ = dec.raw_decode(html[end:].lstrip()[1:].lstrip())
        out.append(options)
    return out


def _excel_headers(tmp_path, frame) -> list[str]:
    path = write_excel(tmp_path / "labels.xlsx", {"表": frame})
    ws = openpyxl.load_workbook(path)["表"]
    return [c.value for c in ws[1]]


def test_every_key_same_label_in_excel_header_and_map_popup(tmp_path) -> None:
    """Every key of the table: Excel header == map popup field."""
    keys = [k for k in LABELS if k != "name"]  # name is the popup title, not a field
    n = 3
    gdf = gpd.GeoDataFrame(
        {"name": [f"点{i}" for i in range(n)], **{k: np.arange(n, dtype=float) + 1.5 for k in keys}},
        geometry=[Point(120.08 + i / 100, 30.89) for i in range(n)],
        crs=4326,
    )
    headers = _excel_headers(tmp_path, gdf.drop(columns="geometry"))
    excel = dict(zip(["name", *keys], headers, strict=True))
    m = maps.base_map(gdf)
    maps.add_facilities(m, gdf, popup_cols=keys, cluster=False)
    (options,) = _layers(maps.to_html(m))
    assert len(options["fields"]) == len(keys)
    popup = dict(zip(keys, (_html.unescape(f) for f in options["fields"]), strict=True))  # fields are escaped
    differ = {k: (excel[k], popup[k]) for k in keys if excel[k] != popup[k]}
    assert not differ
    assert excel["minutes"] == popup["minutes"] == "出行时间（分钟）"
    assert excel["name"] == "名称"


@pytest.mark.parametrize("column", ["minutes", "mean_minutes", "beds_per_1000", "share_covered", "bed_gap"])
def test_choropleth_legend_title_is_the_excel_header(tmp_path, column) -> None:
    """A choropleth legend is titled with the Excel header of its column."""
    units = gpd.GeoDataFrame(
        {"code": ["1", "2", "3"], "name": ["甲", "乙", "丙"], column: [0.2, 0.5, 0.9]},
        geometry=[box(120.0 + i / 10, 30.8, 120.1 + i / 10, 30.9) for i in range(3)],
        crs=4326,
    )
    header = _excel_headers(tmp_path, units.drop(columns="geometry"))[2]
    m = maps.choropleth(units, column)
    html = maps.to_html(m)
    legend_titles = [o["fields"][0] for o in _layers(html)]
    assert header == label(column)
    assert legend_titles == [header]
    assert f">{header}<" in html  # the legend box shows it too


def test_one_table_no_copies() -> None:
    """The readers keep no tables of their own; context labels and units."""
    # the readers have no tables of their own left
    assert not hasattr(style, "COLUMN_LABELS")
    assert not hasattr(_sheets, "RESULT_LABELS")
    assert report.label is label
    # context labels: a boundary marker's status in the inspection register
    assert label("status") == "状态"
    assert label("status", "inspection") == "界桩状况"
    assert style.label_for("capacity", "shelters") == "容纳人数（人）"
    # units stay in labels, in Chinese
    assert label("length_m") == "长度（米）" and label("chainage_km") == "里程（千米）"
