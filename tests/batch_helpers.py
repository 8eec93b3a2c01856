"""Inputs and runners shared by the batch tests (tests/engine/batch/, tests/cli/test_batch_command.py).

Packets are the default ladder's example packets, each given its own candidate id; inputs are
written to tmp_path. Signals, crashes and terminals need a real process: ``PROMOREADY`` is the
installed command beside this interpreter.
"""

from __future__ import annotations

import glob
import json
import os
import sys
from functools import lru_cache
from typing import Any, Iterable, Union

from click.testing import CliRunner, Result

from promoready.cli import main
from promoready.engine import _documents as docs
from promoready.engine.registry import BatchEvaluation, LadderRegistry

from conftest import ROOT

EXAMPLES = os.path.join(ROOT, "rules", "product-management", "examples")
PROMOREADY = os.path.join(os.path.dirname(sys.executable), "promoready")


@lru_cache(maxsize=None)
def _examples() -> tuple[str, ...]:
    """Every example packet of the default ladder, as JSON text (dates as strings)."""
    out = []
    for path in sorted(glob.glob(os.path.join(EXAMPLES, "*.yaml"))):
        for example in docs.load(path)["cases"]:
            out.append(json.dumps(example["packet"], default=str))
    return tuple(out)


def case(transition: str, name: str) -> dict:
    """The packet of example case ``name`` of ``transition``, as JSON would give it."""
    for example in docs.load(os.path.join(EXAMPLES, f"{transition}.yaml"))["cases"]:
        if example["name"] == name:
            return json.loads(json.dumps(example["packet"], default=str))
    raise KeyError(name)


def packet(i: int, prefix: str = "c") -> dict:
    """The i-th generated packet: the examples in turn, each with its own candidate id."""
    examples = _examples()
    p = json.loads(examples[i % len(examples)])
    p["candidate"]["id"] = f"{prefix}-{i:05d}"
    return p


def jsonl(path: Union[str, os.PathLike], lines: Iterable[Union[str, dict]]) -> str:
    """Write ``lines`` (text, or packets as JSON) one per line; the path as text."""
    with open(path, "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return str(path)


def records(text: Union[str, bytes]) -> list[dict]:
    """The JSONL records of ``text``."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def invoke(*args: Any, input: Any = None) -> Result:
    """``promoready batch ARGS`` through click's runner (stdout and stderr apart)."""
    return CliRunner().invoke(main, ["batch", *map(str, args)], input=input, catch_exceptions=False)


def assert_the_others_undisturbed(tmp_path: Any, source: str, out: Any, skipped: int) -> None:
    """Every record but the ``skipped`` one is exactly what an undisturbed in-process run writes."""
    clean = tmp_path / "clean.jsonl"
    assert invoke(source, "--out", clean, "--workers", 1).exit_code == 0
    expected = clean.read_text().splitlines()
    got = out.read_text().splitlines()
    assert [g for i, g in enumerate(got) if i != skipped] == [e for i, e in enumerate(expected) if i != skipped]


class Counting(BatchEvaluation):
    """The batch's evaluation function, noting the candidate id of every packet it evaluates."""

    def __init__(self, registry: LadderRegistry, calls: list[str]) -> None:
        super().__init__(registry)
        self.calls = calls

    def __call__(self, loaded, as_of, /):
        self.calls.append(loaded.packet.candidate.id)
        return super().__call__(loaded, as_of)


def counting(calls: list[str]):
    """A factory (in-process runs only: it does not pickle) whose evaluation function notes its packets in ``calls``."""
    return lambda config: Counting(LadderRegistry(config.ladder), calls)
