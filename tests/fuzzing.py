"""The product's own fuzzer (issue #15, item 6): seeded mutations of input workbooks and the
checks every run of the command line must pass.

A case is ``SEED:KIND``. ``prepare(case, folder, bases)`` writes a mutated copy of one of
the bases (the three bundled workbooks, the template, the template's worked example, the
tests' minimal workbook) and the command to run on it; ``run_in_process`` runs it through
click's CliRunner, ``run_subprocess`` as ``python -m stockopt``; ``check`` returns the
violations, each a (category, detail) pair:

* ``bad exit``: an exit status other than 0, 1 or 2 (or a signal);
* ``traceback``: a traceback in the output, or an exception escaping the command;
* ``unexpected exit``: the mutation makes the input invalid (a rule of the workbook
  format, stated by the mutation) and the command did not exit 2, or an output path
  the command must refuse was not refused;
* ``silent``: data the command cannot use (a column without a header, a sheet or column
  with a misspelled name) was neither refused (exit 2) nor named in a message;
* ``wrote on exit 2``: exit 2 and a file appeared in the input's or the output's folder;
* ``input changed``: the input's bytes (or a read-only target's) changed;
* ``stray temp file``: a temporary output file left behind;
* ``plan``: on exit 0 of ``solve``, the summary JSON is missing, not optimal, or its
  numbers are not finite, or the plan in the results workbook breaks one of its rows:
  the plan is re-checked against the input as read by the independent implementation
  (``tests/independent_lp.py``): bounds of purchases and capacities, market depth, the
  budgets (party and pooled), cover floors and concentration caps, and the summary's
  spend against the plan's own spend and the budgets;
* ``readers disagree``: on exit 0, stockopt's reading of the input and the independent
  reading differ;
* ``time`` and ``memory`` (set by the runners).

Nothing here imports the solver; the mutations use openpyxl and the zip format directly.
``benchmarks/fuzz.py`` runs long campaigns with the same cases.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from stockopt.workbook.schema import SETTINGS_BY_KEY, SHEETS_BY_KEY, Column, Kind, Sheet

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = {"example": ROOT / "inputs" / "us_eu_example.xlsx",
           "policy": ROOT / "inputs" / "us_eu_policy.xlsx",
           "risks": ROOT / "inputs" / "us_eu_risks.xlsx"}
BASE_WEIGHTS = {"minimal": 4, "template_example": 4, "example": 1, "policy": 1, "risks": 1,
                "template": 1}
"""Which base a case mutates (small instances are favoured: their solves take milliseconds)."""

ANY = frozenset({0, 1, 2})
REFUSED = frozenset({2})
NOT_OK = frozenset({1, 2})

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
TEMP_FILE = re.compile(r"\.tmp$|~\$|\.partial$")


# --- the bases -------------------------------------------------------------------------------


class Bases:
    """The workbooks mutated, as bytes, made once per ``cache`` folder."""

    def __init__(self, cache: Path) -> None:
        self.cache = Path(cache)
        self.cache.mkdir(parents=True, exist_ok=True)
        self._bytes: dict[str, bytes] = {}

    def path(self, name: str) -> Path:
        if name in BUNDLED:
            return BUNDLED[name]
        path = self.cache / f"base-{name}.xlsx"
        if not path.exists():
            tmp = path.with_suffix(f".{os.getpid()}.part")
            if name == "minimal":
                from workbooks import minimal_sheets, write_workbook

                write_workbook(tmp, minimal_sheets())
            else:
                from stockopt.workbook.template import write_template

                write_template(tmp, example=name == "template_example")
            os.replace(tmp, path)
        return path

    def bytes(self, name: str) -> bytes:
        if name not in self._bytes:
            self._bytes[name] = self.path(name).read_bytes()
        return self._bytes[name]

    def plan(self, name: str) -> Path | None:
        """A results workbook of the unmutated base (for ``stockopt evaluate``), or None.
        Solved in a separate process, so that this one never starts HiGHS's threads (the
        campaign forks it)."""
        path = self.cache / f"plan-{name}.xlsx"
        if not path.exists():
            tmp = self.cache / f"plan-{name}.{os.getpid()}.part.xlsx"
            subprocess.run([sys.executable, "-m", "stockopt", "solve", str(self.path(name)),
                            "-o", str(tmp), "--quiet"], capture_output=True, check=False,
                           stdin=subprocess.DEVNULL)
            if not tmp.exists():
                return None
            os.replace(tmp, path)
        return path


# --- cases and their expectations ------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    seed: int
    kind: str

    @property
    def label(self) -> str:
        return f"{self.seed}:{self.kind}"

    @staticmethod
    def parse(text: str) -> Case:
        seed, _, kind = text.partition(":")
        if kind not in KINDS:
            raise ValueError(f"unknown mutation kind {kind!r}; known: {', '.join(KINDS)}")
        return Case(int(seed), kind)


@dataclass
class Expect:
    """What the mutation implies beyond the invariants every run keeps.

    ``exits``: the allowed exit statuses; ``mention``: unless the run exits 2, some line of
    its output must match one of these patterns (the command must not silently ignore data).
    """

    exits: frozenset[int] = ANY
    mention: tuple[str, ...] = ()
    why: str = ""


@dataclass
class Prepared:
    case: Case
    base: str
    description: str
    args: list[str]
    input: Path
    expect: Expect
    watched: list[Path]
    protected: dict[Path, str] = field(default_factory=dict)
    output: Path | None = None
    summary_json: Path | None = None
    signal_at: float | str | None = None
    """For a signal case: seconds after the start, or "write" (when a temporary output
    file appears)."""

    @property
    def command(self) -> str:
        return self.args[0]


@dataclass
class Outcome:
    exit_code: int | None
    output: str
    exception: str | None = None
    seconds: float = 0.0
    killed: bool = False
    max_rss_mb: float | None = None


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- workbook helpers ------------------------------------------------------------------------


def schema_sheet(ws) -> Sheet | None:  # noqa: ANN001
    return SHEETS_BY_KEY.get(str(ws.title).strip().lower())


def input_sheets(wb) -> list:  # noqa: ANN001
    return [ws for ws in wb.worksheets if schema_sheet(ws) is not None]


def headers(ws) -> dict[int, Column]:  # noqa: ANN001
    """{column index: schema column} for the known headers of row 1."""
    sheet = schema_sheet(ws)
    known = {c.name: c for c in sheet.columns} if sheet else {}
    out = {}
    for cell in next(ws.iter_rows(min_row=1, max_row=1), ()):
        if cell.value is not None and str(cell.value).strip().lower() in known:
            out[cell.column] = known[str(cell.value).strip().lower()]
    return out


def last_column(ws) -> int:  # noqa: ANN001
    row = [c.column for c in next(ws.iter_rows(min_row=1, max_row=1), ()) if c.value is not None]
    return max(row, default=0)


def data_rows(ws) -> list[int]:  # noqa: ANN001
    return [row[0].row for row in ws.iter_rows(min_row=2)
            if any(c.value is not None for c in row)]


def data_cells(wb, pred: Callable[[Sheet, Column, object], bool]) -> list[tuple]:  # noqa: ANN001
    """(worksheet, row, column index, schema column) of every non-blank cell of a known column
    of a known sheet with ``pred(sheet, column, value)``, in workbook order."""
    found = []
    for ws in input_sheets(wb):
        sheet = schema_sheet(ws)
        cols = headers(ws)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                col = cols.get(cell.column)
                if col is not None and cell.value is not None and pred(sheet, col, cell.value):
                    found.append((ws, cell.row, cell.column, col))
    return found


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def numeric(sheet: Sheet, col: Column, value: object) -> bool:
    return col.kind is Kind.NUMBER and is_number(value)


def identifier(sheet: Sheet, col: Column, value: object) -> bool:
    return col.kind is Kind.IDENTIFIER and value != "*"


def where(ws, row: int, column: int) -> str:  # noqa: ANN001
    return f"{ws.title}!{get_column_letter(column)}{row}"


def mention_cell(ws, letter: str) -> tuple[str, ...]:  # noqa: ANN001
    """Patterns of a message naming sheet ``ws`` and column ``letter`` (a cell or the column)."""
    title = re.escape(str(ws.title).strip())
    ref = rf"(?<![A-Za-z]){letter}\d+(?!\d)|column '?{letter}'?(?![A-Za-z])"
    return (rf"(?i:{title}).*({ref})", rf"({ref}).*(?i:{title})")


def rewrite_row(ws, row: int, values: dict[int, object]) -> None:  # noqa: ANN001
    for column, value in values.items():
        ws.cell(row, column).value = value


Mutation = Callable[[random.Random, object], tuple[str, Expect] | None]


def _pick(rng: random.Random, items: list):
    return rng.choice(items) if items else None


# --- cell mutations --------------------------------------------------------------------------


def _set_cell(pred: Callable[[Sheet, Column, object], bool],
              values: Callable[[random.Random, Column, object], object],
              expect: Callable[[Column, object], Expect]) -> Mutation:
    def mutate(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
        hit = _pick(rng, data_cells(wb, pred))
        if hit is None:
            return None
        ws, row, column, col = hit
        old = ws.cell(row, column).value
        new = values(rng, col, old)
        ws.cell(row, column).value = new
        return f"{where(ws, row, column)} ({col.name}) {old!r} -> {new!r}", expect(col, new)
    return mutate


def _refused(why: str) -> Callable[[Column, object], Expect]:
    return lambda col, new: Expect(REFUSED, why=why)


def _by_range(col: Column, new: object) -> Expect:
    if is_number(new) and (not math.isfinite(new) or not col.in_range(new)):
        return Expect(REFUSED, why=f"{new!r} is outside {col.name}'s range "
                                   f"({col.expected_range()})")
    return Expect()


def _anything(col: Column, new: object) -> Expect:
    return Expect()


TEXTS = ["abc", "12 t", "1,5", "ten", "$100", "1.2.3", "--1", "½", "1e", "0x10"]
NONFINITE = ["NaN", "nan", "inf", "-inf", "Infinity", "-INF", "1e999", "-1e400", "NAN"]
MAGNITUDES = [0, 0.0, -1, -0.5, -1e-12, 1e-12, 1e12, -1e12, 1e20, 1e308, 2.5, 7]
MONEY_COLUMNS = {"budget", "price", "fee", "holding_cost", "cost"}
TONNE_COLUMNS = {"max_volume", "demand", "volume", "max_stock", "max_release", "initial_stock",
                 "max_acquisition"}
PERIOD_COLUMNS = {"return_lag", "lead_time", "min_duration", "max_duration", "periods"}


def _text_number(rng: random.Random, col: Column, old: object) -> str:
    text = rng.choice([repr(float(old)), str(old), f"{float(old):.6e}"])
    return rng.choice(["", " ", "  "]) + text + rng.choice(["", " ", "\t"])


def _formula(rng: random.Random, col: Column, old: object) -> str:
    return rng.choice(["=1+1", "=A1", "=SUM(B2:B3)", "=NA()", "=1/0"])


MUTATIONS: dict[str, Mutation] = {
    "text_in_number": _set_cell(numeric, lambda r, c, o: r.choice(TEXTS),
                                _refused("text that is not a number in a number column")),
    "date_in_number": _set_cell(numeric, lambda r, c, o: dt.datetime(2027, 1, 1 + r.randrange(28)),
                                _refused("a date in a number column")),
    "bool_in_number": _set_cell(numeric, lambda r, c, o: r.choice([True, False]),
                                _refused("a logical value in a number column")),
    "bool_in_identifier": _set_cell(identifier, lambda r, c, o: r.choice([True, False]),
                                    _refused("a logical value as a name")),
    "date_in_identifier": _set_cell(identifier, lambda r, c, o: dt.date(2027, 1 + r.randrange(12),
                                                                       1),
                                    _refused("a date as a name")),
    "formula_no_cache": _set_cell(lambda s, c, v: c.kind is not Kind.TEXT, _formula,
                                  _refused("a formula without a cached value")),
    "number_as_text": _set_cell(numeric, _text_number, _anything),
    "nonfinite_text": _set_cell(numeric, lambda r, c, o: r.choice(NONFINITE),
                                _refused("NaN or infinity as text")),
    "magnitude": _set_cell(numeric, lambda r, c, o: r.choice(MAGNITUDES), _by_range),
    "huge_money": _set_cell(lambda s, c, v: numeric(s, c, v) and c.name in MONEY_COLUMNS,
                            lambda r, c, o: r.choice([1e12, 1e15, 1e20]), _by_range),
    "huge_tonnes": _set_cell(lambda s, c, v: numeric(s, c, v) and c.name in TONNE_COLUMNS,
                             lambda r, c, o: r.choice([1e12, 1e15, 1e20]), _by_range),
    "huge_periods": _set_cell(lambda s, c, v: numeric(s, c, v) and c.name in PERIOD_COLUMNS,
                              lambda r, c, o: r.choice([1e6, 1e12, 1e20, 2**63]), _by_range),
    "tiny": _set_cell(lambda s, c, v: numeric(s, c, v) and v != 0,
                      lambda r, c, o: r.choice([1e-12, 1e-300, 5e-324, -1e-300]), _by_range),
    "pad_identifier": _set_cell(lambda s, c, v: identifier(s, c, v) and isinstance(v, str),
                                lambda r, c, o: r.choice(["  ", "\t"]) + o + r.choice(["", " "]),
                                _anything),
    "long_text": _set_cell(lambda s, c, v: c.kind is not Kind.NUMBER,
                           lambda r, c, o: str(o) + "x" * r.choice([300, 32000]), _anything),
}


def _setting(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    sheets = [ws for ws in input_sheets(wb) if schema_sheet(ws).name == "Settings"]
    if not sheets:
        return None
    ws = sheets[0]
    cols = {c.name: i for i, c in headers(ws).items()}
    if "key" not in cols or "value" not in cols:
        return None
    key = rng.choice(["risk_weight", "cvar_alpha", "pooled_budget"])
    value = rng.choice([-1, 0, 1, 0.999999, 1.5, 1e-12, 1e12, 1e20, "abc", "NaN", "inf", " 0.5 "])
    row = next((r for r in data_rows(ws)
                if str(ws.cell(r, cols["key"]).value).strip().lower() == key), None)
    if row is None:
        row = max(data_rows(ws), default=1) + 1
        ws.cell(row, cols["key"]).value = key
    ws.cell(row, cols["value"]).value = value
    setting = SETTINGS_BY_KEY[key]
    number = float(value.strip()) if isinstance(value, str) and value.strip() == "0.5" else value
    if not is_number(number) or not setting.in_range(number):
        return f"Settings {key} = {value!r}", Expect(REFUSED, why=f"{key} must be "
                                                     f"{setting.expected_range()}")
    return f"Settings {key} = {value!r}", Expect()


MUTATIONS["setting"] = _setting


def _blank(required: bool) -> Mutation:
    def mutate(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
        hits = data_cells(wb, lambda s, c, v: c.required == required)
        hit = _pick(rng, hits)
        if hit is None:
            return None
        ws, row, column, col = hit
        old = ws.cell(row, column).value
        ws.cell(row, column).value = rng.choice([None, "", "   "]) if col.kind is not Kind.NUMBER \
            else rng.choice([None, "", " "])
        others = any(ws.cell(row, c).value not in (None, "") and str(ws.cell(row, c).value).strip()
                     for c in headers(ws) if c != column)
        desc = f"{where(ws, row, column)} ({col.name}) {old!r} blanked"
        if required and others:
            return desc, Expect(REFUSED, why=f"{col.name} is required")
        return desc, Expect()
    return mutate


MUTATIONS["blank_required"] = _blank(True)
MUTATIONS["blank_optional"] = _blank(False)


# --- rows and sheets -------------------------------------------------------------------------


def _sheet_with_rows(rng: random.Random, wb):  # noqa: ANN001, ANN202
    return _pick(rng, [ws for ws in input_sheets(wb) if data_rows(ws)])


def _delete_row(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    ws = _sheet_with_rows(rng, wb)
    if ws is None:
        return None
    row = rng.choice(data_rows(ws))
    ws.delete_rows(row)
    return f"{ws.title} row {row} deleted", Expect()


def _duplicate_row(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    ws = _sheet_with_rows(rng, wb)
    if ws is None:
        return None
    rows = data_rows(ws)
    row = rng.choice(rows)
    target = max(rows) + 1 + rng.choice([0, 0, 3])
    for column in range(1, last_column(ws) + 1):
        ws.cell(target, column).value = ws.cell(row, column).value
    sheet = schema_sheet(ws)
    desc = f"{ws.title} row {row} copied to row {target}"
    if sheet.key:
        return desc, Expect(REFUSED, why=f"{ws.title} rows are keyed by {', '.join(sheet.key)}")
    return desc, Expect()


def _delete_sheet(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    ws = _pick(rng, input_sheets(wb))
    if ws is None:
        return None
    required = schema_sheet(ws).required
    wb.remove(ws)
    return (f"sheet {ws.title} deleted",
            Expect(REFUSED, why="a required sheet is missing") if required else Expect())


def _duplicate_sheet(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    ws = _pick(rng, input_sheets(wb))
    if ws is None:
        return None
    copy = wb.copy_worksheet(ws)
    wanted = rng.choice([ws.title + " ", " " + ws.title, ws.title.upper()])
    copy.title = wanted
    desc = f"sheet {ws.title} copied as {copy.title!r}"
    if copy.title.strip().lower() == ws.title.strip().lower():
        return desc, Expect(REFUSED, why="two sheets with one name (case and spaces ignored)")
    # openpyxl, like Excel, refuses names equal up to case: it numbered the copy instead
    return desc, Expect(mention=(re.escape(copy.title),), why="a sheet with data is ignored")


def _rename_sheet(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    ws = _pick(rng, input_sheets(wb))
    if ws is None:
        return None
    old, sheet = ws.title, schema_sheet(ws)
    if rng.random() < 0.4:
        ws.title = rng.choice([old.upper(), old.lower(), f" {old} "])
        return f"sheet {old} renamed {ws.title!r} (same name to the reader)", Expect()
    cut = rng.randrange(len(old))
    ws.title = old[:cut] + old[cut + 1:] if len(old) > 3 else old + "x"
    desc = f"sheet {old} renamed {ws.title!r}"
    if sheet.required:
        return desc, Expect(REFUSED, why=f"the required sheet {sheet.name} is missing")
    if data_rows(ws):
        return desc, Expect(mention=(re.escape(ws.title),), why="a sheet with data is ignored")
    return desc, Expect()


def _blank_row_inside(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    ws = _sheet_with_rows(rng, wb)
    if ws is None:
        return None
    row = rng.choice(data_rows(ws))
    ws.insert_rows(row)
    return f"{ws.title}: a blank row inserted at row {row}", Expect()


MUTATIONS.update({
    "delete_row": _delete_row,
    "duplicate_row": _duplicate_row,
    "delete_sheet": _delete_sheet,
    "duplicate_sheet": _duplicate_sheet,
    "rename_sheet": _rename_sheet,
    "blank_row_inside": _blank_row_inside,
})


# --- headers ---------------------------------------------------------------------------------


def _header_with_data(rng: random.Random, wb, *, need_data: bool = True):  # noqa: ANN001, ANN202
    choices = []
    for ws in input_sheets(wb):
        rows = data_rows(ws)
        for column, col in headers(ws).items():
            has_data = any(ws.cell(r, column).value not in (None, "") for r in rows)
            if has_data or not need_data:
                choices.append((ws, column, col, has_data))
    return _pick(rng, choices)


def _blank_header(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    hit = _header_with_data(rng, wb)
    if hit is None:
        return None
    ws, column, col, _ = hit
    letter = get_column_letter(column)
    ws.cell(1, column).value = rng.choice([None, "", "  "])
    desc = f"{ws.title}!{letter}1 header '{col.name}' blanked (data below it stays)"
    if col.required:
        return desc, Expect(REFUSED, why=f"the required column {col.name} is missing")
    return desc, Expect(mention=mention_cell(ws, letter),
                        why="data under a blank header must not be ignored silently")


def _rename_header(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    hit = _header_with_data(rng, wb, need_data=False)
    if hit is None:
        return None
    ws, column, col, has_data = hit
    old = col.name
    cut = rng.randrange(len(old))
    new = rng.choice(sorted({old[:cut] + old[cut + 1:], old + "s", old.replace("_", " "),
                             old[:cut] + old[cut] * 2 + old[cut + 1:]} - {old}))
    ws.cell(1, column).value = new
    desc = f"{ws.title}!{get_column_letter(column)}1 header {old!r} -> {new!r}"
    if col.required:
        return desc, Expect(REFUSED, why=f"the required column {old} is missing")
    if has_data:
        return desc, Expect(mention=(re.escape(new),),
                            why="a column with data under an unknown header is ignored")
    return desc, Expect()


def _case_header(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    hit = _header_with_data(rng, wb, need_data=False)
    if hit is None:
        return None
    ws, column, col, _ = hit
    new = rng.choice([col.name.upper(), f" {col.name} ", col.name.title()])
    ws.cell(1, column).value = new
    return f"{ws.title}!{get_column_letter(column)}1 header -> {new!r} (same to the reader)", \
        Expect()


def _swap_headers(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    ws = _pick(rng, [ws for ws in input_sheets(wb) if len(headers(ws)) >= 2])
    if ws is None:
        return None
    a, b = rng.sample(sorted(headers(ws)), 2)
    ha, hb = ws.cell(1, a).value, ws.cell(1, b).value
    ws.cell(1, a).value, ws.cell(1, b).value = hb, ha
    return f"{ws.title}: headers {ha!r} and {hb!r} swapped (data stays)", Expect()


def _move_column(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    """Move a whole column (header and data) right of the last header: same table."""
    hit = _header_with_data(rng, wb, need_data=False)
    if hit is None:
        return None
    ws, column, col, _ = hit
    target = last_column(ws) + 1 + rng.choice([0, 0, 2])
    for row in range(1, ws.max_row + 1):
        ws.cell(row, target).value = ws.cell(row, column).value
        ws.cell(row, column).value = None
    return (f"{ws.title}: column {col.name} moved from {get_column_letter(column)} to "
            f"{get_column_letter(target)} (same table; a blank column left behind)", Expect())


def _data_right(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    ws = _pick(rng, input_sheets(wb))
    if ws is None:
        return None
    rows = data_rows(ws) or [2]
    row = rng.choice(rows)
    column = last_column(ws) + rng.choice([1, 1, 2, 5])
    value = rng.choice([42, 0.5, "note", "US", 1e6])
    ws.cell(row, column).value = value
    letter = get_column_letter(column)
    return (f"{ws.title}!{letter}{row} = {value!r}, right of the last header",
            Expect(mention=mention_cell(ws, letter),
                   why="data in a column without a header must not be ignored silently"))


def _header_row2(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    ws = _pick(rng, input_sheets(wb))
    if ws is None:
        return None
    ws.insert_rows(1)
    return f"{ws.title}: a blank row above the header (header in row 2)", \
        Expect(REFUSED, why="the header must be in row 1")


ACCESS_WORDS = ["shares", "Shares", " SHARES ", "free", "FREE"]
"""Valid Stockpiles access values (FORMULATION-v2 section 5), in the cases people type."""
ACCESS_TYPOS = ["share", "shared", "pro rata", "yes", "1"]
"""Values that are not an access mode."""


def _access_mode(rng: random.Random, wb) -> tuple[str, Expect] | None:  # noqa: ANN001
    """Set the access of one stockpile (the column added when absent): a valid word on every
    row of it must be accepted (a solve then re-checks the plan with the independent reading
    of access); a typo on one row, or shares on one row of a joint stockpile and free or
    blank on the others, must be refused."""
    ws = _pick(rng, [ws for ws in input_sheets(wb)
                     if schema_sheet(ws).name == "Stockpiles" and data_rows(ws)])
    if ws is None:
        return None
    by_name = {c.name: i for i, c in headers(ws).items()}
    if "stockpile" not in by_name:
        return None
    col = by_name.get("access")
    if col is None:
        col = last_column(ws) + 1
        ws.cell(1, col).value = "access"
    rows_of: dict[str, list[int]] = {}
    for row in data_rows(ws):
        rows_of.setdefault(str(ws.cell(row, by_name["stockpile"]).value).strip(), []).append(row)
    k = rng.choice(sorted(rows_of))
    rows = rows_of[k]
    roll = rng.random()
    if roll < 0.6:
        word = rng.choice(ACCESS_WORDS)
        for row in rows:
            ws.cell(row, col).value = word
        return f"{ws.title}: access of stockpile {k!r} set to {word!r} on every row", Expect()
    if roll < 0.8 or len(rows) < 2:
        typo = rng.choice(ACCESS_TYPOS)
        ws.cell(rows[0], col).value = typo
        return (f"{ws.title}!{get_column_letter(col)}{rows[0]} (access) = {typo!r}",
                Expect(REFUSED, why="access must be free or shares"))
    ws.cell(rows[0], col).value = "shares"
    for row in rows[1:]:
        ws.cell(row, col).value = rng.choice([None, "free"])
    return (f"{ws.title}: access of stockpile {k!r} shares on row {rows[0]} only",
            Expect(REFUSED, why="all rows of a stockpile give the same access (blank = free)"))


MUTATIONS.update({
    "access_mode": _access_mode,
    "blank_header": _blank_header,
    "rename_header": _rename_header,
    "case_header": _case_header,
    "swap_headers": _swap_headers,
    "move_column": _move_column,
    "data_right_of_header": _data_right,
    "header_in_row2": _header_row2,
})
WORKBOOK_KINDS = tuple(MUTATIONS)


# --- containers ------------------------------------------------------------------------------


def _set_declared_size(data: bytes, member: str, size: int) -> bytes:
    """The archive with the uncompressed size declared for ``member`` set to ``size``."""
    data = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(member)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    name = member.encode()
    central = data.index(b"PK\x01\x02")
    while True:
        central = data.index(b"PK\x01\x02", central)
        name_len = struct.unpack_from("<H", data, central + 28)[0]
        if bytes(data[central + 46: central + 46 + name_len]) == name:
            struct.pack_into("<I", data, central + 24, size)
            return bytes(data)
        central += 4


def _members(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()


def _without(data: bytes, drop: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != drop:
                dst.writestr(info.filename, src.read(info.filename))
    return out.getvalue()


ContainerMutation = Callable[[random.Random, bytes], tuple[bytes, str, Expect, str]]
"""(rng, workbook bytes) -> (file bytes, description, expectation, file name)."""


def _truncated(rng: random.Random, data: bytes) -> tuple[bytes, str, Expect, str]:
    cut = rng.randrange(len(data) // 20, len(data) - 22)
    return data[:cut], f"truncated to {cut} of {len(data)} bytes", \
        Expect(REFUSED, why="a truncated archive"), "input.xlsx"


def _not_a_zip(rng: random.Random, data: bytes) -> tuple[bytes, str, Expect, str]:
    content, what = rng.choice([
        (b"period,party\n2027,US\n", "CSV text"),
        (rng.randbytes(rng.choice([1, 7, 512, 70000])), "random bytes"),
        (b"\x89PNG\r\n\x1a\n" + rng.randbytes(200), "a PNG"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "HTML"),
        (b"", "an empty file"),
        (b"PK\x03\x04" + rng.randbytes(300), "a ZIP header and garbage"),
    ])
    return content, f"not a zip: {what}", Expect(REFUSED, why="not an .xlsx file"), "input.xlsx"


def _renamed_xls(rng: random.Random, data: bytes) -> tuple[bytes, str, Expect, str]:
    return OLE2_MAGIC + rng.randbytes(rng.choice([504, 4096])), \
        "an OLE2 (.xls or encrypted) file named .xlsx", \
        Expect(REFUSED, why="a legacy .xls file"), "input.xlsx"


def _huge_declared(rng: random.Random, data: bytes) -> tuple[bytes, str, Expect, str]:
    member = rng.choice(sorted(_members(data)))
    size = rng.choice([0xFFFFFFF0, 0x7FFFFFFF, 2 * 1024**3 // 2 + 1])
    return _set_declared_size(data, member, size), f"{member} declares {size:,} bytes", \
        Expect(REFUSED, why="a declared size over the limit (zip bomb)"), "input.xlsx"


def _bitflip(rng: random.Random, data: bytes) -> tuple[bytes, str, Expect, str]:
    out = bytearray(data)
    spots = sorted(rng.randrange(len(out)) for _ in range(rng.choice([1, 1, 3, 20])))
    for i in spots:
        out[i] ^= 1 << rng.randrange(8)
    return bytes(out), f"bits flipped at offsets {spots[:6]}", Expect(), "input.xlsx"


def _missing_member(rng: random.Random, data: bytes) -> tuple[bytes, str, Expect, str]:
    drop = rng.choice(["xl/workbook.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels"])
    return _without(data, drop), f"member {drop} removed", \
        Expect(REFUSED, why="the archive lacks a part every workbook has"), "input.xlsx"


def _other_name(rng: random.Random, data: bytes) -> tuple[bytes, str, Expect, str]:
    name = rng.choice(["input.xls", "input.csv", "input", "INPUT.XLSX", "input.xlsm",
                       "in put (1).xlsx", "données.xlsx", "-input.xlsx"])
    return data, f"a valid workbook named {name!r}", Expect(), name


CONTAINER_MUTATIONS: dict[str, ContainerMutation] = {
    "truncated_zip": _truncated,
    "not_a_zip": _not_a_zip,
    "renamed_xls": _renamed_xls,
    "huge_declared_size": _huge_declared,
    "bitflip": _bitflip,
    "missing_member": _missing_member,
    "file_name": _other_name,
}

OUTPUT_KINDS = ("out_is_input", "out_alias_input", "json_is_input", "json_is_output",
                "json_alias_output", "out_is_folder", "json_is_folder", "out_readonly_file",
                "json_readonly_file", "out_readonly_folder", "out_missing_folder",
                "out_open_elsewhere", "out_long_name", "out_default")
"""Output-path cases: a valid base, a solve (or frontier) whose targets are awkward."""

SIGNAL_KINDS = ("sigint", "sigterm")
"""A solve interrupted by a signal (always run as a real process)."""

INTERRUPTED = {"sigint": 130, "sigterm": 143}
"""The exit status the README promises after each signal (128 + its number)."""

KINDS: tuple[str, ...] = (*WORKBOOK_KINDS, *CONTAINER_MUTATIONS, *OUTPUT_KINDS, *SIGNAL_KINDS)


# --- preparing a case ------------------------------------------------------------------------


def _choose_base(rng: random.Random, allowed: tuple[str, ...] | None = None) -> list[str]:
    """Bases in the order to try, drawn by weight."""
    names = [n for n in BASE_WEIGHTS if allowed is None or n in allowed]
    order = []
    while names:
        pick = rng.choices(names, weights=[BASE_WEIGHTS[n] for n in names])[0]
        order.append(pick)
        names.remove(pick)
    return order


def _command(rng: random.Random, base: str, folder: Path, bases: Bases,
             inp: Path) -> tuple[list[str], Path | None, Path | None]:
    """The command line for a workbook case: mostly solve; also validate, frontier,
    scenarios and evaluate (on the base with a Risks sheet)."""
    out = folder / "out"
    roll = rng.random()
    if base == "risks" and roll < 0.15:
        return ["scenarios", str(inp), "--samples", "4", "--seed", str(rng.randrange(9)),
                "-o", str(out / "sampled.xlsx")], None, None
    if base == "risks" and roll < 0.3:
        plan = bases.plan(base)
        if plan is not None:
            return ["evaluate", str(inp), "--plan", str(plan), "--samples", "8", "-o",
                    str(out / "evaluation.xlsx"), "--summary-json", str(out / "ev.json")], \
                None, None
    if roll > 0.9:
        return ["validate", str(inp)] + (["--json"] if rng.random() < 0.5 else []), None, None
    if roll > 0.8:
        return ["frontier", str(inp), "--steps", "3", "-o", str(out / "frontier.xlsx"),
                "--summary-json", str(out / "frontier.json")], None, None
    output, summary = out / "results.xlsx", out / "summary.json"
    return ["solve", str(inp), "-o", str(output), "--summary-json", str(summary)], output, summary


def prepare(case: Case, folder: Path, bases: Bases) -> Prepared:
    """Write the case's input (and any awkward targets) under ``folder``; return the run."""
    rng = random.Random(case.label)
    folder = Path(folder)
    (folder / "in").mkdir(parents=True, exist_ok=True)
    (folder / "out").mkdir(parents=True, exist_ok=True)
    watched = [folder / "in", folder / "out"]
    if case.kind in MUTATIONS:
        for base in _choose_base(rng):
            wb = openpyxl.load_workbook(io.BytesIO(bases.bytes(base)))
            done = MUTATIONS[case.kind](rng, wb)
            if done is not None:
                break
        else:
            raise ValueError(f"{case.label}: no base offers what this mutation changes")
        description, expect = done
        inp = folder / "in" / "input.xlsx"
        wb.save(inp)
        args, output, summary = _command(rng, base, folder, bases, inp)
        return Prepared(case, base, description, args, inp, expect, watched,
                        {inp: sha256(inp)}, output, summary)
    if case.kind in CONTAINER_MUTATIONS:
        base = _choose_base(rng, ("minimal", "template_example", "example"))[0]
        content, description, expect, name = CONTAINER_MUTATIONS[case.kind](rng, bases.bytes(base))
        inp = folder / "in" / name
        inp.write_bytes(content)
        args, output, summary = _command(rng, base, folder, bases, inp)
        return Prepared(case, base, description, args, inp, expect, watched,
                        {inp: sha256(inp)}, output, summary)
    if case.kind in SIGNAL_KINDS:
        base = _choose_base(rng, ("example", "policy", "template_example"))[0]
        inp = folder / "in" / "input.xlsx"
        inp.write_bytes(bases.bytes(base))
        output, summary = folder / "out" / "results.xlsx", folder / "out" / "summary.json"
        at = "write" if rng.random() < 0.4 else round(rng.uniform(0.2, 4.0), 2)
        code = INTERRUPTED[case.kind]
        return Prepared(case, base, f"{case.kind.upper()} at {at}"
                        + (" s" if at != "write" else " (a temporary output appears)"),
                        ["solve", str(inp), "-o", str(output), "--summary-json", str(summary)],
                        inp, Expect(frozenset({0, code}), why=f"exit 0 or {code} after "
                                    f"{case.kind.upper()}"),
                        watched, {inp: sha256(inp)}, output, summary, signal_at=at)
    return _prepare_output_case(case, rng, folder, bases, watched)


