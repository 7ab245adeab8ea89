"""Party risk limits: no party's own risk R_p above its bound (FORMULATION-v2 section 4).

Mirrors ``models/formulation.md``, section "Party risk limits". A party is limited when
the Parties sheet gives it a ``max_risk``, or when the setting ``party_risk_limit`` is
``alone`` (then every party is: R_p ≤ R_p^alone + 1e-7·max(1, R_p^alone), R_p^alone the
optimal risk of the party's stand-alone problem, ``stockopt.studies.cooperation``). Each
limited party p gets the CVaR threshold ``party_cvar_threshold`` (ζ_p, free, first stage)
and per scenario ``party_cvar_excess`` (η_{p,s} ≥ 0) with rows

    party_cvar_excess_def[p]_s:  η_{p,s} ≥ L_{p,s} − ζ_p
    party_risk_limit[p, kind]:   (1−λ)·Σ_s π_s L_{p,s} + λ·(ζ_p + Σ_s π_s η_{p,s}/(1−α)) ≤ bound

where L_{p,s} = Σ_{m,t} crit[p,m,t]/d[p,m,t] · e[p,m,t,s] is the party's loss (the
party's terms of ``loss``). The left side is ≥ R_p for every ζ_p and equals it at the
best ζ_p, so the row holds exactly when R_p ≤ bound. The limit row is an expectation
over the scenarios (``RowFamily.expected``); it stays in every phase. ``kind`` is
``max_risk`` or ``alone``; with both, both rows apply.
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .risk import loss_coefficients
from .statement import FIRST, INF, SCENARIO, ModelStatement, Terms

ALONE_MARGIN = 1e-7
"""The relative margin of "no worse off than alone": R_p ≤ R_p^alone + 1e-7·max(1, R_p^alone)."""


def alone_bound(alone_risk: float) -> float:
    """The bound of "no worse off than alone" for a party whose stand-alone risk is
    ``alone_risk`` (periods): R_p^alone + 1e-7·max(1, R_p^alone)."""
    return alone_risk + ALONE_MARGIN * max(1.0, abs(alone_risk))


def limits(data: ModelData) -> list[tuple[str, str, float]]:
    """The party risk limits of ``data``: (party, kind, bound in periods), parties in
    Parties order, ``max_risk`` before ``alone``. Raises ValueError when
    ``party_risk_limit`` is ``alone`` and the stand-alone risks were not computed
    (``data.alone_risk``, filled by ``stockopt.studies.cooperation.with_alone_risks``)."""
    out = []
    for p in data.parties:
        if p in data.max_risk:
            out.append((p, "max_risk", float(data.max_risk[p])))
        if data.party_risk_limit == "alone":
            if p not in data.alone_risk:
                raise ValueError(f"party_risk_limit is 'alone' but the stand-alone risk of "
                                 f"{p} was not computed")
            out.append((p, "alone", alone_bound(data.alone_risk[p])))
    return out


def limited_parties(data: ModelData) -> list[str]:
    """The parties with at least one risk limit, in Parties order."""
    found = {p for p, _kind, _bound in limits(data)}
    return [p for p in data.parties if p in found]


def has_limits(data: ModelData) -> bool:
    """Whether ``data`` limits any party's risk (a ``max_risk`` or ``party_risk_limit``)."""
    return bool(data.max_risk) or data.party_risk_limit == "alone"


def add_variables(st: ModelStatement) -> None:
    """ζ_p free and η_{p,s} ≥ 0 for each limited party."""
    if not has_limits(st.data):
        return
    parties = limited_parties(st.data)
    st.add_set("LIMITED_PARTIES", parties, "parties whose risk R_p is limited")
    st.add_variables("party_cvar_threshold", FIRST, parties, lower=-INF,
                     set_name="LIMITED_PARTIES",
                     doc="ζ_p: the party's CVaR threshold (periods of its demand)")
    st.add_variables("party_cvar_excess", SCENARIO, parties,
                     doc="η_{p,s}: the party's loss above ζ_p (periods)")


def add_rows(st: ModelStatement) -> None:
    """party_cvar_excess_def (per scenario) and party_risk_limit (an expectation row)."""
    data = st.data
    if not has_limits(data):
        return
    parties = limited_parties(data)
    rows = limits(data)
    coef = loss_coefficients(st)
    position = {p: i for i, p in enumerate(parties)}
    demands = st.index.DEMANDS
    # the shortfalls of each limited party, as (party number, shortfall column, crit/d)
    mine = [(position[p], j) for j, (p, _m, _t) in enumerate(demands) if p in position]
    own_row = np.array([i for i, _j in mine], dtype=np.int64)
    own_col = np.array([j for _i, j in mine], dtype=np.int64)
    here = np.arange(len(parties))
    st.add_rows("party_cvar_excess_def", SCENARIO, parties, [
        Terms("shortfall", own_row, own_col, coef[own_col]),
        Terms("party_cvar_threshold", here, here, -1.0),
        Terms("party_cvar_excess", here, here, -1.0),
    ], upper=0.0, doc="η_{p,s} ≥ L_{p,s} − ζ_p")

    lam, alpha = data.risk_weight, data.cvar_alpha
    row_of = {p: [i for i, (q, _k, _b) in enumerate(rows) if q == p] for p in parties}
    r_loss, c_loss, v_loss, r_one, c_one = [], [], [], [], []
    for i, j in mine:
        for r in row_of[parties[i]]:
            r_loss.append(r)
            c_loss.append(j)
            v_loss.append((1.0 - lam) * coef[j])
    for r, (p, _kind, _bound) in enumerate(rows):
        r_one.append(r)
        c_one.append(position[p])
    terms = [Terms("shortfall", r_loss, c_loss, v_loss)]
    if lam != 0.0:
        terms += [Terms("party_cvar_threshold", r_one, c_one, lam),
                  Terms("party_cvar_excess", r_one, c_one, lam / (1.0 - alpha))]
    st.add_rows("party_risk_limit", FIRST, [(p, kind) for p, kind, _b in rows], terms,
                upper=[b for _p, _k, b in rows], after_scenarios=True, expected=True,
                doc="(1−λ)·Σ_s π_s L_{p,s} + λ·(ζ_p + Σ_s π_s η_{p,s}/(1−α)) ≤ bound_p "
                    "(periods)")
