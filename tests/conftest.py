"""Shared fixtures: a backend fixture over every installed backend, hypothesis profiles."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

import gpu
from tests._markers import BACKEND_PARAMS

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=50)
settings.register_profile("dev", deadline=None, max_examples=25)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request: pytest.FixtureRequest) -> gpu.Backend:
    """Each installed array backend in float64 (cupy is skipped without a GPU)."""
    return gpu.get_backend(request.param)


@pytest.fixture(autouse=True)
def _no_backend_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never inherit the caller's SCIML_BACKEND."""
    monkeypatch.delenv("SCIML_BACKEND", raising=False)
