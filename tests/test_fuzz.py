"""Fuzzing: whatever arrives, the only outcomes are a decision or a ``PromoreadyError`` (exit 2).

Hypothesis builds hostile input three ways: valid packets mutated as data (wrong types, extreme
numbers, deep nesting, odd Unicode, objects, cycles) for the library; the same mutations written
out as JSON or YAML text (with duplicate keys, tags, anchors, plain scalars that resolve to dates or
numbers) for the readers; and raw bytes, random or spliced into a valid packet's text. What-if
changes and ladder files go through the same readers and are fuzzed too.

Every case runs in a worker process (one per test module, fed case after case, so start-up is paid
once): a case that kills the interpreter (the YAML C loader overflowing its stack was one) kills the
worker, and that is a test failure naming the signal and the input, never a skip. A case that does
not finish in ``CASE_TIMEOUT`` seconds fails the same way.

Sizes: the default keeps the module to well under a minute of CI time; ``PROMOREADY_FUZZ=long``
runs 25 times as many cases with fresh randomness (docs/reliability.md gives the figures).
"""

from __future__ import annotations

import copy
import datetime
import decimal
import json
import os
import pickle
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Any

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLE, HERE, TINY, TINY_PACKET

LONG = os.environ.get("PROMOREADY_FUZZ", "").lower() == "long"
SCALE = 25 if LONG else 1
#: Seconds one case may take in the worker before it counts as a hang (generous: CI machines are shared).
CASE_TIMEOUT = 60.0
#: The address space a worker may use (it needs about 300 MB).
WORKER_MEMORY = 2 * 1024**3

FUZZ = settings(
    deadline=None,
    derandomize=not LONG,  # CI: the same cases every run; long: new ones every run
    database=None if not LONG else settings.default.database,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)


# -- the worker process ---------------------------------------------------------------------------


class Crashed(AssertionError):
    """The worker process died or hung on a case."""


class Worker:
    """A child interpreter that evaluates cases sent to it, one at a time, until it is closed."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.errors = tempfile.TemporaryFile()
        # Where workers write case files: one folder for every worker of the run, removed at the end
        # even when a worker died on a case.
        self.scratch = tempfile.mkdtemp(prefix="promoready-fuzz-")

    def _start(self) -> subprocess.Popen:
        env = dict(os.environ, PYTHONFAULTHANDLER="1")
        return subprocess.Popen([sys.executable, __file__, "--serve", self.scratch], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=self.errors, cwd=HERE, env=env)

    def run(self, case: tuple) -> tuple:
        """The outcome of one case; raises ``Crashed`` if the worker dies or hangs on it."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        frame = pickle.dumps(case, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.proc.stdin.write(struct.pack(">I", len(frame)) + frame)
            self.proc.stdin.flush()
            size = struct.unpack(">I", self._read(4))[0]
            return pickle.loads(self._read(size))
        except (BrokenPipeError, EOFError, TimeoutError) as exc:
            proc, self.proc = self.proc, None
            if isinstance(exc, TimeoutError):
                proc.kill()
            status = proc.wait()
            how = f"hung for {CASE_TIMEOUT:g} s" if isinstance(exc, TimeoutError) else _status_words(status)
            raise Crashed(f"the worker {how} on {_describe(case)}\n{self._stderr_tail()}") from None

    def _read(self, size: int) -> bytes:
        out = b""
        deadline = time.monotonic() + CASE_TIMEOUT
        while len(out) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self.proc.stdout.fileno(), size - len(out))
            if not chunk:
                raise EOFError
            out += chunk
        return out

    def _stderr_tail(self) -> str:
        self.errors.seek(0)
        return self.errors.read()[-3000:].decode("utf-8", "replace")

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.errors.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _status_words(status: int) -> str:
    if status < 0:
        try:
            return f"crashed ({signal.Signals(-status).name})"
        except ValueError:
            return f"crashed (signal {-status})"
    return f"exited with status {status}"


