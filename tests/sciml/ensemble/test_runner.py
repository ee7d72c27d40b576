"""The runner: reproducible members on every local scheduler, failure isolation, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.ensemble import MemberFailures, failures_of, run_ensemble
from sciml.ensemble.runner import MAX_CHUNK, default_chunk_size
from solvers.contract import validate_dataset
from tests.sciml.ensemble import _members as m

SEED = 20240611
N = 12


def _members_equal(actual: xr.Dataset, expected: xr.Dataset) -> None:
    """The member data (variables and member coordinates) are identical, bit for bit."""
    for name in ("y", "index", "amplitude", "time", "member", "failed"):
        np.testing.assert_array_equal(actual[name].values, expected[name].values, err_msg=name)


@pytest.fixture(scope="module")
def reference() -> xr.Dataset:
    """The ensemble computed serially, one member per chunk, in memory."""
    return run_ensemble(m.walk, N, seed=SEED, scheduler="serial", chunk_size=1)


def test_member_k_is_the_spawned_seed_s_result(reference: xr.Dataset) -> None:
    for k in (0, 5, N - 1):
        direct = m.expected_walk(SEED, N, k)
        np.testing.assert_array_equal(reference["y"].sel(member=k).values, direct["y"].values)
        assert float(reference["amplitude"].sel(member=k)) == float(direct["amplitude"])
    assert reference["index"].dtype == np.float64  # stored as float so a failure can be NaN
    np.testing.assert_array_equal(reference["index"].values, np.arange(N))


@pytest.mark.parametrize(
    ("scheduler", "chunk_size", "workers", "batched"),
    [
        ("threads", 5, 2, False),
        ("threads", 4, 1, True),
        ("processes", 3, 2, False),
    ],
)
def test_same_members_whatever_the_scheduler_and_chunking(
    reference: xr.Dataset,
    tmp_path: Path,
    scheduler: str,
    chunk_size: int,
    workers: int,
    batched: bool,
) -> None:
    result = run_ensemble(
        m.walk,
        N,
        seed=SEED,
        scheduler=scheduler,
        chunk_size=chunk_size,
        workers=workers,
        batch=m.walk_batch if batched else None,
        store=tmp_path / "run.zarr",
    )
    _members_equal(result, reference)
    assert result["y"].encoding["chunks"] == (chunk_size, m.N_TIME)


def test_result_follows_the_contract_and_opens_with_plain_xarray(tmp_path: Path) -> None:
    store = tmp_path / "run.zarr"
    result = run_ensemble(m.walk, N, seed=SEED, store=store, config={"note": "a dict config"})
    validate_dataset(result)
    plain = xr.open_zarr(store)
    assert (store / ".zmetadata").exists()
    assert plain.attrs["seed"] == SEED
    config = json.loads(plain.attrs["config"])
    assert config == {
        "config": {"note": "a dict config"},
        "member_function": "tests.sciml.ensemble._members.walk",
        "members": N,
        "seed": SEED,
    }
    assert plain["done"].values.all()
    assert plain.attrs["n_failed"] == 0
    assert "12 members computed (0 failed)" in plain.attrs["history"]
    xr.testing.assert_equal(plain["y"].load(), result["y"].load())
    assert plain["y"].attrs == {"units": "m", "long_name": "walk"}
    assert plain["amplitude"].dims == ("member",)


def test_a_raising_and_a_nan_member_are_recorded_and_the_rest_are_intact(
    reference: xr.Dataset, tmp_path: Path
) -> None:
    store = tmp_path / "faulty.zarr"
    result = run_ensemble(
        m.faulty, N, seed=SEED, config=m.FaultyConfig(), store=store, chunk_size=4
    )
    failures = failures_of(result)
    assert [(f.member, f.error_type) for f in failures] == [
        (3, "ValueError"),
        (5, "NumericalInstability"),
    ]
    assert failures[0].message == "member 3 diverged on purpose"
    assert "'y' has 1 non-finite value(s)" in failures[1].message
    assert result.attrs["n_failed"] == 2
    assert np.isnan(result["y"].sel(member=[3, 5]).values).all()
    assert np.isnan(result["amplitude"].sel(member=[3, 5]).values).all()
    intact = [k for k in range(N) if k not in (3, 5)]
    xr.testing.assert_equal(
        result["y"].sel(member=intact).load(), reference["y"].sel(member=intact)
    )
    assert result["failure_type"].values[3] == "ValueError"
    assert result["failure_message"].values[0] == ""


@pytest.mark.parametrize("batched", [False, True])
def test_nan_declared_by_a_variable_is_data_and_infinity_still_fails(batched: bool) -> None:
    result = run_ensemble(
        m.gappy, 6, seed=SEED, scheduler="serial", chunk_size=3,
        batch=m.gappy_batch if batched else None,
    )  # fmt: skip
    assert [f.member for f in failures_of(result)] == [4]
    assert "'score' has 1 non-finite value(s)" in failures_of(result)[0].message
    kept = result["score"].sel(member=[0, 1, 2, 3, 5]).values
    np.testing.assert_array_equal(kept[:, 0], [0.0, 1.0, 2.0, 3.0, 5.0])
    np.testing.assert_array_equal(np.isnan(kept[:, 1]), [False, True, False, True, True])
    assert result["score"].attrs["nan_means"] == "not scored"


def test_strict_mode_raises_after_writing_every_member(tmp_path: Path) -> None:
    store = tmp_path / "strict.zarr"
    with pytest.raises(MemberFailures, match=r"2 failed.*member 3: ValueError") as info:
        run_ensemble(m.faulty, N, seed=SEED, config=m.FaultyConfig(), store=store, strict=True)
    assert [f.member for f in info.value.failures] == [3, 5]
    assert xr.open_zarr(store)["done"].values.all()
    assert int(info.value.dataset["failed"].sum()) == 2


def test_contract_violations_fail_only_their_member() -> None:
    result = run_ensemble(m.contract_breaker, 7, seed=SEED, scheduler="serial", chunk_size=2)
    failures = {f.member: f for f in failures_of(result)}
    assert sorted(failures) == [1, 2, 3, 4]
    assert all(f.error_type == "ContractError" for f in failures.values())
    assert "must return an xarray.Dataset, not ndarray" in failures[1].message
    assert "lacks CF attribute(s) units" in failures[2].message
    assert "does not match the ensemble" in failures[3].message
    assert "'failed' are reserved by the ensemble runner" in failures[4].message
    assert "lacks CF attribute(s) units" in str(failures[2])  # one line, all of it
    assert np.isfinite(result["y"].sel(member=[0, 5, 6]).values).all()


def test_a_failing_batched_call_falls_back_to_single_members(reference: xr.Dataset) -> None:
    result = run_ensemble(
        m.walk, N, seed=SEED, scheduler="serial", chunk_size=4, batch=m.walk_batch_failing_at_3
    )
    _members_equal(result, reference)
    assert "batched function failed for 1 chunk(s)" in result.attrs["history"]
    assert "refused member 3" in result.attrs["history"]


def test_every_member_failing_still_gives_a_readable_ensemble(tmp_path: Path) -> None:
    result = run_ensemble(m.always_fails, 5, seed=1, store=tmp_path / "none.zarr", chunk_size=2)
    assert result["failed"].values.all()
    assert set(result["failure_type"].values) == {"ZeroDivisionError"}
    assert set(result.data_vars) == {"failed", "failure_type", "failure_message"}


def test_an_interrupted_run_resumes_without_recomputing(
    reference: xr.Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "interrupted.zarr"
    monkeypatch.setenv("SCIML_TEST_INTERRUPT", "1")
    with pytest.raises(KeyboardInterrupt):
        run_ensemble(
            m.interrupted_at_9, N, seed=SEED, scheduler="serial", store=store, chunk_size=2
        )
    np.testing.assert_array_equal(xr.open_zarr(store)["done"].values, np.arange(N) < 8)
    monkeypatch.delenv("SCIML_TEST_INTERRUPT")
    resumed = run_ensemble(
        m.interrupted_at_9, N, seed=SEED, scheduler="serial", store=store, resume=True
    )
    assert "4 members computed (0 failed), 8 already in the store" in resumed.attrs["history"]
    _members_equal(resumed, reference)


def test_resume_refuses_a_store_from_another_run(tmp_path: Path) -> None:
    store = tmp_path / "run.zarr"
    run_ensemble(m.walk, 4, seed=1, store=store, scheduler="serial")
    with pytest.raises(ConfigError, match=r"seed: 1 in the store, 2 now"):
        run_ensemble(m.walk, 4, seed=2, store=store, resume=True)
    with pytest.raises(ConfigError, match=r"members: 4 in the store, 5 now"):
        run_ensemble(m.walk, 5, seed=1, store=store, resume=True)
    with pytest.raises(ConfigError, match="chunked by"):
        run_ensemble(m.walk, 4, seed=1, store=store, resume=True, chunk_size=3)
    with pytest.raises(InputError, match="exists already: pass resume=True"):
        run_ensemble(m.walk, 4, seed=1, store=store)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_members": 0}, ConfigError, "n_members must be an integer >= 1, got 0"),
        ({"n_members": -3}, ConfigError, "n_members must be an integer >= 1"),
        ({"n_members": 2.5}, ConfigError, "n_members must be an integer"),
        ({"seed": -1}, ConfigError, "seed must be an integer >= 0"),
        ({"scheduler": "gpu"}, ConfigError, "unknown scheduler 'gpu'"),
        ({"chunk_size": 0}, ConfigError, "chunk_size must be"),
        ({"workers": 0}, ConfigError, "workers must be"),
        ({"resume": True}, ConfigError, "resume=True needs the store"),
        ({"config": {"path": Path("x")}}, ConfigError, "JSON-serializable"),
        ({"batch": 3}, ConfigError, "batch must be a callable"),
    ],
)
def test_invalid_arguments_are_config_errors(kwargs: dict, error: type, match: str) -> None:
    arguments = {"n_members": 4, "seed": 0, **kwargs}
    with pytest.raises(error, match=match):
        run_ensemble(m.walk, **arguments)


def test_unwritable_store_locations_are_input_errors(tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("not a folder")
    with pytest.raises(InputError, match="does not exist"):
        run_ensemble(m.walk, 4, seed=0, store=tmp_path / "missing" / "run.zarr")
    with pytest.raises(InputError, match="is not a folder"):
        run_ensemble(m.walk, 4, seed=0, store=a_file / "run.zarr")
    with pytest.raises(InputError, match="is a file"):
        run_ensemble(m.walk, 4, seed=0, store=a_file, resume=True)


def test_default_chunks_balance_the_workers() -> None:
    assert default_chunk_size(1000, 2, batched=False) == MAX_CHUNK
    assert default_chunk_size(64, 2, batched=False) == 4
    assert default_chunk_size(5, 8, batched=False) == 1
    assert default_chunk_size(100_000, 4, batched=True) == 1024


def test_progress_bar_counts_members(capsys: pytest.CaptureFixture[str]) -> None:
    run_ensemble(m.walk, 6, seed=0, chunk_size=2, progress=True)
    assert "6/6" in capsys.readouterr().err


@pytest.mark.parametrize("store", [False, True])
def test_string_parameters_are_kept_and_blank_for_failed_members(
    tmp_path: Path, store: bool
) -> None:
    result = run_ensemble(
        m.labelled, 6, seed=SEED, chunk_size=2, store=tmp_path / "labels.zarr" if store else None
    )
    labels = [str(label) for label in result["label"].values]
    assert labels == ["walk-0", "walk-1", "", "walk-3", "", "walk-5"]
    failures = {f.member: f for f in failures_of(result)}
    assert failures[2].error_type == "RuntimeError"
    assert "has dtype object: an ensemble stores numbers, booleans and strings" in (
        failures[4].message
    )
