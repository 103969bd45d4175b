"""The service tests' harness: a real server (``hugai serve``) in a subprocess on a free
loopback port, real ``hugai worker`` processes, a real Redis, and API keys made by the CLI.

Every address used is 127.0.0.1. Renders use a small config (240p, 2 s, 12 fps).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

import httpx

PHOTOS = Path(__file__).parents[3] / "shared" / "photos"
SMALL = {"size": "240", "duration": "2", "fps": "12"}
"""A render of a couple of seconds."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a service process: this one's minus any HUGAI_ settings, plus ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUGAI_")}
    env.update(
        HUGAI_DATA_DIR=str(data_dir),
        HUGAI_SECRET="test-secret",
        HUGAI_LEASE_SECONDS="3",
        HUGAI_SWEEP_INTERVAL_SECONDS="1",
        HUGAI_POLL_SECONDS="0.3",
        HUGAI_WEBHOOK_ALLOW_PRIVATE="true",
        HUGAI_ANON_MAX_SIZE="480",
        PYTHONUNBUFFERED="1",
    )
    env.update({f"HUGAI_{k.upper()}": v for k, v in overrides.items()})
    return env


def hugai(*args: str) -> list[str]:
    return [sys.executable, "-m", "hugai.cli", *args]


@dataclass
class Proc:
    """A service process with its log file; stopped (or killed) by the test that made it."""

    args: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Self:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.args,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing gets to clean up."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(10)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@dataclass
class Server(Proc):
    port: int = 0
    data_dir: Path = field(default_factory=Path)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> Server:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.popen is not None
            if self.popen.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready in {timeout}s:\n{self.tail()}")

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def key(self, *options: str) -> ApiKey:
        return create_key(self.env, *options)


def start_server(tmp: Path, data_dir: Path | None = None, workers: int = 1, **env: str) -> Server:
    data_dir = data_dir or tmp / "data"
    port = free_port()
    server = Server(
        args=hugai(
            "serve", "--port", str(port), "--workers", str(workers), "--log-level", "warning"
        ),
        env=service_env(data_dir, **env),
        log=tmp / f"server-{port}.log",
        port=port,
        data_dir=data_dir,
    )
    return server.start().wait_ready()


@dataclass(frozen=True)
class ApiKey:
    id: str
    key: str
    webhook_secret: str


def create_key(env: dict[str, str], *options: str) -> ApiKey:
    out = subprocess.run(
        hugai("keys", "create", "--name", "test", *options),
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    fields = dict(re.findall(r"^([a-z ]+):\s+(\S+)", out, re.M))
    return ApiKey(fields["id"], fields["key"], fields["webhook secret"])


def photo(name: str) -> tuple[str, bytes, str]:
    data = (PHOTOS / name).read_bytes()
    kind = "image/png" if name.endswith(".png") else "image/jpeg"
    return (name, data, kind)


def submit(client: httpx.Client, *names: str, **form: Any) -> httpx.Response:
    data = {"consent": "true", **SMALL, **{k: str(v) for k, v in form.items()}}
    files = [("photos", photo(n)) for n in names]
    return client.post("/v1/hugs", data=data, files=files)


def wait_job(
    client: httpx.Client,
    job_id: str,
    until: tuple[str, ...] = ("succeeded", "failed"),
    timeout: float = 90.0,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/v1/hugs/{job_id}")
        r.raise_for_status()
        job: dict[str, Any] = r.json()
        if job["status"] in until:
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['status']} after {timeout}s")
        time.sleep(0.2)


class HookReceiver:
    """A webhook endpoint on 127.0.0.1 that keeps every delivery as (headers, body)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
