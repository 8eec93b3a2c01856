"""Metamorphic properties of the engine's decisions, on the tiny ladder and on the default ladder.

- Reordering any list of the packet changes nothing (list indices in evidence are followed through
  the permutation; the packet digest is of course different, since the packet is).
- Free text (candidate name, impact summary and metric, artifact title, advocate name) changes
  nothing but ``packet_digest``.
- The same packet evaluated twice gives byte-identical JSON, and the input is not modified.
- Adding evidence (a committed advocate at the highest rank, a measured company-wide outcome, a review
  period at the target level) never turns a passing criterion into anything else, for every criterion
  that is monotone by construction (derived from the ladder: only ``all``/``any`` of ``gte``/``gt``
  comparisons on ``count``/``review_months`` measures).
"""

from __future__ import annotations

import copy
import datetime
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from promoready.schemas.ladder import Condition, CountMeasure, Ladder, Leaf, Not, ReviewMonthsMeasure
from promoready.schemas.packet import Packet
from strategies import DEFAULT, DEFAULT_UNAVAILABLE, TINY, evaluator, examples, packets

TINY_EVALUATOR = evaluator(TINY)  # compiled once for the module (rulesets are never unloaded)
LADDERS = [pytest.param("tiny", id="tiny"), pytest.param("default", id="default")]
N = 90  # examples per property and ladder

LISTS = ("reviews", "impact", "artifacts", "advocates")
INDEXED = re.compile(r"\b(reviews|impact|artifacts|advocates)\[(\d+)\]")


def ladder_and_engine(name: str):
    if name == "tiny":
        return TINY, TINY_EVALUATOR
    if DEFAULT is None:
        pytest.skip(DEFAULT_UNAVAILABLE)
    return DEFAULT, evaluator(DEFAULT)  # an engine error here fails the test, never skips


def shown(packet: dict) -> str:
    return json.dumps(packet, indent=1, sort_keys=True, ensure_ascii=False, default=str)


def without_digest(decision) -> dict:
    out = json.loads(decision.to_json())
    out.pop("packet_digest")
    return out


# -- reordering ------------------------------------------------------------------------------------------


def canonical(decision, perms: dict[str, list[int]]) -> Any:
    """The decision with list indices mapped back to the original packet's, evidence lists sorted, and
    sentences that name list items compared word by word (items are named in list order)."""

    def back(text: str) -> str:
        def one(m: re.Match) -> str:
            name, i = m.group(1), int(m.group(2))
            return f"{name}[{perms[name][i] if name in perms else i}]"

        return INDEXED.sub(one, text)

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            items = [walk(v, key) for v in value]
            return sorted(items, key=repr) if key in ("evidence", "missing") else items
        if isinstance(value, str) and INDEXED.search(value):
            return sorted(re.split(r"[,;()\s]+", back(value)))
        return value

    return walk(without_digest(decision))


@st.composite
def reordered(draw, ladder: Ladder):
    """A packet, the same packet with its lists reordered, and the permutations (new index → old index)."""
    packet = draw(packets(ladder))
    other = copy.deepcopy(packet)
    perms: dict[str, list[int]] = {}
    for name in LISTS:
        if packet.get(name):
            perm = draw(st.permutations(range(len(packet[name]))))
            other[name] = [packet[name][i] for i in perm]
            perms[name] = list(perm)
    influence = packet.get("influence")
    if isinstance(influence, dict) and influence.get("cross_functional_partners"):
        other["influence"]["cross_functional_partners"] = draw(st.permutations(influence["cross_functional_partners"]))
    return packet, other, perms


@pytest.mark.parametrize("name", LADDERS)
def test_reordering_lists_changes_nothing(name):
    ladder, engine = ladder_and_engine(name)

    @examples(N)
    @given(case=reordered(ladder))
    def check(case):
        packet, other, perms = case
        before, after = engine.evaluate(packet), engine.evaluate(other)
        assert canonical(after, perms) == canonical(before, {}), (
            f"reordering changed the decision\noriginal: {shown(packet)}\nreordered: {shown(other)}\n"
            f"before: {before.to_json()}\nafter: {after.to_json()}")

    check()


# -- free text -------------------------------------------------------------------------------------------

TEXT = st.one_of(st.none(), st.text(max_size=30))
FREE_TEXT = {"impact": ("summary", "metric"), "artifacts": ("title",), "advocates": ("name",)}


@st.composite
def retexted(draw, ladder: Ladder):
    """A packet and the same packet with every free-text field rewritten (or removed)."""
    packet = draw(packets(ladder))
    other = copy.deepcopy(packet)

    def rewrite(item: dict, key: str) -> None:
        value = draw(TEXT)
        if value is None and draw(st.booleans()):
            item.pop(key, None)
        else:
            item[key] = value

    rewrite(other["candidate"], "name")
    for name, keys in FREE_TEXT.items():
        for item in other.get(name) or ():
            for key in keys:
                rewrite(item, key)
    return packet, other


