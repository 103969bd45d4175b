"""Build the scene: the canvas, a filled background, and one clean layer per person.

Single photo: the canvas is the photo. Two photos: each person is cut out of their own photo,
scaled to a common size, colour-matched to the first photo's light and placed side by side on
the first photo's filled, softly blurred background.

A person layer's colours are "unmixed" from the background at soft edges (I = αF + (1-α)B,
solved for F with B the filled background), so that compositing the layers at rest over the
filled background gives back the photo: frame 0 is the photo as taken.
"""

from __future__ import annotations

import cv2
import numpy as np

from hugai.config import HugConfig
from hugai.scene.fill import directional_fill, push_pull
from hugai.types import MAX_UPSCALE, Layer, Perception, Person, Photo, Scene


def build_scene(perception: Perception, config: HugConfig) -> Scene:
    if len(perception.photos) == 1:
        return _single_photo_scene(perception, config)
    return _two_photo_scene(perception, config)


# --- single photo -------------------------------------------------------------------------


def _single_photo_scene(perception: Perception, config: HugConfig) -> Scene:
    photo = perception.photos[0].image
    a, b = perception.people
    union = np.maximum(a.alpha, b.alpha)
    background = fill_background(photo, union, max(a.face_width, b.face_width))
    behind = fill_behind_edges(photo, union)
    layers = _layers(photo, behind, (a, b), union, perception.in_front)
    # Frame 0 is the photo: the layers' (edge-snapped) alpha over the photo, filled under it.
    seen = np.maximum(layers[0].visible, layers[1].visible)
    return Scene(
        photo=photo,
        background=background,
        layers=layers,
        crop=frame_crop(photo.shape, layers, config),
        in_front=perception.in_front,
        blurred=depth_of_field(background, max(a.face_width, b.face_width)),
        rest_background=np.where((seen > 0.02)[..., None], behind, photo).astype(np.uint8),
    )


def _layers(
    photo: np.ndarray,
    behind: np.ndarray,
    people: tuple[Person, Person],
    union: np.ndarray,
    in_front: int | None,
) -> tuple[Layer, Layer]:
    """Both people's layers. Where one stands in front of the other, the front one's soft
    edges are unmixed from what is drawn behind them at rest, next to where the back one is
    seen: the back one's layer (their body filled on under the front one) over the
    background. Unmixed from the background alone, a head against a light sweater came out
    too light at its edge, and frame 0 showed a pale rim around it."""
    if in_front is None:
        return (
            person_layer(photo, behind, people[0], union),
            person_layer(photo, behind, people[1], union),
        )
    back = person_layer(photo, behind, people[1 - in_front], union)
    front_person = people[in_front]
    # Only next to where the back one is seen: their fill further under the front one is a
    # guess (it may reach out under an arm held against the railing), the background a
    # better one there. Worked out only where the front one's layer reads it.
    r = max(3, int(round(0.15 * people[1 - in_front].face_width)))
    drawn = front_person.alpha > 0.0
    if front_person.occluded is not None:
        drawn |= front_person.occluded > 0.0
    x0, y0, x1, y1 = _box_of(drawn, LAYER_MARGIN + 2 * r)
    seen = (back.visible[y0:y1, x0:x1] > 0.5).astype(np.float32)
    # 1 within about r of their seen pixels, fading out by ~2r (one blur, no dilation).
    near = np.minimum(cv2.GaussianBlur(seen, (0, 0), r) * 4.0, 1.0)
    a = back.alpha[y0:y1, x0:x1] * near
    under = behind.copy()
    fg, bg = back.rgb[y0:y1, x0:x1], behind[y0:y1, x0:x1]
    mixed = cv2.blendLinear(fg.astype(np.float32), bg.astype(np.float32), a, 1.0 - a)
    under[y0:y1, x0:x1] = cv2.convertScaleAbs(mixed)
    front = person_layer(photo, under, front_person, union)
    return (front, back) if in_front == 0 else (back, front)


