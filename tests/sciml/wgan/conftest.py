"""Shared data for the WGAN tests: Gaussian-process boundary histories."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import xarray as xr

from gpu._optional import module_available
from sciml.wgan import gaussian_process_histories


@pytest.fixture(scope="module")
def histories() -> xr.Dataset:
    """256 histories, 32 time points, 2 nodes, 1 component."""
    return gaussian_process_histories(256, seed=0)


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """One intra-op thread while a test runs (the machine is shared), restored after."""
    if not module_available("torch"):
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
