"""Phone and ID numbers: AES-GCM at rest, an HMAC blind index for look-up, masks for display."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.settings import get_settings

_NON_DIGITS = re.compile(r"\D")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def normalize_phone(raw: str) -> str:
    """Digits only, without a leading +86 / 0086 country prefix."""
    digits = _NON_DIGITS.sub("", raw)
    for prefix in ("0086", "86"):
        if len(digits) == len(prefix) + 11 and digits.startswith(prefix):
            return digits[len(prefix) :]
    return digits


def is_mobile(phone: str) -> bool:
    """A mainland mobile number as `normalize_phone` leaves it: 11 digits, 13x–19x."""
    return _MOBILE.fullmatch(phone) is not None


def mask_phone(phone: str) -> str:
    """138****1234 for mobiles; shorter numbers keep only their last 4."""
    if len(phone) >= 11:
        return f"{phone[:3]}****{phone[-4:]}"
    return f"****{phone[-4:]}"


def mask_last4(last4: str) -> str:
    return f"*******{last4}"


@dataclass(frozen=True)
class SealedPhone:
    ciphertext: str
    blind_index: str
    last4: str


class FieldCipher:
    """Encrypts small personal fields; the blind index is keyed so it cannot be brute-forced offline."""

    def __init__(self, key: bytes, hash_key: bytes) -> None:
        self._aead = AESGCM(key)
        self._hash_key = hash_key

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), None)
        return base64.b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> str:
        raw = base64.b64decode(token)
        return self._aead.decrypt(raw[:12], raw[12:], None).decode()

    def blind_index(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()

    def seal_phone(self, raw: str) -> SealedPhone:
        phone = normalize_phone(raw)
        return SealedPhone(self.encrypt(phone), self.blind_index(phone), phone[-4:])


@lru_cache
def get_cipher() -> FieldCipher:
    settings = get_settings()
    return FieldCipher(base64.b64decode(settings.phone_key), settings.phone_hash_key.encode())
