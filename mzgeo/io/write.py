"""Writing layers: GeoPackage, GeoJSON, Shapefile, atomically; the one GeoPackage-safe writer.

:func:`write_layer` and :func:`write_layers` write GeoDataFrames as they are (one atomic step,
other layers of an existing GeoPackage kept, input files refused). :func:`write_gpkg` is the one
writer every result uses for its ``to_gpkg``: it first makes the frames safe for GeoPackage
and for Excel/QGIS readers (:func:`gpkg_ready`: object columns as text, a non-default index
kept as a first column, frames without geometry or rows skipped), then calls
:func:`write_layers`.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from .._files import atomic_path, file_error, refuse_inputs, source_paths
from ..errors import CRSError, InputError

__all__ = ["gpkg_ready", "write_gpkg", "write_layer", "write_layers"]

logger = logging.getLogger("mzgeo")

_WRITE_DRIVERS = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile"}


def write_layer(
    gdf: gpd.GeoDataFrame, path: str | os.PathLike, layer: str | None = None, *, sources: Iterable[str] = ()
) -> Path:
    """Write a layer atomically to a GeoPackage, GeoJSON or Shapefile (chosen by suffix).

    A GeoPackage that exists keeps its other layers: it is copied to a temporary file beside
    it, the layer is written there (replacing a layer of the same name) and the copy
    replaces the original. The original is untouched if anything fails. GeoJSON is written
    in WGS84 lon/lat (RFC 7946); a Shapefile with a UTF-8 ``.cpg`` (field names are cut to
    10 bytes by the format: prefer GeoPackage).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer; must have a CRS.
    path : str or os.PathLike
        ``.gpkg``, ``.geojson``/``.json`` or ``.shp``.
    layer : str, optional
        GeoPackage layer name; default ``gdf.attrs["mzgeo_kind"]``, else the file stem.
    sources : iterable of str, optional
        Further input files (:func:`mzgeo._files.path_key`) that must not be overwritten;
        the file ``gdf`` was read from (``attrs["mzgeo_source_paths"]``) always is refused.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        Unsupported suffix, ``gdf`` is not a GeoDataFrame, or ``path`` is the file ``gdf``
        was read from (inputs are never modified, also not another layer of an input
        GeoPackage).
    FileAccessError
        ``path`` is a folder, lies inside a file or is not writable.
    CRSError
        ``gdf`` has no CRS.
    """
    target = Path(path)
    name = layer or gdf.attrs.get("mzgeo_kind") or target.stem
    return write_layers(target, {name: gdf}, sources=sources)


def write_layers(
    path: str | os.PathLike, layers: Mapping[str, gpd.GeoDataFrame], *, sources: Iterable[str] = ()
) -> Path:
    """Write several layers to one GeoPackage in a single atomic step.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.gpkg`` (any suffix of :func:`write_layer` when there is one layer).
    layers : mapping
        Layer name → GeoDataFrame (each with a CRS). Existing layers of other names are kept.
    sources : iterable of str, optional
        Further input files (:func:`mzgeo._files.path_key`) that must not be overwritten,
        besides those the layers were read from.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        No layers, several layers for a single-layer format, unsupported suffix, or
        ``path`` is a file one of the layers was read from.
    FileAccessError
        ``path`` is a folder, lies inside a file or is not writable.
    CRSError
        A layer has no CRS.
    """
    target = Path(path)
    refuse_inputs(target, source_paths(layers) | set(sources))
    if target.is_dir():
        raise file_error(IsADirectoryError(21, "Is a directory", str(target)), target, action="写入")
    suffix = target.suffix.lower()
    if suffix not in _WRITE_DRIVERS:
        msg = f"不支持写入 {target.name}：可用 {'、'.join(sorted(_WRITE_DRIVERS))} (unsupported format)"
        raise InputError(msg)
    if not layers:
        msg = "没有要写入的图层 (no layers)"
        raise InputError(msg)
    driver = _WRITE_DRIVERS[suffix]
    if driver != "GPKG" and len(layers) > 1:
        msg = f"{target.name} 只能保存一个图层；多个图层请写入 .gpkg (one layer per {driver} file)"
        raise InputError(msg)
    frames = {str(name): _prepare_for_writing(g, driver, str(name)) for name, g in layers.items()}
    if driver == "ESRI Shapefile":
        name, frame = next(iter(frames.items()))
        _write_shapefile(frame, target)
    else:
        with atomic_path(target) as tmp:
            if driver == "GPKG" and target.exists():
                shutil.copy2(target, tmp)
            for name, frame in frames.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    pyogrio.write_dataframe(frame, tmp, layer=name if driver == "GPKG" else None, driver=driver)
    logger.info("写入 %s：图层 %s", target, "、".join(f"{n}（{len(g)} 行）" for n, g in frames.items()))
    return target


# --------------------------------------------------------------------------------------------
# writing helpers
# --------------------------------------------------------------------------------------------
def _prepare_for_writing(gdf: Any, driver: str, name: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"图层 {name} 不是 GeoDataFrame（是 {type(gdf).__name__}）"
        raise InputError(msg)
    if gdf.crs is None:
        msg = f"图层 {name} 没有坐标系，不能写入 (missing CRS)：请先用 set_crs 标明"
        raise CRSError(msg)
    out = gdf.copy()
    out.attrs = {}
    if driver == "GeoJSON" and out.crs.to_epsg() != 4326:
        out = out.to_crs(4326)
    for col in out.columns:
        if col != out.geometry.name and isinstance(out[col].dtype, pd.BooleanDtype) and not out[col].isna().any():
            out[col] = out[col].astype(bool)
    return out


def _write_shapefile(frame: gpd.GeoDataFrame, target: Path) -> None:
    """Write a Shapefile into a temporary folder beside ``target``, then move each part."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmpdir = Path(tempfile.mkdtemp(prefix=f".{target.stem}.", dir=target.parent))
    except FileExistsError as exc:  # a file stands where a folder of the path should be
        raise file_error(NotADirectoryError(20, "Not a directory", str(target)), target, action="写入") from exc
    except OSError as exc:
        raise file_error(exc, target, action="写入") from exc
    try:
        tmp = tmpdir / target.name
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.write_dataframe(frame, tmp, driver="ESRI Shapefile", encoding="UTF-8")
        for stale in (".qix", ".sbn", ".sbx", ".cpg"):
            old = target.with_suffix(stale)
            if old.exists() and not (tmpdir / old.name).exists():
                old.unlink()
        for part in sorted(tmpdir.iterdir(), key=lambda p: p.suffix.lower() == ".shp"):  # .shp last
            os.replace(part, target.parent / part.name)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)



