"""Every workbook prints (issue #18 item 4), checked in a real client: each output of the
bundled examples (results, frontier, evaluation, sampled input, template, cooperation,
sensitivity, comparison) is
converted to PDF by LibreOffice (``soffice --headless``) and read page by page with
pdftotext. Each page's footer names its sheet ("Shortfalls, page 3 of 9"), so a page is
checked against the sheet it comes from: landscape, a long table's header on every page,
the frontier table in one strip with its row labels, the evaluation's interval columns and
verdict on one page, the About sheets' labels beside their values, the charts drawn.

Skipped, with the reason shown, only where soffice or pdftotext is not installed (.ci/run
installs both).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from stockopt.commands.cli import main
from stockopt.files.printing import PAGE_ROWS

ROOT = Path(__file__).resolve().parents[2]
RISKS = ROOT / "inputs" / "us_eu_risks.xlsx"
EXAMPLE = ROOT / "inputs" / "us_eu_example.xlsx"

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) or pdftotext is not installed; .ci/run installs them")


def _cli(*args: str) -> None:
    result = CliRunner().invoke(main, [*args, "--quiet"] if args[0] != "template" else args)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Every workbook kind, written by the commands and converted in one soffice run:
    name -> the text of each page (layout kept)."""
    folder = tmp_path_factory.mktemp("printing")
    books = {name: folder / f"{name}.xlsx" for name in
             ("results", "frontier", "sampled", "evaluation", "template", "cooperation",
              "sensitivity", "comparison")}
    _cli("solve", str(EXAMPLE), "-o", str(books["results"]))
    _cli("frontier", str(EXAMPLE), "-o", str(books["frontier"]), "--scale-all",
         "--from-fraction", "0.25", "--to-fraction", "2", "--steps", "21")
    _cli("scenarios", str(RISKS), "--samples", "60", "--seed", "3", "-o",
         str(books["sampled"]))
    sampled_plan = folder / "sampled-results.xlsx"
    _cli("solve", str(books["sampled"]), "-o", str(sampled_plan))
    _cli("evaluate", str(books["sampled"]), "--plan", str(sampled_plan), "--samples", "200",
         "--seed", "4", "-o", str(books["evaluation"]))
    _cli("template", str(books["template"]), "--example")
    _cli("cooperation", str(EXAMPLE), "-o", str(books["cooperation"]))
    _cli("sensitivity", str(EXAMPLE), "-o", str(books["sensitivity"]), "--groups",
         "demand,probability")
    other = folder / "results-b.xlsx"
    shutil.copyfile(books["results"], other)
    _cli("compare", str(books["results"]), str(other), "--on", str(EXAMPLE), "-o",
         str(books["comparison"]))
    env = dict(os.environ, HOME=str(folder))
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation={(folder / 'lo').as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(folder), *map(str, books.values())],
        capture_output=True, text=True, timeout=600, env=env, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    out = {}
    for name, book in books.items():
        pdf = book.with_suffix(".pdf")
        assert pdf.exists(), (name, result.stdout + result.stderr)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, timeout=120, check=True).stdout
        out[name] = text.split("\f")[:-1]
        sizes = subprocess.run(["pdfinfo", "-f", "1", "-l", str(len(out[name])), str(pdf)],
                               capture_output=True, text=True, check=False).stdout
        for width, height in re.findall(r"size:\s+([\d.]+) x ([\d.]+) pts", sizes):
            assert float(width) > float(height), (name, "a page printed portrait")
    return out


def _pages(pages: list[str], sheet: str) -> list[str]:
    """The pages whose footer names ``sheet`` ('Sheet, page N of M')."""
    return [p for p in pages if re.search(rf"{re.escape(sheet)}, page \d+ of \d+", p)]


def test_every_page_has_a_footer_naming_its_sheet(pdfs: dict[str, list[str]]) -> None:
    for name, pages in pdfs.items():
        for i, page in enumerate(pages, start=1):
            assert re.search(r", page \d+ of \d+", page), (name, i, page[:300])


def test_long_tables_repeat_their_header_on_every_page(pdfs: dict[str, list[str]]) -> None:
    shortfalls = _pages(pdfs["results"], "Shortfalls")
    assert len(shortfalls) > 1  # the example's 10 periods x 3 scenarios x pairs run long
    for page in shortfalls:
        assert "contribution" in page and "scenario" in page, page[:400]
    losses = _pages(pdfs["evaluation"], "Losses")
    assert len(losses) > 1
    for page in losses:
        assert "of demand)" in page and "events" in page, page[:400]
    # an input sheet of the sampled workbook (one row per sampled disruption) likewise
    disruptions = _pages(pdfs["sampled"], "Disruptions")
    assert len(disruptions) > 1
    for page in disruptions:
        assert "availability" in page, page[:400]
    assert PAGE_ROWS < 60


def test_the_frontier_prints_in_one_strip_with_its_row_labels(pdfs: dict[str, list[str]]
                                                               ) -> None:
    pages = _pages(pdfs["frontier"], "Frontier")
    assert pages
    for page in pages:  # the first column (point) and the last (start) on the same page
        assert "point" in page and "start" in page and "risk R*" in page, page[:600]
    points = [int(m) for page in pages for m in re.findall(r"^\s*(\d{1,2})\s+\S", page,
                                                           re.MULTILINE)]
    assert set(range(1, 22)) <= set(points)
    charts = _pages(pdfs["frontier"], "Charts")
    text = "\n".join(charts)
    assert "Risk against budget" in text and "Lever mix against budget" in text
    about = _pages(pdfs["frontier"], "About")
    assert len(about) == 1  # labels and values on the same page
    assert re.search(r"input SHA-256\s+[0-9a-f]{64}", about[0])
    assert re.search(r"levers\s+4 spend columns", about[0])  # the example offers no mitigation


def test_the_evaluation_prints_its_table_and_verdict_on_one_page(pdfs: dict[str, list[str]]
                                                                  ) -> None:
    pages = _pages(pdfs["evaluation"], "Evaluation")
    first = pages[0]
    for words in ("measure", "in sample", "out of sample", "95% low", "95% high",
                  "interval method", "Verdict"):
        assert words in first, words
    verdict = first.split("Verdict", 1)[1]
    assert re.search(r"(inside|below|above|Inconclusive)", verdict)
    assert "Losses in and out of sample" in "\n".join(pages)


def test_results_template_and_cooperation_print_their_charts_and_guides(
        pdfs: dict[str, list[str]]) -> None:
    results = "\n".join(pdfs["results"])
    for title in ("Loss by scenario", "Spend by party and lever", "red bars are the scenarios"):
        assert title in results, title
    readme = _pages(pdfs["template"], "README")
    assert readme and all("page" in p for p in readme)
    cooperation = "\n".join(pdfs["cooperation"])
    assert "Risk alone and together" in cooperation and "About this workbook" in cooperation
