"""Chinese workbooks: the label table and the Excel writer."""

from __future__ import annotations

from .excel import LABELS, PARAM_LABELS, label, number_format, params_frame, to_chinese, write_excel

__all__ = [
    "LABELS",
    "PARAM_LABELS",
    "label",
    "number_format",
    "params_frame",
    "to_chinese",
    "write_excel",
]
