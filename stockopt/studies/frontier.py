"""The budget–risk frontier: one budget swept over a range, the model loaded once.

A sweep moves one budget lever over ``steps`` evenly spaced values:

* ``party``: party P's budget B_P (currency);
* ``scale``: every budget (each party's, and the pooled one if set) multiplied by a scale
  factor s (×, 1 = the workbook's budgets); blank budgets stay unlimited;
* ``pooled``: the pooled budget B_all (currency).

The LP is built from arrays and handed to HiGHS once (``LoadedLP``); each point only
changes budget bounds and re-solves both phases hot (``solver.warm_sweep.WarmSweepSolver``:
phase 1 and phase 2 each on their own HiGHS instance, the same options, tie-break and
risk bound as ``LoadedLP.solve``, so R* and the budget duals are the risk objective's).
The first point is solved cold, as ``LoadedLP.solve`` does.

Points are solved from the largest budget down (neighbouring optimal bases are alike;
the zero-budget point, where no lever can be bought, is solved cold: warm starts into it
were measured slower than a fresh solve). A warm phase that needs more simplex
iterations than the sweep's first (cold) solve of that phase is abandoned and re-run
cold, so a warm point costs at most about twice a cold one. Results are returned in
ascending budget order.

Per point: R* (periods of baseline demand lost), expected loss and exact CVaR of the
reported plan (periods), cost (currency), spend per party and per lever (currency), and
the budget shadow prices ∂R*/∂B (periods per currency unit, ≤ 0).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..data import ModelData
from ..model import ModelStatement, render_matrix, render_pyomo, state_model
from ..model.budgets import spending
from ..model.matrix import Solution
from ..model.risk import exact_cvar, scenario_losses
from ..solver.highs import LoadedLP, SolveFailed, SolveOutcome, highs_version
from ..solver.warm_sweep import WarmSweepSolver

MODES = ("scale", "party", "pooled")
"""Sweep kinds: every budget scaled together, one party's budget, the pooled budget."""

DEFAULT_FROM_FRACTION = 0.0
DEFAULT_TO_FRACTION = 2.0
DEFAULT_STEPS = 11
"""Default sweep: 0× to 2× of the workbook's budget(s), in 11 points (steps of 0.2×)."""

MAX_STEPS = 1000
"""More points than this is almost certainly a typo."""


class SweepError(ValueError):
    """A sweep definition the user got wrong (bad range, unknown party, ...)."""


@dataclass(frozen=True)
class Sweep:
    """What is swept, and the values it takes.

    ``values`` are scale factors (×) for mode ``scale`` and budgets (currency) otherwise,
    ascending. ``party`` is set for mode ``party``. ``base`` is the budget(s) the
    fractions refer to: {party: B_p} plus ``"pooled"`` for B_all (currency; None = blank).
    """

    mode: str
    values: tuple[float, ...]
    party: str | None = None
    base: dict[str, float | None] = field(default_factory=dict)
    range_text: str = ""
    period_base: dict[tuple[str, int], float] = field(default_factory=dict)
    """The workbook's PeriodBudgets (party, period) -> amount (base currency): scaled with
    the other budgets in mode ``scale``, held as they are otherwise."""

    @property
    def parameter_name(self) -> str:
        """The swept quantity in words (for headers and messages)."""
        if self.mode == "scale":
            return "budget scale factor"
        if self.mode == "party":
            return f"budget {self.party}"
        return "pooled budget"

    def describe(self) -> str:
        """One line: what is swept, over what range, in how many points."""
        what = {"scale": "all budgets scaled together",
                "party": f"the budget of {self.party}",
                "pooled": "the pooled budget"}[self.mode]
        return f"{what}, {self.range_text}, {len(self.values)} points"


def _fmt(x: float) -> str:
    return f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.0f}"


