"""One exception family for everything promoready refuses or fails at, and the catalogue of its codes.

Each error is data (after OPA's ``ast.Error`` and rule-engine's ``SymbolResolutionError``): a stable
``code``, the ``file``, the ``line`` where known, the field ``path`` (``reviews[1].end``) or rule id,
a ``message`` and, for an unknown name, a ``suggestion``. ``str(error)`` is the one line a person reads.
The command line turns ``exit_code`` into the process exit status; nothing else does.

Every code is a constant (``PACKET_UNKNOWN_LEVEL = "packet.unknown-level"``), named after its text,
defined in the private ``_codes`` and re-exported here, and registered in ``CATALOGUE`` with the exit
status a command ends with when the error ends it, the HTTP status a service answers with, and a
one-line meaning. A code stays a plain string, so it is
what JSON records and messages carry. ``docs/errors.md`` is generated from the catalogue
(``python -m promoready.engine.errors --markdown``) and a test keeps the two equal.
"""

from __future__ import annotations

import difflib
import sys
from typing import Any, Iterable, Optional, Sequence

# The catalogue's data (ErrorCode, CATALOGUE, every code constant, the pydantic and durable-rules maps)
# is kept in a private module of its own so that this one stays readable; this module re-exports all
# of it and is the one place to import any of it from.
from promoready.engine._codes import *  # noqa: F401,F403  (re-exported: errors is the public place)
from promoready.engine._codes import _AREAS, _code  # noqa: F401  (markdown(); tests register through _code)
from promoready.engine._codes import (CATALOGUE, DURABLE_CODES, ENGINE_UNKNOWN, ENGINE_UNLISTED_CODE,
                                      ENGINE_INTERNAL, INPUT_INVALID, LADDER_INVALID, PACKET_INVALID,
                                      PYDANTIC_PACKET_CODES, SERVICE_INVALID, SYSTEM_DISK_FULL,
                                      SYSTEM_FILE_SIZE_LIMIT, SYSTEM_IO, USAGE_INVALID, ErrorCode)


def packet_code(pydantic_type: str) -> str:
    """The packet code for one of pydantic's error types (``PACKET_INVALID`` for a type not mapped)."""
    return PYDANTIC_PACKET_CODES.get(pydantic_type, PACKET_INVALID)


def engine_code(durable_code: Optional[int]) -> str:
    """The engine code for a durable-rules error code (None: the engine's message had no code)."""
    if durable_code is None:
        return ENGINE_UNKNOWN
    return DURABLE_CODES.get(durable_code, ENGINE_UNLISTED_CODE)


# -- the exceptions -------------------------------------------------------------------------------


class PromoreadyError(Exception):
    """Base of every error promoready raises on purpose. ``exit_code`` 2 is bad input."""

    exit_code = 2
    default_code = INPUT_INVALID

    def __init__(
        self,
        message: str,
        *,
        code: Optional[str] = None,
        file: Optional[str] = None,
        line: Optional[int] = None,
        path: Optional[str] = None,
        suggestion: Optional[str] = None,
    ) -> None:
        self.message = message
        self.code = code or self.default_code
        self.file = file
        self.line = line
        self.path = path
        self.suggestion = suggestion
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        parts = [p for p in (where, self.path) if p]
        head = ": ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.suggestion:
            text += f" (did you mean {self.suggestion}?)"
        return f"{text} [{self.code}]"

    @property
    def entry(self) -> ErrorCode:
        """This error's catalogue entry (its class's generic entry for a code not in the catalogue)."""
        return CATALOGUE.get(self.code) or CATALOGUE[self.default_code]

    def to_dict(self) -> dict[str, Any]:
        """The error as a JSON-ready record (used by batch error records)."""
        return {
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "message": self.message,
            "suggestion": self.suggestion,
        }

    def located(self, *, file: Optional[str] = None, line: Optional[int] = None) -> "PromoreadyError":
        """Fill in the file and line if they are not known yet; returns self."""
        if self.file is None and file is not None:
            self.file = file
        if self.line is None and line is not None:
            self.line = line
        return self


class InputError(PromoreadyError):
    """A file could not be read or parsed (missing, a folder, not UTF-8, malformed JSON or YAML)."""

    default_code = INPUT_INVALID


