"""Build ``inputs/us_eu_policy.xlsx``: the bundled example with the agencies' policy levers.

Usage::

    python inputs/build_policy_example.py [--output PATH]

Every sheet but the three policy-lever sheets is the bundled example's
(``inputs/us_eu_example/*.csv``, as ``build_example.py`` builds it); CoverTargets,
ConcentrationLimits and Mitigation come from ``inputs/us_eu_policy/*.csv``, and
``inputs/us_eu_policy/sources.csv`` says where their numbers come from: the cover norms
(JOGMEC 60 and 180 days, KOMIR 100 days, the IEA's 90 days of net imports) and the EU
Critical Raw Materials Act's 65% benchmark are facts; which minerals and parties they are
applied to, and every mitigation share, cost, lead time and fee, are assumptions. Its
README sheet carries these notes and the bundled example's. Deterministic.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import build_example as base  # noqa: E402

from stockopt.workbook.schema import POLICY_SHEETS, Sheet  # noqa: E402
from stockopt.workbook.template import write_input_workbook  # noqa: E402

POLICY_DIR = HERE / "us_eu_policy"
OUTPUT = HERE / "us_eu_policy.xlsx"
TITLE = base.TITLE + ", with cover floors, concentration caps and demand-side mitigation"

ABOUT = (
    "About the policy levers",
    "This variant adds the instruments stockpile agencies use to the bundled example: cover "
    "floors in days of demand or net imports (CoverTargets: JOGMEC's 60 days, 180 days for "
    "high-risk metals, KOMIR's 100 days on the joint stockpile, the IEA's 90 days of net "
    "imports for US nickel), the EU Critical Raw Materials Act's 65% single-country "
    "benchmark (ConcentrationLimits, EU-domestic supply excluded) and demand-side "
    "mitigation options (Mitigation: synthetic graphite, cobalt-free cathodes, rare-earth "
    "magnet thrift). Periods are years, so 60 days = 60/365 = 0.1644 periods. Every other "
    "sheet is the bundled example's.",
)


def read_sheet(sheet: Sheet, csv_dir: Path = POLICY_DIR) -> list[dict[str, object]]:
    """The rows of ``csv_dir/<sheet>.csv``, typed by the schema."""
    path = csv_dir / f"{sheet.name}.csv"
    header, rows = base._read_csv(path)
    known = [c.name for c in sheet.columns]
    unknown = [h for h in header if h not in known]
    if unknown:
        raise SystemExit(f"{path}: columns {unknown} are not in the schema ({known})")
    return [{col: base._convert(sheet, col, row[col] or "", f"{path} row {i} column {col}")
             for col in header} for i, row in enumerate(rows, start=2)]


def build(output: Path = OUTPUT) -> Path:
    """Write the example with its policy levers to ``output``."""
    tables = base.read_tables()
    for sheet in POLICY_SHEETS:
        tables[sheet.name] = read_sheet(sheet)
    notes = [ABOUT]
    notes += base.notes(base.read_sources(POLICY_DIR / "sources.csv"))[len(base.DESCRIPTION):]
    notes += base.notes(base.read_sources())
    write_input_workbook(output, tables, title=TITLE, notes=notes)
    return output


def main(argv: list[str] | None = None) -> None:
    base.command_line(build, OUTPUT, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
