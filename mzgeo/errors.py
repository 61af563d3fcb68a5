"""The mzgeo error hierarchy.

Every error raised on purpose by mzgeo derives from :class:`MzgeoError`. Where a
built-in exception fits, the error also derives from it, so ``except ValueError``
keeps working for callers that do not know mzgeo.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "CRSError",
    "DataWarning",
    "FileAccessError",
    "InfeasibleError",
    "InputError",
    "MzgeoError",
    "NetworkError",
    "NotSolvedError",
    "Problem",
    "ValidationError",
]


class MzgeoError(Exception):
    """Root of all mzgeo errors."""


class InputError(MzgeoError, ValueError):
    """A parameter or an input table is not usable (bad option, missing column...)."""


class FileAccessError(InputError, OSError):
    """A file or folder cannot be read or written (missing, a folder, no permission, inside a file...).

    Also an :class:`OSError`, so ``except OSError`` keeps working for callers that do not know mzgeo.
    """

    def __str__(self) -> str:
        """Return the Chinese message, not OSError's ``[Errno n] ...`` form."""
        return str(self.args[0]) if self.args else ""


class CRSError(MzgeoError, ValueError):
    """A coordinate reference system is missing, geographic where metric is needed, or mismatched."""


class NetworkError(MzgeoError, ValueError):
    """A road network cannot be built or used (no edges, bad speeds, unknown mode...)."""


class InfeasibleError(MzgeoError, ValueError):
    """An optimisation model has no feasible solution; ``problems`` names the demand concerned."""

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class NotSolvedError(MzgeoError, RuntimeError):
    """Results of a model were read before ``solve()`` was called."""


class DataWarning(UserWarning):
    """A recoverable data problem (a point too far from any road, a repaired polygon...)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Attributes
    ----------
    severity : str
        ``"error"`` (the file cannot be used as it is) or ``"warning"``.
    message : str
        What is wrong and how to fix it, in Chinese (English in brackets where it helps).
    file : str or None
        The file name as the user gave it.
    row : int or None
        The row number as the user sees it in Excel (header = row 1, first data row = 2)
        or the 1-based feature number for spatial files.
    column : str or None
        The column name as it appears in the file.
    code : str
        A short machine-readable key (``"missing_column"``, ``"negative"``...).
    """

    severity: str
    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    code: str = ""

    def __str__(self) -> str:
        """Return the message as the user reads it."""
        where = []
        if self.file:
            where.append(f"文件 {self.file}")
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"列「{self.column}」")
        level = "错误" if self.severity == "error" else "警告"
        loc = "，".join(where)
        return f"[{level}] {loc}：{self.message}" if loc else f"[{level}] {self.message}"


@dataclass
class ValidationError(MzgeoError, ValueError):
    """An input file has fatal problems; ``problems`` lists every problem found (all at once)."""

    problems: list[Problem] = field(default_factory=list)
    file: str | None = None

    def __post_init__(self) -> None:
        """Check and normalise the fields."""
        super().__init__(str(self))

    @property
    def errors(self) -> list[Problem]:
        """The problems of severity ``"error"``."""
        return [p for p in self.problems if p.severity == "error"]

    def __str__(self) -> str:
        """Return the message as the user reads it."""
        n_err = len(self.errors)
        head = f"{self.file or '输入数据'} 有 {n_err} 个错误（共 {len(self.problems)} 个问题）："
        return "\n".join([head, *(f"  {p}" for p in self.problems)])
