"""The fast renderer: the same picture as ``NumpyRenderer``, drawn with OpenGL (Mesa llvmpipe, EGL).

Why: on the CPU, the numpy renderer spends most of a frame filling triangle-ID maps one triangle
at a time and compositing in float arrays; llvmpipe rasterises, samples and blends with JIT-compiled
SIMD code on every core, several times faster. No window or GPU is needed: the context is made
headless through EGL, and ``make_renderer`` falls back to numpy when that fails (``RenderError``).

Per frame, on the CPU: the skinned mesh vertices (cheap). On the GL side, in four steps:

1. Each person's triangles, in array order with blending off, into that person's own RGBA +
   depth framebuffer: later triangles overwrite earlier ones, as in the numpy triangle-ID map.
   Texels come from the person's parts (uploaded once) with bilinear filtering.
2. The nearer person's alpha (per pixel, by depth) averaged down ``k``×``k``.
3. A separable Gaussian on that small image: the contact shadow's blur.
4. One full-screen pass: the background warped by the camera (two bilinear lookups with
   OpenCV's BORDER_REFLECT101, mixed by the depth-of-field blur), then the farther and the
   nearer person "over" it, the farther one darkened by the shadow. One ``glReadPixels``.

What keeps the picture equal to numpy's (see ``frame.composite``, which defines it):

- Pixel centres: numpy samples output pixel (i, j) at (i, j); GL at (i + 0.5, j + 0.5). Vertices
  are shifted by half a pixel, and texture lookups add half a texel. Images are uploaded with
  row 0 first and read back row 0 first, so nothing is flipped.
- Coverage: ``cv2.fillConvexPoly`` (4 sub-pixel bits) paints a triangle's outline as well as its
  inside, about half a pixel wider than GL's "centre inside" rule. Each triangle is widened by
  half a pixel in the L1 sense and clipped to its rounded bounding box, like OpenCV's scanlines,
  so an arm's edge over the body and the silhouette fall on the same pixels (see
  ``_triangle_vertices``).
- The parts are stacked in one atlas in numpy (a lookup just past a part's last row reads the
  next part's first row; outside the atlas reads zeros). Here each part is a layer of a texture
  array, framed by one row of its neighbour and a zero border, which gives the same bilinear
  lookups and keeps each layer within ``GL_MAX_TEXTURE_SIZE``.
- Straight (not premultiplied) alpha throughout, rounded to 8 bits where numpy has ``uint8``.
- The shadow's Gaussian runs on the ``k``× smaller image with its sigma reduced so that box
  average, small Gaussian and bilinear upsampling add up to the same variance; the darkening is
  at most ``CONTACT_SHADOW``, so the approximation moves a pixel by well under one level.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from hugai.errors import RenderError
from hugai.render.frame import CONTACT_SHADOW
from hugai.rig.skin import blend_skin
from hugai.types import Motion, Rig, Scene

_SUBPIXEL = 16.0
"""Vertices are rounded to 1/16 pixel for coverage, as ``numpy_backend`` does (shift 4)."""

_MAX_TAPS = 64
"""Half-width limit of the shadow blur kernel on the small image (the factor keeps it below)."""

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
// Both halves carry the same value; the colour mask keeps this person's half (see _PACKING).
out uvec4 f_people;
void main() {
    vec2 p = gl_FragCoord.xy - 0.5;
    if (any(lessThan(p, v_box.xy)) || any(greaterThan(p, v_box.zw))) discard;
    // The stacked atlas row v lies in part floor(v / height); the layer's frame rows hold the
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
// The people image, RGBA32UI: (RGBA8 of person 0, depth bits of person 0, the same for person 1),
// cleared to 0 = not covered (depth -inf, as numpy's empty pixels).
vec4 unpack_rgba(uint v) {
    return vec4(float(v & 255u), float((v >> 8) & 255u), float((v >> 16) & 255u), float(v >> 24));
}
float unpack_depth(uint v) {
    return v == 0u ? -3.0e38 : uintBitsToFloat(v);
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

_NEAR_ALPHA_FRAGMENT = """
#version 330
uniform usampler2D u_people;
uniform int u_factor;      // one small pixel per factor x factor output pixels
uniform int u_samples;     // per axis, every factor / samples output pixels
uniform ivec2 u_size;      // output size
out float f_alpha;
%s
void main() {
    ivec2 base = ivec2(gl_FragCoord.xy) * u_factor;
    float sum = 0.0;
    float n = 0.0;
    for (int j = 0; j < u_samples; ++j) {
        for (int i = 0; i < u_samples; ++i) {
            ivec2 q = base + (ivec2(i, j) * 2 + 1) * u_factor / (2 * u_samples);
            if (q.x < u_size.x && q.y < u_size.y) {
                uvec4 v = texelFetch(u_people, q, 0);
                bool first_near = unpack_depth(v.g) >= unpack_depth(v.a);
                sum += float((first_near ? v.r : v.b) >> 24);
                n += 1.0;
            }
        }
    }
    f_alpha = n > 0.0 ? sum / (255.0 * n) : 0.0;
}
""" % _PACKING

_BLUR_FRAGMENT = """
#version 330
uniform sampler2D u_src;
uniform ivec2 u_dir;
uniform int u_radius;
uniform float u_weights[%d];
out float f_value;
int reflect101(int i, int n) {
    i = abs(i);
    return max(0, (n - 1) - abs(n - 1 - i));
}
void main() {
    ivec2 size = textureSize(u_src, 0);
    ivec2 p = ivec2(gl_FragCoord.xy);
    int n = u_dir.x != 0 ? size.x : size.y;
    int c = u_dir.x != 0 ? p.x : p.y;
    float sum = 0.0;
    for (int t = -u_radius; t <= u_radius; ++t) {
        int i = reflect101(c + t, n);
        ivec2 q = u_dir.x != 0 ? ivec2(i, p.y) : ivec2(p.x, i);
        sum += u_weights[abs(t)] * texelFetch(u_src, q, 0).r;
    }
    f_value = sum;
}
""" % (_MAX_TAPS + 1)

_COMPOSITE_FRAGMENT = """
// Specialised per frame by #defines (llvmpipe runs both sides of a branch, even a uniform one):
// SHARP (the filled background), REST (dissolving from the rest background), SOFT (the
// depth-of-field blurred one), SHADOW (the contact shadow).
uniform sampler2D u_background;
uniform sampler2D u_rest;
uniform sampler2D u_blurred;
uniform vec2 u_canvas;       // (width, height) of the background
uniform mat2 u_cam_inv;      // output pixels -> canvas pixels: src = u_cam_inv * (p - u_cam_t)
uniform vec2 u_cam_t;
uniform float u_reveal;      // rest background -> filled background
uniform float u_blur;        // sharp -> blurred
uniform usampler2D u_people;
uniform sampler2D u_shadow;
uniform vec2 u_shadow_scale; // 1 / (factor * small size)
uniform float u_shadow_k;    // CONTACT_SHADOW * contact
out vec4 f_color;
%s
vec3 warped(sampler2D image, vec2 src) {
    // BORDER_REFLECT101 mirrors about the edge texel centres, and bilinear interpolation is
    // symmetric about any texel centre, so mirroring the coordinate gives OpenCV's lookup.
    vec2 hi = u_canvas - 1.0;
    src = hi - abs(hi - abs(src));
    vec3 c = texture(image, (src + 0.5) / u_canvas).rgb * 255.0;
    return floor(c + 0.5);   // cv2.warpAffine returns uint8
}

