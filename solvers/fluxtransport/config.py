"""The validated, frozen configuration of a flux-transport run.

Per-realization parameters (``nu``, the flow coefficients, the attenuation
field) take a number, shared by every realization, or a list with one value
per realization; every list must have the same length, which is then the
number of realizations. Units are in the field names: hours, m/s, km/s,
km^2/s, Gauss, degrees.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gpu.errors import ConfigError

__all__ = [
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
    "check_config",
]

PerMember = float | list[float]


def _describe(exc: ValidationError, model: str) -> ConfigError:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()
    )
    return ConfigError(f"invalid {model}: {problems}")


class _Frozen(BaseModel):
    """Frozen, strict about unknown keys, and raising :class:`ConfigError`."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise _describe(exc, type(self).__name__) from None


class FlowConfig(_Frozen):
    """Surface flows: differential rotation, meridional flow, rigid terms, attenuation.

    ``v_phi = sin(theta) (p0 + p2 cos^2 theta + p4 cos^4 theta)`` and
    ``v_theta = -sin(theta) (p1 cos theta + p3 cos^3 theta + p5 cos^5 theta)``
    in m/s, with the AFT coefficients as defaults (HipFT's ``flow_dr_model``
    and ``flow_mf_model`` 1). Set ``differential_rotation`` or ``meridional``
    to False to drop a profile. ``rigid_omega_km_s`` adds ``omega sin(theta)``
    to ``v_phi``, ``v_theta_km_s`` a constant ``v_theta``. ``attenuation_gauss``
    multiplies the flow by ``1 - tanh(|Br| / B_att)``; None switches it off.
    """

    differential_rotation: bool = True
    meridional: bool = True
    p0_m_s: PerMember = 46.0
    p2_m_s: PerMember = -262.0
    p4_m_s: PerMember = -379.0
    p1_m_s: PerMember = 22.0
    p3_m_s: PerMember = 11.0
    p5_m_s: PerMember = -28.0
    rigid_omega_km_s: float = 0.0
    v_theta_km_s: float = 0.0
    attenuation_gauss: PerMember | None = None

    @field_validator("attenuation_gauss")
    @classmethod
    def _positive_attenuation(cls, value: PerMember | None) -> PerMember | None:
        values = value if isinstance(value, list) else [value] if value is not None else []
        if any(v <= 0.0 for v in values):
            raise ValueError(f"must be > 0 Gauss, got {value}")
        return value


class DiffusionConfig(_Frozen):
    """Supergranular diffusion: ``nu`` in km^2/s and the time integrator.

    ``scheme``: ``"rkg2"`` (default) or ``"rkl2"`` super time stepping with
    the stage count from the explicit Euler limit, or ``"euler"`` (explicit
    Euler sub-steps). ``nu_km2_s = 0`` switches diffusion off.
    ``nu_map_path``: a map (HipFT or NetCDF ``br``-style file, km^2/s) of a
    spatially varying diffusivity added to ``nu_km2_s`` (HipFT's diffusion
    file); it is regridded to the run grid if needed.
    """

    nu_km2_s: PerMember = 0.0
    scheme: Literal["euler", "rkl2", "rkg2"] = "rkg2"
    nu_map_path: str | None = None

    @field_validator("nu_km2_s")
    @classmethod
    def _non_negative(cls, value: PerMember) -> PerMember:
        values = value if isinstance(value, list) else [value]
        if any(v < 0.0 for v in values):
            raise ValueError(f"diffusivity must be >= 0 km^2/s, got {value}")
        return value


class NumericsConfig(_Frozen):
    """Advection scheme, time stepping and splitting.

    The time step is the advective CFL limit (``cfl_safety`` times the stable
    step of the unattenuated flow) capped by ``dt_max_h``, and is cut to land
    exactly on every history and map time. ``dt_fixed_h`` forces a step
    instead; a forced step above the stable limit is an error.
    """

    advection: Literal["upwind", "weno3"] = "weno3"
    time_stepping: Literal["ssprk33", "ssprk43"] = "ssprk43"
    splitting: Literal["sequential", "strang"] = "sequential"
    dt_max_h: float | None = Field(default=None, gt=0.0)
    dt_fixed_h: float | None = Field(default=None, gt=0.0)
    cfl_safety: float = Field(default=0.95, gt=0.0, le=1.0)


