"""Partitioned routing: one task per unit (county), each on the roads within reach of its demand.

The routing analyses (:meth:`Network.nearest <mzgeo.network.Network.nearest>`,
:meth:`~mzgeo.network.Network.od`, :meth:`~mzgeo.network.Network.service_areas`, and
through them :func:`mzgeo.coverage`, :func:`mzgeo.accessibility`,
:func:`mzgeo.daycare_coverage`, :func:`mzgeo.shelter_adequacy`, :func:`mzgeo.cemetery_coverage`)
accept ``partition="county"`` (or a unit layer) and an ``executor``. Then:

1. The points are snapped once, on the **whole** network (so the nearest road and the
   main-component rule are exactly those of the single-network run).
2. The demand points are grouped by unit: ``"county"`` uses their county code
   (``county_code``, or the first 6 digits of ``unit_code``/``code``); a GeoDataFrame of
   polygons assigns each point to the polygon that contains it (else the nearest one).
3. Each unit's task gets its demand and a **buffered** network: every road segment within
   ``reach_m = limit_minutes × 60 × top_speed_mps + max_snap_m (+ 1 m)`` of the convex hull
   of the unit's snapped demand points, where ``top_speed_mps`` is the largest
   ``length / seconds`` over all directed edges of the network, and every facility snapped to
   one of those segments (facilities in the next county included).

**The bound.** A network path that takes at most ``T`` seconds covers at most
``T × top_speed_mps`` metres of road, so it never gets farther than that (in a straight
line) from the point where it starts, the demand point's place on its road. Every segment
such a path touches is therefore within ``reach_m`` of the unit and belongs to the task's
network: **no path within the cutoff can leave the task's network**, and the task's travel
times within the cutoff are those of the whole network (a smaller network only makes
longer paths longer). Cross-border demand is thus handled, not dropped: a village near a
county line reaches the facilities of the next county exactly as on one network.

For ``od`` (and every analysis with a travel-time limit) the limit is the cutoff, so the
pairs within the cutoff are exactly the single-network pairs. For ``nearest`` (no limit)
the limit is ``within_minutes`` (the analysis's own threshold, or
``settings.partition_nearest_minutes``): an answer of at most that many minutes is exact by
the bound; points whose nearest facility is farther (or none is in the task's network) are
recomputed on the whole network in this process, so the result is still the
single-network one. An infinite limit (or a network with an infinitely fast edge) gives an
unbounded reach: the whole network is used, in this process.

Global steps stay global: the analyses assemble the per-unit cost tables first and then
solve what shares capacity across borders (the shelter LP, location models) on the
assembled table.

**Executors.** ``executor=None`` (default ``settings.executor``) runs the tasks one after
the other in this process through the same code; ``"local"`` starts (once per process, closed
at exit) a ``dask.distributed.LocalCluster`` with ``settings.workers`` worker processes (one
per core by default), one thread each and ``settings.worker_memory_limit`` of memory each;
a scheduler address such as ``"tcp://host:8786"`` (or a ``distributed.Client``) uses a
running cluster. Workers never receive a pickled network per task: on a local cluster
each partition network is written once to the on-disk network cache
(``settings.cache_folder``) and workers load it from there (keeping the last few in
memory); otherwise (remote clusters, or ``settings.use_cache = False``) the arrays of each
partition network are scattered to the cluster once.

Examples
--------
>>> import geopandas as gpd
>>> from shapely import LineString, Point
>>> from mzgeo.network import Network
>>> roads = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (10_000, 0)])], crs=4549)
>>> net = Network.from_lines(roads, cache=False)
>>> fac = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(10_000, 0)], crs=4549)
>>> units = gpd.GeoDataFrame({"name": ["西", "东"]}, geometry=[shapely.box(-1, -1, 5000, 1),
...                          shapely.box(5000, -1, 10_001, 1)], crs=4549)
>>> dem = gpd.GeoDataFrame(geometry=[Point(4_900, 0), Point(5_200, 0)], crs=4549)
>>> part = net.od(fac, dem, cutoff_minutes=90, partition=units)  # one task per unit, in this process
>>> part.table["minutes"].round(1).tolist()  # each village reaches both ends, across the unit border
[81.7, 85.0, 80.0, 86.7]
>>> part.table.equals(net.od(fac, dem, cutoff_minutes=90).table)
True
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import hashlib
import json
import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from ..errors import InputError
from . import cache as _cache

if TYPE_CHECKING:
    from .core import Network, ODMatrix, _Snapped

__all__ = [
    "close_clients",
    "get_client",
    "nearest",
    "od",
    "partition_groups",
    "reach_m",
    "reporting",
    "service_areas",
    "subnetwork",
    "top_speed_mps",
]

log = logging.getLogger("mzgeo")

_MARGIN_M = 1.0  # added to every reach (m): covers rounding in the speed and the distances
_WORKER_NETS_KEPT = 8  # partition networks kept in memory per worker process
_WORKER_NETS: OrderedDict[str, Network] = OrderedDict()
_WORKER_LOCK = threading.Lock()
_CLIENTS: dict[Any, Any] = {}
_REPORTER: contextvars.ContextVar[Any] = contextvars.ContextVar("mzgeo_partition_reporter", default=None)


# --- progress ---------------------------------------------------------------------------------


@contextlib.contextmanager
def reporting(progress: Any) -> Iterator[None]:
    """Report partition tasks to ``progress`` inside the block (the CLI's progress lines).

    Parameters
    ----------
    progress : mzgeo.progress.Progress or callable
        A :class:`~mzgeo.progress.Progress` gets one step per partitioned call with a
        progress bar over the partitions; a plain callable receives Chinese lines.
        Lines also name the Dask dashboard when a cluster is used.

    Yields
    ------
    None
    """
    token = _REPORTER.set(progress)
    try:
        yield
    finally:
        _REPORTER.reset(token)


def _say(msg: str) -> None:
    rep = _REPORTER.get()
    log.info(msg)
    if rep is not None:
        rep(msg)


# --- the bound ----------------------------------------------------------------------------------


def top_speed_mps(net: Network) -> float:
    """Largest speed (m/s) of any directed edge: ``length_m / seconds``.

    An edge of positive length and zero seconds gives ``inf`` (no finite reach).

    Parameters
    ----------
    net : Network
        The network.

    Returns
    -------
    float
        Metres per second.
    """
    if "top_speed" not in net._lazy:
        best = 0.0
        for sec in (net._fwd, net._bwd):
            ok = np.isfinite(sec) & (net._len > 0)
            if not ok.any():
                continue
            if (sec[ok] <= 0).any():
                best = math.inf
                break
            best = max(best, float((net._len[ok] / sec[ok]).max()))
        net._lazy["top_speed"] = best
    return net._lazy["top_speed"]


def reach_m(net: Network, limit_minutes: float, max_snap_m: float | None = None) -> float:
    """Distance (m) around a unit's demand that holds every path within ``limit_minutes``.

    ``limit_minutes × 60 × top_speed_mps + max_snap_m + 1 m`` (see the module docstring).

    Parameters
    ----------
    net : Network
        The network.
    limit_minutes : float
        Travel-time limit (minutes).
    max_snap_m : float, optional
        Snapping distance (m); default ``settings.max_snap_m``.

    Returns
    -------
    float
        Metres (``inf`` for an infinite limit or an infinitely fast edge).
    """
    snap = settings.max_snap_m if max_snap_m is None else float(max_snap_m)
    v = top_speed_mps(net)
    if not math.isfinite(limit_minutes) or not math.isfinite(v):
        return math.inf
    return float(limit_minutes) * 60.0 * v + snap + _MARGIN_M


# --- units ----------------------------------------------------------------------------------------


def _county_codes(points: pd.DataFrame) -> np.ndarray:
    """County code of each row: ``county_code``, else the first 6 digits of ``unit_code``/``code``."""
    for col, n in (("county_code", None), ("unit_code", 6), ("code", 6)):
        if col not in points.columns:
            continue
        vals = points[col].astype("string").str.strip().str.replace(r"\.0$", "", regex=True)
        ok = vals.str.fullmatch(r"\d{6,}").fillna(False)
        if ok.sum() == 0:
            continue
        out = vals.str.slice(0, n) if n else vals
        return np.asarray(out.where(ok, None).astype(object).to_numpy(), dtype=object)
    msg = ("partition=\"county\" 需要需求点的区县代码：请提供 county_code 列（或 6 位以上的 unit_code/code），"
           "或给出区县面图层 partition=区县图层 (county codes missing)")
    raise InputError(msg)


def partition_groups(net: Network, points: Any, partition: Any) -> np.ndarray:
    """Return the unit of each point (object array of unit names/codes, aligned with the rows).

    Parameters
    ----------
    net : Network
        The network (its CRS is used for polygons).
    points : geopandas.GeoDataFrame
        Demand points (or facilities, for service areas).
    partition : {"county"} or geopandas.GeoDataFrame
        ``"county"``: the county code of each row (see :func:`_county_codes`); a
        GeoDataFrame of polygons: the polygon containing the point (else the nearest one),
        named by its ``name`` column or index label.

    Returns
    -------
    numpy.ndarray
        One unit per row (``None`` for rows without a code).

    Raises
    ------
    InputError
        An unknown ``partition``, no county codes, or a unit layer without polygons.
    """
    if isinstance(partition, str):
        if partition.strip().lower() in ("county", "区县"):
            return _county_codes(points)
        msg = f"partition 应为 \"county\"（区县）或区县面图层，收到 {partition!r}"
        raise InputError(msg)
    if not isinstance(partition, gpd.GeoDataFrame) or partition.crs is None:
        msg = "partition 应为 \"county\" 或有坐标系的面图层 GeoDataFrame (a polygon layer with a CRS)"
        raise InputError(msg)
    units = partition.to_crs(net.crs) if not partition.crs.equals(net.crs) else partition
    geoms = np.asarray(units.geometry.values, dtype=object)
    poly = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & np.isin(shapely.get_type_id(geoms), (3, 6))
    if not poly.any():
        msg = "partition 面图层中没有面要素 (no polygons in the unit layer)"
        raise InputError(msg)
    names = (units["name"] if "name" in units.columns else pd.Series(units.index, index=units.index)).to_numpy(object)
    names, geoms = names[poly], geoms[poly]
    pgeoms, _, _ = net._prepare_points(points, "points")
    out = np.full(len(pgeoms), None, dtype=object)
    have = np.flatnonzero(~(shapely.is_missing(pgeoms) | shapely.is_empty(pgeoms)))
    if len(have):
        tree = shapely.STRtree(geoms)
        i_pt, i_unit = tree.query(pgeoms[have], predicate="intersects")
        first = np.unique(i_pt, return_index=True)[1]
        out[have[i_pt[first]]] = names[i_unit[first]]
        rest = have[pd.isna(out[have])]
        if len(rest):
            (j_pt, j_unit) = tree.query_nearest(pgeoms[rest], all_matches=False)
            out[rest[j_pt]] = names[j_unit]
    return out


def _groups(units: np.ndarray, rows: np.ndarray) -> list[tuple[Any, np.ndarray]]:
    """Group the rows ``rows`` by unit: ``(unit, positions)`` ``rows`` grouped by unit (rows without one grouped together)."""
    key = pd.Series(units[rows], dtype=object).fillna("未匹配").astype(str)
    codes, uniq = pd.factorize(key, sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniq) + 1))
    return [(uniq[k], rows[order[bounds[k]:bounds[k + 1]]]) for k in range(len(uniq))]


# --- partition networks ---------------------------------------------------------------------------


def _digest(net: Network) -> str:
    if "digest" not in net._lazy:
        h = hashlib.blake2b(digest_size=16)
        for a in (net._node_xy, net._u, net._v, net._fwd, net._bwd, net._coords, net._offsets):
            h.update(np.ascontiguousarray(a).tobytes())
        net._lazy["digest"] = h.hexdigest()
    return net._lazy["digest"]


def _segments_within(net: Network, xy: np.ndarray, reach: float) -> np.ndarray:
    """Sorted ids of the segments within ``reach`` m of the convex hull of points ``xy``."""
    hull = shapely.convex_hull(shapely.multipoints(xy))
    tree, ids = net._tree(main_only=False)
    x0, y0, x1, y1 = hull.bounds
    cand = ids[tree.query(shapely.box(x0 - reach, y0 - reach, x1 + reach, y1 + reach))]
    shapely.prepare(hull)
    return np.unique(cand[shapely.dwithin(net._geoms[cand], hull, reach)])


def _subnetwork_arrays(net: Network, segs: np.ndarray) -> dict[str, np.ndarray]:
    """Arrays of the network made of segments ``segs`` (sorted), nodes renumbered, lengths kept."""
    n = len(segs)
    nodes, inv = np.unique(np.concatenate([net._u[segs], net._v[segs]]), return_inverse=True)
    counts = np.diff(net._offsets)[segs]
    starts = net._offsets[segs]
    idx = np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
    params = dict(net.params)
    params["partition_of"] = _digest(net)
    meta = {"crs": net.crs.to_wkt(), "mode": net.mode, "params": params}
    return {
        "node_xy": net._node_xy[nodes], "u": inv[:n].astype(np.int64), "v": inv[n:].astype(np.int64),
        "fwd": net._fwd[segs], "bwd": net._bwd[segs], "coords": net._coords[idx],
        "offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "road_class": np.full(n, "\x00"), "name": np.full(n, "\x00"),
        "report_kind": np.zeros(0, dtype=str), "report_xym": np.zeros((0, 3)),
        "meta": np.array(json.dumps(meta, default=str, ensure_ascii=False)),
        "cum": net._cum[idx], "len": net._len[segs],
    }


def subnetwork(net: Network, segments: np.ndarray) -> Network:
    """Build the network made of some segments of ``net`` (travel times and lengths bit for bit).

    Parameters
    ----------
    net : Network
        The whole network.
    segments : numpy.ndarray
        Segment ids to keep (sorted; segment ``k`` of the result is ``segments[k]``).

    Returns
    -------
    Network
        Nodes renumbered; no road classes or names (they do not route).
    """
    return _cache.network_from_arrays(_subnetwork_arrays(net, np.asarray(segments, np.int64)))


def _partition_key(net: Network, segs: np.ndarray) -> str:
    h = hashlib.blake2b(segs.astype(np.int64).tobytes(), digest_size=16).hexdigest()
    return f"part-{_digest(net)}-{h}"


def _worker_net(ref: Any) -> Network:
    """Return the network of a task: a Network, ``("file", path, key)`` or ``("data", key, arrays)``."""
    if not isinstance(ref, tuple):
        return ref
    kind, a, b = ref
    key = b if kind == "file" else a
    with _WORKER_LOCK:
        if key in _WORKER_NETS:
            _WORKER_NETS.move_to_end(key)
            return _WORKER_NETS[key]
    if kind == "file":
        with np.load(a, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    else:
        arrays = b
    net = _cache.network_from_arrays(arrays)
    with _WORKER_LOCK:
        _WORKER_NETS[key] = net
        while len(_WORKER_NETS) > _WORKER_NETS_KEPT:
            _WORKER_NETS.popitem(last=False)
    return net


def _net_ref(net: Network, segs: np.ndarray, client: Any, local: bool) -> Any:
    """How a task gets its partition network (built once per network and segment set)."""
    key = _partition_key(net, segs)
    store = net._lazy.setdefault("partitions", {})
    if client is None:
        if key not in store:
            store.clear() if len(store) > 64 else None
            store[key] = subnetwork(net, segs)
        return store[key]
    if local and settings.use_cache:
        path = _cache.cache_path(key)
        if not path.exists():
            path = _cache.save_arrays(key, _subnetwork_arrays(net, segs))
        if path is not None:
            return ("file", str(path), key)
    skey = (key, id(client))
    if skey not in store or store[skey].status != "finished" or store[skey].client is not client:
        store[skey] = client.scatter([_subnetwork_arrays(net, segs)], hash=False)[0]  # one future (a dict would be keyed by its keys)
    return ("data", key, store[skey])


# --- tasks ------------------------------------------------------------------------------------------


def _snapped_arrays(s: _Snapped, pos: np.ndarray, segs: np.ndarray) -> dict[str, np.ndarray]:
    """Return the snapped points ``pos`` with their segments renumbered into the partition ``segs``."""
    return {"seg": np.searchsorted(segs, s.seg[pos]).astype(np.int64), "t": s.t[pos], "access_m": s.access_m[pos],
            "x": s.x[pos], "y": s.y[pos]}


def _as_snapped(a: dict[str, np.ndarray]) -> _Snapped:
    from .core import _Snapped

    n = len(a["seg"])
    return _Snapped(pd.RangeIndex(n), None, np.full(n, "ok", dtype=object), a["seg"], a["t"], a["access_m"],
                    a["x"], a["y"])


def _task(kind: str, ref: Any, dem: dict, fac: dict, limit_s: float, access_speed_mps: float) -> tuple:
    """One partition task (runs on a worker): ``nearest`` → (seconds, facility), ``od`` → (rows, cols, seconds)."""
    net = _worker_net(ref)
    old = settings.access_speed_mps
    settings.access_speed_mps = access_speed_mps
    try:
        d, f = _as_snapped(dem), _as_snapped(fac)
        if kind == "nearest":
            return net._nearest_snapped(f, d)
        if kind == "od":
            return net._od_snapped(f, d, limit_s)
        msg = f"unknown task {kind!r}"
        raise ValueError(msg)
    finally:
        settings.access_speed_mps = old


def _areas_task(ref: Any, fac: dict, access_speed_mps: float, options: dict) -> list:
    """One service-area task: the records of :func:`mzgeo.network.isochrone._areas_snapped`."""
    from . import isochrone

    net = _worker_net(ref)
    old = settings.access_speed_mps
    settings.access_speed_mps = access_speed_mps
    try:
        return isochrone._areas_snapped(net, _as_snapped(fac), **options)
    finally:
        settings.access_speed_mps = old


# --- executors ---------------------------------------------------------------------------------------


def get_client(executor: Any = None) -> Any:
    """Return the Dask client of an executor, or ``None`` to run in this process.

    Parameters
    ----------
    executor : None, "serial", "local", str or distributed.Client
        ``None``: ``settings.executor``. ``"serial"`` (or ``None`` there): this process.
        ``"local"``: a ``LocalCluster`` of ``settings.workers`` processes (default one per
        core), one thread and ``settings.worker_memory_limit`` each, started once per process
        and closed at exit. An address (``"tcp://host:8786"``): a client of that scheduler
        (kept per address). A ``distributed.Client``: itself.

    Returns
    -------
    distributed.Client or None

    Raises
    ------
    InputError
        An executor of another kind, or ``dask.distributed`` not installed.
    """
    executor = settings.executor if executor is None else executor
    if executor is None or (isinstance(executor, str) and executor.strip().lower() in ("serial", "none", "")):
        return None
    try:
        import distributed
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        msg = "executor 需要 dask.distributed：pip install 'dask[distributed]'"
        raise InputError(msg) from exc
    if isinstance(executor, distributed.Client):
        return executor
    if not isinstance(executor, str):
        msg = f"executor 应为 None、\"local\"、调度器地址（tcp://主机:8786）或 distributed.Client，收到 {executor!r}"
        raise InputError(msg)
    if executor.strip().lower() == "local":
        n = settings.workers or os.cpu_count() or 1
        key = ("local", int(n), settings.worker_memory_limit)
        client = _CLIENTS.get(key)
        if client is None or client.status != "running":
            cluster = distributed.LocalCluster(n_workers=int(n), threads_per_worker=1, processes=True,
                                               memory_limit=settings.worker_memory_limit, dashboard_address=":0")
            client = distributed.Client(cluster)
            _CLIENTS[key] = client
        return client
    address = executor.strip()
    client = _CLIENTS.get(address)
    if client is None or client.status != "running":
        try:
            client = distributed.Client(address, timeout="20s")
        except (OSError, TimeoutError) as exc:
            msg = f"无法连接 Dask 调度器 {address}：{exc} (cannot reach the scheduler)"
            raise InputError(msg) from exc
        _CLIENTS[address] = client
    return client


def close_clients() -> None:
    """Close the clients (and local clusters) started by :func:`get_client`."""
    while _CLIENTS:
        _, client = _CLIENTS.popitem()
        cluster = getattr(client, "cluster", None)
        with contextlib.suppress(Exception):
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


atexit.register(close_clients)


def _is_local(client: Any) -> bool:
    """Whether the cluster's workers share this machine's disk (a LocalCluster of this process)."""
    import distributed

    return isinstance(getattr(client, "cluster", None), distributed.LocalCluster)


def _run(func: Callable, tasks: list[tuple], client: Any, label: str) -> list[Any]:
    """Run ``func(*task)`` for every task (in order), in this process or on the cluster."""
    rep = _REPORTER.get()
    step = rep.step(label, total=len(tasks)) if hasattr(rep, "step") else contextlib.nullcontext(None)
    out: list[Any] = [None] * len(tasks)
    with step as st:
        if client is None:
            for i, t in enumerate(tasks):
                out[i] = func(*t)
                if st is not None:
                    st.advance()
        else:
            import distributed

            link = getattr(client, "dashboard_link", None)
            if link and not getattr(client, "_mzgeo_link_said", False):
                _say(f"Dask 集群：{len(client.scheduler_info().get('workers', {}))} 个工作进程，面板 {link}")
                client._mzgeo_link_said = True
            futures = [client.submit(func, *t, pure=False) for t in tasks]
            where = {f.key: i for i, f in enumerate(futures)}
            for fut in distributed.as_completed(futures):
                out[where[fut.key]] = fut.result()
                if st is not None:
                    st.advance()
    log.info("%s：%d 个分区完成", label, len(tasks))
    return out


# --- partitioned analyses ---------------------------------------------------------------------------


def _plan(
    net: Network, dem: _Snapped, fac: _Snapped, units: np.ndarray, reach: float, client: Any,
    by: str = "demand",
) -> tuple[list[tuple[Any, np.ndarray, np.ndarray]], list[tuple]]:
    """Per unit: (unit, demand positions, facility positions) and the task arguments (without kind).

    ``by="demand"`` groups the demand points by unit (``units`` aligned with the demand) and
    gives each task the facilities on its roads; ``by="facilities"`` groups the facilities
    (``units`` aligned with them) and gives each task the demand points on its roads, so
    each facility's search runs once in all.
    """
    drows = np.flatnonzero(dem.ok)
    fok = np.flatnonzero(fac.ok)
    local = client is not None and _is_local(client)
    grouped, other = (dem, fac) if by == "demand" else (fac, dem)
    other_ok = fok if by == "demand" else drows
    parts, args = [], []
    for unit, gpos in _groups(units, drows if by == "demand" else fok):
        xy = np.column_stack([grouped.x[gpos], grouped.y[gpos]])
        segs = np.union1d(_segments_within(net, xy, reach), grouped.seg[gpos])
        opos = other_ok[np.isin(other.seg[other_ok], segs)]
        dpos, fpos = (gpos, opos) if by == "demand" else (opos, gpos)
        ref = _net_ref(net, segs, client, local)
        parts.append((unit, dpos, fpos))
        args.append((ref, _snapped_arrays(dem, dpos, segs), _snapped_arrays(fac, fpos, segs)))
    return parts, args


def nearest(
    net: Network, facilities: Any, demand: Any, *, partition: Any, executor: Any = None,
    max_snap_m: float | None = None, within_minutes: float | None = None,
) -> pd.DataFrame:
    """Partitioned :meth:`Network.nearest <mzgeo.network.Network.nearest>` (the same result).

    Each unit's task answers exactly up to ``within_minutes`` (its roads reach
    ``within_minutes × 60 × top speed + max_snap_m`` around the unit's demand); demand
    points with a longer answer, or none, are recomputed on the whole network here.

    Parameters
    ----------
    net : Network
        The whole network.
    facilities, demand : geopandas.GeoDataFrame
        Facility and demand points in any CRS.
    partition : {"county"} or geopandas.GeoDataFrame
        Units (see :func:`partition_groups`).
    executor : None, "local", str or distributed.Client, optional
        See :func:`get_client`.
    max_snap_m : float, optional
        Snapping distance (m); default ``settings.max_snap_m``.
    within_minutes : float, optional
        Exact bound of the tasks (minutes); default ``settings.partition_nearest_minutes``.

    Returns
    -------
    pandas.DataFrame
        As :meth:`Network.nearest <mzgeo.network.Network.nearest>`.
    """
    fac = net._snap(facilities, max_snap_m, "facilities")
    dem = net._snap(demand, max_snap_m, "demand")
    net._report(fac, "facility")
    limit = float(settings.partition_nearest_minutes if within_minutes is None else within_minutes)
    if not limit > 0:
        msg = f"within_minutes 必须 > 0，收到 {within_minutes!r}"
        raise InputError(msg)
    reach = reach_m(net, limit, max_snap_m)
    units = partition_groups(net, demand, partition)
    if not math.isfinite(reach):
        log.info("分区可达范围无界（时间上限或最高速度为无穷），使用整个路网 (unbounded reach: whole network)")
        best, who = net._nearest_snapped(fac, dem)
        return net._nearest_frame(fac, dem, best, who)
    client = get_client(executor)
    parts, args = _plan(net, dem, fac, units, reach, client)
    res = _run(_task, [("nearest", *a, math.inf, settings.access_speed_mps) for a in args], client,
               f"分区计算最近设施（{len(parts)} 个分区）")
    best = np.full(len(dem.status), np.inf)
    who = np.full(len(dem.status), -1, np.int64)
    limit_s = limit * 60.0
    for (_, dpos, fpos), (b, w) in zip(parts, res, strict=True):
        sure = np.isfinite(b) & (b <= limit_s)
        best[dpos[sure]] = b[sure]
        who[dpos[sure]] = fpos[w[sure]]
    rest = np.flatnonzero(dem.ok & ~np.isfinite(best))
    if len(rest):
        log.info("分区最近设施：%d 个需求点超出 %g 分钟，在整个路网上重算 (recomputed on the whole network)",
                 len(rest), limit)
        sub = _subset(dem, rest)
        b, w = net._nearest_snapped(fac, sub)
        best[rest], who[rest] = b, w
    return net._nearest_frame(fac, dem, best, who)


def _subset(s: _Snapped, pos: np.ndarray) -> _Snapped:
    from .core import _Snapped

    return _Snapped(s.labels[pos], None if s.name_col is None else s.name_col.iloc[pos], s.status[pos], s.seg[pos],
                    s.t[pos], s.access_m[pos], s.x[pos], s.y[pos])


def od(
    net: Network, facilities: Any, demand: Any, *, cutoff_minutes: float, partition: Any, executor: Any = None,
    max_snap_m: float | None = None,
) -> ODMatrix:
    """Partitioned :meth:`Network.od <mzgeo.network.Network.od>`: the same pairs within the cutoff.

    The searches run from the facilities, so the facilities are grouped by unit (their
    county code, or the polygon holding them; the demand is grouped when the facilities
    have no county code): each unit's task gets its facilities and every road and demand
    point within ``cutoff_minutes × 60 × top speed + max_snap_m`` of them. The bound is
    the module's, read from the facility's end: a path of at most the cutoff never gets
    farther than that from the facility, so no path within the cutoff leaves the task's
    network. Each facility's search runs once in all; the pairs of all units are
    concatenated.

    Parameters
    ----------
    net : Network
        The whole network.
    facilities, demand : geopandas.GeoDataFrame
        Destinations and origins in any CRS.
    cutoff_minutes : float
        Largest travel time kept (minutes, > 0).
    partition : {"county"} or geopandas.GeoDataFrame
        Units (see :func:`partition_groups`).
    executor : None, "local", str or distributed.Client, optional
        See :func:`get_client`.
    max_snap_m : float, optional
        Snapping distance (m).

    Returns
    -------
    ODMatrix
        As :meth:`Network.od <mzgeo.network.Network.od>`.
    """
    cutoff = float(cutoff_minutes)
    dem = net._snap(demand, max_snap_m, "demand")
    fac = net._snap(facilities, max_snap_m, "facilities")
    problems = [net._report(dem, "demand"), net._report(fac, "facility")]
    reach = reach_m(net, cutoff, max_snap_m)
    if not math.isfinite(reach):
        log.info("分区可达范围无界（时间上限或最高速度为无穷），使用整个路网 (unbounded reach: whole network)")
        r, c, s = net._od_snapped(fac, dem, cutoff * 60.0)
        return net._od_result(fac, dem, r, c, s, cutoff, problems)
    # The searches run from the facilities: grouping them by unit runs each search once in
    # all (grouping the demand would repeat a facility's search in every unit within reach).
    # The bound is symmetric: a pair within the cutoff lies on roads within reach of the facility.
    by = "facilities"
    try:
        units = partition_groups(net, facilities, partition)
    except InputError:
        by, units = "demand", partition_groups(net, demand, partition)
    client = get_client(executor)
    parts, args = _plan(net, dem, fac, units, reach, client, by=by)
    res = _run(_task, [("od", *a, cutoff * 60.0, settings.access_speed_mps) for a in args], client,
               f"分区计算出行时间（{len(parts)} 个分区）")
    rows, cols, secs = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0)]
    for (_, dpos, fpos), (r, c, s) in zip(parts, res, strict=True):
        rows.append(dpos[r])
        cols.append(fpos[c])
        secs.append(s)
    return net._od_result(fac, dem, np.concatenate(rows), np.concatenate(cols), np.concatenate(secs), cutoff,
                          problems)


def service_areas(net: Network, facilities: Any, *, partition: Any, executor: Any = None,
                  max_snap_m: float | None = None, **options: Any) -> gpd.GeoDataFrame:
    """Partitioned :meth:`Network.service_areas <mzgeo.network.Network.service_areas>` (``how="overlap"``).

    The facilities are grouped by unit; each task gets the roads within
    ``max(minutes) × 60 × top speed + max_snap_m`` of its facilities, which hold every road
    a facility reaches in time, so each facility's polygons are those of the whole network.

    Parameters
    ----------
    net : Network
        The whole network.
    facilities : geopandas.GeoDataFrame
        Facility points in any CRS.
    partition : {"county"} or geopandas.GeoDataFrame
        Units of the facilities (see :func:`partition_groups`).
    executor : None, "local", str or distributed.Client, optional
        See :func:`get_client`.
    max_snap_m : float, optional
        Snapping distance (m).
    **options
        The checked options of :func:`mzgeo.network.isochrone.service_areas` (``breaks``,
        ``how``, ``rings``, ``polygon``, ``cell_m``, ``buffer_m``, ``fill_holes``,
        ``simplify``, ``toward``).

    Returns
    -------
    tuple
        The snapped facilities and the records ``(facility label, minutes_from, minutes_to,
        geometry)`` in facility order.
    """
    from . import isochrone

    fac = net._snap(facilities, max_snap_m, "facilities")
    net._report(fac, "facility")
    reach = reach_m(net, float(options["breaks"][-1]), max_snap_m)
    units = partition_groups(net, facilities, partition)
    if not math.isfinite(reach):
        log.info("分区可达范围无界（时间上限或最高速度为无穷），使用整个路网 (unbounded reach: whole network)")
        return fac, isochrone._areas_snapped(net, fac, **options)
    client = get_client(executor)
    fok = np.flatnonzero(fac.ok)
    local = client is not None and _is_local(client)
    tasks, owners = [], []
    for _, fpos in _groups(units, fok):
        xy = np.column_stack([fac.x[fpos], fac.y[fpos]])
        segs = np.union1d(_segments_within(net, xy, reach), fac.seg[fpos])
        tasks.append((_net_ref(net, segs, client, local), _snapped_arrays(fac, fpos, segs),
                      settings.access_speed_mps, options))
        owners.append(fpos)
    res = _run(_areas_task, tasks, client, f"分区计算服务范围（{len(tasks)} 个分区）")
    pos = [int(fpos[k]) for fpos, part in zip(owners, res, strict=True) for k, _, _, _ in part]
    flat = [r for part in res for r in part]
    order = np.argsort(np.asarray(pos, np.int64), kind="stable")
    return fac, [(fac.labels[pos[i]], flat[i][1], flat[i][2], flat[i][3]) for i in order]
