"""stockopt: choose stockpiles, offtake contracts and swap agreements that minimize
critical-mineral shortfall risk under budgets, across disruption scenarios.

The public Python API (``stockopt.api``, re-exported here): ``load`` a workbook,
``build`` its model, ``solve`` it, read ``Results.tables`` as pandas DataFrames,
``write_report``. The command line (``stockopt.commands``) runs the same functions.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = ("InputError", "Model", "Results", "SolveFailed", "Workbook", "build", "compare_plans",
        "load", "read_plan", "sensitivity", "solve", "write_report")

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    """The API names, imported on first use: ``stockopt validate`` and ``template`` need
    neither Pyomo nor HiGHS, so importing the package must not load them."""
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'stockopt' has no attribute {name!r}")
