"""The resident-request lifecycle as a table, checked before anything is written."""

from __future__ import annotations

from collections.abc import Mapping

from models.enums import Action, RequestStatus, Role

S = RequestStatus
A = Action

_OPEN = (S.registered, S.accepted, S.dispatched, S.in_progress)
_TAKEN = (S.accepted, S.dispatched, S.in_progress)  # accepted, so someone is answerable for it

TRANSITIONS: Mapping[tuple[RequestStatus, Action], RequestStatus] = {
    (S.registered, A.accept): S.accepted,
    (S.registered, A.reject): S.not_accepted,
    (S.registered, A.resolve_on_spot): S.closed,
    (S.accepted, A.resolve_on_spot): S.closed,
    (S.accepted, A.dispatch): S.dispatched,
    (S.dispatched, A.return_): S.accepted,
    (S.in_progress, A.return_): S.accepted,
    (S.dispatched, A.sign_for): S.dispatched,
    (S.dispatched, A.first_contact): S.dispatched,
    (S.in_progress, A.first_contact): S.in_progress,
    (S.dispatched, A.start): S.in_progress,
    (S.in_progress, A.reply): S.replied,
    (S.replied, A.close): S.closed,
    (S.replied, A.reopen): S.dispatched,
    (S.closed, A.reopen): S.dispatched,
    (S.replied, A.rate): S.replied,
    (S.closed, A.rate): S.closed,
    # 回访 once the cycle is answered (a reply, or closed: after a rating, as 未评价, or on the spot).
    (S.replied, A.callback): S.replied,
    (S.closed, A.callback): S.closed,
    (S.replied, A.close_unrated): S.closed,
    **{(status, A.escalate): status for status in _OPEN},
    **{(status, A.transfer): S.dispatched for status in _OPEN},
    **{(status, A.extend): status for status in _TAKEN},
    # The escalation desk: a town cadre takes over (and is working on it), notes, whistles, decides extensions.
    **{(status, A.take_over): S.in_progress for status in _OPEN},
    **{(status, action): status for status in _OPEN for action in (A.supervise, A.whistle, A.report_in)},
    **{
        (status, action): status
        for status in _TAKEN
        for action in (A.request_extension, A.approve_extension, A.deny_extension)
    },
    # The sweeps' events: flags on an open request, never a change of status.
    **{
        (status, action): status
        for status in _OPEN
        for action in (A.sla_warning, A.sla_breach, A.sla_leadership, A.whistle_overdue)
    },
}

_STAFF = frozenset({Role.grid_member, Role.grid_leader, Role.village_staff, Role.town_cadre})
_MANAGERS = frozenset({Role.grid_leader, Role.village_staff, Role.town_cadre})
_HANDLERS = _STAFF | {Role.department_handler}

# Who may take each action through /actions; residents act only through the public rating, staff record
# callbacks through their own route (services/requests/callbacks.py: who may, and with what outcome).
ACTION_ROLES: Mapping[Action, frozenset[Role]] = {
    A.accept: _MANAGERS,
    A.reject: _MANAGERS,
    A.dispatch: _MANAGERS,
    A.resolve_on_spot: _STAFF,
    A.return_: _HANDLERS,
    A.sign_for: _HANDLERS,
    A.first_contact: _HANDLERS,
    A.start: _HANDLERS,
    A.reply: _HANDLERS,
    A.close: _MANAGERS,
    A.reopen: _MANAGERS,
    A.escalate: _STAFF,
    A.transfer: frozenset({Role.town_cadre}),
    A.rate: frozenset(),
    A.extend: frozenset({Role.town_cadre}),
    A.take_over: frozenset({Role.town_cadre}),
    A.supervise: frozenset({Role.town_cadre}),
    A.whistle: frozenset({Role.town_cadre}),
    A.report_in: frozenset({Role.department_handler}),
    A.request_extension: _HANDLERS,
    A.approve_extension: frozenset({Role.town_cadre}),
    A.deny_extension: frozenset({Role.town_cadre}),
    A.whistle_overdue: frozenset(),
    A.sla_warning: frozenset(),
    A.sla_breach: frozenset(),
    A.sla_leadership: frozenset(),
    A.callback: frozenset(),
    A.close_unrated: frozenset(),
}

# Actions that belong to whoever handles the request (the handling unit, a unit above it, or the department).
HANDLER_ACTIONS = frozenset({A.sign_for, A.first_contact, A.start, A.reply, A.return_, A.request_extension})

# Inputs an action cannot do without (checked before the transition is applied).
REQUIRED_INPUTS: Mapping[Action, tuple[str, ...]] = {
    A.reject: ("reject_reason",),
    A.resolve_on_spot: ("note",),
    A.dispatch: ("handling_unit_id",),
    A.return_: ("note",),
    A.reply: ("closure_type", "note"),
    A.reopen: ("note",),
    A.transfer: ("department_id",),
    A.escalate: ("note",),
    A.extend: ("due_at", "note"),
    A.take_over: ("note",),
    A.supervise: ("note",),
    A.whistle: ("department_id", "note"),
    A.request_extension: ("due_at", "note"),
    A.approve_extension: ("note",),
    A.deny_extension: ("note",),
}


# Events that stay inside: the sweeps' flags, the desk's supervision, whistles and extension requests, and the
# record of the SMS sent to the resident.
# A resident's timeline shows status moves, transfers, take-overs and approved (date-moving) extensions.
INTERNAL_ACTIONS = frozenset(
    {
        A.sla_warning,
        A.sla_breach,
        A.sla_leadership,
        A.whistle_overdue,
        A.supervise,
        A.whistle,
        A.report_in,
        A.request_extension,
        A.deny_extension,
        A.resident_notified,  # the resident has the SMS itself; staff see what it said and when
    }
)


class InvalidTransitionError(Exception):
    def __init__(self, status: RequestStatus, action: Action) -> None:
        self.status = status
        self.action = action
        super().__init__(f"{action} is not allowed in {status}")


def transition(status: RequestStatus, action: Action) -> RequestStatus:
    """The status after `action`, or InvalidTransitionError if the table has no such move."""
    try:
        return TRANSITIONS[(RequestStatus(status), action)]
    except KeyError:
        raise InvalidTransitionError(RequestStatus(status), action) from None


def may_take(role: Role, action: Action) -> bool:
    return role in ACTION_ROLES.get(action, frozenset())


def allowed_actions(status: RequestStatus, role: Role) -> list[Action]:
    """Actions this role may take now, in the order of the Action vocabulary."""
    return [action for action in Action if (RequestStatus(status), action) in TRANSITIONS and may_take(role, action)]


def missing_inputs(action: Action, given: Mapping[str, object]) -> list[str]:
    return [name for name in REQUIRED_INPUTS.get(action, ()) if given.get(name) in (None, "")]
