"""Open websockets of this process, for the operator's ``/metrics`` (docs/observability.md).

A prometheus_client gauge in the process's default registry, labelled with the process id
(several daphne processes serve one installation; each is scraped on its own port) and the
endpoint. A socket counts from its accept until its consumer ends for any reason: a close by
either side, or a consumer that dies of an error (a channel-layer failure included), so the
figure cannot keep a dead socket.

The socket leases (socket_leases.py) do not give a count over every process: they cover only
citizens' chat sockets, as numbered slots per consultation that a process renews every 20 s
and that lapse 60 s after a process died, and counting them would mean scanning Redis' keys.
"""

import os

from prometheus_client import Gauge

OPEN = Gauge(
    "sprechstunde_websockets_open",
    "Websockets open in this process, by endpoint (pid: the process).",
    ["pid", "endpoint"],
)


def opened(endpoint: str) -> None:
    OPEN.labels(pid=str(os.getpid()), endpoint=endpoint).inc()


def closed(endpoint: str) -> None:
    OPEN.labels(pid=str(os.getpid()), endpoint=endpoint).dec()
