"""Network construction, snapping and routing on small hand-checked networks."""

from __future__ import annotations

import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, MultiLineString, Point

import mzgeo
from mzgeo import CRSError, DataWarning, InputError, NetworkError, settings
from mzgeo.network import Network, ODMatrix

CRS = 4549  # CGCS2000 / 3-degree GK CM 120E (metres)


@pytest.fixture(autouse=True)
def _tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")


def pts(*xy, names=None, index=None, crs=CRS):
    data = {"name": names} if names is not None else {}
    return gpd.GeoDataFrame(data, geometry=[Point(p) for p in xy], crs=crs, index=index)


def roads(lines, **cols):
    return gpd.GeoDataFrame(cols, geometry=[LineString(c) for c in lines], crs=CRS)


@pytest.fixture
def straight():
    """One 1,000 m village road."""
    return Network.from_lines(roads([[(0, 0), (1000, 0)]], road_class=["村道"]), cache=False)


# --- from_lines ----------------------------------------------------------------------------


def test_lazy_export():
    assert mzgeo.Network is Network


def test_noding_at_crossings_and_shared_vertices():
    gdf = roads([[(0, 0), (1000, 0)], [(500, -500), (500, 500)], [(1000, 0), (1000, 500), (500, 500)]])
    net = Network.from_lines(gdf, cache=False)
    # nodes: (0,0), (500,0) crossing, (1000,0), (500,-500), (500,500)
    assert net.n_nodes == 5
    assert net.n_segments == 5
    assert net.n_edges == 10  # walk: every segment both ways
    assert set(net.edges.columns) >= {"u", "v", "length_m", "seconds", "road_class", "geometry"}
    assert net.edges["length_m"].sum() == pytest.approx(2 * (1000 + 1000 + 1000))
    assert net.crs.to_epsg() == CRS


def test_bridge_keeps_crossing_apart():
    lines = [[(0, 0), (1000, 0)], [(500, -500), (500, 500)], [(1000, 0), (1000, 500), (500, 500)]]
    fac = pts((500, -400))
    dem = pts((100, 0))
    crossing = Network.from_lines(roads(lines, bridge=["否", "否", "否"]), cache=False)
    assert crossing.nearest(fac, dem)["minutes"].iloc[0] * 60 == pytest.approx(400 + 400)
    bridge = Network.from_lines(roads(lines, bridge=["否", "是", "否"]), cache=False)
    assert bridge.params["bridge_col"] == "bridge"
    assert bridge.nearest(fac, dem)["minutes"].iloc[0] * 60 == pytest.approx(900 + 500 + 500 + 900)
    apart = Network.from_lines(roads(lines), node_crossings=False, cache=False)
    assert apart.n_nodes == 4
    assert apart.nearest(fac, dem)["minutes"].iloc[0] * 60 == pytest.approx(2800)


def test_multilinestrings_and_missing_geometry():
    gdf = gpd.GeoDataFrame(
        {"road_class": ["支路", "支路"]},
        geometry=[MultiLineString([[(0, 0), (100, 0)], [(100, 0), (100, 100)]]), None],
        crs=CRS,
    )
    with pytest.warns(DataWarning, match="没有几何"):
        net = Network.from_lines(gdf, cache=False)
    assert net.n_segments == 2
    assert net.n_nodes == 3


def test_geographic_input_is_projected():
    gdf = gpd.GeoDataFrame(geometry=[LineString([(120.08, 30.89), (120.09, 30.89)])], crs=4326)
    net = Network.from_lines(gdf, cache=False)
    assert net.crs.to_epsg() == 4549
    assert net.edges["length_m"].iloc[0] == pytest.approx(955.9, abs=1.0)


def test_errors():
    gdf = roads([[(0, 0), (10, 0)]])
    with pytest.raises(NetworkError, match="mode"):
        Network.from_lines(gdf, mode="bike", cache=False)
    with pytest.raises(CRSError):
        Network.from_lines(gdf.set_crs(None, allow_override=True), cache=False)
    with pytest.raises(InputError, match="等级"):
        Network.from_lines(gdf, class_col="等级", cache=False)
    poly = gpd.GeoDataFrame(geometry=[Point(0, 0).buffer(5)], crs=CRS)
    with pytest.raises(InputError, match="线要素"):
        Network.from_lines(poly, cache=False)
    only_motorway = roads([[(0, 0), (10, 0)]], road_class=["高速公路"])
    with pytest.raises(NetworkError, match="没有任何可用道路"):
        Network.from_lines(only_motorway, mode="walk", cache=False)


