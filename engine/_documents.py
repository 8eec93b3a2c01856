"""Reading JSON and YAML safely, and finding the line of a field path for error messages.

Safety rules: YAML goes through the safe loader only (no tag constructs an object; unknown tags are
refused), duplicate keys are errors in both formats, YAML aliases are refused (an alias bomb expands
only when traversed, so it is caught before anything walks it), and nesting deeper than
``MAX_DEPTH`` is refused *before* the document is built: the YAML C loader builds documents
recursively in C and overflows the C stack (a segfault, not an exception) on a few thousand
levels, so a first pass over the parser's events (which libyaml produces without recursion)
counts the depth and stops at the first node past the limit, with its line. JSON gets a scan of
its brackets outside strings when it has enough of them to be too deep. What a file may hold is
checked once more on the data (``check_data``): the same depth, text that is valid Unicode, whole
numbers Python can print, and only JSON-like values (no bytes, sets or objects).

Reading is bounded by what is *read* (``MAX_BYTES`` + 1 bytes at most), not by what ``stat`` says,
so ``/dev/zero``, a FIFO or a character device is refused like any other oversized file.

Line numbers are looked up only when an error needs one, with one targeted pass in C (the JSON
decoder skipping the values off the path, or the YAML parser's events) that stops at the field, so
the fast path pays nothing for them and a large file with one error at the end is still quick.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import stat
import sys
from functools import lru_cache
from typing import Any, Callable, Iterator, Optional, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from . import errors
from .errors import InputError, PromoreadyError

#: Refuse inputs larger than this (a packet is a few KB; a ladder file a few dozen).
MAX_BYTES = 10 * 1024 * 1024
#: The deepest node a document may have (the root is at depth 1; no contract document is deeper than 6).
MAX_DEPTH = 64

_YAML_SUFFIXES = (".yaml", ".yml")
_STARTS = (MappingStartEvent, SequenceStartEvent)
_ENDS = (MappingEndEvent, SequenceEndEvent)
_SURROGATE = re.compile("[\ud800-\udfff]")
#: A string in JSON text (an unterminated one runs to the end, so a scan never backtracks).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.S)
_JSON_BRACKET = re.compile(r"[\[\]{}]")
_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_PLAIN_JSON = json.JSONDecoder()
# The decoder's own string reader (C when available); typeshed does not declare it, but it is public
# in json.decoder and is what JSONDecoder itself uses.
_scanstring: Callable[[str, int], tuple[str, int]] = getattr(json.decoder, "scanstring")


class _Constructor(SafeConstructor):
    """The safe constructor, with every failure of a value tied to the node it came from.

    The stock one lets a few scalars escape as bare Python exceptions (``int()`` of a 5,000-digit
    number, a ``!!bool`` that is not one); here each becomes an error with the node's line.
    """

    def construct_non_recursive_object(self, node: Any, tag: Optional[str] = None) -> Any:
        try:
            return super().construct_non_recursive_object(node, tag)
        except (YAMLError, RecursionError, MemoryError):
            raise
        except Exception as exc:  # whatever else a constructor raised, it is this node's fault
            raise _BadNode(node, exc) from None

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        # `2026-02-30` looks like a date but is none: keep the text, as JSON would, so the field's
        # own validation reports it with its path ("not a calendar date") instead of the loader.
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return node.value


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


class _BadNode(Exception):
    """A scalar the constructor could not turn into a value (carried to ``parse_yaml``)."""

    def __init__(self, node: Any, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.node = node
        self.cause = cause


def _safe_yaml() -> YAML:
    # The C parser (ruamel.yaml.clib, libyaml) when installed: five times faster on ladder files.
    yaml = YAML(typ="safe")
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = False
    return yaml


# -- reading --------------------------------------------------------------------------------------


def read_text(path: str) -> str:
    """Read a file as UTF-8 (a BOM is accepted), with a clear error for every way this can fail.

    At most ``MAX_BYTES`` + 1 bytes are read, whatever the file is: a device or a pipe that never
    ends is refused as too large once that much has arrived (``stat`` gives them a size of 0).
    """
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError("no such file", code=errors.INPUT_NOT_FOUND, file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", code=errors.INPUT_UNREADABLE, file=path) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a folder, expected a file", code=errors.INPUT_IS_FOLDER, file=path)
    if info.st_size > MAX_BYTES:
        raise InputError(f"file is {info.st_size:,} bytes; the limit is {MAX_BYTES:,}", code=errors.INPUT_TOO_LARGE,
                         file=path)
    try:
        with open(path, "rb") as fh:
            raw = _read_at_most(fh, MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", code=errors.INPUT_UNREADABLE, file=path) from None
    if len(raw) > MAX_BYTES:
        kind = "file" if stat.S_ISREG(info.st_mode) else "device or pipe"
        raise InputError(f"this {kind} gives more than {MAX_BYTES:,} bytes, the limit", code=errors.INPUT_TOO_LARGE,
                         file=path)
    return decode(raw, path)


def _read_at_most(fh: Any, limit: int) -> bytes:
    # A pipe or a terminal returns what it has so far: keep reading until the end or the limit.
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = fh.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def decode(raw: bytes, source: str) -> str:
    """Bytes to text: UTF-8 with an optional BOM, else a clear error with the byte offset."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", code=errors.INPUT_ENCODING, file=source,
                         line=raw.count(b"\n", 0, exc.start) + 1) from None