def _describe(case: tuple) -> str:
    text = repr(case)
    return text if len(text) < 2000 else text[:2000] + f"… ({len(text):,} characters)"


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.close()


def check(worker: Worker, case: tuple) -> tuple:
    """Run ``case``; anything but a decision or a PromoreadyError with exit status 2 fails the test."""
    outcome = worker.run(case)
    if currently_in_test_context():  # the spread of outcomes, for --hypothesis-show-statistics
        event(outcome[0] if outcome[0] != "error" else outcome[2])
    if outcome[0] == "bug":
        pytest.fail(f"{_describe(case)}\nraised:\n{outcome[1]}")
    assert outcome[0] in ("decision", "error", "ladder"), outcome
    if outcome[0] == "error":
        assert outcome[3] == 2, f"{outcome}: exit status {outcome[3]} for bad input\n{_describe(case)}"
    return outcome


# -- inside the worker ----------------------------------------------------------------------------


def _serve(scratch: str) -> None:
    """The worker's loop: length-prefixed pickled cases on stdin, outcomes on stdout; files in ``scratch``."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever the code under test prints must not garble the replies
    inp = sys.stdin.buffer
    from promoready.engine import Evaluator, load_ladder

    evaluators = {"tiny": Evaluator(load_ladder(TINY)), "default": Evaluator(load_ladder())}
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash under test leaves no core file
        # A case that makes memory run away fails (MemoryError) instead of taking the machine's memory.
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    except (ImportError, ValueError, OSError):
        pass
    while True:
        head = inp.read(4)
        if len(head) < 4:
            return
        case = pickle.loads(inp.read(struct.unpack(">I", head)[0]))
        reply = pickle.dumps(_outcome(case, evaluators, scratch), protocol=pickle.HIGHEST_PROTOCOL)
        out.write(struct.pack(">I", len(reply)) + reply)
        out.flush()


def _outcome(case: tuple, evaluators: dict, scratch: str) -> tuple:
    from promoready.engine import PromoreadyError
    from promoready.engine._ladder import load_ladder
    from promoready.engine.whatif import what_if
    from promoready.schemas.decision import Decision

    kind, ladder, payload = case
    evaluator = evaluators.get(ladder)
    try:
        if kind == "abort":  # the harness's own check that a crash is caught
            os.abort()
        if kind == "data":
            result = evaluator.evaluate(_expand(payload))
        elif kind == "file":
            name, raw = payload
            path = os.path.join(scratch, name)
            with open(path, "wb") as fh:
                fh.write(raw)
            result = evaluator.evaluate(path)
        elif kind == "what-if":
            packet, changes = payload
            result = what_if(evaluator, packet, changes).after
        elif kind == "ladder":
            name, raw = payload
            folder = os.path.join(scratch, "ladder")
            if os.path.isdir(folder):
                for old in os.listdir(folder):
                    os.remove(os.path.join(folder, old))
            else:
                os.mkdir(folder)
            for file in os.listdir(TINY):
                with open(os.path.join(TINY, file), "rb") as src, open(os.path.join(folder, file), "wb") as dst:
                    dst.write(raw if file == name else src.read())
            load_ladder(folder)
            return ("ladder",)
        else:
            raise ValueError(f"unknown case kind {kind!r}")
        if not isinstance(result, Decision):
            raise TypeError(f"evaluate returned {type(result).__name__}")
        result.to_json().encode("utf-8")  # a decision must be writable as it is
        return ("decision", result.verdict)
    except PromoreadyError as exc:
        try:
            # An error must be printable and writable as a batch record (UTF-8, no lone surrogates).
            str(exc).encode("utf-8")
            json.dumps(exc.to_dict(), ensure_ascii=False).encode("utf-8")
        except Exception:
            return ("bug", traceback.format_exc())
        return ("error", type(exc).__name__, exc.code, exc.exit_code)
    except BaseException:  # noqa: BLE001 - every other outcome is what this harness looks for
        return ("bug", traceback.format_exc())


# -- what hostile input is made of ----------------------------------------------------------------


def _seed(path: str) -> dict:
    from promoready.engine._documents import load

    def plain(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: plain(v) for k, v in node.items()}
        if isinstance(node, list):
            return [plain(v) for v in node]
        return node.isoformat() if isinstance(node, datetime.date) else node

    return plain(load(path))


SEEDS = {"tiny": TINY_PACKET, "default": _seed(EXAMPLE)}
KNOWN_NAMES = sorted({k for seed in SEEDS.values() for k in seed} | {
    "product_years", "current_level_since", "operating_level", "rating", "size", "start", "end", "value",
    "committed", "level", "horizon_months", "direct_reports", "pm_reports"})


class Huge:
    """An integer of ``digits`` digits, written out only as text (Python will not print it)."""

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"Huge({self.digits})"


class Dup(dict):
    """A mapping written out with one of its keys twice (text only: a dict cannot hold that)."""


class Nest:
    """``value`` inside ``depth`` lists (or single-key mappings): built only where it is used, so that
    nesting thousands deep never has to be pickled (pickle recurses) or walked by the test itself."""

    __slots__ = ("value", "depth", "as_dict")

    def __init__(self, value: Any, depth: int, as_dict: bool) -> None:
        self.value, self.depth, self.as_dict = value, depth, as_dict

    def __getstate__(self):
        return (self.value, self.depth, self.as_dict)

    def __setstate__(self, state):
        self.value, self.depth, self.as_dict = state

    def __repr__(self) -> str:
        return f"Nest({self.value!r}, {self.depth}, as_dict={self.as_dict})"

    def build(self) -> Any:
        value = self.value
        for i in range(self.depth):
            value = {f"n{i % 3}": value} if self.as_dict else [value]
        return value


class Label(str):
    """A str subclass, as a caller's enum or wrapper type would be."""


