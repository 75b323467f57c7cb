"""Audits calendar: each person's secret ICS feed (only the token's SHA-256 is stored).

Revision ID: 0014_audit_calendar
Revises: 0006_audits
Create Date: 2026-12-02 00:09:54.227292

"""
import sqlalchemy as sa
from alembic import op

revision = "0014_audit_calendar"
down_revision = "0006_audits"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"],
                                name=op.f("fk_audit_calendar_feed_user_id_user"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_calendar_feed")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_audit_calendar_feed_token_hash")),
        sa.UniqueConstraint("user_id", name=op.f("uq_audit_calendar_feed_user_id")),
    )


def downgrade():
    op.drop_table("audit_calendar_feed")
