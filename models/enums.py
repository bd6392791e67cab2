"""Vocabularies stored as strings; the Chinese labels are what people see."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class UnitKind(StrEnum):
    district = "district"
    town = "town"
    village = "village"
    grid = "grid"
    department = "department"


class Role(StrEnum):
    grid_member = "grid_member"
    grid_leader = "grid_leader"
    village_staff = "village_staff"
    town_cadre = "town_cadre"
    department_handler = "department_handler"
    admin = "admin"
    auditor = "auditor"


class Channel(StrEnum):
    visit = "visit"
    service_point = "service_point"
    reception = "reception"
    self_report = "self_report"
    hotline = "hotline"


class RequestClass(StrEnum):
    emergency = "emergency"
    utilities = "utilities"
    general = "general"
    complex = "complex"
    consultation = "consultation"


class RequestStatus(StrEnum):
    registered = "registered"
    accepted = "accepted"
    dispatched = "dispatched"
    in_progress = "in_progress"
    replied = "replied"
    closed = "closed"
    not_accepted = "not_accepted"


class Action(StrEnum):
    register = "register"  # the first event of every request; not an action a person takes later
    accept = "accept"
    reject = "reject"
    resolve_on_spot = "resolve_on_spot"
    dispatch = "dispatch"
    return_ = "return"
    sign_for = "sign_for"
    first_contact = "first_contact"
    start = "start"
    reply = "reply"
    close = "close"
    reopen = "reopen"
    escalate = "escalate"
    transfer = "transfer"
    rate = "rate"
    extend = "extend"  # 延期, decided by a town cadre on their own
    # The escalation desk (督办台) and departments:
    take_over = "take_over"  # a town cadre takes the request into their own hands
    supervise = "supervise"  # a supervision note (督办意见) to the handling unit
    whistle = "whistle"  # 吹哨: a department is called in and must report within a set time
    report_in = "report_in"  # 报到: the whistled department answers the whistle
    request_extension = "request_extension"  # a handler asks a town cadre for more time
    approve_extension = "approve_extension"
    deny_extension = "deny_extension"
    # Written by the SLA sweep, never taken by a person:
    sla_warning = "sla_warning"
    sla_breach = "sla_breach"
    sla_leadership = "sla_leadership"
    whistle_overdue = "whistle_overdue"  # the whistled department did not report in time
    # 回访: recorded through POST /requests/{id}/callbacks (with its outcome), never through /actions.
    callback = "callback"
    # Written by the scheduler: a reply nobody rated or called back in time is closed, never as satisfied.
    close_unrated = "close_unrated"
    # An SMS to the resident was queued (registered, replied, reopened, a reminder to rate): its kind in the data,
    # its delivery on the request's detail. Staff see it; the resident's own timeline does not.
    resident_notified = "resident_notified"


class ClosureType(StrEnum):
    on_spot = "on_spot"
    substantive = "substantive"
    phased = "phased"
    procedural = "procedural"


class RejectReason(StrEnum):
    duplicate = "duplicate"
    out_of_area = "out_of_area"
    not_our_duty = "not_our_duty"
    abusive = "abusive"


class Supervision(StrEnum):
    normal = "normal"
    yellow = "yellow"
    red = "red"


class ExtensionState(StrEnum):
    pending = "pending"
    approved = "approved"
    denied = "denied"
    lapsed = "lapsed"  # the request was answered before anyone decided


class DeskReason(StrEnum):
    """Why a request is in someone's inbox: the escalation desk (town cadres) or a handling unit's own list."""

    escalated = "escalated"  # escalated to the reader's unit
    red_card = "red_card"
    overdue = "overdue"
    extension_requested = "extension_requested"
    returned = "returned"  # a unit it was sent to gave it back
    whistle_unanswered = "whistle_unanswered"  # a whistled department has not reported in time
    to_sign = "to_sign"  # sent to the reader's unit, not signed for yet
    whistled = "whistled"  # the reader's department was whistled and has not reported in
    handling = "handling"  # with the reader's unit, signed for


class RatingLevel(StrEnum):
    satisfied = "satisfied"
    basically_satisfied = "basically_satisfied"
    unsatisfied = "unsatisfied"


class Resolution(StrEnum):
    """Whether the problem is solved, as the resident says on a callback (回访)."""

    resolved = "resolved"
    partly_resolved = "partly_resolved"
    unresolved = "unresolved"


class SatisfactionSource(StrEnum):
    """Where a satisfaction came from: the resident's own rating, or a callback recorded on their behalf."""

    own = "own"
    callback = "callback"


STATUS_LABELS: dict[RequestStatus, str] = {
    RequestStatus.registered: "已登记",
    RequestStatus.accepted: "已受理",
    RequestStatus.dispatched: "已派单",
    RequestStatus.in_progress: "办理中",
    RequestStatus.replied: "已答复",
    RequestStatus.closed: "已办结",
    RequestStatus.not_accepted: "不予受理",
}

