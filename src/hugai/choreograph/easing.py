"""Easing curves: monotone, C1/C2-continuous maps of [0, 1] onto [0, 1] (no jerks, no overshoot)."""

from __future__ import annotations

import numpy as np


def smootherstep(t: np.ndarray | float) -> np.ndarray:
    """Perlin's 6t⁵ − 15t⁴ + 10t³: zero velocity and acceleration at both ends."""
    x = np.clip(np.asarray(t, np.float64), 0.0, 1.0)
    return x * x * x * (x * (6 * x - 15) + 10)


def phase(t: np.ndarray | float, start: float, end: float) -> np.ndarray:
    """Eased progress of a move that runs from ``start`` to ``end`` (seconds or fractions)."""
    return smootherstep((np.asarray(t, np.float64) - start) / max(end - start, 1e-9))
