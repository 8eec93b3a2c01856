"""Reading JSON and YAML safely, and finding the line of a field path for error messages.

Safety rules: YAML goes through the safe loader only (no tag constructs an object; unknown tags are
refused), duplicate keys are errors in both formats, YAML aliases are refused (an alias bomb expands
only when traversed, so it is caught before anything walks it), and deep nesting is refused instead
of overflowing the stack. Line numbers are looked up only when an error needs one, by re-reading
the text with the round-trip loader, so the fast path pays nothing for them.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Optional, Sequence

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from . import errors
from .errors import InputError

#: Refuse inputs larger than this before parsing (a packet is a few KB; a ladder file a few dozen).
MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 64

_YAML_SUFFIXES = (".yaml", ".yml")


def _safe_yaml() -> YAML:
    # The C parser (ruamel.yaml.clib, libyaml) when installed: five times faster on ladder files.
    yaml = YAML(typ="safe")
    yaml.allow_duplicate_keys = False
    return yaml


def _rt_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = True  # only used to locate lines in text that already parsed
    return yaml


def read_text(path: str) -> str:
    """Read a file as UTF-8 (a BOM is accepted), with a clear error for every way this can fail."""
    if os.path.isdir(path):
        raise InputError("is a folder, expected a file", code=errors.INPUT_IS_FOLDER, file=path)
    try:
        size = os.path.getsize(path)
    except OSError:
        raise InputError("no such file", code=errors.INPUT_NOT_FOUND, file=path) from None
    if size > MAX_BYTES:
        raise InputError(f"file is {size:,} bytes; the limit is {MAX_BYTES:,}", code=errors.INPUT_TOO_LARGE, file=path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", code=errors.INPUT_UNREADABLE, file=path) from None
    return decode(raw, path)


def decode(raw: bytes, source: str) -> str:
    """Bytes to text: UTF-8 with an optional BOM, else a clear error with the byte offset."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", code=errors.INPUT_ENCODING, file=source,
                         line=raw.count(b"\n", 0, exc.start) + 1) from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise InputError(f"duplicate key '{key}'", code=errors.INPUT_DUPLICATE_KEY)
        seen[key] = value
    return seen


def _reject_constant(name: str) -> Any:
    raise InputError(f"{name} is not a number", code=errors.INPUT_NOT_A_NUMBER)


def parse_json(text: str, source: str) -> Any:
    """Parse JSON: duplicate keys, NaN and Infinity are errors, with the line where json knows it."""
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", code=errors.INPUT_JSON, file=source, line=exc.lineno) from None
    except InputError as exc:
        raise exc.located(file=source, line=_json_key_line(text, exc)) from None
    except RecursionError:
        raise InputError("nested deeper than Python can parse", code=errors.INPUT_TOO_DEEP, file=source) from None


def _json_key_line(text: str, exc: InputError) -> Optional[int]:
    if exc.code == errors.INPUT_NOT_A_NUMBER:
        word = exc.message.split()[0]
        hit = re.search(r"(?<![\w\"])-?" + re.escape(word) + r"(?![\w\"])", text)
        return text.count("\n", 0, hit.start()) + 1 if hit else None
    match = re.search(r"'(.*)'", exc.message)
    if not match or exc.code != errors.INPUT_DUPLICATE_KEY:
        return None
    hits = [m.start() for m in re.finditer(re.escape(json.dumps(match.group(1))) + r"\s*:", text)]
    return text.count("\n", 0, hits[1]) + 1 if len(hits) > 1 else None


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML with the safe loader; tags, duplicate keys and aliases are refused."""
    if "*" in text and re.search(r"(^|[\s\[{,:-])\*[^\s,\]}]", text):
        # An alias. Cheap pre-check on the text; the structural check below is authoritative.
        _check_aliases(text, source)
    try:
        return _safe_yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = (exc.problem or exc.context or "malformed YAML").strip()
        code = errors.INPUT_YAML
        if "duplicate key" in str(exc):
            code, problem = errors.INPUT_DUPLICATE_KEY, problem.replace("found ", "")
        elif "constructor for the tag" in problem:
            code = errors.INPUT_YAML_TAG
            problem = "tags are not allowed (" + problem.split("tag", 1)[-1].strip() + ")"
        raise InputError(problem, code=code, file=source, line=mark.line + 1 if mark else None) from None
    except YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", code=errors.INPUT_YAML, file=source) from None
    except RecursionError:
        raise InputError("nested deeper than Python can parse", code=errors.INPUT_TOO_DEEP, file=source) from None


def _check_aliases(text: str, source: str) -> None:
    try:
        for event in _safe_yaml().parse(text):
            if type(event).__name__ == "AliasEvent":
                line = event.start_mark.line + 1 if event.start_mark else None
                raise InputError(
                    "YAML aliases (*name) are not allowed: write the value out", code=errors.INPUT_YAML_ALIAS, file=source, line=line
                )
    except YAMLError:
        return  # the real parse reports it with its line


def parse(text: str, source: str) -> Any:
    """Parse by file suffix: ``.yaml``/``.yml`` as YAML, anything else as JSON, then check depth."""
    if not text.strip():
        raise InputError("the file is empty", code=errors.INPUT_EMPTY, file=source)
    data = parse_yaml(text, source) if source.lower().endswith(_YAML_SUFFIXES) else parse_json(text, source)
    check_depth(data, source)
    return data


def load(path: str) -> Any:
    """Read and parse one JSON or YAML file."""
    return parse(read_text(path), path)


def check_depth(data: Any, source: str) -> None:
    """Refuse structures nested deeper than ``MAX_DEPTH`` (no contract document is deeper than 6)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(f"nested more than {MAX_DEPTH} levels deep", code=errors.INPUT_TOO_DEEP, file=source)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def format_path(loc: Sequence[Any]) -> str:
    """``('reviews', 1, 'end')`` → ``reviews[1].end``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def line_of(text: str, loc: Sequence[Any]) -> Optional[int]:
    """The 1-based line of the deepest existing node on ``loc`` in YAML or JSON text, if found."""
    try:
        node = _rt_yaml().load(text)
    except Exception:  # locating a line is best effort: the error itself is already known
        return None
    line = None
    for part in loc:
        try:
            if isinstance(part, int) and hasattr(node, "lc") and isinstance(node, list):
                line = node.lc.item(part)[0] + 1
                node = node[part]
            elif hasattr(node, "lc") and isinstance(node, dict) and part in node:
                line = node.lc.key(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    if line is None and hasattr(node, "lc"):
        line = node.lc.line + 1
    return line
