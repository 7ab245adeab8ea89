"""The L-shaped method (multi-cut Benders decomposition), exact, in one process or over MPI.

The extensive form's first stage (x: purchases, offtake, swap and mitigation capacities) is
small; its scenarios are many and independent once x is fixed. So:

- **phase 1** minimizes R = (1−λ)·Σ π_s θ_s + λ·(ζ + Σ π_s η_s/(1−α)) in the master
  (``engines.master``: CVaR stays in the master, η_s ≥ θ_s − ζ), θ_s bounded below by cuts
  θ_s ≥ Q_s(x_k) + g_s·(x − x_k), one per scenario and iteration (multi-cut), where Q_s(x) is
  scenario s's least loss and g_s its subgradient: the reduced costs of scenario s's copy of
  x in the subproblem (``engines.blocks``). The master's optimum is a lower bound on R*; the
  exact risk R(x_k) of every point evaluated (its losses Q_s(x_k), exact CVaR) an upper bound.
  Phase 1 stops when they are within ``PHASE1_GAP`` (relative): R* is the best point's R.
- **phase 2** keeps R ≤ R̄ = R* + 1e-7·max(1, |R*|) (the extensive form's relaxation) with
  allowances: the master's θ_s becomes ρ_s, scenario s's allowed loss, the risk row bounds
  (1−λ)·Σ π_s ρ_s + λ·(ζ + Σ π_s η_s/(1−α)) ≤ R̄, the phase-1 cuts keep ρ_s ≥ Q_s(x), and
  the cost spend(x) + Σ π_s φ_s is minimized with φ_s ≥ C_s(x_k, ρ_k) + g·(x − x_k) +
  h·(ρ_s − ρ_k), C_s the least operating cost with L_s ≤ ρ_s. A subproblem infeasible at
  (x_k, ρ_k) (ρ_s below Q_s(x_k)) adds the feasibility cut ρ_s ≥ Q_s(x_k) + g·(x − x_k).
  Upper bounds are real plans: x_k with its recourse, whose exact risk is within R̄.
- the reported plan is the best phase-2 point, solved once more with x fixed (the cost
  reported is this re-solve's), each scenario then moving the least stock among its
  least-cost recourse (phase 3 restricted to the recourse: see ``final`` and README).

Stabilization is the level method in phase 1 (Lemaréchal, Nemirovskii, Nesterov 1995; for
two-stage programs Fábián and Szőke 2007): after the master gives the lower bound, the next
point is the one nearest the best point so far (in the box norm max_j |x_j − x̂_j|/r_j) whose
model value is at most LB + ``LEVEL``·(UB − LB); and phase 1 starts from the first stage of
the extensive form of a few scenarios (``START_SAMPLE``). Started from the master's empty
model, plain cuts at ``m`` needed 69 iterations with the lower bound at 0 for 20 of them
(the issue's prototype); see benchmarks/README.md for what each part does now.

Work is spread over MPI ranks when there are several: rank 0 runs the master and a share of
the scenario batches, every other rank builds and solves only its own batches (batch i on
rank i mod R) and keeps them loaded, hot-started, between iterations. One process needs no
MPI. Every failure ends with a message on every rank (``Workers.stop``).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..data import ModelData
from ..model import ModelStatement, state_model
from ..model.matrix import Solution
from ..model.party_limits import has_limits
from ..model.risk import risk_of
from ..solver.check import NUMERICALLY_UNRELIABLE, SolutionCheck
from ..solver.driver import Duals, PhaseRecord, power_of_two_scale
from ..solver.fixed_plan import ScenarioEvaluation, plan_solution
from ..solver.highs import SolveFailed, SolveOutcome, highs_version, risk_bound
from .blocks import BatchFailed, BatchReply, ScenarioBatch, first_stage_bounds
from .master import FirstStage, Master, MasterSolution

PHASE1_GAP = 1e-10
"""Phase 1 stops when UB − LB ≤ PHASE1_GAP·max(1, |UB|). Phase 2's bound R̄ is built from
R*, and the cost falls steeply as R̄ loosens: a phase-1 gap of 9e-7 left the cost 5e-5 low."""

PHASE2_GAP = 1e-9
"""Phase 2 stops when UB − LB ≤ PHASE2_GAP·max(1, |UB|) (the contract asks 1e-7 of the cost)."""

LEVEL = 0.5
"""The level method's λ: the next point's model value is at most LB + LEVEL·(UB − LB)."""

MAX_ITERATIONS = 500
"""Iterations of each phase at most (an iteration: one master, one pass over the scenarios)."""

BATCH_NONZEROS = 60_000
"""A batch holds about this many nonzeros (at least one scenario): big enough that a HiGHS
run's fixed cost is small against its work, small enough to spread over ranks."""

