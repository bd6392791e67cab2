"""Settings from the environment and `.env`; every field is listed in `.env.example`."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent

# Development keys are public (they are in this file); production refuses to start with them.
DEV_SECRET_KEY = "dev-only-jwt-secret-change-me-0123456789abcdef"
DEV_PHONE_KEY = base64.b64encode(b"dev-only-phone-key-32-bytes-long").decode()
DEV_PHONE_HASH_KEY = "dev-only-phone-blind-index-key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BANDENG_", env_file=".env", env_ignore_empty=True, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default=f"sqlite:///{ROOT / 'data' / 'bandeng.db'}")
    timezone: str = "Asia/Shanghai"

    secret_key: str = DEV_SECRET_KEY
    phone_key: str = DEV_PHONE_KEY
    phone_hash_key: str = DEV_PHONE_HASH_KEY
    access_token_minutes: int = Field(default=15, ge=1, le=120)
    refresh_token_days: int = Field(default=10, ge=1, le=90)
    login_max_failures: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    login_ip_limit_per_minute: int = Field(default=20, ge=1)

    feedback_days: int = Field(default=7, ge=1)
    public_ip_limit_per_minute: int = Field(default=30, ge=1)
    public_code_limit_per_hour: int = Field(default=10, ge=1)
    public_report_limit_per_hour: int = Field(default=10, ge=1)

    pwa_dir: Path = ROOT / "pwa"
    scheduler_in_process: bool = True
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _no_dev_keys_in_production(self) -> Settings:
        if self.environment == "production":
            dev = {self.secret_key, self.phone_key, self.phone_hash_key} & {
                DEV_SECRET_KEY,
                DEV_PHONE_KEY,
                DEV_PHONE_HASH_KEY,
            }
            if dev:
                raise ValueError("production needs its own BANDENG_SECRET_KEY, PHONE_KEY and PHONE_HASH_KEY")
        if len(base64.b64decode(self.phone_key)) != 32:
            raise ValueError("BANDENG_PHONE_KEY must be 32 bytes, base64-encoded")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
