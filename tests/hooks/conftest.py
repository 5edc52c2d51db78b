"""The Redis queue fixture of the worker tests (tests/toolkit/test_worker.py), shared here."""

from tests.toolkit.test_worker import redis_queue  # noqa: F401 - a fixture
