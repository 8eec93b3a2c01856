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
