"""``off_thread``: a domain call on a worker thread whose committed events are sent from the
event loop after it returns, and only the committed ones."""

import pytest
from django.db import transaction

from consult import events
from signaling.base import off_thread

pytestmark = pytest.mark.django_db(transaction=True)


def publishes(*, fail_after: bool = False, rolled_back: bool = False, sent=()) -> int:
    events.publish("test.group", events.WallboardChanged())  # no transaction: at once
    with transaction.atomic():
        events.publish("test.group", events.Typing(sender="clerk", active=True))
        if rolled_back:
            transaction.set_rollback(True)
    if fail_after:
        raise RuntimeError("after the commit")
    return len(sent)  # what had been sent while the call ran


async def test_events_are_sent_from_the_loop_after_the_call(sent_events):
    assert await off_thread(publishes)(sent=sent_events) == 0  # the thread was not held
    assert [message["type"] for _, message in sent_events] == ["wallboard.changed", "chat.typing"]


async def test_only_committed_events_are_sent_also_when_the_call_fails(sent_events):
    await off_thread(publishes)(rolled_back=True)
    assert [message["type"] for _, message in sent_events] == ["wallboard.changed"]
    sent_events.clear()
    with pytest.raises(RuntimeError):
        await off_thread(publishes)(fail_after=True)
    assert [message["type"] for _, message in sent_events] == ["wallboard.changed", "chat.typing"]


def test_outside_off_thread_events_are_sent_at_commit(sent_events):
    publishes()
    assert [message["type"] for _, message in sent_events] == ["wallboard.changed", "chat.typing"]
