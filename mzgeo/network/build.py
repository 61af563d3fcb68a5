"""Building a :class:`~mzgeo.network.Network`: from road lines, plain arrays or networkx graphs.

The builders behind :meth:`Network.from_lines <mzgeo.network.Network.from_lines>`,
:meth:`~mzgeo.network.Network.from_arrays` and :meth:`~mzgeo.network.Network.from_networkx`
(the ``Network`` class exposes these functions as its constructors), with what they share:
noding (shared vertices, crossings, self-crossings, overlaps), the repairs listed in the
build report (dangling ends joined), one-way flags and speeds (km/h per road class, walking
speed). The OSM readers are in :mod:`mzgeo.network.osm`.

Every builder applies the one CRS policy of mzgeo (:func:`mzgeo.crs.analysis_layers`): a
projected CRS is kept, geographic coordinates are projected to :func:`mzgeo.crs.metric_crs`
(the CGCS2000 Gauss-Krüger zone, EPSG:4549 for Huzhou). A projected CRS whose unit is not the
metre is projected too, since a network's lengths are in metres.

Examples
--------
>>> import mzgeo
>>> demo = mzgeo.load_demo()
>>> p = demo.institutions.geometry.iloc[0]
>>> roads = demo.roads.cx[p.x - 5000:p.x + 5000, p.y - 5000:p.y + 5000]  # a 10 km square
>>> net = from_lines(roads.to_crs(4326), mode="drive", cache=False)  # lon/lat in
>>> net.crs.to_epsg(), net.params["source"]  # built in the Gauss-Krüger zone of Huzhou
(4549, 'lines')
"""

from __future__ import annotations

import itertools
import logging
import math
import operator
import time
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import crs as mcrs
from .. import settings
from ..errors import CRSError, DataWarning, InputError, NetworkError
from . import _graph, _noding
from . import cache as _cache

if TYPE_CHECKING:
    from .core import Network

__all__ = ["BUILD_FIXES", "ONEWAY_FORWARD", "ONEWAY_REVERSE", "from_arrays", "from_lines", "from_networkx"]

log = logging.getLogger("mzgeo")

_MODES = ("walk", "drive")

#: ``oneway`` values meaning "only in the drawing direction" (planners' layers).
ONEWAY_FORWARD = frozenset(
    {"1", "1.0", "yes", "y", "true", "t", "是", "单行", "单向", "正向", "ft", "forward"}
)
#: ``oneway`` values meaning "only against the drawing direction".
ONEWAY_REVERSE = frozenset({"-1", "-1.0", "reverse", "tf", "反向", "逆向", "backward"})
_TRUTHY = frozenset({"1", "1.0", "yes", "y", "true", "t", "是", "桥", "桥梁"})

#: Kinds of repairs listed in :attr:`Network.build_report` (Chinese description).
BUILD_FIXES = {
    "self_crossing": "道路自身交叉处加节点 (a line crossing itself noded at the crossing)",
    "dangle_snapped": "悬挂端点接到附近道路 (a dangling end joined to the road it stops short of)",
    "overlap_noded": "共线重叠道路加节点 (collinear overlapping roads noded)",
    "cut_at_missing_node": "OSM 路段引用了文件中没有的节点，在此截断 (OSM way cut at a node missing from the file)",
}


def _network() -> type[Network]:
    """Return the :class:`Network` class (imported late: :mod:`.core` imports this module)."""
    from .core import Network

    return Network


