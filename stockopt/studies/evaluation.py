"""Out-of-sample evaluation of a solved plan (``stockopt evaluate``).

The plan's first-stage decisions (stockpile purchases a, offtake capacities x, swap
capacities y) are read from the Decisions sheet of a results workbook and fixed. Each
scenario's second stage (releases, deliveries, swap draws, shortfalls) is then
independent of every other scenario's, so minimizing each scenario's loss L_s on its
own is optimal for the expected loss, for CVaR and for any other risk measure that is
monotone in the losses: the evaluation solves, batch by batch, the LP

    min Σ_s L_s / |batch|   with a, x, y fixed at the plan,

whose optimum minimizes every L_s at once (phase 1 only: the cheapest operation among
loss-minimal ones does not change the losses). Budget and market-depth rows, which hold
first-stage variables only, are dropped: the plan is given, and what it costs is not in
question here.

The plan is evaluated on

* **in sample**: the scenarios of the input workbook's Scenarios sheet (for a workbook
  written by ``stockopt scenarios``, the sample the plan was optimized on), with their
  probabilities; and
* **out of sample**: a fresh sample of N equally likely scenarios drawn from the Risks
  sheet on the evaluation stream of ``stockopt.workbook.sampling`` (independent of the sample
  ``stockopt scenarios`` draws, even with the same seed).

Statistics (losses in periods of baseline demand lost, criticality weighted):

* expected loss E[L]: the sample mean, with the normal-approximation 95% interval
  mean ± 1.96·sd/√N (sd with N − 1 degrees of freedom);
* CVaR_α: the exact CVaR of the sample's equally weighted losses (the mean of the worst
  (1 − α)·N, the boundary loss counted fractionally), with a 95% percentile-bootstrap
  interval (``BOOTSTRAP_RESAMPLES`` resamples with replacement, seeded from the seed,
  so the interval is reproducible);
* risk R = (1 − λ)·E[L] + λ·CVaR_α, with the same bootstrap interval.

CVaR is the mean of the worst 1 − α of probability, so its estimate rests on the
N·(1 − α) scenarios in that tail (in sample: those with tail probability). With few of
them (below ``MIN_TAIL_SCENARIOS``) the estimate is rough and the percentile bootstrap,
which can never resample a loss worse than the worst one seen, gives an interval that
is too narrow: ``sample_warnings`` says so, and ``verdict`` words its conclusion by what
the interval can then support (inconclusive, or "may be chance", never a cause).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..data import ModelData
from ..model.index import ModelIndex, build_index
from ..model.risk import cvar_equal, exact_cvar, scenario_losses, tail_weights
from ..solver.fixed_plan import FixedPlanLP, subset
from ..solver.parallel import map_batches
from ..workbook.file import open_workbook
from ..workbook.sampling import Sample, scenario_model_data

Z95 = 1.959963984540054
"""The 97.5% quantile of the standard normal distribution (two-sided 95% interval)."""

BOOTSTRAP_RESAMPLES = 2000
"""Bootstrap resamples for the CVaR and risk intervals."""

BOOTSTRAP_STREAM = 2
"""Spawn key of the bootstrap's random stream (see ``stockopt.workbook.sampling``)."""

MIN_TAIL_SCENARIOS = 10
"""Fewest scenarios in a CVaR tail (N·(1 − α)) for which the evaluation draws a conclusion
from the CVaR and the risk; below it, it warns and hedges (module doc)."""

DEFAULT_BATCH = 100
"""Scenarios per evaluation LP (memory stays bounded by one batch)."""

DECISIONS = "Decisions"
SUMMARY = "Summary"
POLICY = "Policy levers"


class PlanError(Exception):
    """The results workbook does not hold a plan that fits the input workbook."""


# --- the plan ----------------------------------------------------------------------------------

