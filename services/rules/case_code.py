"""Case codes (一事一码): short enough to read over the phone, random so they cannot be walked."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L: nothing that reads two ways on a phone line or a keypad.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 10
_SEPARATORS = re.compile(r"[\s\-_]")


def new_case_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_case_code(raw: str) -> str | None:
    """Upper-cases and drops spaces and dashes; None when it cannot be a case code."""
    code = _SEPARATORS.sub("", raw).upper()
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def format_case_code(code: str) -> str:
    """Grouped for reading aloud: ABCDE-FGHJK."""
    return f"{code[:5]}-{code[5:]}"
