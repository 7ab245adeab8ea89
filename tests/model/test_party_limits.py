"""Party risk limits (FORMULATION-v2 section 4): max_risk and party_risk_limit = alone.

The instances are small enough to solve by hand. Two parties A and B need 10 t of g in
the one period; each gets 10 t from source x, cut to 0 in scenario 'cut' (π 0.5;
'calm' π 0.5). Criticality: A 2, B 1, so a tonne short costs A 0.2 and B 0.1 periods of
demand. With λ = 0.5 and α = 0.5 the CVaR is the loss in 'cut' (the worst half of the
probability) and E = 0.5·L_cut, so every risk here is R = 0.25·L_cut + 0.5·L_cut =
0.75·L_cut, the same for the pooled risk and for each party's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from workbooks import write_workbook

import stockopt
from stockopt.commands.cli import main


def sheets(*, max_risk: dict[str, float] | None = None, limit: str | None = None,
           joint: bool = False) -> dict[str, list[list]]:
    """The instance of the module docstring.

    Without ``joint``: own stockpiles KA (A) and KB (B), price 1, a pooled budget of 10
    and no party budgets. With ``joint``: a joint stockpile J (A 0.5, B 0.5) and B's own
    KB, budgets 5 each and no pooled budget.
    """
    max_risk = max_risk or {}
    parties = [["party", "budget", "max_risk"]]
    for p in ("A", "B"):
        parties.append([p, 5 if joint else None, max_risk.get(p)])
    settings = [["key", "value"], ["risk_weight", 0.5], ["cvar_alpha", 0.5]]
    if not joint:
        settings.append(["pooled_budget", 10])
    if limit is not None:
        settings.append(["party_risk_limit", limit])
    stockpiles = ([["stockpile", "party", "cost_share"], ["J", "A", 0.5], ["J", "B", 0.5],
                   ["KB", "B", None]] if joint else
                  [["stockpile", "party", "cost_share"], ["KA", "A", None], ["KB", "B", None]])
    holdings = [["stockpile", "mineral"]] + [[k, "g"] for k in
                                             (("J", "KB") if joint else ("KA", "KB"))]
    return {
        "Settings": settings,
        "Periods": [["period"], [2027]],
        "Parties": parties,
        "Minerals": [["mineral", "price"], ["g", 1]],
        "Stockpiles": stockpiles,
        "Holdings": holdings,
        "Demand": [["party", "mineral", "demand", "criticality"], ["A", "g", 10, 2],
                   ["B", "g", 10, 1]],
        "Supply": [["party", "mineral", "source", "volume"], ["A", "g", "x", 10],
                   ["B", "g", "x", 10]],
        "Scenarios": [["scenario", "probability"], ["calm", 0.5], ["cut", 0.5]],
        "Disruptions": [["scenario", "source", "mineral", "availability"], ["cut", "x", "g", 0]],
    }


def solve(tmp_path: Path, **kwargs: object) -> stockopt.Results:
    return stockopt.solve(stockopt.load(write_workbook(tmp_path / "w.xlsx", sheets(**kwargs))))


def test_without_limits_the_pooled_optimum_gives_everything_to_the_critical_party(
        tmp_path: Path) -> None:
    """R = 0.75·(0.2·e_A + 0.1·e_B), e = 10 − a, a_A + a_B ≤ 10: every tonne to A, so
    e_A = 0, e_B = 10 and R* = 0.75; R_A = 0, R_B = 0.75·1 = 0.75."""
    r = solve(tmp_path)
    assert r.risk == pytest.approx(0.75, rel=1e-9)
    # the reported plan is phase 3's, within phase 2's R ≤ R* + 1e-7·max(1, R*)
    assert r.parties["A"]["risk"] == pytest.approx(0.0, abs=1e-6)
    assert r.parties["B"]["risk"] == pytest.approx(0.75, abs=1e-6)


@pytest.mark.parametrize("builder", ["arrays", "pyomo"])
def test_max_risk_holds_a_party_to_its_limit(tmp_path: Path, builder: str) -> None:
    """B's max_risk 0.3 means 0.75·e_B/10 ≤ 0.3, e_B ≤ 4, so a_B ≥ 6 and a_A ≤ 4:
    R* = 0.75·(0.2·6 + 0.1·4) = 1.2, R_A = 0.75·1.2 = 0.9, R_B = 0.3 (both renderings)."""
    r = stockopt.solve(stockopt.load(write_workbook(tmp_path / "w.xlsx",
                                                    sheets(max_risk={"B": 0.3}))),
                       builder=builder)
    assert r.risk == pytest.approx(1.2, rel=1e-7)
    assert r.parties["B"]["risk"] <= 0.3 + 1e-9
    assert r.parties["A"]["risk"] == pytest.approx(0.9, abs=1e-6)
    assert r.cost == pytest.approx(10.0, rel=1e-7)


def test_a_limit_that_does_not_bind_changes_nothing(tmp_path: Path) -> None:
    """B's max_risk 0.75 is what B gets anyway: R* 0.75 as without limits."""
    assert solve(tmp_path, max_risk={"B": 0.75 + 1e-6}).risk == pytest.approx(0.75, rel=1e-9)


