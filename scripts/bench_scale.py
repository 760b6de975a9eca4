"""What a learner costs and how hocso holds up at size: builds a store of N learners (default
100,000) who have each taken five lessons, then prints the bytes a learner costs, how long a
turn takes there beside a small store, and how long a restart takes.

    .venv/bin/python scripts/bench_scale.py                      # SQLite and a private Redis
    .venv/bin/python scripts/bench_scale.py --learners 20000 --only sqlite
        [--turns 400] [--small 1000] [--threads 4] [--seed 7] [--content DIR]

Learners are made as `scripts/bench_reports.py` makes them (walks of the real lessons through
the lesson machine, with the trail, first answers, results and certificates the engine keeps),
each through five lessons in the menu's order from a random one, to their end; they came
through Telegram, Zalo or the web, most with a volunteer, and have a chat address and a name.
Each is written with `store.save` (its records applied in the same step, as in the product).

- **Redis**: a throwaway `redis-server` on a free port (nothing saved to disk), so that its
  `used_memory` holds this store alone: the growth per learner, and `MEMORY USAGE` of one
  learner's own key beside the shared hashes and sets divided by the learners.
- **SQLite**: the file's size per learner after a checkpoint, and each table's share
  (`dbstat`).
- **A turn**: `Tutor.receive` with the real engine and content, as a webhook applies an event
  (the learner read, changed, written with their records, the event remembered, the replies
  queued), on learners picked at random: the median and the 99th percentile, on this store and
  on a store of `--small` learners built the same way.
- **A restart**: `hocso serve` started on the store until `/healthz` answers 200, three
  times, on the big store and the small one.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_reports import Plan  # noqa: E402  # the learners as the reports benchmark makes them

from bot.content import Content, check_content, default_content_dir  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.inbound import Inbound  # noqa: E402
from bot.learner import Learner, now_vn  # noqa: E402
from bot.stores import Store, open_store  # noqa: E402
from bot.tutor import Tutor  # noqa: E402

LESSONS_EACH = 5


def make_learner(plan: Plan, number: int, seed: int) -> Learner:
    """Learner `number`: five lessons taken to their end, one after another."""
    rng = random.Random(seed * 1_000_003 + number)
    lessons = list(plan.content.lessons.values())
    learner = plan.learner(number, rng)  # who they are, where from, what they did first
    learner.results, learner.certificates, learner.trail, learner.firsts = {}, {}, {}, {}
    learner.position, learner.places, learner.buttons = None, {}, []
    clock = datetime.fromisoformat(learner.created_at)
    first = rng.randrange(len(lessons))
    for k in range(LESSONS_EACH):
        lesson = lessons[(first + k) % len(lessons)]
        clock = plan._attempt(learner, number, lesson, clock, rng, finish=1.0)
    learner.seen_at = min(clock, plan.now).isoformat()
    channel, _, chat = learner.id.partition(":")
    learner.address = ({"tg": "telegram", "zalobot": "zalo-bot", "zalo": "zalo-oa"}
                       .get(channel, channel), chat)  # fmt: skip
    learner.name = learner.name or "Nguyễn Thị Hoa"
    return learner


def build(store: Store, plan: Plan, count: int, seed: int, threads: int) -> float:
    """Write `count` learners; the seconds it took."""
    started = time.perf_counter()

    def save(number: int) -> None:
        store.save(make_learner(plan, number, seed))

    with ThreadPoolExecutor(threads) as pool:
        for start in range(0, count, 5000):
            list(pool.map(save, range(start, min(count, start + 5000))))
            done = min(count, start + 5000)
            rate = done / (time.perf_counter() - started)
            print(f"\r  {done:,}/{count:,} learners, {rate:,.0f}/s", end="", flush=True)
    print()
    return time.perf_counter() - started


def turn_times(store: Store, content: Content, count: int, learners: int) -> list[float]:
    """Seconds a turn takes through `Tutor.receive`, for `count` learners picked at random,
    each asked for their results ("kết quả": a read, a write with records, a reply queued)."""
    tutor = Tutor(Engine(content), store)
    rng = random.Random(5)
    ids = [learner_id for learner_id, _ in store.ranked("all", 0, learners)]
    times = []
    for n in range(count):
        learner_id = rng.choice(ids)
        inbound = Inbound(learner_id, text="kết quả")
        started = time.perf_counter()
        tutor.receive(f"bench:{n}:{rng.random()}", inbound, "bench", learner_id, time.time())
        times.append(time.perf_counter() - started)
    return times


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def private_redis() -> Iterator[str]:
    """A redis-server of this run's own, on a free port, keeping nothing on disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("no redis-server: apt-get install redis-server")
    port = free_port()
    folder = tempfile.mkdtemp(prefix="hocso-scale-redis-")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", folder],
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        for _ in range(100):
            try:
                store = open_store(url)
                if store.ping():
                    store.close()
                    break
            except Exception:
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)


