"""A PostgreSQL cluster of a test's own, in a temporary directory on a free port, that the test can stop and start
again (an outage on demand, without touching the machine's server)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.redis_server import free_port
from tests.support.services import service_missing

SERVER_USER = "postgres"  # initdb refuses to run as root: root runs the cluster as this account instead


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PostgresCluster:
    """`initdb` once, then `pg_ctl start` and `stop` as often as the test likes; trust authentication for
    `postgres` on 127.0.0.1:`port` only."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._bin = _binaries()
        self._directory = Path(tempfile.mkdtemp(prefix="peerlti-pg-"))
        self._data = self._directory / "data"

    def _run(self, *command: str, timeout: float = 120) -> None:
        prefix = ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=timeout)

    def create(self) -> PostgresCluster:
        if self._bin is None:
            service_missing("PostgreSQL's initdb is not installed")
        if os.geteuid() == 0:
            shutil.chown(self._directory, SERVER_USER, SERVER_USER)
        self._run(str(self._bin / "initdb"), "-D", str(self._data), "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8")
        return self.start()

    def start(self) -> PostgresCluster:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self._directory} -c fsync=off"
        self._run(str(self._bin / "pg_ctl"), "-D", str(self._data), "-o", options, "-l",
                  str(self._directory / "server.log"), "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        # Fast shutdown: open connections are cut, as when an administrator or a failover stops the server.
        self._run(str(self._bin / "pg_ctl"), "-D", str(self._data), "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        if (self._data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self._directory, ignore_errors=True)
