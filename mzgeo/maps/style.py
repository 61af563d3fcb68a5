"""Styles, symbols and text formatting for :mod:`mzgeo.maps`; labels come from :mod:`mzgeo.report.labels`.

Everything a user can type (names, addresses, remarks, titles, layer names) passes through
:func:`esc` before it reaches the HTML: ``html.escape`` plus the curly braces, which folium
would otherwise evaluate as Jinja template code when it re-renders an element's output.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..report import label

__all__ = [
    "BOUNDARY_SIMPLIFY_M",
    "CLUSTER_THRESHOLD",
    "DISPLAY_SIMPLIFY_M",
    "FONT_STACK",
    "KIND_SYMBOLS",
    "KindSymbol",
    "class_edges",
    "diverging_colours",
    "PALETTES",
    "esc",
    "finding_flags",
    "fmt_number",
    "fmt_value",
    "is_share_column",
    "label_for",
    "ramp",
    "svg_icon",
    "swatch_html",
]

#: Display simplification tolerance (m) for polygons and lines.
DISPLAY_SIMPLIFY_M = 10.0
#: Display simplification tolerance (m) for boundary lines (the subject of an inspection map).
BOUNDARY_SIMPLIFY_M = 2.0
#: More points than this in one layer are clustered (``cluster=None``).
CLUSTER_THRESHOLD = 200
#: Font stack for Chinese text: the Noto CJK font of Linux desktops, then Windows and macOS fonts.
FONT_STACK = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "SimHei", sans-serif'


def esc(value: Any) -> str:
    """HTML-escape user text for popups, tooltips, legends and layer names.

    ``html.escape`` (``& < > " '``) plus ``{`` and ``}`` as numeric entities: folium
    re-parses the output of its elements as Jinja templates, so a name containing
    ``{{ ... }}`` would otherwise be evaluated in Python when the map is rendered.
    """
    text = html.escape(str(value), quote=True)
    return text.replace("{", "&#123;").replace("}", "&#125;")


# --- labels ------------------------------------------------------------------------------------
#: Units for the target statement of a choropleth legend ("目标 37.5 张/千名老人").
COLUMN_UNITS: dict[str, str] = {
    "beds_per_1000": "张/千名老人",
    "access_per_1000": "张/千名老人",
    "accessible_beds_per_1000": "张/千名老人",
    "accessible_per_1000": "张/千名老人",
    "difference_per_1000": "张/千名老人",
    "mean_minutes": "分钟",
    "p90_minutes": "分钟",
    "minutes": "分钟",
    "mean_min": "分钟",
    "p90_min": "分钟",
}

#: Columns shown in popups per layer kind (when present), after the name.
KIND_POPUP_COLS: dict[str, tuple[str, ...]] = {
    "shelters": ("tier", "capacity", "area_m2", "address"),
    "institutions": ("beds", "nursing_beds", "ownership", "address"),
    "daycare": ("village", "has_meal", "has_medical", "address"),
    "cemeteries": ("cemetery_type", "capacity", "used", "address"),
    "villages": ("village_type", "population", "elderly"),
    "markers": ("marker_id", "line_name", "marker_type", "year_set", "remarks"),
    "graves": ("grave_id", "village", "remarks"),
    "units": ("code", "level", "population", "elderly"),
}
#: Columns shown for a layer of unknown kind.
GENERIC_POPUP_COLS: tuple[str, ...] = ("address", "capacity", "beds", "tier", "remarks")


def label_for(column: str, kind: str | None = None) -> str:
    """Chinese label of a column in a popup or legend: the one label table, :func:`mzgeo.report.label`.

    Parameters
    ----------
    column : str
        English column key (returned unchanged when the table has no label for it).
    kind : str, optional
        Layer kind (``"shelters"``...), for the few labels that depend on it.

    Returns
    -------
    str

    Examples
    --------
    >>> label_for("minutes"), label_for("capacity", "shelters")
    ('出行时间（分钟）', '容纳人数（人）')
    """
    return label(column, kind)


def is_share_column(column: str) -> bool:
    """Whether a column holds a share in [0, 1] shown as a percentage."""
    c = column.lower()
    return c.endswith(("share", "_rate", "_pct")) or c.startswith("share")


# --- formatting --------------------------------------------------------------------------------
def fmt_number(x: float, decimals: int | None = None) -> str:
    """Format a number for people: integers without decimals, others with 1-2 decimals."""
    if decimals is not None:
        return f"{x:.{decimals}f}"
    if float(x).is_integer():
        return str(int(x))
    ax = abs(x)
    d = 0 if ax >= 1000 else 1 if ax >= 10 else 2
    text = f"{x:.{d}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_value(value: Any, column: str = "") -> str | None:
    """Format one cell for a popup (``None`` for missing values); not yet escaped."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if is_share_column(column) and 0.0 <= value <= 1.0:
            return f"{value * 100:.1f}%"
        return fmt_number(float(value))
    if isinstance(value, (list, tuple, set)):
        return "、".join(str(v) for v in value)
    text = str(value).strip()
    return text or None


# --- colours -----------------------------------------------------------------------------------
#: ColorBrewer palettes (9 classes), light to dark / low to high.
PALETTES: dict[str, tuple[str, ...]] = {
    "YlGnBu": ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494", "#081d58"),
    "Blues": ("#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"),
    "Greens": ("#f7fcf5", "#e5f5e0", "#c7e9c0", "#a1d99b", "#74c476", "#41ab5d", "#238b45", "#006d2c", "#00441b"),
    "YlOrRd": ("#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026"),
    "Purples": ("#fcfbfd", "#efedf5", "#dadaeb", "#bcbddc", "#9e9ac8", "#807dba", "#6a51a3", "#54278f", "#3f007d"),
    # diverging, red (below) to blue (above)
    "RdBu": ("#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7", "#d1e5f0", "#92c5de", "#4393c3", "#2166ac"),
}
#: Six diverging classes (three below the centre, three above), red to blue.
DIVERGING_6: tuple[str, ...] = ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac")
#: Qualitative colours for boundary lines (no pure red/green: those mean findings).
QUALITATIVE: tuple[str, ...] = (
    "#6a3d9a", "#1f78b4", "#b15928", "#ff7f00", "#a6761d", "#e7298a", "#1b9e77", "#666666", "#cab2d6", "#fb9a99",
)
NO_DATA_COLOUR = "#d9d9d9"


def ramp(palette: str, n: int, *, skip_lightest: int = 1, skip_darkest: int = 0) -> list[str]:
    """``n`` colours spread over a 9-class palette, light to dark (extremes can be skipped)."""
    colours = PALETTES[palette][skip_lightest : len(PALETTES[palette]) - skip_darkest]
    if n <= 0:
        return []
    if n == 1:
        return [colours[len(colours) // 2]]
    idx = np.round(np.linspace(0, len(colours) - 1, n)).astype(int)
    return [colours[i] for i in idx]


# --- symbols -----------------------------------------------------------------------------------
_SHAPES: dict[str, str] = {
    "circle": '<circle cx="12" cy="12" r="9.5"/>',
    "square": '<rect x="3" y="3" width="18" height="18" rx="2"/>',
    "diamond": '<polygon points="12,1.5 22.5,12 12,22.5 1.5,12"/>',
    "triangle": '<polygon points="12,2 22.5,21 1.5,21"/>',
    "house": '<polygon points="12,1.5 22.5,10 20,10 20,22 4,22 4,10 1.5,10"/>',
    "star": '<polygon points="12,1 14.9,8.6 23,9 16.7,14.1 18.8,22 12,17.6 5.2,22 7.3,14.1 1,9 9.1,8.6"/>',
    "cross": '<path d="M4 4 L20 20 M20 4 L4 20" stroke-width="5" fill="none"/>',
}


def svg_icon(shape: str, fill: str, size: int, *, stroke: str = "#ffffff", stroke_width: float = 1.6) -> str:
    """Inline SVG of a map symbol (no icon font, no image file: works offline)."""
    body = _SHAPES[shape]
    if shape == "cross":
        return (
            f'<svg width="{size}" height="{size}" viewBox="0 0 24 24" stroke="{fill}" '
            f'stroke-linecap="round">{body}</svg>'
        )
    return (
        f'<svg width="{size}" height="{size}" viewBox="0 0 24 24" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="{stroke_width}" stroke-linejoin="round">{body}</svg>'
    )


def swatch_html(kind: str, colour: str, *, border: str | None = None, dash: str | None = None) -> str:
    """Legend swatch: ``"fill"`` (polygon), ``"line"`` or ``"dot"`` (circle marker)."""
    border = border or colour
    if kind == "line":
        style = f"border-top:3px {'dashed' if dash else 'solid'} {colour}"
        return f'<span class="mzgeo-sw-line" style="{style}"></span>'
    if kind == "dot":
        return f'<span class="mzgeo-sw-dot" style="background:{colour};border-color:{border}"></span>'
    return f'<span class="mzgeo-sw-fill" style="background:{colour};border-color:{border}"></span>'


@dataclass(frozen=True)
class KindSymbol:
    """Marker symbol of a layer kind: shape, colour, size, and shades per category value.

    Attributes
    ----------
    shape : str
        Key of the SVG shape.
    colour : str
        Colour of features without a (known) category.
    size_px : int
        Symbol size in CSS pixels.
    category_col : str or None
        Column whose values pick a colour (and size) from ``categories``.
    categories : dict
        Category value → (colour, size in px), in legend order.
    """

    shape: str
    colour: str
    size_px: int = 16
    category_col: str | None = None
    categories: dict[str, tuple[str, int]] = field(default_factory=dict)


#: Symbols per layer kind (the shelter green follows the green of Chinese emergency-shelter signs).
KIND_SYMBOLS: dict[str | None, KindSymbol] = {
    "shelters": KindSymbol(
        "circle", "#31a354", 16, "tier",
        {"县级": ("#00441b", 22), "乡镇级": ("#238b45", 17), "村级": ("#74c476", 13)},
    ),
    "institutions": KindSymbol(
        "square", "#2171b5", 16, "ownership",
        {"公办": ("#08519c", 16), "公建民营": ("#4292c6", 16), "民办": ("#6baed6", 16)},
    ),
    "daycare": KindSymbol("house", "#e6550d", 16),
    "cemeteries": KindSymbol(
        "diamond", "#756bb1", 16, "cemetery_type",
        {"公益性公墓": ("#54278f", 17), "骨灰堂": ("#9e9ac8", 15), "经营性公墓": ("#636363", 15)},
    ),
    "villages": KindSymbol("circle", "#737373", 9),
    "markers": KindSymbol("triangle", "#525252", 14),
    "graves": KindSymbol("circle", "#8c510a", 9),
    None: KindSymbol("circle", "#3182bd", 14),
}

#: Proposed (new) sites: a gold star with a dark outline, larger than existing symbols.
PROPOSED_FILL = "#ffd400"
PROPOSED_STROKE = "#7a3b00"
#: Boundary marker colours by finding.
FINDING_OK = "#1a9850"
FINDING_FLAGGED = "#d73027"
#: Uncovered demand.
UNCOVERED_COLOUR = "#d7301f"

#: Finding values that mean "no problem".
OK_FINDINGS = frozenset(
    {"", "ok", "正常", "完好", "无", "无问题", "合格", "通过", "none", "nan", "false", "0", "达标"}
)


def finding_flags(values: Sequence[Any] | pd.Series, column: str) -> np.ndarray:
    """Whether each finding value flags a problem (vectorised over a column).

    Boolean columns: ``True`` is a problem unless the column is named ``ok``. Text columns:
    empty, ``ok``, 正常, 完好, 无问题... are fine, any other text is a problem.
    """
    s = pd.Series(values)
    if s.dtype == bool or str(s.dtype) == "boolean":
        flags = s.fillna(False).astype(bool).to_numpy()
        return ~flags if column.lower() in ("ok", "is_ok", "passed") else flags
    text = s.astype("string").fillna("").str.strip().str.lower()
    return (~text.isin(OK_FINDINGS)).to_numpy()


# --- choropleth classes ------------------------------------------------------------------------
def class_edges(
    values: np.ndarray,
    *,
    centre: float | None,
    target: float | None,
    bins: Sequence[float] | None,
    n_classes: int,
    share: bool,
) -> np.ndarray:
    """Inner class edges (ascending) of a choropleth.

    Explicit ``bins`` win; with a positive target that is also the centre, classes at 50,
    80, 100, 120 and 150 % of the target; with another centre, the largest deviation split
    in thirds on each side; share columns 50/70/80/90/95 %; otherwise quantiles rounded to
    two significant digits.
    """
    if bins is not None:
        edges = np.unique(np.asarray(bins, dtype=float))
        return edges
    finite = values[np.isfinite(values)]
    if centre is not None:
        if target is not None and centre == target and target > 0:
            return target * np.array([0.5, 0.8, 1.0, 1.2, 1.5])
        r = float(np.max(np.abs(finite - centre))) if len(finite) else 1.0
        r = r or 1.0
        return centre + r * np.array([-2 / 3, -1 / 3, 0.0, 1 / 3, 2 / 3])
    if share:
        return np.array([0.5, 0.7, 0.8, 0.9, 0.95])[: max(n_classes - 1, 1)]
    if len(finite) == 0:
        return np.array([])
    q = np.quantile(finite, np.linspace(0, 1, n_classes + 1)[1:-1])
    return np.unique(np.array([float(f"{v:.2g}") for v in q]))


REDS = ("#b2182b", "#d6604d", "#ef8a62", "#f4a582", "#fddbc7")  # dark → light (below the centre)
BLUES = ("#d1e5f0", "#92c5de", "#67a9cf", "#4393c3", "#2166ac")  # light → dark (above)


def diverging_colours(below: int, above: int) -> list[str]:
    """Red classes below the centre (darkest furthest), blue classes at or above it."""
    reds = [REDS[i] for i in np.round(np.linspace(0, len(REDS) - 1, below)).astype(int)] if below else []
    blues = [BLUES[i] for i in np.round(np.linspace(0, len(BLUES) - 1, above)).astype(int)] if above else []
    if below == 1:
        reds = [REDS[2]]
    if above == 1:
        blues = [BLUES[2]]
    return [*reds, *blues]
