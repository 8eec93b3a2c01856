"""Ladder-declared evidence: ordered scales and the extra fields packets carry under ``evidence:``.

A ladder may declare ordered scales (``scales:``, lowest first, each step with an optional numeric
``value`` for arithmetic) and evidence fields (``evidence:``) of a handful of types. These models
check the *shape* of the declarations; that every ``scale`` a field names exists is checked by the
ladder lint, and a packet's ``evidence:`` section is checked against the declarations by
``promoready.engine`` (a model is built per ladder).
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BeforeValidator, Field, model_validator

from ._base import Strict, pattern

#: An id of a scale step, a scale or an evidence field: lowercase words joined by `-` or `_`.
_NAME = pattern(r"^[a-z][a-z0-9]*([_-][a-z0-9]+)*$", "is not a name: lowercase words joined by - or _, starting with a letter")

#: Types a record's own field may have.
RecordType = Literal["number", "integer", "rating", "boolean", "date", "string"]
#: Types a top-level evidence field may have: a record's, plus lists of words and of records.
EvidenceType = Literal["number", "integer", "rating", "boolean", "date", "string", "strings", "records"]
#: The largest magnitude a declared number may have (as every figure a packet carries).
MAX_FIGURE = 1e15


class ScaleStep(Strict):
    """One step of an ordered scale: its word, and optionally the number arithmetic reads for it."""

    id: str = Field(pattern=_NAME, max_length=64)
    value: Optional[float] = Field(default=None, ge=-1e12, le=1e12, allow_inf_nan=False)
    title: Optional[str] = Field(default=None, min_length=1)


class FieldSpec(Strict):
    """What a declared field holds: its type, a scale for a rating, bounds for a number, the words a
    string may be."""

    type: RecordType
    scale: Optional[str] = Field(default=None, min_length=1, description="For a rating: the scale it is rated on")
    min: Optional[float] = Field(default=None, allow_inf_nan=False)
    max: Optional[float] = Field(default=None, allow_inf_nan=False)
    values: Optional[tuple[str, ...]] = Field(default=None, min_length=1,
                                              description="For a string: the only words it may be")
    title: Optional[str] = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "FieldSpec":
        if (self.type == "rating") != (self.scale is not None):
            raise ValueError("a rating needs `scale` (one of the ladder's scales)" if self.type == "rating"
                             else f"`scale` belongs only to type rating, not {self.type}")
        if (self.min is not None or self.max is not None) and self.type not in ("number", "integer"):
            raise ValueError(f"`min` and `max` belong only to types number and integer, not {self.type}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min:g}) is above `max` ({self.max:g})")
        for bound in (self.min, self.max):
            if bound is not None and abs(bound) > MAX_FIGURE:
                raise ValueError(f"a bound of {bound:g} is beyond ±1e15, the largest figure a packet may carry")
        if self.values is not None and self.type not in ("string", "strings"):
            raise ValueError(f"`values` belongs only to types string and strings, not {self.type}")
        return self


class RecordField(FieldSpec):
    """A field of the records of a ``records`` evidence field."""


class EvidenceField(FieldSpec):
    """A field a ladder declares for packets to carry under ``evidence:``."""

    type: EvidenceType  # type: ignore[assignment]  # a record's types, and the two lists
    fields: Optional[dict[str, RecordField]] = Field(default=None, description="For records: each record's fields")

    @model_validator(mode="after")
    def _records_have_fields(self) -> "EvidenceField":
        if (self.type == "records") != (self.fields is not None):
            raise ValueError("records need `fields`: the fields of each record" if self.type == "records"
                             else f"`fields` belongs only to type records, not {self.type}")
        if self.fields is not None and not self.fields:
            raise ValueError("records need at least one field")
        return self


def _step(value: object) -> object:
    # A bare word is a step without a number: `[below, meets, exceeds]` is the short form.
    return {"id": value} if isinstance(value, str) else value


#: An ordered scale, lowest first: steps written ``{id, value?, title?}`` or as bare words.
Scale = Annotated[tuple[Annotated[ScaleStep, BeforeValidator(_step)], ...], Field(min_length=2)]
