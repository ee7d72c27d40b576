"""Shared timing helper for the side-by-side benchmarks.

Each benchmark times this package and a named peer in the same process:
one warm-up call (JIT compilation, caches), then ``repeats`` timed calls, and
reports the median. Ratios are this-package / peer: below 1 means faster.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["print_table", "time_call"]


def time_call(
    fn: Callable[[], Any], repeats: int = 5, warmup: int = 1, settle: float = 0.0
) -> dict[str, Any]:
    """Time ``fn()``: ``warmup`` untimed calls, a pause of ``settle`` seconds, then
    ``repeats`` timed calls.

    The pause lets the worker threads of a multi-threaded BLAS that the
    previous case left spinning (OpenBLAS spins about 0.1 s after a call) go to
    sleep, so that they do not steal the core of the next case's timed calls.

    Returns
    -------
    dict
        ``median`` (seconds), ``runs`` (every timed run, seconds) and
        ``result`` (the last return value, to check agreement with the peer).
    """
    result = None
    for _ in range(warmup):
        result = fn()
    time.sleep(settle)
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return {"median": statistics.median(runs), "runs": runs, "result": result}


def print_table(rows: Sequence[Sequence[Any]], title: str = "") -> None:
    """Print rows of (case, this package [s], peer [s]) with the ratio column added."""
    header = ("case", "this package [s]", "peer [s]", "ratio (this/peer)")
    lines = [
        (str(case), f"{mine:.4g}", f"{peer:.4g}", f"{mine / peer:.3f}")
        for case, mine, peer, *_ in rows
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    if title:
        print(title)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
