"""The ``stockopt`` command line: option parsing, and each command's run-and-write logic.

Modules: ``cli`` (the click group), ``common`` (exit codes, loading, JSON, output names),
``solve`` and ``solve_mpisppy`` (``stockopt solve``), ``frontier``, ``scenarios`` and
``evaluate`` (the other commands) and ``progress`` (the one-line progress display).
"""
