"""The error catalogue (engine/errors.py): every code the code can raise is in it, once, in one style,
with an exit status, an HTTP status and a meaning; docs/errors.md is the catalogue, word for word.

The source scan reads engine/, cli/, schemas/, pkg/ and service/ with ``ast``: the ``code=`` of every call, the
``default_code`` of every error class, and every string that looks like a code. A code is written as
its constant, never as a literal.
"""

from __future__ import annotations

import ast
import copy
import datetime
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

import promoready.engine
from promoready.engine import _durable, _ladder, errors
from promoready.engine._fields import item_fields, packet_fields
from promoready.engine.whatif import parse_change
from promoready.schemas.packet import LIST_ITEMS

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("engine", "cli", "schemas", "pkg", "service", "store", "report")
#: A string that reads like a code (file names such as ``ladder.yaml`` are not codes).
CODE_LIKE = re.compile(r"^(input|packet|ladder|usage|service|engine|system)\.[A-Za-z0-9_-]+$")
NOT_A_CODE = re.compile(r"\.(ya?ml|jsonl?|py|md)$")
#: Error classes by name, and helpers that build one (``code=`` goes to that class).
CLASSES: dict[str, type[errors.PromoreadyError]] = {
    cls.__name__: cls
    for cls in vars(errors).values()
    if inspect.isclass(cls) and issubclass(cls, errors.PromoreadyError)
}
HELPERS = {"packet_error": errors.PacketError, "problem": errors.LadderError}
MAPPERS = {"packet_code", "engine_code"}


def constants() -> dict[str, str]:
    """The code constants of errors.py: NAME → code."""
    return {name: value for name, value in vars(errors).items()
            if name.isupper() and isinstance(value, str) and value in errors.CATALOGUE}


# -- reading the source ---------------------------------------------------------------------------


def source_files() -> list[Path]:
    files = sorted(p for d in SOURCE_DIRS for p in (ROOT / d).rglob("*.py"))
    assert len(files) > 20, f"found only {len(files)} source files under {ROOT}"
    return files


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def parsed() -> Iterator[tuple[str, ast.AST]]:
    for path in source_files():
        yield rel(path), ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def resolve(node: ast.expr) -> Iterator[tuple[str, Optional[str], ast.expr]]:
    """What a ``code=`` value is: ("literal" | "constant" | "mapped" | "built" | "passed", code or None)."""
    if isinstance(node, ast.IfExp):
        yield from resolve(node.body)
        yield from resolve(node.orelse)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield "literal", node.value, node
    elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "errors":
        if node.attr.isupper():
            yield "constant", constants().get(node.attr), node
        else:
            yield "passed", None, node
    elif isinstance(node, ast.Name) and node.id.isupper():
        yield "constant", constants().get(node.id), node
    elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MAPPERS
          and isinstance(node.func.value, ast.Name) and node.func.value.id == "errors"):
        yield "mapped", None, node
    elif isinstance(node, (ast.JoinedStr, ast.BinOp)):
        yield "built", None, node
    else:  # a variable or a field handed on (``code=code``, ``code=first.code``): its source is scanned
        yield "passed", None, node


def called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def code_arguments() -> Iterator[tuple[str, int, str, str, Optional[str]]]:
    """Every ``code=`` in the source: (file, line, called name, kind, code)."""
    for name, tree in parsed():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "code":
                        for kind, code, where in resolve(kw.value):
                            yield name, where.lineno, called(node), kind, code


def test_the_scan_sees_the_codes_raised():
    found = list(code_arguments())
    assert len(found) > 60
    seen = {code for *_, code in found if code}
    for code in (errors.PACKET_UNKNOWN_LEVEL, errors.LADDER_UNREACHABLE, errors.INPUT_YAML_ALIAS, errors.USAGE_SET,
                 errors.ENGINE_VERDICT, errors.ENGINE_BATCH):
        assert code in seen


def test_every_code_argument_is_catalogued():
    bad = []
    for name, line, func, kind, code in code_arguments():
        where = f"{name}:{line}: code= of {func}()"
        if kind == "built":
            bad.append(f"{where} builds a code at run time: map it to a catalogue constant instead")
        elif kind == "constant" and code is None:
            bad.append(f"{where} names a constant that is not in the catalogue")
        elif kind == "literal" and code not in errors.CATALOGUE:
            bad.append(f"{where} {code!r} is not in the catalogue (engine/errors.py)")
        elif kind == "literal":
            bad.append(f"{where} writes {code!r}: use errors.{code_name(code)}")
    assert not bad, "\n".join(bad)


