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
numbers Python can print, and only JSON-like values (no bytes, sets or objects). A JSON document
is read by ``careful_json`` alone, whoever reads it, so its refusals are worded the same everywhere.

Reading is bounded by what is *read* (``MAX_BYTES`` + 1 bytes at most), not by what ``stat`` says,
so ``/dev/zero``, a FIFO or a character device is refused like any other oversized file.

Line numbers are looked up only when an error needs one, with one targeted pass in C (the JSON
decoder skipping the values off the path, or the YAML parser's events) that stops at the field, so
the fast path pays nothing for them and a large file with one error at the end is still quick.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from typing import Any, Optional

from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, ScalarEvent

from . import errors
# Split by job into private modules; the names other modules use are re-exported from here.
from ._datacheck import MAX_DEPTH, _first, _huge_number_message, check_data, check_depth
from ._locate import (  # noqa: F401 (KeyAt: for the packet's errors)
    KeyAt,
    _ENDS,
    _STARTS,
    _YAML_SUFFIXES,
    _duplicate_key,
    _json_line,
    _line,
    _short,
    _yaml_path_at,
    format_path,
    line_of,
)
from ._yamlsafe import _BadNode, _safe_yaml
from .errors import InputError

#: Refuse inputs larger than this (a packet is a few KB; a ladder file a few dozen).
MAX_BYTES = 10 * 1024 * 1024

#: How every command names stdin in messages and records (here, where reading it needs nothing heavy).
STDIN_NAME = "<stdin>"

#: A string in JSON text (an unterminated one runs to the end, so a scan never backtracks).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.S)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


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
    """Bytes to text: UTF-8 with an optional BOM, else a clear error with the line, the bad byte and its
    column (counted in bytes from the start of its line, 1 first: the same for a file and a JSONL line)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError(f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at column {column}", code=errors.INPUT_ENCODING,
                         file=source, line=raw.count(b"\n", 0, exc.start) + 1) from None


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
    caller checks the data itself with ``check_data``. A packet's (or any document's) JSON is read
    by ``careful_json``, which does both; this alone is for small pieces (a ``--set`` value, a record).
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
        at = getattr(mark, "index", None)
        if isinstance(at, int) and 0 <= at < len(text) and text[at] == "\t" \
                and not text[text.rfind("\n", 0, at) + 1:at].strip(" \t-"):  # the scanner never says "tab"
            problem = "a tab in the indentation: YAML indents with spaces"
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
        loc, line, first = found
        same = "" if first is None else f" (the same key as '{_short(first)}' once read)"
        return InputError(f"duplicate key '{_short(str(loc[-1]))}'{same}", code=errors.INPUT_DUPLICATE_KEY,
                          file=source, line=line, path=format_path(loc[:-1]) or None)
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


def parse(text: str, source: str, *, kind: Optional[str] = None) -> Any:
    """Parse as ``kind`` says (``"json"`` or ``"yaml"``), else by file suffix (``.yaml``/``.yml`` as
    YAML, anything else as JSON), then check the data. JSON is read by ``careful_json``; YAML is
    refused when empty, as JSON is."""
    yaml = kind == "yaml" if kind is not None else source.lower().endswith(_YAML_SUFFIXES)
    if not yaml:
        return careful_json(text, source)
    _refuse_empty(text, source)
    return parse_yaml(text, source)  # checked already


#: The message of a text with nothing in it, whatever reads it.
EMPTY_MESSAGE = "there is nothing in it (it is empty, or only white space)"


def _refuse_empty(text: str, source: str) -> None:
    # U+FEFF is not white space to str.strip, but a BOM is not text either.
    if not text.lstrip("\ufeff").strip():
        raise InputError(EMPTY_MESSAGE, code=errors.INPUT_EMPTY, file=source)


def careful_json(text: str, source: str) -> Any:
    """The one careful reading of a JSON document: every reader of JSON packet text (a ``.json``
    file, ``Evaluator.evaluate_json``, ``read_json`` for stdin and request bodies, a batch's files
    and JSONL lines, the service) ends here when the one-pass reading cannot answer, so the same
    text gets the same error (code, message, line, field path) whichever way it came in.

    In order:

    - a BOM: any U+FEFF at the very start is dropped (``decode`` drops one from bytes already; a
      text read with plain ``utf-8`` keeps it). Dropping all of them, not one, gives the same answer
      whether the caller passed bytes or decoded them itself. Line numbers are unchanged;
    - empty: a text of nothing but white space (after the BOM) is refused with ``input.empty`` and
      ``EMPTY_MESSAGE``, and no line: nothing was written, so "empty" is truer than json's
      "Expecting value" at the end, and the whole text is at fault, not a line of it;
    - ``parse_json``: nesting past ``MAX_DEPTH`` (the line of the first bracket too deep),
      malformed JSON and trailing text (``input.json``, json's line), a repeated key (its line and
      the path of its mapping), NaN/Infinity literals and whole numbers too long to read (line and
      path of the value);
    - ``check_data`` on the data *with the text*, so that a lone surrogate escape (``"\\ud800"``),
      or anything else it refuses, names its line as well as its path.

    Any JSON value is returned: that a packet must be a mapping is ``to_packet``'s to say.
    """
    if text[:1] == "\ufeff":
        text = text.lstrip("\ufeff")
    _refuse_empty(text, source)
    data = parse_json(text, source)
    check_data(data, source, text)
    return data


def load(path: str) -> Any:
    """Read and parse one JSON or YAML file."""
    return parse(read_text(path), path)
