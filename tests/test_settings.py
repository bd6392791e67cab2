"""`.env.example` lists every setting, and only real ones: it is the configuration's documentation."""

from __future__ import annotations

import re
from pathlib import Path

from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_env_example_lists_every_setting() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*(BANDENG_[A-Z0-9_]+)=", text, re.MULTILINE))
    expected = {f"BANDENG_{name.upper()}" for name in Settings.model_fields}
    assert sorted(expected - listed) == [], "missing from .env.example"
    assert sorted(listed - expected) == [], "in .env.example but not a setting"
