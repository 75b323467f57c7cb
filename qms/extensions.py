"""Flask extensions, created unbound here and bound in ``create_app`` in a fixed order."""

from functools import partial

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


class QMSCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRF protection, answering a GET before looking up exemptions.

    Flask-WTF resolves the blueprint and view of every request to see whether they are
    exempt, and only then notices that a GET is never checked."""

    def protect(self, apply_exemptions=False):
        from flask import current_app, request

        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return None
        return super().protect(apply_exemptions)


class QMSLimiter(Limiter):
    """Flask-Limiter that costs nothing on the routes it does not guard.

    The system sets no application-wide, default or blueprint limits: every limit is a
    decorator on the route it guards (the login POST, the complaint form…), and the
    decorator checks it when the view is called. Flask-Limiter still resolved, on every
    request of every page, the limits that could apply (about a tenth of the anonymous
    login page's time), built a per-request context and consulted it twice more after
    the view. Here the before-request check runs only when some limit applies to every
    request (application, default, blueprint or meta limits, or the in-memory fallback
    after the storage failed), a decorated limit whose ``methods`` leave out this
    request's method is not evaluated, and the after-request and teardown hooks run only
    for a request a limit was evaluated for. A limit that is added later (a default
    limit in configuration, a blueprint limit) switches the full check back on."""

    def init_app(self, app):  # type: ignore[override]
        super().init_app(app)
        after = app.after_request_funcs.get(None, [])
        for index, hook in enumerate(after):
            if isinstance(hook, partial) and hook.args[:1] == (self,):
                after[index] = partial(_when_limited, hook)
        teardown = app.teardown_request_funcs.get(None, [])
        for index, hook in enumerate(teardown):
            if getattr(hook, "__self__", None) is self:
                teardown[index] = partial(_when_limited, hook)

    def _applies_to_every_request(self) -> bool:
        manager = self.limit_manager
        return bool(manager._application_limits or manager._default_limits
                    or manager._blueprint_limits or self._meta_limits or self._storage_dead)

    def _check_request_limit(self, callable_name=None, in_middleware=True):  # type: ignore[override]
        if in_middleware and not self._applies_to_every_request():
            return None
        if not in_middleware and callable_name and self._method_exempt(callable_name):
            return None
        return super()._check_request_limit(callable_name, in_middleware)

    def _method_exempt(self, callable_name: str) -> bool:
        """Whether every limit decorated on ``callable_name`` names methods other than
        this request's (``methods=["POST"]`` on a view that also answers GET)."""
        from flask import request

        limits = self.limit_manager._decorated_limits.get(callable_name)
        method = request.method.lower()
        return bool(limits) and all(
            limit.methods is not None and method not in limit.methods for limit in limits)


def _when_limited(hook, *args):
    """Run a limiter hook only for a request the limiter evaluated a limit for."""
    from flask.globals import request_ctx

    if hasattr(request_ctx, "_limiter_request_context"):
        return hook(*args)
    return args[0] if args else None


db = QMSSQLAlchemy(model_class=Model)
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = QMSLoginManager()
csrf = QMSCSRFProtect()
babel = Babel()
limiter = QMSLimiter(key_func=get_remote_address, default_limits=[])
