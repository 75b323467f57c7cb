"""Facts about nonconformities other domains may read (plain data, no models).

Each function is self-contained so that versions written in parallel merge by
concatenation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class NCQuarterCount:
    """Nonconformities registered and closed in one quarter for one process (counts only)."""

    quarter: str
    process_code: str
    process_name: str
    opened: int
    closed: int


def nc_counts_per_quarter_by_process() -> list[NCQuarterCount]:
    """Per quarter ("2026-T1") and process: NCs registered and NCs closed (local dates).

    Cancelled NCs count as opened (they were registered) and never as closed.
    """
    from collections import defaultdict

    from sqlalchemy import select

    from qms.core.time import to_local
    from qms.extensions import db
    from qms.nonconformities.models import Nonconformity
    from qms.processes.models import Process

    def quarter(moment: datetime) -> str:
        local = to_local(moment)
        return f"{local.year}-T{(local.month - 1) // 3 + 1}"

    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    rows = db.session.execute(
        select(Nonconformity.created_at, Nonconformity.closed_at, Process.code, Process.name)
        .join(Process, Process.id == Nonconformity.process_id))
    for created, closed, code, name in rows:
        counts[(quarter(created), code, name)][0] += 1
        if closed is not None:
            counts[(quarter(closed), code, name)][1] += 1
    return [NCQuarterCount(q, code, name, o, c)
            for (q, code, name), (o, c) in sorted(counts.items())]


def nonconformities_last_change() -> datetime | None:
    """When any nonconformity last changed (a cache key for readers)."""
    from sqlalchemy import func, select

    from qms.extensions import db
    from qms.nonconformities.models import Nonconformity

    return db.session.scalar(select(func.max(Nonconformity.updated_at)))
