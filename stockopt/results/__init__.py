"""Reading a solved LP back into tables and headline numbers (risk, CVaR, cost, spend).

Modules: ``extract`` (``Results`` and ``extract``; exact CVaR and scenario losses).
"""
