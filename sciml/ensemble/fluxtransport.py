"""The ``fluxtransport`` pipeline: surface flux transport members for the runner.

A run file names it with ``pipeline = "fluxtransport"``; its ``[config]``
table holds the keys of :class:`solvers.fluxtransport.SFTConfig` plus
``initial_map`` (a HipFT map file or a NetCDF file holding ``br``; the
180 x 360 map shipped with sciml by default). Per-realization parameters
(``flows.p0_m_s``, ``diffusion.nu_km2_s``, ...) given as lists hold one value
per member; a chunk of members runs as one batch of realizations.
"""

from __future__ import annotations

from pydantic import Field

from sciml.ensemble.pipelines import Pipeline
from solvers.fluxtransport import SFTConfig
from solvers.fluxtransport.ensemble import batch, member
from solvers.fluxtransport.plots import sample_map_path

__all__ = ["PIPELINE", "FluxTransportConfig"]


class FluxTransportConfig(SFTConfig):
    """:class:`~solvers.fluxtransport.SFTConfig` plus the initial map and backend."""

    initial_map: str = Field(
        default_factory=lambda: str(sample_map_path()),
        description="path of the initial Br map (HipFT HDF5, or NetCDF with 'br')",
    )
    backend: str = Field("auto", description="array backend (set from the run file)")


PIPELINE = Pipeline(
    name="fluxtransport",
    config_model=FluxTransportConfig,
    member=member,
    batch=batch,
    backends=("numba", "jax", "numpy", "cupy"),
    description="surface flux transport on the sphere (HipFT-class), batched realizations",
)
