"""Chaotic systems: sciml's batched integrators against dysts and a hand-written kernel.

1. The catalog: one trajectory of 1,000 points at 100 points per period per
   flow, rtol = atol = 1e-10, CPU time (compilation included) of sciml on
   ``--catalog-backend`` (numba by default; NumPy for systems without its form),
   against dysts' ``make_trajectory(1000)`` with its defaults (Radau,
   rtol = 1e-12) on a random sample of systems, extrapolated to the catalog.
   sciml runs twice in fresh interpreters sharing a new cache directory: cold
   (numba's and sciml's on-disk caches empty: the adaptive kernel and every
   flow's callback are compiled) and warm (both loaded from the caches).
2. Lorenz, 1,024 members x 10,000 RK4 steps in float64: the library path
   against a hand-written numba kernel with members in the innermost loop.
3. Lorenz, 1,024 members, adaptive Dopri5 (rtol = atol = 1e-8): sciml's
   numba and JAX paths against ``diffrax`` (``jax.vmap`` of ``diffeqsolve``)
   where diffrax is installed.

``--quick`` runs small samples; ``--catalog N`` and ``--dysts N`` set them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
from _timing import print_table, time_call

from gpu import get_backend
from gpu._optional import module_available
from gpu.ode import dopri5, rk4
from gpu.ode._numba import CACHE_ENV
from solvers import chaos

MEMBERS, STEPS, H = 1024, 10_000, 0.01


def _cpu(fn: object) -> float:
    start = time.process_time()
    fn()  # type: ignore[operator]
    return time.process_time() - start


def _catalog_cpu(backend: str, names: list[str]) -> float:
    """CPU seconds of one 1,000-point trajectory per flow (compilation and probes included)."""
    return sum(
        _cpu(lambda n=name: chaos.trajectory(n, 1000, rtol=1e-10, atol=1e-10, backend=backend))
        for name in names
    )


def _catalog_in_fresh_process(backend: str, names: list[str], cache: str) -> float:
    """:func:`_catalog_cpu` in a new interpreter whose numba and sciml caches live in ``cache``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache, CACHE_ENV: cache}
    command = [sys.executable, __file__, "--catalog-worker", backend, *names]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return float(result.stdout.split()[-1])


def catalog(n_catalog: int | None, n_dysts: int, backend: str) -> list[tuple[str, float, float]]:
    """Cold (empty caches) and warm (caches filled by the cold run) rows against dysts."""
    names = chaos.systems(kind="flow")
    rng = np.random.default_rng(0)
    ours_names = names if n_catalog is None else list(rng.choice(names, n_catalog, replace=False))
    scale = len(names) / len(ours_names)
    with tempfile.TemporaryDirectory() as cache:
        cold = _catalog_in_fresh_process(backend, ours_names, cache) * scale
        warm = _catalog_in_fresh_process(backend, ours_names, cache) * scale
    dysts_names = list(rng.choice(names, n_dysts, replace=False))
    dysts_cpu = 0.0
    for name in dysts_names:
        instance = chaos.get(name).dysts_instance()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dysts_cpu += _cpu(lambda i=instance: i.make_trajectory(1000))
    dysts_total = dysts_cpu / n_dysts * len(names)
    label = (
        f"catalog ({len(names)} flows; sciml {backend} on {len(ours_names)}, "
        f"dysts on {n_dysts}: {', '.join(dysts_names)}; extrapolated)"
    )
    return [
        (f"{label}, cold: empty caches", cold, dysts_total),
        (f"{label}, warm: caches filled", warm, dysts_total),
    ]


def _hand_written() -> object:
    import numba

    @numba.njit
    def kernel(x: np.ndarray, y: np.ndarray, z: np.ndarray, steps: int, h: float) -> None:
        s, r, b = 10.0, 28.0, 8.0 / 3.0
        for _ in range(steps):
            for m in range(x.shape[0]):
                x1, y1, z1 = x[m], y[m], z[m]
                ax, ay, az = s * (y1 - x1), x1 * (r - z1) - y1, x1 * y1 - b * z1
                x2, y2, z2 = x1 + 0.5 * h * ax, y1 + 0.5 * h * ay, z1 + 0.5 * h * az
                bx, by, bz = s * (y2 - x2), x2 * (r - z2) - y2, x2 * y2 - b * z2
                x3, y3, z3 = x1 + 0.5 * h * bx, y1 + 0.5 * h * by, z1 + 0.5 * h * bz
                cx, cy, cz = s * (y3 - x3), x3 * (r - z3) - y3, x3 * y3 - b * z3
                x4, y4, z4 = x1 + h * cx, y1 + h * cy, z1 + h * cz
                dx, dy, dz = s * (y4 - x4), x4 * (r - z4) - y4, x4 * y4 - b * z4
                x[m] = x1 + h / 6.0 * (ax + 2.0 * bx + 2.0 * cx + dx)
                y[m] = y1 + h / 6.0 * (ay + 2.0 * by + 2.0 * cy + dy)
                z[m] = z1 + h / 6.0 * (az + 2.0 * bz + 2.0 * cz + dz)

    return kernel


