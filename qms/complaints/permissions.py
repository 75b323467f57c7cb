"""Complaints: who reads the register, who handles, who may see a complainant's contact."""

from qms.core.permissions import SGC_EDITORS, allow_roles
from qms.core.roles import Role

#: Process owners do not read citizens' free text; managers, auditors and certifiers do.
allow_roles("complaint.view", Role.ADMIN, Role.QUALITY_OFFICER, Role.MANAGER, Role.AUDITOR,
            Role.CERTIFIER)
allow_roles("complaint.handle", *SGC_EDITORS)
#: Only the people handling complaints; every view of it is an audit event.
allow_roles("complaint.contact", *SGC_EDITORS)
