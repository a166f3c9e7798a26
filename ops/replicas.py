"""Local streaming replicas of the embedded cluster: made with pg_basebackup -R, each under var/replicas/<port>."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ops.cluster import Cluster, ClusterError

# Replay lag as the app measures it (app/db.py): 0 when all that was received is replayed.
LAG_SQL = ("SELECT CASE WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0 "
           "ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0) END::float8")
STANDBY_CONF = ("\n# bluemap streaming replica\nhot_standby = on\nhot_standby_feedback = on\n"
                "max_standby_streaming_delay = 30s\n")


def replica_root(primary: Cluster) -> Path:
    """Where the replicas of `primary` live."""
    return primary.root / "replicas"


def replica(primary: Cluster, port: int) -> Cluster:
    """The replica of `primary` on `port` (made or not)."""
    return Cluster(replica_root(primary) / str(port), port, primary.user, primary.database)


def replicas(primary: Cluster) -> list[Cluster]:
    """Every replica made of `primary`, by port."""
    root = replica_root(primary)
    if not root.is_dir():
        return []
    return [replica(primary, int(p.name)) for p in sorted(root.iterdir(), key=lambda p: p.name) if p.name.isdigit()]


def create(primary: Cluster, port: int) -> Cluster:
    """Copy the running primary with pg_basebackup -R (streaming WAL) and start the copy as a hot standby."""
    if port == primary.port:
        raise ClusterError(f"port {port} is the primary's")
    if not primary.running():
        raise ClusterError("the primary is not running: start it first (bluemap db start)")
    r = replica(primary, port)
    if r.initialised:
        raise ClusterError(f"a replica on port {port} exists already ({r.datadir}); drop it first")
    r._own(r.datadir, r.sockdir, r.logfile.parent)
    os.chmod(r.datadir, 0o700)
    res = r._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", primary.user,
                 "-D", str(r.datadir), "-R", "-X", "stream", "-c", "fast", "--no-password", check=False)
    if res.returncode != 0:
        shutil.rmtree(r.root, ignore_errors=True)
        raise ClusterError(f"pg_basebackup failed: {res.stderr.strip() or res.stdout.strip()}")
    with open(r.datadir / "postgresql.conf", "a") as conf:
        conf.write(STANDBY_CONF)
    r.start()
    return r


@dataclass(frozen=True)
class State:
    """What `db replica status` says of one replica."""

    port: int
    running: bool
    standby: bool | None = None
    lag_s: float | None = None
    receiving: str | None = None
    error: str | None = None

    def line(self) -> str:
        """One line for the terminal."""
        if not self.running:
            return f"replica :{self.port}: stopped"
        if self.error:
            return f"replica :{self.port}: running, unreachable: {self.error}"
        role = "standby" if self.standby else "promoted (a primary of its own)"
        lag = f", replay lag {self.lag_s:.1f} s" if self.standby and self.lag_s is not None else ""
        wal = f", WAL receiver {self.receiving}" if self.standby else ""
        return f"replica :{self.port}: running, {role}{lag}{wal}"


def state(r: Cluster) -> State:
    """Whether the replica runs, is still a standby, its lag and its WAL receiver's status."""
    if not r.running():
        return State(r.port, False)
    try:
        with psycopg.connect(r.url, autocommit=True, connect_timeout=3) as c:
            standby = bool(c.execute("SELECT pg_is_in_recovery()").fetchone()[0])  # type: ignore[index]
            lag = float(c.execute(LAG_SQL).fetchone()[0]) if standby else None  # type: ignore[index]
            row = c.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
        return State(r.port, True, standby, lag, row[0] if row else "not connected")
    except psycopg.Error as exc:
        return State(r.port, True, error=(str(exc).strip().splitlines() or ["error"])[0])


def promote(r: Cluster) -> None:
    """Make the replica a primary of its own (it stops following; the old primary is not touched)."""
    if not r.running():
        raise ClusterError(f"the replica on port {r.port} is not running")
    res = r._run("pg_ctl", "-D", str(r.datadir), "-w", "promote", check=False)
    if res.returncode != 0:
        raise ClusterError(f"promote failed: {res.stderr.strip() or res.stdout.strip()}")


def drop(r: Cluster) -> None:
    """Stop the replica and delete its files."""
    if not r.initialised and not r.root.exists():
        raise ClusterError(f"no replica on port {r.port}")
    r.destroy()
