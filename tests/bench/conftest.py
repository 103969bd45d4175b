"""Make the repository root importable so ``import bench`` finds the benchmark package (plain
``pytest`` puts only the test folders on ``sys.path``)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