def test_shapefile_with_chinese_classes(tmp_path):
    gdf = gpd.GeoDataFrame(
        {
            "名称": ["湖州大道", "乡间小路", "G318"],
            "等级": ["主干路", "村道", "国道"],
            "单行": ["否", "否", "否"],
        },
        geometry=[LineString([(0, 0), (1000, 0)]), LineString([(1000, 0), (1000, 600)]),
                  LineString([(1000, 600), (1700, 600)])],
        crs=CRS,
    )
    for enc in ("GBK", "UTF-8"):
        path = tmp_path / f"roads_{enc}.shp"
        gdf.to_file(path, encoding=enc)
        back = gpd.read_file(path)
        assert list(back["等级"]) == ["主干路", "村道", "国道"]
        net = Network.from_lines(back, mode="drive", class_col="等级", oneway_col="单行", cache=False)
        secs = net.edges.drop_duplicates("segment").set_index("road_class")["seconds"]
        assert secs["主干路"] == pytest.approx(1000 / (50 / 3.6))
        assert secs["村道"] == pytest.approx(600 / (30 / 3.6))
        assert secs["国道"] == pytest.approx(700 / (70 / 3.6))
        assert net.params["speeds_kph"]["国道"] == 70.0


def test_walk_mode_drops_motorways_and_uses_walk_speed():
    gdf = roads([[(0, 0), (1000, 0)], [(0, 300), (1000, 300)]], road_class=["村道", "高速公路"])
    net = Network.from_lines(gdf, walk_speed_mps=0.8, cache=False)
    assert net.n_segments == 1
    assert net.edges["seconds"].iloc[0] == pytest.approx(1000 / 0.8)
    assert net.params["walk_speed_mps"] == 0.8


def test_drive_speed_col_and_unknown_class():
    gdf = roads([[(0, 0), (1000, 0)], [(1000, 0), (2000, 0)]], road_class=["县道", "机耕路"],
                speed_kph=[np.nan, 20.0])
    with pytest.warns(DataWarning, match="机耕路"):
        net = Network.from_lines(gdf, mode="drive", speeds_kph={"县道": 60}, cache=False)
    secs = net.edges.drop_duplicates("segment").set_index("road_class")["seconds"]
    assert secs["县道"] == pytest.approx(60.0)  # 1 km at 60 km/h (override of the table)
    assert secs["机耕路"] == pytest.approx(1000 / (20 / 3.6))  # own speed beats the default
    assert net.params["unknown_classes"] == ["机耕路"]


@pytest.mark.parametrize(("flag", "fwd", "bwd"), [
    ("1", True, False), ("yes", True, False), ("是", True, False), ("T", True, False), ("FT", True, False),
    ("-1", False, True), ("TF", False, True), ("0", True, True), ("否", True, True), (None, True, True),
])
def test_oneway_values(flag, fwd, bwd):
    gdf = roads([[(0, 0), (100, 0)]], oneway=[flag])
    net = Network.from_lines(gdf, mode="drive", cache=False)
    e = net.edges
    assert ((e["u"] == 0) & (e["v"] == 1)).any() == fwd
    assert ((e["u"] == 1) & (e["v"] == 0)).any() == bwd


def test_oneway_numeric_column():
    gdf = roads([[(0, 0), (100, 0)], [(100, 0), (200, 0)]], oneway=[1, -1])
    net = Network.from_lines(gdf, mode="drive", cache=False)
    assert net.n_edges == 2


# --- snapping -----------------------------------------------------------------------------