@dataclass
class Plan:
    """First-stage decisions read from a results workbook (model units).

    ``purchases[(stockpile, mineral)]`` t; ``offtakes[offtake]`` t/period;
    ``swaps[swap]`` t; ``rows`` the Excel row of each entry (for messages); ``summary``
    the headline numbers of its Summary sheet (risk R*, expected loss, CVaR), if found.
    """

    purchases: dict[tuple[str, str], float] = field(default_factory=dict)
    orders: dict[tuple[str, str, str], float] = field(default_factory=dict)
    """Tonnes ordered per (stockpile, mineral, order period label), from the Decisions
    sheet's order schedule (FORMULATION-v2 section 6); empty when it has none."""
    offtakes: dict[str, float] = field(default_factory=dict)
    swaps: dict[str, float] = field(default_factory=dict)
    mitigations: dict[str, float] = field(default_factory=dict)
    """Mitigation capacity per option (t/period), from the Policy levers sheet."""
    rows: dict[tuple[str, object], int] = field(default_factory=dict)
    summary: dict[str, float] = field(default_factory=dict)


def _name(text: object) -> str:
    """A results header -> its column name: 'purchase (t)' -> 'purchase', 'offtake capacity
    (t/period)' and 'offtake_capacity (t/period)' -> 'offtake_capacity' (headers are in
    words since #18, with underscores before)."""
    return str(text).split(" (")[0].strip().replace(" ", "_") if text is not None else ""


_TABLES = {  # table -> (key columns, value column)
    "purchases": (("stockpile", "mineral"), "purchase"),
    "offtakes": (("offtake",), "offtake_capacity"),
    "swaps": (("swap",), "swap_capacity"),
}

_SCHEDULE_TABLES = {  # on Decisions too, when the plan orders over time
    "orders": (("stockpile", "mineral", "order_period"), "ordered"),
}


_POLICY_TABLES = {  # on the Policy levers sheet, when the input has mitigation options
    "mitigations": (("option",), "mitigation_capacity"),
}


def _scan(wb, sheet: str, shown: str, tables: dict[str, tuple[tuple[str, ...], str]],  # noqa: ANN001
          plan: Plan, found: set[str]) -> None:
    """Read ``tables`` (name -> (key columns, value column)) from sheet ``sheet`` into
    ``plan``; each table sits under a header row 'name (unit)' and ends at its first row
    with a blank key or value. Raises PlanError on a bad value or a repeated key."""
    current: tuple[str, dict[str, int]] | None = None
    for row, cells in wb.rows(sheet):
        header = {_name(v): i for i, v in cells.items() if isinstance(v, str)}
        table = next((t for t, (keys, value) in tables.items()
                      if value in header and all(k in header for k in keys)), None)
        if table is not None:
            current = (table, header)
            found.add(table)
            continue
        if current is None:
            continue
        table, header = current
        keys, value_col = tables[table]
        key = tuple(cells.get(header[k]) for k in keys)
        value = cells.get(header[value_col])
        if any(k is None for k in key) or value is None:
            current = None  # a blank row, or a note such as "(none)", ends the table
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value) or value < 0:
            raise PlanError(f"sheet '{shown}', row {row}, column '{value_col}': "
                            f"expected a number ≥ 0; found {value!r}")
        key = tuple(str(k) for k in key)
        target = {"purchases": plan.purchases, "offtakes": plan.offtakes,
                  "swaps": plan.swaps, "mitigations": plan.mitigations,
                  "orders": plan.orders}[table]
        entry = key if table in ("purchases", "orders") else key[0]
        if entry in target:
            raise PlanError(f"sheet '{shown}', rows {plan.rows[(table, entry)]} and "
                            f"{row}: expected each {' and '.join(keys)} once; found "
                            f"{' '.join(key)} twice")
        target[entry] = float(value)
        plan.rows[(table, entry)] = row