def test_every_string_that_looks_like_a_code_is_catalogued():
    # Codes handed on positionally (``error_dict("engine.timeout", …)``) or through a variable.
    bad = []
    for name, tree in parsed():
        if name in ("engine/errors.py", "engine/_codes.py"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if not CODE_LIKE.match(text) or NOT_A_CODE.search(text):
                    continue
                if text not in errors.CATALOGUE:
                    bad.append(f"{name}:{node.lineno}: {text!r} is not in the catalogue")
                else:
                    bad.append(f"{name}:{node.lineno}: {text!r}: use errors.{code_name(text)}")
            elif isinstance(node, ast.JoinedStr) and node.values:
                first = node.values[0]
                if isinstance(first, ast.Constant) and re.match(r"^(input|packet|ladder|usage|engine)\.", first.value):
                    bad.append(f"{name}:{node.lineno}: a code built at run time: map it to a catalogue constant")
    assert not bad, "\n".join(bad)


def test_every_errors_constant_named_in_the_source_exists():
    bad = [f"{name}:{node.lineno}: errors.{node.attr}"
           for name, tree in parsed() for node in ast.walk(tree)
           if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "errors"
           and node.attr.isupper() and not hasattr(errors, node.attr)]
    assert not bad


def test_each_raise_uses_a_code_of_its_class():
    # The exit status comes from the class (exit_code); the catalogue must say the same, and a
    # class's codes are of its own area (a usage error is a UsageError, not a bare PromoreadyError).
    bad = []
    for name, line, func, kind, code in code_arguments():
        cls = CLASSES.get(func) or HELPERS.get(func)
        if cls is None or code is None or code not in errors.CATALOGUE:
            continue
        entry = errors.CATALOGUE[code]
        where = f"{name}:{line}: {func}(code={code!r})"
        if entry.exit_status != cls.exit_code:
            bad.append(f"{where}: the class exits {cls.exit_code}, the catalogue says {entry.exit_status}")
        if cls is errors.PromoreadyError:
            if entry.area == "usage":
                bad.append(f"{where}: raise a UsageError")
        elif entry.area != errors.CATALOGUE[cls.default_code].area:
            bad.append(f"{where}: a {cls.__name__} with a code of another area")
    assert not bad, "\n".join(bad)


def test_every_default_code_is_catalogued():
    assigned = []
    for name, tree in parsed():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "default_code"
                                                            for t in stmt.targets):
                        assigned += [(f"{name}:{stmt.lineno}", kind, code) for kind, code, _ in resolve(stmt.value)]
    assert len(assigned) >= 6
    assert all(kind in ("literal", "constant") and code in errors.CATALOGUE for _, kind, code in assigned), assigned
    for cls in CLASSES.values():
        entry = errors.CATALOGUE[cls.default_code]
        assert entry.exit_status == cls.exit_code, cls
        assert cls is errors.PromoreadyError or entry.code.endswith((".invalid", ".internal", ".io")), cls


def test_pydantic_custom_error_types_of_the_packet_are_mapped():
    types = []
    for path in (ROOT / "schemas" / "packet.py", ROOT / "schemas" / "_types.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and called(node) == "PydanticCustomError":
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path.name}:{node.lineno}: the error type is not a literal"
                types.append(first.value)
    assert {"date_format", "date_value", "end_before_start", "more_than_direct_reports"} <= set(types)
    assert set(types) <= set(errors.PYDANTIC_PACKET_CODES), set(types) - set(errors.PYDANTIC_PACKET_CODES)


# -- the catalogue itself -------------------------------------------------------------------------


def code_name(code: str) -> str:
    return re.sub(r"[.-]", "_", code).upper()


def test_every_entry_is_complete_and_in_one_style():
    assert len(errors.CATALOGUE) > 60
    for code, entry in errors.CATALOGUE.items():
        assert entry.code == code
        assert errors.CODE_PATTERN.match(code), code
        assert re.match(r"^[a-z]+\.[a-z0-9]+(-[a-z0-9]+)*$", code), code  # no underscores, no capitals
        assert entry.area in ("input", "packet", "ladder", "usage", "service", "engine", "system"), code
        assert entry.exit_status in (2, 3, 4), code
        assert (entry.exit_status == 3) == (entry.area == "engine"), code  # only the engine's faults are internal
        assert (entry.exit_status == 4) == (entry.area == "system"), code  # the system refused a resource
        assert 400 <= entry.http_status <= 599, code
        # A 5xx is our fault or the system's, a 4xx the caller's; a request over the service's time limit,
        # or one refused while the service is busy, is neither.
        assert (entry.http_status >= 500) == (entry.area in ("engine", "system")
                                          or code in (errors.SERVICE_TIMEOUT, errors.SERVICE_BUSY)), code
        assert entry.meaning.strip() and "\n" not in entry.meaning and entry.meaning == entry.meaning.strip(), code


