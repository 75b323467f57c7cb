"""audit log: how far the audit chain has been verified, kept in the database; an index
to turn a date into an event id

One row (id 1), written by the verification job (every minute), `qms verify-audit-log`
and the nightly full walk, read by the audit-log page so that it verifies nothing
itself. It replaces INSTANCE_DIR/audit-chain.json, which web workers and the scheduler
on different hosts did not share; the first run of the job after the upgrade verifies
the trail from the genesis again (or run `flask qms verify-audit-log`).
The time index replaces a binary search over the ids (about 40 queries for a date range).

Revision ID: 0019_audit_log_checkpoint
Revises: 0013_evidence
Create Date: 2026-12-02 03:09:57

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_audit_log_checkpoint'
down_revision = '0013_evidence'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'audit_chain_checkpoint',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('event_hash', sa.String(length=64), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('full_verified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('full_events', sa.Integer(), nullable=True),
        sa.Column('problem_event_id', sa.Integer(), nullable=True),
        sa.Column('problem_reason', sa.String(length=200), nullable=True),
        sa.Column('problem_found_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_checkpoint')),
    )
    # Not in batch mode: recreating audit_event on SQLite would drop its append-only triggers.
    op.create_index('ix_audit_event_occurred', 'audit_event', ['occurred_at', 'id'])


def downgrade():
    op.drop_index('ix_audit_event_occurred', table_name='audit_event')
    op.drop_table('audit_chain_checkpoint')