def gpkg_ready(gdf: Any) -> Any:
    """Copy ``gdf`` so that it is safe to write to GeoPackage and to read back in Excel or QGIS.

    Object columns (mixed Python values, lists, ``Decimal``) become text, missing values kept
    missing; a non-default index (facility codes, village names) is kept as a first column
    named after the index (``source_index`` when unnamed), so no identifier is lost.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer (not modified).

    Returns
    -------
    geopandas.GeoDataFrame
        The copy, with a ``RangeIndex``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame({"v": [1, "a"]}, geometry=[shapely.Point(0, 0)] * 2,
    ...                      index=pd.Index(["x", "y"], name="code"), crs=4549)
    >>> gpkg_ready(g)[["code", "v"]].to_dict("list")
    {'code': ['x', 'y'], 'v': ['1', 'a']}
    """
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        if out[col].dtype == object:
            out[col] = out[col].astype("str").mask(out[col].isna())
    if not isinstance(out.index, pd.RangeIndex):
        name = out.index.name or "source_index"
        if name in out.columns:
            name = f"{name}_index"
        idx = out.index
        out = out.reset_index(drop=True)
        out.insert(0, name, idx.astype("str") if idx.dtype == object else idx.to_numpy())
    return out


def write_gpkg(path: str | os.PathLike, layers: Mapping[str, Any], *, sources: Iterable[str] = ()) -> Path:
    """Write GeoDataFrames as layers of one GeoPackage, atomically (all layers or nothing).

    The one GeoPackage writer of mzgeo's results: frames without geometry or without rows are
    skipped, the others made safe with :func:`gpkg_ready`, then written by
    :func:`write_layers` (other layers of an existing file are kept).

    Parameters
    ----------
    path : str or os.PathLike
        Destination ``.gpkg``.
    layers : mapping
        Layer name → GeoDataFrame.
    sources : iterable of str, optional
        Input files that must not be overwritten (see :func:`mzgeo._files.source_paths`);
        the files the layers were read from always are.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        No layer has geometry, or ``path`` is one of the input files.
    """
    usable = {
        k: v
        for k, v in layers.items()
        if v is not None and hasattr(v, "geometry") and "geometry" in v.columns and len(v)
    }
    if not usable:
        msg = "没有可写入 GeoPackage 的空间图层 (no spatial layer to write)"
        raise InputError(msg)
    ready = {name: gpkg_ready(gdf) for name, gdf in usable.items()}
    return write_layers(path, ready, sources=set(sources) | source_paths(layers))