def _expand(node: Any) -> Any:
    """Replace every ``Nest`` in the data by the nesting it stands for (in place; cycles are fine)."""
    if isinstance(node, Nest):
        return node.build()
    seen: set[int] = set()
    stack = [node]
    while stack:
        item = stack.pop()
        if id(item) in seen or not isinstance(item, (dict, list)):
            continue
        seen.add(id(item))
        keys = list(item) if isinstance(item, dict) else range(len(item))
        for k in keys:
            if isinstance(item[k], Nest):
                item[k] = item[k].build()
            else:
                stack.append(item[k])
    return node


surrogates = st.one_of(st.sampled_from(["\ud800", "a\udfff", "\udbff\udfff"]),
                       st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2))
unicode_text = st.one_of(
    st.sampled_from(["\u202eevil", "\u200b", "\x00", "\x7f", "\U0001F600",
                     "e\u0301", "\u0130", "\ufeff", "\u2028", "", " ", "\t", "\n", "'", '"', "\\", "senior\u00a0pm",
                     "Senior PM", "CEO", "director", "[[[[", "{{", "*a", "&a", "!!binary", "- - -",
                     "%YAML 1.1", "---", "NaN", "null", "~", "yes", "0x1F", "1_000", "1:30", ".inf"]),
    st.text(st.characters(codec=None, exclude_categories=("Cs",)), max_size=12),
    st.integers(10_000, 10_001).map(lambda n: "x" * n),  # at and just over Text's limit
    st.text(max_size=12),
)
#: Text of every kind, and about one time in eight not valid Unicode at all (lone surrogates).
odd_text = st.one_of(*[unicode_text] * 7, surrogates)
dates = st.one_of(
    st.sampled_from(["2026-02-30", "9999-12-31", "0001-01-01", "1899-12-31", "1900-01-01", "2999-12-31",
                     "3000-01-01", "2026-11-01", "2026-1-1", "20261101", "2026-11-01T00:00:00", "2026-13-01"]),
    st.dates().map(datetime.date.isoformat),
)
numbers = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**20]),
    st.sampled_from([4299, 4300]).map(lambda n: 10**n - 1),  # the longest numbers Python still prints
    st.integers(4290, 6000).map(Huge),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-7, 1e308, 5e-324, -0.0, 1e15, 1e15 + 1, 1e16, 0.1 + 0.2, float("nan"), float("-inf")]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, odd_text, dates, st.text(max_size=20))
