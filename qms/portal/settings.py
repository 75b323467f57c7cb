"""Portal settings (changed at run time by the quality officer or the administrator)."""

from flask_babel import lazy_gettext as _l

from qms.core.settings import register_setting

MIN_GROUP = register_setting(
    "portal.min_group_size", 10, _l("Tamaño mínimo de grupo publicado en el portal"),
    kind=int, minimum=3, maximum=1000,
    help=_l("Toda cifra de hogares, personas o quejas menor que este número se suprime en "
            "las páginas públicas y en los datos abiertos, también cuando podría deducirse "
            "restando de un total."))
REFRESH_SECONDS = register_setting(
    "portal.refresh_seconds", 30, _l("Segundos entre comprobaciones de datos nuevos"),
    kind=int, minimum=1, maximum=3600)
CERTIFICATION_STATUS = register_setting(
    "portal.certification_status",
    "En proceso de certificación ISO 9001:2015", _l("Estado de la certificación"))
CERTIFICATION_SCOPE = register_setting(
    "portal.certification_scope",
    "Entrega del Bono Vida Mejor: registro de hogares, verificación de corresponsabilidades, "
    "pago del bono y atención de quejas.", _l("Alcance del sistema de gestión de la calidad"))
CERTIFICATION_BODY = register_setting(
    "portal.certification_body", "", _l("Organismo de certificación"))
CERTIFICATE_VALID_UNTIL = register_setting(
    "portal.certificate_valid_until", "", _l("Certificado vigente hasta (AAAA-MM-DD)"))
LICENSE = register_setting(
    "portal.license", "CC-BY-4.0", _l("Licencia de los datos abiertos (identificador SPDX)"))
