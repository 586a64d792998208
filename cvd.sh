#!/usr/bin/env bash
# The two commands a fresh machine needs (see README):
#   ./cvd.sh up     set up (uv, locked dependencies, operational database) and run the main job
#   ./cvd.sh test   run every test
# Anything after the verb is passed on (e.g. ./cvd.sh test -k corpus, ./cvd.sh up --home /tmp/x).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v uv >/dev/null 2>&1; then
  export PATH="$HOME/.local/bin:$PATH"
  command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv
fi
uv sync --frozen --quiet

verb="${1:-up}"
shift || true
case "$verb" in
  up)   exec uv run cvd up "$@" ;;
  test) exec uv run pytest -n 2 --dist loadscope --no-loadscope-reorder "$@" ;;  # two workers (pytest-xdist), a module per worker (its shared fixtures built once), long modules first (tests/conftest.py)
  *)    echo "usage: ./cvd.sh up|test [ARGS...]" >&2; exit 2 ;;
esac
