"""Shared file helpers: atomic writes and neutralising user text for spreadsheets."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "neutralise_formula"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` atomically.

    The temporary file lives in the same folder (so ``os.replace`` is atomic on the same
    file system) and keeps the target's suffix (so drivers that look at the extension,
    such as GDAL's, pick the right format). On error the temporary file is removed and
    ``path`` is left untouched.

    Parameters
    ----------
    path : str or os.PathLike
        Final destination. Its folder is created when missing.
    suffix : str, optional
        Suffix of the temporary file; default the suffix of ``path``.

    Yields
    ------
    pathlib.Path
        The temporary path to write to.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=suffix if suffix is not None else target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers that refuse to overwrite (GDAL) get a fresh path
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def neutralise_formula(value: Any) -> Any:
    """Return ``value`` unchanged unless it is text a spreadsheet would run as a formula.

    Strings starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return are prefixed with
    an apostrophe (OWASP CSV-injection advice) so they show as text. Numbers (including
    negative numbers) are untouched. Use for CSV; the Excel writer of :mod:`mzgeo.report`
    stores such cells as typed text instead, keeping the original characters.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
