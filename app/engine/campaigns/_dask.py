"""A campaign on a Dask distributed cluster: the client's ``concurrent.futures`` executor, imported only when asked.

The workers run the very same ``run_chunk`` as local processes do. The scheduler unpickles the task graph and the
workers run it, so both need this platform importable (start them from the project directory with
``PYTHONPATH=.``, or where it is installed) and the same engine version, which every chunk reports back and the
campaign checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

from ._spec import CampaignError

__all__ = ["dask_executor"]

CONNECT_TIMEOUT = 10.0


@contextmanager
def dask_executor(address: str, timeout: float = CONNECT_TIMEOUT) -> Iterator[tuple[Executor, int]]:
    """Connect to the scheduler at ``address`` (``tcp://host:port``); yields the executor and the worker threads.

    CampaignError if distributed is not installed, the scheduler cannot be reached, or it has no worker.
    """
    try:
        from distributed import Client
    except ImportError as exc:  # an optional dependency for the engine as a library
        raise CampaignError(f"--scheduler needs Dask distributed (pip install distributed): {exc}") from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise CampaignError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            raise CampaignError(f"the Dask scheduler at {address} has no worker (waited {timeout:g} s)") from None
        threads = sum(client.nthreads().values())
        # pure=False: every chunk is its own task, never merged with another by a hash of its arguments.
        yield client.get_executor(pure=False), threads
    finally:
        client.close()
