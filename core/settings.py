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
    refresh_retry_seconds: int = Field(default=30, ge=0, le=300)
    login_max_failures: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    login_ip_limit_per_minute: int = Field(default=20, ge=1)

    public_ip_limit_per_minute: int = Field(default=30, ge=1)
    public_code_limit_per_hour: int = Field(default=10, ge=1)
    public_report_limit_per_hour: int = Field(default=10, ge=1)

    # Web Push (VAPID): both keys or neither; without them push rows are marked sent, "push not configured".
    vapid_private_key: str = ""
    vapid_public_key: str = ""
    vapid_subject: str = Field(default="mailto:ops@example.invalid", pattern=r"^(mailto:[^@\s]+@[^@\s]+|https://\S+)$")
    # "log" (development: log the masked number and text) or "package.module:ClassName" of an SmsGateway.
    sms_backend: str = Field(default="log", pattern=r"^(log|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$")
    notification_max_attempts: int = Field(default=8, ge=1, le=50)
    # 吹哨: hours a whistled department has to report in (a cadre may set 1–72 per whistle).
    whistle_report_hours: int = Field(default=4, ge=1, le=72)

    pwa_dir: Path = ROOT / "pwa"
    attachments_dir: Path = ROOT / "data" / "attachments"
    attachment_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1)
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
        _check_vapid(self.vapid_private_key, self.vapid_public_key)
        return self

    @property
    def push_configured(self) -> bool:
        return bool(self.vapid_private_key)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _check_vapid(private_key: str, public_key: str) -> None:
    """Both keys or neither, and the public key must be the private key's: a browser subscribed with
    another key would have every push refused."""
    if not private_key and not public_key:
        return
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    try:
        raw = _b64url(private_key)
        if len(raw) != 32:
            raise ValueError("not 32 bytes")
        key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
        matches = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint) == _b64url(public_key)
    except ValueError:
        matches = False
    if not matches:
        raise ValueError(
            "BANDENG_VAPID_PRIVATE_KEY (32 bytes) and BANDENG_VAPID_PUBLIC_KEY (65 bytes), base64url, must be "
            "one key pair: generate them with `python -m services.notify.channels vapid`"
        )


@lru_cache
def get_settings() -> Settings:
    return Settings()
