"""Shared internals of the analysis results: input checks, problem records, Excel/GeoPackage output.

Private to mzgeo. Used by :mod:`mzgeo.coverage`, :mod:`mzgeo.analysis.beds`, :mod:`mzgeo.analysis.shelters` and
:mod:`mzgeo.analysis.burial`.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._files import atomic_path, source_paths
from ..errors import CRSError, DataWarning, InputError

__all__ = [
    "PROBLEM_COLUMNS",
    "AnalysisResult",
    "as_points",
    "attach_geometry",
    "check_crs",
    "check_frame",
    "concat_problems",
    "located",
    "make_problems",
    "numeric_column",
    "parse_minutes",
    "truthy",
    "warn_problems",
    "write_gpkg",
]

logger = logging.getLogger("mzgeo")

#: Columns of every ``problems`` frame.
PROBLEM_COLUMNS: list[str] = ["severity", "problem", "layer", "item", "name", "message"]

_TRUE_WORDS = {"1", "true", "t", "yes", "y", "是", "有", "√", "✓", "城镇", "城市", "urban", "社区"}


# --- problems ---------------------------------------------------------------------------------
def make_problems(
    problem: str,
    layer: str,
    items: Iterable[Any],
    message: str | Sequence[str] | pd.Series,
    *,
    names: Any = None,
    severity: str = "warning",
) -> pd.DataFrame:
    """A problems frame, one row per item (vectorised; no per-row Python).

    Parameters
    ----------
    problem : str
        Machine key (``"unassigned"``, ``"missing_elderly"``...).
    layer : str
        Layer the items belong to.
    items : iterable
        Index labels of the items concerned.
    message : str or sequence of str
        Chinese message, one for all or one per item.
    names : array-like, optional
        Item names aligned with ``items``.
    severity : {"warning", "error"}
        Severity.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PROBLEM_COLUMNS`.
    """
    items = list(items)
    n = len(items)
    msg = np.asarray(message, dtype=object) if not isinstance(message, str) else np.full(n, message, dtype=object)
    nm = np.full(n, None, dtype=object) if names is None else np.asarray(names, dtype=object)
    return pd.DataFrame(
        {
            "severity": [severity] * n,
            "problem": [problem] * n,
            "layer": [layer] * n,
            "item": pd.Series(items, dtype=object),
            "name": nm,
            "message": msg,
        },
        columns=PROBLEM_COLUMNS,
    )


def concat_problems(frames: Iterable[pd.DataFrame | None]) -> pd.DataFrame:
    """Concatenate problem frames (an empty frame with :data:`PROBLEM_COLUMNS` when none)."""
    parts = [f for f in frames if f is not None and len(f)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
    return pd.concat(parts, ignore_index=True)[PROBLEM_COLUMNS]


def warn_problems(problems: pd.DataFrame, stacklevel: int = 3) -> None:
    """Issue one :class:`DataWarning` per problem kind (count and first items), log the rest."""
    if problems is None or problems.empty:
        return
    for (layer, kind), grp in problems.groupby(["layer", "problem"], sort=False):
        first = grp["name"].where(grp["name"].notna(), grp["item"]).astype(str).head(5).tolist()
        more = "等" if len(grp) > 5 else ""
        text = f"{layer}：{len(grp)} 条「{grp['message'].iloc[0]}」（{'、'.join(first)}{more}），详见结果的 .problems"
        logger.info("%s [%s]", text, kind)
        warnings.warn(text, DataWarning, stacklevel=stacklevel)


# --- input checks -------------------------------------------------------------------------------
def check_frame(
    df: Any,
    layer: str,
    *,
    required: Sequence[str] = (),
    geometry: bool = True,
) -> None:
    """Check an input layer: a (Geo)DataFrame, required columns, unique index.

    Raises
    ------
    InputError
        Wrong type, missing column (named, with the fix) or repeated index labels.
    """
    if not isinstance(df, pd.DataFrame):
        msg = f"{layer} 应为 GeoDataFrame/DataFrame，实际为 {type(df).__name__}"
        raise InputError(msg)
    if geometry and not (hasattr(df, "geometry") and "geometry" in df.columns):
        msg = f"{layer} 没有几何列 geometry；请用 mzgeo.read_layer 读取或先转为 GeoDataFrame"
        raise InputError(msg)
    missing = [c for c in required if c not in df.columns]
    if missing:
        msg = f"{layer} 缺少列 {missing}（现有列：{list(df.columns)[:20]}）"
        raise InputError(msg)
    if not df.index.is_unique:
        dup = df.index[df.index.duplicated()].unique().tolist()[:10]
        msg = f"{layer} 的索引有重复值 {dup}；请先 reset_index() 或设置唯一编号为索引"
        raise InputError(msg)


def check_crs(*layers: tuple[str, Any]) -> Any:
    """Check that spatial layers share one projected (metric) CRS; return it.

    Parameters
    ----------
    *layers : tuple of (str, GeoDataFrame or None)
        Layer names and layers; ``None`` and frames without geometry are skipped.

    Raises
    ------
    CRSError
        A layer without CRS, in a geographic CRS (degrees), or CRSs differing.
    """
    crs = None
    first = None
    for name, gdf in layers:
        if gdf is None or not (hasattr(gdf, "geometry") and "geometry" in gdf.columns):
            continue
        if gdf.crs is None:
            msg = f"{name} 没有坐标系 (missing CRS)：请在读取时声明 crs=，如 crs='cgcs2000'"
            raise CRSError(msg)
        if gdf.crs.is_geographic:
            msg = (
                f"{name} 是经纬度坐标（{gdf.crs.to_string()}），距离无法以米计；"
                "请先用 mzgeo.crs.to_metric() 转为投影坐标（湖州为 EPSG:4549）"
            )
            raise CRSError(msg)
        if crs is None:
            crs, first = gdf.crs, name
        elif gdf.crs != crs:
            msg = f"{name} 与 {first} 的坐标系不一致（{gdf.crs.to_string()} 与 {crs.to_string()}），请先统一"
            raise CRSError(msg)
    return crs


def as_points(gdf: Any, layer: str) -> Any:
    """Points of a layer: non-point geometries replaced by representative points (with a warning)."""
    if gdf is None or not (hasattr(gdf, "geometry") and "geometry" in gdf.columns) or gdf.empty:
        return gdf
    types = gdf.geometry.geom_type
    not_point = types.notna() & (types != "Point")
    if not not_point.any():
        return gdf
    out = gdf.copy()
    out.loc[not_point, out.geometry.name] = gdf.geometry[not_point].representative_point()
    text = f"{layer}：{int(not_point.sum())} 个要素不是点，已用其内部代表点代替"
    logger.warning(text)
    warnings.warn(text, DataWarning, stacklevel=3)
    return out


def located(gdf: Any, layer: str) -> tuple[Any, pd.DataFrame]:
    """The rows of a layer that have a location, and a problem row for each one left out.

    A row has no location when its geometry is missing (``None``), empty (``POINT EMPTY``) or
    has a NaN/infinite coordinate. Such rows cannot take part in a distance or travel-time
    computation: they are left out of the analysis and listed (problem ``no_location``, with
    the row's label, name and the column ``geometry``), so the 数据问题 sheet shows them.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or None
        The layer (not modified).
    layer : str
        Layer name for the problems (Chinese).

    Returns
    -------
    tuple
        ``(rows with a location, problems)``; the layer itself when every row has one.
    """
    if gdf is None or not (hasattr(gdf, "geometry") and "geometry" in gdf.columns) or len(gdf) == 0:
        return gdf, concat_problems([])
    import shapely

    geoms = gdf.geometry.to_numpy()
    missing = shapely.is_missing(geoms)
    empty = ~missing & shapely.is_empty(geoms)
    nonfinite = np.zeros(len(geoms), dtype=bool)
    usable = np.flatnonzero(~missing & ~empty)
    if len(usable):
        coords, pos = shapely.get_coordinates(geoms[usable], include_z=True, return_index=True)
        bad_xy = ~np.isfinite(coords[:, :2]).all(axis=1) | (np.isinf(coords[:, 2]))
        nonfinite[usable[np.unique(pos[bad_xy])]] = True
    bad = missing | empty | nonfinite
    if not bad.any():
        return gdf, concat_problems([])
    why = np.where(missing, "没有坐标（几何缺失）", np.where(empty, "几何为空（如 POINT EMPTY）", "坐标含 NaN 或无穷大"))
    names = None
    for col in ("name", "grave_id", "code"):
        if col in gdf.columns:
            names = gdf[col].to_numpy()[bad]
            break
    messages = pd.Series(why[bad]).astype(object) + "（列 geometry），未参与计算，也未计入合计"
    probs = make_problems("no_location", layer, gdf.index[bad], messages.to_numpy(), names=names)
    logger.info("%s：%d 个要素没有可用的位置，未参与计算", layer, int(bad.sum()))
    return gdf[~bad], probs


def numeric_column(
    df: pd.DataFrame, col: str | None, layer: str, *, default: float | None = None, fill: float = 0.0
) -> tuple[pd.Series, pd.DataFrame]:
    """A non-negative numeric column as float, missing values filled, problems recorded.

    Parameters
    ----------
    df : pandas.DataFrame
        The layer.
    col : str or None
        Column; ``None`` gives ``default`` for every row.
    layer : str
        Layer name for messages.
    default : float, optional
        Value of every row when ``col`` is None.
    fill : float
        Value used for missing or non-numeric cells (recorded as problems).

    Returns
    -------
    tuple
        ``(values, problems)``.

    Raises
    ------
    InputError
        Column absent, negative values, or non-finite values (``inf``, ``-inf``; text such as
        ``"Infinity"`` or ``"1e400"``), which would otherwise blank a ratio.
    """
    if col is None:
        return pd.Series(float(default if default is not None else 1.0), index=df.index), concat_problems([])
    if col not in df.columns:
        msg = f"{layer} 缺少列 {col!r}（现有列：{list(df.columns)[:20]}）"
        raise InputError(msg)
    from ..io.checks import parse_numbers_why

    vals, _, why = parse_numbers_why(df[col])
    vals = vals.astype("float64")
    nonfinite = (why == "non_finite").to_numpy(dtype=bool)
    if nonfinite.any():
        labs = df.index[nonfinite].tolist()[:10]
        msg = (
            f"{layer} 的 {col} 有无穷大或 NaN 之类的非有限值（索引 {labs}），会让比率和合计失真；"
            "请填写实际数值 (non-finite values)"
        )
        raise InputError(msg)
    neg = vals < 0
    if neg.any():
        labs = df.index[neg].tolist()[:10]
        msg = f"{layer} 的 {col} 有负值（索引 {labs}），请更正"
        raise InputError(msg)
    bad = vals.isna()
    probs = concat_problems([])
    if bad.any():
        names = df["name"][bad] if "name" in df.columns else None
        probs = make_problems(
            f"missing_{col}", layer, df.index[bad], f"{col} 缺失或不是数字，按 {fill:g} 计", names=names
        )
        vals = vals.fillna(fill)
    return vals, probs


def parse_minutes(minutes: Any, name: str = "minutes") -> tuple[float, ...]:
    """Sorted unique positive thresholds (minutes) from a number or a sequence.

    Raises
    ------
    InputError
        Empty, non-numeric, or not positive.
    """
    seq = list(minutes) if isinstance(minutes, (list, tuple, set, np.ndarray, pd.Index, pd.Series)) else [minutes]
    try:
        vals = sorted({float(m) for m in seq})
    except (TypeError, ValueError) as exc:
        msg = f"{name} 应为正数（分钟）或正数列表，实际为 {minutes!r}"
        raise InputError(msg) from exc
    if not vals or vals[0] <= 0 or not np.isfinite(vals[-1]):
        msg = f"{name} 应为正数（分钟）或正数列表，实际为 {minutes!r}"
        raise InputError(msg)
    return tuple(vals)


def truthy(values: pd.Series) -> pd.Series:
    """Yes/no columns as booleans: True, 1, 是, 有, yes...; missing → False."""
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(False).astype(bool)
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_numeric(values, errors="coerce").fillna(0).astype(bool)
    text = values.astype("str").str.strip().str.lower()
    return text.isin(_TRUE_WORDS).fillna(False).astype(bool)


# --- output -----------------------------------------------------------------------------------
def _gpkg_ready(gdf: Any) -> Any:
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


def write_gpkg(path: str | os.PathLike, layers: Mapping[str, Any], *, sources: Iterable[str] = ()) -> str:
    """Write GeoDataFrames as layers of one GeoPackage, atomically (all layers or nothing).

    Uses :func:`mzgeo.io.write_layers` (other layers of an existing file are kept). Frames
    without geometry or without rows are skipped; object columns are written as text and a
    non-default index is kept as a first column.

    Parameters
    ----------
    path : str or os.PathLike
        Destination ``.gpkg``.
    layers : mapping
        Layer name → GeoDataFrame.
    sources : iterable of str, optional
        Input files that must not be overwritten (see :func:`mzgeo._files.source_paths`).

    Returns
    -------
    str
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
    ready = {name: _gpkg_ready(gdf) for name, gdf in usable.items()}
    try:
        from ..io.read import write_layers
    except ImportError:  # pragma: no cover - io is part of the package
        write_layers = None
    if write_layers is not None:
        return str(write_layers(path, ready, sources=set(sources) | source_paths(layers)))
    with atomic_path(path) as tmp:  # pragma: no cover
        for name, gdf in ready.items():
            gdf.to_file(tmp, layer=name, driver="GPKG")
    return str(path)


class AnalysisResult:
    """Base of the analysis results: parameters, problems, Excel and GeoPackage output.

    Subclasses set :attr:`title` and implement :meth:`tables` and :meth:`layers`.

    Attributes
    ----------
    params : dict
        Parameters and rules applied (written on the 参数 sheet).
    problems : pandas.DataFrame
        Data problems found (columns :data:`PROBLEM_COLUMNS`); empty when none.
    """

    title: str = "mzgeo 分析结果"

    def __init__(self, params: dict, problems: pd.DataFrame | None = None, notes: list[str] | None = None) -> None:
        self.params = dict(params)
        self.problems = concat_problems([problems])
        self._notes = list(notes or [])
        #: Files the inputs were read from (:func:`mzgeo._files.path_key`); never overwritten.
        self.sources: frozenset[str] = frozenset(getattr(notes, "paths", ()))

    def tables(self) -> dict[str, pd.DataFrame]:  # pragma: no cover - abstract
        """Tables for Excel: sheet name (Chinese) → frame with English columns."""
        raise NotImplementedError

    def layers(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """Spatial layers for GeoPackage: layer name → GeoDataFrame."""
        raise NotImplementedError

    def to_excel(self, path: str | os.PathLike, *, title: str | None = None) -> str:
        """Write every table to one workbook: Chinese headers, 参数 sheet, 数据问题 sheet.

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.xlsx`` (written atomically).
        title : str, optional
            Printed page header; default the result's title.

        Returns
        -------
        str
            The path written.

        Raises
        ------
        InputError
            ``path`` is a file one of the inputs was read from (inputs are never modified).
        """
        from ..report.excel import write_excel

        sheets = dict(self.tables())
        if len(self.problems):
            sheets["数据问题"] = self.problems
        return write_excel(path, sheets, self.params, title=title or self.title, notes=self._notes or None,
                           sources=self.sources)

    def to_gpkg(self, path: str | os.PathLike) -> str:
        """Write the spatial layers to one GeoPackage (atomically; readable in QGIS/ArcGIS).

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.gpkg``.

        Returns
        -------
        str
            The path written.
        """
        return write_gpkg(path, self.layers(), sources=self.sources)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}: {len(v)} 行" for k, v in self.tables().items())
        return f"<{type(self).__name__} {self.title} ({shapes})>"


def attach_geometry(df: pd.DataFrame, src: Any) -> Any:
    """``df`` as a GeoDataFrame with the geometry and CRS of ``src`` (same index), or as is
    when ``src`` has no geometry."""
    if src is None or not (hasattr(src, "geometry") and "geometry" in src.columns):
        return pd.DataFrame(df)
    import geopandas as gpd

    plain = pd.DataFrame(df).drop(columns="geometry", errors="ignore")
    return gpd.GeoDataFrame(plain, geometry=src.geometry.reindex(plain.index).to_numpy(), crs=src.crs)


class SourceNotes(list):
    """Notes naming the data sources of a result's inputs, with the files they were read from.

    A list of text lines (the 参数 sheet); :attr:`paths` holds the resolved input paths, which
    :class:`AnalysisResult` keeps in ``sources`` so that its writers never overwrite an input.
    """

    paths: frozenset[str] = frozenset()


def source_notes(*layers: Any) -> SourceNotes:
    """Notes for the parameters sheet naming the data source of the inputs (e.g. synthetic demo).

    The returned list also carries the inputs' file paths (``.paths``, see :class:`SourceNotes`).
    """
    notes = SourceNotes()
    for gdf in layers:
        src = getattr(gdf, "attrs", {}).get("mzgeo_source") if gdf is not None else None
        if src and f"数据来源：{src}" not in notes:
            notes.append(f"数据来源：{src}")
    notes.paths = source_paths(*(g for g in layers if g is not None))
    return notes
