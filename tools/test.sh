#!/usr/bin/env bash
# The whole test suite: installs what it needs, checks formatting and lints, and runs every test
# against real SQLite files and a throw-away PostgreSQL cluster the tests start themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
