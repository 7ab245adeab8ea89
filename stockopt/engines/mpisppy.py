"""Scenario decomposition of both phases on mpi-sppy, under MPI (``--engine mpisppy``).

The same model code feeds both engines: ``scenario_creator`` builds a Pyomo model with
the first stage (``add_first_stage`` and the budget rows of ``budgets.add_spending``,
which involve first-stage variables only, so repeating them in every scenario model is
exact) and ONE scenario block built by ``build_scenario``, named ``scenario[s]`` as in
the extensive form. mpi-sppy weights each scenario's objective by
``_mpisppy_probability`` = π_s. The nonanticipative variables are the first stage:
purchases, offtake, swap and mitigation capacities, and the CVaR threshold ζ.

**Phase 1** (min R): the objective of scenario s is R_s = (1−λ)·L_s + λ·ζ +
λ·η_s/(1−α) (``risk.scenario_risk``), so Σ_s π_s·R_s = R.

**Phase 2** (min cost s.t. R ≤ R̄), made separable exactly with first-stage
allowances ρ_s (issue #9's method): every scenario model also holds ρ_s for every
scenario (nonanticipative), the first-stage row Σ_s π_s·ρ_s ≤ R̄ and its own row
R_s ≤ ρ_s; its objective is (Σ_p F_p + operating_cost_s)/C, C a cost unit (the phase-1
plan's cost) that keeps the objective near 1. Any plan of the extensive form with
R ≤ R̄ gives allowances ρ_s = R_s that satisfy both rows, and any allowance solution
gives Σ π_s R_s ≤ Σ π_s ρ_s ≤ R̄: the two problems have the same optimum. R̄ is the
contract's bound R̄ = R⁺ + 1e-7·max(1, |R⁺|) taken at R⁺, the exact risk of the
phase-1 plan (an upper bound on R*; it equals R* when phase 1 closes its gap).

Both phases run mpi-sppy's wheel (``WheelSpinner``) with

- a progressive hedging (PH) hub, which also finds the upper bounds itself: every
  ``EVALUATE_EVERY`` PH iterations ``PlanIncumbent`` fixes the first stage at PH's
  average x̄ and evaluates it exactly on every scenario with stockopt's own evaluator
  (``stockopt.solver.fixed_plan``: each scenario's loss minimized, then its operating cost,
  with ζ at the loss α-quantile), the scenarios spread over the hub's ranks. In phase 1
  R(x̄) is an upper bound on R*. In phase 2 x̄ is kept when R(x̄) ≤ R̄; when it is over,
  the blend x_θ = θ·x̄ + (1−θ)·x_inc with the incumbent, θ = (R̄ − R_inc)/(R(x̄) − R_inc),
  satisfies R(x_θ) ≤ R̄ (R is convex in the first stage) and is evaluated instead. Every
  upper bound is therefore the exact value of a plan that can be reported;
- a Lagrangian spoke (mpi-sppy's), which gives the lower bounds from PH's W.

Half the ranks run the hub, half the spoke (``cylinder_layout``); on one rank there is
no decomposition: mpi-sppy's extensive form of the same scenario models. Each phase
stops at a relative gap (default 0.5%), an iteration limit or a time limit.
Zero-probability scenarios are left out of the decomposition (they add nothing to R or
to the cost, and their second stage is always feasible) but are evaluated for the report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
from mpi4py import MPI
from mpisppy.cylinders.hub import PHHub
from mpisppy.extensions.extension import Extension
from mpisppy.utils import sputils

from ..data import ModelData
from ..model import ModelStatement, state_model
from ..model.pyomo_model import render_pyomo, scenario_objective
from ..solver.fixed_plan import (
    EvaluationFailed,
    PlanValue,
    ScenarioEvaluation,
    evaluate_scenarios,
    plan_value,
)
from ..solver.highs import RISK_BOUND_RELATIVE

SOLVER_NAME = "highs"
"""HiGHS through Pyomo's pyomo.contrib.solver interface (highspy). It solves the PH subproblems
(linearized proximal terms, so LPs) and the Lagrangian spoke's LPs."""

