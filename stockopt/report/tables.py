"""The reviewer's tables, derived from ``Results.tables`` and the model data (pure pandas).

Nothing here touches Excel: each function returns a DataFrame whose columns are
declared in ``columns.OUTPUT_COLUMNS``. Units: tonnes (t), the input's
currency, losses in periods of baseline demand. Row order is deterministic: input
order, or a stable sort on the stated key.
"""

from __future__ import annotations

import math

import pandas as pd

from ..data import ModelData
from ..model.budgets import levers_offered
from ..model.risk import tail_weights
from ..results.extract import ZERO_TOLERANCE, Results
from .columns import money_text, number_text, percent_text


def lever_columns(data: ModelData) -> tuple[str, ...]:
    """The spend columns for ``data``, in the order the stacked bar chart stacks them."""
    return levers_offered(data)


def _yes_no(flags: pd.Series) -> pd.Series:
    return flags.map({True: "yes", False: "no"}).astype(object)


def budget_step(data: ModelData) -> float:
    """The budget increment the shadow prices are quoted for (currency).

    1 million, unless a party's (or the pooled) budget is below 100 million: then the
    power of ten at or below 1% of the smallest positive budget, so the step stays a
    small change where the marginal rate holds.
    """
    budgets = [b for b in [*data.budget.values(), data.pooled_budget] if b]
    smallest = min(budgets, default=None)
    if smallest is None or smallest >= 1e8:
        return 1e6
    return 10.0 ** math.floor(math.log10(smallest / 100))


def step_words(step: float) -> str:
    """A budget step in words: 1e6 -> '1 million', 1e9 -> '1 billion', 100 -> '100'."""
    for size, word in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")):
        if step >= size and (step / size).is_integer():
            return f"{step / size:g} {word}"
    return f"{step:g}"


OWN_CURRENCY_COLUMNS = ("budget_currency", "exchange_rate", "budget_own", "spend_own",
                        "risk_reduction_per_own_step")
"""The columns ``spend_by_party`` adds when a party's budget is in its own currency."""


def spend_by_party(results: Results, data: ModelData) -> pd.DataFrame:
    """Spend per party and lever, budget, use of budget and marginal value of more budget.

    Amounts in the base currency; when a party's budget is in its own currency
    (FORMULATION-v2 section 8), the columns ``OWN_CURRENCY_COLUMNS`` add each party's
    currency, rate, budget as entered, spend and marginal value in that currency.
    """
    levers = lever_columns(data)
    rows = {p: {lv: results.spend_by_lever.get(p, {}).get(lv, 0.0) for lv in levers}
            for p in data.parties}
    step = budget_step(data)
    own = bool(data.party_currency)
    records = []
    for p in data.parties:
        budget = data.budget.get(p)
        spend = results.spend.get(p, sum(rows[p].values()))
        rate = data.rate(p)
        price = results.budget_shadow_price.get(p, 0.0)  # per unit of p's own currency
        base_price = price if rate == 1.0 else price / rate
        record = {"party": p, **rows[p], "spend": spend, "budget": budget,
                  "budget_used": spend / budget if budget else None,
                  "risk_reduction_per_step": -base_price * step + 0.0}
        if own:
            record.update({"budget_currency": data.currency_of(p), "exchange_rate": rate,
                           "budget_own": data.budget_own(p), "spend_own": spend / rate,
                           "risk_reduction_per_own_step": -price * step + 0.0})
        records.append(record)
    return pd.DataFrame(records, columns=["party", *levers, "spend", "budget",
                                          "budget_used", "risk_reduction_per_step",
                                          *(OWN_CURRENCY_COLUMNS if own else ())])


def currency_sentences(results: Results, data: ModelData) -> list[str]:
    """For each party whose budget is in its own currency: the budget as entered, the rate
    and where it was read, the budget and the spend in both currencies."""
    sentences = []
    base = data.currency
    for p in data.parties:
        if p not in data.party_currency:
            continue
        code, rate = data.currency_of(p), data.rate(p)
        entered, budget = data.budget_own(p), data.budget.get(p)
        spend = results.spend.get(p, 0.0)
        limit = ("no budget limit" if entered is None else
                 f"a budget of {money_text(entered, code)} = {money_text(budget, base)}")
        sentences.append(
            f"{p}'s budget is in {code}, converted at {number_text(rate)} {base} per {code} "
            f"({data.exchange_rates_source}): {limit}; it spends {money_text(spend, base)} = "
            f"{money_text(spend / rate, code)}. Prices and fees are in {base}.")
    return sentences




