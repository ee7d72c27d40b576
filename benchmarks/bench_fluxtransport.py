"""Surface flux transport: steps per second against HipFT and the NumPy reference.

The README configuration of ``../shared/data/hipft`` (AFT flows attenuated at
300 G, WENO3 + SSPRK(4,3), nu = 25 km^2/s with RKG2, dt = 0.25 h) on the real
180 x 360 and 512 x 1024 maps, with 1 and 8 realizations, on every installed
backend (``--threads`` adds numba's row- and member-threaded builds). Time is
the stepping alone (map I/O and diagnostics excluded), one warm-up call (JIT
compilation), then the median of the timed calls; the CPU time of the process
is reported beside the wall clock, as the machine may be shared, with the
cost of 8 realizations over 1 in both. HipFT's
figures (serial, same machine kind, whole process) are from the data README.

``--gpu`` runs the 512 x 1024 case with 64 realizations on CuPy and JAX and
reports steps/s and the fraction of the GPU's peak memory bandwidth, for a
traffic model of 48 field passes per step (the reads and writes of a fully
fused implementation: 4 SSPRK stages reading the field, the stage input and
4 flow arrays and writing one field; the flow update; 3 RKG2 stages reading
4 fields and writing one).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from _timing import print_table, time_call

from gpu import Backend, available_backends, get_backend
from solvers.fluxtransport import SphereGrid, read_hipft_map
from solvers.fluxtransport.config import check_config
from solvers.fluxtransport.hipft_io import map_to_grid
from solvers.fluxtransport.run import _make_stepper

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "hipft"
#: HipFT 1.19.3, serial, 400 steps of the 180 x 360 case (data README)
HIPFT_STEPS_PER_S = {1: 400 / 5.5, 8: 400 / 50.8}
PASSES_PER_STEP = 48


def _advancer(name: str, path: Path, members: int) -> tuple[Backend, Any, Any, SphereGrid]:
    grid, values = map_to_grid(read_hipft_map(path))
    cfg = check_config(
        {
            "duration_h": 100.0,
            "realizations": members,
            "flows": {"attenuation_gauss": 300.0},
            "diffusion": {"nu_km2_s": 25.0},
            "numerics": {"dt_max_h": 0.25},
        }
    )
    backend = get_backend(name)
    stepper = _make_stepper(cfg, grid, backend)
    advance = stepper.advance_function(stepper.diffusion_plan(0.25))
    f0 = backend.asarray(np.broadcast_to(values, (members, *values.shape)).copy())
    return backend, advance, f0, grid


def steps_per_second(
    name: str, path: Path, members: int, steps: int, repeats: int
) -> tuple[float, float]:
    """(steps per wall-clock second, steps per CPU second of this process), medians.

    ``name`` is a backend, or ``numba[rows]`` / ``numba[members]`` for numba's
    threaded builds (:func:`solvers.fluxtransport.kernels_numba.configure`).
    """
    backend_name, _, threading = name.partition("[")
    if backend_name == "numba":
        from solvers.fluxtransport.kernels_numba import configure

        configure(threading=threading.rstrip("]") or "serial")
    backend, advance, f0, _ = _advancer(backend_name, path, members)
    cpu_times: list[float] = []

    def call() -> Any:
        start = time.process_time()
        out = backend.to_numpy(advance(f0, 0.25, steps))
        cpu_times.append(time.process_time() - start)
        return out

    timing = time_call(call, repeats=repeats, warmup=1)
    return steps / timing["median"], steps / statistics.median(cpu_times[1:])


def cpu(quick: bool, threads: bool) -> None:
    names = [i.name for i in available_backends() if i.available and i.name != "cupy"]
    if threads and "numba" in names:
        names += ["numba[rows]", "numba[members]"]
    rows = []
    rates: dict[tuple[str, str, int], tuple[float, float]] = {}
    for label, file, steps in (("180x360", "map180x360.h5", 40), ("512x1024", "map512x1024.h5", 4)):
        for members in (1, 8):
            n = max(2, steps // (4 if quick else 1))
            case = {}
            for name in names:
                slow = name == "numpy" and (label == "512x1024" or members == 8)
                case[name] = steps_per_second(
                    name, DATA / file, members, max(2, n // 4) if slow else n, 1 if slow else 3
                )
                rates[(label, name, members)] = case[name]
            for name, (rate, _) in case.items():
                rows.append((f"{label} x{members} {name}", 1 / rate, 1 / case["numpy"][0], rate))
            if label == "180x360":
                hipft = HIPFT_STEPS_PER_S[members]
                best = max(case, key=lambda k: case[k][0])
                rate = case[best][0]
                rows.append((f"{label} x{members} {best} vs HipFT", 1 / rate, 1 / hipft, rate))
    print_table(rows, title="seconds per step (peer: numpy reference, or HipFT where named)")
    for case_name, _, _, rate in rows:
        print(f"  {case_name}: {rate:.1f} steps/s")
    print("cost of 8 realizations over 1 (wall clock; CPU time of this process):")
    for label in ("180x360", "512x1024"):
        for name in names:
            (wall1, cpu1), (wall8, cpu8) = rates[(label, name, 1)], rates[(label, name, 8)]
            print(
                f"  {label} {name}: {wall1 / wall8:.2f}x wall, {cpu1 / cpu8:.2f}x CPU "
                f"({cpu1:.1f} and {cpu8:.1f} steps per CPU second)"
            )


def gpu() -> None:
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(0)
    peak = 2.0 * props["memoryClockRate"] * 1e3 * props["memoryBusWidth"] / 8.0
    members = 64
    steps = 20
    for name in ("cupy", "jax"):
        backend, advance, f0, grid = _advancer(name, DATA / "map512x1024.h5", members)

        def call(backend: Backend = backend, advance: Any = advance, f0: Any = f0) -> Any:
            return backend.to_numpy(advance(f0, 0.25, steps)[:, :1, :1])

        rate = steps / time_call(call, repeats=3)["median"]
        traffic = PASSES_PER_STEP * 8.0 * members * grid.n_theta * grid.n_phi * rate
        print(
            f"512x1024 x{members} {name} on {backend.device}: {rate:.2f} steps/s, "
            f"{traffic / 1e12:.2f} TB/s modelled = {traffic / peak:.1%} "
            f"of the peak {peak / 1e12:.2f} TB/s"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps")
    parser.add_argument("--gpu", action="store_true", help="the 64-realization GPU case")
    parser.add_argument(
        "--threads", action="store_true", help="also numba's row- and member-threaded builds"
    )
    args = parser.parse_args(argv)
    if not (DATA / "map180x360.h5").is_file():
        print(f"skipped: the HipFT maps are not at {DATA}")
        return
    if args.gpu:
        gpu()
    else:
        cpu(args.quick, args.threads)


if __name__ == "__main__":
    main(sys.argv[1:])