class PacketError(PromoreadyError):
    """A packet is invalid: a wrong type, an impossible value, an unknown level."""

    default_code = PACKET_INVALID


class LadderError(PromoreadyError):
    """A ladder file is invalid: a wrong shape, an unknown name, an unreachable level."""

    default_code = LADDER_INVALID


class LadderInvalid(LadderError):
    """A ladder with one or more problems; ``problems`` lists each as a ``LadderError``."""

    def __init__(self, problems: list[PromoreadyError]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(first.message, code=first.code, file=first.file, line=first.line, path=first.path,
                         suggestion=first.suggestion)

    #: At most this many problems are listed in the message (``problems`` holds them all).
    SHOWN = 50

    def __str__(self) -> str:
        lines = [PromoreadyError.__str__(p) for p in self.problems[:self.SHOWN]]
        if len(self.problems) == 1:
            return lines[0]
        more = len(self.problems) - len(lines)
        tail = [f"  … and {more:,} more"] if more else []
        return f"{len(self.problems):,} problems in the ladder:\n" + "\n".join(["  " + line for line in lines] + tail)


class PacketInvalid(PacketError):
    """A packet with one or more problems; ``problems`` lists each as a ``PromoreadyError``, in the
    order of the file. Its own fields are the first problem's, so code that reads one error still
    works; ``more`` counts problems found past the reporting cap and not listed.

    ``data`` is the packet as read, and ``source`` where from, for the checks that need a ladder
    (unknown level names): they add their problems with ``adding`` though the packet is invalid.
    """

    def __init__(self, problems: list[PromoreadyError], *, more: int = 0, data: Any = None, source: Any = None) -> None:
        self.problems = problems
        self.more = more
        self.data = data
        self.source = source
        first = problems[0]
        super().__init__(first.message, code=first.code, file=first.file, line=first.line, path=first.path,
                         suggestion=first.suggestion)

    def adding(self, extra: list[PromoreadyError]) -> "PacketInvalid":
        """This packet's problems with ``extra`` ones (those at a path already reported are left out),
        in the order of the file."""
        known = {p.path for p in self.problems}
        added = [p for p in extra if p.path not in known]
        if not added:
            return self
        problems = sorted([*self.problems, *added], key=lambda p: p.line or 0)
        return PacketInvalid(problems, more=self.more, data=self.data, source=self.source)

    def records(self) -> list[dict[str, Any]]:
        """Every problem as a JSON-ready record (``to_dict``), for batch error records."""
        return [p.to_dict() for p in self.problems]

    def __str__(self) -> str:
        lines = [PromoreadyError.__str__(p) for p in self.problems]
        if len(lines) == 1 and not self.more:
            return lines[0]
        tail = [f"  … and {self.more:,} more"] if self.more else []
        from .words import plural

        return f"{plural(len(lines) + self.more, 'problem')} in the packet:\n" + "\n".join(
            ["  " + line for line in lines] + tail)


class UsageError(PromoreadyError):
    """A command-line option or argument is wrong (a bad date, a ``--set`` that cannot apply)."""

    default_code = USAGE_INVALID


class ServiceError(PromoreadyError):
    """An HTTP request the service refuses as a request: a missing token, a content type, a parameter."""

    default_code = SERVICE_INVALID


class EngineError(PromoreadyError):
    """The rules engine failed (never the packet's fault). Exit code 3: report it as a bug."""

    exit_code = 3
    default_code = ENGINE_INTERNAL


class ResourceError(PromoreadyError):
    """The system refused a resource: the disk is full, a file reached ``ulimit -f``. Exit code 4."""

    exit_code = 4
    default_code = SYSTEM_IO

    @classmethod
    def of(cls, exc: OSError, what: str, *, file: Optional[str] = None) -> Optional["ResourceError"]:
        """``exc`` as a ResourceError when it is the system running out (ENOSPC, EDQUOT, EFBIG, EIO), else None."""
        import errno

        codes = {errno.ENOSPC: SYSTEM_DISK_FULL, errno.EDQUOT: SYSTEM_DISK_FULL, errno.EFBIG: SYSTEM_FILE_SIZE_LIMIT,
                 errno.EIO: SYSTEM_IO}
        code = codes.get(exc.errno) if exc.errno is not None else None
        if code is None:
            return None
        reason = "the file size limit of this process (ulimit -f)" if code == SYSTEM_FILE_SIZE_LIMIT \
            else (exc.strerror or str(exc)).lower()
        return cls(f"cannot write {what}: {reason}", code=code, file=file)


# -- names ----------------------------------------------------------------------------------------


def nearest(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The known names closest to ``name``, best first; only those about as close as the best one,
    so a clear typo gets one suggestion. Empty if none is close."""
    scored = []
    said = name.lower()
    for candidate in sorted(set(known)):
        ratio = difflib.SequenceMatcher(None, said, candidate.lower()).ratio()
        # One a shortening of the other (`org` for `organisation`, or the reverse) is close, however
        # different the lengths; three letters at least, so that `a` suggests nothing.
        if min(len(said), len(candidate)) >= 3 and (said.startswith(candidate.lower())
                                                   or candidate.lower().startswith(said)):
            ratio = max(ratio, 0.6)
        if ratio >= 0.6:
            scored.append((ratio, candidate))
    if not scored:
        return []
    best = max(r for r, _ in scored)
    return [c for r, c in sorted(scored, key=lambda rc: (-rc[0], rc[1])) if r >= best - 0.05][:n]


def suggestion(names: Iterable[str]) -> Optional[str]:
    """Names as a "did you mean" reads them: quoted, joined with "or"; None for no names."""
    return " or ".join(f"'{m}'" for m in names) or None


def closest(name: str, known: Iterable[str], n: int = 3) -> Optional[str]:
    """``nearest`` formatted for a "did you mean", or None if no known name is close."""
    return suggestion(nearest(name, known, n))


# -- the catalogue as a document ------------------------------------------------------------------


def markdown() -> str:
    """``docs/errors.md``: every catalogued code with its exit status, HTTP status and meaning."""
    out = [
        "# Error codes",
        "",
        "<!-- Generated from engine/errors.py by `python -m promoready.engine.errors --markdown`;",
        "     tests/engine/test_errors.py fails when this file and the catalogue differ. -->",
        "",
        "Every error promoready reports carries one of these codes: in the one-line message "
        "(`file:line: path: message [code]`), in `batch` error records and summaries, and in the "
        "service's problem details. **exit** is the status a command ends with when the error ends it "
        "(in `batch`, a packet's error becomes an error record and the run goes on); **HTTP** is the "
        "status the service answers with.",
        "",
        "A packet with several problems (wrong types or values, unknown level names, undeclared or "
        "mistyped `evidence:` values) has them all reported in one run, each with its own code: the "
        "command line prints `N problems in the packet:` and a line each (exit 2); a `batch` error "
        "record keeps the first as `error` and lists every one under `problems` (same keys as `error`); "
        "the service answers 422 with the first problem's fields at the top level and every one under "
        "`problems`, with `more` counting any past the cap of 20. A library caller catches "
        "`promoready.engine.PacketInvalid` (a `PacketError`) and reads its `problems`. In a `batch` "
        "summary, `errored` names each packet that got an error record (its source, candidate and "
        "first message), and `warned` each packet with fields that look like typos, with the `lines` "
        "of its `warnings`.",
    ]
    for area, info in _AREAS.items():
        out += ["", f"## {area}", "", info.title + ".", "", "| code | exit | HTTP | meaning |", "|---|---:|---:|---|"]
        for entry in CATALOGUE.values():
            if entry.area == area:
                meaning = entry.meaning.replace("|", "\\|")
                out.append(f"| `{entry.code}` | {entry.exit_status} | {entry.http_status} | {meaning} |")
    return "\n".join(out) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m promoready.engine.errors --markdown``: print the catalogue as ``docs/errors.md``."""
    import argparse  # only here: the command line's start-up imports this module

    parser = argparse.ArgumentParser(prog="python -m promoready.engine.errors", description=main.__doc__)
    parser.add_argument("--markdown", action="store_true", help="print docs/errors.md")
    args = parser.parse_args(argv)
    if not args.markdown:
        parser.print_usage(sys.stderr)
        return 2
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
