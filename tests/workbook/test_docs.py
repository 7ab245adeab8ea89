"""The README's sheet guide is generated from the schema and must be current."""

from __future__ import annotations

from pathlib import Path

from stockopt.workbook.schema import SHEETS
from stockopt.workbook.sheet_guide import END, START, sheet_guide_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_sheet_guide_matches_the_schema() -> None:
    text = README.read_text(encoding="utf-8")
    guide = text[text.index(START): text.index(END) + len(END)]
    assert guide == sheet_guide_markdown(), (
        "run `python -m stockopt.workbook.sheet_guide` to update README.md")


def test_guide_names_every_sheet_and_column() -> None:
    guide = sheet_guide_markdown()
    for sheet in SHEETS:
        assert f"#### {sheet.name} " in guide
        for col in sheet.columns:
            assert f"| {col.name} |" in guide or f"| **{col.name}** |" in guide


def test_readme_starts_with_the_two_quickstart_commands() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```sh") + 1:]
    block = block[: block.index("```")]
    assert len(block) == 2
    assert "stockopt solve inputs/" in block[0]
    assert "pytest" in block[1]
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert block[1] in ci
