"""scheduler_heartbeat: when each scheduled job last finished, for /health

Revision ID: 5c7e2a9d14b3
Revises: a4d0541ce019
Create Date: 2026-12-07 20:08:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c7e2a9d14b3"
down_revision: str | None = "a4d0541ce019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduler_heartbeat",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_scheduler_heartbeat")),
    )


def downgrade() -> None:
    # Only the scheduler's own timestamps: nothing a person entered is lost.
    op.drop_table("scheduler_heartbeat")
