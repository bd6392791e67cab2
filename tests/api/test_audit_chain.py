"""The auditor's check of the audit chain: auditors only, the first broken row named, the check audited."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlmodel import Session, col, select

from models.audit import AuditLog
from models.enums import Role
from services import audit
from tests.factories import auth_header, make_town, make_user

URL = "/api/v1/audit-log/verify"


async def test_auditors_verify_the_chain_and_the_check_is_audited(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session)
    auditor = make_user(session, Role.auditor, town.district)
    for role in (Role.admin, Role.town_cadre):
        response = await client.get(URL, headers=auth_header(make_user(session, role, town.town)))
        assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
    assert (await client.get(URL)).status_code == 401

    response = await client.get(URL, headers=auth_header(auditor))
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["first_broken"] is None and body["rows_checked"] >= 0
    last = session.exec(select(AuditLog).order_by(col(AuditLog.seq).desc())).first()
    assert last is not None and (last.action, last.actor_id, last.result) == ("audit_verify", auditor.id, "ok")
    assert last.detail == {"rows_checked": body["rows_checked"], "first_broken": None}


async def test_an_edited_reason_is_named(client: httpx.AsyncClient, session: Session) -> None:
    town = make_town(session)
    auditor = make_user(session, Role.auditor, town.district)
    entry = audit.record(session, "reveal_phone", target_type="household", target_id=7, reason="回访核实诉求")
    audit.record(session, "export")
    session.execute(text("UPDATE audit_log SET reason = '例行回访' WHERE id = :id"), {"id": entry.id})
    response = await client.get(URL, headers=auth_header(auditor))
    assert response.status_code == 200
    broken = response.json()["first_broken"]
    assert response.json()["ok"] is False
    assert (broken["seq"], broken["id"], broken["reason"]) == (entry.seq, entry.id, "hash_mismatch")
    assert "被修改" in broken["message"]
