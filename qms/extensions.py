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


db = QMSSQLAlchemy(model_class=Model)
migrate = Migrate(compare_type=True, render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
