"""The ridge solver of the readouts: Gram matrix by dsyrk, Cholesky by dposv, lstsq fallback."""

from __future__ import annotations

import numpy as np
import pytest

from sciml.forecast.base import ridge, ridge_path


def _normal_equations(f: np.ndarray, y: np.ndarray, alpha: float) -> np.ndarray:
    return np.linalg.solve(f.T @ f + alpha * np.eye(f.shape[1]), f.T @ y)


@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_matches_the_normal_equations_for_1d_and_2d_targets(layout: str) -> None:
    rng = np.random.default_rng(0)
    f = rng.standard_normal((60, 7))
    f = np.asfortranarray(f) if layout == "F" else f
    f = rng.standard_normal((60, 14))[:, ::2] if layout == "strided" else f
    y2, y1 = rng.standard_normal((60, 3)), rng.standard_normal(60)
    for y in (y2, y1):
        w = ridge(f, y, 0.3)
        assert w.shape == (7, 3) if y.ndim == 2 else (7,)
        np.testing.assert_allclose(w, _normal_equations(f, y, 0.3), rtol=1e-10)


def test_one_gram_matrix_for_several_penalties() -> None:
    rng = np.random.default_rng(1)
    f, y = rng.standard_normal((40, 5)), rng.standard_normal((40, 2))
    for alpha, w in zip((1e-6, 1.0, 100.0), ridge_path(f, y, [1e-6, 1.0, 100.0]), strict=True):
        np.testing.assert_allclose(w, _normal_equations(f, y, alpha), rtol=1e-9)


def test_singular_system_without_penalty_gives_the_minimum_norm_solution() -> None:
    rng = np.random.default_rng(2)
    f = np.column_stack([rng.standard_normal((30, 3)), np.zeros(30)])  # a dead feature
    y = rng.standard_normal((30, 2))
    w = ridge(f, y, 0.0)
    np.testing.assert_allclose(w, np.linalg.lstsq(f, y, rcond=None)[0], atol=1e-12)
    assert np.all(w[3] == 0)
