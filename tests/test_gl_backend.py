"""The OpenGL renderer draws the same picture as the numpy one, and falls back cleanly without GL.

Unit tests use hand-made scenes (2-triangle squares with known textures); the last test renders
a real photo through the real pipeline. Everything that needs a GL context skips, with the
reason, where EGL/Mesa is missing.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from realphotos import photo

from hugai.errors import RenderError
from hugai.render import make_renderer
from hugai.render.gl_backend import GLRenderer
from hugai.render.numpy_backend import NumpyRenderer
from hugai.types import N_BONES, N_JOINTS, Bone, Motion, Rig, Scene

CANVAS = (96, 72)  # (w, h)
OUTPUT = (150, 112)


def _texture(square: tuple[float, float, float], seed: int) -> np.ndarray:
    """RGBA uint8 on the canvas: colour ramps and sharp stripes; opaque inside the square, fading
    out towards its edges (the mesh reaches beyond the silhouette, as real rigs do)."""
    w, h = CANVAS
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    rgba = np.zeros((h, w, 4), np.uint8)
    rgba[..., 0] = (40 + 200 * xx / w).astype(np.uint8)
    rgba[..., 1] = (30 + 180 * yy / h).astype(np.uint8)
    rgba[..., 2] = np.where((xx.astype(int) // 4 + seed) % 2 == 0, 230, 20)
    sx, sy, side = square
    inset = np.minimum.reduce([xx - sx, yy - sy, sx + side - xx, sy + side - yy])
    rgba[..., 3] = (255 * np.clip((inset - 2.0) / 6.0, 0.0, 1.0)).astype(np.uint8)
    return rgba


def _square_rig(x0: float, y0: float, side: float, arm: bool, seed: int) -> Rig:
    """A body square of two triangles, and optionally an "arm" square (its own part) over it.

    Left vertices follow the TORSO, right ones the HEAD, so the two triangles of a square get
    different depths when those bones' depths differ.
    """
    squares = [(x0, y0, side)] + ([(x0 + 0.45 * side, y0 + 0.3 * side, 0.5 * side)] if arm else [])
    verts: list[tuple[float, float]] = []
    tris: list[tuple[int, int, int]] = []
    parts: list[int] = []
    weights: list[np.ndarray] = []
    for part, (sx, sy, s) in enumerate(squares):
        base = len(verts)
        verts += [(sx, sy), (sx + s, sy), (sx + s, sy + s), (sx, sy + s)]
        tris += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
        parts += [part, part]
        for bone in (Bone.TORSO, Bone.HEAD, Bone.HEAD, Bone.TORSO):
            row = np.zeros(N_BONES, np.float32)
            row[bone] = 1.0
            weights.append(row)
    textures = np.stack([_texture(sq, seed + p) for p, sq in enumerate(squares)])
    return Rig(
        joints=np.zeros((N_JOINTS, 2), np.float32),
        vertices=np.asarray(verts, np.float32),
        triangles=np.asarray(tris, np.int32),
        tri_part=np.asarray(parts, np.int8),
        weights=np.asarray(weights, np.float32),
        textures=textures,
        arm_free=(arm, False),
        arm_why=("test", "test"),
        face=np.array([x0, y0, x0 + 0.3 * side, y0 + 0.3 * side], np.float32),
    )


def _scene(rest: bool = True, blurred: bool = True) -> Scene:
    w, h = CANVAS
    yy, xx = np.mgrid[0:h, 0:w]
    bg = np.stack([(xx * 255 // w), (yy * 255 // h), ((xx // 5 + yy // 5) % 2) * 200], -1)
    bg = bg.astype(np.uint8)
    soft = cv2.GaussianBlur(bg, (0, 0), 3.0)
    rest_bg = np.ascontiguousarray(bg[::-1])
    layers = ()  # the renderers never read the layers
    return Scene(
        photo=bg,
        background=bg,
        layers=layers,  # type: ignore[arg-type]
        crop=np.array([0, 0, w, h], np.float32),
        blurred=soft if blurred else None,
        rest_background=rest_bg if rest else None,
    )


def _motion(n: int = 5) -> Motion:
    """Frames that sweep reveal, blur and contact; person 1 moves over person 0 with one of its
    triangles nearer than person 0 and one farther; the camera zooms and turns slightly."""
    f = np.arange(n, dtype=np.float32) / (n - 1)
    bones = np.zeros((n, 2, N_BONES, 2, 3), np.float32)
    bones[..., 0, 0] = 1.0
    bones[..., 1, 1] = 1.0
    bones[:, 1, :, 0, 2] = -14.0 * f[:, None]  # person 1 slides left
    bones[:, 1, Bone.HEAD, 1, 2] = 3.0 * f  # its right side dips (the mesh shears)
    depth = np.zeros((n, 2, N_BONES), np.float32)
    depth[:, 1, Bone.TORSO] = 1.0  # person 1's left triangle is nearer than person 0 ...
    depth[:, 1, Bone.HEAD] = -1.0  # ... its right one farther
    camera = np.zeros((n, 2, 3), np.float32)
    for i, t in enumerate(f):
        s, a = 1.45 + 0.2 * t, 0.03 * t
        camera[i] = [
            [s * np.cos(a), -s * np.sin(a), 2.0 - 9.0 * t],
            [s * np.sin(a), s * np.cos(a), -3.0],
        ]
    return Motion(
        bones=bones,
        depth=depth,
        joints=np.zeros((n, 2, N_JOINTS, 2), np.float32),
        camera=camera,
        blur=np.clip(2 * f - 0.5, 0, 1).astype(np.float32),
        reveal=np.clip(2 * f, 0, 1).astype(np.float32),
        contact=np.clip(2 * f - 0.5, 0, 1).astype(np.float32),
        plan=("test",),
    )


def _gl(scene: Scene, rigs: tuple[Rig, Rig], size: tuple[int, int]) -> GLRenderer:
    try:
        return GLRenderer(scene, rigs, size)
    except RenderError as exc:
        pytest.skip(f"no OpenGL here: {exc}")


@pytest.fixture
def setup() -> Iterator[tuple[Scene, tuple[Rig, Rig], Motion, GLRenderer]]:
    scene = _scene()
    rigs = (_square_rig(14, 10, 40, arm=True, seed=0), _square_rig(44, 16, 38, arm=False, seed=1))
    gl = _gl(scene, rigs, OUTPUT)
    yield scene, rigs, _motion(), gl
    gl.close()


def _diff(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean absolute difference per pixel and channel, and the 99th percentile per pixel."""
    d = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return float(d.mean()), float(np.percentile(d.max(axis=-1), 99))


