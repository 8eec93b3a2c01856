"""What a document's data may hold, checked on the data itself (``check_data``): nesting depth,
data that contains itself, valid Unicode, whole numbers Python can print, JSON-like values only."""

from __future__ import annotations

import datetime
import sys
from functools import lru_cache
from typing import Any, Optional

from . import errors
from ._locate import _SURROGATE, KeyAt, _line_for, format_path
from ._wording import kind_of, shown
from .errors import InputError, PromoreadyError

#: The deepest node a document may have (the root is at depth 1; no contract document is deeper than 6).
MAX_DEPTH = 64


def _huge_number_message(digits: int) -> str:
    return f"a whole number of {digits:,} digits is too long to read"


_LEAVES = (str, int, float, type(None), datetime.date)
_KEYS = (str, int, float, type(None), datetime.date)


@lru_cache(maxsize=4)
def _int_bound(digits: int) -> int:
    return 10 ** digits


def check_data(data: Any, source: Optional[str], text: Optional[str] = None) -> None:
    """Refuse what no packet or rules file may hold, naming the field path (and line, given the text).

    - nodes deeper than ``MAX_DEPTH`` (the root is at depth 1), and data that contains itself;
    - values that are not JSON-like data: only mappings, lists (and tuples), text, numbers,
      true/false, null and dates; no bytes (YAML ``!!binary``), sets (no stable order), objects;
    - text that is not valid Unicode (a lone surrogate such as ``"\\ud800"``: it cannot be written out);
    - whole numbers too long for Python to print (``sys.get_int_max_str_digits``).
    """
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    big = _int_bound(limit) if limit else None
    kind = type(data)
    if (kind is dict or kind is list) and _plain(data, 2, big):
        return
    # The careful walk, which also names the problem. Each entry is (node, depth, parent entry,
    # key): the path is rebuilt from the chain only on error.
    stack: list[tuple] = [(data, 1, None, None)]
    pop, push = stack.pop, stack.append
    while stack:
        entry = pop()
        node, depth = entry[0], entry[1]
        if depth > MAX_DEPTH:
            raise _data_error(entry, source, text, "deep")
        kind = type(node)
        if kind is str:
            if not node.isascii() and _SURROGATE.search(node):
                raise _data_error(entry, source, text, "surrogate")
        elif kind is float or kind is bool or node is None:
            pass
        elif kind is int:
            if big is not None and not -big < node < big:
                raise _data_error(entry, source, text, "int")
        elif kind is dict or (kind is not list and isinstance(node, dict)):
            children = []
            for key, value in node.items():
                child = (value, depth + 1, entry, key)
                if type(key) is str:
                    if not key.isascii() and _SURROGATE.search(key):
                        raise _data_error(child, source, text, "surrogate", key=True)
                elif not isinstance(key, _KEYS):
                    raise _data_error(child, source, text, "type", key=True)
                elif big is not None and type(key) is int and not -big < key < big:
                    raise _data_error(child, source, text, "int", key=True)
                children.append(child)
            children.reverse()  # popped in document order, so the first problem is the one reported
            stack.extend(children)
        elif kind is list or isinstance(node, (list, tuple)):
            for i in range(len(node) - 1, -1, -1):
                push((node[i], depth + 1, entry, i))
        elif isinstance(node, str):
            if _SURROGATE.search(node):
                raise _data_error(entry, source, text, "surrogate")
        elif not isinstance(node, _LEAVES):
            raise _data_error(entry, source, text, "type")


def _plain(node: Any, depth: int, big: Optional[int]) -> bool:
    """Whether a dict or list is plainly fine: the common case, three times faster than the careful
    walk. ``depth`` is that of its children. Anything unusual (even if allowed) answers False."""
    if depth > MAX_DEPTH and node:
        return False
    if type(node) is dict:
        for key in node:
            if type(key) is not str or (not key.isascii() and _SURROGATE.search(key)):
                return False
        values = node.values()
    else:
        values = node
    for value in values:
        kind = type(value)
        if kind is str:
            if not value.isascii() and _SURROGATE.search(value):
                return False
        elif kind is dict or kind is list:
            if not _plain(value, depth + 1, big):
                return False
        elif kind is int:
            if big is not None and not -big < value < big:
                return False
        elif not (kind is float or kind is bool or value is None or kind is datetime.date):
            return False
    return True


