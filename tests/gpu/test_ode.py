"""Batched ODE integrators: convergence orders, dense output, backends, divergence."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import gpu
from gpu.errors import ConfigError, InputError
from gpu.ode import BatchedRHS, Status, dop853, dopri5, rk4
from tests._markers import has_numba, requires_numba

NUMPY = gpu.get_backend("numpy")
RATES = np.array([-0.5, -1.0, -2.0])


def _linear(xp: Any) -> Any:
    """y0' = -k y0 + w y1, y1' = -w y0 - k y1: decaying rotation with rate k = p[0], w = 1."""

    def f(y: Any, t: Any, p: Any) -> Any:
        return xp.stack([p[0] * y[0] + y[1], -y[0] + p[0] * y[1]])

    return f


def _linear_exact(y0: np.ndarray, t: float) -> np.ndarray:
    c, s = np.cos(t), np.sin(t)
    rot = np.array([[c, s], [-s, c]])
    return np.exp(RATES * t)[None, :] * np.einsum("ij,jm->im", rot, y0)


def _lorenz(xp: Any) -> Any:
    def f(y: Any, t: Any, p: Any) -> Any:
        return xp.stack(
            [p[0] * (y[1] - y[0]), y[0] * (p[1] - y[2]) - y[1], y[0] * y[1] - p[2] * y[2]]
        )

    return f


def _lorenz_scalar(x: float, y: float, z: float, t: float, s: float, r: float, b: float) -> Any:
    return s * (y - x), x * (r - z) - y, x * y - b * z


def _blowup(xp: Any) -> Any:
    def f(y: Any, t: Any, p: Any) -> Any:
        return y * y

    return f


def _blowup_scalar(y: float, t: float) -> Any:
    return (y * y,)


def _numba(fn: Any) -> Any:
    if not has_numba:
        return None
    import numba

    return numba.njit(error_model="numpy")(fn)


LINEAR = BatchedRHS(2, _linear, None, "linear")
LORENZ = BatchedRHS(3, _lorenz, _numba(_lorenz_scalar), "lorenz")
BLOWUP = BatchedRHS(1, _blowup, _numba(_blowup_scalar), "blowup")
LORENZ_P = np.array([10.0, 28.0, 8.0 / 3.0])
Y0_LINEAR = np.array([[1.0, 0.5, -1.0], [0.0, 1.0, 2.0]])


def _slope(steps: np.ndarray, errors: np.ndarray) -> float:
    return float(np.polyfit(np.log(steps), np.log(errors), 1)[0])


def test_rk4_converges_at_fourth_order() -> None:
    t_end = 2.0
    exact = _linear_exact(Y0_LINEAR, t_end)
    counts = np.array([20, 40, 80, 160])
    errors = [
        np.abs(
            rk4(
                NUMPY,
                LINEAR,
                Y0_LINEAR,
                dt_out=t_end,
                n_out=2,
                substeps=int(c),
                params=RATES[None, :],
            ).y[-1]
            - exact
        ).max()
        for c in counts
    ]
    assert _slope(t_end / counts, np.array(errors)) == pytest.approx(4.0, abs=0.15)


def test_dopri5_is_fifth_order() -> None:
    """One accepted step of size h has local error O(h^6): order 5.

    Loose tolerances make the integrator accept the whole span as one step,
    so the step size is set by the test, not by the controller.
    """
    spans = np.array([0.2, 0.1, 0.05, 0.025])
    errors = []
    for h in spans:
        sol = dopri5(
            NUMPY, LINEAR, Y0_LINEAR, dt_out=h, n_out=2, params=RATES[None, :], rtol=10.0, atol=10.0
        )
        assert np.all(sol.n_steps == 1)
        errors.append(np.abs(sol.y[-1] - _linear_exact(Y0_LINEAR, h)).max())
    assert _slope(spans, np.array(errors)) == pytest.approx(6.0, abs=0.2)


def test_dopri5_error_is_proportional_to_the_tolerance() -> None:
    """Steps grow as tol^(-1/5) and the global error follows the tolerance."""
    t_end = 4.0
    exact = _linear_exact(Y0_LINEAR, t_end)
    tols = np.array([1e-6, 1e-7, 1e-8, 1e-9, 1e-10])
    errors, steps = [], []
    for tol in tols:
        sol = dopri5(
            NUMPY,
            LINEAR,
            Y0_LINEAR,
            dt_out=t_end,
            n_out=2,
            params=RATES[None, :],
            rtol=tol,
            atol=tol,
        )
        errors.append(np.abs(sol.y[-1] - exact).max())
        steps.append(sol.n_steps.mean())
    assert _slope(tols, np.array(steps)) == pytest.approx(-1.0 / 5.0, abs=0.03)
    assert np.all(np.array(errors) < 10 * tols)


def test_dopri5_dense_output_matches_the_exact_solution() -> None:
    sol = dopri5(
        NUMPY,
        LINEAR,
        Y0_LINEAR,
        dt_out=0.01,
        n_out=301,
        params=RATES[None, :],
        rtol=1e-10,
        atol=1e-12,
    )
    exact = np.stack([_linear_exact(Y0_LINEAR, t) for t in sol.t[:, 0]])
    assert np.all(sol.ok)
    np.testing.assert_allclose(sol.y, exact, atol=1e-9)
    assert sol.n_steps.max() < 300, "the output grid must not force the steps"


def test_per_member_output_grids() -> None:
    dt = np.array([0.01, 0.02, 0.05])
    sol = dopri5(
        NUMPY, LINEAR, Y0_LINEAR, dt_out=dt, n_out=50, params=RATES[None, :], rtol=1e-10, atol=1e-12
    )
    for m in range(3):
        exact = np.stack([_linear_exact(Y0_LINEAR, t)[:, m] for t in sol.t[:, m]])
        np.testing.assert_allclose(sol.y[:, :, m], exact, atol=1e-9)


def test_dop853_is_eighth_order() -> None:
    """One step of size h: local error O(h^9) (order 8), interpolant at h/2 O(h^8) (order 7)."""
    spans = np.array([0.24, 0.2, 0.16, 0.12])
    errors, mid_errors = [], []
    for h in spans:
        sol = dop853(
            NUMPY,
            LINEAR,
            Y0_LINEAR,
            dt_out=h / 2,
            n_out=3,
            params=RATES[None, :],
            rtol=1.0,
            atol=1.0,
        )
        assert np.all(sol.n_steps == 1)
        errors.append(np.abs(sol.y[-1] - _linear_exact(Y0_LINEAR, h)).max())
        mid_errors.append(np.abs(sol.y[1] - _linear_exact(Y0_LINEAR, h / 2)).max())
    assert _slope(spans, np.array(errors)) == pytest.approx(9.0, abs=0.3)
    assert _slope(spans, np.array(mid_errors)) == pytest.approx(8.0, abs=0.3)


def test_dop853_takes_scipys_steps_and_matches_its_dense_output() -> None:
    """Same method, norm, controller and starting step as scipy's DOP853: same steps."""
    from scipy.integrate import solve_ivp

    y0 = _lorenz_y0()
    grid = np.linspace(0.0, 2.0, 41)
    sol = dop853(NUMPY, LORENZ, y0, dt_out=0.05, n_out=41, params=LORENZ_P, rtol=1e-9, atol=1e-9)

    def f(t: float, y: np.ndarray) -> np.ndarray:
        return np.asarray(_lorenz(np)(y, t, LORENZ_P))

    for m in range(y0.shape[1]):
        ref = solve_ivp(f, (0.0, 2.0), y0[:, m], "DOP853", rtol=1e-9, atol=1e-9, dense_output=True)
        assert sol.n_steps[m] == ref.t.size - 1
        np.testing.assert_allclose(sol.y[:, :, m], ref.sol(grid).T, rtol=1e-8, atol=1e-8)
        tight = solve_ivp(f, (0.0, 2.0), y0[:, m], "DOP853", rtol=1e-13, atol=1e-13, t_eval=grid)
        np.testing.assert_allclose(sol.y[:, :, m], tight.y.T, rtol=0.0, atol=1e-6)


