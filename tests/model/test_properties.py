"""Property tests on small random instances (hypothesis).

For any valid instance: the plan stays within budgets; more budget never raises the
optimal risk; the reported plan's own risk, (1−λ)·expected loss + λ·exact CVaR, equals
R* within the phase-2 relaxation (it cannot be lower, since R* is optimal, nor higher
than R* + 1e-7·max(1, R*), since phase 2 keeps it there); expected loss ≤ CVaR.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbooks import write_workbook

from stockopt.api import solve as solve_workbook
from stockopt.workbook.normalize import load


@st.composite
def instances(draw: st.DrawFn) -> dict:
    n_periods = draw(st.integers(1, 3))
    periods = [f"T{t}" for t in range(1, n_periods + 1)]
    n_scen = draw(st.integers(1, 3))
    weights = draw(st.lists(st.integers(1, 5), min_size=n_scen, max_size=n_scen))
    probs = [w / sum(weights) for w in weights]
    probs[-1] = 1 - sum(probs[:-1])
    lam = draw(st.sampled_from([0.0, 0.5, 1.0]))
    alpha = draw(st.sampled_from([0.0, 0.5, 0.9]))
    budget_us = draw(st.integers(0, 40))
    sheets = {
        "Settings": [["key", "value"], ["risk_weight", lam], ["cvar_alpha", alpha]],
        "Periods": [["period"], *[[p] for p in periods]],
        "Parties": [["party", "budget"], ["US", budget_us], ["EU", draw(st.integers(0, 40))]],
        "Minerals": [["mineral", "price", "max_acquisition"], ["ga", draw(st.integers(1, 4)),
                     draw(st.sampled_from([None, 5, 20]))], ["co", 1, None]],
        "Stockpiles": [["stockpile", "party", "cost_share"], ["us", "US", None],
                       ["joint", "US", 0.5], ["joint", "EU", 0.5]],
        "Holdings": [["stockpile", "mineral", "initial_stock", "max_release"],
                     ["us", "ga", draw(st.integers(0, 5)), draw(st.sampled_from([None, 3]))],
                     ["joint", "ga", 0, None], ["joint", "co", 0, None]],
        "Demand": [["party", "mineral", "demand", "criticality"],
                   ["US", "ga", draw(st.integers(1, 10)), draw(st.sampled_from([1, 2]))],
                   ["EU", "co", draw(st.integers(1, 10)), 1]],
        "Supply": [["party", "mineral", "source", "volume"], ["US", "ga", "cn", 5],
                   ["EU", "co", "cd", 5]],
        "Offtakes": [["offtake", "party", "mineral", "source", "max_volume", "fee", "price"],
                     ["o", "EU", "co", "au", 4, draw(st.integers(0, 2)), 1]],
        "Swaps": [["swap", "lender_stockpile", "receiver", "mineral", "return_ratio",
                   "return_lag", "max_volume", "fee"],
                  ["w", "us", "EU", "ga", 1.05, draw(st.integers(0, 2)), 5, 1]],
        "Scenarios": [["scenario", "probability"],
                      *[[f"s{i}", p] for i, p in enumerate(probs)]],
        "Disruptions": [["scenario", "source", "mineral", "availability"],
                        *[[f"s{i}", draw(st.sampled_from(["cn", "cd", "au", "*"])), "*",
                           draw(st.sampled_from([0, 0.5, 1]))] for i in range(n_scen)]],
    }
    return sheets


def _solve(sheets: dict):
    with tempfile.TemporaryDirectory() as tmp:
        data = load(write_workbook(Path(tmp) / "p.xlsx", sheets)).data
    assert data is not None
    return data, solve_workbook(data)


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(1, 30))
def test_plan_properties(sheets: dict, extra: int) -> None:
    data, r = _solve(sheets)
    tol = 1e-7 * max(1.0, abs(r.risk))
    for p, spend in r.spend.items():
        assert spend <= data.budget[p] + 1e-6 * max(1.0, data.budget[p])
    reported = (1 - data.risk_weight) * r.expected_loss + data.risk_weight * r.cvar
    assert r.risk - 1e-6 <= reported <= r.risk + tol + 1e-6
    assert r.expected_loss <= r.cvar + 1e-7
    assert r.risk >= -1e-9 and r.cost >= -1e-6

    richer = {k: [list(row) for row in v] for k, v in sheets.items()}
    richer["Parties"][1][1] += extra
    _, r2 = _solve(richer)
    assert r2.risk <= r.risk + 1e-6 + 1e-5 * abs(r.risk)
