"""Every table module is imported here so `SQLModel.metadata` is complete for Alembic."""

from models import base as base
from models.audit import AuditLog, RateLimitBucket
from models.org import OrgUnit
from models.resident_request import Category, Rating, ResidentRequest, ResidentRequestEvent, RoutingRule, Transfer
from models.user import RefreshToken, User

__all__ = [
    "AuditLog",
    "Category",
    "OrgUnit",
    "RateLimitBucket",
    "Rating",
    "RefreshToken",
    "ResidentRequest",
    "ResidentRequestEvent",
    "RoutingRule",
    "Transfer",
    "User",
]