NONANT_COMPONENTS = ("purchase", "offtake_capacity", "swap_capacity", "mitigation_capacity",
                     "cvar_threshold")
"""First-stage variables, on every scenario model: the nonanticipative ones (phase 2 adds
the allowances ρ_s)."""

DEFAULT_GAP = 0.005
"""Stop when (upper − lower) / |upper| ≤ this (the issue's 0.5%)."""

DEFAULT_MAX_ITERATIONS = 300
"""PH iterations per phase at most."""

EVALUATE_EVERY = 2
"""The hub evaluates x-hat = x̄ at PH iterations 1, 1 + this, 1 + 2·this, ... (one LP
per batch of its scenarios each time)."""

SUPPORTED_RANKS = "1 or an even number"
"""The MPI rank counts the engine accepts (see ``cylinder_layout``)."""

CYLINDERS = {
    "ef": "extensive form (no decomposition)",
    "ph+lagrangian": "PH hub with exact x-hat = x-bar incumbents + Lagrangian bound spoke",
}
"""The cylinder sets, by the key ``cylinder_layout`` returns."""


def cylinder_layout(ranks: int) -> str:
    """The cylinder set for ``ranks`` MPI ranks (a key of ``CYLINDERS``).

    1: the extensive form; an even number: PH hub + Lagrangian spoke, ranks/2 each
    (mpi-sppy splits the ranks evenly between the cylinders). Other counts are refused.
    """
    if ranks == 1:
        return "ef"
    if ranks >= 2 and ranks % 2 == 0:
        return "ph+lagrangian"
    raise ValueError(f"the mpisppy engine runs on {SUPPORTED_RANKS} of MPI ranks (1: the "
                     f"extensive form; 2k: k ranks for the PH hub and k for the Lagrangian "
                     f"bound); got {ranks}")


def scenario_names(data: ModelData) -> list[str]:
    """The scenarios that enter the decomposition: those with positive probability."""
    return [s for s in data.scenarios if data.probability[s] > 0.0]


def make_context(data: ModelData) -> ModelStatement:
    """The model context (data and index sets), built once per process."""
    return state_model(data)


def loss_ceiling(data: ModelData) -> float:
    """The largest loss any scenario can have: Σ crit/d · D[p,m,t,s] (every shortfall at
    its upper bound D), maximised over the scenarios."""
    worst = 0.0
    for s in scenario_names(data):
        total = 0.0
        for (p, mi, t), d in data.demand.items():
            if d > 0:
                total += data.criticality[(p, mi, t)] / d * data.scenario_demand(p, mi, t, s)
        worst = max(worst, total)
    return worst


@dataclass(frozen=True)
class Phase2Setup:
    """Phase 2's data for the scenario creator: the risk bound R̄ (periods), the cost
    unit C (currency) dividing the objective, and the allowances' upper bound (periods)."""

    risk_bound: float
    cost_unit: float
    allowance_upper: float


