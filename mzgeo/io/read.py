"""Reading the files planners actually have, and validating them.

:func:`read_layer` reads CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Excel ``.xlsx``,
GeoPackage, Shapefile (GBK ``.dbf`` with or without ``.cpg``) and GeoJSON into a layer: a
GeoDataFrame with canonical English columns (:mod:`mzgeo.layers`), in the metric analysis
CRS. :func:`validate` runs the same reading and checks and returns every problem at once
as a :class:`ValidationReport`. Input files are only ever opened for reading; writing is in
:mod:`mzgeo.io.write`, text encodings in :mod:`mzgeo.io.encoding`, CSV and Excel grids in
:mod:`mzgeo.io.tables`.

Coordinate rules
----------------
* The input CRS is declared (``crs="gcj02"``, ``"bd09"``, ``"wgs84"``, ``"cgcs2000"``,
  Chinese aliases such as ``"高德"``, or any EPSG code) or read from the file (``.prj``,
  GeoPackage, GeoJSON).
* GCJ-02 (Amap, Tencent) and BD-09 (Baidu) coordinates are converted to WGS84, points and
  polygon/line vertices alike.
* A declared CRS that conflicts with the file's own CRS is an error (``mixed_crs``), except a
  file labelled EPSG:4326 or EPSG:4490 declared as GCJ-02/BD-09: tools that export Amap data
  label it WGS84, so the label is replaced, then the coordinates converted. WGS84 and
  CGCS2000 are treated as the same (they differ by well under 1 m).
* A spatial file without CRS and without declaration is an error (``missing_crs``); a lon/lat
  table without declaration is read as WGS84 with a warning (``assumed_wgs84``).
"""

from __future__ import annotations

import io as _stdio
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from .. import crs as _crs
from .. import settings
from .._files import SOURCE_PATHS, file_error, path_key
from ..errors import CRSError, DataWarning, FileAccessError, InputError, Problem
from ..layers import LayerSpec, canonical_column, get_spec, resolve_columns, set_kind
from .checks import (
    CODE_LABELS,
    CheckContext,
    ValidationReport,
    check_attributes,
    check_density,
    check_finite_coordinates,
    check_geometry_types,
    check_in_china,
    check_missing_geometry,
    check_offset,
    check_study_area,
    check_swapped,
    check_swapped_projected,
    format_report,
    repair_invalid,
    study_bounds,
)
from .encoding import (
    _check_encoding_name,
    _decode,
    _DecodeError,
    _guess_dbf_encoding,
    _looks_mojibake,
    _recode,
    _sniff_delimiter,
    _text_sample,
)
from .tables import _EXCEL_SUFFIXES, _Raw, _read_table, _table_geometry, _workbook_container_problem

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ValidationReport",
    "format_report",
    "read_layer",
    "read_reference",
    "read_table",
    "validate",
]

logger = logging.getLogger("mzgeo")

_TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
_SPATIAL_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json")
#: File suffixes :func:`read_layer` accepts.
SUPPORTED_SUFFIXES: tuple[str, ...] = _TABLE_SUFFIXES + _EXCEL_SUFFIXES + _SPATIAL_SUFFIXES

_EQUIVALENT_GEOGRAPHIC = {4326, 4490}


