"""Reading a packet's JSON text in one pass (pydantic-core straight from the text) gives what the
careful reading gives: the same packet, the same decision byte for byte, and for every text the
careful reading refuses, the same error (message, code, file, line, field path).

Each check runs the same entry point twice: once as it is, once with the one-pass reading switched
off (``packet_in_one_pass`` answering None, so the careful reading runs every time).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promoready.engine import PromoreadyError, _jsonpacket, _packet, parse, read_json
from promoready.engine._packet import Source, packet_digest
from promoready.schemas.packet import Packet
from strategies import DEFAULT, DEFAULT_UNAVAILABLE, TINY, evaluator, examples, packets
from test_fuzz import mutated, spliced, to_json

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
import packets as bench_packets  # noqa: E402

LADDERS = [TINY] + ([DEFAULT] if DEFAULT is not None else [])


def outcome(run: Callable[[], Any]) -> tuple:
    """A decision's JSON, or the error's every detail."""
    try:
        return ("decision", run().to_json())
    except PromoreadyError as exc:
        return ("error", type(exc).__name__, str(exc), json.dumps(exc.to_dict(), sort_keys=True))


def both(run: Callable[[], Any]) -> tuple[tuple, tuple]:
    """``run`` with the one-pass reading, then with the careful reading alone."""
    fast = outcome(run)
    saved = _jsonpacket.packet_in_one_pass
    _jsonpacket.packet_in_one_pass = lambda text: None
    try:
        slow = outcome(run)
    finally:
        _jsonpacket.packet_in_one_pass = saved
    return fast, slow


def parts(model: Any) -> list:
    """Each model of a packet with the fields it was given and its extras (what ``==`` leaves out)."""
    return [(type(m).__name__, loc, sorted(m.model_fields_set), m.__pydantic_extra__) for m, _, loc in _packet._parts(model)]


def same_packet(text: str) -> bool:
    """Whether the one-pass reading, when it answers, gives the careful reading's packet exactly."""
    fast = _jsonpacket.packet_in_one_pass(text)
    if fast is None:
        return False
    slow = Packet.model_validate(parse(text, "p.json"))
    assert fast == slow
    assert repr(fast) == repr(slow)
    assert parts(fast) == parts(slow)
    assert packet_digest(fast) == packet_digest(slow)
    assert _packet.typo_warnings(fast) == _packet.typo_warnings(slow)
    return True


FORMATS = st.sampled_from([dict(), dict(indent=2), dict(ensure_ascii=False), dict(separators=(",", ":")),
                           dict(separators=(",", " : ")), dict(indent="\t", ensure_ascii=False)])


@pytest.mark.parametrize("ladder", LADDERS, ids=lambda l: l.id)
def test_generated_packets_decide_the_same(ladder):
    ev = evaluator(ladder)
    fast_count = 0

    @examples(150)
    @given(packets(ladder), FORMATS)
    def check(packet, fmt):
        nonlocal fast_count
        text = json.dumps(packet, **fmt)
        fast, slow = both(lambda: ev.evaluate_json(text, source="p.json"))
        assert fast == slow
        fast_count += same_packet(text)

    check()
    assert fast_count > 0  # the one-pass reading was used, not only the careful one


@pytest.mark.skipif(DEFAULT is None, reason=str(DEFAULT_UNAVAILABLE))
def test_benchmark_packets_all_read_in_one_pass():
    ev = evaluator(DEFAULT)
    texts = bench_packets.texts(bench_packets.pool(120))
    for text in texts:
        assert same_packet(text), text[:200]
        fast, slow = both(lambda: ev.evaluate_json(text, source="<bench>.json"))
        assert fast == slow
        assert fast == outcome(lambda: ev.evaluate(parse(text, "<bench>.json")))