def test_snap_access_leg_and_position(straight):
    s = straight.snap(pts((600, 30), (1200, 0), (-40, -30), names=["甲村", "乙村", "丙村"], index=[7, 8, 9]))
    assert list(s.index) == [7, 8, 9]
    assert s.loc[7, "access_m"] == pytest.approx(30)
    assert s.loc[7, "position_m"] == pytest.approx(600)
    assert (s.loc[7, "x"], s.loc[7, "y"]) == pytest.approx((600, 0))
    assert s.loc[8, "access_m"] == pytest.approx(200)  # beyond the end: to the end node
    assert s.loc[8, "position_m"] == pytest.approx(1000)
    assert s.loc[9, "access_m"] == pytest.approx(50)
    assert list(s["status"]) == ["ok", "ok", "ok"]
    assert list(s["name"]) == ["甲村", "乙村", "丙村"]


def test_snap_statuses(straight):
    gdf = gpd.GeoDataFrame({"name": ["近", "远", "空"]}, geometry=[Point(10, 10), Point(0, 900), None], crs=CRS)
    s = straight.snap(gdf, max_snap_m=500)
    assert list(s["status"]) == ["ok", "too_far", "empty"]
    assert s["edge"].isna().tolist() == [False, True, True]
    assert straight.snap(gdf, max_snap_m=float("inf"))["status"].tolist() == ["ok", "ok", "empty"]
    monkey = settings.max_snap_m
    try:
        settings.max_snap_m = 5.0
        assert straight.snap(gdf)["status"].tolist()[0] == "too_far"
    finally:
        settings.max_snap_m = monkey


def test_points_in_other_crs_and_without_crs(straight):
    lonlat = pts((600, 30), crs=CRS).to_crs(4326)
    s = straight.snap(lonlat)
    assert s["access_m"].iloc[0] == pytest.approx(30, abs=1e-6)
    with pytest.raises(CRSError):
        straight.snap(gpd.GeoDataFrame(geometry=[Point(0, 0)]))


def test_polygon_points_use_a_point_on_surface(straight):
    gdf = gpd.GeoDataFrame(geometry=[Point(500, 50).buffer(10)], crs=CRS)
    with pytest.warns(DataWarning, match="非点要素"):
        s = straight.snap(gdf)
    assert s["access_m"].iloc[0] == pytest.approx(50, abs=1)


# --- routing ------------------------------------------------------------------------------


def test_nearest_access_leg_hand_computed(straight):
    fac = pts((0, 0), (1000, 40), index=["东", "西"])
    dem = pts((600, 30), (100, 10), index=[1, 2])
    r = straight.nearest(fac, dem)
    assert list(r.columns) == ["facility", "minutes", "status"]
    # 1: 30 m access + 400 m road + 40 m facility access (west) = 470 s
    assert r.loc[1, "facility"] == "西"
    assert r.loc[1, "minutes"] == pytest.approx(470 / 60)
    # 2: 10 m + 100 m to the east facility at the node
    assert r.loc[2, "facility"] == "东"
    assert r.loc[2, "minutes"] == pytest.approx(110 / 60)


def test_same_edge_direct_time(straight):
    # both on the one segment; going through an end node would take 930 s
    r = straight.nearest(pts((700, -20)), pts((200, 10)))
    assert r["minutes"].iloc[0] * 60 == pytest.approx(10 + 500 + 20)
    od = straight.od(pts((700, -20)), pts((200, 10)), cutoff_minutes=60)
    assert od.table["minutes"].iloc[0] * 60 == pytest.approx(530)


def test_oneway_direction_demand_to_facility():
    gdf = roads(
        [[(0, 0), (1000, 0)], [(1000, 0), (1000, 1000), (0, 1000), (0, 0)]],
        road_class=["村道", "村道"], oneway=["是", "否"],
    )
    net = Network.from_lines(gdf, mode="drive", speeds_kph={"村道": 36}, cache=False)  # 10 m/s
    # demand at 800 must drive on to the loop: 200 + 3000 + 200 m
    r = net.nearest(pts((200, 0)), pts((800, 0)))
    assert r["minutes"].iloc[0] * 60 == pytest.approx(340)
    # the other way round is the direct 600 m
    r = net.nearest(pts((800, 0)), pts((200, 0)))
    assert r["minutes"].iloc[0] * 60 == pytest.approx(60)
    od = net.od(pts((200, 0), (800, 0)), pts((800, 0), (200, 0)), cutoff_minutes=10)
    m = od.matrix.toarray() * 60
    assert m[0, 0] == pytest.approx(340)
    assert m[1, 1] == pytest.approx(60)
    assert m[0, 1] == 0 and m[1, 0] == 0
    assert od.mask.toarray().all()  # all four pairs reached, two of them in zero minutes


