"""Service areas (isochrones) of a :class:`~mzgeo.network.Network`: which land is reached in time.

:func:`service_areas` (``Network.service_areas``) makes the polygons of ArcGIS Network
Analyst's two types:

- *generalized* (default, fast): reached road samples mark the cells of a grid, which is
  widened by ``buffer_m``, holes filled and traced into polygons; the grid passes are in
  :mod:`mzgeo.network._raster`, the parts here decide which samples are reached
  (:func:`_generalized_areas`, :func:`_tiles`, :func:`_grid_geoms`, :func:`_split_geoms`);
- *detailed* (exact vector): the reached pieces of road are buffered with flat ends and
  unioned (:func:`_detailed_areas`, :func:`_reach_polygon`, :func:`_split_cells`).

The functions take the network as their first argument and read its arrays; what they
build once per network (edge samples per cell size, node stars, planar faces) is kept in
the network's lazy store.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage
from scipy.sparse.csgraph import dijkstra

from .. import settings
from ..errors import InputError
from . import _graph, _raster

if TYPE_CHECKING:
    from .core import Network, _Snapped

__all__ = ["SERVICE_AREA_CELL_M", "service_areas"]

log = logging.getLogger("mzgeo")

_HOWS = ("overlap", "dissolve", "split")
_POLYGONS = ("generalized", "detailed")
_DIRECTIONS = ("to_facility", "from_facility")

#: Default cell size (m) of generalised service-area polygons per network mode: half the
#: default 50 m ``buffer_m`` for walking areas of a few square kilometres, 100 m for driving
#: areas of hundreds. Other modes (``"custom"``) use 50 m.
SERVICE_AREA_CELL_M = {"walk": 25.0, "drive": 100.0}
_CUSTOM_CELL_M = 50.0
#: Largest grid (cells) of one generalised service area; a larger one is coarsened.
_MAX_GRID_CELLS = 40_000_000


def service_areas(
    net: Network,
    facilities: Any,
    minutes: float | Iterable[float] = (5, 10, 15),
    how: str = "overlap",
    rings: bool = False,
    *,
    polygon: str = "generalized",
    cell_m: float | None = None,
    buffer_m: float = 50.0,
    fill_holes: bool = True,
    simplify: bool = True,
    direction: str = "to_facility",
    max_snap_m: float | None = None,
    partition: Any = None,
    executor: Any = None,
) -> gpd.GeoDataFrame:
    """Service-area polygons: the land within ``buffer_m`` of the roads reached in time.

    Built from the reached segments, including the **partial** segment up to the
    cutoff (not a hull of reached nodes). The options follow ArcGIS Network Analyst's
    Service Area, including its two polygon types:

    - ``polygon="generalized"`` (default, fast): every segment is sampled at most
      ``cell_m / 2`` apart (once per network and cell size, cached); the samples reached
      in time (on partial segments up to the cutoff, by the same rule as the detailed
      polygons) mark the cells of a grid of ``cell_m`` squares; the polygon is the cells
      whose centre lies within ``buffer_m`` (and at least one cell) of a marked cell's
      centre, holes filled, traced exactly along the cell edges and simplified by
      ``cell_m / 2``. Every reached road point lies within one cell of the polygon, no
      point of it lies farther than ``buffer_m + cell_m * √2`` from a reached road, and a
      partial road ends in a rounded end ``buffer_m`` beyond the cutoff (not a flat
      one). With ``cell_m <= buffer_m / 2`` the area is typically within about 10 % of
      the exact ``buffer_m`` buffer of the reached roads; with ``cell_m > buffer_m`` the
      band along a road is three cells wide (e.g. 300 m when driving with the default
      100 m cells). Cost: a fraction of a second once per network, then a few
      milliseconds per facility beyond its shortest-path search.
    - ``polygon="detailed"`` (exact, slow: about 0.1-0.5 s per facility on a city
      network): every reached piece of road is buffered by ``buffer_m`` with flat ends,
      so along a road the polygon ends exactly where the time runs out; reached nodes get
      a round cap of radius ``buffer_m``. With ``fill_holes=True`` the first call finds
      the planar faces of the network from the angles of the roads at the nodes (about
      250 MB for 1,000,000 nodes; roads crossing without a shared node, such as bridges,
      are taken as not crossing).

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Facility points in any CRS.
    minutes : float or sequence of float
        Breaks (minutes), e.g. ``(5, 10, 15)``.
    how : {"overlap", "dissolve", "split"}
        ``overlap``: one polygon per facility and break, polygons of different
        facilities may overlap. ``dissolve``: one polygon per break (the area reached
        by any facility; ``facility`` is ``None``). ``split``: one polygon per facility
        and break, each place given to the facility it reaches first (non-overlapping).
    rings : bool
        ``False``: disks from 0 to each break. ``True``: bands between consecutive breaks.
    polygon : {"generalized", "detailed"}
        Polygon type (see above).
    cell_m : float, optional
        Cell size (m) of generalised polygons; default :data:`SERVICE_AREA_CELL_M` of
        the network's mode (25 m walking, 100 m driving, 50 m otherwise). A grid of more
        than 40 million cells is coarsened (logged). Ignored by ``"detailed"``.
    buffer_m : float
        Half-width (m) of the band around reached roads (ArcGIS "trim distance").
    fill_holes : bool
        Fill holes enclosed by reached roads (blocks whose inside is farther than
        ``buffer_m`` from a road but surrounded by reached roads).
    simplify : bool
        Simplify generalised polygons by ``cell_m / 2`` (as a coverage: rings and split
        polygons keep shared boundaries, never overlap). Ignored by ``"detailed"``.
    direction : {"to_facility", "from_facility"}
        Travel towards the facility (as :meth:`nearest` and :meth:`od`) or away from it;
        the same on two-way networks.
    max_snap_m : float, optional
        Largest snapping distance (m) of the facilities.
    partition : {"county"} or geopandas.GeoDataFrame, optional
        Run per unit of the facilities (``how="overlap"`` only; see
        :mod:`mzgeo.network.partition`): each task gets the roads within
        ``max(minutes) × 60 × top speed + max_snap_m`` of its facilities, so every road a
        facility reaches in time is in its task and the polygons equal the single-network ones.
    executor : None, "local", str or distributed.Client, optional
        Where the partition tasks run (default ``settings.executor``).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``facility`` (label; ``None`` for ``dissolve``), ``minutes_from``,
        ``minutes_to`` (minutes) and ``geometry`` (valid polygons), in :attr:`crs`. The
        facility's own access leg counts against the time; a place's own walk to the
        road is not added (it is within ``buffer_m``).

    Raises
    ------
    InputError
        Unknown ``how``/``polygon``/``direction``, breaks not positive, ``buffer_m`` or
        ``cell_m`` not positive.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString, Point
    >>> from mzgeo.network import Network
    >>> roads = gpd.GeoDataFrame(geometry=[LineString([(-1000, 0), (3000, 0)])], crs=4549)
    >>> net = Network.from_lines(roads, cache=False)
    >>> fac = gpd.GeoDataFrame(geometry=[Point(500, 0)], crs=4549)
    >>> net.service_areas(fac, minutes=5, polygon="detailed").geometry.iloc[0].bounds
    (200.0, -50.0, 800.0, 50.0)
    >>> g = net.service_areas(fac, minutes=5, cell_m=10).geometry.iloc[0]  # 10 m cells
    >>> [round(v) for v in g.bounds]  # the cells crossed by the reached road, widened by 50 m
    [150, -50, 860, 60]
    """
    if how not in _HOWS:
        msg = f"how 必须是 {', '.join(_HOWS)} 之一，收到 {how!r}"
        raise InputError(msg)
    if polygon not in _POLYGONS:
        msg = f"polygon 必须是 {', '.join(_POLYGONS)} 之一，收到 {polygon!r}"
        raise InputError(msg)
    if direction not in _DIRECTIONS:
        msg = f"direction 必须是 {', '.join(_DIRECTIONS)} 之一，收到 {direction!r}"
        raise InputError(msg)
    breaks = np.atleast_1d(np.asarray(minutes, dtype=float))
    if len(breaks) == 0 or not (breaks > 0).all() or not np.isfinite(breaks).all():
        msg = f"minutes 必须是正数，收到 {minutes!r}"
        raise InputError(msg)
    breaks = np.unique(breaks)
    if not buffer_m > 0:
        msg = f"buffer_m 必须 > 0，收到 {buffer_m!r}"
        raise InputError(msg)
    cell = SERVICE_AREA_CELL_M.get(net.mode, _CUSTOM_CELL_M) if cell_m is None else float(cell_m)
    if not (cell > 0 and math.isfinite(cell)):
        msg = f"cell_m 必须 > 0，收到 {cell_m!r}"
        raise InputError(msg)
    options = {"breaks": breaks, "how": how, "rings": rings, "polygon": polygon, "cell_m": cell,
               "buffer_m": buffer_m, "fill_holes": fill_holes, "simplify": simplify,
               "toward": direction == "to_facility"}
    if partition is not None:
        if how != "overlap":
            msg = f"分区计算服务范围只支持 how=\"overlap\"（每个设施各自的范围），收到 {how!r}"
            raise InputError(msg)
        from . import partition as _partition

        fac, recs = _partition.service_areas(net, facilities, partition=partition, executor=executor,
                                             max_snap_m=max_snap_m, **options)
    else:
        fac = net._snap(facilities, max_snap_m, "facilities")
        net._report(fac, "facility")
        recs = _areas_snapped(net, fac, **options)
    recs = [r for r in recs if r[3] is not None and not shapely.is_empty(r[3])]
    out = gpd.GeoDataFrame(
        {
            "facility": pd.Series([r[0] for r in recs], dtype=object),
            "minutes_from": np.array([r[1] for r in recs], float),
            "minutes_to": np.array([r[2] for r in recs], float),
        },
        geometry=np.array([r[3] for r in recs] or [], dtype=object).reshape(-1),
        crs=net.crs,
    )
    if how != "dissolve" and len(out):
        out["facility"] = _graph.labels_at(fac.labels, _graph.positions_of(fac.labels, out["facility"]))
    return out


def _areas_snapped(
    net: Network, fac: _Snapped, *, breaks: np.ndarray, how: str, rings: bool, polygon: str, cell_m: float,
    buffer_m: float, fill_holes: bool, simplify: bool, toward: bool,
) -> list[tuple[Any, float, float, Any]]:
    """Make the records ``(facility, minutes_from, minutes_to, geometry)`` of snapped facilities."""
    fpos = np.flatnonzero(fac.ok)
    if polygon == "generalized":
        return _generalized_areas(net, fac, fpos, toward, breaks, how, rings, buffer_m=buffer_m,
                                  fill_holes=fill_holes, cell_m=cell_m, simplify=simplify)
    return _detailed_areas(net, fac, fpos, toward, breaks, how, rings, buffer_m, fill_holes)


def _detailed_areas(
    net: Network, fac: _Snapped, fpos: np.ndarray, toward: bool, breaks: np.ndarray, how: str, rings: bool,
    buffer_m: float, fill_holes: bool,
) -> list[tuple[Any, float, float, Any]]:
    """Make the records ``(facility, minutes_from, minutes_to, geometry)`` of exact vector polygons."""
    lim = float(breaks[-1]) * 60.0
    lows = np.concatenate([[0.0], breaks[:-1]])
    recs: list[tuple[Any, float, float, Any]] = []
    if how == "overlap":
        n = net.n_nodes
        if len(fpos):
            owner, node, cost = net._sources(fac, fpos, toward)
            aug = _graph.augment(net._graph(transpose=toward), owner, node, cost, len(fpos))
        for k in range(len(fpos)):
            dist = dijkstra(aug, directed=True, indices=n + k, limit=lim)[:n]
            disks = [_reach_polygon(net, dist, fac, fpos[k:k + 1], toward, b * 60.0, buffer_m, fill_holes)
                     for b in breaks]
            label = fac.labels[fpos[k]]
            recs.extend(_disks_to_records(label, disks, breaks, lows, rings))
    else:
        dist, src = net._multi_source(fac, fpos, toward, limit_s=lim)
        disks = [_reach_polygon(net, dist, fac, fpos, toward, b * 60.0, buffer_m, fill_holes) for b in breaks]
        if how == "dissolve":
            recs.extend(_disks_to_records(None, disks, breaks, lows, rings))
        elif len(fpos):
            cells = _split_cells(net, dist, src, fac, fpos, toward, lim, buffer_m, disks[-1])
            for k, cell in enumerate(cells):
                parts = [shapely.intersection(d, cell) for d in disks]
                recs.extend(_disks_to_records(fac.labels[fpos[k]], parts, breaks, lows, rings))
    return recs

# --- generalised (raster) service areas --------------------------------------------------------

def _edge_samples(net: Network, cell_m: float) -> _raster.EdgeSamples:
    """Return the samples along every segment for grids of ``cell_m`` (built once per cell size, cached)."""
    es = net._lazy.get("edge_samples")
    if es is None or es.cell_m != cell_m:
        for key in ("edge_samples", "stars_to", "stars_from"):
            net._lazy.pop(key, None)
        t0 = time.perf_counter()
        es = _raster.build_samples(net._node_xy, net._u, net._v, net._coords, net._offsets,
                                      net._cum, net._len, cell_m)
        net._lazy["edge_samples"] = es
        log.info("服务范围采样点 (edge samples at %g m): %d, %.1f MB, %.2f s", cell_m, len(es.gid),
                 es.nbytes / 2**20, time.perf_counter() - t0)
    return es

def _stars(net: Network, es: _raster.EdgeSamples, toward: bool) -> _raster.Stars:
    """Node stars of ``es`` for one direction (built once, cached with the samples)."""
    key = "stars_to" if toward else "stars_from"
    if key not in net._lazy:
        other = net._lazy.get("stars_from" if toward else "stars_to")
        if other is not None and (np.isfinite(net._fwd) == np.isfinite(net._bwd)).all():
            net._lazy[key] = other  # no one-way segment: both directions alike
        else:
            t0 = time.perf_counter()
            cost_u, cost_v = _costs(net, toward)
            net._lazy[key] = _raster.build_stars(es, net._u, net._v, cost_u, cost_v)
            log.info("服务范围节点星 (node stars): %.1f MB, %.2f s", net._lazy[key].nbytes / 2**20,
                     time.perf_counter() - t0)
    return net._lazy[key]

def _costs(net: Network, toward: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return the seconds to travel each whole segment towards ``u`` and towards ``v``.

    In the direction of the analysis, between a point on the segment and that end
    (``inf`` where that is not allowed).
    """
    return (net._bwd, net._fwd) if toward else (net._fwd, net._bwd)

