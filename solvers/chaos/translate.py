"""Translate a dysts flow's own right-hand side into numba-compilable source.

The flows that dysts writes as a method ``rhs(self, X, t)`` (or whose static
``_rhs`` takes array parameters or calls NumPy functions numba lacks) have no
scalar form numba compiles. This module rewrites dysts' own source code, read
with :mod:`inspect`, into a module body defining a free function
``rhs(X, t, p)`` for :func:`gpu.ode._numba.vector_form`:

* ``self.<parameter>`` becomes the parameter's value, fixed in the source
  (scalars as literals, arrays as float64 module constants written exactly);
  a static ``_rhs`` with scalar parameters reads them from ``p`` instead;
* ``self.<method>(...)`` calls the method translated the same way (static
  methods and dysts' ``staticjit`` helpers, and plain methods without
  ``self``), each compiled with ``numba.njit``;
* NumPy calls numba does not compile are replaced by equivalents:
  ``np.heaviside`` by :func:`gpu.ode._numba_numpy.heaviside`, ``np.matmul(a,
  b)`` by ``a @ b``, ``np.min`` / ``np.max`` with ``axis`` by
  :func:`~gpu.ode._numba_numpy.amin_axis` / ``amax_axis``, and list arguments
  of ``np.hstack``, ``np.vstack``, ``np.concatenate`` and ``np.stack`` by
  tuples.

A flow whose source falls outside this (``super()`` calls, module globals
other than ``np``) fails to compile, and the adapter keeps it on NumPy. The
adapter checks every translation against dysts' own ``rhs`` before using it.
"""

from __future__ import annotations

import ast
import inspect
import math
import textwrap
from typing import Any

import numpy as np

__all__ = ["translate"]

_REDUCTIONS = {"min": "amin_axis", "amin": "amin_axis", "max": "amax_axis", "amax": "amax_axis"}
_STACKS = frozenset({"hstack", "vstack", "concatenate", "stack"})


def _literal(value: Any) -> ast.expr:
    """An expression node for a Python or NumPy scalar (exact: ``repr`` round-trips)."""
    if isinstance(value, (bool, np.bool_)):
        return ast.Constant(bool(value))
    if isinstance(value, (int, np.integer)):
        return ast.parse(repr(int(value)), mode="eval").body
    number = float(value)
    text = repr(number) if math.isfinite(number) else f"float({repr(number)!r})"
    return ast.parse(text, mode="eval").body


def _array_source(name: str, value: np.ndarray) -> str:
    """A module constant; numbers as float64 (numba's ``@`` needs one dtype on both sides)."""
    dtype = "np.bool_" if value.dtype.kind == "b" else "np.float64"
    return f"{name} = np.array({value.tolist()!r}, dtype={dtype})"


class _Translator(ast.NodeTransformer):
    """Rewrites one function of a dysts class (see the module docstring)."""

    def __init__(self, owner: _Module, self_name: str | None) -> None:
        self.owner = owner
        self.self_name = self_name

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        value = node.value
        if isinstance(value, ast.Name) and self.self_name and value.id == self.self_name:
            return self.owner.member(node.attr)
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> Any:
        node = self.generic_visit(node)  # type: ignore[assignment]
        func = node.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)):
            return node
        if func.value.id != "np":
            return node
        name = func.attr
        if name == "heaviside":
            node.func = ast.Name("heaviside", ast.Load())
        elif name == "matmul" and len(node.args) == 2 and not node.keywords:
            return ast.BinOp(node.args[0], ast.MatMult(), node.args[1])
        elif name in _REDUCTIONS and [k.arg for k in node.keywords] == ["axis"]:
            axis = node.keywords[0].value
            return ast.Call(ast.Name(_REDUCTIONS[name], ast.Load()), [node.args[0], axis], [])
        elif name in _STACKS and node.args and isinstance(node.args[0], ast.List):
            node.args[0] = ast.Tuple(node.args[0].elts, ast.Load())
        return node


class _Module:
    """The translated functions and constants of one dysts system."""

    def __init__(self, instance: Any) -> None:
        self.instance = instance
        self.cls = type(instance)
        self.params: dict[str, Any] = dict(instance.params)
        self.lines: list[str] = []
        self.done: set[str] = set()

    def member(self, attr: str) -> ast.expr:
        """The expression replacing ``self.<attr>``."""
        if attr in self.params:
            value = getattr(self.instance, attr, self.params[attr])
            if np.ndim(value) == 0:
                return _literal(np.asarray(value).item())
            name = f"_param_{attr}"
            if name not in self.done:
                self.done.add(name)
                self.lines.insert(0, _array_source(name, np.asarray(value)))
            return ast.Name(name, ast.Load())
        name = f"_method_{attr}"
        if name not in self.done:
            self.done.add(name)
            static = inspect.getattr_static(self.cls, attr)
            fn = getattr(self.cls, attr)
            self.function(getattr(fn, "py_func", fn), name, isinstance(static, staticmethod))
        return ast.Name(name, ast.Load())

    def function(self, fn: Any, name: str, static: bool) -> None:
        """Translate ``fn`` (a method of the class, or a static one) to ``def name(...)``."""
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        node = tree.body[0]
        if not isinstance(node, ast.FunctionDef):
            raise TypeError(f"{fn!r} is not a plain function")
        args = node.args
        self_name = None
        if not static:
            self_name = args.args[0].arg
            args.args = args.args[1:]
        node.name = name
        node.decorator_list = []
        node.returns = None
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            arg.annotation = None
        node = _Translator(self, self_name).visit(node)
        ast.fix_missing_locations(node)
        self.lines.append('@numba.njit(error_model="numpy")\n' + ast.unparse(node))


def translate(instance: Any) -> tuple[str, int]:
    """The source of ``rhs(X, t, p)`` for a dysts flow, from dysts' own code.

    Parameters
    ----------
    instance : dysts.base.DynSys
        The flow, with its parameters set.

    Returns
    -------
    body : str
        A module body for :func:`gpu.ode._numba.vector_form`.
    n_params : int
        The parameters ``rhs`` reads from ``p``, in dysts' ``param_list``
        order: all of them for a static ``_rhs`` with scalar parameters (so
        members can sweep them), none where they are fixed in the source (an
        ``rhs`` method, or array parameters).

    Raises
    ------
    OSError, TypeError, SyntaxError
        dysts' source cannot be read or is not made of plain functions.
    """
    from dysts.base import DynSys

    module = _Module(instance)
    cls = type(instance)
    jit = '@numba.njit(error_model="numpy")\n'
    if cls.rhs is not DynSys.rhs:
        method = ast.unparse(module.member("rhs"))
        module.lines.append(f"{jit}def rhs(X, t, p):\n    return {method}(X, t)")
        return "\n\n".join(module.lines), 0
    raw = ast.unparse(module.member("_rhs"))
    names = sorted(module.params)  # dysts' param_list order
    from_p = all(np.ndim(module.params[k]) == 0 for k in names)
    values = (
        [f"p[{i}]" for i in range(len(names))]
        if from_p
        else [ast.unparse(module.member(k)) for k in names]
    )
    states = [f"X[{i}]" for i in range(len(np.atleast_1d(instance.ic)))]
    call = f"{raw}({', '.join([*states, 't', *values])})"
    module.lines.append(f"{jit}def rhs(X, t, p):\n    return {call}")
    return "\n\n".join(module.lines), len(names) if from_p else 0
