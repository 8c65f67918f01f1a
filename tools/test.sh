#!/usr/bin/env bash
# The whole test suite: installs what it needs, checks formatting and lints, and runs every test
# against real SQLite files and a throw-away PostgreSQL cluster the tests start themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Transaction and replica-set tests are marked ignored: they run when a real MongoDB replica set
# is given (FerretDB, the default test server, has no transactions).
if [ -n "${MONGRATE_TEST_MONGODB_URI:-}" ]; then
  cargo test --workspace --locked -- --include-ignored
else
  cargo test --workspace --locked
fi
