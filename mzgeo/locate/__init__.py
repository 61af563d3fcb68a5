"""Where to build next: location-allocation models that close coverage gaps.

A coverage map shows where the gap is; these models say which sites close it, how much
each one adds, and what stopping short costs. Six models, solved exactly with HiGHS
(``highspy``), all built from sparse demand → site travel times (never a dense matrix when
a cutoff makes it sparse):

========  ==========================================================================
key       model
========  ==========================================================================
lscp      :class:`LSCP` — fewest new sites so that all demand is within ``minutes``
mclp      :class:`MCLP` — ``p`` new sites covering the most weighted demand
pmedian   :class:`PMedian` — ``p`` new sites minimising total weighted travel time
pcenter   :class:`PCenter` — ``p`` new sites minimising the worst travel time
cmclp     :class:`CapacitatedMCLP` — MCLP where sites serve at most their capacity
beds      :class:`BedPlacement` — where to add beds so most elderly have enough beds
========  ==========================================================================

Existing facilities are *required* sites (ArcGIS "Required" facility type): always open,
never counted in ``p``; candidates are the sites the model may open. Every model follows
the same cycle (spopt style): build with ``from_cost_matrix`` or ``from_gdfs``, call
``solve()`` (returns the model), read the results as attributes — reading them before
``solve()`` raises :class:`~mzgeo.NotSolvedError`.

Travel times come from ``network.od(...)`` (an ``ODMatrix``), from a long-form table with
columns ``origin`` (a demand row's index value), ``destination`` (a site's index value) and
``minutes`` (absent pairs are unreachable), from a scipy sparse matrix (stored entries are
the reachable pairs, explicit zeros included) or from a dense array (``inf``/``nan`` =
unreachable).

Speed: every model is assembled from numpy arrays and handed to HiGHS in one call. Before
solving, the coverage models drop demand already covered by existing facilities, merge
demand points with identical candidate sets (summing weights), drop dominated candidates
(uncapacitated models only: a candidate whose covered set is a subset of another's), and
start HiGHS from a heuristic solution (MCLP: greedy, best 1-swaps, rounding of the LP
relaxation for large models, iterated local search; LSCP: greedy cover; p-median: greedy).
A time limit returns the best solution found and its true gap against the best proven bound
(HiGHS's dual bound, or the LP relaxation / a simple bound when HiGHS has none yet);
``status`` is HiGHS's own model status text, so a run stopped by the clock never reads
``"Optimal"``. HiGHS looks at the clock between LP solves, so one very large LP can overrun
the limit by a few seconds; ``solve_time_s`` reports the real time.

Modules: :mod:`~mzgeo.locate.problem` (cost pairs, weights, layers → problem),
:mod:`~mzgeo.locate.base` (:class:`LocationModel`), :mod:`~mzgeo.locate.cover` (LSCP, MCLP,
capacitated MCLP), :mod:`~mzgeo.locate.median`, :mod:`~mzgeo.locate.center`,
:mod:`~mzgeo.locate.beds`, :mod:`~mzgeo.locate.candidates`, :mod:`~mzgeo.locate.run`
(:func:`allocate`), ``_capacity`` (capacitated assignment) and ``_highs`` (HiGHS runs, reductions).
"""

from __future__ import annotations

from .base import LocationModel
from .beds import BedPlacement
from .candidates import candidate_sites
from .center import PCenter
from .cover import LSCP, MCLP, CapacitatedMCLP
from .median import PMedian
from .problem import DEFAULT_MIP_GAP, SITE_EXISTING, SITE_NEW
from .run import MODELS, AllocationResult, allocate

__all__ = [
    "DEFAULT_MIP_GAP",
    "LSCP",
    "MCLP",
    "MODELS",
    "SITE_EXISTING",
    "SITE_NEW",
    "AllocationResult",
    "BedPlacement",
    "CapacitatedMCLP",
    "LocationModel",
    "PCenter",
    "PMedian",
    "allocate",
    "candidate_sites",
]