def read_plan(path: Path) -> Plan:
    """Read the plan from the Decisions sheet of the results workbook at ``path``.

    The sheet holds three tables (purchases, offtake contracts, swap agreements), each
    under a header row 'name (unit)'; a table ends at its first row with a blank key or
    a blank value (the '(none)' note of an empty table).
    Raises PlanError naming the sheet, row and column of any problem, and
    ``UnreadableWorkbook`` when the file cannot be read.
    """
    plan = Plan()
    found: set[str] = set()
    with open_workbook(path) as wb:
        names = {n.strip().lower(): n for n in wb.sheet_names}
        if DECISIONS.lower() not in names:
            raise PlanError(f"{path.name}: expected a results workbook with a sheet named "
                            f"{DECISIONS} (written by stockopt solve); found sheets "
                            + ", ".join(wb.sheet_names))
        _scan(wb, names[DECISIONS.lower()], DECISIONS, {**_TABLES, **_SCHEDULE_TABLES}, plan,
              found)
        if POLICY.lower() in names:
            _scan(wb, names[POLICY.lower()], POLICY, _POLICY_TABLES, plan, found)
        if SUMMARY.lower() in names:
            labels = {"risk r*": "risk", "risk r": "risk", "expected loss": "expected_loss"}
            for _row, cells in wb.rows(names[SUMMARY.lower()]):
                label = str(cells.get(1, "")).strip().lower()
                value = cells.get(2)
                if not isinstance(value, int | float) or isinstance(value, bool):
                    continue
                if label in labels:
                    plan.summary[labels[label]] = float(value)
                elif label.startswith("cvar"):
                    plan.summary["cvar"] = float(value)
    missing = [t for t in _TABLES if t not in found]
    if missing:
        raise PlanError(f"{path.name}, sheet '{DECISIONS}': expected the tables of purchases, "
                        "offtakes and swaps (headers with columns " + "; ".join(
                            ", ".join((*_TABLES[t][0], _TABLES[t][1])) for t in missing)
                        + "); not found")
    return plan


def plan_vectors(plan: Plan, data: ModelData) -> dict[str, np.ndarray]:
    """The plan as first-stage arrays aligned with the model's index (t, t/period, t).

    Every holding, offtake and swap of ``data`` must be in the plan and every entry of
    the plan in ``data``; a purchase must fit under max_stock and a capacity under its
    max_volume (within 1e-6 relative). Raises PlanError otherwise.
    """
    idx = build_index(data)
    problems: list[str] = []
    at = f"sheet '{DECISIONS}'"

    def row_of(table: str, entry: object) -> str:
        return f"{at}, row {plan.rows[(table, entry)]}"

    for table, known, given in (("purchases", set(idx.HOLDINGS), plan.purchases),
                                ("offtakes", set(idx.OFFTAKES), plan.offtakes),
                                ("swaps", set(idx.SWAPS), plan.swaps)):
        for entry in given:
            if entry not in known:
                shown = " ".join(entry) if isinstance(entry, tuple) else entry
                problems.append(f"{row_of(table, entry)}: expected a {table[:-1]} option of "
                                f"the input workbook; found '{shown}', which it does not "
                                "offer (was the plan solved on another workbook?)")
        for entry in known:
            if entry not in given:
                shown = " ".join(entry) if isinstance(entry, tuple) else entry
                problems.append(f"{at}: expected a row for the {table[:-1]} option '{shown}' "
                                "of the input workbook; found none")

    def fits(value: float, bound: float | None) -> bool:
        return bound is None or value <= bound + 1e-6 * max(1.0, abs(bound))

    purchase = np.array([plan.purchases.get(h, 0.0) for h in idx.HOLDINGS])
    for (k, m), a in zip(idx.HOLDINGS, purchase.tolist(), strict=True):
        h = data.holdings[(k, m)]
        cap = None if h.max_stock is None else h.max_stock - h.initial_stock
        if (k, m) in plan.purchases and not fits(a, cap):
            problems.append(f"{row_of('purchases', (k, m))}, column 'purchase': expected at "
                            f"most {cap:g} t (max_stock − initial_stock of {k} {m}); "
                            f"found {a:g}")
    offtake = np.array([plan.offtakes.get(o, 0.0) for o in idx.OFFTAKES])
    for o, x in zip(idx.OFFTAKES, offtake.tolist(), strict=True):
        if o in plan.offtakes and not fits(x, data.offtakes[o].max_volume):
            problems.append(f"{row_of('offtakes', o)}, column 'offtake_capacity': expected at "
                            f"most {data.offtakes[o].max_volume:g} t/period; found {x:g}")
    swap = np.array([plan.swaps.get(w, 0.0) for w in idx.SWAPS])
    for w, y in zip(idx.SWAPS, swap.tolist(), strict=True):
        if w in plan.swaps and not fits(y, data.swaps[w].max_volume):
            problems.append(f"{row_of('swaps', w)}, column 'swap_capacity': expected at most "
                            f"{data.swaps[w].max_volume:g} t; found {y:g}")
    mitigation = np.array([plan.mitigations.get(i, 0.0) for i in idx.MITIGATIONS])
    if idx.MITIGATIONS and not plan.mitigations:
        problems.append(f"sheet '{POLICY}': expected the table of mitigation options (columns "
                        "option, mitigation_capacity), since the input workbook has "
                        f"{len(idx.MITIGATIONS)} mitigation option(s); found none (was the "
                        "plan solved on another workbook?)")
    else:
        for entry in plan.mitigations:
            if entry not in set(idx.MITIGATIONS):
                problems.append(f"sheet '{POLICY}', row {plan.rows[('mitigations', entry)]}: "
                                "expected a mitigation option of the input workbook; found "
                                f"'{entry}', which it does not offer")
        for entry in idx.MITIGATIONS:
            if entry not in plan.mitigations:
                problems.append(f"sheet '{POLICY}': expected a row for the mitigation option "
                                f"'{entry}' of the input workbook; found none")
    if problems:
        raise PlanError("\n".join(problems))
    vectors = {"purchase": order_vector(data, idx, plan), "offtake_capacity": offtake,
               "swap_capacity": swap}
    if idx.MITIGATIONS:
        vectors["mitigation_capacity"] = mitigation
    return vectors


