"""The public surface is explicit: every name in __all__ exists and is documented."""

from __future__ import annotations

import importlib
import inspect

import pytest

import promoready.engine
import promoready.schemas
from fixture_files import imported_after

MODULES = [promoready.engine, promoready.schemas]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_all_names_exist_and_are_documented(module):
    for name in module.__all__:
        member = getattr(module, name)
        if inspect.isclass(member) or inspect.isfunction(member):
            assert inspect.getdoc(member), f"{module.__name__}.{name} has no docstring"


def test_engine_surface():
    assert set(promoready.engine.__all__) == {
        "Evaluator", "load_ladder", "load_packet", "LoadedPacket", "describe_ladder", "bundled_ladders",
        "ladder_digest", "normalise", "DEFAULT_LADDER", "PromoreadyError", "InputError", "PacketError",
        "LadderError", "LadderInvalid", "PacketInvalid", "UsageError", "EngineError",
        "MAX_BYTES", "STDIN_NAME", "read_text", "decode", "parse_json", "parse_yaml", "parse", "check_depth", "line_of", "Source",
        "to_packet", "packet_schema", "read_json",
    }


def test_engine_exports_load_on_first_use():
    # Every public name maps to the module that defines it; importing a light submodule stays light.
    assert set(promoready.engine._EXPORTS) == set(promoready.engine.__all__)
    for name, module in promoready.engine._EXPORTS.items():
        member = getattr(promoready.engine, name)
        assert member is getattr(importlib.import_module("promoready.engine" + module), name)
        if inspect.isclass(member) or inspect.isfunction(member):  # defined there, not re-exported from elsewhere
            assert member.__module__ == "promoready.engine" + module
    with pytest.raises(AttributeError, match="no attribute 'Evaluater'"):
        promoready.engine.Evaluater  # noqa: B018
    assert imported_after("import promoready.engine.errors, promoready.engine.batch, promoready.cli",
                          ("pydantic", "promoready.engine.evaluator", "durable_rules_engine")) == []


def test_one_exception_family():
    for name in ("InputError", "PacketError", "LadderError", "LadderInvalid", "PacketInvalid", "UsageError",
                 "EngineError"):
        assert issubclass(getattr(promoready.engine, name), promoready.engine.PromoreadyError)
    assert not issubclass(promoready.engine.PromoreadyError, (ValueError, SyntaxError))


def test_a_library_caller_catches_every_problem_of_a_packet_by_its_public_name():
    # A packet with two problems raises PacketInvalid, importable from promoready.engine, and a
    # PacketError too (code that catches one error keeps working).
    from conftest import TINY, TINY_PACKET, evaluator

    bad = {**TINY_PACKET, "current_level": "junoir", "scope": {"ambiguity": "huge"}}
    with pytest.raises(promoready.engine.PacketInvalid) as caught:
        evaluator(TINY).evaluate(bad)
    assert isinstance(caught.value, promoready.engine.PacketError)
    assert {p.path for p in caught.value.problems} == {"current_level", "scope.ambiguity"}


def test_public_modules_are_not_private():
    # Private modules start with an underscore; the public API is re-exported from the package.
    for name in promoready.engine.__all__:
        assert not name.startswith("_")
