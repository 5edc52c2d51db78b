"""A reply's mail is queued on the outbound queue of the real broker (Redis: REDIS_URL, as in CI)."""

import json
import os
import uuid

import pytest

from conversation import services
from tests.conftest import IN_CI

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_broker():
    url = os.environ.get("REDIS_URL", "")
    if not url:
        if IN_CI:
            pytest.fail("REDIS_URL must be set in CI")
        pytest.skip("needs REDIS_URL (a Redis server) for the broker")
    import redis

    return redis.Redis.from_url(url)


def test_the_reply_task_goes_to_the_outbound_queue(ticket, engineer, settings, redis_broker):
    settings.OUTBOUND_QUEUE = f"conv-test-outbound-{uuid.uuid4().hex[:8]}"
    try:
        reply = services.reply_send(ticket=ticket, body="您好", by=engineer)
        assert services.replies_enqueue([reply.pk]) == 1
        raw = redis_broker.lrange(settings.OUTBOUND_QUEUE, 0, -1)
        assert len(raw) == 1
        envelope = json.loads(raw[0])
        assert envelope["headers"]["task"] == "conversation.tasks.reply_email_task"
        assert envelope["headers"]["argsrepr"] == f"({reply.pk},)"
    finally:
        redis_broker.delete(settings.OUTBOUND_QUEUE)
