"""Find the two people: propose, estimate a pose per crop, check, choose, and split the mask.

Pose models find one person per call, so people are proposed first (faces, MoveNet MultiPose) and
BlazePose runs on a crop around each. Every limb is checked for ownership (the prototype saw a
boy "get" a girl's forearm): a keypoint that lies in the partner's body and not in its own is
dropped. Pixels both people claim go to the one whose skeleton is nearer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import replace

import cv2
import numpy as np

from hugai.errors import NoPeopleFound, OnlyOnePerson, PeopleTooSmall, PersonFromBehind
from hugai.perceive.models import Candidate, CropPose, FaceFinder, PersonFinder, PoseEstimator
from hugai.types import ARM_JOINTS, Joint, Perception, Person, Photo, Pose2D

MIN_FACE_FRACTION = 0.02
"""A person whose face is narrower than this share of the photo's long side is too small to use."""

_SKELETON = (
    (Joint.L_SHOULDER, Joint.R_SHOULDER),
    (Joint.L_SHOULDER, Joint.L_HIP),
    (Joint.R_SHOULDER, Joint.R_HIP),
    (Joint.L_HIP, Joint.R_HIP),
    (Joint.L_SHOULDER, Joint.L_ELBOW),
    (Joint.L_ELBOW, Joint.L_WRIST),
    (Joint.R_SHOULDER, Joint.R_ELBOW),
    (Joint.R_ELBOW, Joint.R_WRIST),
    (Joint.L_HIP, Joint.L_KNEE),
    (Joint.R_HIP, Joint.R_KNEE),
    (Joint.NOSE, Joint.L_SHOULDER),
    (Joint.NOSE, Joint.R_SHOULDER),
    # The head reaches back to the ears: in profile, the back of it and the neck below had
    # been nearer a partner's torso line than to the nose.
    (Joint.NOSE, Joint.L_EAR),
    (Joint.NOSE, Joint.R_EAR),
    (Joint.L_EAR, Joint.L_SHOULDER),
    (Joint.R_EAR, Joint.R_SHOULDER),
)


def perceive(
    photos: Sequence[Photo],
    finders: Sequence[PersonFinder],
    faces: FaceFinder,
    pose: PoseEstimator,
    *,
    found_in: Sequence[list[Person]] | None = None,
) -> Perception:
    """Two people, left first. One photo: both from it. Two photos: one from each.

    found_in: each photo's ``find_people``, when the caller has them already.
    """
    notes: list[str] = []

    def people_in(i: int) -> list[Person]:
        if found_in is not None:
            return list(found_in[i])
        return find_people(photos[i], i, finders, faces, pose)

    if len(photos) == 1:
        found = people_in(0)
        if not found:
            raise NoPeopleFound(
                f"{photos[0].name}: found no person; use a photo where two people face the camera",
                photo=0,
            )
        if len(found) == 1:
            _require_frontal(found[0], photos[0], 0, 1)
            raise OnlyOnePerson(
                f"{photos[0].name}: found 1 person; use a photo with two people or pass a second "
                "photo of the other person",
                photo=0,
            )
        chosen = choose_two(found, photos[0].size)
        if len(found) > 2:
            notes.append(
                f"{photos[0].name}: found {len(found)} people; used the two largest near the "
                "centre (group hugs come later)"
            )
        # Where each body can be: from the keypoints' positions only, which the split keeps.
        hulls = (
            body_hull(chosen[0].pose, chosen[0].face, photos[0].image.shape),
            body_hull(chosen[1].pose, chosen[1].face, photos[0].image.shape),
        )
        chosen = split_shared_pixels(chosen[0], chosen[1], photos[0].image, hulls)
        in_front = who_is_in_front(chosen[0], chosen[1])
        if in_front is not None:
            chosen = body_goes_on_behind(chosen, in_front, hulls[1 - in_front])
    else:
        in_front = None
        chosen_list = []
        for i, photo in enumerate(photos):
            found = people_in(i)
            if not found:
                raise NoPeopleFound(
                    f"{photo.name}: found no person; use a photo where the person faces the camera",
                    photo=i,
                )
            best = choose_two(found, photo.size)[0] if len(found) > 1 else found[0]
            if len(found) > 1:
                notes.append(f"{photo.name}: found {len(found)} people; used the main one")
            chosen_list.append(best)
        chosen = (chosen_list[0], chosen_list[1])
    for person in chosen:
        _require_frontal(person, photos[person.photo_index], person.photo_index, len(photos))
    if len(photos) == 1 and chosen[0].face_center[0] > chosen[1].face_center[0]:
        chosen = (chosen[1], chosen[0])
        in_front = None if in_front is None else 1 - in_front
    return Perception(
        photos=tuple(photos), people=(chosen[0], chosen[1]), notes=tuple(notes), in_front=in_front
    )


