"""`hocso backup` and `hocso restore` (`bot.backup`), as an operator runs them: real CLI
processes, real SQLite files written by another process meanwhile, a real redis-server.

The consistency check: a writer process saves learners w:0, w:1, ... one transaction each
(each with a certificate code in the same transaction), so a copy of the store at one moment
holds exactly w:0 .. w:N-1 for some N, every one with its code; a torn copy would not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.learner import Learner
from bot.stores import open_store
from bot.stores.redis import RedisStore
from bot.stores.sqlite import SQLiteStore
from support.processes import REPO
from support.redis_server import RedisServer, start_redis_server
from support.service import run_hocso
from support.waiting import wait_until

# Saves learners w:0, w:1, ... (learner i: i turns, certificate code HS-W-i) until the file
# argv[2] exists; prints how many it saved. Prints "ready" after the first 200.
WRITER = """
import sys
from pathlib import Path
from bot.learner import Earned, Learner
from bot.stores.sqlite import SQLiteStore

store = SQLiteStore(sys.argv[1])
stop = Path(sys.argv[2])
i = 0
while not stop.exists() or i < 400:
    learner = Learner.new(f"w:{i}")
    learner.turns = i
    learner.certificates["ky-nang"] = Earned(earned_at="2026-12-06", code=f"HS-W-{i}")
    store.save(learner)
    i += 1
    if i == 200:
        print("ready", flush=True)
print(i, flush=True)
"""

# Holds the store at argv[1] open (a read) until stdin closes, as a running service would.
HOLDER = """
import sys
from bot.stores.sqlite import SQLiteStore
store = SQLiteStore(sys.argv[1])
store.get("x")
print("open", flush=True)
sys.stdin.read()
"""


def python(script: str, *args: str, **options: object) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        **options,  # type: ignore[call-overload]
    )


def hocso(*args: str) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("HOCSO_")}
    return run_hocso(*args, env=env, timeout=120)


def saved(path: Path, *learners: str) -> Path:
    """A SQLite store at `path` holding `learners` (ids), each with one turn."""
    store = SQLiteStore(path)
    try:
        for learner_id in learners:
            store.save(_new(learner_id))
    finally:
        store.close()
    return path


def _new(learner_id: str) -> Learner:
    learner = Learner.new(learner_id)
    learner.turns = 1
    return learner


def test_a_backup_taken_while_the_store_is_written_restores_every_learner(
    tmp_path: Path,
) -> None:
    live = tmp_path / "live" / "hocso.db"
    stop = tmp_path / "stop"
    writer = python(WRITER, str(live), str(stop))
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "ready\n"
        backups = tmp_path / "backups"
        backups.mkdir()
        done = hocso("backup", str(backups), "--store", f"sqlite:///{live}")
        stop.touch()
        written = int(writer.communicate(timeout=120)[0].strip().splitlines()[-1])
    finally:
        stop.touch()
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    assert done.returncode == 0, done.stderr
    (backup,) = backups.iterdir()
    assert backup.name.startswith("hocso-") and backup.suffix == ".db"
    assert not list(backups.glob("*.part")) and not list(backups.glob("*-wal"))
    line = done.stdout.strip()
    assert line.startswith(f"{backup}: ") and line.endswith(" MB, integrity ok"), line
    copied = int(line.split(": ")[1].split(" learner")[0])
    assert 200 <= copied < written  # the writer went on after the moment copied

    target = tmp_path / "elsewhere" / "restored.db"
    restored = hocso("restore", str(backup), "--store", f"sqlite:///{target}")
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.strip().startswith(f"{target}: {copied} learners, ")

    store = SQLiteStore(target)
    try:
        # Exactly the first `copied` learners, each whole, each with its code.
        assert set(store.learner_ids()) == {f"w:{i}" for i in range(copied)}
        for i in range(copied):
            learner = store.get(f"w:{i}")
            assert learner is not None and learner.turns == i
            record = store.find_certificate(f"HS-W-{i}")
            assert record is not None and record.learner == f"w:{i}"
        assert store.find_certificate(f"HS-W-{copied}") is None
    finally:
        store.close()
    progress = hocso("progress", "w:7", "--json", "--store", f"sqlite:///{target}")
    assert progress.returncode == 0, progress.stderr
    assert '"HS-W-7"' in progress.stdout


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A store with one learner, held open by another process (as `hocso serve` holds it)."""
    path = saved(tmp_path / "busy.db", "tg:1")
    process = python(HOLDER, str(path))
    assert process.stdout is not None
    assert process.stdout.readline() == "open\n"
    try:
        yield path, process.pid
    finally:
        process.communicate(timeout=30)


def test_restore_refuses_a_store_in_use_unless_forced(
    tmp_path: Path, holder: tuple[Path, int]
) -> None:
    busy, pid = holder
    backup = tmp_path / "b.db"
    source = saved(tmp_path / "s.db", "a", "b")
    assert hocso("backup", str(backup), "--store", f"sqlite:///{source}").returncode == 0

    refused = hocso("restore", str(backup), "--store", f"sqlite:///{busy}")
    assert refused.returncode == 1
    assert refused.stderr == (
        f"hocso: {busy} is in use by process {pid} (a running hocso serve?): stop it first, "
        "or add --force to replace what it is using\n"
    )
    assert set(open_store(f"sqlite:///{busy}").learner_ids()) == {"tg:1"}  # untouched

    forced = hocso("restore", str(backup), "--force", "--store", f"sqlite:///{busy}")
    assert forced.returncode == 0, forced.stderr
    store = SQLiteStore(busy)
    try:
        assert set(store.learner_ids()) == {"a", "b"}
    finally:
        store.close()