def test_same_picture_as_numpy_on_every_frame(setup: tuple) -> None:
    scene, rigs, motion, gl = setup
    ref = NumpyRenderer(scene, rigs, OUTPUT)
    for f in range(motion.n_frames):
        got = gl.render(motion, f)
        want = ref.render(motion, f)
        assert got.shape == (OUTPUT[1], OUTPUT[0], 3) and got.dtype == np.uint8
        mean, p99 = _diff(got, want)
        assert mean <= 1.0 and p99 <= 12, (f, mean, p99)


def test_frames_in_any_order_leave_nothing_behind(setup: tuple) -> None:
    """Only the people's box of each frame is cleared, drawn and shaded: a frame after a bigger
    or shifted one (here jumping back and forth) must not show anything of it."""
    scene, rigs, motion, gl = setup
    ref = NumpyRenderer(scene, rigs, OUTPUT)
    last = motion.n_frames - 1
    for f in (last, 0, last, last // 2, last - 1, 1):
        mean, p99 = _diff(gl.render(motion, f), ref.render(motion, f))
        assert mean <= 1.0 and p99 <= 12, (f, mean, p99)


def test_each_frame_is_a_new_writable_array(setup: tuple) -> None:
    """The encoder queues frames while the next one renders: none may share memory."""
    _, _, motion, gl = setup
    first = gl.render(motion, 0)
    kept = first.copy()
    second = gl.render(motion, motion.n_frames - 1)
    assert first.flags.writeable and not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, kept)


def test_layering_and_silhouettes_land_on_the_same_pixels(setup: tuple) -> None:
    """Who is in front, the arm over its body and the people's outlines: big colour changes, so
    any misplaced pixel shows; over 8 levels off on at most a few edge pixels per frame."""
    scene, rigs, motion, gl = setup
    ref = NumpyRenderer(scene, rigs, OUTPUT)
    for f in (0, motion.n_frames - 1):
        d = np.abs(gl.render(motion, f).astype(int) - ref.render(motion, f).astype(int)).max(-1)
        assert (d > 8).sum() <= 0.002 * d.size, f


def test_contact_shadow_darkens_the_same_pixels_by_the_same_amount(setup: tuple) -> None:
    scene, rigs, motion, gl = setup
    ref = NumpyRenderer(scene, rigs, OUTPUT)
    last = motion.n_frames - 1
    no_shadow = Motion(**{**motion.__dict__, "contact": np.zeros_like(motion.contact)})
    shade_gl = gl.render(no_shadow, last).astype(int) - gl.render(motion, last).astype(int)
    shade_np = ref.render(no_shadow, last).astype(int) - ref.render(motion, last).astype(int)
    assert shade_np.max() > 20  # the test scene does cast a visible shadow
    assert np.abs(shade_gl - shade_np).mean() <= 0.5
    assert np.percentile(np.abs(shade_gl - shade_np), 99) <= 4


