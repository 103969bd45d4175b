#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: unit, engine, real-photo integration
# (skipped when ../shared/photos is absent), service, browser and scale-out tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python -m pytest -q "$@"