def test_each_code_has_one_constant_named_after_it():
    names = constants()
    assert sorted(names.values()) == sorted(errors.CATALOGUE), "a code without a constant, or two constants"
    assert len(set(names.values())) == len(names)
    for name, code in names.items():
        assert name == code_name(code), (name, code)


def test_registering_a_code_twice_or_in_another_style_is_refused():
    with pytest.raises(ValueError, match="twice"):
        errors._code(errors.PACKET_SHAPE, "again")
    for wrong in ("packet.end_before_start", "Packet.shape", "packet", "packet.", "packet.-x", "packet.a--b"):
        with pytest.raises(ValueError, match="kebab-case"):
            errors._code(wrong, "wrong style")
    with pytest.raises(KeyError):
        errors._code("nowhere.thing", "no such area")
    assert errors.PACKET_SHAPE in errors.CATALOGUE and "nowhere.thing" not in errors.CATALOGUE


def test_the_catalogue_is_read_only():
    with pytest.raises(TypeError):
        errors.CATALOGUE["packet.new"] = errors.CATALOGUE[errors.PACKET_SHAPE]  # type: ignore[index]
    with pytest.raises(AttributeError):
        errors.CATALOGUE[errors.PACKET_SHAPE].http_status = 200  # type: ignore[misc]


def test_http_statuses_follow_one_rule():
    by_code = {code: e.http_status for code, e in errors.CATALOGUE.items()}
    assert by_code[errors.USAGE_DATE] == 400
    assert by_code[errors.INPUT_JSON] == 400
    assert by_code[errors.INPUT_TOO_LARGE] == 413
    assert by_code[errors.INPUT_ENCODING] == 415
    assert by_code[errors.PACKET_UNKNOWN_LEVEL] == 422
    assert by_code[errors.LADDER_UNREACHABLE] == 422
    assert by_code[errors.LADDER_NOT_FOUND] == 404
    assert by_code[errors.ENGINE_VERDICT] == 500
    # Every invalid packet is a 422, whatever pydantic called the mistake.
    assert {by_code[c] for c in errors.CATALOGUE if c.startswith("packet.")} == {422}


# -- codes chosen at run time ---------------------------------------------------------------------


def test_every_pydantic_mapping_target_is_catalogued():
    assert errors.PYDANTIC_PACKET_CODES
    for kind, code in errors.PYDANTIC_PACKET_CODES.items():
        assert code in errors.CATALOGUE and code.startswith("packet."), kind
        assert errors.packet_code(kind) == code
    assert errors.packet_code("some_type_pydantic_adds_later") == errors.PACKET_INVALID
    assert errors.PACKET_INVALID in errors.CATALOGUE


def test_every_durable_code_is_mapped_and_catalogued():
    assert set(errors.DURABLE_CODES) == set(_durable.ENGINE_CODES)
    for number, code in errors.DURABLE_CODES.items():
        assert code == f"engine.{number}" and code in errors.CATALOGUE
        assert errors.engine_code(number) == code
    assert errors.engine_code(None) == errors.ENGINE_UNKNOWN
    assert errors.engine_code(999) == errors.ENGINE_UNLISTED_CODE
    assert {errors.ENGINE_UNKNOWN, errors.ENGINE_UNLISTED_CODE} <= set(errors.CATALOGUE)


def _wrong_values() -> list[Any]:
    return [None, "x", "", "a" * 20_001, 1.5, 1, -1, 0, 10**9, 2**70, float("nan"), float("inf"), True, [], {},
            ["x"], [{}], datetime.datetime(2026, 1, 1), datetime.date(2026, 1, 1), "2026-13-01", "2026/01/01"]


def _packets_with_one_wrong_value() -> Iterator[tuple[str, dict]]:
    base = {"candidate": {"id": "c-1"}, "current_level": "pm"}
    review = {"start": "2026-01-01", "end": "2026-02-01"}
    for path in packet_fields():
        for value in _wrong_values():
            packet = copy.deepcopy(base)
            *parents, leaf = path.split(".")
            section = packet
            for part in parents:
                section = section.setdefault(part, {})
            section[leaf] = value
            yield path, packet
    for list_path in LIST_ITEMS:
        for value in _wrong_values():
            yield f"{list_path}[0]", {**base, list_path: [value]}
            for field in item_fields(list_path):
                yield f"{list_path}[0].{field}", {**base, list_path: [{**review, field: value}]}
    for value in _wrong_values():
        yield "(the packet)", {"candidate": value, "current_level": value}


