"""compare_histories: distribution metrics of generated vs real boundary histories."""

from __future__ import annotations

import numpy as np
import pytest

from sciml.errors import InputError
from sciml.wgan import compare_histories, gaussian_process_histories


def test_independent_real_sets_are_close_and_a_decorrelated_set_is_not() -> None:
    real = gaussian_process_histories(1000, seed=0)
    same = compare_histories(real, gaussian_process_histories(1000, seed=1))
    assert float(same.mean_rel_error) < 0.1
    assert float(same.cov_rel_error) < 0.15
    assert float(same.psd_log_ratio.max()) < 0.1
    values = real["displacement"].values
    rng = np.random.default_rng(2)
    shuffled = np.take_along_axis(
        values.reshape(1000, -1), rng.random((1000, 64)).argsort(axis=0), axis=0
    )
    bad = compare_histories(real, real.copy(data={"displacement": shuffled.reshape(values.shape)}))
    assert float(bad.mean_rel_error) < 1e-12  # marginals kept exactly
    assert float(bad.cov_rel_error) > 5 * float(same.cov_rel_error)
    assert float(bad.sliced_w2) > 2 * float(same.sliced_w2)
    assert float(bad.mmd2) > 5 * abs(float(same.mmd2))


def test_psd_of_a_doubled_signal() -> None:
    real = gaussian_process_histories(50, n_nodes=3, seed=0)
    doubled = compare_histories(real, real * 2)
    assert doubled["psd_log_ratio"].dims == ("node", "component")
    np.testing.assert_allclose(doubled["psd_log_ratio"], np.log10(4.0), rtol=1e-10)
    np.testing.assert_allclose(doubled["psd_generated"], 4 * doubled["psd_real"], rtol=1e-12)
    assert doubled["frequency"].attrs["units"] == "Hz"
    with pytest.raises(InputError, match="2 node points instead of 3"):
        compare_histories(real, gaussian_process_histories(50, n_nodes=2, seed=0))
