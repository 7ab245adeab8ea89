"""Regenerate docs/summary.png: the first page of the Summary sheet of the bundled
example's results, as LibreOffice prints it.

    python docs/render_summary.py

Needs LibreOffice (``soffice``) and poppler (``pdftoppm``) on the PATH. Solves
inputs/us_eu_example.xlsx, writes the results workbook to a temporary folder, prints it to
PDF and renders page 1 at 80 dpi.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "inputs" / "us_eu_example.xlsx"
TARGET = ROOT / "docs" / "summary.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = folder / "results.xlsx"
        subprocess.run(["stockopt", "solve", str(EXAMPLE), "-o", str(results), "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["soffice", f"-env:UserInstallation=file://{folder}/profile",
                        "--headless", "--convert-to", "pdf", "--outdir", str(folder),
                        str(results)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1",
                        str(folder / "results.pdf"), str(folder / "page")], check=True)
        page = next(folder.glob("page*.png"))
        shutil.copyfile(page, TARGET)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
