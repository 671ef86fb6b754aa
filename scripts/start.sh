#!/usr/bin/env bash
# Runs the product on its embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node devserver/bin/temporal-devserver server start-dev --ip 127.0.0.1 --port "${TEMPORAL_PORT:-7233}" --headless