def _prepare_output_case(case: Case, rng: random.Random, folder: Path, bases: Bases,
                         watched: list[Path]) -> Prepared:
    base = _choose_base(rng, ("minimal", "template_example"))[0]
    inp = folder / "in" / "input.xlsx"
    inp.write_bytes(bases.bytes(base))
    out = folder / "out"
    output, summary = out / "results.xlsx", out / "summary.json"
    protected = {inp: ""}
    kind = case.kind
    expect = Expect(NOT_OK, why="an output target that cannot be written")
    check_plan = True
    if kind == "out_is_input":
        output, expect = inp, Expect(REFUSED, why="the output is the input")
    elif kind == "out_alias_input":
        if rng.random() < 0.5:
            output = folder / "out" / ".." / "in" / "." / "input.xlsx"
        else:
            output = out / "link.xlsx"
            output.symlink_to(inp)
            watched = [folder / "in"]
        expect = Expect(REFUSED, why="the output is the input under another name")
    elif kind == "json_is_input":
        summary, expect = inp, Expect(REFUSED, why="the summary JSON is the input")
    elif kind == "json_is_output":
        summary = output
        expect = Expect(NOT_OK, why="the summary JSON and the results workbook are one file")
    elif kind == "json_alias_output":
        summary = out / "." / "sub" / ".." / "results.xlsx"
        (out / "sub").mkdir()
        expect = Expect(NOT_OK, why="the summary JSON and the results workbook are one file")
    elif kind == "out_is_folder":
        output = out / rng.choice(["folder.xlsx", "folder"])
        output.mkdir()
    elif kind == "json_is_folder":
        summary = out / "folder.json"
        summary.mkdir()
    elif kind in ("out_readonly_file", "json_readonly_file"):
        target = output if kind == "out_readonly_file" else summary
        target.write_bytes(b"keep me: a read-only file\n")
        target.chmod(0o444)
        protected[target] = ""
    elif kind == "out_readonly_folder":
        ro = out / "readonly"
        ro.mkdir()
        output, summary = ro / "results.xlsx", ro / "summary.json"
        ro.chmod(0o555)
        watched = [*watched, ro]
        if os.geteuid() == 0:  # the file system lets root write there: nothing to refuse
            expect = Expect()
    elif kind == "out_open_elsewhere":
        lock = rng.choice([f".~lock.{output.name}#", f"~${output.name}"])
        output.write_bytes(b"an earlier result\n")
        (out / lock).write_text("locked by a spreadsheet program\n")
        protected[output] = ""
        expect = Expect(NOT_OK, why="the output is open in a spreadsheet program")
    elif kind == "out_missing_folder":
        output = out / "missing" / "deeper" / "results.xlsx"
        expect = Expect()
    elif kind == "out_long_name":
        output = out / ("r" * rng.choice([200, 250, 300]) + ".xlsx")
        expect = Expect()
    elif kind == "out_default":
        output = inp.with_name("input-results.xlsx")
        expect = Expect()
    else:  # pragma: no cover
        raise ValueError(kind)
    command = "frontier" if rng.random() < 0.2 else "solve"
    args = [command, str(inp)]
    if kind != "out_default":
        args += ["-o", str(output)]
    args += ["--summary-json", str(summary)]
    if command == "frontier":
        args += ["--steps", "2"]
        check_plan = False
    protected = {p: sha256(p) for p in protected}
    return Prepared(case, base, f"{command}: -o {output} --summary-json {summary}", args, inp,
                    expect, watched, protected, output if check_plan else None,
                    summary if check_plan else None)


