"""The inbox API (each person's own delivered notifications) and push subscriptions."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import Engine
from sqlmodel import Session, select

from core.clock import utc_now
from core.webpush import check_endpoint
from models.enums import NotificationChannel, NotificationStatus, Role
from models.notification import Notification, PushSubscription
from models.user import User
from tests.factories import auth_header, make_town, make_user
from tests.services.notify.test_outbox import People, committed_people, enqueue

BASE = "/api/v1/notifications"
SUBSCRIPTIONS = f"{BASE}/push/subscriptions"
T0 = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def browser_keys() -> dict[str, str]:
    point = ec.generate_private_key(ec.SECP256R1()).public_key()
    p256dh = point.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return {"p256dh": b64url(p256dh), "auth": b64url(os.urandom(16))}


def inbox_item(session: Session, user: User, n: int, **changes: Any) -> Notification:
    """A delivered inbox item, as the delivery job leaves it."""
    assert user.id is not None
    values: dict[str, Any] = {
        "dedupe_key": f"test:{n}:inbox:{user.id}",
        "recipient_id": user.id,
        "channel": NotificationChannel.inbox,
        "kind": "sla_warning",
        "title": f"【黄牌预警】诉求 {n}",
        "body": "请尽快办理",
        "status": NotificationStatus.sent,
        "next_attempt_at": T0,
        "created_at": T0 + timedelta(minutes=n),
        "sent_at": T0 + timedelta(minutes=n),
    }
    row = Notification(**(values | changes))
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def two(session: Session) -> tuple[User, User]:
    town = make_town(session)
    return (
        make_user(session, Role.grid_member, town.grid_a1, name="网格员甲"),
        make_user(session, Role.grid_member, town.grid_a2, name="网格员乙"),
    )


async def test_the_inbox_lists_my_items_newest_first_and_marks_them_read(
    client: httpx.AsyncClient, session: Session, two: tuple[User, User]
) -> None:
    me, other = two
    mine = [inbox_item(session, me, n) for n in range(3)]
    theirs = inbox_item(session, other, 9)
    inbox_item(session, me, 7, status=NotificationStatus.pending)  # not delivered yet
    inbox_item(session, me, 8, channel=NotificationChannel.push)  # not an inbox item
    headers = auth_header(me)

    listed = (await client.get(BASE, headers=headers)).json()
    assert [item["id"] for item in listed["items"]] == [row.id for row in reversed(mine)]
    assert listed["next_cursor"] is None
    first = listed["items"][0]
    assert set(first) == {"id", "kind", "title", "body", "resident_request_id", "created_at", "read_at"}
    assert first["title"] == "【黄牌预警】诉求 2" and first["read_at"] is None
    assert datetime.fromisoformat(first["created_at"]) == T0 + timedelta(minutes=2)
    assert (await client.get(f"{BASE}/unread-count", headers=headers)).json() == {"unread": 3}

    read = await client.post(f"{BASE}/{mine[1].id}/read", headers=headers)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    again = await client.post(f"{BASE}/{mine[1].id}/read", headers=headers)
    assert again.json()["read_at"] == read.json()["read_at"]  # idempotent: the first read time stays
    assert (await client.get(f"{BASE}/unread-count", headers=headers)).json() == {"unread": 2}
    unread = (await client.get(BASE, params={"unread_only": True}, headers=headers)).json()
    assert [item["id"] for item in unread["items"]] == [mine[2].id, mine[0].id]

    for foreign in (theirs.id, 99_999_999):
        missing = await client.post(f"{BASE}/{foreign}/read", headers=headers)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "notification_not_found"
    session.refresh(theirs)
    assert theirs.read_at is None

    assert (await client.post(f"{BASE}/read-all", headers=headers)).json() == {"marked_read": 2}
    assert (await client.post(f"{BASE}/read-all", headers=headers)).json() == {"marked_read": 0}
    assert (await client.get(f"{BASE}/unread-count", headers=headers)).json() == {"unread": 0}
    assert (await client.get(f"{BASE}/unread-count", headers=auth_header(other))).json() == {"unread": 1}


async def test_the_inbox_pages_newest_first(
    client: httpx.AsyncClient, session: Session, two: tuple[User, User]
) -> None:
    me, _ = two
    ids = [inbox_item(session, me, n).id for n in range(5)]
    headers = auth_header(me)
    first = (await client.get(BASE, params={"limit": 2}, headers=headers)).json()
    assert [item["id"] for item in first["items"]] == [ids[4], ids[3]]
    second = (await client.get(BASE, params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers)).json()
    assert [item["id"] for item in second["items"]] == [ids[2], ids[1]]
    third = (await client.get(BASE, params={"limit": 2, "cursor": second["next_cursor"]}, headers=headers)).json()
    assert [item["id"] for item in third["items"]] == [ids[0]] and third["next_cursor"] is None


async def test_the_inbox_orders_by_when_each_was_written(
    client: httpx.AsyncClient, session: Session, two: tuple[User, User]
) -> None:
    """A row inserted later about something earlier (a back-dated import, say) stands where its time puts it."""
    me, _ = two
    minutes = [30, 10, 20]  # inserted in this order, so ids do not follow time
    ids = [inbox_item(session, me, n, created_at=T0 + timedelta(minutes=m)).id for n, m in enumerate(minutes)]
    headers = auth_header(me)
    first = (await client.get(BASE, params={"limit": 2}, headers=headers)).json()
    assert [item["id"] for item in first["items"]] == [ids[0], ids[2]]
    second = (await client.get(BASE, params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers)).json()
    assert [item["id"] for item in second["items"]] == [ids[1]] and second["next_cursor"] is None


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 101}, ["query", "limit"]),
        ({"cursor": "abc"}, ["query", "cursor"]),
        ({"unread_only": "maybe"}, ["query", "unread_only"]),
    ],
)
async def test_bad_list_parameters_are_422_with_the_field(
    client: httpx.AsyncClient, two: tuple[User, User], params: dict[str, Any], loc: list[str]
) -> None:
    response = await client.get(BASE, params=params, headers=auth_header(two[0]))
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["error"]["detail"]] == [loc]


async def test_everything_needs_a_login(client: httpx.AsyncClient) -> None:
    for method, path in (("GET", BASE), ("GET", f"{BASE}/unread-count"), ("POST", f"{BASE}/1/read")):
        assert (await client.request(method, path)).status_code == 401
    assert (await client.post(SUBSCRIPTIONS, json={})).status_code == 401


async def test_push_key_when_push_is_not_configured(client: httpx.AsyncClient, two: tuple[User, User]) -> None:
    response = await client.get(f"{BASE}/push/key", headers=auth_header(two[0]))
    assert response.status_code == 404 and response.json()["error"]["code"] == "push_not_configured"


async def test_a_browser_subscribes_idempotently_and_moves_to_whoever_signs_in(
    client: httpx.AsyncClient, session: Session, two: tuple[User, User]
) -> None:
    me, other = two
    endpoint, keys = "https://fcm.googleapis.com/fcm/send/abc", browser_keys()
    body: dict[str, Any] = {"endpoint": endpoint, "keys": keys, "expirationTime": None}
    for _ in range(2):
        assert (await client.post(SUBSCRIPTIONS, json=body, headers=auth_header(me))).status_code == 204
    stored = session.exec(select(PushSubscription).where(PushSubscription.endpoint == body["endpoint"])).all()
    assert [(s.user_id, s.is_active, s.p256dh) for s in stored] == [(me.id, True, keys["p256dh"])]

    body["keys"] = keys = browser_keys()  # the other account signs in on the same browser, which re-subscribes
    assert (await client.post(SUBSCRIPTIONS, json=body, headers=auth_header(other))).status_code == 204
    [moved] = session.exec(select(PushSubscription).where(PushSubscription.endpoint == body["endpoint"])).all()
    session.refresh(moved)
    assert (moved.user_id, moved.p256dh) == (other.id, keys["p256dh"])

    gone = {"endpoint": body["endpoint"]}
    assert (await client.request("DELETE", SUBSCRIPTIONS, json=gone, headers=auth_header(me))).status_code == 204
    session.refresh(moved)
    assert moved.is_active  # not mine any more: left alone
    for _ in range(2):
        deleted = await client.request("DELETE", SUBSCRIPTIONS, json=gone, headers=auth_header(other))
        assert deleted.status_code == 204
    session.refresh(moved)
    assert (moved.is_active, moved.last_error) == (False, "unsubscribed")

    assert (await client.post(SUBSCRIPTIONS, json=body, headers=auth_header(other))).status_code == 204
    session.refresh(moved)
    assert (moved.is_active, moved.last_error) == (True, None)  # subscribing again re-activates it


async def test_a_user_keeps_at_most_ten_live_subscriptions(
    client: httpx.AsyncClient, session: Session, two: tuple[User, User]
) -> None:
    me, _ = two
    for i in range(12):
        body = {"endpoint": f"https://fcm.googleapis.com/fcm/send/{i}", "keys": browser_keys()}
        assert (await client.post(SUBSCRIPTIONS, json=body, headers=auth_header(me))).status_code == 204
    live = session.exec(
        select(PushSubscription.endpoint).where(PushSubscription.user_id == me.id, PushSubscription.is_active)
    ).all()
    assert sorted(live) == sorted(f"https://fcm.googleapis.com/fcm/send/{i}" for i in range(2, 12))


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"endpoint": "http://push.example.com/send/abc"}, ["body", "endpoint"]),
        ({"endpoint": "https://10.0.0.8/send/abc"}, ["body", "endpoint"]),
        ({"endpoint": "https://user:pw@push.example.com/x"}, ["body", "endpoint"]),
        ({"endpoint": "ftp://push.example.com/x"}, ["body", "endpoint"]),
        ({"endpoint": "https://fcm.googleapis.com/" + "a" * 1000}, ["body", "endpoint"]),
        (
            {"keys": {"p256dh": b64url(b"\x04" + b"\x01" * 64), "auth": b64url(os.urandom(16))}},
            ["body", "keys", "p256dh"],
        ),
        ({"keys": {"p256dh": "not base64 at all!", "auth": b64url(os.urandom(16))}}, ["body", "keys", "p256dh"]),
        ({"keys": {**browser_keys(), "auth": b64url(os.urandom(15))}}, ["body", "keys", "auth"]),
        ({"keys": {"auth": b64url(os.urandom(16))}}, ["body", "keys", "p256dh"]),
    ],
)
async def test_bad_subscriptions_are_422_with_the_field(
    client: httpx.AsyncClient, two: tuple[User, User], change: dict[str, Any], loc: list[str]
) -> None:
    body = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": browser_keys()} | change
    response = await client.post(SUBSCRIPTIONS, json=body, headers=auth_header(two[0]))
    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["error"]["detail"]] == [loc]


def test_loopback_endpoints_only_outside_production() -> None:
    for url in ("http://127.0.0.1:8089/push/abc", "http://localhost/push"):
        assert check_endpoint(url, allow_loopback_http=True) == url
        with pytest.raises(ValueError):
            check_endpoint(url, allow_loopback_http=False)
    assert check_endpoint("https://fcm.googleapis.com/fcm/send/x", allow_loopback_http=False)


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc", True),  # Chrome, Android
        ("https://updates.push.services.mozilla.com/wpush/v2/abc", True),  # Firefox
        ("https://web.push.apple.com/QGx1", True),  # Safari
        ("https://wns2-par02p.notify.windows.com/w/?token=abc", True),  # Edge
        ("https://FCM.googleapis.com/fcm/send/abc", True),
        ("https://push.example.com/send/abc", False),  # a push service we do not know
        ("https://fcm.googleapis.com.attacker.example/x", False),
        ("https://evilfcm.googleapis.com/x", False),
        ("https://notify.windows.com/x", False),  # only its hosts, not the bare domain
        ("https://fcm.googleapis.com:8443/x", False),  # another port
        ("https://fcm.googleapis.com./x", False),
        ("https://intranet/send", False),
        ("https://metadata.google.internal/computeMetadata/v1/", False),
        ("https://169.254.169.254/latest/meta-data", False),
        ("https://[::1]/x", False),
    ],
)
def test_only_the_known_push_services(url: str, accepted: bool) -> None:
    """The server POSTs to the endpoint: only the browsers' push services, never a host inside the network."""
    if accepted:
        assert check_endpoint(url, allow_loopback_http=False) == url
    else:
        with pytest.raises(ValueError):
            check_endpoint(url, allow_loopback_http=False)


