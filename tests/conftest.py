import sys
from pathlib import Path

TESTS = Path(__file__).parent
# Test modules import the shared helpers (``from workbooks import ...``) and, across the
# stage folders, each other (e.g. test_evaluate uses test_scenarios' RISK_HEADER): put
# tests/ and each stage folder on sys.path, whatever is collected first.
sys.path.insert(0, str(TESTS))
for stage in ("workbook", "model", "solve", "results", "report", "studies", "commands",
              "engines"):
    if (TESTS / stage).is_dir():
        sys.path.insert(1, str(TESTS / stage))
