"""Code generation for the numba backend.

A numba right-hand side has the scalar form ``f(y_0, ..., y_{D-1}, t, p_0,
..., p_{P-1}) -> tuple`` of ``D`` values. Two things are generated around it:

* :func:`rk4_kernel`: a fixed-step kernel for one ``(D, P)`` pair, with the
  right-hand side inlined so that the members loop compiles to straight-line,
  vectorizable code (compiled once per right-hand side).
* :func:`rhs_pointer`: the right-hand side as a C callback of one fixed
  signature, ``rhs(y*, t, p*, out*)``. The adaptive kernels
  (:mod:`gpu.ode._numba_adaptive`) take it as a first-class function, so they
  are compiled once for every system and cached on disk by numba; only this
  small callback is compiled per system. Where the scalar form is a function
  importable by its module and qualified name (dysts' ``_rhs``), the callback
  is generated into a file under :func:`cache_dir` and cached on disk too.
* :func:`vector_form`: a right-hand side given as source code of a *vector*
  function ``rhs(X, t, p)`` (state and parameters as arrays, or parameters
  fixed in the source: dysts' ``rhs`` methods translated by
  :mod:`solvers.chaos.translate`). The source goes into a file under
  :func:`cache_dir` with its C callback of the same signature and a scalar
  form for :func:`rk4_kernel`, all cached on disk.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib
import importlib.util
import marshal
import os
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from gpu._optional import require

__all__ = [
    "CACHE_ENV",
    "cache_dir",
    "call_pointer",
    "callback_signature",
    "resolve_py_func",
    "rhs_pointer",
    "rk4_kernel",
    "vector_form",
]

#: Environment variable naming the root of sciml's cache (``numba/`` below it).
CACHE_ENV = "SCIML_CACHE_DIR"
_TEMPLATE_VERSION = 1  # bump when the generated callback changes
_VECTOR_TEMPLATE_VERSION = 1  # the same for the files of vector_form

#: Callbacks of the scalar forms made by vector_form (rhs_pointer returns them).
_VECTOR_CALLBACKS: dict[Any, Any] = {}


def _compile(source: str, name: str) -> Any:
    numba = require("numba", "the numba backend")
    scope: dict[str, Any] = {"np": np}
    exec(compile(source, f"<sciml generated {name}>", "exec"), scope)
    return numba.njit(error_model="numpy")(scope[name])


def _names(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(count)]


@cache
def rk4_kernel(dim: int, n_params: int) -> Any:
    """Fixed-step RK4 with members in the innermost loop, for ``dim`` and ``n_params``.

    Signature: ``kernel(f, y0, t0, dt_out, n_out, substeps, p, max_abs, out, status)``
    with ``y0`` of shape (D, M), ``p`` (P, M), ``out`` (n_out, D, M).
    """
    ys, ps = _names("y", dim), _names("p", n_params)
    tail = ", ".join(ps)

    def call(prefix: str, states: list[str], time: str) -> str:
        targets = ", ".join(_names(prefix, dim))
        comma = "," if dim == 1 else ""
        return f"{targets}{comma} = f({', '.join(states)}, {time}{', ' if ps else ''}{tail})"

    def shifted(prefix: str, factor: str) -> list[str]:
        return [f"{y} + {factor} * {k}" for y, k in zip(ys, _names(prefix, dim), strict=True)]

    lines = [
        "def kernel(f, y0, t0, dt_out, n_out, substeps, p, max_abs, out, status):",
        "    members = y0.shape[1]",
        "    state = y0.copy()",
        "    alive = np.ones(members, dtype=np.bool_)",
        "    out[0] = y0",
        "    for k in range(1, n_out):",
        "        for s in range(substeps):",
        "            for m in range(members):",
        "                h = dt_out[m] / substeps",
        "                t = t0[m] + ((k - 1) * substeps + s) * h",
        "                h6 = h / 6.0",
        *[f"                {y} = state[{i}, m]" for i, y in enumerate(ys)],
        *[f"                {q} = p[{i}, m]" for i, q in enumerate(ps)],
        "                " + call("a", ys, "t"),
        "                " + call("b", shifted("a", "0.5 * h"), "t + 0.5 * h"),
        "                " + call("c", shifted("b", "0.5 * h"), "t + 0.5 * h"),
        "                " + call("d", shifted("c", "h"), "t + h"),
        *[
            f"                state[{i}, m] = {y} + h6 * (a{i} + 2.0 * b{i} + 2.0 * c{i} + d{i})"
            for i, y in enumerate(ys)
        ],
        "        for m in range(members):",
        "            for i in range(state.shape[0]):",
        "                if not abs(state[i, m]) <= max_abs:",
        "                    alive[m] = False",
        "            for i in range(state.shape[0]):",
        "                out[k, i, m] = state[i, m] if alive[m] else np.nan",
        "    for m in range(members):",
        "        status[m] = 0 if alive[m] else 1",
    ]
    return _compile("\n".join(lines) + "\n", "kernel")


def cache_dir() -> Path | None:
    """The directory of generated, disk-cached numba callbacks, or None if not writable.

    ``$SCIML_CACHE_DIR/numba`` if the variable is set, else
    ``$XDG_CACHE_HOME/sciml/numba`` (``~/.cache/sciml/numba`` by default).
    Deleting it is safe: it is rebuilt on demand.
    """
    root = os.environ.get(CACHE_ENV)
    if root is None:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        root = str(Path(xdg) / "sciml")
    path = Path(root) / "numba"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None


def callback_signature() -> Any:
    """The numba signature of the callbacks: ``void(float64*, float64, float64*, float64*)``."""
    numba = require("numba", "the numba backend")
    ptr = numba.types.CPointer(numba.types.float64)
    return numba.types.void(ptr, numba.types.float64, ptr, ptr)


def _callback_source(dim: int, n_params: int, header: str, decorator: str) -> str:
    args = ", ".join([f"y[{i}]" for i in range(dim)] + ["t"] + [f"p[{i}]" for i in range(n_params)])
    stores = "\n".join(f"    out[{i}] = r[{i}]" for i in range(dim))
    return f"{header}\n\n{decorator}\ndef rhs(y, t, p, out):\n    r = _f({args})\n{stores}\n"


def resolve_py_func(module: str, qualname: str) -> Any:
    """The Python function named ``module.qualname`` (a numba dispatcher's ``py_func``)."""
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return getattr(obj, "py_func", obj)


def _importable(py_func: Any) -> bool:
    module, qualname = getattr(py_func, "__module__", None), getattr(py_func, "__qualname__", "")
    if not module or "<" in qualname:
        return False
    try:
        return resolve_py_func(module, qualname) is py_func
    except (ImportError, AttributeError):
        return False


def _options(numba_fn: Any) -> dict[str, Any] | None:
    """The dispatcher's compile options if they are plain literals (a file can repeat them)."""
    options = {
        k: v
        for k, v in getattr(numba_fn, "targetoptions", {}).items()
        if v is not None and k != "nopython"  # implied by njit
    }
    literal = (bool, int, float, str)
    return options if all(isinstance(v, literal) for v in options.values()) else None


def _disk_cached(numba_fn: Any, dim: int, n_params: int, folder: Path) -> Any:
    """The callback from a generated file (numba ``cache=True``), written on first use."""
    py_func = numba_fn.py_func
    options = _options(numba_fn)
    numba = require("numba", "the numba backend")
    key = repr(
        (py_func.__module__, py_func.__qualname__, sorted((options or {}).items()), dim, n_params)
    )
    digest = hashlib.sha256(
        key.encode()
        + marshal.dumps(py_func.__code__)
        + f"{numba.__version__}/{_TEMPLATE_VERSION}".encode()
    ).hexdigest()[:20]
    stem = "rhs_" + re.sub(r"\W", "_", py_func.__qualname__) + "_" + digest
    header = (
        f"# generated by sciml (gpu.ode._numba): the C callback of "
        f"{py_func.__module__}.{py_func.__qualname__}; safe to delete\n"
        "import numba\n\n"
        "from gpu.ode._numba import callback_signature, resolve_py_func\n\n"
        f"_f = numba.njit(**{options!r})(\n"
        f"    resolve_py_func({py_func.__module__!r}, {py_func.__qualname__!r})\n)"
    )
    decorator = '@numba.cfunc(callback_signature(), cache=True, error_model="numpy")'
    return _import_file(
        folder / f"{stem}.py", _callback_source(dim, n_params, header, decorator)
    ).rhs


def _import_file(path: Path, source: str) -> Any:
    """Write ``source`` to ``path`` unless it is there, and import it as a module (once)."""
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(source)
        os.replace(partial, path)  # atomic: concurrent processes write the same text
    name = f"_sciml_numba_{path.stem}"  # the same in every process: numba's cache imports it
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:  # pragma: no cover - a file we just wrote
            raise ImportError(path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # numba's cache finds the module by name when loading
        try:
            spec.loader.exec_module(module)
        except Exception:  # code numba cannot compile: leave no half-made module
            del sys.modules[name]
            raise
    return module


@cache
def rhs_pointer(numba_fn: Any, dim: int, n_params: int) -> Any:
    """The scalar form ``numba_fn`` as a C callback ``rhs(y*, t, p*, out*)``.

    Parameters
    ----------
    numba_fn : numba dispatcher
        ``f(y_0, ..., y_{dim-1}, t, p_0, ..., p_{n_params-1}) -> tuple``.
    dim, n_params : int
        State dimension and number of parameters.

    Returns
    -------
    numba.core.ccallback.CFunc
        Passed to the adaptive kernels as a first-class function. Cached on
        disk under :func:`cache_dir` where ``numba_fn`` wraps an importable
        function with literal compile options; compiled in memory otherwise.
        For a scalar form made by :func:`vector_form`, its own callback.
    """
    if numba_fn in _VECTOR_CALLBACKS:
        return _VECTOR_CALLBACKS[numba_fn]
    numba = require("numba", "the numba backend")
    folder = cache_dir()
    py_func = getattr(numba_fn, "py_func", None)
    if folder is not None and _importable(py_func) and _options(numba_fn) is not None:
        try:
            return _disk_cached(numba_fn, dim, n_params, folder)
        except Exception:  # an unusable cache entry or file: compile in memory below
            pass
    scope: dict[str, Any] = {"_f": numba_fn}
    source = _callback_source(dim, n_params, "", "")
    exec(compile(source, "<sciml generated rhs>", "exec"), scope)
    return numba.cfunc(callback_signature(), error_model="numpy")(scope["rhs"])


def call_pointer(callback: Any, y: np.ndarray, t: float, p: np.ndarray) -> np.ndarray:
    """Evaluate a callback of :func:`rhs_pointer` at one state (for probes and tests)."""
    as_ptr = ctypes.POINTER(ctypes.c_double)
    y = np.ascontiguousarray(y, dtype=float)
    p = np.ascontiguousarray(p, dtype=float)
    out = np.empty_like(y)
    pointers = (a.ctypes.data_as(as_ptr) for a in (y, p, out))
    y_ptr, p_ptr, out_ptr = pointers
    callback.ctypes(y_ptr, float(t), p_ptr, out_ptr)
    return out


def _vector_source(body: str, dim: int, n_params: int, cache: bool) -> str:
    """``body`` (defining ``rhs(X, t, p)``) with its vector, callback and scalar entry points."""
    ys = _names("y", dim)
    outs = ", ".join(f"out[{i}]" for i in range(dim))
    jit = f'numba.njit(cache={cache}, error_model="numpy")'
    lines = [
        "# generated by sciml (gpu.ode._numba.vector_form); safe to delete",
        "import numba",
        "import numpy as np",
        "",
        "from gpu.ode._numba import callback_signature",
        "from gpu.ode._numba_numpy import amax_axis, amin_axis, heaviside",
        "",
        body,
        "",
        f"@{jit}",
        "def vector(y, t, p, out):",
        "    r = rhs(y, t, p)",
        *[f"    out[{i}] = r[{i}]" for i in range(dim)],
        "",
        f'@numba.cfunc(callback_signature(), cache={cache}, error_model="numpy")',
        "def callback(y, t, p, out):",
        f"    vector(numba.carray(y, ({dim},)), t, numba.carray(p, ({n_params},)), "
        f"numba.carray(out, ({dim},)))",
        "",
        f"@{jit}",
        f"def scalar({', '.join(ys)}, t, *p):",
        f"    y = np.empty({dim})",
        *[f"    y[{i}] = {y}" for i, y in enumerate(ys)],
        f"    q = np.empty({n_params})",
        *[f"    q[{i}] = p[{i}]" for i in range(n_params)],
        f"    out = np.empty({dim})",
        "    vector(y, t, q, out)",
        f"    return ({outs}{',' if dim == 1 else ''})",
    ]
    return "\n".join(lines) + "\n"


def vector_form(body: str, dim: int, n_params: int, label: str) -> Any:
    """Compile a right-hand side given as source code of a vector function ``rhs(X, t, p)``.

    Parameters
    ----------
    body : str
        Python source defining ``rhs(X, t, p)`` (``X`` the state and ``p`` the
        first ``n_params`` parameters, as 1-D arrays; returns ``dim`` values, as
        a tuple or an array) and any functions and constants it uses,
        numba-compilable, with ``numba``, ``np``, ``heaviside``, ``amin_axis``
        and ``amax_axis`` in scope. Other parameters are fixed in the source.
    dim : int
        State dimension.
    n_params : int
        Parameters read from ``p`` (0 where all are fixed in the source).
    label : str
        A name for the generated file (letters, digits, ``_``).

    Returns
    -------
    numba dispatcher
        The scalar form ``f(y_0, ..., y_{dim-1}, t, *p) -> tuple`` (entries of
        ``p`` past ``n_params`` ignored), usable wherever a scalar form is;
        :func:`rhs_pointer` returns its C callback, which calls ``rhs`` on the
        state and parameters in place. The file is
        written under :func:`cache_dir` and cached on disk by numba, keyed by a
        hash of the source, of :mod:`gpu.ode._numba_numpy` and of numba's
        version; compiled in memory where the cache directory is not writable.

    Raises
    ------
    Exception
        Whatever numba raises on source it cannot compile (the callback is
        compiled here).
    """
    numba = require("numba", "the numba backend")
    folder = cache_dir()
    if folder is None:
        scope: dict[str, Any] = {}
        source = _vector_source(body, dim, n_params, cache=False)
        exec(compile(source, f"<sciml generated {label}>", "exec"), scope)
        scalar, callback = scope["scalar"], scope["callback"]
    else:
        source = _vector_source(body, dim, n_params, cache=True)
        tag = f"{numba.__version__}/{_VECTOR_TEMPLATE_VERSION}".encode()
        # numba's cache does not see changes in imported helpers: they are part of the key
        helpers = Path(__file__).with_name("_numba_numpy.py").read_bytes()
        digest = hashlib.sha256(source.encode() + tag + helpers).hexdigest()[:20]
        stem = "vec_" + re.sub(r"\W", "_", label) + "_" + digest
        module = _import_file(folder / f"{stem}.py", source)
        scalar, callback = module.scalar, module.callback
    _VECTOR_CALLBACKS[scalar] = callback
    return scalar
