#!/usr/bin/env bash
# Installs what the test suite needs besides Rust: the PostgreSQL server and client (the suite
# starts its own throw-away cluster with tools/pg-test-server.sh) and the sqlite3 client the
# tests inspect databases with. Safe to run again: it installs only what is missing.
set -euo pipefail

missing=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing+=(postgresql); fi
if ! command -v psql >/dev/null 2>&1 || ! command -v pg_dump >/dev/null 2>&1; then missing+=(postgresql-client); fi
if ! command -v sqlite3 >/dev/null 2>&1; then missing+=(sqlite3); fi
if ! command -v python3 >/dev/null 2>&1; then missing+=(python3); fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "setup: the postgres user is missing; reinstall the postgresql package" >&2
  exit 1
fi
echo "setup: PostgreSQL $(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1), $(sqlite3 --version | cut -d' ' -f1-2 | sed 's/ / sqlite /')"
