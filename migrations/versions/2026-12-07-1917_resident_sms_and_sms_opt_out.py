"""resident SMS: notification rows with no account (channel resident_sms, the request's reporter), indexed by
request; resident_request.reporter_sms_opt_out (居民不接收短信)

Revision ID: 435043a39db9
Revises: ccf6bfb7a01b
Create Date: 2026-12-07 19:17:40.262289
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.guard import refuse_to_lose

revision: str = "435043a39db9"
down_revision: str | None = "ccf6bfb7a01b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCOUNT_OR_RESIDENT = (
    "(channel = 'resident_sms' AND recipient_id IS NULL AND resident_request_id IS NOT NULL)"
    " OR (channel <> 'resident_sms' AND recipient_id IS NOT NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.alter_column("recipient_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_check_constraint("account_or_resident", ACCOUNT_OR_RESIDENT)
        batch_op.create_index("ix_notification_resident_request_id_kind", ["resident_request_id", "kind"], unique=False)

    with op.batch_alter_table("resident_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reporter_sms_opt_out", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    refuse_to_lose(where={"resident_request": "reporter_sms_opt_out"})
    with op.batch_alter_table("resident_request", schema=None) as batch_op:
        batch_op.drop_column("reporter_sms_opt_out")

    # Messages to residents have no account to keep them under: they go with the column's nullability.
    op.execute("DELETE FROM notification WHERE channel = 'resident_sms'")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_resident_request_id_kind")
        batch_op.drop_constraint(op.f("ck_notification_account_or_resident"), type_="check")
        batch_op.alter_column("recipient_id", existing_type=sa.INTEGER(), nullable=False)