def shadow_price_sentences(results: Results, data: ModelData) -> list[str]:
    """The budget shadow prices in words, one sentence per party (and the pooled budget)."""
    step = budget_step(data)
    sentences = []
    # each party's shadow price is per unit of its own currency (FORMULATION-v2 section 8)
    entries = [(p, data.budget.get(p), results.budget_shadow_price.get(p, 0.0),
                data.currency_of(p)) for p in data.parties]
    if data.pooled_budget is not None:
        entries.append(("all parties together (pooled budget)", data.pooled_budget,
                        results.pooled_budget_shadow_price, data.currency))
    for who, budget, price, code in entries:
        amount = f"{step_words(step)} {code}"
        drop = -price * step
        if budget is None:
            sentences.append(f"{who} has no budget limit: more money would not lower the risk.")
        elif drop <= 1e-12 * max(1.0, abs(results.risk)):
            sentences.append(f"{amount} more for {who} would not lower the risk: the budget "
                             "is not binding.")
        else:
            share = (f" ({percent_text(drop / results.risk)} of it)" if results.risk > 0
                     else "")
            sentences.append(f"{amount} more for {who} lowers the risk by {number_text(drop)} "
                             f"periods of demand{share}, at the margin.")
    return sentences


def plans_over_time(data: ModelData) -> bool:
    """Whether the workbook orders over time (FORMULATION-v2 section 6): purchase_timing
    periods, a lead time, PricePath or PeriodBudgets rows. Then the reports show the order
    schedule and the spending per period."""
    return (data.purchase_timing == "periods" or bool(data.lead_time)
            or bool(data.price_path) or bool(data.period_budgets))


def order_schedule(results: Results) -> pd.DataFrame:
    """The plan's orders (nonzero only), by stockpile, mineral and order period, with the
    arrival period, price and costs (base currency)."""
    df = results.tables["orders"]
    df = df[df["tonnes"] > 0].rename(columns={"tonnes": "ordered", "price": "order_price"})
    return df[["stockpile", "mineral", "order_period", "arrival_period", "ordered",
               "order_price", "purchase_cost", "holding_cost"]].reset_index(drop=True)


def period_spending(results: Results, data: ModelData) -> tuple[pd.DataFrame, list[str],
                                                                  list[str]]:
    """Spending per period (rows) and party: each party's F_{p,t} and, where PeriodBudgets
    has a row, its period budget, both in the base currency. Returns the table, the spend
    columns and the budget columns (one per party with any period budget)."""
    labels = list(data.periods)
    cur = data.currency
    table = {"period": labels}
    spend_cols, budget_cols = [], []
    for p in data.parties:
        col = f"{p} spend ({cur})"
        table[col] = [results.spend_by_period.get(p, {}).get(t, 0.0) for t in labels]
        spend_cols.append(col)
    for p in data.parties:
        if not any(q == p for (q, _t) in data.period_budgets):
            continue
        col = f"{p} period budget ({cur})"
        table[col] = [data.period_budgets.get((p, t)) for t in range(1, len(labels) + 1)]
        budget_cols.append(col)
    return pd.DataFrame(table), spend_cols, budget_cols


def period_budget_sentences(results: Results, data: ModelData) -> list[str]:
    """What one more step of each binding period budget buys, in words (per unit of the
    party's own currency); one sentence per party listing its binding periods."""
    if not results.period_budget_shadow_price:
        return []
    step = budget_step(data)
    sentences = []
    for p, prices in results.period_budget_shadow_price.items():
        code = data.currency_of(p)
        binding = [(t, -price * step) for t, price in prices.items()
                   if -price * step > 1e-12 * max(1.0, abs(results.risk))]
        if not binding:
            sentences.append(f"None of {p}'s period budgets binds: moving money between "
                             "its years would not lower the risk.")
            continue
        parts = ", ".join(f"{t}: {number_text(drop)}" for t, drop in binding)
        sentences.append(f"{step_words(step)} {code} more in one of {p}'s binding period "
                         f"budgets lowers the risk by (periods of demand, at the margin) "
                         f"{parts}; the earlier the money, the more it buys when the "
                         "figures fall over time.")
    return sentences


