"""Render a folium map to one self-contained HTML file (private helper of :mod:`mzgeo.maps`).

Offline rendering replaces every script and stylesheet that folium and its plugins link
from a CDN by the files of the ``xstatic-leaflet`` and ``xstatic-leaflet-markercluster``
packages, inlined into the page; the images Leaflet's CSS refers to become data URIs.
Links folium adds by default but mzgeo maps never use (jQuery, Bootstrap, Font Awesome,
Leaflet.awesome-markers) are dropped. Anything else that would load from another host
raises, so a file written with ``offline=True`` never makes a request except for the
tiles of a tiled basemap the user chose.
"""

from __future__ import annotations

import base64
import functools
import html as _html
import logging
import os
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink
from folium.elements import JSCSSMixin

from .._files import atomic_path
from ..errors import InputError, MzgeoError
from ._layer import Raw, finalise, state_of
from .style import FONT_STACK, esc

__all__ = ["OfflineMap", "external_resources", "notebook_html", "render_html", "save", "save_index", "to_html"]

logger = logging.getLogger("mzgeo")

# file name at the end of a CDN URL → (xstatic package, file)
_ASSETS: dict[str, tuple[str, str]] = {
    "leaflet.js": ("leaflet", "leaflet.js"),
    "leaflet.css": ("leaflet", "leaflet.css"),
    "leaflet.markercluster.js": ("leaflet_markercluster", "leaflet.markercluster.js"),
    "MarkerCluster.css": ("leaflet_markercluster", "MarkerCluster.css"),
    "MarkerCluster.Default.css": ("leaflet_markercluster", "MarkerCluster.Default.css"),
}
# load order: Leaflet before its plugins
_ORDER = ["leaflet.css", "MarkerCluster.css", "MarkerCluster.Default.css", "leaflet.js", "leaflet.markercluster.js"]
# folium.Map's default links that mzgeo maps do not use (dropped only when the Map asks for them;
# a plugin asking for one of them really needs it, and offline rendering then refuses)
_DROP = frozenset(
    {
        "jquery", "bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
        "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css",
    }
)


def _xstatic_dir(package: str) -> Path:
    if package == "leaflet":
        import xstatic.pkg.leaflet as pkg
    else:
        import xstatic.pkg.leaflet_markercluster as pkg
    return Path(pkg.BASE_DIR)


@functools.cache
def _asset_text(file_key: str) -> str:
    """Inline ``<script>``/``<style>`` block of one asset, source-map comments removed."""
    package, filename = _ASSETS[file_key]
    folder = _xstatic_dir(package)
    text = (folder / filename).read_text(encoding="utf-8")
    text = re.sub(r"^\s*//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    text = re.sub(r"/\*# sourceMappingURL=.*?\*/", "", text)
    if filename.endswith(".css"):
        text = re.sub(r"url\((['\"]?)images/([\w.-]+)\1\)", lambda mt: f"url({_png_data_uri(folder, mt.group(2))})", text)
        return f"<style>\n{text}\n</style>"
    text = re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)
    if file_key == "leaflet.js":
        # the default marker icon (L.Icon.Default) loads PNGs by URL; point it at data URIs
        text += (
            "\nL.Icon.Default.imagePath = '';\nL.Icon.Default.mergeOptions({"
            f"iconUrl: '{_png_data_uri(folder, 'marker-icon.png')}', "
            f"iconRetinaUrl: '{_png_data_uri(folder, 'marker-icon-2x.png')}', "
            f"shadowUrl: '{_png_data_uri(folder, 'marker-shadow.png')}'}});\n"
        )
    return f"<script>\n{text}\n</script>"


def _png_data_uri(folder: Path, name: str) -> str:
    data = (folder / "images" / name).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _walk(el: Element) -> Iterator[Element]:
    yield el
    for child in list(el._children.values()):
        yield from _walk(child)


def _asset_key(url: str) -> str | None:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name if name in _ASSETS else None


