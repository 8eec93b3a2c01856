"""The ladder: levels, measures and transitions, each transition a list of criteria (rules as data).

These models check the *shape* of a ladder file. The meaning (every name resolves, every field path
exists in the packet, every measure is used) is checked by ``promoready.engine`` when the ladder is
loaded, because it needs the whole ladder at once. The language is described in
``docs/rules-language.md``.
"""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

Id = str  # validated by pattern on each field below
_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_MEASURE_ID = r"^[a-z][a-z0-9_]*$"

Phase = Literal["progressing-seniority", "product-leader-canyon", "manager-to-executive"]
LevelTrack = Literal["ic", "management", "both"]
Track = Literal["ic", "management"]

COMPARISON_OPS = ("gte", "gt", "lte", "lt", "eq", "ne", "in")
MEASURE_KINDS = ("field", "count", "size", "max", "min", "sum", "review_months", "months_since")


class _Strict(BaseModel):
    """Ladder files are written by people: an unknown key is a typo, so it is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


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


class ReviewMonths(_Strict):
    """Months of reviews judged at or above a level, overlaps merged, up to ``as_of``."""

    at_or_above: str = Field(min_length=1, description="A level id or alias, or `current` / `target`")
    min_rating: Optional[Literal["below", "meets", "exceeds", "outstanding"]] = None
    within_months: Optional[int] = Field(default=None, ge=1, le=1200)


class Measure(_Strict):
    """A named figure computed from a packet. Exactly one kind key is set."""

    field: Optional[str] = None
    count: Optional[str] = None
    size: Optional[str] = None
    max: Optional[str] = None
    min: Optional[str] = None
    sum: Optional[str] = None
    review_months: Optional[ReviewMonths] = None
    months_since: Optional[str] = None
    of: Optional[str] = None
    where: Optional[dict[str, Any]] = None
    unit: Optional[str] = None
    grows: bool = False
    title: Optional[str] = None

    @model_validator(mode="after")
    def _one_kind(self) -> "Measure":
        kinds = [k for k in MEASURE_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a measure needs exactly one of {', '.join(MEASURE_KINDS)}; found {kinds or 'none'}")
        kind = kinds[0]
        if kind in ("max", "min", "sum") and self.of is None:
            raise ValueError(f"`{kind}` needs `of`: the item field to aggregate")
        if kind not in ("max", "min", "sum") and self.of is not None:
            raise ValueError("`of` belongs only to max, min and sum")
        if kind not in ("count", "max", "min", "sum") and self.where is not None:
            raise ValueError("`where` belongs only to count, max, min and sum")
        return self

    @property
    def kind(self) -> str:
        """Which of ``MEASURE_KINDS`` this measure is."""
        return next(k for k in MEASURE_KINDS if getattr(self, k) is not None)


class Condition(_Strict):
    """A comparison (``measure`` + one operator) or a combination (``all`` / ``any`` / ``not``)."""

    measure: Optional[str] = None
    gte: Any = None
    gt: Any = None
    lte: Any = None
    lt: Any = None
    eq: Any = None
    ne: Any = None
    in_: Any = Field(default=None, alias="in")
    all: Optional[tuple["Condition", ...]] = None
    any: Optional[tuple["Condition", ...]] = None
    not_: Optional["Condition"] = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> "Condition":
        ops = [op for op in COMPARISON_OPS if self.operand(op) is not None]
        combos = [k for k, v in (("all", self.all), ("any", self.any), ("not", self.not_)) if v is not None]
        if self.measure is not None:
            if combos:
                raise ValueError(f"a comparison cannot also have `{combos[0]}`")
            if len(ops) != 1:
                raise ValueError(f"a comparison needs exactly one operator of {', '.join(COMPARISON_OPS)}; found {ops or 'none'}")
        else:
            if ops:
                raise ValueError(f"operator `{ops[0]}` needs a `measure`")
            if len(combos) != 1:
                raise ValueError(f"a condition is a comparison (measure + operator) or exactly one of all, any, not; found {combos or 'none'}")
            if self.all is not None and not self.all or self.any is not None and not self.any:
                raise ValueError(f"`{combos[0]}` needs at least one condition")
        return self

    def operand(self, op: str) -> Any:
        """The value given for comparison operator ``op`` (``in`` included), or None."""
        return self.in_ if op == "in" else getattr(self, op)

    @property
    def op(self) -> Optional[str]:
        """The comparison operator, or None for a combination."""
        return next((o for o in COMPARISON_OPS if self.operand(o) is not None), None)


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
