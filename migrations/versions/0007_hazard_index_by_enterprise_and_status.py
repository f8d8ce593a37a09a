"""hazard index by enterprise and status

Revision ID: 0007
Revises: 0006

The hazard board filters an area's enterprises by status; with this index PostgreSQL keeps a
fast plan for the name search (bench/README.md). It replaces the index on enterprise_id alone.
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.create_index('ix_hazard_enterprise_id_status', ['enterprise_id', 'status'], unique=False)
        batch_op.drop_index('ix_hazard_enterprise_id')


def downgrade():
    with op.batch_alter_table('hazard', schema=None) as batch_op:
        batch_op.create_index('ix_hazard_enterprise_id', ['enterprise_id'], unique=False)
        batch_op.drop_index('ix_hazard_enterprise_id_status')
