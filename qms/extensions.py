"""Flask extensions, created unbound here and bound in ``create_app`` in a fixed order."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from qms.core.db import Model


class QMSSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy whose pagination refuses absurd page numbers with 404 (a page
    of 2**63 would overflow the OFFSET and fail with 500)."""

    def paginate(self, select, *, page=None, per_page=None, **kwargs):  # type: ignore[override]
        from flask import request

        from qms.core.limits import safe_page

        if page is None and "page" in request.args:
            page = safe_page(request.args.get("page"))
        elif page is not None:
            page = safe_page(page)
        return super().paginate(select, page=page, per_page=per_page, **kwargs)


class QMSLoginManager(LoginManager):
    """Flask-Login whose "strong" session protection guards signed-in sessions only.

    Flask-Login checks every non-empty session, so an anonymous visitor's session (its
    CSRF token, its language) failed the check on every request: the session was
    rewritten and a remember-me cookie deleted on each page view of the login page, for
    nothing to protect. A session with a user, or a request with a remember-me cookie,
    is checked as before."""

    def _session_protection_failed(self):
        from flask import current_app, request, session
        from flask_login.config import COOKIE_NAME

        cookie = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME)
        if "_user_id" not in session and cookie not in request.cookies:
            return False
        return super()._session_protection_failed()


db = QMSSQLAlchemy(model_class=Model)
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = QMSLoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
