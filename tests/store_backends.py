"""The databases the store suite runs against: a SQLite file, and a real PostgreSQL server.

PostgreSQL comes from ``TSFORECAST_TEST_POSTGRES_URL`` when set (CI: ``.ci/run`` starts a
server and exports it; a URL that does not answer fails the tests, since CI promised a
server), or else from a throwaway server this module starts itself with ``initdb`` and
``pg_ctl`` when the binaries are installed (as a non-root user when run as root: PostgreSQL
refuses root). With neither, the PostgreSQL cases skip, saying why. Each test gets a fresh
database on that server.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

__all__ = ["ENV_URL", "free_port", "postgres_server_url", "store_location", "BACKENDS"]

ENV_URL = "TSFORECAST_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]
_PASSWORD = "s3cret-test-pw"


def free_port() -> int:
    """A TCP port nothing listens on (bound and released at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _binaries() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


def _as_user(command: list[str]) -> list[str]:
    """``command`` run as an unprivileged user when this process is root."""
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("running as root and runuser is missing: PostgreSQL cannot be started as root")
    return [runuser, "-u", _pg_user(), "--", *command]


def _pg_user() -> str:
    import pwd

    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    pytest.skip("running as root with no postgres or nobody user to start PostgreSQL as")
    raise AssertionError("unreachable")


@contextlib.contextmanager
def _throwaway_server() -> Iterator[str]:
    binaries = _binaries()
    if binaries is None:
        pytest.skip(f"no PostgreSQL server: {ENV_URL} is not set and initdb is not installed")
    folder = Path(tempfile.mkdtemp(prefix="tsforecast-pg-"))
    try:
        if os.geteuid() == 0:
            import pwd

            entry = pwd.getpwnam(_pg_user())
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        password_file = folder / "password"
        password_file.write_text(_PASSWORD)
        if os.geteuid() == 0:
            os.chown(password_file, entry.pw_uid, entry.pw_gid)
        data, port = folder / "data", free_port()
        # passwords over TCP (so refused credentials are a real refusal), trust on the socket
        init = _as_user([str(binaries / "initdb"), "-D", str(data), "-U", "tsforecast", "--pwfile",
                         str(password_file), "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync"])
        done = subprocess.run(init, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            pytest.skip(f"initdb failed, no PostgreSQL server: {done.stderr.strip()[-300:]}")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40"
        start = _as_user([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                          "-w", "-t", "60", "start"])
        done = subprocess.run(start, capture_output=True, text=True, timeout=90)
        if done.returncode != 0:
            log = (folder / "log").read_text()[-300:] if (folder / "log").exists() else ""
            pytest.skip(f"pg_ctl could not start PostgreSQL: {done.stderr.strip()[-300:]} {log}")
        try:
            yield f"postgresql+psycopg://tsforecast:{_PASSWORD}@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(_as_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                           capture_output=True, timeout=60)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# one server for the whole test session, however many modules ask (stopped at exit)
_SERVER: dict[str, str] = {}


def postgres_server_url() -> str:
    """The URL of a PostgreSQL server's maintenance database (``postgres``): the one CI gives,
    or a throwaway server started on first use; skips the test when there is neither."""
    if "url" in _SERVER:
        return _SERVER["url"]
    if "skip" in _SERVER:
        pytest.skip(_SERVER["skip"])
    given = os.environ.get(ENV_URL)
    if given:
        try:
            engine = sa.create_engine(given, connect_args={"connect_timeout": 10})
            with engine.connect():
                pass
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - whatever the driver raised, CI's server is not there
            pytest.fail(f"{ENV_URL} is set but the server does not answer: {exc}")
        _SERVER["url"] = given
        return given
    server = _throwaway_server()
    try:
        _SERVER["url"] = server.__enter__()
    except pytest.skip.Exception as skipped:
        _SERVER["skip"] = str(skipped)
        raise
    atexit.register(server.__exit__, None, None, None)
    return _SERVER["url"]


def _fresh_database(server: str) -> Iterator[str]:
    name = f"tsf_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def store_location(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty store (for a fixture to yield from): a SQLite file path, or a fresh
    database on the PostgreSQL server."""
    if backend == "sqlite":
        yield str(tmp_path / "store.db")
        return
    yield from _fresh_database(postgres_server_url())
