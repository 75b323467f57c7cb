"""Beneficiary-satisfaction surveys [ISO 9001:2015 9.1.2]."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.surveys import models  # noqa: F401
