#!/usr/bin/env bash
# Runs the product: installs and builds what is missing (setup.sh), then the main command, which
# starts the embedded Temporal server (unless TEMPORAL_ADDRESS is set), the worker and the HTTP API.
# Configuration is by environment variables (README, "Configuration"). SIGTERM or Ctrl-C stops it,
# engine processes included; the next start resumes them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# exec: signals reach the product itself, which shuts down in order.
exec node dist/api/main.js
