#!/usr/bin/env bash
# Ingest benchmark: SQLite and PostgreSQL vs the no-op endpoint. See bench/README.md.
# Usage: bench/ingest/run.sh [run.py options, e.g. --engines sqlite --duration 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing wrk (apt-get)" >&2
    apt-get update -qq >/dev/null && apt-get install -y -qq wrk >/dev/null || true
  fi
  command -v wrk >/dev/null 2>&1 || echo "wrk unavailable: using the Python load generator" >&2
fi
exec "$PY" bench/ingest/run.py "$@"
