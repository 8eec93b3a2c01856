"""The ladder cache (``engine._ladder_cache``): a loaded ladder kept as JSON in the user's cache folder.

What must hold: a cached ladder equals the one read from YAML; any edit of a ladder file (or of the
code) is a new entry, never the old one; two processes writing one entry at once leave a whole entry;
a damaged entry is a miss, never an error; a folder others can write is not used; and turned off,
nothing is written.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import stat

import pytest
from conftest import ROOT, TINY, TINY_PACKET

from promoready.engine import LadderInvalid, bundled_ladders, ladder_digest, load_ladder
from promoready.engine import _ladder_cache as cache
from promoready.engine import registry
from promoready.engine.registry import LadderRegistry


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    """A private cache folder for one test; returns the folder entries go in."""
    monkeypatch.setenv("PROMOREADY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PROMOREADY_NO_CACHE", raising=False)
    return tmp_path / "cache" / "ladders"


@pytest.fixture
def ladder_copy(tmp_path):
    """A copy of the tiny ladder that a test may edit."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    return folder


def _entries(folder) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


def _no_yaml(monkeypatch):
    """Make reading a ladder from its YAML fail, so that only a cache hit can give a ladder."""
    def refuse(*_args, **_kwargs):
        raise AssertionError("the ladder was read from its YAML")

    monkeypatch.setattr(cache, "_load_snapshot", refuse)
    monkeypatch.setattr("promoready.engine._ladder.load_ladder", refuse)


@pytest.mark.parametrize("ladder", [TINY, *bundled_ladders().values()])
def test_a_cached_ladder_equals_the_ladder_read_from_yaml(cache_root, ladder, monkeypatch):
    first = cache.load_ladder_cached(ladder)
    assert first.recorded_digest is None and len(_entries(cache_root)) == 1  # a miss, then written
    _no_yaml(monkeypatch)
    second = cache.load_ladder_cached(ladder)
    monkeypatch.undo()
    expected = load_ladder(ladder)
    assert second.ladder == expected
    assert second.recorded_digest == ladder_digest(expected) == ladder_digest(second.ladder)


def test_an_entry_is_private_and_named_by_its_key(cache_root, ladder_copy):
    loaded = cache.load_ladder_cached(str(ladder_copy))
    assert _entries(cache_root) == [loaded.key + ".json"]
    assert stat.S_IMODE(os.stat(cache_root).st_mode) == 0o700
    header = json.loads((cache_root / (loaded.key + ".json")).read_bytes().split(b"\n", 1)[0])
    assert header == {"promoready-ladder-cache": loaded.key, "format": cache.FORMAT,
                      "digest": ladder_digest(loaded.ladder)}


def test_editing_any_ladder_file_is_a_new_entry_never_the_old_one(cache_root, ladder_copy):
    before = cache.load_ladder_cached(str(ladder_copy))
    path = ladder_copy / "junior-to-senior.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("gte: 6}", "gte: 7}"), encoding="utf-8")
    after = cache.load_ladder_cached(str(ladder_copy))
    assert after.key != before.key and after.recorded_digest is None  # a miss: read from the edited YAML
    assert after.ladder == load_ladder(str(ladder_copy)) != before.ladder
    assert "gte=7" in repr(after.ladder.transitions[0].criteria[0].condition).replace(" ", "")
    again = cache.load_ladder_cached(str(ladder_copy))
    assert again.key == after.key and again.recorded_digest is not None and again.ladder == after.ladder

    # A file the loader ignores changes nothing; a new or a removed transition file is a new entry.
    (ladder_copy / "notes.txt").write_text("not a ladder file", encoding="utf-8")
    assert cache.load_ladder_cached(str(ladder_copy)).key == after.key
    shutil.copy(ladder_copy / "senior-to-lead.yaml", ladder_copy / "zz-copy.yml")
    with pytest.raises(LadderInvalid):  # two files for one step: the loader's own error, from the real files
        cache.load_ladder_cached(str(ladder_copy))
    os.unlink(ladder_copy / "zz-copy.yml")
    assert cache.load_ladder_cached(str(ladder_copy)).key == after.key  # removed again: the same files
    os.rename(ladder_copy / "senior-to-head.yaml", ladder_copy / "senior-to-head.yml")
    renamed = cache.load_ladder_cached(str(ladder_copy))
    assert renamed.key not in (before.key, after.key) and renamed.recorded_digest is None
    assert "senior-to-head.yml" in {t.file for t in renamed.ladder.transitions}


