"""Fuzzed CSV, xlsx and GeoJSON files: only mzgeo errors, and validate and read_layer agree.

For every generated file: :func:`mzgeo.validate` either returns a report or raises an
:class:`~mzgeo.MzgeoError` (never another exception), and :func:`mzgeo.read_layer` raises
:class:`~mzgeo.ValidationError` exactly when the report has errors, carrying the same
errors; numpy RuntimeWarnings (overflow, invalid value) count as failures. Cells mix good values with the bad inputs of docs/robustness.md (non-finite numbers,
misplaced commas, booleans, newlines, DMS with minutes ≥ 60, empty and NaN WKT, two
coordinate pairs, several encodings). Bounded: 15 examples per format by default.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mzgeo import DataWarning, MzgeoError, ValidationError
from mzgeo.io import read_layer, validate

KINDS = ["institutions", "villages", "shelters", "units", "markers"]
HEADERS = [
    "名称", "机构名称", "床位数", "护理型床位", "经度", "纬度", "lng", "lat", "x", "y", "location", "wkt",
    "人口", "老年人口", "容纳人数", "可用面积", "代码", "界桩编号", "性质", "等级", "老年食堂", "备注", "",
]
BAD_TEXT = [
    "inf", "-inf", "Infinity", "nan", "NaN", "1e400", "6,0", "1,2,0,0", "1,200", "1,200.5", "12\n5", "TRUE",
    "FALSE", "120°65′00″E", "120°05′30″E", "30°52′10″N", "POINT EMPTY", "POINT (NaN NaN)", "POINT (120.1 30.9)",
    "POLYGON ((120 30, 120.1 30, 120.1 30.1, 120 30))", "120.1,30.9", "合计", "", " ", "-5", "0", "３５张",
    "甲", "乙村", "公办", "县级", "是", "=1+1", '"', "\t", "330502", "臺北", "😀",
]
SAFE_CHARS = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")


def _cell(draw_number: bool = True) -> st.SearchStrategy:
    numbers = st.one_of(
        st.floats(allow_nan=True, allow_infinity=True, width=64),
        st.floats(min_value=18, max_value=135),
        st.integers(-10, 10**7),
    )
    return st.one_of(
        st.sampled_from(BAD_TEXT),
        numbers.map(repr) if draw_number else st.nothing(),
        st.text(SAFE_CHARS, max_size=8),
    )


@st.composite
def tables(draw) -> tuple[str, list[str], list[list[str]]]:
    kind = draw(st.sampled_from(KINDS))
    headers = draw(st.lists(st.sampled_from(HEADERS), min_size=1, max_size=7))
    n = draw(st.integers(0, 6))
    rows = [[draw(_cell()) for _ in headers] for _ in range(n)]
    return kind, headers, rows


def _check(path: Path, kind: str, **kw) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        warnings.simplefilter("error", RuntimeWarning)  # numpy overflow/invalid on odd values: a bug
        try:
            rep = validate(path, kind, **kw)
        except MzgeoError:
            rep = None
        try:
            read_layer(path, kind, **kw)
            raised = None
        except MzgeoError as exc:
            raised = exc
    if rep is None:  # validate refused the call: read_layer refuses it too
        assert isinstance(raised, MzgeoError) and not isinstance(raised, ValidationError)
        return
    if rep.ok:
        assert raised is None, (rep, raised)
    else:
        assert isinstance(raised, ValidationError), (rep, raised)
        assert [(p.code, p.row, p.column) for p in raised.errors] == [(p.code, p.row, p.column) for p in rep.errors]


#: Examples per format (``MZGEO_FUZZ_EXAMPLES=500`` for a longer local run).
FUZZ = settings(max_examples=int(os.environ.get("MZGEO_FUZZ_EXAMPLES", "15")), deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    table=tables(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "big5", "utf-16"]),
    crs=st.sampled_from([None, "wgs84", "gcj02", "EPSG:4549"]),
    delimiter=st.sampled_from([",", "\t", ";"]),
)
def test_fuzzed_csv(table, encoding, crs, delimiter):
    import csv
    import io

    kind, headers, rows = table
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter).writerows([headers, *rows])
    data = buf.getvalue().encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "fuzz.csv"
        path.write_bytes(data)
        _check(path, kind, crs=crs)


def _xlsx_value(text: str):
    """Numbers as numbers, TRUE/FALSE as booleans (Excel cells), the rest as text."""
    if text in ("TRUE", "FALSE"):
        return text == "TRUE"
    try:
        v = float(text)
    except ValueError:
        return text or None
    return v if np.isfinite(v) else text


@FUZZ
@given(table=tables(), crs=st.sampled_from([None, "wgs84", "bd09"]), title=st.booleans())
def test_fuzzed_xlsx(table, crs, title):
    kind, headers, rows = table
    wb = openpyxl.Workbook()
    ws = wb.active
    if title:
        ws.append(["湖州市统计表"])
    ws.append(headers)
    for r in rows:
        ws.append([_xlsx_value(v) for v in r])
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "fuzz.xlsx"
        wb.save(path)
        _check(path, kind, crs=crs)


COORD = st.one_of(
    st.floats(min_value=119.0, max_value=121.0),
    st.floats(min_value=29.0, max_value=32.0),
    st.sampled_from([float("nan"), float("inf"), -float("inf"), 0.0, 1e308]),
)


@st.composite
def geometries(draw):
    shape = draw(st.sampled_from(["Point", "Polygon", "LineString", None, "empty"]))
    if shape is None:
        return None
    if shape == "empty":
        return {"type": "Point", "coordinates": []}
    pts = [[draw(COORD), draw(COORD)] for _ in range(1 if shape == "Point" else 3)]
    if shape == "Point":
        return {"type": "Point", "coordinates": pts[0]}
    if shape == "LineString":
        return {"type": "LineString", "coordinates": pts}
    return {"type": "Polygon", "coordinates": [[*pts, pts[0]]]}


@st.composite
def features(draw):
    keys = draw(st.lists(st.sampled_from([h for h in HEADERS if h]), max_size=5, unique=True))
    value = st.one_of(
        st.sampled_from(BAD_TEXT), st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**6),
        st.none(), st.booleans(),
    )
    return {"type": "Feature", "properties": {k: draw(value) for k in keys}, "geometry": draw(geometries())}


@FUZZ
@given(kind=st.sampled_from([*KINDS, "zones", "roads"]), feats=st.lists(features(), max_size=5), crs=st.booleans())
def test_fuzzed_geojson(kind, feats, crs):
    doc = {"type": "FeatureCollection", "features": feats}
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "fuzz.geojson"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")  # NaN/Infinity literals kept
        _check(path, kind, crs="wgs84" if crs else None)
