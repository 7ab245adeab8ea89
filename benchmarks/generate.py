"""A seeded generator of valid v1 input workbooks at named sizes, for benchmarks.

Sizes are chosen so the extensive-form LP has about the named number of nonzeros:
``s`` ≈ 100 k, ``m`` ≈ 1 M, ``l`` ≈ 3 M; ``m150`` ≈ 1 M in 150 scenarios of 8 periods
(more scenarios, so more rows to write per nonzero: the case issue #18 timed).
Everything is drawn from ``random.Random(seed)``, so the same size and seed give the same
workbook.

Usage: ``python benchmarks/generate.py m -o /tmp/m.xlsx [--seed 7]``.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path

from stockopt.workbook.template import write_input_workbook


@dataclass(frozen=True)
class Size:
    """Dimensions of a generated instance."""

    parties: int
    minerals: int
    periods: int
    scenarios: int
    sources_per_mineral: int = 4


SIZES: dict[str, Size] = {
    "xs": Size(parties=2, minerals=4, periods=4, scenarios=5),
    "s": Size(parties=3, minerals=12, periods=8, scenarios=26),
    "m": Size(parties=3, minerals=20, periods=12, scenarios=100),
    "m150": Size(parties=3, minerals=20, periods=8, scenarios=150),
    "l": Size(parties=4, minerals=24, periods=12, scenarios=200),
}
"""Named sizes. Roughly 14 nonzeros per (party, mineral, period, scenario)."""


TIMINGS = ("start", "periods")
"""purchase_timing of the generated instance: v1's single purchase before period 1, or
orders in every period (FORMULATION-v2 section 6)."""


def generate_tables(size: Size, seed: int = 7, timing: str = "start"
                    ) -> dict[str, list[dict[str, object]]]:
    """Input tables (sheet -> rows keyed by column) for a random but plausible instance.

    With ``timing`` "periods" the same instance (every draw of the "start" one is kept)
    gains orders over time: purchase_timing periods, a lead time of 0 to 2 periods per
    mineral, and PeriodBudgets of twice an even share of each party's budget per period,
    so the annual limits bind in the years the plan wants to buy most."""
    rng = random.Random(seed)
    parties = [f"P{i + 1}" for i in range(size.parties)]
    minerals = [f"m{j + 1:02d}" for j in range(size.minerals)]
    periods = [str(2027 + t) for t in range(size.periods)]
    scenarios = [f"s{k + 1:04d}" for k in range(size.scenarios)]
    sources = [f"c{i + 1:02d}" for i in range(max(size.sources_per_mineral * 2, 6))]

    price = {m: round(rng.uniform(1_000, 500_000), 0) for m in minerals}
    demand = {(p, m): round(rng.uniform(50, 5_000), 1) for p in parties for m in minerals}
    tables: dict[str, list[dict[str, object]]] = {
        "Settings": [{"key": "risk_weight", "value": 0.5}, {"key": "cvar_alpha", "value": 0.9}],
        "Periods": [{"period": t} for t in periods],
        "Minerals": [{"mineral": m, "price": price[m],
                      "max_acquisition": round(sum(demand[(p, m)] for p in parties)
                                               * rng.uniform(1, 3), 0)} for m in minerals],
    }
    # budgets: enough for about a third of one year's demand at market prices
    yearly = {p: sum(demand[(p, m)] * price[m] for m in minerals) for p in parties}
    tables["Parties"] = [{"party": p, "budget": round(yearly[p] * 0.35, 0)} for p in parties]

    stockpiles = []
    for p in parties:
        stockpiles.append({"stockpile": f"nat_{p}", "party": p, "cost_share": None})
    joint_members = parties[:2]
    for p in joint_members:
        stockpiles.append({"stockpile": "joint", "party": p, "cost_share": 0.5})
    tables["Stockpiles"] = stockpiles
    holdings = []
    for p in parties:
        for m in minerals:
            holdings.append({"stockpile": f"nat_{p}", "mineral": m,
                             "initial_stock": round(demand[(p, m)] * rng.uniform(0, 0.3), 1),
                             "max_stock": round(demand[(p, m)] * rng.uniform(2, 4), 1),
                             "holding_cost": round(price[m] * 0.02, 2),
                             "max_release": round(demand[(p, m)] * rng.uniform(0.5, 1.5), 1)})
    for m in minerals:
        holdings.append({"stockpile": "joint", "mineral": m, "initial_stock": 0,
                         "max_stock": None, "holding_cost": round(price[m] * 0.015, 2),
                         "max_release": None})
    tables["Holdings"] = holdings

    tables["Demand"] = [{"party": p, "mineral": m, "period": None, "demand": demand[(p, m)],
                         "criticality": rng.choice([1, 1, 1, 2, 3])}
                        for p in parties for m in minerals]
    supply = []
    mineral_sources: dict[str, list[str]] = {}
    for m in minerals:
        chosen = rng.sample(sources, size.sources_per_mineral)
        mineral_sources[m] = chosen
        shares = [rng.random() for _ in chosen]
        total = sum(shares)
        for p in parties:
            for c, share in zip(chosen, shares, strict=True):
                supply.append({"party": p, "mineral": m, "source": c, "period": None,
                               "volume": round(demand[(p, m)] * 0.95 * share / total, 2)})
    tables["Supply"] = supply

    offtakes = []
    for p in parties:
        for m in minerals:
            c = rng.choice(mineral_sources[m])
            offtakes.append({"offtake": f"o_{p}_{m}", "party": p, "mineral": m, "source": c,
                             "max_volume": round(demand[(p, m)] * 0.3, 1),
                             "fee": round(price[m] * 0.05, 2), "price": price[m],
                             "first_period": periods[rng.randrange(min(2, len(periods)))]})
    tables["Offtakes"] = offtakes
    swaps = []
    for i, m in enumerate(minerals):
        lender, receiver = parties[i % len(parties)], parties[(i + 1) % len(parties)]
        back = minerals[(i + 1) % len(minerals)] if i % 5 == 0 else m
        swaps.append({"swap": f"w_{receiver}_{m}", "lender_stockpile": f"nat_{lender}",
                      "receiver": receiver, "mineral": m, "return_mineral": back,
                      "return_ratio": round(rng.uniform(1.02, 1.09), 3),
                      "return_lag": rng.randint(1, 3),
                      "max_volume": round(demand[(receiver, m)] * 0.5, 1),
                      "fee": round(price[m] * 0.01, 2)})
    tables["Swaps"] = swaps

    probs = [rng.random() for _ in scenarios]
    total = sum(probs)
    probs = [round(x / total, 12) for x in probs]
    probs[-1] = round(1.0 - sum(probs[:-1]), 12)
    tables["Scenarios"] = [{"scenario": s, "probability": pr, "description": "sampled"}
                           for s, pr in zip(scenarios, probs, strict=True)]
    disruptions, shocks = [], []
    for s in scenarios:
        for _ in range(rng.randint(1, 4)):
            m = rng.choice(minerals)
            start = rng.randrange(len(periods))
            end = min(len(periods) - 1, start + rng.randint(0, 3))
            disruptions.append({"scenario": s, "source": rng.choice(mineral_sources[m]),
                                "mineral": rng.choice([m, m, "*"]),
                                "start_period": periods[start], "end_period": periods[end],
                                "availability": round(rng.choice([0, 0, 0.2, 0.5]), 2)})
        if rng.random() < 0.3:
            start = rng.randrange(len(periods))
            shocks.append({"scenario": s, "party": "*", "mineral": rng.choice(minerals),
                           "start_period": periods[start], "end_period": None,
                           "multiplier": round(rng.uniform(1.1, 1.6), 2)})
    tables["Disruptions"] = disruptions
    tables["DemandShocks"] = shocks
    if timing == "periods":  # drawn after everything else: the v1 instance is unchanged
        tables["Settings"].append({"key": "purchase_timing", "value": "periods"})
        for row in tables["Minerals"]:
            row["lead_time"] = rng.choice([0, 0, 1, 2])
        tables["PeriodBudgets"] = [
            {"party": row["party"], "period": t,
             "budget": round(float(row["budget"]) * 2 / len(periods), 0)}
            for row in tables["Parties"] for t in periods]
    return tables


def write_instance(name: str, path: Path, seed: int = 7, timing: str = "start") -> Path:
    """Generate size ``name`` (with ``timing``) and write it as an input workbook at
    ``path``."""
    size = SIZES[name]
    write_input_workbook(path, generate_tables(size, seed, timing),
                         title=f"stockopt benchmark instance '{name}' (seed {seed}, "
                               f"purchase_timing {timing})",
                         notes=[("Generated", f"benchmarks/generate.py, size {name}: {size}, "
                                              f"timing {timing}")])
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timing", choices=TIMINGS, default="start",
                        help="purchase_timing of the instance (periods: orders over time)")
    args = parser.parse_args()
    write_instance(args.size, args.output, args.seed, args.timing)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
