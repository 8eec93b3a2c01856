"""The ``--groups`` file: one row per candidate, a ``candidate_id`` column and one column per attribute.

It is read only here, joined to decisions only in the report, and never reaches a packet or the
engine. An empty cell means the attribute is not recorded for that candidate.
"""

from __future__ import annotations

import csv
import io
from typing import Iterable, Iterator
from dataclasses import dataclass, field

from promoready.engine import decode, errors
from promoready.engine.errors import InputError

ID_COLUMN = "candidate_id"
#: Shown for candidates with no row, or an empty cell, for an attribute.
NOT_RECORDED = "(not recorded)"
#: The most a groups file may hold. It is read whole and kept in memory (several times its size while
#: parsed), so it is bounded; 256 MiB is some five million rows of a few attributes. A device or a pipe
#: that never ends (``/dev/zero``) is refused once that much has arrived.
MAX_BYTES = 256 * 1024 * 1024


@dataclass
class Groups:
    """Attribute values by candidate id, in the file's column order."""

    attributes: list[str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # candidate id → attribute → value

    def of(self, candidate_id: str, attribute: str) -> str:
        """The candidate's value, or ``NOT_RECORDED``."""
        return self.values.get(candidate_id, {}).get(attribute) or NOT_RECORDED


def read_groups(path: str) -> Groups:
    """Read a groups CSV (UTF-8, a header row); every problem names the file, the line and the column."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)  # a pipe is read until its end or past the limit
    except FileNotFoundError:
        raise InputError("no such file", code=errors.INPUT_NOT_FOUND, file=path, path="--groups") from None
    except IsADirectoryError:
        raise InputError("a folder, not a CSV file", code=errors.INPUT_IS_FOLDER, file=path,
                              path="--groups") from None
    except OSError as exc:
        raise InputError(f"cannot read it: {exc.strerror}", code=errors.INPUT_UNREADABLE, file=path) from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"more than {MAX_BYTES:,} bytes, the limit for a groups file", code=errors.INPUT_TOO_LARGE,
                         file=path, path="--groups")
    # A packet's reading: a BOM is dropped, and a byte that is not UTF-8 is named with its line and column.
    rows = _rows(io.StringIO(decode(raw, path), newline=""), path)
    if not rows:
        raise InputError("the file is empty; expected a header row: candidate_id,<attribute>,…",
                              code=errors.INPUT_EMPTY, file=path)
    header = [h.strip() for h in rows[0][1]]
    if ID_COLUMN not in header:
        near = errors.nearest(ID_COLUMN, header, 1)
        hint = f"; if {near[0]!r} holds the ids, name that column {ID_COLUMN}" if near else ""
        raise InputError(f"no {ID_COLUMN} column in the header ({', '.join(header)}){hint}",
                              code=errors.INPUT_GROUPS, file=path, line=1)
    for i, name in enumerate(header):
        if not name:
            raise InputError(f"column {i + 1} has no name", code=errors.INPUT_GROUPS, file=path, line=1)
        if header.index(name) != i:
            raise InputError(f"two columns are named {name!r}", code=errors.INPUT_GROUPS, file=path, line=1)
    at = header.index(ID_COLUMN)
    attributes = [h for h in header if h != ID_COLUMN]
    if not attributes:
        raise InputError("no attribute column beside candidate_id", code=errors.INPUT_GROUPS, file=path, line=1)
    groups = Groups(attributes)
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise InputError(f"{len(row)} cells, but the header has {len(header)} columns",
                                  code=errors.INPUT_GROUPS, file=path, line=line)
        candidate = row[at].strip()
        if not candidate:
            raise InputError("no candidate id", code=errors.INPUT_GROUPS, file=path, line=line, path=ID_COLUMN)
        if candidate in groups.values:
            raise InputError(f"candidate {candidate!r} has a row already", code=errors.INPUT_GROUPS,
                                  file=path, line=line, path=ID_COLUMN)
        groups.values[candidate] = {h: cell.strip() for h, cell in zip(header, row) if h != ID_COLUMN and cell.strip()}
    return groups


def _rows(lines: Iterable[str], path: str) -> list[tuple[int, list[str]]]:
    """The file's rows, each with the line it starts on. No cell may hold a NUL or a line break: a quoted
    cell that runs onto the next line is almost always a quote left open, which would take the rest of the
    file into one cell (and the rows in it out of the analysis)."""
    nul: list[tuple[int, int]] = []  # (line, column) of a NUL byte: the lines stop there

    def up_to_a_nul() -> Iterator[str]:  # before csv sees it (Python 3.10's csv refuses a NUL, with no line)
        for number, line in enumerate(lines, 1):
            at = line.find("\x00")
            if at >= 0:
                nul.append((number, max(1, len(next(csv.reader([line[:at]]), [])))))
                return
            yield line

    reader = csv.reader(up_to_a_nul())
    rows: list[tuple[int, list[str]]] = []
    header: list[str] = []
    end = 0
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            for column, cell in enumerate(row):
                name = (header[column].strip() or None) if column < len(header) else None
                where = f"column {column + 1}"
                if "\n" in cell or "\r" in cell:
                    # The cells before hold no line break, so the quote opens on the row's first line.
                    if next(reader, None) is None:
                        why = (f"{where}: a quote opens here and is never closed, so the cell would take in the rest "
                               f"of the file (lines {start} to {end}); close the quote, or remove it")
                    else:
                        why = (f"{where}: a quoted cell runs from here onto line {end}; a cell may not hold a line "
                               "break (is a quote left open?)")
                    raise InputError(why, code=errors.INPUT_GROUPS, file=path, line=start, path=name)
            if not rows:
                header = row
            rows.append((start, row))
    except csv.Error as exc:
        if "field limit" in str(exc):  # a cell of over csv.field_size_limit() characters: a quote left open
            why = (f"a quote opens on this line and is not closed within {csv.field_size_limit():,} characters, so "
                   "the cell would take in the rest of the file; close the quote, or remove it")
        else:
            why = f"not a CSV file: {exc}"
        raise InputError(why, code=errors.INPUT_GROUPS, file=path, line=end + 1) from None
    if nul:
        line, column = nul[0]
        name = (header[column - 1].strip() or None) if rows and column <= len(header) else None
        raise InputError(f"column {column}: a NUL byte in the cell", code=errors.INPUT_GROUPS, file=path, line=line,
                         path=name)
    return rows
