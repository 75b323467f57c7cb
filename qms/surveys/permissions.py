"""Who may see and change surveys."""

from qms.auth.models import Role
from qms.core.permissions import SGC_EDITORS, STAFF_ROLES, allow_roles

#: Results and definitions: every staff role (certifiers read them as evidence of 9.1.2).
allow_roles("survey.view", *STAFF_ROLES)
#: The free-text answers (comments) of a wave, small groups hidden: every staff role.
allow_roles("survey.read_comments", *STAFF_ROLES)
#: Definitions, waves, mappings, the webhook secret and the survey settings.
allow_roles("survey.manage", *SGC_EDITORS)
allow_roles("survey.import", *SGC_EDITORS)
#: Anonymised responses (no key, no free text) for analysis outside the system.
allow_roles("survey.export_responses", *SGC_EDITORS, Role.MANAGER)
#: Turning a low score or the complaints of a wave into a nonconformity.
allow_roles("survey.raise_nc", *SGC_EDITORS)
