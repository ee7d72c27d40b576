"""Where chunks of members run: in-process, on a Dask scheduler, or on a Dask cluster.

A scheduler is named by a string:

``"serial"``
    One chunk after another in this process, without Dask (for debugging).
``"threads"`` (default)
    Dask's threaded scheduler: fine when members release the GIL (NumPy,
    numba, JAX, I/O).
``"processes"``
    Dask's process scheduler: pure-Python members on all cores.
``"local-cluster"``
    A ``dask.distributed.LocalCluster`` (one single-threaded worker process per
    core, or ``workers``), started and closed by the runner.
``"tcp://host:port"`` (any address with ``://``)
    A running Dask scheduler: a ``dask-jobqueue`` SLURM/PBS cluster, a
    ``dask-scheduler`` started by hand, a Kubernetes cluster, ... — the same
    run, no code change.

Every executor calls a function on a list of argument tuples and hands each
result to a callback in this process as soon as that call finishes (out of
order), so the runner can write and count chunks as they come. Lost workers
are retried by Dask itself (``distributed.scheduler.allowed-failures``).
"""

from __future__ import annotations

import os
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import dask

from gpu._optional import require
from gpu.errors import ConfigError, InputError

__all__ = ["SCHEDULERS", "Executor", "check_scheduler", "open_executor"]

#: The scheduler names; anything containing ``://`` is a Dask scheduler address.
SCHEDULERS = ("serial", "threads", "processes", "local-cluster")


def check_scheduler(scheduler: str) -> str:
    """Return ``scheduler`` if it names a scheduler, else raise :class:`ConfigError`."""
    if isinstance(scheduler, str) and (scheduler in SCHEDULERS or "://" in scheduler):
        return scheduler
    raise ConfigError(
        f"unknown scheduler {scheduler!r}: use one of {', '.join(SCHEDULERS)} "
        "or the address of a running Dask scheduler such as tcp://host:8786"
    )


def _local_workers(workers: int | None) -> int:
    if workers is not None and workers < 1:
        raise ConfigError(f"workers must be at least 1, got {workers}")
    return workers or os.cpu_count() or 1


class Executor(ABC):
    """Runs ``fn(*args)`` for each argument tuple, reporting results as they finish."""

    #: number of calls that can run at once
    workers: int

    @abstractmethod
    def map(
        self,
        fn: Callable[..., Any],
        calls: Sequence[tuple[Any, ...]],
        on_result: Callable[[Any], None],
    ) -> None:
        """Run every call and pass each result to ``on_result`` in this thread."""

    @abstractmethod
    def describe(self) -> str:
        """A short description for the run's log (``threads (2 workers)``)."""


class SerialExecutor(Executor):
    """One call after another in this process."""

    workers = 1

    def map(
        self,
        fn: Callable[..., Any],
        calls: Sequence[tuple[Any, ...]],
        on_result: Callable[[Any], None],
    ) -> None:
        for args in calls:
            on_result(fn(*args))

    def describe(self) -> str:
        return "serial"


def _discard(_: Any) -> None:
    """A task that depends on a chunk so Dask frees the chunk's result once it is handled."""


class DaskLocalExecutor(Executor):
    """Dask's threaded or process scheduler."""

    def __init__(self, scheduler: str, workers: int | None) -> None:
        self.scheduler = scheduler
        self.workers = _local_workers(workers)

    def map(
        self,
        fn: Callable[..., Any],
        calls: Sequence[tuple[Any, ...]],
        on_result: Callable[[Any], None],
    ) -> None:
        run = uuid.uuid4().hex
        tasks = {}
        sinks = []
        for number, args in enumerate(calls):
            name = f"sciml-chunk-{run}-{number}"
            tasks[name] = dask.delayed(fn, pure=False)(*args, dask_key_name=name)
            sinks.append(dask.delayed(_discard, pure=False)(tasks[name]))

        def posttask(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
            if key in tasks:
                on_result(result)

        # Callbacks as get_async takes them: (start, start_state, pretask, posttask, finish),
        # given to this computation only (not registered globally).
        callbacks = [(None, None, None, posttask, None)]
        dask.compute(
            *sinks, scheduler=self.scheduler, num_workers=self.workers, callbacks=callbacks
        )

    def describe(self) -> str:
        return f"{self.scheduler} ({self.workers} workers)"


class DistributedExecutor(Executor):
    """A ``dask.distributed`` client: a LocalCluster or any running cluster."""

    def __init__(self, client: Any, label: str) -> None:
        self.client = client
        self.label = label
        self.workers = max(1, sum(client.nthreads().values()))

    def map(
        self,
        fn: Callable[..., Any],
        calls: Sequence[tuple[Any, ...]],
        on_result: Callable[[Any], None],
    ) -> None:
        from distributed import as_completed

        if not calls:
            return
        futures = self.client.map(fn, *zip(*calls, strict=True), pure=False)
        finished = as_completed(futures)
        del futures  # as_completed holds them; each is released once handled
        for future in finished:
            on_result(future.result())

    def describe(self) -> str:
        return f"{self.label} ({self.workers} workers)"


@contextmanager
def open_executor(scheduler: str, workers: int | None = None) -> Iterator[Executor]:
    """Start the executor for ``scheduler`` and shut down what it started on exit.

    Parameters
    ----------
    scheduler : str
        A name from :data:`SCHEDULERS` or a Dask scheduler address.
    workers : int, optional
        Workers of a local scheduler or LocalCluster (default: one per core);
        ignored for a running cluster, whose size is its own.

    Raises
    ------
    ConfigError
        Unknown scheduler or a worker count below 1.
    InputError
        No Dask scheduler answers at the address.
    MissingExtra
        ``dask.distributed`` is needed and not installed.
    """
    check_scheduler(scheduler)
    if scheduler == "serial":
        yield SerialExecutor()
    elif scheduler in ("threads", "processes"):
        yield DaskLocalExecutor(scheduler, workers)
    elif scheduler == "local-cluster":
        require("distributed", "the local-cluster scheduler")
        from distributed import Client, LocalCluster

        n = _local_workers(workers)
        with (
            # ":0": the scheduler's HTTP server takes a free port, never a busy 8787
            LocalCluster(n_workers=n, threads_per_worker=1, dashboard_address=":0") as cluster,
            Client(cluster) as client,
        ):
            yield DistributedExecutor(client, "local-cluster")
    else:
        require("distributed", "a Dask cluster")
        from distributed import Client

        try:
            client = Client(scheduler)  # waits distributed.comm.timeouts.connect
        except (OSError, TimeoutError) as exc:
            raise InputError(
                f"no Dask scheduler answers at {scheduler} ({exc}): start the cluster first "
                "or check the address"
            ) from None
        with client:
            yield DistributedExecutor(client, scheduler)
