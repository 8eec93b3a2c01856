"""Masks (store/masks.py): JSON Pointers parsed strictly, applied to copies of what is stored."""

from __future__ import annotations

import pytest

from promoready.engine import errors
from promoready.store.masks import MaskFailed, Masks, parse_pointer


def record() -> dict:
    return {"packet": {"candidate": {"id": "c-1", "name": "Ann"}, "reviews": [{"rating": "meets", "note": "a"},
                                                                             {"rating": "exceeds", "note": "b"}],
                       "a/b": 1, "m~n": 2},
            "decision": {"candidate_id": "c-1", "criteria": [{"id": "x", "actual": "3"}, {"id": "y", "actual": "4"}]}}


def test_a_pointer_removes_one_member_and_leaves_the_rest():
    r = record()
    Masks(["/packet/candidate/name"]).apply(r)
    assert r["packet"]["candidate"] == {"id": "c-1"}
    assert r["decision"]["candidate_id"] == "c-1"


def test_a_star_segment_masks_every_item_and_escapes_name_slash_and_tilde():
    r = record()
    Masks(["/packet/reviews/*/note", "/decision/criteria/*/actual", "/packet/a~1b", "/packet/m~0n"]).apply(r)
    assert r["packet"]["reviews"] == [{"rating": "meets"}, {"rating": "exceeds"}]
    assert r["decision"]["criteria"] == [{"id": "x"}, {"id": "y"}]
    assert "a/b" not in r["packet"] and "m~n" not in r["packet"]


def test_an_index_removes_that_item_and_a_missing_member_is_not_a_failure():
    r = record()
    Masks(["/packet/reviews/0", "/packet/nothing/here", "/packet/reviews/7"]).apply(r)
    assert r["packet"]["reviews"] == [{"rating": "exceeds", "note": "b"}]


@pytest.mark.parametrize("pointer", ["/packet/reviews/first/note", "/packet/candidate/name/first",
                                     "/decision/candidate_id/x"])
def test_a_mask_that_cannot_apply_fails(pointer):
    with pytest.raises(MaskFailed):
        Masks([pointer]).apply(record())


@pytest.mark.parametrize("pointer, words", [
    ("packet/candidate", "starts with '/'"), ("/packet", "not the whole document"), ("/packet/", "not the whole"),
    ("/packet/a~2b", "'~0'"), ("/input/x", "not /input"),
])
def test_a_bad_pointer_is_a_usage_error_naming_the_option(pointer, words):
    with pytest.raises(errors.UsageError) as err:
        parse_pointer(pointer)
    assert err.value.code == errors.USAGE_MASK and err.value.path == "--mask" and words in str(err.value)


def test_a_misspelt_root_gets_a_suggestion():
    with pytest.raises(errors.UsageError) as err:
        Masks(["/pakcet/candidate/name"])
    assert err.value.suggestion == "'packet'"


def test_duplicates_are_dropped_and_order_kept():
    masks = Masks(["/packet/b", "/packet/a", "/packet/b"])
    assert masks.pointers == ("/packet/b", "/packet/a")
    assert masks.touches("packet") and not masks.touches("decision") and not Masks()
