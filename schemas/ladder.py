"""The ladder: levels, measures and transitions, each transition a list of criteria (rules as data).

These models check the *shape* of a ladder file. The meaning (every name resolves, every field path
exists in the packet, every measure is used) is checked by ``promoready.engine`` when the ladder is
loaded, because it needs the whole ladder at once. The language is described in
``docs/rules-language.md``. Conditions and measures are discriminated unions, one model per kind
(``_conditions.py``, ``_measures.py``); every name is re-exported here.
"""

from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, model_validator

from ._base import Strict as _Strict
from ._base import keys_of
from ._base import pattern as _pattern
from ._conditions import (
    COMBINATIONS,
    COMPARISON_OPS,
    CONDITION_KEYS,
    CONDITION_MODELS,
    CONDITION_TAGS,
    AllOf,
    AnyOf,
    AtLeast,
    CONTAINS_OPS,
    ComparisonOp,
    Condition,
    ConditionNode,
    Leaf,
    Loc,
    Not,
    Operand,
)
from ._evidence import EvidenceField, EvidenceType, FieldSpec, RecordField, RecordType, Scale, ScaleStep
from ._measures import (
    MEASURE_KEYS,
    MEASURE_KINDS,
    MEASURE_MODELS,
    MEASURE_TAGS,
    Aggregate,
    CountMeasure,
    Dated,
    EarliestMeasure,
    FieldMeasure,
    FilteredMeasure,
    LatestMeasure,
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
    SumOfMeasure,
    WeightedMeanMeasure,
    WeightedPart,
    Where,
)

Id = str  # validated by pattern on each field below
_ID = _pattern(r"^[a-z0-9]+(-[a-z0-9]+)*$", "is not an id: lowercase letters and digits, in words joined by - (senior-pm)")

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


FUNCTION = "{function}"


class TitleForm(_Strict):
    """One form of title for every function: ``VP of {function}``, with other spellings and a rank."""

    pattern: str = Field(min_length=1, description="A title with {function} in it once, e.g. 'VP of {function}'")
    also: tuple[str, ...] = Field(default=(), description="Other spellings of the same title, each with {function}")
    rank: int = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _one_placeholder(self) -> "TitleForm":
        for text in (self.pattern, *self.also):
            if text.count(FUNCTION) != 1:
                raise ValueError(f"'{text}' needs {FUNCTION} exactly once")
        return self


