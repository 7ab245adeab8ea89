"""Plans side by side on the same input (``stockopt compare``).

Each plan is read back from its results workbook (``studies.evaluation.read_plan``: the
Decisions sheet's purchases, order schedule, offtake and swap capacities, and the Policy
levers sheet's mitigation capacities) and evaluated on one input workbook, IN, exactly as
``stockopt evaluate`` does: its first stage fixed, each scenario's loss minimized on its
own, then the cheapest recourse at those losses (``solver.fixed_plan``). The evaluated
plan goes through the same extraction as a solved one (``results.extract``), so every
plan's numbers are computed by one set of formulas on the same scenarios:

* headline numbers: risk R, expected loss, CVaR_α (periods of baseline demand lost),
  cost and spend (base currency);
* each party's own risk R_p, and spend by party and lever;
* the decisions that differ between the plans, with every plan's value (t, t/period);
* each plan's loss in each of IN's scenarios, and optionally on N fresh scenarios sampled
  from IN's Risks sheet with a seed: the same sample for every plan (common random
  numbers), so differences between plans are not sampling noise; the paired difference of
  each plan's mean loss from the first plan's gets a 95% interval from the paired
  differences (mean ± 1.96·sd/√N).

Nothing is re-optimized: the plans are compared as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import ModelData
from ..model import state_model
from ..results.extract import Results, extract
from ..solver.fixed_plan import evaluate_scenarios, first_stage_breaks, plan_solution, plan_value
from ..solver.highs import SolveOutcome
from ..workbook.sampling import Sample
from .evaluation import (
    Z95,
    Plan,
    PlanError,
    Statistics,
    out_of_sample_statistics,
    plan_vectors,
    sample_losses,
)

DIFFERENCE_TOLERANCE = 1e-6
"""Two plans' values differ when they are more than this apart, relative to
max(1, the largest magnitude of the values): below it is solver round-off."""

DECISION_COLUMNS = ("decision", "kind", "unit")
"""The key columns of the decisions table (then one column per plan)."""


@dataclass
class PlanOnInput:
    """One plan evaluated on the input: its name (the results file's stem, numbered when
    two files share it), where it came from, the plan as read, its first stage (model
    arrays), the evaluated ``results`` (R, E[L], CVaR, cost, spend, parties, tables), the
    input's first-stage limits it breaks (in words), and its losses on the fresh sample."""

    name: str
    path: Path
    plan: Plan
    first: dict[str, np.ndarray]
    results: Results
    breaks: list[str]
    sample_losses: np.ndarray | None = None
    sample_statistics: Statistics | None = None


@dataclass
class Comparison:
    """Plans side by side: each evaluated on ``data``, the decisions that differ, and the
    fresh ``sample`` (None without ``--samples``)."""

    plans: list[PlanOnInput]
    decisions: pd.DataFrame
    sample: Sample | None = None

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.plans]


def plan_names(paths: Sequence[Path]) -> list[str]:
    """The plans' names: each file's stem, with " (2)", " (3)" ... when stems repeat."""
    stems = [Path(p).stem for p in paths]
    out = []
    for i, stem in enumerate(stems):
        if stems.count(stem) > 1:
            stem = f"{stem} ({stems[:i + 1].count(stem)})"
        out.append(stem)
    return out


def evaluate_plan(data: ModelData, first: dict[str, np.ndarray]) -> Results:
    """The plan ``first`` on ``data``'s scenarios, extracted like a solved plan: R, E[L],
    CVaR and cost are the fixed plan's exact values (``fixed_plan.plan_value``); the
    status is "evaluated". Raises ``fixed_plan.EvaluationFailed``."""
    st = state_model(data)
    evaluation = evaluate_scenarios(data, data.scenarios, first)
    value = plan_value(st, first, evaluation)
    outcome = SolveOutcome(status="evaluated", risk=value.risk, cost=value.cost)
    return extract(plan_solution(st, first, evaluation), data, outcome, st)


def decision_rows(results: Results, data: ModelData) -> dict[tuple[str, str, str], float]:
    """(decision, kind, unit) -> value of every first-stage decision of a plan: purchases
    per holding (and per order period when the input orders over time), offtake, swap
    and mitigation capacities."""
    out: dict[tuple[str, str, str], float] = {}
    over_time = len({o[2] for o in results.tables["orders"].itertuples(index=False)}) > 1
    for r in results.tables["purchases"].itertuples(index=False):
        out[(f"{r.stockpile} {r.mineral}", "purchase", "t")] = float(r.purchase)
    if over_time:
        for r in results.tables["orders"].itertuples(index=False):
            out[(f"{r.stockpile} {r.mineral} ordered in {r.order_period}", "order", "t")] = \
                float(r.tonnes)
    for r in results.tables["offtakes"].itertuples(index=False):
        out[(str(r.offtake), "offtake capacity", "t/period")] = float(r.capacity)
    for r in results.tables["swaps"].itertuples(index=False):
        out[(str(r.swap), "swap capacity", "t")] = float(r.capacity)
    if "mitigations" in results.tables:
        for r in results.tables["mitigations"].itertuples(index=False):
            out[(str(r.option), "mitigation capacity", "t/period")] = float(r.capacity)
    return out


