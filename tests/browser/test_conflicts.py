"""住户信息冲突 in the PWA: the same household's notes changed in the system and on an offline phone; the
village staff see both values and keep the phone's, and the household carries it from then on."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, sign_in

GRID_MEMBER, GRID_LEADER, VILLAGE_STAFF = "13800000006", "13800000005", "13800000004"  # 东湖村 (bandeng/demo.py)


def _conflict(server: LiveServer) -> dict[str, object]:
    """The leader edits a household's notes; the member's phone, still on the old copy, edits them too."""
    member, leader = server.token(GRID_MEMBER), server.token(GRID_LEADER)
    household = server.api("GET", "/households?limit=1", token=member)["items"][0]
    base = {"notes": household["notes"]}
    edit = {"base_version": household["version"], "notes": "系统：低保户，已核实"}
    server.api("PATCH", f"/households/{household['id']}", edit, token=leader)
    op = {
        "op_id": str(uuid.uuid4()),
        "entity": "household",
        "action": "update",
        "entity_id": household["id"],
        "base_version": household["version"],
        "base_fields": base,
        "fields": {"notes": "手机：独居老人，需每周走访"},
    }
    pushed = server.api("POST", "/sync/push", {"device_id": str(uuid.uuid4()), "ops": [op]}, token=member)
    assert pushed["results"][0]["status"] == "conflict", pushed
    return dict(household)


def test_village_staff_keep_the_phones_value(page: Page, live_server: LiveServer) -> None:
    household = _conflict(live_server)
    sign_in(page, live_server, VILLAGE_STAFF)
    expect(page).to_have_url(re.compile(r"#/staff$"))
    page.get_by_role("link", name="住户冲突").click()
    expect(page.get_by_role("heading", name="住户信息冲突")).to_be_visible()
    card = page.locator(".conflict").filter(has_text=str(household["head_name"])).filter(has_text="备注")
    expect(card.locator(".conflict-server")).to_have_text("系统：低保户，已核实")
    expect(card.locator(".conflict-client")).to_have_text("手机：独居老人，需每周走访")
    page.screenshot(path="/tmp/bandeng-conflicts.png", full_page=True)
    card.get_by_role("button", name="保留手机值").click()
    expect(page.locator("#toast")).to_contain_text("已处理")
    expect(card).to_have_count(0)
    now = live_server.api("GET", f"/households/{household['id']}", token=live_server.token(VILLAGE_STAFF))
    # Versions: the system's edit, the phone's value written at sync, the settlement — phones pull the last.
    assert now["notes"] == "手机：独居老人，需每周走访" and now["version"] == int(str(household["version"])) + 3
