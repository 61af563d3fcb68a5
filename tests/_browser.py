"""Headless Debian chromium through Playwright, with the network blocked (helper of the browser tests).

Uses the system browser at ``/usr/bin/chromium`` (``executable_path``); Playwright's own
browser download is never used. Every request that is not ``file://`` or ``data:`` is
aborted and recorded, so a test can assert that a page made no outgoing request.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 860}


def skip_reason() -> str | None:
    """Why browser tests cannot run here, or ``None`` when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python package) is not installed"
    if not CHROMIUM.exists():
        return f"Debian chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


@dataclass
class PageLog:
    """What a page did while loading and being used."""

    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def outgoing(self) -> list[str]:
        """Requests to anything but local files and data URIs."""
        return [u for u in self.requests if not u.startswith(("file:", "data:"))]


@contextlib.contextmanager
def browser_context() -> Iterator[Any]:
    """A persistent Playwright chromium context with a fresh, temporary user data dir."""
    from playwright.sync_api import sync_playwright

    user_dir = tempfile.mkdtemp(prefix="mzgeo-chromium-")
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                user_dir,
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_ARGS,
                viewport=VIEWPORT,
                service_workers="block",
            )
            try:
                yield ctx
            finally:
                ctx.close()
    finally:
        shutil.rmtree(user_dir, ignore_errors=True)


@contextlib.contextmanager
def offline_page(ctx: Any) -> Iterator[tuple[Any, PageLog]]:
    """A new page whose non-local requests are aborted; yields ``(page, log)``."""
    log = PageLog()

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
        else:
            log.blocked.append(url)
            r.abort()

    page = ctx.new_page()
    page.route("**/*", route)
    page.on("request", lambda req: log.requests.append(req.url))
    page.on("requestfailed", lambda req: log.failed.append(req.url))
    page.on("console", lambda msg: log.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))

    def on_dialog(dialog: Any) -> None:
        log.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield page, log
    finally:
        page.close()


def pixel_stats(png: Path) -> tuple[float, int]:
    """Spread of a PNG's pixels: (standard deviation of grey levels, number of distinct colours).

    Uses Pillow when installed; otherwise a rough stand-in from the decompressed scanlines
    (std of the bytes, number of distinct byte values), enough to tell a blank image.
    """
    try:
        from PIL import Image, ImageStat
    except ImportError:
        return _png_bytes_stats(png)
    with Image.open(png) as img:
        rgb = img.convert("RGB")
        std = float(ImageStat.Stat(rgb.convert("L")).stddev[0])
        colours = rgb.getcolors(maxcolors=1 << 20)
        return std, len(colours) if colours is not None else 1 << 20


def _png_bytes_stats(png: Path) -> tuple[float, int]:
    import statistics
    import struct
    import zlib

    data = png.read_bytes()
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)[::97]  # a sample is enough
    return float(statistics.pstdev(raw)), len(set(raw))
