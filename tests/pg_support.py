"""A real PostgreSQL server for the tests: one cluster per test session, one database per test.

:func:`start_cluster` runs the system's ``initdb`` and ``pg_ctl`` in a
temporary directory: the server listens only on a unix socket in that
directory (no TCP port), with ``trust`` authentication for local
connections, ``fsync`` off (a test cluster is thrown away) and is stopped by
:meth:`Cluster.stop`. ``initdb`` refuses to run as root: as root the
directory is given to the ``postgres`` user and the binaries run through
``runuser -u postgres``.

Each test gets a fresh database (:meth:`Cluster.new_database`), copied from a
template database that already holds the registry's schema, which is much
faster than migrating an empty database in every test.

No binaries found: the PostgreSQL tests skip, unless ``HF_GOV_REQUIRE_POSTGRES=1``
(set by ``.ci/run``), where they fail.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import urllib.parse
from pathlib import Path

REQUIRE_ENV = "HF_GOV_REQUIRE_POSTGRES"
"""Set to ``1`` to make the PostgreSQL tests fail, not skip, when no server can be started."""

TEMPLATE = "hfgov_template"
"""The database every test database is copied from (migrated once per session)."""


class NoPostgres(Exception):
    """No PostgreSQL binaries (or no ``postgres`` user to run them as root)."""


def find_bindir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``.

    Raises:
        NoPostgres: None found.
    """
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            )
            candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(str(Path(initdb).resolve().parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").is_file():
            return Path(candidate)
    raise NoPostgres("no PostgreSQL server binaries (initdb) found")


def url_for(socket_dir: Path, database: str, user: str = "postgres") -> str:
    """A ``postgresql://`` URL for a database on the unix socket in ``socket_dir``."""
    host = urllib.parse.quote(str(socket_dir), safe="")
    return f"postgresql://{user}@/{database}?host={host}"


class Cluster:
    """A running PostgreSQL cluster in a temporary directory.

    Attributes:
        base: The directory (data in ``base/data``, socket and log in ``base``).
        bindir: Where the server binaries are.
    """

    def __init__(self, base: Path, bindir: Path, as_postgres: bool) -> None:
        self.base = base
        self.bindir = bindir
        self._as_postgres = as_postgres
        self._counter = itertools.count(1)

    @property
    def data(self) -> Path:
        """The data directory."""
        return self.base / "data"

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        """The URL of ``database`` on this cluster."""
        return url_for(self.base, database, user)

    def run(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a server binary (as ``postgres`` when we are root)."""
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=timeout, cwd=self.base
        )

    def start(self) -> None:
        """Start (or restart after :meth:`stop`) the server; waits until it accepts connections."""
        options = (
            f"-k {self.base} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=300 -c shared_buffers=32MB"
        )
        self.run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: roll back open transactions, close sessions)."""
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement as the superuser, outside a transaction."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(statement.encode())

    def new_database(self, template: str = TEMPLATE) -> str:
        """Create a new database copied from ``template``; return its name."""
        name = f"hfgov_{os.getpid()}_{next(self._counter)}"
        self.sql(f"CREATE DATABASE {name} TEMPLATE {template} STRATEGY FILE_COPY")
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any session still connected to it."""
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        """Stop the server and delete the directory."""
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


def start_cluster() -> Cluster:
    """Create and start a cluster in a new temporary directory, with the template database.

    Raises:
        NoPostgres: No binaries, or running as root without a ``postgres`` user.
        subprocess.CalledProcessError: ``initdb`` or ``pg_ctl`` failed.
    """
    bindir = find_bindir()
    as_postgres = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="hfgov-pg-"))
    if as_postgres:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(base, ignore_errors=True)
            raise NoPostgres("running as root and there is no 'postgres' user") from None
        os.chown(base, user.pw_uid, user.pw_gid)
    cluster = Cluster(base, bindir, as_postgres)
    try:
        cluster.run(
            "initdb", "-D", str(cluster.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        cluster.start()
        cluster.sql(f"CREATE DATABASE {TEMPLATE}")
        from hf_api_governance._storage.postgres import PostgresStore

        PostgresStore.open(cluster.url(TEMPLATE), listen=False).close()
    except BaseException:
        cluster.close()
        raise
    return cluster