# --------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------
def read_layer(
    path: str | os.PathLike,
    kind: str,
    crs: Any = None,
    *,
    sheet: str | int | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    metric: bool = True,
    reference: Any = None,
    study_area: Any = None,
) -> gpd.GeoDataFrame:
    r"""Read a planner's file as a layer of a known kind.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv``/``.tsv``/``.txt``, ``.xlsx``, ``.gpkg``, ``.shp`` or ``.geojson`` file.
    kind : str
        Layer kind, English key or Chinese name (``"shelters"``, ``"养老机构"``...); see
        :data:`mzgeo.layers.KINDS`.
    crs : str, int or pyproj.CRS, optional
        Coordinate system of the coordinates in the file: ``"wgs84"``, ``"cgcs2000"``,
        ``"gcj02"`` (高德), ``"bd09"`` (百度) or an EPSG code. Default: the file's own CRS;
        WGS84 (with a warning) for lon/lat tables.
    sheet : str or int, optional
        Excel sheet name or 0-based index; default the first sheet.
    layer : str, optional
        GeoPackage layer; default the layer named like the kind, else the only/first layer.
    encoding : str, optional
        Text encoding of a CSV, of a Shapefile's ``.dbf`` or of a (non-standard) GBK
        GeoJSON; default detected (UTF-8, GBK/GB18030, Big5). Ignored for GeoPackage
        (always UTF-8). An unknown codec name raises :class:`~mzgeo.InputError`.
    lon_col, lat_col : str, optional
        Headers (as written) of the longitude/easting and latitude/northing columns of a
        table; default found through the alias table (经度/lon/lng/x, 纬度/lat/y).
    metric : bool
        Project the result to the metric analysis CRS (:func:`mzgeo.crs.metric_crs`,
        EPSG:4549 for Huzhou; ``settings.metric_crs`` overrides). ``False`` gives WGS84
        lon/lat (EPSG:4326).
    reference : geopandas.GeoDataFrame, optional
        A trusted layer of the same area (roads, villages, boundaries) used to detect
        GCJ-02/BD-09 data declared as WGS84 and to define the study area.
    study_area : geopandas.GeoDataFrame, shapely geometry or tuple, optional
        Study area (a layer with CRS, a lon/lat geometry or ``(minx, miny, maxx, maxy)`` in
        degrees); features more than ``settings.study_area_margin_km`` outside it are
        flagged. Default ``reference``, else ``settings.study_area_bounds``.

    Returns
    -------
    geopandas.GeoDataFrame
        Canonical columns (names, codes as text, numbers as ``float64``, yes/no columns as
        nullable ``boolean``, categories normalised), extra columns kept as written, the
        lon/lat columns consumed into the geometry. ``attrs``: ``mzgeo_kind``,
        ``mzgeo_source`` (file name), ``mzgeo_source_paths`` (resolved path; writers refuse
        it as a destination), ``mzgeo_input_crs`` (``"gcj02"``, ``"wgs84"``,
        ``"EPSG:4549"``...), ``mzgeo_encoding`` (CSV and Shapefile).

    Raises
    ------
    ValidationError
        The file has at least one error; ``err.problems`` (and ``err.report``) hold every
        problem found, errors and warnings.
    InputError
        The file does not exist or its format is not supported; unknown kind; unknown
        ``encoding``.
    CRSError
        The declared ``crs`` is not understood.

    Warns
    -----
    DataWarning
        One per kind of non-fatal problem (duplicate names, repaired polygons, assumed
        WGS84...); :func:`validate` lists them all.

    See Also
    --------
    validate : the same checks, returning the report instead of raising.

    Examples
    --------
    >>> import mzgeo, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "养老机构.csv"
    >>> _ = path.write_text("名称,床位数,经度,纬度\n埭溪镇敬老院,120,120.09,30.87\n", encoding="gbk")
    >>> gdf = mzgeo.read_layer(path, "institutions", crs="gcj02")
    >>> gdf.crs.to_epsg(), gdf.attrs["mzgeo_input_crs"], gdf["beds"].tolist()
    (4549, 'gcj02', [120.0])
    """
    try:
        loaded = _load(
            path, kind, crs, sheet=sheet, layer=layer, encoding=encoding, lon_col=lon_col, lat_col=lat_col,
            reference=reference, study_area=study_area,
        )
    except OSError as exc:  # a folder named like a file, no permission...
        if isinstance(exc, FileAccessError):
            raise
        raise file_error(exc, path, action="读取") from exc
    loaded.report.raise_if_errors()
    _emit_warnings(loaded.report)
    gdf = loaded.gdf
    assert gdf is not None  # no errors means a frame was built
    if len(gdf) and gdf.geometry.isna().all():  # a table without coordinates (allowed kinds): nothing to project
        out = gdf.copy()
    else:
        out = _crs.to_metric(gdf) if metric else gdf.to_crs(4326)
    out.attrs.clear()
    set_kind(out, kind, loaded.meta["source"])
    out.attrs["mzgeo_input_crs"] = loaded.meta.get("input_crs")
    out.attrs[SOURCE_PATHS] = (path_key(path),)  # writers refuse to overwrite it
    if loaded.meta.get("encoding"):
        out.attrs["mzgeo_encoding"] = loaded.meta["encoding"]
    logger.info(
        "读取 %s（%s）：%d 行，坐标系 %s → %s", loaded.meta["source"], get_spec(kind).name_zh, len(out),
        loaded.meta.get("input_crs"), out.crs.to_string() if out.crs else None,
    )
    return out


