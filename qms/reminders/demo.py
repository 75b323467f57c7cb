"""Demo: the first sweep runs right after the demo data, so the bell shows reminders."""

from __future__ import annotations

from qms.core.cli import seed_step
from qms.core.db import now_utc
from qms.core.time import today_local
from qms.reminders import services


@seed_step(90, "reminders")
def seed_reminders() -> str:
    result = services.sweep(today_local(), now_utc())
    rules = sorted({p.rule for p in result.created})
    return (f"{len(result.created)} demo reminders ({', '.join(rules) or 'none'}); "
            f"{result.mails} mails queued for the sender.")
