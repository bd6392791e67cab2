"""未评价结案: the scheduler closes a reply nobody rated and no callback reached, at the end of the Nth local
day after the reply day, as its own action by the system; nothing else is touched, and a second run does
nothing. The resident may still rate it afterwards."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from models.callback_schemas import CallbackCreate
from models.enums import Action, RatingLevel, Resolution, Role
from models.resident_request import ResidentRequest, ResidentRequestEvent
from models.user import User
from services.requests import callbacks, request_actions, unrated_close
from tests.factories import Town, actor_of, make_replied_request, make_town, make_user

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPLIED = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)  # the reply lands a few minutes later, the same day
LAST_EVENING = datetime(2026, 11, 9, 23, 0, tzinfo=SHANGHAI)  # the 7th day after the reply day, not over yet
NEXT_MORNING = datetime(2026, 11, 10, 0, 30, tzinfo=SHANGHAI)


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def people(session: Session, town: Town) -> dict[str, User]:
    return {
        "member": make_user(session, Role.grid_member, town.grid_a1),
        "staff": make_user(session, Role.village_staff, town.village_a),
    }


def _replied(session: Session, town: Town, people: dict[str, User]) -> ResidentRequest:
    return make_replied_request(session, people["staff"], people["member"], town.grid_a1, now=REPLIED)


def _call(session: Session, rr: ResidentRequest, staff: User, **answers: object) -> None:
    body = CallbackCreate.model_validate({"reached": bool(answers), **answers})
    callbacks.record(session, rr, body, actor=actor_of(session, staff), now=REPLIED + timedelta(days=1))


def _actions(session: Session, rr: ResidentRequest) -> list[str]:
    events = session.exec(
        select(ResidentRequestEvent.action)
        .where(ResidentRequestEvent.resident_request_id == rr.id)
        .order_by(col(ResidentRequestEvent.seq))
    )
    return [str(a) for a in events.all()]


def test_an_untouched_reply_closes_after_the_days(session: Session, town: Town, people: dict[str, User]) -> None:
    rr = _replied(session, town, people)
    assert unrated_close.close_due(session, LAST_EVENING) == 0 and rr.status == "replied"
    assert unrated_close.close_due(session, NEXT_MORNING) == 1
    assert (rr.status, rr.closed_at, rr.cycle) == ("closed", NEXT_MORNING, 1)
    event = session.exec(
        select(ResidentRequestEvent).where(
            ResidentRequestEvent.resident_request_id == rr.id, ResidentRequestEvent.action == Action.close_unrated
        )
    ).one()
    assert (event.actor_role, event.actor_id, event.from_status) == ("system", None, "replied")
    assert event.note and "未评价结案" in event.note and event.data == {"days": 7, "cycle": 1}
    assert unrated_close.close_due(session, NEXT_MORNING + timedelta(hours=1)) == 0  # a second run: nothing


def test_rated_or_called_back_replies_are_left_alone(session: Session, town: Town, people: dict[str, User]) -> None:
    rated = _replied(session, town, people)
    request_actions.rate(session, rated, RatingLevel.satisfied, None, now=REPLIED + timedelta(days=1))
    pleased = _replied(session, town, people)
    _call(session, pleased, people["staff"], resolution=Resolution.resolved, satisfaction=RatingLevel.satisfied)
    unhappy = _replied(session, town, people)
    _call(session, unhappy, people["staff"], resolution=Resolution.unresolved, satisfaction=RatingLevel.unsatisfied)
    missed = _replied(session, town, people)
    _call(session, missed, people["staff"])  # nobody answered: no answer, so it still closes as 未评价

    assert unrated_close.close_due(session, NEXT_MORNING) == 1
    assert (rated.status, pleased.status, unhappy.status, missed.status) == ("closed", "closed", "dispatched", "closed")
    assert [Action.close_unrated in _actions(session, rr) for rr in (rated, pleased, unhappy, missed)] == [
        False,
        False,
        False,
        True,
    ]


def test_a_reopened_cycle_waits_for_its_own_reply(session: Session, town: Town, people: dict[str, User]) -> None:
    rr = _replied(session, town, people)
    _call(session, rr, people["staff"], resolution=Resolution.unresolved, satisfaction=RatingLevel.unsatisfied)
    assert unrated_close.close_due(session, NEXT_MORNING + timedelta(days=30)) == 0  # not replied again


def test_batches(session: Session, town: Town, people: dict[str, User]) -> None:
    replies = [_replied(session, town, people) for _ in range(3)]
    assert [unrated_close.close_due(session, NEXT_MORNING, limit=2) for _ in range(3)] == [2, 1, 0]
    assert {rr.status for rr in replies} == {"closed"}


def test_the_resident_may_still_rate_it(session: Session, town: Town, people: dict[str, User]) -> None:
    rr = _replied(session, town, people)
    unrated_close.close_due(session, NEXT_MORNING)
    request_actions.rate(session, rr, RatingLevel.unsatisfied, "其实没修好", now=NEXT_MORNING + timedelta(days=1))
    assert (rr.status, rr.cycle) == ("dispatched", 2)
    assert _actions(session, rr)[-4:] == [Action.close_unrated, Action.rate, Action.reopen, Action.resident_notified]
