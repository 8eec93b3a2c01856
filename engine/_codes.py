"""The error catalogue's data: every code promoready can raise, registered with its statuses and meaning.

Private: ``promoready.engine.errors`` is the one public place, and re-exports every name here. The
data lives apart from the exception classes only so that each module stays short enough to read
whole; to add a code, add its constant below (its name is its text in capitals, ``.``/``-`` as ``_``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Mapping, Optional

#: A code is ``area.kebab-case``: a lowercase area, a dot, lowercase words (or digits) joined by hyphens.
CODE_PATTERN: Final = re.compile(r"^[a-z]+\.[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class ErrorCode:
    """One catalogued error code: what it means and how each front end reports it."""

    code: str
    #: The process exit status when this error ends a command: 2 bad input or usage, 3 internal fault,
    #: 4 the system refused a resource (disk full, a file size limit).
    exit_status: int
    #: The status an HTTP service answers with (the problem+json ``status``).
    http_status: int
    #: One line saying when the code is raised.
    meaning: str

    @property
    def area(self) -> str:
        """The part before the dot: ``input``, ``packet``, ``ladder``, ``usage``, ``service``, ``engine`` or ``system``."""
        return self.code.split(".", 1)[0]


@dataclass(frozen=True)
class _Area:
    exit_status: int
    http_status: int
    title: str


# An area fixes the exit status of its codes (only the engine's faults are internal) and the usual
# HTTP status; a code overrides the HTTP status where a more exact one exists (404, 413, 415, 507).
# ``system`` has an exit status of its own: a full disk is neither the input's fault (2) nor a bug (3),
# and a script may well retry it once there is room.
_AREAS: Final = MappingProxyType({
    "input": _Area(2, 400, "Reading a file: missing, unreadable, too large, or not well-formed JSON or YAML"),
    "packet": _Area(2, 422, "A packet that was read but is not valid, alone or against the ladder"),
    "ladder": _Area(2, 422, "A ladder that cannot be found or does not check"),
    "usage": _Area(2, 400, "A command-line option or argument that cannot be used"),
    "service": _Area(2, 400, "An HTTP request the service refuses before reading a packet from it"),
    "engine": _Area(3, 500, "An internal fault (never the input's): report it as a bug"),
    "system": _Area(4, 503, "The system refused a resource (disk space, the file size limit, the store's database "
                            "server): neither the input's fault nor a bug; the work completed is kept"),
})

_ENTRIES: dict[str, ErrorCode] = {}
#: Every error code promoready can raise → its entry, grouped by area in the order of ``docs/errors.md``.
CATALOGUE: Final[Mapping[str, ErrorCode]] = MappingProxyType(_ENTRIES)


def _code(code: str, meaning: str, *, http_status: Optional[int] = None) -> str:
    """Register ``code`` in the catalogue and return it (the value of its constant)."""
    if not CODE_PATTERN.match(code):
        raise ValueError(f"error code {code!r} is not area.kebab-case")
    if code in _ENTRIES:
        raise ValueError(f"error code {code!r} is registered twice")
    area = _AREAS[code.split(".", 1)[0]]
    _ENTRIES[code] = ErrorCode(code, area.exit_status, http_status or area.http_status, meaning)
    return code


# -- input: reading and parsing a file ------------------------------------------------------------

INPUT_INVALID: Final = _code("input.invalid", "Bad input with no more specific code (the generic input error)")
INPUT_NOT_FOUND: Final = _code("input.not-found", "No such file or folder", http_status=404)
INPUT_IS_FOLDER: Final = _code("input.is-folder", "A folder was given where a file is expected")
INPUT_TOO_LARGE: Final = _code("input.too-large", "A file or a JSONL line is over the size limit", http_status=413)
INPUT_UNREADABLE: Final = _code("input.unreadable", "A file, folder or stdin cannot be read (permissions, I/O error)")
INPUT_STDIN: Final = _code("input.stdin", "`-` names stdin, but there is no stdin to read")
INPUT_ENCODING: Final = _code("input.encoding", "A file is not UTF-8 text", http_status=415)
INPUT_EMPTY: Final = _code("input.empty", "A file or stdin is empty, or a folder holds no packet files")
INPUT_JSON: Final = _code("input.json", "Malformed JSON")
INPUT_YAML: Final = _code("input.yaml", "Malformed YAML")
INPUT_YAML_TAG: Final = _code(
    "input.yaml-tag", "A YAML tag (`!!python/…`, `!custom`): tags are refused, nothing runs")
INPUT_YAML_ALIAS: Final = _code(
    "input.yaml-alias", "A YAML alias (`*name`): aliases are refused, write the value out")
INPUT_DUPLICATE_KEY: Final = _code("input.duplicate-key", "A JSON or YAML mapping has the same key twice")
INPUT_NOT_A_NUMBER: Final = _code("input.not-a-number", "JSON with NaN or Infinity, which are not numbers")
INPUT_TOO_DEEP: Final = _code("input.too-deep", "A document nested deeper than the depth limit")
INPUT_DECISION: Final = _code(
    "input.decision", "A line of a decisions JSONL (`report`) that is neither a decision nor an error record")
INPUT_NOT_JSONL: Final = _code(
    "input.not-jsonl", "A decisions JSONL (`report`) that is one JSON document over several lines instead of one decision a line")
INPUT_GROUPS: Final = _code(
    "input.groups", "A `--groups` CSV without a candidate_id column, with a repeated id, or a row of the wrong length")
INPUT_HUGE_NUMBER: Final = _code("input.huge-number", "A whole number with more digits than Python reads or prints")
INPUT_UNSUPPORTED_VALUE: Final = _code(
    "input.unsupported-value", "A value that is not JSON-like data (bytes or YAML `!!binary`, a set, an object)")
INPUT_SELF_REFERENCE: Final = _code("input.self-reference", "Data handed to the library contains itself")

# -- packet: a packet read but not valid ----------------------------------------------------------

PACKET_INVALID: Final = _code(
    "packet.invalid", "An invalid packet with no more specific code (the generic packet error)")
PACKET_SHAPE: Final = _code("packet.shape", "A packet is not a mapping of fields (a list, a number, text)")
PACKET_MISSING: Final = _code("packet.missing", "A required field is absent")
PACKET_FLOAT_TYPE: Final = _code("packet.float-type", "A number field holds something else (a quoted number, `true`)")
PACKET_INT_TYPE: Final = _code("packet.int-type", "A count or rating holds something other than a whole number")
PACKET_BOOL_TYPE: Final = _code("packet.bool-type", "A true/false field holds something else (`1`, `\"yes\"`)")
PACKET_STRING_TYPE: Final = _code("packet.string-type", "A text or name field holds something other than text")
PACKET_STRING_TOO_SHORT: Final = _code("packet.string-too-short", "A name or id is empty")
PACKET_STRING_TOO_LONG: Final = _code("packet.string-too-long", "A text or name field is over its length limit")
PACKET_LIST_TYPE: Final = _code("packet.list-type", "A list field holds something other than a list")
PACKET_MODEL_TYPE: Final = _code("packet.model-type", "A section or list item is not a mapping of fields")
PACKET_LITERAL_ERROR: Final = _code("packet.literal-error", "A value is not one of its field's allowed values")
PACKET_GREATER_THAN_EQUAL: Final = _code("packet.greater-than-equal", "A number is below its field's minimum")
PACKET_LESS_THAN_EQUAL: Final = _code("packet.less-than-equal", "A number is above its field's maximum")
PACKET_FINITE_NUMBER: Final = _code("packet.finite-number", "A number is NaN or infinite")
PACKET_DATE_FORMAT: Final = _code("packet.date-format", "A date is not written YYYY-MM-DD")
PACKET_DATE_VALUE: Final = _code("packet.date-value", "A date written YYYY-MM-DD is not a calendar date")
PACKET_DATE_OUT_OF_RANGE: Final = _code("packet.date-out-of-range", "A date before 1900-01-01 or after 2999-12-31")
PACKET_END_BEFORE_START: Final = _code("packet.end-before-start", "A review period ends before it starts")
PACKET_MORE_THAN_DIRECT_REPORTS: Final = _code(
    "packet.more-than-direct-reports", "`pm_reports` or `manager_reports` is more than `direct_reports`")
PACKET_MORE_THAN_PROFESSIONAL_YEARS: Final = _code(
    "packet.more-than-professional-years",
    "`product_years` or `people_management_years` is more than `professional_years`, which includes them")
PACKET_FUTURE_DATE: Final = _code(
    "packet.future-date", "`experience.current_level_since` is after the date the decision is measured to")
PACKET_UNKNOWN_FIELD: Final = _code(
    "packet.unknown-field", "A field the packet does not have, close to one it has (a warning; an error with --strict)")
PACKET_UNDECLARED_EVIDENCE: Final = _code(
    "packet.undeclared-evidence", "A key of the packet's `evidence:` section that its ladder does not declare")
PACKET_UNKNOWN_LEVEL: Final = _code("packet.unknown-level", "A level or title name is not in the ladder")
PACKET_LADDER_MISMATCH: Final = _code("packet.ladder-mismatch", "The packet's ladder is not the one evaluating it")
PACKET_LADDER_NOT_ALLOWED: Final = _code(
    "packet.ladder-not-allowed", "The packet's `ladder` is a path outside the folders the evaluator may read")
PACKET_NO_TRANSITION: Final = _code(
    "packet.no-transition", "The ladder has no step from the current level (to the target)")
PACKET_TRACK_MISMATCH: Final = _code(
    "packet.track-mismatch", "The step to `target_level` is on another track than `track`")
PACKET_AMBIGUOUS_TARGET: Final = _code(
    "packet.ambiguous-target", "The current level has several next levels: `target_level` or `track` must choose")

# -- ladder: finding and checking a ladder --------------------------------------------------------

LADDER_INVALID: Final = _code(
    "ladder.invalid", "An invalid ladder with no more specific code (the generic ladder error)")
LADDER_NOT_FOUND: Final = _code(
    "ladder.not-found", "No such ladder file, folder or bundled ladder id", http_status=404)
LADDER_NOT_A_LADDER: Final = _code(
    "ladder.not-a-ladder", "A path that is neither a ladder folder nor its `ladder.yaml`", http_status=404)
LADDER_SHAPE: Final = _code("ladder.shape", "A ladder file has the wrong shape: an unknown, missing or mistyped key")
LADDER_NO_TRANSITIONS: Final = _code("ladder.no-transitions", "A ladder folder has no transition files")
LADDER_RESERVED_ID: Final = _code("ladder.reserved-id", "A level or title uses an id reserved for relative levels")
LADDER_DUPLICATE_ID: Final = _code("ladder.duplicate-id", "Two levels, titles or criteria share an id")
LADDER_ALIAS_CLASH: Final = _code("ladder.alias-clash", "One name (an id or alias) means two levels")
LADDER_BAD_LEVEL: Final = _code("ladder.bad-level", "A level is written as something other than a name")
LADDER_UNKNOWN_LEVEL: Final = _code("ladder.unknown-level", "A level or title name the ladder does not define")
LADDER_UNKNOWN_FIELD: Final = _code("ladder.unknown-field", "A measure names a field the packet does not have")
LADDER_FREE_TEXT: Final = _code("ladder.free-text", "A measure reads free text, which no rule may read")
LADDER_FIELD_KIND: Final = _code("ladder.field-kind", "A measure names a field of the wrong kind for it")
LADDER_UNKNOWN_OPERATOR: Final = _code("ladder.unknown-operator", "A `where` test uses an unknown operator")
LADDER_BAD_OPERATOR: Final = _code("ladder.bad-operator", "An operator that does not apply to the value compared")
LADDER_BAD_OPERAND: Final = _code("ladder.bad-operand", "A value compared with does not fit the measure")
LADDER_UNKNOWN_MEASURE: Final = _code(
    "ladder.unknown-measure", "A condition names a measure the ladder does not declare")
LADDER_UNUSED_MEASURE: Final = _code("ladder.unused-measure", "A declared measure that no criterion uses")
LADDER_ALIAS_IN_TRANSITION: Final = _code(
    "ladder.alias-in-transition", "A transition names a level by an alias instead of its id")
LADDER_RANK_NOT_RISING: Final = _code("ladder.rank-not-rising", "A transition's target level is not above its start")
LADDER_TRACK: Final = _code("ladder.track", "A transition's target level is not on the transition's track")
LADDER_DUPLICATE_TRANSITION: Final = _code("ladder.duplicate-transition", "Two files define the same transition")
LADDER_SUPPORTING_QUOTA: Final = _code(
    "ladder.supporting-quota", "A transition needs more supporting criteria than it has")
LADDER_UNKNOWN_GROUP: Final = _code(
    "ladder.unknown-group", "A criterion names a supporting group the transition does not declare, or a required "
                            "criterion names one")
LADDER_TOO_COMPLEX: Final = _code("ladder.too-complex", "Criteria that compile to more engine rules than the limit")
LADDER_NEVER_PASSES: Final = _code(
    "ladder.never-passes", "A comparison or `where` test that no packet can satisfy: a bar beyond every value "
                           "its measure can take, tests of one measure that contradict, an empty date window")
LADDER_PLACEHOLDER: Final = _code(
    "ladder.placeholder", "A `{…}` in a title or text that would be shown as written: only a measure's title "
                          "replaces {current} and {target}")
LADDER_NOT_A_TRANSITION: Final = _code(
    "ladder.not-a-transition", "A YAML file in a ladder folder that is not a transition (every one beside "
                               "ladder.yaml is read as one)")
LADDER_FILE_NAME: Final = _code(
    "ladder.file-name", "A transition file not named after the transition it defines (<from>-to-<to>.yaml)")
LADDER_UNREACHABLE: Final = _code("ladder.unreachable", "A level no transition leads to from the lowest level")
LADDER_UNKNOWN_SOURCE: Final = _code(
    "ladder.unknown-source", "A criterion cites a source that ladder.yaml's `sources:` does not declare")
LADDER_UNUSED_SOURCE: Final = _code("ladder.unused-source", "A source declared in ladder.yaml that no criterion cites")
LADDER_BAD_NAME: Final = _code(
    "ladder.bad-name", "A declared scale, evidence field or record field has a name that is not lowercase words")
LADDER_PROTECTED_ATTRIBUTE: Final = _code(
    "ladder.protected-attribute", "A ladder declares evidence that names a person or a demographic attribute, which "
                                  "no rule may read")
LADDER_UNKNOWN_SCALE: Final = _code("ladder.unknown-scale", "A declared rating names a scale ladder.yaml does not declare")
LADDER_MEASURE_CYCLE: Final = _code(
    "ladder.measure-cycle", "A `sum_of` or `weighted_mean` measure that includes itself, directly or through others")
LADDER_EXAMPLE: Final = _code("ladder.example", "A ladder's example file has the wrong shape")

# -- usage: options and arguments -----------------------------------------------------------------

USAGE_INVALID: Final = _code("usage.invalid", "A usage error with no more specific code (the generic usage error)")
USAGE_DATE: Final = _code("usage.date", "A date option (`--as-of`, `--before`) is not written YYYY-MM-DD, or is "
                          "past what it may be (`cycles prune --before` a date in the future)")
USAGE_SET: Final = _code("usage.set", "A `--set` change is not `PATH=VALUE` or `PATH+=VALUE`, or cannot apply")
USAGE_TRANSITION: Final = _code("usage.transition", "The ladder has no transition of that name", http_status=404)
USAGE_TIMEOUT: Final = _code("usage.timeout", "`--timeout` is out of its range")
USAGE_RESUME: Final = _code(
    "usage.resume", "`--resume` without `--out FILE` or `--cycle` (with a store) to resume")
USAGE_SUMMARY: Final = _code("usage.summary", "`--summary` cannot be written where asked")
USAGE_OUT: Final = _code("usage.out", "`--out` cannot be written where asked")
USAGE_OUT_IS_INPUT: Final = _code(
    "usage.out-is-input", "An output file (`--out`, `--summary`) is one of the inputs, or the other output")
USAGE_OUT_LOCKED: Final = _code("usage.out-locked", "Another run (`batch`, `report`) is writing the same output file", http_status=409)
USAGE_MIN_GROUP: Final = _code("usage.min-group", "`--min-group` is below 3, the smallest group a report may show")
USAGE_BIND: Final = _code(
    "usage.bind", "`serve` asked to listen on a non-loopback address without bearer tokens configured")
USAGE_TOKENS: Final = _code("usage.tokens", "`serve`'s tokens (file or environment) cannot be read or are malformed")
USAGE_SERVE: Final = _code("usage.serve", "A `serve` setting (flag or `PROMOREADY_…` variable) is out of its range")

# -- service: HTTP requests -----------------------------------------------------------------------

SERVICE_INVALID: Final = _code("service.invalid", "A request the service refuses with no more specific code")
SERVICE_UNAUTHORIZED: Final = _code(
    "service.unauthorized", "No bearer token, or one that matches no configured token", http_status=401)
SERVICE_CONTENT_TYPE: Final = _code(
    "service.content-type", "A request body of a content type the endpoint does not read", http_status=415)
SERVICE_PARAMETER: Final = _code("service.parameter", "A query or path parameter of the wrong form")
SERVICE_NOT_FOUND: Final = _code("service.not-found", "No such endpoint", http_status=404)
SERVICE_METHOD: Final = _code("service.method", "An endpoint that does not answer this HTTP method", http_status=405)
SERVICE_LADDER_CHANGED: Final = _code(
    "service.ladder-changed", "A ladder's files changed while the service ran: a new worker will not serve another ladder")
SERVICE_TIMEOUT: Final = _code("service.timeout", "A request took longer than the service's timeout", http_status=503)
SERVICE_BUSY: Final = _code(
    "service.busy", "A request refused at once: the worker's threads for slow bodies (YAML, large JSON, batches) "
    "and their queue were full; try again after `Retry-After` seconds", http_status=503)
SERVICE_TOO_MANY_ITEMS: Final = _code(
    "service.too-many-items", "A batch request with more items than the service's limit", http_status=413)
SERVICE_NO_STORE: Final = _code(
    "service.no-store", "Decisions are not kept: the service was started without a decision store (`--db`)",
    http_status=404)
USAGE_DB: Final = _code(
    "usage.db", "`--db` cannot be used: not a database URL or file, a driver missing, a server that cannot be reached, "
    "or a database that is not a promoready store")
USAGE_DB_SCHEMA: Final = _code(
    "usage.db-schema", "The store's schema is older or newer than this promoready's (the message says what to run)",
    http_status=409)
USAGE_DB_FAILED: Final = _code(
    "usage.db-failed", "The store failed while reading or writing (a lost connection, a full disk); what was "
    "committed is kept")
USAGE_CYCLE: Final = _code("usage.cycle", "No cycle of that name or id in the store", http_status=404)
USAGE_CYCLE_EXISTS: Final = _code(
    "usage.cycle-exists", "`--cycle` names a cycle already in the store: `--resume` completes it, or choose "
    "another name (for the HTTP service's decision log, another name only)", http_status=409)
USAGE_CYCLE_SETTINGS: Final = _code(
    "usage.cycle-settings", "`--resume` of a cycle (or `serve --cycle`) with other `--store-packets`/`--mask` settings "
    "than it was started with", http_status=409)
USAGE_STORE_OPTIONS: Final = _code(
    "usage.store-options", "A store option (`--cycle`, `--db`, `--store-packets`, `--mask`, `--compare-cycle`) without "
    "what it needs, or beside what it excludes (a report reads a DECISIONS.jsonl or a `--cycle`)")
USAGE_DECISION: Final = _code(
    "usage.decision", "No decision of that id, or of that candidate in that cycle, in the store", http_status=404)
USAGE_CANDIDATE: Final = _code("usage.candidate", "No decision of that candidate id in the store", http_status=404)
USAGE_MASK: Final = _code("usage.mask", "A `--mask` is not a JSON Pointer into `/packet` or `/decision`")

# -- engine: internal faults ----------------------------------------------------------------------

ENGINE_INTERNAL: Final = _code("engine.internal", "An unexpected internal error (the generic engine error)")
ENGINE_UNKNOWN: Final = _code("engine.unknown", "The rules engine failed without an error code")
ENGINE_BUILD: Final = _code(
    "engine.build", "durable-rules was built without the fix Python 3.13 needs (the message says how to rebuild it)")
ENGINE_UNLISTED_CODE: Final = _code(
    "engine.unlisted-code", "The rules engine failed with an error code not listed here (it is in the message)")
ENGINE_101: Final = _code("engine.101", "The rules engine ran out of memory")
ENGINE_102: Final = _code("engine.102", "The rules engine hit an internal limit")
ENGINE_201: Final = _code("engine.201", "The rules engine could not parse its input")
ENGINE_202: Final = _code("engine.202", "The rules engine could not parse a rule")
ENGINE_204: Final = _code("engine.204", "The rules engine met a number it cannot read (exponent notation)")
ENGINE_209: Final = _code("engine.209", "The rules engine met an unexpected value type")
ENGINE_303: Final = _code("engine.303", "A rule has more matching conditions than the engine allows (64)")
ENGINE_304: Final = _code("engine.304", "The rules engine met an unsupported operator")
ENGINE_AMBIGUOUS: Final = _code("engine.ambiguous", "The engine decided one criterion twice")
ENGINE_UNDECIDED: Final = _code("engine.undecided", "The engine left a criterion undecided")
ENGINE_VERDICT: Final = _code("engine.verdict", "The engine gave no verdict, or more than one")
ENGINE_BATCH: Final = _code("engine.batch", "A batch's own machinery failed (spool files, starting a worker)")
ENGINE_WORKER_START: Final = _code(
    "engine.worker-start", "Batch worker processes keep dying while starting, or their fork server died twice")
ENGINE_WORKER_CRASHED: Final = _code(
    "engine.worker-crashed", "A batch worker died on a packet (that packet's error record; the batch goes on)")
ENGINE_TIMEOUT: Final = _code(
    "engine.timeout", "A batch worker spent longer than `--timeout` on a packet (that packet's error record)")


# -- system: resources the system refused ---------------------------------------------------------

SYSTEM_IO: Final = _code("system.io", "Writing or reading failed in the system (an I/O error; the generic system error)")
SYSTEM_DISK_FULL: Final = _code("system.disk-full", "The disk (or the quota) is full", http_status=507)
SYSTEM_FILE_SIZE_LIMIT: Final = _code(
    "system.file-size-limit", "A file reached the size limit of the process (`ulimit -f`)", http_status=507)
SYSTEM_STORE_UNAVAILABLE: Final = _code(
    "system.store-unavailable", "The store's database server cannot be reached, or the connection to it was lost "
    "(what was committed is kept; run again once it is back)")


#: pydantic's error type → the packet code it is reported as; a type not listed is ``PACKET_INVALID``.
#: Types that name one mistake share a code (model_type, dict_type, model_attributes_type: not a mapping).
PYDANTIC_PACKET_CODES: Final[Mapping[str, str]] = MappingProxyType({
    "missing": PACKET_MISSING,
    "float_type": PACKET_FLOAT_TYPE,
    "int_type": PACKET_INT_TYPE,
    "int_from_float": PACKET_INT_TYPE,
    "int_parsing_size": PACKET_LESS_THAN_EQUAL,
    "bool_type": PACKET_BOOL_TYPE,
    "string_type": PACKET_STRING_TYPE,
    "string_too_short": PACKET_STRING_TOO_SHORT,
    "string_too_long": PACKET_STRING_TOO_LONG,
    "list_type": PACKET_LIST_TYPE,
    "model_type": PACKET_MODEL_TYPE,
    "model_attributes_type": PACKET_MODEL_TYPE,
    "dict_type": PACKET_MODEL_TYPE,
    "literal_error": PACKET_LITERAL_ERROR,
    "greater_than_equal": PACKET_GREATER_THAN_EQUAL,
    "less_than_equal": PACKET_LESS_THAN_EQUAL,
    "finite_number": PACKET_FINITE_NUMBER,
    # Our own PydanticCustomError types (schemas/).
    "date_format": PACKET_DATE_FORMAT,
    "date_value": PACKET_DATE_VALUE,
    "date_out_of_range": PACKET_DATE_OUT_OF_RANGE,
    "end_before_start": PACKET_END_BEFORE_START,
    "more_than_direct_reports": PACKET_MORE_THAN_DIRECT_REPORTS,
    "more_than_professional_years": PACKET_MORE_THAN_PROFESSIONAL_YEARS,
})

#: durable-rules' numeric error codes → ours (``engine._durable.ENGINE_CODES`` has them in words).
DURABLE_CODES: Final[Mapping[int, str]] = MappingProxyType({
    101: ENGINE_101,
    102: ENGINE_102,
    201: ENGINE_201,
    202: ENGINE_202,
    204: ENGINE_204,
    209: ENGINE_209,
    303: ENGINE_303,
    304: ENGINE_304,
})
