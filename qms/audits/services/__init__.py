"""Audit services [ISO 9001:2015 9.2]: plain functions that change audits, flush and
leave their audit-trail events; the request boundary commits.

Split along their sections: :mod:`.rules` (checks, impartiality), :mod:`.planning`
(programme, planning, workflow) and :mod:`.fieldwork` (checklist, findings). Callers use
``services.x``.
"""

from qms.audits.services.fieldwork import (  # noqa: F401
    _performing,
    _set_answer,
    add_evidence,
    answer_item,
    auditor_candidates,
    check_can_perform,
    nc_facts_for,
    people,
    record_finding,
    respond_finding,
)
from qms.audits.services.planning import (  # noqa: F401
    _next_number,
    _pin_documents,
    add_member,
    cancel_audit,
    change_lead,
    close_audit,
    format_code,
    latest_template,
    plan_audit,
    programme_for,
    record_correction,
    remove_member,
    set_template,
    start_audit,
    update_plan,
    update_programme,
)
from qms.audits.services.rules import (  # noqa: F401
    AUDIT_FLOW,
    AUDITOR_ROLES,
    ORIGIN_TYPE,
    S,
    _check_clauses,
    _check_dates,
    _check_impartial,
    _check_member_user,
    _check_processes,
    _editable,
    _enum,
    _text,
    check_clause,
    impartiality_problem,
    open_findings_to_follow,
)
