"""Largest Lyapunov exponent of every catalog flow: sciml, dysts' metadata and dysts' estimator.

For each flow, sciml's tangent-space QR estimate (:func:`solvers.chaos.lyapunov_spectrum`,
two members, ``--periods`` periods, the default RK4 step) is compared with
dysts' stored ``maximum_lyapunov_estimated``. For the flows where the two
differ by more than a factor 1.5, the script also runs

* sciml again with four times the averaging time and a four times smaller
  step (convergence check), and
* dysts' own estimator, ``dysts.analysis.find_lyapunov_exponents``, twice:
  with the trajectory of its docstring example (1,000 points at its default
  500 points per period: two periods) and with a long trajectory
  (``--dysts-periods`` periods at 500 points per period, integrated by
  ``make_trajectory`` with DOP853 at rtol = atol = 1e-10 instead of its
  default Radau at 1e-12, for speed) and its early stop off (``tol=0``):
  when one step's log-growth of any tangent vector is below ``tol`` (1e-8 by
  default) it resets the averaging length to the current step count but keeps
  summing the later steps, which inflates the estimate.

It prints a Markdown table (the one in ``docs/user-guide/chaos.md``) and the
counts within a factor 1.5 against each reference. Slow (each flow compiles
its JAX tangent integrator; dysts' estimator loops in Python): ``--systems
A,B`` and ``--sample N --seed S`` (a random sample of the other flows)
restrict it.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

import numpy as np

from solvers import chaos

FACTOR = 1.5
#: Published values (base e, per model time unit), Sprott, "Chaos and
#: Time-Series Analysis" (Oxford, 2003), table A.1 / appendix A.
LITERATURE = {"Lorenz": 0.9056, "Rossler": 0.0714}


def ours(name: str, periods: float, refine: int = 1) -> float:
    """Mean largest exponent over two members; ``refine`` divides the default step."""
    system = chaos.get(name)
    dt = None if refine == 1 else (system.period or 1.0) / (200.0 * refine)
    spectrum = chaos.lyapunov_spectrum(
        name, members=2, periods=periods, dt=dt, seed=0, n_exponents=1
    )
    return float(spectrum.values[:, 0].mean())


def dysts_estimator(name: str, n: int, **kwargs: Any) -> float:
    """Largest exponent from ``dysts.analysis.find_lyapunov_exponents``; NaN if it fails."""
    import dysts.flows
    from dysts.analysis import find_lyapunov_exponents

    model = getattr(dysts.flows, name)()
    if not model.has_jacobian():
        # dysts 0.96 tests ``jac() is None`` to fall back to finite differences, but
        # a system without ``_jac`` raises NotImplementedError there: restore the fallback
        model.jac = lambda x, t: None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return float(find_lyapunov_exponents(model, n, pts_per_period=500, **kwargs)[0])
    except Exception:  # any failure of the reference is reported as NaN
        return float("nan")


def within(a: float, b: float) -> bool:
    """Whether ``a`` and ``b`` are positive and within :data:`FACTOR` of each other."""
    return bool(a > 0 and b > 0 and max(a / b, b / a) <= FACTOR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--periods", type=float, default=100.0)
    parser.add_argument("--dysts-periods", type=int, default=40)
    parser.add_argument("--systems", default="", help="comma-separated names")
    parser.add_argument("--sample", type=int, default=0, help="a random sample of this size")
    parser.add_argument("--seed", type=int, default=0, help="seeds the sample")
    args = parser.parse_args()
    names = args.systems.split(",") if args.systems else []
    flows = [name for name in chaos.systems(kind="flow") if name not in names]
    if args.sample:
        rng = np.random.default_rng(args.seed)
        names += sorted(rng.choice(flows, size=args.sample, replace=False).tolist())
    elif not names:
        names = flows
    rows, start = [], time.process_time()
    for name in names:
        stored = chaos.get(name).max_lyapunov or float("nan")
        try:
            lam = ours(name, args.periods)
        except Exception as exc:  # reported in the table
            print(f"{name}: sciml failed: {exc}", flush=True)
            lam = float("nan")
        row = {"name": name, "stored": stored, "ours": lam}
        if not within(lam, stored):
            row["ours_long"] = ours(name, 4 * args.periods, refine=4)
            row["dysts_short"] = dysts_estimator(name, 1000)
            long = {"method": "DOP853", "rtol": 1e-10, "atol": 1e-10}
            row["dysts_long"] = dysts_estimator(name, 500 * args.dysts_periods, **long)
            row["dysts_long"] = dysts_estimator(name, 500 * args.dysts_periods, tol=0.0, **long)
        rows.append(row)
        print({k: v if isinstance(v, str) else round(v, 4) for k, v in row.items()}, flush=True)
    report(rows, time.process_time() - start)


def report(rows: list[dict[str, Any]], cpu: float) -> None:
    """Print the table of misses and the counts."""

    def fmt(value: float | None) -> str:
        return "" if value is None else f"{value:.3g}"

    print(
        "\n| system | dysts stored | dysts estimator, 2 periods | dysts estimator, long, tol=0 "
        "| sciml | sciml, 4x longer and finer | literature |"
    )
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        if "dysts_long" in row:
            print(
                f"| {row['name']} | {fmt(row['stored'])} | {fmt(row['dysts_short'])} "
                f"| {fmt(row['dysts_long'])} "
                f"| {fmt(row['ours'])} | {fmt(row['ours_long'])} "
                f"| {fmt(LITERATURE.get(row['name']))} |"
            )
    n = len(rows)
    vs_stored = sum(within(r["ours"], r["stored"]) for r in rows)
    vs_long = sum(within(r["ours"], r["dysts_long"]) if "dysts_long" in r else True for r in rows)
    stored_vs_short = [within(r["stored"], r["dysts_short"]) for r in rows if "dysts_short" in r]
    stored_vs_long = [within(r["stored"], r["dysts_long"]) for r in rows if "dysts_long" in r]
    print(f"\nflows: {n}; CPU {cpu:.0f} s")
    print(f"sciml within {FACTOR}x of dysts' stored value: {vs_stored}/{n}")
    print(
        f"sciml within {FACTOR}x of the stored value or, for the misses, of dysts' "
        f"long-trajectory estimator (tol=0): {vs_long}/{n}"
    )
    print(
        f"misses whose stored value is within {FACTOR}x of dysts' 2-period estimator: "
        f"{sum(stored_vs_short)}/{len(stored_vs_short)}; of its long estimator (tol=0): "
        f"{sum(stored_vs_long)}/{len(stored_vs_long)}"
    )
    finite = [r for r in rows if np.isfinite(r["ours"])]
    print(f"sciml finite: {len(finite)}/{n}")


if __name__ == "__main__":
    main()