def solve_case(inp: Path, folder: Path, expect: Expect, description: str,
               case: Case | None = None) -> Prepared:
    """A ``solve`` of an input already written at ``inp`` (outputs under ``folder/out``)."""
    out = Path(folder) / "out"
    out.mkdir(parents=True, exist_ok=True)
    output, summary = out / "results.xlsx", out / "summary.json"
    return Prepared(case or Case(0, "given"), "given", description,
                    ["solve", str(inp), "-o", str(output), "--summary-json", str(summary)],
                    inp, expect, [inp.parent, out], {inp: sha256(inp)}, output, summary)


# --- running ---------------------------------------------------------------------------------


def snapshot(folders: list[Path]) -> dict[Path, set[str]]:
    out = {}
    for folder in folders:
        try:
            out[folder] = {p.name for p in folder.iterdir()}
        except OSError:
            out[folder] = set()
    return out


def run_in_process(prep: Prepared) -> Outcome:
    """Run the case's command through click's CliRunner (in this process)."""
    from click.testing import CliRunner

    from stockopt.commands.cli import main

    start = time.perf_counter()
    result = CliRunner().invoke(main, prep.args)
    seconds = time.perf_counter() - start
    exc = result.exception
    escaped = None
    if exc is not None and not isinstance(exc, SystemExit):
        import traceback

        escaped = "".join(traceback.format_exception(exc)).strip()
    return Outcome(result.exit_code, result.stdout + result.stderr, escaped, seconds)


