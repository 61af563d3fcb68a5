"""Build the worked notebooks of this folder from readable Python.

Run from anywhere::

    python notebooks/_make_notebooks.py

Each notebook's cells live in ``src/<notebook>.py`` (a list ``CELLS`` of markdown and code
cells; the shared first cell and helpers in ``src/_cells.py``). Every notebook is written
without outputs (``execution_count`` null), with stable cell ids, so that a rebuild of
unchanged content gives the same files. Edit the cells in ``src/``, rebuild, and commit the
sources and the ``.ipynb`` files. ``tests/test_notebooks.py`` runs every
notebook top to bottom (``pytest -m notebook``) and checks that the committed files carry no
outputs.

The notebooks are meant for planners: explanations in Chinese, code in English. Each one
runs offline on the embedded Huzhou demo data (``mzgeo.load_demo()``; only the county and
city boundaries are real) and writes its maps and workbooks to ``out/notebooks/<notebook>/``
under the repository root (``out/`` is git-ignored).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_notebook

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"


def _cells(stem: str) -> list:
    """The ``CELLS`` list of ``src/<stem>.py`` (loaded by path: the file names are Chinese)."""
    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))  # for ``from _cells import ...``
    spec = importlib.util.spec_from_file_location(f"_nb_src_{stem[:2]}", SRC / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CELLS


#: Notebook file name → its cells, in order (one source file per notebook).
NOTEBOOKS: dict[str, list] = {f"{p.stem}.ipynb": _cells(p.stem) for p in sorted(SRC.glob("[0-9][0-9]_*.py"))}


def build(name: str, cells: list) -> nbformat.NotebookNode:
    """A notebook without outputs, with stable cell ids (``<nn>-<index>``)."""
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    prefix = name[:2]
    for i, cell in enumerate(cells):
        cell = nbformat.from_dict(dict(cell))
        cell["id"] = f"nb{prefix}-{i:02d}"
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            cell["metadata"] = {}
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main(argv: list[str] | None = None) -> int:
    """Write every notebook (or the ones named on the command line) next to this script."""
    wanted = argv if argv else list(NOTEBOOKS)
    for name in wanted:
        nb = build(name, NOTEBOOKS[name])
        path = HERE / name
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            nbformat.write(nb, fh)
        print(f"wrote {path.relative_to(HERE.parent)} ({len(nb.cells)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
