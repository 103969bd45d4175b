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
layout(location = 0) out vec4 f_rgba;
layout(location = 1) out vec2 f_depth;   // (depth, 1 = covered)
void main() {
    vec2 p = gl_FragCoord.xy - 0.5;
    if (any(lessThan(p, v_box.xy)) || any(greaterThan(p, v_box.zw))) discard;
    // The stacked atlas row v lies in part floor(v / height); the layer's frame rows hold the
    // neighbouring rows of the stack, so bilinear lookups across a seam match the stack.
    float part = clamp(floor(v_uv.y / u_part_size.y), 0.0, u_last_part);
    vec2 local = vec2(v_uv.x, v_uv.y - part * u_part_size.y) + 1.0;
    f_rgba = texture(u_parts, vec3((local + 0.5) / (u_part_size + 2.0), part));
    f_depth = vec2(v_depth, 1.0);
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
uniform sampler2D u_rgba0;
uniform sampler2D u_rgba1;
uniform sampler2D u_depth0;
uniform sampler2D u_depth1;
uniform int u_factor;
uniform ivec2 u_size;      // output size
out float f_alpha;
void main() {
    ivec2 base = ivec2(gl_FragCoord.xy) * u_factor;
    ivec2 end = min(base + u_factor, u_size);
    float sum = 0.0;
    for (int y = base.y; y < end.y; ++y) {
        for (int x = base.x; x < end.x; ++x) {
            ivec2 q = ivec2(x, y);
            vec2 d0 = texelFetch(u_depth0, q, 0).rg;
            vec2 d1 = texelFetch(u_depth1, q, 0).rg;
            float z0 = d0.g > 0.5 ? d0.r : -3.0e38;
            float z1 = d1.g > 0.5 ? d1.r : -3.0e38;
            sum += z0 >= z1 ? texelFetch(u_rgba0, q, 0).a : texelFetch(u_rgba1, q, 0).a;
        }
    }
    f_alpha = sum / float((end.x - base.x) * (end.y - base.y));
}
"""

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
#version 330
uniform sampler2D u_background;
uniform sampler2D u_blurred;
uniform vec2 u_canvas;       // (width, height) of the background
uniform mat2 u_cam_inv;      // output pixels -> canvas pixels: src = u_cam_inv * (p - u_cam_t)
uniform vec2 u_cam_t;
uniform float u_blur;        // 0: sharp only, 1: blurred only, between: mixed
uniform sampler2D u_rgba0;
uniform sampler2D u_rgba1;
uniform sampler2D u_depth0;
uniform sampler2D u_depth1;
uniform sampler2D u_shadow;
uniform vec2 u_shadow_scale; // 1 / (factor * small size)
uniform float u_shadow_k;    // CONTACT_SHADOW * contact
out vec4 f_color;

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
    vec3 bg;
    if (u_blur <= 0.0) {
        bg = warped(u_background, src);
    } else if (u_blur >= 1.0) {
        bg = warped(u_blurred, src);
    } else {   // cv2.addWeighted, rounded to uint8
        bg = floor(warped(u_background, src) * (1.0 - u_blur) + warped(u_blurred, src) * u_blur + 0.5);
    }
    ivec2 q = ivec2(gl_FragCoord.xy);
    vec4 c0 = texelFetch(u_rgba0, q, 0);
    vec4 c1 = texelFetch(u_rgba1, q, 0);
    vec2 d0 = texelFetch(u_depth0, q, 0).rg;
    vec2 d1 = texelFetch(u_depth1, q, 0).rg;
    float z0 = d0.g > 0.5 ? d0.r : -3.0e38;
    float z1 = d1.g > 0.5 ? d1.r : -3.0e38;
    bool first_near = z0 >= z1;
    vec4 near = first_near ? c0 : c1;
    vec4 far = first_near ? c1 : c0;
    vec3 far_rgb = far.rgb * 255.0;
    if (u_shadow_k > 0.0) {
        far_rgb *= 1.0 - u_shadow_k * texture(u_shadow, gl_FragCoord.xy * u_shadow_scale).r;
    }
    vec3 outc = far_rgb * far.a + bg * (1.0 - far.a);
    outc = near.rgb * 255.0 * near.a + outc * (1.0 - near.a);
    f_color = vec4(clamp(outc, 0.0, 255.0) / 255.0, 1.0);
}
"""


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
    p = dest[triangles]  # (T, 3, 2)
    d = np.ones((len(triangles), 3, 3))
    d[:, :2, :] = p.transpose(0, 2, 1)
    det = np.linalg.det(d)
    ok = np.abs(det) > 1e-6
    p, d = p[ok], d[ok]
    s = uv[triangles[ok]].transpose(0, 2, 1)  # (T, 2, 3)
    affine = s @ np.linalg.inv(d)  # (T, 2, 3), output pixels -> atlas pixels

    q = np.round(p * _SUBPIXEL) / _SUBPIXEL
    edge = np.roll(q, -1, axis=1) - q  # edge i runs from vertex i to vertex i + 1
    normal = np.stack([edge[..., 1], -edge[..., 0]], axis=-1)
    centroid = q.mean(axis=1, keepdims=True)
    inward = np.einsum("tij,tij->ti", normal, centroid - q) > 0
    normal[inward] *= -1.0
    length = np.linalg.norm(normal, axis=-1, keepdims=True)
    normal = normal / np.maximum(length, 1e-12)
    offset = 0.5 * np.abs(normal).max(axis=-1)  # (T, 3)
    # Vertex i lies on edges i - 1 and i: move it to where the two moved edges meet.
    n_prev = np.roll(normal, 1, axis=1)
    o_prev = np.roll(offset, 1, axis=1)
    a = np.stack([n_prev, normal], axis=-2)  # (T, 3, 2, 2)
    b = np.stack([o_prev, offset], axis=-1)  # (T, 3, 2)
    det2 = a[..., 0, 0] * a[..., 1, 1] - a[..., 0, 1] * a[..., 1, 0]
    safe = np.abs(det2) > 1e-9
    det2 = np.where(safe, det2, 1.0)
    shift = np.stack(
        [
            (b[..., 0] * a[..., 1, 1] - b[..., 1] * a[..., 0, 1]) / det2,
            (a[..., 0, 0] * b[..., 1] - a[..., 1, 0] * b[..., 0]) / det2,
        ],
        axis=-1,
    )
    shift = np.where(safe[..., None], shift, 0.0)
    # A needle's mitre can reach far; the box below trims it, so cap it to keep it cheap.
    norm = np.linalg.norm(shift, axis=-1, keepdims=True)
    shift *= np.minimum(1.0, 4.0 / np.maximum(norm, 1e-12))
    wide = q + shift

    out = np.empty((len(p), 3, _FLOATS_PER_VERTEX), np.float32)
    out[..., 0:2] = wide
    out[..., 2:4] = np.einsum("tij,tvj->tvi", affine[..., :2], wide) + affine[:, None, :, 2]
    out[..., 4] = tri_depth[ok][:, None]
    # OpenCV's scanlines run from round(min y) to round(max y), spans likewise in x.
    lo = np.floor(q.min(axis=1) + 0.5)
    hi = np.floor(q.max(axis=1) + 0.5)
    out[..., 5:7] = lo[:, None, :]
    out[..., 7:9] = hi[:, None, :]
    return out.reshape(-1, _FLOATS_PER_VERTEX)


def shadow_plan(sigma: float) -> tuple[int, float, np.ndarray]:
    """How to blur the shadow: (factor k, sigma on the k× smaller image, half kernel weights).

    A k-box average (variance (k²-1)/12), a Gaussian of sigma s on the small image (variance
    s²k²) and bilinear upsampling (a tent, variance k²/6) together match ``cv2.GaussianBlur``'s
    variance sigma². The kernel's half-width follows OpenCV's rule for float images (4 sigma).
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
    return k, small, w.astype(np.float32)


class _Person:
    """A person's parts as a texture array (uploaded once) and their framebuffer at output size."""

    def __init__(self, ctx: Any, rig: Rig, size: tuple[int, int], max_size: int, max_layers: int):
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
        self.parts = ctx.texture_array((w + 2, h + 2, parts), 4, np.ascontiguousarray(framed))
        self.parts.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.parts.repeat_x = False
        self.parts.repeat_y = False
        self.part_size = (float(w), float(h))
        self.last_part = float(parts - 1)
        self.uv = atlas_uv(rig)
        self.triangles = rig.triangles.astype(np.int64)
        self.capacity = 3 * len(rig.triangles)
        self.vbo = ctx.buffer(reserve=max(1, self.capacity) * _FLOATS_PER_VERTEX * 4, dynamic=True)
        self.rgba = ctx.texture(size, 4)
        self.depth = ctx.texture(size, 2, dtype="f4")
        for t in (self.rgba, self.depth):
            t.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self.fbo = ctx.framebuffer(color_attachments=[self.rgba, self.depth])

    def release(self) -> None:
        for obj in (self.fbo, self.rgba, self.depth, self.vbo, self.parts):
            obj.release()


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
        self._ctx = ctx
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
        if width > max_size or height > max_size:
            raise RenderError(
                f"output {width}x{height} exceeds this OpenGL's {max_size}-pixel limit; "
                "use --backend numpy"
            )
        for rig in self.rigs:
            self._people.append(_Person(ctx, rig, self.size, max_size, max_layers))

        bg = self.scene.background
        ch, cw = bg.shape[:2]
        if cw > max_size or ch > max_size:
            raise RenderError(
                f"background {cw}x{ch} exceeds this OpenGL's {max_size}-pixel limit; "
                "use --backend numpy"
            )
        self._canvas = (float(cw), float(ch))
        self._background = self._keep(ctx.texture((cw, ch), 3, np.ascontiguousarray(bg)))
        blurred = self.scene.blurred
        self._has_blurred = blurred is not None
        self._blurred = (
            self._keep(ctx.texture((cw, ch), 3, np.ascontiguousarray(blurred)))
            if blurred is not None
            else self._background
        )
        for t in (self._background, self._blurred):
            t.filter = (moderngl.LINEAR, moderngl.LINEAR)
            t.repeat_x = False
            t.repeat_y = False

        self._mesh_prog = self._keep(
            ctx.program(vertex_shader=_MESH_VERTEX, fragment_shader=_MESH_FRAGMENT)
        )
        self._near_prog = self._keep(
            ctx.program(vertex_shader=_FULLSCREEN_VERTEX, fragment_shader=_NEAR_ALPHA_FRAGMENT)
        )
        self._blur_prog = self._keep(
            ctx.program(vertex_shader=_FULLSCREEN_VERTEX, fragment_shader=_BLUR_FRAGMENT)
        )
        self._comp_prog = self._keep(
            ctx.program(vertex_shader=_FULLSCREEN_VERTEX, fragment_shader=_COMPOSITE_FRAGMENT)
        )
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
        self._comp_vao = self._keep(ctx.vertex_array(self._comp_prog, []))
        self._out_tex = self._keep(ctx.texture(self.size, 4))
        self._out_fbo = self._keep(ctx.framebuffer(color_attachments=[self._out_tex]))

        self._mesh_prog["u_size"].value = (float(width), float(height))
        self._mesh_prog["u_parts"].value = 0
        # Texture units: 0 parts (mesh pass); 1-4 people; 5 background, 6 blurred; 7 shadow.
        for prog in (self._near_prog, self._comp_prog):
            for name, unit in (("u_rgba0", 1), ("u_rgba1", 2), ("u_depth0", 3), ("u_depth1", 4)):
                prog[name].value = unit
        self._near_prog["u_size"].value = (width, height)
        self._blur_prog["u_src"].value = 7
        self._comp_prog["u_background"].value = 5
        self._comp_prog["u_blurred"].value = 6
        self._comp_prog["u_shadow"].value = 7
        self._comp_prog["u_canvas"].value = self._canvas
        ctx.disable(moderngl.BLEND | moderngl.DEPTH_TEST | moderngl.CULL_FACE)

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
        people, contact, sigma = posed_people(self.rigs, motion, frame)
        cam = motion.camera[frame].astype(np.float64)
        with self._ctx:
            return self._draw(people, contact, sigma, cam, float(motion.blur[frame]))

    def _draw(
        self,
        people: list[tuple[np.ndarray, np.ndarray]],
        contact: float,
        sigma: float,
        cam: np.ndarray,
        blur: float,
    ) -> np.ndarray:
        ctx = self._ctx
        width, height = self.size
        # 1. Each person into their own framebuffer, triangles in order, the last one wins.
        for person, vao, (dest, tri_depth) in zip(self._people, self._mesh_vaos, people, strict=True):
            verts = _triangle_vertices(dest, person.uv, person.triangles, tri_depth)
            person.fbo.use()
            person.fbo.clear(0.0, 0.0, 0.0, 0.0)
            if len(verts):
                person.vbo.write(verts.tobytes())
                person.parts.use(0)
                self._mesh_prog["u_part_size"].value = person.part_size
                self._mesh_prog["u_last_part"].value = person.last_part
                vao.render(vertices=len(verts))
        for unit, person in enumerate(self._people):
            person.rgba.use(1 + unit)
            person.depth.use(3 + unit)

        # 2-3. The nearer person's alpha, made small, blurred: the contact shadow.
        shadow_k = CONTACT_SHADOW * contact
        if shadow_k > 0.0:
            k, _, weights = shadow_plan(sigma)
            a, fa, b, fb = self._small_targets(k)
            fa.use()
            self._near_prog["u_factor"].value = k
            self._near_vao.render(vertices=3)
            padded = np.zeros(_MAX_TAPS + 1, np.float32)
            padded[: len(weights)] = weights
            self._blur_prog["u_weights"].write(padded.tobytes())
            self._blur_prog["u_radius"].value = len(weights) - 1
            for src, dst, direction in ((a, fb, (1, 0)), (b, fa, (0, 1))):
                src.use(7)
                dst.use()
                self._blur_prog["u_dir"].value = direction
                self._blur_vao.render(vertices=3)
            a.use(7)
            self._comp_prog["u_shadow_scale"].value = (1.0 / (k * a.width), 1.0 / (k * a.height))
        self._comp_prog["u_shadow_k"].value = shadow_k

        # 4. Background, farther person, nearer person; one read-back.
        inv = np.linalg.inv(cam[:, :2])
        self._comp_prog["u_cam_inv"].value = tuple(float(v) for v in inv.T.reshape(-1))
        self._comp_prog["u_cam_t"].value = (float(cam[0, 2]), float(cam[1, 2]))
        self._comp_prog["u_blur"].value = blur if self._has_blurred else 0.0
        self._background.use(5)
        self._blurred.use(6)
        self._out_fbo.use()
        self._comp_vao.render(vertices=3)
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