#: What only a library caller can hand over (no file says these), checked like the rest.
objects = st.sampled_from(["object", "bytes", "bad-bytes", "bytearray", "set", "frozenset", "tuple", "decimal",
                           "complex", "date", "datetime", "int-keys", "tuple-key", "self", "str-subclass"])


def _object(name: str, inner: Any) -> Any:
    if name == "object":
        return object()
    if name == "bytes":
        return b"ok"
    if name == "bad-bytes":
        return b"\xff\xfe"
    if name == "bytearray":
        return bytearray(b"\xff")
    if name == "set":
        return {1, "a"}
    if name == "frozenset":
        return frozenset({2})
    if name == "tuple":
        return (inner, inner)
    if name == "decimal":
        return decimal.Decimal("1.5")
    if name == "complex":
        return 1j
    if name == "date":
        return datetime.date(1, 1, 1)
    if name == "datetime":
        return datetime.datetime(2026, 11, 1, 12, 0)
    if name == "int-keys":
        return {1: inner, None: 2, True: 3, 1.5: 4}
    if name == "tuple-key":
        return {(1, 2): inner}
    if name == "str-subclass":
        return Label("senior-pm")
    return inner  # "self": made into a cycle by the caller


junk = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text | st.sampled_from(
    KNOWN_NAMES), inner, max_size=4), max_leaves=10)
depths = st.one_of(st.integers(1, 70), st.sampled_from([62, 63, 64, 65, 66, 200, 1000, 5000, 100_000]))


def _paths(node: Any) -> list[tuple]:
    """Every path into the data, each container once (mutations may have made cycles)."""
    out: list[tuple] = []
    seen: set[int] = set()
    stack: list[tuple[Any, tuple]] = [(node, ())]
    while stack:
        item, prefix = stack.pop()
        out.append(prefix)
        if isinstance(item, (dict, list)) and id(item) not in seen:
            seen.add(id(item))
            pairs = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend((v, prefix + (k,)) for k, v in pairs)
    return sorted(out, key=repr)


