"""Ensemble scores against their peers, in one process, median of repeated runs.

1. Ensemble CRPS, 1,000,000 forecasts x 50 members, standard and fair, against
   scoringrules' numba ``crps_ensemble`` (its default quantile-decomposition
   estimator and its fair estimator) and xskillscore's ``crps_ensemble``;
   target: at least 2x faster (ratio this/peer <= 0.5).
2. Energy score, 20,000 forecasts x 50 members x 3 components, standard and
   fair, against scoringrules' numba ``es_ensemble``; target: at least 10x.
3. Rank histogram, 1,000,000 x 50, against the ``scores`` package; target: 5x.

Every pair of results is checked for agreement before timing. Run
``python benchmarks/bench_uq_scores.py [repeats]`` (default 3 timed runs after
one warm-up); the load average is printed before and after, since timings on
a shared machine vary.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import scores.probability as scores_probability
import scoringrules as sr
import xarray as xr
import xskillscore as xs
from _timing import print_table, time_call

from sciml.uq import crps_ensemble, energy_score, rank_histogram

N_CRPS, M_CRPS = 1_000_000, 50
N_ES, M_ES, D_ES = 20_000, 50, 3
TARGETS = {"crps": 0.5, "energy": 0.1, "rank": 0.2}


def _case(
    name: str,
    ours: Callable[[], Any],
    peer: Callable[[], Any],
    check: Callable[[Any, Any], None],
    repeats: int,
) -> tuple[str, float, float]:
    mine = time_call(ours, repeats=repeats)
    theirs = time_call(peer, repeats=repeats)
    check(mine["result"], theirs["result"])
    return name, mine["median"], theirs["median"]


def _close(atol: float) -> Callable[[Any, Any], None]:
    def check(a: Any, b: Any) -> None:
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=atol)

    return check


Row = tuple[str, float, float, float]


def ensemble_cases(repeats: int) -> list[Row]:
    """CRPS (standard, fair) and the rank histogram of 1,000,000 x 50 ensembles."""
    rng = np.random.default_rng(0)
    fc = rng.normal(size=(N_CRPS, M_CRPS))
    obs = rng.normal(size=N_CRPS)
    fc_da = xr.DataArray(fc, dims=("sample", "member"))
    obs_da = xr.DataArray(obs, dims="sample")
    rows = []
    for fair, estimator in ((False, "qd"), (True, "fair")):
        row = _case(
            f"{'fair CRPS' if fair else 'CRPS'} vs scoringrules",
            lambda fair=fair: crps_ensemble(fc_da, obs_da, fair=fair),
            lambda e=estimator: sr.crps_ensemble(obs, fc, estimator=e, backend="numba"),
            _close(1e-9),
            repeats,
        )
        rows.append((*row, TARGETS["crps"]))
    row = _case(
        "CRPS vs xskillscore",
        lambda: crps_ensemble(fc_da, obs_da),
        lambda: xs.crps_ensemble(obs_da, fc_da, dim=[]),
        _close(1e-9),
        repeats,
    )
    rows.append((*row, TARGETS["crps"]))
    row = _case(
        "rank histogram vs scores",
        lambda: rank_histogram(fc_da, obs_da)["frequency"].values,
        lambda: scores_probability.rank_histogram(fc_da, obs_da, "member").values,
        _close(1e-12),
        repeats,
    )
    rows.append((*row, TARGETS["rank"]))
    return rows


def energy_cases(repeats: int) -> list[Row]:
    """Energy score (standard, fair) of 20,000 x 50 x 3 ensembles."""
    rng = np.random.default_rng(1)
    ens = rng.normal(size=(N_ES, M_ES, D_ES))
    target = rng.normal(size=(N_ES, D_ES))
    rows = []
    for fair, estimator in ((False, "nrg"), (True, "fair")):
        row = _case(
            f"{'fair energy score' if fair else 'energy score'} vs scoringrules",
            lambda fair=fair: energy_score(ens, target, fair=fair),
            lambda e=estimator: sr.es_ensemble(target, ens, estimator=e, backend="numba"),
            _close(1e-9),
            repeats,
        )
        rows.append((*row, TARGETS["energy"]))
    return rows


def main(repeats: int = 3) -> list[Row]:
    """Run every case; returns rows of (case, ours [s], peer [s], target ratio)."""
    print(f"load average before: {os.getloadavg()}, cores: {os.cpu_count()}")
    rows = ensemble_cases(repeats) + energy_cases(repeats)
    print_table([row[:3] for row in rows], title=f"UQ scores, median of {repeats} runs")
    print()
    for case, mine, peer, goal in rows:
        verdict = "ok" if mine / peer <= goal else "MISSED"
        print(f"{case}: {peer / mine:.1f}x faster (target {1 / goal:.0f}x) {verdict}")
    print(f"load average after: {os.getloadavg()}")
    return rows


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
