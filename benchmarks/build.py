"""Model building and hand-off alone, at named sizes: the cost of stating the model once.

    python benchmarks/build.py                # s, m, l; 3 repeats each, medians
    python benchmarks/build.py s m --pyomo    # also the Pyomo rendering (slow at l)
    python benchmarks/build.py l --against 58ca458 --rounds 3   # before/after, alternating

For each size (a fresh process each, so peak memory is its own): generate the workbook
(not timed), load it (not timed), then, ``--repeats`` times, state the model
(``state_model``: index sets and every family's terms), render the matrix
(``render_matrix``) and hand it to HiGHS (``LoadedLP``: scaling and ``passModel``); with
``--pyomo``, also render the Pyomo model and compile it with Pyomo's standard-form
compiler. Prints a table of medians in seconds.

``--against REV`` measures the code at git revision REV too (checked out in a temporary
worktree; before the model was stated once, "build" there is ``build_index`` +
``build_matrix_lp``), alternating the two in fresh processes for ``--rounds`` rounds, and
prints every run's build and hand-off times with their means.
"""

from __future__ import annotations

import argparse
import json
import os
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


def _legacy(size: str, seed: int, repeats: int) -> dict:
    """The same steps with the code before the statement (array builder, ``stockopt.solve``)."""
    from generate import write_instance
    from stockopt.model.arrays import build_matrix_lp  # type: ignore[import-not-found]
    from stockopt.normalize import load  # type: ignore[import-not-found]
    from stockopt.solve import LoadedLP  # type: ignore[import-not-found]

    from stockopt.model.index import build_index

    with tempfile.TemporaryDirectory() as folder:
        data = load(write_instance(size, Path(folder) / f"{size}.xlsx", seed)).data
    build, handoff = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        lp = build_matrix_lp(data, build_index(data))
        t1 = time.perf_counter()
        LoadedLP(lp)
        build.append(t1 - t0)
        handoff.append(time.perf_counter() - t1)
    return {"build_runs": build, "handoff_runs": handoff}


def measure(size: str, seed: int, repeats: int, pyomo: bool) -> dict:
    """Time stating, rendering and hand-off of ``size`` in this process."""
    sys.path.insert(0, str(HERE))
    from generate import write_instance

    try:
        from stockopt.model import render_matrix, render_pyomo, state_model
        from stockopt.model.compile import compile_pyomo
        from stockopt.solver.highs import LoadedLP
        from stockopt.workbook.normalize import load
    except ImportError:  # an older revision (--against)
        return _legacy(size, seed, repeats)

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
            "build_runs": [a + b for a, b in zip(times["state"], times["render"], strict=True)],
            "handoff_runs": times["handoff"],
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(size: str, args: argparse.Namespace, root: Path = ROOT) -> dict:
    """Run ``measure`` for ``size`` in a fresh process importing the code under ``root``."""
    cmd = [sys.executable, __file__, "--child", size, "--seed", str(args.seed),
           "--repeats", str(args.repeats)] + (["--pyomo"] if args.pyomo else [])
    env = {**os.environ, "PYTHONPATH": str(root), "STOCKOPT_BENCH_ROOT": str(root)}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def against(args: argparse.Namespace) -> None:
    """Before/after: REV and this checkout alternating, every run printed."""
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder) / "rev"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                        args.against], check=True, capture_output=True)
        try:
            runs: dict[str, dict[str, list[float]]] = {}
            for _ in range(args.rounds):
                for label, root in ((args.against, tree), ("this checkout", ROOT)):
                    for size in args.sizes:
                        m = _child(size, args, root)
                        got = runs.setdefault(f"{size} {label}", {"build": [], "handoff": []})
                        got["build"] += m["build_runs"]
                        got["handoff"] += m["handoff_runs"]
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(tree)], check=False, capture_output=True)
    print("| size, code | build runs (s) | mean | hand-off runs (s) | mean |")
    print("|---|---|---|---|---|")
    for label, got in runs.items():
        b, h = got["build"], got["handoff"]
        print(f"| {label} | {' '.join(f'{x:.2f}' for x in b)} | {statistics.mean(b):.3f} "
              f"| {' '.join(f'{x:.2f}' for x in h)} | {statistics.mean(h):.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=SIZES)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pyomo", action="store_true",
                        help="also time the Pyomo rendering and its compilation")
    parser.add_argument("--against", metavar="REV",
                        help="also measure git revision REV, alternating with this checkout")
    parser.add_argument("--rounds", type=int, default=3, help="rounds with --against")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        root = Path(os.environ.get("STOCKOPT_BENCH_ROOT", ROOT))
        sys.path.insert(0, str(root))
        sys.path.insert(0, str(HERE))
        print(json.dumps(measure(args.child, args.seed, args.repeats, args.pyomo)))
        return
    if args.against:
        against(args)
        return
    print("| size | rows | cols | nnz | state | render | build (state + render) | handoff "
          "| pyomo render + compile | peak MB |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        m = _child(size, args)
        pyomo = "—" if m["pyomo"] is None else f"{m['pyomo']:.2f}"
        print(f"| {size} | {m['rows']:,} | {m['cols']:,} | {m['nnz']:,} | {m['state']:.3f} "
              f"| {m['render']:.3f} | {m['state'] + m['render']:.3f} | {m['handoff']:.3f} "
              f"| {pyomo} | {m['peak_mb']:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