def run_subprocess(prep: Prepared, timeout: float) -> Outcome:
    """Run the case's command as ``python -m stockopt`` (real exit status and streams)."""
    if prep.signal_at is not None:
        return _run_interrupted(prep, timeout)
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "stockopt", *prep.args],
                              capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        text = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) \
            else (exc.stdout or "")
        return Outcome(None, text, None, time.perf_counter() - start, killed=True)
    return Outcome(proc.returncode, proc.stdout + proc.stderr, None,
                   time.perf_counter() - start)


def _run_interrupted(prep: Prepared, timeout: float) -> Outcome:
    """Start the command, send the case's signal at ``prep.signal_at``, collect the rest."""
    import signal as signals

    signum = signals.SIGINT if prep.case.kind == "sigint" else signals.SIGTERM
    folder = prep.output.parent if prep.output is not None else prep.input.parent
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "stockopt", *prep.args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    while proc.poll() is None and time.perf_counter() - start < timeout:
        if prep.signal_at == "write":
            if any(TEMP_FILE.search(p.name) for p in folder.iterdir()):
                break
        elif time.perf_counter() - start >= prep.signal_at:
            break
        time.sleep(0.002)
    if proc.poll() is None:
        proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=max(1.0, timeout - (time.perf_counter() - start)))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return Outcome(None, out + err, None, time.perf_counter() - start, killed=True)
    return Outcome(proc.returncode, out + err, None, time.perf_counter() - start)