def define_sweep(data: ModelData, *, party: str | None = None, scale_all: bool = False,
                 pooled: bool = False, start: float | None = None, stop: float | None = None,
                 from_fraction: float | None = None, to_fraction: float | None = None,
                 steps: int = DEFAULT_STEPS) -> Sweep:
    """Check the user's sweep options against ``data`` and return the Sweep.

    ``start``/``stop`` are absolute (currency; for ``scale_all`` the total of the party
    budgets), ``from_fraction``/``to_fraction`` are multiples of the workbook's budget(s).
    With neither, the range is 0× to 2×. Raises SweepError with a message for the user.
    """
    if sum([party is not None, scale_all, pooled]) > 1:
        raise SweepError("choose one of --party, --scale-all and --pooled")
    if data.party_risk_limit == "alone":
        raise SweepError("the workbook sets party_risk_limit to alone: each party's "
                         "stand-alone risk changes with the budgets swept, so a frontier "
                         "cannot hold it fixed; run `stockopt solve` at each budget, or set "
                         "party_risk_limit to none (max_risk limits are swept as they are)")
    mode = "party" if party is not None else "pooled" if pooled else "scale"
    absolute = start is not None or stop is not None
    fractional = from_fraction is not None or to_fraction is not None
    if absolute and fractional:
        raise SweepError("give either --from/--to (currency) or --from-fraction/--to-fraction "
                         "(multiples of the workbook's budget), not both")
    if absolute and (start is None or stop is None):
        raise SweepError("--from and --to go together: give both")
    if not isinstance(steps, int) or steps < 2 or steps > MAX_STEPS:
        raise SweepError(f"--steps must be a whole number from 2 to {MAX_STEPS}; got {steps}")
    base: dict[str, float | None] = {p: data.budget.get(p) for p in data.parties}
    base["pooled"] = data.pooled_budget

    if mode == "party":
        if party not in data.parties:
            known = ", ".join(data.parties)
            raise SweepError(f"unknown party '{party}'; the workbook's parties are: {known}")
        reference = data.budget.get(party)
        what, unit = f"the budget of {party}", data.currency
    elif mode == "pooled":
        reference = data.pooled_budget
        what, unit = "the pooled budget", data.currency
    else:
        if not any(b is not None for b in data.budget.values()) \
                and data.pooled_budget is None and not data.period_budgets:
            raise SweepError("--scale-all: no party has a budget, there is no pooled budget "
                             "and no PeriodBudgets row, so there is nothing to scale; use "
                             "--party or --pooled with --from/--to")
        total = sum(b for b in data.budget.values() if b is not None)
        reference, what, unit = None, "all budgets", "×"

    if mode == "scale":
        if absolute:
            if total <= 0:
                raise SweepError("--from/--to for --scale-all are totals of the party budgets, "
                                 "but the workbook's party budgets sum to 0; use "
                                 "--from-fraction/--to-fraction")
            lo, hi = float(start) / total, float(stop) / total
            text = (f"total party budget {_fmt(start)} to {_fmt(stop)} {data.currency} "
                    f"(scale {lo:.4g}× to {hi:.4g}×)")
            check = (float(start), float(stop))
        else:
            lo = DEFAULT_FROM_FRACTION if from_fraction is None else float(from_fraction)
            hi = DEFAULT_TO_FRACTION if to_fraction is None else float(to_fraction)
            text = f"{lo:g}× to {hi:g}× of the workbook's budgets"
            check = (lo, hi)
    elif absolute:
        lo, hi = float(start), float(stop)
        text = f"{_fmt(lo)} to {_fmt(hi)} {unit}"
        check = (lo, hi)
    else:
        if reference is None:
            flag = "--pooled" if mode == "pooled" else f"--party {party}"
            blank = ("the workbook sets no pooled_budget" if mode == "pooled"
                     else f"{party}'s budget is blank (unlimited)")
            raise SweepError(f"{flag}: {blank}, so there is no budget to take fractions of; "
                             "give the range in currency with --from and --to")
        f0 = DEFAULT_FROM_FRACTION if from_fraction is None else float(from_fraction)
        f1 = DEFAULT_TO_FRACTION if to_fraction is None else float(to_fraction)
        lo, hi = f0 * reference, f1 * reference
        text = f"{f0:g}× to {f1:g}× of {_fmt(reference)} {unit} ({_fmt(lo)} to {_fmt(hi)})"
        check = (f0, f1)
    if not all(math.isfinite(v) for v in check):
        raise SweepError("the range must be finite numbers")
    if check[0] < 0 or check[1] < 0:
        raise SweepError(f"the range for {what} must not be negative; got {check[0]:g} to "
                         f"{check[1]:g}")
    if not check[1] > check[0]:
        raise SweepError(f"the end of the range must be above its start; got {check[0]:g} to "
                         f"{check[1]:g}")
    values = tuple(float(v) for v in np.linspace(lo, hi, steps))
    return Sweep(mode=mode, values=values, party=party, base=base, range_text=text,
                 period_base=dict(data.period_budgets))