def validate(
    path: str | os.PathLike,
    kind: str,
    crs: Any = None,
    *,
    reference: Any = None,
    study_area: Any = None,
    **read_kwargs: Any,
) -> ValidationReport:
    r"""Check a planner's file and report every problem at once.

    Runs exactly the reading and checks of :func:`read_layer` but returns the report
    instead of raising. Row numbers are as the user sees them (Excel/CSV: header = row 1,
    first data row = row 2; spatial files: 1-based feature number); columns are named by
    their header as written. See :mod:`mzgeo.io.checks` for the list of problem codes.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    kind : str
        Layer kind.
    crs : optional
        Declared input CRS (see :func:`read_layer`).
    reference : geopandas.GeoDataFrame, optional
        Trusted layer for the GCJ-02 check and the study area.
    study_area : optional
        Study area (see :func:`read_layer`).
    **read_kwargs
        ``sheet``, ``layer``, ``encoding``, ``lon_col``, ``lat_col`` as in :func:`read_layer`.

    Returns
    -------
    ValidationReport
        ``.ok``, ``.errors``, ``.warnings``, ``.problems``, ``.to_frame()``; ``str()`` gives
        the Chinese table.

    Raises
    ------
    InputError
        The file does not exist or its format is not supported; unknown keyword.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "养老机构.csv"
    >>> _ = path.write_text("名称,床位数,经度,纬度\n甲院,一百,120.09,30.87\n乙院,80,,30.9\n", encoding="gbk")
    >>> report = validate(path, "institutions", crs="gcj02")
    >>> report.ok, sorted(report.codes())
    (False, ['missing_geometry', 'not_numeric'])
    >>> [(p.row, p.column) for p in report.errors]
    [(2, '床位数'), (3, '经度/纬度')]
    """
    allowed = {"sheet", "layer", "encoding", "lon_col", "lat_col", "metric"}
    unknown = set(read_kwargs) - allowed
    if unknown:
        msg = f"validate() 不支持参数 {sorted(unknown)}，可用：{sorted(allowed)}"
        raise InputError(msg)
    read_kwargs.pop("metric", None)
    try:
        return _load(path, kind, crs, reference=reference, study_area=study_area, **read_kwargs).report
    except OSError as exc:  # a folder named like a file, no permission...
        if isinstance(exc, FileAccessError):
            raise
        raise file_error(exc, path, action="读取") from exc


def read_table(
    path: str | os.PathLike, *, sheet: str | int | None = None, encoding: str | None = None
) -> pd.DataFrame:
    """Read a plain table (no geometry) from CSV or Excel, all values as text.

    For side tables such as travel-time tables, line-name overrides or inspection years.
    CSV encoding is detected as in :func:`read_layer` (UTF-8, UTF-8 with BOM, GBK, GB18030).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv``/``.tsv``/``.txt`` or ``.xlsx`` file.
    sheet : str or int, optional
        Excel sheet name or 0-based index; default the first sheet.
    encoding : str, optional
        CSV encoding; default detected.

    Returns
    -------
    pandas.DataFrame
        Headers as written; cells as text (empty cells are missing values).

    Raises
    ------
    InputError
        The file does not exist, cannot be decoded, or has an unsupported suffix.
    """
    p = Path(path)
    if not p.exists():
        msg = f"文件不存在：{p} (file not found)"
        raise InputError(msg)
    suffix = p.suffix.lower()
    encoding = _check_encoding_name(encoding)
    if suffix in (".xlsx", ".xlsm"):
        container = _workbook_container_problem(p)
        if container is not None:
            msg = f"{p.name}：{container}"
            raise InputError(msg)
        return pd.read_excel(p, sheet_name=0 if sheet is None else sheet, dtype=str, engine="calamine")
    if suffix not in _TABLE_SUFFIXES:
        msg = f"不支持的表格格式 {p.suffix}：请用 CSV 或 .xlsx (unsupported table format)"
        raise InputError(msg)
    try:
        text, _, _ = _decode(p.read_bytes(), encoding)
    except _DecodeError as exc:
        msg = f"{p.name}：{exc.text()}；请用 encoding= 指定，或另存为 UTF-8 CSV (cannot decode)"
        raise InputError(msg) from None
    return pd.read_csv(_stdio.StringIO(text), sep=_sniff_delimiter(text, suffix), dtype=str)



