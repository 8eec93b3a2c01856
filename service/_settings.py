"""The service's settings: defaults, ``PROMOREADY_…`` environment variables, and bearer tokens.

``promoready serve`` turns its flags into the same variables (``Settings.to_env``) before starting
uvicorn, so that each worker process builds exactly the settings the parent checked
(``Settings.from_env``). Tokens are never stored in clear: a tokens file holds one ``name:sha256hex``
per line (the SHA-256 of the token, in hex), and ``PROMOREADY_TOKENS`` the same pairs separated by
commas. A presented token is hashed and compared with every stored hash in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
from dataclasses import dataclass, field, fields, replace
from typing import Mapping, Optional

from promoready.engine import errors

from ._engine import MAX_BYTES

#: The default largest YAML body: 1 MiB, about two seconds of parsing at worst.
MAX_YAML_BYTES = 1024 * 1024

__all__ = ["Settings", "hash_token", "parse_tokens", "read_tokens_file", "is_loopback"]

_PREFIX = "PROMOREADY_"
_TOKEN_LINE = re.compile(r"^([A-Za-z0-9_.@-]{1,64}):([0-9a-fA-F]{64})$")


def hash_token(token: str) -> str:
    """The SHA-256 of a token, in hex: what a tokens file stores instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_tokens(text: str, *, source: str, separator: str = "\n") -> dict[str, str]:
    """``name:sha256hex`` entries (blank entries and ``#`` comments skipped) → name → hash.

    Raises a ``UsageError`` naming the source and line of the first malformed entry, without
    echoing the entry (it may be a token pasted in clear).
    """
    out: dict[str, str] = {}
    for number, raw in enumerate(text.split(separator), start=1):
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        match = _TOKEN_LINE.match(entry)
        line = number if separator == "\n" else None
        if not match:
            raise errors.UsageError("expected NAME:SHA256HEX (the token's SHA-256 in hex, not the token itself)",
                                    code=errors.USAGE_TOKENS, file=source, line=line,
                                    path=None if line else f"entry {number}")
        name, digest = match.groups()
        if name in out:
            raise errors.UsageError(f"token name '{name}' is given twice", code=errors.USAGE_TOKENS, file=source,
                                    line=line)
        out[name] = digest.lower()
    return out


