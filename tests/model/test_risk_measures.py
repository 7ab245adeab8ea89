"""The risk measures of ``stockopt.model.risk`` agree with each other and with hand values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockopt.model.risk import cvar_equal, exact_cvar, risk_of, tail_weights, var_threshold


def test_hand_values() -> None:
    """Losses 0, 1, 10 with probabilities 0.5, 0.4, 0.1 at α = 0.8: the tail (0.2) holds
    all of the 10 (0.1) and 0.1 of the 1, so CVaR = (0.1·10 + 0.1·1)/0.2 = 5.5; the
    0.8-quantile is 1; E[L] = 1.4; R at λ = 0.5 is 0.5·1.4 + 0.5·5.5 = 3.45."""
    losses, probs = np.array([0.0, 1.0, 10.0]), np.array([0.5, 0.4, 0.1])
    assert tail_weights(losses, probs, 0.8) == pytest.approx([0.0, 0.1, 0.1])
    assert exact_cvar(losses, probs, 0.8) == pytest.approx(5.5)
    assert var_threshold(losses, probs, 0.8) == 1.0
    assert risk_of(losses, probs, 0.5, 0.8) == pytest.approx(3.45)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0.01, 1)), min_size=1, max_size=12),
       st.floats(0.05, 0.95))
def test_the_definitions_agree(pairs: list[tuple[float, float]], alpha: float) -> None:
    """min over ζ of ζ + E[(L − ζ)⁺]/(1 − α) (``exact_cvar``) = the tail-weighted mean
    (``tail_weights``) = ζ* + E[(L − ζ*)⁺]/(1 − α) at the α-quantile (``var_threshold``);
    with equal probabilities also ``cvar_equal``."""
    losses = np.array([x for x, _ in pairs])
    probs = np.array([p for _, p in pairs])
    probs = probs / probs.sum()
    cvar = exact_cvar(losses, probs, alpha)
    weights = tail_weights(losses, probs, alpha)
    assert weights.sum() == pytest.approx(1 - alpha)
    assert np.all(weights <= probs + 1e-12)
    assert float(weights @ losses) / (1 - alpha) == pytest.approx(cvar, rel=1e-9, abs=1e-9)
    zeta = var_threshold(losses, probs, alpha)
    at_zeta = zeta + float(probs @ np.maximum(losses - zeta, 0.0)) / (1 - alpha)
    assert at_zeta == pytest.approx(cvar, rel=1e-9, abs=1e-9)
    equal = np.full(len(losses), 1 / len(losses))
    assert float(cvar_equal(losses, alpha)) == pytest.approx(
        exact_cvar(losses, equal, alpha), rel=1e-9, abs=1e-9)
