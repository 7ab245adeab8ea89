"""Every column of the output workbook, declared once: unit, meaning and number format;
and the product's one set of number rules, in cells and in sentences.

The headers of the output tables (``words (unit)``: the column's name in words, never
the programmer's name), their number formats and the Dictionary sheet are all derived
from ``OUTPUT_COLUMNS``, so they cannot drift. Units use the placeholders ``{currency}``
(the input's currency label) and ``{step}`` (the budget step the shadow prices are quoted
for, e.g. "1 million").

The number rules, for every workbook the product writes:

* cells: tonnes ``TONNES`` (one decimal), money ``MONEY`` (whole units), losses in
  periods of demand ``LOSS`` (three decimals), marginal rates ``RATE`` (five decimals),
  shares and probabilities ``PERCENT`` (a fraction shown as %; the header says "%");
* sentences: money in millions or billions with two decimals ("5.80 billion USD",
  ``money_text``), other numbers positional with four significant digits and never in
  scientific notation (``number_text``: "0.00009785", not "9.785e-05"), shares as
  percentages (``percent_text``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TONNES = "#,##0.0"
"""Number format for tonnes and tonnes per period."""
MONEY = "#,##0"
"""Number format for money (whole currency units)."""
PERCENT = "0.0%"
"""Number format for fractions shown as percentages."""
LOSS = "0.000"
"""Number format for losses in periods of baseline demand."""
RATE = "0.00000"
"""Number format for marginal rates (periods of demand per budget step)."""
PRICE = "#,##0.00"
"""Number format for prices and fees per unit (currency per t, to the cent)."""


def number_text(x: float, digits: int = 4) -> str:
    """``x`` in a sentence: ``digits`` significant digits, positional, thousands separated
    from 10,000 up; never scientific notation (9.785e-05 -> '0.00009785')."""
    x = float(x)
    if abs(x) >= 10_000:
        return f"{x:,.0f}"
    if x == 0:
        return "0"
    return np.format_float_positional(x, precision=digits, unique=False, fractional=False,
                                      trim="-")


def money_text(x: float, currency: str) -> str:
    """Money in a sentence: '5.80 billion USD', '184.64 million USD', '12,500 USD',
    '2.5 USD' (millions and billions with two decimals, less than a million in whole units,
    less than 100 with up to four significant digits)."""
    x = float(x)
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if abs(x) >= size:
            return f"{x / size:,.2f} {word} {currency}"
    amount = f"{x:,.0f}" if abs(x) >= 100 else number_text(x)
    return f"{amount} {currency}"


def percent_text(x: float) -> str:
    """A fraction as a percentage in a sentence: 0.1234 -> '12.3%', 0.0004 -> '0.04%'."""
    pct = float(x) * 100
    return f"{pct:.1f}%" if abs(pct) >= 1 or pct == 0 else f"{number_text(pct, 2)}%"


@dataclass(frozen=True)
class OutputColumn:
    """One output column: its unit (may hold ``{currency}``/``{step}``), meaning and format."""

    unit: str
    meaning: str
    number_format: str = "General"
    wrap: bool = False
    """Long free text: wrapped in a column of at most ``cells.WRAP_WIDTH``."""
    label: str = ""
    """The header in words (may hold the placeholders); blank: the name with spaces."""

    def unit_text(self, currency: str, step: str = "") -> str:
        """The unit with the placeholders filled in ("" when the column has no unit); a
        fraction shown as a percentage is '%'."""
        if self.unit == "fraction" and "%" in self.number_format:
            return "%"
        return self.unit.format(currency=currency, step=step)

    def words(self, name: str, currency: str = "", step: str = "") -> str:
        """The header of column ``name`` in words: its label, or the name with spaces."""
        if self.label:
            return self.label.format(currency=currency, step=step)
        return name.replace("_", " ")



def _c(unit: str, meaning: str, number_format: str = "General", wrap: bool = False,
       label: str = "") -> OutputColumn:
    return OutputColumn(unit, meaning, number_format, wrap, label)


OUTPUT_COLUMNS: dict[str, OutputColumn] = {
    # identifiers
    "rank": _c("", "Position in the sorted table (1 = largest).", "0"),
    "scenario": _c("", "Disruption scenario (Scenarios sheet of the input)."),
    "party": _c("", "Allied party."),
    "mineral": _c("", "Critical mineral."),
    "period": _c("", "Planning period."),
    "stockpile": _c("", "Stockpile."),
    "source": _c("", "Origin source of the flow."),
    "offtake": _c("", "Offtake option."),
    "swap": _c("", "Swap agreement option."),
    "lender_stockpile": _c("", "Stockpile lent from."),
    "receiver": _c("", "Party that draws on the swap."),
    "return_mineral": _c("", "Mineral returned for a swap draw."),
    "chosen": _c("", "yes when the plan buys or reserves any of this option, no when it was "
                 "offered but not chosen."),
    # spend against budget (Summary)
    "purchase_cost": _c("{currency}", "Purchase × price (for a party: its cost share of it).",
                        MONEY),
    "holding_cost": _c("{currency}", "Purchase × holding cost × number of periods (for a "
                       "party: its cost share of it).", MONEY),
    "offtake_fees": _c("{currency}", "Reservation fees of the party's offtake contracts.", MONEY),
    "swap_fees": _c("{currency}", "Reservation fees of the swaps the party receives.", MONEY),
    "spend": _c("{currency}", "Preparedness spending F_p: purchases, holding, offtake and swap "
                "fees (and mitigation fees, when offered); what the budget limits.", MONEY),
    "budget": _c("{currency}", "Preparedness budget B_p (blank = unlimited).", MONEY),
    "budget_used": _c("fraction", "Spend ÷ budget.", PERCENT),
    "risk_reduction_per_step": _c(
        "periods of demand per {step} {currency}",
        "How much the risk R* falls per extra {step} {currency} of budget: −(budget shadow "
        "price ∂R*/∂B, B in {currency}) × step, a marginal rate at the optimum (0 when the "
        "budget is slack).", RATE, label="risk reduction per {step} {currency} more"),
    # a party's budget in its own currency (Summary; FORMULATION-v2 section 8)
    "budget_currency": _c("", "The currency the party's budget is entered in (Parties column "
                          "currency; blank there = {currency}, the base currency)."),
    "exchange_rate": _c("{currency} per unit", "Units of {currency} per unit of the party's "
                        "currency (Settings exchange_rates; 1 for {currency}): budget = "
                        "budget_own × rate.", "0.0000"),
    "budget_own": _c("party's currency", "The budget exactly as entered, in the party's "
                     "currency (blank = unlimited).", MONEY),
    "spend_own": _c("party's currency", "Spend in the party's currency: spend ÷ rate.",
                    MONEY),
    "risk_reduction_per_own_step": _c(
        "periods of demand per {step} of the party's currency",
        "How much the risk R* falls per extra {step} of budget in the party's own currency: "
        "−∂R*/∂B_p × step with B_p in that currency (= rate × the base-currency rate of "
        "risk_reduction_per_step; 0 when the budget is slack).", RATE,
        label="risk reduction per {step} more in own currency"),
    # expected shortfalls (Summary)
    "expected_shortfall": _c("t over the horizon", "Σ_s π_s Σ_t shortfall: the tonnes expected "
                             "to be missing over all periods.", TONNES),
    "expected_demand": _c("t over the horizon", "Σ_s π_s Σ_t demand.", TONNES),
    "expected_shortfall_share": _c("fraction", "Expected shortfall ÷ expected demand.", PERCENT),
    "expected_loss_contribution": _c("periods of demand", "This pair's part of the expected "
                                     "loss Σ_s π_s L_s.", LOSS),
    "worst_scenario": _c("", "Scenario with the largest shortfall of this pair (first in input "
                         "order on a tie)."),
    "worst_scenario_shortfall": _c("t over the horizon", "Shortfall of this pair in its worst "
                                   "scenario.", TONNES),
    "peak_period": _c("", "Period with the largest expected shortfall of this pair."),
    # purchases
    "initial_stock": _c("t", "Stock already held at the start.", TONNES),
    "purchase": _c("t", "Tonnes bought (a; with orders over time, all orders together).",
                   TONNES),
    "start_level": _c("t", "initial + purchase: the stock at the start of the horizon (with "
                      "orders over time or a lead time, the planned level once every order "
                      "has arrived).", TONNES),
    "order_period": _c("", "Period at whose start the order is placed (and paid)."),
    "arrival_period": _c("", "Period at whose start the order arrives and can be released "
                         "(order period + the mineral's lead time)."),
    "ordered": _c("t", "Tonnes ordered in the period.", TONNES),
    "arrived": _c("t", "Orders arriving at the start of the period (ordered lead-time "
                  "periods before).", TONNES),
    "order_price": _c("{currency}/t", "Price of an order placed in the period (PricePath, "
                      "else the Minerals price).", MONEY),
    "max_stock": _c("t", "Physical capacity (blank = unlimited).", TONNES),
    "total_cost": _c("{currency}", "Purchase and holding cost of the purchase.", MONEY),
    "cost_shares": _c("", "How the stockpile's costs are split between its members."),
    "access": _c("", "How members draw on the stockpile: free (any member may take any "
                 "amount) or shares (a member's releases stay within its cost share of what "
                 "the stockpile has had)."),
    # offtakes
    "offtake_capacity": _c("t/period", "Capacity reserved by the plan (x).", TONNES),
    "max_offtake_capacity": _c("t/period", "Most capacity on offer.", TONNES),
    "offtake_fee": _c("{currency} per t/period", "Reservation fee offered, paid once.",
                      PRICE),
    "fee_paid": _c("{currency}", "Capacity reserved × fee.", MONEY),
    "delivered_price": _c("{currency}/t", "Price per tonne delivered.", PRICE),
    "first_period": _c("", "First period with offtake deliveries."),
    "expected_delivery": _c("t over the horizon", "Σ_s π_s Σ_t deliveries taken.", TONNES),
    "expected_delivery_cost": _c("{currency}", "Σ_s π_s Σ_t deliveries × delivered price.",
                                 MONEY),
    # swaps
    "return_ratio": _c("t/t", "Tonnes returned per tonne drawn.", "0.00"),
    "return_lag": _c("periods", "Periods between a draw and its return.", "0"),
    "swap_capacity": _c("t", "Swap capacity reserved by the plan (y): total draw allowed per "
                        "scenario.", TONNES),
    "max_swap_capacity": _c("t", "Most swap capacity on offer.", TONNES),
    "swap_fee": _c("{currency}/t", "Reservation fee offered per tonne of capacity.", PRICE),
    "expected_draw": _c("t over the horizon", "Σ_s π_s Σ_t swap draws.", TONNES),
    # scenarios
    "probability": _c("fraction", "Scenario probability π_s.", PERCENT),
    "loss": _c("periods of demand", "L_s: shortfall in periods of baseline demand, criticality "
               "weighted, summed over parties, minerals and periods.", LOSS),
    "share_of_expected_loss": _c("fraction", "π_s L_s ÷ expected loss.", PERCENT),
    "end_stock": _c("t", "z[k,m,n,s]: stock left in the stockpile at the end of the last "
                    "period in the scenario (phase 3 releases nothing needlessly).", TONNES),
    "party_loss": _c("periods of demand", "L[p,s]: the part of a scenario's loss from the "
                     "party's own demand (its shortfalls in periods of its baseline demand, "
                     "criticality weighted); the parties' losses add up to the scenario's.",
                     LOSS),
    # each party's own risk (Summary)
    "expected_loss": _c("periods of demand", "For a party: E_p = Σ_s π_s L[p,s], the expected "
                        "loss from its own demand.", LOSS),
    "cvar": _c("periods of demand", "For a party: the exact CVaR_α of its losses L[p,s], the "
               "mean of its worst 1 − α of probability.", LOSS),
    "risk": _c("periods of demand", "For a party: R_p = (1 − λ)·E_p + λ·CVaR_p, its own risk by "
               "the measure the plan minimizes for all parties together.", LOSS),
    "risk_limit": _c("periods of demand", "The most risk R_p the party accepts: its max_risk, "
                     "or its stand-alone risk R_p^alone (+1e-7·max(1, ·)) with party_risk_limit "
                     "= alone; the smaller when both apply. Blank: no limit.", LOSS),
    "risk_share": _c("fraction", "R_p ÷ Σ_q R_q: the party's share of the parties' risks "
                     "(Σ_q R_q ≥ R*, as CVaR is subadditive).", PERCENT),
    "cumulative_probability": _c("fraction", "Probability of this scenario and all worse ones "
                                 "(the table is sorted from the worst loss down).", PERCENT),
    "in_cvar_tail": _c("", "yes when the whole scenario is in the worst 1 − α of probability "
                       "that CVaR averages, partly when only some of its probability is, "
                       "no otherwise."),
    "tail_weight": _c("fraction", "Probability of this scenario counted in the CVaR tail.",
                      PERCENT),
    "operating_cost": _c("{currency}", "Delivered offtake purchases plus the value of swap "
                         "returns still owed at the end, in this scenario.", MONEY),
    "description": _c("", "Scenario description from the input.", wrap=True),
    # shortfalls
    "demand": _c("t/period", "Demand in this scenario (baseline × shocks).", TONNES),
    "shortfall": _c("t/period", "Demand not met (e).", TONNES),
    "shortfall_share": _c("fraction", "Shortfall ÷ demand.", PERCENT),
    "loss_contribution": _c("periods of demand", "Criticality ÷ baseline demand × shortfall: "
                            "this row's part of L_s.", "0.0000"),
    # stock and swaps
    "opening_level": _c("t", "Stock at the start of the period, before its arrivals (the "
                        "initial stock in the first period).", TONNES),
    "released": _c("t/period", "Released to members in the period (Σ_p r).", TONNES),
    "lent": _c("t/period", "Drawn by swap receivers in the period (Σ_w f).", TONNES),
    "returned": _c("t/period", "Swap returns arriving in the period.", TONNES),
    "stock_level": _c("t", "Stock at the end of the period (z) = opening − released − lent "
                      "+ returned.", TONNES),
    "release": _c("t/period", "Released from the stockpile to the member (r).", TONNES),
    # access by shares (stockpiles with access shares)
    "cost_share": _c("fraction", "The member's cost share σ of the stockpile: its share of "
                     "what the stockpile has had.", PERCENT),
    "member_released": _c("t over the horizon", "Σ_t r: tonnes released to the member in the "
                          "scenario.", TONNES),
    "entitlement_at_end": _c("t", "σ·(initial stock + purchases + swap returns in − swap "
                             "draws out) by the last period: the most the member may have "
                             "taken in all.", TONNES),
    "tightest_margin": _c("t", "min over periods of entitlement − releases so far; 0 where "
                          "the member was held to its share.", TONNES),
    "tightest_period": _c("", "First period where the tightest margin is reached."),
    "held_to_share": _c("", "yes when the member had taken its whole (positive) entitlement "
                        "by the tightest period: its share limited it; no otherwise (also "
                        "when there was nothing to take)."),
    "draw": _c("t/period", "Swap draw (f).", TONNES),
    "return_amount": _c("t", "Tonnes owed back for this draw (ratio × draw).", TONNES),
    "return_period": _c("", "Period the return falls due ('after horizon' when it falls after "
                        "the last period)."),
    "outstanding_at_end": _c("t", "Return still owed after the last period.", TONNES),
    "outstanding_value": _c("{currency}", "Replacement value of what is still owed (return "
                            "mineral's price).", MONEY),
    "delivery": _c("t/period", "Offtake delivery taken (v).", TONNES),
    "cost": _c("{currency}", "Cost of the deliveries.", MONEY),
    # policy levers: cover floors
    "target": _c("", "Cover floor (CoverTargets sheet of the input)."),
    "basis": _c("", "What the floor covers: demand (baseline demand) or net_imports (baseline "
                "demand less supply from the domestic sources, at least 0)."),
    "cover_periods": _c("periods", "Cover required, in periods of the basis (CoverTargets "
                        "periods).", "0.000"),
    "required_level": _c("t", "The floor: cover_periods × the average per-period basis over "
                         "the horizon (for a stockpile, summed over its members).", TONNES),
    "covered_level": _c("t", "Stock counted against the floor at the start of the horizon: "
                        "the stockpile's level, or for a party its own stockpiles plus its cost "
                        "share of joint ones.", TONNES),
    "cover_held": _c("periods", "Periods of the basis the covered level holds: covered_level "
                     "÷ (required_level ÷ cover_periods); blank for a floor of 0.", "0.000"),
    "floor_status": _c("", "binding (the plan holds exactly the floor, so the floor costs "
                       "money), met (above the floor) or not met."),
    # policy levers: concentration caps
    "share_limit": _c("fraction", "The most any single source that is not excluded may "
                      "provide (ConcentrationLimits max_share).", PERCENT),
    "top_source_before": _c("", "The capped source with the largest share of the party's "
                            "baseline supply (no offtake capacity), over the periods."),
    "top_share_before": _c("fraction", "Its share: the largest over capped sources and "
                           "periods, before the plan.", PERCENT),
    "top_source_after": _c("", "The capped source with the largest share of the party's "
                           "baseline supply plus the plan's offtake capacity."),
    "top_share_after": _c("fraction", "Its share: the largest over capped sources and "
                          "periods, with the plan.", PERCENT),
    "within_limit": _c("", "yes when top_share_after ≤ share_limit."),
    "excluded_sources": _c("", "Sources not capped (own or allied production); they count in "
                           "the total."),
    "share_before": _c("fraction", "The source's share of the party's baseline supply of the "
                       "mineral in the period (before the plan).", PERCENT),
    "share_after": _c("fraction", "The source's share of the party's baseline supply plus the "
                      "plan's offtake capacity in the period.", PERCENT),
    "excluded": _c("", "yes when the source is excluded from the cap."),
    # policy levers: demand-side mitigation
    "option": _c("", "Demand-side mitigation option (Mitigation sheet of the input)."),
    "mitigation_capacity": _c("t/period", "Mitigation capacity prepared by the plan: the most "
                              "demand the option can cut in a period.", TONNES),
    "max_cut_share": _c("fraction", "The most of the party's demand the option can cut "
                        "(Mitigation max_share).", PERCENT),
    "lead_time": _c("periods", "Periods before the option can cut demand.", "0"),
    "expected_mitigation": _c("t over the horizon", "Σ_s π_s Σ_t demand cut by the option.",
                              TONNES),
    "expected_mitigation_cost": _c("{currency}", "Σ_s π_s Σ_t demand cut × cost per tonne.",
                                   MONEY),
    "mitigation_use": _c("t/period", "Demand cut by the option in the scenario and period.",
                         TONNES),
    "mitigation_cost": _c("{currency}", "Cost of that demand cut (cut × cost per tonne).",
                          MONEY),
    "mitigation_fees": _c("{currency}", "Preparation fees of the party's mitigation options.",
                          MONEY),
    # the price of every limit (Summary)
    "limit": _c("", "A limit of the workbook: its kind (market depth, stockpile capacity, "
                "release limit, cover floor, concentration cap, mitigation capacity bound, "
                "offtake or swap capacity on offer, party risk limit, budget) and what it "
                "applies to."),
    "limit_value": _c("", "The limit's value in the workbook, in its unit (limit_unit).",
                      "#,##0.####"),
    "limit_unit": _c("", "The unit of the limit: t, t/period, share (1 = 100%), "
                     "periods of demand, or {currency}."),
    "shadow_price": _c("periods of demand per unit", "∂R*/∂limit from phase 1's duals: the "
                       "change of the risk R* per unit the limit rises (≤ 0 for an upper "
                       "limit, ≥ 0 for a floor), a marginal rate at the optimum.", "0.000E+00"),
    "risk_reduction_per_percent": _c("periods of demand", "How much R* falls when the limit "
                                     "is relaxed by 1% of its value (raised, or lowered for a "
                                     "floor): |shadow price| × 1% × value, at the margin; "
                                     "the ranking's measure, comparable across units.",
                                     "0.00000"),
    # sensitivity (stockopt sensitivity)
    "group": _c("", "An input group varied as a whole, the others held at the workbook's "
                "values: demand or price of a mineral, a scenario's probability (the others "
                "rescaled) or disruption depth 1 − availability, a party's budget, a "
                "mineral's market depth, λ or the CVaR tail 1 − α."),
    "side": _c("", "low: the group × (1 − range); high: × (1 + range)."),
    "factor": _c("×", "What the group was multiplied by.", "0.00"),
    "input_value": _c("", "The group's value at this point: total baseline demand (t over "
                      "the horizon), price ({currency}/t), probability, mean disruption depth, "
                      "budget ({currency}), market depth (t), λ or 1 − α.", "#,##0.####"),
    "base_value": _c("", "The group's value in the workbook (units as input_value).",
                     "#,##0.####"),
    "optimal_risk": _c("periods of demand", "R* re-optimized for the varied input (phase 1, "
                       "as stockopt solve).", LOSS),
    "risk_change": _c("periods of demand", "optimal_risk − the workbook's R*.", "+0.000;-0.000;0"),
    "risk_change_low": _c("periods of demand", "R* at the low side − the workbook's R*.",
                          "+0.000;-0.000;0"),
    "risk_change_high": _c("periods of demand", "R* at the high side − the workbook's R*.",
                           "+0.000;-0.000;0"),
    "swing": _c("periods of demand", "The larger |risk change| of the two sides: the "
                "tornado's order.", LOSS),
    "optimal_cost": _c("{currency}", "The cost of the re-optimized plan (phase 2).", MONEY),
    "cost_change": _c("{currency}", "optimal_cost − the workbook's cost.", MONEY),
    "fixed_risk": _c("periods of demand", "The risk of the workbook's plan (stockopt solve's) "
                     "with its first stage fixed, under the varied input: what the plan "
                     "already bought would carry.", LOSS),
    "replanning_gain": _c("periods of demand", "fixed_risk − optimal_risk (≥ 0): how much "
                          "re-planning for the varied input lowers the risk.", LOSS),
    "base_plan_fits": _c("", "yes when the workbook's plan keeps every varied limit (budgets, "
                         "market depth, cover floors); no when it breaks one (see breaks)."),
    "breaks": _c("", "The limits the workbook's plan breaks under the varied input: row, its "
                 "value and the bound.", wrap=True),
    "seconds": _c("s", "Wall time of the point (solve, evaluation, check).", "0.000"),
    "start": _c("", "warm: re-solved hot on the loaded LP (only right-hand sides change); "
                "rebuilt: rebuilt from arrays, started from the workbook's optimal basis; "
                "rebuilt cold: that start was abandoned or not used."),
    # inputs and dictionary
    "setting": _c("", "Settings key."),
    "value": _c("", "Value used in this run (defaults applied)."),
    "unit": _c("", "Unit of the column or setting."),
    "meaning": _c("", "What the column or setting means.", wrap=True),
    "column": _c("", "Column header (without its unit)."),
    "appears_in": _c("", "Sheets (and their sections) where the column appears.", wrap=True),
    "name": _c("", "The column's name in the code, the summary JSON and models/formulation.md."),
}
"""Every column of the output tables, declared once."""


def column_spec(name: str) -> OutputColumn:
    """The declaration of output column ``name``; KeyError names the undeclared column."""
    try:
        return OUTPUT_COLUMNS[name]
    except KeyError:
        raise KeyError(f"output column {name!r} is not declared in OUTPUT_COLUMNS") from None
