"""sciml.wgan — WGAN-GP generators of stochastic boundary conditions.

A Wasserstein GAN with gradient penalty (:class:`WGANGP`) learns the
distribution of boundary histories ``(member, time, node, component)`` that a
global model produces, then samples new ones in the same layout; optionally
conditioned on scalar parameters. :func:`submodel_monte_carlo` drives a
submodel with generated boundary conditions through the ensemble runner and
estimates the statistics of its quantity of interest;
:func:`compare_histories` measures how close generated histories are to real ones.

Needs the ``torch`` extra (``pip install 'sciml[torch]'``) to train or sample;
importing this package does not import torch.
"""

from sciml.wgan.config import WGANConfig
from sciml.wgan.layout import Layout
from sciml.wgan.metrics import compare_histories
from sciml.wgan.model import WGANGP, gradient_penalty
from sciml.wgan.montecarlo import LinearSubmodel, submodel_monte_carlo
from sciml.wgan.synthetic import gaussian_process_histories, gaussian_process_statistics

__all__ = [
    "WGANGP",
    "Layout",
    "LinearSubmodel",
    "WGANConfig",
    "compare_histories",
    "gaussian_process_histories",
    "gaussian_process_statistics",
    "gradient_penalty",
    "submodel_monte_carlo",
]
