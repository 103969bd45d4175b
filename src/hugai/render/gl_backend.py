"""The fast renderer: the same picture as ``NumpyRenderer``, drawn with OpenGL (Mesa llvmpipe, EGL).

Why: on the CPU, the numpy renderer spends most of a frame filling triangle maps one triangle at
a time and compositing in whole-frame arrays; llvmpipe rasterises, samples and blends with
JIT-compiled SIMD code on every core. No window or GPU is needed: the context is made headless
through EGL, and ``make_renderer`` falls back to numpy when that fails (``RenderError``).

Per frame, on the CPU: the skinned mesh (``posed_people``, cheap) and the background warped by
the camera (``frame.camera_background``: OpenCV's SIMD warp costs a third of what the same
bilinear lookups cost llvmpipe). On the GL side, only inside the box the people cover:

1. Both people into one RGBA32UI "people image": per pixel, each person's RGBA8 and depth
   (colour masks keep each person to its half). Triangles go in array order with blending off,
   so the last triangle wins, as in the numpy triangle map. Texels come from the person's parts
   (uploaded once) with bilinear filtering.
2. The nearer person's alpha (by depth, per pixel), sampled 2×2 per k×k block.
3. A separable Gaussian on that small image: the contact shadow's blur.
4. The background is written into the output for the box, and one pass blends the two people
   onto it, premultiplied (the farther one darkened by the shadow, then the nearer over it):
   fixed-function blending reads the target for free where a texture lookup would cost llvmpipe
   ~4 ms a 720p frame. One ``glReadPixels`` of the box back into the background.
   Only what the last frame drew and this one draws of the people image is cleared.

What keeps the picture equal to numpy's (``frame.composite`` defines the meaning):

- Pixel centres: numpy samples output pixel (i, j) at (i, j), GL at (i + 0.5, j + 0.5); vertices
  are shifted by half a pixel, texture lookups by half a texel. Images go up row 0 first and come
  back row 0 first, so nothing is flipped.
- Coverage: ``cv2.fillConvexPoly`` (4 sub-pixel bits) paints a triangle's outline as well as its
  inside, about half a pixel wider than GL's "centre inside" rule. Each triangle is widened by
  half a pixel (an L1 disc) and clipped to its rounded bounding box, like OpenCV's scanlines, so
  an arm's edge over the body and the silhouette land on the same pixels (``_triangle_vertices``).
- numpy stacks the parts in one atlas (a lookup just past a part's last row reads the next part's
  first row; outside the atlas reads zeros). Here each part is a layer of a texture array framed
  by one row of its neighbour and a zero border: the same bilinear lookups, and each layer stays
  within ``GL_MAX_TEXTURE_SIZE`` however many parts there are.
- Straight (not premultiplied) alpha, rounded to 8 bits where numpy has ``uint8``.
- The shadow's Gaussian runs on a k× smaller image, its sigma reduced so that sampling, small
  Gaussian and bilinear upsampling add up to the same variance. The darkening is at most
  ``CONTACT_SHADOW``, so this moves a pixel by well under one level.
- The background is numpy's own (the same function).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import cv2
import numpy as np

from hugai.errors import RenderError
from hugai.render.frame import (
    CONTACT_SHADOW,
    atlas_uv,
    camera_background,
    people_box,
    posed_people,
    scene_images,
)
from hugai.types import Motion, Rig, Scene

_SUBPIXEL = 16.0
"""Vertices are rounded to 1/16 pixel for coverage, as ``numpy_backend`` does (shift 4)."""

_TIE = 1.0 / 64.0
"""Extra widening of each triangle, in pixels (see ``_triangle_vertices``)."""

_MAX_TAPS = 40
"""Bilinear tap pairs of the shadow blur, at most (the factor k keeps it near 9)."""

_FLOATS_PER_VERTEX = 9  # position 2, atlas uv 2, depth 1, box 4

_MESH_VERTEX = """
#version 330
uniform vec2 u_size;
in vec2 in_pos;      // output pixels, pixel centres at integers (numpy's convention)
in vec2 in_uv;       // stacked-atlas pixels, texel centres at integers
in float in_depth;
in vec4 in_box;      // inclusive range of pixel centres the triangle may cover
noperspective out vec2 v_uv;
flat out float v_depth;
flat out vec4 v_box;
void main() {
    v_uv = in_uv;
    v_depth = in_depth;
    v_box = in_box;
    gl_Position = vec4((in_pos + 0.5) / u_size * 2.0 - 1.0, 0.0, 1.0);
}
"""

_MESH_FRAGMENT = """
#version 330
uniform sampler2DArray u_parts;
uniform vec2 u_part_size;   // (width, height) of a part, without the one-texel frame
uniform float u_last_part;
noperspective in vec2 v_uv;
flat in float v_depth;
flat in vec4 v_box;
out uvec4 f_people;   // both halves alike; the colour mask keeps this person's half
void main() {
    vec2 p = gl_FragCoord.xy - 0.5;
    if (any(lessThan(p, v_box.xy)) || any(greaterThan(p, v_box.zw))) discard;
    // Row v of the stacked atlas lies in part floor(v / height); the layer's frame rows hold the
    // neighbouring rows of the stack, so bilinear lookups across a seam match the stack.
    float part = clamp(floor(v_uv.y / u_part_size.y), 0.0, u_last_part);
    vec2 local = vec2(v_uv.x, v_uv.y - part * u_part_size.y) + 1.0;
    vec4 c = texture(u_parts, vec3((local + 0.5) / (u_part_size + 2.0), part));
    uvec4 b = uvec4(clamp(c, 0.0, 1.0) * 255.0 + 0.5);   // what an RGBA8 target would store
    uint rgba = b.r | (b.g << 8) | (b.b << 16) | (b.a << 24);
    uint depth = floatBitsToUint(v_depth);
    depth = depth == 0u ? 0x80000000u : depth;   // 0 means "not covered"; -0.0 == 0.0
    f_people = uvec4(rgba, depth, rgba, depth);
}
"""

_PACKING = """
// The people image, RGBA32UI: (RGBA8 of person 0, depth bits of person 0, the same for
// person 1), cleared to 0 = not covered (depth -inf, like numpy's empty pixels).
vec4 unpack_rgba(uint v) {
    return vec4(float(v & 255u), float((v >> 8) & 255u), float((v >> 16) & 255u), float(v >> 24));
}
float unpack_depth(uint v) {
    return v == 0u ? -3.0e38 : uintBitsToFloat(v);
}
float near_alpha(uvec4 v) {
    return float(((unpack_depth(v.g) >= unpack_depth(v.a)) ? v.r : v.b) >> 24) / 255.0;
}
"""

_FULLSCREEN_VERTEX = """
#version 330
// One triangle covering the viewport, no vertex buffer needed.
void main() {
    vec2 p = vec2(float((gl_VertexID & 1) << 2), float((gl_VertexID & 2) << 1)) - 1.0;
    gl_Position = vec4(p, 0.0, 1.0);
}
"""

_ZERO_FRAGMENT = """
#version 330
out uvec4 f_people;
void main() {
    f_people = uvec4(0u);   // not covered, for either person
}
"""

_NEAR_ALPHA_FRAGMENT = (
    """