def expected_shortfalls(results: Results, data: ModelData, top: int = 10) -> pd.DataFrame:
    """The ``top`` largest expected shortfalls per (party, mineral), over the horizon.

    Sorted by expected shortfall in tonnes, largest first (ties in input order); pairs
    with no expected shortfall are left out.
    """
    columns = ["rank", "party", "mineral", "expected_shortfall", "expected_demand",
               "expected_shortfall_share", "expected_loss_contribution", "worst_scenario",
               "worst_scenario_shortfall", "peak_period"]
    sf = results.tables["shortfalls"]
    if sf.empty:
        return pd.DataFrame(columns=columns)
    prob = sf["scenario"].map(data.probability).astype(float)
    sf = sf.assign(_e=sf["shortfall"] * prob, _d=sf["demand"] * prob,
                   _l=sf["loss_contribution"] * prob)
    keys = ["party", "mineral"]
    pairs = sf.groupby(keys, sort=False).agg(expected_shortfall=("_e", "sum"),
                                              expected_demand=("_d", "sum"),
                                              expected_loss_contribution=("_l", "sum"))
    pairs = pairs[pairs["expected_shortfall"] > ZERO_TOLERANCE]
    pairs = pairs.sort_values("expected_shortfall", ascending=False, kind="stable").head(top)
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    chosen = sf.set_index(keys).index.isin(pairs.index)
    sub = sf[chosen]
    per_scenario = sub.groupby([*keys, "scenario"], sort=False)["shortfall"].sum().reset_index()
    per_period = sub.groupby([*keys, "period"], sort=False)["_e"].sum().reset_index()
    records = []
    for rank, ((p, m), row) in enumerate(pairs.iterrows(), start=1):
        by_s = per_scenario[(per_scenario["party"] == p) & (per_scenario["mineral"] == m)
                            ].set_index("scenario")["shortfall"]
        by_t = per_period[(per_period["party"] == p) & (per_period["mineral"] == m)
                          ].set_index("period")["_e"]
        worst = by_s.idxmax()
        records.append({"rank": rank, "party": p, "mineral": m,
                        "expected_shortfall": row["expected_shortfall"],
                        "expected_demand": row["expected_demand"],
                        "expected_shortfall_share": row["expected_shortfall"]
                        / row["expected_demand"] if row["expected_demand"] > 0 else None,
                        "expected_loss_contribution": row["expected_loss_contribution"],
                        "worst_scenario": worst, "worst_scenario_shortfall": by_s[worst],
                        "peak_period": by_t.idxmax()})
    return pd.DataFrame(records, columns=columns)


def party_risks(results: Results) -> pd.DataFrame:
    """Each party's own expected loss, CVaR and risk (periods of its demand lost), with its
    share of the parties' risks."""
    rows = [{"party": p, **m} for p, m in results.parties.items()]
    df = pd.DataFrame(rows, columns=["party", "expected_loss", "cvar", "risk"])
    total = float(df["risk"].sum()) if len(df) else 0.0
    df["risk_share"] = df["risk"] / total if total > 0 else 0.0
    if results.risk_limits:
        df["risk_limit"] = df["party"].map(results.risk_limits)
    return df


def party_losses_worst_first(results: Results) -> pd.DataFrame:
    """Each scenario's loss split by party, scenarios in the Scenarios sheet's order."""
    table = results.tables.get("party_losses")
    if table is None:
        return pd.DataFrame(columns=["scenario", "party", "party_loss"])
    df = table.rename(columns={"loss": "party_loss"})
    return worst_first(df, results)[["scenario", "party", "party_loss"]]


def scenario_ranking(results: Results, data: ModelData) -> pd.DataFrame:
    """Scenarios sorted by loss, worst first (ties in input order), with the CVaR tail marked.

    The tail is the worst 1 − α of probability; a scenario straddling its edge is "partly"
    in it, with ``tail_weight`` the probability counted.
    """
    sl = results.tables["scenario_losses"].copy()
    sl = sl.sort_values("loss", ascending=False, kind="stable").reset_index(drop=True)
    cumulative = sl["probability"].cumsum()
    weight = pd.Series(tail_weights(sl["loss"].to_numpy(), sl["probability"].to_numpy(),
                                    data.cvar_alpha))
    tol = 1e-12
    marks = ["yes" if w >= p - tol and p > 0 else "partly" if w > tol else "no"
             for w, p in zip(weight, sl["probability"], strict=True)]
    expected = results.expected_loss
    sl["rank"] = range(1, len(sl) + 1)
    sl["share_of_expected_loss"] = (sl["probability"] * sl["loss"] / expected
                                    if expected > 0 else 0.0)
    sl["cumulative_probability"] = cumulative
    sl["in_cvar_tail"] = marks
    sl["tail_weight"] = weight
    return sl[["rank", "scenario", "probability", "loss", "share_of_expected_loss",
               "cumulative_probability", "in_cvar_tail", "tail_weight", "operating_cost",
               "description"]]