def budgets_at(sweep: Sweep, value: float) -> tuple[dict[str, float | None], float | None]:
    """The party budgets and pooled budget (currency; None = unlimited) at one point."""
    base = {p: b for p, b in sweep.base.items() if p != "pooled"}
    pooled = sweep.base.get("pooled")
    if sweep.mode == "scale":
        return ({p: None if b is None else b * value for p, b in base.items()},
                None if pooled is None else pooled * value)
    if sweep.mode == "party":
        return {**base, str(sweep.party): value}, pooled
    return base, value


def period_budgets_at(sweep: Sweep, value: float) -> dict[tuple[str, int], float]:
    """The PeriodBudgets rows (currency) at one point: scaled by ``value`` in mode
    ``scale`` (every budget moves together), as in the workbook otherwise."""
    if sweep.mode == "scale":
        return {key: b * value for key, b in sweep.period_base.items()}
    return dict(sweep.period_base)


def data_for(data: ModelData, sweep: Sweep, value: float) -> ModelData:
    """``data`` with the budgets of the point ``value``: every swept budget row exists."""
    budgets, pooled = budgets_at(sweep, value)
    return dataclasses.replace(data, budget=budgets, pooled_budget=pooled,
                               period_budgets=period_budgets_at(sweep, value))


@dataclass
class FrontierPoint:
    """One solved point of the frontier.

    ``value`` is the swept parameter (× for scale, else currency). Risk, expected loss and
    CVaR are in periods of baseline demand lost; cost, budgets, spend and levers in
    currency; shadow prices ∂R*/∂B in periods per currency unit (≤ 0).
    ``scale_derivative`` (mode scale only) is ∂R*/∂s = Σ B_p·∂R*/∂B_p (+ B_all·∂R*/∂B_all),
    periods per unit of scale factor.
    """

    value: float
    budgets: dict[str, float | None]
    pooled_budget: float | None
    risk: float
    expected_loss: float
    cvar: float
    cost: float
    spend: dict[str, float]
    levers: dict[str, float]
    shadow_price: dict[str, float]
    pooled_shadow_price: float
    scale_derivative: float | None
    seconds: float
    iterations: int
    warm: bool
    period_shadow_price: dict[str, dict[str, float]] = field(default_factory=dict)
    """{party: {period label: ∂R*/∂B_{p,t}}} for the PeriodBudgets rows (periods per base
    currency unit, ≤ 0); where every budget is spent the dual may sit here rather than on
    the party's total."""


def plan_metrics(st: ModelStatement, sol: Solution
                 ) -> tuple[dict[str, float], dict[str, float], np.ndarray]:
    """(spend per party, spend per lever, loss per scenario) of a solution.

    Spend F_p and the levers (``SPEND_LEVERS``) in currency; the levers sum to Σ_p F_p;
    losses L_s in periods of baseline demand lost.
    """
    spent = spending(st, sol.first)
    return spent.by_party, spent.by_lever, scenario_losses(st, sol.second)


def make_point(st: ModelStatement, sol: Solution, outcome: SolveOutcome,
               sweep: Sweep, value: float, seconds: float, warm: bool) -> FrontierPoint:
    """The point's numbers from its solution and solve ``outcome``."""
    data = st.data
    spend, levers, loss_array = plan_metrics(st, sol)
    losses = loss_array.tolist()
    probs = [data.probability[s] for s in data.scenarios]
    budgets, pooled = budgets_at(sweep, value)
    duals = {p: float(outcome.budget_duals.get(p, 0.0)) if budgets.get(p) is not None else 0.0
             for p in data.parties}
    pooled_dual = float(outcome.pooled_budget_dual) if pooled is not None else 0.0
    derivative = None
    if sweep.mode == "scale":
        derivative = sum((sweep.base[p] or 0.0) * duals[p] for p in data.parties)
        derivative += (sweep.base.get("pooled") or 0.0) * pooled_dual
        derivative += sum(b * float(outcome.period_budget_duals.get(key, 0.0))
                          for key, b in sweep.period_base.items())
    return FrontierPoint(
        value=value, budgets=budgets, pooled_budget=pooled, risk=float(outcome.risk),
        expected_loss=float(sum(p * x for p, x in zip(probs, losses, strict=True))),
        cvar=exact_cvar(losses, probs, data.cvar_alpha), cost=float(outcome.cost),
        spend=spend, levers=levers, shadow_price=duals, pooled_shadow_price=pooled_dual,
        scale_derivative=derivative, seconds=seconds,
        iterations=sum(ph.simplex_iterations + ph.ipm_iterations for ph in outcome.phases),
        warm=warm,
        period_shadow_price={p: {data.period_label(t): float(price)
                                 for (q, t), price in sorted(outcome.period_budget_duals.items(),
                                                             key=lambda kv: kv[0][1]) if q == p}
                             for p in data.parties
                             if any(q == p for (q, _t) in outcome.period_budget_duals)})


