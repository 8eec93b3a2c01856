"""The bad-input corpus (tests/bad/): each file gives its exact error, never a traceback, nothing executed."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from promoready.cli import main
from promoready.engine import PromoreadyError
from promoready.engine._documents import line_of, load

from batch_helpers import PROMOREADY
from conftest import HERE, ROOT, evaluator

BAD = os.path.join(HERE, "bad", "packets")
EXAMPLE_PACKET = os.path.join(ROOT, "examples", "packet.yaml")
EXPECTED = load(os.path.join(HERE, "bad", "expected.yaml"))


def test_every_file_has_an_expectation():
    assert sorted(os.listdir(BAD)) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_library(name):
    want = EXPECTED[name]
    path = os.path.join(BAD, name)
    if "decision" in want:
        assert evaluator(None).evaluate(path).verdict == want["decision"]
        return
    with pytest.raises(PromoreadyError) as err:
        evaluator(None).evaluate(path)
    e = err.value
    assert e.code == want["code"]
    assert e.file == path
    assert e.line == want.get("line")
    assert e.path == want.get("path")
    assert e.suggestion == want.get("suggestion")
    if "message" in want:
        assert e.message == want["message"]


def test_the_whole_corpus_is_refused_without_hanging():
    # A hang guard, not a speed test (speed lives in bench/): a bad file that made the reader loop or
    # expand without end would never finish. The bound is the subprocess's, and generous.
    code = ("import os, sys\n"
            "from promoready.engine import Evaluator, load_ladder, PromoreadyError\n"
            "ev = Evaluator(load_ladder())\n"
            "for name in sys.argv[2:]:\n"
            "    try: print(name, ev.evaluate(os.path.join(sys.argv[1], name)).verdict)\n"
            "    except PromoreadyError as e: print(name, e.code)\n")
    names = sorted(EXPECTED)
    proc = subprocess.run([sys.executable, "-c", code, BAD, *names], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    got = dict(line.split(" ", 1) for line in proc.stdout.splitlines())
    assert got == {n: EXPECTED[n].get("code", EXPECTED[n].get("decision")) for n in names}


@pytest.mark.parametrize("name", sorted(n for n, w in EXPECTED.items() if "code" in w))
def test_cli(name):
    want = EXPECTED[name]
    path = os.path.join(BAD, name)
    result = CliRunner().invoke(main, ["evaluate", path, "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    where = path + (f":{want['line']}" if "line" in want else "")
    assert lines[0].startswith(f"promoready: {where}: ")
    assert lines[0].endswith(f"[{want['code']}]")


def test_yaml_tags_execute_nothing(tmp_path):
    marker = "/tmp/promoready-pwned"
    if os.path.exists(marker):
        os.remove(marker)
    with pytest.raises(PromoreadyError):
        evaluator(None).evaluate(os.path.join(BAD, "python-tag.yaml"))
    assert not os.path.exists(marker)


def test_a_50_mb_file_is_refused_before_parsing(tmp_path, monkeypatch):
    path = tmp_path / "huge.json"
    with open(path, "w") as fh:
        fh.write('{"candidate": {"id": "x"}, "current_level": "pm", "pad": "')
        fh.write("x" * (50 * 1024 * 1024))
        fh.write('"}')
    # Refused on its size alone: the file is never opened, so nothing of it is read, decoded or parsed.
    from promoready.engine import _documents

    def never(*args, **kwargs):
        raise AssertionError(f"the file was read: {args[:1]}")

    ev = evaluator(None)
    monkeypatch.setattr(_documents, "open", never, raising=False)
    for name in ("decode", "parse_json", "parse_yaml"):
        monkeypatch.setattr(_documents, name, never)
    with pytest.raises(PromoreadyError) as err:
        ev.evaluate(str(path))
    assert err.value.code == "input.too-large"


@pytest.mark.parametrize("target", ["folder", "missing"])
def test_folder_or_missing_file_where_a_file_is_expected(tmp_path, target):
    path = str(tmp_path) if target == "folder" else str(tmp_path / "nope.json")
    with pytest.raises(PromoreadyError) as err:
        evaluator(None).evaluate(path)
    assert err.value.code == {"folder": "input.is-folder", "missing": "input.not-found"}[target]
    proc = subprocess.run([sys.executable, "-m", "promoready", "evaluate", path], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_alias_bomb_memory_stays_bounded():
    code = ("import resource; from promoready.engine import Evaluator, load_ladder, PromoreadyError\n"
            "ev = Evaluator(load_ladder())\n"
            f"try: ev.evaluate({os.path.join(BAD, 'alias-bomb.yaml')!r})\n"
            "except PromoreadyError as e: print(e.code)\n"
            "print(next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM:')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    code_line, rss_kb = proc.stdout.split()
    assert code_line == "input.yaml-alias"
    assert int(rss_kb) < 300 * 1024


def _round_trip_lines(text):
    """The line of every path, as ruamel's round-trip loader (which located lines before) sees it."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    root = yaml.load(text)
    out = {}
    stack = [((), root)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, dict):
            out[loc + ("no-such-key",)] = node.lc.line + 1 if not loc else out[loc]
            for key in node:
                out[loc + (key,)] = node.lc.key(key)[0] + 1
                stack.append((loc + (key,), node[key]))
        elif isinstance(node, list):
            out[loc + (len(node),)] = node.lc.line + 1 if not loc else out[loc]
            for i, item in enumerate(node):
                out[loc + (i,)] = node.lc.item(i)[0] + 1
                stack.append((loc + (i,), item))
    out[()] = root.lc.line + 1
    return out