@settings(deadline=None, max_examples=400, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(mutated(library=False), st.booleans())
def test_hostile_texts_read_the_same(case, ascii):
    """Mutated packets (duplicate keys, deep nesting, huge numbers, lone surrogates, odd text, typos)."""
    ladder_name, packet = case
    ev = evaluator(TINY if ladder_name == "tiny" else DEFAULT)
    text = to_json(packet, ascii)
    fast, slow = both(lambda: ev.evaluate_json(text, source="p.json"))
    assert fast == slow
    source = Source("p.json", text)
    fast, slow = both(lambda: _Wrap(read_json(text, source)))
    assert fast == slow


@settings(deadline=None, max_examples=300, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(spliced())
def test_spliced_files_read_the_same(tmp_path_factory, case):
    """A packet file with hostile bytes spliced in, read by path (``evaluate`` on a file)."""
    ladder_name, (name, raw) = case
    ev = evaluator(TINY if ladder_name == "tiny" else DEFAULT)
    path = tmp_path_factory.mktemp("p") / name
    path.write_bytes(raw)
    fast, slow = both(lambda: ev.evaluate(str(path)))
    assert fast == slow
    fast, slow = both(lambda: ev.evaluate_json(raw, source=name))
    assert fast == slow


class _Wrap:
    """A loaded packet as an outcome: its packet's JSON and the source's name."""

    def __init__(self, loaded: Any) -> None:
        self.loaded = loaded

    def to_json(self) -> str:
        return self.loaded.packet.model_dump_json() + repr(parts(self.loaded.packet)) + str(self.loaded.source.name)


BASE = '{"candidate": {"id": "c1"}, "current_level": "pm", "experience": {"product_years": 3}%s}'

#: Texts the one-pass reading must leave to the careful one (which refuses or reads them otherwise).
CAREFUL = {
    "a repeated key": '{"candidate": {"id": "c1"}, "current_level": "pm", "current_level": "senior-pm"}',
    "a repeated nested key": BASE % ', "scope": {"teams": 1, "teams": 2}',
    "a repeated key spelt with an escape": '{"candidate": {"id": "c1"}, "current_level": "pm", "current_l\\u0065vel": "x"}',
    "a repeated key, spaced colons": '{"candidate" : {"id" : "c1"}, "current_level" : "pm", "current_level" : "x"}',
    "a repeated key with a colon in text": BASE % ', "candidate": {"id": "a:b"}',
    "a lone surrogate": '{"candidate": {"id": "c\\ud800"}, "current_level": "pm"}',
    "a surrogate pair": '{"candidate": {"id": "c\\ud83d\\ude00"}, "current_level": "pm"}',
    "an extra field": BASE % ', "scope": {"teams": 1, "temas": 2}',
    "an evidence section": BASE % ', "evidence": {"x": 1}',
    "NaN": BASE % ', "impact": [{"value": NaN}]',
    "a huge number": BASE % (', "scope": {"teams": %s}' % ("9" * 5000)),
    "too deep": BASE % (', "x": ' + "[" * 70 + "]" * 70),
    "a raw tab in text": '{"candidate": {"id": "c\t1"}, "current_level": "pm"}',
    "empty": "  ",
    "not a mapping": "[1, 2]",
}


@pytest.mark.parametrize("text", CAREFUL.values(), ids=CAREFUL.keys())
def test_what_only_the_careful_reading_may_read(text):
    assert _jsonpacket.packet_in_one_pass(text) is None
    fast, slow = both(lambda: evaluator(TINY).evaluate_json(text, source="p.json"))
    assert fast == slow


def test_spaced_and_compact_texts_still_read_in_one_pass():
    for text in ('{"candidate": {"id": "c1"}, "current_level": "pm"}',
                 '{"candidate":{"id":"c1"},"current_level":"pm"}',
                 '{\n  "candidate": {\n    "id": "a: b"\n  },\n  "current_level": "pm"\n}'):
        assert same_packet(text)


# -- the data check ---------------------------------------------------------------------------


def test_an_unchecked_dict_is_still_checked(tiny_packet):
    ev = evaluator(TINY)
    hostile = dict(tiny_packet, extra=b"\xff")
    with pytest.raises(PromoreadyError, match="bytes") as caught:
        ev.evaluate(hostile)
    assert caught.value.path == "extra"
    deep: Any = 1
    for _ in range(70):
        deep = [deep]
    with pytest.raises(PromoreadyError, match="nested more than"):
        ev.evaluate(dict(tiny_packet, extra=deep))


def test_typo_warnings_are_skipped_only_when_the_reading_proved_there_are_none(tiny_packet, monkeypatch):
    ev = evaluator(TINY)
    text = json.dumps(tiny_packet)
    loaded = read_json(text, Source("<t>", text))
    assert loaded.plain  # the one-pass reading: every model's keys counted, none extra
    walks = []
    real = _packet.typo_warnings
    monkeypatch.setattr(_packet, "typo_warnings", lambda p: walks.append(p) or real(p))
    plain = ev.evaluate_json(text)
    assert walks == [] and plain.warnings == []
    # A misspelt field: read carefully, not plain, and its warning is still given.
    candidate = dict(tiny_packet["candidate"], idd="x")
    typo = json.dumps(dict(tiny_packet, candidate=candidate))
    assert not read_json(typo, Source("<t>", typo)).plain
    warned = ev.evaluate_json(typo)
    assert len(walks) == 1 and any("candidate.idd" in w for w in warned.warnings)
    # A dict never says it is plain: its extras are looked for.
    assert ev.evaluate(json.loads(text)).warnings == [] and len(walks) == 2