def worst_first(df: pd.DataFrame, results: Results) -> pd.DataFrame:
    """``df`` with its scenarios in the Scenarios sheet's order (worst loss first); rows of
    one scenario keep their order (a stable sort)."""
    if df.empty or "scenario" not in df.columns:
        return df
    sl = results.tables["scenario_losses"]
    order = sl.sort_values("loss", ascending=False, kind="stable")["scenario"]
    rank = {s: i for i, s in enumerate(order)}
    keys = df["scenario"].map(rank)
    return df.iloc[keys.to_numpy().argsort(kind="stable")].reset_index(drop=True)


def worst_scenario(results: Results) -> str | None:
    """The scenario with the largest loss (the first in input order on a tie)."""
    sl = results.tables["scenario_losses"]
    if sl.empty:
        return None
    return str(sl["scenario"].iloc[int(sl["loss"].to_numpy().argmax())])


def _expected_by(table: pd.DataFrame, key: str, value: str, data: ModelData) -> pd.Series:
    if table.empty:
        return pd.Series(dtype=float)
    weighted = table[value] * table["scenario"].map(data.probability).astype(float)
    return weighted.groupby(table[key], sort=False).sum()


def _chosen_first(df: pd.DataFrame, amount: str, cost: str) -> pd.DataFrame:
    """Chosen options first, by cost then amount (largest first); then the rest, input order."""
    chosen = df[df[amount] > ZERO_TOLERANCE].sort_values([cost, amount], ascending=False,
                                                          kind="stable")
    rest = df[~(df[amount] > ZERO_TOLERANCE)]
    out = pd.concat([chosen, rest], ignore_index=True) if len(rest) else chosen
    out["chosen"] = _yes_no(out[amount] > ZERO_TOLERANCE)
    return out.reset_index(drop=True)


def purchases(results: Results, data: ModelData) -> pd.DataFrame:
    """Purchases and resulting levels per stockpile and mineral, chosen first."""
    df = results.tables["purchases"].copy()
    df["cost_shares"] = df["stockpile"].map(lambda k: cost_shares_text(data, k))
    df["access"] = df["stockpile"].map(data.access_of)
    df = _chosen_first(df, "purchase", "total_cost")
    return df[["stockpile", "mineral", "chosen", "initial_stock", "purchase", "start_level",
               "max_stock", "purchase_cost", "holding_cost", "total_cost", "cost_shares",
               "access"]]


def access_shares(results: Results) -> pd.DataFrame | None:
    """Members' entitlements and use of the joint stockpiles with access shares, scenarios
    worst first, with held_to_share in words (yes/no); None when no stockpile has access
    shares (``results.tables["access_shares"]``, FORMULATION-v2 section 5)."""
    table = results.tables.get("access_shares")
    if table is None:
        return None
    df = worst_first(table, results).copy()
    df["held_to_share"] = df["held_to_share"].map({True: "yes", False: "no"})
    return df


def cost_shares_text(data: ModelData, stockpile: str) -> str:
    """'US 50%, EU 50%': a stockpile's cost shares in words."""
    return ", ".join(f"{p} {s:.0%}" for p, s in data.members.get(stockpile, {}).items())


def offtakes(results: Results, data: ModelData) -> pd.DataFrame:
    """Offtake options, chosen first, with the expected deliveries they bring."""
    df = results.tables["offtakes"].copy()
    deliveries = results.tables["offtake_deliveries"]
    df["expected_delivery"] = df["offtake"].map(
        _expected_by(deliveries, "offtake", "delivery", data)).fillna(0.0)
    df["expected_delivery_cost"] = df["offtake"].map(
        _expected_by(deliveries, "offtake", "cost", data)).fillna(0.0)
    df = df.rename(columns={"capacity": "offtake_capacity", "max_volume": "max_offtake_capacity",
                            "fee": "offtake_fee", "price": "delivered_price"})
    df = _chosen_first(df, "offtake_capacity", "fee_paid")
    return df[["offtake", "party", "mineral", "source", "chosen", "offtake_capacity",
               "max_offtake_capacity", "offtake_fee", "fee_paid", "delivered_price",
               "first_period", "expected_delivery", "expected_delivery_cost"]]


