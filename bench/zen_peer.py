"""The peer: GoRules zen-engine (PyPI ``zen-engine``) deciding the same criteria as decision tables.

A JDM decision graph is generated from promoready's compiled ladder model for a transition:

    Request ──► one decision table per criterion (hit policy "first": pass row, fail row, default
                unknown row; one expression column holding the criterion's three-valued condition)
            ──► an expression node that tallies the statuses (required failed / unknown, supporting
                passed / passed-or-unknown)
            ──► a verdict table (first hit: not_ready, insufficient_evidence, ready) ──► Response

The conditions are the same compiled trees the engine and the explainer read (``plan.trees``), over
the same encoded measures (the evidence fact): a comparison passes when its measure is present and
holds, fails when present and does not hold, else it is unknown (a count in doubt, a range, passes on
its end nearer the bar and fails on the farther one); ``all`` / ``any`` / ``not`` combine
with Kleene logic; an organisation-size threshold uses the packet's size, or when the size is
unknown passes only if every size's threshold holds and fails only if none does.

``ZenEvaluator`` is promoready's ``Evaluator`` with the decision and the output swapped: parsing,
validation and the measure step are promoready's own; zen decides; the result is zen's response
(result, and the trace when it is on) serialised with ``json.dumps``. It produces no explanation
(expected / actual wording, evidence, missing fields, next steps and projected dates), no packet
digest, no typo warnings and no pydantic ``Decision``.

zen is used as GoRules' Python documentation recommends for speed: each graph is pre-compiled once
(``zen.ZenDecisionContent``: the JSON parsed and every expression compiled) and the ``ZenDecision``
made from it is reused for every packet. A decision made from a JSON string instead keeps the
expressions as text and compiles them on every evaluation (zen 2.x, ``bindings/python/src/content.rs``):
``precompiled=False`` keeps that setup, for comparison. ``trace`` is on by default (the fair
comparison: promoready's decision records what fired); ``trace=False`` gives zen's fastest.
"""

from __future__ import annotations

import json
from typing import Any, Optional

import zen

from promoready.engine import Evaluator

TRANSITIONS = ("senior-pm-to-director", "apm-to-pm")
_CMP = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<", "eq": "==", "ne": "!="}
_SIZE = "_size"


def _lit(value: Any) -> str:
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)


def _holds(leaf, threshold: Any) -> str:
    m = leaf.measure
    if leaf.op == "in":
        return f"({m} in {_lit(threshold)})"
    return f"({m} {_CMP[leaf.op]} {_lit(threshold)})"


def _high(measure: str) -> str:
    """The name zen knows a count's high end by (a count in doubt is a range: engine/_ranges.py); a
    measure's name starts with a letter, so none can be this."""
    return f"_hi_{measure}"


def _leaf(leaf, status: str) -> str:
    """The zen expression for 'this comparison passes' (or fails), null-safe."""
    m = leaf.measure

    def want(threshold: Any) -> str:
        if leaf.upper is not None:  # a range: pass on the end nearer the bar, fail on the farther one
            if leaf.op not in ("gte", "gt", "lte", "lt"):
                raise NotImplementedError(f"the zen peer compares a count in doubt only by order, not by {leaf.op}")
            near, far = (m, _high(m)) if leaf.op in ("gte", "gt") else (_high(m), m)
            end = near if status == "pass" else far
            text = f"({end} {_CMP[leaf.op]} {_lit(threshold)})"
        else:
            text = _holds(leaf, threshold)
        return text if status == "pass" else f"not {text}"

    if leaf.by_size is None:
        return f"({m} != null and {want(leaf.operand)})"
    known = [f"({_SIZE} == {i} and {want(t)})" for i, t in enumerate(leaf.by_size)]
    unknown = f"({_SIZE} == null and " + " and ".join(want(t) for t in leaf.by_size) + ")"
    return f"({m} != null and (" + " or ".join(known + [unknown]) + "))"


def expression(node, status: str) -> str:
    """The zen expression for 'this compiled condition tree has ``status``' (pass or fail)."""
    if node.form == "leaf":
        return _leaf(node.leaf, status)
    if node.form == "not":
        return expression(node.children[0], "fail" if status == "pass" else "pass")
    parts = [expression(ch, status) for ch in node.children]
    conjunctive = (node.form == "all") == (status == "pass")
    return "(" + (" and " if conjunctive else " or ").join(parts) + ")"


def _node(node_id: str, kind: str, name: str, x: int, content: Optional[dict] = None) -> dict:
    out = {"id": node_id, "type": kind, "name": name, "position": {"x": x, "y": 0}}
    if content is not None:
        out["content"] = content
    return out


def _table(node_id: str, name: str, x: int, rows: list[tuple[str, str]], field: str, pass_through: bool = False) -> dict:
    content = {
        "hitPolicy": "first",
        "inputs": [{"id": "cond", "name": "condition", "type": "expression"}],
        "outputs": [{"id": "out", "name": name, "field": field, "type": "expression"}],
        "rules": [{"_id": f"{node_id}.{i}", "cond": cond, "out": out} for i, (cond, out) in enumerate(rows)],
    }
    if pass_through:
        content["passThrough"] = True
    return _node(node_id, "decisionTableNode", name, x, content)


