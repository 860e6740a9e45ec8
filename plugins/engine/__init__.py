"""The one import/export engine: parse → map → validate → dry run → apply → log, and export.

Modules: `formats` (the contract a format implements), `mapping` (headers to fields), `validate` (rows to
records), `run` (dry run, apply, log), `export`, `limits`. Importing this package loads nothing heavy.
"""
