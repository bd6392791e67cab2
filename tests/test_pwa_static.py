"""The PWA's static files agree with the server: its label tables with the server's vocabularies, and the
service worker's precached shell with the files pwa/ serves. Read as text; no browser needed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, get_args

import pytest

from models.enums import (
    ACTION_LABELS,
    CLOSURE_TYPE_LABELS,
    RATING_LEVEL_LABELS,
    RESOLUTION_LABELS,
    STATUS_LABELS,
    Channel,
    NotificationStatus,
    RejectReason,
    Supervision,
)
from models.sync_schemas import VisitItemFields
from services.requests.handoffs import HANDOFFS

PWA = Path(__file__).resolve().parent.parent / "pwa"

# Served by StaticFiles but deliberately left out of the shell the worker precaches:
NOT_PRECACHED = {
    # The worker script itself: the browser fetches it on its own to look for updates, never through
    # the worker, so a cached copy would never be read.
    "sw.js",
    # Only the launcher reads it, once, when the app is installed, which needs the network anyway.
    "icons/maskable.svg",
}


def js_object(path: Path, const: str) -> str:
    """The text inside the braces of `const NAME = { ... };` in a PWA module."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"const {const} = {{") + len(f"const {const} = {{")
    depth, end = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        end += 1
    return text[start : end - 1]


def pairs(body: str) -> dict[str, str]:
    """`key: 'label'` entries (the PWA's tables quote no keys and use single quotes)."""
    return dict(re.findall(r"(\w+): '([^']*)'", body))


UI_LABELS = {
    name: pairs(body) for name, body in re.findall(r"(\w+): \{([^{}]*)\}", js_object(PWA / "js" / "ui.js", "LABELS"))
}


# ui.js's LABELS, table by table: the same words as the server's labels where it has them; where only the
# PWA shows the words, one for each value of the server's enum, and no other.
SERVER_LABELS: dict[str, Mapping[Any, str]] = {
    "status": STATUS_LABELS,
    "action": ACTION_LABELS,
    "rating": RATING_LEVEL_LABELS,
    "resolution": RESOLUTION_LABELS,
    "closure": CLOSURE_TYPE_LABELS,  # the residents' SMS says them too
}
PWA_ONLY: dict[str, type[StrEnum]] = {
    "channel": Channel,
    "reject": RejectReason,
    "supervision": Supervision,
    "delivery": NotificationStatus,  # a resident's SMS on the request's detail
}
# Notification kinds are free strings chosen where each message is written: there is no one vocabulary to
# compare with (the hand-offs' are checked below), and a kind without a label just shows no flag in the inbox.
NOT_COMPARED = {"notice"}


@pytest.mark.parametrize("table", sorted(SERVER_LABELS))
def test_pwa_labels_are_the_servers(table: str) -> None:
    assert UI_LABELS[table] == {member.value: label for member, label in SERVER_LABELS[table].items()}


@pytest.mark.parametrize("table", sorted(PWA_ONLY))
def test_pwa_labels_cover_the_servers_enum(table: str) -> None:
    assert set(UI_LABELS[table]) == {member.value for member in PWA_ONLY[table]}


def test_every_hand_off_has_an_inbox_flag() -> None:
    """The inbox flags each hand-off; the new kinds in the hand-off's own words."""
    kinds = {handoff.kind: handoff.label for handoff in HANDOFFS.values()}
    assert set(kinds) <= set(UI_LABELS["notice"])
    own = {kind: label for kind, label in kinds.items() if kind.startswith("handoff_")}
    assert own == {kind: UI_LABELS["notice"][kind] for kind in own}


def test_every_label_table_is_accounted_for() -> None:
    """A new table in ui.js must join one of the lists above."""
    assert set(UI_LABELS) == set(SERVER_LABELS) | set(PWA_ONLY) | NOT_COMPARED


@pytest.mark.parametrize(("const", "field"), [("KIND", "kind"), ("OUTCOME", "outcome")])
def test_visit_labels_cover_the_sync_schema(const: str, field: str) -> None:
    table = pairs(js_object(PWA / "js" / "visits.js", const))
    assert set(table) == set(get_args(VisitItemFields.model_fields[field].annotation))


def precached(sw: Path) -> list[str]:
    text = sw.read_text(encoding="utf-8")
    found = re.search(r"const SHELL = \[(.*?)\];", text, re.S)
    assert found and re.search(r"const VERSION = '[^']+';", text)
    return re.findall(r"'([^']+)'", found.group(1))


def test_service_worker_precaches_every_file_the_app_serves() -> None:
    """Bump VERSION in sw.js whenever this list changes (its header says why)."""
    served = {path.relative_to(PWA).as_posix() for path in PWA.rglob("*") if path.is_file()}
    expected = {"/" if name == "index.html" else f"/{name}" for name in served - NOT_PRECACHED}
    shell = precached(PWA / "sw.js")
    assert len(shell) == len(set(shell)), "a file is listed twice"
    assert set(shell) == expected
    assert served >= NOT_PRECACHED, "an exception names a file that is gone"
