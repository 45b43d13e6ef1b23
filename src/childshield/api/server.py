"""The HTTP protocol ``childshield serve`` runs uvicorn with: TCP_NODELAY on every
connection.

With ``--workers N`` uvicorn binds the listening socket itself as
``socket.socket(family=AF_INET)`` (protocol number 0), and asyncio only turns Nagle's
algorithm off for sockets whose protocol is ``IPPROTO_TCP``; so in multi-worker mode every
response (headers and body are written separately) waited for the client's delayed ACK:
about 40 ms added to every request, measured in benchmarks/bench_api_lookup.py (one
worker 9 ms, two workers 48 ms for ``/health`` on the same machine). Setting TCP_NODELAY
when the connection is made removes that, whatever the worker count.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any

from childshield._optional import require

_impl: Any
try:  # the faster parser when it is installed (uvicorn[standard]), as uvicorn's "auto"
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _impl
except ImportError:
    _h11: Any = require("uvicorn.protocols.http.h11_impl")
    _impl = _h11.H11Protocol

PROTOCOL = "childshield.api.server:NoDelayHttpProtocol"
"""uvicorn's ``http=`` value (an import string, so worker processes can load it)."""


class NoDelayHttpProtocol(_impl):  # type: ignore[misc]
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


__all__ = ["PROTOCOL", "NoDelayHttpProtocol"]
