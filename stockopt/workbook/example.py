"""A small worked example: the US and the EU against gallium, cobalt and graphite shocks.

``example_tables()`` returns the input tables that ``stockopt template --example``
writes. Units: t and t/year (one period is one year, 2027..2030), USD, USD/t,
fractions. US demand figures, prices and the US import-source mix follow the USGS
Mineral Commodity Summaries 2026 (2025 estimates; see ``/work/shared/data``); EU
figures, stockpile sizes, fees and scenario probabilities are illustrative
assumptions, stated in ``example_notes()`` and shown on the README sheet.

What the example exercises: a joint US-EU stockpile with cost shares 0.5/0.5 next
to two national stockpiles (one with a blank cost share), a period-specific demand
row overriding a blank-period row, one offtake (Mozambican graphite for the US), one
swap (the EU may draw gallium from the US stockpile and return 1.05 t per t two
years later), disruptions with a wildcard source and overlapping rows, and a
demand shock with a wildcard party. Budgets (USD 150 M for the US; EUR 111 M for the
EU, entered in euros and converted at the Settings exchange_rates EUR=1.08, i.e. USD
119.88 M) cover only part of what the most protective plan costs (about USD 765 M):
solving the risk phase of the formulation by hand gives a risk of about 9.2 with no
spending, 2.6 with these budgets (both fully spent) and 1.5 with unlimited budgets.
"""

from __future__ import annotations

EXAMPLE_TITLE = "stockopt worked example: US and EU against gallium, cobalt and graphite shocks"
"""README title of the example workbook."""

_PERIODS = ("2027", "2028", "2029", "2030")


def example_tables() -> dict[str, list[dict[str, object]]]:
    """The example's input tables, keyed by sheet name, rows keyed by column name.

    Quantities in t (stocks, capacities) and t/year (demand, supply, offtake
    capacity), money in USD (the EU budget in EUR, at EUR=1.08), holding costs in
    USD/t/year, shares and availabilities as fractions.
    """
    return {
        "Settings": [
            {"key": "risk_weight", "value": 0.5},
            {"key": "cvar_alpha", "value": 0.9},
            {"key": "currency", "value": "USD"},
            # ECB euro reference rate, 2024 average 1.0824 USD per EUR, rounded
            {"key": "exchange_rates", "value": "EUR=1.08"},
        ],
        "Periods": [{"period": p} for p in _PERIODS],
        "Parties": [
            {"party": "US", "budget": 150_000_000},
            {"party": "EU", "budget": 111_000_000, "currency": "EUR"},
        ],
        "Minerals": [
            # USGS MCS 2026: Ga import unit value USD 580/kg; Co LME USD 15/lb (x 2,204.6);
            # natural flake graphite USD 1,000/t.
            {"mineral": "gallium", "price": 580_000, "max_acquisition": 150},
            {"mineral": "cobalt", "price": 33_000, "max_acquisition": 20_000},
            {"mineral": "graphite", "price": 1_000},
        ],
        "Stockpiles": [
            {"stockpile": "US-NDS", "party": "US"},  # single member: share 1 by default
            {"stockpile": "EU-RESERVE", "party": "EU", "cost_share": 1},
            {"stockpile": "US-EU-JOINT", "party": "US", "cost_share": 0.5},
            {"stockpile": "US-EU-JOINT", "party": "EU", "cost_share": 0.5},
        ],
        "Holdings": [
            {"stockpile": "US-NDS", "mineral": "gallium", "initial_stock": 2, "max_stock": 60,
             "holding_cost": 5_800, "max_release": 20},
            {"stockpile": "US-NDS", "mineral": "cobalt", "initial_stock": 300,
             "max_stock": 6_000, "holding_cost": 660, "max_release": 3_000},
            {"stockpile": "EU-RESERVE", "mineral": "gallium", "max_stock": 100,
             "holding_cost": 5_800, "max_release": 35},
            {"stockpile": "EU-RESERVE", "mineral": "graphite", "max_stock": 40_000,
             "holding_cost": 50, "max_release": 20_000},
            {"stockpile": "US-EU-JOINT", "mineral": "cobalt", "max_stock": 10_000,
             "holding_cost": 660, "max_release": 4_000},
            {"stockpile": "US-EU-JOINT", "mineral": "graphite", "max_stock": 60_000,
             "holding_cost": 50, "max_release": 25_000},
        ],
        "Demand": [
            {"party": "US", "mineral": "gallium", "demand": 19, "criticality": 3},
            {"party": "EU", "mineral": "gallium", "demand": 40, "criticality": 2},
            {"party": "US", "mineral": "cobalt", "demand": 9_600, "criticality": 1.5},
            {"party": "EU", "mineral": "cobalt", "demand": 12_000},
            {"party": "US", "mineral": "graphite", "demand": 71_000},
            {"party": "US", "mineral": "graphite", "period": "2030", "demand": 80_000},
            {"party": "EU", "mineral": "graphite", "demand": 50_000},
        ],
        "Supply": [
            {"party": "US", "mineral": "gallium", "source": "china", "volume": 15},
            {"party": "US", "mineral": "gallium", "source": "other", "volume": 4},
            {"party": "EU", "mineral": "gallium", "source": "china", "volume": 32},
            {"party": "EU", "mineral": "gallium", "source": "other", "volume": 8},
            {"party": "US", "mineral": "cobalt", "source": "domestic", "volume": 2_000},
            {"party": "US", "mineral": "cobalt", "source": "drc", "volume": 5_000},
            {"party": "US", "mineral": "cobalt", "source": "indonesia", "volume": 1_600},
            {"party": "US", "mineral": "cobalt", "source": "other", "volume": 1_000},
            {"party": "EU", "mineral": "cobalt", "source": "drc", "volume": 8_000},
            {"party": "EU", "mineral": "cobalt", "source": "indonesia", "volume": 2_000},
            {"party": "EU", "mineral": "cobalt", "source": "other", "volume": 2_000},
            {"party": "US", "mineral": "graphite", "source": "china", "volume": 33_000},
            {"party": "US", "mineral": "graphite", "source": "canada", "volume": 9_000},
            {"party": "US", "mineral": "graphite", "source": "mozambique", "volume": 9_000},
            {"party": "US", "mineral": "graphite", "source": "mexico", "volume": 8_500},
            {"party": "US", "mineral": "graphite", "source": "other", "volume": 11_500},
            {"party": "EU", "mineral": "graphite", "source": "china", "volume": 20_000},
            {"party": "EU", "mineral": "graphite", "source": "brazil", "volume": 6_500},
            {"party": "EU", "mineral": "graphite", "source": "mozambique", "volume": 6_000},
            {"party": "EU", "mineral": "graphite", "source": "other", "volume": 17_500},
        ],
        "Offtakes": [
            {"offtake": "MZ-graphite", "party": "US", "mineral": "graphite",
             "source": "mozambique", "max_volume": 10_000, "fee": 200, "price": 1_050,
             "first_period": "2028"},
        ],
        "Swaps": [
            {"swap": "EU-draws-US-gallium", "lender_stockpile": "US-NDS", "receiver": "EU",
             "mineral": "gallium", "return_ratio": 1.05, "return_lag": 2, "max_volume": 15,
             "fee": 5_000},
        ],
        "Scenarios": [
            {"scenario": "calm", "probability": 0.55,
             "description": "No disruption beyond today's."},
            {"scenario": "china_ban", "probability": 0.3,
             "description": "China bans gallium exports from 2028 and cuts graphite exports "
                            "to 20% in 2028-2029 and 50% in 2030."},
            {"scenario": "drc_cobalt", "probability": 0.15,
             "description": "The DRC halts cobalt exports (10% get through) in 2028-2029; "
                            "other cobalt sources deliver 80% in 2028 (panic buying) and "
                            "defence demand for cobalt rises 30% from 2028."},
        ],
        "Disruptions": [
            {"scenario": "china_ban", "source": "china", "mineral": "gallium",
             "start_period": "2028", "availability": 0},
            {"scenario": "china_ban", "source": "china", "mineral": "graphite",
             "start_period": "2028", "end_period": "2029", "availability": 0.2},
            {"scenario": "china_ban", "source": "china", "mineral": "graphite",
             "start_period": "2030", "availability": 0.5},
            {"scenario": "drc_cobalt", "source": "drc", "mineral": "cobalt",
             "start_period": "2028", "end_period": "2029", "availability": 0.1},
            {"scenario": "drc_cobalt", "source": "*", "mineral": "cobalt",
             "start_period": "2028", "end_period": "2028", "availability": 0.8},
        ],
        "DemandShocks": [
            {"scenario": "drc_cobalt", "party": "*", "mineral": "cobalt",
             "start_period": "2028", "multiplier": 1.3},
        ],
    }


