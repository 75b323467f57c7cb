"""Exports to spreadsheets: one rule against formula injection for every domain.

A cell that starts with = + - @ (or a tab or carriage return) would be run as a formula
by Excel or LibreOffice when the CSV is opened; it is prefixed with an apostrophe.
Numbers and dates stay what they are.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Make a cell value inert in spreadsheets (no formulas from user text)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
