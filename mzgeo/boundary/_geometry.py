"""Private geometry core of :mod:`mzgeo.boundary`: shared boundaries, tri-junctions, gaps and overlaps.

The public functions live in :mod:`mzgeo.boundary.lines`; this module holds the geometry and
the input checks shared by the boundary modules.

How a shared boundary is found
------------------------------
Every unit's boundary is oriented (exterior counter-clockwise, holes clockwise, so the
unit's inside is always on the left), noded where a neighbour's vertex lies within the
tolerance (split at the vertex within 1 mm, else at its projection), and cut into
segments no longer than half the tolerance (5 m at least). From the midpoint of each
segment a short *ray* of length ``tolerance_m`` is cast outwards (to the right of the
segment). The segment belongs to the line between its unit and the first other unit that
ray touches (nearest by distance when it touches several); a ray that starts inside
another unit (an overlap) touches it at once. Segments whose ray touches nothing lie on
the outer boundary of the set, except a run of them lying between two runs of the same
neighbour and entirely within the tolerance of it (the step across a sliver), which joins
that line. Pieces shorter than ``min_length_m`` are dropped as noise.

This gives exact results on clean topology (a shared edge's rays enter the neighbour at
once, the edges towards a third unit enter that third unit at once, and edges on the
outer boundary touch nothing), and tolerates slivers and overlaps up to ``tolerance_m``
wide on real data digitised separately for each unit. Everything is vectorised (shapely
2 arrays and STRtree queries); Python loops only run over the resulting lines.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import CRSError, DataWarning, InputError
from ..layers import VALUE_ALIASES
from . import _naming

logger = logging.getLogger("mzgeo")

_MIN_TOL_M = 0.001
#: Gaps and overlaps thinner than this on average (m) are floating-point noise, not findings.
_MIN_SLIVER_WIDTH_M = 0.01
#: Boundaries are cut into segments of at most half the tolerance, but never shorter than this (m).
_MIN_SEGMENT_M = 5.0

LINE_COLUMNS = [
    "line_name",
    "side_a_name",
    "side_a_code",
    "side_b_name",
    "side_b_code",
    "length_m",
    "n_parts",
    "junctions",
    "name_rule",
    "name_note",
    "geometry",
]
JUNCTION_COLUMNS = [
    "junction_name",
    "n_units",
    "unit_codes",
    "unit_names",
    "line_names",
    "spread_m",
    "name_note",
    "geometry",
]
GAP_COLUMNS = [
    "kind",
    "line_name",
    "side_a_name",
    "side_a_code",
    "side_b_name",
    "side_b_code",
    "sliver_area_m2",
    "sliver_width_m",
    "geometry",
]

# --- validation ------------------------------------------------------------------------------


def check_metric(gdf: Any, what: str) -> None:
    """Raise :class:`CRSError` unless ``gdf`` has a projected (metric) CRS."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"{what} 应为 GeoDataFrame，收到 {type(gdf).__name__}"
        raise InputError(msg)
    if gdf.crs is None:
        msg = f"{what} 没有坐标系 (missing CRS)：请在读取时声明 crs=，再用 mzgeo.crs.to_metric() 转为投影坐标"
        raise CRSError(msg)
    if not gdf.crs.is_projected:
        msg = (
            f"{what} 的坐标系 {gdf.crs.to_string()} 不是投影坐标系，无法按米计算：请先用 "
            "mzgeo.crs.to_metric() 转换（湖州为 EPSG:4549） (geographic CRS, metres needed)"
        )
        raise CRSError(msg)


def check_same_crs(a: Any, b: Any, what_a: str, what_b: str) -> None:
    """Raise :class:`CRSError` when two frames carry different CRSs."""
    if a.crs != b.crs:
        msg = (
            f"{what_a}（{a.crs.to_string() if a.crs else '无坐标系'}）与 {what_b}"
            f"（{b.crs.to_string() if b.crs else '无坐标系'}）坐标系不同：请先用 mzgeo.crs.to_metric() "
            "转到同一投影坐标系 (CRS mismatch)"
        )
        raise CRSError(msg)


