"""Planning defaults (see ``docs/planning_rules.md``, copied from the bureau's rule sheet).

Every value here is a default the user can override, either by passing the argument
to a function or by assigning to the module attribute (``mzgeo.settings.bed_target_per_1000 = 40``).
Functions read a setting at call time when the matching argument is ``None``, and every
result records the value it applied.
"""

from __future__ import annotations

from pathlib import Path

# --- coordinates -------------------------------------------------------------------------
#: EPSG code of the metric CRS used for analysis; ``None`` = CGCS2000 3-degree Gauss-Krüger
#: zone chosen from the data's longitude (EPSG:4549 for Huzhou).
metric_crs: int | str | None = None
#: Geographic CRS of outputs meant for people (lon/lat in tables and checklists).
geographic_crs: int = 4490
#: Study area bounding box (lon/lat WGS84) used to flag far-away coordinates; ``None`` = China only.
study_area_bounds: tuple[float, float, float, float] | None = None
#: Distance (km) outside ``study_area_bounds`` beyond which a point is flagged.
study_area_margin_km: float = 50.0

#: Largest plausible population density (people/km²) of a unit polygon: China's densest
#: sub-districts (街道, Shanghai and Guangzhou old towns) have about 50,000–80,000 people/km²;
#: a denser unit almost always has its population in the wrong unit (万人 read as 人) or a
#: wrong boundary. Checked by :func:`mzgeo.validate` (``implausible_density`` error).
max_population_density_per_km2: float = 100_000.0

# --- walking and driving -----------------------------------------------------------------
#: Elderly walking speed (m/s). Practice: 0.9-1.0 m/s; 1.0 m/s makes the 15-minute circle
#: 900 m, in the 800-1,000 m of GB 50180-2018.
walk_speed_mps: float = 1.0
#: Walking speed (m/s) of the off-network leg from a point to its road (same default).
access_speed_mps: float = 1.0
#: Largest distance (m) from a point to the road network before it is reported as unsnappable.
max_snap_m: float = 500.0
#: Largest gap (m) between a road end that touches nothing and the road it stops short of
#: (or overshoots) in a planner's road layer, within which ``Network.from_lines`` joins
#: them (reported in ``Network.build_report``); 0 disables.
snap_tolerance_m: float = 1.0
#: Drive speeds (km/h) per road class, Chinese classes and OSM ``highway`` tags.
drive_speed_kph: dict[str, float] = {
    "高速公路": 100.0,
    "城市快速路": 70.0,
    "国道": 70.0,
    "省道": 60.0,
    "主干路": 50.0,
    "县道": 50.0,
    "次干路": 40.0,
    "乡道": 40.0,
    "支路": 30.0,
    "村道": 30.0,
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 70.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 40.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "residential": 30.0,
    "living_street": 15.0,
    "service": 20.0,
    "road": 30.0,
}
#: Speed (km/h) for a class missing from ``drive_speed_kph``.
default_drive_speed_kph: float = 30.0
#: Road classes not open to walking (``walk`` mode drops them).
#: OSM ``trunk`` and ``trunk_link`` are both walkable (national roads through villages);
#: OSM ways tagged ``motorroad=yes`` are not (see ``mzgeo.network.osm._osm_keep``).
no_walk_classes: tuple[str, ...] = ("高速公路", "城市快速路", "motorway", "motorway_link")

# --- coverage (服务覆盖) -------------------------------------------------------------------------
#: Distance (m) within which uncovered demand points join one gap cluster (缺口片区) of
#: :func:`mzgeo.coverage` (practice: about a 15-minute walk plus a village's extent).
gap_cluster_radius_m: float = 1500.0

# --- shelters (避灾安置场所) -----------------------------------------------------------------
#: Minimum capacity (persons) per tier: Zhejiang policy 浙政办发〔2013〕108号.
shelter_min_capacity: dict[str, int] = {"县级": 200, "乡镇级": 100, "村级": 50}
#: Usable area per person (m²): GB 21734-2008 (≥ 1.5 m²); fixed shelters GB 50413-2007 ask 2 m².
shelter_area_per_person_m2: float = 1.5
#: Walking time (minutes) to an emergency shelter: ≈ 500 m (GB 50413-2007) at elderly speed.
shelter_minutes: float = 10.0

# --- elderly care (养老服务) -----------------------------------------------------------------
#: Beds per 1,000 elderly (60+): Huzhou 2018 target (GB 50437-2018 asks ≥ 40).
bed_target_per_1000: float = 37.5
#: Nursing-type bed share target (national 2025 goal 55 %).
nursing_share_target: float = 0.55
#: Walking threshold (minutes) to a day-care centre, urban communities (15-minute circle).
daycare_minutes_urban: float = 15.0
#: Walking threshold (minutes) to a day-care centre, rural villages (local practice).
daycare_minutes_rural: float = 20.0
#: Catchment (minutes, driving) for accessible beds (2SFCA family).
beds_access_minutes: float = 30.0

# --- burial (殡葬) ----------------------------------------------------------------------------
#: Buffer (m) along each line class for the 三沿五区 clean-up (practice; official texts say
#: "visible from the line").
burial_buffer_m: dict[str, float] = {
    "铁路": 200.0,
    "高速公路": 200.0,
    "国道": 100.0,
    "省道": 100.0,
    "主要河道": 100.0,
    "railway": 200.0,
    "motorway": 200.0,
    "trunk": 100.0,
    "primary": 100.0,
    "river": 100.0,
}
#: Driving time (minutes) within which a township counts as served by a cemetery/ashes hall.
cemetery_minutes: float = 30.0

# --- boundary inspection (界线联检) -----------------------------------------------------------
#: Joint inspection cycle (years): 民政部 rules.
inspection_cycle_years: int = 5
#: Tolerance (m) when matching the shared edges of two polygons.
boundary_tolerance_m: float = 50.0
#: Offset (m) of a marker from its line beyond which it is flagged.
marker_offset_tolerance_m: float = 50.0
#: Displacement (m) of a measured marker from its recorded position beyond which it is flagged.
marker_displacement_tolerance_m: float = 5.0
#: Stretch (km) of line without any marker beyond which it is flagged.
marker_max_gap_km: float = 5.0

# --- files --------------------------------------------------------------------------------
#: Folder of the on-disk network cache; ``None`` = ``~/.cache/mzgeo``.
cache_folder: Path | None = None
#: Whether built networks are cached on disk.
use_cache: bool = True

# --- partitioned execution (mzgeo.network.partition) ----------------------------------------
#: Where partition tasks run when a function is given ``partition=`` but no ``executor=``:
#: ``None`` = in this process, one task after the other; ``"local"`` = a
#: ``dask.distributed.LocalCluster`` (one worker process per core, see ``workers``);
#: ``"tcp://host:8786"`` = the scheduler of a running Dask cluster.
executor: str | None = None
#: Worker processes of the ``"local"`` cluster; ``None`` = one per core.
workers: int | None = None
#: Memory limit per worker of the ``"local"`` cluster (Dask's format: ``"2GB"``, bytes, or ``"auto"``).
worker_memory_limit: str | int = "2GB"
#: Travel time (minutes) a partitioned ``nearest`` without a cutoff answers exactly in each
#: partition (its roads reach this far at the network's top speed); a point whose nearest
#: facility is farther is recomputed on the whole network.
partition_nearest_minutes: float = 30.0