class RegionConfig(_Frozen):
    """One bipolar active region emerging at ``time_h``.

    ``flux_mx`` is the signed flux of the leading polarity (the following one
    carries the opposite); ``tilt_deg`` None takes Joy's law
    (``0.5 |lat_deg|``); the patches are Gaussians of ``width_deg``.
    """

    time_h: float = Field(ge=0.0)
    lat_deg: float = Field(ge=-90.0, le=90.0)
    lon_deg: float
    flux_mx: float
    tilt_deg: float | None = None
    separation_deg: float = Field(default=5.0, gt=0.0)
    width_deg: float = Field(default=1.5, gt=0.0)


class RandomEmergenceConfig(_Frozen):
    """Random bipolar emergence, an independent stream per realization.

    Every ``cadence_h`` hours each realization draws a Poisson number of
    regions (mean ``rate_per_day * cadence_h / 24``; ``rate_per_day`` may
    differ per realization) with uniform longitude, latitude uniform in
    ``lat_band_deg`` of either hemisphere, log-normal flux (median
    ``flux_median_mx``, log-sigma ``flux_log_sigma``), Joy's-law tilt and Hale's
    rule (leading polarity ``hale_sign_north`` in the north, opposite in the
    south). ``seed`` fixes every stream.
    """

    rate_per_day: PerMember = 0.0
    cadence_h: float = Field(default=24.0, gt=0.0)
    seed: int | None = None
    lat_band_deg: tuple[float, float] = (5.0, 35.0)
    flux_median_mx: float = Field(default=1e21, gt=0.0)
    flux_log_sigma: float = Field(default=1.0, ge=0.0)
    hale_sign_north: Literal[-1, 1] = 1
    separation_deg: float = Field(default=5.0, gt=0.0)
    width_deg: float = Field(default=1.5, gt=0.0)

    @field_validator("rate_per_day")
    @classmethod
    def _non_negative_rate(cls, value: PerMember) -> PerMember:
        values = value if isinstance(value, list) else [value]
        if any(v < 0.0 for v in values):
            raise ValueError(f"emergence rate must be >= 0 per day, got {value}")
        return value


class SourcesConfig(_Frozen):
    """Flux emergence: a list of bipolar regions and random emergence."""

    regions: list[RegionConfig] = []
    random: RandomEmergenceConfig = RandomEmergenceConfig()


class ObservationConfig(_Frozen):
    """One observed map to assimilate at ``time_h``.

    ``path`` is a HipFT map file or a NetCDF file with ``br``. A HipFT file of
    three slices holds (data, weight, mu), HipFT's assimilation format. For a
    plain map, ``center_lon_deg`` and ``b0_deg`` (the observer's disk center)
    give ``mu``; without them every weight is 1.
    """

    time_h: float = Field(ge=0.0)
    path: str
    center_lon_deg: float | None = None
    b0_deg: float = 0.0


class AssimilationConfig(_Frozen):
    """Data assimilation of observed maps.

    ``weights``: ``"mu"`` (``w = mu^mu_power`` where ``mu > mu_limit``, else 0)
    or ``"file"`` (the weight slice of a HipFT assimilation file). Weights are
    zero within ``lat_limit_deg`` of each pole. ``mode``: ``"replace"``
    (``Br += w (obs - Br)``) or ``"add"`` (``Br += w obs``). ``balance_flux``
    scales the positive and negative parts of the increment so that it adds
    no net flux (HipFT's multiplicative balancing). ``regrid`` lets maps on
    another grid be regridded to the run grid (conserving flux); without it
    they are refused.
    """

    observations: list[ObservationConfig] = []
    mode: Literal["replace", "add"] = "replace"
    weights: Literal["mu", "file"] = "mu"
    mu_power: PerMember = 4.0
    mu_limit: PerMember = 0.1
    lat_limit_deg: PerMember = 0.0
    balance_flux: bool = False
    regrid: bool = False


