"""Shared file helpers: atomic writes, input protection, file errors, spreadsheet-safe text.

Atomic writes, protection of inputs, file errors in the user's terms, and neutralising user text
for spreadsheets.

Inputs are never modified: :func:`mzgeo.read_layer` records the resolved path of the file a
layer was read from in ``gdf.attrs["mzgeo_source_paths"]`` (:data:`SOURCE_PATHS`); results keep
the paths of their inputs, and every writer refuses to write over one of them
(:func:`refuse_inputs`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import FileAccessError, InputError

__all__ = [
    "SOURCE_PATHS",
    "atomic_path",
    "file_error",
    "neutralise_formula",
    "path_key",
    "refuse_inputs",
    "source_paths",
]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

#: ``attrs`` key of a frame: tuple of the resolved paths of the files it was read from.
SOURCE_PATHS = "mzgeo_source_paths"
#: The parts of a Shapefile: writing any of them changes the others' dataset.
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")


def path_key(path: str | os.PathLike) -> str:
    """Return a comparable key of a file path: absolute, symlinks resolved, Shapefile parts as ``.shp``.

    Two paths with the same key name the same file (or the same Shapefile), whether given
    relative, absolute or through a symbolic link.
    """
    p = Path(os.path.realpath(os.path.abspath(os.fspath(path))))
    if p.suffix.lower() in _SHAPEFILE_PARTS:
        p = p.with_suffix(".shp")
    return os.path.normcase(str(p))


def source_paths(*objs: Any) -> frozenset[str]:
    """Keys (:func:`path_key`) of the files the given frames or results were read from.

    Looks at ``attrs[SOURCE_PATHS]`` of frames, the ``sources`` attribute of results, and
    inside dataclass results, mappings, lists and tuples (their tables and layers).
    """
    found: set[str] = set()

    def visit(obj: Any, depth: int) -> None:
        if obj is None or depth > 3:
            return
        attrs = getattr(obj, "attrs", None)
        if isinstance(attrs, dict):
            found.update(attrs.get(SOURCE_PATHS) or ())
        srcs = getattr(obj, "sources", None)
        if isinstance(srcs, (set, frozenset, tuple, list)):
            found.update(str(s) for s in srcs)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):  # BoundaryLines, checklists...
            for f in dataclasses.fields(obj):
                visit(getattr(obj, f.name, None), depth + 1)
        elif isinstance(obj, Mapping):
            for v in obj.values():
                visit(v, depth + 1)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                visit(v, depth + 1)

    for o in objs:
        visit(o, 0)
    return frozenset(found)


def refuse_inputs(path: str | os.PathLike, sources: Iterable[str], *, what: str = "输出文件") -> None:
    """Raise :class:`InputError` when ``path`` is one of the input files ``sources`` (keys).

    Parameters
    ----------
    path : str or os.PathLike
        The destination about to be written.
    sources : iterable of str
        :func:`path_key` of every input (see :func:`source_paths`).
    what : str
        How the destination is named in the message (``"输出文件"``, ``"--gpkg"``...).
    """
    keys = set(sources)
    if not keys:
        return
    key = path_key(path)
    same = key in keys
    if not same and os.path.exists(path):  # hard links: the same file under another name
        for src in keys:
            with contextlib.suppress(OSError):
                if os.path.exists(src) and os.path.samefile(path, src):
                    same = True
                    break
    if same:
        msg = (f"{what} {os.fspath(path)} 是输入文件（{key}）：mzgeo 从不修改输入文件，"
               "请换一个输出文件名或文件夹 (output would overwrite an input)")
        raise InputError(msg)


def file_error(exc: OSError, path: str | os.PathLike | None = None, *, action: str = "访问") -> FileAccessError:
    """Return a :class:`FileAccessError` in the user's terms for an :class:`OSError` on ``path``.

    Parameters
    ----------
    exc : OSError
        The error raised by the operating system (``PermissionError``, ``IsADirectoryError``...).
    path : str or os.PathLike, optional
        The path the user gave (default ``exc.filename``).
    action : str
        ``"写入"`` (write), ``"读取"`` (read) or ``"访问"`` (either).
    """
    p = os.fspath(path) if path is not None else (exc.filename or "")
    code = getattr(exc, "errno", None)
    if isinstance(exc, IsADirectoryError) or code == errno.EISDIR:
        why = "这是一个文件夹，不是文件：请给出文件的路径（如 结果.xlsx）"
    elif isinstance(exc, NotADirectoryError) or code == errno.ENOTDIR:
        why = "路径中的某一级是文件而不是文件夹：请检查路径"
    elif isinstance(exc, FileNotFoundError) or code == errno.ENOENT:
        why = "文件或文件夹不存在：请检查路径"
    elif isinstance(exc, PermissionError) or code in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "没有权限（文件夹只读、文件被其他程序（如 Excel）打开或受保护）：请换一个位置或先关闭该文件"
    elif code == errno.ENOSPC:
        why = "磁盘空间不足"
    elif code == errno.ENAMETOOLONG:
        why = "文件名过长"
    else:
        why = exc.strerror or str(exc)
    msg = f"无法{action} {p}：{why} ({type(exc).__name__})"
    err = FileAccessError(msg)
    err.filename = p
    err.errno = code
    return err


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

    Raises
    ------
    FileAccessError
        ``path`` is a folder, its folder cannot be created (a file is in the way) or is not
        writable (also an ``OSError``).
    """
    target = Path(path)
    if target.is_dir():
        raise file_error(IsADirectoryError(errno.EISDIR, "Is a directory", str(target)), target, action="写入")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem}.", suffix=suffix if suffix is not None else target.suffix, dir=target.parent
        )
    except FileExistsError as exc:  # a file stands where a folder of the path should be
        raise file_error(NotADirectoryError(errno.ENOTDIR, "Not a directory", str(target)), target,
                         action="写入") from exc
    except OSError as exc:
        raise file_error(exc, target, action="写入") from exc
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers that refuse to overwrite (GDAL) get a fresh path
    try:
        yield tmp
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise file_error(exc, target, action="写入") from exc
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
