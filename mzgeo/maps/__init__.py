"""Offline HTML maps for planners (folium): HTML maps that open anywhere, also from a USB stick on an offline intranet.

Every builder returns the :class:`folium.Map` it draws on, so a notebook shows it inline,
and :func:`save` writes one self-contained HTML file.

Coordinates
    Layers come in any CRS. Each overlay is reprojected to WGS84 (EPSG:4326) when drawn,
    and shifted to GCJ-02 only when the basemap is Amap (高德), whose tiles are GCJ-02;
    the shift happens in one function, once per layer. Lines and polygons are simplified
    for display at ``simplify_m`` metres (10 m by default, 2 m for boundary lines) in the
    metric CRS before reprojection, and drawn coordinates are rounded to 5 decimals of a
    degree (≈ 1.1 m).

Offline
    ``save(m, path)`` (``offline=True``) inlines Leaflet 1.9.3 and Leaflet.markercluster
    1.4.1 from the ``xstatic-leaflet`` packages (no CDN), draws symbols as inline SVG (no
    icon font, no image file) and refuses anything that would load from another host. With
    ``basemap=None`` (the default) the file makes no request at all; with a tiled basemap
    the tiles are the only requests (and stay blank on an intranet without access).
    The same holds inline in a notebook: maps made here are ``OfflineMap`` (a
    ``folium.Map``) whose ``_repr_html_`` shows that offline page in the cell's iframe.

Safety
    Every user string (names, addresses, remarks, titles, legend entries, layer names) is
    HTML-escaped, so a facility named ``<script>alert(1)</script>`` shows as text; curly
    braces are escaped too, because folium evaluates ``{{ }}`` in element output as Jinja.

Modules (one per layer family)
    :mod:`.base` :func:`base_map` (basemap tiles, title, caption, admin units);
    :mod:`.units` :func:`add_units`, :func:`add_choropleth` / :func:`choropleth`;
    :mod:`.facilities` :func:`add_facilities`, :func:`add_proposed_sites`;
    :mod:`.areas` :func:`add_service_areas`, :func:`add_uncovered`;
    :mod:`.boundary` :func:`add_boundary` (lines, markers, junctions, crossings, gaps, stretches);
    :mod:`.render` :func:`save` / :func:`to_html`, :func:`save_index`, offline inlining, :class:`OfflineMap`;
    :mod:`.style` symbols, colours, number formatting (labels: :mod:`mzgeo.report.labels`);
    ``_layer`` (private) map state, the display transform and helpers shared by the layer modules.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> from mzgeo import maps
>>> shelters = gpd.GeoDataFrame({"name": ["城南小学"], "tier": ["乡镇级"], "capacity": [300]},
...                             geometry=[Point(120.09, 30.87)], crs=4326)
>>> m = maps.base_map(shelters, title="避灾安置场所")
>>> m = maps.add_facilities(m, shelters, kind="shelters")
>>> import folium
>>> isinstance(m, folium.Map)  # an OfflineMap: shows the offline page inline in a notebook
True
"""


from __future__ import annotations

from ._layer import COORD_DECIMALS
from .areas import add_service_areas, add_uncovered
from .base import BASEMAPS, base_map
from .boundary import add_boundary
from .facilities import add_facilities, add_proposed_sites
from .render import OfflineMap, external_resources, save, save_index, to_html
from .style import BOUNDARY_SIMPLIFY_M, CLUSTER_THRESHOLD, DISPLAY_SIMPLIFY_M
from .units import add_choropleth, add_units, choropleth

__all__ = [
    "BASEMAPS",
    "BOUNDARY_SIMPLIFY_M",
    "CLUSTER_THRESHOLD",
    "COORD_DECIMALS",
    "DISPLAY_SIMPLIFY_M",
    "OfflineMap",
    "add_boundary",
    "add_choropleth",
    "add_facilities",
    "add_proposed_sites",
    "add_service_areas",
    "add_uncovered",
    "add_units",
    "base_map",
    "choropleth",
    "external_resources",
    "save",
    "save_index",
    "to_html",
]
