"""Fixtures for the OPC UA client adapter: the asyncua PLC stand-in run in its own process."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asyncua import Client, ua

PLC_SCRIPT = Path(__file__).resolve().parents[2] / "peers" / "asyncua_plc.py"
NAMESPACE = "urn:dtwin:test-plc"
START_TIMEOUT = 30.0


class AsyncuaPlc:
    """``tests/peers/asyncua_plc.py`` in a subprocess; can be killed, frozen, thawed and restarted on its port."""

    def __init__(self, *args: str) -> None:
        self.args = list(args)
        self.port = 0
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"opc.tcp://127.0.0.1:{self.port}/"

    def start(self, *args: str) -> AsyncuaPlc:
        cmd = [sys.executable, str(PLC_SCRIPT), "--port", str(self.port), *(args or self.args)]
        self.process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(START_TIMEOUT)
        if not line or not line[0].startswith("READY"):
            self.stop()
            raise RuntimeError(f"asyncua PLC peer did not start: {line!r}")
        self.port = int(line[0].split()[1])
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(10)

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.kill()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()

    def node_id(self, name: str) -> str:
        return f"nsu={NAMESPACE};s={name}"

    def server_stats(self) -> dict[str, int]:
        """Service-call counters kept by the peer (read with a plain asyncua client)."""

        async def read() -> dict[str, int]:
            async with Client(self.url, timeout=5) as client:
                ns = await client.get_namespace_index(NAMESPACE)
                names = ("ReadCalls", "WriteCalls", "MaxReadBatch", "MaxWriteBatch")
                nodes = [client.get_node(ua.NodeId(f"Stats.{n}", ns)) for n in names]
                return dict(zip(names, await client.read_values(nodes), strict=True))

        return asyncio.run(read())


@pytest.fixture
def make_plc() -> Iterator[Callable[..., AsyncuaPlc]]:
    """Start PLC peers with the given command-line options; all are stopped after the test."""
    started: list[AsyncuaPlc] = []

    def make(*args: str) -> AsyncuaPlc:
        plc = AsyncuaPlc(*args).start()
        started.append(plc)
        return plc

    yield make
    for plc in started:
        plc.stop()


@pytest.fixture(scope="module")
def plc() -> Iterator[AsyncuaPlc]:
    """One PLC peer shared by a module's read/write tests (its namespace is not at index 2)."""
    peer = AsyncuaPlc("--extra-namespaces", "2", "--bench-tags", "10").start()
    yield peer
    peer.stop()


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, step: Callable[[], Any] | None = None) -> Any:
    """Poll ``condition`` (calling ``step`` between polls, e.g. a tick) until truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        if step is not None:
            step()
        time.sleep(0.05)
