"""Saved offline maps in a real browser: Debian chromium, headless, with the network blocked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from mzgeo import maps

try:
    from . import _browser
except ImportError:  # tests/ is not a package
    import _browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(_browser.skip_reason() is not None, reason=f"browser tests skipped: {_browser.skip_reason()}"),
]

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "maps"
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = "<img src=x onerror=alert(1)>"
SYNTHETIC = "示例数据（合成）"


@pytest.fixture(scope="module")
def ctx() -> Iterator[Any]:
    with _browser.browser_context() as context:
        yield context


def _demo_map(*, cluster: bool | None = False, n_extra: int = 0) -> Any:
    units = gpd.GeoDataFrame(
        {"code": ["1", "2", "3"], "name": ["甲街道", "乙镇", "丙乡"], "beds_per_1000": [30.0, 41.5, 20.0]},
        geometry=[box(120.00, 30.80, 120.10, 30.90), box(120.10, 30.80, 120.20, 30.90),
                  box(120.00, 30.90, 120.10, 31.00)],
        crs=4326,
    ).to_crs(4549)
    units.attrs.update(mzgeo_kind="units", mzgeo_source=SYNTHETIC)
    names = ["城南小学", XSS_SCRIPT, XSS_IMG, "东门广场", *(f"场所{i}" for i in range(n_extra))]
    shelters = gpd.GeoDataFrame(
        {"name": names, "tier": (["县级", "乡镇级", "村级", "村级"] + ["村级"] * n_extra),
         "capacity": [300, 120, 60, 80, *([50] * n_extra)], "address": [XSS_IMG, "吴兴区", None, "南浔区",
                                                                         *([None] * n_extra)]},
        geometry=[Point(120.05, 30.85), Point(120.08, 30.87), Point(120.12, 30.86), Point(120.06, 30.93),
                  *(Point(120.01 + 0.18 * (i % 20) / 20, 30.81 + 0.08 * (i // 20) / 13) for i in range(n_extra))],
        crs=4326,
    )
    shelters.attrs.update(mzgeo_kind="shelters", mzgeo_source=SYNTHETIC)
    areas = gpd.GeoDataFrame({"name": ["城南小学"] * 2, "minutes": [5, 10]},
                             geometry=[Point(120.05, 30.85).buffer(0.008), Point(120.05, 30.85).buffer(0.016)],
                             crs=4326)
    proposed = gpd.GeoDataFrame({"name": ["新址一"], "rank": [1]}, geometry=[Point(120.15, 30.95)], crs=4326)
    lines = gpd.GeoDataFrame({"line_name": ["吴南线"]}, geometry=[LineString([(120.1, 30.8), (120.1, 30.9)])],
                             crs=4326)
    markers = gpd.GeoDataFrame({"marker_id": ["33050001", "33050002"], "finding": ["", "移位"]},
                               geometry=[Point(120.1, 30.82), Point(120.1, 30.89)], crs=4326)

    m = maps.base_map(units, title="浏览器测试地图", units=units)
    maps.add_service_areas(m, areas, mode="步行")
    maps.add_facilities(m, shelters, cluster=cluster)
    maps.add_proposed_sites(m, proposed, kind="shelters")
    maps.add_boundary(m, lines, markers)
    return m


def _open(page: Any, path: Path) -> None:
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-marker-icon", timeout=10_000)
    page.wait_for_timeout(300)  # let Leaflet finish fitBounds


def _assert_clean(log: _browser.PageLog, path: Path) -> None:
    assert log.outgoing() == [], f"outgoing requests: {log.outgoing()}"
    assert log.blocked == []
    assert log.failed == []
    assert log.console_errors == []
    assert log.page_errors == []
    assert log.dialogs == []
    assert set(log.requests) <= {path.as_uri()}


def test_offline_map_loads_counts_toggles_popups_and_screenshot(ctx: Any, tmp_path: Path) -> None:
    path = maps.save(_demo_map(cluster=False), tmp_path / "离线地图.html", offline=True)
    with _browser.offline_page(ctx) as (page, log):
        _open(page, path)
        # 4 shelters + 1 proposed star + 2 boundary markers; 3 units + 2 service areas + 1 line
        markers = page.locator(".leaflet-marker-icon")
        paths = page.locator("path.leaflet-interactive")
        assert markers.count() == 7
        assert paths.count() == 6
        assert page.locator(".leaflet-control-scale").count() == 1
        assert "浏览器测试地图" in page.locator(".mzgeo-title").inner_text()
        assert SYNTHETIC in page.locator(".mzgeo-caption").inner_text()

        # layer control: unticking a layer removes its elements, ticking brings them back
        label = page.locator(".leaflet-control-layers-overlays label", has_text="服务范围")
        label.locator("input").uncheck()
        assert paths.count() == 4
        label.locator("input").check()
        assert paths.count() == 6
        shelters_box = page.locator(".leaflet-control-layers-overlays label", has_text="避灾安置场所（4）")
        shelters_box.locator("input").uncheck()
        assert markers.count() == 3
        shelters_box.locator("input").check()
        assert markers.count() == 7

        # popups: the names show as text, nothing of them runs
        texts = []
        shelter_icons = page.locator(".leaflet-marker-icon:has(circle)")
        assert shelter_icons.count() == 4
        for i in range(4):
            shelter_icons.nth(i).click(timeout=3_000)
            content = page.locator(".leaflet-popup-content")
            content.wait_for(timeout=3_000)
            texts.append(content.inner_text())
            assert content.locator("img, script").count() == 0
            page.locator(".leaflet-popup-close-button").click(timeout=3_000)
            content.wait_for(state="detached", timeout=3_000)
        joined = "\n".join(texts)
        assert XSS_SCRIPT in joined
        assert XSS_IMG in joined  # as a name and as an address
        assert "容纳人数（人）" in joined

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "offline_map.png"
        page.screenshot(path=str(shot))
        std, n_colours = _browser.pixel_stats(shot)
        assert std > 10 and n_colours > 50, (std, n_colours)
        _assert_clean(log, path)


def test_clustered_offline_map_uses_inlined_markercluster(ctx: Any, tmp_path: Path) -> None:
    path = maps.save(_demo_map(cluster=None, n_extra=260), tmp_path / "cluster.html", offline=True)  # auto
    with _browser.offline_page(ctx) as (page, log):
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_selector(".marker-cluster", timeout=10_000)
        assert page.locator(".marker-cluster").count() > 0
        assert page.evaluate("typeof L.MarkerClusterGroup") == "function"
        _assert_clean(log, path)


def test_blocked_network_is_really_blocked(ctx: Any, tmp_path: Path) -> None:
    """The harness itself: a page that does load from a CDN is caught."""
    page_path = tmp_path / "cdn.html"
    page_path.write_text(
        '<html><head><script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>'
        "</head><body>x</body></html>",
        encoding="utf-8",
    )
    with _browser.offline_page(ctx) as (page, log):
        page.goto(page_path.as_uri(), wait_until="load")
        assert log.outgoing() == ["https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"]
        assert log.blocked and log.failed


def test_notebook_cell_output_renders_offline(ctx: Any, tmp_path: Path) -> None:
    """A page holding what a notebook cell shows (``_repr_html_``) draws the map with the network blocked."""
    cell = _demo_map(cluster=False)._repr_html_()
    path = tmp_path / "notebook_cell.html"
    path.write_text(f'<html><head><meta charset="utf-8"></head><body><div style="width:900px">{cell}</div>'
                    "</body></html>", encoding="utf-8")
    with _browser.offline_page(ctx) as (page, log):
        page.goto(path.as_uri(), wait_until="load")
        frame = page.frame_locator("iframe")
        frame.locator(".leaflet-marker-icon").first.wait_for(timeout=10_000)
        assert frame.locator(".leaflet-marker-icon").count() == 7
        assert frame.locator("path.leaflet-interactive").count() == 6
        assert "浏览器测试地图" in frame.locator(".mzgeo-title").inner_text()
        inner = page.frames[1]
        assert inner.evaluate("typeof L") == "object" and inner.evaluate("L.version") == "1.9.3"
        assert log.outgoing() == [] and log.blocked == [] and log.failed == []
        assert log.page_errors == [] and log.console_errors == []
