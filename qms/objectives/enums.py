"""States and kinds of quality objectives and their KPI values."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qms.core.enums import LabelledEnum


class Direction(LabelledEnum):
    """Whether the objective is met at or above its target, or at or below it."""

    AT_LEAST = ">=", _l("≥ (igual o mayor que la meta)")
    AT_MOST = "<=", _l("≤ (igual o menor que la meta)")

    @property
    def symbol(self) -> str:
        return "≥" if self is Direction.AT_LEAST else "≤"

    def met(self, value: float, target: float) -> bool:
        return value >= target if self is Direction.AT_LEAST else value <= target


class Frequency(LabelledEnum):
    """How often the KPI is measured: one value per period of this length."""

    MONTHLY = "monthly", _l("Mensual")
    QUARTERLY = "quarterly", _l("Trimestral")
    SEMIANNUAL = "semiannual", _l("Semestral")
    ANNUAL = "annual", _l("Anual")


class MeasureMethod(LabelledEnum):
    """Where the KPI's values come from."""

    MANUAL = "manual", _l("Registrado a mano o importado")
    COMPUTED = "computed", _l("Calculado con los datos del SGC")


class ValueSource(LabelledEnum):
    MANUAL = "manual", _l("Registrado a mano")
    IMPORTED = "imported", _l("Importado de CSV")
    COMPUTED = "computed", _l("Calculado")
