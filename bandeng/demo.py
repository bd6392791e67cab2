"""A synthetic town for trying Bandeng: 3 villages of 3 grids, every role, requests in every state.

Every name, code and number here is made up: district code 99xxxx is not a real division, the accounts'
mobiles are the placeholder series 1380000xxxx and residents' 1390099xxxx, and names say 示例."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlmodel import Session, select

from bandeng.demo_households import seed_households
from core.clock import utc_now
from core.db import session_scope
from core.settings import get_settings
from models.enums import STATUS_LABELS, Channel, RatingLevel, RequestStatus, Role, UnitKind
from models.org import OrgUnit
from models.resident_request import Category, ResidentRequest, RoutingRule
from models.resident_request_schemas import ActionCommand, ResidentRequestCreate
from models.stationing import ReceptionSession, Stationing, StationingMember
from models.stationing_schemas import MatterCreate
from services.actor import Actor
from services.clocks import calendar
from services.people.org import add_unit
from services.people.users import create_user
from services.requests import request_actions, whistle_sweep
from services.requests.resident_requests import Registration, register
from services.rules.case_code import format_case_code
from services.rules.passwords import DEMO_PASSWORD as DEMO_PASSWORD  # re-exported: tests sign in with it
from services.stationing import stationing as stationing_service

DISTRICT_CODE = "990100"
TOWN_CODE = "990100101"
VILLAGES = [("东湖村", "201"), ("西岭村", "202"), ("南溪社区", "203")]
DEPARTMENTS = [("镇水务站", "D01"), ("镇综治办", "D02"), ("镇农业农村办", "D03")]


@dataclass
class Demo:
    units: dict[str, OrgUnit] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)
    mobiles: list[tuple[str, str, str]] = field(default_factory=list)  # (mobile, role label, who)
    categories: dict[str, int] = field(default_factory=dict)
    stationings: dict[str, Stationing] = field(default_factory=dict)
    last_sessions: dict[str, ReceptionSession] = field(default_factory=dict)


def _tree(session: Session, demo: Demo) -> None:
    district = add_unit(session, UnitKind.district, "示例区", DISTRICT_CODE, None)
    town = add_unit(session, UnitKind.town, "板凳镇", TOWN_CODE, district)
    demo.units |= {"district": district, "town": town}
    for v, (name, seq) in enumerate(VILLAGES, start=1):
        village = add_unit(session, UnitKind.village, name, f"{TOWN_CODE}{seq}", town)
        demo.units[f"v{v}"] = village
        for g in range(1, 4):
            demo.units[f"v{v}g{g}"] = add_unit(
                session, UnitKind.grid, f"{name}第{g}网格", f"{village.code}{g:03d}", village
            )
    for d, (name, suffix) in enumerate(DEPARTMENTS, start=1):
        demo.units[f"d{d}"] = add_unit(session, UnitKind.department, name, f"{TOWN_CODE}{suffix}", town)


def _account(session: Session, demo: Demo, key: str, name: str, role: Role, unit_key: str) -> None:
    mobile = f"1380000{len(demo.mobiles) + 1:04d}"
    unit = demo.units[unit_key]
    assert unit.id is not None
    user = create_user(
        session,
        name=name,
        mobile=mobile,
        role=role,
        org_unit_id=unit.id,
        password=DEMO_PASSWORD,
        must_change_password=False,
    )
    assert user.id is not None
    demo.actors[key] = Actor(id=user.id, role=role, unit_id=unit.id, unit_path=unit.path, name=name)
    demo.mobiles.append((mobile, role.value, f"{name}（{unit.name}）"))


def _accounts(session: Session, demo: Demo) -> None:
    _account(session, demo, "admin", "管理员小赵", Role.admin, "district")
    _account(session, demo, "auditor", "审计员小钱", Role.auditor, "district")
    _account(session, demo, "cadre", "驻点干部孙镇长", Role.town_cadre, "town")
    for v in range(1, 4):
        _account(session, demo, f"v{v}staff", f"村干部{v}号", Role.village_staff, f"v{v}")
        for g in range(1, 4):
            _account(session, demo, f"v{v}g{g}leader", f"网格长{v}-{g}", Role.grid_leader, f"v{v}g{g}")
            _account(session, demo, f"v{v}g{g}member", f"网格员{v}-{g}", Role.grid_member, f"v{v}g{g}")
    for d in range(1, 4):
        _account(session, demo, f"d{d}", f"部门承办人{d}号", Role.department_handler, f"d{d}")
    _account(session, demo, "cadre2", "驻点干部周书记", Role.town_cadre, "town")


# (village, cadre, weekday, every N weeks, public title, last session: held with this duty log / missed, reason)
STATIONINGS: list[tuple[int, str, int, int, str, str, str]] = [
    (1, "cadre", 1, 1, "镇党委委员（示例）", "held", "接待 3 人次，当场解答政策咨询 2 件，登记 1 件转水务站（示例）"),
    (2, "cadre", 3, 1, "镇党委委员（示例）", "held", "本次无群众来访，走访困难家庭 2 户（示例）"),
    (3, "cadre2", 4, 2, "镇党委副书记（示例）", "missed", "参加全镇防汛工作会议（示例）"),
]


def _stationings(session: Session, demo: Demo, now: datetime) -> int:
    """孙镇长 is stationed at 东湖村 and 西岭村, 周书记 at 南溪社区 (fortnightly), so a stationed cadre acting on
    another village only through the desk can be seen. Each has its last session on record (two held with a
    duty log, one missed) and eight weeks of sessions ahead; returns how many were generated."""
    count = 0
    for v, cadre_key, weekday, every_weeks, title, status, text in STATIONINGS:
        village, cadre, staff = demo.units[f"v{v}"], demo.actors[cadre_key], demo.actors[f"v{v}staff"]
        assert village.id is not None
        stationing = Stationing(
            village_id=village.id,
            cadre_id=cadre.id,
            title=title,
            work_phone="0000-1234567",
            weekday=weekday,
            start_time=time(9, 0),
            end_time=time(11, 30),
            place=f"{village.name}党群服务中心一楼接待室",
            every_weeks=every_weeks,
            starts_on=calendar.local_today(now) - timedelta(days=21),
            created_at=now,
        )
        session.add(stationing)
        session.flush()
        demo.stationings[f"v{v}"] = stationing
        session.add(
            StationingMember(stationing_id=stationing.id or 0, user_id=staff.id, name=staff.name, team="support")
        )
        _last_session(session, demo, f"v{v}", status, text, now)
        count += len(stationing_service.generate(session, stationing, weeks=8, now=now))
    session.flush()
    return count


def _last_session(session: Session, demo: Demo, village: str, status: str, text: str, now: datetime) -> None:
    """The stationing's latest slot before today, recorded as held (with its duty log) or missed (with a reason)."""
    stationing = demo.stationings[village]
    today = calendar.local_today(now)
    slots = stationing_service.upcoming_slots(session, stationing, stationing.starts_on, today - timedelta(days=1))
    past = [slot for slot in slots if slot.held_on < today]
    if not past:
        return
    reception = ReceptionSession(
        stationing_id=stationing.id or 0,
        slot_on=past[-1].slot_on,
        held_on=past[-1].held_on,
        start_time=stationing.start_time,
        end_time=stationing.end_time,
        place=stationing.place,
        status=status,
        reason=text if status == "missed" else None,
        duty_log=text if status == "held" else None,
        recorded_by_id=stationing.cadre_id,
        updated_at=now,
    )
    session.add(reception)
    session.flush()
    demo.last_sessions[village] = reception


