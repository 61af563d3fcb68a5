"""Run a location model in one call: :func:`allocate` and its result type :data:`AllocationResult`.

Named ``run.py`` (not ``allocate.py``) so that ``mzgeo.locate.allocate`` is the function and no name hides a module.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..errors import InputError
from .base import LocationModel
from .beds import BedPlacement
from .center import PCenter
from .cover import LSCP, MCLP, CapacitatedMCLP
from .median import PMedian

log = logging.getLogger("mzgeo")


#: Model key → class.
MODELS: dict[str, type[LocationModel]] = {
    "lscp": LSCP,
    "mclp": MCLP,
    "pmedian": PMedian,
    "pcenter": PCenter,
    "cmclp": CapacitatedMCLP,
    "beds": BedPlacement,
}

#: The solved model object is the result (all models share :class:`LocationModel`'s attributes).
AllocationResult = LocationModel


def allocate(
    demand: pd.DataFrame,
    candidates: pd.DataFrame | None,
    *,
    model: str = "mclp",
    network: Any = None,
    cost: Any = None,
    minutes: float | None = None,
    p: int | None = None,
    existing: pd.DataFrame | None = None,
    capacity_col: str | None = None,
    weight_col: str | None = "elderly",
    existing_cost: Any = None,
    time_limit_s: float | None = None,
    mip_gap: float | None = None,
    curve: str = "greedy",
    name_col: str | None = "name",
    speed_mps: float | None = None,
    highs_options: Mapping[str, Any] | None = None,
    **model_params: Any,
) -> LocationModel:
    """Choose new facility sites that close a coverage gap, and solve.

    Parameters
    ----------
    demand : GeoDataFrame or DataFrame
        Demand points (villages, communities or units); the index labels demand in the
        cost table and the results.
    candidates : GeoDataFrame or DataFrame or None
        Candidate sites (see :func:`candidate_sites`); index labels must differ from the
        existing facilities' labels.
    model : {"lscp", "mclp", "pmedian", "pcenter", "cmclp", "beds"}
        Which model (see the module docstring).
    network : mzgeo.Network, optional
        Road network; travel times come from ``network.od(sites, demand, cutoff_minutes=...)``.
    cost : DataFrame or ODMatrix, optional
        Long-form travel times (``origin``, ``destination``, ``minutes``); destinations may
        mix candidates and existing facilities (split by index).
    minutes : float, optional
        Coverage threshold (minutes) for lscp, mclp, cmclp and beds; an optional cutoff for
        pmedian and pcenter.
    p : int, optional
        Number of new sites (mclp, cmclp, pmedian, pcenter; most new sites for beds).
    existing : GeoDataFrame or DataFrame, optional
        Existing facilities, always open (required sites), never counted in ``p``.
    capacity_col : str, optional
        Capacity column (weight units, e.g. persons) on candidates and existing facilities;
        makes lscp / mclp / pmedian / pcenter capacitated; required by ``cmclp``.
    weight_col : str or None
        Demand weight column (default ``"elderly"``, as the analyses); ``None`` = every point weighs 1.
    existing_cost : DataFrame or ODMatrix, optional
        Travel times to the existing facilities when given apart from ``cost``.
    time_limit_s : float, optional
        Wall-clock limit (seconds); the best solution and its true gap are returned.
    mip_gap : float, optional
        Relative gap at which to stop (default 0: prove the optimum).
    curve : {"greedy", "optimal"}
        How the coverage curve is computed (see :meth:`LocationModel.solve`).
    name_col : str or None
        Name column copied to the results when present.
    speed_mps : float, optional
        Speed (m/s) for straight-line times when neither ``network`` nor ``cost`` is given;
        default ``settings.walk_speed_mps``.
    highs_options : mapping, optional
        Extra HiGHS options.
    **model_params
        Model-specific parameters, e.g. ``single_source=True`` (capacitated models); for
        ``beds``: ``beds_to_add``, ``unit_gap``, ``target_per_1000``, ``beds_col``
        (default ``"beds"``), ``max_add_existing``, ``max_add_new``, ``max_add_col``,
        ``min_new_beds``, ``per_unit``, ``unit_col``.

    Returns
    -------
    LocationModel
        The solved model: ``selected``, ``assignments``, ``facility_summary``,
        ``coverage_curve``, ``objective``, ``gap``, ``status``, ``solve_time_s``,
        ``params``, ``infeasible``; ``to_excel(path)`` and ``to_gpkg(path)``.

    Raises
    ------
    InputError
        Unknown model, missing column, bad parameter.
    CRSError
        A layer with geometry but without a CRS (geographic or mixed CRSs are projected,
        see :func:`mzgeo.crs.analysis_layers`).
    InfeasibleError
        Hard constraints cannot be met (capacities, p too small for p-median/p-center).

    Examples
    --------
    >>> import pandas as pd
    >>> demand = pd.DataFrame({"elderly": [100, 50, 80]}, index=["A", "B", "C"])
    >>> cand = pd.DataFrame(index=["s1", "s2"])
    >>> cost = pd.DataFrame({"origin": ["A", "B", "C", "C"], "destination": ["s1", "s1", "s2", "s1"],
    ...                      "minutes": [5.0, 8.0, 3.0, 30.0]})
    >>> r = allocate(demand, cand, model="mclp", cost=cost, minutes=15, p=1)
    >>> r.new_sites, r.objective, r.status
    (['s1'], 150.0, 'Optimal')
    """
    key = str(model).lower()
    if key not in MODELS:
        msg = f"未知模型 {model!r}；可选：{sorted(MODELS)}"
        raise InputError(msg)
    cls = MODELS[key]
    params = dict(model_params)
    if key in ("lscp", "mclp", "cmclp", "beds") or minutes is not None:
        params["minutes"] = minutes
    if key in ("mclp", "cmclp", "pmedian", "pcenter") or (key == "beds" and p is not None):
        params["p"] = p
    mdl = cls.from_gdfs(demand, candidates, network=network, cost=cost, existing=existing,
                        existing_cost=existing_cost, weight_col=weight_col, capacity_col=capacity_col,
                        name_col=name_col, speed_mps=speed_mps, **params)
    return mdl.solve(time_limit_s=time_limit_s, mip_gap=mip_gap, curve=curve, highs_options=highs_options)