def _own_segment(
    net: Network, es: _raster.EdgeSamples, fac: _Snapped, fpos: np.ndarray, limit_s: float, toward: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the samples of the facilities' own segments reached directly from the snapped points.

    Returns sample positions, the facility (position in ``fpos``) of each, the
    facilities whose snapped point itself is reached (its access leg within the time)
    and the snapped points' fractions along their segments.
    """
    cost_u, cost_v = _costs(net, toward)
    fs = fac.seg[fpos]
    L = net._len[fs]
    p = np.divide(fac.t[fpos], L, out=np.zeros(len(fs)), where=L > 0)
    left = limit_s - fac.access_m[fpos] / settings.access_speed_mps
    m1 = es.count[fs] - 1
    go_v = _reach_fraction(left, cost_u[fs])  # towards v: the cost of the u-side direction
    go_u = _reach_fraction(left, cost_v[fs])
    lo = np.ceil((p - go_u) * m1 - 1e-9).clip(0, None).astype(np.int64)
    hi = np.minimum(np.floor((p + go_v) * m1 + 1e-9).astype(np.int64), m1) + 1
    ok = left >= 0
    samples, owner = _raster.expand_ranges(es.start[fs] + np.where(ok, lo, 0),
                                              es.start[fs] + np.where(ok, hi, 0))
    return samples, owner, np.flatnonzero(ok), p

def _own_cells(
    net: Network, es: _raster.EdgeSamples, fac: _Snapped, fpos: np.ndarray, breaks: np.ndarray, toward: bool,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return, for each break, the cells reached directly from the snapped points.

    Those of the facilities' own segments and of the snapped points themselves, as
    ``(ptr, gid)`` by position in ``fpos``.
    """
    out = []
    for b in breaks * 60.0:
        samples, owner, at, _ = _own_segment(net, es, fac, fpos, float(b), toward)
        gid = np.concatenate([es.gid[samples], es.gid_of(fac.x[fpos[at]], fac.y[fpos[at]])])
        who = np.concatenate([owner, at])
        order = np.argsort(who, kind="stable")
        out.append((np.searchsorted(who[order], np.arange(len(fpos) + 1)), gid[order]))
    return out

def _break_cells(
    net: Network, es: _raster.EdgeSamples, dist: np.ndarray, breaks: np.ndarray, own: list[np.ndarray], toward: bool,
) -> list[list[np.ndarray]]:
    """Return the reached cells of each break (minutes), as pieces (arrays of cell ids).

    The pieces are: road samples, nodes, and ``own[i]``, the cells of the facilities' own
    segments.
    """
    stars = _stars(net, es, toward)
    cost_u, cost_v = _costs(net, toward)
    secs = breaks * 60.0
    nodes_all = np.flatnonzero(dist <= secs[-1])
    out = []
    for i, b in enumerate(secs):
        nodes = nodes_all if i == len(secs) - 1 else nodes_all[dist[nodes_all] <= b]
        pieces = _raster.reached_cells(es, stars, dist, float(b), nodes, net._u, net._v, cost_u, cost_v)
        out.append([*pieces, own[i]])
    return out

def _generalized_areas(
    net: Network, fac: _Snapped, fpos: np.ndarray, toward: bool, breaks: np.ndarray, how: str, rings: bool, *,
    buffer_m: float, fill_holes: bool, cell_m: float, simplify: bool,
) -> list[tuple[Any, float, float, Any]]:
    """Make the records ``(facility, minutes_from, minutes_to, geometry)`` of raster polygons."""
    lim = float(breaks[-1]) * 60.0
    lows = np.concatenate([[0.0], breaks[:-1]])
    spec = _GridSpec(buffer_m=buffer_m, fill_holes=fill_holes, simplify=simplify)
    recs: list[tuple[Any, float, float, Any]] = []
    if len(fpos) == 0:
        return recs
    es = _edge_samples(net, cell_m)
    if how == "overlap":
        n = net.n_nodes
        owner, node, cost = net._sources(fac, fpos, toward)
        aug = _graph.augment(net._graph(transpose=toward), owner, node, cost, len(fpos))
        own = _own_cells(net, es, fac, fpos, breaks, toward)
        for k in range(len(fpos)):  # one compiled Dijkstra and a few grid passes per facility
            dist = dijkstra(aug, directed=True, indices=n + k, limit=lim)[:n]

            def cells_for(e: _raster.EdgeSamples, d: np.ndarray = dist, k: int = k) -> list:
                mine = own if e is es else _own_cells(net, e, fac, fpos, breaks, toward)
                return _break_cells(net, e, d, breaks, [g[p[k]:p[k + 1]] for p, g in mine], toward)

            es2, tiles, _ = _tiles(net, es, spec, cells_for)
            geoms = _grid_geoms(net, es2, tiles, len(breaks), rings, spec)
            recs.extend(_geoms_to_records(fac.labels[fpos[k]], geoms, breaks, lows, rings))
        return recs
    dist, src = net._multi_source(fac, fpos, toward, limit_s=lim)

    def cells_all(e: _raster.EdgeSamples) -> list:
        return _break_cells(net, e, dist, breaks, [g for _, g in _own_cells(net, e, fac, fpos, breaks, toward)],
                                 toward)

    es, tiles, locate = _tiles(net, es, spec, cells_all)
    if how == "dissolve":
        geoms = _grid_geoms(net, es, tiles, len(breaks), rings, spec)
        recs.extend(_geoms_to_records(None, geoms, breaks, lows, rings))
        return recs
    parts = _split_geoms(net, es, tiles, locate, len(breaks), dist, src, fac, fpos, lim, toward, rings, spec)
    for k in range(len(fpos)):
        recs.extend(_geoms_to_records(fac.labels[fpos[k]], parts[k], breaks, lows, rings))
    return recs

def _tiles(
    net: Network, es: _raster.EdgeSamples, spec: _GridSpec, cells_for: Any,
) -> tuple[_raster.EdgeSamples, list[_raster.Tile], Any]:
    """Return the grid tiles of the reached cells of every break.

    See :func:`mzgeo.network._raster.tiles`; the cells are coarsened when a tile would
    exceed ``_MAX_GRID_CELLS``.
    """
    tiles, locate = _raster.tiles(es, cells_for(es), spec.pad(es.cell_m))
    biggest = max((t.win for t in tiles), key=lambda w: w.n_cells, default=None)
    if biggest is not None and biggest.n_cells > _MAX_GRID_CELLS:
        coarse = es.cell_m * math.ceil(math.sqrt(biggest.n_cells / _MAX_GRID_CELLS) * 1.05)
        log.warning("服务范围网格过大 (%d x %d 格)，格网边长由 %g 米放大到 %g 米 (grid coarsened)",
                    biggest.h, biggest.w, es.cell_m, coarse)
        es = _edge_samples(net, coarse)
        tiles, locate = _raster.tiles(es, cells_for(es), spec.pad(es.cell_m))
    return es, tiles, locate

def _grid_geoms(
    net: Network, es: _raster.EdgeSamples, tiles: list[_raster.Tile], n_breaks: int, rings: bool, spec: _GridSpec,
) -> list[Any]:
    """Disks (or rings) of the breaks from the tiles of reached cells."""
    tol = es.cell_m / 2.0 if spec.simplify else 0.0
    per_tile = []
    for tile in tiles:  # one set of grid passes per cluster of cells
        grids = spec.grids(tile.raw, es.cell_m)
        x0, y0 = tile.win.origin(es)
        if rings and n_breaks > 1:
            # ring i: cells first reached by break i (the grids of nested breaks are nested)
            lab = np.where(grids[-1], n_breaks + 1 - np.sum(grids, axis=0, dtype=np.int32), 0).astype(np.int32)
            per_tile.append(list(_raster.label_polygons(lab, n_breaks, x0, y0, es.cell_m, tol)))
        else:
            per_tile.append([_raster.label_polygons(g, 1, x0, y0, es.cell_m, tol)[0] for g in grids])
    return [_combine([t[i] for t in per_tile]) for i in range(n_breaks)]

def _split_geoms(
    net: Network, es: _raster.EdgeSamples, tiles: list[_raster.Tile], locate: Any, n_breaks: int,
    dist: np.ndarray, src: np.ndarray, fac: _Snapped, fpos: np.ndarray, limit_s: float, toward: bool,
    rings: bool, spec: _GridSpec,
) -> list[list[Any]]:
    """Split areas on the grid, returning the disks (or rings) of each facility.

    Every cell goes to the facility of the fastest reached road sample in it; cells
    without one (the buffer) go to the nearest cell with one.
    """
    cost_u, cost_v = _costs(net, toward)
    # time and facility of every reached sample, node and snapped point
    samples, nodes = _raster.reached_samples(es, dist, limit_s, net._u, net._v, cost_u, cost_v)
    seg, f = _raster.sample_fraction(es, samples)
    su, sv = net._u[seg], net._v[seg]
    with np.errstate(invalid="ignore"):
        tu = dist[su] + np.where(f > 0, f * cost_u[seg], 0.0)
        tv = dist[sv] + np.where(f < 1, (1.0 - f) * cost_v[seg], 0.0)
    via_u = np.nan_to_num(tu, nan=np.inf) <= np.nan_to_num(tv, nan=np.inf)
    own, owner, at, p = _own_segment(net, es, fac, fpos, limit_s, toward)
    so = fac.seg[fpos][owner]
    d = (own - es.start[so]) / (es.count[so] - 1) - p[owner]
    acc = fac.access_m[fpos] / settings.access_speed_mps
    with np.errstate(invalid="ignore"):
        t_own = acc[owner] + np.where(d > 0, d * cost_u[so], np.where(d < 0, -d * cost_v[so], 0.0))
    gid = np.concatenate([es.gid[samples], es.gid[own], es.node_gid[nodes],
                          es.gid_of(fac.x[fpos[at]], fac.y[fpos[at]])])
    t = np.nan_to_num(np.concatenate([np.where(via_u, tu, tv), t_own, dist[nodes], acc[at]]), nan=np.inf)
    lab = np.concatenate([np.where(via_u, src[su], src[sv]), owner, src[nodes], at])
    keep = (lab >= 0) & np.isfinite(t)
    gid, t, lab = gid[keep], t[keep], lab[keep]
    tile_of = locate(gid)
    order = np.argsort(tile_of, kind="stable")
    bounds = np.searchsorted(tile_of[order], np.arange(len(tiles) + 1))
    tol = es.cell_m / 2.0 if spec.simplify else 0.0
    nf = len(fpos)
    out: list[list[list[Any]]] = [[[] for _ in range(n_breaks)] for _ in range(nf)]
    for i, tile in enumerate(tiles):  # one set of grid passes per cluster of cells
        win = tile.win
        sel = order[bounds[i]:bounds[i + 1]]
        flat, tt, ll = win.local(es, gid[sel]), t[sel], lab[sel]
        first_of = np.lexsort((tt, flat))
        first = np.ones(len(first_of), bool)
        first[1:] = flat[first_of][1:] != flat[first_of][:-1]
        owner_grid = np.zeros(win.n_cells, np.int32)
        owner_grid[flat[first_of][first]] = ll[first_of][first] + 1
        owner_grid = owner_grid.reshape(win.h, win.w)
        if (owner_grid == 0).any():
            idx = ndimage.distance_transform_edt(owner_grid == 0, return_distances=False, return_indices=True)
            owner_grid = owner_grid[idx[0], idx[1]]
        grids = spec.grids(tile.raw, es.cell_m)
        x0, y0 = win.origin(es)
        if rings:
            ring = np.where(grids[-1], n_breaks - np.sum(grids, axis=0, dtype=np.int32), 0)  # 0-based ring
            lab_grid = np.where(grids[-1], (owner_grid - 1) * n_breaks + ring + 1, 0).astype(np.int32)
            polys = _raster.label_polygons(lab_grid, nf * n_breaks, x0, y0, es.cell_m, tol)
            for k in range(nf):
                for b in range(n_breaks):
                    out[k][b].append(polys[k * n_breaks + b])
        else:
            for b, g in enumerate(grids):
                polys = _raster.label_polygons(np.where(g, owner_grid, 0).astype(np.int32), nf, x0, y0,
                                                  es.cell_m, tol)
                for k in range(nf):
                    out[k][b].append(polys[k])
    return [[_combine(parts) for parts in per_fac] for per_fac in out]

# --- detailed (vector) service areas -----------------------------------------------------------

def _reached_pieces(
    net: Network, dist: np.ndarray, fac: _Snapped, fpos: np.ndarray, toward: bool, limit_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reached parts of segments (seg, d0, d1 in m) and the reached nodes, within ``limit_s``."""
    h_f, h_b = (net._bwd, net._fwd) if toward else (net._fwd, net._bwd)
    reached = dist < limit_s
    cand = np.flatnonzero(reached[net._u] | reached[net._v])
    L = net._len[cand]
    du, dv = dist[net._u[cand]], dist[net._v[cand]]
    hf, hb = h_f[cand], h_b[cand]
    with np.errstate(invalid="ignore", divide="ignore"):
        ru = np.where((du < limit_s) & np.isfinite(hf),
                      np.where(hf > 0, (limit_s - du) / hf * L, L), -1.0)
        rv = np.where((dv < limit_s) & np.isfinite(hb),
                      np.where(hb > 0, (limit_s - dv) / hb * L, L), -1.0)
    ru = np.minimum(ru, L)
    rv = np.minimum(rv, L)
    full = (ru >= 0) & (rv >= 0) & (ru + rv >= L) | (ru >= L) | (rv >= L)
    seg = [cand[full]]
    d0 = [np.zeros(full.sum())]
    d1 = [L[full]]
    a = ~full & (ru > 0)
    seg.append(cand[a])
    d0.append(np.zeros(a.sum()))
    d1.append(ru[a])
    b = ~full & (rv > 0)
    seg.append(cand[b])
    d0.append(L[b] - rv[b])
    d1.append(L[b])
    # the facilities' own segments, from the snapped point both ways
    if len(fpos):
        fs = fac.seg[fpos]
        tf = fac.t[fpos]
        Lf = net._len[fs]
        left = limit_s - fac.access_m[fpos] / settings.access_speed_mps
        with np.errstate(invalid="ignore", divide="ignore"):
            go_v = np.where(np.isfinite(h_f[fs]), np.where(h_f[fs] > 0, left / h_f[fs] * Lf, Lf), 0.0)
            go_u = np.where(np.isfinite(h_b[fs]), np.where(h_b[fs] > 0, left / h_b[fs] * Lf, Lf), 0.0)
        ok = left > 0
        go_v, go_u = np.where(ok, go_v, 0.0), np.where(ok, go_u, 0.0)
        seg.append(fs[ok])
        d0.append(np.maximum(tf - go_u, 0.0)[ok])
        d1.append(np.minimum(tf + go_v, Lf)[ok])
    seg_a = np.concatenate(seg)
    d0_a = np.concatenate(d0)
    d1_a = np.concatenate(d1)
    return seg_a, d0_a, d1_a, np.flatnonzero(reached)

def _faces(net: Network) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Planar faces beside each segment: (left face, right face, face degree); -1 = no face.

    Faces come from the angles of the segments at the nodes, once (lazily; see
    :func:`mzgeo.network._graph.planar_faces`). Used only to skip, under ``fill_holes=True``, the
    segments whose both sides are enclosed by fully reached roads.
    """
    if "faces" not in net._lazy:
        t0 = time.perf_counter()
        left, right, deg = _graph.planar_faces(net._coords, net._offsets, net._u, net._v)
        net._lazy["faces"] = (left, right, deg)
        log.info("路网面 (planar faces): %d, %.2f s", len(deg), time.perf_counter() - t0)
    return net._lazy["faces"]

def _reach_polygon(
    net: Network, dist: np.ndarray, fac: _Snapped, fpos: np.ndarray, toward: bool, limit_s: float,
    buffer_m: float, fill_holes: bool,
) -> Any:
    seg, d0, d1, nodes = _reached_pieces(net, dist, fac, fpos, toward, limit_s)
    if len(seg) == 0 and len(nodes) == 0:
        return None
    if fill_holes and len(seg):
        # skip segments with enclosed, fully covered faces on both sides: their band lies
        # inside the filled polygon anyway (see _faces)
        left, right, deg = _faces(net)
        full = (d0 <= 0) & (d1 >= net._len[seg])
        fs = np.unique(seg[full])
        bnd = left[fs] != right[fs]
        cnt = np.bincount(np.concatenate([left[fs][bnd & (left[fs] >= 0)], right[fs][bnd & (right[fs] >= 0)]]),
                          minlength=len(deg))
        covered = np.concatenate([(cnt == deg) & (deg > 0), [False]])  # index -1 → outer: never
        inner = np.zeros(net.n_segments, bool)
        inner[fs] = covered[left[fs]] & covered[right[fs]]
        keep = ~inner[seg]
        seg, d0, d1 = seg[keep], d0[keep], d1[keep]
        reached_node = np.zeros(net.n_nodes, bool)
        reached_node[nodes] = True
        near = np.zeros(net.n_nodes, bool)
        near[net._u[seg]] = True
        near[net._v[seg]] = True
        nodes = np.flatnonzero(reached_node & near)
    pieces = _graph.substrings(net._coords, net._offsets, net._cum, seg, d0, d1)
    zero = d1 - d0 <= 0
    parts = [shapely.buffer(pieces[~zero], buffer_m, cap_style="flat", join_style="round", quad_segs=4)]
    xy = net._node_xy[nodes]
    parts.append(shapely.buffer(shapely.points(xy), buffer_m, quad_segs=4))
    geoms = np.concatenate([np.asarray(p, dtype=object) for p in parts])
    geoms = geoms[~shapely.is_empty(geoms)]
    if len(geoms) == 0:
        return None
    poly = shapely.union_all(geoms)
    if fill_holes:
        poly = _fill_holes(poly)
    return poly

def _split_cells(
    net: Network, dist: np.ndarray, src: np.ndarray, fac: _Snapped, fpos: np.ndarray, toward: bool,
    limit_s: float, buffer_m: float, area: Any,
) -> list[Any]:
    """Partition ``area`` between facilities.

    The parts are Voronoi cells of reached road points labelled with the facility that
    reaches them first.
    """
    seg, d0, d1, _ = _reached_pieces(net, dist, fac, fpos, toward, limit_s)
    step = max(buffer_m / 2.0, 1.0)
    n_pts = np.maximum(np.ceil((d1 - d0) / step).astype(np.int64), 1) + 1
    rep = np.repeat(np.arange(len(seg)), n_pts)
    j = np.arange(n_pts.sum()) - np.repeat(np.cumsum(n_pts) - n_pts, n_pts)
    fseg = fac.seg[fpos]
    # samples along the reached pieces, plus the facilities' own points (where times bend)
    pos = np.concatenate([d0[rep] + (d1 - d0)[rep] * j / (n_pts[rep] - 1), fac.t[fpos]])
    s = np.concatenate([seg[rep], fseg])
    h_f, h_b = (net._bwd, net._fwd) if toward else (net._fwd, net._bwd)
    acc = fac.access_m[fpos] / settings.access_speed_mps

    def f_kind(sg: np.ndarray, p: np.ndarray, kind: np.ndarray) -> np.ndarray:
        """Return the time (s) at position ``p`` of segment ``sg`` along route ``kind``.

        Routes: 0 via u, 1 via v, 2 + k from facility k on that segment.
        """
        L = net._len[sg]
        fu = np.divide(p, L, out=np.zeros(len(p)), where=L > 0)
        out = np.full(len(p), np.inf)
        with np.errstate(invalid="ignore"):
            a = kind == 0
            out[a] = dist[net._u[sg[a]]] + np.where(p[a] > 0, fu[a] * h_f[sg[a]], 0.0)
            b = kind == 1
            out[b] = dist[net._v[sg[b]]] + np.where(p[b] < L[b], (1 - fu[b]) * h_b[sg[b]], 0.0)
            c = kind >= 2
            k = kind[c] - 2
            d = p[c] - fac.t[fpos][k]
            cost = np.where(d >= 0, h_f[sg[c]], h_b[sg[c]])
            frac = np.divide(np.abs(d), L[c], out=np.zeros(len(d)), where=L[c] > 0)
            out[c] = np.where(d == 0, 0.0, frac * cost) + acc[k]
        return np.nan_to_num(out, nan=np.inf)

    best = np.full(len(s), np.inf)
    kind = np.zeros(len(s), np.int64)
    for kd in (0, 1):
        t = f_kind(s, pos, np.full(len(s), kd))
        better = t < best
        best[better], kind[better] = t[better], kd
    for k in range(len(fpos)):  # facilities are few; each step is vectorised over points
        on = np.flatnonzero(s == fseg[k])
        t = f_kind(s[on], pos[on], np.full(len(on), 2 + k))
        better = t < best[on]
        best[on[better]], kind[on[better]] = t[better], 2 + k

    def label(sg: np.ndarray, kd: np.ndarray) -> np.ndarray:
        return np.where(kd == 0, src[net._u[sg]], np.where(kd == 1, src[net._v[sg]], kd - 2))

    lab = label(s, kind)
    # exact meeting points: where consecutive samples change facility, both routes are
    # linear in between, so the crossing is found by interpolation; two points put just
    # either side of it make the Voronoi boundary pass through it
    order = np.lexsort((pos, s))
    s, pos, best, kind, lab = s[order], pos[order], best[order], kind[order], lab[order]
    chg = np.flatnonzero((s[1:] == s[:-1]) & (lab[1:] != lab[:-1]) & (lab[1:] >= 0) & (lab[:-1] >= 0)
                         & np.isfinite(best[1:]) & np.isfinite(best[:-1]))
    if len(chg):
        a, b = chg, chg + 1
        sg = s[a]
        ga = f_kind(sg, pos[a], kind[a]) - f_kind(sg, pos[a], kind[b])
        gb = f_kind(sg, pos[b], kind[a]) - f_kind(sg, pos[b], kind[b])
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.clip(np.nan_to_num(ga / (ga - gb), nan=0.5), 0.0, 1.0)
        mid = pos[a] + (pos[b] - pos[a]) * w
        delta = np.minimum(0.01, (pos[b] - pos[a]) / 4.0)
        s = np.concatenate([s, sg, sg])
        pos = np.concatenate([pos, mid - delta, mid + delta])
        best = np.concatenate([best, f_kind(sg, mid, kind[a]), f_kind(sg, mid, kind[b])])
        lab = np.concatenate([lab, lab[a], lab[b]])
    keep = (lab >= 0) & np.isfinite(best)
    pts = _graph.substrings(net._coords, net._offsets, net._cum, s[keep], pos[keep], pos[keep])
    pts = shapely.get_point(pts, 0)
    lab = lab[keep]
    xy = shapely.get_coordinates(pts)
    xy, first = np.unique(np.round(xy, 6), axis=0, return_index=True)
    lab = lab[first]
    if len(xy) < 2 or area is None:
        return [area if k == (lab[0] if len(lab) else -1) else shapely.Polygon() for k in range(len(fpos))]
    env = shapely.buffer(shapely.envelope(area), buffer_m * 4)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=env))
    tree = shapely.STRtree(shapely.points(xy))
    ci, pi = tree.query(cells, predicate="contains")
    cell_lab = np.full(len(cells), -1)
    cell_lab[ci] = lab[pi]
    out = []
    for k in range(len(fpos)):
        mine = cells[cell_lab == k]
        out.append(shapely.coverage_union_all(mine) if len(mine) else shapely.Polygon())
    return out


