"""Parameter-to-cluster classifiers: the optional torch MLP against the k-NN default."""

from __future__ import annotations

import numpy as np
import pytest

from gpu.errors import ConfigError, InputError
from solvers.rom import LocalBases, MLPClassifier, efficiency_criterion, moving_front

pytest.importorskip("torch")


def _train() -> object:
    # fixed amplitude: sine clusters are intervals of front position, separable in parameters
    return moving_front(160, 80, amplitude=(1.0, 1.0), seed=3)


def test_mlp_separates_clusters_in_parameter_space() -> None:
    from sklearn.model_selection import cross_val_predict
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train = _train()
    fitted = LocalBases(4, 2, classifier="mlp", n_init=2).fit(train)
    assert isinstance(fitted.classifier_, MLPClassifier)
    assert fitted.misassignment_rate_ is not None and fitted.misassignment_rate_ <= 0.05
    # scikit-learn's MLP, cross-validated on the same labels, sees the same separability
    params = fitted.parameters_
    peer = make_pipeline(StandardScaler(), SkMLP((32, 32), max_iter=2000, random_state=0))
    peer_rate = float(np.mean(cross_val_predict(peer, params, fitted.labels_) != fitted.labels_))
    assert abs(fitted.misassignment_rate_ - peer_rate) <= 0.05
    # fresh parameter points land where their snapshots' nearest medoid is
    test = moving_front(100, 80, amplitude=(1.0, 1.0), seed=4)
    by_params = fitted.assign_parameters(np.column_stack([test.amplitude, test.position]))
    assert np.mean(by_params != fitted.assign(test)) <= 0.05


def test_mlp_rate_feeds_the_efficiency_criterion() -> None:
    train = _train()
    good = efficiency_criterion(train, (1, 4), n_max=3, classifier="mlp", n_init=2)
    untrained = MLPClassifier(epochs=1, learning_rate=1e-6)  # a near-random assignment
    bad = efficiency_criterion(train, (1, 4), n_max=3, classifier=untrained, n_init=2)
    fitted = LocalBases(4, 1, classifier="mlp", n_init=2).fit(train)
    assert float(good.misassignment_rate.sel(n_clusters=4)) == fitted.misassignment_rate_
    assert float(bad.misassignment_rate.sel(n_clusters=4)) >= 0.3
    # misassigned snapshots are projected onto a foreign basis: the expected error grows
    assert np.all(bad.local_error.sel(n_clusters=4) > good.local_error.sel(n_clusters=4))


def test_mlp_bad_input() -> None:
    with pytest.raises(ConfigError, match="not fitted"):
        MLPClassifier().predict([[0.0]])
    with pytest.raises(ConfigError, match="positive"):
        MLPClassifier(epochs=0).fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(InputError, match="one label each"):
        MLPClassifier().fit([[0.0], [1.0]], [0])
    with pytest.raises(ConfigError, match="n_folds"):
        MLPClassifier(n_folds=5).cross_validated_misassignment([[0.0], [1.0]], [0, 1])
    with pytest.raises(ConfigError, match="classifier"):
        LocalBases(2, 1, classifier="svm").fit(_train())  # type: ignore[arg-type]
