"""engine/words.py: the one helper every counted noun goes through."""

from __future__ import annotations

import pytest

from promoready.engine.words import agree, is_one, noun, plural, pluralise, singular


@pytest.mark.parametrize("n, word, text", [
    (1, "mentee", "1 mentee"),
    (2, "mentee", "2 mentees"),
    (0, "mentee", "0 mentees"),
    (1.0, "year", "1.0 year"),
    (1.5, "year", "1.5 years"),
    (0.05, "month", "0.05 months"),
    (1, "criterion", "1 criterion"),
    (3, "criterion", "3 criteria"),
    (2, "person", "2 people"),
    (2, "product manager", "2 product managers"),
    (2, "process", "2 processes"),
    (2, "strategy", "2 strategies"),
    (2, "day", "2 days"),
    (2, "match", "2 matches"),
    (5, "evidence", "5 evidence"),
])
def test_plural(n, word, text):
    assert plural(n, word) == text


def test_a_given_plural_and_a_written_number():
    assert plural(2, "fail", "fail") == "2 fail"
    assert plural(1, "fail", "fail") == "1 fail"
    assert plural(1.0, "month", number="1") == "1 month"


def test_booleans_are_not_counts():
    assert not is_one(True)
    assert noun(True, "case") == "cases"


@pytest.mark.parametrize("word", ["mentee", "criterion", "person", "product manager", "process", "strategy",
                                  "hire", "presentation", "analysis", "match", "box", "Criterion"])
def test_singular_undoes_pluralise(word):
    assert singular(pluralise(word)) == word


@pytest.mark.parametrize("word", ["process", "status", "evidence", "analysis", "us", "month"])
def test_singular_leaves_a_singular_alone(word):
    assert singular(word) == word


@pytest.mark.parametrize("n, phrase, unit, text", [
    (1, "presentations to executives in the last 12 months", "presentations",
     "presentation to executives in the last 12 months"),
    (2, "presentations to executives in the last 12 months", "presentations",
     "presentations to executives in the last 12 months"),
    (1, "product managers reporting to the candidate", "product managers", "product manager reporting to the candidate"),
    (1, "mentees", "mentees", "mentee"),
    (0.05, "months of reviews", "months", "months of reviews"),
    (1, "measured outcomes reaching the company", "outcomes", "measured outcomes reaching the company"),
    (1, "people hired", "", "people hired"),
])
def test_agree(n, phrase, unit, text):
    assert agree(n, phrase, unit) == text


def test_the_engine_can_use_it_without_the_command_line():
    import subprocess
    import sys

    code = "import sys, promoready.engine.words; print(any(m.startswith('promoready.cli') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
