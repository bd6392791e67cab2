"""A real server for the browser tests: its own SQLite file, migrated and seeded, on a free port.

These tests run outside the per-test transaction of tests/conftest.py: they never use the
`session` or `client` fixtures, and the server process has its own database."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect, sync_playwright

from bandeng.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class LiveServer:
    url: str
    env: dict[str, str]

    def cli(self, *args: str) -> str:
        """Runs `python -m bandeng ...` against the server's database; returns its output."""
        return _run([sys.executable, "-m", "bandeng", *args], self.env)

    def api(self, method: str, path: str, body: object = None, token: str | None = None) -> Any:
        """A JSON call straight to the API, to set the scene the browser then looks at."""
        request = urllib.request.Request(f"{self.url}/api/v1{path}", method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        data = None if body is None else json.dumps(body).encode()
        with urllib.request.urlopen(request, data=data, timeout=10) as response:
            return json.load(response)

    def token(self, mobile: str, password: str = DEMO_PASSWORD) -> str:
        """An access token for a (demo) account, for calls the browser does not make."""
        return str(self.api("POST", "/auth/login", {"mobile": mobile, "password": password})["access_token"])


def sign_in(page: Page, server: LiveServer, mobile: str, password: str = DEMO_PASSWORD) -> None:
    """Signs in through the app's login form; where it lands is for the test to check."""
    page.goto(f"{server.url}/#/login")
    page.get_by_label("手机号").fill(mobile)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def first_sync_done(page: Page) -> None:
    """A grid worker's first pull has landed: households and categories are on the phone (a visit form opened
    before it has no categories to choose from)."""
    expect(page).to_have_url(re.compile(r"#/staff/visits$"))
    expect(page.locator(".sync-card")).to_contain_text("上次同步")
    expect(page.locator(".sync-card")).not_to_contain_text("尚未同步")


PHONE: ViewportSize = {"width": 390, "height": 844}


def phone_context(browser: Browser, *, service_workers: bool = False) -> BrowserContext:
    """A phone-sized, Chinese-locale context; service workers only where a test needs them."""
    return browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        service_workers="allow" if service_workers else "block",
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium; without it the browser tests skip, or fail where BANDENG_REQUIRE_BROWSER=1 (CI)."""
    if not CHROMIUM.exists():
        if os.environ.get("BANDENG_REQUIRE_BROWSER") == "1":
            pytest.fail(
                f"BANDENG_REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)", pytrace=False
            )
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium to run the browser tests")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh phone page; any JavaScript error in it fails the test."""
    context = phone_context(browser)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives Debian Chromium against a live server (tests/browser)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(db_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    # tests/conftest.py points BANDENG_DATABASE_URL at the shared test database: replace it.
    env |= {
        "BANDENG_DATABASE_URL": f"sqlite:///{db_path}",
        "BANDENG_ENVIRONMENT": "test",
        "BANDENG_SCHEDULER_IN_PROCESS": "false",
        "BANDENG_LOG_LEVEL": "WARNING",
        # Every browser test logs in from 127.0.0.1; the per-address login limit is tested in tests/api.
        "BANDENG_LOGIN_IP_LIMIT_PER_MINUTE": "1000",
        "PYTHONUNBUFFERED": "1",
    }
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}", pytrace=False)
    return done.stdout


def _wait_healthy(base_url: str, server: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"uvicorn exited with {server.returncode}:\n{log.read_text()}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{base_url}/api/v1/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"server not healthy within 30 s:\n{log.read_text()}", pytrace=False)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn serving the API and the PWA over a migrated, demo-seeded SQLite file of its own."""
    tmp = tmp_path_factory.mktemp("browser")
    env = _server_env(tmp / "bandeng.db")
    _run([sys.executable, "-m", "alembic", "upgrade", "head"], env)
    _run([sys.executable, "-m", "bandeng", "demo-data"], env)
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp / "uvicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        _wait_healthy(base_url, server, log)
        yield LiveServer(base_url, env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
