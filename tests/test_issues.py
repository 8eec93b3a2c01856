"""Regression tests by report (after rule-engine's tests/issues.py): one test per bug, named after it.

Issue 11 ("Hostile and careless input"): items 1, 5, 6 and 9 here; the bad-input corpus
(tests/bad/, test_bad_inputs.py) holds the file-shaped cases too, and tests/test_fuzz.py keeps looking
for more. An input that once crashed the interpreter is run in a child process, so that a regression
fails this test instead of killing the test run.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import shutil
import subprocess
import sys
import threading

import pytest
from promoready.engine import PromoreadyError
from promoready.engine import _documents as docs
from promoready.engine import _packet
from promoready.engine.errors import InputError, UsageError
from promoready.engine.whatif import parse_change

from conftest import EXAMPLE, HERE, ROOT, TINY, TINY_PACKET, evaluator

BAD = os.path.join(HERE, "bad", "packets")
#: A bound on a child process, so that a hang fails the test instead of stalling the run.
HANG = 300


#: A bound on a child's memory: a regression (reading /dev/zero to the end) fails with a MemoryError
#: instead of taking the machine's memory.
MEMORY = 2 * 1024**3


def _bounded() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def child(argv: list[str]) -> subprocess.CompletedProcess:
    """A child process, bounded in time and memory (a crash there is a negative exit status, not a dead run)."""
    return subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=HANG, preexec_fn=_bounded)


def cli(*args: str) -> subprocess.CompletedProcess:
    """The real command in a child process."""
    return child([sys.executable, "-m", "promoready", *args])


def library(code: str) -> subprocess.CompletedProcess:
    """Python code in a child process with the default evaluator as ``ev``."""
    prelude = ("import json, sys\nfrom promoready.engine import Evaluator, load_ladder, PromoreadyError\n"
               "ev = Evaluator(load_ladder())\n")
    return child([sys.executable, "-c", prelude + code])


def assert_one_error(proc, where: str, message: str, code: str) -> None:
    """Exit 2 (never 1, the --fail-on status, nor a signal), nothing on stdout, one line on stderr."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [f"promoready: {where}: {message} [{code}]"]


# -- item 1: nesting crashed the YAML C loader ----------------------------------------------------

