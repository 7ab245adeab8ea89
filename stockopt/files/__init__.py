"""Writing files safely and saying where they came from.

Modules: ``atomic`` (write to a temporary file, then replace the target) and
``provenance`` (SHA-256 of inputs, package versions).
"""
