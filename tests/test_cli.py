"""The `bandeng` command against its own SQLite file, as an operator would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import ROOT


def _bandeng(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BANDENG_DATABASE_URL=f"sqlite:///{db}", BANDENG_LOG_LEVEL="WARNING")
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bandeng", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cli") / "cli.db"
    assert _bandeng(db, "migrate").returncode == 0
    first = _bandeng(db, "demo-data")
    assert first.returncode == 0, first.stderr
    assert "13800000006" in first.stdout and "Bandeng-2026" in first.stdout
    return db


def test_demo_data_is_idempotent(seeded: Path) -> None:
    again = _bandeng(seeded, "demo-data")
    assert again.returncode == 0 and "已存在" in again.stdout


def test_operator_sets_up_a_district_and_its_admin(seeded: Path) -> None:
    made = _bandeng(seeded, "create-district", "--name", "另一区", "--code", "990300")
    assert made.returncode == 0, made.stderr
    unit_id = made.stdout.split()[1].rstrip(":")

    def create_admin(password: str) -> subprocess.CompletedProcess[str]:
        args = ["--name", "管理员", "--mobile", "13800009999", "--role", "admin", "--org-unit-id", unit_id]
        return _bandeng(seeded, "create-user", *args, "--password", password)

    weak = create_admin("short")
    assert weak.returncode == 2 and "密码" in weak.stderr
    good = create_admin("Strong-pass-1")
    assert good.returncode == 0 and "首次登录须修改密码" in good.stdout
    taken = _bandeng(seeded, "create-district", "--name", "重复", "--code", "990300")
    assert taken.returncode == 2 and "已被使用" in taken.stderr