def test_conflicting_limits_fail_naming_the_parties_and_the_pooled_budget(
        tmp_path: Path) -> None:
    """A's max_risk 0.5: 0.75·0.2·e_A ≤ 0.5, e_A ≤ 10/3, a_A ≥ 6.67; B's 0.3 needs
    a_B ≥ 6; 12.67 t > the 10 the pooled budget buys, so phase 1 is infeasible."""
    with pytest.raises(stockopt.SolveFailed) as caught:
        solve(tmp_path, max_risk={"A": 0.5, "B": 0.3})
    why = caught.value.explanation
    assert caught.value.status == "infeasible"
    assert "A (max_risk 0.5" in why and "B (max_risk 0.3" in why
    assert "compete for the pooled budget" in why


def test_conflicting_limits_exit_1_without_a_workbook(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "w.xlsx", sheets(max_risk={"A": 0.5, "B": 0.3}))
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(main, ["solve", str(path), "-o", str(out)])
    assert result.exit_code == 1
    assert not out.exists()
    assert "party risk limits of A and B cannot all hold" in result.stderr
    assert "pooled budget" in result.stderr


def test_no_party_worse_off_than_alone(tmp_path: Path) -> None:
    """``joint``: J (A 0.5, B 0.5) and B's own KB, budgets 5, price 1.

    Alone: A has no stockpile, e_A = 10, R_A^alone = 0.75·2 = 1.5; B buys 5 t into KB,
    e_B = 5, R_B^alone = 0.75·0.5 = 0.375.
    Together without limits: J bought to 10 t (each pays 5), all of it to A: R* = 0.75
    with R_A = 0 and R_B = 0.75 — B is worse off than alone.
    With party_risk_limit = alone: e_B ≤ 5. Buying x t into J and a into KB (x/2 ≤ 5,
    x/2 + a ≤ 5), B gets y from J: minimize 0.2·(10 − x + y) + 0.1·(10 − y − a) with
    y + a ≥ 5; the best is x = 10, a = 0, y = 5: e_A = e_B = 5, R* = 0.75·1.5 = 1.125,
    R_A = 0.75, R_B = 0.375 (= its bound R_B^alone + 1e-7·max(1, ·))."""
    free = solve(tmp_path, joint=True)
    assert free.risk == pytest.approx(0.75, rel=1e-9)
    assert free.parties["B"]["risk"] == pytest.approx(0.75, abs=1e-6)
    limited = solve(tmp_path, joint=True, limit="alone")
    assert limited.risk == pytest.approx(1.125, rel=1e-6)
    assert limited.parties["B"]["risk"] == pytest.approx(0.375, rel=1e-6)
    assert limited.parties["B"]["risk"] <= 0.375 + 1e-7 + 1e-9
    assert limited.parties["A"]["risk"] == pytest.approx(0.75, rel=1e-6)


def test_a_v1_workbook_states_no_limit_rows(tmp_path: Path) -> None:
    model = stockopt.build(stockopt.load(write_workbook(tmp_path / "w.xlsx", sheets())))
    assert "party_risk_limit" not in model.statement.rows
    assert "party_cvar_threshold" not in model.statement.variables
