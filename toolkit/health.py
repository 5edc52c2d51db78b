"""Health endpoints for a load balancer or an orchestrator.

``/healthz`` (liveness) answers as soon as the process serves requests, with no check: restarting a
web process because the database is away would not bring the database back. It is a plain view: a
balancer probes every worker, and each would otherwise load django-health-check, redis and dnspython
(about 9 MiB) to answer an empty object. ``/readyz`` (readiness), served by django-health-check,
checks what a request needs — the database, the broker that takes jobs and reminders, the file
storage, the cache — and answers 500 with the failing check named when one is not there.
Both answer JSON whatever the Accept header says (the package's HTML page carries inline styles,
which our Content-Security-Policy refuses), need no login, and are never cached.
"""

import dataclasses
import datetime
import functools

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse


@functools.cache
def _readiness_view():
    """Built (and django-health-check, with the redis and dnspython it imports, loaded) at the first
    readiness probe rather than by every web worker at start-up."""
    from health_check.base import HealthCheck
    from health_check.exceptions import ServiceUnavailable
    from health_check.views import HealthCheckView

    @dataclasses.dataclass
    class Broker(HealthCheck):
        """The Celery broker (Redis, or the .broker/ folder in development) accepts a connection."""

        timeout = datetime.timedelta(seconds=3)

        def run(self):
            from toolkit.celery import app

            try:
                with app.connection_for_write() as connection:
                    connection.ensure_connection(max_retries=1, timeout=self.timeout.total_seconds())
            except Exception as error:  # noqa: BLE001 - kombu raises many kinds; any means "not reachable"
                raise ServiceUnavailable("broker unreachable") from error

    class ProbeView(HealthCheckView):
        def render_to_response(self, context, **response_kwargs):
            return self.render_to_response_json(response_kwargs.get("status", 200))

    return ProbeView.as_view(
        checks=(
            "health_check.checks.Database",
            "health_check.checks.Cache",
            "health_check.checks.Storage",
            Broker,
        )
    )


@login_not_required
def liveness(request):
    """What django-health-check answers with no checks: an empty object."""
    return JsonResponse({})


# django-health-check's view is asynchronous, so this one is too.
@login_not_required
async def readiness(request):
    return await _readiness_view()(request)
