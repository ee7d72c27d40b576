"""``sciml demo``: every capability at a small size, with data, plots and a summary.

Each capability contributes one :class:`DemoPart` (a module of this package);
:func:`run_demo` runs them in turn and writes ``summary.md``.
"""

from sciml.demo._registry import DemoPart, DemoResult, demo_parts, run_demo

__all__ = ["DemoPart", "DemoResult", "demo_parts", "run_demo"]
