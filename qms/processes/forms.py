"""Process form."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired

from qms.core.forms import VersionedForm
from qms.core.text import TextLength
from qms.processes.models import ProcessCategory


class ProcessForm(VersionedForm):
    code = StringField(
        _l("Código"), validators=[DataRequired(), TextLength(20, min=2)],
        description=_l("Corto y estable, p. ej. PAG o SGC-AUD: se usa en códigos de documentos."),
    )
    name = StringField(_l("Nombre"), validators=[DataRequired(), TextLength(200)])
    category = SelectField(_l("Tipo de proceso"), choices=ProcessCategory.choices,
                           validators=[DataRequired()])
    owner_id = SelectField(_l("Dueño del proceso"), coerce=int, validators=[DataRequired()])
    description = TextAreaField(
        _l("Descripción"), validators=[TextLength(5000)],
        description=_l("Objetivo, entradas, salidas y principales actividades."),
    )
    active = BooleanField(_l("Proceso vigente"), default=True)