def differs(values: Sequence[float]) -> bool:
    """Whether ``values`` (one per plan) differ beyond ``DIFFERENCE_TOLERANCE``."""
    v = np.asarray(values, dtype=float)
    return bool(v.max() - v.min() > DIFFERENCE_TOLERANCE * max(1.0, float(np.abs(v).max())))


def differing_decisions(plans: Sequence[PlanOnInput], data: ModelData) -> pd.DataFrame:
    """The decisions whose values differ between the plans, with each plan's value and
    the last minus the first, in the input's order."""
    rows = [decision_rows(p.results, data) for p in plans]
    keys = list(rows[0])
    names = [p.name for p in plans]
    out = []
    for key in keys:
        values = [r.get(key, 0.0) for r in rows]
        if differs(values):
            out.append({"decision": key[0], "kind": key[1], "unit": key[2],
                        **dict(zip(names, values, strict=True)),
                        "difference": values[-1] - values[0]})
    return pd.DataFrame(out, columns=[*DECISION_COLUMNS, *names, "difference"])


def compare_plans(data: ModelData, plans: Sequence[tuple[Path, Plan]], *,
                  sample: Sample | None = None, batch: int = 100,
                  on_step: Callable[[str], None] | None = None) -> Comparison:
    """Evaluate each (path, plan) on ``data`` and, with a ``sample``, on its scenarios
    (the same for every plan); the decisions that differ. Raises PlanError (a plan that
    does not fit the input) and EvaluationFailed."""
    notify = on_step or (lambda _label: None)
    names = plan_names([p for p, _plan in plans])
    out: list[PlanOnInput] = []
    for name, (path, plan) in zip(names, plans, strict=True):
        notify(f"evaluating {name} on the input's scenarios")
        try:
            first = plan_vectors(plan, data)
        except PlanError as exc:
            raise PlanError("\n".join(f"{Path(path).name}: {line}"
                                       for line in str(exc).splitlines())) from exc
        results = evaluate_plan(data, first)
        entry = PlanOnInput(name, Path(path), plan, first, results,
                            first_stage_breaks(state_model(data), first))
        if sample is not None:
            notify(f"evaluating {name} on {sample.size} sampled scenarios")
            entry.sample_losses = sample_losses(data, sample, first, batch=batch)
            entry.sample_statistics = out_of_sample_statistics(
                entry.sample_losses, data.cvar_alpha, data.risk_weight, sample.seed)
        out.append(entry)
    return Comparison(out, differing_decisions(out, data), sample)


def headline(comparison: Comparison, data: ModelData) -> pd.DataFrame:
    """One row per measure, one column per plan: risk, expected loss, CVaR, cost, spend
    (total, per party, per party and lever), each party's own risk; "differs" says
    whether the plans' values differ."""
    plans = comparison.plans
    measures: list[tuple[str, str, Callable[[Results], float]]] = [
        ("risk R", "periods of demand", lambda r: r.risk),
        ("expected loss", "periods of demand", lambda r: r.expected_loss),
        (f"CVaR {data.cvar_alpha:g}", "periods of demand", lambda r: r.cvar),
        ("cost", data.currency, lambda r: r.cost),
        ("spend, all parties", data.currency, lambda r: sum(r.spend.values())),
    ]
    for p in data.parties:
        measures.append((f"risk of {p} (R_p)", "periods of demand",
                         lambda r, p=p: r.parties[p]["risk"]))
    for p in data.parties:
        measures.append((f"spend of {p}", data.currency, lambda r, p=p: r.spend[p]))
        levers = plans[0].results.spend_by_lever[p]
        for lever in levers:
            measures.append((f"spend of {p}: {lever.replace('_', ' ')}", data.currency,
                             lambda r, p=p, lever=lever: r.spend_by_lever[p][lever]))
    rows = []
    for label, unit, get in measures:
        values = [float(get(p.results)) for p in plans]
        rows.append({"measure": label, "unit": unit,
                     **dict(zip(comparison.names, values, strict=True)),
                     "differs": "yes" if differs(values) else "no"})
    return pd.DataFrame(rows, columns=["measure", "unit", *comparison.names, "differs"])


def scenario_losses(comparison: Comparison, data: ModelData) -> pd.DataFrame:
    """Each plan's loss L_s in each of the input's scenarios (periods), with π_s."""
    table = pd.DataFrame({"scenario": data.scenarios,
                          "probability": [data.probability[s] for s in data.scenarios]})
    for p in comparison.plans:
        losses = p.results.tables["scenario_losses"].set_index("scenario")["loss"]
        table[p.name] = [float(losses[s]) for s in data.scenarios]
    return table


@dataclass
class PairedDifference:
    """A plan's mean sampled loss minus the first plan's, on the same scenarios, with a
    95% interval from the paired differences (periods of demand lost)."""

    plan: str
    mean: float
    low: float
    high: float


def paired_differences(comparison: Comparison) -> list[PairedDifference]:
    """Each plan after the first against the first, on the common sample."""
    plans = comparison.plans
    if comparison.sample is None:
        return []
    base = plans[0].sample_losses
    out = []
    for p in plans[1:]:
        d = p.sample_losses - base
        n = len(d)
        half = Z95 * float(d.std(ddof=1)) / np.sqrt(n) if n > 1 else 0.0
        out.append(PairedDifference(p.name, float(d.mean()), float(d.mean()) - half,
                                    float(d.mean()) + half))
    return out
