"""The bundled ladders: they load, their examples pass, and every criterion is grounded in its seed.

The grounding checks read tests/fixtures/seeds.json (the seeds' headings and hashes of their word runs,
see tests/seed_facts.py), so they run without the seed articles beside the checkout.
"""

from __future__ import annotations

import pytest

from promoready.engine import bundled_ladders, load_ladder
from promoready.engine.examples import run_examples

from conftest import evaluator
from seed_facts import load as seed_facts, plain, run_hash

LADDERS = sorted(bundled_ladders())


@pytest.mark.parametrize("ladder_id", LADDERS)
def test_examples_pass(ladder_id):
    results = run_examples(ladder_id, evaluator=evaluator(ladder_id))
    failures = [f"{r.transition}/{r.name}: " + (r.error or "; ".join(f"{m.what}: expected {m.expected}, got {m.actual}"
                                                                     for m in r.mismatches))
                for r in results if not r.ok]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("ladder_id", LADDERS)
def test_every_transition_has_three_verdicts_of_examples(ladder_id):
    results = run_examples(ladder_id, evaluator=evaluator(ladder_id))
    ladder = load_ladder(ladder_id)
    for t in ladder.transitions:
        names = {r.name for r in results if r.transition == t.key}
        assert {"ready", "not_ready", "insufficient_evidence"} <= names, t.key


def test_default_ladder_has_every_transition_of_the_issue():
    keys = {t.key for t in load_ladder().transitions}
    assert keys == {
        "apm-to-pm", "pm-to-senior-pm", "senior-pm-to-staff-pm", "staff-pm-to-principal-pm",
        "principal-pm-to-distinguished-pm", "senior-pm-to-pm-manager", "pm-manager-to-director",
        "senior-pm-to-director", "director-to-vp", "vp-to-cpo", "staff-pm-to-director",
    }