# -- JSON -----------------------------------------------------------------------------------------


class _DuplicateKey(InputError):
    """A key given twice in one JSON object (the key is kept to find its line)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate key '{_short(key)}'", code=errors.INPUT_DUPLICATE_KEY)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(key)
        seen[key] = value
    return seen


def _reject_constant(name: str) -> Any:
    raise InputError(f"{name} is not a number", code=errors.INPUT_NOT_A_NUMBER)


class _Marked:
    """Stands in for a value json cannot or must not build, so that its field path can be found."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def parse_json(text: str, source: str) -> Any:
    """Parse JSON: duplicate keys, NaN and Infinity are errors, with the line where json knows it.

    Nesting deeper than ``MAX_DEPTH`` brackets is refused before parsing, with its line; the
    caller checks the data itself with ``check_data`` (``parse`` does).
    """
    if text.count("[") + text.count("{") > MAX_DEPTH:
        line = _json_too_deep(text)
        if line is not None:
            raise InputError(f"nested more than {MAX_DEPTH} levels deep", code=errors.INPUT_TOO_DEEP, file=source,
                             line=line)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", code=errors.INPUT_JSON, file=source, line=exc.lineno) from None
    except _DuplicateKey as exc:
        found = _duplicate_key(text)
        if found is not None and found[0][-1] == exc.key:
            exc.path = format_path(found[0][:-1]) or None
            raise exc.located(file=source, line=found[1]) from None
        raise exc.located(file=source, line=_json_duplicate_line(text, exc.key)) from None
    except InputError as exc:  # NaN or Infinity
        raise _json_marked_error(text, source, exc.message, exc.code, constant=True) from None
    except ValueError as exc:  # a whole number longer than Python converts (sys.get_int_max_str_digits)
        raise _json_marked_error(text, source, "", errors.INPUT_HUGE_NUMBER, constant=False, cause=exc) from None
    except RecursionError:
        raise InputError("nested deeper than Python can parse", code=errors.INPUT_TOO_DEEP, file=source) from None


def _json_too_deep(text: str) -> Optional[int]:
    """The line of the first bracket past ``MAX_DEPTH`` levels, outside strings; None if there is none."""
    # A JSON string cannot hold a raw line break, so dropping the strings keeps every line number.
    bare = _JSON_STRING.sub("", text) if '"' in text else text
    depth = 0
    for match in _JSON_BRACKET.finditer(bare):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return bare.count("\n", 0, match.start()) + 1
        else:
            depth -= 1
    return None


def _json_marked_error(text: str, source: str, message: str, code: str, *, constant: bool,
                       cause: Optional[BaseException] = None) -> InputError:
    """The error for a NaN/Infinity or an over-long number, with its field path and line.

    json raises these without a position; a second parse puts a marker in their place (so the
    document can be built) and the path is where the first marker is.
    """
    limit = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0

    def long_int(digits: str) -> Any:
        return _Marked(digits) if limit and len(digits.lstrip("-")) > limit else int(digits)

    try:
        if constant:
            data = json.loads(text, parse_constant=_Marked)
        else:
            data = json.loads(text, parse_int=long_int)
    except Exception:  # the first error stands, without a path
        return InputError(message or f"unreadable number: {cause}", code=code, file=source)
    found = _first(data, lambda node: isinstance(node, _Marked))
    if found is None:
        return InputError(message or f"unreadable number: {cause}", code=code, file=source)
    loc, marker = found
    if not constant:
        message = _huge_number_message(len(marker.text.lstrip("-")))
    return InputError(message, code=code, file=source, line=_json_line(text, loc), path=format_path(loc) or None)


