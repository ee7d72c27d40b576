"""Array backends: one small immutable object per (backend, dtype).

>>> import gpu
>>> be = gpu.get_backend("numpy")
>>> x = be.asarray([1.0, 2.0])
>>> float(be.xp.sum(x))
3.0

``auto`` picks CuPy on a visible NVIDIA GPU, else JAX if installed, else
numba, else NumPy; the ``SCIML_BACKEND`` environment variable overrides it.
Nothing here imports an accelerator library at module import time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from types import ModuleType
from typing import Any, Literal, TypeVar

import numpy as np

from gpu._optional import module_available, require
from gpu.errors import BackendUnavailable, ConfigError
from gpu.random import CupyGenerator, JaxGenerator, NumpyGenerator, RandomGenerator, SeedLike

__all__ = [
    "BACKEND_NAMES",
    "Backend",
    "BackendInfo",
    "available_backends",
    "get_backend",
]

BackendName = Literal["numpy", "numba", "jax", "cupy"]
BACKEND_NAMES: tuple[str, ...] = ("numpy", "numba", "jax", "cupy")
_AUTO_ORDER: tuple[str, ...] = ("cupy", "jax", "numba", "numpy")
_ENV_VAR = "SCIML_BACKEND"

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Backend:
    """An array backend: its namespace, device and the few verbs kernels need.

    Attributes
    ----------
    name : str
        ``"numpy"``, ``"numba"``, ``"jax"`` or ``"cupy"``.
    xp : module
        The array namespace (``numpy``, ``jax.numpy`` or ``cupy``).
    device : str
        Where arrays live, e.g. ``"cpu"`` or ``"cuda:0 (NVIDIA H200)"``.
    dtype : numpy.dtype
        The floating-point dtype of this backend instance (float64 by default).
    """

    name: str
    xp: ModuleType
    device: str
    dtype: np.dtype
    _jit: Callable[..., Any] = field(repr=False, compare=False)
    _generator: Callable[[SeedLike, np.dtype], RandomGenerator] = field(repr=False, compare=False)

    def asarray(self, x: Any, dtype: Any = None) -> Any:
        """Convert ``x`` to an array of this backend; floats take the backend dtype."""
        if dtype is None:
            source = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype
            dtype = self.dtype if np.dtype(source).kind == "f" else None
        return self.xp.asarray(x, dtype=dtype)

    def to_numpy(self, x: Any) -> np.ndarray:
        """Copy an array of this backend into host memory as a NumPy array."""
        if self.name == "cupy":
            return x.get() if hasattr(x, "get") else np.asarray(x)
        return np.asarray(x)

    def jit(self, fn: F, **options: Any) -> F:
        """Compile ``fn`` for this backend.

        ``numba`` uses :func:`numba.njit`, ``jax`` uses :func:`jax.jit`;
        ``numpy`` and ``cupy`` return ``fn`` unchanged (CuPy array expressions
        already run as GPU kernels).
        """
        return self._jit(fn, **options)

    def random(self, seed: SeedLike = None) -> RandomGenerator:
        """A generator on this backend, fixed by ``seed`` (int or SeedSequence)."""
        return self._generator(seed, self.dtype)


@dataclass(frozen=True)
class BackendInfo:
    """Whether a backend can run here, on which device, or why not."""

    name: str
    available: bool
    device: str
    detail: str


def _identity_jit(fn: F, **_: Any) -> F:
    return fn


def _numba_jit(fn: F, **options: Any) -> F:
    numba = require("numba", "the numba backend")
    return numba.njit(**options)(fn)


def _jax_jit(fn: F, **options: Any) -> F:
    jax = require("jax", "the jax backend")
    return jax.jit(fn, **options)


@lru_cache(maxsize=1)
def _cuda_device() -> tuple[bool, str]:
    """(usable, description) for the first CUDA device seen by CuPy."""
    if not module_available("cupy"):
        return False, "cupy not installed: pip install 'sciml[gpu]'"
    try:
        import cupy

        if not cupy.cuda.is_available():
            return False, "no NVIDIA GPU or driver visible"
        props = cupy.cuda.runtime.getDeviceProperties(0)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        return True, f"cuda:0 ({name})"
    except Exception as exc:  # CUDA runtime errors vary by driver; all mean "not usable"
        return False, f"CUDA not usable: {type(exc).__name__}: {exc}"


def _probe(name: str) -> BackendInfo:
    if name == "numpy":
        return BackendInfo("numpy", True, "cpu", f"numpy {np.__version__} (reference)")
    if name == "numba":
        if not module_available("numba"):
            return BackendInfo("numba", False, "-", "numba not installed")
        import numba

        return BackendInfo("numba", True, "cpu", f"numba {numba.__version__}")
    if name == "jax":
        if not module_available("jax"):
            return BackendInfo("jax", False, "-", "jax not installed: pip install 'sciml[jax]'")
        try:
            import jax

            dev = jax.devices()[0]
            return BackendInfo("jax", True, f"{dev.platform}:{dev.id}", f"jax {jax.__version__}")
        except Exception as exc:  # a broken jaxlib install must not crash detection
            return BackendInfo("jax", False, "-", f"jax failed to start: {exc}")
    if name == "cupy":
        ok, desc = _cuda_device()
        return BackendInfo("cupy", ok, desc if ok else "-", "" if ok else desc)
    raise ConfigError(_unknown(name))


def _unknown(name: str) -> str:
    return f"unknown backend {name!r}: choose one of {', '.join((*BACKEND_NAMES, 'auto'))}"


def available_backends() -> list[BackendInfo]:
    """Probe every backend without crashing where a library or GPU is missing.

    Returns
    -------
    list of BackendInfo
        One entry per backend name, in the order numpy, numba, jax, cupy.
    """
    return [_probe(name) for name in BACKEND_NAMES]


def _resolve_name(name: str | None) -> str:
    if name is None or name == "auto":
        env = os.environ.get(_ENV_VAR, "").strip().lower()
        if env and env != "auto":
            if env not in BACKEND_NAMES:
                raise ConfigError(f"{_ENV_VAR}={env!r} is invalid: " + _unknown(env))
            return env
        for candidate in _AUTO_ORDER:
            if _probe(candidate).available:
                return candidate
        return "numpy"
    lowered = name.lower()
    if lowered not in BACKEND_NAMES:
        raise ConfigError(_unknown(name))
    return lowered


def get_backend(name: str | None = None, dtype: str | np.dtype = "float64") -> Backend:
    """Return the array backend ``name``.

    Parameters
    ----------
    name : {"numpy", "numba", "jax", "cupy", "auto"}, optional
        Backend to use. ``None`` or ``"auto"`` takes ``$SCIML_BACKEND`` if set,
        else the fastest one available (cupy on a GPU, jax, numba, numpy).
    dtype : {"float64", "float32"}
        Floating-point precision. JAX's 64-bit mode is switched on for float64.

    Returns
    -------
    Backend
        An immutable backend object (cached: the same object for the same
        arguments).

    Raises
    ------
    ConfigError
        Unknown backend name or dtype.
    MissingExtra
        The backend's library is not installed (the message names the extra).
    BackendUnavailable
        The library is installed but cannot run here (e.g. no GPU).
    """
    resolved = _resolve_name(name)
    float_dtype = np.dtype(dtype)
    if float_dtype not in (np.dtype("float64"), np.dtype("float32")):
        raise ConfigError(f"dtype must be float64 or float32, not {dtype!r}")
    return _build(resolved, float_dtype.name)


@cache
def _build(name: str, dtype_name: str) -> Backend:
    dtype = np.dtype(dtype_name)
    if name == "numpy":
        return Backend("numpy", np, "cpu", dtype, _identity_jit, NumpyGenerator)
    if name == "numba":
        require("numba", "the numba backend")
        return Backend("numba", np, "cpu", dtype, _numba_jit, NumpyGenerator)
    if name == "jax":
        jax = require("jax", "the jax backend")
        if dtype == np.dtype("float64"):
            jax.config.update("jax_enable_x64", True)
        jnp = require("jax.numpy")
        info = _probe("jax")
        return Backend("jax", jnp, info.device, dtype, _jax_jit, JaxGenerator)
    # cupy
    require("cupy", "the cupy (NVIDIA GPU) backend")
    ok, desc = _cuda_device()
    if not ok:
        raise BackendUnavailable(f"the cupy backend cannot run here: {desc}")
    import cupy

    return Backend("cupy", cupy, desc, dtype, _identity_jit, CupyGenerator)
