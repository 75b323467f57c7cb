"""Quality objectives and their KPIs [ISO 9001:2015 6.2]."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.objectives import cli, demo, models, permissions  # noqa: F401 - registers
