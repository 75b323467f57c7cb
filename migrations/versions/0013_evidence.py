"""evidence: packs for certifiers, their shares, and what certifiers opened

evidence_pack is the job row of one generation (scope, status, progress, heartbeat of the
runner, and the file's name and SHA-256 once it is in place); evidence_pack_share gives a
certifier a ready pack for an audit window over some processes (audited: share, widen,
revoke); evidence_certifier_view logs every page and file a certifier requested.

Revision ID: 0013_evidence
Revises: 0015_scale_indexes
Create Date: 2026-12-02 00:15:28.273070

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013_evidence'
down_revision = '0015_scale_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evidence_certifier_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('endpoint', sa.String(length=120), nullable=False),
    sa.Column('record_type', sa.String(length=60), nullable=False),
    sa.Column('record_id', sa.String(length=60), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('is_file', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_evidence_certifier_view_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_certifier_view'))
    )
    with op.batch_alter_table('evidence_certifier_view', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_certifier_view_user_day', ['user_id', 'day'], unique=False)

    op.create_table('evidence_pack',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pack_uid', sa.String(length=32), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('process_codes', sa.JSON(), nullable=False),
    sa.Column('clauses', sa.JSON(), nullable=False),
    sa.Column('attach_files', sa.Boolean(), nullable=False),
    sa.Column('as_zip', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'ready', 'failed', name='evidence_pack_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=120), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('worker', sa.String(length=120), nullable=True),
    sa.Column('file_name', sa.String(length=120), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('file_size', sa.BigInteger(), nullable=True),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=True),
    sa.Column('page_count', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_evidence_pack_requested_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_pack')),
    sa.UniqueConstraint('pack_uid', name=op.f('uq_evidence_pack_pack_uid'))
    )
    with op.batch_alter_table('evidence_pack', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_pack_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index('ix_evidence_pack_status', ['status'], unique=False)

    op.create_table('evidence_pack_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pack_id', sa.Integer(), nullable=False),
    sa.Column('certifier_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('process_codes', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['certifier_id'], ['user.id'], name=op.f('fk_evidence_pack_share_certifier_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_evidence_pack_share_created_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['pack_id'], ['evidence_pack.id'], name=op.f('fk_evidence_pack_share_pack_id_evidence_pack'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['user.id'], name=op.f('fk_evidence_pack_share_revoked_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_pack_share'))
    )
    with op.batch_alter_table('evidence_pack_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_pack_share_certifier_id'), ['certifier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_pack_share_pack_id'), ['pack_id'], unique=False)



def downgrade():
    with op.batch_alter_table('evidence_pack_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_pack_share_pack_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_pack_share_certifier_id'))

    op.drop_table('evidence_pack_share')
    with op.batch_alter_table('evidence_pack', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_pack_status')
        batch_op.drop_index(batch_op.f('ix_evidence_pack_requested_by_id'))

    op.drop_table('evidence_pack')
    with op.batch_alter_table('evidence_certifier_view', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_certifier_view_user_day')

    op.drop_table('evidence_certifier_view')