def _huge_number_message(digits: int) -> str:
    return f"a whole number of {digits:,} digits is too long to read"


def _json_duplicate_line(text: str, key: str) -> Optional[int]:
    # The second place the key is written as a key (json writes it as the text has it, or escaped).
    for spelling in dict.fromkeys((json.dumps(key, ensure_ascii=False), json.dumps(key))):
        hits = [m.start() for m in re.finditer(re.escape(spelling) + r"\s*:", text)]
        if len(hits) > 1:
            return text.count("\n", 0, hits[1]) + 1
    return None


# -- YAML -----------------------------------------------------------------------------------------


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML with the safe loader; tags, duplicate keys, aliases and deep nesting are refused.

    The data is checked with ``check_data`` before it is returned.
    """
    _check_events(text, source)
    try:
        data = _safe_yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if "duplicate key" in str(exc):
            raise _yaml_duplicate_error(text, source, exc) from None
        problem = (exc.problem or exc.context or "malformed YAML").strip()
        code = errors.INPUT_YAML
        if "constructor for the tag" in problem:
            code = errors.INPUT_YAML_TAG
            problem = "tags are not allowed (" + problem.split("tag", 1)[-1].strip() + ")"
        raise InputError(problem, code=code, file=source, line=mark.line + 1 if mark else None) from None
    except _BadNode as bad:
        raise _bad_node_error(text, source, bad) from None
    except YAMLError as exc:
        raise InputError(f"malformed YAML: {_short(str(exc), 200)}", code=errors.INPUT_YAML, file=source) from None
    except RecursionError:
        raise InputError("nested deeper than Python can parse", code=errors.INPUT_TOO_DEEP, file=source) from None
    except (MemoryError, KeyboardInterrupt):
        raise
    except Exception as exc:  # the loader's own bookkeeping failed (it formats a duplicate's value: a huge int)
        if _duplicate_key(text) is not None:
            raise _yaml_duplicate_error(text, source, None) from None
        raise InputError(f"cannot read this YAML ({type(exc).__name__})", code=errors.INPUT_YAML, file=source) from None
    check_data(data, source, text)
    return data


def _yaml_duplicate_error(text: str, source: str, exc: Optional[MarkedYAMLError]) -> InputError:
    """A duplicate key, worded as JSON's is (the loader's message quotes both values, whatever their size)."""
    found = _duplicate_key(text)
    if found is not None:
        loc, line = found
        return InputError(f"duplicate key '{_short(str(loc[-1]))}'", code=errors.INPUT_DUPLICATE_KEY, file=source,
                          line=line, path=format_path(loc[:-1]) or None)
    mark = exc.problem_mark or exc.context_mark if exc is not None else None
    problem = (exc.problem or "duplicate key").replace("found ", "") if exc is not None else "duplicate key"
    return InputError(_short(problem, 200), code=errors.INPUT_DUPLICATE_KEY, file=source,
                      line=mark.line + 1 if mark else None)


def _check_events(text: str, source: str) -> None:
    """One pass over the parser's events, before anything is built: depth and aliases.

    A syntax error ends the pass quietly: the load that follows reports it, with its line.
    """
    depth = 0
    try:
        for event in _safe_yaml().parse(text):
            kind = type(event)
            if kind is ScalarEvent:
                if depth >= MAX_DEPTH:
                    raise _too_deep_at(event, source)
            elif kind in _STARTS:
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep_at(event, source)
            elif kind in _ENDS:
                depth -= 1
            elif kind is AliasEvent:
                raise InputError("YAML aliases (*name) are not allowed: write the value out", code=errors.INPUT_YAML_ALIAS,
                                 file=source, line=_line(event))
    except YAMLError:
        return


def _too_deep_at(event: Any, source: str) -> InputError:
    return InputError(f"nested more than {MAX_DEPTH} levels deep", code=errors.INPUT_TOO_DEEP, file=source,
                      line=_line(event))


def _line(event: Any) -> Optional[int]:
    return event.start_mark.line + 1 if event.start_mark is not None else None


def _bad_node_error(text: str, source: str, bad: _BadNode) -> InputError:
    node, cause = bad.node, bad.cause
    line = node.start_mark.line + 1 if node.start_mark is not None else None
    loc = _yaml_path_at(text, node.start_mark) if node.start_mark is not None else None
    path = format_path(loc) if loc else None
    value = str(getattr(node, "value", ""))
    tag = str(node.tag).rsplit(":", 1)[-1]
    if isinstance(cause, ValueError) and tag == "int" and len(value) > 1000:
        return InputError(_huge_number_message(sum(c.isdigit() for c in value)), code=errors.INPUT_HUGE_NUMBER,
                          file=source, line=line, path=path)
    return InputError(f"cannot read {_short(repr(value))} as !!{tag}", code=errors.INPUT_YAML, file=source, line=line,
                      path=path)


# -- parsing and checking -------------------------------------------------------------------------


def parse(text: str, source: str) -> Any:
    """Parse by file suffix (``.yaml``/``.yml`` as YAML, anything else as JSON), then check the data."""
    if not text.strip():
        raise InputError("the file is empty", code=errors.INPUT_EMPTY, file=source)
    if source.lower().endswith(_YAML_SUFFIXES):
        return parse_yaml(text, source)  # checked already
    data = parse_json(text, source)
    check_data(data, source, text)
    return data


def load(path: str) -> Any:
    """Read and parse one JSON or YAML file."""
    return parse(read_text(path), path)


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
    if key:  # the problem is the key itself: a text key is named (escaped), another kind by its mapping
        node = loc[-1]
        if not isinstance(node, str):
            loc = loc[:-1]

    def error(cls: type, message: str, code: str, at: tuple = loc) -> PromoreadyError:
        return cls(message, code=code, file=source, path=format_path(at) or None, line=_line_for(text, source, at))

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
    name = type(node).__name__
    hint = {"bytes": " (YAML !!binary): write it as text", "bytearray": ": write it as text",
            "set": " (a set has no stable order): write a list"}.get(name, "")
    if key:
        return error(InputError, f"a key must be text, a number, true/false, null or a date; got {name} "
                                 f"{_short(repr(node))}", errors.INPUT_UNSUPPORTED_VALUE)
    return error(InputError, f"only text, numbers, true/false, null, dates, lists and mappings are allowed; got "
                             f"{name}{hint}", errors.INPUT_UNSUPPORTED_VALUE)


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


def _short(text: str, width: int = 60) -> str:
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= width else text[: width - 1] + "…"


# -- paths and lines ------------------------------------------------------------------------------


def format_path(loc: Sequence[Any]) -> str:
    """``('reviews', 1, 'end')`` → ``reviews[1].end``."""
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            text = str(part)
            if not text.isascii() and _SURROGATE.search(text):
                text = text.encode("utf-8", "backslashreplace").decode("utf-8")
            out += ("." if out else "") + text
    return out


def _line_for(text: Optional[str], source: Optional[str], loc: Sequence[Any]) -> Optional[int]:
    return line_of(text, loc, source) if text is not None else None


def line_of(text: str, loc: Sequence[Any], source: Optional[str] = None) -> Optional[int]:
    """The 1-based line of the deepest existing node on ``loc`` in YAML or JSON text, if found.

    For a mapping key, the key's line; for a list item, the item's. ``source`` (a file name) says
    which reader: JSON when it does not end in ``.yaml``/``.yml`` and the text starts as JSON does
    (``{`` or ``[``: stdin is told apart that way); else, or without it, YAML (which reads JSON too).
    """
    if source is not None and not source.lower().endswith(_YAML_SUFFIXES) and text.lstrip()[:1] in ("{", "["):
        line = _json_line(text, loc)
        if line is not None:
            return line
    return _yaml_line(text, loc)


def _skip_space(text: str, pos: int) -> int:
    """The first position at or after ``pos`` that is not JSON whitespace."""
    found = _JSON_SPACE.match(text, pos)
    assert found is not None  # the pattern matches the empty string, even past the end
    return found.end()


def _json_line(text: str, loc: Sequence[Any]) -> Optional[int]:
    """The JSON decoder, in C, skips every value off the path; Python only walks the path itself."""
    space = _skip_space
    try:
        pos = space(text, 0)
        root, found = pos, None
        for part in loc:
            opener = text[pos]
            if opener == "{" and isinstance(part, str):
                pos = space(text, pos + 1)
                hit = None
                while text[pos] == '"':
                    key, end = _scanstring(text, pos + 1)
                    key_at = pos
                    pos = space(text, end) + 1  # past the colon
                    pos = space(text, pos)
                    if key == part:
                        hit = key_at
                        break
                    pos = space(text, _PLAIN_JSON.raw_decode(text, pos)[1])
                    if text[pos] != ",":
                        break
                    pos = space(text, pos + 1)
            elif opener == "[" and isinstance(part, int) and not isinstance(part, bool):
                pos = space(text, pos + 1)
                hit = None
                index = 0
                while text[pos] != "]":
                    if index == part:
                        hit = pos
                        break
                    pos = space(text, _PLAIN_JSON.raw_decode(text, pos)[1])
                    if text[pos] != ",":
                        break
                    pos = space(text, pos + 1)
                    index += 1
            else:
                break
            if hit is None:
                break
            found = hit
        at = root if found is None else found
        return text.count("\n", 0, at) + 1
    except (ValueError, IndexError):
        return None


def _events(text: str) -> Iterator[Any]:
    return iter(_safe_yaml().parse(text))


def _skip(events: Iterator[Any], event: Any) -> None:
    """Consume the rest of the node that ``event`` starts."""
    if type(event) not in _STARTS:
        return
    depth = 1
    for event in events:
        kind = type(event)
        if kind in _STARTS:
            depth += 1
        elif kind in _ENDS:
            depth -= 1
            if not depth:
                return


def _yaml_line(text: str, loc: Sequence[Any]) -> Optional[int]:
    """Walk the parser's events down ``loc``, skipping every node off it."""
    try:
        events = _events(text)
        node = next(e for e in events if type(e) in _STARTS or type(e) in (ScalarEvent, AliasEvent))
        line = None
        root = _line(node)
        for part in loc:
            hit = None
            if type(node) is MappingStartEvent and isinstance(part, str):
                for key in events:
                    if type(key) is MappingEndEvent:
                        break
                    if type(key) is ScalarEvent and key.value == part:
                        hit, node = key, next(events)
                        break
                    _skip(events, key)
                    _skip(events, next(events))
            elif type(node) is SequenceStartEvent and isinstance(part, int) and not isinstance(part, bool):
                for index, item in enumerate(events):
                    if type(item) is SequenceEndEvent:
                        break
                    if index == part:
                        hit, node = item, item
                        break
                    _skip(events, item)
            if hit is None:
                break
            line = _line(hit)
        return line if line is not None else root
    except (YAMLError, StopIteration):
        return None


def _yaml_nodes(text: str) -> Iterator[tuple[tuple, Any, Optional[set]]]:
    """Every node's path and start event, in document order, with the keys its mapping has had so far
    when the node is a key (else None). A key's own path is its mapping's."""
    # Each frame: [is a mapping, path, expecting a key, last key, next index, keys seen].
    frames: list[list] = []
    for event in _events(text):
        kind = type(event)
        if kind in _ENDS:
            frames.pop()
            _done(frames, None)
            continue
        if kind not in _STARTS and kind is not ScalarEvent and kind is not AliasEvent:
            continue
        keys = None
        if not frames:
            loc: tuple = ()
        else:
            frame = frames[-1]
            if not frame[0]:
                loc = frame[1] + (frame[4],)
            elif frame[2]:
                loc, keys = frame[1], frame[5]
            else:
                loc = frame[1] + (frame[3],)
        yield loc, event, keys
        if kind in _STARTS:
            frames.append([kind is MappingStartEvent, loc, True, None, 0, set()])
        else:
            _done(frames, event)


def _done(frames: list[list], event: Any) -> None:
    # A node just ended inside the innermost frame: move that frame on to its next key, value or item.
    if not frames:
        return
    frame = frames[-1]
    if not frame[0]:
        frame[4] += 1
    elif frame[2]:
        frame[2], frame[3] = False, event.value if type(event) is ScalarEvent else "?"
        frame[5].add(frame[3])
    else:
        frame[2] = True


def _yaml_path_at(text: str, mark: Any) -> Optional[tuple]:
    """The field path of the node that starts at ``mark`` (a key's own path is its mapping's)."""
    try:
        for loc, event, _ in _yaml_nodes(text):
            start = event.start_mark
            if start is not None and (start.line, start.column) == (mark.line, mark.column):
                return loc
    except YAMLError:
        return None
    return None


def _duplicate_key(text: str) -> Optional[tuple[tuple, Optional[int]]]:
    """The path and line of the first key written twice in one mapping (JSON is read as YAML here)."""
    try:
        for loc, event, keys in _yaml_nodes(text):
            if keys is not None and type(event) is ScalarEvent and event.value in keys:
                return loc + (event.value,), _line(event)
    except YAMLError:
        return None
    return None
