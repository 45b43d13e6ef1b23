"""``childshield serve`` turns Nagle's algorithm off on every connection.

Guards against the 40 ms stall measured with ``--workers 2``: uvicorn binds the socket of
a multi-worker server with protocol number 0, asyncio then leaves Nagle on, and every
response waited for the client's delayed ACK.
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.config import Config
from uvicorn.server import ServerState

from childshield.api.server import NoDelayHttpProtocol


async def _accepted_nodelay(protocol_class: type[asyncio.Protocol]) -> int:
    config = Config(app=lambda scope, receive, send: None, lifespan="off")
    config.load()
    state = ServerState()
    listener = socket.socket(family=socket.AF_INET)  # as uvicorn binds for --workers N
    listener.bind(("127.0.0.1", 0))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: protocol_class(config=config, server_state=state, app_state={}),  # type: ignore[call-arg]
        sock=listener)
    _reader, writer = await asyncio.open_connection(*listener.getsockname())
    for _ in range(100):
        if state.connections:
            break
        await asyncio.sleep(0.01)
    [connection] = state.connections
    accepted = connection.transport.get_extra_info("socket")  # type: ignore[attr-defined]
    value = int(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    writer.close()
    server.close()
    return value


def test_connections_get_tcp_nodelay() -> None:
    base = NoDelayHttpProtocol.__mro__[1]
    assert asyncio.run(_accepted_nodelay(base)) == 0  # what uvicorn alone leaves
    assert asyncio.run(_accepted_nodelay(NoDelayHttpProtocol)) != 0