START_SAMPLE = 20
"""Phase 1 starts from the risk-optimal first stage of the extensive form of this many
scenarios, evenly spread over the scenario list, probabilities rescaled to sum to 1 (when
there are more scenarios than this): a starting point only, so R* stays exact, but far
fewer iterations than starting from the master's empty model (nothing bought)."""

RISK_ACCEPT = 1e-9
"""A phase-2 point is a plan within R̄ when its exact risk is at most R̄ + RISK_ACCEPT·max(1,
R̄) (HiGHS's tolerances on the allowance rows)."""

FAULT_VARIABLE = "STOCKOPT_BENDERS_TEST_EXIT_RANK"
"""Test hook for the failure path "a rank dies": the rank named here ends its process
(exit status 3) when asked for its first subproblems. Unset in normal use."""


class Unsupported(ValueError):
    """The workbook uses something the decomposition cannot split (named in the message)."""


def unsupported(data: ModelData) -> str | None:
    """Why ``data`` cannot be decomposed, in words, or None."""
    if has_limits(data):
        return ("sheet 'Parties' column 'max_risk' / setting party_risk_limit: a party's risk "
                "limit is a CVaR over every scenario of that party's losses (FORMULATION-v2 "
                "section 4), which the Benders engine does not state in its master")
    return None


AUTO_NONZEROS = 250_000
"""``--engine auto`` takes Benders when its subproblems hold at least this many nonzeros in
all (distinct scenarios of positive probability × one scenario's nonzeros), the extensive
form below. Measured (benchmarks/README.md, "When auto takes Benders"): on the register's
samples (1,650 nonzeros per scenario) the extensive form was faster at 100 samples (84
distinct, 139 k) and Benders at 200 (156 distinct, 257 k); on the ladder's ``m`` (100
scenarios of about 10 k) Benders was faster."""

AUTO_MIN_SCENARIOS = 20
"""Below this many scenarios ``auto`` takes the extensive form without measuring."""

AUTO_MAX_FIRST_STAGE = 500
"""``auto`` takes the extensive form when the first stage has more columns than this: the
master grows with them. Measured (benchmarks/README.md, "When auto takes Benders"): with
161 first-stage columns (the ladder's ``m``, the register's samples) Benders won from the
crossover above; at ``m`` ordering in all 12 periods (997 first-stage columns, 100
scenarios) it took 746 s (146 phase-1 iterations, the master 478 s of them) against the
extensive form's 460 s, one after the other on the shared machine."""


def prefers_benders(data: ModelData, ranks: int = 1) -> bool:
    """``--engine auto``'s choice: Benders when the decomposition supports ``data`` and
    either it runs on several MPI ranks or its distinct scenarios of positive probability
    hold at least ``AUTO_NONZEROS`` nonzeros and its first stage at most
    ``AUTO_MAX_FIRST_STAGE`` columns."""
    if unsupported(data) is not None:
        return False
    if ranks > 1:
        return True
    if len(data.scenarios) < AUTO_MIN_SCENARIOS:
        return False
    members = identical_scenarios(data)
    live = sum(1 for group in members.values() if sum(data.probability[s] for s in group) > 0)
    nonzeros, first_stage = scenario_size(data)
    return live * nonzeros >= AUTO_NONZEROS and first_stage <= AUTO_MAX_FIRST_STAGE


def peak_memory_mb() -> float:
    """This process's peak resident memory (MB; Linux's ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- batches and ranks ----------------------------------------------------------------------

@dataclass
class BatchPlan:
    """Which scenarios each batch holds.

    Scenarios with the same data (availability and demand multipliers in every period)
    have the same subproblem, so each group is solved once, for its first scenario (its
    representative), with the group's summed probability (``weight``): exact, since R and
    the cost depend on the loss and cost distribution only. ``order`` lists the
    representatives, those of positive weight first (``live`` of them, data order), then
    those of weight 0, which only the final pass solves (``final_only`` batches);
    ``members[r]`` is representative r's group (data order). Batches hold about ``size``
    representatives; ``start[i]`` is batch i's first position in ``order``."""

    order: list[str]
    live: int
    weight: np.ndarray
    members: dict[str, list[str]]
    batches: list[list[str]]
    start: list[int]
    final_only: set[int]
    size: int

    @classmethod
    def of(cls, data: ModelData, size: int | None = None) -> BatchPlan:
        members = identical_scenarios(data)
        weight = {r: sum(data.probability[s] for s in group) for r, group in members.items()}
        live = [r for r in members if weight[r] > 0]
        dead = [r for r in members if weight[r] <= 0]
        if size is None:
            size = batch_size(data)
        batches, start, final_only = [], [], set()
        for group, final in ((live, False), (dead, True)):
            for i in range(0, len(group), size):
                start.append(sum(len(b) for b in batches))
                if final:
                    final_only.add(len(batches))
                batches.append(group[i:i + size])
        return cls(live + dead, len(live), np.array([weight[r] for r in live + dead]),
                   members, batches, start, final_only, size)