def _emit_warnings(report: ValidationReport) -> None:
    """One :class:`DataWarning` per problem code (the first problem as example)."""
    by_code: dict[str, list[Problem]] = {}
    for p in report.warnings:
        by_code.setdefault(p.code, []).append(p)
    for code, probs in by_code.items():
        if len(probs) == 1:
            text = str(probs[0])
        else:
            text = (
                f"{len(probs)} 处「{CODE_LABELS.get(code, code)}」，第一处：{probs[0]}"
                "（完整清单请用 mzgeo.validate() 查看）"
            )
        warnings.warn(text, DataWarning, stacklevel=3)


# --------------------------------------------------------------------------------------------
# reading: the shared pipeline
# --------------------------------------------------------------------------------------------
@dataclass
class _Loaded:
    gdf: gpd.GeoDataFrame | None
    report: ValidationReport
    meta: dict[str, Any] = field(default_factory=dict)




def _load(
    path: str | os.PathLike,
    kind: str | LayerSpec,
    crs: Any,
    *,
    sheet: str | int | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    reference: Any = None,
    study_area: Any = None,
) -> _Loaded:
    spec = kind if isinstance(kind, LayerSpec) else get_spec(kind)
    p = Path(path)
    if not p.exists():
        msg = f"文件不存在：{p} (file not found)"
        raise InputError(msg)
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        hint = "；.xls 请在 Excel 中另存为 .xlsx" if suffix == ".xls" else ""
        msg = f"不支持的文件格式 {p.name}：可用 {'、'.join(SUPPORTED_SUFFIXES)}{hint} (unsupported format)"
        raise InputError(msg)
    encoding = _check_encoding_name(encoding)
    declared = _crs.parse_crs(crs) if crs is not None else None
    reference = _as_frame(reference, "reference")
    study_area = _as_frame(study_area, "study_area")
    problems: list[Problem] = []
    name = p.name

    def add(severity: str, code: str, message: str, row: int | None = None, column: str | None = None) -> None:
        problems.append(Problem(severity, message, name, row, column, code))

    meta: dict[str, Any] = {"source": name}
    if suffix in _TABLE_SUFFIXES or suffix in _EXCEL_SUFFIXES:
        raw = _read_table(p, spec, sheet=sheet, encoding=encoding, add=add)
    else:
        raw = _read_spatial(p, spec, layer=layer, encoding=encoding, add=add)
    if raw is None:
        return _Loaded(None, ValidationReport(problems, name, spec.key), meta)
    meta.update(raw.meta)

    mapping = resolve_columns([str(c) for c in raw.data.columns], spec.key)
    displaced: dict[str, str] = {}  # columns named like a coordinate but not chosen → their name
    if raw.spatial:
        mapping = {h: c for h, c in mapping.items() if c not in ("lon", "lat")}
    else:
        _check_coordinate_pairs(raw.data.columns, spec.key, lon_col, lat_col, add)
        for wanted, given in (("lon", lon_col), ("lat", lat_col)):
            if given is None:
                continue
            if given not in raw.data.columns:
                shown = "、".join(map(str, raw.data.columns))
                add("error", "missing_column", f"找不到指定的列「{given}」（{wanted}_col），文件中的列为 {shown}", column=given)
                continue
            mapping = {h: c for h, c in mapping.items() if c != wanted and h != given}
            mapping[given] = wanted
            if wanted in raw.data.columns and wanted not in (lon_col, lat_col):  # a "lat" column not chosen
                displaced[f"{wanted}（未选用）"] = wanted
                mapping[wanted] = f"{wanted}（未选用）"
    data = raw.data.rename(columns=mapping)
    headers = {canon: header for header, canon in mapping.items()}
    ctx = CheckContext(data, raw.rows, headers, spec, name, problems)

    # -- coordinates of tables (before the attribute checks: they parse lon/lat) -------------
    geoms: np.ndarray | None
    raw_xy: tuple[np.ndarray, np.ndarray] | None = None
    geom_col: str | None = None
    consumed: list[str] = []
    if raw.spatial:
        geoms = raw.geometry
    else:
        geoms, raw_xy, geom_col, consumed = _table_geometry(ctx)

    check_attributes(ctx)
    if geoms is None and not raw.spatial and spec.table_ok:  # a table without coordinates, allowed for this kind
        meta["input_crs"] = None
        frame = ctx.data.drop(columns=consumed).rename(columns=displaced)
        table = gpd.GeoDataFrame(frame, geometry=np.full(len(frame), None, dtype=object), crs=4326)
        return _Loaded(table, ValidationReport(ctx.problems, name, spec.key), meta)

    # -- coordinate system ---------------------------------------------------------------------
    has_coords = geoms is not None and bool((~(shapely.is_missing(geoms) | shapely.is_empty(geoms))).any())
    crs_kind, label = _resolve_crs(declared, raw.file_crs, raw.spatial, has_coords, ctx)
    meta["input_crs"] = _crs_name(crs_kind, label)
    if geoms is None:
        return _Loaded(None, ValidationReport(ctx.problems, name, spec.key), meta)

    # -- geometry checks -------------------------------------------------------------------------
    n = len(ctx.data)
    skip = np.zeros(n, dtype=bool)
    if label is not None and label.is_geographic:
        if raw_xy is not None:
            x, y = raw_xy
            hx, hy = ctx.header("lon"), ctx.header("lat")
        else:
            x, y = _centres(geoms)
            hx, hy = "X（经度）", "Y（纬度）"
        skip |= check_swapped(ctx, x, y, geom_col or "坐标", x_header=hx, y_header=hy, table=raw_xy is not None)
    elif label is not None and raw_xy is not None and check_swapped_projected(ctx, *raw_xy, label, geom_col or "坐标"):
        skip[:] = True
    if raw.spatial:
        skip |= check_missing_geometry(ctx, geoms, geom_col, "几何为空或缺失 (missing geometry)")
    else:
        skip |= shapely.is_missing(geoms) | shapely.is_empty(geoms)
    skip |= check_finite_coordinates(ctx, geoms, geom_col)
    geoms = check_geometry_types(ctx, geoms, geom_col)
    if label is None:  # missing or conflicting CRS: nothing more can be said about positions
        return _Loaded(None, ValidationReport(ctx.problems, name, spec.key), meta)
    if crs_kind in ("gcj02", "bd09"):
        geoms = _convert_geoms(geoms, crs_kind)
    geoms = repair_invalid(ctx, geoms, geom_col, skip)
    gdf = gpd.GeoDataFrame(ctx.data.drop(columns=consumed).rename(columns=displaced), geometry=geoms, crs=label)
    ll = gdf.geometry if label.to_epsg() == 4326 else gdf.geometry.to_crs(4326)
    ll_geoms = ll.to_numpy()
    check_in_china(ctx, ll_geoms, skip, geom_col, raw=raw_xy if crs_kind not in ("gcj02", "bd09") else None)
    check_density(ctx, ll_geoms, skip, geom_col, float(settings.max_population_density_per_km2))
    bounds, source = _study_area(study_area, reference)
    if bounds is not None:
        margin = float(settings.study_area_margin_km)
        check_study_area(ctx, ll_geoms, bounds, margin, skip | _crs.out_of_china(*_centres(ll_geoms)), geom_col, source)
    if reference is not None:
        meta["offset_m"] = check_offset(ctx, ll_geoms, reference, crs_kind)
    return _Loaded(gdf, ValidationReport(ctx.problems, name, spec.key), meta)


