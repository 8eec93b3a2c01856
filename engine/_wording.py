"""A value as an error message names it, in the words of the file it came from (YAML, JSON), not
Python's: ``kind_of`` (what kind of value: ``null``, ``a list``, ``text``…) and ``shown`` (the value
itself: true/false, null, a date as YYYY-MM-DD, a number as written)."""

from __future__ import annotations

import datetime
import math
from typing import Any


def shown(value: Any, width: int = 80) -> str:
    """A value as an error message quotes it, in the words of the file it came from (YAML, JSON):
    true/false, null, a date as YYYY-MM-DD, text in quotes, a number as written; a list or mapping
    by its items when short, else by its kind; everything cut short (a 10,000-character text is
    not a message). Never a Python repr (``True``, ``None``, ``datetime.date(…)``, ``inf``)."""
    return cut(_said(value, 2), width)


def _said(value: Any, depth: int) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, float) and not math.isfinite(value):
        # A number past a float's range (1e400) reads as infinity; NaN only from YAML's .nan.
        if math.isnan(value):
            return "NaN (not a number)"
        return f"a {'negative ' if value < 0 else ''}number too large to hold"
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (int, float, str)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        if len(value) > 8 or depth <= 0:
            return kind_of(value)
        return "[" + ", ".join(_said(v, depth - 1) for v in value) + "]"
    if isinstance(value, dict):
        if len(value) > 8 or depth <= 0:
            return kind_of(value)
        return "{" + ", ".join(f"{k if isinstance(k, str) else _said(k, 0)}: {_said(v, depth - 1)}"
                               for k, v in value.items()) + "}"
    return kind_of(value)


def kind_of(value: Any) -> str:
    """What kind of value this is, in JSON's and YAML's terms: ``null``, ``a list``, ``text``…"""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime.datetime):
        return "a date and time"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a value of another kind"


def cut(text: str, width: int) -> str:
    """``text``, cut to at most ``width`` characters (the last an ellipsis when cut)."""
    return text if len(text) <= width else text[: width - 1] + "…"