def require_columns(df: pd.DataFrame, columns: list[str], what: str) -> None:
    """Raise :class:`InputError` naming the missing columns and the ones available."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        have = "、".join(map(str, df.columns)) or "（无）"
        msg = f"{what} 缺少列 {'、'.join(missing)}；现有列：{have}"
        raise InputError(msg)


def check_geom_types(gdf: gpd.GeoDataFrame, allowed: tuple[str, ...], what: str) -> np.ndarray:
    """Boolean mask of usable rows; raise :class:`InputError` on a wrong geometry type.

    Missing and empty geometries are reported with a :class:`DataWarning` and masked out.
    """
    geoms = gdf.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = np.asarray(gdf.geometry.geom_type, dtype=object)
    bad = ~missing & ~np.isin(types, list(allowed))
    if bad.any():
        found = "、".join(sorted({str(t) for t in types[bad]}))
        msg = f"{what} 的几何类型应为 {'/'.join(allowed)}，发现 {found}（共 {int(bad.sum())} 个）"
        raise InputError(msg)
    if missing.any():
        warnings.warn(
            f"{what} 有 {int(missing.sum())} 个要素没有几何，已跳过 (missing geometry skipped)",
            DataWarning,
            stacklevel=3,
        )
    return ~missing




def positive(value: float, what: str, *, allow_zero: bool = True) -> float:
    """Return ``value`` as a float, or raise InputError when it is not a finite non-negative (positive) number."""
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        msg = f"{what} 应为{'非负' if allow_zero else '正'}数，收到 {value}"
        raise InputError(msg)
    return value


def canonical_level(value: Any) -> str:
    """Return the canonical administrative level (``county``, ``town``...) of a level as typed."""
    text = str(value).strip()
    return VALUE_ALIASES["level"].get(text.lower(), VALUE_ALIASES["level"].get(text, text))


# --- geometry helpers --------------------------------------------------------------------------


def flatten(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Single-part geometries of ``geoms`` (collections and multi-parts unpacked) and their source index."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    parts2, idx2 = shapely.get_parts(parts, return_index=True)
    return parts2, idx[idx2]


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Repair invalid polygons (make_valid), keeping their polygonal parts, with a warning."""
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return geoms
    warnings.warn(
        f"{int(invalid.sum())} 个行政区多边形无效（自相交等），已自动修复 (invalid polygons repaired)",
        DataWarning,
        stacklevel=4,
    )
    out = geoms.copy()
    for k in np.flatnonzero(invalid):  # only the few invalid ones
        parts, _ = flatten(np.array([shapely.make_valid(geoms[k])], dtype=object))
        polys = parts[shapely.get_type_id(parts) == 3]
        out[k] = shapely.union_all(polys) if len(polys) else shapely.Polygon()
    return out


#: Label of an edge between two outer units while the runs are filled (then unlabelled).
_OUTER_PAIR = -2
#: Longest unlabelled run (in tolerances) that can join a line as the step across a sliver.
_MAX_STEP_TOLS = 20.0
#: Distance (m) within which a neighbour's vertex lying on a segment is inserted into it.
_NODE_EPS_M = 0.001


