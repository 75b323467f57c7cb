"""surveys: definitions, waves, imports, responses, aggregates; settings table

Satisfaction surveys [ISO 9001:2015 9.1.2]: survey → versions → questions, waves with their
target sample per department, the saved column mapping, import batches, responses (keyed by
the submission UUID, pseudonymous beneficiary key only) and the aggregates kept at import time
(survey_aggregate, survey_answer_count). Also the generic run-time ``setting`` table
(qms.core.settings).

Revision ID: 0005_surveys
Revises: 0004_nonconformities
Create Date: 2026-11-24 17:17:43.146792

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_surveys'
down_revision = '0004_nonconformities'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('setting',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_setting'))
    )
    op.create_table('survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('webhook_secret_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(code) >= 2', name=op.f('ck_survey_code_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey')),
    sa.UniqueConstraint('code', name=op.f('uq_survey_code'))
    )
    op.create_table('survey_mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_mapping_survey_id_survey'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_mapping')),
    sa.UniqueConstraint('survey_id', name=op.f('uq_survey_mapping_survey_id'))
    )
    op.create_table('survey_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'superseded', name='survey_version_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['published_by_id'], ['user.id'], name=op.f('fk_survey_version_published_by_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_version_survey_id_survey'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_version')),
    sa.UniqueConstraint('survey_id', 'number', name='uq_survey_version_number')
    )
    op.create_table('survey_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('type', sa.Enum('likert5', 'yes_no', 'single', 'multiple', 'number', 'text', name='question_type', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('in_index', sa.Boolean(), nullable=False),
    sa.Column('is_complaint', sa.Boolean(), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=True),
    sa.Column('min_value', sa.Float(), nullable=True),
    sa.Column('max_value', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['survey_version.id'], name=op.f('fk_survey_question_version_id_survey_version'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_question')),
    sa.UniqueConstraint('version_id', 'code', name='uq_survey_question_code')
    )
    with op.batch_alter_table('survey_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_question_version_id'), ['version_id'], unique=False)

    op.create_table('survey_wave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', name='wave_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_survey_wave_period')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['survey_version.id'], name=op.f('fk_survey_wave_questionnaire_id_survey_version'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_survey_wave_survey_id_survey'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_wave')),
    sa.UniqueConstraint('survey_id', 'code', name='uq_survey_wave_code')
    )
    with op.batch_alter_table('survey_wave', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_wave_survey_id'), ['survey_id'], unique=False)

    op.create_table('survey_aggregate',
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('question_code', sa.String(length=60), nullable=False),
    sa.Column('department_code', sa.String(length=2), nullable=False),
    sa.Column('municipality_code', sa.String(length=4), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('total', sa.Float(), nullable=False),
    sa.Column('total_sq', sa.Float(), nullable=False),
    sa.Column('top2', sa.Integer(), nullable=False),
    sa.Column('bottom2', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['survey_wave.id'], name=op.f('fk_survey_aggregate_wave_id_survey_wave'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('wave_id', 'question_code', 'department_code', 'municipality_code', name=op.f('pk_survey_aggregate'))
    )
    op.create_table('survey_answer_count',
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('question_code', sa.String(length=60), nullable=False),
    sa.Column('department_code', sa.String(length=2), nullable=False),
    sa.Column('municipality_code', sa.String(length=4), nullable=False),
    sa.Column('value', sa.String(length=60), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['wave_id'], ['survey_wave.id'], name=op.f('fk_survey_answer_count_wave_id_survey_wave'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('wave_id', 'question_code', 'department_code', 'municipality_code', 'value', name=op.f('pk_survey_answer_count'))
    )
    op.create_table('survey_import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('imported', 'rejected', name='import_batch_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('file_size', sa.BigInteger(), nullable=False),
    sa.Column('file_format', sa.String(length=60), nullable=False),
    sa.Column('skip_invalid', sa.Boolean(), nullable=False),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('rows_imported', sa.Integer(), nullable=False),
    sa.Column('rows_duplicate', sa.Integer(), nullable=False),
    sa.Column('rows_invalid', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_survey_import_batch_actor_id_user'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['wave_id'], ['survey_wave.id'], name=op.f('fk_survey_import_batch_wave_id_survey_wave'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_import_batch'))
    )
    with op.batch_alter_table('survey_import_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_import_batch_file_sha256'), ['file_sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_import_batch_wave_id'), ['wave_id'], unique=False)

    op.create_table('survey_wave_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('department_code', sa.String(length=2), nullable=False),
    sa.Column('target_sample', sa.Integer(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.CheckConstraint('target_sample >= 0', name=op.f('ck_survey_wave_target_target_positive')),
    sa.ForeignKeyConstraint(['wave_id'], ['survey_wave.id'], name=op.f('fk_survey_wave_target_wave_id_survey_wave'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_wave_target')),
    sa.UniqueConstraint('wave_id', 'department_code', name='uq_survey_wave_target_dept')
    )
    op.create_table('survey_response',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('submission_uuid', sa.String(length=64), nullable=False),
    sa.Column('beneficiary_key', sa.String(length=64), nullable=True),
    sa.Column('department_code', sa.String(length=2), nullable=False),
    sa.Column('municipality_code', sa.String(length=4), nullable=True),
    sa.Column('channel', sa.Enum('in_person', 'phone', 'web', 'kobo', name='response_channel', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['survey_import_batch.id'], name=op.f('fk_survey_response_batch_id_survey_import_batch'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['wave_id'], ['survey_wave.id'], name=op.f('fk_survey_response_wave_id_survey_wave'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response')),
    sa.UniqueConstraint('submission_uuid', name=op.f('uq_survey_response_submission_uuid'))
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_response_wave_id'), ['wave_id'], unique=False)



def downgrade():
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_response_wave_id'))

    op.drop_table('survey_response')
    op.drop_table('survey_wave_target')
    with op.batch_alter_table('survey_import_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_import_batch_wave_id'))
        batch_op.drop_index(batch_op.f('ix_survey_import_batch_file_sha256'))

    op.drop_table('survey_import_batch')
    op.drop_table('survey_answer_count')
    op.drop_table('survey_aggregate')
    with op.batch_alter_table('survey_wave', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_wave_survey_id'))

    op.drop_table('survey_wave')
    with op.batch_alter_table('survey_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_question_version_id'))

    op.drop_table('survey_question')
    op.drop_table('survey_version')
    op.drop_table('survey_mapping')
    op.drop_table('survey')
    op.drop_table('setting')
