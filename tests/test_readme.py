"""The README's capability snippet runs on the demo data (so the docs cannot drift from the API)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"

# The snippet names files a planner would have; here they are swapped for the demo's own.
SWAPS = {
    '"养老机构.csv"': 'str(mzgeo.demo.demo_path("养老机构.csv"))',
    'mzgeo.validate("避灾安置场所.xlsx", "shelters")':
        'mzgeo.validate(str(mzgeo.demo.demo_path("养老机构.csv")), "institutions", crs="gcj02")',
    'mzgeo.Network.from_osm("zhejiang.osm.pbf", mode="drive", polygon=demo.units_city)':
        'mzgeo.Network.from_lines(demo.roads, mode="drive")',
    "ratio_units": 'demo.units_township.merge(ratio.table[["code", "beds_per_1000"]], on="code")',
}


@pytest.mark.slow
def test_readme_snippet_runs(tmp_path, monkeypatch):
    block = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    for old, new in SWAPS.items():
        assert old in block, f"README snippet changed: update SWAPS ({old})"
        block = block.replace(old, new)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(block, str(README), "exec"), scope)  # noqa: S102 - our own README
    assert (tmp_path / "联检检查表.xlsx").exists()
    assert (tmp_path / "床位.html").exists()
    assert scope["new"].status == "Optimal"
