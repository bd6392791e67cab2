"""Every table module is imported here so `SQLModel.metadata` is complete for Alembic."""

from models import base as base
from models.audit import AuditChainHead, AuditLog, RateLimitBucket
from models.grid import (
    AppliedOp,
    Attachment,
    Device,
    Household,
    HouseholdConflict,
    HouseholdRevision,
    LedgerEnrolment,
    LedgerType,
    Resident,
    SyncChange,
    Visit,
    VisitItem,
)
from models.heartbeat import SchedulerHeartbeat
from models.notification import Notification, PushSubscription
from models.org import OrgUnit
from models.resident_request import (
    Callback,
    Category,
    ExtensionRequest,
    Rating,
    ResidentRequest,
    ResidentRequestEvent,
    RoutingRule,
    Transfer,
    Whistle,
)
from models.sla import SlaPolicy, SlaTimer, WorkCalendarDay, WorkCalendarYear
from models.stationing import DutyLogRevision, ReceptionMatter, ReceptionSession, Stationing, StationingMember
from models.user import RefreshToken, RevokedAccessToken, User

__all__ = [
    "AppliedOp",
    "Attachment",
    "AuditChainHead",
    "AuditLog",
    "Callback",
    "Category",
    "Device",
    "DutyLogRevision",
    "ExtensionRequest",
    "Household",
    "HouseholdConflict",
    "HouseholdRevision",
    "LedgerEnrolment",
    "LedgerType",
    "Notification",
    "OrgUnit",
    "PushSubscription",
    "RateLimitBucket",
    "Rating",
    "ReceptionMatter",
    "ReceptionSession",
    "RefreshToken",
    "Resident",
    "ResidentRequest",
    "ResidentRequestEvent",
    "RevokedAccessToken",
    "RoutingRule",
    "SchedulerHeartbeat",
    "SlaPolicy",
    "SlaTimer",
    "Stationing",
    "StationingMember",
    "SyncChange",
    "Transfer",
    "User",
    "Visit",
    "VisitItem",
    "Whistle",
    "WorkCalendarDay",
    "WorkCalendarYear",
]
