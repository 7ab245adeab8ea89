"""Regenerate the numbers of README's "Alone and together" section.

    python docs/cooperation_numbers.py [inputs/us_eu_example.xlsx]

Solves the bundled example jointly and for each party alone (``stockopt.api.cooperate``),
then again with the setting party_risk_limit = alone, and prints the figures the README
quotes, with the HiGHS version they were produced with.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import stockopt
from stockopt.api import cooperate
from stockopt.solver.driver import highs_version

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "us_eu_example.xlsx"


def table(study: stockopt.Cooperation, currency: str) -> list[str]:
    """The per-party table in Markdown."""
    lines = [f"| party | risk alone | risk together | gain | spend alone ({currency}) "
             f"| spend together ({currency}) |", "|---|---:|---:|---:|---:|---:|"]
    for p, g in study.gains.items():
        lines.append(f"| {p} | {g.risk_alone:.2f} | {g.risk_together:.2f} | {g.gain:+.2f} "
                     f"| {g.spend_alone / 1e9:.3f} bn | {g.spend_together / 1e9:.3f} bn |")
    return lines


def main(path: Path) -> None:
    workbook = stockopt.load(path)
    data = workbook.data
    cur = data.currency
    print(f"# {path.name}, HiGHS {highs_version()}, stockopt {stockopt.__version__}")
    free = cooperate(data)
    print(f"\n## as the workbook states it (party_risk_limit = {data.party_risk_limit}): "
          f"joint R* {free.joint.risk:.4f}, cost {free.joint.cost / 1e9:.3f} bn {cur}\n")
    print("\n".join(table(free, cur)))
    limited = cooperate(dataclasses.replace(data, party_risk_limit="alone", alone_risk={}))
    print(f"\n## party_risk_limit = alone: joint R* {limited.joint.risk:.4f}, cost "
          f"{limited.joint.cost / 1e9:.3f} bn {cur}\n")
    print("\n".join(table(limited, cur)))
    levers = free.levers
    print("\n## joint levers of the plan as stated (expected tonnes received)\n")
    print(levers[["party", "lever", "kind", "mineral", "expected_received"]]
          .to_string(index=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else EXAMPLE)
