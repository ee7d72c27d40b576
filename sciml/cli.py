"""The ``sciml`` command line."""

from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gpu.errors import SciMLError

if TYPE_CHECKING:
    import xarray as xr

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
    line = " ".join(message.split())  # one line, never wrapped, brackets shown as written
    Console(stderr=True).print(
        f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True
    )
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


@app.command()
def run(
    run_file: Annotated[Path, typer.Argument(metavar="RUN.toml", help="The run file (TOML).")],
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Continue the run in the existing output; skip members written."
        ),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", "-s", help="serial|threads|processes|local-cluster|tcp://HOST:PORT"
        ),
    ] = None,
    members: Annotated[
        int | None, typer.Option("--members", "-n", help="Ensemble size (overrides the file).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Zarr store to write (overrides the file)."),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", help="Workers of a local scheduler.")
    ] = None,
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict", help="Exit 1 if any member fails (overrides the file)."
        ),
    ] = None,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Force the progress bar.")
    ] = None,
) -> None:
    """Run the ensemble or workflow a run file describes, writing its output store.

    Exit codes: 0 done (failed members, if any, are recorded in the store),
    1 members failed in strict mode or the run stopped, 2 bad input.
    """
    from sciml.ensemble import EnsembleError, load_run

    try:
        plan = load_run(
            run_file, members=members, scheduler=scheduler, output=output, workers=workers,
            strict=strict,
        )  # fmt: skip
        console = Console(soft_wrap=True)
        console.print(escape(f"running {plan.describe()}"), highlight=False)
        ds = plan.execute(resume=resume, progress=progress)
    except EnsembleError as exc:  # members failed in strict mode, or the scheduler gave up
        raise fail(str(exc), code=1) from None
    except SciMLError as exc:
        raise fail(str(exc)) from None
    console.print(escape(f"{plan.summary(ds)}; written to {plan.output}"), highlight=False)


@app.command()
def validate(
    run_file: Annotated[Path, typer.Argument(metavar="RUN.toml", help="The run file (TOML).")],
) -> None:
    """Check a run file and its pipeline configuration; compute and write nothing.

    Exit codes: 0 valid, 2 invalid (one line naming the key and what is expected).
    """
    from sciml.ensemble import load_run

    try:
        plan = load_run(run_file)
    except SciMLError as exc:
        raise fail(str(exc)) from None
    Console(soft_wrap=True).print(
        escape(f"{run_file} is valid: {plan.describe()}"), highlight=False
    )


def _result_store(store: Path) -> xr.Dataset | None:
    """A workflow's result store (a sciml Zarr store without members), or None."""
    import xarray as xr

    try:
        ds = xr.open_zarr(store, consolidated=True)
    except (OSError, ValueError, KeyError):
        return None
    return ds if "sciml_version" in ds.attrs and "done" not in ds else None


@app.command()
def show(
    store: Annotated[
        Path, typer.Argument(metavar="STORE", help="An ensemble or workflow Zarr store.")
    ],
) -> None:
    """Describe a store: dims, members done, failures, provenance, history.

    A workflow's store (``sciml run`` of a workflow) has no members: its dims,
    variables, provenance and history are shown.

    Exit codes: 0 shown, 2 not a sciml store.
    """
    import numpy as np

    from sciml.ensemble import failures_of, open_store, summarize

    member_lines: list[str] = []
    try:
        ds = open_store(store)
    except SciMLError as exc:
        result = _result_store(store)
        if result is None:
            raise fail(str(exc)) from None
        ds = result
    else:
        done = np.asarray(ds["done"].values, dtype=bool)
        failures = [f for f in failures_of(ds) if done[f.member]]
        member_lines = [f"members: {summarize(failures, done.size, done=int(done.sum()))}"]
        member_lines += [f"  {failure}" for failure in failures]
    dims = ", ".join(f"{name}={size}" for name, size in ds.sizes.items())
    variables = ", ".join(
        f"{name}({', '.join(map(str, var.dims))})"
        for name, var in ds.data_vars.items()
        if name != "done"
    )
    lines = [f"store: {store}", f"dims: {dims}", f"variables: {variables}", *member_lines]
    for key in ("sciml_version", "backend", "seed", "config"):
        lines.append(f"{key}: {ds.attrs.get(key, '(missing)')}")
    lines.append("history:")
    lines += [f"  {entry}" for entry in str(ds.attrs.get("history", "(none)")).splitlines()]
    console = Console(soft_wrap=True)
    for line in lines:
        console.print(escape(line), highlight=False)


@app.command("chaos-bench")
def chaos_bench(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Folder for results.zarr, results.md, results.png, forecasts.png.",
        ),
    ] = Path("chaos-bench"),
    systems: Annotated[
        str | None,
        typer.Option(
            "--systems",
            "-s",
            help="Comma-separated systems, or tuning, test or all (default: tuning).",
        ),
    ] = None,
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            "-m",
            help="Comma-separated models, or all (default: the fast ones; also nbeats, "
            "lstm, transformer, neural_ode, hybrid_esn).",
        ),
    ] = None,
    n_train: Annotated[int, typer.Option("--n-train", help="Training points.")] = 1000,
    n_forecast: Annotated[
        int | None, typer.Option("--n-forecast", help="Forecast steps (default: the task's).")
    ] = None,
    task: Annotated[
        str, typer.Option("--task", help="short (200-step forecasts) or long (5,000 steps).")
    ] = "short",
    workers: Annotated[int, typer.Option("--workers", "-w", help="Workers of the scheduler.")] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="serial|threads|processes|local-cluster|tcp://HOST:PORT "
            "(default: serial for one worker, else processes).",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue an interrupted run from OUTPUT/systems.zarr; skip systems done.",
        ),
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seeds the initial conditions.")] = 0,
) -> None:
    """Benchmark forecasters on chaotic systems: train, validate, test (sciml.forecast.bench).

    Each system is a member of the ensemble runner, checkpointed in
    OUTPUT/systems.zarr as it finishes (``--resume`` continues from there).
    """
    from sciml.forecast import bench

    tuning, test = list(bench.TUNING_SYSTEMS), bench.test_systems()
    sets = {"tuning": tuning, "test": test, "all": tuning + test}
    chosen = sets.get(systems or "tuning") or _split(systems or "")
    fast = bench.default_models()
    available = {**fast, **bench.neural_models()}
    names = list(fast) if models is None else _split(models)
    names = list(available) if names == ["all"] else names
    unknown = [name for name in names if name not in available]
    if unknown:
        raise fail(f"unknown model(s) {', '.join(unknown)}: choose from {', '.join(available)}")
    store = output / "systems.zarr"
    if store.exists() and not resume:
        raise fail(
            f"{store} holds an earlier run: pass --resume to continue it, or remove it "
            "(or choose another --output) to start afresh"
        )
    try:
        output.mkdir(parents=True, exist_ok=True)
        ds = bench.run(
            chosen,
            {name: available[name] for name in names},
            n_train=n_train,
            n_context=n_train,
            n_forecast=n_forecast,
            task=task,
            workers=workers,
            scheduler=scheduler,
            store=store,
            resume=resume,
            seed=seed,
            output=output / "results.zarr",
        )
    except SciMLError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write to {output}: {exc}") from None
    table = bench.markdown_table(ds)
    (output / "results.md").write_text(table)
    bench.plot_results(ds, output / "results.png")
    bench.plot_forecasts(ds, chosen[:3], output / "forecasts.png")
    Console(soft_wrap=True).print(escape(table), highlight=False)


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def main() -> None:
    """Entry point that turns a sciml error escaping a command into exit code 2."""
    try:
        app()
    except SciMLError as exc:
        fail(str(exc))
        sys.exit(2)


if __name__ == "__main__":
    main()
