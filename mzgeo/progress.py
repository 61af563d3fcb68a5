"""The one progress reporter: Chinese step lines with durations, a progress bar on long steps.

Used by the command line (:mod:`mzgeo.cli`) and by :func:`mzgeo.run_demo`. A step prints
``… 标签`` when it starts and ``✓ 标签（1.2 秒）`` when it ends; a failed step prints nothing
at its end (the error message follows). A step that knows how many items it processes can
show a ``tqdm`` progress bar, drawn only when the stream is a terminal (logs, notebooks
and tests get the step lines alone).

Examples
--------
>>> lines = []
>>> report = Progress(lines.append)
>>> with report.step("读取数据"):
...     pass
>>> lines[0], lines[1].startswith("✓ 读取数据（")
('… 读取数据', True)
>>> with report.step("绘制地图", total=3) as step:
...     for _ in range(3):
...         step.advance()
>>> report.timings_s["绘制地图"] >= 0
True
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any, TypeVar

__all__ = ["Progress", "Step", "stderr_lines"]

logger = logging.getLogger("mzgeo")
T = TypeVar("T")


def stderr_lines(msg: str) -> None:
    """Print one progress line on standard error (the command line's progress stream).

    Parameters
    ----------
    msg : str
        The line, without a newline.
    """
    print(msg, file=sys.stderr, flush=True)


class Step:
    """One running step: advance its progress bar (if any) with :meth:`advance`.

    Parameters
    ----------
    label : str
        The step's Chinese label.
    total : int, optional
        Number of items; with a terminal stream a progress bar is drawn.
    stream : file, optional
        Where the bar is drawn (default standard error).
    """

    def __init__(self, label: str, total: int | None = None, stream: IO[str] | None = None) -> None:
        self.label, self.total, self.done = label, total, 0
        self._bar: Any = None
        stream = stream if stream is not None else sys.stderr
        if total and _is_terminal(stream):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=label, file=stream, leave=False, unit="项",
                             bar_format="{desc} {bar} {n_fmt}/{total_fmt}（{elapsed}）")

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more items done.

        Parameters
        ----------
        n : int
            Items finished since the last call.
        """
        self.done += n
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        """Remove the progress bar (the step line stays)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """Prints step lines with durations and records each step's time.

    Parameters
    ----------
    echo : callable, optional
        Receives each Chinese line; default the ``mzgeo`` logger at INFO level.
    stream : file, optional
        Where progress bars are drawn (default standard error; bars only on a terminal).

    Attributes
    ----------
    timings_s : dict of str to float
        Seconds per finished step, by key (the label unless a key was given).
    """

    def __init__(self, echo: Callable[[str], None] | None = None, *, stream: IO[str] | None = None) -> None:
        self.echo = echo or logger.info
        self.stream = stream
        self.timings_s: dict[str, float] = {}

    def __call__(self, msg: str) -> None:
        """Print one line (so a :class:`Progress` is also a plain ``progress`` callable)."""
        self.echo(msg)

    @contextmanager
    def step(self, label: str, key: str | None = None, *, total: int | None = None) -> Iterator[Step]:
        """Time one step: ``… label`` at the start, ``✓ label（秒）`` at a successful end.

        Parameters
        ----------
        label : str
            Chinese label of the step.
        key : str, optional
            Key of the step in :attr:`timings_s` (default the label).
        total : int, optional
            Number of items the step processes (a progress bar on a terminal).

        Yields
        ------
        Step
        """
        step = Step(label, total, self.stream)
        t0 = time.perf_counter()
        self.echo(f"… {label}")
        try:
            yield step
        finally:
            step.close()
            self.timings_s[key or label] = time.perf_counter() - t0
        self.echo(f"✓ {label}（{self.timings_s[key or label]:.1f} 秒）")

    def track(self, items: Iterable[T], label: str, key: str | None = None, *,
              total: int | None = None) -> Iterator[T]:
        """Iterate over ``items`` inside one step, advancing its progress bar.

        Parameters
        ----------
        items : iterable
            The items.
        label, key : str
            As for :meth:`step`.
        total : int, optional
            Number of items (default ``len(items)`` when it has a length).

        Yields
        ------
        object
            Each item.
        """
        n = total if total is not None else (len(items) if hasattr(items, "__len__") else None)  # type: ignore[arg-type]
        with self.step(label, key, total=n) as step:
            for item in items:
                yield item
                step.advance()
