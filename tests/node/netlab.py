"""Nodes as separate hosts: one network namespace each, made (and removed) by the test.

A :class:`Lab` builds, for this test run only (names carry the pid):

- a *switch* namespace holding a bridge, and one namespace per node, linked to the bridge
  by a veth pair (``eth0`` in the node's namespace, 10.77.0.10+i/24); nothing is added to
  the machine's own namespace, so addresses never collide with anyone else's;
- in each node namespace, a real ``confiance serve`` process with TLS: a certificate for
  its address from a test CA (``trustme``), ``peer_ca_bundle`` = that CA, ``public_url``
  ``https://10.77.0.x:8443`` (off loopback, did:web keys are fetched over https only);
- a driver process per namespace (:mod:`netdriver`) through which the test posts, peers
  and reads figures.

Faults, per node namespace: random loss with nftables (``numgen random mod 100 < P drop``
on output, so every link direction loses P%), narrow links with ``tbf`` on ``eth0``,
partitions by dropping traffic to and from the other group's addresses, and delay with
``netem`` where the kernel has it (:func:`have_netem`; this machine's has not).

:func:`lab_or_skip` skips the calling test, with the reason, where namespaces cannot be
made (not root, no ``ip``/``nft``/``tc``, no privilege). Everything is removed at exit,
even after a failure: processes first, then the namespaces (which take their veths along).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import tomli_w

HERE = Path(__file__).resolve().parent
SUBNET = "10.77.0"
PORT = 8443
GOSSIP = {"flush_interval": 0.05, "anti_entropy_interval": 3.0, "request_timeout": 15.0,
          "graft_timeout": 1.0, "retry_timeout": 1.0, "backoff_base": 0.2, "backoff_cap": 2.0,
          "anti_entropy_grace": 1.0, "tick_interval": 0.1}


def _ip(*args: str, ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = ["ip", "netns", "exec", ns, *args] if ns else list(args)
    return subprocess.run(command, capture_output=True, text=True, check=check, timeout=30)


def lab_or_skip() -> None:
    """Skip the calling test, saying why, where this machine cannot make namespaces."""
    if sys.platform != "linux":
        pytest.skip("network namespaces are Linux only")
    if os.geteuid() != 0:
        pytest.skip("network-namespace tests need root (ip netns, nftables, tc): "
                    "run them through .ci/run, which is run as root")
    missing = [tool for tool in ("ip", "nft", "tc") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"network-namespace tests need {', '.join(missing)}: "
                    "apt-get install -y iproute2 nftables (.ci/run does)")
    probe = f"cf{os.getpid()}probe"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a network namespace here: {made.stderr.strip()}")
    try:
        for command in (["nft", "list", "tables"],
                        ["tc", "qdisc", "add", "dev", "lo", "root", "tbf", "rate", "1mbit",
                         "burst", "32kb", "latency", "100ms"]):
            done = _ip(*command, ns=probe, check=False)
            if done.returncode != 0:
                pytest.skip(f"{' '.join(command[:2])} does not work in a namespace here: "
                            f"{done.stderr.strip()}")
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)


def have_netem() -> bool:
    """Whether this kernel has the netem qdisc (delay); many CI kernels have not."""
    probe = f"cf{os.getpid()}netem"
    subprocess.run(["ip", "netns", "add", probe], capture_output=True, check=True)
    try:
        return _ip("tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms",
                   ns=probe, check=False).returncode == 0
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True)


class Driver:
    """A :mod:`netdriver` process in a node's namespace (one JSON line each way)."""

    def __init__(self, ns: str, base: str, token: str, bundle: str) -> None:
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, str(HERE / "netdriver.py"), base,
             token, bundle], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def __call__(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"the driver of {op} died")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise AssertionError(f"{op}: {answer['error']}")
        return answer

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


