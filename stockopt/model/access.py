"""Access to a joint stockpile by cost shares (FORMULATION-v2 section 5).

Mirrors ``models/formulation.md``, section "Access by shares". For a stockpile whose
Stockpiles rows say ``access = shares`` (``ModelData.access_of``), rows per scenario
``access_share``, for every member p, holding (k, m) and period t:

    Σ_{t'≤t} r[k,p,m,t'] ≤ σ[k,p]·( S0[k,m] + (purchases arrived by t)
                                    + Σ_{t'≤t} returns into (k,m) − Σ_{t'≤t} swap draws from (k,m) )

written as Σ_{t'≤t} r − σ·a[k,m] + σ·Σ f − σ·Σ ρ_w·f[w, t_draw] ≤ σ·S0[k,m] (t). A member
cannot take more than its cost share of what the stockpile has had so far; a swap draw
from the stockpile reduces every member's entitlement by its share, a return restores it.

Only stockpiles with at least two members get rows: a single member's share is 1 and its
row, Σ_{t'≤t} r ≤ S0 + a + returns − draws − (nothing else), is already implied by the
stock balance with z ≥ 0. A stockpile with free access (the default) gets none, so a
workbook without ``shares`` has exactly the model it had before.
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .statement import SCENARIO, ModelStatement, Terms
from .stockpiles import arrived_by

RELEASED = "released"
"""Label of the release terms of ``access_share``: Σ_{t'≤t} r[k,p,m,t'] (t)."""

ENTITLED = "entitled"
"""Label of the other terms: −σ·(what the stockpile has had beyond S0 by t) (t)."""


def shared_stockpiles(data: ModelData) -> list[str]:
    """Stockpiles whose members draw within their cost shares and that have at least two
    members (data order): the stockpiles that get ``access_share`` rows."""
    return [k for k in data.stockpiles
            if data.access_of(k) == "shares" and len(data.members[k]) >= 2]


def share_rows(st: ModelStatement) -> list[tuple[str, str, str, int]]:
    """The ``access_share`` index (k, p, m, t): every release (k, p, m) of a shared
    stockpile in every period, in the order of the releases."""
    shared = set(shared_stockpiles(st.data))
    return [(k, p, m, t) for (k, p, m) in st.index.RELEASES if k in shared
            for t in st.index.PERIODS]


def purchases_arrived(st: ModelStatement, holding: tuple[str, str], t: int
                      ) -> list[tuple[str, int, float]]:
    """The orders of ``holding`` (k, m) that have arrived by period ``t``, as (variable
    family, entry, tonnes per unit) terms: Σ_{t'≤t} arr[k,m,t'] (FORMULATION-v2 section 6;
    under v1 timing every purchase is there from period 1)."""
    return [("purchase", j, 1.0) for j in arrived_by(st, holding, t)]


def add_variables(st: ModelStatement) -> None:
    """Access by shares adds no variables."""


def add_rows(st: ModelStatement) -> None:
    """access_share rows over ``share_rows``."""
    data, idx = st.data, st.index
    st.add_set("ACCESS_SHARES", shared_stockpiles(data),
               "joint stockpiles whose members draw within their cost shares")
    keys = share_rows(st)
    release = st.position("release")
    draw = st.position("swap_draw")
    returns_into: dict[tuple[str, str], list[tuple[str, int, int]]] = {}
    for w, t_draw, back in idx.SWAP_RETURNS:
        spec = data.swaps[w]
        returns_into.setdefault((spec.lender, spec.return_mineral), []).append((w, t_draw, back))
    rel_r, rel_c = [], []
    other: dict[str, tuple[list, list, list]] = {}  # family -> (rows, cols, coefs)
    upper = np.zeros(len(keys))
    for i, (k, p, m, t) in enumerate(keys):
        share = data.members[k][p]
        upper[i] = share * data.holdings[(k, m)].initial_stock
        for t_prev in range(1, t + 1):
            rel_r.append(i)
            rel_c.append(release[(k, p, m, t_prev)])
        had = [(var, j, -share * tonnes) for var, j, tonnes in purchases_arrived(st, (k, m), t)]
        had += [("swap_draw", draw[(w, t_prev)], share)
                for w in idx.swaps_lending.get((k, m), ()) for t_prev in range(1, t + 1)]
        had += [("swap_draw", draw[(w, t_draw)], -share * data.swaps[w].return_ratio)
                for w, t_draw, back in returns_into.get((k, m), ()) if back <= t]
        for var, j, coef in had:
            rows, cols, coefs = other.setdefault(var, ([], [], []))
            rows.append(i)
            cols.append(j)
            coefs.append(coef)
    terms = [Terms("release", rel_r, rel_c, 1.0, label=RELEASED)]
    terms += [Terms(var, rows, cols, coefs, label=ENTITLED)
              for var, (rows, cols, coefs) in other.items()]
    st.add_rows("access_share", SCENARIO, keys, terms, upper=upper,
                doc="Σ_{t'≤t} r[k,p,m,t'] ≤ σ[k,p]·(S0 + a + returns − draws by t) (t)")


def entitlements(st: ModelStatement, first: dict[str, np.ndarray],
                 second: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each member's use and entitlement at a solution (``first``/``second`` as for
    ``ModelStatement.evaluate``): for every ``access_share`` row (k, p, m, t) in every
    scenario, arrays of shape (scenarios, rows) of the cumulative releases
    Σ_{t'≤t} r[k,p,m,t'] and the entitlement σ[k,p]·(S0 + a + returns − draws by t), both
    in tonnes. Read from the row itself: entitlement = upper bound − its other terms."""
    fam = st.rows["access_share"]
    zero = np.zeros((st.n_scenarios, fam.size))
    parts = st.evaluate("access_share", first, second, by_label=True)
    assert isinstance(parts, dict)
    return parts.get(RELEASED, zero), fam.upper - parts.get(ENTITLED, zero)