def _metric_layer(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """``gdf`` in the analysis CRS (:func:`mzgeo.crs.analysis_layers`), in metres."""
    target, layers = mcrs.analysis_layers({name: gdf})
    out = layers[name]
    if not {a.unit_name for a in target.axis_info} <= {"metre", "meter", "m"}:
        out = out.to_crs(mcrs.metric_crs(out))  # a projected CRS in feet: lengths must be metres
    return out


# --- builders --------------------------------------------------------------------------------


def from_arrays(
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
    return _network()(
        crs=crs, mode=mode, node_xy=xy, seg_u=u, seg_v=v, seg_fwd_s=fwd, seg_bwd_s=bwd,
        coords=coords, offsets=offsets, road_class=road_class, name=name,
        params={"mode": mode, "source": "arrays"},
    )

def from_lines(
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
    if _cache.use_cache(cache):
        wkb = shapely.to_wkb(gdf.geometry.values, hex=False)
        h = _cache.params_digest(
            params, gdf.crs.to_wkt(), settings.metric_crs,
            pd.util.hash_pandas_object(gdf[used].astype(str), index=False).to_numpy().tobytes(),
            b"".join(w if w is not None else b"-" for w in wkb),
        )
        key = f"lines-{h[:32]}"
        net = _cache.load_network(key)
        if net is not None:
            return net
    t0 = time.perf_counter()
    net = _build_from_lines(gdf, mode, class_col, speed_col, oneway_col, bridge_col, name_col,
                                node_crossings, tolerance_m, snap_m, table, walk, params)
    log.info("from_lines: %s, %.2f s", net, time.perf_counter() - t0)
    if key is not None:
        _cache.save_network(net, key)
    return net

def _build_from_lines(
    gdf, mode, class_col, speed_col, oneway_col, bridge_col, name_col, node_crossings,
    tolerance_m, snap_m, table, walk, params,
) -> Network:
    gdf = _metric_layer(gdf, "道路图层 roads")
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
    parts, fixes = _noding.snap_dangles(parts, snap_m, tolerance_m, ~is_bridge)
    if node_crossings and (~is_bridge).any():
        sel = np.flatnonzero(~is_bridge)
        noded, src, node_fixes = _noding.node_lines(parts[sel])
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
    return _network()(
        crs=gdf.crs, mode=mode, node_xy=node_xy, seg_u=seg_u, seg_v=seg_v, seg_fwd_s=fwd,
        seg_bwd_s=bwd, coords=pc, offsets=po, road_class=seg_class, name=names, params=params,
        build_report=report,
    )

def from_networkx(
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
    x, y, u, v, datas = _graph_arrays(G)
    m = len(datas)
    geoms = np.fromiter([d.get("geometry") for d in datas], dtype=object, count=m)
    secs = None
    if mode is None:
        try:
            secs = np.fromiter(map(operator.itemgetter(weight), datas), float, count=m)
        except KeyError as exc:
            msg = f"networkx 图有边缺少权重属性「{weight}」(edge weight missing)"
            raise NetworkError(msg) from exc
        except (TypeError, ValueError):  # None and the like: NaN, reported by Network as missing
            secs = np.array([d[weight] for d in datas], float)
    names = {"class": class_attr, "name": name_attr, "maxspeed": "maxspeed"}

    def attrs(key: str, edges: np.ndarray) -> np.ndarray:
        # read only where needed: the edges that give their segment its attributes
        return _first_values([datas[e].get(names[key]) for e in edges.tolist()])

    params = {"mode": mode or "custom", "source": "networkx", "weight": weight if mode is None else None}
    return _from_directed_edges(
        x, y, u, v, geoms, secs, attrs, crs=crs, directed=G.is_directed(), mode=mode,
        speeds_kph=speeds_kph, walk_speed_mps=walk_speed_mps, params=params,
    )


def _graph_arrays(G: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list]:
    """Node coordinates and directed edges of a networkx graph, read in bulk.

    Returns ``(x, y, u, v, datas)``: node ``x``/``y`` in ``G.nodes`` order, edge end
    positions and attribute dicts in ``G.edges`` order. A directed graph stored as plain
    dicts (``DiGraph``, ``MultiDiGraph``) is read from its adjacency dicts directly.
    """
    node_dicts = G.nodes.values() if not isinstance(getattr(G, "_node", None), dict) else G._node.values()
    n = len(G)
    try:
        x = np.fromiter(map(operator.itemgetter("x"), node_dicts), float, count=n)
        y = np.fromiter(map(operator.itemgetter("y"), node_dicts), float, count=n)
    except KeyError as exc:
        msg = "networkx 图的节点缺少 x/y 坐标属性 (nodes need x and y)"
        raise NetworkError(msg) from exc
    pos = dict(zip(G, range(n), strict=True))
    succ = getattr(G, "_succ", None)
    plain_dicts = all(getattr(G, f, dict) is dict for f in (
        "adjlist_outer_dict_factory", "adjlist_inner_dict_factory", "edge_key_dict_factory"))
    if G.is_directed() and type(succ) is dict and plain_dicts:
        nbrs = list(succ.values())
        deg = np.fromiter(map(len, nbrs), np.int64, count=n)
        inner = list(itertools.chain.from_iterable(map(dict.values, nbrs)))
        vpos = np.fromiter(map(pos.__getitem__, itertools.chain.from_iterable(nbrs)), np.int64, count=len(inner))
        u = np.repeat(np.arange(n, dtype=np.int64), deg)
        if G.is_multigraph():
            mult = np.fromiter(map(len, inner), np.int64, count=len(inner))
            datas = list(itertools.chain.from_iterable(map(dict.values, inner)))
            u, vpos = np.repeat(u, mult), np.repeat(vpos, mult)
        else:
            datas = inner
        return x, y, u, vpos, datas
    data = list(G.edges(data=True))
    u = np.fromiter((pos[a] for a, _, _ in data), np.int64, count=len(data))
    v = np.fromiter((pos[b] for _, b, _ in data), np.int64, count=len(data))
    return x, y, u, v, [d for _, _, d in data]


def _first_values(values: list) -> np.ndarray:
    """Object array of the values, the first element of OSMnx list attributes (merged ways)."""
    arr = np.fromiter(values, dtype=object, count=len(values))
    seq = np.fromiter(map(isinstance, arr, itertools.repeat((list, tuple))), bool, count=len(arr))
    if seq.any():
        arr[seq] = np.fromiter(map(_first, arr[seq]), dtype=object, count=int(seq.sum()))
    return arr


def _metric_target(src_crs: pyproj.CRS, x: np.ndarray, y: np.ndarray) -> pyproj.CRS:
    """Return the CRS :func:`_metric_layer` would give points ``x``, ``y`` in ``src_crs`` (none built)."""
    if src_crs.is_projected and {a.unit_name for a in src_crs.axis_info} <= {"metre", "meter", "m"}:
        return src_crs
    if settings.metric_crs is not None:
        return pyproj.CRS.from_user_input(settings.metric_crs)
    if len(x) == 0:
        return mcrs.metric_crs(lon=120.0)
    lon = x
    if not src_crs.equals(pyproj.CRS.from_epsg(4326)):
        lon, _ = pyproj.Transformer.from_crs(src_crs, 4326, always_xy=True).transform(x, y)
        lon = np.asarray(lon, float)
    return mcrs.metric_crs(lon=float((np.nanmin(lon) + np.nanmax(lon)) / 2.0))


def _from_directed_edges(
    x, y, u, v, geoms, secs, attrs, *, crs, directed, mode, speeds_kph, walk_speed_mps, params,
    walk_classes=True,
) -> Network:
    """Shared core of the networkx and OSM constructors: edges → segments.

    ``geoms`` holds each edge's line drawn from ``u`` to ``v`` or ``None`` (a straight
    line between the nodes); ``attrs`` maps ``"class"``, ``"name"``, ``"maxspeed"`` to an
    array per edge, or is a function ``attrs(key, edges)`` giving them for some edges.
    ``walk_classes=False`` keeps every edge in ``walk`` mode (the OSM readers have
    already applied the walking rules, sidewalks and ``foot`` tags included).
    """
    src_crs = pyproj.CRS.from_user_input(crs)
    get_attr = attrs if callable(attrs) else (lambda key, edges: attrs[key][edges])
    n_e = len(u)
    has = ~shapely.is_missing(geoms) if n_e else np.zeros(0, bool)
    plain = bool((shapely.get_type_id(geoms[has]) == 1).all() and not shapely.has_z(geoms[has]).any())
    gc, gi = shapely.get_coordinates(geoms[has], return_index=True)
    target = _metric_target(src_crs, x, y)
    if not target.equals(src_crs):
        tr = pyproj.Transformer.from_crs(src_crs, target, always_xy=True)
        x, y = (np.asarray(a, float) for a in tr.transform(x, y))
        if len(gc):
            gc = np.column_stack(tr.transform(gc[:, 0], gc[:, 1]))
    else:
        target = src_crs
        tr = None
    # every edge's vertices: its own line, or a straight line between its nodes
    counts = np.full(n_e, 2, np.int64)
    counts[has] = np.bincount(gi, minlength=int(has.sum()))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    coords = np.empty((offsets[-1], 2))
    s0 = offsets[:-1][~has]
    coords[s0, 0], coords[s0, 1] = x[u[~has]], y[u[~has]]
    coords[s0 + 1, 0], coords[s0 + 1, 1] = x[v[~has]], y[v[~has]]
    if len(gc):
        hc = counts[has]
        coords[np.repeat(offsets[:-1][has] - (np.cumsum(hc) - hc), hc) + np.arange(len(gc))] = gc
    if not directed:
        fwd_of = np.arange(n_e)
        bwd_of = np.arange(n_e)
    elif plain:
        fwd_of, bwd_of = _graph.pair_reverse_edges(u, v, coords, offsets)
    else:  # multi-part or 3D lines: compare the (projected) shapely lines themselves
        g = geoms.copy()
        g[~has] = _graph.lines_from_offsets(*_graph._subset(coords, offsets, np.flatnonzero(~has)))
        if tr is not None:
            g[has] = shapely.transform(g[has], lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))
        fwd_of, bwd_of = _graph.pair_reverse_edges_wkb(u, v, g)
    # segment s is drawn as edge fwd_of[s] (every segment has a forward edge)
    base = fwd_of
    seg_u, seg_v = u[base], v[base]
    coords, offsets = _graph._subset(coords, offsets, base)
    length = _graph.cumulative_lengths(coords, offsets)[offsets[1:] - 1]
    cls_ = get_attr("class", base)
    if mode is None:
        fwd = secs[base]
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
        kph = _drive_kph(cls_, _parse_maxspeed(get_attr("maxspeed", base)), table, params)
        fwd = length / (kph / 3.6)
        bwd = np.where(bwd_of >= 0, fwd, np.inf)
    keep = np.isfinite(fwd) | np.isfinite(bwd)
    if not keep.all():
        sel = np.flatnonzero(keep)
        coords, offsets = _graph._subset(coords, offsets, sel)
        seg_u, seg_v, fwd, bwd, cls_, base = seg_u[sel], seg_v[sel], fwd[sel], bwd[sel], cls_[sel], base[sel]
    # drop nodes no segment uses
    used = np.zeros(len(x), bool)
    used[seg_u] = True
    used[seg_v] = True
    new_id = np.cumsum(used) - 1
    return _network()(
        crs=target, mode=mode or "custom", node_xy=np.column_stack([x, y])[used],
        seg_u=new_id[seg_u], seg_v=new_id[seg_v], seg_fwd_s=fwd, seg_bwd_s=bwd, coords=coords,
        offsets=offsets, road_class=cls_, name=get_attr("name", base), params=params,
    )

# --- columns, report, speeds ------------------------------------------------------------------


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
    """Make the :attr:`Network.build_report` frame: ``kind``, ``x``, ``y``, ``moved_m``."""
    kind = np.asarray(kind, dtype=object).reshape(-1)
    xy = np.zeros((0, 2)) if xy is None else np.asarray(xy, float).reshape(-1, 2)
    moved = np.zeros(len(kind)) if moved_m is None else np.asarray(moved_m, float).reshape(-1)
    return pd.DataFrame({"kind": pd.Series(kind, dtype=object), "x": xy[:, 0], "y": xy[:, 1], "moved_m": moved})


def _fix_counts(report: pd.DataFrame) -> dict[str, int]:
    """Count the build-report rows per kind (every kind of :data:`BUILD_FIXES`, zeros included)."""
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


# --- repairs of the built arrays -------------------------------------------------------------


def merge_duplicates(net: Network) -> None:
    """Merge segments drawn on exactly the same line (duplicated roads, parallel graph edges).

    A point on such a road is on all copies, so the copies become one segment with the
    fastest time of each direction.
    """
    a = np.minimum(net._u, net._v)
    b = np.maximum(net._u, net._v)
    lenr = np.round(net._len, 6)
    ab = a * np.int64(max(len(net._node_xy), int(b.max(initial=0)) + 1)) + b  # (a, b) as one sort key
    order = np.lexsort((lenr, ab))
    same = (ab[order][1:] == ab[order][:-1]) & (lenr[order][1:] == lenr[order][:-1])
    if not same.any():
        return
    in_grp = np.zeros(len(order), bool)
    in_grp[1:] |= same
    in_grp[:-1] |= same
    cand = np.sort(order[in_grp])
    geoms = _graph.lines_from_offsets(*_subset_coords(net, cand))
    g_fwd = shapely.to_wkb(geoms, hex=True)
    g_rev = shapely.to_wkb(shapely.reverse(geoms), hex=True)
    # drawn from the smaller end node; a closed loop from its smaller drawing (by WKB)
    flip = (net._u[cand] > net._v[cand]) | ((net._u[cand] == net._v[cand]) & (g_rev < g_fwd))
    df = pd.DataFrame({
        "a": a[cand], "b": b[cand], "g": np.where(flip, g_rev, g_fwd), "row": cand,
        "f": np.where(flip, net._bwd[cand], net._fwd[cand]),
        "r": np.where(flip, net._fwd[cand], net._bwd[cand]),
    })
    grp = df.groupby(["a", "b", "g"], sort=False)
    df["keep"] = grp["row"].transform("min")
    df["fmin"] = grp["f"].transform("min")
    df["rmin"] = grp["r"].transform("min")
    first = df[df["row"] == df["keep"]]
    rows = first["row"].to_numpy()
    flip_k = flip[np.searchsorted(cand, rows)]
    net._fwd = net._fwd.copy()
    net._bwd = net._bwd.copy()
    net._fwd[rows] = np.where(flip_k, first["rmin"], first["fmin"])
    net._bwd[rows] = np.where(flip_k, first["fmin"], first["rmin"])
    drop = df.loc[df["row"] != df["keep"], "row"].to_numpy()
    if len(drop) == 0:
        return
    keep = np.ones(len(net._u), bool)
    keep[drop] = False
    sel = np.flatnonzero(keep)
    net._coords, net._offsets = _subset_coords(net, sel)
    net._u, net._v, net._fwd, net._bwd = net._u[sel], net._v[sel], net._fwd[sel], net._bwd[sel]
    net._class, net._name = net._class[sel], net._name[sel]
    net._cum = _graph.cumulative_lengths(net._coords, net._offsets)
    net._len = net._cum[net._offsets[1:] - 1]
    log.info("合并了 %d 段重复道路 (merged duplicated segments)", len(drop))

def _subset_coords(net: Network, sel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the vertices and offsets of the segments ``sel`` (sorted positions)."""
    counts = np.diff(net._offsets)
    keep_v = np.zeros(len(counts), bool)
    keep_v[sel] = True
    coords = net._coords[np.repeat(keep_v, counts)]
    # sel is sorted, so the kept vertices stay in segment order
    return coords, np.concatenate([[0], np.cumsum(counts[sel])])
