"""The input side: read an input workbook, check it, and turn it into ``ModelData``.

Modules: ``schema`` (the sheets and columns), ``file`` (safe .xlsx opening), ``reader``
(cells to typed records), ``validate`` (every problem, listed), ``problems`` (how problems
are worded), ``normalize`` (records to ``stockopt.data.ModelData``; ``load``), ``template``
and ``example`` (write blank and worked input workbooks), ``sampling`` (scenarios sampled
from the Risks sheet) and ``sheet_guide`` (the README's sheet guide, from the schema).
"""
