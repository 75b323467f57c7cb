"""management reviews [ISO 9001:2015 9.3]: the meeting, attendees, entered inputs, frozen snapshot

management_review (gapless RD-YYYY-NN code from review_year_counter; period covered; the
entered 9.3.2 inputs; the latest preliminary compilation; the JSON snapshot frozen when held
with its SHA-256; the approved minutes' file, SHA-256 and signature); review_attendee (users
of the SGC; external people are a text column); review_decision (9.3.3 outputs, each with an
optional tracked action: owner, due date, status, evidence text or file).

Revision ID: 0012_reviews
Revises: 0006_audits
Create Date: 2026-12-02 00:14:42.103196

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_reviews'
down_revision = '0006_audits'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_year_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_review_year_counter'))
    )
    op.create_table('management_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('planned', 'held', 'minutes_approved', 'cancelled', name='review_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('external_attendees', sa.Text(), nullable=False),
    sa.Column('issues_changes', sa.Text(), nullable=False),
    sa.Column('satisfaction_notes', sa.Text(), nullable=False),
    sa.Column('providers_notes', sa.Text(), nullable=False),
    sa.Column('resources_adequacy', sa.Text(), nullable=False),
    sa.Column('risks_actions', sa.Text(), nullable=False),
    sa.Column('improvement_notes', sa.Text(), nullable=False),
    sa.Column('conclusions', sa.Text(), nullable=False),
    sa.Column('compiled', sa.JSON(), nullable=True),
    sa.Column('compiled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('snapshot', sa.JSON(), nullable=True),
    sa.Column('snapshot_sha256', sa.String(length=64), nullable=True),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('held_by_id', sa.Integer(), nullable=True),
    sa.Column('minutes_approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('minutes_approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approval_meaning', sa.String(length=300), nullable=True),
    sa.Column('minutes_file_id', sa.Integer(), nullable=True),
    sa.Column('minutes_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status != 'cancelled' OR cancel_reason IS NOT NULL", name=op.f('ck_management_review_cancel_needs_reason')),
    sa.CheckConstraint("status != 'minutes_approved' OR minutes_approved_at IS NOT NULL", name=op.f('ck_management_review_approved_needs_signature')),
    sa.CheckConstraint("status NOT IN ('held', 'minutes_approved') OR (snapshot_sha256 IS NOT NULL AND held_on IS NOT NULL)", name=op.f('ck_management_review_held_needs_snapshot')),
    sa.CheckConstraint('period_start <= period_end', name=op.f('ck_management_review_period_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_management_review_created_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['held_by_id'], ['user.id'], name=op.f('fk_management_review_held_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['minutes_approved_by_id'], ['user.id'], name=op.f('fk_management_review_minutes_approved_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['minutes_file_id'], ['stored_file.id'], name=op.f('fk_management_review_minutes_file_id_stored_file'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_management_review')),
    sa.UniqueConstraint('code', name=op.f('uq_management_review_code')),
    sa.UniqueConstraint('year', 'number', name='uq_management_review_year_number')
    )
    with op.batch_alter_table('management_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_management_review_status'), ['status'], unique=False)

    op.create_table('review_attendee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role_text', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['management_review.id'], name=op.f('fk_review_attendee_review_id_management_review'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_review_attendee_user_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_attendee')),
    sa.UniqueConstraint('review_id', 'user_id', name='uq_review_attendee_user')
    )
    with op.batch_alter_table('review_attendee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_attendee_review_id'), ['review_id'], unique=False)

    op.create_table('review_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('improvement', 'sgc_change', 'resources', name='review_decision_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('action_description', sa.Text(), nullable=True),
    sa.Column('action_owner_id', sa.Integer(), nullable=True),
    sa.Column('action_due_on', sa.Date(), nullable=True),
    sa.Column('action_status', sa.Enum('planned', 'in_progress', 'done', name='review_action_status', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('action_evidence', sa.Text(), nullable=True),
    sa.Column('action_evidence_file_id', sa.Integer(), nullable=True),
    sa.Column('action_completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('(action_owner_id IS NULL) = (action_due_on IS NULL) AND (action_owner_id IS NULL) = (action_status IS NULL)', name=op.f('ck_review_decision_action_complete')),
    sa.ForeignKeyConstraint(['action_evidence_file_id'], ['stored_file.id'], name=op.f('fk_review_decision_action_evidence_file_id_stored_file'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['action_owner_id'], ['user.id'], name=op.f('fk_review_decision_action_owner_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_review_decision_created_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['review_id'], ['management_review.id'], name=op.f('fk_review_decision_review_id_management_review'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_decision')),
    sa.UniqueConstraint('review_id', 'number', name='uq_review_decision_number')
    )
    with op.batch_alter_table('review_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_decision_action_owner_id'), ['action_owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_review_decision_review_id'), ['review_id'], unique=False)



def downgrade():
    with op.batch_alter_table('review_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_decision_review_id'))
        batch_op.drop_index(batch_op.f('ix_review_decision_action_owner_id'))

    op.drop_table('review_decision')
    with op.batch_alter_table('review_attendee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_attendee_review_id'))

    op.drop_table('review_attendee')
    with op.batch_alter_table('management_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_management_review_status'))

    op.drop_table('management_review')
    op.drop_table('review_year_counter')