def _routing(session: Session, demo: Demo) -> None:
    """Neighbour disputes in 东湖村 go to the village mediation desk; everything else waits in the village queue."""
    village = demo.units["v1"]
    for g in range(1, 4):
        grid = demo.units[f"v1g{g}"]
        assert grid.id and village.id
        session.add(RoutingRule(category_id=demo.categories["邻里纠纷"], unit_id=grid.id, handling_unit_id=village.id))
    session.flush()


# (description, category, grid, days ago, steps: (actor key, action, extra inputs))
Step = tuple[str, str, dict[str, Any]]
_SOLVE = [
    ("v1staff", "accept", {}),
    ("v1staff", "dispatch", {"unit": "v1g1"}),
    ("v1g1member", "sign_for", {}),
    ("v1g1member", "first_contact", {"note": "已电话联系居民"}),
    ("v1g1member", "start", {}),
]
_REPLY: list[Step] = [*_SOLVE, ("v1g1member", "reply", {"closure_type": "substantive", "note": "已处理完毕，请您查看"})]
SCENARIOS: list[tuple[str, str, str, float, list[Step]]] = [
    ("村口路灯不亮，晚上出行不便", "基础设施", "v1g1", 0.1, []),
    ("垃圾收集点三天没有清运", "环境卫生", "v2g1", 0.2, []),
    ("咨询新农合缴费标准", "政策咨询", "v3g2", 0.3, []),
    ("灌溉渠堵塞，影响春耕", "基础设施", "v1g2", 10, []),
    ("低保申请材料不清楚怎么准备", "社会保障", "v2g2", 1, [("v2staff", "accept", {})]),
    ("两户因宅基地边界发生争执", "邻里纠纷", "v1g3", 1.5, [("v1staff", "accept", {})]),
    ("自来水水压低", "水电气", "v1g1", 2, _SOLVE[:2]),
    ("小广场健身器材损坏", "基础设施", "v1g1", 3, _SOLVE[:3]),
    ("河道边护栏松动，有安全隐患", "治安隐患", "v1g1", 6, _SOLVE),
    ("村道坑洼积水", "基础设施", "v1g1", 5, _SOLVE[:5]),
    ("公厕无人保洁", "环境卫生", "v1g1", 4, _REPLY),
    ("路边杂草丛生", "环境卫生", "v1g1", 5, _REPLY),
    ("独居老人家中漏雨", "土地房屋", "v1g1", 8, [*_REPLY, ("rate", "satisfied", {})]),
    ("下水道返味", "环境卫生", "v1g1", 9, [*_REPLY, ("rate", "unsatisfied", {"comment": "味道还在"})]),
    ("楼道灯泡坏了", "基础设施", "v2g3", 2, [("v2g3member", "resolve_on_spot", {"note": "当场更换灯泡"})]),
    ("门前排水沟堵了", "环境卫生", "v3g1", 1, [("v3g1leader", "resolve_on_spot", {"note": "当场疏通"})]),
    ("反映的道路已在上周修好", "基础设施", "v2g1", 2, [("v2staff", "reject", {"reject_reason": "duplicate"})]),
    (
        "停水两天无人通知",
        "水电气",
        "v2g1",
        3,
        [("v2staff", "accept", {}), ("cadre", "transfer", {"department": "d1", "note": "请水务站两日内处理"})],
    ),
    (
        "夜间有人在河边电鱼",
        "治安隐患",
        "v3g3",
        4,
        [
            ("cadre2", "transfer", {"department": "d2", "note": "请综治办核查"}),
            ("d2", "sign_for", {}),
            ("d2", "start", {}),
            ("d2", "reply", {"closure_type": "procedural", "note": "已联系派出所加强巡查"}),
        ],
    ),
    ("养殖场异味扰民", "环境卫生", "v3g1", 9, [("v3g1member", "escalate", {"note": "网格内协调不了"})]),
    # On the town's escalation desk: a whistle not answered in time (flagged at the end of seeding), a transfer
    # the department returned to the town, and a request escalated grid → village → town.
    (
        "山塘堤坝渗水，担心汛期出险",
        "基础设施",
        "v2g2",
        1,
        [
            ("v2staff", "accept", {}),
            ("cadre", "whistle", {"department": "d1", "note": "请水务站到现场查看堤坝", "report_within_hours": 2}),
        ],
    ),
    (
        "菜市场门口占道经营，堵塞消防通道",
        "其他",
        "v3g2",
        2,
        [
            ("v3staff", "accept", {}),
            ("cadre2", "transfer", {"department": "d3", "note": "请农业农村办处理"}),
            ("d3", "sign_for", {}),
            ("d3", "return", {"note": "占道经营不属于本办职责，请镇里另行交办"}),
        ],
    ),
    (
        "工地夜间施工噪音扰民，多次协调无果",
        "环境卫生",
        "v3g3",
        1.5,
        [
            ("v3g3member", "escalate", {"note": "网格内协调不了"}),
            ("v3staff", "escalate", {"note": "涉及施工许可，请镇里协调"}),
        ],
    ),
]