class GridConfig(_Frozen):
    """The run grid: ``n_theta`` colatitudes pole to pole, ``n_phi`` longitudes.

    A map on another grid is regridded to it, conserving flux.
    """

    n_theta: int = Field(ge=5)
    n_phi: int = Field(ge=4)


class OutputConfig(_Frozen):
    """What the run returns: history cadence, map cadence, polar-cap edge."""

    history_cadence_h: float | None = Field(default=None, gt=0.0)
    map_cadence_h: float | None = Field(default=None, gt=0.0)
    polar_limit_deg: float = Field(default=30.0, gt=0.0, lt=90.0)


class SFTConfig(_Frozen):
    """A surface flux-transport run.

    Attributes
    ----------
    duration_h : float
        Simulated time in hours.
    radius_km : float
        Solar radius (HipFT: 696,000 km).
    flows, diffusion, numerics, output
        See :class:`FlowConfig`, :class:`DiffusionConfig`,
        :class:`NumericsConfig`, :class:`OutputConfig`.
    grid : GridConfig, optional
        The run grid; by default that of the initial map.
    realizations : int, optional
        Number of realizations; needed only when every parameter is a single
        number and more than one identical realization is wanted.

    Examples
    --------
    >>> cfg = SFTConfig(duration_h=100.0, diffusion={"nu_km2_s": [25.0, 50.0]})
    >>> cfg.n_realizations
    2
    """

    duration_h: float = Field(gt=0.0)
    grid: GridConfig | None = None
    radius_km: float = Field(default=696_000.0, gt=0.0)
    flows: FlowConfig = FlowConfig()
    diffusion: DiffusionConfig = DiffusionConfig()
    numerics: NumericsConfig = NumericsConfig()
    output: OutputConfig = OutputConfig()
    sources: SourcesConfig = SourcesConfig()
    assimilation: AssimilationConfig = AssimilationConfig()
    realizations: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _consistent_lengths(self) -> SFTConfig:
        lengths = {name: len(v) for name, v in self.member_lists().items()}
        distinct = set(lengths.values())
        if len(distinct) > 1 or (distinct and self.realizations not in (None, *distinct)):
            listed = ", ".join(f"{k} ({n})" for k, n in lengths.items())
            wanted = f", realizations={self.realizations}" if self.realizations else ""
            raise ValueError(
                f"per-realization parameter lists must all have one length: {listed}{wanted}"
            )
        if any(n == 0 for n in distinct):
            raise ValueError("per-realization parameter lists must not be empty")
        return self

    def member_lists(self) -> dict[str, list[float]]:
        """The per-realization parameters given as lists, by dotted name."""
        found: dict[str, list[float]] = {}
        for section in ("flows", "diffusion"):
            for name, value in getattr(self, section).model_dump().items():
                if isinstance(value, list):
                    found[f"{section}.{name}"] = value
        if isinstance(self.sources.random.rate_per_day, list):
            found["sources.random.rate_per_day"] = self.sources.random.rate_per_day
        for name in ("mu_power", "mu_limit", "lat_limit_deg"):
            value = getattr(self.assimilation, name)
            if isinstance(value, list):
                found[f"assimilation.{name}"] = value
        return found

    @property
    def n_realizations(self) -> int:
        """Number of realizations the run carries."""
        lists = self.member_lists()
        if lists:
            return len(next(iter(lists.values())))
        return self.realizations or 1

    def member_values(self, section: str, name: str) -> list[float]:
        """One value of ``section.name`` per realization (``section`` may be dotted)."""
        owner: Any = self
        for part in section.split("."):
            owner = getattr(owner, part)
        value = getattr(owner, name)
        if isinstance(value, list):
            return [float(v) for v in value]
        return [float(value)] * self.n_realizations


def check_config(config: SFTConfig | dict) -> SFTConfig:
    """Validate a mapping into :class:`SFTConfig`, raising :class:`ConfigError`."""
    if isinstance(config, SFTConfig):
        return config
    try:
        return SFTConfig.model_validate(config)
    except ValidationError as exc:
        raise _describe(exc, "SFTConfig") from None
