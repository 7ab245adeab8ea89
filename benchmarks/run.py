"""The benchmark ladder: time every step of `stockopt solve` at named sizes.

    python benchmarks/run.py                 # example, s, m, m150, l
    python benchmarks/run.py s m --seed 7    # chosen sizes

Each size runs in its own process (so peak memory is its own): generate the workbook
(not timed), then read, validate, normalize, build, hand to HiGHS, solve phase 1 and
phase 2, extract, write the output workbook. As the reference, the very same LP is
exported to an MPS file and solved by highspy alone, in a fresh process, with the same
two phases and options; the table shows stockopt's total against it.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # measure this checkout, even if another copy is installed
ROOT = HERE.parent
EXAMPLE = ROOT / "inputs" / "us_eu_example.xlsx"
SIZES = ["example", "s", "m", "m150", "l"]


def measure(size: str, seed: int, folder: Path, algorithm: str, builder: str,
            timing: str = "start") -> dict:
    """Run the pipeline once for ``size`` in this process; return the measurements."""
    sys.path.insert(0, str(HERE))
    from generate import write_instance

    from stockopt.model import build_model, render_matrix, state_model
    from stockopt.report.workbook import RunAudit, write_report
    from stockopt.results.extract import extract
    from stockopt.solver.highs import LoadedLP
    from stockopt.workbook.normalize import normalize
    from stockopt.workbook.problems import Problems
    from stockopt.workbook.reader import read_workbook
    from stockopt.workbook.validate import validate

    path = EXAMPLE if size == "example" else write_instance(size, folder / f"{size}.xlsx", seed,
                                                            timing)
    t: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        t[name] = now - clock
        clock = now

    problems = Problems()
    raw = read_workbook(path, problems)
    lap("read")
    validate(raw, problems)
    assert not problems.has_errors, [p.message for p in problems.errors][:5]
    lap("validate")
    data = normalize(raw)
    lap("normalize")
    if builder == "pyomo":
        model = build_model(data)
        statement = model.statement
        lap("build")
        loaded = LoadedLP(model)  # compiles the Pyomo model to arrays, then hands off
    else:
        statement = state_model(data)
        lp = render_matrix(statement)
        lap("build")
        loaded = LoadedLP(lp)
    lap("handoff")
    outcome = loaded.solve(algorithm=algorithm)
    t["phase1"] = outcome.timings["phase1"]
    t["phase2"] = outcome.timings["phase2"]
    t["phase3"] = outcome.timings.get("phase3", 0.0)
    clock = time.perf_counter()
    results = extract(loaded.solution(), data, outcome, statement)
    lap("extract")
    write_report(folder / f"{size}-results.xlsx", results, data, RunAudit(path))
    lap("write")
    mps = folder / f"{size}.mps"
    loaded.reset_to_phase1()  # export the phase-1 LP as loaded
    loaded.h.writeModel(str(mps))
    import numpy as np

    np.savez(folder / f"{size}-phase2.npz", cost=loaded.lp.cost_cost,
             risk=loaded.lp.risk_cost, risk_scale=loaded.risk_row.scale)
    return {"size": size, "rows": outcome.rows, "columns": outcome.columns,
            "nonzeros": outcome.nonzeros, "scenarios": len(data.scenarios),
            "risk": outcome.risk, "cost": outcome.cost, "times": t,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "mps": str(mps)}


def reference(mps: str, algorithm: str) -> dict:
    """highspy alone: read the MPS, phase 1, add the risk row, phase 2 (same options)."""
    import highspy
    import numpy as np

    from stockopt.solver.highs import (
        ALGORITHMS,
        DUAL_TOLERANCE,
        PHASE2_OPTIONS,
        RISK_BOUND_RELATIVE,
        TIE_BREAK,
        TIE_BREAK_OPTIONS,
    )

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(mps)
    lp = h.getLp()
    risk_cost = np.asarray(lp.col_cost_)
    extra = Path(mps).with_name(Path(mps).stem + "-phase2.npz")
    arrays = np.load(extra) if extra.exists() else None
    all_cols = np.arange(len(risk_cost), dtype=np.int32)
    tie = arrays is not None and TIE_BREAK > 0 and np.abs(arrays["cost"]).max() > 0
    if tie:  # phase 1 as stockopt runs it: R + w·Cost, then R alone from that basis
        weight = TIE_BREAK * np.abs(risk_cost).max() / np.abs(arrays["cost"]).max()
        h.changeColsCost(len(all_cols), all_cols, risk_cost + weight * arrays["cost"])
    for key, value in ALGORITHMS[algorithm].items():
        h.setOptionValue(key, value)
    if tie and algorithm == "simplex":
        for key, value in TIE_BREAK_OPTIONS.items():
            h.setOptionValue(key, value)
    start = time.perf_counter()
    h.run()
    h.setOptionValue("dual_feasibility_tolerance", DUAL_TOLERANCE)
    if tie:
        h.changeColsCost(len(all_cols), all_cols, risk_cost)
        for key, value in PHASE2_OPTIONS.items():
            h.setOptionValue(key, value)
        h.run()
    phase1 = time.perf_counter() - start
    risk = h.getInfo().objective_function_value
    result = {"phase1": phase1, "phase2": 0.0, "risk": risk,
              "status": h.modelStatusToString(h.getModelStatus()),
              "risk_cost_nnz": int(np.count_nonzero(risk_cost))}
    if arrays is not None:  # phase 2 as stockopt runs it: the risk row, then the cost objective
        scale = float(arrays["risk_scale"])
        nz = np.flatnonzero(arrays["risk"]).astype(np.int32)
        bound = risk + RISK_BOUND_RELATIVE * max(1.0, abs(risk))
        h.addRow(-highspy.kHighsInf, bound * scale, len(nz), nz, arrays["risk"][nz] * scale)
        cols = np.arange(len(arrays["cost"]), dtype=np.int32)
        h.changeColsCost(len(cols), cols, arrays["cost"])
        for key, value in PHASE2_OPTIONS.items():
            h.setOptionValue(key, value)
        start = time.perf_counter()
        h.run()
        result["phase2"] = time.perf_counter() - start
    return result


def _child(args: argparse.Namespace) -> None:
    folder = Path(args.folder)
    if args.reference:
        print(json.dumps(reference(args.reference, args.algorithm)))
    else:
        print(json.dumps(measure(args.child, args.seed, folder, args.algorithm, args.builder,
                                 args.timing)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=SIZES)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--algorithm", default="simplex", choices=["simplex", "ipx", "choose"])
    parser.add_argument("--builder", default="arrays", choices=["arrays", "pyomo"],
                        help="model builder (arrays = stockopt's route; pyomo = reference)")
    parser.add_argument("--timing", default="start", choices=["start", "periods"],
                        help="purchase_timing of the generated sizes (periods: orders in "
                        "every period, lead times and PeriodBudgets; benchmarks/generate.py)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child or args.reference:
        _child(args)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            out = subprocess.run([sys.executable, __file__, "--child", size, "--seed",
                                  str(args.seed), "--folder", tmp, "--algorithm",
                                  args.algorithm, "--builder", args.builder, "--timing",
                                  args.timing],
                                 capture_output=True, text=True, check=True)
            m = json.loads(out.stdout.strip().splitlines()[-1])
            ref = subprocess.run([sys.executable, __file__, "--reference", m["mps"],
                                  "--folder", tmp, "--algorithm", args.algorithm],
                                 capture_output=True, text=True, check=True)
            m["reference"] = json.loads(ref.stdout.strip().splitlines()[-1])
            rows.append(m)
            _print_row(m, f"{args.algorithm}, {args.builder} builder")
            _print_table([m])
    _print_table(rows)


def _print_row(m: dict, algorithm: str) -> None:
    print(f"[{m['size']}] {m['rows']:,} rows, {m['columns']:,} columns, {m['nonzeros']:,} "
          f"nonzeros, {m['scenarios']} scenarios; algorithm {algorithm}; risk {m['risk']:.6g}; "
          f"reference risk {m['reference']['risk']:.6g}", flush=True)


def _print_table(rows: list[dict]) -> None:
    steps = ["read", "validate", "normalize", "build", "handoff", "phase1", "phase2", "phase3",
             "extract", "write"]
    head = ["size", "rows", "cols", "nnz", *steps, "total", "not HiGHS", "peak MB",
            "HiGHS alone", "ratio"]
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for m in rows:
        t = m["times"]
        total = sum(t[s] for s in steps)
        solver = t["phase1"] + t["phase2"] + t["phase3"]
        ref = m["reference"]["phase1"] + m["reference"].get("phase2", 0.0)
        cells = [m["size"], f"{m['rows']:,}", f"{m['columns']:,}", f"{m['nonzeros']:,}",
                 *[f"{t[s]:.2f}" for s in steps], f"{total:.2f}",
                 f"{(total - solver) / total:.0%}", f"{m['peak_mb']:.0f}", f"{ref:.2f}",
                 f"{total / ref:.1f}x" if ref > 0 else "-"]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
