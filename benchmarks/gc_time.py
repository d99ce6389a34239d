"""Run the eventfilter CLI and say how long Python's garbage collector took in it.

    python -m benchmarks.gc_time --db sqlite:///run.db replay events.jsonl --json

Every collection is timed through `gc.callbacks`; the totals per generation go
to standard error when the process ends (RESULTS.md, "The collector").
"""

from __future__ import annotations

import atexit
import gc
import runpy
import sys
import time
from typing import Any

counts = [0, 0, 0]
seconds = [0.0, 0.0, 0.0]
_started: dict[int, float] = {}


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    generation = info["generation"]
    if phase == "start":
        _started[generation] = time.perf_counter()
    else:
        counts[generation] += 1
        seconds[generation] += time.perf_counter() - _started[generation]


def _report() -> None:
    shown = ", ".join(f"generation {g}: {counts[g]} in {seconds[g]:.3f} s" for g in range(3))
    print(f"garbage collector: {sum(seconds):.3f} s ({shown})", file=sys.stderr)


if __name__ == "__main__":
    gc.callbacks.append(_on_collection)
    atexit.register(_report)
    sys.argv = ["eventfilter", *sys.argv[1:]]
    runpy.run_module("eventfilter", run_name="__main__")
