"""Login, account and token forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Optional

from qms.auth.models import Role
from qms.core.forms import VersionedForm
from qms.core.text import TextLength


class LoginForm(FlaskForm):
    username = StringField(_l("Usuario"), validators=[DataRequired(), TextLength(80)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Contraseña"), validators=[DataRequired(), TextLength(200)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


def _role_choices():
    return Role.choices()


class UserForm(VersionedForm):
    username = StringField(_l("Usuario"), validators=[DataRequired(), TextLength(80)])
    full_name = StringField(_l("Nombre completo"), validators=[DataRequired(), TextLength(200)])
    email = EmailField(_l("Correo electrónico"), validators=[DataRequired(), Email(), TextLength(254)])
    role = SelectField(_l("Rol"), choices=_role_choices, validators=[DataRequired()])
    access_expires_on = DateField(
        _l("Acceso hasta (inclusive)"), validators=[Optional()],
        description=_l("Obligatorio para certificadores externos."),
    )
    active = BooleanField(_l("Cuenta activa"), default=True)
    password = PasswordField(
        _l("Contraseña"), validators=[Optional(), TextLength(200, min=10)],
        description=_l("Al menos 10 caracteres. Déjela vacía para no cambiarla."),
    )


class TokenForm(FlaskForm):
    name = StringField(_l("Nombre del token"), validators=[DataRequired(), TextLength(100)])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Contraseña actual"),
                                     validators=[DataRequired(), TextLength(200)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("Nueva contraseña"),
                                 validators=[DataRequired(), TextLength(200, min=10)],
                                 description=_l("Al menos 10 caracteres."),
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repita la nueva contraseña"),
                            validators=[DataRequired(), TextLength(200), EqualTo(
                                "new_password", message=_l("Las dos contraseñas no coinciden."))],
                            render_kw={"autocomplete": "new-password"})
