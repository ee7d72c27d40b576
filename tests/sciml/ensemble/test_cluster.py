"""dask.distributed: a LocalCluster started by the runner, and a running cluster by address."""

from __future__ import annotations

from pathlib import Path

import dask
import numpy as np
import pytest

from gpu.errors import InputError
from sciml.ensemble import failures_of, run_ensemble
from tests._markers import requires_distributed
from tests.sciml.ensemble import _members as m

pytestmark = [requires_distributed, pytest.mark.xdist_group("cluster")]

SEED, N = 99, 10


def test_local_cluster_and_a_cluster_address_give_the_serial_members(tmp_path: Path) -> None:
    from distributed import LocalCluster

    reference = run_ensemble(m.faulty, N, seed=SEED, config=m.FaultyConfig(), scheduler="serial")
    on_local_cluster = run_ensemble(
        m.faulty, N, seed=SEED, config=m.FaultyConfig(), scheduler="local-cluster", workers=2,
        chunk_size=3, store=tmp_path / "local.zarr",
    )  # fmt: skip
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster:
        by_address = run_ensemble(
            m.faulty, N, seed=SEED, config=m.FaultyConfig(), scheduler=cluster.scheduler_address,
            chunk_size=4,
        )  # fmt: skip
    for result in (on_local_cluster, by_address):
        np.testing.assert_array_equal(result["y"].values, reference["y"].values)
        np.testing.assert_array_equal(result["amplitude"].values, reference["amplitude"].values)
        assert [f.member for f in failures_of(result)] == [3, 5]
    assert "on local-cluster (2 workers)" in on_local_cluster.attrs["history"]


def test_an_address_where_no_scheduler_answers_is_an_input_error() -> None:
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(InputError, match=r"no Dask scheduler answers at tcp://127\.0\.0\.1:9"),
    ):
        run_ensemble(m.walk, 2, seed=0, scheduler="tcp://127.0.0.1:9")
