"""security: session generations, API-token expiry, one record per form submission

- ``user.session_generation``: part of every session cookie's identity; logout, a
  password change or reset, a role change and a deactivation bump it, ending every
  session of the user.
- ``api_token.expires_at``: tokens stop working after ``API_TOKEN_DAYS`` (default 90);
  tokens issued before this migration expire that long after ``created_at``.
- ``submission``: digests of form submissions already saved, so an identical one sent
  at the same moment is refused instead of creating a second record.

Revision ID: 0009_security
Revises: 0007_reminders
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_security"
down_revision = '0007_reminders'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "submission",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_submission")),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_created_at"), ["created_at"],
                              unique=False)

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), server_default="0",
                                      nullable=False))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_generation")

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")

    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_created_at"))

    op.drop_table("submission")
