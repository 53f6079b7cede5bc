"""A Redis of the test's own (which it may restart) and ``mediaworker`` processes against it,
for the media worker's fault tests. The Redis the rest of the suite uses is never touched."""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import redis
from channels.layers import get_channel_layer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRedis:
    """``redis-server`` on a free loopback port, without persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="sprechstunde-redis-")
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(  # noqa: S603
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart(self, down_seconds: float = 0) -> None:
        """What an operator's ``systemctl restart redis`` does to the clients: every
        connection drops, everything in memory is gone, the port answers again (after
        ``down_seconds``: an outage that spans several of the clients' retries)."""
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def layer_config(url: str, kind: str) -> dict[str, Any]:
    """The channel layer of ``kind`` ("pubsub" or "core") on ``url``, as settings build it."""
    backend = (
        "channels_redis.pubsub.RedisPubSubChannelLayer"
        if kind == "pubsub"
        else "channels_redis.core.RedisChannelLayer"
    )
    return {
        "BACKEND": backend,
        "CONFIG": {"hosts": [{"address": url, "socket_timeout": 30}], "prefix": "sprechstunde"},
    }


async def start_worker(
    *, redis_url: str, layer: str, index: int = 0, extra_env: dict[str, str] | None = None
) -> tuple[asyncio.subprocess.Process, str]:
    """``manage.py mediaworker --index N``; returns once it says it serves its channel, with
    that channel."""
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "CHANNEL_LAYER": layer,
        "MEDIA_WORKER_EMBEDDED": "false",
        **(extra_env or {}),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "manage.py", "mediaworker", "--index", str(index),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    assert b" serving mediaworker." in line, line
    return process, line.decode().split()[-1]


async def stop_process(process: asyncio.subprocess.Process) -> bytes:
    """Kill it if it still runs; its stderr."""
    if process.returncode is None:
        process.kill()
    await process.wait()
    assert process.stderr is not None
    return await process.stderr.read()


class Replies:
    """A reply group as a consumer would have it: one channel in it, read in order."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.layer = get_channel_layer()
        self.seen: list[dict[str, Any]] = []

    async def open(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)

    async def next(self, type_: str | None = None, timeout: float = 20) -> dict[str, Any]:
        while True:
            message = await asyncio.wait_for(self.layer.receive(self.channel), timeout)
            self.seen.append(message)
            if type_ is None or message["type"] == type_:
                return message


def offer_message(
    consultation: int, sdp: str, party: str = "citizen", reply_group: str = "test-media-replies"
) -> dict[str, Any]:
    return {
        "type": "media.offer",
        "consultation": consultation,
        "party": party,
        "sdp": sdp,
        "reply_group": reply_group,
    }
