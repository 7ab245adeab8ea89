"""Regenerate the numbers README.md quotes in "How robust is the plan" (issue #20).

    python docs/sensitivity_numbers.py

On the bundled example (inputs/us_eu_example.xlsx): the price of every limit (the three
that matter most, and how many bind), the one-at-a-time sensitivity (±20%, every group: the
tornado's top ten, what re-planning is worth, the solves and their time, warm-started
rebuilds against rebuilds from scratch), and a comparison of the example's plan with the
plan solved with every budget (and period budget) halved, on the example's scenarios.
Prints the HiGHS version the numbers come from. Timings depend on the machine and its
load.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

import stockopt
from stockopt.results.limits import ranked
from stockopt.solver.driver import highs_version
from stockopt.studies.comparison import headline
from stockopt.studies.sensitivity import run_sensitivity

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "us_eu_example.xlsx"


def limits(results: stockopt.Results, currency: str) -> None:
    binding = ranked(results.limit_prices, results.risk)
    print(f"\n## the price of every limit: {len(results.limit_prices)} limits, "
          f"{len(binding)} bind")
    print("| rank | limit | value | ∂R*/∂limit (periods per unit) | R* lower by, 1% relaxed |")
    print("|---|---|---|---|---|")
    for i, p in enumerate(binding[:6], start=1):
        print(f"| {i} | {p.words} | {p.value:,.6g} {p.unit(currency)} | {p.price:.4g} | "
              f"{p.gain_per_percent:.4f} |")


def sensitivity(data) -> None:  # noqa: ANN001
    for warm in (True, False):
        t0 = time.perf_counter()
        run = run_sensitivity(data, warm_rebuilds=warm)
        seconds = time.perf_counter() - t0
        print(f"\n## sensitivity ±20%, rebuilt points {'from the base basis' if warm else 'cold'}:"
              f" {len(run.groups)} groups, {run.solves} solves, {seconds:.1f} s "
              f"(base {run.seconds['base']:.2f} s), hot starts re-run cold {run.fallbacks}")
    print(f"R* {run.base_risk:.4f}; the plan kept: {run.base_fixed_risk:.4f}")
    print("| group | R* at −20% | R* at +20% | the plan kept, −20% | the plan kept, +20% |")
    print("|---|---|---|---|---|")
    for g in run.tornado()[:10]:
        lo, hi = run.point(g, "low"), run.point(g, "high")
        print(f"| {g.label} | {lo.risk:.2f} ({lo.risk - run.base_risk:+.2f}) | {hi.risk:.2f} "
              f"({hi.risk - run.base_risk:+.2f}) | {lo.fixed_risk:.2f} | {hi.fixed_risk:.2f} |")
    worth = sorted(run.points, key=lambda p: -p.replanning_gain)
    print("re-planning worth most: " + "; ".join(
        f"{p.group.label} {p.side} {p.replanning_gain:.3f}" for p in worth[:4])
        + f"; every other point at most {worth[4].replanning_gain:.3f}")
    broken = [f"{p.group.label} {p.side}" for p in run.points if p.breaks]
    print("the plan breaks a varied limit at: " + (", ".join(broken) or "none"))
    flat = [g.label for g in run.groups if run.swing(g) < 1e-6]
    print(f"groups that do not move R*: {len(flat)} ({', '.join(flat)})")


def comparison(wb: stockopt.Workbook) -> None:
    data = wb.data
    half = dataclasses.replace(
        data, budget={p: None if b is None else b / 2 for p, b in data.budget.items()},
        period_budgets={k: b / 2 for k, b in data.period_budgets.items()})
    with tempfile.TemporaryDirectory() as tmp:
        a = stockopt.write_report(stockopt.solve(data), wb, Path(tmp) / "example-results.xlsx")
        b = stockopt.write_report(stockopt.solve(half), wb, Path(tmp) / "half-results.xlsx")
        result = stockopt.compare_plans(data, [(a, stockopt.read_plan(a)),
                                               (b, stockopt.read_plan(b))])
    print("\n## compare: the example's plan against the plan solved at half the budgets")
    table = headline(result, data)
    for row in table.to_dict(orient="records"):
        if row["differs"] == "yes" or row["measure"] in ("risk R", "cost"):
            print(f"  {row['measure']}: " + ", ".join(
                f"{n} {row[n]:,.4f}" for n in result.names) + f" ({row['differs']})")
    print(f"  {len(result.decisions)} decisions differ; largest:")
    top = result.decisions.reindex(result.decisions["difference"].abs()
                                   .sort_values(ascending=False).index).head(4)
    for row in top.to_dict(orient="records"):
        print(f"    {row['decision']} ({row['kind']}): " + ", ".join(
            f"{n} {row[n]:,.1f}" for n in result.names) + f" {row['unit']}")


def main() -> None:
    wb = stockopt.load(EXAMPLE)
    print(f"# {EXAMPLE.name}, HiGHS {highs_version()}, stockopt {stockopt.__version__}")
    results = stockopt.solve(wb)
    limits(results, wb.data.currency)
    sensitivity(wb.data)
    comparison(wb)


if __name__ == "__main__":
    main()
