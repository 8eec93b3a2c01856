"""promoready's data models: the packet (input), the ladder (rules as data), the decision (output)."""

from pydantic import BaseModel

from .decision import CriterionResult, Decision, Summary, Supporting
from .ladder import Condition, Criterion, Ladder, Level, Measure, Transition
from .packet import Packet

__all__ = [
    "Packet",
    "Ladder",
    "Level",
    "Measure",
    "Transition",
    "Criterion",
    "Condition",
    "Decision",
    "CriterionResult",
    "Summary",
    "Supporting",
    "json_schema",
]

_MODELS: dict[str, type[BaseModel]] = {"packet": Packet, "decision": Decision, "ladder": Ladder}


def json_schema(name: str) -> dict:
    """The JSON Schema of ``packet``, ``decision`` or ``ladder`` (for editors and other languages)."""
    model = _MODELS[name]
    schema = model.model_json_schema(by_alias=True, mode="validation" if name != "decision" else "serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://promoready.dev/schemas/{name}.json"
    return schema
