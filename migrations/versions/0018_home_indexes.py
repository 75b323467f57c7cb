"""home: indexes behind "Mis pendientes" and the home cards' counters

- ``corrective_action (owner_id, due_on, id, status, nc_id)``: a person's actions in the
  page's order (due date, then id) with what the counters and the page filter on, read
  without the table, so a page stops after its rows and needs no sort (the
  single-column ``owner_id`` index is a prefix of it; it stays declared on the model).
- ``nc_verification (verifier_id, result, planned_on, nc_id)``: verifications assigned to
  a person still without a result.
- ``complaint (handled_by_id, status)``: open complaints assigned to a person.

The indexes are declared beside the queries they serve (``qms/<domain>/pending.py``);
``tests/core/test_query_plans.py`` reads their query plans.

Revision ID: 0018_home_indexes
Revises: 0019_audit_log_checkpoint
"""

from alembic import op

revision = "0018_home_indexes"
down_revision = "0019_audit_log_checkpoint"
branch_labels = None
depends_on = None

INDEXES = {
    "corrective_action": {"ix_corrective_action_owner_due":
                          ["owner_id", "due_on", "id", "status", "nc_id"]},
    "nc_verification": {"ix_nc_verification_verifier_result":
                        ["verifier_id", "result", "planned_on", "nc_id"]},
    "complaint": {"ix_complaint_handler_status": ["handled_by_id", "status"]},
}


def upgrade():
    for table, indexes in INDEXES.items():
        with op.batch_alter_table(table) as batch_op:
            for name, columns in indexes.items():
                batch_op.create_index(name, columns)


def downgrade():
    for table, indexes in INDEXES.items():
        with op.batch_alter_table(table) as batch_op:
            for name in indexes:
                batch_op.drop_index(name)
