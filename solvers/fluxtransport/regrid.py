"""Flux-conservative regridding between uniform pole-to-pole grids.

Each node's dual cell (a colatitude band times a longitude interval, the pole
rows being caps) sends its flux to the cells of the target grid in proportion
to the exact spherical areas of the overlaps. Every source cell's fractions
sum to one, so the net and the per-cell-summed flux ``sum(area * Br)`` of the
result equal those of the input to rounding (in the grids' own cell areas).
"""

from __future__ import annotations

import numpy as np

from solvers.fluxtransport.grid import SphereGrid

__all__ = ["regrid_values"]


def _theta_fractions(source: SphereGrid, target: SphereGrid) -> np.ndarray:
    """``out[j, i]``: share of source band ``i``'s area inside target band ``j``."""
    s_edges = np.clip(source.theta_faces, 0.0, np.pi)
    t_edges = np.clip(target.theta_faces, 0.0, np.pi)
    lo = np.maximum(t_edges[:-1, None], s_edges[None, :-1])
    hi = np.minimum(t_edges[1:, None], s_edges[None, 1:])
    overlap = np.where(hi > lo, np.cos(lo) - np.cos(hi), 0.0)
    total = np.cos(s_edges[:-1]) - np.cos(s_edges[1:])
    return overlap / total[None, :]


def _phi_fractions(source: SphereGrid, target: SphereGrid) -> np.ndarray:
    """``out[l, k]``: share of source interval ``k`` inside target interval ``l`` (periodic)."""
    s_lo = source.phi - 0.5 * source.dphi
    t_lo = target.phi - 0.5 * target.dphi
    out = np.zeros((target.n_phi, source.n_phi))
    for shift in (-2.0 * np.pi, 0.0, 2.0 * np.pi):
        lo = np.maximum(t_lo[:, None], s_lo[None, :] + shift)
        hi = np.minimum(t_lo[:, None] + target.dphi, s_lo[None, :] + shift + source.dphi)
        out += np.clip(hi - lo, 0.0, None)
    return out / source.dphi


def regrid_values(values: np.ndarray, source: SphereGrid, target: SphereGrid) -> np.ndarray:
    """Map ``values`` (..., n_theta, n_phi) on ``source`` to ``target``, conserving flux."""
    flux = values * source.cell_area
    moved = _theta_fractions(source, target) @ flux @ _phi_fractions(source, target).T
    out = moved / target.cell_area
    out[..., 0, :] = out[..., 0, :].mean(axis=-1, keepdims=True)
    out[..., -1, :] = out[..., -1, :].mean(axis=-1, keepdims=True)
    return np.asarray(out)
