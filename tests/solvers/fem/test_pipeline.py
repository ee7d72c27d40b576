"""The fem-global pipeline through the runner: members equal sample_global's."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skfem")
pytest.importorskip("dask", reason="the ensemble runner needs dask (not in .venv-fenics)")


def test_members_equal_sample_global() -> None:
    from sciml.ensemble.pipelines import get_pipeline
    from sciml.ensemble.runner import run_ensemble
    from solvers.fem import sample_global

    pipeline = get_pipeline("fem-global")
    config = pipeline.make_config({"cells": 8, "n_steps": 30, "f0": 4.0}, "numpy")
    ds = run_ensemble(pipeline.member, 3, seed=7, config=config, progress=False)
    direct = sample_global(config, members=3, seed=7)
    np.testing.assert_array_equal(ds["displacement"].values, direct["displacement"].values)
    assert ds["displacement"].dims == ("member", "time", "node", "component")
    assert (ds["peak_displacement"] > 0).all() and (ds["peak_von_mises"] > 0).all()
