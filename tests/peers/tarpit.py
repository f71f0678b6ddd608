"""A PLC that never answers: a TCP server on 127.0.0.1 that accepts connections and holds them, silent,
until the test releases them (then it closes them and stops listening, so later connections are refused)."""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class Tarpit:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = int(self._listener.getsockname()[1])
        self.url = f"opc.tcp://127.0.0.1:{self.port}"
        self._held: list[socket.socket] = []
        self._accepted = 0
        self._changed = threading.Condition()
        self._released = False
        self._thread = threading.Thread(target=self._accept, name="tarpit", daemon=True)

    def __enter__(self) -> Tarpit:
        self._thread.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.release()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self._listener.accept()
            except OSError:  # the listener was closed: released
                return
            with self._changed:
                if self._released:
                    connection.close()
                    return
                self._held.append(connection)
                self._accepted += 1
                self._changed.notify_all()

    @property
    def accepted(self) -> int:
        """Connections accepted so far (until the release, each one a client waiting for an answer)."""
        with self._changed:
            return self._accepted

    def wait_for(self, count: int, timeout: float = 30.0) -> int:
        """Block until at least ``count`` connections are held (or ``timeout`` passes); the number held."""
        with self._changed:
            self._changed.wait_for(lambda: self._accepted >= count, timeout)
            return self._accepted

    def release(self) -> None:
        """Close every held connection and stop listening: the waiting clients fail at once."""
        with self._changed:
            if self._released:
                return
            self._released = True
            held, self._held = self._held, []
        # shutdown() wakes the thread blocked in accept() on Linux; close() alone may not.
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        for connection in held:
            connection.close()
        self._thread.join(5)