def _lorenz_y0() -> np.ndarray:
    return np.array([[1.0, -3.0, 5.0, 0.1], [1.0, 2.0, -4.0, 0.2], [20.0, 25.0, 15.0, 30.0]])


@pytest.mark.parametrize("method", ["rk4", "dopri5", "dop853"])
def test_backends_agree_with_numpy_reference(backend: gpu.Backend, method: str) -> None:
    y0 = _lorenz_y0()
    kwargs: dict[str, Any] = {"dt_out": 0.01, "n_out": 51, "params": LORENZ_P}
    if method == "rk4":
        run = lambda be: rk4(be, LORENZ, y0, substeps=4, **kwargs)  # noqa: E731
    else:
        adaptive = dopri5 if method == "dopri5" else dop853
        run = lambda be: adaptive(be, LORENZ, y0, rtol=1e-10, atol=1e-10, **kwargs)  # noqa: E731
    reference = run(NUMPY)
    result = run(backend)
    assert result.backend == backend.name
    np.testing.assert_array_equal(result.status, reference.status)
    np.testing.assert_allclose(result.y, reference.y, rtol=1e-10, atol=1e-10)


def test_diverging_member_is_flagged_not_fatal(backend: gpu.Backend) -> None:
    """y' = y^2 from y0 = 1 blows up at t = 1; the other members are unharmed."""
    y0 = np.array([[1.0, -1.0, 0.25]])
    t = np.linspace(0.0, 2.0, 21)
    for sol in (
        dopri5(backend, BLOWUP, y0, dt_out=0.1, n_out=21, rtol=1e-8, atol=1e-8),
        dop853(backend, BLOWUP, y0, dt_out=0.1, n_out=21, rtol=1e-8, atol=1e-8),
        rk4(backend, BLOWUP, y0, dt_out=0.1, n_out=21, substeps=50),
    ):
        assert sol.status[0] != Status.SUCCESS
        assert np.all(np.isnan(sol.y[-1, :, 0]))
        assert list(sol.status[1:]) == [Status.SUCCESS, Status.SUCCESS]
        exact = y0[0, 1:] / (1.0 - y0[0, 1:] * t[:, None])
        np.testing.assert_allclose(sol.y[:, 0, 1:], exact, rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"y0": np.ones((2, 3))}, InputError),
        ({"y0": np.array([1.0, np.nan, 2.0])}, InputError),
        ({"dt_out": 0.0}, InputError),
        ({"dt_out": -1.0}, InputError),
        ({"n_out": 0}, InputError),
        ({"rtol": 0.0}, ConfigError),
        ({"params": np.ones((3, 7))}, InputError),
    ],
)
def test_bad_input_raises_sciml_errors(kwargs: dict[str, Any], error: type[Exception]) -> None:
    args: dict[str, Any] = {"y0": _lorenz_y0(), "dt_out": 0.1, "n_out": 5, "params": LORENZ_P}
    args.update(kwargs)
    y0 = args.pop("y0")
    with pytest.raises(error):
        dopri5(NUMPY, LORENZ, y0, **args)


