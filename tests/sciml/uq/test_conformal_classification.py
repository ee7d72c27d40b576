"""Conformal prediction sets (LAC, APS): exact coverage by simulation, agreement with MAPIE."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy.special import softmax

from gpu.errors import ConfigError, InputError
from sciml.uq.conformal_base import coverage_probability
from sciml.uq.conformal_classification import ConformalClassifier, class_scores

sklearn_linear = pytest.importorskip("sklearn.linear_model")
mapie_classification = pytest.importorskip("mapie.classification")
mapie_aps = pytest.importorskip("mapie.conformity_scores.sets.aps")


def _draw(n: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Over-confident probabilities: labels follow softmax(z / 2), the model says softmax(z)."""
    z = 2.0 * rng.normal(size=(n, k))
    labels = (softmax(z / 2.0, axis=1).cumsum(axis=1) < rng.uniform(size=(n, 1))).sum(axis=1)
    return softmax(z, axis=1), labels


@pytest.mark.parametrize(("method", "randomized"), [("lac", False), ("aps", False), ("aps", True)])
def test_set_coverage_is_exact(method: str, randomized: bool) -> None:
    """Continuous scores: P(y in set) = ceil((n+1)(1-alpha))/(n+1), checked within 3 s.e."""
    n, alpha, reps, n_test = 50, 0.1, 1500, 40
    rng = np.random.default_rng(len(method) + randomized)
    per_rep = np.empty(reps)
    for r in range(reps):
        probs, labels = _draw(n + n_test, 5, rng)
        model = ConformalClassifier(
            alpha=alpha,
            method=method,
            randomized=randomized,
            random_state=r,  # type: ignore[arg-type]
        ).fit(probs[:n], labels[:n])
        sets = model.predict_set(probs[n:])
        per_rep[r] = np.mean(sets[np.arange(n_test), labels[n:]])
    se = per_rep.std(ddof=1) / np.sqrt(reps)
    assert abs(per_rep.mean() - coverage_probability(n, alpha)) < 3 * se


def test_lac_sets_equal_mapie() -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(900, 4))
    y = (X @ rng.normal(size=(4, 3)) + rng.gumbel(size=(900, 3))).argmax(axis=1)
    clf = sklearn_linear.LogisticRegression().fit(X[:300], y[:300])
    ours = ConformalClassifier(clf, alpha=0.1, prefit=True).fit(X[300:600], y[300:600])
    peer = mapie_classification.SplitConformalClassifier(
        clf, confidence_level=0.9, conformity_score="lac", prefit=True
    ).conformalize(X[300:600], y[300:600])
    _, peer_sets = peer.predict_set(X[600:])
    np.testing.assert_array_equal(ours.predict_set(X[600:]), peer_sets[:, :, 0])


def test_aps_scores_equal_mapie_cumulative_probability() -> None:
    rng = np.random.default_rng(4)
    probs, labels = _draw(200, 6, rng)
    ours = class_scores(probs, "aps")[np.arange(200), labels]
    peer, _ = mapie_aps.APSConformityScore.get_true_label_cumsum_proba(labels, probs, np.arange(6))
    np.testing.assert_allclose(ours, peer[:, 0], rtol=1e-12)


def test_aps_sets_hold_the_top_classes_and_grow_with_confidence_level() -> None:
    rng = np.random.default_rng(5)
    probs, labels = _draw(600, 6, rng)
    narrow = ConformalClassifier(alpha=0.3, method="aps").fit(probs[:300], labels[:300])
    wide = ConformalClassifier(alpha=0.05, method="aps").fit(probs[:300], labels[:300])
    small, large = narrow.predict_set(probs[300:]), wide.predict_set(probs[300:])
    assert np.all(small <= large) and large.sum() > small.sum()
    # non-randomized APS sets are top-k sets: a class is in if a likelier one is
    ranks = np.argsort(np.argsort(-probs[300:], axis=1), axis=1)
    size = small.sum(axis=1, keepdims=True)
    np.testing.assert_array_equal(small, ranks < size)


def test_estimator_with_string_labels_and_dataarrays() -> None:
    rng = np.random.default_rng(6)
    X = rng.normal(size=(600, 3))
    names = np.array(["calm", "gale", "storm"])
    y = names[np.digitize(X[:, 0] + 0.5 * rng.normal(size=600), [-0.5, 0.5])]
    Xd = xr.DataArray(X, dims=("sample", "feature"), coords={"sample": np.arange(600)})
    model = ConformalClassifier(sklearn_linear.LogisticRegression(), random_state=0)
    sets = model.fit(Xd, y).predict_set(Xd[:10])
    assert sets.dims == ("sample", "class")
    assert list(sets["class"].values) == ["calm", "gale", "storm"]
    assert model.n_calibration_ == 300
    assert bool(sets.any("class").all())


def test_bad_input_raises_clear_errors() -> None:
    probs = np.array([[0.7, 0.3], [0.4, 0.6], [0.5, 0.5]])
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        ConformalClassifier().fit(probs * 2, [0, 1, 0])
    with pytest.raises(InputError, match="class indices"):
        ConformalClassifier(allow_infinite=True).fit(probs, [0, 1, 2])
    with pytest.raises(InputError, match="at least 9"):
        ConformalClassifier().fit(probs, [0, 1, 0])
    full = ConformalClassifier(allow_infinite=True).fit(probs, [0, 1, 0]).predict_set(probs)
    assert full.all()
    with pytest.raises(ConfigError, match="randomized"):
        ConformalClassifier(randomized=True).fit(probs, [0, 1, 0])
    with pytest.raises(ConfigError, match="method"):
        ConformalClassifier(method="raps").fit(probs, [0, 1, 0])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="alpha"):
        ConformalClassifier(alpha=1.2).fit(probs, [0, 1, 0])
    with pytest.raises(ConfigError, match="not fitted"):
        ConformalClassifier().predict_set(probs)
