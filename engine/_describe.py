"""A ladder as a committee reads it: each transition's criteria with thresholds in words (data only)."""

from __future__ import annotations

from typing import Any, Optional

from promoready.schemas.ladder import Ladder, Source

from ._compile import Compiler
from ._decision import calibrated
from ._explain import Explainer
from ._levels import LevelIndex


def describe_ladder(ladder: Ladder, transition: Optional[str] = None) -> dict:
    """The ladder (or one transition, by ``from-to-to`` key) as plain data for rendering."""
    index = LevelIndex(ladder)
    transitions: list[dict[str, Any]] = []
    out = {"id": ladder.id, "version": ladder.version, "title": ladder.title, "transitions": transitions,
           # Titles outside the ladder (declared, or made by title_patterns) and the rank each counts as.
           "titles": [{"id": t.id, "title": t.title, "rank": t.rank} for t in ladder.titles]}
    for t in ladder.transitions:
        if transition is not None and t.key != transition:
            continue
        compiler = Compiler(ladder, t, index)
        explainer = Explainer(ladder.measures, index, {"current": t.from_, "target": t.to})
        criteria = []
        for c in t.criteria:
            tree = compiler.node(c.condition)
            threshold = c.threshold
            criteria.append({
                "id": c.id,
                "title": c.title,
                "required": c.required,
                "expected": explainer.expected(tree, None) + (" (calibrated)" if calibrated(c) else ""),
                "rationale": " ".join(c.rationale.split()),
                "source": str(c.source),
                "source_title": ladder.citation(c.source),
                "threshold": None if threshold is None else {
                    "basis": threshold.basis,
                    "why": " ".join(threshold.why.split()) if threshold.why else None,
                    "source_title": None if threshold.ref is None else ladder.citation(
                        Source(ref=threshold.ref, section=threshold.section or "")),
                },
                "text": {"pass": c.text.pass_, "fail": c.text.fail, "unknown": c.text.unknown},
            })
            if t.supporting_groups:  # only there, so a ladder without named groups is described as before
                criteria[-1]["group"] = None if c.required else c.group
        transitions.append({
            "key": t.key, "from": t.from_, "to": t.to, "track": t.track, "phase": t.phase, "title": t.title,
            "rationale": " ".join((t.rationale or "").split()) or None, "supporting_needed": t.supporting_needed, "criteria": criteria,
        })
        if t.supporting_groups:
            transitions[-1]["supporting_groups"] = [{"id": gid, "title": g.title, "needed": g.needed}
                                                    for gid, g in t.supporting_groups.items()]
    return out
