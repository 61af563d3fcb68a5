"""Road networks: build from planners' road layers, OpenStreetMap or networkx; snap; route.

A :class:`Network` stores the road network as arrays in a metric CRS: nodes, and *segments*
(one per physical piece of road between two nodes, with its geometry) that can be travelled
forward (from ``u`` to ``v``), backward, or both. Travel cost is in seconds, lengths in
metres. Routing runs in compiled code (``scipy.sparse.csgraph.dijkstra``).

Points (facilities, villages) are snapped to the **nearest segment**, not the nearest node:
the travel time from a point is the off-network leg (straight line to the road at
``settings.access_speed_mps``), plus the part of the segment to its end node, plus the
network time; two points on the same segment get their direct along-segment time.

Connectivity: points are snapped to the **largest strongly connected component** of the
network (the main network); a point whose only road within ``max_snap_m`` belongs to a
smaller piece is reported as ``"island"`` and gets no time (NaN) rather than a wrong one.
Travel times inside the main component equal shortest paths on the whole network, since a
shortest path between two nodes of a strongly connected component never leaves it.

Examples
--------
>>> import geopandas as gpd
>>> from shapely import LineString, Point
>>> roads = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1000, 0)])], crs=4549)
>>> net = Network.from_lines(roads, cache=False)
>>> fac = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=4549)
>>> dem = gpd.GeoDataFrame(geometry=[Point(600, 30)], crs=4549)
>>> round(float(net.nearest(fac, dem)["minutes"].iloc[0]), 2)  # 30 m access + 600 m road at 1 m/s
10.5
"""

from __future__ import annotations

import hashlib
import logging
import math
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra

from .. import settings
from ..errors import CRSError, DataWarning, InputError, NetworkError
from . import _graph, _snap, build, cache, isochrone, osm
from .build import BUILD_FIXES, _build_report_frame, _str_values
from .isochrone import SERVICE_AREA_CELL_M

__all__ = ["BUILD_FIXES", "SERVICE_AREA_CELL_M", "SNAP_STATUS", "Network", "ODMatrix"]

log = logging.getLogger("mzgeo")

#: Snap status values: snapped; farther than ``max_snap_m`` from every road; nearest road is
#: cut off from the main network; no usable geometry.
SNAP_STATUS = ("ok", "too_far", "island", "empty")

_STATUS_ZH = {
    "too_far": "距最近道路超过捕捉距离 (too far from any road)",
    "island": "最近的道路与主路网不连通（孤岛） (only an island road nearby)",
    "empty": "没有坐标/几何为空 (empty geometry)",
    "unreachable": "在路网上无法到达任何设施 (no facility reachable)",
}

_EPS_M = 1e-6  # positions closer than this to a segment end are put on the end node (m)
_SNAP_CACHE_LAYERS = 8  # snapped layers kept per network


# --- results -------------------------------------------------------------------------------


@dataclass
class ODMatrix:
    """Origin-destination travel times within a cutoff.

    Attributes
    ----------
    table : pandas.DataFrame
        Long form, one row per reached pair: ``origin`` (demand index label),
        ``destination`` (facility index label), ``minutes`` (float), sorted by origin
        position then minutes.
    matrix : scipy.sparse.csr_array
        ``(len(origins), len(destinations))`` travel minutes of the reached pairs, rows and
        columns in the order of ``origins`` and ``destinations``. **A pair reached in zero
        minutes is stored as an explicit 0.0**: a stored entry means "within the cutoff",
        an absent entry means "not within the cutoff (or not routable)". Use
        :attr:`mask` (or ``matrix.nnz``/the sparsity structure) to tell them apart and
        never call ``matrix.eliminate_zeros()``.
    origins, destinations : pandas.Index
        Labels of the demand points and facilities, in matrix order (all of them, also
        those that could not be snapped; their rows/columns are empty).
    problems : pandas.DataFrame
        Points that could not be snapped or routed: ``role`` (``"demand"`` or
        ``"facility"``), ``label``, ``name`` and ``status``.
    cutoff_minutes : float
        The cutoff applied (minutes).
    """

    table: pd.DataFrame
    matrix: sp.csr_array
    origins: pd.Index
    destinations: pd.Index
    problems: pd.DataFrame
    cutoff_minutes: float = math.inf

    @property
    def mask(self) -> sp.csr_array:
        """Boolean sparse matrix, True where a pair is within the cutoff (zero minutes included)."""
        m = self.matrix.copy()
        m.data = np.ones(len(m.data), dtype=bool)
        return m

    @property
    def n_pairs(self) -> int:
        """Number of reached pairs."""
        return len(self.table)


@dataclass
class _Snapped:
    """Snap result of a set of points (arrays aligned with the input rows)."""

    labels: pd.Index
    name_col: pd.Series | None  # the points' ``name`` column, read only where needed
    status: np.ndarray  # object array of str
    seg: np.ndarray  # int64, -1 when not snapped
    t: np.ndarray  # position along the segment from u (m)
    access_m: np.ndarray
    x: np.ndarray
    y: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> np.ndarray:
        return self.status == "ok"

    def names_at(self, idx: np.ndarray) -> np.ndarray:
        """Names (stripped strings, ``None`` when missing or without a name column) of rows ``idx``."""
        if self.name_col is None:
            return np.full(len(idx), None, dtype=object)
        return _str_values(self.name_col.iloc[idx])


