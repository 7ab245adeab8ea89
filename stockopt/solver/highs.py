"""The lexicographic solve on HiGHS, in three phases (``LoadedLP``, ``solve``, ``solve_lp``).

The LP arrives in matrix form (a ``MatrixLP``: rendered from the model statement, or
compiled from the Pyomo model by Pyomo's standard-form compiler), is scaled and handed to
one HiGHS instance (``solver.driver``: ``scale``, ``load``), and the phases run on that
same loaded instance:

1. phase 1 minimizes the risk R (by default HiGHS's dual simplex with Devex pricing;
   interior point with crossover on request), so the optimum is basic and the budget
   rows' duals (∂R*/∂B) are available; it first minimizes R + w·Cost at a tight dual
   tolerance (the tie-break, ``TIE_BREAK``), then R alone from that basis;
2. phase 2 adds the row R ≤ R* + 1e-7·max(1, |R*|) (``driver.RiskRow``), switches the
   objective to the expected cost and re-solves with primal simplex (bound perturbation
   off), warm-started from the phase-1 basis (which stays primal feasible, so primal
   simplex continues from it).
3. phase 3 (FORMULATION-v2 section 1) keeps that row, adds Cost ≤ C* + 1e-7·max(1, |C*|)
   (``driver.RiskRow.of_cost``), switches the objective to Move (the stock moved out of
   stockpiles, ``model.movement``) and re-solves the same way, starting from the optimum
   of Move on phase 2's optimal face (``FACE_TOLERANCE``: solved on a copy of the
   LP) rather than from phase 2's basis. R* and the cost reported are phases 1 and 2's;
   the plan is phase 3's.

Orders over time (``purchase_timing = periods``, ``MatrixLP.orders_over_time``) change
phases 1 and 2: phase 1 minimizes R alone (no tie-break), and phase 2 starts like phase 3,
from the optimum of the cost on phase 1's optimal face (``FACE_TOLERANCE``), then primal
simplex on the whole phase-2 LP. With orders in every period the risk-optimal face is
wide (orders of one holding in different periods trade off at equal risk): the tie-break
at its tight dual tolerance made phase 1 at ``m`` 10x slower (204 s against 19 s), and
primal simplex from phase 1's basis walked that face for 79,000 iterations; on the face,
phase 2 took a third of that time (benchmarks/README.md, "Purchases over time"). The run on
the face prices with Devex and without HiGHS's zero-cost-singleton presolve rule
(``PHASE2_FACE_OPTIONS``: at ``m`` 7 s against 34 s with ``FACE_OPTIONS``) from
``PHASE2_FACE_MIN_ROWS`` rows on. A workbook that orders in one period only keeps the v1
route bit for bit.

Scaling is by powers of two, so it is exact (``driver.scale``): every tonnage column of a
mineral is measured in that mineral's own unit (about its largest baseline demand, so 19 t
of gallium and 90,000 t of nickel both become numbers near 1), then every row is scaled so
its largest coefficient is about 1, and the cost objective likewise. Without it, budgets
in the billions and risk coefficients in the millionths left HiGHS with residual
infeasibilities after unscaling (phase 2 ended "unknown") and risk costs near its dual
tolerance. Solutions, duals and objective values are unscaled on the way back.
Termination is checked after each phase; anything but optimal raises ``SolveFailed``
with HiGHS's model status. An optimal phase's solution is then checked, unscaled, against
every row and column bound of the MatrixLP (``solver.check``): a solution that breaks its
own rows beyond the check's tolerances raises ``SolveFailed`` with the status
"numerically unreliable", naming the row. Every ``SolveFailed`` carries an explanation in
words of its status and what the user can do (``solver.diagnose.status_words``).

The option sets of the phases (``ALGORITHMS``, ``TIE_BREAK_OPTIONS``, ``PHASE2_OPTIONS``,
``PHASE2_FALLBACK``, ``FACE_OPTIONS``, ``PHASE2_FACE_OPTIONS``) and the tie-break weight
are defined here; all but the last are shared with the frontier's warm sweeps
(``solver.warm_sweep``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from ..model.matrix import MatrixLP, Solution, names_of
from . import driver
from .check import NUMERICALLY_UNRELIABLE, SolutionCheck, Violation
from .diagnose import status_words, unreliable_explanation
from .driver import (
    DUAL_TOLERANCE,
    INF,
    RISK_BOUND_RELATIVE,
    PhaseRecord,
    RiskRow,
    ScaledLP,
    highs_version,
    scale,
)

__all__ = ["ALGORITHMS", "ALGORITHM_NAMES", "DEFAULT_ALGORITHM", "DUAL_PRICING",
           "DUAL_TOLERANCE", "INF", "PHASE2_FALLBACK", "PHASE2_OPTIONS",
           "FACE_OPTIONS", "FACE_TOLERANCE", "PHASE2_FACE_MIN_ROWS", "PHASE2_FACE_OPTIONS",
           "RISK_BOUND_RELATIVE", "TIE_BREAK",
           "TIE_BREAK_OPTIONS", "LoadedLP", "NUMERICALLY_UNRELIABLE", "PhaseRecord", "ScaledLP",
           "SolveFailed", "SolveOutcome", "check_solution", "highs_version", "risk_bound",
           "scale", "solve", "solve_lp", "tie_break_weight"]

DUAL_PRICING: dict[str, object] = {"simplex_dual_edge_weight_strategy": 1}
"""Dual simplex prices with Devex edge weights rather than HiGHS's default dual steepest
edge: about as many iterations, each cheaper (phase 1 at ``l`` 130 s → 71 s, at ``m``
25.7 s → 12.6 s; benchmarks/README.md)."""

ALGORITHMS: dict[str, dict[str, object]] = {
    "simplex": {"solver": "simplex", "simplex_strategy": 1, **DUAL_PRICING},
    "ipx": {"solver": "ipx", "run_crossover": "on"},
    "choose": {"solver": "choose"},
}
"""Phase-1 algorithm choices (HiGHS options). Crossover stays on: duals need a basis."""

ALGORITHM_NAMES = {"simplex": "dual simplex", "ipx": "interior point (ipx) with crossover",
                   "choose": "HiGHS's choice of algorithm"}
"""The phase-1 algorithm choices in words."""

DEFAULT_ALGORITHM = "simplex"
"""Measured on the benchmark ladder (benchmarks/README.md): dual simplex on the scaled
model beat interior point with crossover on this LP class."""

PHASE2_OPTIONS: dict[str, object] = {"solver": "simplex", "simplex_strategy": 4,
                                     "primal_simplex_bound_perturbation_multiplier": 0.0}
"""Phase 2: primal simplex from the phase-1 basis, without bound perturbation.