def test_point_on_oneway_end_node_is_at_the_node():
    # facility exactly on the end node of a one-way segment; the demand is at the node too
    gdf = roads([[(0, 0), (100, 0)], [(100, 0), (100, 100), (0, 0)]], oneway=["1", "1"])
    net = Network.from_lines(gdf, mode="drive", cache=False)
    r = net.nearest(pts((100, 0)), pts((100, 0)))
    assert r["minutes"].iloc[0] == 0.0


def test_island_reported_by_name():
    gdf = roads([[(0, 0), (1000, 0)], [(5000, 0), (5100, 0)]])
    net = Network.from_lines(gdf, cache=False)
    assert net.n_components == 2
    fac = pts((0, 0), names=["中心"])
    dem = pts((5050, 20), (500, 0), names=["孤岛村", "主网村"])
    s = net.snap(dem)
    assert list(s["status"]) == ["island", "ok"]
    with pytest.warns(DataWarning, match="孤岛村"):
        r = net.nearest(fac, dem)
    assert np.isnan(r["minutes"].iloc[0])
    assert pd.isna(r["facility"].iloc[0])
    assert r["status"].tolist() == ["island", "ok"]
    with pytest.warns(DataWarning, match="孤岛村"):
        od = net.od(fac, dem, cutoff_minutes=60)
    assert od.problems.to_dict("records") == [
        {"role": "demand", "label": 0, "name": "孤岛村", "status": "island"}
    ]
    assert od.matrix.shape == (2, 1)
    assert od.matrix[[0], [0]][0] == 0 and od.matrix.nnz == 1


def test_island_point_prefers_main_network_within_reach():
    # the island road is nearer, but the main network is within max_snap_m: snap to it
    gdf = roads([[(0, 0), (1000, 0)], [(400, 60), (420, 60)]])
    net = Network.from_lines(gdf, cache=False)
    s = net.snap(pts((410, 55)))
    assert s["status"].iloc[0] == "ok"
    assert s["access_m"].iloc[0] == pytest.approx(55)


def test_directed_island_is_strong_component():
    # a one-way spur leading away: reachable, but nothing comes back
    gdf = roads([[(0, 0), (1000, 0)], [(1000, 0), (1000, 1000), (0, 1000), (0, 0)], [(0, 0), (-800, 0)]],
                oneway=["否", "否", "是"])
    net = Network.from_lines(gdf, mode="drive", cache=False)
    assert net.n_components == 2
    s = net.snap(pts((-600, 10)), max_snap_m=100)
    assert s["status"].iloc[0] == "island"


def test_no_facility_snapped_gives_unreachable(straight):
    with pytest.warns(DataWarning):
        r = straight.nearest(pts((0, 5000)), pts((10, 0)))
    assert r["status"].iloc[0] == "unreachable"
    assert np.isnan(r["minutes"].iloc[0])


def test_empty_inputs(straight):
    empty = pts()
    r = straight.nearest(pts((0, 0)), empty)
    assert len(r) == 0 and list(r.columns) == ["facility", "minutes", "status"]
    od = straight.od(pts((0, 0)), empty, cutoff_minutes=10)
    assert od.matrix.shape == (0, 1) and len(od.table) == 0


def test_od_cutoff_and_order(straight):
    dem = pts((100, 0), (500, 0), (900, 0), index=["a", "b", "c"])
    fac = pts((0, 0), (1000, 0), index=[10, 20])
    od = straight.od(fac, dem, cutoff_minutes=5)  # 300 s
    assert isinstance(od, ODMatrix)
    assert list(od.origins) == ["a", "b", "c"] and list(od.destinations) == [10, 20]
    got = {(o, d): m * 60 for o, d, m in od.table.itertuples(index=False)}
    assert got == pytest.approx({("a", 10): 100, ("c", 20): 100})
    dense = od.matrix.toarray() * 60
    assert dense[0, 0] == pytest.approx(100) and dense[2, 1] == pytest.approx(100)
    assert od.matrix.nnz == 2
    with pytest.raises(InputError):
        straight.od(fac, dem, cutoff_minutes=0)


