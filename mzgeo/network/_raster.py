"""Private raster helpers of :meth:`mzgeo.Network.service_areas` (``polygon="generalized"``).

Generalised service areas are drawn on a grid of square cells of ``cell_m`` metres:

1. once per network and cell size, every segment gets sample points at most ``cell_m / 2``
   apart (both end nodes included), stored as the grid cell of each sample
   (:class:`EdgeSamples`), and every node a *star*: the cells of its half of the segments
   around it (:class:`Stars`);
2. per facility (or per multi-source pass), the samples reached within the break are found
   from the per-node travel times, by the rule the vector method uses to cut partial
   segments (:func:`reached_cells`), and marked on a boolean grid (:func:`rasterize`);
3. the grid is widened by ``buffer_m`` (:func:`dilate`), its enclosed holes are filled
   (:func:`fill_holes`) and its cells are traced into polygons along the cell edges
   (:func:`grid_polygons`, :func:`label_polygons` for partitions such as rings and split
   areas). Reach scattered over a large area (many facilities, ``dissolve``) is drawn in
   one window per cluster of cells (:func:`tiles`).

Cells are numbered in a frame fixed per network and cell size: cell ``(row, col)`` spans
``x0 + col * cell_m`` to ``x0 + (col + 1) * cell_m`` and the same in ``y`` with ``row``, and
its id is ``row * width + col``. Everything here works on numpy arrays and ``scipy.ndimage``;
nothing loops in Python over cells, samples or segments.

Size: at about 900 lines this module is over the package's ~800-line aim. Its three stages
share the cell frame, the sample layout of :class:`EdgeSamples` and the run tables of the
tracer, and are read together when a polygon looks wrong; split, each part would import the
others' internals. The network-facing half of service areas is :mod:`mzgeo.network.isochrone`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import ndimage

__all__: list[str] = []

#: Directions of boundary runs, counter-clockwise: east, north, west, south.
_DX = np.array([1, 0, -1, 0], np.int64)
_DY = np.array([0, 1, 0, -1], np.int64)
#: Margin (cells) of the frame around the network.
_FRAME_MARGIN = 2
#: Shift (in cells) of a ring corner where two filled cells meet only at that corner.
_PINCH_EPS = 1e-4
#: A window of up to this many cells, or this many per marked cell, is drawn whole, not by
#: clusters.
_DENSE_CELLS = 1 << 20
_DENSE_PER_MARK = 32


# --- samples along the segments -------------------------------------------------------------


@dataclass
class EdgeSamples:
    """Sample points along every segment of a network, on a frame of ``cell_m`` cells.

    Attributes
    ----------
    cell_m : float
        Cell size (m).
    x0, y0 : float
        Coordinates (m) of the lower-left corner of frame cell ``(0, 0)``, multiples of
        ``cell_m``.
    width, height : int
        Frame size (cells).
    start : numpy.ndarray
        ``(n_seg + 1,)`` offsets: samples of segment ``s`` are ``start[s]:start[s + 1]``,
        ordered from ``u`` (fraction 0) to ``v`` (fraction 1), evenly spaced in length.
    count : numpy.ndarray
        ``(n_seg,)`` number of samples of each segment (at least 2).
    gid : numpy.ndarray
        ``(n_samples,)`` int64 cell id of each sample.
    node_gid : numpy.ndarray
        ``(n_nodes,)`` int64 cell id of each node.
    inc_ptr, inc_seg, inc_end : numpy.ndarray
        Node incidence (CSR): the segment ends at node ``a`` are
        ``inc_seg[inc_ptr[a]:inc_ptr[a + 1]]`` with ``inc_end`` 0 (the node is the
        segment's ``u``) or 1 (its ``v``); a loop appears with both ends.
    """

    cell_m: float
    x0: float
    y0: float
    width: int
    height: int
    start: np.ndarray
    count: np.ndarray
    gid: np.ndarray
    node_gid: np.ndarray
    inc_ptr: np.ndarray
    inc_seg: np.ndarray
    inc_end: np.ndarray

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (bytes)."""
        return sum(getattr(self, k).nbytes for k in ("start", "count", "gid", "node_gid", "inc_ptr", "inc_seg",
                                                     "inc_end"))

    def gid_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Return the cell ids of points ``x``, ``y`` (m) inside the frame.

        Ids are int64, numpy's index type: scattering with them needs no conversion.
        """
        row = np.floor((np.asarray(y) - self.y0) / self.cell_m).astype(np.int64)
        col = np.floor((np.asarray(x) - self.x0) / self.cell_m).astype(np.int64)
        return row * self.width + col


def build_samples(
    node_xy: np.ndarray, seg_u: np.ndarray, seg_v: np.ndarray, coords: np.ndarray, offsets: np.ndarray,
    cum: np.ndarray, length_m: np.ndarray, cell_m: float,
) -> EdgeSamples:
    """Sample every segment at most ``cell_m / 2`` apart and locate the samples on the frame.

    Parameters
    ----------
    node_xy : numpy.ndarray
        ``(n_nodes, 2)`` node coordinates (m).
    seg_u, seg_v : numpy.ndarray
        End nodes of each segment.
    coords, offsets, cum : numpy.ndarray
        Vertex coordinates, offsets and cumulative lengths (m) of the segment lines.
    length_m : numpy.ndarray
        Length (m) of each segment.
    cell_m : float
        Cell size (m).

    Returns
    -------
    EdgeSamples
    """
    n_seg = len(seg_u)
    n_nodes = len(node_xy)
    count = (np.ceil(length_m / (cell_m / 2.0)).astype(np.int64) + 1).clip(min=2)
    start = np.zeros(n_seg + 1, np.int64)
    np.cumsum(count, out=start[1:])
    lo = min(float(node_xy[:, 0].min()), float(coords[:, 0].min())), min(float(node_xy[:, 1].min()),
                                                                        float(coords[:, 1].min()))
    hi = max(float(node_xy[:, 0].max()), float(coords[:, 0].max())), max(float(node_xy[:, 1].max()),
                                                                        float(coords[:, 1].max()))
    x0 = (math.floor(lo[0] / cell_m) - _FRAME_MARGIN) * cell_m
    y0 = (math.floor(lo[1] / cell_m) - _FRAME_MARGIN) * cell_m
    width = int(math.floor((hi[0] - x0) / cell_m)) + _FRAME_MARGIN + 1
    height = int(math.floor((hi[1] - y0) / cell_m)) + _FRAME_MARGIN + 1
    frame = EdgeSamples(cell_m=float(cell_m), x0=x0, y0=y0, width=width, height=height, start=start, count=count,
                        gid=np.empty(start[-1], np.int64), node_gid=np.zeros(0, np.int64),
                        inc_ptr=np.zeros(0, np.int64), inc_seg=np.zeros(0, np.int64), inc_end=np.zeros(0, np.int8))
    for s0, s1 in _chunks(start):  # bounded temporary memory
        c = count[s0:s1]
        first = start[s0:s1] - start[s0]
        v0, v1 = int(offsets[s0]), int(offsets[s1])
        seg = np.repeat(np.arange(s1 - s0), c)
        length = length_m[s0:s1]
        d = length[seg] * ((np.arange(len(seg)) - first[seg]) / (c[seg] - 1))
        # point at distance d along each segment: one searchsorted over the chunk's vertices,
        # every segment shifted into its own band
        span = float(length.max()) * 2.0 + 1.0
        off = offsets[s0:s1 + 1] - v0
        vc = cum[v0:v1]
        k = np.searchsorted(vc + np.repeat(np.arange(s1 - s0), np.diff(off)) * span, d + seg * span,
                            side="right") - 1
        k = np.clip(k, off[:-1][seg], off[1:][seg] - 2)
        seg_len = vc[k + 1] - vc[k]
        f = np.divide(d - vc[k], seg_len, out=np.zeros(len(d)), where=seg_len > 0).clip(0.0, 1.0)
        xy = coords[v0:v1]
        x = xy[k, 0] + (xy[k + 1, 0] - xy[k, 0]) * f
        y = xy[k, 1] + (xy[k + 1, 1] - xy[k, 1]) * f
        frame.gid[start[s0]:start[s1]] = frame.gid_of(x, y)
    frame.node_gid = frame.gid_of(node_xy[:, 0], node_xy[:, 1])
    # node incidence: both ends of every segment
    ends = np.concatenate([seg_u, seg_v])
    order = np.argsort(ends, kind="stable")
    frame.inc_seg = (order % max(n_seg, 1)).astype(np.int64)
    frame.inc_end = (order >= n_seg).astype(np.int8)
    frame.inc_ptr = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(np.bincount(ends, minlength=n_nodes), out=frame.inc_ptr[1:])
    return frame


def _chunks(start: np.ndarray, size: int = 1 << 20) -> list[tuple[int, int]]:
    """Ranges of segments ``(s0, s1)`` holding about ``size`` samples each (``start``: offsets)."""
    n = len(start) - 1
    cuts = np.unique(np.concatenate([[0], np.searchsorted(start, np.arange(size, int(start[-1]), size)), [n]]))
    return [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b > a]


def expand_ranges(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(lo[i], hi[i])`` (empty where ``hi <= lo``) and the range of each.

    Returns
    -------
    tuple of numpy.ndarray
        ``(values, owner)``: the integers and the position ``i`` of the range each came from.
    """
    n = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(lo)), n)
    return np.arange(len(owner), dtype=np.int64) + (lo - (np.cumsum(n) - n))[owner], owner


