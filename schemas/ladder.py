"""The ladder: levels, measures and transitions, each transition a list of criteria (rules as data).

These models check the *shape* of a ladder file. The meaning (every name resolves, every field path
exists in the packet, every measure is used) is checked by ``promoready.engine`` when the ladder is
loaded, because it needs the whole ladder at once. The language is described in
``docs/rules-language.md``. Conditions and measures are discriminated unions, one model per kind
(``_conditions.py``, ``_measures.py``); every name is re-exported here.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field

from ._base import Strict as _Strict
from ._base import keys_of
from ._conditions import (
    COMBINATIONS,
    COMPARISON_OPS,
    CONDITION_KEYS,
    CONDITION_MODELS,
    CONDITION_TAGS,
    AllOf,
    AnyOf,
    ComparisonOp,
    Condition,
    ConditionNode,
    Leaf,
    Loc,
    Not,
    Operand,
)
from ._measures import (
    MEASURE_KEYS,
    MEASURE_KINDS,
    MEASURE_MODELS,
    MEASURE_TAGS,
    Aggregate,
    CountMeasure,
    FieldMeasure,
    FilteredMeasure,
    ListMeasure,
    MaxMeasure,
    Measure,
    MeasureBase,
    MeasureKind,
    MinMeasure,
    MonthsSinceMeasure,
    ReviewMonths,
    ReviewMonthsMeasure,
    SizeMeasure,
    SumMeasure,
    Where,
)

Id = str  # validated by pattern on each field below
_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"

Phase = Literal["progressing-seniority", "product-leader-canyon", "manager-to-executive"]
LevelTrack = Literal["ic", "management", "both"]
Track = Literal["ic", "management"]


class Level(_Strict):
    """A career level: promotion targets and review operating levels are levels."""

    id: Id = Field(pattern=_ID)
    title: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    track: LevelTrack
    rank: int = Field(ge=0, le=100)


class Title(_Strict):
    """A title that is not a career level of this ladder (an advocate may be a CEO)."""

    id: Id = Field(pattern=_ID)
    title: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    rank: int = Field(ge=0, le=100)


class Source(_Strict):
    """Where a criterion comes from: a seed file and the section of it."""

    file: str = Field(min_length=1)
    section: str = Field(min_length=1)

    def __str__(self) -> str:
        return f"{self.file}: {self.section}"


class Texts(_Strict):
    """What a candidate reads for each status."""

    pass_: str = Field(alias="pass", min_length=1)
    fail: str = Field(min_length=1)
    unknown: str = Field(min_length=1)


class Criterion(_Strict):
    """One promotion criterion: a condition over measures, with its reason, source and words."""

    id: Id = Field(pattern=_ID)
    title: str = Field(min_length=1)
    required: bool
    rationale: str = Field(min_length=1)
    source: Source
    condition: Condition
    text: Texts


class TransitionHeader(_Strict):
    """The step a transition file describes."""

    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    track: Track
    phase: Phase
    title: str = Field(min_length=1)
    rationale: Optional[str] = Field(default=None, description="Why the step is judged this way (phase, sources)")
    supporting_needed: int = Field(default=0, ge=0, le=64)


class TransitionFile(_Strict):
    """One transition file: the header and its criteria."""

    transition: TransitionHeader
    criteria: tuple[Criterion, ...] = Field(min_length=1)


class LadderFile(_Strict):
    """``ladder.yaml``: the levels, other titles and measures of a ladder."""

    ladder: Id = Field(pattern=_ID)
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: Optional[str] = None
    levels: tuple[Level, ...] = Field(min_length=1)
    titles: tuple[Title, ...] = ()
    measures: dict[str, Measure] = Field(default_factory=dict)


class Transition(_Strict):
    """A transition as loaded: header fields plus criteria, with the file it came from."""

    from_: str = Field(alias="from")
    to: str
    track: Track
    phase: Phase
    title: str
    rationale: Optional[str] = None
    supporting_needed: int = 0
    criteria: tuple[Criterion, ...]
    file: str = Field(description="The transition file's name inside the ladder folder")

    @property
    def key(self) -> str:
        """``from-to-to``, the transition's name on the command line."""
        return f"{self.from_}-to-{self.to}"


class Ladder(_Strict):
    """A whole ladder: ``ladder.yaml`` plus every transition file of its folder."""

    id: Id = Field(pattern=_ID)
    version: str
    title: str
    description: Optional[str] = None
    levels: tuple[Level, ...]
    titles: tuple[Title, ...] = ()
    measures: dict[str, Measure]
    transitions: tuple[Transition, ...]


__all__ = [
    "Level", "Title", "Source", "Texts", "Criterion", "TransitionHeader", "TransitionFile", "LadderFile",
    "Transition", "Ladder", "Phase", "LevelTrack", "Track", "keys_of",
    # conditions
    "Condition", "ConditionNode", "Leaf", "AllOf", "AnyOf", "Not", "Loc", "ComparisonOp", "Operand", "COMPARISON_OPS", "COMBINATIONS",
    "CONDITION_KEYS", "CONDITION_MODELS", "CONDITION_TAGS",
    # measures
    "Measure", "MeasureBase", "MeasureKind", "FieldMeasure", "CountMeasure", "SizeMeasure", "ListMeasure", "FilteredMeasure",
    "Aggregate", "MaxMeasure", "MinMeasure", "SumMeasure", "ReviewMonthsMeasure", "MonthsSinceMeasure",
    "ReviewMonths", "Where", "MEASURE_KINDS", "MEASURE_KEYS", "MEASURE_MODELS", "MEASURE_TAGS",
]
