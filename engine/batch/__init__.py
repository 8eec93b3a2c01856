"""Evaluating many packets: streaming inputs, ordered results, crash-isolated worker processes.

Inputs stream (``iter_items``, in ``inputs``): files, folders (recursive, sorted), ``.jsonl`` files
and stdin, one ``Item`` at a time; nothing holds the whole batch. ``run`` (``runner``) turns items
into ``Result``s (``records``) in input order, and a pool asked to (``chunked``) hands back the
decisions of a whole chunk as one ``Chunk``: their records in one piece and what they add to the
summary (``summary.Part``), so that the coordinating process does little for each packet:

- one worker: evaluated in this process, one item after another (``evaluate.process``);
- more: a pool of worker processes of its own (``pool``; not ``concurrent.futures``, whose pool dies
  as a whole when one worker dies). Each worker (``worker``) builds its evaluation function at
  start-up with the factory (``evaluation_factory``: the ladder registry's; evaluators hold engine
  handles and closures and cannot be pickled) and talks to this process over one pipe (plain
  ``Connection.send``: no feeder thread that could lose a result when the process dies). Items go
  in chunks of up to ``CHUNK``; the packet texts and the records travel through two small
  memory-backed files per direction (``_ipc.Spools``), the pipe carries only the rest. A worker
  holds at most two chunks, the one it evaluates and the next, and answers in order, so when it
  dies inside the C engine this process knows which chunk it was on: that chunk's packets are
  evaluated again one at a time (alone, a crash names its packet, which gets an
  ``engine.worker-crashed`` error record), the chunk sent ahead goes to another worker, the worker
  is replaced, and the batch goes on. A worker notes which packet it starts and when; one stuck on
  a packet for longer than the timeout is stopped the same way, and that packet gets an
  ``engine.timeout`` error record. At most ``window`` items are between being read and being
  handed back in order (a stream, read by a thread of its own (``feed``), has up to as many again
  in that thread's buffer), so memory stays flat however many packets stream through.

``Keeper`` (``resume``) reads the output of an interrupted run for ``--resume``: decisions already
made are copied verbatim instead of being evaluated again.

Importing this package imports neither pydantic nor the compiler: a pool's coordinating process
never needs them (the evaluation function is built, and packets validated, where they are evaluated).
"""

from __future__ import annotations

from .evaluate import CRASH_ENV, FILES_FULL_ENV, HANG_ENV, evaluation_factory, process
from .inputs import PACKET_SUFFIXES, STDIN_NAME, Item, count_items, folder_packets, iter_items
from .pool import CHUNK, CHUNK_BYTES, WINDOW
from .records import Chunk, Config, Evaluate, Handed, Result, ResumeKey, crash_result, error_dict, error_result
from .resume import Keeper, resume_key
from .runner import DEFAULT_TIMEOUT, MAX_TIMEOUT, Results, run, uses_pool
from .worker import Factory

__all__ = [
    "CHUNK",
    "CHUNK_BYTES",
    "CRASH_ENV",
    "FILES_FULL_ENV",
    "Chunk",
    "Config",
    "DEFAULT_TIMEOUT",
    "Evaluate",
    "Factory",
    "HANG_ENV",
    "Handed",
    "Item",
    "Keeper",
    "MAX_TIMEOUT",
    "PACKET_SUFFIXES",
    "Result",
    "Results",
    "ResumeKey",
    "STDIN_NAME",
    "WINDOW",
    "count_items",
    "crash_result",
    "error_dict",
    "error_result",
    "evaluation_factory",
    "folder_packets",
    "iter_items",
    "process",
    "resume_key",
    "run",
    "uses_pool",
]
