"""ROM clustering against its peers, in one process, median of repeated runs.

1. Pairwise sine dissimilarity of N snapshots of dimension N (default
   10,000 x 10,000, a moving-front family) against scikit-learn's
   ``pairwise_distances(metric="cosine")`` turned into a sine,
   ``sqrt(1 - (1 - d)^2)``; target: at least 2x faster (ratio <= 0.5) on
   numpy and numba. Ours streams: it computes one block of rows of the Gram
   matrix at a time (the largest block is printed) and only the blocks on
   and above the diagonal.
2. k-medoids (k = 10) on that matrix against the ``kmedoids`` package's
   FasterPAM; target: within 2x (ratio <= 2) with an equal or lower loss.

Run ``python benchmarks/bench_rom.py [--n N] [--dim D] [--repeats R]``
(defaults 10,000, 10,000 and 1 timed run; k-medoids after a warm-up); the load average
is printed before and after, since timings on a shared machine vary.
"""

from __future__ import annotations

import argparse
import os

import kmedoids as peer_kmedoids
import numpy as np
from _timing import print_table, time_call
from sklearn.metrics import pairwise_distances

import gpu
from gpu.kernels.dissimilarity import iter_dissimilarity_blocks
from solvers.rom import kmedoids, moving_front, sine_dissimilarity

BLOCK = 2048
K = 10


def sklearn_sine(x: np.ndarray) -> np.ndarray:
    """The peer: scikit-learn's cosine distance, turned into a sine."""
    cos = 1.0 - pairwise_distances(x, metric="cosine")
    return np.sqrt(np.clip(1.0 - cos * cos, 0.0, None))


def main() -> None:
    """Run both cases and print the table of ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="snapshots")
    parser.add_argument("--dim", type=int, default=10_000, help="dofs per snapshot")
    parser.add_argument("--repeats", type=int, default=1, help="timed runs per case")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    x = moving_front(args.n, args.dim, seed=0).values
    rows = []
    sine_dissimilarity(x[:50, :50], backend="numba")  # compile the numba kernel
    # no warm-up run at this size: nothing left to compile, and each run is long
    peer = time_call(lambda: sklearn_sine(x), repeats=args.repeats, warmup=0)
    for name in ("numpy", "numba"):
        mine = time_call(
            lambda name=name: sine_dissimilarity(x, backend=name, block_size=BLOCK),
            repeats=args.repeats,
            warmup=0,
        )
        np.testing.assert_allclose(mine["result"], peer["result"], atol=1e-6)
        rows.append(
            (f"sine {args.n}x{args.dim} ({name}) vs sklearn", mine["median"], peer["median"])
        )
        del mine
    largest = max(
        block.shape[0] * block.shape[1]
        for _, _, block in iter_dissimilarity_blocks(
            gpu.get_backend("numpy"), x[: 3 * BLOCK], block_size=BLOCK
        )
    )
    print(f"streaming: largest Gram block {largest} entries ({BLOCK} x {BLOCK}) at a time")
    d = peer["result"]
    del peer
    ours = time_call(lambda: kmedoids(d, K, n_init=1, seed=0), repeats=args.repeats)
    theirs = time_call(
        lambda: peer_kmedoids.fasterpam(d, K, random_state=0, n_cpu=1), repeats=args.repeats
    )
    loss_ours, loss_peer = ours["result"].loss, float(theirs["result"].loss)
    print(f"k-medoids loss: ours {loss_ours:.6g}, kmedoids.fasterpam {loss_peer:.6g}")
    rows.append((f"k-medoids k={K} vs kmedoids.fasterpam", ours["median"], theirs["median"]))
    print_table(
        rows, title="ROM clustering (ratio this/peer; targets: sine <= 0.5, k-medoids <= 2)"
    )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