def render_html(m: folium.Map, *, offline: bool = True) -> str:
    """Return the complete HTML page of a map.

    Parameters
    ----------
    m : folium.Map
    offline : bool
        Inline Leaflet and its plugins and drop unused CDN links; raise when anything
        else would load from another host (tile layers excepted).

    Returns
    -------
    str

    Raises
    ------
    InputError
        Offline mode and the map uses something that needs a CDN (e.g. ``folium.Icon``,
        which needs Font Awesome) or a resource mzgeo cannot inline.
    """
    finalise(m)
    root: Figure = m.get_root()
    if not offline:
        return _polish(root.render())

    elements = list(_walk(root))
    for el in elements:
        if isinstance(el, folium.Icon):
            msg = (
                "离线地图不能使用 folium.Icon（需要从 CDN 加载 Font Awesome 图标字体）：请用 mzgeo.maps 的"
                "add_facilities 等函数绘制，或以 offline=False 保存 (folium.Icon needs a CDN)"
            )
            raise InputError(msg)
    wanted: dict[str, str] = {}
    known: set[str] = set()
    saved: list[tuple[JSCSSMixin, dict[str, Any]]] = []
    for el in elements:
        if not isinstance(el, JSCSSMixin):
            continue
        for name, url in [*el.default_js, *el.default_css]:
            known.add(url)
            key = _asset_key(url)
            if key is not None:
                wanted[key] = url
            elif name not in _DROP or not isinstance(el, folium.Map):
                msg = (
                    f"离线地图无法内嵌外部资源 {url}（{type(el).__name__} 需要）：请移除该元素，"
                    "或以 offline=False 保存 (cannot inline this resource)"
                )
                raise InputError(msg)
        saved.append((el, {k: el.__dict__[k] for k in ("default_js", "default_css") if k in el.__dict__}))
        el.default_js = []
        el.default_css = []

    header = root.header
    original = OrderedDict(header._children)
    for child in original.values():
        if isinstance(child, (JavascriptLink, CssLink)) and child.url not in known:
            msg = f"离线地图无法内嵌手工添加的外部资源 {child.url}：请移除，或以 offline=False 保存"
            raise InputError(msg)
    kept = [(k, v) for k, v in original.items() if not isinstance(v, (JavascriptLink, CssLink))]
    inline = [(f"mzgeo_inline_{key}", Raw(_asset_text(key))) for key in _ORDER if key in wanted]
    favicon = ("mzgeo_favicon", Raw('<link rel="icon" href="data:,">'))
    header._children = OrderedDict([*kept[:1], favicon, *inline, *kept[1:]])
    for _, child in inline:
        child._parent = header
    try:
        page = root.render()
    finally:
        header._children = OrderedDict(
            (k, v) for k, v in header._children.items() if not k.startswith("mzgeo_inline_")
        )
        for el, attrs in saved:
            for k in ("default_js", "default_css"):
                if k in attrs:
                    setattr(el, k, attrs[k])
                elif k in el.__dict__:
                    del el.__dict__[k]
    page = _polish(page)
    allowed = set(state_of(m).tile_hosts)
    bad = [(ctx, url) for ctx, url in external_resources(page) if urlsplit(url).hostname not in allowed]
    if bad:
        listing = "；".join(f"{ctx}: {url}" for ctx, url in bad[:5])
        msg = f"离线地图仍引用外部资源（共 {len(bad)} 处）：{listing}"
        raise MzgeoError(msg)
    if allowed:
        logger.info("离线地图仍会从 %s 加载底图瓦片；内网无法访问时底图为空白", "、".join(sorted(allowed)))
    return page


def notebook_html(m: folium.Map) -> str:
    """Return the map as a notebook cell shows it: an ``<iframe srcdoc>`` holding the offline page.

    Like folium's own ``_repr_html_`` (same size rules: the figure's width, and its height
    or aspect ratio), but the page inside is :func:`render_html` with ``offline=True``, so
    Leaflet and its plugins are inlined and the map draws on an intranet without a CDN.
    A map that cannot be made offline (e.g. it holds a ``folium.Icon``) falls back to
    folium's page, with a logged warning saying why.
    """
    try:
        page = render_html(m, offline=True)
    except MzgeoError as exc:
        logger.warning("地图无法离线显示，改用在线资源（需要访问 CDN）：%s", exc)
        page = render_html(m, offline=False)
    root = m.get_root()
    width = getattr(root, "width", "100%")
    height = getattr(root, "height", None)
    ratio = getattr(root, "ratio", "60%")
    doc = _html.escape(page, quote=True)
    if height is None:
        return (
            f'<div style="width:{width};">'
            f'<div style="position:relative;width:100%;height:0;padding-bottom:{ratio};">'
            f'<iframe srcdoc="{doc}" style="position:absolute;width:100%;height:100%;left:0;top:0;'
            'border:none !important;" allowfullscreen webkitallowfullscreen mozallowfullscreen>'
            "</iframe></div></div>"
        )
    return (
        f'<iframe srcdoc="{doc}" width="{width}" height="{height}" style="border:none !important;" '
        "allowfullscreen webkitallowfullscreen mozallowfullscreen></iframe>"
    )


class OfflineMap(folium.Map):
    """A :class:`folium.Map` whose inline notebook display works offline.

    Identical to ``folium.Map`` except ``_repr_html_``, which shows the page that
    ``mzgeo.maps.save(m, path, offline=True)`` writes (Leaflet inlined, no CDN request) in the
    cell's iframe. Every map made by :mod:`mzgeo.maps` is one.
    """

    def _repr_html_(self, **kwargs: Any) -> str:
        """Return the map for a Jupyter cell: the offline page in an ``<iframe srcdoc>``."""
        return notebook_html(self)


