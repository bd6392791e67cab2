# shellcheck shell=bash
# Shared bootstrap for scripts/run.sh, scripts/test.sh and .ci/run — source it, do not run it.
#
# After sourcing: the working directory is the repository root, BANDENG_ROOT points at it, and
# .venv/bin is first on PATH with the project installed (`pip install -e '.[dev]'`). The install
# runs only when pyproject.toml changed since the last successful one (hash kept in
# .venv/.install-stamp). Set PYTHON=/path/to/python3.x to choose the interpreter for a new .venv.

BANDENG_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BANDENG_VENV="$BANDENG_ROOT/.venv"
BANDENG_STAMP="$BANDENG_VENV/.install-stamp"
cd "$BANDENG_ROOT" || exit 1

_bandeng_say() { printf '[bandeng] %s\n' "$*" >&2; }

_bandeng_die() {
    printf '[bandeng] 错误 / error: %s\n' "$*" >&2
    exit 1
}

_bandeng_python_ok() {
    # True when $1 runs and is Python 3.11 or newer.
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

_bandeng_find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11 python; do
        [[ -n "$candidate" ]] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if _bandeng_python_ok "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

_bandeng_create_venv() {
    local python
    python="$(_bandeng_find_python)" || _bandeng_die "需要 Python 3.11 或更高版本，但没有找到。
    Bandeng needs Python 3.11 or newer and none was found (tried \$PYTHON, python3, python3.13,
    python3.12, python3.11, python). Install one (Debian/Ubuntu: apt-get install python3 python3-venv;
    or pyenv install 3.11), or point PYTHON at it: PYTHON=/path/to/python3.11 bash scripts/run.sh"
    _bandeng_say "创建虚拟环境 / creating .venv with $python ($("$python" --version 2>&1))"
    if ! "$python" -m venv "$BANDENG_VENV"; then
        rm -rf "$BANDENG_VENV"
        _bandeng_die "无法创建虚拟环境 / could not create .venv with $python.
    On Debian/Ubuntu install the venv module first: apt-get install python3-venv"
    fi
}

_bandeng_pyproject_hash() {
    "$BANDENG_VENV/bin/python" -c \
        'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' \
        "$BANDENG_ROOT/pyproject.toml"
}

_bandeng_install() {
    local wanted
    wanted="$(_bandeng_pyproject_hash)"
    if [[ -f "$BANDENG_STAMP" && "$(cat "$BANDENG_STAMP")" == "$wanted" && -x "$BANDENG_VENV/bin/bandeng" ]]; then
        return 0
    fi
    _bandeng_say "安装依赖 / installing Bandeng and its dependencies (pyproject.toml changed) ..."
    rm -f "$BANDENG_STAMP"
    "$BANDENG_VENV/bin/python" -m pip install --quiet --quiet --disable-pip-version-check -e '.[dev]' ||
        _bandeng_die "pip install -e '.[dev]' 失败 / failed (see the errors above)"
    printf '%s\n' "$wanted" >"$BANDENG_STAMP"
    _bandeng_say "安装完成 / installed"
}

if [[ ! -x "$BANDENG_VENV/bin/python" ]]; then
    _bandeng_create_venv
elif ! _bandeng_python_ok "$BANDENG_VENV/bin/python"; then
    _bandeng_die ".venv 的 Python 不可用或低于 3.11 / the Python in .venv is broken or older than 3.11.
    Remove it and run again: rm -rf '$BANDENG_VENV'"
fi
_bandeng_install

export VIRTUAL_ENV="$BANDENG_VENV"
export PATH="$BANDENG_VENV/bin:$PATH"
