"""Scenarios sampled from the risk register (the Risks sheet).

The Risks sheet lists risk events. Each row is one effect of an event: a supply cut
(source, mineral, availability while the event runs) and/or a demand surge (party,
mineral, demand multiplier while it runs). Rows that share a ``group`` are one event
(common cause): they start and end together; a row without a group is an event of its
own.

**Sampling method** (``METHOD``). Every sample is one scenario of equal probability 1/N.
For each event and each sample, periods are walked in order from period 1, the event
not running before period 1: in a period where the event is not running it starts
with probability ``start_probability`` (a per-period hazard); when it starts, its
duration in whole periods is drawn uniformly from ``min_duration..max_duration``, and it
runs from that period on (cut short at the last period). It may start again in the
period after it ends. Events are independent of each other; rows of one event share
its start and duration. With duration 1 an event starts in each period independently
with probability p; with longer durations it starts in fewer periods, because it
cannot start while it runs.

While events run, the scenario's availability of a (source, mineral) flow is the
minimum over the running effects that match it, and a (party, mineral) demand is
multiplied by every running effect that matches it: the same rules as overlapping
Disruptions and DemandShocks rows, so a sample written to a workbook and read back
gives the same model data as ``scenario_model_data`` builds directly.

Random numbers come from numpy's ``Generator(PCG64(seed))``; ``stockopt evaluate``
uses the independent stream ``SeedSequence(seed, spawn_key=(1,))``, so its sample is
independent of the one ``stockopt scenarios`` drew even with the same seed. The draws
for sample i depend on the seed and on N (all samples are drawn together, period by
period), so the same seed and N give the same scenarios.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import ModelData
from .reader import RawWorkbook
from .schema import (
    DEMAND_SHOCKS,
    DISRUPTIONS,
    RISKS,
    SCENARIOS,
    SETTINGS,
    SETTINGS_BY_KEY,
    SHEETS,
    WILDCARD,
    Kind,
)
from .validate import as_number, risk_durations

METHOD = ("per-period start hazard with uniform whole-period durations (stockopt "
          "sampling v1, numpy PCG64)")
"""The sampling method, as recorded on the output workbook's README sheet."""

EVALUATION_STREAM = 1
"""Spawn key of the evaluation sample's random stream (the scenarios command uses none)."""


@dataclass(frozen=True)
class RiskEffect:
    """One Risks row: what an event does while it runs.

    ``source`` None means no supply effect, ``party`` None no demand effect; ``*``
    matches every value. ``availability`` is a fraction 0..1, ``multiplier`` a factor.
    """

    risk: str
    source: str | None
    mineral: str
    availability: float | None
    party: str | None
    multiplier: float


@dataclass(frozen=True)
class RiskEvent:
    """A risk event: its per-period start probability, duration range (periods), effects."""

    name: str
    start_probability: float
    min_duration: int
    max_duration: int
    effects: tuple[RiskEffect, ...]


def risk_events(raw: RawWorkbook) -> list[RiskEvent]:
    """The events of a validated workbook's Risks sheet, in order of first appearance.

    An event is named by its group, or by its row's risk name when the group is blank.
    """
    order: list[str] = []
    rows: dict[str, list] = {}
    for rec in raw[RISKS.name].records:
        name = str(rec["group"]) if rec["group"] is not None else str(rec["risk"])
        if name not in rows:
            order.append(name)
            rows[name] = []
        rows[name].append(rec)
    events = []
    for name in order:
        recs = rows[name]
        lo, hi = risk_durations(recs[0])
        effects = tuple(RiskEffect(
            risk=str(r["risk"]),
            source=None if r["source"] is None else str(r["source"]),
            mineral=str(r["mineral"]),
            availability=None if r["availability"] is None else float(r["availability"]),
            party=None if r["party"] is None else str(r["party"]),
            multiplier=1.0 if r["demand_multiplier"] is None else float(r["demand_multiplier"]),
        ) for r in recs)
        events.append(RiskEvent(name, float(recs[0]["start_probability"]), int(lo or 1),
                                int(hi or lo or 1), effects))
    return events


