"""Settings from the environment and `.env`; every field is listed in `.env.example`."""

from __future__ import annotations

import base64
import math
import re
import zlib
from collections import Counter
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.net import Network, parse_networks

ROOT = Path(__file__).resolve().parent.parent

# Development keys are public (they are in this file); production refuses to start with them.
DEV_SECRET_KEY = "dev-only-jwt-secret-change-me-0123456789abcdef"
DEV_PHONE_KEY = base64.b64encode(b"dev-only-phone-key-32-bytes-long").decode()
DEV_PHONE_HASH_KEY = "dev-only-phone-blind-index-key"
DEV_AUDIT_KEY = "dev-only-audit-chain-hmac-key-0123456789"
MIN_KEY_CHARS = 32
MIN_KEY_BITS = 128


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BANDENG_", env_file=".env", env_ignore_empty=True, extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default=f"sqlite:///{ROOT / 'data' / 'bandeng.db'}")
    timezone: str = "Asia/Shanghai"

    secret_key: str = DEV_SECRET_KEY
    phone_key: str = DEV_PHONE_KEY
    phone_hash_key: str = DEV_PHONE_HASH_KEY
    # HMAC key of the audit chain: each audit row's hash is keyed with it, so rewriting the log needs it.
    audit_key: str = DEV_AUDIT_KEY
    # Phone and ID-number reveals one account may make per hour (429 beyond), refused ones included.
    reveal_limit_per_hour: int = Field(default=30, ge=1)
    access_token_minutes: int = Field(default=15, ge=1, le=120)
    refresh_token_days: int = Field(default=10, ge=1, le=90)
    refresh_retry_seconds: int = Field(default=30, ge=0, le=300)
    login_max_failures: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    login_ip_limit_per_minute: int = Field(default=20, ge=1)

    # Reverse proxies whose X-Forwarded-For is believed (IPs and CIDRs, comma-separated); empty: none, the
    # direct peer is the client.
    trusted_proxies: str = ""

    public_ip_limit_per_minute: int = Field(default=30, ge=1)
    public_code_limit_per_hour: int = Field(default=10, ge=1)
    public_code_right_digits_per_hour: int = Field(default=10, ge=1)
    public_report_limit_per_hour: int = Field(default=10, ge=1)

    # Web Push (VAPID): both keys or neither; without them push rows are marked sent, "push not configured".
    vapid_private_key: str = ""
    vapid_public_key: str = ""
    vapid_subject: str = Field(default="mailto:ops@example.invalid", pattern=r"^(mailto:[^@\s]+@[^@\s]+|https://\S+)$")
    # SMS: "log" (development: log the masked number and text), "aliyun", "tencent", or "package.module:ClassName"
    # of an SmsGateway. The providers send approved templates (services/notify/sms.py lists them).
    sms_backend: str = Field(default="log", pattern=r"^(log|aliyun|tencent|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$")
    sms_sign_name: str = ""
    sms_endpoint: str = ""  # empty: the provider's own; http:// only to 127.0.0.1 / localhost, for tests
    sms_template_staff: str = ""
    # The residents' messages (registered, replied, reopened, a reminder to rate): one template each.
    sms_template_resident_registered: str = ""
    sms_template_resident_replied: str = ""
    sms_template_resident_reopened: str = ""
    sms_template_resident_rate_reminder: str = ""
    sms_param_max_chars: int = Field(default=35, ge=6, le=500)
    sms_aliyun_access_key_id: str = ""
    sms_aliyun_access_key_secret: SecretStr = SecretStr("")
    sms_tencent_secret_id: str = ""
    sms_tencent_secret_key: SecretStr = SecretStr("")
    sms_tencent_sdk_app_id: str = ""
    sms_tencent_region: str = "ap-guangzhou"
    notification_max_attempts: int = Field(default=8, ge=1, le=50)
    # 吹哨: hours a whistled department has to report in (a cadre may set 1–72 per whistle).
    whistle_report_hours: int = Field(default=4, ge=1, le=72)
    # 未评价结案: days after the reply day a reply nobody rated or called back waits before it is closed.
    unrated_close_days: int = Field(default=7, ge=1, le=90)
    # 评价提醒: days after a reply that nobody rated when the resident gets one SMS asking them to rate it.
    rate_reminder_days: int = Field(default=3, ge=1, le=30)

    pwa_dir: Path = ROOT / "pwa"
    attachments_dir: Path = ROOT / "data" / "attachments"
    attachment_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1)
    # Photos one account may upload per local day (429 beyond): a grid member's busiest day, with room to spare.
    attachment_daily_limit: int = Field(default=300, ge=1)
    # The daily backup (database and photos, `bandeng backup`): its folder, and how many to keep (0: no daily backup).
    backup_dir: Path = ROOT / "data" / "backups"
    backup_keep: int = Field(default=7, ge=0, le=366)
    # Largest request body other than a photo upload (413 beyond), counted as it arrives, before parsing.
    request_max_bytes: int = Field(default=1024 * 1024, ge=1024)
    # API requests served at once, below anyio's 40 worker threads so that the request holding a database connection
    # always finds a thread to give it back; the rest wait their turn up to queue_wait_seconds, then get a 503.
    max_in_flight: int = Field(default=32, ge=1)
    queue_wait_seconds: float = Field(default=2.0, ge=0, le=30)
    scheduler_in_process: bool = True
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _no_dev_keys_in_production(self) -> Settings:
        if len(base64.b64decode(self.phone_key)) != 32:
            raise ValueError("BANDENG_PHONE_KEY must be 32 bytes, base64-encoded")
        if self.environment == "production":
            _check_production_keys(self)
        parse_networks(self.trusted_proxies)  # BANDENG_TRUSTED_PROXIES: refused at start-up, not per request
        _check_vapid(self.vapid_private_key, self.vapid_public_key)
        _check_sms(self)
        return self

    @cached_property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    @property
    def push_configured(self) -> bool:
        return bool(self.vapid_private_key)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def estimated_bits(key: bytes) -> float:
    """A rough entropy estimate of a key: Shannon bits per symbol times the symbols left after compression,
    so short keys, few distinct characters and repeated patterns all score low."""
    counts = Counter(key)
    per_symbol = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values()) if key else 0.0
    novel = len(zlib.compress(key, 9)) - len(zlib.compress(b"", 9))
    return per_symbol * min(len(key), novel)