@pytest.mark.parametrize("name", LADDERS)
def test_free_text_changes_only_the_packet_digest(name):
    ladder, engine = ladder_and_engine(name)

    @examples(N)
    @given(case=retexted(ladder))
    def check(case):
        packet, other = case
        before, after = engine.evaluate(packet), engine.evaluate(other)
        assert without_digest(after) == without_digest(before), (
            f"free text changed the decision\noriginal: {shown(packet)}\nrewritten: {shown(other)}\n"
            f"before: {before.to_json()}\nafter: {after.to_json()}")
        same_packet = (Packet.model_validate(packet).model_dump(mode="json", exclude_none=True)
                       == Packet.model_validate(other).model_dump(mode="json", exclude_none=True))
        assert (before.packet_digest == after.packet_digest) == same_packet, (
            f"packet_digest {'changed' if same_packet else 'did not change'} "
            f"although the packet {'did not' if same_packet else 'did'}\n{shown(packet)}\n{shown(other)}")

    check()


# -- determinism -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LADDERS)
def test_same_packet_twice_gives_identical_json(name):
    ladder, engine = ladder_and_engine(name)

    @examples(N)
    @given(packet=packets(ladder))
    def check(packet):
        kept = copy.deepcopy(packet)
        first = engine.evaluate(packet).to_json()
        second = engine.evaluate(copy.deepcopy(packet)).to_json()
        assert first == second, f"two evaluations differ\n{shown(packet)}\n{first}\n{second}"
        assert packet == kept, f"evaluate modified its input\nbefore: {shown(kept)}\nafter: {shown(packet)}"

    check()


# -- monotonicity ----------------------------------------------------------------------------------------


def monotone(condition: Condition, ladder: Ladder) -> bool:
    """True if the condition can only move toward pass as counts and review months grow: no ``not``,
    and every comparison is ``gte``/``gt`` on a ``count`` or ``review_months`` measure."""
    if isinstance(condition, Leaf):
        return condition.op in ("gte", "gt") and isinstance(ladder.measures[condition.measure],
                                                             (CountMeasure, ReviewMonthsMeasure))
    if isinstance(condition, Not):
        return False
    return all(monotone(c, ladder) for c in condition.children)


def highest_rung(ladder: Ladder) -> str:
    return max((*ladder.levels, *ladder.titles), key=lambda r: r.rank).id


ADDITIONS = ("advocate", "impact", "review")


@st.composite
def with_more_evidence(draw, ladder: Ladder):
    """A packet and the same packet with one or more of: a committed advocate at the highest rank, a
    measured company-wide outcome, a review period at the target level (recent, rated outstanding)."""
    packet = draw(packets(ladder))
    more = copy.deepcopy(packet)
    added = draw(st.lists(st.sampled_from(ADDITIONS), min_size=1, max_size=3, unique=True))
    as_of = datetime.date.fromisoformat(packet["as_of"]) if packet.get("as_of") else datetime.date.today()
    if "advocate" in added:
        more["advocates"] = (more.get("advocates") or []) + [
            {"name": "New Sponsor", "level": highest_rung(ladder), "committed": True}]
    if "impact" in added:
        more["impact"] = (more.get("impact") or []) + [
            {"summary": "Company-wide win", "kind": draw(st.sampled_from(["revenue", "retention", "growth"])),
             "reach": "company", "measured": True, "value": 1.0}]
    if "review" in added:
        end = as_of - datetime.timedelta(days=draw(st.integers(0, 30)))
        start = end - datetime.timedelta(days=draw(st.integers(30, 400)))
        target = reference_target(ladder, packet)
        more["reviews"] = (more.get("reviews") or []) + [
            {"start": start.isoformat(), "end": end.isoformat(), "rating": "outstanding", "operating_level": target}]
    return packet, more, added


def reference_target(ladder: Ladder, packet: dict) -> str:
    """The id of the level the packet asks for (through the reference's own transition choice)."""
    from reference import Names, choose_transition

    return choose_transition(ladder, Packet.model_validate(packet), Names(ladder)).to


@pytest.mark.parametrize("name", LADDERS)
def test_more_evidence_never_undoes_a_pass(name):
    ladder, engine = ladder_and_engine(name)
    growing = {(t.from_, t.to): {c.id for c in t.criteria if monotone(c.condition, ladder)}
               for t in ladder.transitions}
    assert any(growing.values()), "no monotone criterion in the ladder: the property would test nothing"

    @examples(N)
    @given(case=with_more_evidence(ladder))
    def check(case):
        packet, more, added = case
        before, after = engine.evaluate(packet), engine.evaluate(more)
        ids = growing[(before.transition.from_, before.transition.to)]
        now = {c.id: c.status for c in after.criteria}
        for c in before.criteria:
            if c.id in ids and c.status == "pass":
                assert now[c.id] == "pass", (
                    f"criterion {c.id!r} passed, but after adding {added} it is {now[c.id]!r}\n"
                    f"before: {shown(packet)}\nafter: {shown(more)}")

    check()