HiGHS's primal simplex perturbs bounds by default; on this LP class removing them at the
end left thousands of primal infeasibilities (sum 840 at ``l``) for a dual-simplex
clean-up. Unperturbed, phase 2 took 165 s instead of 352 s at ``l`` and 6.6 s instead of
14.5 s at ``m``. Should an unperturbed run end in anything but optimal or a time limit,
phase 2 is repeated with HiGHS's default (``PHASE2_FALLBACK``)."""

TIGHT_FEASIBILITY: dict[str, object] = {"primal_feasibility_tolerance": 1e-9}
"""Options of the one retry of phase 2 or 3 whose optimal plan breaks a row or bound of the
model in model units (``solver.check``): HiGHS's default primal feasibility tolerance, 1e-7,
is in scaled units, and on a rescaled random workbook with party risk limits phase 3 left a
shortfall 0.002 t above its 500 t bound; at 1e-9 from the same basis it ended feasible."""

PHASE2_FALLBACK: dict[str, object] = {"primal_simplex_bound_perturbation_multiplier": 1.0}
"""HiGHS's default bound perturbation, for the retry after an unperturbed phase 2 fails."""

TIE_BREAK = 3e-4
"""Phase 1 first minimizes R + w·Cost, w = TIE_BREAK · max|risk coefficient| / max|cost
coefficient| (scaled LP), then R alone by primal simplex from that basis (usually 0
iterations). The tie-break only chooses WHICH risk-optimal vertex phase 1 ends on: a cheap
one, from which phase 2's primal simplex has little left to do. R* is the second solve's,
exactly as without it (see benchmarks/README.md for the times)."""

TIE_BREAK_OPTIONS: dict[str, object] = {"dual_feasibility_tolerance": 1e-9}
"""The tie-broken phase-1 run (dual simplex) at a tighter dual tolerance. In R + w·Cost
the cost part of a reduced cost is w times smaller than in phase 2; below HiGHS's
default tolerance (1e-7) it is invisible, so phase 1 ended near, not on, the cheapest
risk-optimal vertex and phase 2 had to walk there. At 1e-9 phase 2 at ``l`` took 1,405
iterations (9.6 s) instead of 42,000–49,000 (165–236 s), phase 1 151 s instead of 72 s
(benchmarks/README.md). If that run ends neither optimal nor at the time limit, it is
repeated at the default tolerance. The R polish and phase 2 run at the default."""