@pytest.mark.parametrize("ladder_id", LADDERS)
def test_every_source_names_a_seed_and_one_of_its_sections(ladder_id):
    seeds = {name: {plain(h) for h in headings} for name, headings in seed_facts()["headings"].items()}
    problems = []
    for t in load_ladder(ladder_id).transitions:
        for c in t.criteria:
            sections = seeds.get(c.source.file)
            if sections is None:
                problems.append(f"{t.key}/{c.id}: no seed named {c.source.file}")
            elif plain(c.source.section) not in sections:
                problems.append(f"{t.key}/{c.id}: section {c.source.section!r} is not a heading of {c.source.file}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("ladder_id", LADDERS)
def test_rules_paraphrase_rather_than_paste(ladder_id):
    """No run of 8 words of a criterion's prose appears in any seed (headings are cited, not prose)."""
    facts = seed_facts()
    n = facts["run"]
    seed_runs = set(facts["run_hashes"])

    def pasted(prose: str) -> list[str]:
        words = plain(prose).split()
        return [" ".join(words[i:i + n]) for i in range(len(words) - n + 1) if run_hash(words[i:i + n]) in seed_runs]

    copied = []
    for t in load_ladder(ladder_id).transitions:
        copied += [f"{t.key}.rationale: {hit!r}" for hit in pasted(t.rationale or "")]
        for c in t.criteria:
            for field, prose in (("title", c.title), ("rationale", c.rationale), ("pass", c.text.pass_),
                                 ("fail", c.text.fail), ("unknown", c.text.unknown)):
                hits = pasted(prose)
                if hits:
                    copied.append(f"{t.key}/{c.id}.{field}: {hits[0]!r}")
    assert not copied, "\n".join(copied)


@pytest.mark.parametrize("ladder_id", LADDERS)
def test_rationales_give_their_own_reason_for_a_calibrated_number(ladder_id):
    """The threshold marker says 'calibration'; the rationale beside it says why, in its own words."""
    echoing = [f"{t.key}/{c.id}" for t in load_ladder(ladder_id).transitions for c in t.criteria
               if "ladder's calibration" in " ".join((c.rationale or "").split())]
    assert not echoing, "\n".join(echoing)


def _director_packet(**leadership) -> dict:
    """A Senior PM asking for Director, with only what the organisation-design criterion reads."""
    return {"candidate": {"id": "c"}, "current_level": "senior-pm", "target_level": "director",
            "as_of": "2026-11-01", "leadership": leadership}


def _status(decision, criterion: str) -> str:
    return next(c.status for c in decision.criteria if c.id == criterion)


@pytest.mark.parametrize("changes, status", [
    (None, "unknown"),                                                   # absent is not zero
    ([], "fail"),
    ([{"kind": "reorg", "teams_affected": 2, "date": "2024-11-02"}], "pass"),   # the window's first day
    ([{"kind": "reorg", "teams_affected": 2, "date": "2024-11-01"}], "fail"),   # a day before it
    ([{"kind": "reorg", "teams_affected": 2}], "unknown"),               # undated: in doubt, not failed
], ids=["absent", "empty", "first-day-of-window", "day-before-window", "undated"])
def test_organisation_design_is_read_from_dated_changes(changes, status):
    packet = _director_packet(**({} if changes is None else {"org_design_changes": changes}))
    assert _status(evaluator().evaluate(packet), "designs-the-organisation") == status


@pytest.mark.parametrize("engagement, status", [("above", "pass"), ("at", "pass"), ("below", "fail"), (None, "unknown")])
def test_culture_reads_engagement_against_the_company(engagement, status):
    packet = {"candidate": {"id": "c"}, "current_level": "director", "target_level": "vp", "as_of": "2026-11-01",
              "leadership": {} if engagement is None else {"team_engagement": engagement}}
    assert _status(evaluator().evaluate(packet), "builds-product-culture") == status


def test_cpo_years_are_professional_years():
    packet = {"candidate": {"id": "c"}, "current_level": "vp", "target_level": "cpo", "as_of": "2026-11-01",
              "organization": {"size": "growth"}, "experience": {"product_years": 9, "professional_years": 15}}
    assert _status(evaluator().evaluate(packet), "professional-experience") == "pass"
    packet["experience"]["professional_years"] = 14.9
    assert _status(evaluator().evaluate(packet), "professional-experience") == "fail"


def test_professional_years_include_the_product_years():
    from promoready.engine import PromoreadyError

    packet = {"candidate": {"id": "c"}, "current_level": "vp", "experience": {"product_years": 12, "professional_years": 10}}
    with pytest.raises(PromoreadyError) as err:
        evaluator().evaluate(packet)
    assert err.value.code == "packet.more-than-professional-years"
    assert err.value.path == "experience.professional_years"


def test_an_org_design_kind_outside_the_list_names_the_closest():
    from promoready.engine import PromoreadyError

    packet = _director_packet(org_design_changes=[{"kind": "reorgs", "date": "2026-01-01"}])
    with pytest.raises(PromoreadyError) as err:
        evaluator().evaluate(packet)
    assert err.value.path == "leadership.org_design_changes[0].kind"
    assert "reorg" in err.value.suggestion


def test_reviewer_titles_resolve_like_advocates_levels():
    from promoready.engine import PromoreadyError

    review = {"start": "2026-01-01", "end": "2026-06-30", "rating": "meets", "operating_level": "director"}
    packet = _director_packet()
    packet["reviews"] = [dict(review, reviewer_level="VP of Engineering")]
    assert evaluator().evaluate(packet).verdict  # a title outside the ladder, resolved by its pattern
    packet["reviews"] = [dict(review, reviewer_level="VP of Enginering")]
    with pytest.raises(PromoreadyError) as err:
        evaluator().evaluate(packet)
    assert err.value.code == "packet.unknown-level"
    assert err.value.path == "reviews[0].reviewer_level"
    assert "vp-of-engineering" in err.value.suggestion


def test_ladder_show_markdown_lists_titles_outside_the_ladder_by_rank():
    from click.testing import CliRunner

    from promoready.cli import main

    result = CliRunner().invoke(main, ["ladder", "show", "apm-to-pm", "--format", "markdown"])
    assert result.exit_code == 0, result.output
    titles = result.output.split("## Titles outside the ladder", 1)[1]
    ranks = [line for line in titles.splitlines() if line.startswith("- **Rank ")]
    assert ranks[0].startswith("- **Rank 8:** Chief Executive Officer")
    assert any(line.startswith("- **Rank 6:**") and "VP of Engineering" in line for line in ranks)
    assert [int(r.split()[2].rstrip(":*")) for r in ranks] == sorted({8, 7, 6, 5, 4}, reverse=True)