#version 330
uniform usampler2D u_people;
uniform int u_factor;      // one small pixel per factor x factor output pixels
uniform ivec2 u_offsets;   // where in the block the 2x2 samples lie
uniform ivec2 u_size;      // output size
out float f_alpha;
"""
    + _PACKING
    + """
void main() {
    ivec2 base = ivec2(gl_FragCoord.xy) * u_factor;
    ivec2 last = u_size - 1;
    // Blocks cut by the frame's edge repeat its last pixels.
    f_alpha = 0.25 * (
        near_alpha(texelFetch(u_people, min(base + u_offsets.xx, last), 0))
        + near_alpha(texelFetch(u_people, min(base + u_offsets.yx, last), 0))
        + near_alpha(texelFetch(u_people, min(base + u_offsets.xy, last), 0))
        + near_alpha(texelFetch(u_people, min(base + u_offsets.yy, last), 0)));
}
"""
)

_BLUR_FRAGMENT = f"""
#version 330
uniform sampler2D u_src;
uniform vec2 u_step;            // one texel along the blur's axis, in texture coordinates
uniform int u_taps;
uniform vec2 u_tap[{_MAX_TAPS + 1}];   // (offset in texels, weight); tap 0 is the centre
out float f_value;
void main() {{
    // Two Gaussian weights per bilinear lookup, placed between their texels ("Efficient
    // Gaussian blur with linear sampling", D. Rákos, 2010).
    vec2 uv = gl_FragCoord.xy / vec2(textureSize(u_src, 0));
    float sum = u_tap[0].y * texture(u_src, uv).r;
    for (int i = 1; i < u_taps; ++i) {{
        vec2 d = u_tap[i].x * u_step;
        sum += u_tap[i].y * (texture(u_src, uv + d).r + texture(u_src, uv - d).r);
    }}
    f_value = sum;
}}
"""

_COMPOSITE_FRAGMENT = (
    """
