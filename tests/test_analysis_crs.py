"""The one CRS policy in every analysis: WGS84 input gives the same figures as EPSG:4549.

Each analysis gets one region of the demo twice: in EPSG:4549 (the Huzhou metric CRS) and in
WGS84 lon/lat. :func:`mzgeo.crs.analysis_layers` projects the lon/lat layers back to EPSG:4549
(chosen from the data's longitude), so every figure must agree to round-off.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import shapely

import mzgeo
from mzgeo import DataWarning, Network

pytestmark = pytest.mark.filterwarnings("ignore", category=DataWarning)


@pytest.fixture(scope="module")
def region():
    demo = mzgeo.load_demo()
    town = demo.units_township
    centre = town.geometry.union_all().centroid
    box = shapely.box(centre.x - 9000, centre.y - 9000, centre.x + 9000, centre.y + 9000)
    out = {}
    for key in ("villages", "shelters", "daycare", "institutions", "cemeteries", "graves", "roads", "zones",
                "railways", "rivers"):
        g = demo[key]
        out[key] = g[g.intersects(box)].copy()
    out["units"] = town[town.intersects(box)].copy()
    assert min(len(out[k]) for k in ("villages", "shelters", "daycare", "institutions", "graves")) >= 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        walk = Network.from_lines(out["roads"], mode="walk", cache=False)
        drive = Network.from_lines(out["roads"], mode="drive", cache=False)
    metric = {k: v for k, v in out.items() if k != "roads"}
    lonlat = {k: v.to_crs(4326) for k, v in metric.items()}
    assert lonlat["villages"].crs.is_geographic
    return metric, lonlat, walk, drive


def _both(region, fn):
    metric, lonlat, walk, drive = region
    return fn(metric, walk, drive), fn(lonlat, walk, drive)


def _close(a, b, cols):
    for c in cols:
        np.testing.assert_allclose(pd.to_numeric(a[c]).to_numpy(dtype=float), pd.to_numeric(b[c]).to_numpy(dtype=float),
                                   rtol=1e-9, atol=1e-6, err_msg=c)


def test_coverage_wgs84_same_as_4549(region):
    a, b = _both(region, lambda d, w, _: mzgeo.coverage(d["shelters"], d["villages"], network=w, minutes=[5, 10],
                                                         weight_col="population", units=d["units"]))
    assert a.points["covered"].any() and not a.points["covered"].all()
    _close(a.points, b.points, ["minutes", "demand"])
    assert a.points["covered"].tolist() == b.points["covered"].tolist()
    _close(a.summary(), b.summary(), ["demand_covered", "share_covered"])
    assert len(a.gap_clusters) == len(b.gap_clusters)
    assert b.points.crs.to_epsg() == 4549


def test_daycare_wgs84_same_as_4549(region):
    a, b = _both(region, lambda d, w, _: mzgeo.daycare_coverage(d["daycare"], d["villages"], network=w))
    assert 0 < a.summary().loc[0, "n_covered"] < a.summary().loc[0, "n_villages"]
    _close(a.summary(), b.summary(), ["n_covered", "demand_covered", "n_gaps"])


def test_shelters_wgs84_same_as_4549(region):
    a, b = _both(region, lambda d, w, _: mzgeo.shelter_adequacy(d["shelters"], d["villages"], network=w, minutes=10))
    assert a.summary().loc[0, "sheltered"] > 0
    _close(a.summary(), b.summary(), ["sheltered", "shortfall", "person_minutes"])


def test_bed_ratio_wgs84_same_as_4549(region):
    a, b = _both(region, lambda d, *_: mzgeo.bed_ratio(d["institutions"], d["units"]))
    assert a.table["beds"].sum() > 0
    _close(a.table, b.table, ["beds", "elderly", "beds_per_1000", "bed_gap"])


def test_accessibility_wgs84_same_as_4549(region):
    a, b = _both(region, lambda d, _, dr: mzgeo.accessibility(d["institutions"], d["villages"], network=dr, minutes=15))
    assert (a.points[a.value_col] > 0).any()
    _close(a.points, b.points, [a.value_col])


def test_compare_methods_wgs84_same_as_4549(region):
    a, b = _both(region, lambda d, _, dr: mzgeo.compare_methods(d["institutions"], d["villages"], network=dr,
                                                                 minutes=15, methods=["2sfca", "e2sfca"]))
    _close(a.summary(), b.summary(), ["mean", "max"])


def test_cemetery_wgs84_same_as_4549(region):
    a, b = _both(region, lambda d, _, dr: mzgeo.cemetery_coverage(d["cemeteries"], d["units"], network=dr, minutes=30,
                                                                   demand=d["villages"]))
    assert a.townships["demand_covered"].sum() > 0
    _close(a.townships, b.townships, ["demand_total", "demand_covered", "mean_minutes"])


def test_burial_wgs84_same_as_4549(region):
    a, b = _both(region, lambda d, *_: mzgeo.burial_zone_check(d["graves"], lines={"铁路": d["railways"], "主要河道": d["rivers"]},
                                                                zones=d["zones"]))
    assert 0 < a.points["violates"].sum() < len(a.points)
    assert a.points["violates"].tolist() == b.points["violates"].tolist()
    assert a.summary().loc[0, "n_violating"] == b.summary().loc[0, "n_violating"]
