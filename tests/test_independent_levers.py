"""The policy levers (cover floors, concentration caps, mitigation) against the independent
implementation, through the CLI.

The shared contract names these levers (FORMULATION-v2.md: "the policy levers the product
already has") but does not define them; ``independent_lp`` models them from the sheets'
user guide (README: "Policy levers" and the CoverTargets, ConcentrationLimits and
Mitigation tables) and the readings in models/formulation.md:

* cover floor, party target (p, m):  Σ_{k∋p, (k,m)∈H} σ[k,p]·(S0[k,m] + a[k,m]) ≥ Q_f;
  stockpile target (k, m):  S0[k,m] + a[k,m] ≥ Q_f; Q_f = periods × (1/n)·Σ_t basis[t],
  basis d[p,m,t] or max(0, d[p,m,t] − Σ_{c domestic} q[p,m,c,t]), summed over the members
  of a stockpile target.
* concentration cap (p, m, L, excluded E), every c ∉ E and every t:
  q[p,m,c,t] + Σ_{o: c_o=c, t≥t0_o} x_o ≤ L·(Σ_c' q[p,m,c',t] + Σ_{o: t≥t0_o} x_o).
* mitigation i: u_i ≥ 0 (fee_i·u_i in F_{p_i}); μ[i,t,s] ∈ [0, share_i·D[p_i,m_i,t,s]] for
  t > lead_i, μ ≤ u_i, μ an inflow of (p_i, m_i) in the party balance, cost_i·μ in Cost.

Each hand case's numbers follow from those rows by hand; the random cases add the three
sheets to random_sheets' workbooks with some probability.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from independent_lp import data_from_sheets, sheets_from_lists
from test_independent import (
    SOURCES,
    check_against_independent,
    random_sheets,
    rescale,
    scramble,
)
from workbooks import without_unnamed_sources, write_workbook

N_RANDOM_LEVERS = 40


# --------------------------------------------------------------------------------------
# Hand-derived cases: each lever binds
# --------------------------------------------------------------------------------------

HAND_CASES = {
    # FORMULATION-v2 section 8. Two parties, one period, ga at 1 USD/t, no supply; each
    # demands 10 t. US budget USD 4, EU budget EUR 2 at EUR=1.5 (USD 3): each buys its
    # budget in tonnes, shortfalls 6 and 7, λ = 0.5 with one scenario: R* = 1.3,
    # cost 7 USD. ∂R*/∂B is −1/10 per USD; the EU's is per EUR: 1.5 × −1/10 = −0.15.
    "budget_in_own_currency": ({
        "Settings": [["key", "value"], ["exchange_rates", "EUR=1.5"]],
        "Periods": [["period"], [2027]],
        "Parties": [["party", "budget", "currency"], ["US", 4, None], ["EU", 2, "EUR"]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Stockpiles": [["stockpile", "party"], ["nds", "US"], ["eu", "EU"]],
        "Holdings": [["stockpile", "mineral"], ["nds", "ga"], ["eu", "ga"]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10], ["EU", "ga", 10]],
        "Scenarios": [["scenario", "probability"], ["s", 1]],
    }, 1.3, 7.0, {"US": -0.1, "EU": -0.15}),
    # One period, no disruption. US budget 10 buys ga and ge at 1/t; ge is fully supplied,
    # ga not at all (demand 10 each). Without the floor: 10 t ga, R* = 0. The floor of
    # 0.4 periods of ge demand (Q = 4) takes 4 of the 10: ga shortfall 4, R* = 0.4,
    # Cost = 10, ∂R*/∂B_US = −1/10.
    "cover_floor_costs_risk": ({
        "Periods": [["period"], [2027]],
        "Parties": [["party", "budget"], ["US", 10]],
        "Minerals": [["mineral", "price"], ["ga", 1], ["ge", 1]],
        "Stockpiles": [["stockpile", "party"], ["nds", "US"]],
        "Holdings": [["stockpile", "mineral"], ["nds", "ga"], ["nds", "ge"]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10], ["US", "ge", 10]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "ge", "domestic", 10]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
        "CoverTargets": [["target", "party", "mineral", "periods"], ["f", "US", "ge", 0.4]],
    }, 0.4, 10.0, {"US": -0.1}),
    # No risk at all (all demand supplied), so the cost is the floors' alone.
    # f1: US, ga, 1 period of net imports, domestic sources "domestic; aus": US ga demand
    #     8 then 12 (period override), domestic 3 + aus 1 each period, china the rest:
    #     net imports 4 and 8, average 6. US holds ga only in the joint stockpile at share
    #     0.25: 0.25·(S0 4 + a) ≥ 6, a = 20 at price 1 (+ n·hold 2·0.5): 40, US pays 10.
    # f2: stockpile joint, ge, 0.5 periods of its members' demand: US 2 + EU 6 = 8/period,
    #     Q = 4, S0 1: a = 3 at price 2: 6 (US 1.5, EU 4.5).
    # f3: party EU, ge, 0.1 periods (Q = 0.6): met by f2's level (0.75·4 = 3), slack.
    # Cost = 40 + 6 = 46.
    "cover_net_imports_joint": ({
        "Periods": [["period"], ["P1"], ["P2"]],
        "Parties": [["party", "budget"], ["US", None], ["EU", None]],
        "Minerals": [["mineral", "price"], ["ga", 1], ["ge", 2]],
        "Stockpiles": [["stockpile", "party", "cost_share"], ["joint", "US", 0.25],
                       ["joint", "EU", 0.75]],
        "Holdings": [["stockpile", "mineral", "initial_stock", "holding_cost"],
                     ["joint", "ga", 4, 0.5], ["joint", "ge", 1, None]],
        "Demand": [["party", "mineral", "period", "demand"], ["US", "ga", None, 8],
                   ["US", "ga", "P2", 12], ["US", "ge", None, 2], ["EU", "ge", None, 6]],
        "Supply": [["party", "mineral", "source", "period", "volume"],
                   ["US", "ga", "domestic", None, 3], ["US", "ga", "aus", None, 1],
                   ["US", "ga", "china", "P1", 4], ["US", "ga", "china", "P2", 8],
                   ["US", "ge", "china", None, 2], ["EU", "ge", "china", None, 6]],
        "Scenarios": [["scenario", "probability"], ["calm", 1]],
        "CoverTargets": [
            ["target", "party", "stockpile", "mineral", "periods", "basis",
             "domestic_sources"],
            ["f1", "US", None, "ga", 1, "net_imports", "domestic; aus"],
            ["f2", None, "joint", "ge", 0.5, None, None],
            ["f3", "EU", None, "ge", 0.1, "demand", None]],
    }, 0.0, 46.0, {}),
    # The average is over the whole horizon: US ga demand 20 in P2 only of 4 periods, so
    # 1 period of cover is Q = 20/4 = 5; S0 1, so a = 4 at price 1 + n·hold 4·0.25:
    # Cost = 8, R* = 0. (Averaging over periods with demand only would need Q = 20.)
    "cover_average_over_horizon": ({
        "Periods": [["period"], ["P1"], ["P2"], ["P3"], ["P4"]],
        "Parties": [["party"], ["US"]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Stockpiles": [["stockpile", "party"], ["nds", "US"]],
        "Holdings": [["stockpile", "mineral", "initial_stock", "holding_cost"],
                     ["nds", "ga", 1, 0.25]],
        "Demand": [["party", "mineral", "period", "demand"], ["US", "ga", "P2", 20]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "ga", "china", 20]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
        "CoverTargets": [["target", "party", "mineral", "periods"], ["f", "US", "ga", 1]],
    }, 0.0, 8.0, {}),
    # A stockpile target's net imports are floored per member before summing: US ga
    # demand 10, domestic 4 (net imports 6); EU ga demand 2, domestic 5 (net imports
    # max(0, −3) = 0). 1 period on the joint stockpile: Q = 6 (not 6 − 3 = 3), a = 6 at
    # price 1: Cost = 6, R* = 0.
    "cover_stockpile_net_imports": ({
        "Periods": [["period"], [2027]],
        "Parties": [["party"], ["US"], ["EU"]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Stockpiles": [["stockpile", "party", "cost_share"], ["joint", "US", 0.5],
                       ["joint", "EU", 0.5]],
        "Holdings": [["stockpile", "mineral"], ["joint", "ga"]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10], ["EU", "ga", 2]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "ga", "domestic", 4],
                   ["US", "ga", "china", 6], ["EU", "ga", "domestic", 5]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
        "CoverTargets": [["target", "stockpile", "mineral", "periods", "basis"],
                         ["f", "joint", "ga", 1, "net_imports"]],
    }, 0.0, 6.0, {}),
    # EU ga: demand 24 per period, baseline supply domestic 6 (excluded) + china 4. Cap
    # 0.5 on ga (overriding EU's * row of 0.3, which would make the china supply alone
    # break it). Offtakes: o_cn from china (fee 1, price 3, from P1), o_au from aus (fee
    # 0.5, price 0, max 4, from P2). P1 (o_au not delivering): china 4 + x_cn ≤
    # 0.5·(10 + x_cn), x_cn ≤ 2. P2: x_cn ≤ 2 + x_au. So x_cn = 2, x_au = 4: shortfall
    # 12 in P1, 8 in P2: L = 12/24 + 8/24 = 5/6 (one scenario: R* = 5/6).
    # Cost = fees 1·2 + 0.5·4 + deliveries 3·2·2 = 16. (Without the cap, x_cn = 14: R* = 0.)
    "concentration_cap_binds": ({
        "Periods": [["period"], ["P1"], ["P2"]],
        "Parties": [["party", "budget"], ["EU", None], ["US", None]],
        "Minerals": [["mineral", "price"], ["ga", 1], ["ge", 1]],
        "Demand": [["party", "mineral", "demand"], ["EU", "ga", 24], ["US", "ge", 5]],
        "Supply": [["party", "mineral", "source", "volume"], ["EU", "ga", "domestic", 6],
                   ["EU", "ga", "china", 4], ["US", "ge", "china", 5]],
        "Offtakes": [["offtake", "party", "mineral", "source", "max_volume", "fee", "price",
                      "first_period"],
                     ["o_cn", "EU", "ga", "china", 20, 1, 3, None],
                     ["o_au", "EU", "ga", "aus", 4, 0.5, 0, "P2"]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
        "ConcentrationLimits": [["party", "mineral", "max_share", "excluded_sources"],
                                ["EU", "*", 0.3, None],
                                ["EU", "ga", 0.5, "domestic"]],
    }, 5 / 6, 16.0, {}),
    # The same cap at the default share 0.65 and a * row: (china 4 + x_cn) ≤ 0.65·(10 +
    # x_cn) in P1: x_cn ≤ 2.5/0.35 = 50/7; P2 (o_au delivering, x_au = 4):
    # 0.35·x_cn ≤ 2.5 + 0.65·4, x_cn ≤ 5.1/0.35, slack. Shortfall 24 − 10 − 50/7 in P1 and
    # 24 − 14 − 50/7 in P2: L = (14 − 50/7 + 10 − 50/7)/24 = (24 − 100/7)/24 = 17/42.
    # Cost = 50/7 + 2 + 3·2·50/7 = 2 + 350/7 = 52.
    "concentration_cap_default_share": ({
        "Periods": [["period"], ["P1"], ["P2"]],
        "Parties": [["party"], ["EU"]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Demand": [["party", "mineral", "demand"], ["EU", "ga", 24]],
        "Supply": [["party", "mineral", "source", "volume"], ["EU", "ga", "domestic", 6],
                   ["EU", "ga", "china", 4]],
        "Offtakes": [["offtake", "party", "mineral", "source", "max_volume", "fee", "price",
                      "first_period"],
                     ["o_cn", "EU", "ga", "china", 20, 1, 3, None],
                     ["o_au", "EU", "ga", "aus", 4, 0.5, 0, "P2"]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
        "ConcentrationLimits": [["party", "mineral", "excluded_sources"],
                                ["EU", "*", "domestic"]],
    }, 17 / 42, 52.0, {}),
    # US ga: demand 10, china supply 10, cut to 0 in "ban" (0.5); in ban P2 demand doubles
    # (D = 20). Option "sub" cuts up to 30% of D from P2 (lead 1) at cost 5/t, fee 1 per
    # t/period; "late" (lead 2 = n) never works. Budget 2: u = 2, μ = 2 in ban P2.
    # L_ban = 10/10 + 18/10 = 2.8, L_calm = 0: R* = 0.5·1.4 + 0.5·2.8 = 2.1.
    # Cost = fee 2 + 0.5·5·2 = 7. ∂R*/∂B_US = −(0.5·0.5·0.1 + 0.5·0.1) = −0.075.
    "mitigation_binds": ({
        "Periods": [["period"], [2027], [2028]],
        "Parties": [["party", "budget"], ["US", 2]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "ga", "china", 10]],
        "Scenarios": [["scenario", "probability"], ["calm", 0.5], ["ban", 0.5]],
        "Disruptions": [["scenario", "source", "mineral", "availability"],
                        ["ban", "china", "ga", 0]],
        "DemandShocks": [["scenario", "party", "mineral", "start_period", "multiplier"],
                         ["ban", "US", "ga", 2028, 2]],
        "Mitigation": [["option", "party", "mineral", "max_share", "cost", "lead_time",
                        "fee"],
                       ["sub", "US", "ga", 0.3, 5, 1, 1],
                       ["late", "US", "ga", 1, 0, 2, 0.1]],
    }, 2.1, 7.0, {"US": -0.075}),
    # Mitigation capped by share·D (D the scenario's demand, shocked): no budget limit, fee
    # 0, share 0.3, lead 0. In ban D = 10 then 20 (shock ×2 in 2028): μ = 3 then 6.
    # L_ban = 7/10 + 14/10 = 2.1 (loss per baseline d = 10), R* = 0.5·1.05 + 0.5·2.1
    # = 1.575. Cost = 0.5·5·(3 + 6) = 22.5. (With share·d instead: μ ≤ 3, R* = 1.8.)
    "mitigation_share_bound": ({
        "Periods": [["period"], [2027], [2028]],
        "Parties": [["party"], ["US"]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "ga", "china", 10]],
        "Scenarios": [["scenario", "probability"], ["calm", 0.5], ["ban", 0.5]],
        "Disruptions": [["scenario", "source", "mineral", "availability"],
                        ["ban", "china", "ga", 0]],
        "DemandShocks": [["scenario", "party", "mineral", "start_period", "multiplier"],
                         ["ban", "*", "*", 2028, 2]],
        "Mitigation": [["option", "party", "mineral", "max_share", "cost"],
                       ["sub", "US", "ga", 0.3, 5]],
    }, 1.575, 22.5, {}),
}


@pytest.mark.parametrize("name", sorted(HAND_CASES))
def test_lever_hand_case(name: str, tmp_path: Path) -> None:
    sheets, risk, cost, duals = HAND_CASES[name]
    path = write_workbook(tmp_path / f"{name}.xlsx", sheets)
    summary = check_against_independent(path, sheets)
    assert "exit_code" not in summary, summary
    assert summary["risk"] == pytest.approx(risk, abs=1e-7)
    # Phase 2 may spend the 1e-7·max(1, R*) relaxation of R* on cost, so the cost is the
    # hand value to ~1e-6 relative, not exactly (check_against_independent holds 1e-4).
    assert summary["cost"] == pytest.approx(cost, rel=1e-5, abs=1e-6)
    for party, dual in duals.items():
        assert summary["budget_shadow_price"][party] == pytest.approx(dual, rel=1e-6)


INFEASIBLE_CASES = {
    # The floor needs 20 t at 1/t; the budget is 10.
    "cover_floor_over_budget": {
        "Periods": [["period"], [2027]],
        "Parties": [["party", "budget"], ["US", 10]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Stockpiles": [["stockpile", "party"], ["nds", "US"]],
        "Holdings": [["stockpile", "mineral"], ["nds", "ga"]],
        "Demand": [["party", "mineral", "demand"], ["US", "ga", 10]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
        "CoverTargets": [["target", "party", "mineral", "periods"], ["f", "US", "ga", 2]],
    },
    # Baseline supply from china alone breaks the 65% cap and no offtake can dilute it.
    "concentration_cap_by_data": {
        "Periods": [["period"], [2027]],
        "Parties": [["party"], ["EU"]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Demand": [["party", "mineral", "demand"], ["EU", "ga", 10]],
        "Supply": [["party", "mineral", "source", "volume"], ["EU", "ga", "china", 10]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
        "ConcentrationLimits": [["party", "mineral"], ["EU", "ga"]],
    },
    # Dilution is possible but not enough: china 10 ≤ 0.5·(10 + x_au) needs x_au ≥ 10,
    # the offtake offers 5.
    "concentration_cap_offtake_too_small": {
        "Periods": [["period"], [2027]],
        "Parties": [["party"], ["EU"]],
        "Minerals": [["mineral", "price"], ["ga", 1]],
        "Demand": [["party", "mineral", "demand"], ["EU", "ga", 10]],
        "Supply": [["party", "mineral", "source", "volume"], ["EU", "ga", "china", 10]],
        "Offtakes": [["offtake", "party", "mineral", "source", "max_volume"],
                     ["o", "EU", "ga", "aus", 5]],
        "Scenarios": [["scenario", "probability"], ["only", 1]],
        "ConcentrationLimits": [["party", "mineral", "max_share"], ["EU", "ga", 0.5]],
    },
}


@pytest.mark.parametrize("name", sorted(INFEASIBLE_CASES))
def test_lever_infeasible_case(name: str, tmp_path: Path) -> None:
    sheets = INFEASIBLE_CASES[name]
    path = write_workbook(tmp_path / f"{name}.xlsx", sheets)
    summary = check_against_independent(path, sheets)
    assert summary.get("exit_code") == 1, summary


# --------------------------------------------------------------------------------------
# Random workbooks with the lever sheets
# --------------------------------------------------------------------------------------

def random_floors(rng: random.Random, sheets: dict[str, list[list]],
                  wanted: set[tuple[str, str]], money: dict[str, float]) -> list[list]:
    """One or two CoverTargets rows, each asking for a level between the stock there and
    somewhat beyond what the holdings' capacity allows (converted into periods of the
    basis), so that floors bind on cost or risk, and now and then cannot be met. Members
    of the stockpiles concerned with a zero budget mostly get one (put in ``money``)."""
    base = data_from_sheets(sheets_from_lists(sheets))
    n = base.n_periods
    rows = [["target", "party", "stockpile", "mineral", "periods", "basis",
             "domestic_sources"]]
    party_floors = sorted({(p, m) for (k, m) in base.holdings for p in base.members[k]
                           if (p, m) in wanted or rng.random() < 0.1})
    pile_floors = [(k, m) for (k, m) in base.holdings
                   if any((p, m) in wanted for p in base.members[k]) or rng.random() < 0.1]
    for i in range(rng.randint(1, 2)):
        basis = rng.choice([None, "demand", "demand", "net_imports"])
        dom = ("domestic",)
        text = None
        if basis == "net_imports" and rng.random() < 0.5:
            dom = tuple(rng.sample(SOURCES, rng.randint(1, 2)))
            text = "; ".join(dom)
        if party_floors and (rng.random() < 0.6 or not pile_floors):
            p, m = rng.choice(party_floors)
            who, pile = [p], None
            held = [(k, base.members[k][p]) for k in base.stockpiles
                    if p in base.members[k] and (k, m) in base.holdings]
        else:
            pile, m = rng.choice(pile_floors or list(base.holdings))
            p, who, held = None, list(base.members[pile]), [(pile, 1.0)]
        # The level there now, and at capacity (10 t more where there is no capacity).
        s0 = sum(sh * base.holdings[(k, m)].initial_stock for k, sh in held)
        top = sum(sh * (base.holdings[(k, m)].initial_stock + 10.0
                        if base.holdings[(k, m)].max_stock is None
                        else base.holdings[(k, m)].max_stock) for k, sh in held)
        total = 0.0
        for q in who:
            for t in range(1, n + 1):
                d = base.demand.get((q, m, t), 0.0)
                if basis == "net_imports":
                    d = max(0.0, d - sum(base.supply.get((q, m, c, t), 0.0) for c in set(dom)))
                total += d
        avg = total / n
        target = s0 + rng.choice([0.0, 0.3, 0.6, 0.9, 1.2]) * (top - s0)
        periods = round(target / avg, 3) if avg > 0 else rng.choice([0, 0.5])
        rows.append([f"f{i}", p, pile, m, periods, basis, text])
        # A member with a zero budget could buy nothing: mostly give it some money.
        for k, _sh in held:
            for q in base.members[k]:
                if base.budget[q] == 0 and rng.random() < 0.8:
                    money[q] = rng.randint(10, 80)
    return rows


def add_random_levers(sheets: dict[str, list[list]], seed: int,
                      p_sheet: float = 0.6) -> dict[str, list[list]]:
    """``sheets`` (from random_sheets) plus, each with probability ``p_sheet``, a few
    CoverTargets, ConcentrationLimits and Mitigation rows that the workbook rules accept.
    A separate random stream, so the base workbook is random_sheets(seed) unchanged.

    Capped pairs usually get an offtake from another source to dilute with (so that the
    cap can bind on cost or risk rather than make the plan impossible); some floors and
    caps still cannot be met, which both solvers must then say."""
    rng = random.Random(10_007 * seed + 3)
    out = {name: [list(r) for r in rows] for name, rows in sheets.items()}
    parties = [r[0] for r in sheets["Parties"][1:]]
    minerals = [r[0] for r in sheets["Minerals"][1:]]
    labels = [r[0] for r in sheets["Periods"][1:]]
    n = len(labels)
    wanted = {(p, m) for p, m, _t, d, *_ in sheets["Demand"][1:] if d}

    def maybe(p: float, value: object) -> object:
        return value if rng.random() < p else None

    def sources() -> str:
        return "; ".join(rng.sample(SOURCES, rng.randint(1, 2)))

    if rng.random() < p_sheet:
        money: dict[str, float] = {}
        out["CoverTargets"] = random_floors(rng, sheets, wanted, money)
        out["Parties"] = [out["Parties"][0]] + [
            [p, money.get(p, b)] for p, b in out["Parties"][1:]]

    if rng.random() < p_sheet:
        rows = [["party", "mineral", "max_share", "excluded_sources"]]
        pairs = rng.sample([(p, m) for p in parties for m in [*minerals, "*"]],
                           rng.randint(1, min(2, len(parties) * (len(minerals) + 1))))
        offs = out.setdefault("Offtakes", [["offtake", "party", "mineral", "source",
                                            "max_volume", "fee", "price", "first_period"]])
        for j, (p, m) in enumerate(pairs):
            rows.append([p, m, maybe(0.7, rng.choice([0.5, 0.65, 0.8, 0.9, 1])),
                         maybe(0.6, sources())])
            for mm in (minerals if m == "*" else [m]):
                if rng.random() < 0.05:
                    continue
                row = dict.fromkeys(offs[0])
                row.update(offtake=f"dil{j}{mm}", party=p, mineral=mm,
                           source=rng.choice([*SOURCES, "aus"]), max_volume=rng.randint(10, 60),
                           fee=maybe(0.7, round(rng.uniform(0.1, 1), 2)),
                           price=maybe(0.5, round(rng.uniform(0, 5), 2)),
                           first_period=maybe(0.1, labels[rng.randrange(n)]))
                offs.append([row[c] for c in offs[0]])
        out["ConcentrationLimits"] = rows

    if rng.random() < p_sheet:
        rows = [["option", "party", "mineral", "max_share", "cost", "lead_time", "fee"]]
        for i in range(rng.randint(1, 3)):
            rows.append([f"mit{i}", rng.choice(parties), rng.choice(minerals),
                         rng.choice([0, 0.1, 0.3, 0.5, 1]),
                         maybe(0.6, round(rng.uniform(0, 6), 2)),
                         maybe(0.6, rng.randint(0, n)),
                         maybe(0.6, round(rng.uniform(0, 2), 2))])
        out["Mitigation"] = rows
    return without_unnamed_sources(out)


@pytest.mark.parametrize("seed", range(N_RANDOM_LEVERS))
def test_random_levers_agree(seed: int, tmp_path: Path) -> None:
    sheets = add_random_levers(random_sheets(seed), seed)
    if seed % 4 == 3:
        sheets = rescale(sheets, 1e3, 1e3)
    if seed % 3 == 2:
        sheets = scramble(sheets, seed)
    path = write_workbook(tmp_path / f"levers{seed}.xlsx", sheets)
    check_against_independent(path, sheets)
