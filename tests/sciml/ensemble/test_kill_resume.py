"""A run killed with SIGKILL mid-way and resumed equals an uninterrupted run; nothing recomputed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr

from sciml.ensemble import run_ensemble
from tests.sciml.ensemble import _members as m

REPO = Path(__file__).resolve().parents[3]
N, CHUNK, SEED = 40, 2, 7
RUN = """
import sys
from sciml.ensemble import run_ensemble
from tests.sciml.ensemble._members import slow_logged
run_ensemble(slow_logged, {n}, seed={seed}, scheduler="threads", workers=2, chunk_size={chunk},
             store=sys.argv[1], progress=False)
"""


def _done(store: Path) -> np.ndarray:
    """The ``done`` flags as another process sees them (all False before the store exists)."""
    try:
        return np.asarray(zarr.open_array(store / "done", mode="r")[:], dtype=bool)
    except (FileNotFoundError, ValueError):
        return np.zeros(N, dtype=bool)


def _logged(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def test_sigkill_then_resume_gives_the_uninterrupted_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "killed.zarr"
    first_log = tmp_path / "first.log"
    env = {**os.environ, "SCIML_TEST_MEMBER_LOG": str(first_log), "SCIML_TEST_DELAY": "0.1"}
    script = RUN.format(n=N, seed=SEED, chunk=CHUNK)
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(store)],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    try:
        while _done(store).sum() < 3 * CHUNK:  # let a few chunks finish
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "the run wrote no chunk within 60 s"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL

    done_at_kill = _done(store)
    assert 0 < done_at_kill.sum() < N, "the kill must land in the middle of the run"
    assert set(np.flatnonzero(done_at_kill)) <= set(_logged(first_log))

    second_log = tmp_path / "second.log"
    monkeypatch.setenv("SCIML_TEST_MEMBER_LOG", str(second_log))
    resumed = run_ensemble(
        m.slow_logged, N, seed=SEED, scheduler="threads", workers=2, store=store, resume=True
    )
    recomputed = _logged(second_log)
    assert sorted(recomputed) == sorted(np.flatnonzero(~done_at_kill)), (
        "resume must compute exactly the members not written, each once"
    )
    assert resumed.attrs["history"].count("run_ensemble") == 1  # the killed run never finished
    assert f"{len(recomputed)} members computed" in resumed.attrs["history"]

    monkeypatch.delenv("SCIML_TEST_MEMBER_LOG")
    reference_store = tmp_path / "reference.zarr"
    run_ensemble(
        m.slow_logged, N, seed=SEED, scheduler="serial", chunk_size=CHUNK, store=reference_store
    )
    killed = xr.open_zarr(store).load()
    reference = xr.open_zarr(reference_store).load()
    assert killed["done"].values.all()
    for ds in (killed, reference):
        del ds.attrs["history"]
    xr.testing.assert_identical(killed, reference)
    leftovers = [p for p in store.rglob("*") if p.name.endswith(".partial")]
    assert leftovers == []
