"""The packets ``evaluate`` is given: files, folders (their packet files, as ``batch`` reads them) and
``-`` (one packet, JSON or YAML, on stdin)."""

from __future__ import annotations

from typing import Any, BinaryIO, Optional


def files(name: str) -> list[str]:
    """The packets one input names: itself, or for a folder its packet files as ``batch`` reads them
    (``*.json``, ``*.yaml``, ``*.yml``, recursively, sorted by name, hidden ones skipped)."""
    import os

    if name == "-" or not os.path.isdir(name):
        return [name]
    from promoready.engine.batch import iter_items
    from promoready.engine.errors import INPUT_EMPTY, InputError

    found = []
    for item in iter_items([name]):
        if item.problem is not None:
            raise InputError(item.problem[1], code=item.problem[0], file=item.file)
        found.append(item.file)
    if not found:
        raise InputError("the folder holds no packet files (*.json, *.yaml, *.yml)", code=INPUT_EMPTY, file=name)
    return found


def load(name: str, stdin: Optional[BinaryIO] = None, ladders: Any = None) -> Any:
    """The packet ``name`` names, read and validated: a ``LoadedPacket`` (whose errors and warnings name
    the file, or ``<stdin>`` for ``-``, and the line). ``ladders`` (the command's ``LadderRegistry``)
    names the unknown levels of an invalid packet beside its other problems."""
    from promoready.engine.errors import PacketInvalid

    try:
        return _read(name, stdin)
    except PacketInvalid as exc:
        raise (ladders.checked(exc) if ladders is not None else exc) from None


def _read(name: str, stdin: Optional[BinaryIO]) -> Any:
    from promoready.engine import (MAX_BYTES, LoadedPacket, Source, decode, load_packet, parse_yaml, read_json,
                                   to_packet)
    from promoready.engine.errors import INPUT_EMPTY, INPUT_STDIN, INPUT_TOO_LARGE, InputError

    import sys

    if name != "-":
        return load_packet(name)
    from promoready.engine import STDIN_NAME  # stdin as every command names it in messages

    stdin = stdin if stdin is not None else getattr(sys.stdin, "buffer", None)
    if stdin is None:
        raise InputError("'-' reads a packet from stdin, but there is none", code=INPUT_STDIN)

    raw = stdin.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise InputError(f"more than {MAX_BYTES:,} bytes; the limit is {MAX_BYTES:,}",
                         code=INPUT_TOO_LARGE, file=STDIN_NAME)
    text = decode(raw, STDIN_NAME)
    start = text.lstrip("\ufeff")  # decode drops one BOM; any more are not text either (as careful_json says)
    if not start.strip():
        raise InputError("stdin is empty: pipe a packet in (JSON or YAML)", code=INPUT_EMPTY, file=STDIN_NAME)
    # JSON starts with { (or [); anything else is read as YAML, as a .yaml file would be.
    json_like = start.lstrip().startswith(("{", "["))
    source = Source(STDIN_NAME, text)
    if json_like:
        return read_json(text, source)
    data = parse_yaml(text, STDIN_NAME)  # checked already (check_data: depth, text, numbers)
    return LoadedPacket(to_packet(data, source), source)


def typos(warnings: list[str], loaded: Any, strict: bool) -> bool:
    """Say each warning of a packet on stderr (``file:line: warning: …``), or with ``strict`` each as an
    error (``file:line: path: unknown field (did you mean …?) [packet.unknown-field]``); True when the
    packet is refused for them. ``loaded`` is the packet the warnings are about (its ``LoadedPacket``)."""
    import click

    from promoready.engine.words import printable

    if not warnings:
        return False
    located = loaded.typos()
    # The warnings are the decision's; each is matched to its place in the file (a what-if's changed
    # packet may differ from the file: then the file name alone).
    if len(located) != len(warnings) or any(p.path is not None and f"'{p.path}'" not in w
                                            for p, w in zip(located, warnings)):
        from promoready.engine.errors import PACKET_UNKNOWN_FIELD, PacketError

        located = [PacketError(w, code=PACKET_UNKNOWN_FIELD, file=loaded.source.name) for w in warnings]
    for problem, warning in sorted(zip(located, warnings), key=lambda pw: pw[0].line or 0):
        if strict:
            line = str(problem)
        else:
            where = (problem.file or "") + (f":{problem.line}" if problem.line else "")
            line = f"{where}: warning: {warning}"
        click.echo(f"promoready: {printable(line)}", err=True)  # packet text (a field's name) escaped
    return strict