def example_notes() -> list[tuple[str, str]]:
    """(heading, text) notes on the example's sources and assumptions, for the README."""
    return [
        ("What this is", "A small worked example to copy from, not a forecast. One period is "
         "one year (2027-2030); quantities are t and t/year, money USD; the EU budget is in "
         "EUR (Parties column currency)."),
        ("US figures", "US demand is USGS apparent or reported consumption for 2025e "
         "(gallium 19 t, cobalt 9,600 t, natural graphite 71,000 t; USGS Mineral Commodity "
         "Summaries 2026). US graphite supply follows the USGS 2021-24 import shares (China "
         "46%, Canada 13%, Mozambique 13%, Mexico 12%); cobalt and gallium sources are "
         "origins of the material (DRC 73% of world cobalt mine output, China about 99% of "
         "primary gallium), with US cobalt net import reliance 79% (the rest 'domestic')."),
        ("Exchange rate", "EUR=1.08 USD per EUR (Settings exchange_rates): the European "
         "Central Bank's euro reference rate for the US dollar averaged 1.0824 in 2024, "
         "rounded. The EU budget of EUR 111 M enters the model as USD 119.88 M; prices and "
         "fees are in USD."),
        ("Prices", "USGS 2025e: gallium USD 580/kg (import unit value), cobalt USD 15/lb "
         "(LME, about USD 33,000/t), flake graphite USD 1,000/t."),
        ("Assumptions", "EU demand and supply mix, stockpile sizes and holding costs (about "
         "1-2% of the price per year), budgets, offtake and swap terms, market depths and "
         "scenario probabilities are illustrative. Budgets cover only part of full "
         "protection, so the plan has to choose."),
        ("Scenarios", "china_ban echoes China's 2023-2025 export controls on gallium and "
         "graphite; drc_cobalt echoes the DRC's 2025 cobalt export ban, with a defence "
         "demand surge."),
    ]
