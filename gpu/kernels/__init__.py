"""Compute kernels, each with a NumPy reference and compiled variants per backend."""

from gpu.kernels.dissimilarity import pairwise_dissimilarity, principal_angles
from gpu.kernels.ring_diffusion import ring_diffusion

__all__ = ["pairwise_dissimilarity", "principal_angles", "ring_diffusion"]
