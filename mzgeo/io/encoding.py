"""Text encodings of planners' files: CSV bytes, GBK/GB18030 versus Big5, ``.dbf`` code pages.

- :func:`_decode` decodes CSV bytes (given encoding; UTF-16 with BOM; UTF-8 with or without BOM;
  GBK/GB18030 unless Big5 reads as clearly more common characters; charset-normalizer last) and
  raises :class:`_DecodeError` naming the row and column of undecodable bytes;
- :func:`_check_encoding_name` checks a user's ``encoding=`` before any file is opened;
- :func:`_looks_mojibake`, :func:`_guess_dbf_encoding` and :func:`_recode` recover the text of a
  Shapefile ``.dbf`` without ``.cpg`` that GDAL read as ISO-8859-1.

Private to :mod:`mzgeo.io` (used by :mod:`mzgeo.io.read`).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io as _stdio
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd


class _DecodeError(Exception):
    """A CSV that cannot be decoded: a summary and the located problems ``(row, column, message)``."""

    def __init__(self, summary: str, located: list[tuple[int | None, str | None, str]] | None = None) -> None:
        super().__init__(summary)
        self.summary = summary
        self.located = located or []

    def text(self, limit: int = 5) -> str:
        """Summary and the first located problems, for a single error message."""
        parts = [self.summary, *(f"第 {r} 行「{c}」：{m}" if r else m for r, c, m in self.located[:limit])]
        more = len(self.located) - limit
        return "；".join(parts) + (f"；另有 {more} 处" if more > 0 else "")


def _check_encoding_name(encoding: str | None) -> str | None:
    """Return the Python codec name of ``encoding`` (``None`` stays ``None``).

    Raises
    ------
    InputError
        ``encoding`` is not a known text encoding (the message names common ones).
    """
    if encoding is None:
        return None
    try:
        info = codecs.lookup(str(encoding))
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        msg = (
            f"不认识的文字编码 encoding={encoding!r}：常用的有 'utf-8'、'utf-8-sig'、'gbk'、'gb18030'、"
            "'big5'（繁体中文）、'big5hkscs'（香港） (unknown encoding)"
        )
        raise InputError(msg)
    return str(encoding)


#: Non-ASCII characters sampled when weighing GBK against Big5.
_ENCODING_SAMPLE = 200_000


def _common_share(text: str, codec: str) -> float:
    """Share of the non-ASCII characters of ``text`` that are common characters of ``codec``.

    Common: GB2312 hanzi and punctuation for GBK/GB18030 (lead bytes 0xA1–0xA3, 0xB0–0xF7);
    Big5 level-1 hanzi and punctuation for Big5 (lead bytes 0xA1–0xA3, 0xA4–0xC6), plus the
    Hong Kong supplementary characters for Big5-HKSCS. Text read
    with the wrong one of the two is mostly rare characters, kana and symbols.
    """
    from collections import Counter

    counts = Counter(ch for ch in text[:_ENCODING_SAMPLE] if ord(ch) > 127)
    total = sum(counts.values())
    if total == 0:
        return 1.0
    target, lo, hi = ("gb2312", 0xB0, 0xF7) if codec.startswith("gb") else ("big5", 0xA4, 0xC6)
    good = 0
    for ch, n in counts.items():
        try:
            b = ch.encode(target)
        except UnicodeEncodeError:
            if codec == "big5hkscs" and _CJK.match(ch):  # a Hong Kong supplementary character
                with contextlib.suppress(UnicodeEncodeError):
                    ch.encode("big5hkscs")
                    good += n
            continue
        if len(b) == 2 and (0xA1 <= b[0] <= 0xA3 or lo <= b[0] <= hi):
            good += n
    return good / total


def _strict(data: bytes, codecs_: tuple[str, ...]) -> tuple[str, str] | None:
    for enc in codecs_:
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(enc), enc
    return None


def _decode(data: bytes, encoding: str | None) -> tuple[str, str, str | None]:
    """Decode CSV bytes: ``(text, encoding used, note)``.

    ``note`` is ``None``, ``"guessed"`` (charset-normalizer), ``"big5"`` (Traditional
    Chinese detected) or ``"maybe_big5"`` (read as GBK, but the bytes read as well as Big5). Order: the given encoding; UTF-16 with BOM; UTF-8 (with or without
    BOM); GBK/GB18030 unless Big5 reads as clearly more common characters. Raises
    :class:`_DecodeError` naming the row and column of undecodable bytes, or saying the
    file looks like Big5 when the two readings cannot be told apart.
    """
    if encoding:
        try:
            return data.decode(encoding), encoding, None
        except UnicodeDecodeError:
            raise _DecodeError(f"按指定的编码 {encoding} 无法解码", _locate_bad_bytes(data, encoding)) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16", None
        except UnicodeDecodeError:
            raise _DecodeError("UTF-16 文件中有无法解码的字节", _locate_bad_bytes(data, "utf-16")) from None
    with contextlib.suppress(UnicodeDecodeError):
        text = data.decode("utf-8-sig")
        return text, "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8", None
    loose = data.decode("utf-8", errors="replace")
    n_bad = loose.count("\ufffd")
    n_cjk = len(_CJK.findall(loose[:_ENCODING_SAMPLE]))
    if n_cjk >= 3 and n_bad * 4 <= n_cjk:  # Chinese UTF-8 text with a few broken bytes
        raise _DecodeError(
            "文件是 UTF-8 编码，但有无法解码的字节（文件可能损坏或被截断）", _locate_bad_bytes(data, "utf-8")
        )
    simplified = _strict(data, ("gbk", "gb18030"))
    traditional = _strict(data, ("big5", "big5hkscs"))
    if traditional is not None:
        share_t = _common_share(traditional[0], traditional[1])
        share_s = _common_share(simplified[0], "gbk") if simplified is not None else 0.0
        if share_t > share_s:
            if share_t >= 0.9 and share_t - share_s >= 0.3:
                return traditional[0], traditional[1], "big5"
            raise _DecodeError(
                f"看起来是繁体中文 Big5 编码 (looks like Traditional Chinese Big5)：按 GBK 读取会是乱码。"
                f"请用 encoding='{traditional[1]}' 读取（香港增补字符用 'big5hkscs'），"
                "或另存为 UTF-8 CSV"
            )
        if simplified is not None and (share_s < 0.9 or share_s - share_t < 0.1):
            return simplified[0], simplified[1], "maybe_big5"
    if simplified is not None:
        return simplified[0], simplified[1], None
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise _DecodeError("无法识别文字编码（试过 UTF-8、GBK、GB18030、Big5）", _locate_bad_bytes(data, "utf-8"))
    return str(best), str(best.encoding), "guessed"


def _locate_bad_bytes(data: bytes, encoding: str, limit: int = 50) -> list[tuple[int | None, str | None, str]]:
    """Row (as in Excel), column header and message of each cell holding bytes ``encoding`` cannot decode."""
    marker = "\ufffd"
    try:
        text = data.decode(encoding, errors="replace")
    except LookupError:  # pragma: no cover - codec checked before
        return []
    if marker not in text:
        return []
    newlines = np.fromiter((m.start() for m in re.finditer("\n", text)), dtype=np.int64)
    positions = np.fromiter((m.start() for m in re.finditer(marker, text)), dtype=np.int64)
    bad_lines = [int(v) for v in np.unique(np.searchsorted(newlines, positions) + 1)[:limit]]
    try:
        reader = csv.reader(_stdio.StringIO(text, newline=""), delimiter=_sniff_delimiter(text, ".csv"))
        header: list[str] | None = None
        out: list[tuple[int | None, str | None, str]] = []
        want = iter(bad_lines)
        target = next(want, None)
        for i, rec in enumerate(reader):
            if header is None and any(c.strip() for c in rec):
                header = rec
            while target is not None and reader.line_num >= target:
                for j, cell in enumerate(rec):
                    if marker in cell:
                        named = header is not None and j < len(header) and header[j].strip() and marker not in header[j]
                        col = header[j].strip() if named else f"第 {_column_letter(j)} 列"
                        shown = cell.replace(marker, "□")[:30]
                        out.append((
                            i + 1, col,
                            f"有无法按 {encoding} 解码的字节（显示为 □：「{shown}」，文件第 {target} 行）",
                        ))
                target = next(want, None)
            if target is None:
                break
        return out
    except csv.Error:
        return [(None, None, f"文件第 {ln} 行有无法按 {encoding} 解码的字节") for ln in bad_lines]


def _sniff_delimiter(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    lines = [ln for ln in text.splitlines()[:30] if ln.strip()][:15]
    best, best_score = ",", 0
    for delim in (",", "\t", ";", "|"):
        counts = [ln.count(delim) for ln in lines]
        if not counts:
            continue
        score = min(counts[-min(len(counts), 10):]) * 10 + max(counts)
        if score > best_score:
            best, best_score = delim, score
    return best



def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return letters










_MOJIBAKE = re.compile(r"[\u0080-\u00ff]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _text_sample(df: pd.DataFrame) -> str:
    parts = [str(c) for c in df.columns]
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_string_dtype(s) or s.dtype == object:
            parts.extend(s.dropna().astype(str).head(200).tolist())
    return "\n".join(parts)


def _looks_mojibake(text: str) -> bool:
    """Latin-1 letters (Ã, º, ...) and no Chinese: bytes of GBK/UTF-8 read as ISO-8859-1."""
    return bool(_MOJIBAKE.search(text)) and not _CJK.search(text)


def _guess_dbf_encoding(text: str) -> str | None:
    """Guess the encoding of text that GDAL decoded as ISO-8859-1 (bytes recovered losslessly)."""
    try:
        data = text.encode("latin-1")
    except UnicodeEncodeError:
        return None
    for enc, name in (("utf-8", "UTF-8"), ("gbk", "GBK"), ("gb18030", "GB18030")):
        with contextlib.suppress(UnicodeDecodeError):
            data.decode(enc)
            return name
    return None




def _py_codec(name: str) -> str:
    """Python codec for an encoding name found in a ``.cpg`` (``"UTF-8"``, ``"GBK"``, ``"936"``...)."""
    name = name.strip()
    if name.isdigit():
        name = {"65001": "utf-8", "936": "gbk", "54936": "gb18030"}.get(name, f"cp{name}")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "utf-8"


def _recode(latin: gpd.GeoDataFrame, encoding: str) -> gpd.GeoDataFrame:
    """Re-decode text that GDAL read as ISO-8859-1 (lossless) with ``encoding``, replacing bad bytes."""
    codec = _py_codec(encoding)

    def fix(text: Any) -> Any:
        if not isinstance(text, str):
            return text
        return text.encode("latin-1", errors="replace").decode(codec, errors="replace")

    out = latin.rename(columns={c: fix(c) for c in latin.columns if c != latin.geometry.name})
    for col in out.columns:
        if col != out.geometry.name and (pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object):
            out[col] = out[col].map(fix, na_action="ignore")
    return out