# --- the network -------------------------------------------------------------------------


class Network:
    """A road network for routing, in a metric CRS (travel cost in seconds, lengths in metres).

    Build it with :meth:`from_lines`, :meth:`from_osm`, :meth:`from_networkx`,
    :meth:`from_osmnx_polygon` or :meth:`from_arrays`; do not call the constructor directly.

    Attributes
    ----------
    crs : pyproj.CRS
        Metric CRS of all coordinates.
    mode : str
        ``"walk"``, ``"drive"`` or ``"custom"`` (times given by a networkx graph/arrays).
    params : dict
        What was applied: mode, speed table (km/h), walking speed (m/s), source, columns
        used, noding options...
    n_nodes, n_edges, n_segments : int
        Nodes, directed edges (a two-way segment counts twice), physical segments.
    build_report : pandas.DataFrame
        What the constructor repaired in the input, one row per place: ``kind`` (one of
        :data:`BUILD_FIXES`), ``x``, ``y`` (m, in :attr:`crs`) and ``moved_m`` (how far a
        road end was moved, m; 0 where only a node was added). Counts per kind are in
        ``params["build_fixes"]``. Empty when nothing was repaired.
    """

    def __init__(
        self,
        *,
        crs: Any,
        mode: str,
        node_xy: np.ndarray,
        seg_u: np.ndarray,
        seg_v: np.ndarray,
        seg_fwd_s: np.ndarray,
        seg_bwd_s: np.ndarray,
        coords: np.ndarray,
        offsets: np.ndarray,
        road_class: np.ndarray | None = None,
        name: np.ndarray | None = None,
        params: dict | None = None,
        merge_duplicates: bool = True,
        build_report: pd.DataFrame | None = None,
    ) -> None:
        self.crs = pyproj.CRS.from_user_input(crs)
        self.mode = mode
        self.params = dict(params or {})
        self.build_report = _build_report_frame() if build_report is None else build_report
        self._node_xy = np.ascontiguousarray(node_xy, dtype=np.float64).reshape(-1, 2)
        self._u = np.asarray(seg_u, dtype=np.int64)
        self._v = np.asarray(seg_v, dtype=np.int64)
        self._fwd = np.asarray(seg_fwd_s, dtype=np.float64)
        self._bwd = np.asarray(seg_bwd_s, dtype=np.float64)
        self._coords = np.ascontiguousarray(coords, dtype=np.float64).reshape(-1, 2)
        self._offsets = np.asarray(offsets, dtype=np.int64)
        n_seg = len(self._u)
        self._class = _obj_array(road_class, n_seg)
        self._name = _obj_array(name, n_seg)
        if n_seg == 0:
            msg = "路网没有任何可用道路 (network has no usable edges)：请检查输入数据、出行方式 mode 和裁剪范围"
            raise NetworkError(msg)
        with np.errstate(invalid="ignore"):
            bad = (self._fwd < 0) | (self._bwd < 0) | np.isnan(self._fwd) | np.isnan(self._bwd)
        if bad.any():
            msg = f"有 {int(bad.sum())} 段道路的通行时间为负数或缺失 (negative or missing travel time)"
            raise NetworkError(msg)
        self._cum = _graph.cumulative_lengths(self._coords, self._offsets)
        self._len = self._cum[self._offsets[1:] - 1]
        self._lazy: dict[str, Any] = {}
        if merge_duplicates:
            build.merge_duplicates(self)

    # -- sizes and tables ---------------------------------------------------------------

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self._node_xy)

    @property
    def n_segments(self) -> int:
        """Number of physical road segments (each one- or two-way)."""
        return len(self._u)

    @property
    def n_edges(self) -> int:
        """Number of directed edges (two-way segments count twice)."""
        return int(np.isfinite(self._fwd).sum() + np.isfinite(self._bwd).sum())

    def __repr__(self) -> str:
        """Mode, size and CRS, e.g. ``<mzgeo.Network mode='walk' nodes=3 edges=4 crs=EPSG:4549>``."""
        return (
            f"<mzgeo.Network mode={self.mode!r} nodes={self.n_nodes:,} edges={self.n_edges:,} "
            f"crs=EPSG:{self.crs.to_epsg()}>"
        )

    @property
    def nodes(self) -> gpd.GeoDataFrame:
        """Nodes as points: index ``node``, columns ``x``, ``y`` (m), ``main`` (in the main component)."""
        if "nodes" not in self._lazy:
            x, y = self._node_xy[:, 0], self._node_xy[:, 1]
            self._lazy["nodes"] = gpd.GeoDataFrame(
                {"x": x, "y": y, "main": self._node_main},
                geometry=shapely.points(x, y),
                crs=self.crs,
                index=pd.RangeIndex(self.n_nodes, name="node"),
            )
        return self._lazy["nodes"]

    @property
    def edges(self) -> gpd.GeoDataFrame:
        """Directed edges as lines.

        Index ``edge``; columns ``u``, ``v`` (node ids), ``segment``, ``length_m``,
        ``seconds``, ``road_class``, ``name``, ``geometry`` (drawn from ``u`` to ``v``).
        """
        if "edges" not in self._lazy:
            f = np.flatnonzero(np.isfinite(self._fwd))
            b = np.flatnonzero(np.isfinite(self._bwd))
            seg = np.concatenate([f, b])
            geom = np.concatenate([self._geoms[f], shapely.reverse(self._geoms[b])])
            self._lazy["edges"] = gpd.GeoDataFrame(
                {
                    "u": np.concatenate([self._u[f], self._v[b]]),
                    "v": np.concatenate([self._v[f], self._u[b]]),
                    "segment": seg,
                    "length_m": self._len[seg],
                    "seconds": np.concatenate([self._fwd[f], self._bwd[b]]),
                    "road_class": self._class[seg],
                    "name": self._name[seg],
                },
                geometry=geom,
                crs=self.crs,
                index=pd.RangeIndex(len(seg), name="edge"),
            )
        return self._lazy["edges"]

    # -- lazily built internals -----------------------------------------------------------

    @property
    def _geoms(self) -> np.ndarray:
        if "geoms" not in self._lazy:
            self._lazy["geoms"] = _graph.lines_from_offsets(self._coords, self._offsets)
        return self._lazy["geoms"]

    @property
    def _edge_ids(self) -> tuple[np.ndarray, np.ndarray]:
        """Directed edge id of each segment's forward and backward direction (-1 if none)."""
        if "edge_ids" not in self._lazy:
            f = np.isfinite(self._fwd)
            b = np.isfinite(self._bwd)
            fid = np.where(f, np.cumsum(f) - 1, -1)
            bid = np.where(b, f.sum() + np.cumsum(b) - 1, -1)
            self._lazy["edge_ids"] = (fid, bid)
        return self._lazy["edge_ids"]

    def _graph(self, transpose: bool = False) -> sp.csr_array:
        key = "GT" if transpose else "G"
        if key not in self._lazy:
            u = np.concatenate([self._u, self._v])
            v = np.concatenate([self._v, self._u])
            w = np.concatenate([self._fwd, self._bwd])
            if transpose:
                u, v = v, u
            self._lazy[key] = _graph.csr_min(self.n_nodes, u, v, w)
        return self._lazy[key]

    @property
    def _node_main(self) -> np.ndarray:
        if "main" not in self._lazy:
            n_comp, labels = connected_components(self._graph(), directed=True, connection="strong")
            main = np.argmax(np.bincount(labels)) if n_comp > 1 else 0
            self._lazy["main"] = labels == main
            self._lazy["n_components"] = int(n_comp)
            if n_comp > 1:
                log.info(
                    "路网有 %d 个强连通分量；主路网含 %d/%d 个节点 (main component)",
                    n_comp, int((labels == main).sum()), self.n_nodes,
                )
        return self._lazy["main"]

    @property
    def n_components(self) -> int:
        """Number of strongly connected components (1 = every node reaches every other)."""
        _ = self._node_main
        return self._lazy["n_components"]

    def _tree(self, main_only: bool) -> tuple[shapely.STRtree, np.ndarray]:
        key = "tree_main" if main_only else "tree_all"
        if key not in self._lazy:
            if main_only:
                ids = np.flatnonzero(self._node_main[self._u] & self._node_main[self._v])
            else:
                ids = np.arange(self.n_segments)
            self._lazy[key] = (shapely.STRtree(self._geoms[ids]), ids)
        return self._lazy[key]

    # -- constructors --------------------------------------------------------------------

    # -- constructors and service areas: the functions of build, osm and isochrone ----------
    # (plain functions as static/instance methods: the same signature and docstring, no copy)

    from_arrays = staticmethod(build.from_arrays)
    from_lines = staticmethod(build.from_lines)
    from_networkx = staticmethod(build.from_networkx)
    from_osm = staticmethod(osm.from_osm)
    from_osmnx_polygon = staticmethod(osm.from_osmnx_polygon)
    service_areas = isochrone.service_areas
    _to_cache = cache.save_network
    _from_cache = staticmethod(cache.load_network)

    # -- snapping ------------------------------------------------------------------------

    def _prepare_points(self, points: Any, role: str) -> tuple[np.ndarray, pd.Index, pd.Series | None]:
        if isinstance(points, gpd.GeoSeries):
            points = gpd.GeoDataFrame(geometry=points)
        if not isinstance(points, gpd.GeoDataFrame):
            msg = f"{role} 需要点要素的 GeoDataFrame，收到 {type(points).__name__} (expected a GeoDataFrame)"
            raise InputError(msg)
        if points.crs is None:
            msg = f"{role} 没有坐标系 (missing CRS)：请用 mzgeo.read_layer(..., crs=) 或 set_crs() 声明"
            raise CRSError(msg)
        geoms = points.geometry.values
        if not points.crs.equals(self.crs):
            geoms = points.geometry.to_crs(self.crs).values
        geoms = np.asarray(geoms, dtype=object)
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        non_point = ~missing & (shapely.get_type_id(geoms) != 0)
        if non_point.any():
            warnings.warn(
                f"{role} 中有 {int(non_point.sum())} 个非点要素，已用其内部代表点代替 "
                "(non-point geometries replaced by representative points)",
                DataWarning, stacklevel=4,
            )
            geoms = geoms.copy()
            geoms[non_point] = shapely.point_on_surface(geoms[non_point])
        names = points["name"] if "name" in points.columns else None
        return geoms, points.index, names

    def _snap_index(self) -> dict[str, Any]:
        """Grid of the main network's straight pieces with per-cell candidate lists (lazily built).

        See :mod:`mzgeo.network._snap`.
        """
        if "snap_index" not in self._lazy:
            _, ids = self._tree(main_only=True)
            self._lazy["snap_index"] = _snap.build_index(self._coords, self._offsets, ids)
        return self._lazy["snap_index"]

    def _nearest_grid(self, xy: np.ndarray, md: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest main-network segment of points ``xy`` (m) via the grid of pieces.

        Returns ``(seg, dist, unsure)``: segment id (-1 when farther than ``md`` m), the
        distance (m), and a mask of points whose answer is a near tie (two segments, or the
        ``md`` limit, within ``_snap.TIE_M``, or not settled within ``_snap.GRID_R`` cells),
        to be settled by the STRtree query.
        """
        return _snap.nearest(self._snap_index(), xy, md)

    @staticmethod
    def _snap_cache_key(xs: np.ndarray, ys: np.ndarray, max_snap: float) -> bytes:
        """Hash of the points' coordinates (NaN for empty/missing points) and ``max_snap`` (m)."""
        h = hashlib.blake2b(digest_size=20)
        n = len(xs)
        h.update(xs.tobytes())
        h.update(ys.tobytes())
        h.update(repr((n, max_snap)).encode())
        return h.digest()

    def _snap(self, points: Any, max_snap_m: float | None, role: str = "points", *,
              _exact: bool = False) -> _Snapped:
        geoms, labels, names = self._prepare_points(points, role)
        max_snap = settings.max_snap_m if max_snap_m is None else float(max_snap_m)
        if not max_snap >= 0:
            msg = f"max_snap_m 必须 ≥ 0，收到 {max_snap_m!r}"
            raise InputError(msg)
        cache = self._lazy.setdefault("snap_cache", OrderedDict())
        xs, ys = _point_xy(geoms)
        key = self._snap_cache_key(xs, ys, max_snap) + (b"x" if _exact else b"k")
        if key in cache:
            cache.move_to_end(key)
            self._lazy["snap_cache_hits"] = self._lazy.get("snap_cache_hits", 0) + 1
        else:
            cache[key] = self._snap_geoms(geoms, xs, ys, max_snap, exact=_exact)
            while len(cache) > _SNAP_CACHE_LAYERS:
                cache.popitem(last=False)
        status, seg, t, access, px, py = (a.copy() for a in cache[key])
        return _Snapped(labels, names, status, seg, t, access, px, py)

    def _snap_geoms(self, geoms: np.ndarray, xs: np.ndarray, ys: np.ndarray, max_snap: float, *,
                    exact: bool) -> tuple[np.ndarray, ...]:
        """Snap point geometries (in :attr:`crs`, coordinates ``xs``, ``ys``): status, segment, position, access, x, y."""
        n = len(geoms)
        code = np.full(n, 1, np.int8)  # position in SNAP_STATUS: too_far until snapped
        seg = np.full(n, -1, np.int64)
        access = np.full(n, np.nan)
        empty = ~(np.isfinite(xs) & np.isfinite(ys))
        code[empty] = 3
        todo = np.flatnonzero(~empty)
        md = None if math.isinf(max_snap) else max_snap
        piece = np.full(n, -1, np.int64)  # the one nearest piece of the segment, when known
        if len(todo) and not exact:
            k_seg, k_dist, unsure, k_piece, k_single = self._nearest_grid(
                np.column_stack([xs[todo], ys[todo]]), max_snap)
            sure = ~unsure & (k_seg >= 0)
            hit = todo[sure]
            seg[hit] = k_seg[sure]
            access[hit] = k_dist[sure]
            code[hit] = 0
            piece[hit] = np.where(k_single[sure], k_piece[sure], -1)
            todo = todo[unsure]  # near ties: the exact query below decides, as before
        if len(todo):
            tree, ids = self._tree(main_only=True)
            (i_in, i_tree), dist = tree.query_nearest(geoms[todo], max_distance=md, return_distance=True,
                                                      all_matches=False)
            hit = todo[i_in]
            seg[hit] = ids[i_tree]
            access[hit] = dist
            code[hit] = 0
        rest = np.flatnonzero(code == 1)
        if len(rest):
            tree_all, _ = self._tree(main_only=False)
            (j_in, _), _ = tree_all.query_nearest(geoms[rest], max_distance=md, return_distance=True,
                                                  all_matches=False)
            code[rest[j_in]] = 2
        ok = np.flatnonzero(code == 0)
        t = np.full(n, np.nan)
        px = np.full(n, np.nan)
        py = np.full(n, np.nan)
        if len(ok):
            # position along the segment: from the nearest piece where it is the only one
            # (GEOS's arithmetic on that piece), else by shapely on the whole line
            pk = piece[ok]
            fast = pk >= 0
            t0 = np.full(len(ok), np.nan)
            if fast.any():
                ix = self._snap_index()
                t0[fast], zero = _snap.project(ix, pk[fast], xs[ok[fast]], ys[ok[fast]])
                fast[np.flatnonzero(fast)[zero]] = False
            slow = np.flatnonzero(~fast)
            if len(slow):
                t0[slow] = shapely.line_locate_point(self._geoms[seg[ok[slow]]], geoms[ok[slow]])
            L = self._len[seg[ok]]
            tt = np.clip(t0, 0.0, L)
            tt = np.where(tt < _EPS_M, 0.0, np.where(L - tt < _EPS_M, L, tt))
            t[ok] = tt
            fast &= tt == t0
            if fast.any():
                px[ok[fast]], py[ok[fast]] = _snap.interpolate(self._snap_index(), pk[fast], tt[fast])
            slow = np.flatnonzero(~fast)
            if len(slow):
                snapped = shapely.line_interpolate_point(self._geoms[seg[ok[slow]]], tt[slow])
                px[ok[slow]] = shapely.get_x(snapped)
                py[ok[slow]] = shapely.get_y(snapped)
        return np.array(SNAP_STATUS, dtype=object).take(code), seg, t, access, px, py

    def snap(self, points: Any, max_snap_m: float | None = None) -> pd.DataFrame:
        """Snap points to the nearest road segment of the main network.

        Parameters
        ----------
        points : geopandas.GeoDataFrame or GeoSeries
            Points in any CRS (reprojected to :attr:`crs`); other geometry types use a
            point on their surface (with a :class:`~mzgeo.DataWarning`).
        max_snap_m : float, optional
            Largest distance (m) to the road; default ``settings.max_snap_m``.

        Returns
        -------
        pandas.DataFrame
            Index of ``points``; columns ``edge`` (row of :attr:`edges` along whose line the
            position is measured, ``<NA>`` if not snapped), ``segment``, ``position_m`` (m
            from that edge's ``u``), ``access_m`` (straight distance to the road, m),
            ``x``, ``y`` (snapped point, m), ``status`` (one of :data:`SNAP_STATUS`) and
            ``name`` (from a ``name`` column when present).

        Raises
        ------
        CRSError
            ``points`` has no CRS.
        """
        s = self._snap(points, max_snap_m)
        fid, bid = self._edge_ids
        ok = s.ok
        seg = np.where(ok, s.seg, 0)
        use_f = fid[seg] >= 0
        edge = np.where(use_f, fid[seg], bid[seg])
        pos = np.where(use_f, s.t, self._len[seg] - s.t)
        out = pd.DataFrame(
            {
                "edge": pd.array(np.where(ok, edge, 0), dtype="Int64"),
                "segment": pd.array(seg, dtype="Int64"),
                "position_m": np.where(ok, pos, np.nan),
                "access_m": np.where(ok | (s.status != "empty"), s.access_m, np.nan),
                "x": s.x,
                "y": s.y,
                "status": s.status.astype(str),
                "name": s.names_at(np.arange(len(s.status))) if s.name_col is not None else None,
            },
            index=s.labels,
        )
        out.loc[~ok, ["edge", "segment"]] = pd.NA
        return out

    # -- costs of snapped points ------------------------------------------------------------

    def _partials(self, s: _Snapped, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Seconds between snapped points ``idx`` and their segment's end nodes."""
        seg = s.seg[idx]
        t = s.t[idx]
        L = self._len[seg]
        frac = np.divide(t, L, out=np.zeros(len(t)), where=L > 0)

        def part(dist_m: np.ndarray, f: np.ndarray, cost: np.ndarray) -> np.ndarray:
            out = np.full(len(f), np.inf)
            fin = np.isfinite(cost)
            out[fin] = f[fin] * cost[fin]
            out[dist_m <= 0] = 0.0
            return out

        fwd, bwd = self._fwd[seg], self._bwd[seg]
        return {
            "u": self._u[seg],
            "v": self._v[seg],
            "to_v": part(L - t, 1.0 - frac, fwd),  # point → v, forward
            "to_u": part(t, frac, bwd),  # point → u, backward
            "from_u": part(t, frac, fwd),  # u → point, forward
            "from_v": part(L - t, 1.0 - frac, bwd),  # v → point, backward
            "access_s": s.access_m[idx] / settings.access_speed_mps,
        }

    def _sources(self, fac: _Snapped, fpos: np.ndarray, toward: bool) -> tuple[np.ndarray, ...]:
        """Virtual source edges (owner, node, seconds) of facilities ``fpos``."""
        p = self._partials(fac, fpos)
        k = np.arange(len(fpos))
        if toward:  # transposed graph: from the facility back to the nodes that reach it
            a, b = p["from_u"], p["from_v"]
        else:
            a, b = p["to_u"], p["to_v"]
        owner = np.concatenate([k, k])
        node = np.concatenate([p["u"], p["v"]])
        cost = np.concatenate([a, b]) + np.concatenate([p["access_s"], p["access_s"]])
        return owner, node, cost

    def _same_segment(
        self, dem: _Snapped, dpos: np.ndarray, fac: _Snapped, fpos: np.ndarray, toward: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Direct along-segment seconds for demand/facility pairs on the same segment.

        Returns positions into ``dpos`` and ``fpos`` and the seconds (access legs included).
        """
        fseg = fac.seg[fpos]
        order = np.argsort(fseg, kind="stable")
        fs = fseg[order]
        dseg = dem.seg[dpos]
        lo = np.searchsorted(fs, dseg, side="left")
        hi = np.searchsorted(fs, dseg, side="right")
        cnt = hi - lo
        if cnt.sum() == 0:
            z = np.zeros(0, np.int64)
            return z, z, np.zeros(0)
        di = np.repeat(np.arange(len(dpos)), cnt)
        fi = order[np.repeat(lo, cnt) + (np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt))]
        seg = dseg[di]
        td = dem.t[dpos][di]
        tf = fac.t[fpos][fi]
        if not toward:
            td, tf = tf, td
        L = self._len[seg]
        d = tf - td
        cost = np.where(d >= 0, self._fwd[seg], self._bwd[seg])
        frac = np.divide(np.abs(d), L, out=np.zeros(len(d)), where=L > 0)
        sec = np.full(len(d), np.inf)
        fin = np.isfinite(cost)
        sec[fin] = frac[fin] * cost[fin]
        sec[d == 0] = 0.0
        sec = sec + (dem.access_m[dpos][di] + fac.access_m[fpos][fi]) / settings.access_speed_mps
        return di, fi, sec

    def _report(self, s: _Snapped, role: str, status: np.ndarray | None = None) -> pd.DataFrame:
        """Problems of a point set as a frame, and one DataWarning naming them."""
        status = s.status if status is None else status
        bad = np.flatnonzero(status != "ok")
        names = s.names_at(bad)
        frame = pd.DataFrame(
            {"role": role, "label": s.labels[bad].to_numpy(dtype=object) if len(bad) else [],
             "name": names, "status": status[bad].astype(str)}
        )
        if len(bad):
            role_zh = {"demand": "需求点", "facility": "设施", "points": "点"}.get(role, role)
            parts = []
            for st in pd.unique(frame["status"]):
                sub = frame[frame["status"] == st]
                who = [str(n) if n not in (None, "") else str(lab) for n, lab in zip(sub["name"], sub["label"], strict=True)]
                shown = "、".join(who[:10]) + (f" 等 {len(who)} 个" if len(who) > 10 else "")
                parts.append(f"{_STATUS_ZH.get(st, st)}：{shown}")
            warnings.warn(f"{len(bad)} 个{role_zh}无法计算通行时间，结果为空值 (NaN)。" + "；".join(parts),
                          DataWarning, stacklevel=3)
        return frame

    # -- routing -----------------------------------------------------------------------

    def _multi_source(
        self, fac: _Snapped, fpos: np.ndarray, toward: bool, limit_s: float = np.inf
    ) -> tuple[np.ndarray, np.ndarray]:
        """One multi-source Dijkstra pass: seconds to the nearest facility and its position in ``fpos``."""
        n = self.n_nodes
        if len(fpos) == 0:
            return np.full(n, np.inf), np.full(n, -1, np.int64)
        owner, node, cost = self._sources(fac, fpos, toward)
        aug = _graph.augment(self._graph(transpose=toward), owner, node, cost, len(fpos))
        dist, _, src = dijkstra(aug, directed=True, indices=n + np.arange(len(fpos)), min_only=True,
                                return_predecessors=True, limit=limit_s)
        src = src[:n].astype(np.int64)
        src = np.where(src >= n, src - n, -1)
        return dist[:n], src

    def node_nearest(self, facilities: Any, max_snap_m: float | None = None) -> pd.DataFrame:
        """Travel time from every node to its nearest facility (one multi-source pass).

        Parameters
        ----------
        facilities : geopandas.GeoDataFrame
            Facility points in any CRS.
        max_snap_m : float, optional
            Largest snapping distance (m).

        Returns
        -------
        pandas.DataFrame
            Index ``node``; columns ``facility`` (label, ``<NA>`` when none reachable) and
            ``minutes`` (NaN when unreachable).
        """
        fac = self._snap(facilities, max_snap_m, "facilities")
        self._report(fac, "facility")
        fpos = np.flatnonzero(fac.ok)
        dist, src = self._multi_source(fac, fpos, toward=True)
        lab = np.where(src >= 0, fpos[np.maximum(src, 0)], -1)
        return pd.DataFrame(
            {"facility": _graph.labels_at(fac.labels, lab), "minutes": np.where(np.isfinite(dist), dist / 60.0, np.nan)},
            index=pd.RangeIndex(self.n_nodes, name="node"),
        )

    def nearest(
        self, facilities: Any, demand: Any, max_snap_m: float | None = None, *, partition: Any = None,
        executor: Any = None, within_minutes: float | None = None,
    ) -> pd.DataFrame:
        """Nearest facility and travel minutes for every demand point (one shortest-path pass).

        Travel is from the demand point to the facility (on one-way streets this differs
        from the reverse). Time = demand access leg + partial segment + network +
        partial segment + facility access leg; points on the same segment as a facility
        also get the direct along-segment time.

        Parameters
        ----------
        facilities : geopandas.GeoDataFrame
            Facility points in any CRS.
        demand : geopandas.GeoDataFrame
            Demand points (villages, residents...) in any CRS.
        max_snap_m : float, optional
            Largest snapping distance (m); default ``settings.max_snap_m``.
        partition : {"county"} or geopandas.GeoDataFrame, optional
            Run per unit (see :mod:`mzgeo.network.partition`): ``"county"`` groups the demand
            by county code, a GeoDataFrame of polygons by unit. Each task routes its
            demand on the roads within ``within_minutes × top speed + max_snap_m`` of it;
            an answer longer than that bound, or none, is recomputed on the whole network,
            so the result equals the single-network one. ``None`` (default): one network.
        executor : None, "local", str or distributed.Client, optional
            Where the partition tasks run (default ``settings.executor``): ``None`` in this
            process, ``"local"`` a local Dask cluster, ``"tcp://host:8786"`` a running one.
        within_minutes : float, optional
            Travel time (minutes) each partition answers exactly; default
            ``settings.partition_nearest_minutes``.

        Returns
        -------
        pandas.DataFrame
            Index ``demand.index``; columns ``facility`` (index label of the nearest
            facility, ``<NA>`` if none reachable), ``minutes`` (float, NaN if unreachable)
            and ``status`` (``"ok"``, ``"too_far"``, ``"island"``, ``"empty"`` or
            ``"unreachable"``). Problem points are also named in a
            :class:`~mzgeo.DataWarning`.

        Raises
        ------
        CRSError
            Points without a CRS.
        """
        if partition is not None:
            from . import partition as _partition

            return _partition.nearest(self, facilities, demand, max_snap_m=max_snap_m, partition=partition,
                                      executor=executor, within_minutes=within_minutes)
        fac = self._snap(facilities, max_snap_m, "facilities")
        dem = self._snap(demand, max_snap_m, "demand")
        self._report(fac, "facility")
        best, who = self._nearest_snapped(fac, dem)
        return self._nearest_frame(fac, dem, best, who)

    def _nearest_frame(self, fac: _Snapped, dem: _Snapped, best: np.ndarray, who: np.ndarray) -> pd.DataFrame:
        """Build the frame of :meth:`nearest` from seconds and facility positions per demand point."""
        status = dem.status.copy()
        status[(status == "ok") & ~np.isfinite(best)] = "unreachable"
        self._report(dem, "demand", status)
        return pd.DataFrame(
            {
                "facility": _graph.labels_at(fac.labels, who),
                "minutes": np.where(np.isfinite(best), best / 60.0, np.nan),
                "status": status.astype(str),
            },
            index=dem.labels,
        )

    def _nearest_snapped(self, fac: _Snapped, dem: _Snapped) -> tuple[np.ndarray, np.ndarray]:
        """Seconds to the nearest facility and its position in ``fac`` (inf / -1 when none) per demand point."""
        fpos = np.flatnonzero(fac.ok)
        dpos = np.flatnonzero(dem.ok)
        dist, src = self._multi_source(fac, fpos, toward=True)
        best = np.full(len(dem.status), np.inf)
        who = np.full(len(dem.status), -1, np.int64)
        if len(dpos) and len(fpos):
            p = self._partials(dem, dpos)
            tv = p["to_v"] + dist[p["v"]]
            tu = p["to_u"] + dist[p["u"]]
            via_v = tv <= tu
            t = np.where(via_v, tv, tu) + p["access_s"]
            w = np.where(via_v, src[p["v"]], src[p["u"]])
            di, fi, sec = self._same_segment(dem, dpos, fac, fpos)
            if len(di):
                # best direct pair per demand point
                order = np.lexsort((sec, di))
                first = np.ones(len(order), bool)
                first[1:] = di[order][1:] != di[order][:-1]
                o = order[first]
                better = sec[o] < t[di[o]]
                t[di[o][better]] = sec[o][better]
                w[di[o][better]] = fi[o][better]
            fin = np.isfinite(t)
            best[dpos[fin]] = t[fin]
            who[dpos[fin]] = fpos[w[fin]]
        return best, who

    def od(
        self, facilities: Any, demand: Any, *, cutoff_minutes: float, max_snap_m: float | None = None,
        partition: Any = None, executor: Any = None,
    ) -> ODMatrix:
        """Travel minutes from demand points to facilities, for the pairs within a cutoff.

        The data come in the order of :meth:`nearest` (facilities, then demand); travel is
        from the demand point (origin, a row of the matrix) to the facility (destination, a
        column). One Dijkstra per facility, limited to the cutoff, on the transposed graph;
        memory grows with the pairs found, not with demand × facilities.

        Parameters
        ----------
        facilities : geopandas.GeoDataFrame
            Facility points in any CRS (the destinations).
        demand : geopandas.GeoDataFrame
            Demand points in any CRS (the origins).
        cutoff_minutes : float
            Largest travel time kept (minutes, > 0; ``inf`` keeps every reachable pair).
        max_snap_m : float, optional
            Largest snapping distance (m).
        partition : {"county"} or geopandas.GeoDataFrame, optional
            Run per unit (see :mod:`mzgeo.network.partition`): each task gets its unit's
            demand and every road and facility within ``cutoff_minutes × top speed +
            max_snap_m`` of it, so no path within the cutoff leaves the task's network and
            the pairs equal the single-network ones. ``None`` (default): one network.
        executor : None, "local", str or distributed.Client, optional
            Where the partition tasks run (default ``settings.executor``; see
            :func:`mzgeo.network.partition.get_client`).

        Returns
        -------
        ODMatrix
            Long table, sparse matrix, labels and problems (see :class:`ODMatrix`).

        Examples
        --------
        A 10 km square of the demo county around its first nursing institution:

        >>> import mzgeo
        >>> demo = mzgeo.load_demo()
        >>> p = demo.institutions.geometry.iloc[0]
        >>> near = {k: demo[k].cx[p.x - 5000:p.x + 5000, p.y - 5000:p.y + 5000] for k in ("roads", "institutions", "villages")}
        >>> net = Network.from_lines(near["roads"], mode="drive", cache=False)
        >>> od = net.od(near["institutions"], near["villages"], cutoff_minutes=10)
        >>> od.matrix.shape == (len(near["villages"]), len(near["institutions"]))
        True
        >>> first = od.table.groupby("origin")["minutes"].min()  # the fastest pair of each village
        >>> bool((first - net.nearest(near["institutions"], near["villages"])["minutes"][first.index]).abs().max() < 1e-9)
        True
        """
        cutoff = float(cutoff_minutes)
        if not cutoff > 0:
            msg = f"cutoff_minutes 必须 > 0，收到 {cutoff_minutes!r}"
            raise InputError(msg)
        if partition is not None:
            from . import partition as _partition

            return _partition.od(self, facilities, demand, cutoff_minutes=cutoff, max_snap_m=max_snap_m,
                                 partition=partition, executor=executor)
        dem = self._snap(demand, max_snap_m, "demand")
        fac = self._snap(facilities, max_snap_m, "facilities")
        problems = [self._report(dem, "demand"), self._report(fac, "facility")]
        r, c, s = self._od_snapped(fac, dem, cutoff * 60.0)
        return self._od_result(fac, dem, r, c, s, cutoff, problems)

    def _od_snapped(self, fac: _Snapped, dem: _Snapped, cutoff_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pairs within ``cutoff_s`` seconds: demand positions, facility positions, seconds (sorted by pair)."""
        fpos = np.flatnonzero(fac.ok)
        dpos = np.flatnonzero(dem.ok)
        n = self.n_nodes
        rows, cols, secs = [], [], []
        if len(fpos) and len(dpos):
            owner, node, cost = self._sources(fac, fpos, toward=True)
            aug = _graph.augment(self._graph(transpose=True), owner, node, cost, len(fpos))
            p = self._partials(dem, dpos)
            pv, pu, tov, tou, acc = p["v"], p["u"], p["to_v"], p["to_u"], p["access_s"]
            for k in range(len(fpos)):
                dist = dijkstra(aug, directed=True, indices=n + k, limit=cutoff_s)
                t = np.minimum(tov + dist[pv], tou + dist[pu]) + acc
                hit = np.flatnonzero(t <= cutoff_s)
                rows.append(hit)
                cols.append(np.full(len(hit), k, np.int64))
                secs.append(t[hit])
            di, fi, sec = self._same_segment(dem, dpos, fac, fpos)
            keep = sec <= cutoff_s
            rows.append(di[keep])
            cols.append(fi[keep])
            secs.append(sec[keep])
            r = np.concatenate(rows)
            c = np.concatenate(cols)
            s = np.concatenate(secs)
            order = np.lexsort((s, c, r))
            r, c, s = r[order], c[order], s[order]
            first = np.ones(len(r), bool)
            first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
            return dpos[r[first]], fpos[c[first]], s[first]
        z = np.zeros(0, np.int64)
        return z, z.copy(), np.zeros(0)

    @staticmethod
    def _od_result(
        fac: _Snapped, dem: _Snapped, r: np.ndarray, c: np.ndarray, s: np.ndarray, cutoff: float,
        problems: list[pd.DataFrame],
    ) -> ODMatrix:
        """Build the :class:`ODMatrix` of pairs (demand positions ``r``, facility positions ``c``, seconds ``s``)."""
        minutes = s / 60.0
        order = np.lexsort((c, minutes, r))
        r, c, minutes = r[order], c[order], minutes[order]
        table = pd.DataFrame(
            {
                "origin": dem.labels.take(r) if len(r) else dem.labels[:0],
                "destination": fac.labels.take(c) if len(c) else fac.labels[:0],
                "minutes": minutes,
            }
        ).reset_index(drop=True)
        matrix = sp.csr_array((minutes, (r, c)), shape=(len(dem.labels), len(fac.labels)))
        return ODMatrix(
            table=table, matrix=matrix, origins=dem.labels, destinations=fac.labels,
            problems=pd.concat([p for p in problems if len(p)] or [problems[0]], ignore_index=True),
            cutoff_minutes=cutoff,
        )


# --- helpers -------------------------------------------------------------------------------

def _point_xy(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates x, y (m) of point geometries; NaN for missing or empty points."""
    xs = np.full(len(geoms), np.nan)
    ys = np.full(len(geoms), np.nan)
    have = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if have.any():
        xs[have] = shapely.get_x(geoms[have])
        ys[have] = shapely.get_y(geoms[have])
    return xs, ys


def _obj_array(values: Any, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, None, dtype=object)
    arr = np.asarray(values, dtype=object).reshape(-1)
    if len(arr) != n:
        msg = f"属性长度 {len(arr)} 与道路段数 {n} 不一致"
        raise NetworkError(msg)
    return arr