def fill_background(photo: np.ndarray, people: np.ndarray, face_width: float) -> np.ndarray:
    """The photo with the people removed: a margin around them is filled, continuing straight
    edges across (``directional_fill``) and by push-pull elsewhere."""
    r = max(3, int(round(face_width * 0.12)))
    hard = (people > 0.02).astype(np.uint8)
    grown = cv2.dilate(hard, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    known = 1.0 - cv2.GaussianBlur(grown.astype(np.float32), (0, 0), r / 3)
    known = np.where(grown > 0, 0.0, known).astype(np.float32)
    filled = push_pull(photo, known)
    # Straight edges (railings, floor boards, frames) continue across the hole where the
    # background around it has them; push-pull's smooth blend fills the rest.
    lines, weight = directional_fill(photo, grown)
    filled = cv2.convertScaleAbs(
        cv2.blendLinear(lines, filled.astype(np.float32), weight, 1 - weight)
    )
    # Soften the filled area a little more: it is the least convincing part of the picture.
    soft = cv2.GaussianBlur(filled, (0, 0), max(1.0, face_width * 0.05))
    m = cv2.GaussianBlur(grown.astype(np.float32), (0, 0), r / 2)[..., None]
    return np.clip(filled * (1 - m) + soft * m + 0.5, 0, 255).astype(np.uint8)


def fill_behind_edges(photo: np.ndarray, people: np.ndarray) -> np.ndarray:
    """What is most likely right behind the people's soft edges: the nearest background colours.

    Used to unmix edge colours (and behind the people at frame 0), never shown once they move:
    it is filled from right up to the mask, so it is accurate at the edge and smeary inside.
    """
    known = (people <= 0.02).astype(np.float32)
    return push_pull(photo, known)


def depth_of_field(background: np.ndarray, face_width: float) -> np.ndarray:
    """A lens blur of the background, shown progressively as the camera pushes in."""
    sigma = max(1.5, face_width * 0.06)
    k = int(sigma // 4)
    if k < 2:
        return cv2.GaussianBlur(background, (0, 0), sigma)
    # A wide blur costs a full-size Gaussian ~0.1 s on a 2-megapixel canvas: done k× smaller
    # (area down, bilinear up add ~k²/4 of variance to sigma², under 5 % of it here).
    h, w = background.shape[:2]
    small = cv2.resize(background, (max(1, w // k), max(1, h // k)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / k)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def person_layer(
    photo: np.ndarray, background: np.ndarray, person: Person, people: np.ndarray | None = None
) -> Layer:
    """The person's colours (unmixed, and filled under the partner) and alpha on the canvas.

    background: what lies behind the person's soft edges (see ``fill_behind_edges``).
    people: both people's alpha (default: this person's); their soft edges against the
        background are snapped to the colours (``snap_to_colours``), not those between the two.
    """
    hidden = person.occluded if person.occluded is not None else np.zeros_like(person.alpha)
    # The colours matter only where the person may be drawn (their alpha, a texture lookup's
    # reach around it): worked out in that box, the border repeated beyond it. On a 1600-pixel
    # photo of two people this is ~3x less work than the whole canvas.
    x0, y0, x1, y1 = _box_of((person.alpha > 0.0) | (hidden > 0.0), LAYER_MARGIN)
    img = photo[y0:y1, x0:x1].astype(np.float32)
    bg = background[y0:y1, x0:x1].astype(np.float32)
    edge = (person.alpha if people is None else people)[y0:y1, x0:x1] < SOLID
    vis = person.alpha.copy()
    vis[y0:y1, x0:x1] = snap_to_colours(img, vis[y0:y1, x0:x1], bg, edge)
    vis[y0:y1, x0:x1] = explained_alpha(img, vis[y0:y1, x0:x1], bg)
    # Seen plus hidden: where the partner's soft edge covers a share f of a pixel, the person
    # is seen in 1 - f of it and goes on under f. Their maximum dipped to ~0.5 along that edge:
    # a crack in the layer, which showed as an outline where the partner's head had been.
    alpha = np.minimum(vis + hidden, 1.0).astype(np.float32)
    a = vis[y0:y1, x0:x1, None]
    fg = (img - (1.0 - a) * bg) / np.maximum(a, 1e-3)
    fg = np.clip(fg, 0, 255)
    # Trust the unmixed colour where the person is solid enough; fill the rest (outside the
    # silhouette and under the partner) from the person's own solid pixels.
    known = ((vis[y0:y1, x0:x1] > UNMIX_FROM) & (hidden[y0:y1, x0:x1] < 0.2)).astype(np.float32)
    inside = np.clip(push_pull(fg, known) + 0.5, 0, 255).astype(np.uint8)
    h, w = vis.shape
    rgb = cv2.copyMakeBorder(inside, y0, h - y1, x0, w - x1, cv2.BORDER_REPLICATE)
    return Layer(
        rgb=rgb,
        alpha=alpha,
        pose=person.pose,
        face=person.face.copy(),
        visible=vis.astype(np.float32),
    )


def explained_alpha(image: np.ndarray, alpha: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``alpha`` raised, where it is over ``UNMIX_FROM``, to the least value at which the
    pixel is a mix of the background and a colour in range: I = αF + (1 - α)B, F in [0, 255].

    A mask too soft inside a body (a shadowed pocket, the fold of a sleeve) leaves a colour
    that the background cannot explain at that alpha: the unmixed colour left the range and
    was clipped, and frame 0 showed a grey smear where the photo has a bright pocket.
    image, background: float32 (H, W, 3); alpha: float32 (H, W).
    """
    # OpenCV's arithmetic: numpy's temporaries and channel reduction cost ~40 ms a layer.
    # (A plain number as a second operand would be a Scalar: its other channels 0.)
    up = cv2.divide(cv2.subtract(image, background), np.maximum(255.0 - background, 1e-3))
    down = cv2.divide(cv2.subtract(background, image), np.maximum(background, 1e-3))
    c = cv2.split(cv2.max(up, down))
    least = cv2.max(cv2.max(c[0], c[1]), c[2])
    raised = np.minimum(np.maximum(alpha, least), 1.0)
    return np.where(alpha > UNMIX_FROM, raised, alpha).astype(np.float32)


UNMIX_FROM = 0.1
"""Alpha above which a pixel's colour is unmixed from the background. Below it the colour is
filled from the person's own, which at rest moves the pixel by at most this share of the
difference."""


LAYER_MARGIN = 16
"""Pixels kept around a person's alpha when their colours are filled (``person_layer``)."""

SOLID = 0.99
"""Alpha from which a pixel is the person's alone (no background mixed in)."""
SURE_CONTRAST = (30.0, 70.0)
"""Person and background colours this far apart (RGB levels) make a pixel's colour say nothing
(first) or all (second) about how much of it is the person."""


def snap_to_colours(
    image: np.ndarray, alpha: np.ndarray, background: np.ndarray, edge: np.ndarray
) -> np.ndarray:
    """The segmentation's alpha, lowered on soft edges where the colour says it is background.

    A segmentation model's mask is coarse: around hair and shoulders it gives a band of pixels
    half-person that are in fact the wall behind, and unmixing cannot take the wall out of them
    (it trusts the alpha), so once the person is over another background they wear a pale or
    coloured rim. Each edge pixel's colour I is projected on the line from the background's
    colour B (``fill_behind_edges``) to the person's nearby solid colour F (``push_pull`` from
    the solid inside): ((I - B)·(F - B)) / |F - B|², Porter–Duff's model read backwards, the
    colour-line estimate of closed-form matting without its smoothness. Only lowers alpha, only
    on ``edge`` pixels (bool) of the soft band, and only as much as F and B differ
    (``SURE_CONTRAST``): a white shirt against a white wall keeps the model's alpha.

    image, background: float32 (H, W, 3); alpha: float32 (H, W). Returns a new float32 alpha.
    """
    band = (alpha > 0.01) & (alpha < SOLID)
    band = cv2.dilate(band.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & edge
    if not band.any():
        return alpha.astype(np.float32)
    solid = cv2.erode((alpha >= SOLID).astype(np.uint8), np.ones((5, 5), np.uint8))
    if not solid.any():
        return alpha.astype(np.float32)
    at = np.nonzero(band)  # a thin ring: only its pixels are worked out
    b = background[at]
    d = push_pull(image, solid.astype(np.float32))[at] - b
    contrast = np.sqrt(np.einsum("ij,ij->i", d, d))
    along = np.einsum("ij,ij->i", image[at] - b, d) / np.maximum(contrast * contrast, 1e-6)
    lo, hi = SURE_CONTRAST
    sure = np.clip((contrast - lo) / (hi - lo), 0.0, 1.0)
    a = alpha[at]
    out = alpha.astype(np.float32)  # a copy
    out[at] = a * (1.0 - sure) + np.minimum(a, np.clip(along, 0.0, 1.0)) * sure
    return out


def _box_of(mask: np.ndarray, margin: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the box of ``mask``'s true pixels grown by ``margin``, clipped to it
    (the whole image when nothing is set)."""
    h, w = mask.shape
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return 0, 0, w, h
    return (
        max(0, int(cols[0]) - margin),
        max(0, int(rows[0]) - margin),
        min(w, int(cols[-1]) + 1 + margin),
        min(h, int(rows[-1]) + 1 + margin),
    )


def frame_crop(
    shape: tuple[int, ...],
    layers: tuple[Layer, Layer],
    config: HugConfig,
    floor: float | None = None,
    min_height: float = 0.0,
) -> np.ndarray:
    """The largest crop of the canvas with the output's aspect, centred on the two people, the
    top of the higher face ``FACE_TOP`` down it.

    floor (see ``Scene.floor``): the crop ends there, and is made smaller so that it still
    frames the faces that way: a two-shot of heads and shoulders. It stays wide enough for
    both faces with ``FACES_MARGIN`` and at least ``min_height`` tall, leaving more room above
    them where it must (and showing below the floor where even that is not enough).
    """
    h, w = shape[:2]
    ow, oh = config.output_size(w, h)
    ratio = ow / oh
    cw, ch = (w, w / ratio) if w / h < ratio else (h * ratio, h)
    faces = np.stack([ly.face for ly in layers])
    cx = float((faces[:, 0].min() + faces[:, 2].max()) / 2)
    cy_face = float(faces[:, 1].min())
    y0 = cy_face - FACE_TOP * ch
    if floor is not None and y0 + ch > floor:
        span = float(faces[:, 2].max() - faces[:, 0].min()) * FACES_MARGIN
        ch = min(ch, max((floor - cy_face) / (1 - FACE_TOP), span / ratio, min_height))
        cw = ch * ratio
        y0 = floor - ch  # wide enough for both faces: more room above them, not below the floor
    x0 = float(np.clip(cx - cw / 2, 0, w - cw))
    y0 = float(np.clip(y0, 0, h - ch))
    return np.array([x0, y0, x0 + cw, y0 + ch], np.float32)


FACE_TOP = 0.25
"""The frame at rest: the top of the higher face this share of the frame's height down it."""
FACES_MARGIN = 1.3
"""A frame is at least this many times as wide as the two faces' span."""


# --- two photos ---------------------------------------------------------------------------


def _two_photo_scene(perception: Perception, config: HugConfig) -> Scene:
    """Cut each person out of their own photo and stand them side by side on photo 1's ground."""
    photos = perception.photos
    people = perception.people
    p0 = photos[0].image
    rows = min(1080, p0.shape[0])
    # A close-up (a selfie, a head-and-shoulders portrait) ends at its photo's bottom edge well
    # above the canvas's bottom. Its body is continued down (``_continue_down``) only so that
    # nothing ends in mid-air when it moves; the frame stops where the shortest such photo ends,
    # a two-shot of what the photos show, and the canvas is made taller (the layout scales
    # with it) so that the frame still has ``rows`` rows (up to a 1440-row canvas). The frame
    # is never so tight that a face shows at more than MAX_UPSCALE times its photo's size: a
    # small face (a full-body snapshot) keeps a wider frame, even if it shows below the floor.
    unit = [_fit_scale(p, ph, FACE_SIZE, FACE_Y, 1) for p, ph in zip(people, photos, strict=True)]
    reach = min(
        [1.0] + [_bottom_reach(p, ph, u) for p, ph, u in zip(people, photos, unit, strict=True)]
    )
    reach = max(reach, MIN_REACH)
    out_w, out_h = config.output_size(16 * 120, 9 * 120)  # the canvas is 16:9
    least = max(unit) * out_h / MAX_UPSCALE  # shares of the canvas height, as below
    fit = min(reach, (reach - FACE_Y + FACE_SIZE / 2) / (1 - FACE_TOP))  # faces' boxes are square
    share = min(1.0, max(least, fit))  # the frame's, at rest (``frame_crop``)
    hc = min(int(round(rows / share)), max(rows, min(2 * rows, 1440)))
    floor = reach * hc if reach < 1.0 else None
    wc = int(round(hc * 16 / 9))
    fw_target = FACE_SIZE * hc
    face_y = FACE_Y * hc

    bg0 = fill_background(p0, people[0].alpha, people[0].face_width)
    canvas_bg = _cover(bg0, wc, hc)
    blurred = depth_of_field(canvas_bg, fw_target * 2.0)
    # A composite should not pretend the two stood in one room: blur the ground from the start.
    base = cv2.GaussianBlur(canvas_bg, (0, 0), max(1.0, fw_target * 0.05))

    # Face centres this many face widths from the middle at rest; closer in a tall, narrow frame
    # (9:16, 3:4) so that a frame the canvas's height still shows both faces whole.
    apart = float(np.clip((out_w / out_h / FACE_SIZE / FACES_MARGIN - 1) / 2, 0.9, APART))
    layers = []
    scales = []
    for i, (photo, person) in enumerate(zip(photos, people, strict=True)):
        layer = person_layer(photo.image, fill_behind_edges(photo.image, person.alpha), person)
        rgb = layer.rgb if i == 0 else match_light(layer.rgb, layer.visible, photo, photos[0])
        s = _fit_scale(person, photo, fw_target, face_y, hc)
        fx, fy = (float(v) for v in person.face_center)
        target_x = wc / 2 + (-1 if i == 0 else 1) * apart * fw_target
        m = np.array([[s, 0, target_x - s * fx], [0, s, face_y - s * fy]], np.float32)
        cut = _cut_at_bottom(person)
        layers.append(_warp_layer(layer, rgb, m, (wc, hc), continue_down=cut))
        scales.append(s)

    # "over", left then right, on uint8 with OpenCV's SIMD blend (float32 whole-canvas
    # arithmetic cost ~0.3 s on a 2-megapixel canvas).
    photo_u8 = base
    for ly in layers:
        photo_u8 = cv2.blendLinear(ly.rgb, photo_u8, ly.alpha, 1.0 - ly.alpha)
    pair = (layers[0], layers[1])
    return Scene(
        photo=photo_u8,
        background=base,
        layers=pair,
        crop=frame_crop(photo_u8.shape, pair, config, floor, least * hc),
        notes=("two photos: people scaled to one size and placed side by side",),
        in_front=None,
        blurred=blurred,
        floor=floor,
        source_scale=(scales[0], scales[1]),
    )


FACE_SIZE = 0.13
"""Two photos: each face's width on the canvas, a share of its height."""
FACE_Y = 0.36
"""Two photos: the faces' centres this far down the canvas."""
APART = 1.8
"""Two photos: each face centre this many face widths from the middle at rest."""
FADE = 1.5
"""Two photos: a body continued below its photo fades out over this many face widths."""
MIN_REACH = 0.55
"""Two photos: the frame ends no higher than this share of the canvas (the heads and a little
of the shoulders), however tight the close-up."""


def _cut_at_bottom(person: Person) -> bool:
    return float(person.alpha[-3:].max()) > 0.5


def _bottom_reach(person: Person, photo: Photo, unit_scale: float) -> float:
    """Where a person cut off by their photo's bottom edge ends on the canvas, as a share of its
    height (at least 1.0 when they reach its bottom; inf when their photo shows all of them).
    unit_scale: their ``_fit_scale`` on a canvas 1 high."""
    if not _cut_at_bottom(person):
        return float("inf")
    return FACE_Y + unit_scale * (photo.image.shape[0] - float(person.face_center[1]))


def _fit_scale(person: Person, photo: Photo, fw_target: float, face_y: float, hc: int) -> float:
    """Common face size; a person cut off at their photo's bottom must reach the canvas bottom."""
    s = fw_target / max(person.face_width, 1.0)
    h = photo.image.shape[0]
    if _cut_at_bottom(person):
        below = h - float(person.face_center[1])
        s = max(s, (hc - face_y) / max(below, 1.0))
    return min(s, 1.25 * fw_target / max(person.face_width, 1.0))


def _cover(image: np.ndarray, w: int, h: int) -> np.ndarray:
    ih, iw = image.shape[:2]
    s = max(w / iw, h / ih)
    big = cv2.resize(
        image, (int(np.ceil(iw * s)), int(np.ceil(ih * s))), interpolation=cv2.INTER_AREA
    )
    y0 = (big.shape[0] - h) // 2
    x0 = (big.shape[1] - w) // 2
    return np.ascontiguousarray(big[y0 : y0 + h, x0 : x0 + w])


def _warp_layer(
    layer: Layer, rgb: np.ndarray, m: np.ndarray, size: tuple[int, int], continue_down: bool
) -> Layer:
    """The layer moved onto the canvas. A body cut off by its photo's bottom edge goes on down
    (``_continue_down``) rather than ending in a hard line, and fades out over ``FADE`` face
    widths: shown only where a frame must reach below the photo (a tall, narrow frame; a small
    partner's face), where a body continued further reads as a flat slab."""
    h = layer.alpha.shape[0]
    fade = max(1.0, FADE * float(layer.face[2] - layer.face[0]))
    ramp = np.clip(1.0 - (np.arange(h, dtype=np.float32) + 0.5) / fade, 0.0, 1.0)

    def warp(a: np.ndarray) -> np.ndarray:
        if continue_down:
            a = _continue_down(a, h)
            a[h:] *= ramp[:, None]
        return cv2.warpAffine(a, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)

    s = float(m[0, 0])
    off = (float(m[0, 2]), float(m[1, 2]))
    face = layer.face * s + np.array([off[0], off[1], off[0], off[1]], np.float32)
    return Layer(
        rgb=cv2.warpAffine(
            _continue_down(rgb, h, layer.alpha) if continue_down else rgb,
            m,
            size,
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        ),
        alpha=warp(layer.alpha),
        pose=layer.pose.transformed(s, off),
        face=face.astype(np.float32),
        visible=warp(layer.visible),
    )


def _continue_down(image: np.ndarray, rows: int, weight: np.ndarray | None = None) -> np.ndarray:
    """``image`` with ``rows`` more rows below, continuing its bottom edge without stripes.

    Each column's median over the last rows, then a median and a Gaussian sideways (weighted by
    ``weight``, the person's alpha, so the background beside the body does not bleed into its
    sides): a button or badge cut by the edge does not run down as a stripe, only cloth and
    its broad shading do. The first rows below the edge blend from the edge itself into it.
    """
    h, w = image.shape[:2]
    band = max(1, min(h, int(round(0.1 * h))))
    tail = image[-band:].astype(np.float32).reshape(band, w, -1)
    base = np.median(tail, axis=0)  # (W, C)
    k = max(1, int(0.06 * w)) * 2 + 1
    padded = np.pad(base, ((k // 2, k // 2), (0, 0)), mode="edge")
    base = np.median(np.lib.stride_tricks.sliding_window_view(padded, k, axis=0), axis=-1)
    sigma = max(2.0, 0.02 * w)

    def sideways(a: np.ndarray) -> np.ndarray:
        return np.asarray(cv2.GaussianBlur(a[None], (0, 0), sigmaX=sigma, sigmaY=0.1)[0])

    if weight is None:
        smooth = sideways(base).reshape(w, -1)
    else:
        wt = np.median(weight[-band:].astype(np.float32).reshape(band, w), axis=0)
        num = sideways(base * wt[:, None]).reshape(w, -1)
        den = sideways(wt).reshape(w, 1)
        smooth = np.where(den > 1e-3, num / np.maximum(den, 1e-3), base)
    ramp = max(1, int(round(0.015 * h)))
    t = np.minimum(1.0, (np.arange(rows, dtype=np.float32) + 1.0) / ramp)[:, None, None]
    ext = tail[-1][None] * (1.0 - t) + smooth[None] * t
    if np.issubdtype(image.dtype, np.integer):
        ext = np.clip(ext + 0.5, 0, np.iinfo(image.dtype).max)
    out = ext.astype(image.dtype).reshape(rows, *image.shape[1:])
    return np.ascontiguousarray(np.concatenate([image, out], axis=0))


def _lab_stats(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of a photo's Lab channels, from every 4th pixel of every 4th
    row (a sample, not a blur: a blur would lower the spread of fine texture)."""
    lab = cv2.cvtColor(np.ascontiguousarray(image[::4, ::4]), cv2.COLOR_RGB2LAB)
    mean, std = cv2.meanStdDev(lab)
    return mean.ravel().astype(np.float32), std.ravel().astype(np.float32) + 1e-3


def match_light(rgb: np.ndarray, alpha: np.ndarray, source: Photo, target: Photo) -> np.ndarray:
    """Move the person's colours halfway from their photo's light toward the target photo's.

    Reinhard et al. 2001 colour transfer in Lab, on whole-photo statistics (so skin keeps its own
    tone relative to its surroundings), at half strength to avoid over-correcting.
    """
    ms, ss = _lab_stats(source.image)
    md, sd = _lab_stats(target.image)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    moved = (lab - ms) * (sd / ss) + md
    out = 0.5 * lab + 0.5 * moved
    return cv2.cvtColor(np.clip(out, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)
