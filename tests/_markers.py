"""Skip markers built once (xarray's pattern): ``requires_jax`` etc."""

from __future__ import annotations

import pytest

from gpu import available_backends
from gpu._optional import module_available

_INFO = {info.name: info for info in available_backends()}


def _marker(name: str) -> tuple[bool, pytest.MarkDecorator]:
    info = _INFO[name]
    return info.available, pytest.mark.skipif(
        not info.available, reason=f"{name} backend unavailable: {info.detail}"
    )


has_numba, requires_numba = _marker("numba")
has_jax, requires_jax = _marker("jax")
has_cupy, requires_cupy = _marker("cupy")
has_torch = module_available("torch")
requires_torch = pytest.mark.skipif(not has_torch, reason="torch not installed")
has_distributed = module_available("distributed")
requires_distributed = pytest.mark.skipif(
    not has_distributed, reason="dask.distributed not installed"
)
has_dysts = module_available("dysts")
requires_dysts = pytest.mark.skipif(
    not has_dysts, reason="dysts not installed: pip install 'sciml[chaos]'"
)

#: One pytest param per backend, skipped cleanly where unavailable.
BACKEND_PARAMS = [
    pytest.param("numpy", id="numpy"),
    pytest.param("numba", id="numba", marks=requires_numba),
    pytest.param("jax", id="jax", marks=requires_jax),
    pytest.param("cupy", id="cupy", marks=[requires_cupy, pytest.mark.gpu]),
]
