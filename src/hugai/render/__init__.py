"""Rendering backends behind one small interface: ``render(motion, frame) -> RGB uint8``."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from hugai.errors import RenderError
from hugai.types import Motion, Rig, Scene


class Renderer(Protocol):
    name: str

    def render(self, motion: Motion, frame: int) -> np.ndarray: ...

    def close(self) -> None: ...


def make_renderer(
    scene: Scene, rigs: tuple[Rig, Rig], size: tuple[int, int], backend: str = "auto"
) -> Renderer:
    """``numpy`` always works; ``gl`` needs OpenGL through EGL; ``auto`` tries gl, then numpy."""
    from hugai.render.numpy_backend import NumpyRenderer

    if backend not in ("auto", "gl", "numpy"):
        raise RenderError(f"backend {backend!r}: use auto, gl or numpy")
    if backend in ("auto", "gl"):
        try:
            from hugai.render.gl_backend import GLRenderer
        except ImportError as exc:
            if backend == "gl":
                raise RenderError(
                    f"the gl backend is not available ({exc}); use --backend numpy"
                ) from exc
        else:
            try:
                return GLRenderer(scene, rigs, size)
            except RenderError:
                if backend == "gl":
                    raise
    return NumpyRenderer(scene, rigs, size)
