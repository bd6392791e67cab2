"""revoked_access_token: access tokens (jti) and sign-ins (sid) ended before expiry; attachments by uploader and
upload time (the daily photo quota)

Revision ID: ccf6bfb7a01b
Revises: 5cba7071e457
Create Date: 2026-12-07 19:10:34.403875
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'ccf6bfb7a01b'
down_revision: str | None = '5cba7071e457'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('revoked_access_token',
    sa.Column('token_id', sa.String(length=36), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token_id', name=op.f('pk_revoked_access_token'))
    )
    with op.batch_alter_table('revoked_access_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revoked_access_token_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index('ix_attachment_created_by_id_uploaded_at', ['created_by_id', 'uploaded_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index('ix_attachment_created_by_id_uploaded_at')

    with op.batch_alter_table('revoked_access_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revoked_access_token_expires_at'))

    op.drop_table('revoked_access_token')