FACE_TOLERANCE = 1e-9
"""Phase 3 starts on phase 2's optimal face: the columns and rows with a phase-2 reduced
cost or dual above this (scaled) are fixed at their bounds in a copy of the LP, Move is
minimized there from scratch (``FACE_OPTIONS``), and primal simplex on the whole
phase-3 LP (the cost row's slack lets the plan leave the face a little) starts from that
optimum's basis. Primal simplex from phase 2's basis instead walked the degenerate face
pivot by pivot, each pivot pricing every column: at ``m`` 13,493 iterations, as long as
phase 1. On the face (at ``m`` 119,208 of 381,261 columns and 96,658 rows fixed; presolve
leaves 78,603 rows) dual simplex takes 81,521 cheap iterations and the whole LP then 673:
phase 3 at ``m`` 27.3 s → 11.8 s (medians of 4 interleaved runs on the busy shared
machine; benchmarks/run.py 7.0 s against 14.1 s), at ``s`` 0.15 s → 0.27 s (the copy and the
cold solve cost more than the short walk), peak memory at ``m`` 889 → 1,270 MB and at
``l`` 2,254 → 3,519 MB (the copy's presolve and simplex; at ``l`` phase 3 took 234 s in one
run, with nothing yet to compare it with); benchmarks/README.md, "Phase 3". Phases 1 and
2 are untouched, so R*, the cost and the shadow prices are bit for bit as before; phase 3
still ends at an optimum of the whole LP (Move as before to 3e-12 at ``m``). Should the run
on the face end in anything but optimal, primal simplex starts from phase 2's basis."""

FACE_OPTIONS: dict[str, object] = {"solver": "simplex", "simplex_strategy": 1,
                                          "presolve": "on"}
"""The run on the previous phase's optimal face (phase 3 always; phase 2 when orders are
placed over time, with ``PHASE2_FACE_OPTIONS``): a cold solve, presolved, by dual
simplex."""

ZERO_COST_SINGLETON_OFF: dict[str, object] = {"presolve_rule_off": 1 << 18}
"""HiGHS 1.16's presolve rule 18 ("Zero cost singleton") switched off. On phase 1's
optimal face of ``m`` (periods) the basis that rule's postsolve hands back is far from
optimal: dual simplex then needed 56,135 of its 200,855 iterations (5 of 12 s) after
postsolve; without the rule it solves in 143,626 iterations and none after postsolve
(benchmarks/README.md, "Orders over time, third step"). Bit 18 is that rule in HiGHS
1.16; in another version it may name another rule or none, which is a matter of speed
only (the run ends at an optimum of the same LP either way)."""

PHASE2_FACE_OPTIONS: dict[str, object] = {**FACE_OPTIONS, **DUAL_PRICING,
                                          **ZERO_COST_SINGLETON_OFF}
"""Phase 2's run on phase 1's optimal face (orders over time only): ``FACE_OPTIONS`` with
Devex pricing (``DUAL_PRICING``; HiGHS's default, dual steepest edge, took about as many
iterations at almost 3x the time: 33.9 s against 12.1 s at ``m`` (periods), one after the
other) and without the zero-cost-singleton presolve rule (``ZERO_COST_SINGLETON_OFF``):
7.2 s. Phase 3's face run keeps ``FACE_OPTIONS``, so v1 workbooks are untouched. Used
from ``PHASE2_FACE_MIN_ROWS`` rows on."""

PHASE2_FACE_MIN_ROWS = 20_000
"""Phase 2's face run takes ``PHASE2_FACE_OPTIONS`` on an LP of at least this many rows,
``FACE_OPTIONS`` below. The bundled examples (about 4,200–4,600 rows, orders over time)
solve in milliseconds either way, but either option moves the ties their figures settle
(R* bit for bit, the cost by 4e-14, each party's spend by up to 0.35 bn USD), and the
README quotes those figures; at ``s`` (32,315 rows) the face run took 0.7 s against 1.7 s."""


ENDS_A_RUN = ("optimal", "time limit reached")
"""Statuses after which a failed-looking run is not retried with other options."""