BOMBS = {
    "flow.yaml": "candidate: {id: x}\ncurrent_level: pm\nextra: " + "[" * 30_000 + "]" * 30_000 + "\n",
    "block.yaml": "candidate: {id: x}\ncurrent_level: pm\nextra:\n  " + "- " * 30_000 + "x\n",
    "mapping.yaml": "candidate: {id: x}\ncurrent_level: pm\nextra: " + "{a: " * 30_000 + "1" + "}" * 30_000 + "\n",
    "deep.json": '{"candidate": {"id": "x"},\n "current_level": "pm",\n "extra": ' + "[" * 100_000 + "]" * 100_000 + "}",
}
#: Where each bomb crosses the limit.
BOMB_LINES = {"flow.yaml": 3, "block.yaml": 4, "mapping.yaml": 3, "deep.json": 3}


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    for name, text in BOMBS.items():
        (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize("name", sorted(BOMBS))
@pytest.mark.parametrize("command", ["evaluate", "explain"])
def test_issue11_item1_deep_nesting_is_refused_before_it_is_built(bombs, name, command):
    """~30,000 nested brackets segfaulted the YAML C loader (its composer recurses in C): evaluate,
    explain and the library died with SIGSEGV. Nesting is now counted before anything is built."""
    path = str(bombs / name)
    assert_one_error(cli(command, path), f"{path}:{BOMB_LINES[name]}", "nested more than 64 levels deep",
                     "input.too-deep")


def test_issue11_item1_the_library_refuses_deep_files_too(bombs):
    names = [str(bombs / name) for name in sorted(BOMBS)]
    proc = library(f"for name in {names!r}:\n"
                   "    try: ev.evaluate(name)\n"
                   "    except PromoreadyError as e: print(e.code, e.line)\n")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == [f"input.too-deep {BOMB_LINES[n]}" for n in sorted(BOMBS)]


def test_issue11_item1_ladder_files_and_examples_are_bounded_too(tmp_path):
    """``ladder validate`` and ``ladder test`` read through the same reader: the same refusal, with the line."""
    folder = tmp_path / "ladder"
    shutil.copytree(TINY, folder)
    bomb = folder / "zz-deep.yaml"
    bomb.write_text("transition: {from: senior, to: head}\ncriteria: " + "[" * 30_000 + "]" * 30_000 + "\n")
    proc = cli("ladder", "validate", str(folder))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{bomb}:2: nested more than 64 levels deep [input.too-deep]" in proc.stderr
    bomb.unlink()
    (folder / "examples").mkdir()
    example = folder / "examples" / "junior-to-senior.yaml"
    example.write_text("transition: {from: junior, to: senior}\ncases:\n  " + "- " * 30_000 + "x\n")
    assert_one_error(cli("ladder", "test", str(folder)), f"{example}:3", "nested more than 64 levels deep",
                     "input.too-deep")


@pytest.mark.parametrize("depth, refused", [(64, False), (65, True)])
def test_issue11_item1_every_reader_draws_the_line_at_the_same_depth(depth, refused):
    """The root is at depth 1: 64 levels pass and 65 are refused, as text (JSON, YAML flow and block)
    and as data handed to the library, before any rule runs."""
    inner = depth - 2  # the packet is depth 1 and `extra` depth 2
    texts = {
        "p.json": '{"candidate": {"id": "x"}, "current_level": "pm", "extra": ' + "[" * inner + "1" + "]" * inner + "}",
        "p.yaml": "candidate: {id: x}\ncurrent_level: pm\nextra: " + "[" * inner + "1" + "]" * inner + "\n",
        "q.yaml": "candidate: {id: x}\ncurrent_level: pm\nextra:\n" + "- " * inner + "1\n",
    }
    for name, text in texts.items():
        if refused:
            with pytest.raises(InputError) as err:
                docs.parse(text, name)
            assert (err.value.code, err.value.line) == ("input.too-deep", {"p.json": 1, "p.yaml": 3, "q.yaml": 4}[name])
        else:
            docs.parse(text, name)
    data: object = 1
    for _ in range(inner):
        data = [data]
    packet = {"candidate": {"id": "x"}, "current_level": "apm", "as_of": "2026-11-01", "extra": data}
    if refused:
        with pytest.raises(InputError) as err:
            evaluator(None).evaluate(packet)
        assert err.value.code == "input.too-deep"
        assert err.value.path == "extra" + "[0]" * inner
    else:
        assert evaluator(None).evaluate(packet).verdict


# -- item 5: tracebacks (exit 1) on input the schema accepted ---------------------------------------

@pytest.mark.parametrize("name, line, path, message, code", [
    ("as-of-9999.yaml", 6, "as_of", "9999-12-31 is outside the dates a packet may carry (1900-01-01 to 2999-12-31)",
     "packet.date-out-of-range"),
    ("review-year-1.json", 4, "reviews[0].start",
     "0001-01-01 is outside the dates a packet may carry (1900-01-01 to 2999-12-31)", "packet.date-out-of-range"),
    ("huge-int.json", 3, "notes.count", "a whole number of 5,000 digits is too long to read", "input.huge-number"),
    ("huge-int.yaml", 13, "notes.count", "a whole number of 5,000 digits is too long to read", "input.huge-number"),
    ("lone-surrogate.json", 3, "notes",
     "text holds a lone surrogate (\\ud800 at character 0), which is not valid Unicode", "input.encoding"),
    ("binary.yaml", 12, "attachment", "only text, numbers, true/false, null, dates, lists and mappings are allowed; "
     "got binary data (bytes, as YAML !!binary makes): write it as text", "input.unsupported-value"),
    ("nan-in-list.json", 4, "impact[0].value", "NaN is not a number", "input.not-a-number"),
    ("impossible-date.yaml", 5, "as_of", "not a calendar date: 2026-02-30 (February 2026 has 28 days, not 30)",
     "packet.date-value"),
])
def test_issue11_item5_a_traceback_became_an_exit_2_error_with_file_line_and_path(name, line, path, message, code):
    """Each of these printed a traceback and exited 1 (which CI reads as --fail-on matched); NaN in a
    list gave a line without the field path."""
    file = os.path.join(BAD, name)
    assert_one_error(cli("evaluate", file, "--format", "json"), f"{file}:{line}: {path}", message, code)


def test_issue11_item5_the_caller_as_of_is_bounded_like_the_packet_dates():
    proc = cli("evaluate", EXAMPLE, "--as-of", "9999-12-31")
    assert_one_error(proc, "--as-of", "9999-12-31 is outside the dates a decision can be made for (1900-01-01 to "
                     "2999-12-31)", "usage.date")
    with pytest.raises(UsageError):
        evaluator(None).evaluate(EXAMPLE, as_of=datetime.date(1, 1, 1))


def test_issue11_item5_a_set_value_nested_3000_deep_is_a_usage_error():
    value = "[" * 3000 + "]" * 3000
    proc = cli("evaluate", EXAMPLE, "--set", f"impact={value}")
    assert proc.returncode == 2 and proc.stdout == ""
    [line] = proc.stderr.splitlines()
    assert line.startswith("promoready: --set: the value is refused: nested more than 64 levels deep in 'impact=[[[")
    assert line.endswith("[usage.set]") and len(line) < 300


# -- item 6: unbounded reads and unbounded work -------------------------------------------------------

def test_issue11_item6_dev_zero_is_refused_once_the_limit_is_read():
    """stat gives /dev/zero a size of 0: it was read until memory ran out. At most 10 MB + 1 byte is read."""
    assert_one_error(cli("evaluate", "/dev/zero"), "/dev/zero",
                     "this device or pipe gives more than 10,485,760 bytes, the limit", "input.too-large")
    # The child's own peak (VmHWM): ru_maxrss also counts the parent it was forked from.
    proc = library("try: ev.evaluate('/dev/zero')\n"
                   "except PromoreadyError as e: print(e.code)\n"
                   "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))\n")
    code, rss_kb = proc.stdout.split()
    assert code == "input.too-large"
    assert int(rss_kb) < 250 * 1024


def _feed_fifo(path: str, data: bytes) -> threading.Thread:
    def write() -> None:
        try:
            with open(path, "wb") as fh:
                fh.write(data)
        except BrokenPipeError:  # the reader stopped at its limit
            pass

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_issue11_item6_a_fifo_is_read_up_to_the_limit(tmp_path):
    """A named pipe is read like a file when it is small, and refused once it passes the limit."""
    fifo = str(tmp_path / "packet.json")
    os.mkfifo(fifo)
    writer = _feed_fifo(fifo, json.dumps(TINY_PACKET).encode())
    assert evaluator(TINY).evaluate(fifo).candidate_id == "t-1"
    writer.join(10)
    writer = _feed_fifo(fifo, b"{" + b" " * (docs.MAX_BYTES + 100) + b"}")
    with pytest.raises(InputError) as err:
        evaluator(TINY).evaluate(fifo)
    assert err.value.code == "input.too-large"
    writer.join(10)
    assert not writer.is_alive()


def test_issue11_item6_a_batch_folder_with_a_link_to_dev_zero(tmp_path):
    """A symlink to /dev/zero in a batch folder ate a worker until the timeout; batch reads files with the
    same bounded reader, so it is one error record and the other packets are decided."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps(TINY_PACKET))
    os.symlink("/dev/zero", folder / "zero.json")
    out = tmp_path / "out.jsonl"
    proc = cli("batch", str(folder), "--out", str(out), "--ladder", TINY)
    assert proc.returncode == 2, proc.stderr[-2000:]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r.get("candidate_id") for r in records if "error" not in r] == ["t-1"]
    assert [r["error"]["code"] for r in records if "error" in r] == ["input.too-large"]


@pytest.mark.parametrize("key", ["unknown_{}", "tracc{}"])
def test_issue11_item6_unknown_keys_cost_a_bounded_amount_of_work(monkeypatch, key):
    """400k unknown keys took 51 s (near-typos of a field name: 160 s and a 30 MB decision of warnings):
    every key was compared with every known name. Now at most 500 are compared and 20 warned about;
    one more warning gives the count of the rest."""
    compared = []
    real = _packet.closest
    monkeypatch.setattr(_packet, "closest", lambda name, known: compared.append(name) or real(name, known))
    packet = copy.deepcopy(TINY_PACKET)
    packet.update({key.format(i): i for i in range(20_000)})
    warnings = evaluator(TINY).evaluate(packet).warnings
    assert len(compared) <= _packet.MAX_EXAMINED
    assert len(warnings) <= _packet.MAX_WARNINGS + 1
    shown = len(compared)
    assert warnings[-1] == f"{20_000 - shown:,} more unknown fields ignored without a check for misspelt names"
    if key.startswith("tracc"):  # 'tracc0' … are near 'track': the warnings that are given are those
        assert warnings[0] == "unknown field 'tracc0' is ignored (did you mean 'track'?)"


def test_issue11_item6_an_error_at_the_end_of_a_big_packet_is_located_without_a_second_parse(tmp_path, monkeypatch):
    """A 9 MB packet with one error at its end took 60-120 s to name the line: the whole text was parsed
    again by the pure-Python round-trip YAML loader. Now one pass of the C JSON decoder skips what is
    off the field's path."""
    import ruamel.yaml

    evaluator(TINY)  # compiled (its ladder read) before YAML loading is forbidden

    def no_round_trip(*args, **kwargs):
        raise AssertionError("the round-trip loader was used to find a line")

    monkeypatch.setattr(ruamel.yaml.YAML, "load", no_round_trip)  # neither file needs YAML once read
    packet = copy.deepcopy(TINY_PACKET)
    packet["padding"] = [{"k": "x" * 60, "n": i} for i in range(100_000)]
    packet["leadership"] = {"hires": -1}
    text = json.dumps(packet, indent=1)
    assert 8_000_000 < len(text) < docs.MAX_BYTES
    path = tmp_path / "big.json"
    path.write_text(text)
    with pytest.raises(PromoreadyError) as err:
        evaluator(TINY).evaluate(str(path))
    assert (err.value.path, err.value.code) == ("leadership.hires", "packet.greater-than-equal")
    assert err.value.line == text.splitlines().index('  "hires": -1') + 1


# -- item 9: the library raised raw exceptions ------------------------------------------------------

def _deep(levels: int) -> dict:
    node: dict = {}
    top = node
    for _ in range(levels):
        node["a"] = {}
        node = node["a"]
    return top


def _cases() -> list:
    packet = copy.deepcopy(TINY_PACKET)
    cyclic = copy.deepcopy(TINY_PACKET)
    cyclic["scope"]["again"] = cyclic["scope"]
    return [
        ("object", {**packet, "notes": {"x": [1, object()]}}, "notes.x[1]", "input.unsupported-value"),
        ("bytes", {**packet, "notes": b"\xff\xfe"}, "notes", "input.unsupported-value"),
        ("self-reference", cyclic, "scope.again", "input.self-reference"),
        ("100k-deep", {**packet, "notes": _deep(100_000)}, "notes" + ".a" * 63, "input.too-deep"),
        ("lone surrogate", {**packet, "notes\ud800": 1}, "notes\\ud800", "input.encoding"),
        ("huge int", {**packet, "notes": 10**5000}, "notes", "input.huge-number"),
    ]


@pytest.mark.parametrize("label, packet, path, code", _cases(), ids=[c[0] for c in _cases()])
def test_issue11_item9_library_data_is_checked_like_a_file(label, packet, path, code):
    """Dicts holding an object(), non-UTF-8 bytes, themselves or a 100k-deep dict raised raw Python
    exceptions from deep inside pydantic or json; each is now a PromoreadyError naming the field."""
    with pytest.raises(PromoreadyError) as err:
        evaluator(TINY).evaluate(packet)
    assert (err.value.path, err.value.code, err.value.exit_code) == (path, code, 2)
    json.dumps(err.value.to_dict(), ensure_ascii=False).encode("utf-8")  # writable as a batch record


def test_issue11_item9_packet_models_have_their_extra_fields_checked():
    from promoready.schemas.packet import Packet

    packet = Packet.model_validate({**TINY_PACKET, "scope": {**TINY_PACKET["scope"], "blob": object()}})
    with pytest.raises(PromoreadyError) as err:
        evaluator(TINY).evaluate(packet)
    assert (err.value.path, err.value.code) == ("scope.blob", "input.unsupported-value")


def test_issue11_item9_a_set_of_spaces_is_parsed_in_linear_time():
    """``--set`` with 30,000 spaces took 9 s (a backtracking regex, quadratic). A child process parses
    3,000,000 (which would take days if it were still quadratic) within the hang bound."""
    code = ("from promoready.engine.whatif import parse_change\n"
            "from promoready.engine.errors import PromoreadyError\n"
            "for text in (' ' * 3_000_000, 'impact' + ' ' * 3_000_000 + '=1', ' ' * 3_000_000 + '+=x'):\n"
            "    try: print(parse_change(text).path)\n"
            "    except PromoreadyError as e: print(e.code)\n")
    proc = child([sys.executable, "-c", code])
    assert proc.stdout.split("\n")[:3] == ["usage.set", "('impact',)", "usage.set"], proc.stderr[-2000:]
    assert parse_change("impact  +=  1").append and parse_change("impact  +=  1").value == 1


# --- ladder validate: a misspelt field in a measure (found by the fuzzer's long mode) ------------


def test_validate_reports_a_misspelt_measure_field_instead_of_crashing(tmp_path):
    """The size check compiled criteria over a measure already reported as broken: a TypeError traceback."""
    folder = tmp_path / "ladder"
    shutil.copytree(os.path.join(ROOT, "rules", "product-management"), folder)
    ladder = folder / "ladder.yaml"
    text = ladder.read_text(encoding="utf-8")
    assert "field: scope.ambiguity\n" in text
    ladder.write_text(text.replace("field: scope.ambiguity\n", "field: scope.ambiguit\n", 1), encoding="utf-8")
    result = cli("ladder", "validate", str(folder))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "'scope.ambiguit' is not a field of the packet (did you mean 'scope.ambiguity'?)" in result.stderr
    assert "ladder.yaml:" in result.stderr and "measures.ambiguity.field" in result.stderr


# --- what-if: a misspelt --set path changed nothing and exited 0 (review, 2026-11-30) ------------


def test_a_set_path_that_names_no_packet_field_is_a_usage_error_with_a_suggestion():
    proc = cli("evaluate", EXAMPLE, "--set", "leadership.mentess=3")
    assert proc.returncode == 2 and proc.stdout == ""
    assert "'leadership.mentess' is not a field of the packet" in proc.stderr
    assert "did you mean 'leadership.mentees'?" in proc.stderr and "[usage.set]" in proc.stderr
    item = cli("evaluate", EXAMPLE, "--set", "reviews[0].ratng=meets")
    assert item.returncode == 2 and "an item of reviews has no field 'ratng'" in item.stderr
    assert "did you mean 'rating'?" in item.stderr


# --- --resume read its earlier output a whole line at a time, however long (review, 2026-11-30) -------


def test_resume_reads_a_huge_line_of_its_earlier_output_in_bounded_pieces(tmp_path):
    from promoready.engine import MAX_BYTES
    from promoready.engine.batch.resume import Keeper

    out = tmp_path / "out.jsonl"
    record = json.dumps({"packet_digest": "d", "candidate_id": "c", "as_of": "2026-01-01",
                         "ladder": {"digest": "l"}})
    # A line over the limit that *ends* like a record must not be taken for one.
    with open(out, "wb") as fh:
        fh.write(b"x" * (MAX_BYTES + 10) + record.encode() + b"\n" + record.encode() + b"\n")
    keeper = Keeper(str(out))
    try:
        assert len(keeper) == 1  # only the whole record line after the long one
        assert keeper._first[("d", "l", "2026-01-01")] == MAX_BYTES + 10 + len(record) + 1
    finally:
        keeper.close()


# --- years grown to a later --as-of were rounded up and met a bar a day early (review, 2026-11-30) ----


def test_grown_years_never_round_up_to_meet_a_bar_before_the_projected_day():
    def status(as_of: str) -> str:
        proc = cli("evaluate", EXAMPLE, "--as-of", as_of, "--set", "experience.product_years=4.5",
                   "--format", "json")
        assert proc.returncode == 0, proc.stderr
        decision = json.loads(proc.stdout)
        return next(c for c in decision["criteria"] if c["id"] == "product-experience")["status"]

    projected = cli("evaluate", EXAMPLE, "--as-of", "2026-11-01", "--set", "experience.product_years=4.5",
                    "--format", "json")
    step = next(c for c in json.loads(projected.stdout)["criteria"] if c["id"] == "product-experience")["next_step"]
    assert "projected 2029-05-01" in step
    assert status("2029-04-30") == "fail"  # 6.99… years: was rounded to 7 and passed
    assert status("2029-05-01") == "pass"
