"""Start the node-opcua PLC peer (``tests/peers/node/plc.js``) from tests and benchmarks.

The peer is an OPC UA implementation we did not write, so it must run in CI: when ``node`` or the peer's
``node_modules`` are missing the fixture FAILS with the install command, it never skips.

    from tests.peers.node_peer import node_plc  # noqa: F401  (pytest fixture)

    def test_x(node_plc: NodePlc) -> None:
        node_plc.url, node_plc.namespace  # "opc.tcp://127.0.0.1:<port>", "urn:dtwin:node-plc"
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parent / "node"
SCRIPT = NODE_DIR / "plc.js"
NAMESPACE = "urn:dtwin:node-plc"
INSTALL_HINT = "npm ci --prefix tests/peers/node"
START_TIMEOUT = 30.0


class NodePeerUnavailable(RuntimeError):
    """The node-opcua peer cannot be started on this machine (reason in the message)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def node_executable() -> str:
    """Path to ``node``; raises ``NodePeerUnavailable`` with the reason when the peer cannot run."""
    node = shutil.which("node")
    if node is None:
        raise NodePeerUnavailable("`node` is not on PATH: install Node.js >= 18 to run the node-opcua PLC peer")
    if not (NODE_DIR / "node_modules" / "node-opcua").is_dir():
        raise NodePeerUnavailable(f"node-opcua is not installed for the PLC peer: run `{INSTALL_HINT}`")
    return node


class NodePlc:
    """A running ``plc.js`` process; use as a context manager or call ``start()`` / ``stop()``."""

    def __init__(
        self, tags: int = 0, cycle_ms: float = 10, port: int | None = None, extra_args: list[str] | None = None
    ):
        self.port = port or free_port()
        self.tags = tags
        self.cycle_ms = cycle_ms
        self.extra_args = extra_args or []
        self.namespace = NAMESPACE
        self.url = f"opc.tcp://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None
        self._stderr: list[str] = []

    def node_id(self, name: str) -> str:
        """``nsu=`` form of a peer tag, e.g. ``node_id("PLC.In_Double")``."""
        return f"nsu={NAMESPACE};s={name}"

    def start(self) -> "NodePlc":
        node = node_executable()
        cmd = [node, str(SCRIPT), str(self.port), "--tags", str(self.tags), "--cycle-ms", str(self.cycle_ms)]
        cmd.append("--exit-with-stdin")  # no orphaned peer if this process dies without stopping it
        self.process = subprocess.Popen(
            cmd + self.extra_args,
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NODE_NO_WARNINGS": "1"},
        )
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        ready = threading.Event()
        line_holder: list[str] = []

        def wait_ready() -> None:
            assert self.process is not None and self.process.stdout is not None
            for line in self.process.stdout:
                if line.startswith("READY"):
                    line_holder.append(line)
                    ready.set()
                    break
            ready.set()

        threading.Thread(target=wait_ready, daemon=True).start()
        ready.wait(START_TIMEOUT)
        if not line_holder:
            self.stop()
            tail = "".join(self._stderr[-20:]).strip()
            raise NodePeerUnavailable(f"node-opcua PLC peer did not print READY within {START_TIMEOUT:.0f} s: {tail}")
        return self

    def _drain_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)
            del self._stderr[:-200]

    def kill(self) -> None:
        """Hard-kill the peer (simulates a PLC that vanished)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def freeze(self) -> None:
        """Stop the process without closing its sockets (simulates a frozen PLC); ``thaw()`` resumes it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.thaw()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def __enter__(self) -> "NodePlc":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_shared: NodePlc | None = None
SHARED_TAGS = 2


def shared_node_plc() -> NodePlc:
    """One peer per test process (node-opcua needs seconds of CPU to start); stopped when the process exits.

    It has ``SHARED_TAGS`` bench pairs. Tests that kill, freeze or heavily load a peer should start their own.
    """
    global _shared
    if _shared is None or _shared.process is None or _shared.process.poll() is not None:
        _shared = NodePlc(tags=SHARED_TAGS).start()
        atexit.register(_shared.stop)
    return _shared


@pytest.fixture(scope="module")
def node_plc() -> NodePlc:
    """The shared node-opcua PLC peer; fails (never skips) when it cannot start."""
    try:
        return shared_node_plc()
    except NodePeerUnavailable as exc:
        pytest.fail(f"node-opcua PLC peer unavailable: {exc}", pytrace=False)
