"""The `bandeng` command against its own SQLite file, as an operator would run it."""

from __future__ import annotations

import json
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


def test_only_the_operator_manages_auditors(seeded: Path) -> None:
    # 三员分立: the API refuses admins any write on an auditor account; the operator's commands do it.
    district = _bandeng(seeded, "create-district", "--name", "审计区", "--code", "990400").stdout.split()[1].rstrip(":")
    args = ["--name", "审计员", "--mobile", "13800009998", "--role", "auditor", "--org-unit-id", district]
    created = _bandeng(seeded, "create-user", *args, "--password", "Audit-2026-pw")
    assert created.returncode == 0, created.stderr
    user_id = created.stdout.split()[1].rstrip(":")
    reset = _bandeng(seeded, "reset-password", "--user-id", user_id, "--password", "Audit-2027-pw")
    assert reset.returncode == 0 and "首次登录须修改密码" in reset.stdout, reset.stderr
    weak = _bandeng(seeded, "reset-password", "--user-id", user_id, "--password", "short")
    assert weak.returncode == 2 and "密码" in weak.stderr
    assert _bandeng(seeded, "reset-password", "--user-id", "999999", "--password", "Audit-2027-pw").returncode == 2


def test_calendar_import_and_status(seeded: Path, tmp_path: Path) -> None:
    before = _bandeng(seeded, "calendar", "status")
    assert before.returncode == 0, before.stderr
    assert "2004–2026" in before.stdout and "警告" in before.stdout and "2027" in before.stdout
    schedule = {
        "year": 2027,
        "days": [
            {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
            {"date": "2027-02-06", "kind": "makeup_workday", "name": "春节"},
            {"date": "2027-02-08", "kind": "holiday", "name": "春节"},
        ],
    }
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(schedule, ensure_ascii=False), encoding="utf-8")
    imported = _bandeng(seeded, "calendar", "import", str(path), "--source", "国办发明电〔2026〕1号")
    assert imported.returncode == 0, imported.stderr
    assert "已导入 2027 年工作日历：365 天，法定节假日 2 天，调休上班 1 天" in imported.stdout
    after = _bandeng(seeded, "calendar", "status")
    assert "2004–2027" in after.stdout and "2027: 国办发明电〔2026〕1号" in after.stdout


def test_calendar_import_refuses_a_bad_file_and_writes_nothing(seeded: Path, tmp_path: Path) -> None:
    path = tmp_path / "2028.csv"
    path.write_text("date,kind,name\n2028-01-01,holiday,元旦\n2028-01-03,makeup_workday,\n2028-13-01,holiday,\n")
    refused = _bandeng(seeded, "calendar", "import", str(path))
    assert refused.returncode == 2 and refused.stdout == ""
    assert "未导入" in refused.stderr and "第 3 行" in refused.stderr and "days[2].date" in refused.stderr
    assert "2028" not in _bandeng(seeded, "calendar", "status").stdout.splitlines()[0]
    missing = _bandeng(seeded, "calendar", "import", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "无法读取文件" in missing.stderr
