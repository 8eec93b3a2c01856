"""One walk of a folder input (``engine.batch.folder_packets``): the batch's items and the command
line's check that no output is also an input both use it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from promoready.engine.batch import folder_packets, iter_items

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "in"
    (root / "b").mkdir(parents=True)
    (root / ".hidden").mkdir()
    for name in ("z.json", "a.YAML", "notes.txt", ".dot.json", "b/c.yml", ".hidden/x.json"):
        (root / name).write_text("{}")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "linked.json").write_text("{}")
    os.symlink(outside, root / "link")  # a linked folder could loop: not followed
    return root


def test_a_folder_gives_its_packet_files_sorted_recursively_without_hidden_or_linked_ones(folder):
    assert list(folder_packets(str(folder))) == [(str(folder / n), None) for n in ("a.YAML", "b/c.yml", "z.json")]
    skip = {os.path.realpath(folder / "z.json")}
    assert [p for p, _ in folder_packets(str(folder), skip)] == [str(folder / "a.YAML"), str(folder / "b/c.yml")]
    # the batch's items are exactly these
    assert [i.file for i in iter_items([str(folder)], exclude=[str(folder / "z.json")])] == \
        [str(folder / "a.YAML"), str(folder / "b/c.yml")]


def test_an_unreadable_folder_is_reported_and_the_walk_goes_on(folder, monkeypatch):
    listdir = os.listdir

    def refusing(path):  # as for a folder without read permission (chmod 0 does not stop root)
        if os.fspath(path) == str(folder / "b"):
            raise PermissionError(13, "Permission denied")
        return listdir(path)

    monkeypatch.setattr(os, "listdir", refusing)
    found = list(folder_packets(str(folder)))
    assert [p for p, e in found if e is None] == [str(folder / "a.YAML"), str(folder / "z.json")]
    assert [(p, type(e).__name__) for p, e in found if e is not None] == [(str(folder / "b"), "PermissionError")]
    items = list(iter_items([str(folder)]))
    assert [(i.file, i.problem) for i in items if i.problem] == [
        (str(folder / "b"), ("input.unreadable", "cannot list the folder: Permission denied"))]


def test_the_command_line_does_not_walk_folders_itself():
    source = (ROOT / "cli" / "_outputs.py").read_text(encoding="utf-8")
    assert "folder_packets(" in source and '".yml"' not in source and "islink" not in source
