"""Noding and repairs of road lines, the geometric half of :func:`mzgeo.network.build.from_lines`.

:func:`node_lines` adds a vertex wherever two lines cross, a line crosses itself or lines
overlap; :func:`snap_dangles` joins road ends that stop short of (or overshoot) another
road. Both work on all straight pieces of all lines at once (STRtree bulk queries, no
Python loop over features) and return the repairs for the network's build report. Kept
beside ``build.py`` as ``_raster.py`` is beside ``isochrone.py``: pure geometry on arrays,
with no knowledge of networks.

Examples
--------
>>> from shapely import LineString
>>> lines, src, fixes = node_lines(np.array([LineString([(0, 0), (2, 2)]), LineString([(0, 2), (2, 0)])]))
>>> [list(g.coords) for g in lines], fixes  # both noded at (1, 1); an ordinary crossing is no repair
([[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)], [(0.0, 2.0), (1.0, 1.0), (2.0, 0.0)]], [])
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from . import _graph

__all__ = ["node_lines", "snap_dangles"]


def _pieces(coords: np.ndarray, li: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Straight pieces of flat line coordinates: start vertex index, start, end, line."""
    a_idx = np.flatnonzero(li[1:] == li[:-1])
    return a_idx, coords[a_idx], coords[a_idx + 1], li[a_idx]


def _insert_vertices(
    coords: np.ndarray, li: np.ndarray, a_idx: np.ndarray, piece: np.ndarray, t: np.ndarray, xy: np.ndarray,
) -> np.ndarray:
    """Lines from flat coordinates with points ``xy`` inserted at fraction ``t`` of pieces ``piece``.

    Original vertex k has order key k; an inserted point on the piece starting at vertex
    a has key a + t, so every line keeps its vertex order.
    """
    key = np.concatenate([np.arange(len(coords), dtype=float), a_idx[piece] + t])
    line = np.concatenate([li, li[a_idx[piece]]])
    pts = np.concatenate([coords, xy])
    order = np.lexsort((key, line))
    return shapely.linestrings(pts[order], indices=line[order])


