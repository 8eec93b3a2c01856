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
from typing import Literal, Optional, Union

from pydantic import BaseModel

from promoready.schemas.ladder import FieldMeasure, LatestMeasure, Measure
from promoready.schemas.packet import LIST_ITEMS, Packet

#: Fields that hold a level (or title) name; they compare by the ladder's ranks.
LEVEL_FIELDS = frozenset({"current_level", "target_level", "reviews.operating_level", "reviews.reviewer_level",
                          "advocates.level"})


@dataclass(frozen=True)
class FieldKind:
    """The kind of a packet field: number, bool, date, enum (with its values), level, text, list, section."""

    kind: str
    values: tuple[str, ...] = ()
    item_model: Optional[type[BaseModel]] = None


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
        return FieldKind("number")
    if annotation is datetime.date:
        return FieldKind("date")
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return FieldKind("section", item_model=annotation)
    return FieldKind("text")


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


def measure_kind(measure: Measure) -> FieldKind:
    """The kind of value a measure yields: its field's kind for ``field`` (its item field's for
    ``latest``), else a number."""
    if isinstance(measure, FieldMeasure):
        return packet_fields().get(measure.field, FieldKind("number"))
    if isinstance(measure, LatestMeasure):
        return item_fields(measure.list_path).get(measure.of, FieldKind("number"))
    return FieldKind("number")


@lru_cache(maxsize=None)
def item_fields(list_path: str) -> dict[str, FieldKind]:
    """Fields of the items of a list field (``advocates`` → ``level``, ``committed``, …)."""
    out: dict[str, FieldKind] = {}
    model = LIST_ITEMS.get(list_path) or packet_fields()[list_path].item_model
    if model is not None:
        for name, info in model.model_fields.items():
            out[name] = _kind(f"{list_path}.{name}", info.annotation)
    return out