def concat_ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(lo[i], hi[i])`` (``hi >= lo``), without the owners."""
    n = hi - lo
    return np.arange(int(n.sum()), dtype=np.int64) + np.repeat(lo - (np.cumsum(n) - n), n)


# --- node stars and reached cells -------------------------------------------------------------


@dataclass
class Stars:
    """Cells near each node for one travel direction (the fast path of :func:`reached_cells`).

    The star of a node holds the cells of the samples on its half of each incident segment
    that can be travelled from it (the whole segment when it can only be travelled from
    this end), its own cell included, each cell once. When a node is reached with enough
    time left to travel every such segment entirely (``dist + max_cost <= limit``), its
    star is marked as a whole and its segments need no per-sample work; every neighbour
    it can travel to is then reached too and marks the other half.

    Attributes
    ----------
    table : numpy.ndarray
        ``(n_nodes, k)`` cell ids: the first ``k`` cells of each star (``k`` covers 99 % of
        the stars), shorter stars padded with the node's own cell.
    extra_ptr, extra_gid : numpy.ndarray
        The remaining cells of the larger stars (CSR by node).
    max_cost : numpy.ndarray
        ``(n_nodes,)`` seconds of the slowest incident segment travelled from the node
        (0 when none).
    """

    table: np.ndarray
    extra_ptr: np.ndarray
    extra_gid: np.ndarray
    max_cost: np.ndarray

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (bytes)."""
        return self.table.nbytes + self.extra_ptr.nbytes + self.extra_gid.nbytes + self.max_cost.nbytes

    def cells(self, nodes: np.ndarray) -> np.ndarray:
        """Cell ids of the stars of ``nodes`` (repeats possible)."""
        out = np.take(self.table, nodes, axis=0).reshape(-1)  # faster than fancy indexing
        if len(self.extra_gid) == 0:
            return out
        lo, hi = self.extra_ptr[nodes], self.extra_ptr[nodes + 1]
        more = hi > lo
        if not more.any():
            return out
        return np.concatenate([out, self.extra_gid[concat_ranges(lo[more], hi[more])]])


