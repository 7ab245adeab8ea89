"""Alone versus together: each party's stand-alone problem and what cooperation buys it.

FORMULATION-v2 section 3. ``alone(data, p)`` is the workbook restricted to party p: p
with its budget and no pooled budget; the stockpiles whose only member is p, with their
holdings (a stockpile with several members is dropped, with its initial stock); the swaps
whose lender stockpile is kept and whose receiver is p; p's offtakes, demand, supply,
mitigation, concentration limits and party cover targets, the cover targets of kept
stockpiles, and p's demand shocks; periods, minerals (prices and market depth in full),
scenarios, disruptions and settings unchanged. Section 4's limits are not applied to it.

R_p^alone is the R* of Alone(p) (phase 1, ``alone_risk``); the value of cooperation for
p is R_p^alone − R_p, R_p the party's own risk in the joint plan (section 2; positive:
p gains). ``compare`` puts the joint plan and the stand-alone plans side by side, with the
joint levers (joint stockpiles, swaps drawing on another party's stockpile) each party
uses only together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data import ModelData
from ..model import render_matrix, state_model
from ..results.extract import Results
from ..solver.diagnose import before_solving
from ..solver.highs import DEFAULT_ALGORITHM, LoadedLP, SolveFailed, SolveOutcome


def alone(data: ModelData, party: str) -> ModelData:
    """Alone(``party``): ``data`` restricted to the party (see the module docstring),
    without party risk limits."""
    p = party
    kept = [k for k in data.stockpiles if set(data.members[k]) == {p}]
    keep = set(kept)
    swaps = {w: s for w, s in data.swaps.items() if s.lender in keep and s.receiver == p}
    return dataclasses.replace(
        data,
        parties=[p], budget={p: data.budget.get(p)}, pooled_budget=None,
        stockpiles=kept, members={k: dict(data.members[k]) for k in kept},
        holdings={h: v for h, v in data.holdings.items() if h[0] in keep},
        demand={key: v for key, v in data.demand.items() if key[0] == p},
        criticality={key: v for key, v in data.criticality.items() if key[0] == p},
        supply={key: v for key, v in data.supply.items() if key[0] == p},
        offtakes={o: spec for o, spec in data.offtakes.items() if spec.party == p},
        swaps=swaps,
        demand_multiplier={key: v for key, v in data.demand_multiplier.items()
                           if key[0] == p},
        cover_targets={name: t for name, t in data.cover_targets.items()
                       if t.party == p or (t.stockpile is not None and t.stockpile in keep)},
        concentration_limits=[c for c in data.concentration_limits if c.party == p],
        mitigations={o: m for o, m in data.mitigations.items() if m.party == p},
        party_currency={q: c for q, c in data.party_currency.items() if q == p},
        budget_entered={q: b for q, b in data.budget_entered.items() if q == p},
        period_budgets={key: b for key, b in data.period_budgets.items() if key[0] == p},
        period_budgets_entered={key: b for key, b in data.period_budgets_entered.items()
                                if key[0] == p},
        access={k: a for k, a in data.access.items() if k in keep},
        max_risk={}, party_risk_limit="none", alone_risk={},
    )


def alone_risk(data: ModelData, party: str, *, time_limit: float | None = None,
               algorithm: str = DEFAULT_ALGORITHM) -> float:
    """R_p^alone: the optimal risk R* of Alone(``party``) (phase 1; periods of the party's
    baseline demand lost). Raises ``SolveFailed`` when that problem does not solve to
    optimality (then its ``phase`` names the party)."""
    st = state_model(alone(data, party))
    found = before_solving(st.data, st.index)
    if found:
        raise SolveFailed(f"{party}'s stand-alone problem, the check before solving",
                          "infeasible", SolveOutcome(status="infeasible"), found[1],
                          message=found[0])
    loaded = LoadedLP(render_matrix(st))
    try:
        record = loaded.solve_risk(time_limit=time_limit, algorithm=algorithm)
    except SolveFailed as exc:
        exc.phase = f"{party}'s stand-alone problem, {exc.phase}"
        raise
    return float(record.objective)


def with_alone_risks(data: ModelData, *, on_party: Callable[[str], None] | None = None,
                     time_limit: float | None = None) -> ModelData:
    """``data`` with ``alone_risk`` filled (every party's R_p^alone) when its
    ``party_risk_limit`` is ``alone`` and they are missing; ``data`` itself otherwise.
    ``on_party`` is called with each party before its stand-alone solve."""
    if data.party_risk_limit != "alone" or all(p in data.alone_risk for p in data.parties):
        return data
    risks = {}
    for p in data.parties:
        if on_party is not None:
            on_party(p)
        risks[p] = alone_risk(data, p, time_limit=time_limit)
    return dataclasses.replace(data, alone_risk=risks)


@dataclass
class PartyGain:
    """What cooperation buys one party: risks in periods of its baseline demand lost
    (R_p^alone, R_p together, gain = alone − together, positive: the party gains) and
    preparedness spending in the base currency (alone, together)."""

    party: str
    risk_alone: float
    risk_together: float
    spend_alone: float
    spend_together: float
    expected_loss_alone: float
    expected_loss_together: float

    @property
    def gain(self) -> float:
        """R_p^alone − R_p (periods; positive: the party is better off together)."""
        return self.risk_alone - self.risk_together

    def as_dict(self) -> dict[str, float]:
        """The summary JSON's entry for the party."""
        return {"risk_alone": self.risk_alone, "risk_together": self.risk_together,
                "gain": self.gain, "spend_alone": self.spend_alone,
                "spend_together": self.spend_together}


@dataclass
class Cooperation:
    """The joint plan against each party's stand-alone plan.

    ``gains`` per party (``PartyGain``); ``levers`` a table of the joint levers each party
    uses only together (one row per party and lever; see ``joint_levers``); ``joint`` and
    ``alone`` the solved plans (Results).
    """

    gains: dict[str, PartyGain]
    levers: pd.DataFrame
    joint: Results
    alone: dict[str, Results] = field(default_factory=dict)

    def summary_dict(self) -> dict:
        """The cooperation summary JSON: ``parties`` {p: {risk_alone, risk_together, gain,
        spend_alone, spend_together}}, with the joint R* and cost."""
        return {"status": self.joint.status, "risk": self.joint.risk, "cost": self.joint.cost,
                "parties": {p: g.as_dict() for p, g in self.gains.items()},
                "joint_levers": self.levers.to_dict(orient="records")}


LEVER_COLUMNS = ["party", "lever", "kind", "mineral", "partners", "share", "spend",
                 "expected_received", "worst_received", "worst_scenario"]
"""The columns of the joint-lever table (see ``joint_levers``)."""


def joint_levers(data: ModelData, joint: Results) -> pd.DataFrame:
    """The levers of the joint plan that no party has alone, and what each party gets
    from them: one row per (party, lever, mineral) with

    - ``kind``: "joint stockpile" (a stockpile with several members) or "swap" (the
      party draws on a stockpile it does not hold alone) or "swap lent" (another party
      draws on the party's stockpile);
    - ``partners``: the other parties of the lever; ``share``: the party's cost share
      of a joint stockpile (1 for its own swap);
    - ``spend``: what the party pays for the lever (its cost share of purchases and
      holding, or the swap fee; base currency);
    - ``expected_received``: Σ_s π_s of the tonnes the party receives through it (releases
      to it, or its swap draws; negative for tonnes lent to others), over the horizon;
    - ``worst_received`` and ``worst_scenario``: the same in the scenario where it
      receives most.
    Levers the plan does not use (nothing bought, no capacity reserved) are left out.
    """
    probs = pd.Series(data.probability)
    rows = []
    releases = joint.tables.get("releases", pd.DataFrame(columns=["scenario", "stockpile",
                                                                  "party", "mineral",
                                                                  "release"]))
    purchases = joint.tables["purchases"]
    for k in data.stockpiles:
        members = data.members[k]
        if len(members) < 2:
            continue
        for m in sorted({h[1] for h in data.holdings if h[0] == k}):
            bought = purchases[(purchases["stockpile"] == k) & (purchases["mineral"] == m)]
            cost = float(bought["total_cost"].sum()) if len(bought) else 0.0
            held = float(bought["start_level"].sum()) if len(bought) else 0.0
            if held <= 0.0:
                continue
            for p, share in members.items():
                got = releases[(releases["stockpile"] == k) & (releases["party"] == p)
                               & (releases["mineral"] == m)]
                rows.append(_lever_row(p, k, "joint stockpile", m,
                                       [q for q in members if q != p], share, share * cost,
                                       got.groupby("scenario")["release"].sum(), probs))
    draws = joint.tables.get("swap_draws", pd.DataFrame(columns=["scenario", "swap", "draw"]))
    swaps = joint.tables["swaps"].set_index("swap") if len(joint.tables["swaps"]) else None
    for w, spec in data.swaps.items():
        owners = set(data.members[spec.lender])
        if owners == {spec.receiver} or swaps is None:
            continue  # a swap within one party's own stockpile exists alone too
        capacity = float(swaps.loc[w, "capacity"]) if w in swaps.index else 0.0
        if capacity <= 0.0:
            continue
        drawn = draws[draws["swap"] == w].groupby("scenario")["draw"].sum()
        rows.append(_lever_row(spec.receiver, w, "swap", spec.mineral,
                               sorted(owners - {spec.receiver}), 1.0,
                               float(swaps.loc[w, "fee_paid"]), drawn, probs))
        for p in sorted(owners - {spec.receiver}):
            share = data.members[spec.lender][p]
            rows.append(_lever_row(p, w, "swap lent", spec.mineral, [spec.receiver], share,
                                   0.0, -share * drawn, probs))
    table = pd.DataFrame(rows, columns=LEVER_COLUMNS)
    order = {p: i for i, p in enumerate(data.parties)}
    return table.sort_values(by="party", key=lambda s: s.map(order), kind="stable",
                             ignore_index=True)


def _lever_row(party: str, lever: str, kind: str, mineral: str, partners: list[str],
               share: float, spend: float, by_scenario: pd.Series, probs: pd.Series) -> dict:
    """One row of the joint-lever table; ``by_scenario`` holds tonnes received per
    scenario (scenarios without any are 0)."""
    full = by_scenario.reindex(probs.index, fill_value=0.0).astype(float)
    worst = full.idxmax() if len(full) and float(full.max()) > 0 else (
        full.idxmin() if len(full) else "")
    return {"party": party, "lever": lever, "kind": kind, "mineral": mineral,
            "partners": ", ".join(partners), "share": float(share), "spend": float(spend),
            "expected_received": float((full * probs).sum()),
            "worst_received": float(full[worst]) if worst != "" else 0.0,
            "worst_scenario": worst}


def compare(data: ModelData, joint: Results, alone_results: dict[str, Results]) -> Cooperation:
    """The cooperation study of ``data`` from its joint plan and each party's stand-alone
    plan (``alone_results[p]`` solved from ``alone(data, p)``; its R* is R_p^alone)."""
    gains = {}
    for p in data.parties:
        solo = alone_results[p]
        gains[p] = PartyGain(
            party=p, risk_alone=float(solo.risk),
            risk_together=float(joint.parties[p]["risk"]),
            spend_alone=float(solo.spend.get(p, 0.0)),
            spend_together=float(joint.spend.get(p, 0.0)),
            expected_loss_alone=float(solo.expected_loss),
            expected_loss_together=float(joint.parties[p]["expected_loss"]))
    return Cooperation(gains, joint_levers(data, joint), joint, dict(alone_results))


def total_gain(cooperation: Cooperation) -> float:
    """Σ_p (R_p^alone − R_p) (periods)."""
    return float(np.sum([g.gain for g in cooperation.gains.values()]))
