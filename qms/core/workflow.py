"""State machines: one table of allowed transitions per workflow.

    NC_FLOW = Workflow("status", {
        NCStatus.REPORTED: {NCStatus.ANALYSIS, NCStatus.CANCELLED},
        ...
    })
    NC_FLOW.move(nc, NCStatus.ANALYSIS)   # raises TransitionError if not allowed

The domain's service does the guard checks (required fields, signatures) before calling
``move``; ``move`` only enforces the table and names the event in the audit trail.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from qms.core import audit
from qms.core.errors import TransitionError
from qms.extensions import db

#: Every workflow by the class name of its state enum; templates see it as ``workflows``
#: (``{% if enums.WaveStatus.OPEN in workflows.WaveStatus.allowed(wave) %}``).
WORKFLOWS: dict[str, Workflow] = {}


class Workflow:
    def __init__(self, field: str, transitions: Mapping[enum.Enum, set[enum.Enum]]) -> None:
        self.field = field
        self.transitions = {state: frozenset(targets) for state, targets in transitions.items()}
        #: The enum of the states (every key and target is one of its members).
        self.states: type[enum.Enum] = type(next(iter(self.transitions)))
        if WORKFLOWS.setdefault(self.states.__name__, self) is not self:
            raise RuntimeError(f"two workflows over {self.states.__name__}")

    def state(self, obj: Any) -> enum.Enum:
        return getattr(obj, self.field)

    def allowed(self, obj: Any) -> frozenset[enum.Enum]:
        return self.transitions.get(self.state(obj), frozenset())

    def can_move(self, obj: Any, target: enum.Enum) -> bool:
        return target in self.allowed(obj)

    def check(self, obj: Any, target: enum.Enum) -> None:
        current = self.state(obj)
        if target not in self.allowed(obj):
            raise TransitionError(_l(
                "No se puede pasar de «%(a)s» a «%(b)s».",
                a=getattr(current, "label", current), b=getattr(target, "label", target)))

    def move(self, obj: Any, target: enum.Enum, note: str | None = None) -> None:
        """Check the table, set the new state and name the audit event after it."""
        self.check(obj, target)
        setattr(obj, self.field, target)
        audit.annotate(db.session, obj, f"transition:{target.value}", note)
        db.session.flush()