ACTION_LABELS: dict[Action, str] = {
    Action.register: "登记",
    Action.accept: "受理",
    Action.reject: "不予受理",
    Action.resolve_on_spot: "当场办结",
    Action.dispatch: "派单",
    Action.return_: "退单",
    Action.sign_for: "签收",
    Action.first_contact: "首次联系",
    Action.start: "开始办理",
    Action.reply: "答复",
    Action.close: "办结",
    Action.reopen: "重办",
    Action.escalate: "上报",
    Action.transfer: "转办",
    Action.rate: "评价",
    Action.extend: "延期",
    Action.take_over: "提级接办",
    Action.supervise: "督办",
    Action.whistle: "吹哨",
    Action.report_in: "吹哨报到",
    Action.request_extension: "申请延期",
    Action.approve_extension: "同意延期",
    Action.deny_extension: "不同意延期",
    Action.sla_warning: "黄牌预警",
    Action.sla_breach: "红牌超期",
    Action.sla_leadership: "超期升级至镇街领导",
    Action.whistle_overdue: "吹哨超时未报到",
    Action.callback: "回访",
    Action.close_unrated: "未评价结案",
    Action.resident_notified: "短信告知居民",
}

RATING_LEVEL_LABELS: dict[RatingLevel, str] = {
    RatingLevel.satisfied: "满意",
    RatingLevel.basically_satisfied: "基本满意",
    RatingLevel.unsatisfied: "不满意",
}

CLOSURE_TYPE_LABELS: dict[ClosureType, str] = {
    ClosureType.on_spot: "当场办结",
    ClosureType.substantive: "实质解决",
    ClosureType.phased: "阶段性答复",
    ClosureType.procedural: "程序性答复",
}

RESOLUTION_LABELS: dict[Resolution, str] = {
    Resolution.resolved: "已解决",
    Resolution.partly_resolved: "部分解决",
    Resolution.unresolved: "未解决",
}

EXTENSION_STATE_LABELS: dict[ExtensionState, str] = {
    ExtensionState.pending: "待审批",
    ExtensionState.approved: "已同意",
    ExtensionState.denied: "未同意",
    ExtensionState.lapsed: "已答复，无需审批",
}

DESK_REASON_LABELS: dict[DeskReason, str] = {
    DeskReason.escalated: "上报至本单位",
    DeskReason.red_card: "红牌",
    DeskReason.overdue: "超期未反馈",
    DeskReason.extension_requested: "待批延期",
    DeskReason.returned: "被退回",
    DeskReason.whistle_unanswered: "吹哨未报到",
    DeskReason.to_sign: "待签收",
    DeskReason.whistled: "吹哨待报到",
    DeskReason.handling: "办理中",
}

ROLE_LABELS: dict[Role, str] = {
    Role.grid_member: "网格员",
    Role.grid_leader: "网格长",
    Role.village_staff: "村(社区)干部",
    Role.town_cadre: "镇街干部",
    Role.department_handler: "职能部门",
    Role.admin: "管理员",
    Role.auditor: "审计员",
}

UNIT_KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.district: "区县",
    UnitKind.town: "镇街",
    UnitKind.village: "村(社区)",
    UnitKind.grid: "网格",
    UnitKind.department: "职能部门",
}


class SlaClock(StrEnum):
    response = "response"  # sign for + first contact
    feedback = "feedback"  # the promise to the resident


class DurationUnit(StrEnum):
    hours = "hours"
    calendar_days = "calendar_days"
    working_days = "working_days"


class SlaStage(IntEnum):
    """Only ever moves forward within one cycle."""

    running = 0
    warning = 1  # yellow card, remind the handler
    breached = 2  # red card, the next level up
    leadership = 3  # breach + N days: town leadership


class DayKind(StrEnum):
    workday = "workday"
    weekend = "weekend"
    holiday = "holiday"  # statutory holiday (法定节假日)
    makeup_workday = "makeup_workday"  # 调休补班: a weekend day that is worked


class NotificationChannel(StrEnum):
    inbox = "inbox"
    push = "push"
    sms = "sms"
    digest = "digest"  # held for a town cadre's one daily digest
    # To the phone a request's reporter gave: no account, the number read from the request when it is sent.
    resident_sms = "resident_sms"


class NotificationStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # gave up after the last retry; kept, never deleted
    digested = "digested"  # folded into a daily digest


SLA_STAGE_LABELS: dict[SlaStage, str] = {
    SlaStage.running: "正常",
    SlaStage.warning: "黄牌预警",
    SlaStage.breached: "红牌超期",
    SlaStage.leadership: "超期升级至镇街领导",
}

DAY_KIND_LABELS: dict[DayKind, str] = {
    DayKind.workday: "工作日",
    DayKind.weekend: "休息日",
    DayKind.holiday: "法定节假日",
    DayKind.makeup_workday: "调休上班",
}

WEEKDAY_LABELS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")  # by date.weekday()


class ConflictKeep(StrEnum):
    """Which value a grid leader keeps for a household field changed both on a phone and on the server."""

    server = "server"
    client = "client"
    other = "other"


# Household fields an offline edit can conflict on (services/sync_households.MERGED_FIELDS).
HOUSEHOLD_FIELD_LABELS: dict[str, str] = {
    "head_name": "户主姓名",
    "address_text": "地址",
    "phone": "联系电话",
    "member_count": "家庭人数",
    "notes": "备注",
}
