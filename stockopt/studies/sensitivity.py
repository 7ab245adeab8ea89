"""One-at-a-time sensitivity of the plan: each input group low and high, R* re-optimized and
the base plan held fixed (``stockopt sensitivity``).

A **group** is one input quantity varied as a whole by a factor (1 − r) ("low") and
(1 + r) ("high"), default r = 0.2, the others held at the workbook's values:

* ``demand`` m: every party's baseline demand d[p,m,t] of mineral m (cover floors on a
  demand or net-import basis follow, as when the workbook is read);
* ``price`` m: the acquisition price of m (Minerals, and every PricePath price of m);
* ``probability`` s: π_s × factor, the other scenarios rescaled by (1 − π_s')/(1 − π_s) so
  the probabilities still sum to 1 (π_s' capped at 1);
* ``disruption`` s: the depth 1 − A of every disruption in scenario s, so
  A' = 1 − (1 − A)·factor, kept within [0, 1];
* ``budget`` p: party p's budget and its PeriodBudgets rows (its money as a whole);
* ``market_depth`` m: max_acquisition of m (and max_acquisition_per_period, if set);
* ``risk_weight`` λ (kept within [0, 1]) and ``cvar_alpha``: the tail 1 − α is varied
  (α' = 1 − (1 − α)·factor), so α stays a probability level below 1.

A group with nothing to vary (a calm scenario's disruption depth, a blank budget or market
depth) is left out.

For each point: **R* and the cost re-optimized** (phases 1 and 2, exactly as
``stockopt solve``; ``solver.warm_sweep.WarmSweepSolver``), and **the base plan's risk**
with its first stage (purchases, offtake, swap and mitigation capacities) fixed at the
plan ``stockopt solve`` reports for the workbook: the risk the plan already bought would
carry if the input were different. Their difference is what re-planning would be worth.

How the points are solved. Budgets and market depth change only right-hand sides: those
points reuse one loaded LP, re-solved hot from the previous point's bases (the frontier's
warm sweep). Every other group changes coefficients (loss weights 1/d, prices in the budget
rows, availabilities in the offtake rows, probabilities and λ, α in the objective), so its
points are rebuilt from arrays (``render_matrix``) and started from the base's optimal
phase-1 basis (an LP of the same shape). The fixed base plan: its scenario losses L_s do not
depend on prices, budgets, market depth, probabilities, λ or α (each scenario's loss is
minimized on its own, ``solver.fixed_plan``), so those points reuse the base losses (with
their probabilities, λ, α); a demand point re-evaluates every scenario, a disruption point
only its scenario. A base plan that breaks a varied limit (a smaller budget, a dearer
price) is flagged, with the rows it breaks.

Units: R* and losses in periods of baseline demand lost, cost in the base currency.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..data import ModelData
from ..model import ModelStatement, render_matrix, state_model
from ..model.risk import risk_of
from ..solver.driver import Basis
from ..solver.fixed_plan import first_stage_breaks, subset
from ..solver.highs import LoadedLP, SolveFailed, SolveOutcome, highs_version
from ..solver.warm_sweep import WarmSweepSolver
from ..workbook.normalize import required_cover
from .evaluation import workbook_losses

KINDS = ("demand", "price", "probability", "disruption", "budget", "market_depth",
         "risk_weight", "cvar_alpha")
"""Group kinds, in the order the table lists them (``--groups`` takes these names)."""

WARM_KINDS = ("budget", "market_depth")
"""Kinds that change only right-hand sides: re-solved hot on one loaded LP."""

SAME_LOSSES = ("price", "budget", "market_depth", "probability", "risk_weight", "cvar_alpha")
"""Kinds under which the fixed base plan's scenario losses L_s are the base ones."""

DEFAULT_RANGE = 0.2
"""±20%, the DoD requirements process's range."""

MAX_RANGE = 0.99
"""A factor 1 − r must stay positive."""

SIDES = ("low", "high")


class SensitivityError(ValueError):
    """A sensitivity request the user got wrong (unknown group kind, bad range)."""


@dataclass(frozen=True)
class Group:
    """One input quantity varied as a whole: ``kind`` (a key of ``KINDS``) and what it
    applies to (``target``: a mineral, scenario or party; None for λ and α)."""

    kind: str
    target: str | None = None

    @property
    def label(self) -> str:
        """The group in words, e.g. "demand gallium", "disruption depth ban", "λ"."""
        words = {"demand": "demand", "price": "price", "probability": "probability",
                 "disruption": "disruption depth", "budget": "budget",
                 "market_depth": "market depth", "risk_weight": "risk weight λ",
                 "cvar_alpha": "CVaR tail 1 − α"}[self.kind]
        return words if self.target is None else f"{words} {self.target}"


