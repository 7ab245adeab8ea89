"""The ``stockopt`` command line: option parsing, and each command's run-and-write logic.

Modules: ``cli`` (the click group), ``common`` (exit codes, loading, JSON, output names),
``solve`` (``stockopt solve``, either engine, under MPI too), ``frontier``, ``scenarios`` and
``evaluate`` (the other commands), ``progress`` (the one-line progress display),
``interrupt`` (SIGINT/SIGTERM while a command runs) and ``launch`` (the entry point, with
a signal guard installed before anything heavy is imported).
"""
