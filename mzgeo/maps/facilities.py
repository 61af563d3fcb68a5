"""Facilities and proposed sites: one symbol per kind, popups, clustering of large layers."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.plugins import MarkerCluster

from ..errors import InputError
from ._layer import (
    LegendSection,
    _add_layer,
    _fit,
    _frame,
    _kind,
    _kind_name,
    _popup_fields,
    _texts,
    _title_col,
    _values,
    display_geometries,
    finalise,
    state_of,
)
from .style import (
    CLUSTER_THRESHOLD,
    KIND_SYMBOLS,
    PROPOSED_FILL,
    PROPOSED_STROKE,
    esc,
    svg_icon,
)

logger = logging.getLogger("mzgeo")

__all__ = [
    "add_facilities",
    "add_proposed_sites",
]

# --- facilities --------------------------------------------------------------------------------
def add_facilities(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    kind: str | None = None,
    popup_cols: Sequence[str] | Mapping[str, str] | None = None,
    tooltip_col: str | None = "name",
    cluster: bool | None = None,
    name: str | None = None,
    *,
    show: bool = True,
) -> folium.Map:
    """Draw facilities with a symbol per kind and tier, Chinese popups and tooltips.

    Parameters
    ----------
    m : folium.Map
    gdf : GeoDataFrame
        Points in any CRS (lines/polygons are drawn at a point on their surface). Columns
        used when present: ``name``, ``address``; per kind ``tier`` and ``capacity``
        (shelters), ``beds``, ``nursing_beds``, ``ownership`` (institutions), ``village``,
        ``has_meal``, ``has_medical`` (daycare), ``cemetery_type``, ``capacity``, ``used``
        (cemeteries).
    kind : str, optional
        Layer kind (``"shelters"``, ``"institutions"``, ``"daycare"``, ``"cemeteries"``...
        or the Chinese name); default ``gdf.attrs["mzgeo_kind"]``. Decides the symbol: a
        green circle per shelter tier (县级 largest), a blue square per institution
        (shade by ownership), an orange house per day-care centre, a purple diamond per
        cemetery type.
    popup_cols : list or dict, optional
        Analysis figures to add to the popup (e.g. ``["load", "share_covered"]``, or
        ``{"load": "服务老人数"}``); labels come from the mzgeo label table.
    tooltip_col : str or None
        Column shown on hover (``None``: the popup title).
    cluster : bool, optional
        Cluster markers; default when there are more than :data:`CLUSTER_THRESHOLD`.
    name : str, optional
        Layer name; default the kind's Chinese name and the count.
    show : bool
        Whether the layer is visible when the map opens.

    Returns
    -------
    folium.Map
        ``m``, with the layer added.

    Raises
    ------
    InputError
        Unknown kind, or a popup or tooltip column missing.
    """
    st = state_of(m)
    gdf = _frame(gdf, "设施图层")
    kind = _kind(gdf, kind)
    if len(gdf) == 0:
        logger.info("设施图层为空，未绘制")
        return m
    if tooltip_col is not None and tooltip_col != "name" and tooltip_col not in gdf.columns:
        msg = f"tooltip_col 列 {tooltip_col!r} 不存在"
        raise InputError(msg)
    sym = KIND_SYMBOLS.get(kind, KIND_SYMBOLS[None])
    kind_zh = _kind_name(kind, "设施")
    layer_name = name or f"{kind_zh}（{len(gdf)}）"

    if sym.category_col and sym.category_col in gdf.columns:
        cats = gdf[sym.category_col].astype("string").fillna("").str.strip()
        keys = np.where(cats.isin(list(sym.categories)), cats.to_numpy(dtype=object), "_")
    else:
        keys = np.full(len(gdf), "_", dtype=object)
    styles: dict[str, dict[str, Any]] = {}
    entries = []
    counts = pd.Series(keys).value_counts()
    for cat, (colour, size) in sym.categories.items():
        if cat in counts.index:
            styles[cat] = {"html": svg_icon(sym.shape, colour, size), "size": size}
            entries.append((svg_icon(sym.shape, colour, 14), f"{cat}（{counts[cat]}）"))
    if "_" in counts.index:
        styles["_"] = {"html": svg_icon(sym.shape, sym.colour, sym.size_px), "size": sym.size_px}
        other = "其他" if sym.categories else kind_zh
        entries.append((svg_icon(sym.shape, sym.colour, 14), f"{other}（{counts['_']}）"))

    title_col = _title_col(gdf, ("name", "marker_id", "grave_id", "code"))
    names = _texts(gdf[title_col]) if title_col else None
    tips = _texts(gdf[tooltip_col]) if tooltip_col in gdf.columns else names
    fields = _popup_fields(gdf, kind, popup_cols, exclude=(title_col,) if title_col else ())
    geoms = display_geometries(gdf, st, as_points=True)

    use_cluster = cluster if cluster is not None else len(gdf) > CLUSTER_THRESHOLD
    parent = None
    if use_cluster:
        parent = MarkerCluster(
            name=esc(layer_name), show=show,
            options={"showCoverageOnHover": False, "disableClusteringAtZoom": 16, "chunkedLoading": True},
        )
        m.add_child(parent)
    _add_layer(m, geoms, keys, styles, fields=fields, names=names, tooltips=tips, values=_values(gdf, fields),
               layer_name=layer_name, show=show, parent=parent)
    st.add_source(gdf.attrs.get("mzgeo_source"), layer_name)
    st.legends.append(LegendSection(kind_zh if name is None else name, entries))
    _fit(m, st, gdf)
    finalise(m)
    return m


def add_proposed_sites(
    m: folium.Map,
    sites: gpd.GeoDataFrame,
    *,
    kind: str | None = None,
    popup_cols: Sequence[str] | Mapping[str, str] | None = None,
    tooltip_col: str | None = "name",
    rank_col: str | None = None,
    name: str | None = None,
    show: bool = True,
) -> folium.Map:
    """Draw proposed new sites (from :func:`mzgeo.allocate`) as gold stars, distinct from existing ones.

    Parameters
    ----------
    m : folium.Map
    sites : GeoDataFrame
        Points in any CRS. Columns used when present: ``name``, the rank (``rank`` or
        ``order``: order of marginal gain), ``added_demand`` / ``gain`` and any
        ``popup_cols``.
    kind : str, optional
        Kind of facility proposed (for the legend: "新增居家养老服务照料中心").
    popup_cols : list or dict, optional
        Extra popup columns (dict: column → Chinese label).
    tooltip_col : str or None
        Column shown on hover.
    rank_col : str, optional
        Column with the order of the sites; default ``rank`` or ``order`` when present.
    name : str, optional
        Layer name; default "新增…（n）".
    show : bool
        Whether the layer is visible when the map opens.

    Returns
    -------
    folium.Map
    """
    st = state_of(m)
    gdf = _frame(sites, "新增选址")
    kind = _kind(gdf, kind)
    if len(gdf) == 0:
        return m
    kind_zh = _kind_name(kind, "选址")
    layer_name = name or f"新增{kind_zh}（{len(gdf)}）"
    rank_col = rank_col or _title_col(gdf, ("rank", "order"))
    if rank_col is not None:
        if rank_col not in gdf.columns:
            msg = f"rank_col 列 {rank_col!r} 不存在"
            raise InputError(msg)
        gdf = gdf.sort_values(rank_col, kind="stable")
    size = 24
    styles = {"new": {"html": svg_icon("star", PROPOSED_FILL, size, stroke=PROPOSED_STROKE, stroke_width=1.8),
                      "size": size}}
    if "name" in gdf.columns:
        base_names = gdf["name"].astype("string")
    else:
        base_names = pd.Series([None] * len(gdf), index=gdf.index, dtype="string")
    ranks = gdf[rank_col].astype("string") if rank_col else pd.Series(range(1, len(gdf) + 1), index=gdf.index).astype("string")
    titles = ("新增：" + base_names.fillna("选址 " + ranks)).tolist()
    names = [esc(t) for t in titles]
    tips = _texts(gdf[tooltip_col]) if tooltip_col in gdf.columns else None
    tips = [f"新增：{t}" if t else n for t, n in zip(tips, names, strict=True)] if tips is not None else names
    defaults = [c for c in (rank_col, "added_demand", "gain", "capacity", "beds", "address") if c]
    fields = _popup_fields(gdf, kind, popup_cols, defaults=defaults)
    geoms = display_geometries(gdf, st, as_points=True)
    _add_layer(m, geoms, ["new"] * len(gdf), styles, fields=fields, names=names, tooltips=tips,
               values=_values(gdf, fields), layer_name=layer_name, show=show)
    st.add_source(gdf.attrs.get("mzgeo_source"), layer_name)
    icon = svg_icon("star", PROPOSED_FILL, 16, stroke=PROPOSED_STROKE, stroke_width=1.8)
    st.legends.append(LegendSection("规划新增", [(icon, f"新增{kind_zh}（{len(gdf)}）")]))
    _fit(m, st, gdf)
    finalise(m)
    return m