def scenario_creator(scenario_name: str, st: ModelStatement,
                     zeta_bounds: tuple[float, float] | None = None,
                     phase2: Phase2Setup | None = None) -> pyo.ConcreteModel:
    """mpi-sppy's scenario creator: first stage + scenario ``scenario_name``.

    Phase 1 (``phase2`` None): objective R_s. Phase 2: allowances ρ, Σ π ρ ≤ R̄,
    R_s ≤ ρ_s, objective (Σ_p F_p + operating_cost_s)/C. ``zeta_bounds`` (lower, upper)
    bounds ζ, free in the extensive form. Some optimal ζ always lies in
    [0, ``loss_ceiling``] (ζ* is an α-quantile of the loss, and 0 ≤ L_s ≤ the ceiling),
    so those bounds are exact; the Lagrangian subproblems need them, since min R_s + W·ζ
    is unbounded in a free ζ once |W| is large enough.
    """
    data = st.data
    m = render_pyomo(st, [scenario_name], objectives=False, name=scenario_name)
    block = m.scenario[scenario_name]
    m.risk_value = pyo.Expression(expr=scenario_objective(m, st, "risk", scenario_name),
                                  doc="R_s: this scenario's risk (periods of demand lost)")
    if zeta_bounds is not None:
        m.cvar_threshold.setlb(zeta_bounds[0])
        m.cvar_threshold.setub(zeta_bounds[1])
    nonants = [getattr(m, name) for name in NONANT_COMPONENTS if len(getattr(m, name)) > 0]
    if phase2 is None:
        m.risk = pyo.Objective(expr=m.risk_value, sense=pyo.minimize)
        first_stage_objective = data.risk_weight * m.cvar_threshold
    else:
        names = scenario_names(data)
        m.ALLOWANCE_SCENARIOS = pyo.Set(initialize=names, ordered=True)
        m.allowance = pyo.Var(m.ALLOWANCE_SCENARIOS, bounds=(0.0, phase2.allowance_upper),
                              doc="ρ_s: risk allowance of scenario s (periods)")
        m.allowance_total = pyo.Constraint(
            expr=pyo.quicksum(data.probability[s] * m.allowance[s] for s in names)
            <= phase2.risk_bound, doc="Σ_s π_s ρ_s ≤ R̄")
        m.risk_allowance = pyo.Constraint(expr=m.risk_value <= m.allowance[scenario_name],
                                          doc="R_s ≤ ρ_s")
        spending = pyo.quicksum(m.spend[p] for p in m.PARTIES)
        m.cost = pyo.Objective(expr=(spending + block.operating_cost) / phase2.cost_unit,
                               sense=pyo.minimize)
        nonants.append(m.allowance)
        first_stage_objective = spending / phase2.cost_unit
    sputils.attach_root_node(m, first_stage_objective, nonants)
    m._mpisppy_probability = data.probability[scenario_name]
    return m


def scenario_denouement(rank: int, scenario_name: str, scenario: pyo.ConcreteModel) -> None:
    """Called by mpi-sppy after the solve, per scenario; nothing to do."""


def _peaks(data: ModelData) -> dict[str, float]:
    peak: dict[str, float] = {}
    for (_p, mi, _t), d in data.demand.items():
        peak[mi] = max(peak.get(mi, 0.0), abs(d))
    return peak


def rho_setter(scenario: pyo.ConcreteModel, rho_scale: float = 1.0) -> list[tuple[int, float]]:
    """PH penalties per first-stage variable, scaled to the variable's own size.

    The objective is of order 1 (R in periods of demand lost; phase 2's cost over its
    unit) while purchases and capacities are in tonnes (up to 1e5), so one rho for all
    would be far too stiff for tonnages or far too loose for ζ. Each variable gets
    rho_scale / u², u its upper bound (or, without one, the mineral's largest baseline
    demand; 1 for ζ and the allowances), i.e. rho_scale in the variable's own unit.
    """
    st: ModelStatement = scenario.statement
    data = st.data
    peak = _peaks(data)

    def unit(var: pyo.Var, mineral: str | None) -> float:
        ub = var.ub
        if ub is not None and ub > 0:
            return float(ub)
        return max(peak.get(mineral, 1.0), 1.0) if mineral else 1.0

    pairs: list[tuple[int, float]] = []
    for (_k, mi, _t), v in scenario.purchase.items():
        pairs.append((id(v), rho_scale / unit(v, mi) ** 2))
    for o, v in scenario.offtake_capacity.items():
        pairs.append((id(v), rho_scale / unit(v, data.offtakes[o].mineral) ** 2))
    for w, v in scenario.swap_capacity.items():
        pairs.append((id(v), rho_scale / unit(v, data.swaps[w].mineral) ** 2))
    for i, v in scenario.mitigation_capacity.items():
        pairs.append((id(v), rho_scale / unit(v, data.mitigations[i].mineral) ** 2))
    pairs.append((id(scenario.cvar_threshold), rho_scale))
    if hasattr(scenario, "allowance"):
        for v in scenario.allowance.values():
            pairs.append((id(v), rho_scale))
    return pairs


