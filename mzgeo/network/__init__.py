"""Road networks and travel times.

- :mod:`mzgeo.network.core` — :class:`Network` (building, snapping, ``nearest``, ``od``, service areas);
- :mod:`mzgeo.network.cost` — travel-cost tables shared by the analyses (network or long-form table).
"""

from __future__ import annotations

from .core import BUILD_FIXES, SERVICE_AREA_CELL_M, SNAP_STATUS, Network, ODMatrix
from .cost import ROUTE_STATUS

__all__ = ["BUILD_FIXES", "ROUTE_STATUS", "SERVICE_AREA_CELL_M", "SNAP_STATUS", "Network", "ODMatrix"]
