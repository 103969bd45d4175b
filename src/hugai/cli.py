"""The ``hugai`` command line. Errors become one clear line and a distinct exit code."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import NoReturn

import click

from hugai.config import ASPECTS, STYLES, HugConfig
from hugai.errors import HugError
from hugai.types import Progress

_output_option = click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=Path("hug.mp4"),
    show_default=True,
    help="Where to write the video (MP4, H.264).",
)
_debug_option = click.option(
    "--debug",
    "debug_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write a contact sheet (frames with skeletons and the arm plan) into this folder.",
)
_quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bar.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hugai")
def cli() -> None:
    """HugAI: turn photos of two people into a short, warm hug video, on your own computer."""


@cli.command()
@click.argument("photos", nargs=-1, required=True, type=click.Path(path_type=Path))
@_output_option
@click.option(
    "--duration", type=float, default=5.0, show_default=True, help="Length in seconds (2–12)."
)
@click.option("--fps", type=int, default=30, show_default=True, help="Frames per second (12–60).")
@click.option(
    "--size",
    type=int,
    default=720,
    show_default=True,
    help="Short side of the video in pixels (720 = 720p; 240–2160).",
)
@click.option(
    "--aspect",
    type=click.Choice(["auto", *ASPECTS]),
    default="auto",
    show_default=True,
    help="Frame shape; auto picks the one closest to the photo.",
)
@click.option(
    "--style",
    type=click.Choice(list(STYLES)),
    default="hug",
    show_default=True,
    help="hug: arms wrap where the photo shows them free; lean: a lean-in cuddle, arms stay.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Varies sway and breathing.")
@_debug_option
@click.option(
    "--backend",
    type=click.Choice(["auto", "gl", "numpy"]),
    default="auto",
    show_default=True,
    help="Renderer: gl (OpenGL via EGL, fastest) or numpy (always works); auto tries gl first.",
)
@_quiet_option
def make(
    photos: tuple[Path, ...],
    output: Path,
    duration: float,
    fps: int,
    size: int,
    aspect: str,
    style: str,
    seed: int,
    debug_dir: Path | None,
    backend: str,
    quiet: bool,
) -> None:
    """Make a hug video from PHOTOS: one photo of two people, or two photos (left, right).

    \b
    Examples:
      hugai make couple.jpg -o hug.mp4
      hugai make mom.jpg me.jpg -o hug.mp4
      hugai make couple.jpg --duration 6 --aspect 9:16 --debug out/
    """
    try:
        config = HugConfig(
            duration=duration, fps=fps, size=size, aspect=aspect, style=style, seed=seed
        )
    except HugError as exc:
        _fail(exc)
    _render(list(photos), output, config, debug_dir, backend, quiet)


@cli.command()
@_output_option
@_debug_option
@_quiet_option
def demo(output: Path, debug_dir: Path | None, quiet: bool) -> None:
    """Render the bundled public-domain sample (two photos: Eileen Collins, Grace Hopper)."""
    from importlib.resources import as_file, files

    samples = files("hugai") / "samples"
    with as_file(samples / "astronaut.jpg") as a, as_file(samples / "grace_hopper.jpg") as b:
        _render([a, b], output, HugConfig(), debug_dir, "auto", quiet)


def _render(
    photos: list[Path],
    output: Path,
    config: HugConfig,
    debug_dir: Path | None,
    backend: str,
    quiet: bool,
) -> None:
    """Make the video with a progress bar; print where it went, how long it took and the plan."""
    from hugai.native_logs import filtered_native_stderr
    from hugai.pipeline import make_hug

    t0 = time.perf_counter()
    try:
        with _progress(quiet) as report, filtered_native_stderr():
            result = make_hug(
                photos, output, config, progress=report, debug_dir=debug_dir, backend=backend
            )
    except HugError as exc:
        _fail(exc)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(
        f"Wrote {result.video} ({result.width}×{result.height}, {result.duration:.1f} s) "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    for line in result.plan:
        click.echo(f"  plan: {line}")
    if result.debug_sheet is not None:
        click.echo(f"  contact sheet: {result.debug_sheet}")


def _fail(exc: HugError) -> NoReturn:
    click.echo(f"hugai: error: {exc}", err=True)
    sys.exit(exc.exit_code)


class _progress:
    """A rich progress bar with one row per stage (or nothing when quiet / not a terminal)."""

    STAGES = ("perceive", "scene", "rig", "choreograph", "render")

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __enter__(self) -> Progress:
        if self.quiet:
            return lambda stage, frac: None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.bar.start()
        self.tasks = {s: self.bar.add_task(s, total=1.0) for s in self.STAGES}

        def report(stage: str, frac: float) -> None:
            if stage in self.tasks:
                self.bar.update(self.tasks[stage], completed=frac)

        return report

    def __exit__(self, *exc: object) -> None:
        if not self.quiet:
            self.bar.stop()


# --- service commands (serve, worker, keys) are registered below this line ---
from hugai.service.cli import keys, serve, worker  # noqa: E402

cli.add_command(serve)
cli.add_command(worker)
cli.add_command(keys)

# --- bench command is registered below this line ---


@cli.command(
    "bench",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench_command(args: tuple[str, ...]) -> None:
    """Benchmark quality and speed on the test photos (same options as `python -m bench`)."""
    import importlib

    import hugai

    checkout = Path(hugai.__file__).resolve().parents[2]
    if (checkout / "bench" / "cli.py").is_file() and str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    try:
        bench_cli = importlib.import_module("bench.cli")
    except ImportError:
        click.echo(
            "hugai: the benchmark lives in the source checkout, not in the installed package; "
            "run `python -m bench` from the repository root (pip install -e '.[bench]' first)",
            err=True,
        )
        sys.exit(2)
    sys.exit(bench_cli.main(list(args), prog="hugai bench"))


def main() -> None:
    cli(prog_name="hugai")


if __name__ == "__main__":
    main()