def test_missing_backend_form_is_a_config_error() -> None:
    if not has_numba:
        pytest.skip("numba not installed")
    with pytest.raises(ConfigError, match="numba"):
        rk4(gpu.get_backend("numba"), LINEAR, Y0_LINEAR, dt_out=0.1, n_out=3, params=RATES[None, :])


@requires_numba
def test_numba_adaptive_kernel_is_compiled_once_for_every_right_hand_side() -> None:
    """Systems reach the kernel as C callbacks of one signature: no compilation per system."""
    from gpu.ode import _numba_adaptive

    numba_backend = gpu.get_backend("numba")
    dopri5(numba_backend, LORENZ, _lorenz_y0(), dt_out=0.1, n_out=3, params=LORENZ_P)
    compiled = len(_numba_adaptive.integrate.signatures)
    dopri5(numba_backend, BLOWUP, np.array([[0.1, 0.2]]), dt_out=0.1, n_out=3)
    dop853(numba_backend, BLOWUP, np.array([[0.1, 0.2]]), dt_out=0.1, n_out=3)
    assert len(_numba_adaptive.integrate.signatures) == compiled


def _decay_scalar(x: float, y: float, z: float, t: float, k: float) -> Any:
    """A scalar form used by one test only (importable, so its callback goes to disk)."""
    return -k * x, -k * y + t, -k * z * x