@dataclass
class Sample:
    """N sampled scenarios over n periods.

    ``active[e]`` (N × n, bool) says where event e runs; ``started[e]`` where it starts.
    Scenario i is named ``names[i]`` and has probability ``probability[i]`` (1/N each).
    """

    events: list[RiskEvent]
    active: dict[str, np.ndarray]
    started: dict[str, np.ndarray]
    names: list[str]
    probability: np.ndarray
    seed: int
    stream: str

    @property
    def size(self) -> int:
        return len(self.names)

    def spans(self, i: int, event: str) -> list[tuple[int, int]]:
        """The (first, last) periods, 1-based inclusive, of each run of ``event`` in sample i.

        An event that ends and restarts in the next period is one run here (same effect).
        """
        row = self.active[event][i]
        out: list[tuple[int, int]] = []
        t, n = 0, len(row)
        while t < n:
            if row[t]:
                start = t
                while t < n and row[t]:
                    t += 1
                out.append((start + 1, t))
            else:
                t += 1
        return out


def generator(seed: int, *, evaluation: bool = False) -> np.random.Generator:
    """The random generator of a sample: PCG64(seed), or the independent evaluation stream."""
    if evaluation:
        return np.random.Generator(np.random.PCG64(
            np.random.SeedSequence(seed, spawn_key=(EVALUATION_STREAM,))))
    return np.random.Generator(np.random.PCG64(seed))


def sample_scenarios(events: Sequence[RiskEvent], n_periods: int, n_samples: int, seed: int,
                     *, evaluation: bool = False, prefix: str = "sample") -> Sample:
    """Draw ``n_samples`` equally likely scenarios over ``n_periods`` (see the module doc).

    For each event in order and each period in order, one uniform number per sample decides
    the starts and one whole number per sample the durations.
    """
    if n_samples < 1:
        raise ValueError("the number of samples must be at least 1")
    rng = generator(seed, evaluation=evaluation)
    active: dict[str, np.ndarray] = {}
    started: dict[str, np.ndarray] = {}
    for event in events:
        remaining = np.zeros(n_samples, dtype=np.int64)
        act = np.zeros((n_samples, n_periods), dtype=bool)
        sta = np.zeros((n_samples, n_periods), dtype=bool)
        for t in range(n_periods):
            u = rng.random(n_samples)
            duration = rng.integers(event.min_duration, event.max_duration + 1, size=n_samples)
            start = (remaining == 0) & (u < event.start_probability)
            remaining = np.where(start, duration, remaining)
            sta[:, t] = start
            act[:, t] = remaining > 0
            remaining = np.maximum(remaining - 1, 0)
        active[event.name] = act
        started[event.name] = sta
    width = max(4, len(str(n_samples)))
    names = [f"{prefix}_{i + 1:0{width}d}" for i in range(n_samples)]
    probability = np.full(n_samples, 1.0 / n_samples)
    return Sample(list(events), active, started, names, probability, seed,
                  "evaluation" if evaluation else "scenarios")


def describe(sample: Sample, i: int, period_label: Sequence[str]) -> str:
    """Scenario i in words: 'china_ga 2027-2029; drc 2031', or 'no event'."""
    parts = []
    for event in sample.events:
        for a, b in sample.spans(i, event.name):
            when = period_label[a - 1] if a == b else \
                f"{period_label[a - 1]}-{period_label[b - 1]}"
            parts.append(f"{event.name} {when}")
    return "; ".join(parts) if parts else "no event"


# --- scenarios as workbook tables --------------------------------------------------------------

def scenario_tables(sample: Sample, periods: Sequence[str]) -> dict[str, list[dict]]:
    """The Scenarios, Disruptions and DemandShocks rows of a sample (schema column names).

    One Disruptions row per (scenario, effect with a source, run of its event) and one
    DemandShocks row per (scenario, effect with a party, run); start and end periods are
    labels, inclusive.
    """
    scenarios, disruptions, shocks = [], [], []
    for i, name in enumerate(sample.names):
        scenarios.append({"scenario": name, "probability": float(sample.probability[i]),
                          "description": describe(sample, i, periods)})
        for event in sample.events:
            for a, b in sample.spans(i, event.name):
                for fx in event.effects:
                    span = {"start_period": periods[a - 1], "end_period": periods[b - 1]}
                    if fx.source is not None:
                        disruptions.append({"scenario": name, "source": fx.source,
                                            "mineral": fx.mineral, **span,
                                            "availability": fx.availability})
                    if fx.party is not None:
                        shocks.append({"scenario": name, "party": fx.party,
                                       "mineral": fx.mineral, **span,
                                       "multiplier": fx.multiplier})
    return {SCENARIOS.name: scenarios, DISRUPTIONS.name: disruptions,
            DEMAND_SHOCKS.name: shocks}


