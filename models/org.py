"""The org tree: district → town → village/community → grid, with departments beside it."""

from datetime import datetime

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from models.base import created_at_field
from models.enums import UnitKind


class OrgUnit(SQLModel, table=True):
    __tablename__ = "org_unit"

    id: int | None = Field(default=None, primary_key=True)
    kind: UnitKind = Field(sa_type=String(16), nullable=False)
    name: str = Field(max_length=100, nullable=False)
    code: str = Field(max_length=20, unique=True, nullable=False)
    parent_id: int | None = Field(default=None, foreign_key="org_unit.id", index=True)
    # "/1/4/9/": ids from the root down to this unit; a subtree is a prefix match.
    path: str = Field(default="", max_length=255, index=True, nullable=False)
    is_active: bool = Field(default=True, nullable=False)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class OrgUnitPublic(SQLModel):
    id: int
    kind: UnitKind
    name: str
    code: str
    parent_id: int | None
    is_active: bool
