"""The product's own fuzzer, as a CI battery (issue #15, item 6).

Seeded mutations of the bundled workbooks, the template and its example, and the tests'
minimal workbook (``tests/fuzzing.py`` says what each kind does and what is checked):
cell types, magnitudes, blanks, rows and sheets deleted or duplicated, headers moved,
renamed or blanked, data right of the last header, hostile containers, awkward output
paths and interrupted runs. Every case must keep the invariants: exit status 0, 1 or 2;
no traceback; exit 2 writes nothing; the input never changes; an exit-0 plan keeps every
first-stage row of its input (re-checked with ``tests/independent_lp.py``); and what the
mutation implies (an invalid input exits 2; data the command cannot use is named).

The seeds are fixed, so a failure here is a case to replay:
``python benchmarks/fuzz.py --replay SEED:KIND``. Longer campaigns: ``benchmarks/fuzz.py``.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pytest
from fuzzing import (
    CONTAINER_MUTATIONS,
    OUTPUT_KINDS,
    REFUSED,
    SIGNAL_KINDS,
    WORKBOOK_KINDS,
    Bases,
    Case,
    Expect,
    check,
    describe,
    run_case,
    run_in_process,
    snapshot,
    solve_case,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbooks import minimal_sheets, write_workbook

from stockopt.workbook.reader import DECIMAL_TEXT
from stockopt.workbook.schema import SHEETS_BY_KEY, Kind

CASES = ([Case(seed, kind) for kind in WORKBOOK_KINDS for seed in (1, 2, 3)]
         + [Case(seed, kind) for kind in CONTAINER_MUTATIONS for seed in (1, 2)]
         + [Case(seed, kind) for kind in OUTPUT_KINDS for seed in (1, 2)])

SUBPROCESS_CASES = [Case(1, "huge_periods"), Case(2, "json_is_output"),
                    Case(1, "out_long_name"), Case(3, "blank_header")]
"""A few cases again as ``python -m stockopt``: real exit status and streams."""


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> Bases:
    return Bases(tmp_path_factory.mktemp("fuzz-bases"))


def assert_sound(result) -> None:  # noqa: ANN001
    assert not result.violations, "\n" + describe(result) + f"\n  output: {result.output}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.label)
def test_case(case: Case, bases: Bases, tmp_path: Path) -> None:
    assert_sound(run_case(case, tmp_path / "case", bases, time_limit=30))


@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=lambda c: c.label)
def test_case_as_a_process(case: Case, bases: Bases, tmp_path: Path) -> None:
    assert_sound(run_case(case, tmp_path / "case", bases, subprocess_mode=True, time_limit=60))


@pytest.mark.parametrize("kind", SIGNAL_KINDS)
def test_interrupted_while_writing(kind: str, bases: Bases, tmp_path: Path) -> None:
    """The signal arrives when the first temporary output file appears (deterministic)."""
    assert_sound(run_case(Case(1, kind), tmp_path / "case", bases, time_limit=60,
                          signal_at="write"))


def test_every_kind_is_in_the_battery() -> None:
    from fuzzing import KINDS

    assert {c.kind for c in CASES} | set(SIGNAL_KINDS) == set(KINDS)


def test_cases_are_reproducible(bases: Bases, tmp_path: Path) -> None:
    """The same SEED:KIND writes the same cells (so a failure can be replayed)."""
    from fuzzing import prepare

    for case in (Case(5, "magnitude"), Case(5, "blank_header"), Case(5, "bitflip")):
        a = prepare(case, tmp_path / "a", bases)
        b = prepare(case, tmp_path / "b", bases)
        assert a.description == b.description and a.base == b.base


# --- hypothesis: any value in any cell of the minimal workbook ------------------------------------


CELLS = [(sheet, j, rows[0][j]) for sheet, rows in minimal_sheets().items()
         for j in range(len(rows[0]))]

VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-10**21, max_value=10**21),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1e-12, -1e-12, 1e12, 1e20, 1e308, 5e-324, "NaN", "inf", "-INF", "1e400",
                     " 5 ", "1,5", "=1+1", "", "  ", "*", "US", "ga", "2027", "calm"]),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=8),
    st.datetimes(min_value=__import__("datetime").datetime(1900, 3, 1),
                 max_value=__import__("datetime").datetime(2100, 1, 1)),
)


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def expectation(sheet: str, column: str, value: object, row: list) -> Expect:
    """What the workbook format says about ``value`` in ``sheet``'s ``column`` (``row`` is the
    whole row after the change: a row left all blank is skipped, not refused)."""
    col = SHEETS_BY_KEY[sheet.lower()].column(column)
    if blank(value):
        if col.required and not all(blank(v) for v in row):
            return Expect(REFUSED, why="a required cell left blank")
        return Expect()
    if isinstance(value, str) and value.startswith("="):
        return Expect(REFUSED, why="a formula without a cached value")
    if col.kind is Kind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return Expect(REFUSED, why="not a number")
        if isinstance(value, str):
            if not DECIMAL_TEXT.match(value.strip()):
                return Expect(REFUSED, why="text that is not a number")
            value = float(value.strip())
        if not math.isfinite(value) or not col.in_range(float(value)):
            return Expect(REFUSED, why=f"outside {col.expected_range()}")
    if col.kind is Kind.IDENTIFIER and (isinstance(value, bool) or hasattr(value, "year")):
        return Expect(REFUSED, why="a logical value or a date as a name")
    if col.kind is Kind.IDENTIFIER and isinstance(value, float) and not math.isfinite(value):
        return Expect(REFUSED, why="not a name")
    return Expect()


@settings(max_examples=30, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(cell=st.sampled_from(CELLS), value=VALUES)
def test_any_value_in_any_cell(cell: tuple[str, int, str], value: object) -> None:
    sheet, j, column = cell
    sheets = minimal_sheets()
    sheets[sheet][1][j] = value
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "in").mkdir()
        inp = write_workbook(folder / "in" / "input.xlsx", sheets)
        prep = solve_case(inp, folder, expectation(sheet, column, value, sheets[sheet][1]),
                          f"{sheet}!{column} row 2 = {value!r}")
        before = snapshot(prep.watched)
        outcome = run_in_process(prep)
        violations = check(prep, outcome, before, time_limit=30)
        assert not violations, (f"{prep.description}: exit {outcome.exit_code}\n"
                                + "\n".join(f"  {c}: {d}" for c, d in violations)
                                + f"\n  output: {outcome.output[-800:]}")
