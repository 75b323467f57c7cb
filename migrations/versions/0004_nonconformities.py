"""nonconformities and corrective actions [ISO 9001:2015 10.2]

Yearly counter for gapless NC codes, the NC register, root-cause analyses per round,
corrective actions, effectiveness verifications (at most one pending per NC: partial
unique index) and attachments.

Revision ID: 0004_nonconformities
Revises: 0003_documents
Create Date: 2026-11-24 17:14:06.386681

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_nonconformities'
down_revision = '0003_documents'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('nc_year_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_nc_year_counter'))
    )
    op.create_table('nonconformity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('source', sa.Enum('internal_audit', 'external_audit', 'citizen_complaint', 'satisfaction_survey', 'process_monitoring', 'management_review', 'other', name='nc_source', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('severity', sa.Enum('major', 'minor', name='nc_severity', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('status', sa.Enum('reported', 'analysis', 'action_plan', 'implementation', 'verification', 'closed', 'cancelled', name='nc_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('department_code', sa.String(length=2), nullable=True),
    sa.Column('municipality_code', sa.String(length=4), nullable=True),
    sa.Column('detected_on', sa.Date(), nullable=False),
    sa.Column('detected_by_id', sa.Integer(), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('origin_type', sa.String(length=40), nullable=True),
    sa.Column('origin_id', sa.String(length=60), nullable=True),
    sa.Column('origin_label', sa.String(length=200), nullable=True),
    sa.Column('correction', sa.Text(), nullable=True),
    sa.Column('correction_on', sa.Date(), nullable=True),
    sa.Column('analysis_round', sa.Integer(), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('close_meaning', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status <> 'cancelled' OR cancel_reason IS NOT NULL", name=op.f('ck_nonconformity_cancel_needs_reason')),
    sa.CheckConstraint("status <> 'closed' OR (closed_at IS NOT NULL AND closed_by_id IS NOT NULL)", name=op.f('ck_nonconformity_closed_is_signed')),
    sa.CheckConstraint('number > 0', name=op.f('ck_nonconformity_number_positive')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_nonconformity_closed_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['detected_by_id'], ['user.id'], name=op.f('fk_nonconformity_detected_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_nonconformity_process_id_process'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['user.id'], name=op.f('fk_nonconformity_reported_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nonconformity')),
    sa.UniqueConstraint('code', name=op.f('uq_nonconformity_code')),
    sa.UniqueConstraint('year', 'number', name='uq_nonconformity_year_number')
    )
    with op.batch_alter_table('nonconformity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nonconformity_process_id'), ['process_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nonconformity_status'), ['status'], unique=False)

    op.create_table('corrective_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nc_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('planned', 'in_progress', 'done', name='action_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status <> 'done' OR completed_at IS NOT NULL", name=op.f('ck_corrective_action_done_has_date')),
    sa.ForeignKeyConstraint(['nc_id'], ['nonconformity.id'], name=op.f('fk_corrective_action_nc_id_nonconformity'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_corrective_action_owner_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corrective_action')),
    sa.UniqueConstraint('nc_id', 'number', name='uq_corrective_action_nc_number')
    )
    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corrective_action_nc_id'), ['nc_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrective_action_owner_id'), ['owner_id'], unique=False)

    op.create_table('nc_analysis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nc_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('whys', sa.JSON(), nullable=False),
    sa.Column('ishikawa', sa.JSON(), nullable=False),
    sa.Column('root_cause', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['nc_id'], ['nonconformity.id'], name=op.f('fk_nc_analysis_nc_id_nonconformity'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nc_analysis')),
    sa.UniqueConstraint('nc_id', 'round', name='uq_nc_analysis_nc_round')
    )
    op.create_table('nc_verification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nc_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=False),
    sa.Column('verifier_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.Enum('effective', 'not_effective', name='verification_result', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('result IS NULL OR (verified_at IS NOT NULL AND evidence IS NOT NULL)', name=op.f('ck_nc_verification_result_has_evidence')),
    sa.ForeignKeyConstraint(['nc_id'], ['nonconformity.id'], name=op.f('fk_nc_verification_nc_id_nonconformity'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_nc_verification_recorded_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['verifier_id'], ['user.id'], name=op.f('fk_nc_verification_verifier_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nc_verification'))
    )
    with op.batch_alter_table('nc_verification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nc_verification_nc_id'), ['nc_id'], unique=False)
        batch_op.create_index('uq_nc_verification_pending', ['nc_id'], unique=True,
                              sqlite_where=sa.text('result IS NULL'),
                              postgresql_where=sa.text('result IS NULL'))

    op.create_table('nc_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nc_id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=True),
    sa.Column('verification_id', sa.Integer(), nullable=True),
    sa.Column('stored_file_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['corrective_action.id'], name=op.f('fk_nc_attachment_action_id_corrective_action'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['nc_id'], ['nonconformity.id'], name=op.f('fk_nc_attachment_nc_id_nonconformity'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['stored_file_id'], ['stored_file.id'], name=op.f('fk_nc_attachment_stored_file_id_stored_file'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_nc_attachment_uploaded_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['verification_id'], ['nc_verification.id'], name=op.f('fk_nc_attachment_verification_id_nc_verification'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nc_attachment'))
    )
    with op.batch_alter_table('nc_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nc_attachment_nc_id'), ['nc_id'], unique=False)



def downgrade():
    with op.batch_alter_table('nc_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nc_attachment_nc_id'))

    op.drop_table('nc_attachment')
    with op.batch_alter_table('nc_verification', schema=None) as batch_op:
        batch_op.drop_index('uq_nc_verification_pending')
        batch_op.drop_index(batch_op.f('ix_nc_verification_nc_id'))

    op.drop_table('nc_verification')
    op.drop_table('nc_analysis')
    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corrective_action_owner_id'))
        batch_op.drop_index(batch_op.f('ix_corrective_action_nc_id'))

    op.drop_table('corrective_action')
    with op.batch_alter_table('nonconformity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nonconformity_status'))
        batch_op.drop_index(batch_op.f('ix_nonconformity_process_id'))

    op.drop_table('nonconformity')
    op.drop_table('nc_year_counter')