@st.composite
def mutated(draw, *, library: bool, gentle: bool = False) -> tuple[str, Any]:
    """A seed packet with one to three mutations; ``library`` allows what only Python data can hold,
    ``gentle`` only what keeps it close to valid (so that most reach the engine)."""
    ladder = draw(st.sampled_from(sorted(SEEDS)))
    packet = copy.deepcopy(SEEDS[ladder])
    # "tweak" keeps a value's type (a number for a number, text for text): it reaches the schema's
    # bounds and the engine, where the other actions mostly stop at the reader.
    if gentle:
        actions = ["tweak"] * 6 + ["delete", "typo", "date"]
    else:
        actions = ["tweak"] * 12 + ["replace", "delete", "add", "nest", "typo", "date", "dup"] + \
            (["object", "cycle"] if library else [])
    for _ in range(draw(st.integers(1, 2 if gentle else 3))):
        paths = [p for p in _paths(packet) if p]
        path = draw(st.sampled_from(paths)) if paths else ("candidate",)
        parent: Any = packet
        for part in path[:-1]:
            parent = parent[part]
        key = path[-1]
        if not isinstance(parent, (dict, list)):
            continue
        action = draw(st.sampled_from(actions))
        value = parent[key] if isinstance(parent, dict) or key < len(parent) else None
        if action == "tweak":
            if isinstance(value, (dict, list)):
                continue
            text = unicode_text if gentle else odd_text
            same = {bool: st.booleans(), int: numbers, float: numbers, str: text | dates | st.sampled_from(
                ["senior-pm", "director", "vp", "meets", "exceeds", "growth", "ic", "management"])}
            parent[key] = draw(same.get(type(value), scalars))
        elif action == "delete" and isinstance(parent, dict):
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(odd_text | st.sampled_from(KNOWN_NAMES))] = draw(junk)
        elif action == "typo" and isinstance(parent, dict):
            name = draw(st.sampled_from(KNOWN_NAMES))
            i = draw(st.integers(0, len(name)))
            parent[name[:i] + draw(st.sampled_from(["", "x", "_", "\u0301", "-"])) + name[i + 1:]] = draw(scalars)
        elif action == "nest":
            parent[key] = Nest(draw(scalars), draw(depths), draw(st.booleans()))
        elif action == "date":
            parent[key] = draw(dates)
        elif action == "dup" and isinstance(parent, dict) and not library:
            dup = Dup(parent)
            if isinstance(path[:-1], tuple) and len(path) > 1:
                grand = packet
                for part in path[:-2]:
                    grand = grand[part]
                grand[path[-2]] = dup
            else:
                packet = Dup(packet)
        elif action == "object":
            name = draw(objects)
            parent[key] = packet if name == "self" else _object(name, parent[key])
        elif action == "cycle" and isinstance(parent, (dict, list)):
            parent[key] = parent
        else:
            parent[key] = draw(junk)
    return ladder, packet


# -- writing data out as text ---------------------------------------------------------------------


def to_json(node: Any, ascii: bool = True) -> str:
    """JSON text of fuzzed data: huge numbers as digits, NaN as json writes it, duplicate keys kept.

    ``ascii=False`` keeps characters outside ASCII as they are (for YAML, which has no escape for
    the halves of a surrogate pair)."""
    if isinstance(node, Huge):
        return "9" * node.digits
    if isinstance(node, Nest):
        inner = to_json(node.value, ascii)
        if node.as_dict:
            return '{"n": ' * node.depth + inner + "}" * node.depth
        return "[" * node.depth + inner + "]" * node.depth
    if isinstance(node, dict):
        items = [(k, v) for k, v in node.items()]
        if isinstance(node, Dup) and items:
            items.append(items[0])
        return "{" + ", ".join(json.dumps(str(k), ensure_ascii=ascii) + ": " + to_json(v, ascii) for k, v in items) + "}"
    if isinstance(node, (list, tuple)):
        return "[" + ", ".join(to_json(v, ascii) for v in node) + "]"
    if isinstance(node, (str, int, float, bool)) or node is None:
        return json.dumps(node, ensure_ascii=ascii)
    return "null"


PLAIN = ["2026-11-01", "2026-02-30", "9999-12-31", "yes", "no", "on", "~", "0x1F", "0o17", "1_000", "1:30:00",
         ".nan", "-.inf", "1e5", "1.5e3", "12345678901234567890", "9_999", "director", "Senior PM", "true",
         "0x" + "f" * 4000, "1_" * 2500 + "1"]
TAGGED = ["!!binary /w==", "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1, b: 2]", "!!pairs [a: 1]",
          "!!int \"abc\"", "!!float \"\"", "!!bool \"maybe\"", "!!timestamp \"x\"", "!!str 12", "!custom x",
          "!!python/object/apply:os.system [\"true\"]", "&a 1", "*a", "[&b x, *b]", "!!null \"\"", "!!map []",
          "{? [a, b] : c}", "!!seq {}", "[a, !!binary x]"]


