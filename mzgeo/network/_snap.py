"""Nearest road piece of many points: a uniform grid with a precomputed candidate list per cell.

A *piece* is two consecutive vertices of a segment line. The grid lists every piece in the
cells its bounding box touches (``indptr``/``piece``). On top of it, every cell ``C`` gets a
bound ``U`` on the distance from any point of ``C`` to its nearest piece (the largest
distance from a corner of ``C`` to a piece listed in ``C``, spread to the cells around by
adding the distance between cells, like a distance transform), and the list of the pieces
that can be nearest for some point of ``C``: those whose bounding box comes within
``U + _MARGIN_M`` of the cell. A point then needs one gather of its cell's list and one
vectorised pass of exact distances; every piece within ``U`` of the point (so the nearest,
and every near tie) is in that list. Points in cells without a short list (more than
``CAND_R`` cells from every road) or outside the grid use the block search
:func:`nearest_blocks` (blocks of cells of growing radius around the point).

Distances use GEOS's point-to-segment formula (:func:`point_segment_distance`), so the
nearest distances equal those of shapely's ``STRtree.query_nearest``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

TIE_M = 1e-6  # nearest distances closer than this (m) are near ties, settled by the caller
GRID_R = 8  # largest block radius (cells) searched by :func:`nearest_blocks`
CAND_R = 3  # cells whose bound needs a block radius above this get no candidate list
_MARGIN_M = 1e-3  # slack (m) on the bound for rounding in the cell of a point
_CHUNK = 2_000_000  # (cell, piece) pairs examined at once while building the lists


def point_segment_distance(px: Any, py: Any, ax: Any, ay: Any, bx: Any, by: Any) -> np.ndarray:
    """Distance (m) from points ``(px, py)`` to straight pieces ``a``-``b``, broadcast.

    The arithmetic of GEOS's ``Distance::pointToSegment``, so the distances equal shapely's.
    """
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        r = ((px - ax) * dx + (py - ay) * dy) / len2
        perp = np.abs(((ay - py) * dx - (ax - px) * dy) / len2) * np.sqrt(len2)
    ex, ey = px - ax, py - ay
    d_a = np.sqrt(ex * ex + ey * ey)
    ex, ey = px - bx, py - by
    d_b = np.sqrt(ex * ex + ey * ey)
    return np.where((len2 == 0) | (r <= 0), d_a, np.where(r >= 1, d_b, perp))


def _runs(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Owner and rank of each element of consecutive runs of ``counts`` elements."""
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(counts)), counts)
    rank = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, rank