def lorenz_rk4(y0: np.ndarray) -> tuple[str, float, float]:
    system = chaos.get("Lorenz")
    rhs = chaos.batched_rhs(system)
    p = np.array([system.params[k] for k in system.param_names])
    backend = get_backend("numba")
    mine = time_call(
        lambda: rk4(backend, rhs, y0, dt_out=H * STEPS, n_out=2, substeps=STEPS, params=p),
        repeats=3,
    )
    kernel = _hand_written()

    def hand() -> np.ndarray:
        x, y, z = (y0[i].copy() for i in range(3))
        kernel(x, y, z, STEPS, H)  # type: ignore[operator]
        return np.stack([x, y, z])

    peer = time_call(hand, repeats=3)
    return (
        f"Lorenz RK4 {MEMBERS} x {STEPS} steps: numba library vs hand-written",
        mine["median"],
        peer["median"],
    )


def lorenz_dopri5(y0: np.ndarray) -> list[tuple[str, float, float]]:
    if not module_available("diffrax"):
        print("diffrax is not installed: the Dopri5 comparison against diffrax is skipped")
        return []
    import diffrax
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    system = chaos.get("Lorenz")
    rhs = chaos.batched_rhs(system)
    p = np.array([system.params[k] for k in system.param_names])
    t_end, tol = 10.0, 1e-8

    def field(t: object, y: object, args: object) -> object:
        s, r, b = 10.0, 28.0, 8.0 / 3.0
        return jnp.stack([s * (y[1] - y[0]), y[0] * (r - y[2]) - y[1], y[0] * y[1] - b * y[2]])

    @jax.jit
    def peer_solve(y: object) -> object:
        def one(y1: object) -> object:
            return diffrax.diffeqsolve(
                diffrax.ODETerm(field),
                diffrax.Dopri5(),
                0.0,
                t_end,
                None,
                y1,
                stepsize_controller=diffrax.PIDController(rtol=tol, atol=tol),
                saveat=diffrax.SaveAt(t1=True),
                max_steps=100_000,
            ).ys

        return jax.vmap(one)(y)

    peer = time_call(lambda: np.asarray(peer_solve(jnp.asarray(y0.T))), repeats=3)
    rows = []
    for name in ("numba", "jax"):
        backend = get_backend(name)
        mine = time_call(
            lambda b=backend: dopri5(
                b, rhs, y0, dt_out=t_end, n_out=2, params=p, rtol=tol, atol=tol
            ),
            repeats=3,
        )
        rows.append(
            (f"Lorenz Dopri5 {MEMBERS} members: {name} vs diffrax", mine["median"], peer["median"])
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small samples")
    parser.add_argument("--catalog", type=int, default=None, help="sciml catalog sample size")
    parser.add_argument("--dysts", type=int, default=None, help="dysts sample size")
    parser.add_argument(
        "--catalog-backend",
        default="numba",
        choices=("numba", "numpy", "jax"),
        help="sciml backend of the catalog case (numba: one kernel, a callback per flow)",
    )
    parser.add_argument("--catalog-worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.catalog_worker:
        backend, *names = args.catalog_worker
        print(_catalog_cpu(backend, names))
        return
    n_catalog = args.catalog if args.catalog is not None else (12 if args.quick else None)
    n_dysts = args.dysts if args.dysts is not None else (2 if args.quick else 6)
    y0 = np.random.default_rng(1).normal(size=(3, MEMBERS)) + np.array([[0.0], [0.0], [25.0]])
    rows = [lorenz_rk4(y0), *lorenz_dopri5(y0), *catalog(n_catalog, n_dysts, args.catalog_backend)]
    print_table(rows, title="chaotic systems (CPU; ratio < 1: sciml faster)")


if __name__ == "__main__":
    main()