@st.composite
def to_yaml(draw, node: Any, indent: int = 0) -> str:
    """YAML text of fuzzed data: block or flow by chance, plain or quoted scalars, tags and anchors.

    A block collection's text starts with a line break (it goes under its key or dash); anything
    else goes on the same line."""
    pad = " " * indent
    if isinstance(node, Huge):
        return "9" * node.digits
    if isinstance(node, Nest) and draw(st.booleans()):
        # Block style: each level one more "- " (a sequence) or two more spaces (a mapping).
        if node.as_dict:
            return "".join(f"\n{' ' * (indent + 2 * i)}n:" for i in range(min(node.depth, 300))) + " 1"
        return f"\n{pad}" + "- " * node.depth + to_json(node.value, False)
    if isinstance(node, dict) and node and draw(st.booleans()):
        items = list(node.items()) + ([next(iter(node.items()))] if isinstance(node, Dup) else [])
        lines = []
        for k, v in items:
            value = draw(to_yaml(v, indent + 2))
            lines.append(f"\n{pad}{_quoted(str(k))}:" + (value if value.startswith("\n") else f" {value}"))
        return "".join(lines)
    if isinstance(node, list) and node and draw(st.booleans()):
        lines = []
        for v in node:
            value = draw(to_yaml(v, indent + 2))
            lines.append(f"\n{pad}-" + (value if value.startswith("\n") else f" {value}"))
        return "".join(lines)
    if isinstance(node, str) and draw(st.integers(0, 6)):
        return _quoted(node)
    if not isinstance(node, str):
        return to_json(node, False) if draw(st.integers(0, 30)) else draw(st.sampled_from(TAGGED))
    return draw(st.sampled_from(PLAIN))


def _quoted(text: str) -> str:
    # A YAML double-quoted scalar: JSON's escapes, but characters outside ASCII as they are (YAML
    # has no surrogate-pair escapes; a lone surrogate then makes the file unencodable, as intended).
    return json.dumps(text, ensure_ascii=False)


@st.composite
def packet_texts(draw) -> tuple[str, tuple[str, bytes]]:
    """A mutated packet written as JSON or YAML, encoded (usually) as UTF-8."""
    ladder, packet = draw(mutated(library=False))
    if draw(st.booleans()):
        name, text = "p.json", to_json(packet)
    else:
        name, text = "p.yaml", draw(to_yaml(packet)).lstrip("\n")
    encoding = draw(st.sampled_from(["utf-8"] * 12 + ["utf-8-sig", "utf-16", "surrogatepass"]))
    raw = text.encode("utf-8", "surrogatepass") if encoding == "surrogatepass" else \
        text.encode(encoding, "surrogatepass" if encoding.startswith("utf-8") else "replace")
    return ladder, (name, raw)


class Repeat(bytes):
    """``unit`` repeated ``times`` times, with a short repr (so failures and statistics stay readable)."""

    def __new__(cls, unit: bytes, times: int):
        obj = super().__new__(cls, unit * times)
        obj.label = f"{unit!r}*{times}"
        return obj

    def __repr__(self) -> str:
        return self.label


class Bracket(bytes):
    """``n`` levels of ``open_`` … ``close`` around a 1, with a short repr."""

    def __new__(cls, open_: bytes, close: bytes, n: int):
        obj = super().__new__(cls, open_ * n + b"1" + close * n)
        obj.label = f"{open_!r}*{n}…{close!r}*{n}"
        return obj

    def __repr__(self) -> str:
        return self.label


SPLICES = [b"[", b"]", b"{", b"}", Repeat(b"[", 70), Repeat(b"[", 30_000), Repeat(b'{"a": ', 70), Repeat(b"- ", 70),
           Repeat(b"- ", 20_000), b"\n" + Repeat(b" ", 200) + b"a:", b'"\\ud800"', b'"', b"\\", b"*a", b"&a ",
           b"!!binary /w==", b"!!set {a}", b"!!python/object/apply:os.system [x]", b"NaN", b"Infinity", b"1e999",
           Repeat(b"9", 5000), b"\x00", b"\xff", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\t", b"\r", b"---\n", b"...\n",
           b"? ", b": ", b", ", b"%YAML 1.1\n", b"2026-02-30", b"9999-12-31", b"<<: {a: 1}\n", Repeat(b"x", 10_001)]


