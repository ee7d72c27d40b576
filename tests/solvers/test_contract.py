"""The xarray data contract: what passes, what fails and how it is reported."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ContractError
from solvers.contract import DIMENSIONS, provenance, validate_dataset, with_provenance


def make_valid(n_member: int = 3, n_time: int = 4) -> xr.Dataset:
    ds = xr.Dataset(
        {"x": (("member", "time"), np.zeros((n_member, n_time)), {"units": "m", "long_name": "x"})},
        coords={"time": ("time", np.arange(n_time, dtype=float), {"units": "s"})},
    )
    return with_provenance(ds, backend="numpy", seed=3, config={"dt": 0.1, "n": np.int64(4)})


def test_valid_dataset_passes_and_is_returned() -> None:
    ds = make_valid()
    assert validate_dataset(ds) is ds


def test_provenance_carries_version_backend_seed_and_json_config() -> None:
    attrs = make_valid().attrs
    assert attrs["backend"] == "numpy"
    assert attrs["seed"] == 3
    assert json.loads(attrs["config"]) == {"dt": 0.1, "n": 4}
    assert attrs["sciml_version"] != ""
    assert provenance(backend="jax", seed=None, config={})["seed"] == -1


def test_alias_dimension_gets_a_named_fix() -> None:
    ds = make_valid().rename(member="realization")
    with pytest.raises(ContractError, match="'realization' should be named 'member'"):
        validate_dataset(ds)


def test_unknown_dimension_can_be_allowed_explicitly() -> None:
    ds = make_valid().expand_dims(bin=2)
    with pytest.raises(ContractError, match="extra_dims=\\['bin'\\]"):
        validate_dataset(ds)
    validate_dataset(ds, extra_dims=["bin"])


def test_every_violation_is_reported_at_once() -> None:
    ds = make_valid()
    ds["x"].attrs.clear()
    ds["time"].attrs.clear()
    ds.attrs.clear()
    with pytest.raises(ContractError) as info:
        validate_dataset(ds)
    message = str(info.value)
    assert "lacks CF attribute(s) units, long_name" in message
    assert "'time' has no units" in message
    assert "provenance attrs missing" in message
    assert message.count("\n  - ") == 3


def test_datetime_time_needs_no_units_attribute() -> None:
    ds = make_valid()
    ds = ds.assign_coords(time=np.arange(4).astype("datetime64[D]"))
    validate_dataset(ds)


def test_lat_lon_units_and_range_are_checked() -> None:
    ds = make_valid().expand_dims(lat=[-91.0, 0.0])
    with pytest.raises(ContractError) as info:
        validate_dataset(ds)
    assert "'lat' must have units 'degrees_north'" in str(info.value)
    assert "outside [-90, 90]" in str(info.value)


def test_config_attr_must_be_json() -> None:
    ds = make_valid()
    ds.attrs["config"] = "{not json"
    with pytest.raises(ContractError, match="not a JSON string"):
        validate_dataset(ds)


def test_named_dataarray_is_checked_and_unnamed_refused() -> None:
    da = make_valid()["x"]
    da.attrs.update(make_valid().attrs)
    validate_dataset(da)
    with pytest.raises(ContractError, match="needs a name"):
        validate_dataset(da.rename(None))


def test_contract_error_is_a_value_error() -> None:
    assert issubclass(ContractError, ValueError)
    assert "member" in DIMENSIONS and "quantile" in DIMENSIONS
