"""The output workbooks: results of a solve, of a frontier, and of an evaluation.

Modules: ``workbook`` (``write_report``, the results workbook), ``sheets`` (its sheets),
``tables``, ``policy``, ``charts``, ``cells`` and ``columns`` (the pieces the sheets are
made of), ``frontier`` (the frontier workbook and JSON) and ``evaluation`` (the
evaluation workbook).
"""
