#!/usr/bin/env bash
# Set up (if needed) and render the bundled sample to hug.mp4 (and its contact sheet to out/).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
.venv/bin/hugai demo -o hug.mp4 --debug out "$@"