def first_stage_of(model: pyo.Block, st: ModelStatement) -> dict[str, np.ndarray]:
    """The first-stage values held by ``model`` (family -> array aligned with
    ``family_index``; model units)."""
    out = {}
    for family in st.first_stage():
        component = getattr(model, family)
        keys = st.variables[family].index
        out[family] = np.array([pyo.value(component if key is None else component[key],
                                          exception=False) or 0.0 for key in keys], dtype=float)
    return out


def _nonant_positions(model: pyo.ConcreteModel, st: ModelStatement
                      ) -> list[tuple[str, int] | None]:
    """For each nonanticipative index i of ``model`` (mpi-sppy's order), the (family,
    position) of the first-stage variable, or None for an allowance."""
    where = {}
    for family in st.first_stage():
        component = getattr(model, family)
        for pos, key in enumerate(st.variables[family].index):
            where[id(component if key is None else component[key])] = (family, pos)
    positions = []
    for (_node, _i), var in sorted(model._mpisppy_data.nonant_indices.items(),
                                   key=lambda item: item[0][1]):
        positions.append(where.get(id(var)))
    return positions


# --- exact evaluation of a candidate plan over the ranks of a communicator -------------------


def evaluate_over(comm: MPI.Comm, data: ModelData, local: list[str],
                  first: dict[str, np.ndarray]) -> tuple[PlanValue, bool]:
    """The plan ``first`` evaluated on every rank's ``local`` scenarios, combined on all
    ranks of ``comm``: (PlanValue, ok). ok is False when an evaluation LP failed anywhere."""
    try:
        ev = evaluate_scenarios(data, local, first)
        ok = True
    except EvaluationFailed:
        ev, ok = ScenarioEvaluation.concatenate([]), False
    parts = comm.allgather((ok, ev.scenarios, ev.losses, ev.operating_costs))
    if not all(part[0] for part in parts):
        return PlanValue(np.inf, np.inf, np.inf, np.inf), False
    combined = ScenarioEvaluation([s for p in parts for s in p[1]],
                                  np.concatenate([p[2] for p in parts]),
                                  np.concatenate([p[3] for p in parts]), {})
    return plan_value(state_model(data), first, combined), True


@dataclass
class Incumbent:
    """The best plan found so far: first stage, its exact value, and when it was found."""

    first: dict[str, np.ndarray]
    value: PlanValue
    seconds: float = 0.0


