"""Calibration and conformal prediction against their peers: venn-abers and MAPIE.

1. Inductive Venn-ABERS, 10,000 calibration / 100,000 test scores: fit plus
   merged probabilities, against the ``venn-abers`` package; the intervals
   ``[p0, p1]`` and the merged probabilities must be identical.
2. CV+ with 10,000 training and 1,000,000 test points, 5 folds, a Ridge base
   model: run in a child process, whose peak resident memory is reported (the
   test points and the intervals themselves take 100 MB; the interpreter with
   NumPy, scikit-learn and numba about 300 MB). MAPIE materializes two
   ``n_test x n_train`` float64 matrices, 160 GB here, so it is timed instead
   on 2,000 test points, where its bounds must equal ours.

Run ``python benchmarks/bench_uq_calibration.py``; the load average of the
machine is printed before and after, since timings on a shared machine vary.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import warnings
from typing import Any

import numpy as np
from _timing import print_table, time_call
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold

from sciml.uq import CVPlusRegressor, VennAbers

N_CAL, N_TEST_VA = 10_000, 100_000
N_TRAIN, N_TEST_CV, FOLDS = 10_000, 1_000_000, 5
N_TEST_PEER = 2_000
MEMORY_LIMIT_GIB = 2.0
#: Largest ratio this/peer that meets the issue's target (Venn-ABERS: at least 2x faster).
VENN_ABERS_TARGET = 0.5


def _venn_abers_peer() -> Any:
    """The venn-abers package's class, without keeping the np.seterr its import sets."""
    state = np.geterr()
    try:
        from venn_abers.venn_abers import VennAbers as Peer
    finally:
        np.seterr(**state)
    return Peer


def venn_abers_case() -> tuple[str, float, float]:
    rng = np.random.default_rng(0)
    s_cal = rng.uniform(size=N_CAL)
    y_cal = (rng.uniform(size=N_CAL) < s_cal**2).astype(int)
    s_test = rng.uniform(size=N_TEST_VA)
    peer_class = _venn_abers_peer()

    def ours() -> np.ndarray:
        return VennAbers().fit(s_cal, y_cal).predict_proba(s_test)

    def peer() -> tuple[np.ndarray, np.ndarray]:
        model = peer_class()
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # its all-NaN slices
            model.fit(np.c_[1 - s_cal, s_cal], y_cal)
            return model.predict_proba(np.c_[1 - s_test, s_test])  # type: ignore[no-any-return]

    mine = time_call(ours, repeats=5)
    theirs = time_call(peer, repeats=5)
    merged, p0p1 = theirs["result"]
    p0, p1 = VennAbers().fit(s_cal, y_cal).predict_interval(s_test)
    assert np.array_equal(p0, p0p1[:, 0]) and np.array_equal(p1, p0p1[:, 1])
    assert np.array_equal(mine["result"], merged[:, 1])
    return (f"IVAP {N_CAL:,} cal / {N_TEST_VA:,} test", mine["median"], theirs["median"])


def _regression(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 10))
    return X, X @ np.linspace(-1, 1, 10) + rng.standard_t(4, n)


def cv_plus_worker() -> None:
    """Child process: CV+ on 1,000,000 test points; prints timings and peak memory as JSON."""
    X, y = _regression(N_TRAIN, seed=1)
    X_test, _ = _regression(N_TEST_CV, seed=2)
    model = CVPlusRegressor(Ridge(), n_splits=FOLDS, random_state=0).fit(X, y)
    model.predict_interval(X_test[:100])  # compile the kernel outside the timing
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        lower, upper = model.predict_interval(X_test)
        runs.append(time.perf_counter() - start)
    assert np.all(lower < upper)
    print(json.dumps({"runs": runs, "peak_gib": _peak_resident_kib() / 2**20}))


def _peak_resident_kib() -> int:
    """Peak resident memory of this process image, in KiB.

    Linux's ``VmHWM`` belongs to the current image; ``ru_maxrss`` (the
    fallback elsewhere) can carry over the parent's peak across fork and exec.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def cv_plus_memory() -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--cv-plus-worker"],
        check=True,
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.abspath(__file__)),
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def cv_plus_versus_mapie() -> tuple[str, float, float]:
    from mapie.regression import CrossConformalRegressor

    X, y = _regression(N_TRAIN, seed=1)
    X_test, _ = _regression(N_TEST_PEER, seed=3)

    def ours() -> tuple[np.ndarray, np.ndarray]:
        model = CVPlusRegressor(Ridge(), n_splits=FOLDS, shuffle=False).fit(X, y)
        return model.predict_interval(X_test)  # type: ignore[no-any-return]

    def peer() -> np.ndarray:
        model = CrossConformalRegressor(
            Ridge(), confidence_level=0.9, method="plus", cv=KFold(FOLDS)
        ).fit_conformalize(X, y)
        return model.predict_interval(X_test)[1]  # type: ignore[no-any-return]

    mine = time_call(ours, repeats=3)
    theirs = time_call(peer, repeats=3)
    lower, upper = mine["result"]
    assert np.array_equal(lower, theirs["result"][:, 0, 0])
    assert np.array_equal(upper, theirs["result"][:, 1, 0])
    return (
        f"CV+ fit+predict {N_TRAIN:,} train / {N_TEST_PEER:,} test",
        mine["median"],
        theirs["median"],
    )


def main() -> None:
    print(f"load average before: {os.getloadavg()} on {os.cpu_count()} CPUs")
    rows = [venn_abers_case(), cv_plus_versus_mapie()]
    print_table(rows, title="Venn-ABERS and CV+ against venn-abers and MAPIE (median times)")
    case, mine, peer = rows[0]
    verdict = "ok" if mine / peer <= VENN_ABERS_TARGET else "MISSED"
    print(f"{case}: {peer / mine:.1f}x faster (target {1 / VENN_ABERS_TARGET:.0f}x) {verdict}")
    memory = cv_plus_memory()
    mapie_gb = 2 * 8 * N_TEST_CV * N_TRAIN / 1e9
    print(
        f"\nCV+ {N_TRAIN:,} train / {N_TEST_CV:,} test, {FOLDS} folds: "
        f"predict_interval median {np.median(memory['runs']):.3f} s "
        f"(runs {', '.join(f'{r:.3f}' for r in memory['runs'])}), "
        f"peak resident memory {memory['peak_gib']:.2f} GiB "
        f"(MAPIE's two n_test x n_train matrices alone: {mapie_gb:.0f} GB)"
    )
    verdict = "ok" if memory["peak_gib"] < MEMORY_LIMIT_GIB else "MISSED"
    print(f"CV+ peak memory under {MEMORY_LIMIT_GIB:g} GiB: {verdict}")
    assert memory["peak_gib"] < MEMORY_LIMIT_GIB
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    if "--cv-plus-worker" in sys.argv:
        cv_plus_worker()
    else:
        main()
