"""The worked notebooks in notebooks/: each runs top to bottom, and none is committed with outputs.

The notebooks are executed in memory with nbclient (the files on disk are never rewritten),
with the working directory set to ``notebooks/`` as Jupyter would, on the kernel ``python3``
of the running interpreter's environment. Each one writes its maps and workbooks under
``out/notebooks/`` (git-ignored). Run only these with ``pytest -m notebook``; skip them with
``pytest -m "not slow"``.

To rebuild the notebooks after editing them: ``python notebooks/_make_notebooks.py``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
#: Longest time one cell may take (s); the slowest notebook takes well under a minute.
CELL_TIMEOUT_S = 300


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def test_notebooks_are_present():
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01_快速上手.ipynb",
        "02_避灾安置场所.ipynb",
        "03_养老床位缺口.ipynb",
        "04_居家养老照料中心.ipynb",
        "05_殡葬设施与三沿五区.ipynb",
        "06_界线联检.ipynb",
        "07_使用自己的数据.ipynb",
        "08_年度计划.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_notebook_has_no_outputs(path: Path):
    """Outputs are stripped in git: no outputs, no execution counts, valid nbformat 4."""
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "a notebook without code"
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs; rebuild with python notebooks/_make_notebooks.py"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    # the raw JSON too (a tool could write fields nbformat tolerates)
    raw = json.loads(path.read_text(encoding="utf-8"))
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None


def test_notebooks_match_their_generator():
    """The committed .ipynb files are what notebooks/_make_notebooks.py writes."""
    nbformat = pytest.importorskip("nbformat")
    sys.path.insert(0, str(NOTEBOOK_DIR))
    try:
        import _make_notebooks as gen
    finally:
        sys.path.remove(str(NOTEBOOK_DIR))
    for name, cells in gen.NOTEBOOKS.items():
        built = nbformat.writes(gen.build(name, cells))
        on_disk = nbformat.writes(nbformat.read(NOTEBOOK_DIR / name, as_version=4))
        assert built == on_disk, f"{name} differs from the generator: run python notebooks/_make_notebooks.py"


def test_kernel_runs_this_environment():
    """The python3 kernel nbclient starts is the interpreter running the tests (the venv's)."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import sys, mzgeo\nprint(sys.executable)\nprint(mzgeo.__file__)")]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK_DIR)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.output_type == "stream")
    executable, module = text.split()[:2]
    assert Path(executable).resolve() == Path(sys.executable).resolve()
    assert Path(module).name == "__init__.py" and Path(module).parent.name == "mzgeo"


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs(path: Path):
    """Execute every cell in order (in memory); fail on the first cell error."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},  # cwd of the kernel, as in Jupyter
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{path.name}: a cell failed\n{exc}", pytrace=False)
    elapsed = time.perf_counter() - start
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    print(f"{path.name}: {elapsed:.1f} s")
    # the file on disk is untouched (executed in memory only)
    assert not any(c.get("outputs") for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
