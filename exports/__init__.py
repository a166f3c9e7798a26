"""Exports of the registry's layers: selection and filters, provenance, file writers, jobs, map exports.

No Flask here: the web blueprints, the CLI and the benchmarks all call these modules.
"""
