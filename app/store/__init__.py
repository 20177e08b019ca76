"""The store: tables (models), the engine and the per-request transaction (db), migrations, and every query.

Query functions take a keyword-only `session` and never commit; the request (or the CLI) owns the transaction.
"""