def order_vector(data: ModelData, idx: ModelIndex, plan: Plan) -> np.ndarray:
    """The plan's orders a[k,m,t] aligned with ``idx.ORDERS``: from the Decisions sheet's
    order schedule when it has one (``plan.orders``, (k, m, period label) -> t), else the
    per-holding purchase placed in the holding's one order period (v1 timing). Raises
    PlanError when the input offers several order periods and the plan has no schedule."""
    if plan.orders:
        return np.array([plan.orders.get((k, m, data.period_label(t)), 0.0)
                         for (k, m, t) in idx.ORDERS])
    several = [h for h in idx.HOLDINGS if len(idx.orders_of.get(h, ())) > 1
               and plan.purchases.get(h, 0.0) > 0.0]
    if several:
        k, m = several[0]
        raise PlanError(f"sheet 'Decisions': expected the order schedule (stockpile, mineral, "
                        f"order period, tonnes), since the input workbook lets orders be placed "
                        f"in several periods (purchase_timing = {data.purchase_timing}); found "
                        f"only total purchases (e.g. {k} {m}). Was the plan solved on another "
                        "workbook?")
    return np.array([plan.purchases.get((k, m), 0.0) for (k, m, _t) in idx.ORDERS])


# --- losses with the plan fixed ----------------------------------------------------------------

def batch_losses(data: ModelData, first: dict[str, np.ndarray]) -> np.ndarray:
    """L_s for every scenario of ``data`` with the first stage fixed at ``first``.

    Solves min Σ_s L_s/|S| (λ = 0, equal weights, so every scenario counts) by HiGHS's
    dual simplex; raises EvaluationFailed if it does not end optimal.
    """
    fixed = FixedPlanLP.build(data, first)
    fixed.run(both_phases=False)
    return np.asarray(scenario_losses(fixed.statement, fixed.loaded.solution().second),
                      dtype=float)


def workbook_losses(data: ModelData, first: dict[str, np.ndarray], *,
                    batch: int = DEFAULT_BATCH, comm: Any | None = None) -> np.ndarray:
    """L_s of the workbook's own scenarios (in sample), in data order. With an MPI
    ``comm``, the batches are shared over its ranks and every rank gets all losses."""
    names = data.scenarios
    starts = range(0, len(names), batch)
    out = map_batches(comm, len(starts), lambda k: batch_losses(
        subset(data, names[starts[k]:starts[k] + batch]), first))
    return np.concatenate(out) if out else np.zeros(0)


def sample_losses(data: ModelData, sample: Sample, first: dict[str, np.ndarray], *,
                  batch: int = DEFAULT_BATCH,
                  on_batch: Callable[[int, int], None] | None = None,
                  comm: Any | None = None) -> np.ndarray:
    """L_s of every sampled scenario (out of sample), in sample order, batch by batch.

    With an MPI ``comm`` the batches are shared over its ranks (batch k on rank
    k mod size; each rank builds only its own batches' scenarios) and every rank gets
    all losses; ``on_batch(done, total)`` then counts rank 0's batches times the ranks.
    """
    starts = range(0, sample.size, batch)
    size = 1 if comm is None else comm.Get_size()

    def one(k: int) -> np.ndarray:
        rows = range(starts[k], min(starts[k] + batch, sample.size))
        losses = batch_losses(scenario_model_data(data, sample, rows), first)
        if on_batch is not None:
            on_batch(min(rows.stop * size, sample.size), sample.size)
        return losses

    return np.concatenate(map_batches(comm, len(starts), one))


