"""`minikctl port-forward`'s machinery: listen locally, splice each connection to
podIP:port with the proxy's relay (asyncio). Imported only when forwarding starts, so
the CLI's start-up never pays for asyncio."""
from __future__ import annotations

import asyncio
import signal
import sys

from minikctl.proxy import relay


async def forward(pod_ip: str, forwards: list[tuple[int, int, str]], addresses: list[str]) -> None:
    loop = asyncio.get_running_loop()
    hosts = []
    for a in addresses:
        hosts += ["127.0.0.1", "::1"] if a == "localhost" else [a]
    servers = []
    for local, remote, _text in forwards:
        bound = 0
        for host in hosts:
            try:
                server = await loop.create_server(lambda r=remote, lp=local: Client(pod_ip, r, lp), host, local,
                                                  reuse_address=True)
            except OSError as exc:
                if host == "::1" and "localhost" in addresses:
                    continue  # no IPv6 loopback: 127.0.0.1 is enough, as kubectl does
                raise BindError(f"Unable to listen on port {local}: Listeners failed to create with the "
                                 f"following errors: [unable to create listener: Error listen tcp4 "
                                 f"{host}:{local}: bind: {exc.strerror}]") from None
            port = server.sockets[0].getsockname()[1]
            local = local or port
            for s in server.sockets:
                s_host = s.getsockname()[0]
                shown = f"[{s_host}]" if ":" in s_host else s_host
                print(f"Forwarding from {shown}:{port} -> {remote}", flush=True)
            servers.append(server)
            bound += 1
        if not bound:
            raise BindError(f"Unable to listen on port {local}")
    done = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C or kill: stop forwarding, exit 0
        loop.add_signal_handler(sig, done.set)
    await done.wait()
    for server in servers:
        server.close()


class BindError(Exception):
    pass


class Client(relay.Half):
    """One forwarded connection: accepted locally, spliced to podIP:remote."""

    def __init__(self, pod_ip: str, remote: int, local: int) -> None:
        pair = relay.Pair()
        super().__init__(pair)
        pair.client = self
        self.peer = pair.backend
        pair.backend.peer = self
        self.pod_ip, self.remote, self.local = pod_ip, remote, local

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.local = transport.get_extra_info("sockname")[1]
        print(f"Handling connection for {self.local}", flush=True)
        transport.pause_reading()  # type: ignore[attr-defined]
        asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        if await relay.connect_backend(loop, self.pair, [(self.pod_ip, self.remote)]) is None:
            print(f"E0000 portforward.go:424] an error occurred forwarding {self.local} -> {self.remote}: "
                  f"error forwarding port {self.remote} to pod: dial tcp4 {self.pod_ip}:{self.remote}: "
                  "connect: connection refused", file=sys.stderr, flush=True)
            if self.transport is not None and not self.closed:
                self.transport.close()
            return
        self.pair.attach_backend()
