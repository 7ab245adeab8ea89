"""Model building and hand-off alone, at named sizes: the cost of stating the model once.

    python benchmarks/build.py                # s, m, l; 3 repeats each, medians
    python benchmarks/build.py s m --pyomo    # also the Pyomo rendering (slow at l)

For each size (a fresh process each, so peak memory is its own): generate the workbook
(not timed), load it (not timed), then, ``--repeats`` times, state the model
(``state_model``: index sets and every family's terms), render the matrix
(``render_matrix``) and hand it to HiGHS (``LoadedLP``: scaling and ``passModel``); with
``--pyomo``, also render the Pyomo model and compile it with Pyomo's standard-form
compiler. Prints a table of medians in seconds.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # measure this checkout, even if another copy is installed
SIZES = ["s", "m", "l"]


def measure(size: str, seed: int, repeats: int, pyomo: bool) -> dict:
    """Time stating, rendering and hand-off of ``size`` in this process."""
    sys.path.insert(0, str(HERE))
    from generate import write_instance

    from stockopt.model import render_matrix, render_pyomo, state_model
    from stockopt.model.compile import compile_pyomo
    from stockopt.solver.highs import LoadedLP
    from stockopt.workbook.normalize import load

    with tempfile.TemporaryDirectory() as folder:
        data = load(write_instance(size, Path(folder) / f"{size}.xlsx", seed)).data
    times: dict[str, list[float]] = {"state": [], "render": [], "handoff": [], "pyomo": []}
    for _ in range(repeats):
        t0 = time.perf_counter()
        st = state_model(data)
        t1 = time.perf_counter()
        lp = render_matrix(st)
        t2 = time.perf_counter()
        loaded = LoadedLP(lp)
        t3 = time.perf_counter()
        times["state"].append(t1 - t0)
        times["render"].append(t2 - t1)
        times["handoff"].append(t3 - t2)
        del loaded
        if pyomo:
            t4 = time.perf_counter()
            compile_pyomo(render_pyomo(st))
            times["pyomo"].append(time.perf_counter() - t4)
    return {"size": size, "rows": lp.n_rows, "cols": lp.n_cols, "nnz": lp.nonzeros,
            **{k: statistics.median(v) if v else None for k, v in times.items()},
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=SIZES)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pyomo", action="store_true",
                        help="also time the Pyomo rendering and its compilation")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.seed, args.repeats, args.pyomo)))
        return
    print("| size | rows | cols | nnz | state | render | build (state + render) | handoff "
          "| pyomo render + compile | peak MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--child", size, "--seed", str(args.seed),
               "--repeats", str(args.repeats)] + (["--pyomo"] if args.pyomo else [])
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        m = json.loads(out.strip().splitlines()[-1])
        pyomo = "—" if m["pyomo"] is None else f"{m['pyomo']:.2f}"
        print(f"| {size} | {m['rows']:,} | {m['cols']:,} | {m['nnz']:,} | {m['state']:.3f} "
              f"| {m['render']:.3f} | {m['state'] + m['render']:.3f} | {m['handoff']:.3f} "
              f"| {pyomo} | {m['peak_mb']:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
