"""What a WGAN-GP training carries: its state, its standardization, its stopping criterion.

:class:`Training` is everything a checkpoint holds (networks, optimizers,
random state, curves, early-stopping state); the data are standardized per
time point and channel; early stopping watches the held-out sliced
Wasserstein-2 distance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from gpu._optional import require
from sciml.uq import sliced_wasserstein
from sciml.wgan.config import WGANConfig

if TYPE_CHECKING:
    from sciml.wgan.model import WGANGP

__all__ = ["CURVES", "Training", "held_out_distance", "history_scale", "scale"]

#: Loss curve variables and their long names.
CURVES = {
    "wasserstein_estimate": "critic's Wasserstein-1 estimate (mean over critic steps)",
    "critic_loss": "critic loss including the gradient penalty (mean over critic steps)",
    "gradient_penalty": "gradient penalty, weighted (mean over critic steps)",
    "generator_loss": "generator loss",
    "validation_sliced_w2": "held-out sliced Wasserstein-2 distance",
}


def scale(values: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation along ``axis`` (a zero deviation becomes 1)."""
    mean = values.mean(axis=axis)
    std = values.std(axis=axis)
    return mean, np.where(std > 0, std, 1.0)


def history_scale(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation over members, per time point and channel.

    A constant entry (a state at rest at ``t = 0``, a clamped node) gets the
    deviation ``1e-12`` times the largest one, so generated histories
    reproduce the constant instead of unscaled network output.
    """
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    top = float(std.max())
    return mean, np.maximum(std, 1e-12 * top if top > 0 else 1.0)


def held_out_distance(
    generated: np.ndarray, held: np.ndarray, mean: np.ndarray, std: np.ndarray, config: WGANConfig
) -> float:
    """Sliced W2 of generated and held-out histories: the early-stopping criterion.

    Parameters
    ----------
    generated : numpy.ndarray, shape (member, time, channel)
        Generator output (standardized).
    held : numpy.ndarray, shape (member, time, channel)
        Held-out histories (data units).
    mean, std : numpy.ndarray, shape (time, channel)
        The training standardization.
    config : WGANConfig
        ``validation_units`` (compare in data units or standardized),
        ``n_projections`` and ``seed`` (the projection directions).

    Returns
    -------
    float
    """
    if config.validation_units == "data":
        generated = generated * std + mean
    else:
        held = (held - mean) / std
    return float(
        sliced_wasserstein(
            generated.reshape(len(generated), -1),
            held.reshape(len(held), -1),
            n_projections=config.n_projections,
            seed=config.seed,
        )
    )


class Training:
    """Everything a checkpoint holds: networks, optimizers, random state, curves."""

    def __init__(self, model: WGANGP, x: np.ndarray, n_cond: int) -> None:
        from sciml.wgan._nets import build, principal_basis

        torch = require("torch", "the WGAN-GP")
        cfg = model.config
        self.rng = torch.Generator().manual_seed(cfg.seed)
        self.gen, self.critic = build(cfg, x.shape[1], x.shape[2], n_cond, self.rng)
        if cfg.output_modes is not None:
            with torch.no_grad():
                self.gen.basis.copy_(principal_basis(x, cfg.output_modes))
        self.gen.to(model.device_)
        self.critic.to(model.device_)
        betas = (cfg.adam_beta1, cfg.adam_beta2)
        self.opt_g = torch.optim.Adam(self.gen.parameters(), lr=cfg.lr_generator, betas=betas)
        self.opt_c = torch.optim.Adam(self.critic.parameters(), lr=cfg.lr_critic, betas=betas)
        self.iteration = 0
        self.curves: dict[str, list[float]] = {name: [] for name in CURVES}
        self.best = math.inf
        self.best_state: dict[str, Any] | None = None
        self.evaluations_since_best = 0

    def state(self) -> dict[str, Any]:
        return {
            "gen": self.gen.state_dict(),
            "critic": self.critic.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_c": self.opt_c.state_dict(),
            "rng": self.rng.get_state(),
            "iteration": self.iteration,
            "curves": self.curves,
            "best": self.best,
            "best_state": self.best_state,
            "evaluations_since_best": self.evaluations_since_best,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        self.gen.load_state_dict(state["gen"])
        self.critic.load_state_dict(state["critic"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_c.load_state_dict(state["opt_c"])
        self.rng.set_state(state["rng"])
        self.iteration = int(state["iteration"])
        self.curves = {name: list(values) for name, values in state["curves"].items()}
        self.best = float(state["best"])
        self.best_state = state["best_state"]
        self.evaluations_since_best = int(state["evaluations_since_best"])
