"""A list item lacking a field a count's `where` tests leaves the count in doubt, never failed.

The product's rule is that missing evidence is not failure (contract §1: absent means unknown). Until
session 15 a count treated an item lacking a `where` field (or the date its window tests) as not
matching, so evidence nobody had given decided as if it were absent: one advocate listed without
`committed` failed "a committed advocate" and made the verdict worse than listing none (found by a
helper trying the tool as a new user in session 14, kept here as a strict xfail until it was fixed).
A count now knows a range, both ends compared by durable-rules (engine/_ranges.py); these tests go
through the bundled ladder end to end.
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml

from conftest import evaluator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDER = os.path.join(ROOT, "rules", "product-management")


def example(transition: str, name: str) -> dict:
    with open(os.path.join(FOLDER, "examples", f"{transition}.yaml"), encoding="utf-8") as fh:
        spec = yaml.safe_load(fh)
    (found,) = [c for c in spec["cases"] if c["name"] == name]
    return copy.deepcopy(found["packet"])


def ready_director_case() -> dict:
    return example("senior-pm-to-director", "ready")


def criterion(packet: dict, cid: str):
    decision = evaluator(FOLDER).evaluate(packet)
    (found,) = [c for c in decision.criteria if c.id == cid]
    return found, decision.verdict


def advocate_status(packet: dict) -> tuple[str, str]:
    found, verdict = criterion(packet, "leadership-advocate")
    return found.status, verdict


def test_what_it_rests_on_an_advocate_who_is_committed_passes_and_no_advocates_is_unknown():
    packet = ready_director_case()
    assert advocate_status(packet) == ("pass", "ready")
    del packet["advocates"]
    assert advocate_status(packet) == ("unknown", "insufficient_evidence")


def test_an_advocate_whose_commitment_is_not_given_leaves_the_criterion_unknown():
    packet = ready_director_case()
    for advocate in packet["advocates"]:
        del advocate["committed"]
    # Before: fail, "0 advocates (…; not counted for want of advocates[0].committed)", verdict not_ready:
    # listing the advocate made the verdict worse than listing none (insufficient_evidence).
    assert advocate_status(packet) == ("unknown", "insufficient_evidence")
    found, _ = criterion(packet, "leadership-advocate")
    assert found.missing == [f"advocates[{i}].committed" for i in range(len(packet["advocates"]))]
    assert found.next_step == "add " + ", ".join(found.missing) + " to the packet"
    assert " to " in found.actual and "in doubt for want of advocates[0].committed" in found.actual


def test_an_advocate_in_doubt_beside_one_who_counts_changes_nothing():
    packet = ready_director_case()
    packet["advocates"].append({"name": "Another sponsor", "level": packet["advocates"][0]["level"]})
    found, verdict = criterion(packet, "leadership-advocate")
    assert (found.status, verdict, found.missing) == ("pass", "ready", [])


def test_an_advocate_who_said_no_still_fails_as_before():
    packet = ready_director_case()
    for advocate in packet["advocates"]:
        advocate["committed"] = False
    assert advocate_status(packet)[0] == "fail"


def test_an_undated_outcome_leaves_a_windowed_count_unknown_and_dating_it_decides():
    packet = ready_director_case()
    decided = {c.id: c.status for c in evaluator(FOLDER).evaluate(packet).criteria}
    for item in packet["impact"]:
        del item["date"]
    undated = evaluator(FOLDER).evaluate(packet)
    changed = {c.id: (c.status, c.missing) for c in undated.criteria if c.status != decided[c.id]}
    assert changed, "no criterion read the outcomes' dates"
    for status, missing in changed.values():
        # Every criterion the dates could decide is unknown, asking for the dates; none fails for want of them.
        assert status == "unknown" and missing and all(p.startswith("impact[") and p.endswith(".date") for p in missing)
    assert undated.verdict == "insufficient_evidence"


@pytest.mark.parametrize("committed", [True, False])
def test_giving_what_was_in_doubt_decides_as_if_it_had_been_given_from_the_start(committed):
    packet = ready_director_case()
    for advocate in packet["advocates"]:
        advocate["committed"] = committed
    given = advocate_status(packet)
    for advocate in packet["advocates"]:
        del advocate["committed"]
    assert advocate_status(packet)[0] == "unknown"
    assert given[0] == ("pass" if committed else "fail")


def test_a_sum_of_a_count_in_doubt_is_a_range_too(tmp_path):
    """A sum of a count in doubt runs from its low end to its high end: "at most" is unknown when only
    the low end stays under the bar (reading the low end alone would pass it), "at least" passes on it."""
    import shutil

    from promoready.engine import Evaluator, load_ladder

    folder = tmp_path / "ladder"
    shutil.copytree(FOLDER, folder, ignore=shutil.ignore_patterns("examples"))
    head = yaml.safe_load((folder / "ladder.yaml").read_text(encoding="utf-8"))
    head["measures"]["backing"] = {"sum_of": ["senior_advocates", "senior_advocates"], "title": "backing"}
    (folder / "ladder.yaml").write_text(yaml.safe_dump(head, sort_keys=False), encoding="utf-8")
    step = yaml.safe_load((folder / "senior-pm-to-director.yaml").read_text(encoding="utf-8"))
    step["criteria"].append({
        "id": "not-over-backed", "title": "Not over-backed", "required": False, "rationale": "A test.",
        "source": copy.deepcopy(step["criteria"][0]["source"]), "condition": {"measure": "backing", "lte": 2},
        "text": {"pass": "Fine.", "fail": "Too many.", "unknown": "Say who is committed."}})
    (folder / "senior-pm-to-director.yaml").write_text(yaml.safe_dump(step, sort_keys=False), encoding="utf-8")
    engine = Evaluator(load_ladder(str(folder)))

    def backed(packet: dict):
        (found,) = [c for c in engine.evaluate(packet).criteria if c.id == "not-over-backed"]
        return found

    packet = ready_director_case()
    assert backed(packet).status == "pass"  # one committed advocate: 1 + 1 ≤ 2
    packet["advocates"].append({"name": "A second sponsor", "level": packet["advocates"][0]["level"]})
    found = backed(packet)
    # 1 to 2 advocates: the sum is 2 to 4, so "at most 2" may fail; its low end (2) would have passed it.
    assert (found.status, found.missing) == ("unknown", [f"advocates[{len(packet['advocates']) - 1}].committed"])
    assert "2 to 4" in found.actual and "senior_advocates 1 to 2" in found.actual


def test_a_criterion_that_reads_no_organisation_size_does_not_ask_for_it():
    packet = ready_director_case()
    del packet["organization"]
    for advocate in packet["advocates"]:
        del advocate["committed"]
    decision = evaluator(FOLDER).evaluate(packet)
    found = {c.id: c for c in decision.criteria}
    # The advocate criterion compares with one bar whatever the size: only the commitment decides it.
    wanted = [f"advocates[{i}].committed" for i in range(len(packet["advocates"]))]
    assert found["leadership-advocate"].missing == wanted
    assert any(c.missing == ["organization.size"] for c in decision.criteria), "no criterion here reads the size"


def test_thousands_of_items_in_doubt_are_all_in_missing_and_the_words_name_the_first_few():
    from promoready.engine.summary import Outcome, Summary

    packet = ready_director_case()
    level = packet["advocates"][0]["level"]
    packet["advocates"] = [{"name": f"Sponsor {i}", "level": level} for i in range(2000)]
    decision = evaluator(FOLDER).evaluate(packet)
    (found,) = [c for c in decision.criteria if c.id == "leadership-advocate"]
    assert found.status == "unknown" and len(found.missing) == 2000
    assert found.actual.endswith("advocates[4].committed and 1,995 more)") and len(found.actual) < 400
    assert found.next_step == ("add advocates[0].committed, advocates[1].committed, advocates[2].committed, "
                               "advocates[3].committed, advocates[4].committed and 1,995 more (see missing) "
                               "to the packet")
    # A cycle counts them by field: one candidate lacking `committed`, not 2,000 paths of one candidate.
    summary = Summary()
    summary.add(Outcome.of(decision))
    assert {"path": "advocates[].committed", "candidates": 1} in summary.to_dict()["most_missing"]
    assert not [m for m in summary.to_dict()["most_missing"] if "[1" in m["path"]]