@pytest.mark.parametrize("path", [EXAMPLE_PACKET, os.path.join(ROOT, "rules", "product-management", "ladder.yaml"),
                                  os.path.join(BAD, "end-before-start.json"), os.path.join(BAD, "unknown-enum.json")])
def test_lines_are_those_the_round_trip_loader_gave(path):
    """Lines are now found by one pass of the C parser or the JSON decoder (the round-trip loader took
    minutes on a large file); they must be the lines it gave, for every path and for a missing child."""
    text = open(path, encoding="utf-8-sig").read()
    for loc, line in _round_trip_lines(text).items():
        assert line_of(text, loc, path) == line, loc
        assert line_of(text, loc) == line, loc  # without the file name: read as YAML, JSON included


@pytest.mark.parametrize("ladder, code", [("a\u0000b", "packet.ladder-mismatch"),
                                          ("x/a\u0000b.yaml", "packet.ladder-not-allowed")])
def test_a_ladder_name_no_file_can_have_is_refused_with_a_message(tmp_path, ladder, code):
    # os.path.realpath raises ValueError on a NUL: the packet's ladder names no path, so it is refused as
    # any other ladder it cannot use (it was an engine.internal error, and a traceback on the command line).
    import json

    from promoready.engine.registry import LadderRegistry
    from promoready.engine.errors import PacketError

    packet = json.loads(json.dumps(_example_packet()))
    packet["ladder"] = ladder
    path = tmp_path / "p.json"
    path.write_text(json.dumps(packet), encoding="utf-8")
    if code == "packet.ladder-mismatch":
        with pytest.raises(PacketError) as caught:
            evaluator().evaluate_json(path.read_text(encoding="utf-8"), source=str(path))
        assert caught.value.code == code and caught.value.path == "ladder"
    registry = LadderRegistry()
    with pytest.raises(PacketError) as caught:
        registry.evaluate(str(path))
    assert caught.value.code == code
    done = CliRunner().invoke(main, ["evaluate", str(path)])
    assert done.exit_code == 2 and done.stderr.rstrip().endswith(f"[{code}]") and "Traceback" not in done.stderr


def _example_packet() -> dict:
    import json

    from ruamel.yaml import YAML

    with open(os.path.join(ROOT, "examples", "packet.yaml"), encoding="utf-8") as fh:
        return json.loads(json.dumps(YAML(typ="safe").load(fh), default=str))


def _cli_error(path) -> str:
    done = CliRunner().invoke(main, ["evaluate", str(path)])
    assert done.exit_code == 2 and "Traceback" not in done.stderr, done.stderr
    return done.stderr.strip()


def _example_text() -> str:
    with open(EXAMPLE_PACKET, encoding="utf-8") as fh:
        return fh.read()