def swaps(results: Results, data: ModelData) -> pd.DataFrame:
    """Swap options, chosen first, with the expected draws on them."""
    df = results.tables["swaps"].copy()
    df["expected_draw"] = df["swap"].map(
        _expected_by(results.tables["swap_draws"], "swap", "draw", data)).fillna(0.0)
    df = df.rename(columns={"capacity": "swap_capacity", "max_volume": "max_swap_capacity",
                            "fee": "swap_fee"})
    df = _chosen_first(df, "swap_capacity", "fee_paid")
    return df[["swap", "lender_stockpile", "receiver", "mineral", "return_mineral",
               "return_ratio", "return_lag", "chosen", "swap_capacity", "max_swap_capacity",
               "swap_fee", "fee_paid", "expected_draw"]]


def stock_levels_wide(results: Results, data: ModelData) -> pd.DataFrame:
    """Stock levels over the periods: one row per scenario and holding, one column per period.

    Columns: scenario, stockpile, mineral, "start" (the level after purchases) and each
    period label (t at the end of the period). Rows in the stock_levels table's order.
    """
    keys = ["scenario", "stockpile", "mineral"]
    levels = results.tables["stock_levels"]
    if levels.empty:
        return pd.DataFrame(columns=[*keys, "start", *data.periods])
    wide = levels.pivot(index=keys, columns="period", values="stock_level")
    order = pd.MultiIndex.from_frame(levels[keys].drop_duplicates())
    wide = wide.reindex(index=order, columns=[p for p in data.periods if p in wide.columns])
    start = results.tables["purchases"].set_index(["stockpile", "mineral"])["start_level"]
    wide.insert(0, "start", [float(start.get((k, m), 0.0)) for _, k, m in wide.index])
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index()


def releases_wide(results: Results, data: ModelData) -> pd.DataFrame:
    """Nonzero releases over the periods: one row per scenario, stockpile, member and
    mineral with a release in some period, one column per period (t; blank = none).

    Rows in the releases table's order of first appearance."""
    keys = ["scenario", "stockpile", "party", "mineral"]
    releases = results.tables["releases"]
    if releases.empty:
        return pd.DataFrame(columns=[*keys, *data.periods])
    wide = releases.pivot_table(index=keys, columns="period", values="release",
                                aggfunc="sum", sort=False)
    order = pd.MultiIndex.from_frame(releases[keys].drop_duplicates())
    wide = wide.reindex(index=order, columns=[p for p in data.periods if p in wide.columns])
    wide.columns = [str(c) for c in wide.columns]
    return wide.reset_index()


def deliveries_wide(results: Results, data: ModelData) -> pd.DataFrame:
    """Nonzero offtake deliveries over the periods: one row per scenario and offtake with a
    delivery, one column per period (t; blank = none), then their cost (currency).

    Rows in the deliveries table's order of first appearance."""
    keys = ["scenario", "offtake"]
    deliveries = results.tables["offtake_deliveries"]
    if deliveries.empty:
        return pd.DataFrame(columns=[*keys, *data.periods, "cost"])
    wide = deliveries.pivot_table(index=keys, columns="period", values="delivery",
                                  aggfunc="sum", sort=False)
    order = pd.MultiIndex.from_frame(deliveries[keys].drop_duplicates())
    wide = wide.reindex(index=order, columns=[p for p in data.periods if p in wide.columns])
    wide.columns = [str(c) for c in wide.columns]
    wide["cost"] = deliveries.groupby(keys, sort=False)["cost"].sum().reindex(order).to_numpy()
    return wide.reset_index()


