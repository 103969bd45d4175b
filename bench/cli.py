"""``python -m bench``: render the test photos, measure the videos, print and save the tables.

Rows: every category-A photo (``A_*``: one photo of two people) and ``--pairs`` two-photo pairs of
category-B photos (``B_*``: one person each). Then a calibration row (a camera-only push-in on the
first good photo: the metrics' own noise floor) and the cost curve over output size and duration.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from bench import report
from bench.render import REPO_ROOT, RenderRun, RenderSpec, render_in_subprocess
from bench.timer import Stopwatch

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"}
DEFAULT_PHOTOS = REPO_ROOT.parent / "shared" / "photos"
DEFAULT_OUT = REPO_ROOT / "bench" / "out"
QUICK = RenderSpec(size=240, duration=2.0, fps=12)
SCALING_SIZES = (480, 720, 1080)
SCALING_DURATIONS = (3.0, 5.0, 10.0)
PREFERRED = "A_prom_couple"


def parse_args(argv: Sequence[str] | None, prog: str = "python -m bench") -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog=prog,
        description="Render every test photo with HugAI, measure the videos, print the tables.",
    )
    p.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS, help="folder with A_*/B_* photos")
    p.add_argument("--size", type=int, default=720, help="short side of the videos (default 720)")
    p.add_argument("--duration", type=float, default=5.0, help="seconds (default 5)")
    p.add_argument("--fps", type=int, default=30, help="frames per second (default 30)")
    p.add_argument("--backend", default="auto", choices=["auto", "gl", "numpy"])
    p.add_argument("--only", metavar="NAME", help="only rows whose name contains NAME")
    p.add_argument("--pairs", type=int, default=3, help="two-photo pairs of B_* photos (default 3)")
    p.add_argument("--no-scaling", action="store_true", help="skip the size/duration cost curve")
    p.add_argument("--no-calibration", action="store_true", help="skip the camera-only row")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: one photo, 240p, 2 s, 12 fps, no pairs, calibration or scaling",
    )
    p.add_argument("--out", type=Path, help=f"videos and results go here (default {DEFAULT_OUT})")
    p.add_argument("--json", type=Path, help="write the JSON here (default OUT/results.json)")
    return p.parse_args(argv)


def find_jobs(folder: Path, pairs: int) -> list[tuple[str, str, list[Path]]]:
    """(name, kind, photos) for each A photo and each B pair (sorted; i-th with i-th from last)."""
    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES)
    jobs = [(f.stem, "A", [f]) for f in files if f.name.startswith("A_")]
    singles = [f for f in files if f.name.startswith("B_")]
    for i in range(min(pairs, len(singles) // 2)):
        a, b = singles[i], singles[-1 - i]
        jobs.append((f"{a.stem} + {b.stem}", "B pair", [a, b]))
    return jobs


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        rev, dirty = "", ""
    mem = 0
    with contextlib.suppress(ValueError, OSError):
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gib": round(mem / report.GIB, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "git": rev + ("+local changes" if dirty else ""),
    }


class Bench:
    def __init__(self, args: argparse.Namespace, out: Path) -> None:
        self.args = args
        self.out = out
        self._measurer: Any = None
        self.measure_note = ""

    def measurer(self) -> Any:
        if self._measurer is None and not self.measure_note:
            from bench.faces import dlib_available

            if not dlib_available():
                self.measure_note = "quality not measured: pip install '.[bench]' (dlib-bin, ...)"
            else:
                from bench.measure import Measurer

                self._measurer = Measurer()
        return self._measurer

    def video_path(self, name: str, spec: RenderSpec) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        return self.out / f"{safe}_{spec.size}p_{spec.duration:g}s_{spec.fps}fps.mp4"

    def render_row(
        self, name: str, kind: str, photos: list[Path], spec: RenderSpec, measure: bool
    ) -> dict[str, Any]:
        video = self.video_path(name, spec)
        log(f"[bench] {name}: rendering {spec.size}p {spec.duration:g}s {spec.fps}fps ...")
        run = render_in_subprocess(photos, video, spec)
        row = run_to_row(name, kind, run)
        if not run.ok:
            log(f"[bench] {name}: {run.error}: {run.message}")
            return row
        log(f"[bench] {name}: {run.total_s:.2f} s total, measuring ...")
        floor = encode_floor_of(video, run)
        row["encode_floor_s"] = floor.seconds
        row["encode_floor_how"] = floor.how
        row["total_over_floor"] = run.total_s / floor.seconds if floor.seconds > 0 else None
        if measure:
            row["quality"] = self.measure(video, photos, run.people_boxes)
        return row

    def measure(
        self, video: Path, photos: list[Path], people_boxes: list[list[float]]
    ) -> dict[str, Any] | None:
        m = self.measurer()
        if m is None:
            return None
        from hugai.load import load_photo

        images = [load_photo(p).image for p in photos]
        boxes = [np.asarray(b, np.float32) for b in people_boxes] if people_boxes else None
        q = m.measure(video, images, boxes)
        result: dict[str, Any] = q.to_json()
        return result

    def calibration_row(self, base: dict[str, Any]) -> dict[str, Any]:
        """The same metrics on a clip where only the camera moves (a 1.3× push-in on the photo,
        at the base row's size, length and rate): what they read when nothing is wrong."""
        from bench.synthetic import push_in
        from bench.video import write_video
        from hugai.config import HugConfig
        from hugai.load import load_photo

        photos = [Path(p) for p in base["photos"]]
        image = load_photo(photos[0]).image
        boxes = base["people_boxes"]
        target = None
        if boxes:
            b = np.asarray(boxes, np.float64)
            target = (
                float(b[:, [0, 2]].mean()),
                float(b[:, 1].mean() + 0.25 * (b[:, 3] - b[:, 1]).mean()),
            )
        name = f"calibration: {base['name']} (camera push-in only)"
        video = self.out / f"calibration_{Path(base['photos'][0]).stem}.mp4"
        log(f"[bench] {name}: making and measuring ...")
        frames = push_in(image, (base["width"], base["height"]), base["frames"], 1.3, target)
        write_video(frames, video, base["fps"], crf=HugConfig().crf)
        del frames
        row = {
            "name": name,
            "kind": "calibration",
            "photos": base["photos"][:1],
            "video": str(video),
            "status": "ok",
            "message": "",
            "config": base["config"],
            "quality": self.measure(video, photos[:1], boxes),
        }
        return row


def encode_floor_of(video: Path, run: RenderRun) -> Any:
    from bench.video import decode_frames, encode_floor
    from hugai.config import HugConfig

    frames = list(decode_frames(video))
    with tempfile.TemporaryDirectory(prefix="hugai-floor-") as tmp:
        floor = encode_floor(frames, run.fps, HugConfig().crf, Path(tmp) / "floor.mp4")
    del frames
    gc.collect()
    return floor


def run_to_row(name: str, kind: str, run: RenderRun) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": name,
        "kind": kind,
        "photos": run.photos,
        "video": run.video,
        "status": "ok" if run.ok else run.error,
        "message": run.message,
        "config": asdict(run.spec),
        "quality": None,
    }
    if run.ok:
        row.update(
            timings=run.timings,
            total_s=run.total_s,
            rtf=run.total_s / run.duration if run.duration else None,
            call_wall_s=run.call_wall_s,
            process_wall_s=run.process_wall_s,
            peak_rss_bytes=run.peak_rss_bytes,
            frames=run.frames,
            width=run.width,
            height=run.height,
            fps=run.fps,
            renderer=run.renderer,
            people_boxes=run.people_boxes,
            plan=run.plan,
            notes=run.notes,
        )
    return row


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None, prog: str = "python -m bench") -> int:
    """Run the bench; returns the exit status (0, or 2 when there is nothing to render)."""
    args = parse_args(argv, prog)
    if not args.photos.is_dir():
        log(f"bench: {args.photos}: no such folder; pass --photos DIR with A_*/B_* photos")
        return 2
    out = args.out or DEFAULT_OUT
    out.mkdir(parents=True, exist_ok=True)
    spec = RenderSpec(args.size, args.duration, args.fps, args.backend)
    jobs = find_jobs(args.photos, 0 if args.quick else args.pairs)
    if args.quick:
        spec = RenderSpec(QUICK.size, QUICK.duration, QUICK.fps, args.backend)
        singles = [j for j in jobs if j[1] == "A"]
        jobs = [j for j in singles if j[0] == PREFERRED] or singles[:1]
    if args.only:
        jobs = [j for j in jobs if args.only.lower() in j[0].lower()]
    if not jobs:
        log(f"bench: no photos to render in {args.photos} (A_* files, B_* pairs)")
        return 2

    bench = Bench(args, out)
    at_start = machine()["git"]
    with Stopwatch() as wall:
        rows = [bench.render_row(name, kind, photos, spec, True) for name, kind, photos in jobs]
        good = [r for r in rows if r["status"] == "ok" and r["kind"] == "A"]
        good.sort(key=lambda r: r["name"] != PREFERRED)
        if good and not (args.quick or args.no_calibration) and good[0].get("quality"):
            rows.append(bench.calibration_row(good[0]))
        scaling: list[dict[str, Any]] = []
        if good and not (args.quick or args.no_scaling):
            base = good[0]
            combos = [(s, args.duration) for s in SCALING_SIZES]
            combos += [(args.size, d) for d in SCALING_DURATIONS if (args.size, d) not in combos]
            for size, duration in combos:
                s = RenderSpec(size, duration, args.fps, args.backend)
                photos = [Path(p) for p in base["photos"]]
                scaling.append(
                    bench.render_row(f"scaling {base['name']}", "scaling", photos, s, False)
                )

    command = shlex.join(["python", "-m", "bench", *(sys.argv[1:] if argv is None else argv)])
    info = machine()
    if info["git"] != at_start:
        info["git"] = f"{at_start} at the start, {info['git']} at the end (changed mid-run)"
    result = {
        "command": command,
        "machine": info,
        "bench_wall_s": wall.seconds,
        "measure_note": bench.measure_note,
        "targets": {
            **{k: str(v) for k, v in report.QUALITY_TARGETS.items()},
            "rtf": "<= 1 (<= 2 at 1080p)",
            "total_s_720p_5s_30fps": str(report.TOTAL_720P_5S),
            "total_over_floor": str(report.TOTAL_OVER_FLOOR),
            "peak_rss_gib": str(report.PEAK_RSS_GIB),
        },
        "rows": rows,
        "scaling": scaling,
    }
    md = render_markdown(result)
    print(md)
    json_path = args.json or out / "results.json"
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(result, indent=1))
    (out / "results.md").write_text(md + "\n")
    log(f"[bench] wrote {json_path} and {out / 'results.md'} in {wall.seconds:.0f} s")
    return 0


def render_markdown(result: dict[str, Any]) -> str:
    m = result["machine"]
    rows = result["rows"]
    parts = [
        f"Command: `{result['command']}`  ",
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, hugai {m['git']}  ",
        f"Bench wall time: {result['bench_wall_s']:.0f} s",
        "",
        "### Quality (measured on the decoded videos)",
        "",
        report.quality_table(rows),
    ]
    if result.get("measure_note"):
        parts += ["", result["measure_note"]]
    parts += [
        "",
        "### Speed and cost (stage seconds from HugResult.timings)",
        "",
        report.speed_table(rows),
    ]
    errors = report.errors_list(rows)
    if errors:
        parts += ["", "Rejected or failed:", "", errors]
    if result["scaling"]:
        name = result["scaling"][0]["name"].removeprefix("scaling ")
        parts += ["", f"### Cost curve ({name})", "", report.scaling_table(result["scaling"])]
    return "\n".join(parts)
