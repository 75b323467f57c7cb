"""register indexes: the complaints register's filters and order, NCs by origin and for
the audit programme's risk ranking

- ``complaint``: the register's default order (newest first) and its type and
  department filters with that order behind them, so a page of 50 reads 50 index
  entries at thousands of complaints (the status filter had its index already).
- ``nonconformity (origin_type, origin_id)``: a survey wave's results, an audit's
  findings and a complaint list the NCs raised from them; without it each such page read
  the whole NC register.
- ``nonconformity (source, detected_on, process_id)``: the audit programme's risk
  ranking (recent NCs from surveys and complaints per process) read from a covering
  index; its open and open major NCs per process come from the register's figures.

``tests/core/test_query_plans.py`` reads the plans on SQLite and PostgreSQL.

Revision ID: 0020_register_indexes
Revises: 0017_nc_register_figures
"""

from alembic import op

revision = "0020_register_indexes"
down_revision = "0017_nc_register_figures"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_complaint_received": ("complaint", ["received_at"]),
    "ix_complaint_category_received": ("complaint", ["category", "received_at"]),
    "ix_complaint_department_received": ("complaint", ["department_code", "received_at"]),
    "ix_nonconformity_origin": ("nonconformity", ["origin_type", "origin_id"]),
    "ix_nonconformity_source_detected": ("nonconformity",
                                         ["source", "detected_on", "process_id"]),
}


def upgrade():
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade():
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
