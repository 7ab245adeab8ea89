"""Build ``inputs/us_eu_risks.xlsx``: the bundled example with an example risk register.

Usage::

    python inputs/build_risks_example.py [--output PATH]

Every sheet but Risks is the bundled example's (``inputs/us_eu_example/*.csv``, as
``build_example.py`` builds it); the Risks sheet comes from ``inputs/us_eu_risks/Risks.csv``,
and ``inputs/us_eu_risks/sources.csv`` says where its numbers come from (all of them are
assumptions made for this example). Its README sheet carries the bundled example's notes
and these. Use it with ``stockopt scenarios`` and ``stockopt evaluate``. Deterministic.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import build_example as base  # noqa: E402

from stockopt.workbook.schema import RISKS  # noqa: E402
from stockopt.workbook.template import write_input_workbook  # noqa: E402

RISKS_DIR = HERE / "us_eu_risks"
OUTPUT = HERE / "us_eu_risks.xlsx"
TITLE = base.TITLE + ", with a risk register"


def read_risks(path: Path = RISKS_DIR / "Risks.csv") -> list[dict[str, object]]:
    """The Risks rows, typed by the schema."""
    header, rows = base._read_csv(path)
    known = [c.name for c in RISKS.columns]
    unknown = [h for h in header if h not in known]
    if unknown:
        raise SystemExit(f"{path}: columns {unknown} are not in the schema ({known})")
    return [{col: base._convert(RISKS, col, row[col] or "", f"{path} row {i} column {col}")
             for col in header} for i, row in enumerate(rows, start=2)]


def build(output: Path = OUTPUT) -> Path:
    """Write the example with its risk register to ``output``."""
    tables = base.read_tables()
    tables[RISKS.name] = read_risks()
    notes = [("About the risk register",
              "The Risks sheet turns the example's disruption scenarios into risk events with "
              "a chance per year of starting and a range of durations, for `stockopt "
              "scenarios` (sample scenarios) and `stockopt evaluate` (test a plan on a fresh "
              "sample). The Scenarios sheet still holds the example's eight hand-written "
              "scenarios; the model uses those until it is given a sampled copy.")]
    notes += base.notes(base.read_sources(RISKS_DIR / "sources.csv"))[len(base.DESCRIPTION):]
    notes += base.notes(base.read_sources())
    write_input_workbook(output, tables, title=TITLE, notes=notes)
    return output


def main(argv: list[str] | None = None) -> None:
    base.command_line(build, OUTPUT, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
