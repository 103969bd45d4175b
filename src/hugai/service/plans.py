"""Plans: what a caller may ask for (resolution, length) and how much (per day, at once)."""

from __future__ import annotations

from dataclasses import dataclass

from hugai.config import HugConfig
from hugai.service.errors import OverPlanLimit
from hugai.service.settings import Settings


@dataclass(frozen=True)
class Plan:
    name: str
    videos_per_day: int
    max_size: int
    """Largest short side of the video, in pixels."""
    max_duration: float
    concurrent_jobs: int

    def check(self, config: HugConfig) -> None:
        """Raise ``OverPlanLimit`` when the request asks for more than the plan allows."""
        if config.size > self.max_size:
            raise OverPlanLimit(
                f"size {config.size}: the {self.name} plan makes videos up to {self.max_size} "
                f"pixels on the short side; ask for {self.max_size} or less"
            )
        if config.duration > self.max_duration:
            raise OverPlanLimit(
                f"duration {config.duration:g}: the {self.name} plan makes videos up to "
                f"{self.max_duration:g} seconds; ask for {self.max_duration:g} or less"
            )


PLANS: dict[str, Plan] = {
    p.name: p
    for p in (
        Plan("free", videos_per_day=10, max_size=720, max_duration=8.0, concurrent_jobs=1),
        Plan("standard", videos_per_day=200, max_size=1080, max_duration=12.0, concurrent_jobs=2),
        Plan("pro", videos_per_day=2000, max_size=2160, max_duration=12.0, concurrent_jobs=4),
    )
}


def anonymous_plan(settings: Settings) -> Plan:
    """The small free plan of the web page without a key, limited per client address."""
    return Plan(
        "anonymous",
        videos_per_day=settings.anon_videos_per_day,
        max_size=settings.anon_max_size,
        max_duration=settings.anon_max_duration,
        concurrent_jobs=settings.anon_concurrent_jobs,
    )
