"""``run``: evolve a map (or a batch of realizations) and return history and maps."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from gpu.backends import Backend, get_backend
from gpu.errors import InputError, NumericalInstability
from solvers.contract import with_provenance
from solvers.fluxtransport.assimilation import Observation, balance_increment, load_observation
from solvers.fluxtransport.config import SFTConfig, check_config
from solvers.fluxtransport.diagnostics import DIAGNOSTICS, DiagnosticWeights, diagnostics
from solvers.fluxtransport.grid import SphereGrid
from solvers.fluxtransport.hipft_io import map_to_grid, read_map
from solvers.fluxtransport.regrid import regrid_values
from solvers.fluxtransport.sources import bipole, random_regions
from solvers.fluxtransport.stepper import Stepper

__all__ = ["event_times", "run"]

_PARAMETERS = {
    ("diffusion", "nu_km2_s"): ("km2 s-1", "diffusivity"),
    ("flows", "p0_m_s"): ("m s-1", "differential rotation p0"),
    ("flows", "p2_m_s"): ("m s-1", "differential rotation p2"),
    ("flows", "p4_m_s"): ("m s-1", "differential rotation p4"),
    ("flows", "p1_m_s"): ("m s-1", "meridional flow p1"),
    ("flows", "p3_m_s"): ("m s-1", "meridional flow p3"),
    ("flows", "p5_m_s"): ("m s-1", "meridional flow p5"),
    ("sources.random", "rate_per_day"): ("d-1", "random emergence rate"),
}


def event_times(config: SFTConfig) -> tuple[np.ndarray, np.ndarray]:
    """Times (h) at which history is recorded and maps are kept.

    Both include 0 and the end; the history also includes every map time.
    """
    end = config.duration_h
    out = config.output

    def grid_of_times(cadence: float | None) -> np.ndarray:
        if cadence is None:
            return np.array([0.0, end])
        count = int(np.floor(end / cadence + 1e-9))
        return np.unique(np.append(np.arange(count + 1) * cadence, end))

    maps = grid_of_times(out.map_cadence_h)
    history = np.unique(np.concatenate((grid_of_times(out.history_cadence_h), maps)))
    return history, maps


def _initial_state(initial_map: xr.DataArray, members: int) -> tuple[SphereGrid, np.ndarray]:
    if not isinstance(initial_map, xr.DataArray):
        raise InputError(
            f"initial_map must be an xarray.DataArray, got {type(initial_map).__name__}"
        )
    grid, values = map_to_grid(initial_map)
    if values.ndim == 2:
        values = np.broadcast_to(values, (members, *values.shape)).copy()
    elif values.shape[0] != members:
        raise InputError(
            f"the initial map has {values.shape[0]} members but the configuration "
            f"describes {members} realizations"
        )
    return grid, values


def run(
    config: SFTConfig | dict[str, Any],
    initial_map: xr.DataArray,
    *,
    backend: str | Backend = "auto",
    flow_series: xr.Dataset | None = None,
) -> xr.Dataset:
    """Evolve ``initial_map`` by surface flux transport.

    All realizations advance together: one batched call per step on the
    chosen backend.

    Parameters
    ----------
    config : SFTConfig or mapping
        The run; a mapping is validated into :class:`SFTConfig`.
    initial_map : xarray.DataArray
        Br (Gauss) with dims ``(lat, lon)`` (shared by every realization) or
        ``(member, lat, lon)``, on a uniform pole-to-pole grid, e.g. from
        :func:`read_hipft_map`. A repeated column at 360 degrees is merged
        into the first; with ``config.grid`` set, the map is regridded to it
        conserving flux.
    backend : str or Backend
        ``numpy`` (reference), ``numba``, ``jax``, ``cupy`` or ``auto``.
    flow_series : xarray.Dataset, optional
        Time-dependent flows added to the analytic ones: ``v_theta`` and
        ``v_phi`` in m/s with dims ``(time, lat, lon)`` on the run grid's
        nodes, ``time`` in hours; each holds from its time until the next
        (HipFT's flows from files). They are averaged onto the staggered faces.

    Returns
    -------
    xarray.Dataset
        History variables (:data:`DIAGNOSTICS`) with dims ``(member, time)``;
        ``br`` with dims ``(member, map_time, lat, lon)``; the per-realization
        parameters as ``member`` coordinates; provenance attrs. Times are in
        hours. Write it with ``solvers.io.write_netcdf(ds, path,
        extra_dims=["map_time"])``.

    Raises
    ------
    ConfigError
        Invalid configuration.
    InputError
        A map with NaN, of the wrong shape or on a non-uniform grid.
    NumericalInstability
        A forced time step over the stability limit, or a run that blew up.
    """
    cfg = check_config(config)
    be = backend if isinstance(backend, Backend) else get_backend(backend)
    members = cfg.n_realizations
    grid, values = _initial_state(initial_map, members)
    if cfg.grid is not None and grid.shape != (cfg.grid.n_theta, cfg.grid.n_phi):
        target = SphereGrid(cfg.grid.n_theta, cfg.grid.n_phi)
        values = regrid_values(values, grid, target)
        grid = target
    series = None if flow_series is None else _staggered_flows(flow_series, grid, cfg)
    stepper = _make_stepper(cfg, grid, be, _nu_map(cfg, grid), series)
    dt_base = stepper.time_step()
    history_times, map_times = event_times(cfg)
    weights = DiagnosticWeights(grid, cfg.output.polar_limit_deg, be.asarray)
    radius_cm = cfg.radius_km * 1e5

    emergence = _Emergence(cfg, grid, radius_cm)
    observations = [
        (entry.time_h, load_observation(entry, grid, cfg.assimilation.regrid))
        for entry in cfg.assimilation.observations
        if entry.time_h <= cfg.duration_h + 1e-9
    ]
    assimilation_times = np.asarray([t for t, _ in observations], dtype=float)
    flow_times = np.asarray([t for t in stepper.flow_times() if 0.0 < t < cfg.duration_h])
    events = np.unique(
        np.concatenate((history_times, emergence.times, assimilation_times, flow_times))
    )
    f = be.asarray(values)
    records: list[dict[str, np.ndarray]] = []
    maps: list[np.ndarray] = []
    steps_taken = 0
    advancers: dict[tuple[str, int], Any] = {}
    for index, t in enumerate(events):
        if index > 0:
            span = t - events[index - 1]
            n = max(1, int(np.ceil(span / dt_base - 1e-9)))
            dt = span / n
            stepper.set_time(events[index - 1])
            plan = stepper.diffusion_plan(dt)
            if plan not in advancers:
                advancers[plan] = stepper.advance_function(plan)
            f = advancers[plan](f, dt, n)
            steps_taken += n
        source = emergence.at(t)
        if source is not None:
            f = f + be.asarray(source)
        for when, observation in observations:
            if abs(when - t) <= 1e-9:
                f = be.asarray(_assimilate(cfg, grid, be.to_numpy(f), observation))
        if not np.any(np.isclose(history_times, t, rtol=0.0, atol=1e-9)):
            continue
        record = {k: be.to_numpy(v) for k, v in diagnostics(be.xp, f, weights, radius_cm).items()}
        if not np.all(np.isfinite(record["br_max"])):
            raise NumericalInstability(
                f"the solution became non-finite by t = {t:g} h: reduce dt_max_h or cfl_safety"
            )
        records.append(record)
        if np.any(np.isclose(map_times, t, rtol=0.0, atol=1e-9)):
            maps.append(be.to_numpy(f))
    return _to_dataset(cfg, grid, be, history_times, map_times, records, maps, steps_taken)


def _assimilate(
    cfg: SFTConfig, grid: SphereGrid, f: np.ndarray, observation: Observation
) -> np.ndarray:
    weights = observation.weights(cfg, grid)
    if cfg.assimilation.mode == "replace":
        delta = weights * (observation.data[None] - f)
    else:
        delta = weights * observation.data[None]
    if cfg.assimilation.balance_flux:
        delta = balance_increment(delta, grid)
    return f + delta


class _Emergence:
    """The flux that emerges at each event time, for every realization."""

    def __init__(self, cfg: SFTConfig, grid: SphereGrid, radius_cm: float) -> None:
        self.cfg, self.grid, self.radius_cm = cfg, grid, radius_cm
        end = cfg.duration_h
        self.regions = [r for r in cfg.sources.regions if r.time_h <= end + 1e-9]
        random = cfg.sources.random
        self.rates = cfg.member_values("sources.random", "rate_per_day")
        times = [r.time_h for r in self.regions]
        self.random_times: np.ndarray = np.empty(0)
        if any(rate > 0.0 for rate in self.rates):
            count = int(np.floor(end / random.cadence_h + 1e-9))
            self.random_times = np.arange(1, count + 1) * random.cadence_h
            children = np.random.SeedSequence(random.seed).spawn(cfg.n_realizations)
            self.streams = [np.random.default_rng(child) for child in children]
        self.times = np.unique(np.concatenate((np.asarray(times, float), self.random_times)))

    def at(self, t: float) -> np.ndarray | None:
        """Br added at time ``t`` (members, n_theta, n_phi), or None."""
        members = self.cfg.n_realizations
        field = np.zeros((members, *self.grid.shape))
        found = False
        for region in self.regions:
            if abs(region.time_h - t) <= 1e-9:
                field += bipole(self.grid, region, self.radius_cm)
                found = True
        if np.any(np.abs(self.random_times - t) <= 1e-9):
            random = self.cfg.sources.random
            for m in range(members):
                drawn = random_regions(self.streams[m], random, self.rates[m], random.cadence_h)
                for region in drawn:
                    field[m] += bipole(self.grid, region, self.radius_cm)
            found = True
        return field if found else None


def _nu_map(cfg: SFTConfig, grid: SphereGrid) -> np.ndarray | None:
    """The spatially varying diffusivity (km^2/s) on ``grid``, if configured."""
    path = cfg.diffusion.nu_map_path
    if path is None:
        return None
    values = read_map(path, "nu_map_path")
    own, nu = map_to_grid(values)
    if own != grid:
        nu = regrid_values(nu, own, grid)
    if nu.ndim != 2 or np.any(nu < 0.0):
        raise InputError(f"{path}: the diffusivity map must be one (lat, lon) map of values >= 0")
    return nu


def _staggered_flows(
    ds: xr.Dataset, grid: SphereGrid, cfg: SFTConfig
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """Node flows (m/s, (time, lat, lon)) as face flows in R/h, one entry per time."""
    missing = [name for name in ("v_theta", "v_phi") if name not in ds]
    if missing or "time" not in ds.dims:
        raise InputError(
            "flow_series needs variables v_theta and v_phi with dims (time, lat, lon); "
            f"missing: {', '.join(missing) or 'the time dimension'}"
        )
    m_s = 3600.0 / (cfg.radius_km * 1e3)
    entries = []
    for index in range(ds.sizes["time"]):
        one = ds.isel(time=index)
        own, vt = map_to_grid(one["v_theta"].transpose("lat", "lon"))
        _, vp = map_to_grid(one["v_phi"].transpose("lat", "lon"))
        if own != grid:
            raise InputError(
                f"flow_series is on a {own.n_theta} x {own.n_phi} grid, the run on "
                f"{grid.n_theta} x {grid.n_phi}: give the flows on the run grid"
            )
        faces_t = 0.5 * (vt[1:] + vt[:-1])
        faces_t = np.concatenate((faces_t[:1], faces_t, faces_t[-1:]), axis=0)
        faces_p = 0.5 * (vp + np.roll(vp, 1, axis=1))
        faces_p[0] = faces_p[-1] = 0.0
        entries.append((float(one["time"]), m_s * faces_t, m_s * faces_p))
    return entries


def _make_stepper(
    cfg: SFTConfig,
    grid: SphereGrid,
    be: Backend,
    nu_map: np.ndarray | None = None,
    flow_series: list[tuple[float, np.ndarray, np.ndarray]] | None = None,
) -> Stepper:
    if be.name == "numba":
        from solvers.fluxtransport.kernels_numba import NumbaStepper

        return NumbaStepper(cfg, grid, be, nu_map, flow_series)
    return Stepper(cfg, grid, be, nu_map, flow_series)


def _to_dataset(
    cfg: SFTConfig,
    grid: SphereGrid,
    be: Backend,
    history_times: np.ndarray,
    map_times: np.ndarray,
    records: list[dict[str, np.ndarray]],
    maps: list[np.ndarray],
    steps: int,
) -> xr.Dataset:
    members = cfg.n_realizations
    data_vars: dict[str, Any] = {}
    for name, (units, long_name) in DIAGNOSTICS.items():
        stacked = np.stack([r[name] for r in records], axis=1)
        data_vars[name] = (("member", "time"), stacked, {"units": units, "long_name": long_name})
    data_vars["br"] = (
        ("member", "map_time", "lat", "lon"),
        np.stack(maps, axis=1),
        {"units": "G", "long_name": "radial magnetic field"},
    )
    coords: dict[str, Any] = {
        "member": ("member", np.arange(members), {"long_name": "realization"}),
        "time": ("time", history_times, {"units": "hours", "long_name": "time since start"}),
        "map_time": ("map_time", map_times, {"units": "hours", "long_name": "time of map"}),
        "lat": ("lat", grid.lat, {"units": "degrees_north", "long_name": "latitude"}),
        "lon": ("lon", grid.lon, {"units": "degrees_east", "long_name": "longitude"}),
        "theta": ("lat", grid.theta, {"units": "rad", "long_name": "colatitude"}),
        "phi": ("lon", grid.phi, {"units": "rad", "long_name": "longitude"}),
    }
    for (section, name), (units, long_name) in _PARAMETERS.items():
        coords[name] = (
            "member",
            cfg.member_values(section, name),
            {"units": units, "long_name": long_name},
        )
    if cfg.flows.attenuation_gauss is not None:
        coords["attenuation_gauss"] = (
            "member",
            cfg.member_values("flows", "attenuation_gauss"),
            {"units": "G", "long_name": "flow attenuation field"},
        )
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs["steps"] = steps
    ds.attrs["title"] = "surface flux transport"
    return with_provenance(ds, backend=be.name, seed=cfg.sources.random.seed, config=cfg)
