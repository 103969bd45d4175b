"""The hug over time: a still beat, the turn and approach, the embrace with squeeze and sway.

Timeline (fractions of the duration): still with breathing until ~12 %; the two slide together
until their faces are about one face-width apart, shoulders narrowing as they turn in, bodies
leaning ~3° and heads tilting ~8° toward each other (the prototype's natural-looking numbers);
a free arm wraps along a path up and over, close to the bodies; from ~62 % the embrace holds with
a gentle squeeze and sway, while the camera pushes in slowly to a closer frame.

All maps are built from rigid rotations and translations, except the torso's horizontal
narrowing (a cheap stand-in for turning) and breathing. Heads and limbs are rigid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from hugai.choreograph import affine as af
from hugai.choreograph.easing import phase
from hugai.choreograph.ik import two_bone_ik
from hugai.choreograph.plan import ArmAction, HugPlan, plan_for
from hugai.config import HugConfig
from hugai.rig.skin import blend_skin, head_weight
from hugai.types import (
    ARM_JOINTS,
    MAX_UPSCALE,
    N_BONES,
    N_JOINTS,
    Bone,
    Joint,
    Motion,
    Part,
    Rig,
    Scene,
)

STILL_END = 0.12
APPROACH_END = 0.62
ARM_START, ARM_END = 0.16, 0.70
CAMERA_START, CAMERA_END = 0.08, 0.92
BODY_LEAN = math.radians(3.0)
HEAD_TILT = math.radians(7.0)
NARROWING = 0.04
"""Kept small: arms that stay with the torso narrow with it, and bones must keep within 5 %."""
FACE_GAP = 1.2
"""Final horizontal distance between face centres, in mean face widths: cheek by cheek, the
front head's hair against the partner's cheek (the prototype's natural look; 1.6 left air)."""
FACE_COVER = 0.08
"""Along the approach, the partner's body may hide at most this share more of a face than it
does in the photo: an arm that reaches toward the partner in the photo (a dance hold, a hand at
the neck) moves with its torso, and sliding the whole way would sweep its sleeve across their
face. Where it would, both come less far (slide and lean alike); their heads still tilt
toward each other as far as the same limit allows."""
MAX_ZOOM = 1.5
"""The push-in's limit: closer crops upscale small, low-resolution people into blur, and the
coming together should read from the people, not from the camera."""
FACE_BELOW = 1.2
"""The camera's end frame reaches this many face widths below the lower nose (chin and neck)."""

ARM_BONES = {
    Part.L_ARM: (Bone.L_UPPER_ARM, Bone.L_FOREARM, Bone.L_HAND),
    Part.R_ARM: (Bone.R_UPPER_ARM, Bone.R_FOREARM, Bone.R_HAND),
}
# Drawing depth where the two overlap: the front person's body 1, head 1.2; the back person 0.
DEPTH_BODY = (0.0, 1.0)
DEPTH_HEAD = (0.0, 1.2)
DEPTH_BEHIND = -0.5
DEPTH_WRAP_ARM = 0.05
DEPTH_WRAP_HAND = 1.1


@dataclass(frozen=True)
class _Person:
    rig: Rig
    side: float  # +1 for the left person (moves right), -1 for the right one
    neck: np.ndarray
    hips: np.ndarray
    head_pivot: np.ndarray
    slide: float
    breath_period: float
    lean: float  # body lean toward the partner at the embrace (radians)
    tilt: float  # head tilt toward the partner on top of the lean (radians)


def choreograph(scene: Scene, rigs: tuple[Rig, Rig], config: HugConfig) -> Motion:
    plan = plan_for(scene, rigs)
    n = config.n_frames
    times = np.arange(n) / config.fps
    duration = config.duration
    rng = np.random.default_rng(config.seed)
    people = _people(rigs, rng, plan.front)

    bones = np.zeros((n, 2, N_BONES, 2, 3), np.float32)
    depth = np.zeros((n, 2, N_BONES), np.float32)
    joints = np.zeros((n, 2, N_JOINTS, 2), np.float32)
    for f, t in enumerate(times):
        u = t / duration
        torso_maps = [_torso_map(p, u, t, duration) for p in people]
        for i, p in enumerate(people):
            maps = _body_bones(p, torso_maps[i], u, t, duration)
            for part in (Part.L_ARM, Part.R_ARM):
                action = plan.action(i, part)
                if action in (ArmAction.WRAP_SHOULDERS, ArmAction.WRAP_BACK):
                    partner = people[1 - i]
                    arm = _wrap_arm(p, part, torso_maps[i], partner, torso_maps[1 - i], u, action)
                    for b, m in zip(ARM_BONES[part], arm, strict=True):
                        maps[b] = m
                else:
                    for b in ARM_BONES[part]:
                        maps[b] = torso_maps[i]
            bones[f, i] = np.stack(maps)
            depth[f, i] = _depths(plan, i)
            joints[f, i] = pose_joints(p.rig, bones[f, i])
    camera = _camera(scene, rigs, joints, times, duration, config)
    camera = _hide_cut_edges(camera, scene, rigs, bones, config)
    u = times / duration
    blur = phase(u, CAMERA_START, CAMERA_END).astype(np.float32)
    reveal = phase(u, STILL_END, STILL_END + 0.15).astype(np.float32)
    contact = phase(u, STILL_END + 0.1, APPROACH_END).astype(np.float32)
    return Motion(
        bones=bones,
        depth=depth,
        joints=joints,
        camera=camera,
        blur=blur,
        reveal=reveal,
        contact=contact,
        plan=plan.lines(),
    )


def _people(rigs: tuple[Rig, Rig], rng: np.random.Generator, front: int) -> list[_Person]:
    """Per-person constants; the slide is chosen so the faces end ``FACE_GAP`` apart, or less
    far if the front one's body would come to cover the face behind (``FACE_COVER``), which
    limits the head tilt on its own."""
    fw = float(np.mean([r.face_width for r in rigs]))
    # The taller one bends toward a much shorter partner (a child, someone seated): up to 5° more
    # lean and 6° more head tilt as the heads are more than a face apart in height.
    tops = [float(r.face[1]) for r in rigs]
    taller = int(np.argmin(tops))
    dh = (max(tops) - min(tops)) / fw
    bend = float(np.clip(dh - 0.8, 0.0, 1.2))
    out = []
    for i, r in enumerate(rigs):
        j = r.joints
        neck = (j[Joint.L_SHOULDER] + j[Joint.R_SHOULDER]) / 2
        hips = (j[Joint.L_HIP] + j[Joint.R_HIP]) / 2
        face_c = np.array([(r.face[0] + r.face[2]) / 2, (r.face[1] + r.face[3]) / 2])
        mouth = face_c + np.array([0.0, 0.25 * r.face_width])
        out.append(
            _Person(
                rig=r,
                side=1.0 if i == 0 else -1.0,
                neck=neck.astype(np.float64),
                hips=hips.astype(np.float64),
                head_pivot=(neck + 0.55 * (mouth - neck)).astype(np.float64),
                slide=0.0,
                breath_period=float(rng.uniform(3.2, 4.0)),
                lean=BODY_LEAN + (math.radians(4.2) * bend if i == taller else 0.0),
                tilt=HEAD_TILT + (math.radians(5.0) * bend if i == taller else 0.0),
            )
        )
    # Where the faces would end up with lean and tilt alone, then slide the rest of the way.
    ends = []
    for p in out:
        head = _body_bones(p, _torso_map(p, APPROACH_END, 0.0, 1.0), APPROACH_END, 0.0, 1.0)[
            Bone.HEAD
        ]
        face_c = np.array(
            [(p.rig.face[0] + p.rig.face[2]) / 2, (p.rig.face[1] + p.rig.face[3]) / 2]
        )
        ends.append(af.apply(head, face_c))
    gap = max(0.0, float(ends[1][0] - ends[0][0]) - FACE_GAP * fw)
    out = [replace(p, slide=p.side * gap / 2) for p in out]
    # Part way through, each one is where a shorter approach would end (slide, lean and tilt all
    # ease in by the same phase), so the whole path is checked by walking k up from 0.
    at_rest = _face_cover(out[front], out[1 - front], 0.0)
    k = 0.0
    while k < 1.0 and _face_cover(out[front], out[1 - front], k + 0.05) <= at_rest + FACE_COVER:
        k = round(k + 0.05, 2)
    # Where the bodies must stay put (a dance hold, two women side by side on a bench), the
    # heads still lean together as far as they can: the head tilt walks on by itself.
    tilt = k
    while (
        tilt < 1.0
        and _face_cover(out[front], out[1 - front], k, round(tilt + 0.05, 2))
        <= at_rest + FACE_COVER
    ):
        tilt = round(tilt + 0.05, 2)
    return [_scaled(p, k, tilt) for p in out]


def _scaled(p: _Person, k: float, tilt: float | None = None) -> _Person:
    """The person coming ``k`` of the way: slide and body lean scaled by ``k``, the head tilt
    by ``tilt`` (default ``k``)."""
    t = k if tilt is None else tilt
    return replace(p, slide=p.slide * k, lean=p.lean * k, tilt=p.tilt * t)


def _face_cover(front: _Person, back: _Person, k: float, tilt: float | None = None) -> float:
    """The share of ``back``'s face, jaw and hair line included, that ``front``'s body hides at
    the embrace when both come ``k`` of the way. Sampled on an ellipse around the face box,
    each sample taken back through the front one's torso map to their own photo and weighed by
    their body's alpha there (not their head's: the heads are kept apart by ``FACE_GAP``)."""
    f, b = _scaled(front, k, tilt), _scaled(back, k, tilt)
    x0, y0, x1, y1 = (float(v) for v in back.rig.face)
    gx, gy = np.meshgrid(np.linspace(-1, 1, 13), np.linspace(-1, 1, 13))
    inside = gx**2 + gy**2 <= 1.0
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    pts = np.stack([cx + 0.65 * (x1 - x0) * gx[inside], cy + 0.7 * (y1 - y0) * gy[inside]], axis=1)
    end = APPROACH_END
    head = _body_bones(b, _torso_map(b, end, 0.0, 1.0), end, 0.0, 1.0)[Bone.HEAD]
    torso = _torso_map(f, end, 0.0, 1.0)
    there = af.apply(af.invert(torso), af.apply(head, pts))
    alpha = f.rig.textures[Part.BODY, ..., 3]
    h, w = alpha.shape
    xi = np.round(there[:, 0]).astype(int)
    yi = np.round(there[:, 1]).astype(int)
    ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
    a = np.zeros(len(pts))
    a[ok] = alpha[yi[ok], xi[ok]] / 255.0
    body = 1.0 - head_weight(there, f.rig.joints, f.rig.face)
    return float(np.mean(a * body))


def _squeeze(u: float) -> float:
    return float(phase(u, APPROACH_END + 0.02, 0.78) * (1 - 0.5 * phase(u, 0.82, 0.98)))


def _sway(u: float, t: float, duration: float) -> float:
    """A slow rock of the couple, faded in after they meet (radians)."""
    start = APPROACH_END * duration
    return float(
        math.radians(1.2) * phase(u, APPROACH_END, 0.8) * math.sin(2 * math.pi * (t - start) / 3.0)
    )


def _torso_map(p: _Person, u: float, t: float, duration: float) -> np.ndarray:
    a = float(phase(u, STILL_END, APPROACH_END))
    sq = _squeeze(u)
    fw = p.rig.face_width
    # Breathing starts from rest (frame 0 is the photo) and eases off as they embrace.
    breath = 0.004 * (1 - math.cos(2 * math.pi * t / p.breath_period)) * (1 - 0.5 * a)
    narrow = 1.0 - NARROWING * a - 0.01 * sq
    pivot = np.array([p.neck[0], p.hips[1]])
    m = af.scale_about(narrow, 1.0 + breath, pivot)
    m = af.compose(af.rotate_about(p.side * p.lean * a, p.hips), m)
    m = af.compose(af.translate(p.slide * a + p.side * 0.03 * fw * sq, 0.0), m)
    sway_center = p.hips
    return af.compose(af.rotate_about(_sway(u, t, duration), sway_center), m)


def _body_bones(
    p: _Person, torso: np.ndarray, u: float, t: float, duration: float
) -> list[np.ndarray]:
    a = float(phase(u, STILL_END, APPROACH_END))
    maps = [af.identity() for _ in range(N_BONES)]
    maps[Bone.TORSO] = torso
    head_angle = p.side * (p.lean + p.tilt) * a + _sway(u, t, duration)
    moved = af.apply(torso, p.head_pivot)
    head = af.compose(
        af.translate(*(moved - p.head_pivot)), af.rotate_about(head_angle, p.head_pivot)
    )
    maps[Bone.HEAD] = head
    legs = af.translate(p.slide * a, 0.0)
    maps[Bone.L_THIGH] = maps[Bone.R_THIGH] = maps[Bone.L_SHIN] = maps[Bone.R_SHIN] = legs
    return maps


def _wrap_arm(
    p: _Person,
    part: Part,
    torso: np.ndarray,
    partner: _Person,
    partner_torso: np.ndarray,
    u: float,
    action: ArmAction,
) -> list[np.ndarray]:
    """Upper arm, forearm and hand maps for an arm reaching around the partner.

    Joint angles are keyframed (rest → above the partner's near shoulder → on the far shoulder or
    back), each key solved by IK with elbow limits and the elbow kept low; angles are then
    interpolated, so bone lengths hold exactly and the hand travels up and over, not through.
    """
    sh, el, wr, hd = ARM_JOINTS[part]
    j = p.rig.joints.astype(np.float64)
    rest = af.apply(torso, j[[sh, el, wr, hd]])
    root = rest[0]
    l1 = float(np.linalg.norm(j[el] - j[sh]))
    l2 = float(np.linalg.norm(j[wr] - j[el]))
    pj = partner.rig.joints.astype(np.float64)
    near_sh = Joint.R_SHOULDER if p.side > 0 else Joint.L_SHOULDER
    far_sh = Joint.L_SHOULDER if p.side > 0 else Joint.R_SHOULDER
    far_hip = Joint.L_HIP if p.side > 0 else Joint.R_HIP
    pfw = partner.rig.face_width
    near = af.apply(partner_torso, pj[near_sh])
    if action == ArmAction.WRAP_SHOULDERS:
        goal = af.apply(partner_torso, pj[far_sh]) + np.array([-p.side * 0.25 * pfw, -0.12 * pfw])
    else:
        back = pj[far_sh] + 0.35 * (pj[far_hip] - pj[far_sh])
        goal = af.apply(partner_torso, back) + np.array([-p.side * 0.15 * pfw, 0.0])
    via = near + np.array([0.0, -0.45 * pfw])
    bend = p.side  # elbow below the line from shoulder to hand
    keys = [_angles(root, rest[1], rest[2])]
    for target in (via, goal):
        elbow, wrist = two_bone_ik(root, target, l1, l2, bend)
        keys.append(_angles(root, elbow, wrist))
    k = float(phase(u, ARM_START, ARM_END))
    shoulder_ang, elbow_ang = _interp_keys(keys, k)
    elbow = root + l1 * np.array([math.cos(shoulder_ang), math.sin(shoulder_ang)])
    fore = shoulder_ang + elbow_ang
    wrist = elbow + l2 * np.array([math.cos(fore), math.sin(fore)])
    upper = af.rigid_segment(j[sh], j[el], root, elbow)
    forearm = af.rigid_segment(j[el], j[wr], elbow, wrist)
    # The hand follows the forearm, then relaxes down over the shoulder (wrist limit ±60°).
    hand_dir0 = j[hd] - j[wr]
    fore0 = j[wr] - j[el]
    rest_rel = _wrap(math.atan2(hand_dir0[1], hand_dir0[0]) - math.atan2(fore0[1], fore0[0]))
    rel = rest_rel + (p.side * math.radians(35) - rest_rel) * k
    rel = float(np.clip(rel, -math.radians(60), math.radians(60)))
    hand_ang = fore + rel
    hand_tip = wrist + np.array([math.cos(hand_ang), math.sin(hand_ang)])
    hand = af.rigid_segment(
        j[wr], j[wr] + hand_dir0 / max(np.linalg.norm(hand_dir0), 1e-9), wrist, hand_tip
    )
    return [upper, forearm, hand]


def _angles(root: np.ndarray, elbow: np.ndarray, wrist: np.ndarray) -> tuple[float, float]:
    """(upper arm direction, elbow bend relative to it), radians."""
    a = math.atan2(elbow[1] - root[1], elbow[0] - root[0])
    b = math.atan2(wrist[1] - elbow[1], wrist[0] - elbow[0])
    return a, _wrap(b - a)


def _wrap(x: float) -> float:
    return (x + math.pi) % (2 * math.pi) - math.pi


def _interp_keys(keys: list[tuple[float, float]], k: float) -> tuple[float, float]:
    """Piecewise interpolation through the keys (k in [0, 1]); angle differences unwrapped."""
    seg = min(int(k * (len(keys) - 1)), len(keys) - 2)
    local = k * (len(keys) - 1) - seg
    (a0, e0), (a1, e1) = keys[seg], keys[seg + 1]
    # A soft in-out within each segment keeps speed continuous at the via key.
    s = local * local * (3 - 2 * local) if len(keys) > 2 else local
    s = 0.5 * local + 0.5 * s
    return a0 + _wrap(a1 - a0) * s, e0 + _wrap(e1 - e0) * s


def _depths(plan: HugPlan, person: int) -> np.ndarray:
    d = np.full(N_BONES, DEPTH_BODY[person == plan.front], np.float32)
    d[Bone.HEAD] = DEPTH_HEAD[person == plan.front]
    for part in (Part.L_ARM, Part.R_ARM):
        action = plan.action(person, part)
        up, fore, hand = ARM_BONES[part]
        if action == ArmAction.BEHIND:
            d[[up, fore, hand]] = DEPTH_BEHIND
        elif action in (ArmAction.WRAP_SHOULDERS, ArmAction.WRAP_BACK):
            d[[up, fore]] = DEPTH_WRAP_ARM
            d[hand] = DEPTH_WRAP_HAND
    return d


_JOINT_BONE = {
    Joint.NOSE: Bone.HEAD,
    Joint.L_EYE: Bone.HEAD,
    Joint.R_EYE: Bone.HEAD,
    Joint.L_EAR: Bone.HEAD,
    Joint.R_EAR: Bone.HEAD,
    Joint.L_SHOULDER: Bone.TORSO,
    Joint.R_SHOULDER: Bone.TORSO,
    Joint.L_ELBOW: Bone.L_UPPER_ARM,
    Joint.R_ELBOW: Bone.R_UPPER_ARM,
    Joint.L_WRIST: Bone.L_FOREARM,
    Joint.R_WRIST: Bone.R_FOREARM,
    Joint.L_HAND: Bone.L_HAND,
    Joint.R_HAND: Bone.R_HAND,
    Joint.L_HIP: Bone.TORSO,
    Joint.R_HIP: Bone.TORSO,
    Joint.L_KNEE: Bone.L_THIGH,
    Joint.R_KNEE: Bone.L_THIGH,
    Joint.L_ANKLE: Bone.L_THIGH,
    Joint.R_ANKLE: Bone.L_THIGH,
}


def pose_joints(rig: Rig, bones: np.ndarray) -> np.ndarray:
    """The rig's joints moved by the bones they hang from (canvas frame), float32 (N_JOINTS, 2)."""
    out = np.zeros((N_JOINTS, 2), np.float32)
    for j in Joint:
        b = _JOINT_BONE[j]
        out[j] = af.apply(bones[b].astype(np.float64), rig.joints[j].astype(np.float64))
    return out


CUT_EDGE = 1.5
"""Mesh vertices this close (pixels) to the canvas's edge lie where the photo cut the person."""


def _cut_edges(scene: Scene, rigs: tuple[Rig, Rig], bones: np.ndarray) -> np.ndarray:
    """float64 (F, 4): per frame, the canvas window (left, top, right, bottom) the camera may
    show without showing where the photo cut a person off.

    Someone cut by the photo's left edge who moves right would bring that straight cut into
    view, with the background beside it. Vertices of each person's mesh on the canvas edge
    are posed every frame, and the cut moves as far as they do; the window must stay beyond
    it (left of a right-edge cut, above a bottom one, and so on).
    """
    h, w = scene.photo.shape[:2]
    n = bones.shape[0]
    bounds = np.tile(np.array([0.0, 0.0, float(w), float(h)]), (n, 1))
    for i, rig in enumerate(rigs):
        v = rig.vertices.astype(np.float64)
        edges = np.stack(
            [
                v[:, 0] <= CUT_EDGE,
                v[:, 1] <= CUT_EDGE,
                v[:, 0] >= w - 1 - CUT_EDGE,
                v[:, 1] >= h - 1 - CUT_EDGE,
            ],
            axis=1,
        )
        cut = edges.any(axis=1)
        if not cut.any():
            continue
        edges = edges[cut]
        # How far each cut vertex moved, every frame at once (F, V, 2): the cut line is the
        # canvas's edge, moved as much.
        weights = rig.weights[cut].astype(np.float64)
        moved = blend_skin(v[cut], weights, bones[:, i].astype(np.float64)) - v[cut]
        for side in range(4):
            if edges[:, side].any():
                at = moved[:, edges[:, side], side % 2]
                if side < 2:
                    bounds[:, side] = np.maximum(bounds[:, side], at.max(axis=1))
                else:
                    edge = float((w, h)[side % 2])
                    bounds[:, side] = np.minimum(bounds[:, side], edge + at.min(axis=1))
    return bounds


def _hide_cut_edges(
    cams: np.ndarray, scene: Scene, rigs: tuple[Rig, Rig], bones: np.ndarray, config: HugConfig
) -> np.ndarray:
    """``cams`` moved (or, where the room between two cuts is too narrow, pushed in) so that
    no frame shows where the photo cut a person off (``_cut_edges``), unless that would cut
    a face: both faces stay whole first. At frame 0 the people are where the photo has them,
    so nothing changes there."""
    h, w = scene.photo.shape[:2]
    out_w, out_h = config.output_size(w, h)
    ratio = out_w / out_h
    bounds = _cut_edges(scene, rigs, bones)
    # The push-in's scale s / fit stays within ``_sharpest_scale``, as ``_camera``'s.
    sharpest = _sharpest_scale(scene)
    # All four corners: the head bone turns the face box.
    corners = [np.array(r.face, np.float64)[[[0, 1], [2, 1], [0, 3], [2, 3]]] for r in rigs]
    out = cams.copy()
    for f, cam in enumerate(cams.astype(np.float64)):
        s = float(cam[0, 0])
        bw, bh = out_w / s, out_h / s
        bx0, by0 = -float(cam[0, 2]) / s, -float(cam[1, 2]) / s
        left, top, right, bottom = bounds[f]
        faces = np.concatenate([af.apply(bones[f, i, Bone.HEAD], c) for i, c in enumerate(corners)])
        fx0, fy0 = faces.min(axis=0)
        fx1, fy1 = faces.max(axis=0)
        # Narrower room than the window: push in around the window's centre (at most to half
        # the window, far beyond what the slides and leans of a hug need; never past the faces).
        fit = min(1.0, (right - left) / bw, (bottom - top) / bh)
        fit = max(fit, 0.5, (fx1 - fx0) / bw, (fy1 - fy0) / bh, s / sharpest)
        fit = 1.0 if fit > 1.0 - 1e-6 else min(fit, 1.0)
        if fit < 1.0:
            bx0 += bw * (1 - fit) / 2
            by0 += bh * (1 - fit) / 2
            bw, bh = bw * fit, bw * fit / ratio
        x = float(np.clip(bx0, left, max(left, right - bw)))
        y = float(np.clip(by0, top, max(top, bottom - bh)))
        x = float(np.clip(x, min(fx1 - bw, fx0), fx0))
        y = float(np.clip(y, min(fy1 - bh, fy0), fy0))
        if fit < 1.0 or abs(x - bx0) > 1e-3 or abs(y - by0) > 1e-3:  # not float32 noise
            s = out_w / bw
            out[f] = [[s, 0, -x * s], [0, s, -y * s]]
    return out


def _sharpest_scale(scene: Scene) -> float:
    """The largest canvas-to-output scale: not past MAX_UPSCALE times the least sharp person's
    own photo."""
    return MAX_UPSCALE / max(scene.source_scale)


def _camera(
    scene: Scene,
    rigs: tuple[Rig, Rig],
    joints: np.ndarray,
    times: np.ndarray,
    duration: float,
    config: HugConfig,
) -> np.ndarray:
    """A slow push-in from the photo's frame to a closer one around the two heads."""
    h, w = scene.photo.shape[:2]
    out_w, _ = config.output_size(w, h)
    x0, y0, x1, y1 = (float(v) for v in scene.crop)
    cw, ch = x1 - x0, y1 - y0
    fw = float(np.mean([r.face_width for r in rigs]))
    end = joints[-1]
    heads = end[:, [Joint.NOSE, Joint.L_EAR, Joint.R_EAR]].reshape(-1, 2)
    hx0, hx1 = float(heads[:, 0].min()) - 1.2 * fw, float(heads[:, 0].max()) + 1.2 * fw
    sharpest = _sharpest_scale(scene) / (out_w / cw)  # as a zoom of the photo's frame
    # Both faces whole at the end, chins and a little neck included: one face far below the
    # other (someone seated, a child) limits the push-in as much as the width of the two.
    top = float(end[:, Joint.NOSE, 1].min()) - 1.3 * fw
    bottom = float(end[:, Joint.NOSE, 1].max()) + FACE_BELOW * fw
    fit = min(cw / max(hx1 - hx0, 1.0), ch / max(bottom - top, 1.0))
    zoom = float(np.clip(fit, 1.0, max(1.0, min(MAX_ZOOM, sharpest))))
    ew, eh = cw / zoom, ch / zoom
    cx = (hx0 + hx1) / 2
    ex0 = float(np.clip(cx - ew / 2, 0, w - ew))
    ey0 = float(np.clip(top, 0, max(0.0, (h if scene.floor is None else scene.floor) - eh)))
    cams = np.zeros((len(times), 2, 3), np.float32)
    for f, t in enumerate(times):
        k = float(phase(t / duration, CAMERA_START, CAMERA_END))
        bx0 = x0 + (ex0 - x0) * k
        by0 = y0 + (ey0 - y0) * k
        bw = cw + (ew - cw) * k
        s = out_w / bw
        cams[f] = [[s, 0, -bx0 * s], [0, s, -by0 * s]]
    return cams