# --- checking --------------------------------------------------------------------------------


Violation = tuple[str, str]


def check(prep: Prepared, outcome: Outcome, before: dict[Path, set[str]],
          time_limit: float | None = None) -> list[Violation]:
    """Every violation of the invariants by this run (empty when the run is sound)."""
    found: list[Violation] = []
    code, text = outcome.exit_code, outcome.output
    if outcome.killed:
        found.append(("time", f"killed after {outcome.seconds:.1f} s"))
    elif code not in (0, 1, 2) and code not in prep.expect.exits:
        found.append(("bad exit", f"exit status {code}" + (
            f" (killed by signal {-code})" if code is not None and code < 0 else "")
            + f"; output: {_tail(text, 200)}"))
    if "Traceback (most recent call last)" in text:
        found.append(("traceback", _traceback_excerpt(text)))
    if outcome.exception:
        found.append(("traceback", "uncaught: " + _traceback_excerpt(outcome.exception)))
    if code in (0, 1, 2) and code not in prep.expect.exits:
        found.append(("unexpected exit", f"exit {code}, expected {sorted(prep.expect.exits)}: "
                      f"{prep.expect.why}; output: {_tail(text)}"))
    if code in (0, 1) and prep.expect.mention and not any(
            re.search(p, line) for p in prep.expect.mention for line in text.splitlines()):
        found.append(("silent", f"exit {code} and no message names it ({prep.expect.why})"))
    after = snapshot(list(before))
    if code == 2:
        new = sorted(f"{f.name}/{n}" for f, names in after.items() for n in names - before[f])
        if new:
            found.append(("wrote on exit 2", ", ".join(new)))
    stray = sorted(f"{f.name}/{n}" for f, names in after.items()
                   for n in names - before[f] if TEMP_FILE.search(n))
    if stray:
        found.append(("stray temp file", ", ".join(stray)))
    for path, digest in prep.protected.items():
        try:
            now = sha256(path) if path.is_file() else "not a file"
        except OSError as exc:
            now = f"unreadable ({exc})"
        if now != digest:
            found.append(("input changed", f"{path.name} changed"))
    if time_limit is not None and not outcome.killed and outcome.seconds > time_limit:
        found.append(("time", f"{outcome.seconds:.1f} s > {time_limit:g} s"))
    if prep.signal_at is not None and code in INTERRUPTED.values():
        made = [p.name for p in (prep.output, prep.summary_json) if p is not None and p.exists()]
        if len(made) == 1:
            found.append(("partial output", f"after the signal only {made[0]} exists"))
    if code == 0 and prep.command == "solve" and prep.output is not None:
        found += check_plan(prep.input, prep.output, prep.summary_json)
    return found


