"""The catalog of chaotic systems: every flow, delay equation and map of ``dysts``.

The definitions and metadata are ``dysts``' own (its classes and its JSON
metadata files); this module indexes them, filters them, and wraps each one as
a :class:`System` with the metadata as attributes and parameter overrides.

>>> from solvers import chaos
>>> lorenz = chaos.get("Lorenz")                          # doctest: +SKIP
>>> lorenz.dim, lorenz.params["rho"]                      # doctest: +SKIP
(3, 28.0)
>>> chaos.systems(dimension=3, nonautonomous=False)[:3]   # doctest: +SKIP
['Aizawa', 'AnishchenkoAstakhov', 'Arneodo']
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import numpy as np

from gpu._optional import require
from gpu.errors import ConfigError, InputError

__all__ = ["KINDS", "MAP_SUFFIX", "System", "get", "systems"]

Kind = Literal["flow", "delay", "map"]
#: The kinds of systems in the catalog.
KINDS: tuple[str, ...] = ("flow", "delay", "map")


#: Suffix that tells a map from a flow of the same dysts name (``DuffingMap``).
MAP_SUFFIX = "Map"


@cache
def _metadata() -> dict[str, tuple[str, dict[str, Any]]]:
    """name -> (kind, metadata) from dysts' own JSON files, read once.

    A map whose dysts name is also a flow's (``Duffing``) is listed with the
    suffix :data:`MAP_SUFFIX` (``DuffingMap``).
    """
    base = require("dysts.base", "the chaotic-systems catalog")
    entries: dict[str, tuple[str, dict[str, Any]]] = {}
    with open(base.DATAPATH_CONTINUOUS) as handle:
        for name, meta in json.load(handle).items():
            entries[name] = ("delay" if meta.get("delay") else "flow", meta)
    with open(base.DATAPATH_DISCRETE) as handle:
        for name, meta in json.load(handle).items():
            entries[name + MAP_SUFFIX if name in entries else name] = ("map", meta)
    return entries


def _dimension(meta: Mapping[str, Any]) -> int:
    if "dimension" in meta:
        return int(meta["dimension"])
    if "embedding_dimension" in meta:
        return int(meta["embedding_dimension"])
    return int(np.size(meta["initial_conditions"]))


def _resolve(name: str) -> str:
    entries = _metadata()
    if not isinstance(name, str):
        raise InputError(f"a system name must be a string, got {type(name).__name__}")
    if name in entries:
        return name
    folded = {key.lower(): key for key in entries}
    if name.lower() in folded:
        return folded[name.lower()]
    close = difflib.get_close_matches(name, list(entries), n=3, cutoff=0.6)
    close += [
        folded[key]
        for key in difflib.get_close_matches(name.lower(), list(folded), n=3, cutoff=0.6)
        if folded[key] not in close
    ]
    hint = f"; did you mean {', '.join(close[:3])}?" if close else "; see solvers.chaos.systems()"
    raise InputError(f"unknown chaotic system {name!r}{hint}")


def _as_param(value: Any) -> float | np.ndarray:
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else arr


@dataclass(frozen=True, eq=False)
class System:
    """One system of the catalog with its ``dysts`` metadata.

    Attributes
    ----------
    name : str
        The dysts class name, e.g. ``"Lorenz"``.
    kind : {"flow", "delay", "map"}
        Ordinary differential equation, delay differential equation or map.
    dim : int
        Dimension of the state (the embedding dimension for delay equations).
    params : dict
        Parameter values (float or array) by name, overrides applied.
    ic : numpy.ndarray
        dysts' reference initial condition, shape ``(dim,)``.
    period : float or None
        Dominant period (dysts' ``period``); time unit of ``pts_per_period``.
    dt : float or None
        dysts' suggested time step (not a fixed step).
    max_lyapunov : float or None
        dysts' estimate of the largest Lyapunov exponent.
    lyapunov_spectrum : numpy.ndarray or None
        dysts' estimate of the Lyapunov spectrum.
    kaplan_yorke_dimension, correlation_dimension : float or None
        dysts' estimates.
    nonautonomous : bool
        Whether the right-hand side depends on time explicitly.
    hamiltonian : bool
        Whether dysts marks the system Hamiltonian.
    unbounded_indices : tuple of int
        Components dysts maps to a bounded domain for output.
    std : numpy.ndarray
        dysts' standard deviation of each component on the attractor.
    description, citation : str
        From dysts.
    overrides : dict
        The parameters changed from dysts' defaults.
    """

    name: str
    kind: str
    dim: int
    params: dict[str, Any]
    ic: np.ndarray
    period: float | None
    dt: float | None
    max_lyapunov: float | None
    lyapunov_spectrum: np.ndarray | None
    kaplan_yorke_dimension: float | None
    correlation_dimension: float | None
    nonautonomous: bool
    hamiltonian: bool
    unbounded_indices: tuple[int, ...]
    std: np.ndarray
    description: str
    citation: str
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, tuple[tuple[str, Any], ...]]:
        """A hashable identity: the name and the overridden parameter values."""
        items = tuple(
            (k, v if isinstance(v, float) else (np.shape(v), tuple(np.ravel(v))))
            for k, v in sorted(self.overrides.items())
        )
        return self.name, items

    @property
    def param_names(self) -> list[str]:
        """Parameter names in the order dysts' right-hand side takes them (sorted)."""
        return sorted(self.params)

    @property
    def lyapunov_time(self) -> float | None:
        """``1 / max_lyapunov``, or None where the estimate is missing or not positive."""
        if self.max_lyapunov is None or not self.max_lyapunov > 0:
            return None
        return 1.0 / self.max_lyapunov

    def with_params(self, **overrides: Any) -> System:
        """Return this system with parameters replaced.

        Parameters
        ----------
        **overrides
            New values by parameter name.

        Raises
        ------
        ConfigError
            A name that is not a parameter of this system, or a value whose
            shape differs from the default's, or a non-finite value.
        """
        unknown = sorted(set(overrides) - set(self.params))
        if unknown:
            raise ConfigError(
                f"{self.name} has no parameter(s) {', '.join(unknown)}; "
                f"its parameters are {', '.join(self.param_names) or '(none)'}"
            )
        checked = {}
        for key, value in overrides.items():
            new = _as_param(value)
            if np.shape(new) != np.shape(self.params[key]):
                raise ConfigError(
                    f"{self.name}.{key} has shape {np.shape(self.params[key])}, "
                    f"got a value of shape {np.shape(new)}"
                )
            if not np.all(np.isfinite(new)):
                raise ConfigError(f"{self.name}.{key} must be finite, got {value!r}")
            checked[key] = new
        return _build(self.name, {**self.overrides, **checked})

    def dysts_instance(self) -> Any:
        """A fresh ``dysts`` object of this system with the parameters applied.

        Raises
        ------
        ConfigError
            dysts has metadata but no definition for this system.
        """
        kind_module = "dysts.maps" if self.kind == "map" else "dysts.flows"
        module = require(kind_module, "the chaotic-systems catalog")
        dysts_name = self.name
        if self.kind == "map" and not hasattr(module, dysts_name):
            dysts_name = dysts_name.removesuffix(MAP_SUFFIX)
        cls = getattr(module, dysts_name, None)
        if cls is None:
            raise ConfigError(
                f"dysts lists metadata for {self.name} but defines no such system in "
                f"{kind_module}: it cannot be evaluated"
            )
        instance = cls()
        if self.overrides:
            instance.params = {**instance.params, **self.overrides}
            instance.__dict__.update(instance.params)
            instance.param_list = [instance.params[key] for key in sorted(instance.params)]
        return instance


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _build(name: str, overrides: Mapping[str, Any]) -> System:
    kind, meta = _metadata()[name]
    params = {key: _as_param(value) for key, value in meta["parameters"].items()}
    params.update(overrides)
    spectrum = meta.get("lyapunov_spectrum_estimated")
    return System(
        name=name,
        kind=kind,
        dim=_dimension(meta),
        params=params,
        ic=np.atleast_1d(np.asarray(meta["initial_conditions"], dtype=float)),
        period=_optional_float(meta.get("period")),
        dt=_optional_float(meta.get("dt")),
        max_lyapunov=_optional_float(meta.get("maximum_lyapunov_estimated")),
        lyapunov_spectrum=None if spectrum is None else np.asarray(spectrum, dtype=float),
        kaplan_yorke_dimension=_optional_float(meta.get("kaplan_yorke_dimension")),
        correlation_dimension=_optional_float(meta.get("correlation_dimension")),
        nonautonomous=bool(meta.get("nonautonomous", False)),
        hamiltonian=bool(meta.get("hamiltonian", False)),
        unbounded_indices=tuple(int(i) for i in meta.get("unbounded_indices") or ()),
        std=np.asarray(meta.get("std", np.ones(_dimension(meta))), dtype=float),
        description=str(meta.get("description") or ""),
        citation=str(meta.get("citation") or ""),
        overrides=dict(overrides),
    )


def get(name: str | System, **params: Any) -> System:
    """Look a system up by name, optionally with parameter overrides.

    Parameters
    ----------
    name : str or System
        A dysts class name (case-insensitive), or a :class:`System`.
    **params
        Parameter overrides (see :meth:`System.with_params`).

    Returns
    -------
    System

    Raises
    ------
    InputError
        Unknown name; the message suggests close names.
    ConfigError
        Unknown parameter names or invalid values.
    MissingExtra
        ``dysts`` is not installed (``pip install 'sciml[chaos]'``).
    """
    system = name if isinstance(name, System) else _build(_resolve(name), {})
    return system.with_params(**params) if params else system


def systems(
    *,
    kind: str | None = None,
    dimension: int | None = None,
    min_dimension: int | None = None,
    max_dimension: int | None = None,
    nonautonomous: bool | None = None,
    delay: bool | None = None,
    hamiltonian: bool | None = None,
) -> list[str]:
    """Names of the catalog's systems that pass every filter given, sorted.

    Parameters
    ----------
    kind : {"flow", "delay", "map"}, optional
        Only systems of this kind.
    dimension, min_dimension, max_dimension : int, optional
        Exact, least and largest state dimension.
    nonautonomous : bool, optional
        Only systems whose right-hand side does (True) or does not (False)
        depend on time.
    delay : bool, optional
        Only delay equations (True) or everything else (False).
    hamiltonian : bool, optional
        Only systems dysts marks Hamiltonian (True) or not (False).

    Returns
    -------
    list of str

    Raises
    ------
    ConfigError
        An unknown ``kind``.
    """
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    names = []
    for name, (entry_kind, meta) in _metadata().items():
        dim = _dimension(meta)
        checks = (
            kind is None or entry_kind == kind,
            dimension is None or dim == dimension,
            min_dimension is None or dim >= min_dimension,
            max_dimension is None or dim <= max_dimension,
            nonautonomous is None or bool(meta.get("nonautonomous", False)) == nonautonomous,
            delay is None or (entry_kind == "delay") == delay,
            hamiltonian is None or bool(meta.get("hamiltonian", False)) == hamiltonian,
        )
        if all(checks):
            names.append(name)
    return sorted(names)
