#!/usr/bin/env bash
# Run the test suite: SQLite by default; PostgreSQL with
#   TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test bash scripts/test.sh
# Arguments go to pytest (e.g. `bash scripts/test.sh -q tests/rules -k deadline`).
set -euo pipefail

# shellcheck source=scripts/_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"

status=0
python -m pytest "$@" || status=$?
if [[ $status -eq 5 ]]; then
    echo "[bandeng] 错误 / error: pytest collected no tests (exit 5) — that counts as a failure." >&2
fi
exit "$status"
