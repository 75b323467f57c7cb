"""nc register figures: maintained counts and next due dates, and an indexed text search

- ``nc_register_figure``: how many NCs share a process, source, severity and status,
  and their days to close summed; the register's total and its three charts add these
  rows up instead of reading the register. Kept at flush by
  ``qms.nonconformities.figures``; filled here from the register.
- ``nonconformity.next_due_on``: the earliest due date of the NC's actions not yet
  done, with ``(status, next_due_on)`` indexed: "overdue" becomes a range of one index
  instead of an EXISTS over the actions of every open NC. Filled here.
- ``corrective_action (owner_id, status, nc_id)`` replaces the index on ``owner_id``:
  "assigned to me" reads the owner's open actions and their NCs from the index alone.
- Text search (code or title contains the text) through trigram indexes: on SQLite an
  FTS5 table ``nc_search`` with the trigram tokenizer, kept by triggers in the same
  statement as the NC row (so every writer, bulk loads included, keeps it); on
  PostgreSQL ``pg_trgm`` GIN indexes, which serve ``ILIKE '%…%'`` directly. Neither
  reads every title for a search of three characters or more.

Revision ID: 0017_nc_register_figures
Revises: 0018_home_indexes
Create Date: 2026-12-02 03:15:55
"""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0017_nc_register_figures'
down_revision = '0018_home_indexes'
branch_labels = None
depends_on = None

OPEN = "('reported', 'analysis', 'action_plan', 'implementation', 'verification')"
NEXT_DUE = ("(SELECT min(a.due_on) FROM corrective_action a "
            "WHERE a.nc_id = nonconformity.id AND a.status <> 'done')")
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE nc_search USING fts5(code, title, "
    "tokenize = 'trigram case_sensitive 0')",
    "INSERT INTO nc_search (rowid, code, title) SELECT id, code, title FROM nonconformity",
    "CREATE TRIGGER nc_search_insert AFTER INSERT ON nonconformity BEGIN "
    "INSERT INTO nc_search (rowid, code, title) VALUES (new.id, new.code, new.title); END",
    "CREATE TRIGGER nc_search_update AFTER UPDATE OF code, title ON nonconformity BEGIN "
    "UPDATE nc_search SET code = new.code, title = new.title WHERE rowid = old.id; END",
    "CREATE TRIGGER nc_search_delete AFTER DELETE ON nonconformity BEGIN "
    "DELETE FROM nc_search WHERE rowid = old.id; END",
]


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def _days_to_close(dialect: str) -> str:
    """``days_to_close`` in SQL: local closing date minus detection date."""
    from flask import current_app

    zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE", "America/Tegucigalpa")
    if dialect == "postgresql":
        return f"(CAST((closed_at AT TIME ZONE '{zone.replace(chr(39), '')}') AS DATE) - detected_on)"
    offset = ZoneInfo(zone).utcoffset(datetime.now(UTC).replace(tzinfo=None))
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return f"CAST(julianday(date(closed_at, '{minutes:+d} minutes')) - julianday(detected_on) AS INTEGER)"


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table(
        'nc_register_figure',
        sa.Column('process_id', sa.Integer(), nullable=False),
        sa.Column('source', _enum('nc_source', 'internal_audit', 'external_audit',
                                  'citizen_complaint', 'satisfaction_survey',
                                  'process_monitoring', 'management_review', 'other'),
                  nullable=False),
        sa.Column('severity', _enum('nc_severity', 'major', 'minor'), nullable=False),
        sa.Column('status', _enum('nc_status', 'reported', 'analysis', 'action_plan',
                                  'implementation', 'verification', 'closed', 'cancelled'),
                  nullable=False),
        sa.Column('nc_count', sa.Integer(), nullable=False),
        sa.Column('days_to_close_total', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['process_id'], ['process.id'],
                                name=op.f('fk_nc_register_figure_process_id_process'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('process_id', 'source', 'severity', 'status',
                                name=op.f('pk_nc_register_figure')),
    )
    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corrective_action_owner_id'))
        batch_op.create_index('ix_corrective_action_owner_open', ['owner_id', 'status', 'nc_id'],
                              unique=False)
    with op.batch_alter_table('nonconformity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_due_on', sa.Date(), nullable=True))
        batch_op.create_index('ix_nonconformity_status_next_due', ['status', 'next_due_on'],
                              unique=False)

    op.execute(f"UPDATE nonconformity SET next_due_on = {NEXT_DUE}")
    op.execute(
        "INSERT INTO nc_register_figure (process_id, source, severity, status, nc_count, "
        "days_to_close_total) SELECT process_id, source, severity, status, count(*), "
        f"coalesce(sum(CASE WHEN status = 'closed' THEN {_days_to_close(dialect)} ELSE 0 END), 0) "
        "FROM nonconformity GROUP BY process_id, source, severity, status")

    if dialect == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    elif dialect == "postgresql":
        # A trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_nonconformity_title_trgm ON nonconformity "
                   "USING gin (title gin_trgm_ops)")
        op.execute("CREATE INDEX ix_nonconformity_code_trgm ON nonconformity "
                   "USING gin (code gin_trgm_ops)")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("nc_search_delete", "nc_search_update", "nc_search_insert"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE nc_search")
    elif dialect == "postgresql":
        op.execute("DROP INDEX ix_nonconformity_code_trgm")
        op.execute("DROP INDEX ix_nonconformity_title_trgm")
    with op.batch_alter_table('nonconformity', schema=None) as batch_op:
        batch_op.drop_index('ix_nonconformity_status_next_due')
        batch_op.drop_column('next_due_on')
    with op.batch_alter_table('corrective_action', schema=None) as batch_op:
        batch_op.drop_index('ix_corrective_action_owner_open')
        batch_op.create_index(batch_op.f('ix_corrective_action_owner_id'), ['owner_id'],
                              unique=False)
    op.drop_table('nc_register_figure')
