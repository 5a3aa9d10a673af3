"""A throwaway Ray cluster on loopback: a head and more nodes started with `ray start` on one
machine (simulated nodes), in a private temporary folder, on free ports, without dashboard.

    with RayCluster(nodes=2, cpus=1) as cluster:
        run(["talkrig", "bake-batch", ..., "--engine", "ray", "--address", cluster.address])

Each node is a `ray start --block` process in its own session; stopping the cluster ends those
processes and everything they started (found through /proc), never another Ray on the machine
(`ray stop` would end every Ray of this user).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Every process of the cluster on loopback. Ray rewrites 127.0.0.1 (given as --node-ip-address,
# or in an address) to the machine's network address unless multi-node clusters are switched off
# (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, what Ray does on Windows and macOS), and with them off
# its CLI refuses to start a second node. So the whole cluster (and whatever connects to it with
# its env) runs with clusters off, and `ray start` itself with them on but this machine resolved
# to loopback as Ray resolves it with them off.
RAY = str(Path(sys.executable).with_name("ray"))
LOOPBACK = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
RAY_START = """
import sys
from ray._common.network_utils import get_localhost_ip
from ray._private import ray_constants, services
ray_constants.ENABLE_RAY_CLUSTER = True
services.get_node_ip_address = lambda address=None: get_localhost_ip()
from ray.scripts.scripts import main
sys.argv[0] = "ray"
sys.exit(main())
"""


def free_ports(count):
    """``count`` distinct free ports on loopback. Each probe stays open until all are chosen: a
    port closed at once can be handed out again, and two of Ray's components given one port
    stop its start ("is used by other components")."""
    probes = []
    try:
        for _ in range(count):
            probes.append(socket.socket())
            probes[-1].bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


class RayCluster:
    """nodes: how many `ray start` nodes (the first is the head); cpus: CPUs each offers.
    env: extra environment of the nodes (and so of their worker processes)."""

    def __init__(self, nodes=2, cpus=1, env=None):
        # Ray's unix sockets live under the temporary folder: keep its path short.
        self.temp = Path(tempfile.mkdtemp(prefix="trray-", dir="/tmp"))
        # No token authentication: a token a local Ray once wrote to ~/.ray would otherwise be
        # required by the head and not sent by `ray status`.
        self.env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0", RAY_AUTH_MODE="disabled",
                        **{LOOPBACK: "0"}, **(env or {}))
        self.env.pop("RAY_ADDRESS", None)
        self.cpus = cpus
        # the head's own ports, chosen together (see free_ports)
        self.port, self.client_port, self._dashboard, *self._head_agents = free_ports(7)
        self.address = f"127.0.0.1:{self.port}"
        self.nodes = []
        try:
            self.add_node()
            self.wait_for_nodes(1)
            for _ in range(nodes - 1):  # the other nodes start side by side
                self.add_node()
            self.wait_for_nodes(nodes)
        except BaseException:
            self.stop()
            raise

    def add_node(self):
        k = len(self.nodes)
        agents = self._head_agents if k == 0 else free_ports(4)
        command = [sys.executable, "-c", RAY_START, "start", "--block",
                   "--temp-dir", str(self.temp),
                   "--num-cpus", str(self.cpus), "--node-ip-address", "127.0.0.1",
                   "--disable-usage-stats",
                   "--dashboard-agent-listen-port", str(agents[0]),
                   "--dashboard-agent-grpc-port", str(agents[1]),
                   "--metrics-export-port", str(agents[2]),
                   "--runtime-env-agent-port", str(agents[3])]
        if k == 0:
            command += ["--head", "--port", str(self.port), "--include-dashboard=false",
                        "--dashboard-port", str(self._dashboard),
                        "--ray-client-server-port", str(self.client_port)]
        else:
            command += ["--address", self.address]
        log = open(self.temp / f"node{k}.log", "wb")
        self.nodes.append(subprocess.Popen(command, env=self.env, start_new_session=True,
                                           stdout=log, stderr=subprocess.STDOUT))
        log.close()

    def wait_for_nodes(self, count, timeout=180):
        """Until ``count`` nodes run: each says so in its log, then `ray status` (slow: it is a
        Ray client of its own) lists them as active."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            started = 0
            for k, node in enumerate(self.nodes):
                log = (self.temp / f"node{k}.log").read_text(errors="replace")
                if node.poll() is not None:
                    raise RuntimeError(f"ray node {k} exited ({node.returncode}):\n{log[-3000:]}")
                started += "Ray runtime started" in log
            if started >= count:
                status = subprocess.run([RAY, "status", "--address", self.address],
                                        env=self.env, capture_output=True, text=True)
                if status.returncode == 0 and alive_nodes(status.stdout) >= count:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{count} ray node(s) not up after {timeout} s")

    def log_tails(self, pattern="ray_client_server*.err", chars=1500):
        """The ends of the cluster's Ray logs named like ``pattern``: why a test failed."""
        return "\n".join(f"== {path.name}\n{path.read_text(errors='replace')[-chars:]}"
                         for path in sorted(self.temp.glob(f"session_*/logs/{pattern}")))

    def processes(self, k=None):
        """Process ids of every process node ``k`` (default: all nodes) started, recursively."""
        found = []
        for node in self.nodes if k is None else [self.nodes[k]]:
            found += descendants(node.pid)
        return found

    def stop(self):
        """End every node and all it started: SIGTERM (Ray stops its processes), then SIGKILL
        whatever is left, by process id."""
        family = {pid for node in self.nodes for pid in [node.pid] + descendants(node.pid)}
        for node in self.nodes:
            if node.poll() is None:
                node.terminate()
        deadline = time.monotonic() + 30
        for node in self.nodes:
            try:
                node.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for pid in family:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for node in self.nodes:
            node.wait()
        shutil.rmtree(self.temp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def alive_nodes(status_text):
    """How many nodes `ray status` lists as active."""
    lines = status_text.splitlines()
    try:
        start = next(k for k, line in enumerate(lines) if line.strip() == "Active:")
    except StopIteration:
        return 0
    count = 0
    for line in lines[start + 1:]:
        if not line.strip().startswith("1 node_"):
            break
        count += 1
    return count


def descendants(pid):
    """Process ids of every living descendant of ``pid`` (Linux /proc); a process that ends
    while it is read (a worker killed, a task done) is passed over."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        try:
            tasks = list(Path(f"/proc/{parent}/task").iterdir())
        except (FileNotFoundError, ProcessLookupError):
            continue
        for task in tasks:
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
            found += children
            queue += children
    return found


def process_title(pid):
    """What a process calls itself (Ray workers: 'ray::TASK_NAME' while busy, 'ray::IDLE')."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def listening_addresses(pids):
    """The IP addresses the processes ``pids`` accept TCP connections on (Linux /proc), IPv4
    and IPv6 as Python's ipaddress writes them ('0.0.0.0' and '::' for every interface)."""
    import ipaddress

    inodes = set()
    for pid in pids:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        inodes |= {link[8:-1] for link in links if link.startswith("socket:[")}
    found = set()
    for table, size in (("tcp", 4), ("tcp6", 16)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            raw = bytes.fromhex(fields[1].split(":")[0])
            # /proc writes the address as 32-bit words in the machine's (little-endian) order
            raw = b"".join(raw[k:k + 4][::-1] for k in range(0, size, 4))
            address = ipaddress.ip_address(raw)
            found.add(str(getattr(address, "ipv4_mapped", None) or address))
    return found