def build_index(coords: np.ndarray, offsets: np.ndarray, ids: np.ndarray) -> dict[str, Any]:
    """Grid of the straight pieces of segments ``ids`` (lines ``coords``/``offsets``, m).

    Cells are half the median piece length (at least ``sqrt(area / (4 pieces))``, so the
    grid has at most about four cells a piece).
    """
    n_sub = np.maximum(np.diff(offsets)[ids] - 1, 0)
    seg_of = np.repeat(ids, n_sub)
    _, rank = _runs(n_sub)
    start = np.repeat(offsets[ids], n_sub) + rank
    a = coords[start]
    b = coords[start + 1]
    # distance along the line to each piece's start, summed piece by piece as GEOS does
    plen = np.sqrt((b[:, 0] - a[:, 0]) ** 2 + (b[:, 1] - a[:, 1]) ** 2)
    m0 = np.zeros(len(a))
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(int(rank.max(initial=0)) + 2))
    for k in range(1, len(bounds) - 1):
        p = by_rank[bounds[k]:bounds[k + 1]]
        m0[p] = m0[p - 1] + plen[p - 1]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    origin = lo.min(axis=0) if len(a) else np.zeros(2)
    ext = np.maximum(hi.max(axis=0) - origin, 1.0) if len(a) else np.ones(2)
    med = float(np.median(np.hypot(*(b - a).T))) if len(a) else 1.0
    cell = max(0.5 * med, math.sqrt(ext[0] * ext[1] / (4.0 * max(len(a), 1))), 1e-3)
    g0 = np.floor((lo - origin) / cell).astype(np.int64)
    g1 = np.floor((hi - origin) / cell).astype(np.int64)
    nx, ny = (int(g1[:, 0].max()) + 1, int(g1[:, 1].max()) + 1) if len(a) else (1, 1)
    w = g1[:, 0] - g0[:, 0] + 1
    cnt = w * (g1[:, 1] - g0[:, 1] + 1)
    piece, local = _runs(cnt)
    cid = (g0[piece, 1] + local // w[piece]) * nx + g0[piece, 0] + local % w[piece]
    order = np.argsort(cid, kind="stable")
    cid, piece = cid[order], piece[order]
    ix = {
        "ab": np.ascontiguousarray(np.column_stack([a, b])),  # ax, ay, bx, by (one row a piece)
        "seg": seg_of, "m0": m0, "len": plen, "origin": origin, "cell": cell, "nx": nx, "ny": ny,
        "indptr": np.searchsorted(cid, np.arange(nx * ny + 1)), "piece": piece,
    }
    ix.update(_candidates(ix, cid, lo, hi, g0))
    return ix


def project(ix: dict[str, Any], piece: np.ndarray, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) along the segment line of the points' projections on their ``piece``.

    GEOS's ``project`` (shapely ``line_locate_point``) restricted to the one piece it would
    choose. Returns the distances and a mask of the pieces of zero length (no projection:
    the caller asks shapely).
    """
    ax, ay, bx, by = ix["ab"].take(piece, axis=0).T
    m0, ln = ix["m0"].take(piece), ix["len"].take(piece)
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        r = ((px - ax) * dx + (py - ay) * dy) / len2
    r = np.where((px == ax) & (py == ay), 0.0, np.where((px == bx) & (py == by), 1.0, r))
    t = np.where(r <= 0, m0, np.where(r <= 1, m0 + r * ln, m0 + ln))
    return t, len2 == 0


def interpolate(ix: dict[str, Any], piece: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Point at distance ``t`` (m) along the segment line, on ``piece`` (GEOS's ``interpolate``).

    ``t`` must lie within the piece (from :func:`project`); pieces of zero length excluded.
    """
    ax, ay, bx, by = ix["ab"].take(piece, axis=0).T
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = (t - ix["m0"].take(piece)) / ix["len"].take(piece)
    x = np.where(frac <= 0, ax, np.where(frac >= 1, bx, (bx - ax) * frac + ax))
    y = np.where(frac <= 0, ay, np.where(frac >= 1, by, (by - ay) * frac + ay))
    return x, y


def _candidates(ix: dict[str, Any], cid: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                g0: np.ndarray) -> dict[str, np.ndarray]:
    """Per-cell bound ``U`` and candidate lists (CSR ``cand_ptr``/``cand``, see the module doc)."""
    c, nx, ny, origin = ix["cell"], ix["nx"], ix["ny"], ix["origin"]
    piece = ix["piece"]
    g0x, g0y = (np.ascontiguousarray(g0[:, k]) for k in (0, 1))  # lower-left cell of each piece's box
    lox, loy, hix, hiy = (np.ascontiguousarray(v[:, k]) for v in (lo, hi) for k in (0, 1))
    n_cell = nx * ny
    # bound from the pieces listed in the cell: farthest corner of the cell from the piece
    ub = np.full(n_cell, np.inf)
    if len(piece):
        gy, gx = np.divmod(cid, nx)
        far = np.zeros(len(piece))
        pab = ix["ab"].take(piece, axis=0).T
        for ox in (0, 1):
            for oy in (0, 1):
                far = np.maximum(far, point_segment_distance(origin[0] + (gx + ox) * c, origin[1] + (gy + oy) * c, *pab))
        run0 = np.flatnonzero(np.diff(cid, prepend=-1))
        ub[cid[run0]] = np.minimum.reduceat(far, run0)
    # spread to the cells around: a point of a cell is within c (c*sqrt 2) of a point of
    # the cell beside (diagonal to) it
    ub = ub.reshape(ny, nx)
    for _ in range(CAND_R + 1):
        vb = ub.copy()
        for step, (sy, sx) in [(c, (1, 0)), (c, (0, 1)), (c * math.sqrt(2.0), (1, 1)), (c * math.sqrt(2.0), (1, -1))]:
            for sgn in (1, -1):
                dy, dx = sy * sgn, sx * sgn
                src = ub[max(dy, 0):ny + min(dy, 0), max(dx, 0):nx + min(dx, 0)]
                dst = vb[max(-dy, 0):ny + min(-dy, 0), max(-dx, 0):nx + min(-dx, 0)]
                np.minimum(dst, src + step, out=dst)
        ub = vb
    ub = ub.ravel()
    bound = ub + _MARGIN_M
    with np.errstate(invalid="ignore"):
        rad = np.where(np.isfinite(bound), np.floor(bound / c) + 1, CAND_R + 1).astype(np.int64)
    has = rad <= CAND_R
    # four listings of the pieces: kind 0 in the cell of the bounding box's lower-left
    # corner only, 1 in the cells of its bottom row, 2 of its left column, 3 everywhere;
    # the block of a cell takes kind 0 from its inner cells, 1 from its left column, 2
    # from its bottom row and 3 from its corner, so every piece touching the block comes once
    gy, gx = np.divmod(cid, nx)
    fx = gx == g0x.take(piece)
    fy = gy == g0y.take(piece)
    ptrs, lists = [], []
    base = 0
    for m in (fx & fy, fy, fx, np.ones(len(piece), bool)):
        ptrs.append(base + np.searchsorted(cid[m], np.arange(n_cell + 1)))
        lists.append(piece[m])
        base += int(m.sum())
    ptr_all = np.concatenate(ptrs)
    piece_all = np.concatenate(lists)
    counts = np.zeros(n_cell, np.int64)
    parts_c, parts_p = [], []
    for r in range(1, CAND_R + 1):
        cells = np.flatnonzero(has & (rad == r))
        if not len(cells):
            continue
        d = np.arange(-r, r + 1)
        ox, oy = np.tile(d, 2 * r + 1), np.repeat(d, 2 * r + 1)  # block offsets, x fastest
        kind = np.where(ox == -r, np.where(oy == -r, 3, 1), np.where(oy == -r, 2, 0))
        per = max(1, _CHUNK // (2 * r + 1) ** 2)
        for k in range(0, len(cells), per):
            cc = cells[k:k + per]
            cy, cx = np.divmod(cc, nx)
            bx = cx[:, None] + ox[None, :]
            by = cy[:, None] + oy[None, :]
            use = (bx >= 0) & (bx < nx) & (by >= 0) & (by < ny)
            at = np.where(use, kind[None, :] * (n_cell + 1) + by * nx + bx, 0)
            st = ptr_all.take(at)
            cn = np.where(use, ptr_all.take(at + 1) - st, 0).ravel()
            owner, rank = _runs(cn)
            p = piece_all.take(st.ravel().take(owner) + rank)
            ci = owner // len(ox)
            x0 = origin[0] + cx * c
            y0 = origin[1] + cy * c
            gapx = np.maximum(np.maximum(lox.take(p) - (x0 + c).take(ci), x0.take(ci) - hix.take(p)), 0.0)
            gapy = np.maximum(np.maximum(loy.take(p) - (y0 + c).take(ci), y0.take(ci) - hiy.take(p)), 0.0)
            keep = gapx * gapx + gapy * gapy <= (bound.take(cc) ** 2).take(ci)
            kc = cc.take(ci[keep])
            parts_c.append(kc)
            parts_p.append(p[keep].astype(np.int32))
            counts += np.bincount(kc, minlength=n_cell)
    cand_ptr = np.zeros(n_cell + 1, np.int64)
    np.cumsum(counts, out=cand_ptr[1:])
    cand = np.zeros(int(cand_ptr[-1]), np.int32)
    if parts_c:
        kc = np.concatenate(parts_c)
        kp = np.concatenate(parts_p)
        # every cell's pairs come from one chunk, consecutive: place them by rank in the run
        brk = np.ones(len(kc), bool)
        brk[1:] = kc[1:] != kc[:-1]
        run0 = np.flatnonzero(brk)
        rank = np.arange(len(kc)) - np.repeat(run0, np.diff(np.append(run0, len(kc))))
        cand[cand_ptr[kc] + rank] = kp
    return {"cand_ptr": cand_ptr, "cand": cand, "has_cand": has}


def _settle(dd: np.ndarray, pc: np.ndarray, owner: np.ndarray, gstart: np.ndarray,
            seg_of: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per group of candidates (consecutive runs from ``gstart``, none empty; ``owner`` = group of each).

    Returns the best distance, the lowest and highest segment among the near ties (within
    :data:`TIE_M` of the best), a near piece (the nearest one where it is alone) and
    whether it is the group's only near piece.
    """
    best = np.minimum.reduceat(dd, gstart)
    near = np.flatnonzero(dd <= best.take(owner) + TIE_M)  # the best itself at least, per group
    own = owner.take(near)
    brk = np.ones(len(own), bool)
    brk[1:] = own[1:] != own[:-1]
    run0 = np.flatnonzero(brk)
    single = np.diff(np.append(run0, len(own))) == 1
    sid = seg_of.take(pc.take(near))
    return (best, np.minimum.reduceat(sid, run0), np.maximum.reduceat(sid, run0),
            pc.take(near.take(run0)), single)


def nearest(ix: dict[str, Any], xy: np.ndarray, md: float) -> tuple[np.ndarray, ...]:
    """Nearest piece's segment of points ``xy`` (m): ``(seg, dist, unsure, piece, single)``.

    ``seg`` is -1 when the nearest piece is farther than ``md`` m; ``unsure`` marks near
    ties (two segments, or the ``md`` limit, within :data:`TIE_M`) and points not settled
    within :data:`GRID_R` cells, for the caller to settle exactly. ``piece`` is the first
    nearest piece (-1 if none seen) and ``single`` tells whether no other piece is within
    :data:`TIE_M` of it (then the position along the segment follows from that piece alone).
    """
    n = len(xy)
    seg = np.full(n, -1, np.int64)
    dist = np.full(n, np.inf)
    unsure = np.zeros(n, bool)
    piece = np.full(n, -1, np.int64)
    single = np.zeros(n, bool)
    c, nx, ny = ix["cell"], ix["nx"], ix["ny"]
    g = np.floor((xy - ix["origin"]) / c)
    inside = (g[:, 0] >= 0) & (g[:, 0] < nx) & (g[:, 1] >= 0) & (g[:, 1] < ny)
    cid = np.where(inside, g[:, 1] * nx + g[:, 0], 0).astype(np.int64)
    short = inside & ix["has_cand"][cid]
    q = np.flatnonzero(short)
    if len(q):
        cq = cid[q]
        ptr = ix["cand_ptr"]
        st = ptr[cq]
        cn = ptr[cq + 1] - st
        gstart = np.cumsum(cn) - cn
        owner = np.repeat(np.arange(len(q)), cn)
        pc = ix["cand"].take(np.repeat(st - gstart, cn) + np.arange(int(gstart[-1] + cn[-1])))
        ppx, ppy = xy.take(q.take(owner), axis=0).T
        dd = point_segment_distance(ppx, ppy, *ix["ab"].take(pc, axis=0).T)
        best, lo_s, hi_s, pk, one = _settle(dd, pc, owner, gstart, ix["seg"])
        seg[q] = np.where(best <= md, hi_s, -1)
        dist[q] = best
        unsure[q] = (lo_s != hi_s) | (np.abs(best - md) <= TIE_M)
        piece[q] = pk
        single[q] = one
    rest = np.flatnonzero(~short)
    if len(rest):
        seg[rest], dist[rest], unsure[rest], piece[rest], single[rest] = nearest_blocks(ix, xy[rest], md)
    return seg, dist, unsure, piece, single


def nearest_blocks(ix: dict[str, Any], xy: np.ndarray, md: float) -> tuple[np.ndarray, ...]:
    """Like :func:`nearest`, by blocks of cells of Chebyshev radius 1, 2, 4, 8 around each point.

    A point is settled when its best exact distance is at most the distance to the block's
    border (every closer piece has then been seen) or the border lies beyond ``md``.
    """
    n = len(xy)
    seg = np.full(n, -1, np.int64)
    dist = np.full(n, np.inf)
    unsure = np.zeros(n, bool)
    piece = np.full(n, -1, np.int64)
    single = np.zeros(n, bool)
    c, nx, ny, indptr = ix["cell"], ix["nx"], ix["ny"], ix["indptr"]
    f = (xy - ix["origin"]) / c
    g = np.floor(f)
    edge = np.minimum(f - g, g + 1 - f).min(axis=1) * c  # to the own cell's border (m)
    g = g.astype(np.int64)
    big = np.iinfo(np.int64).max
    todo = np.arange(n)
    r = 1
    while len(todo):
        if r > GRID_R:  # far from every road: the caller settles these few
            unsure[todo] = True
            break
        d = np.arange(-r, r + 1)
        gx, gy = np.broadcast_arrays(g[todo, 0][:, None, None] + d[None, None, :],
                                     g[todo, 1][:, None, None] + d[None, :, None])
        gx = gx.reshape(len(todo), -1)
        gy = gy.reshape(len(todo), -1)
        inside = (gx >= 0) & (gx < nx) & (gy >= 0) & (gy < ny)
        cid = np.where(inside, gy * nx + gx, 0)
        st = indptr[cid]
        cn = np.where(inside, indptr[cid + 1] - st, 0)
        tot = cn.sum(axis=1)
        owner, rank = _runs(cn.ravel())
        pc = ix["piece"][st.ravel()[owner] + rank]
        q_of = np.repeat(np.arange(len(todo)), tot)
        ppx, ppy = xy.take(todo.take(q_of), axis=0).T
        dd = point_segment_distance(ppx, ppy, *ix["ab"].take(pc, axis=0).T)
        has = tot > 0
        best = np.full(len(todo), np.inf)
        lo_s = np.full(len(todo), big)
        hi_s = np.full(len(todo), -1)
        pk = np.full(len(todo), -1, np.int64)
        one = np.zeros(len(todo), bool)
        if has.any():
            grp = np.repeat(np.arange(int(has.sum())), tot[has])
            best[has], lo_s[has], hi_s[has], pk[has], one[has] = _settle(
                dd, pc, grp, (np.cumsum(tot) - tot)[has], ix["seg"])
        rho = r * c + edge[todo]  # every piece within rho m is in the block
        gt = g[todo]
        whole = (gt[:, 0] - r <= 0) & (gt[:, 0] + r >= nx - 1) & (gt[:, 1] - r <= 0) & (gt[:, 1] + r >= ny - 1)
        done = (best + TIE_M <= rho) | (md + TIE_M < rho) | whole
        rows = todo[done]
        b_ = best[done]
        seg[rows] = np.where(b_ <= md, hi_s[done], -1)
        dist[rows] = b_
        unsure[rows] = ((lo_s[done] != hi_s[done]) & np.isfinite(b_)) | (np.abs(b_ - md) <= TIE_M)
        piece[rows] = pk[done]
        single[rows] = one[done]
        todo = todo[~done]
        r = 2 * r
    return seg, dist, unsure, piece, single
