"""The managers' dashboard: the home page of top management and quality officers.

Its own small domain because it reads many others (nonconformities, documents, audits,
surveys, objectives) — only through their ``facts`` modules — and no domain reads it.
It has no models and no routes: it adds a panel above the home page's cards.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.dashboard import panel, permissions  # noqa: F401 - registers the panel, policy