#: Well-formed nesting of every kind and of depths around the limit and far past it, for splicing.
BOMBS = [Bracket(open_, close, n) for open_, close in ((b"[", b"]"), (b"{a: ", b"}"), (b'{"a": ', b"}"))
         for n in (63, 64, 65, 3_000, 30_000)] + [Repeat(b"\n  - ", 1) + Repeat(b"- ", n) + b"x\n" for n in (65, 30_000)]


@st.composite
def spliced(draw) -> tuple[str, tuple[str, bytes]]:
    """A valid packet's text with bytes inserted, deleted, replaced or cut off."""
    ladder = draw(st.sampled_from(sorted(SEEDS)))
    name = draw(st.sampled_from(["p.json", "p.yaml"]))
    if name == "p.json":
        raw = json.dumps(SEEDS[ladder], indent=draw(st.sampled_from([None, 1]))).encode()
    else:
        raw = open(EXAMPLE, "rb").read() if ladder == "default" else to_json(SEEDS[ladder]).encode()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(raw)))
        op = draw(st.sampled_from(["insert", "insert", "delete", "replace", "cut", "bomb"]))
        if op == "bomb":
            # Balanced nesting where a value goes (after a key's colon), so the document stays well formed.
            colons = [i + 1 for i in range(len(raw)) if raw[i:i + 2] in (b": ", b":\n")]
            at = draw(st.sampled_from(colons)) if colons else at
            raw = raw[:at] + b" " + draw(st.sampled_from(BOMBS)) + raw[at:]
        elif op == "insert":
            raw = raw[:at] + draw(st.sampled_from(SPLICES) | st.text(min_size=1, max_size=8).map(str.encode) |
                                  st.binary(min_size=1, max_size=8)) + raw[at:]
        elif op == "delete":
            raw = raw[:at] + raw[at + draw(st.integers(1, 40)):]
        elif op == "replace" and at < len(raw):
            raw = raw[:at] + bytes([draw(st.integers(0, 127) | st.integers(0, 255))]) + raw[at + 1:]
        elif op == "cut":
            raw = raw[:at]
    return ladder, (name, raw)


# -- the tests ------------------------------------------------------------------------------------


@settings(FUZZ, max_examples=500 * SCALE)
@given(mutated(library=True))
def test_library_data(worker, case):
    """Python data handed to ``Evaluator.evaluate``: objects, bytes, cycles, deep nesting, odd text."""
    ladder, packet = case
    check(worker, ("data", ladder, packet))


@settings(FUZZ, max_examples=400 * SCALE)
@given(mutated(library=False, gentle=True), st.sampled_from(["data", "p.json", "p.yaml"]))
def test_near_valid_packets(worker, case, form):
    """Packets one or two edits from valid (extreme numbers, odd text, dates at and past the limits):
    most reach the engine, as data or as a file."""
    ladder, packet = case
    if form == "data":
        check(worker, ("data", ladder, packet))
    else:
        text = to_json(packet) if form == "p.json" else to_json(packet, False)
        check(worker, ("file", ladder, (form, text.encode("utf-8", "surrogatepass"))))


@settings(FUZZ, max_examples=500 * SCALE)
@given(packet_texts())
def test_packet_text(worker, case):
    """Mutated packets written as JSON or YAML text, read from a file."""
    ladder, payload = case
    check(worker, ("file", ladder, payload))


@settings(FUZZ, max_examples=500 * SCALE)
@given(spliced())
def test_spliced_bytes(worker, case):
    """A valid packet file with hostile bytes spliced in (bracket bombs, bad UTF-8, tags, huge numbers)."""
    ladder, payload = case
    check(worker, ("file", ladder, payload))


