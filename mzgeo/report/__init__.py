"""Chinese tables: the one label table (:mod:`.labels`) and the Excel writer (:mod:`.excel`)."""

from __future__ import annotations

from .excel import cell_value, params_frame, sheet_title, to_chinese, write_excel
from .labels import ACCESS_METHOD_SHORT, FORMATS, KIND_LABELS, LABELS, PARAM_LABELS, label, number_format

__all__ = [
    "ACCESS_METHOD_SHORT",
    "FORMATS",
    "KIND_LABELS",
    "LABELS",
    "PARAM_LABELS",
    "cell_value",
    "label",
    "number_format",
    "params_frame",
    "sheet_title",
    "to_chinese",
    "write_excel",
]