def read_tokens_file(path: str) -> dict[str, str]:
    """The tokens in a tokens file (see ``parse_tokens``)."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise errors.UsageError(f"cannot read the tokens file: {reason}", code=errors.USAGE_TOKENS, file=path) from None
    return parse_tokens(text, source=path)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``): reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere


@dataclass(frozen=True)
class Settings:
    """Everything the service is configured with; every field has a ``PROMOREADY_<FIELD>`` variable."""

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    #: The ladder every packet uses (a bundled id, a folder or its ladder.yaml); None: each packet's
    #: ``ladder`` field chooses among the bundled ladders, the default otherwise.
    ladder: Optional[str] = None
    #: Token name → SHA-256 hex of the token. Empty: no authentication (loopback only).
    tokens: Mapping[str, str] = field(default_factory=dict)
    #: The largest request body (and batch line) read, in bytes: the engine's own file limit.
    max_body: int = MAX_BYTES
    #: The largest YAML body read, in bytes (the smaller of this and ``max_body`` applies). YAML is read by a
    #: pure-Python parser (about half a megabyte a second) that cannot be stopped once started: past the
    #: request timeout it is no longer waited for, but it runs to its end, so this bounds the work one request
    #: can leave behind. JSON, read about fifty times faster, has ``max_body`` only.
    max_yaml_body: int = MAX_YAML_BYTES
    #: The most items one batch request may hold.
    max_batch_items: int = 10_000
    #: Seconds a request may take, batch streams included.
    timeout: float = 30.0
    #: Threads of a worker process that parse and evaluate slow bodies (YAML, JSON over 64 KiB, batch lines);
    #: None: the worker's share of the CPUs, from 2 to 4 (see ``service/_slow.py``).
    slow_body_threads: Optional[int] = None
    #: Slow bodies that may wait for one of those threads; one more is refused at once (503 ``service.busy``).
    #: None: 8.
    slow_body_queue: Optional[int] = None
    #: Origins allowed by CORS; empty: no CORS headers at all.
    cors_origins: tuple[str, ...] = ()
    log_level: str = "info"
    #: JSON access log lines on stderr.
    access_log: bool = True
    #: The decision store (a SQLite file or a database URL, as ``--db`` elsewhere); None: decisions are not
    #: kept, and ``GET /v1/decisions/{id}`` answers 404 ``service.no-store``.
    db: Optional[str] = None
    #: The store's cycle the decisions are logged in (created when missing, never marked complete).
    cycle: str = "service"
    #: JSON Pointers removed from what is logged (``/decision/…``, ``/packet/…``), never from an answer.
    masks: tuple[str, ...] = ()
    #: Log each packet too (masked), not only its decision.
    store_packets: bool = False

    def __post_init__(self) -> None:
        checks = [
            (1 <= self.port <= 65535, "port", "a port from 1 to 65535"),
            (1 <= self.workers <= 64, "workers", "from 1 to 64 worker processes"),
            (1024 <= self.max_body <= MAX_BYTES, "max_body", f"from 1024 to {MAX_BYTES} bytes"),
            (1024 <= self.max_yaml_body <= MAX_BYTES, "max_yaml_body", f"from 1024 to {MAX_BYTES} bytes"),
            (1 <= self.max_batch_items <= 1_000_000, "max_batch_items", "from 1 to 1000000 items"),
            (0.1 <= self.timeout <= 3600, "timeout", "from 0.1 to 3600 seconds"),
            (self.slow_body_threads is None or 1 <= self.slow_body_threads <= 64, "slow_body_threads",
             "from 1 to 64 threads"),
            (self.slow_body_queue is None or 0 <= self.slow_body_queue <= 10_000, "slow_body_queue",
             "from 0 to 10000 bodies"),
            (self.log_level in ("critical", "error", "warning", "info", "debug"), "log_level",
             "critical, error, warning, info or debug"),
            (0 < len(self.cycle) <= 200 and bool(self.cycle.strip()), "cycle", "a cycle name of 1 to 200 characters"),
        ]
        for ok, name, expected in checks:
            if not ok:
                raise errors.UsageError(f"expected {expected}, got {getattr(self, name)!r}", code=errors.USAGE_SERVE,
                                        path=f"--{name.replace('_', '-')} / {_PREFIX}{name.upper()}")
        if self.masks or self.store_packets:
            if self.db is None:
                given = "--mask" if self.masks else "--store-packets"
                raise errors.UsageError(f"{given} needs a decision store (--db / {_PREFIX}DB)",
                                        code=errors.USAGE_STORE_OPTIONS, path=given)
            from promoready.store import Masks

            Masks(self.masks)  # a bad pointer is refused before anything starts

    @property
    def auth(self) -> bool:
        """Whether requests must carry a bearer token."""
        return bool(self.tokens)

    def authenticate(self, token: Optional[str]) -> Optional[str]:
        """The name of the token presented, or None. Every stored hash is compared, in constant time."""
        if token is None:
            return None
        presented = hash_token(token).encode("ascii")
        found: Optional[str] = None
        for name, digest in self.tokens.items():
            if hmac.compare_digest(presented, digest.encode("ascii")):
                found = name  # no early exit: the time taken does not depend on which token matched
        return found

    @property
    def yaml_limit(self) -> int:
        """The largest YAML body read: the smaller of ``max_yaml_body`` and ``max_body``."""
        return min(self.max_yaml_body, self.max_body)

    def with_(self, **changes: object) -> "Settings":
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def to_env(self) -> dict[str, str]:
        """The ``PROMOREADY_…`` variables that make ``from_env`` give these settings back."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name == "tokens":
                text = ",".join(f"{name}:{digest}" for name, digest in value.items())
            elif f.name in ("cors_origins", "masks"):
                text = ",".join(value)
            elif isinstance(value, bool):
                text = "1" if value else "0"
            else:
                text = str(value)
            out[_PREFIX + f.name.upper()] = text
        return out

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> "Settings":
        """Settings from ``PROMOREADY_…`` variables (unset ones keep their defaults).

        ``PROMOREADY_TOKENS_FILE`` names a tokens file; its tokens join those of ``PROMOREADY_TOKENS``.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f.name, raw)
        tokens = dict(values.get("tokens") or {})  # type: ignore[call-overload]
        tokens_file = env.get(_PREFIX + "TOKENS_FILE")
        if tokens_file:
            for name, digest in read_tokens_file(tokens_file).items():
                if name in tokens:
                    raise errors.UsageError(f"token name '{name}' is given twice", code=errors.USAGE_TOKENS,
                                            file=tokens_file)
                tokens[name] = digest
        values["tokens"] = tokens
        return cls(**values)  # type: ignore[arg-type]


def _convert(name: str, raw: str) -> object:
    variable = _PREFIX + name.upper()
    try:
        if name in ("port", "workers", "max_body", "max_yaml_body", "max_batch_items", "slow_body_threads",
                    "slow_body_queue"):
            return int(raw)
        if name == "timeout":
            return float(raw)
    except ValueError:
        raise errors.UsageError(f"expected a number, got {raw!r}", code=errors.USAGE_SERVE, path=variable) from None
    if name in ("access_log", "store_packets"):
        if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise errors.UsageError(f"expected 1 or 0, got {raw!r}", code=errors.USAGE_SERVE, path=variable)
        return raw.lower() in ("1", "true", "yes")
    if name == "tokens":
        return parse_tokens(raw, source=variable, separator=",")
    if name in ("cors_origins", "masks"):
        return tuple(o.strip() for o in raw.split(",") if o.strip())
    return raw
