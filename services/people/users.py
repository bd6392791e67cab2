"""Accounts: one per person, one role bound to one unit; admins manage the accounts of their subtree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.crypto import SealedPhone, get_cipher, is_mobile, mask_phone, normalize_phone
from core.security import hash_password
from core.settings import get_settings
from models.enums import ROLE_LABELS, UNIT_KIND_LABELS, Role, UnitKind
from models.org import OrgUnit
from models.user import RefreshToken, User
from models.user_schemas import UserPage, UserPublic, UserUpdate
from services import audit, keyset
from services.actor import Actor
from services.errors import Conflict, Invalid, NotFound, PermissionDenied
from services.people import reach
from services.people.visibility import readable_users
from services.rules.passwords import password_problems

# Where each role may sit in the tree.
ROLE_UNIT_KINDS: dict[Role, frozenset[UnitKind]] = {
    Role.grid_member: frozenset({UnitKind.grid}),
    Role.grid_leader: frozenset({UnitKind.grid}),
    Role.village_staff: frozenset({UnitKind.village}),
    Role.town_cadre: frozenset({UnitKind.town}),
    Role.department_handler: frozenset({UnitKind.department}),
    Role.admin: frozenset({UnitKind.district, UnitKind.town}),
    Role.auditor: frozenset({UnitKind.district, UnitKind.town}),
}


def role_fits_unit(role: Role, kind: UnitKind) -> bool:
    """Grid workers sit in grids, village staff in villages, cadres in towns, handlers in departments,
    admins and auditors in a district or town."""
    return kind in ROLE_UNIT_KINDS[role]


def masked_mobile(user: User) -> str:
    """The account's mobile as 139****0001; the full number never leaves the service."""
    return mask_phone(get_cipher().decrypt(user.mobile_ciphertext))


def check_password_policy(password: str, *, field: str) -> None:
    """Invalid (naming `field`) unless the password meets the policy of services/rules/passwords; the demo
    password only outside production (development and tests are the demo)."""
    problems = password_problems(password, demo=get_settings().environment != "production")
    if problems:
        raise Invalid("；".join(problems), field=field, code="weak_password")


def revoke_sessions(session: Session, user: User, *, now: datetime) -> None:
    """End every sign-in of the account: access tokens by version, refresh tokens by revocation."""
    user.token_version += 1
    user.updated_at = now
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user.id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    session.flush()


def _managed_unit(session: Session, actor: Actor | None, unit_id: int) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id)
    if unit is None or (actor is not None and not reach.within(unit.path, actor.unit_path)):
        raise NotFound("单位不存在，或不在您的管理范围", code="unit_not_found")
    if not unit.is_active:
        raise Invalid("该单位已停用", field="org_unit_id", code="unit_inactive")
    return unit


def _keep_off_auditors(*roles: Role | str | None) -> None:
    """三员分立: auditor accounts are the operator's (`bandeng create-user`); an admin neither creates one,
    gives the role, nor changes, resets or deactivates an auditor, so cannot read the log as one."""
    if Role.auditor in roles:
        raise PermissionDenied(
            "审计员账号由系统运维人员管理，管理员不能创建、修改或重置（三员分立）", code="auditor_separated"
        )


def _check_fit(role: Role, unit: OrgUnit) -> None:
    if not role_fits_unit(role, UnitKind(unit.kind)):
        kinds = "或".join(UNIT_KIND_LABELS[k] for k in sorted(ROLE_UNIT_KINDS[role]))
        raise Invalid(f"{ROLE_LABELS[role]}须设在{kinds}", field="role", code="role_unit_mismatch")


def _seal_mobile(session: Session, mobile: str) -> SealedPhone:
    phone = normalize_phone(mobile)
    if not is_mobile(phone):
        raise Invalid("请填写 11 位手机号", field="mobile", code="mobile_invalid")
    sealed = get_cipher().seal_phone(phone)
    if session.exec(select(User.id).where(User.mobile_index == sealed.blind_index)).first() is not None:
        raise Conflict("该手机号已有账号（一人一个账号）", code="mobile_taken")
    return sealed


