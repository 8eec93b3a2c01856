"""The durable-rules adapter: errors translated, values engine-safe, one status fired per criterion."""

from __future__ import annotations

import durable_rules_engine
import pytest

from promoready.engine import EngineError
from promoready.engine._compile import encode_number
from promoready.engine._durable import ENGINE_CODES, Ruleset, translate


@pytest.mark.parametrize("code", sorted(ENGINE_CODES) + [999])
def test_every_engine_code_becomes_an_engine_error(code):
    err = translate(durable_rules_engine.error(f"Could not assert fact, error code: {code}"), "doing a thing")
    assert isinstance(err, EngineError)
    assert err.code == (f"engine.{code}" if code in ENGINE_CODES else "engine.unlisted-code")
    assert err.exit_code == 3
    assert str(err).startswith("doing a thing: ")


def test_an_error_without_a_code_is_still_translated():
    err = translate(RuntimeError("something odd"), "compiling")
    assert err.code == "engine.unknown" and "something odd" in err.message


def test_engine_rejects_exponent_floats_and_we_translate_it():
    rs = Ruleset("probe-exponent", {"r.p.0": {"all": [{"m": {"$gte": {"a": 1}}}]}})
    with pytest.raises(EngineError) as err:
        rs.run({"a": 1e-05}, lambda fired: {"k": "t"})
    assert err.value.code == "engine.204"
    # and the process and the ruleset still work afterwards
    first, _ = rs.run({"a": 2}, lambda fired: {"k": "t"})
    assert first == ["r.p.0"]


@pytest.mark.parametrize("x", [1e-7, 1.5e-5, 0.00012345, 1e15, 123456789.123456, -1e-9, 2.0, 7])
def test_encoded_numbers_never_use_exponent_notation(x):
    import json

    text = json.dumps(encode_number(x))
    assert "e" not in text.lower(), text


def test_invalid_rules_are_an_engine_error_not_a_crash():
    with pytest.raises(EngineError) as err:
        Ruleset("probe-bad", {"x": {"all": [{"m": {"$bogus": {"a": 1}}}]}})
    assert err.value.code.startswith("engine.")


def test_only_one_module_imports_durable():
    import os
    import re

    from conftest import ROOT

    importers = []
    for folder in ("engine", "schemas", "cli", "pkg"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if name.endswith(".py"):
                    text = open(os.path.join(dirpath, name)).read()
                    if re.search(r"^\s*(import|from)\s+durable", text, re.M):
                        importers.append(name)
    assert importers == ["_durable.py"]
