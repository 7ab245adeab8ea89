"""The frontier benchmark: the same sweep solved warm (the model built once) and cold.

    python benchmarks/frontier.py                  # the bundled example and size s
    python benchmarks/frontier.py s --steps 11     # chosen instances

For each instance the default sweep (every budget scaled from 0× to 2×) is solved three
ways, each producing the same per-point numbers:

* ``warm``: ``stockopt.studies.frontier.run_frontier``: build the arrays and load HiGHS once, then
  per point change the budget bounds and re-solve both phases hot (two HiGHS instances,
  largest budget first); its total includes the one build;
* ``LoadedLP``: one ``LoadedLP`` re-solved with ``set_budget`` + ``solve()`` per point
  (phase 1 from the previous phase-1 basis, phase 2 by primal simplex from phase 1);
* ``cold``: per point, build the arrays, a new ``LoadedLP``, solve (what running
  ``stockopt solve`` once per point costs, without the file reading and writing).

It prints seconds per point, the totals and the ratio cold/warm (target ≥ 8×), and
checks that every point agrees (risk within 1e-6 + 1e-5·|R|, cost within 1e-4).
The machine may be shared: run it when nothing else is, and more than once.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # measure this checkout, even if another copy is installed
EXAMPLE = HERE.parent / "inputs" / "us_eu_example.xlsx"


def loadedlp_sweep(data, sweep) -> tuple[list[float], list[float], list[float]]:  # noqa: ANN001
    """Per-point seconds, risks and costs of re-solving one LoadedLP (its budget setters, and
    the driver for the PeriodBudgets rows)."""
    from stockopt.model import build_matrix_lp
    from stockopt.model.index import build_index
    from stockopt.solver import driver
    from stockopt.solver.highs import LoadedLP
    from stockopt.studies.frontier import budgets_at, data_for, period_budgets_at

    base = data_for(data, sweep, sweep.values[-1])
    loaded = LoadedLP(build_matrix_lp(base, build_index(base)))
    seconds, risks, costs = [], [], []
    for value in sweep.values:
        t0 = time.perf_counter()
        budgets, pooled = budgets_at(sweep, value)
        for party in loaded.budget_rows:
            loaded.set_budget(party, budgets.get(party))
        if loaded.pooled_row is not None:
            loaded.set_pooled_budget(pooled)
        # PeriodBudgets rows move with the sweep as well (FORMULATION-v2 section 6)
        driver.set_budget_rows([loaded.h], loaded.lp, driver.budget_row_bounds(
            loaded.lp, budgets, pooled, period_budgets_at(sweep, value)))
        outcome = loaded.solve()
        loaded.solution()
        seconds.append(time.perf_counter() - t0)
        risks.append(float(outcome.risk))
        costs.append(float(outcome.cost))
    return seconds, risks, costs


def bench(name: str, path: Path, steps: int, with_loadedlp: bool,
          with_pyomo: bool = False) -> dict:
    """Run the three variants on one instance; print the table; return the totals."""
    from stockopt.studies.frontier import define_sweep, run_cold, run_frontier
    from stockopt.workbook.normalize import load

    data = load(path).data
    if data is None:
        raise SystemExit(f"{path} does not validate")
    sweep = define_sweep(data, steps=steps)
    t0 = time.perf_counter()
    warm = run_frontier(data, sweep)
    warm_total = time.perf_counter() - t0
    t0 = time.perf_counter()
    other = run_frontier(data, sweep, phase2_start="phase1")
    other_total = time.perf_counter() - t0
    same = all(abs(a.risk - b.risk) <= 1e-6 + 1e-5 * abs(b.risk)
               for a, b in zip(other.points, warm.points, strict=True))
    if with_loadedlp:
        t0 = time.perf_counter()
        ll_seconds, ll_risks, ll_costs = loadedlp_sweep(data, sweep)
        ll_total = time.perf_counter() - t0
    t0 = time.perf_counter()
    cold = run_cold(data, sweep)
    cold_total = time.perf_counter() - t0
    t0 = time.perf_counter()
    rebuilt = run_cold(data, sweep, builder="pyomo") if with_pyomo else None
    rebuilt_total = time.perf_counter() - t0

    print(f"\n{name}: {path.name}; {sweep.describe()}")
    print(f"  build + load once (warm): {warm.build_seconds:.3f} s; warm phases re-run cold: "
          f"{warm.fallbacks}; variant with phase 2 from each point's phase-1 basis: "
          f"{other_total:.3f} s, risks agree: {same}")
    head = f"  {'scale':>6} {'risk R*':>12} {'warm s':>8} {'start':>5} {'iters':>6}"
    head += f" {'LoadedLP s':>10}" if with_loadedlp else ""
    head += f" {'cold s':>8} {'cold/warm':>9}"
    print(head + (f" {'Pyomo s':>8} {'Pyomo/warm':>10}" if with_pyomo else ""))
    agree = True
    for i, (w, c) in enumerate(zip(warm.points, cold, strict=True)):
        ok = (abs(w.risk - c.risk) <= 1e-6 + 1e-5 * abs(c.risk)
              and abs(w.cost - c.cost) <= 1e-4 * max(1.0, abs(c.cost)))
        if with_loadedlp:
            ok = ok and abs(ll_risks[i] - c.risk) <= 1e-6 + 1e-5 * abs(c.risk)
        agree = agree and ok
        line = (f"  {w.value:>5.2f}× {w.risk:>12.6g} {w.seconds:>8.3f} "
                f"{'warm' if w.warm else 'cold':>5} {w.iterations:>6}")
        line += f" {ll_seconds[i]:>10.3f}" if with_loadedlp else ""
        line += f" {c.seconds:>8.3f} {c.seconds / w.seconds:>8.1f}×"
        if rebuilt is not None:
            r = rebuilt[i]
            ok = ok and abs(r.risk - c.risk) <= 1e-6 + 1e-5 * abs(c.risk)
            line += f" {r.seconds:>8.3f} {r.seconds / w.seconds:>9.1f}×"
        print(line + ("" if ok else "  MISMATCH"))
    ratio = cold_total / warm_total
    print(f"  total: warm {warm_total:.3f} s (incl. build), "
          + (f"LoadedLP re-solve {ll_total:.3f} s, " if with_loadedlp else "")
          + f"cold {cold_total:.3f} s; ratio cold/warm {ratio:.1f}× (target ≥ 8×); "
          + (f"Pyomo rebuild per point {rebuilt_total:.3f} s, ratio "
             f"{rebuilt_total / warm_total:.1f}×; " if with_pyomo else "")
          + ("all points agree" if agree else "POINTS DISAGREE"))
    return {"name": name, "warm": warm_total, "cold": cold_total, "ratio": ratio,
            "agree": agree, "pyomo_ratio": rebuilt_total / warm_total if with_pyomo else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instances", nargs="*", default=["example", "s"],
                        help="'example' and/or generated sizes (xs, s, m, l)")
    parser.add_argument("--steps", type=int, default=11)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-loadedlp", action="store_true",
                        help="skip the LoadedLP.solve re-solve variant")
    parser.add_argument("--pyomo", action="store_true",
                        help="also solve every point cold by rebuilding the Pyomo model (the "
                        "issue's 'rebuilding per point')")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from generate import write_instance

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.instances:
            path = EXAMPLE if name == "example" else write_instance(
                name, Path(tmp) / f"{name}.xlsx", args.seed)
            results.append(bench(name, path, args.steps, not args.no_loadedlp, args.pyomo))
    print("\nsummary (cold/warm): " + "; ".join(
        f"{r['name']} {r['ratio']:.1f}×" + (f" (Pyomo rebuild {r['pyomo_ratio']:.1f}×)"
                                            if r["pyomo_ratio"] else "") for r in results))
    if not all(r["agree"] for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
