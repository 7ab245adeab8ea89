"""Solving the LP that ``stockopt.model`` builds, and what can be said when it fails.

Modules: ``driver`` (the one module that talks to HiGHS: scaling and hand-off, options
and runs, budget duals and bounds, the phase-2 risk row), ``highs`` (the lexicographic
two-phase solve, ``LoadedLP``), ``warm_sweep`` (both phases re-solved hot after budget
changes, for the frontier), ``fixed_plan`` (a plan's first stage fixed, each scenario's
second stage solved), ``diagnose`` (why a plan is infeasible, in words: the model's
first-stage rows with elastic cover floors) and ``parallel`` (batches shared over MPI
ranks, when present).
"""
