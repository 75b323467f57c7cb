"""controlled documents [ISO 9001:2015 7.5]: register, revisions, distribution, acknowledgements

Revision ID: 0003_documents
Revises: 0002_stored_files
Create Date: 2026-11-24 17:14:23.580993

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_documents'
down_revision = '0002_stored_files'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=250), nullable=False),
    sa.Column('doc_type', sa.Enum('policy', 'manual', 'procedure', 'instruction', 'form', 'external', name='document_type', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('owner_role', sa.Enum('admin', 'quality_officer', 'process_owner', 'manager', 'auditor', 'certifier', name='document_owner_role', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('confidentiality', sa.Enum('public', 'internal', name='document_confidentiality', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('review_interval_months', sa.Integer(), nullable=False),
    sa.Column('source_path', sa.String(length=255), nullable=True),
    sa.Column('source_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(code) >= 2', name=op.f('ck_document_code_length')),
    sa.CheckConstraint('review_interval_months BETWEEN 1 AND 60', name=op.f('ck_document_review_interval')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_document_owner_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_document_process_id_process'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('code', name=op.f('uq_document_code')),
    sa.UniqueConstraint('source_path', name=op.f('uq_document_source_path'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_process_id'), ['process_id'], unique=False)

    op.create_table('document_distribution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.Enum('admin', 'quality_officer', 'process_owner', 'manager', 'auditor', 'certifier', name='distribution_role', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.CheckConstraint('(user_id IS NULL) <> (role IS NULL)', name=op.f('ck_document_distribution_user_or_role')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_distribution_document_id_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_document_distribution_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_distribution')),
    sa.UniqueConstraint('document_id', 'user_id', 'role', name='uq_document_distribution_entry')
    )
    with op.batch_alter_table('document_distribution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_distribution_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_distribution_user_id'), ['user_id'], unique=False)

    op.create_table('document_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'in_review', 'approved', 'effective', 'superseded', 'obsolete', name='revision_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('change_summary', sa.String(length=1000), nullable=False),
    sa.Column('content_md', sa.Text(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approval_meaning', sa.String(length=60), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=True),
    sa.Column('effective_until', sa.Date(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('status_reason', sa.String(length=1000), nullable=True),
    sa.Column('source_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status NOT IN ('approved', 'effective', 'superseded') OR approved_by_id IS NOT NULL", name=op.f('ck_document_revision_approved_has_signer')),
    sa.CheckConstraint('effective_until IS NULL OR (effective_from IS NOT NULL AND effective_until >= effective_from)', name=op.f('ck_document_revision_effective_period')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_document_revision_number_positive')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], name=op.f('fk_document_revision_approved_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_document_revision_author_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_revision_document_id_document'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_document_revision_file_id_stored_file'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_document_revision_published_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_document_revision_submitted_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_revision')),
    sa.UniqueConstraint('document_id', 'number', name='uq_document_revision_number')
    )
    with op.batch_alter_table('document_revision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_revision_document_id'), ['document_id'], unique=False)
        batch_op.create_index('uq_document_revision_one_effective', ['document_id'], unique=True, sqlite_where=sa.text("status = 'effective'"), postgresql_where=sa.text("status = 'effective'"))
        batch_op.create_index('uq_document_revision_one_open', ['document_id'], unique=True, sqlite_where=sa.text("status IN ('draft', 'in_review', 'approved')"), postgresql_where=sa.text("status IN ('draft', 'in_review', 'approved')"))

    op.create_table('document_acknowledgement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['revision_id'], ['document_revision.id'], name=op.f('fk_document_acknowledgement_revision_id_document_revision'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_document_acknowledgement_user_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_acknowledgement')),
    sa.UniqueConstraint('revision_id', 'user_id', name='uq_document_acknowledgement_once')
    )
    with op.batch_alter_table('document_acknowledgement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_acknowledgement_revision_id'), ['revision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_acknowledgement_user_id'), ['user_id'], unique=False)




def downgrade():

    with op.batch_alter_table('document_acknowledgement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_acknowledgement_user_id'))
        batch_op.drop_index(batch_op.f('ix_document_acknowledgement_revision_id'))

    op.drop_table('document_acknowledgement')
    with op.batch_alter_table('document_revision', schema=None) as batch_op:
        batch_op.drop_index('uq_document_revision_one_open', sqlite_where=sa.text("status IN ('draft', 'in_review', 'approved')"), postgresql_where=sa.text("status IN ('draft', 'in_review', 'approved')"))
        batch_op.drop_index('uq_document_revision_one_effective', sqlite_where=sa.text("status = 'effective'"), postgresql_where=sa.text("status = 'effective'"))
        batch_op.drop_index(batch_op.f('ix_document_revision_document_id'))

    op.drop_table('document_revision')
    with op.batch_alter_table('document_distribution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_distribution_user_id'))
        batch_op.drop_index(batch_op.f('ix_document_distribution_document_id'))

    op.drop_table('document_distribution')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_process_id'))
        batch_op.drop_index(batch_op.f('ix_document_owner_id'))

    op.drop_table('document')

