"""A value as an error message names it, in the words of the file it came from (YAML, JSON), not
Python's: ``kind_of`` (what kind of value: ``null``, ``a list``, ``text``…) and ``shown`` (the value
itself: true/false, null, a date as YYYY-MM-DD, a number as a person writes it). The one way every
message names a wrong value (the packet's validation, the data check of any document)."""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from typing import Any

#: A number this small is written out in full (``1e-07`` as ``0.0000001``); a smaller one, or one
#: of 1e16 or more (which Python writes as ``1e+16``), as a person writes it: ``1e-12``, ``-1e20``.
_PLAIN_PLACES = 10


def shown(value: Any, width: int = 80) -> str:
    """A value as an error message quotes it, in the words of the file it came from (YAML, JSON):
    true/false, null, a date as YYYY-MM-DD, text in quotes, a number as written; a list or mapping
    by its items when short, else by its kind; everything cut short (a 10,000-character text is
    not a message). Never a Python repr (``True``, ``None``, ``datetime.date(…)``, ``inf``,
    ``1e-07``, ``(1, 2)``)."""
    return cut(_said(value, 2), width)


def _said(value: Any, depth: int) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, float):
        return number(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (int, str)):
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


def number(value: float) -> str:
    """A float as a person writes it: plain decimal (``-0.0000001``, not ``-1e-07``) unless it is
    very small or very large (``1e-12``; ``-1e20``, not ``-1e+20``). Infinity is said as such,
    whether the file wrote it (YAML ``.inf``, ``-.inf``) or wrote a number too large to hold
    (``1e400``): a float cannot tell them apart."""
    if math.isnan(value):
        return "NaN (not a number)"
    if math.isinf(value):
        return f"{'-' if value < 0 else ''}infinity (or a {'negative ' if value < 0 else ''}number too large to hold)"
    text = repr(value)
    if "e" not in text:
        return text
    exact = Decimal(text)
    if -_PLAIN_PLACES <= exact.adjusted() < 0:
        return format(exact, "f")
    return text.replace("e+", "e")


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
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if isinstance(value, (set, frozenset)):
        return "a set"
    return "a value of another kind"


def cut(text: str, width: int) -> str:
    """``text``, cut to at most ``width`` characters (the last an ellipsis when cut)."""
    return text if len(text) <= width else text[: width - 1] + "…"


def escaped_surrogates(text: str) -> str:
    """``text`` with the lone surrogates Python keeps for bytes that are not UTF-8 (in file names, say)
    written as ``\\udcNN``, the way Python's stderr shows them, so that it can be written out as UTF-8."""
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")
