"""The names the engine sees: a short key per measure (``m0``, ``m1``…) chosen so that no two
property hashes meet, and the keys reserved for the engine's and the compiler's own fields."""

from __future__ import annotations

from ._durable import RELEASE_KEY

SIZE_KEY = "_size"  # organisation size (its position in ORDINALS["size"]); measures have keys m0, m1…


def engine_hash(name: str) -> int:
    """The 32-bit FNV-1a hash by which durable-rules identifies a property name (``fnv1Hash32``).

    The C code xors each *signed* char, so bytes above 127 are sign-extended first.
    """
    h = 2166136261
    for b in name.encode("utf-8"):
        h ^= b if b < 128 else (b - 256) & 0xFFFFFFFF
        h = (h * 16777619) & 0xFFFFFFFF
    return h


TALLY_KEYS = ("rf", "ru", "sp", "spu")
#: Property names with a meaning of their own: durable-rules' ``sid``, ``id`` and ``$s`` (its state
#: fact), the fact kind ``k``, the organisation size, the release fact's key and the tally counts.
RESERVED_KEYS = ("sid", "id", "$s", "k", SIZE_KEY, RELEASE_KEY, *TALLY_KEYS)


def group_keys(n: int) -> list[tuple[str, str]]:
    """The tally keys of ``n`` named supporting groups: (passed, passed or unknown) for each, named so
    that no two hashes meet each other's or a reserved name's."""
    taken = {engine_hash(r) for r in RESERVED_KEYS}
    out: list[tuple[str, str]] = []
    j = 0
    while len(out) < n:
        pair = (f"g{j}p", f"g{j}u")
        j += 1
        hashes = {engine_hash(k) for k in pair}
        if len(hashes) == 2 and not hashes & taken:
            taken |= hashes
            out.append(pair)
    return out


def engine_keys(names: list[str], reserved: tuple[str, ...] = RESERVED_KEYS) -> dict[str, str]:
    """An engine key for each measure name: ``m0``, ``m1``… skipping any whose hash meets a reserved
    name's or an earlier key's (so the engine can never confuse two properties)."""
    taken = {engine_hash(r) for r in reserved}
    keys: dict[str, str] = {}
    n = 0
    for name in names:
        while True:
            key, n = f"m{n}", n + 1
            if engine_hash(key) not in taken:
                break
        taken.add(engine_hash(key))
        keys[name] = key
    return keys
