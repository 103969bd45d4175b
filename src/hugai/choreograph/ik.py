"""Two-bone inverse kinematics in the plane, with a reach limit and an elbow joint limit.

Closed form by the law of cosines. Bone lengths are kept exactly: the solver only chooses angles,
and a target out of reach is approached along the same line (the arm never stretches).
"""

from __future__ import annotations

import numpy as np

MAX_REACH = 0.97
"""Never straighten an arm fully: a locked-straight arm reads as a scarecrow."""


def two_bone_ik(
    root: np.ndarray,
    target: np.ndarray,
    l1: float,
    l2: float,
    bend: float,
    min_flex: float = np.deg2rad(15.0),
    max_flex: float = np.deg2rad(150.0),
) -> tuple[np.ndarray, np.ndarray]:
    """Elbow and hand positions (float64 (2,)) reaching toward ``target`` from ``root``.

    bend: +1 or -1, which side the elbow goes (image coords: +1 = clockwise of root→target).
    min_flex / max_flex: the elbow's flexion limits (0 = straight), radians.
    """
    root = np.asarray(root, np.float64)
    d = np.asarray(target, np.float64) - root
    dist = float(np.linalg.norm(d))
    direction = d / dist if dist > 1e-9 else np.array([1.0, 0.0])
    # Distance allowed by the flexion limits: flex θ gives |root→hand|² = l1² + l2² + 2 l1 l2 cos θ.
    far = np.sqrt(l1 * l1 + l2 * l2 + 2 * l1 * l2 * np.cos(min_flex))
    near = np.sqrt(max(l1 * l1 + l2 * l2 + 2 * l1 * l2 * np.cos(max_flex), 0.0))
    reach = float(np.clip(dist, near, min(far, MAX_REACH * (l1 + l2))))
    # Angle at the root between root→target and root→elbow.
    cos_a = (l1 * l1 + reach * reach - l2 * l2) / (2 * l1 * reach)
    a = float(np.arccos(np.clip(cos_a, -1.0, 1.0)))
    ang = np.arctan2(direction[1], direction[0]) + bend * a
    elbow = root + l1 * np.array([np.cos(ang), np.sin(ang)])
    hand = root + reach * direction
    return elbow, hand


def flexion(root: np.ndarray, elbow: np.ndarray, hand: np.ndarray) -> float:
    """Elbow flexion in radians (0 = straight)."""
    u = np.asarray(elbow, np.float64) - root
    v = np.asarray(hand, np.float64) - elbow
    c = float(np.dot(u, v) / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-12))
    return float(np.arccos(np.clip(c, -1.0, 1.0)))
