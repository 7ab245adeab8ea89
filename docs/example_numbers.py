"""Regenerate the numbers README.md quotes from the bundled example.

    python docs/example_numbers.py [inputs/us_eu_example.xlsx]

Solves the bundled example (``stockopt.api``) and prints every figure the README's
"Reading the results" and "What the schedule says" quote: R*, expected loss, CVaR, cost,
spend and budget shadow prices per party and per (party, year), the loss per scenario,
what each stockpile buys, the order schedule by mineral and year, offtakes, swaps and the
largest expected shortfalls; then the variants the README quotes (the EU budget after 2027,
the policy levers one by one, access by shares), with the HiGHS version they were produced
with. The "Alone and together" figures come from ``docs/cooperation_numbers.py``, the
frontier's and the evaluation's from the commands the README shows.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import stockopt
from stockopt.solver.driver import highs_version

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "us_eu_example.xlsx"
POLICY = ROOT / "inputs" / "us_eu_policy.xlsx"


def bn(x: float) -> str:
    return f"{x / 1e9:.3f} bn"


def headline(r: stockopt.Results, data) -> None:  # noqa: ANN001
    cur = data.currency
    print(f"R* {r.risk:.4f}; expected loss {r.expected_loss:.4f}; CVaR {r.cvar:.4f}; "
          f"cost {bn(r.cost)} {cur}")
    for p, c in r.currencies.items():
        print(f"  {p}: spend {bn(r.spend[p])} {cur} = {bn(c['spend_own'])} {c['currency']} "
              f"of budget {bn(c['budget_own'])} {c['currency']}; shadow price per "
              f"{c['currency']} {r.budget_shadow_price[p]:.3g}")
        print(f"     own risk {r.parties[p]['risk']:.2f} (E {r.parties[p]['expected_loss']:.2f}, "
              f"CVaR {r.parties[p]['cvar']:.2f})")
    print("  spend by lever: " + "; ".join(
        f"{p}: " + ", ".join(f"{k} {bn(v)}" for k, v in levers.items())
        for p, levers in r.spend_by_lever.items()))


def main(path: Path) -> None:
    wb = stockopt.load(path)
    data = wb.data
    print(f"# {path.name}, HiGHS {highs_version()}, stockopt {stockopt.__version__}")
    r = stockopt.solve(data)
    print("\n## headline")
    headline(r, data)

    print("\n## spend and budget shadow price per party and year (own currency)")
    for p, per in r.spend_by_period.items():
        rate = r.currencies[p]["rate"]
        cur = r.currencies[p]["currency"]
        for t, spent in per.items():
            k = data.periods.index(t) + 1 if t in data.periods else t
            budget = data.period_budgets_entered.get((p, k))
            print(f"  {p} {t}: spend {bn(spent / rate)} {cur} of "
                  f"{bn(budget) if budget is not None else '-'}; shadow price "
                  f"{r.period_budget_shadow_price[p][t]:.3g}")

    print("\n## loss per scenario (periods of baseline demand lost)")
    sl = r.tables["scenario_losses"].sort_values("loss", ascending=False)
    for row in sl.itertuples():
        print(f"  {row.scenario:18s} p {row.probability:.2f}  loss {row.loss:.3f}")
    tail, need = [], 1 - data.cvar_alpha
    for row in sl.itertuples():
        take = min(row.probability, need)
        if take > 1e-12:
            tail.append(f"{take:.2f}·{row.loss:.2f}")
        need -= take
    print(f"  CVaR tail: ({' + '.join(tail)})/{1 - data.cvar_alpha:.1f}")

    print("\n## what each stockpile buys in all (t; max_stock)")
    pur = r.tables["purchases"]
    for row in pur[pur.purchase > 1e-6].itertuples():
        print(f"  {row.stockpile:13s} {row.mineral:16s} {row.purchase:10,.1f} of "
              f"{row.max_stock:10,.1f}")

    print("\n## order schedule: tonnes ordered per mineral and order year (all stockpiles); "
          "lead time; arrival = order + lead")
    orders = r.tables["orders"]
    table = (orders.pivot_table(index="mineral", columns="order_period", values="tonnes",
                                aggfunc="sum", fill_value=0.0)
             .reindex(index=[m for m in data.minerals if m in set(orders.mineral)]))
    print(f"  {'mineral':16s} lead " + " ".join(f"{t:>9s}" for t in table.columns))
    for m, row in table.iterrows():
        print(f"  {m:16s} {data.lead_time.get(m, 0):4.0f} "
              + " ".join(f"{v:9,.0f}" if v > 1e-6 else f"{'-':>9s}" for v in row))
    print("\n## order schedule per stockpile (t ordered in each year)")
    for (k, m), g in orders[orders.tonnes > 1e-6].groupby(["stockpile", "mineral"], sort=False):
        print(f"  {k:13s} {m:16s} " + "; ".join(
            f"{t.order_period} {t.tonnes:,.1f}" for t in g.itertuples()))
    print("\n## spending on orders per order year (purchase cost, USD, all stockpiles)")
    print("  " + "; ".join(f"{t} {bn(v)}" for t, v in
                           orders.groupby("order_period").purchase_cost.sum().items()))

    off = r.tables["offtakes"]
    print(f"\n## offtakes: {int(off.chosen.sum())} of {len(off)} chosen; "
          f"not chosen: {', '.join(off[~off.chosen].offtake)}; below max_volume: "
          + ", ".join(f"{o.offtake} {o.capacity:,.0f}/{o.max_volume:,.0f}"
                      for o in off[off.chosen & (off.capacity < off.max_volume - 1e-6)]
                      .itertuples()))
    sw = r.tables["swaps"]
    print("## swaps chosen: " + "; ".join(f"{s.swap} {s.capacity:,.1f} t"
                                          for s in sw[sw.chosen].itertuples()))

    print("\n## largest expected shortfalls (t over the horizon)")
    sh = r.tables["shortfalls"]
    prob = data.probability
    sh = sh.assign(expected=sh.shortfall * sh.scenario.map(prob))
    top = sh.groupby(["party", "mineral"]).expected.sum().sort_values(ascending=False)
    for (p, m), v in top.head(6).items():
        print(f"  {p} {m:16s} {v:10,.1f}")

    print("\n## variants")
    for later in (0.0, 0.5e9):
        pb = dict(data.period_budgets)
        pbe = dict(data.period_budgets_entered)
        rate = data.exchange_rates.get("EUR", 1.0)
        for k in range(2, len(data.periods) + 1):
            pb[("EU", k)] = later * rate
            pbe[("EU", k)] = later
        total = pbe[("EU", 1)] + later * (len(data.periods) - 1)
        v = stockopt.solve(dataclasses.replace(
            data, period_budgets=pb, period_budgets_entered=pbe,
            budget={**data.budget, "EU": total * rate},
            budget_entered={**data.budget_entered, "EU": total}))
        print(f"  EU {later / 1e9:g} bn EUR a year 2028-2031: R* {v.risk:.4f}, cost "
              f"{bn(v.cost)}, EU spend {bn(v.spend['EU'])} USD, EU shadow prices per year "
              + ", ".join(f"{t} {x:.3g}" for t, x in v.period_budget_shadow_price['EU'].items()))

    shares = {k: "shares" for k in data.stockpiles if len(data.members[k]) > 1}
    v = stockopt.solve(dataclasses.replace(data, access=shares))
    jp = v.tables["purchases"]
    jp = jp[jp.stockpile.isin(shares)]
    print(f"  access shares on {', '.join(shares)}: R* {v.risk:.4f}, cost {bn(v.cost)}; "
          f"R_US {v.parties['US']['risk']:.2f}, R_EU {v.parties['EU']['risk']:.2f}; joint "
          + ", ".join(f"{x.mineral} {x.purchase:,.0f}" for x in jp.itertuples()))

    pol = stockopt.load(POLICY).data
    none = dict(cover_targets={}, concentration_limits=[], mitigations={})
    variants = {
        "cover floors only": dict(none, cover_targets=pol.cover_targets),
        "concentration caps only": dict(none, concentration_limits=pol.concentration_limits),
        "mitigation only": dict(none, mitigations=pol.mitigations),
        "all three (us_eu_policy.xlsx)": {},
    }
    print(f"  bundled example: R* {r.risk:.2f}, E {r.expected_loss:.2f}, "
          f"CVaR {r.cvar:.2f}, cost {r.cost / 1e9:.2f} bn")
    for name, change in variants.items():
        v = stockopt.solve(dataclasses.replace(pol, **change))
        print(f"  {name}: R* {v.risk:.2f}, E {v.expected_loss:.2f}, CVaR {v.cvar:.2f}, "
              f"cost {v.cost / 1e9:.2f} bn")
        if "cover_floors" in v.tables and len(v.tables["cover_floors"]):
            f = v.tables["cover_floors"]
            at = f[f.level <= f.required * (1 + 1e-9) + 1e-9]
            print(f"    floors held exactly at their level: {len(at)} of {len(f)}: "
                  + ", ".join(f"{x.target} {x.required:,.1f} t" for x in at.itertuples()))
        if "mitigations" in v.tables and len(v.tables["mitigations"]):
            mt = v.tables["mitigations"]
            print("    mitigation prepared: " + ", ".join(
                f"{x.option} {x.capacity:,.0f} t/yr (fee {x.fee_paid / 1e6:,.1f} M)"
                for x in mt.itertuples()))
        if "concentration" in v.tables and len(v.tables["concentration"]):
            c = v.tables["concentration"]
            c = c[~c.excluded.astype(bool)]
            top = c.sort_values("share_before", ascending=False).groupby(
                ["party", "mineral"]).head(1)
            print("    largest capped shares before -> after: " + ", ".join(
                f"{x.party} {x.mineral} {x.source} {x.share_before:.0%} -> {x.share_after:.0%}"
                for x in top.itertuples()))
            off = v.tables["offtakes"]
            print("    offtakes chosen: " + ", ".join(
                f"{x.offtake} {x.capacity:,.0f}" for x in off[off.chosen].itertuples()))
    v = stockopt.solve(dataclasses.replace(
        pol, access={k: "shares" for k in pol.stockpiles if len(pol.members[k]) > 1}))
    print(f"  us_eu_policy.xlsx with access shares: R* {v.risk:.2f}")

    try:
        stockopt.solve(dataclasses.replace(data, max_risk={p: 0.5 for p in data.parties}))
    except stockopt.SolveFailed as failed:
        print(f"\n## max_risk 0.5 for every party: {failed.explanation or failed}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else EXAMPLE)