def _traceback_excerpt(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("Traceback")), 0)
    tail = lines[start:]
    where = [ln.strip() for ln in tail if ln.strip().startswith("File ")]
    return " | ".join([*(where[-2:]), *(tail[-1:])])[:600]


def _tail(text: str, n: int = 300) -> str:
    text = " / ".join(ln for ln in text.strip().splitlines() if ln.strip())
    return text if len(text) <= n else "…" + text[-n:]


FIRST_STAGE = {"a", "x", "y", "u"}


def reference_data(inp: Path):  # noqa: ANN201
    """The input as the independent implementation reads it, and stockopt's reading (or None)."""
    from independent_lp import data_from_sheets, read_sheets

    from stockopt.workbook.normalize import load

    theirs = None
    try:
        theirs = data_from_sheets(read_sheets(inp))
    except Exception:  # noqa: BLE001 - the independent reader is strict; stockopt's then serves
        theirs = None
    try:
        mine = load(inp).data
    except Exception:  # noqa: BLE001
        mine = None
    return theirs, mine


def check_plan(inp: Path, output: Path, summary_json: Path | None) -> list[Violation]:
    """Re-check an exit-0 solve: the summary JSON and the results workbook's plan against the
    input's rows (first stage: bounds, market depth, budgets, cover floors, concentration)."""
    from independent_lp import build, compare_data

    from stockopt.studies.evaluation import read_plan

    found: list[Violation] = []
    summary: dict = {}
    if summary_json is not None:
        try:
            summary = json.loads(summary_json.read_text())
        except (OSError, ValueError) as exc:
            return [("plan", f"summary JSON unreadable: {exc}")]
        if summary.get("status") != "optimal":
            found.append(("plan", f"exit 0 with status {summary.get('status')!r}"))
        for key in ("risk", "cost", "expected_loss", "cvar"):
            value = summary.get(key)
            if not is_number(value) or not math.isfinite(value):
                found.append(("plan", f"summary {key} = {value!r}"))
    try:
        plan = read_plan(output)
    except Exception as exc:  # noqa: BLE001
        return [*found, ("plan", f"results workbook has no readable plan: {exc}")]
    theirs, mine = reference_data(inp)
    data = theirs if theirs is not None else mine
    if data is None:
        return [*found, ("plan", "exit 0 but neither reader can read the input")]
    if theirs is not None and mine is not None:
        diffs = compare_data(mine, theirs)
        if diffs:
            found.append(("readers disagree", "; ".join(diffs[:3])[:400]))
    lp, _risk, _cost, _losses, spend_terms = build(data)
    if lp.infeasible:
        found.append(("plan", f"exit 0 but the data break rows by themselves: {lp.infeasible[:3]}"))
    values: dict[tuple, float] = {}
    for key in lp.col:
        if key[0] not in FIRST_STAGE:
            continue
        entry = {"a": lambda k: (plan.orders.get((k[1], k[2], data.period_label(k[3])), 0.0)
                                 if plan.orders else plan.purchases.get((k[1], k[2]))),
                 "x": lambda k: plan.offtakes.get(k[1]),
                 "y": lambda k: plan.swaps.get(k[1]),
                 "u": lambda k: plan.mitigations.get(k[1])}[key[0]](key)
        if entry is None:
            found.append(("plan", f"the plan has no value for {key}"))
            entry = 0.0
        values[key] = float(entry)
    by_index = {j: values[key] for key, j in lp.col.items() if key in values}
    for key, j in lp.col.items():
        if key not in values:
            continue
        v, lo, hi = values[key], lp.lb[j], lp.ub[j]
        if not math.isfinite(v) or v < lo - _tol(lo) or v > hi + _tol(hi):
            found.append(("plan", f"{key} = {v:.10g} outside [{lo:g}, {hi:g}]"))
    names = {i: name for name, i in lp.row_name.items()}
    for i, (coef, lo, hi) in enumerate(lp.rows):
        if not coef or not all(j in by_index for j in coef):
            continue
        terms = [c * by_index[j] for j, c in coef.items()]
        lhs = math.fsum(terms)
        big = max([abs(t) for t in terms] + [1.0])
        if lhs > hi + _tol(hi, big) or lhs < lo - _tol(lo, big):
            label = names.get(i) or _row_label(lp, coef)
            found.append(("plan", f"row {label}: {lhs:.10g} not in [{lo:.10g}, {hi:.10g}]"))
    plan_spend = {p: math.fsum(c * values[k] for k, c in spend_terms[p]) for p in data.parties}
    json_spend = summary.get("spend") if summary else None
    if isinstance(json_spend, dict):
        for p in data.parties:
            s = json_spend.get(p)
            if not is_number(s) or not math.isfinite(s):
                found.append(("plan", f"summary spend of {p} = {s!r}"))
                continue
            b = data.budget.get(p)
            if b is not None and s > b + _tol(b):
                found.append(("plan", f"summary spend of {p} {s:.10g} > budget {b:.10g}"))
            if abs(s - plan_spend[p]) > _tol(plan_spend[p], abs(s)):
                found.append(("plan", f"summary spend of {p} {s:.10g} but the plan's purchases "
                              f"and capacities cost {plan_spend[p]:.10g}"))
        if data.pooled_budget is not None:
            total = math.fsum(v for v in json_spend.values() if is_number(v))
            if total > data.pooled_budget + _tol(data.pooled_budget):
                found.append(("plan", f"summary spend {total:.10g} > pooled budget "
                              f"{data.pooled_budget:.10g}"))
    return found


