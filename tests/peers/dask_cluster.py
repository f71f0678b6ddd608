"""A real Dask distributed cluster on loopback: ``dask scheduler`` and N ``dask worker`` processes.

The scheduler picks a free port and writes its address to a scheduler file; each worker runs one thread (the
engine is pure Python) with this repository on its ``PYTHONPATH``, as a team's workers would run the platform.
``DaskCluster().start()`` returns once every worker has registered with the scheduler.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120.0


class DaskCluster:
    """``start()``, then ``address`` (``tcp://127.0.0.1:PORT``); ``stop()`` ends the processes it started."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self.address = ""
        self._dir = Path(tempfile.mkdtemp(prefix="dask-cluster-"))
        self._procs: list[subprocess.Popen[bytes]] = []

    def _dask(self, *args: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DASK_DISTRIBUTED__LOGGING__DISTRIBUTED": "warning"}
        dask = Path(sys.executable).with_name("dask")
        log = open(self._dir / f"{args[0]}-{len(self._procs)}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([str(dask), *args], cwd=self._dir, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._procs.append(proc)
        return proc

    def start(self) -> DaskCluster:
        scheduler_file = self._dir / "scheduler.json"
        scheduler = self._dask("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(scheduler_file))
        deadline = time.monotonic() + START_TIMEOUT
        while not self.address:
            if scheduler.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Dask scheduler did not start: {self.logs()}")
            try:
                self.address = json.loads(scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.05)  # the scheduler has not written its file yet
        for i in range(self.workers):
            self._dask("worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1", "--no-nanny",
                       "--no-dashboard", "--host", "127.0.0.1", "--name", f"worker-{i}",
                       "--local-directory", str(self._dir / f"worker-{i}"))
        from distributed import Client

        with Client(self.address, timeout=START_TIMEOUT, set_as_default=False) as client:
            client.wait_for_workers(self.workers, timeout=START_TIMEOUT)
        return self

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-2000:] for p in sorted(self._dir.glob("*.log")))

    def stop(self) -> None:
        for proc in reversed(self._procs):  # workers first, then the scheduler
            if proc.poll() is None:
                proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs.clear()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> DaskCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