uniform usampler2D u_people;
uniform sampler2D u_shadow;
uniform float u_shadow_shift; // output pixel -> small image: (p + shift) * scale
uniform vec2 u_shadow_scale;
uniform float u_shadow_k;     // CONTACT_SHADOW * contact
out vec4 f_color;
"""
    + _PACKING
    + """
void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    uvec4 v = texelFetch(u_people, p, 0);
    bool first_near = unpack_depth(v.g) >= unpack_depth(v.a);
    vec4 near = unpack_rgba(first_near ? v.r : v.b);
    vec4 far = unpack_rgba(first_near ? v.b : v.r);
    float near_a = near.a / 255.0;
    float far_a = far.a / 255.0;
    vec3 far_rgb = far.rgb;
#if SHADOW   // not a uniform branch: llvmpipe runs both sides of one
    vec2 at = (gl_FragCoord.xy + u_shadow_shift) * u_shadow_scale;
    far_rgb *= 1.0 - u_shadow_k * texture(u_shadow, at).r;
#endif
    // Premultiplied, blended (ONE, ONE_MINUS_SRC_ALPHA) onto the background already in the
    // target: near + (1 - near_a)·(far + (1 - far_a)·bg), without sampling the background.
    vec3 people = near.rgb * near_a + far_rgb * (far_a * (1.0 - near_a));
    float cover = near_a + far_a * (1.0 - near_a);
    f_color = vec4(clamp(people, 0.0, 255.0) / 255.0, cover);
}
"""
)


def _triangle_vertices(
    dest: np.ndarray, uv: np.ndarray, triangles: np.ndarray, tri_depth: np.ndarray
) -> np.ndarray:
    """float32 (3·T', 9): the vertices to draw, three per triangle, in triangle order.

    Each triangle is widened to OpenCV's coverage: its vertices rounded to 1/16 pixel, each edge
    moved out by half a pixel along x or y, whichever is nearer to its normal (an L1 disc of
    radius 1/2, which is how the scanline fill and outline of ``cv2.fillConvexPoly`` behave), and
    clipped by the fragment shader to the rounded bounding box. The atlas coordinates of the
    moved vertices follow the triangle's own affine map from output to atlas pixels, computed
    from the unrounded vertices as numpy does. Triangles numpy skips (singular) are left out.

    Columns: x, y (output pixels), u, v (stacked atlas pixels), depth, box x0, y0, x1, y1.
    """
    x = dest[triangles, 0]  # (T, 3)
    y = dest[triangles, 1]
    ex1, ey1 = x[:, 1] - x[:, 0], y[:, 1] - y[:, 0]
    ex2, ey2 = x[:, 2] - x[:, 0], y[:, 2] - y[:, 0]
    det = ex1 * ey2 - ex2 * ey1
    ok = np.abs(det) > 1e-6  # numpy_backend's test, on the same determinant
    if not ok.all():
        x, y, ex1, ey1, ex2, ey2, det = (a[ok] for a in (x, y, ex1, ey1, ex2, ey2, det))
    u = uv[triangles[ok], 0]
    v = uv[triangles[ok], 1]
    # The linear part of the output -> atlas map: [du1 du2; dv1 dv2] @ inverse([ex1 ex2; ey1 ey2]).
    du1, du2 = u[:, 1] - u[:, 0], u[:, 2] - u[:, 0]
    dv1, dv2 = v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]
    jux = ((du1 * ey2 - du2 * ey1) / det)[:, None]
    juy = ((du2 * ex1 - du1 * ex2) / det)[:, None]
    jvx = ((dv1 * ey2 - dv2 * ey1) / det)[:, None]
    jvy = ((dv2 * ex1 - dv1 * ex2) / det)[:, None]

    qx = np.round(x * _SUBPIXEL) / _SUBPIXEL
    qy = np.round(y * _SUBPIXEL) / _SUBPIXEL
    # Edge i runs from vertex i to i + 1; its outward unit normal and how far it moves out.
    sx = np.roll(qx, -1, axis=1) - qx
    sy = np.roll(qy, -1, axis=1) - qy
    turn = np.sign(sx[:, 0] * sy[:, 1] - sy[:, 0] * sx[:, 1])[:, None]
    nx, ny = sy * turn, -sx * turn
    length = np.maximum(np.hypot(nx, ny), 1e-12)
    nx, ny = nx / length, ny / length
    # A hair more than half a pixel, so that pixel centres right on the widened edge (common:
    # vertices sit on the 1/16 grid) are rasterised, and the box decides them as OpenCV does.
    off = 0.5 * np.maximum(np.abs(nx), np.abs(ny)) + _TIE
    # Vertex i lies on edges i - 1 and i: move it to where the two moved edges meet.
    px, py, po = np.roll(nx, 1, axis=1), np.roll(ny, 1, axis=1), np.roll(off, 1, axis=1)
    cross = px * ny - py * nx
    safe = np.abs(cross) > 1e-9
    cross = np.where(safe, cross, 1.0)
    mx = np.where(safe, (po * ny - off * py) / cross, 0.0)
    my = np.where(safe, (px * off - nx * po) / cross, 0.0)
    # A needle's mitre can reach far; the box below trims it, so cap it to keep it cheap.
    cap = np.minimum(1.0, 4.0 / np.maximum(np.hypot(mx, my), 1e-12))
    wx = qx + mx * cap
    wy = qy + my * cap

    out = np.empty((len(x), 3, _FLOATS_PER_VERTEX), np.float32)
    out[..., 0] = wx
    out[..., 1] = wy
    out[..., 2] = u + jux * (wx - x) + juy * (wy - y)
    out[..., 3] = v + jvx * (wx - x) + jvy * (wy - y)
    out[..., 4] = tri_depth[ok][:, None]
    # OpenCV's scanlines run from round(min y) to round(max y), spans likewise in x.
    out[..., 5] = np.floor(qx.min(axis=1) + 0.5)[:, None]
    out[..., 6] = np.floor(qy.min(axis=1) + 0.5)[:, None]
    out[..., 7] = np.floor(qx.max(axis=1) + 0.5)[:, None]
    out[..., 8] = np.floor(qy.max(axis=1) + 0.5)[:, None]
    return out.reshape(-1, _FLOATS_PER_VERTEX)


Box = tuple[int, int, int, int]
"""Pixels x0 <= x < x1, y0 <= y < y1."""


def _union(a: Box | None, b: Box) -> Box:
    if a is None:
        return b
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _grow(box: Box, by: int, size: tuple[int, int]) -> Box:
    """``box`` grown by ``by`` pixels each side, clipped to an image of ``size``."""
    return (
        max(0, box[0] - by),
        max(0, box[1] - by),
        min(size[0], box[2] + by),
        min(size[1], box[3] + by),
    )


def _rect(box: Box) -> tuple[int, int, int, int]:
    """GL's (x, y, width, height); rows go up in the order numpy stores them, so y is the row."""
    return box[0], box[1], box[2] - box[0], box[3] - box[1]


class ShadowPlan(NamedTuple):
    """How the contact shadow's blur of sigma output pixels is made.

    factor: one small pixel per factor × factor output pixels.
    offsets: the two sample positions along each axis of a block (2×2 samples per block).
    centre: their mean, where the small pixel sits in its block.
    taps: float32 (n, 2), the small image's Gaussian as (offset, weight) bilinear lookups: tap 0
        the centre, then pairs of texels looked up between them, on both sides.
    """

    factor: int
    offsets: tuple[int, int]
    centre: float
    taps: np.ndarray


def shadow_plan(sigma: float) -> ShadowPlan:
    """Sampling (variance of the offsets), a Gaussian of sigma s on the small image (variance
    s²k²) and bilinear upsampling (a tent, variance k²/6) together match the variance sigma² of
    ``cv2.GaussianBlur``; the kernel's half-width follows OpenCV's rule for float images (4 s).
    """
    # Never at full size: a thin full-resolution blur costs llvmpipe ~50 ms a frame, and numpy
    # blurs at a quarter size too.
    k = int(min(16, max(4, round(sigma / 4.0))))
    o0, o1 = k // 4, (3 * k) // 4
    centre = (o0 + o1) / 2.0
    spread = ((o1 - o0) / 2.0) ** 2
    tent = k * k / 6.0 if k > 1 else 0.0
    small = math.sqrt(max(sigma**2 - spread - tent, 0.25 * k * k)) / k
    radius = min((int(round(small * 8 + 1)) | 1) // 2, 2 * _MAX_TAPS)
    w = np.exp(-0.5 * (np.arange(radius + 2, dtype=np.float64) / small) ** 2)
    w[radius + 1] = 0.0
    w /= w[0] + 2.0 * w[1:].sum()
    taps = [(0.0, w[0])]
    for a in range(1, radius + 1, 2):
        pair = w[a] + w[a + 1]
        taps.append((a + w[a + 1] / pair, pair))
    return ShadowPlan(k, (o0, o1), centre, np.asarray(taps, np.float32))


class _Person:
    """A person's parts as a texture array (uploaded once) and a buffer for the posed mesh."""

    def __init__(self, ctx: Any, rig: Rig, max_size: int, max_layers: int) -> None:
        import moderngl

        parts, h, w, _ = rig.textures.shape
        if w + 2 > max_size or h + 2 > max_size or parts > max_layers:
            raise RenderError(
                f"the person's texture ({w}x{h}, {parts} parts) exceeds this OpenGL's limits "
                f"({max_size} pixels, {max_layers} layers); use --backend numpy"
            )
        tex = rig.textures
        framed = np.zeros((parts, h + 2, w + 2, 4), np.uint8)
        framed[:, 1 : h + 1, 1 : w + 1] = tex
        framed[1:, 0, 1 : w + 1] = tex[:-1, h - 1]  # the previous part's last row
        framed[:-1, h + 1, 1 : w + 1] = tex[1:, 0]  # the next part's first row
        self.parts = ctx.texture_array((w + 2, h + 2, parts), 4, framed)
        self.parts.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.parts.repeat_x = False
        self.parts.repeat_y = False
        self.part_size = (float(w), float(h))
        self.last_part = float(parts - 1)
        self.uv = atlas_uv(rig)
        self.triangles = rig.triangles.astype(np.int64)
        self.vbo = ctx.buffer(reserve=max(1, 3 * len(rig.triangles)) * _FLOATS_PER_VERTEX * 4)

    def release(self) -> None:
        self.vbo.release()
        self.parts.release()


class GLRenderer:
    """Renders frames of a scene with OpenGL; ``render(motion, i)`` → uint8 (H, W, 3).

    Raises ``RenderError`` when no OpenGL 3.3 context can be made through EGL (no libEGL or Mesa)
    or the scene exceeds its limits, so that ``make_renderer(backend="auto")`` falls back to numpy.
    """

    name = "gl"

    def __init__(self, scene: Scene, rigs: tuple[Rig, Rig], size: tuple[int, int]) -> None:
        width, height = int(size[0]), int(size[1])
        if width < 1 or height < 1:
            raise RenderError(f"output size {size!r}: width and height must be positive")
        if len(rigs) != 2:
            raise RenderError(f"got {len(rigs)} rigs; the renderer draws exactly two people")
        try:
            import moderngl
        except ImportError as exc:
            raise RenderError(
                f"the gl backend needs moderngl ({exc}); "
                "pip install 'hugai[gl]' or use --backend numpy"
            ) from exc
        headless: dict[str, Any] = {"backend": "egl"}  # no window system, no GPU needed
        try:
            ctx = moderngl.create_standalone_context(require=330, **headless)
        except Exception as exc:  # glcontext raises plain Exceptions for missing libraries
            raise RenderError(
                f"no OpenGL 3.3 context through EGL ({exc}); install libegl1, libgl1, "
                "libegl-mesa0 and libgl1-mesa-dri, or use --backend numpy"
            ) from exc
        self.scene = scene
        self.rigs = rigs
        self.size = (width, height)
        self._ctx: Any = ctx
        self._gl_error: type[Exception] = moderngl.Error
        self._objects: list[Any] = []
        self._people: list[_Person] = []
        self._small: dict[int, tuple[Any, Any, Any, Any]] = {}
        self._images = scene_images(scene)
        self._drawn_box: Box | None = None  # what the people image holds
        try:
            with ctx:
                self._setup(moderngl)
        except RenderError:
            self.close()
            raise
        except Exception as exc:  # a GL failure (out of memory, shader rejected): fall back
            self.close()
            raise RenderError(f"OpenGL setup failed ({exc}); use --backend numpy") from exc

    def _setup(self, moderngl: Any) -> None:
        ctx = self._ctx
        width, height = self.size
        max_size = int(ctx.info["GL_MAX_TEXTURE_SIZE"])
        max_layers = int(ctx.info.get("GL_MAX_ARRAY_TEXTURE_LAYERS", 256))
        if max(width, height) > max_size:
            raise RenderError(
                f"output {width}x{height} exceeds this OpenGL's {max_size}-pixel limit; "
                "use --backend numpy"
            )
        for rig in self.rigs:
            self._people.append(_Person(ctx, rig, max_size, max_layers))
        self._people_tex = self._keep(ctx.texture(self.size, 4, dtype="u4"))
        self._people_tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._people_fbo = self._keep(ctx.framebuffer(color_attachments=[self._people_tex]))
        self._people_fbo.clear(0.0, 0.0, 0.0, 0.0)  # once; then only where people were drawn
        self._out_tex = self._keep(ctx.texture(self.size, 4))
        self._out_fbo = self._keep(ctx.framebuffer(color_attachments=[self._out_tex]))

        def program(vertex: str, fragment: str) -> Any:
            return self._keep(ctx.program(vertex_shader=vertex, fragment_shader=fragment))

        self._mesh_prog = program(_MESH_VERTEX, _MESH_FRAGMENT)
        self._zero_prog = program(_FULLSCREEN_VERTEX, _ZERO_FRAGMENT)
        self._near_prog = program(_FULLSCREEN_VERTEX, _NEAR_ALPHA_FRAGMENT)
        self._blur_prog = program(_FULLSCREEN_VERTEX, _BLUR_FRAGMENT)
        self._mesh_vaos = [
            self._keep(
                ctx.vertex_array(
                    self._mesh_prog,
                    [(p.vbo, "2f 2f 1f 4f", "in_pos", "in_uv", "in_depth", "in_box")],
                )
            )
            for p in self._people
        ]
        self._zero_vao = self._keep(ctx.vertex_array(self._zero_prog, []))
        self._near_vao = self._keep(ctx.vertex_array(self._near_prog, []))
        self._blur_vao = self._keep(ctx.vertex_array(self._blur_prog, []))
        # Step 4 without and with the contact shadow.
        self._composites: list[tuple[Any, Any]] = []
        for shadow in (0, 1):
            defines = f"#version 330\n#define SHADOW {shadow}\n"
            prog = program(_FULLSCREEN_VERTEX, defines + _COMPOSITE_FRAGMENT)
            self._composites.append((prog, self._keep(ctx.vertex_array(prog, []))))

        # Texture units: 0 a person's parts, 1 the people image, 3 the shadow.
        self._mesh_prog["u_size"].value = (float(width), float(height))
        self._mesh_prog["u_parts"].value = 0
        self._near_prog["u_people"].value = 1
        self._near_prog["u_size"].value = (width, height)
        self._blur_prog["u_src"].value = 3
        for prog, _ in self._composites:
            for name, value in (("u_people", 1), ("u_shadow", 3)):
                if prog.get(name, None) is not None:  # the compiler drops what a program ignores
                    prog[name].value = value
        ctx.disable(moderngl.BLEND | moderngl.DEPTH_TEST | moderngl.CULL_FACE)
        # Only step 4 blends (enabled around it), premultiplied "over" the background.
        self._blend = moderngl.BLEND
        ctx.blend_func = moderngl.ONE, moderngl.ONE_MINUS_SRC_ALPHA

    def _keep(self, obj: Any) -> Any:
        self._objects.append(obj)
        return obj

    def _small_targets(self, k: int) -> tuple[Any, Any, Any, Any]:
        """Two k× smaller float images and their framebuffers (made once per factor)."""
        if k not in self._small:
            import moderngl

            ctx = self._ctx
            w = -(-self.size[0] // k)
            h = -(-self.size[1] // k)
            a = ctx.texture((w, h), 1, dtype="f4")
            b = ctx.texture((w, h), 1, dtype="f4")
            for t in (a, b):
                t.filter = (moderngl.LINEAR, moderngl.LINEAR)
                t.repeat_x = False
                t.repeat_y = False
            fa = ctx.framebuffer(color_attachments=[a])
            fb = ctx.framebuffer(color_attachments=[b])
            self._small[k] = (a, fa, b, fb)
        return self._small[k]

    def render(self, motion: Motion, frame: int) -> np.ndarray:
        if self._ctx is None:
            raise RenderError("this gl renderer was closed; make a new one")
        if not 0 <= frame < motion.n_frames:
            raise RenderError(f"frame {frame}: the motion has frames 0 to {motion.n_frames - 1}")
        people, contact, sigma = posed_people(self.rigs, motion, frame)
        meshes = [
            _triangle_vertices(dest, person.uv, person.triangles, tri_depth)
            for person, (dest, tri_depth) in zip(self._people, people, strict=True)
        ]
        # numpy's box: it holds every pixel a (widened, box-clipped) triangle may cover.
        box = people_box([dest for dest, _ in people], self.size)
        background = camera_background(
            self._images,
            float(motion.blur[frame]),
            float(motion.reveal[frame]),
            motion.camera[frame].astype(np.float64),
            self.size,
        )
        try:
            with self._ctx:
                return self._draw(meshes, box, contact, sigma, background)
        except self._gl_error as exc:
            raise RenderError(
                f"OpenGL failed on frame {frame} ({exc}); use --backend numpy"
            ) from exc

    def _draw(
        self,
        meshes: list[np.ndarray],
        box: Box | None,
        contact: float,
        sigma: float,
        background: np.ndarray,
    ) -> np.ndarray:
        if box is None:
            return background
        # 1. Each person into their half of the people image, triangles in order, the last wins.
        # Only what the last frame drew and this one draws is cleared (the whole 1280x720 image
        # costs llvmpipe ~2.5 ms), by drawing zeros: its clear of 16-byte pixels is slower still.
        fbo = self._people_fbo
        fbo.color_mask = (True, True, True, True)
        fbo.scissor = _rect(_union(self._drawn_box, box))
        fbo.use()
        self._zero_vao.render(vertices=3)
        fbo.scissor = None
        self._drawn_box = box
        for i, (person, vao, verts) in enumerate(
            zip(self._people, self._mesh_vaos, meshes, strict=True)
        ):
            if not len(verts):
                continue
            fbo.color_mask = (i == 0, i == 0, i == 1, i == 1)
            fbo.use()
            person.vbo.write(verts)
            person.parts.use(0)
            self._mesh_prog["u_part_size"].value = person.part_size
            self._mesh_prog["u_last_part"].value = person.last_part
            vao.render(vertices=len(verts))
        fbo.color_mask = (True, True, True, True)
        self._people_tex.use(1)

        # 2-3. The nearer person's alpha, made small and blurred: the contact shadow.
        shadow_k = CONTACT_SHADOW * contact
        prog, vao = self._composites[1 if shadow_k > 0.0 else 0]
        if shadow_k > 0.0:
            plan = shadow_plan(sigma)
            k = plan.factor
            a, fa, b, fb = self._small_targets(k)
            # Each pass only where the next one reads: the composite reads the small pixels
            # under the box (and one more each side); each blur pass reads `reach` further.
            small = (a.width, a.height)
            reach = int(math.ceil(float(plan.taps[:, 0].max()))) + 1
            under = _grow((box[0] // k, box[1] // k, -(-box[2] // k), -(-box[3] // k)), 2, small)
            fa.scissor = _rect(_grow(under, 2 * reach, small))
            fa.use()
            self._near_prog["u_factor"].value = k
            self._near_prog["u_offsets"].value = plan.offsets
            self._near_vao.render(vertices=3)
            taps = np.zeros((_MAX_TAPS + 1, 2), np.float32)
            taps[: len(plan.taps)] = plan.taps
            self._blur_prog["u_tap"].write(taps)
            self._blur_prog["u_taps"].value = len(plan.taps)
            for src, dst, step, region in (
                (a, fb, (1.0 / a.width, 0.0), _grow(under, reach, small)),
                (b, fa, (0.0, 1.0 / a.height), under),
            ):
                src.use(3)
                dst.scissor = _rect(region)
                dst.use()
                self._blur_prog["u_step"].value = step
                self._blur_vao.render(vertices=3)
            fa.scissor = fb.scissor = None
            a.use(3)
            prog["u_shadow_shift"].value = k / 2.0 - plan.centre - 0.5
            prog["u_shadow_scale"].value = (1.0 / (k * a.width), 1.0 / (k * a.height))
            prog["u_shadow_k"].value = shadow_k

        # 4. In the people's box: background, farther person, nearer person; read back into
        # the background (RGBA comes back as a copy; RGB would make llvmpipe convert).
        x0, y0, x1, y1 = box
        self._out_tex.write(
            cv2.cvtColor(background[y0:y1, x0:x1], cv2.COLOR_RGB2RGBA), viewport=_rect(box)
        )
        out = self._out_fbo
        out.scissor = _rect(box)
        out.use()
        self._ctx.enable(self._blend)
        vao.render(vertices=3)
        self._ctx.disable(self._blend)
        out.scissor = None
        rgba = np.empty((y1 - y0, x1 - x0, 4), np.uint8)
        out.read_into(rgba, viewport=_rect(box), components=4, alignment=1)
        cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB, dst=background[y0:y1, x0:x1])  # in place
        return background

    def close(self) -> None:
        """Release every GL object and the context; safe to call twice."""
        ctx = getattr(self, "_ctx", None)
        if ctx is None:
            return
        with ctx:
            for a, fa, b, fb in self._small.values():
                for obj in (fa, fb, a, b):
                    obj.release()
            self._small.clear()
            for person in self._people:
                person.release()
            self._people.clear()
            for obj in reversed(self._objects):
                obj.release()
            self._objects.clear()
        ctx.release()
        self._ctx = None
