"""Demo part: an Ornstein–Uhlenbeck ensemble through the runner, checked against theory.

Sixty-four members of the built-in ``ou`` pipeline run on the threaded
scheduler and are checkpointed chunk by chunk into a Zarr store in the demo
folder; a second call with ``resume=True`` finds every member on disk and
recomputes none. The ensemble's sample variance is compared with the exact
``sigma^2 / (2 theta) (1 - exp(-2 theta t)) + x0_spread^2 exp(-2 theta t)``.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from sciml.demo._registry import DemoPart, DemoResult
from sciml.ensemble import run_ensemble
from sciml.ensemble.ou import OUConfig, ou_mean, ou_member, ou_variance

MEMBERS = 64
SEED = 20240611
CONFIG = OUConfig(theta=1.0, sigma=0.5, mu=0.0, x0=1.5, x0_spread=0.1, dt=0.02, n_steps=250)


def run(folder: Path, backend: str | None) -> DemoResult:
    """Run the ensemble into ``folder`` (the ou pipeline computes with NumPy on any backend)."""
    store = folder / "ou_ensemble.zarr"
    shutil.rmtree(store, ignore_errors=True)  # each demo run starts afresh
    start = time.perf_counter()
    ds = run_ensemble(
        ou_member, MEMBERS, seed=SEED, config=CONFIG, store=store, chunk_size=8, progress=False
    ).load()
    elapsed = time.perf_counter() - start
    again = run_ensemble(
        ou_member, MEMBERS, seed=SEED, config=CONFIG, store=store, resume=True, progress=False
    )
    t = ds["time"].values
    sample = ds["x"].var("member", ddof=1).values
    theory = ou_variance(CONFIG, t)
    standard_error = theory * np.sqrt(2.0 / (MEMBERS - 1))
    late = t > 3.0 / CONFIG.theta
    stationary = CONFIG.sigma**2 / (2.0 * CONFIG.theta)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.plot(t, ds["x"].values.T, color="0.6", lw=0.5)
    left.plot(t, ds["x"].mean("member"), color="tab:blue", lw=2, label="ensemble mean")
    left.plot(t, ou_mean(CONFIG, t), "k:", lw=1.5, label="exact mean")
    left.set(xlabel="time [s]", ylabel="x", title=f"{MEMBERS} Ornstein-Uhlenbeck paths")
    left.legend(fontsize=8)
    right.fill_between(t, theory - 2 * standard_error, theory + 2 * standard_error, alpha=0.25,
                       label="exact ± 2 standard errors")  # fmt: skip
    right.plot(t, theory, "k:", lw=1.5, label="exact variance")
    right.plot(t, sample, color="tab:red", lw=1.5, label="ensemble variance")
    right.set(xlabel="time [s]", ylabel="variance", title="variance vs theory")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "ensemble.png", dpi=110)
    plt.close(fig)

    resumed = again.attrs["history"].splitlines()[-1].split("run_ensemble: ", 1)[-1]
    findings = [
        f"{MEMBERS} members in {elapsed:.2f} s on the threaded scheduler, checkpointed in "
        f"chunks of 8 members to ou_ensemble.zarr; {int(ds['failed'].sum())} failed",
        f"resume=True on the finished store: {resumed}",
        f"stationary variance (t > 3/theta): ensemble {sample[late].mean():.4f}, "
        f"exact sigma^2/(2 theta) = {stationary:.4f}",
        f"largest gap between ensemble and exact variance: "
        f"{np.max(np.abs(sample - theory) / standard_error):.1f} standard errors "
        f"over {t.size} times",
    ]
    return DemoResult(files=["ou_ensemble.zarr", "ensemble.png"], findings=findings)


PART = DemoPart("ensemble", "Ensemble runner: Ornstein-Uhlenbeck paths vs theory", run)
