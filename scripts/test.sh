#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test. Tests that need root and loop devices run when
# root; without root they skip and say why.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift test --no-parallel "$@"
