"""``promoready evaluate --set``: what-if changes, which criteria moved, and every bad change a usage error."""

from __future__ import annotations

import json

import pytest

from clirun import run, write
from conftest import EXAMPLE, TINY, TINY_PACKET


def test_what_if_reports_changed_criteria():
    result = run("evaluate", EXAMPLE, "--format", "json", "--set", "leadership.mentees=3",
                 "--set", "influence.exec_presentations=4")
    out = json.loads(result.stdout)
    assert out["what_if"]["verdict_before"] == "not_ready"
    changed = {c["id"]: (c["before"], c["after"]) for c in out["what_if"]["changed"]}
    assert len(changed) == 2 and all(v == ("fail", "pass") for v in changed.values())


def test_what_if_append_and_bad_syntax():
    result = run("evaluate", EXAMPLE, "--format", "json",
                 "--set", 'advocates+={"level": "vp", "committed": true}')
    out = json.loads(result.stdout)
    assert any(c["before"] == "unknown" and c["after"] == "pass" for c in out["what_if"]["changed"])
    bad = run("evaluate", EXAMPLE, "--set", "reviews[9].rating=meets")
    assert bad.exit_code == 2 and "--set: reviews has no item [9] (it has 2)" in bad.stderr
    bad = run("evaluate", EXAMPLE, "--set", "experience.product_years=-1")
    assert bad.exit_code == 2 and "experience.product_years" in bad.stderr


@pytest.mark.parametrize("change, message", [
    ("reviews.rating=meets", "reviews is a list, so it has no field 'rating' (name an item: reviews[0].rating)"),
    ("experience.product_years.x=1", "experience.product_years is a number, so it has no field 'x'"),
    ("reviews[0].start.y=1", "reviews[0].start is text, so it has no field 'y'"),
    ("reviews[5].rating=meets", "reviews has no item [5] (it has 2)"),
    ("candidate.id[0]=x", "candidate.id is not a list, so it has no item [0]"),
    ("candidate+=1", "candidate is not a list"),
])
def test_what_if_bad_paths_are_usage_errors(change, message):
    """Regression: a --set path that stepped into a list, a number or text raised a TypeError traceback."""
    result = run("evaluate", EXAMPLE, "--format", "json", "--set", change)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"promoready: --set: {message}")
    assert len(result.stderr.splitlines()) == 1


def test_what_if_creates_absent_parent_sections(tmp_path):
    packet = dict(TINY_PACKET)
    packet.pop("organization")
    packet["experience"] = {"product_years": 3, "current_level_since": "2024-01-01"}
    path = write(tmp_path, "p.json", packet)
    out = json.loads(run("evaluate", path, "--ladder", TINY, "--format", "json",
                         "--set", "organization.size=startup").stdout)
    # 3 years: unknown without a size (2 to 4 by size), a pass for a startup (2).
    assert {"id": "experience", "title": "Years by organisation size", "before": "unknown", "after": "pass"} \
        in out["what_if"]["changed"]


def test_a_change_that_cannot_apply_to_one_packet_stops_the_command(tmp_path):
    """A --set error is the user's (a usage error), not the packet's: no packet is printed, unlike a bad packet."""
    packet = dict(TINY_PACKET)
    packet["reviews"] = TINY_PACKET["reviews"][:1]
    one_review = write(tmp_path, "one.json", packet)
    two_reviews = write(tmp_path, "two.json", TINY_PACKET)
    result = run("evaluate", one_review, two_reviews, "--ladder", TINY, "--format", "json",
                 "--set", "reviews[1].rating=meets")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("promoready: --set: reviews has no item [1] (it has 1) in 'reviews[1].rating=meets' "
                             "(write PATH=VALUE or PATH+=VALUE) [usage.set]\n")
    assert run("evaluate", two_reviews, "--ladder", TINY, "--format", "json",
               "--set", "reviews[1].rating=meets").exit_code == 0