def identical_scenarios(data: ModelData) -> dict[str, list[str]]:
    """Representative -> the scenarios whose data equal its own (availability and demand
    multipliers, every key), in data order; the representative is the group's first."""
    entries: dict[str, list] = {s: [] for s in data.scenarios}
    for (c, m, t, s), v in data.availability.items():
        entries[s].append(("a", c, m, t, v))
    for (p, m, t, s), v in data.demand_multiplier.items():
        entries[s].append(("d", p, m, t, v))
    groups: dict[tuple, list[str]] = {}
    for s in data.scenarios:
        groups.setdefault(tuple(sorted(entries[s], key=repr)), []).append(s)
    return {group[0]: group for group in groups.values()}


def scenario_size(data: ModelData) -> tuple[int, int]:
    """(nonzeros, first-stage columns) of the model rendered over its first scenario (about
    one scenario's block, with the first-stage rows)."""
    from ..model import render_matrix
    from ..solver.fixed_plan import subset

    lp = render_matrix(state_model(subset(data, data.scenarios[:1])))
    return lp.nonzeros, sum(len(columns) for columns in lp.layout.first.values())


def scenario_nonzeros(data: ModelData) -> int:
    """The nonzeros of the model rendered over its first scenario (``scenario_size``)."""
    return scenario_size(data)[0]


