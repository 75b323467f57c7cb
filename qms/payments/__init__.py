"""Bond execution: what the payment system hands the SGC, per payment period ×
department × municipality × channel (households scheduled and paid, lempiras paid,
reasons for non-payment). Its own domain because the portal, the KPIs and the
management review (9.3.2 c: performance of the paying banks and wallets) all read it."""

from flask import Flask


def init_app(app: Flask) -> None:
    from qms.payments import cli, demo, models, permissions, views  # noqa: F401 - registers

    app.register_blueprint(views.bp)