def test_od_zero_time_is_stored_explicitly(straight):
    od = straight.od(pts((300, 0)), pts((300, 0)), cutoff_minutes=5)
    assert od.matrix.nnz == 1
    assert od.matrix.toarray()[0, 0] == 0.0
    assert od.mask.toarray()[0, 0]
    assert od.table["minutes"].tolist() == [0.0]


def test_nearest_warning_lists_names(straight):
    dem = pts((0, 900), (0, 901), names=["张家村", "李家村"])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        straight.nearest(pts((0, 0)), dem)
    msgs = [str(w.message) for w in rec if issubclass(w.category, DataWarning)]
    assert len(msgs) == 1 and "张家村" in msgs[0] and "李家村" in msgs[0]


def test_node_nearest(straight):
    r = straight.node_nearest(pts((0, 0), (1000, 0), index=["a", "b"]))
    assert list(r["facility"]) == ["a", "b"]
    assert list(r["minutes"]) == [0.0, 0.0]


# --- other constructors -------------------------------------------------------------------


def test_from_networkx_osmnx_style_lonlat():
    G = nx.MultiDiGraph(crs="EPSG:4326")
    G.add_node(1, x=120.08, y=30.89)
    G.add_node(2, x=120.09, y=30.89)
    G.add_node(3, x=120.09, y=30.90)
    G.add_edge(1, 2, travel_time=100.0, highway="residential", name="A路")
    G.add_edge(2, 1, travel_time=100.0, highway="residential", name="A路")
    G.add_edge(2, 3, travel_time=50.0, highway="primary", geometry=LineString([(120.09, 30.89), (120.09, 30.90)]))
    G.add_edge(3, 2, travel_time=80.0, highway="primary", geometry=LineString([(120.09, 30.90), (120.09, 30.89)]))
    G.add_edge(3, 4, travel_time=10.0, highway="service")  # one-way dead end: not in the main component
    G.add_node(4, x=120.10, y=30.90)
    net = Network.from_networkx(G)
    assert net.crs.to_epsg() == 4549
    assert net.n_segments == 3 and net.n_edges == 5
    assert net.n_components == 2
    dem = pts((120.08, 30.89), crs=4326)
    fac = pts((120.09, 30.90), crs=4326)
    assert net.nearest(fac, dem)["minutes"].iloc[0] * 60 == pytest.approx(150)
    assert net.nearest(dem, fac)["minutes"].iloc[0] * 60 == pytest.approx(180)
    with pytest.warns(DataWarning, match="孤岛"):
        r = net.nearest(fac, pts((120.10, 30.90), crs=4326), max_snap_m=10)
    assert r["status"].iloc[0] == "island"


def test_from_networkx_mode_and_errors():
    G = nx.Graph(crs=f"EPSG:{CRS}")
    G.add_node("a", x=0.0, y=0.0)
    G.add_node("b", x=300.0, y=400.0)
    G.add_edge("a", "b", highway="村道")
    net = Network.from_networkx(G, weight=None, mode="drive")
    assert net.edges["seconds"].iloc[0] == pytest.approx(500 / (30 / 3.6))
    with pytest.raises(NetworkError, match="权重"):
        Network.from_networkx(G)
    G.graph.pop("crs")
    with pytest.raises(CRSError):
        Network.from_networkx(G, weight=None, mode="walk")


def test_from_arrays():
    net = Network.from_arrays([0, 100, 200], [0, 0, 0], [0, 1], [1, 2], [10.0, 20.0], crs=CRS,
                              seconds_back=[10.0, np.inf])
    assert net.n_edges == 3
    with pytest.raises(NetworkError):
        Network.from_arrays([0], [0], [0], [5], [1.0], crs=CRS)
