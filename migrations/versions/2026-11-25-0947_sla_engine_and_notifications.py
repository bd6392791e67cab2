"""sla engine and notifications

Revision ID: f36912998c5f
Revises: 146142c43e96
Create Date: 2026-11-25 09:47:36.315887
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = 'f36912998c5f'
down_revision: str | None = '146142c43e96'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# DESIGN.md's defaults by request class: (feedback amount, unit), (response hours). Admins edit them
# afterwards, which makes new versions.
DEFAULT_POLICIES = {
    "emergency": ((2, "hours"), 2),
    "utilities": ((24, "hours"), 24),
    "general": ((7, "calendar_days"), 24),
    "complex": ((15, "calendar_days"), 24),
    "consultation": ((2, "working_days"), 24),
}
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _calendar_rows() -> tuple[list[dict[str, object]], list[int], str]:
    """Every day of every year the chinesecalendar package covers, with its official kind."""
    import chinese_calendar
    from importlib.metadata import version

    years = sorted({d.year for d in chinese_calendar.holidays} | {d.year for d in chinese_calendar.workdays})
    rows: list[dict[str, object]] = []
    for year in years:
        day = date(year, 1, 1)
        while day.year == year:
            weekend = day.weekday() >= 5
            off, name = chinese_calendar.get_holiday_detail(day)
            if day in chinese_calendar.workdays:
                kind, working = "makeup_workday", True
            elif day in chinese_calendar.holidays:
                kind, working = "holiday", False
            else:
                kind, working = ("weekend", False) if weekend else ("workday", True)
            assert working != off, day
            label = HOLIDAY_NAMES.get(name, name) if name and kind in ("holiday", "makeup_workday") else None
            rows.append({"day": day, "is_workday": working, "kind": kind, "name": label})
            day += timedelta(days=1)
    return rows, years, f"chinesecalendar {version('chinesecalendar')}"


def _seed() -> None:
    now = datetime.now(UTC)
    calendar_day = sa.table(
        "work_calendar_day",
        sa.column("day", sa.Date()),
        sa.column("is_workday", sa.Boolean()),
        sa.column("kind", sa.String()),
        sa.column("name", sa.String()),
    )
    calendar_year = sa.table(
        "work_calendar_year",
        sa.column("year", sa.Integer()),
        sa.column("source", sa.String()),
        sa.column("imported_at", sa.DateTime(timezone=True)),
    )
    rows, years, source = _calendar_rows()
    op.bulk_insert(calendar_day, rows)
    op.bulk_insert(calendar_year, [{"year": year, "source": source, "imported_at": now} for year in years])

    policy = sa.table(
        "sla_policy",
        *(sa.column(name) for name in ("scope", "request_class", "clock", "version", "is_current", "amount", "unit")),
        *(sa.column(name) for name in ("warn_percent", "leadership_after_days", "created_at")),
        sa.column("quiet_start", sa.Time()),
        sa.column("quiet_end", sa.Time()),
        sa.column("pause_statuses", sa.JSON()),
    )
    common = {
        "version": 1,
        "is_current": True,
        "warn_percent": 70,
        "leadership_after_days": 2,
        "quiet_start": time(22, 0),
        "quiet_end": time(7, 0),
        "pause_statuses": [],
        "created_at": now,
    }
    policies = []
    for request_class, ((amount, unit), response_hours) in DEFAULT_POLICIES.items():
        scope = {"scope": f"class:{request_class}", "request_class": request_class}
        policies.append(scope | common | {"clock": "feedback", "amount": amount, "unit": unit})
        policies.append(scope | common | {"clock": "response", "amount": response_hours, "unit": "hours"})
    op.bulk_insert(policy, policies)
    _backfill_feedback_timers(now)


def _backfill_feedback_timers(now: datetime) -> None:
    """Requests still waiting for feedback get a feedback timer on their class's first policy,
    due when they were already due."""
    bind = op.get_bind()
    pending = bind.execute(
        sa.text(
            "SELECT r.id, r.cycle, r.registered_at, r.feedback_due_at, p.id AS policy_id"
            " FROM resident_request r JOIN sla_policy p"
            " ON p.scope = 'class:' || r.request_class AND p.clock = 'feedback' AND p.version = 1"
            " WHERE r.feedback_met_at IS NULL AND r.status NOT IN ('closed', 'not_accepted', 'replied')"
        )
    ).all()
    timer = sa.table(
        "sla_timer",
        sa.column("resident_request_id", sa.Uuid()),
        *(sa.column(name) for name in ("clock", "cycle", "policy_id", "stage", "provisional", "paused_seconds")),
        *(sa.column(name, sa.DateTime(timezone=True)) for name in ("started_at", "warn_at", "due_at")),
        sa.column("next_action_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    rows = []
    for row in pending:
        started, due = _aware(row.registered_at), _aware(row.feedback_due_at)
        warn = started + (due - started) * 70 / 100
        rows.append(
            {
                "resident_request_id": row.id,
                "clock": "feedback",
                "cycle": row.cycle,
                "policy_id": row.policy_id,
                "stage": 0,
                "provisional": False,
                "paused_seconds": 0,
                "started_at": started,
                "warn_at": warn,
                "due_at": due,
                "next_action_at": warn,
                "updated_at": now,
            }
        )
    if rows:
        op.bulk_insert(timer, rows)


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite hands back text for raw queries
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('work_calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=True),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_work_calendar_day'))
    )
    op.create_table('push_subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=1000), nullable=False),
    sa.Column('p256dh', sa.String(length=200), nullable=False),
    sa.Column('auth', sa.String(length=100), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_push_subscription_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscription')),
    sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscription_endpoint'))
    )
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscription_user_id'), ['user_id'], unique=False)

    op.create_table('sla_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('request_class', sa.String(length=16), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('clock', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('warn_percent', sa.Integer(), nullable=False),
    sa.Column('leadership_after_days', sa.Integer(), nullable=False),
    sa.Column('quiet_start', sa.Time(), nullable=False),
    sa.Column('quiet_end', sa.Time(), nullable=False),
    sa.Column('pause_statuses', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_sla_policy_category_id_category')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_sla_policy_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policy')),
    sa.UniqueConstraint('scope', 'clock', 'version', name=op.f('uq_sla_policy_scope_clock_version'))
    )
    with op.batch_alter_table('sla_policy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_policy_is_current'), ['is_current'], unique=False)

    op.create_table('work_calendar_year',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['imported_by_id'], ['user_account.id'], name=op.f('fk_work_calendar_year_imported_by_id_user_account')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_work_calendar_year'))
    )
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.String(length=2000), nullable=False),
    sa.Column('resident_request_id', sa.Uuid(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['recipient_id'], ['user_account.id'], name=op.f('fk_notification_recipient_id_user_account')),
    sa.ForeignKeyConstraint(['resident_request_id'], ['resident_request.id'], name=op.f('fk_notification_resident_request_id_resident_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notification_dedupe_key'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_pending_next_attempt_at', ['next_attempt_at'], unique=False, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.create_index('ix_notification_recipient_id_channel_id', ['recipient_id', 'channel', 'id'], unique=False)

    op.create_table('sla_timer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_request_id', sa.Uuid(), nullable=False),
    sa.Column('clock', sa.String(length=16), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('warn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_action_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('provisional', sa.Boolean(), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_seconds', sa.Integer(), nullable=False),
    sa.Column('extended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('met_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('breached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['policy_id'], ['sla_policy.id'], name=op.f('fk_sla_timer_policy_id_sla_policy')),
    sa.ForeignKeyConstraint(['resident_request_id'], ['resident_request.id'], name=op.f('fk_sla_timer_resident_request_id_resident_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_timer')),
    sa.UniqueConstraint('resident_request_id', 'clock', 'cycle', name=op.f('uq_sla_timer_resident_request_id_clock_cycle'))
    )
    with op.batch_alter_table('sla_timer', schema=None) as batch_op:
        batch_op.create_index('ix_sla_timer_live_next_action_at', ['next_action_at'], unique=False, sqlite_where=sa.text('next_action_at IS NOT NULL'), postgresql_where=sa.text('next_action_at IS NOT NULL'))
        batch_op.create_index(batch_op.f('ix_sla_timer_policy_id'), ['policy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sla_timer_resident_request_id'), ['resident_request_id'], unique=False)

    # ### end Alembic commands ###
    _seed()


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('sla_timer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_timer_resident_request_id'))
        batch_op.drop_index(batch_op.f('ix_sla_timer_policy_id'))
        batch_op.drop_index('ix_sla_timer_live_next_action_at', sqlite_where=sa.text('next_action_at IS NOT NULL'), postgresql_where=sa.text('next_action_at IS NOT NULL'))

    op.drop_table('sla_timer')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_recipient_id_channel_id')
        batch_op.drop_index('ix_notification_pending_next_attempt_at', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.drop_table('notification')
    op.drop_table('work_calendar_year')
    with op.batch_alter_table('sla_policy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_policy_is_current'))

    op.drop_table('sla_policy')
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_subscription_user_id'))

    op.drop_table('push_subscription')
    op.drop_table('work_calendar_day')
    # ### end Alembic commands ###
