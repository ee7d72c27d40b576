"""Seeded random generators with one interface on every backend.

NumPy's :class:`numpy.random.Generator` is the reference interface; the CuPy
and JAX generators below expose the same four methods, so code drawing random
numbers never branches on the backend. Seeds are plain integers or
:class:`numpy.random.SeedSequence` objects (what the ensemble runner spawns).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "CupyGenerator",
    "JaxGenerator",
    "NumpyGenerator",
    "RandomGenerator",
    "SeedLike",
    "seed_to_int",
]

SeedLike = int | np.random.SeedSequence | None


@runtime_checkable
class RandomGenerator(Protocol):
    """The methods every backend's generator provides (NumPy's names and signatures)."""

    def standard_normal(self, size: Any = None, dtype: Any = ...) -> Any: ...

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None) -> Any: ...

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Any = None) -> Any: ...

    def integers(self, low: Any, high: Any = None, size: Any = None) -> Any: ...


def seed_to_int(seed: SeedLike) -> int:
    """Reduce a seed to a 63-bit integer (``None`` draws fresh OS entropy)."""
    if isinstance(seed, np.random.SeedSequence):
        state = seed.generate_state(2, dtype=np.uint32)
        return (int(state[0]) << 31) ^ int(state[1])
    if seed is None:
        return seed_to_int(np.random.SeedSequence())
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    from gpu.errors import ConfigError

    raise ConfigError(f"seed must be an int, a numpy SeedSequence or None, not {seed!r}")


def _shape(size: Any) -> tuple[int, ...]:
    if size is None:
        return ()
    if isinstance(size, (int, np.integer)):
        return (int(size),)
    return tuple(int(s) for s in size)


class NumpyGenerator:
    """NumPy's PCG64 generator, drawing floats in the backend's dtype."""

    def __init__(self, seed: SeedLike, dtype: np.dtype) -> None:
        self._generator = np.random.default_rng(seed)
        self._dtype = dtype

    def standard_normal(self, size: Any = None, dtype: Any = None) -> Any:
        return self._generator.standard_normal(size, dtype=dtype or self._dtype)

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None) -> Any:
        return loc + scale * self.standard_normal(size)

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Any = None) -> Any:
        return low + (high - low) * self._generator.random(size, dtype=self._dtype)

    def integers(self, low: Any, high: Any = None, size: Any = None) -> Any:
        return self._generator.integers(low, high, size)


class CupyGenerator:
    """A NumPy-style generator drawing on the GPU with CuPy."""

    def __init__(self, seed: SeedLike, dtype: np.dtype) -> None:
        import cupy

        self._cp = cupy
        self._state = cupy.random.RandomState(seed_to_int(seed) % (2**63))
        self._dtype = dtype

    def standard_normal(self, size: Any = None, dtype: Any = None) -> Any:
        return self._state.standard_normal(_shape(size), dtype=dtype or self._dtype)

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None) -> Any:
        return loc + scale * self.standard_normal(size)

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Any = None) -> Any:
        return self._state.uniform(low, high, _shape(size), dtype=self._dtype)

    def integers(self, low: Any, high: Any = None, size: Any = None) -> Any:
        if high is None:
            low, high = 0, low
        return self._state.randint(low, high, _shape(size))


class JaxGenerator:
    """A NumPy-style, stateful wrapper over JAX's splittable keys.

    Each call splits the key, so successive draws are independent and the
    whole sequence is fixed by the seed.
    """

    def __init__(self, seed: SeedLike, dtype: np.dtype) -> None:
        import jax

        self._random = jax.random
        self._key = jax.random.key(seed_to_int(seed) % (2**63))
        self._dtype = dtype

    def _next_key(self) -> Any:
        self._key, sub = self._random.split(self._key)
        return sub

    def standard_normal(self, size: Any = None, dtype: Any = None) -> Any:
        return self._random.normal(self._next_key(), _shape(size), dtype=dtype or self._dtype)

    def normal(self, loc: Any = 0.0, scale: Any = 1.0, size: Any = None) -> Any:
        return loc + scale * self.standard_normal(size)

    def uniform(self, low: Any = 0.0, high: Any = 1.0, size: Any = None) -> Any:
        return self._random.uniform(
            self._next_key(), _shape(size), dtype=self._dtype, minval=low, maxval=high
        )

    def integers(self, low: Any, high: Any = None, size: Any = None) -> Any:
        if high is None:
            low, high = 0, low
        return self._random.randint(self._next_key(), _shape(size), low, high)
