"""Web Push inputs checked before they are stored: the endpoint the server will POST to, and the browser's keys."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec


def b64url_bytes(value: str) -> bytes:
    """Strict base64url, padding optional."""
    return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True)


def b64url_text(raw: bytes) -> str:
    """base64url without padding, as browsers and VAPID write it."""
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# The browsers' push services (Chrome and Android, Firefox, Safari, Edge): the only hosts the server will POST
# a push to. An entry starting with "." stands for the hosts under that domain.
PUSH_HOSTS = ("fcm.googleapis.com", "updates.push.services.mozilla.com", "web.push.apple.com", ".notify.windows.com")


def _known_push_host(host: str) -> bool:
    return any(host.endswith(entry) if entry.startswith(".") else host == entry for entry in PUSH_HOSTS)


def check_endpoint(url: str, *, allow_loopback_http: bool) -> str:
    """An https URL, default port, no credentials, on a known push service's host (PUSH_HOSTS): the server
    POSTs to it, so never an address, an internal name or anyone else's host. 127.0.0.1 and localhost, over
    http too, only outside production, for tests and local push servers."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    loopback = host in {"127.0.0.1", "localhost", "::1"}
    if loopback and allow_loopback_http and parts.scheme in {"http", "https"}:
        return url
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme != "https" or not host or parts.username or parts.password or port not in {None, 443}:
        raise ValueError("须为 https 地址")
    if not _known_push_host(host):
        raise ValueError("须为浏览器推送服务的地址（FCM、Mozilla、Apple、Microsoft）")
    return url


def check_key(value: str, *, length: int, point: bool = False) -> str:
    """base64url (padding optional) of `length` bytes; `point` keys must be a P-256 public key."""
    try:
        raw = b64url_bytes(value.strip())
        if len(raw) != length:
            raise ValueError
        if point:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        kind = "P-256 公钥" if point else "密钥"
        raise ValueError(f"须为 {length} 字节的 base64url {kind}") from None
    return b64url_text(raw)
