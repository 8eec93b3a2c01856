"""The packet digest's canonical encoder writes exactly ``json.dumps``'s bytes, with or without orjson."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from promoready.engine import _jsontext, _packet
from promoready.schemas.packet import Packet

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "packet.yaml"


def _reference(data: object) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


#: Floats of every magnitude (both sides of 1e-4 and 1e16, subnormals), NaN and infinities.
_floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from(
    [0.0, -0.0, 1e-4, 9.99e-5, 1e-5, 1.5e-5, 5e-324, 1e16, 9999999999999998.0, 1e15, 1.7976931348623157e308])
#: Integers inside and beyond 64 bits (orjson refuses the latter).
_ints = st.integers() | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**40])
#: Text with control characters, quotes, non-BMP characters and look-alikes of what orjson writes differently.
_text = st.text() | st.sampled_from(["null", "1e5", "0.00001", "NaN", "Infinity", "\u2028\x7f\x00\"\\", "😀é"])
_scalars = st.none() | st.booleans() | _ints | _floats | _text
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
                     max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_same_bytes_as_json_dumps(data: object) -> None:
    assert _jsontext.canonical_json(data) == _reference(data)


@pytest.mark.parametrize("value", [1.3520691796148396e-05, -6.2e-05, 1e-07, 1e16, 1.2345678901234568e+17,
                                   float("nan"), float("inf"), -float("inf")])
def test_floats_orjson_writes_differently(value: float) -> None:
    assert _jsontext.canonical_json({"b": [value], "a": value}) == _reference({"b": [value], "a": value})


def test_huge_integers_and_non_text_keys() -> None:
    for data in ({"n": 2**64}, {"n": -(2**63) - 1}, {"n": 10**30}, {1: "one", 2: "two"}):
        assert _jsontext.canonical_json(data) == _reference(data)


def test_lone_surrogate_fails_as_json_dumps_does() -> None:
    with pytest.raises(UnicodeEncodeError):
        _reference({"x": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        _jsontext.canonical_json({"x": "\ud800"})


@settings(max_examples=150, deadline=None)
@given(_json)
def test_without_orjson_same_bytes(data: object) -> None:
    saved = _jsontext._orjson
    _jsontext._orjson = None
    try:
        assert _jsontext.canonical_json(data) == _reference(data)
    finally:
        _jsontext._orjson = saved


def test_packet_digest_is_sha256_of_json_dumps(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _packet.load_packet(str(EXAMPLE)).packet.model_dump(mode="json", exclude_none=True)
    # extra fields are kept as given: floats orjson writes differently, a huge integer, non-ASCII text
    raw["candidate"]["note_ratio"] = 1.5e-05
    raw["candidate"]["note_big"] = 2**70
    raw["candidate"]["note_text"] = "ünïcode 😀 null"
    packet = Packet.model_validate(raw)
    data = packet.model_dump(mode="json", exclude_none=True)
    assert data["candidate"]["note_big"] == 2**70
    expected = "sha256:" + hashlib.sha256(_reference(data)).hexdigest()
    assert _packet.packet_digest(packet) == expected
    monkeypatch.setattr(_jsontext, "_orjson", None)
    assert _packet.packet_digest(packet) == expected


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_text, _scalars, max_size=12))
def test_fact_text_reads_as_json_dumps(fact: dict) -> None:
    """The engine's fact text: the same values as json.dumps writes (only the spaces may differ)."""
    text = _jsontext.fact_text(fact)
    plain = json.dumps(fact, ensure_ascii=False)
    assert text == plain or text == json.dumps(fact, ensure_ascii=False, separators=(",", ":"))


def test_fact_text_without_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    fact = {"k": "e", "m0": 5e-05, "m1": 3, "sid": "1"}
    monkeypatch.setattr(_jsontext, "_orjson", None)
    assert _jsontext.fact_text(fact) == json.dumps(fact, ensure_ascii=False)
