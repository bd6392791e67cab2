#!/usr/bin/env bash
# Run Bandeng on this machine: API, PWA at / and the scheduler, on SQLite with demo data.
#   bash scripts/run.sh                      # http://127.0.0.1:8000/ and /docs
#   bash scripts/run.sh --host 0.0.0.0 --port 8080
# Needs only Python 3.11+. Arguments go to `bandeng serve`. Configuration: .env (see .env.example).
set -euo pipefail

# shellcheck source=scripts/_venv.sh
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"

bandeng migrate
bandeng demo-data
exec bandeng serve "$@"
