"""Ensemble runner: overhead per member, and speed-up on a LocalCluster of 2 workers.

1. Overhead: 2,000 members of a trivial member function (a 16-value Dataset)
   under the threaded scheduler, against a plain loop calling the same
   function (the peer); the difference per member is the runner's overhead
   (target: under 5 ms), in memory and with a Zarr store.
2. Scaling: 1,000 members of a CPU-bound member function (about 0.1 s of NumPy
   work on an idle core) on LocalCluster(2), against the serial runner (the
   peer). Efficiency is speed-up / 2 (target: at least 85%). Timed on a cluster
   already running (as on HPC), and with the runner starting and closing its
   own LocalCluster.

    python benchmarks/bench_ensemble.py            # the full benchmark (about 4 min)
    python benchmarks/bench_ensemble.py --quick    # a smoke run at a small size

The figures depend on what else the machine is doing: the load average is
printed before and after.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr
from _timing import print_table, time_call

from sciml.ensemble import run_ensemble

TIME = xr.Variable("time", np.arange(16.0), {"units": "s", "long_name": "time"})
WORK = {"iterations": 1}  # NumPy iterations per busy member, calibrated in main()


def trivial_member(config: object, member: int, rng: np.random.Generator) -> xr.Dataset:
    """As little work as a member can do: 16 random numbers in a Dataset."""
    values = rng.standard_normal(16)
    return xr.Dataset({"x": ("time", values, {"units": "1", "long_name": "noise"})}, {"time": TIME})


def busy_member(config: dict, member: int, rng: np.random.Generator) -> xr.Dataset:
    """A fixed amount of CPU-bound NumPy work (``config["iterations"]`` rounds)."""
    a = rng.standard_normal(256)
    for _ in range(config["iterations"]):
        a = np.sin(a) + 0.5 * np.cos(a)
    return xr.Dataset(
        {"x": ("time", a[:16], {"units": "1", "long_name": "result"})}, {"time": TIME}
    )


def calibrate(seconds: float) -> int:
    """Iterations of :func:`busy_member` that take ``seconds`` on this core."""
    rng = np.random.default_rng(0)
    probe = 2000
    start = time.perf_counter()
    busy_member({"iterations": probe}, 0, rng)
    elapsed = time.perf_counter() - start
    return max(1, round(probe * seconds / elapsed))


def overhead(n: int, repeats: int, folder: Path) -> list[tuple[str, float, float]]:
    """Runner vs plain loop for a trivial member, in memory and with a store."""
    seeds = np.random.SeedSequence(1).spawn(n)

    def plain_loop() -> list[xr.Dataset]:
        return [trivial_member(None, k, np.random.default_rng(s)) for k, s in enumerate(seeds)]

    def in_memory() -> xr.Dataset:
        return run_ensemble(trivial_member, n, seed=1, scheduler="threads", progress=False)

    def with_store() -> xr.Dataset:
        store = folder / "overhead.zarr"
        shutil.rmtree(store, ignore_errors=True)
        return run_ensemble(
            trivial_member, n, seed=1, scheduler="threads", store=store, progress=False
        )

    peer = time_call(plain_loop, repeats=repeats)["median"]
    rows = []
    for label, fn in (("in memory", in_memory), ("Zarr store", with_store)):
        mine = time_call(fn, repeats=repeats)["median"]
        rows.append((f"{n} trivial members, threads, {label}", mine, peer))
    return rows


def scaling(n: int, seconds: float, folder: Path) -> list[tuple[str, float, float]]:
    """Serial runner vs LocalCluster(2), with a warm cluster and a runner-started one."""
    from distributed import LocalCluster

    config = {"iterations": calibrate(seconds)}

    def timed(scheduler: str, name: str) -> float:
        store = folder / f"{name}.zarr"
        start = time.perf_counter()
        result = run_ensemble(
            busy_member, n, seed=2, config=config, scheduler=scheduler, workers=2, store=store,
            progress=False,
        )  # fmt: skip
        elapsed = time.perf_counter() - start
        if int(result["failed"].sum()):
            raise RuntimeError(f"{name}: members failed")
        return elapsed

    serial = timed("serial", "serial")
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster:
        run_ensemble(busy_member, 8, seed=0, config=config, scheduler=cluster.scheduler_address,
                     progress=False)  # fmt: skip  # warm-up: workers import sciml
        warm = timed(cluster.scheduler_address, "warm")
    own = timed("local-cluster", "own")
    label = f"{n} members of {seconds:g} s"
    return [
        (f"{label}, LocalCluster(2) running", warm, serial),
        (f"{label}, LocalCluster(2) started by the runner", own, serial),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    n_trivial, repeats, n_busy, seconds = (200, 2, 40, 0.02) if args.quick else (2000, 5, 1000, 0.1)
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = overhead(n_trivial, repeats, folder)
        print_table(rows, title="runner overhead (peer: a plain loop over the member function)")
        for case, mine, peer in rows:
            print(f"  {case}: {(mine - peer) / n_trivial * 1e3:.3f} ms per member (target < 5 ms)")
        rows = scaling(n_busy, seconds, folder)
        print_table(rows, title="scaling (peer: the serial runner)")
        for case, mine, peer in rows:
            speedup = peer / mine
            print(
                f"  {case}: speed-up {speedup:.2f}x, efficiency {speedup / 2:.0%} (target >= 85%)"
            )
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