def risk_bound(risk_star: float) -> float:
    """Phase 2's bound on R in model units: R* + RISK_BOUND_RELATIVE·max(1, |R*|)."""
    return risk_star + RISK_BOUND_RELATIVE * max(1.0, abs(risk_star))


def tie_break_weight(lp: ScaledLP) -> float | None:
    """w = TIE_BREAK · max|risk coefficient| / max|cost coefficient| of the scaled ``lp``
    (phase 1 minimizes R + w·Cost first); None when there is no tie-break (TIE_BREAK ≤ 0,
    or the cost objective is 0)."""
    cost_max = float(np.abs(lp.cost_cost).max(initial=0.0))
    if TIE_BREAK <= 0 or cost_max == 0.0:
        return None
    return TIE_BREAK * float(np.abs(lp.risk_cost).max(initial=0.0)) / cost_max


class SolveFailed(Exception):
    """A phase did not end optimal, or its solution failed the check. ``status`` is
    HiGHS's model status in lower case, or "numerically unreliable" (``solver.check``)."""

    def __init__(self, phase: str, status: str, outcome: SolveOutcome,
                 explanation: str | None = None, message: str | None = None) -> None:
        super().__init__(message or
                         f"{phase} did not solve to optimality: HiGHS status '{status}'")
        self.phase = phase
        self.status = status
        self.outcome = outcome
        self.explanation = status_words(status) if explanation is None else explanation
        """Why, in words, and what to do (e.g. which policy floor is out of reach); by
        default the words of the status (``diagnose.status_words``)."""


def check_solution(check: SolutionCheck, x: np.ndarray, phase: str, outcome: SolveOutcome,
                   risk_bound: float | None = None, cost_bound: float | None = None) -> None:
    """Check ``x`` (model units) against every row and column bound of ``check``'s
    MatrixLP (and phase 2's ``risk_bound``); add the time to ``outcome.timings["check"]``.
    Raises SolveFailed with status "numerically unreliable", naming the worst row, when
    ``x`` breaks them beyond the tolerances."""
    t0 = time.perf_counter()
    found = check.violations(x, risk_bound=risk_bound, cost_bound=cost_bound)
    outcome.timings["check"] = outcome.timings.get("check", 0.0) + time.perf_counter() - t0
    if found:
        raise unreliable(phase, outcome, found, check.lp)


def unreliable(phase: str, outcome: SolveOutcome, found: list[Violation],
               lp: MatrixLP) -> SolveFailed:
    """The SolveFailed of a solution that breaks rows ``found`` (worst first)."""
    outcome.status = NUMERICALLY_UNRELIABLE
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return SolveFailed(phase, NUMERICALLY_UNRELIABLE, outcome,
                       unreliable_explanation(found, lp),
                       message=f"{phase}: HiGHS reported optimal, but the solution breaks its "
                               f"own rows in model units: {found[0].describe()}{more}")


@dataclass
class SolveOutcome:
    """Everything the solve produced, for extraction and the audit record.

    ``risk`` R* (periods of baseline demand lost), ``cost`` (currency), budget shadow
    prices ∂R*/∂B (periods per currency unit, ≤ 0), ``timings`` in seconds.
    """

    status: str
    risk: float | None = None
    cost: float | None = None
    budget_duals: dict[str, float] = field(default_factory=dict)
    pooled_budget_dual: float = 0.0
    period_budget_duals: dict[tuple[str, int], float] = field(default_factory=dict)
    """∂R*/∂B_{p,t} (≤ 0, per base-currency unit) of each PeriodBudgets row."""
    phases: list[PhaseRecord] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    limit_duals: driver.Duals | None = None
    """Phase 1's row duals and reduced costs by family, in model units (the price of every
    limit, ``results.limits``); None where no phase 1 ran on HiGHS (the decomposition)."""
    rows: int = 0
    columns: int = 0
    nonzeros: int = 0
    solver: str = "HiGHS"
    solver_version: str = ""
    algorithm: str = DEFAULT_ALGORITHM


