"""Forms of the surveys domain."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from qms.core import geo
from qms.core.forms import LocaleFloatField, VersionedForm
from qms.core.forms import choices as select_choices
from qms.core.text import TextLength
from qms.nonconformities.enums import NCSeverity
from qms.surveys.models import Channel, QuestionType


class SurveyForm(FlaskForm):
    code = StringField(_l("Código"), validators=[DataRequired(), TextLength(30, min=2)],
                       description=_l("Corto y estable, p. ej. SAT-BVM: forma parte de la "
                                      "dirección del webhook."))
    title = StringField(_l("Título"), validators=[DataRequired(), TextLength(200)])
    description = TextAreaField(_l("Descripción"), validators=[TextLength(5000)])


class YamlForm(FlaskForm):
    file = FileField(_l("Archivo YAML del cuestionario"), validators=[FileRequired()],
                     description=_l("code, title, description y questions (code, text, type, "
                                    "required, index, complaint, choices)."),
                     render_kw={"data-types": "yaml,yml"})


class QuestionForm(FlaskForm):
    code = StringField(_l("Código"), validators=[DataRequired(), TextLength(60)],
                       description=_l("Estable entre versiones; igual al nombre XML del "
                                      "formulario de Kobo, p. ej. p1_trato."))
    text = StringField(_l("Texto de la pregunta"), validators=[DataRequired(), TextLength(500)])
    type = SelectField(_l("Tipo"), choices=QuestionType.choices, validators=[DataRequired()])
    required = BooleanField(_l("Respuesta obligatoria"))
    in_index = BooleanField(_l("Forma parte del índice de satisfacción"))
    is_complaint = BooleanField(_l("«Sí» significa que presentó una queja"))
    choices = TextAreaField(_l("Opciones"), validators=[TextLength(5000)],
                            description=_l("Una por línea: código = etiqueta."))
    min_value = LocaleFloatField(_l("Mínimo"), validators=[Optional()])
    max_value = LocaleFloatField(_l("Máximo"), validators=[Optional()])


class WaveForm(VersionedForm):
    code = StringField(_l("Código"), validators=[DataRequired(), TextLength(30, min=2)],
                       description=_l("P. ej. 2025-1."))
    name = StringField(_l("Nombre"), validators=[DataRequired(), TextLength(200)])
    starts_on = DateField(_l("Inicio del periodo"), validators=[DataRequired()])
    ends_on = DateField(_l("Fin del periodo"), validators=[DataRequired()])
    population = IntegerField(
        _l("Hogares en el marco muestral (N)"), validators=[Optional(), NumberRange(min=1)],
        description=_l("Para la corrección por población finita; si se deja vacío se usa la "
                       "suma de los departamentos."))


def wave_edit_form(formdata=None, obj=None) -> FlaskForm:
    """The wave form plus a target sample and a population per department."""

    class _Form(WaveForm):
        pass

    for code, _name in geo.department_choices():
        setattr(_Form, f"target_{code}", IntegerField(validators=[Optional(),
                                                                  NumberRange(min=0)]))
        setattr(_Form, f"population_{code}", IntegerField(validators=[Optional(),
                                                                      NumberRange(min=0)]))
    return _Form(formdata=formdata, obj=obj) if formdata is not None else _Form(obj=obj)


class UploadForm(FlaskForm):
    file = FileField(_l("Exportación de KoboToolbox u ODK (CSV o XLSX)"),
                     validators=[FileRequired()], render_kw={"data-types": "csv,xlsx"})


class ImportStartForm(FlaskForm):
    channel = SelectField(_l("Canal de recolección"), choices=Channel.choices, default="kobo",
                          description=_l("Se usa cuando el archivo no trae una columna de canal."))
    skip_invalid = BooleanField(
        _l("Importar solo las filas válidas"),
        description=_l("Sin esta opción, una sola fila con errores hace que no se importe nada."))
    allow_outside_period = BooleanField(
        _l("Aceptar envíos con fecha fuera del periodo de la ronda"),
        description=_l("Sin esta opción se rechazan y se listan; con ella se importan y el "
                       "registro de auditoría lo indica."))
    save_mapping = BooleanField(_l("Guardar esta correspondencia para próximas importaciones"),
                                default=True)


class SettingsForm(FlaskForm):
    min_group_size = IntegerField(_l("Tamaño mínimo de grupo"),
                                  validators=[DataRequired(), NumberRange(min=1, max=1000)])
    confidence_z = LocaleFloatField(_l("Valor z del nivel de confianza (1,96 = 95 %)"),
                                    validators=[InputRequired(), NumberRange(min=1.0, max=3.5)])


class RaiseNCForm(FlaskForm):
    """Turn one finding of the results into a nonconformity (figures come from the server)."""

    finding = HiddenField(validators=[DataRequired()])
    department_code = HiddenField()
    #: A finding already raised as an NC is raised again only on purpose.
    confirm_duplicate = BooleanField(_l("Levantar otra no conformidad de todos modos"))
    process_id = SelectField(_l("Proceso"), coerce=int, validators=[DataRequired()])
    severity = SelectField(_l("Gravedad"), validators=[DataRequired()], choices=select_choices(
        (s.value, s.lazy_label) for s in (NCSeverity.MINOR, NCSeverity.MAJOR)))
