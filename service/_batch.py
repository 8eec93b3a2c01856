"""``POST /v1/evaluate/batch``: NDJSON in, NDJSON out, streamed.

Each request line is ``{"id": "...", "packet": {...}}`` (or a bare packet, whose answer has a null id;
an object with no key of a packet but an ``id`` or a key close to ``packet`` is an item too, so that a
misspelt ``packet`` is named as such);
each answer line carries the caller's id as it was given (text, or a whole number), the request line it
answers, and either a decision with its own ``decision_id`` or a problem detail. A bad line is answered
in its own line and the stream goes on. Lines are read as they arrive and answered as they are
evaluated, so neither side holds the whole batch. Over the item limit or the request timeout, a last
problem line says so and the stream ends. A body with no item at all (empty, or blank lines only) is a
400 ``input.empty``, before any answer line.

Where a line is read. A line of up to 64 KiB (``INLINE_BYTES``) usually takes well under a millisecond:
it is read and evaluated on the event loop, which lets other requests in between lines, as cheaper than a
thread (a thread costs the loop up to the interpreter's 5 ms switch interval each time it wakes while the
thread runs). But a legal line under 64 KiB can take 10 to 30 ms (thousands of nested lists), and a batch
may be a thousand of them: once ``SLOW_IN_A_ROW`` lines in a row have each taken more than ``SLOW_LINE`` of
the loop's CPU time, the rest of the batch is read in the worker's pool for slow bodies (``_slow``), in
pieces (what has arrived, at most ``PIECE_LINES`` lines or the lines reaching ``PIECE_BYTES``), one at a
time, so that the answers still stream and the timeout is checked between lines. A longer line is always
read there. Each piece takes a place in the pool as any slow body does; when there is none, slow small
lines are read on the loop as before, and a long line is answered 503 ``service.busy`` in its own line
(the stream goes on).
"""

from __future__ import annotations

import asyncio
import datetime
import json
import time
import traceback
from functools import partial
from typing import Any, AsyncIterator, Optional, Union

from fastapi import APIRouter, Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from promoready.engine import errors
from promoready.engine.errors import PromoreadyError, ServiceError
from promoready.schemas.packet import Packet, PacketDate

from ._engine import Engine, Evaluated, provenance_json, unexpected
from ._metrics import Metrics
from ._middleware import ERROR_LOG
from ._models import BatchLine
from ._problems import problem, reroot, responses
from ._routes import AS_OF, INLINE_BYTES, in_time, late, ok, services

router = APIRouter()

NDJSON = "application/x-ndjson"
_NDJSON_TYPES = (NDJSON, "application/jsonl", "application/x-jsonlines", "application/json-lines")
#: A piece of a batch handed to a thread at once: at most this many lines...
PIECE_LINES = 64
#: ...or the lines that reach this many bytes (a longer line is a piece alone).
PIECE_BYTES = 256 * 1024
#: A line that took more of the loop's CPU time than this, in seconds, is slow (the GIL's switch interval)...
SLOW_LINE = 0.005
#: ...and after this many slow lines in a row, the rest of the batch is read in the pool for slow bodies.
SLOW_IN_A_ROW = 2

#: An item's id as the caller gave it (text or a whole number), or None.
ItemId = Union[str, int, None]
Lines = list[tuple[int, Optional[bytes]]]


