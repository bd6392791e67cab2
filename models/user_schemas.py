"""API schemas of accounts, sign-in and the audit-log read API. Full mobile numbers only ever come in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from sqlmodel import SQLModel

from models.audit import AuditLogPublic
from models.enums import Role, UnitKind
from models.types import DbId, Text, storable

# Passwords are taken verbatim (never stripped) but must still be storable.
Password = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(storable)]
Mobile = Annotated[Text, Field(min_length=7, max_length=30, description="手机号，可带 +86 和空格、连字符")]
PersonName = Annotated[Text, Field(min_length=1, max_length=50)]
OpaqueToken = Annotated[str, Field(min_length=1, max_length=200)]
PASSWORD_POLICY = "至少 8 位，包含小写字母、大写字母、数字、符号中的至少 3 种"


class LoginInput(SQLModel):
    mobile: Mobile
    password: Password

    model_config = {"json_schema_extra": {"examples": [{"mobile": "13900000001", "password": "Grid-2026-ok"}]}}


class RefreshInput(SQLModel):
    refresh_token: OpaqueToken


class PasswordChangeInput(SQLModel):
    current_password: Password
    new_password: Password = Field(description=PASSWORD_POLICY)


class PasswordResetInput(SQLModel):
    initial_password: Password = Field(description=f"新的初始密码（首次登录须修改）：{PASSWORD_POLICY}")


class SessionUser(SQLModel):
    id: int
    name: str
    role: Role
    org_unit_id: int
    mobile_masked: str = Field(description="如 139****0001；接口从不返回完整手机号")


class TokenPair(SQLModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="access_token 有效秒数")
    refresh_token: str = Field(description="只能使用一次；刷新后换成新的，重复使用会使整组登录失效")
    refresh_expires_at: datetime
    must_change_password: bool = Field(description="为 true 时须先调用 POST /api/v1/auth/password")
    user: SessionUser


class UnitBrief(SQLModel):
    id: int
    name: str
    kind: UnitKind
    code: str


class Me(SQLModel):
    id: int
    name: str
    role: Role
    role_label: str
    org_unit: UnitBrief
    mobile_masked: str
    must_change_password: bool


class UserCreate(SQLModel):
    name: PersonName
    mobile: Mobile = Field(description="11 位手机号；一人一个账号")
    role: Role = Field(
        description="须与单位种类相符：网格员/网格长→网格，村干部→村，镇街干部→镇街，部门人员→部门，"
        "管理员/审计员→区县或镇街"
    )
    org_unit_id: DbId
    initial_password: Password = Field(description=f"初始密码（首次登录须修改）：{PASSWORD_POLICY}")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "示例网格员",
                    "mobile": "13900000099",
                    "role": "grid_member",
                    "org_unit_id": 5,
                    "initial_password": "Init-2026-pw",
                }
            ]
        }
    }


class UserUpdate(SQLModel):
    name: PersonName | None = None
    role: Role | None = Field(default=None, description="改角色会使该账号所有登录失效")
    org_unit_id: DbId | None = Field(default=None, description="改单位会使该账号所有登录失效")
    is_active: bool | None = Field(default=None, description="false 停用账号并使所有登录失效")


class UserPublic(SQLModel):
    id: int
    name: str
    role: Role
    role_label: str
    org_unit_id: int
    org_unit_name: str
    mobile_masked: str
    is_active: bool
    must_change_password: bool
    locked_until: datetime | None = Field(description="输错密码锁定的截止时间；为 null 或早于当前时间即未锁定")
    last_login_at: datetime | None
    created_at: datetime


class UserPage(SQLModel):
    items: list[UserPublic]
    next_cursor: str | None


class AuditLogPage(SQLModel):
    items: list[AuditLogPublic]
    next_cursor: str | None
