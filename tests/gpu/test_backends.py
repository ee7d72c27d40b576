"""Backends: selection, dtype, conversion, jit and random numbers, on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import gpu
from gpu import backends as backends_module
from gpu._optional import require
from tests._markers import has_cupy, has_jax, has_numba


def test_numpy_is_always_available() -> None:
    infos = {info.name: info for info in gpu.available_backends()}
    assert list(infos) == ["numpy", "numba", "jax", "cupy"]
    assert infos["numpy"].available
    assert infos["numba"].available == has_numba
    assert infos["jax"].available == has_jax
    assert infos["cupy"].available == has_cupy


def test_auto_order_follows_availability() -> None:
    expected = "cupy" if has_cupy else "jax" if has_jax else "numba" if has_numba else "numpy"
    assert gpu.get_backend("auto").name == expected
    assert gpu.get_backend().name == expected


def test_environment_variable_overrides_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIML_BACKEND", "numpy")
    assert gpu.get_backend().name == "numpy"
    assert gpu.get_backend("auto").name == "numpy"
    monkeypatch.setenv("SCIML_BACKEND", "fortran")
    with pytest.raises(gpu.ConfigError, match="SCIML_BACKEND='fortran'"):
        gpu.get_backend()


def test_explicit_name_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIML_BACKEND", "numba")
    assert gpu.get_backend("numpy").name == "numpy"


def test_unknown_name_and_dtype_are_config_errors() -> None:
    with pytest.raises(gpu.ConfigError, match="unknown backend 'torch'"):
        gpu.get_backend("torch")
    with pytest.raises(gpu.ConfigError, match="float64 or float32"):
        gpu.get_backend("numpy", dtype="int32")
    assert issubclass(gpu.ConfigError, ValueError)


def test_missing_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gpu._optional.module_available", lambda name: False)
    with pytest.raises(gpu.MissingExtra, match=r"pip install 'sciml\[jax\]'") as info:
        require("jax", "the jax backend")
    assert isinstance(info.value, ImportError)
    assert isinstance(info.value, gpu.SciMLError)
    assert "\n" not in str(info.value)


def test_cupy_without_gpu_is_a_clear_error() -> None:
    if has_cupy:
        pytest.skip("a GPU is present")
    with pytest.raises(gpu.BackendUnavailable, match="cupy"):
        gpu.get_backend("cupy")


def test_backends_are_cached_and_immutable() -> None:
    first = gpu.get_backend("numpy")
    assert gpu.get_backend("numpy") is first
    with pytest.raises(AttributeError):
        first.name = "other"  # type: ignore[misc]


def test_asarray_roundtrip_and_dtype(backend: gpu.Backend) -> None:
    data = np.linspace(0.0, 1.0, 7)
    x = backend.asarray(data)
    assert np.dtype(x.dtype) == np.float64
    np.testing.assert_array_equal(backend.to_numpy(x), data)
    ints = backend.asarray(np.arange(3))
    assert np.dtype(ints.dtype).kind == "i"


def test_float32_option(backend: gpu.Backend) -> None:
    single = gpu.get_backend(backend.name, dtype="float32")
    x = single.asarray([1.0, 2.0])
    assert np.dtype(x.dtype) == np.float32
    assert single.random(0).standard_normal(4).dtype == np.float32


def _logistic_map(x0: np.ndarray, steps: int) -> np.ndarray:
    x = x0.copy()
    for _ in range(steps):
        x = 3.7 * x * (1.0 - x)
    return x


def test_jit_matches_numpy_reference(backend: gpu.Backend) -> None:
    """A compiled kernel agrees with the uncompiled NumPy reference."""
    x0 = np.linspace(0.1, 0.9, 32)
    reference = _logistic_map(x0, 5)

    def kernel(x):  # type: ignore[no-untyped-def]
        return 3.7 * x * (1.0 - x)

    compiled = backend.jit(kernel)
    x = backend.asarray(x0)
    for _ in range(5):
        x = compiled(x)
    np.testing.assert_allclose(backend.to_numpy(x), reference, rtol=1e-13, atol=0)


def test_random_is_reproducible_and_seeded(backend: gpu.Backend) -> None:
    a = backend.to_numpy(backend.random(42).normal(1.0, 2.0, size=(2000,)))
    b = backend.to_numpy(backend.random(42).normal(1.0, 2.0, size=(2000,)))
    c = backend.to_numpy(backend.random(43).normal(1.0, 2.0, size=(2000,)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # moments within 5 standard errors of N(1, 2^2)
    assert abs(a.mean() - 1.0) < 5 * 2.0 / np.sqrt(a.size)
    assert abs(a.var() - 4.0) < 5 * 4.0 * np.sqrt(2.0 / a.size)
    u = backend.to_numpy(backend.random(1).uniform(-1.0, 3.0, size=1000))
    assert u.min() >= -1.0 and u.max() < 3.0
    k = backend.to_numpy(backend.random(1).integers(5, size=1000))
    assert set(np.unique(k)) <= set(range(5))


def test_seed_sequence_children_give_independent_streams(backend: gpu.Backend) -> None:
    children = np.random.SeedSequence(7).spawn(2)
    a = backend.to_numpy(backend.random(children[0]).standard_normal(500))
    b = backend.to_numpy(backend.random(children[1]).standard_normal(500))
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(500)


def test_probe_never_crashes_without_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    backends_module._cuda_device.cache_clear()
    monkeypatch.setattr(backends_module, "module_available", lambda name: False)
    try:
        info = backends_module._probe("cupy")
    finally:
        backends_module._cuda_device.cache_clear()
    assert not info.available
    assert "sciml[gpu]" in info.detail
