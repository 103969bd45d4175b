"""Targets, pass/fail marks and the markdown tables of a bench run.

A row is a plain JSON-able dict (what ``bench.cli`` builds and writes to the JSON file); the
tables only read it. Marks: ✓ meets the target, ✗ misses it; no mark where there is no target.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

GIB = 1024**3
STAGES = ("perceive", "scene", "rig", "choreograph", "render", "encode")


@dataclass(frozen=True)
class Target:
    op: str  # "<", "<=", ">=", "=="
    value: float | bool

    def met(self, x: float | bool | None) -> bool | None:
        if x is None or (isinstance(x, float) and not math.isfinite(x)):
            return None
        if self.op == "<":
            return bool(x < self.value)
        if self.op == "<=":
            return bool(x <= self.value)
        if self.op == ">=":
            return bool(x >= self.value)
        return bool(x == self.value)

    def __str__(self) -> str:
        v = self.value
        if isinstance(v, bool):
            return "yes" if v else "no"
        return f"{self.op} {v:g}"


QUALITY_TARGETS = {
    "identity_worst": Target("<", 0.35),
    "hug_ratio": Target("<=", 0.55),
    "touch": Target("==", True),
    "bone_change": Target("<=", 0.05),
}
TOTAL_OVER_FLOOR = Target("<=", 3.0)
PEAK_RSS_GIB = Target("<=", 1.5)
TOTAL_720P_5S = Target("<=", 5.0)


def rtf_target(size: int) -> Target:
    """RTF ≤ 1 up to 720p, ≤ 2 at 1080p and above."""
    return Target("<=", 2.0 if size >= 1080 else 1.0)


def total_target(config: dict[str, Any]) -> Target | None:
    """The 5 s wall-time target applies to a 5 s, 720p, 30 fps video."""
    if (config["size"], float(config["duration"]), config["fps"]) == (720, 5.0, 30):
        return TOTAL_720P_5S
    return None


def _num(x: Any, fmt: str) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return format(x, fmt)


def mark(text: str, ok: bool | None) -> str:
    if ok is None:
        return text
    return f"{text} {'✓' if ok else '✗'}"


def _worst_of(values: list[float | None], higher_is_worse: bool = True) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return None
    return max(vals) if higher_is_worse else min(vals)


def quality_cells(q: dict[str, Any] | None) -> list[str]:
    """Cells of the quality table for one measured video."""
    if q is None:
        return ["—"] * (len(QUALITY_HEADER) - 2)
    idw = _worst_of(q["identity_worst"])
    idm = [v for v in q["identity_mean"] if v is not None]
    jit = _worst_of(q["jitter_px"])
    tjit = _worst_of(q["tracked_jitter_px"])
    tb = q["tracked_bone_change"]
    t = QUALITY_TARGETS
    touch = q["touch"]
    return [
        _num(sum(idm) / len(idm), ".3f") if idm else "n/a",
        mark(_num(idw, ".3f"), t["identity_worst"].met(idw)),
        _num(_worst_of(q.get("identity_first") or []), ".3f"),
        _num(100 * q["faces_kept"], ".0f") + " %" if q["faces_kept"] is not None else "n/a",
        mark(_num(q["hug_ratio"], ".2f"), t["hug_ratio"].met(q["hug_ratio"]))
        + f" / {_num(q.get('hug_ratio_zoomfree'), '.2f')}",
        mark("n/a" if touch is None else ("yes" if touch else "no"), t["touch"].met(touch)),
        mark(_pct(tb), t["bone_change"].met(tb)),
        _pct(q["bone_change"]),
        f"{_num(tjit, '.1f')} / {_num(jit, '.1f')}",
        _num(q["warp_error"], ".2f"),
        _num(q["flicker"], ".2f"),
        _num(100 * q["empty_worst_frame"], ".2f") + " %",
    ]


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f} %"


QUALITY_HEADER = [
    "video",
    "result",
    "id mean",
    f"id worst ({QUALITY_TARGETS['identity_worst']})",
    "id frame 0",
    "faces kept",
    f"hug gap ({QUALITY_TARGETS['hug_ratio']}) / zoom-free",
    "touch",
    "bone Δ tracked (≤ 5 %)",
    "bone Δ pose",
    "jitter px tracked / pose",
    "warp err",
    "bg flicker",
    "empty px",
]

SPEED_HEADER = [
    "video",
    "size",
    *STAGES,
    "total s",
    "RTF",
    "floor s",
    f"total÷floor ({TOTAL_OVER_FLOOR})",
    f"peak GiB ({PEAK_RSS_GIB})",
    "renderer",
]


def speed_cells(row: dict[str, Any]) -> list[str]:
    if row["status"] != "ok":
        return ["—"] * (len(SPEED_HEADER) - 1)
    cfg = row["config"]
    tt = total_target(cfg)
    stages = [_num(row["timings"].get(s), ".2f") for s in STAGES]
    total = mark(_num(row["total_s"], ".2f"), tt.met(row["total_s"]) if tt else None)
    rtf = mark(_num(row["rtf"], ".2f"), rtf_target(cfg["size"]).met(row["rtf"]))
    ratio = row.get("total_over_floor")
    peak = row["peak_rss_bytes"] / GIB
    return [
        f"{row['width']}×{row['height']} {cfg['fps']}fps {cfg['duration']:g}s",
        *stages,
        total,
        rtf,
        _num(row.get("encode_floor_s"), ".2f"),
        mark(_num(ratio, ".2f"), TOTAL_OVER_FLOOR.met(ratio)),
        mark(f"{peak:.2f}", PEAK_RSS_GIB.met(peak)),
        row.get("renderer", ""),
    ]


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _passes(rows: list[dict[str, Any]], get: Callable[[dict[str, Any]], bool | None]) -> str:
    results = [get(r) for r in rows]
    known = [x for x in results if x is not None]
    return f"{sum(known)}/{len(known)}" if known else "—"


def quality_table(rows: list[dict[str, Any]]) -> str:
    body = []
    for r in rows:
        result = "ok" if r["status"] == "ok" else f"`{r['status']}`"
        body.append([r["name"], result, *quality_cells(r.get("quality"))])
    scored = [r for r in rows if r["kind"] != "calibration" and r.get("quality")]
    if scored:
        qs = [r["quality"] for r in scored]
        t = QUALITY_TARGETS
        idw = [_worst_of(q["identity_worst"]) for q in qs]
        summary = [
            f"**summary** ({len(scored)} measured)",
            f"{sum(r['status'] == 'ok' for r in rows if r['kind'] != 'calibration')}/"
            f"{sum(r['kind'] != 'calibration' for r in rows)} ok",
            _num(_mean([_mean(q["identity_mean"]) for q in qs]), ".3f"),
            f"max {_num(_worst_of(idw), '.3f')}, pass "
            + _passes(
                scored, lambda r: t["identity_worst"].met(_worst_of(r["quality"]["identity_worst"]))
            ),
            f"max {_num(_worst_of([_worst_of(q.get('identity_first') or []) for q in qs]), '.3f')}",
            "min "
            + _num(_pct_or_none(_worst_of([q["faces_kept"] for q in qs], False)), ".0f")
            + " %",
            f"max {_num(_worst_of([q['hug_ratio'] for q in qs]), '.2f')}, pass "
            + _passes(scored, lambda r: t["hug_ratio"].met(r["quality"]["hug_ratio"]))
            + f" / max {_num(_worst_of([q.get('hug_ratio_zoomfree') for q in qs]), '.2f')}",
            "pass " + _passes(scored, lambda r: t["touch"].met(r["quality"]["touch"])),
            f"max {_pct(_worst_of([q['tracked_bone_change'] for q in qs]))}, pass "
            + _passes(scored, lambda r: t["bone_change"].met(r["quality"]["tracked_bone_change"])),
            f"max {_pct(_worst_of([q['bone_change'] for q in qs]))}",
            "max "
            + _num(_worst_of([_worst_of(q["tracked_jitter_px"]) for q in qs]), ".1f")
            + " / "
            + _num(_worst_of([_worst_of(q["jitter_px"]) for q in qs]), ".1f"),
            "mean " + _num(_mean([q["warp_error"] for q in qs]), ".2f"),
            "mean " + _num(_mean([q["flicker"] for q in qs]), ".2f"),
            "max "
            + _num(100 * (_worst_of([q["empty_worst_frame"] for q in qs]) or 0.0), ".2f")
            + " %",
        ]
        body.append(summary)
    return _table(QUALITY_HEADER, body)


def _pct_or_none(x: float | None) -> float | None:
    return None if x is None else 100 * x


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return sum(vals) / len(vals) if vals else None


def speed_table(rows: list[dict[str, Any]]) -> str:
    body = [[r["name"], *speed_cells(r)] for r in rows if r["kind"] != "calibration"]
    ok = [r for r in rows if r["kind"] != "calibration" and r["status"] == "ok"]
    if ok:
        stages = [_num(_mean([r["timings"].get(s) for r in ok]), ".2f") for s in STAGES]
        body.append(
            [
                f"**summary** ({len(ok)} ok)",
                "mean",
                *stages,
                "mean " + _num(_mean([r["total_s"] for r in ok]), ".2f"),
                "max "
                + _num(_worst_of([r["rtf"] for r in ok]), ".2f")
                + ", pass "
                + _passes(ok, lambda r: rtf_target(r["config"]["size"]).met(r["rtf"])),
                "mean " + _num(_mean([r.get("encode_floor_s") for r in ok]), ".2f"),
                "max "
                + _num(_worst_of([r.get("total_over_floor") for r in ok]), ".2f")
                + ", pass "
                + _passes(ok, lambda r: TOTAL_OVER_FLOOR.met(r.get("total_over_floor"))),
                "max "
                + _num(_worst_of([r["peak_rss_bytes"] / GIB for r in ok]), ".2f")
                + ", pass "
                + _passes(ok, lambda r: PEAK_RSS_GIB.met(r["peak_rss_bytes"] / GIB)),
                "",
            ]
        )
    return _table(SPEED_HEADER, body)


SCALING_HEADER = [
    "size",
    "duration",
    "frames",
    "perceive",
    "render",
    "encode",
    "total s",
    "RTF",
    "floor s",
    "total÷floor",
    "peak GiB",
]


def scaling_table(rows: list[dict[str, Any]]) -> str:
    body = []
    for r in rows:
        cfg = r["config"]
        if r["status"] != "ok":
            body.append(
                [str(cfg["size"]), f"{cfg['duration']:g} s", f"`{r['status']}`"] + ["—"] * 8
            )
            continue
        tt = total_target(cfg)
        body.append(
            [
                f"{r['width']}×{r['height']}",
                f"{cfg['duration']:g} s",
                str(r["frames"]),
                _num(r["timings"].get("perceive"), ".2f"),
                _num(r["timings"].get("render"), ".2f"),
                _num(r["timings"].get("encode"), ".2f"),
                mark(_num(r["total_s"], ".2f"), tt.met(r["total_s"]) if tt else None),
                mark(_num(r["rtf"], ".2f"), rtf_target(cfg["size"]).met(r["rtf"])),
                _num(r.get("encode_floor_s"), ".2f"),
                mark(
                    _num(r.get("total_over_floor"), ".2f"),
                    TOTAL_OVER_FLOOR.met(r.get("total_over_floor")),
                ),
                mark(
                    f"{r['peak_rss_bytes'] / GIB:.2f}", PEAK_RSS_GIB.met(r["peak_rss_bytes"] / GIB)
                ),
            ]
        )
    return _table(SCALING_HEADER, body)


def errors_list(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"- {r['name']}: `{r['status']}` — {r['message']}" for r in rows if r["status"] != "ok"
    ]
    return "\n".join(lines)
