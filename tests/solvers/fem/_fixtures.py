"""Backends the FEM tests run on: scikit-fem, and dolfinx where it is installed."""

from __future__ import annotations

import pytest

from gpu._optional import module_available

has_skfem = module_available("skfem")
has_dolfinx = module_available("dolfinx")
requires_skfem = pytest.mark.skipif(not has_skfem, reason="scikit-fem not installed (extra fem)")
requires_dolfinx = pytest.mark.skipif(
    not has_dolfinx,
    reason="dolfinx not installed: run `make test-fenics` (Debian python3-dolfinx)",
)
FEM_BACKENDS = [
    pytest.param("skfem", id="skfem", marks=requires_skfem),
    pytest.param("dolfinx", id="dolfinx", marks=requires_dolfinx),
]