def _polish(page: str) -> str:
    return page.replace("<html>", '<html lang="zh-CN">', 1)


_RES_PATTERNS = [
    ("script src", re.compile(r"<script[^>]*\ssrc\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)),
    ("link href", re.compile(r"<link[^>]*\shref\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)),
    ("img src", re.compile(r"<(?:img|iframe|source|video|audio|embed)[^>]*\ssrc\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)),
    ("css url()", re.compile(r"(?<![\w$.])url\(\s*[\"']?([^\"')\s]+)")),
    ("css @import", re.compile(r"@import\s+[\"']([^\"']+)", re.IGNORECASE)),
    ("tile layer", re.compile(r"L\.tileLayer(?:\.wms)?\(\s*[\"']([^\"']+)", re.IGNORECASE)),
]


def external_resources(page: str) -> list[tuple[str, str]]:
    """Resources a page would load from the network: ``(context, url)`` for http(s) and ``//`` URLs.

    Looks at ``<script src>``, ``<link href>``, ``<img/iframe src>``, CSS ``url()`` and
    ``@import``, and tile-layer URL templates. Data URIs and fragments are not requests.
    """
    found = []
    for ctx, pattern in _RES_PATTERNS:
        for url in pattern.findall(page):
            u = url.strip().lower()
            if u.startswith(("http:", "https:", "//", "ftp:")):
                found.append((ctx, url))
    return found


# --- output ------------------------------------------------------------------------------------
def to_html(m: folium.Map, *, offline: bool = True) -> str:
    """Return the map as one complete HTML page, as :func:`save` writes it.

    Parameters
    ----------
    m : folium.Map
    offline : bool
        Inline Leaflet and its plugins (see :func:`save`).

    Returns
    -------
    str

    Raises
    ------
    InputError
        Offline, and the map contains something that needs a CDN.
    """
    return render_html(m, offline=offline)


def save(m: folium.Map, path: str | os.PathLike, *, offline: bool = True) -> Path:
    """Write the map to one HTML file, atomically.

    Parameters
    ----------
    m : folium.Map
    path : str or os.PathLike
        Destination (``.html``); its folder is created when missing.
    offline : bool
        ``True`` (default): Leaflet 1.9.3 and Leaflet.markercluster 1.4.1 are inlined from
        the ``xstatic-leaflet`` packages, folium's unused CDN links (jQuery, Bootstrap,
        Font Awesome, awesome-markers) are dropped, and the file makes no request to any
        other host — except tile requests when a tiled basemap was chosen. A map with one
        point is about 180 kB (Leaflet 144 kB + its CSS and images), 36 kB more with
        clustering; data add about 160 bytes per point with a popup and a few kB per
        polygon. ``False``: the usual CDN links (about 9 kB + data).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    InputError
        Offline, and the map contains something that needs a CDN (e.g. ``folium.Icon``).
    """
    page = render_html(m, offline=offline)
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    logger.info("地图已保存：%s（%.0f kB，%s）", target, len(page.encode("utf-8")) / 1024,
                "离线" if offline else "在线资源")
    return target


def save_index(
    links: Mapping[str, str | os.PathLike] | Sequence[tuple[str, str | os.PathLike]],
    path: str | os.PathLike,
    *,
    title: str = "地图目录",
    note: str | None = None,
) -> Path:
    """Write an ``index.html`` linking saved maps (self-contained, no request to any host).

    Parameters
    ----------
    links : dict or sequence of (str, path)
        Link text → map file. Files are linked relative to the index's folder.
    path : str or os.PathLike
        Destination of the index page.
    title : str
        Page title and heading.
    note : str, optional
        A paragraph under the heading (e.g. "示例数据（合成），仅供演示").

    Returns
    -------
    pathlib.Path
    """
    target = Path(path)
    items = links.items() if isinstance(links, Mapping) else links
    rows = []
    for text, file in items:
        rel = os.path.relpath(Path(file).resolve(), target.resolve().parent)
        href = quote(Path(rel).as_posix(), safe="/._-")
        rows.append(f'<li><a href="{esc(href)}">{esc(text)}</a></li>')
    note_html = f"<p>{esc(note)}</p>" if note else ""
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n<link rel="icon" href="data:,">\n'
        f"<title>{esc(title)}</title>\n<style>body {{ font: 16px/1.6 {FONT_STACK}; margin: 2em auto; "
        "max-width: 46em; padding: 0 1em; color: #222; } a { color: #08519c; } li { margin: .4em 0; }</style>\n"
        f"</head>\n<body>\n<h1>{esc(title)}</h1>\n{note_html}\n<ul>\n" + "\n".join(rows) + "\n</ul>\n</body>\n</html>\n"
    )
    with atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    logger.info("地图目录已保存：%s（%d 个链接）", target, len(rows))
    return target
