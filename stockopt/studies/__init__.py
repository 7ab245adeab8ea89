"""Studies built on repeated solves: a budget frontier, and a plan evaluated out of sample.

Modules: ``frontier`` (sweep a budget, warm-starting HiGHS) and ``evaluation`` (a solved
plan's losses in sample and on a fresh sample, with bootstrap intervals).
"""