def groups_of(data: ModelData, kinds: Sequence[str] | None = None) -> list[Group]:
    """Every group of ``data`` of the ``kinds`` asked for (default all), in ``KINDS``
    order: those with something to vary."""
    chosen = KINDS if kinds is None else tuple(k for k in KINDS if k in kinds)
    out: list[Group] = []
    for kind in chosen:
        if kind in ("demand",):
            out += [Group(kind, m) for m in data.minerals
                    if any(v > 0 for (_p, mm, _t), v in data.demand.items() if mm == m)]
        elif kind == "price":
            out += [Group(kind, m) for m in data.minerals]
        elif kind == "probability":
            out += [Group(kind, s) for s in data.scenarios
                    if 0.0 < data.probability[s] < 1.0]
        elif kind == "disruption":
            out += [Group(kind, s) for s in data.scenarios
                    if any(k[3] == s and a < 1.0 for k, a in data.availability.items())]
        elif kind == "budget":
            out += [Group(kind, p) for p in data.parties
                    if data.budget.get(p) is not None
                    or any(q == p for (q, _t) in data.period_budgets)]
        elif kind == "market_depth":
            out += [Group(kind, m) for m in data.minerals
                    if data.max_acquisition.get(m) is not None
                    or m in data.max_acquisition_per_period]
        elif kind == "risk_weight" or kind == "cvar_alpha" and data.risk_weight > 0:
            out.append(Group(kind))
    return out


def parse_kinds(text: str | None) -> tuple[str, ...] | None:
    """``--groups`` as kinds ("demand,price"); None for all. Raises SensitivityError."""
    if text is None:
        return None
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise SensitivityError(f"--groups: expected a comma-separated list of {', '.join(KINDS)}"
                               f"; found {text!r}")
    return kinds


def check_range(spread: float) -> float:
    """The relative range r (0 < r ≤ 0.99); raises SensitivityError."""
    if not isinstance(spread, int | float) or not math.isfinite(spread) \
            or not 0.0 < spread <= MAX_RANGE:
        raise SensitivityError(f"--range: expected a fraction above 0 and at most {MAX_RANGE:g} "
                               f"(0.2 = ±20%); found {spread!r}")
    return float(spread)


def base_value(data: ModelData, group: Group) -> float:
    """The group's value in the workbook (for the table): total baseline demand of the
    mineral (t over the horizon), its price (currency/t), π_s, the scenario's mean depth
    1 − A over its disruptions, the party's budget (currency; 0 if only per period), the
    market depth (t), λ, or the tail 1 − α."""
    kind, x = group.kind, group.target
    if kind == "demand":
        return float(sum(v for (_p, m, _t), v in data.demand.items() if m == x))
    if kind == "price":
        return float(data.price[x])
    if kind == "probability":
        return float(data.probability[x])
    if kind == "disruption":
        depths = [1.0 - a for k, a in data.availability.items() if k[3] == x]
        return float(np.mean(depths)) if depths else 0.0
    if kind == "budget":
        budget = data.budget.get(x)
        return float(budget) if budget is not None else float(
            sum(b for (q, _t), b in data.period_budgets.items() if q == x))
    if kind == "market_depth":
        depth = data.max_acquisition.get(x)
        return float(depth) if depth is not None else float(data.max_acquisition_per_period[x])
    if kind == "risk_weight":
        return float(data.risk_weight)
    return 1.0 - float(data.cvar_alpha)


def varied(data: ModelData, group: Group, factor: float) -> ModelData:
    """``data`` with ``group`` multiplied by ``factor`` (see the module doc)."""
    kind, x = group.kind, group.target
    if kind == "demand":
        demand = {k: (v * factor if k[1] == x else v) for k, v in data.demand.items()}
        out = dataclasses.replace(data, demand=demand)
        targets = {name: dataclasses.replace(t, required=required_cover(
            t, data.members, demand, data.supply, data.n_periods))
            if t.mineral == x else t for name, t in data.cover_targets.items()}
        return dataclasses.replace(out, cover_targets=targets)
    if kind == "price":
        return dataclasses.replace(
            data, price={**data.price, x: data.price[x] * factor},
            price_path={k: (v * factor if k[0] == x else v) for k, v in data.price_path.items()})
    if kind == "probability":
        p = data.probability[x]
        new = min(1.0, p * factor)
        rest = (1.0 - new) / (1.0 - p)
        return dataclasses.replace(data, probability={
            s: (new if s == x else q * rest) for s, q in data.probability.items()})
    if kind == "disruption":
        return dataclasses.replace(data, availability={
            k: (min(1.0, max(0.0, 1.0 - (1.0 - a) * factor)) if k[3] == x else a)
            for k, a in data.availability.items()})
    if kind == "budget":
        budget = data.budget.get(x)
        return dataclasses.replace(
            data, budget={**data.budget, x: None if budget is None else budget * factor},
            period_budgets={k: (b * factor if k[0] == x else b)
                            for k, b in data.period_budgets.items()})
    if kind == "market_depth":
        depth = data.max_acquisition.get(x)
        per = data.max_acquisition_per_period
        return dataclasses.replace(
            data, max_acquisition={**data.max_acquisition,
                                   x: None if depth is None else depth * factor},
            max_acquisition_per_period={**per, x: per[x] * factor} if x in per else per)
    if kind == "risk_weight":
        return dataclasses.replace(data, risk_weight=min(1.0, max(0.0,
                                                                  data.risk_weight * factor)))
    return dataclasses.replace(data, cvar_alpha=1.0 - (1.0 - data.cvar_alpha) * factor)


