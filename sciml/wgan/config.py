"""The configuration of a WGAN-GP: a frozen, validated pydantic model."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from sciml.config import Config

__all__ = ["WGANConfig"]


class WGANConfig(Config):
    """Architecture, training and early-stopping settings of :class:`~sciml.wgan.WGANGP`.

    The defaults follow Gulrajani et al. (2017): gradient penalty weight
    λ = 10, ``n_critic`` = 5 critic updates per generator update, Adam with
    β = (0.5, 0.9) (β₁ = 0 is the other published choice), no batch
    normalization in the critic.

    Attributes
    ----------
    architecture : {"mlp", "conv"}
        ``mlp``: fully connected generator and critic on the flattened
        ``time × channel`` history; ``conv``: 1-D temporal convolutions over
        ``time`` with the ``node × component`` channels.
    latent_dim : int
        Size of the generator's Gaussian input.
    hidden : int
        Width of the hidden layers (``mlp``) or number of feature channels (``conv``).
    depth : int
        Number of hidden layers of each network.
    kernel_size : int
        Odd temporal kernel size of the ``conv`` layers (in time steps).
    output_modes : int, optional
        Project the generator's output onto the leading ``output_modes``
        principal components (POD modes) of the standardized training
        histories, so that it generates only shapes the training data
        span (no high-frequency noise outside them); ``None``: no projection.
    variable : str, optional
        Data variable of the training Dataset; by default its only variable
        with dims ``(member, time, node, component)``.
    conditions : tuple of str
        Names of scalar parameters (coordinates or variables along ``member``)
        that condition both networks; empty for an unconditional GAN.
    n_iterations : int
        Generator updates (each preceded by ``n_critic`` critic updates).
    batch_size : int
        Training histories per minibatch.
    n_critic : int
        Critic updates per generator update.
    gp_weight : float
        Gradient penalty weight λ.
    lr_generator, lr_critic : float
        Adam learning rates.
    adam_beta1, adam_beta2 : float
        Adam's β coefficients.
    seed : int
        Seed of the initial weights, the minibatches, the latent draws and
        the interpolation weights (one ``torch.Generator``, no global state).
    device : str
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` (CUDA when visible).
    dtype : {"float32", "float64"}
        Floating-point type of the networks.
    validation_fraction : float
        Share of the members held out for early stopping (0: none held out).
    eval_every : int
        Generator updates between two held-out evaluations.
    patience : int, optional
        Evaluations without improvement of the held-out sliced W2 after which
        training stops (the best weights are kept); ``None``: no early stopping.
    n_projections : int
        Random directions of the held-out sliced Wasserstein distance.
    validation_units : {"data", "standardized"}
        Units of the held-out sliced W2: ``data``, the histories' own units,
        where every entry weighs by its spread; ``standardized``, each time
        point and channel divided by its training deviation, where entries
        that barely vary (a wave that has not arrived yet) weigh as much as
        the largest ones and can end training long before the rest is learned.
    """

    architecture: Literal["mlp", "conv"] = "mlp"
    latent_dim: int = Field(16, ge=1)
    hidden: int = Field(128, ge=1)
    depth: int = Field(2, ge=1)
    kernel_size: int = Field(5, ge=1)
    output_modes: int | None = Field(None, ge=1)
    variable: str | None = None
    conditions: tuple[str, ...] = ()
    n_iterations: int = Field(2000, ge=1)
    batch_size: int = Field(64, ge=2)
    n_critic: int = Field(5, ge=1)
    gp_weight: float = Field(10.0, ge=0.0)
    lr_generator: float = Field(1e-4, gt=0.0)
    lr_critic: float = Field(1e-4, gt=0.0)
    adam_beta1: float = Field(0.5, ge=0.0, lt=1.0)
    adam_beta2: float = Field(0.9, ge=0.0, lt=1.0)
    seed: int = Field(0, ge=0)
    device: str = "cpu"
    dtype: Literal["float32", "float64"] = "float32"
    validation_fraction: float = Field(0.2, ge=0.0, lt=1.0)
    eval_every: int = Field(50, ge=1)
    patience: int | None = Field(10, ge=1)
    n_projections: int = Field(128, ge=1)
    validation_units: Literal["data", "standardized"] = "data"

    def n_held_out(self, n_members: int) -> int:
        """Members that :meth:`WGANGP.fit` holds out for early stopping from ``n_members``.

        Zero without early stopping (``patience`` ``None`` or
        ``validation_fraction`` 0); ``fit`` holds out none when given a
        ``validation`` Dataset.
        """
        if self.patience is None or self.validation_fraction == 0:
            return 0
        return max(2, round(self.validation_fraction * n_members))

    @field_validator("kernel_size")
    @classmethod
    def _odd_kernel(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError("must be odd, so that a convolution keeps the time length")
        return value

    @field_validator("device")
    @classmethod
    def _known_device(cls, value: str) -> str:
        head, _, index = value.partition(":")
        if head not in ("cpu", "cuda", "auto") or (index and not index.isdigit()):
            raise ValueError("must be 'cpu', 'cuda', 'cuda:N' or 'auto'")
        return value

    @field_validator("conditions")
    @classmethod
    def _distinct(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("condition names must be distinct")
        return value
