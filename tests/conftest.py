"""Shared fixtures: one logged-in client per role, and the CI guard for real services."""

import importlib
import os
import socket
from urllib.parse import urlparse

import pytest
from django.apps import apps as django_apps

from tests.factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=3):
            return True
    except OSError:
        return False


def pytest_sessionstart(session):
    """In CI the suite must run on PostgreSQL and Redis: fail at once (not skip) when they are missing."""
    if not IN_CI:
        return
    problems = []
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        problems.append("DATABASE_URL must point at PostgreSQL in CI")
    elif not _reachable(database_url):
        problems.append(f"PostgreSQL is not reachable at {urlparse(database_url).netloc}")
    if not redis_url:
        problems.append("REDIS_URL must be set in CI")
    elif not _reachable(redis_url):
        problems.append(f"Redis is not reachable at {urlparse(redis_url).netloc}")
    if problems:
        raise pytest.UsageError("; ".join(problems))


@pytest.fixture
def engineer(db):
    return UserFactory(username="engineer", first_name="李工", job_title="技术工程师", role="engineer")


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", first_name="张经理", job_title="服务经理", role="manager")


@pytest.fixture
def admin_user(db):
    return UserFactory(
        username="admin", first_name="管理员", job_title="系统管理员", role="admin", is_staff=True
    )


@pytest.fixture
def no_role_user(db):
    return UserFactory(username="norole", first_name="访客", job_title="")


def _client_for(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def engineer_client(client, engineer):
    return _client_for(client, engineer)


@pytest.fixture
def manager_client(client, manager):
    return _client_for(client, manager)


@pytest.fixture
def admin_client_role(client, admin_user):
    return _client_for(client, admin_user)


@pytest.fixture(autouse=True)
def _empty_cache():
    """What the cache (rate-limit counters) and the contact-view log's memory of this hour's rows
    remember names rows by id, and ids repeat from one test's database to the next: every test starts
    with both empty."""
    from django.core.cache import cache

    from toolkit.audit import forget_recent_views

    cache.clear()
    forget_recent_views()
    yield


@pytest.fixture(autouse=True)
def _chinese_by_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"


def restore_migration_data():
    """Rows the data migration toolkit/0004_sla_defaults made: the SLA defaults and the calendar row.

    transactional_db (and live_server) end every test with a flush that empties them; later tests
    rely on them, so they are put back. (The flush's post_migrate signal recreates the role groups
    with their permissions: toolkit/roles.py's sync_roles.)
    """
    importlib.import_module("toolkit.migrations.0004_sla_defaults").create(django_apps, None)


@pytest.fixture(autouse=True)
def _restore_migration_data_after_flush(request, django_db_blocker):
    """Autouse fixtures are set up first, so this teardown runs after transactional_db's flush."""
    yield
    if {"transactional_db", "live_server"} & set(request.fixturenames):
        with django_db_blocker.unblock():
            restore_migration_data()
