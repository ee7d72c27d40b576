"""Drive the ensemble runner from Python: your own member function, checkpointed, resumable.

Each member is a path of geometric Brownian motion,
``S(t) = S0 exp((mu - sigma^2 / 2) t + sigma W(t))``, with its own volatility
``sigma`` drawn from a range (a member parameter, stored as a coordinate along
``member``). Whatever the volatilities, the exact ensemble mean is
``S0 exp(mu t)``: the script checks the ensemble against it and plots both.

    python examples/hpc/run_ensemble_api.py --members 512 --scheduler threads
    python examples/hpc/run_ensemble_api.py --scheduler local-cluster --resume

Run it again with ``--resume`` after stopping it (Ctrl-C, a killed job): the
members already in the store are not recomputed.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from sciml.ensemble import run_ensemble

#: the member configuration: plain JSON-serializable values, stored in the provenance
CONFIG = {"s0": 100.0, "mu": 0.05, "sigma_range": [0.1, 0.4], "years": 2.0, "steps": 500}


def gbm_member(config: dict, member: int, rng: np.random.Generator) -> xr.Dataset:
    """One path; must live at module level so processes and clusters can import it."""
    sigma = rng.uniform(*config["sigma_range"])
    dt = config["years"] / config["steps"]
    t = dt * np.arange(config["steps"] + 1)
    w = np.concatenate([[0.0], np.cumsum(np.sqrt(dt) * rng.standard_normal(config["steps"]))])
    price = config["s0"] * np.exp((config["mu"] - 0.5 * sigma**2) * t + sigma * w)
    return xr.Dataset(
        {"price": ("time", price, {"units": "EUR", "long_name": "asset price"})},
        coords={
            "time": ("time", t, {"units": "year", "long_name": "time"}),
            "sigma": ((), sigma, {"units": "1/sqrt(year)", "long_name": "volatility"}),
        },
    )


def main(argv: Sequence[str] | None = None) -> xr.Dataset:
    """Run the ensemble, compare its mean with theory, plot; return the ensemble."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=512)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--scheduler", default="threads", help="serial|threads|processes|local-cluster|tcp://..."
    )
    parser.add_argument("--output", type=Path, default=Path("gbm-ensemble"), help="folder to write")
    parser.add_argument("--resume", action="store_true", help="continue the run in the folder")
    parser.add_argument("--quick", action="store_true", help="64 members, for the test suite")
    args = parser.parse_args(argv)
    if args.quick:
        args.members = min(args.members, 64)

    args.output.mkdir(parents=True, exist_ok=True)
    ds = run_ensemble(
        gbm_member,
        args.members,
        seed=args.seed,
        config=CONFIG,
        scheduler=args.scheduler,
        store=args.output / "gbm.zarr",
        resume=args.resume,
    ).load()

    exact = CONFIG["s0"] * np.exp(CONFIG["mu"] * ds["time"])
    mean = ds["price"].mean("member")
    standard_error = ds["price"].std("member") / np.sqrt(ds.sizes["member"])
    worst = float((np.abs(mean - exact) / standard_error).max())
    print(f"{ds.sizes['member']} members, {int(ds['failed'].sum())} failed")
    print(f"final mean price {float(mean[-1]):.2f} EUR, exact {float(exact[-1]):.2f} EUR")
    print(f"largest gap between ensemble and exact mean: {worst:.1f} standard errors")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ds["time"], ds["price"].isel(member=slice(0, 50)).values.T, color="0.7", lw=0.5)
    ax.plot(ds["time"], mean, color="tab:blue", lw=2, label="ensemble mean")
    ax.plot(ds["time"], exact, "k:", lw=1.5, label=r"exact $S_0 e^{\mu t}$")
    ax.set(xlabel="time [year]", ylabel="price [EUR]", title="geometric Brownian motion")
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.output / "gbm.png", dpi=110)
    plt.close(fig)
    return ds


if __name__ == "__main__":  # needed: the processes and cluster schedulers start new processes
    main()
