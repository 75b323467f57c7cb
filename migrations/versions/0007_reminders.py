"""reminders: notifications, mail outbox, preferences, scheduler job store

Reminders and notifications: ``notification`` (one reminder for one person, unique on its
key = rule, record, due date, recipient, stage), ``outbox_message`` (every mail, stored in
the reminder's transaction and sent after commit; unique key and Message-ID; a partial
index keeps the send queue small), ``reminder_preference`` (immediate / daily digest /
none, rules not mailed, manager for escalation) and APScheduler's ``apscheduler_jobs`` job
store, created here rather than by APScheduler at start-up.

Revision ID: 0007_reminders
Revises: 0010_survey_imports
Create Date: 2026-12-01 21:37:35.363275

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_reminders'
down_revision = '0010_survey_imports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apscheduler_jobs'))
    )
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apscheduler_jobs_next_run_time'), ['next_run_time'], unique=False)

    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.Enum('single', 'digest', name='outbox_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'failed', name='outbox_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('to_address', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_outbox_message_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message')),
    sa.UniqueConstraint('key', name=op.f('uq_outbox_message_key'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_message_queue', ['next_attempt_at'], unique=False, sqlite_where=sa.text("status IN ('pending', 'sending')"), postgresql_where=sa.text("status IN ('pending', 'sending')"))

    op.create_table('reminder_preference',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('delivery', sa.Enum('immediate', 'digest', 'none', name='reminder_delivery', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('muted_rules', sa.JSON(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['manager_id'], ['user.id'], name=op.f('fk_reminder_preference_manager_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_reminder_preference_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_reminder_preference'))
    )
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=60), nullable=False),
    sa.Column('stage', sa.Enum('due', 'overdue', 'escalated', name='notification_stage', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('record_type', sa.String(length=60), nullable=False),
    sa.Column('record_id', sa.String(length=60), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link_endpoint', sa.String(length=100), nullable=False),
    sa.Column('link_values', sa.JSON(), nullable=False),
    sa.Column('delivery', sa.Enum('immediate', 'digest', 'none', name='notification_delivery', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['digest_id'], ['outbox_message.id'], name=op.f('fk_notification_digest_id_outbox_message'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('key', name=op.f('uq_notification_key'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_digest_id', ['digest_id'], unique=False, sqlite_where=sa.text('digest_id IS NOT NULL'), postgresql_where=sa.text('digest_id IS NOT NULL'))
        batch_op.create_index('ix_notification_digest_queue', ['user_id'], unique=False, sqlite_where=sa.text("delivery = 'digest' AND digest_id IS NULL"), postgresql_where=sa.text("delivery = 'digest' AND digest_id IS NULL"))
        batch_op.create_index('ix_notification_user_unread', ['user_id', 'read_at'], unique=False)



def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_unread')
        batch_op.drop_index('ix_notification_digest_queue', sqlite_where=sa.text("delivery = 'digest' AND digest_id IS NULL"), postgresql_where=sa.text("delivery = 'digest' AND digest_id IS NULL"))
        batch_op.drop_index('ix_notification_digest_id', sqlite_where=sa.text('digest_id IS NOT NULL'), postgresql_where=sa.text('digest_id IS NOT NULL'))

    op.drop_table('notification')
    op.drop_table('reminder_preference')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_queue', sqlite_where=sa.text("status IN ('pending', 'sending')"), postgresql_where=sa.text("status IN ('pending', 'sending')"))

    op.drop_table('outbox_message')
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apscheduler_jobs_next_run_time'))

    op.drop_table('apscheduler_jobs')