def _tol(bound: float, scale: float = 1.0) -> float:
    """1e-6 relative to the bound (and to the largest term of the row)."""
    if not math.isfinite(bound):
        return 0.0
    return 1e-6 * max(1.0, abs(bound), scale)


def _row_label(lp, coef: dict[int, float]) -> str:  # noqa: ANN001
    keys = {j: key for key, j in lp.col.items()}
    shown = [keys[j] for j in list(coef)[:3]]
    return f"over {shown}{' …' if len(coef) > 3 else ''}"


# --- one case, start to end ------------------------------------------------------------------


@dataclass
class Result:
    case: str
    kind: str
    base: str
    description: str
    command: str
    exit_code: int | None
    seconds: float
    violations: list[Violation]
    output: str = ""
    max_rss_mb: float | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def run_case(case: Case, folder: Path, bases: Bases, *, subprocess_mode: bool = False,
             time_limit: float = 60.0, signal_at: float | str | None = None) -> Result:
    """Prepare, run and check one case in ``folder`` (which is then removed). Signal cases
    always run as a real process; ``signal_at`` overrides when their signal is sent."""
    folder = Path(folder)
    try:
        prep = prepare(case, folder, bases)
        if signal_at is not None and prep.signal_at is not None:
            prep.signal_at = signal_at
            prep.description = f"{case.kind.upper()} at {signal_at}" + (
                " (a temporary output appears)" if signal_at == "write" else " s")
        before = snapshot(prep.watched)
        real = subprocess_mode or prep.signal_at is not None
        outcome = run_subprocess(prep, time_limit) if real else run_in_process(prep)
        violations = check(prep, outcome, before, time_limit)
        return Result(case.label, case.kind, prep.base, prep.description, " ".join(
            a if not a.startswith(str(folder)) else a.replace(str(folder), "…")
            for a in prep.args[:1]), outcome.exit_code, outcome.seconds, violations,
            _tail(outcome.output, 600))
    finally:
        _remove(folder)


def _remove(folder: Path) -> None:
    for path in folder.rglob("*") if folder.exists() else ():
        try:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
            elif not path.is_symlink():
                path.chmod(0o644)
        except OSError:
            pass
    shutil.rmtree(folder, ignore_errors=True)


def describe(result: Result) -> str:
    """A failing case in a few lines, with the replay command."""
    lines = [f"{result.case} on {result.base}: {result.description}",
             f"  {result.command} exit {result.exit_code} in {result.seconds:.2f} s"]
    lines += [f"  {cat}: {detail}" for cat, detail in result.violations]
    lines.append(f"  replay: python benchmarks/fuzz.py --replay {result.case}")
    return "\n".join(lines)