class _Stream(StreamingResponse):
    """A streaming response that does not read the request while it writes: the body is the request
    stream being read (Starlette's own class would race the handler for ``receive`` messages)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.stream_response(send)


async def _lines(request: Request, limit: int) -> AsyncIterator[Lines]:
    """The lines each chunk of the body completes, as it arrives: (line number, line), None for a line over
    ``limit`` bytes (skipped). A line is copied once, however many chunks it came in."""
    parts: list[bytes] = []  # the line being read, as it came
    size = 0
    number = 0
    oversized = False
    async for chunk in request.stream():
        done: Lines = []
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            number += 1
            size += end - start
            if oversized or size > limit:
                done.append((number, None))
            else:
                done.append((number, b"".join((*parts, chunk[start:end]))))
            parts, size, oversized = [], 0, False
            start = end + 1
        if start < len(chunk) and not oversized:
            size += len(chunk) - start
            if size > limit:
                oversized, parts = True, []
            else:
                parts.append(chunk[start:])
        if done:
            yield done
    if parts or oversized:
        yield [(number + 1, None if oversized else b"".join(parts))]


def _blank(line: bytes) -> bool:
    return not line or line.isspace()


async def _pieces(arrivals: AsyncIterator[Lines],
                  max_items: int) -> AsyncIterator[tuple[str, int, list[tuple[int, bytes]]]]:
    """What to answer, in the order of the lines: ``("lines", first line number, lines)``, a piece of the
    lines that have arrived (``PIECE_LINES``, ``PIECE_BYTES``); ``("too-large", number, [])`` for a line over
    the limit; ``("too-many", number, [])`` for the first item past ``max_items``, the last. Blank lines are
    left out."""
    count = 0
    async for arrived in arrivals:
        piece: list[tuple[int, bytes]] = []
        size = 0
        for number, line in arrived:
            if line is not None and _blank(line):
                continue
            if line is not None:
                count += 1
            if line is None or count > max_items:
                if piece:
                    yield "lines", piece[0][0], piece
                    piece, size = [], 0
                yield ("too-large" if line is None else "too-many"), number, []
                if line is None:
                    continue
                return
            piece.append((number, line))
            size += len(line)
            if len(piece) >= PIECE_LINES or size >= PIECE_BYTES:
                yield "lines", piece[0][0], piece
                piece, size = [], 0
        if piece:  # what has arrived is answered now, not once more lines come
            yield "lines", piece[0][0], piece


#: The keys of a packet: an object with one of them is a bare packet, not an item.
_PACKET_KEYS = frozenset(Packet.model_fields)
_ITEM_KEYS = ("id", "packet")


def _is_item(data: Any) -> bool:
    """Whether a line's object is an item ``{"id": …, "packet": {…}}`` rather than a bare packet: it has
    ``packet``, or no key of a packet and an ``id`` or a key close to ``packet`` (``pakcet``), so that a
    misspelt item is answered as one, its id kept, not as a packet missing its candidate."""
    if not isinstance(data, dict):
        return False
    if "packet" in data:
        return True
    if any(key in _PACKET_KEYS for key in data):
        return False
    return "id" in data or any(errors.closest(str(key), ("packet",)) for key in data)


#: The longest text id of an item (characters): a longer one is refused, never echoed cut short.
MAX_ID = 200


def _id_of(data: Any) -> ItemId:
    """The caller's id of an item, when it has a usable one, as it was given: text (of up to ``MAX_ID``
    characters), or a whole number, echoed as a number (a client keys its items by what it sent)."""
    if _is_item(data):
        raw_id = data.get("id")
        if isinstance(raw_id, str):
            return raw_id if len(raw_id) <= MAX_ID else None
        if isinstance(raw_id, int) and not isinstance(raw_id, bool):
            return raw_id
    return None


def _refused(line: bytes) -> tuple[bool, ItemId]:
    """Whether a line the careful reading refused (a repeated key, NaN, a lone surrogate, a value too deep
    inside its packet) is an item, and its caller's id, when the line is still JSON and its id is plain:
    echoed so the caller can match the problem to its item, as it can for a packet refused later. No id
    when the line is not JSON at all, when ``id`` is given twice (which one would be a guess), or when the
    id itself is not clean text (a lone surrogate cannot be written back)."""
    ids: list[Any] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        ids[:] = [v for k, v in items if k == "id"]  # the outermost object is the last one read
        return dict(items)

    try:
        data = json.loads(line.decode("utf-8"), object_pairs_hook=pairs)  # bytes: json would guess UTF-16 too
    except (ValueError, RecursionError):
        return False, None
    item_id = _id_of(data) if len(ids) <= 1 else None
    try:
        if isinstance(item_id, str):
            item_id.encode("utf-8")
    except UnicodeEncodeError:
        item_id = None
    return _is_item(data), item_id


def _packet_of(data: Any) -> Any:
    """The packet of an item ``{"id": …, "packet": {…}}``, or the line itself when it is a bare packet."""
    if not _is_item(data):
        return data
    raw_id = data.get("id")
    if isinstance(raw_id, str) and len(raw_id) > MAX_ID:
        raise ServiceError(f"an item's id is at most {MAX_ID} characters, got {len(raw_id):,}",
                           code=errors.SERVICE_INVALID, path="id")
    if raw_id is not None and _id_of(data) is None:
        raise ServiceError(f"an item's id is text or a whole number, got {json.dumps(raw_id)[:100]}",
                           code=errors.SERVICE_INVALID, path="id")
    extra = [k for k in data if k not in _ITEM_KEYS]
    if extra:
        name = str(extra[0])[:100]
        suggestion = errors.closest(name, _ITEM_KEYS)
        shape = "" if suggestion else " (an item is {\"id\": …, \"packet\": {…}})"
        raise ServiceError(f"unknown field '{name}'{shape}", code=errors.SERVICE_INVALID, path=name,
                           suggestion=suggestion)
    if "packet" not in data:
        raise ServiceError("is required (an item is {\"id\": …, \"packet\": {…}})", code=errors.SERVICE_INVALID,
                           path="packet")
    return data["packet"]


def _problem_line(exc: PromoreadyError, number: int, item_id: ItemId, metrics: Metrics,
                  request: Request) -> bytes:
    metrics.problem(exc.code)
    request.scope["state"].setdefault("codes", []).append(exc.code)
    detail = problem(exc, line=number)
    out = {"id": item_id, "line": number, "status": detail["status"], "problem": detail}
    return json.dumps(out, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _decide(engine: Engine, line: bytes, number: int, as_of: Optional[datetime.date],
            request: Request) -> tuple[ItemId, "Evaluated | Exception", Any]:
    """(the item's id, its decision or the error met, its packet): a line's reading and evaluating, with
    nothing recorded, so that it may run in a thread; past the request's deadline it is not evaluated (the
    error met is then ``service.timeout``, see ``_ran_out``)."""
    item_id: ItemId = None
    try:
        try:
            data, source = engine.parse(line, "json", source=f"batch line {number}")
        except PromoreadyError as exc:
            is_item, item_id = _refused(line)
            if is_item:
                reroot(exc, "packet", "")  # inside the item's packet, as validation names it
            raise
        item_id = _id_of(data)
        packet = _packet_of(data)
        loaded = engine.load(packet, source)
        in_time(request)
        return item_id, engine.evaluate(loaded, as_of), packet
    except Exception as exc:  # one item's fault never ends the stream
        return item_id, exc, None


def _ran_out(result: "Evaluated | Exception") -> bool:
    """Whether a line was not evaluated because the request's time ran out (``_decide``)."""
    return isinstance(result, ServiceError) and result.code == errors.SERVICE_TIMEOUT