void main() {
    vec2 p = gl_FragCoord.xy - 0.5;
    vec2 src = u_cam_inv * (p - u_cam_t);
    vec3 bg;   // frame.warp_background, each cv2.addWeighted rounded to uint8
#if SHARP
    bg = warped(u_background, src);
#if REST
    bg = floor(warped(u_rest, src) * (1.0 - u_reveal) + bg * u_reveal + 0.5);
#endif
#if SOFT
    bg = floor(bg * (1.0 - u_blur) + warped(u_blurred, src) * u_blur + 0.5);
#endif
#else
    bg = warped(u_blurred, src);
#endif
    uvec4 v = texelFetch(u_people, ivec2(gl_FragCoord.xy), 0);
    bool first_near = unpack_depth(v.g) >= unpack_depth(v.a);
    vec4 near = unpack_rgba(first_near ? v.r : v.b);
    vec4 far = unpack_rgba(first_near ? v.b : v.r);
    float near_a = near.a / 255.0;
    float far_a = far.a / 255.0;
    vec3 far_rgb = far.rgb;
#if SHADOW
    far_rgb *= 1.0 - u_shadow_k * texture(u_shadow, gl_FragCoord.xy * u_shadow_scale).r;
#endif
    vec3 outc = far_rgb * far_a + bg * (1.0 - far_a);
    outc = near.rgb * near_a + outc * (1.0 - near_a);
    f_color = vec4(clamp(outc, 0.0, 255.0) / 255.0, 1.0);
}
""" % _PACKING


def posed_people(
    rigs: tuple[Rig, Rig], motion: Motion, frame: int
) -> tuple[list[tuple[np.ndarray, np.ndarray]], float, float]:
    """Per person (vertices float64 (V, 2) output pixels, triangle depth float32 (T,)), the contact
    strength and the shadow sigma: ``frame.frame_inputs`` without the background warp, which is
    done on the GL side. Kept equal to it by ``tests/test_gl_backend.py``.
    """
    cam = motion.camera[frame].astype(np.float64)
    people = []
    for i, rig in enumerate(rigs):
        bones = motion.bones[frame, i].astype(np.float64)
        posed = blend_skin(rig.vertices.astype(np.float64), rig.weights.astype(np.float64), bones)
        dest = posed @ cam[:, :2].T + cam[:, 2]
        vdepth = rig.weights.astype(np.float64) @ motion.depth[frame, i].astype(np.float64)
        tri_depth = vdepth[rig.triangles].mean(axis=1).astype(np.float32)
        people.append((dest, tri_depth))
    fw = float(np.mean([r.face_width for r in rigs])) * float(cam[0, 0])
    return people, float(motion.contact[frame]), max(1.0, 0.12 * fw)


def atlas_uv(rig: Rig) -> np.ndarray:
    """float64 (V, 2): each vertex in the atlas of parts stacked vertically, as
    ``numpy_backend.PersonRaster`` computes it (a vertex takes the part of its last triangle)."""
    h = rig.textures.shape[1]
    vpart = np.zeros(len(rig.vertices), np.int64)
    vpart[rig.triangles.reshape(-1)] = np.repeat(rig.tri_part.astype(np.int64), 3)
    return rig.vertices.astype(np.float64) + np.stack(
        [np.zeros(len(vpart)), vpart * float(h)], axis=1
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
    off = 0.5 * np.maximum(np.abs(nx), np.abs(ny))
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


def shadow_plan(sigma: float) -> tuple[int, int, np.ndarray]:
    """How to blur the shadow: (factor k, samples per axis, half kernel weights).

    The nearer alpha is averaged over k×k output pixels (sampled every other pixel), blurred on
    the k× smaller image and upsampled bilinearly. The box (variance (k²-1)/12), the small
    Gaussian (variance s²k²) and the upsampling tent (variance k²/6) together match the variance
    sigma² of ``cv2.GaussianBlur``; the kernel's half-width follows OpenCV's rule for float
    images (4 sigma).
    """
    k = int(min(8, max(1, math.floor(sigma / 3.0))))
    if k == 1:
        small = sigma
    else:
        small = math.sqrt(max(sigma**2 - (k * k - 1) / 12.0 - k * k / 6.0, 0.25 * k * k)) / k
    ksize = int(round(small * 8 + 1)) | 1
    radius = min(ksize // 2, _MAX_TAPS)
    t = np.arange(radius + 1, dtype=np.float64)
    w = np.exp(-0.5 * (t / small) ** 2)
    w /= w[0] + 2.0 * w[1:].sum()
    return k, (k + 1) // 2, w.astype(np.float32)


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
        self.parts = ctx.texture_array((w + 2, h + 2, parts), 4, framed.tobytes())
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

    Raises ``RenderError`` when no OpenGL 3.3 context can be made through EGL (no libEGL or Mesa),
    so that ``make_renderer(backend="auto")`` falls back to numpy.
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
                f"the gl backend needs moderngl ({exc}); pip install 'hugai[gl]' or use --backend numpy"
            ) from exc
        try:
            ctx = moderngl.create_standalone_context(backend="egl", require=330)
        except Exception as exc:  # glcontext raises plain Exceptions for missing libraries
            raise RenderError(
                f"no OpenGL context through EGL ({exc}); install libegl1, libgl1, libegl-mesa0 "
                "and libgl1-mesa-dri, or use --backend numpy"
            ) from exc
        self.scene = scene
        self.rigs = rigs
        self.size = (width, height)
        self._ctx: Any = ctx
        self._objects: list[Any] = []
        self._people: list[_Person] = []
        self._small: dict[int, tuple[Any, Any, Any, Any]] = {}
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
        bg = self.scene.background
        ch, cw = bg.shape[:2]
        if max(width, height, cw, ch) > max_size:
            raise RenderError(
                f"output {width}x{height} or canvas {cw}x{ch} exceeds this OpenGL's "
                f"{max_size}-pixel limit; use --backend numpy"
            )
        for rig in self.rigs:
            self._people.append(_Person(ctx, rig, max_size, max_layers))

        # RGBA, not RGB: llvmpipe samples 4-channel 8-bit textures faster. Units: 0 a person's
        # parts, 1 the people image, 2 background, 3 rest background, 4 blurred, 5 small shadow.
        self._canvas = (float(cw), float(ch))
        self._backgrounds: dict[str, Any] = {}
        for unit, (key, image) in enumerate(
            (
                ("background", bg),
                ("rest", self.scene.rest_background),
                ("blurred", self.scene.blurred),
            ),
            start=2,
        ):
            if image is None:
                continue
            if image.shape[:2] != (ch, cw):
                raise RenderError(
                    f"scene.{key} is {image.shape[1]}x{image.shape[0]}; it must match the "
                    f"background's {cw}x{ch}"
                )
            tex = self._keep(ctx.texture((cw, ch), 4, _rgba(image)))
            tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
            tex.repeat_x = False
            tex.repeat_y = False
            tex.use(unit)
            self._backgrounds[key] = tex

        self._people_tex = self._keep(ctx.texture(self.size, 4, dtype="u4"))
        self._people_tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._people_fbo = self._keep(ctx.framebuffer(color_attachments=[self._people_tex]))
        self._out_tex = self._keep(ctx.texture(self.size, 4))
        self._out_fbo = self._keep(ctx.framebuffer(color_attachments=[self._out_tex]))

        def program(vertex: str, fragment: str) -> Any:
            return self._keep(ctx.program(vertex_shader=vertex, fragment_shader=fragment))

        self._mesh_prog = program(_MESH_VERTEX, _MESH_FRAGMENT)
        self._near_prog = program(_FULLSCREEN_VERTEX, _NEAR_ALPHA_FRAGMENT)
        self._blur_prog = program(_FULLSCREEN_VERTEX, _BLUR_FRAGMENT)
        self._program = program
        self._composites: dict[tuple[bool, bool, bool, bool], tuple[Any, Any]] = {}
        self._mesh_vaos = [
            self._keep(
                ctx.vertex_array(
                    self._mesh_prog,
                    [(p.vbo, "2f 2f 1f 4f", "in_pos", "in_uv", "in_depth", "in_box")],
                )
            )
            for p in self._people
        ]
        self._near_vao = self._keep(ctx.vertex_array(self._near_prog, []))
        self._blur_vao = self._keep(ctx.vertex_array(self._blur_prog, []))

        self._mesh_prog["u_size"].value = (float(width), float(height))
        self._mesh_prog["u_parts"].value = 0
        self._near_prog["u_people"].value = 1
        self._near_prog["u_size"].value = (width, height)
        self._blur_prog["u_src"].value = 5
        ctx.disable(moderngl.BLEND | moderngl.DEPTH_TEST | moderngl.CULL_FACE)

    def _composite(self, flags: tuple[bool, bool, bool, bool]) -> tuple[Any, Any]:
        """The composite program and its vertex array for (SHARP, REST, SOFT, SHADOW)."""
        if flags not in self._composites:
            defines = "".join(
                f"#define {name} {int(on)}\n"
                for name, on in zip(("SHARP", "REST", "SOFT", "SHADOW"), flags, strict=True)
            )
            prog = self._program(_FULLSCREEN_VERTEX, "#version 330\n" + defines + _COMPOSITE_FRAGMENT)
            units = {"u_people": 1, "u_background": 2, "u_rest": 3, "u_blurred": 4, "u_shadow": 5}
            for name, unit in units.items():
                if name in prog:  # the compiler drops what a variant does not use
                    prog[name].value = unit
            prog["u_canvas"].value = self._canvas
            self._composites[flags] = (prog, self._keep(self._ctx.vertex_array(prog, [])))
        return self._composites[flags]

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
        if not 0 <= frame < motion.n_frames:
            raise RenderError(f"frame {frame}: the motion has frames 0 to {motion.n_frames - 1}")
        if self._ctx is None:
            raise RenderError("the gl renderer was closed; make a new one")
        people, contact, sigma = posed_people(self.rigs, motion, frame)
        meshes = [
            _triangle_vertices(dest, person.uv, person.triangles, tri_depth)
            for person, (dest, tri_depth) in zip(self._people, people, strict=True)
        ]
        cam = motion.camera[frame].astype(np.float64)
        # Which backgrounds this frame mixes, as frame.warp_background decides.
        blur = float(motion.blur[frame])
        reveal = float(motion.reveal[frame])
        soft = "blurred" in self._backgrounds and blur > 0.0
        sharp = not (soft and blur >= 1.0)
        rest = sharp and "rest" in self._backgrounds and reveal < 1.0
        flags = (sharp, rest, soft, contact > 0.0)
        with self._ctx:
            return self._draw(meshes, sigma, cam, flags, {
                "u_reveal": reveal, "u_blur": blur, "u_shadow_k": CONTACT_SHADOW * contact
            })

    def _draw(
        self,
        meshes: list[np.ndarray],
        sigma: float,
        cam: np.ndarray,
        flags: tuple[bool, bool, bool, bool],
        uniforms: dict[str, float],
    ) -> np.ndarray:
        width, height = self.size
        # 1. Each person into their half of the people image, triangles in order, the last wins.
        fbo = self._people_fbo
        fbo.color_mask = (True, True, True, True)
        fbo.use()
        fbo.clear(0.0, 0.0, 0.0, 0.0)
        for i, (person, vao, verts) in enumerate(zip(self._people, self._mesh_vaos, meshes, strict=True)):
            if not len(verts):
                continue
            fbo.color_mask = (i == 0, i == 0, i == 1, i == 1)
            fbo.use()
            person.vbo.write(verts.tobytes())
            person.parts.use(0)
            self._mesh_prog["u_part_size"].value = person.part_size
            self._mesh_prog["u_last_part"].value = person.last_part
            vao.render(vertices=len(verts))
        fbo.color_mask = (True, True, True, True)
        self._people_tex.use(1)

        prog, vao = self._composite(flags)

        # 2-3. The nearer person's alpha, made small and blurred: the contact shadow.
        if flags[3]:
            k, samples, weights = shadow_plan(sigma)
            a, fa, b, fb = self._small_targets(k)
            fa.use()
            self._near_prog["u_factor"].value = k
            self._near_prog["u_samples"].value = samples
            self._near_vao.render(vertices=3)
            padded = np.zeros(_MAX_TAPS + 1, np.float32)
            padded[: len(weights)] = weights
            self._blur_prog["u_weights"].write(padded.tobytes())
            self._blur_prog["u_radius"].value = len(weights) - 1
            for src, dst, direction in ((a, fb, (1, 0)), (b, fa, (0, 1))):
                src.use(5)
                dst.use()
                self._blur_prog["u_dir"].value = direction
                self._blur_vao.render(vertices=3)
            a.use(5)
            prog["u_shadow_scale"].value = (1.0 / (k * a.width), 1.0 / (k * a.height))

        # 4. Background, farther person, nearer person; one read-back.
        inv = np.linalg.inv(cam[:, :2])
        prog["u_cam_inv"].value = tuple(float(c) for c in inv.T.reshape(-1))
        prog["u_cam_t"].value = (float(cam[0, 2]), float(cam[1, 2]))
        for name, value in uniforms.items():
            if name in prog:
                prog[name].value = value
        self._out_fbo.use()
        vao.render(vertices=3)
        data = self._out_fbo.read(components=3, alignment=1)
        return np.frombuffer(data, np.uint8).reshape(height, width, 3)

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


def _rgba(image: np.ndarray) -> bytes:
    """uint8 (H, W, 3) → RGBA bytes, alpha 255."""
    h, w = image.shape[:2]
    out = np.full((h, w, 4), 255, np.uint8)
    out[..., :3] = image
    return out.tobytes()