def test_a_change_of_code_is_a_new_entry(cache_root, ladder_copy, monkeypatch):
    before = cache.load_ladder_cached(str(ladder_copy))
    monkeypatch.setattr(cache, "_code_key", b"another version of the code")
    after = cache.load_ladder_cached(str(ladder_copy))
    assert after.key != before.key and after.recorded_digest is None


def test_the_code_key_covers_the_engine_and_schema_sources(tmp_path):
    sources = cache.code_sources()
    names = {os.path.join(os.path.basename(os.path.dirname(p)), os.path.basename(p)) for p in sources}
    for module in ("engine/_ladder.py", "engine/_lint.py", "engine/_documents.py", "engine/_ladder_cache.py",
                   "schemas/ladder.py", "schemas/_conditions.py", "schemas/_measures.py"):
        assert module.replace("/", os.sep) in names
    copies = []
    for n, path in enumerate(sources[:3]):
        copy = tmp_path / f"{n}-{os.path.basename(path)}"
        shutil.copy(path, copy)
        copies.append(str(copy))
    before = cache.code_digest(copies)
    assert cache.code_digest(copies) == before
    with open(copies[1], "a", encoding="utf-8") as fh:
        fh.write("\n# an edit\n")
    assert cache.code_digest(copies) != before


def test_an_invalid_ladder_is_reported_from_its_own_files_and_never_cached(cache_root, ladder_copy):
    path = ladder_copy / "junior-to-senior.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("measure: months_at_target", "measure: months_at_targt"),
                    encoding="utf-8")
    with pytest.raises(LadderInvalid) as caught:
        cache.load_ladder_cached(str(ladder_copy))
    message = str(caught.value)
    assert str(path) in message and "months_at_target" in message  # the real file, and the suggestion
    assert _entries(cache_root) == []


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage", "other key", "bad ladder", "no header"])
def test_a_damaged_entry_falls_back_to_the_yaml_and_is_replaced(cache_root, ladder_copy, damage):
    good = cache.load_ladder_cached(str(ladder_copy))
    entry = cache_root / (good.key + ".json")
    data = entry.read_bytes()
    header, body = data.split(b"\n", 1)
    damaged = {
        "empty": b"",
        "truncated": data[: len(data) // 2],
        "garbage": b"\x00\xff not json at all \n {{{",
        "other key": header.replace(good.key.encode(), b"0" * 64) + b"\n" + body,
        "bad ladder": header + b"\n" + body.replace(b'"transitions":', b'"transitionz":'),
        "no header": body,
    }[damage]
    entry.write_bytes(damaged)
    again = cache.load_ladder_cached(str(ladder_copy))
    assert again.recorded_digest is None  # a miss
    assert again.ladder == load_ladder(str(ladder_copy))
    assert entry.read_bytes() == data  # written again, whole


def test_an_entry_that_reads_back_different_is_dropped_by_the_registry(cache_root, ladder_copy):
    good = cache.load_ladder_cached(str(ladder_copy))
    entry = cache_root / (good.key + ".json")
    header, body = entry.read_bytes().split(b"\n", 1)
    # A valid ladder, but not the one the files say (as a lossy round trip would give): the recorded
    # digest no longer matches what is read.
    entry.write_bytes(header + b"\n" + body.replace(b'"title":"Tiny', b'"title":"Tinier'))
    assert cache.load_ladder_cached(str(ladder_copy)).ladder != good.ladder  # the damaged entry reads
    evaluator = registry._load(str(ladder_copy))
    assert evaluator.ladder == load_ladder(str(ladder_copy))
    assert not entry.exists()  # forgotten


def test_the_registry_evaluates_the_same_through_the_cache(cache_root, ladder_copy, monkeypatch):
    fresh = LadderRegistry(str(ladder_copy)).evaluate(dict(TINY_PACKET)).to_json()
    assert len(_entries(cache_root)) == 1
    monkeypatch.setattr(registry, "_COMPILED", {})  # a new process, as far as the registry knows
    _no_yaml(monkeypatch)
    assert LadderRegistry(str(ladder_copy)).evaluate(dict(TINY_PACKET)).to_json() == fresh


def test_turned_off_nothing_is_written(cache_root, ladder_copy, monkeypatch):
    monkeypatch.setenv("PROMOREADY_NO_CACHE", "1")
    assert cache.cache_dir() is None
    loaded = cache.load_ladder_cached(str(ladder_copy))
    assert loaded.key is None and loaded.ladder == load_ladder(str(ladder_copy))
    assert not cache_root.parent.exists()
    monkeypatch.setenv("PROMOREADY_NO_CACHE", "0")  # 0 means on
    assert cache.cache_dir() == str(cache_root)


def test_the_folder_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMOREADY_CACHE_DIR", raising=False)
    monkeypatch.delenv("PROMOREADY_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == os.path.join(str(tmp_path), "promoready", "ladders")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid per the spec: ignored
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == os.path.join(str(tmp_path), "home", ".cache", "promoready", "ladders")


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_others_can_write_is_not_used(cache_root, ladder_copy, monkeypatch):
    good = cache.load_ladder_cached(str(ladder_copy))
    entry = cache_root / (good.key + ".json")
    header, body = entry.read_bytes().split(b"\n", 1)
    planted = header + b"\n" + body.replace(b'"title":"Tiny', b'"title":"Planted')
    entry.write_bytes(planted)
    os.chmod(cache_root, 0o777)
    loaded = cache.load_ladder_cached(str(ladder_copy))
    assert loaded.key is None and loaded.ladder == good.ladder  # read from YAML; the planted entry ignored
    assert entry.read_bytes() == planted  # and nothing written there


def _write_many(folder: str, ladder_folder: str, rounds: int, start, results) -> None:
    """A process writing (and reading back) one entry over and over; puts how many reads saw a whole entry."""
    from promoready.engine import _ladder_cache as c
    from promoready.engine import ladder_digest as digest_of
    from promoready.engine import load_ladder as load

    ladder = load(ladder_folder)
    digest = digest_of(ladder)
    files = c._ladder_files(ladder_folder)
    assert files is not None
    key = c.entry_key(files)
    entries = os.path.join(folder, "ladders")
    os.makedirs(entries, mode=0o700, exist_ok=True)
    start.wait(timeout=300)
    whole = 0
    for _ in range(rounds):
        c._write_entry(entries, key, ladder, digest)
        found = c._read_entry(os.path.join(entries, key + ".json"), key)
        whole += found is not None and found[0] == ladder and found[1] == digest  # never a partial entry
    results.put(whole)


def test_two_processes_writing_one_entry_at_once_leave_a_whole_entry(tmp_path, ladder_copy):
    folder = str(tmp_path / "shared-cache")
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(2), context.Queue()
    rounds = 40
    writers = [context.Process(target=_write_many, args=(folder, str(ladder_copy), rounds, start, results))
               for _ in range(2)]
    for writer in writers:
        writer.start()
    try:
        counts = [results.get(timeout=600) for _ in writers]
    finally:
        for writer in writers:
            writer.join(timeout=60)
    assert counts == [rounds, rounds] and [w.exitcode for w in writers] == [0, 0]
    entries = os.listdir(os.path.join(folder, "ladders"))
    assert len(entries) == 1 and not entries[0].startswith(".tmp-")  # no temporary file left behind


def test_old_entries_are_pruned(cache_root, ladder_copy, monkeypatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    keys = []
    for n in range(4):
        monkeypatch.setattr(cache, "_code_key", f"code {n}".encode())
        keys.append(cache.load_ladder_cached(str(ladder_copy)).key)
        os.utime(cache_root / (keys[-1] + ".json"), (1000 + n, 1000 + n))
    assert _entries(cache_root) == sorted(k + ".json" for k in keys[-2:])


def test_the_same_files_in_another_folder_share_the_entry(cache_root, ladder_copy, tmp_path):
    """A loaded ladder depends only on its files' names and bytes, not on where the folder is."""
    other = tmp_path / "elsewhere" / "tiny-too"
    shutil.copytree(ladder_copy, other)
    assert load_ladder(str(other)) == load_ladder(str(ladder_copy))
    first = cache.load_ladder_cached(str(ladder_copy))
    second = cache.load_ladder_cached(str(other))
    assert second.key == first.key and second.recorded_digest is not None


def test_the_repository_example_evaluates_the_same_with_and_without_the_cache(cache_root, monkeypatch):
    packet = os.path.join(ROOT, "examples", "packet.yaml")
    monkeypatch.setattr(registry, "_COMPILED", {})
    with_cache = LadderRegistry().evaluate(packet).to_json()
    monkeypatch.setattr(registry, "_COMPILED", {})
    monkeypatch.setenv("PROMOREADY_NO_CACHE", "1")
    assert LadderRegistry().evaluate(packet).to_json() == with_cache


def test_a_ladder_with_a_date_literal_in_a_where_is_cached_and_reads_back_equal(cache_root, tmp_path, monkeypatch):
    """YAML reads `before: 2026-01-01` as a date and JSON keeps it as text: the cache once refused such
    a ladder (its check that the entry reads back equal failed), so every run read the YAML."""
    import copy

    monkeypatch.syspath_prepend(os.path.join(ROOT, "tests", "engine"))
    from fixture_files import write_ladder
    from test_issue12_measures import LADDER, PACKET

    from promoready.engine import Evaluator

    folder = write_ladder(tmp_path, copy.deepcopy(LADDER))
    path = os.path.join(folder, "ladder.yaml")
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    assert '"on_or_before": "2025-12-31"' in text
    with open(path, "w", encoding="utf-8") as fh:  # a bare date, as a person writes it in YAML
        fh.write(text.replace('"on_or_before": "2025-12-31"', '"on_or_before": 2025-12-31'))
    fresh = load_ladder(folder)
    first = cache.load_ladder_cached(folder)
    assert first.recorded_digest is None and len(_entries(cache_root)) == 1  # a miss, then written
    _no_yaml(monkeypatch)
    second = cache.load_ladder_cached(folder)
    assert second.recorded_digest == ladder_digest(fresh) and second.ladder == fresh == first.ladder
    decide = Evaluator(second.ladder).evaluate(copy.deepcopy(PACKET))
    assert decide.model_dump_json() == Evaluator(fresh).evaluate(copy.deepcopy(PACKET)).model_dump_json()
    assert "1 (of 2 listed)" in {c.id: c for c in decide.criteria}["old-reviews"].actual


def test_a_transition_link_that_cannot_be_read_is_no_cache_hit(cache_root, ladder_copy):
    # The cache's key listed the files the loader read, and skipped a name that is not a readable file as
    # the loader did: once the loader said so (a dangling link is an error), a warm entry kept answering
    # for the folder with that link in it.
    cache.load_ladder_cached(str(ladder_copy))
    assert len(_entries(cache_root)) == 1
    os.symlink(str(ladder_copy / "no-such-file.yaml"), str(ladder_copy / "zz-to-zz.yaml"))
    with pytest.raises(LadderInvalid) as err:
        cache.load_ladder_cached(str(ladder_copy))
    assert err.value.code == "input.not-found" and err.value.file == str(ladder_copy / "zz-to-zz.yaml")
