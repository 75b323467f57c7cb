"""objectives: quality objectives with their 6.2.2 plan, and KPI values per period
[ISO 9001:2015 6.2]

A KPI value is unique per objective and period; a computed value keeps the computation
and parameters that made it (and a later recomputation beside it).

Revision ID: 0011_objectives
Revises: 0006_audits
Create Date: 2026-12-02 00:08:13.398974
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_objectives'
down_revision = '0006_audits'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('objective',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=250), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=30), nullable=False),
    sa.Column('direction', sa.Enum('>=', '<=', name='objective_direction', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('target', sa.Float(), nullable=False),
    sa.Column('frequency', sa.Enum('monthly', 'quarterly', 'semiannual', 'annual', name='objective_frequency', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('method', sa.Enum('manual', 'computed', name='objective_method', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('computation', sa.String(length=60), nullable=True),
    sa.Column('computation_params', sa.JSON(), nullable=False),
    sa.Column('plan_what', sa.Text(), nullable=False),
    sa.Column('plan_resources', sa.Text(), nullable=False),
    sa.Column('plan_who', sa.Text(), nullable=False),
    sa.Column('plan_due_on', sa.Date(), nullable=True),
    sa.Column('plan_evaluation', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("method = 'manual' OR computation IS NOT NULL", name=op.f('ck_objective_computed_has_computation')),
    sa.CheckConstraint('length(code) >= 2', name=op.f('ck_objective_code_length')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_objective_owner_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_objective_process_id_process'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objective')),
    sa.UniqueConstraint('code', name=op.f('uq_objective_code'))
    )
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objective_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objective_process_id'), ['process_id'], unique=False)

    op.create_table('kpi_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sa.Enum('manual', 'imported', 'computed', name='kpi_value_source', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('computation', sa.String(length=60), nullable=True),
    sa.Column('parameters', sa.JSON(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recomputed_value', sa.Float(), nullable=True),
    sa.Column('recomputed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("source != 'computed' OR computation IS NOT NULL", name=op.f('ck_kpi_value_computed_has_computation')),
    sa.CheckConstraint('period_end >= period_start', name=op.f('ck_kpi_value_period_order')),
    sa.ForeignKeyConstraint(['objective_id'], ['objective.id'], name=op.f('fk_kpi_value_objective_id_objective'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_kpi_value_recorded_by_id_user'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_value')),
    sa.UniqueConstraint('objective_id', 'period', name='uq_kpi_value_period')
    )
    with op.batch_alter_table('kpi_value', schema=None) as batch_op:
        batch_op.create_index('ix_kpi_value_objective_start', ['objective_id', 'period_start'], unique=False)



def downgrade():
    with op.batch_alter_table('kpi_value', schema=None) as batch_op:
        batch_op.drop_index('ix_kpi_value_objective_start')

    op.drop_table('kpi_value')
    with op.batch_alter_table('objective', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objective_process_id'))
        batch_op.drop_index(batch_op.f('ix_objective_owner_id'))

    op.drop_table('objective')
