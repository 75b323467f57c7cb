"""Facts about bond execution other domains may read (portal, KPIs, management review).

Plain values only. Figures are raw (not suppressed): a public reader applies its own
small-group rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from qms.extensions import db
from qms.payments.models import (
    REASON_COLUMNS,
    NonPaymentReason,
    PaymentAggregate,
    PaymentChannel,
    PaymentImport,
    PaymentPeriod,
)


@dataclass(frozen=True)
class PaymentCell:
    """One period × municipality × channel, as the payment system reported it."""

    period: str
    department_code: str
    municipality_code: str
    channel: str
    channel_label: str
    scheduled: int
    paid: int
    amount: float
    #: reason code → households not paid for that reason.
    unpaid_reasons: dict[str, int]


def payment_cells() -> list[PaymentCell]:
    """Every aggregate row, by period, municipality and channel."""
    reasons = [r.value for r in NonPaymentReason]
    rows = db.session.execute(
        select(PaymentPeriod.code, PaymentAggregate.department_code,
               PaymentAggregate.municipality_code, PaymentAggregate.channel,
               PaymentAggregate.households_scheduled, PaymentAggregate.households_paid,
               PaymentAggregate.amount_paid,
               *(getattr(PaymentAggregate, c) for c in REASON_COLUMNS))
        .join(PaymentPeriod, PaymentPeriod.id == PaymentAggregate.period_id)
        .order_by(PaymentPeriod.code, PaymentAggregate.municipality_code,
                  PaymentAggregate.channel))
    return [PaymentCell(r[0], r[1], r[2], r[3].value, PaymentChannel(r[3]).label, r[4], r[5],
                        float(r[6]), dict(zip(reasons, r[7:], strict=True))) for r in rows]


def payment_reason_labels() -> dict[str, str]:
    return {r.value: r.label for r in NonPaymentReason}


def payment_channel_labels() -> dict[str, str]:
    return {c.value: c.label for c in PaymentChannel}


def payments_last_change() -> datetime | None:
    """When the payment figures last changed (a cache key for readers)."""
    return db.session.scalar(select(func.max(PaymentPeriod.updated_at)))


def payments_source_label() -> str | None:
    """The file the latest figures came from, for "source" lines."""
    row = db.session.execute(
        select(PaymentImport.file_name, PaymentImport.imported_at)
        .join(PaymentPeriod, PaymentPeriod.import_id == PaymentImport.id)
        .order_by(PaymentImport.imported_at.desc()).limit(1)).first()
    return row[0] if row else None


@dataclass(frozen=True)
class PaymentExecution:
    """Households scheduled and paid over the payment periods of a window."""

    periods: int
    scheduled: int
    paid: int


def payment_execution(first_month: str, last_month: str) -> PaymentExecution:
    """Totals over the periods "YYYY-MM" from ``first_month`` to ``last_month``. One query."""
    row = db.session.execute(
        select(func.count(func.distinct(PaymentPeriod.id)),
               func.sum(PaymentAggregate.households_scheduled),
               func.sum(PaymentAggregate.households_paid))
        .join(PaymentPeriod, PaymentPeriod.id == PaymentAggregate.period_id)
        .where(PaymentPeriod.code >= first_month, PaymentPeriod.code <= last_month)).one()
    return PaymentExecution(int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


@dataclass(frozen=True)
class ChannelPeriodFigures:
    """One paying bank or wallet over the payment periods of a span [9.3.2 c7]."""

    channel: str
    channel_label: str
    periods: int
    scheduled: int
    paid: int
    amount: float

    @property
    def execution_rate(self) -> float | None:
        return 100.0 * self.paid / self.scheduled if self.scheduled else None


def payment_channel_figures_in_period(first_month: str, last_month: str
                                      ) -> list[ChannelPeriodFigures]:
    """Per channel: households scheduled and paid and lempiras paid over the payment
    periods ``first_month``–``last_month`` ("2026-01", both included). One grouped query."""
    rows = db.session.execute(
        select(PaymentAggregate.channel, func.count(func.distinct(PaymentAggregate.period_id)),
               func.sum(PaymentAggregate.households_scheduled),
               func.sum(PaymentAggregate.households_paid), func.sum(PaymentAggregate.amount_paid))
        .join(PaymentPeriod, PaymentPeriod.id == PaymentAggregate.period_id)
        .where(PaymentPeriod.code >= first_month, PaymentPeriod.code <= last_month)
        .group_by(PaymentAggregate.channel).order_by(PaymentAggregate.channel))
    return [ChannelPeriodFigures(c.value, PaymentChannel(c).label, int(n or 0), int(s or 0),
                                 int(p or 0), float(a or 0)) for c, n, s, p, a in rows]
