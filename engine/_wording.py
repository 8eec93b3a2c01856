"""A value as an error message names it, in the words of the file it came from (YAML, JSON), not
Python's: ``kind_of`` (what kind of value: ``null``, ``a list``, ``text``…) and ``shown`` (the value
itself: true/false, null, a date as YYYY-MM-DD, a number as a person writes it). The one way every
message names a wrong value (the packet's validation, the data check of any document)."""

from __future__ import annotations

import datetime
import functools
import math
import re
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


#: Pydantic's error types, in the project's words: what the value must be (", got <value>" follows).
_MUST_BE = {
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "finite_number": "must be a finite number",
    "string_type": "must be text",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "set_type": "must be a list",
    "model_type": "must be a mapping of fields",
    "model_attributes_type": "must be a mapping of fields",
    "dict_type": "must be a mapping of fields",
    "date_type": "must be a date as YYYY-MM-DD",
    "date_parsing": "must be a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "must be a date as YYYY-MM-DD",
    "date_from_datetime_inexact": "must be a date as YYYY-MM-DD",
}

#: Errors the models raise in their own words (their validators' ``ValueError``): said as they are, as
#: are the types of error pydantic does not know (the models' own ``PydanticCustomError``).
_OWN_WORDS = ("value_error", "assertion_error")


@functools.lru_cache(maxsize=1)
def _pydantic_types() -> frozenset[str]:
    """The types of error pydantic itself raises (in its own words, which are never shown)."""
    import typing

    from pydantic_core.core_schema import ErrorType

    return frozenset(typing.get_args(ErrorType))

#: A number past one of its field's bounds: the bound pydantic names it by, and the words for it.
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "less_than_equal": ("le", "at most"),
    "greater_than": ("gt", "more than"),
    "less_than": ("lt", "less than"),
}


def validation_message(err: Any, patterns: Any = None) -> str:
    """One of pydantic's complaints (an item of ``ValidationError.errors()``) in the project's words,
    the value as the file wrote it: ``must be at least 0, got -1``, ``'x' is not one of ic, both``,
    never pydantic's own ("Input should be greater than or equal to 0") nor a Python repr. A value
    error of the models' own validators keeps their words. ``patterns``: a text pattern → what
    a text that does not match it is told (``is not an id: lowercase words joined by -``)."""
    kind, given, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    got = f", got {shown(given)}"
    if kind in _OWN_WORDS or kind not in _pydantic_types():
        return str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return f"unknown key {shown(str(err['loc'][-1]) if err.get('loc') else '')}"
    if kind in _MUST_BE:
        return _MUST_BE[kind] + got
    if kind in _BOUNDS and _BOUNDS[kind][0] in ctx:
        bound = ctx[_BOUNDS[kind][0]]
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)  # 100.0 as a person writes it: 100
        return f"must be {_BOUNDS[kind][1]} {shown(bound)}{got}"
    if kind == "literal_error":
        return f"{shown(given)} is not one of {', '.join(literal_values(err)) or ctx.get('expected', '')}"
    if kind in ("string_too_short", "string_too_long"):
        limit = ctx.get("min_length" if kind == "string_too_short" else "max_length")
        if kind == "string_too_short" and limit == 1:
            return "must not be empty"
        side = "at least" if kind == "string_too_short" else "at most"
        return f"must be {side} {limit:,} characters long, got {len(given) if isinstance(given, str) else 0:,}"
    if kind in ("too_short", "too_long"):
        limit = ctx.get("min_length" if kind == "too_short" else "max_length")
        side = "at least" if kind == "too_short" else "at most"
        count = len(given) if isinstance(given, (list, tuple, dict)) else ctx.get("actual_length")
        return f"needs {side} {limit} item{'' if limit == 1 else 's'}, got {count or 'none'}"
    if kind == "string_pattern_mismatch":
        return f"{shown(given)} {(patterns or {}).get(ctx.get('pattern'), 'is not allowed here')}"
    return f"{shown(given)} is not allowed here"


def literal_values(err: Any) -> list[str]:
    """The values a ``literal_error`` of pydantic allows, as text (``ic``, ``both``)."""
    return re.findall(r"'((?:[^'\\]|\\.)*)'", str((err.get("ctx") or {}).get("expected", "")))
