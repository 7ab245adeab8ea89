"""Problems found in an input workbook: errors and warnings, in the workbook's own words.

Each problem names the sheet, the Excel row number(s), the column, what was expected
and what was found, so a planner can go straight to the cell.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """Errors stop the run (exit status 2); warnings are reported and ignored."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem with the input.

    ``rows`` are Excel row numbers as shown in the spreadsheet program (the header is
    row 1); empty for a problem with a whole sheet or file. ``cell`` is the cell
    reference (e.g. "B3") when the problem is with one cell.
    """

    severity: Severity
    sheet: str | None
    rows: tuple[int, ...]
    column: str | None
    expected: str
    found: str
    cell: str | None = None

    @property
    def location(self) -> str:
        """Where the problem is, e.g. "Parties, row 4, column 'budget'"."""
        parts = []
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.rows:
            label = "row" if len(self.rows) == 1 else "rows"
            parts.append(f"{label} {', '.join(str(r) for r in self.rows)}")
        if self.column:
            parts.append(f"column '{self.column}'")
        if self.cell:
            parts.append(f"cell {self.cell}")
        return ", ".join(parts) if parts else "workbook"

    @property
    def message(self) -> str:
        """The problem as one line of text."""
        return (f"{self.severity.value}: {self.location}: expected {self.expected}; "
                f"found {self.found}.")

    def to_dict(self) -> dict:
        """The problem as plain JSON-ready data."""
        data = asdict(self)
        data["severity"] = self.severity.value
        data["rows"] = list(self.rows)
        data["message"] = self.message
        return data


@dataclass
class Problems:
    """An ordered collection of problems, appended to as reading and validation go."""

    items: list[Problem] = field(default_factory=list)

    def error(self, sheet: str | None, rows: int | tuple[int, ...] | list[int] | None,
              column: str | None, expected: str, found: str, *, cell: str | None = None) -> None:
        """Record an error."""
        self.items.append(Problem(Severity.ERROR, sheet, _rows(rows), column, expected, found,
                                  cell))

    def warning(self, sheet: str | None, rows: int | tuple[int, ...] | list[int] | None,
                column: str | None, expected: str, found: str, *,
                cell: str | None = None) -> None:
        """Record a warning."""
        self.items.append(Problem(Severity.WARNING, sheet, _rows(rows), column, expected, found,
                                  cell))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity is Severity.WARNING]

    @property
    def has_errors(self) -> bool:
        return any(p.severity is Severity.ERROR for p in self.items)

    def to_json(self) -> str:
        """All problems as a JSON document (errors and warnings with counts)."""
        return json.dumps(
            {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "problems": [p.to_dict() for p in self.items],
            },
            indent=2,
            ensure_ascii=False,
        )


def _rows(rows: int | tuple[int, ...] | list[int] | None) -> tuple[int, ...]:
    if rows is None:
        return ()
    if isinstance(rows, int):
        return (rows,)
    return tuple(sorted(set(rows)))


def found_text(value: object) -> str:
    """A cell value as it should be quoted in a message ("blank", "'abc'", "12.5")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "a blank cell"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return f"the logical value {str(value).upper()}"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return f"a date cell ({date_text(value)})"
    return str(value)


def number_text(value: float) -> str:
    """A number as a person would write it: -1 not -1.0, 1234567 not 1.23457e+06, 0.65."""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)  # the shortest text that reads back as the same number


def date_text(value: _dt.datetime | _dt.date | _dt.time | _dt.timedelta) -> str:
    """A date cell as text: 2028-01-01, or with its time when it has one."""
    if isinstance(value, _dt.datetime) and value.time() == _dt.time(0):
        return value.date().isoformat()
    if isinstance(value, _dt.date | _dt.time):
        return value.isoformat()
    return str(value)
