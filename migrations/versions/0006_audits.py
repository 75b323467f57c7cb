"""audits: yearly programme, audits, team, checklist copies, evidence, findings [ISO 9001:2015 9.2]

audit_programme (one per year) → audit (gapless AI-/AE-YYYY-NN code from audit_year_counter,
plan, criteria with the procedures' revisions pinned, signed report's file and SHA-256);
audit_process and audit_member (lead, auditors, experts, observers, auditees); the versioned
checklist_template loaded from audits/ and each audit's own audit_checklist_item copy with its
answers and audit_evidence (date represented vs received); audit_finding (an NC finding points
at the nonconformity it raised); audit_offline_submission keeps the KoboCollect/ODK
submission ids already imported.

Revision ID: 0006_audits
Revises: 0009_security
Create Date: 2026-12-01 21:44:19.820115

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_audits'
down_revision = '0009_security'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_programme',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('objectives', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_audit_programme_year_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_programme')),
    sa.UniqueConstraint('year', name=op.f('uq_audit_programme_year'))
    )
    op.create_table('audit_year_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_audit_year_counter'))
    )
    op.create_table('checklist_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=250), nullable=False),
    sa.Column('standard', sa.String(length=30), nullable=False),
    sa.Column('processes', sa.JSON(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('source_path', sa.String(length=255), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_template')),
    sa.UniqueConstraint('code', 'version_no', name='uq_checklist_template_code_ver')
    )
    op.create_table('audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('audit_type', sa.Enum('internal_process', 'internal_clause', 'follow_up', 'external_stage1', 'external_stage2', 'external_surveillance', 'external_recertification', name='audit_type', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('objectives', sa.Text(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('criteria_clauses', sa.JSON(), nullable=False),
    sa.Column('criteria_documents', sa.JSON(), nullable=False),
    sa.Column('certification_body', sa.String(length=200), nullable=True),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('planned_start', sa.Date(), nullable=False),
    sa.Column('planned_end', sa.Date(), nullable=False),
    sa.Column('actual_start', sa.Date(), nullable=True),
    sa.Column('actual_end', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('planned', 'in_progress', 'reported', 'closed', 'cancelled', name='audit_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('conclusion', sa.Text(), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('report_meaning', sa.String(length=300), nullable=True),
    sa.Column('report_file_id', sa.Integer(), nullable=True),
    sa.Column('report_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status <> 'cancelled' OR cancel_reason IS NOT NULL", name=op.f('ck_audit_cancel_needs_reason')),
    sa.CheckConstraint("status NOT IN ('reported', 'closed') OR (reported_at IS NOT NULL AND reported_by_id IS NOT NULL)", name=op.f('ck_audit_reported_is_signed')),
    sa.CheckConstraint('actual_end IS NULL OR actual_start IS NULL OR actual_end >= actual_start', name=op.f('ck_audit_actual_order')),
    sa.CheckConstraint('planned_end >= planned_start', name=op.f('ck_audit_planned_order')),
    sa.ForeignKeyConstraint(['programme_id'], ['audit_programme.id'], name=op.f('fk_audit_programme_id_audit_programme'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['report_file_id'], ['stored_file.id'], name=op.f('fk_audit_report_file_id_stored_file'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['user.id'], name=op.f('fk_audit_reported_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['template_id'], ['checklist_template.id'], name=op.f('fk_audit_template_id_checklist_template'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit')),
    sa.UniqueConstraint('code', name=op.f('uq_audit_code')),
    sa.UniqueConstraint('year', 'number', name='uq_audit_year_number')
    )
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_status'), ['status'], unique=False)

    op.create_table('audit_checklist_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('clause', sa.String(length=12), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('result', sa.Enum('conform', 'nonconform', 'observation', 'not_applicable', name='item_result', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source', sa.Enum('web', 'offline', name='answer_source', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user.id'], name=op.f('fk_audit_checklist_item_answered_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['audit_id'], ['audit.id'], name=op.f('fk_audit_checklist_item_audit_id_audit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checklist_item')),
    sa.UniqueConstraint('audit_id', 'position', name='uq_audit_item_position')
    )
    with op.batch_alter_table('audit_checklist_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_checklist_item_audit_id'), ['audit_id'], unique=False)

    op.create_table('audit_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('lead', 'auditor', 'expert', 'observer', 'auditee', name='audit_member_role', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audit.id'], name=op.f('fk_audit_member_audit_id_audit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_audit_member_user_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_member')),
    sa.UniqueConstraint('audit_id', 'user_id', name='uq_audit_member_person')
    )
    with op.batch_alter_table('audit_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_member_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_member_user_id'), ['user_id'], unique=False)

    op.create_table('audit_offline_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('submission_uuid', sa.String(length=80), nullable=False),
    sa.Column('answers', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audit.id'], name=op.f('fk_audit_offline_submission_audit_id_audit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['imported_by_id'], ['user.id'], name=op.f('fk_audit_offline_submission_imported_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_offline_submission')),
    sa.UniqueConstraint('submission_uuid', name='uq_audit_offline_submission_uuid')
    )
    with op.batch_alter_table('audit_offline_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_offline_submission_audit_id'), ['audit_id'], unique=False)

    op.create_table('audit_process',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['audit_id'], ['audit.id'], name=op.f('fk_audit_process_audit_id_audit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_audit_process_process_id_process'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_process')),
    sa.UniqueConstraint('audit_id', 'process_id', name='uq_audit_process_pair')
    )
    with op.batch_alter_table('audit_process', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_process_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_process_process_id'), ['process_id'], unique=False)

    op.create_table('audit_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('stored_file_id', sa.Integer(), nullable=False),
    sa.Column('represents_on', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['audit_checklist_item.id'], name=op.f('fk_audit_evidence_item_id_audit_checklist_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['stored_file_id'], ['stored_file.id'], name=op.f('fk_audit_evidence_stored_file_id_stored_file'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_audit_evidence_uploaded_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_evidence'))
    )
    with op.batch_alter_table('audit_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_evidence_item_id'), ['item_id'], unique=False)

    op.create_table('audit_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audit_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('finding_type', sa.Enum('major_nc', 'minor_nc', 'observation', 'opportunity', name='finding_type', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('clause', sa.String(length=12), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('nc_id', sa.Integer(), nullable=True),
    sa.Column('auditee_response', sa.Text(), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('follows_up_id', sa.Integer(), nullable=True),
    sa.Column('follow_up_effective', sa.Boolean(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('follow_up_effective IS NULL OR follows_up_id IS NOT NULL', name=op.f('ck_audit_finding_follow_up_needs_target')),
    sa.ForeignKeyConstraint(['audit_id'], ['audit.id'], name=op.f('fk_audit_finding_audit_id_audit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_audit_finding_created_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['follows_up_id'], ['audit_finding.id'], name=op.f('fk_audit_finding_follows_up_id_audit_finding'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['item_id'], ['audit_checklist_item.id'], name=op.f('fk_audit_finding_item_id_audit_checklist_item'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['nc_id'], ['nonconformity.id'], name=op.f('fk_audit_finding_nc_id_nonconformity'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_audit_finding_process_id_process'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['responded_by_id'], ['user.id'], name=op.f('fk_audit_finding_responded_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_finding')),
    sa.UniqueConstraint('audit_id', 'number', name='uq_audit_finding_number'),
    sa.UniqueConstraint('nc_id', name=op.f('uq_audit_finding_nc_id'))
    )
    with op.batch_alter_table('audit_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_finding_audit_id'), ['audit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_finding_process_id'), ['process_id'], unique=False)



def downgrade():
    with op.batch_alter_table('audit_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_finding_process_id'))
        batch_op.drop_index(batch_op.f('ix_audit_finding_audit_id'))

    op.drop_table('audit_finding')
    with op.batch_alter_table('audit_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_evidence_item_id'))

    op.drop_table('audit_evidence')
    with op.batch_alter_table('audit_process', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_process_process_id'))
        batch_op.drop_index(batch_op.f('ix_audit_process_audit_id'))

    op.drop_table('audit_process')
    with op.batch_alter_table('audit_offline_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_offline_submission_audit_id'))

    op.drop_table('audit_offline_submission')
    with op.batch_alter_table('audit_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_member_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_member_audit_id'))

    op.drop_table('audit_member')
    with op.batch_alter_table('audit_checklist_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_checklist_item_audit_id'))

    op.drop_table('audit_checklist_item')
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_status'))
        batch_op.drop_index(batch_op.f('ix_audit_programme_id'))

    op.drop_table('audit')
    op.drop_table('checklist_template')
    op.drop_table('audit_year_counter')
    op.drop_table('audit_programme')