# Matters received at 东湖村's last held session (outcome, category, description, note, steps): two answered on
# the spot, one registered and transferred to the water station, which asked the desk for more time (pending).
RECEIVED: list[tuple[str, str, str, str | None, list[Step]]] = [
    ("solved_on_spot", "政策咨询", "咨询新农合缴费标准和截止时间", "当场讲解缴费标准和线上缴费渠道", []),
    ("solved_on_spot", "政策咨询", "咨询高龄津贴申领条件", "当场说明申领条件，指导准备材料", []),
    (
        "registered",
        "基础设施",
        "村道排水沟堵塞，雨天路面积水",
        None,
        [
            ("cadre", "transfer", {"department": "d1", "note": "请水务站三日内疏通"}),
            ("d1", "sign_for", {}),
            ("d1", "first_contact", {"note": "已电话联系居民，约定现场查看"}),
            ("d1", "start", {}),
            ("d1", "request_extension", {"due_in_days": 14, "note": "需挖机清淤，施工队下周才能进场，申请延期"}),
        ],
    ),
]


def _command(demo: Demo, action: str, extra: dict[str, Any], at: datetime) -> ActionCommand:
    """The action's inputs, with demo keys resolved: unit and department by key, due_in_days from `at`."""
    inputs = {k: v for k, v in extra.items() if k not in ("unit", "department", "due_in_days")}
    if "unit" in extra:
        inputs["handling_unit_id"] = demo.units[extra["unit"]].id
    if "department" in extra:
        inputs["department_id"] = demo.units[extra["department"]].id
    if "due_in_days" in extra:
        inputs["due_at"] = at + timedelta(days=extra["due_in_days"])
    return ActionCommand(action=action, **inputs)  # type: ignore[arg-type]


