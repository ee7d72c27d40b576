"""The ``fem_backend`` fixture: every installed FEM backend."""

from __future__ import annotations

import pytest

from tests.solvers.fem._fixtures import FEM_BACKENDS


@pytest.fixture(params=FEM_BACKENDS)
def fem_backend(request: pytest.FixtureRequest) -> str:
    """Name of an installed FEM backend."""
    return str(request.param)
