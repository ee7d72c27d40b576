"""The three layers import downward only: gpu <- solvers <- sciml."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"gpu": {"solvers", "sciml"}, "solvers": {"sciml"}}
HEAVY = ("jax", "torch", "cupy", "skfem", "distributed", "matplotlib")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_lower_layers_never_import_higher_ones(layer: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {sorted(_imports(path) & FORBIDDEN[layer])}"
        for path in (ROOT / layer).rglob("*.py")
        if _imports(path) & FORBIDDEN[layer]
    ]
    assert not offenders, offenders


def test_importing_the_packages_loads_no_heavy_optional_library() -> None:
    code = (
        "import sys, gpu, solvers, sciml; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
