"""A cache of loaded ladders on disk, so that a short command does not re-read a ladder's YAML.

Loading a ladder (``load_ladder``: the YAML of a dozen files, the pydantic models, the lint) costs
more than evaluating a packet; a command that evaluates one packet pays it every time it starts.
``load_ladder_cached`` keeps each ladder it loads as JSON in the user's cache folder and, the next
time, validates that JSON with the same pydantic model instead (a few milliseconds).

An entry can never be stale. Its name is a SHA-256 of everything the loaded ladder depends on:

- every file the loader reads (``ladder.yaml`` and each ``*.yaml`` / ``*.yml`` beside it), names and
  bytes: any edit, new file or removed file is a new key;
- the code that turns those files into a ladder: the source of every module of
  ``promoready.engine`` and ``promoready.schemas``, the Python, pydantic and pydantic-core versions
  and ruamel.yaml's version file: any change of code or library is a new key.

The entry holds the ladder loaded from exactly the bytes that were hashed (they are copied to a
private folder and loaded from there), and it is written only after a check that reading the JSON
back gives an equal ladder. The caller (``registry``) compares the digest the entry records with the
digest of the ladder it read, as a last check. An entry that cannot be read, is not valid JSON, does
not validate, names another key or is larger than a ladder can be, is ignored (and replaced): the
ladder is then loaded from its YAML, as without a cache.

Safety: an entry is plain JSON validated by the ladder's pydantic model, so loading one runs no code
whatever it holds. Since an entry decides what a ladder says, the folder must be the user's own:
it is created with mode 0700, and a folder owned by someone else or writable by others is not used.
Writes go to a temporary file in the same folder, then ``os.replace``: readers see a whole entry or
none, and two processes writing the same entry at once both succeed (the entries are identical).
At most ``MAX_ENTRIES`` entries are kept; the oldest go first.

Where: ``$PROMOREADY_CACHE_DIR/ladders`` if set, else ``$XDG_CACHE_HOME/promoready/ladders``, else
``~/.cache/promoready/ladders``. ``PROMOREADY_NO_CACHE`` set to anything but ``""`` or ``0``
turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from promoready.schemas.ladder import Ladder

#: Bump when the layout of an entry changes (old entries then simply stop matching).
FORMAT = 1
#: Entries kept in the folder; a new one beyond this removes the oldest.
MAX_ENTRIES = 64
#: The largest entry read (a ladder's files are at most 10 MB each; its JSON is far smaller).
MAX_ENTRY_BYTES = 64 * 1024 * 1024
_MAGIC = "promoready-ladder-cache"

_code_key: Optional[bytes] = None
_code_lock = threading.Lock()


def cache_dir() -> Optional[str]:
    """The folder entries go in, or None when the cache is turned off (``PROMOREADY_NO_CACHE``)."""
    if os.environ.get("PROMOREADY_NO_CACHE", "") not in ("", "0"):
        return None
    explicit = os.environ.get("PROMOREADY_CACHE_DIR")
    if explicit:
        return os.path.join(os.path.abspath(explicit), "ladders")
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):  # the XDG spec: a relative path is invalid and is ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "promoready", "ladders")


def _private_folder(folder: str) -> bool:
    """Make ``folder`` (mode 0700) if needed; True if it is a folder of this user that no one else can write."""
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder)
    except OSError:
        return False
    owner = getattr(os, "getuid", None)
    return (stat.S_ISDIR(info.st_mode) and (owner is None or info.st_uid == owner())
            and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def code_sources() -> list[str]:
    """The source files whose code turns ladder files into a ``Ladder``: every module of
    ``promoready.engine`` and ``promoready.schemas`` (more than the loader needs: safe, never stale)."""
    import promoready.engine
    import promoready.schemas

    return [os.path.join(folder, name)
            for package in (promoready.engine, promoready.schemas)
            for folder in package.__path__
            for name in sorted(os.listdir(folder)) if name.endswith(".py")]


def code_digest(sources: list[str]) -> bytes:
    """A digest of ``sources`` (names and bytes), the Python and pydantic versions and ruamel.yaml's version file."""
    import pydantic
    import pydantic_core

    h = hashlib.sha256(f"{FORMAT}\0{sys.version}\0{pydantic.VERSION}\0{pydantic_core.__version__}\0".encode())
    for path in sources:
        with open(path, "rb") as fh:
            h.update(os.path.basename(path).encode() + b"\0" + hashlib.sha256(fh.read()).digest())
    h.update(_ruamel_version_file())
    return h.digest()


def code_key() -> bytes:
    """``code_digest(code_sources())``, computed once per process."""
    global _code_key
    with _code_lock:
        if _code_key is None:
            _code_key = code_digest(code_sources())
        return _code_key


