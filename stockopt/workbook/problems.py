"""Problems found in an input workbook: errors and warnings, in the workbook's own words.

Each problem names the sheet, the Excel row number(s), the column, what was expected
and what was found, so a planner can go straight to the cell.

Output stays bounded whatever the workbook holds: the list stops after
``MAX_LISTED`` errors and ``MAX_LISTED`` warnings (the counts stay exact, and a last line
says how many more there are), a long value is shortened to ``MAX_VALUE_CHARS`` characters
with the number left out said, and a problem spanning many rows lists the first
``MAX_ROWS_LISTED`` of them with the count of the rest.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum

MAX_LISTED = 100
"""Errors listed (and, separately, warnings); the rest are counted, not listed."""

MAX_VALUE_CHARS = 60
"""A value quoted in a message is shortened beyond this many characters."""

MAX_FIELD_CHARS = 400
"""Any one text of a problem (sheet, column, expected, found) is shortened beyond this."""

MAX_ROWS_LISTED = 20
"""Rows named in a problem's location (and 5x as many in its JSON); the rest are counted."""


def shorten(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` cut to about ``limit`` characters, the middle left out and counted:
    'aaaa…[9,940 characters left out]…aaaa'."""
    if len(text) <= limit:
        return text
    head, tail = limit * 2 // 3, limit // 6
    return f"{text[:head]}…[{len(text) - head - tail:,} characters left out]…{text[-tail:]}"


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
            shown = ", ".join(str(r) for r in self.rows[:MAX_ROWS_LISTED])
            if len(self.rows) > MAX_ROWS_LISTED:
                shown += f" and {len(self.rows) - MAX_ROWS_LISTED:,} more"
            parts.append(f"{label} {shown}")
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
        data["rows"] = list(self.rows[:5 * MAX_ROWS_LISTED])
        if len(self.rows) > 5 * MAX_ROWS_LISTED:
            data["rows_total"] = len(self.rows)
        data["message"] = self.message
        return data


@dataclass
class Problems:
    """An ordered collection of problems, appended to as reading and validation go.

    The first ``limit`` errors and the first ``limit`` warnings are kept; beyond that they
    are only counted (``error_count``, ``warning_count``), so a million bad rows cost
    neither memory nor a million lines. ``items`` lists the kept problems in the order they
    were found and, when some were left out, a last line saying how many.
    """

    kept: list[Problem] = field(default_factory=list)
    limit: int = MAX_LISTED
    error_count: int = 0
    warning_count: int = 0
    letters: dict[str, dict[str, str]] = field(default_factory=dict)
    """sheet title -> {column name: column letter}, registered by the reader (``locate``):
    a problem with one row and one such column gets its cell reference without being told."""

    def locate(self, sheet: str, columns: dict[str, str]) -> None:
        """Register where ``sheet``'s columns are ({column name: letter}), so that every
        problem on one of its cells names the cell (e.g. "C7")."""
        self.letters[sheet] = dict(columns)

    def error(self, sheet: str | None, rows: int | tuple[int, ...] | list[int] | None,
              column: str | None, expected: str, found: str, *, cell: str | None = None) -> None:
        """Record an error."""
        self._add(Severity.ERROR, sheet, rows, column, expected, found, cell)

    def warning(self, sheet: str | None, rows: int | tuple[int, ...] | list[int] | None,
                column: str | None, expected: str, found: str, *,
                cell: str | None = None) -> None:
        """Record a warning."""
        self._add(Severity.WARNING, sheet, rows, column, expected, found, cell)

    def _add(self, severity: Severity, sheet: str | None,
             rows: int | tuple[int, ...] | list[int] | None, column: str | None,
             expected: str, found: str, cell: str | None) -> None:
        if severity is Severity.ERROR:
            self.error_count += 1
            count = self.error_count
        else:
            self.warning_count += 1
            count = self.warning_count
        if count > self.limit:
            return
        if cell is None and sheet is not None and column is not None:
            letter = self.letters.get(sheet, {}).get(column)
            if letter is not None and isinstance(rows, int):
                cell = f"{letter}{rows}"
        self.kept.append(Problem(severity, _clip(sheet), _rows(rows), _clip(column),
                                 _clip(expected) or "", _clip(found) or "", _clip(cell)))

    @property
    def omitted(self) -> tuple[int, int]:
        """(errors, warnings) counted but not listed."""
        return (max(0, self.error_count - self.limit), max(0, self.warning_count - self.limit))

    @property
    def items(self) -> list[Problem]:
        """The listed problems, in the order found; a last one counts those left out."""
        errors, warnings = self.omitted
        if not errors and not warnings:
            return list(self.kept)
        more = " and ".join(f"{n:,} more {what}{'s' if n != 1 else ''}"
                            for n, what in ((errors, "error"), (warnings, "warning")) if n)
        note = Problem(Severity.ERROR if errors else Severity.WARNING, None, (), None,
                       f"at most {self.limit} errors and {self.limit} warnings listed",
                       f"{_count(self.error_count, 'error')} and "
                       f"{_count(self.warning_count, 'warning')} in all; {more} not listed "
                       "(fix those above and run again)")
        return [*self.kept, note]

    @property
    def errors(self) -> list[Problem]:
        """The listed errors (``error_count`` counts them all)."""
        return [p for p in self.kept if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        """The listed warnings (``warning_count`` counts them all)."""
        return [p for p in self.kept if p.severity is Severity.WARNING]

    @property
    def has_errors(self) -> bool:
        return self.error_count > 0

    def to_json(self) -> str:
        """The problems as a JSON document: exact counts, the listed problems (bounded)."""
        errors, warnings = self.omitted
        return json.dumps(
            {
                "errors": self.error_count,
                "warnings": self.warning_count,
                "not_listed": {"errors": errors, "warnings": warnings},
                "problems": [p.to_dict() for p in self.items],
            },
            indent=2,
            ensure_ascii=False,
        )


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}{'s' if n != 1 else ''}"


def _clip(text: str | None) -> str | None:
    return None if text is None else shorten(str(text), MAX_FIELD_CHARS)


def _rows(rows: int | tuple[int, ...] | list[int] | None) -> tuple[int, ...]:
    if rows is None:
        return ()
    if isinstance(rows, int):
        return (rows,)
    return tuple(sorted(set(rows)))


def quoted(value: object) -> str:
    """A name or value quoted in a message, shortened if long: 'US', 'aaaa…[…]…aa'."""
    return f"'{shorten(str(value))}'"


def found_text(value: object) -> str:
    """A cell value as it should be quoted in a message ("blank", "'abc'", "12.5")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "a blank cell"
    if isinstance(value, str):
        return repr(shorten(value))
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
