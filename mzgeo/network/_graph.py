"""Private array helpers of :mod:`mzgeo.network`.

Splitting lines into edges, sparse graphs, partial lines, pairing directed edges into
segments, planar faces, index labels.
Everything here works on plain numpy arrays; nothing loops in Python over features.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

__all__: list[str] = []

log = logging.getLogger("mzgeo")


# --- splitting lines at nodes -------------------------------------------------------------


def split_at_nodes(
    coords: np.ndarray, line_idx: np.ndarray, keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split polylines at every vertex that is a node (shared by another line or an end).

    Parameters
    ----------
    coords : numpy.ndarray
        ``(m, 2)`` vertex coordinates of all lines, line after line.
    line_idx : numpy.ndarray
        ``(m,)`` line number of each vertex (non-decreasing).
    keys : numpy.ndarray
        ``(m,)`` int64 identity of each vertex location: equal keys are the same place
        (quantised coordinates or OSM node ids).

    Returns
    -------
    tuple
        ``(coords, offsets, source, keys)`` of the pieces: vertex coordinates, ``(k+1,)``
        offsets into them, the source line of each piece and the vertex keys.
    """
    if len(coords) == 0:
        return coords.reshape(0, 2), np.zeros(1, np.int64), np.zeros(0, np.int64), keys[:0]
    # drop consecutive repeated vertices of the same line (zero-length segments)
    same = np.zeros(len(keys), bool)
    same[1:] = (keys[1:] == keys[:-1]) & (line_idx[1:] == line_idx[:-1])
    coords, line_idx, keys = coords[~same], line_idx[~same], keys[~same]
    first = np.ones(len(keys), bool)
    first[1:] = line_idx[1:] != line_idx[:-1]
    last = np.ones(len(keys), bool)
    last[:-1] = line_idx[1:] != line_idx[:-1]
    # lines reduced to one vertex are dropped
    single = first & last
    if single.any():
        coords, line_idx, keys = coords[~single], line_idx[~single], keys[~single]
        first, last = first[~single], last[~single]
    uniq, inv, counts = np.unique(keys, return_inverse=True, return_counts=True)
    is_end_key = np.zeros(len(uniq), bool)
    is_end_key[inv[first | last]] = True
    node_key = is_end_key | (counts >= 2)
    brk = node_key[inv] & ~first & ~last
    rep = 1 + brk.astype(np.int64)
    idx = np.repeat(np.arange(len(keys)), rep)
    # starts: first vertex of a line, or the second copy of a break vertex
    start = np.repeat(first, rep)
    second = np.zeros(len(idx), bool)
    second[1:] = idx[1:] == idx[:-1]
    start |= second
    offsets = np.concatenate([np.flatnonzero(start), [len(idx)]]).astype(np.int64)
    return coords[idx], offsets, line_idx[idx[offsets[:-1]]], keys[idx]


def quantise(coords: np.ndarray, tol: float) -> np.ndarray:
    """Int64 key per coordinate pair, equal for points in the same ``tol``-sized grid cell."""
    if len(coords) == 0:
        return np.zeros(0, np.int64)
    q = np.round(coords / tol).astype(np.int64)
    _, inv = np.unique(q, axis=0, return_inverse=True)
    return inv.ravel().astype(np.int64)


