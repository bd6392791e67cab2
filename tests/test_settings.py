"""`.env.example` lists every setting, and only real ones: it is the configuration's documentation."""

from __future__ import annotations

import base64
import re
import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import DEV_AUDIT_KEY, DEV_SECRET_KEY, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_lists_every_setting() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*(BANDENG_[A-Z0-9_]+)=", text, re.MULTILINE))
    expected = {f"BANDENG_{name.upper()}" for name in Settings.model_fields}
    assert sorted(expected - listed) == [], "missing from .env.example"
    assert sorted(listed - expected) == [], "in .env.example but not a setting"


def _production(**keys: str) -> Settings:
    strong = {
        "secret_key": secrets.token_urlsafe(48),
        "phone_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "phone_hash_key": secrets.token_urlsafe(32),
        "audit_key": secrets.token_urlsafe(32),
    }
    chosen = strong | keys
    return Settings(
        environment="production",
        _env_file=None,
        secret_key=chosen["secret_key"],
        phone_key=chosen["phone_key"],
        phone_hash_key=chosen["phone_hash_key"],
        audit_key=chosen["audit_key"],
    )


@pytest.mark.parametrize(
    "keys",
    [
        {"secret_key": DEV_SECRET_KEY},
        {"secret_key": "short-but-random-Xy7#"},
        {"secret_key": "a" * 64},
        {"secret_key": "abababababababababababababababababababab"},
        {"secret_key": "changeme" * 6},
        {"phone_key": base64.b64encode(bytes(32)).decode()},
        {"phone_key": base64.b64encode(b"0123456789" * 3 + b"01").decode()},
        {"phone_hash_key": "phone-hash-key"},
        {"phone_hash_key": "x" * 40},
        {"audit_key": DEV_AUDIT_KEY},
        {"audit_key": "audit-key"},
        {"audit_key": "auditkey" * 6},
    ],
)
def test_production_refuses_weak_keys(keys: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="BANDENG_"):
        _production(**keys)


def test_production_refuses_one_key_for_two_uses() -> None:
    key = secrets.token_urlsafe(48)
    with pytest.raises(ValidationError, match="BANDENG_"):
        _production(secret_key=key, phone_hash_key=key)
    with pytest.raises(ValidationError, match="BANDENG_"):
        _production(audit_key=key, phone_hash_key=key)


def test_generated_keys_start_production_and_development_keeps_its_own() -> None:
    assert _production().environment == "production"
    assert Settings(environment="development", _env_file=None).secret_key == DEV_SECRET_KEY
    assert Settings(environment="test", _env_file=None, secret_key="short").secret_key == "short"
