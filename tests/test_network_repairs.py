"""Network.from_lines repairs of a planner's road layer: self-crossings, dangles, overlaps.

Expected minutes are worked by hand (walking 1 m/s on the road and off it; 村道 30 km/h).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import LineString, Point

from mzgeo import DataWarning, InputError, settings
from mzgeo.network import BUILD_FIXES, Network

CRS = 4549


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")


def roads(lines, **cols):
    return gpd.GeoDataFrame(cols, geometry=[LineString(c) for c in lines], crs=CRS)


def pts(*xy):
    return gpd.GeoDataFrame(geometry=[Point(p) for p in xy], crs=CRS)


def seconds(net, fac, *dem):
    with np.errstate(all="ignore"):
        return (net.nearest(pts(fac), pts(*dem))["minutes"] * 60).to_numpy()


# --- self-crossings ----------------------------------------------------------------------

LOOP = [(0, 0), (1000, 0), (1000, 500), (500, 500), (500, -500)]  # crosses itself at (500, 0)


@pytest.mark.parametrize("line", [LOOP, [(0, 0), (1000, 0), (1000, 500), (500, 500), (500, 0), (500, -500)]])
def test_single_line_crossing_itself_is_noded(line):
    net = Network.from_lines(roads([line]), cache=False)
    # (500, -400) → up 400 m to the crossing → west 500 m = 900 s (not 2,900 s round the loop)
    np.testing.assert_allclose(seconds(net, (0, 0), (500, -400), (1000, 250)), [900, 500 + 750])
    rep = net.build_report
    assert list(rep["kind"]) == ["self_crossing"]
    np.testing.assert_allclose(rep[["x", "y"]].to_numpy(), [[500, 0]])
    assert net.params["build_fixes"]["self_crossing"] == 1
    drive = Network.from_lines(roads([line], road_class=["村道"]), mode="drive", cache=False)
    np.testing.assert_allclose(seconds(drive, (0, 0), (500, -400)), [900 / (30 / 3.6)])


def test_crossing_of_two_roads_is_not_a_repair():
    net = Network.from_lines(roads([[(0, 0), (1000, 0)], [(500, -500), (500, 500)]]), cache=False)
    assert net.n_nodes == 5
    assert len(net.build_report) == 0
    assert set(net.params["build_fixes"]) == set(BUILD_FIXES)


# --- dangling ends -----------------------------------------------------------------------

DANGLES = [
    [(0, 0), (1000, 0)],  # A, the main road
    [(500, 0.6), (500, 800)],  # B stops 0.6 m short of A
    [(800, 300), (800, -0.4)],  # D overshoots A by 0.4 m
    [(1000.5, 0), (2000, 0)],  # F: 0.5 m gap to A's end
    [(0, -1.5), (0, -600)],  # H: 1.5 m gap to A's end
]


def test_dangling_ends_join_the_road_they_stop_short_of():
    net = Network.from_lines(roads(DANGLES), cache=False)
    assert net.params["snap_tolerance_m"] == 1.0
    # facility at the top of B: F 1000 + A 500 + B 800; D 300 + A 300 + B 800
    got = seconds(net, (500, 800), (2000, 0), (800, 300), (0, 0))
    np.testing.assert_allclose(got, [2300, 1400, 1300])
    # H stays apart (1.5 m > 1 m): its road is an island
    with pytest.warns(DataWarning, match="孤岛"):
        res = net.nearest(pts((500, 800)), pts((0, -600)))
    assert res["status"].iloc[0] == "island"
    rep = net.build_report.sort_values("x").reset_index(drop=True)
    assert list(rep["kind"]) == ["dangle_snapped"] * 3
    np.testing.assert_allclose(rep[["x", "y", "moved_m"]].to_numpy(), [[500, 0, 0.6], [800, 0, 0.4], [1000, 0, 0.5]],
                               atol=1e-9)
    assert net.params["build_fixes"]["dangle_snapped"] == 3
    # no stub is left below A where D overshot: A is split at 500 and 800, D ends on it
    assert net.n_segments == 3 + 1 + 1 + 1 + 1
    wide = Network.from_lines(roads(DANGLES), snap_tolerance_m=2, cache=False)
    np.testing.assert_allclose(seconds(wide, (500, 800), (0, -600)), [600 + 500 + 800])
    assert wide.params["build_fixes"]["dangle_snapped"] == 4
    off = Network.from_lines(roads(DANGLES), snap_tolerance_m=0, cache=False)
    assert len(off.build_report) == 0
    with pytest.warns(DataWarning, match="孤岛"):
        assert off.nearest(pts((500, 800)), pts((2000, 0)))["status"].iloc[0] != "ok"


def test_dangles_do_not_join_a_bridge_between_its_vertices():
    lines = [[(0, 0), (1000, 0)], [(300, -200), (300, 200)], [(0, 100), (299.5, 100)], [(0, 0), (0, 100)]]
    net = Network.from_lines(roads(lines, bridge=["否", "是", "否", "否"]), cache=False)
    assert len(net.build_report) == 0  # the road under the bridge keeps its end
    plain = Network.from_lines(roads(lines), cache=False)
    assert list(plain.build_report["kind"]) == ["dangle_snapped"]


def test_snap_tolerance_is_checked():
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(InputError, match="snap_tolerance_m"):
            Network.from_lines(roads(DANGLES), snap_tolerance_m=bad, cache=False)


def test_setting_gives_the_default(monkeypatch):
    monkeypatch.setattr(settings, "snap_tolerance_m", 2.0)
    net = Network.from_lines(roads(DANGLES), cache=False)
    assert net.params["snap_tolerance_m"] == 2.0
    assert net.params["build_fixes"]["dangle_snapped"] == 4


# --- collinear overlaps ------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [([(0, 0), (100, 0)], [(50, 0), (150, 0)]),
                                      ([(0, 0), (150, 0)], [(150, 0), (50, 0)])])
def test_collinear_overlap_is_noded(a, b):
    net = Network.from_lines(roads([a, b], road_class=["村道", "村道"]), mode="drive", cache=False)
    # 150 m at 30 km/h, all on the road (not 50 m on foot to the other piece)
    np.testing.assert_allclose(seconds(net, (0, 0), (150, 0)), [150 / (30 / 3.6)])
    assert net.n_components == 1
    assert net.edges["length_m"].sum() == pytest.approx(2 * 150)  # the shared stretch once
    assert set(net.build_report["kind"]) <= {"overlap_noded"}


def test_overlap_report():
    net = Network.from_lines(roads([[(0, 0), (100, 0)], [(50, 0), (150, 0)]]), cache=False)
    rep = net.build_report.sort_values("x")
    assert list(rep["kind"]) == ["overlap_noded"] * 2
    np.testing.assert_allclose(rep[["x", "y"]].to_numpy(), [[50, 0], [100, 0]])


# --- cache and other constructors ----------------------------------------------------------


def test_build_report_survives_the_cache_and_keys_differ():
    gdf = roads(DANGLES)
    first = Network.from_lines(gdf, cache=True)
    again = Network.from_lines(gdf, cache=True)
    assert "cache" in again.params
    assert again.build_report.equals(first.build_report) or np.allclose(
        again.build_report[["x", "y", "moved_m"]], first.build_report[["x", "y", "moved_m"]])
    assert list(again.build_report["kind"]) == list(first.build_report["kind"])
    other = Network.from_lines(gdf, snap_tolerance_m=0, cache=True)
    assert "cache" not in other.params and len(other.build_report) == 0


def test_reversed_loop_copies_merge_in_from_arrays():
    # a 400 m square loop at node 0, drawn once each way (two one-way copies) = one two-way loop
    ring = LineString([(0, 0), (0, 100), (100, 100), (100, 0), (0, 0)])
    net = Network.from_arrays([0, -1000], [0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [400, 400, 1000, 1000], crs=CRS,
                              geometry=[ring, ring.reverse(), LineString([(0, 0), (-1000, 0)]),
                                        LineString([(-1000, 0), (0, 0)])])
    assert net.n_segments == 2
    # (0, 10) is 10 s from node 0 up the loop's first side, either way round allowed
    np.testing.assert_allclose(seconds(net, (-1000, 0), (0, 10), (10, 0)), [1010, 1010])
