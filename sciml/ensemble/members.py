"""The task side of the runner: compute one chunk of members where a worker runs.

:func:`run_chunk` is the one function the scheduler executes. It calls the
member function for each member of a chunk (or the batched function once for
the whole chunk), checks every output against the data contract, and turns
any exception or non-finite value into a :class:`~sciml.ensemble.failures.MemberFailure`,
so that no error ever reaches Dask. A failed batched call falls back to
member-by-member calls, which isolates the failing member. Everything here is
picklable: the process and distributed schedulers ship it to other processes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ContractError, NumericalInstability
from sciml.ensemble.failures import MemberFailure
from solvers.contract import NAN_MEANS, validate_dataset

__all__ = [
    "BatchFn",
    "ChunkResult",
    "Job",
    "MemberFn",
    "check_member_output",
    "member_row",
    "run_chunk",
]

#: ``f(config, member_index, rng) -> xr.Dataset`` without a ``member`` dimension.
MemberFn = Callable[[Any, int, np.random.Generator], xr.Dataset]
#: ``g(config, member_indices, rngs) -> xr.Dataset`` with a ``member`` dimension,
#: one row per index, drawing member ``k``'s numbers from ``rngs[k]`` only.
BatchFn = Callable[[Any, np.ndarray, Sequence[np.random.Generator]], xr.Dataset]

#: dtype kinds an ensemble can store: bool, integers, floats, complex, strings.
STORABLE_KINDS = "biufcUSOT"
#: Variable names the runner adds to an ensemble, which a member must not use.
RESERVED = frozenset({"member", "failed", "failure_type", "failure_message", "done"})


@dataclass(frozen=True)
class Job:
    """What every chunk of a run shares: the functions and the configuration."""

    member_fn: MemberFn
    batch_fn: BatchFn | None
    config: Any


@dataclass
class ChunkResult:
    """What a chunk sends back: outputs of members ``start`` to ``stop - 1``.

    Exactly one of ``members`` (one Dataset per member, ``None`` where it
    failed) and ``batched`` (one Dataset with a ``member`` dimension) is set.
    """

    start: int
    stop: int
    members: list[xr.Dataset | None] | None = None
    batched: xr.Dataset | None = None
    failures: dict[int, MemberFailure] = field(default_factory=dict)
    batch_error: str | None = None
    seconds: float = 0.0


def member_row(batched: xr.Dataset, row: int) -> xr.Dataset:
    """Row ``row`` of a Dataset over ``member``, shaped like one member's output.

    Coordinates along ``member`` (the members' parameters) become scalar
    coordinates; the ``member`` index itself is dropped.
    """
    return batched.isel(member=row).drop_vars("member", errors="ignore")


def _check_variables(ds: xr.Dataset, member_dim: bool) -> None:
    """Names the runner reserves, and dtypes it cannot stack, in what varies by member."""
    taken = sorted(RESERVED.intersection(str(name) for name in ds.variables) - {"member"})
    if taken or (not member_dim and "member" in ds.variables):
        names = ", ".join(repr(n) for n in taken or ["member"])
        raise ContractError(
            f"variable name(s) {names} are reserved by the ensemble runner: rename them"
        )
    if member_dim:
        varying = {**ds.data_vars, **{k: v for k, v in ds.coords.items() if "member" in v.dims}}
    else:
        varying = {**ds.data_vars, **{k: v for k, v in ds.coords.items() if v.ndim == 0}}
    for name, var in varying.items():
        if name == "member":
            continue
        kind = var.dtype.kind
        if kind not in STORABLE_KINDS or (
            kind == "O" and not all(isinstance(v, str) for v in np.asarray(var.values).flat)
        ):
            raise ContractError(
                f"variable {name!r} has dtype {var.dtype}: an ensemble stores numbers, "
                "booleans and strings only (convert times to floats with units)"
            )


def _non_finite(ds: xr.Dataset, member_dim: bool) -> dict[str, np.ndarray]:
    """Per data variable, how many non-finite values each member has.

    In a variable that declares what its NaNs mean (attribute
    :data:`~solvers.contract.NAN_MEANS`) only infinities count.
    """
    counts = {}
    for name, var in ds.data_vars.items():
        if var.dtype.kind not in "fc":
            continue
        values = np.asarray(var.values)
        bad = np.isinf(values) if var.attrs.get(NAN_MEANS) else ~np.isfinite(values)
        if member_dim:
            axes = tuple(i for i, d in enumerate(var.dims) if d != "member")
            counts[str(name)] = bad.sum(axis=axes) if axes else bad.astype(int)
        else:
            counts[str(name)] = np.asarray([bad.sum()])
    return counts


def _instability(counts: dict[str, np.ndarray], row: int) -> NumericalInstability | None:
    bad = {name: int(c[row]) for name, c in counts.items() if c[row]}
    if not bad:
        return None
    listed = ", ".join(f"{name!r} has {n} non-finite value(s)" for name, n in bad.items())
    return NumericalInstability(f"{listed}; the member's data are replaced by NaN")


def check_member_output(out: Any) -> None:
    """Check one member's output; raise what makes it a failure.

    Raises
    ------
    ContractError
        ``out`` is not a Dataset, has a ``member`` dimension, breaks the data
        contract or holds a dtype an ensemble cannot store.
    NumericalInstability
        A data variable holds NaN (where it does not declare ``nan_means``) or infinity.
    """
    if not isinstance(out, xr.Dataset):
        raise ContractError(
            f"the member function must return an xarray.Dataset, not {type(out).__name__}"
        )
    if "member" in out.dims:
        raise ContractError(
            "a member's output must not have a 'member' dimension: the runner adds it "
            "(pass a batched function as batch= to compute several members in one call)"
        )
    validate_dataset(out, require_provenance=False)
    _check_variables(out, member_dim=False)
    problem = _instability(_non_finite(out, member_dim=False), 0)
    if problem is not None:
        raise problem


def _check_batched_output(out: Any, indices: np.ndarray) -> None:
    if not isinstance(out, xr.Dataset):
        raise ContractError(
            f"the batched function must return an xarray.Dataset, not {type(out).__name__}"
        )
    if out.sizes.get("member") != indices.size:
        raise ContractError(
            f"the batched function returned {out.sizes.get('member', 0)} members for "
            f"{indices.size} indices: it must return one row per index along 'member'"
        )
    missing = [str(name) for name, var in out.data_vars.items() if "member" not in var.dims]
    if missing:
        raise ContractError(
            f"batched output variable(s) {', '.join(missing)} lack the 'member' dimension"
        )
    validate_dataset(out, require_provenance=False)
    _check_variables(out, member_dim=True)


def _one_by_one(job: Job, start: int, seeds: Sequence[np.random.SeedSequence]) -> ChunkResult:
    members: list[xr.Dataset | None] = []
    failures = {}
    for offset, seed in enumerate(seeds):
        index = start + offset
        try:
            out = job.member_fn(job.config, index, np.random.default_rng(seed))
            check_member_output(out)
        except Exception as error:  # isolation: any member error is recorded, none escapes
            failures[index] = MemberFailure.from_exception(index, error)
            members.append(None)
        else:
            members.append(out)
    return ChunkResult(start, start + len(seeds), members=members, failures=failures)


def _batched(
    batch_fn: BatchFn, config: Any, start: int, seeds: Sequence[np.random.SeedSequence]
) -> ChunkResult:
    indices = np.arange(start, start + len(seeds))
    rngs = [np.random.default_rng(seed) for seed in seeds]
    out = batch_fn(config, indices, rngs)
    _check_batched_output(out, indices)
    result = ChunkResult(start, start + len(seeds), batched=out)
    counts = _non_finite(out, member_dim=True)
    for row, index in enumerate(indices):
        problem = _instability(counts, row)
        if problem is not None:
            result.failures[int(index)] = MemberFailure.from_exception(int(index), problem)
    return result


def run_chunk(job: Job, start: int, seeds: Sequence[np.random.SeedSequence]) -> ChunkResult:
    """Compute members ``start`` to ``start + len(seeds) - 1``; never raises for a member's error.

    Parameters
    ----------
    job : Job
        The member function, the optional batched function and the configuration.
    start : int
        Index of the chunk's first member.
    seeds : sequence of numpy.random.SeedSequence
        One child seed per member, from ``SeedSequence(seed).spawn(n)``.
    """
    began = time.perf_counter()
    batch_error = None
    result = None
    if job.batch_fn is not None:
        try:
            result = _batched(job.batch_fn, job.config, start, seeds)
        except Exception as error:  # fall back to one call per member, isolating the culprit
            batch_error = f"{type(error).__name__}: {error}"
    if result is None:
        result = _one_by_one(job, start, seeds)
        result.batch_error = batch_error
    result.seconds = time.perf_counter() - began
    return result