def jdm(plan) -> dict:
    """The JDM decision graph (a dict, JSON-ready) for one compiled transition plan."""
    t = plan.transition
    nodes = [_node("request", "inputNode", "Request", 0)]
    edges = []
    statuses = {"required": [], "supporting": []}
    for i, (criterion, tree) in enumerate(zip(t.criteria, plan.trees)):
        node_id = f"c{i}"
        rows = [(expression(tree, "pass"), '"pass"'), (expression(tree, "fail"), '"fail"'), ("", '"unknown"')]
        nodes.append(_table(node_id, criterion.id, 300, rows, f"criteria.{node_id}"))
        edges.append({"id": f"in-{node_id}", "sourceId": "request", "targetId": node_id, "type": "edge"})
        edges.append({"id": f"{node_id}-tally", "sourceId": node_id, "targetId": "tally", "type": "edge"})
        statuses["required" if criterion.required else "supporting"].append(f"criteria.{node_id}")

    def count(kind: str, test: str) -> str:
        return f"count([{', '.join(statuses[kind])}], {test})" if statuses[kind] else "0"

    tally = [("criteria", "criteria"), ("rf", count("required", '# == "fail"')),
             ("ru", count("required", '# == "unknown"')), ("sp", count("supporting", '# == "pass"')),
             ("spu", count("supporting", '# != "fail"'))]
    nodes.append(_node("tally", "expressionNode", "tally", 600,
                       {"expressions": [{"id": key, "key": key, "value": value} for key, value in tally]}))
    needed = t.supporting_needed
    verdict_rows = [("rf > 0", '"not_ready"'), (f"spu < {needed}", '"not_ready"'), ("ru > 0", '"insufficient_evidence"'),
                    (f"sp < {needed}", '"insufficient_evidence"'), ("", '"ready"')]
    nodes.append(_table("verdict", "verdict", 900, verdict_rows, "verdict", pass_through=True))
    nodes.append(_node("response", "outputNode", "Response", 1200))
    edges.append({"id": "tally-verdict", "sourceId": "tally", "targetId": "verdict", "type": "edge"})
    edges.append({"id": "verdict-out", "sourceId": "verdict", "targetId": "response", "type": "edge"})
    return {"nodes": nodes, "edges": edges}


class ZenResult:
    """What the zen pipeline outputs for a packet: zen's response (result and trace), as JSON."""

    __slots__ = ("candidate_id", "transition", "response", "statuses", "verdict")

    def __init__(self, candidate_id: str, transition: str, response: dict, statuses: list[str], verdict: str) -> None:
        self.candidate_id = candidate_id
        self.transition = transition
        self.response = response
        self.statuses = statuses
        self.verdict = verdict

    def to_json(self) -> str:
        return json.dumps({"candidate_id": self.candidate_id, "transition": self.transition, **self.response},
                          ensure_ascii=False, separators=(",", ":"))


class ZenEvaluator(Evaluator):
    """promoready's parse, validation and measures; zen-engine decides (pre-compiled graphs; trace on
    unless ``trace=False``); zen's JSON out."""

    def __init__(self, ladder=None, transitions: tuple[str, ...] = TRANSITIONS, trace: bool = True,
                 precompiled: bool = True) -> None:
        super().__init__(ladder)
        self.engine = zen.ZenEngine()
        self.options = {"trace": trace}
        self.graphs: dict[str, dict] = {}
        self.decisions: dict[str, Any] = {}
        for plan in self._plans.values():
            key = plan.transition.key
            if key in transitions:
                self.graphs[key] = jdm(plan)
                text = json.dumps(self.graphs[key])
                content = zen.ZenDecisionContent(text) if precompiled else text
                self.decisions[key] = self.engine.create_decision(content)
        missing = set(transitions) - set(self.decisions)
        if missing:
            raise ValueError(f"no such transitions in the ladder: {', '.join(sorted(missing))}")
        self._response: Optional[dict] = None

    def _decide(self, plan, fact: dict) -> tuple[list[str], str]:
        decision = self.decisions.get(plan.transition.key)
        if decision is None:
            raise KeyError(f"the zen peer models only {', '.join(self.decisions)}, not {plan.transition.key}")
        named = {name: fact[key] for name, key in plan.keys.items() if key in fact}  # engine keys → measure names
        for name, figure in plan.uppers.items():  # a count's high end, by a name zen can read
            named[_high(name)] = named.pop(figure, None)
        if _SIZE in fact:
            named[_SIZE] = fact[_SIZE]
        response = decision.evaluate(named, self.options)
        self._response = response
        criteria = response["result"]["criteria"]
        statuses = [criteria[f"c{i}"] for i in range(len(plan.trees))]
        return statuses, response["result"]["verdict"]

    def _decision(self, packet, plan, day, statuses, verdict, *args, **kwargs) -> ZenResult:
        response, self._response = self._response, None
        return ZenResult(packet.candidate.id, plan.transition.key, response, statuses, verdict)
