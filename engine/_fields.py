"""What the packet schema offers a rule: every field path with its kind, read off the pydantic models.

The ladder lint checks each path a measure names against this map (with a "did you mean" for a
typo), and the measure compiler uses the kinds to know how a value compares (numbers, booleans,
ordered enums, levels by rank). Free text is listed as ``text`` so that a rule naming it is refused:
no rule may read a name, a summary or a title.
"""

from __future__ import annotations

import datetime
import types
import typing
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel

from promoready.schemas.ladder import Aggregate, Dated, FieldMeasure, FieldSpec, Measure
from promoready.schemas.packet import LIST_ITEMS, ORDINALS, Packet

#: Fields that hold a level (or title) name; they compare by the ladder's ranks.
LEVEL_FIELDS = frozenset({"current_level", "target_level", "reviews.operating_level", "reviews.reviewer_level",
                          "advocates.level"})


#: Where the packet's ladder-declared fields live: ``evidence.<name>``.
EVIDENCE = "evidence"


@dataclass(frozen=True)
class FieldKind:
    """The kind of a packet field: number, bool, date, enum (with its values), level, text, list,
    section, or word (a declared string: compared for equality, never free text).

    ``ordered``: an enum whose words compare by position (a rating, a declared scale). ``numbers``:
    for a declared scale whose steps give a ``value``, that number for each word (arithmetic reads
    it). ``fields``: for a list of declared records, each record field's kind.
    """

    kind: str
    values: tuple[str, ...] = ()
    item_model: Optional[type[BaseModel]] = None
    ordered: Optional[bool] = None  # None: an enum is ordered when it is one of the packet's ordinals
    numbers: tuple[Optional[float], ...] = ()
    fields: tuple[tuple[str, "FieldKind"], ...] = ()
    scale: Optional[str] = None  # the declared scale's name, for messages
    integer: bool = False  # a number that is always whole (an int field, a declared ``integer``)

    def __post_init__(self) -> None:
        if self.ordered is None:
            object.__setattr__(self, "ordered", self.kind == "enum" and self.values in ORDINALS.values())

    @property
    def is_ordered(self) -> bool:
        """Whether values compare by order: numbers, levels (by rank), ordered words."""
        return self.kind in ("number", "level") or bool(self.ordered)


def _unwrap(annotation):
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        else:
            return annotation


def _kind(path: str, annotation) -> FieldKind:
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if path in LEVEL_FIELDS:
        return FieldKind("level")
    if origin is Literal:
        return FieldKind("enum", tuple(str(v) for v in typing.get_args(annotation)))
    if origin is list:
        item = _unwrap(typing.get_args(annotation)[0])
        return FieldKind("list", item_model=item if isinstance(item, type) and issubclass(item, BaseModel) else None)
    if annotation is bool:
        return FieldKind("bool")
    if annotation in (int, float):
        return FieldKind("number", integer=annotation is int)
    if annotation is datetime.date:
        return FieldKind("date")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return FieldKind("section", item_model=annotation)
    return FieldKind("text")


def is_words(kind: FieldKind) -> bool:
    """Whether a field's kind is a list of words (``influence.cross_functional_partners``, or a ladder's
    declared ``strings`` field), which conditions read with ``contains``."""
    return kind.kind == "strings" or (kind.kind == "list" and kind.item_model is None and not kind.fields)


def field_kind_of(annotation) -> FieldKind:
    """The kind of a model field's annotation, as far as the annotation alone says (no level fields)."""
    return _kind("", annotation)


def _walk(model: type[BaseModel], prefix: str, out: dict[str, FieldKind]) -> None:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        kind = _kind(path, info.annotation)
        out[path] = kind
        if kind.kind == "section" and kind.item_model is not None:
            _walk(kind.item_model, path + ".", out)


@lru_cache(maxsize=None)
def packet_fields() -> dict[str, FieldKind]:
    """Every dotted path of the packet (list items excluded) with its kind."""
    out: dict[str, FieldKind] = {}
    _walk(Packet, "", out)
    return out


def measure_kind(measure: Measure, ladder: Any = None) -> FieldKind:
    """The kind of value a measure yields: its field's kind for ``field`` (its item field's for
    ``latest``/``earliest``, and for ``min``/``max`` of an ordered word or a level), else a number.
    ``ladder`` (a ``Ladder`` or ``LadderFile``) gives the kinds of its declared evidence fields."""
    if isinstance(measure, FieldMeasure):
        return fields_of(ladder).get(measure.field, FieldKind("number"))
    if isinstance(measure, Dated):
        return items_of(ladder, measure.list_path).get(measure.of, FieldKind("number"))
    if isinstance(measure, Aggregate):
        of = items_of(ladder, measure.list_path).get(measure.of)
        if of is not None and of.kind in ("enum", "level") and measure.kind in ("min", "max"):
            return of
        if of is not None and of.integer:  # the min, max or sum of whole numbers is one
            return _INTEGER
    return FieldKind("number")


_INTEGER = FieldKind("number", integer=True)


# -- ladder-declared evidence ---------------------------------------------------------------------------


def declared_kind(spec: FieldSpec, scales: dict) -> FieldKind:
    """The kind of a declared evidence (or record) field; a rating on an undeclared scale is an enum of
    no words (the ladder lint reports the scale)."""
    t = spec.type
    if t in ("number", "integer"):
        return FieldKind("number", integer=t == "integer")
    if t == "boolean":
        return FieldKind("bool")
    if t == "date":
        return FieldKind("date")
    if t == "rating":
        steps = scales.get(spec.scale, ())
        return FieldKind("enum", tuple(s.id for s in steps), ordered=True,
                         numbers=tuple(s.value for s in steps), scale=spec.scale)
    if t == "string":
        # Without `values`, a string may say anything: it is free text, which no rule may read.
        return FieldKind("enum", spec.values, ordered=False) if spec.values else FieldKind("text")
    if t == "strings":
        return FieldKind("list", spec.values or ())  # the closed set of words, when declared
    assert t == "records", t
    fields = getattr(spec, "fields", None) or {}
    return FieldKind("list", fields=tuple((name, declared_kind(f, scales)) for name, f in fields.items()))


def evidence_fields(ladder: Any) -> dict[str, FieldKind]:
    """``evidence.<name>`` → kind, for each evidence field ``ladder`` declares (none without a ladder)."""
    if ladder is None:
        return {}
    scales = getattr(ladder, "scales", {}) or {}
    return {f"{EVIDENCE}.{name}": declared_kind(spec, scales) for name, spec in (getattr(ladder, "evidence", {}) or {}).items()}


def fields_of(ladder: Any) -> dict[str, FieldKind]:
    """Every field path a rule of ``ladder`` may name: the packet's own, and the ladder's declared evidence."""
    declared = evidence_fields(ladder)
    return {**packet_fields(), **declared} if declared else packet_fields()


def items_of(ladder: Any, list_path: str) -> dict[str, FieldKind]:
    """Fields of the items of a list, built-in or a ladder's declared records."""
    if list_path.startswith(EVIDENCE + "."):
        kind = evidence_fields(ladder).get(list_path)
        return dict(kind.fields) if kind is not None else {}
    return item_fields(list_path)


@lru_cache(maxsize=None)
def item_fields(list_path: str) -> dict[str, FieldKind]:
    """Fields of the items of a list field (``advocates`` → ``level``, ``committed``, …)."""
    out: dict[str, FieldKind] = {}
    model = LIST_ITEMS.get(list_path) or packet_fields()[list_path].item_model
    if model is not None:
        for name, info in model.model_fields.items():
            out[name] = _kind(f"{list_path}.{name}", info.annotation)
    return out