class PlanIncumbent(Extension):
    """PH hub extension: exact x-hat = x̄ upper bounds (see the module docstring).

    Options (hub options ``plan_incumbent``): ``data``, ``phase`` (1 or 2), ``every``,
    for phase 2 ``risk_bound`` R̄, ``cost_unit`` C and ``start`` (an Incumbent: the
    phase-1 plan, feasible for phase 2). The best plan is left in
    ``opt.stockopt_incumbent``; mpi-sppy's ``best_solution_obj_val`` carries its
    objective value (R, or cost/C) to the hub's gap test.
    """

    def __init__(self, opt) -> None:  # noqa: ANN001
        super().__init__(opt)
        options = opt.options["plan_incumbent"]
        self.data: ModelData = options["data"]
        self.phase: int = options["phase"]
        self.every: int = max(int(options.get("every", EVALUATE_EVERY)), 1)
        self.risk_bound: float | None = options.get("risk_bound")
        self.cost_unit: float = options.get("cost_unit", 1.0)
        self.started = time.perf_counter()
        self.evaluations = 0
        opt.stockopt_incumbent = options.get("start")
        self._positions: list[tuple[str, int] | None] | None = None

    def _objective(self, value: PlanValue) -> float:
        return value.risk if self.phase == 1 else value.cost / self.cost_unit

    def _xbar(self) -> dict[str, np.ndarray]:
        opt = self.opt
        scenario = next(iter(opt.local_scenarios.values()))
        st: ModelStatement = scenario.statement
        if self._positions is None:
            self._positions = _nonant_positions(scenario, st)
        first = {f: np.zeros(st.variables[f].size) for f in st.first_stage()}
        for i, where in enumerate(self._positions):
            if where is not None:
                family, pos = where
                first[family][pos] = scenario._mpisppy_model.xbars[("ROOT", i)]._value
        return first

    def _offer(self, first: dict[str, np.ndarray]) -> PlanValue | None:
        """Evaluate ``first``; keep it if it is feasible and better. Returns its value."""
        opt = self.opt
        value, ok = evaluate_over(opt.mpicomm, self.data, list(opt.local_scenario_names), first)
        self.evaluations += 1
        if not ok:
            return None
        bound = self.risk_bound
        feasible = self.phase == 1 or value.risk <= bound
        best: Incumbent | None = opt.stockopt_incumbent
        if feasible and (best is None or self._objective(value) < self._objective(best.value)):
            opt.stockopt_incumbent = Incumbent(first, value, time.perf_counter() - self.started)
            opt.best_solution_obj_val = self._objective(value)
        return value

    def post_iter0(self) -> None:
        best: Incumbent | None = self.opt.stockopt_incumbent
        if best is not None:
            self.opt.best_solution_obj_val = self._objective(best.value)
        self._try()

    def miditer(self) -> None:
        if (self.opt._PHIter - 1) % self.every == 0:
            self._try()

    def _try(self) -> None:
        xbar = self._xbar()
        value = self._offer(xbar)
        best: Incumbent | None = self.opt.stockopt_incumbent
        if (self.phase == 2 and value is not None and best is not None
                and value.risk > self.risk_bound and value.cost < best.value.cost):
            theta = (self.risk_bound - best.value.risk) / (value.risk - best.value.risk)
            if theta > 1e-3:
                blend = {f: theta * xbar[f] + (1.0 - theta) * best.first[f] for f in xbar}
                self._offer(blend)


class _SelfBoundingPHHub(PHHub):
    """mpi-sppy's PH hub, stopping at the gap without an upper-bound spoke.

    ``PHHub.is_converged`` never reports convergence when no spoke sends upper bounds,
    even if the hub has its own incumbent (``opt.best_solution_obj_val``, here from
    ``PlanIncumbent``); this one takes both bounds as PHHub does (the Lagrangian
    spoke's lower bound arrives through ``sync``) and applies the same gap test."""

    def is_converged(self, screen_trace: bool = True) -> bool:
        if self.opt.best_bound_obj_val is not None:
            self.BestOuterBound = self.OuterBoundUpdate(self.opt.best_bound_obj_val)
        if self.opt.best_solution_obj_val is not None:
            self.BestInnerBound = self.InnerBoundUpdate(self.opt.best_solution_obj_val)
        if self.global_rank == 0 and screen_trace:
            self.screen_trace()
        return self.determine_termination(screen_trace)


# --- one phase ---------------------------------------------------------------------------------


@dataclass
class PhaseResult:
    """One decomposed phase, the same on every rank.

    Bounds on the phase's optimum: R* (periods) for phase 1, the phase-2 cost
    (currency) for phase 2. ``plan`` is the incumbent that gives the upper bound, with its
    exact value.
    """

    phase: int
    lower_bound: float
    upper_bound: float
    plan: Incumbent
    iterations: int = 0
    seconds: float = 0.0
    ranks: int = 1
    cylinders: str = "ph+lagrangian"
    evaluations: int = 0
    status: str = "optimal"
    trace: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def gap(self) -> float:
        """(upper − lower) / max(1e-12, |upper|), the relative gap mpi-sppy reports."""
        return max(0.0, (self.upper_bound - self.lower_bound)
                   / max(1e-12, abs(self.upper_bound)))


def _config(gap: float, max_iterations: int, time_limit: float | None, rho: float,
            verbose: bool):  # noqa: ANN202
    from mpisppy.utils import config

    cfg = config.Config()
    cfg.popular_args()
    cfg.two_sided_args()
    cfg.ph_args()
    cfg.lagrangian_args()
    cfg.solver_name = SOLVER_NAME
    cfg.default_rho = rho
    cfg.max_iterations = max_iterations
    cfg.rel_gap = gap
    cfg.time_limit = time_limit
    cfg.linearize_proximal_terms = True
    cfg.proximal_linearization_tolerance = 1e-4
    cfg.verbose = verbose
    cfg.display_progress = verbose
    return cfg


