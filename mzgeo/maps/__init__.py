"""Offline HTML maps for planners (folium): facilities, service areas, choropleths, boundaries."""

from __future__ import annotations

from .api import (
    BASEMAPS,
    BOUNDARY_SIMPLIFY_M,
    CLUSTER_THRESHOLD,
    COORD_DECIMALS,
    DISPLAY_SIMPLIFY_M,
    add_boundary,
    add_choropleth,
    add_facilities,
    add_proposed_sites,
    add_service_areas,
    add_uncovered,
    add_units,
    base_map,
    choropleth,
    external_resources,
    save,
    save_index,
    to_html,
)
from .render import OfflineMap

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
