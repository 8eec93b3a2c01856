"""One exception family for everything promoready refuses or fails at.

Each error is data (after OPA's ``ast.Error`` and rule-engine's ``SymbolResolutionError``): a stable
``code``, the ``file``, the ``line`` where known, the field ``path`` (``reviews[1].end``) or rule id,
a ``message`` and, for an unknown name, a ``suggestion``. ``str(error)`` is the one line a person reads.
The command line turns ``exit_code`` into the process exit status; nothing else does.
"""

from __future__ import annotations

import difflib
from typing import Iterable, Optional


class PromoreadyError(Exception):
    """Base of every error promoready raises on purpose. ``exit_code`` 2 is bad input."""

    exit_code = 2
    default_code = "error"

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

    def to_dict(self) -> dict:
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

    default_code = "input"


class PacketError(PromoreadyError):
    """A packet is invalid: a wrong type, an impossible value, an unknown level."""

    default_code = "packet"


class LadderError(PromoreadyError):
    """A ladder file is invalid: a wrong shape, an unknown name, an unreachable level."""

    default_code = "ladder"


class UsageError(PromoreadyError):
    """A command-line option or argument is wrong (a bad date, a ``--set`` that cannot apply)."""

    default_code = "usage"


class EngineError(PromoreadyError):
    """The rules engine failed (never the packet's fault). Exit code 3: report it as a bug."""

    exit_code = 3
    default_code = "engine"


def nearest(name: str, known: Iterable[str], n: int = 3) -> list[str]:
    """The known names closest to ``name``, best first; only those about as close as the best one,
    so a clear typo gets one suggestion. Empty if none is close."""
    scored = []
    for candidate in sorted(set(known)):
        ratio = difflib.SequenceMatcher(None, name.lower(), candidate.lower()).ratio()
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