class LoadedLP:
    """The model loaded into one HiGHS instance, re-solvable after edits.

    ``solve()`` runs the three phases; between solves, ``set_budget`` and
    ``set_pooled_budget`` change budget right-hand sides (for budget sweeps), and the
    next phase 1 warm-starts from the previous phase-1 basis.

    Public attributes: ``h`` (the HiGHS instance), ``raw`` (the MatrixLP), ``lp`` (its
    ``ScaledLP``), ``n_rows`` (the model's rows, without phase 2's risk row),
    ``budget_rows`` and ``pooled_row``, ``model`` (the Pyomo model, or None).
    """

    def __init__(self, source: MatrixLP | pyo.ConcreteModel, *, verbose: bool = False) -> None:
        if isinstance(source, MatrixLP):
            self.model = None
            raw = source
        else:
            from ..model.compile import compile_pyomo

            self.model = source
            raw = compile_pyomo(source)
            if not raw.row_index:
                raw = dataclasses.replace(raw, **names_of(source.statement))
        self.raw = raw
        self.check = SolutionCheck(raw)
        """Checks every phase's solution against ``raw``'s rows (``solver.check``)."""
        self.lp = scale(raw)
        self.h = driver.load(self.lp, self.lp.risk_cost, verbose=verbose)
        self.n_rows = self.lp.n_rows
        self.budget_rows = dict(raw.budget_rows)
        self.pooled_row = raw.pooled_row
        self.risk_row = RiskRow.of(self.lp)
        self.cost_row = RiskRow.of_cost(self.lp)
        self._phase1_basis = None
        self.orders_over_time = raw.orders_over_time
        """Orders in several periods (``purchase_timing = periods``): phase 1 runs without
        the tie-break and phase 2 starts on phase 1's optimal face (module docstring)."""

    @property
    def nonzeros(self) -> int:
        return int(self.lp.A.nnz)

    def scenario_count(self) -> int:
        """Number of scenarios in the loaded LP."""
        return next(iter(self.raw.layout.second.values())).shape[0]

    def set_budget(self, party: str, value: float | None) -> None:
        """Set party ``party``'s budget B_p (currency; None = no limit) for the next solve."""
        driver.set_budget_rows([self.h], self.lp, {self.budget_rows[party]: value})

    def set_pooled_budget(self, value: float | None) -> None:
        """Set the pooled budget B_all (currency; None = no limit) for the next solve."""
        if self.pooled_row is None:
            raise KeyError("the model has no pooled budget row")
        driver.set_budget_rows([self.h], self.lp, {self.pooled_row: value})

    def _run(self, name: str, algorithm: str, options: dict[str, object],
             deadline: float | None) -> PhaseRecord:
        """One run of ``self.h`` (``driver.run``): every run of the two phases goes here."""
        return driver.run(self.h, name, algorithm, options, deadline)

    def _run_primal(self, name: str, algorithm: str, deadline: float | None) -> PhaseRecord:
        """Primal simplex from the current basis (``PHASE2_OPTIONS``); if it ends in
        neither optimal nor a time limit, once more with bound perturbation on."""
        record = self._run(name, algorithm, PHASE2_OPTIONS, deadline)
        if record.status in ENDS_A_RUN:
            return record
        retry = self._run(name, algorithm, {**PHASE2_OPTIONS, **PHASE2_FALLBACK}, deadline)
        retry.add_effort(record)
        return retry

    def reset_to_phase1(self) -> None:
        """Undo a previous phase 2: drop the risk-bound row, restore the risk objective."""
        if driver.drop_rows_after(self.h, self.n_rows):
            driver.set_objective(self.h, self.lp.risk_cost)
            if self._phase1_basis is not None:
                driver.set_basis(self.h, self._phase1_basis)

    def solve(self, *, time_limit: float | None = None, algorithm: str = DEFAULT_ALGORITHM,
              on_phase: Callable[[str], None] | None = None) -> SolveOutcome:
        """Run phase 1 and phase 2; return the outcome (raises SolveFailed if not optimal).

        ``time_limit`` (s) bounds the phases together.
        """
        outcome = SolveOutcome(status="unknown", solver_version=highs_version(),
                               algorithm=algorithm, rows=self.n_rows,
                               columns=self.lp.n_cols, nonzeros=self.nonzeros)
        deadline = None if time_limit is None else time.perf_counter() + time_limit
        notify = on_phase or (lambda _label: None)
        self.reset_to_phase1()

        notify("phase 1/3: minimizing risk")
        phase1 = self._phase1(algorithm, deadline)
        outcome.phases.append(phase1)
        outcome.timings["phase1"] = phase1.seconds
        if phase1.status != "optimal":
            outcome.status = phase1.status
            raise SolveFailed("phase 1 (risk)", phase1.status, outcome)
        risk_star = float(phase1.objective)
        outcome.risk = risk_star
        check_solution(self.check, self.primal_values(), "phase 1 (risk)", outcome)
        self._phase1_basis = driver.basis(self.h)
        self._record_budget_duals(outcome)

        notify("phase 2/3: cheapest plan at that risk")
        face = driver.optimal_face(self.h, FACE_TOLERANCE) if self.orders_over_time else None
        self.risk_row.add_to(self.h, risk_star)
        face_options = PHASE2_FACE_OPTIONS if self.n_rows >= PHASE2_FACE_MIN_ROWS \
            else FACE_OPTIONS
        first = None if face is None else self._start_on_face(
            face, self.lp.cost_cost, "phase 2 (cost)", "dual simplex on phase 1's optimal face",
            deadline, options=face_options)
        phase2 = self._warm_phase("phase 2 (cost)", "phase2", self.lp.cost_cost, outcome,
                                  deadline, risk_bound=risk_bound(risk_star), earlier=first)
        outcome.cost = float(phase2.objective) / self.lp.cost_scale
        phase2.objective = outcome.cost  # report in currency, not the solver's scaled units
        if self.lp.move_cost is not None and np.any(self.lp.move_cost):
            # phase 3 (FORMULATION-v2 section 1): keep the risk row, add Cost ≤ C* +
            # 1e-7·max(1, |C*|), move the least stock; R* and the cost stay phases 1 and 2's
            notify("phase 3/3: no needless releases")
            face = driver.optimal_face(self.h, FACE_TOLERANCE)
            phase2_basis = driver.basis(self.h)
            self.cost_row.add_to(self.h, outcome.cost)
            first = self._start_on_face(face, self.lp.move_cost, "phase 3 (releases)",
                                        "dual simplex on phase 2's optimal face", deadline)
            try:
                phase3 = self._warm_phase("phase 3 (releases)", "phase3", self.lp.move_cost,
                                          outcome, deadline, risk_bound=risk_bound(risk_star),
                                          cost_bound=risk_bound(outcome.cost), earlier=first)
                phase3.objective = float(phase3.objective) / self.lp.move_scale  # unscaled
            except SolveFailed as exc:
                if exc.status == "time limit reached":
                    raise
                self._keep_phase2(phase2_basis, outcome, exc, risk_star, deadline)
        outcome.status = "optimal"
        return outcome

    def _warm_phase(self, name: str, key: str, objective: np.ndarray, outcome: SolveOutcome,
                    deadline: float | None, earlier: PhaseRecord | None = None,
                    **bounds: float) -> PhaseRecord:
        """A later phase: the scaled ``objective``, primal simplex warm from the current
        basis (which stays feasible), recorded in ``outcome`` (timing ``key``; with the
        effort of an ``earlier`` run of the phase), its solution checked against every row
        and ``bounds`` (risk_bound, cost_bound). Raises SolveFailed when it does not end
        optimal."""
        driver.set_objective(self.h, objective)
        record = self._run_primal(name, "primal simplex (warm start)", deadline)
        if earlier is not None:
            record.add_effort(earlier)
            record.algorithm = (f"{earlier.algorithm}, then primal simplex (warm start) on "
                                "the whole LP")
        outcome.phases.append(record)
        outcome.timings[key] = record.seconds
        if record.status != "optimal":
            outcome.status = record.status
            raise SolveFailed(name, record.status, outcome)
        try:
            check_solution(self.check, self.primal_values(), name, outcome, **bounds)
        except SolveFailed:
            # HiGHS's tolerances are in scaled units; a plan that breaks a row or bound in
            # model units gets one more primal pass from its basis at a tighter feasibility
            # tolerance before it is called unreliable (``TIGHT_FEASIBILITY``)
            retry = self._run(name, "primal simplex (warm start, tighter tolerance)",
                              {**PHASE2_OPTIONS, **TIGHT_FEASIBILITY}, deadline)
            retry.add_effort(record)
            outcome.phases[-1] = record = retry
            outcome.timings[key] = record.seconds
            outcome.status = record.status
            if record.status != "optimal":
                raise SolveFailed(name, record.status, outcome) from None
            check_solution(self.check, self.primal_values(), name, outcome, **bounds)
        return record

    def _keep_phase2(self, phase2_basis: object, outcome: SolveOutcome, failed: SolveFailed,
                     risk_star: float, deadline: float | None) -> None:
        """Phase 3 is a tie-break among plans of risk R* and cost C*: when it cannot give a
        plan that passes the check (seen once: a cost bound of 1e-7 at C* = 0 broken by a
        cost of 1e-5, round-off in HiGHS's scaled tolerances), the plan reported is phase
        2's, restored from its basis (0 iterations), and the phase's record says so."""
        driver.drop_rows_after(self.h, self.n_rows + 1)  # keep the risk row, drop the cost's
        driver.set_objective(self.h, self.lp.cost_cost)
        driver.set_basis(self.h, phase2_basis)
        restored = self._run("phase 2 (cost)", "primal simplex (phase 2's basis)",
                             PHASE2_OPTIONS, deadline)
        if restored.status != "optimal":
            raise failed
        check_solution(self.check, self.primal_values(), "phase 2 (cost)", outcome,
                       risk_bound=risk_bound(risk_star))
        record = outcome.phases[-1]  # phase 3's, recorded by _warm_phase before it failed
        record.status = "not applied"
        record.objective = None
        record.algorithm = (f"{record.algorithm}; not applied ({failed}), so the plan is "
                            "phase 2's")
        outcome.status = "optimal"

    def _start_on_face(self, face: driver.Face, objective: np.ndarray, name: str,
                       algorithm: str, deadline: float | None, *,
                       options: dict[str, object] = FACE_OPTIONS) -> PhaseRecord:
        """A later phase's first run (``FACE_TOLERANCE``): minimize ``objective`` (scaled)
        on a copy of the LP restricted to the previous phase's optimal ``face``, cold
        (``options``: presolve, dual simplex); when it ends optimal, its basis, lifted to
        the whole LP, is where the phase's primal simplex starts (else the previous phase's
        basis, unchanged). Its record, for the phase's effort."""
        start = time.perf_counter()
        restricted = driver.on_face(self.h, face, objective)
        record = driver.run(restricted, name, algorithm, options, deadline)
        if record.status == "optimal":
            driver.set_basis(self.h, driver.lift_basis(restricted, face))
        record.seconds = time.perf_counter() - start  # with the copy and the basis
        return record

    def _phase1(self, algorithm: str, deadline: float | None) -> PhaseRecord:
        """min R + w·Cost (``TIE_BREAK``), then min R from that basis: one phase-1 record."""
        lp = self.lp
        weight = None if self.orders_over_time else tie_break_weight(lp)
        if weight is None:
            return self._run("phase 1 (risk)", algorithm, ALGORITHMS[algorithm], deadline)
        driver.set_objective(self.h, lp.risk_cost + weight * lp.cost_cost)
        options = ALGORITHMS[algorithm]
        if algorithm == "simplex":
            options = {**options, **TIE_BREAK_OPTIONS}
        first = self._run("phase 1 (risk)", algorithm, options, deadline)
        if first.status not in ENDS_A_RUN and options is not \
                ALGORITHMS[algorithm]:  # once more at HiGHS's default tolerance
            retry = self._run("phase 1 (risk)", algorithm, ALGORITHMS[algorithm], deadline)
            retry.add_effort(first)
            first = retry
        driver.set_objective(self.h, lp.risk_cost)
        if first.status != "optimal":
            return first
        polish = self._run_primal("phase 1 (risk)", "primal simplex", deadline)
        polish.add_effort(first)
        polish.algorithm = (f"{ALGORITHM_NAMES.get(algorithm, algorithm)} on R + "
                            f"{TIE_BREAK:g}·Cost (tie-break), then primal simplex on R")
        return polish

    def solve_risk(self, *, time_limit: float | None = None,
                   algorithm: str = DEFAULT_ALGORITHM) -> PhaseRecord:
        """Phase 1 only: minimize R and return its record (no risk bound, no cost phase).

        For uses that need the risk optimum alone, e.g. evaluating a fixed plan. Raises
        SolveFailed when it does not end optimal.
        """
        self.reset_to_phase1()
        deadline = None if time_limit is None else time.perf_counter() + time_limit
        record = self._run("phase 1 (risk)", algorithm, ALGORITHMS[algorithm], deadline)
        if record.status != "optimal":
            raise SolveFailed("phase 1 (risk)", record.status,
                              SolveOutcome(status=record.status, phases=[record]))
        check_solution(self.check, self.primal_values(), "phase 1 (risk)",
                       SolveOutcome(status=record.status, phases=[record]))
        self._phase1_basis = driver.basis(self.h)
        return record

    def _record_budget_duals(self, outcome: SolveOutcome) -> None:
        """Budget shadow prices ∂R*/∂B (≤ 0) from the phase-1 row duals, unscaled, and every
        row dual and reduced cost by family (``SolveOutcome.limit_duals``); 0 for the Pyomo
        model's parties without a budget."""
        row_duals = driver.row_duals(self.h)
        outcome.limit_duals = driver.limit_duals(self.h, self.lp, self.raw.row_layout,
                                                 self.raw.layout)
        duals, pooled = driver.budget_shadow_prices(self.lp, row_duals)
        outcome.budget_duals.update(duals)
        outcome.period_budget_duals.update(driver.period_budget_shadow_prices(self.lp,
                                                                              row_duals))
        if self.pooled_row is not None:
            outcome.pooled_budget_dual = pooled
        parties = self.model.PARTIES if self.model is not None else ()
        for p in parties:
            outcome.budget_duals.setdefault(p, 0.0)

    def primal_values(self) -> np.ndarray:
        """Column values of the last solution, in the model's units (t, currency)."""
        return driver.primal_values(self.h, self.lp)

    def solution(self) -> Solution:
        """The last solution by variable family (model units)."""
        return driver.solution(self.h, self.lp, self.raw.layout)

    def load_primal(self) -> None:
        """Copy the last solution into the Pyomo model's variables (Pyomo route only;
        variables in no row get 0)."""
        if self.model is None:
            raise ValueError("this LoadedLP was built from arrays; use solution()")
        from ..model.compile import pyomo_columns

        values = self.primal_values()
        for var in self.model.component_data_objects(pyo.Var, descend_into=True):
            var.set_value(0.0 if var.lb is None or var.lb <= 0 else var.lb,
                          skip_validation=True)
        for var, x in zip(pyomo_columns(self.model, self.raw), values.tolist(), strict=True):
            var.set_value(x, skip_validation=True)


