"""Output models built from values the engine itself produced, without pydantic's validation."""

from __future__ import annotations

from typing import Any, TypeVar

M = TypeVar("M")


#: Per output model, the set of all its field names: the fields-set of every instance ``build`` makes
#: (they all give every field). Shared, which is safe: the output models are frozen, and pydantic only
#: ever adds a field's name to it, which every name is in already.
_ALL_FIELDS: dict[type, set[str]] = {}


def build(model: type[M], values: dict[str, Any], _set: Any = object.__setattr__) -> M:
    """An instance of an output model from values the evaluator itself produced (already valid).

    pydantic's ``model_construct`` spends most of its time on defaults and aliases these values
    don't need; this sets exactly what it would set. ``values`` gives every field by its name
    (nothing is defaulted) and becomes the instance's own: a dict, not keywords, which cost more
    to pack than the rest of the call.
    """
    obj = model.__new__(model)
    _set(obj, "__dict__", values)
    fields = _ALL_FIELDS.get(model)
    if fields is None:
        fields = _ALL_FIELDS[model] = set(model.model_fields)  # type: ignore[attr-defined]
    if len(values) != len(fields):  # not every field given (never, by the contract above): its own set
        fields = set(values)
    _set(obj, "__pydantic_fields_set__", fields)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj
