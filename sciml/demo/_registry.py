"""The demo registry and driver."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gpu.errors import ConfigError, InputError
from sciml.progress import progress_bar
from solvers.contract import package_version

__all__ = ["DemoPart", "DemoResult", "demo_parts", "run_demo"]


@dataclass
class DemoResult:
    """What one demo part produced: files (relative to the output folder) and findings."""

    files: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DemoPart:
    """A capability's demo: ``run(folder, backend)`` writes into ``folder``."""

    name: str
    title: str
    run: Callable[[Path, str | None], DemoResult]


def demo_parts() -> list[DemoPart]:
    """All demo parts, in the order the demo runs them."""
    from sciml.demo import (
        backends,
        chaos,
        ensemble,
        fem,
        fem_submodel,
        fluxtransport,
        forecast,
        rom,
        uq,
        wgan,
    )

    return [
        backends.PART,
        chaos.PART,
        ensemble.PART,
        fluxtransport.PART,
        fem.PART,
        uq.PART,
        forecast.PART,
        rom.PART,
        wgan.PART,
        fem_submodel.PART,
    ]


def run_demo(
    output: str | Path,
    *,
    parts: Sequence[str] | None = None,
    backend: str | None = None,
    show_progress: bool | None = None,
) -> Path:
    """Run the demo parts and write their outputs and ``summary.md`` into ``output``.

    Parameters
    ----------
    output : path-like
        Folder to write into (created if needed).
    parts : sequence of str, optional
        Names of the parts to run; all by default.
    backend : str, optional
        Array backend for the parts that take one (``auto`` by default).
    show_progress : bool, optional
        Force the progress bar on or off (default: on in a terminal).

    Returns
    -------
    pathlib.Path
        The path of ``summary.md``.
    """
    available = {part.name: part for part in demo_parts()}
    chosen = list(available) if parts is None else list(parts)
    unknown = [name for name in chosen if name not in available]
    if unknown:
        raise ConfigError(
            f"unknown demo part(s) {', '.join(unknown)}: choose from {', '.join(available)}"
        )
    folder = Path(output)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create demo folder {folder}: {exc.strerror}") from None
    sections = [f"# sciml demo\n\nsciml {package_version()}\n"]
    with progress_bar(len(chosen), "sciml demo", enabled=show_progress) as bar:
        for name in chosen:
            part = available[name]
            bar.describe(f"demo: {part.title}")
            start = time.perf_counter()
            sub = folder / part.name
            sub.mkdir(exist_ok=True)
            result = part.run(sub, backend)
            elapsed = time.perf_counter() - start
            lines = [f"## {part.title}\n", f"_{elapsed:.1f} s_\n"]
            lines += [f"- {finding}" for finding in result.findings]
            lines += [""] + [
                f"![{f}]({part.name}/{f})" if f.endswith(".png") else f"- data: `{part.name}/{f}`"
                for f in result.files
            ]
            sections.append("\n".join(lines) + "\n")
            bar.advance()
    summary = folder / "summary.md"
    summary.write_text("\n".join(sections))
    return summary