def who_is_in_front(a: Person, b: Person) -> int | None:
    """Which of two overlapping people is nearer the camera, or None when they do not overlap.

    Masks alone are unreliable here (each crop's mask also claims the partner), so the photo's
    geometry decides unless the occlusion evidence is lopsided: the nearer person's face is
    lower in the frame and larger.
    """
    if a.occluded is None or b.occluded is None:
        return None
    hidden_a = float(a.occluded.sum())
    hidden_b = float(b.occluded.sum())
    touching = np.minimum(cv2.dilate(a.alpha, np.ones((5, 5), np.uint8)), b.alpha).sum()
    if max(hidden_a, hidden_b) < 0.02 * min(a.area, b.area) and touching < 1.0:
        return None
    if hidden_a > 4 * hidden_b and hidden_a > 0.03 * a.area:
        return 1
    if hidden_b > 4 * hidden_a and hidden_b > 0.03 * b.area:
        return 0
    fw = (a.face_width + b.face_width) / 2
    near_a = (a.face_width - b.face_width) / fw + 0.5 * float(
        a.face_center[1] - b.face_center[1]
    ) / fw
    return 0 if near_a >= 0 else 1


def _require_frontal(person: Person, photo: Photo, index: int, n_photos: int) -> None:
    if not person.frontal:
        who = "both people face" if n_photos == 1 else "the person faces"
        raise PersonFromBehind(
            f"{photo.name}: a person is seen from behind; use a photo where {who} the camera "
            "(a frontal photo works best)",
            photo=index,
        )


def find_people(
    photo: Photo,
    index: int,
    finders: Sequence[PersonFinder],
    faces: FaceFinder,
    pose: PoseEstimator,
) -> list[Person]:
    """Every usable person in one photo, each with a pose, a face box and a mask."""
    image = photo.image
    h, w = image.shape[:2]
    candidates = merge_candidates([c for f in finders for c in f.find(image)])
    people: list[Person] = []
    too_small: list[float] = []
    for i, cand in enumerate(candidates):
        crop = _pose_crop(cand.box, w, h)
        # BlazePose locks on to the most prominent head in the crop: hide the other heads.
        others = [c.head for k, c in enumerate(candidates) if k != i and c.head is not None]
        est = pose.estimate(_hide_heads(image, others, cand.head), crop)
        if est is None or not _plausible(est, cand):
            continue
        face = cand.face if cand.face is not None else _face_from_detector(image, est, faces)
        frontal = face is not None or _shoulders_frontal(est)
        if face is None:
            face = face_from_pose(est)
        if face is None:
            continue
        if (face[2] - face[0]) < MIN_FACE_FRACTION * max(w, h):
            too_small.append(float(face[2] - face[0]))
            continue
        mask_sum = float(est.mask.sum())
        if mask_sum < 0.002 * w * h:
            continue
        xs, ys = np.nonzero(est.mask.T > 0.5)
        box = (
            np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)
            if len(xs)
            else cand.box
        )
        people.append(
            Person(
                box=box,
                face=np.asarray(face, np.float32),
                pose=Pose2D(est.points, est.scores),
                alpha=est.mask,
                frontal=bool(frontal),
                photo_index=index,
                score=cand.score,
            )
        )
    people = dedupe(people)
    if too_small and len(people) < 2:
        need = int(np.ceil(MIN_FACE_FRACTION * max(w, h)))
        raise PeopleTooSmall(
            f"{photo.name}: found {len(people) + len(too_small)} people, but "
            f"{'they are' if len(too_small) > 1 else 'one is'} too small in the frame (faces about "
            f"{round(float(np.mean(too_small)))} pixels wide); use a closer photo where each face "
            f"is at least {need} pixels wide",
            photo=index,
        )
    return people


def merge_candidates(cands: list[Candidate]) -> list[Candidate]:
    """One candidate per person: a face inside a body box's head region joins that box."""
    faces = [c for c in cands if c.source == "face"]
    bodies = [c for c in cands if c.source != "face"]
    used: set[int] = set()
    merged: list[Candidate] = []
    for body in sorted(bodies, key=lambda c: -c.score):
        bx0, by0, bx1, by1 = body.box
        best, best_d = None, np.inf
        for i, f in enumerate(faces):
            if i in used or f.face is None:
                continue
            cx, cy = (f.face[0] + f.face[2]) / 2, (f.face[1] + f.face[3]) / 2
            if bx0 <= cx <= bx1 and by0 - 0.1 * (by1 - by0) <= cy <= by0 + 0.5 * (by1 - by0):
                d = abs(cx - (bx0 + bx1) / 2)
                if d < best_d:
                    best, best_d = i, d
        if best is not None:
            used.add(best)
            f = faces[best]
            merged.append(Candidate(body.box, f.face, max(body.score, f.score), "both", f.head))
        else:
            merged.append(body)
    merged += [f for i, f in enumerate(faces) if i not in used]
    return merged