Decided = list[tuple[int, ItemId, "Evaluated | Exception | None", Any]]


def _decide_piece(engine: Engine, piece: list[tuple[int, bytes]], as_of: Optional[datetime.date],
                  request: Request, out: Decided) -> Decided:
    """(line number, item id, decision or error, packet) for each line of a piece in turn, in a thread,
    appended to ``out`` as each is decided (the loop answers those decided when its wait for the piece
    ends at the deadline); a line the request's time ran out on, before it was evaluated, ends the list
    with a None decision."""
    for number, line in piece:
        item_id, result, packet = (None, None, None) if late(request) else _decide(engine, line, number, as_of, request)
        if result is None or _ran_out(result):
            out.append((number, item_id, None, None))
            break
        out.append((number, item_id, result, packet))
    return out


def _answer(metrics: Metrics, request: Request, number: int, item_id: ItemId,
            result: "Evaluated | Exception", packet: Any) -> bytes:
    """A line's answer, its decision recorded (metrics, the access log, the decision log)."""
    if isinstance(result, PromoreadyError):
        return _problem_line(result, number, item_id, metrics, request)
    if isinstance(result, Exception):
        ERROR_LOG.error("%s", json.dumps({"event": "internal-error", "path": request.url.path, "line": number,
                                          "error": type(result).__name__,
                                          "stack": traceback.format_tb(result.__traceback__)}))
        return _problem_line(unexpected(result), number, item_id, metrics, request)
    metrics.decision(result.decision.ladder.id, result.decision.verdict)
    request.scope["state"]["decision_ids"].append(result.decision_id)
    log = request.app.state.decision_log
    if log is not None:
        log.record(result, packet)
    head = json.dumps({"id": item_id, "line": number, "status": 200, "decision_id": result.decision_id},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    body = result.decision.to_json_bytes()  # the library's bytes, unchanged
    return head[:-1] + b',"decision":' + body + b',"provenance":' + provenance_json(result.evaluator) + b"}\n"


@router.post("/v1/evaluate/batch", response_class=_Stream, tags=["evaluate"],
             responses={**ok(BatchLine, NDJSON, "One answer line per request line, as they are evaluated"),
                        **responses(400, 401, 415, 500)},
             openapi_extra={"requestBody": {"required": True, "description": (
                 "One item per line: {\"id\": \"<your id>\", \"packet\": {…}} (or a bare packet)"),
                 "content": {NDJSON: {"schema": {"$ref": "#/components/schemas/BatchItem"}}}}})
async def batch(request: Request, as_of: Optional[PacketDate] = AS_OF) -> StreamingResponse:
    """Evaluate many packets: NDJSON in, one NDJSON answer line per item, streamed as they are decided."""
    engine, metrics = services(request)
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media not in _NDJSON_TYPES:
        raise ServiceError(f"cannot read a batch of type {media or 'none'!r}: send {NDJSON}",
                           code=errors.SERVICE_CONTENT_TYPE, path="Content-Type")
    settings = request.app.state.settings
    # Read up to the first item before answering: a body with none is a 400, as an empty /v1/evaluate is.
    stream = _lines(request, settings.max_body)
    ahead: Lines = []
    async for arrived in stream:
        ahead.extend(arrived)
        if any(line is None or not _blank(line) for _, line in arrived) or late(request):
            break
    else:
        raise errors.InputError("the batch holds no items (the body is empty, or blank lines only)",
                                code=errors.INPUT_EMPTY)
    pool = request.app.state.slow_bodies

    async def lines() -> AsyncIterator[Lines]:
        yield ahead
        async for arrived in stream:
            yield arrived

    def timed_out(number: int) -> bytes:
        return _problem_line(ServiceError(f"the batch took longer than {settings.timeout:g} s; lines from "
                                          f"{number} on were not evaluated", code=errors.SERVICE_TIMEOUT),
                             number, None, metrics, request)

    async def answers() -> AsyncIterator[bytes]:
        slow = 0  # lines in a row that took longer than SLOW_LINE on the loop
        async for kind, number, piece in _pieces(lines(), settings.max_batch_items):
            if late(request):
                yield timed_out(number)
                return
            if kind == "too-large":
                yield _problem_line(errors.InputError(f"the line is over the limit of {settings.max_body:,} bytes",
                                                      code=errors.INPUT_TOO_LARGE), number, None, metrics, request)
                continue
            if kind == "too-many":
                yield _problem_line(ServiceError(f"a batch holds at most {settings.max_batch_items} items; lines "
                                                 f"from {number} on were not evaluated",
                                                 code=errors.SERVICE_TOO_MANY_ITEMS), number, None, metrics, request)
                return
            at = 0
            while at < len(piece):
                number, line = piece[at]
                if at and late(request):
                    yield timed_out(number)
                    return
                to_pool = len(line) > INLINE_BYTES or slow >= SLOW_IN_A_ROW
                if to_pool:  # the rest of the piece once the batch is slow, else this long line alone
                    end = len(piece) if slow >= SLOW_IN_A_ROW else at + 1
                    so_far: Decided = []
                    try:
                        decided = await asyncio.wait_for(
                            pool.run(partial(_decide_piece, engine, piece[at:end], as_of, request, so_far)),
                            max(0.0, request.scope["state"]["deadline"] - time.monotonic()))
                    except asyncio.TimeoutError:  # the lines decided by now are answered, then the timeout
                        decided = so_far[:]  # (the thread stops before its next line: late())
                        if at + len(decided) < end and not (decided and decided[-1][2] is None):
                            decided.append((piece[at + len(decided)][0], None, None, None))
                    except ServiceError as busy:  # no place in the pool
                        if busy.code != errors.SERVICE_BUSY:
                            raise
                        if len(line) > INLINE_BYTES:
                            yield _problem_line(busy, number, None, metrics, request)
                            at += 1
                            continue
                        decided, to_pool = [], False  # a slow small line: on the loop, as before
                    for number, item_id, result, packet in decided:
                        if result is None:
                            yield timed_out(number)
                            return
                        yield _answer(metrics, request, number, item_id, result, packet)
                    at += len(decided)
                if not to_pool:  # on the loop, its CPU time measured
                    spent = time.thread_time()
                    item_id, result, packet = _decide(engine, line, number, as_of, request)
                    slow = slow + 1 if time.thread_time() - spent > SLOW_LINE else 0
                    if _ran_out(result):
                        yield timed_out(number)
                        return
                    yield _answer(metrics, request, number, item_id, result, packet)
                    at += 1
                    await asyncio.sleep(0)  # let health checks and other requests in between lines

    return _Stream(answers(), media_type=NDJSON)