def _check_coordinate_pairs(columns: Any, kind: str, lon_col: str | None, lat_col: str | None, add: Any) -> None:
    """Error when a table has several longitude (or latitude) columns and none was chosen.

    ``经度/纬度`` next to ``lng/lat`` (a GCJ-02 pair beside a WGS84 pair, typically) must not
    give points made of one column of each pair.
    """
    found: dict[str, list[str]] = {"lon": [], "lat": []}
    for c in columns:
        canon = canonical_column(c, kind)
        if canon in found:
            found[canon].append(str(c))
    given = {"lon": lon_col, "lat": lat_col}
    if all(len(found[a]) < 2 or given[a] is not None for a in found):
        return
    lons, lats = found["lon"], found["lat"]
    pairs = "、".join(f"「{x}/{y}」" for x, y in zip(lons, lats, strict=False))
    example = f"lon_col='{lons[0]}', lat_col='{lats[0]}'" if lons and lats else "lon_col='…', lat_col='…'"
    add(
        "error",
        "coordinate_pairs",
        f"文件有多组坐标列：经度列 {'、'.join(lons) or '（无）'}，纬度列 {'、'.join(lats) or '（无）'}"
        f"（{pairs}）。不能确定用哪一组，请指定，如 read_layer(..., {example})；"
        "也可删去不用的一组 (several coordinate column pairs: choose one)",
        column="、".join(lons + lats),
    )


