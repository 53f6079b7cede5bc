"""The owner of every media session of a process: creates them and closes them all."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiortc import RTCIceServer

from .session import Notify, Session

logger = logging.getLogger(__name__)


class Registry:
    """Sessions by consultation id, and one lock per consultation so that the commands of
    one consultation run one after another while different consultations run side by side.
    """

    def __init__(self, *, ice_servers: list[RTCIceServer], notify: Notify) -> None:
        self.ice_servers = ice_servers
        self.notify = notify
        self.sessions: dict[int, Session] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._pending: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.sessions)

    @asynccontextmanager
    async def serialised(self, consultation_id: int) -> AsyncIterator[None]:
        """Run the body after every earlier command of this consultation."""
        lock = self._locks.setdefault(consultation_id, asyncio.Lock())
        self._pending[consultation_id] = self._pending.get(consultation_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._pending[consultation_id] -= 1
            if not self._pending[consultation_id]:
                del self._pending[consultation_id], self._locks[consultation_id]

    def session(self, consultation_id: int) -> Session:
        """The consultation's session, created on first use."""
        session = self.sessions.get(consultation_id)
        if session is None:
            session = Session(
                consultation_id=consultation_id, ice_servers=self.ice_servers, notify=self.notify
            )
            self.sessions[consultation_id] = session
        return session

    async def hangup(self, *, consultation_id: int, party: str) -> None:
        session = self.sessions.get(consultation_id)
        if session is not None:
            await session.hangup(party=party)
            if session.empty:
                await self.close(consultation_id=consultation_id)

    async def close(self, *, consultation_id: int) -> None:
        session = self.sessions.pop(consultation_id, None)
        if session is not None:
            await session.close()

    async def close_all(self) -> None:
        for consultation_id in list(self.sessions):
            try:
                await self.close(consultation_id=consultation_id)
            except Exception:
                logger.exception("media registry: closing a session failed")

    def release_threads(self) -> None:
        """Synchronously end every decoder thread (for interpreter exit without a loop)."""
        for session in self.sessions.values():
            session.relay.release_threads()
