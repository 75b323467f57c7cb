"""The roles of the SGC's users. Coarse by design: per-object rules live in each
domain's ``permissions.py``. Here in ``core`` so that policies need no domain."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qms.core.enums import LabelledEnum


class Role(LabelledEnum):
    ADMIN = "admin"
    QUALITY_OFFICER = "quality_officer"
    PROCESS_OWNER = "process_owner"
    MANAGER = "manager"
    AUDITOR = "auditor"
    CERTIFIER = "certifier"

    @staticmethod
    def __labels__() -> dict:
        return {
            Role.ADMIN: _l("Administrador"),
            Role.QUALITY_OFFICER: _l("Responsable de calidad"),
            Role.PROCESS_OWNER: _l("Dueño de proceso"),
            Role.MANAGER: _l("Alta dirección"),
            Role.AUDITOR: _l("Auditor interno"),
            Role.CERTIFIER: _l("Auditor externo (certificador)"),
        }