def _centres(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = shapely.bounds(geoms)
    with np.errstate(all="ignore"):  # infinite bounds give NaN centres (reported elsewhere)
        return b[:, 0] / 2.0 + b[:, 2] / 2.0, b[:, 1] / 2.0 + b[:, 3] / 2.0


#: Schema of a reference or study-area layer: any geometry with an extent, no required column.
_REFERENCE_SPEC = LayerSpec("zones", "参照图层", "any", required=(), optional=("name",))


def read_reference(
    path: str | os.PathLike, crs: Any = None, *, layer: str | None = None, encoding: str | None = None
) -> gpd.GeoDataFrame:
    """Read a reference or study-area layer: points, lines or polygons, any columns.

    Parameters
    ----------
    path : str or os.PathLike
        Any file :func:`read_layer` reads: a spatial file, or a table with lon/lat or WKT.
    crs : optional
        Declared CRS of the coordinates (as in :func:`read_layer`).
    layer : str, optional
        GeoPackage layer.
    encoding : str, optional
        Text encoding of a CSV or a Shapefile's ``.dbf`` (default detected).

    Returns
    -------
    geopandas.GeoDataFrame
        In the file's (or declared) CRS, GCJ-02/BD-09 converted to WGS84.

    Raises
    ------
    ValidationError
        Missing CRS, unreadable file, bad geometries.
    """
    loaded = _load(path, _REFERENCE_SPEC, crs, layer=layer, encoding=encoding)
    loaded.report.raise_if_errors()
    assert loaded.gdf is not None
    return loaded.gdf


def _as_frame(obj: Any, what: str) -> Any:
    """Return a reference or study-area layer: read when given as a path; its CRS is required."""
    if isinstance(obj, str | os.PathLike):
        obj = read_reference(obj)
    if isinstance(obj, gpd.GeoDataFrame | gpd.GeoSeries) and obj.crs is None:
        msg = f"{what} 图层没有坐标系 (missing CRS)：请先用 set_crs 标明"
        raise CRSError(msg)
    return obj


def _study_area(study_area: Any, reference: Any) -> tuple[tuple[float, float, float, float] | None, str]:
    if study_area is not None:
        return study_bounds(study_area), "study_area"
    if reference is not None:
        return study_bounds(reference), "参考图层"
    if settings.study_area_bounds is not None:
        return tuple(settings.study_area_bounds), "settings.study_area_bounds"  # type: ignore[return-value]
    return None, ""


# --------------------------------------------------------------------------------------------
# coordinate systems
# --------------------------------------------------------------------------------------------
def _epsg(crs: pyproj.CRS) -> int | None:
    try:
        return crs.to_epsg(min_confidence=70)
    except Exception:  # pragma: no cover - pyproj oddities
        return None


def _same_crs(a: pyproj.CRS, b: pyproj.CRS) -> bool:
    ea, eb = _epsg(a), _epsg(b)
    if ea is not None and ea == eb:
        return True
    if ea in _EQUIVALENT_GEOGRAPHIC and eb in _EQUIVALENT_GEOGRAPHIC:
        return True
    return a.equals(b, ignore_axis_order=True)


def _crs_name(kind: str | None, label: pyproj.CRS | None) -> str | None:
    if kind in ("wgs84", "cgcs2000", "gcj02", "bd09"):
        return kind
    if label is None:
        return None
    epsg = _epsg(label)
    return f"EPSG:{epsg}" if epsg else label.to_string()


def _resolve_crs(
    declared: tuple[str, pyproj.CRS | None] | None,
    file_crs: pyproj.CRS | None,
    spatial: bool,
    has_coords: bool,
    ctx: CheckContext,
) -> tuple[str | None, pyproj.CRS | None]:
    """Decide what the coordinates are: ``(kind, label CRS)``; ``(.., None)`` after an error."""
    if declared is None:
        if file_crs is not None:
            epsg = _epsg(file_crs)
            kind = {4326: "wgs84", 4490: "cgcs2000"}.get(epsg or 0, "other")
            return kind, file_crs
        if spatial:
            ctx.add(
                "error",
                "missing_crs",
                "文件没有坐标系（缺少 .prj 或未定义）(missing CRS)：请用 crs= 声明，"
                "如 crs='cgcs2000'、crs='EPSG:4549' 或 crs='gcj02'",
            )
            return None, None
        if has_coords:
            ctx.add(
                "warning",
                "assumed_wgs84",
                "未声明坐标系，按 WGS84 经纬度处理 (no CRS declared: WGS84 assumed)；"
                "高德坐标请用 crs='gcj02'，百度坐标用 crs='bd09'",
            )
        return "wgs84", pyproj.CRS.from_epsg(4326)
    kind, dcrs = declared
    assert dcrs is not None
    if file_crs is None or _same_crs(file_crs, dcrs):
        return kind, dcrs
    if kind in ("gcj02", "bd09") and _epsg(file_crs) in _EQUIVALENT_GEOGRAPHIC:
        logger.info("%s：文件标为 %s，按声明视为 %s 并转换为 WGS84", ctx.file, file_crs.to_string(), kind)
        return kind, dcrs
    ctx.add(
        "error",
        "mixed_crs",
        f"坐标系冲突 (mixed CRS)：声明的坐标系为 {_crs_name(kind, dcrs)}，文件自带的坐标系为 "
        f"{_crs_name(None, file_crs)}。请去掉 crs= 以使用文件的坐标系，或先在 GIS 中核对",
    )
    return None, None


def _convert_geoms(geoms: np.ndarray, kind: str) -> np.ndarray:
    """GCJ-02 or BD-09 geometries → WGS84, every vertex (vectorised)."""
    func = _crs.gcj02_to_wgs84 if kind == "gcj02" else _crs.bd09_to_wgs84

    def convert(coords: np.ndarray) -> np.ndarray:
        # NaN/inf and impossible lon/lat (metres, 1e308) are reported, not converted
        with np.errstate(invalid="ignore"):
            ok = (np.abs(coords[:, 0]) <= 180.0) & (np.abs(coords[:, 1]) <= 90.0)
        if not ok.any():
            return coords
        out = coords.copy()
        x, y = func(coords[ok, 0], coords[ok, 1])
        good = np.isfinite(x) & np.isfinite(y)  # absurd values (1e308) stay as written: outside China
        out[np.flatnonzero(ok)[good]] = np.column_stack([x, y])[good]
        return out

    with np.errstate(all="ignore"):  # absurd coordinates (1e308) are reported as outside China
        return shapely.transform(geoms, convert)


# --------------------------------------------------------------------------------------------
# spatial files: GeoPackage, Shapefile, GeoJSON
# --------------------------------------------------------------------------------------------
def _read_ogr(path: Path, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gdf = pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    for w in caught:
        logger.debug("pyogrio: %s", w.message)
    return gdf


def _read_shapefile(path: Path, encoding: str | None, add: Any) -> tuple[gpd.GeoDataFrame, str]:
    """Read a Shapefile, finding the ``.dbf`` encoding when there is no ``.cpg``.

    Without ``.cpg`` (and without a code page byte in the ``.dbf``) GDAL reads text as
    ISO-8859-1, which turns GBK or UTF-8 Chinese into Latin letters (mojibake). That text
    gives back the original bytes losslessly; the first of UTF-8, GBK and GB18030 that
    decodes them strictly is used to read the file again.
    """
    cpg = _sidecar(path, ".cpg")
    declared = encoding or (cpg.read_text(errors="replace").strip() or None if cpg else None)
    gdf: gpd.GeoDataFrame | None
    try:
        gdf = _read_ogr(path, None, encoding)
    except UnicodeDecodeError:  # e.g. a field name cut in the middle of a UTF-8 character
        gdf = None
    used = declared
    if gdf is None or (declared is None and _looks_mojibake(_text_sample(gdf))):
        latin = _read_ogr(path, None, "ISO-8859-1")
        target = declared or _guess_dbf_encoding(_text_sample(latin)) or "ISO-8859-1"
        try:
            gdf = _read_ogr(path, None, target)
        except UnicodeDecodeError:
            gdf = _recode(latin, target)
        used = target
        logger.info("%s：属性表按 %s 读取（%s）", path.name, target, "无 .cpg" if cpg is None else ".cpg")
    if _looks_mojibake(_text_sample(gdf)) or "\ufffd" in _text_sample(gdf):
        add(
            "warning",
            "mojibake",
            "属性表文字疑似乱码（.dbf 编码不明或字段名被截断）：请补充 .cpg 文件（内容如 GBK 或 UTF-8），"
            "或用 encoding='GBK' 读取 (garbled text)",
        )
    return gdf, used or pyogrio.read_info(path).get("encoding") or "ISO-8859-1"


def _sidecar(path: Path, suffix: str) -> Path | None:
    for cand in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if cand.exists():
            return cand
    return None


def _read_spatial(path: Path, spec: LayerSpec, *, layer: str | None, encoding: str | None, add: Any) -> _Raw | None:
    suffix = path.suffix.lower()
    meta: dict[str, Any] = {}
    try:
        if suffix == ".gpkg":
            listed = pyogrio.list_layers(path)
            all_names = [str(n) for n in listed[:, 0]]
            names = [str(n) for n, g in listed if g is not None]  # skip tables such as QGIS layer_styles
            if not all_names:
                add("error", "empty_file", "GeoPackage 中没有图层 (no layers)")
                return None
            if layer is None and not names:
                add("error", "no_coordinates", f"GeoPackage 中没有空间图层（只有表 {'、'.join(all_names)}）(no spatial layer)")
                return None
            if layer is None:
                preferred = [n for n in names if n in (spec.key, spec.name_zh)]
                layer = preferred[0] if preferred else names[0]
                if not preferred and len(names) > 1:
                    add(
                        "warning",
                        "several_layers",
                        f"GeoPackage 有 {len(names)} 个图层（{'、'.join(names)}），读取了第一个「{layer}」；"
                        "请用 layer= 指定 (several layers)",
                    )
            elif layer not in all_names:
                add("error", "layer_not_found", f"找不到图层「{layer}」；图层有 {'、'.join(all_names)} (layer not found)")
                return None
            meta["layer"] = layer
        if suffix == ".shp":
            gdf, meta["encoding"] = _read_shapefile(path, encoding, add)
        else:
            if suffix == ".gpkg" and encoding is not None:  # GeoPackage text is UTF-8 by definition
                logger.info("%s：GeoPackage 文字总是 UTF-8，忽略 encoding=%s", path.name, encoding)
                encoding = None
            gdf = _read_ogr(path, layer, encoding)
    except Exception as exc:  # pyogrio/GDAL errors of any kind: the file is not usable
        add("error", "unreadable", f"无法读取：{exc} (cannot read file)")
        return None
    if not isinstance(gdf, gpd.GeoDataFrame):
        add("error", "no_coordinates", "图层没有几何列（是属性表）(no geometry)")
        return None
    if len(gdf) == 0:
        add("error", "empty_file", "文件中没有要素 (no features)")
    geom_name = gdf.geometry.name
    data = pd.DataFrame(gdf.drop(columns=geom_name)).reset_index(drop=True)
    return _Raw(
        data,
        np.arange(1, len(gdf) + 1),
        geometry=gdf.geometry.to_numpy(),
        file_crs=pyproj.CRS.from_user_input(gdf.crs) if gdf.crs is not None else None,
        spatial=True,
        meta=meta,
    )