def build_stars(
    es: EdgeSamples, seg_u: np.ndarray, seg_v: np.ndarray, cost_u: np.ndarray, cost_v: np.ndarray,
) -> Stars:
    """Stars of all nodes for the direction given by ``cost_u``/``cost_v`` (see :class:`Stars`)."""
    n_nodes = len(es.node_gid)
    n_seg = len(seg_u)
    fin_u = np.isfinite(cost_u)
    fin_v = np.isfinite(cost_v)
    # half of each two-way segment to each end (the middle sample to both), a one-way
    # segment entirely to the end it is travelled from
    n_cells = int(es.width) * int(es.height)
    keys = [es.node_gid + np.arange(n_nodes) * n_cells]  # the node's own cell
    for s0, s1 in _chunks(es.start):  # bounded temporary memory
        count = es.count[s0:s1]
        start = es.start[s0:s1]
        half = count // 2 + 1  # samples j <= (count - 1) / 2, and the middle one
        fu, fv = fin_u[s0:s1], fin_v[s0:s1]
        u_hi = np.where(fu, np.where(fv, half, count), 0)
        v_lo = np.where(fv, np.where(fu, count - half, 0), count)
        for lo, hi, ends in ((start, start + u_hi, seg_u[s0:s1]), (start + v_lo, start + count, seg_v[s0:s1])):
            idx, owner = expand_ranges(lo, hi)
            key = ends[owner] * n_cells + es.gid[idx]
            keep = np.ones(len(key), bool)
            keep[1:] = key[1:] != key[:-1]  # samples of one half in the same cell
            keys.append(key[keep])
    key = np.concatenate(keys)
    del keys
    key.sort()
    keep = np.ones(len(key), bool)
    keep[1:] = key[1:] != key[:-1]
    key = key[keep]
    del keep
    node = key // n_cells
    gid = key - node * n_cells
    del key
    size = np.bincount(node, minlength=n_nodes)
    start = np.cumsum(size) - size
    k = int(max(1, np.ceil(np.quantile(size, 0.99)))) if n_nodes else 1
    rank = np.arange(len(node)) - start[node]
    table = np.repeat(es.node_gid[:, None], k, axis=1)
    first = rank < k
    table[node[first], rank[first]] = gid[first]
    extra_ptr = np.zeros(n_nodes + 1, np.int64)
    np.cumsum(np.maximum(size - k, 0), out=extra_ptr[1:])
    extra_gid = gid[~first]
    max_cost = np.zeros(n_nodes)
    if n_seg:
        np.maximum.at(max_cost, seg_u, np.where(fin_u, cost_u, 0.0))
        np.maximum.at(max_cost, seg_v, np.where(fin_v, cost_v, 0.0))
    return Stars(table=table, extra_ptr=extra_ptr, extra_gid=extra_gid, max_cost=max_cost)


def reached_cells(
    es: EdgeSamples, stars: Stars, dist: np.ndarray, limit_s: float, nodes: np.ndarray,
    seg_u: np.ndarray, seg_v: np.ndarray, cost_u: np.ndarray, cost_v: np.ndarray,
) -> list[np.ndarray]:
    """Cell ids of the road samples reached within ``limit_s``, nodes included.

    A sample at fraction ``f`` of segment ``s`` is reached through ``u`` when
    ``dist[u] + f * cost_u[s] <= limit_s``, or through ``v`` when
    ``dist[v] + (1 - f) * cost_v[s] <= limit_s`` (``inf`` costs: not through that end);
    the rule the vector method uses to cut partial segments. Nodes with time to spare for
    all their segments mark their precomputed star (:class:`Stars`); only the segments at
    the other reached nodes (near the limit) are cut sample by sample.

    Parameters
    ----------
    es : EdgeSamples
    stars : Stars
        Stars for the same direction as ``cost_u``/``cost_v``.
    dist : numpy.ndarray
        ``(n_nodes,)`` seconds of each node (``inf`` when not reached).
    limit_s : float
        The break (s).
    nodes : numpy.ndarray
        The nodes with ``dist <= limit_s``.
    seg_u, seg_v : numpy.ndarray
        End nodes of the segments.
    cost_u, cost_v : numpy.ndarray
        Seconds to travel the whole segment between a point on it and ``u`` (``v``) in the
        direction of the analysis.

    Returns
    -------
    list of numpy.ndarray
        Pieces of cell ids (repeats possible).
    """
    inner = dist[nodes] + stars.max_cost[nodes] <= limit_s
    core = stars.cells(nodes[inner])
    edge_nodes = nodes[~inner]
    if len(edge_nodes) == 0:
        return [core]
    samples = _edge_node_samples(es, dist, limit_s, edge_nodes, seg_u, seg_v, cost_u, cost_v, stars.max_cost)
    return [core, es.gid[samples], es.node_gid[edge_nodes]]


