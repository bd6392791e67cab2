"""callbacks (回访), append-only; requests indexed by status and reply time (待回访, 未评价结案)

Revision ID: 13b78be13e75
Revises: 648876f985b4
Create Date: 2026-12-07 18:48:53.282416
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.guard import refuse_to_lose

revision: str = '13b78be13e75'
down_revision: str | None = '648876f985b4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('callback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_request_id', sa.Uuid(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('satisfaction', sa.String(length=24), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('called_by_id', sa.Integer(), nullable=False),
    sa.Column('called_unit_id', sa.Integer(), nullable=False),
    sa.Column('called_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['called_by_id'], ['user_account.id'], name=op.f('fk_callback_called_by_id_user_account')),
    sa.ForeignKeyConstraint(['called_unit_id'], ['org_unit.id'], name=op.f('fk_callback_called_unit_id_org_unit')),
    sa.ForeignKeyConstraint(['resident_request_id'], ['resident_request.id'], name=op.f('fk_callback_resident_request_id_resident_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback')),
    sa.UniqueConstraint('resident_request_id', 'cycle', 'attempt', name=op.f('uq_callback_resident_request_id_cycle_attempt'))
    )
    with op.batch_alter_table('callback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_called_at'), ['called_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_callback_resident_request_id'), ['resident_request_id'], unique=False)

    op.create_index('ix_resident_request_status_replied_at', 'resident_request', ['status', 'replied_at'], unique=False)


def downgrade() -> None:
    refuse_to_lose("callback")
    op.drop_index('ix_resident_request_status_replied_at', table_name='resident_request')
    with op.batch_alter_table('callback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_callback_resident_request_id'))
        batch_op.drop_index(batch_op.f('ix_callback_called_at'))

    op.drop_table('callback')