@dataclass
class Point:
    """One side of one group.

    ``value`` is the varied input (as ``base_value``); ``risk`` R* and ``cost``
    re-optimized; ``fixed_risk`` the base plan's risk with its first stage fixed (periods);
    ``breaks`` the varied limits the base plan breaks, in words (empty: it fits);
    ``start`` "warm" (hot re-solve of the loaded LP), "rebuilt" (from arrays, started from
    the base basis) or "rebuilt cold" (that start was abandoned).
    """

    group: Group
    side: str
    factor: float
    value: float
    risk: float
    cost: float
    fixed_risk: float
    breaks: list[str]
    seconds: float
    start: str
    iterations: int

    @property
    def replanning_gain(self) -> float:
        """fixed_risk − risk: how much re-optimizing for this input lowers the risk."""
        return self.fixed_risk - self.risk


@dataclass
class SensitivityRun:
    """A finished study: the base, every point (group order, low then high), timings."""

    spread: float
    base_risk: float
    base_cost: float
    base_fixed_risk: float
    groups: list[Group]
    points: list[Point]
    seconds: dict[str, float] = field(default_factory=dict)
    solves: int = 0
    fallbacks: int = 0
    highs_version: str = field(default_factory=highs_version)

    def point(self, group: Group, side: str) -> Point:
        """The point of ``group`` on ``side`` ("low" or "high")."""
        return next(p for p in self.points if p.group == group and p.side == side)

    def swing(self, group: Group) -> float:
        """max |R*(side) − R*(base)| over the two sides (periods): the tornado's order."""
        return max(abs(self.point(group, s).risk - self.base_risk) for s in SIDES)

    def tornado(self) -> list[Group]:
        """The groups, the one that moves R* most first (group order on ties)."""
        order = {g: i for i, g in enumerate(self.groups)}
        return sorted(self.groups, key=lambda g: (-self.swing(g), order[g]))


class PointFailed(Exception):
    """A point (or the base) did not solve to optimality."""

    def __init__(self, what: str, error: Exception) -> None:
        super().__init__(f"{what}: {error}")
        self.what, self.error = what, error


ProgressCallback = Callable[[int, int, str], None]
"""on_point(k, n, label): solve k of n (1-based) is about to start."""


def _market_rows(loaded: LoadedLP, st: ModelStatement, data: ModelData
                 ) -> dict[int, float | None]:
    """Row -> bound (t) of every market-depth row of ``loaded`` under ``data``."""
    rows: dict[int, float | None] = {}
    layout = loaded.raw.row_layout.first
    for i, m in enumerate(st.rows["market_depth"].index):
        rows[int(layout["market_depth"][i])] = data.max_acquisition.get(m)
    for i, (m, _t) in enumerate(st.rows["period_market_depth"].index):
        rows[int(layout["period_market_depth"][i])] = data.max_acquisition_per_period.get(m)
    return rows


def _iterations(outcome: SolveOutcome) -> int:
    return sum(ph.simplex_iterations + ph.ipm_iterations for ph in outcome.phases)


