"""Skinning weights and linear blend skinning (Magnenat-Thalmann et al. 1988).

The head is rigid: every vertex of the face box and above the neck cut moves with the HEAD bone
alone (faces may only translate, rotate and scale uniformly). The neck cut sits 55 % of the way
from the shoulders to the mouth, where the prototype found no seam, and blends into the torso.
"""

from __future__ import annotations

import itertools

import numpy as np

from hugai.types import N_BONES, Bone, Joint, Part


def smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def head_weight(verts: np.ndarray, joints: np.ndarray, face: np.ndarray) -> np.ndarray:
    """float32 (V,) in [0, 1]: 1 on the head, 0 on the body, a smooth band at the neck."""
    fw = float(face[2] - face[0])
    neck = (joints[Joint.L_SHOULDER] + joints[Joint.R_SHOULDER]) / 2
    face_c = np.array([(face[0] + face[2]) / 2, (face[1] + face[3]) / 2], np.float32)
    mouth = face_c + np.array([0.0, 0.25 * fw], np.float32)
    up = mouth - neck
    length = float(np.linalg.norm(up))
    if length < 1e-3:
        up, length = np.array([0.0, -1.0], np.float32), 1.0
    u = up / length
    cut = neck + 0.55 * up
    s = (verts - cut) @ u
    band = max(2.0, 0.12 * fw)
    w = smoothstep(-band, band, s)
    # Only near the head: far-off vertices above the cut line (a raised hand) are not the head.
    r = np.linalg.norm(verts - face_c, axis=1)
    w *= 1.0 - smoothstep(1.1 * fw, 1.5 * fw, r)
    # The face box is rigid, whatever the band says.
    m = 0.1 * fw
    in_face = (
        (verts[:, 0] >= face[0] - m)
        & (verts[:, 0] <= face[2] + m)
        & (verts[:, 1] >= face[1] - m)
        & (verts[:, 1] <= face[3] + m)
    )
    w[in_face] = 1.0
    return w.astype(np.float32)


def skin_body(verts: np.ndarray, joints: np.ndarray, face: np.ndarray) -> np.ndarray:
    """Weights of body vertices: HEAD, TORSO, and the lower body (L_THIGH) below the hips."""
    w = np.zeros((len(verts), N_BONES), np.float32)
    wh = head_weight(verts, joints, face)
    hip_y = float((joints[Joint.L_HIP][1] + joints[Joint.R_HIP][1]) / 2)
    sw = float(np.linalg.norm(joints[Joint.L_SHOULDER] - joints[Joint.R_SHOULDER]))
    wl = smoothstep(hip_y - 0.15 * sw, hip_y + 0.25 * sw, verts[:, 1]) * (1 - wh)
    w[:, Bone.HEAD] = wh
    w[:, Bone.L_THIGH] = wl
    w[:, Bone.TORSO] = 1.0 - wh - wl
    return w


def skin_arm(verts: np.ndarray, joints: np.ndarray, part: Part) -> np.ndarray:
    """Weights of a free arm's vertices along shoulder → elbow → wrist, blended at the joints."""
    if part == Part.L_ARM:
        sh, el, wr = Joint.L_SHOULDER, Joint.L_ELBOW, Joint.L_WRIST
        bu, bf, bh = Bone.L_UPPER_ARM, Bone.L_FOREARM, Bone.L_HAND
    else:
        sh, el, wr = Joint.R_SHOULDER, Joint.R_ELBOW, Joint.R_WRIST
        bu, bf, bh = Bone.R_UPPER_ARM, Bone.R_FOREARM, Bone.R_HAND
    a, b, c = joints[sh], joints[el], joints[wr]
    l1 = float(np.linalg.norm(b - a))
    l2 = float(np.linalg.norm(c - b))
    t = _chain_param(verts, (a, b, c))
    band1 = 0.18 * min(l1, l2)
    band2 = 0.12 * l2
    to_fore = smoothstep(l1 - band1, l1 + band1, t)
    to_hand = smoothstep(l1 + l2 - band2, l1 + l2 + band2, t)
    top = 1.0 - smoothstep(0.0, 0.18 * l1, t)
    w = np.zeros((len(verts), N_BONES), np.float32)
    w[:, Bone.TORSO] = 0.5 * top
    rest = 1.0 - w[:, Bone.TORSO]
    w[:, bu] = rest * (1 - to_fore)
    w[:, bf] = rest * to_fore * (1 - to_hand)
    w[:, bh] = rest * to_fore * to_hand
    return w


def _chain_param(verts: np.ndarray, pts: tuple[np.ndarray, ...]) -> np.ndarray:
    """Arc length along a polyline of each vertex's nearest point on it."""
    best_d = np.full(len(verts), np.inf, np.float32)
    best_t = np.zeros(len(verts), np.float32)
    start = 0.0
    for p0, p1 in itertools.pairwise(pts):
        seg = p1 - p0
        length = float(np.linalg.norm(seg))
        if length < 1e-6:
            continue
        u = np.clip(((verts - p0) @ seg) / (length * length), 0.0, 1.0)
        # Past the last joint the polyline goes on straight (the hand).
        if p1 is pts[-1]:
            u = np.maximum(((verts - p0) @ seg) / (length * length), 0.0)
        proj = p0 + u[:, None] * seg
        d = np.linalg.norm(verts - proj, axis=1)
        better = d < best_d
        best_d = np.where(better, d, best_d)
        best_t = np.where(better, start + u * length, best_t)
        start += length
    return best_t


def blend_skin(verts: np.ndarray, weights: np.ndarray, bones: np.ndarray) -> np.ndarray:
    """Linear blend skinning: v' = Σ_b w_b · A_b · [v, 1].

    verts: float32 (V, 2); weights: float32 (V, B); bones: float32 (..., B, 2, 3) affine maps,
    any leading axes (frames) kept. Returns float32 (..., V, 2).
    """
    m = np.einsum("vb,...bij->...vij", weights, bones)
    return (m[..., :2] @ verts[:, :, None])[..., 0] + m[..., 2]