# --- statistics --------------------------------------------------------------------------------

@dataclass
class Interval:
    """A point estimate with a 95% interval (periods of baseline demand lost)."""

    value: float
    low: float
    high: float
    method: str


@dataclass
class Statistics:
    """Loss statistics of one evaluation (periods of baseline demand lost)."""

    scenarios: int
    expected_loss: Interval
    cvar: Interval
    risk: Interval
    worst: float
    share_with_loss: float
    tail_scenarios: float = 0.0
    """N·(1 − α): how many of the N equally likely losses the CVaR averages."""


def samples_for_tail(alpha: float, tail: int = MIN_TAIL_SCENARIOS) -> int:
    """The fewest equally likely scenarios N with N·(1 − α) ≥ ``tail``."""
    return math.ceil(tail / max(1.0 - alpha, 1e-12) - 1e-9)


def out_of_sample_statistics(losses: np.ndarray, alpha: float, risk_weight: float,
                             seed: int) -> Statistics:
    """Statistics of equally likely ``losses`` with 95% intervals (see the module doc)."""
    losses = np.asarray(losses, dtype=float)
    n = len(losses)
    mean = float(losses.mean())
    sd = float(losses.std(ddof=1)) if n > 1 else 0.0
    half = Z95 * sd / math.sqrt(n)
    cvar = float(cvar_equal(losses, alpha))
    rng = np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(seed, spawn_key=(BOOTSTRAP_STREAM,))))
    cvars, means = [], []
    chunk = max(1, min(BOOTSTRAP_RESAMPLES, 2_000_000 // max(n, 1)))
    done = 0
    while done < BOOTSTRAP_RESAMPLES:
        k = min(chunk, BOOTSTRAP_RESAMPLES - done)
        draws = losses[rng.integers(0, n, size=(k, n))]
        cvars.append(cvar_equal(draws, alpha))
        means.append(draws.mean(axis=1))
        done += k
    boot_cvar = np.concatenate(cvars)
    boot_risk = (1 - risk_weight) * np.concatenate(means) + risk_weight * boot_cvar
    risk = (1 - risk_weight) * mean + risk_weight * cvar
    boot = f"95% percentile bootstrap, {BOOTSTRAP_RESAMPLES} resamples"
    return Statistics(
        scenarios=n,
        expected_loss=Interval(mean, mean - half, mean + half, "95% normal: mean ± 1.96·sd/√N"),
        cvar=Interval(cvar, float(np.quantile(boot_cvar, 0.025)),
                      float(np.quantile(boot_cvar, 0.975)), boot),
        risk=Interval(risk, float(np.quantile(boot_risk, 0.025)),
                      float(np.quantile(boot_risk, 0.975)), boot),
        worst=float(losses.max()), share_with_loss=float((losses > 1e-9).mean()),
        tail_scenarios=n * (1.0 - alpha))


@dataclass
class InSample:
    """The plan's losses on the workbook's own scenarios (periods of demand lost)."""

    scenarios: int
    expected_loss: float
    cvar: float
    risk: float
    worst: float
    losses: np.ndarray
    tail_scenarios: int = 0
    """How many scenarios carry some of the CVaR tail's probability (the worst 1 − α)."""


def in_sample_statistics(data: ModelData, losses: np.ndarray) -> InSample:
    """E[L], exact CVaR_α and R of the workbook's scenarios with their probabilities."""
    probs = [data.probability[s] for s in data.scenarios]
    mean = float(np.dot(probs, losses))
    cvar = exact_cvar(losses.tolist(), probs, data.cvar_alpha)
    risk = (1 - data.risk_weight) * mean + data.risk_weight * cvar
    tail = int((tail_weights(losses, np.asarray(probs, dtype=float), data.cvar_alpha)
                > 1e-12).sum()) if len(losses) else 0
    return InSample(len(losses), mean, cvar, risk, float(losses.max(initial=0.0)), losses,
                    tail)


def _few(tail: float) -> bool:
    """Whether a CVaR tail of ``tail`` scenarios is below ``MIN_TAIL_SCENARIOS`` (round-off
    of N·(1 − α) aside)."""
    return tail < MIN_TAIL_SCENARIOS - 1e-9


def _count(x: float) -> str:
    """A scenario count in words: 2, 2.5."""
    return f"{x:.3g}" if abs(x - round(x)) > 1e-9 else f"{round(x):d}"


def sample_warnings(ins: InSample, out: Statistics, alpha: float) -> list[str]:
    """Warnings, in words, when a CVaR tail holds fewer than ``MIN_TAIL_SCENARIOS``
    scenarios (out of sample: N·(1 − α); in sample: those with tail probability)."""
    warnings = []
    if _few(out.tail_scenarios):
        warnings.append(
            f"Only N·(1 − α) = {_count(out.tail_scenarios)} of the {out.scenarios} "
            f"out-of-sample scenarios are in the CVaR tail (α = {alpha:g}): the out-of-sample "
            "CVaR and risk rest on too few losses, and their bootstrap intervals are too "
            f"narrow. Evaluate on at least {samples_for_tail(alpha):,} samples (--samples) "
            f"for {MIN_TAIL_SCENARIOS} tail scenarios.")
    if _few(ins.tail_scenarios):
        warnings.append(
            f"The in-sample CVaR rests on {ins.tail_scenarios} scenario"
            f"{'s' if ins.tail_scenarios != 1 else ''} in its tail (of {ins.scenarios}, "
            f"α = {alpha:g}): the in-sample risk is itself a rough estimate, so a gap "
            "between it and the out-of-sample interval may be chance. Solve on more "
            f"scenarios (stockopt scenarios --samples {samples_for_tail(alpha):,} or more) "
            "for a firmer comparison.")
    return warnings


def verdict(ins: InSample, out: Statistics) -> str:
    """One sentence (or two): does the in-sample risk hold up out of sample, worded by what
    the interval can support (``sample_warnings``'s thresholds)?"""
    gap = out.risk.value - ins.risk
    rel = gap / max(abs(out.risk.value), 1e-12)
    interval = f"[{out.risk.low:.4g}, {out.risk.high:.4g}]"
    where = ("inside" if out.risk.low <= ins.risk <= out.risk.high else
             "below" if ins.risk < out.risk.low else "above")
    in_few = _few(ins.tail_scenarios)
    if _few(out.tail_scenarios):
        return (f"Inconclusive: the out-of-sample CVaR rests on N·(1 − α) = "
                f"{_count(out.tail_scenarios)} tail scenarios, too few for its 95% interval "
                f"{interval} to support a verdict (the in-sample risk {ins.risk:.4g} lies "
                f"{where} it). Evaluate on more samples before drawing a conclusion.")
    if where == "inside":
        text = (f"The in-sample risk {ins.risk:.4g} lies inside the out-of-sample 95% interval "
                f"{interval}: no evidence that the plan's {ins.scenarios} scenarios were too "
                "few for it")
        if in_few:
            return (text + f"; but its CVaR rests on {ins.tail_scenarios} tail scenario"
                    f"{'s' if ins.tail_scenarios != 1 else ''}, so the agreement is loose "
                    "(the interval is wide relative to what it can rule out).")
        return text + "."
    if where == "below":
        return (f"The in-sample risk {ins.risk:.4g} is below the out-of-sample 95% interval "
                f"{interval} (out-of-sample risk {rel:.0%} higher): the plan was tuned to its "
                f"{ins.scenarios} scenarios"
                + (f", whose CVaR rests on only {ins.tail_scenarios} tail scenario"
                   f"{'s' if ins.tail_scenarios != 1 else ''}" if in_few else "")
                + "; solve again on more samples.")
    if in_few:
        return (f"The in-sample risk {ins.risk:.4g} is above the out-of-sample 95% interval "
                f"{interval}, but its CVaR rests on only {ins.tail_scenarios} tail scenario"
                f"{'s' if ins.tail_scenarios != 1 else ''}: a gap of this kind may be chance "
                "(one harsh scenario weighs heavily), not evidence that the workbook's "
                "scenarios are harsher than its Risks sheet. Solve on more scenarios to "
                "tell.")
    return (f"The in-sample risk {ins.risk:.4g} is above the out-of-sample 95% interval "
            f"{interval}: the workbook's {ins.scenarios} scenarios are harsher than the "
            "samples its Risks sheet gives (for a sampled workbook: a harsh draw).")
