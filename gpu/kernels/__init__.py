"""Compute kernels, each with a NumPy reference and compiled variants per backend."""

from gpu.kernels.ring_diffusion import ring_diffusion

__all__ = ["ring_diffusion"]
