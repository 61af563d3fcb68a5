"""Road networks and travel times.

- :mod:`mzgeo.network.core` — :class:`Network`: its arrays, snapping, ``nearest``, ``od``,
  ``node_nearest`` (the constructors and ``service_areas`` are the functions below);
- :mod:`mzgeo.network.build` — ``from_lines``, ``from_arrays``, ``from_networkx``: noding,
  repairs and the build report, one-way flags, speeds;
- :mod:`mzgeo.network.osm` — ``from_osm`` (OSM XML/PBF), ``from_osmnx_polygon``, the OSM tag table;
- :mod:`mzgeo.network.isochrone` — service areas (generalized grid and detailed vector polygons;
  the grid passes are in ``_raster``);
- :mod:`mzgeo.network.cost` — travel-cost tables shared by the analyses (network or long-form table);
- :mod:`mzgeo.network.cache` — the disk cache of built networks.
"""

from __future__ import annotations

from .build import BUILD_FIXES
from .core import SNAP_STATUS, Network, ODMatrix
from .cost import ROUTE_STATUS
from .isochrone import SERVICE_AREA_CELL_M

__all__ = ["BUILD_FIXES", "ROUTE_STATUS", "SERVICE_AREA_CELL_M", "SNAP_STATUS", "Network", "ODMatrix"]
