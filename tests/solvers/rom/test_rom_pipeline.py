"""ROM-accelerated Monte Carlo through the ensemble runner (the ``rom`` pipeline)."""

from __future__ import annotations

import numpy as np
import pytest

from gpu._optional import module_available
from sciml.ensemble import get_pipeline, run_ensemble

pytestmark = pytest.mark.skipif(not module_available("skfem"), reason="scikit-fem missing")


def test_rom_pipeline_monte_carlo_matches_full_model() -> None:
    pipeline = get_pipeline("rom")
    config = pipeline.make_config(
        {"n_elements": 150, "n_train": 120, "n_clusters": 4, "n_modes": 8, "check_full": True},
        "numpy",
    )
    ds = run_ensemble(
        pipeline.member, 24, seed=3, config=config, batch=pipeline.batch, scheduler="serial"
    )
    assert int(ds.attrs["n_failed"]) == 0
    assert ds["u"].dims == ("member", "node")
    # the ROM is accurate on average (a misassigned member can be off: see the criterion)
    assert float(ds["rom_error"].median()) < 0.05
    # batched and one-by-one members agree (each draws from its own stream)
    single = run_ensemble(pipeline.member, 3, seed=3, config=config, scheduler="serial")
    np.testing.assert_allclose(single["peak"], ds["peak"][:3], rtol=1e-12)
    # the Monte Carlo mean of the peak from the ROM matches the full model's
    rom_mean, full_mean = float(ds["peak"].mean()), float(ds["full_peak"].mean())
    assert abs(rom_mean - full_mean) < 0.05 * full_mean