def test_every_wrong_packet_value_gets_a_specific_catalogued_code():
    # Any mistake in any field: a code of its own, never the generic fallback, never a new string.
    seen = set()
    for where, packet in _packets_with_one_wrong_value():
        try:
            promoready.engine.load_packet(packet)
        except errors.PacketError as exc:
            assert exc.code in errors.CATALOGUE and exc.code != errors.PACKET_INVALID, (where, exc)
            seen.add(exc.code)
    assert {errors.PACKET_FLOAT_TYPE, errors.PACKET_INT_TYPE, errors.PACKET_LITERAL_ERROR, errors.PACKET_DATE_FORMAT,
            errors.PACKET_MODEL_TYPE, errors.PACKET_STRING_TOO_LONG, errors.PACKET_MISSING} <= seen


def test_a_mapped_pydantic_error_keeps_its_message_and_path():
    with pytest.raises(errors.PacketError) as err:
        promoready.engine.load_packet({"candidate": {"id": "c"}, "current_level": "pm",
                                       "reviews": [{"start": "2026-03-01", "end": "2026-02-01"}]})
    assert err.value.code == errors.PACKET_END_BEFORE_START == "packet.end-before-start"
    assert err.value.path == "reviews[0].end"
    assert str(err.value) == "reviews[0].end: end 2026-02-01 is before start 2026-03-01 [packet.end-before-start]"


# -- the exceptions -------------------------------------------------------------------------------


def test_an_error_finds_its_catalogue_entry():
    assert errors.PacketError("x", code=errors.PACKET_SHAPE).entry is errors.CATALOGUE[errors.PACKET_SHAPE]
    assert errors.LadderError("x", code=errors.LADDER_NOT_FOUND).entry.http_status == 404
    assert errors.EngineError("x").code == errors.ENGINE_INTERNAL
    assert errors.EngineError("x").entry.exit_status == 3
    # A code someone made up outside the catalogue reports as its class's generic entry.
    assert errors.UsageError("x", code="usage.made-up").entry is errors.CATALOGUE[errors.USAGE_INVALID]
    assert errors.PromoreadyError("x").entry.exit_status == 2


def test_usage_errors_are_usage_errors():
    with pytest.raises(errors.UsageError) as err:
        parse_change("no equals sign")
    assert err.value.code == errors.USAGE_SET and err.value.exit_code == 2 and err.value.path == "--set"


def test_ladder_invalid_lives_in_errors_and_keeps_its_old_names():
    assert promoready.engine.LadderInvalid is errors.LadderInvalid is _ladder.LadderInvalid
    assert issubclass(errors.LadderInvalid, errors.LadderError)
    problems: list[errors.PromoreadyError] = [
        errors.LadderError("first", code=errors.LADDER_UNREACHABLE, file="ladder.yaml", line=3),
        errors.LadderError("second", code=errors.LADDER_TRACK, file="t.yaml"),
    ]
    invalid = errors.LadderInvalid(problems)
    assert invalid.code == errors.LADDER_UNREACHABLE and invalid.line == 3
    assert str(invalid) == ("2 problems in the ladder:\n  ladder.yaml:3: first [ladder.unreachable]\n"
                            "  t.yaml: second [ladder.track]")


# -- docs/errors.md -------------------------------------------------------------------------------


def test_docs_errors_md_is_the_catalogue():
    committed = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert committed == errors.markdown(), (
        "docs/errors.md differs from the catalogue: run "
        "`.venv/bin/python -m promoready.engine.errors --markdown > docs/errors.md`")


def test_the_document_lists_every_code_once_with_its_statuses():
    text = errors.markdown()
    for code, entry in errors.CATALOGUE.items():
        rows = [row for row in text.splitlines() if row.startswith(f"| `{code}` |")]
        assert rows == [f"| `{code}` | {entry.exit_status} | {entry.http_status} | "
                        f"{entry.meaning.replace('|', chr(92) + '|')} |"], code


def test_the_module_prints_the_document():
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, "-m", "promoready.engine.errors", "--markdown"], capture_output=True,
                          env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8") == errors.markdown()
    done = subprocess.run([sys.executable, "-m", "promoready.engine.errors"], capture_output=True, timeout=60)
    assert done.returncode == 2 and b"--markdown" in done.stderr


def test_a_name_cut_short_or_written_out_is_near():
    """`org` for `organisation` (and the reverse) is too unlike by ratio, yet plainly meant."""
    assert errors.nearest("organisation", ["feature", "product", "org", "company"]) == ["org"]
    assert errors.nearest("org", ["feature", "product", "organisation"]) == ["organisation"]
    assert errors.nearest("ab", ["abacus"]) == []  # under three letters: no guess
    assert errors.nearest("prodct", ["product", "productivity"]) == ["product"]  # a typo still ranks by ratio
