"""stockopt as a Python library: the few calls an analyst needs, in pipeline order.

    import stockopt

    wb = stockopt.load("inputs/us_eu_example.xlsx")  # read, validate, normalize
    model = stockopt.build(wb)                        # the LP, stated once
    result = stockopt.solve(model)                    # both phases, then the tables
    result.risk, result.cost, result.spend            # headline numbers
    result.tables["purchases"]                        # pandas DataFrames, one per family
    stockopt.write_report(result, wb, "plan.xlsx")    # the reviewer's workbook

``load`` raises ``InputError`` (listing every problem, sheet, row and column) when the
workbook has errors; ``solve`` raises ``SolveFailed`` when a phase does not end optimal
(its ``explanation`` says why in words when it can). The command line runs the same
functions.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyomo.environ as pyo

from .data import ModelData
from .engines import benders
from .model import ModelStatement, build_index, render_matrix, render_pyomo, state_model
from .model.matrix import MatrixLP
from .report.workbook import RunAudit
from .report.workbook import write_report as _write_workbook
from .results.extract import Results, extract
from .solver.diagnose import (
    before_solving,
    explain_concentration_caps,
    explain_cover_floors,
    explain_party_limits,
)
from .solver.highs import SolveFailed, SolveOutcome, solve_lp
from .solver.highs import solve as solve_pyomo
from .studies.comparison import Comparison
from .studies.comparison import compare_plans as run_comparison
from .studies.cooperation import Cooperation, alone, compare, with_alone_risks
from .studies.evaluation import Plan, PlanError, read_plan
from .studies.sensitivity import DEFAULT_RANGE, SensitivityError, SensitivityRun, run_sensitivity
from .workbook.normalize import Loaded
from .workbook.normalize import load as load_workbook
from .workbook.problems import Problem, Problems
from .workbook.sampling import Sample

__all__ = ["Comparison", "Cooperation", "InputError", "Model", "PlanError", "Results",
           "SensitivityError", "SensitivityRun", "SolveFailed", "Workbook", "build",
           "compare_plans", "cooperate", "load", "read_plan", "sensitivity", "solve",
           "write_report"]

ENGINES = ("auto", "highs", "benders")
"""How the LP is solved: "highs" (the extensive form, every scenario in one LP), "benders"
(the L-shaped method, ``stockopt.engines.benders``), "auto" (Benders for large scenario
sets, ``engines.benders.prefers_benders``; the extensive form otherwise)."""

BUILDERS = ("arrays", "pyomo")
"""How the model reaches HiGHS: "arrays" (the matrix rendering, fast) or "pyomo" (the
Pyomo rendering compiled by Pyomo's standard-form compiler, the readable reference)."""


class InputError(ValueError):
    """The workbook has errors; ``problems`` lists every one (and the warnings)."""

    def __init__(self, path: Path, problems: Problems) -> None:
        errors = problems.errors  # the listed ones; error_count counts them all
        lines = [p.message for p in errors[:20]]
        more = problems.error_count - len(lines)
        tail = f"\n... and {more:,} more" if more > 0 else ""
        super().__init__(f"{path}: {problems.error_count:,} error(s)\n" + "\n".join(lines)
                         + tail)
        self.path = path
        self.problems = problems


@dataclass
class Workbook:
    """A loaded input workbook: its path, the model data, the tables as read, and the
    warnings found (errors raise ``InputError`` instead)."""

    path: Path
    data: ModelData
    loaded: Loaded

    @property
    def warnings(self) -> list[Problem]:
        return self.loaded.problems.warnings


@dataclass
class Model:
    """The model of a workbook, stated once (``statement``), with its two renderings:
    ``matrix()`` (what HiGHS is given) and ``pyomo()`` (a Pyomo ``ConcreteModel`` named
    as in ``models/formulation.md``)."""

    statement: ModelStatement
    workbook: Workbook | None = None
    _matrix: MatrixLP | None = field(default=None, repr=False)

    @property
    def data(self) -> ModelData:
        return self.statement.data

    def matrix(self) -> MatrixLP:
        """The sparse-matrix rendering (built once, then cached)."""
        if self._matrix is None:
            self._matrix = render_matrix(self.statement)
        return self._matrix

    def pyomo(self, scenarios: list[str] | None = None) -> pyo.ConcreteModel:
        """A new Pyomo rendering over ``scenarios`` (default: all)."""
        return render_pyomo(self.statement, scenarios)


def load(path: str | Path) -> Workbook:
    """Read, validate and normalize the input workbook at ``path`` (never modified).

    Raises ``InputError`` when it has errors, ``UnreadableWorkbook`` when it cannot be
    read at all.
    """
    loaded = load_workbook(path)
    if loaded.data is None:
        raise InputError(Path(path), loaded.problems)
    return Workbook(Path(path), loaded.data, loaded)


def build(source: Workbook | ModelData, *,
          on_phase: Callable[[str], None] | None = None) -> Model:
    """State the model of ``source`` (index sets decided once, every family's terms).

    With the setting ``party_risk_limit = alone``, each party's stand-alone risk
    R_p^alone is solved first (``studies.cooperation.with_alone_risks``; ``on_phase`` is
    told as each starts), since the limits' right-hand sides need it.
    """
    data = source.data if isinstance(source, Workbook) else source
    data = with_alone_risks(data, on_party=None if on_phase is None else
                            lambda p: on_phase(f"solving {p} alone (for party_risk_limit)"))
    return Model(state_model(data), source if isinstance(source, Workbook) else None)


def solve(source: Workbook | Model | ModelData, *, builder: str = "arrays",
          time_limit: float | None = None, algorithm: str = "simplex", verbose: bool = False,
          on_phase: Callable[[str], None] | None = None,
          timings: dict[str, float] | None = None, engine: str = "auto",
          comm: Any | None = None) -> Results | None:
    """Solve both phases (minimum risk R*, then the cheapest plan at that risk) and
    extract the results: headline numbers and one DataFrame per table.

    ``builder`` is one of ``BUILDERS``; ``time_limit`` (s) bounds both phases together;
    ``algorithm`` is phase 1's ("simplex", "ipx", "choose"); ``verbose`` streams the HiGHS
    log; ``on_phase`` is called with a label as each step starts; step times (s) are
    added to ``timings``. Raises ``SolveFailed``; its ``explanation`` says why in words
    and what to do: which policy floor or cap makes the plan infeasible and what it would
    need, or what the status means (time limit, unbounded, numerically unreliable: the
    solution broke its own rows, ``solver.check``).

    ``engine`` is one of ``ENGINES``; "benders" raises ``benders.Unsupported`` for what the
    decomposition cannot split (party risk limits), "auto" then takes the extensive form.
    ``comm`` (an mpi4py communicator) spreads the Benders engine's scenarios over its ranks:
    every rank calls ``solve``; rank 0 gets the Results, the others None.
    """
    if builder not in BUILDERS:
        raise ValueError(f"builder must be one of {', '.join(BUILDERS)}, not {builder!r}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    data_in = source.data if isinstance(source, (Workbook, Model)) else source
    ranks = 1 if comm is None else comm.Get_size()
    if engine == "benders" or (engine == "auto" and builder == "arrays"
                               and benders.prefers_benders(data_in, ranks)):
        return _solve_benders(data_in, time_limit=time_limit, verbose=verbose,
                              on_phase=on_phase, timings=timings, comm=comm)
    timings = {} if timings is None else timings
    notify = on_phase or (lambda _label: None)
    notify("building the model")
    t0 = time.perf_counter()
    model = source if isinstance(source, Model) else build(source, on_phase=on_phase)
    data, st = model.data, model.statement
    found = before_solving(data, st.index)
    if found:
        raise SolveFailed("the check before solving", "infeasible",
                          SolveOutcome(status="infeasible"), found[1], message=found[0])
    try:
        if builder == "pyomo":
            rendered = model.pyomo()
            timings["build"] = time.perf_counter() - t0
            outcome = solve_pyomo(rendered, time_limit=time_limit, verbose=verbose,
                                  algorithm=algorithm, on_phase=on_phase)
            solution = rendered
        else:
            lp = model.matrix()
            timings["build"] = time.perf_counter() - t0
            outcome, solution = solve_lp(lp, time_limit=time_limit, verbose=verbose,
                                         algorithm=algorithm, parties=data.parties,
                                         on_phase=on_phase)
    except SolveFailed as exc:
        if exc.status in ("infeasible", "primal infeasible or unbounded"):
            lp = model.matrix()
            found = [explain_cover_floors(data, st.index, lp),
                     explain_concentration_caps(data, st.index, lp),
                     explain_party_limits(data, lp)]
            if any(found):
                exc.explanation = "; ".join(text for text in found if text)
        raise
    timings.update(outcome.timings)
    notify("extracting the results")
    t0 = time.perf_counter()
    results = extract(solution, data, outcome, st)
    timings["extract"] = time.perf_counter() - t0
    return results


def _solve_benders(data: ModelData, *, time_limit: float | None, verbose: bool,
                   on_phase: Callable[[str], None] | None, timings: dict[str, float] | None,
                   comm: Any | None) -> Results | None:
    """``solve`` by the Benders engine (see ``solve``)."""
    timings = {} if timings is None else timings
    notify = on_phase or (lambda _label: None)
    is_root = comm is None or comm.Get_rank() == 0
    if is_root:
        found = before_solving(data, build_index(data))
        if comm is not None:  # the other ranks stop too, saying why
            comm.bcast(f"stopped by rank 0: {found[0]}" if found else None, root=0)
        if found:
            raise SolveFailed("the check before solving", "infeasible",
                              SolveOutcome(status="infeasible"), found[1], message=found[0])
    else:
        stop = comm.bcast(None, root=0)
        if stop is not None:
            raise benders.Stopped(stop, 1)
    try:
        run = benders.solve(data, comm=comm, time_limit=time_limit, on_phase=on_phase,
                            verbose=verbose)
    except SolveFailed as exc:
        if exc.status in ("infeasible", "primal infeasible or unbounded"):
            st = state_model(data)
            lp = render_matrix(st)
            found = [explain_cover_floors(data, st.index, lp),
                     explain_concentration_caps(data, st.index, lp)]
            if any(found):
                exc.explanation = "; ".join(text for text in found if text)
        raise
    if run is None:
        return None
    timings.update(run.outcome.timings)
    notify("extracting the results")
    t0 = time.perf_counter()
    results = extract(run.solution, data, run.outcome, run.statement)
    results.decomposition = run.report
    timings["extract"] = time.perf_counter() - t0
    return results


def cooperate(source: Workbook | ModelData, *, time_limit: float | None = None,
              algorithm: str = "simplex",
              on_phase: Callable[[str], None] | None = None) -> Cooperation:
    """Alone versus together (FORMULATION-v2 section 3): solve the joint problem of
    ``source`` and every party's stand-alone problem ``Alone(p)`` (all three phases each),
    and compare each party's risk and spending. ``time_limit`` (s) bounds each solve;
    ``on_phase`` is called with a label as each step starts. Raises ``SolveFailed`` (its
    ``phase`` names the party of a stand-alone problem)."""
    data = source.data if isinstance(source, Workbook) else source
    notify = on_phase or (lambda _label: None)
    solos: dict[str, Results] = {}
    for p in data.parties:
        def step(label: str, p: str = p) -> None:
            notify(f"{p} alone: {label}")
        try:
            solos[p] = solve(alone(data, p), time_limit=time_limit, algorithm=algorithm,
                             on_phase=step)
        except SolveFailed as exc:
            exc.phase = f"{p}'s stand-alone problem, {exc.phase}"
            raise
    if data.party_risk_limit == "alone":  # the limits' bounds are the R* just found
        data = dataclasses.replace(data, alone_risk={p: r.risk for p, r in solos.items()})
    joint = solve(data, time_limit=time_limit, algorithm=algorithm,
                  on_phase=lambda label: notify(f"together: {label}"))
    return compare(data, joint, solos)


def sensitivity(source: Workbook | ModelData, *, kinds: Sequence[str] | None = None,
                spread: float = DEFAULT_RANGE, time_limit: float | None = None,
                on_point: Callable[[int, int, str], None] | None = None) -> SensitivityRun:
    """One-at-a-time sensitivity (``studies.sensitivity``): each input group of ``kinds``
    (default all: demand, price, probability, disruption, budget, market_depth,
    risk_weight, cvar_alpha) × (1 ± ``spread``), R* and the cost re-optimized and the
    workbook's plan held fixed. ``time_limit`` (s) bounds each solve; ``on_point(k, n,
    label)`` is called before each. Raises ``SensitivityError`` (a bad request) and
    ``studies.sensitivity.PointFailed`` (a solve not optimal)."""
    data = source.data if isinstance(source, Workbook) else source
    return run_sensitivity(data, kinds=kinds, spread=spread, time_limit=time_limit,
                           on_point=on_point)


def compare_plans(source: Workbook | ModelData, plans: Sequence[tuple[Path, Plan]], *,
                  sample: Sample | None = None,
                  on_step: Callable[[str], None] | None = None) -> Comparison:
    """Plans side by side on one input (``studies.comparison``): each (results path, plan
    read by ``read_plan``) evaluated with its first stage fixed on the input's scenarios,
    and on ``sample`` (the same for every plan) if given; the decisions that differ.
    Raises ``PlanError`` (a plan that does not fit the input) and ``EvaluationFailed``."""
    data = source.data if isinstance(source, Workbook) else source
    return run_comparison(data, plans, sample=sample, on_step=on_step)


def write_report(results: Results, workbook: Workbook, path: str | Path, *,
                 timings: dict[str, float] | None = None) -> Path:
    """Write the results workbook for ``results`` of ``workbook`` to ``path``, atomically
    (temporary file, then rename); never over the input. Returns the path.

    Raises ``OutputNotWritable`` with a one-line reason when the target must not or
    cannot be written.
    """
    target = Path(path)
    _write_workbook(target, results, workbook.data,
                    RunAudit(workbook.path, timings or {},
                             warnings=[p.message for p in workbook.warnings]),
                    raw=workbook.loaded.raw)
    return target
