"""survey imports: an import batch can be "importing" while its rows are published

Imports are checked in full before anything is written, then published in short
transactions (so a long import never holds SQLite's write lock for its whole length);
meanwhile the batch is "importing" and its rows are invisible. Only the CHECK constraint
of ``survey_import_batch.status`` changes.

Revision ID: 0010_survey_imports
Revises: 0008_portal
Create Date: 2026-12-01 21:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_survey_imports'
down_revision = '0008_portal'
branch_labels = None
depends_on = None

_OLD = ('imported', 'rejected')
_NEW = ('importing', 'imported', 'rejected')


_CHECK = 'ck_survey_import_batch_import_batch_status'


def _status(values):
    return sa.Enum(*values, name='import_batch_status', native_enum=False,
                   create_constraint=True, length=40)


def _allow(old, new):
    if op.get_bind().dialect.name == 'sqlite':  # no ALTER CONSTRAINT: rebuild the table
        with op.batch_alter_table('survey_import_batch', schema=None) as batch_op:
            batch_op.alter_column('status', existing_type=_status(old), type_=_status(new),
                                  existing_nullable=False)
        return
    op.drop_constraint(op.f(_CHECK), 'survey_import_batch', type_='check')
    listed = ', '.join(f"'{value}'" for value in new)
    op.create_check_constraint(op.f(_CHECK), 'survey_import_batch', f'status IN ({listed})')


def upgrade():
    _allow(_OLD, _NEW)


def downgrade():
    op.execute("UPDATE survey_import_batch SET status = 'rejected' WHERE status = 'importing'")
    _allow(_NEW, _OLD)
