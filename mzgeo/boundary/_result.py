"""The result contract of :mod:`mzgeo.boundary` (private): problems, headline, notebook table, GeoPackage.

Every boundary result has ``.params`` (dict), ``.problems`` (a frame with the columns of
:data:`mzgeo.analysis.PROBLEM_COLUMNS`), ``summary()`` (a per-line table), ``headline``
(one Chinese sentence), ``_repr_html_()`` and writers returning a :class:`~pathlib.Path`.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import pandas as pd

from .._files import source_paths


def problem_columns() -> list[str]:
    """Return the columns of every ``.problems`` frame: :data:`mzgeo.analysis.PROBLEM_COLUMNS`.

    Imported when first needed, so that ``import mzgeo.boundary`` does not load the analyses.
    """
    from ..analysis import PROBLEM_COLUMNS

    return list(PROBLEM_COLUMNS)


def problems_frame(rows: list[pd.DataFrame]) -> pd.DataFrame:
    """Return the problem rows concatenated, columns :func:`problem_columns` (empty frame when none)."""
    PROBLEM_COLUMNS = problem_columns()
    parts = [r for r in rows if r is not None and len(r)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PROBLEM_COLUMNS})
    return pd.concat(parts, ignore_index=True)[PROBLEM_COLUMNS]


def problem_rows(
    problem: str, layer: str, items: Any, names: Any, messages: Any, severity: str = "warning"
) -> pd.DataFrame:
    """Return one problem row per item (vectorised): ``problem`` key, ``layer``, item labels, names, messages."""
    items = list(items)
    n = len(items)
    PROBLEM_COLUMNS = problem_columns()
    msgs = [messages] * n if isinstance(messages, str) else list(messages)
    return pd.DataFrame(
        {"severity": [severity] * n, "problem": [problem] * n, "layer": [layer] * n,
         "item": pd.Series(items, dtype=object), "name": pd.Series(list(names), dtype=object),
         "message": pd.Series(msgs, dtype=object)},
        columns=PROBLEM_COLUMNS,
    )


def repr_html(title: str, headline: str, summary: pd.DataFrame, problems: pd.DataFrame, max_rows: int = 20) -> str:
    """Return the notebook view of a result: title, headline, the summary table (Chinese headers), problem count."""
    from ..report import to_chinese

    table = to_chinese(summary).to_html(index=False, escape=True, max_rows=max_rows, border=0)
    n = len(problems)
    tail = f"<p>数据问题 {n} 条（见 <code>.problems</code>）</p>" if n else ""
    return (f"<div><strong>{html.escape(title)}</strong><p>{html.escape(headline)}</p>"
            f"{table}{tail}</div>")


def write_gpkg(path: str | os.PathLike, layers: dict[str, Any], owner: Any) -> Path:
    """Write the layers to one GeoPackage with the one writer, :func:`mzgeo.io.write_layers` (atomic)."""
    from ..io import write_layers

    return Path(write_layers(path, layers, sources=source_paths(owner)))