# (what to set up, the command's arguments, the exact stderr). {tmp} is the test's folder.
REFUSED = [
    pytest.param(
        [], ["backup", "{tmp}/b.db", "--store", "memory://"],
        "hocso: a memory:// store lives inside one process: there is nothing to back up\n",
        id="backup-memory",
    ),
    pytest.param(
        [], ["backup", "{tmp}/b.db", "--store", "sqlite:///{tmp}/none.db"],
        "hocso: there is no SQLite store at {tmp}/none.db\n",
        id="backup-no-store",
    ),
    pytest.param(
        ["store"], ["backup", "--store", "sqlite:///{tmp}/s.db"],
        "hocso: say where the backup goes: hocso backup DEST (a file or a folder)\n",
        id="backup-without-dest",
    ),
    pytest.param(
        ["store", "old"], ["backup", "{tmp}/old.db", "--store", "sqlite:///{tmp}/s.db"],
        "hocso: {tmp}/old.db already exists: a backup never replaces a file\n",
        id="backup-over-a-file",
    ),
    pytest.param(
        ["store"], ["backup", "{tmp}/no/such/b.db", "--store", "sqlite:///{tmp}/s.db"],
        "hocso: there is no folder {tmp}/no/such to put the backup in\n",
        id="backup-into-no-folder",
    ),
    pytest.param(
        [], ["restore", "{tmp}/none.db", "--store", "sqlite:///{tmp}/t.db"],
        "hocso: there is no backup file {tmp}/none.db\n",
        id="restore-no-backup",
    ),
    pytest.param(
        ["old"], ["restore", "{tmp}/old.db", "--store", "sqlite:///{tmp}/t.db"],
        "hocso: {tmp}/old.db is not a hocso SQLite store: file is not a database\n",
        id="restore-not-a-database",
    ),
    pytest.param(
        ["store"], ["restore", "{tmp}/s.db", "--store", "sqlite:///{tmp}/s.db"],
        "hocso: {tmp}/s.db already holds a store with 1 learner: add --force to replace it "
        "(back it up first: hocso backup)\n",
        id="restore-over-learners",
    ),
    pytest.param(
        ["store"], ["restore", "{tmp}/s.db", "--store", "redis://127.0.0.1:1/0"],
        "hocso: hocso restore puts a backup in place of a SQLite store; redis://127.0.0.1:1/0 is "
        "not one (a Redis store is restored from Redis's own files: README, Deploy: Restore)\n",
        id="restore-redis",
    ),
    pytest.param(
        [], ["backup", "--store", "redis+cluster://127.0.0.1:1/"],
        "hocso: a Redis Cluster keeps its data on its masters: back up each master's own files "
        "(README, Past one machine); hocso backup takes one server's snapshot\n",
        id="backup-cluster",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("setup", "args", "stderr"), REFUSED)
def test_what_backup_and_restore_refuse(
    tmp_path: Path, setup: list[str], args: list[str], stderr: str
) -> None:
    if "store" in setup:
        saved(tmp_path / "s.db", "tg:1")
    if "old" in setup:
        (tmp_path / "old.db").write_text("not a database, a note\n" * 100)
    before = files(tmp_path)
    done = hocso(*(arg.format(tmp=tmp_path) for arg in args))
    assert (done.returncode, done.stderr) == (1, stderr.format(tmp=tmp_path))
    assert done.stdout == ""
    assert files(tmp_path) == before  # nothing made


def files(folder: Path) -> list[str]:
    """The files in `folder`, but SQLite's own -wal and -shm beside a store it opened."""
    return sorted(
        path.name for path in folder.iterdir() if not path.name.endswith(("-wal", "-shm"))
    )


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A throwaway redis-server of this test's own (a snapshot is of the whole server)."""
    folder = tmp_path / "redis"
    folder.mkdir()
    server = start_redis_server(folder)
    try:
        yield server
    finally:
        server.stop()


def test_a_redis_snapshot_is_taken_copied_and_loads_in_another_server(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    store = open_store(redis_server.url)
    assert isinstance(store, RedisStore)
    try:
        store.save(_new("tg:9"))
    finally:
        store.close()

    told = hocso("backup", "--store", redis_server.url)
    assert told.returncode == 0, told.stderr
    dump = tmp_path / "redis" / "dump.rdb"
    assert told.stdout.startswith(f"Redis saved its data to {dump} at ")
    assert told.stdout.endswith(
        " (AOF off), on the Redis server's machine: copy that file to keep it\n"
    )

    copied = tmp_path / "redis-backup.rdb"
    done = hocso("backup", str(copied), "--store", redis_server.url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"; copied to {copied}")
    assert copied.read_bytes().startswith(b"REDIS")

    # Restore: another server started on the copy has the learner.
    elsewhere = tmp_path / "restored"
    elsewhere.mkdir()
    shutil.copy(copied, elsewhere / "dump.rdb")
    other = start_redis_server(elsewhere)
    try:
        restored = open_store(other.url)
        try:
            wait_until(lambda: restored.get("tg:9") is not None, 10, "the learner")
        finally:
            restored.close()
    finally:
        other.stop()
