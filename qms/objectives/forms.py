"""Forms for objectives, their values and the CSV import."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, NumberRange, Optional

from qms.core.forms import VersionedForm
from qms.core.text import TextLength
from qms.objectives.enums import Direction, Frequency, MeasureMethod


def _as_text(value):
    """A stored number shown as text ("95", "99.5"); the service parses what is posted."""
    if isinstance(value, float):
        return f"{value:g}"
    return value


def _optional_int(value):
    return int(value) if value not in (None, "") else None


class ObjectiveForm(VersionedForm):
    code = StringField(_l("Código"), validators=[DataRequired(), TextLength(30, min=2)],
                       description=_l("Corto y estable, p. ej. OBJ-PAG-01."))
    name = StringField(_l("Nombre"), validators=[DataRequired(), TextLength(250)])
    process_id = SelectField(_l("Proceso"), coerce=_optional_int, validate_choice=True,
                             description=_l("Vacío para un objetivo de todo el SGC."))
    owner_id = SelectField(_l("Responsable"), coerce=int, validators=[DataRequired()])
    unit = StringField(_l("Unidad"), validators=[DataRequired(), TextLength(30)],
                       description=_l("%, días, puntos…"))
    direction = SelectField(_l("Sentido de la meta"), choices=Direction.choices,
                            validators=[DataRequired()])
    target = StringField(_l("Meta"), filters=[_as_text],
                         validators=[DataRequired(), TextLength(30)])
    frequency = SelectField(_l("Frecuencia de medición"), choices=Frequency.choices,
                            validators=[DataRequired()],
                            description=_l("Un valor por periodo; no cambia una vez creado."))
    method = SelectField(_l("Origen de los valores"), choices=MeasureMethod.choices,
                         validators=[DataRequired()])
    computation = SelectField(_l("Cálculo"), validate_choice=True)
    param_target_days = IntegerField(_l("Plazo objetivo del cálculo (días)"),
                                     validators=[Optional(), NumberRange(min=1, max=3650)])
    param_process_code = StringField(_l("Proceso del cálculo (código; vacío: todos)"),
                                     validators=[Optional(), TextLength(20)])
    param_department_code = StringField(
        _l("Departamento del cálculo (código; vacío: nacional)"),
        validators=[Optional(), TextLength(2)])
    plan_what = TextAreaField(_l("a) Qué se va a hacer"), validators=[TextLength(5000)])
    plan_resources = TextAreaField(_l("b) Qué recursos se requerirán"),
                                   validators=[TextLength(5000)])
    plan_who = TextAreaField(_l("c) Quién será responsable"), validators=[TextLength(5000)])
    plan_due_on = DateField(_l("d) Cuándo se finalizará"), validators=[Optional()])
    plan_evaluation = TextAreaField(_l("e) Cómo se evaluarán los resultados"),
                                    validators=[TextLength(5000)])
    active = BooleanField(_l("Objetivo vigente"), default=True)


class ValueForm(FlaskForm):
    """A value entered by hand (no version: values are added, never edited)."""

    period = StringField(_l("Periodo"), validators=[DataRequired(), TextLength(10)])
    value = StringField(_l("Valor"), validators=[DataRequired(), TextLength(30)])
    note = TextAreaField(_l("Observación"), validators=[TextLength(2000)])


class ComputeForm(FlaskForm):
    period = StringField(_l("Periodo"), validators=[DataRequired(), TextLength(10)])


class ImportForm(FlaskForm):
    file = FileField(_l("Archivo CSV"), validators=[FileRequired()],
                     description=_l("Columnas: objetivo, periodo, valor, observacion "
                                    "(UTF-8, separado por comas o punto y coma)."))