def _steps(session: Session, demo: Demo, rr: ResidentRequest, steps: list[Step], at: datetime) -> None:
    """Each step two hours after the one before, by the same services the API calls."""
    for i, (who, action, extra) in enumerate(steps, start=1):
        when = at + timedelta(hours=2 * i)
        if who == "rate":
            request_actions.rate(session, rr, RatingLevel(action), extra.get("comment"), now=when)
        else:
            request_actions.act(session, rr, _command(demo, action, extra, at), actor=demo.actors[who], now=when)


def _line(rr: ResidentRequest) -> str:
    label = STATUS_LABELS[RequestStatus(rr.status)]
    return f"{format_case_code(rr.case_code)}  电话后 4 位 {rr.reporter_phone_last4}  {label}  {rr.description}"


def _play(session: Session, demo: Demo, scenario: tuple[str, str, str, float, list[Step]], now: datetime) -> str:
    description, category, grid, days_ago, steps = scenario
    at = now - timedelta(days=days_ago)
    grid_unit = demo.units[grid]
    assert grid_unit.id is not None
    data = ResidentRequestCreate(
        channel=Channel.visit,
        category_id=demo.categories[category],
        description=description,
        unit_id=grid_unit.id,
        reporter_name="居民（示例）",
        reporter_phone=f"1390000{len(description):02d}{int(days_ago * 10) % 100:02d}",
    )
    rr = register(session, Registration(data, demo.actors[f"{grid}member"]), now=at).resident_request
    _steps(session, demo, rr, steps, at)
    return _line(rr)