class TitlePatterns(_Strict):
    """Titles outside the ladder written once for many functions: each form × each function is a title."""

    functions: tuple[str, ...] = Field(min_length=1, description="Engineering, Design, Sales…")
    forms: tuple[TitleForm, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _named_functions(self) -> "TitlePatterns":
        for function in self.functions:
            if not re.search(r"[A-Za-z0-9]", function):
                raise ValueError(f"a function needs a name with letters or digits, got {function!r}")
        return self

    def expand(self) -> tuple[Title, ...]:
        """The titles the patterns stand for, in order: for each form, each function."""
        out = []
        for form in self.forms:
            for function in self.functions:
                title = form.pattern.replace(FUNCTION, function)
                aliases = tuple(a.replace(FUNCTION, function) for a in form.also)
                out.append(Title.model_construct(id=_pattern_id(title), title=title, aliases=aliases, rank=form.rank))
        return tuple(out)


def _pattern_id(title: str) -> str:
    """An id for a title made from a pattern: its words in lower case, joined by dashes."""
    return "-".join(re.findall(r"[a-z0-9]+", title.lower()))


class SourceDoc(_Strict):
    """An article a ladder rests on, declared once in ``ladder.yaml`` and cited by its id.

    ``publisher`` and ``date`` are given as the article gives them (free text, or null when it does
    not say); ``file`` is the copy's file name, which the grounding tests read.
    """

    id: Id = Field(pattern=_ID)
    file: str = Field(min_length=1)
    title: str = Field(min_length=1)
    publisher: Optional[str] = None
    date: Optional[str] = Field(default=None, description="As the article gives it, e.g. 16 Aug 2022")


class Source(_Strict):
    """Where a criterion comes from: a declared source (``ref``) or a file, and the section of it.

    With ``ref``, the ladder loader fills ``file`` in from the ``sources:`` block, so that ``str()``
    (the decision's ``source`` field) keeps its ``file: section`` form.
    """

    ref: Optional[str] = Field(default=None, min_length=1, description="The id of a source declared in ladder.yaml")
    file: Optional[str] = Field(default=None, min_length=1)
    section: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ref_or_file(self) -> "Source":
        if self.ref is None and self.file is None:
            raise ValueError("a source needs `ref` (a source declared in ladder.yaml) or `file`")
        return self

    def __str__(self) -> str:
        return f"{self.file or self.ref}: {self.section}"


ThresholdBasis = Literal["source", "calibration"]


class Threshold(_Strict):
    """Where a criterion's threshold comes from: the cited text, or this ladder's own calibration."""

    basis: ThresholdBasis
    why: Optional[str] = Field(default=None, min_length=1, description="Required for calibration: why this number")
    ref: Optional[str] = Field(default=None, min_length=1, description="Another declared source the number comes from")
    section: Optional[str] = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _why_for_calibration(self) -> "Threshold":
        if self.basis == "calibration" and self.why is None:
            raise ValueError("a calibrated threshold needs `why`: the reason for the number")
        if (self.ref is None) != (self.section is None):
            raise ValueError("`ref` and `section` go together: the source and section the number comes from")
        return self


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
    threshold: Optional[Threshold] = None
    group: Optional[str] = Field(default=None, pattern=_ID,
                                 description="A supporting group of the transition (`supporting_groups`) this "
                                             "criterion counts towards; supporting criteria only")


class SupportingGroup(_Strict):
    """A named supporting quota: at least ``needed`` of the supporting criteria of the group must pass."""

    needed: int = Field(ge=0, le=64)
    title: Optional[str] = Field(default=None, min_length=1, description="How to name the group in sentences")


class TransitionHeader(_Strict):
    """The step a transition file describes."""

    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    track: Track
    phase: Phase
    title: str = Field(min_length=1)
    rationale: Optional[str] = Field(default=None, description="Why the step is judged this way (phase, sources)")
    supporting_needed: int = Field(default=0, ge=0, le=64)
    supporting_groups: dict[str, SupportingGroup] = Field(
        default_factory=dict, description="Named supporting quotas, each group's criteria naming it in `group`; "
                                          "supporting_needed is the quota of the criteria that name none")


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
    title_patterns: Optional[TitlePatterns] = None
    sources: tuple[SourceDoc, ...] = ()
    measures: dict[str, Measure] = Field(default_factory=dict)
    scales: dict[str, Scale] = Field(default_factory=dict, description="Ordered scales, lowest first")
    evidence: dict[str, EvidenceField] = Field(default_factory=dict,
                                               description="Fields packets carry under `evidence:`")


class Transition(_Strict):
    """A transition as loaded: header fields plus criteria, with the file it came from."""

    from_: str = Field(alias="from")
    to: str
    track: Track
    phase: Phase
    title: str
    rationale: Optional[str] = None
    supporting_needed: int = 0
    supporting_groups: dict[str, SupportingGroup] = Field(default_factory=dict)
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
    titles: tuple[Title, ...] = Field(default=(), description="Declared titles, then those title_patterns make")
    title_patterns: Optional[TitlePatterns] = None
    sources: tuple[SourceDoc, ...] = ()
    measures: dict[str, Measure]
    transitions: tuple[Transition, ...]
    scales: dict[str, Scale] = Field(default_factory=dict)
    evidence: dict[str, EvidenceField] = Field(default_factory=dict)

    def source_doc(self, source: Source) -> Optional[SourceDoc]:
        """The declared article a criterion's source cites (by ``ref``, or by file name), or None."""
        return next((d for d in self.sources if d.id == source.ref or (source.ref is None and d.file == source.file)),
                    None)

    def citation(self, source: Source) -> str:
        """A citation people can read: "Title — Section" for a declared source, else ``file: section``."""
        doc = self.source_doc(source)
        return f"{doc.title} — {source.section}" if doc is not None else str(source)


__all__ = [
    "Level", "Title", "TitleForm", "TitlePatterns", "Source", "SourceDoc", "Threshold", "ThresholdBasis", "Texts", "Criterion", "SupportingGroup", "TransitionHeader", "TransitionFile", "LadderFile",
    "Transition", "Ladder", "Phase", "LevelTrack", "Track", "keys_of",
    # conditions
    "Condition", "ConditionNode", "Leaf", "AllOf", "AnyOf", "Not", "AtLeast", "CONTAINS_OPS", "Loc", "ComparisonOp", "Operand", "COMPARISON_OPS", "COMBINATIONS",
    "CONDITION_KEYS", "CONDITION_MODELS", "CONDITION_TAGS",
    # measures
    "Measure", "MeasureBase", "MeasureKind", "FieldMeasure", "CountMeasure", "SizeMeasure", "ListMeasure", "FilteredMeasure",
    "Aggregate", "MaxMeasure", "MinMeasure", "SumMeasure", "LatestMeasure", "ReviewMonthsMeasure", "MonthsSinceMeasure",
    "Dated", "EarliestMeasure", "SumOfMeasure", "WeightedMeanMeasure", "WeightedPart",
    "ReviewMonths", "Where", "MEASURE_KINDS", "MEASURE_KEYS", "MEASURE_MODELS", "MEASURE_TAGS",
    # declared evidence (issue 12)
    "Scale", "ScaleStep", "FieldSpec", "RecordField", "EvidenceField", "RecordType", "EvidenceType",
]
