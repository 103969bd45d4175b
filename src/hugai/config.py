"""The one frozen, validated parameter object of a render (duration, fps, size, aspect, style)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from hugai.errors import InputError

ASPECTS: dict[str, tuple[int, int]] = {
    "16:9": (16, 9),
    "4:3": (4, 3),
    "1:1": (1, 1),
    "4:5": (4, 5),
    "3:4": (3, 4),
    "9:16": (9, 16),
}
STYLES = ("hug", "lean")
FORMATS = ("mp4",)


@dataclass(frozen=True)
class HugConfig:
    """What the user asked for. Construct it and it validates itself (raises ``InputError``).

    duration: video length in seconds (4–8 recommended, 2–12 accepted).
    fps: frames per second (12–60).
    size: the short side of the output in pixels (e.g. 720 for 720p; 240–2160).
    aspect: "auto" (closest standard aspect to the photo) or one of ``ASPECTS``.
    style: "hug" (arms wrap where the photo allows) or "lean" (a lean-in cuddle, arms stay).
    seed: varies the small random parts (sway phase, breathing), the result is deterministic.
    """

    duration: float = 5.0
    fps: int = 30
    size: int = 720
    aspect: str = "auto"
    style: str = "hug"
    seed: int = 0
    crf: int = 20

    def __post_init__(self) -> None:
        if not 2.0 <= float(self.duration) <= 12.0:
            raise InputError(f"duration {self.duration!r}: use 2 to 12 seconds (4 to 8 look best)")
        if not isinstance(self.fps, int) or not 12 <= self.fps <= 60:
            raise InputError(f"fps {self.fps!r}: use a whole number from 12 to 60")
        if not isinstance(self.size, int) or not 240 <= self.size <= 2160:
            raise InputError(f"size {self.size!r}: use a short side from 240 to 2160 pixels")
        if self.aspect != "auto" and self.aspect not in ASPECTS:
            raise InputError(f"aspect {self.aspect!r}: use auto or one of {', '.join(ASPECTS)}")
        if self.style not in STYLES:
            raise InputError(f"style {self.style!r}: use one of {', '.join(STYLES)}")
        if not 0 <= self.crf <= 51:
            raise InputError(f"crf {self.crf!r}: use 0 (lossless) to 51")

    @property
    def n_frames(self) -> int:
        return max(2, round(self.duration * self.fps))

    def output_size(self, photo_w: int, photo_h: int) -> tuple[int, int]:
        """(width, height) of the video, both even, for a photo of the given size."""
        if self.aspect == "auto":
            ratio = photo_w / photo_h
            name = min(ASPECTS, key=lambda k: abs(_log_ratio(ASPECTS[k]) - _log(ratio)))
        else:
            name = self.aspect
        aw, ah = ASPECTS[name]
        if aw >= ah:
            h = self.size
            w = round(self.size * aw / ah)
        else:
            w = self.size
            h = round(self.size * ah / aw)
        return w - w % 2, h - h % 2


def _log(x: float) -> float:
    return math.log(x)


def _log_ratio(a: tuple[int, int]) -> float:
    return _log(a[0] / a[1])
