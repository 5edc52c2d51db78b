import pytest
from django.core.cache import cache


@pytest.fixture
def axes_on(settings):
    """django-axes as in production (the test settings switch it off for the rest of the suite)."""
    settings.AXES_ENABLED = True
    return settings


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters live in the cache, which outlives a test's database transaction."""
    cache.clear()
    yield
    cache.clear()
