#!/usr/bin/env bash
# Set up wom: find Python >= 3.12, make .venv, install the package with its dev tools.
set -euo pipefail
cd "$(dirname "$0")"
find_python() {
  for cand in python3.13 python3.12; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$cand"; return
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])(\.|$)' | sort -V -r); do
      py="$(pyenv root)/versions/$v/bin/python3"
      [ -x "$py" ] && { echo "$py"; return; }
    done
  fi
  for py in "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3; do
    [ -x "$py" ] && { echo "$py"; return; }
  done
  return 1
}
PY=$(find_python) || { echo "wom needs Python >= 3.12: install python3.12 (e.g. apt-get install python3.12 or pyenv install 3.12)" >&2; exit 1; }
echo "using $PY ($("$PY" --version))"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
echo "ready: .venv/bin/wom --help"
