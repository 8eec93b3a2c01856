"""What the store keeps for one packet, made from what ``batch`` produced: the masks applied first,
then every column taken from the masked documents (so a masked field is in no column either)."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass
from typing import Any, Optional, Union

from .masks import MaskFailed, Masks


@dataclass(frozen=True)
class DecisionRows:
    """A ``decisions`` row and its ``criterion_results`` rows (without the ids the database assigns)."""

    decision: dict[str, Any]
    criteria: list[dict[str, Any]]


def _dumps(value: Any) -> str:
    # default=str: a YAML packet may hold dates, which JSON writes as their ISO text.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _text(value: Union[bytes, str]) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def new_public_id() -> str:
    """A decision's public id: a random UUID (never derived from the packet, so it reveals nothing of it)."""
    return str(uuid.uuid4())


def decision_rows(item: str, seq: Optional[int], decision_json: Union[bytes, str], *, packet: Any = None,
                  masks: Optional[Masks] = None, public_id: Optional[str] = None,
                  columns: Optional[tuple] = None) -> DecisionRows:
    """The rows for one decision (its JSON as ``batch`` wrote it) and, if given, its packet (a parsed document).

    ``seq`` is the decision's position in its cycle (a batch's input position), or None: the store gives it
    the cycle's next position when it writes it.

    ``public_id`` is the decision's UUID when it already has one (the service's ``decision_id``); a new
    one otherwise.

    ``columns``: the decision's columns read off its model where it was made (``batch``'s ``columns_of``:
    candidate id, packet digest, ladder id and digest, transition from and to, as-of, verdict, and each
    criterion's id, required and status). Without masks they are used as they are, and the JSON line is
    not parsed again (they are the same values: tested); masks read the JSON whatever is given.

    Raises ``MaskFailed`` when a mask cannot be applied: the caller drops the record.
    """
    text = _text(decision_json).rstrip("\n")
    if columns is None or masks:
        decision = json.loads(text)
        if masks:
            # The packet is the caller's: masks change only the copy that is stored.
            packet = copy.deepcopy(packet) if masks.touches("packet") else packet
            record = {"decision": decision, "packet": packet}
            try:
                masks.apply(record)
            except MaskFailed:
                raise
            except Exception as exc:  # anything unforeseen in masking drops the record too: never stored unmasked
                raise MaskFailed(f"masking failed: {type(exc).__name__}: {exc}") from exc
            if masks.touches("decision"):
                text = _dumps(decision)
        columns = _columns(decision)
    cid, packet_digest, ladder_id, ladder_digest, from_, to, as_of, verdict, criteria = columns
    row = {
        "uuid": public_id or new_public_id(),
        "item": item, "seq": seq,
        "candidate_id": cid, "packet_digest": packet_digest, "ladder_id": ladder_id, "ladder_digest": ladder_digest,
        "transition_from": from_, "transition_to": to, "as_of": as_of, "verdict": verdict,
        "decision_json": text,
        "packet_json": _dumps(packet) if packet is not None else None,
    }
    by_id = {c[0]: {"criterion_id": c[0], "required": c[1], "status": c[2]} for c in criteria}  # the last of an id
    return DecisionRows(row, list(by_id.values()))


def _columns(decision: dict[str, Any]) -> tuple:
    """A decision's columns read from its JSON (in the order ``columns`` gives them; a value of the wrong
    type as None, a criterion without a text id and status left out)."""
    ladder, transition = (decision.get(key) for key in ("ladder", "transition"))
    ladder = ladder if isinstance(ladder, dict) else {}
    transition = transition if isinstance(transition, dict) else {}
    listed = decision.get("criteria")
    criteria = [c for c in (listed if isinstance(listed, list) else [])
                if isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("status"), str)]
    return (_str(decision.get("candidate_id")), _str(decision.get("packet_digest")), _str(ladder.get("id")),
            _str(ladder.get("digest")), _str(transition.get("from")), _str(transition.get("to")),
            _str(decision.get("as_of")), _str(decision.get("verdict")),
            tuple((c["id"], bool(c.get("required")), c["status"]) for c in criteria))


def error_row(item: str, seq: Optional[int], error: dict[str, Any], candidate_id: Optional[str], *,
              masks: Optional[Masks] = None) -> dict[str, Any]:
    """The ``errors`` row for a packet that got no decision; its candidate id is left out when masked."""
    if masks and masks.touches("decision"):
        probe: dict[str, Any] = {"decision": {"candidate_id": candidate_id}}
        try:
            masks.apply(probe)
            candidate_id = probe["decision"].get("candidate_id")
        except MaskFailed:
            candidate_id = None
    return {"item": item, "seq": seq, "candidate_id": candidate_id, "code": str(error.get("code") or ""),
            "message": str(error.get("message") or ""), "error_json": _dumps(error)}
