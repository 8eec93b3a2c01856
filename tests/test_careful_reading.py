"""One careful reading of JSON packet text, whichever way the text comes in.

The same bad text is fed to every entry point that reads a JSON packet: ``Evaluator.evaluate_json``
(text and bytes), ``read_json``, ``Evaluator.evaluate`` on a ``.json`` file, the command line
(``explain FILE`` and ``explain -``), a batch (a packet file and a JSONL line), and the service (a
request body as ``/v1/evaluate`` reads it, and as a logged body or a batch line is read,
``Engine.parse``). Each must refuse it with the same error: code, message, line and field path
(the file named differs by entry point: it is where the text came from). A text every reader
accepts gets the same decision from each.

Each bad text is also held to what it should give (the code, and the line and path of the place
at fault), so that the entry points cannot agree on a wrong answer.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, Optional, Union

import pytest
from click.testing import CliRunner

from promoready.cli import main
from promoready.engine import PromoreadyError, Source, _documents, errors, read_json
from promoready.engine.registry import LadderRegistry
from promoready.service._engine import Engine

from conftest import evaluator

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "service"))
from service_support import example_packet, make_client  # noqa: E402

Text = Union[str, bytes]
#: An error as compared across entry points: (code, message, line, path); or ("decision", the decision).
Outcome = tuple


def _packet_text(indent: Optional[int], edit: Callable[[dict], None] = lambda p: None,
                 raw: Optional[dict[str, str]] = None) -> tuple[str, Optional[int]]:
    """The example packet as JSON (``indent`` None: one line), after ``edit``; each key of ``raw``
    (a placeholder the edit wrote) replaced by its raw JSON text. Also the line of the first
    placeholder: where the careful reading must point."""
    packet = example_packet()
    edit(packet)
    text = json.dumps(packet, indent=indent, ensure_ascii=False)
    line = None
    for key, value in (raw or {}).items():
        assert key in text
        if line is None:
            line = text.count("\n", 0, text.index(key)) + 1
        text = text.replace(key, value)
    return text, line


def _set(path: tuple, value: Any) -> Callable[[dict], None]:
    def edit(packet: dict) -> None:
        node: Any = packet
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
    return edit


def _cases(indent: Optional[int]) -> list[tuple[str, Text, Optional[str], Optional[int], Optional[str]]]:
    """(name, text, expected code or None for a decision, expected line, expected path)."""
    good, _ = _packet_text(indent)
    out: list[tuple[str, Text, Optional[str], Optional[int], Optional[str]]] = []

    def case(name: str, code: str, path: Optional[str], edit: Callable[[dict], None], raw: dict[str, str]) -> None:
        text, line = _packet_text(indent, edit, raw)
        out.append((name, text, code, line, path))

    dup_edit = _set(("reviews", 1, "@@dup@@"), "meets")
    case("duplicate-key-at-depth", errors.INPUT_DUPLICATE_KEY, "reviews[1]", dup_edit, {'"@@dup@@"': '"rating"'})
    case("too-deep", errors.INPUT_TOO_DEEP, None, _set(("scope", "teams"), "@@deep@@"),
         {'"@@deep@@"': "[" * 70 + "]" * 70})
    case("lone-surrogate-escape", errors.INPUT_ENCODING, "candidate.name", _set(("candidate", "name"), "@@s@@"),
         {"@@s@@": "\\ud800 Okafor"})
    case("lone-surrogate-in-a-key", errors.INPUT_ENCODING, None, _set(("scope", "@@k@@"), 1),
         {"@@k@@": "\\udc00"})
    case("nan", errors.INPUT_NOT_A_NUMBER, "experience.product_years", _set(("experience", "product_years"), "@@n@@"),
         {'"@@n@@"': "NaN"})
    case("infinity", errors.INPUT_NOT_A_NUMBER, "experience.product_years",
         _set(("experience", "product_years"), "@@n@@"), {'"@@n@@"': "Infinity"})
    case("minus-infinity", errors.INPUT_NOT_A_NUMBER, "experience.product_years",
         _set(("experience", "product_years"), "@@n@@"), {'"@@n@@"': "-Infinity"})
    case("huge-whole-number", errors.INPUT_HUGE_NUMBER, "experience.professional_years",
         _set(("experience", "professional_years"), "@@n@@"), {'"@@n@@"': "1" + "0" * 5000})
    case("huge-float", errors.PACKET_FINITE_NUMBER, "experience.product_years",
         _set(("experience", "product_years"), "@@n@@"), {'"@@n@@"': "1e999"})
    case("missing-value", errors.INPUT_JSON, None, _set(("experience", "product_years"), "@@n@@"),
         {'"@@n@@"': ""})
    case("raw-control-character", errors.INPUT_JSON, None, _set(("candidate", "name"), "@@s@@"),
         {"@@s@@": "Sam\tOkafor"})
    bom_dup, line = _packet_text(indent, dup_edit, {'"@@dup@@"': '"rating"'})
    out += [
        ("empty", "", errors.INPUT_EMPTY, None, None),
        ("white-space", " \n\t \r\n ", errors.INPUT_EMPTY, None, None),
        ("bom-alone", "\ufeff", errors.INPUT_EMPTY, None, None),
        ("bom-and-white-space", "\ufeff \n ", errors.INPUT_EMPTY, None, None),
        ("bom-then-packet", "\ufeff" + good, None, None, None),
        ("bom-then-duplicate-key", "\ufeff" + bom_dup, errors.INPUT_DUPLICATE_KEY, line, "reviews[1]"),
        ("trailing-text", good + " x", errors.INPUT_JSON, good.count("\n") + 1, None),
        ("second-object", good + "{}", errors.INPUT_JSON, good.count("\n") + 1, None),
        ("array", "[" + good + "]", errors.PACKET_SHAPE, 1, None),
        ("empty-array", "[]", errors.PACKET_SHAPE, 1, None),
        ("string", '"a packet"', errors.PACKET_SHAPE, 1, None),
        ("number", "42", errors.PACKET_SHAPE, 1, None),
        ("bare-nan", "NaN", errors.INPUT_NOT_A_NUMBER, 1, None),
        ("too-deep-at-the-root", '{"a":' * 70 + "1" + "}" * 70, errors.INPUT_TOO_DEEP, 1, None),
        # Bytes that are not UTF-8: only the entry points given bytes meet them.
        ("invalid-utf-8", good.encode("utf-8").replace(b"Sam", b"S\xffm"), errors.INPUT_ENCODING,
         good.count("\n", 0, good.index("Sam")) + 1, None),
        # A str holding a lone surrogate (not an escape): no bytes can carry it; the str entry points only.
        ("raw-lone-surrogate", good.replace("Sam", "\ud800am"), errors.INPUT_ENCODING,
         good.count("\n", 0, good.index("Sam")) + 1, "candidate.name"),
    ]
    return out


EV = evaluator(None)
CASES = [(f"{layout}:{c[0]}", *c[1:]) for layout, indent in (("pretty", 2), ("one-line", None))
         for c in _cases(indent) if layout == "pretty" or "\n" not in (c[1] if isinstance(c[1], str) else "")]
# Names stay unique: a case that is one line in both layouts is run once per layout.


def _error(exc: PromoreadyError) -> Outcome:
    return (exc.code, exc.message, exc.line, exc.path)


def _library(run: Callable[[], Any]) -> Outcome:
    try:
        return ("decision", json.loads(run().to_json()))
    except PromoreadyError as exc:
        return _error(exc)


def _as_bytes(text: Text) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")


def _from_record(record: dict) -> Outcome:
    if "error" in record:
        e = record["error"]
        return (e["code"], e["message"], e["line"], e["path"])
    return ("decision", record)


def _rendered(outcome: Outcome, file: str) -> str:
    """An error as the command line prints it (``PromoreadyError.__str__``)."""
    code, message, line, path = outcome
    where = file + (f":{line}" if line else "")
    return ": ".join(p for p in (where, path) if p) + f": {message} [{code}]"


@pytest.fixture(scope="module")
def service():
    client = make_client()
    yield client
    client.close()


@pytest.fixture(scope="module")
def engine():
    return Engine(LadderRegistry())


@pytest.fixture(scope="module")
def batch_records(tmp_path_factory) -> tuple[str, dict[str, Outcome], list[dict]]:
    """Every case through one ``promoready batch`` run: as a packet file ``NNN.json``, and (one-line,
    non-blank texts) as the one line of ``NNN.jsonl``. The folder, error outcomes by record source,
    and the decisions."""
    folder = tmp_path_factory.mktemp("careful-batch")
    inputs = []
    for i, (_, text, *_rest) in enumerate(CASES):
        if isinstance(text, str) and "\ud800" in text:
            continue
        data = _as_bytes(text)
        (folder / f"{i:03d}.json").write_bytes(data)
        inputs.append(str(folder / f"{i:03d}.json"))
        if b"\n" not in data and data.strip():
            (folder / f"{i:03d}.jsonl").write_bytes(data + b"\n")
            inputs.append(str(folder / f"{i:03d}.jsonl"))
    out = folder / "out.jsonl"
    result = CliRunner().invoke(main, ["batch", *inputs, "--out", str(out), "--workers", "1"],
                                catch_exceptions=False)
    assert result.exit_code == 2, result.output
    failed, decided = {}, []
    for line in out.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if "error" in record:
            failed[record["source"]] = _from_record(record)
        else:
            decided.append(record)
    return str(folder), failed, decided


@pytest.mark.parametrize("name,text,code,line,path", CASES, ids=[c[0] for c in CASES])
def test_every_entry_point_reads_a_text_alike(name, text, code, line, path, tmp_path, service, engine,
                                              batch_records):
    is_bytes = isinstance(text, bytes)
    str_only = not is_bytes and "\ud800" in text
    data = None if str_only else _as_bytes(text)
    outcomes: dict[str, Outcome] = {}

    # The library.
    if not is_bytes:
        outcomes["evaluate_json(str)"] = _library(lambda: EV.evaluate_json(text, source="p.json"))
        outcomes["read_json"] = _library(lambda: EV.evaluate(read_json(text, Source("p.json", text))))
    if data is not None:
        outcomes["evaluate_json(bytes)"] = _library(lambda: EV.evaluate_json(data, source="p.json"))
        file = tmp_path / "p.json"
        file.write_bytes(data)
        outcomes["evaluate(file)"] = _library(lambda: EV.evaluate(str(file)))

    reference = next(iter(outcomes.values()))
    if code is None:
        assert reference[0] == "decision", reference
    else:
        assert reference[0] == code and reference[2] == line, reference
        if path is not None:
            assert reference[3] == path, reference
        assert "Traceback" not in reference[1]
    for entry, outcome in outcomes.items():
        assert outcome == reference, entry
    if data is None:
        return

    # The command line: a file, and stdin.
    runner = CliRunner()
    result = runner.invoke(main, ["explain", str(file), "--format", "json"], catch_exceptions=False)
    stdin = runner.invoke(main, ["explain", "-", "--format", "json"], input=data, catch_exceptions=False)
    if code is None:
        assert result.exit_code == 0 and stdin.exit_code == 0, result.output + stdin.output
    else:
        assert result.exit_code == 2 and stdin.exit_code == 2
        assert result.stderr.strip() == "promoready: " + _rendered(reference, str(file))
        if code == errors.INPUT_EMPTY:  # the command line's own words for an empty stdin (JSON or YAML)
            assert stdin.stderr.strip() == "promoready: <stdin>: stdin is empty: pipe a packet in (JSON or YAML) [input.empty]"
        elif data.decode("utf-8", "replace").lstrip("\ufeff").lstrip().startswith(("{", "[")):
            assert stdin.stderr.strip() == "promoready: " + _rendered(reference, "<stdin>")
        # (else stdin is YAML, as the command line reads any text not starting with { or [)

    # The service: a body as /v1/evaluate reads it, and as a logged body or a batch line is (Engine.parse).
    response = service.post("/v1/evaluate", content=data, headers={"content-type": "application/json"})
    body = response.json()
    try:
        loaded_data, source = engine.parse(data, "json")
        parsed = ("decision", json.loads(EV.evaluate(engine.load(loaded_data, source)).to_json()))
    except PromoreadyError as exc:
        parsed = _error(exc)
    if code is None:
        assert response.status_code == 200, body
        assert {k: v for k, v in body.items() if k not in ("decision_id", "provenance")} == reference[1]
    else:
        assert response.status_code == errors.CATALOGUE[code].http_status
        assert (body["code"], body["line"], body["path"]) == (code, reference[2], reference[3]), body
        assert body["detail"] == _rendered(reference, "request body")
    assert parsed == reference

    # A batch: the packet file, and the JSONL line (its line is the stream's: 1).
    folder, failed, decided = batch_records
    index = next(i for i, c in enumerate(CASES) if c[0] == name)
    packet_file = os.path.join(folder, f"{index:03d}.json")
    one_line = b"\n" not in data and bool(data.strip())
    if code is None:  # every accepted text is the example packet: one decision per file and per line
        accepted = [_as_bytes(c[1]) for c in CASES if c[2] is None]
        assert decided == [reference[1]] * (len(accepted) + sum(b"\n" not in a for a in accepted))
    else:
        assert failed[packet_file] == reference
        if one_line:
            assert failed[packet_file + "l:1"] == (code, reference[1], 1, reference[3])


def test_a_bom_is_dropped_alike_from_text_and_bytes():
    # ``decode`` drops one BOM from bytes; the careful reading drops what a text still starts with, so
    # a packet behind two BOMs reads the same given as bytes or as the text a plain utf-8 read gives.
    good, _ = _packet_text(None)
    decision = EV.evaluate_json(good).to_json()
    for boms in (1, 2):
        raw = b"\xef\xbb\xbf" * boms + good.encode("utf-8")
        assert EV.evaluate_json(raw).to_json() == decision
        assert EV.evaluate_json(raw.decode("utf-8")).to_json() == decision
    # A U+FEFF after other text is text, and not JSON.
    with pytest.raises(PromoreadyError) as caught:
        EV.evaluate_json(" \ufeff" + good)
    assert (caught.value.code, caught.value.line) == (errors.INPUT_JSON, 1)


def test_a_stored_packet_is_read_again_as_the_batch_read_it(tmp_path):
    # ``batch --cycle --store-packets`` reads each JSONL line a second time to store its packet; that
    # second reading must accept what the first did (a line behind two BOMs), or the decision is dropped.
    from promoready.store import open_store

    good, _ = _packet_text(None)
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbf" + good.encode("utf-8") + b"\n" + good.encode("utf-8") + b"\n")
    db = str(tmp_path / "s.sqlite")
    done = CliRunner().invoke(main, ["batch", str(source), "--workers", "1", "--cycle", "c", "--db", db,
                                     "--store-packets", "--out", str(tmp_path / "out.jsonl")])
    assert done.exit_code == 0, done.stderr
    with open_store(db) as store:
        cycle = store.cycle("c")
        assert (cycle.decisions, cycle.errors, cycle.dropped) == (2, 0, 0)
        stored = store.decisions_for(json.loads(good)["candidate"]["id"], "c")
        assert [d.packet for d in stored] == [json.loads(good)] * 2


def test_stdin_reads_a_packet_behind_boms_as_json_and_only_boms_as_empty():
    good, _ = _packet_text(None)
    runner = CliRunner()
    as_file = runner.invoke(main, ["explain", "-", "--format", "json"], input=good.encode("utf-8"))
    assert as_file.exit_code in (0, 1), as_file.stderr
    behind = runner.invoke(main, ["explain", "-", "--format", "json"],
                           input=b"\xef\xbb\xbf\xef\xbb\xbf" + good.encode("utf-8"))
    assert (behind.exit_code, behind.stdout) == (as_file.exit_code, as_file.stdout)  # JSON, not YAML
    only = runner.invoke(main, ["explain", "-"], input=b"\xef\xbb\xbf\xef\xbb\xbf \n")
    assert only.exit_code == 2 and only.stderr.rstrip().endswith("[input.empty]"), only.stderr
