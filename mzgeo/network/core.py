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

import json
import logging
import math
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from scipy import ndimage
from scipy.sparse.csgraph import connected_components, dijkstra

from .. import settings
from ..errors import CRSError, DataWarning, InputError, NetworkError
from . import _graph
from . import _raster as _isochrone

__all__ = ["BUILD_FIXES", "SERVICE_AREA_CELL_M", "SNAP_STATUS", "Network", "ODMatrix"]

log = logging.getLogger("mzgeo")

#: Snap status values: snapped; farther than ``max_snap_m`` from every road; nearest road is
#: cut off from the main network; no usable geometry.
SNAP_STATUS = ("ok", "too_far", "island", "empty")

_MODES = ("walk", "drive")
_HOWS = ("overlap", "dissolve", "split")
_POLYGONS = ("generalized", "detailed")
_DIRECTIONS = ("to_facility", "from_facility")

_STATUS_ZH = {
    "too_far": "距最近道路超过捕捉距离 (too far from any road)",
    "island": "最近的道路与主路网不连通（孤岛） (only an island road nearby)",
    "empty": "没有坐标/几何为空 (empty geometry)",
    "unreachable": "在路网上无法到达任何设施 (no facility reachable)",
}

#: ``oneway`` values meaning "only in the drawing direction" (planners' layers).
ONEWAY_FORWARD = frozenset(
    {"1", "1.0", "yes", "y", "true", "t", "是", "单行", "单向", "正向", "ft", "forward"}
)
#: ``oneway`` values meaning "only against the drawing direction".
ONEWAY_REVERSE = frozenset({"-1", "-1.0", "reverse", "tf", "反向", "逆向", "backward"})
_TRUTHY = frozenset({"1", "1.0", "yes", "y", "true", "t", "是", "桥", "桥梁"})

#: OSM ``highway`` values open to cars in ``drive`` mode.
OSM_DRIVE = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
        "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
        "residential", "living_street", "service", "road",
    }
)
#: OSM ``highway`` values that are never part of a network (not built, not a way to travel).
OSM_NEVER = frozenset(
    {"proposed", "construction", "abandoned", "platform", "raceway", "bus_guideway", "razed", "disused"}
)

#: Kinds of repairs listed in :attr:`Network.build_report` (Chinese description).
BUILD_FIXES = {
    "self_crossing": "道路自身交叉处加节点 (a line crossing itself noded at the crossing)",
    "dangle_snapped": "悬挂端点接到附近道路 (a dangling end joined to the road it stops short of)",
    "overlap_noded": "共线重叠道路加节点 (collinear overlapping roads noded)",
    "cut_at_missing_node": "OSM 路段引用了文件中没有的节点，在此截断 (OSM way cut at a node missing from the file)",
}

_EPS_M = 1e-6  # positions closer than this to a segment end are put on the end node (m)