@pytest.mark.parametrize("old, new, said", [
    ("  id: emp-2071", "  id: 2026-01-01", "candidate.id: must be text, got 2026-01-01 [packet.string-type]"),
    ("  hires: 1", "  hires: true", "leadership.hires: must be a whole number, got true [packet.int-type]"),
    ("  hires: 1", "  hires: [null]", "leadership.hires: must be a whole number, got [null] [packet.int-type]"),
    ("  hires: 1", "  hires: {a: [1, null]}",
     "leadership.hires: must be a whole number, got {a: [1, null]} [packet.int-type]"),
    ("  mentees: 2", "  mentees: 1e400",
     "leadership.mentees: must be a whole number, got infinity (or a number too large to hold) [packet.int-type]"),
    ("  product_years: 7.5", "  product_years: .inf",
     "experience.product_years: must be a finite number, got infinity (or a number too large to hold) "
     "[packet.finite-number]"),
    ("  product_years: 7.5", "  product_years: -.inf",
     "experience.product_years: must be a finite number, got -infinity (or a negative number too large to hold) "
     "[packet.finite-number]"),
    ("  product_years: 7.5", "  product_years: -1e20",
     "experience.product_years: must be at least 0, got -1e20 [packet.greater-than-equal]"),
    ("  product_years: 7.5", "  product_years: -0.0000001",
     "experience.product_years: must be at least 0, got -0.0000001 [packet.greater-than-equal]"),
    ("  product_years: 7.5", "  product_years: 100.5",
     "experience.product_years: must be at most 100, got 100.5 [packet.less-than-equal]"),
    ("  product_years: 7.5", "  product_years: .nan",
     "experience.product_years: must be a finite number, got NaN (not a number) [packet.finite-number]"),
])
def test_a_wrong_value_is_quoted_as_the_file_wrote_it_not_as_python_repr(tmp_path, old, new, said):
    # datetime.date(2026, 1, 1), True, None, inf and {'a': ...} were Python's words, not the file's;
    # .inf was "a number too large to hold", -1e20 was -1e+20 and -0.0000001 was -1e-07. A number past
    # a bound was "-1e20: input should be greater than or equal to 0" (pydantic's words, lowered).
    text = _example_text()
    assert old in text
    path = tmp_path / "p.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert _cli_error(path).endswith(said)


