"""Coordinate systems used by Chinese planners: WGS84, CGCS2000, GCJ-02 (Amap) and BD-09 (Baidu).

All conversion functions are vectorised: scalars or array-likes in, numpy arrays (or floats
for scalar input) out, in degrees. Points outside China are returned unchanged by the
GCJ-02 functions, as the official offset applies only inside China.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyproj

from . import settings
from .errors import CRSError

__all__ = [
    "GEOGRAPHIC_NAMES",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "gk_epsg_for_lon",
    "metric_crs",
    "out_of_china",
    "analysis_layers",
    "parse_crs",
    "to_metric",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by the GCJ-02 algorithm (m)
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0

#: Names accepted for the input coordinate system, besides any EPSG code.
GEOGRAPHIC_NAMES = {
    "wgs84": "wgs84",
    "wgs-84": "wgs84",
    "epsg:4326": "wgs84",
    "gps": "wgs84",
    "cgcs2000": "cgcs2000",
    "epsg:4490": "cgcs2000",
    "gcj02": "gcj02",
    "gcj-02": "gcj02",
    "amap": "gcj02",
    "gaode": "gcj02",
    "高德": "gcj02",
    "火星坐标": "gcj02",
    "tencent": "gcj02",
    "bd09": "bd09",
    "bd-09": "bd09",
    "baidu": "bd09",
    "百度": "bd09",
}


def _as_arrays(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    return np.atleast_1d(x), np.atleast_1d(y), scalar


def _out(x: np.ndarray, y: np.ndarray, scalar: bool) -> tuple[Any, Any]:
    if scalar:
        return float(x[0]), float(y[0])
    return x, y


def out_of_china(lon: Any, lat: Any) -> np.ndarray:
    """Whether points lie outside the rough box where GCJ-02 applies.

    Parameters
    ----------
    lon, lat : array-like
        Longitude and latitude in degrees.

    Returns
    -------
    numpy.ndarray of bool
    """
    x, y, _ = _as_arrays(lon, lat)
    return (x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271)


def _gcj_delta(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offset (degrees) that GCJ-02 adds to WGS84 coordinates ``x``, ``y`` (degrees)."""
    dx = x - 105.0
    dy = y - 35.0
    sabs = np.sqrt(np.abs(dx))
    pi = np.pi
    common = (20.0 * np.sin(6.0 * dx * pi) + 20.0 * np.sin(2.0 * dx * pi)) * 2.0 / 3.0
    t_lat = -100.0 + 2.0 * dx + 3.0 * dy + 0.2 * dy * dy + 0.1 * dx * dy + 0.2 * sabs
    t_lat += common
    t_lat += (20.0 * np.sin(dy * pi) + 40.0 * np.sin(dy / 3.0 * pi)) * 2.0 / 3.0
    t_lat += (160.0 * np.sin(dy / 12.0 * pi) + 320.0 * np.sin(dy * pi / 30.0)) * 2.0 / 3.0
    t_lon = 300.0 + dx + 2.0 * dy + 0.1 * dx * dx + 0.1 * dx * dy + 0.1 * sabs
    t_lon += common
    t_lon += (20.0 * np.sin(dx * pi) + 40.0 * np.sin(dx / 3.0 * pi)) * 2.0 / 3.0
    t_lon += (150.0 * np.sin(dx / 12.0 * pi) + 300.0 * np.sin(dx / 30.0 * pi)) * 2.0 / 3.0
    rad_lat = y / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (t_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    d_lon = (t_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * pi)
    outside = out_of_china(x, y)
    d_lon = np.where(outside, 0.0, d_lon)
    d_lat = np.where(outside, 0.0, d_lat)
    return d_lon, d_lat


def wgs84_to_gcj02(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Convert WGS84 (or CGCS2000) lon/lat to GCJ-02 (Amap, Tencent).

    Parameters
    ----------
    lon, lat : float or array-like
        WGS84 longitude and latitude in degrees.

    Returns
    -------
    tuple
        GCJ-02 longitude and latitude in degrees (floats for scalar input, arrays otherwise).

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02(120.0865, 30.8944)
    >>> round(lon - 120.0865, 4), round(lat - 30.8944, 4)
    (0.0049, -0.002)
    """
    x, y, scalar = _as_arrays(lon, lat)
    d_lon, d_lat = _gcj_delta(x, y)
    return _out(x + d_lon, y + d_lat, scalar)


def gcj02_to_wgs84(lon: Any, lat: Any, *, tol_deg: float = 1e-9, max_iter: int = 30) -> tuple[Any, Any]:
    """Convert GCJ-02 (Amap, Tencent) lon/lat to WGS84 by fixed-point iteration.

    GCJ-02 has no closed-form inverse. Starting from the GCJ-02 point, the WGS84 guess is
    corrected by the forward offset until it moves less than ``tol_deg`` (1e-9 degrees is
    about 0.1 mm), so the error is far below the 0.5 m planners need.

    Parameters
    ----------
    lon, lat : float or array-like
        GCJ-02 longitude and latitude in degrees.
    tol_deg : float
        Convergence tolerance in degrees.
    max_iter : int
        Largest number of iterations.

    Returns
    -------
    tuple
        WGS84 longitude and latitude in degrees.
    """
    gx, gy, scalar = _as_arrays(lon, lat)
    wx, wy = gx.copy(), gy.copy()
    for _ in range(max_iter):
        d_lon, d_lat = _gcj_delta(wx, wy)
        nx = gx - d_lon
        ny = gy - d_lat
        moved = np.nanmax(np.abs(np.concatenate([nx - wx, ny - wy]))) if nx.size else 0.0
        wx, wy = nx, ny
        if not moved > tol_deg:
            break
    return _out(wx, wy, scalar)


def gcj02_to_bd09(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Convert GCJ-02 lon/lat to BD-09 (Baidu), in degrees."""
    x, y, scalar = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _out(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006, scalar)


def bd09_to_gcj02(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Convert BD-09 (Baidu) lon/lat to GCJ-02, in degrees."""
    bx, by, scalar = _as_arrays(lon, lat)
    x = bx - 0.0065
    y = by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return _out(z * np.cos(theta), z * np.sin(theta), scalar)


def bd09_to_wgs84(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Convert BD-09 (Baidu) lon/lat to WGS84, in degrees (through GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Convert WGS84 lon/lat to BD-09 (Baidu), in degrees (through GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def parse_crs(crs: Any) -> tuple[str, pyproj.CRS | None]:
    """Interpret a declared input coordinate system.

    Parameters
    ----------
    crs : str, int or pyproj.CRS
        ``"wgs84"``, ``"cgcs2000"``, ``"gcj02"``, ``"bd09"`` (and Chinese aliases such as
        ``"高德"``, ``"百度"``), an EPSG code (``4549``, ``"EPSG:4549"``) or any pyproj CRS.

    Returns
    -------
    tuple
        ``(kind, crs)``: kind is ``"wgs84"``, ``"cgcs2000"``, ``"gcj02"``, ``"bd09"`` or
        ``"other"``; crs is the pyproj CRS the coordinates are labelled with
        (EPSG:4326 for the obfuscated systems, which are then converted).

    Raises
    ------
    CRSError
        The value is not a known name nor a CRS pyproj understands.
    """
    if isinstance(crs, str) and crs.strip().lower() in GEOGRAPHIC_NAMES:
        kind = GEOGRAPHIC_NAMES[crs.strip().lower()]
        return kind, pyproj.CRS.from_epsg(4490 if kind == "cgcs2000" else 4326)
    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except Exception as exc:  # pyproj raises CRSError of its own
        names = "、".join(sorted({"wgs84", "cgcs2000", "gcj02", "bd09"}))
        msg = f"无法识别的坐标系 {crs!r}：可用 {names} 或 EPSG 代码（如 4549） (unknown CRS)"
        raise CRSError(msg) from exc
    epsg = parsed.to_epsg()
    if epsg == 4326:
        return "wgs84", parsed
    if epsg == 4490:
        return "cgcs2000", parsed
    return "other", parsed


def gk_epsg_for_lon(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger zone (no zone prefix) for a longitude.

    Parameters
    ----------
    lon : float
        Longitude in degrees (between 73.5 and 136.5).

    Returns
    -------
    int
        EPSG:4534 (central meridian 75°E) to EPSG:4554 (135°E); 4549 for Huzhou (120°E).

    Examples
    --------
    >>> gk_epsg_for_lon(119.9)
    4549
    """
    cm = int(round(lon / 3.0)) * 3
    if not 75 <= cm <= 135:
        msg = f"经度 {lon:.3f} 不在中国境内，无法选择高斯-克吕格投影带 (longitude outside China)"
        raise CRSError(msg)
    return 4534 + (cm - 75) // 3


def metric_crs(gdf: Any = None, *, lon: float | None = None) -> pyproj.CRS:
    """Return the metric CRS used for analysis.

    ``settings.metric_crs`` when set, else the CGCS2000 3-degree Gauss-Krüger zone of the
    data's mean longitude.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame, optional
        Data with a CRS; its centre decides the zone.
    lon : float, optional
        A longitude in degrees (used instead of ``gdf``).

    Returns
    -------
    pyproj.CRS
    """
    if settings.metric_crs is not None:
        return pyproj.CRS.from_user_input(settings.metric_crs)
    if lon is None:
        if gdf is None or len(gdf) == 0:
            msg = "无法确定分析用的投影坐标系：没有数据，也未设置 settings.metric_crs"
            raise CRSError(msg)
        if gdf.crs is None:
            msg = "数据没有坐标系 (missing CRS)：请在读取时声明 crs=，如 crs='wgs84'"
            raise CRSError(msg)
        bounds = gdf.to_crs(4326).total_bounds
        lon = float((bounds[0] + bounds[2]) / 2.0)
    return pyproj.CRS.from_epsg(gk_epsg_for_lon(lon))


def to_metric(gdf: Any, crs: Any = None) -> Any:
    """Return a copy of ``gdf`` in the metric analysis CRS (unchanged if already there).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Data with a CRS.
    crs : optional
        Target CRS; default :func:`metric_crs` of the data.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    CRSError
        ``gdf`` has no CRS.
    """
    if gdf.crs is None:
        msg = "数据没有坐标系 (missing CRS)：请在读取时声明 crs=，如 crs='wgs84'"
        raise CRSError(msg)
    target = pyproj.CRS.from_user_input(crs) if crs is not None else metric_crs(gdf)
    if gdf.crs == target:
        return gdf.copy()
    return gdf.to_crs(target)


def analysis_layers(layers: dict[str, Any]) -> tuple[pyproj.CRS | None, dict[str, Any]]:
    """Bring named layers into one metric analysis CRS: the one CRS policy of mzgeo.

    Every entry point (analyses, location models, networks) calls this rule:

    - a layer without a CRS is an error (the user must declare it when reading);
    - if every layer with geometry is already in one projected CRS, that CRS is kept;
    - otherwise (geographic input, or layers in different CRSs) every layer is projected to
      :func:`metric_crs` of the first layer with geometry (``settings.metric_crs`` when set).

    Parameters
    ----------
    layers : dict of str to GeoDataFrame or None
        Layer names (as the user knows them, in Chinese) and layers. ``None`` and frames without
        a geometry column are passed through unchanged.

    Returns
    -------
    crs : pyproj.CRS or None
        The metric CRS of the analysis (``None`` when no layer has geometry).
    layers : dict
        The same keys; projected copies where a layer had to be reprojected, the inputs otherwise.

    Raises
    ------
    CRSError
        A layer has geometry but no CRS.
    """
    spatial = {k: v for k, v in layers.items()
               if v is not None and hasattr(v, "geometry") and "geometry" in getattr(v, "columns", ())}
    for name, gdf in spatial.items():
        if gdf.crs is None:
            msg = f"{name} 没有坐标系 (missing CRS)：请在读取时声明 crs=，如 crs='cgcs2000' 或 crs='gcj02'"
            raise CRSError(msg)
    if not spatial:
        return None, dict(layers)
    crss = [g.crs for g in spatial.values()]
    if all(c.is_projected for c in crss) and all(c == crss[0] for c in crss):
        return pyproj.CRS.from_user_input(crss[0]), dict(layers)
    first = next(g for g in spatial.values() if len(g))  if any(len(g) for g in spatial.values()) else None
    target = metric_crs(first) if first is not None else metric_crs(lon=120.0)
    out = dict(layers)
    for name, gdf in spatial.items():
        out[name] = gdf if gdf.crs == target else gdf.to_crs(target)
    return target, out


def to_wgs84(gdf: Any) -> Any:
    """Return a copy of ``gdf`` in WGS84 lon/lat (EPSG:4326)."""
    if gdf.crs is None:
        msg = "数据没有坐标系 (missing CRS)：请在读取时声明 crs=，如 crs='wgs84'"
        raise CRSError(msg)
    return gdf.to_crs(4326)
