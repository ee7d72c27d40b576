"""The documentation builds with warnings as errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(
    shutil.which("mkdocs") is None and not (Path(sys.prefix) / "bin" / "mkdocs").exists(),
    reason="mkdocs not installed (docs extra)",
)
def test_docs_build_strict(tmp_path: Path) -> None:
    mkdocs = Path(sys.prefix) / "bin" / "mkdocs"
    command = [
        str(mkdocs) if mkdocs.exists() else "mkdocs",
        "build",
        "--strict",
        "-d",
        str(tmp_path),
    ]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "index.html").exists()
