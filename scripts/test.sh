#!/usr/bin/env bash
# The project's test command: setup, typecheck (the build), lint, format check, then every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
SETUP_BROWSER=1 bash scripts/setup.sh
npx eslint --max-warnings=0 .
npx prettier --check . >/dev/null || { npx prettier --list-different .; echo "prettier: files above need formatting (npm run format)" >&2; exit 1; }
npx vitest run "$@"