# End to end: rows written in other transactions, read through the API with its real, committing sessions.


@pytest.fixture
def people(engine: Engine) -> Iterator[People]:
    with committed_people(engine, "990313") as committed:
        yield committed


async def test_inbox_items_are_there_as_soon_as_they_are_written(
    engine: Engine, people: People, live_client: httpx.AsyncClient
) -> None:
    moment = utc_now()
    enqueue(engine, people.member, NotificationChannel.inbox, "t:api:1", now=moment)
    enqueue(engine, people.member, NotificationChannel.inbox, "t:api:2", now=moment)
    enqueue(engine, people.other, NotificationChannel.inbox, "t:api:3", now=moment)
    headers = auth_header(people.member)
    items = (await live_client.get(BASE, headers=headers)).json()["items"]  # no delivery job needed
    assert [item["title"] for item in items] == ["【红牌超期】诉求 t:api:2", "【红牌超期】诉求 t:api:1"]
    assert (await live_client.get(f"{BASE}/unread-count", headers=headers)).json() == {"unread": 2}
    assert (await live_client.post(f"{BASE}/{items[0]['id']}/read", headers=headers)).status_code == 200
    assert (await live_client.get(f"{BASE}/unread-count", headers=headers)).json() == {"unread": 1}
    theirs = (await live_client.get(BASE, headers=auth_header(people.other))).json()["items"]
    assert (await live_client.post(f"{BASE}/{theirs[0]['id']}/read", headers=headers)).status_code == 404