@requires_numba
def test_callbacks_of_importable_functions_are_cached_on_disk(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numba

    from gpu.ode._numba import CACHE_ENV, call_pointer, rhs_pointer

    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    y, p = np.array([1.0, -2.0, 20.0]), np.array([0.5])
    callback = rhs_pointer(numba.njit(error_model="numpy")(_decay_scalar), 3, 1)
    np.testing.assert_array_equal(call_pointer(callback, y, 0.5, p), _decay_scalar(*y, 0.5, *p))
    (source,) = (tmp_path / "numba").glob("rhs__decay_scalar_*.py")
    assert list((tmp_path / "numba" / "__pycache__").glob(f"{source.stem}*.nbi"))

    def local(x: float, y: float, z: float, t: float) -> Any:  # not importable: in memory
        return -x, -y, -z

    callback = rhs_pointer(numba.njit(local), 3, 0)
    np.testing.assert_array_equal(call_pointer(callback, y, 0.0, np.zeros(0)), -y)
    assert len(list((tmp_path / "numba").glob("*.py"))) == 1


_VECTOR_BODY = """
_w = np.array([[0.0, 1.0, -1.0], [-1.0, 0.0, 0.5], [1.0, -0.5, 0.0]])


@numba.njit
def rhs(X, t, p):
    return p[0] * (_w @ X) - heaviside(X - 1.0, 0.5) * X + np.sin(t)
"""
_W = np.array([[0.0, 1.0, -1.0], [-1.0, 0.0, 0.5], [1.0, -0.5, 0.0]])


def _vector_numpy(xp: Any) -> Any:
    def f(y: Any, t: Any, p: Any) -> Any:
        return p[0] * np.einsum("ij,j...->i...", _W, y) - np.heaviside(y - 1.0, 0.5) * y + np.sin(t)

    return f


@requires_numba
@pytest.mark.parametrize("writable", [True, False])
def test_vector_forms_run_both_numba_kernels_and_are_cached_on_disk(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, writable: bool
) -> None:
    from gpu.ode import _numba

    monkeypatch.setenv(_numba.CACHE_ENV, str(tmp_path))
    if not writable:
        monkeypatch.setattr(_numba, "cache_dir", lambda: None)
    form = _numba.vector_form(_VECTOR_BODY, 3, 1, "test_vector")
    y, p = np.array([0.5, 1.0, 2.0]), np.array([0.7])
    expected = _vector_numpy(np)(y, 0.3, p)
    callback = _numba.rhs_pointer(form, 3, 1)
    np.testing.assert_allclose(_numba.call_pointer(callback, y, 0.3, p), expected, rtol=1e-15)
    np.testing.assert_allclose(form(*y, 0.3, *p), expected, rtol=1e-15)
    files = list((tmp_path / "numba").glob("vec_test_vector_*.py"))
    assert len(files) == (1 if writable else 0)
    if writable:
        assert list((tmp_path / "numba" / "__pycache__").glob(f"{files[0].stem}*.nbi"))
    rhs = BatchedRHS(3, _vector_numpy, form, "vector")
    y0 = np.array([[0.5, -1.0], [1.0, 0.2], [2.0, 0.0]])
    params = np.array([[0.7, -0.3]])
    numba_backend = gpu.get_backend("numba")
    for method, kwargs in ((dopri5, {}), (rk4, {"substeps": 4})):
        got = method(numba_backend, rhs, y0, dt_out=0.1, n_out=6, params=params, **kwargs)
        ref = method(NUMPY, rhs, y0, dt_out=0.1, n_out=6, params=params, **kwargs)
        np.testing.assert_allclose(got.y, ref.y, rtol=1e-11, atol=1e-12)


@requires_numba
def test_numba_replacements_follow_numpy() -> None:
    from gpu.ode._numba_numpy import amax_axis, amin_axis, heaviside

    x = np.array([-2.0, -0.0, 0.0, 3.0, np.nan, np.inf, -np.inf])
    for h0 in (0.0, 0.5, 1.0):
        np.testing.assert_array_equal(heaviside(x, h0), np.heaviside(x, h0))
    a = np.random.default_rng(1).normal(size=(4, 5))
    a[2, 3] = np.nan
    for axis in (0, 1, -1):
        np.testing.assert_array_equal(amin_axis(a, axis), np.min(a, axis=axis))
        np.testing.assert_array_equal(amax_axis(a, axis), np.max(a, axis=axis))
