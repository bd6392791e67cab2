"""Household use cases: what is stored encrypted, what the change log gets, imports all or nothing."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from core.clock import utc_now
from core.crypto import get_cipher
from models.enums import Role
from models.grid import Household, Resident, SyncChange
from models.household_schemas import HouseholdCreate, ResidentCreate, ResidentUpdate
from services.gridwork import households
from services.gridwork.households import ImportRejected
from tests.factories import actor_of, make_town, make_user

ID_NUMBER = "99010019491231003X"


def test_residents_are_encrypted_indexed_and_versioned_in_the_change_log(session: Session) -> None:
    town = make_town(session)
    actor = actor_of(session, make_user(session, Role.grid_member, town.grid_a1))
    assert town.grid_a1.id is not None
    now = utc_now()
    household = households.create(
        session, actor, HouseholdCreate(grid_id=town.grid_a1.id, head_name="张三", address_text="一组"), now=now
    )
    resident = households.add_resident(
        session, household, ResidentCreate(name="张小三", id_number=ID_NUMBER.lower(), phone="13900001111"), now=now
    )
    stored = session.get(Resident, resident.id)
    assert stored is not None and stored.id_number_ciphertext is not None
    assert ID_NUMBER not in stored.id_number_ciphertext
    assert get_cipher().decrypt(stored.id_number_ciphertext) == ID_NUMBER
    assert stored.id_number_index == get_cipher().blind_index(ID_NUMBER) and stored.id_number_last4 == "003X"
    households.update_resident(session, household, resident, ResidentUpdate(id_number=None), now=now)
    assert stored.id_number_ciphertext is None and stored.id_number_last4 is None
    versions = session.exec(
        select(SyncChange.version).where(SyncChange.entity_id == resident.id).order_by(col(SyncChange.version))
    ).all()
    assert versions == [1, 2]


def test_import_writes_nothing_when_a_row_fails(session: Session) -> None:
    town = make_town(session)
    actor = actor_of(session, make_user(session, Role.grid_leader, town.grid_a1))
    assert town.grid_a1.id is not None
    text = "head_name,address,phone,member_count,notes\n张三,一组,,1,\n,二组,,1,\n张三,一组,,1,\n"
    with pytest.raises(ImportRejected) as rejected:
        households.import_csv(session, actor, town.grid_a1.id, text, now=utc_now())
    assert [d["loc"] for d in rejected.value.detail] == [["body", "row 3", "head_name"], ["body", "row 4", "head_name"]]
    assert session.exec(select(Household)).all() == []
    assert session.exec(select(SyncChange)).all() == []
    count = households.import_csv(session, actor, town.grid_a1.id, text.rsplit("\n", 3)[0] + "\n", now=utc_now())
    assert count == 1
    assert len(session.exec(select(SyncChange).where(SyncChange.entity == "household")).all()) == 1
