"""The bundled ladders: they load, their examples pass, and every criterion is grounded in its seed."""

from __future__ import annotations

import os
import re
import unicodedata

import pytest

from promoready.engine import bundled_ladders, load_ladder
from promoready.engine.examples import run_examples

from conftest import SHARED, evaluator

SEEDS = os.path.join(SHARED, "seeds")
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


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9' ]+", " ", text)).strip()


def _seeds() -> dict[str, str]:
    if not os.path.isdir(SEEDS):
        pytest.skip("../shared/seeds is not beside this checkout")
    return {name: open(os.path.join(SEEDS, name), encoding="utf-8").read() for name in os.listdir(SEEDS)}


@pytest.mark.parametrize("ladder_id", LADDERS)
def test_every_source_names_a_seed_and_one_of_its_sections(ladder_id):
    seeds = {name: _plain(text) for name, text in _seeds().items()}
    problems = []
    for t in load_ladder(ladder_id).transitions:
        for c in t.criteria:
            seed = seeds.get(c.source.file)
            if seed is None:
                problems.append(f"{t.key}/{c.id}: no seed named {c.source.file}")
            elif _plain(c.source.section) not in seed:
                problems.append(f"{t.key}/{c.id}: section {c.source.section!r} not found in {c.source.file}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("ladder_id", LADDERS)
def test_rules_paraphrase_rather_than_paste(ladder_id):
    """No run of 8 words of a criterion's prose appears in any seed (headings are cited, not prose)."""
    n = 8
    grams: set[tuple[str, ...]] = set()
    for text in _seeds().values():
        words = _plain(text).split()
        grams.update(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    copied = []
    for t in load_ladder(ladder_id).transitions:
        words = _plain(t.rationale or "").split()
        copied += [f"{t.key}.rationale: {' '.join(words[i:i + n])!r}" for i in range(len(words) - n + 1)
                   if tuple(words[i:i + n]) in grams]
        for c in t.criteria:
            for field, prose in (("title", c.title), ("rationale", c.rationale), ("pass", c.text.pass_),
                                 ("fail", c.text.fail), ("unknown", c.text.unknown)):
                words = _plain(prose).split()
                hits = [" ".join(words[i:i + n]) for i in range(len(words) - n + 1) if tuple(words[i:i + n]) in grams]
                if hits:
                    copied.append(f"{t.key}/{c.id}.{field}: {hits[0]!r}")
    assert not copied, "\n".join(copied)
