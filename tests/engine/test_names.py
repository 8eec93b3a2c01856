"""The level and title names of a packet, read once (``Names.known_ranks``) on the way every packet takes, and
read again with an error for each unknown name only when one is unknown (issue 18: they were read twice)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from promoready.engine import PacketInvalid, load_ladder
from promoready.engine.errors import PacketError
from promoready.engine._documents import parse_yaml
from promoready.engine._names import Names
from promoready.engine._packet import Source
from promoready.engine._levels import LevelIndex
from promoready.schemas.packet import Packet

from conftest import evaluator

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "rules" / "product-management" / "examples").glob("*.yaml"))


def packets():
    for path in EXAMPLES:
        for case in parse_yaml(path.read_text(encoding="utf-8"), str(path))["cases"]:
            yield Packet.model_validate(case["packet"])


def test_the_ranks_read_in_one_pass_are_those_the_checked_reading_gives():
    names = Names(LevelIndex(load_ladder(None)))
    seen = 0
    for packet in packets():
        ranks = names.known_ranks(packet)
        assert ranks is not None and ranks == names.check_levels(packet, Source("p.yaml", None))
        seen += bool(ranks)
    assert seen > 20  # most examples name levels in reviews or advocates


@pytest.mark.parametrize("where, path", [
    (lambda p: p.update(current_level="chief-wizard"), "current_level"),
    (lambda p: p.update(target_level="chief-wizard"), "target_level"),
    (lambda p: p["reviews"][0].update(operating_level="chief-wizard"), "reviews[0].operating_level"),
    (lambda p: p["reviews"][0].update(reviewer_level="chief-wizard"), "reviews[0].reviewer_level"),
    (lambda p: p["advocates"][0].update(level="chief-wizard"), "advocates[0].level"),
])
def test_an_unknown_name_anywhere_is_still_said_with_its_path(where, path):
    base = next(p for p in packets() if p.reviews and p.advocates and p.target_level)
    data = copy.deepcopy(base.model_dump(mode="json", exclude_none=True))
    where(data)
    assert Names(LevelIndex(load_ladder(None))).known_ranks(Packet.model_validate(data)) is None
    with pytest.raises((PacketInvalid, PacketError)) as caught:  # a reviewer's level is checked later, alone
        evaluator().evaluate(data)
    problems = caught.value.problems if isinstance(caught.value, PacketInvalid) else [caught.value]
    assert [p.path for p in problems] == [path]
    assert "unknown level" in str(caught.value) and "chief-wizard" in str(caught.value)


@pytest.mark.parametrize("name", ["Ｓｅｎｉｏｒ ＰＭ", "senior\u200bpm", "SeniorPM"])
def test_an_unknown_level_written_in_full_width_or_with_invisible_characters_gets_its_suggestion(name):
    # Lists of words read a full-width ＥＮＧ as eng; a level name that is not known is not read so (a level
    # is named exactly), but the suggestion compared it as typed and found nothing close (found by a helper
    # trying the tool as a new user).
    data = {"candidate": {"id": "c"}, "current_level": name, "as_of": "2026-11-01"}
    with pytest.raises((PacketInvalid, PacketError)) as caught:
        evaluator().evaluate(data)
    problems = caught.value.problems if isinstance(caught.value, PacketInvalid) else [caught.value]
    assert [(p.path, p.suggestion) for p in problems] == [("current_level", "'senior-pm'")]
