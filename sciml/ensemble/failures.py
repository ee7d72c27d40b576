"""Failure isolation: how a failed member is recorded, reported and escalated.

A member fails when its function raises, when its output breaks the sciml data
contract, or when its output holds a non-finite value. A failure never stops
the other members: the runner records it, fills the member's data with NaN
and carries on. Three variables over ``member`` record the outcome, readable
with plain xarray:

``failed``
    ``True`` for a failed member.
``failure_type``
    The exception's class name (``"ValueError"``, ``"NumericalInstability"``),
    ``""`` for a member that succeeded.
``failure_message``
    The exception's message, ``""`` for a member that succeeded.

In strict mode a run that has any failed member raises :class:`MemberFailures`
once every member has been computed and written, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from gpu.errors import SciMLError

__all__ = [
    "FAILED",
    "FAILURE_MESSAGE",
    "FAILURE_TYPE",
    "EnsembleError",
    "MemberFailure",
    "MemberFailures",
    "failure_arrays",
    "failures_of",
    "summarize",
]

FAILED = "failed"
FAILURE_TYPE = "failure_type"
FAILURE_MESSAGE = "failure_message"

#: CF attributes of the failure variables.
FAILURE_ATTRS: dict[str, dict[str, str]] = {
    FAILED: {"units": "1", "long_name": "member failed (its data are NaN)"},
    FAILURE_TYPE: {"units": "1", "long_name": "exception type of a failed member"},
    FAILURE_MESSAGE: {"units": "1", "long_name": "error message of a failed member"},
}

_LISTED = 5  # failures named in a summary before "... and N more"


@dataclass(frozen=True)
class MemberFailure:
    """One failed member: its index, the error's type name and its message."""

    member: int
    error_type: str
    message: str

    @classmethod
    def from_exception(cls, member: int, error: BaseException) -> MemberFailure:
        """Record ``error`` raised by (or found in the output of) ``member``."""
        return cls(int(member), type(error).__name__, str(error))

    def __str__(self) -> str:
        return f"member {self.member}: {self.error_type}: {' '.join(self.message.split())}"


class EnsembleError(SciMLError):
    """An ensemble run could not finish; the members already written stay in the store."""


class MemberFailures(EnsembleError):
    """Raised in strict mode when members failed.

    Attributes
    ----------
    failures : list of MemberFailure
        Every failed member, in member order.
    dataset : xarray.Dataset
        The full ensemble result (failed members are NaN), as a non-strict run
        would have returned it.
    """

    def __init__(self, failures: Sequence[MemberFailure], dataset: xr.Dataset) -> None:
        self.failures = list(failures)
        self.dataset = dataset
        super().__init__(
            summarize(self.failures, dataset.sizes["member"])
            + " (strict mode: any failed member is an error)"
        )


def failures_of(ds: xr.Dataset) -> list[MemberFailure]:
    """The failed members recorded in an ensemble Dataset (or an opened store)."""
    failed = np.asarray(ds[FAILED].values, dtype=bool)
    indices = np.flatnonzero(failed)
    if indices.size == 0:
        return []
    subset = ds[[FAILURE_TYPE, FAILURE_MESSAGE]].isel(member=indices)
    members = np.asarray(ds["member"].values)[indices]
    types = subset[FAILURE_TYPE].values
    messages = subset[FAILURE_MESSAGE].values
    return [
        MemberFailure(int(m), str(t), str(msg))
        for m, t, msg in zip(members, types, messages, strict=True)
    ]


def summarize(failures: Sequence[MemberFailure], n_members: int, *, done: int | None = None) -> str:
    """One line: how many members succeeded and failed, naming the first failures.

    Parameters
    ----------
    failures : sequence of MemberFailure
        The failed members.
    n_members : int
        Size of the ensemble.
    done : int, optional
        Members computed so far, when the ensemble is unfinished.
    """
    finished = n_members if done is None else done
    head = f"{finished} of {n_members} members done" if done is not None else f"{n_members} members"
    text = f"{head}: {finished - len(failures)} succeeded, {len(failures)} failed"
    if failures:
        named = "; ".join(str(f) for f in failures[:_LISTED])
        more = f"; ... and {len(failures) - _LISTED} more" if len(failures) > _LISTED else ""
        text += f" ({named}{more})"
    return text


def failure_arrays(size: int) -> dict[str, np.ndarray[Any, Any]]:
    """Empty failure variables for ``size`` members: nobody failed."""
    return {
        FAILED: np.zeros(size, dtype=bool),
        FAILURE_TYPE: np.full(size, "", dtype=object),
        FAILURE_MESSAGE: np.full(size, "", dtype=object),
    }
