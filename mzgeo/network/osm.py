"""OpenStreetMap road networks: the OSM file readers, the one OSM tag table, OSMnx download.

:func:`from_osm` (``Network.from_osm``) reads ``.osm``, ``.osm.bz2`` and ``.osm.pbf`` files with
pyosmium (libosmium) through one reader (:func:`_read_osm_file`), so XML and PBF copies of the
same data give the same network; which ways are roads for each mode follows one tag table
(:data:`OSM_DRIVE`, :data:`OSM_NEVER`, :data:`OSM_ONEWAY`, :data:`OSM_IMPLIED_ONEWAY`,
:data:`OSM_NO_ACCESS`, :data:`OSM_FOOT_YES`, :data:`OSM_SIDEWALK`; see :func:`_osm_keep`).
:func:`from_osmnx_polygon` downloads with OSMnx (needs internet).

Examples
--------
>>> import pandas as pd
>>> tags = pd.DataFrame({"highway": ["primary", "footway", "motorway"], "oneway": [None, None, "no"]})
>>> _osm_keep(tags, "drive").tolist(), _osm_oneway(tags).tolist()
([True, False, True], ['both', 'both', 'both'])
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .. import settings
from ..errors import CRSError, InputError, NetworkError
from . import _graph
from . import build as _build
from . import cache as _cache

if TYPE_CHECKING:
    from .core import Network

__all__ = [
    "OSM_DRIVE", "OSM_FOOT_YES", "OSM_IMPLIED_ONEWAY", "OSM_NEVER", "OSM_NO_ACCESS", "OSM_ONEWAY", "OSM_SIDEWALK",
    "from_osm", "from_osmnx_polygon",
]

log = logging.getLogger("mzgeo")

# --- the OSM tag table -------------------------------------------------------------------------

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



# --- building -------------------------------------------------------------------------------


def from_osm(
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
    mode = _build._check_mode(mode)
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
    walk = _build._walk_speed(walk_speed_mps)
    table = _build._speed_table(speeds_kph)
    params: dict[str, Any] = {"mode": mode, "source": f"osm:{path.name}", "reader": kind,
                              "polygon": poly.wkt if poly is not None else None}
    if mode == "walk":
        params.update(walk_speed_mps=walk)
    else:
        params.update(speeds_kph=table, default_drive_speed_kph=settings.default_drive_speed_kph)
    key = None
    if _cache.use_cache(cache):
        key = f"osm-{_cache.params_digest(params, settings.metric_crs, settings.no_walk_classes, _cache.file_digest(path))[:32]}"
        net = _cache.load_network(key)
        if net is not None:
            return net
    t0 = time.perf_counter()
    reader = _read_pbf if kind == "pbf" else _read_osm_xml
    x, y, u, v, geoms, attrs, directed, cuts = reader(path, mode, poly)
    if len(u) == 0:
        msg = f"{path.name} 中没有可用的道路（highway）(no usable roads){'，请检查裁剪范围' if poly is not None else ''}"
        raise NetworkError(msg)
    net = _build._from_directed_edges(
        x, y, u, v, geoms, None, attrs, crs=4326, directed=directed, mode=mode,
        speeds_kph=speeds_kph, walk_speed_mps=walk_speed_mps, params=params, walk_classes=False,
    )
    if len(cuts):
        tr = pyproj.Transformer.from_crs(4326, net.crs, always_xy=True)
        cx, cy = tr.transform(cuts[:, 0], cuts[:, 1])
        net.build_report = _build._build_report_frame(np.full(len(cuts), "cut_at_missing_node"), np.column_stack([cx, cy]))
        log.info("%s: %d 处路段引用了文件中没有的节点，已截断 (ways cut at missing nodes)", path.name, len(cuts))
    net.params["build_fixes"] = _build._fix_counts(net.build_report)
    log.info("from_osm %s: %s, %.2f s", path.name, net, time.perf_counter() - t0)
    if key is not None:
        _cache.save_network(net, key)
    return net

def from_osmnx_polygon(
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

    mode = _build._check_mode(mode)
    poly = _polygon_lonlat(polygon)
    G = ox.graph_from_polygon(poly, network_type=mode, simplify=True, retain_all=True)
    net = _build.from_networkx(G, weight=None, mode=mode, speeds_kph=speeds_kph, walk_speed_mps=walk_speed_mps)
    net.params["source"] = "osmnx:graph_from_polygon"
    return net

# -- cache ----------------------------------------------------------------------------
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