@settings(FUZZ, max_examples=300 * SCALE)
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode),
       st.sampled_from(["p.json", "p.yaml", "p.yml", "p.txt"]))
def test_random_bytes(worker, raw, name):
    """Random bytes under a JSON or a YAML name."""
    check(worker, ("file", "tiny", (name, raw)))


GOOD_PATHS = ["experience.product_years", "reviews[0].rating", "reviews[1].end", "reviews", "advocates",
              "advocates[0].level", "organization.size", "influence.cross_functional_partners", "scope.ambiguity",
              "competencies.strategy", "signals.documents_impact", "x", "x.y", "notes"]
WILD_PATHS = ["reviews[9].end", "x.y[0]", "candidate", " ", "a+b", "[0]", "scope.ambiguity.x", "é", "a" * 300,
              "reviews.rating", "experience..product_years", "x[99999999999999999999]"]
WILD_VALUES = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["NaN", '{"a": 1, "a": 2}', '"\\ud800"', "null", "[]", "1e999", "-0", "[" * 5 + "]" * 4]),
    st.sampled_from([60, 70, 3000]).map(lambda n: "[" * n + "]" * n),
    st.just(5000).map(lambda n: "9" * n),
    st.just(30_000).map(lambda n: " " * n),
)
change_texts = st.one_of(
    # Mostly changes that apply, so that the changed packet reaches the engine; then anything at all.
    st.builds(lambda path, op, value: f"{path}{op}{value}", st.sampled_from(GOOD_PATHS), st.sampled_from(["=", "+="]),
              st.builds(to_json, scalars) | st.sampled_from(['"meets"', '"vp"', "3", "4.5", "true", "null",
                                                            '{"level": "vp", "committed": true}'])),
    st.builds(lambda path, op, value: f"{path}{op}{value}", st.sampled_from(GOOD_PATHS), st.sampled_from(["=", "+="]),
              st.builds(to_json, junk)),
    st.builds(lambda path, op, value: f"{path}{op}{value}", st.sampled_from(GOOD_PATHS + WILD_PATHS),
              st.sampled_from(["=", "+=", " = ", "==", "+", "=+"]), WILD_VALUES),
    st.text(max_size=40),
    st.just(30_000).map(lambda n: " " * n),
)


@settings(FUZZ, max_examples=250 * SCALE)
@given(st.lists(change_texts, min_size=1, max_size=3))
def test_what_if_changes(worker, changes):
    """``--set`` changes: paths, operators and values of every kind, through parsing and evaluation."""
    check(worker, ("what-if", "tiny", (copy.deepcopy(TINY_PACKET), changes)))


@settings(FUZZ, max_examples=120 * SCALE)
@given(st.data())
def test_ladder_files(worker, data):
    """A file of the tiny ladder with hostile bytes spliced in: loading refuses it or accepts it, nothing else."""
    name = data.draw(st.sampled_from(sorted(os.listdir(TINY))))
    raw = open(os.path.join(TINY, name), "rb").read()
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(raw)))
        raw = raw[:at] + data.draw(st.sampled_from(SPLICES) | st.text(min_size=1, max_size=6).map(str.encode) |
                                   st.binary(min_size=1, max_size=6)) + raw[at:]
    outcome = check(worker, ("ladder", None, (name, raw)))
    assert outcome[0] in ("ladder", "error")


def test_a_crash_in_the_worker_is_a_failure(worker):
    """The harness itself: an interpreter that dies on a case fails the test, naming the signal."""
    with pytest.raises(Crashed, match="SIGABRT"):
        worker.run(("abort", None, None))
    assert check(worker, ("data", "tiny", copy.deepcopy(TINY_PACKET)))[0] == "decision"  # a new worker took over


if __name__ == "__main__" and sys.argv[1:2] == ["--serve"]:
    _serve(sys.argv[2])
