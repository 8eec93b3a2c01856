"""The overall projection (contract §5): when time alone makes a packet ready, or why it cannot; and
figures that grow with time measured consistently when --as-of moves past the packet's own date."""

from __future__ import annotations

import copy
import datetime

from promoready.engine._measures import add_months

from conftest import TINY, TINY_PACKET, evaluator

AS_OF = datetime.date(2026, 11, 1)


def decide(as_of=None, **sections):
    packet = copy.deepcopy(TINY_PACKET)
    for key, value in sections.items():
        if value is None:
            packet.pop(key)
        else:
            packet[key] = value
    return evaluator(TINY).evaluate(packet, as_of=as_of)


def test_ready_now():
    p = decide().projection
    assert (p.date, p.reason, p.waiting_on, p.blocked_by) == ("2026-11-01", "ready now", [], [])


def test_a_shortfall_time_closes_gives_its_date():
    d = decide(experience={"product_years": 2.5, "current_level_since": "2024-01-01"})
    assert d.verdict == "not_ready"
    p = d.projection
    assert p.date == add_months(AS_OF, 6).isoformat()  # half a year more at the current pace
    assert p.waiting_on == ["experience"] and p.blocked_by == []
    assert p.reason == f"at the current pace, time alone makes the packet ready by {p.date}"
    assert p.date in next(c.next_step for c in d.criteria if c.id == "experience")  # the same date as the step


# A review period under way on as_of (issue 13: a period that has ended cannot grow, so only one still
# running is projected).
UNDER_WAY = [{"start": "2026-08-01", "end": "2027-04-30", "rating": "meets", "operating_level": "senior"}]


def test_the_latest_of_several_dates():
    reviews = UNDER_WAY
    d = decide(experience={"product_years": 2.5, "current_level_since": "2024-01-01"}, reviews=reviews)
    p = d.projection
    assert set(p.waiting_on) == {"next-level", "experience"}
    step = next(c.next_step for c in d.criteria if c.id == "next-level")
    review_date = step.split("projected ")[1].split(" ")[0]
    assert p.date == max(review_date, add_months(AS_OF, 6).isoformat())


def test_a_review_period_that_has_ended_is_not_projected():
    ended = [{"start": "2026-08-01", "end": "2026-10-31", "rating": "meets", "operating_level": "senior"}]
    d = decide(reviews=ended)
    p = d.projection
    assert p.date is None and p.blocked_by == ["next-level"]
    step = next(c.next_step for c in d.criteria if c.id == "next-level")
    assert step.endswith("no date can be projected: no qualifying review period is under way on as_of (one that has "
                         "ended cannot grow)")


def test_no_date_when_a_required_criterion_needs_more_than_time():
    d = decide(experience={"product_years": 2.5, "current_level_since": "2024-01-01"},
               signals={"documents_impact": False})
    p = d.projection
    assert p.date is None and p.blocked_by == ["craft"] and p.waiting_on == ["experience"]
    assert p.reason == "time alone cannot make the packet ready: Documents and rates well needs more than time"


def test_no_date_while_evidence_is_missing():
    p = decide(reviews=None).projection
    assert p.date is None and p.blocked_by == ["next-level"]
    assert p.reason.endswith("Six months at the next level lacks evidence")


def test_no_date_when_the_supporting_quota_needs_more_than_time():
    d = decide(advocates=[], influence={"cross_functional_partners": []}, artifacts=[])
    assert d.verdict == "not_ready"
    p = d.projection
    assert p.date is None
    assert p.reason == ("time alone cannot make the packet ready: 1 more supporting criterion must pass, and time "
                        "alone passes none")
    assert p.blocked_by == ["sponsors", "breadth", "not-stuck"]


def test_years_of_experience_grow_when_as_of_moves_past_the_packet_date():
    short = {"product_years": 2.5, "current_level_since": "2024-01-01"}
    before = decide(experience=short)
    later = decide(as_of=datetime.date(2027, 2, 1), experience=short)
    years = next(c for c in later.criteria if c.id == "experience")
    assert years.actual.startswith("2.75 years (2.5 on 2026-11-01)")
    # The projection does not move with the date it is looked at from.
    assert later.projection.date == before.projection.date
    assert decide(as_of=datetime.date(2027, 6, 1), experience=short).verdict == "ready"
    # Measured to the packet's own date, the figure is as written.
    assert next(c for c in before.criteria if c.id == "experience").actual == "2.5 years"


def test_the_projection_is_in_the_json_after_every_field_the_contract_lists():
    import json

    data = json.loads(decide().to_json())
    assert list(data)[-1] == "projection"
    assert data["projection"] == {"date": "2026-11-01", "reason": "ready now", "waiting_on": [], "blocked_by": []}


def test_months_of_reviews_past_the_packet_date_are_projected_to_the_period_under_way():
    """Measured past the packet's own date, a review period the packet holds that is still under way on
    as_of is evidence as before: the projection gives the date the criterion's next step gives (the
    same as measured on the packet's date), and measuring to that date makes the packet ready."""
    reviews = UNDER_WAY
    own = decide(reviews=reviews).projection
    assert own.date is not None and own.waiting_on == ["next-level"]
    d = decide(as_of=datetime.date(2026, 12, 15), reviews=reviews)
    later = d.projection
    step = next(c.next_step for c in d.criteria if c.id == "next-level")
    assert (later.date, later.waiting_on, later.blocked_by) == (own.date, ["next-level"], [])
    assert f"projected {later.date}" in step
    assert decide(as_of=datetime.date.fromisoformat(later.date), reviews=reviews).verdict == "ready"
