"""The demo town's households: eight per grid, some on a ledger, some visited recently, some never.

Synthetic like the rest of the demo: residents' phones are the placeholder series 1390099xxxx."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from core.crypto import get_cipher
from models.grid import Household, LedgerEnrolment, LedgerType, Visit
from services.gridwork.sync_log import record_change

if TYPE_CHECKING:
    from bandeng.demo import Demo

HOUSEHOLDS_PER_GRID = 8


def seed_households(session: Session, demo: Demo, villages: list[str], now: datetime) -> int:
    """Households in every grid; some on a ledger, some visited recently, some never — so due-visit lists
    have something to show."""
    cipher = get_cipher()
    ledgers = {t.code: t for t in session.exec(select(LedgerType)).all()}
    count = 0
    for v, village_name in enumerate(villages, start=1):
        for g in range(1, 4):
            grid, member = demo.units[f"v{v}g{g}"], demo.actors[f"v{v}g{g}member"]
            assert grid.id is not None
            for n in range(1, HOUSEHOLDS_PER_GRID + 1):
                phone = cipher.seal_phone(f"1390099{v}{g}{n:02d}")
                household = Household(
                    grid_id=grid.id,
                    head_name=f"户主{v}{g}{n:02d}（示例）",
                    address_text=f"{village_name}{g}组{n}号",
                    phone_ciphertext=phone.ciphertext,
                    phone_index=phone.blind_index,
                    phone_last4=phone.last4,
                    member_count=1 + n % 4,
                    created_by_id=member.id,
                    created_at=now,
                    updated_at=now,
                )
                session.add(household)
                record_change(session, grid_id=grid.id, entity="household", entity_id=household.id, version=1, now=now)
                ledger = (
                    ledgers.get("elderly_alone")
                    if n % 4 == 0
                    else ledgers.get("left_behind_child")
                    if n % 5 == 0
                    else None
                )
                if ledger is not None and ledger.id is not None:
                    session.add(
                        LedgerEnrolment(
                            ledger_type_id=ledger.id,
                            household_id=household.id,
                            attributes={},
                            responsible_user_id=member.id,
                            enrolled_at=now - timedelta(days=60),
                        )
                    )
                if n % 3 != 0:  # every third household has never been visited
                    visited = now - timedelta(days=n * 4)
                    visit = Visit(
                        grid_id=grid.id,
                        household_id=household.id,
                        visitor_id=member.id,
                        notes="入户走访，了解近况（示例）",
                        visited_at=visited,
                        received_at=visited,
                    )
                    session.add(visit)
                    record_change(session, grid_id=grid.id, entity="visit", entity_id=visit.id, version=1, now=now)
                count += 1
    session.flush()
    return count
