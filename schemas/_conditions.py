"""Conditions: the three-valued expressions a criterion is judged by, one model per kind of node.

A condition is a comparison, ``{measure: NAME, OP: VALUE}`` (a ``Leaf``), or a combination of
conditions, ``{all: [...]}`` / ``{any: [...]}`` / ``{not: ...}`` / ``{at_least: N, of: [...]}``. ``Condition`` is the discriminated
union of the node models, told apart by which key the mapping has. To add a kind of node: write its
model (a ``ConditionNode`` with its ``located_children``), add it to ``COMBINATIONS`` under its key and to the union.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BeforeValidator, Discriminator, Field, Tag, model_validator

from ._base import Strict, closest_key, describe, keys_of, python_names, unknown_keys as _unknown

#: Where a sub-condition sits inside its parent, as keys and indexes (``("all", 1)``).
Loc = tuple[Union[str, int], ...]

ComparisonOp = Literal["gte", "gt", "lte", "lt", "eq", "ne", "in", "contains", "contains_all", "contains_any"]
COMPARISON_OPS: tuple[ComparisonOp, ...] = ("gte", "gt", "lte", "lt", "eq", "ne", "in", "contains", "contains_all",
                                            "contains_any")
#: The operators on a measure of a list of words (issue 12): one word, every word, any word of a list.
CONTAINS_OPS: tuple[ComparisonOp, ...] = ("contains", "contains_all", "contains_any")

#: What a comparison compares with, as written: a number, true/false, a word, a list (for ``in`` and
#: ``contains_all``/``contains_any``), ``{level: NAME}``, ``{measure: NAME}`` (another measure), or a
#: keyed threshold (``{by_org_size: {...}}``, ``{by_track: {...}}``, ``{by_level: {...}}``, ``{by: {...}}``). Whether it fits the measure is checked by the
#: ladder lint, which knows each measure's kind.
Operand = Any


class ConditionNode(Strict):
    """What every kind of condition node offers the code that walks a tree."""

    # How explanations name this condition where it is one part of a larger one ("has 2 (validation,
    # business)" for the parts of an at_least); by default a comparison is named by its measure.
    title: Optional[str] = Field(default=None, min_length=1, max_length=80)

    def located_children(self) -> tuple[tuple[Loc, Condition], ...]:
        """The sub-conditions, each with where it sits in this node (``("all", 1)``), in file order."""
        return ()

    @property
    def children(self) -> tuple[Condition, ...]:
        """The sub-conditions, in file order."""
        return tuple(c for _, c in self.located_children())


class Leaf(ConditionNode):
    """A comparison: ``{measure: NAME, OP: VALUE}`` with exactly one operator (gte, gt, lte, lt, eq, ne, in,
    contains, contains_all, contains_any)."""

    # The operators are fields, as they are written, so that a misspelt one gets pydantic's own error
    # at its key (and a "did you mean"); `op` and `operand` read the one that is set.
    measure: str
    gte: Operand = None
    gt: Operand = None
    lte: Operand = None
    lt: Operand = None
    eq: Operand = None
    ne: Operand = None
    in_: Operand = Field(default=None, alias="in")
    contains: Operand = None
    contains_all: Operand = None
    contains_any: Operand = None

    @model_validator(mode="after")
    def _one_operator(self) -> Leaf:
        ops = [op for op in COMPARISON_OPS if self._given(op) is not None]
        if len(ops) != 1:
            raise ValueError(f"a comparison needs exactly one operator of {', '.join(COMPARISON_OPS)}; found {ops or 'none'}")
        return self

    def _given(self, op: ComparisonOp) -> Operand:
        return self.in_ if op == "in" else getattr(self, op)

    @property
    def op(self) -> ComparisonOp:
        """The comparison operator."""
        return next(op for op in COMPARISON_OPS if self._given(op) is not None)

    @property
    def operand(self) -> Operand:
        """The value the measure is compared with."""
        return self._given(self.op)


class AllOf(ConditionNode):
    """``all: [conditions]``: passes if every part passes, fails if any part fails."""

    all: tuple[Condition, ...] = Field(json_schema_extra={"minItems": 1})

    def located_children(self) -> tuple[tuple[Loc, Condition], ...]:
        """Each part, at ``("all", i)``."""
        return tuple((("all", i), c) for i, c in enumerate(self.all))


class AnyOf(ConditionNode):
    """``any: [conditions]``: passes if any part passes, fails if every part fails."""

    any: tuple[Condition, ...] = Field(json_schema_extra={"minItems": 1})

    def located_children(self) -> tuple[tuple[Loc, Condition], ...]:
        """Each part, at ``("any", i)``."""
        return tuple((("any", i), c) for i, c in enumerate(self.any))


class Not(ConditionNode):
    """``not: condition``: swaps pass and fail (unknown stays unknown)."""

    not_: Condition = Field(alias="not")

    def located_children(self) -> tuple[tuple[Loc, Condition], ...]:
        """The negated condition, at ``("not",)``."""
        return ((("not",), self.not_),)


class AtLeast(ConditionNode):
    """``{at_least: N, of: [conditions]}``: passes if N or more parts pass, fails if fewer than N could
    pass even if every unknown part passed, and is unknown otherwise."""

    at_least: int = Field(ge=1, le=64, strict=True)  # `true` or "2" is a mistake, not 1 or 2
    of: tuple[Condition, ...] = Field(json_schema_extra={"minItems": 1})

    @model_validator(mode="after")
    def _reachable(self) -> AtLeast:
        if self.at_least > len(self.of):
            raise ValueError(f"`at_least: {self.at_least}` of {len(self.of)} condition"
                             f"{'s' if len(self.of) != 1 else ''} can never pass")
        return self

    def located_children(self) -> tuple[tuple[Loc, Condition], ...]:
        """Each part, at ``("of", i)``."""
        return tuple((("of", i), c) for i, c in enumerate(self.of))


#: Each combination's key → its model; a mapping with none of these keys is a comparison.
COMBINATIONS: dict[str, type[ConditionNode]] = {"all": AllOf, "any": AnyOf, "not": Not, "at_least": AtLeast}
CONDITION_MODELS: tuple[type[ConditionNode], ...] = (Leaf, *COMBINATIONS.values())
#: Every key some kind of condition node accepts.
CONDITION_KEYS: tuple[str, ...] = tuple(dict.fromkeys(k for m in CONDITION_MODELS for k in keys_of(m)))
_KEY = python_names(CONDITION_MODELS)  # `in_` → `in`, `not_` → `not`
# Combinations of a list of conditions. An empty list is refused by `_condition_form`, in words of our
# own (a length constraint on the field would also fire whenever an item is invalid).
_LISTS = ("all", "any", "of")


def _written(data: dict) -> dict[str, Any]:
    """The mapping with every key as it is written in a file (``in``, not ``in_``)."""
    return {_KEY.get(k, k): v for k, v in data.items()}


def _model_for(data: dict) -> Optional[type[ConditionNode]]:
    """The node model a mapping is read as. With neither a comparison's keys nor a combination's but
    a misspelt key, the model whose key it resembles, so that its errors name the typo."""
    keys = _written(data)
    if "measure" in keys or any(op in keys for op in COMPARISON_OPS):
        return Leaf
    form = next((k for k in COMBINATIONS if k in keys), None)
    form = form or closest_key([k for k in keys if k not in CONDITION_KEYS], CONDITION_KEYS)
    return Leaf if form in ("measure", *COMPARISON_OPS) else COMBINATIONS.get(form or "")


def _condition_form(data: Any) -> Any:
    """Check a condition as a whole before its node's model reads it, so that an error says what is
    wrong with the node ("a comparison cannot also have `all`", "needs a `measure`")."""
    if isinstance(data, ConditionNode):
        return data
    if not isinstance(data, dict):
        raise ValueError(f"expected a condition: a mapping with `measure` and an operator, or with one of "
                         f"{', '.join(COMBINATIONS)}; got {describe(data)}")
    # null has always meant "not given" for every key of a condition.
    data = {k: v for k, v in data.items() if not (v is None and _KEY.get(k, k) in CONDITION_KEYS)}
    written = _written(data)
    unknown = [k for k in written if k not in CONDITION_KEYS]
    model = _model_for(data)
    if unknown and model is not None:
        # A misspelt key: the model names it, with the closest known one. The other problems of the
        # node (another node's keys beside it) show once the typo is fixed, as they always have.
        accepted = keys_of(model)
        return {k: v for k, v in data.items() if _KEY.get(k, k) in accepted or _KEY.get(k, k) in unknown}
    ops = [op for op in COMPARISON_OPS if op in written]
    forms = [k for k in COMBINATIONS if k in written]
    if "measure" in written:
        if forms:
            raise ValueError(f"a comparison cannot also have `{forms[0]}`")
        return data
    if ops:
        raise ValueError(f"operator `{ops[0]}` needs a `measure`")
    if len(forms) != 1:
        raise ValueError(f"a condition is a comparison (measure + operator) or exactly one of "
                         f"{', '.join(COMBINATIONS)}; found {forms or 'none'}{_unknown(unknown)}")
    listed = "of" if forms[0] == "at_least" else forms[0]
    body = written.get(listed)
    if listed in _LISTS and isinstance(body, (list, tuple)) and not body:
        raise ValueError(f"`{listed}` needs at least one condition")
    return data


def _condition_tag(value: Any) -> str:
    if isinstance(value, ConditionNode):
        return type(value).__name__
    return (_model_for(value) or Leaf).__name__  # `_condition_form` has refused a mapping with no model


#: The names of the variants of the ``Condition`` union; pydantic puts them in error locations.
CONDITION_TAGS: frozenset[str] = frozenset(m.__name__ for m in CONDITION_MODELS)

#: A condition node: a comparison or a combination, told apart by its keys.
Condition = Annotated[
    Union[
        Annotated[Leaf, Tag("Leaf")],
        Annotated[AllOf, Tag("AllOf")],
        Annotated[AnyOf, Tag("AnyOf")],
        Annotated[Not, Tag("Not")],
        Annotated[AtLeast, Tag("AtLeast")],
    ],
    Discriminator(_condition_tag),
    BeforeValidator(_condition_form),
]

for _model in CONDITION_MODELS:
    _model.model_rebuild()
