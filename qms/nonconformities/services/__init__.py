"""Nonconformities [ISO 9001:2015 10.2]: the services every caller uses, one per step.

The steps live by stage — :mod:`.workflow` (reporting, root-cause analysis, cancelling,
the :func:`transition` dispatcher, attachments), :mod:`.actions` (corrective actions),
:mod:`.verification` (effectiveness check and signed closing), on the guards of
:mod:`.rules` — and are re-exported here, so callers keep writing ``services.x`` and a
step can move between modules without touching them.

Other domains raise NCs through :func:`report_nonconformity` (stable signature), e.g.
the survey domain for a low score (``origin_type="survey_wave"``) and the audit domain
for a finding (``origin_type="audit_finding"``), inside :func:`qms.core.uow.write_first`
because it takes the yearly counter. Services flush, never commit.
"""

from qms.nonconformities.services.actions import (
    add_action,
    replan_action,
    start_implementation,
    update_action,
)
from qms.nonconformities.services.rules import (
    ACTION_FLOW,
    ACTION_STATES,
    CLOSE_MEANING,
    EDITABLE,
    NC_FLOW,
    REOPEN_NOTE,
    check_place,
)
from qms.nonconformities.services.verification import (
    ALLOW_SELF_CLOSE,
    close_nonconformity,
    reassign_verifier,
    record_verification,
    send_to_verification,
)
from qms.nonconformities.services.workflow import (
    attach_file,
    cancel_nonconformity,
    clean_ishikawa,
    clean_whys,
    count_open,
    format_code,
    record_correction,
    reopen_analysis,
    report_nonconformity,
    save_analysis,
    start_analysis,
    submit_analysis,
    transition,
    update_nonconformity,
)

__all__ = [
    "ACTION_FLOW", "ACTION_STATES", "ALLOW_SELF_CLOSE", "CLOSE_MEANING", "EDITABLE", "NC_FLOW",
    "REOPEN_NOTE", "add_action", "attach_file", "cancel_nonconformity", "check_place",
    "clean_ishikawa", "clean_whys", "close_nonconformity", "count_open", "format_code",
    "reassign_verifier", "record_correction", "replan_action",
    "record_verification", "reopen_analysis", "report_nonconformity", "save_analysis",
    "send_to_verification", "start_analysis", "start_implementation", "submit_analysis",
    "transition", "update_action", "update_nonconformity",
]
