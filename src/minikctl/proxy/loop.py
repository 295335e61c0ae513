"""An asyncio event loop on its own thread: the proxy and the DNS server each run one,
fed from informer threads through call_soon_threadsafe."""
from __future__ import annotations

import asyncio
import resource
import threading
from collections.abc import Callable
from typing import Any


class LoopThread:
    def __init__(self, name: str) -> None:
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self) -> asyncio.AbstractEventLoop:
        self.loop = new_event_loop()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        self._ready.wait()
        return self.loop

    def _run(self) -> None:
        loop = self.loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        loop.call_soon(self._ready.set)
        try:
            loop.run_forever()
        finally:
            _finish(loop)

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run fn(*args) on the loop, from any thread."""
        if self.loop is not None and not self.loop.is_closed():
            try:
                self.loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:  # closed meanwhile: a late informer event, nothing to do
                pass

    def run(self, coro: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the loop from another thread and wait for its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop; its thread cancels what is still pending and closes it."""
        if self.loop is None or self._thread is None:
            return
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        self._thread = None


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """What asyncio.run does on the way out, on the loop's own thread: tasks still pending
    (a listener being opened, a backend connect) are cancelled and run to their end, so
    none is left unawaited, then the loop closes."""
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's when installed (libuv: two to three times the connections per second of the
    stdlib's selector loop), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def run(coro: Any) -> Any:
    """asyncio.run on the same loop as new_event_loop() picks."""
    loop = new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


def raise_nofile_limit() -> None:
    """Each proxied connection costs two descriptors: lift the soft limit to the hard one."""
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 1 << 20, hard))
    except (ValueError, OSError):
        pass
