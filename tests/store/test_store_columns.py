"""A decision's store columns read off its model where batch made it (``engine.batch``'s ``columns_of``)
are exactly the ones the store reads back from its JSON line, so the process writing the store can skip
parsing that line; masks always read the JSON."""

from __future__ import annotations

import glob
import json
import os

import pytest
from ruamel.yaml import YAML

from promoready.engine import load_ladder
from promoready.engine.batch import Config, Item
from promoready.engine.batch.evaluate import evaluation_factory, process
from promoready.store import Masks, decision_rows

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _case_packets() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "rules", "*", "examples", "*.yaml"))):
        with open(path, encoding="utf-8") as fh:
            for case in YAML(typ="safe").load(fh)["cases"]:
                out.append((case["name"], json.loads(json.dumps(case["packet"], default=str))))
    assert len(out) > 20
    return out


@pytest.fixture(scope="module")
def results():
    config = Config(columns=True)
    evaluate = evaluation_factory(config)
    out = []
    for seq, (name, packet) in enumerate(_case_packets()):
        result = process(Item(seq, "cases.jsonl", seq + 1, json.dumps(packet).encode("utf-8")), evaluate, config)
        if result.record is not None and result.error is None:
            out.append(result)
    assert len(out) > 20 and {r.outcome.verdict for r in out} == {"ready", "not_ready", "insufficient_evidence"}
    return out


def test_columns_read_off_the_model_are_the_ones_read_back_from_the_json(results):
    for result in results:
        assert result.columns is not None
        from_json = decision_rows(result.source, result.seq, result.record, public_id="u")
        from_columns = decision_rows(result.source, result.seq, result.record, public_id="u", columns=result.columns)
        assert from_columns == from_json, result.source
        assert [type(v) for v in from_columns.decision.values()] == [type(v) for v in from_json.decision.values()]


def test_masks_read_the_json_even_with_columns(results):
    result = results[0]
    masks = Masks(["/decision/candidate_id"])
    rows = decision_rows(result.source, result.seq, result.record, masks=masks, columns=result.columns)
    assert rows.decision["candidate_id"] is None and result.outcome.candidate_id not in rows.decision["decision_json"]


def test_columns_are_made_only_when_asked(results):
    evaluate = evaluation_factory(Config())
    packet = _case_packets()[0][1]
    plain = process(Item(0, "cases.jsonl", 1, json.dumps(packet).encode("utf-8")), evaluate, Config())
    assert plain.columns is None and plain.record is not None
    assert load_ladder().id == results[0].columns[2]  # the ladder id column is the ladder's id


@pytest.mark.parametrize("workers, masked", [(2, False), (1, False), (2, True)])
def test_batch_cycle_hands_the_columns_to_the_store_unless_it_masks(tmp_path, monkeypatch, workers, masked):
    from click.testing import CliRunner

    from promoready.cli import main
    from promoready.store import open_store, recorder

    given = []
    real = recorder.decision_rows

    def spy(*args, **kwargs):
        given.append(kwargs.get("columns") is not None)
        return real(*args, **kwargs)

    monkeypatch.setattr(recorder, "decision_rows", spy)
    source = tmp_path / "in.jsonl"
    packets = [p for _, p in _case_packets()]
    source.write_text("".join(json.dumps(p) + "\n" for p in packets), encoding="utf-8")
    db = str(tmp_path / "s.sqlite")
    args = ["batch", str(source), "--workers", str(workers), "--cycle", "c", "--db", db,
            "--out", str(tmp_path / "out.jsonl")] + (["--mask", "/decision/candidate_id"] if masked else [])
    done = CliRunner().invoke(main, args)
    assert done.exit_code in (0, 2), done.stderr  # some example cases are bad packets on purpose
    with open_store(db) as store:
        decisions = store.cycle("c").decisions
    assert decisions > 20 and len(given) == decisions
    assert set(given) == ({False} if masked else {True})
