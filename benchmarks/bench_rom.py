"""ROM clustering against its peers, in one process, median of interleaved runs.

1. Pairwise sine dissimilarity of N snapshots of dimension N (a moving-front
   family) against scikit-learn's ``pairwise_distances(metric="cosine")``
   turned into a sine, ``sqrt(1 - (1 - d)^2)``; target: at least 2x faster
   (ratio <= 0.5) on numpy and numba, in float64. Ours streams: one block of
   rows of the Gram matrix at a time, written into the result, only the
   blocks on and above the diagonal. A float32 row (both sides on float32
   input) is reported separately. To show where the time goes, the script
   also times the Gram product alone (the normalized snapshots times their
   transpose, a BLAS symmetric rank-k update: ``N^2 * dim`` flops), which
   both sides must compute, and prints its rate and share.
2. k-medoids (k = 10) on that matrix against the ``kmedoids`` package's
   FasterPAM (one thread each); target: within 2x (ratio <= 2) with an
   equal or lower loss.

Run ``python benchmarks/bench_rom.py`` (2,000 x 2,000, 3 rounds) or
``python benchmarks/bench_rom.py --full`` (the issue's 10,000 x 10,000,
float64: 0.8 GB per matrix, several minutes). ``--n``, ``--dim`` and
``--repeats`` override. The load average is printed before and after, since
timings on a shared machine vary.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import kmedoids as peer_kmedoids
import numpy as np
from _timing import print_table
from sklearn.metrics import pairwise_distances

from solvers.rom import kmedoids, moving_front, sine_dissimilarity

BLOCK = 2048
K = 10


def sklearn_sine(x: np.ndarray) -> np.ndarray:
    """The peer: scikit-learn's cosine distance, turned into a sine."""
    cos = 1.0 - pairwise_distances(x, metric="cosine")
    return np.sqrt(np.clip(1.0 - cos * cos, 0.0, None))


def interleaved(cases: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """Time each case once per round, round after round (load drifts hit all alike)."""
    runs: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - start)
    return runs


def main() -> None:
    """Run both cases and print the table of ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="10,000 x 10,000 (the issue's size)")
    parser.add_argument("--n", type=int, default=None, help="snapshots (= dofs unless --dim)")
    parser.add_argument("--dim", type=int, default=None, help="dofs per snapshot")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved rounds")
    args = parser.parse_args()
    n = args.n or (10_000 if args.full else 2_000)
    dim = args.dim or n
    rounds = args.repeats or (2 if args.full else 3)
    print(f"load average before: {os.getloadavg()}")
    x = moving_front(n, dim, seed=0).values
    x32 = x.astype(np.float32)
    unit = x / np.linalg.norm(x, axis=1)[:, None]
    for small in (x[:50, :50], x32[:50, :50]):  # compile the numba kernels, both dtypes
        sine_dissimilarity(small, backend="numba", dtype=small.dtype)

    # correctness first, once: both agree to rounding (ours refines near-parallel pairs)
    peer_d = sklearn_sine(x)
    for name in ("numpy", "numba"):
        mine = sine_dissimilarity(x, backend=name, block_size=BLOCK)
        print(f"{name}: max |ours - sklearn| = {np.max(np.abs(mine - peer_d)):.2e}")
        del mine
    runs = interleaved(
        {
            "gram": lambda: unit @ unit.T,
            "peer": lambda: sklearn_sine(x),
            "numpy": lambda: sine_dissimilarity(x, backend="numpy", block_size=BLOCK),
            "numba": lambda: sine_dissimilarity(x, backend="numba", block_size=BLOCK),
            "peer32": lambda: sklearn_sine(x32),
            "numba32": lambda: sine_dissimilarity(
                x32, backend="numba", block_size=BLOCK, dtype=np.float32
            ),
        },
        rounds,
    )
    med = {name: statistics.median(times) for name, times in runs.items()}
    size = f"{n}x{dim}"
    rows: list[tuple[str, float, float]] = [
        (f"sine {size} float64 (numpy) vs sklearn", med["numpy"], med["peer"]),
        (f"sine {size} float64 (numba) vs sklearn", med["numba"], med["peer"]),
        (f"sine {size} float32 (numba) vs sklearn float32", med["numba32"], med["peer32"]),
    ]
    flops = float(n) * n * dim
    print(
        f"Gram product alone (syrk, {flops:.2e} flop): {med['gram']:.3g} s, "
        f"{flops / med['gram'] / 1e9:.1f} GFLOP/s; it is {med['gram'] / med['peer']:.0%} of "
        f"sklearn's time, so no float64 method that forms it beats "
        f"ratio {med['gram'] / med['peer']:.2f}"
    )
    print(f"all runs [s]: { {k: [round(t, 3) for t in v] for k, v in runs.items()} }")

    loss: dict[str, list[float]] = {"ours": [], "peer": []}

    def ours_km() -> None:
        loss["ours"].append(kmedoids(peer_d, K, n_init=1, seed=0).loss)

    def peer_km() -> None:
        loss["peer"].append(float(peer_kmedoids.fasterpam(peer_d, K, random_state=0, n_cpu=1).loss))

    kmedoids(peer_d[:100, :100], 3, n_init=1)  # compile the swap loop
    km = interleaved({"ours": ours_km, "peer": peer_km}, rounds)
    print(f"k-medoids loss: ours {loss['ours'][0]:.6g}, kmedoids.fasterpam {loss['peer'][0]:.6g}")
    rows.append(
        (
            f"k-medoids k={K} on {n}x{n} vs kmedoids.fasterpam",
            statistics.median(km["ours"]),
            statistics.median(km["peer"]),
        )
    )
    print_table(
        rows, title="ROM clustering (ratio this/peer; targets: sine <= 0.5, k-medoids <= 2)"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
