"""Usage errors of every command: exit code 2, a short Chinese message naming the option, no traceback.

The subprocess cases run ``python -m mzgeo`` with ``click`` and ``typer`` made unimportable
(as on a fresh machine where typer no longer brings click): the CLI must not need them.
The full matrix (every required option of every command, bad numbers, typos, missing
values) runs in-process through :func:`mzgeo.cli.main`, the same code path.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mzgeo.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")

# Each command with a complete (but never executed) set of required arguments.
BASE: dict[str, list[str]] = {
    "validate": ["validate", "a.csv", "--kind", "shelters"],
    "coverage": ["coverage", "--facilities", "f.csv", "--demand", "d.csv", "--minutes", "10", "-o", "o.xlsx"],
    "beds": ["beds", "--institutions", "i.csv", "--units", "u.gpkg", "-o", "o.xlsx"],
    "access": ["access", "--supply", "i.csv", "--demand", "d.csv", "-o", "o.xlsx"],
    "shelters": ["shelters", "--shelters", "s.csv", "--demand", "d.csv", "-o", "o.xlsx"],
    "burial": ["burial", "--points", "g.csv", "-o", "o.xlsx"],
    "allocate": ["allocate", "--demand", "d.csv", "-o", "o.xlsx"],
    "boundary lines": ["boundary", "lines", "--units", "u.gpkg", "-o", "l.gpkg"],
    "boundary checklist": ["boundary", "checklist", "--units", "u.gpkg", "--markers", "m.csv", "-o", "c.xlsx"],
    "boundary results": ["boundary", "results", "c.xlsx"],
    "map": ["map", "u.gpkg", "-o", "m.html"],
    "demo": ["demo"],
    "run": ["run", "plan.toml", "-o", "runs"],
    "plan init": ["plan", "init", "p.toml"],
    "compare": ["compare", "runs/a", "runs/b", "-o", "c"],
}
# A numeric option of each command (bad numbers must name it).
NUMERIC = {
    "coverage": "--minutes", "beds": "--target-per-1000", "access": "--minutes", "shelters": "--area-per-person-m2",
    "allocate": "--p", "boundary lines": "--tolerance-m", "boundary checklist": "--last-year", "map": "--target",
    "compare": "--tolerance-m",
}
# A plausible typo of an option of each command, and the option it should suggest.
TYPO = {
    "validate": ("--knid", "--kind"), "coverage": ("--facilites", "--facilities"),
    "beds": ("--tagret-per-1000", "--target-per-1000"), "access": ("--suply", "--supply"), "shelters": ("--minuts", "--minutes"),
    "burial": ("--zone", "--zones"), "allocate": ("--candidate", "--candidates"),
    "boundary lines": ("--outr", "--outer"), "boundary checklist": ("--marker", "--markers"),
    "boundary results": ("--output", "--out"), "map": ("--colum", "--column"), "demo": ("--table", "--tables"),
    "run": ("--onyl", "--only"), "plan init": ("--forse", "--force"), "compare": ("--tolerence-m", "--tolerance-m"),
}


def _without(args: list[str], option: str) -> list[str]:
    """``args`` without ``option`` and its value."""
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a == option:
            skip = True
            continue
        out.append(a)
    return out


def _required(cmd: str) -> list[str]:
    """The required options of a command, read from the parser itself (so none is forgotten)."""
    parser = build_parser()
    words = cmd.split()
    sub = parser
    for w in words:
        sub = next(a for a in sub._actions if hasattr(a, "choices") and isinstance(a.choices, dict)).choices[w]
    return [a.option_strings[-1] if a.option_strings[-1] in BASE[cmd] else a.option_strings[0]
            for a in sub._actions if a.required and a.option_strings]


def _cases():
    for cmd, base in BASE.items():
        for opt in _required(cmd):
            yield pytest.param(_without(base, opt), opt, id=f"{cmd}-missing{opt}")
        if cmd in NUMERIC:
            opt = NUMERIC[cmd]
            yield pytest.param([*_without(base, opt), opt, "abc"], opt, id=f"{cmd}-bad-number{opt}")
        typo, right = TYPO[cmd]
        yield pytest.param([*base, typo, "1"], right, id=f"{cmd}-typo{typo}")
        last = next((a for a in ("-o", "--out", "--kind") if a in base), None)
        if last is not None:  # an option at the end without its value
            yield pytest.param([*_without(base, last), last], last, id=f"{cmd}-no-value{last}")
    yield pytest.param(["valdate", "a.csv"], "validate", id="unknown-command")
    yield pytest.param(["boundary", "line", "--units", "u.gpkg"], "lines", id="unknown-boundary-command")
    yield pytest.param(["coverage", "--facilities", "f.csv", "--demand", "d.csv", "--minutes", "inf", "-o", "o.xlsx"],
                       "--minutes", id="coverage-infinite-minutes")
    yield pytest.param(["allocate", "--demand", "d.csv", "-o", "o.xlsx", "--p", "2.5"], "--p", id="allocate-p-not-int")
    yield pytest.param(["allocate", "--demand", "d.csv", "-o", "o.xlsx", "--model", "beds"], "--beds-to-add",
                       id="allocate-beds-needs-beds-to-add")
    access = BASE["access"]
    yield pytest.param([*access, "--method", "4sfca"], "--method", id="access-unknown-method")
    yield pytest.param([*access, "--method", "2sfca", "--tau", "30"], "--tau", id="access-option-of-another-method")
    yield pytest.param([*access, "--method", "e2sfca", "--weights", "10-1"], "--weights", id="access-bad-weights")


@pytest.mark.parametrize(("args", "named"), list(_cases()))
def test_usage_error_in_process(args, named, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing may be written: the error comes before any work
    code = main(args)
    cap = capsys.readouterr()
    assert code == 2, cap.err
    assert named in cap.err, cap.err
    assert CJK.search(cap.err), cap.err
    assert "Traceback" not in cap.err + cap.out
    assert len(cap.err.splitlines()) <= 3  # short
    assert list(tmp_path.iterdir()) == []


def test_every_command_is_covered():
    """The matrix above has an entry for every command the parser knows."""
    parser = build_parser()
    subs = next(a for a in parser._actions if hasattr(a, "choices") and isinstance(a.choices, dict)).choices
    names = set()
    for name, p in subs.items():
        inner = [a for a in p._actions if hasattr(a, "choices") and isinstance(a.choices, dict)]
        names |= {f"{name} {n}" for n in inner[0].choices} if inner else {name}
    assert names == set(BASE)


_BLOCKED = ("import sys, runpy; sys.modules['click'] = None; sys.modules['typer'] = None; "
            "sys.argv = ['mzgeo', *sys.argv[1:]]; runpy.run_module('mzgeo', run_name='__main__')")


def _run_fresh(args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", _BLOCKED, *args], capture_output=True, text=True, env=env,
                          check=False, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("cmd", list(BASE))
def test_usage_error_subprocess_without_click(cmd):
    """``python -m mzgeo <cmd> --<typo>`` in a fresh process where click/typer cannot be imported."""
    typo, right = TYPO[cmd]
    res = _run_fresh([*BASE[cmd], typo, "1"])
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and "ModuleNotFoundError" not in res.stderr
    assert right in res.stderr and typo in res.stderr and CJK.search(res.stderr)


def test_help_and_version_without_click():
    res = _run_fresh(["beds", "--help"])
    assert res.returncode == 0 and "--institutions" in res.stdout and "每千名老人床位数" in res.stdout
    res = _run_fresh(["--version"])
    assert res.returncode == 0 and "mzgeo" in res.stdout


def test_python_m_mzgeo_usage_error():
    """The real entry point (``python -m mzgeo``) gives exit 2 for a missing --kind."""
    res = subprocess.run([sys.executable, "-m", "mzgeo", "validate", "a.csv"], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False, timeout=120)
    assert res.returncode == 2 and "--kind" in res.stderr and "Traceback" not in res.stderr
