"""Small hand-made decision records for the report's unit tests (the shape `promoready batch` writes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Optional


def criterion(cid: str, status: str, *, required: bool = True, next_step: Optional[str] = None,
              title: Optional[str] = None, missing: Iterable[str] = ()) -> dict[str, Any]:
    return {"id": cid, "title": title or cid.replace("-", " "), "required": required, "status": status,
            "expected": "", "actual": "", "explanation": "", "evidence": [], "missing": list(missing),
            "next_step": next_step if status != "pass" else None, "source": "s"}


def decision(candidate: str, verdict: str, criteria: list[dict[str, Any]], *, transition: tuple[str, str] = ("pm", "senior-pm"),
             track: str = "ic", needed: int = 0, committee: Optional[str] = None) -> dict[str, Any]:
    passed = sum(c["status"] == "pass" and not c["required"] for c in criteria)
    return {"decision_version": 1, "candidate_id": candidate,
            "ladder": {"id": "product-management", "version": "1", "digest": "sha256:0"}, "packet_digest": "sha256:0",
            "transition": {"from": transition[0], "to": transition[1], "track": track, "phase": "p"},
            "as_of": "2026-11-01", "verdict": verdict, "criteria": criteria,
            "summary": {"pass": 0, "fail": 0, "unknown": 0},
            "supporting": {"needed": needed, "passed": passed, "unknown": 0},
            "next_steps": [], "warnings": [], "committee_outcome": committee}


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def projected(words: str, day: str) -> str:
    """A next step the explainer words for a gap time closes."""
    return f"{words}, projected {day} at the current pace"
