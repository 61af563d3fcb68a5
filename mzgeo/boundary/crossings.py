"""Where boundary lines meet roads, rivers and railways (穿越点)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ..layers import KINDS
from . import _geometry
from ._geometry import check_same_crs, flatten, require_columns
from .lines import BoundaryLines, _as_lines

logger = logging.getLogger("mzgeo")

__all__ = [
    "line_crossings",
]

CROSSING_COLUMNS = [
    "line_name",
    "crossing_no",
    "chainage_km",
    "layer",
    "feature_name",
    "feature_class",
    "crossing_type",
    "overlap_m",
    "feature_index",
    "geometry",
]

ASSIGNED_BY_FIELD = "界线字段"
ASSIGNED_BY_NEAREST = "最近界线"

_CLASS_COLUMNS = ("road_class", "river_class", "rail_class", "class", "fclass", "highway")



# --- crossings ------------------------------------------------------------------------------------


def crossings(
    lines: gpd.GeoDataFrame,
    layers: dict[str, gpd.GeoDataFrame],
    name_col: str,
    class_col: str | None,
) -> gpd.GeoDataFrame:
    """Crossing points of each line with line features (see ``line_crossings``)."""
    line_geoms = lines.geometry.values
    line_names = lines["line_name"].astype(str).to_numpy()
    frames = []
    for layer, feats in layers.items():
        check_same_crs(lines, feats, "界线", f"图层「{layer}」")
        if len(feats) == 0 or len(lines) == 0:
            continue
        fgeoms = feats.geometry.values
        ccol = class_col if class_col is not None else next((c for c in _CLASS_COLUMNS if c in feats.columns), None)
        if class_col is not None and class_col not in feats.columns:
            require_columns(feats, [class_col], f"图层「{layer}」")
        tree = shapely.STRtree(fgeoms)
        li, fi = tree.query(line_geoms, predicate="intersects")
        if len(li) == 0:
            continue
        inter = shapely.intersection(line_geoms[li], fgeoms[fi])
        parts, pidx = flatten(inter)
        types = shapely.get_type_id(parts)
        is_pt = types == 0
        is_ln = types == 1
        keep = is_pt | is_ln
        parts, pidx, is_ln = parts[keep], pidx[keep], is_ln[keep]
        geom = parts.copy()
        if is_ln.any():
            geom[is_ln] = shapely.line_interpolate_point(parts[is_ln], 0.5, normalized=True)
        lpos, fpos = li[pidx], fi[pidx]
        chain = shapely.line_locate_point(line_geoms[lpos], geom) / 1000.0
        names = feats[name_col].to_numpy(dtype=object)[fpos] if name_col in feats.columns else np.full(len(fpos), None)
        classes = feats[ccol].to_numpy(dtype=object)[fpos] if ccol else np.full(len(fpos), None)
        frames.append(
            pd.DataFrame(
                {
                    "line_name": line_names[lpos],
                    "chainage_km": np.round(chain, 4),
                    "layer": layer,
                    "feature_name": names,
                    "feature_class": classes,
                    "crossing_type": np.where(is_ln, "重合", "穿越"),
                    "overlap_m": np.round(np.where(is_ln, shapely.length(parts), 0.0), 2),
                    "feature_index": feats.index.to_numpy()[fpos],
                    "x": np.round(shapely.get_x(geom), 2),
                    "y": np.round(shapely.get_y(geom), 2),
                    "geometry": geom,
                }
            )
        )
    if not frames:
        empty = gpd.GeoDataFrame({c: [] for c in CROSSING_COLUMNS}, geometry="geometry", crs=lines.crs)
        empty["chainage_km"] = empty["chainage_km"].astype("float64")
        empty["crossing_no"] = empty["crossing_no"].astype("int64")
        return empty
    df = pd.concat(frames, ignore_index=True)
    # the same crossing seen from two features meeting on the line is kept once
    dup = df.assign(_name=df["feature_name"].astype(str)).duplicated(["line_name", "layer", "x", "y", "_name"])
    df = df[~dup].sort_values(["line_name", "chainage_km"], kind="stable", ignore_index=True)
    df["crossing_no"] = df.groupby("line_name").cumcount() + 1
    out = gpd.GeoDataFrame(df.drop(columns=["x", "y"]), geometry="geometry", crs=lines.crs)
    return out[CROSSING_COLUMNS]


def line_crossings(
    lines: gpd.GeoDataFrame | BoundaryLines,
    features: gpd.GeoDataFrame | Mapping[str, gpd.GeoDataFrame],
    *,
    name_col: str = "name",
    class_col: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Where boundary lines meet roads, rivers, railways: places to check for construction.

    Parameters
    ----------
    lines : GeoDataFrame or BoundaryLines
        Boundary lines with ``line_name``, metric CRS.
    features : GeoDataFrame or mapping
        A line layer, or several as ``{"道路": roads, "河流": rivers, "铁路": railways}``
        (same CRS as the lines).
    name_col : str
        Feature name column (missing → empty names).
    class_col : str, optional
        Feature class column; default the first of ``road_class``, ``river_class``,
        ``rail_class``, ``class``, ``fclass``, ``highway`` present.
    layer : str, optional
        Label of a single layer; default the layer kind's Chinese name (道路...) or 线状地物.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per crossing point, sorted by line and chainage: ``line_name``,
        ``crossing_no`` (1.. per line), ``chainage_km`` (km, as :data:`CHAINAGE_RULE`),
        ``layer``, ``feature_name``, ``feature_class``, ``crossing_type`` (穿越, or 重合 where
        the feature runs along the line: the point is the middle of the shared stretch),
        ``overlap_m`` (m, length of a 重合 stretch), ``feature_index`` (index in the layer),
        geometry (Point). The same point reached by two touching features of the same name
        is listed once.
    """
    frame, _ = _as_lines(lines)
    if isinstance(features, gpd.GeoDataFrame):
        label = layer or (KINDS[features.attrs["mzgeo_kind"]].name_zh
                          if features.attrs.get("mzgeo_kind") in KINDS else "线状地物")
        layers = {label: features}
    elif isinstance(features, Mapping):
        layers = dict(features)
    else:
        msg = f"features 应为 GeoDataFrame 或 {{图层名: GeoDataFrame}}，收到 {type(features).__name__}"
        raise InputError(msg)
    for name, feats in layers.items():
        _geometry.check_metric(feats, f"图层「{name}」")
        _geometry.check_geom_types(feats, ("LineString", "MultiLineString"), f"图层「{name}」")
    out = crossings(frame.reset_index(drop=True), layers, name_col, class_col)
    logger.info("line_crossings: %d crossings on %d lines", len(out), len(frame))
    return out

