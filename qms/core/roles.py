"""The roles of the SGC's users. Coarse by design: per-object rules live in each
domain's ``permissions.py``. Here in ``core`` so that policies need no domain."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qms.core.enums import LabelledEnum


class Role(LabelledEnum):
    ADMIN = "admin", _l("Administrador")
    QUALITY_OFFICER = "quality_officer", _l("Responsable de calidad")
    PROCESS_OWNER = "process_owner", _l("Dueño de proceso")
    MANAGER = "manager", _l("Alta dirección")
    AUDITOR = "auditor", _l("Auditor interno")
    CERTIFIER = "certifier", _l("Auditor externo (certificador)")

