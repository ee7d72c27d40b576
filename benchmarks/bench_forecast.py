"""ESN and NVAR against reservoirpy with the same hyperparameters, in one process.

Both implementations get the same standardized data and the same model: an
echo state network (400 units, spectral radius 0.9, leak 1, input scaling
0.5, reservoir density 0.05, no bias, ridge 1e-6, the input also fed to the
readout, no squared states, washout 50) and an NVAR (2 delays, stride 1,
quadratic monomials, ridge 1e-6), both trained on the one-step increment and
run closed-loop. (The random reservoirs differ: each library draws its own.)
For a few tuning systems (the protocol of ``sciml.forecast.bench``: 1,000
training points at 100 points per period, a 200-step forecast of another
trajectory after 1,000 points of context) the script times fit + forecast
(median of repeated runs after one warm-up) and reports the median sMAPE.
Target: sciml at least 3x faster (ratio this/peer <= 0.33) at equal or
better median sMAPE. Run ``python benchmarks/bench_forecast.py [repeats]``;
needs ``pip install reservoirpy``. sciml runs its small dense solves with one
BLAS thread (``sciml.forecast.base.one_blas_thread``); reservoirpy uses the
BLAS default. Run it also as ``OPENBLAS_NUM_THREADS=1 python ...`` to
compare both on one thread (on a busy machine the default threads spin and
slow both down). Each side's timed runs start after a pause of 0.5 s, so that
BLAS worker threads the other side left spinning do not steal their core.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr
from _timing import print_table, time_call
from reservoirpy import ESN as RpyESN
from reservoirpy.nodes import NVAR as RpyNVAR
from reservoirpy.nodes import Reservoir, Ridge

from sciml.forecast import ESN, NVAR, metrics
from solvers.chaos import trajectory

SYSTEMS = ("Lorenz", "Rossler", "Aizawa", "Halvorsen", "Rucklidge")
N_TRAIN, N_FORECAST, WASHOUT = 1000, 200, 50


def data(system: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardized training series, test context and test truth."""
    x = trajectory(system, N_TRAIN + N_FORECAST, members=3, seed=0, backend="numpy").x.values
    train = x[0, :N_TRAIN]
    z = (x - train.mean(0)) / train.std(0)
    return z[0, :N_TRAIN], z[2, :N_TRAIN], z[2, N_TRAIN:]


def sciml_esn() -> ESN:
    return ESN(
        n_reservoir=400, spectral_radius=0.9, leak=1.0, input_scaling=0.5, density=0.05,
        bias=0.0, squared=False, alpha=1e-6, washout=WASHOUT,
    )  # fmt: skip


def sciml_run(make: Callable[[], Any]) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def run(train: np.ndarray, context: np.ndarray) -> np.ndarray:
        return np.asarray(make().fit(train).forecast(context, N_FORECAST).values[0])

    return run


def _closed_loop(model: Any, context: np.ndarray) -> np.ndarray:
    """Drive ``model`` with the context, then feed its own forecasts back (increments)."""
    model.reset()
    increments = model.run(context)
    u = context[-1] + increments[-1]
    out = np.empty((N_FORECAST, context.shape[1]))
    for k in range(N_FORECAST):
        out[k] = u
        u = u + np.asarray(model.step(u)).ravel()
    return out


def rpy_esn(train: np.ndarray, context: np.ndarray) -> np.ndarray:
    model = RpyESN(
        reservoir=Reservoir(
            400, sr=0.9, lr=1.0, input_scaling=0.5, rc_connectivity=0.05,
            input_connectivity=1.0, seed=0,
        ),
        readout=Ridge(ridge=1e-6),
        input_to_readout=True,
    )  # fmt: skip
    model.fit(train[:-1], np.diff(train, axis=0), warmup=WASHOUT)
    return _closed_loop(model, context)


def rpy_nvar(train: np.ndarray, context: np.ndarray) -> np.ndarray:
    model = RpyNVAR(delay=2, order=2, strides=1) >> Ridge(ridge=1e-6)
    model.fit(train[:-1], np.diff(train, axis=0), warmup=1)
    return _closed_loop(model, context)


def smape(pred: np.ndarray, truth: np.ndarray) -> float:
    dims = ("time", "component")
    return float(metrics.smape(xr.DataArray(pred, dims=dims), xr.DataArray(truth, dims=dims)))


def main(repeats: int = 3) -> None:
    print(f"load average before: {os.getloadavg()}")
    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    cases = {
        "ESN": (sciml_run(sciml_esn), rpy_esn),
        "NVAR": (sciml_run(lambda: NVAR(delays=2, stride=1, degree=2, alpha=1e-6)), rpy_nvar),
    }
    rows, quality = [], []
    for system in SYSTEMS:
        train, context, truth = data(system)
        for name, (mine, peer) in cases.items():
            a = time_call(lambda m=mine, x=train, c=context: m(x, c), repeats, settle=0.5)
            b = time_call(lambda p=peer, x=train, c=context: p(x, c), repeats, settle=0.5)
            rows.append((f"{name} {system}", a["median"], b["median"]))
            quality.append((name, smape(a["result"], truth), smape(b["result"], truth)))
    print_table(rows, "fit + 200-step forecast, sciml vs reservoirpy")
    for name in cases:
        ours = [q[1] for q in quality if q[0] == name]
        theirs = [q[2] for q in quality if q[0] == name]
        ratio = np.median([r[1] / r[2] for r in rows if r[0].startswith(name)])
        print(
            f"{name}: median sMAPE sciml {np.median(ours):.2f}, reservoirpy "
            f"{np.median(theirs):.2f}; median time ratio {ratio:.3f}"
        )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
