"""Solving the LP that ``stockopt.model`` builds, and what can be said when it fails.

Modules: ``highs`` (the lexicographic two-phase solve on HiGHS), ``fixed_plan`` (a plan's
first stage fixed, each scenario's second stage solved), ``diagnose`` (why a plan is
infeasible, in words) and ``parallel`` (batches shared over MPI ranks, when present).
"""
