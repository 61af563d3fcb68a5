"""Line and junction naming rules of :mod:`mzgeo.boundary` (private; the rule: :data:`mzgeo.boundary.NAMING_RULE`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError

logger = logging.getLogger("mzgeo")

#: Administrative suffixes stripped before taking the short name, longest first.
SUFFIXES: tuple[str, ...] = (
    "特别行政区",
    "街道办事处",
    "自治县",
    "自治旗",
    "自治州",
    "街道",
    "新区",
    "林区",
    "特区",
    "地区",
    "市",
    "区",
    "县",
    "镇",
    "乡",
    "旗",
    "盟",
)

#: Smallest tolerance (m) used internally: ``tolerance_m=0`` means exact topology (1 mm).


NAME_RULE_AUTO = "简称规则"
NAME_RULE_COLLISION = "重名加字"
NAME_RULE_OVERRIDE = "指定名称"


# --- naming ----------------------------------------------------------------------------------


def base_name(name: str) -> str:
    """Return a unit name without its administrative suffix (longest suffix first).

    >>> base_name("吴兴区"), base_name("景宁畲族自治县"), base_name("湖州市")
    ('吴兴', '景宁畲族', '湖州')
    """
    text = str(name).strip()
    for suffix in SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def short_name(name: str, n_chars: int = 1) -> str:
    """Return the first ``n_chars`` characters of :func:`base_name` (the whole base name if shorter)."""
    return base_name(name)[: max(1, int(n_chars))]


def code_sort_key(codes: pd.Series) -> pd.Series:
    """Sort key for unit codes: numeric when every code is made of digits, text otherwise."""
    text = codes.astype(str).str.strip()
    if len(text) and text.str.fullmatch(r"\d+").all():
        return text.astype("int64")
    return text


def _parse_overrides(overrides: Any, codes: pd.Series, names: pd.Series) -> dict[frozenset, dict[str, Any]]:
    """Override table → ``{frozenset({code_a, code_b}): {"line_name": ..., "line_code": ...}}``.

    Sides may be given by code or by full name; each side is matched against codes first.
    """
    if overrides is None:
        return {}
    by_name = dict(zip(names.astype(str), codes.astype(str), strict=False))
    code_set = set(codes.astype(str))

    def side(value: Any) -> str:
        text = str(value).strip()
        if text in code_set:
            return text
        if text in by_name:
            return by_name[text]
        return text

    out: dict[frozenset, dict[str, Any]] = {}
    if isinstance(overrides, Mapping):
        for key, value in overrides.items():
            if not isinstance(key, (tuple, list, frozenset, set)) or len(key) != 2:
                msg = f"界线名称指定表的键应为两个区划代码或名称，如 ('330503', '330521')，收到 {key!r}"
                raise InputError(msg)
            entry = dict(value) if isinstance(value, Mapping) else {"line_name": str(value)}
            out[frozenset(side(k) for k in key)] = entry
        return out
    df = pd.DataFrame(overrides)
    pairs = [("side_a_code", "side_b_code"), ("side_a", "side_b"), ("side_a_name", "side_b_name")]
    cols = next((p for p in pairs if p[0] in df.columns and p[1] in df.columns), None)
    if cols is None or "line_name" not in df.columns:
        msg = (
            "界线名称指定表应有 line_name 列和两侧列（side_a_code/side_b_code、side_a/side_b 或 "
            f"side_a_name/side_b_name）；现有列：{'、'.join(map(str, df.columns))}"
        )
        raise InputError(msg)
    extra = [c for c in ("line_code",) if c in df.columns]
    for rec in df[[cols[0], cols[1], "line_name", *extra]].to_dict("records"):
        key = frozenset((side(rec[cols[0]]), side(rec[cols[1]])))
        entry = {"line_name": str(rec["line_name"])}
        if extra and pd.notna(rec["line_code"]):
            entry["line_code"] = str(rec["line_code"]).strip()
        out[key] = entry
    return out


def parent_code(code: str) -> str | None:
    """Return the code of the unit one level up, read from a GB/T 2260 code (``None`` when unknown).

    6 digits: county ``330502`` → city ``3305``; city ``330500`` → province ``33``; a province
    has none. 9 or 12 digits (township, village): the first 6 or 9 digits.

    >>> parent_code("330502"), parent_code("330500"), parent_code("330502001"), parent_code("A1")
    ('3305', '33', '330502', None)
    """
    text = str(code).strip()
    if not text.isdigit():
        return None
    if len(text) == 6:
        if text[2:] == "0000":
            return None
        return text[:2] if text[4:] == "00" else text[:4]
    if len(text) == 9:
        return text[:6]
    if len(text) == 12:
        return text[:6] if text[6:] == "000000" else text[:9]
    return None


def name_lines(
    a_names: pd.Series,
    b_names: pd.Series,
    a_codes: pd.Series,
    b_codes: pd.Series,
    overrides: dict[frozenset, dict[str, Any]],
    a_short: pd.Series | None = None,
    b_short: pd.Series | None = None,
    outer: np.ndarray | None = None,
) -> tuple[pd.Series, pd.Series, pd.Series, pd.DataFrame]:
    """Line names, the rule that made them, line codes, and how each side was abbreviated.

    Rule: short name of side A + short name of side B + 线 (side A = smaller code); a
    given 简称 (``a_short``/``b_short``, e.g. 锡 for 无锡市) replaces the first character.
    When both sides share the short name, both take two characters (吴江吴兴线). When
    two lines get the same name, the sides that differ between them use two characters,
    then their whole base name, then a number (1)(2)... as a last resort. Names from the
    override table are kept as given and never changed. In a collision the line with the
    higher priority keeps its name: a line within one parent unit (both codes under the same
    city, e.g. 吴兴区–南浔区 under 3305) before a line across parents (吴江区–南浔区), a line of
    the area before a line with an ``outer`` unit (``outer`` True). So the lines inside a
    city keep their names whether or not the neighbours are passed in the same call.

    Returns
    -------
    tuple
        ``(names, rules, line_codes, info)``; ``info`` has ``level_a``/``level_b`` (characters
        used: 1, 2, or 3 = whole base name) and ``name_note`` (why a name is not the plain rule,
        empty when it is), all indexed like ``a_names``.
    """
    n = len(a_names)
    index = a_names.index
    a_list = a_codes.astype(str).tolist()
    b_list = b_codes.astype(str).tolist()
    keys = [frozenset((a, b)) for a, b in zip(a_list, b_list, strict=True)]
    fixed = np.array([k in overrides for k in keys], dtype=bool)
    level_a = np.ones(n, dtype=int)
    level_b = np.ones(n, dtype=int)
    rule = np.array([NAME_RULE_OVERRIDE if f else NAME_RULE_AUTO for f in fixed], dtype=object)
    notes: list[list[str]] = [[] for _ in range(n)]

    given_a = _given(a_short, n)
    given_b = _given(b_short, n)

    def short(name: str, level: int, given: str | None) -> str:
        if level == 1 and given:
            return given
        return short_name(name, level) if level < 3 else base_name(name)

    def build() -> list[str]:
        out = []
        for i in range(n):
            if fixed[i]:
                out.append(overrides[keys[i]]["line_name"])
            else:
                out.append(short(a_names.iloc[i], level_a[i], given_a[i])
                           + short(b_names.iloc[i], level_b[i], given_b[i]) + "线")
        return out

    is_outer = np.zeros(n, dtype=bool) if outer is None else np.asarray(outer, dtype=bool)
    parent_a = [parent_code(c) for c in a_list]
    parent_b = [parent_code(c) for c in b_list]
    same_parent = np.array([pa is not None and pa == pb for pa, pb in zip(parent_a, parent_b, strict=True)], dtype=bool)
    # priority: 0 = inside one parent unit of the area; 1 = across parents in the area; 2, 3 = with an outer unit
    priority = 2 * is_outer.astype(int) + (~same_parent).astype(int)
    for i in range(n):  # both sides with the same short name (吴江区–吴兴区): two characters each
        s1 = short(a_names.iloc[i], 1, given_a[i])
        if not fixed[i] and s1 == short(b_names.iloc[i], 1, given_b[i]):
            level_a[i] = level_b[i] = 2
            rule[i] = NAME_RULE_COLLISION
            notes[i].append(f"两侧简称同为“{s1}”，各取两字")
    names = build()
    for _ in range(6):
        groups = pd.Series(range(n)).groupby(pd.Series(names)).agg(list)
        changed = False
        for clash, members in groups.items():
            if len(members) < 2:
                continue
            free = [m for m in members if not fixed[m]]
            if free and not any(fixed[m] for m in members):
                best = min(priority[m] for m in free)
                lower = [m for m in free if priority[m] > best]
                free = lower or free
            if not free:
                logger.warning("指定的界线名称重复：%s", names[members[0]])
                continue
            codes_a = {a_list[m] for m in members}
            codes_b = {b_list[m] for m in members}
            for m in free:
                others = [x for x in members if x != m]
                who = "、".join(f"{a_names.iloc[x]}—{b_names.iloc[x]}" for x in others)
                kept = [x for x in others if x not in free]
                why = ""
                if kept and any(fixed[x] for x in kept):
                    why = "（指定名称优先）"
                elif kept and priority[m] >= 2 > min(priority[x] for x in kept):
                    why = "（本区域内的界线优先保留原名）"
                elif kept:
                    why = "（同一上级区划内部的界线优先保留原名）"
                notes[m].append(f"简称规则名称“{clash}”与 {who} 界线重名{why}，改用较长简称")
                if len(codes_a) > 1 and level_a[m] < 3:
                    level_a[m] += 1
                    changed = True
                if len(codes_b) > 1 and level_b[m] < 3:
                    level_b[m] += 1
                    changed = True
                rule[m] = NAME_RULE_COLLISION
        if not changed:
            break
        names = build()
    # last resort: number the remaining duplicates
    counts = pd.Series(names).groupby(pd.Series(names)).cumcount().to_numpy() + 1
    dup = pd.Series(names).duplicated(keep=False).to_numpy()
    for i in np.flatnonzero(dup & ~fixed):
        notes[i].append("加长简称后仍重名，按顺序编号")
    names = [f"{nm}（{c}）" if d and not fixed[i] else nm for i, (nm, c, d) in enumerate(zip(names, counts, dup, strict=True))]
    line_codes = [overrides.get(k, {}).get("line_code") for k in keys]
    info = pd.DataFrame(
        {"level_a": level_a, "level_b": level_b, "name_note": ["；".join(dict.fromkeys(x)) for x in notes]},
        index=index,
    )
    return (
        pd.Series(names, index=index, dtype=object),
        pd.Series(rule, index=index, dtype=object),
        pd.Series(line_codes, index=index, dtype=object),
        info,
    )


def _given(short: pd.Series | None, n: int) -> list[str | None]:
    """Given short names as a list (None where missing or blank)."""
    if short is None:
        return [None] * n
    out = []
    for v in short.tolist():
        text = str(v).strip() if v is not None and not (isinstance(v, float) and np.isnan(v)) and v is not pd.NA else ""
        out.append(text or None)
    return out


