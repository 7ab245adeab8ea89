"""Risk: loss per scenario, CVaR in the Rockafellar–Uryasev form, the risk objective.

Mirrors ``models/formulation.md``, section "Risk". Variables ``cvar_threshold`` (ζ,
free, first stage), per scenario ``cvar_excess`` (η_s ≥ 0); the expression ``loss`` (L_s,
periods of baseline demand lost, criticality weighted); rows per scenario
``cvar_excess_def`` (η_s ≥ L_s − ζ); the objective ``risk`` = min ``risk_value``,
R = (1−λ)·Σ_s π_s L_s + λ·(ζ + Σ_s π_s η_s / (1−α)).
"""

from __future__ import annotations

import math

import numpy as np

from .statement import FIRST, INF, SCENARIO, ModelStatement, ObjectivePart, Terms

SCALAR = [None]
"""The index of a family with one entry (per scenario): a scalar Pyomo component."""


def loss_coefficients(st: ModelStatement) -> np.ndarray:
    """crit[p,m,t] / d[p,m,t] for each shortfall (periods of baseline demand per tonne)."""
    data = st.data
    return np.array([data.criticality[d] / data.demand[d] for d in st.index.DEMANDS],
                    dtype=float)


def add_variables(st: ModelStatement) -> None:
    """ζ free; η_s ≥ 0."""
    st.add_variables("cvar_threshold", FIRST, SCALAR, lower=-INF,
                     doc="ζ: CVaR threshold (periods of demand)")
    st.add_variables("cvar_excess", SCENARIO, SCALAR, doc="η_s: loss above ζ")


def add_rows(st: ModelStatement) -> None:
    """loss, cvar_excess_def and the risk objective."""
    data = st.data
    coef = loss_coefficients(st)
    party_of = np.array([st.party_position[p] for (p, _m, _t) in st.index.DEMANDS],
                        dtype=np.int64)
    # L_s = Σ_p L_{p,s}: one block of terms per party (labelled by party), so the same
    # expression gives the loss and each party's share of it
    loss = st.add_expression("loss", SCENARIO, SCALAR, [
        Terms("shortfall", np.zeros(len(cols)), cols, coef[cols], label=p)
        for p, cols in ((p, np.flatnonzero(party_of == i))
                        for i, p in enumerate(st.index.PARTIES))],
        doc="L_s = Σ crit/d · e (periods of baseline demand lost)")
    st.add_rows("cvar_excess_def", SCENARIO, SCALAR, [
        *loss.terms,
        Terms("cvar_threshold", [0], [0], -1.0),
        Terms("cvar_excess", [0], [0], -1.0),
    ], upper=0.0, doc="η_s ≥ L_s − ζ")
    lam, alpha = data.risk_weight, data.cvar_alpha
    st.add_objective("risk", "risk_value", [
        ObjectivePart("loss", 1.0 - lam),
        ObjectivePart("cvar_threshold", lam),
        ObjectivePart("cvar_excess", lam / (1.0 - alpha)),
    ], doc="phase 1: minimize R", value_doc="R: risk (periods of demand lost)")


# -- the risk measures of a loss distribution (one place for their definitions) --------

def scenario_losses(st: ModelStatement, second: dict[str, np.ndarray]) -> np.ndarray:
    """L_s of every scenario (periods of baseline demand lost) from the scenario values
    ``second`` (family -> (scenarios, n)): the ``loss`` expression evaluated."""
    return st.evaluate("loss", {}, second)[:, 0]