def _spin(data: ModelData, comm: MPI.Comm, *, phase: int, gap: float, max_iterations: int,
          time_limit: float | None, rho: float, verbose: bool,
          phase2: Phase2Setup | None = None, start: Incumbent | None = None) -> PhaseResult:
    import mpisppy.utils.cfg_vanilla as vanilla
    from mpisppy.spin_the_wheel import WheelSpinner

    t0 = time.perf_counter()
    cfg = _config(gap, max_iterations, time_limit, rho, verbose)
    st = make_context(data)
    names = scenario_names(data)
    kwargs = {"st": st, "zeta_bounds": (0.0, loss_ceiling(data)), "phase2": phase2}
    beans = (cfg, scenario_creator, scenario_denouement, names)
    hub = vanilla.ph_hub(*beans, scenario_creator_kwargs=kwargs, rho_setter=rho_setter)
    lagrangian = vanilla.lagrangian_spoke(*beans, scenario_creator_kwargs=kwargs,
                                          rho_setter=rho_setter)
    for cylinder in (hub, lagrangian):
        cylinder["opt_kwargs"]["options"]["rho_setter_kwargs"] = {"rho_scale": rho}
    hub["hub_class"] = _SelfBoundingPHHub
    vanilla.extension_adder(hub, PlanIncumbent)
    hub["opt_kwargs"]["options"]["plan_incumbent"] = {
        "data": data, "phase": phase, "every": EVALUATE_EVERY, "start": start,
        "risk_bound": None if phase2 is None else phase2.risk_bound,
        "cost_unit": 1.0 if phase2 is None else phase2.cost_unit}
    wheel = WheelSpinner(hub, [lagrangian])
    wheel.spin(comm_world=comm)

    payload = None
    if comm.Get_rank() == 0:
        opt = wheel.spcomm.opt
        incumbent: Incumbent | None = opt.stockopt_incumbent
        if incumbent is None:
            raise RuntimeError("the decomposition found no plan (no x-hat was evaluated)")
        unit = 1.0 if phase2 is None else phase2.cost_unit
        outer = float(wheel.BestOuterBound) * unit
        extension = opt.extobject
        payload = (incumbent, outer, int(getattr(opt, "_PHIter", 0)),
                   int(getattr(extension, "evaluations", 0)))
    incumbent, outer, iterations, evaluations = comm.bcast(payload, root=0)
    upper = incumbent.value.risk if phase == 1 else incumbent.value.cost
    result = PhaseResult(phase=phase, lower_bound=min(outer, upper), upper_bound=upper,
                         plan=incumbent, iterations=iterations,
                         seconds=time.perf_counter() - t0, ranks=comm.Get_size(),
                         cylinders="ph+lagrangian", evaluations=evaluations)
    if result.gap > gap:
        result.status = ("time limit reached" if time_limit is not None
                         and result.seconds >= time_limit else "iteration limit reached")
    return result


def solve_phase1(data: ModelData, *, gap: float = DEFAULT_GAP,
                 max_iterations: int = DEFAULT_MAX_ITERATIONS, time_limit: float | None = None,
                 rho: float = 1.0, verbose: bool = False,
                 comm: MPI.Comm | None = None) -> PhaseResult:
    """Phase 1 (min R) on ``comm`` (default MPI.COMM_WORLD), cylinders by its size.

    The extensive form on 1 rank; PH hub + Lagrangian spoke on an even number. Every
    rank builds only its own scenarios. Returns the same ``PhaseResult`` on every rank;
    its bounds are in periods of demand lost.
    """
    comm = MPI.COMM_WORLD if comm is None else comm
    layout = cylinder_layout(comm.Get_size())
    if layout == "ef":
        t0 = time.perf_counter()
        risk_value, first = solve_extensive_form(data, verbose=verbose)
        value = _evaluate_locally(data, first)
        return PhaseResult(phase=1, lower_bound=risk_value, upper_bound=value.risk,
                           plan=Incumbent(first, value, time.perf_counter() - t0),
                           seconds=time.perf_counter() - t0, ranks=1, cylinders=layout)
    return _spin(data, comm, phase=1, gap=gap, max_iterations=max_iterations,
                 time_limit=time_limit, rho=rho, verbose=verbose)


