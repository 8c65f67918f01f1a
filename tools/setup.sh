#!/usr/bin/env bash
# Installs what the test suite needs besides Rust: the PostgreSQL server and client (the suite
# starts its own throw-away cluster with tools/pg-test-server.sh), the sqlite3 client the tests
# inspect databases with, Chromium and chromedriver for the dashboard test, Go to build the
# FerretDB test server, schemathesis for the API fuzz test, and the other migration tools the
# peer tests compare mongrate with (tools/peers/install.sh). Safe to run again: it installs and
# builds only what is missing.
set -euo pipefail

missing=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing+=(postgresql); fi
if ! command -v psql >/dev/null 2>&1 || ! command -v pg_dump >/dev/null 2>&1; then missing+=(postgresql-client); fi
if ! command -v sqlite3 >/dev/null 2>&1; then missing+=(sqlite3); fi
if ! command -v python3 >/dev/null 2>&1; then missing+=(python3); fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then missing+=(python3-venv); fi
# The dashboard test drives a headless Chromium through chromedriver, at these paths.
if [ ! -x /usr/bin/chromium ]; then missing+=(chromium); fi
if [ ! -x /usr/bin/chromedriver ]; then missing+=(chromium-driver); fi
# diesel_cli links libpq and libsqlite3; Flyway runs on Java and comes through Maven.
if [ ! -f /usr/include/postgresql/libpq-fe.h ]; then missing+=(libpq-dev); fi
if [ ! -f /usr/include/sqlite3.h ]; then missing+=(libsqlite3-dev); fi
if ! command -v java >/dev/null 2>&1; then missing+=(default-jre-headless); fi
if ! command -v mvn >/dev/null 2>&1; then missing+=(maven); fi

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
# The MongoDB-wire test server: FerretDB embedded in a small Go launcher (tools/ferretdb), built
# from the Go module proxy. Real MongoDB cannot be installed here; MONGRATE_TEST_MONGODB_URI
# points the suite at one instead.
if ! command -v go >/dev/null 2>&1; then
  echo "setup: installing golang-go"
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends golang-go >/dev/null
fi
if [ -z "${MONGRATE_TEST_MONGODB_URI:-}" ]; then
  bash "$(dirname "$0")/ferretdb-test-server.sh" build
fi
# golang-migrate, dbmate, sqlx-cli, diesel_cli and Flyway, pinned in tools/peers/versions and
# cached outside the repository (the first run builds the cargo tools: minutes).
bash "$(dirname "$0")/peers/install.sh"
# The real migrate-mongo (Node) that the differential tests of JavaScript migrations compare
# mongrate with, and the pure-JavaScript packages the node_modules tests load (lodash, uuid,
# date-fns, change-case, dotenv, moment, axios), pinned in tools/node/package-lock.json and
# installed from the npm registry; installed again when the pins change.
node_dir="$(dirname "$0")/node"
if [ ! -x "$node_dir/node_modules/.bin/migrate-mongo" ] \
    || ! cmp -s "$node_dir/package-lock.json" "$node_dir/node_modules/.installed-package-lock.json"; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup: installing nodejs npm"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  echo "setup: installing migrate-mongo and the test packages into tools/node"
  npm ci --prefix "$node_dir" --no-audit --no-fund
  cp "$node_dir/package-lock.json" "$node_dir/node_modules/.installed-package-lock.json"
fi
# schemathesis, which the API fuzz test runs, pinned with its dependencies in
# tools/python/requirements.txt and installed from PyPI into a virtualenv; installed again when
# the pins change.
python_dir="$(dirname "$0")/python"
if ! cmp -s "$python_dir/requirements.txt" "$python_dir/venv/installed-requirements.txt" \
    || [ ! -x "$python_dir/venv/bin/st" ]; then
  echo "setup: installing schemathesis into tools/python/venv"
  rm -rf "$python_dir/venv"
  python3 -m venv "$python_dir/venv"
  "$python_dir/venv/bin/pip" install --quiet --disable-pip-version-check -r "$python_dir/requirements.txt"
  cp "$python_dir/requirements.txt" "$python_dir/venv/installed-requirements.txt"
fi
echo "setup: PostgreSQL $(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1), $(sqlite3 --version | cut -d' ' -f1-2 | sed 's/ / sqlite /')"
