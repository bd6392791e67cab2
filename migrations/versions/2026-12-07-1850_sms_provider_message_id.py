"""notification.provider_message_id: the SMS provider's id of a sent message (Aliyun BizId, Tencent SerialNo)

Revision ID: 5cba7071e457
Revises: 13b78be13e75
Create Date: 2026-12-07 18:50:12.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5cba7071e457'
down_revision: str | None = '13b78be13e75'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_message_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('provider_message_id')