def stock_account(results: Results, data: ModelData, scenario: str | None = None
                  ) -> pd.DataFrame:
    """Per scenario, stockpile, mineral and period: opening, arrived, released, lent,
    returned, closing.

    The stock balance of the model, one row per period: stock_level = opening_level +
    arrived − released − lent + returned (t), opening_level of the first period the initial
    stock, ``arrived`` the orders arriving at the start of the period. Rows follow the
    stock_levels table's order; only ``scenario``'s rows when given.
    """
    keys = ["scenario", "stockpile", "mineral", "period"]
    levels = results.tables["stock_levels"]
    if scenario is not None:
        levels = levels[levels["scenario"] == scenario]
    columns = [*keys, "opening_level", "arrived", "released", "lent", "returned", "stock_level"]
    if levels.empty:
        return pd.DataFrame(columns=columns)
    df = levels[keys + ["stock_level"]].reset_index(drop=True)
    start = results.tables["purchases"].set_index(["stockpile", "mineral"])["initial_stock"]
    previous = df.groupby(["scenario", "stockpile", "mineral"], sort=False)["stock_level"].shift(1)
    first = pd.Series(list(zip(df["stockpile"], df["mineral"], strict=True)),
                      index=df.index).map(start.to_dict())
    df["opening_level"] = previous.fillna(first).astype(float)
    orders = results.tables["orders"]
    arrivals = orders.groupby(["stockpile", "mineral", "arrival_period"], sort=False)[
        "tonnes"].sum().to_dict() if len(orders) else {}
    df["arrived"] = [float(arrivals.get((k, m, t), 0.0)) for k, m, t in
                     zip(df["stockpile"], df["mineral"], df["period"], strict=True)]

    releases = results.tables["releases"]
    rel = releases.groupby(keys, sort=False)["release"].sum() if len(releases) else None
    draws = results.tables["swap_draws"]
    lent = returned = None
    if len(draws):
        lender = draws["swap"].map({w: s.lender for w, s in data.swaps.items()})
        mineral = draws["swap"].map({w: s.mineral for w, s in data.swaps.items()})
        lent = draws.assign(stockpile=lender, mineral=mineral).groupby(
            keys, sort=False)["draw"].sum()
        due = draws[draws["return_period"].isin(data.periods)]
        returned = due.assign(stockpile=due["swap"].map({w: s.lender for w, s in
                                                         data.swaps.items()}),
                              mineral=due["return_mineral"], period=due["return_period"]
                              ).groupby(keys, sort=False)["return_amount"].sum()
    index = pd.MultiIndex.from_frame(df[keys])
    for name, series in (("released", rel), ("lent", lent), ("returned", returned)):
        df[name] = (series.reindex(index).fillna(0.0).to_numpy() if series is not None
                    else 0.0)
    return df[columns]


def outstanding_obligations(results: Results) -> pd.DataFrame:
    """Swap returns still owed at the end of the horizon, per scenario and swap (t, currency)."""
    draws = results.tables["swap_draws"]
    columns = ["scenario", "swap", "return_mineral", "outstanding_at_end", "outstanding_value"]
    if draws.empty:
        return pd.DataFrame(columns=columns)
    owed = draws[draws["outstanding_at_end"] > ZERO_TOLERANCE]
    return (owed.groupby(["scenario", "swap", "return_mineral"], sort=False)
            [["outstanding_at_end", "outstanding_value"]].sum().reset_index()[columns])


def worst_scenario_levels(results: Results, data: ModelData, limit: int = 8
                          ) -> tuple[str | None, pd.DataFrame]:
    """Stock levels over periods in the worst scenario, one column per holding (t).

    Rows: "start" then each period. At most ``limit`` holdings: those drawn down most in
    that scenario (ties by start level, then input order); none when no holding moves
    and all are empty.
    """
    worst = worst_scenario(results)
    levels = results.tables["stock_levels"]
    if worst is None or levels.empty:
        return worst, pd.DataFrame()
    sub = levels[levels["scenario"] == worst]
    start = results.tables["purchases"].set_index(["stockpile", "mineral"])["start_level"]
    wide = sub.pivot_table(index="period", columns=["stockpile", "mineral"],
                           values="stock_level", sort=False)
    wide = wide.reindex([p for p in data.periods if p in wide.index])
    starts = pd.Series({col: float(start.get(col, 0.0)) for col in wide.columns})
    drawdown = starts - wide.min()
    ranking = pd.DataFrame({"drawdown": drawdown, "start": starts,
                            "order": range(len(starts))})
    ranking = ranking[(ranking["drawdown"] > ZERO_TOLERANCE) | (ranking["start"] > ZERO_TOLERANCE)]
    ranking = ranking.sort_values(["drawdown", "start", "order"],
                                  ascending=[False, False, True], kind="stable").head(limit)
    cols = list(ranking.index)
    if not cols:
        return worst, pd.DataFrame()
    table = pd.concat([pd.DataFrame([starts[cols].to_numpy()], columns=cols, index=["start"]),
                       wide[cols]])
    table.columns = [f"{k}: {m}" for k, m in cols]
    table.index.name = "period"
    return worst, table.reset_index()
