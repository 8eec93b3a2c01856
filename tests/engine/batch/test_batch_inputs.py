"""The inputs of a batch (``engine.batch.inputs``): files, folders, JSONL files and stdin, one item at a time."""

from __future__ import annotations

import io
import os
import subprocess

import pytest
from batch_helpers import PROMOREADY

from promoready.engine import _documents as docs
from promoready.engine.batch import count_items, iter_items
from promoready.engine.errors import InputError


def test_a_folder_gives_its_packet_files_recursively_sorted_without_hidden_linked_or_excluded(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("a.json", "b/c.yaml", "b/d.YML", "notes.txt", ".e.json", ".hidden/f.json", "out.json"):
        (tmp_path / name).write_text("{}")
    os.symlink(tmp_path / "b", tmp_path / "link")  # a linked folder could loop: not followed
    exclude = [str(tmp_path / "out.json")]
    items = list(iter_items([str(tmp_path)], exclude=exclude))
    assert [os.path.relpath(i.file, tmp_path) for i in items] == ["a.json", os.path.join("b", "c.yaml"),
                                                                   os.path.join("b", "d.YML")]
    assert [i.seq for i in items] == [0, 1, 2]
    assert all(i.line is None and i.data is None and i.problem is None for i in items)  # read when evaluated
    assert count_items([str(tmp_path)], exclude) == 3


def test_a_jsonl_file_gives_one_item_per_non_blank_line_numbered_across_inputs(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"a": 1}\n\n   \n{"b": 2}\n{"c": 3}')  # the last line has no newline
    items = list(iter_items([str(path), str(path)]))
    assert [(i.seq, i.line, i.data) for i in items[:3]] == [(0, 1, b'{"a": 1}\n'), (1, 4, b'{"b": 2}\n'),
                                                            (2, 5, b'{"c": 3}')]
    assert [i.seq for i in items] == list(range(6))
    assert items[1].source == f"{path}:4" and items[1].file == str(path)
    assert count_items([str(path)]) == 3


@pytest.mark.parametrize("spans", [False, True])
def test_the_jsonl_inputs_and_stdin_that_hold_no_packet_are_named_in_empty(tmp_path, spans):
    good, empty, blank, missing = (str(tmp_path / n) for n in ("good.jsonl", "empty.jsonl", "blank.jsonl", "no.jsonl"))
    (tmp_path / "good.jsonl").write_bytes(b'{"a": 1}\n')
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.jsonl").write_bytes(b"\n \n")
    (tmp_path / "p.yaml").write_bytes(b"")  # an empty packet file is an item (it fails when read)
    named: list[str] = []
    items = list(iter_items([empty, good, "-", str(tmp_path / "p.yaml"), blank, missing], stdin=io.BytesIO(b"\n"),
                            spans=spans, empty=named))
    assert named == [empty, "<stdin>", blank]  # a file that cannot be read is an error item, not empty
    assert [(i.file, i.problem is not None) for i in items] == [(good, False), (str(tmp_path / "p.yaml"), False),
                                                                 (missing, True)]


def test_an_over_long_line_is_one_error_item_and_the_next_line_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(docs, "MAX_BYTES", 10)
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"x": "' + b"y" * 40 + b'"}\n{"a":1}\n')
    items = list(iter_items([str(path)]))
    assert [(i.line, i.data, i.problem) for i in items] == [
        (1, None, ("input.too-large", "the line is over 10 bytes")), (2, b'{"a":1}\n', None)]


def test_stdin_is_a_stream_of_lines_and_dash_without_one_is_refused():
    items = list(iter_items(["-"], stdin=io.BytesIO(b'{"a": 1}\n\n{"b": 2}\n')))
    assert [(i.file, i.line, i.source) for i in items] == [("<stdin>", 1, "<stdin>:1"), ("<stdin>", 3, "<stdin>:3")]
    with pytest.raises(InputError, match="there is none") as caught:
        list(iter_items(["-"]))
    assert caught.value.code == "input.stdin"
    assert count_items(["packet.json", "-"]) is None  # a stream cannot be counted ahead


def test_inputs_that_cannot_be_read_are_items_carrying_their_problem(tmp_path):
    missing = tmp_path / "gone.jsonl"
    items = list(iter_items([str(missing), str(tmp_path / "gone.json")]))
    assert items[0].problem == ("input.not-found", "no such file") and items[0].line is None
    assert items[1].problem is None  # a packet file's problems are found when it is read, as a packet
    assert count_items([str(missing)]) == 1  # one error record to come


def test_an_unreadable_stdin_is_an_error_record(tmp_path):
    write_only = open(tmp_path / "w", "wb")
    with write_only:
        done = subprocess.run([PROMOREADY, "batch", "-", "--workers", "2"], stdin=write_only, capture_output=True,
                              text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "<stdin>:1: cannot read: Bad file descriptor [input.unreadable]" in done.stderr
    assert "Traceback" not in done.stderr

