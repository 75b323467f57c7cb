"""scale: indexes for the registers' filters, sorts and charts, and the audit log

- ``nonconformity``: each filter of the register (process, source, severity, status)
  with the default order (newest code first) behind it, so a filtered page reads 25
  index entries; the sorts (detection date, title, status in workflow order through an
  expression index, severity); the charts' aggregates (open NCs per process and per
  source, days to close per process) answered from one index each without reading rows.
  The single-column indexes on ``status`` and ``process_id`` are prefixes of the new
  ones and go.
- ``nc_verification.verifier_id``: "assigned to me" (pending verifications).
- ``audit_event (entity_type, id)``: the audit log filtered by kind of record, newest
  first.

``tests/core/test_query_plans.py`` reads the query plans on SQLite and PostgreSQL.

Revision ID: 0015_scale_indexes
Revises: 0012_reviews
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_scale_indexes"
down_revision = '0012_reviews'
branch_labels = None
depends_on = None

#: Kept in step with qms.nonconformities.models.STATUS_RANK_SQL (the register's sort).
STATUS_RANK_SQL = ("(CASE WHEN status = 'reported' THEN 0 WHEN status = 'analysis' THEN 1 "
                   "WHEN status = 'action_plan' THEN 2 WHEN status = 'implementation' THEN 3 "
                   "WHEN status = 'verification' THEN 4 WHEN status = 'closed' THEN 5 "
                   "WHEN status = 'cancelled' THEN 6 END)")

NC_INDEXES = {
    "ix_nonconformity_process_code": ["process_id", "year", "number"],
    "ix_nonconformity_source_code": ["source", "year", "number"],
    "ix_nonconformity_severity_code": ["severity", "year", "number"],
    "ix_nonconformity_status_code": ["status", "year", "number"],
    "ix_nonconformity_detected_on": ["detected_on", "id"],
    "ix_nonconformity_title": ["title", "code", "process_id"],
    "ix_nonconformity_status_process": ["status", "process_id", "detected_on", "closed_at"],
    "ix_nonconformity_status_source": ["status", "source"],
}


def upgrade():
    op.drop_index("ix_nonconformity_process_id", table_name="nonconformity")
    op.drop_index("ix_nonconformity_status", table_name="nonconformity")
    for name, columns in NC_INDEXES.items():
        op.create_index(name, "nonconformity", columns)
    op.create_index("ix_nonconformity_status_rank", "nonconformity",
                    [sa.text(STATUS_RANK_SQL), "id"])
    op.create_index("ix_nc_verification_verifier_id", "nc_verification", ["verifier_id"])
    op.create_index("ix_audit_event_type_id", "audit_event", ["entity_type", "id"])


def downgrade():
    op.drop_index("ix_audit_event_type_id", table_name="audit_event")
    op.drop_index("ix_nc_verification_verifier_id", table_name="nc_verification")
    op.drop_index("ix_nonconformity_status_rank", table_name="nonconformity")
    for name in reversed(NC_INDEXES):
        op.drop_index(name, table_name="nonconformity")
    op.create_index("ix_nonconformity_status", "nonconformity", ["status"])
    op.create_index("ix_nonconformity_process_id", "nonconformity", ["process_id"])
