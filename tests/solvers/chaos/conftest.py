"""Every test here reads the dysts catalog: skip them cleanly where dysts is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests._markers import has_dysts, requires_dysts

_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of this folder with ``requires_dysts``."""
    if has_dysts:
        return
    for item in items:
        if _HERE in item.path.parents:
            item.add_marker(requires_dysts)