def batch_size(data: ModelData) -> int:
    """Scenarios per batch: about ``BATCH_NONZEROS`` nonzeros (one scenario's nonzeros
    measured on its rendering), at least 1."""
    return max(1, int(BATCH_NONZEROS // max(scenario_nonzeros(data), 1)))


@dataclass
class Request:
    """What rank 0 asks every rank: ``kind`` "risk" (Q_s at ``x``), "cost" (C_s at ``x``
    and the allowances ``rho``, in ``BatchPlan.order``), "duals" (phase 1's duals of the
    scenario rows the limit prices read, from the master's cut duals ``weights``), "final"
    (the plan's recourse) or
    "stop" (end, with ``message`` and exit ``code``); ``seconds`` left before the time limit."""

    kind: str
    x: np.ndarray | None = None
    rho: np.ndarray | None = None
    seconds: float | None = None
    weights: np.ndarray | None = None
    """"duals": the master's cut duals W[k, s] of phase 1's k-th round of cuts, over the
    live representatives (``BatchPlan.order``; ``Master.limit_duals``)."""
    message: str = ""
    code: int = 0


@dataclass
class Failure:
    """A batch that failed: HiGHS's ``status`` or "error", and what happened."""

    batch: int
    status: str
    message: str
    rank: int


class Workers:
    """This rank's scenario batches, and the exchange with rank 0 (``comm`` None: one
    process, no MPI)."""

    def __init__(self, comm: Any | None, data: ModelData, plan: BatchPlan, *,
                 verbose: bool = False) -> None:
        self.comm = comm
        self.rank = 0 if comm is None else comm.Get_rank()
        self.size = 1 if comm is None else comm.Get_size()
        self.data = data
        self.plan = plan
        self.verbose = verbose
        self.mine = [i for i in range(len(plan.batches)) if i % self.size == self.rank]
        self.built: dict[int, ScenarioBatch] = {}
        self.bounds = first_stage_bounds(data)
        self.build_seconds = 0.0
        self.handled = 0
        self.recorded: dict[int, list] = {}
        """Batch -> its scenario rows' duals after each phase-1 pass (``loss_duals``), which
        the limit prices combine with the master's cut duals (``combined_duals``)."""

    def _batch(self, i: int) -> ScenarioBatch:
        if i not in self.built:
            t0 = time.perf_counter()
            self.built[i] = ScenarioBatch(i, self.data, self.plan.batches[i],
                                          bounds=self.bounds, verbose=self.verbose)
            self.build_seconds += time.perf_counter() - t0
        return self.built[i]

    def handle(self, req: Request) -> list[BatchReply | Failure]:
        """Solve this rank's batches for ``req``."""
        if os.environ.get(FAULT_VARIABLE) == str(self.rank) and self.handled == 0:
            sys.stderr.flush()
            os._exit(3)
        self.handled += 1
        deadline = None if req.seconds is None else time.perf_counter() + req.seconds
        out: list[BatchReply | Failure] = []
        for i in self.mine:
            if req.kind != "final" and i in self.plan.final_only:
                continue
            a = self.plan.start[i]
            b = a + len(self.plan.batches[i])
            try:
                batch = self._batch(i)
                if req.kind == "risk":
                    out.append(batch.least_loss(req.x, deadline))
                    self.recorded.setdefault(i, []).append(batch.loss_duals())
                elif req.kind == "cost":
                    out.append(cost_reply(batch, req.x, req.rho[a:b], deadline))
                elif req.kind == "duals":
                    recorded = self.recorded.pop(i, [])
                    if len(recorded) != len(req.weights):
                        raise ValueError(f"{len(recorded)} phase-1 passes recorded for "
                                         f"{len(req.weights)} rounds of cuts")
                    out.append(BatchReply(i, np.zeros(0), np.zeros(0), duals=batch.
                                          combined_duals(recorded, req.weights[:, a:b])))
                else:
                    out.append(batch.final(req.x, req.rho[a:b], 0.0, deadline))
            except BatchFailed as exc:
                out.append(Failure(i, exc.status, str(exc), self.rank))
                break
            except Exception as exc:  # noqa: BLE001 - reported to rank 0, which stops all
                out.append(Failure(i, "error", f"{type(exc).__name__}: {exc}", self.rank))
                break
        return out

    def ask(self, req: Request) -> list[BatchReply | Failure]:
        """Rank 0: every rank's replies to ``req``, by batch."""
        if self.comm is not None:
            self.comm.bcast(req, root=0)
        local = self.handle(req)
        parts = [local] if self.comm is None else self.comm.gather(local, root=0)
        return sorted((r for part in parts for r in part), key=lambda r: r.batch)

    def stop(self, message: str = "", code: int = 0) -> list[float]:
        """Rank 0: tell every rank to end (``message`` is printed on each other rank when
        not empty); the peak memory of every rank (MB)."""
        if self.comm is None:
            return [peak_memory_mb()]
        self.comm.bcast(Request("stop", message=message, code=code), root=0)
        return list(self.comm.gather(peak_memory_mb(), root=0))

    def serve(self) -> Request:
        """Every rank but 0: answer rank 0's requests until it says stop; the stop."""
        while True:
            req = self.comm.bcast(None, root=0)
            if req.kind == "stop":
                self.comm.gather(peak_memory_mb(), root=0)
                return req
            self.comm.gather(self.handle(req), root=0)


def cost_reply(batch: ScenarioBatch, x: np.ndarray, rho: np.ndarray,
               deadline: float | None) -> BatchReply:
    """Phase 2 on one batch at (x, ρ). When it is infeasible (some ρ_s < Q_s(x)), Q_s(x)
    and its subgradient come back as ``feasibility`` (for feasibility cuts) and the batch is
    solved again at max(ρ_s, Q_s(x)), so every scenario still gets an optimality cut."""
    try:
        reply = batch.least_cost(x, rho, deadline)
        reply.rho = np.asarray(rho, dtype=float)
        return reply
    except BatchFailed as exc:
        if exc.status != "infeasible":
            raise
    least = batch.least_loss(x, deadline)
    raised = np.fmax(rho, least.values)
    reply = batch.least_cost(x, raised, deadline)
    reply.rho = raised
    reply.feasibility = least
    reply.seconds += least.seconds
    reply.iterations += least.iterations
    return reply


# -- the algorithm on rank 0 -------------------------------------------------------------------

@dataclass
class PhaseLog:
    """What one phase did: iterations, bounds, seconds (master, subproblems, in all)."""

    name: str
    iterations: int = 0
    lower: float = -np.inf
    upper: float = np.inf
    seconds: float = 0.0
    master_seconds: float = 0.0
    subproblem_seconds: float = 0.0
    subproblem_iterations: int = 0
    cuts: int = 0
    history: list[tuple[float, float]] = field(default_factory=list)

    @property
    def gap(self) -> float:
        if not np.isfinite(self.upper) or not np.isfinite(self.lower):
            return float("inf")
        return max(self.upper - self.lower, 0.0) / max(1.0, abs(self.upper))

    def as_dict(self) -> dict:
        return {"iterations": self.iterations, "lower_bound": self.lower,
                "upper_bound": self.upper, "relative_gap": self.gap,
                "seconds": round(self.seconds, 3),
                "master_seconds": round(self.master_seconds, 3),
                "subproblem_seconds": round(self.subproblem_seconds, 3),
                "subproblem_simplex_iterations": self.subproblem_iterations,
                "cuts": self.cuts}


@dataclass
class BendersRun:
    """What ``solve`` returns on rank 0: the outcome and solution the default engine's
    driver produces (``solver.highs.SolveOutcome``, ``model.matrix.Solution``), and the
    decomposition's own figures (``report``: JSON-ready)."""

    outcome: SolveOutcome
    solution: Solution
    report: dict
    statement: ModelStatement


@dataclass
class Options:
    """``batch_size`` scenarios per batch (None: ``batch_size``), ``level`` the level
    method's λ (None: no stabilization), the phases' gaps and iteration limits."""

    batch_size: int | None = None
    level: float | None = LEVEL
    phase1_gap: float = PHASE1_GAP
    phase2_gap: float = PHASE2_GAP
    max_iterations: int = MAX_ITERATIONS
    start_sample: int | None = START_SAMPLE


def starting_point(data: ModelData, live: list[str], weight: np.ndarray, k: int,
                   first: FirstStage, deadline: float | None) -> np.ndarray:
    """x of the risk-optimal plan of the extensive form over ``k`` of the ``live``
    scenarios (evenly spread; their ``weight``s rescaled to sum to 1), model units."""
    import dataclasses

    from ..model import render_matrix
    from ..solver.fixed_plan import subset
    from ..solver.highs import LoadedLP

    where = list(dict.fromkeys(np.linspace(0, len(live) - 1, k).round().astype(int).tolist()))
    picks = [live[i] for i in where]
    total = float(weight[where].sum())
    sample = dataclasses.replace(subset(data, picks), probability={
        s: float(weight[i]) / total for s, i in zip(picks, where, strict=True)})
    lp = render_matrix(state_model(sample))
    loaded = LoadedLP(lp)
    seconds = None if deadline is None else max(deadline - time.perf_counter(), 0.0)
    loaded.solve_risk(time_limit=seconds)
    sol = loaded.solution()
    return np.concatenate([sol.first[f] for f in first.families])


class Stopped(Exception):
    """Raised on ranks other than 0 when rank 0 ended the run; ``code`` is the exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def solve(data: ModelData, *, comm: Any | None = None, time_limit: float | None = None,
          on_phase: Callable[[str], None] | None = None, options: Options | None = None,
          verbose: bool = False) -> BendersRun | None:
    """Solve ``data`` by the L-shaped method (see the module docstring).

    On rank 0 (or without ``comm``): the ``BendersRun``; raises ``SolveFailed`` like the
    default engine (after every other rank was told to stop) and ``Unsupported`` for what
    the decomposition cannot split. On the other ranks: serves rank 0 and returns None when
    it ends normally, raises ``Stopped`` when it ended the run with a failure.
    """
    options = options or Options()
    rank = 0 if comm is None else comm.Get_rank()
    why = unsupported(data)
    if why is not None:
        raise Unsupported(why)
    plan = BatchPlan.of(data, options.batch_size)
    workers = Workers(comm, data, plan, verbose=verbose)
    if rank != 0:
        req = workers.serve()
        if req.message:
            raise Stopped(req.message, req.code)
        return None
    try:
        return _Root(data, workers, plan, options, time_limit, on_phase).run()
    except SolveFailed as exc:
        workers.stop(f"stopped by rank 0: {exc}", 1)
        raise
    except BaseException as exc:
        workers.stop(f"stopped by rank 0: {type(exc).__name__}: {exc}", 1)
        raise


class _Root:
    """Rank 0's part: the master, the loop of each phase, the final pass."""

    def __init__(self, data: ModelData, workers: Workers, plan: BatchPlan, options: Options,
                 time_limit: float | None, on_phase: Callable[[str], None] | None) -> None:
        self.data = data
        self.workers = workers
        self.plan = plan
        self.options = options
        self.start = time.perf_counter()
        self.deadline = None if time_limit is None else self.start + time_limit
        self.notify = on_phase or (lambda _label: None)
        self.pi = plan.weight[:plan.live]
        self.outcome = SolveOutcome(status="unknown", solver_version=highs_version(),
                                    algorithm="Benders decomposition (L-shaped, multi-cut, "
                                    "level method)")

    # -- helpers ------------------------------------------------------------------------------
    def _seconds_left(self) -> float | None:
        return None if self.deadline is None else max(self.deadline - time.perf_counter(), 0.0)

    def _fail(self, phase: str, status: str, message: str | None = None) -> SolveFailed:
        self.outcome.status = status
        return SolveFailed(phase, status, self.outcome, message=message)

    def _check_time(self, phase: str) -> None:
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            raise self._fail(phase, "time limit reached")

    def _ask(self, phase: str, log: PhaseLog, req: Request) -> list[BatchReply]:
        req.seconds = self._seconds_left()
        t0 = time.perf_counter()
        replies = self.workers.ask(req)
        log.subproblem_seconds += time.perf_counter() - t0
        failed = [r for r in replies if isinstance(r, Failure)]
        if failed:
            f = failed[0]
            names = self.plan.batches[f.batch]
            raise self._fail(phase, f.status if f.status != "error" else "error",
                             f"{phase}: the subproblem of scenarios {names[0]}..{names[-1]} "
                             f"(batch {f.batch}, MPI rank {f.rank}) failed: {f.message}")
        log.subproblem_iterations += sum(r.iterations for r in replies)
        return replies

    def _master(self, phase: str, log: PhaseLog, kind: str) -> MasterSolution:
        t0 = time.perf_counter()
        record, sol = self.master.solve(kind, self.deadline)
        log.master_seconds += time.perf_counter() - t0
        if sol is None:
            status = record.status
            raise self._fail(phase, status, f"{phase}: the master problem ended with HiGHS "
                             f"status '{status}'" + (" (the first-stage rows: budgets, market "
                                                     "depth, cover floors, concentration caps "
                                                     "cannot all hold)"
                                                     if status == "infeasible" else ""))
        return sol

    def _level_step(self, phase: str, log: PhaseLog, kind: str, center: np.ndarray,
                    fallback: MasterSolution) -> MasterSolution:
        """The next point: the level method's, or the master's minimizer ``fallback``
        when there is no upper bound yet, no stabilization, or the lower bound did not move
        in the last iteration (then the model is likely exact near its minimizer, which a
        level step approaches only geometrically; the minimizer's cuts close the gap or
        raise the bound, so the method stays finite)."""
        stalled = len(log.history) >= 2 and log.history[-1][0] <= log.history[-2][0] + \
            0.1 * self.options.phase1_gap * max(1.0, abs(log.upper))
        if self.options.level is None or not np.isfinite(log.upper) or stalled:
            return fallback
        level = log.lower + self.options.level * (log.upper - log.lower)
        t0 = time.perf_counter()
        record, sol = self.master.project(kind, level, center, self.deadline)
        log.master_seconds += time.perf_counter() - t0
        return fallback if sol is None else sol

    # -- the run ------------------------------------------------------------------------------
    def run(self) -> BendersRun:
        data = self.data
        self.notify("phase 1/3: setting up the decomposition")
        self.first = FirstStage(data)
        first = self.first
        scale = float(np.abs(first.spend * first.ranges()).max(initial=0.0))
        cost_unit = 1.0 / float(power_of_two_scale(np.array([max(scale, 1.0)]))[0])
        self.master = Master(first, self.pi, data.risk_weight, data.cvar_alpha, cost_unit,
                             np.full(len(self.pi), -np.inf))
        log1 = self._phase1()
        log2, x_plan, rho_plan = self._phase2(log1)
        return self._final(log1, log2, x_plan, rho_plan)

    def _live_values(self, replies: list[BatchReply], attr: str) -> np.ndarray:
        out = np.zeros(self.plan.live)
        for r in replies:
            a = self.plan.start[r.batch]
            out[a:a + len(r.values)] = getattr(r, attr)
        return out

    def _live_matrix(self, replies: list[BatchReply], attr: str) -> np.ndarray:
        out = np.zeros((self.plan.live, self.first.n_x))
        for r in replies:
            a = self.plan.start[r.batch]
            out[a:a + len(r.values)] = getattr(r, attr)
        return out

    def _phase1(self) -> PhaseLog:
        phase = "phase 1 (risk)"
        log = PhaseLog(phase)
        t_phase = time.perf_counter()
        data = self.data
        everyone = np.arange(self.plan.live)
        sol = self._master(phase, log, "risk")
        x = sol.x
        if self.options.start_sample and self.plan.live > self.options.start_sample:
            t0 = time.perf_counter()
            self.notify("phase 1/3: a starting plan from a sample of the scenarios")
            x = starting_point(data, self.plan.order[:self.plan.live], self.pi,
                               self.options.start_sample, self.first, self.deadline)
            log.master_seconds += time.perf_counter() - t0
        self.best_x = None
        self.best_q = None
        while True:
            log.iterations += 1
            if log.iterations > self.options.max_iterations:
                raise self._fail(phase, "iteration limit reached")
            self._check_time(phase)
            replies = self._ask(phase, log, Request("risk", x=x))
            if log.iterations == 1:
                self._floors(replies)
            q = self._live_values(replies, "values")
            g = self._live_matrix(replies, "grad_x")
            risk = risk_of(q, self.pi, data.risk_weight, data.cvar_alpha)
            if risk < log.upper:
                log.upper, self.best_x, self.best_q = risk, x.copy(), q.copy()
            self.master.add_cuts(everyone, q, g, x)
            log.cuts += len(q)
            sol = self._master(phase, log, "risk")
            log.lower = sol.objective
            log.history.append((log.lower, log.upper))
            self.notify(f"phase 1/3: Benders iteration {log.iterations}, R* in "
                        f"[{log.lower:.10g}, {log.upper:.10g}]")
            if log.upper - log.lower <= self.options.phase1_gap * max(1.0, abs(log.upper)):
                break
            x = self._level_step(phase, log, "risk", self.best_x, sol).x
        self.duals = self.master.shadow_prices()
        self.limit_duals = self._limit_duals(phase, log)
        log.seconds = time.perf_counter() - t_phase
        return log

    def _limit_duals(self, phase: str, log: PhaseLog) -> Duals:
        """Phase 1's duals of every limit, as the extensive form's (``results.limits``):
        the first stage's from the master's optimum, the scenario rows' and columns' from
        the subproblems' duals of every phase-1 pass weighted by the master's duals of the
        cuts each gave (``Master.limit_duals``); members of a group of identical scenarios
        share their group's in proportion to their probabilities."""
        rows, cols, weights = self.master.limit_duals()
        replies = self._ask(phase, log, Request("duals", weights=weights))
        data = self.data
        position = {s: i for i, s in enumerate(data.scenarios)}
        second: list[dict[str, np.ndarray]] = [{}, {}]
        for r in replies:
            a = self.plan.start[r.batch]
            for target, part in zip(second, (r.duals.rows.second, r.duals.cols.second),
                                    strict=True):
                for family, values in part.items():
                    out = target.setdefault(family, np.zeros((len(data.scenarios),
                                                              values.shape[1])))
                    for j, rep in enumerate(self.plan.batches[r.batch]):
                        for member in self.plan.members[rep]:
                            share = data.probability[member] / self.plan.weight[a + j]
                            out[position[member]] = values[j] * share
        return Duals(Solution(rows, second[0]), Solution(cols, second[1]))

    def _floors(self, replies: list[BatchReply]) -> None:
        """φ_s's lower bound: the least operating cost over the column bounds."""
        floor = self._live_values(replies, "floor")
        self.master.set_phi_lower(floor)

    def _phase2(self, log1: PhaseLog) -> tuple[PhaseLog, np.ndarray, np.ndarray]:
        phase = "phase 2 (cost)"
        log = PhaseLog(phase)
        t_phase = time.perf_counter()
        data = self.data
        # R̄ from the lower bound, which is the LP's optimum as the extensive form computes
        # it (to round-off); the plan of R* = UB ≤ LB·(1 + PHASE1_GAP) keeps a margin of
        # ~1e-7 against it
        r_star = log1.lower
        r_bar = risk_bound(r_star)
        self.r_bar = r_bar
        self.master.bound_risk(r_star)
        everyone = np.arange(self.plan.live)
        x, rho = self.best_x, self.best_q
        best = (None, None)
        while True:
            log.iterations += 1
            if log.iterations > self.options.max_iterations:
                raise self._fail(phase, "iteration limit reached")
            self._check_time(phase)
            replies = self._ask(phase, log, Request("cost", x=x, rho=rho))
            c = self._live_values(replies, "values")
            losses = self._live_values(replies, "losses")
            used = self._live_values(replies, "rho")
            g = self._live_matrix(replies, "grad_x")
            h = self._live_values(replies, "grad_rho")
            for r in replies:
                least = getattr(r, "feasibility", None)
                if least is None:
                    continue
                a = self.plan.start[r.batch]
                short = np.flatnonzero(rho[a:a + len(least.values)] < least.values)
                self.master.add_cuts(a + short, least.values[short], least.grad_x[short], x)
                log.cuts += len(short)
            risk = risk_of(losses, self.pi, data.risk_weight, data.cvar_alpha)
            cost = float(self.first.spend @ x + self.pi @ c)
            if risk <= r_bar + RISK_ACCEPT * max(1.0, abs(r_bar)) and cost < log.upper:
                log.upper = cost
                best = (x.copy(), used.copy())
            self.master.add_cuts(everyone, c, g, x, h, used)
            log.cuts += len(c)
            sol = self._master(phase, log, "cost")
            log.lower = sol.objective
            log.history.append((log.lower, log.upper))
            self.notify(f"phase 2/3: Benders iteration {log.iterations}, cost in "
                        f"[{log.lower:,.0f}, {log.upper:,.0f}]")
            if best[0] is not None and \
                    log.upper - log.lower <= self.options.phase2_gap * max(1.0, abs(log.upper)):
                break
            # the master's minimizer: a level step here cost master time (on 1,000 samples of
            # the register 52.9 s against 5.9 s of phase 2's master) for no fewer iterations
            # (14 against 15), so phase 2 runs plain cuts from phase 1's stabilized point
            x, rho = sol.x, sol.theta
        log.seconds = time.perf_counter() - t_phase
        return log, best[0], best[1]

    def _final(self, log1: PhaseLog, log2: PhaseLog, x: np.ndarray,
               rho: np.ndarray) -> BendersRun:
        phase = "phase 3 (releases)"
        data = self.data
        log3 = PhaseLog(phase)
        t0 = time.perf_counter()
        self.notify("phase 3/3: the plan's recourse, scenario by scenario")
        self._check_time(phase)
        allowance = np.concatenate([rho, np.full(len(self.plan.order) - self.plan.live,
                                                 np.nan)])
        replies = self._ask(phase, log3, Request("final", x=x, rho=allowance))
        log3.iterations = 1
        log3.seconds = time.perf_counter() - t0
        problems = [v for r in replies for v in r.violations]
        found = SolutionCheck(self.first.lp).violations(x)
        if found:
            problems = [v.describe() for v in found] + problems
        # every scenario takes its representative's recourse
        reps = [s for r in replies for s in self.plan.batches[r.batch]]
        copies = np.repeat(np.arange(len(reps)), [len(self.plan.members[s]) for s in reps])
        names = [m for s in reps for m in self.plan.members[s]]
        costs = np.concatenate([r.values for r in replies])[copies]
        losses = np.concatenate([r.losses for r in replies])[copies]
        second = {f: np.concatenate([r.second[f] for r in replies])[copies]
                  for f in replies[0].second}
        evaluation = ScenarioEvaluation(names, losses, costs, second).reordered(data.scenarios)
        first = self.first.split(x)
        probs = np.array([data.probability[s] for s in data.scenarios])
        risk = risk_of(evaluation.losses, probs, data.risk_weight, data.cvar_alpha)
        if risk > self.r_bar + 1e-6 * max(1.0, abs(self.r_bar)):
            problems.insert(0, f"the plan's risk {risk:.12g} > R̄ {self.r_bar:.12g}")
        cost = float(self.first.spend @ x + probs @ evaluation.operating_costs)
        outcome = self.outcome
        outcome.risk = log1.upper
        outcome.cost = cost
        if problems:
            outcome.status = NUMERICALLY_UNRELIABLE
            raise SolveFailed(phase, NUMERICALLY_UNRELIABLE, outcome,
                              "the decomposition's plan breaks its own rows: "
                              + "; ".join(problems[:3]),
                              message=f"{phase}: the plan breaks its own rows in model "
                                      f"units: {problems[0]}")
        st = state_model(data)
        solution = plan_solution(st, first, evaluation)
        parties, pooled, periods = self.duals
        outcome.budget_duals = {p: parties.get(p, 0.0) for p in data.parties}
        outcome.pooled_budget_dual = pooled
        outcome.period_budget_duals = periods
        outcome.limit_duals = self.limit_duals
        outcome.status = "optimal"
        describe = (f"{'level method' if self.options.level is not None else 'no stabilization'}"
                    f", {len(self.plan.batches)} batches of ≤ {self.plan.size} scenarios on "
                    f"{self.workers.size} rank(s)")
        outcome.phases = [
            PhaseRecord(log1.name, "optimal", log1.upper, log1.seconds,
                        f"Benders: {log1.iterations} iterations, R* in [{log1.lower:.12g}, "
                        f"{log1.upper:.12g}], {describe}",
                        simplex_iterations=log1.subproblem_iterations),
            PhaseRecord(log2.name, "optimal", cost, log2.seconds,
                        f"Benders: {log2.iterations} iterations, cost in [{log2.lower:.12g}, "
                        f"{log2.upper:.12g}]", simplex_iterations=log2.subproblem_iterations),
            PhaseRecord(phase, "optimal", None, log3.seconds,
                        "the plan fixed: least loss, least cost, then least movement, "
                        "scenario by scenario", simplex_iterations=log3.subproblem_iterations),
        ]
        outcome.timings = {"phase1": log1.seconds, "phase2": log2.seconds,
                           "phase3": log3.seconds,
                           "master": log1.master_seconds + log2.master_seconds,
                           "subproblems": log1.subproblem_seconds + log2.subproblem_seconds
                           + log3.subproblem_seconds}
        sizes = [b.size for b in self.workers.built.values()]
        outcome.rows = self.master.rows
        outcome.columns = self.master.lp.n_cols
        outcome.nonzeros = int(sum(s[2] for s in sizes))
        memory = self.workers.stop()
        report = {"engine": "benders", "ranks": self.workers.size,
                  "batches": len(self.plan.batches), "batch_size": self.plan.size,
                  "scenarios": len(data.scenarios),
                  "distinct_scenarios": len(self.plan.order),
                  "first_stage_columns": self.first.n_x,
                  "stabilization": "none" if self.options.level is None
                  else f"level method, λ = {self.options.level:g}",
                  "phase1": log1.as_dict(), "phase2": log2.as_dict(),
                  "phase3": {"seconds": round(log3.seconds, 3),
                             "subproblem_simplex_iterations": log3.subproblem_iterations},
                  "risk_bound_phase2": self.r_bar,
                  "master_rows": self.master.rows, "master_columns": self.master.lp.n_cols,
                  "build_seconds_rank0": round(self.workers.build_seconds, 3),
                  "wall_seconds": round(time.perf_counter() - self.start, 3),
                  "peak_memory_mb_per_rank": [round(m, 1) for m in memory]}
        return BendersRun(outcome, solution, report, st)

