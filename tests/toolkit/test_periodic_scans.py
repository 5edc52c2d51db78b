"""The chapters' registered scans (toolkit.chapters) run inside the periodic SLA task; one failing never
stops the rest."""

from datetime import UTC, datetime

import pytest

from toolkit import chapters, tasks

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
calls = []


def counting_scan(*, now):
    calls.append(now)
    return 3


def broken_scan(*, now):
    raise RuntimeError("boom")


@pytest.fixture(autouse=True)
def _clear_calls():
    calls.clear()


@pytest.fixture
def scans(monkeypatch):
    """Only the given scans registered, for the test's duration."""

    def register(*functions):
        monkeypatch.setattr(chapters, "_registry", {})
        chapters.register(chapters.Chapter(label="test", order=1, scans=functions))

    return register


def test_each_configured_scan_runs_with_the_same_now_and_a_failure_is_logged(scans, caplog):
    scans(broken_scan, counting_scan)

    recorded = tasks.run_periodic_scans(now=NOW)

    assert recorded == {f"{__name__}.counting_scan": 3}
    assert calls == [NOW]
    assert "broken_scan failed" in caplog.text


@pytest.mark.django_db
def test_the_sla_scan_runs_them_too(scans):
    scans(counting_scan)

    tasks.run_sla_scan(now=NOW, inline=True)

    assert calls == [NOW]


def test_every_configured_scan_can_be_imported():
    from django.utils.module_loading import import_string

    assert all(import_string(path) is scan for path, scan in chapters.periodic_scans().items())
