"""portal: bond-execution aggregates and citizen complaints

Payments (qms.payments): one row per import of the payment system's file
(payment_import, with the file's SHA-256), the monthly periods it holds
(payment_period, with a digest of the period's rows so that re-importing the same
figures is a no-op) and the aggregates per period × municipality × channel
(payment_aggregate; households scheduled/paid, lempiras, counts per non-payment reason;
the database refuses paid > scheduled and reasons > unpaid).
Complaints (qms.complaints): the citizen complaint with its unique tracking code, the
optional contact (never in clear in the audit trail), the photo stored without
metadata, the public answer apart from the internal note, and the NC it raised.

Revision ID: 0008_portal
Revises: 0005_surveys
Create Date: 2026-12-01 21:39:23.624079

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_portal'
down_revision = '0005_surveys'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payment_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('imported', 'rejected', name='payment_import_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_size', sa.BigInteger(), nullable=False),
    sa.Column('file_format', sa.String(length=40), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('periods', sa.JSON(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_payment_import_actor_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_import'))
    )
    with op.batch_alter_table('payment_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_import_file_sha256'), ['file_sha256'], unique=False)

    op.create_table('payment_period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=7), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('month BETWEEN 1 AND 12', name=op.f('ck_payment_period_month_range')),
    sa.ForeignKeyConstraint(['import_id'], ['payment_import.id'], name=op.f('fk_payment_period_import_id_payment_import'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_period')),
    sa.UniqueConstraint('code', name=op.f('uq_payment_period_code'))
    )
    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tracking_code', sa.String(length=13), nullable=False),
    sa.Column('category', sa.Enum('money_request', 'payment', 'registration', 'service', 'other', name='complaint_category', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('department_code', sa.String(length=2), nullable=False),
    sa.Column('municipality_code', sa.String(length=4), nullable=True),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('photo_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('received', 'under_review', 'answered', 'closed', name='complaint_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('public_answer', sa.Text(), nullable=True),
    sa.Column('internal_note', sa.Text(), nullable=True),
    sa.Column('nc_id', sa.Integer(), nullable=True),
    sa.Column('nc_code', sa.String(length=20), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status NOT IN ('answered', 'closed') OR public_answer IS NOT NULL", name=op.f('ck_complaint_answered_has_answer')),
    sa.CheckConstraint('NOT anonymous OR (contact_name IS NULL AND contact_phone IS NULL AND contact_email IS NULL)', name=op.f('ck_complaint_anonymous_has_no_contact')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['user.id'], name=op.f('fk_complaint_handled_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['nc_id'], ['nonconformity.id'], name=op.f('fk_complaint_nc_id_nonconformity'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['photo_id'], ['stored_file.id'], name=op.f('fk_complaint_photo_id_stored_file'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint')),
    sa.UniqueConstraint('tracking_code', name=op.f('uq_complaint_tracking_code'))
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_status_received', ['status', 'received_at'], unique=False)

    op.create_table('payment_aggregate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('department_code', sa.String(length=2), nullable=False),
    sa.Column('municipality_code', sa.String(length=4), nullable=False),
    sa.Column('channel', sa.Enum('bank', 'mobile_wallet', 'pay_point', 'other', name='payment_channel', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('households_scheduled', sa.Integer(), nullable=False),
    sa.Column('households_paid', sa.Integer(), nullable=False),
    sa.Column('amount_paid', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('unpaid_absent', sa.Integer(), nullable=False),
    sa.Column('unpaid_documents', sa.Integer(), nullable=False),
    sa.Column('unpaid_coresponsibility', sa.Integer(), nullable=False),
    sa.Column('unpaid_suspended', sa.Integer(), nullable=False),
    sa.Column('unpaid_other', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_paid >= 0', name=op.f('ck_payment_aggregate_amount_not_negative')),
    sa.CheckConstraint('households_paid >= 0 AND households_paid <= households_scheduled', name=op.f('ck_payment_aggregate_paid_within_scheduled')),
    sa.CheckConstraint('unpaid_absent + unpaid_documents + unpaid_coresponsibility + unpaid_suspended + unpaid_other <= households_scheduled - households_paid', name=op.f('ck_payment_aggregate_reasons_fit')),
    sa.ForeignKeyConstraint(['period_id'], ['payment_period.id'], name=op.f('fk_payment_aggregate_period_id_payment_period'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_aggregate')),
    sa.UniqueConstraint('period_id', 'municipality_code', 'channel', name='uq_payment_aggregate_cell')
    )


def downgrade():
    op.drop_table('payment_aggregate')
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_status_received')

    op.drop_table('complaint')
    op.drop_table('payment_period')
    with op.batch_alter_table('payment_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_import_file_sha256'))

    op.drop_table('payment_import')
