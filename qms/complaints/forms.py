"""The citizen's form (short, plain Spanish) and the staff's handling forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Optional

from qms.complaints.models import ComplaintCategory
from qms.core import geo
from qms.core.forms import VersionedForm
from qms.core.text import TextLength


def municipality_groups() -> dict[str, list[tuple[str, str]]]:
    """Municipalities grouped by department (an <optgroup> each): works without JS."""
    deps = geo.departments()
    groups: dict[str, list[tuple[str, str]]] = {}
    for m in geo.municipalities().values():
        groups.setdefault(deps[m.department_code].name, []).append((m.code, m.name))
    return groups


class ComplaintForm(FlaskForm):
    category = RadioField(_l("¿De qué se trata?"), choices=ComplaintCategory.choices,
                          validators=[DataRequired(_l("Elija una opción."))])
    description = TextAreaField(
        _l("¿Qué pasó?"), validators=[DataRequired(_l("Cuente qué pasó.")), TextLength(4000, min=10)],
        description=_l("Diga qué pasó, cuándo y dónde. No escriba números de identidad."))
    department_code = SelectField(_l("Departamento"),
                                  validators=[DataRequired(_l("Elija el departamento."))])
    municipality_code = SelectField(_l("Municipio (opcional)"), validators=[Optional()],
                                    validate_choice=False)
    anonymous = BooleanField(_l("Quiero que mi queja sea anónima (no dejo datos de contacto)"))
    contact_name = StringField(_l("Nombre (opcional)"), validators=[Optional(), TextLength(120)],
                               render_kw={"autocomplete": "name"})
    contact_phone = StringField(_l("Teléfono (opcional)"),
                                validators=[Optional(), TextLength(30)],
                                render_kw={"autocomplete": "tel", "inputmode": "tel"})
    contact_email = StringField(_l("Correo electrónico (opcional)"),
                                validators=[Optional(), Email(_l("Revise el correo.")),
                                            TextLength(254)],
                                render_kw={"autocomplete": "email", "inputmode": "email"})
    photo = FileField(_l("Foto (opcional, JPG o PNG, hasta 5 MB)"),
                      description=_l("Borramos la ubicación y los demás datos ocultos de la "
                                     "foto antes de guardarla."),
                      render_kw={"accept": "image/jpeg,image/png", "data-types": "jpg,png"})
    #: Honeypot: hidden from people, filled in by bots.
    website = StringField(_l("No llene este campo"), validators=[TextLength(200)],
                          render_kw={"autocomplete": "off", "tabindex": "-1"})

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.department_code.choices = [("", _l("Elija…"))] + [
            (d.code, d.name) for d in geo.departments().values()]
        #: Rendered by the template as one <optgroup> per department (no JS needed).
        self.municipality_groups = municipality_groups()
        self.municipality_code.choices = [("", _l("No sé / prefiero no decir"))] + [
            (code, name) for items in self.municipality_groups.values() for code, name in items]

    def validate_website(self, field) -> None:
        if field.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_l("Deje este campo vacío."))


class LookupForm(FlaskForm):
    code = StringField(_l("Código de seguimiento"),
                       validators=[DataRequired(_l("Escriba su código.")), TextLength(40)],
                       description=_l("Las 13 letras y números que recibió, por ejemplo "
                                      "4F7K-2M9Q-XC3R-8. Da igual si usa mayúsculas o guiones."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters",
                                  "spellcheck": "false"})


class AnswerForm(VersionedForm):
    public_answer = TextAreaField(_l("Respuesta pública"),
                                  validators=[DataRequired(_l("Escriba la respuesta.")),
                                              TextLength(4000, min=10)],
                                  description=_l("La leerá la persona con su código de "
                                                 "seguimiento. No incluya datos personales."))
    internal_note = TextAreaField(_l("Nota interna (no se publica)"),
                                  validators=[Optional(), TextLength(4000)])


class RaiseNCForm(FlaskForm):
    process_id = SelectField(_l("Proceso"), coerce=int,
                             validators=[DataRequired(_l("Elija un proceso."))])
    severity = SelectField(_l("Gravedad"))
    title = StringField(_l("Título (opcional)"), validators=[Optional(), TextLength(200)])
