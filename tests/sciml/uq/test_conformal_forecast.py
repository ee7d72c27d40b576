"""Per-lead-time conformal intervals for ensemble and point forecasts."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from gpu.errors import ConfigError, InputError
from sciml.uq.conformal_base import coverage_probability
from sciml.uq.conformal_forecast import conformal_interval


def _archive(n: int, members: int, leads: int, seed: int) -> tuple[xr.DataArray, xr.DataArray]:
    """Forecast errors growing with lead time; the ensemble spread tracks them case by case."""
    rng = np.random.default_rng(seed)
    growth = np.linspace(0.5, 3.0, leads)
    case_scale = rng.uniform(0.5, 2.0, size=(n, 1))
    truth = rng.normal(size=(n, leads))
    centre = truth + case_scale * growth * rng.normal(size=(n, leads))
    fc = centre[:, None, :] + case_scale[:, None] * growth * rng.normal(size=(n, members, leads))
    coords = {"time": ("time", np.arange(1, leads + 1), {"units": "days"})}
    return (
        xr.DataArray(fc, dims=("sample", "member", "time"), coords=coords),
        xr.DataArray(truth, dims=("sample", "time"), coords=coords, attrs={"units": "K"}),
    )


def test_leave_one_out_equals_calibrating_on_the_other_cases() -> None:
    fc, obs = _archive(30, 5, 3, seed=0)
    fc, obs = fc.round(1), obs.round(1)  # ties
    for score in ("absolute", "normalized"):
        out = conformal_interval(fc, obs, alpha=0.2, score=score)  # type: ignore[arg-type]
        centre, spread = fc.mean("member").values, fc.std("member", ddof=1).values
        scale = spread if score == "normalized" else np.ones_like(spread)
        scores = np.abs(obs.values - centre) / scale
        for i in range(30):
            others = np.delete(scores, i, axis=0)
            k = int(np.ceil(30 * 0.8))
            expected = centre[i] + np.sort(others, axis=0)[k - 1] * scale[i]
            np.testing.assert_allclose(out.upper.values[i], expected, rtol=1e-12)
    assert out.upper.attrs["units"] == "K" and out.attrs["calibration"] == "leave-one-out"


@pytest.mark.parametrize("score", ["absolute", "normalized"])
def test_coverage_at_every_lead_time_for_new_forecasts(score: str) -> None:
    """Each lead time covers with probability ceil((n+1)(1-alpha))/(n+1), within 3 s.e.

    The repetitions run in one call, as an extra dim along which calibration is separate.
    """
    n, alpha, reps, n_new, leads = 40, 0.1, 400, 50, 4
    fc, obs = _archive((n + n_new) * reps, 6, leads, seed=len(score))
    fc = xr.DataArray(
        fc.values.reshape(reps, n + n_new, 6, leads),
        dims=("rep", "sample", "member", "time"),
        coords={"time": fc.time},
    )
    obs = xr.DataArray(
        obs.values.reshape(reps, n + n_new, leads),
        dims=("rep", "sample", "time"),
        coords={"time": obs.time},
    )
    out = conformal_interval(
        fc.isel(sample=slice(n)),
        obs.isel(sample=slice(n)),
        alpha=alpha,
        score=score,  # type: ignore[arg-type]
        target=fc.isel(sample=slice(n, None)),
    )
    truth = obs.isel(sample=slice(n, None))
    hits = ((out.lower <= truth) & (truth <= out.upper)).mean("sample").transpose("rep", "time")
    se = hits.std("rep", ddof=1).values / np.sqrt(reps)
    assert np.all(np.abs(hits.mean("rep").values - coverage_probability(n, alpha)) < 3 * se)


def test_point_forecasts_and_width_growing_with_lead_time() -> None:
    fc, obs = _archive(200, 4, 5, seed=1)
    out = conformal_interval(fc.isel(member=0), obs, alpha=0.1)
    assert out.lower.dims == ("sample", "time")
    width = (out.upper - out.lower).mean("sample")
    assert np.all(np.diff(width.values) > 0)
    with pytest.raises(ConfigError, match="point forecasts"):
        conformal_interval(fc.isel(member=0), obs, score="normalized")


def test_missing_observations_raise_unless_skipped() -> None:
    fc, obs = _archive(50, 4, 3, seed=2)
    holes = obs.copy()
    holes[[2, 9], 1] = np.nan
    with pytest.raises(InputError, match="skipna=True"):
        conformal_interval(fc, holes)
    out = conformal_interval(fc, holes, skipna=True, target=fc[:3])
    complete = conformal_interval(
        fc.drop_isel(sample=[2, 9]), obs.drop_isel(sample=[2, 9]), target=fc[:3]
    )
    np.testing.assert_allclose(out.upper.sel(time=2), complete.upper.sel(time=2))


def test_too_few_cases_and_bad_input() -> None:
    fc, obs = _archive(8, 4, 2, seed=3)
    with pytest.raises(InputError, match="at least 9"):
        conformal_interval(fc, obs, alpha=0.1)
    out = conformal_interval(fc, obs, alpha=0.1, allow_infinite=True)
    assert np.all(np.isinf(out.upper))
    with pytest.raises(ConfigError, match="alpha"):
        conformal_interval(fc, obs, alpha=1.0)
    with pytest.raises(InputError, match="coordinates differ"):
        conformal_interval(fc, obs.assign_coords(time=[5, 6]), alpha=0.5)
    with pytest.raises(InputError, match="no 'sample' dim"):
        conformal_interval(fc.rename(sample="case"), obs.rename(sample="case"), alpha=0.5)
    with pytest.raises(InputError, match="zero ensemble spread"):
        conformal_interval(fc * 0, obs, alpha=0.5, score="normalized")


@pytest.mark.parametrize("score", ["absolute", "normalized"])
def test_chunked_archives_stream_and_match(score: str) -> None:
    fc, obs = _archive(60, 5, 4, seed=4)
    for target in (None, fc[:7]):
        eager = conformal_interval(fc, obs, score=score, target=target)  # type: ignore[arg-type]
        lazy = conformal_interval(
            fc.chunk(time=1, member=2),
            obs.chunk(time=2),
            score=score,  # type: ignore[arg-type]
            target=None if target is None else target.chunk(time=1),
        )
        assert lazy.lower.chunks is not None
        xr.testing.assert_allclose(lazy.compute(), eager)
    few = conformal_interval(fc[:8].chunk(time=1), obs[:8], alpha=0.1)  # too few: raises on compute
    with pytest.raises(InputError, match="at least 9"):
        few.compute()


def test_nan_forecasts_and_one_member_ensembles() -> None:
    fc, obs = _archive(40, 4, 3, seed=5)
    holes = fc.copy()
    holes[5, 1, 0] = np.nan
    with pytest.raises(InputError, match="fc contains 1 NaN"):
        conformal_interval(holes, obs)
    # skipna: the NaN member is left out of the ensemble mean
    out = conformal_interval(holes, obs, skipna=True, target=holes[5:6])
    kept = holes[5:6].mean("member", skipna=True)
    width = conformal_interval(holes, obs, skipna=True, target=fc[:1]).upper - fc[:1].mean("member")
    np.testing.assert_allclose(out.upper.values, (kept + width.values).values, rtol=1e-12)
    with pytest.raises(InputError, match="at least 2 members"):
        conformal_interval(fc.isel(member=[0]), obs, score="normalized")
