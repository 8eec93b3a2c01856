"""Known gap, recorded where it will be seen: a list item lacking a field that a count's `where` reads is
counted as not matching, so evidence that is missing decides as if it were absent, never as unknown.

The product's rule is that missing evidence is not failure (contract §1: absent means unknown), and the
measures mostly keep it (an absent list, a `review_months` over a period without its rating, and since
this session a `max` over items that lack its field are unknown). A count is not yet: with items whose
`where` fields are missing, what it knows is a range (the items that surely match, up to those that might),
and a comparison that holds over part of that range is unknown. Deciding so needs the range carried to the
engine's conditions (both ends compared in durable-rules, the explainer and the reference oracle alike),
which is the work these strict xfails wait for; each turns into a failure (strict) once it is done, to be
made a plain test then. Found by a helper trying the tool as a new user (session 14).
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml

from conftest import evaluator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER = os.path.join(ROOT, "rules", "product-management")


def ready_director_case() -> dict:
    with open(os.path.join(FOLDER, "examples", "senior-pm-to-director.yaml"), encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    (found,) = [c for c in spec["cases"] if c["name"] == "ready"]
    return copy.deepcopy(found["packet"])


def advocate_status(packet: dict) -> tuple[str, str]:
    decision = evaluator(FOLDER).evaluate(packet)
    (criterion,) = [c for c in decision.criteria if c.id == "leadership-advocate"]
    return criterion.status, decision.verdict


def test_what_the_gap_rests_on_an_advocate_who_is_committed_passes_and_no_advocates_is_unknown():
    packet = ready_director_case()
    assert advocate_status(packet) == ("pass", "ready")
    del packet["advocates"]
    assert advocate_status(packet) == ("unknown", "insufficient_evidence")


@pytest.mark.xfail(strict=True, reason="a count's item lacking a `where` field counts as not matching (see the module)")
def test_an_advocate_whose_commitment_is_not_given_leaves_the_criterion_unknown():
    packet = ready_director_case()
    for advocate in packet["advocates"]:
        del advocate["committed"]
    # Today: fail, "0 advocates (of 1 listed; not counted for want of advocates[0].committed)", verdict
    # not_ready: listing the advocate made the verdict worse than listing none (insufficient_evidence).
    assert advocate_status(packet) == ("unknown", "insufficient_evidence")
