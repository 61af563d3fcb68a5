"""The result base of every analysis: parameters, problems, Excel and GeoPackage output.

:class:`AnalysisResult` is the one result contract (``params``, ``problems`` with
:data:`PROBLEM_COLUMNS`, ``to_excel``, ``to_gpkg``, ``headline``, ``summary()``,
``_repr_html_``) honoured by :class:`~mzgeo.CoverageResult`, :class:`~mzgeo.DaycareResult`,
:class:`~mzgeo.BedRatioResult`, :class:`~mzgeo.AccessibilityResult`,
:class:`~mzgeo.MethodComparison`, :class:`~mzgeo.ShelterResult`, :class:`~mzgeo.CemeteryResult`
and :class:`~mzgeo.BurialCheckResult`.

The analyses' input checks (``check_frame``, ``check_crs``, ``as_points``, ``numeric_column``,
``parse_minutes``) and the problem records live in :mod:`mzgeo.io.checks`.
"""

from __future__ import annotations

import html
import logging
import os
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from .._files import source_paths
from ..errors import DataWarning
from ..io.checks import PROBLEM_COLUMNS, concat_problems
from ..io.write import write_gpkg

__all__ = [
    "PROBLEM_COLUMNS",
    "AnalysisResult",
    "attach_geometry",
    "source_notes",
    "warn_problems",
]

logger = logging.getLogger("mzgeo")

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


# --- output ---------------------------------------------------------------------------------
class AnalysisResult:
    """Base of the analysis results: the one result contract of mzgeo.

    Every result has :attr:`params` (what was applied), :attr:`problems` (columns
    :data:`PROBLEM_COLUMNS`), :meth:`to_excel` and :meth:`to_gpkg` (each returns the
    :class:`~pathlib.Path` written), a Chinese :attr:`headline`, :meth:`summary` (the key
    figures as a table) and ``_repr_html_`` (a small table in notebooks). Subclasses set
    :attr:`title` and implement :meth:`tables`, :meth:`layers`, :attr:`headline` and
    :meth:`summary`; their data are passed to this ``__init__`` by keyword and become
    attributes (``CoverageResult(params, problems, notes, points=pts, ...)``).

    Parameters
    ----------
    params : dict
        Parameters and rules applied (written on the 参数 sheet).
    problems : pandas.DataFrame, optional
        Data problems found (columns :data:`PROBLEM_COLUMNS`).
    notes : list of str, optional
        Extra lines of the 参数 sheet; a :class:`SourceNotes` also names the input files,
        which the writers refuse to overwrite.
    units : GeoDataFrame or DataFrame, optional
        Administrative units of the per-unit tables (``by_unit``).
    level : str, optional
        Default level of the per-unit tables.
    **data
        The result's own frames, set as attributes of the same names.

    Attributes
    ----------
    params : dict
        Parameters and rules applied.
    problems : pandas.DataFrame
        Data problems found; empty (same columns) when none.
    sources : frozenset of str
        Files the inputs were read from (:func:`mzgeo._files.path_key`); never overwritten.
    """

    title: str = "mzgeo 分析结果"

    def __init__(self, params: dict, problems: pd.DataFrame | None = None, notes: list[str] | None = None, *,
                 units: Any = None, level: str | None = None, **data: Any) -> None:
        self.params = dict(params)
        self.problems = concat_problems([problems])
        self._notes = list(notes or [])
        self.sources: frozenset[str] = frozenset(getattr(notes, "paths", ()))
        self._units = units
        self._level = level
        for name, value in data.items():
            setattr(self, name, value)

    @property
    def _cache(self) -> Any:
        """Unit assignments of the points, computed once per units layer (:class:`~mzgeo.analysis.admin.AssignmentCache`)."""
        cache = self.__dict__.get("_assignment_cache")
        if cache is None:
            from .admin import AssignmentCache

            cache = self.__dict__["_assignment_cache"] = AssignmentCache()
        return cache

    @_cache.setter
    def _cache(self, cache: Any) -> None:
        self.__dict__["_assignment_cache"] = cache

    # ------------------------------------------------------------------ what subclasses give
    def tables(self) -> dict[str, pd.DataFrame]:  # pragma: no cover - abstract
        """Tables for Excel: sheet name (Chinese) → frame with English columns."""
        raise NotImplementedError

    def layers(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """Spatial layers for GeoPackage: layer name → GeoDataFrame."""
        raise NotImplementedError

    @property
    def headline(self) -> str:  # pragma: no cover - abstract
        """The result in one Chinese sentence (key figure and rule), for notebooks and logs."""
        raise NotImplementedError

    def summary(self) -> pd.DataFrame:  # pragma: no cover - abstract
        """Return the key figures as a small table (one row, or one row per threshold or method)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ writers
    def to_excel(self, path: str | os.PathLike, *, title: str | None = None) -> Path:
        """Write every table to one workbook: Chinese headers, 参数 sheet, 数据问题 sheet.

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.xlsx`` (written atomically).
        title : str, optional
            Printed page header; default the result's title.

        Returns
        -------
        pathlib.Path
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
        return Path(write_excel(path, sheets, self.params, title=title or self.title, notes=self._notes or None,
                                sources=self.sources))

    def to_gpkg(self, path: str | os.PathLike) -> Path:
        """Write the spatial layers to one GeoPackage (atomically; readable in QGIS/ArcGIS).

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.gpkg``.

        Returns
        -------
        pathlib.Path
            The path written (:func:`mzgeo.io.write_gpkg`).
        """
        return write_gpkg(path, self.layers(), sources=self.sources)

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        """Name, title and the row count of each table."""
        shapes = ", ".join(f"{k}: {len(v)} 行" for k, v in self.tables().items())
        return f"<{type(self).__name__} {self.title} ({shapes})>"

    def _repr_html_(self) -> str:
        """Headline, key figures and the count of data problems, as HTML for notebooks (text escaped)."""
        table = self.summary().head(12).to_html(index=False, border=0, na_rep="", float_format=lambda v: f"{v:,.4g}")
        n = len(self.problems)
        note = f"数据问题 {n} 条（见 .problems）" if n else "无数据问题"
        return (f"<div><b>{html.escape(self.title)}</b>：{html.escape(self.headline)}<br>{table}"
                f"<small>{html.escape(note)}</small></div>")


def attach_geometry(df: pd.DataFrame, src: Any) -> Any:
    """Give ``df`` the geometry and CRS of ``src`` (same index).

    ``df`` is returned as a plain DataFrame when ``src`` has no geometry.
    """
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
    """Build the notes for the parameters sheet naming the data source of the inputs (e.g. synthetic demo).

    The returned list also carries the inputs' file paths (``.paths``, see :class:`SourceNotes`).
    """
    notes = SourceNotes()
    for gdf in layers:
        src = getattr(gdf, "attrs", {}).get("mzgeo_source") if gdf is not None else None
        if src and f"数据来源：{src}" not in notes:
            notes.append(f"数据来源：{src}")
    notes.paths = source_paths(*(g for g in layers if g is not None))
    return notes
