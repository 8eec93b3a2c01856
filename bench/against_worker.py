"""One side of ``bench/run.py --against``: a promoready install evaluating packets on command.

Run by the Python of an install (this checkout's, or another commit's in a temporary venv); it
imports only the standard library and promoready's public engine names that every version since the
first benchmark has had (``Evaluator``, ``load_ladder``, ``parse``), so the same script drives both;
a version whose ``Evaluator`` reads JSON text itself (``evaluate_json``) is given the text.

Protocol (one JSON document a line): started as ``python against_worker.py PACKETS [LADDER]`` (a file
with one packet's JSON text a line; the ladder folder to use, else the install's default ladder), it evaluates every packet once (the warm-up) and prints ``{"ready": ...}``
with, for each packet, the SHA-256 of its decision's JSON (null if that version refused it). Then for
each ``{"round": [i, j, ...]}`` on stdin it evaluates those packets, in order, and prints the CPU and
wall seconds they took; ``{"quit": true}`` or the end of stdin ends it.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time


def main() -> int:
    from promoready.engine import Evaluator, load_ladder

    try:
        from promoready.engine import parse
    except ImportError:  # older layouts: the documents module itself
        from promoready.engine._documents import parse  # type: ignore[no-redef]

    with open(sys.argv[1], encoding="utf-8") as fh:
        texts = [line.rstrip("\n") for line in fh if line.strip()]
    evaluator = Evaluator(load_ladder(sys.argv[2] if len(sys.argv) > 2 else None))
    evaluate = evaluator.evaluate
    evaluate_json = getattr(evaluator, "evaluate_json", None)

    def run(text: str) -> str:
        # JSON text to decision JSON by each version's own way of reading a packet's text: the
        # text API where the version has one, else its document parser and ``evaluate`` on the data.
        if evaluate_json is not None:
            return evaluate_json(text, source="<bench>.json").to_json()
        return evaluate(parse(text, "<bench>.json")).to_json()

    digests = []
    for text in texts:
        try:
            digests.append(hashlib.sha256(run(text).encode("utf-8")).hexdigest())
        except Exception:  # this version refuses the packet: left out of the rounds by the controller
            digests.append(None)
    import promoready

    print(json.dumps({"ready": True, "digests": digests, "ladder_digest": evaluator.digest,
                      "module": promoready.__file__}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if command.get("quit"):
            break
        chosen = [texts[i] for i in command["round"]]
        wall, cpu = time.perf_counter(), time.process_time()
        for text in chosen:
            run(text)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(json.dumps({"cpu": cpu, "wall": wall, "n": len(chosen)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
