"""Candidate sites for the location models: :func:`candidate_sites`.

Village / community centres without a facility nearby, or a regular grid inside the study
area, outside exclusion zones; geographic input is projected (the one CRS policy).
"""


from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from ..crs import analysis_layers
from ..errors import InputError
from .problem import _points

log = logging.getLogger("mzgeo")


def candidate_sites(
    layer: Any,
    *,
    how: str = "villages",
    existing: Any = None,
    spacing_m: float | None = None,
    exclude: Any = None,
    exclude_buffer_m: float = 0.0,
    min_distance_m: float = 300.0,
    name_col: str = "name",
    max_points: int = 200_000,
) -> Any:
    """Generate candidate sites: village centres without a facility, or a regular grid.

    Parameters
    ----------
    layer : GeoDataFrame, GeoSeries or shapely geometry
        ``how="villages"``: village / community centre points (polygons use a point on
        their surface). ``how="grid"``: the study area (polygons) the grid is laid in.
    how : {"villages", "grid"}
        ``"villages"`` keeps the villages with no existing facility within
        ``min_distance_m``; ``"grid"`` lays square-grid points (cell centres, spacing
        ``spacing_m``) inside the area.
    existing : GeoDataFrame, optional
        Existing facilities; no candidate within ``min_distance_m`` of one.
    spacing_m : float, optional
        Grid spacing (metres); required with ``how="grid"``.
    exclude : GeoDataFrame, GeoSeries or geometry, optional
        Zones where no candidate may lie (water bodies, no-burial zones, 五区...).
    exclude_buffer_m : float
        Extra distance (m) kept from the exclusion zones.
    min_distance_m : float
        Smallest distance (m) from an existing facility (0 disables the check).
    name_col : str
        Village name column (copied to ``name``).
    max_points : int
        Refuse a grid with more points than this (spacing too small).

    Returns
    -------
    geopandas.GeoDataFrame
        Index ``C00001``, ``C00002``… (never colliding with facility indexes, name
        ``candidate``); columns ``name``, ``source`` (``"村社区中心"`` / ``"规则网格"``),
        ``village`` (index value of the village, villages only), ``geometry`` (points);
        the analysis CRS of the inputs (geographic or mixed inputs are projected, see
        :func:`mzgeo.crs.analysis_layers`).

    Raises
    ------
    CRSError
        A layer without a CRS.
    InputError
        Unknown ``how``, missing ``spacing_m``, too many grid points.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> area = gpd.GeoSeries([box(0, 0, 1000, 1000)], crs=4549)
    >>> len(candidate_sites(area, how="grid", spacing_m=250))
    16
    """
    import geopandas as gpd
    import shapely

    if how not in ("villages", "grid"):
        msg = f"how 只能是 'villages'（村社区中心）或 'grid'（规则网格），不是 {how!r}"
        raise InputError(msg)

    def as_geoms(obj: Any) -> tuple[np.ndarray, Any]:
        if obj is None:
            return np.zeros(0, dtype=object), None
        if isinstance(obj, gpd.GeoDataFrame):
            return np.asarray(obj.geometry.values, dtype=object), obj.crs
        if isinstance(obj, gpd.GeoSeries):
            return np.asarray(obj.values, dtype=object), obj.crs
        return np.asarray([obj], dtype=object), None

    # the one CRS policy (mzgeo.crs.analysis_layers): geographic or mixed input is projected
    frames = {"候选范围图层 layer": layer, "现有设施 existing": existing, "排除区 exclude": exclude}
    frames = {k: gpd.GeoDataFrame(geometry=gpd.GeoSeries(v.values, index=v.index, crs=v.crs))
              if isinstance(v, gpd.GeoSeries) else v
              for k, v in frames.items() if isinstance(v, (gpd.GeoDataFrame, gpd.GeoSeries))}
    crs, frames = analysis_layers(frames)
    if isinstance(layer, (gpd.GeoDataFrame, gpd.GeoSeries)):
        layer = frames["候选范围图层 layer"]
    if isinstance(existing, (gpd.GeoDataFrame, gpd.GeoSeries)):
        existing = frames["现有设施 existing"]
    if isinstance(exclude, (gpd.GeoDataFrame, gpd.GeoSeries)):
        exclude = frames["排除区 exclude"]
    geoms_in, _ = as_geoms(layer)
    if how == "villages":
        pts = _points(geoms_in) if len(geoms_in) else np.zeros(0, dtype=object)
        names = (layer[name_col].astype(object).to_numpy() if isinstance(layer, pd.DataFrame)
                 and name_col in layer.columns else np.full(len(pts), None, dtype=object))
        villages = (np.asarray(layer.index, dtype=object) if isinstance(layer, (pd.DataFrame, pd.Series))
                    else np.full(len(pts), None, dtype=object))
        out = pd.DataFrame({"name": names, "source": "村社区中心", "village": villages, "geometry": pts})
    else:
        if spacing_m is None or not spacing_m > 0:
            msg = f"how='grid' 需要正的网格间距 spacing_m（米），收到 {spacing_m!r}"
            raise InputError(msg)
        region = shapely.union_all(geoms_in)
        minx, miny, maxx, maxy = region.bounds
        xs = np.arange(minx + spacing_m / 2, maxx, spacing_m)
        ys = np.arange(miny + spacing_m / 2, maxy, spacing_m)
        if len(xs) * len(ys) > 4 * max_points:
            msg = f"网格太密：{len(xs)} × {len(ys)} 个点；请加大 spacing_m 或缩小研究区"
            raise InputError(msg)
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        shapely.prepare(region)
        inside = shapely.contains_xy(region, gx, gy)
        gx, gy = gx[inside], gy[inside]
        if len(gx) > max_points:
            msg = f"网格候选点 {len(gx)} 个，超过上限 {max_points}；请加大 spacing_m"
            raise InputError(msg)
        out = pd.DataFrame({"name": None, "source": "规则网格", "village": None, "geometry": shapely.points(gx, gy)})
    geoms = np.asarray(out["geometry"].to_numpy(), dtype=object)
    keep = np.ones(len(out), dtype=bool)
    eg, _ = as_geoms(exclude)
    if len(eg) and len(out):
        zone = shapely.union_all(eg)
        if exclude_buffer_m > 0:
            zone = shapely.buffer(zone, exclude_buffer_m)
        shapely.prepare(zone)
        keep &= ~shapely.intersects(zone, geoms)
    fg, _ = as_geoms(existing)
    if len(fg) and len(out) and min_distance_m > 0:
        tree = shapely.STRtree(_points(fg))
        hit, _ = tree.query(geoms, predicate="dwithin", distance=min_distance_m)
        keep[np.unique(hit)] = False
    out = out[keep].reset_index(drop=True).copy()  # a fresh frame: pandas 3 may share read-only buffers
    out.index = pd.Index([f"C{i:05d}" for i in range(1, len(out) + 1)], name="candidate", dtype=object)
    names = out["name"].astype(object)
    unnamed = names.isna().to_numpy()
    if unnamed.any():
        names = names.where(~unnamed, "候选点 " + pd.Series(out.index.astype(str), index=out.index))
    out["name"] = names
    log.info("生成候选点 %d 个（%s）", len(out), "村社区中心" if how == "villages" else f"网格 {spacing_m:g} 米")
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)
