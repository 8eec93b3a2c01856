"""Measures: the named figures a ladder computes from a packet, one model per kind.

A measure is written with exactly one *kind key* (``count: advocates``, ``field: scope.teams``) and
the keys that kind takes; ``Measure`` is the discriminated union of the kinds, told apart by which
kind key the mapping has. To add a kind: write its model (a ``kind`` class variable and a field of
that name), add it to ``MEASURE_MODELS`` and to the ``Measure`` union.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, ClassVar, Literal, Optional, Union

from pydantic import BeforeValidator, Discriminator, Field, Tag, model_validator

from ._base import Strict, and_list, closest_key, describe, keys_of, unknown_keys as _unknown

MeasureKind = Literal["field", "count", "size", "max", "min", "sum", "latest", "earliest", "review_months", "months_since",
                      "sum_of", "weighted_mean"]

#: The ``where`` date tests that compare with a day (``within_months`` takes a number of months).
_DAY_TESTS = ("before", "after", "on_or_before", "on_or_after")


def _days_as_text(where: Any) -> Any:
    """A day YAML read as a date (``before: 2026-01-01``), kept as its ISO text: JSON keeps it so, and a
    ladder must read back from its cache entry equal to the one loaded. The engine, the lint and the
    digest read the text exactly as the date."""
    if not isinstance(where, dict):
        return where
    return {key: {op: (v.isoformat() if op in _DAY_TESTS and type(v) is datetime.date else v)
                  for op, v in test.items()} if isinstance(test, dict) else test
            for key, test in where.items()}


#: Item field → the value it must equal, or ``{OP: VALUE}``. Kept as written (but for a day, kept as
#: ISO text): the ladder lint checks each test against the item's fields, whose kinds only the engine knows.
Where = Annotated[dict[str, Any], BeforeValidator(_days_as_text)]


class ReviewMonths(Strict):
    """Months of reviews judged at or above a level, overlaps merged, up to ``as_of``."""

    at_or_above: str = Field(min_length=1, description="A level id or alias, or `current` / `target`")
    min_rating: Optional[Literal["below", "meets", "exceeds", "outstanding"]] = None
    within_months: Optional[int] = Field(default=None, ge=1, le=1200)


class MeasureBase(Strict):
    """What every measure may say besides its kind: how people read it."""

    kind: ClassVar[MeasureKind]

    unit: Optional[str] = None
    grows: bool = False
    title: Optional[str] = None


class FieldMeasure(MeasureBase):
    """``field: PATH``: the value of one packet field."""

    kind: ClassVar[MeasureKind] = "field"
    field: str


class MonthsSinceMeasure(MeasureBase):
    """``months_since: PATH``: months from a packet date to ``as_of``."""

    kind: ClassVar[MeasureKind] = "months_since"
    months_since: str


class ReviewMonthsMeasure(MeasureBase):
    """``review_months: {at_or_above, min_rating?, within_months?}``: months of qualifying reviews."""

    kind: ClassVar[MeasureKind] = "review_months"
    review_months: ReviewMonths


class ListMeasure(MeasureBase):
    """A measure over the items of a packet list; its kind key names the list."""

    @property
    def list_path(self) -> str:
        """The packet list the measure reads (``advocates``, ``influence.cross_functional_partners``)."""
        path: str = getattr(self, self.kind)
        return path


class SizeMeasure(ListMeasure):
    """``size: LIST``: how many distinct items the list holds."""

    kind: ClassVar[MeasureKind] = "size"
    size: str


class FilteredMeasure(ListMeasure):
    """A list measure that reads only the items matching every ``where`` test."""

    where: Optional[Where] = None


class CountMeasure(FilteredMeasure):
    """``count: LIST`` (+ ``where``): how many items match."""

    kind: ClassVar[MeasureKind] = "count"
    count: str


class Aggregate(FilteredMeasure):
    """An aggregate of one number field of the items (``of``) over those that match ``where``."""

    of: str

    @model_validator(mode="before")
    @classmethod
    def _needs_of(cls, data: Any) -> Any:
        # Said here rather than as pydantic's "missing key": the words say what `of` is for. With an
        # unknown key (`off:`), the model's own errors name the typo instead.
        if isinstance(data, dict) and data.get("of") is None and all(k in keys_of(cls) for k in data):
            raise ValueError(f"`{cls.kind}` needs `of`: the item field to aggregate")
        return data


class MaxMeasure(Aggregate):
    """``max: LIST, of: FIELD``: the largest value (0 when no item has one)."""

    kind: ClassVar[MeasureKind] = "max"
    max: str


class MinMeasure(Aggregate):
    """``min: LIST, of: FIELD``: the smallest value (unknown when no item has one)."""

    kind: ClassVar[MeasureKind] = "min"
    min: str


class SumMeasure(Aggregate):
    """``sum: LIST, of: FIELD``: the total (0 when no item has one)."""

    kind: ClassVar[MeasureKind] = "sum"
    sum: str


class Dated(FilteredMeasure):
    """``FIELD`` (``of``) of the most recent or the earliest matching item, items ordered by a date."""

    of: str
    by: Optional[str] = None

    @model_validator(mode="before")
    @classmethod
    def _needs_of(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("of") is None and all(k in keys_of(cls) for k in data):
            which = "most recent" if cls.kind == "latest" else "earliest"
            raise ValueError(f"`{cls.kind}` needs `of`: the item field to read from the {which} item")
        return data


class LatestMeasure(Dated):
    """``latest: LIST, of: FIELD`` (+ ``where``, ``by``): ``FIELD`` of the most recent matching item.

    Items are ordered by their date field (``by``; by default a review's ``end`` and any other
    item's ``date``); items dated after ``as_of`` are not there yet. On a tie the lowest value of an
    ordered field wins, and unordered values that disagree make the measure unknown, so the result
    never depends on the order of the list.
    """

    kind: ClassVar[MeasureKind] = "latest"
    latest: str


class EarliestMeasure(Dated):
    """``earliest: LIST, of: FIELD`` (+ ``where``, ``by``): ``FIELD`` of the earliest matching item.

    The mirror of ``latest``: the item with the earliest date (by default a review's ``start`` and
    any other item's ``date``) on or before ``as_of``; ties are settled as ``latest`` settles them.
    """

    kind: ClassVar[MeasureKind] = "earliest"
    earliest: str


class WeightedPart(Strict):
    """One part of a weighted mean: a measure, and its weight (1 unless given)."""

    measure: str = Field(min_length=1)
    weight: float = Field(default=1, gt=0, le=1_000_000, allow_inf_nan=False, strict=True)  # not `true`


class SumOfMeasure(MeasureBase):
    """``sum_of: [measure, ...]``: the sum of other measures (numbers, or ratings by their scale's value)."""

    kind: ClassVar[MeasureKind] = "sum_of"
    sum_of: tuple[str, ...] = Field(min_length=1)

    @property
    def parts(self) -> tuple[tuple[str, float], ...]:
        """Each measure summed, with weight 1."""
        return tuple((name, 1.0) for name in self.sum_of)


class WeightedMeanMeasure(MeasureBase):
    """``weighted_mean: [{measure, weight?}, ...]``: Σ weight × value ÷ Σ weight over other measures."""

    kind: ClassVar[MeasureKind] = "weighted_mean"
    weighted_mean: tuple[WeightedPart, ...] = Field(min_length=1)

    @property
    def parts(self) -> tuple[tuple[str, float], ...]:
        """Each measure with its weight."""
        return tuple((p.measure, p.weight) for p in self.weighted_mean)


#: Every measure model, in the order the language lists the kinds.
MEASURE_MODELS: tuple[type[MeasureBase], ...] = (
    FieldMeasure, CountMeasure, SizeMeasure, MaxMeasure, MinMeasure, SumMeasure, LatestMeasure, EarliestMeasure,
    ReviewMonthsMeasure, MonthsSinceMeasure, SumOfMeasure, WeightedMeanMeasure,
)
MEASURE_KINDS: tuple[MeasureKind, ...] = tuple(m.kind for m in MEASURE_MODELS)
_BY_KIND: dict[str, type[MeasureBase]] = {m.kind: m for m in MEASURE_MODELS}
#: Every key some kind of measure accepts.
MEASURE_KEYS: tuple[str, ...] = tuple(dict.fromkeys(k for m in MEASURE_MODELS for k in keys_of(m)))
# Every key but the plain boolean `grows` has always read null as "not given".
_NULLABLE = frozenset(MEASURE_KEYS) - {"grows"}


def _kinds(data: dict) -> list[str]:
    return [k for k in MEASURE_KINDS if k in data]


def _kind(data: dict) -> Optional[str]:
    """The kind a mapping is read as. With no kind key but a misspelt one, the kind it resembles, so
    that its model reports the typo with a "did you mean"."""
    kinds = _kinds(data)
    return kinds[0] if kinds else closest_key([k for k in data if k not in MEASURE_KEYS], MEASURE_KINDS)


def _measure_form(data: Any) -> Any:
    """Check a measure as a whole before its kind's model reads it, so that an error says what is
    wrong with the measure ("needs exactly one of …", "`of` belongs only to …")."""
    if isinstance(data, MeasureBase):
        return data
    if not isinstance(data, dict):
        raise ValueError(f"expected a measure: a mapping with one of {', '.join(MEASURE_KINDS)}; got {describe(data)}")
    data = {k: v for k, v in data.items() if not (v is None and k in _NULLABLE)}
    unknown = [k for k in data if k not in MEASURE_KEYS]
    kind = _kind(data)
    if unknown and kind is not None:
        # A misspelt key: the model names it, with the closest known one. The other problems of the
        # measure (another kind's keys beside it) show once the typo is fixed, as they always have.
        accepted = keys_of(_BY_KIND[kind])
        return {k: v for k, v in data.items() if k in accepted or k in unknown}
    kinds = _kinds(data)
    if len(kinds) != 1:
        raise ValueError(f"a measure needs exactly one of {', '.join(MEASURE_KINDS)}; found {kinds or 'none'}"
                         f"{_unknown(unknown)}")
    accepted = keys_of(_BY_KIND[kinds[0]])
    for key in data:
        if key not in accepted:
            raise ValueError(f"`{key}` belongs only to {and_list(m.kind for m in MEASURE_MODELS if key in keys_of(m))}")
    return data


def _measure_tag(value: Any) -> str:
    if isinstance(value, MeasureBase):
        return type(value).__name__
    return _BY_KIND[_kind(value) or "field"].__name__  # `_measure_form` has refused a mapping of no kind


#: The names of the variants of the ``Measure`` union; pydantic puts them in error locations.
MEASURE_TAGS: frozenset[str] = frozenset(m.__name__ for m in MEASURE_MODELS)

#: A named figure computed from a packet: one model per kind, told apart by its kind key.
Measure = Annotated[
    Union[
        Annotated[FieldMeasure, Tag("FieldMeasure")],
        Annotated[CountMeasure, Tag("CountMeasure")],
        Annotated[SizeMeasure, Tag("SizeMeasure")],
        Annotated[MaxMeasure, Tag("MaxMeasure")],
        Annotated[MinMeasure, Tag("MinMeasure")],
        Annotated[SumMeasure, Tag("SumMeasure")],
        Annotated[LatestMeasure, Tag("LatestMeasure")],
        Annotated[EarliestMeasure, Tag("EarliestMeasure")],
        Annotated[ReviewMonthsMeasure, Tag("ReviewMonthsMeasure")],
        Annotated[MonthsSinceMeasure, Tag("MonthsSinceMeasure")],
        Annotated[SumOfMeasure, Tag("SumOfMeasure")],
        Annotated[WeightedMeanMeasure, Tag("WeightedMeanMeasure")],
    ],
    Discriminator(_measure_tag),
    BeforeValidator(_measure_form),
]
