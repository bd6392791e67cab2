"""A rewritten duty log (驻点日志) keeps the text it replaced, with who recorded it, who replaced it and when."""

from __future__ import annotations

from datetime import time, timedelta

import httpx
from sqlmodel import Session, col, select

from core.clock import utc_now
from models.enums import Role
from models.stationing import DutyLogRevision, ReceptionSession
from services.clocks.calendar import local_today
from tests.factories import auth_header, make_town, make_user, stationing_body


async def test_rewrites_keep_the_previous_text(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session)
    cadre = make_user(session, Role.town_cadre, town.town, name="李驻点")
    body = stationing_body(
        town, cadre, start_time="14:30", end_time="17:30", place="甲村村委会", starts_on="2026-01-06"
    )
    created = await client.post("/api/v1/stationings", json=body, headers=auth_header(cadre))
    assert created.status_code == 201, created.text
    yesterday = local_today(utc_now()) - timedelta(days=1)
    reception = ReceptionSession(
        stationing_id=created.json()["id"],
        slot_on=yesterday,
        held_on=yesterday,
        start_time=time(14, 30),
        end_time=time(17, 30),
        place="甲村村委会",
    )
    session.add(reception)
    session.flush()
    url, headers = f"/api/v1/reception-sessions/{reception.id}", auth_header(cadre)
    assert (await client.post(f"{url}/attendance", json={"status": "held"}, headers=headers)).status_code == 200
    for text in ("接待群众 3 人", "接待群众 3 人", "接待群众 4 人，当场解决 1 件"):
        logged = await client.put(f"{url}/duty-log", json={"duty_log": text}, headers=headers)
        assert logged.status_code == 200, logged.text
    query = select(DutyLogRevision).where(DutyLogRevision.reception_session_id == reception.id)
    revisions = session.exec(query.order_by(col(DutyLogRevision.id))).all()
    assert [(r.duty_log, r.recorded_by_id, r.replaced_by_id) for r in revisions] == [
        ("接待群众 3 人", cadre.id, cadre.id)
    ]
    assert revisions[0].recorded_at <= revisions[0].replaced_at