def _segments(
    geoms: np.ndarray, max_len: float, node_dist: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Boundary segments of oriented polygons: start (n,2), end (n,2), owner unit and ring index.

    Rings are noded first: a vertex of another unit within ``node_dist`` (m) of a segment
    splits it at the vertex (within 1 mm) or at its projection, so lines change from one
    neighbour to the next where the neighbours' own boundaries do (a tri-junction that is a
    vertex of only one unit still ends the lines exactly). Then the segments are densified
    to at most ``max_len`` (m). Segments stay in ring order.
    """
    oriented = shapely.orient_polygons(geoms, exterior_cw=False)
    rings, owner = shapely.get_parts(shapely.boundary(oriented), return_index=True)
    coords, ring_idx = shapely.get_coordinates(rings, return_index=True)
    same = ring_idx[:-1] == ring_idx[1:]
    p0 = coords[:-1][same]
    p1 = coords[1:][same]
    seg_ring = ring_idx[:-1][same]
    keep = np.hypot(*(p1 - p0).T) > 0
    p0, p1, seg_ring = p0[keep], p1[keep], seg_ring[keep]
    n_seg = len(p0)
    if n_seg == 0:
        empty = np.empty((0, 2))
        return empty, empty, np.array([], dtype=np.int64), np.array([], dtype=np.int64)

    # noding: vertices of other units lying on a segment
    seg_geoms = shapely.linestrings(np.stack([p0, p1], axis=1))
    vert_owner = owner[ring_idx]
    v_pts = shapely.points(coords)
    v_idx, s_idx = shapely.STRtree(seg_geoms).query(v_pts, predicate="dwithin", distance=max(node_dist, _NODE_EPS_M))
    other = vert_owner[v_idx] != owner[seg_ring[s_idx]]
    v_idx, s_idx = v_idx[other], s_idx[other]
    d = p1[s_idx] - p0[s_idx]
    t = np.einsum("ij,ij->i", coords[v_idx] - p0[s_idx], d) / np.einsum("ij,ij->i", d, d)
    inside = (t > 1e-12) & (t < 1.0 - 1e-12)
    v_idx, s_idx, t = v_idx[inside], s_idx[inside], t[inside]
    seg_of = np.concatenate([np.arange(n_seg), s_idx, np.arange(n_seg)])
    t_all = np.concatenate([np.zeros(n_seg), t, np.ones(n_seg)])
    proj = p0[s_idx] + d[inside] * t[:, None]
    near = np.hypot(*(coords[v_idx] - proj).T) <= _NODE_EPS_M
    ins = np.where(near[:, None], coords[v_idx], proj)
    pts = np.concatenate([p0, ins, p1])
    order = np.lexsort((t_all, seg_of))
    seg_of, t_all, pts = seg_of[order], t_all[order], pts[order]
    nxt_same = seg_of[:-1] == seg_of[1:]
    a = pts[:-1][nxt_same]
    b = pts[1:][nxt_same]
    sub_seg = seg_of[:-1][nxt_same]
    keep = np.hypot(*(b - a).T) > 0
    a, b, sub_seg = a[keep], b[keep], sub_seg[keep]

    # densify to at most max_len
    length = np.hypot(*(b - a).T)
    k = np.maximum(1, np.ceil(length / max_len - 1e-9)).astype(np.int64)
    rep = np.repeat(np.arange(len(a)), k)
    j = np.arange(len(rep)) - np.repeat(np.cumsum(k) - k, k)
    f0 = (j / k[rep])[:, None]
    f1 = ((j + 1) / k[rep])[:, None]
    q0 = a[rep] + (b[rep] - a[rep]) * f0
    q1 = np.where(f1 == 1.0, b[rep], a[rep] + (b[rep] - a[rep]) * f1)
    ring = seg_ring[sub_seg[rep]]
    return q0, q1, owner[ring], ring


def _fill_runs(
    label: np.ndarray, ring: np.ndarray, mid: np.ndarray, length: np.ndarray, geoms: np.ndarray, tol: float
) -> np.ndarray:
    """Label the unlabelled runs of a ring lying between two runs with the same neighbour.

    A step in a sliver's edge (a stretch of boundary running across the sliver) casts its
    ray along the sliver and touches nothing; when such a run is at most
    ``_MAX_STEP_TOLS × tol`` long and every point of it is within ``tol`` of the neighbour
    on both sides of it, it belongs to that line. Edges between two outer units
    (``_OUTER_PAIR``) are never filled and end up unlabelled.
    """
    if len(label) == 0:
        return label
    start = np.r_[True, (ring[1:] != ring[:-1]) | (label[1:] != label[:-1])]
    run_id = np.cumsum(start) - 1
    run_label = label[start]
    run_ring = ring[start]
    n_runs = len(run_label)
    runs = np.arange(n_runs)
    ring_first = np.r_[True, run_ring[1:] != run_ring[:-1]]
    ring_last = np.r_[run_ring[1:] != run_ring[:-1], True]
    first_of = np.maximum.accumulate(np.where(ring_first, runs, 0))
    last_of = np.minimum.accumulate(np.where(ring_last, runs, n_runs)[::-1])[::-1]
    prev = np.where(ring_first, last_of, runs - 1)
    nxt = np.where(ring_last, first_of, runs + 1)
    run_len = np.bincount(run_id, weights=length, minlength=n_runs)
    cand = (run_label == -1) & (prev != runs) & (run_label[prev] >= 0) & (run_label[prev] == run_label[nxt])
    cand &= run_len <= _MAX_STEP_TOLS * tol
    if not cand.any():
        return np.where(label == _OUTER_PAIR, -1, label)
    seg_mask = cand[run_id]
    target = run_label[prev[run_id[seg_mask]]]
    dist = shapely.distance(shapely.points(mid[seg_mask]), geoms[target])
    worst = pd.Series(dist).groupby(run_id[seg_mask]).max()
    ok_runs = worst.index[worst.to_numpy() <= tol].to_numpy()
    out = np.where(label == _OUTER_PAIR, -1, label)
    fill = np.isin(run_id, ok_runs)
    out[fill] = run_label[prev[run_id[fill]]]
    return out


def _label_segments(
    geoms: np.ndarray, p0: np.ndarray, p1: np.ndarray, owner: np.ndarray, tol: float, is_outer: np.ndarray
) -> np.ndarray:
    """For each boundary segment, the index of the unit across it within ``tol`` (or -1)."""
    mid = (p0 + p1) / 2.0
    d = p1 - p0
    length = np.hypot(d[:, 0], d[:, 1])
    normal = np.column_stack([d[:, 1], -d[:, 0]]) / length[:, None]  # right side = outside
    ends = mid + normal * tol
    rays = shapely.linestrings(np.stack([mid, ends], axis=1))
    tree = shapely.STRtree(rays)
    unit_idx, ray_idx = tree.query(geoms, predicate="intersects")
    keep = unit_idx != owner[ray_idx]
    unit_idx, ray_idx = unit_idx[keep], ray_idx[keep]
    label = np.full(len(rays), -1, dtype=np.int64)
    if len(ray_idx) == 0:
        return label
    counts = np.bincount(ray_idx, minlength=len(rays))
    single = counts[ray_idx] == 1
    label[ray_idx[single]] = unit_idx[single]
    multi = ~single
    if multi.any():
        r, u = ray_idx[multi], unit_idx[multi]
        dist = shapely.distance(shapely.points(mid[r]), geoms[u])
        order = np.lexsort((u, dist, r))  # by ray, then distance, then unit index
        r_sorted = r[order]
        first = np.r_[True, r_sorted[1:] != r_sorted[:-1]]
        label[r_sorted[first]] = u[order][first]
    # lines between two outer units are not wanted (decided after the nearest is chosen,
    # so an outer unit's edge towards another outer unit never jumps to an inner one)
    both_outer = (label >= 0) & is_outer[owner] & is_outer[np.clip(label, 0, None)]
    label[both_outer] = _OUTER_PAIR
    return label


def _axis_key(coords: np.ndarray) -> tuple[int, float]:
    """(axis, sign) of the orientation rule for a line with these coordinates.

    West → east (key = x) when the east–west extent is at least the north–south extent,
    otherwise north → south (key = −y).
    """
    dx = np.ptp(coords[:, 0]) if len(coords) else 0.0
    dy = np.ptp(coords[:, 1]) if len(coords) else 0.0
    return (0, 1.0) if dx >= dy else (1, -1.0)


def orient_line(geom: Any) -> Any:
    """Orient a (multi)line by the stated rule: start at its west end, or its north end.

    Parts are each oriented and then sorted by where they start along the main axis. A
    closed ring starts at its westernmost (northernmost) vertex and runs clockwise.
    """
    if geom is None or shapely.is_empty(geom):
        return geom
    parts = list(shapely.get_parts(geom))
    coords_all = shapely.get_coordinates(geom)
    axis, sign = _axis_key(coords_all)
    out = []
    for part in parts:
        c = shapely.get_coordinates(part)
        key = sign * c[:, axis]
        if part.is_closed and len(c) > 3:
            ring = c[:-1]
            start = int(np.argmin(sign * ring[:, axis]))
            ring = np.roll(ring, -start, axis=0)
            c = np.vstack([ring, ring[:1]])
            if shapely.is_ccw(shapely.linearrings(c)):
                c = c[::-1]
        elif key[0] > key[-1]:
            c = c[::-1]
        out.append(c)
    out.sort(key=lambda c: sign * c[0, axis])
    if len(out) == 1:
        return shapely.linestrings(out[0])
    return shapely.multilinestrings([shapely.linestrings(c) for c in out])


def _clean_vertices(geoms: np.ndarray) -> np.ndarray:
    """Drop the collinear vertices added by densification (1 µm tolerance)."""
    return shapely.simplify(geoms, 1e-6, preserve_topology=True)


# --- the core ----------------------------------------------------------------------------------


def extract(
    geoms: np.ndarray,
    codes: pd.Series,
    is_outer: np.ndarray,
    tol: float,
    min_length_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shared boundaries between units.

    Returns
    -------
    tuple
        ``(side_a, side_b, geometry)``: unit indices (side A = smaller code) and the line
        geometry (side A's boundary; side B's when side A's has nothing), oriented.
    """
    tol = max(float(tol), _MIN_TOL_M)
    max_len = max(tol / 2.0, _MIN_SEGMENT_M)
    p0, p1, owner, ring = _segments(geoms, max_len, tol)
    label = _label_segments(geoms, p0, p1, owner, tol, is_outer)
    label = _fill_runs(label, ring, (p0 + p1) / 2.0, np.hypot(*(p1 - p0).T), geoms, tol)
    has = label >= 0
    p0, p1, owner, label = p0[has], p1[has], owner[has], label[has]
    empty = np.array([], dtype=np.int64)
    if len(owner) == 0:
        return empty, empty, np.array([], dtype=object)
    rank = _naming.code_sort_key(pd.Series(codes.to_numpy())).rank(method="first").to_numpy()
    lo = np.where(rank[owner] <= rank[label], owner, label)
    hi = np.where(rank[owner] <= rank[label], label, owner)
    from_a = owner == lo
    segs = shapely.linestrings(np.stack([p0, p1], axis=1))
    n = len(geoms)
    pair_key = lo * n + hi
    # per pair and per side: merge the segments
    side_key = pair_key * 2 + (~from_a).astype(np.int64)
    uniq, inv = np.unique(side_key, return_inverse=True)
    order = np.argsort(inv, kind="stable")
    merged = shapely.line_merge(shapely.multilinestrings(segs[order], indices=inv[order]))
    parts, part_idx = shapely.get_parts(merged, return_index=True)
    part_len = shapely.length(parts)
    long_enough = part_len >= min_length_m
    if not long_enough.all():
        logger.debug("boundary_lines: %d pieces shorter than %.1f m dropped", int((~long_enough).sum()), min_length_m)
    parts, part_idx = parts[long_enough], part_idx[long_enough]
    if len(parts) == 0:
        return empty, empty, np.array([], dtype=object)
    kept, kept_inv = np.unique(part_idx, return_inverse=True)
    side_geoms = shapely.multilinestrings(parts, indices=kept_inv)
    side_geoms = shapely.line_merge(side_geoms)
    side_keys = uniq[kept]
    frame = pd.DataFrame({"pair": side_keys // 2, "side": side_keys % 2, "geom": side_geoms})
    frame = frame.sort_values(["pair", "side"]).drop_duplicates("pair", keep="first")
    pair = frame["pair"].to_numpy()
    out_geoms = _clean_vertices(frame["geom"].to_numpy())
    out_geoms = np.array([orient_line(g) for g in out_geoms], dtype=object)
    return pair // n, pair % n, out_geoms


def _unit_abbrev(name: str, level: int, given: str | None) -> str:
    if level == 1 and given:
        return given
    return _naming.short_name(name, level) if level < 3 else _naming.base_name(name)


def junction_label(
    units: list[str], levels: Mapping[str, int], full_names: Mapping[str, str], given: Mapping[str, str | None]
) -> tuple[str, str]:
    """Name of a junction of ``units`` (codes, in order) and a note on longer abbreviations.

    Each unit is abbreviated as in the longest form it has in the junction's line names
    (``levels``: 1, 2 or 3 = whole base name); units still sharing an abbreviation take
    one character more until they differ (吴中吴江吴兴三交点, not 吴吴吴三交点).
    """
    lev = {u: int(levels.get(u, 1)) for u in units}
    for _ in range(3):
        ab = {u: _unit_abbrev(full_names.get(u, u), lev[u], given.get(u)) for u in units}
        seen = pd.Series(ab).duplicated(keep=False)
        clash = [u for u in units if seen[u] and lev[u] < 3]
        if not clash:
            break
        for u in clash:
            lev[u] += 1
    ab = {u: _unit_abbrev(full_names.get(u, u), lev[u], given.get(u)) for u in units}
    label = "".join(ab[u] for u in units) + ("三交点" if len(units) == 3 else "多交点")
    longer = [u for u in units if lev[u] > 1]
    note = ""
    if longer:
        note = ("、".join(f"{full_names.get(u, u)}简称“{ab[u]}”" for u in longer)
                + "（与相关界线名称中的简称一致，简称相同的取两字）")
    return label, note


def junctions(
    lines: gpd.GeoDataFrame,
    tol: float,
    given: Mapping[str, str | None],
    full_names: Mapping[str, str],
    levels: pd.DataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Tri-junctions (三交点): clusters of line ends within ``tol`` shared by ≥ 3 units.

    ``given`` maps unit codes to a given 简称 (or None); ``levels`` (``level_a``/``level_b``
    per line, as from :func:`name_lines`) tells how long each side's abbreviation is in the
    line names, so that a junction abbreviates its units as its lines do. Returns the
    junction frame and, per line (index of ``lines``), the names of the junctions at its
    ends joined by "、".
    """
    empty = gpd.GeoDataFrame(
        {c: pd.Series(dtype=object) for c in JUNCTION_COLUMNS if c != "geometry"},
        geometry=gpd.GeoSeries([], crs=lines.crs),
        crs=lines.crs,
    )
    empty["n_units"] = empty["n_units"].astype("int64")
    empty["spread_m"] = empty["spread_m"].astype("float64")
    per_line = pd.Series("", index=lines.index, dtype=object)
    if len(lines) == 0:
        return empty, per_line
    parts, line_pos = shapely.get_parts(lines.geometry.values, return_index=True)
    open_ = ~shapely.is_closed(parts)
    parts, line_pos = parts[open_], line_pos[open_]
    starts = shapely.get_point(parts, 0)
    ends = shapely.get_point(parts, -1)
    pts = np.concatenate([starts, ends])
    pos = np.concatenate([line_pos, line_pos])
    if len(pts) == 0:
        return empty, per_line
    tree = shapely.STRtree(pts)
    i, j = tree.query(pts, predicate="dwithin", distance=max(tol, _MIN_TOL_M))
    graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(len(pts), len(pts)))
    n_comp, comp = connected_components(graph, directed=False)
    a_codes = lines["side_a_code"].to_numpy()
    b_codes = lines["side_b_code"].to_numpy()
    line_names = lines["line_name"].to_numpy()
    lev_a = np.ones(len(lines), dtype=int) if levels is None else levels["level_a"].to_numpy()
    lev_b = np.ones(len(lines), dtype=int) if levels is None else levels["level_b"].to_numpy()
    xy = shapely.get_coordinates(pts)
    rows = []
    comp_of_line: dict[int, list[int]] = {}
    for c in range(n_comp):
        members = np.flatnonzero(comp == c)
        lpos = np.unique(pos[members])
        units = sorted(set(a_codes[lpos]) | set(b_codes[lpos]), key=lambda s: (len(s), s))
        if len(units) < 3:
            continue
        centre = xy[members].mean(axis=0)
        spread = float(np.max(np.hypot(*(xy[members] - centre).T)))
        unit_level: dict[str, int] = {}
        for lp in lpos:
            unit_level[a_codes[lp]] = max(unit_level.get(a_codes[lp], 1), int(lev_a[lp]))
            unit_level[b_codes[lp]] = max(unit_level.get(b_codes[lp], 1), int(lev_b[lp]))
        label, note = junction_label(units, unit_level, full_names, given)
        rows.append(
            {
                "junction_name": label,
                "n_units": len(units),
                "unit_codes": "、".join(units),
                "unit_names": "、".join(full_names.get(u, u) for u in units),
                "line_names": "、".join(sorted(set(line_names[lpos]))),
                "spread_m": round(spread, 3),
                "name_note": note,
                "geometry": shapely.points(centre),
            }
        )
        for lp in lpos:
            comp_of_line.setdefault(int(lp), []).append(len(rows) - 1)
    if not rows:
        return empty, per_line
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=lines.crs)[JUNCTION_COLUMNS]
    dup = out["junction_name"].duplicated(keep=False)
    if dup.any():  # the same units meeting at two places
        nth = out.groupby("junction_name").cumcount() + 1
        out.loc[dup, "junction_name"] = out.loc[dup, "junction_name"] + "（" + nth[dup].astype(str) + "）"
        out.loc[dup, "name_note"] = (out.loc[dup, "name_note"] + "；同一组单元交汇于多处，按顺序编号").str.lstrip("；")
    labels = out["junction_name"].to_numpy()
    for lp, js in comp_of_line.items():
        per_line.iloc[lp] = "、".join(dict.fromkeys(labels[js]))
    return out, per_line


def gaps_and_overlaps(
    geoms: np.ndarray,
    lines: gpd.GeoDataFrame,
    side_a: np.ndarray,
    side_b: np.ndarray,
    tol: float,
    min_area_m2: float,
) -> gpd.GeoDataFrame:
    """Gaps (缝隙) and overlaps (重叠) between the two sides of each line, one row per piece.

    An overlap is the area inside both units. A gap is the part of a hole in the union of
    all units that lies within ``tol`` of both units (slivers open to the outside of the
    whole set cannot be told from the outside and are not reported).
    """
    crs = lines.crs
    cols: dict[str, list] = {c: [] for c in GAP_COLUMNS}
    tol = max(float(tol), _MIN_TOL_M)

    def add(kind: str, pieces: np.ndarray, line_pos: np.ndarray) -> None:
        if len(pieces) == 0:
            return
        area = shapely.area(pieces)
        perim = shapely.length(shapely.boundary(pieces))
        width = np.where(perim > 0, 2.0 * area / np.where(perim > 0, perim, 1.0), 0.0)
        keep = (area >= min_area_m2) & (width >= _MIN_SLIVER_WIDTH_M)
        for p, a, per, lp in zip(pieces[keep], area[keep], perim[keep], line_pos[keep], strict=True):
            row = lines.iloc[int(lp)]
            cols["kind"].append(kind)
            for c in ("line_name", "side_a_name", "side_a_code", "side_b_name", "side_b_code"):
                cols[c].append(row[c])
            cols["sliver_area_m2"].append(round(float(a), 3))
            cols["sliver_width_m"].append(round(float(2.0 * a / per), 3) if per > 0 else 0.0)
            cols["geometry"].append(p)

    if len(lines):
        # overlaps
        inter = shapely.intersection(geoms[side_a], geoms[side_b])
        parts, idx = flatten(inter)
        poly = shapely.get_type_id(parts) == 3
        add("重叠", parts[poly], idx[poly])
        # gaps: holes of the union near both sides
        union = shapely.union_all(geoms)
        polys = shapely.get_parts(union)
        polys = polys[shapely.get_type_id(polys) == 3]
        n_holes = shapely.get_num_interior_rings(polys)
        holes = []
        for p, k in zip(polys, n_holes, strict=True):
            holes.extend(shapely.polygons(shapely.get_interior_ring(p, i)) for i in range(int(k)))
        if holes:
            holes_arr = np.array(holes, dtype=object)
            touched = np.unique(np.concatenate([side_a, side_b]))
            buf = np.empty(len(geoms), dtype=object)
            buf[touched] = shapely.buffer(geoms[touched], tol)
            tree = shapely.STRtree(holes_arr)
            li, hi = [], []
            a_hits = tree.query(buf[side_a], predicate="intersects")
            b_hits = tree.query(buf[side_b], predicate="intersects")
            a_set = set(zip(a_hits[0].tolist(), a_hits[1].tolist(), strict=True))
            for line_pos, hole in zip(b_hits[0].tolist(), b_hits[1].tolist(), strict=True):
                if (line_pos, hole) in a_set:
                    li.append(line_pos)
                    hi.append(hole)
            if li:
                li_arr, hi_arr = np.array(li), np.array(hi)
                pieces = shapely.intersection(
                    shapely.intersection(holes_arr[hi_arr], buf[side_a[li_arr]]), buf[side_b[li_arr]]
                )
                parts, idx = flatten(pieces)
                poly = shapely.get_type_id(parts) == 3
                add("缝隙", parts[poly], li_arr[idx[poly]])
    out = gpd.GeoDataFrame(cols, geometry="geometry", crs=crs)
    out["sliver_area_m2"] = out["sliver_area_m2"].astype("float64")
    out["sliver_width_m"] = out["sliver_width_m"].astype("float64")
    return out.sort_values(["line_name", "kind", "sliver_area_m2"], ascending=[True, True, False], ignore_index=True)