def lines_from_offsets(coords: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Shapely LineStrings from flat coordinates and offsets (vectorised)."""
    n = len(offsets) - 1
    if n == 0:
        return np.empty(0, dtype=object)
    counts = np.diff(offsets)
    return shapely.linestrings(coords, indices=np.repeat(np.arange(n), counts))


def cumulative_lengths(coords: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Distance (m) of each vertex from the start of its line."""
    step = np.zeros(len(coords))
    if len(coords) > 1:
        step[1:] = np.hypot(*(coords[1:] - coords[:-1]).T)
    step[offsets[:-1][np.diff(offsets) > 0]] = 0.0
    cum = np.cumsum(step)
    counts = np.diff(offsets)
    base = np.repeat(cum[offsets[:-1][counts > 0]], counts[counts > 0])
    return cum - base


def substrings(
    coords: np.ndarray, offsets: np.ndarray, cum: np.ndarray, seg: np.ndarray, d0: np.ndarray, d1: np.ndarray
) -> np.ndarray:
    """Parts of lines between distances ``d0`` and ``d1`` (m) along them, vectorised.

    Parameters
    ----------
    coords, offsets, cum : numpy.ndarray
        Vertex coordinates, offsets and cumulative lengths of all lines.
    seg : numpy.ndarray
        Line number of each requested piece.
    d0, d1 : numpy.ndarray
        Start and end distance (m) along the line, ``0 <= d0 <= d1 <= length``.

    Returns
    -------
    numpy.ndarray of shapely.LineString
    """
    k = len(seg)
    if k == 0:
        return np.empty(0, dtype=object)
    lo = offsets[seg]
    hi = offsets[seg + 1]
    # interior vertices strictly between d0 and d1
    first_in = lo + _searchsorted_rows(cum, lo, hi, d0, side="right")
    last_in = lo + _searchsorted_rows(cum, lo, hi, d1, side="left")  # exclusive
    n_in = np.maximum(last_in - first_in, 0)
    start_pt = _interp(coords, cum, lo, hi, d0)
    end_pt = _interp(coords, cum, lo, hi, d1)
    total = n_in + 2
    out_off = np.concatenate([[0], np.cumsum(total)])
    out = np.empty((out_off[-1], 2))
    out[out_off[:-1]] = start_pt
    out[out_off[1:] - 1] = end_pt
    if n_in.sum():
        piece = np.repeat(np.arange(k), n_in)
        within = np.arange(n_in.sum()) - np.repeat(np.cumsum(n_in) - n_in, n_in)
        out[out_off[piece] + 1 + within] = coords[first_in[piece] + within]
    return shapely.linestrings(out, indices=np.repeat(np.arange(k), total))


def _searchsorted_rows(cum: np.ndarray, lo: np.ndarray, hi: np.ndarray, d: np.ndarray, side: str) -> np.ndarray:
    """Per-row searchsorted of ``d`` in ``cum[lo:hi]`` (rows are non-decreasing), vectorised.

    Every row is shifted into its own band of width ``span`` so that one global
    ``searchsorted`` answers all rows; the result is relative to ``lo``.
    """
    counts = hi - lo
    row = np.repeat(np.arange(len(lo)), counts)
    span = float(cum.max()) * 2.0 + 1.0 if len(cum) else 1.0
    keyed = cum[_row_vertices(lo, hi)] + row * span
    pos = np.searchsorted(keyed, d + np.arange(len(lo)) * span, side=side)
    return pos - (np.cumsum(counts) - counts)


def _row_vertices(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    counts = hi - lo
    starts = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    return np.arange(counts.sum()) + starts


def _interp(coords: np.ndarray, cum: np.ndarray, lo: np.ndarray, hi: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Point at distance ``d`` along each line ``lo:hi`` (clamped to the line)."""
    j = lo + _searchsorted_rows(cum, lo, hi, d, side="right") - 1
    j = np.clip(j, lo, hi - 2)
    seg_len = cum[j + 1] - cum[j]
    f = np.divide(d - cum[j], seg_len, out=np.zeros(len(d)), where=seg_len > 0)
    f = np.clip(f, 0.0, 1.0)
    return coords[j] + (coords[j + 1] - coords[j]) * f[:, None]


# --- sparse graphs ------------------------------------------------------------------------


def csr_min(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> sp.csr_array:
    """CSR adjacency ``n x n`` keeping the smallest weight of parallel edges; explicit zeros kept.

    Self-loops are dropped (they never shorten a path).
    """
    keep = (u != v) & np.isfinite(w)
    u, v, w = u[keep], v[keep], w[keep]
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, w = u[first], v[first], w[first]
    indptr = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    return sp.csr_array((w.astype(np.float64), v.astype(np.int32), indptr), shape=(n, n))


def augment(base: sp.csr_array, owner: np.ndarray, node: np.ndarray, cost: np.ndarray, n_src: int) -> sp.csr_array:
    """Append ``n_src`` virtual source rows to ``base``: row ``n + owner`` → ``node`` at ``cost``.

    The result is square ``(n + n_src)``; virtual nodes have no incoming edges. Duplicate
    (owner, node) pairs keep the smallest cost.
    """
    n = base.shape[0]
    keep = np.isfinite(cost)
    owner, node, cost = owner[keep], node[keep], cost[keep]
    order = np.lexsort((cost, node, owner))
    owner, node, cost = owner[order], node[order], cost[order]
    first = np.ones(len(owner), bool)
    first[1:] = (owner[1:] != owner[:-1]) | (node[1:] != node[:-1])
    owner, node, cost = owner[first], node[first], cost[first]
    counts = np.bincount(owner, minlength=n_src)
    indptr = np.concatenate([base.indptr, base.indptr[-1] + np.cumsum(counts)]).astype(np.int32)
    indices = np.concatenate([base.indices, node.astype(np.int32)])
    data = np.concatenate([base.data, cost.astype(np.float64)])
    m = n + n_src
    return sp.csr_array((data, indices, indptr), shape=(m, m))


# --- planar faces ---------------------------------------------------------------------------


def planar_faces(
    coords: np.ndarray, offsets: np.ndarray, seg_u: np.ndarray, seg_v: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Faces of the plane graph drawn by the segments, found from the angles at the nodes.

    Every segment gives two half-edges (``u → v`` and ``v → u``); around each node they are
    sorted by the angle at which they leave it, and the face to the left of a half-edge
    continues with the first half-edge clockwise from its twin at its end node. The cycles
    of that successor are the faces; those of positive area are bounded, the others (the
    outside of each connected piece) are not. Memory is a few arrays per half-edge (about
    250 MB for 2,000,000 segments), unlike polygonising the lines with GEOS.

    Parameters
    ----------
    coords, offsets : numpy.ndarray
        Vertex coordinates and offsets of the segment lines (drawn from ``u`` to ``v``).
    seg_u, seg_v : numpy.ndarray
        End nodes of each segment.

    Returns
    -------
    tuple of numpy.ndarray
        ``(left, right, degree)``: the bounded face left and right of each segment (drawn
        from ``u`` to ``v``; ``-1`` for the unbounded side) and the number of segments
        bounding each face (segments with the same face on both sides not counted).

    Notes
    -----
    Segments are assumed not to cross except at nodes (a bridge drawn across a road without
    a shared node makes the faces there combinatorial rather than geometric).
    """
    from scipy.sparse.csgraph import connected_components

    n = len(seg_u)
    if n == 0:
        z = np.zeros(0, np.int64)
        return z, z, z
    off0 = offsets[:-1]
    off1 = offsets[1:]
    origin = np.empty(2 * n, np.int64)
    origin[0::2] = seg_u
    origin[1::2] = seg_v
    d = np.empty((2 * n, 2))
    d[0::2] = coords[off0 + 1] - coords[off0]
    d[1::2] = coords[off1 - 2] - coords[off1 - 1]
    angle = np.arctan2(d[:, 1], d[:, 0])
    del d
    order = np.lexsort((angle, origin))  # counter-clockwise around each node
    del angle
    sorted_origin = origin[order]
    first = np.ones(2 * n, bool)
    first[1:] = sorted_origin[1:] != sorted_origin[:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(2 * n), 0))
    last = np.ones(2 * n, bool)
    last[:-1] = first[1:]
    group_end = np.flatnonzero(last)[np.cumsum(first) - 1]
    del sorted_origin, last
    # clockwise neighbour in the sorted order (the previous one, cyclically)
    prev_pos = np.where(first, group_end, np.arange(2 * n) - 1)
    del first, group_start, group_end
    pos = np.empty(2 * n, np.int64)
    pos[order] = np.arange(2 * n)
    twin = np.arange(2 * n) ^ 1
    nxt = order[prev_pos[pos[twin]]]
    del pos, prev_pos, order, twin
    graph = sp.csr_array((np.ones(2 * n, np.int8), (np.arange(2 * n), nxt)), shape=(2 * n, 2 * n))
    n_face, face = connected_components(graph, directed=True, connection="weak")
    del graph, nxt
    # signed area of each face: shoelace over the half-edges' lines
    ref = coords.mean(axis=0)
    c = coords - ref
    cross = c[:-1, 0] * c[1:, 1] - c[1:, 0] * c[:-1, 1]
    vseg = np.repeat(np.arange(n), np.diff(offsets))[:-1]
    inside = np.ones(len(cross), bool)
    inside[off1[:-1] - 1] = False  # pairs across two segments
    a_seg = np.bincount(vseg[inside], weights=cross[inside], minlength=n)
    del c, cross, vseg, inside
    w = np.empty(2 * n)
    w[0::2] = a_seg
    w[1::2] = -a_seg
    area2 = np.bincount(face, weights=w, minlength=n_face)
    bounded = area2 > 1e-9 * max(1.0, float(np.abs(area2).max()))
    face_id = np.where(bounded, np.cumsum(bounded) - 1, -1)
    left = face_id[face[0::2]]
    right = face_id[face[1::2]]
    bnd = left != right
    degree = np.bincount(np.concatenate([left[bnd & (left >= 0)], right[bnd & (right >= 0)]]),
                         minlength=int(bounded.sum()))
    return left, right, degree


# --- directed edges to segments ------------------------------------------------------------


def pair_reverse_edges(
    u: np.ndarray, v: np.ndarray, coords: np.ndarray, offsets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Pair each directed edge with its reverse (same line backwards) into segments.

    Edge ``(u, v, g)`` pairs with ``(v, u, reverse(g))``. Every edge gets a canonical key
    ``(min(u, v), max(u, v), line drawn from min to max)`` and a direction flag; for a
    closed edge (``u == v``: a ring road, a service loop) the canonical drawing is the
    smaller of ``g`` and ``reverse(g)`` by WKB, so a two-way ring's two copies pair up
    instead of becoming two one-way loops. A loop whose line is its own reverse (an
    out-and-back) pairs its copies in the order they come. Edges with the same key and
    direction are paired with the reverse copies in order (parallel roads of identical
    shape). Lines are compared as GEOS compares them after ``set_precision(g, 1e-9)``
    (vertices on a 1e-9 grid, repeated vertices dropped, a line collapsed to a point is
    empty).

    Vectorised: the canonical vertex sequences are hashed (one 64-bit value per edge),
    edges are sorted once by ``(min(u, v), max(u, v), hash)`` and every group of equal
    hashes is checked vertex by vertex against its first edge; only the closed edges are
    compared by WKB. Should two different lines between the same nodes ever share a hash,
    the WKB comparison of all edges (:func:`pair_reverse_edges_wkb`) decides instead.

    Parameters
    ----------
    u, v : numpy.ndarray
        ``(m,)`` end nodes of the directed edges.
    coords, offsets : numpy.ndarray
        Vertex coordinates of the edges' lines, each drawn from ``u`` to ``v``, and the
        ``(m+1,)`` offsets into them.

    Returns
    -------
    tuple of numpy.ndarray
        Per segment (in the order of their first edge), the edge travelling it forward and
        the one travelling it backward (``-1`` where that direction does not exist).
    """
    n = len(u)
    if n == 0:
        z = np.zeros(0, np.int64)
        return z, z
    u = np.asarray(u, np.int64)
    v = np.asarray(v, np.int64)
    counts = np.diff(offsets)
    edge_of = np.repeat(np.arange(n), counts)
    p = _geos_precise(coords)
    # GEOS drops repeated vertices keeping the first of a run, in the direction it reads
    same_prev = np.zeros(len(p), bool)
    same_prev[1:] = (edge_of[1:] == edge_of[:-1]) & (p[1:] == p[:-1]).all(axis=1)
    same_next = np.zeros(len(p), bool)
    same_next[:-1] = same_prev[1:]
    n_fwd = np.bincount(edge_of[~same_prev], minlength=n)
    loop = u == v
    fwd_dir = u < v  # edge runs along the canonical drawing
    palin = np.zeros(n, bool)
    if loop.any():
        # the WKB of set_precision(g) and of set_precision(reverse(g)), from the rounded vertices
        lp = np.flatnonzero(loop & (n_fwd >= 2))
        in_lp = np.zeros(n, bool)
        in_lp[lp] = True
        sel = np.flatnonzero(in_lp[edge_of] & ~same_prev)
        g_fwd = shapely.to_wkb(shapely.linestrings(p[sel], indices=np.searchsorted(lp, edge_of[sel])), hex=True)
        sel = np.flatnonzero(in_lp[edge_of] & ~same_next)
        sel = sel[np.lexsort((-sel, edge_of[sel]))]  # each loop's vertices backwards
        g_rev = shapely.to_wkb(shapely.linestrings(p[sel], indices=np.searchsorted(lp, edge_of[sel])), hex=True)
        fwd_dir[lp] = g_fwd <= g_rev
        palin[lp] = g_fwd == g_rev
        collapsed = loop & (n_fwd < 2)  # empty both ways
        fwd_dir[collapsed] = True
        palin[collapsed] = True
    flip = ~fwd_dir
    # canonical vertex sequence of every edge (a collapsed line is empty)
    keep = np.where(flip[edge_of], ~same_next, ~same_prev) & (n_fwd >= 2)[edge_of]
    kept = np.flatnonzero(keep)
    k_edge = edge_of[kept]
    k_cnt = np.bincount(k_edge, minlength=n)
    k_off = np.concatenate([[0], np.cumsum(k_cnt)])
    within = np.arange(len(kept)) - k_off[k_edge]
    slot = k_off[k_edge] + np.where(flip[k_edge], k_cnt[k_edge] - 1 - within, within)
    canon = np.empty(len(kept), np.int64)
    canon[slot] = kept
    bits = np.ascontiguousarray(p[canon]).view(np.int64).reshape(-1, 2).view(np.uint64)
    pos = (np.arange(len(canon)) - np.repeat(k_off[:-1], k_cnt)).astype(np.uint64)
    with np.errstate(over="ignore"):
        hv = _mix64(_mix64(bits[:, 0] ^ np.uint64(0x9E3779B97F4A7C15)) + bits[:, 1] * np.uint64(0xBF58476D1CE4E5B9)
                    + pos * np.uint64(0x94D049BB133111EB))
    h = np.zeros(n, np.uint64)
    ne = k_cnt > 0
    if ne.any():
        h[ne] = np.add.reduceat(hv, k_off[:-1][ne])
    h ^= k_cnt.astype(np.uint64)
    a = np.minimum(u, v)
    b = np.maximum(u, v)
    with np.errstate(over="ignore"):
        h = _mix64(h ^ _mix64(a.astype(np.uint64) * np.uint64(0xD6E8FEB86659FD93) + b.astype(np.uint64)))
    order = np.argsort(h, kind="stable")  # groups of equal hash, edges in input order within
    hs = h[order]
    new = np.ones(n, bool)
    new[1:] = hs[1:] != hs[:-1]
    # every edge must have the ends and line of its group's first edge (a hash collision otherwise)
    lead = np.empty(n, np.int64)
    lead[order] = order[np.maximum.accumulate(np.where(new, np.arange(n), 0))]
    ok = bool((k_cnt == k_cnt[lead]).all() and (a == a[lead]).all() and (b == b[lead]).all())
    if ok:
        rel = np.arange(len(canon)) - np.repeat(k_off[:-1], k_cnt)
        vert_lead = k_off[lead[np.repeat(np.arange(n), k_cnt)]] + rel
        ok = bool((bits == bits[vert_lead]).all())
    if not ok:
        log.debug("pair_reverse_edges: hash collision, comparing lines by WKB")
        return pair_reverse_edges_wkb(u, v, lines_from_offsets(coords, offsets))
    return _pair_sorted(order, new, fwd_dir, palin)


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser of uint64 values (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _geos_precise(coords: np.ndarray) -> np.ndarray:
    """Coordinates rounded as GEOS ``set_precision(g, 1e-9)`` rounds them.

    GEOS computes ``round(c * 1e9) / 1e9`` with rounding half up (towards +inf) and keeps
    the sign of a negative value rounded to zero (``-0.0``, which WKB tells from ``0.0``).
    """
    x = np.asarray(coords, float) * 1e9
    r = np.floor(x)
    half = x - r
    np.greater_equal(half, 0.5, out=half)
    r += half
    zero = r == 0
    if zero.any():
        r[zero] = np.copysign(0.0, x[zero])
    r /= 1e9
    return r


def _subset(coords: np.ndarray, offsets: np.ndarray, sel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and offsets of lines ``sel`` (any order) of flat coordinates."""
    counts = np.diff(offsets)[sel]
    start = offsets[:-1][sel]
    idx = np.repeat(start - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum())
    return coords[idx], np.concatenate([[0], np.cumsum(counts)])


def _pair_sorted(
    order: np.ndarray, new: np.ndarray, f: np.ndarray, palin: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Segments from grouped edges: in each group the k-th forward edge with the k-th backward one.

    ``order`` lists the edges group after group, in input order within a group; ``new``
    flags the first of each group; ``f`` is each edge's direction. In groups of ``palin``
    edges (out-and-back loops) the copies alternate between the two directions.
    """
    n = len(order)
    grp = np.cumsum(new) - 1
    start = np.flatnonzero(new)
    fo = f[order].astype(bool)
    pal = palin[order]
    if pal.any():
        fo[pal] = (np.arange(n) - start[grp])[pal] % 2 == 0
    bo = ~fo
    cf = np.cumsum(fo)
    cb = np.cumsum(bo)
    rank = np.where(fo, cf - cf[start][grp] + fo[start][grp], cb - cb[start][grp] + bo[start][grp]) - 1
    size = np.diff(np.append(start, n))
    nf = np.add.reduceat(fo.astype(np.int64), start)
    n_seg_g = np.maximum(nf, size - nf)
    sid = (np.cumsum(n_seg_g) - n_seg_g)[grp] + rank
    n_seg = int(n_seg_g.sum())
    fwd_of = np.full(n_seg, -1, np.int64)
    bwd_of = np.full(n_seg, -1, np.int64)
    fwd_of[sid[fo]] = order[fo]
    bwd_of[sid[bo]] = order[bo]
    # segments formed from a backward-only edge keep that edge's direction as "forward"
    only_b = fwd_of < 0
    fwd_of[only_b], bwd_of[only_b] = bwd_of[only_b], -1
    # segments in the order of their forward edge
    at = np.full(n, -1, np.int64)
    at[fwd_of] = np.arange(n_seg)
    seg_order = at[at >= 0]
    return fwd_of[seg_order], bwd_of[seg_order]


def pair_reverse_edges_wkb(u: np.ndarray, v: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pair_reverse_edges` comparing the lines (shapely geometries) by their WKB.

    Used for lines that are not plain 2D LineStrings and when two different lines hash
    alike; same rules and result.
    """
    n = len(u)
    if n == 0:
        z = np.zeros(0, np.int64)
        return z, z
    g_fwd = shapely.to_wkb(shapely.set_precision(geoms, 1e-9), hex=True)
    g_rev = shapely.to_wkb(shapely.set_precision(shapely.reverse(geoms), 1e-9), hex=True)
    loop = u == v
    fwd_dir = np.where(loop, g_fwd <= g_rev, u < v)
    canon = np.where(fwd_dir, g_fwd, g_rev)
    palin = loop & (g_fwd == g_rev)
    gid = pd.factorize(pd.MultiIndex.from_arrays([np.minimum(u, v), np.maximum(u, v), canon]))[0]
    order = np.argsort(gid, kind="stable")
    new = np.ones(n, bool)
    new[1:] = gid[order][1:] != gid[order][:-1]
    return _pair_sorted(order, new, fwd_dir, palin)


# --- index labels ----------------------------------------------------------------------------


def positions_of(index: pd.Index, labels: pd.Series) -> np.ndarray:
    """Positions in ``index`` of labels (first occurrence)."""
    lookup = pd.Series(np.arange(len(index)), index=index)
    lookup = lookup[~lookup.index.duplicated()]
    return lookup.reindex(labels.to_numpy(dtype=object)).fillna(-1).to_numpy(np.int64)


def labels_at(index: pd.Index, pos: np.ndarray) -> pd.array:
    """Labels of ``index`` at positions ``pos`` (``-1`` → missing), nullable where possible."""
    pos = np.asarray(pos, np.int64)
    vals = index.to_numpy()
    if pd.api.types.is_integer_dtype(index.dtype):
        out = pd.array(np.where(pos >= 0, vals[np.maximum(pos, 0)] if len(vals) else 0, 0), dtype="Int64")
        out[pos < 0] = pd.NA
        return out
    res = np.empty(len(pos), dtype=object)
    if len(vals):
        res[:] = vals[np.maximum(pos, 0)]
    res[pos < 0] = pd.NA
    return pd.array(res, dtype=object)