def _received(session: Session, demo: Demo) -> None:
    """The matters of 东湖村's last held session, recorded by the stationed cadre through the stationing service."""
    reception = demo.last_sessions.get("v1")
    if reception is None or reception.status != "held":
        return
    start = datetime.combine(reception.held_on, time(9, 30), tzinfo=get_settings().tz)
    grid = demo.units["v1g2"]
    for n, (outcome, category, description, note, steps) in enumerate(RECEIVED, start=1):
        at = start + timedelta(minutes=20 * n)
        data = MatterCreate(
            outcome=outcome,  # type: ignore[arg-type]
            category_id=demo.categories[category],
            description=description,
            unit_id=grid.id,
            reporter_name="居民（示例）",
            reporter_phone=f"139009900{n:02d}",
            note=note,
        )
        matter = stationing_service.record_matter(
            session, demo.actors["cadre"], reception, demo.stationings["v1"], data, now=at
        )
        rr = session.get(ResidentRequest, matter.resident_request_id)
        assert rr is not None
        _steps(session, demo, rr, steps, at)


def seed_demo(now: datetime | None = None) -> None:
    """Seed the demo town once; on a second run only print the accounts again."""
    now = now or utc_now()
    with session_scope() as session:
        if session.exec(select(OrgUnit).where(OrgUnit.code == DISTRICT_CODE)).first() is not None:
            print("示例数据已存在，未重复生成。/ Demo data already present.")
            _print_accounts()
            return
        demo = Demo()
        demo.categories = {c.name: c.id or 0 for c in session.exec(select(Category)).all()}
        _tree(session, demo)
        _accounts(session, demo)
        _routing(session, demo)
        # Stationings first, so every step below passes the rule that a stationed cadre acts on other
        # villages only through the desk.
        sessions = _stationings(session, demo, now)
        lines = [_play(session, demo, scenario, now) for scenario in SCENARIOS]
        _received(session, demo)
        whistle_sweep.flag_unanswered(session, now)
        households = seed_households(session, demo, [name for name, _ in VILLAGES], now)
        count = len(session.exec(select(ResidentRequest.id)).all())
    print(f"已生成示例镇：3 个村、9 个网格、{households} 户、{len(demo.mobiles)} 个账号、{count} 件诉求。")
    print(f"驻点直联：3 个村各有驻点干部，已排接待场次 {sessions} 场；督办台上有待批延期、吹哨超时、退回和上报的诉求。")
    print("居民可用以下案件码查询（节选）：")
    for line in lines[10:14]:
        print(f"  {line}")
    _print_accounts()


def _print_accounts() -> None:
    print(f"\n示例账号（密码均为 {DEMO_PASSWORD}）/ demo accounts, password {DEMO_PASSWORD}:")
    rows = [
        ("13800000001", "admin 管理员"),
        ("13800000002", "auditor 审计员"),
        ("13800000003", "town_cadre 驻点干部（板凳镇；驻东湖村、西岭村）"),
        ("13800000028", "town_cadre 驻点干部（板凳镇；驻南溪社区）"),
        ("13800000004", "village_staff 村干部（东湖村）"),
        ("13800000005", "grid_leader 网格长（东湖村第1网格）"),
        ("13800000006", "grid_member 网格员（东湖村第1网格）"),
        ("13800000025", "department_handler 部门承办人（镇水务站）"),
        ("13800000026", "department_handler 部门承办人（镇综治办）"),
        ("13800000027", "department_handler 部门承办人（镇农业农村办）"),
    ]
    for mobile, who in rows:
        print(f"  {mobile}  {who}")