def _edge_node_samples(
    es: EdgeSamples, dist: np.ndarray, limit_s: float, edge_nodes: np.ndarray, seg_u: np.ndarray,
    seg_v: np.ndarray, cost_u: np.ndarray, cost_v: np.ndarray, max_cost: np.ndarray,
) -> np.ndarray:
    """Reached samples of the segments at reached nodes whose star is not complete.

    Each such segment is cut exactly (the prefix reached through ``u`` and the suffix
    through ``v``) once: at its ``u`` end, or at its ``v`` end when ``u`` is not such a node.
    """
    he = concat_ranges(es.inc_ptr[edge_nodes], es.inc_ptr[edge_nodes + 1])
    seg = es.inc_seg[he]
    su = seg_u[seg]
    tu = dist[su]
    own = (es.inc_end[he] == 0) | ~((tu <= limit_s) & (tu + max_cost[su] > limit_s))
    seg, tu = seg[own], tu[own]
    return _cut(es, seg, tu, dist[seg_v[seg]], cost_u[seg], cost_v[seg], limit_s)


def _cut(
    es: EdgeSamples, seg: np.ndarray, tu: np.ndarray, tv: np.ndarray, cu: np.ndarray, cv: np.ndarray,
    limit_s: float,
) -> np.ndarray:
    """Return the samples of segments ``seg`` reached through ``u`` (at ``tu`` s) or ``v`` (at ``tv`` s)."""
    m = es.count[seg]
    m1 = (m - 1).astype(np.float64)
    k_u = _prefix(tu, cu, limit_s, m1)
    k_v = _prefix(tv, cv, limit_s, m1)
    base = es.start[seg]
    return concat_ranges(np.concatenate([base, base + np.maximum(m - k_v, k_u)]),
                         np.concatenate([base + k_u, base + m]))


