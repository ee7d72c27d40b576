"""Backends against the NumPy reference: a periodic diffusion stencil.

An ensemble of 256 members on a 1,024-point ring, 500 explicit steps. The
peer is the NumPy reference path (vectorized over members, Python loop over
steps); numba and JAX compile the whole time loop.
"""

from __future__ import annotations

import numpy as np
from _timing import print_table, time_call

from gpu import available_backends, get_backend
from gpu.kernels import ring_diffusion

MEMBERS, POINTS, STEPS = 256, 1024, 500


def main() -> None:
    rng = np.random.default_rng(0)
    u0 = rng.standard_normal((MEMBERS, POINTS))
    reference = time_call(lambda: ring_diffusion(get_backend("numpy"), u0, 0.4, STEPS), repeats=3)
    rows = []
    for info in available_backends():
        if not info.available or info.name == "numpy":
            continue
        backend = get_backend(info.name)
        timing = time_call(lambda b=backend: ring_diffusion(b, u0, 0.4, STEPS), repeats=3)
        np.testing.assert_allclose(timing["result"], reference["result"], rtol=1e-10, atol=1e-12)
        rows.append((f"{info.name} vs numpy", timing["median"], reference["median"]))
    print_table(
        rows, title=f"diffusion stencil, {MEMBERS} members x {POINTS} points x {STEPS} steps"
    )


if __name__ == "__main__":
    main()
