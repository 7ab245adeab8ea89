"""Budgets in the parties' own currencies (FORMULATION-v2 section 8): reading the rates.

The Settings key ``exchange_rates`` holds text such as ``EUR=1.08; GBP=1.27``: for each
named currency, the units of the base currency (the Settings ``currency``) per unit of it.
``parse_exchange_rates`` is the one reading of that text; ``validate`` reports its
problems and ``normalize`` uses its rates, so the two cannot disagree.

The reading, written down:

* items are separated by ``;`` (as every list cell of the workbook) or by line breaks; a
  blank item (a trailing ``;``) is ignored. A ``,`` is not a separator: it would be
  ambiguous next to a decimal comma (``EUR=1,08``), so it is an error with a hint;
* an item is ``CODE=rate``; spaces around the code, the ``=`` and the rate are ignored;
* codes are compared exactly, like every identifier of the workbook (``EUR`` and ``eur``
  are different codes; a near miss is pointed out by ``close_match``);
* a rate is a plain decimal number (``1.08``, ``1.5e-3``) in ``RATE_RANGE``;
* a code given twice is an error (even with the same rate).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from .reader import DECIMAL_TEXT

RATE_RANGE = (1e-6, 1e6)
"""Allowed exchange rates (units of the base currency per unit of the party's currency):
wide enough for any pair of real currencies (e.g. 0.0067 USD per JPY, 1.27 per GBP)."""

CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
"""A currency code: a letter, then letters, digits, '_', '.' or '-' (EUR, USD, XAU)."""

_SEPARATORS = re.compile(r"[;\n\r]")


@dataclass
class ParsedRates:
    """The outcome of reading an ``exchange_rates`` text.

    ``rates`` maps each well-formed code to its rate (the first one when a code is given
    twice); ``problems`` holds (expected, found) in the workbook's words, one per bad item.
    """

    rates: dict[str, float] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)


EXPECTED_ITEM = ("items CODE=rate separated by ';', e.g. 'EUR=1.08; GBP=1.27' (units of the "
                 "base currency per unit of CODE)")


def parse_exchange_rates(text: object) -> ParsedRates:
    """Read the Settings value ``exchange_rates`` (None or blank: no rates).

    Returns the rates (currency code -> units of the base currency per unit) and every
    problem found; see the module docstring for the reading.
    """
    parsed = ParsedRates()
    if text is None:
        return parsed
    low, high = RATE_RANGE
    for raw_item in _SEPARATORS.split(str(text)):
        item = raw_item.strip()
        if not item:
            continue
        shown = f"'{item}'"
        if item.count("=") != 1:
            hint = ""
            if "," in item:
                hint = " (a ',' is not a separator: put ';' between items and '.' as the " \
                       "decimal point)"
            elif "=" not in item:
                hint = " (no '=')"
            else:
                hint = " (more than one '=': put ';' between items)"
            parsed.problems.append((EXPECTED_ITEM, shown + hint))
            continue
        code, rate_text = (part.strip() for part in item.split("="))
        if not CODE.match(code):
            parsed.problems.append(
                ("a currency code (letters, then letters or digits, e.g. EUR) before '='",
                 f"{shown}" + (" (no code)" if not code else f" (code '{code}')")))
            continue
        rate = _rate(rate_text)
        if rate is None:
            hint = " (use '.' as the decimal point)" if "," in rate_text else ""
            parsed.problems.append((f"a number from {low:g} to {high:g} after '{code}='",
                                    f"{shown}{hint}"))
            continue
        if not low <= rate <= high:
            parsed.problems.append((f"a rate from {low:g} to {high:g} for {code} (units of the "
                                    "base currency per unit; a rate must be positive)",
                                    f"{shown}"))
            continue
        if code in parsed.rates:
            parsed.problems.append((f"each currency once (a rate for {code} is given before)",
                                    f"{shown}, a second rate for {code}"))
            continue
        parsed.rates[code] = rate
    return parsed


def _rate(text: str) -> float | None:
    if not DECIMAL_TEXT.match(text):
        return None
    value = float(text)
    return value if value == value and abs(value) != float("inf") else None


def close_match(code: str, known: list[str]) -> str | None:
    """The code in ``known`` that ``code`` most likely means ('eur' or 'EURO' -> 'EUR'),
    or None when none is close."""
    for candidate in known:
        if candidate.lower() == code.lower():
            return candidate
    upper = {c.upper(): c for c in known}
    found = difflib.get_close_matches(code.upper(), list(upper), n=1, cutoff=0.6)
    return upper[found[0]] if found else None
