"""Render a saved mzgeo map (or a small synthetic example) to a PNG with headless chromium.

Usage::

    python docs/make_screenshot.py                       # synthetic example → docs/demo_map.png
    mzgeo demo && python docs/make_screenshot.py --html maps/养老床位缺口.html --out docs/demo_map.png
                                                         # the README picture (the demo's bed map)
    python docs/make_screenshot.py --html maps/养老床位缺口.html --out docs/beds.png
    python docs/make_screenshot.py --html maps/x.html --popup   # with the first symbol's popup open

Uses Debian's chromium (``/usr/bin/chromium``, or ``--chromium PATH``) through Playwright's
``executable_path``; never downloads a browser. The network is blocked while rendering, so
the picture shows what the map looks like offline (tiles of a tiled basemap stay blank).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def example_map(path: Path) -> Path:
    """Save a small synthetic map (beds per 1,000 elderly, shelters, a proposed site) to ``path``."""
    import geopandas as gpd
    from shapely.geometry import Point, box

    from mzgeo import maps

    units = gpd.GeoDataFrame(
        {"name": ["甲街道", "乙镇", "丙乡", "丁镇"], "code": ["1", "2", "3", "4"],
         "elderly": [12000, 8000, 3000, 6000], "beds_per_1000": [28.0, 41.5, 19.0, 36.9]},
        geometry=[box(120.00, 30.80, 120.10, 30.90), box(120.10, 30.80, 120.20, 30.90),
                  box(120.00, 30.90, 120.10, 31.00), box(120.10, 30.90, 120.20, 31.00)],
        crs=4326,
    ).to_crs(4549)
    units.attrs.update(mzgeo_kind="units", mzgeo_source="示例数据（合成）")
    shelters = gpd.GeoDataFrame(
        {"name": ["城南小学", "镇文化中心", "村委会"], "tier": ["县级", "乡镇级", "村级"], "capacity": [800, 300, 60]},
        geometry=[Point(120.05, 30.85), Point(120.15, 30.86), Point(120.06, 30.95)], crs=4326,
    )
    shelters.attrs.update(mzgeo_kind="shelters", mzgeo_source="示例数据（合成）")
    sites = gpd.GeoDataFrame({"name": ["新址一"], "rank": [1]}, geometry=[Point(120.16, 30.95)], crs=4326)
    m = maps.choropleth(units, "beds_per_1000", title="每千名老人床位数（示例）")
    maps.add_facilities(m, shelters)
    maps.add_proposed_sites(m, sites, kind="institutions")
    return maps.save(m, path)


def screenshot(html: Path, out: Path, *, chromium: Path, width: int = 1280, height: int = 860,
               popup: bool = False) -> Path:
    """Open ``html`` with the network blocked and write a PNG of the page to ``out``."""
    from playwright.sync_api import sync_playwright

    user_dir = tempfile.mkdtemp(prefix="mzgeo-shot-")
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                user_dir, executable_path=str(chromium), headless=True, args=ARGS,
                viewport={"width": width, "height": height},
            )
            try:
                page = ctx.new_page()
                page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:"))
                           else r.abort())
                page.goto(html.resolve().as_uri(), wait_until="load")
                page.wait_for_timeout(600)
                if popup and page.locator(".leaflet-marker-icon").count():
                    page.locator(".leaflet-marker-icon").first.click()
                    page.wait_for_timeout(300)
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out))
            finally:
                ctx.close()
    finally:
        shutil.rmtree(user_dir, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, help="saved map to render (default: a synthetic example)")
    parser.add_argument("--out", type=Path, default=HERE / "demo_map.png", help="PNG to write")
    parser.add_argument("--chromium", type=Path, default=Path("/usr/bin/chromium"))
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=860)
    parser.add_argument("--popup", action="store_true", help="open the popup of the first symbol")
    args = parser.parse_args(argv)
    if not args.chromium.exists():
        sys.stderr.write(f"chromium not found at {args.chromium}\n")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        html = args.html or example_map(Path(tmp) / "example.html")
        out = screenshot(html, args.out, chromium=args.chromium, width=args.width, height=args.height,
                         popup=args.popup)
    sys.stdout.write(f"{out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