def node_lines(parts: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[tuple[str, np.ndarray]]]:
    """Add a vertex to both lines wherever two lines cross, a line crosses itself, or lines overlap.

    Every straight piece of every line is paired with the pieces it intersects (STRtree
    bulk query); the crossing point is computed once per pair and inserted into both
    pieces, so both get exactly the same coordinates (they become one node when the lines
    are split at shared vertices). Non-adjacent pieces of the same line are paired too, so
    a looped road is noded where it crosses itself. Collinear overlapping pieces get each
    other's end points inside the overlap (the shared stretch then becomes duplicate
    segments, merged later). Returns the lines (same order), their source positions and
    the repairs ``[(kind, xy)]`` for the build report (self-crossings, overlaps; ordinary
    crossings of two roads are not repairs).
    """
    coords, li = shapely.get_coordinates(parts, return_index=True)
    a_idx, A, B, seg_line = _pieces(coords, li)
    src = np.arange(len(parts))
    if len(a_idx) < 2:
        return parts, src, []
    segs = shapely.linestrings(np.stack([A, B], axis=1))
    tree = shapely.STRtree(segs)
    i, j = tree.query(segs, predicate="intersects")
    keep = (i < j) & ~((seg_line[i] == seg_line[j]) & (np.abs(a_idx[i] - a_idx[j]) == 1))
    i, j = i[keep], j[keep]
    r = B[i] - A[i]
    q = B[j] - A[j]
    w = A[j] - A[i]
    den = r[:, 0] * q[:, 1] - r[:, 1] * q[:, 0]
    lr = np.hypot(r[:, 0], r[:, 1])
    lq = np.hypot(q[:, 0], q[:, 1])
    # collinear: parallel and A[j] on the line through piece i (intersecting pieces)
    off = np.abs(w[:, 0] * r[:, 1] - w[:, 1] * r[:, 0]) / np.maximum(lr, 1e-300)
    col = (np.abs(den) <= 1e-12 * lr * lq) & (off <= 1e-9 * np.maximum(1.0, lr))
    eps = 1e-9
    ins_seg, ins_t, ins_p, fixes = [], [], [], []
    # collinear overlaps: each piece gets the other's end points lying strictly inside it
    ci, cj, cr, cq = i[col], j[col], r[col], q[col]
    if len(ci):
        rr = np.einsum("ij,ij->i", cr, cr)
        qq = np.einsum("ij,ij->i", cq, cq)
        added = []
        for tgt, d, dd, P0, P1 in ((ci, cr, rr, A[cj], B[cj]), (cj, cq, qq, A[ci], B[ci])):
            for P in (P0, P1):
                s = np.einsum("ij,ij->i", P - A[tgt], d) / np.maximum(dd, 1e-300)
                m = (s > eps) & (s < 1 - eps)
                ins_seg.append(tgt[m])
                ins_t.append(s[m])
                ins_p.append(P[m])
                added.append(P[m])
        pts = np.concatenate(added)
        if len(pts):
            fixes.append(("overlap_noded", np.unique(pts, axis=0)))
    ok = (den != 0) & ~col
    i, j, r, q, w, den = i[ok], j[ok], r[ok], q[ok], w[ok], den[ok]
    t = (w[:, 0] * q[:, 1] - w[:, 1] * q[:, 0]) / den
    P = A[i] + t[:, None] * r
    u = (w[:, 0] * r[:, 1] - w[:, 1] * r[:, 0]) / den
    ti = (t > eps) & (t < 1 - eps)
    uj = (u > eps) & (u < 1 - eps)
    # where the crossing is a vertex of the other line, use that vertex exactly (T-junctions)
    Pi = np.where((u <= eps)[:, None], A[j], np.where((u >= 1 - eps)[:, None], B[j], P))
    Pj = np.where((t <= eps)[:, None], A[i], np.where((t >= 1 - eps)[:, None], B[i], P))
    ins_seg += [i[ti], j[uj]]
    ins_t += [t[ti], u[uj]]
    ins_p += [Pi[ti], Pj[uj]]
    own = (seg_line[i] == seg_line[j]) & (ti | uj)
    if own.any():
        # one row per place (a line passing through its own vertex meets two pieces there)
        fixes.append(("self_crossing", np.unique(np.where(ti[own][:, None], Pi[own], Pj[own]), axis=0)))
    piece = np.concatenate(ins_seg)
    if len(piece) == 0:
        return parts, src, fixes
    out = _insert_vertices(coords, li, a_idx, piece, np.concatenate(ins_t), np.concatenate(ins_p))
    return out, np.unique(li), fixes


