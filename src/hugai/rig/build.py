"""Rig each person: complete the skeleton, decide which arms are free, cut parts, mesh, skin.

An arm is *free* only when the photo shows all of it on its own: shoulder, elbow, wrist and a
skin-coloured hand visible, inside the frame, not across the torso and not on the partner. The
prototype showed that moving any other arm (crossed, hidden, handless) looks laughable, so such
arms stay part of the body and move with the torso.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from hugai.choreograph.plan import moving_arms, plan_hug
from hugai.config import HugConfig
from hugai.rig.mesh import mesh_mask
from hugai.rig.skin import skin_arm, skin_body
from hugai.scene.fill import push_pull
from hugai.types import ARM_JOINTS, N_BONES, Joint, Layer, Part, Rig, Scene

ARMS = tuple((part, *chain) for part, chain in ARM_JOINTS.items())


def build_rigs(scene: Scene, config: HugConfig) -> tuple[Rig, Rig]:
    """Rig both people; only the arms the hug plan moves are cut out as parts of their own."""
    a, b = scene.layers
    checks = (check_arms(a, b, config), check_arms(b, a, config))
    plan = plan_hug(
        scene.in_front,
        (float(a.face[1]), float(b.face[1])),
        (checks[0].free, checks[1].free),
        (checks[0].why, checks[1].why),
    )
    return (
        build_rig(a, checks[0], moving_arms(plan, 0)),
        build_rig(b, checks[1], moving_arms(plan, 1)),
    )


@dataclass(frozen=True)
class ArmCheck:
    """Per arm (left, right): free or not, why, and its pixels (float32 (H, W)) when free."""

    free: tuple[bool, bool]
    why: tuple[str, str]
    regions: tuple[np.ndarray | None, np.ndarray | None]


def check_arms(layer: Layer, partner: Layer, config: HugConfig) -> ArmCheck:
    joints = complete_joints(layer)
    torso = torso_polygon(joints)
    free: list[bool] = []
    why: list[str] = []
    regions: list[np.ndarray | None] = []
    for _, *chain in ARMS:
        arm = (chain[0], chain[1], chain[2], chain[3])
        ok, reason = arm_is_free(layer, partner, joints, torso, arm)
        region = arm_region(layer, joints, torso, arm) if ok else None
        if ok and region is None:
            ok, reason = False, "the arm cannot be told apart from the body"
        if region is not None and float((region * partner.visible).sum()) > 0.05 * float(
            region.sum()
        ):
            ok, reason, region = False, "arm touches the partner in the photo", None
        if ok and config.style == "lean":
            ok, reason, region = False, "lean style: arms stay", None
        free.append(ok)
        why.append(reason)
        regions.append(region)
    return ArmCheck((free[0], free[1]), (why[0], why[1]), (regions[0], regions[1]))


def build_rig(layer: Layer, check: ArmCheck, moving: set[Part]) -> Rig:
    joints = complete_joints(layer)
    h, w = layer.alpha.shape
    fw = float(layer.face[2] - layer.face[0])
    torso = torso_polygon(joints)
    arm_masks = [
        region if part in moving else None
        for (part, *_), region in zip(ARMS, check.regions, strict=True)
    ]

    textures = np.zeros((len(Part), h, w, 4), np.uint8)
    body_alpha = layer.alpha.copy()
    body_rgb = layer.rgb
    covered = np.zeros((h, w), np.float32)
    for region in arm_masks:
        if region is not None:
            covered = np.maximum(covered, region)
    if covered.any():
        # Under a free arm, the side of the torso goes on a little past the torso outline; fill
        # it from the body's own colours so a lifted arm uncovers cloth, not a hole.
        sw = float(np.linalg.norm(joints[Joint.L_SHOULDER] - joints[Joint.R_SHOULDER]))
        grown = _grow_polygon(torso, 0.08 * sw)
        torso_mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(torso_mask, [np.round(grown).astype(np.int32)], 1)
        side = covered * torso_mask
        # Where an arm is cut from the body, the body goes on ~2 px past the cut under the arm:
        # the arm's mesh stops up to a pixel short of its region's edge, and the body ending
        # exactly there left a crack that showed as a dark line across arm and body. Along the
        # arm's outer outline there is no body pixel to grow from, so no rim is left there.
        inside = ((layer.alpha > 0.5) & (covered < 0.5)).astype(np.uint8)
        seam = cv2.dilate(inside, np.ones((5, 5), np.uint8)).astype(np.float32) * covered
        body_alpha = np.maximum(layer.alpha * (1 - covered + seam), side).astype(np.float32)
        known = np.clip((layer.visible - 0.5) * 4, 0, 1) * (1 - covered + seam)
        body_rgb = push_pull(layer.rgb, known.astype(np.float32))
    textures[Part.BODY, ..., :3] = body_rgb
    textures[Part.BODY, ..., 3] = np.clip(body_alpha * 255 + 0.5, 0, 255).astype(np.uint8)

    edge = max(6.0, fw / 3.5)
    verts, tris = mesh_mask(body_alpha, edge)
    weights = skin_body(verts, joints, layer.face)
    parts = [np.full(len(tris), Part.BODY, np.int8)]
    all_v, all_t, all_w = [verts], [tris], [weights]
    offset = len(verts)
    for (part, *_), region in zip(ARMS, arm_masks, strict=True):
        if region is None:
            continue
        # The arm's texture reaches a few pixels past its mesh, and its mesh does not grow past
        # the cut: where the arm meets the body, the arm's triangles then never show a sliver
        # of transparent texture over the body (a bright seam line at rest).
        reach = cv2.dilate(region, np.ones((7, 7), np.uint8))
        textures[part, ..., :3] = layer.rgb
        textures[part, ..., 3] = np.clip(layer.alpha * reach * 255 + 0.5, 0, 255).astype(np.uint8)
        av, at = mesh_mask(layer.alpha * region, max(5.0, edge * 0.7), grow=0)
        if len(at) == 0:
            continue
        all_v.append(av)
        all_t.append(at + offset)
        all_w.append(skin_arm(av, joints, part))
        parts.append(np.full(len(at), part, np.int8))
        offset += len(av)
    vertices = np.concatenate(all_v).astype(np.float32)
    weights_all = np.concatenate(all_w).astype(np.float32)
    if weights_all.shape[1] != N_BONES:
        raise ValueError("skinning weights must have one column per bone")
    return Rig(
        joints=joints,
        vertices=vertices,
        triangles=np.concatenate(all_t).astype(np.int32),
        tri_part=np.concatenate(parts),
        weights=weights_all,
        textures=textures,
        arm_free=check.free,
        arm_why=check.why,
        face=layer.face.copy(),
    )


def complete_joints(layer: Layer) -> np.ndarray:
    """Keypoints with hidden hips (and the rest) estimated from what is seen."""
    p = layer.pose.points.copy()
    s = layer.pose.scores
    ls, rs = p[Joint.L_SHOULDER], p[Joint.R_SHOULDER]
    sw = float(np.linalg.norm(ls - rs))
    down = np.array([0.0, 1.0], np.float32)
    for hip, sh in ((Joint.L_HIP, ls), (Joint.R_HIP, rs)):
        if s[hip] < 0.3 or p[hip][1] <= sh[1]:
            p[hip] = sh + down * 1.5 * sw
    return p.astype(np.float32)


def torso_polygon(j: np.ndarray) -> np.ndarray:
    """Shoulders and hips, float32 (4, 2)."""
    return np.stack(
        [j[Joint.L_SHOULDER], j[Joint.R_SHOULDER], j[Joint.R_HIP], j[Joint.L_HIP]]
    ).astype(np.float32)


def _grow_polygon(poly: np.ndarray, by: float) -> np.ndarray:
    c = poly.mean(axis=0)
    d = poly - c
    n = np.linalg.norm(d, axis=1, keepdims=True)
    return (c + d * (1 + by / np.maximum(n, 1e-6))).astype(np.float32)


def _inside(poly: np.ndarray, pt: np.ndarray, margin: float = 0.0) -> bool:
    return cv2.pointPolygonTest(poly.reshape(-1, 1, 2), (float(pt[0]), float(pt[1])), True) > margin


def arm_is_free(
    layer: Layer,
    partner: Layer,
    joints: np.ndarray,
    torso: np.ndarray,
    chain: tuple[Joint, Joint, Joint, Joint],
) -> tuple[bool, str]:
    """Whether the photo shows this arm whole and on its own, and why not if not."""
    sh, el, wr, hd = chain
    s = layer.pose.scores
    h, w = layer.alpha.shape
    fw = float(layer.face[2] - layer.face[0])
    for j, name in ((sh, "shoulder"), (el, "elbow"), (wr, "wrist"), (hd, "hand")):
        if s[j] < 0.5:
            return False, f"{name} not visible"
        x, y = joints[j]
        if not (2 <= x < w - 2 and 2 <= y < h - 2):
            return False, f"{name} outside the photo"
    if float(np.linalg.norm(joints[el] - joints[sh])) < 0.5 * fw:
        return False, "upper arm too short to be seen whole"
    if joints[wr][1] < joints[sh][1]:
        # Bringing a raised arm (a wave) down and around turns the upper arm too far for a
        # 2.5D rig: the shoulder stretches into a slab and the hand sweeps across the partner.
        return False, "raised above the shoulder"
    shrunk = _grow_polygon(torso, -0.05 * float(np.linalg.norm(torso[0] - torso[1])))
    for j, name in ((el, "elbow"), (wr, "wrist"), (hd, "hand")):
        if _inside(shrunk, joints[j]):
            return False, f"{name} across the torso"
    for j, name in ((el, "elbow"), (wr, "wrist")):
        x, y = (int(round(v)) for v in joints[j])
        if layer.visible[y, x] < 0.5:
            return False, f"{name} not on this person's own mask"
        if partner.visible[y, x] > 0.3:
            return False, f"{name} lies on the partner"
    if not hand_is_skin(layer.rgb, layer.visible, joints[hd], fw):
        return False, "no skin-coloured hand at the wrist (sleeve or cuff?)"
    return True, "whole arm and hand visible, beside the body"


def hand_is_skin(rgb: np.ndarray, alpha: np.ndarray, at: np.ndarray, face_width: float) -> bool:
    """A hand patch that is at least a quarter skin-coloured (YCrCb box; Chai & Ngan 1999)."""
    r = max(3, int(round(face_width * 0.22)))
    h, w = alpha.shape
    x, y = int(round(at[0])), int(round(at[1]))
    sl = np.s_[max(0, y - r) : min(h, y + r), max(0, x - r) : min(w, x + r)]
    patch = rgb[sl]
    own = alpha[sl] > 0.5
    if patch.size == 0 or own.sum() < 4:
        return False
    ycc = cv2.cvtColor(np.ascontiguousarray(patch), cv2.COLOR_RGB2YCrCb)
    cr, cb = ycc[..., 1], ycc[..., 2]
    skin = (cr >= 133) & (cr <= 180) & (cb >= 70) & (cb <= 130)
    return bool((skin & own).sum() >= 0.25 * own.sum())


def arm_region(
    layer: Layer, joints: np.ndarray, torso: np.ndarray, chain: tuple[Joint, Joint, Joint, Joint]
) -> np.ndarray | None:
    """float32 (H, W) in {0, 1}: the person's pixels nearer this arm than the torso or head."""
    sh, el, wr, hd = chain
    h, w = layer.alpha.shape
    fw = float(layer.face[2] - layer.face[0])
    arm = np.full((h, w), 255, np.uint8)
    tip = joints[hd] + (joints[hd] - joints[wr]) * 0.8
    pts = [joints[sh], joints[el], joints[wr], tip]
    for p0, p1 in itertools.pairwise(pts):
        cv2.line(arm, _ipt(p0), _ipt(p1), 0, 2)
    d_arm = cv2.distanceTransform(arm, cv2.DIST_L2, 3)
    body = np.full((h, w), 255, np.uint8)
    cv2.fillPoly(body, [np.round(torso).astype(np.int32)], 0)
    head = layer.face
    cv2.ellipse(
        body,
        _ipt(((head[0] + head[2]) / 2, (head[1] + head[3]) / 2)),
        (int(fw * 0.7), int(fw * 0.9)),
        0,
        0,
        360,
        0,
        -1,
    )
    d_body = cv2.distanceTransform(body, cv2.DIST_L2, 3)
    cand = ((d_arm < d_body) & (layer.alpha > 0.02) & (d_arm < 0.9 * fw)).astype(np.uint8)
    n, labels = cv2.connectedComponents(cand)
    if n <= 1:
        return None
    x, y = _ipt(joints[el])
    lab = labels[min(max(y, 0), h - 1), min(max(x, 0), w - 1)]
    if lab == 0:
        return None
    region = (labels == lab).astype(np.float32)
    if region.sum() < 0.2 * fw * fw:
        return None
    return region


def _ipt(p: tuple[float, float] | np.ndarray) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))
