"""Derive the example's CSV inputs (inputs/us_eu_example/*.csv) from the data and assumptions.

Usage::

    python inputs/derive_example_csvs.py [OUTPUT_DIR]

The CSV files are the reviewed inputs of the example (``build_example.py`` turns them
into the workbook). This script records how they were derived: it reads the public
figures in ``inputs/data/mineral-data.csv``, applies the modelling assumptions stated
here (each one written to ``sources.csv`` with kind ``assumption``) and writes every
sheet's CSV plus ``sources.csv``. Rerun it after changing an assumption, then rerun
``build_example.py``. Deterministic; by default it writes to ``inputs/us_eu_example``.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "us_eu_example"
DATA = HERE / "data" / "mineral-data.csv"
ROWS = list(csv.DictReader(DATA.open(encoding="utf-8")))

DATA_REF = "inputs/data/mineral-data.csv"


def fact_row(mineral: str, metric: str, scope_contains: str, year: str) -> dict:
    hits = [r for r in ROWS if r["mineral"] == mineral and r["metric"] == metric
            and scope_contains in r["scope"] and r["year"] == year]
    assert len(hits) == 1, (mineral, metric, scope_contains, year, hits)
    return hits[0]


def val(mineral, metric, scope, year) -> float:
    return float(fact_row(mineral, metric, scope, year)["value"])


def src(r: dict) -> str:
    return f"{r['source_title']} ({r['source_url_or_repo_path']}); row in {DATA_REF}"


sources: list[dict] = []


def add(item, value, basis, source, kind):
    assert kind in ("fact", "assumption")
    sources.append({"item": item, "value": value, "basis": basis, "source": source,
                    "kind": kind})


def fact(item, mineral, metric, scope, year, extra=""):
    r = fact_row(mineral, metric, scope, year)
    basis = f"{r['metric']}; {r['scope']}; {r['year']}; unit {r['unit']}; " \
            f"confidence {r['confidence']}" + (f"; {extra}" if extra else "")
    add(item, r["value"], basis, src(r), "fact")
    return float(r["value"]) if _isnum(r["value"]) else r["value"]


def _isnum(s) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def fmt4(x: float) -> str:
    x = round(x, 4)
    return str(int(x)) if float(x).is_integer() else f"{x:.4f}".rstrip("0").rstrip(".")


def fmt(x: float) -> str:
    x = round(x, 2)
    return str(int(x)) if float(x).is_integer() else f"{x:.2f}".rstrip("0").rstrip(".")


ASSUME = "stockopt modelling assumption (this example)"
MD_REF = "inputs/data/mineral-data.md"

# ---------------------------------------------------------------- minerals
MIN = {  # id: data name
    "gallium": "gallium", "germanium": "germanium", "cobalt": "cobalt",
    "rare_earths": "rare earths (REO; NdPr price)", "tungsten": "tungsten",
    "antimony": "antimony", "graphite": "natural graphite", "lithium": "lithium",
    "nickel": "nickel", "magnesium": "magnesium metal", "titanium_sponge": "titanium sponge",
    "tantalum": "tantalum",
}
MINERAL_IDS = list(MIN)

# ---------------------------------------------------------------- general facts and settings
PERIODS = ["2027", "2028", "2029", "2030", "2031"]
add("Periods 2027-2031", "5 periods of one year",
    "Five annual periods starting 2027; every baseline figure uses the 2025e USGS value "
    "(or the stated older figure) held flat over the horizon", ASSUME, "assumption")
add("Currency", "USD", "Base currency US dollars: every price and fee is in USD; the EU budget "
    "is entered in euros (Parties currency EUR) and the model converts it at the Settings "
    "exchange_rates (EUR=1.08)", ASSUME, "assumption")
add("Settings: risk_weight and cvar_alpha", "0.5; 0.9",
    "Schema defaults kept: half expected loss, half CVaR of the worst 10% of probability",
    ASSUME, "assumption")

nds = fact("US budget: NDS FY2025 appropriation", "all", "us_nds_appropriation",
           "United States NDS", "FY2025")
add("EU budget: RESourceEU financing", "3000000000 EUR",
    "European Commission Q&A on the RESourceEU Action Plan (3 Dec 2025): 'mobilising close to "
    "EUR 3 billion in EU financing over the next 12 months for CRM projects'",
    "European Commission, Questions and answers on the RESourceEU Action Plan, 3 Dec 2025 "
    "(reproduced at http://www.globalsecurity.org/wmd/library/news/russia/2025/12/"
    "russia-251203-european-commission04.htm); also rawmaterials.net, 3 Dec 2025 "
    "(https://rawmaterials.net/e3-billion-for-raw-material-projects-eu-commission-unveils-"
    "resourceeu)", "fact")
add("EUR to USD rate: ECB reference rate, 2024 average", "1.0824",
    "Euro foreign exchange reference rate of the European Central Bank for the US dollar, "
    "annual average 2024 (USD per EUR)",
    "European Central Bank, euro foreign exchange reference rates, US dollar (USD) "
    "(https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/"
    "html/eurofxref-graph-usd.en.html)", "fact")
EURUSD = 1.08
add("EUR to USD rate", str(EURUSD), "The ECB 2024 average (1.0824 USD per EUR) rounded to "
    "1.08; entered as the Settings exchange_rates 'EUR=1.08', so the model converts the EU "
    "budget (in EUR) to USD as budget x 1.08", ASSUME, "assumption")
EU_PROGRAMME_EUR = 3e9
US_YEARS = len(PERIODS)
us_period_budget = {t: nds for t in PERIODS}
us_budget = nds * US_YEARS
add("US budget: five annual appropriations of the FY2025 figure",
    f"USD {fmt(nds)} per year 2027-2031; USD {fmt(us_budget)} in all",
    "Each of the five annual periods gets one appropriation equal to the NDS FY2025 figure "
    "(PeriodBudgets rows for US, 2027-2031); the Parties budget is their total. That Congress "
    "appropriates the FY2025 amount again every year is a modelling choice: no later "
    "appropriation was found", ASSUME, "assumption")
EU_CONTINUATION_EUR = 3e9
eu_period_budget = {t: (EU_PROGRAMME_EUR if t == PERIODS[0] else EU_CONTINUATION_EUR)
                    for t in PERIODS}
eu_budget_eur = sum(eu_period_budget.values())
add("EU budget: RESourceEU programme in the first year",
    f"EUR {fmt(EU_PROGRAMME_EUR)} in 2027",
    "The RESourceEU 12-month programme (EUR 3 bn, fact above) is the EU's budget for the "
    "first period, 2027 (PeriodBudgets row EU 2027). Using RESourceEU (project financing) as "
    "the EU's stockpile/offtake/swap budget, and placing its 12 months in 2027 rather than "
    "2026, are modelling choices", ASSUME, "assumption")
add("EU budget: continuation 2028-2031",
    f"EUR {fmt(EU_CONTINUATION_EUR)} per year 2028-2031",
    "No EU critical-raw-materials financing figure for 2028 onward was found (the EU's next "
    "multiannual budget starts in 2028 and was not settled in the sources used), so the "
    "RESourceEU level is assumed to continue unchanged each year: the same treatment as the "
    "U.S. figure, one published year's amount repeated. A lower continuation would make the "
    "later EU periods scarcer; the per-period budget shadow prices show what each year's "
    "money is worth", ASSUME, "assumption")
add("Budgets are per-year limits with a horizon total",
    f"US {fmt(us_budget)} USD; EU {fmt(eu_budget_eur)} EUR (= USD {fmt(eu_budget_eur * EURUSD)})",
    "Parties budget = the total of the party's PeriodBudgets rows; each year's spending "
    "(purchases ordered that year, holding of what has arrived, and in the first year the "
    "offtake and swap fees) must stay within that year's row. The EU's are entered in EUR "
    "(Parties currency EUR) and converted by the model at 1.08", ASSUME, "assumption")

# ---------------------------------------------------------------- prices
LB = 2204.6
add("Conversion: USD/lb to USD/t", "2204.6",
    "mineral-data.md caveat 2: multiply USD/lb by 2.2046 to get USD/kg (x1000 for USD/t)",
    f"{MD_REF} (Caveats, item 2)", "fact")
LI_IN_LCE = 0.1879
add("Conversion: lithium carbonate to lithium content", str(LI_IN_LCE),
    "Li2CO3 is 18.79% Li by mass (atomic weights Li 6.94, C 12.011, O 15.999); used to put "
    "the lithium price on a t Li content basis. Stoichiometry, not from the data set",
    ASSUME, "assumption")
TA_IN_TA2O5 = 0.819
add("Conversion: Ta2O5 to tantalum content", str(TA_IN_TA2O5),
    "Ta2O5 is 81.9% Ta by mass (atomic weights Ta 180.948, O 15.999); used to put the "
    "tantalum price on a t Ta content basis. Stoichiometry, not from the data set",
    ASSUME, "assumption")
W_KG_PER_MTU = 7.93
add("Conversion: tungsten mtu WO3 to t W", "7.93 kg W per mtu WO3",
    "Stated with the USGS tungsten price (1 mtu WO3 = 7.93 kg W)",
    src(fact_row("tungsten", "price_indicative", "Rotterdam (Argus); 1 mtu", "2025e")), "fact")

price: dict[str, float] = {}
p = fact("Price: gallium", "gallium", "price_indicative", "Ga metal", "2025e")
price["gallium"] = p * 1000
p = fact("Price: germanium", "germanium", "price_indicative", "Ge metal", "2025e")
price["germanium"] = p * 1000
p = fact("Price: cobalt", "cobalt", "price_indicative", "US spot cathode", "2025e")
price["cobalt"] = p * LB
p = fact("Price: rare_earths", "rare earths (REO; NdPr price)", "price_indicative",
         "NdPr oxide", "2025e")
price["rare_earths"] = p * 1000
p = fact("Price: tungsten", "tungsten", "price_indicative", "1 mtu WO3 = 7.93", "2025e")
price["tungsten"] = p / W_KG_PER_MTU * 1000
p = fact("Price: antimony", "antimony", "price_indicative", "Metal, min 99.65%", "2025e")
price["antimony"] = p * LB
p = fact("Price: graphite", "natural graphite", "price_indicative", "Flake", "2025e")
price["graphite"] = p
p = fact("Price: lithium", "lithium", "price_indicative", "Battery-grade", "2025e")
price["lithium"] = p / LI_IN_LCE
p = fact("Price: nickel", "nickel", "price_indicative", "LME cash", "2025e")
price["nickel"] = p
p = fact("Price: magnesium", "magnesium metal", "price_indicative", "US spot Western", "2025e")
price["magnesium"] = p * LB
p = fact("Price: titanium_sponge", "titanium sponge", "price_indicative", "Sponge", "2025e")
price["titanium_sponge"] = p * 1000
p = fact("Price: tantalum", "tantalum", "price_indicative", "Tantalite", "2025e")
price["tantalum"] = p / TA_IN_TA2O5 * 1000
price = {m: round(v) for m, v in price.items()}
add("Minerals price column (USD/t)", "; ".join(f"{m} {fmt(v)}" for m, v in price.items()),
    "Each 2025e USGS price converted to USD per t of contained mineral: USD/kg x 1000 "
    "(gallium, germanium metal, rare_earths NdPr oxide, titanium_sponge); USD/lb x 2204.6 "
    "(cobalt US spot cathode, antimony, magnesium US spot); tungsten USD/mtu WO3 / 7.93 kg W "
    "x 1000; lithium USD/t Li2CO3 / 0.1879; tantalum USD/kg Ta2O5 / 0.819 x 1000; graphite and "
    "nickel already USD/t; rounded to whole USD", "derived from the price facts above",
    "assumption")
add("Price basis choices", "cobalt US spot (not LME); magnesium US spot (not Europe); "
    "rare_earths valued at the NdPr oxide price",
    "A stockpile buys Western-market material, so the US spot prices are used; one t REO of "
    "rare_earths is valued at the NdPr oxide price (the magnet rare earths are the ones that "
    "matter here), which overstates the value of a mixed REO basket", ASSUME, "assumption")

# market depth
world: dict[str, float | None] = {
    "gallium": val("gallium", "world_primary_low_purity_production", "World total", "2025e"),
    "germanium": None,
    "cobalt": val("cobalt", "world_mine_production", "World total", "2025e"),
    "rare_earths": val(MIN["rare_earths"], "world_mine_production", "World total", "2025e"),
    "tungsten": val("tungsten", "world_mine_production", "World total", "2025e"),
    "antimony": val("antimony", "world_mine_production", "World total", "2025e"),
    "graphite": val("natural graphite", "world_mine_production", "World total", "2025e"),
    "lithium": val("lithium", "world_mine_production", "World total", "2025e"),
    "nickel": val("nickel", "world_mine_production", "World total", "2025e"),
    "magnesium": val("magnesium metal", "world_primary_production", "World total", "2025e"),
    "titanium_sponge": val("titanium sponge", "world_sponge_production", "World total",
                           "2025e"),
    "tantalum": val("tantalum", "world_mine_production", "World total", "2025e"),
}
metric_world = {
    "gallium": "world_primary_low_purity_production", "magnesium": "world_primary_production",
    "titanium_sponge": "world_sponge_production"}
for m, w in world.items():
    if w is None:
        continue
    fact(f"World production 2025e: {m}", MIN[m], metric_world.get(m, "world_mine_production"),
         "World total", "2025e")
MAXACQ_SHARE = 0.10
max_acq = {m: (None if w is None else round(w * MAXACQ_SHARE)) for m, w in world.items()}
add("Minerals max_acquisition (market depth, t)",
    "; ".join(f"{m} {fmt(v) if v is not None else 'unlimited'}" for m, v in max_acq.items()),
    "10% of 2025e world production (USGS world totals above) may be bought in total across "
    "all stockpiles; germanium unlimited because the data has no world production table",
    ASSUME, "assumption")

# ---------------------------------------------------------------- purchases over time
add("Purchase timing", "periods",
    "Settings purchase_timing = periods: a stockpile order may be placed at the start of any "
    "of the five years (FORMULATION-v2 section 6), paid from that year's budget; holding is "
    "charged from arrival", ASSUME, "assumption")
add("DLA cobalt solicitation: timeline",
    "published Aug 2025; cancelled Oct 2025; reissue end Nov 2025; award expected early Feb "
    "2026; delivery over five years",
    "The NDS's first cobalt purchase since 1990 (up to 7,500 t, up to USD 500 M, alloy grade "
    "from three qualified refiners in Canada, Japan and Norway): about six months from the "
    "first solicitation to the expected award, then delivery orders over a five-year "
    "ordering period",
    "Inside Defense, 'DLA expects to issue updated cobalt metal solicitation worth up to "
    "$500M', 14 Nov 2025 (https://insidedefense.com/insider/dla-expects-issue-updated-"
    "cobalt-metal-solicitation-worth-500m); Fastmarkets, 'US DLA extends cobalt alloy grade "
    "acquisition' (https://www.fastmarkets.com/insights/us-dla-extends-cobalt-alloy-grade-"
    "acquisition)", "fact")
LEAD_1 = ["cobalt", "gallium", "germanium", "rare_earths"]
lead_time = {m: (1 if m in LEAD_1 else 0) for m in MINERAL_IDS}
add("Minerals lead_time: cobalt", "1 year",
    "From the DLA cobalt timeline (fact above): a solicitation restricted to qualified "
    "refiners takes about half a year to award and deliveries follow, so an order placed at "
    "the start of a year is counted as arriving at the start of the next. Rounding the "
    "observed half year plus delivery up to one whole period is the modelling choice",
    ASSUME, "assumption")
add("Minerals lead_time: gallium, germanium, rare_earths", "1 year",
    "No public lead time was found. Assumed equal to cobalt's: China supplies ~99% of primary "
    "gallium and most germanium and NdPr oxide (facts above), so a stockpile must contract "
    "the few non-Chinese refiners (and qualify their material) as DLA did for cobalt",
    ASSUME, "assumption")
add("Minerals lead_time: the other minerals", "0 (delivered in the year ordered)",
    "tungsten, antimony, graphite, lithium, nickel, magnesium, titanium_sponge, tantalum: no "
    "public lead time was found; they are assumed bought on the market from existing "
    "non-Chinese producers and traders and delivered within the year of the order",
    ASSUME, "assumption")
add("Minerals max_acquisition_per_period", "blank (no yearly limit)",
    "No source gives how much a stockpile can buy in one year (the DLA cobalt buy, 7,500 t "
    "over five years, is one buyer's plan, not a market limit); only the horizon market "
    "depth (max_acquisition) applies", ASSUME, "assumption")
add("Prices over time (PricePath)", "none: every order pays the Minerals price",
    "No price forecast is used; 2025e prices are held flat over the horizon, as every other "
    "baseline figure", ASSUME, "assumption")

# ---------------------------------------------------------------- demand
us_dem: dict[str, float] = {}
us_dem["gallium"] = fact("US demand: gallium (reported consumption)", "gallium",
                         "us_consumption_reported", "United States", "2025e")
ge_m = fact("US germanium imports, metal", "germanium", "us_imports_ge_metal", "United States",
            "2025e")
ge_o = fact("US germanium imports, GeO2 (Ge content)", "germanium",
            "us_imports_geo2_ge_content", "United States", "2025e")
fact("US germanium consumption (last estimate)", "germanium", "us_consumption_estimated",
     "United States", "2021", "not used as a number: USGS reports consumption NA after 2021")
us_dem["germanium"] = ge_m + ge_o
add("US demand: germanium (imports proxy)", fmt(us_dem["germanium"]),
    "USGS gives no germanium consumption after 2021; 2025e imports of metal (7 t) plus GeO2 "
    "Ge content (17 t) are used as a proxy for demand", ASSUME, "assumption")
us_dem["cobalt"] = fact("US demand: cobalt (apparent consumption)", "cobalt",
                        "us_apparent_consumption", "United States", "2025e")
us_dem["rare_earths"] = fact("US demand: rare_earths (apparent consumption, compounds and "
                             "metals)", MIN["rare_earths"],
                             "us_apparent_consumption_compounds_metals", "United States",
                             "2025e")
fact("US tungsten apparent consumption (withheld)", "tungsten", "us_apparent_consumption",
     "United States", "2025e")
us_dem["tungsten"] = fact("US tungsten imports", "tungsten", "us_imports_total",
                          "United States", "2025e")
add("US demand: tungsten (imports proxy)", fmt(us_dem["tungsten"]),
    "US apparent consumption is withheld (W); 2025e imports (t W content) are used as a proxy; "
    "the US has had no tungsten mining since 2015", ASSUME, "assumption")
us_dem["antimony"] = fact("US demand: antimony (apparent consumption)", "antimony",
                          "us_apparent_consumption", "United States", "2025e")
us_dem["graphite"] = fact("US demand: graphite (apparent consumption, natural graphite)",
                          "natural graphite", "us_apparent_consumption", "United States",
                          "2025e")
fact("US lithium apparent consumption (withheld)", "lithium", "us_apparent_consumption",
     "United States", "2025e")
us_dem["lithium"] = fact("US lithium imports", "lithium", "us_imports", "United States",
                         "2025e")
add("US demand: lithium (imports proxy)", fmt(us_dem["lithium"]),
    "US apparent consumption is withheld (W); 2025e imports (t Li content) are used as a "
    "proxy", ASSUME, "assumption")
us_dem["nickel"] = fact("US demand: nickel (primary apparent consumption)", "nickel",
                        "us_apparent_consumption_primary", "United States", "2025e")
add("Nickel demand basis", "primary nickel only",
    "Demand is primary nickel (90,000 t), not the 220,000 t total that includes scrap: the "
    "risk being modelled is to primary supply", ASSUME, "assumption")
fact("US magnesium apparent consumption (withheld)", "magnesium metal",
     "us_apparent_consumption", "United States", "2025e")
us_dem["magnesium"] = fact("US demand: magnesium (reported primary consumption)",
                           "magnesium metal", "us_reported_primary_consumption",
                           "United States", "2025e")
us_dem["titanium_sponge"] = fact("US demand: titanium_sponge (apparent consumption)",
                                 "titanium sponge", "us_apparent_consumption",
                                 "United States", "2025e")
us_dem["tantalum"] = fact("US demand: tantalum (apparent consumption)", "tantalum",
                          "us_apparent_consumption", "United States", "2025e")

EU_FACTOR = 1.0
eu_dem = {m: us_dem[m] * EU_FACTOR for m in MINERAL_IDS}
eu_ree = fact("EU extra-EU imports of rare earths (REE+)", MIN["rare_earths"],
              "eu_imports_total", "EU extra-EU imports of REE+", "2024")
eu_dem["rare_earths"] = eu_ree
add("EU demand: all minerals except rare_earths (scaled from US)",
    "factor 1.0 x US demand: " + "; ".join(f"{m} {fmt(eu_dem[m])}" for m in MINERAL_IDS
                                           if m != "rare_earths"),
    "The data set has no EU consumption figures. EU demand is set equal to the US figure "
    "(factor 1.0) for every mineral except rare_earths. This is a placeholder modelling "
    "choice, not an estimate of EU consumption", ASSUME, "assumption")
add("EU demand: rare_earths (imports proxy)", fmt(eu_ree),
    "EU extra-EU imports of REE+ in 2024 (Eurostat, 12,900 t by weight) used as a proxy for "
    "EU rare-earth demand", ASSUME, "assumption")

CRIT = {"gallium": 3, "germanium": 3, "tungsten": 3, "antimony": 3, "rare_earths": 3,
        "cobalt": 2, "titanium_sponge": 2, "tantalum": 2,
        "graphite": 1, "lithium": 1, "nickel": 1, "magnesium": 1}
add("Demand criticality weights", "; ".join(f"{m} {v}" for m, v in CRIT.items()),
    "3 for defence-critical minerals (gallium, germanium, tungsten, antimony, rare_earths), 2 "
    "for aerospace/defence alloys and batteries (cobalt, titanium_sponge, tantalum), 1 "
    "otherwise; same weights for US and EU", ASSUME, "assumption")

# ---------------------------------------------------------------- supply
US_SHARE_SCOPE = {
    "gallium": "US imports of Ga metal", "germanium": "US imports combined total",
    "cobalt": "US imports metal/oxide/salts", "rare_earths": "US imports compounds & metals",
    "tungsten": "US imports ores/conc/other forms", "antimony": "US imports total metal and oxide",
    "graphite": "US imports:", "lithium": "US imports:", "nickel": "US imports primary nickel",
    "magnesium": "US imports sheet/powder/other", "titanium_sponge": "US imports sponge",
    "tantalum": "US imports total",
}


def shares(mineral: str, metric: str, prefix: str, year: str) -> dict[str, float]:
    out = {}
    for r in ROWS:
        if r["mineral"] == mineral and r["metric"] == metric and r["year"] == year \
                and r["scope"].startswith(prefix):
            country = r["scope"].split(": ", 1)[1]
            out[country] = float(r["value"]) / 100
    assert out, (mineral, prefix)
    return out


def share_fact(item: str, mineral: str, metric: str, prefix: str, year: str) -> None:
    rs = [r for r in ROWS if r["mineral"] == mineral and r["metric"] == metric
          and r["year"] == year and r["scope"].startswith(prefix)]
    value = "; ".join(f"{r['scope'].split(': ', 1)[1]} {r['value']}%" for r in rs)
    confs = sorted({r["confidence"] for r in rs})
    add(item, value, f"{metric}; {prefix.rstrip(':')}; {year}; confidence {'/'.join(confs)}",
        src(rs[0]), "fact")


NIR = {}
for m in ["gallium", "cobalt", "rare_earths", "antimony", "graphite", "titanium_sponge",
          "tantalum"]:
    NIR[m] = fact(f"US net import reliance: {m}", MIN[m], "us_net_import_reliance",
                  "United States, compounds" if m == "rare_earths" else "United States",
                  "2025e") / 100
fact("US net import reliance: magnesium", "magnesium metal", "us_net_import_reliance",
     "United States", "2025e")
NIR["magnesium"] = 0.75
ni_dom = fact("US nickel mine production", "nickel", "us_mine_production", "United States",
              "2025e")

supply: list[dict] = []
US_DOM, EU_DOM = "US-domestic", "EU-domestic"
RENAME = {"Congo (Kinshasa)": "DRC", "Congo, D.R.": "DRC", "Republic of Korea": "Korea"}
for m in MINERAL_IDS:
    sh = shares(MIN[m], "us_import_source_share", US_SHARE_SCOPE[m], "2021-24")
    share_fact(f"US import sources: {m}", MIN[m], "us_import_source_share",
               US_SHARE_SCOPE[m], "2021-24")
    d = us_dem[m]
    if m == "nickel":
        dom = ni_dom
        rule = "domestic = US mine production (10,000 t); imports = demand - domestic"
    elif m in NIR:
        dom = d * (1 - NIR[m])
        rule = f"domestic = demand x (1 - net import reliance {NIR[m]:g}); imports = rest"
    else:
        dom = 0.0
        rule = "demand is an imports proxy, so all of it is imported"
    if m == "magnesium":
        rule = ("net import reliance is reported only as >75%, so 75% is used (assumption); "
                "domestic = 25% of demand; import shares are the low-confidence USGS "
                "sheet/powder/other split")
    imp = d - dom
    parts = {}
    if dom > 0:
        parts[US_DOM] = dom
    tot = sum(sh.values())
    assert tot <= 1 + 1e-9, (m, tot)
    for c, s in sh.items():
        parts[RENAME.get(c, c)] = parts.get(RENAME.get(c, c), 0.0) + imp * s
    if tot < 1 - 1e-9:
        parts["other"] = parts.get("other", 0.0) + imp * (1 - tot)
        rule += "; the part of imports not covered by the listed shares goes to 'other'"
    for c, v in parts.items():
        supply.append({"party": "US", "mineral": m, "source": c, "period": "",
                       "volume": fmt(v)})
    add(f"US supply by source: {m}", "; ".join(f"{c} {fmt(v)}" for c, v in parts.items()),
        f"Baseline supply equals baseline demand ({fmt(d)} t/yr); {rule}; imports split by the "
        "2021-24 USGS import-source shares", "derived from the US demand, net import reliance "
        "and import-source facts above", "assumption")

EU_SCOPE = {
    "gallium": "EU sourcing, stage P:", "germanium": "EU sourcing, stage P:",
    "cobalt": "EU sourcing, stage P:", "tungsten": "EU sourcing, stage P:",
    "antimony": "EU sourcing, stage P:", "graphite": "EU sourcing, stage E:",
    "lithium": "EU sourcing, stage P:", "nickel": "EU sourcing, stage P:",
    "magnesium": "EU sourcing, stage P:", "titanium_sponge": "EU sourcing, stage P (titanium",
    "tantalum": "EU sourcing, stage E:",
}
EU_MEMBERS = {"Germany", "Belgium", "Austria", "Finland", "France"}
add("EU sourcing: EU member states count as EU-domestic",
    "Germany, Belgium, Austria, Finland, France",
    "CRM 2023 sourcing shares include EU production; shares of EU member states (marked (EU) "
    "in the data, plus Germany and Belgium for gallium/germanium) are merged into the source "
    "'EU-domestic'; the part of 100% not listed in the data goes to the source 'other'",
    ASSUME, "assumption")
for m in MINERAL_IDS:
    if m == "rare_earths":
        sh = shares(MIN[m], "eu_import_partner_share", "EU extra-EU imports of REE+", "2024")
        share_fact("EU import partners: rare_earths (Eurostat REE+)", MIN[m],
                   "eu_import_partner_share", "EU extra-EU imports of REE+", "2024")
        basis_src = "Eurostat 2024 REE+ import partner shares"
    else:
        sh = shares(MIN[m], "eu_sourcing_share", EU_SCOPE[m], "CRM 2023 (data period ~2016-2020)")
        share_fact(f"EU sourcing shares: {m}", MIN[m], "eu_sourcing_share", EU_SCOPE[m],
                   "CRM 2023 (data period ~2016-2020)")
        basis_src = "CRM 2023 EU sourcing shares"
    d = eu_dem[m]
    parts: dict[str, float] = {}
    for c, s in sh.items():
        name = c.replace(" (EU)", "")
        key = EU_DOM if name in EU_MEMBERS else RENAME.get(name, name)
        parts[key] = parts.get(key, 0.0) + d * s
    rest = 1 - sum(sh.values())
    if rest > 1e-9:
        parts["other"] = parts.get("other", 0.0) + d * rest
    for c, v in parts.items():
        supply.append({"party": "EU", "mineral": m, "source": c, "period": "",
                       "volume": fmt(v)})
    add(f"EU supply by source: {m}", "; ".join(f"{c} {fmt(v)}" for c, v in parts.items()),
        f"Baseline supply equals baseline demand ({fmt(d)} t/yr) split by the {basis_src} "
        "(remainder to 'other')", "derived from the EU demand and sourcing facts above",
        "assumption")

# ---------------------------------------------------------------- stockpiles and holdings
stockpiles = [
    {"stockpile": "US_NDS", "party": "US", "cost_share": ""},
    {"stockpile": "EU_stockpile", "party": "EU", "cost_share": ""},
    {"stockpile": "US_EU_joint", "party": "US", "cost_share": "0.5"},
    {"stockpile": "US_EU_joint", "party": "EU", "cost_share": "0.5"},
]
add("EU stockpiling pilot", "early 2026",
    "RESourceEU: work is under way on an EU-wide approach to stockpiling, with a pilot "
    "expected to be operational in early 2026",
    "Creamer Media Mining Weekly, 'EU unveils RESourceEU plan', 4 Dec 2025 "
    "(https://newsletter.mw.creamermedia.com/article/eu-unveils-resourceeu-plan-to-shore-up-"
    "critical-minerals-supply-accelerate-project-development-2025-12-04)", "fact")
add("Stockpiles", "US_NDS (US); EU_stockpile (EU); US_EU_joint (US 0.5, EU 0.5)",
    "A US National Defense Stockpile, an EU stockpile (RESourceEU announces a pilot EU "
    "stockpiling scheme, fact above) and one hypothetical joint US-EU stockpile with equal "
    "cost shares", ASSUME, "assumption")
add("Initial stock in every stockpile", "0",
    "Current NDS inventories for these materials were not found (mineral-data.md, NDS "
    "section) and no EU stockpile exists yet, so every holding starts empty", ASSUME,
    "assumption")
JOINT = ["gallium", "germanium", "rare_earths", "tungsten", "antimony"]
HOLD_RATE, NAT_CAP_YEARS, JOINT_CAP_SHARE, REL_SHARE = 0.02, 1.0, 0.5, 0.5
holdings = []
cap: dict[tuple[str, str], float] = {}
for k, dem in (("US_NDS", us_dem), ("EU_stockpile", eu_dem)):
    for m in MINERAL_IDS:
        cap[(k, m)] = dem[m] * NAT_CAP_YEARS
for m in JOINT:
    cap[("US_EU_joint", m)] = (us_dem[m] + eu_dem[m]) * JOINT_CAP_SHARE
for (k, m), c in cap.items():
    holdings.append({"stockpile": k, "mineral": m, "initial_stock": "0", "max_stock": fmt(c),
                     "holding_cost": fmt(price[m] * HOLD_RATE),
                     "max_release": fmt(c * REL_SHARE)})
add("Holdings: which stockpile holds what",
    f"US_NDS and EU_stockpile: all 12 minerals; US_EU_joint: {', '.join(JOINT)}",
    "The joint stockpile holds only the defence-critical minerals", ASSUME, "assumption")
add("Holdings max_stock", "national: 1 x owner's annual demand; joint: 0.5 x (US + EU) annual "
    "demand", "; ".join(f"{k}/{m} {fmt(c)}" for (k, m), c in cap.items()), ASSUME,
    "assumption")
add("Holdings holding_cost", "2% of price per t per year",
    "; ".join(f"{m} {fmt(price[m] * HOLD_RATE)}" for m in MINERAL_IDS), ASSUME, "assumption")
add("Holdings max_release", "50% of max_stock per period",
    "A full stockpile takes at least two years to draw down", ASSUME, "assumption")

# ---------------------------------------------------------------- offtakes
OFF = [  # id, party, mineral, source country (data name), metric, data mineral
    ("US_Co_Australia", "US", "cobalt", "Australia", "world_mine_production"),
    ("US_REE_Australia", "US", "rare_earths", "Australia", "world_mine_production"),
    ("US_Gr_Mozambique", "US", "graphite", "Mozambique", "world_mine_production"),
    ("US_W_Vietnam", "US", "tungsten", "Vietnam", "world_mine_production"),
    ("US_Sb_Bolivia", "US", "antimony", "Bolivia", "world_mine_production"),
    ("US_Li_Australia", "US", "lithium", "Australia", "world_mine_production"),
    ("US_Ni_Canada", "US", "nickel", "Canada", "world_mine_production"),
    ("US_Ti_SaudiArabia", "US", "titanium_sponge", "Saudi Arabia", "world_sponge_production"),
    ("US_Ta_Brazil", "US", "tantalum", "Brazil", "world_mine_production"),
    ("EU_Co_Madagascar", "EU", "cobalt", "Madagascar", "world_mine_production"),
    ("EU_REE_Australia", "EU", "rare_earths", "Australia", "world_mine_production"),
    ("EU_Gr_Tanzania", "EU", "graphite", "Tanzania", "world_mine_production"),
    ("EU_W_Bolivia", "EU", "tungsten", "Bolivia", "world_mine_production"),
    ("EU_Sb_Tajikistan", "EU", "antimony", "Tajikistan", "world_mine_production"),
    ("EU_Li_Chile", "EU", "lithium", "Chile", "world_mine_production"),
    ("EU_Ni_NewCaledonia", "EU", "nickel", "New Caledonia", "world_mine_production"),
    ("EU_Ti_Japan", "EU", "titanium_sponge", "Japan", "world_sponge_production"),
    ("EU_Mg_Israel", "EU", "magnesium", "Israel", "world_primary_production"),
    ("EU_Ta_Rwanda", "EU", "tantalum", "Rwanda", "world_mine_production"),
]
OFF_CAP, OFF_FEE = 0.10, 0.10
offtakes = []
seen = set()
for oid, party, m, country, metric in OFF:
    prod = val(MIN[m], metric, country, "2025e")
    if (m, country) not in seen:
        seen.add((m, country))
        fact(f"Production 2025e: {m} in {country}", MIN[m], metric, country, "2025e")
    offtakes.append({"offtake": oid, "party": party, "mineral": m, "source": country,
                     "max_volume": fmt(prod * OFF_CAP), "fee": fmt(price[m] * OFF_FEE),
                     "price": fmt(price[m]), "first_period": ""})
add("Offtakes: options", "; ".join(f"{o[0]} ({o[2]} from {o[3]})" for o in OFF),
    "Non-Chinese producer countries that appear in the USGS production tables; one option "
    "per party and mineral (gallium, germanium have no non-Chinese producer of size in the "
    "data, so they rely on stockpiles and swaps). The projects are hypothetical", ASSUME,
    "assumption")
add("Offtakes: max_volume", "10% of the country's 2025e production per year",
    "; ".join(f"{o['offtake']} {o['max_volume']}" for o in offtakes), ASSUME, "assumption")
add("Offtakes: fee and price", "fee = 10% of the mineral price per t/yr of capacity (paid "
    "once); delivered price = the Minerals price", "No contract terms are public for these "
    "hypothetical contracts; deliveries start in the first period", ASSUME, "assumption")

# ---------------------------------------------------------------- swaps
SW = [  # id, lender, receiver, mineral, return mineral, premium, lag
    ("US_from_EU_Ge", "EU_stockpile", "US", "germanium", "germanium", 1.05, 2),
    ("US_from_EU_Ge_for_Ga", "EU_stockpile", "US", "germanium", "gallium", 1.05, 2),
    ("US_from_EU_REE", "EU_stockpile", "US", "rare_earths", "rare_earths", 1.06, 3),
    ("US_from_EU_Ti", "EU_stockpile", "US", "titanium_sponge", "titanium_sponge", 1.09, 3),
    ("EU_from_NDS_Ga", "US_NDS", "EU", "gallium", "gallium", 1.04, 1),
    ("EU_from_NDS_W", "US_NDS", "EU", "tungsten", "tungsten", 1.03, 1),
    ("EU_from_NDS_Sb", "US_NDS", "EU", "antimony", "antimony", 1.05, 2),
    ("EU_from_NDS_Co", "US_NDS", "EU", "cobalt", "cobalt", 1.02, 1),
]
SW_CAP, SW_FEE = 0.25, 0.01
swaps = []
for sid, k, rcv, m, back, prem, lag in SW:
    ratio = prem * (price[m] / price[back]) if back != m else prem
    swaps.append({"swap": sid, "lender_stockpile": k, "receiver": rcv, "mineral": m,
                  "return_mineral": back, "return_ratio": fmt4(ratio),
                  "return_lag": str(lag), "max_volume": fmt(cap[(k, m)] * SW_CAP),
                  "fee": fmt(price[m] * SW_FEE)})
add("Swaps: return premiums and lags",
    "; ".join(f"{s[0]} x{s[5]} after {s[6]}" for s in SW),
    "Return premiums of 2-9% rising with the lag (1-3 years), modelled on the in-kind "
    "exchange mechanism of oil reserves; the values are our choice", ASSUME, "assumption")
add("Swaps: cross-mineral return ratio (US_from_EU_Ge_for_Ga)",
    [s for s in swaps if s["swap"] == "US_from_EU_Ge_for_Ga"][0]["return_ratio"],
    "Germanium drawn is returned as gallium of equal value plus the 5% premium: "
    f"1.05 x germanium price {fmt(price['germanium'])} / gallium price "
    f"{fmt(price['gallium'])} t Ga per t Ge", ASSUME, "assumption")
add("Swaps: max_volume and fee", "max_volume = 25% of the lender holding's max_stock; fee = "
    "1% of the drawn mineral's price per t of capacity",
    "; ".join(f"{s['swap']} {s['max_volume']} t, fee {s['fee']}" for s in swaps), ASSUME,
    "assumption")

# ---------------------------------------------------------------- scenarios
SCEN = [
    ("calm", 0.35, "No disruption: baseline supply arrives in full."),
    ("ga_ge_controls", 0.12, "China's export controls on gallium and germanium tighten: no "
     "Chinese Ga/Ge 2027-2029; non-Chinese gallium refiners deliver 60% (short of Chinese feed)."),
    ("graphite_controls", 0.10, "China restricts natural graphite exports: 20% of Chinese "
     "graphite arrives 2027-2030."),
    ("sb_w_controls", 0.10, "China stops antimony and tungsten exports 2027-2029."),
    ("ree_controls", 0.10, "China extends rare-earth licensing: 10% of Chinese rare earths "
     "arrive 2027-2030."),
    ("drc_cobalt", 0.08, "The DRC cobalt export quota regime (after the 2025 ban) continues "
     "2027-2029: DRC flow at 42%, refiners elsewhere at 58%."),
    ("russia_cutoff", 0.08, "No Russian material reaches the US or EU 2027-2031 (nickel, "
     "titanium and others); Kazakh titanium sponge at 50% (transit)."),
    ("wider_conflict", 0.07, "East Asian conflict 2028-2031: no Chinese or Taiwanese "
     "material, East Asian shipping at 50%, defence demand +50% in both parties."),
]
assert abs(sum(s[1] for s in SCEN) - 1) < 1e-12
scenarios = [{"scenario": s, "probability": fmt(p), "description": d} for s, p, d in SCEN]
add("Scenario probabilities", "; ".join(f"{s} {p}" for s, p, _ in SCEN),
    "Illustrative probabilities over the 2027-2031 horizon, summing to 1; not estimated "
    "from data", ASSUME, "assumption")

# background facts for scenarios
ctl = "china_export_control"
for m, scope, year, label in [
    ("gallium", "all destinations", "2023-08-01", "gallium licensing"),
    ("gallium", "United States", "2024-12-03", "gallium ban to the US"),
    ("gallium", "United States", "2025-11 (to 2026-11-27)", "US ban suspended"),
    ("germanium", "all destinations", "2023-08-01", "germanium licensing"),
    ("natural graphite", "all destinations", "2023-12-01", "graphite permits"),
    ("antimony", "all destinations", "2024-09-15", "antimony licensing"),
    ("tungsten", "all destinations", "2025-02-04", "tungsten controls"),
    ("rare earths (REO; NdPr price)", "all destinations (licence", "2025-04-04",
     "rare earths Announcement No. 18"),
]:
    r = fact_row(m, ctl, scope, year)
    mid = [k for k, v in MIN.items() if v == m][0]
    add(f"Chinese export control: {mid} ({label})", r["year"], r["value"], src(r), "fact")
fact("China share of primary gallium", "gallium", "china_share_world_production", "China",
     "2025e")
r = fact_row("cobalt", "other_export_restriction", "Congo", "2025")
add("DRC cobalt export ban and quota", "2025", r["value"], src(r), "fact")
drc = fact("Cobalt mine production 2025e: DRC", "cobalt", "world_mine_production",
           "Congo (Kinshasa)", "2025e")
drc_share = fact("DRC share of world cobalt mine output", "cobalt",
                 "drc_share_world_mine_production", "Congo (Kinshasa)", "2025e") / 100
drc_avail = round(96600 / drc, 2)
ref_avail = round(1 - drc_share * (1 - drc_avail), 2)
add("drc_cobalt availabilities", f"DRC {drc_avail}; other cobalt sources {ref_avail}",
    f"DRC: 2026-27 quota up to 96,600 t/yr / 2025e output {fmt(drc)} t = {drc_avail}; other "
    f"sources: 1 - DRC share {drc_share} x (1 - {drc_avail}) = {ref_avail}, i.e. the cut is "
    "assumed to pass proportionally to every refiner (US-domestic recycling excepted) and the "
    "quota is assumed to stay in place 2027-2029", ASSUME, "assumption")
add("Disruption levels in the China scenarios",
    "ga_ge_controls 2027-2029: China gallium and germanium 0, gallium from Canada, Japan, "
    "Germany, United Kingdom, Taiwan, Ukraine 0.6; graphite_controls 2027-2030: China "
    "graphite 0.2; sb_w_controls 2027-2029: China antimony and tungsten 0; ree_controls "
    "2027-2030: China rare_earths 0.1",
    "Chosen availabilities and durations of the Chinese measures (facts above give the real "
    "measures and dates); the 0.6 for non-Chinese gallium refiners reflects China's ~99% "
    "share of primary gallium (fact above)", ASSUME,
    "assumption")
add("russia_cutoff levels", "Russia * 0 for 2027-2031; Kazakhstan titanium_sponge 0.5",
    "Chosen: all Russian flows stop; half of Kazakh sponge is assumed to be lost with transit "
    "through Russia", ASSUME, "assumption")
add("wider_conflict disruption levels", "China and Taiwan 0; Japan, Malaysia, Vietnam, "
    "Thailand, Indonesia 0.5 (all minerals, 2028-2031)",
    "Chosen: conflict in East Asia stops Chinese and Taiwanese material and halves shipping "
    "from other East Asian sources", ASSUME, "assumption")
SHOCK_MIN = ["gallium", "germanium", "tungsten", "antimony", "rare_earths", "titanium_sponge",
             "tantalum", "cobalt"]
add("wider_conflict demand shock", "x1.5 for " + ", ".join(SHOCK_MIN) + " (both parties, "
    "2028-2031)", "Chosen wartime production surge for defence minerals", ASSUME, "assumption")

dis = []


def d(s, c, m, a, b, av):
    dis.append({"scenario": s, "source": c, "mineral": m, "start_period": a,
                "end_period": b, "availability": fmt(av)})


d("ga_ge_controls", "China", "gallium", "2027", "2029", 0)
d("ga_ge_controls", "China", "germanium", "2027", "2029", 0)
for c in ["Canada", "Japan", "Germany", "United Kingdom", "Taiwan", "Ukraine"]:
    d("ga_ge_controls", c, "gallium", "2027", "2029", 0.6)
d("graphite_controls", "China", "graphite", "2027", "2030", 0.2)
d("sb_w_controls", "China", "antimony", "2027", "2029", 0)
d("sb_w_controls", "China", "tungsten", "2027", "2029", 0)
d("ree_controls", "China", "rare_earths", "2027", "2030", 0.1)
co_sources = sorted({r["source"] for r in supply if r["mineral"] == "cobalt"} - {US_DOM})
for c in co_sources:
    d("drc_cobalt", c, "cobalt", "2027", "2029", drc_avail if c == "DRC" else ref_avail)
d("russia_cutoff", "Russia", "*", "", "", 0)
d("russia_cutoff", "Kazakhstan", "titanium_sponge", "", "", 0.5)
d("wider_conflict", "China", "*", "2028", "2031", 0)
d("wider_conflict", "Taiwan", "*", "2028", "2031", 0)
for c in ["Japan", "Malaysia", "Vietnam", "Thailand", "Indonesia"]:
    d("wider_conflict", c, "*", "2028", "2031", 0.5)
shocks = [{"scenario": "wider_conflict", "party": "*", "mineral": m, "start_period": "2028",
           "end_period": "2031", "multiplier": "1.5"} for m in SHOCK_MIN]

# ---------------------------------------------------------------- write
named = {r["source"] for r in supply} | {o["source"] for o in offtakes}
for r in dis:
    if r["source"] not in named:
        print("WARNING unknown source", r["source"], file=sys.stderr)


def write(name: str, cols: list[str], rows: list[dict]) -> None:
    with (OUT / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})


OUT.mkdir(parents=True, exist_ok=True)
write("Settings", ["key", "value"], [{"key": "currency", "value": "USD"},
                                     {"key": "exchange_rates", "value": f"EUR={EURUSD}"},
                                     {"key": "risk_weight", "value": "0.5"},
                                     {"key": "cvar_alpha", "value": "0.9"},
                                     {"key": "purchase_timing", "value": "periods"}])
write("Periods", ["period"], [{"period": p} for p in PERIODS])
write("Parties", ["party", "budget", "currency"],
      [{"party": "US", "budget": fmt(us_budget), "currency": "USD"},
       {"party": "EU", "budget": fmt(eu_budget_eur), "currency": "EUR"}])
write("Minerals", ["mineral", "price", "max_acquisition", "lead_time",
                  "max_acquisition_per_period"],
      [{"mineral": m, "price": fmt(price[m]),
        "max_acquisition": "" if max_acq[m] is None else fmt(max_acq[m]),
        "lead_time": str(lead_time[m]), "max_acquisition_per_period": ""}
       for m in MINERAL_IDS])
write("Stockpiles", ["stockpile", "party", "cost_share"], stockpiles)
write("Holdings", ["stockpile", "mineral", "initial_stock", "max_stock", "holding_cost",
                   "max_release"], holdings)
write("Demand", ["party", "mineral", "period", "demand", "criticality"],
      [{"party": p, "mineral": m, "period": "", "demand": fmt(dem[m]), "criticality": CRIT[m]}
       for p, dem in (("US", us_dem), ("EU", eu_dem)) for m in MINERAL_IDS])
write("Supply", ["party", "mineral", "source", "period", "volume"], supply)
write("Offtakes", ["offtake", "party", "mineral", "source", "max_volume", "fee", "price",
                   "first_period"], offtakes)
write("Swaps", ["swap", "lender_stockpile", "receiver", "mineral", "return_mineral",
                "return_ratio", "return_lag", "max_volume", "fee"], swaps)
write("Scenarios", ["scenario", "probability", "description"], scenarios)
write("Disruptions", ["scenario", "source", "mineral", "start_period", "end_period",
                      "availability"], dis)
write("DemandShocks", ["scenario", "party", "mineral", "start_period", "end_period",
                       "multiplier"], shocks)
# The risk register for sampling scenarios stays empty here (the example's scenarios are
# the hand-written ones above); inputs/us_eu_risks/ holds an example register.
write("Risks", ["risk", "group", "source", "mineral", "start_probability", "min_duration",
                "max_duration", "availability", "party", "demand_multiplier"], [])
# The policy levers stay empty here (the plain example gives the v1 optimum);
# inputs/us_eu_policy/ holds the variant that uses them.
write("CoverTargets", ["target", "party", "stockpile", "mineral", "periods", "basis",
                       "domestic_sources"], [])
write("ConcentrationLimits", ["party", "mineral", "max_share", "excluded_sources"], [])
write("Mitigation", ["option", "party", "mineral", "max_share", "cost", "lead_time", "fee"], [])
# Purchases over time (FORMULATION-v2 section 6): orders in any period, one budget row per
# party and year (in the party's own currency); no price path (prices held flat).
write("PricePath", ["mineral", "period", "price"], [])
write("PeriodBudgets", ["party", "period", "budget"],
      [{"party": p, "period": t, "budget": fmt(b[t])}
       for p, b in (("US", us_period_budget), ("EU", eu_period_budget)) for t in PERIODS])
write("sources", ["item", "value", "basis", "source", "kind"], sources)
print(f"wrote {len(sources)} sources lines and the sheet CSVs to {OUT}")
