"""Partitioned routing (mzgeo.network.partition): per-county tasks on buffered networks equal one network."""

from __future__ import annotations

import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point

import mzgeo
from mzgeo import settings
from mzgeo.errors import DataWarning, InputError
from mzgeo.network import Network
from mzgeo.network import partition as part

HUZHOU = ("吴兴区", "南浔区", "德清县", "长兴县", "安吉县")


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "cache_folder", tmp_path / "cache")
    monkeypatch.setattr(settings, "use_cache", True)


@pytest.fixture(scope="module")
def demo():
    return mzgeo.load_demo()


@pytest.fixture(scope="module")
def walk(demo):
    return Network.from_lines(demo.roads, mode="walk", cache=False)


@pytest.fixture(scope="module")
def drive(demo):
    return Network.from_lines(demo.roads, mode="drive", cache=False)


@pytest.fixture(scope="module")
def counties(demo):
    c = demo.units_county
    return c[c["in_huzhou"]]


def _tab(x):
    return x() if callable(x) else x


def assert_same_nearest(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert a.index.equals(b.index)
    assert (a["facility"].astype(object).fillna(-1) == b["facility"].astype(object).fillna(-1)).all()
    assert (a["status"] == b["status"]).all()
    np.testing.assert_allclose(a["minutes"], b["minutes"], rtol=0, atol=1e-9)
    assert (a["minutes"].isna() == b["minutes"].isna()).all()


def assert_same_od(a, b) -> None:
    m = a.table.merge(b.table, on=["origin", "destination"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all(), m["_merge"].value_counts()
    np.testing.assert_allclose(m["minutes_x"], m["minutes_y"], rtol=0, atol=1e-9)
    assert a.table[["origin", "destination"]].equals(b.table[["origin", "destination"]])
    assert (a.matrix != b.matrix).nnz == 0 or abs(a.matrix - b.matrix).max() < 1e-9
    assert a.matrix.nnz == b.matrix.nnz


# --- the units ------------------------------------------------------------------------------------


def test_county_groups_from_codes_and_polygons(demo, walk, counties):
    by_code = part.partition_groups(walk, demo.villages, "county")
    assert sorted(set(by_code)) == sorted(demo.villages["county_code"].astype(str).unique())
    by_poly = part.partition_groups(walk, demo.villages, counties)
    assert set(by_poly) <= set(HUZHOU)
    # the code of a county and its polygon agree for (almost) every village
    code_to_name = dict(zip(counties["code"].astype(str).str[:6], counties["name"], strict=True))
    agree = pd.Series(by_code).map(code_to_name) == pd.Series(by_poly)
    assert agree.mean() > 0.97
    with pytest.raises(InputError, match="county"):
        part.partition_groups(walk, demo.villages.drop(columns=["county_code", "unit_code", "code"]), "county")
    with pytest.raises(InputError):
        part.partition_groups(walk, demo.villages, "province")


# --- the bound ---------------------------------------------------------------------------------


def test_paths_within_the_cutoff_stay_within_the_reach(demo, drive):
    """Every node reached within T seconds (networkx Dijkstra) lies within T × top speed of the start."""
    g = nx.DiGraph()
    e = drive.edges
    for u, v, s in zip(e["u"], e["v"], e["seconds"], strict=True):
        if not g.has_edge(u, v) or g[u][v]["w"] > s:
            g.add_edge(int(u), int(v), w=float(s))
    vmax = part.top_speed_mps(drive)
    assert vmax == pytest.approx(100 / 3.6)  # the demo's motorways, 100 km/h
    xy = drive.nodes[["x", "y"]].to_numpy()
    rng = np.random.default_rng(1)
    for src in rng.choice(drive.n_nodes, 5, replace=False):
        t = 600.0
        reached = nx.single_source_dijkstra_path_length(g, int(src), cutoff=t, weight="w")
        far = np.hypot(*(xy[list(reached)] - xy[src]).T).max()
        assert far <= t * vmax + 1e-6
        assert far > 0.3 * t * vmax  # the bound is not vacuous here


def _fast_road_case():
    """A village road along y=0 and, 400 m north of the unit, a motorway that is the fast way."""
    roads = gpd.GeoDataFrame(
        {"road_class": ["村道", "村道", "村道", "村道", "高速公路"]},
        geometry=[
            LineString([(0, 0), (500, 0)]),
            LineString([(500, 0), (9500, 0)]),
            LineString([(500, 0), (500, 1000)]),
            LineString([(9500, 0), (9500, 1000)]),
            LineString([(500, 1000), (9500, 1000)]),
        ],
        crs=4549,
    )
    net = Network.from_lines(roads, mode="drive", cache=False)
    unit = gpd.GeoDataFrame({"name": ["本县", "邻县"]},
                            geometry=[shapely.box(-100, -600, 10_000, 600), shapely.box(-100, 600, 10_000, 5000)],
                            crs=4549)
    fac = gpd.GeoDataFrame({"name": ["设施"]}, geometry=[Point(0, 0)], crs=4549)
    dem = gpd.GeoDataFrame({"name": ["村"]}, geometry=[Point(9500, 0)], crs=4549)
    return net, unit, fac, dem


def test_fast_road_just_outside_the_unit_is_in_the_buffer():
    net, unit, fac, dem = _fast_road_case()
    one = net.od(fac, dem, cutoff_minutes=15)
    # by hand: 500 + 1000 + 1000 m at 30 km/h and 9000 m at 100 km/h = 624 s; the direct road takes 1140 s
    assert one.table["minutes"].tolist() == pytest.approx([624.0 / 60])
    got = net.od(fac, dem, cutoff_minutes=15, partition=unit)
    assert_same_od(one, got)
    # the motorway is 400 m outside the unit: inside the task's buffer, outside a 300 m one
    snapped = net.snap(dem)
    xy = snapped[["x", "y"]].to_numpy()
    motorway = np.flatnonzero(net._class == "高速公路")
    reach = part.reach_m(net, 15)
    assert reach == pytest.approx(15 * 60 * 100 / 3.6 + settings.max_snap_m + 1.0)
    assert set(motorway) <= set(part._segments_within(net, xy, reach))
    assert not set(motorway) & set(part._segments_within(net, xy, 300.0))
    # without the motorway (a buffer too small) the pair is lost: the buffer is what keeps it
    small = part.subnetwork(net, part._segments_within(net, xy, 300.0))
    assert len(small.od(fac, dem, cutoff_minutes=15).table) == 0
    # nearest: within 5 minutes no answer in the partition, recomputed on the whole network
    assert_same_nearest(net.nearest(fac, dem), net.nearest(fac, dem, partition=unit, within_minutes=5))


def test_subnetwork_keeps_times_and_lengths(drive):
    segs = np.arange(0, drive.n_segments, 3)
    sub = part.subnetwork(drive, segs)
    assert sub.n_segments == len(segs)
    assert np.array_equal(sub._len, drive._len[segs])
    assert np.array_equal(sub._fwd, drive._fwd[segs])
    assert np.array_equal(sub._node_xy[sub._u], drive._node_xy[drive._u[segs]])


# --- equal to one network (serial executor) ------------------------------------------------------


@pytest.mark.parametrize(("mode", "layer", "minutes"), [("walk", "daycare", 20), ("drive", "institutions", 30),
                                                       ("walk", "shelters", 10)])
def test_nearest_and_od_by_county_equal_one_network(demo, walk, drive, counties, mode, layer, minutes):
    net = walk if mode == "walk" else drive
    fac, dem = demo[layer], demo.villages
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        one_near = net.nearest(fac, dem)
        one_od = net.od(fac, dem, cutoff_minutes=minutes)
        for p in ("county", counties):
            assert_same_nearest(one_near, net.nearest(fac, dem, partition=p, within_minutes=minutes))
            assert_same_od(one_od, net.od(fac, dem, cutoff_minutes=minutes, partition=p))
    # cross-border demand: some villages reach a facility of another county within the cutoff
    county_of_fac = part.partition_groups(net, fac, "county")
    county_of_dem = part.partition_groups(net, dem, "county")
    t = one_od.table
    other = county_of_dem[dem.index.get_indexer(t["origin"])] != county_of_fac[fac.index.get_indexer(t["destination"])]
    assert other.sum() > 0


def test_service_areas_by_county_equal_one_network(demo, walk):
    fac = demo.daycare.iloc[:560:40]  # (daycare 600 and 880 hit an IndexError in _raster on main too)
    one = walk.service_areas(fac, minutes=(5, 10))
    got = walk.service_areas(fac, minutes=(5, 10), partition="county")
    assert one[["facility", "minutes_from", "minutes_to"]].equals(got[["facility", "minutes_from", "minutes_to"]])
    sym = shapely.symmetric_difference(one.geometry.values, got.geometry.values)
    assert shapely.area(sym).max() < 1e-6
    with pytest.raises(InputError, match="overlap"):
        walk.service_areas(fac, minutes=5, how="dissolve", partition="county")


def test_analyses_by_county_equal_one_network(demo, walk, drive, counties):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        # coverage by unit
        a = mzgeo.coverage(demo.daycare, demo.villages, network=walk, minutes=[10, 15])
        b = mzgeo.coverage(demo.daycare, demo.villages, network=walk, minutes=[10, 15], partition="county")
        pd.testing.assert_frame_equal(a.by_unit(demo.units_township, level="区县"),
                                      b.by_unit(demo.units_township, level="区县"), rtol=0, atol=1e-9)
        pd.testing.assert_frame_equal(pd.DataFrame(a.points.drop(columns="geometry")),
                                      pd.DataFrame(b.points.drop(columns="geometry")), rtol=0, atol=1e-9)
        # 2SFCA
        a = mzgeo.accessibility(demo.institutions, demo.villages, network=drive, minutes=30)
        b = mzgeo.accessibility(demo.institutions, demo.villages, network=drive, minutes=30, partition=counties)
        pd.testing.assert_frame_equal(pd.DataFrame(a.points.drop(columns="geometry")),
                                      pd.DataFrame(b.points.drop(columns="geometry")), rtol=0, atol=1e-9)
        assert a.points["accessible_per_1000"].gt(0).sum() > 100
        # shelters: the LP on the assembled cost table
        a = mzgeo.shelter_adequacy(demo.shelters, demo.villages, network=walk)
        b = mzgeo.shelter_adequacy(demo.shelters, demo.villages, network=walk, partition="county")
        pd.testing.assert_frame_equal(_tab(a.summary), _tab(b.summary), rtol=1e-12, atol=1e-6)
        assert _tab(a.summary)["sheltered"].iloc[0] > 0
        pd.testing.assert_frame_equal(a.assignments, b.assignments, rtol=0, atol=1e-6)
        # day care
        a = mzgeo.daycare_coverage(demo.daycare, demo.villages, network=walk)
        b = mzgeo.daycare_coverage(demo.daycare, demo.villages, network=walk, partition="county")
        pd.testing.assert_frame_equal(pd.DataFrame(a.villages.drop(columns="geometry")),
                                      pd.DataFrame(b.villages.drop(columns="geometry")), rtol=0, atol=1e-9)
        pd.testing.assert_frame_equal(_tab(a.summary), _tab(b.summary), rtol=0, atol=1e-9)
        # cemeteries: township points grouped by the county part of their codes
        a = mzgeo.cemetery_coverage(demo.cemeteries, demo.units_township, network=drive)
        b = mzgeo.cemetery_coverage(demo.cemeteries, demo.units_township, network=drive, partition="county")
        pd.testing.assert_frame_equal(pd.DataFrame(_tab(a.townships)), pd.DataFrame(_tab(b.townships)), rtol=0, atol=1e-9)
        assert _tab(a.townships)["n_reachable"].gt(0).sum() > 10 and _tab(a.townships)["mean_minutes"].notna().any()


# --- a Dask cluster -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, memory_limit="1GB",
                                  dashboard_address=":0") as lc, distributed.Client(lc) as client:
        yield client
        part.close_clients()  # the client of the address, before its cluster goes


@pytest.mark.slow
def test_local_cluster_two_workers_equal_one_network(demo, walk, drive, cluster, tmp_path):
    fac, dem = demo.daycare, demo.villages
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        one_near = walk.nearest(fac, dem)
        one_od = drive.od(demo.institutions, dem, cutoff_minutes=20)
        # the client of a LocalCluster: partition networks go through the disk cache
        got = drive.od(demo.institutions, dem, cutoff_minutes=20, partition="county", executor=cluster)
        assert_same_od(one_od, got)
        files = sorted((tmp_path / "cache" / "networks").glob("part-*.npz"))
        assert len(files) == 5
        # the scheduler's address: partition networks scattered once
        address = cluster.scheduler.address
        assert_same_nearest(one_near, walk.nearest(fac, dem, partition="county", executor=address,
                                                   within_minutes=20))
        a = mzgeo.accessibility(demo.institutions, dem, network=drive, minutes=20)
        b = mzgeo.accessibility(demo.institutions, dem, network=drive, minutes=20, partition="county",
                                executor=address)
        np.testing.assert_allclose(a.points["accessible_per_1000"], b.points["accessible_per_1000"], rtol=0,
                                   atol=1e-9)
    # both workers took part
    assert len(cluster.scheduler_info()["workers"]) == 2


def test_executor_values():
    assert part.get_client(None) is None
    assert part.get_client("serial") is None
    with pytest.raises(InputError):
        part.get_client(3)


# --- the command line -----------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_workers_two_equal_one_process(demo, tmp_path, capsys, monkeypatch):
    from mzgeo.cli import main

    monkeypatch.setattr(settings, "workers", None)
    files = {}
    for layer in ("villages", "daycare", "roads"):
        files[layer] = tmp_path / f"{layer}.gpkg"
        demo[layer].to_file(files[layer], layer=layer)
    base = ["coverage", "--facilities", files["daycare"], "--kind", "daycare", "--demand", files["villages"],
            "--minutes", "15", "--roads", files["roads"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        assert main([str(a) for a in [*base, "--out", tmp_path / "one.xlsx", "--gpkg", tmp_path / "one.gpkg"]]) == 0
        capsys.readouterr()
        try:
            code = main([str(a) for a in [*base, "--out", tmp_path / "two.xlsx", "--gpkg", tmp_path / "two.gpkg",
                                          "--workers", "2"]])
            err = capsys.readouterr().err
            assert code == 0, err
            client = part.get_client("local")
            assert len(client.scheduler_info()["workers"]) == 2
        finally:
            part.close_clients()
    assert "分区计算最近设施（5 个分区）" in err  # one partition per county code of the villages
    assert "面板 http" in err  # the Dask dashboard link
    layers = gpd.list_layers(tmp_path / "one.gpkg")["name"].tolist()
    assert layers == gpd.list_layers(tmp_path / "two.gpkg")["name"].tolist()
    for layer in layers:
        a = gpd.read_file(tmp_path / "one.gpkg", layer=layer)
        b = gpd.read_file(tmp_path / "two.gpkg", layer=layer)
        pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry")),
                                      rtol=0, atol=1e-9)


def test_cli_workers_usage_errors(capsys):
    from mzgeo.cli import main

    code = main(["coverage", "--facilities", "x.gpkg", "--demand", "y.gpkg", "--minutes", "5", "--cost", "c.csv",
                 "--out", "o.xlsx", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"])
    assert code == 2 or "不存在" in capsys.readouterr().err
