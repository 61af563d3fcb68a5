"""Travel costs between demand and supply: from a road network or from a long-form cost table.

Private helper shared by the analysis modules (coverage, beds, shelters, burial, allocate).

A *cost table* is a long-form frame with columns ``origin`` (a demand row's index label),
``destination`` (a supply row's index label) and ``minutes``; pairs absent from the table are
unreachable. A *network* is an :class:`mzgeo.network.Network` (``od`` and ``nearest``).

:func:`cost_matrix` returns a ``scipy.sparse.csr_matrix`` of minutes (n_demand × n_supply)
whose **stored entries are exactly the reachable pairs**: a zero-minute pair (facility at the
demand point) is kept as an explicit zero, so never test reachability with ``!= 0``; use
:func:`pairs` (or ``matrix.indptr``/``indices``) instead, and avoid sparse arithmetic that
drops explicit zeros (``eliminate_zeros``, ``+``, ``*`` between matrices).
"""

from __future__ import annotations

import contextlib
import logging
import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from ..errors import DataWarning, InputError

__all__ = [
    "quiet_repeat",
    "ROUTE_STATUS",
    "check_cost_table",
    "cost_matrix",
    "describe_source",
    "nearest",
    "nearest_from_pairs",
    "pairs",
]

logger = logging.getLogger("mzgeo")

_COLUMNS = ("origin", "destination", "minutes")

#: Chinese wording of the network's point status codes (``Network.nearest``'s ``status``).
ROUTE_STATUS: dict[str, str] = {
    "ok": "正常",
    "too_far": "距道路过远",
    "island": "不在主路网",
    "empty": "无几何",
    "unreachable": "不可达",
}


def check_cost_table(cost: Any) -> pd.DataFrame:
    """Validate a long-form cost table; returns ``origin``, ``destination``, ``minutes`` (float).

    Rows with missing or infinite minutes are dropped (unreachable).

    Raises
    ------
    InputError
        Not a DataFrame, a column missing, or negative minutes.
    """
    if not isinstance(cost, pd.DataFrame):
        msg = f"成本表 cost 应为 DataFrame（列 origin、destination、minutes），实际为 {type(cost).__name__}"
        raise InputError(msg)
    missing = [c for c in _COLUMNS if c not in cost.columns]
    if missing:
        msg = (
            f"成本表 cost 缺少列 {missing}；需要 origin（需求点索引）、destination（设施索引）、"
            f"minutes（分钟），现有列：{list(cost.columns)[:10]}"
        )
        raise InputError(msg)
    table = cost[list(_COLUMNS)].copy()
    table["minutes"] = pd.to_numeric(table["minutes"], errors="coerce").astype("float64")
    if (table["minutes"] < 0).any():
        msg = "成本表 cost 的 minutes 有负值，请更正"
        raise InputError(msg)
    keep = np.isfinite(table["minutes"].to_numpy())
    if not keep.all():
        logger.info("成本表中 %d 行的时间缺失或为无穷，视为不可达", int((~keep).sum()))
    return table[keep]