def test_without_rest_or_blurred_backgrounds() -> None:
    scene = _scene(rest=False, blurred=False)
    rigs = (_square_rig(10, 8, 36, arm=False, seed=2), _square_rig(40, 20, 30, arm=True, seed=3))
    motion = _motion()
    gl = _gl(scene, rigs, OUTPUT)
    ref = NumpyRenderer(scene, rigs, OUTPUT)
    try:
        for f in (0, 2, 4):
            mean, p99 = _diff(gl.render(motion, f), ref.render(motion, f))
            assert mean <= 1.0 and p99 <= 12, (f, mean, p99)
    finally:
        gl.close()


def test_make_renderer_picks_gl(setup: tuple) -> None:
    scene, rigs, _, _ = setup
    for backend in ("gl", "auto"):
        renderer = make_renderer(scene, rigs, OUTPUT, backend=backend)
        try:
            assert renderer.name == "gl"
        finally:
            renderer.close()


def test_render_after_close_is_a_render_error_and_close_twice_is_fine(setup: tuple) -> None:
    _, _, motion, gl = setup
    gl.close()
    gl.close()
    with pytest.raises(RenderError, match="closed"):
        gl.render(motion, 0)


def test_no_egl_is_a_render_error_and_auto_falls_back_to_numpy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A machine without libEGL/Mesa (simulated: there is no other way to lose them here)."""
    moderngl = pytest.importorskip("moderngl")

    def no_egl(**kwargs: object) -> None:
        raise Exception("libEGL.so.1: cannot open shared object file")

    monkeypatch.setattr(moderngl, "create_standalone_context", no_egl)
    scene = _scene()
    rigs = (_square_rig(14, 10, 40, arm=False, seed=0), _square_rig(44, 16, 38, arm=False, seed=1))
    with pytest.raises(RenderError, match="EGL"):
        GLRenderer(scene, rigs, OUTPUT)
    with pytest.raises(RenderError, match="EGL"):
        make_renderer(scene, rigs, OUTPUT, backend="gl")
    assert make_renderer(scene, rigs, OUTPUT, backend="auto").name == "numpy"


def test_texture_beyond_the_gl_limit_falls_back_to_numpy() -> None:
    scene = _scene()
    wide = _square_rig(14, 10, 40, arm=False, seed=0)
    # 40 000 texels wide: more than any OpenGL's GL_MAX_TEXTURE_SIZE (llvmpipe: 16 384).
    wide = Rig(**{**wide.__dict__, "textures": np.zeros((1, 2, 40_000, 4), np.uint8)})
    rigs = (wide, _square_rig(44, 16, 38, arm=False, seed=1))
    _gl(scene, (rigs[1], rigs[1]), OUTPUT).close()  # skips where there is no GL at all
    with pytest.raises(RenderError, match="exceeds"):
        GLRenderer(scene, rigs, OUTPUT)
    assert make_renderer(scene, rigs, OUTPUT, backend="auto").name == "numpy"


@pytest.mark.integration
def test_real_photo_frames_match_numpy() -> None:
    """A_prom_couple.jpg through the real stages at 240p; frames 0, middle and last."""
    from hugai.choreograph import choreograph
    from hugai.config import HugConfig
    from hugai.load import load_photo
    from hugai.perceive.people import perceive
    from hugai.pipeline import _default_models
    from hugai.rig.build import build_rigs
    from hugai.scene.build import build_scene

    config = HugConfig(size=240, duration=2, fps=12)
    models = _default_models()
    perception = perceive(
        [load_photo(photo("A_prom_couple.jpg"))], models.finders, models.faces, models.pose
    )
    scene = build_scene(perception, config)
    rigs = build_rigs(scene, config)
    motion = choreograph(scene, rigs, config)
    size = config.output_size(scene.photo.shape[1], scene.photo.shape[0])
    gl = _gl(scene, rigs, size)
    ref = NumpyRenderer(scene, rigs, size)
    try:
        for f in (0, motion.n_frames // 2, motion.n_frames - 1):
            mean, p99 = _diff(gl.render(motion, f), ref.render(motion, f))
            assert mean <= 2.0 and p99 <= 12, (f, mean, p99)
    finally:
        gl.close()
