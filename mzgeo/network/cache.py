"""The disk cache of built networks: keys from file and parameter digests, atomic ``.npz`` files.

Building a city network from a road layer or an OSM extract takes seconds; the arrays of a
built :class:`~mzgeo.network.Network` are stored under ``settings.cache_folder`` (default
``~/.cache/mzgeo/networks``), keyed by a SHA-256 of the input (file bytes, or geometries and
columns) and of every parameter and rule version (:data:`CACHE_VERSION`). The cache is an
optimisation: a failed write only logs, an unreadable file is rebuilt.

Examples
--------
>>> len(params_digest({"mode": "walk"}, b"roads")), use_cache(False)
(64, False)
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import settings
from .._files import atomic_path

if TYPE_CHECKING:
    from .core import Network

__all__ = ["CACHE_VERSION", "cache_dir", "load_network", "network_arrays", "network_from_arrays", "save_network"]

log = logging.getLogger("mzgeo")

#: Version of the on-disk cache layout and build rules; bump when the arrays stored or the
#: rules that build a network change (4: closed-way pairing, OSM rule table, road repairs).
CACHE_VERSION = 4


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def params_digest(*parts: Any) -> str:
    """SHA-256 of JSON-serialisable parts (and raw bytes)."""
    h = hashlib.sha256()
    h.update(f"mzgeo-network-v{CACHE_VERSION}".encode())
    for part in parts:
        if isinstance(part, bytes | bytearray | memoryview):
            h.update(bytes(part))
        else:
            h.update(json.dumps(part, sort_keys=True, default=str, ensure_ascii=False).encode())
    return h.hexdigest()


def cache_dir() -> Path:
    """Folder of the network cache (``settings.cache_folder`` or ``~/.cache/mzgeo``)."""
    folder = settings.cache_folder
    return Path(folder) if folder is not None else Path.home() / ".cache" / "mzgeo"


def use_cache(cache: bool | None) -> bool:
    """Whether to read/write the disk cache for this call."""
    return settings.use_cache if cache is None else bool(cache)


def cache_path(key: str) -> Path:
    """Path of the cache file of ``key``."""
    return cache_dir() / "networks" / f"{key}.npz"


def save_arrays(key: str, arrays: dict[str, np.ndarray]) -> Path | None:
    """Write arrays to the cache atomically; failures only log (the cache is an optimisation)."""
    path = cache_path(key)
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
    except OSError as exc:  # read-only home, full disk...
        log.warning("无法写入路网缓存 %s (cache write failed): %s", path, exc)
        return None
    log.info("路网已缓存 (network cached): %s", path)
    return path


def load_arrays(key: str) -> dict[str, np.ndarray] | None:
    """Arrays stored under ``key``, or ``None`` when absent or unreadable."""
    path = cache_path(key)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError, KeyError) as exc:
        log.warning("路网缓存损坏，将重新构建 (cache unreadable, rebuilding): %s: %s", path, exc)
        return None


# --- networks ---------------------------------------------------------------------------------


def network_arrays(net: Network) -> dict[str, np.ndarray]:
    """Return the arrays that rebuild ``net`` (:func:`network_from_arrays`): plain numpy, no pickled objects."""
    meta = {"crs": net.crs.to_wkt(), "mode": net.mode, "params": net.params}
    return {
        "node_xy": net._node_xy, "u": net._u, "v": net._v, "fwd": net._fwd, "bwd": net._bwd,
        "coords": net._coords, "offsets": net._offsets,
        "road_class": _to_str_array(net._class), "name": _to_str_array(net._name),
        "report_kind": net.build_report["kind"].to_numpy(dtype=str),
        "report_xym": net.build_report[["x", "y", "moved_m"]].to_numpy(dtype=float).reshape(-1, 3),
        "meta": np.array(json.dumps(meta, default=str, ensure_ascii=False)),
    }


def network_from_arrays(z: dict[str, np.ndarray]) -> Network:
    """Rebuild a network from :func:`network_arrays` (and optional exact ``cum``/``len`` arrays)."""
    from .build import _build_report_frame
    from .core import Network

    meta = json.loads(str(z["meta"]))
    net = Network(
        crs=meta["crs"], mode=meta["mode"], node_xy=z["node_xy"], seg_u=z["u"], seg_v=z["v"],
        seg_fwd_s=z["fwd"], seg_bwd_s=z["bwd"], coords=z["coords"], offsets=z["offsets"],
        road_class=_from_str_array(z["road_class"]), name=_from_str_array(z["name"]),
        params=meta["params"], merge_duplicates=False,
        build_report=_build_report_frame(z["report_kind"], z["report_xym"][:, :2], z["report_xym"][:, 2]),
    )
    if "cum" in z:  # a partition keeps the lengths of its parent network bit for bit
        net._cum = np.asarray(z["cum"], dtype=np.float64)
        net._len = np.asarray(z["len"], dtype=np.float64)
    return net


def save_network(net: Network, key: str) -> Path | None:
    """Store the arrays of ``net`` under ``key``; returns the file (``None`` when the write failed, logged)."""
    return save_arrays(key, network_arrays(net))


def load_network(key: str) -> Network | None:
    """Load the network stored under ``key``, or ``None`` when absent or unreadable."""
    t0 = time.perf_counter()
    z = load_arrays(key)
    if z is None:
        return None
    net = network_from_arrays(z)
    net.params["cache"] = str(cache_path(key))
    log.info("路网从缓存读取 (network loaded from cache) %s in %.3f s", key, time.perf_counter() - t0)
    return net


def _to_str_array(values: np.ndarray) -> np.ndarray:
    """Object array → unicode array for the cache; ``None`` stored as a control marker."""
    return np.array(["\x00" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in values],
                    dtype=str)


def _from_str_array(values: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[values == "\x00"] = None
    return out


