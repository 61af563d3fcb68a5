"""The year's task ledger (年度任务台账): completion figures per county and type, and what-if layers.

:func:`ledger` counts, per county and project type, the tasks of a ``projects`` layer (read
with ``mzgeo.read_layer(path, "projects")``), how many were started and completed, and the
quantity delivered against the quantity planned, and writes them in the bureau's own
sentences. :meth:`LedgerResult.apply` adds the projects to the facility layers, so that a plan
can show beds per 1,000 elderly and coverage *after* the year's projects.

Counting rules
--------------
* A **task** (任务) is a project with a planned quantity > 0. A project with planned quantity
  0 is outside the plan (计划外): it counts as started/completed but not as a task, so the
  完工率 (completed ÷ tasks) can exceed 100 % — the 2017 summary's 80 day-care centres
  completed against 76 tasks give 105.3 %.
* **Started** (已动工) = status 已动工 or 已完工; **completed** (已完工) = status 已完工.
* 完成率 = quantity delivered ÷ quantity planned (all projects of the group, delivered
  quantities of unfinished projects included: beds opened in a project still under way count).
* 护理型床位占比 = nursing beds delivered ÷ beds delivered (养老机构床位 only).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import mzgeo
from mzgeo.errors import InputError

__all__ = ["PROJECT_TYPES", "LedgerResult", "ledger"]

#: Project types and the facility layer each one changes in :meth:`LedgerResult.apply`.
PROJECT_TYPES: dict[str, str | None] = {
    "避灾安置场所": "shelters",
    "居家养老服务照料中心": "daycare",
    "养老机构床位": "institutions",
    "骨灰堂": "cemeteries",
    "公墓": "cemeteries",
    "坟墓治理": None,
}
_UNITS = {"避灾安置场所": "人", "居家养老服务照料中心": "个", "养老机构床位": "张", "骨灰堂": "格", "公墓": "穴", "坟墓治理": "座"}
_REQUIRED = ("name", "project_type", "planned", "status")

_LABELS = {
    "county": "区县", "project_type": "项目类型", "n_projects": "项目数（个）", "n_tasks": "任务数（个）",
    "n_unplanned": "计划外项目（个）", "n_started": "已动工（个）", "n_completed": "已完工（个）",
    "start_rate": "动工率", "completion_rate": "完工率", "planned": "计划数量", "delivered": "完成数量",
    "delivery_rate": "完成率", "nursing_delivered": "其中护理型床位（张）", "nursing_share": "护理型床位占比",
    "unit": "计量单位", "sentence": "表述",
}


def _pct(x: float) -> str:
    """Return a share as the bureau writes it: ``100%``, ``98.3%`` (one decimal, none when whole)."""
    if not np.isfinite(x):
        return "—"
    text = f"{100 * x:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def _n(x: float) -> str:
    return f"{x:.0f}"


class LedgerResult:
    """Completion figures of a projects ledger (see :func:`ledger`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per county and project type, then one 全市 row per type (``county`` = 全市):
        ``n_projects``, ``n_tasks``, ``n_unplanned``, ``n_started``, ``n_completed``,
        ``start_rate``, ``completion_rate`` (shares, may exceed 1), ``planned``, ``delivered``,
        ``delivery_rate``, ``nursing_delivered``, ``nursing_share``, ``unit``, ``sentence``.
    projects : geopandas.GeoDataFrame
        The projects of the year (canonical columns).
    params : dict
        Year and counting rules applied.
    problems : pandas.DataFrame
        Data problems (unknown project types, missing county...); columns severity, problem,
        layer, item, name, message.
    """

    title = "年度任务台账"

    def __init__(self, table: pd.DataFrame, projects: Any, params: dict, problems: pd.DataFrame) -> None:
        self.table, self.projects, self.params, self.problems = table, projects, params, problems

    @property
    def city(self) -> pd.DataFrame:
        """The 全市 rows (one per project type)."""
        return self.table[self.table["county"] == "全市"].reset_index(drop=True)

    def sentences(self, county: str = "全市") -> list[str]:
        """Return the bureau's year-end sentences for the city (or one county), one per project type.

        Parameters
        ----------
        county : str
            ``"全市"`` (default) or a county name as written in the ledger's 区县 column.

        Returns
        -------
        list of str
            One sentence per project type, in the order of :data:`PROJECT_TYPES`.

        Examples
        --------
        >>> import mzgeo
        >>> from mzgeo.demo import demo_path
        >>> projects = mzgeo.read_layer(demo_path("年度任务台账2017.csv"), "projects", crs="gcj02")
        >>> r = ledger(projects, year=2017)
        >>> r.sentences()[0]
        '120个避灾安置场所新建改建任务，已动工120个，动工率100%，完工118个，完工率98.3%'
        """
        rows = self.table[self.table["county"] == county]
        return list(rows["sentence"])

    def tables(self) -> dict[str, pd.DataFrame]:
        """Sheets for Excel: 完成情况 (per county and type), 项目清单."""
        cols = [c for c in _LABELS if c in self.table.columns]
        proj = pd.DataFrame(self.projects.drop(columns="geometry", errors="ignore"))
        return {"完成情况": self.table[cols].rename(columns=_LABELS), "项目清单": proj}

    def to_excel(self, path: str | os.PathLike) -> Path:
        """Write the ledger workbook (完成情况, 项目清单, 参数, 数据问题), atomically.

        Parameters
        ----------
        path : str or os.PathLike
            Destination ``.xlsx``.

        Returns
        -------
        pathlib.Path
            The path written.
        """
        sheets = dict(self.tables())
        if len(self.problems):
            sheets["数据问题"] = self.problems
        return Path(mzgeo.report.write_excel(path, sheets, self.params, title=self.title))

    def apply(self, layers: dict[str, Any], include: str = "completed") -> dict[str, Any]:
        """Facility layers with the year's projects added (what-if).

        Parameters
        ----------
        layers : dict
            Facility layers by kind: ``institutions``, ``shelters``, ``daycare``,
            ``cemeteries`` (any subset; the others are returned unchanged).
        include : {"completed", "planned"}
            ``"completed"``: what exists at year end — the quantity delivered by each project
            (beds opened in projects still under way included; shelters, centres and
            cemeteries only when 已完工). ``"planned"``: every project at
            max(planned, delivered), as if the whole plan were built; nursing beds stay the
            ones delivered (a plan does not say how many will be nursing-type).

        Returns
        -------
        dict
            Copies of the layers. A project whose ``facility_code`` matches a facility's
            ``code`` adds to it (beds and nursing beds, shelter capacity, cemetery capacity);
            the others become new rows at the project's point, coded by the project code,
            with column ``project_code``. New shelters get ``area_m2`` = capacity ×
            ``settings.shelter_area_per_person_m2``; new day-care centres take the
            project's village. 坟墓治理 projects change no layer.
        """
        if include not in ("completed", "planned"):
            msg = f"include 应为 'completed'（已完成）或 'planned'（全部计划），实际为 {include!r}"
            raise InputError(msg)
        p = self.projects
        delivered = p["delivered"].fillna(0.0) if "delivered" in p else pd.Series(0.0, index=p.index)
        done = p["status"].eq("已完工").fillna(False).astype(bool)
        if include == "planned":
            qty = np.maximum(p["planned"].fillna(0.0), delivered)
        else:
            counted = done | p["project_type"].eq("养老机构床位").fillna(False).astype(bool)
            qty = delivered.where(counted, 0.0)
        nursing = p["nursing_delivered"].fillna(0.0) if "nursing_delivered" in p else pd.Series(0.0, index=p.index)
        out = {k: v for k, v in layers.items()}
        for kind in ("institutions", "shelters", "daycare", "cemeteries"):
            if kind not in layers or layers[kind] is None:
                continue
            types = [t for t, k in PROJECT_TYPES.items() if k == kind]
            sel = p["project_type"].isin(types).fillna(False).astype(bool) & (qty > 0)
            out[kind] = _apply_kind(layers[kind], kind, p[sel], qty[sel], nursing[sel])
        return out

    def __repr__(self) -> str:
        """Return a short description of the object."""
        return f"<LedgerResult {self.params.get('year')} 年：{len(self.projects)} 个项目>"


def _apply_kind(layer: Any, kind: str, proj: Any, qty: pd.Series, nursing: pd.Series) -> Any:
    import geopandas as gpd

    base = layer.copy()
    base.attrs = dict(layer.attrs)
    if proj.empty:
        return base
    fc = proj["facility_code"] if "facility_code" in proj else pd.Series(pd.NA, index=proj.index)
    codes = base["code"].astype(str) if "code" in base else pd.Series(dtype=str)
    hit = fc.isin(set(codes)).fillna(False).astype(bool)
    add_col = {"institutions": "beds", "shelters": "capacity", "cemeteries": "capacity"}.get(kind)
    if add_col is not None and hit.any():
        per = qty[hit].groupby(fc[hit].astype(str)).sum()
        pos = codes.map(per).fillna(0.0).to_numpy()
        base[add_col] = pd.to_numeric(base[add_col], errors="coerce").fillna(0.0) + pos
        if kind == "institutions" and "nursing_beds" in base:
            npos = codes.map(nursing[hit].groupby(fc[hit].astype(str)).sum()).fillna(0.0).to_numpy()
            base["nursing_beds"] = pd.to_numeric(base["nursing_beds"], errors="coerce").fillna(0.0) + npos
        if kind == "shelters" and "area_m2" in base:
            area = codes.map(per).fillna(0.0).to_numpy() * float(mzgeo.settings.shelter_area_per_person_m2)
            base["area_m2"] = pd.to_numeric(base["area_m2"], errors="coerce").fillna(0.0) + area
    new = proj[~hit]
    if new.empty:
        return base
    rows = pd.DataFrame({"code": new["code"].astype(str) if "code" in new else None,
                         "name": new["name"], "unit_code": new.get("unit_code"), "project_code": new.get("code")},
                        index=new.index)
    q = qty[~hit].to_numpy()
    if kind == "institutions":
        rows["beds"] = q
        rows["nursing_beds"] = nursing[~hit].to_numpy()
        rows["ownership"] = "民办"
    elif kind == "shelters":
        rows["capacity"] = q
        rows["area_m2"] = q * float(mzgeo.settings.shelter_area_per_person_m2)
        rows["tier"] = new["tier"].fillna("村级") if "tier" in new else "村级"
    elif kind == "daycare":
        rows["village"] = new.get("village")
    else:
        rows["capacity"] = q
        rows["used"] = 0.0
        rows["cemetery_type"] = np.where(new["project_type"].eq("骨灰堂"), "骨灰堂", "公益性公墓")
    geo = new.geometry.to_crs(base.crs) if base.crs is not None else new.geometry
    added = gpd.GeoDataFrame(rows, geometry=geo.to_numpy(), crs=base.crs)
    for col in base.columns:
        if col not in added.columns and col != base.geometry.name:
            added[col] = pd.NA
    added = added.rename_geometry(base.geometry.name) if base.geometry.name != "geometry" else added
    keep = [*base.columns, *([] if "project_code" in base.columns else ["project_code"])]
    both = pd.concat([base, added[keep]], ignore_index=True)
    out = gpd.GeoDataFrame(both, geometry=base.geometry.name, crs=base.crs)
    out.attrs = dict(layer.attrs)
    return out


def ledger(projects: Any, year: int | None = None, *, by: str = "county") -> LedgerResult:
    """Completion figures of the year's projects per county and type, with the bureau's sentences.

    Parameters
    ----------
    projects : geopandas.GeoDataFrame
        A ``projects`` layer (``mzgeo.read_layer(path, "projects")``): ``name``,
        ``project_type``, ``planned``, ``year``, ``status``, optional ``delivered``,
        ``nursing_delivered``, ``county``.
    year : int, optional
        Keep only this year's projects; default every row.
    by : str
        Column grouping the rows (default ``county``; ``township`` works too).

    Returns
    -------
    LedgerResult

    Raises
    ------
    InputError
        A required column is missing, or no project is left for ``year``.

    Notes
    -----
    See the module docstring for the counting rules (tasks, started, completed, 完成率).
    """
    missing = [c for c in _REQUIRED if c not in projects.columns]
    if missing:
        msg = f"项目图层缺少列 {missing}：请用 mzgeo.read_layer(路径, 'projects') 读取（列名见 mzgeo.layers.alias_table('projects')）"
        raise InputError(msg)
    p = projects
    if year is not None:
        if "year" not in p.columns:
            msg = "项目图层没有「年份」列，不能按 year= 筛选"
            raise InputError(msg)
        p = p[p["year"] == int(year)]
        if p.empty:
            years = sorted({int(y) for y in projects["year"].dropna()})
            msg = f"台账中没有 {year} 年的项目（有：{'、'.join(map(str, years)) or '无'}）"
            raise InputError(msg)
    p = p.copy()
    group = p[by].fillna("（未填区县）") if by in p.columns else pd.Series("全市", index=p.index)
    problems = []
    unknown = ~p["project_type"].isin(PROJECT_TYPES).fillna(False).astype(bool)
    if unknown.any():
        problems.append(pd.DataFrame({"severity": "warning", "problem": "unknown_project_type", "layer": "projects",
                                      "item": p.index[unknown], "name": p["name"][unknown],
                                      "message": "项目类型不在可选值中，单独统计"}))
    planned = p["planned"].fillna(0.0)
    delivered = p["delivered"].fillna(0.0) if "delivered" in p else pd.Series(0.0, index=p.index)
    nursing = p["nursing_delivered"].fillna(0.0) if "nursing_delivered" in p else pd.Series(0.0, index=p.index)
    status = p["status"].fillna("")
    frame = pd.DataFrame({
        "county": group, "project_type": p["project_type"].fillna("（未填类型）"), "n_projects": 1,
        "n_tasks": (planned > 0).astype(int), "n_unplanned": (planned <= 0).astype(int),
        "n_started": status.isin(["已动工", "已完工"]).astype(int), "n_completed": status.eq("已完工").astype(int),
        "planned": planned, "delivered": delivered, "nursing_delivered": nursing,
    })
    sums = ["n_projects", "n_tasks", "n_unplanned", "n_started", "n_completed", "planned", "delivered",
            "nursing_delivered"]
    per = frame.groupby(["county", "project_type"], sort=True)[sums].sum().reset_index()
    city = frame.groupby("project_type", sort=True)[sums].sum().reset_index().assign(county="全市")
    table = pd.concat([per, city], ignore_index=True)
    order = {t: i for i, t in enumerate(PROJECT_TYPES)}
    table["_o"] = table["project_type"].map(order).fillna(len(order))
    table["_c"] = table["county"].eq("全市").astype(int)
    table = table.sort_values(["_c", "county", "_o"], kind="stable").drop(columns=["_o", "_c"]).reset_index(drop=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = table["n_tasks"].to_numpy(dtype=float)
        table["start_rate"] = np.where(t > 0, table["n_started"] / np.where(t > 0, t, 1), np.nan)
        table["completion_rate"] = np.where(t > 0, table["n_completed"] / np.where(t > 0, t, 1), np.nan)
        pl = table["planned"].to_numpy(dtype=float)
        table["delivery_rate"] = np.where(pl > 0, table["delivered"] / np.where(pl > 0, pl, 1), np.nan)
        dl = table["delivered"].to_numpy(dtype=float)
        is_beds = table["project_type"].eq("养老机构床位").to_numpy()
        table["nursing_share"] = np.where(is_beds & (dl > 0), table["nursing_delivered"] / np.where(dl > 0, dl, 1), np.nan)
    table["unit"] = table["project_type"].map(_UNITS).fillna("")
    table["sentence"] = [_sentence(r) for r in table.to_dict("records")]
    params = {
        "year": None if year is None else int(year),
        "rule": "任务 = 计划数量 > 0 的项目；计划数量为 0 的为计划外项目（计入动工、完工，不计入任务数，完工率可超过 100%）；"
                "动工 = 已动工或已完工；完成率 = 完成数量 ÷ 计划数量；护理型床位占比 = 护理型床位 ÷ 新增床位",
        "n_projects": len(p),
        "group_by": by,
    }
    cols = ["severity", "problem", "layer", "item", "name", "message"]
    probs = pd.concat(problems, ignore_index=True)[cols] if problems else pd.DataFrame(columns=cols)
    return LedgerResult(table, p, params, probs)


def _sentence(r: dict) -> str:
    kind = r["project_type"]
    where = "" if r["county"] == "全市" else f"{r['county']}："
    if kind == "养老机构床位":
        text = (f"新增养老机构床位{_n(r['delivered'])}张，完成任务数（{_n(r['planned'])}张）的"
                f"{_pct(r['delivery_rate'])}")
        if r["delivered"] > 0:
            text += f"，其中护理型床位{_n(r['nursing_delivered'])}张，占{_pct(r['nursing_share'])}"
        return where + text
    if kind == "坟墓治理":
        return where + (f"三沿五区坟墓治理任务{_n(r['planned'])}座，已完成{_n(r['delivered'])}座，"
                        f"完成率{_pct(r['delivery_rate'])}")
    verb = "新建改建任务" if kind == "避灾安置场所" else "建设任务"
    text = (f"{int(r['n_tasks'])}个{kind}{verb}，已动工{int(r['n_started'])}个，动工率{_pct(r['start_rate'])}，"
            f"完工{int(r['n_completed'])}个，完工率{_pct(r['completion_rate'])}")
    if r["n_unplanned"]:
        text += f"（含计划外项目{int(r['n_unplanned'])}个）"
    return where + text
