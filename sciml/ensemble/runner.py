"""The ensemble runner: every member of a run, on any Dask scheduler, checkpointed.

:func:`run_ensemble` splits the members into chunks, runs each chunk as one
task (:func:`sciml.ensemble.members.run_chunk`) on the chosen scheduler
(:mod:`sciml.ensemble.schedulers`), and, in this process, stacks every chunk
that finishes into the ensemble (:mod:`sciml.ensemble.layout`) and writes it to
the store (:mod:`sciml.ensemble.store`) straight away.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import ConfigError, InputError, SciMLError
from sciml.ensemble.failures import (
    EnsembleError,
    MemberFailure,
    MemberFailures,
    failures_of,
    summarize,
)
from sciml.ensemble.layout import Layout
from sciml.ensemble.members import BatchFn, ChunkResult, Job, MemberFn, member_row, run_chunk
from sciml.ensemble.schedulers import check_scheduler, open_executor
from sciml.ensemble.store import MemorySink, StoreState, ZarrSink, check_output, read_state
from sciml.progress import progress_bar
from solvers.contract import package_version, provenance

__all__ = ["default_chunk_size", "run_ensemble"]

logger = logging.getLogger("sciml.ensemble")

#: Most members in one chunk by default: one call per member, a checkpoint per chunk.
MAX_CHUNK = 16
#: Most members in one chunk by default when a batched function computes the chunk.
MAX_BATCH_CHUNK = 1024
#: Chunks per worker aimed at by default, to balance the load.
CHUNKS_PER_WORKER = 8


def default_chunk_size(n_members: int, workers: int, batched: bool) -> int:
    """Members per chunk: about :data:`CHUNKS_PER_WORKER` chunks per worker, capped."""
    cap = MAX_BATCH_CHUNK if batched else MAX_CHUNK
    return max(1, min(cap, math.ceil(n_members / (CHUNKS_PER_WORKER * workers))))


def _check_int(name: str, value: Any, *, minimum: int = 1, optional: bool = False) -> None:
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _qualified_name(fn: Any) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"


def _differences(stored: Any, wanted: Any, key: str = "") -> list[str]:
    if isinstance(stored, dict) and isinstance(wanted, dict):
        found = []
        for name in sorted(set(stored) | set(wanted)):
            found += _differences(
                stored.get(name), wanted.get(name), f"{key}.{name}" if key else name
            )
        return found
    return (
        [] if stored == wanted else [f"{key or 'config'}: {stored!r} in the store, {wanted!r} now"]
    )


def _check_same_run(
    path: os.PathLike[str], state: StoreState, attrs: Mapping[str, Any], chunk_size: int | None
) -> None:
    stored = state.attrs.get("config")
    if stored != attrs["config"]:
        try:
            changes = _differences(json.loads(stored or "{}"), json.loads(attrs["config"]))
        except json.JSONDecodeError:
            changes = ["the store's config attribute is not JSON"]
        raise ConfigError(
            f"cannot resume {path}: it was made by a different run ({'; '.join(changes)}); "
            "resume with the same members, seed, member function and configuration, "
            "or write to a new output"
        )
    if chunk_size is not None and chunk_size != state.member_chunk:
        raise ConfigError(
            f"cannot resume {path} with chunk_size={chunk_size}: the store is chunked by "
            f"{state.member_chunk} members (leave chunk_size unset to use the store's)"
        )


def _first_output(result: ChunkResult) -> xr.Dataset | None:
    """The output of the first member of ``result`` that succeeded, if any."""
    for offset in range(result.stop - result.start):
        if result.start + offset in result.failures:
            continue
        if result.batched is not None:
            return member_row(result.batched, offset)
        if result.members is not None and result.members[offset] is not None:
            return result.members[offset]
    return None


class _Collector:
    """Receives finished chunks in this process: stacks, writes and counts them."""

    def __init__(
        self,
        sink: MemorySink | ZarrSink,
        layout: Layout | None,
        n_members: int,
        member_chunk: int,
        attrs: Mapping[str, Any],
        bar: Any,
    ) -> None:
        self.sink = sink
        self.layout = layout
        self.n_members = n_members
        self.member_chunk = member_chunk
        self.attrs = attrs
        self.bar = bar
        self.waiting: list[ChunkResult] = []
        self.failures: list[MemberFailure] = []
        self.batch_errors: list[str] = []
        self.computed = 0
        self.began = time.perf_counter()

    def _initialize(self, layout: Layout) -> None:
        self.layout = layout
        lazy = isinstance(self.sink, ZarrSink)
        template = layout.ensemble(self.n_members, self.member_chunk, lazy=lazy)
        template.attrs.update(self.attrs)
        self.sink.initialize(template)

    def _write(self, result: ChunkResult) -> None:
        if self.layout is None:
            raise RuntimeError("chunk written before the layout is known")
        self.layout.reject_mismatches(result)
        self.failures.extend(result.failures[i] for i in sorted(result.failures))
        self.sink.write(self.layout.chunk(result))

    def add(self, result: ChunkResult) -> None:
        """Handle one finished chunk (called in this process as chunks finish)."""
        size = result.stop - result.start
        self.computed += size
        if result.batch_error is not None:
            self.batch_errors.append(result.batch_error)
        if self.layout is None:
            first = _first_output(result)
            if first is None:  # no member succeeded yet: wait for one to learn the layout
                self.waiting.append(result)
            else:
                self._initialize(Layout.from_member(first))
                for waiting in self.waiting:
                    self._write(waiting)
                self.waiting.clear()
        if self.layout is not None:
            self._write(result)
        rate = self.computed / max(time.perf_counter() - self.began, 1e-9)
        self.bar.describe(f"ensemble ({rate:.3g} members/s)")
        self.bar.advance(size)

    def close(self) -> None:
        """Create the store even when every member failed (failure variables only)."""
        if not self.sink.initialized:
            self._initialize(Layout.empty())
        for waiting in self.waiting:
            self._write(waiting)
        self.waiting.clear()


def _open_sink(
    store: str | os.PathLike[str] | None,
    resume: bool,
    attrs: Mapping[str, Any],
    chunk_size: int | None,
) -> tuple[MemorySink | ZarrSink, StoreState | None]:
    """Where the chunks go, and the state of the store when a run is resumed."""
    if store is None:
        if resume:
            raise ConfigError("resume=True needs the store to resume from: pass store=PATH")
        return MemorySink(), None
    path = check_output(store)
    if not path.exists():
        return ZarrSink(path, existing=False), None
    if not resume:
        raise InputError(
            f"{path} exists already: pass resume=True (sciml run --resume) to "
            "continue that run, or choose another output"
        )
    state = read_state(path)
    _check_same_run(path, state, attrs, chunk_size)
    return ZarrSink(path, existing=True), state


def _history(previous: str, line: str) -> str:
    return f"{previous}\n{line}" if previous else line


def run_ensemble(
    member_fn: MemberFn,
    n_members: int,
    *,
    seed: int,
    scheduler: str = "threads",
    store: str | os.PathLike[str] | None = None,
    resume: bool = False,
    strict: bool = False,
    batch: BatchFn | None = None,
    config: Any = None,
    chunk_size: int | None = None,
    workers: int | None = None,
    backend: str = "numpy",
    progress: bool | None = None,
) -> xr.Dataset:
    """Run every member of an ensemble and return it as one Dataset over ``member``.

    Member ``k`` is ``member_fn(config, k, rng)`` with
    ``rng = numpy.random.default_rng(SeedSequence(seed).spawn(n_members)[k])``,
    so its result does not depend on the scheduler, the chunking or the number
    of workers.

    Parameters
    ----------
    member_fn : callable
        ``member_fn(config, member_index, rng) -> xarray.Dataset``: one member,
        without a ``member`` dimension, following the sciml data contract. It
        must be importable (defined at module level) for the ``processes``
        scheduler and for clusters.
    n_members : int
        Ensemble size.
    seed : int
        Base seed (``>= 0``).
    scheduler : str, default "threads"
        ``"serial"``, ``"threads"``, ``"processes"``, ``"local-cluster"``, or a
        Dask scheduler address such as ``"tcp://host:8786"`` (see
        :mod:`sciml.ensemble.schedulers`).
    store : path-like, optional
        Zarr store to write members to as chunks finish. The folder above it
        must exist and, for a cluster, be visible from this process. Without
        a store the ensemble is kept in memory.
    resume : bool, default False
        Continue the run in an existing ``store``: members already written are
        skipped, none recomputed. The members, seed, member function and
        configuration must be those of the run that made the store. Without
        an existing store, a new run starts.
    strict : bool, default False
        Raise :class:`~sciml.ensemble.failures.MemberFailures` (after writing
        every member) when any member failed.
    batch : callable, optional
        ``batch(config, member_indices, rngs) -> xarray.Dataset`` with a
        ``member`` dimension: computes a whole chunk in one call (a vectorized
        JAX or numba kernel). Member ``k`` must draw only from its own
        ``rngs[i]`` and equal ``member_fn``'s result. When it raises, the chunk
        is recomputed member by member to isolate the failure.
    config : object, optional
        Passed to every call; a pydantic model or JSON-serializable value,
        stored in the provenance.
    chunk_size : int, optional
        Members per task and per Zarr chunk (default: about 8 chunks per worker,
        at most 16 members, or 1024 with ``batch``). A resumed run keeps the
        store's.
    workers : int, optional
        Workers of a local scheduler or LocalCluster (default: one per core).
    backend : str, default "numpy"
        Array backend the members compute on, recorded in the provenance.
    progress : bool, optional
        Show a progress bar (members done / total, rate, time left); by
        default only when standard error is a terminal.

    Returns
    -------
    xarray.Dataset
        Every member's variables with a leading ``member`` dimension, the
        members' scalar coordinates along ``member``, the failure variables
        ``failed``, ``failure_type`` and ``failure_message`` (failed members'
        data are NaN), provenance attrs (:func:`solvers.contract.provenance`),
        ``n_failed`` and a ``history`` line per run. With a store, the Dataset
        is opened lazily from it.

    Raises
    ------
    ConfigError
        An invalid argument, or a store made by a different run.
    InputError
        The store cannot be written, exists without ``resume``, or no cluster
        answers at the address.
    MemberFailures
        ``strict=True`` and members failed.
    EnsembleError
        The scheduler failed (e.g. workers lost more often than Dask retries);
        the chunks finished are in the store, and ``resume=True`` continues.
    """
    if not callable(member_fn):
        raise ConfigError(f"member_fn must be callable, got {type(member_fn).__name__}")
    if batch is not None and not callable(batch):
        raise ConfigError(f"batch must be a callable or None, got {type(batch).__name__}")
    _check_int("n_members", n_members)
    _check_int("seed", seed, minimum=0)
    _check_int("chunk_size", chunk_size, optional=True)
    _check_int("workers", workers, optional=True)
    check_scheduler(scheduler)
    n_members, seed = int(n_members), int(seed)
    run_config = {
        "member_function": _qualified_name(member_fn),
        "members": n_members,
        "seed": seed,
        "config": config,
    }
    try:
        attrs = provenance(backend=backend, seed=seed, config=run_config)
    except TypeError as exc:
        raise ConfigError(f"config must be a pydantic model or JSON-serializable: {exc}") from None

    sink, state = _open_sink(store, resume, attrs, chunk_size)
    seeds = np.random.SeedSequence(seed).spawn(n_members)
    job = Job(member_fn, batch, config)
    began = time.perf_counter()
    done = state.done if state is not None else np.zeros(n_members, dtype=bool)
    pending = int(n_members - done.sum())
    with open_executor(scheduler if pending else "serial", workers) as executor:
        if state is not None:
            member_chunk = state.member_chunk
        else:
            member_chunk = chunk_size or default_chunk_size(
                n_members, executor.workers, batch is not None
            )
        calls: Sequence[tuple[Any, ...]] = [
            (job, start, seeds[start : start + member_chunk])
            for start in range(0, n_members, member_chunk)
            if not done[start]
        ]
        layout = state.layout if state is not None else None
        with progress_bar(pending, "ensemble", enabled=progress) as bar:
            collector = _Collector(sink, layout, n_members, member_chunk, attrs, bar)
            try:
                executor.map(run_chunk, calls, collector.add)
            except (SciMLError, KeyboardInterrupt):
                raise
            except Exception as exc:
                saved = (
                    f"the chunks finished are in {store}: rerun with resume=True"
                    if store is not None
                    else "pass store= to keep finished chunks across such failures"
                )
                raise EnsembleError(
                    f"the run stopped on {scheduler}: {type(exc).__name__}: {exc}; {saved}"
                ) from exc
        where = f"on {executor.describe()}" if pending else "nothing left to compute"
    collector.close()

    earlier_failed = int((state.failed & state.done).sum()) if state is not None else 0
    n_failed = earlier_failed + len(collector.failures)
    line = (
        f"{datetime.now(timezone.utc).isoformat(timespec='seconds')} sciml {package_version()} "
        f"run_ensemble: {collector.computed} members computed ({len(collector.failures)} failed)"
        + (f", {n_members - pending} already in the store" if store is not None else "")
        + f", {where}, {time.perf_counter() - began:.1f} s"
    )
    if collector.batch_errors:
        fallback = (
            f"the batched function failed for {len(collector.batch_errors)} chunk(s), "
            f"computed member by member instead: {collector.batch_errors[0]}"
        )
        line += f"; {fallback}"
        logger.warning(fallback)
    previous = str(state.attrs.get("history", "")) if state is not None else ""
    result = sink.finish({"history": _history(previous, line), "n_failed": n_failed})

    failures = failures_of(result) if n_failed else []
    (logger.warning if failures else logger.info)(
        "ensemble finished: %s", summarize(failures, n_members)
    )
    if strict and failures:
        raise MemberFailures(failures, result)
    return result
