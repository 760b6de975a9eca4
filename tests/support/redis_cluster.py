"""Throwaway Redis deployments for tests, as production runs them: a Redis Cluster (three
masters, each with a replica) and Sentinel (a master, its replica and one sentinel).

Every process listens on 127.0.0.1 on a free port, saves nothing (`--save "" --appendonly no`),
works in a folder of the test's own and is stopped at the end. Failover is quick
(`--cluster-node-timeout` and the sentinel's `down-after-milliseconds`: `FAILOVER_MS`), so that
a test can stop a master and watch a replica take over:

    with start_cluster(tmp_path) as cluster:
        url = cluster.store_url("hocso-test")   # redis+cluster://127.0.0.1:P1,…/?prefix=…
        victim = cluster.master_of(key_slot(b"s2"))
        cluster.kill(victim)
        cluster.wait_until_master(victim.replica)
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import redis

from support.redis_server import MISSING_BINARY, RedisServerMissingError

FAILOVER_MS = 2000
"""How long a master may not answer before the others (or the sentinel) count it as down."""


def _free_ports(count: int) -> list[int]:
    """`count` distinct ports free on 127.0.0.1 just now (held open together while chosen)."""
    probes = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind(("127.0.0.1", 0))
            probes.append(probe)
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RedisServerMissingError(MISSING_BINARY)
    return found


@dataclass
class Node:
    """One `redis-server` (or `redis-sentinel`) child process."""

    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.folder / "redis.log"

    def client(self, timeout: float = 2.0) -> redis.Redis:
        return redis.Redis(
            port=self.port, socket_connect_timeout=timeout, socket_timeout=timeout,
            decode_responses=True,
        )  # fmt: skip

    def answers(self) -> bool:
        client = self.client()
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    def start(self, *args: str, binary: str = "redis-server") -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [_binary(binary), *args],
                cwd=self.folder,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9: the process is gone at once, as when its machine fails."""
        if self.running():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.running():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def wait_answering(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.answers():
            if not self.running() or time.monotonic() > deadline:
                raise RuntimeError(f"redis on port {self.port} did not start; see {self.log}")
            time.sleep(0.05)


def _wait(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():  # type: ignore[operator]
                return
        except (redis.RedisError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class Member:
    """A node of the cluster as CLUSTER NODES tells it."""

    port: int
    master: bool
    master_id: str
    node_id: str
    slots: list[tuple[int, int]]


@dataclass
class Cluster:
    """A Redis Cluster of `masters` masters, each with one replica; `start_cluster` makes one."""

    folder: Path
    nodes: list[Node] = field(default_factory=list)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def startup(self) -> str:
        """`host:port,…` of the first three nodes: what a store URL names."""
        return ",".join(f"127.0.0.1:{node.port}" for node in self.nodes[:3])

    def store_url(self, prefix: str) -> str:
        return f"redis+cluster://{self.startup}/?prefix={prefix}"

    def node(self, port: int) -> Node:
        return next(node for node in self.nodes if node.port == port)

    def members(self) -> list[Member]:
        """The cluster's nodes as a running node sees them (failed ones left out)."""
        for node in self.nodes:
            if not node.running():
                continue
            client = node.client()
            try:
                table = client.execute_command("CLUSTER NODES")  # parsed by redis-py
            except (redis.RedisError, OSError):
                continue
            finally:
                client.close()
            return _members(table)
        raise RuntimeError("no node of the cluster answers")

    def master_of(self, slot: int) -> Node:
        for member in self.members():
            if member.master and any(low <= slot <= high for low, high in member.slots):
                return self.node(member.port)
        raise RuntimeError(f"no master serves slot {slot}")

    def replica_of(self, master: Node) -> Node:
        members = self.members()
        master_id = next(m.node_id for m in members if m.port == master.port)
        return self.node(next(m.port for m in members if m.master_id == master_id))

    def in_sync(self, master: Node) -> bool:
        """Whether the master's replica has everything the master was sent (replication is
        asynchronous: what a failed master had not passed on is lost)."""
        info = master.client().info("replication")
        offset = info["master_repl_offset"]
        replicas = [value for name, value in info.items() if name.startswith("slave")]
        return bool(replicas) and all(
            replica["state"] == "online" and replica["offset"] == offset for replica in replicas
        )

    def state_ok(self) -> bool:
        """Every running node says `cluster_state:ok` and knows the same masters."""
        for node in self.nodes:
            if node.running():
                client = node.client()
                try:
                    info = client.execute_command("CLUSTER INFO")  # parsed by redis-py
                finally:
                    client.close()
                if info.get("cluster_state") != "ok":
                    return False
        return True

    def wait_until_master(self, node: Node, timeout: float = 30.0) -> None:
        def promoted() -> bool:
            return any(m.master and m.port == node.port and m.slots for m in self.members())

        _wait(promoted, timeout, f"node {node.port} to be promoted")
        _wait(self.state_ok, timeout, "the cluster to be ok again")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def _members(table: dict[str, dict[str, Any]]) -> list[Member]:
    members = []
    for address, about in table.items():
        flags = about["flags"].split(",")
        if "fail" in flags or "noaddr" in flags:
            continue
        port = int(address.split("@")[0].rsplit(":", 1)[1])
        slots = [(int(span[0]), int(span[-1])) for span in about["slots"]]
        members.append(Member(port, "master" in flags, about["master_id"], about["node_id"], slots))
    return members


def start_cluster(folder: Path, masters: int = 3, tries: int = 3) -> Cluster:
    """Start `masters` masters and as many replicas, join them into a cluster with
    `redis-cli --cluster create`, and wait until every node says the cluster is ok and every
    replica is in step with its master."""
    for attempt in range(tries):  # another program may take a free port before redis does
        cluster = Cluster(folder / f"cluster-{attempt}")
        try:
            _start_nodes(cluster, masters * 2)
            _create(cluster, masters)
        except Exception:
            cluster.stop()
            if attempt == tries - 1:
                raise
            continue
        return cluster
    raise AssertionError("unreachable")


def _start_nodes(cluster: Cluster, count: int) -> None:
    ports = _free_ports(2 * count)
    for n in range(count):
        port, bus = ports[2 * n], ports[2 * n + 1]
        node = Node(port, cluster.folder / str(port))
        node.start(
            "--port", str(port), "--cluster-port", str(bus), "--bind", "127.0.0.1",
            "--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf",
            "--cluster-node-timeout", str(FAILOVER_MS), "--save", "", "--appendonly", "no",
            "--dir", str(node.folder), "--daemonize", "no",
        )  # fmt: skip
        cluster.nodes.append(node)
    for node in cluster.nodes:
        node.wait_answering()


def _create(cluster: Cluster, masters: int) -> None:
    addresses = [f"127.0.0.1:{node.port}" for node in cluster.nodes]
    done = subprocess.run(
        [_binary("redis-cli"), "--cluster", "create", *addresses,
         "--cluster-replicas", str(len(cluster.nodes) // masters - 1), "--cluster-yes"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"redis-cli --cluster create failed:\n{done.stdout}\n{done.stderr}")
    _wait(cluster.state_ok, 30, "every node to say the cluster is ok")

    def whole() -> bool:
        members = cluster.members()
        return len(members) == len(cluster.nodes) and sum(m.master for m in members) == masters

    _wait(whole, 30, "every node to know every other")
    for member in cluster.members():
        if member.master:
            node = cluster.node(member.port)
            _wait(lambda node=node: cluster.in_sync(node), 30, f"the replica of {node.port}")


# -- Sentinel ---------------------------------------------------------------------------------

SERVICE = "hocso"


@dataclass
class Sentinel:
    """A master, its replica and one sentinel watching them as `SERVICE`."""

    folder: Path
    master: Node
    replica: Node
    sentinel: Node

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def store_url(self, prefix: str) -> str:
        return f"redis+sentinel://127.0.0.1:{self.sentinel.port}/{SERVICE}/0?prefix={prefix}"

    def master_port(self) -> int:
        client = self.sentinel.client()
        try:
            _, port = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)
        finally:
            client.close()
        return int(port)

    def stop(self) -> None:
        for node in (self.sentinel, self.replica, self.master):
            node.stop()


def start_sentinel(folder: Path) -> Sentinel:
    """Start a master, a replica of it and a sentinel (quorum 1) that fails over in about
    `FAILOVER_MS`; wait until the sentinel knows the replica."""
    master_port, replica_port, sentinel_port = _free_ports(3)
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]
    master = Node(master_port, folder / "master")
    replica = Node(replica_port, folder / "replica")
    sentinel = Node(sentinel_port, folder / "sentinel")
    master.start("--port", str(master_port), "--dir", str(master.folder), *common)
    replica.start(
        "--port", str(replica_port), "--dir", str(replica.folder), *common,
        "--replicaof", "127.0.0.1", str(master_port),
    )  # fmt: skip
    sentinel.folder.mkdir(parents=True, exist_ok=True)
    config = sentinel.folder / "sentinel.conf"
    config.write_text(
        f"port {sentinel_port}\nbind 127.0.0.1\ndir {sentinel.folder}\n"
        f"sentinel monitor {SERVICE} 127.0.0.1 {master_port} 1\n"
        f"sentinel down-after-milliseconds {SERVICE} {FAILOVER_MS}\n"
        f"sentinel failover-timeout {SERVICE} 10000\n"
    )
    deployment = Sentinel(folder, master, replica, sentinel)
    try:
        for node in (master, replica):
            node.wait_answering()
        sentinel.start(str(config), "--sentinel")
        sentinel.wait_answering()

        def knows_replica() -> bool:
            client = sentinel.client()
            try:
                replicas = client.execute_command("SENTINEL", "REPLICAS", SERVICE)
            finally:
                client.close()
            return bool(replicas) and "s_down" not in str(replicas)

        _wait(knows_replica, 30, "the sentinel to find the replica")
        _wait(lambda: master.client().info("replication")["connected_slaves"] == 1, 30, "sync")
    except Exception:
        deployment.stop()
        raise
    return deployment
