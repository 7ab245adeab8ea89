"""The decomposition benchmark (issue #9): a sampled scenario set on 1, 2 and 4 MPI ranks.

    python benchmarks/decomposition.py                          # 1,000 scenarios, ranks 1 2 4
    python benchmarks/decomposition.py --samples 200 --ranks 2 --time-limit 120

Samples ``--samples`` scenarios from the bundled ``inputs/us_eu_risks.xlsx`` Risks sheet
(``stockopt scenarios``, the issue-7 generator, seed 0), then solves the same workbook

* with the default engine (the extensive form in HiGHS, one process): the reference;
* with ``mpiexec -n R stockopt solve --engine mpisppy --gap 0.005 --time-limit T`` for
  each R of ``--ranks`` (R = 1 is mpi-sppy's own extensive form through Pyomo).

Each run is a fresh process; its wall time, its peak memory (per rank, from the summary
JSON; the default engine's from the child's max RSS), its bounds and gaps are printed as
a table, with the distance of the decomposed bounds from the reference optimum. The
machine has 2 cores: 4 ranks oversubscribe it (MPI ranks busy-wait), which the table shows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# every child (mpiexec's ranks included) imports this checkout, even if another copy is installed
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(HERE.parent), os.environ.get("PYTHONPATH", "")) if p)
RISKS = HERE.parent / "inputs" / "us_eu_risks.xlsx"


def run(command: list[str], timeout: float) -> tuple[int, float, str]:
    """(exit status, wall seconds, tail of stderr) of ``command``."""
    t0 = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        code, err = done.returncode, done.stderr
    except subprocess.TimeoutExpired:
        code, err = -9, "killed at the benchmark's timeout"
    return code, time.perf_counter() - t0, err[-600:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--ranks", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--time-limit", type=float, default=600.0,
                        help="--time-limit of each decomposed solve (s)")
    parser.add_argument("--gap", type=float, default=0.005)
    parser.add_argument("--keep", type=Path, default=None, help="keep the workbooks here")
    args = parser.parse_args()
    stockopt = [sys.executable, "-m", "stockopt"]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = args.keep or Path(tmp_name)
        tmp.mkdir(parents=True, exist_ok=True)
        sampled = tmp / f"sampled{args.samples}.xlsx"
        code, seconds, err = run([*stockopt, "scenarios", str(RISKS), "--samples",
                                  str(args.samples), "-o", str(sampled), "--quiet"], 600)
        if code != 0:
            raise SystemExit(f"sampling failed: {err}")
        print(f"{args.samples} sampled scenarios from {RISKS.name} ({seconds:.1f} s); gap "
              f"target {args.gap:.2%}, time limit {args.time_limit:.0f} s per decomposed run")
        rows = []
        summary = tmp / "default.json"
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        code, seconds, err = run([*stockopt, "solve", str(sampled), "-o",
                                  str(tmp / "default.xlsx"), "--summary-json", str(summary),
                                  "--quiet"], 3 * args.time_limit)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        reference = json.loads(summary.read_text()) if code == 0 else None
        rows.append(("default engine (EF, HiGHS)", 1, code, seconds, reference,
                     [peak / 1024] if peak > before else []))
        for ranks in args.ranks:
            summary = tmp / f"mpisppy{ranks}.json"
            command = ["mpiexec", "-n", str(ranks), *stockopt, "solve", str(sampled), "-o",
                       str(tmp / f"mpisppy{ranks}.xlsx"), "--summary-json", str(summary),
                       "--engine", "mpisppy", "--gap", str(args.gap), "--time-limit",
                       str(args.time_limit), "--quiet"]
            code, seconds, err = run(command, 3 * args.time_limit + 600)
            result = json.loads(summary.read_text()) if summary.exists() else None
            memory = (result or {}).get("bounds", {}).get("peak_memory_mb_per_rank", [])
            rows.append((f"mpisppy, {ranks} rank{'s' if ranks > 1 else ''}", ranks, code,
                         seconds, result, memory))
            if result is None:
                print(f"  mpisppy on {ranks} ranks failed ({code}): {err}")

    r_star = reference["risk"] if reference else None
    c_star = reference["cost"] if reference else None
    print("\n| run | ranks | exit | wall s | phase 1 s | phase 2 s | R lower | R upper | "
          "R gap | cost gap | R upper vs R* | cost vs default | peak MB per rank |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, ranks, code, seconds, result, memory in rows:
        if result is None:
            print(f"| {name} | {ranks} | {code} | {seconds:.1f} | | | | | | | | | "
                  f"{', '.join(f'{m:.0f}' for m in memory)} |")
            continue
        b = result.get("bounds")
        times = result.get("timings_seconds", {})
        if b is None:
            lower = upper = result["risk"]
            r_gap = c_gap = "0 (exact)"
        else:
            lower, upper = b["risk"]["lower"], b["risk"]["upper"]
            r_gap = f"{b['risk']['relative_gap']:.3%}"
            c_gap = f"{b['cost']['relative_gap']:.3%}"
        vs_r = "" if r_star is None else f"{(upper - r_star) / r_star:+.3%}"
        vs_c = "" if c_star is None else f"{(result['cost'] - c_star) / c_star:+.3%}"
        print(f"| {name} | {ranks} | {code} | {seconds:.1f} | {times.get('phase1', 0):.1f} | "
              f"{times.get('phase2', 0):.1f} | {lower:.6g} | {upper:.6g} | {r_gap} | {c_gap} | "
              f"{vs_r} | {vs_c} | {', '.join(f'{m:.0f}' for m in memory)} |")


if __name__ == "__main__":
    main()
