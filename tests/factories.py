"""Plain factory functions: they add and flush, never commit, so every test rolls back cleanly."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from core.clock import utc_now
from core.crypto import get_cipher
from core.security import create_access_token, hash_password
from models.enums import Role, UnitKind
from models.org import OrgUnit
from models.resident_request import ResidentRequest
from models.user import User
from services.actor import Actor
from services.people.org import add_unit

DEFAULT_PASSWORD = "Grid-2026-ok"
_mobiles = itertools.count(13900000001)


@lru_cache
def _default_hash() -> str:
    return hash_password(DEFAULT_PASSWORD)


@dataclass
class Town:
    district: OrgUnit
    town: OrgUnit
    village_a: OrgUnit
    village_b: OrgUnit
    grid_a1: OrgUnit
    grid_a2: OrgUnit
    grid_b1: OrgUnit
    department: OrgUnit


def make_town(session: Session, prefix: str = "990101") -> Town:
    """A district with one town, two villages of two and one grids, and one department."""
    district = add_unit(session, UnitKind.district, "测试区", prefix, None)
    town = add_unit(session, UnitKind.town, "测试镇", f"{prefix}101", district)
    village_a = add_unit(session, UnitKind.village, "甲村", f"{prefix}101201", town)
    village_b = add_unit(session, UnitKind.village, "乙村", f"{prefix}101202", town)
    return Town(
        district=district,
        town=town,
        village_a=village_a,
        village_b=village_b,
        grid_a1=add_unit(session, UnitKind.grid, "甲村第一网格", f"{prefix}101201001", village_a),
        grid_a2=add_unit(session, UnitKind.grid, "甲村第二网格", f"{prefix}101201002", village_a),
        grid_b1=add_unit(session, UnitKind.grid, "乙村第一网格", f"{prefix}101202001", village_b),
        department=add_unit(session, UnitKind.department, "镇水务站", f"{prefix}101D01", town),
    )


def make_user(
    session: Session,
    role: Role,
    unit: OrgUnit,
    *,
    name: str = "测试用户",
    mobile: str | None = None,
    password: str | None = None,
    must_change_password: bool = False,
) -> User:
    phone = mobile or str(next(_mobiles))
    sealed = get_cipher().seal_phone(phone)
    assert unit.id is not None
    user = User(
        name=name,
        mobile_ciphertext=sealed.ciphertext,
        mobile_index=sealed.blind_index,
        mobile_last4=sealed.last4,
        role=role,
        org_unit_id=unit.id,
        password_hash=hash_password(password) if password else _default_hash(),
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    return user


def actor_of(session: Session, user: User) -> Actor:
    unit = session.get(OrgUnit, user.org_unit_id)
    assert unit is not None and user.id is not None
    return Actor(id=user.id, role=Role(user.role), unit_id=unit.id or 0, unit_path=unit.path, name=user.name)


def auth_header(user: User) -> dict[str, str]:
    assert user.id is not None
    token = create_access_token(
        subject=user.id, token_version=user.token_version, must_change=user.must_change_password, now=utc_now()
    )
    return {"Authorization": f"Bearer {token}"}


def category_id(session: Session, name: str = "基础设施") -> int:
    """Id of a category seeded by the first migration."""
    from sqlmodel import select

    from models.resident_request import Category

    found = session.exec(select(Category.id).where(Category.name == name)).first()
    assert found is not None
    return found


def make_resident_request(
    session: Session,
    actor: Actor,
    unit: OrgUnit,
    *,
    description: str = "村口路灯不亮",
    phone: str | None = "13812341234",
    category: str = "基础设施",
    now: datetime | None = None,
) -> ResidentRequest:
    """A registered request through the real service (routing, event and deadline included)."""
    from models.enums import Channel
    from models.resident_request_schemas import ResidentRequestCreate
    from services.requests.resident_requests import Registration, register

    assert unit.id is not None
    data = ResidentRequestCreate(
        channel=Channel.visit,
        category_id=category_id(session, category),
        description=description,
        unit_id=unit.id,
        reporter_phone=phone,
    )
    return register(session, Registration(data, actor), now=now or utc_now()).resident_request


def run_at_once(count: int, work: Callable[[], None]) -> list[BaseException]:
    """`work` in `count` threads released together (a barrier), for races; returns what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def stationing_body(town: Town, cadre: User, **extra: Any) -> dict[str, Any]:
    """A POST /stationings body: the cadre at village A, Tuesdays 09:00–11:30, weekly; `extra` overrides."""
    return {
        "village_id": town.village_a.id,
        "cadre_id": cadre.id,
        "title": "镇党委委员",
        "work_phone": "0757-86281234",
        "weekday": 1,
        "start_time": "09:00",
        "end_time": "11:30",
        "place": "甲村党群服务中心",
    } | extra


def make_replied_request(
    session: Session, staff: User, handler: User, unit: OrgUnit, *, now: datetime, phone: str | None = "13812341234"
) -> ResidentRequest:
    """A request registered by `handler` in `unit`, accepted and dispatched to them by `staff`, then answered
    (substantive) by `handler`: the actions run through the real service, a minute apart from `now`."""
    from datetime import timedelta

    from models.resident_request_schemas import ActionCommand
    from services.requests.request_actions import act

    rr = make_resident_request(session, actor_of(session, handler), unit, phone=phone, now=now)
    steps: list[tuple[User, dict[str, Any]]] = [
        (staff, {"action": "accept"}),
        (staff, {"action": "dispatch", "handling_unit_id": unit.id, "handler_id": handler.id}),
        (handler, {"action": "start"}),
        (handler, {"action": "first_contact", "note": "已电话联系"}),
        (handler, {"action": "reply", "closure_type": "substantive", "note": "已修好"}),
    ]
    for minutes, (user, command) in enumerate(steps, start=1):
        act(
            session,
            rr,
            ActionCommand.model_validate(command),
            actor=actor_of(session, user),
            now=now + timedelta(minutes=minutes),
        )
    return rr
