"""day one: who recorded an action as done, the due date before re-planning, and the
periodic review of a document closed as "reviewed, no changes"

Revision ID: 0016_day_one
Revises: 0014_audit_calendar
Create Date: 2026-12-02 00:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_day_one'
down_revision = '0014_audit_calendar'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('previous_due_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_corrective_action_completed_by_id_user'),
                                    'user', ['completed_by_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_reviewed_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('last_reviewed_on')

    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_corrective_action_completed_by_id_user'),
                                 type_='foreignkey')
        batch_op.drop_column('previous_due_on')
        batch_op.drop_column('completed_by_id')
