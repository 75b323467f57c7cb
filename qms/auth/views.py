"""Login and logout, the user's own page (API tokens), and user administration."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from qms.auth import services
from qms.auth.forms import LoginForm, PasswordChangeForm, TokenForm, UserForm
from qms.auth.models import ApiToken, Role, User
from qms.core import pagecache
from qms.core.forms import EmptyForm
from qms.core.i18n import LANGUAGE_CHOSEN
from qms.core.permissions import authorize, get_or_404_authorized
from qms.core.uow import attempt
from qms.core.views import safe_next
from qms.extensions import db, limiter

bp = Blueprint("auth", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _username_limit() -> str:
    return current_app.config["LOGIN_USERNAME_RATE_LIMIT"]


def _username_key() -> str:
    return "login:" + (request.form.get("username") or "").strip().lower()[:80]


def _failed(response) -> bool:
    """Only refused credentials count against the limit: the form shown again (200).
    A success redirects; a busy server (503) or a stale form (400) is no guess."""
    return response.status_code == 200


def _known_device() -> bool:
    """The browser has logged in as this username before (a device cookie, OWASP's
    answer to lock-outs): guesses from elsewhere cannot lock its owner out."""
    return services.known_device(request.cookies.get(services.DEVICE_COOKIE),
                                 request.form.get("username") or "")


def _too_many_attempts(_limit):
    """Say what happened on the login page itself, with 429."""
    flash(_("Demasiados intentos fallidos de inicio de sesión para esta cuenta o desde esta "
            "dirección. Espere unos minutos y vuelva a intentarlo; si no fue usted, avise al "
            "administrador."), "danger")
    form = LoginForm(next=request.args.get("next"))
    return current_app.make_response((render_template("auth/login.html", form=form), 429))


@bp.get("/login")
def login():
    """The login page: the same for every visitor but for the CSRF token, so it is
    rendered once per language (:mod:`qms.core.pagecache`), and the rate limiter, which
    guards the POST only, is not consulted for it."""
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    return pagecache.render_anonymous(
        "auth/login.html", lambda: {"form": LoginForm(next=request.args.get("next"))})


@bp.post("/login", endpoint="login_submit")
@limiter.limit(_login_limit, deduct_when=_failed, on_breach=_too_many_attempts)
@limiter.limit(_username_limit, key_func=_username_key, deduct_when=_failed,
               exempt_when=_known_device, on_breach=_too_many_attempts)
def login_submit():
    if current_user.is_authenticated:
        return redirect(url_for("core.dashboard"))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            chosen = session.get("lang") if session.get(LANGUAGE_CHOSEN) else None
            session.clear()
            login_user(user)
            session.permanent = True
            if chosen:  # the language picked on the login page is the user's from now on
                services.set_locale(user, chosen)
            session["lang"] = user.locale
            response = redirect(safe_next(form.next.data, url_for("core.dashboard")))
            services.remember_device(response, user)
            return response
        flash(_("Usuario o contraseña incorrectos, o la cuenta está inactiva o vencida."), "danger")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    lang = session.get("lang")
    services.end_sessions(current_user)  # a copied cookie stops working too
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Sesión cerrada."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/cuenta", methods=["GET", "POST"])
@login_required
def account():
    form = TokenForm()
    new_secret = None
    can_tokens = _can_tokens()
    if can_tokens and form.validate_on_submit() and (
            done := attempt(lambda: services.issue_token(current_user, form.name.data), form)):
        _, new_secret = done.value
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id.desc())
    ).all()
    return render_template("auth/account.html", form=form, tokens=tokens, new_secret=new_secret,
                           can_tokens=can_tokens, revoke_form=EmptyForm())


def _own_key() -> str:
    return f"password-change:{current_user.get_id()}"


@bp.route("/cuenta/contrasena", methods=["GET", "POST"])
@login_required
@limiter.limit(_login_limit, methods=["POST"], key_func=_own_key,
               deduct_when=lambda response: response.status_code == 422)  # refused only
def change_password():
    """The user changes their own password (current one required; failures rate-limited)."""
    form = PasswordChangeForm()
    if form.validate_on_submit() and attempt(lambda: services.change_own_password(
            current_user, form.current_password.data, form.new_password.data), form):
        # Every other session of the account has ended; this one continues under the
        # new generation.
        login_user(current_user._get_current_object(), fresh=True)
        flash(_("Contraseña cambiada."), "success")
        return redirect(url_for("auth.account"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/password.html", form=form), status


def _can_tokens() -> bool:
    from qms.core.permissions import can

    return can(current_user, "token.manage")


@bp.post("/cuenta/tokens/<int:token_id>/revocar")
@login_required
def revoke_token(token_id: int):
    token = get_or_404_authorized(ApiToken, token_id, "token.manage")
    if EmptyForm().validate_on_submit():
        services.revoke_token(token)
        flash(_("Token revocado."), "info")
    return redirect(url_for("auth.account"))


# ---------------------------------------------------------------- administration


@admin_bp.get("/usuarios")
@login_required
def users():
    authorize("user.manage")
    rows = db.session.scalars(select(User).order_by(User.role, User.username)).all()
    return render_template("admin/users.html", users=rows)


@admin_bp.route("/usuarios/nuevo", methods=["GET", "POST"])
@login_required
def new_user():
    authorize("user.manage")
    form = UserForm()
    if form.validate_on_submit() and (done := attempt(lambda: services.create_user(
            username=form.username.data, full_name=form.full_name.data,
            email=form.email.data, role=Role(form.role.data),
            password=form.password.data or "", access_expires_on=form.access_expires_on.data,
    ), form)):
        flash(_("Usuario %(u)s creado.", u=done.value.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@admin_bp.route("/usuarios/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int):
    user = get_or_404_authorized(User, user_id, "user.manage")
    form = UserForm(obj=user)
    form.username.render_kw = {"readonly": True}
    if request.method == "GET":
        form.role.data = user.role.value
        form.version.data = user.version
    if form.validate_on_submit() and attempt(lambda: services.update_user(
            user, expected_version=form.version.data, full_name=form.full_name.data,
            email=form.email.data, role=Role(form.role.data), active=form.active.data,
            access_expires_on=form.access_expires_on.data, new_password=form.password.data,
    ), form):
        flash(_("Usuario %(u)s actualizado.", u=user.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)
