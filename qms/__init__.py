"""SGC Bono Vida Mejor: the ISO 9001 quality-management system of the programme."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

from flask import Flask

from config import Config, load_config
from qms.core.uow import QMSFlask

#: Domains in the order their blueprints, policies and CLI commands are registered.
#: A new domain adds its package name here.
DOMAINS = ("core", "auth", "api", "processes", "documents", "nonconformities", "surveys",
            "payments", "complaints", "portal", "reminders", "audits", "objectives",
            "reviews", "evidence", "dashboard")


def create_app(config: Config | None = None, **overrides: Any) -> Flask:
    """Build the application. No queries, migrations or jobs happen here."""
    app = QMSFlask(__name__, template_folder="../templates", static_folder="static")
    app.config.from_object(config or load_config())
    app.config.update(overrides)
    from qms.core.limits import BoundedIntConverter

    app.url_map.converters["int"] = BoundedIntConverter  # before any route is added

    from qms import extensions as ext
    from qms.core import i18n, security, web

    _no_ping_for_sqlite(app)
    ext.db.init_app(app)
    ext.migrate.init_app(app, ext.db, directory=str(Path(app.root_path).parent / "migrations"))
    ext.csrf.init_app(app)
    ext.babel.init_app(app, locale_selector=i18n.select_locale)
    ext.login_manager.init_app(app)
    ext.limiter.init_app(app)

    security.init_app(app)
    web.init_app(app)
    for name in DOMAINS:
        module = import_module(f"qms.{name}")
        module.init_app(app)
    return app


def _no_ping_for_sqlite(app: Flask) -> None:
    """A SQLite file on this host never drops a connection: checking each pooled
    connection with a ``SELECT 1`` before every request (``pool_pre_ping``, which a
    PostgreSQL server behind a network needs) is work for nothing there."""
    if str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
