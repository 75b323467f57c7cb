"""Quality objectives [ISO 9001:2015 6.2] and the values of their KPIs."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.core.audit import Audited
from qms.core.db import Model, UTCDateTime, VersionedMixin, now_utc
from qms.core.enums import enum_column
from qms.objectives.enums import Direction, Frequency, MeasureMethod, ValueSource
from qms.processes.models import Process

ISO_CLAUSE = ("ISO 9001:2015", "6.2")


class Objective(Audited, VersionedMixin, Model):
    """A quality objective with its KPI, target and the plan to reach it (6.2.2 a–e)."""

    __tablename__ = "objective"
    __audit_label__ = _l("Objetivo de la calidad")
    __audit_fields__ = {
        "code": _l("Código"), "name": _l("Nombre"), "process_id": _l("Proceso"),
        "owner_id": _l("Responsable"), "unit": _l("Unidad"), "direction": _l("Sentido de la meta"),
        "target": _l("Meta"), "frequency": _l("Frecuencia de medición"),
        "method": _l("Origen de los valores"), "computation": _l("Cálculo"),
        "computation_params": _l("Parámetros del cálculo"),
        "plan_what": _l("Qué se va a hacer"), "plan_resources": _l("Qué recursos se requerirán"),
        "plan_who": _l("Quién será responsable"), "plan_due_on": _l("Cuándo se finalizará"),
        "plan_evaluation": _l("Cómo se evaluarán los resultados"),
        "active": _l("Objetivo vigente"),
    }
    __audit_skip__ = frozenset({"version", "created_at", "updated_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short stable code, e.g. "OBJ-PAG-01".
    code: Mapped[str] = mapped_column(String(30), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(250), nullable=False)
    #: The process the objective belongs to; None for an SGC-wide objective.
    process_id: Mapped[int | None] = mapped_column(
        ForeignKey("process.id", ondelete="RESTRICT"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    #: What a value is counted in: "%", "días", "puntos"…
    unit: Mapped[str] = mapped_column(String(30), nullable=False)
    direction: Mapped[Direction] = mapped_column(enum_column(Direction, "objective_direction"),
                                                 nullable=False)
    target: Mapped[float] = mapped_column(Float, nullable=False)
    frequency: Mapped[Frequency] = mapped_column(enum_column(Frequency, "objective_frequency"),
                                                 nullable=False)
    method: Mapped[MeasureMethod] = mapped_column(
        enum_column(MeasureMethod, "objective_method"), nullable=False,
        default=MeasureMethod.MANUAL)
    #: Key of the registered computation (qms/objectives/computations.py) when computed.
    computation: Mapped[str | None] = mapped_column(String(60))
    computation_params: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    # 6.2.2: a) what will be done, b) resources, c) who, d) when, e) how evaluated.
    plan_what: Mapped[str] = mapped_column(Text, nullable=False, default="")
    plan_resources: Mapped[str] = mapped_column(Text, nullable=False, default="")
    plan_who: Mapped[str] = mapped_column(Text, nullable=False, default="")
    plan_due_on: Mapped[date | None] = mapped_column(Date)
    plan_evaluation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: Retired objectives keep their values; they are never deleted.
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc,
                                                 onupdate=now_utc)

    process: Mapped[Process | None] = relationship()
    owner: Mapped[User] = relationship()
    values: Mapped[list[KPIValue]] = relationship(back_populates="objective",
                                                  order_by="KPIValue.period_start")

    __table_args__ = (
        CheckConstraint("length(code) >= 2", name="code_length"),
        CheckConstraint("method = 'manual' OR computation IS NOT NULL",
                        name="computed_has_computation"),
    )

    def __repr__(self) -> str:
        return f"<Objective {self.code} {self.direction.value} {self.target}>"


class KPIValue(Audited, Model):
    """One measured value of an objective's KPI for one period of its frequency.

    A computed value keeps the computation and parameters that produced it, so it can be
    recomputed later and compared (``recomputed_value``) without being overwritten.
    """

    __tablename__ = "kpi_value"
    __audit_label__ = _l("Valor del indicador")
    __audit_fields__ = {
        "objective_id": _l("Objetivo"), "period": _l("Periodo"),
        "period_start": _l("Inicio del periodo"), "period_end": _l("Fin del periodo"),
        "value": _l("Valor"), "source": _l("Origen"), "computation": _l("Cálculo"),
        "parameters": _l("Parámetros del cálculo"), "note": _l("Observación"),
        "recorded_by_id": _l("Registrado por"), "recomputed_value": _l("Valor recalculado"),
        "recomputed_at": _l("Recalculado el"),
    }
    __audit_actions__ = {"recompute": _l("Valor recalculado y comparado")}
    __audit_skip__ = frozenset({"recorded_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(ForeignKey("objective.id", ondelete="RESTRICT"))
    #: "2026-03", "2026-T3", "2026-S1" or "2026" (the objective's frequency).
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    source: Mapped[ValueSource] = mapped_column(enum_column(ValueSource, "kpi_value_source"),
                                                nullable=False)
    #: For computed values: the computation's key and the parameters it ran with.
    computation: Mapped[str | None] = mapped_column(String(60))
    parameters: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now_utc)
    #: The latest recomputation's result, kept beside the stored value for comparison.
    recomputed_value: Mapped[float | None] = mapped_column(Float)
    recomputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    objective: Mapped[Objective] = relationship(back_populates="values")
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("objective_id", "period", name="uq_kpi_value_period"),
        Index("ix_kpi_value_objective_start", "objective_id", "period_start"),
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("source != 'computed' OR computation IS NOT NULL",
                        name="computed_has_computation"),
    )

    def __repr__(self) -> str:
        return f"<KPIValue {self.objective_id} {self.period}={self.value}>"

    @property
    def recompute_difference(self) -> float | None:
        """Recomputed minus stored, when a recomputation gave a different figure."""
        if self.recomputed_value is None or abs(self.recomputed_value - self.value) < 1e-9:
            return None
        return self.recomputed_value - self.value
