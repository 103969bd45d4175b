"""The bench's face descriptor and the ``--quick`` run on real photos (integration layer)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.faces import Face, FaceModels, dlib_available

REPO = Path(__file__).resolve().parents[2]
PHOTOS = REPO.parent / "shared" / "photos"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not PHOTOS.is_dir(), reason=f"{PHOTOS} is absent"),
    pytest.mark.skipif(not dlib_available(), reason="pip install '.[bench]' for dlib models"),
]


def _face(models: FaceModels, image: np.ndarray) -> Face:
    box, score = max(models.detect(image), key=lambda d: d[1])
    return models.describe(image, box, score)


def test_descriptor_says_same_person_after_resizing_and_different_people_apart() -> None:
    from hugai.load import load_photo

    models = FaceModels()
    a = load_photo(PHOTOS / "B_astronaut_collins.png").image
    b = load_photo(PHOTOS / "B_grace_hopper.jpg").image
    half = cv2.resize(a, (a.shape[1] * 3 // 4, a.shape[0] * 3 // 4), interpolation=cv2.INTER_AREA)
    fa, fh, fb = _face(models, a), _face(models, half), _face(models, b)
    assert fa.desc.shape == (128,)
    assert np.linalg.norm(fa.desc - fh.desc) < 0.2
    assert np.linalg.norm(fa.desc - fb.desc) > 0.6


@pytest.mark.slow
def test_quick_bench_renders_and_measures_one_photo(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "| A_prom_couple | ok |" in proc.stdout
    result = json.loads((out / "results.json").read_text())
    (row,) = result["rows"]
    q = row["quality"]
    assert row["frames"] == 24 and row["height"] == 240
    # The people stay themselves and stay in view; the stage timings add up to the total.
    assert max(q["identity_worst"]) < 0.6
    assert q["faces_kept"] >= 0.9
    assert sum(row["timings"].values()) == pytest.approx(row["total_s"])
    assert row["encode_floor_s"] > 0