def test_json_true_and_a_jsonl_null_packet_are_said_in_json_words(tmp_path):
    import json

    packet = _example_packet()
    packet["leadership"]["hires"] = True
    for name in ("p.json", "p.jsonl"):
        path = tmp_path / name
        path.write_text(json.dumps(packet), encoding="utf-8")
        assert _cli_error(path).endswith("leadership.hires: must be a whole number, got true [packet.int-type]")
    lines = tmp_path / "b.jsonl"
    lines.write_text("null\n[1]\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["batch", str(lines)])
    assert done.exit_code == 2 and "Traceback" not in done.stderr
    assert "a packet is a mapping of fields, got null [packet.shape]" in done.stderr
    assert "a packet is a mapping of fields, got a list [packet.shape]" in done.stderr
    assert "NoneType" not in done.output + done.stderr


def test_a_list_key_is_named_as_the_list_the_file_wrote(tmp_path):
    # Was "got tuple (1, 2)": Python's name for the kind, and its repr.
    text = _example_text()
    path = tmp_path / "p.yaml"
    path.write_text(text.replace("organization:", "[1, 2]: 3\norganization:", 1), encoding="utf-8")
    line = text[:text.index("organization:")].count("\n") + 1
    assert _cli_error(path) == (f"promoready: {path}:{line}: a key must be text, a number, true/false, null or a "
                                "date; got a list [1, 2] [input.unsupported-value]")


@pytest.mark.parametrize("keys, said", [
    ("true: 1\n1: 2\n", "duplicate key '1' (the same key as 'true' once read)"),
    ("1: x\n1.0: y\n", "duplicate key '1.0' (the same key as '1' once read)"),
    ("'1': x\n1: y\nc: 1\nc: 2\n", "duplicate key 'c'"),
    ("---: a\nnull: b\n...: c\nc: 1\nc: 2\n", "duplicate key 'c'"),  # read alone, --- was an empty document: null
])
def test_keys_written_differently_but_read_as_one_are_named_as_written(tmp_path, keys, said):
    # Was the loader's `duplicate key "1" with value "2" (original value: "1")` (values, not keys); and
    # '1' quoted and 1 plain (two keys) were taken for the duplicate rather than the real one, c.
    path = tmp_path / "p.yaml"
    path.write_text(keys + _example_text(), encoding="utf-8")
    line = keys.count("\n")
    assert _cli_error(path) == f"promoready: {path}:{line}: {said} [input.duplicate-key]"


@pytest.mark.parametrize("size", [10, 2_000])
def test_a_duplicate_among_many_plain_keys_is_found_without_a_yaml_document_per_key(monkeypatch, size):
    # Each plain key (a number, true/false, null…) was read by loading a one-line document of its own:
    # 20,000 keys took 1 to 1.6 s on the error path. Now one resolver and one constructor read them all.
    import ruamel.yaml

    from promoready.engine._documents import parse_yaml

    calls = {"load": 0, "parse": 0}
    for name in calls:
        def counted(self, *args, _name=name, _stock=getattr(ruamel.yaml.YAML, name), **kwargs):
            calls[_name] += 1
            return _stock(self, *args, **kwargs)
        monkeypatch.setattr(ruamel.yaml.YAML, name, counted)
    text = "".join(f"{i}: x\n" for i in range(size)) + "true: y\n"
    with pytest.raises(PromoreadyError) as err:
        parse_yaml(text, "p.yaml")
    assert (err.value.message, err.value.line) == ("duplicate key 'true' (the same key as '1' once read)", size + 1)
    assert calls == {"load": 1, "parse": 2}  # the load that met the duplicate; depth and aliases, then the search


@pytest.mark.parametrize("added, said", [
    ("1: x", "a field name must be text, got 1"),
    ("null: x", "a field name must be text, got null"),
    ("2026-01-01: x", "a field name must be text, got 2026-01-01"),
])
def test_a_key_that_is_not_text_is_named_on_its_own_line_in_the_projects_words(tmp_path, added, said):
    # Was `p.yaml:3: [1]: Keys should be strings` (pydantic's words, the first line, a list index for a path).
    text = _example_text()
    path = tmp_path / "p.yaml"
    path.write_text(text + added + "\n", encoding="utf-8")
    last = text.count("\n") + 1
    assert _cli_error(path) == f"promoready: {path}:{last}: {said} [packet.invalid]"


def test_a_nested_key_that_is_not_text_is_named_by_its_mapping():
    text = _example_text().replace("operating_level: director}", "operating_level: director, 7: x}")
    from promoready.engine._packet import Source, to_packet
    from promoready.engine._documents import parse

    with pytest.raises(PromoreadyError) as err:
        to_packet(parse(text, "p.yaml"), Source("p.yaml", text))
    (problem,) = err.value.problems
    assert (problem.path, problem.line, problem.message) == ("reviews[1]", 21, "a field name must be text, got 7")
    assert problem.code == "packet.invalid"


def test_a_misspelt_ladder_id_gets_a_did_you_mean(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(_example_text().replace("ladder: product-management", "ladder: product-managment"),
                    encoding="utf-8")
    assert _cli_error(path) == (f"promoready: {path}:7: ladder: the packet is for ladder 'product-managment', but "
                                "this evaluator has 'product-management' (did you mean 'product-management'?) "
                                "[packet.ladder-mismatch]")
    path.write_text(_example_text().replace("ladder: product-management", "ladder: sales"), encoding="utf-8")
    assert "did you mean" not in _cli_error(path)  # not close: no suggestion


def test_ladder_show_given_a_ladder_id_says_ladders_go_to_the_ladder_option():
    done = CliRunner().invoke(main, ["ladder", "show", "product-management"])
    assert done.exit_code == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("promoready: TRANSITION: no transition 'product-management' in ladder "
                                   "'product-management'; 'product-management' is a ladder: give it as --ladder "
                                   "product-management and leave TRANSITION out [usage.transition]")


@pytest.mark.parametrize("text, line", [("a:\n\tb: 1\n", 2), ("a:\n  b: 1\n\tc: 2\n", 3)])
def test_a_tab_in_the_indentation_is_called_a_tab(tmp_path, text, line):
    # Was `found character that cannot start any token`, which never says what the character is.
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    assert _cli_error(path) == (f"promoready: {path}:{line}: a tab in the indentation: YAML indents with spaces "
                                "[input.yaml]")


def test_a_byte_that_is_not_utf8_is_named_with_its_column_in_its_line_in_a_file_and_in_a_jsonl_line(tmp_path):
    # Was "(byte 34)": an offset in the whole file for a YAML file but in the line for a JSONL line, shown
    # beside a line number, and easy to read as the byte's value.
    yml = tmp_path / "b.yml"
    yml.write_bytes(b"packet_version: 1\ncandidate: {id: \xe9}\n")
    assert _cli_error(yml) == f"promoready: {yml}:2: not UTF-8 text: byte 0xe9 at column 17 [input.encoding]"
    lines = tmp_path / "m.jsonl"
    lines.write_bytes(b'{"packet_version": 1}\n{"candidate": {"id": "\xe9"}}\n')
    done = subprocess.run([PROMOREADY, "batch", str(lines), "--workers", "1"], capture_output=True)
    assert f"{lines}:2: not UTF-8 text: byte 0xe9 at column 23 [input.encoding]".encode() in done.stderr


def test_a_tab_outside_the_indentation_is_not_called_one_and_a_binary_key_is_named_once(tmp_path):
    # The tab wording looked only at the character the scanner stopped on: a tab after a directive's
    # '%' is no indentation. A !!binary key read "got binary data binary data" (its kind, then its value
    # shown as its kind again).
    path = tmp_path / "t.yaml"
    path.write_text("a: 1\n%\tx\n", encoding="utf-8")
    assert "a tab in the indentation" not in _cli_error(path)
    path.write_text("? !!binary aGk=\n: x\n", encoding="utf-8")
    assert _cli_error(path) == (f"promoready: {path}:1: a key must be text, a number, true/false, null or a date; "
                                "got binary data [input.unsupported-value]")