def _ruamel_version_file() -> bytes:
    """The digest of ruamel.yaml's ``__init__.py`` (which declares its version), found without importing it."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("ruamel.yaml")
        origin = spec.origin if spec is not None else None
        if origin is None:
            return b"ruamel.yaml: not found"
        with open(origin, "rb") as fh:
            return hashlib.sha256(fh.read()).digest()
    except (ImportError, OSError, ValueError):
        return b"ruamel.yaml: unreadable"


def _ladder_files(folder: str) -> Optional[dict[str, bytes]]:
    """The files ``load_ladder`` reads in ``folder`` (name → bytes), or None if one cannot be read whole."""
    from ._documents import MAX_BYTES
    from ._ladder import LADDER_FILE, yaml_names

    files: dict[str, bytes] = {}
    try:
        for name in yaml_names(folder):
            path = os.path.join(folder, name)
            if not os.path.isfile(path):  # a link leading nowhere, a pipe (never opened): the loader says which
                return None
            with open(path, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
            if len(data) > MAX_BYTES:
                return None  # too large: the loader says so
            files[name] = data
    except OSError:
        return None
    return files if LADDER_FILE in files else None


def entry_key(files: dict[str, bytes]) -> str:
    """The name of the entry for these ladder files under the current code."""
    h = hashlib.sha256(code_key())
    for name, data in sorted(files.items()):
        h.update(b"\0file\0" + name.encode("utf-8", "surrogateescape") + b"\0" + str(len(data)).encode() + b"\0")
        h.update(data)
    return h.hexdigest()


def _read_entry(path: str, key: str) -> Optional[tuple[Ladder, str]]:
    """The ladder and digest an entry holds, or None if it is missing or not a whole, valid entry for ``key``."""
    from promoready.schemas.ladder import Ladder

    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_ENTRY_BYTES:
        return None
    head, sep, body = data.partition(b"\n")
    try:
        header = json.loads(head)
        if (not sep or not isinstance(header, dict) or header.get("format") != FORMAT
                or header.get(_MAGIC) != key or not isinstance(header.get("digest"), str)):
            return None
        return Ladder.model_validate_json(body), header["digest"]
    except Exception:  # a damaged entry of any kind is a miss, never an error
        return None


def _write_entry(folder: str, key: str, ladder: Ladder, digest: str) -> None:
    """Write an entry atomically (temporary file, then rename); a failure leaves no entry and no error."""
    from promoready.schemas.ladder import Ladder

    body = ladder.model_dump_json(by_alias=True).encode("utf-8")
    try:
        if Ladder.model_validate_json(body) != ladder:
            return  # this ladder does not survive JSON exactly: never cache what would read back different
    except Exception:
        return
    header = json.dumps({_MAGIC: key, "format": FORMAT, "digest": digest}, separators=(",", ":")).encode()
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(header + b"\n" + body)
        os.replace(tmp, os.path.join(folder, key + ".json"))
        tmp = None
        _prune(folder)
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _prune(folder: str) -> None:
    """Keep the newest ``MAX_ENTRIES`` entries (and remove temporary files an interrupted writer left)."""
    entries = []
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        try:
            info = os.stat(path)
        except OSError:
            continue
        if name.startswith(".tmp-"):
            if info.st_mtime < time.time() - 3600:  # a writer that is still busy is never an hour old
                _unlink(path)
        elif name.endswith(".json"):
            entries.append((info.st_mtime, name))
    for _mtime, name in sorted(entries)[:-MAX_ENTRIES or None]:
        _unlink(os.path.join(folder, name))


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _load_snapshot(files: dict[str, bytes]) -> Ladder:
    """``load_ladder`` on a private copy of exactly ``files``: the ladder of the bytes that were hashed."""
    from ._ladder import load_ladder

    folder = tempfile.mkdtemp(prefix="promoready-ladder-")
    try:
        for name, data in files.items():
            with open(os.path.join(folder, name), "wb") as fh:
                fh.write(data)
        return load_ladder(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Cached:
    """A ladder and, when it came from the cache, the digest its entry recorded (else None)."""

    __slots__ = ("ladder", "recorded_digest", "key")

    def __init__(self, ladder: Ladder, recorded_digest: Optional[str], key: Optional[str]) -> None:
        self.ladder = ladder
        self.recorded_digest = recorded_digest
        self.key = key


def load_ladder_cached(reference: Optional[str] = None) -> Cached:
    """``load_ladder(reference)``, through the cache when it can be used (see the module's docstring).

    Errors are ``load_ladder``'s own, with its file names and lines: a ladder that does not load is
    never cached, and is always read from its own files to report what is wrong with it.
    """
    from ._ladder import _resolve_folder, ladder_digest, load_ladder

    folder = cache_dir()
    if folder is None:
        return Cached(load_ladder(reference), None, None)
    source = _resolve_folder(reference)  # a bad reference raises load_ladder's error here
    files = _ladder_files(source)
    if files is None or not _private_folder(folder):
        return Cached(load_ladder(reference), None, None)
    key = entry_key(files)
    path = os.path.join(folder, key + ".json")
    found = _read_entry(path, key)
    if found is not None:
        try:
            os.utime(path)  # recently used: pruned last
        except OSError:
            pass
        return Cached(found[0], found[1], key)
    try:
        ladder = _load_snapshot(files)
    except Exception:
        # Reported from the ladder's own folder, so that every message names the real files.
        return Cached(load_ladder(reference), None, None)
    _write_entry(folder, key, ladder, ladder_digest(ladder))
    return Cached(ladder, None, key)


def forget(key: str) -> None:
    """Remove an entry (the registry found that it does not match the ladder it was made from)."""
    folder = cache_dir()
    if folder is not None:
        _unlink(os.path.join(folder, key + ".json"))


__all__ = ["Cached", "cache_dir", "code_digest", "code_key", "code_sources", "entry_key", "forget", "load_ladder_cached"]
