"""audit chain: seq, prev_hash and row_hash on audit_log, and the one-row chain head that writers lock;
duty_log_revision and household_revision, what rewrites and edits replaced

The rows already there are chained here, in id order, with BANDENG_AUDIT_KEY (set it before upgrading): the
chain proves they have not changed since this upgrade, not before it. The head starts at the last of them
(or at seq 0 and the genesis hash of zeros on an empty log).

Revision ID: a4d0541ce019
Revises: 435043a39db9
Create Date: 2026-12-07 19:43:11.364676
"""

from collections.abc import Sequence
from datetime import UTC

import sqlalchemy as sa
from alembic import op

from core.settings import get_settings
from migrations.guard import refuse_to_lose
from services.rules import audit_chain

revision: str = "a4d0541ce019"
down_revision: str | None = "435043a39db9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIELDS = ("id", *audit_chain.CONTENT_FIELDS, "detail")
audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer()),
    sa.column("at", sa.DateTime(timezone=True)),
    *(sa.column(name, sa.String()) for name in audit_chain.CONTENT_FIELDS if name not in ("at", "actor_id")),
    sa.column("actor_id", sa.Integer()),
    sa.column("detail", sa.JSON()),
    sa.column("seq", sa.BigInteger()),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)


def _chain_existing_rows() -> tuple[int, str]:
    key = get_settings().audit_key.encode()
    conn = op.get_bind()
    seq, prev = 0, audit_chain.GENESIS_HASH
    query = sa.select(*(audit_log.c[name] for name in FIELDS)).order_by(audit_log.c.id)
    for found in conn.execute(query).mappings().all():
        row = dict(found)
        row["at"] = row["at"].replace(tzinfo=UTC) if row["at"].tzinfo is None else row["at"]
        seq += 1
        row.update(seq=seq, prev_hash=prev)
        prev = audit_chain.row_hash(key, row)
        update = audit_log.update().where(audit_log.c.id == row["id"]).values(seq=seq, prev_hash=row["prev_hash"])
        conn.execute(update.values(row_hash=prev))
    return seq, prev


def upgrade() -> None:
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    seq, last = _chain_existing_rows()
    op.bulk_insert(head, [{"id": 1, "seq": seq, "row_hash": last}])
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_log_seq"), ["seq"])
    _create_duty_log_revision()
    _create_household_revision()


def _create_household_revision() -> None:
    op.create_table(
        "household_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["user_account.id"], name=op.f("fk_household_revision_changed_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_household_revision_household_id_household")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_revision")),
    )
    op.create_index(op.f("ix_household_revision_household_id"), "household_revision", ["household_id"], unique=False)


def _create_duty_log_revision() -> None:
    op.create_table(
        "duty_log_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reception_session_id", sa.Integer(), nullable=False),
        sa.Column("duty_log", sa.String(length=4000), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_by_id", sa.Integer(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reception_session_id"],
            ["reception_session.id"],
            name=op.f("fk_duty_log_revision_reception_session_id_reception_session"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user_account.id"], name=op.f("fk_duty_log_revision_recorded_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"], ["user_account.id"], name=op.f("fk_duty_log_revision_replaced_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_log_revision")),
    )
    op.create_index(
        op.f("ix_duty_log_revision_reception_session_id"), "duty_log_revision", ["reception_session_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_household_revision_household_id"), table_name="household_revision")
    op.drop_table("household_revision")
    refuse_to_lose("duty_log_revision")  # seq and the hashes are computed, not entered
    op.drop_index(op.f("ix_duty_log_revision_reception_session_id"), table_name="duty_log_revision")
    op.drop_table("duty_log_revision")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_log_seq"), type_="unique")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")

    op.drop_table("audit_chain_head")
