"""The embedded pool (no Redis): least-loaded placement, pins, release (signaling/media/pool.py).
The Redis pool is tested with worker processes in tests/integration/test_media_faults.py."""

import pytest

from signaling.media.pool import LocalPool, NoWorker

pytestmark = pytest.mark.asyncio


async def test_calls_go_to_the_least_loaded_worker_and_stay_there() -> None:
    pool = LocalPool()
    with pytest.raises(NoWorker):  # no worker has announced itself yet
        await pool.place(consultation=1)
    for worker in ("a", "b"):
        assert await pool.beat(worker=worker, sessions=[]) == []

    placed = [await pool.place(consultation=c) for c in (1, 2, 3)]
    assert placed == ["a", "b", "a"]  # ties by id
    assert await pool.place(consultation=2) == "b"  # pinned: later commands follow
    assert await pool.pinned(consultation=3) == "a"
    assert await pool.live() == {"a": 2, "b": 1}

    await pool.release(consultation=1, worker="b")  # not b's: changes nothing
    await pool.release(consultation=1, worker="a")
    assert await pool.pinned(consultation=1) is None
    assert await pool.place(consultation=4) == "a"  # a has one again, like b

    await pool.leave(worker="a")
    assert await pool.pinned(consultation=3) is None  # its worker is gone
    assert await pool.place(consultation=3) == "b"
    assert await pool.fail_over() == []  # embedded workers die with their process


async def test_a_worker_learns_which_of_its_sessions_were_moved() -> None:
    pool = LocalPool()
    await pool.beat(worker="a", sessions=[])
    await pool.beat(worker="b", sessions=[])
    assert await pool.place(consultation=7) == "a"
    pool.pins[7] = "b"  # moved while "a" was taken for dead
    assert await pool.beat(worker="a", sessions=[7]) == [7]