#: ``check_data`` under the name its first callers know (it checked only the depth then).
check_depth = check_data


def _chain(entry: tuple) -> list[tuple]:
    out = []
    while entry is not None:
        out.append(entry)
        entry = entry[2]
    out.reverse()
    return out


def _data_error(entry: tuple, source: Optional[str], text: Optional[str], problem: str, *,
                key: bool = False) -> PromoreadyError:
    """The error for the node of ``entry`` (or, with ``key``, for its key), with its path and line."""
    chain = _chain(entry)
    loc = tuple(e[3] for e in chain[1:])
    node = entry[0]
    found_at = loc  # where the line is looked for
    if key:  # the problem is the key itself: a text key is named (escaped), another kind by its mapping
        node = loc[-1]
        if not isinstance(node, str):  # on its own line, found by its place (no text finds it)
            loc = loc[:-1]
            found_at = loc + (KeyAt(list(entry[2][0]).index(node)),)

    def error(cls: type, message: str, code: str, at: Optional[tuple] = None) -> PromoreadyError:
        return cls(message, code=code, file=source, path=format_path(loc if at is None else at) or None,
                   line=_line_for(text, source, found_at if at is None else at))

    if problem == "deep":
        # Data that contains itself is infinitely deep: say so, where it first comes back.
        seen: dict[int, int] = {}
        for i, e in enumerate(chain):
            if isinstance(e[0], (dict, list, tuple)):
                if id(e[0]) in seen:
                    back = format_path(loc[:seen[id(e[0])]]) or "the whole document"
                    return error(InputError, f"refers back to {back}: data that contains itself cannot be read",
                                 errors.INPUT_SELF_REFERENCE, loc[:i])
                seen[id(e[0])] = i
        return error(InputError, f"nested more than {MAX_DEPTH} levels deep", errors.INPUT_TOO_DEEP)
    if problem == "int":
        return error(InputError, _huge_number_message(_digits(node)), errors.INPUT_HUGE_NUMBER)
    if problem == "surrogate":
        found = _SURROGATE.search(node)
        assert found is not None  # "surrogate" is only reported for text the pattern matched
        return error(InputError, f"{'a key' if key else 'text'} holds a lone surrogate (\\u{ord(found.group()):04x} at "
                                 f"character {found.start()}), which is not valid Unicode", errors.INPUT_ENCODING)
    if key:  # a list key (YAML's ``[1, 2]:``) is read as a tuple: named as the list it was written as
        said = shown(node, 60)  # a kind with no value to show (binary data) is named once
        return error(InputError, f"a key must be text, a number, true/false, null or a date; got "
                                 f"{kind_of(node)}{'' if said == kind_of(node) else ' ' + said}",
                     errors.INPUT_UNSUPPORTED_VALUE)
    hints: dict[type, str] = {bytes: " (bytes, as YAML !!binary makes): write it as text", bytearray: ": write it as text",
                              set: " (a set has no stable order): write a list"}
    hint = hints.get(type(node), "")
    return error(InputError, f"only text, numbers, true/false, null, dates, lists and mappings are allowed; got "
                             f"{kind_of(node)}{hint}", errors.INPUT_UNSUPPORTED_VALUE)


def _digits(number: int) -> int:
    # Without converting to text (that is what fails): the bit length bounds the digit count.
    return max(1, int(abs(number).bit_length() * 0.30103) + 1)


def _first(data: Any, wanted: Any) -> Optional[tuple[tuple, Any]]:
    """The path and value of the first node, in document order, for which ``wanted`` is true."""
    stack: list[tuple[Any, tuple]] = [(data, ())]
    while stack:
        node, loc = stack.pop()
        if wanted(node):
            return loc, node
        if isinstance(node, dict):
            stack.extend((v, loc + (k,)) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((node[i], loc + (i,)) for i in range(len(node) - 1, -1, -1))
    return None
