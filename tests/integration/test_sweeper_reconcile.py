# ruff: noqa: F811  (fixtures imported from the unit tests)
"""The leading web process's sweep registers recordings whose live report was lost, and
notes when it swept (the sweep lag of /metrics)."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from consult import heartbeats
from consult.recording.models import RecordingFile
from signaling import sweeper
from tests.unit.test_recording_reconcile import record, recording  # noqa: F401
from tests.unit.test_recordings import clerk, recordings_dir  # noqa: F401

from .conftest import eventually
from .test_recording_socket import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def test_the_sweep_registers_a_recording_whose_report_was_lost(
    recording, recordings_dir, settings
):
    settings.QUEUE_SWEEP_SECONDS = 0.05
    settings.RECORDINGS_RECONCILE_SECONDS = 0.05
    await asyncio.to_thread(heartbeats.cache.delete, heartbeats.SWEEP_KEY)
    for party in ("citizen", "clerk"):
        await asyncio.to_thread(record, recording, recordings_dir, party)
    registered = database_sync_to_async(RecordingFile.objects.filter(recording=recording).count)

    sweeper.ensure_sweeping()
    task = sweeper._sweepers[asyncio.get_running_loop()]
    try:
        await wait_for(lambda: RecordingFile.objects.filter(recording=recording).count() == 2)
        await eventually(lambda: heartbeats.last_sweep() is not None)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert await registered() == 2  # swept many times, registered once
