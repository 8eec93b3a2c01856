"""Finding the line of a field path, and the path of a node, for error messages.

Looked up only when an error needs one, with one targeted pass in C (the JSON decoder skipping the
values off the path, or the YAML parser's events) that stops at the field.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterator, NamedTuple, Optional, Sequence

from ruamel.yaml.error import YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import ScalarNode

from ._wording import cut, escaped_surrogates
from ._yamlsafe import _safe_yaml, version_read

_YAML_SUFFIXES = (".yaml", ".yml")
_SURROGATE = re.compile("[\ud800-\udfff]")

_STARTS = (MappingStartEvent, SequenceStartEvent)
_ENDS = (MappingEndEvent, SequenceEndEvent)

_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_PLAIN_JSON = json.JSONDecoder()
# The decoder's own string reader (C when available); typeshed does not declare it, but it is public
# in json.decoder and is what JSONDecoder itself uses.
_scanstring: Callable[[str, int], tuple[str, int]] = getattr(json.decoder, "scanstring")


class KeyAt(NamedTuple):
    """A ``loc`` part naming a mapping's key by its place (0 for the first) rather than its text: for a
    key that is not text (``1:``, ``null:``), whose line no text finds."""

    place: int


def _line(event: Any) -> Optional[int]:
    return event.start_mark.line + 1 if event.start_mark is not None else None


def _short(text: str, width: int = 60) -> str:
    return cut(escaped_surrogates(text), width)


def format_path(loc: Sequence[Any]) -> str:
    """``('reviews', 1, 'end')`` → ``reviews[1].end``."""
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + escaped_surrogates(str(part))
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


def _member(text: str, pos: int, part: Any) -> tuple[Optional[int], int]:
    """In the JSON object or array that opens at ``pos``: where member ``part`` (a key, an index)
    stands and where its value starts; None and where the search stopped when it is not there."""
    space = _skip_space
    is_object = text[pos] == "{"
    pos = space(text, pos + 1)
    index = 0
    while (text[pos] == '"') if is_object else (text[pos] != "]"):
        at = pos
        if is_object:
            key, end = _scanstring(text, pos + 1)
            pos = space(text, end) + 1  # past the colon
            pos = space(text, pos)
            if key == part:
                return at, pos
        elif index == part:
            return at, pos
        pos = space(text, _PLAIN_JSON.raw_decode(text, pos)[1])
        if text[pos] != ",":
            break
        pos = space(text, pos + 1)
        index += 1
    return None, pos


def _json_line(text: str, loc: Sequence[Any]) -> Optional[int]:
    """The JSON decoder, in C, skips every value off the path; Python only walks the path itself."""
    space = _skip_space
    try:
        pos = space(text, 0)
        root, found = pos, None
        for part in loc:
            opener = text[pos]
            if not ((opener == "{" and isinstance(part, str)) or (
                    opener == "[" and isinstance(part, int) and not isinstance(part, bool))):
                break
            hit, pos = _member(text, pos, part)
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
            elif type(node) is MappingStartEvent and isinstance(part, KeyAt):
                for index, key in enumerate(events):
                    if type(key) is MappingEndEvent:
                        break
                    if index == part.place:
                        hit = key
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


def _yaml_nodes(text: str, directive: Optional[Callable[[Any], None]] = None) -> Iterator[tuple[tuple, Any, Optional[set]]]:
    """Every node's path and start event, in document order, with the keys its mapping has had so far
    when the node is a key (else None). A key's own path is its mapping's. ``directive`` is given each
    document's ``%YAML`` version (None without one) as the document starts."""
    # Each frame: [is a mapping, path, expecting a key, last key, next index, keys seen].
    frames: list[list] = []
    for event in _events(text):
        kind = type(event)
        if kind is DocumentStartEvent and directive is not None:
            directive(event.version)
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


def _duplicate_key(text: str) -> Optional[tuple[tuple, Optional[int], Optional[str]]]:
    """The path and line of the first key of a mapping that an earlier key of it equals, and that key
    as written when it was written differently: the same text twice, or two writings read as one key
    (``true`` and ``1``, ``1`` and ``1.0``: a mapping read into Python cannot hold both). None when
    the text cannot be read so (a str with a lone surrogate, which libyaml cannot take, included)."""
    read_plain: Optional[Callable[[str], Any]] = None
    declared: Any = None  # the %YAML directive of the document being read, if it has one

    def directive(version: Any) -> None:
        nonlocal declared, read_plain
        declared, read_plain = version, None

    read: dict[int, tuple[set, dict]] = {}  # a mapping's (keys seen, by id) → its keys as read → as written
    try:
        for loc, event, keys in _yaml_nodes(text, directive):
            if keys is None or type(event) is not ScalarEvent:
                continue
            value: Any = event.value
            if not event.style and event.tag is None:  # a plain scalar: a number, true/false, null…
                read_plain = read_plain or _plain_reader(declared)
                value = read_plain(event.value)
            seen = read.get(id(keys))
            if seen is None or seen[0] is not keys:
                seen = read[id(keys)] = (keys, {})
            if value in seen[1]:
                first = seen[1][value]
                return loc + (event.value,), _line(event), None if first == event.value else first
            seen[1][value] = event.value
    except (YAMLError, UnicodeError):
        return None
    return None


def _plain_reader(declared: Any = None) -> Callable[[str], Any]:
    """A function reading a plain scalar's text as the safe loader would read it as a mapping's value
    (``1`` → 1, ``true`` → True, ``~`` → None, ``2026-01-01`` → a date); the text itself when the
    constructor cannot read it or what it reads cannot be a key. One resolver and one constructor for
    every key, not a document loaded per key. ``declared``: the document's ``%YAML`` version, read as
    the loader reads it (``version_read``: with the C parser, not at all)."""
    yaml = _safe_yaml()
    yaml.version = version_read(declared)
    resolver, constructor = yaml.resolver, yaml.constructor

    def read(written: str) -> Any:
        try:
            value = constructor.construct_object(
                ScalarNode(resolver.resolve(ScalarNode, written, (True, False)), written))
            hash(value)
        except Exception:  # not read so (a merge key's ``<<``): compared as written
            return written
        return value

    return read
