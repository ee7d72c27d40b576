"""Surface flux transport of the Sun's radial magnetic field on the sphere.

The physics and numerics of HipFT (Caplan et al., predsci/hipft) from Python:
advection by differential rotation and meridional flow (optionally attenuated
by strong fields) in conservative flux form with upwind or WENO3 fluxes and
SSPRK(3,3)/(4,3) time stepping, supergranular diffusion with a conservative
five-point operator (constant or spatially varying diffusivity) and explicit
Euler or RKL2/RKG2 super time stepping, on HipFT's pole-to-pole grid with
polar caps; bipolar-region and random flux emergence; assimilation of
observed maps; flux-conservative regridding. A run carries a batch of
realizations whose parameters differ, advanced together on NumPy, numba, JAX
or CuPy.

>>> from solvers.fluxtransport import SFTConfig, read_hipft_map, run
>>> cfg = SFTConfig(duration_h=100.0, diffusion={"nu_km2_s": 25.0})  # doctest: +SKIP
>>> ds = run(cfg, read_hipft_map("map180x360.h5"), backend="numba")  # doctest: +SKIP
"""

from solvers.fluxtransport.config import (
    AssimilationConfig,
    DiffusionConfig,
    FlowConfig,
    GridConfig,
    NumericsConfig,
    ObservationConfig,
    OutputConfig,
    RandomEmergenceConfig,
    RegionConfig,
    SFTConfig,
    SourcesConfig,
)
from solvers.fluxtransport.diagnostics import DIAGNOSTICS, map_diagnostics
from solvers.fluxtransport.grid import SphereGrid
from solvers.fluxtransport.hipft_io import map_to_grid, read_hipft_map, read_map, write_hipft_map
from solvers.fluxtransport.regrid import regrid_values
from solvers.fluxtransport.run import run

__all__ = [
    "DIAGNOSTICS",
    "AssimilationConfig",
    "DiffusionConfig",
    "FlowConfig",
    "GridConfig",
    "NumericsConfig",
    "ObservationConfig",
    "OutputConfig",
    "RandomEmergenceConfig",
    "RegionConfig",
    "SFTConfig",
    "SourcesConfig",
    "SphereGrid",
    "map_diagnostics",
    "map_to_grid",
    "read_hipft_map",
    "read_map",
    "regrid_values",
    "run",
    "write_hipft_map",
]
