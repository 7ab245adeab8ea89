"""stockopt: choose stockpiles, offtake contracts and swap agreements that minimize
critical-mineral shortfall risk under budgets, across disruption scenarios."""

__version__ = "0.1.0"
