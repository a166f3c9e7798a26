"""CPU seconds used by each part of the scale benchmark (app servers, nginx, replicas, primary, wrk), from /proc.

A part is a process tree: its CPU is the user and system time of every live process in it plus what its
processes' reaped children used (so a PostgreSQL backend that exits stays counted in its postmaster's tree).
Deltas of these totals around a run give CPU per request of each part, which is what sizing needs on a
machine whose cores other work shares too.
"""

from __future__ import annotations

import os
import resource
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def parse_stat(text: str) -> tuple[int, str, int, float]:
    """(pid, command, parent pid, CPU seconds incl. reaped children) from one /proc/<pid>/stat line."""
    pid, rest = text.split(" (", 1)
    comm, tail = rest.rsplit(") ", 1)
    f = tail.split()
    # after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    return int(pid), comm, int(f[1]), sum(int(x) for x in f[11:15]) / TICK


def processes(proc: Path = Path("/proc")) -> dict[int, tuple[str, int, float]]:
    """Every readable process now: pid -> (command, parent pid, CPU seconds)."""
    out = {}
    for d in proc.iterdir():
        if not d.name.isdigit():
            continue
        try:
            pid, comm, ppid, cpu = parse_stat((d / "stat").read_text())
        except (OSError, ValueError, IndexError):
            continue  # exited meanwhile
        out[pid] = (comm, ppid, cpu)
    return out


def tree_cpu(procs: dict[int, tuple[str, int, float]], roots: Iterable[int]) -> float:
    """CPU seconds of the process trees under `roots` (roots included)."""
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (_, ppid, _) in procs.items():
        children[ppid].append(pid)
    total, todo, seen = 0.0, [r for r in roots if r in procs], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += procs[pid][2]
        todo += children[pid]
    return total


def postmaster(datadir: Path) -> int:
    """The postmaster's pid of a running cluster (first line of postmaster.pid)."""
    return int((datadir / "postmaster.pid").read_text().split()[0])


def snapshot(parts: dict[str, list[int]]) -> dict[str, float]:
    """CPU seconds so far of each named part (a list of root pids), and of reaped children of this process (wrk)."""
    procs = processes()
    out = {name: tree_cpu(procs, roots) for name, roots in parts.items()}
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out | {"wrk": ru.ru_utime + ru.ru_stime, "machine": machine()}


def machine() -> float:
    """CPU seconds all processes of the machine have used so far (every core; idle and iowait excluded)."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(f[:8]) - f[3] - f[4]) / TICK  # user nice system idle iowait irq softirq steal
