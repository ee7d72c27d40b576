"""The ``sciml`` command line."""

from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gpu.errors import SciMLError

app = typer.Typer(
    name="sciml",
    help="Simulation-driven forecasting with quantified uncertainty.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_PACKAGES = (
    "sciml", "numpy", "scipy", "xarray", "dask", "distributed", "numba", "jax",
    "torch", "cupy-cuda12x", "scikit-fem", "zarr", "h5netcdf", "pydantic",
)  # fmt: skip


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a one-line error to standard error and return the exit to raise."""
    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)


@app.command()
def info() -> None:
    """Print versions, the array backends usable here and whether a GPU is seen."""
    from gpu import available_backends

    console = Console()
    versions = Table(title="packages", show_header=True)
    versions.add_column("package")
    versions.add_column("version")
    versions.add_row("python", platform.python_version())
    for name in _PACKAGES:
        try:
            versions.add_row(name, version(name))
        except PackageNotFoundError:
            versions.add_row(name, "[dim]not installed[/]")
    console.print(versions)
    backends = Table(title="array backends", show_header=True)
    for column in ("backend", "available", "device", "detail"):
        backends.add_column(column)
    infos = available_backends()
    for item in infos:
        mark = "[green]yes[/]" if item.available else "[red]no[/]"
        backends.add_row(item.name, mark, escape(item.device), escape(item.detail))
    console.print(backends)
    gpu_seen = any(i.available and i.device.startswith("cuda") for i in infos)
    console.print(f"GPU seen: {'yes' if gpu_seen else 'no'}")


@app.command()
def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write.")] = Path(
        "sciml-demo"
    ),
    part: Annotated[
        list[str] | None, typer.Option("--part", "-p", help="Run only this part (repeatable).")
    ] = None,
    backend: Annotated[
        str | None, typer.Option("--backend", "-b", help="numpy|numba|jax|cupy|auto")
    ] = None,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Force the progress bar.")
    ] = None,
) -> None:
    """Run every capability at a small size; write data, plots and summary.md."""
    from sciml.demo import run_demo

    try:
        summary = run_demo(output, parts=part, backend=backend, show_progress=progress)
    except SciMLError as exc:
        raise fail(str(exc)) from None
    Console().print(f"demo written to [bold]{summary.parent}[/] (see {summary.name})")


def main() -> None:
    """Entry point that turns a sciml error escaping a command into exit code 2."""
    try:
        app()
    except SciMLError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
