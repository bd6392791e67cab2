"""indexes for period measures: clocks by due time, ratings by when they were given

Revision ID: 648876f985b4
Revises: 223c1529b60a
Create Date: 2026-12-01 19:01:47.077843
"""

from collections.abc import Sequence

from alembic import op

revision: str = '648876f985b4'
down_revision: str | None = '223c1529b60a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_rating_rated_at', 'rating', ['rated_at'], unique=False)
    op.create_index('ix_sla_timer_due_at', 'sla_timer', ['due_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sla_timer_due_at', table_name='sla_timer')
    op.drop_index('ix_rating_rated_at', table_name='rating')
