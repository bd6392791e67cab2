"""The org tree's questions on the migrated schema: subtrees, the ladder, villages and towns, and people."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlmodel import Session, select

from models.enums import Role, SlaStage, UnitKind
from models.org import OrgUnit
from models.resident_request import ResidentRequest
from models.stationing import Stationing, StationingMember
from models.user import User
from services.errors import Invalid
from services.people import reach
from services.people.org import add_unit
from tests.factories import Town, actor_of, make_resident_request, make_town, make_user

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def town(session: Session) -> Town:
    return make_town(session)


@pytest.fixture
def rr(session: Session, town: Town) -> ResidentRequest:
    """A request placed at grid A1, registered by its grid member."""
    member = make_user(session, Role.grid_member, town.grid_a1)
    return make_resident_request(session, actor_of(session, member), town.grid_a1, now=NOW)


def _unit(town: Town, name: str) -> OrgUnit:
    unit: OrgUnit = getattr(town, name)
    return unit


def _id(town: Town, name: str | None) -> int | None:
    return _unit(town, name).id if name else None


def _station(session: Session, cadre: User, village: OrgUnit, *members: tuple[User, str]) -> Stationing:
    assert cadre.id is not None and village.id is not None
    stationing = Stationing(
        village_id=village.id,
        cadre_id=cadre.id,
        title="镇党委委员",
        weekday=1,
        start_time=time(9),
        end_time=time(11),
        place="村委会",
        starts_on=date(2026, 1, 6),
    )
    session.add(stationing)
    session.flush()
    assert stationing.id is not None
    for user, team in members:
        session.add(StationingMember(stationing_id=stationing.id, user_id=user.id, name=user.name, team=team))
    session.flush()
    return stationing


@pytest.mark.parametrize(
    ("unit_path", "root_path", "inside"),
    [
        ("/1/4/9/17/", "/1/4/", True),
        ("/1/4/", "/1/4/", True),  # the root is in its own subtree
        ("/1/4/", "/1/4/9/", False),  # above the root
        ("/1/40/", "/1/4/", False),  # a sibling whose id shares digits
        ("/1/4/", "", False),  # no root reaches nothing
        ("/1/4/", None, False),
    ],
)
def test_within_is_a_path_prefix_and_fails_closed(unit_path: str, root_path: str | None, inside: bool) -> None:
    assert reach.within(unit_path, root_path) is inside


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        ("village_a", {"village_a", "grid_a1", "grid_a2"}),
        ("grid_b1", {"grid_b1"}),
        (None, set()),  # no root matches nothing
    ],
)
def test_subtree_selects_the_root_and_below(session: Session, town: Town, root: str | None, expected: set[str]) -> None:
    path = _unit(town, root).path if root else None
    found = set(session.exec(select(OrgUnit.id).where(reach.subtree(path))).all())
    assert found == {_id(town, name) for name in expected}


@pytest.mark.parametrize(
    ("at", "above"),
    [
        ("grid_a1", "village_a"),
        ("village_b", "town"),
        ("department", "town"),  # a town's department answers to its town
        ("town", None),  # the ladder stops at the town
        ("district", None),
    ],
)
def test_the_rung_above(session: Session, town: Town, at: str, above: str | None) -> None:
    found = reach.rung_above(session, _unit(town, at))
    assert (found.id if found else None) == _id(town, above)


def test_a_district_department_is_off_the_ladder(session: Session, town: Town) -> None:
    bureau = add_unit(session, UnitKind.department, "区水务局", f"{town.district.code}D01", town.district)
    assert reach.rung_above(session, bureau) is None
    assert reach.town_of(session, bureau) is None


@pytest.mark.parametrize(
    ("at", "village", "in_town"),
    [
        ("grid_a2", "village_a", "town"),
        ("village_b", "village_b", "town"),
        ("town", None, "town"),
        ("department", None, "town"),
        ("district", None, None),
    ],
)
def test_the_village_and_town_a_unit_is_in(
    session: Session, town: Town, at: str, village: str | None, in_town: str | None
) -> None:
    unit = _unit(town, at)
    assert reach.village_of(session, unit.id) == _id(town, village)
    found = reach.town_of(session, unit)
    assert (found.id if found else None) == _id(town, in_town)


@pytest.mark.parametrize(
    ("escalated_to", "reaches"),
    [
        (None, "village_a"),  # from the place, grid A1
        ("village_a", "town"),  # from where it was escalated to
        ("town", None),  # escalated to the town already: no further
    ],
)
def test_a_manual_escalation_climbs_from_where_the_request_stands(
    session: Session, town: Town, rr: ResidentRequest, escalated_to: str | None, reaches: str | None
) -> None:
    rr.escalated_to_unit_id = _id(town, escalated_to)
    found = reach.next_escalation(session, rr)
    assert (found.id if found else None) == _id(town, reaches)


@pytest.mark.parametrize(
    ("handling", "stage", "reaches"),
    [
        ("grid_a1", SlaStage.breached, "village_a"),  # a grid's breach: its village
        ("village_a", SlaStage.breached, "town"),
        ("department", SlaStage.breached, "town"),
        ("town", SlaStage.breached, "town"),  # the town's own breach stays with the town
        ("grid_a1", SlaStage.leadership, "town"),  # leadership: always the town
    ],
)
def test_a_breach_escalates_from_the_handling_unit(
    session: Session, town: Town, rr: ResidentRequest, handling: str, stage: SlaStage, reaches: str
) -> None:
    rr.handling_unit_id = _id(town, handling) or 0
    rr.escalated_to_unit_id = town.village_b.id  # where it stands does not matter to a breach
    found = reach.breach_escalation(session, rr, stage)
    assert found is not None and found.id == _id(town, reaches)


def test_a_breach_asks_the_callers_lookup(session: Session, town: Town, rr: ResidentRequest) -> None:
    """The sweep passes its batch cache; every unit is looked up through it."""
    asked: list[int | None] = []

    def cached(unit_id: int | None) -> OrgUnit | None:
        asked.append(unit_id)
        return session.get(OrgUnit, unit_id) if unit_id else None

    rr.handling_unit_id = town.village_a.id or 0
    found = reach.breach_escalation(session, rr, SlaStage.breached, cached)
    assert found is not None and found.id == town.town.id
    assert set(asked) == {town.village_a.id, town.town.id}


def test_unit_people_are_the_active_accounts_of_the_roles_asked(session: Session, town: Town) -> None:
    leader = make_user(session, Role.grid_leader, town.grid_a1)
    member = make_user(session, Role.grid_member, town.grid_a1)
    gone = make_user(session, Role.grid_member, town.grid_a1)
    gone.is_active = False
    session.flush()
    assert set(reach.unit_people(session, town.grid_a1.id or 0)) == {leader.id, member.id}
    assert reach.unit_people(session, town.grid_a1.id or 0, (Role.grid_leader,)) == [leader.id]


def test_the_stationed_team_is_the_cadre_and_the_stationed_members(session: Session, town: Town) -> None:
    cadre = make_user(session, Role.town_cadre, town.town)
    helper = make_user(session, Role.town_cadre, town.town)
    support = make_user(session, Role.town_cadre, town.town)
    _station(session, cadre, town.village_a, (helper, "stationed"), (support, "support"))
    assert reach.stationed_at(session, town.village_a.id or 0) == sorted([cadre.id or 0, helper.id or 0])
    assert reach.stationed_at(session, town.village_b.id or 0) == []
    assert reach.stationed_villages(session, helper.id or 0) == {town.village_a.id}
    assert reach.stationed_villages(session, support.id or 0) == frozenset()


def test_the_desk_decides_through_the_stationed_team_else_the_town_cadres(
    session: Session, town: Town, rr: ResidentRequest
) -> None:
    cadre = make_user(session, Role.town_cadre, town.town)
    other = make_user(session, Role.town_cadre, town.town)
    make_user(session, Role.village_staff, town.village_a)
    assert set(reach.desk_cadres(session, rr)) == {cadre.id, other.id}
    _station(session, cadre, town.village_a)
    assert reach.desk_cadres(session, rr) == [cadre.id]


def test_the_handlers_are_the_handler_else_the_handling_unit(session: Session, town: Town, rr: ResidentRequest) -> None:
    staff = make_user(session, Role.village_staff, town.village_a)
    rr.handling_unit_id, rr.handler_id = town.village_a.id or 0, None
    assert reach.handlers_of(session, rr) == [staff.id]
    rr.handler_id = staff.id
    assert reach.handlers_of(session, rr) == [staff.id]


def test_admins_and_auditors_never_handle(session: Session, town: Town, rr: ResidentRequest) -> None:
    leader = make_user(session, Role.grid_leader, town.grid_a1)
    make_user(session, Role.admin, town.grid_a1)
    make_user(session, Role.auditor, town.grid_a1)
    rr.handling_unit_id, rr.handler_id = town.grid_a1.id or 0, None
    assert set(reach.handlers_of(session, rr)) == {leader.id, rr.created_by_id}  # and the member who registered it


def test_who_answers_a_rung_up_and_who_takes_in_a_report(session: Session, town: Town, rr: ResidentRequest) -> None:
    staff = make_user(session, Role.village_staff, town.village_a)
    leader = make_user(session, Role.grid_leader, town.grid_a1)
    cadre = make_user(session, Role.town_cadre, town.town)
    assert reach.answerable_at(session, rr, town.village_a) == [staff.id]
    assert reach.answerable_at(session, rr, town.town) == [cadre.id]
    stationed = make_user(session, Role.town_cadre, town.town)
    _station(session, stationed, town.village_a)
    assert reach.answerable_at(session, rr, town.town) == [stationed.id]
    assert set(reach.answerable_at(session, rr, town.town, leadership=True)) == {cadre.id, stationed.id}
    assert set(reach.place_staff(session, rr)) == {staff.id, leader.id}


@pytest.mark.parametrize(
    ("role", "at", "handling", "handles"),
    [
        (Role.village_staff, "village_a", "grid_a1", True),  # a unit above the handling unit
        (Role.grid_leader, "grid_a2", "grid_a1", False),  # a sibling
        (Role.department_handler, "department", "department", True),
        (Role.department_handler, "department", "grid_a1", False),  # a department acts only on its own
    ],
)
def test_who_handles(
    session: Session, town: Town, rr: ResidentRequest, role: Role, at: str, handling: str, handles: bool
) -> None:
    actor = actor_of(session, make_user(session, role, _unit(town, at)))
    rr.handling_unit_id = _id(town, handling) or 0
    assert reach.handles(session, rr, actor) is handles


def test_a_stationed_cadre_acts_in_their_village_only(session: Session, town: Town, rr: ResidentRequest) -> None:
    cadre = make_user(session, Role.town_cadre, town.town)
    actor = actor_of(session, cadre)
    assert reach.may_act_here(session, rr, actor, NOW)  # stationed nowhere: the whole town
    _station(session, cadre, town.village_b)
    assert not reach.may_act_here(session, rr, actor, NOW)
    _station(session, cadre, town.village_a)
    assert reach.may_act_here(session, rr, actor, NOW)


def test_a_named_department_is_an_active_department_of_the_actors_town(session: Session, town: Town) -> None:
    actor = actor_of(session, make_user(session, Role.town_cadre, town.town))
    assert reach.department_for(session, town.department.id, actor) is town.department
    elsewhere = make_town(session, prefix="990102")
    for named in (town.village_a.id, elsewhere.department.id, None):
        with pytest.raises(Invalid):
            reach.department_for(session, named, actor)
    town.department.is_active = False
    with pytest.raises(Invalid):
        reach.active_unit(session, town.department.id, "department_id")
