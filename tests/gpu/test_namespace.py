"""The array-namespace helper."""

from __future__ import annotations

import numpy as np
import pytest

import gpu
from tests._markers import requires_jax


def test_numpy_inputs_and_scalars() -> None:
    assert gpu.array_namespace(np.ones(2), 3.0, None, [1, 2]) is np
    assert gpu.array_namespace() is np


def test_backend_arrays_report_their_namespace(backend: gpu.Backend) -> None:
    x = backend.asarray([1.0, 2.0])
    assert gpu.array_namespace(x, 2.0) is backend.xp


@requires_jax
def test_mixed_libraries_are_refused() -> None:
    jax_backend = gpu.get_backend("jax")
    with pytest.raises(gpu.InputError, match="different libraries"):
        gpu.array_namespace(np.ones(2), jax_backend.asarray([1.0]))