def run_sensitivity(data: ModelData, *, kinds: Sequence[str] | None = None,
                    spread: float = DEFAULT_RANGE, time_limit: float | None = None,
                    on_point: ProgressCallback | None = None,
                    warm_rebuilds: bool = True) -> SensitivityRun:
    """Solve the base and every group low and high (see the module doc).

    ``time_limit`` (s) applies to each solve; ``warm_rebuilds`` starts rebuilt points from
    the base's phase-1 basis (False: from scratch, for comparison). Raises PointFailed.
    """
    start = time.perf_counter()
    spread = check_range(spread)
    if data.party_risk_limit == "alone":
        raise SensitivityError("the workbook sets party_risk_limit to alone: each party's "
                               "stand-alone risk changes with every input varied, so a "
                               "one-at-a-time study cannot hold it fixed; set "
                               "party_risk_limit to none (max_risk limits are kept)")
    groups = groups_of(data, kinds)
    total = 1 + 2 * len(groups)
    notify = on_point or (lambda _k, _n, _label: None)
    timings: dict[str, float] = {}

    # the base: the plan `stockopt solve` reports (three phases), and its losses fixed
    notify(1, total, "the workbook as it is")
    t0 = time.perf_counter()
    st = state_model(data)
    base_loaded = LoadedLP(render_matrix(st))
    try:
        base_outcome = base_loaded.solve(time_limit=time_limit)
    except SolveFailed as exc:
        raise PointFailed("the workbook as it is", exc) from exc
    first = {f: v for f, v in base_loaded.solution().first.items()
             if f not in ("cvar_threshold", "party_cvar_threshold")}
    base_losses = workbook_losses(data, first)
    probabilities = np.array([data.probability[s] for s in data.scenarios])
    base_fixed = risk_of(base_losses, probabilities, data.risk_weight, data.cvar_alpha)
    timings["base"] = time.perf_counter() - t0

    # the warm sweep for right-hand sides; its cold solve gives the basis rebuilt points
    # start from and the iterations a hot start may take
    t0 = time.perf_counter()
    warm_loaded = LoadedLP(render_matrix(st))
    warm = WarmSweepSolver(warm_loaded)
    try:
        reference = warm.solve(time_limit=time_limit, cold=True)
    except SolveFailed as exc:
        raise PointFailed("the workbook as it is (warm sweep)", exc) from exc
    start_basis: Basis = warm.phase1_basis()
    timings["warm_setup"] = time.perf_counter() - t0
    base_risk, base_cost = float(base_outcome.risk), float(base_outcome.cost)
    if abs(float(reference.risk) - base_risk) > 1e-7 * max(1.0, abs(base_risk)):
        raise PointFailed("the workbook as it is", ValueError(
            f"the warm sweep's R* {reference.risk!r} differs from the solve's {base_risk!r}"))
    base_market = _market_rows(warm_loaded, st, data)

    points: list[Point] = []
    fallbacks = 0
    k = 1
    for group in groups:
        for side, factor in (("low", 1.0 - spread), ("high", 1.0 + spread)):
            k += 1
            notify(k, total, f"{group.label} {side}")
            t0 = time.perf_counter()
            new = varied(data, group, factor)
            try:
                if group.kind in WARM_KINDS:
                    if group.kind == "budget":
                        warm.set_budgets(new.budget, new.pooled_budget, new.period_budgets)
                    else:
                        warm.set_row_upper(_market_rows(warm_loaded, st, new))
                    outcome = warm.solve(time_limit=time_limit)
                    how = "warm"
                    if group.kind == "budget":
                        warm.set_budgets(data.budget, data.pooled_budget, data.period_budgets)
                    else:
                        warm.set_row_upper(base_market)
                    new_st = None
                else:
                    new_st = state_model(new)
                    solver = WarmSweepSolver(LoadedLP(render_matrix(new_st)))
                    if warm_rebuilds:
                        solver.start_from(start_basis, warm.reference_iterations)
                    outcome = solver.solve(time_limit=time_limit, cold=not warm_rebuilds)
                    fallbacks += solver.fallbacks
                    how = ("rebuilt cold" if solver.fallbacks or not warm_rebuilds
                           else "rebuilt")
            except SolveFailed as exc:
                raise PointFailed(f"{group.label} {side} (factor {factor:g})", exc) from exc
            fixed = _fixed_risk(new, group, first, base_losses)
            breaks = first_stage_breaks(new_st or state_model(new), first)
            points.append(Point(group, side, factor, base_value(new, group),
                                float(outcome.risk), float(outcome.cost), fixed, breaks,
                                time.perf_counter() - t0, how, _iterations(outcome)))
    timings["total"] = time.perf_counter() - start
    return SensitivityRun(spread, base_risk, base_cost, base_fixed, groups, points, timings,
                          solves=total, fallbacks=fallbacks + warm.fallbacks)


def _fixed_risk(new: ModelData, group: Group, first: dict[str, np.ndarray],
                base_losses: np.ndarray) -> float:
    """The base plan's risk under ``new`` (periods): its losses re-evaluated where the
    group moves them (demand: every scenario; disruption: the group's scenario)."""
    losses = base_losses
    if group.kind == "demand":
        losses = workbook_losses(new, first)
    elif group.kind == "disruption":
        i = new.scenarios.index(str(group.target))
        losses = base_losses.copy()
        losses[i] = workbook_losses(subset(new, [new.scenarios[i]]), first)[0]
    probabilities = np.array([new.probability[s] for s in new.scenarios])
    return risk_of(losses, probabilities, new.risk_weight, new.cvar_alpha)