#: Default cell size (m) of generalised service-area polygons per network mode: half the
#: default 50 m ``buffer_m`` for walking areas of a few square kilometres, 100 m for driving
#: areas of hundreds. Other modes (``"custom"``) use 50 m.
SERVICE_AREA_CELL_M = {"walk": 25.0, "drive": 100.0}
_CUSTOM_CELL_M = 50.0
#: Largest grid (cells) of one generalised service area; a larger one is coarsened.
_MAX_GRID_CELLS = 40_000_000


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
    names: np.ndarray | None
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
            self._merge_duplicates()

    def _merge_duplicates(self) -> None:
        """Merge segments drawn on exactly the same line (duplicated roads, parallel graph edges).

        A point on such a road is on all copies, so the copies become one segment with the
        fastest time of each direction.
        """
        a = np.minimum(self._u, self._v)
        b = np.maximum(self._u, self._v)
        lenr = np.round(self._len, 6)
        order = np.lexsort((lenr, b, a))
        same = (a[order][1:] == a[order][:-1]) & (b[order][1:] == b[order][:-1]) & (lenr[order][1:] == lenr[order][:-1])
        if not same.any():
            return
        in_grp = np.zeros(len(order), bool)
        in_grp[1:] |= same
        in_grp[:-1] |= same
        cand = np.sort(order[in_grp])
        geoms = _graph.lines_from_offsets(*self._subset_coords(cand))
        g_fwd = shapely.to_wkb(geoms, hex=True)
        g_rev = shapely.to_wkb(shapely.reverse(geoms), hex=True)
        # drawn from the smaller end node; a closed loop from its smaller drawing (by WKB)
        flip = (self._u[cand] > self._v[cand]) | ((self._u[cand] == self._v[cand]) & (g_rev < g_fwd))
        df = pd.DataFrame({
            "a": a[cand], "b": b[cand], "g": np.where(flip, g_rev, g_fwd), "row": cand,
            "f": np.where(flip, self._bwd[cand], self._fwd[cand]),
            "r": np.where(flip, self._fwd[cand], self._bwd[cand]),
        })
        grp = df.groupby(["a", "b", "g"], sort=False)
        df["keep"] = grp["row"].transform("min")
        df["fmin"] = grp["f"].transform("min")
        df["rmin"] = grp["r"].transform("min")
        first = df[df["row"] == df["keep"]]
        rows = first["row"].to_numpy()
        flip_k = flip[np.searchsorted(cand, rows)]
        self._fwd = self._fwd.copy()
        self._bwd = self._bwd.copy()
        self._fwd[rows] = np.where(flip_k, first["rmin"], first["fmin"])
        self._bwd[rows] = np.where(flip_k, first["fmin"], first["rmin"])
        drop = df.loc[df["row"] != df["keep"], "row"].to_numpy()
        if len(drop) == 0:
            return
        keep = np.ones(len(self._u), bool)
        keep[drop] = False
        sel = np.flatnonzero(keep)
        self._coords, self._offsets = self._subset_coords(sel)
        self._u, self._v, self._fwd, self._bwd = self._u[sel], self._v[sel], self._fwd[sel], self._bwd[sel]
        self._class, self._name = self._class[sel], self._name[sel]
        self._cum = _graph.cumulative_lengths(self._coords, self._offsets)
        self._len = self._cum[self._offsets[1:] - 1]
        log.info("合并了 %d 段重复道路 (merged duplicated segments)", len(drop))

    def _subset_coords(self, sel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        counts = np.diff(self._offsets)
        keep_v = np.zeros(len(counts), bool)
        keep_v[sel] = True
        coords = self._coords[np.repeat(keep_v, counts)]
        # sel is sorted, so the kept vertices stay in segment order
        return coords, np.concatenate([[0], np.cumsum(counts[sel])])

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

    @classmethod
    def from_arrays(
        cls,
        node_x: Sequence[float] | np.ndarray,
        node_y: Sequence[float] | np.ndarray,
        u: Sequence[int] | np.ndarray,
        v: Sequence[int] | np.ndarray,
        seconds: Sequence[float] | np.ndarray,
        *,
        crs: Any,
        seconds_back: Sequence[float] | np.ndarray | None = None,
        geometry: Sequence[Any] | np.ndarray | None = None,
        road_class: Sequence[Any] | None = None,
        name: Sequence[Any] | None = None,
        mode: str = "custom",
    ) -> Network:
        """Build a network from plain arrays (synthetic networks, other tools' exports).

        Parameters
        ----------
        node_x, node_y : array-like
            Node coordinates (m) in ``crs``.
        u, v : array-like of int
            Segment end nodes (positions in ``node_x``).
        seconds : array-like of float
            Travel time (s) from ``u`` to ``v``; ``inf`` where that direction is closed.
        crs : any
            Metric CRS of the coordinates.
        seconds_back : array-like of float, optional
            Travel time (s) from ``v`` to ``u``; default ``inf`` (one-way segments).
        geometry : array-like of shapely.LineString, optional
            Segment lines drawn from ``u`` to ``v``; default straight lines.
        road_class, name : array-like, optional
            Attributes kept on the edges.
        mode : str
            Label recorded in :attr:`mode`.

        Returns
        -------
        Network
        """
        xy = np.column_stack([np.asarray(node_x, float), np.asarray(node_y, float)])
        u = np.asarray(u, np.int64)
        v = np.asarray(v, np.int64)
        if len(u) and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= len(xy)):
            msg = "u/v 中有不存在的节点编号 (node id out of range)"
            raise NetworkError(msg)
        fwd = np.asarray(seconds, float)
        bwd = np.full(len(u), np.inf) if seconds_back is None else np.asarray(seconds_back, float)
        if geometry is None:
            coords = np.stack([xy[u], xy[v]], axis=1).reshape(-1, 2)
            offsets = np.arange(len(u) + 1, dtype=np.int64) * 2
        else:
            coords, idx = shapely.get_coordinates(np.asarray(geometry, dtype=object), return_index=True)
            offsets = np.concatenate([[0], np.cumsum(np.bincount(idx, minlength=len(u)))])
        return cls(
            crs=crs, mode=mode, node_xy=xy, seg_u=u, seg_v=v, seg_fwd_s=fwd, seg_bwd_s=bwd,
            coords=coords, offsets=offsets, road_class=road_class, name=name,
            params={"mode": mode, "source": "arrays"},
        )

    @classmethod
    def from_lines(
        cls,
        gdf: gpd.GeoDataFrame,
        mode: str = "walk",
        class_col: str | None = "road_class",
        speed_col: str | None = None,
        oneway_col: str | None = None,
        *,
        bridge_col: str | None = None,
        name_col: str | None = "name",
        node_crossings: bool = True,
        tolerance_m: float = 0.01,
        snap_tolerance_m: float | None = None,
        speeds_kph: dict[str, float] | None = None,
        walk_speed_mps: float | None = None,
        cache: bool | None = None,
    ) -> Network:
        """Build a network from a road layer (Shapefile/GeoPackage lines).

        Lines are split into segments at every shared vertex and, with
        ``node_crossings=True``, at every crossing (a node is added where two lines cross
        without a shared vertex, also where a single line crosses itself). Bridges and
        tunnels cross other roads without meeting them: set ``node_crossings=False`` to
        keep every crossing without a shared vertex apart, or give ``bridge_col`` so that
        only the flagged lines stay apart.

        Drawing errors are repaired and listed in :attr:`Network.build_report`: a road end
        that touches nothing and stops short of (or overshoots) another road by at most
        ``snap_tolerance_m`` is moved onto that road, which is split there (two such ends
        facing each other are joined; bridges receive ends only at their vertices);
        collinear roads drawn over each other are noded where each one's ends lie on the
        other (the shared stretch becomes one road); self-crossings are noded.

        Parameters
        ----------
        gdf : geopandas.GeoDataFrame
            Lines (LineString/MultiLineString) with a CRS; geographic data are projected
            to the metric CRS (:func:`mzgeo.crs.metric_crs`).
        mode : {"walk", "drive"}
            ``walk``: every road both ways at ``walk_speed_mps``, classes in
            ``settings.no_walk_classes`` dropped. ``drive``: speed per road class
            (``settings.drive_speed_kph`` updated by ``speeds_kph``), or from ``speed_col``
            where it holds a positive number (km/h); one-way respected.
        class_col : str, optional
            Column of road classes (Chinese classes such as 国道, 县道, 村道, 主干路, 支路,
            or OSM ``highway`` values). Missing column: every road gets
            ``settings.default_drive_speed_kph``.
        speed_col : str, optional
            Column of speeds (km/h); default ``"speed_kph"`` or ``"maxspeed"`` when present.
        oneway_col : str, optional
            Column of one-way flags; default ``"oneway"`` when present. ``1/yes/true/T/是/
            单行/FT`` = only in the drawing direction, ``-1/reverse/TF/反向`` = only against it,
            anything else = both ways. Ignored in ``walk`` mode.
        bridge_col : str, optional
            Column flagging bridges/tunnels (``1/yes/true/是``) that are not noded at
            crossings; default ``"bridge"`` when present.
        name_col : str, optional
            Column of road names kept on the edges.
        node_crossings : bool
            Split lines where they cross without a shared vertex.
        tolerance_m : float
            Vertices closer than about this (m) are the same node.
        snap_tolerance_m : float, optional
            Largest gap (m) between a dangling road end and the road it is joined to;
            default ``settings.snap_tolerance_m`` (1 m); 0 disables. Recorded in
            ``params["snap_tolerance_m"]``.
        speeds_kph : dict, optional
            Speed (km/h) per road class, overriding ``settings.drive_speed_kph``.
        walk_speed_mps : float, optional
            Walking speed (m/s); default ``settings.walk_speed_mps``.
        cache : bool, optional
            Read/write the disk cache (default ``settings.use_cache``).

        Returns
        -------
        Network
            With :attr:`~Network.build_report` (repairs, one row per place) and
            ``params["build_fixes"]`` (their counts per kind).

        Raises
        ------
        CRSError
            ``gdf`` has no CRS.
        InputError
            A named column is missing or geometries are not lines.
        NetworkError
            Unknown mode or no usable road.
        """
        mode = _check_mode(mode)
        if not isinstance(gdf, gpd.GeoDataFrame):
            msg = f"from_lines 需要 GeoDataFrame，收到 {type(gdf).__name__} (expected a GeoDataFrame)"
            raise InputError(msg)
        if gdf.crs is None:
            msg = "道路图层没有坐标系 (missing CRS)：请用 mzgeo.read_layer(..., crs=) 或 gdf.set_crs() 声明"
            raise CRSError(msg)
        cols = set(gdf.columns)
        for label, col in (("class_col", class_col), ("speed_col", speed_col), ("oneway_col", oneway_col),
                           ("bridge_col", bridge_col)):
            if col is not None and col not in cols and not (label == "class_col" and col == "road_class"):
                msg = f"道路图层没有列「{col}」({label})；现有列：{', '.join(map(str, gdf.columns))}"
                raise InputError(msg)
        class_col = class_col if class_col in cols else None
        if speed_col is None:
            speed_col = next((c for c in ("speed_kph", "maxspeed") if c in cols), None)
        if oneway_col is None and "oneway" in cols:
            oneway_col = "oneway"
        if bridge_col is None and "bridge" in cols and node_crossings:
            bridge_col = "bridge"
        name_col = name_col if name_col in cols else None
        walk = _walk_speed(walk_speed_mps)
        table = _speed_table(speeds_kph)
        snap_m = float(settings.snap_tolerance_m if snap_tolerance_m is None else snap_tolerance_m)
        if not (snap_m >= 0 and math.isfinite(snap_m)):
            msg = f"snap_tolerance_m 必须是 ≥ 0 的数 (m)，收到 {snap_tolerance_m!r}"
            raise InputError(msg)
        params: dict[str, Any] = {
            "mode": mode,
            "source": "lines",
            "class_col": class_col,
            "speed_col": speed_col if mode == "drive" else None,
            "oneway_col": oneway_col if mode == "drive" else None,
            "bridge_col": bridge_col,
            "node_crossings": bool(node_crossings),
            "tolerance_m": float(tolerance_m),
            "snap_tolerance_m": snap_m,
        }
        if mode == "walk":
            params.update(walk_speed_mps=walk, no_walk_classes=list(settings.no_walk_classes))
        else:
            params.update(speeds_kph=table, default_drive_speed_kph=settings.default_drive_speed_kph)
        used = [c for c in (class_col, speed_col, oneway_col, bridge_col, name_col) if c]
        key = None
        if _graph.use_cache(cache):
            wkb = shapely.to_wkb(gdf.geometry.values, hex=False)
            h = _graph.params_digest(
                params, gdf.crs.to_wkt(), settings.metric_crs,
                pd.util.hash_pandas_object(gdf[used].astype(str), index=False).to_numpy().tobytes(),
                b"".join(w if w is not None else b"-" for w in wkb),
            )
            key = f"lines-{h[:32]}"
            net = cls._from_cache(key)
            if net is not None:
                return net
        t0 = time.perf_counter()
        net = cls._build_from_lines(gdf, mode, class_col, speed_col, oneway_col, bridge_col, name_col,
                                    node_crossings, tolerance_m, snap_m, table, walk, params)
        log.info("from_lines: %s, %.2f s", net, time.perf_counter() - t0)
        if key is not None:
            net._to_cache(key)
        return net

    @classmethod
    def _build_from_lines(
        cls, gdf, mode, class_col, speed_col, oneway_col, bridge_col, name_col, node_crossings,
        tolerance_m, snap_m, table, walk, params,
    ) -> Network:
        gdf = _to_metric_gdf(gdf)
        geoms = gdf.geometry.values
        valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        if (~valid).any():
            warnings.warn(
                f"道路图层有 {int((~valid).sum())} 条记录没有几何，已忽略 (empty road geometries skipped)",
                DataWarning, stacklevel=3,
            )
        gtype = shapely.get_type_id(geoms)
        not_line = valid & ~np.isin(gtype, (1, 2, 5))
        if not_line.any():
            bad = sorted(set(gdf.geometry.geom_type[not_line]))
            msg = f"道路图层应为线要素，发现 {', '.join(bad)} (roads must be lines)"
            raise InputError(msg)
        classes = _str_values(gdf[class_col]) if class_col else np.full(len(gdf), None, dtype=object)
        keep = valid.copy()
        if mode == "walk" and class_col:
            keep &= ~np.isin(classes.astype(str), list(settings.no_walk_classes))
        rows = np.flatnonzero(keep)
        parts, part_row = shapely.get_parts(geoms[rows], return_index=True)
        part_row = rows[part_row]
        nonempty = ~shapely.is_empty(parts)
        parts, part_row = parts[nonempty], part_row[nonempty]
        if bridge_col:
            is_bridge = np.isin(_norm(gdf[bridge_col]), list(_TRUTHY))[part_row]
        else:
            is_bridge = np.zeros(len(parts), bool)
        parts, fixes = _snap_dangles(parts, snap_m, tolerance_m, ~is_bridge)
        if node_crossings and (~is_bridge).any():
            sel = np.flatnonzero(~is_bridge)
            noded, src, node_fixes = _node_lines(parts[sel])
            parts = np.concatenate([noded, parts[is_bridge]])
            part_row = np.concatenate([part_row[sel][src], part_row[is_bridge]])
            fixes += [(kind, xy, np.zeros(len(xy))) for kind, xy in node_fixes]
        report = _build_report_frame(
            np.concatenate([np.full(len(xy), kind, dtype=object) for kind, xy, _ in fixes] or [np.zeros(0, object)]),
            np.concatenate([xy for _, xy, _ in fixes] or [np.zeros((0, 2))]),
            np.concatenate([m for _, _, m in fixes] or [np.zeros(0)]),
        )
        params["build_fixes"] = _fix_counts(report)
        if len(report):
            log.info("道路图层修复 (road layer repairs): %s", params["build_fixes"])
        coords, line_idx = shapely.get_coordinates(parts, return_index=True)
        keys = _graph.quantise(coords, tolerance_m)
        pc, po, psrc, pkeys = _graph.split_at_nodes(coords, line_idx, keys)
        seg_row = part_row[psrc]
        end_keys = np.concatenate([pkeys[po[:-1]], pkeys[po[1:] - 1]])
        ukeys, first, inv = np.unique(end_keys, return_index=True, return_inverse=True)
        n_seg = len(po) - 1
        end_xy = np.concatenate([pc[po[:-1]], pc[po[1:] - 1]])
        node_xy = end_xy[first]
        seg_u, seg_v = inv[:n_seg], inv[n_seg:]
        lengths = _graph.cumulative_lengths(pc, po)[po[1:] - 1]
        seg_class = classes[seg_row]
        if mode == "walk":
            fwd = lengths / walk
            bwd = fwd.copy()
        else:
            speed = None
            if speed_col:
                speed = pd.to_numeric(gdf[speed_col], errors="coerce").to_numpy(float)[seg_row]
            kph = _drive_kph(seg_class, speed, table, params)
            fwd = lengths / (kph / 3.6)
            bwd = fwd.copy()
            if oneway_col:
                ow = _norm(gdf[oneway_col])[seg_row]
                bwd[np.isin(ow, list(ONEWAY_FORWARD))] = np.inf
                fwd[np.isin(ow, list(ONEWAY_REVERSE))] = np.inf
        names = _str_values(gdf[name_col])[seg_row] if name_col else None
        return cls(
            crs=gdf.crs, mode=mode, node_xy=node_xy, seg_u=seg_u, seg_v=seg_v, seg_fwd_s=fwd,
            seg_bwd_s=bwd, coords=pc, offsets=po, road_class=seg_class, name=names, params=params,
            build_report=report,
        )

    @classmethod
    def from_networkx(
        cls,
        G: Any,
        weight: str | None = "travel_time",
        *,
        mode: str | None = None,
        crs: Any = None,
        class_attr: str = "highway",
        name_attr: str = "name",
        speeds_kph: dict[str, float] | None = None,
        walk_speed_mps: float | None = None,
    ) -> Network:
        """Build a network from a networkx graph (e.g. one made by OSMnx).

        Nodes need ``x`` and ``y`` attributes; edges may carry a ``geometry`` (LineString
        from ``u`` to ``v``; default a straight line). A directed edge and its reverse
        with the same geometry become one two-way segment; for a self-loop (``u == v``,
        e.g. an OSMnx ring road) the reverse is the loop with its geometry reversed, so a
        two-way ring stays two-way.

        Parameters
        ----------
        G : networkx.Graph, DiGraph, MultiGraph or MultiDiGraph
            The graph; undirected edges are two-way.
        weight : str, optional
            Edge attribute holding the travel time in **seconds** (OSMnx:
            ``"travel_time"``). Used when ``mode`` is ``None``.
        mode : {"walk", "drive"}, optional
            Compute times from the edge length (``length`` attribute or geometry, m)
            instead: walking speed, or the speed table by ``class_attr`` (OSM ``maxspeed``
            used when present). ``walk`` makes every edge two-way.
        crs : any, optional
            CRS of the coordinates; default ``G.graph["crs"]``. Geographic coordinates are
            projected to the metric CRS.
        class_attr, name_attr : str
            Edge attributes of the road class and name.
        speeds_kph : dict, optional
            Speeds (km/h) per class overriding ``settings.drive_speed_kph``.
        walk_speed_mps : float, optional
            Walking speed (m/s).

        Returns
        -------
        Network

        Raises
        ------
        CRSError
            No CRS given nor stored in the graph.
        NetworkError
            Missing coordinates or weights.
        """
        crs = crs if crs is not None else G.graph.get("crs")
        if crs is None:
            msg = "networkx 图没有坐标系 (missing CRS)：请传入 crs= 或设置 G.graph['crs']"
            raise CRSError(msg)
        if mode is not None:
            mode = _check_mode(mode)
        elif weight is None:
            msg = "from_networkx 需要 weight（秒）或 mode='walk'/'drive' (need weight or mode)"
            raise NetworkError(msg)
        node_ids = list(G.nodes)
        try:
            x = np.array([G.nodes[n]["x"] for n in node_ids], float)
            y = np.array([G.nodes[n]["y"] for n in node_ids], float)
        except KeyError as exc:
            msg = "networkx 图的节点缺少 x/y 坐标属性 (nodes need x and y)"
            raise NetworkError(msg) from exc
        pos = {n: i for i, n in enumerate(node_ids)}
        data = list(G.edges(data=True))
        u = np.array([pos[a] for a, _, _ in data], np.int64)
        v = np.array([pos[b] for _, b, _ in data], np.int64)
        geoms = np.array([d.get("geometry") for _, _, d in data] or [], dtype=object).reshape(-1)
        attrs = {
            "class": np.array([_first(d.get(class_attr)) for _, _, d in data], dtype=object),
            "name": np.array([_first(d.get(name_attr)) for _, _, d in data], dtype=object),
            "maxspeed": np.array([_first(d.get("maxspeed")) for _, _, d in data], dtype=object),
        }
        if mode is None:
            try:
                secs = np.array([d[weight] for _, _, d in data], float)
            except KeyError as exc:
                msg = f"networkx 图有边缺少权重属性「{weight}」(edge weight missing)"
                raise NetworkError(msg) from exc
        else:
            secs = None
        params = {"mode": mode or "custom", "source": "networkx", "weight": weight if mode is None else None}
        return cls._from_directed_edges(
            x, y, u, v, geoms, secs, attrs, crs=crs, directed=G.is_directed(), mode=mode,
            speeds_kph=speeds_kph, walk_speed_mps=walk_speed_mps, params=params,
            lengths=np.array([d.get("length", np.nan) for _, _, d in data], float),
        )

    @classmethod
    def _from_directed_edges(
        cls, x, y, u, v, geoms, secs, attrs, *, crs, directed, mode, speeds_kph, walk_speed_mps, params,
        lengths=None, walk_classes=True,
    ) -> Network:
        """Shared core of the networkx and OSM constructors: edges → segments.

        ``walk_classes=False`` keeps every edge in ``walk`` mode (the OSM readers have
        already applied the walking rules, sidewalks and ``foot`` tags included).
        """
        src_crs = pyproj.CRS.from_user_input(crs)
        missing = np.array([g is None for g in geoms], bool) if len(geoms) else np.zeros(0, bool)
        geoms = geoms.copy()
        if missing.any():
            geoms[missing] = shapely.linestrings(
                np.stack([np.column_stack([x[u[missing]], y[u[missing]]]),
                          np.column_stack([x[v[missing]], y[v[missing]]])], axis=1)
            )
        if not _is_metric(src_crs):
            target = _metric_for_lonlat(src_crs, x, y)
            tr = pyproj.Transformer.from_crs(src_crs, target, always_xy=True)
            x, y = tr.transform(x, y)
            x, y = np.asarray(x), np.asarray(y)
            geoms = shapely.transform(geoms, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
        else:
            target = src_crs
        n_e = len(u)
        if directed:
            fwd_of, bwd_of = _pair_reverse_edges(u, v, geoms)
        else:
            fwd_of = np.arange(n_e)
            bwd_of = np.arange(n_e)
        # segment s uses the geometry of edge fwd_of[s] (or bwd_of[s] reversed if no forward)
        base = np.where(fwd_of >= 0, fwd_of, bwd_of)
        seg_u = np.where(fwd_of >= 0, u[base], v[base])
        seg_v = np.where(fwd_of >= 0, v[base], u[base])
        seg_geom = np.where(fwd_of >= 0, geoms[base], shapely.reverse(geoms[base]))
        coords, idx = shapely.get_coordinates(seg_geom, return_index=True)
        offsets = np.concatenate([[0], np.cumsum(np.bincount(idx, minlength=len(base)))])
        length = _graph.cumulative_lengths(coords, offsets)[offsets[1:] - 1]
        cls_ = attrs["class"][base]
        if mode is None:
            fwd = np.where(fwd_of >= 0, secs[np.maximum(fwd_of, 0)], np.inf)
            bwd = np.where(bwd_of >= 0, secs[np.maximum(bwd_of, 0)], np.inf)
        elif mode == "walk":
            walk = _walk_speed(walk_speed_mps)
            params.update(walk_speed_mps=walk, no_walk_classes=list(settings.no_walk_classes))
            keep = ~np.isin(cls_.astype(str), list(settings.no_walk_classes)) if walk_classes else True
            fwd = np.where(keep, length / walk, np.inf)
            bwd = fwd.copy()
        else:
            table = _speed_table(speeds_kph)
            params.update(speeds_kph=table, default_drive_speed_kph=settings.default_drive_speed_kph)
            kph = _drive_kph(cls_, _parse_maxspeed(attrs["maxspeed"][base]), table, params)
            t = length / (kph / 3.6)
            fwd = np.where(fwd_of >= 0, t, np.inf)
            bwd = np.where(bwd_of >= 0, t, np.inf)
        keep = np.isfinite(fwd) | np.isfinite(bwd)
        if not keep.all():
            sel = np.flatnonzero(keep)
            counts = np.diff(offsets)
            coords = coords[np.repeat(keep, counts)]
            offsets = np.concatenate([[0], np.cumsum(counts[sel])])
            seg_u, seg_v, fwd, bwd, cls_, base = seg_u[sel], seg_v[sel], fwd[sel], bwd[sel], cls_[sel], base[sel]
        # drop nodes no segment uses
        used = np.zeros(len(x), bool)
        used[seg_u] = True
        used[seg_v] = True
        new_id = np.cumsum(used) - 1
        return cls(
            crs=target, mode=mode or "custom", node_xy=np.column_stack([x, y])[used],
            seg_u=new_id[seg_u], seg_v=new_id[seg_v], seg_fwd_s=fwd, seg_bwd_s=bwd, coords=coords,
            offsets=offsets, road_class=cls_, name=attrs["name"][base], params=params,
        )

    @classmethod
    def from_osm(
        cls,
        path: str | Path,
        mode: str = "walk",
        *,
        polygon: Any = None,
        speeds_kph: dict[str, float] | None = None,
        walk_speed_mps: float | None = None,
        cache: bool | None = None,
    ) -> Network:
        """Build a network from an OpenStreetMap file.

        ``.osm``, ``.osm.bz2`` (XML) and ``.osm.pbf`` (the regional extracts planners
        download) are all read with pyosmium (libosmium) and go through the same rules, so
        the same data as XML or PBF gives the same network. Only ways tagged ``highway``
        are used. Speeds come from mzgeo's own table (``settings.drive_speed_kph`` updated
        by ``speeds_kph``, OSM ``maxspeed`` used where it is a number), never from values
        imputed from other roads.

        Rules (see :func:`_osm_keep` and :data:`OSM_ONEWAY`):

        - A way that references a node missing from the file (a clipped extract) is cut
          there; the pieces on either side stay, each cut is listed in
          :attr:`build_report` (``cut_at_missing_node``, at the vertex next to the gap).
        - A closed way (first node = last node: a ring road, a service loop) is one loop
          segment, two-way unless a one-way rule applies (roundabouts stay one-way).
        - ``drive``: ``highway`` in :data:`OSM_DRIVE`; access by the most specific of
          ``motorcar``, ``motor_vehicle``, ``vehicle``, ``access`` (``no``/``private``
          closes); one-way by :data:`OSM_ONEWAY` (``yes/true/1`` forward, ``-1/reverse``
          backward, ``no/false/0`` two-way, ``reversible`` not routable) and
          :data:`OSM_IMPLIED_ONEWAY` (``junction=roundabout|circular``, ``highway=
          motorway|motorway_link`` one-way unless ``oneway=no``).
        - ``walk``: every way both directions, except: ``foot=yes|designated|permissive``
          always open; ``foot=no|private|use_sidepath`` or ``access=no|private`` closed;
          a sidewalk tag (``sidewalk``/``sidewalk:both|left|right`` = ``yes|both|left|
          right|separate``) opens a road whose class (``settings.no_walk_classes``:
          motorways) or ``motorroad=yes`` would close it. ``trunk`` and ``trunk_link`` are
          alike (open).

        Parameters
        ----------
        path : str or pathlib.Path
            The OSM file.
        mode : {"walk", "drive"}
            Travel mode (rules above).
        polygon : geopandas.GeoDataFrame, geopandas.GeoSeries or shapely geometry, optional
            Keep only the roads inside it (e.g. the city boundary); the clipping happens
            before the graph is built. A bare shapely geometry is read as lon/lat (EPSG:4326).
        speeds_kph : dict, optional
            Speeds (km/h) per ``highway`` value.
        walk_speed_mps : float, optional
            Walking speed (m/s).
        cache : bool, optional
            Read/write the disk cache (keyed by the file's SHA-256 and the parameters).

        Returns
        -------
        Network
            With ``params["build_fixes"]`` (counts) and :attr:`build_report`.

        Raises
        ------
        InputError
            Missing file, unknown extension, or a file libosmium cannot parse.
        NetworkError
            No usable road (for this mode, inside ``polygon``).
        """
        mode = _check_mode(mode)
        path = Path(path)
        if not path.exists():
            msg = f"找不到 OSM 文件 {path} (file not found)"
            raise InputError(msg)
        name = path.name.lower()
        if name.endswith((".osm.pbf", ".pbf")):
            kind = "pbf"
        elif name.endswith((".osm", ".osm.bz2", ".xml", ".xml.bz2")):
            kind = "xml"
        else:
            msg = f"不支持的 OSM 文件类型 {path.name}：请用 .osm、.osm.bz2 或 .osm.pbf"
            raise InputError(msg)
        poly = _polygon_lonlat(polygon)
        walk = _walk_speed(walk_speed_mps)
        table = _speed_table(speeds_kph)
        params: dict[str, Any] = {"mode": mode, "source": f"osm:{path.name}", "reader": kind,
                                  "polygon": poly.wkt if poly is not None else None}
        if mode == "walk":
            params.update(walk_speed_mps=walk)
        else:
            params.update(speeds_kph=table, default_drive_speed_kph=settings.default_drive_speed_kph)
        key = None
        if _graph.use_cache(cache):
            key = f"osm-{_graph.params_digest(params, settings.metric_crs, settings.no_walk_classes, _graph.file_digest(path))[:32]}"
            net = cls._from_cache(key)
            if net is not None:
                return net
        t0 = time.perf_counter()
        reader = _read_pbf if kind == "pbf" else _read_osm_xml
        x, y, u, v, geoms, attrs, directed, cuts = reader(path, mode, poly)
        if len(u) == 0:
            msg = f"{path.name} 中没有可用的道路（highway）(no usable roads){'，请检查裁剪范围' if poly is not None else ''}"
            raise NetworkError(msg)
        net = cls._from_directed_edges(
            x, y, u, v, geoms, None, attrs, crs=4326, directed=directed, mode=mode,
            speeds_kph=speeds_kph, walk_speed_mps=walk_speed_mps, params=params, walk_classes=False,
        )
        if len(cuts):
            tr = pyproj.Transformer.from_crs(4326, net.crs, always_xy=True)
            cx, cy = tr.transform(cuts[:, 0], cuts[:, 1])
            net.build_report = _build_report_frame(np.full(len(cuts), "cut_at_missing_node"), np.column_stack([cx, cy]))
            log.info("%s: %d 处路段引用了文件中没有的节点，已截断 (ways cut at missing nodes)", path.name, len(cuts))
        net.params["build_fixes"] = _fix_counts(net.build_report)
        log.info("from_osm %s: %s, %.2f s", path.name, net, time.perf_counter() - t0)
        if key is not None:
            net._to_cache(key)
        return net

    @classmethod
    def from_osmnx_polygon(
        cls,
        polygon: Any,
        mode: str = "walk",
        *,
        speeds_kph: dict[str, float] | None = None,
        walk_speed_mps: float | None = None,
    ) -> Network:
        """Download the roads inside a polygon with OSMnx (needs internet) and build a network.

        Planners on an offline intranet should download a regional ``.osm.pbf`` extract
        elsewhere and use :meth:`from_osm` instead.

        Parameters
        ----------
        polygon : geopandas.GeoDataFrame, geopandas.GeoSeries or shapely geometry
            Area to download (a bare shapely geometry is read as lon/lat).
        mode : {"walk", "drive"}
            OSMnx ``network_type`` and mzgeo speeds.
        speeds_kph : dict, optional
            Speeds (km/h) per ``highway`` value.
        walk_speed_mps : float, optional
            Walking speed (m/s).

        Returns
        -------
        Network
        """
        import osmnx as ox

        mode = _check_mode(mode)
        poly = _polygon_lonlat(polygon)
        G = ox.graph_from_polygon(poly, network_type=mode, simplify=True, retain_all=True)
        net = cls.from_networkx(G, weight=None, mode=mode, speeds_kph=speeds_kph, walk_speed_mps=walk_speed_mps)
        net.params["source"] = "osmnx:graph_from_polygon"
        return net

    # -- cache ----------------------------------------------------------------------------

    def _to_cache(self, key: str) -> None:
        meta = {"crs": self.crs.to_wkt(), "mode": self.mode, "params": self.params}
        _graph.save_arrays(key, {
            "node_xy": self._node_xy, "u": self._u, "v": self._v, "fwd": self._fwd, "bwd": self._bwd,
            "coords": self._coords, "offsets": self._offsets,
            "road_class": _to_str_array(self._class), "name": _to_str_array(self._name),
            "report_kind": self.build_report["kind"].to_numpy(dtype=str),
            "report_xym": self.build_report[["x", "y", "moved_m"]].to_numpy(dtype=float).reshape(-1, 3),
            "meta": np.array(json.dumps(meta, default=str, ensure_ascii=False)),
        })

    @classmethod
    def _from_cache(cls, key: str) -> Network | None:
        t0 = time.perf_counter()
        z = _graph.load_arrays(key)
        if z is None:
            return None
        meta = json.loads(str(z["meta"]))
        net = cls(
            crs=meta["crs"], mode=meta["mode"], node_xy=z["node_xy"], seg_u=z["u"], seg_v=z["v"],
            seg_fwd_s=z["fwd"], seg_bwd_s=z["bwd"], coords=z["coords"], offsets=z["offsets"],
            road_class=_from_str_array(z["road_class"]), name=_from_str_array(z["name"]),
            params=meta["params"], merge_duplicates=False,
            build_report=_build_report_frame(z["report_kind"], z["report_xym"][:, :2], z["report_xym"][:, 2]),
        )
        net.params["cache"] = str(_graph.cache_path(key))
        log.info("路网从缓存读取 (network loaded from cache) %s in %.3f s", key, time.perf_counter() - t0)
        return net

    # -- snapping ------------------------------------------------------------------------

    def _prepare_points(self, points: Any, role: str) -> tuple[np.ndarray, pd.Index, np.ndarray | None]:
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
        names = _str_values(points["name"]) if "name" in points.columns else None
        return geoms, points.index, names

    def _snap(self, points: Any, max_snap_m: float | None, role: str = "points") -> _Snapped:
        geoms, labels, names = self._prepare_points(points, role)
        n = len(geoms)
        max_snap = settings.max_snap_m if max_snap_m is None else float(max_snap_m)
        if not max_snap >= 0:
            msg = f"max_snap_m 必须 ≥ 0，收到 {max_snap_m!r}"
            raise InputError(msg)
        status = np.full(n, "too_far", dtype=object)
        seg = np.full(n, -1, np.int64)
        access = np.full(n, np.nan)
        xs = shapely.get_x(geoms) if n else np.zeros(0)
        ys = shapely.get_y(geoms) if n else np.zeros(0)
        empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        empty |= ~(np.isfinite(np.where(empty, 0.0, xs)) & np.isfinite(np.where(empty, 0.0, ys)))
        status[empty] = "empty"
        todo = np.flatnonzero(~empty)
        md = None if math.isinf(max_snap) else max_snap
        if len(todo):
            tree, ids = self._tree(main_only=True)
            (i_in, i_tree), dist = tree.query_nearest(geoms[todo], max_distance=md, return_distance=True,
                                                      all_matches=False)
            hit = todo[i_in]
            seg[hit] = ids[i_tree]
            access[hit] = dist
            status[hit] = "ok"
            rest = todo[status[todo] != "ok"]
            if len(rest):
                tree_all, ids_all = self._tree(main_only=False)
                (j_in, _), _ = tree_all.query_nearest(geoms[rest], max_distance=md, return_distance=True,
                                                      all_matches=False)
                status[rest[j_in]] = "island"
        ok = np.flatnonzero(status == "ok")
        t = np.full(n, np.nan)
        px = np.full(n, np.nan)
        py = np.full(n, np.nan)
        if len(ok):
            lines = self._geoms[seg[ok]]
            tt = shapely.line_locate_point(lines, geoms[ok])
            L = self._len[seg[ok]]
            tt = np.clip(tt, 0.0, L)
            tt = np.where(tt < _EPS_M, 0.0, np.where(L - tt < _EPS_M, L, tt))
            t[ok] = tt
            snapped = shapely.line_interpolate_point(lines, tt)
            px[ok] = shapely.get_x(snapped)
            py[ok] = shapely.get_y(snapped)
        return _Snapped(labels, names, status, seg, t, access, px, py)

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
                "name": s.names if s.names is not None else None,
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
        names = s.names[bad] if s.names is not None else np.full(len(bad), None, dtype=object)
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
            {"facility": _labels_at(fac.labels, lab), "minutes": np.where(np.isfinite(dist), dist / 60.0, np.nan)},
            index=pd.RangeIndex(self.n_nodes, name="node"),
        )

    def nearest(self, facilities: Any, demand: Any, max_snap_m: float | None = None) -> pd.DataFrame:
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
        fac = self._snap(facilities, max_snap_m, "facilities")
        dem = self._snap(demand, max_snap_m, "demand")
        self._report(fac, "facility")
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
        status = dem.status.copy()
        status[(status == "ok") & ~np.isfinite(best)] = "unreachable"
        self._report(dem, "demand", status)
        return pd.DataFrame(
            {
                "facility": _labels_at(fac.labels, who),
                "minutes": np.where(np.isfinite(best), best / 60.0, np.nan),
                "status": status.astype(str),
            },
            index=dem.labels,
        )

    def od(self, demand: Any, facilities: Any, cutoff_minutes: float, max_snap_m: float | None = None) -> ODMatrix:
        """Travel minutes from demand points to facilities, for the pairs within a cutoff.

        One Dijkstra per facility, limited to the cutoff, on the transposed graph (travel
        from demand to facility); memory grows with the pairs found, not with
        demand × facilities.

        Parameters
        ----------
        demand : geopandas.GeoDataFrame
            Demand points in any CRS (the origins).
        facilities : geopandas.GeoDataFrame
            Facility points in any CRS (the destinations).
        cutoff_minutes : float
            Largest travel time kept (minutes, > 0; ``inf`` keeps every reachable pair).
        max_snap_m : float, optional
            Largest snapping distance (m).

        Returns
        -------
        ODMatrix
            Long table, sparse matrix, labels and problems (see :class:`ODMatrix`).
        """
        cutoff = float(cutoff_minutes)
        if not cutoff > 0:
            msg = f"cutoff_minutes 必须 > 0，收到 {cutoff_minutes!r}"
            raise InputError(msg)
        cutoff_s = cutoff * 60.0
        dem = self._snap(demand, max_snap_m, "demand")
        fac = self._snap(facilities, max_snap_m, "facilities")
        problems = [self._report(dem, "demand"), self._report(fac, "facility")]
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
            r, c, s = dpos[r[first]], fpos[c[first]], s[first]
        else:
            r = c = np.zeros(0, np.int64)
            s = np.zeros(0)
        minutes = s / 60.0
        order = np.lexsort((minutes, r))
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

    # -- service areas ------------------------------------------------------------------

    def service_areas(
        self,
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
        cell = SERVICE_AREA_CELL_M.get(self.mode, _CUSTOM_CELL_M) if cell_m is None else float(cell_m)
        if not (cell > 0 and math.isfinite(cell)):
            msg = f"cell_m 必须 > 0，收到 {cell_m!r}"
            raise InputError(msg)
        toward = direction == "to_facility"
        fac = self._snap(facilities, max_snap_m, "facilities")
        self._report(fac, "facility")
        fpos = np.flatnonzero(fac.ok)
        if polygon == "generalized":
            recs = self._generalized_areas(fac, fpos, toward, breaks, how, rings, buffer_m=buffer_m,
                                           fill_holes=fill_holes, cell_m=cell, simplify=simplify)
        else:
            recs = self._detailed_areas(fac, fpos, toward, breaks, how, rings, buffer_m, fill_holes)
        recs = [r for r in recs if r[3] is not None and not shapely.is_empty(r[3])]
        out = gpd.GeoDataFrame(
            {
                "facility": pd.Series([r[0] for r in recs], dtype=object),
                "minutes_from": np.array([r[1] for r in recs], float),
                "minutes_to": np.array([r[2] for r in recs], float),
            },
            geometry=np.array([r[3] for r in recs] or [], dtype=object).reshape(-1),
            crs=self.crs,
        )
        if how != "dissolve" and len(out):
            out["facility"] = _labels_at(fac.labels, _positions_of(fac.labels, out["facility"]))
        return out

    def _detailed_areas(
        self, fac: _Snapped, fpos: np.ndarray, toward: bool, breaks: np.ndarray, how: str, rings: bool,
        buffer_m: float, fill_holes: bool,
    ) -> list[tuple[Any, float, float, Any]]:
        """Records ``(facility, minutes_from, minutes_to, geometry)`` of exact vector polygons."""
        lim = float(breaks[-1]) * 60.0
        lows = np.concatenate([[0.0], breaks[:-1]])
        recs: list[tuple[Any, float, float, Any]] = []
        if how == "overlap":
            n = self.n_nodes
            if len(fpos):
                owner, node, cost = self._sources(fac, fpos, toward)
                aug = _graph.augment(self._graph(transpose=toward), owner, node, cost, len(fpos))
            for k in range(len(fpos)):
                dist = dijkstra(aug, directed=True, indices=n + k, limit=lim)[:n]
                disks = [self._reach_polygon(dist, fac, fpos[k:k + 1], toward, b * 60.0, buffer_m, fill_holes)
                         for b in breaks]
                label = fac.labels[fpos[k]]
                recs.extend(_disks_to_records(label, disks, breaks, lows, rings))
        else:
            dist, src = self._multi_source(fac, fpos, toward, limit_s=lim)
            disks = [self._reach_polygon(dist, fac, fpos, toward, b * 60.0, buffer_m, fill_holes) for b in breaks]
            if how == "dissolve":
                recs.extend(_disks_to_records(None, disks, breaks, lows, rings))
            elif len(fpos):
                cells = self._split_cells(dist, src, fac, fpos, toward, lim, buffer_m, disks[-1])
                for k, cell in enumerate(cells):
                    parts = [shapely.intersection(d, cell) for d in disks]
                    recs.extend(_disks_to_records(fac.labels[fpos[k]], parts, breaks, lows, rings))
        return recs

    # -- generalised (raster) service areas -----------------------------------------------

    def _edge_samples(self, cell_m: float) -> _isochrone.EdgeSamples:
        """Samples along every segment for grids of ``cell_m`` (built once per cell size, cached)."""
        es = self._lazy.get("edge_samples")
        if es is None or es.cell_m != cell_m:
            for key in ("edge_samples", "stars_to", "stars_from"):
                self._lazy.pop(key, None)
            t0 = time.perf_counter()
            es = _isochrone.build_samples(self._node_xy, self._u, self._v, self._coords, self._offsets,
                                          self._cum, self._len, cell_m)
            self._lazy["edge_samples"] = es
            log.info("服务范围采样点 (edge samples at %g m): %d, %.1f MB, %.2f s", cell_m, len(es.gid),
                     es.nbytes / 2**20, time.perf_counter() - t0)
        return es

    def _stars(self, es: _isochrone.EdgeSamples, toward: bool) -> _isochrone.Stars:
        """Node stars of ``es`` for one direction (built once, cached with the samples)."""
        key = "stars_to" if toward else "stars_from"
        if key not in self._lazy:
            other = self._lazy.get("stars_from" if toward else "stars_to")
            if other is not None and (np.isfinite(self._fwd) == np.isfinite(self._bwd)).all():
                self._lazy[key] = other  # no one-way segment: both directions alike
            else:
                t0 = time.perf_counter()
                cost_u, cost_v = self._costs(toward)
                self._lazy[key] = _isochrone.build_stars(es, self._u, self._v, cost_u, cost_v)
                log.info("服务范围节点星 (node stars): %.1f MB, %.2f s", self._lazy[key].nbytes / 2**20,
                         time.perf_counter() - t0)
        return self._lazy[key]

    def _costs(self, toward: bool) -> tuple[np.ndarray, np.ndarray]:
        """Seconds to travel each whole segment between a point on it and ``u`` (resp. ``v``),
        in the direction of the analysis (``inf`` where that is not allowed)."""
        return (self._bwd, self._fwd) if toward else (self._fwd, self._bwd)

    def _own_segment(
        self, es: _isochrone.EdgeSamples, fac: _Snapped, fpos: np.ndarray, limit_s: float, toward: bool,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Samples of the facilities' own segments reached directly from the snapped points.

        Returns sample positions, the facility (position in ``fpos``) of each, the
        facilities whose snapped point itself is reached (its access leg within the time)
        and the snapped points' fractions along their segments.
        """
        cost_u, cost_v = self._costs(toward)
        fs = fac.seg[fpos]
        L = self._len[fs]
        p = np.divide(fac.t[fpos], L, out=np.zeros(len(fs)), where=L > 0)
        left = limit_s - fac.access_m[fpos] / settings.access_speed_mps
        m1 = es.count[fs] - 1
        go_v = _reach_fraction(left, cost_u[fs])  # towards v: the cost of the u-side direction
        go_u = _reach_fraction(left, cost_v[fs])
        lo = np.ceil((p - go_u) * m1 - 1e-9).clip(0, None).astype(np.int64)
        hi = np.minimum(np.floor((p + go_v) * m1 + 1e-9).astype(np.int64), m1) + 1
        ok = left >= 0
        samples, owner = _isochrone.expand_ranges(es.start[fs] + np.where(ok, lo, 0),
                                                  es.start[fs] + np.where(ok, hi, 0))
        return samples, owner, np.flatnonzero(ok), p

    def _own_cells(
        self, es: _isochrone.EdgeSamples, fac: _Snapped, fpos: np.ndarray, breaks: np.ndarray, toward: bool,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """For each break: the cells of the facilities' own segments reached directly from the
        snapped points, and of the snapped points, as ``(ptr, gid)`` by position in ``fpos``."""
        out = []
        for b in breaks * 60.0:
            samples, owner, at, _ = self._own_segment(es, fac, fpos, float(b), toward)
            gid = np.concatenate([es.gid[samples], es.gid_of(fac.x[fpos[at]], fac.y[fpos[at]])])
            who = np.concatenate([owner, at])
            order = np.argsort(who, kind="stable")
            out.append((np.searchsorted(who[order], np.arange(len(fpos) + 1)), gid[order]))
        return out

    def _break_cells(
        self, es: _isochrone.EdgeSamples, dist: np.ndarray, breaks: np.ndarray, own: list[np.ndarray], toward: bool,
    ) -> list[list[np.ndarray]]:
        """Reached cells of each break (minutes), as pieces (arrays of cell ids): road samples,
        nodes, and ``own[i]``, the cells of the facilities' own segments."""
        stars = self._stars(es, toward)
        cost_u, cost_v = self._costs(toward)
        secs = breaks * 60.0
        nodes_all = np.flatnonzero(dist <= secs[-1])
        out = []
        for i, b in enumerate(secs):
            nodes = nodes_all if i == len(secs) - 1 else nodes_all[dist[nodes_all] <= b]
            pieces = _isochrone.reached_cells(es, stars, dist, float(b), nodes, self._u, self._v, cost_u, cost_v)
            out.append([*pieces, own[i]])
        return out

    def _generalized_areas(
        self, fac: _Snapped, fpos: np.ndarray, toward: bool, breaks: np.ndarray, how: str, rings: bool, *,
        buffer_m: float, fill_holes: bool, cell_m: float, simplify: bool,
    ) -> list[tuple[Any, float, float, Any]]:
        """Records ``(facility, minutes_from, minutes_to, geometry)`` of raster polygons."""
        lim = float(breaks[-1]) * 60.0
        lows = np.concatenate([[0.0], breaks[:-1]])
        spec = _GridSpec(buffer_m=buffer_m, fill_holes=fill_holes, simplify=simplify)
        recs: list[tuple[Any, float, float, Any]] = []
        if len(fpos) == 0:
            return recs
        es = self._edge_samples(cell_m)
        if how == "overlap":
            n = self.n_nodes
            owner, node, cost = self._sources(fac, fpos, toward)
            aug = _graph.augment(self._graph(transpose=toward), owner, node, cost, len(fpos))
            own = self._own_cells(es, fac, fpos, breaks, toward)
            for k in range(len(fpos)):  # one compiled Dijkstra and a few grid passes per facility
                dist = dijkstra(aug, directed=True, indices=n + k, limit=lim)[:n]

                def cells_for(e: _isochrone.EdgeSamples, d: np.ndarray = dist, k: int = k) -> list:
                    mine = own if e is es else self._own_cells(e, fac, fpos, breaks, toward)
                    return self._break_cells(e, d, breaks, [g[p[k]:p[k + 1]] for p, g in mine], toward)

                es2, tiles, _ = self._tiles(es, spec, cells_for)
                geoms = self._grid_geoms(es2, tiles, len(breaks), rings, spec)
                recs.extend(_geoms_to_records(fac.labels[fpos[k]], geoms, breaks, lows, rings))
            return recs
        dist, src = self._multi_source(fac, fpos, toward, limit_s=lim)

        def cells_all(e: _isochrone.EdgeSamples) -> list:
            return self._break_cells(e, dist, breaks, [g for _, g in self._own_cells(e, fac, fpos, breaks, toward)],
                                     toward)

        es, tiles, locate = self._tiles(es, spec, cells_all)
        if how == "dissolve":
            geoms = self._grid_geoms(es, tiles, len(breaks), rings, spec)
            recs.extend(_geoms_to_records(None, geoms, breaks, lows, rings))
            return recs
        parts = self._split_geoms(es, tiles, locate, len(breaks), dist, src, fac, fpos, lim, toward, rings, spec)
        for k in range(len(fpos)):
            recs.extend(_geoms_to_records(fac.labels[fpos[k]], parts[k], breaks, lows, rings))
        return recs

    def _tiles(
        self, es: _isochrone.EdgeSamples, spec: _GridSpec, cells_for: Any,
    ) -> tuple[_isochrone.EdgeSamples, list[_isochrone.Tile], Any]:
        """Grid tiles of the reached cells of every break (see :func:`mzgeo.network._raster.tiles`);
        the cells are coarsened when a tile would exceed ``_MAX_GRID_CELLS``."""
        tiles, locate = _isochrone.tiles(es, cells_for(es), spec.pad(es.cell_m))
        biggest = max((t.win for t in tiles), key=lambda w: w.n_cells, default=None)
        if biggest is not None and biggest.n_cells > _MAX_GRID_CELLS:
            coarse = es.cell_m * math.ceil(math.sqrt(biggest.n_cells / _MAX_GRID_CELLS) * 1.05)
            log.warning("服务范围网格过大 (%d x %d 格)，格网边长由 %g 米放大到 %g 米 (grid coarsened)",
                        biggest.h, biggest.w, es.cell_m, coarse)
            es = self._edge_samples(coarse)
            tiles, locate = _isochrone.tiles(es, cells_for(es), spec.pad(es.cell_m))
        return es, tiles, locate

    def _grid_geoms(
        self, es: _isochrone.EdgeSamples, tiles: list[_isochrone.Tile], n_breaks: int, rings: bool, spec: _GridSpec,
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
                per_tile.append(list(_isochrone.label_polygons(lab, n_breaks, x0, y0, es.cell_m, tol)))
            else:
                per_tile.append([_isochrone.label_polygons(g, 1, x0, y0, es.cell_m, tol)[0] for g in grids])
        return [_combine([t[i] for t in per_tile]) for i in range(n_breaks)]

    def _split_geoms(
        self, es: _isochrone.EdgeSamples, tiles: list[_isochrone.Tile], locate: Any, n_breaks: int,
        dist: np.ndarray, src: np.ndarray, fac: _Snapped, fpos: np.ndarray, limit_s: float, toward: bool,
        rings: bool, spec: _GridSpec,
    ) -> list[list[Any]]:
        """Split areas on the grid: every cell goes to the facility of the fastest reached road
        sample in it; cells without one (the buffer) go to the nearest cell with one. Returns
        the disks (or rings) of each facility."""
        cost_u, cost_v = self._costs(toward)
        # time and facility of every reached sample, node and snapped point
        samples, nodes = _isochrone.reached_samples(es, dist, limit_s, self._u, self._v, cost_u, cost_v)
        seg, f = _isochrone.sample_fraction(es, samples)
        su, sv = self._u[seg], self._v[seg]
        with np.errstate(invalid="ignore"):
            tu = dist[su] + np.where(f > 0, f * cost_u[seg], 0.0)
            tv = dist[sv] + np.where(f < 1, (1.0 - f) * cost_v[seg], 0.0)
        via_u = np.nan_to_num(tu, nan=np.inf) <= np.nan_to_num(tv, nan=np.inf)
        own, owner, at, p = self._own_segment(es, fac, fpos, limit_s, toward)
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
                polys = _isochrone.label_polygons(lab_grid, nf * n_breaks, x0, y0, es.cell_m, tol)
                for k in range(nf):
                    for b in range(n_breaks):
                        out[k][b].append(polys[k * n_breaks + b])
            else:
                for b, g in enumerate(grids):
                    polys = _isochrone.label_polygons(np.where(g, owner_grid, 0).astype(np.int32), nf, x0, y0,
                                                      es.cell_m, tol)
                    for k in range(nf):
                        out[k][b].append(polys[k])
        return [[_combine(parts) for parts in per_fac] for per_fac in out]

    # -- detailed (vector) service areas --------------------------------------------------

    def _reached_pieces(
        self, dist: np.ndarray, fac: _Snapped, fpos: np.ndarray, toward: bool, limit_s: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Reached parts of segments (seg, d0, d1 in m) and the reached nodes, within ``limit_s``."""
        h_f, h_b = (self._bwd, self._fwd) if toward else (self._fwd, self._bwd)
        reached = dist < limit_s
        cand = np.flatnonzero(reached[self._u] | reached[self._v])
        L = self._len[cand]
        du, dv = dist[self._u[cand]], dist[self._v[cand]]
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
            Lf = self._len[fs]
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

    @property
    def _faces(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Planar faces beside each segment: (left face, right face, face degree); -1 = no face.

        Faces come from the angles of the segments at the nodes, once (lazily; see
        :func:`mzgeo.network._graph.planar_faces`). Used only to skip, under ``fill_holes=True``, the
        segments whose both sides are enclosed by fully reached roads.
        """
        if "faces" not in self._lazy:
            t0 = time.perf_counter()
            left, right, deg = _graph.planar_faces(self._coords, self._offsets, self._u, self._v)
            self._lazy["faces"] = (left, right, deg)
            log.info("路网面 (planar faces): %d, %.2f s", len(deg), time.perf_counter() - t0)
        return self._lazy["faces"]

    def _reach_polygon(
        self, dist: np.ndarray, fac: _Snapped, fpos: np.ndarray, toward: bool, limit_s: float,
        buffer_m: float, fill_holes: bool,
    ) -> Any:
        seg, d0, d1, nodes = self._reached_pieces(dist, fac, fpos, toward, limit_s)
        if len(seg) == 0 and len(nodes) == 0:
            return None
        if fill_holes and len(seg):
            # skip segments with enclosed, fully covered faces on both sides: their band lies
            # inside the filled polygon anyway (see _faces)
            left, right, deg = self._faces
            full = (d0 <= 0) & (d1 >= self._len[seg])
            fs = np.unique(seg[full])
            bnd = left[fs] != right[fs]
            cnt = np.bincount(np.concatenate([left[fs][bnd & (left[fs] >= 0)], right[fs][bnd & (right[fs] >= 0)]]),
                              minlength=len(deg))
            covered = np.concatenate([(cnt == deg) & (deg > 0), [False]])  # index -1 → outer: never
            inner = np.zeros(self.n_segments, bool)
            inner[fs] = covered[left[fs]] & covered[right[fs]]
            keep = ~inner[seg]
            seg, d0, d1 = seg[keep], d0[keep], d1[keep]
            reached_node = np.zeros(self.n_nodes, bool)
            reached_node[nodes] = True
            near = np.zeros(self.n_nodes, bool)
            near[self._u[seg]] = True
            near[self._v[seg]] = True
            nodes = np.flatnonzero(reached_node & near)
        pieces = _graph.substrings(self._coords, self._offsets, self._cum, seg, d0, d1)
        zero = d1 - d0 <= 0
        parts = [shapely.buffer(pieces[~zero], buffer_m, cap_style="flat", join_style="round", quad_segs=4)]
        xy = self._node_xy[nodes]
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
        self, dist: np.ndarray, src: np.ndarray, fac: _Snapped, fpos: np.ndarray, toward: bool,
        limit_s: float, buffer_m: float, area: Any,
    ) -> list[Any]:
        """Partition ``area`` between facilities: Voronoi cells of reached road points labelled
        with the facility that reaches them first."""
        seg, d0, d1, _ = self._reached_pieces(dist, fac, fpos, toward, limit_s)
        step = max(buffer_m / 2.0, 1.0)
        n_pts = np.maximum(np.ceil((d1 - d0) / step).astype(np.int64), 1) + 1
        rep = np.repeat(np.arange(len(seg)), n_pts)
        j = np.arange(n_pts.sum()) - np.repeat(np.cumsum(n_pts) - n_pts, n_pts)
        fseg = fac.seg[fpos]
        # samples along the reached pieces, plus the facilities' own points (where times bend)
        pos = np.concatenate([d0[rep] + (d1 - d0)[rep] * j / (n_pts[rep] - 1), fac.t[fpos]])
        s = np.concatenate([seg[rep], fseg])
        h_f, h_b = (self._bwd, self._fwd) if toward else (self._fwd, self._bwd)
        acc = fac.access_m[fpos] / settings.access_speed_mps

        def f_kind(sg: np.ndarray, p: np.ndarray, kind: np.ndarray) -> np.ndarray:
            """Time (s) at position ``p`` of segment ``sg`` along route ``kind`` (0 via u, 1 via v,
            2 + k from facility k on that segment)."""
            L = self._len[sg]
            fu = np.divide(p, L, out=np.zeros(len(p)), where=L > 0)
            out = np.full(len(p), np.inf)
            with np.errstate(invalid="ignore"):
                a = kind == 0
                out[a] = dist[self._u[sg[a]]] + np.where(p[a] > 0, fu[a] * h_f[sg[a]], 0.0)
                b = kind == 1
                out[b] = dist[self._v[sg[b]]] + np.where(p[b] < L[b], (1 - fu[b]) * h_b[sg[b]], 0.0)
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
            return np.where(kd == 0, src[self._u[sg]], np.where(kd == 1, src[self._v[sg]], kd - 2))

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
        pts = _graph.substrings(self._coords, self._offsets, self._cum, s[keep], pos[keep], pos[keep])
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
    """Records of generalised disks or rings (already differenced on the grid)."""
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
            g = _isochrone.dilate(g, self.radius(cell_m))
            out.append(_isochrone.fill_holes(g) if self.fill_holes else g)
        return out


def _fill_holes(poly: Any) -> Any:
    parts = shapely.get_parts(poly)
    shells = shapely.polygons(shapely.get_exterior_ring(parts))
    return shapely.union_all(shells) if len(shells) > 1 else shells[0]


def _positions_of(index: pd.Index, labels: pd.Series) -> np.ndarray:
    """Positions in ``index`` of labels (first occurrence)."""
    lookup = pd.Series(np.arange(len(index)), index=index)
    lookup = lookup[~lookup.index.duplicated()]
    return lookup.reindex(labels.to_numpy(dtype=object)).fillna(-1).to_numpy(np.int64)


def _labels_at(index: pd.Index, pos: np.ndarray) -> pd.array:
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


def _obj_array(values: Any, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, None, dtype=object)
    arr = np.asarray(values, dtype=object).reshape(-1)
    if len(arr) != n:
        msg = f"属性长度 {len(arr)} 与道路段数 {n} 不一致"
        raise NetworkError(msg)
    return arr


def _to_str_array(values: np.ndarray) -> np.ndarray:
    """Object array → unicode array for the cache; ``None`` stored as a control marker."""
    return np.array(["\x00" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in values],
                    dtype=str)


def _from_str_array(values: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[values == "\x00"] = None
    return out


def _str_values(series: pd.Series) -> np.ndarray:
    """Column values as an object array of stripped strings (``None`` for missing)."""
    vals = series.to_numpy(dtype=object)
    out = np.full(len(vals), None, dtype=object)
    miss = pd.isna(series).to_numpy()
    out[~miss] = [str(v).strip() for v in vals[~miss]]
    return out


def _norm(series: pd.Series) -> np.ndarray:
    """Lower-case stripped strings (numbers as written, ``1.0`` → ``1``) for flag columns."""
    s = series.copy()
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = pd.to_numeric(s, errors="coerce")
        as_int = num.where(num.isna() | (num != num.round()), num.round())
        s = as_int.map(lambda v: "" if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v)))
    return s.astype(str).str.strip().str.lower().to_numpy(dtype=object)


def _build_report_frame(kind: Any = (), xy: Any = None, moved_m: Any = None) -> pd.DataFrame:
    """The :attr:`Network.build_report` frame: ``kind``, ``x``, ``y``, ``moved_m``."""
    kind = np.asarray(kind, dtype=object).reshape(-1)
    xy = np.zeros((0, 2)) if xy is None else np.asarray(xy, float).reshape(-1, 2)
    moved = np.zeros(len(kind)) if moved_m is None else np.asarray(moved_m, float).reshape(-1)
    return pd.DataFrame({"kind": pd.Series(kind, dtype=object), "x": xy[:, 0], "y": xy[:, 1], "moved_m": moved})


def _fix_counts(report: pd.DataFrame) -> dict[str, int]:
    """Number of build-report rows per kind (every kind of :data:`BUILD_FIXES`, zeros included)."""
    counts = report["kind"].value_counts()
    return {k: int(counts.get(k, 0)) for k in BUILD_FIXES}


def _first(value: Any) -> Any:
    """First element of OSMnx list attributes (merged ways), the value otherwise."""
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def _check_mode(mode: str) -> str:
    if mode not in _MODES:
        msg = f"未知的出行方式 mode={mode!r}：可用 {', '.join(_MODES)} (unknown mode)"
        raise NetworkError(msg)
    return mode


def _walk_speed(walk_speed_mps: float | None) -> float:
    walk = float(settings.walk_speed_mps if walk_speed_mps is None else walk_speed_mps)
    if not walk > 0 or not math.isfinite(walk):
        msg = f"步行速度必须为正数 (m/s)，收到 {walk_speed_mps!r}"
        raise NetworkError(msg)
    return walk


def _speed_table(speeds_kph: dict[str, float] | None) -> dict[str, float]:
    table = dict(settings.drive_speed_kph)
    table.update({str(k): float(v) for k, v in (speeds_kph or {}).items()})
    bad = {k: v for k, v in table.items() if not (v > 0 and math.isfinite(v))}
    if bad:
        msg = f"车速必须为正数 (km/h)：{bad}"
        raise NetworkError(msg)
    return table


def _drive_kph(classes: np.ndarray, speed: np.ndarray | None, table: dict[str, float], params: dict) -> np.ndarray:
    """Speed (km/h) per segment: the given speed when positive, else the class table, else default."""
    cls_s = pd.Series(classes, dtype=object)
    kph = np.array(cls_s.map(table), dtype=float)
    unknown = np.isnan(kph)
    if unknown.any():
        names = sorted({str(c) for c in cls_s[unknown] if c is not None and not pd.isna(c)})
        if names:
            warnings.warn(
                f"道路等级 {', '.join(names[:10])} 不在车速表中，按默认 {settings.default_drive_speed_kph:g} km/h "
                "计算；可用 speeds_kph= 指定 (unknown road classes)",
                DataWarning, stacklevel=4,
            )
        params["unknown_classes"] = names
        kph[unknown] = settings.default_drive_speed_kph
    if speed is not None:
        use = np.isfinite(speed) & (speed > 0)
        kph = np.where(use, speed, kph)
        params["segments_with_own_speed"] = int(use.sum())
    return kph


def _parse_maxspeed(values: np.ndarray) -> np.ndarray:
    """OSM ``maxspeed`` → km/h (first number; ``mph`` converted; others NaN)."""
    s = pd.Series(values, dtype=object).astype(str)
    num = pd.to_numeric(s.str.extract(r"^\s*(\d+(?:\.\d+)?)", expand=False), errors="coerce")
    mph = s.str.contains("mph", case=False, na=False)
    return np.where(mph, num * 1.609344, num).astype(float)


def _is_metric(crs: pyproj.CRS) -> bool:
    if not crs.is_projected:
        return False
    units = {a.unit_name for a in crs.axis_info}
    return bool(units) and units <= {"metre", "meter", "m"}


def _metric_for_lonlat(src: pyproj.CRS, x: np.ndarray, y: np.ndarray) -> pyproj.CRS:
    """Metric CRS for data in ``src``: ``settings.metric_crs``, the CGCS2000 GK zone, or UTM."""
    from .. import crs as mcrs

    if settings.metric_crs is not None:
        return pyproj.CRS.from_user_input(settings.metric_crs)
    tr = pyproj.Transformer.from_crs(src, 4326, always_xy=True)
    lon, lat = tr.transform(np.nanmean(x), np.nanmean(y))
    try:
        return mcrs.metric_crs(lon=float(lon))
    except CRSError:
        return gpd.GeoSeries(shapely.points([lon], [lat]), crs=4326).estimate_utm_crs()


def _to_metric_gdf(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if _is_metric(gdf.crs):
        return gdf
    from .. import crs as mcrs

    if gdf.crs.is_geographic or settings.metric_crs is not None:
        try:
            return mcrs.to_metric(gdf)
        except CRSError:
            return gdf.to_crs(gdf.estimate_utm_crs())
    return gdf.to_crs(gdf.estimate_utm_crs())


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


def _node_lines(parts: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[tuple[str, np.ndarray]]]:
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


def _snap_dangles(
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


def _pair_reverse_edges(u: np.ndarray, v: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair each directed edge with its reverse (same geometry backwards) into segments.

    Edge ``(u, v, g)`` pairs with ``(v, u, reverse(g))``. Every edge gets a canonical key
    ``(min(u, v), max(u, v), geometry drawn from min to max)`` and a direction flag; for a
    closed edge (``u == v``: a ring road, a service loop) the canonical drawing is the
    smaller of ``g`` and ``reverse(g)`` by WKB, so a two-way ring's two copies pair up
    instead of becoming two one-way loops. A loop whose geometry is its own reverse (an
    out-and-back) pairs its copies in the order they come. Edges with the same key and
    direction are paired with the reverse copies in order (parallel roads of identical
    shape). Vectorised: one sort of the keys, no loop over edges.

    Returns, per segment, the edge travelling it forward and the one travelling it
    backward (``-1`` where that direction does not exist).
    """
    n = len(u)
    if n == 0:
        z = np.zeros(0, np.int64)
        return z, z
    g_fwd = shapely.to_wkb(shapely.set_precision(geoms, 1e-9), hex=True)
    g_rev = shapely.to_wkb(shapely.set_precision(shapely.reverse(geoms), 1e-9), hex=True)
    loop = u == v
    # direction flag: True when the edge runs along the canonical drawing
    fwd_dir = np.where(loop, g_fwd <= g_rev, u < v)
    canon = np.where(fwd_dir, g_fwd, g_rev)
    palin = loop & (g_fwd == g_rev)
    df = pd.DataFrame({"a": np.minimum(u, v), "b": np.maximum(u, v), "g": canon, "f": fwd_dir, "e": np.arange(n)})
    if palin.any():  # out-and-back loops: alternate copies between the two directions
        k = df[palin].groupby(["a", "g"], sort=False).cumcount().to_numpy()
        df.loc[palin, "f"] = k % 2 == 0
    df["rank"] = df.groupby(["a", "b", "g", "f"], sort=False).cumcount()
    f = df[df["f"]]
    b = df[~df["f"]]
    m = f.merge(b, on=["a", "b", "g", "rank"], how="outer", suffixes=("_f", "_b"))
    fwd_of = np.array(m["e_f"].fillna(-1), dtype=np.int64)
    bwd_of = np.array(m["e_b"].fillna(-1), dtype=np.int64)
    # segments formed from a backward-only edge keep that edge's direction as "forward"
    only_b = fwd_of < 0
    fwd_of[only_b], bwd_of[only_b] = bwd_of[only_b], -1
    order = np.argsort(np.where(fwd_of >= 0, fwd_of, bwd_of), kind="stable")
    return fwd_of[order], bwd_of[order]


def _polygon_lonlat(polygon: Any) -> Any:
    """Clip polygon as one shapely geometry in lon/lat (EPSG:4326), or ``None``."""
    if polygon is None:
        return None
    if isinstance(polygon, gpd.GeoDataFrame | gpd.GeoSeries):
        if polygon.crs is None:
            msg = "裁剪范围没有坐标系 (polygon has no CRS)"
            raise CRSError(msg)
        geom = polygon.to_crs(4326).union_all()
    elif isinstance(polygon, shapely.Geometry):
        geom = polygon
        minx, miny, maxx, maxy = geom.bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            msg = "shapely 裁剪范围按经纬度 (EPSG:4326) 理解，但坐标超出范围：请传入带坐标系的 GeoDataFrame/GeoSeries"
            raise CRSError(msg)
    else:
        msg = f"polygon 应为 GeoDataFrame、GeoSeries 或 shapely 几何，收到 {type(polygon).__name__}"
        raise InputError(msg)
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        msg = "裁剪范围必须是非空的面要素 (polygon must be a non-empty polygon)"
        raise InputError(msg)
    return shapely.make_valid(geom)


# --- OpenStreetMap readers -----------------------------------------------------------------

_OSM_TAGS = (
    "highway", "oneway", "maxspeed", "name", "junction", "access", "foot", "motor_vehicle", "motorcar",
    "vehicle", "motorroad", "sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right", "area",
)

#: The one table of OSM ``oneway`` values (lower-cased) used by every OSM reader in
#: ``drive`` mode: ``"forward"`` = only in the way's drawing direction, ``"backward"`` =
#: only against it, ``"both"`` = two-way (also overriding an implied one-way),
#: ``"closed"`` = not routable. ``oneway=reversible`` (a carriageway whose direction
#: changes with the time of day) is closed: no direction is open at every hour, and
#: routing engines such as OSRM do not route over it either. Any other value (missing,
#: ``alternating``, typos) means two-way unless implied (see :data:`OSM_IMPLIED_ONEWAY`).
OSM_ONEWAY = {
    "yes": "forward", "true": "forward", "1": "forward",
    "-1": "backward", "reverse": "backward",
    "no": "both", "false": "both", "0": "both",
    "reversible": "closed",
}
#: Tags that imply ``oneway=yes`` when ``oneway`` is absent or not in :data:`OSM_ONEWAY`
#: (OSM wiki, Key:oneway): ``junction=roundabout|circular`` and ``highway=motorway``
#: (dual carriageways, one way per carriageway) and ``motorway_link`` (ramps).
OSM_IMPLIED_ONEWAY = {"junction": frozenset({"roundabout", "circular"}),
                      "highway": frozenset({"motorway", "motorway_link"})}
#: Access values that close a way (to cars in ``drive``, to pedestrians in ``walk``).
OSM_NO_ACCESS = frozenset({"no", "private"})
#: ``foot`` values that open a way to pedestrians whatever its class or ``access``.
OSM_FOOT_YES = frozenset({"yes", "designated", "permissive"})
#: ``sidewalk`` values meaning the road has a sidewalk (``sidewalk``, ``sidewalk:both``,
#: ``sidewalk:left``, ``sidewalk:right``).
OSM_SIDEWALK = frozenset({"yes", "both", "left", "right", "separate"})


def _tag(tags: pd.DataFrame, key: str) -> pd.Series:
    """One tag column, lower-cased and stripped, ``""`` where absent."""
    if key not in tags.columns:
        return pd.Series("", index=tags.index, dtype=object)
    return tags[key].fillna("").astype(str).str.strip().str.lower()


def _osm_oneway(tags: pd.DataFrame) -> np.ndarray:
    """Direction rule of each way for ``drive``: ``"forward"``, ``"backward"``, ``"both"`` or ``"closed"``.

    Reads :data:`OSM_ONEWAY` and :data:`OSM_IMPLIED_ONEWAY` (an explicit ``oneway`` value
    wins over an implied one).
    """
    ow = _tag(tags, "oneway")
    rule = ow.map(OSM_ONEWAY)
    implied = _tag(tags, "junction").isin(list(OSM_IMPLIED_ONEWAY["junction"]))
    implied |= _tag(tags, "highway").isin(list(OSM_IMPLIED_ONEWAY["highway"]))
    rule = rule.where(rule.notna(), np.where(implied, "forward", "both"))
    return rule.to_numpy(dtype=object)


def _osm_keep(tags: pd.DataFrame, mode: str) -> np.ndarray:
    """Which ways (rows of OSM tags) are part of the network for ``mode``.

    Both modes drop ways without ``highway``, with a value in :data:`OSM_NEVER`, and
    ``area=yes``.

    ``drive``: ``highway`` in :data:`OSM_DRIVE`; the most specific of ``motorcar``,
    ``motor_vehicle``, ``vehicle`` and ``access`` that is tagged decides (``no`` or
    ``private`` closes the way, any other value opens it, so ``access=no`` +
    ``motor_vehicle=destination`` is open); ``oneway=reversible`` is closed (see
    :data:`OSM_ONEWAY`).

    ``walk``, in this order: ``foot=yes|designated|permissive`` opens the way; ``foot=no|
    private|use_sidepath`` closes it; ``access=no|private`` closes it; a sidewalk
    (:data:`OSM_SIDEWALK` in ``sidewalk``/``sidewalk:both|left|right``) opens it; a class
    in ``settings.no_walk_classes`` (``motorway``, ``motorway_link``; ``trunk`` and
    ``trunk_link`` are both walkable by default) or ``motorroad=yes`` closes it; every
    other way is open.
    """
    hw = _tag(tags, "highway")
    keep = (hw != "") & ~hw.isin(list(OSM_NEVER)) & (_tag(tags, "area") != "yes")
    if mode == "drive":
        rule = pd.Series("", index=tags.index, dtype=object)
        for key in ("access", "vehicle", "motor_vehicle", "motorcar"):  # least to most specific
            val = _tag(tags, key)
            rule = rule.where(val == "", val)
        keep &= hw.isin(list(OSM_DRIVE)) & ~rule.isin(list(OSM_NO_ACCESS))
        keep &= _osm_oneway(tags) != "closed"
    else:
        foot = _tag(tags, "foot")
        sidewalk = pd.Series(False, index=tags.index)
        for key in ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right"):
            sidewalk |= _tag(tags, key).isin(list(OSM_SIDEWALK))
        by_class = ~hw.isin(list(settings.no_walk_classes)) & (_tag(tags, "motorroad") != "yes")
        ok = by_class | sidewalk
        ok &= ~_tag(tags, "access").isin(list(OSM_NO_ACCESS))
        ok &= ~foot.isin(["no", "private", "use_sidepath"])
        ok |= foot.isin(list(OSM_FOOT_YES))
        keep &= ok
    return keep.to_numpy()


def _read_osm_file(path: Path, mode: str, poly: Any, negative_ids: bool = False) -> tuple:
    """Read highway ways from an OSM file (PBF, XML, XML.bz2; pyosmium) into directed edge arrays.

    A way is cut where it references a node that is not in the file (every clipped
    extract has them) or that lies outside ``poly``: its pieces on either side are kept
    as separate roads. With ``negative_ids`` (XML written by editors such as JOSM, whose
    new nodes have negative ids that libosmium's location index does not store) the
    locations of negative-id nodes are collected while reading.

    Returns ``(x, y, u, v, geoms, attrs, directed, cuts)``: lon/lat of the nodes, directed
    edges, their lines, their attributes, ``True``, and the lon/lat of the vertices next
    to each missing node (``(k, 2)``).
    """
    import osmium

    fp = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    fp = fp.with_filter(osmium.filter.EntityFilter(osmium.osm.WAY)).with_filter(osmium.filter.KeyFilter("highway"))
    tag_rows: list[tuple] = []
    node_lists: list[list[tuple[int, float, float]]] = []
    neg: dict[int, tuple[float, float]] = {}
    try:
        for w in fp:
            tags = w.tags
            tag_rows.append(tuple(tags.get(k) for k in _OSM_TAGS))
            node_lists.append(
                [(n.ref, n.lon, n.lat) if n.location.valid() else (n.ref, np.nan, np.nan) for n in w.nodes]
            )
        if negative_ids and any(r < 0 for nl in node_lists for r, _, _ in nl):
            # libosmium's location index skips negative ids: read those nodes' locations here
            for n in osmium.FileProcessor(str(path), osmium.osm.NODE):
                if n.id < 0 and n.location.valid():
                    neg[n.id] = (n.lon, n.lat)
    except RuntimeError as exc:  # libosmium parse errors
        msg = f"无法读取 OSM 文件 {path.name}：{exc} (unreadable OSM file)"
        raise InputError(msg) from exc
    tags = pd.DataFrame(tag_rows, columns=list(_OSM_TAGS))
    keep = np.flatnonzero(_osm_keep(tags, mode)) if len(tags) else np.zeros(0, np.int64)
    tags = tags.iloc[keep].reset_index(drop=True)
    counts = np.array([len(node_lists[i]) for i in keep], np.int64)
    flat = np.array([t for i in keep for t in node_lists[i]], dtype=float).reshape(-1, 3)
    refs = np.array([t[0] for i in keep for t in node_lists[i]], dtype=np.int64)
    lon, lat = flat[:, 1].copy(), flat[:, 2].copy()
    if neg:
        ids = np.array(sorted(neg), np.int64)
        loc = np.array([neg[i] for i in ids], float).reshape(-1, 2)
        at = np.flatnonzero((refs < 0) & ~np.isfinite(lon))
        pos = np.minimum(np.searchsorted(ids, refs[at]), len(ids) - 1)
        hit = ids[pos] == refs[at]
        lon[at[hit]], lat[at[hit]] = loc[pos[hit], 0], loc[pos[hit], 1]
    way = np.repeat(np.arange(len(keep)), counts)
    present = np.isfinite(lon) & np.isfinite(lat)
    inside = present.copy()
    if poly is not None:
        inside &= shapely.contains_xy(poly, np.nan_to_num(lon), np.nan_to_num(lat))
    # vertices next to a missing node (same way), for the build report
    nb = np.zeros(len(way), bool)
    same_next = np.zeros(len(way), bool)
    same_next[:-1] = way[1:] == way[:-1]
    nb[:-1] |= same_next[:-1] & ~present[1:] & present[:-1]
    nb[1:] |= same_next[:-1] & ~present[:-1] & present[1:]
    cuts = np.column_stack([lon[nb], lat[nb]])
    # vertices dropped (missing or outside the polygon) cut their way into separate lines
    start = np.ones(len(way), bool)
    start[1:] = (way[1:] != way[:-1]) | ~inside[:-1]
    line = np.cumsum(start) - 1
    sel = inside
    coords = np.column_stack([lon, lat])[sel]
    line = np.unique(line[sel], return_inverse=True)[1].ravel().astype(np.int64)
    line_way = np.zeros(line.max() + 1 if len(line) else 0, np.int64)
    line_way[line] = way[sel]
    pc, po, psrc, pkeys = _graph.split_at_nodes(coords, line, refs[sel])
    seg_way = line_way[psrc]
    end_refs = np.concatenate([pkeys[po[:-1]], pkeys[po[1:] - 1]])
    uniq, first, inv = np.unique(end_refs, return_index=True, return_inverse=True)
    n_seg = len(po) - 1
    end_xy = np.concatenate([pc[po[:-1]], pc[po[1:] - 1]])
    x, y = end_xy[first, 0], end_xy[first, 1]
    u, v = inv[:n_seg], inv[n_seg:]
    geoms = _graph.lines_from_offsets(pc, po)
    t = tags.iloc[seg_way]
    if mode == "drive":
        rule = _osm_oneway(t)
        fwd_only, rev_only = rule == "forward", rule == "backward"
    else:
        fwd_only = rev_only = np.zeros(n_seg, bool)
    # directed edges: forward of every segment not reverse-only, backward of every segment not one-way
    fe = np.flatnonzero(~rev_only)
    be = np.flatnonzero(~fwd_only)
    eu = np.concatenate([u[fe], v[be]])
    ev = np.concatenate([v[fe], u[be]])
    eg = np.concatenate([geoms[fe], shapely.reverse(geoms[be])])
    es = np.concatenate([fe, be])
    attrs = {
        "class": t["highway"].to_numpy(dtype=object)[es],
        "name": t["name"].to_numpy(dtype=object)[es],
        "maxspeed": t["maxspeed"].to_numpy(dtype=object)[es],
    }
    return x, y, eu, ev, eg, attrs, True, cuts


def _read_pbf(path: Path, mode: str, poly: Any) -> tuple:
    """Read an ``.osm.pbf`` file (see :func:`_read_osm_file`)."""
    return _read_osm_file(path, mode, poly)


def _read_osm_xml(path: Path, mode: str, poly: Any) -> tuple:
    """Read an OSM XML file (``.osm``, ``.osm.bz2``) with the same rules as :func:`_read_pbf`.

    libosmium parses the XML (OSMnx's ``graph_from_xml`` stops with "Some edges missing
    nodes" on clipped extracts and has its own one-way rules), so XML and PBF copies of the
    same data give the same network.
    """
    return _read_osm_file(path, mode, poly, negative_ids=True)
