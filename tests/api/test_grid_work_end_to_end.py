"""Issue 4's walk through the API alone: pull the grid, record visits with photos in batches offline-style,
resend everything, and watch the due-visit list shrink."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from sqlmodel import Session, func, select

from models.enums import Role
from models.grid import Attachment, Visit
from tests.factories import auth_header, make_town, make_user
from tests.services.gridwork.test_attachments import attachments_dir, make_jpeg, sha, stored_files

__all__ = ["attachments_dir"]  # the fixture, imported to be used here


async def test_pull_visit_with_photo_resend_and_the_due_list_shrinks(
    client: httpx.AsyncClient, session: Session, attachments_dir: Path
) -> None:
    town = make_town(session, "990611")
    member = make_user(session, Role.grid_member, town.grid_a1)
    headers = auth_header(member)
    device = str(uuid.uuid4())

    # The worker creates three households offline, then syncs.
    households = [str(uuid.uuid4()) for _ in range(3)]
    create = [
        {
            "op_id": str(uuid.uuid4()),
            "entity": "household",
            "action": "create",
            "entity_id": household_id,
            "fields": {"grid_id": town.grid_a1.id, "head_name": f"户主{i}", "address_text": f"一组{i}号"},
        }
        for i, household_id in enumerate(households, start=1)
    ]
    pushed = await client.post("/api/v1/sync/push", json={"device_id": device, "ops": create}, headers=headers)
    assert [r["status"] for r in pushed.json()["results"]] == ["applied"] * 3, pushed.text

    pulled = await client.get("/api/v1/sync/pull", params={"device_id": device}, headers=headers)
    assert pulled.status_code == 200
    assert {c["id"] for c in pulled.json()["changes"] if c["entity"] == "household"} >= set(households)

    due = await client.get("/api/v1/visits/due", headers=headers)
    assert {d["household_id"] for d in due.json()} >= set(households)

    # Two visits in one batch, one with a photo; the batch is sent three times (lost answers).
    photo = make_jpeg()
    photo_id = str(uuid.uuid4())
    visits = [
        {
            "op_id": str(uuid.uuid4()),
            "entity": "visit",
            "action": "create",
            "entity_id": str(uuid.uuid4()),
            "fields": {
                "household_id": household_id,
                "visited_at": "2026-11-25T10:00:00+08:00",
                "notes": "入户走访",
                "items": [
                    {
                        "id": str(uuid.uuid4()),
                        "kind": "difficulty",
                        "description": "屋顶漏雨",
                        "outcome": "noted",
                    }
                ],
            },
            "attachments": [
                {"attachment_id": photo_id, "sha256": sha(photo), "bytes": len(photo), "mime": "image/jpeg"}
            ]
            if household_id == households[0]
            else [],
        }
        for household_id in households[:2]
    ]
    answers = []
    for _ in range(3):
        sent = await client.post("/api/v1/sync/push", json={"device_id": device, "ops": visits}, headers=headers)
        answers.append([r["status"] for r in sent.json()["results"]])
        missing = sent.json()["missing_attachments"]
    assert answers == [["applied", "applied"], ["duplicate", "duplicate"], ["duplicate", "duplicate"]]
    assert missing == [photo_id]
    count = session.exec(select(func.count()).select_from(Visit).where(Visit.visitor_id == member.id)).one()
    assert count == 2

    # The photo goes up after its record, twice: one file, and the visit no longer misses it.
    for _ in range(2):
        put = await client.put(
            f"/api/v1/attachments/{photo_id}",
            content=photo,
            headers=headers | {"X-Content-SHA256": sha(photo), "Content-Type": "image/jpeg"},
        )
        assert put.status_code == 200, put.text
    assert len(stored_files(attachments_dir)) == 1
    stored = session.get(Attachment, uuid.UUID(photo_id))
    assert stored is not None and stored.uploaded_at is not None and stored.visit_id is not None
    again = await client.post("/api/v1/sync/push", json={"device_id": device, "ops": visits}, headers=headers)
    assert again.json()["missing_attachments"] == []

    # Visited households leave the due list; the third is still waiting.
    after = {d["household_id"] for d in (await client.get("/api/v1/visits/due", headers=headers)).json()}
    assert households[2] in after and households[0] not in after and households[1] not in after
