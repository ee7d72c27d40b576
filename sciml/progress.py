"""Progress bars that show in a terminal and stay quiet in batch logs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["progress_bar"]


class _Tracker:
    """Advance a task of a rich Progress, or do nothing when disabled."""

    def __init__(self, progress: Progress | None, task: TaskID | None) -> None:
        self._progress = progress
        self._task = task

    def advance(self, steps: float = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, steps)

    def describe(self, text: str) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=text)


@contextmanager
def progress_bar(total: float, description: str, enabled: bool | None = None) -> Iterator[_Tracker]:
    """A progress bar (done / total, rate, ETA) for long work.

    Parameters
    ----------
    total : float
        Number of steps.
    description : str
        Label shown before the bar.
    enabled : bool, optional
        Force the bar on or off; by default it shows only when standard error
        is a terminal, so batch logs stay clean.
    """
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        yield _Tracker(None, None)
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield _Tracker(progress, task)
