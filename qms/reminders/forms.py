"""Forms of the reminders: a user's preferences, the rules' days, managers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from qms.core.forms import VersionedForm
from qms.core.settings import definitions
from qms.reminders.models import Delivery
from qms.reminders.rules import RULES


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PreferencesForm(VersionedForm):
    delivery = RadioField(_l("¿Cómo quiere recibir los avisos por correo?"),
                          choices=[SelectChoice(d.value, d.lazy_label) for d in Delivery],
                          validators=[InputRequired()])
    rules = MultiCheckboxField(_l("Avisos que se le envían por correo"),
                               description=_l("Los demás avisos aparecen solo en la aplicación."))
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rules.choices = [SelectChoice(code, rule.label) for code, rule in RULES.items()]


def settings_form():
    """A form with one whole-number field per ``reminders.*`` setting (rules add theirs)."""

    class RuleSettingsForm(FlaskForm):
        pass

    specs = definitions("reminders.")
    for spec in specs:
        setattr(RuleSettingsForm, spec.key.replace(".", "__"), IntegerField(
            spec.label, description=spec.help or None,
            validators=[InputRequired(), NumberRange(min=spec.minimum, max=spec.maximum)]))
    return RuleSettingsForm(), specs


class ManagerForm(FlaskForm):
    user_id = HiddenField(validators=[InputRequired()])
    manager_id = SelectField(_l("Jefe inmediato"), coerce=lambda v: int(v) if v else None,
                             validators=[Optional()])
