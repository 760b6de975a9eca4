"""Running short Python scripts in several processes at once, for tests of shared stores; and
reading the process table: a server's workers, and which of them holds a connection (its socket,
`/proc/net/tcp`, is an open file of exactly one process, `/proc/PID/fd`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_at_once(script: str, url: str, args: list[list[str]]) -> list[str]:
    """Run `script` (with `url` and each argument list) in one process per list. Each
    prints "ready" once set up, waits for "go" on stdin, then works; all start together.
    Returns each process's last output line."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, url, *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for extra in args
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline() == "ready\n", worker.communicate()[1]
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=300) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    for worker, (_, errors) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, errors
    return [out.splitlines()[-1] for out, _ in outputs]


def workers(parent: int) -> set[int]:
    """The worker processes of `parent` (multiprocessing's spawned children; not its resource
    tracker), zombies left out."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:  # it ended meanwhile
            continue
        state, ppid = stat.rpartition(")")[2].split()[:2]
        if int(ppid) == parent and state != "Z" and b"spawn_main" in command:
            found.add(int(entry))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def tcp_inode(local_port: int, remote_port: int) -> str | None:
    """The inode of the 127.0.0.1 socket from `local_port` to `remote_port`."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, inode = fields[1], fields[2], fields[9]
        if int(local.split(":")[1], 16) == local_port and int(remote.split(":")[1], 16) == (
            remote_port
        ):
            return inode
    return None


def holder(inode: str, pids: set[int]) -> int | None:
    """Which of `pids` has the socket `inode` open."""
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
            except OSError:
                continue
    return None


def accepted(port: int, pids: set[int]) -> int:
    """How many open connections to 127.0.0.1:`port` one of `pids` has accepted (a connection
    still in the listening socket's backlog is nobody's open file yet)."""
    inodes = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if int(local.split(":")[1], 16) == port and state == "01" and inode != "0":
            inodes.append(inode)
    return sum(holder(inode, pids) is not None for inode in inodes)


def hocso_report(store_url: str, *args: str) -> str:
    """What `hocso report --store URL ARGS` prints (it must exit 0)."""
    done = subprocess.run(
        [sys.executable, "-m", "cli", "report", "--store", store_url, *args],
        capture_output=True,
        text=True,
        check=True,
        encoding="utf-8",
    )
    return done.stdout
