"""The WGAN file format: versioned torch payloads, written atomically.

A saved generator and a training checkpoint are both one ``torch.save``
dictionary with a ``format`` header and a ``format_version``; :func:`read`
refuses anything else with a message that says which sciml wrote it.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from gpu._optional import require
from gpu.errors import InputError
from solvers.contract import package_version

__all__ = ["FORMAT", "FORMAT_VERSION", "data_digest", "read", "to_json", "write_atomic"]

#: Identifies a saved generator or checkpoint file.
FORMAT = "sciml-wgan"
#: Version of the file layout; a file of another version is refused on load.
FORMAT_VERSION = 1


def data_digest(*arrays: np.ndarray) -> str:
    sha = hashlib.sha256()
    for array in arrays:
        sha.update(np.ascontiguousarray(array, dtype=np.float64).tobytes())
    return sha.hexdigest()


def to_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, default=lambda o: o.item() if hasattr(o, "item") else str(o)
    )


def write_atomic(payload: Mapping[str, Any], path: Path) -> None:
    torch = require("torch", "the WGAN-GP (sciml.wgan)")
    if not path.parent.is_dir():
        raise InputError(f"cannot write {path}: folder {path.parent} does not exist")
    temporary = path.parent / f".{path.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    torch.save(dict(payload), temporary)
    os.replace(temporary, path)


def read(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    torch = require("torch", "the WGAN-GP (sciml.wgan)")
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{what} {file} does not exist")
    try:
        payload = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise InputError(f"{file} is not a sciml WGAN file ({type(exc).__name__}: {exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise InputError(f"{file} is not a sciml WGAN file (no {FORMAT!r} header)")
    if payload.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"{file} was written by sciml {payload.get('sciml_version', '?')} in WGAN file "
            f"format {payload.get('format_version')!r}; this sciml {package_version()} reads "
            f"format {FORMAT_VERSION} only: retrain, or load it with the sciml that wrote it"
        )
    return payload
