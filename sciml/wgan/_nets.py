"""The torch networks: generator and critic, MLP and temporal-convolution variants.

Imported only when a GAN is built, so that ``import sciml.wgan`` does not
import torch. Shapes: histories ``(batch, time, channel)``, conditions
``(batch, n_conditions)``, latent draws ``(batch, latent_dim)``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from gpu._optional import require

torch = require("torch", "the WGAN-GP networks")
nn = torch.nn

__all__ = ["Critic", "Generator", "build", "initialize", "principal_basis"]

#: Slope of the leaky ReLUs.
SLOPE = 0.2


def _mlp(sizes: list[int]) -> Any:
    """Linear layers with leaky ReLUs between them (none after the last)."""
    layers: list[Any] = []
    for a, b in itertools.pairwise(sizes):
        layers += [nn.Linear(a, b), nn.LeakyReLU(SLOPE)]
    return nn.Sequential(*layers[:-1])


def _conv_stack(channels: int, depth: int, kernel: int) -> Any:
    layers: list[Any] = []
    for _ in range(depth):
        layers += [nn.Conv1d(channels, channels, kernel, padding=kernel // 2), nn.LeakyReLU(SLOPE)]
    return nn.Sequential(*layers)


class Generator(nn.Module):  # type: ignore[name-defined]
    """Latent draw (and conditions) to a standardized history ``(batch, time, channel)``."""

    def __init__(
        self,
        architecture: str,
        n_time: int,
        n_channels: int,
        n_conditions: int,
        latent_dim: int,
        hidden: int,
        depth: int,
        kernel: int,
        modes: int | None = None,
    ) -> None:
        super().__init__()
        self.architecture = architecture
        self.n_time, self.n_channels, self.hidden = n_time, n_channels, hidden
        # orthonormal rows (filled by the caller), saved with the weights
        basis = None if modes is None else torch.empty(modes, n_time * n_channels)
        self.register_buffer("basis", basis)
        inputs = latent_dim + n_conditions
        if architecture == "mlp":
            self.body = _mlp([inputs] + [hidden] * depth + [n_time * n_channels])
        else:
            self.lift = nn.Sequential(nn.Linear(inputs, hidden * n_time), nn.LeakyReLU(SLOPE))
            self.body = _conv_stack(hidden, depth, kernel)
            self.head = nn.Conv1d(hidden, n_channels, kernel, padding=kernel // 2)

    def forward(self, z: Any, cond: Any) -> Any:
        """Generate a batch of standardized histories."""
        h = torch.cat([z, cond], dim=1)
        if self.architecture == "mlp":
            out = self.body(h).view(-1, self.n_time, self.n_channels)
        else:
            h = self.lift(h).view(-1, self.hidden, self.n_time)
            out = self.head(self.body(h)).transpose(1, 2)
        if self.basis is None:
            return out
        flat = out.flatten(1) @ self.basis.T @ self.basis
        return flat.view(-1, self.n_time, self.n_channels)


class Critic(nn.Module):  # type: ignore[name-defined]
    """History (and conditions) to a real score; no normalization layers (WGAN-GP)."""

    def __init__(
        self,
        architecture: str,
        n_time: int,
        n_channels: int,
        n_conditions: int,
        hidden: int,
        depth: int,
        kernel: int,
    ) -> None:
        super().__init__()
        self.architecture = architecture
        if architecture == "mlp":
            self.body = _mlp([n_time * n_channels + n_conditions] + [hidden] * depth + [1])
        else:
            self.lift = nn.Sequential(
                nn.Conv1d(n_channels + n_conditions, hidden, kernel, padding=kernel // 2),
                nn.LeakyReLU(SLOPE),
            )
            self.body = _conv_stack(hidden, depth - 1, kernel)
            self.head = nn.Linear(hidden * n_time, 1)

    def forward(self, x: Any, cond: Any) -> Any:
        """Score a batch of standardized histories: shape ``(batch,)``."""
        if self.architecture == "mlp":
            return self.body(torch.cat([x.flatten(1), cond], dim=1)).squeeze(1)
        h = x.transpose(1, 2)
        if cond.shape[1]:
            h = torch.cat([h, cond[:, :, None].expand(-1, -1, h.shape[2])], dim=1)
        return self.head(self.body(self.lift(h)).flatten(1)).squeeze(1)


def initialize(module: Any, generator: Any) -> None:
    """Draw every weight from ``generator`` (torch's default uniform scheme, no global RNG)."""
    with torch.no_grad():
        for layer in module.modules():
            if isinstance(layer, nn.Linear | nn.Conv1d):
                fan_in = layer.weight[0].numel()
                bound = 1.0 / math.sqrt(fan_in)
                layer.weight.uniform_(-bound, bound, generator=generator)
                layer.bias.uniform_(-bound, bound, generator=generator)


def build(
    config: Any, n_time: int, n_channels: int, n_conditions: int, generator: Any
) -> tuple[Any, Any]:
    """A generator and a critic for ``config``, initialized from ``generator``.

    The layers are created on the ``meta`` device (no memory, no draws from
    torch's global generator), then materialized and initialized from
    ``generator``, so building a GAN leaves torch's global random state alone.
    With ``config.output_modes``, the generator's ``basis`` buffer is left
    for the caller to fill (:func:`principal_basis`, or a saved state).
    """
    args = (config.architecture, n_time, n_channels, n_conditions)
    common = (config.hidden, config.depth, config.kernel_size)
    with torch.device("meta"):
        gen = Generator(*args, config.latent_dim, *common, config.output_modes)
        critic = Critic(*args, *common)
    dtype = getattr(torch, config.dtype)
    gen = gen.to_empty(device="cpu").to(dtype)
    critic = critic.to_empty(device="cpu").to(dtype)
    initialize(gen, generator)
    initialize(critic, generator)
    return gen, critic


def principal_basis(values: Any, modes: int) -> Any:
    """The leading ``modes`` principal directions of standardized histories.

    Parameters
    ----------
    values : numpy.ndarray, shape (member, time, channel)
        Standardized training histories (zero mean per entry).
    modes : int
        Number of directions.

    Returns
    -------
    torch.Tensor, shape (modes, time * channel)
        Orthonormal rows: the right singular vectors of the flattened
        histories with the largest singular values (POD modes).
    """
    flat = torch.as_tensor(values.reshape(values.shape[0], -1), dtype=torch.float64)
    _, _, vh = torch.linalg.svd(flat, full_matrices=False)
    return vh[:modes]
