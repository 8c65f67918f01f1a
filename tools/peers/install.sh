#!/usr/bin/env bash
# Installs the other migration tools that the peer tests run for real (golang-migrate, dbmate,
# sqlx-cli, diesel_cli, Flyway), at the versions pinned in tools/peers/versions, from the package
# registries only: the Go module proxy, crates.io and Maven Central.
#
# They go to a cache outside the repository, so that a fresh clone (as CI makes for every run)
# finds them built:
#   ${MONGRATE_PEER_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mongrate/peer-tools}/<tool>-<version>/
# crates/mongrate/tests/cli/peer_tools.rs looks for them there. Each tool's directory keeps the
# recipe it was built from (.recipe); a tool whose recipe is unchanged is left alone, so a cached
# run takes about a second. A cold run builds the two cargo tools, which takes minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions
. "$here/versions"
root=${MONGRATE_PEER_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mongrate/peer-tools}
mkdir -p "$root"
# Two setups at once (two checkouts on one machine) take turns.
exec 8>"$root/.install.lock"
if command -v flock >/dev/null 2>&1; then flock 8; fi

sha() { cat "$@" | sha256sum | cut -c1-16; }

# install NAME VERSION RECIPE COMMAND...: unless $root/NAME-VERSION was built from RECIPE, runs
# COMMAND with $dest set to an empty directory, then puts it in place with the recipe beside it.
# Other versions of NAME are removed: only the pinned one is used.
install() {
  local name=$1 version=$2 recipe=$3
  shift 3
  local final="$root/$name-$version"
  if [ -f "$final/.recipe" ] && [ "$(cat "$final/.recipe")" = "$recipe" ]; then
    return 0
  fi
  echo "setup: installing $name $version into $final"
  local started=$SECONDS
  dest="$final.tmp"
  rm -rf "$dest"
  mkdir -p "$dest"
  if ! "$@"; then
    rm -rf "$dest"
    echo "setup: installing $name $version failed" >&2
    exit 1
  fi
  printf '%s' "$recipe" >"$dest/.recipe"
  rm -rf "$final"
  mv "$dest" "$final"
  local other
  for other in "$root/$name"-*; do
    if [ "$other" != "$final" ] && [ -d "$other" ]; then rm -rf "$other"; fi
  done
  echo "setup: $name $version installed in $((SECONDS - started)) s"
}

# golang-migrate's CLI with the PostgreSQL and SQLite (cgo, mattn/go-sqlite3) drivers, exactly as
# its own go.mod pins its dependencies.
golang_migrate() {
  GOBIN="$dest/bin" CGO_ENABLED=1 go install -tags 'postgres sqlite3' \
    "github.com/golang-migrate/migrate/v4/cmd/migrate@$GOLANG_MIGRATE"
}
install golang-migrate "$GOLANG_MIGRATE" "go install -tags 'postgres sqlite3' migrate@$GOLANG_MIGRATE" golang_migrate

# dbmate from tools/peers/dbmate/go.mod (its `tool` line), which pins the version.
dbmate() {
  if ! grep -q "github.com/amacneil/dbmate/v2 $DBMATE " "$here/dbmate/go.mod"; then
    echo "tools/peers/dbmate/go.mod does not require dbmate $DBMATE (tools/peers/versions): run" \
      "\`go get -tool github.com/amacneil/dbmate/v2@$DBMATE\` there" >&2
    return 1
  fi
  (cd "$here/dbmate" && GOBIN="$dest/bin" CGO_ENABLED=1 go install github.com/amacneil/dbmate/v2)
}
install dbmate "$DBMATE" "go install dbmate $(sha "$here/dbmate/go.mod" "$here/dbmate/go.sum")" dbmate

# The cargo tools with only their PostgreSQL and SQLite features, with the dependency versions of
# their own Cargo.lock.
sqlx_cli() {
  cargo install --quiet --locked --root "$dest" --version "$SQLX_CLI" \
    --no-default-features --features postgres,sqlite sqlx-cli
}
install sqlx-cli "$SQLX_CLI" "cargo install --locked --no-default-features --features postgres,sqlite sqlx-cli@$SQLX_CLI" sqlx_cli

# diesel_cli links libpq and libsqlite3 (tools/setup.sh installs libpq-dev and libsqlite3-dev).
diesel_cli() {
  cargo install --quiet --locked --root "$dest" --version "$DIESEL_CLI" \
    --no-default-features --features postgres,sqlite diesel_cli
}
install diesel_cli "$DIESEL_CLI" "cargo install --locked --no-default-features --features postgres,sqlite diesel_cli@$DIESEL_CLI" diesel_cli

# Flyway's command line and the JDBC drivers: the jars of tools/peers/flyway/pom.xml.
flyway() {
  if ! grep -q "<flyway.version>$FLYWAY</flyway.version>" "$here/flyway/pom.xml"; then
    echo "tools/peers/flyway/pom.xml does not name Flyway $FLYWAY (tools/peers/versions)" >&2
    return 1
  fi
  mvn -q -B -Dstyle.color=never -f "$here/flyway/pom.xml" dependency:copy-dependencies -DoutputDirectory="$dest/lib"
}
install flyway "$FLYWAY" "mvn dependency:copy-dependencies $(sha "$here/flyway/pom.xml")" flyway

echo "setup: peer tools in $root: golang-migrate $GOLANG_MIGRATE, dbmate $DBMATE, sqlx-cli $SQLX_CLI, diesel_cli $DIESEL_CLI, Flyway $FLYWAY"
