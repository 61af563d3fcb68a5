"""The plan file: TOML schema, validation with line numbers, and the commented template.

A plan file describes one whole analysis: the input files, the road network, the rules that
override the defaults of :mod:`mzgeo.settings`, the year's projects ledger and the analyses to
run with their outputs. See ``data/demo_plan.toml`` for a complete, commented example.

:func:`load_plan` checks the whole file at once — unknown keys (with the closest valid key
suggested), wrong types, missing files, references to undeclared inputs — and raises one
:class:`mzgeo.ValidationError` whose problems carry the line number in the TOML file (as
``row``) and the dotted key (as ``column``).
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mzgeo.errors import InputError, Problem, ValidationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["ANALYSES", "RULES", "Plan", "init_plan", "load_plan"]

_NUM = (int, float)
_TYPE_ZH = {str: "文字", int: "整数", float: "数字", bool: "是/否（true/false）", list: "列表", dict: "表"}

#: Rules (``[rules]``) → type; each overrides the :mod:`mzgeo.settings` attribute of the same name.
RULES: dict[str, Any] = {
    "bed_target_per_1000": _NUM,
    "nursing_share_target": _NUM,
    "shelter_minutes": _NUM,
    "shelter_area_per_person_m2": _NUM,
    "shelter_min_capacity": dict,
    "daycare_minutes_urban": _NUM,
    "daycare_minutes_rural": _NUM,
    "beds_access_minutes": _NUM,
    "cemetery_minutes": _NUM,
    "burial_buffer_m": dict,
    "walk_speed_mps": _NUM,
    "access_speed_mps": _NUM,
    "max_snap_m": _NUM,
    "drive_speed_kph": dict,
    "marker_offset_tolerance_m": _NUM,
    "marker_max_gap_km": _NUM,
    "boundary_tolerance_m": _NUM,
}

_OUT = {"enabled": bool, "excel": str, "gpkg": str, "map": str}
#: Analyses (``[analyses.<key>]``) → field → type. Fields naming inputs are listed in ``_REFS``.
ANALYSES: dict[str, dict[str, Any]] = {
    "shelter_coverage": {"facilities": str, "demand": str, "minutes": list, "weight": str, "mode": str,
                         "units": list, **_OUT},
    "shelters": {"shelters": str, "demand": str, "share_to_shelter": _NUM, "mode": str, "units": list, **_OUT},
    "daycare": {"daycare": str, "demand": str, "mode": str, "units": list, **_OUT},
    "beds": {"institutions": str, "units": list, **_OUT},
    "cemeteries": {"cemeteries": str, "units": list, "mode": str, **_OUT},
    "graves": {"graves": str, "lines": dict, "zones": str, "units": list, **_OUT},
    "markers": {"markers": str, "units": list, "line_codes": str, **_OUT},
}
_REFS = {"facilities", "demand", "shelters", "daycare", "institutions", "cemeteries", "graves", "zones", "markers",
         "line_codes"}
_INPUT = {"path": str, "kind": str, "layer": str, "sheet": (str, int), "encoding": str, "crs": (str, int),
          "lon_col": str, "lat_col": str, "filter": dict}
_SECTIONS: dict[str, Any] = {
    "plan": {"name": str, "year": int, "description": str, "out": str},
    "inputs": None,  # free names, each an _INPUT table
    "network": {"roads": str, "osm": str},
    "rules": RULES,
    "ledger": {"projects": str, "year": int, "apply": str, "excel": str},
    "analyses": ANALYSES,
}
#: Layer kinds each reference field accepts.
_REF_KINDS: dict[str, tuple[str, ...]] = {
    "facilities": ("shelters", "daycare", "institutions", "cemeteries"), "demand": ("villages",),
    "shelters": ("shelters",), "daycare": ("daycare",), "institutions": ("institutions",),
    "cemeteries": ("cemeteries",), "graves": ("graves",), "zones": ("zones",), "markers": ("markers",),
    "line_codes": ("table",), "units": ("units",), "lines": ("roads", "rivers", "railways"),
    "roads": ("roads",), "projects": ("projects",),
}
_MODES = ("walk", "drive")
_MAPPED = ("shelter_coverage", "daycare", "beds")
_APPLY = ("none", "completed", "planned")


@dataclass
class Plan:
    """A validated plan.

    Attributes
    ----------
    data : dict
        The parsed TOML.
    base_dir : pathlib.Path
        Folder against which relative input paths are resolved (the plan file's folder).
    source : str
        The plan file's name (or ``"<文本>"``).
    text : str
        The TOML text.
    inputs : dict
        Input name → resolved settings (``path`` as an absolute :class:`~pathlib.Path`,
        ``crs`` from ``@crs`` or the ``crs`` key, ``kind``, ``layer``...).
    """

    data: dict
    base_dir: Path
    source: str
    text: str
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The plan's name (``[plan] name``, else the file name)."""
        return str(self.data.get("plan", {}).get("name", Path(self.source).stem))

    def analyses(self) -> dict[str, dict[str, Any]]:
        """Return the enabled analyses in run order."""
        given = self.data.get("analyses", {})
        return {k: v for k, v in given.items() if k in ANALYSES and v.get("enabled", True)}


def _locate(text: str) -> dict[str, int]:
    """Line number (1-based) of every table header and key, by dotted path (first occurrence)."""
    where: dict[str, int] = {}
    current: list[str] = []
    header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    key = re.compile(r"^\s*([A-Za-z0-9_\-\"'.\u4e00-\u9fff]+?)\s*=")
    for i, line in enumerate(text.splitlines(), start=1):
        m = header.match(line)
        if m:
            current = [p.strip().strip("\"'") for p in m.group(1).split(".")]
            where.setdefault(".".join(current), i)
            continue
        m = key.match(line)
        if m:
            parts = [p.strip().strip("\"'") for p in m.group(1).split(".")]
            where.setdefault(".".join([*current, *parts]), i)
    return where


class _Checker:
    def __init__(self, source: str, text: str) -> None:
        self.source, self.lines, self.problems = source, _locate(text), []

    def line(self, path: str) -> int | None:
        parts = path.split(".")
        while parts:
            got = self.lines.get(".".join(parts))
            if got is not None:
                return got
            parts.pop()
        return None

    def add(self, path: str, message: str, code: str) -> None:
        self.problems.append(Problem("error", message, self.source, self.line(path), path, code))

    def unknown(self, path: str, key: str, valid: Any) -> None:
        close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
        hint = f"，是否应为「{close[0]}」？" if close else f"；可用：{'、'.join(valid)}"
        self.add(f"{path}.{key}" if path else key, f"未知的设置项「{key}」{hint} (unknown key)", "unknown_key")

    def typed(self, path: str, value: Any, kind: Any) -> bool:
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            names = ["数字"] if set(kinds) == set(_NUM) else [_TYPE_ZH.get(k, k.__name__) for k in kinds]
            want = "或".join(dict.fromkeys(names))
            self.add(path, f"「{path}」应为{want}，实际为 {value!r} (wrong type)", "wrong_type")
        return ok

    def table(self, path: str, value: Any, schema: dict[str, Any]) -> None:
        if not self.typed(path, value, dict):
            return
        for key, v in value.items():
            if key not in schema:
                self.unknown(path, key, schema)
            else:
                self.typed(f"{path}.{key}", v, schema[key])


def _split_crs(path: str) -> tuple[str, str | None]:
    """``"养老机构.csv@gcj02"`` → (``"养老机构.csv"``, ``"gcj02"``)."""
    if "@" in path:
        head, tail = path.rsplit("@", 1)
        if tail and "/" not in tail and "\\" not in tail and "." not in tail:
            return head, tail
    return path, None


def _kind_key(kind: Any, kinds: dict[str, Any]) -> str | None:
    """English key of a kind given by key or Chinese name (``"table"`` kept; unknown → None)."""
    if kind == "table" or kind in kinds:
        return kind
    return next((k for k, spec in kinds.items() if spec.name_zh == kind), None)


def _kinds() -> dict[str, Any]:
    import mzgeo

    return mzgeo.layers.KINDS


def load_plan(path_or_text: str | os.PathLike, *, base_dir: str | os.PathLike | None = None) -> Plan:
    """Read and validate a plan file (or TOML text).

    Parameters
    ----------
    path_or_text : str or os.PathLike
        A ``.toml`` file, or the TOML text itself (text is recognised by a line break or ``=``).
    base_dir : str or os.PathLike, optional
        Folder for relative input paths; default the plan file's folder (the working
        directory for text).

    Returns
    -------
    Plan

    Raises
    ------
    InputError
        The plan file does not exist.
    ValidationError
        The TOML cannot be parsed, or the plan breaks the schema: every problem at once, each
        with its line number (``row``) and dotted key (``column``).
    """
    if isinstance(path_or_text, os.PathLike) or ("\n" not in str(path_or_text) and "=" not in str(path_or_text)):
        p = Path(path_or_text)
        if not p.exists():
            msg = f"计划文件不存在：{p} (plan file not found)"
            raise InputError(msg)
        text, source, folder = p.read_text(encoding="utf-8-sig"), p.name, p.resolve().parent
    else:
        text, source, folder = str(path_or_text), "<计划文本>", Path.cwd()
    folder = Path(base_dir).resolve() if base_dir is not None else folder
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        row = int(m.group(1)) if m else None
        raise ValidationError([Problem("error", f"TOML 格式错误：{exc}（请检查引号、括号和等号）(TOML syntax error)",
                                       source, row, None, "toml_syntax")], file=source) from None
    chk = _Checker(source, text)
    for key in data:
        if key not in _SECTIONS:
            chk.unknown("", key, _SECTIONS)
    plan = Plan(data, folder, source, text)
    for name in ("plan", "network", "rules", "ledger"):
        if name in data:
            chk.table(name, data[name], _SECTIONS[name])
    kinds = _kinds()
    inputs = data.get("inputs", {})
    if chk.typed("inputs", inputs, dict):
        for name, spec in inputs.items():
            path = f"inputs.{name}"
            if isinstance(spec, str):
                spec = {"path": spec}
            chk.table(path, spec, _INPUT)
            if not isinstance(spec, dict):
                continue
            if "path" not in spec:
                chk.add(path, f"输入「{name}」缺少 path（文件路径）(missing path)", "missing_key")
                continue
            if not isinstance(spec["path"], str):
                continue
            file, at_crs = _split_crs(spec["path"])
            full = Path(file) if Path(file).is_absolute() else folder / file
            if not full.exists():
                chk.add(f"{path}.path", f"文件不存在：{file}（相对路径按计划文件所在文件夹 {folder} 解析）(file not found)",
                        "missing_file")
            kind = spec.get("kind", name)
            known = {k for k in kinds} | {s.name_zh for s in kinds.values()}
            if isinstance(kind, str) and kind not in known and kind != "table":
                close = difflib.get_close_matches(kind, sorted(known), n=1, cutoff=0.6)
                hint = f"，是否应为「{close[0]}」？" if close else f"；可用：{'、'.join(sorted(kinds))}、table"
                chk.add(f"{path}.kind" if "kind" in spec else path,
                        f"输入「{name}」的图层类型「{kind}」未知{hint}（名称不是图层类型时请写 kind = ...）(unknown kind)",
                        "unknown_kind")
            plan.inputs[name] = {**{k: v for k, v in spec.items() if k != "path"}, "path": full, "kind": kind,
                                 "crs": spec.get("crs", at_crs), "given": spec["path"]}
    net = data.get("network", {})
    if isinstance(net, dict):
        if "roads" in net and isinstance(net["roads"], str) and net["roads"] not in inputs:
            chk.add("network.roads", f"路网引用的输入「{net['roads']}」未在 [inputs] 中声明 (unknown input)", "unknown_input")
        elif isinstance(net.get("roads"), str) and _kind_key(plan.inputs[net["roads"]]["kind"], kinds) not in (None, "roads"):
            chk.add("network.roads", f"路网引用的输入「{net['roads']}」不是 roads（道路）图层 (wrong kind)", "wrong_kind")
        if "osm" in net and isinstance(net["osm"], str):
            full = Path(net["osm"]) if Path(net["osm"]).is_absolute() else folder / net["osm"]
            if not full.exists():
                chk.add("network.osm", f"文件不存在：{net['osm']} (file not found)", "missing_file")
    led = data.get("ledger", {})
    if isinstance(led, dict) and led:
        if isinstance(led.get("projects"), str) and led["projects"] not in inputs:
            chk.add("ledger.projects", f"台账引用的输入「{led['projects']}」未在 [inputs] 中声明 (unknown input)",
                    "unknown_input")
        elif isinstance(led.get("projects"), str) and _kind_key(plan.inputs[led["projects"]]["kind"], kinds) not in (
                None, "projects"):
            chk.add("ledger.projects", f"台账引用的输入「{led['projects']}」不是 projects（项目）图层 (wrong kind)",
                    "wrong_kind")
        if "projects" not in led:
            chk.add("ledger", "[ledger] 缺少 projects（项目台账输入名）(missing key)", "missing_key")
        if isinstance(led.get("apply"), str) and led["apply"] not in _APPLY:
            chk.add("ledger.apply", f"apply 应为 {'、'.join(_APPLY)} 之一，实际为「{led['apply']}」(bad value)", "bad_value")
    analyses = data.get("analyses", {})
    if isinstance(analyses, dict):
        for key, spec in analyses.items():
            if key not in ANALYSES:
                chk.unknown("analyses", key, ANALYSES)
                continue
            path = f"analyses.{key}"
            chk.table(path, spec, ANALYSES[key])
            if not isinstance(spec, dict):
                continue
            refs = [(f, spec[f]) for f in _REFS & set(spec) if isinstance(spec[f], str)]
            refs += [(f"units[{i}]", u) for i, u in enumerate(spec.get("units", []) or []) if isinstance(u, str)]
            if isinstance(spec.get("lines"), dict):
                refs += [(f"lines.{k}", v) for k, v in spec["lines"].items() if isinstance(v, str)]
            for f, ref in refs:
                field_key = f.split("[")[0].split(".")[0]
                if ref not in inputs:
                    chk.add(f"{path}.{field_key}", f"「{path}.{f}」引用的输入「{ref}」未在 [inputs] 中声明 (unknown input)",
                            "unknown_input")
                    continue
                want = _REF_KINDS.get(field_key)
                got = plan.inputs.get(ref, {}).get("kind")
                got_key = _kind_key(got, kinds)
                if want is not None and got_key is not None and got_key not in want:
                    chk.add(f"{path}.{field_key}",
                            f"「{path}.{f}」引用的输入「{ref}」是 {got} 图层，这里需要 {'或'.join(want)} 图层 (wrong kind)",
                            "wrong_kind")
            if isinstance(spec.get("minutes"), list) and not spec["minutes"]:
                chk.add(f"{path}.minutes", "minutes 不能为空列表，如 [5, 10, 15] (bad value)", "bad_value")
            if key in ("beds", "cemeteries", "markers") and not spec.get("units"):
                chk.add(f"{path}.units" if "units" in spec else path,
                        f"分析 {key} 需要 units（行政区输入名列表，如 [\"townships\", \"counties\"]）(missing units)",
                        "missing_key")
            if "map" in spec and key not in _MAPPED:
                chk.add(f"{path}.map", f"分析 {key} 暂无地图输出；map 可用于 {'、'.join(_MAPPED)} (no map for this analysis)",
                        "bad_value")
            elif "map" in spec and not spec.get("units"):
                chk.add(f"{path}.map", "map 输出需要 units（行政区输入名列表）(map needs units)", "missing_key")
            if isinstance(spec.get("mode"), str) and spec["mode"] not in _MODES:
                chk.add(f"{path}.mode", f"mode 应为 walk（步行）或 drive（驾车），实际为「{spec['mode']}」(bad value)", "bad_value")
            if isinstance(spec.get("minutes"), list) and not all(
                    isinstance(m, _NUM) and not isinstance(m, bool) and m > 0 for m in spec["minutes"]):
                chk.add(f"{path}.minutes", "minutes 应为正数列表，如 [5, 10, 15] (bad value)", "bad_value")
        needs_net = any(isinstance(analyses.get(k), dict) and analyses[k].get("enabled", True) is not False
                        for k in ("shelter_coverage", "shelters", "daycare", "cemeteries"))
        if needs_net and not (isinstance(net, dict) and ("roads" in net or "osm" in net)):
            chk.add("network", "所选分析需要路网：请在 [network] 中给出 roads = \"道路输入名\" 或 osm = \"文件.osm.pbf\"",
                    "missing_key")
    if chk.problems:
        raise ValidationError(chk.problems, file=source)
    return plan


def _demo_template() -> str:
    import mzgeo

    text = (mzgeo.demo.demo_path() / "demo_plan.toml").read_text(encoding="utf-8")
    folder = mzgeo.demo.demo_path().resolve().as_posix()
    return re.sub(r'path = "(?!/)([^"]+)"', lambda m: f'path = "{folder}/{m.group(1)}"', text)


def init_plan(path: str | os.PathLike = "plan.toml", *, overwrite: bool = False) -> Path:
    """Write a commented plan template for the Huzhou demo (paths point at the demo data).

    Parameters
    ----------
    path : str or os.PathLike
        Destination ``.toml`` file.
    overwrite : bool
        Replace an existing file (default: refuse).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        The file exists and ``overwrite`` is false.
    """
    p = Path(path)
    if p.exists() and not overwrite:
        msg = f"文件已存在：{p}（不会覆盖；请换一个文件名或删除它）(file exists)"
        raise InputError(msg)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(_demo_template(), encoding="utf-8")
    os.replace(tmp, p)
    return p