class LabNode:
    """One host: its namespace, its address, its node process, its driver."""

    def __init__(self, lab: Lab, index: int) -> None:
        self.lab = lab
        self.index = index
        self.ns = f"cf{lab.pid}n{index}"
        self.address = f"{SUBNET}.{10 + index}"
        self.url = f"https://{self.address}:{PORT}"
        self.data_dir = lab.root / f"node{index}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.driver: Driver | None = None

    def init(self) -> subprocess.Popen[bytes]:
        """Start ``confiance init`` for this host (:meth:`configure` once it is done)."""
        return subprocess.Popen(
            [sys.executable, "-m", "confiance.node.cli", "init", "--data-dir",
             str(self.data_dir), "--public-url", self.url, "--host", self.address, "--port",
             str(PORT), "--name", f"host {self.index}"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def configure(self) -> None:
        """TLS (a certificate for its address) and faster gossip in confiance.toml."""
        cert = self.lab.ca.issue_cert(self.address)
        tls = self.lab.root / f"tls{self.index}"
        tls.mkdir()
        cert.cert_chain_pems[0].write_to_path(str(tls / "cert.pem"))
        cert.private_key_pem.write_to_path(str(tls / "key.pem"))
        toml = self.data_dir / "confiance.toml"
        import tomllib

        settings = tomllib.loads(toml.read_text(encoding="utf-8"))
        settings["tls"] = {"cert": str(tls / "cert.pem"), "key": str(tls / "key.pem"),
                           "peer_ca_bundle": str(self.lab.bundle)}
        settings["gossip"] = dict(GOSSIP)
        settings["log"] = {"format": "text", "level": "WARNING"}
        settings.setdefault("rate_limit", {}).update(
            {"write_per_second": 0, "read_per_second": 0})
        toml.write_text(tomli_w.dumps(settings), encoding="utf-8")

    def start(self, *, wait: bool = True) -> None:
        """Run the node (and, the first time, its driver); ``wait``: until it answers."""
        log = open(self.lab.root / f"node{self.index}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, sys.executable, "-m", "confiance.node.cli",
             "serve", "--data-dir", str(self.data_dir)], stdout=log, stderr=log)
        log.close()
        if self.driver is None:
            token = (self.data_dir / "admin.token").read_text().strip()
            self.driver = Driver(self.ns, self.url, token, str(self.lab.bundle))
        if wait:
            self.driver("ready")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __call__(self, op: str, **args: Any) -> dict[str, Any]:
        assert self.driver is not None, "node not started"
        return self.driver(op, **args)

    def nft(self, rules: str) -> None:
        """Load nftables rules (a ``nft -f`` script) in this namespace."""
        done = subprocess.run(["ip", "netns", "exec", self.ns, "nft", "-f", "-"], input=rules,
                              capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise AssertionError(f"nft in {self.ns}: {done.stderr.strip()}")


class Lab:
    """The namespaces, bridge and node processes of one test; a context manager."""

    def __init__(self, root: Path, count: int) -> None:
        import trustme

        self.pid = os.getpid()
        self.root = root
        self.switch = f"cf{self.pid}sw"
        self.ca = trustme.CA()
        self.bundle = root / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.bundle))
        self.nodes = [LabNode(self, i) for i in range(count)]
        self._made: list[str] = []

    def __enter__(self) -> Lab:
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _build(self) -> None:
        subprocess.run(["ip", "netns", "add", self.switch], check=True, capture_output=True)
        self._made.append(self.switch)
        _ip("ip", "link", "add", "br0", "type", "bridge", ns=self.switch)
        _ip("ip", "link", "set", "br0", "up", ns=self.switch)
        for node in self.nodes:
            subprocess.run(["ip", "netns", "add", node.ns], check=True, capture_output=True)
            self._made.append(node.ns)
            inner, outer = f"c{self.pid}n{node.index}a", f"c{self.pid}n{node.index}b"
            _ip("ip", "link", "add", inner, "netns", node.ns, "type", "veth", "peer", "name",
                outer, "netns", self.switch)
            _ip("ip", "link", "set", inner, "name", "eth0", ns=node.ns)
            _ip("ip", "addr", "add", f"{node.address}/24", "dev", "eth0", ns=node.ns)
            _ip("ip", "link", "set", "eth0", "up", ns=node.ns)
            _ip("ip", "link", "set", "lo", "up", ns=node.ns)
            _ip("ip", "link", "set", outer, "master", "br0", ns=self.switch)
            _ip("ip", "link", "set", outer, "up", ns=self.switch)
        inits = [node.init() for node in self.nodes]
        for node, init in zip(self.nodes, inits, strict=True):
            if init.wait(timeout=120) != 0:
                raise AssertionError(f"confiance init failed for host {node.index}")
            node.configure()
        for node in self.nodes:
            node.start(wait=False)
        for node in self.nodes:
            node("ready")

    def close(self) -> None:
        for node in self.nodes:
            try:
                node.stop()
            finally:
                if node.driver is not None:
                    node.driver.close()
        for ns in reversed(self._made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self._made.clear()

    # -- faults ---------------------------------------------------------------------------

    def lossy(self, percent: int) -> None:
        """Every node drops ``percent``% of what it sends, at random (nftables)."""
        for node in self.nodes:
            node.nft(f"table inet cfloss {{\n chain out {{ type filter hook output priority 0; "
                     f"numgen random mod 100 < {percent} drop; }}\n}}\n")

    def narrow(self, rate: str = "2mbit", delay_ms: int = 0) -> str:
        """Every node's link limited to ``rate`` (tbf), with ``delay_ms`` of delay where the
        kernel has netem; returns what was applied."""
        applied = f"tbf {rate}"
        delay = delay_ms > 0 and have_netem()
        for node in self.nodes:
            if delay:
                _ip("tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "netem",
                    "delay", f"{delay_ms}ms", ns=node.ns)
                parent = ["parent", "1:", "handle", "2:"]
            else:
                parent = ["root"]
            _ip("tc", "qdisc", "add", "dev", "eth0", *parent, "tbf", "rate", rate, "burst",
                "32kb", "latency", "400ms", ns=node.ns)
        if delay:
            applied += f", netem delay {delay_ms} ms"
        elif delay_ms:
            applied += " (no netem in this kernel: no added delay)"
        return applied

    def partition(self, side: list[int]) -> None:
        """Drop all traffic between the nodes of ``side`` and the others, both ways."""
        inside = {self.nodes[i].address for i in side}
        for node in self.nodes:
            others = [n.address for n in self.nodes
                      if (n.address in inside) != (node.address in inside)]
            node.nft(f"table inet cfcut {{\n chain out {{ type filter hook output priority 0; "
                     f"ip daddr {{ {', '.join(others)} }} drop; }}\n"
                     f" chain in {{ type filter hook input priority 0; "
                     f"ip saddr {{ {', '.join(others)} }} drop; }}\n}}\n")

    def heal(self) -> None:
        for node in self.nodes:
            node.nft("delete table inet cfcut")

    # -- figures --------------------------------------------------------------------------

    def wait_converged(self, expected: int, timeout: float, nodes: list[int] | None = None
                       ) -> float:
        """Seconds until every node (of ``nodes``) holds ``expected`` ids; fails after
        ``timeout`` with the counts."""
        start = time.monotonic()
        chosen = [self.nodes[i] for i in nodes] if nodes is not None else self.nodes
        while True:
            counts = [node("state")["ids"] for node in chosen]
            if min(counts) >= expected:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise AssertionError(f"not converged after {timeout} s: held {counts}, "
                                     f"expected {expected}")
            time.sleep(0.5)