def create_user(
    session: Session,
    *,
    name: str,
    mobile: str,
    role: Role,
    org_unit_id: int,
    password: str,
    must_change_password: bool = True,
    actor: Actor | None = None,
) -> User:
    """A new account; with an actor (an admin) the unit must be in their subtree and the role not auditor,
    without one (CLI, demo data) any unit will do. The role must fit the unit kind and the password the policy."""
    if actor is not None and actor.role != Role.admin:
        raise PermissionDenied()
    if actor is not None:
        _keep_off_auditors(role)
    name = name.strip()
    if not 1 <= len(name) <= 50:
        raise Invalid("姓名须为 1 到 50 个字", field="name")
    unit = _managed_unit(session, actor, org_unit_id)
    _check_fit(role, unit)
    check_password_policy(password, field="initial_password")
    sealed = _seal_mobile(session, mobile)
    user = User(
        name=name,
        mobile_ciphertext=sealed.ciphertext,
        mobile_index=sealed.blind_index,
        mobile_last4=sealed.last4,
        role=role,
        org_unit_id=org_unit_id,
        password_hash=hash_password(password),
        must_change_password=must_change_password,
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:  # the same mobile registered at the same moment by someone else
        raise Conflict("该手机号已有账号（一人一个账号）", code="mobile_taken") from None
    audit.record(session, "user_create", actor=actor, target_type="user", target_id=user.id, detail={"role": role})
    return user


def get_managed(session: Session, actor: Actor, user_id: int) -> User:
    """The account if it is bound to a unit of the admin's subtree; NotFound otherwise."""
    found = session.exec(readable_users(actor).where(col(User.id) == user_id)).first()
    if found is None:
        raise NotFound("账号不存在，或不在您的管理范围", code="user_not_found")
    return found


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_page(
    session: Session,
    actor: Actor,
    *,
    role: Role | None,
    org_unit_id: int | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> UserPage:
    """Accounts the admin manages, by id; `org_unit_id` takes that unit and everything below it."""
    query = readable_users(actor)
    after = keyset.parse_id(cursor)
    if after is not None:
        query = query.where(col(User.id) > after)
    if role is not None:
        query = query.where(col(User.role) == role)
    if org_unit_id is not None:
        below = select(OrgUnit.id).where(col(OrgUnit.path).contains(f"/{org_unit_id}/"))
        query = query.where(col(User.org_unit_id).in_(below))
    if q:
        query = query.where(col(User.name).ilike(f"%{_escape_like(q)}%", escape="\\"))
    joined = (
        query.add_columns(col(OrgUnit.name))
        .join(OrgUnit, OrgUnit.id == User.org_unit_id)  # type: ignore[arg-type]
        .order_by(col(User.id))
        .limit(limit + 1)
    )
    rows = session.execute(joined).all()
    items = [to_public(user, unit_name) for user, unit_name in rows[:limit]]
    next_cursor = str(rows[limit - 1][0].id) if len(rows) > limit else None
    return UserPage(items=items, next_cursor=next_cursor)


def to_public(user: User, unit_name: str) -> UserPublic:
    """What an admin sees of an account: no password hash, a masked mobile."""
    assert user.id is not None
    return UserPublic(
        id=user.id,
        name=user.name,
        role=Role(user.role),
        role_label=ROLE_LABELS[Role(user.role)],
        org_unit_id=user.org_unit_id,
        org_unit_name=unit_name,
        mobile_masked=masked_mobile(user),
        is_active=user.is_active,
        must_change_password=user.must_change_password,
        locked_until=user.locked_until,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
    )


def unit_name(session: Session, user: User) -> str:
    unit = session.get(OrgUnit, user.org_unit_id)
    return unit.name if unit else ""


def _changes(session: Session, actor: Actor, user: User, body: UserUpdate) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True, exclude_none=True)
    changes = {key: value for key, value in fields.items() if getattr(user, key) != value}
    if {"role", "org_unit_id"} & changes.keys():
        unit = _managed_unit(session, actor, changes.get("org_unit_id", user.org_unit_id))
        _check_fit(Role(changes.get("role", user.role)), unit)
    return changes


def update_user(session: Session, actor: Actor, user: User, body: UserUpdate, *, ip: str | None, now: datetime) -> User:
    """Rename, move, change role, (de)activate. Anything but a rename ends the account's sign-ins and is
    audited as a permission change; admins cannot change their own role, unit or status, nor an auditor."""
    _keep_off_auditors(user.role, body.role)
    changes = _changes(session, actor, user, body)
    if not changes:
        return user
    touches_access = bool({"role", "org_unit_id", "is_active"} & changes.keys())
    if touches_access and user.id == actor.id:
        raise PermissionDenied("不能修改自己的角色、单位或启用状态", code="self_change_forbidden")
    detail = {key: {"from": getattr(user, key), "to": value} for key, value in changes.items()}
    for key, value in changes.items():
        setattr(user, key, value)
    user.updated_at = now
    if touches_access:
        revoke_sessions(session, user, now=now)
    action = "permission_change" if touches_access else "user_update"
    audit.record(session, action, actor=actor, target_type="user", target_id=user.id, ip=ip, detail=detail, now=now)
    session.flush()
    return user


def reset_password(
    session: Session, actor: Actor | None, user: User, password: str, *, ip: str | None, now: datetime
) -> User:
    """A new initial password: the person must change it at next sign-in; sign-ins end, any lock lifts.
    An admin (`actor`) resets the accounts they manage but an auditor's; the operator (no actor, the CLI) any."""
    if actor is not None:
        _keep_off_auditors(user.role)
    check_password_policy(password, field="initial_password")
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    revoke_sessions(session, user, now=now)
    audit.record(session, "password_reset", actor=actor, target_type="user", target_id=user.id, ip=ip, now=now)
    return user
