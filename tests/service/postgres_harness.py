"""A throwaway PostgreSQL server for the service tests (the Debian ``postgresql`` package's
binaries, a cluster in a temporary folder, a Unix socket only, no TCP port), and a fresh database
per test. PostgreSQL refuses to run as root: as root, its commands run as the ``postgres`` user
the package creates."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


class Postgres:
    """One server for the test session; ``database()`` makes an empty database and gives its
    SQLAlchemy URL."""

    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed (no pg_ctl)")
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="hugai-pg-"))
        self.sock = self.root / "sock"
        self.sock.mkdir()
        self.data = self.root / "data"
        self.port = 5432
        self._as: list[str] = []
        if os.geteuid() == 0:
            if shutil.which("runuser") is None:
                raise RuntimeError("running as root without runuser to drop to 'postgres'")
            subprocess.run(["id", "postgres"], check=True, capture_output=True)
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sock, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        opts = f"-k {self.sock} -c listen_addresses='' -p {self.port} -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"), "-w", "start"
        )

    def _run(self, tool: str, *args: str) -> None:
        cmd = [*self._as, str(self.bin / tool), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=self.root, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout}{done.stderr}")

    def database(self) -> str:
        name = f"hugai_{uuid.uuid4().hex[:12]}"
        self._run("createdb", "-h", str(self.sock), "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql+psycopg://postgres@/{name}?host={self.sock}&port={self.port}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
