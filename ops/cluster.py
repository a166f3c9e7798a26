"""A private PostgreSQL/PostGIS cluster under var/, run as an unprivileged user when we are root."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

# Appended once to postgresql.conf (new and existing clusters): a national bulk load writes several GB of WAL,
# and at 2 GB between checkpoints it met one every 11-22 s, each making the next write of every page a full image.
BULK_MARK = "# bluemap bulk loads"
BULK_CONF = "max_wal_size = 8GB\ncheckpoint_timeout = 15min\nwal_compression = {compression}\n"


class ClusterError(RuntimeError):
    """The embedded cluster could not be set up or started."""


def find_bindir() -> Path:
    """Directory of the newest installed PostgreSQL server binaries."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise ClusterError(
        "PostgreSQL server binaries not found. Install them with: "
        "sudo apt-get install -y postgresql postgresql-postgis"
    )


@dataclass(frozen=True)
class Cluster:
    """An initdb'd data directory with its own port and socket directory."""

    root: Path
    port: int
    user: str = "bluemap"
    database: str = "bluemap"

    @property
    def datadir(self) -> Path:
        """The PostgreSQL data directory."""
        return self.root / "pgdata"

    @property
    def sockdir(self) -> Path:
        """Where the server puts its Unix socket."""
        return self.root / "pgrun"

    @property
    def logfile(self) -> Path:
        """The server's log file."""
        return self.root / "pglog" / "postgres.log"

    @property
    def url(self) -> str:
        """The libpq URL of the cluster's database."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def _os_user(self) -> str | None:
        """Unprivileged OS user to run the server as, when we are root."""
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        raise ClusterError("running as root and no 'postgres' user exists to run PostgreSQL")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(find_bindir() / args[0]), *args[1:]]
        user = self._os_user()
        if user:
            cmd = ["runuser", "-u", user, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=check)

    def _own(self, *paths: Path) -> None:
        user = self._os_user()
        for p in paths:
            p.mkdir(parents=True, exist_ok=True)
            if user:
                shutil.chown(p, user, user)
        if user:  # the server user must be able to reach the directories
            for parent in {p.parent for p in paths}:
                os.chmod(parent, os.stat(parent).st_mode | 0o011)

    @property
    def initialised(self) -> bool:
        """True once initdb has run."""
        return (self.datadir / "PG_VERSION").exists()

    def init(self) -> None:
        """Create the data directory (once)."""
        if self.initialised:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._own(self.datadir, self.sockdir, self.logfile.parent)
        # Collation C: code-point order, as C.UTF-8 sorts, but compared byte by byte rather than through the C
        # library (a national load's sorts and text index builds took 15-20 % longer); C.UTF-8 stays the ctype
        # (upper/lower, regular expression classes and trigram letters of Chinese text).
        res = self._run("initdb", "-D", str(self.datadir), "-U", self.user, "--auth=trust",
                        "-E", "UTF8", "--locale=C.UTF-8", "--lc-collate=C", check=False)
        if res.returncode != 0:
            raise ClusterError(f"initdb failed: {res.stderr.strip() or res.stdout.strip()}")
        with open(self.datadir / "postgresql.conf", "a") as conf:
            conf.write("\n# bluemap embedded defaults\nshared_buffers = 256MB\nmax_connections = 100\n"
                       "fsync = on\nsynchronous_commit = off\nmax_wal_size = 2GB\n")

    def running(self) -> bool:
        """True when the server answers on its port."""
        if not self.initialised:
            return False
        res = self._run("pg_ctl", "-D", str(self.datadir), "status", check=False)
        return res.returncode == 0

    def _bulk_settings(self) -> None:
        """Checkpoint spacing and WAL compression for bulk loads, added once to the cluster's configuration."""
        conf = self.datadir / "postgresql.conf"
        if BULK_MARK in conf.read_text():
            return
        built = self._run("pg_config", "--configure", check=False) if (find_bindir() / "pg_config").exists() else None
        compression = "lz4" if built is not None and "--with-lz4" in built.stdout else "pglz"
        with open(conf, "a") as fh:
            fh.write(f"\n{BULK_MARK}\n{BULK_CONF.format(compression=compression)}")

    def start(self, timeout: float = 60.0) -> None:
        """Initialise when needed, start the server and create the database."""
        self.init()
        self._own(self.sockdir, self.logfile.parent)
        self._bulk_settings()
        if not self.running():
            opts = f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1"
            res = self._run("pg_ctl", "-D", str(self.datadir), "-o", opts, "-l", str(self.logfile),
                            "-w", "-t", str(int(timeout)), "start", check=False)
            if res.returncode != 0:
                tail = self.logfile.read_text(errors="replace")[-2000:] if self.logfile.exists() else ""
                raise ClusterError(f"PostgreSQL did not start: {res.stderr.strip()}\n{tail}")
        self._wait_ready(timeout)
        if not (self.datadir / "standby.signal").exists():  # a hot standby is read-only: it has what the primary has
            self._ensure_database()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            res = self._run("pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False)
            if res.returncode == 0:
                return
            time.sleep(0.2)
        raise ClusterError(f"PostgreSQL on port {self.port} not ready after {timeout}s")

    def _ensure_database(self) -> None:
        import psycopg

        admin = f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    def stop(self) -> None:
        """Stop the server (fast shutdown; committed data is kept)."""
        if self.running():
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop", check=False)

    def destroy(self) -> None:
        """Stop the server and delete its files."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def status(self) -> str:
        """One line describing the cluster."""
        if not self.initialised:
            return f"not initialised ({self.datadir})"
        state = "running" if self.running() else "stopped"
        return f"{state} on 127.0.0.1:{self.port} ({self.datadir})"


def embedded_cluster(settings) -> Cluster:
    """The private cluster under var/ that serves when DATABASE_URL is unset."""
    return Cluster(settings.var_dir, settings.pg_port, settings.pg_user, settings.pg_database)