def snap_dangles(
    parts: np.ndarray, snap_m: float, tolerance_m: float, target: np.ndarray,
) -> tuple[np.ndarray, list[tuple[str, np.ndarray, np.ndarray]]]:
    """Join road ends that stop short of another road (within ``snap_m``) to that road.

    A *dangling end* is a first or last vertex whose location (within ``tolerance_m``) no
    other vertex shares. Each is paired (STRtree ``dwithin`` bulk query) with the straight
    pieces within ``snap_m``, except the pieces of its own line closer than ``2 * snap_m``
    along the line; the nearest point of the nearest piece is its new position, and that
    point is added to the piece (the road is split there). Pieces of lines with
    ``target`` False (bridges) only receive ends at their vertices. Two dangling ends
    within ``snap_m`` of each other (a gap between two roads) are joined at one of them.
    Returns the lines (same order) and the repairs ``[(kind, xy, moved_m)]``.
    """
    coords, li = shapely.get_coordinates(parts, return_index=True)
    if snap_m <= 0 or len(coords) < 2:
        return parts, []
    a_idx, A, B, seg_line = _pieces(coords, li)
    n_line = len(parts)
    counts = np.bincount(li, minlength=n_line)
    off = np.concatenate([[0], np.cumsum(counts)])
    has = counts >= 2
    ends = np.concatenate([off[:-1][has], off[1:][has] - 1])
    keys = _graph.quantise(coords, tolerance_m)
    kc = np.bincount(keys)
    ends = np.unique(ends[kc[keys[ends]] == 1])
    if len(ends) == 0 or len(a_idx) == 0:
        return parts, []
    cum = _graph.cumulative_lengths(coords, off)
    length = np.zeros(n_line)
    length[has] = cum[off[1:][has] - 1]
    tree = shapely.STRtree(shapely.linestrings(np.stack([A, B], axis=1)))
    e, k = tree.query(shapely.points(coords[ends]), predicate="dwithin", distance=snap_m)
    end_v = ends[e]
    at_start = end_v == off[li[end_v]]
    along = np.where(at_start, cum[a_idx[k]], length[li[end_v]] - cum[a_idx[k] + 1])
    ok = ~((seg_line[k] == li[end_v]) & (along <= 2 * snap_m))
    e, k, end_v = e[ok], k[ok], end_v[ok]
    P = coords[end_v]
    d_ab = B[k] - A[k]
    dd = np.einsum("ij,ij->i", d_ab, d_ab)
    t = np.clip(np.einsum("ij,ij->i", P - A[k], d_ab) / np.maximum(dd, 1e-300), 0.0, 1.0)
    Q = A[k] + t[:, None] * d_ab
    near_a = (t <= 1e-9) | (np.hypot(*(Q - A[k]).T) < tolerance_m)
    near_b = ~near_a & ((t >= 1 - 1e-9) | (np.hypot(*(Q - B[k]).T) < tolerance_m))
    interior = ~near_a & ~near_b
    # bridges take ends only at their vertices
    allowed = target[seg_line[k]] | ~interior
    e, k, end_v, t, near_a, near_b, interior = (e[allowed], k[allowed], end_v[allowed], t[allowed],
                                                near_a[allowed], near_b[allowed], interior[allowed])
    Q = np.where(near_a[:, None], A[k], np.where(near_b[:, None], B[k], A[k] + t[:, None] * (B[k] - A[k])))
    dist = np.hypot(*(Q - coords[end_v]).T)
    if len(e) == 0:
        return parts, []
    best = np.lexsort((k, dist, e))
    first = np.ones(len(best), bool)
    first[1:] = e[best][1:] != e[best][:-1]
    b = best[first]
    end_v, k, t, Q, dist, near_a, near_b, interior = (end_v[b], k[b], t[b], Q[b], dist[b], near_a[b], near_b[b],
                                                      interior[b])
    # an end whose target is another dangling end: join the pair (clusters) at one vertex
    tgt_v = np.where(near_a, a_idx[k], np.where(near_b, a_idx[k] + 1, -1))
    is_end = np.zeros(len(coords), bool)
    is_end[ends] = True
    pair = (tgt_v >= 0) & is_end[np.maximum(tgt_v, 0)]
    moved_v, moved_to = [], []
    members = np.zeros(0, np.int64)
    if pair.any():
        members, inv = np.unique(np.concatenate([end_v[pair], tgt_v[pair]]), return_inverse=True)
        m = int(pair.sum())
        g = sp.coo_array((np.ones(m), (inv[:m], inv[m:])), shape=(len(members), len(members)))
        _, lab = connected_components(g, directed=False)
        rep = np.full(lab.max() + 1, np.iinfo(np.int64).max)
        np.minimum.at(rep, lab, members)  # each cluster joins at its first vertex
        move = members != rep[lab]
        moved_v.append(members[move])
        moved_to.append(coords[rep[lab][move]])
    # ends lying exactly on a road (distance 0) are T-junctions: noded with the crossings
    tsnap = ~np.isin(end_v, members) & (dist > 1e-9)
    moved_v.append(end_v[tsnap])
    moved_to.append(Q[tsnap])
    mv = np.concatenate(moved_v)
    mt = np.concatenate(moved_to).reshape(-1, 2)
    moved = np.hypot(*(mt - coords[mv]).T)
    new = coords.copy()
    new[mv] = mt
    ins = tsnap & interior
    out = _insert_vertices(new, li, a_idx, k[ins], t[ins], Q[ins])
    rep_mask = moved > 0
    fixes = [("dangle_snapped", mt[rep_mask], moved[rep_mask])] if rep_mask.any() else []
    return out, fixes
