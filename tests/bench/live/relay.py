"""The bare relay baseline: plain ``websockets`` and Redis pub/sub, no storage, no checks.

Run as two processes (``python -m tests.bench.live.relay --port P --redis URL --prefix X``)
in the same run as the platform. Paths:

- ``/pair/<conv>/<role>/``: a chat party (role ``citizen`` or ``clerk``). A frame it sends
  is published (with ``sender`` added) to the channel of the other party of the
  conversation, which may be connected to the other process.
- ``/room/<name>/``: a room member; a frame it sends is published to every member of the
  room, on both processes (the baseline for one queue change reaching every waiting room).
- Any socket: ``{"type": "ping"}`` is answered at once by the process (``pong``).

Each process holds one Redis pub/sub connection and subscribes a channel when its first
local socket needs it; a received publication is written to the local sockets of that
channel with ``websockets``' ``broadcast``.
"""

import argparse
import asyncio
import json
import signal
from collections import defaultdict

from redis.asyncio import Redis
from websockets.asyncio.server import ServerConnection, broadcast, serve

PONG = json.dumps({"type": "pong"})


class Relay:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix
        self.pubsub = redis.pubsub()
        self.local: defaultdict[str, set[ServerConnection]] = defaultdict(set)
        self.subscribing = asyncio.Lock()

    async def start(self) -> None:
        # A standing subscription, so that listening never ends for lack of channels.
        await self.pubsub.subscribe(f"{self.prefix}:control")

    async def listen(self) -> None:
        async for message in self.pubsub.listen():
            if message["type"] == "message":
                channel = message["channel"].decode()
                broadcast(self.local.get(channel, ()), message["data"].decode())

    async def join(self, channel: str, ws: ServerConnection) -> None:
        async with self.subscribing:
            if not self.local[channel]:
                await self.pubsub.subscribe(channel)
            self.local[channel].add(ws)

    def routes(self, path: str) -> tuple[str, str, str] | None:
        """(channel to listen on, channel to publish to, sender role) for a path."""
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "pair" and parts[2] in ("citizen", "clerk"):
            conv, role = parts[1], parts[2]
            peer = "clerk" if role == "citizen" else "citizen"
            return f"{self.prefix}:pair:{conv}:{role}", f"{self.prefix}:pair:{conv}:{peer}", role
        if len(parts) == 2 and parts[0] == "room":
            channel = f"{self.prefix}:room:{parts[1]}"
            return channel, channel, ""
        return None

    async def handle(self, ws: ServerConnection) -> None:
        route = self.routes(ws.request.path if ws.request else "")
        if route is None:
            await ws.close(code=4404)
            return
        listen_on, publish_to, role = route
        await self.join(listen_on, ws)
        try:
            async for text in ws:
                frame = json.loads(text)
                if frame.get("type") == "ping":
                    await ws.send(PONG)
                    continue
                if role:
                    frame["sender"] = role
                await self.redis.publish(publish_to, json.dumps(frame))
        finally:
            self.local[listen_on].discard(ws)


async def main(port: int, redis_url: str, prefix: str) -> None:
    redis = Redis.from_url(redis_url)
    relay = Relay(redis, prefix)
    await relay.start()
    listener = asyncio.create_task(relay.listen())
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(relay.handle, "127.0.0.1", port, compression=None, ping_interval=None):
        await stop
    listener.cancel()
    await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--prefix", required=True)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.port, arguments.redis, arguments.prefix))
