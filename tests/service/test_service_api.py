"""The API over real HTTP against ``hugai serve`` in a subprocess, with the real engine."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import pytest
from PIL import Image
from service_harness import (
    ApiKey,
    HookReceiver,
    Server,
    hugai,
    photo,
    start_server,
    submit,
    wait_job,
)

from hugai.service import webhooks

pytestmark = [pytest.mark.slow, pytest.mark.integration]

COUPLE = "A_prom_couple.jpg"  # 640×536: two people → a 320×240 video at size 240
NOBODY = "D_no_person_coffee.png"


@pytest.fixture(scope="module")
def server(photos: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(
        tmp_path_factory.mktemp("api"),
        max_upload_mb="1",
        max_megapixels="2",
        anon_videos_per_day="2",
    )
    yield s
    s.stop()


@pytest.fixture
def pro(server: Server) -> ApiKey:
    """A key with room to spare: quotas never get in the way of what a test checks."""
    return server.key("--plan", "pro")


def png(w: int, h: int, name: str = "flat.png") -> tuple[str, bytes, str]:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 180, 170)).save(buf, "PNG")
    return (name, buf.getvalue(), "image/png")


def error_of(r: httpx.Response) -> tuple[int, str]:
    body = r.json()
    assert body["message"], body  # always a human message beside the code
    return r.status_code, body["code"]


def sse_events(client: httpx.Client, url: str) -> list[tuple[str, dict[str, Any]]]:
    events: list[tuple[str, dict[str, Any]]] = []
    name = "message"
    with client.stream("GET", url, timeout=120) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[6:])))
    return events


# ---- the happy path ---------------------------------------------------------------------------
def test_one_photo_of_two_people_becomes_a_video(server: Server, pro: ApiKey) -> None:
    with server.client(pro.key) as c:
        r = submit(c, COUPLE)
        assert r.status_code == 202, r.text
        job = r.json()
        assert job["status"] == "queued" and job["links"]["video"] is None

        events = sse_events(c, job["links"]["events"])
        statuses = [e["status"] for _, e in events]
        assert statuses[-1] == "succeeded", events[-1]
        progress = [e["progress"] for _, e in events if e["status"] == "running"]
        assert progress == sorted(progress)

        done = c.get(f"/v1/hugs/{job['id']}").json()
        assert done["progress"] == 1.0 and done["error"] is None
        result = done["result"]
        assert (result["width"], result["height"], result["fps"]) == (320, 240, 12)
        assert result["frames"] == 24 and result["duration"] == 2.0
        assert result["plan"], "the plan says what the arms do"

        video = c.get(done["links"]["video"])
        assert video.headers["content-type"] == "video/mp4"
        with av.open(io.BytesIO(video.content), mode="r") as container:
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
        assert len(frames) == 24
        assert frames[0].shape == (240, 320, 3)
        assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() > 1.0, "it moves"

        download = c.get(done["links"]["download"])
        assert download.headers["content-disposition"].startswith("attachment")
        assert download.content == video.content

        poster = c.get(done["links"]["poster"])
        assert poster.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(poster.content)).size == (320, 240)

        listed = [j["id"] for j in c.get("/v1/hugs").json()["items"]]
        assert job["id"] in listed


def test_two_photos_of_one_person_each(server: Server, pro: ApiKey) -> None:
    with server.client(pro.key) as c:
        r = submit(c, "B_astronaut_collins.png", "B_grace_hopper.jpg")
        assert r.status_code == 202, r.text
        done = wait_job(c, r.json()["id"])
        assert done["status"] == "succeeded", done["error"]
        assert done["photos"] == ["B_astronaut_collins.png", "B_grace_hopper.jpg"]


# ---- detection ------------------------------------------------------------------------------
def test_detect_outlines_the_people_and_stores_nothing(server: Server) -> None:
    before = set((server.data_dir / "jobs").glob("*"))
    with server.client() as c:
        found = c.post("/v1/detect", files=[("photos", photo(COUPLE))]).json()
        assert found["ok"] and found["error"] is None
        (p,) = found["photos"]
        assert (p["width"], p["height"]) == (640, 536)
        assert len(p["people"]) == 2
        for person in p["people"]:
            x0, y0, x1, y1 = person["box"]
            assert 0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 536

        r = c.post("/v1/detect", files=[("photos", photo(COUPLE)), ("photos", photo(NOBODY))])
        bad = r.json()
        assert r.status_code == 200 and not bad["ok"]
        assert bad["error"]["code"] == "no_people_found"
        assert bad["error"]["photo"] == 1, "the error names the photo it concerns"
        assert bad["photos"][1]["people"] == []

        r = c.post("/v1/detect", files=[("photos", ("notes.txt", b"hello", "text/plain"))])
        assert error_of(r) == (415, "not_an_image")
    assert set((server.data_dir / "jobs").glob("*")) == before


# ---- errors -----------------------------------------------------------------------------------
def test_engine_input_errors_become_the_jobs_error(server: Server, pro: ApiKey) -> None:
    with server.client(pro.key) as c:
        nobody = submit(c, NOBODY).json()
        alone = submit(c, "B_grace_hopper.jpg").json()
        second_empty = submit(c, "B_grace_hopper.jpg", NOBODY).json()
        for job, code, index in (
            (nobody, "no_people_found", 0),
            (alone, "only_one_person", 0),
            (second_empty, "no_people_found", 1),
        ):
            done = wait_job(c, job["id"])
            assert done["status"] == "failed"
            assert done["error"]["code"] == code
            assert done["error"]["photo"] == index
            assert done["links"]["video"] is None
            assert error_of(c.get(f"/v1/hugs/{job['id']}/video")) == (409, "not_ready")


CASES: list[tuple[str, list[tuple[str, bytes, str]] | None, dict[str, str], int, str]] = [
    ("no consent", None, {"consent": "false"}, 400, "consent_required"),
    ("text file", [("notes.txt", b"not a photo", "text/plain")], {}, 415, "not_an_image"),
    ("tiny", [png(60, 60)], {}, 422, "too_small"),
    ("over 1 MB", [("big.jpg", os.urandom(1_200_000), "image/jpeg")], {}, 413, "too_large"),
    ("over 2 MP", [png(1500, 1500)], {}, 413, "too_large"),
    ("three photos", [png(300, 300), png(300, 300), png(300, 300)], {}, 400, "invalid_input"),
    ("no photo", [], {}, 400, "invalid_input"),
    ("duration 99", None, {"duration": "99"}, 400, "invalid_input"),
    ("duration abc", None, {"duration": "abc"}, 400, "invalid_input"),
    ("style dance", None, {"style": "dance"}, 400, "invalid_input"),
    ("ftp callback", None, {"callback_url": "ftp://example.org/x"}, 400, "invalid_callback_url"),
]


@pytest.mark.parametrize(
    ("what", "files", "form", "status", "code"), CASES, ids=[c[0] for c in CASES]
)
def test_submission_errors_have_a_stable_code(
    server: Server,
    pro: ApiKey,
    what: str,
    files: list[Any] | None,
    form: dict[str, str],
    status: int,
    code: str,
) -> None:
    data = {"consent": "true", "size": "240", "duration": "2", "fps": "12", **form}
    upload = [("photos", f) for f in (files if files is not None else [photo(COUPLE)])]
    with server.client(pro.key) as c:
        r = c.post("/v1/hugs", data=data, files=upload)
        assert error_of(r) == (status, code), r.text
        if code in ("not_an_image", "too_small", "too_large"):
            assert r.json()["photo"] == 0
        assert c.get("/v1/hugs").json()["items"] == [], "nothing was accepted"


def test_a_body_over_the_cap_is_refused_unread(server: Server, pro: ApiKey) -> None:
    with server.client(pro.key) as c:
        files = [("photos", ("huge.jpg", b"\0" * 3_500_000, "image/jpeg"))]
        r = c.post("/v1/hugs", data={"consent": "true"}, files=files)
        assert error_of(r) == (413, "too_large")


def test_plan_limits_on_size_and_length(server: Server) -> None:
    small = server.key("--plan", "free", "--max-size", "480", "--max-duration", "4")
    with server.client(small.key) as c:
        assert error_of(submit(c, COUPLE, size=720)) == (403, "over_plan_limit")
        assert error_of(submit(c, COUPLE, duration=6)) == (403, "over_plan_limit")
        me = c.get("/v1/me").json()
        assert me["plan"]["max_size"] == 480 and me["plan"]["used_today"] == 0


# ---- auth -----------------------------------------------------------------------------------
def test_keys_and_who_sees_what(server: Server) -> None:
    a, b = server.key(), server.key()
    with server.client(a.key) as ca, server.client(b.key) as cb, server.client() as anon:
        job = submit(ca, COUPLE).json()
        for c in (cb, anon):
            assert error_of(c.get(f"/v1/hugs/{job['id']}")) == (404, "not_found")
            assert error_of(c.get(f"/v1/hugs/{job['id']}/video")) == (404, "not_found")
            assert error_of(c.get(f"/v1/hugs/{job['id']}/events")) == (404, "not_found")
            assert error_of(c.delete(f"/v1/hugs/{job['id']}")) == (404, "not_found")
            assert c.get("/v1/hugs").json()["items"] == []
        assert wait_job(ca, job["id"])["status"] == "succeeded"

        assert error_of(ca.get("/v1/hugs/0123456789abcdef")) == (404, "not_found")
        assert error_of(ca.get("/v1/hugs/..%2F..%2Fsecret")) == (404, "not_found")
        assert error_of(ca.get("/v1/nothing-here")) == (404, "not_found")

    for header in ("Bearer hug_nope_nope", "Basic dXNlcjpwdw==", "Bearer"):
        r = httpx.get(f"{server.url}/v1/hugs", headers={"Authorization": header})
        assert error_of(r) == (401, "invalid_api_key"), header

    out = subprocess.run(hugai("keys", "list"), env=server.env, capture_output=True, text=True)
    assert a.id in out.stdout and a.key not in out.stdout  # only the hash is kept
    subprocess.run(hugai("keys", "revoke", a.id), env=server.env, check=True, capture_output=True)
    with server.client(a.key) as ca:
        assert error_of(ca.get("/v1/hugs")) == (401, "invalid_api_key")
    bad = subprocess.run(
        hugai("keys", "revoke", "nosuchkey"), env=server.env, capture_output=True, text=True
    )
    assert bad.returncode != 0 and "no such key" in bad.stderr


def test_callback_needs_a_key(server: Server) -> None:
    with server.client() as anon:
        r = submit(anon, COUPLE, callback_url="http://127.0.0.1:9/hook")
        assert error_of(r) == (401, "api_key_required")


# ---- quotas ---------------------------------------------------------------------------------
def test_daily_quota_gives_429_with_retry_after(server: Server) -> None:
    key = server.key("--videos-per-day", "2", "--concurrent-jobs", "5")
    with server.client(key.key) as c:
        jobs = [submit(c, COUPLE) for _ in range(2)]
        assert [r.status_code for r in jobs] == [202, 202]
        r = submit(c, COUPLE)
        assert error_of(r) == (429, "quota_exceeded")
        assert 86000 <= int(r.headers["Retry-After"]) <= 86400
        assert c.get("/v1/me").json()["plan"]["used_today"] == 2
        for j in jobs:
            wait_job(c, j.json()["id"])
        # Deleting a video does not give the quota back.
        c.delete(f"/v1/hugs/{jobs[0].json()['id']}")
        assert submit(c, COUPLE).status_code == 429


def test_concurrent_jobs_limit_gives_429_then_frees_up(server: Server) -> None:
    key = server.key("--concurrent-jobs", "1")
    with server.client(key.key) as c:
        first = submit(c, COUPLE)
        assert first.status_code == 202
        r = submit(c, COUPLE)
        assert error_of(r) == (429, "quota_exceeded")
        assert int(r.headers["Retry-After"]) > 0
        wait_job(c, first.json()["id"])
        assert submit(c, COUPLE).status_code == 202


def test_anonymous_use_is_limited_per_client_address(server: Server) -> None:
    # Two browsers (two cookies) behind one address share its small daily allowance, and never
    # see each other's jobs.
    with server.client() as one, server.client() as two:
        j1 = submit(one, COUPLE).json()
        wait_job(one, j1["id"])
        j2 = submit(two, COUPLE).json()
        wait_job(two, j2["id"])
        assert [j["id"] for j in one.get("/v1/hugs").json()["items"]] == [j1["id"]]
        assert error_of(two.get(f"/v1/hugs/{j1['id']}")) == (404, "not_found")
        r = submit(one, COUPLE)
        assert error_of(r) == (429, "quota_exceeded") and "Retry-After" in r.headers
        assert one.get("/v1/me").json()["plan"]["name"] == "anonymous"


# ---- privacy --------------------------------------------------------------------------------
def test_uploads_lose_exif_and_gps_but_keep_their_orientation(server: Server, pro: ApiKey) -> None:
    img = Image.open(io.BytesIO(photo(COUPLE)[1]))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned; viewers rotate 90° clockwise
    exif[0x010F] = "PhoneMaker"
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)})
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes(), quality=95)
    with server.client(pro.key) as c:
        r = c.post(
            "/v1/hugs",
            data={"consent": "true", "size": "240", "duration": "2", "fps": "12"},
            files=[("photos", ("gps.jpg", buf.getvalue(), "image/jpeg"))],
        )
        assert r.status_code == 202, r.text
        stored = server.data_dir / "jobs" / r.json()["id"] / "photo-0.jpg"
        data = stored.read_bytes()
        kept = Image.open(io.BytesIO(data))
        assert dict(kept.getexif()) == {}
        assert b"Exif" not in data and b"PhoneMaker" not in data
        assert kept.size == (536, 640), "turned upright before the EXIF went"
        wait_job(c, r.json()["id"])


def test_delete_removes_everything_now(server: Server, pro: ApiKey) -> None:
    with server.client(pro.key) as c:
        job = submit(c, COUPLE).json()
        folder = server.data_dir / "jobs" / job["id"]
        assert wait_job(c, job["id"])["status"] == "succeeded"
        assert any(folder.rglob("*.mp4"))
        r = c.delete(f"/v1/hugs/{job['id']}")
        assert r.status_code == 204
        assert not folder.exists()
        assert error_of(c.get(f"/v1/hugs/{job['id']}")) == (404, "not_found")
        assert error_of(c.get(f"/v1/hugs/{job['id']}/video")) == (404, "not_found")


def test_delete_stops_a_running_render(server: Server, pro: ApiKey) -> None:
    with server.client(pro.key) as c:
        job = submit(c, COUPLE, duration=8, fps=30).json()
        wait_job(c, job["id"], until=("running",))
        assert c.delete(f"/v1/hugs/{job['id']}").status_code == 204
        # The render notices within a beat and leaves nothing behind; the worker is free again.
        after = submit(c, COUPLE).json()
        assert wait_job(c, after["id"], timeout=30)["status"] == "succeeded"
        assert not (server.data_dir / "jobs" / job["id"]).exists()


# ---- webhooks -------------------------------------------------------------------------------
@pytest.fixture
def hooks() -> Iterator[HookReceiver]:
    receiver = HookReceiver()
    yield receiver
    receiver.close()


def test_webhooks_are_signed_and_verifiable(
    server: Server, pro: ApiKey, hooks: HookReceiver
) -> None:
    with server.client(pro.key) as c:
        ok = submit(c, COUPLE, callback_url=hooks.url).json()
        bad = submit(c, NOBODY, callback_url=hooks.url).json()
        wait_job(c, ok["id"])
        wait_job(c, bad["id"])
    hooks.wait_for(2)
    received = hooks.received
    assert len(received) == 2
    by_job = {}
    for headers, body in received:
        signature = headers["HugAI-Signature"]
        assert webhooks.verify(pro.webhook_secret, body, signature)
        assert not webhooks.verify(pro.webhook_secret, body + b" ", signature)
        assert not webhooks.verify("whsec_other", body, signature)
        payload = json.loads(body)
        by_job[payload["job"]["id"]] = payload
    assert by_job[ok["id"]]["event"] == "hug.succeeded"
    assert by_job[ok["id"]]["job"]["links"]["video"].endswith(f"/v1/hugs/{ok['id']}/video")
    assert by_job[bad["id"]]["event"] == "hug.failed"
    assert by_job[bad["id"]]["job"]["error"]["code"] == "no_people_found"


# ---- docs -----------------------------------------------------------------------------------
def test_openapi_and_the_page_are_served(server: Server) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    for path in ("/v1/hugs", "/v1/hugs/{job_id}", "/v1/hugs/{job_id}/video", "/v1/detect"):
        assert path in spec["paths"]
    docs = httpx.get(f"{server.url}/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    # Nothing from another host: the page works offline and tells no CDN who reads it.
    urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", docs.text)
    assert urls and all(u.startswith("/") for u in urls), urls
    for u in urls:
        assert httpx.get(f"{server.url}{u}").status_code == 200, u
    page = httpx.get(server.url)
    assert "I have the right to use these photos" in page.text
    assert httpx.get(f"{server.url}/static/app.js").status_code == 200