class PointFailed(Exception):
    """A point did not solve to optimality (time limit, numerical trouble)."""

    def __init__(self, index: int, total: int, value: float, sweep: Sweep,
                 error: SolveFailed) -> None:
        super().__init__(f"point {index}/{total} ({sweep.parameter_name} = {value:,.6g}): "
                         f"{error}")
        self.index, self.total, self.value, self.error = index, total, value, error


ProgressCallback = Callable[[int, int, float], None]
"""on_point(k, n, value): point k of n (1-based) is about to be solved."""


def solve_order(sweep: Sweep) -> list[int]:
    """Indices of ``sweep.values`` in solve order: largest budget first."""
    return list(range(len(sweep.values)))[::-1]


@dataclass
class FrontierRun:
    """A solved sweep: the points in ascending order and how the run went.

    ``build_seconds`` covers building the arrays and loading HiGHS (once);
    ``total_seconds`` the whole run; ``fallbacks`` counts warm phases re-run cold.
    """

    sweep: Sweep
    points: list[FrontierPoint]
    build_seconds: float
    total_seconds: float
    fallbacks: int
    highs_version: str = field(default_factory=highs_version)


def run_frontier(data: ModelData, sweep: Sweep, *, time_limit: float | None = None,
                 on_point: ProgressCallback | None = None,
                 phase2_start: str = "previous") -> FrontierRun:
    """Build once, solve every point warm-started; return the run (points ascending).

    ``time_limit`` (s) applies to each point. Raises PointFailed when a point is not
    solved to optimality.
    """
    start = time.perf_counter()
    base = data_for(data, sweep, sweep.values[-1])
    st = state_model(base)
    loaded = LoadedLP(render_matrix(st))
    solver = WarmSweepSolver(loaded, phase2_start=phase2_start)
    build_seconds = time.perf_counter() - start
    points: dict[int, FrontierPoint] = {}
    order = solve_order(sweep)
    for k, i in enumerate(order, start=1):
        value = sweep.values[i]
        if on_point is not None:
            on_point(k, len(order), value)
        t0 = time.perf_counter()
        solver.set_budgets(*budgets_at(sweep, value), period_budgets_at(sweep, value))
        cold = k == 1 or value == 0.0  # a zero budget: nothing to warm-start from
        try:
            outcome = solver.solve(time_limit=time_limit, cold=cold)
        except SolveFailed as exc:
            raise PointFailed(k, len(order), value, sweep, exc) from exc
        points[i] = make_point(st, solver.solution(), outcome, sweep, value,
                               time.perf_counter() - t0, warm=not cold)
    return FrontierRun(sweep, [points[i] for i in range(len(sweep.values))], build_seconds,
                       time.perf_counter() - start, solver.fallbacks)


def cold_point(data: ModelData, sweep: Sweep, value: float, *,
               time_limit: float | None = None, builder: str = "arrays") -> FrontierPoint:
    """One point solved from scratch: build the model, load it, solve (the reference).

    ``builder`` "arrays" builds the LP from arrays (what ``stockopt solve`` does);
    "pyomo" rebuilds the Pyomo model and compiles it (the reference route).
    """
    t0 = time.perf_counter()
    point_data = data_for(data, sweep, value)
    st = state_model(point_data)
    loaded = LoadedLP(render_pyomo(st) if builder == "pyomo" else render_matrix(st))
    outcome = loaded.solve(time_limit=time_limit)
    return make_point(st, loaded.solution(), outcome, sweep, value,
                      time.perf_counter() - t0, warm=False)


def run_cold(data: ModelData, sweep: Sweep, *, time_limit: float | None = None,
             values: Sequence[float] | None = None,
             builder: str = "arrays") -> list[FrontierPoint]:
    """Every point (or ``values``) solved cold, in ascending order (see ``cold_point``)."""
    return [cold_point(data, sweep, v, time_limit=time_limit, builder=builder)
            for v in (sweep.values if values is None else values)]