def phase2_setup(data: ModelData, phase1: PhaseResult) -> Phase2Setup:
    """R̄ = R⁺ + 1e-7·max(1, |R⁺|) at the phase-1 plan's exact risk R⁺; C = its cost."""
    r_plus = phase1.plan.value.risk
    ceiling = loss_ceiling(data)
    lam, alpha = data.risk_weight, data.cvar_alpha
    return Phase2Setup(risk_bound=r_plus + RISK_BOUND_RELATIVE * max(1.0, abs(r_plus)),
                       cost_unit=max(1.0, abs(phase1.plan.value.cost)),
                       allowance_upper=ceiling * (1.0 + lam / (1.0 - alpha)) + 1.0)


def solve_phase2(data: ModelData, phase1: PhaseResult, *, gap: float = DEFAULT_GAP,
                 max_iterations: int = DEFAULT_MAX_ITERATIONS, time_limit: float | None = None,
                 rho: float = 1.0, verbose: bool = False,
                 comm: MPI.Comm | None = None) -> PhaseResult:
    """Phase 2 (min cost s.t. R ≤ R̄) by allowances, starting from the phase-1 plan.

    Bounds in currency. On 1 rank, the allowance model's extensive form.
    """
    comm = MPI.COMM_WORLD if comm is None else comm
    setup = phase2_setup(data, phase1)
    if cylinder_layout(comm.Get_size()) == "ef":
        t0 = time.perf_counter()
        cost, first = solve_extensive_form(data, verbose=verbose, phase2=setup)
        value = _evaluate_locally(data, first)
        plan = Incumbent(first, value, time.perf_counter() - t0)
        if value.risk > setup.risk_bound or value.cost > phase1.plan.value.cost:
            plan = phase1.plan  # the evaluator's recourse can cost a hair more
        return PhaseResult(phase=2, lower_bound=min(cost, plan.value.cost),
                           upper_bound=plan.value.cost, plan=plan,
                           seconds=time.perf_counter() - t0, ranks=1, cylinders="ef")
    return _spin(data, comm, phase=2, gap=gap, max_iterations=max_iterations,
                 time_limit=time_limit, rho=rho, verbose=verbose, phase2=setup,
                 start=phase1.plan)


def _evaluate_locally(data: ModelData, first: dict[str, np.ndarray]) -> PlanValue:
    ev = evaluate_scenarios(data, scenario_names(data), first)
    return plan_value(state_model(data), first, ev)


def solve_extensive_form(data: ModelData, *, verbose: bool = False,
                         phase2: Phase2Setup | None = None
                         ) -> tuple[float, dict[str, np.ndarray]]:
    """mpi-sppy's extensive form from ``scenario_creator`` (one process): the optimum
    (R* for phase 1; the cost in currency for phase 2) and the first stage."""
    from mpisppy.opt.ef import ExtensiveForm

    st = make_context(data)
    names = scenario_names(data)
    ef = ExtensiveForm({"solver": SOLVER_NAME}, names, scenario_creator,
                       model_name="stockopt_ef",
                       scenario_creator_kwargs={"st": st, "phase2": phase2})
    results = ef.solve_extensive_form(tee=verbose)
    status = results.solver.termination_condition
    if str(status) != "optimal":
        raise RuntimeError(f"mpi-sppy extensive form ended '{status}'")
    first = first_stage_of(getattr(ef.ef, names[0]), st)
    objective = float(ef.get_objective_value())
    return objective * (1.0 if phase2 is None else phase2.cost_unit), first
