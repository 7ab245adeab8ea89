"""Benders against the extensive form on scenarios sampled from the bundled risk register.

    python benchmarks/benders.py                          # 1,000, 10,000, 50,000 scenarios
    python benchmarks/benders.py --samples 1000 --ranks 1 2 --ef-max 1000
    python benchmarks/benders.py --samples 100 200 500 1000 --ranks 1 --ef-max 1000  # crossover
    python benchmarks/benders.py --stabilization m        # the ladder's m: level method or not

For each sample size N the register of ``inputs/us_eu_risks.xlsx`` (the bundled example,
which orders over time, with its risk events) is sampled by ``stockopt scenarios --samples N
--seed 0`` (once, cached in ``--folder``). Then, each in a fresh process and with the same
time limit: ``stockopt solve --engine highs`` (the extensive form; only up to ``--ef-max``
scenarios, as it does not fit beyond) and ``stockopt solve --engine benders`` on 1 rank and
under ``mpiexec -n R``. The table shows the whole command's wall time, the solve alone
(phases), Benders' iterations, R* and the cost against the extensive form's, and the peak
memory of every rank (MB; the extensive form's from /usr/bin/time). The 1-minute load
average before each run says how busy the shared machine was.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REGISTER = ROOT / "inputs" / "us_eu_risks.xlsx"


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PYTHONPATH"] = os.pathsep.join([str(ROOT), out.get("PYTHONPATH", "")])
    return out


def sample(n: int, folder: Path) -> Path:
    path = folder / f"register-{n}.xlsx"
    if not path.exists():
        subprocess.run([sys.executable, "-m", "stockopt", "scenarios", str(REGISTER),
                        "--samples", str(n), "--seed", "0", "-o", str(path), "--quiet"],
                       check=True, env=env(), cwd=ROOT)
    return path


def mpiexec() -> str | None:
    beside = Path(sys.executable).parent / "mpiexec"
    return shutil.which("mpiexec") or (str(beside) if beside.exists() else None)


def run(path: Path, engine: str, ranks: int, folder: Path, limit: float) -> dict:
    """One ``stockopt solve``; its JSON, wall time, exit status and peak memory."""
    summary = folder / f"{path.stem}-{engine}-{ranks}.json"
    summary.unlink(missing_ok=True)
    command = [sys.executable, "-m", "stockopt", "solve", str(path), "-o",
               str(folder / f"{path.stem}-{engine}-{ranks}.xlsx"), "--summary-json",
               str(summary), "--engine", engine, "--time-limit", str(limit), "--quiet"]
    if ranks > 1:
        command = [mpiexec(), "-n", str(ranks), *command]
    timing = folder / "time.txt"
    command = ["/usr/bin/time", "-f", "%M", "-o", str(timing), *command]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env(), cwd=ROOT)
    wall = time.perf_counter() - t0
    result = json.loads(summary.read_text(encoding="utf-8")) if summary.exists() else {}
    peak = float(timing.read_text().split()[-1]) / 1024 if timing.exists() else float("nan")
    return {"json": result, "wall": wall, "exit": done.returncode, "load": load,
            "peak": peak, "stderr": done.stderr[-500:]}


def row(n: int, label: str, ranks: int, r: dict, reference: dict | None) -> str:
    j = r["json"]
    d = j.get("decomposition") or {}
    solve = sum(p.get("seconds", 0.0) for p in j.get("solver", {}).get("phases", []))
    memory = d.get("peak_memory_mb_per_rank") or [r["peak"]]
    iters = (f"{d['phase1']['iterations']}/{d['phase2']['iterations']}" if d else "")
    distinct = d.get("distinct_scenarios", "")
    rel_r = rel_c = ""
    if reference and reference.get("risk") is not None and j.get("risk") is not None:
        rel_r = f"{(j['risk'] - reference['risk']) / abs(reference['risk']):.1e}"
        rel_c = f"{(j['cost'] - reference['cost']) / abs(reference['cost']):.1e}"
    risk = f"{j['risk']:.10g}" if j.get("risk") is not None else j.get("status", "failed")
    return (f"| {n:,} | {distinct} | {label} | {ranks} | {r['exit']} | {r['wall']:.1f} | "
            f"{solve:.1f} | {iters} | {risk} | {rel_r} | {rel_c} | "
            f"{', '.join(f'{m:,.0f}' for m in memory)} | {r['load']:.1f} |")


def stabilization(size: str, folder: Path) -> None:
    """The ladder's instance ``size`` (benchmarks/generate.py, seed 7) in this process: the
    extensive form, then Benders with the level method and without; wall time of each
    solve, iterations and the time split, one after another under the same load."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    from generate import write_instance

    from stockopt.api import solve
    from stockopt.engines import benders
    from stockopt.workbook.normalize import load

    path = folder / f"ladder-{size}.xlsx"
    if not path.exists():
        write_instance(size, path, seed=7)
    data = load(path).data
    print(f"| {size} | variant | wall s | phase 1 s (master) | phase 2 s (master) | final s | "
          "iterations (phase 1/2) | R* | cost | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    load_avg = os.getloadavg()[0]
    t0 = time.perf_counter()
    ef = solve(data, engine="highs")
    print(f"| {size} | extensive form | {time.perf_counter() - t0:.1f} | | | | | "
          f"{ef.risk:.12g} | {ef.cost:.12g} | {load_avg:.1f} |", flush=True)
    for label, level in (("Benders, level method λ = 0.5", benders.LEVEL),
                         ("Benders, no stabilization", None)):
        load_avg = os.getloadavg()[0]
        t0 = time.perf_counter()
        run = benders.solve(data, options=benders.Options(level=level))
        wall = time.perf_counter() - t0
        r = run.report
        print(f"| {size} | {label} | {wall:.1f} | {r['phase1']['seconds']:.1f} "
              f"({r['phase1']['master_seconds']:.1f}) | {r['phase2']['seconds']:.1f} "
              f"({r['phase2']['master_seconds']:.1f}) | {r['phase3']['seconds']:.1f} | "
              f"{r['phase1']['iterations']}/{r['phase2']['iterations']} | "
              f"{run.outcome.risk:.12g} | {run.outcome.cost:.12g} | {load_avg:.1f} |",
              flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, nargs="+", default=[1000, 10000, 50000])
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--ef-max", type=int, default=1000,
                    help="run the extensive form up to this many scenarios")
    ap.add_argument("--time-limit", type=float, default=3600.0)
    ap.add_argument("--folder", type=Path, default=Path("/tmp/stockopt-benders-bench"))
    ap.add_argument("--stabilization", metavar="SIZE", default=None,
                    help="instead: the ladder's SIZE (e.g. m), level method against none")
    args = ap.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    if args.stabilization:
        stabilization(args.stabilization, args.folder)
        return
    print("| scenarios | distinct | engine | ranks | exit | wall s | solve s | iterations "
          "(phase 1/2) | R* | R* vs EF | cost vs EF | peak MB per rank | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.samples:
        path = sample(n, args.folder)
        reference = None
        if n <= args.ef_max:
            r = run(path, "highs", 1, args.folder, args.time_limit)
            reference = r["json"] if r["exit"] == 0 else None
            print(row(n, "extensive form", 1, r, None), flush=True)
        for ranks in args.ranks:
            if ranks > 1 and mpiexec() is None:
                continue
            r = run(path, "benders", ranks, args.folder, args.time_limit)
            print(row(n, "Benders", ranks, r, reference), flush=True)
            if r["exit"] != 0:
                print(f"<!-- {r['stderr']} -->", flush=True)


if __name__ == "__main__":
    main()