def reached_samples(
    es: EdgeSamples, dist: np.ndarray, limit_s: float, seg_u: np.ndarray, seg_v: np.ndarray,
    cost_u: np.ndarray, cost_v: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """All samples reached within ``limit_s``, each once (the rule of :func:`reached_cells`).

    Returns
    -------
    tuple of numpy.ndarray
        Sample positions (into ``es.gid``) and the nodes reached.
    """
    nodes = np.flatnonzero(dist <= limit_s)
    he = concat_ranges(es.inc_ptr[nodes], es.inc_ptr[nodes + 1])
    seg = es.inc_seg[he]
    tu = dist[seg_u[seg]]
    # each segment once: at its u end, or at its v end when u is not reached
    own = (es.inc_end[he] == 0) | ~(tu <= limit_s)
    seg, tu = seg[own], tu[own]
    return _cut(es, seg, tu, dist[seg_v[seg]], cost_u[seg], cost_v[seg], limit_s), nodes


def _prefix(t0: np.ndarray, cost: np.ndarray, limit_s: float, m1: np.ndarray) -> np.ndarray:
    """Count the samples (out of ``m1 + 1``, evenly spaced) reached from an end at ``t0`` s."""
    left = limit_s - t0
    with np.errstate(invalid="ignore", divide="ignore"):
        r = left / cost  # inf cost → 0 (only the end itself); nan where both are inf
    r[cost == 0] = np.inf
    k = np.floor(np.minimum(r, 1.0) * m1 + 1e-9)
    k[~(left >= 0)] = -1.0  # not reached (NaN included)
    return k.astype(np.int64) + 1


def sample_fraction(es: EdgeSamples, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segment and fraction along it (0 at ``u``, 1 at ``v``) of sample positions."""
    seg = np.searchsorted(es.start, samples, side="right") - 1
    return seg, (samples - es.start[seg]) / (es.count[seg] - 1)


# --- grids ------------------------------------------------------------------------------------


@dataclass
class Window:
    """A grid window on the frame: rows ``row0 .. row0 + h - 1``, columns ``col0 .. col0 + w - 1``."""

    row0: int
    col0: int
    h: int
    w: int

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return self.h * self.w

    def origin(self, es: EdgeSamples) -> tuple[float, float]:
        """Coordinates (m) of the lower-left corner of the window."""
        return es.x0 + self.col0 * es.cell_m, es.y0 + self.row0 * es.cell_m

    def local(self, es: EdgeSamples, gid: np.ndarray) -> np.ndarray:
        """Flat positions in the window of cell ids inside it."""
        row, col = np.divmod(gid, es.width)
        return (row - self.row0) * self.w + (col - self.col0)


def _band(es: EdgeSamples, pieces: list[np.ndarray], row0: int, h: int) -> np.ndarray | None:
    """Frame rows ``row0 .. row0 + h - 1`` at full width marking the cells (``None`` if too wide)."""
    if h * es.width > max(8 * sum(len(p) for p in pieces), 1 << 18):
        return None
    band = np.zeros(h * es.width, bool)
    for p in pieces:
        band[p - row0 * es.width] = True
    return band.reshape(h, es.width)


def window_of(es: EdgeSamples, pieces: list[np.ndarray], pad: int, rows: tuple[int, int] | None = None,
              ) -> tuple[Window, np.ndarray] | None:
    """Return the smallest window holding the cells, and the grid marking them.

    The cells come as pieces of ids, with ``pad`` empty cells kept around them; ``rows``:
    their first row and number of rows, when known.
    """
    pieces = [p for p in pieces if len(p)]
    if not pieces:
        return None
    if rows is None:
        rmin = min(int(p.min()) for p in pieces) // es.width
        h = max(int(p.max()) for p in pieces) // es.width - rmin + 1
    else:
        rmin, h = rows
    band = _band(es, pieces, rmin, h)
    if band is not None:  # a full-width band of rows, then the columns used
        used = np.flatnonzero(band.any(axis=0))
        cmin, cmax = int(used[0]), int(used[-1])
        win = Window(rmin - pad, cmin - pad, h + 2 * pad, cmax - cmin + 1 + 2 * pad)
        grid = np.zeros((win.h, win.w), bool)
        grid[pad:pad + h, pad:pad + cmax - cmin + 1] = band[:, cmin:cmax + 1]
        return win, grid
    cols = [p % es.width for p in pieces]
    cmin = min(int(c.min()) for c in cols)
    cmax = max(int(c.max()) for c in cols)
    win = Window(rmin - pad, cmin - pad, h + 2 * pad, cmax - cmin + 1 + 2 * pad)
    return win, rasterize(es, pieces, win)


def rasterize(es: EdgeSamples, pieces: list[np.ndarray], win: Window) -> np.ndarray:
    """Boolean ``(h, w)`` grid of the window marking the cells (pieces of ids, all inside it)."""
    band = _band(es, pieces, win.row0, win.h)
    if band is None:
        g = np.zeros(win.n_cells, bool)
        for p in pieces:
            g[win.local(es, p)] = True
        return g.reshape(win.h, win.w)
    grid = np.zeros((win.h, win.w), bool)
    c0, c1 = max(win.col0, 0), min(win.col0 + win.w, es.width)
    grid[:, c0 - win.col0:c1 - win.col0] = band[:, c0:c1]
    return grid


@dataclass
class Tile:
    """A grid window and, for every break, the boolean grid of its reached cells (not widened)."""

    win: Window
    raw: list[np.ndarray]


def tiles(es: EdgeSamples, cells: list[list[np.ndarray]], pad: int) -> tuple[list[Tile], Callable]:
    """Grid windows holding the reached cells of every break (nested breaks, the last largest).

    One window around everything when that is compact; when the cells are scattered over a
    large area (many facilities over a county), one window per cluster of cells instead:
    clusters are groups of occupied blocks of ``max(32, 4 * pad)`` cells touching each other
    (so cells of different windows are farther apart than the widening can bridge), and
    clusters whose extents overlap (one inside a hole of another) share a window.

    Parameters
    ----------
    es : EdgeSamples
    cells : list of list of numpy.ndarray
        For each break, pieces of cell ids.
    pad : int
        Empty cells kept around the cells (the widening plus one).

    Returns
    -------
    tuple
        The tiles (none when nothing is reached) and a function giving the tile of cell ids
        of the last break.
    """
    last = [p for p in cells[-1] if len(p)]
    if not last:
        return [], lambda gid: np.zeros(len(gid), np.int64)
    n_marked = sum(len(p) for p in last)
    rmin = min(int(p.min()) for p in last) // es.width
    h = max(int(p.max()) for p in last) // es.width - rmin + 1
    if h * es.width <= max(_DENSE_PER_MARK * n_marked, _DENSE_CELLS):
        got = window_of(es, last, pad, (rmin, h))
        assert got is not None
        win, raw = got
        return [Tile(win, [rasterize(es, c, win) for c in cells[:-1]] + [raw])], lambda g: np.zeros(len(g), np.int64)
    return _cluster_tiles(es, cells, pad)


def _cluster_tiles(es: EdgeSamples, cells: list[list[np.ndarray]], pad: int) -> tuple[list[Tile], Callable]:
    """One tile per cluster of cells (see :func:`tiles`)."""
    block = max(32, 4 * pad)
    gid = np.concatenate(cells[-1])
    row, col = np.divmod(gid, es.width)
    br, bc = row // block, col // block
    br0, bc0 = int(br.min()) - 1, int(bc.min()) - 1
    occ = np.zeros((int(br.max()) - br0 + 2, int(bc.max()) - bc0 + 2), bool)
    occ[br - br0, bc - bc0] = True
    lab, n = ndimage.label(occ, structure=np.ones((3, 3), bool))
    ob_r, ob_c = np.nonzero(occ)
    while True:  # merge clusters whose block extents overlap (one in a hole of another)
        ob_l = lab[ob_r, ob_c] - 1
        r0 = np.full(n, occ.shape[0])
        c0 = np.full(n, occ.shape[1])
        r1 = np.zeros(n, np.int64)
        c1 = np.zeros(n, np.int64)
        np.minimum.at(r0, ob_l, ob_r)
        np.minimum.at(c0, ob_l, ob_c)
        np.maximum.at(r1, ob_l, ob_r + 1)
        np.maximum.at(c1, ob_l, ob_c + 1)
        diff = np.zeros((occ.shape[0] + 1, occ.shape[1] + 1), np.int32)  # paint the extents
        np.add.at(diff, (r0, c0), 1)
        np.add.at(diff, (r0, c1), -1)
        np.add.at(diff, (r1, c0), -1)
        np.add.at(diff, (r1, c1), 1)
        merged, m = ndimage.label(diff.cumsum(axis=0).cumsum(axis=1)[:-1, :-1] > 0)
        lab = np.where(occ, merged, 0)
        if m == n:
            break
        n = m
    def locate(g: np.ndarray) -> np.ndarray:
        r, c = np.divmod(g, es.width)
        return lab[r // block - br0, c // block - bc0] - 1

    per_break = []
    for pieces in cells:
        g = np.concatenate(pieces)
        r, c = np.divmod(g, es.width)
        grp = lab[r // block - br0, c // block - bc0] - 1
        order = np.argsort(grp, kind="stable")
        per_break.append((r[order], c[order], np.searchsorted(grp[order], np.arange(n + 1))))
    r_last, c_last, bnd_last = per_break[-1]
    out = []
    for k in range(n):  # one window per cluster
        rr, cc = r_last[bnd_last[k]:bnd_last[k + 1]], c_last[bnd_last[k]:bnd_last[k + 1]]
        win = Window(int(rr.min()) - pad, int(cc.min()) - pad, int(rr.max() - rr.min()) + 2 * pad + 1,
                     int(cc.max() - cc.min()) + 2 * pad + 1)
        raw = []
        for r, c, bnd in per_break:
            grid = np.zeros(win.n_cells, bool)
            grid[(r[bnd[k]:bnd[k + 1]] - win.row0) * win.w + (c[bnd[k]:bnd[k + 1]] - win.col0)] = True
            raw.append(grid.reshape(win.h, win.w))
        out.append(Tile(win, raw))
    return out, locate


def dilate(grid: np.ndarray, radius: float) -> np.ndarray:
    """Cells within ``radius`` cells (centre to centre) of a marked cell.

    The disk is applied band by band: one horizontal dilation per distinct half width,
    then vertical shifts, so the cost is ``O(radius)`` whole-grid operations.
    """
    r = int(math.floor(radius + 1e-9))
    if r <= 0:
        return grid.copy()
    half = {dy: int(math.floor(math.sqrt(max(radius * radius - dy * dy, 0.0)) + 1e-9)) for dy in range(r + 1)}
    horiz: dict[int, np.ndarray] = {0: grid}
    cur = grid
    for a in range(1, max(half.values()) + 1):
        nxt = cur.copy()
        nxt[:, 1:] |= cur[:, :-1]
        nxt[:, :-1] |= cur[:, 1:]
        cur = nxt
        horiz[a] = cur
    out = horiz[half[0]].copy()
    for dy in range(1, r + 1):
        hz = horiz[half[dy]]
        out[dy:, :] |= hz[:-dy, :]
        out[:-dy, :] |= hz[dy:, :]
    return out


def fill_holes(grid: np.ndarray) -> np.ndarray:
    """Fill the empty regions not connected to the grid border.

    Empty cells touching at a corner count as connected (8-connectivity), as in
    :func:`grid_polygons`, where filled cells touching only at a corner are separate parts.
    The grid must have an empty border.
    """
    lab, n = ndimage.label(~grid, structure=np.ones((3, 3), bool))
    if n <= 1:
        return grid
    return lab != lab[0, 0]


def _runs_h(grid: np.ndarray, junctions: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Maximal runs of horizontal boundary edges with the same filled side (along rows).

    Returns ``(row, first, last, above)`` of each run: its vertex row, its first and last
    edge column, and whether the filled cells are above it. Runs also break at
    ``junctions`` (see :func:`grid_polygons`).
    """
    w = grid.shape[1]
    flat = np.flatnonzero(grid[1:, :] != grid[:-1, :])  # row-major: by row, then along it
    a = flat // w
    b = flat - a * w
    above = grid[1:, :].reshape(-1)[flat]
    cont = np.zeros(len(flat), bool)
    cont[1:] = (flat[1:] == flat[:-1] + 1) & (a[1:] == a[:-1]) & (above[1:] == above[:-1])
    if junctions is not None:  # the vertex between edges (a, b - 1) and (a, b)
        cont[1:] &= ~junctions[a[1:], np.maximum(b[1:] - 1, 0)]
    first = np.flatnonzero(~cont)
    last = np.concatenate([first[1:], [len(flat)]]) - 1
    return a[first] + 1, b[first], b[last], above[first]


def _runs_v(grid: np.ndarray, junctions: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Maximal runs of vertical boundary edges with the same filled side (along columns).

    Returns ``(col, first, last, right)`` of each run: its vertex column, its first and
    last edge row, and whether the filled cells are to its right. The edges are found in
    row-major order; an edge continues the one a row below it (found by ``searchsorted``),
    and run starts and ends are paired by sorting them by column.
    """
    h, w = grid.shape
    w1 = w - 1
    flat = np.flatnonzero(grid[:, 1:] != grid[:, :-1])
    right = grid[:, 1:].reshape(-1)[flat]
    n = len(flat)

    def linked(step: int) -> np.ndarray:
        q = flat + step
        pos = np.searchsorted(flat, q).clip(max=max(n - 1, 0))
        return (flat[pos] == q) & (right[pos] == right)

    start = ~linked(-w1)
    end = ~linked(w1)
    r = flat // w1
    c = flat - r * w1
    if junctions is not None:  # the vertices below (r, c + 1) and above (r + 1, c + 1) the edge
        start |= (r > 0) & junctions[np.maximum(r - 1, 0), c]
        end |= (r < h - 1) & junctions[np.minimum(r, h - 2), c]
    os = np.argsort(c[start] * h + r[start], kind="stable")
    oe = np.argsort(c[end] * h + r[end], kind="stable")
    return c[start][os] + 1, r[start][os], r[end][oe], right[start][os]


def grid_polygons(
    grid: np.ndarray, x0: float, y0: float, cell_m: float, junctions: np.ndarray | None = None,
) -> object:
    """Polygon (or MultiPolygon) of the union of the filled cells of ``grid``, valid.

    The boundary between filled and empty cells is traced into rings with numpy: straight
    runs of boundary edges are directed with the filled cells on their left, each run's
    successor is the run leaving its end point (turning left where two filled cells meet
    only at a corner, so such cells belong to separate rings), and rings are ordered by
    pointer jumping. Where a ring passes a corner shared by two diagonal filled cells, its
    corner is moved ``1e-4 * cell_m`` into its own cell, so no ring touches another.
    Filled cells connected through edges form one polygon; enclosed empty regions are
    holes.

    Parameters
    ----------
    grid : numpy.ndarray
        ``(h, w)`` boolean cells, row ``i`` spanning ``y0 + i * cell_m`` to
        ``y0 + (i + 1) * cell_m``; the border rows and columns must be empty.
    x0, y0 : float
        Coordinates (m) of the lower-left corner of cell ``(0, 0)``.
    cell_m : float
        Cell size (m).
    junctions : numpy.ndarray, optional
        ``(h - 1, w - 1)`` boolean: inner vertices ``(i + 1, j + 1)`` kept even where the
        boundary runs straight through them (where neighbouring polygons of a partition
        meet, so that shared edges match vertex for vertex).

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon or None
        ``None`` when no cell is filled.
    """
    # horizontal runs at vertex rows 1..h-1: filled above (runs east) or below (west)
    hr, hf, hl, east = _runs_h(grid, junctions)
    if len(hr) == 0:
        return None
    # vertical runs at vertex columns 1..w-1: filled right (runs south) or left (north)
    vc, vf, vl, south = _runs_v(grid, junctions)
    # start vertex, direction, end vertex and the filled cell left of the start of each run
    dr = np.concatenate([np.where(east, 0, 2), np.where(south, 3, 1)]).astype(np.int64)
    sr = np.concatenate([hr, np.where(south, vl + 1, vf)])
    sc = np.concatenate([np.where(east, hf, hl + 1), vc])
    length = np.concatenate([hl - hf + 1, vl - vf + 1])
    er = sr + _DY[dr] * length
    ec = sc + _DX[dr] * length
    lr = np.concatenate([np.where(east, hr, hr - 1), np.where(south, vl, vf)])
    lc = np.concatenate([np.where(east, hf, hl), np.where(south, vc, vc - 1)])
    n = len(sr)
    width = grid.shape[1] + 1
    key = (sr * width + sc) * 4 + dr
    order = np.argsort(key)
    skey = key[order]
    end_v = (er * width + ec) * 4
    succ = np.full(n, -1, np.int64)
    # the run leaving the end point; where two leave it (filled cells meeting at a corner)
    # the left turn wins, assigned last (right turn, straight on, then left turn)
    for turn in (3, 0, 1):
        q = end_v + (dr + turn) % 4
        pos = np.searchsorted(skey, q).clip(max=n - 1)
        hit = skey[pos] == q
        succ[hit] = order[pos[hit]]
    seq, ring, n_ring = _order_cycles(succ)
    cr, cc = sr[seq], sc[seq]
    x = cc.astype(np.float64)
    y = cr.astype(np.float64)
    # corners shared by two diagonal filled cells: move into the run's own (left) cell
    a = grid[cr - 1, cc - 1]
    b = grid[cr - 1, cc]
    c = grid[cr, cc - 1]
    d = grid[cr, cc]
    pinch = (a == d) & (b == c) & (a != b)
    if pinch.any():
        x[pinch] += _PINCH_EPS * np.sign(lc[seq][pinch] + 0.5 - cc[pinch])
        y[pinch] += _PINCH_EPS * np.sign(lr[seq][pinch] + 0.5 - cr[pinch])
    rid = ring[seq]
    # orientation: filled cells on the left, so outer rings are counter-clockwise
    counts = np.bincount(rid, minlength=n_ring)
    rstart = np.cumsum(counts) - counts
    nxt = np.arange(len(x)) + 1
    nxt[rstart + counts - 1] = rstart
    shell = np.bincount(rid, weights=x * y[nxt] - x[nxt] * y, minlength=n_ring) > 0
    rings = shapely.linearrings(np.column_stack([x0 + x * cell_m, y0 + y * cell_m]), indices=rid)
    if shell.all():
        polys = shapely.polygons(rings)
    else:
        # a hole belongs to the polygon of the filled cells on its left (edge-connected parts)
        lab, _ = ndimage.label(grid)
        first = seq[rstart]
        comp = lab[lr[first], lc[first]]
        order_r = np.lexsort((~shell, comp))
        _, poly_idx = np.unique(comp[order_r], return_inverse=True)
        polys = shapely.polygons(rings[order_r], indices=poly_idx)
    return polys[0] if len(polys) == 1 else shapely.multipolygons(polys)


def _order_cycles(succ: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Order the elements of a permutation made of cycles, cycle by cycle.

    Returns ``(seq, ring, n_ring)``: the elements in cycle order (each cycle starting at its
    smallest element), the cycle number of every element and the number of cycles.
    """
    n = len(succ)
    steps = max(1, math.ceil(math.log2(n)) + 1)
    head = np.arange(n)
    p = succ.copy()
    for _ in range(steps):  # pointer jumping: smallest element of each cycle
        head = np.minimum(head, head[p])
        p = p[p]
    term = succ == head  # the element just before the cycle's first one
    dist = (~term).astype(np.int64)
    p = np.where(term, np.arange(n), succ)
    for _ in range(steps):  # list ranking: steps to the end of the cycle
        dist = dist + dist[p]
        p = p[p]
    is_head = head == np.arange(n)
    ring = (np.cumsum(is_head) - 1)[head]
    n_ring = int(is_head.sum())
    ring_len = np.bincount(ring, minlength=n_ring)
    ring_start = np.cumsum(ring_len) - ring_len
    seq = np.empty(n, np.int64)
    seq[ring_start[ring] + ring_len[ring] - 1 - dist] = np.arange(n)
    return seq, ring, n_ring


def junction_vertices(labels: np.ndarray) -> np.ndarray:
    """Inner vertices of a label grid where three or four different labels (0 included) meet.

    Returns
    -------
    numpy.ndarray
        ``(h - 1, w - 1)`` boolean, as ``junctions`` of :func:`grid_polygons`.
    """
    a = labels[:-1, :-1]
    b = labels[:-1, 1:]
    c = labels[1:, :-1]
    d = labels[1:, 1:]
    n = 1 + (b != a).astype(np.int8) + ((c != a) & (c != b)) + ((d != a) & (d != b) & (d != c))
    return n >= 3


def simplify(geoms: np.ndarray, tolerance_m: float, coverage: bool) -> np.ndarray:
    """Simplify polygons by ``tolerance_m``, keeping them valid.

    ``coverage=True`` simplifies them together (``shapely.coverage_simplify``), so shared
    boundaries stay shared; otherwise each alone (Douglas-Peucker, with a topology-preserving
    retry where that is invalid). A result still invalid (rings pinched together) is
    repaired with ``shapely.make_valid``.
    """
    geoms = np.asarray(geoms, dtype=object)
    if coverage and len(geoms) > 1:
        out = shapely.coverage_simplify(geoms, tolerance_m)
    else:
        out = shapely.simplify(geoms, tolerance_m, preserve_topology=False)
        bad = np.flatnonzero(~shapely.is_valid(out) | shapely.is_empty(out))
        if len(bad) == 0:
            return out
        out[bad] = shapely.simplify(geoms[bad], tolerance_m, preserve_topology=True)
    bad = ~shapely.is_valid(out)
    if bad.any():
        out[bad] = shapely.make_valid(out[bad], method="structure")
    return out


def label_polygons(
    labels: np.ndarray, n_labels: int, x0: float, y0: float, cell_m: float, simplify_m: float = 0.0,
) -> np.ndarray:
    """One polygon per label of a label grid (a partition), optionally simplified together.

    Parameters
    ----------
    labels : numpy.ndarray
        ``(h, w)`` grid: integers, ``0`` for no polygon and ``1..n_labels`` otherwise, or
        boolean (one label); the border rows and columns must be 0.
    n_labels : int
        Number of labels.
    x0, y0, cell_m : float
        Lower-left corner (m) of cell ``(0, 0)`` and cell size (m).
    simplify_m : float
        Simplification tolerance (m), see :func:`simplify`; several labels are simplified
        as a coverage, so shared boundaries stay shared and no two polygons overlap. ``0``:
        exact cell boundaries.

    Returns
    -------
    numpy.ndarray
        ``(n_labels,)`` object array of Polygon/MultiPolygon, ``None`` for empty labels.
    """
    out = np.full(n_labels, None, dtype=object)
    if n_labels == 1:  # one polygon: the whole grid at once
        out[0] = grid_polygons(labels.astype(bool, copy=False), x0, y0, cell_m)
    else:
        junctions = junction_vertices(labels)
        for k, sl in enumerate(ndimage.find_objects(labels, max_label=n_labels)):  # one pass per polygon
            if sl is None:
                continue
            r0, r1 = sl[0].start - 1, sl[0].stop + 1
            c0, c1 = sl[1].start - 1, sl[1].stop + 1
            out[k] = grid_polygons(labels[r0:r1, c0:c1] == k + 1, x0 + c0 * cell_m, y0 + r0 * cell_m, cell_m,
                                   junctions=junctions[r0:r1 - 1, c0:c1 - 1])
    if simplify_m > 0:
        have = np.flatnonzero(shapely.is_geometry(out))
        if len(have):
            out[have] = simplify(out[have], simplify_m, coverage=n_labels > 1)
    return out
