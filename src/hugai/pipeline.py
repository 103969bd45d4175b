"""The one public call: photo(s) in, hug video out, in numbered steps. No maths here.

photo(s) ─► perceive ─► scene ─► rig ─► choreograph ─► render ─► encode ─► video
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hugai.config import HugConfig
from hugai.errors import HugError, InputError
from hugai.load import load_photo
from hugai.perceive.models import (
    FaceFinder,
    MediapipeFaces,
    MediapipePose,
    PersonFinder,
    PoseEstimator,
    default_finders,
)
from hugai.types import HugResult, Photo, Progress, StageTiming

PhotoSource = str | Path | bytes | Photo


@dataclass(frozen=True)
class Models:
    """The perception models; tests pass fakes, everything else uses ``Models.default()``."""

    finders: tuple[PersonFinder, ...]
    faces: FaceFinder
    pose: PoseEstimator

    @staticmethod
    def default() -> Models:
        faces = MediapipeFaces()
        return Models(finders=tuple(default_finders()), faces=faces, pose=MediapipePose())


def make_hug(
    photos: Sequence[PhotoSource],
    output: str | Path,
    config: HugConfig | None = None,
    *,
    progress: Progress | None = None,
    debug_dir: str | Path | None = None,
    models: Models | None = None,
    backend: str = "auto",
) -> HugResult:
    """Make a hug video from one photo of two people or two photos of one person each.

    Raises a ``hugai.errors.HugError`` subclass for anything wrong with the input or output.
    ``progress(stage, fraction)`` is called as each stage advances.
    """
    from hugai.choreograph import choreograph
    from hugai.debug import contact_sheet
    from hugai.encode.video import check_writable, encode_video
    from hugai.perceive.people import perceive
    from hugai.render import make_renderer
    from hugai.rig.build import build_rigs
    from hugai.scene.build import build_scene

    config = config or HugConfig()
    out = Path(output)
    report = progress or (lambda stage, frac: None)
    if not 1 <= len(photos) <= 2:
        raise InputError(
            f"got {len(photos)} photos; pass one photo of two people or two photos of one person"
        )
    check_writable(out)
    timings: list[StageTiming] = []

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        report(name, 0.0)
        t0 = time.perf_counter()
        yield
        timings.append(StageTiming(name, time.perf_counter() - t0))
        report(name, 1.0)

    # 1. Perceive: decode, find the two people, their poses and masks.
    with stage("perceive"):
        loaded = load_photos(photos)
        m = models or _default_models()
        perception = perceive(loaded, m.finders, m.faces, m.pose)

    # 2. Scene: the canvas, person layers with clean edges, the background filled.
    with stage("scene"):
        scene = build_scene(perception, config)

    # 3. Rig: skeleton and skinned mesh per person.
    with stage("rig"):
        rigs = build_rigs(scene, config)

    # 4. Choreograph: per-frame bone poses, depth order and camera.
    with stage("choreograph"):
        motion = choreograph(scene, rigs, config)

    # 5-6. Render every frame and encode as they come (the encoder runs in its own thread).
    width, height = config.output_size(scene.photo.shape[1], scene.photo.shape[0])
    renderer = make_renderer(scene, rigs, (width, height), backend=backend)
    n = config.n_frames

    def frames() -> Iterator[np.ndarray]:
        for i in range(n):
            yield renderer.render(motion, i)
            if i % 5 == 0 or i == n - 1:
                report("render", (i + 1) / n)

    sheet = None
    try:
        with stage("render"):
            encode_seconds = encode_video(
                frames(), out, config.fps, (width, height), crf=config.crf
            )
        if debug_dir is not None:
            sheet = contact_sheet(scene, rigs, motion, renderer, Path(debug_dir), out.stem)
    finally:
        # A worker process makes many videos: a failed one must not keep its GL context.
        renderer.close()
    # Rendering and encoding overlap; the encoder's own busy time is reported apart.
    render_total = timings.pop()
    timings.append(StageTiming("render", max(0.0, render_total.seconds - encode_seconds)))
    timings.append(StageTiming("encode", encode_seconds))
    return HugResult(
        video=out,
        frames_count=n,
        fps=config.fps,
        width=width,
        height=height,
        plan=motion.plan,
        notes=perception.notes + scene.notes,
        timings=tuple(timings),
        debug_sheet=sheet,
        people_boxes=tuple(tuple(float(v) for v in p.box) for p in perception.people),  # type: ignore[misc]
    )


_MODELS: Models | None = None


def _default_models() -> Models:
    """Built once per process; the MediaPipe graphs inside are per thread."""
    global _MODELS
    if _MODELS is None:
        _MODELS = Models.default()
    return _MODELS


def warm_up() -> None:
    """Load the default models and run each once in this thread, with the start-up chatter
    filtered (``native_logs``): for a long-running worker, before its first job, so the chatter
    stays out of its log and the first job does not pay for the loading. MediaPipe prints some
    of it only when a graph first finds someone, so this runs on the bundled sample portrait
    (public domain), with a crop that is not square as a person's box seldom is."""
    from importlib.resources import as_file, files

    from hugai.native_logs import filtered_native_stderr

    with as_file(files("hugai") / "samples" / "astronaut.jpg") as path:
        image = load_photo(path).image
    h, w = image.shape[:2]
    with filtered_native_stderr():
        m = _default_models()
        for finder in m.finders:
            finder.find(image)
        m.faces.faces(image)
        m.pose.estimate(image, np.array([0.1 * w, 0, 0.9 * w, h], np.float32))


def load_photos(sources: Sequence[PhotoSource], names: Sequence[str] | None = None) -> list[Photo]:
    """Decode each photo (``names`` label bytes); errors say which photo (0-based) is bad."""
    out = []
    for i, p in enumerate(sources):
        try:
            out.append(p if isinstance(p, Photo) else load_photo(p, names[i] if names else None))
        except HugError as exc:
            if exc.photo is None:
                exc.photo = i
            raise
    return out