# --- helpers -------------------------------------------------------------------------------


def _disks_to_records(label: Any, disks: list[Any], breaks: np.ndarray, lows: np.ndarray, rings: bool) -> list:
    recs = []
    prev = None
    for b, lo, d in zip(breaks, lows, disks, strict=True):
        if rings:
            geom = d if prev is None or d is None else shapely.difference(d, prev)
            recs.append((label, float(lo), float(b), geom))
        else:
            recs.append((label, 0.0, float(b), d))
        prev = d if d is not None else prev
    return recs


def _combine(parts: list[Any]) -> Any:
    """One geometry from the polygons of several tiles (apart from each other), ``None`` if none."""
    parts = [p for p in parts if p is not None and not shapely.is_empty(p)]
    if len(parts) <= 1:
        return parts[0] if parts else None
    return shapely.multipolygons(shapely.get_parts(np.asarray(parts, dtype=object)))


def _geoms_to_records(label: Any, geoms: list[Any], breaks: np.ndarray, lows: np.ndarray, rings: bool) -> list:
    """Make the records of generalised disks or rings (already differenced on the grid)."""
    return [(label, float(lo) if rings else 0.0, float(b), g) for b, lo, g in zip(breaks, lows, geoms, strict=True)]


def _reach_fraction(left_s: np.ndarray, cost_s: np.ndarray) -> np.ndarray:
    """Fraction of a segment travelled in ``left_s`` seconds at ``cost_s`` for all of it."""
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(cost_s > 0, left_s / cost_s, np.where(left_s >= 0, 1.0, 0.0))
    return np.nan_to_num(r, nan=0.0, posinf=1.0, neginf=0.0).clip(0.0, 1.0)


@dataclass
class _GridSpec:
    """How reached cells become polygons: widening, hole filling, simplification."""

    buffer_m: float
    fill_holes: bool
    simplify: bool

    def radius(self, cell_m: float) -> float:
        """Dilation radius in cells (at least one, so that diagonal steps join)."""
        return max(1.0, self.buffer_m / cell_m)

    def pad(self, cell_m: float) -> int:
        """Empty cells kept around the reached cells: the dilation plus one."""
        return int(math.floor(self.radius(cell_m) + 1e-9)) + 1

    def grids(self, raw: list[np.ndarray], cell_m: float) -> list[np.ndarray]:
        """Boolean grids, one per break, from the reached cells: widened, holes filled."""
        out = []
        for g in raw:
            g = _raster.dilate(g, self.radius(cell_m))
            out.append(_raster.fill_holes(g) if self.fill_holes else g)
        return out


def _fill_holes(poly: Any) -> Any:
    parts = shapely.get_parts(poly)
    shells = shapely.polygons(shapely.get_exterior_ring(parts))
    return shapely.union_all(shells) if len(shells) > 1 else shells[0]

