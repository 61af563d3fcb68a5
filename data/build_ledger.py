"""Build the synthetic 2017 projects ledger of the demo (示例数据（合成）): ``data/年度任务台账2017.csv``.

The ledger (年度任务台账) lists the year's civil-affairs construction projects in the demo's real
townships and counties (from :func:`mzgeo.load_demo`). Its city totals reproduce the figures of
the Huzhou 2017 year-end summary exactly:

* 120 避灾安置场所 tasks, 120 started (100 %), 118 completed (98.3 %);
* 76 居家养老服务照料中心 tasks and 80 centres completed: 4 rows are outside the plan
  (planned quantity 0, 计划外), so the 完工率 is 80 / 76 = 105.3 %;
* 2,740 养老机构床位 planned, 1,772 delivered (64.7 %), of which 1,362 nursing-type (76.9 %).

It also lists a few 公墓/骨灰堂 and 坟墓治理 projects. Everything is synthetic. The file is written
in the planners' format: GBK, Chinese headers, CRLF line endings, GCJ-02 (高德) lon/lat.
The script is deterministic (fixed seed) and registers the file's SHA-256 in ``manifest.json``.

Run ``python data/build_ledger.py`` (a few seconds; ``--out DIR`` writes elsewhere).
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

import mzgeo
from mzgeo.crs import wgs84_to_gcj02

NAME = "年度任务台账2017.csv"
SEED = 20171231
YEAR = 2017
NOTE = "示例数据（合成）；坐标取自高德地图（GCJ-02）"
COUNTIES = ["330502", "330503", "330521", "330522", "330523"]

# shelters per county (sum 120) and the two not yet finished
SHELTERS = {"330502": 26, "330503": 22, "330521": 22, "330522": 28, "330523": 22}
# day-care centres per county: planned tasks (sum 76) and centres outside the plan (sum 4)
DAYCARE_PLANNED = {"330502": 12, "330503": 12, "330521": 18, "330522": 16, "330523": 18}
DAYCARE_EXTRA = {"330503": 2, "330522": 2}
# bed projects: county, planned, status, delivered, nursing, extension of the n-th institution
# of the county (None = a new institution); sums 2,740 / 1,772 / 1,362
BEDS = [
    ("330503", 300, "已完工", 300, 232, None),
    ("330503", 200, "已完工", 200, 154, 0),
    ("330522", 150, "已完工", 150, 116, 0),
    ("330522", 120, "已完工", 120, 92, None),
    ("330522", 260, "已完工", 260, 200, None),
    ("330502", 180, "已完工", 180, 138, 1),
    ("330503", 400, "已动工", 300, 231, None),
    ("330521", 220, "已动工", 162, 125, None),
    ("330523", 160, "已动工", 100, 74, 0),
    ("330522", 250, "未动工", 0, 0, None),
    ("330503", 300, "未动工", 0, 0, None),
    ("330523", 200, "未动工", 0, 0, None),
]
CEMETERIES = [("330503", "骨灰堂", 3000, "已完工"), ("330522", "公墓", 5000, "已动工"),
              ("330523", "骨灰堂", 2000, "已完工")]
GRAVES = {"330502": (120, 120), "330503": (150, 138), "330521": (100, 100), "330522": (180, 171), "330523": (90, 90)}


def _date(rng: np.random.Generator, lo: int, hi: int) -> str:
    day = int(rng.integers(lo, hi))
    return (pd.Timestamp(f"{YEAR}-01-01") + pd.Timedelta(days=day)).strftime("%Y-%m-%d")


def build(out_dir: Path) -> Path:
    """Write the ledger CSV into ``out_dir`` and return its path."""
    rng = np.random.default_rng(SEED)
    demo = mzgeo.load_demo()
    towns = demo.units_township.set_index("code")
    counties = demo.units_county.set_index("code")["name"]
    villages = demo.villages.sort_values("code")
    daycare_villages = set(demo.daycare["village"])
    inst = demo.institutions.sort_values("code")
    rows: list[dict] = []

    def add(kind: str, county: str, village: pd.Series | None, town: str, point, **kw) -> None:
        n = len(rows) + 1
        rows.append({"code": f"XM{YEAR}{n:04d}", "project_type": kind, "county": counties[county],
                     "township": towns.loc[town, "name"], "unit_code": town,
                     "village": None if village is None else village["name"], "point": point, **kw})

    def start_finish(status: str) -> tuple[str | None, str | None]:
        if status == "未动工":
            return None, None
        start = _date(rng, 20, 180)
        finish = _date(rng, 200, 350) if status == "已完工" else None
        return start, finish

    # shelters: in villages, the last two of 长兴 and 安吉 not finished
    unfinished = {("330522", SHELTERS["330522"] - 1), ("330523", SHELTERS["330523"] - 1)}
    for county, n in SHELTERS.items():
        pool = villages[villages["county_code"] == county]
        pick = pool.iloc[np.sort(rng.choice(len(pool), n, replace=False))]
        for i, (_, v) in enumerate(pick.iterrows()):
            status = "已动工" if (county, i) in unfinished else "已完工"
            cap = int(rng.choice([60, 80, 100, 120, 150, 200, 300]))
            tier = "乡镇级" if cap >= 150 else "村级"
            s, f = start_finish(status)
            add("避灾安置场所", county, v, v["unit_code"], v.geometry, name=f"{v['name']}避灾安置场所", tier=tier,
                planned=cap, status=status, start_date=s, finish_date=f,
                delivered=cap if status == "已完工" else 0, nursing_delivered=None)
    # day-care centres: in villages that have none
    for county, n in DAYCARE_PLANNED.items():
        pool = villages[(villages["county_code"] == county) & ~villages["name"].isin(daycare_villages)]
        total = n + DAYCARE_EXTRA.get(county, 0)
        pick = pool.iloc[np.sort(rng.choice(len(pool), total, replace=False))]
        for i, (_, v) in enumerate(pick.iterrows()):
            s, f = start_finish("已完工")
            extra = i >= n
            add("居家养老服务照料中心", county, v, v["unit_code"], v.geometry,
                name=f"{v['name']}居家养老服务照料中心", planned=0 if extra else 1, status="已完工",
                start_date=s, finish_date=f, delivered=1, nursing_delivered=None,
                remarks="计划外项目" if extra else None)
    # beds: extensions of existing institutions or new ones at a township seat village
    for county, planned, status, delivered, nursing, ext in BEDS:
        s, f = start_finish(status)
        if ext is not None:
            target = inst[inst["unit_code"].str[:6] == county].iloc[ext]
            add("养老机构床位", county, None, target["unit_code"], target.geometry, name=f"{target['name']}扩建",
                facility_code=target["code"], planned=planned, status=status, start_date=s, finish_date=f,
                delivered=delivered, nursing_delivered=nursing)
        else:
            pool = villages[villages["county_code"] == county]
            v = pool.iloc[int(rng.integers(len(pool)))]
            add("养老机构床位", county, v, v["unit_code"], v.geometry,
                name=f"{towns.loc[v['unit_code'], 'name']}{v['name']}颐养院", planned=planned, status=status,
                start_date=s, finish_date=f, delivered=delivered, nursing_delivered=nursing)
    for county, kind, cap, status in CEMETERIES:
        pool = villages[(villages["county_code"] == county) & (villages["village_type"] == "村")]
        v = pool.iloc[int(rng.integers(len(pool)))]
        s, f = start_finish(status)
        add(kind, county, v, v["unit_code"], v.geometry, name=f"{towns.loc[v['unit_code'], 'name']}公益性{kind}",
            planned=cap, status=status, start_date=s, finish_date=f,
            delivered=cap if status == "已完工" else 0, nursing_delivered=None)
    for county, (planned, done) in GRAVES.items():
        seat = towns[(towns["parent_code"] == county) & towns["is_seat"].astype(bool)].index[0]
        s, f = start_finish("已完工" if done == planned else "已动工")
        add("坟墓治理", county, None, seat, towns.loc[seat, "geometry"].representative_point(),
            name=f"{counties[county]}三沿五区坟墓治理", planned=planned,
            status="已完工" if done == planned else "已动工", start_date=s, finish_date=f, delivered=done,
            nursing_delivered=None)

    df = pd.DataFrame(rows)
    pts = mzgeo.crs.to_wgs84(gpd.GeoDataFrame(df.drop(columns="point"), geometry=list(df["point"]),
                                              crs=demo.villages.crs))
    lon, lat = wgs84_to_gcj02(pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy())
    out = pd.DataFrame({
        "项目编号": df["code"], "项目名称": df["name"], "项目类型": df["project_type"], "区县": df["county"],
        "乡镇街道": df["township"], "所属区划代码": df["unit_code"], "所在村社区": df["village"],
        "设施编号": df.get("facility_code"), "场所等级": df.get("tier"), "计划数量": df["planned"],
        "年份": YEAR, "状态": df["status"], "开工日期": df["start_date"], "完工日期": df["finish_date"],
        "完成数量": df["delivered"], "其中护理型床位": df["nursing_delivered"].astype("Int64"),
        "经度": np.round(lon, 6), "纬度": np.round(lat, 6),
        "备注": [NOTE if not isinstance(r, str) else f"{r}；{NOTE}" for r in df.get("remarks", [None] * len(df))],
    })
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / NAME
    text = out.to_csv(index=False, lineterminator="\r\n", float_format="%.6f")
    path.write_bytes(text.encode("gbk"))
    return path


def register(path: Path, manifest: Path) -> None:
    """Record the file's size and SHA-256 in ``manifest.json`` (other entries kept)."""
    info = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else {"files": {}}
    data = path.read_bytes()
    info.setdefault("files", {})[path.name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest.write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    path = build(args.out)
    register(path, args.out / "manifest.json")
    print(path)


if __name__ == "__main__":
    main()