def _check_production_keys(settings: Settings) -> None:
    """Production keys are not the development ones, not shared between uses, and strong: text keys at least
    MIN_KEY_CHARS characters, every key about MIN_KEY_BITS bits by `estimated_bits`."""
    keys = {
        "BANDENG_SECRET_KEY": settings.secret_key.encode(),
        "BANDENG_PHONE_KEY": base64.b64decode(settings.phone_key),
        "BANDENG_PHONE_HASH_KEY": settings.phone_hash_key.encode(),
        "BANDENG_AUDIT_KEY": settings.audit_key.encode(),
    }
    if {settings.secret_key, settings.phone_key, settings.phone_hash_key, settings.audit_key} & {
        DEV_SECRET_KEY,
        DEV_PHONE_KEY,
        DEV_PHONE_HASH_KEY,
        DEV_AUDIT_KEY,
    }:
        raise ValueError("production needs its own BANDENG_SECRET_KEY, PHONE_KEY, PHONE_HASH_KEY and AUDIT_KEY")
    if len(set(keys.values())) < len(keys):
        raise ValueError("BANDENG_SECRET_KEY, PHONE_KEY, PHONE_HASH_KEY and AUDIT_KEY must be four different keys")
    for name, key in keys.items():
        too_short = name != "BANDENG_PHONE_KEY" and len(key) < MIN_KEY_CHARS
        if too_short or estimated_bits(key) < MIN_KEY_BITS:
            raise ValueError(f"{name} is too weak for production: generate a random one (.env.example shows how)")


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


_SMS_PROVIDER_SETTINGS = {
    "aliyun": ("sms_aliyun_access_key_id", "sms_aliyun_access_key_secret"),
    "tencent": ("sms_tencent_secret_id", "sms_tencent_secret_key", "sms_tencent_sdk_app_id", "sms_tencent_region"),
}


def _check_sms(settings: Settings) -> None:
    """A real provider needs its credentials, the sign and every template code at start-up, not at the first
    message; its endpoint is https, or plain http to this machine (a test's fake provider)."""
    required = _SMS_PROVIDER_SETTINGS.get(settings.sms_backend)
    if required is None:
        return
    names = [*required, "sms_sign_name", *(name for name in Settings.model_fields if name.startswith("sms_template_"))]
    missing = [f"BANDENG_{name.upper()}" for name in names if not _text(getattr(settings, name))]
    if missing:
        raise ValueError(f"BANDENG_SMS_BACKEND={settings.sms_backend} needs {', '.join(missing)}")
    endpoint = settings.sms_endpoint
    loopback = re.fullmatch(r"http://(127\.0\.0\.1|localhost)(:\d+)?", endpoint)
    if endpoint and not (loopback or re.fullmatch(r"(https://)?[A-Za-z0-9.-]+(:\d+)?", endpoint)):
        raise ValueError("BANDENG_SMS_ENDPOINT is a host name (https), or http://127.0.0.1:PORT for a test")


def _text(value: object) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


@lru_cache
def get_settings() -> Settings:
    return Settings()