@contextlib.contextmanager
def quiet_repeat() -> Iterator[None]:
    """Silence :class:`~mzgeo.DataWarning` for a second routing call on the same points.

    An analysis that routes the same demand and facilities twice (nearest, then pairs within
    a limit) reports unsnappable points once, from the first call.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        yield


def _check_index(df: Any, layer: str) -> None:
    if not df.index.is_unique:
        dup = df.index[df.index.duplicated()].unique().tolist()[:10]
        msg = f"{layer} 的索引有重复值 {dup}；请先 reset_index() 或设置唯一编号为索引"
        raise InputError(msg)


def _partition_kw(partition: Any, executor: Any) -> dict[str, Any]:
    """Keywords of a partitioned network call (none without a partition: any object with ``od`` works)."""
    return {} if partition is None else {"partition": partition, "executor": executor}


def _table_from_network(network: Any, demand: Any, supply: Any, cutoff_minutes: float | None,
                        partition: Any = None, executor: Any = None) -> pd.DataFrame:
    if not hasattr(network, "od"):
        msg = f"network 应为 mzgeo.Network（有 od 方法），实际为 {type(network).__name__}"
        raise InputError(msg)
    od = network.od(supply, demand, cutoff_minutes=math.inf if cutoff_minutes is None else cutoff_minutes,
                    **_partition_kw(partition, executor))
    table = od.table
    return table[list(_COLUMNS)]


def cost_matrix(
    demand: Any,
    supply: Any,
    network: Any = None,
    cost: pd.DataFrame | None = None,
    cutoff_minutes: float | None = None,
    *,
    warn_unknown: bool = True,
    partition: Any = None,
    executor: Any = None,
) -> tuple[sparse.csr_matrix, pd.Index, pd.Index]:
    """Sparse travel-time matrix (minutes) between demand rows and supply rows.

    Parameters
    ----------
    demand : pandas.DataFrame or geopandas.GeoDataFrame
        Demand points (rows of the matrix), unique index.
    supply : pandas.DataFrame or geopandas.GeoDataFrame
        Facilities (columns of the matrix), unique index.
    network : mzgeo.Network, optional
        Road network; ``network.od(supply, demand, cutoff_minutes=...)`` is used.
    cost : pandas.DataFrame, optional
        Long-form cost table (``origin``, ``destination``, ``minutes``) used instead of a
        network. Repeated pairs keep their smallest time.
    cutoff_minutes : float, optional
        Keep pairs with ``minutes <= cutoff_minutes`` (inclusive); all pairs when None.
    warn_unknown : bool
        Warn (:class:`DataWarning`) when cost-table labels match no demand/supply row.
    partition : {"county"} or geopandas.GeoDataFrame, optional
        With a network: route per unit on buffered partition networks (see
        :mod:`mzgeo.network.partition`; the same pairs within the cutoff as one network).
    executor : None, "local", str or distributed.Client, optional
        Where the partition tasks run (default ``settings.executor``).

    Returns
    -------
    tuple
        ``(matrix, origins, destinations)``: CSR matrix of minutes with explicit zeros kept
        (stored entries = reachable pairs), ``demand.index`` and ``supply.index``.

    Raises
    ------
    InputError
        Neither or both of ``network`` and ``cost``; repeated index labels; a bad cost table.
    """
    if (network is None) == (cost is None):
        msg = "请提供 network（路网）或 cost（成本表）之一 (give exactly one of network= or cost=)"
        raise InputError(msg)
    _check_index(demand, "需求点图层")
    _check_index(supply, "设施图层")
    origins, destinations = demand.index, supply.index
    shape = (len(origins), len(destinations))
    if not len(origins) or not len(destinations):
        return sparse.csr_matrix(shape, dtype="float64"), origins, destinations
    if cost is not None:
        table = check_cost_table(cost)
    else:
        table = _table_from_network(network, demand, supply, cutoff_minutes, partition, executor)
    rows = origins.get_indexer(pd.Index(table["origin"]))
    cols = destinations.get_indexer(pd.Index(table["destination"]))
    minutes = table["minutes"].to_numpy(dtype="float64")
    known = (rows >= 0) & (cols >= 0)
    if cost is not None and warn_unknown and not known.all():
        n_o = int((rows < 0).sum())
        n_d = int((cols < 0).sum())
        if known.sum() == 0:
            msg = (
                "成本表的 origin/destination 与需求点、设施的索引都不匹配：origin 应为需求点的索引值，"
                "destination 应为设施的索引值（注意数字与文本类型要一致）"
            )
            raise InputError(msg)
        text = f"成本表中 {n_o} 行的 origin 不是需求点索引、{n_d} 行的 destination 不是设施索引，已忽略"
        logger.warning(text)
        warnings.warn(text, DataWarning, stacklevel=3)
    keep = known & np.isfinite(minutes)
    if cutoff_minutes is not None:
        keep &= minutes <= cutoff_minutes
    rows, cols, minutes = rows[keep], cols[keep], minutes[keep]
    # repeated pairs: keep the smallest time (coo->csr would add them up)
    order = np.lexsort((minutes, cols, rows))
    rows, cols, minutes = rows[order], cols[order], minutes[order]
    first = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])] if len(rows) else np.zeros(0, bool)
    rows, cols, minutes = rows[first], cols[first], minutes[first]
    matrix = sparse.csr_matrix((minutes, (rows, cols)), shape=shape)
    matrix.sort_indices()
    return matrix, origins, destinations


def pairs(matrix: sparse.spmatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the stored entries of a cost matrix as arrays ``(rows, cols, minutes)`` (explicit zeros kept)."""
    coo = sparse.coo_matrix(matrix)
    return coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype("float64")


