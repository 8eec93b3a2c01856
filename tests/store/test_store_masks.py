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


@pytest.mark.parametrize("pointer", ["/packet/custom_list/first", "/packet/custom_text/first"])
def test_a_mask_that_cannot_apply_fails(pointer):
    r = record()
    r["packet"].update(custom_list=["a"], custom_text="b")  # extra fields: the schema says nothing of their shape
    with pytest.raises(MaskFailed):
        Masks([pointer]).apply(r)


@pytest.mark.parametrize("pointer, why, meant", [
    # A misspelt name would store the field it meant unmasked in every record (a decision has no fields of
    # its own; a packet's misspelling is said as a warning: see below).
    ("/decision/candidte_id", "/decision has no member 'candidte_id'", "/decision/candidate_id"),
    ("/decision/criteria/*/actaul", "/decision/criteria/* has no member 'actaul'", "/decision/criteria/*/actual"),
    # These could never apply: every record would be dropped.
    ("/packet/reviews/first/note", "/packet/reviews is a list: its items are /packet/reviews/* (every one) or "
     "/packet/reviews/0", "/packet/reviews/*/first/note"),
    ("/packet/reviews/rating", "/packet/reviews is a list", "/packet/reviews/*/rating"),
    ("/packet/candidate/name/first", "/packet/candidate/name is a string, with no member 'first'",
     "/packet/candidate/name"),
    ("/decision/candidate_id/x", "/decision/candidate_id is a string", "/decision/candidate_id"),
    ("/decision/zzz", "/decision has no member 'zzz' (it has decision_version, candidate_id, ladder,", None),
])
def test_a_pointer_the_schema_cannot_follow_is_a_usage_error_naming_the_closest_known_one(pointer, why, meant):
    with pytest.raises(errors.UsageError) as err:
        Masks(["/packet/candidate/name", pointer])
    e = err.value
    assert (e.code, e.path) == (errors.USAGE_MASK, "--mask")
    assert e.message.startswith(f"{pointer!r}: not in the {pointer.split('/')[1]}'s schema: {why}")
    assert e.suggestion == (repr(meant) if meant else None)


def test_a_pointer_the_schema_names_is_accepted_and_one_into_an_extra_field_of_the_packet_too():
    known = ["/packet/candidate/name", "/packet/reviews/*/rating", "/packet/reviews/0", "/decision/transition/from",
             "/decision/criteria/*/actual", "/decision/projection/date", "/decision/groups/*/id", "/decision/*"]
    assert Masks(known).extra_fields == ()
    # A packet may carry fields of its own (kept and ignored): masking one is allowed, and said.
    extra = ["/packet/ssn", "/packet/candidate/email", "/packet/custom/a/b", "/packet/m~0n"]
    assert Masks(known + extra).extra_fields == tuple(extra)
    assert Masks(extra).warnings() == [
        f"--mask {p!r} names no field of the packet's schema: masked where a packet carries it" for p in extra]
    r = record()
    r["packet"]["candidate"]["email"] = "ann@example.com"
    Masks(extra).apply(r)
    assert r["packet"]["candidate"] == {"id": "c-1", "name": "Ann"} and "m~n" not in r["packet"]


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


@pytest.mark.parametrize("pointer, meant", [
    ("/packet/candidate/nmae", "/packet/candidate/name"),
    ("/packet/candidat/name", "/packet/candidate/name"),
    # A custom field close to a known name: allowed (it may be meant), and the near name said.
    ("/packet/comments", "/packet/competencies"),
    ("/packet/reviews/*/reviewer", "/packet/reviews/*/reviewer_level"),
])
def test_a_packet_pointer_close_to_a_known_one_is_a_custom_field_said_with_the_name_it_may_mean(pointer, meant):
    masks = Masks(["/packet/candidate/name", pointer])
    assert masks.extra_fields == (pointer,)
    assert masks.warnings() == [f"--mask {pointer!r} names no field of the packet's schema (did you mean "
                                f"{meant!r}?): masked where a packet carries it"]


def test_batch_refuses_a_misspelt_decision_mask_before_it_evaluates_or_stores_anything(tmp_path):
    from click.testing import CliRunner

    from conftest import EXAMPLE
    from promoready.cli import main

    db, out = tmp_path / "m.sqlite", tmp_path / "m.jsonl"
    result = CliRunner().invoke(main, ["batch", EXAMPLE, "--cycle", "M1", "--db", str(db),
                                       "--mask", "/decision/candidte_id", "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr == ("promoready: --mask: '/decision/candidte_id': not in the decision's schema: /decision "
                             "has no member 'candidte_id' (did you mean '/decision/candidate_id'?) [usage.mask]\n")
    assert not db.exists() and not out.exists()


def test_a_mask_into_a_custom_field_is_kept_and_said_once_on_stderr(tmp_path):
    # Allowed (a packet's own extra field can be masked), but the schema cannot vouch for it: the user is
    # told which pointer that is, so a misspelling too far from any known name does not pass in silence.
    import json
    import sqlite3

    from click.testing import CliRunner

    from conftest import EXAMPLE
    from promoready.cli import main

    db, out = tmp_path / "m.sqlite", tmp_path / "m.jsonl"
    result = CliRunner().invoke(main, ["batch", EXAMPLE, "--cycle", "M1", "--db", str(db), "--store-packets",
                                       "--mask", "/packet/ssn", "--mask", "/packet/candidate/name", "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("warning") == 1
    assert ("promoready: warning: --mask '/packet/ssn' names no field of the packet's schema: masked where a "
            "packet carries it\n") in result.stderr
    with sqlite3.connect(db) as conn:
        (stored,) = conn.execute("SELECT packet_json FROM decisions").fetchone()
    assert "name" not in json.loads(stored)["candidate"]