def redis_memory(url: str) -> int:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return int(client.info("memory")["used_memory"])
    finally:
        client.close()


def redis_breakdown(url: str, learners: int) -> list[str]:
    """Bytes per learner of each kind of key: a learner's own (sampled), shared ones divided."""
    import redis

    client = redis.Redis.from_url(url, decode_responses=True)
    sampled: dict[str, list[int]] = {}
    keys: dict[str, int] = {}
    try:
        for key in client.scan_iter(count=1000):
            # "hocso:learner:tg:1", "hocso:{s7}:learner:tg:1": the part after prefix and tag
            kind = next((p for p in key.split(":")[1:] if not p.startswith("{")), "?")
            keys[kind] = keys.get(kind, 0) + 1
            if len(sampled.setdefault(kind, [])) < 2000:
                sampled[kind].append(client.memory_usage(key, samples=0) or 0)
        lines = []
        for kind, sizes in sorted(sampled.items(), key=lambda item: -sum(item[1])):
            per = statistics.mean(sizes) * keys[kind] / learners
            lines.append(f"    {kind:<10} {keys[kind]:>9,} keys, {per:8.0f} B a learner")
        return lines
    finally:
        client.close()


def sqlite_breakdown(path: Path, learners: int) -> list[str]:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            rows = connection.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
            ).fetchall()
        except sqlite3.OperationalError:  # SQLite built without dbstat
            return []
    return [f"    {name:<22} {size / learners:8.0f} B a learner" for name, size in rows[:10]]


def restart_times(url: str, content: Path, runs: int = 3) -> list[float]:
    """Seconds from starting `hocso serve` on the store until /healthz answers 200."""
    times = []
    for _ in range(runs):
        port = free_port()
        env = {**os.environ, "HOCSO_STORE": url, "HOCSO_CONTENT": str(content)}
        started = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.perf_counter() - started > 120:
                    raise SystemExit(f"hocso serve did not answer on {url}")
                time.sleep(0.02)
            times.append(time.perf_counter() - started)
        finally:
            server.terminate()
            server.wait()
    return times


def measure(
    name: str,
    open_url: Callable[[str], str],
    plan: Plan,
    args: argparse.Namespace,
    used: Callable[[str], int],
    breakdown: Callable[[str, int], list[str]],
) -> None:
    """Build the small store and the big one, and print what each costs and takes."""
    print(f"== {name}")
    for count, label in ((args.small, "small"), (args.learners, "big")):
        url = open_url(label)
        store = open_store(url)
        try:
            before = used(url)
            took = build(store, plan, count, args.seed, args.threads if name == "Redis" else 1)
            print(f"  {label}: {count:,} learners built in {took:.0f} s")
            if label == "big":
                total, lines = used(url) - before, breakdown(url, count)
                print(f"  {total / count:,.0f} bytes a learner ({total / 2**20:,.0f} MiB in all)")
                for line in lines:
                    print(line)
            times = turn_times(store, plan.content, args.turns, count)
            print(f"  a turn on {count:,} learners: {percentiles(times)}")
        finally:
            store.close()
        restarts = restart_times(url, args.content)
        print(f"  restart on {count:,} learners: " + ", ".join(f"{t:.2f} s" for t in restarts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1000, help="learners of the small store")
    parser.add_argument("--turns", type=int, default=400, help="turns timed on each store")
    parser.add_argument("--threads", type=int, default=4, help="Redis: learners written at once")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=("sqlite", "redis"))
    parser.add_argument("--content", type=Path, default=default_content_dir())
    args = parser.parse_args()
    content, problems = check_content(args.content)
    if content is None:
        raise SystemExit("\n".join(map(str, problems)))
    plan = Plan.make(content, now_vn(), args.seed)
    print(f"{args.learners:,} learners who each took {LESSONS_EACH} lessons; {time.ctime()}")
    if args.only != "redis":
        folder = Path(tempfile.mkdtemp(prefix="hocso-scale-"))
        try:

            def sqlite_url(label: str) -> str:
                return f"sqlite:///{folder / label}.db"

            def sqlite_used(url: str) -> int:
                path = Path(url.removeprefix("sqlite:///"))
                wal = path.with_name(path.name + "-wal")
                if path.exists():
                    with sqlite3.connect(path) as connection:
                        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                return sum(f.stat().st_size for f in (path, wal) if f.exists())

            def sqlite_parts(url: str, count: int) -> list[str]:
                return sqlite_breakdown(Path(url.removeprefix("sqlite:///")), count)

            measure("SQLite", sqlite_url, plan, args, sqlite_used, sqlite_parts)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if args.only != "sqlite":
        with private_redis() as base:
            servers = {"small": base.replace("/0", "/1"), "big": base}
            measure("Redis", servers.__getitem__, plan, args, redis_memory, redis_breakdown)


if __name__ == "__main__":
    main()
