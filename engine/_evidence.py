"""A packet's ``evidence:`` section, checked against the fields its ladder declares.

The packet model carries ``evidence`` as an open mapping (which fields it may hold depends on the
ladder). Each ladder that declares evidence gets a pydantic model of its own, built once from its
``scales:`` and ``evidence:`` blocks: it checks a packet's section (an undeclared key, a value of
the wrong type, a rating not on its scale are input errors naming the field path, the line and the
closest declared name) and gives the values their types (dates as dates). The same model gives
``promoready schema packet --ladder X`` its ``evidence`` property.

Measures read the checked section as plain data: a mapping of declared name → value, each record a
mapping of field → value (so that no declared name can collide with an attribute of a model).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from promoready.schemas._types import Bool, Name
from promoready.schemas.ladder import FieldSpec, Ladder, LadderFile
from promoready.schemas.packet import PacketDate, Packet

from . import _packet, _wording, errors
from ._locate import format_path
from .errors import PacketError, PacketInvalid, PromoreadyError, closest

#: The largest magnitude a declared number may have (as any figure of a packet).
_FIGURE = 1e15
_MODEL_CONFIG = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


def _annotation(spec: FieldSpec, scales: dict, name: str) -> Any:
    """The pydantic type of one declared field (a record field or a top-level field)."""
    t = spec.type
    if t in ("number", "integer"):
        lo = spec.min if spec.min is not None else -_FIGURE
        hi = spec.max if spec.max is not None else _FIGURE
        base = int if t == "integer" else float
        return _bounded(base, lo, hi)
    if t == "boolean":
        return Bool
    if t == "date":
        return PacketDate
    if t == "rating":
        words = tuple(step.id for step in scales.get(spec.scale, ()))
        return Literal[words] if words else str  # an unknown scale: the lint says so
    word: Any = Literal[tuple(spec.values)] if spec.values else Name
    if t == "string":
        return word
    if t == "strings":
        return list[word]
    assert t == "records", t
    return list[_record_model(spec, scales, name)]  # type: ignore[misc]


def _bounded(base: type, lo: float, hi: float) -> Any:
    extra = {"allow_inf_nan": False} if base is float else {}
    if base is int:
        lo, hi = int(-(-lo // 1)), int(hi // 1)  # whole bounds inside the declared ones
    return Annotated[base, Field(strict=True, ge=lo, le=hi, **extra)]  # type: ignore[call-overload]


def _fields(specs: Mapping[str, FieldSpec], scales: dict, prefix: str) -> dict[str, Any]:
    # Python names f0, f1… with the declared name as alias: a declared name such as `json` or
    # `copy` must not shadow the model's own attributes.
    return {f"f{i}": (Optional[_annotation(spec, scales, f"{prefix}{name}")],
                      Field(default=None, alias=name, description=spec.title))
            for i, (name, spec) in enumerate(specs.items())}


def _record_model(spec: FieldSpec, scales: dict, name: str) -> type[BaseModel]:
    fields = getattr(spec, "fields", None) or {}
    return create_model(f"Record_{name}", __config__=_MODEL_CONFIG, **_fields(fields, scales, name + "_"))


class DeclaredEvidence:
    """The evidence fields one ladder declares, ready to check packets' ``evidence:`` sections."""

    def __init__(self, ladder: Ladder | LadderFile) -> None:
        self.ladder_id = ladder.id if isinstance(ladder, Ladder) else ladder.ladder
        self.specs = dict(ladder.evidence)
        self.scales = dict(ladder.scales)
        self.model: type[BaseModel] = create_model(
            "Evidence", __config__=_MODEL_CONFIG, __doc__=f"Evidence fields declared by ladder '{self.ladder_id}'",
            **_fields(self.specs, self.scales, ""))
        # Validated with the `evidence` key itself, so that every error location starts with it.
        self._holder: type[BaseModel] = create_model(
            "PacketEvidence", __config__=ConfigDict(extra="ignore"), evidence=(Optional[self.model], None))  # type: ignore[arg-type]

    def check(self, packet: Packet, source: _packet.Source) -> Optional[dict[str, Any]]:
        """The packet's evidence section, checked and typed (declared name → value), or None when the
        packet has none. Raises a ``PacketInvalid`` listing every problem of the section."""
        raw = packet.evidence
        if raw is None:
            return None
        try:
            checked = self._holder.model_validate({"evidence": raw}).evidence  # type: ignore[attr-defined]
        except ValidationError as exc:
            raise self._invalid(exc, source) from None
        assert checked is not None
        return checked.model_dump(by_alias=True)  # dates stay dates: measures compare them

    def problems(self, raw: Any, source: _packet.Source) -> list[PromoreadyError]:
        """Every problem of an ``evidence:`` section as read (``raw``: the packet's data under that key),
        none when it is fine or absent: for a packet already invalid for other reasons, so that one run
        reports its evidence problems with the rest."""
        if raw is None:
            return []
        try:
            self._holder.model_validate({"evidence": raw})
        except ValidationError as exc:
            return list(self._invalid(exc, source).problems)
        return []

    def adding_to(self, exc: PacketInvalid) -> PacketInvalid:
        """``exc`` (a packet that failed validation, with its data as read) with the problems of its
        ``evidence:`` section added (those at a path already reported are left out)."""
        if not isinstance(exc.data, dict) or not isinstance(exc.source, _packet.Source):
            return exc
        return exc.adding(self.problems(exc.data.get("evidence"), exc.source))

    def _known_at(self, loc: tuple) -> tuple[str, list[str]]:
        """What the mapping at ``loc`` (inside ``evidence``) holds, and the names it may hold."""
        if len(loc) <= 1:
            return "evidence field '{key}'", list(self.specs)
        spec = self.specs.get(str(loc[1]))
        fields = getattr(spec, "fields", None) or {}
        return "field '{key}' of " + format_path(loc[:2]) + " records", list(fields)

    def _invalid(self, exc: ValidationError, source: _packet.Source) -> PacketInvalid:
        """Every problem pydantic found (up to the packet's reporting cap), in the order of the file."""
        found = exc.errors(include_url=False)
        problems = [self._error(err, source) for err in found[:_packet.MAX_PROBLEMS]]
        problems.sort(key=lambda p: p.line or 0)  # stable: the declared order within a line
        return PacketInvalid(problems, more=len(found) - len(problems))

    def _error(self, err: Any, source: _packet.Source) -> PromoreadyError:
        """One of pydantic's complaints as a ``PacketError``: path, line and the closest declared name."""
        loc = tuple(err["loc"])
        path = format_path(loc)
        given = err.get("input")
        if err["type"] == "extra_forbidden":
            what, known = self._known_at(loc[:-1])
            key = str(loc[-1])
            shown = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
            declared = (f"ladder '{self.ladder_id}' declares {shown}" if known
                        else f"ladder '{self.ladder_id}' declares no evidence fields")
            return PacketError(f"unknown {what.format(key=key)}: {declared}", code=errors.PACKET_UNDECLARED_EVIDENCE,
                               file=source.name, line=source.line(loc), path=path,
                               suggestion=closest(key, known) if known and len(key) <= 200 else None)
        if err["type"] == "literal_error":
            allowed = [str(v) for v in (err.get("ctx") or {}).get("expected_values", ())] or self._words(loc)
            said = str(given) if isinstance(given, (str, int, float)) and not isinstance(given, bool) else ""
            return PacketError(f"{_wording.shown(given)} is not one of {', '.join(allowed)}",
                               code=errors.PACKET_LITERAL_ERROR, file=source.name, line=source.line(loc), path=path,
                               suggestion=closest(said, allowed) if said and len(said) <= 200 else None)
        return _packet._problem(err, source)

    def _words(self, loc: tuple) -> list[str]:
        """The words a rating or a closed string at ``loc`` may be (for the message of a wrong one)."""
        names = [p for p in loc[1:] if isinstance(p, str)]
        spec: Any = self.specs.get(names[0]) if names else None
        if spec is not None and len(names) > 1:
            spec = (getattr(spec, "fields", None) or {}).get(names[1])
        if spec is None:
            return []
        if spec.type == "rating":
            return [step.id for step in self.scales.get(spec.scale, ())]
        return list(spec.values or ())

    def json_schema(self) -> dict:
        """The JSON Schema of the ladder's ``evidence:`` section (its ``$defs`` inline, for embedding)."""
        schema = self.model.model_json_schema(by_alias=True, mode="validation")
        return schema


def packet_schema(ladder: Optional[Ladder] = None) -> dict:
    """The packet's JSON Schema; with ``ladder``, its ``evidence`` property is the ladder's declared fields."""
    from promoready.schemas import json_schema

    schema = json_schema("packet")
    if ladder is None:
        return schema
    evidence = DeclaredEvidence(ladder).json_schema()
    defs = evidence.pop("$defs", {})
    schema.setdefault("$defs", {}).update(defs)
    evidence["description"] = f"Evidence fields declared by ladder '{ladder.id}' {ladder.version}"
    schema["properties"]["evidence"] = {"anyOf": [evidence, {"type": "null"}], "default": None}
    schema["$id"] = f"https://promoready.dev/schemas/packet-{ladder.id}.json"
    return schema