def _solve_loaded(source: MatrixLP | pyo.ConcreteModel, *, time_limit: float | None,
                  verbose: bool, algorithm: str,
                  on_phase: Callable[[str], None] | None) -> tuple[SolveOutcome, LoadedLP]:
    """Hand ``source`` to HiGHS and run the phases, timing the hand-off."""
    (on_phase or (lambda _label: None))("handing the model to HiGHS")
    t0 = time.perf_counter()
    loaded = LoadedLP(source, verbose=verbose)
    handoff = time.perf_counter() - t0
    try:
        outcome = loaded.solve(time_limit=time_limit, algorithm=algorithm, on_phase=on_phase)
    except SolveFailed as exc:
        exc.outcome.timings["handoff"] = handoff
        raise
    outcome.timings["handoff"] = handoff
    return outcome, loaded


def solve(model: pyo.ConcreteModel, *, time_limit: float | None = None, verbose: bool = False,
          algorithm: str = DEFAULT_ALGORITHM,
          on_phase: Callable[[str], None] | None = None) -> SolveOutcome:
    """Solve the Pyomo ``model`` lexicographically and load the phase-2 solution into it.

    The Pyomo route (reference); ``solve_lp`` is the same for a MatrixLP built from
    arrays. ``time_limit`` (s) bounds the phases together; ``verbose`` streams the
    HiGHS log; ``on_phase`` is called with a label as each step starts. Raises
    ``SolveFailed`` when a phase does not end optimal.
    """
    outcome, loaded = _solve_loaded(model, time_limit=time_limit, verbose=verbose,
                                    algorithm=algorithm, on_phase=on_phase)
    t0 = time.perf_counter()
    loaded.load_primal()
    outcome.timings["load_solution"] = time.perf_counter() - t0
    return outcome


def solve_lp(lp: MatrixLP, *, time_limit: float | None = None, verbose: bool = False,
             algorithm: str = DEFAULT_ALGORITHM, parties: list[str] | tuple[str, ...] = (),
             on_phase: Callable[[str], None] | None = None) -> tuple[SolveOutcome, Solution]:
    """Solve a MatrixLP lexicographically; return the outcome and the phase-2 solution.

    ``parties`` lists every party, so parties without a budget get a shadow price of 0.
    """
    outcome, loaded = _solve_loaded(lp, time_limit=time_limit, verbose=verbose,
                                    algorithm=algorithm, on_phase=on_phase)
    for p in parties:
        outcome.budget_duals.setdefault(p, 0.0)
    t0 = time.perf_counter()
    solution = loaded.solution()
    outcome.timings["load_solution"] = time.perf_counter() - t0
    return outcome, solution