def nearest_from_pairs(rows: np.ndarray, cols: np.ndarray, minutes: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: position of the nearest column (-1 when none) and its minutes (NaN)."""
    col = np.full(n_rows, -1, dtype=np.int64)
    mins = np.full(n_rows, np.nan)
    if len(rows):
        order = np.lexsort((cols, minutes, rows))
        r, c, m = rows[order], cols[order], minutes[order]
        first = np.r_[True, r[1:] != r[:-1]]
        col[r[first]] = c[first]
        mins[r[first]] = m[first]
    return col, mins


def nearest(
    demand: Any,
    supply: Any,
    network: Any = None,
    cost: pd.DataFrame | None = None,
    *,
    supply_mask: Any = None,
    partition: Any = None,
    executor: Any = None,
    within_minutes: float | None = None,
) -> pd.DataFrame:
    """Nearest facility of each demand row, without a time limit.

    Parameters
    ----------
    demand, supply : pandas.DataFrame or geopandas.GeoDataFrame
        Demand points and facilities (unique indexes).
    network : mzgeo.Network, optional
        Road network (``network.nearest(facilities, demand)``).
    cost : pandas.DataFrame, optional
        Long-form cost table instead of a network.
    supply_mask : array-like of bool, optional
        Only these facilities are candidates (the cost table may list the others).
    partition : {"county"} or geopandas.GeoDataFrame, optional
        With a network: route per unit on buffered partition networks (see
        :mod:`mzgeo.network.partition`; the same pairs within the cutoff as one network).
    executor : None, "local", str or distributed.Client, optional
        Where the partition tasks run (default ``settings.executor``).
    within_minutes : float, optional
        With a partition: the travel time (minutes) each partition answers exactly (the
        analysis's threshold); longer answers are recomputed on the whole network.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``demand``: ``facility`` (supply index label, NA when none reachable),
        ``minutes`` (float, NaN when unreachable), ``route_status`` (正常 / 不可达, and with a
        network 距道路过远 / 不在主路网 / 无几何 for points that could not be snapped).
    """
    if (network is None) == (cost is None):
        msg = "请提供 network（路网）或 cost（成本表）之一 (give exactly one of network= or cost=)"
        raise InputError(msg)
    mask = np.ones(len(supply), bool) if supply_mask is None else np.asarray(supply_mask, dtype=bool)
    cand = supply[mask] if supply_mask is not None else supply
    out = pd.DataFrame({"facility": pd.Series(pd.NA, index=demand.index, dtype="object"),
                        "minutes": np.full(len(demand), np.nan),
                        "route_status": pd.Series("不可达", index=demand.index, dtype="object")},
                       index=demand.index)
    if not len(demand) or not len(cand):
        return out
    if cost is not None:
        matrix, _, _ = cost_matrix(demand, supply, cost=cost)
        rows, cols, minutes = pairs(matrix)
        ok = mask[cols]
        col, mins = nearest_from_pairs(rows[ok], cols[ok], minutes[ok], len(demand))
        has = col >= 0
        fac = np.full(len(demand), None, dtype=object)
        fac[has] = supply.index.to_numpy()[col[has]]
        out["facility"] = pd.Series(fac, index=demand.index, dtype="object")
        out["minutes"] = mins
        out["route_status"] = np.where(has, "正常", "不可达")
        return out
    if not hasattr(network, "nearest"):
        msg = f"network 应为 mzgeo.Network（有 nearest 方法），实际为 {type(network).__name__}"
        raise InputError(msg)
    kw = _partition_kw(partition, executor)
    if kw:
        kw["within_minutes"] = within_minutes
    res = network.nearest(cand, demand, **kw)
    out["facility"] = res["facility"].reindex(demand.index).astype("object").where(res["minutes"].notna(), None)
    out["minutes"] = pd.to_numeric(res["minutes"].reindex(demand.index), errors="coerce").astype("float64")
    if "status" in res.columns:
        status = res["status"].reindex(demand.index).astype("str")
        out["route_status"] = status.map(ROUTE_STATUS).fillna(status).astype("object")
    else:
        out["route_status"] = np.where(out["minutes"].notna(), "正常", "不可达")
    return out


def describe_source(network: Any, cost: Any) -> dict[str, Any]:
    """Parameters describing where travel times came from (for the 参数 sheet).

    With a network: its mode, walking speed or drive speed table (from ``network.params``),
    and the snapping distance and access-leg speed in force (``settings``).
    """
    from .. import settings

    if cost is not None:
        return {"travel_costs": "成本表（origin/destination/minutes）"}
    info: dict[str, Any] = {"travel_costs": "路网"}
    params = getattr(network, "params", None)
    params = params if isinstance(params, dict) else {}
    mode = params.get("mode", getattr(network, "mode", None))
    if mode is not None:
        info["mode"] = mode
    for key, out in (("walk_speed_mps", "walk_speed_mps"), ("speeds_kph", "drive_speed_kph"),
                     ("default_drive_speed_kph", "default_drive_speed_kph"), ("source", "network_source")):
        if params.get(key) is not None:
            info[out] = params[key]
    info["max_snap_m"] = settings.max_snap_m
    info["access_speed_mps"] = settings.access_speed_mps
    return info
