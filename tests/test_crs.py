"""Coordinate conversions against published reference points, round trips and CRS helpers.

Reference points:

* eviltransform (github.com/googollee/eviltransform, ``python/test.py``): WGS84 ↔ GCJ-02
  for Shanghai, Shenzhen and Beijing.
* coordTransform (github.com/wandergis/coordTransform, README): BD-09 → GCJ-02, GCJ-02 →
  BD-09 and WGS84 → GCJ-02 for (116.404, 39.915).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from mzgeo import CRSError, settings
from mzgeo.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    gk_epsg_for_lon,
    metric_crs,
    out_of_china,
    parse_crs,
    to_metric,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")

# eviltransform: (wgs_lat, wgs_lng, gcj_lat, gcj_lng)
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


def _dist_m(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform(wlat, wlng, glat, glng):
    lon, lat = wgs84_to_gcj02(wlng, wlat)
    assert lon == pytest.approx(glng, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM)
def test_gcj02_to_wgs84_matches_eviltransform(wlat, wlng, glat, glng):
    lon, lat = gcj02_to_wgs84(glng, glat)
    assert _dist_m(lon, lat, wlng, wlat) < 0.5
    assert lon == pytest.approx(wlng, abs=1e-7)  # ~1 cm
    assert lat == pytest.approx(wlat, abs=1e-7)


def test_bd09_reference_coordtransform():
    # wandergis/coordTransform README, input (116.404, 39.915)
    assert bd09_to_gcj02(116.404, 39.915) == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-10)
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-10)
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-10)


def test_bd09_to_wgs84_goes_through_gcj02():
    g = bd09_to_gcj02(116.404, 39.915)
    assert bd09_to_wgs84(116.404, 39.915) == pytest.approx(gcj02_to_wgs84(*g), abs=1e-12)


def _china_grid():
    lon, lat = np.meshgrid(np.arange(74.0, 135.0, 2.5), np.arange(18.5, 53.5, 2.5))
    return lon.ravel(), lat.ravel()


def test_gcj02_round_trip_across_china_below_half_metre():
    lon, lat = _china_grid()
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift = _dist_m(lon, lat, glon, glat)
    assert shift.max() > 100  # the offset is real everywhere in China
    blon, blat = gcj02_to_wgs84(glon, glat)
    err = _dist_m(lon, lat, blon, blat)
    assert err.max() < 0.5


def test_bd09_round_trip_across_china_below_half_metre():
    lon, lat = _china_grid()
    blon, blat = wgs84_to_bd09(lon, lat)
    wlon, wlat = bd09_to_wgs84(blon, blat)
    assert _dist_m(lon, lat, wlon, wlat).max() < 0.5
    # GCJ-02 ↔ BD-09 alone is closed-form-ish: round trip well under a metre too
    glon, glat = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert _dist_m(lon, lat, glon, glat).max() < 0.5


def test_offset_at_huzhou_is_about_520_m():
    lon, lat = wgs84_to_gcj02(120.0865, 30.8944)
    d = _dist_m(120.0865, 30.8944, lon, lat)
    assert 400 < d < 700


def test_arrays_in_arrays_out_and_scalars():
    lon = np.array([120.0, 120.1, 120.2])
    lat = np.array([30.8, 30.9, 31.0])
    for func in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, bd09_to_wgs84, wgs84_to_bd09):
        x, y = func(lon, lat)
        assert isinstance(x, np.ndarray) and x.shape == (3,) and y.shape == (3,)
        sx, sy = func(120.1, 30.9)
        assert isinstance(sx, float) and isinstance(sy, float)
        assert sx == pytest.approx(x[1], abs=1e-12) and sy == pytest.approx(y[1], abs=1e-12)
        lx, _ = func([120.0, 120.1, 120.2], [30.8, 30.9, 31.0])  # lists work too
        np.testing.assert_allclose(lx, x)
    # inputs are not modified
    np.testing.assert_array_equal(lon, [120.0, 120.1, 120.2])


def test_outside_china_unchanged():
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)  # Paris
    assert gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)
    assert out_of_china([2.35, 120.0], [48.85, 30.0]).tolist() == [True, False]


def test_gk_epsg_for_lon():
    assert gk_epsg_for_lon(119.9) == 4549  # Huzhou, CM 120°E
    assert gk_epsg_for_lon(120.0865) == 4549
    assert gk_epsg_for_lon(75.0) == 4534
    assert gk_epsg_for_lon(135.0) == 4554
    assert gk_epsg_for_lon(116.4) == 4548  # Beijing, CM 117°E
    with pytest.raises(CRSError):
        gk_epsg_for_lon(2.35)


def test_metric_crs_for_huzhou_and_override(monkeypatch):
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(120.0865, 30.8944)], crs=4326)
    assert metric_crs(gdf).to_epsg() == 4549
    assert to_metric(gdf).crs.to_epsg() == 4549
    monkeypatch.setattr(settings, "metric_crs", 4528)
    assert metric_crs(gdf).to_epsg() == 4528


def test_parse_crs_names():
    assert parse_crs("高德")[0] == "gcj02"
    assert parse_crs("GCJ-02") == ("gcj02", pyproj.CRS.from_epsg(4326))
    assert parse_crs("百度")[0] == "bd09"
    assert parse_crs("cgcs2000")[1].to_epsg() == 4490
    assert parse_crs(4326)[0] == "wgs84"
    kind, crs = parse_crs("EPSG:4549")
    assert kind == "other" and crs.to_epsg() == 4549
    with pytest.raises(CRSError, match="无法识别"):
        parse_crs("mars")