def raw_tables(raw: RawWorkbook) -> dict[str, list[dict]]:
    """Every input table of ``raw`` as rows keyed by schema column names, values as read.

    Numbers that are whole come back as int (2027, not 2027.0); numeric settings as
    numbers. Columns the reader ignored (unknown headers) are not carried over.
    """
    tables: dict[str, list[dict]] = {}
    for sheet in SHEETS:
        table = raw.tables.get(sheet.name)
        rows = []
        for rec in table.records if table is not None else []:
            row: dict[str, object] = {}
            for col in sheet.columns:
                value = rec[col.name]
                if value is None:
                    continue
                if sheet is SETTINGS and col.name == "value":
                    setting = SETTINGS_BY_KEY.get(str(rec["key"] or "").strip().lower())
                    if setting is not None and setting.kind is Kind.NUMBER:
                        number = as_number(value)
                        value = value if number is None else number
                if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
                    value = int(value)
                row[col.name] = value
            rows.append(row)
        tables[sheet.name] = rows
    return tables


def sampled_workbook_tables(raw: RawWorkbook, sample: Sample,
                            periods: Sequence[str]) -> dict[str, list[dict]]:
    """The input tables of ``raw`` with Scenarios, Disruptions and DemandShocks replaced."""
    tables = raw_tables(raw)
    tables.update(scenario_tables(sample, periods))
    return tables


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sample_notes(source: Path, sample: Sample, n_periods: int) -> list[tuple[str, str]]:
    """README notes of a sampled workbook: where it comes from, the seed and the method."""
    events = ", ".join(f"{e.name} (p {e.start_probability:g}/period, "
                       f"{e.min_duration}-{e.max_duration} periods)" for e in sample.events)
    starts = {e.name: int(sample.started[e.name].sum()) for e in sample.events}
    return [
        ("Sampled scenarios",
         f"The Scenarios, Disruptions and DemandShocks sheets hold {sample.size} scenarios "
         f"sampled from the Risks sheet of {source.name} (SHA-256 {sha256_of(source)}), each "
         f"with probability 1/{sample.size}. Every other sheet is as in that workbook."),
        ("Seed", f"{sample.seed} (numpy Generator(PCG64({sample.seed})))"),
        ("Method", f"{METHOD}. For each event and period, an event that is not running "
         "starts with its start_probability; its duration is drawn evenly from "
         "min_duration..max_duration (cut at the last period); it may start again after it "
         "ends; rows of one group start and end together; events are independent."),
        ("Events", events or "none"),
        ("Starts in the sample", ", ".join(f"{k} {v} in {sample.size * n_periods} "
                                             "scenario-periods" for k, v in starts.items())
         or "none"),
    ]


# --- scenarios as model data -------------------------------------------------------------------

def scenario_model_data(data: ModelData, sample: Sample, rows: Sequence[int] | None = None
                        ) -> ModelData:
    """``data`` with its scenarios replaced by samples ``rows`` (all by default).

    Availabilities are the minimum, and demand multipliers the product, of the running
    effects that match (as ``normalize`` resolves Disruptions and DemandShocks rows).
    Probabilities are the samples' own (1/N), so a subset does not sum to 1.
    """
    rows = range(sample.size) if rows is None else rows
    flows = sorted({(c, m) for (_p, m, c, _t) in data.supply} |
                   {(o.source, o.mineral) for o in data.offtakes.values()})
    demanded = sorted({(p, m) for (p, m, _t), d in data.demand.items() if d > 0})
    availability: dict[tuple[str, str, int, str], float] = {}
    multiplier: dict[tuple[str, str, int, str], float] = {}
    names = []
    for i in rows:
        s = sample.names[i]
        names.append(s)
        for event in sample.events:
            periods = np.flatnonzero(sample.active[event.name][i]) + 1
            if not len(periods):
                continue
            for fx in event.effects:
                if fx.source is not None and fx.availability is not None:
                    for c, m in flows:
                        if fx.source not in (WILDCARD, c) or fx.mineral not in (WILDCARD, m):
                            continue
                        for t in periods.tolist():
                            key = (c, m, t, s)
                            availability[key] = min(availability.get(key, 1.0), fx.availability)
                if fx.party is not None:
                    for p, m in demanded:
                        if fx.party not in (WILDCARD, p) or fx.mineral not in (WILDCARD, m):
                            continue
                        for t in periods.tolist():
                            key = (p, m, t, s)
                            multiplier[key] = multiplier.get(key, 1.0) * fx.multiplier
    return dataclasses.replace(
        data, scenarios=names,
        probability={sample.names[i]: float(sample.probability[i]) for i in rows},
        availability={k: v for k, v in availability.items() if v < 1.0},
        demand_multiplier={k: v for k, v in multiplier.items() if v != 1.0},
        scenario_description={sample.names[i]: describe(sample, i, data.periods)
                              for i in rows})