def party_losses(st: ModelStatement, second: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """L_{p,s} of every party and scenario (periods of p's baseline demand lost,
    criticality weighted): each party's terms of the ``loss`` expression; Σ_p L_{p,s} = L_s.
    Returns party -> array of shape (scenarios,)."""
    parts = st.evaluate("loss", {}, second, by_label=True)
    return {p: parts[p][:, 0] if p in parts else np.zeros(st.n_scenarios)
            for p in st.index.PARTIES}


def party_measures(st: ModelStatement, second: dict[str, np.ndarray]
                   ) -> dict[str, dict[str, float]]:
    """Each party's expected loss E_p, exact CVaR_p and R_p = (1−λ)·E_p + λ·CVaR_p of a
    plan's scenario values ``second`` (periods of demand lost)."""
    data = st.data
    probs = np.array([data.probability[s] for s in st.scenarios], dtype=float)
    out = {}
    for p, losses in party_losses(st, second).items():
        cvar = exact_cvar(losses, probs, data.cvar_alpha)
        expected = float(probs @ losses)
        out[p] = {"expected_loss": expected, "cvar": cvar,
                  "risk": risk_of(losses, probs, data.risk_weight, data.cvar_alpha)}
    return out


def exact_cvar(losses: list[float] | np.ndarray, probabilities: list[float] | np.ndarray,
               alpha: float) -> float:
    """CVaR_α of a discrete loss distribution: min over ζ of ζ + Σ π·max(0, L−ζ)/(1−α).

    The minimum of this convex piecewise-linear function is at one of the losses.
    """
    losses = np.asarray(losses, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    if not len(losses):
        return 0.0
    best = None
    for zeta in sorted(set(losses.tolist())):
        value = zeta + float(probabilities @ np.maximum(0.0, losses - zeta)) / (1 - alpha)
        best = value if best is None else min(best, value)
    return float(best)


def tail_weights(losses: np.ndarray, probabilities: np.ndarray, alpha: float) -> np.ndarray:
    """How much of each scenario's probability lies in the CVaR tail, the worst 1 − α of
    probability: scenarios taken worst loss first (ties in the given order), each counted
    up to what the tail still holds. Σ_s w_s·L_s / (1 − α) is the exact CVaR_α."""
    losses = np.asarray(losses, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    order = np.argsort(-losses, kind="stable")
    before = np.cumsum(probabilities[order]) - probabilities[order]
    weights = np.zeros(len(losses))
    weights[order] = np.clip((1.0 - alpha) - before, 0.0, probabilities[order])
    return weights


def cvar_equal(losses: np.ndarray, alpha: float) -> np.ndarray:
    """CVaR_α of equally likely losses, along the last axis (exact, like ``exact_cvar``).

    The mean of the worst (1 − α)·N losses, the loss at the boundary counted for the
    fraction of it that falls in the tail.
    """
    losses = np.asarray(losses, dtype=float)
    n = losses.shape[-1]
    tail = (1.0 - alpha) * n
    whole = int(math.floor(tail + 1e-12))
    frac = tail - whole
    worst = -np.sort(-losses, axis=-1)
    total = worst[..., :whole].sum(axis=-1)
    if whole < n and frac > 1e-12:
        total = total + frac * worst[..., whole]
    return total / tail


def var_threshold(losses: np.ndarray, probabilities: np.ndarray, alpha: float) -> float:
    """ζ*: the smallest loss z with P(L ≤ z) ≥ α (the α-quantile; periods). With it,
    ζ + E[(L − ζ)⁺]/(1 − α) equals the exact CVaR_α."""
    if not len(losses):
        return 0.0
    order = np.argsort(losses, kind="stable")
    cumulative = np.cumsum(probabilities[order])
    k = int(np.searchsorted(cumulative, alpha * cumulative[-1] - 1e-12))
    return float(losses[order][min(k, len(order) - 1)])


def risk_of(losses: np.ndarray, probabilities: np.ndarray, risk_weight: float,
            alpha: float) -> float:
    """R = (1−λ)·Σ π_s L_s + λ·CVaR_α (periods) of losses with probabilities π_s."""
    losses = np.asarray(losses, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    expected = float(probabilities @ losses)
    if risk_weight == 0.0:
        return expected
    return (1.0 - risk_weight) * expected + risk_weight * exact_cvar(losses, probabilities,
                                                                     alpha)
