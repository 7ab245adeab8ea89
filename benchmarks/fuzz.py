"""A seeded fuzzing campaign against the stockopt command line (issue #15, item 6).

    python benchmarks/fuzz.py --cases 1000 --seed 1          # a campaign, 2 cases at a time
    python benchmarks/fuzz.py --cases 300 --kinds blank_header,huge_money
    python benchmarks/fuzz.py --replay 17:huge_periods       # one case, shown in full
    python benchmarks/fuzz.py --cases 200 --subprocess       # python -m stockopt per case

The mutations and checks are those of the CI battery (``tests/fuzzing.py``, run by
``tests/test_fuzz.py``). Case i of a campaign is ``SEED+i:KIND`` with the kinds taken in
turn, so every kind gets its share and any case can be replayed alone. Each case runs in a
fresh process forked from this one (stockopt already imported, so a case costs what its
command costs) with a wall-clock limit; its peak memory is that process's maximum resident
set. Signal cases (sigint, sigterm) always run ``python -m stockopt`` for real.

Prints a table, mutation kind × outcome: exit 0/1/2 (other: a signal's status or a kill),
and the violations found (traceback, bad exit status, unexpected exit for the mutation,
silently ignored data, output written on exit 2, input changed, stray temporary file,
plan breaking a row, readers disagreeing, time over the limit, memory over the limit), then
every failing case with its replay command. Exit status 1 when any case failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fuzzing import KINDS, Bases, Case, Result, describe, run_case  # noqa: E402

CATEGORIES = ("traceback", "bad exit", "unexpected exit", "silent", "wrote on exit 2",
              "input changed", "stray temp file", "partial output", "plan",
              "readers disagree", "time", "memory", "harness")
SHORT = {"traceback": "trace", "bad exit": "badexit", "unexpected exit": "unexp",
         "silent": "silent", "wrote on exit 2": "wrote2", "input changed": "input",
         "stray temp file": "tmp", "partial output": "partial", "plan": "plan",
         "readers disagree": "readers", "time": "time", "memory": "mem", "harness": "harness"}


def campaign(cases: int, seed: int, kinds: list[str]) -> list[Case]:
    return [Case(seed + i, kinds[i % len(kinds)]) for i in range(cases)]


def _child(case: Case, work: Path, bases: Bases, subprocess_mode: bool, limit: float,
           fd: int) -> None:
    """In the forked process: run the case, write its result as JSON to ``fd``, exit."""
    try:
        os.setpgid(0, 0)
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # HiGHS's banner, printed by C code
        result = run_case(case, work / case.label.replace(":", "-"), bases,
                          subprocess_mode=subprocess_mode, time_limit=limit).to_dict()
    except BaseException:  # noqa: BLE001 - a bug of the harness, reported as such
        result = {"case": case.label, "kind": case.kind, "base": "?", "description": "",
                  "command": "?", "exit_code": None, "seconds": 0.0, "output": "",
                  "violations": [("harness", traceback.format_exc()[-800:])]}
    data = json.dumps(result, default=str).encode()
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
    os.close(fd)
    os._exit(0)


def run_campaign(cases: list[Case], *, jobs: int, limit: float, memory_mb: float,
                 subprocess_mode: bool, work: Path, bases: Bases, progress: bool) -> list[Result]:
    """Run every case in its own forked process, ``jobs`` at a time."""
    results: list[Result] = []
    pending = list(reversed(cases))
    running: dict[int, tuple[Case, int, bytearray, float]] = {}
    sel = selectors.DefaultSelector()
    grace = 15.0  # preparing and checking a case, beyond the command's own limit
    while pending or running:
        while pending and len(running) < jobs:
            case = pending.pop()
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                os.close(r)
                _child(case, work, bases, subprocess_mode, limit, w)
            os.close(w)
            os.set_blocking(r, False)
            running[pid] = (case, r, bytearray(), time.perf_counter())
            sel.register(r, selectors.EVENT_READ, pid)
        for key, _ in sel.select(timeout=0.2):
            pid = key.data
            try:
                chunk = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            if chunk:
                running[pid][2].extend(chunk)
            else:
                sel.unregister(key.fd)
        for pid, (case, r, buf, start) in list(running.items()):
            killed = False
            if time.perf_counter() - start > limit + grace:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                killed = True
            done, status, usage = os.wait4(pid, 0 if killed else os.WNOHANG)
            if done == 0:
                continue
            while True:  # the rest of the pipe
                try:
                    chunk = os.read(r, 65536)
                except (BlockingIOError, OSError):
                    break
                if not chunk:
                    break
                buf.extend(chunk)
            with contextlib.suppress(KeyError, ValueError):
                sel.unregister(r)
            os.close(r)
            del running[pid]
            rss_mb = usage.ru_maxrss / 1024
            result = _result(case, buf, killed, status, time.perf_counter() - start, limit)
            result.max_rss_mb = rss_mb
            if rss_mb > memory_mb:
                result.violations.append(("memory", f"peak {rss_mb:.0f} MB > {memory_mb:g} MB"))
            results.append(result)
            if progress:
                mark = "." if not result.violations else "F"
                print(mark, end="" if len(results) % 80 else "\n", flush=True, file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    return results


def _result(case: Case, buf: bytearray, killed: bool, status: int, seconds: float,
            limit: float) -> Result:
    try:
        data = json.loads(buf.decode())
        data["violations"] = [tuple(v) for v in data["violations"]]
        return Result(**data)
    except (ValueError, TypeError, KeyError):
        why = (f"killed after {seconds:.0f} s (limit {limit:g} s + preparation)" if killed
               else f"the case's process ended with status {status} and no result")
        return Result(case.label, case.kind, "?", "", "?", None, seconds,
                      [("time" if killed else "harness", why)])


def outcome_of(result: Result) -> str:
    code = result.exit_code
    return str(code) if code in (0, 1, 2) else "other"


def table(results: list[Result]) -> str:
    by_kind: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_kind[r.kind].append(r)
    cols = ["0", "1", "2", "other", *CATEGORIES]
    head = ["kind", "cases", "exit 0", "exit 1", "exit 2", "other",
            *(SHORT[c] for c in CATEGORIES), "failing", "s/case"]
    rows = []
    totals: Counter = Counter()
    for kind in [k for k in KINDS if k in by_kind]:
        rs = by_kind[kind]
        counts: Counter = Counter(outcome_of(r) for r in rs)
        for r in rs:
            for cat in {c for c, _ in r.violations}:
                counts[cat] += 1
        failing = sum(1 for r in rs if r.violations)
        counts["failing"] = failing
        counts["cases"] = len(rs)
        totals.update(counts)
        rows.append([kind, str(len(rs)), *(str(counts[c] or "") for c in cols), str(failing or ""),
                     f"{sum(r.seconds for r in rs) / len(rs):.2f}"])
    rows.append(["total", str(totals["cases"]), *(str(totals[c] or "") for c in cols),
                 str(totals["failing"] or ""),
                 f"{sum(r.seconds for r in results) / max(1, len(results)):.2f}"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=300, help="number of cases (default 300)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the first case (default 1)")
    ap.add_argument("--kinds", default=None,
                    help="comma-separated mutation kinds (default: all); see --list")
    ap.add_argument("--replay", action="append", default=[], metavar="SEED:KIND",
                    help="run these cases only and show each in full")
    ap.add_argument("--jobs", type=int, default=2, help="cases at a time (default 2)")
    ap.add_argument("--time-limit", type=float, default=60.0,
                    help="wall-clock limit of one command in seconds (default 60)")
    ap.add_argument("--memory-limit", type=float, default=2048.0,
                    help="peak resident memory of one case in MB (default 2048)")
    ap.add_argument("--subprocess", action="store_true",
                    help="run every command as `python -m stockopt` (slower, real exits)")
    ap.add_argument("--json", type=Path, default=None, help="also write every result here")
    ap.add_argument("--list", action="store_true", help="list the mutation kinds and exit")
    args = ap.parse_args(argv)
    if args.list:
        print("\n".join(KINDS))
        return 0
    if args.replay:
        cases = [Case.parse(text) for text in args.replay]
    else:
        kinds = args.kinds.split(",") if args.kinds else list(KINDS)
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            ap.error(f"unknown kinds {unknown}; see --list")
        cases = campaign(args.cases, args.seed, kinds)

    from independent_lp import build  # noqa: F401

    import stockopt.api  # noqa: F401 - imported once, before the forks
    import stockopt.commands.cli  # noqa: F401
    import stockopt.studies.evaluation  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="stockopt-fuzz-") as tmp:
        work = Path(tmp)
        bases = Bases(work / "bases")
        for name in ("minimal", "template_example", "template"):
            bases.path(name)
        bases.plan("risks")
        start = time.perf_counter()
        results = run_campaign(cases, jobs=args.jobs, limit=args.time_limit,
                               memory_mb=args.memory_limit, subprocess_mode=args.subprocess,
                               work=work, bases=bases, progress=not args.replay)
        wall = time.perf_counter() - start
    order = {c.label: i for i, c in enumerate(cases)}
    results.sort(key=lambda r: order.get(r.case, 0))
    if args.replay:
        for r in results:
            print(describe(r))
            print(f"  output: {r.output}")
            print(f"  peak memory {r.max_rss_mb:.0f} MB" if r.max_rss_mb else "")
        return 1 if any(r.violations for r in results) else 0
    print(f"{len(results)} cases from seed {args.seed}, {args.jobs} at a time, "
          f"{wall:.0f} s wall" + (", python -m stockopt per case" if args.subprocess else ""))
    print()
    print(table(results))
    failing = [r for r in results if r.violations]
    if failing:
        print(f"\n{len(failing)} failing cases:\n")
        for r in failing:
            print(describe(r))
    if args.json is not None:
        args.json.write_text(json.dumps([r.to_dict() for r in results], indent=1, default=str))
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
