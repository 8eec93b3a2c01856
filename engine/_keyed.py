"""Thresholds keyed by the packet: ``by_track`` / ``by_level`` resolved once for the transition, and
``{by: {field, values, default}}`` keyed by a packet field, compiled to regions over that field's
derived figure (with the key unknown: pass if every case passes, fail if none does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from promoready.schemas.ladder import FieldMeasure, Ladder, LadderFile, Transition

from ._fields import FieldKind, measure_kind
from ._figures import key_figure
from ._levels import LevelIndex
from ._regions import Regions, _and, _atom, _cmp, _first, _or

if TYPE_CHECKING:
    from ._compile import Leaf


@dataclass(frozen=True)
class Keyed:
    """A threshold keyed by a packet field (``{by: {field, values, default}}``): one threshold per
    listed value (engine-encoded), a default for the others, and every threshold that can apply
    when the key is unknown (``cases``)."""

    path: str
    figure: str  # the derived figure holding the key field's value
    kind: FieldKind  # the key field's kind
    values: tuple[tuple[Any, Any], ...]  # (encoded key value, encoded threshold)
    default: Any  # encoded threshold for a value not listed, or None
    cases: tuple[Any, ...]  # the thresholds that may apply when the key is unknown


def resolve_static(transition: Transition, index: LevelIndex, raw: dict) -> tuple[Any, str]:
    """A ``by_track`` / ``by_level`` threshold resolved for this transition: its track is the
    packet's (a packet on another track is refused), its from-level the packet's current level.
    Returns the threshold as written and words for which case it is."""
    key: str
    if "by_track" in raw:
        table, key, words = raw["by_track"], transition.track, f"{transition.track} track"
    else:
        table, words = raw["by_level"], f"at {transition.from_}"
        key = next((k for k in table if k != "default" and (rung := index.resolve(k, levels_only=True))
                    is not None and rung.id == transition.from_), "default")
    return (table[key] if key in table else table["default"]), words


def keyed(ladder: Ladder | LadderFile, encode_operand: Callable[[Any, FieldKind], Any], spec: dict,
          kind: FieldKind) -> Keyed:
    """A threshold keyed by a packet field, engine-encoded."""
    path = spec["field"]
    key_kind = measure_kind(FieldMeasure(field=path), ladder)
    # Two names of one engine value (two levels of one rank): the first listed decides, as written.
    encoded: dict[Any, Any] = {}
    for v, t in spec["values"].items():
        encoded.setdefault(encode_operand(v, key_kind), encode_operand(t, kind))
    values = tuple(encoded.items())
    default = encode_operand(spec["default"], kind) if spec.get("default") is not None else None
    covered = key_kind.kind == "enum" and set(spec["values"]) >= set(key_kind.values)
    cases = tuple(dict.fromkeys([t for _, t in values] + ([] if default is None or covered else [default])))
    return Keyed(path, key_figure(path), key_kind, values, default, cases)


def _keyed_regions(keys: dict[str, str], leaf: Leaf) -> Regions:
    """A threshold keyed by a packet field: the listed value's threshold, else the default; with the
    key unknown, pass if every case passes, fail if none does, unknown otherwise."""
    keyed = leaf.keyed
    assert keyed is not None
    key = keys[leaf.measure]
    field = keys[keyed.figure]
    absent = _atom({"$nex": {key: 1}})

    def each(t: Any) -> Regions:
        return Regions(_cmp(key, leaf.op, t, passing=True), _cmp(key, leaf.op, t, passing=False), absent)

    listed = [(_atom({field: v}), each(t)) for v, t in keyed.values]
    if keyed.default is not None:
        other = (tuple({"$neq": {field: v}} for v, _ in keyed.values) + ({"$ex": {field: 1}},),)
        listed.append((other, each(keyed.default)))
    cases = [each(t) for t in keyed.cases]
    key_absent = _atom({"$nex": {field: 1}})
    p = _or(*(_and(when, r.p) for when, r in listed), _and(key_absent, *(r.p for r in cases)))
    f = _or(*(_and(when, r.f) for when, r in listed), _and(key_absent, *(r.f for r in cases)))
    some_pass = _first(cases, before=lambda r: r.f, at=lambda r: r.p, after=None)
    some_fail = _first(cases, before=lambda r: r.p, at=lambda r: r.f, after=None)
    u = _or(absent, _and(key_absent, some_pass, some_fail))
    return Regions(p, f, u)