def _hide_heads(image: np.ndarray, heads: list[np.ndarray], keep: np.ndarray | None) -> np.ndarray:
    """A copy with other people's heads painted flat grey (but never over the kept head)."""
    if not heads:
        return image
    out = image.copy()
    h, w = image.shape[:2]
    for hb in heads:
        if keep is not None and _iou(hb, keep) > 0.3:
            continue
        x0, y0, x1, y1 = (int(round(v)) for v in hb)
        out[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)] = 127
    if keep is not None:
        x0, y0, x1, y1 = (int(round(v)) for v in keep)
        sl = np.s_[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)]
        out[sl] = image[sl]
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def _pose_crop(box: np.ndarray, w: int, h: int) -> np.ndarray:
    """The box widened so the pose model sees the whole body with some margin."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    side = max(bw, bh * 0.6)
    cx = (x0 + x1) / 2
    return np.array(
        [
            max(0, cx - 0.65 * side),
            max(0, y0 - 0.15 * bh),
            min(w, cx + 0.65 * side),
            min(h, y1 + 0.1 * bh),
        ],
        np.float32,
    )


def _plausible(est: CropPose, cand: Candidate) -> bool:
    """The pose is of the proposed person: shoulders seen and the head inside the proposal."""
    s = est.scores
    if s[Joint.L_SHOULDER] < 0.5 or s[Joint.R_SHOULDER] < 0.5:
        return False
    nose = est.points[Joint.NOSE]
    x0, _, x1, _ = cand.box
    if cand.head is not None:
        # The pose must be of the head that was proposed, not of a neighbour's.
        hx0, hy0, hx1, hy1 = cand.head
        m = 0.3 * (hx1 - hx0)
        if not (hx0 - m <= nose[0] <= hx1 + m and hy0 - m <= nose[1] <= hy1 + m):
            return False
    if cand.face is not None:
        fx0, fy0, fx1, fy1 = cand.face
        fw = fx1 - fx0
        return bool(fx0 - fw <= nose[0] <= fx1 + fw and fy0 - fw <= nose[1] <= fy1 + fw)
    bw = x1 - x0
    return bool(x0 - 0.2 * bw <= nose[0] <= x1 + 0.2 * bw)


def _head_box(est: CropPose) -> np.ndarray:
    p = est.points
    shoulder_w = float(np.linalg.norm(p[Joint.L_SHOULDER] - p[Joint.R_SHOULDER]))
    c = p[Joint.NOSE]
    r = max(shoulder_w * 0.6, 8.0)
    return np.array([c[0] - r, c[1] - 1.2 * r, c[0] + r, c[1] + 0.8 * r], np.float32)


def _face_from_detector(image: np.ndarray, est: CropPose, faces: FaceFinder) -> np.ndarray | None:
    """Look again for a face on an enlarged crop of the head (small faces are missed)."""
    h, w = image.shape[:2]
    hb = _head_box(est)
    x0, y0 = int(max(0, hb[0])), int(max(0, hb[1]))
    x1, y1 = int(min(w, hb[2])), int(min(h, hb[3]))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    crop = image[y0:y1, x0:x1]
    scale = 256.0 / max(crop.shape[:2])
    big = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    found = faces.faces(big)
    if not found:
        return None
    box, _ = max(found, key=lambda f: f[1])
    return (box / scale + np.array([x0, y0, x0, y0], np.float32)).astype(np.float32)


def face_from_pose(est: CropPose | Pose2D) -> np.ndarray | None:
    """A face box from eyes, ears and nose when no detector saw the face."""
    p, s = est.points, est.scores
    if s[Joint.NOSE] < 0.3:
        return None
    eye_d = float(np.linalg.norm(p[Joint.L_EYE] - p[Joint.R_EYE]))
    ear_d = float(np.linalg.norm(p[Joint.L_EAR] - p[Joint.R_EAR]))
    sh_d = float(np.linalg.norm(p[Joint.L_SHOULDER] - p[Joint.R_SHOULDER]))
    width = max(2.4 * eye_d, 1.1 * ear_d, 0.45 * sh_d)
    cx, cy = p[Joint.NOSE]
    return np.array(
        [cx - width / 2, cy - 0.55 * width, cx + width / 2, cy + 0.45 * width], np.float32
    )


def _shoulders_frontal(est: CropPose) -> bool:
    """Seen from the front, a person's left shoulder is on the image's right."""
    return bool(est.points[Joint.L_SHOULDER][0] > est.points[Joint.R_SHOULDER][0])


def dedupe(people: list[Person]) -> list[Person]:
    """Two proposals that gave the same person (noses within half a face) keep the stronger."""
    out: list[Person] = []
    for p in sorted(people, key=lambda q: -q.score):
        if all(
            np.linalg.norm(p.pose.points[Joint.NOSE] - q.pose.points[Joint.NOSE])
            > 0.5 * q.face_width
            for q in out
        ):
            out.append(p)
    return out


def choose_two(people: list[Person], size: tuple[int, int]) -> tuple[Person, Person]:
    """The two largest people near the centre (area weighted down by distance from centre)."""
    w = size[0]

    def rank(p: Person) -> float:
        cx = float(p.face_center[0]) / w - 0.5
        return p.face_width**2 * (1.0 - 1.2 * abs(cx))

    best = sorted(people, key=rank, reverse=True)
    return best[0], best[1]


def split_shared_pixels(
    a: Person, b: Person, image: np.ndarray, hulls: tuple[np.ndarray, np.ndarray]
) -> tuple[Person, Person]:
    """Give each pixel to one person; drop keypoints that sit inside the partner, not in their own.

    Both masks can claim the same pixels (each crop's pose model sees part of the partner). A
    pixel goes to the person whose skeleton is nearer, weighted by how sure each mask is.
    hulls: each one's ``body_hull``.
    """
    a, b = settle_shared_limbs(a, b)
    scale = max(a.face_width, b.face_width)
    union = np.maximum(a.alpha, b.alpha)
    union = refine_alpha(union, image)
    union = fill_holes(union, image, scale)
    da = _skeleton_distance(a.pose, union.shape)
    db = _skeleton_distance(b.pose, union.shape)
    # Faces are their owner's above all (a limb keypoint can land on the partner's face), where
    # their own mask claims them: the face region had taken a friend's sweater beside a head.
    ca = (a.alpha + 0.05) * np.exp(-((da / scale) ** 2)) * (1.0 + 20.0 * _limb_band(a, scale))
    cb = (b.alpha + 0.05) * np.exp(-((db / scale) ** 2)) * (1.0 + 20.0 * _limb_band(b, scale))
    ca *= 1.0 + 1000.0 * _face_region(a) * np.clip(2.0 * a.alpha, 0.0, 1.0)
    cb *= 1.0 + 1000.0 * _face_region(b) * np.clip(2.0 * b.alpha, 0.0, 1.0)
    own_a: np.ndarray = ca / np.maximum(ca + cb, 1e-12)
    # Ownership is nearly binary: a pixel half-owned by both shows as a ghost once they move.
    own_a = np.clip((own_a - 0.5) * 20.0 + 0.5, 0.0, 1.0)
    own_a = cv2.GaussianBlur(own_a.astype(np.float32), (0, 0), 1.0)
    own_a = _rims_follow_solid(own_a, union, RIM * scale)
    alpha_a = (union * own_a).astype(np.float32)
    alpha_b = (union * (1 - own_a)).astype(np.float32)
    pa = _drop_hijacked(a.pose, alpha_a, alpha_b)
    pb = _drop_hijacked(b.pose, alpha_b, alpha_a)
    # Where a person's own mask goes on under the partner, inside the outline of what is seen
    # of them, their body is hidden there (masks also claim the partner's limbs beyond it).
    # And only where a body can be: closing also bridges the gap between a raised arm and the
    # torso, and a fill there showed as a grey blob on the wall once the partner moved.
    hid_a = np.minimum(_hard(a.alpha), alpha_b) * _closed(alpha_a, a.face_width)
    hid_b = np.minimum(_hard(b.alpha), alpha_a) * _closed(alpha_b, b.face_width)
    hid_a = (hid_a * hulls[0]).astype(np.float32)
    hid_b = (hid_b * hulls[1]).astype(np.float32)
    return (
        Person(a.box, a.face, pa, alpha_a, a.frontal, a.photo_index, a.score, hid_a),
        Person(b.box, b.face, pb, alpha_b, b.frontal, b.photo_index, b.score, hid_b),
    )


RIM = 0.3
"""Soft edge pixels this close (face widths) to a solid one go with its owner."""


def _rims_follow_solid(own: np.ndarray, union: np.ndarray, reach: float) -> np.ndarray:
    """``own`` (the first person's share of each pixel) with the soft rim around the people
    given to the owner of the nearest solid pixel, up to ``reach`` px from it.

    A rim pixel is a mix of the background and whoever is solid beside it. Split by skeleton
    distance, the rim of one man's head went to his friend, whose torso line ran close behind
    it: a faint arc of scalp in the friend's layer, left hanging in the air (bright, once
    unmixed) when the head leaned in."""
    x0, y0, x1, y1 = _box(union > 0.02)
    if x1 <= x0 or y1 <= y0:
        return own
    u = union[y0:y1, x0:x1]
    solid = u >= SOLID_RIM
    if solid.all() or not solid.any():
        return own
    o = own[y0:y1, x0:x1]
    # Their owner, not their share: where the two meet, a share of ~0.5 would spread along
    # the rim as a faint line in both.
    nearest, dist = _at_nearest((o >= 0.5).astype(np.float32), solid)
    rim = ~solid & (dist <= max(2.0, reach))
    out = own.copy()
    out[y0:y1, x0:x1] = np.where(rim, nearest, o)
    return out


SOLID_RIM = 0.9
"""``_rims_follow_solid``: pixels of the people's mask at least this opaque are solid."""


SAME_LIMB = 0.35
"""Two forearms whose elbows and wrists are this close (in face widths) are one forearm."""


def settle_shared_limbs(a: Person, b: Person) -> tuple[Person, Person]:
    """A forearm both poses claim goes to the one whose shoulder it hangs from.

    The pose model run on one person's crop often takes the partner's arm for an arm of theirs
    (on the prom photo the boy "had" the girl's arm reaching to his lapel). Both claims give the
    arm's pixels half to each, and once the two move apart it shows twice, as a ghost. The owner
    is the one with the shorter upper arm measured in their own face widths: the thief's elbow
    is reached by a stretched upper arm across the partner's body. The other's claim is dropped.
    """
    drops: tuple[list[tuple[Joint, ...]], list[tuple[Joint, ...]]] = ([], [])
    tol = SAME_LIMB * max(a.face_width, b.face_width)
    for arm_a, arm_b in itertools.product(ARM_JOINTS.values(), repeat=2):
        claims = ((a, arm_a), (b, arm_b))
        if any(p.pose.scores[j] < Pose2D.VISIBLE for p, arm in claims for j in arm[1:3]):
            continue
        apart = max(_dist(a.pose.points[arm_a[k]], b.pose.points[arm_b[k]]) for k in (1, 2))
        if apart > tol:
            continue
        reach = [_dist(*p.pose.points[[arm[0], arm[1]]]) / p.face_width for p, arm in claims]
        thief = 0 if reach[0] > reach[1] else 1
        drops[thief].append(claims[thief][1])
    return _without(a, drops[0]), _without(b, drops[1])


def _dist(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.linalg.norm(p - q))


def _without(person: Person, arms: list[tuple[Joint, ...]]) -> Person:
    if not arms:
        return person
    scores = person.pose.scores.copy()
    for arm in arms:
        scores[list(arm[1:])] = np.minimum(scores[list(arm[1:])], 0.1)
    return replace(person, pose=Pose2D(person.pose.points.copy(), scores))


def _closed(alpha: np.ndarray, face_width: float) -> np.ndarray:
    """float32 (H, W): the solid part of a mask with gaps narrower than ~0.7 face closed.

    A partner's arm across the body cuts the mask in two; closing joins the parts again, while
    the space beside the body stays open (unlike a convex hull). The closing runs on the mask
    shrunk so that the kernel is ~15 pixels wide (a 100-pixel ellipse at full size cost ~0.3 s),
    and comes back up smoothly; its edge is a fraction of a face width either way.
    """
    k = max(3, int(round(0.7 * face_width)) | 1)
    h, w = alpha.shape
    scale = max(1.0, k / _CLOSING_KERNEL)
    small = (max(1, round(w / scale)), max(1, round(h / scale)))
    solid: np.ndarray = (alpha > 0.5).astype(np.float32)
    if scale > 1.0:
        solid = cv2.resize(solid, small, interpolation=cv2.INTER_AREA)
    ks = max(3, int(round(k / scale)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (ks, ks))
    binary = (solid > 0.5).astype(np.uint8)
    pad = ks
    padded = cv2.copyMakeBorder(binary, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    closed = cv2.morphologyEx(padded, cv2.MORPH_CLOSE, kernel)[pad:-pad, pad:-pad]
    if scale > 1.0:
        closed = cv2.resize(closed, (w, h), interpolation=cv2.INTER_LINEAR)  # uint8 0/1
    return closed.astype(np.float32)


_CLOSING_KERNEL = 15
"""Width in pixels of the closing's kernel on the shrunk mask (``_closed``)."""


def _hard(mask: np.ndarray) -> np.ndarray:
    return np.clip((mask - 0.5) * 4 + 0.5, 0.0, 1.0)


def body_goes_on_behind(
    people: tuple[Person, Person], in_front: int, hull: np.ndarray
) -> tuple[Person, Person]:
    """The person behind, hidden wherever the one in front covers where their body can be
    (``hull``, their ``body_hull``), not only where their own mask claimed it: a seated man's
    head in front of his standing friend's sweater left a hole in the sweater the shape of the
    head, with the wall showing through once the two moved."""
    front, back = people[in_front], people[1 - in_front]
    # Not under the front one's arms: an arm that reaches across may be drawn behind the
    # partner (its depth is the plan's), and a fill there would cover it at rest.
    arms = _arms(front.pose, front.face_width, front.alpha.shape)
    under = (
        front.alpha
        * hull
        * continued_silhouette(back.alpha, front.alpha, hull, 0.1 * back.face_width)
        * (1.0 - arms)
    )
    hidden = under if back.occluded is None else np.maximum(back.occluded, under)
    back = replace(back, occluded=hidden.astype(np.float32))
    return (front, back) if in_front == 0 else (back, front)


SILHOUETTE_CUT = (0.15, 0.4)
"""``continued_silhouette``: the continued outline is 0 below the first value, 1 from the second."""


def continued_silhouette(
    alpha: np.ndarray, cover: np.ndarray, where: np.ndarray, soften: float
) -> np.ndarray:
    """float32 (H, W) in [0, 1]: the person's outline continued under ``cover`` (the partner in
    front); 1 outside ``where``'s box (the hull), where it is not worked out.

    The skeleton's hull says where a body can be; under the partner, the outline seen around
    the partner's edge says where it is. Each covered pixel takes the person's own mask at the
    nearest uncovered pixel (1 where their body goes under the partner's edge, 0 where the
    background does), softened by ``soften`` px and cut at under half; an uncovered pixel (the
    partner's soft edge) takes their own mask around it. Without it a young man's hidden
    shoulder reached a hull's width past his shirt into the dark behind his friend's head, and
    the fill there, shirt blended with shadow, showed as a grey-green smudge once the friend
    leaned away; and a girl's hidden sleeve spread over the sky beside her sister's head."""
    out = np.ones(alpha.shape, np.float32)
    x0, y0, x1, y1 = _box(where > 0.02)
    if x1 <= x0 or y1 <= y0:
        return out
    covered = cover[y0:y1, x0:x1] >= 0.5
    if covered.all():
        return out
    # The mask a pixel or two out from the partner's edge: the split of the two people's soft
    # edges leaves the one behind a thin gap there.
    seen = cv2.dilate(alpha[y0:y1, x0:x1].astype(np.float32), np.ones((5, 5), np.uint8))
    nearest, _ = _at_nearest(seen, ~covered)
    nearest = cv2.GaussianBlur(nearest, (0, 0), max(1.0, soften))
    lo, hi = SILHOUETTE_CUT
    cut = np.clip((nearest - lo) / (hi - lo), 0.0, 1.0)
    out[y0:y1, x0:x1] = cut
    return out


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of ``mask``'s true pixels; empty (x1 <= x0) when there are none."""
    x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
    return x, y, x + w, y + h


def _at_nearest(values: np.ndarray, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 (H, W) each: ``values`` at each pixel's nearest ``sources`` pixel (bool (H, W),
    not all False), and the distance to it."""
    dist, labels = cv2.distanceTransformWithLabels(
        (~sources).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    # The labels number the source pixels in raster order, as boolean indexing lists them.
    return values[sources].astype(np.float32)[labels - 1], dist


def _arms(pose: Pose2D, face_width: float, shape: tuple[int, ...]) -> np.ndarray:
    """float32 (H, W) in [0, 1]: both arms, shoulder to fingertips, as capsules 1.2 face
    widths wide (a sleeve, a hand and a margin), softened only at the very edge."""
    band = np.zeros(shape[:2], np.uint8)
    width = max(3, int(round(1.2 * face_width)))
    _draw_chains(band, pose.points, ARM_JOINTS.values(), width)
    return cv2.GaussianBlur(band.astype(np.float32), (0, 0), max(1.0, width / 12))


def _draw_chains(
    canvas: np.ndarray, points: np.ndarray, chains: Iterable[Sequence[Joint]], thickness: int
) -> None:
    """Each chain of joints as lines of ``thickness`` pixels (round ends), painted with 1."""
    for chain in chains:
        for j0, j1 in itertools.pairwise(chain):
            cv2.line(canvas, _pt(points[j0]), _pt(points[j1]), 1, thickness)


HULL_CLOTHES = 0.45
"""How far (face widths) clothes and hair may reach beyond the skeleton (``body_hull``)."""


def body_hull(pose: Pose2D, face: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """float32 (H, W) in [0, 1]: where this person's body can be, from the skeleton alone: the
    torso between shoulders and hips, the arms and legs as capsules, the head, all grown by
    ``HULL_CLOTHES`` face widths and softened at the edge. Keypoints the model is unsure of
    still count (a hidden hip is where the body goes on under a partner)."""
    h, w = shape[:2]
    fw = float(face[2] - face[0])
    p = pose.points
    grow = max(2, int(round(HULL_CLOTHES * fw)))
    hull = np.zeros((h, w), np.uint8)
    torso = np.stack([p[Joint.L_SHOULDER], p[Joint.R_SHOULDER], p[Joint.R_HIP], p[Joint.L_HIP]])
    cv2.fillConvexPoly(hull, np.round(torso).astype(np.int32), 1)
    cx, cy = (face[0] + face[2]) / 2, (face[1] + face[3]) / 2
    axes = (int(0.6 * fw) + grow, int(0.8 * fw) + grow)
    cv2.ellipse(hull, (int(cx), int(cy)), axes, 0, 0, 360, 1, -1)
    # Thick lines grow every bone (and the torso's outline) by ``grow`` at once: a dilation
    # by a kernel this wide would cost ~0.3 s on a large photo.
    neck = (p[Joint.L_SHOULDER] + p[Joint.R_SHOULDER]) / 2
    chains = [
        *ARM_JOINTS.values(),
        (Joint.L_HIP, Joint.L_KNEE, Joint.L_ANKLE),
        (Joint.R_HIP, Joint.R_KNEE, Joint.R_ANKLE),
        (Joint.L_SHOULDER, Joint.R_SHOULDER, Joint.R_HIP, Joint.L_HIP, Joint.L_SHOULDER),
    ]
    _draw_chains(hull, p, chains, 2 * grow + 1)
    cv2.line(hull, (int(cx), int(cy)), _pt(neck), 1, 2 * grow + 1)
    return cv2.GaussianBlur(hull.astype(np.float32), (0, 0), max(1.0, grow / 4))


def _limb_band(person: Person, face_width: float) -> np.ndarray:
    """float32 (H, W): 1 along the person's clearly seen forearms and hands, fading out.

    A hand in front of the partner's body belongs to its arm, whatever the masks say (the
    partner's mask often claims it: the prototype saw a girl's hand glued to a boy's chest).
    """
    h, w = person.alpha.shape
    band = np.zeros((h, w), np.uint8)
    p, s = person.pose.points, person.pose.scores
    width = max(2, int(round(0.3 * face_width)))
    for el, wr, hd in (
        (Joint.L_ELBOW, Joint.L_WRIST, Joint.L_HAND),
        (Joint.R_ELBOW, Joint.R_WRIST, Joint.R_HAND),
    ):
        if s[el] < 0.6 or s[wr] < 0.6:
            continue
        tip = p[hd] + (p[hd] - p[wr]) * 0.6 if s[hd] >= 0.5 else p[wr]
        for a, b in ((p[el], p[wr]), (p[wr], tip)):
            cv2.line(band, _pt(a), _pt(b), 1, width)
    return cv2.GaussianBlur(band.astype(np.float32), (0, 0), max(1.0, width / 4))


def _face_region(person: Person) -> np.ndarray:
    """float32 (H, W): 1 on an ellipse around the face box, on the skull above it and on the ears.

    The skull's "above" is away from the nose, seen from between the eyes: a man looking
    down at his feet has his bald crown beside his face, and a partner's hand held near it
    took the crown along (two heads, once the hand moved).
    """
    out = np.zeros(person.alpha.shape, np.uint8)
    x0, y0, x1, y1 = person.face
    fw = float(x1 - x0)
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    axes = (max(1, int(0.55 * fw)), max(1, int(0.6 * (y1 - y0))))
    cv2.ellipse(out, _pt(centre), axes, 0, 0, 360, 1, -1)
    p, s = person.pose.points, person.pose.scores
    up = np.array([0.0, -1.0])
    base = centre
    if min(s[Joint.L_EYE], s[Joint.R_EYE], s[Joint.NOSE]) > 0.5:
        eyes = (p[Joint.L_EYE] + p[Joint.R_EYE]) / 2
        down = p[Joint.NOSE] - eyes
        if np.linalg.norm(down) > 0.05 * fw:
            up = -down / np.linalg.norm(down)
        # In profile the skull lies toward the ears, not over the face.
        if min(s[Joint.L_EAR], s[Joint.R_EAR]) > 0.5:
            base = (eyes + (p[Joint.L_EAR] + p[Joint.R_EAR]) / 2) / 2
    crown = base + up * 0.5 * fw
    angle = float(np.degrees(np.arctan2(up[1], up[0])))
    skull = (max(1, int(0.6 * fw)), max(1, int(0.65 * fw)))  # along up, across
    cv2.ellipse(out, _pt(crown), skull, angle, 0, 360, 1, -1)
    # The ears, lobes too: the back one of a man in profile stuck out past the skull, went
    # with his friend's layer and hung in the air beside his head once he leaned in.
    ear = (max(1, int(0.25 * fw)), max(1, int(0.4 * fw)))
    for j in (Joint.L_EAR, Joint.R_EAR):
        if s[j] > 0.5:
            cv2.ellipse(out, _pt(p[j] + [0.0, 0.1 * fw]), ear, 0, 0, 360, 1, -1)
    return out.astype(np.float32)


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def refine_alpha(alpha: np.ndarray, image: np.ndarray) -> np.ndarray:
    """Snap a coarse model mask to the photo's edges (guided filter, He et al. 2010)."""
    h, w = alpha.shape
    r = max(2, round(max(h, w) / 250))
    guide = image.astype(np.float32) / 255.0
    out = cv2.ximgproc.guidedFilter(guide, alpha.astype(np.float32), r, 1e-3)
    out = np.clip((out - 0.5) * 1.6 + 0.5, 0.0, 1.0)
    return out.astype(np.float32)


HOLE_AREA = 1.0
"""Holes in the people's mask up to this many face widths squared may be filled (``fill_holes``)."""
HOLE_COLOUR = 30.0
"""... when their mean colour is within this many RGB levels of the person around them."""


def fill_holes(alpha: np.ndarray, image: np.ndarray, face_width: float) -> np.ndarray:
    """The mask with small enclosed holes that look like the person around them filled.

    Segmentation drops shadowed cloth (the dark fold between crossed legs, a sleeve in shade)
    inside a body, and a hole in a layer travels with the person as a window onto whatever is
    behind, while the photo's pixels in it stay behind as a ghost. A hole is filled when it is
    enclosed by the mask, small (``HOLE_AREA``) and close in colour to the person's pixels
    around it (``HOLE_COLOUR``); the gap between an arm on the hip and the body shows the wall,
    which differs, and stays open.
    """
    solid = (alpha > 0.5).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(1 - solid, connectivity=4)
    h, w = solid.shape
    k = max(3, int(round(0.15 * face_width)) | 1)
    out = alpha
    for i in range(1, n):
        x, y, bw, bh, area = (int(v) for v in stats[i])
        if x == 0 or y == 0 or x + bw == w or y + bh == h or area > HOLE_AREA * face_width**2:
            continue
        # Worked out in the hole's box, grown by the ring's width.
        x0, y0, x1, y1 = max(0, x - k), max(0, y - k), min(w, x + bw + k), min(h, y + bh + k)
        hole = (labels[y0:y1, x0:x1] == i).astype(np.uint8)
        ring = (cv2.dilate(hole, np.ones((k, k), np.uint8)) > 0) & (solid[y0:y1, x0:x1] > 0)
        if not ring.any():
            continue
        crop = image[y0:y1, x0:x1].astype(np.float32)
        gap = np.linalg.norm(crop[hole > 0].mean(axis=0) - crop[ring].mean(axis=0))
        if gap > HOLE_COLOUR:
            continue
        if out is alpha:
            out = alpha.copy()
        # The hole and the soft rim around it: left at 0.6-0.9, the rim was a thin crack in
        # the mask, which showed as an outline where a partner's head had been.
        r = max(1, k // 3)
        near = cv2.dilate(hole, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2))
        fill = (near > 0) & ((hole > 0) | (solid[y0:y1, x0:x1] > 0))
        out[y0:y1, x0:x1] = np.maximum(out[y0:y1, x0:x1], fill.astype(np.float32))
    return out


def _skeleton_distance(pose: Pose2D, shape: tuple[int, ...]) -> np.ndarray:
    canvas = np.full(shape[:2], 255, np.uint8)
    for j0, j1 in _SKELETON:
        if pose.scores[j0] >= 0.3 and pose.scores[j1] >= 0.3:
            p0 = tuple(int(v) for v in pose.points[j0])
            p1 = tuple(int(v) for v in pose.points[j1])
            cv2.line(canvas, p0, p1, 0, 3)
    return cv2.distanceTransform(canvas, cv2.DIST_L2, 3).astype(np.float32)


def _drop_hijacked(pose: Pose2D, own: np.ndarray, other: np.ndarray) -> Pose2D:
    h, w = own.shape
    scores = pose.scores.copy()
    for j in (
        Joint.L_ELBOW,
        Joint.R_ELBOW,
        Joint.L_WRIST,
        Joint.R_WRIST,
        Joint.L_HAND,
        Joint.R_HAND,
    ):
        x, y = (int(round(v)) for v in pose.points[j])
        if not (0 <= x < w and 0 <= y < h):
            scores[j] = min(scores[j], 0.2)
            continue
        if other[y, x] > 0.5 and own[y, x] < 0.5:
            scores[j] = min(scores[j], 0.1)
    # A hand hangs from its forearm: a hidden wrist means a hidden hand.
    for wr, hd, el in (
        (Joint.L_WRIST, Joint.L_HAND, Joint.L_ELBOW),
        (Joint.R_WRIST, Joint.R_HAND, Joint.R_ELBOW),
    ):
        if scores[el] < Pose2D.VISIBLE:
            scores[wr] = min(scores[wr], scores[el])
        scores[hd] = min(scores[hd], scores[wr])
    return Pose2D(pose.points.copy(), scores)
